// SPDX-License-Identifier: GPL-2.0

//! Shared helpers for the kvm-devctl tests written on `kvm-ioctls`.

use std::ffi::CStr;

/// The node of the module, as loaded by `scripts/vm-run`.
pub const KVM_DEVCTL_NODE: &CStr = c"/dev/kvm-devctl";

/// The real KVM of the guest kernel: the reference.
pub const KVM_NODE: &CStr = c"/dev/kvm";

/// Returns whether the guest kernel has real KVM to compare against.
pub fn have_real_kvm() -> bool {
    std::path::Path::new(KVM_NODE.to_str().unwrap_or_default()).exists()
}
