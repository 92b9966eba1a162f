// SPDX-License-Identifier: GPL-2.0

//! The per-type device operations (C: `struct kvm_device_ops`) and the registry of types.
//!
//! C: `kvm_device_ops_table`, `kvm_register_device_ops()` in
//! [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c).
//!
//! A device type is a Rust type implementing [`DeviceType`]: its value is the per-device state
//! (C's `dev->private`). Methods it leaves out behave as `NULL` pointers in a C ops table:
//! `KVM_SET/GET/HAS_DEVICE_ATTR` answer `EPERM`, other ioctls `ENOTTY`, `mmap` `ENODEV`, and a
//! type without `release` stays on its VM's device list until the VM is destroyed.
//!
//! # Examples
//!
//! A new device type is one file in `src/devices/`, and in `src/devices/mod.rs` its `mod`
//! line and one line in [`register_all`](crate::devices::register_all):
//!
//! ```ignore
//! // src/devices/toy.rs
//! use kernel::{new_mutex, prelude::*, sync::Mutex};
//! use crate::{attr::DeviceAttr, ops::DeviceType, vm::{Vm, VmInner}};
//!
//! /// A device with one 32-bit register: group 0, attribute 0.
//! #[pin_data]
//! pub(crate) struct Toy {
//!     #[pin]
//!     reg: Mutex<i32>,
//! }
//!
//! #[vtable]
//! impl DeviceType for Toy {
//!     const NAME: &'static CStr = c"kvm-toy";
//!
//!     fn create(_vm: &mut VmInner, _ty: u32) -> impl PinInit<Self, Error> {
//!         try_pin_init!(Self { reg <- new_mutex!(0) })
//!     }
//!
//!     // Dropped with its file: no `destroy` needed.
//!     fn release(&self, _vm: &VmInner) {}
//!
//!     fn set_attr(&self, _vm: &Vm, attr: &DeviceAttr) -> Result {
//!         if attr.group() != 0 || attr.attr() != 0 {
//!             return Err(ENXIO);
//!         }
//!         *self.reg.lock() = attr.read_i32()?;
//!         Ok(())
//!     }
//!
//!     fn has_attr(&self, _vm: &Vm, attr: &DeviceAttr) -> Result {
//!         if attr.group() == 0 && attr.attr() == 0 { Ok(()) } else { Err(ENXIO) }
//!     }
//!     // No `get_attr`: KVM_GET_DEVICE_ATTR answers EPERM.
//! }
//!
//! // src/devices/mod.rs
//! pub(crate) mod toy;
//! // ... and in register_all():
//! registry.register::<toy::Toy>(KVM_DEV_TYPE_TOY)?;
//! ```

use kernel::{
    error::VTABLE_DEFAULT_ERROR,
    mm::virt::VmaNew,
    nospec,
    prelude::*,
    sync::Arc,
    uapi, //
};

use crate::{
    attr::DeviceAttr,
    device::CreateRequest,
    vm::{
        Vm,
        VmInner, //
    },
};

/// The number of device type slots (`KVM_DEV_TYPE_MAX`).
pub(crate) const DEVICE_TYPE_MAX: usize = uapi::kvm_device_type_KVM_DEV_TYPE_MAX as usize;

