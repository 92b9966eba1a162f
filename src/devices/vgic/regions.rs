// SPDX-License-Identifier: GPL-2.0

//! The register maps of the GICv3 frames: which offsets hold a register, how wide it may be
//! accessed, and for per-interrupt registers how many bits each interrupt takes.
//!
//! C: `struct vgic_register_region`, `vgic_v3_dist_registers[]`, `vgic_v3_rd_registers[]` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v3.c);
//! `vgic_find_mmio_region()`, `check_region()`, `vgic_get_mmio_region()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio.c).
//!
//! A user access (`vgic_uaccess()`) to an offset with no region reads 0 and ignores writes;
//! `KVM_HAS_DEVICE_ATTR` answers `ENXIO` for it (`vgic_v3_has_attr_regs()`).

/// 8-bit accesses allowed (C: `VGIC_ACCESS_8bit`).
pub(crate) const A8: u8 = 1;
/// 32-bit accesses allowed (C: `VGIC_ACCESS_32bit`).
pub(crate) const A32: u8 = 2;
/// 64-bit accesses allowed (C: `VGIC_ACCESS_64bit`).
const A64: u8 = 4;

/// One register region (C: `struct vgic_register_region`).
#[derive(Debug)]
pub(crate) struct Region {
    /// The first offset.
    pub(crate) offset: u32,
    /// The length in bytes.
    len: u32,
    /// Bits per interrupt for per-interrupt registers, 0 otherwise.
    bits_per_irq: u32,
    /// The access widths allowed (`A8`, `A32`, `A64`).
    access: u8,
}

/// A fixed-length region (C: `REGISTER_DESC_WITH_LENGTH()`).
pub(crate) const fn fixed(offset: u32, len: u32, access: u8) -> Region {
    Region {
        offset,
        len,
        bits_per_irq: 0,
        access,
    }
}

/// A per-interrupt region covering 1024 interrupts (C:
/// `REGISTER_DESC_WITH_BITS_PER_IRQ_SHARED()`).
pub(crate) const fn per_irq(offset: u32, bits_per_irq: u32, access: u8) -> Region {
    Region {
        offset,
        len: bits_per_irq * 1024 / 8,
        bits_per_irq,
        access,
    }
}

/// The GICv3 distributor (C: `vgic_v3_dist_registers[]`), in C's order (sorted).
pub(crate) static DIST: [Region; 15] = [
    fixed(0x0000, 16, A32),         // GICD_CTLR, TYPER, IIDR, TYPER2
    fixed(0x0010, 4, A32),          // GICD_STATUSR
    per_irq(0x0080, 1, A32),        // GICD_IGROUPR
    per_irq(0x0100, 1, A32),        // GICD_ISENABLER
    per_irq(0x0180, 1, A32),        // GICD_ICENABLER
    per_irq(0x0200, 1, A32),        // GICD_ISPENDR
    per_irq(0x0280, 1, A32),        // GICD_ICPENDR
    per_irq(0x0300, 1, A32),        // GICD_ISACTIVER
    per_irq(0x0380, 1, A32),        // GICD_ICACTIVER
    per_irq(0x0400, 8, A32 | A8),   // GICD_IPRIORITYR
    per_irq(0x0800, 8, A32 | A8),   // GICD_ITARGETSR
    per_irq(0x0c00, 2, A32),        // GICD_ICFGR
    per_irq(0x0d00, 1, A32),        // GICD_IGRPMODR
    per_irq(0x6000, 64, A64 | A32), // GICD_IROUTER
    fixed(0xffd0, 48, A32),         // GICD_IDREGS
];

