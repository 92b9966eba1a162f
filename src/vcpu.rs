// SPDX-License-Identifier: GPL-2.0

//! A virtual CPU (C: `struct kvm_vcpu`), shown as `anon_inode:kvm-vcpu:<id>`.
//!
//! C: `kvm_vm_ioctl_create_vcpu()`, `kvm_vcpu_ioctl()`, `kvm_vcpu_mmap()` in
//! [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c).
//!
//! arm64: `kvm_arch_vcpu_precreate()`, `kvm_arch_vcpu_ioctl_vcpu_init()`,
//! `kvm_vcpu_set_target()`, `kvm_vcpu_init_check_features()` in
//! [`arch/arm64/kvm/arm.c`](srctree/arch/arm64/kvm/arm.c).
//!
//! kvm-devctl runs no guest: a vCPU exists so that device types can address it (by id, or on
//! arm64 by MPIDR) and so that clients can create and map it as they do with KVM. Its file maps
//! `struct kvm_run` at page offset 0, then on x86 the PIO page at 1 and the VM's coalesced MMIO
//! ring at 2, on arm64 the ring at 1. An arm64 vCPU has MPIDR 0 until `KVM_ARM_VCPU_INIT`
//! resets it to the value its id gives ([`mpidr_of`]). Like C, a vCPU lives until its VM is
//! destroyed; closing its file only drops the file's VM reference.