/// A KVM device type: the operations of its devices and, as `Self`, their state.
#[vtable]
pub(crate) trait DeviceType: Sized + Send + Sync + 'static {
    /// The device's file name, shown as `anon_inode:<NAME>` (C: `ops->name`).
    const NAME: &'static CStr;

    /// Creates the state of a new device of type `ty` (C: `ops->create`).
    ///
    /// Runs with the VM lock held, before the device joins the VM's device list, so it can
    /// refuse on account of the VM's other devices (a singleton answers `EBUSY`), or set up
    /// state that C keeps in the VM (the VGIC: `kvm->arch.vgic`).
    fn create(vm: &mut VmInner, ty: u32) -> impl PinInit<Self, Error>;

    /// Finishes setting up a device once it is on the VM's list, without the VM lock
    /// (C: `ops->init`).
    fn init(&self, _vm: &Vm) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called with the VM lock held when the device's file is closed, after the device left
    /// the VM's list (C: `ops->release`). A type with `release` lives as long as its file.
    fn release(&self, _vm: &VmInner) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called when the VM is destroyed for each device still on its list, and on the error
    /// path of creation (C: `ops->destroy`).
    fn destroy(&self) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `KVM_SET_DEVICE_ATTR`. Without it, the ioctl answers `EPERM`.
    fn set_attr(&self, _vm: &Vm, _attr: &DeviceAttr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `KVM_GET_DEVICE_ATTR`. Without it, the ioctl answers `EPERM`.
    fn get_attr(&self, _vm: &Vm, _attr: &DeviceAttr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `KVM_HAS_DEVICE_ATTR`. Without it, the ioctl answers `EPERM`.
    fn has_attr(&self, _vm: &Vm, _attr: &DeviceAttr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Any other ioctl on the device's file. Without it, `ENOTTY`.
    fn ioctl(&self, _vm: &Vm, _cmd: u32, _arg: usize) -> Result<isize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mmap(2)` of the device's file. Without it, `ENODEV`.
    fn mmap(&self, _vm: &Vm, _vma: &VmaNew) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// Creates a device of one type: [`crate::device::create::<T>`], type-erased.
pub(crate) type CreateFn = fn(&Arc<Vm>, CreateRequest) -> Result;

/// The table of device types, indexed by `KVM_DEV_TYPE_*` (C: `kvm_device_ops_table`).
///
/// A slot holds the creation of its type, monomorphised: the type's other operations are
/// reached through the device's file, so the table needs nothing else. It is built when the
/// module loads and dies with it, so there is no `kvm_unregister_device_ops()`.
pub(crate) struct Registry {
    table: [Option<CreateFn>; DEVICE_TYPE_MAX],
}

impl Registry {
    /// Creates an empty registry.
    pub(crate) const fn new() -> Self {
        Self {
            table: [None; DEVICE_TYPE_MAX],
        }
    }

    /// Registers `T` as device type `ty` (C: `kvm_register_device_ops()`).
    ///
    /// # Errors
    ///
    /// `ENOSPC` if `ty` is beyond the table, `EEXIST` if the slot is taken.
    pub(crate) fn register<T: DeviceType>(&mut self, ty: u32) -> Result {
        let slot = self.table.get_mut(ty as usize).ok_or(ENOSPC)?;
        if slot.is_some() {
            return Err(EEXIST);
        }
        *slot = Some(crate::device::create::<T>);
        Ok(())
    }

    /// Looks up the type `ty` that user space asked for, clamping the index under
    /// speculation as `array_index_nospec()` does.
    pub(crate) fn get(&self, ty: u32) -> Option<CreateFn> {
        *nospec::get(&self.table, ty as usize)?
    }
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_ops)]
mod tests {
    use super::*;
    use crate::devices::vfio::Vfio;

    #[test]
    fn register_semantics() {
        let mut r = Registry::new();
        assert!(r.get(4).is_none());
        assert_eq!(r.register::<Vfio>(4), Ok(()));
        assert_eq!(r.register::<Vfio>(4), Err(EEXIST));
        assert_eq!(r.register::<Vfio>(DEVICE_TYPE_MAX as u32), Err(ENOSPC));
        assert_eq!(r.register::<Vfio>(u32::MAX), Err(ENOSPC));
        let create = r.get(4).expect("type 4 is registered");
        assert!(core::ptr::fn_addr_eq(
            create,
            crate::device::create::<Vfio> as CreateFn
        ));
    }

    #[test]
    fn lookup_out_of_range() {
        let r = Registry::new();
        assert!(r.get(DEVICE_TYPE_MAX as u32).is_none());
        assert!(r.get(u32::MAX).is_none());
        assert!(r.get(0x8000_0000).is_none());
    }
}
