// SPDX-License-Identifier: GPL-2.0

//! The ARM VGIC of an arm64 VM (C: `struct vgic_dist`, `kvm->arch.vgic`): at most one per VM,
//! and what the modelled host's GIC allows.
//!
//! C: [`arch/arm64/kvm/vgic/vgic-init.c`](srctree/arch/arm64/kvm/vgic/vgic-init.c)
//! (`kvm_vgic_create()`, `vgic_init()`),
//! [`arch/arm64/kvm/vgic/vgic-kvm-device.c`](srctree/arch/arm64/kvm/vgic/vgic-kvm-device.c)
//! (`kvm_vgic_addr()`, `vgic_set_common_attr()`, `vgic_get_common_attr()`,
//! `vgic_check_iorange()`), the redistributor regions of
//! [`arch/arm64/kvm/vgic/vgic-mmio-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v3.c), and
//! `kvm_vgic_global_state` as `vgic_v3_probe()` sets it up.
//!
//! As in C, the VGIC's state belongs to the VM, not to the device file: the legacy ioctls
//! (`KVM_CREATE_IRQCHIP`, `KVM_ARM_SET_DEVICE_ADDR`) reach it without a device, and it
//! outlives the device's file. It lives in [`VmInner`] under the VM lock (which stands for
//! C's `kvm->arch.config_lock` and `kvm->slots_lock`). The device types are thin handles:
//! [`v3`] is `kvm-arm-vgic-v3`, [`v2`] is `kvm-arm-vgic-v2`.
//!
//! Which type a VM can have depends on the host's GIC ([`HostGic`]): QEMU's
//! `virt,gic-version=3` is a GICv3 without the GICv2 compatibility interface, so the host can
//! emulate a GICv3 for its guests but not a GICv2 (C: `can_emulate_gicv2` is false), and the
//! legacy ways to create and place a GICv2 answer `ENODEV`; QEMU's `virt,gic-version=2` is a
//! GICv2, whose KVM emulates a GICv2 for at most 8 vCPUs and no GICv3.

use kernel::{
    kvm::kvm_arm_device_addr,
    prelude::*,
    uapi, //
};

use crate::{
    arch::{
        Arch,
        HostGic, //
    },
    attr::DeviceAttr,
    vm::VmInner, //
};

pub(crate) mod cpuif_v2;
pub(crate) mod dist;
pub(crate) mod dist_v2;
pub(crate) mod irq;
pub(crate) mod its;
pub(crate) mod lpi;
pub(crate) mod redist;
pub(crate) mod regions;
pub(crate) mod regions_v2;
pub(crate) mod sysregs;
pub(crate) mod v2;
pub(crate) mod v3;

/// The most vCPUs of a VM with a GICv3, and on a GICv3 host (C: `VGIC_V3_MAX_CPUS`).
pub(crate) const VGIC_V3_MAX_CPUS: usize = 512;
/// The most vCPUs of a VM with a GICv2, and on a GICv2 host (C: `VGIC_V2_MAX_CPUS`).
pub(crate) const VGIC_V2_MAX_CPUS: usize = 8;
/// An address not yet set (C: `VGIC_ADDR_UNDEF`).
pub(crate) const VGIC_ADDR_UNDEF: u64 = u64::MAX;
/// SGIs and PPIs: the interrupts private to each vCPU (C: `VGIC_NR_PRIVATE_IRQS`).
pub(crate) const VGIC_NR_PRIVATE_IRQS: u32 = 32;
/// The interrupt count `vgic_init()` gives a VGIC whose `NR_IRQS` was not set (C:
/// `VGIC_NR_IRQS_LEGACY`).
const VGIC_NR_IRQS_LEGACY: u32 = 256;
/// The largest interrupt id, and bound on `NR_IRQS` (C: `VGIC_MAX_RESERVED`).
const VGIC_MAX_RESERVED: u32 = 1023;
/// The size of a GICv3 distributor frame (C: `KVM_VGIC_V3_DIST_SIZE`).
const V3_DIST_SIZE: u64 = uapi::KVM_VGIC_V3_DIST_SIZE as u64;
/// The size of one GICv3 redistributor (C: `KVM_VGIC_V3_REDIST_SIZE`).
const V3_REDIST_SIZE: u64 = uapi::KVM_VGIC_V3_REDIST_SIZE as u64;
/// 64K, the alignment of every GICv3 frame.
const SZ_64K: u64 = 0x10000;
/// The size of a GICv2 distributor frame (C: `KVM_VGIC_V2_DIST_SIZE`).
const V2_DIST_SIZE: u64 = uapi::KVM_VGIC_V2_DIST_SIZE as u64;
/// The size of a GICv2 CPU interface frame (C: `KVM_VGIC_V2_CPU_SIZE`).
const V2_CPU_SIZE: u64 = uapi::KVM_VGIC_V2_CPU_SIZE as u64;
/// 4K, the alignment of the GICv2 frames.
const SZ_4K: u64 = 0x1000;

