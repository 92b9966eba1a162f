// SPDX-License-Identifier: GPL-2.0

//! A system device node, `/dev/kvm-devctl` or `/dev/kvm-devctl-arm64`: one per personality.
//!
//! C: `kvm_dev_ioctl()`, `kvm_dev_ioctl_create_vm()` and
//! `kvm_vm_ioctl_check_extension_generic()` in
//! [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c), with the answers that differ per
//! architecture taken from [`crate::arch`]. Each open file is independent and stateless, as
//! for `/dev/kvm`.

use core::marker::PhantomData;

use kernel::{
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
    arch::{
        Arch,
        Personality, //
    },
    attr::DeviceAttr,
    vm::Vm,
};

/// An open file of a system device node answering as `P::ARCH`.
pub(crate) struct System<P: Personality> {
    _personality: PhantomData<P>,
}

/// `KVM_CREATE_VM` (C: `kvm_dev_ioctl_create_vm()`): returns the VM's file descriptor.
fn create_vm(arch: Arch, ty: usize) -> Result<isize> {
    let reservation = FileDescriptorReservation::get_unused_fd_flags(flags::O_CLOEXEC)?;
    let vm = Vm::new(arch, ty)?;
    let file = anon_inode::new_file::<Vm>(c"kvm-vm", vm, flags::O_RDWR)?;
    let fd = reservation.reserved_fd();
    reservation.fd_install(file);
    Ok(fd as isize)
}

#[vtable]
impl<P: Personality> MiscDevice for System<P> {
    type Ptr = KBox<Self>;
    const NOOP_LLSEEK: bool = true;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        KBox::new(
            System {
                _personality: PhantomData,
            },
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(Into::into)
    }

    /// The ioctl handler: `kvm_dev_ioctl()`.
    fn ioctl(_this: &Self, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let arch = P::ARCH;
        match cmd {
            // KVM refuses an argument to the argument-less ioctls.
            KVM_GET_API_VERSION if arg == 0 => Ok(uapi::KVM_API_VERSION as isize),
            KVM_CREATE_VM => create_vm(arch, arg),
            KVM_CHECK_EXTENSION => arch.check_extension(None, arg),
            KVM_GET_VCPU_MMAP_SIZE if arg == 0 => Ok((arch.vcpu_mmap_pages() * PAGE_SIZE) as isize),
            // System attributes (C: x86 `kvm_arch_dev_ioctl()`): the structure is copied in as
            // for a device, and kvm-devctl offers none, so every group and attribute is ENXIO.
            KVM_GET_DEVICE_ATTR | KVM_HAS_DEVICE_ATTR if arch == Arch::X86 => {
                DeviceAttr::from_user(arg)?;
                Err(ENXIO)
            }
            // `kvm_dev_ioctl()` answers everything else, known or not, with EINVAL (arm64's
            // `kvm_arch_dev_ioctl()` too, system attributes included).
            _ => Err(EINVAL),
        }
    }
}
