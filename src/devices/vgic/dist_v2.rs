// SPDX-License-Identifier: GPL-2.0

//! The GICv2 distributor registers, as user space accesses them through
//! `KVM_DEV_ARM_VGIC_GRP_DIST_REGS` (32 bits at a time) on behalf of one vCPU.
//!
//! C: `vgic_v2_dist_registers[]`, `vgic_mmio_read_v2_misc()`, `vgic_mmio_write_v2_misc()`,
//! `vgic_mmio_uaccess_write_v2_misc()`, `vgic_mmio_write_sgir()`,
//! `vgic_mmio_read_sgipend()`, `vgic_mmio_write_sgipendc()`, `vgic_mmio_write_sgipends()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v2.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v2.c).
//!
//! The attribute names a vCPU: the per-interrupt registers reach its private interrupts for
//! interrupts 0-31 (banked, as a guest sees them) and the VM's SPIs above; `GICD_SGIR` sends
//! SGIs from it; `GICD_CPENDSGIR` and `GICD_SPENDSGIR` hold the sources of its pending SGIs.
//! `GICD_TYPER` derives from the number of interrupts and of vCPUs. The per-interrupt state
//! and its GICv2 semantics are [`irq`]'s.

use kernel::{
    nospec,
    prelude::*,
    sync::Arc, //
};

use super::{
    dist::{
        IMPLEMENTER_ARM,
        PRODUCT_ID_KVM, //
    },
    irq::{
        self,
        Reg,
        V2Access,
        VgicIrq, //
    },
    regions::find,
    regions_v2::{
        GICD,
        GICD_CPENDSGIR,
        GICD_ICACTIVER,
        GICD_ICENABLER,
        GICD_ICFGR,
        GICD_ICPENDR,
        GICD_IGROUPR,
        GICD_IPRIORITYR,
        GICD_ISACTIVER,
        GICD_ISENABLER,
        GICD_ISPENDR,
        GICD_ITARGETSR,
        GICD_MISC,
        GICD_SGIR,
        GICD_SPENDSGIR, //
    },
    Dist,
    VGIC_NR_PRIVATE_IRQS, //
};
use crate::{
    vcpu::Vcpu,
    vm::VmInner, //
};

/// `GICD_CTLR.EnableGrp0`, the only bit a GICv2's `GICD_CTLR` keeps (C: `GICD_ENABLE`).
const GICD_ENABLE: u32 = 1;
/// `GICD_IIDR.Revision` (C: `GICD_IIDR_REVISION_SHIFT`).
const GICD_IIDR_REVISION_SHIFT: u32 = 12;
/// The mask of `GICD_IIDR.Revision` (C: `GICD_IIDR_REVISION_MASK`).
const GICD_IIDR_REVISION_MASK: u32 = 0xf << GICD_IIDR_REVISION_SHIFT;
/// The implementation revisions user space may choose (C: `KVM_VGIC_IMP_REV_2` and `_3`).
const IMP_REVS: [u32; 2] = [2, 3];

/// The per-interrupt register of the region at `base`, if it is one.
fn per_irq_reg(base: u32) -> Option<Reg> {
    Some(match base {
        GICD_IGROUPR => Reg::Group,
        GICD_ISENABLER => Reg::SetEnable,
        GICD_ICENABLER => Reg::ClearEnable,
        GICD_ISPENDR => Reg::SetPending,
        GICD_ICPENDR => Reg::ClearPending,
        GICD_ISACTIVER => Reg::SetActive,
        GICD_ICACTIVER => Reg::ClearActive,
        GICD_IPRIORITYR => Reg::Priority,
        GICD_ITARGETSR => Reg::Target,
        GICD_ICFGR => Reg::Config,
        _ => return None,
    })
}

/// `vgic_mmio_read_v2_misc()`: `GICD_CTLR`, `GICD_TYPER` (the interrupt lines in 4:0 and the
/// vCPUs in 7:5, each less one), `GICD_IIDR`.
fn read_misc(dist: &Dist, nr_vcpus: usize, offset: u64) -> u32 {
    match offset & 0x0c {
        0x0 if dist.enabled => GICD_ENABLE,
        0x0 => 0,
        0x4 => {
            let lines = ((dist.nr_spis + VGIC_NR_PRIVATE_IRQS) >> 5).wrapping_sub(1);
            // CAST: at most `VGIC_V2_MAX_CPUS`.
            lines | (nr_vcpus as u32).wrapping_sub(1) << 5
        }
        0x8 => {
            PRODUCT_ID_KVM << 24
                | dist.implementation_rev << GICD_IIDR_REVISION_SHIFT
                | IMPLEMENTER_ARM
        }
        _ => 0,
    }
}

