// SPDX-License-Identifier: GPL-2.0

//! A virtual machine (C: `struct kvm`): one per `KVM_CREATE_VM`, shown as `anon_inode:kvm-vm`.
//!
//! C: `kvm_create_vm()`, `kvm_vm_ioctl()`, `kvm_destroy_devices()` in
//! [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c); for a VM of the arm64 node,
//! `kvm_arch_vm_ioctl()` in [`arch/arm64/kvm/arm.c`](srctree/arch/arm64/kvm/arm.c).
//!
//! A VM answers as the node that created it ([`Arch`]). An x86 VM has vCPUs and devices only;
//! an arm64 VM also has guest memory ([`Memslots`]), vCPU features fixed by the first
//! `KVM_ARM_VCPU_INIT`, and the legacy VGIC ioctls.
//!
//! `Arc<Vm>` counts what C's `users_count` counts: the VM file and every vCPU and device file.
//! When the last goes, the VM is destroyed, and with it the devices still on its list.
//!
//! Lock order: [`Vm::lock`] (C: `kvm->lock`, which also stands for arm64's
//! `kvm->arch.config_lock`) before a vCPU's lock and any lock of a device type; the memslots'
//! lock (C: `kvm->slots_lock`) is taken last and held only to look up or copy.

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
        kvm_arm_device_addr,
        kvm_create_device,
        kvm_userspace_memory_region,
        KVM_ARM_SET_DEVICE_ADDR,
        KVM_CHECK_EXTENSION,
        KVM_CREATE_DEVICE,
        KVM_CREATE_VCPU,
        KVM_HAS_DEVICE_ATTR,
        KVM_SET_DEVICE_ATTR,
        KVM_SET_USER_MEMORY_REGION, //
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
    arch::{
        Arch,
        KVM_ARM_PREFERRED_TARGET,
        KVM_CREATE_IRQCHIP, //
    },
    attr::DeviceAttr,
    device::{
        CreateRequest,
        VmDevice, //
    },
    devices::vgic,
    memslot::Memslots,
    ops::DeviceType,
    stats::{
        Live,
        VMS, //
    },
    vcpu::Vcpu,
};

/// A virtual machine.
#[pin_data(PinnedDrop)]
pub(crate) struct Vm {
    /// The KVM the VM answers as: that of the node that created it.
    pub(crate) arch: Arch,
    /// arm64: the guest-physical address size in bits (C: `kvm_phys_shift()`).
    pub(crate) ipa_bits: u32,
    /// The creator's address space: only it may use the VM's files (C: `kvm->mm`).
    mm: ARef<Mm>,
    /// The page that vCPU files map at page offset 2 (C: `kvm->coalesced_mmio_ring`).
    pub(crate) coalesced_ring: Page,
    /// The state that C protects with `kvm->lock`.
    #[pin]
    inner: Mutex<VmInner>,
    /// The guest memory (C: `kvm->memslots` under `kvm->slots_lock`); arm64 VMs only.
    #[pin]
    memslots: Mutex<Memslots>,
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
    /// The most vCPUs the VM may have (C: `kvm->max_vcpus`).
    pub(crate) max_vcpus: usize,
    /// arm64: the features of every vCPU, fixed by the first `KVM_ARM_VCPU_INIT` (C:
    /// `kvm->arch.vcpu_features` once `KVM_ARCH_FLAG_VCPU_FEATURES_CONFIGURED` is set).
    pub(crate) vcpu_features: Option<u32>,
    /// arm64: the VGIC (C: `kvm->arch.vgic`, under `kvm->arch.config_lock`).
    pub(crate) vgic: vgic::Dist,
}

