// SPDX-License-Identifier: GPL-2.0

//! The GICv3 redistributor registers of one vCPU, as user space accesses them through
//! `KVM_DEV_ARM_VGIC_GRP_REDIST_REGS` (32 bits at a time).
//!
//! C: `vgic_v3_rd_registers[]`, `vgic_mmio_read_v3r_typer()`,
//! `vgic_mmio_vcpu_rdist_is_last()`, `vgic_mmio_read_v3r_iidr()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v3.c), and
//! `vgic_uaccess()` in [`arch/arm64/kvm/vgic/vgic-mmio.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio.c).
//!
//! The registers that derive from the layout (`GICR_TYPER`, `GICR_IIDR`), the RAZ/WI ones
//! (`GICR_STATUSR`, `GICR_WAKER`), the reads of `GICR_CTLR`, the LPI table bases
//! (`GICR_PROPBASER`, `GICR_PENDBASER`) and the ID registers are modelled here; the writes
//! that reach the LPIs (`GICR_CTLR`, `GICR_INVLPIR`, `GICR_INVALLR`) are [`super::lpi`]'s,
//! and the SGI frame accesses the vCPU's private interrupts through [`irq`]. Each vCPU has
//! one [`RedistState`].

use kernel::{
    nospec,
    prelude::*, //
};

use super::{
    dist::{
        read_idreg,
        IMPLEMENTER_ARM,
        PRODUCT_ID_KVM, //
    },
    irq,
    lpi::{
        GICR_CTLR_ENABLE_LPIS,
        GICR_PENDBASER_PTZ, //
    },
    Dist,
    RedistRegion,
    V3_REDIST_SIZE, //
};

/// `GICR_CTLR`.
const GICR_CTLR: u64 = 0x0000;
/// `GICR_IIDR`.
const GICR_IIDR: u64 = 0x0004;
/// `GICR_TYPER`, 64 bits: the low half.
const GICR_TYPER: u64 = 0x0008;
/// `GICR_TYPER`'s high half.
const GICR_TYPER_HI: u64 = 0x000c;
/// `GICR_STATUSR`.
const GICR_STATUSR: u64 = 0x0010;
/// `GICR_WAKER`.
const GICR_WAKER: u64 = 0x0014;
/// `GICR_TYPER.Last`: the last redistributor of a contiguous series.
const GICR_TYPER_LAST: u64 = 1 << 4;
/// `GICR_TYPER.PLPIS`: physical LPIs, with an ITS.
const GICR_TYPER_PLPIS: u64 = 1;
/// `GICR_PROPBASER`, 64 bits.
const GICR_PROPBASER: u64 = 0x0070;
/// `GICR_PENDBASER`, 64 bits.
const GICR_PENDBASER: u64 = 0x0078;
/// `GICR_SYNCR`.
const GICR_SYNCR: u64 = 0x00c0;
/// The ID registers (C: `GICR_IDREGS`), 48 bytes.
const GICR_IDREGS: u64 = 0xffd0;
/// The SGI frame (C: `SZ_64K`), whose per-interrupt registers have the distributor's offsets.
const SGI_BASE: u64 = 0x1_0000;
/// `GICR_CTLR.CES` and `GICR_CTLR.IR`, reported from revision 3 (C: `GICR_CTLR_CES`,
/// `GICR_CTLR_IR`).
const GICR_CTLR_CES_IR: u32 = 1 << 1 | 1 << 2;
/// The reset `GICR_PENDBASER`: inner read-allocate write-back, outer same as inner, inner
/// shareable (C: `INITIAL_PENDBASER_VALUE`).
const INITIAL_PENDBASER: u64 = 3 << BASER_INNER_SHIFT | 1 << BASER_SHAREABILITY_SHIFT;
/// The shareability field of both table bases (C: `GICR_PROPBASER_SHAREABILITY_SHIFT`).
const BASER_SHAREABILITY_SHIFT: u32 = 10;
/// The inner cacheability field of both table bases.
const BASER_INNER_SHIFT: u32 = 7;
/// The outer cacheability field of both table bases.
const BASER_OUTER_SHIFT: u32 = 56;
/// The RES0 bits of `GICR_PROPBASER` (C: `PROPBASER_RES0_MASK`): 63:59, 55:52, 6:5.
const PROPBASER_RES0: u64 = 0xf8f0_0000_0000_0060;
/// The RES0 bits of `GICR_PENDBASER` (C: `PENDBASER_RES0_MASK`): 63, 61:59, 55:52, 15:12,
/// 6:0.
const PENDBASER_RES0: u64 = 0xb8f0_0000_0000_f07f;