/// `vgic_mmio_uaccess_write_v2_misc()`.
///
/// # Errors
///
/// `GICD_IIDR`: `EINVAL` for a change outside the revision, or a revision other than 2 or
/// 3; a valid write also makes `GICD_IGROUPR` writable.
fn write_misc(dist: &mut Dist, nr_vcpus: usize, offset: u64, val: u32) -> Result {
    match offset & 0x0c {
        0x0 => dist.enabled = val & GICD_ENABLE != 0,
        0x8 => {
            let reg = read_misc(dist, nr_vcpus, offset);
            if (reg ^ val) & !GICD_IIDR_REVISION_MASK != 0 {
                return Err(EINVAL);
            }
            let rev = (val & GICD_IIDR_REVISION_MASK) >> GICD_IIDR_REVISION_SHIFT;
            if !IMP_REVS.contains(&rev) {
                return Err(EINVAL);
            }
            dist.v2_groups_user_writable = true;
            dist.implementation_rev = rev;
        }
        // `GICD_TYPER`: nothing to do.
        _ => {}
    }
    Ok(())
}

/// The interrupts a 32-bit access to `reg` at `intid` covers: the vCPU's private ones for
/// intids below 32 (`private`), else the SPIs; empty for interrupts the VGIC does not have.
fn irqs_of<'a>(
    private: &'a mut [VgicIrq; irq::NR_PRIVATE],
    spis: &'a mut [VgicIrq],
    reg: Reg,
    intid: u32,
) -> &'a mut [VgicIrq] {
    let (irqs, first): (&mut [VgicIrq], usize) = match intid.checked_sub(VGIC_NR_PRIVATE_IRQS) {
        // CAST: below 1024.
        None => (private, intid as usize),
        Some(spi) => (spis, spi as usize),
    };
    let len = irqs.len();
    if first >= len {
        return &mut [];
    }
    let first = nospec::array_index_nospec(first, len);
    let end = len.min(first + reg.count());
    irqs.get_mut(first..end).unwrap_or(&mut [])
}

/// The register and first interrupt of a 32-bit access at `offset` in the per-interrupt
/// region at `base`; `None` if the region is not a per-interrupt one.
fn decode(base: u32, offset: u64) -> Option<(Reg, u32)> {
    let reg = per_irq_reg(base)?;
    // C: `VGIC_ADDR_TO_INTID()`; the region lookup bounds the offset to the region.
    let rel = offset.checked_sub(u64::from(base))?;
    // CAST: below 1024.
    let intid = (rel * 8 / u64::from(reg.bits())) as u32;
    Some((reg, intid))
}

/// `vgic_mmio_read_sgipend()`: the sources of 4 SGIs from `offset & 0xf`, a byte each.
fn read_sgipend(private: &[VgicIrq], offset: u64) -> u32 {
    // CAST: below 16.
    let first = (offset & 0x0f) as usize;
    private
        .iter()
        .skip(first)
        .take(4)
        .enumerate()
        .fold(0, |v, (i, irq)| v | u32::from(irq.source) << (i * 8))
}

/// `vgic_mmio_write_sgipendc()` (`set` false) and `vgic_mmio_write_sgipends()` (`set`
/// true): removes or adds sources of 4 SGIs; an SGI is pending while it has a source.
fn write_sgipend(private: &mut [VgicIrq], offset: u64, val: u32, set: bool) {
    // CAST: below 16.
    let first = (offset & 0x0f) as usize;
    for (i, irq) in private.iter_mut().skip(first).take(4).enumerate() {
        // CAST: one byte of `val`.
        let byte = (val >> (i * 8)) as u8;
        if set {
            irq.source |= byte;
            if irq.source != 0 {
                irq.pending_latch = true;
            }
        } else {
            irq.source &= !byte;
            if irq.source == 0 {
                irq.pending_latch = false;
            }
        }
    }
}