/// A GICv3 redistributor region (C: `struct vgic_redist_region`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RedistRegion {
    /// The guest-physical base, 64K aligned.
    pub(crate) base: u64,
    /// How many redistributors it holds; 0 for the legacy single region, which holds one per
    /// vCPU of the VM.
    pub(crate) count: u32,
    /// The index user space gave it; regions are added in index order.
    pub(crate) index: u32,
    /// How many vCPUs have their redistributor in it (C: `free_index`).
    pub(crate) free_index: u32,
}

/// The VGIC state of a VM (C: `struct vgic_dist`).
pub(crate) struct Dist {
    /// The device type of the VM's VGIC, once created (C: `vgic_model` and `in_kernel`).
    pub(crate) model: Option<u32>,
    /// Whether `KVM_DEV_ARM_VGIC_CTRL_INIT` (or a first run) initialised it.
    pub(crate) initialized: bool,
    /// The distributor's base (C: `vgic_dist_base`).
    pub(crate) dist_base: u64,
    /// The redistributor regions, in index order (C: `rd_regions`).
    pub(crate) rd_regions: KVec<RedistRegion>,
    /// The number of SPIs; 0 until `NR_IRQS` or `vgic_init()` sets it.
    pub(crate) nr_spis: u32,
    /// The maintenance interrupt, a PPI (C: `mi_intid`).
    pub(crate) mi_intid: u32,
    /// `GICD_CTLR.EnableGrp1NS` (C: `enabled`).
    pub(crate) enabled: bool,
    /// The revision `GICD_IIDR` reports (C: `implementation_rev`).
    pub(crate) implementation_rev: u32,
    /// The SPIs, `nr_spis` of them once initialised (C: `spis`).
    pub(crate) spis: KVec<irq::VgicIrq>,
    /// `GICR_PROPBASER`, shared by all redistributors (C: `propbaser`).
    pub(crate) propbaser: u64,
    /// The GICv2 CPU interface's base (C: `vgic_cpu_base`).
    pub(crate) cpu_base: u64,
    /// Whether user space may write a GICv2's `GICD_IGROUPR`, which it earns by writing
    /// `GICD_IIDR` (C: `v2_groups_user_writable`).
    pub(crate) v2_groups_user_writable: bool,
    /// The LPIs, and whether the VM has an ITS (C: `lpi_xa`, `has_its`).
    pub(crate) lpis: lpi::Lpis,
}

impl Dist {
    /// The state of a VM without a VGIC.
    pub(crate) fn new() -> Self {
        Self {
            model: None,
            initialized: false,
            dist_base: VGIC_ADDR_UNDEF,
            rd_regions: KVec::new(),
            nr_spis: 0,
            mi_intid: 0,
            enabled: false,
            implementation_rev: dist::IMP_REV_LATEST,
            spis: KVec::new(),
            propbaser: 0,
            cpu_base: VGIC_ADDR_UNDEF,
            v2_groups_user_writable: false,
            lpis: lpi::Lpis::new(),
        }
    }

    /// `vgic_check_type()`: `ENODEV` unless the VM's VGIC is of type `ty`.
    fn check_type(&self, ty: u32) -> Result {
        if self.model == Some(ty) {
            Ok(())
        } else {
            Err(ENODEV)
        }
    }

    /// The size of a redistributor region (C: `vgic_v3_rd_region_size()`).
    fn rd_region_size(region: &RedistRegion, nr_vcpus: usize) -> u64 {
        match region.count {
            0 => nr_vcpus as u64 * V3_REDIST_SIZE,
            n => u64::from(n) * V3_REDIST_SIZE,
        }
    }

    /// Whether `[base, base + size)` overlaps a redistributor region (C:
    /// `vgic_v3_rdist_overlap()`).
    fn rdist_overlap(&self, base: u64, size: u64, nr_vcpus: usize) -> bool {
        self.rd_regions.iter().any(|r| {
            base.wrapping_add(size) > r.base
                && base < r.base.wrapping_add(Self::rd_region_size(r, nr_vcpus))
        })
    }