use kernel::{
    alloc::flags::__GFP_ZERO,
    fs::{
        anon_inode,
        file::{
            flags,
            FileDescriptorReservation, //
        },
        file_operations::FileOperations,
        File,
    },
    ioctl::_IOC_TYPE,
    kvm::KVMIO,
    mm::virt::VmaNew,
    new_mutex,
    page::{
        Page,
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    prelude::*,
    str::CString,
    sync::{
        Arc,
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
        mpidr_of,
        Arch,
        KVM_ARM_VCPU_INIT, //
    },
    devices::vgic,
    stats::{
        Live,
        VCPUS, //
    },
    vm::Vm,
};

/// The `KVM_ARM_VCPU_*` features the modelled arm64 host supports (C:
/// `system_supported_vcpu_features()`): powered-off start and PSCI 0.2. kvm-devctl models no
/// 32-bit EL1, PMU, SVE, pointer authentication or nested virtualisation.
const ARM64_SUPPORTED_FEATURES: u32 =
    1 << uapi::KVM_ARM_VCPU_POWER_OFF | 1 << uapi::KVM_ARM_VCPU_PSCI_0_2;
/// The features arm64 knows of (C: `KVM_VCPU_VALID_FEATURES`, `KVM_VCPU_MAX_FEATURES` bits).
const ARM64_VALID_FEATURES: u32 = (1 << 10) - 1;

/// A virtual CPU.
#[pin_data]
pub(crate) struct Vcpu {
    /// The id user space gave it (C: `vcpu->vcpu_id`).
    pub(crate) id: u32,
    /// `struct kvm_run` (C: `vcpu->run`).
    run: Page,
    /// The PIO data page (C: `vcpu->arch.pio_data`); x86 only.
    pio: Option<Page>,
    /// arm64 state (C: `vcpu->arch`), taken after the VM lock.
    #[pin]
    arm: Mutex<ArmVcpu>,
    /// Counts the vCPU in `/sys/kernel/debug/kvm-devctl/objects`.
    _live: Live,
}

/// The arm64 state of a vCPU that kvm-devctl models.
#[derive(Default)]
pub(crate) struct ArmVcpu {
    /// `MPIDR_EL1`: 0 until the first reset (C: `vcpu_read_sys_reg(vcpu, MPIDR_EL1)`).
    pub(crate) mpidr: u64,
    /// The GICv3 redistributor slot, as (region index, slot in the region), once placed (C:
    /// `vgic_cpu->rdreg` and `rdreg_index`).
    pub(crate) rd: Option<(u32, u32)>,
    /// The private interrupts (of a GICv3 or a GICv2) and the GICv3 redistributor state,
    /// `GICR_PENDBASER` (C: `vcpu->arch.vgic_cpu`).
    pub(crate) redist: crate::devices::vgic::redist::RedistState,
    /// The GICv3 CPU interface (C: `vcpu->arch.vgic_cpu.vgic_v3`).
    pub(crate) cpuif: crate::devices::vgic::sysregs::CpuIf,
    /// The GICv2 CPU interface (C: `vcpu->arch.vgic_cpu.vgic_v2`).
    pub(crate) gicc: crate::devices::vgic::cpuif_v2::GiccState,
}

impl Vcpu {
    /// `KVM_CREATE_VCPU` (C: `kvm_vm_ioctl_create_vcpu()`): returns the new file descriptor.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id of `KVM_MAX_VCPU_IDS` or more, when the VM has its most vCPUs, or on
    /// arm64 for an id of the VM's `max_vcpus` or more; `EEXIST` for an id in use; `ENOMEM`,
    /// `EMFILE`.
    pub(crate) fn create(vm: Arc<Vm>, id: usize) -> Result<isize> {
        let mut inner = vm.lock();
        if id >= vm.arch.max_vcpu_ids() {
            return Err(EINVAL);
        }
        if inner.vcpus.len() >= inner.max_vcpus {
            return Err(EINVAL);
        }
        // CAST: `id < KVM_MAX_VCPU_IDS`, which fits in u32.
        let id = id as u32;
        if inner.vcpus.iter().any(|v| v.id == id) {
            return Err(EEXIST);
        }
        // C: arm64's `kvm_arch_vcpu_precreate()`.
        if matches!(vm.arch, Arch::Arm64(_)) {
            if inner.vgic.initialized {
                return Err(EBUSY);
            }
            if id as usize >= inner.max_vcpus {
                return Err(EINVAL);
            }
        }
        inner.vcpus.reserve(1, GFP_KERNEL_ACCOUNT)?;
        let pio = match vm.arch {
            Arch::X86 => Some(Page::alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO)?),
            Arch::Arm64(_) => None,
        };
        let vcpu = Arc::pin_init(
            try_pin_init!(Vcpu {
                id,
                run: Page::alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO)?,
                pio,
                arm <- new_mutex!(ArmVcpu::default(), "Vcpu::arm"),
                _live: Live::new(&VCPUS),
            }),
            GFP_KERNEL_ACCOUNT,
        )?;
        let name = CString::try_from_fmt(fmt!("kvm-vcpu:{id}"))?;
        let reservation = FileDescriptorReservation::get_unused_fd_flags(flags::O_CLOEXEC)?;
        let data = KBox::new(
            VcpuFile {
                vm: vm.clone(),
                vcpu: vcpu.clone(),
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        let file = anon_inode::new_file::<VcpuFile>(&name, data, flags::O_RDWR)?;
        let online = inner.vcpus.len();
        inner.vcpus.push(vcpu, GFP_KERNEL_ACCOUNT)?;
        // C: `kvm_vgic_vcpu_init()` from `kvm_arch_vcpu_create()`: a vCPU created after the
        // redistributors are placed takes a slot, or fails if the frames overlap.
        if inner.vgic.model == Some(uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V3) {
            if let Err(e) = vgic::assign_redists(&mut inner, vm.ipa_bits, online) {
                inner.vcpus.pop();
                return Err(e);
            }
        }
        let fd = reservation.reserved_fd();
        reservation.fd_install(file);
        Ok(fd as isize)
    }
}

impl Vcpu {
    /// The vCPU's MPIDR: 0 until `KVM_ARM_VCPU_INIT` (C: `kvm_vcpu_get_mpidr_aff()` reads
    /// `MPIDR_EL1`, which the first reset sets).
    pub(crate) fn mpidr(&self) -> u64 {
        self.arm.lock().mpidr
    }

    /// Locks the vCPU's arm64 state; the caller holds the VM lock.
    pub(crate) fn arm_lock(&self) -> MutexGuard<'_, ArmVcpu> {
        self.arm.lock()
    }

    /// `KVM_ARM_VCPU_INIT` (C: the `kvm_arch_vcpu_ioctl()` case and
    /// `kvm_arch_vcpu_ioctl_vcpu_init()`).
    ///
    /// # Errors
    ///
    /// `EFAULT` if the structure cannot be read; `EINVAL` for a target other than
    /// `KVM_ARM_TARGET_GENERIC_V8`, a feature the host does not support, or features other
    /// than those the VM's vCPUs were first initialised with; `ENOENT` for a feature bit
    /// arm64 does not know.
    fn arm_init(&self, vm: &Vm, arg: usize) -> Result<isize> {
        let size = core::mem::size_of::<uapi::kvm_vcpu_init>();
        let init = UserSlice::new(UserPtr::from_addr(arg), size)
            .reader()
            .read::<[u32; 8]>()?;
        let (target, words) = (init[0], &init[1..]);
        // The power-off feature applies to this call only (not modelled: no vCPU runs).
        let features = words[0] & !(1 << uapi::KVM_ARM_VCPU_POWER_OFF);
        // C: `kvm_vcpu_set_target()`.
        if target != uapi::KVM_ARM_TARGET_GENERIC_V8 {
            return Err(EINVAL);
        }
        // C: `kvm_vcpu_init_check_features()`.
        if features & !ARM64_VALID_FEATURES != 0 || words[1..].iter().any(|&w| w != 0) {
            return Err(ENOENT);
        }
        if features & !ARM64_SUPPORTED_FEATURES != 0 {
            return Err(EINVAL);
        }
        let mut inner = vm.lock();
        let mut arm = self.arm.lock();
        // C: `kvm_vcpu_init_changed()`, checked by `__kvm_vcpu_set_target()` for a first init
        // and by `kvm_vcpu_set_target()` for a later one.
        if inner.vcpu_features.is_some_and(|f| f != features) {
            return Err(EINVAL);
        }
        inner.vcpu_features = Some(features);
        // C: `kvm_reset_vcpu()`: `reset_mpidr()` is the only reset kvm-devctl models.
        arm.mpidr = mpidr_of(self.id);
        Ok(0)
    }
}