/// `vgic_mmio_write_sgir()`: SGI `val & 0xf` from vCPU `source_id` to the vCPU indexes of
/// the target list (bits 23:16), to all others (filter 1) or to itself (filter 2); filter 3
/// is reserved.
fn write_sgir(vcpus: &[Arc<Vcpu>], source_id: u32, val: u32) {
    // CAST: at most `VGIC_V2_MAX_CPUS`.
    let nr_vcpus = vcpus.len() as u32;
    // CAST: 4 bits.
    let intid = (val & 0xf) as usize;
    let bit = |n: u32| 1u32.checked_shl(n).unwrap_or(0);
    let targets = match (val >> 24) & 0x3 {
        0 => (val >> 16) & 0xff,
        1 => bit(nr_vcpus).wrapping_sub(1) & !bit(source_id),
        2 => bit(source_id),
        _ => return,
    };
    for (c, vcpu) in vcpus.iter().enumerate() {
        // CAST: at most `VGIC_V2_MAX_CPUS`.
        if targets & bit(c as u32) == 0 {
            continue;
        }
        let mut arm = vcpu.arm_lock();
        if let Some(irq) = arm.redist.private_irqs.get_mut(intid) {
            irq.pending_latch = true;
            // C: `1U << source_vcpu->vcpu_id` into a u8.
            irq.source |= 1u8.checked_shl(source_id).unwrap_or(0);
        }
    }
}

/// Reads the 32-bit register at `offset` for vCPU `index` (C: `vgic_v2_dist_uaccess()`
/// reading): an offset without a register reads 0.
///
/// # Errors
///
/// `EINVAL` if there is no vCPU `index`.
pub(crate) fn read(vm: &mut VmInner, index: usize, offset: u64) -> Result<u32> {
    let VmInner { vgic, vcpus, .. } = vm;
    let nr_vcpus = vcpus.len();
    let vcpu = vcpus.get(index).ok_or(EINVAL)?;
    let nr_irqs = vgic.nr_spis + VGIC_NR_PRIVATE_IRQS;
    let Some(region) = find(&GICD, offset, nr_irqs) else {
        return Ok(0);
    };
    let mut arm = vcpu.arm_lock();
    Ok(match region.offset {
        GICD_MISC => read_misc(vgic, nr_vcpus, offset),
        GICD_CPENDSGIR | GICD_SPENDSGIR => read_sgipend(&arm.redist.private_irqs, offset),
        base => match decode(base, offset) {
            Some((reg, intid)) => {
                let irqs = irqs_of(&mut arm.redist.private_irqs, &mut vgic.spis, reg, intid);
                irq::read_v2(reg, irqs)
            }
            // `GICD_SGIR` (C: `vgic_mmio_read_raz()`).
            None => 0,
        },
    })
}

