// SPDX-License-Identifier: GPL-2.0

//! Which KVM a node answers as: x86 or arm64. One personality per system device node.
//!
//! `/dev/kvm-devctl` answers as x86 KVM, `/dev/kvm-devctl-arm64` as arm64 KVM 7.3 on a GICv3
//! host (QEMU's `virt,gic-version=3` with `-cpu max`, where the golden VGIC transcripts come
//! from), `/dev/kvm-devctl-arm64-gicv2` as the same KVM on a GICv2 host (`virt,gic-version=2`):
//! the host's GIC ([`HostGic`]) is a property of the arm64 personality, which decides the VGIC
//! its KVM can emulate and how many vCPUs a VM may have. A VM keeps the [`Arch`] of the node that created it, and every answer that differs
//! between the two architectures is taken from here: capabilities, VM types, vCPU limits, the
//! vCPU mmap layout, the ioctl numbers that exist only on arm64.
//!
//! C: `kvm_vm_ioctl_check_extension()`, `kvm_arch_init_vm()`, `kvm_arch_vcpu_precreate()` in
//! [`arch/arm64/kvm/arm.c`](srctree/arch/arm64/kvm/arm.c); `kvm_init_ipa_range()` in
//! [`arch/arm64/kvm/mmu.c`](srctree/arch/arm64/kvm/mmu.c); the x86 counterparts in
//! [`arch/x86/kvm/x86.c`](srctree/arch/x86/kvm/x86.c).

use kernel::{
    cpu,
    ioctl::{
        _IO,
        _IOR,
        _IOW, //
    },
    kvm::KVMIO,
    prelude::*,
    uapi,
};

use crate::memslot::KVM_USER_MEM_SLOTS;

/// `KVM_CREATE_IRQCHIP` (arm64: create a GICv2 the legacy way).
pub(crate) const KVM_CREATE_IRQCHIP: u32 = _IO(KVMIO, 0x60);
/// `KVM_ARM_VCPU_INIT`.
pub(crate) const KVM_ARM_VCPU_INIT: u32 = _IOW::<uapi::kvm_vcpu_init>(KVMIO, 0xae);
/// `KVM_ARM_PREFERRED_TARGET`.
pub(crate) const KVM_ARM_PREFERRED_TARGET: u32 = _IOR::<uapi::kvm_vcpu_init>(KVMIO, 0xaf);

// The numbers user space computes from arm64's <asm/kvm.h>.
const _: () = {
    assert!(KVM_CREATE_IRQCHIP == 0xae60);
    assert!(KVM_ARM_VCPU_INIT == 0x4020_aeae);
    assert!(KVM_ARM_PREFERRED_TARGET == 0x8020_aeaf);
};

/// The largest IPA size the modelled arm64 host supports (C: `get_kvm_ipa_limit()`; QEMU's
/// `-cpu max` has a 52-bit PARange).
pub(crate) const ARM64_IPA_LIMIT: u32 = 52;
/// The IPA size of a VM created with type 0 (C: `KVM_PHYS_SHIFT`).
pub(crate) const ARM64_DEFAULT_IPA: u32 = 40;
/// The smallest IPA size a VM type may ask for (C: `ARM64_MIN_PARANGE_BITS`).
const ARM64_MIN_IPA: u32 = 32;
/// arm64's bound on vCPUs (C: `KVM_MAX_VCPUS`, `VGIC_V3_MAX_CPUS`), which also bounds vCPU
/// ids (C: `KVM_MAX_VCPU_IDS` defaults to `KVM_MAX_VCPUS`).
const ARM64_MAX_VCPUS: usize = 512;

/// The most vCPUs an x86 VM can have (C: `KVM_MAX_VCPUS`, `CONFIG_KVM_MAX_NR_VCPUS`).
const X86_MAX_VCPUS: usize = 1024;
/// The bound on x86 vCPU ids (C: `KVM_MAX_VCPU_IDS`, `KVM_MAX_VCPUS * KVM_VCPU_ID_RATIO`).
const X86_MAX_VCPU_IDS: usize = X86_MAX_VCPUS * 4;

/// The architecture a node, and each VM it creates, answers as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Arch {
    /// x86 KVM (`kvm_amd`/`kvm_intel`), as the real `/dev/kvm` of the test guest.
    X86,
    /// arm64 KVM with a VGIC, on a host with the given GIC.
    Arm64(HostGic),
}

