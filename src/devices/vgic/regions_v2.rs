// SPDX-License-Identifier: GPL-2.0

//! The register maps of the GICv2 frames: the distributor and the CPU interface, in the
//! shape of [`super::regions`] (which offsets hold a register, the access widths, the bits
//! per interrupt), found with the same binary search.
//!
//! C: `vgic_v2_dist_registers[]`, `vgic_v2_cpu_registers[]` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v2.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v2.c).
//!
//! Unlike a GICv3's, a GICv2's distributor has no ID registers and no `GICD_NSACR` in
//! KVM's table, and its per-interrupt registers reach the private interrupts of the vCPU the
//! attribute names (C: `REGISTER_DESC_WITH_BITS_PER_IRQ()`, not `_SHARED()`). An offset
//! without a region reads 0 and ignores writes (C: `vgic_uaccess()`), and `KVM_HAS_DEVICE_ATTR`
//! answers `ENXIO` for it (C: `vgic_v2_has_attr_regs()`).

use super::regions::{
    fixed,
    per_irq,
    Region,
    A32,
    A8, //
};

/// `GICD_CTLR`, `GICD_TYPER` and `GICD_IIDR` (C: `GIC_DIST_CTRL`, 12 bytes).
pub(crate) const GICD_MISC: u32 = 0x000;
/// `GICD_IGROUPR` (C: `GIC_DIST_IGROUP`).
pub(crate) const GICD_IGROUPR: u32 = 0x080;
/// `GICD_ISENABLER` (C: `GIC_DIST_ENABLE_SET`).
pub(crate) const GICD_ISENABLER: u32 = 0x100;
/// `GICD_ICENABLER` (C: `GIC_DIST_ENABLE_CLEAR`).
pub(crate) const GICD_ICENABLER: u32 = 0x180;
/// `GICD_ISPENDR` (C: `GIC_DIST_PENDING_SET`).
pub(crate) const GICD_ISPENDR: u32 = 0x200;
/// `GICD_ICPENDR` (C: `GIC_DIST_PENDING_CLEAR`).
pub(crate) const GICD_ICPENDR: u32 = 0x280;
/// `GICD_ISACTIVER` (C: `GIC_DIST_ACTIVE_SET`).
pub(crate) const GICD_ISACTIVER: u32 = 0x300;
/// `GICD_ICACTIVER` (C: `GIC_DIST_ACTIVE_CLEAR`).
pub(crate) const GICD_ICACTIVER: u32 = 0x380;
/// `GICD_IPRIORITYR` (C: `GIC_DIST_PRI`).
pub(crate) const GICD_IPRIORITYR: u32 = 0x400;
/// `GICD_ITARGETSR` (C: `GIC_DIST_TARGET`).
pub(crate) const GICD_ITARGETSR: u32 = 0x800;
/// `GICD_ICFGR` (C: `GIC_DIST_CONFIG`).
pub(crate) const GICD_ICFGR: u32 = 0xc00;
/// `GICD_SGIR` (C: `GIC_DIST_SOFTINT`).
pub(crate) const GICD_SGIR: u32 = 0xf00;
/// `GICD_CPENDSGIR`, 16 bytes (C: `GIC_DIST_SGI_PENDING_CLEAR`).
pub(crate) const GICD_CPENDSGIR: u32 = 0xf10;
/// `GICD_SPENDSGIR`, 16 bytes (C: `GIC_DIST_SGI_PENDING_SET`).
pub(crate) const GICD_SPENDSGIR: u32 = 0xf20;

/// `GICC_CTLR` (C: `GIC_CPU_CTRL`).
pub(crate) const GICC_CTLR: u32 = 0x00;
/// `GICC_PMR` (C: `GIC_CPU_PRIMASK`).
pub(crate) const GICC_PMR: u32 = 0x04;
/// `GICC_BPR` (C: `GIC_CPU_BINPOINT`).
pub(crate) const GICC_BPR: u32 = 0x08;
/// `GICC_ABPR` (C: `GIC_CPU_ALIAS_BINPOINT`).
pub(crate) const GICC_ABPR: u32 = 0x1c;
/// `GICC_APR0-3`, 16 bytes (C: `GIC_CPU_ACTIVEPRIO`).
pub(crate) const GICC_APR: u32 = 0xd0;
/// `GICC_IIDR` (C: `GIC_CPU_IDENT`).
pub(crate) const GICC_IIDR: u32 = 0xfc;
/// `GICC_DIR` (C: `GIC_CPU_DEACTIVATE`).
pub(crate) const GICC_DIR: u32 = 0x1000;