    /// `vgic_v3_check_base()`: the frames fit the IPA space and do not overlap.
    fn v3_check_base(&self, ipa_bits: u32, nr_vcpus: usize) -> bool {
        if self.dist_base != VGIC_ADDR_UNDEF && self.dist_base.checked_add(V3_DIST_SIZE).is_none() {
            return false;
        }
        for r in self.rd_regions.iter() {
            let size = Self::rd_region_size(r, nr_vcpus);
            if check_iorange(ipa_bits, VGIC_ADDR_UNDEF, r.base, SZ_64K, size).is_err() {
                return false;
            }
        }
        self.dist_base == VGIC_ADDR_UNDEF
            || !self.rdist_overlap(self.dist_base, V3_DIST_SIZE, nr_vcpus)
    }
}

/// `vgic_check_iorange()`: checks a frame of `size` bytes at `addr` for an address that is
/// `current` so far.
///
/// # Errors
///
/// `EEXIST` if the address is already set, `EINVAL` if unaligned or wrapping, `E2BIG` if it
/// does not fit in the IPA space.
fn check_iorange(ipa_bits: u32, current: u64, addr: u64, align: u64, size: u64) -> Result {
    if current != VGIC_ADDR_UNDEF {
        return Err(EEXIST);
    }
    if addr % align != 0 || size % align != 0 {
        return Err(EINVAL);
    }
    let end = addr.checked_add(size).ok_or(EINVAL)?;
    let phys_size = 1u64 << ipa_bits;
    if addr & !(phys_size - 1) != 0 || end > phys_size {
        return Err(E2BIG);
    }
    Ok(())
}

/// `kvm_vgic_create()` for a VGIC of type `ty`, a type the host can emulate (the registry of
/// device types offers no other, and [`create_irqchip`] checks).
///
/// # Errors
///
/// `EEXIST` if the VM has a VGIC, `E2BIG` if the VM has more vCPUs than the VGIC can serve.
pub(crate) fn create(vm: &mut VmInner, ty: u32) -> Result {
    if vm.vgic.model.is_some() {
        return Err(EEXIST);
    }
    // C refuses vCPUs that have run; kvm-devctl runs none.
    vm.max_vcpus = if ty == uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V2 {
        VGIC_V2_MAX_CPUS
    } else {
        VGIC_V3_MAX_CPUS
    };
    if vm.vcpus.len() > vm.max_vcpus {
        return Err(E2BIG);
    }
    // C sets these only: an ITS created before the GIC has already set `has_its` and
    // `propbaser`, and every other field is still as the VM was created.
    vm.vgic.model = Some(ty);
    vm.vgic.implementation_rev = dist::IMP_REV_LATEST;
    vm.vgic.dist_base = VGIC_ADDR_UNDEF;
    Ok(())
}

/// `KVM_CREATE_IRQCHIP` on a VM of an arm64 node whose host GIC is `arch`'s (C:
/// `kvm_vgic_create(kvm, KVM_DEV_TYPE_ARM_VGIC_V2)`).
///
/// # Errors
///
/// `ENODEV` if the host cannot emulate a GICv2 (C checks `can_emulate_gicv2` first), and the
/// errors of [`create`].
pub(crate) fn create_irqchip(arch: Arch, vm: &mut VmInner) -> Result {
    if arch != Arch::Arm64(HostGic::V2) {
        return Err(ENODEV);
    }
    create(vm, uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V2)
}

