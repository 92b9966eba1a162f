// SPDX-License-Identifier: GPL-2.0

//! A device attribute request: the `struct kvm_device_attr` of one ioctl.
//!
//! C: `kvm_device_ioctl_attr()` in [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c).
//! The structure is copied in once; its `addr` is a user pointer to the attribute's data,
//! which a device type reads and writes with the accessors below (C: `get_user()`,
//! `put_user()`).

use kernel::{
    kvm::kvm_device_attr,
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

/// The attribute of one `KVM_{SET,GET,HAS}_DEVICE_ATTR` call.
pub(crate) struct DeviceAttr {
    raw: kvm_device_attr,
}

impl DeviceAttr {
    /// Copies the attribute structure from user space at `arg`.
    ///
    /// # Errors
    ///
    /// `EFAULT` if `arg` does not point to a readable `struct kvm_device_attr`.
    pub(crate) fn from_user(arg: usize) -> Result<Self> {
        let size = core::mem::size_of::<kvm_device_attr>();
        let raw = UserSlice::new(UserPtr::from_addr(arg), size)
            .reader()
            .read::<kvm_device_attr>()?;
        Ok(Self { raw })
    }

    /// The attribute group.
    pub(crate) fn group(&self) -> u32 {
        self.raw.group
    }

    /// The attribute within the group.
    pub(crate) fn attr(&self) -> u64 {
        self.raw.attr
    }

    /// Reads a 32-bit signed value at `addr` (C: `get_user()` of an `int32_t`).
    pub(crate) fn read_i32(&self) -> Result<i32> {
        UserPtr::from_addr(self.raw.addr as usize).get_user::<i32>()
    }

    /// Reads a 32-bit value at `addr` (C: `get_user()` of a `u32`).
    pub(crate) fn read_u32(&self) -> Result<u32> {
        UserPtr::from_addr(self.raw.addr as usize).get_user::<u32>()
    }

    /// Reads a 64-bit value at `addr` (C: `get_user()` of a `u64`).
    pub(crate) fn read_u64(&self) -> Result<u64> {
        UserPtr::from_addr(self.raw.addr as usize).get_user::<u64>()
    }

    /// Writes a 32-bit value at `addr` all or nothing (C: `put_user()` of a `u32`).
    pub(crate) fn put_u32(&self, val: u32) -> Result {
        UserPtr::from_addr(self.raw.addr as usize).put_user(val)
    }

    /// Writes a 64-bit value at `addr` all or nothing (C: `put_user()` of a `u64`, one store): a
    /// buffer that runs into a read-only or unmapped page fails before any byte is written.
    pub(crate) fn put_u64(&self, val: u64) -> Result {
        UserPtr::from_addr(self.raw.addr as usize).put_user(val)
    }

    /// Copies a 64-bit value to `addr` as arm64's `copy_to_user()` of a `u64` does: one 8-byte
    /// store, and if that faults before anything was copied, one more try at the first byte
    /// alone (`arch/arm64/lib/copy_to_user.S`, the fixup "try harder"). So a buffer that runs
    /// into a read-only or unmapped page gets its first byte written, if that byte is writable,
    /// and the copy fails with `EFAULT` (real KVM: `vgic_its.txt`, "## buffers").
    pub(crate) fn copy_u64(&self, val: u64) -> Result {
        let ptr = UserPtr::from_addr(self.raw.addr as usize);
        if ptr.put_user(val).is_ok() {
            return Ok(());
        }
        let first = val.to_le_bytes()[0];
        // Whether the byte could be written or not, the copy failed.
        let _ = UserSlice::new(ptr, 1).writer().write(&first);
        Err(EFAULT)
    }
}