/// The GICv3 redistributor, RD_base then SGI_base at 64K (C: `vgic_v3_rd_registers[]`), in
/// C's order. That order is not sorted: `GICR_STATUSR` comes before `GICR_IIDR` and
/// `GICR_TYPER`, so the binary search of [`find`] never finds it, and user space sees no
/// `GICR_STATUSR` (`has` is `ENXIO`, reads are 0), as on real KVM.
pub(crate) static REDIST: [Region; 22] = [
    fixed(0x0000, 4, A32),        // GICR_CTLR
    fixed(0x0010, 4, A32),        // GICR_STATUSR
    fixed(0x0004, 4, A32),        // GICR_IIDR
    fixed(0x0008, 8, A64 | A32),  // GICR_TYPER
    fixed(0x0014, 4, A32),        // GICR_WAKER
    fixed(0x0070, 8, A64 | A32),  // GICR_PROPBASER
    fixed(0x0078, 8, A64 | A32),  // GICR_PENDBASER
    fixed(0x00a0, 8, A64 | A32),  // GICR_INVLPIR
    fixed(0x00b0, 8, A64 | A32),  // GICR_INVALLR
    fixed(0x00c0, 4, A32),        // GICR_SYNCR
    fixed(0xffd0, 48, A32),       // GICR_IDREGS
    fixed(0x10080, 4, A32),       // GICR_IGROUPR0
    fixed(0x10100, 4, A32),       // GICR_ISENABLER0
    fixed(0x10180, 4, A32),       // GICR_ICENABLER0
    fixed(0x10200, 4, A32),       // GICR_ISPENDR0
    fixed(0x10280, 4, A32),       // GICR_ICPENDR0
    fixed(0x10300, 4, A32),       // GICR_ISACTIVER0
    fixed(0x10380, 4, A32),       // GICR_ICACTIVER0
    fixed(0x10400, 32, A32 | A8), // GICR_IPRIORITYR0-7
    fixed(0x10c00, 8, A32),       // GICR_ICFGR0-1
    fixed(0x10d00, 4, A32),       // GICR_IGRPMODR0
    fixed(0x10e00, 4, A32),       // GICR_NSACR
];

/// The binary search of `vgic_find_mmio_region()`, step for step as `__inline_bsearch()` in
/// [`include/linux/bsearch.h`](srctree/include/linux/bsearch.h) with `match_region()`, so
/// that it gives C's answers on C's (partly unsorted) tables.
fn bsearch(regions: &'static [Region], offset: u32) -> Option<&'static Region> {
    let mut base = 0usize;
    let mut num = regions.len();
    while num > 0 {
        let pivot = base + (num >> 1);
        let r = regions.get(pivot)?;
        if u64::from(offset) >= u64::from(r.offset) + u64::from(r.len) {
            base = pivot + 1;
            num -= 1;
        } else if offset >= r.offset {
            return Some(r);
        }
        num >>= 1;
    }
    None
}

/// Finds the region of a 32-bit access at `offset` (C: `vgic_get_mmio_region()` with
/// `len == 4`): the region must allow 32-bit accesses, the offset be aligned, and a
/// per-interrupt register address an interrupt below `nr_irqs`.
pub(crate) fn find(
    regions: &'static [Region],
    offset: u64,
    nr_irqs: u32,
) -> Option<&'static Region> {
    // C passes the offset as an `unsigned int`; the attribute's offset has 32 bits.
    let r = bsearch(regions, u32::try_from(offset).ok()?)?;
    if r.access & A32 == 0 || offset % 4 != 0 {
        return None;
    }
    if r.bits_per_irq != 0 {
        // C: `VGIC_ADDR_TO_INTID()`.
        let intid = (offset - u64::from(r.offset)) * 8 / u64::from(r.bits_per_irq);
        if intid >= u64::from(nr_irqs) {
            return None;
        }
    }
    Some(r)
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_regions)]
mod tests {
    use super::*;

    /// golden/vgic_v3.txt, "pre-init: has before NR_IRQS (32 interrupts)".
    #[test]
    fn dist_32_irqs() {
        let f = |off| find(&DIST, off, 32).map(|r| r.offset);
        assert_eq!(f(0x0000), Some(0));
        assert_eq!(f(0x0010), Some(0x10));
        assert_eq!(f(0x0014), None);
        assert_eq!(f(0x0040), None);
        assert_eq!(f(0x0080), Some(0x80));
        assert_eq!(f(0x0084), None);
        assert_eq!(f(0x041c), Some(0x400));
        assert_eq!(f(0x0420), None);
        assert_eq!(f(0x0c04), Some(0xc00));
        assert_eq!(f(0x0c08), None);
        assert_eq!(f(0x60fc), Some(0x6000));
        assert_eq!(f(0x6100), None);
        assert_eq!(f(0xfffc), Some(0xffd0));
        assert_eq!(f(0x0402), None);
        assert_eq!(find(&DIST, 0x0084, 64).map(|r| r.offset), Some(0x80));
    }

    #[test]
    fn redist() {
        let f = |off| find(&REDIST, off, 32).map(|r| r.offset);
        assert_eq!(f(0x000c), Some(0x8));
        assert_eq!(f(0x0018), None);
        assert_eq!(f(0x1_041c), Some(0x1_0400));
        assert_eq!(f(0x1_0420), None);
        assert_eq!(f(0x1_0c04), Some(0x1_0c00));
        // Out of order in C's table: never found.
        assert_eq!(f(0x0010), None);
        assert_eq!(f(0x0014), Some(0x14));
        assert_eq!(f(0x0004), Some(0x4));
    }
}