/// The redistributor state of one vCPU (C: the `private_irqs`, `pendbaser` and `ctlr` of
/// `struct vgic_cpu`).
pub(crate) struct RedistState {
    /// SGIs and PPIs (C: `private_irqs`).
    pub(crate) private_irqs: [irq::VgicIrq; irq::NR_PRIVATE],
    /// `GICR_PENDBASER` (C: `pendbaser`).
    pub(crate) pendbaser: u64,
    /// `GICR_CTLR.EnableLPIs` (C: `ctlr == GICR_CTLR_ENABLE_LPIS`, `vgic_lpis_enabled()`).
    pub(crate) lpis_enabled: bool,
}

impl Default for RedistState {
    /// The state `kvm_vgic_vcpu_init()` and `vgic_v3_reset()` give a vCPU of a GICv3.
    fn default() -> Self {
        Self {
            private_irqs: irq::private_irqs(),
            pendbaser: INITIAL_PENDBASER,
            lpis_enabled: false,
        }
    }
}

/// `vgic_sanitise_field()` of one 3-bit cacheability or 2-bit shareability field.
fn sanitise_field(reg: u64, shift: u32, mask: u64, f: fn(u64) -> u64) -> u64 {
    let field = (reg >> shift) & mask;
    (reg & !(mask << shift)) | f(field) << shift
}

/// `vgic_sanitise_propbaser()` and `vgic_sanitise_pendbaser()` without their RES0 masks:
/// outer shareable becomes inner shareable, inner non-cacheable becomes read-allocate
/// write-back, an outer cacheability other than non-cacheable becomes same-as-inner.
fn sanitise_baser(reg: u64) -> u64 {
    let reg = sanitise_field(
        reg,
        BASER_SHAREABILITY_SHIFT,
        3,
        |f| if f == 2 { 1 } else { f },
    );
    let reg = sanitise_field(reg, BASER_INNER_SHIFT, 7, |f| if f <= 1 { 3 } else { f });
    sanitise_field(reg, BASER_OUTER_SHIFT, 7, |f| if f == 1 { 1 } else { 0 })
}

/// The index of private interrupt `intid` (decoded from a user offset), clamped under
/// speculation as `array_index_nospec()` does; `NR_PRIVATE` (an empty slice) if out of range.
fn private_index(intid: u32) -> usize {
    match usize::try_from(intid) {
        Ok(i) if i < irq::NR_PRIVATE => nospec::array_index_nospec(i, irq::NR_PRIVATE),
        _ => irq::NR_PRIVATE,
    }
}

/// `update_64bit_reg()` for a 32-bit access: replaces the half at `offset & 4`.
fn update_half(reg: u64, offset: u64, val: u32) -> u64 {
    let shift = if offset & 4 != 0 { 32 } else { 0 };
    (reg & !(0xffff_ffffu64 << shift)) | u64::from(val) << shift
}

/// The half of `reg` at `offset & 4` (C: `extract_bytes()`).
fn half(reg: u64, offset: u64) -> u32 {
    // CAST: one half of a 64-bit value.
    (reg >> if offset & 4 != 0 { 32 } else { 0 }) as u32
}

/// The vCPU whose redistributor is accessed, as the register model needs it.
pub(crate) struct RedistVcpu {
    /// `vcpu->vcpu_id`.
    pub(crate) id: u32,
    /// `MPIDR_EL1` (0 before `KVM_ARM_VCPU_INIT`).
    pub(crate) mpidr: u64,
    /// Its redistributor slot, as (region index, slot in the region), once placed.
    pub(crate) rd: Option<(u32, u32)>,
}

