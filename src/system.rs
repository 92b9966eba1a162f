// SPDX-License-Identifier: GPL-2.0

//! The system device, `/dev/kvm-devctl`: one per module.
//!
//! C: `kvm_dev_ioctl()` in [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c). Each open file
//! is independent and stateless, as for `/dev/kvm`.

use kernel::{
    fs::File,
    miscdevice::{
        MiscDevice,
        MiscDeviceRegistration, //
    },
    prelude::*,
};

use crate::uapi;

/// An open file of the system device.
pub(crate) struct System;

#[vtable]
impl MiscDevice for System {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        KBox::new(System, GFP_KERNEL_ACCOUNT).map_err(Into::into)
    }

    /// The ioctl handler: `kvm_dev_ioctl()`.
    fn ioctl(_this: &System, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            // KVM refuses a non-zero argument for the argument-less ioctls.
            uapi::KVM_GET_API_VERSION if arg == 0 => Ok(uapi::KVM_API_VERSION as isize),
            // `kvm_dev_ioctl()` answers everything else, known or not, with EINVAL.
            _ => Err(EINVAL),
        }
    }
}
