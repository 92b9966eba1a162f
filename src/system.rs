// SPDX-License-Identifier: GPL-2.0

//! The system device, `/dev/kvm-devctl`: one per module.
//!
//! C: `kvm_dev_ioctl()`, `kvm_dev_ioctl_create_vm()` and
//! `kvm_vm_ioctl_check_extension_generic()` in
//! [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c). Each open file is independent and
//! stateless, as for `/dev/kvm`.

use kernel::{
    cpu,
    fs::{
        anon_inode,
        file::{
            flags,
            FileDescriptorReservation, //
        },
        File,
    },
    kvm::{
        KVM_CHECK_EXTENSION,
        KVM_CREATE_VM,
        KVM_GET_API_VERSION,
        KVM_GET_DEVICE_ATTR,
        KVM_GET_VCPU_MMAP_SIZE,
        KVM_HAS_DEVICE_ATTR, //
    },
    miscdevice::{
        MiscDevice,
        MiscDeviceRegistration, //
    },
    page::PAGE_SIZE,
    prelude::*,
    uapi,
};

use crate::{
    attr::DeviceAttr,
    vcpu::{
        KVM_MAX_VCPUS,
        KVM_MAX_VCPU_IDS,
        VCPU_MMAP_PAGES, //
    },
    vm::Vm,
};

/// An open file of the system device.
pub(crate) struct System;

/// Answers `KVM_CHECK_EXTENSION` for the capabilities kvm-devctl implements; 0 for the rest.
///
/// C compares the argument as a `long`, so only an exact value matches.
pub(crate) fn check_extension(cap: usize) -> isize {
    const DEVICE_CTRL: usize = uapi::KVM_CAP_DEVICE_CTRL as usize;
    const CHECK_EXTENSION_VM: usize = uapi::KVM_CAP_CHECK_EXTENSION_VM as usize;
    const MAX_VCPUS: usize = uapi::KVM_CAP_MAX_VCPUS as usize;
    const MAX_VCPU_ID: usize = uapi::KVM_CAP_MAX_VCPU_ID as usize;
    const NR_VCPUS: usize = uapi::KVM_CAP_NR_VCPUS as usize;
    match cap {
        DEVICE_CTRL | CHECK_EXTENSION_VM => 1,
        // The recommended number of vCPUs, as x86 KVM answers it.
        NR_VCPUS => (cpu::num_online_cpus() as usize).min(KVM_MAX_VCPUS) as isize,
        MAX_VCPUS => KVM_MAX_VCPUS as isize,
        MAX_VCPU_ID => KVM_MAX_VCPU_IDS as isize,
        _ => 0,
    }
}

/// `KVM_CREATE_VM` (C: `kvm_dev_ioctl_create_vm()`): returns the VM's file descriptor.
fn create_vm(ty: usize) -> Result<isize> {
    let reservation = FileDescriptorReservation::get_unused_fd_flags(flags::O_CLOEXEC)?;
    let vm = Vm::new(ty)?;
    let file = anon_inode::new_file::<Vm>(c"kvm-vm", vm, flags::O_RDWR)?;
    let fd = reservation.reserved_fd();
    reservation.fd_install(file);
    Ok(fd as isize)
}

#[vtable]
impl MiscDevice for System {
    type Ptr = KBox<Self>;
    const NOOP_LLSEEK: bool = true;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        KBox::new(System, GFP_KERNEL_ACCOUNT).map_err(Into::into)
    }

    /// The ioctl handler: `kvm_dev_ioctl()`.
    fn ioctl(_this: &System, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            // KVM refuses an argument to the argument-less ioctls.
            KVM_GET_API_VERSION if arg == 0 => Ok(uapi::KVM_API_VERSION as isize),
            KVM_CREATE_VM => create_vm(arg),
            KVM_CHECK_EXTENSION => Ok(check_extension(arg)),
            KVM_GET_VCPU_MMAP_SIZE if arg == 0 => Ok((VCPU_MMAP_PAGES * PAGE_SIZE) as isize),
            // System attributes (C: x86 `kvm_arch_dev_ioctl()`): the structure is copied in as
            // for a device, and kvm-devctl offers none, so every group and attribute is ENXIO.
            KVM_GET_DEVICE_ATTR | KVM_HAS_DEVICE_ATTR => {
                DeviceAttr::from_user(arg)?;
                Err(ENXIO)
            }
            // `kvm_dev_ioctl()` answers everything else, known or not, with EINVAL.
            _ => Err(EINVAL),
        }
    }
}