/// The GIC of the modelled arm64 host (C: `kvm_vgic_global_state.type` as `vgic_v3_probe()` or
/// `vgic_v2_probe()` sets it up).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum HostGic {
    /// A GICv3 without the GICv2 compatibility interface: its KVM emulates a GICv3 only (C:
    /// `VGIC_V3`, `can_emulate_gicv2` false).
    V3,
    /// A GICv2: its KVM emulates a GICv2 only, for at most 8 vCPUs (C: `VGIC_V2`,
    /// `can_emulate_gicv2` true).
    V2,
}

/// A system device's personality, as a type: `System<P>` is the node of `P::ARCH`.
pub(crate) trait Personality: Send + Sync + 'static {
    /// The architecture the node answers as.
    const ARCH: Arch;
}

/// The personality of `/dev/kvm-devctl`.
pub(crate) struct X86Node;

impl Personality for X86Node {
    const ARCH: Arch = Arch::X86;
}

/// The personality of `/dev/kvm-devctl-arm64`.
pub(crate) struct Arm64Node;

impl Personality for Arm64Node {
    const ARCH: Arch = Arch::Arm64(HostGic::V3);
}

/// The personality of `/dev/kvm-devctl-arm64-gicv2`.
pub(crate) struct Arm64GicV2Node;

impl Personality for Arm64GicV2Node {
    const ARCH: Arch = Arch::Arm64(HostGic::V2);
}

/// What `KVM_CREATE_VM`'s type asks for, once checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct VmConfig {
    /// The guest-physical address size in bits (arm64); 0 on x86, which does not bound it.
    pub(crate) ipa_bits: u32,
}

impl Arch {
    /// Checks the type of `KVM_CREATE_VM` (C: `kvm_arch_init_vm()` and, on arm64,
    /// `kvm_init_ipa_range()`).
    ///
    /// # Errors
    ///
    /// x86: `EINVAL` for any type but 0 (`KVM_X86_DEFAULT_VM`). arm64: `EINVAL` for bits
    /// outside `KVM_VM_TYPE_ARM_MASK`, for `KVM_VM_TYPE_ARM_PROTECTED` (no pKVM), and for an
    /// IPA size outside 32 to [`ARM64_IPA_LIMIT`] bits; 0 means the default, 40 bits.
    pub(crate) fn vm_config(self, ty: usize) -> Result<VmConfig> {
        match self {
            Arch::X86 if ty == 0 => Ok(VmConfig { ipa_bits: 0 }),
            Arch::X86 => Err(EINVAL),
            Arch::Arm64(_) => {
                let mask = (uapi::KVM_VM_TYPE_ARM_IPA_SIZE_MASK | uapi::KVM_VM_TYPE_ARM_PROTECTED)
                    as usize;
                if ty & !mask != 0 || ty & uapi::KVM_VM_TYPE_ARM_PROTECTED as usize != 0 {
                    return Err(EINVAL);
                }
                // CAST: masked to 8 bits.
                let ipa = (ty & uapi::KVM_VM_TYPE_ARM_IPA_SIZE_MASK as usize) as u32;
                match ipa {
                    0 => Ok(VmConfig {
                        ipa_bits: ARM64_DEFAULT_IPA,
                    }),
                    ARM64_MIN_IPA..=ARM64_IPA_LIMIT => Ok(VmConfig { ipa_bits: ipa }),
                    _ => Err(EINVAL),
                }
            }
        }
    }

    /// The most vCPUs a new VM may have (C: `kvm->max_vcpus` as `kvm_create_vm()` and arm64's
    /// `kvm_arch_init_vm()` set it; on arm64 the host's GIC bounds it,
    /// `kvm_vgic_get_max_vcpus()`).
    pub(crate) fn default_max_vcpus(self) -> usize {
        match self {
            Arch::X86 => X86_MAX_VCPUS,
            Arch::Arm64(HostGic::V3) => crate::devices::vgic::VGIC_V3_MAX_CPUS,
            Arch::Arm64(HostGic::V2) => crate::devices::vgic::VGIC_V2_MAX_CPUS,
        }
    }

    /// The bound on vCPU ids (C: `KVM_MAX_VCPU_IDS`).
    pub(crate) fn max_vcpu_ids(self) -> usize {
        match self {
            Arch::X86 => X86_MAX_VCPU_IDS,
            Arch::Arm64(_) => ARM64_MAX_VCPUS,
        }
    }

    /// How many pages a vCPU file maps (C: `KVM_GET_VCPU_MMAP_SIZE`): `struct kvm_run`, x86's
    /// PIO page, the coalesced MMIO ring.
    pub(crate) fn vcpu_mmap_pages(self) -> usize {
        match self {
            Arch::X86 => 3,
            Arch::Arm64(_) => 2,
        }
    }

