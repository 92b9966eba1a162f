// SPDX-License-Identifier: GPL-2.0

//! `KVM_CREATE_DEVICE` through `VmFd::create_device()`, made safe for every answer.

use std::fs::File;
use std::os::unix::io::{AsRawFd, IntoRawFd, RawFd};

use kvm_bindings::kvm_create_device;
use kvm_ioctls::{DeviceFd, VmFd};

/// What a successful `KVM_CREATE_DEVICE` made.
pub enum Created {
    /// A device file (the kernel wrote its fd to the struct).
    Device(DeviceFd),
    /// No file: the fd field came back as we set it (as with `KVM_CREATE_DEVICE_TEST`).
    Nothing,
}

/// `VmFd::create_device()` of `type_` with `flags`; `Err` is the errno.
///
/// `VmFd::create_device()` wraps the `fd` field in the `DeviceFd` it returns whatever the
/// flags, and closes it on drop: with `KVM_CREATE_DEVICE_TEST` the kernel leaves the field as
/// it was (usually 0, stdin). So the field starts as a placeholder file of ours: if it comes
/// back unchanged, no file was made and the placeholder is closed.
pub fn create_device(vm: &VmFd, type_: u32, flags: u32) -> Result<Created, i32> {
    let placeholder = File::open("/dev/null").map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
    let placeholder: RawFd = placeholder.into_raw_fd();
    let mut cd = kvm_create_device {
        type_,
        fd: placeholder as u32,
        flags,
    };
    match vm.create_device(&mut cd) {
        // Dropping the DeviceFd closes the placeholder.
        Ok(dev) if dev.as_raw_fd() == placeholder => Ok(Created::Nothing),
        Ok(dev) => {
            // SAFETY: our placeholder, which the DeviceFd does not own.
            unsafe { libc::close(placeholder) };
            Ok(Created::Device(dev))
        }
        Err(e) => {
            // SAFETY: as above.
            unsafe { libc::close(placeholder) };
            Err(e.errno())
        }
    }
}

/// What `/proc/self/fd/FD` links to, e.g. `anon_inode:kvm-vfio`.
pub fn fd_link(fd: RawFd) -> String {
    match std::fs::read_link(format!("/proc/self/fd/{fd}")) {
        Ok(p) => p.to_string_lossy().into_owned(),
        Err(e) => format!("unknown: {e}"),
    }
}