/// `KVM_ARM_SET_DEVICE_ADDR` (C: `kvm_vm_ioctl_set_device_addr()` and
/// `kvm_set_legacy_vgic_v2_addr()`): places a GICv2's distributor or CPU interface, as the
/// `ADDR` group of `kvm-arm-vgic-v2` does. The device id is in bits 31:16 of `id`, the address
/// type in bits 15:0; bits 63:32 are ignored.
///
/// # Errors
///
/// `ENODEV` for a device id other than `KVM_ARM_DEVICE_VGIC_V2`, for an address type other
/// than the two of a GICv2, and for a VM whose VGIC is not a GICv2 (C: `vgic_check_type()`),
/// as every VM of a GICv3 host is; then the errors of [`check_iorange`].
pub(crate) fn set_legacy_v2_addr(
    vm: &mut VmInner,
    ipa_bits: u32,
    dev_addr: &kvm_arm_device_addr,
) -> Result {
    const DIST: u64 = uapi::KVM_VGIC_V2_ADDR_TYPE_DIST as u64;
    const CPU: u64 = uapi::KVM_VGIC_V2_ADDR_TYPE_CPU as u64;
    // C: `FIELD_GET(KVM_ARM_DEVICE_ID_MASK, id)`; `vgic_present` holds on both hosts.
    if (dev_addr.id >> 16) & 0xffff != u64::from(uapi::KVM_ARM_DEVICE_VGIC_V2) {
        return Err(ENODEV);
    }
    let d = &mut vm.vgic;
    // Both are ENODEV, so the order of the two checks does not show.
    d.check_type(uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V2)?;
    let (slot, size) = match dev_addr.id & 0xffff {
        DIST => (&mut d.dist_base, V2_DIST_SIZE),
        CPU => (&mut d.cpu_base, V2_CPU_SIZE),
        _ => return Err(ENODEV),
    };
    check_iorange(ipa_bits, *slot, dev_addr.addr, SZ_4K, size)?;
    *slot = dev_addr.addr;
    Ok(())
}

/// `vgic_v3_alloc_redist_region()` and the slot assignment of `vgic_v3_set_redist_base()`:
/// adds redistributor region `index` of `count` redistributors (0: the legacy region of one
/// per vCPU) at `base`.
///
/// # Errors
///
/// `EINVAL` for a wrapping range, an index out of order, mixing the legacy region with
/// indexed ones, an overlap with another region (or, for the legacy region, with the
/// distributor), or frames that the vCPUs cannot be placed in; `EEXIST` for a second legacy
/// region; the errors of [`check_iorange`]; `ENOMEM`.
fn set_redist_base(vm: &mut VmInner, ipa_bits: u32, index: u32, base: u64, count: u32) -> Result {
    let nr_vcpus = vm.vcpus.len();
    let d = &mut vm.vgic;
    let size = match count {
        0 => nr_vcpus as u64 * V3_REDIST_SIZE,
        n => u64::from(n) * V3_REDIST_SIZE,
    };
    if base.checked_add(size).is_none() {
        return Err(EINVAL);
    }
    match d.rd_regions.last() {
        None if index != 0 => return Err(EINVAL),
        None => {}
        Some(last) => {
            if count == 0 && last.count != 0 {
                return Err(EINVAL);
            }
            if count == 0 {
                return Err(EEXIST);
            }
            if index != last.index + 1 {
                return Err(EINVAL);
            }
        }
    }
    if count == 0 && d.dist_base != VGIC_ADDR_UNDEF && {
        let (a, b) = (d.dist_base, base);
        b.wrapping_add(size) > a && b < a.wrapping_add(V3_DIST_SIZE)
    } {
        return Err(EINVAL);
    }
    if d.rdist_overlap(base, size, nr_vcpus) {
        return Err(EINVAL);
    }
    check_iorange(ipa_bits, VGIC_ADDR_UNDEF, base, SZ_64K, size)?;
    d.rd_regions.push(
        RedistRegion {
            base,
            count,
            index,
            free_index: 0,
        },
        GFP_KERNEL_ACCOUNT,
    )?;
    // C: `vgic_register_all_redist_iodevs()`: each vCPU without a redistributor takes the
    // next free slot; a layout that does not fit takes the region back out.
    if let Err(e) = assign_redists(vm, ipa_bits, nr_vcpus) {
        vm.vgic.rd_regions.pop();
        return Err(e);
    }
    Ok(())
}

/// Places every vCPU that has no redistributor yet in the first region with a free slot (C:
/// `vgic_register_redist_iodev()` for each vCPU).
///
/// `nr_vcpus` is the number of vCPUs online, which sizes the legacy region (C:
/// `kvm->online_vcpus`, which does not count a vCPU being created).
///
/// # Errors
///
/// `EINVAL` if a vCPU is to be placed while the frames overlap (C: `vgic_v3_check_base()`).
pub(crate) fn assign_redists(vm: &mut VmInner, ipa_bits: u32, nr_vcpus: usize) -> Result {
    for vcpu in vm.vcpus.iter() {
        let mut arm = vcpu.arm_lock();
        if arm.rd.is_some() {
            continue;
        }
        // C: `vgic_v3_rdist_free_slot()`: a legacy region is never full.
        let Some(i) = vm
            .vgic
            .rd_regions
            .iter()
            .position(|r| r.count == 0 || r.free_index < r.count)
        else {
            return Ok(());
        };
        if !vm.vgic.v3_check_base(ipa_bits, nr_vcpus) {
            return Err(EINVAL);
        }
        let r = &mut vm.vgic.rd_regions[i];
        arm.rd = Some((r.index, r.free_index));
        r.free_index += 1;
    }
    Ok(())
}

