// SPDX-License-Identifier: GPL-2.0

//! The GICv3 distributor registers, as user space accesses them through
//! `KVM_DEV_ARM_VGIC_GRP_DIST_REGS` (32 bits at a time).
//!
//! C: `vgic_v3_dist_registers[]`, `vgic_mmio_read_v3_misc()`,
//! `vgic_mmio_uaccess_write_v3_misc()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v3.c).
//!
//! The control and identification block (`GICD_CTLR`, `GICD_TYPER`, `GICD_IIDR`,
//! `GICD_TYPER2`), the RAO/WI `GICD_STATUSR` and the ID registers are modelled here;
//! `GICD_TYPER` derives from the number of interrupts. The per-interrupt registers (group,
//! enable, pending, active, priority, configuration, routing) access the SPIs through
//! [`irq`]; their first 32 interrupts, the private ones, are RAZ/WI in the distributor (C:
//! `REGISTER_DESC_WITH_BITS_PER_IRQ_SHARED()`).

use kernel::prelude::*;

use kernel::nospec;

use super::{
    irq,
    lpi::INTERRUPT_ID_BITS_ITS,
    Dist,
    VGIC_NR_PRIVATE_IRQS, //
};

/// `GICD_CTLR`.
const GICD_CTLR: u64 = 0x0000;
/// `GICD_TYPER`.
const GICD_TYPER: u64 = 0x0004;
/// `GICD_IIDR`.
pub(crate) const GICD_IIDR: u64 = 0x0008;
/// `GICD_TYPER2`.
pub(crate) const GICD_TYPER2: u64 = 0x000c;
/// `GICD_STATUSR`.
const GICD_STATUSR: u64 = 0x0010;

/// The ID registers (C: `GICD_IDREGS`), 48 bytes.
pub(crate) const GICD_IDREGS: u64 = 0xffd0;
/// `GICD_PIDR2` (C: `GICD_PIDR2`).
const GICD_PIDR2: u64 = 0xffe8;
/// `GICD_PIDR2` of a GICv3 (C: `vgic_mmio_read_v3_idregs()`).
pub(crate) const PIDR2_V3: u32 = 0x3b;

/// `GICD_CTLR.EnableGrp1NS`.
const GICD_CTLR_ENABLE_SS_G1: u32 = 1 << 1;
/// `GICD_CTLR.ARE_NS`: affinity routing, always on.
const GICD_CTLR_ARE_NS: u32 = 1 << 4;
/// `GICD_CTLR.DS`: a single security state.
const GICD_CTLR_DS: u32 = 1 << 6;
/// The interrupt id bits without an ITS (C: `INTERRUPT_ID_BITS_SPIS`).
const INTERRUPT_ID_BITS_SPIS: u32 = 10;
/// `GICD_TYPER.LPIS`: LPIs, with an ITS.
const GICD_TYPER_LPIS: u32 = 1 << 17;
/// `GICD_IIDR.Revision`.
const GICD_IIDR_REVISION_SHIFT: u32 = 12;
/// The mask of `GICD_IIDR.Revision`.
const GICD_IIDR_REVISION_MASK: u32 = 0xf << GICD_IIDR_REVISION_SHIFT;
/// KVM's product id in the IIDRs (C: `PRODUCT_ID_KVM`).
pub(crate) const PRODUCT_ID_KVM: u32 = 0x4b;
/// Arm's JEP106 implementer code (C: `IMPLEMENTER_ARM`).
pub(crate) const IMPLEMENTER_ARM: u32 = 0x43b;
/// The implementation revisions user space may choose (C: `KVM_VGIC_IMP_REV_2` and `_3`).
const IMP_REVS: [u32; 2] = [2, 3];
/// The revision of a new VGIC (C: `KVM_VGIC_IMP_REV_LATEST`).
pub(crate) const IMP_REV_LATEST: u32 = 3;

/// `vgic_mmio_read_v3_idregs()`: `PIDR2` says GICv3, the others read 0.
pub(crate) fn read_idreg(offset: u64) -> u32 {
    if offset & 0xffff == GICD_PIDR2 {
        PIDR2_V3
    } else {
        0
    }
}

/// The SPIs a 32-bit access to per-interrupt register `reg` at interrupt `intid` covers;
/// `None` for the private interrupts (RAZ/WI here) and for interrupts the VGIC does not have.
fn spis(dist: &mut Dist, reg: irq::Reg, intid: u32) -> Option<&mut [irq::VgicIrq]> {
    let first = usize::try_from(intid.checked_sub(VGIC_NR_PRIVATE_IRQS)?).ok()?;
    let len = dist.spis.len();
    if first >= len {
        return None;
    }
    let first = nospec::array_index_nospec(first, len);
    let end = len.min(first + reg.count());
    dist.spis.get_mut(first..end)
}