/// `vgic_mmio_vcpu_rdist_is_last()`: whether the vCPU's redistributor is the last of its
/// region, and no other used region follows its region contiguously.
fn rdist_is_last(dist: &Dist, vcpu: &RedistVcpu) -> bool {
    let Some((index, slot)) = vcpu.rd else {
        return false;
    };
    let Some(region) = dist.rd_regions.iter().find(|r| r.index == index) else {
        return false;
    };
    if slot + 1 < region.free_index {
        return false;
    }
    if region.count != 0 && slot == region.count - 1 {
        let end = region.base + u64::from(region.count) * V3_REDIST_SIZE;
        let followed = |r: &RedistRegion| r.base == end && r.free_index > 0;
        if dist.rd_regions.iter().any(followed) {
            return false;
        }
    }
    true
}

/// `vgic_mmio_read_v3r_typer()`: the affinity in 63:32 (KVM reports Aff2.Aff1.Aff0), the
/// processor number in 23:8, `Last` in bit 4, `PLPIS` in bit 0 with an ITS.
fn typer(dist: &Dist, vcpu: &RedistVcpu) -> u64 {
    let mut value = (vcpu.mpidr & 0xff_ffff) << 32;
    value |= u64::from(vcpu.id & 0xffff) << 8;
    if dist.has_its() {
        value |= GICR_TYPER_PLPIS;
    }
    if rdist_is_last(dist, vcpu) {
        value |= GICR_TYPER_LAST;
    }
    value
}

/// Reads the 32-bit register at `offset` (C: `vgic_uaccess_read()`).
///
/// # Errors
///
/// `ENXIO` for a register that is not modelled yet.
pub(crate) fn read(
    dist: &Dist,
    vcpu: &RedistVcpu,
    state: &RedistState,
    offset: u64,
) -> Result<u32> {
    if let Some((reg, intid, high)) = offset.checked_sub(SGI_BASE).and_then(irq::decode) {
        let irqs = state
            .private_irqs
            .get(private_index(intid)..)
            .unwrap_or(&[]);
        return Ok(irq::read(reg, irqs, high));
    }
    if (GICR_IDREGS..GICR_IDREGS + 48).contains(&offset) {
        return Ok(read_idreg(offset));
    }
    match offset {
        // CAST: the halves of a 64-bit value.
        GICR_TYPER => Ok(typer(dist, vcpu) as u32),
        GICR_TYPER_HI => Ok((typer(dist, vcpu) >> 32) as u32),
        GICR_IIDR => Ok(PRODUCT_ID_KVM << 24 | IMPLEMENTER_ARM),
        GICR_STATUSR | GICR_WAKER | GICR_SYNCR => Ok(0),
        // C: `vgic_mmio_read_v3r_ctlr()`.
        GICR_CTLR => {
            let ctlr = if state.lpis_enabled {
                GICR_CTLR_ENABLE_LPIS
            } else {
                0
            };
            Ok(ctlr
                | if dist.implementation_rev >= 3 {
                    GICR_CTLR_CES_IR
                } else {
                    0
                })
        }
        // C: `vgic_mmio_read_propbase()`.
        GICR_PROPBASER | 0x0074 => Ok(half(dist.propbaser, offset)),
        // C: `vgic_mmio_read_pendbase()`.
        GICR_PENDBASER | 0x007c => Ok(half(state.pendbaser & !GICR_PENDBASER_PTZ, offset)),
        // C: `vgic_mmio_read_raz()` for `GICR_INVLPIR` and `GICR_INVALLR`.
        0x00a0..=0x00b7 => Ok(0),
        _ => Err(ENXIO),
    }
}