impl Vm {
    /// Creates a VM of the given type for the calling process (C: `kvm_create_vm()`).
    ///
    /// # Errors
    ///
    /// `EINVAL` for a type the architecture refuses ([`Arch::vm_config`]), `ENOMEM`.
    pub(crate) fn new(arch: Arch, ty: usize) -> Result<Arc<Self>> {
        let config = arch.vm_config(ty)?;
        let task = current!();
        let mm: ARef<Mm> = ARef::from(&**task.mm().ok_or(EINVAL)?);
        let coalesced_ring = Page::alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO)?;
        Arc::pin_init(
            try_pin_init!(Self {
                arch,
                ipa_bits: config.ipa_bits,
                mm,
                coalesced_ring,
                inner <- new_mutex!(VmInner {
                    devices: KVec::new(),
                    vcpus: KVec::new(),
                    max_vcpus: arch.default_max_vcpus(),
                    vcpu_features: None,
                    vgic: vgic::Dist::new(),
                }, "Vm::inner"),
                memslots <- new_mutex!(Memslots::new(config.ipa_bits), "Vm::memslots"),
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
        let create = crate::registry(this.arch).get(cd.type_).ok_or(ENODEV)?;
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

impl Vm {
    /// `KVM_SET_USER_MEMORY_REGION` (C: the `kvm_vm_ioctl()` case).
    fn set_user_memory_region(&self, arg: usize) -> Result<isize> {
        let size = core::mem::size_of::<kvm_userspace_memory_region>();
        let mem = UserSlice::new(UserPtr::from_addr(arg), size)
            .reader()
            .read::<kvm_userspace_memory_region>()?;
        self.memslots.lock().set(&mem)?;
        Ok(0)
    }

    /// Reads guest memory at `gpa` (C: `kvm_read_guest()`): see [`Memslots::read_guest`].
    pub(crate) fn read_guest(&self, gpa: u64, buf: &mut [u8]) -> Result {
        self.memslots.lock().read_guest(gpa, buf)
    }

    /// Writes guest memory at `gpa` (C: `kvm_write_guest()`): see [`Memslots::write_guest`].
    pub(crate) fn write_guest(&self, gpa: u64, buf: &[u8]) -> Result {
        self.memslots.lock().write_guest(gpa, buf)
    }

    /// Returns whether a memslot covers `gpa` (C: `kvm_is_visible_gfn()`): see
    /// [`Memslots::is_visible`].
    pub(crate) fn is_visible_gfn(&self, gpa: u64) -> bool {
        self.memslots.lock().is_visible(gpa)
    }

    /// The VM ioctls of arm64 (C: arm64's `kvm_arch_vm_ioctl()`).
    fn arm64_ioctl(&self, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            KVM_SET_USER_MEMORY_REGION => self.set_user_memory_region(arg),
            KVM_CREATE_IRQCHIP => vgic::create_irqchip(self.arch, &mut self.lock()).map(|()| 0),
            KVM_ARM_SET_DEVICE_ADDR => {
                let size = core::mem::size_of::<kvm_arm_device_addr>();
                let dev_addr = UserSlice::new(UserPtr::from_addr(arg), size)
                    .reader()
                    .read::<kvm_arm_device_addr>()?;
                vgic::set_legacy_v2_addr(&mut self.lock(), self.ipa_bits, &dev_addr).map(|()| 0)
            }
            KVM_ARM_PREFERRED_TARGET => {
                // C: `struct kvm_vcpu_init` with the generic target and no features.
                let mut init = [0u32; 8];
                init[0] = uapi::KVM_ARM_TARGET_GENERIC_V8;
                let size = core::mem::size_of::<uapi::kvm_vcpu_init>();
                UserSlice::new(UserPtr::from_addr(arg), size)
                    .writer()
                    .write(&init)?;
                Ok(0)
            }
            // VM attributes: the structure is copied in, and kvm-devctl has none of arm64's
            // groups (C: `kvm_vm_has_attr()`, `kvm_vm_set_attr()`).
            KVM_HAS_DEVICE_ATTR | KVM_SET_DEVICE_ATTR => {
                DeviceAttr::from_user(arg)?;
                Err(ENXIO)
            }
            // arm64's `kvm_arch_vm_ioctl()` answers the rest with EINVAL.
            _ => Err(EINVAL),
        }
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
            // The VM's state, under its lock, only for the capabilities that read it.
            KVM_CHECK_EXTENSION => {
                match this
                    .arch
                    .check_extension(Some(&|| this.lock().max_vcpus), arg)
                {
                    // arm64: `kvm->arch.vgic.msis_require_devid`, which an ITS sets.
                    Ok(0)
                        if arg == uapi::KVM_CAP_MSI_DEVID as usize
                            && this.lock().vgic.lpis.msis_require_devid =>
                    {
                        Ok(1)
                    }
                    r => r,
                }
            }
            _ => match this.arch {
                Arch::Arm64(_) => this.arm64_ioctl(cmd, arg),
                // `kvm_arch_vm_ioctl()` on x86 answers the rest with ENOTTY.
                Arch::X86 => Err(ENOTTY),
            },
        }
    }
}