/// `vgic_mmio_read_v3_misc()`, the ID registers and the per-interrupt registers' user reads.
///
/// # Errors
///
/// `ENXIO` for a register that is not modelled yet.
pub(crate) fn read(dist: &mut Dist, offset: u64) -> Result<u32> {
    if let Some((reg, intid, high)) = irq::decode(offset) {
        return Ok(spis(dist, reg, intid).map_or(0, |irqs| irq::read(reg, irqs, high)));
    }
    if (GICD_IDREGS..GICD_IDREGS + 48).contains(&offset) {
        return Ok(read_idreg(offset));
    }
    match offset {
        GICD_CTLR => {
            let enabled = if dist.enabled {
                GICD_CTLR_ENABLE_SS_G1
            } else {
                0
            };
            // No GICv4.1 on the host: never nASSGIreq.
            Ok(enabled | GICD_CTLR_ARE_NS | GICD_CTLR_DS)
        }
        GICD_TYPER => {
            let lines = ((dist.nr_spis + VGIC_NR_PRIVATE_IRQS) >> 5).wrapping_sub(1);
            if dist.has_its() {
                // LPIs: 16 interrupt id bits.
                Ok(lines | (INTERRUPT_ID_BITS_ITS - 1) << 19 | GICD_TYPER_LPIS)
            } else {
                Ok(lines | (INTERRUPT_ID_BITS_SPIS - 1) << 19)
            }
        }
        // No direct SGIs on the host: nASSGIcap is 0.
        GICD_TYPER2 => Ok(0),
        GICD_IIDR => Ok(PRODUCT_ID_KVM << 24
            | dist.implementation_rev << GICD_IIDR_REVISION_SHIFT
            | IMPLEMENTER_ARM),
        // C: `vgic_mmio_read_rao()`.
        GICD_STATUSR => Ok(u32::MAX),
        _ => Err(ENXIO),
    }
}

/// `vgic_mmio_uaccess_write_v3_misc()`, the write-ignored ID registers and the
/// per-interrupt registers' user writes.
///
/// # Errors
///
/// `GICD_TYPER2`: `EBUSY` for a change after initialisation, `EINVAL` for any other value
/// than the host's. `GICD_IIDR`: `EINVAL` for a change outside the revision, or a revision
/// other than 2 or 3. `ENXIO` for a register that is not modelled yet.
pub(crate) fn write(dist: &mut Dist, offset: u64, val: u32) -> Result {
    if let Some((reg, intid, high)) = irq::decode(offset) {
        if let Some(irqs) = spis(dist, reg, intid) {
            irq::write(reg, irqs, intid, high, val);
        }
        return Ok(());
    }
    if (GICD_IDREGS..GICD_IDREGS + 48).contains(&offset) {
        return Ok(());
    }
    match offset {
        GICD_TYPER2 => {
            let reg = read(dist, offset)?;
            if reg == val {
                return Ok(());
            }
            if dist.initialized {
                return Err(EBUSY);
            }
            // Only nASSGIcap may change, and the host has no direct SGIs.
            Err(EINVAL)
        }
        GICD_IIDR => {
            let reg = read(dist, offset)?;
            if (reg ^ val) & !GICD_IIDR_REVISION_MASK != 0 {
                return Err(EINVAL);
            }
            let rev = (val & GICD_IIDR_REVISION_MASK) >> GICD_IIDR_REVISION_SHIFT;
            if !IMP_REVS.contains(&rev) {
                return Err(EINVAL);
            }
            dist.implementation_rev = rev;
            Ok(())
        }
        GICD_CTLR => {
            dist.enabled = val & GICD_CTLR_ENABLE_SS_G1 != 0;
            Ok(())
        }
        // Write-ignored.
        GICD_TYPER | GICD_STATUSR => Ok(()),
        _ => Err(ENXIO),
    }
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_dist)]
mod tests {
    use super::*;

    /// golden/vgic_v3.txt: "nr_irqs: the largest", "nr_irqs: the default at CTRL INIT" and
    /// "pre-init: 2 vCPUs, registers before CTRL INIT".
    #[test]
    fn misc() {
        let mut d = Dist::new();
        d.nr_spis = 992 - 32;
        assert_eq!(read(&mut d, GICD_TYPER), Ok(0x0048_001e));
        d.nr_spis = 256 - 32;
        assert_eq!(read(&mut d, GICD_TYPER), Ok(0x0048_0007));
        assert_eq!(read(&mut d, GICD_IIDR), Ok(0x4b00_343b));
        assert_eq!(write(&mut d, GICD_IIDR, 0x4b00_143b), Err(EINVAL));
        assert_eq!(write(&mut d, GICD_IIDR, 0x4b00_243b), Ok(()));
        assert_eq!(read(&mut d, GICD_IIDR), Ok(0x4b00_243b));
        assert_eq!(write(&mut d, GICD_IIDR, 0x4b00_343a), Err(EINVAL));
        assert_eq!(write(&mut d, GICD_TYPER2, 0), Ok(()));
        assert_eq!(write(&mut d, GICD_TYPER2, 0x100), Err(EINVAL));
        d.initialized = true;
        assert_eq!(write(&mut d, GICD_TYPER2, 0x100), Err(EBUSY));
        assert_eq!(read(&mut d, GICD_CTLR), Ok(0x50));
        assert_eq!(write(&mut d, GICD_CTLR, 2), Ok(()));
        assert_eq!(read(&mut d, GICD_CTLR), Ok(0x52));
        assert_eq!(read(&mut d, 0x0f00), Err(ENXIO));
        assert_eq!(read(&mut d, 0xffe8), Ok(0x3b));
        assert_eq!(read(&mut d, 0x0084), Ok(0));
        assert!(d.spis.push(irq::VgicIrq::spi(), GFP_KERNEL).is_ok());
        assert_eq!(read(&mut d, 0x0084), Ok(1));
        assert_eq!(read(&mut d, 0x0080), Ok(0));
        assert_eq!(write(&mut d, 0x6100, 0x8000_0001), Ok(()));
        assert_eq!(read(&mut d, 0x6100), Ok(1));
    }
}
