// SPDX-License-Identifier: GPL-2.0

//! The GICv3 redistributor registers of one vCPU, as user space accesses them through
//! `KVM_DEV_ARM_VGIC_GRP_REDIST_REGS` (32 bits at a time).
//!
//! C: `vgic_v3_rd_registers[]`, `vgic_mmio_read_v3r_typer()`,
//! `vgic_mmio_vcpu_rdist_is_last()`, `vgic_mmio_read_v3r_iidr()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v3.c), and
//! `vgic_uaccess()` in [`arch/arm64/kvm/vgic/vgic-mmio.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio.c).
//!
//! The registers that derive from the layout (`GICR_TYPER`, `GICR_IIDR`) and the RAZ/WI ones
//! (`GICR_STATUSR`, `GICR_WAKER`) are modelled. The others (`GICR_CTLR`, the LPI tables, the
//! ID registers and the SGI frame of private interrupts) are not yet: they answer `ENXIO`
//! rather than a value that could be wrong.

use kernel::prelude::*;

use super::{
    dist::{
        IMPLEMENTER_ARM,
        PRODUCT_ID_KVM, //
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
/// processor number in 23:8, `Last` in bit 4.
fn typer(dist: &Dist, vcpu: &RedistVcpu) -> u64 {
    let mut value = (vcpu.mpidr & 0xff_ffff) << 32;
    value |= u64::from(vcpu.id & 0xffff) << 8;
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
pub(crate) fn read(dist: &Dist, vcpu: &RedistVcpu, offset: u64) -> Result<u32> {
    match offset {
        // CAST: the halves of a 64-bit value.
        GICR_TYPER => Ok(typer(dist, vcpu) as u32),
        GICR_TYPER_HI => Ok((typer(dist, vcpu) >> 32) as u32),
        GICR_IIDR => Ok(PRODUCT_ID_KVM << 24 | IMPLEMENTER_ARM),
        GICR_STATUSR | GICR_WAKER => Ok(0),
        GICR_CTLR => Err(ENXIO),
        _ => Err(ENXIO),
    }
}

/// Writes the 32-bit register at `offset` (C: `vgic_uaccess_write()`).
///
/// # Errors
///
/// `ENXIO` for a register that is not modelled yet.
pub(crate) fn write(offset: u64, _val: u32) -> Result {
    match offset {
        // Write-ignored (C: `vgic_mmio_uaccess_write_wi()`, `vgic_mmio_write_wi()`).
        GICR_TYPER | GICR_TYPER_HI | GICR_IIDR | GICR_STATUSR | GICR_WAKER => Ok(()),
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
        assert_eq!(read(&d, &v(0, (0, 0)), GICR_TYPER), Ok(0x000));
        assert_eq!(read(&d, &v(1, (0, 1)), GICR_TYPER), Ok(0x100));
        assert_eq!(read(&d, &v(3, (2, 1)), GICR_TYPER), Ok(0x310));
        assert_eq!(read(&d, &v(4, (1, 0)), GICR_TYPER), Ok(0x410));
        assert_eq!(read(&d, &v(1, (0, 1)), GICR_TYPER_HI), Ok(1));
        assert_eq!(read(&d, &v(0, (0, 0)), GICR_CTLR), Err(ENXIO));
    }
}
