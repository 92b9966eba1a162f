// SPDX-License-Identifier: GPL-2.0

//! A virtual machine (C: `struct kvm`): one per `KVM_CREATE_VM`, shown as `anon_inode:kvm-vm`.
//!
//! C: `kvm_create_vm()`, `kvm_vm_ioctl()`, `kvm_destroy_devices()` in
//! [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c).
//!
//! `Arc<Vm>` counts what C's `users_count` counts: the VM file and every vCPU and device file.
//! When the last goes, the VM is destroyed, and with it the devices still on its list.
//!
//! Lock order: [`Vm::lock`] (C: `kvm->lock`) before any lock of a device type.

use kernel::{
    alloc::flags::__GFP_ZERO,
    fs::{
        file::{
            flags,
            FileDescriptorReservation, //
        },
        file_operations::FileOperations,
        File,
    },
    kvm::{
        kvm_create_device,
        KVM_CHECK_EXTENSION,
        KVM_CREATE_DEVICE,
        KVM_CREATE_VCPU, //
    },
    mm::Mm,
    new_mutex,
    page::Page,
    prelude::*,
    sync::{
        aref::ARef,
        Arc,
        ArcBorrow,
        Mutex,
        MutexGuard, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi,
};

use crate::{
    device::{
        CreateRequest,
        VmDevice, //
    },
    ops::DeviceType,
    stats::{
        Live,
        VMS, //
    },
    system,
    vcpu::Vcpu,
};

/// A virtual machine.
#[pin_data(PinnedDrop)]
pub(crate) struct Vm {
    /// The creator's address space: only it may use the VM's files (C: `kvm->mm`).
    mm: ARef<Mm>,
    /// The page that vCPU files map at page offset 2 (C: `kvm->coalesced_mmio_ring`).
    pub(crate) coalesced_ring: Page,
    /// The state that C protects with `kvm->lock`.
    #[pin]
    inner: Mutex<VmInner>,
    /// Counts the VM in `/sys/kernel/debug/kvm-devctl/objects`.
    _live: Live,
}

/// The state of a [`Vm`] under its lock.
pub(crate) struct VmInner {
    /// The devices (C: `kvm->devices`). Nothing reads it without the lock, so unlike C it is
    /// no RCU list, and taking a device off it needs no `synchronize_rcu()`.
    devices: KVec<Arc<dyn VmDevice>>,
    /// The vCPUs, in creation order (C: `kvm->vcpu_array`).
    pub(crate) vcpus: KVec<Arc<Vcpu>>,
}

impl Vm {
    /// Creates a VM of the given type for the calling process (C: `kvm_create_vm()`).
    ///
    /// # Errors
    ///
    /// `EINVAL` for any type but 0 (`KVM_X86_DEFAULT_VM`), `ENOMEM`.
    pub(crate) fn new(ty: usize) -> Result<Arc<Self>> {
        if ty != 0 {
            return Err(EINVAL);
        }
        let task = current!();
        let mm: ARef<Mm> = ARef::from(&**task.mm().ok_or(EINVAL)?);
        let coalesced_ring = Page::alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO)?;
        Arc::pin_init(
            try_pin_init!(Self {
                mm,
                coalesced_ring,
                inner <- new_mutex!(VmInner {
                    devices: KVec::new(),
                    vcpus: KVec::new(),
                }, "Vm::inner"),
                _live: Live::new(&VMS),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// Takes the VM lock (C: `mutex_lock(&kvm->lock)`).
    pub(crate) fn lock(&self) -> MutexGuard<'_, VmInner> {
        self.inner.lock()
    }

    /// Refuses callers from any other address space than the creator's, such as a child after
    /// `fork()` (C: `kvm->mm != current->mm`, `EIO`).
    pub(crate) fn check_caller(&self) -> Result {
        match current!().mm() {
            Some(mm) if **mm == *self.mm => Ok(()),
            _ => Err(EIO),
        }
    }

    /// `KVM_CREATE_DEVICE` (C: the `kvm_vm_ioctl()` case and `kvm_ioctl_create_device()`).
    fn create_device(this: ArcBorrow<'_, Vm>, arg: usize) -> Result<isize> {
        let size = core::mem::size_of::<kvm_create_device>();
        let (mut reader, mut writer) =
            UserSlice::new(UserPtr::from_addr(arg), size).reader_writer();
        let cd = reader.read::<kvm_create_device>()?;
        let create = crate::registry().get(cd.type_).ok_or(ENODEV)?;
        // Unknown flag bits are ignored, as in C.
        if cd.flags & uapi::KVM_CREATE_DEVICE_TEST != 0 {
            // C copies the structure back even for a test, so a read-only one faults.
            writer.write(&cd)?;
            return Ok(0);
        }
        let reservation = FileDescriptorReservation::get_unused_fd_flags(flags::O_CLOEXEC)?;
        let vm: Arc<Vm> = this.into();
        create(
            &vm,
            CreateRequest {
                cd,
                writer,
                reservation,
            },
        )?;
        Ok(0)
    }
}

impl VmInner {
    /// Returns whether a device with `T`'s operations is on the VM (C: the `dev->ops` walk
    /// that singleton types do in `create`).
    pub(crate) fn has_device<T: DeviceType>(&self) -> bool {
        let id = core::any::TypeId::of::<T>();
        self.devices.iter().any(|d| d.ops_id() == id)
    }

    /// Makes room for one more device, so that [`VmInner::add_device`] does not allocate.
    pub(crate) fn reserve_device(&mut self) -> Result {
        self.devices.reserve(1, GFP_KERNEL_ACCOUNT)?;
        Ok(())
    }

    /// Puts a device on the VM's list (C: `list_add_rcu(&dev->vm_node, &kvm->devices)`).
    pub(crate) fn add_device(&mut self, dev: Arc<dyn VmDevice>) -> Result {
        self.devices.push(dev, GFP_KERNEL_ACCOUNT)?;
        Ok(())
    }

    /// Takes a device off the VM's list (C: `list_del_rcu()`, without `synchronize_rcu()`).
    pub(crate) fn remove_device<D: VmDevice>(&mut self, dev: &Arc<D>) {
        let target = Arc::as_ptr(dev).cast::<u8>();
        if let Some(i) = self
            .devices
            .iter()
            .position(|d| core::ptr::eq(Arc::as_ptr(d).cast::<u8>(), target))
        {
            // Keep creation order: the VM destroys its devices newest first, as C does.
            drop(self.devices.remove(i));
        }
    }
}

#[pinned_drop]
impl PinnedDrop for Vm {
    /// Destroys the vCPUs, then the devices still on the VM, newest first (C:
    /// `kvm_destroy_vm()`: `kvm_arch_destroy_vm()`, then `kvm_destroy_devices()` walking a
    /// list that `KVM_CREATE_DEVICE` adds to at the head).
    fn drop(self: Pin<&mut Self>) {
        let (vcpus, devices) = {
            let mut inner = self.inner.lock();
            (
                core::mem::take(&mut inner.vcpus),
                core::mem::take(&mut inner.devices),
            )
        };
        drop(vcpus);
        for dev in devices.iter().rev() {
            dev.destroy();
        }
    }
}

/// The file operations of a VM.
#[vtable]
impl FileOperations for Vm {
    type Ptr = Arc<Vm>;
    const NOOP_LLSEEK: bool = true;

    /// The ioctl handler: `kvm_vm_ioctl()`.
    fn ioctl(this: ArcBorrow<'_, Vm>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        this.check_caller()?;
        match cmd {
            KVM_CREATE_VCPU => Vcpu::create(this.into(), arg),
            KVM_CREATE_DEVICE => Vm::create_device(this, arg),
            KVM_CHECK_EXTENSION => Ok(system::check_extension(arg)),
            // `kvm_arch_vm_ioctl()` on x86 answers the rest with ENOTTY.
            _ => Err(ENOTTY),
        }
    }
}