/// The GICv2 distributor (C: `vgic_v2_dist_registers[]`), in C's order (sorted).
pub(crate) static GICD: [Region; 14] = [
    fixed(GICD_MISC, 12, A32),
    per_irq(GICD_IGROUPR, 1, A32),
    per_irq(GICD_ISENABLER, 1, A32),
    per_irq(GICD_ICENABLER, 1, A32),
    per_irq(GICD_ISPENDR, 1, A32),
    per_irq(GICD_ICPENDR, 1, A32),
    per_irq(GICD_ISACTIVER, 1, A32),
    per_irq(GICD_ICACTIVER, 1, A32),
    per_irq(GICD_IPRIORITYR, 8, A32 | A8),
    per_irq(GICD_ITARGETSR, 8, A32 | A8),
    per_irq(GICD_ICFGR, 2, A32),
    fixed(GICD_SGIR, 4, A32),
    fixed(GICD_CPENDSGIR, 16, A32 | A8),
    fixed(GICD_SPENDSGIR, 16, A32 | A8),
];

/// The GICv2 CPU interface (C: `vgic_v2_cpu_registers[]`), in C's order (sorted).
pub(crate) static GICC: [Region; 7] = [
    fixed(GICC_CTLR, 4, A32),
    fixed(GICC_PMR, 4, A32),
    fixed(GICC_BPR, 4, A32),
    fixed(GICC_ABPR, 4, A32),
    fixed(GICC_APR, 16, A32),
    fixed(GICC_IIDR, 4, A32),
    fixed(GICC_DIR, 4, A32),
];

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_regions_v2)]
mod tests {
    use super::super::regions::find;
    use super::*;

    /// golden/vgic_v2.txt, "DIST_REGS cpu 0 before writes" of the 2-vCPU scenario (64
    /// interrupts): the `has` scan.
    #[test]
    fn gicd_64_irqs() {
        let f = |off| find(&GICD, off, 64).map(|r| r.offset);
        assert_eq!(f(0x0000), Some(0));
        assert_eq!(f(0x0008), Some(0));
        assert_eq!(f(0x000c), None);
        assert_eq!(f(0x0084), Some(0x80));
        assert_eq!(f(0x0088), None);
        assert_eq!(f(0x043c), Some(0x400));
        assert_eq!(f(0x0440), None);
        assert_eq!(f(0x083c), Some(0x800));
        assert_eq!(f(0x0c0c), Some(0xc00));
        assert_eq!(f(0x0c10), None);
        assert_eq!(f(0x0e00), None);
        assert_eq!(f(0x0f00), Some(0xf00));
        assert_eq!(f(0x0f04), None);
        assert_eq!(f(0x0f2c), Some(0xf20));
        assert_eq!(f(0x0f30), None);
        assert_eq!(f(0x0fe8), None);
        assert_eq!(f(0x0001), None);
        assert_eq!(f(0x1000), None);
    }

    /// golden/vgic_v2.txt, "CPU_REGS cpu 0 before writes": the `has` scan.
    #[test]
    fn gicc() {
        let f = |off| find(&GICC, off, 64).map(|r| r.offset);
        assert_eq!(f(0x00), Some(0));
        assert_eq!(f(0x08), Some(8));
        assert_eq!(f(0x0c), None);
        assert_eq!(f(0x1c), Some(0x1c));
        assert_eq!(f(0x20), None);
        assert_eq!(f(0xdc), Some(0xd0));
        assert_eq!(f(0xe0), None);
        assert_eq!(f(0xfc), Some(0xfc));
        assert_eq!(f(0x1000), Some(0x1000));
        assert_eq!(f(0x1004), None);
        assert_eq!(f(0x0002), None);
    }
}
