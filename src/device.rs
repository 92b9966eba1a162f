// SPDX-License-Identifier: GPL-2.0

//! A device (C: `struct kvm_device`), its creation and its file.
//!
//! C: `kvm_ioctl_create_device()`, `kvm_device_ioctl()`, `kvm_device_release()` in
//! [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c).
//!
//! A device is an `Arc<Device<T>>` shared by its file and its VM's device list. The file also
//! holds a reference to the VM, taken before any file exists (the CVE-2019-6974 ordering), and
//! drops it on release. One deliberate difference from C: the file descriptor is reserved first,
//! the result is copied to user space, and the descriptor is installed last, so a fault on the
//! copy leaves no descriptor and no device behind.

use core::any::TypeId;

use kernel::{
    fs::{
        anon_inode,
        file::{
            flags,
            FileDescriptorReservation, //
        },
        file_operations::FileOperations,
        File,
    },
    kvm::{
        kvm_create_device,
        KVM_GET_DEVICE_ATTR,
        KVM_HAS_DEVICE_ATTR,
        KVM_SET_DEVICE_ATTR, //
    },
    mm::virt::VmaNew,
    prelude::*,
    sync::Arc,
    types::ScopeGuard,
    uaccess::UserSliceWriter,
};

use crate::{
    attr::DeviceAttr,
    ops::DeviceType,
    stats::{
        Live,
        DEVICES, //
    },
    vm::{
        Vm,
        VmInner, //
    },
};

/// A device of type `T` on a VM.
#[pin_data]
pub(crate) struct Device<T: DeviceType> {
    /// The type's per-device state (C: `dev->private`).
    #[pin]
    state: T,
    /// Counts the device in `/sys/kernel/debug/kvm-devctl/objects`.
    _live: Live,
}

/// A device as its VM's device list sees it, whatever its type.
pub(crate) trait VmDevice: Send + Sync {
    /// Identifies the device's operations (C compares `dev->ops`).
    fn ops_id(&self) -> TypeId;

    /// Destroys the device when its VM is destroyed (C: `kvm_destroy_devices()`).
    fn destroy(&self);
}

impl<T: DeviceType> VmDevice for Device<T> {
    fn ops_id(&self) -> TypeId {
        TypeId::of::<T>()
    }

    fn destroy(&self) {
        if T::HAS_DESTROY {
            self.state.destroy();
        }
    }
}

/// What `KVM_CREATE_DEVICE` hands to the type's creation once the type is known.
pub(crate) struct CreateRequest {
    /// The structure copied in; `fd` is filled in and copied back.
    pub(crate) cd: kvm_create_device,
    /// Writes the structure back to user space.
    pub(crate) writer: UserSliceWriter,
    /// The descriptor the new file will get.
    pub(crate) reservation: FileDescriptorReservation,
}

/// Creates a device of type `T` (C: `kvm_ioctl_create_device()` past the type lookup).
///
/// Create under the VM lock and join the VM's list, init, then copy the result back and only
/// then create the file and install the descriptor. Every failure after the device joined the
/// list unwinds it as C's error path does: off the list, `release`, `destroy`.
pub(crate) fn create<T: DeviceType>(vm: &Arc<Vm>, req: CreateRequest) -> Result {
    let CreateRequest {
        mut cd,
        mut writer,
        reservation,
    } = req;
    let dev = {
        let mut inner = vm.lock();
        // Make room on the list first, so that joining it cannot fail once the device exists.
        inner.reserve_device()?;
        let locked: &mut VmInner = &mut inner;
        let dev = Arc::pin_init(
            try_pin_init!(Device::<T> {
                state <- T::create(locked, cd.type_),
                _live: Live::new(&DEVICES),
            }),
            GFP_KERNEL_ACCOUNT,
        )?;
        inner.add_device(dev.clone())?;
        dev
    };
    if T::HAS_INIT {
        dev.state.init(vm);
    }

    // From here on, a failure hands the device to `unwind`.
    let dev = ScopeGuard::new_with_data(dev, |dev| unwind(vm, dev));
    cd.fd = reservation.reserved_fd();
    writer.write(&cd)?;
    // The file holds its own reference to the VM: taken here, before any fd exists.
    let data = KBox::new(
        DeviceFile {
            vm: vm.clone(),
            dev: (*dev).clone(),
        },
        GFP_KERNEL_ACCOUNT,
    )?;
    let file = anon_inode::new_file::<DeviceFile<T>>(T::NAME, data, flags::O_RDWR)?;
    drop(dev.dismiss());
    reservation.fd_install(file);
    Ok(())
}

/// Takes a device that never got a file back out of its VM (C's error path).
fn unwind<T: DeviceType>(vm: &Vm, dev: Arc<Device<T>>) {
    {
        let mut inner = vm.lock();
        inner.remove_device(&dev);
        if T::HAS_RELEASE {
            dev.state.release(&inner);
        }
        if !T::HAS_DESTROY {
            // C: `release` frees the device under the lock; it is gone when the lock drops.
            drop(dev);
            return;
        }
    }
    dev.state.destroy();
}

/// The private data of a device's file.
pub(crate) struct DeviceFile<T: DeviceType> {
    /// The file's reference to the VM (C: `kvm_get_kvm()`/`kvm_put_kvm()`).
    vm: Arc<Vm>,
    dev: Arc<Device<T>>,
}

/// Runs an attribute accessor of the type (C: `kvm_device_ioctl_attr()`): `EPERM` if the type
/// has none, before anything is copied from user space. `$has` is a compile-time constant, so a
/// missing accessor is never referenced.
macro_rules! attr_ioctl {
    ($this:expr, $has:expr, $op:ident, $arg:expr) => {{
        if !$has {
            return Err(EPERM);
        }
        let attr = DeviceAttr::from_user($arg)?;
        $this.dev.state.$op(&$this.vm, &attr).map(|()| 0)
    }};
}

/// The file operations of a device of type `T`.
#[vtable]
impl<T: DeviceType> FileOperations for DeviceFile<T> {
    type Ptr = KBox<Self>;

    fn release(this: KBox<Self>, _file: &File) {
        let DeviceFile { vm, dev } = KBox::into_inner(this);
        if T::HAS_RELEASE {
            let mut inner = vm.lock();
            inner.remove_device(&dev);
            dev.state.release(&inner);
            // C: `release` frees the device under the lock, so that no new device of a
            // singleton type exists before the old one is gone. The file held the last
            // reference: no ioctl runs on a file being released.
            drop(dev);
        }
        // Dropping `vm` drops the file's VM reference, which may destroy the VM.
    }

    fn ioctl(this: &Self, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        this.vm.check_caller()?;
        match cmd {
            KVM_SET_DEVICE_ATTR => attr_ioctl!(this, T::HAS_SET_ATTR, set_attr, arg),
            KVM_GET_DEVICE_ATTR => attr_ioctl!(this, T::HAS_GET_ATTR, get_attr, arg),
            KVM_HAS_DEVICE_ATTR => attr_ioctl!(this, T::HAS_HAS_ATTR, has_attr, arg),
            _ if T::HAS_IOCTL => this.dev.state.ioctl(&this.vm, cmd, arg),
            _ => Err(ENOTTY),
        }
    }

    fn mmap(this: &Self, _file: &File, vma: &VmaNew) -> Result {
        if T::HAS_MMAP {
            this.dev.state.mmap(&this.vm, vma)
        } else {
            Err(ENODEV)
        }
    }
}