/// `kvm_vgic_addr()`: sets (`write`) or reads a frame's address, for the `ADDR` group of both
/// device types; each address type is that of one VGIC model.
///
/// # Errors
///
/// `EFAULT` for an unreadable or unwritable buffer, `ENXIO` for an address type that is not
/// the VM's VGIC's (C: `ENODEV` turned into `ENXIO` by its callers), `ENOENT` for a region index
/// that is not set, and the errors of [`check_iorange`] and [`set_redist_base`].
pub(crate) fn vgic_addr(vm: &mut VmInner, ipa_bits: u32, attr: &DeviceAttr, write: bool) -> Result {
    const V2_DIST: u64 = uapi::KVM_VGIC_V2_ADDR_TYPE_DIST as u64;
    const V2_CPU: u64 = uapi::KVM_VGIC_V2_ADDR_TYPE_CPU as u64;
    const DIST: u64 = uapi::KVM_VGIC_V3_ADDR_TYPE_DIST as u64;
    const REDIST: u64 = uapi::KVM_VGIC_V3_ADDR_TYPE_REDIST as u64;
    const REGION: u64 = uapi::KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION as u64;
    let ty = attr.attr();
    // C reads the value before the type is known, and the index of a region on a read too.
    let mut addr = if write || ty == REGION {
        attr.read_u64()?
    } else {
        0
    };
    let model = uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V3;
    match ty {
        V2_DIST | V2_CPU => {
            let d = &mut vm.vgic;
            d.check_type(uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V2)
                .map_err(|_| ENXIO)?;
            let (slot, size) = if ty == V2_DIST {
                (&mut d.dist_base, V2_DIST_SIZE)
            } else {
                (&mut d.cpu_base, V2_CPU_SIZE)
            };
            if write {
                check_iorange(ipa_bits, *slot, addr, SZ_4K, size)?;
                *slot = addr;
                return Ok(());
            }
            addr = *slot;
        }
        DIST => {
            vm.vgic.check_type(model).map_err(|_| ENXIO)?;
            if write {
                check_iorange(ipa_bits, vm.vgic.dist_base, addr, SZ_64K, V3_DIST_SIZE)?;
                vm.vgic.dist_base = addr;
                return Ok(());
            }
            addr = vm.vgic.dist_base;
        }
        REDIST => {
            vm.vgic.check_type(model).map_err(|_| ENXIO)?;
            if write {
                return set_redist_base(vm, ipa_bits, 0, addr, 0);
            }
            addr = vm
                .vgic
                .rd_regions
                .first()
                .map_or(VGIC_ADDR_UNDEF, |r| r.base);
        }
        REGION => {
            vm.vgic.check_type(model).map_err(|_| ENXIO)?;
            // C: `KVM_VGIC_V3_RDIST_INDEX_MASK` into a u8: the low 8 of its 12 bits.
            let index = u32::from(addr as u8);
            if write {
                let base = addr & 0x000f_ffff_ffff_0000;
                // CAST: 12 bits.
                let count = (addr >> 52) as u32;
                let flags = (addr >> 12) & 0xf;
                if count == 0 || flags != 0 {
                    return Err(EINVAL);
                }
                return set_redist_base(vm, ipa_bits, index, base, count);
            }
            let r = vm
                .vgic
                .rd_regions
                .iter()
                .find(|r| r.index == index)
                .ok_or(ENOENT)?;
            addr = u64::from(index) | r.base | u64::from(r.count) << 52;
        }
        _ => return Err(ENXIO),
    }
    attr.put_u64(addr)
}

/// `KVM_DEV_ARM_VGIC_GRP_NR_IRQS` set (C: `vgic_set_common_attr()`).
///
/// # Errors
///
/// `EFAULT`; `EINVAL` for fewer than 64, more than 1023 or not a multiple of 32 interrupts;
/// `EBUSY` once set or initialised.
pub(crate) fn set_nr_irqs(vm: &mut VmInner, attr: &DeviceAttr) -> Result {
    let val = attr.read_u32()?;
    if !(VGIC_NR_PRIVATE_IRQS + 32..=VGIC_MAX_RESERVED).contains(&val) || val & 31 != 0 {
        return Err(EINVAL);
    }
    if vm.vgic.nr_spis != 0 {
        return Err(EBUSY);
    }
    vm.vgic.nr_spis = val - VGIC_NR_PRIVATE_IRQS;
    Ok(())
}