/// The private data of a vCPU's file.
pub(crate) struct VcpuFile {
    /// The file's reference to the VM (C: `kvm_get_kvm()`/`kvm_put_kvm()`).
    vm: Arc<Vm>,
    vcpu: Arc<Vcpu>,
}

/// The file operations of a vCPU.
#[vtable]
impl FileOperations for VcpuFile {
    type Ptr = KBox<Self>;
    const NOOP_LLSEEK: bool = true;

    /// The ioctl handler: `kvm_vcpu_ioctl()`.
    fn ioctl(this: &Self, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        this.vm.check_caller()?;
        if _IOC_TYPE(cmd) != KVMIO {
            return Err(EINVAL);
        }
        match (this.vm.arch, cmd) {
            (Arch::Arm64(_), KVM_ARM_VCPU_INIT) => this.vcpu.arm_init(&this.vm, arg),
            // `kvm_arch_vcpu_ioctl()` of x86 and arm64 answers unknown ioctls with EINVAL.
            _ => Err(EINVAL),
        }
    }

    /// Maps the vCPU's pages (C: `kvm_vcpu_mmap()` and `kvm_vcpu_fault()`).
    fn mmap(this: &Self, _file: &File, vma: &VmaNew) -> Result {
        let map = vma.set_mixedmap();
        let pages = (vma.end() - vma.start()) >> PAGE_SHIFT;
        let arch = this.vm.arch;
        for i in 0..pages.min(arch.vcpu_mmap_pages()) {
            let page = match (vma.pgoff().checked_add(i), &this.vcpu.pio) {
                (Some(0), _) => &this.vcpu.run,
                (Some(n), _) if n == arch.coalesced_mmio_page() => &this.vm.coalesced_ring,
                (Some(1), Some(pio)) => pio,
                _ => break,
            };
            map.vm_insert_page(vma.start() + i * PAGE_SIZE, page)?;
        }
        Ok(())
    }
}