    /// The page offset of the coalesced MMIO ring in a vCPU mapping (C:
    /// `KVM_COALESCED_MMIO_PAGE_OFFSET`).
    pub(crate) fn coalesced_mmio_page(self) -> usize {
        match self {
            Arch::X86 => 2,
            Arch::Arm64(_) => 1,
        }
    }

    /// Answers `KVM_CHECK_EXTENSION` on the system device (`vm_max_vcpus` is `None`) or on a
    /// VM, for the capabilities kvm-devctl implements; 0 for the rest. `vm_max_vcpus` reads the
    /// VM's vCPU limit, which only the vCPU-limit capabilities need.
    ///
    /// C compares the argument as a `long`, so only an exact value matches.
    ///
    /// # Errors
    ///
    /// arm64's `KVM_CAP_MSI_DEVID` on the system device is `EINVAL`, as in C.
    pub(crate) fn check_extension(
        self,
        vm_max_vcpus: Option<&dyn Fn() -> usize>,
        cap: usize,
    ) -> Result<isize> {
        const DEVICE_CTRL: usize = uapi::KVM_CAP_DEVICE_CTRL as usize;
        const CHECK_EXTENSION_VM: usize = uapi::KVM_CAP_CHECK_EXTENSION_VM as usize;
        const MAX_VCPUS: usize = uapi::KVM_CAP_MAX_VCPUS as usize;
        const MAX_VCPU_ID: usize = uapi::KVM_CAP_MAX_VCPU_ID as usize;
        const NR_VCPUS: usize = uapi::KVM_CAP_NR_VCPUS as usize;
        const USER_MEMORY: usize = uapi::KVM_CAP_USER_MEMORY as usize;
        const DESTROY_MEMORY_REGION_WORKS: usize =
            uapi::KVM_CAP_DESTROY_MEMORY_REGION_WORKS as usize;
        const JOIN_MEMORY_REGIONS_WORKS: usize = uapi::KVM_CAP_JOIN_MEMORY_REGIONS_WORKS as usize;
        const NR_MEMSLOTS: usize = uapi::KVM_CAP_NR_MEMSLOTS as usize;
        const READONLY_MEM: usize = uapi::KVM_CAP_READONLY_MEM as usize;
        const IRQCHIP: usize = uapi::KVM_CAP_IRQCHIP as usize;
        const ARM_SET_DEVICE_ADDR: usize = uapi::KVM_CAP_ARM_SET_DEVICE_ADDR as usize;
        const ARM_VM_IPA_SIZE: usize = uapi::KVM_CAP_ARM_VM_IPA_SIZE as usize;
        const MSI_DEVID: usize = uapi::KVM_CAP_MSI_DEVID as usize;

        // Read only for the capabilities that need it: a call into C for every check costs more
        // than the check.
        let online = || cpu::num_online_cpus() as usize;
        let r = match (self, cap) {
            // kvm_vm_ioctl_check_extension_generic(), for both.
            (_, DEVICE_CTRL | CHECK_EXTENSION_VM) => 1,
            // x86: only the vCPU limits; the VM answers as the system device.
            (Arch::X86, NR_VCPUS) => online().min(X86_MAX_VCPUS),
            (Arch::X86, MAX_VCPUS) => X86_MAX_VCPUS,
            (Arch::X86, MAX_VCPU_ID) => X86_MAX_VCPU_IDS,
            (Arch::X86, _) => 0,
            // arm64: memslots are implemented, with read-only ones.
            (
                Arch::Arm64(_),
                USER_MEMORY
                | DESTROY_MEMORY_REGION_WORKS
                | JOIN_MEMORY_REGIONS_WORKS
                | READONLY_MEM,
            ) => 1,
            (Arch::Arm64(_), NR_MEMSLOTS) => KVM_USER_MEM_SLOTS,
            // A VGIC is present (C: `vgic_present`).
            (Arch::Arm64(_), IRQCHIP | ARM_SET_DEVICE_ADDR) => 1,
            // Not bounded by KVM_CAP_MAX_VCPUS on arm64 (see the comment in arm.c).
            (Arch::Arm64(_), NR_VCPUS) => online().min(self.default_max_vcpus()),
            (Arch::Arm64(_), MAX_VCPUS | MAX_VCPU_ID) => {
                vm_max_vcpus.map_or(self.default_max_vcpus(), |max_vcpus| max_vcpus())
            }
            (Arch::Arm64(_), ARM_VM_IPA_SIZE) => ARM64_IPA_LIMIT as usize,
            // No ITS requires a device id yet (C: `kvm->arch.vgic.msis_require_devid`).
            (Arch::Arm64(_), MSI_DEVID) => return vm_max_vcpus.map(|_| 0).ok_or(EINVAL),
            (Arch::Arm64(_), _) => 0,
        };
        // CAST: every value above is at most KVM_USER_MEM_SLOTS or a vCPU bound.
        Ok(r as isize)
    }
}