/// `vgic_init()`: freezes the number of SPIs, gives them their initial state (C:
/// `kvm_vgic_dist_init()`), resets the vCPUs' CPU interfaces (C: `kvm_vgic_vcpu_reset()`)
/// and marks the VGIC initialised.
///
/// # Errors
///
/// `ENOMEM`. C's `EBUSY` for a vCPU being created cannot happen under the VM lock.
pub(crate) fn init(vm: &mut VmInner) -> Result {
    if vm.vgic.initialized {
        return Ok(());
    }
    let nr_spis = match vm.vgic.nr_spis {
        0 => VGIC_NR_IRQS_LEGACY - VGIC_NR_PRIVATE_IRQS,
        n => n,
    };
    let v2 = vm.vgic.model == Some(uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V2);
    let spi = if v2 {
        irq::VgicIrq::spi_v2()
    } else {
        irq::VgicIrq::spi()
    };
    // CAST: at most `VGIC_MAX_RESERVED`.
    let mut spis = KVec::with_capacity(nr_spis as usize, GFP_KERNEL_ACCOUNT)?;
    for _ in 0..nr_spis {
        spis.push(spi, GFP_KERNEL_ACCOUNT)?;
    }
    if v2 {
        cpuif_v2::init_vcpus(vm);
    }
    vm.vgic.spis = spis;
    vm.vgic.nr_spis = nr_spis;
    vm.vgic.initialized = true;
    Ok(())
}

/// `KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ` set (C: `vgic_v3_set_attr()`).
///
/// # Errors
///
/// `EFAULT`; `EBUSY` once initialised; `EINVAL` for an interrupt that is not a PPI (16-31).
pub(crate) fn set_maint_irq(vm: &mut VmInner, attr: &DeviceAttr) -> Result {
    let val = attr.read_u32()?;
    if vm.vgic.initialized {
        return Err(EBUSY);
    }
    if !(16..32).contains(&val) {
        return Err(EINVAL);
    }
    vm.vgic.mi_intid = val;
    Ok(())
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic)]
mod tests {
    use super::*;

    #[test]
    fn iorange() {
        assert_eq!(
            check_iorange(40, 0, 0x1000_0000, SZ_64K, V3_DIST_SIZE),
            Err(EEXIST)
        );
        assert_eq!(
            check_iorange(40, VGIC_ADDR_UNDEF, 0x800_1000, SZ_64K, V3_DIST_SIZE),
            Err(EINVAL)
        );
        assert_eq!(
            check_iorange(40, VGIC_ADDR_UNDEF, 1 << 40, SZ_64K, V3_DIST_SIZE),
            Err(E2BIG)
        );
        assert_eq!(
            check_iorange(40, VGIC_ADDR_UNDEF, 0xff_ffff_0000, SZ_64K, V3_DIST_SIZE),
            Ok(())
        );
        assert_eq!(
            check_iorange(
                40,
                VGIC_ADDR_UNDEF,
                0xff_fffe_0000,
                SZ_64K,
                2 * V3_REDIST_SIZE
            ),
            Err(E2BIG)
        );
        assert_eq!(
            check_iorange(
                40,
                VGIC_ADDR_UNDEF,
                0xffff_ffff_ffff_0000,
                SZ_64K,
                V3_DIST_SIZE
            ),
            Err(EINVAL)
        );
    }

    #[test]
    fn overlap() {
        let mut d = Dist::new();
        assert!(d
            .rd_regions
            .push(
                RedistRegion {
                    base: 0x80a_0000,
                    count: 1,
                    index: 0,
                    free_index: 0
                },
                GFP_KERNEL
            )
            .is_ok());
        assert!(d.rdist_overlap(0x80b_0000, V3_REDIST_SIZE, 2));
        assert!(!d.rdist_overlap(0x80c_0000, V3_REDIST_SIZE, 2));
        assert!(!d.rdist_overlap(0x808_0000, V3_REDIST_SIZE, 2));
        d.dist_base = 0x80a_0000;
        assert!(!d.v3_check_base(40, 1));
    }
}