/// Writes the 32-bit register at `offset` (C: `vgic_uaccess_write()`).
///
/// # Errors
///
/// `ENXIO` for a register that is not modelled yet.
pub(crate) fn write(dist: &mut Dist, state: &mut RedistState, offset: u64, val: u32) -> Result {
    if let Some((reg, intid, high)) = offset.checked_sub(SGI_BASE).and_then(irq::decode) {
        if let Some(irqs) = state.private_irqs.get_mut(private_index(intid)..) {
            irq::write(reg, irqs, intid, high, val);
        }
        return Ok(());
    }
    match offset {
        // C: `vgic_mmio_write_propbase()` and `vgic_mmio_write_pendbase()`: ignored once the
        // vCPU's LPIs are enabled.
        GICR_PROPBASER | 0x0074 | GICR_PENDBASER | 0x007c if state.lpis_enabled => Ok(()),
        GICR_PROPBASER | 0x0074 => {
            let reg = sanitise_baser(update_half(dist.propbaser, offset, val));
            dist.propbaser = reg & !PROPBASER_RES0;
            Ok(())
        }
        // C: `vgic_mmio_write_pendbase()`.
        GICR_PENDBASER | 0x007c => {
            let reg = sanitise_baser(update_half(state.pendbaser, offset, val));
            state.pendbaser = reg & !PENDBASER_RES0;
            Ok(())
        }
        // Write-ignored (C: `vgic_mmio_uaccess_write_wi()`, `vgic_mmio_write_wi()`); the
        // writes that reach the LPIs are `lpi::redist_write()`'s.
        GICR_CTLR
        | GICR_TYPER
        | GICR_TYPER_HI
        | GICR_IIDR
        | GICR_STATUSR
        | GICR_WAKER
        | GICR_SYNCR
        | 0x00a0..=0x00b7 => Ok(()),
        o if (GICR_IDREGS..GICR_IDREGS + 48).contains(&o) => Ok(()),
        _ => Err(ENXIO),
    }
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_redist)]
mod tests {
    use super::*;

    fn region(base: u64, count: u32, index: u32, free_index: u32) -> RedistRegion {
        RedistRegion {
            base,
            count,
            index,
            free_index,
        }
    }

    /// Regions of 2, 1 and 2 redistributors, the third contiguous with the first, as in
    /// golden/vgic_init-v3.txt's test_v3_last_bit_redist_regions.
    #[test]
    fn last_bit() {
        let mut d = Dist::new();
        for r in [
            region(0x10_0000, 2, 0, 2),
            region(0x24_0000, 1, 1, 1),
            region(0x14_0000, 2, 2, 2),
        ] {
            assert!(d.rd_regions.push(r, GFP_KERNEL).is_ok());
        }
        let v = |id: u32, rd: (u32, u32)| RedistVcpu {
            id,
            mpidr: u64::from(id),
            rd: Some(rd),
        };
        let s = RedistState::default();
        assert_eq!(read(&d, &v(0, (0, 0)), &s, GICR_TYPER), Ok(0x000));
        assert_eq!(read(&d, &v(1, (0, 1)), &s, GICR_TYPER), Ok(0x100));
        assert_eq!(read(&d, &v(3, (2, 1)), &s, GICR_TYPER), Ok(0x310));
        assert_eq!(read(&d, &v(4, (1, 0)), &s, GICR_TYPER), Ok(0x410));
        assert_eq!(read(&d, &v(1, (0, 1)), &s, GICR_TYPER_HI), Ok(1));
        assert_eq!(read(&d, &v(0, (0, 0)), &s, GICR_CTLR), Ok(6));
    }

    /// golden/vgic_v3.txt, "writes: REDIST_REGS": the table bases.
    #[test]
    fn basers() {
        let mut d = Dist::new();
        let mut s = RedistState::default();
        let v = RedistVcpu {
            id: 0,
            mpidr: 0,
            rd: None,
        };
        assert_eq!(read(&d, &v, &s, 0x78), Ok(0x580));
        assert_eq!(write(&mut d, &mut s, 0x70, 0x4000_100f), Ok(()));
        assert_eq!(write(&mut d, &mut s, 0x74, 0xffff_ffff), Ok(()));
        assert_eq!(write(&mut d, &mut s, 0x78, 0x4001_0fff), Ok(()));
        assert_eq!(write(&mut d, &mut s, 0x7c, 0x4000_0000), Ok(()));
        assert_eq!(read(&d, &v, &s, 0x70), Ok(0x4000_118f));
        assert_eq!(read(&d, &v, &s, 0x74), Ok(0x000f_ffff));
        assert_eq!(read(&d, &v, &s, 0x78), Ok(0x4001_0f80));
        assert_eq!(read(&d, &v, &s, 0x7c), Ok(0));
        assert_eq!(read(&d, &v, &s, 0xffe8), Ok(0x3b));
    }
}
