// SPDX-License-Identifier: GPL-2.0

//! The KVM ABI that kvm-devctl implements.
//!
//! C header: [`include/uapi/linux/kvm.h`](srctree/include/uapi/linux/kvm.h)
//!
//! Structures and plain constants come from the kernel's bindgen run over `<uapi/linux/kvm.h>`
//! (`rust/0001-*.patch`), so they cannot drift from the C header. The ioctl numbers are C macros
//! that bindgen cannot evaluate; they are rebuilt here from the same `_IO*` encoding and
//! checked against their argument sizes at build time.

use kernel::ioctl::_IO;

/// The ioctl type of every KVM ioctl (`KVMIO`).
pub(crate) const KVMIO: u32 = 0xAE;

/// The API version that every KVM since 2.6.22 reports (`KVM_API_VERSION`).
pub(crate) const KVM_API_VERSION: u32 = kernel::uapi::KVM_API_VERSION;

/// `KVM_GET_API_VERSION`: `_IO(KVMIO, 0x00)`.
pub(crate) const KVM_GET_API_VERSION: u32 = _IO(KVMIO, 0x00);

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_uapi)]
mod tests {
    use super::*;

    /// The ioctl numbers must be the ones C user space computes from `<linux/kvm.h>`.
    #[test]
    fn ioctl_numbers_match_the_c_header() {
        assert_eq!(KVM_GET_API_VERSION, 0xae00);
        assert_eq!(KVM_API_VERSION, 12);
    }
}