/// The MPIDR that arm64's reset gives a vCPU (C: `kvm_calculate_mpidr()` in
/// [`arch/arm64/kvm/sys_regs.h`](srctree/arch/arm64/kvm/sys_regs.h)): Aff0 holds the low 4
/// bits of the id, Aff1 the next 8, Aff2 the next 8, and bit 31 (RES1) is set.
pub(crate) fn mpidr_of(vcpu_id: u32) -> u64 {
    let id = u64::from(vcpu_id);
    (id & 0x0f) | (((id >> 4) & 0xff) << 8) | (((id >> 12) & 0xff) << 16) | (1 << 31)
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_arch)]
mod tests {
    use super::*;

    #[test]
    fn arm64_vm_types() {
        let a = Arch::Arm64(HostGic::V3);
        assert_eq!(a.vm_config(0).map(|c| c.ipa_bits), Ok(40));
        assert_eq!(a.vm_config(32).map(|c| c.ipa_bits), Ok(32));
        assert_eq!(a.vm_config(52).map(|c| c.ipa_bits), Ok(52));
        assert_eq!(a.vm_config(31), Err(EINVAL));
        assert_eq!(a.vm_config(53), Err(EINVAL));
        assert_eq!(a.vm_config(0x100), Err(EINVAL));
        assert_eq!(a.vm_config(1 << 31), Err(EINVAL));
        assert_eq!(Arch::X86.vm_config(0).map(|c| c.ipa_bits), Ok(0));
        assert_eq!(Arch::X86.vm_config(40), Err(EINVAL));
    }

    #[test]
    fn mpidr() {
        assert_eq!(mpidr_of(0), 0x8000_0000);
        assert_eq!(mpidr_of(1), 0x8000_0001);
        assert_eq!(mpidr_of(16), 0x8000_0100);
        assert_eq!(mpidr_of(0x1234), 0x8001_2304);
    }

    #[test]
    fn arm64_caps() {
        let a = Arch::Arm64(HostGic::V3);
        let cap = |c: u32| c as usize;
        assert_eq!(
            a.check_extension(None, cap(uapi::KVM_CAP_ARM_VM_IPA_SIZE)),
            Ok(52)
        );
        assert_eq!(
            a.check_extension(None, cap(uapi::KVM_CAP_MAX_VCPUS)),
            Ok(512)
        );
        assert_eq!(
            a.check_extension(Some(&|| 8), cap(uapi::KVM_CAP_MAX_VCPU_ID)),
            Ok(8)
        );
        assert_eq!(
            a.check_extension(None, cap(uapi::KVM_CAP_MSI_DEVID)),
            Err(EINVAL)
        );
        assert_eq!(
            a.check_extension(Some(&|| 8), cap(uapi::KVM_CAP_MSI_DEVID)),
            Ok(0)
        );
        assert_eq!(
            Arch::X86.check_extension(None, cap(uapi::KVM_CAP_IRQCHIP)),
            Ok(0)
        );
    }

    /// golden/vgic_v2.txt, "create: at most 8 vCPUs": a GICv2 host bounds VMs to 8 vCPUs.
    #[test]
    fn gicv2_host_caps() {
        let a = Arch::Arm64(HostGic::V2);
        let cap = |c: u32| c as usize;
        assert_eq!(a.default_max_vcpus(), 8);
        assert_eq!(a.max_vcpu_ids(), 512);
        assert_eq!(a.check_extension(None, cap(uapi::KVM_CAP_MAX_VCPUS)), Ok(8));
        assert_eq!(
            a.check_extension(None, cap(uapi::KVM_CAP_ARM_VM_IPA_SIZE)),
            Ok(52)
        );
        assert_eq!(a.check_extension(None, cap(uapi::KVM_CAP_IRQCHIP)), Ok(1));
        assert_eq!(a.vm_config(0).map(|c| c.ipa_bits), Ok(40));
    }
}