/// Writes the 32-bit register at `offset` for vCPU `index` (C: `vgic_v2_dist_uaccess()`
/// writing): a write to an offset without a register is ignored.
///
/// # Errors
///
/// `EINVAL` if there is no vCPU `index`, and the errors of [`write_misc`].
pub(crate) fn write(vm: &mut VmInner, index: usize, offset: u64, val: u32) -> Result {
    let VmInner { vgic, vcpus, .. } = vm;
    let nr_vcpus = vcpus.len();
    let vcpu = vcpus.get(index).ok_or(EINVAL)?;
    let nr_irqs = vgic.nr_spis + VGIC_NR_PRIVATE_IRQS;
    let Some(region) = find(&GICD, offset, nr_irqs) else {
        return Ok(());
    };
    match region.offset {
        GICD_MISC => return write_misc(vgic, nr_vcpus, offset, val),
        // Without holding the source's lock: the targets' are taken one at a time.
        GICD_SGIR => write_sgir(vcpus, vcpu.id, val),
        base => {
            let mut arm = vcpu.arm_lock();
            let private = &mut arm.redist.private_irqs;
            match (base, decode(base, offset)) {
                (GICD_CPENDSGIR, _) => write_sgipend(private, offset, val, false),
                (GICD_SPENDSGIR, _) => write_sgipend(private, offset, val, true),
                (_, Some((reg, intid))) => {
                    let acc = V2Access {
                        vcpu_id: vcpu.id,
                        // C: `GENMASK(online_vcpus - 1, 0)` into a u8.
                        // CAST: at most 8 bits kept.
                        cpu_mask: (1u32
                            .checked_shl(nr_vcpus as u32)
                            .unwrap_or(0)
                            .wrapping_sub(1)) as u8,
                        groups_writable: vgic.v2_groups_user_writable,
                    };
                    let irqs = irqs_of(private, &mut vgic.spis, reg, intid);
                    irq::write_v2(reg, irqs, intid, acc, val);
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_dist_v2)]
mod tests {
    use super::*;

    /// golden/vgic_v2.txt: `GICD_TYPER` for 992 interrupts and 1 vCPU, 64 and 2; `GICD_IIDR`.
    #[test]
    fn misc() {
        let mut d = Dist::new();
        d.nr_spis = 992 - 32;
        assert_eq!(read_misc(&d, 1, 0x4), 0x1e);
        d.nr_spis = 64 - 32;
        assert_eq!(read_misc(&d, 2, 0x4), 0x21);
        assert_eq!(read_misc(&d, 2, 0x8), 0x4b00_343b);
        assert_eq!(write_misc(&mut d, 2, 0x8, 0), Err(EINVAL));
        assert!(!d.v2_groups_user_writable);
        assert_eq!(write_misc(&mut d, 2, 0x8, 0x4b00_243b), Ok(()));
        assert!(d.v2_groups_user_writable);
        assert_eq!(read_misc(&d, 2, 0x8), 0x4b00_243b);
        assert_eq!(write_misc(&mut d, 2, 0x0, 0xffff_ffff), Ok(()));
        assert_eq!(read_misc(&d, 2, 0x0), 1);
        assert_eq!(decode(GICD_ITARGETSR, 0x824), Some((Reg::Target, 36)));
        assert_eq!(decode(GICD_ICFGR, 0xc0c), Some((Reg::Config, 48)));
        assert_eq!(decode(GICD_SGIR, 0xf00), None);
    }

    /// golden/vgic_v2.txt, "writes: DIST_REGS" with 1 vCPU: the SGI sources.
    #[test]
    fn sgi_sources() {
        let mut p = irq::private_irqs_v2(0);
        let acc = V2Access {
            vcpu_id: 0,
            cpu_mask: 1,
            groups_writable: false,
        };
        irq::write_v2(Reg::SetPending, &mut p, 0, acc, 0xffff);
        assert_eq!(read_sgipend(&p, 0xf10), 0x0101_0101);
        write_sgipend(&mut p, 0xf20, 0x0102_0304, true);
        assert_eq!(read_sgipend(&p, 0xf20), 0x0103_0305);
        write_sgipend(&mut p, 0xf10, 0x4, false);
        assert_eq!(read_sgipend(&p, 0xf10), 0x0103_0301);
        write_sgipend(&mut p, 0xf1c, 0xffff_ffff, false);
        assert_eq!(read_sgipend(&p, 0xf1c), 0);
        assert_eq!(irq::read_v2(Reg::ClearPending, &p), 0x0fff);
        irq::write_v2(Reg::ClearPending, &mut p, 0, acc, 0x1);
        assert_eq!(read_sgipend(&p, 0xf10), 0x0103_0300);
        assert_eq!(irq::read_v2(Reg::SetPending, &p), 0x0ffe);
        assert_eq!(irq::read_v2(Reg::Target, &p), 0x0101_0101);
        irq::write_v2(Reg::Group, &mut p, 0, acc, u32::MAX);
        assert_eq!(irq::read_v2(Reg::Group, &p), 0);
    }

    /// golden/vgic_v2.txt, "writes: DIST_REGS" with 2 vCPUs: `GICD_ITARGETSR` of SPIs keeps
    /// the vCPUs that exist.
    #[test]
    fn targets() {
        let mut s = [VgicIrq::spi_v2(); 32];
        let acc = V2Access {
            vcpu_id: 0,
            cpu_mask: 3,
            groups_writable: true,
        };
        irq::write_v2(Reg::Target, &mut s[4..], 36, acc, u32::MAX);
        assert_eq!(irq::read_v2(Reg::Target, &s[4..]), 0x0303_0303);
        irq::write_v2(Reg::Target, &mut s[0..], 32, acc, 0x0202_0202);
        assert_eq!(irq::read_v2(Reg::Target, &s), 0x0202_0202);
        let mut p = irq::private_irqs_v2(1);
        irq::write_v2(Reg::Target, &mut p, 0, acc, 0);
        assert_eq!(irq::read_v2(Reg::Target, &p), 0x0202_0202);
        irq::write_v2(Reg::Group, &mut s, 32, acc, 0xffff);
        assert_eq!(irq::read_v2(Reg::Group, &s), 0xffff);
    }
}
