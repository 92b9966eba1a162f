// SPDX-License-Identifier: GPL-2.0

//! `save`, `restore` and `compare`: the state a VMM migrates of a GICv3 and of an ITS, read
//! and written through the device attributes in the order QEMU uses.
//!
//! The lists and orders are those of the transcript programs' round trips, which real arm64
//! KVM ran for the golden transcripts (`vgic_v3.c`: `state_list()`, `restore_one()`,
//! `roundtrip()`; `vgic_its.c`: `its_state[]`, `roundtrip()`), after QEMU's
//! `hw/intc/arm_gicv3_kvm.c` (`kvm_arm_gicv3_get()`, `kvm_arm_gicv3_put()`) and
//! `hw/intc/arm_gicv3_its_kvm.c` (`kvm_arm_its_pre_save()`, `kvm_arm_its_post_load()`).
//! One difference from `vgic_v3.c`'s round trip, which has no ITS: a GICv3's
//! `GICR_PROPBASER`/`GICR_PENDBASER` are restored before any `GICR_CTLR`, as
//! `kvm_arm_gicv3_put()` and `vgic_its.c`'s round trip do, so that the LPIs a guest enabled
//! come back with their tables.

use crate::names::errno_name;
use crate::vgic::{
    describe, sysreg, CTRL_ITS_RESET, CTRL_ITS_RESTORE_TABLES, CTRL_ITS_SAVE_TABLES,
    GRP_CPU_SYSREGS, GRP_CTRL, GRP_DIST_REGS, GRP_ITS_REGS, GRP_LEVEL_INFO, GRP_NR_IRQS,
    GRP_REDIST_REGS, ICC_CTLR_EL1, SGI_BASE,
};

/// `GICR_PROPBASER`'s offset in a redistributor's `RD_base` frame.
const GICR_PROPBASER: u32 = 0x0070;
/// `GICR_PENDBASER`'s.
const GICR_PENDBASER: u32 = 0x0078;

/// A device's attributes, as `KVM_GET/SET_DEVICE_ATTR` of a u32 or (`wide`) u64 value.
pub trait AttrIo {
    fn get(&self, group: u32, attr: u64, wide: bool) -> Result<u64, i32>;
    fn set(&self, group: u32, attr: u64, wide: bool, val: u64) -> Result<(), i32>;
}

/// What a snapshot is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A GICv3 (`kvm-arm-vgic-v3`).
    Gic,
    /// An ITS (`kvm-arm-vgic-its`).
    Its,
}

/// One saved attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Saved {
    pub group: u32,
    pub attr: u64,
    /// A u64 value (else u32).
    pub wide: bool,
    /// The value read, or the errno of the read.
    pub val: Result<u64, i32>,
}

/// A saved device state.
pub struct Snapshot {
    pub kind: Kind,
    pub values: Vec<Saved>,
}

/// The number of `ICC_AP0R<n>_EL1` and `ICC_AP1R<n>_EL1` registers QEMU's
/// `kvm_arm_gicv3_get()` reads for a CPU interface whose `ICC_CTLR_EL1` is `ctlr`: 1, or 2 with
/// 6 priority bits (`PRIbits`, bits 10:8, is the count minus 1), 4 with 7.
pub fn nr_apr(ctlr: u64) -> u32 {
    match ((ctlr >> 8) & 7) + 1 {
        7 => 4,
        6 => 2,
        _ => 1,
    }
}

/// The GICv3 CPU interface registers QEMU saves, in its order.
const ICC_SAVED: [u32; 15] = [
    sysreg(3, 0, 4, 6, 0),   // ICC_PMR_EL1
    sysreg(3, 0, 12, 8, 3),  // ICC_BPR0_EL1
    sysreg(3, 0, 12, 8, 4),  // ICC_AP0R0_EL1
    sysreg(3, 0, 12, 8, 5),  // ICC_AP0R1_EL1
    sysreg(3, 0, 12, 8, 6),  // ICC_AP0R2_EL1
    sysreg(3, 0, 12, 8, 7),  // ICC_AP0R3_EL1
    sysreg(3, 0, 12, 9, 0),  // ICC_AP1R0_EL1
    sysreg(3, 0, 12, 9, 1),  // ICC_AP1R1_EL1
    sysreg(3, 0, 12, 9, 2),  // ICC_AP1R2_EL1
    sysreg(3, 0, 12, 9, 3),  // ICC_AP1R3_EL1
    sysreg(3, 0, 12, 12, 3), // ICC_BPR1_EL1
    sysreg(3, 0, 12, 12, 4), // ICC_CTLR_EL1
    sysreg(3, 0, 12, 12, 5), // ICC_SRE_EL1
    sysreg(3, 0, 12, 12, 6), // ICC_IGRPEN0_EL1
    sysreg(3, 0, 12, 12, 7), // ICC_IGRPEN1_EL1
];

/// The attributes (group, attr, wide) a GICv3 with `nr_irqs` interrupts and the vCPUs of
/// `mpidrs` saves, in QEMU's order (`vgic_v3.c`'s `state_list()`): `GICD_CTLR`; the SPIs'
/// `GICD_IGROUPR`, `ISENABLER`, `ISPENDR`, `ISACTIVER`, `IGRPMODR`, `IPRIORITYR`, `ICFGR`,
/// `IROUTER` (in 32-bit halves) and line levels; then per vCPU its redistributor's
/// registers, the private interrupts' line levels and the CPU interface registers, the
/// active-priority ones up to [`nr_apr`].
pub fn gic_plan(nr_irqs: u32, mpidrs: &[u32], nr_apr: u32) -> Vec<(u32, u64, bool)> {
    let mut v = Vec::new();
    let m0 = u64::from(mpidrs.first().copied().unwrap_or(0)) << 32;
    v.push((GRP_DIST_REGS, 0x0000, false));
    let mut off = 0x0084;
    while off < 0x0080 + nr_irqs / 8 {
        for reg in [
            off,
            off + 0x0080,
            off + 0x0180,
            off + 0x0280,
            off - 0x0084 + 0x0d04,
        ] {
            v.push((GRP_DIST_REGS, u64::from(reg), false));
        }
        off += 4;
    }
    for (first, end) in [
        (0x0420, 0x0400 + nr_irqs),
        (0x0c08, 0x0c00 + nr_irqs / 4),
        (0x6100, 0x6000 + nr_irqs * 8),
    ] {
        let mut off = first;
        while off < end {
            v.push((GRP_DIST_REGS, u64::from(off), false));
            off += 4;
        }
    }
    let mut intid = 32;
    while intid < nr_irqs {
        v.push((GRP_LEVEL_INFO, m0 | u64::from(intid), false));
        intid += 32;
    }
    for &mpidr in mpidrs {
        let hi = u64::from(mpidr) << 32;
        for off in [0x0000, 0x0070, 0x0074, 0x0078, 0x007c] {
            v.push((GRP_REDIST_REGS, hi | off, false));
        }
        for off in [0x80, 0x100, 0x200, 0x300, 0xc00, 0xc04, 0xd00] {
            v.push((GRP_REDIST_REGS, hi | u64::from(SGI_BASE + off), false));
        }
        for off in (0..32).step_by(4) {
            v.push((
                GRP_REDIST_REGS,
                hi | u64::from(SGI_BASE + 0x400 + off),
                false,
            ));
        }
        v.push((GRP_LEVEL_INFO, hi, false));
        for r in ICC_SAVED {
            // ICC_AP0R<m>_EL1 is op2 4+m of CRm 8, ICC_AP1R<m>_EL1 op2 m of CRm 9.
            let ap0 = r & !3 == sysreg(3, 0, 12, 8, 4) & !3;
            let ap1 = r & !3 == sysreg(3, 0, 12, 9, 0);
            if (ap0 || ap1) && r & 3 >= nr_apr {
                continue;
            }
            v.push((GRP_CPU_SYSREGS, hi | u64::from(r), true));
        }
    }
    v
}

fn read_all(dev: &dyn AttrIo, plan: &[(u32, u64, bool)]) -> Vec<Saved> {
    plan.iter()
        .map(|&(group, attr, wide)| Saved {
            group,
            attr,
            wide,
            val: dev.get(group, attr, wide),
        })
        .collect()
}

/// Saves a GICv3 whose VM's vCPUs have the VGIC mpidrs `mpidrs` (in vCPU id order): reads
/// `NR_IRQS` and the first vCPU's `ICC_CTLR_EL1`, then every attribute of [`gic_plan`]. `Err`
/// is the errno of the `NR_IRQS` read; what it says about the GIC otherwise is in the
/// returned note.
pub fn save_gic(dev: &dyn AttrIo, mpidrs: &[u32]) -> Result<(Snapshot, String), i32> {
    let nr_irqs = dev.get(GRP_NR_IRQS, 0, false)?;
    let nr_irqs = u32::try_from(nr_irqs).unwrap_or(u32::MAX).min(1024);
    let ctlr = match mpidrs.first() {
        Some(&m) => dev
            .get(
                GRP_CPU_SYSREGS,
                u64::from(m) << 32 | u64::from(ICC_CTLR_EL1),
                true,
            )
            .unwrap_or(0),
        None => 0,
    };
    let apr = nr_apr(ctlr);
    let values = read_all(dev, &gic_plan(nr_irqs, mpidrs, apr));
    let note = format!(
        "NR_IRQS {nr_irqs}, {} vCPU{}, ICC_CTLR_EL1 {ctlr:#x}: {apr} APnR per group",
        mpidrs.len(),
        if mpidrs.len() == 1 { "" } else { "s" }
    );
    Ok((
        Snapshot {
            kind: Kind::Gic,
            values,
        },
        note,
    ))
}

/// The ITS registers QEMU saves (`kvm_arm_its_pre_save()`): `GITS_IIDR`, `CBASER`, `CREADR`,
/// `CWRITER`, the 8 `GITS_BASER<n>`, `GITS_CTLR`.
pub fn its_plan() -> Vec<(u32, u64, bool)> {
    let mut v = vec![
        (GRP_ITS_REGS, 0x0004, true),
        (GRP_ITS_REGS, 0x0080, true),
        (GRP_ITS_REGS, 0x0090, true),
        (GRP_ITS_REGS, 0x0088, true),
    ];
    for n in 0..8 {
        v.push((GRP_ITS_REGS, 0x0100 + 8 * n, true));
    }
    v.push((GRP_ITS_REGS, 0x0000, true));
    v
}

/// Saves an ITS as QEMU's `kvm_arm_its_pre_save()` does: `CTRL ITS_SAVE_TABLES` (which writes
/// the ITS's tables to guest memory; `Err` is its errno), then the registers of [`its_plan`].
pub fn save_its(dev: &dyn AttrIo) -> Result<(Snapshot, String), i32> {
    dev.set(GRP_CTRL, CTRL_ITS_SAVE_TABLES, false, 0)?;
    let values = read_all(dev, &its_plan());
    Ok((
        Snapshot {
            kind: Kind::Its,
            values,
        },
        "tables written to guest memory by ITS_SAVE_TABLES".to_string(),
    ))
}

/// What a restore did: how many attributes it set, and the calls that failed.
#[derive(Debug, Default, PartialEq)]
pub struct Restored {
    pub sets: usize,
    pub failures: Vec<(String, i32)>,
}

impl Restored {
    fn set(&mut self, dev: &dyn AttrIo, group: u32, attr: u64, wide: bool, val: u64) {
        self.sets += 1;
        if let Err(e) = dev.set(group, attr, wide, val) {
            self.failures
                .push((format!("set {} {val:#x}", describe(group, attr)), e));
        }
    }

    /// Writes a saved value; a set/clear register pair (`ISENABLER`, `ISPENDR`, `ISACTIVER`
    /// of the distributor and of a redistributor's SGI frame) is cleared first through its
    /// clear register, as QEMU does (`vgic_v3.c`'s `restore_one()`).
    fn one(&mut self, dev: &dyn AttrIo, s: &Saved) {
        let Ok(val) = s.val else { return };
        let off = s.attr as u32;
        let hi = s.attr & !0xffff_ffff;
        let pair = match s.group {
            GRP_DIST_REGS => (0x0100..0x0400).contains(&off),
            GRP_REDIST_REGS => (SGI_BASE + 0x0100..SGI_BASE + 0x0400).contains(&off),
            _ => false,
        };
        if pair && off & 0x80 == 0 {
            self.set(dev, s.group, hi | u64::from(off + 0x80), false, 0xffff_ffff);
        }
        self.set(dev, s.group, s.attr, s.wide, val);
    }
}

/// Whether a saved attribute is a redistributor's `GICR_PROPBASER` or `GICR_PENDBASER` (either
/// half).
fn is_lpi_base(s: &Saved) -> bool {
    s.group == GRP_REDIST_REGS && (GICR_PROPBASER..GICR_PENDBASER + 8).contains(&(s.attr as u32))
}

/// Restores a GICv3 snapshot in QEMU's order (`kvm_arm_gicv3_put()`): `GICD_CTLR`, every
/// vCPU's `GICR_PROPBASER` and `GICR_PENDBASER` (before any `GICR_CTLR`: once a vCPU's LPIs
/// are enabled, KVM ignores writes of its tables' addresses, `vgic_mmio_write_pendbase()`),
/// each redistributor's other registers, the rest of the distributor and the line levels, the
/// CPU interfaces. Attributes whose save failed are not written.
pub fn restore_gic(dev: &dyn AttrIo, snap: &Snapshot) -> Restored {
    let mut r = Restored::default();
    let v = &snap.values;
    for s in v.iter().filter(|s| s.group == GRP_DIST_REGS && s.attr == 0) {
        r.one(dev, s);
    }
    let mut mpidrs: Vec<u64> = Vec::new();
    for s in v.iter().filter(|s| s.group == GRP_REDIST_REGS) {
        if !mpidrs.contains(&(s.attr >> 32)) {
            mpidrs.push(s.attr >> 32);
        }
    }
    for lpi_bases in [true, false] {
        for &m in &mpidrs {
            for s in v.iter().filter(|s| {
                s.group == GRP_REDIST_REGS && s.attr >> 32 == m && is_lpi_base(s) == lpi_bases
            }) {
                r.one(dev, s);
            }
        }
    }
    for s in v
        .iter()
        .filter(|s| (s.group == GRP_DIST_REGS && s.attr != 0) || s.group == GRP_LEVEL_INFO)
    {
        r.one(dev, s);
    }
    for s in v.iter().filter(|s| s.group == GRP_CPU_SYSREGS) {
        r.one(dev, s);
    }
    r
}

/// Restores an ITS snapshot as `vgic_its.c`'s round trip does after QEMU: `GITS_IIDR`,
/// `CTRL ITS_RESET`, the `GITS_BASER<n>`, `CBASER` (which resets `CREADR`, so before it),
/// `CREADR`, `CWRITER`, `CTRL ITS_RESTORE_TABLES` (which reads the tables from guest memory),
/// and `GITS_CTLR` last.
pub fn restore_its(dev: &dyn AttrIo, snap: &Snapshot) -> Restored {
    let mut r = Restored::default();
    let find = |attr: u64| snap.values.iter().find(|s| s.attr == attr);
    let ctrl = |r: &mut Restored, attr: u64| r.set(dev, GRP_CTRL, attr, false, 0);
    let mut order: Vec<u64> = vec![0x0004];
    order.extend((0..8).map(|n| 0x0100 + 8 * n));
    order.extend([0x0080, 0x0090, 0x0088]);
    for (i, attr) in order.into_iter().enumerate() {
        if let Some(s) = find(attr) {
            r.one(dev, s);
        }
        if i == 0 {
            ctrl(&mut r, CTRL_ITS_RESET);
        }
    }
    ctrl(&mut r, CTRL_ITS_RESTORE_TABLES);
    if let Some(s) = find(0x0000) {
        r.one(dev, s);
    }
    r
}

/// A saved value as a comparison shows it.
fn show(v: Option<&Result<u64, i32>>) -> String {
    match v {
        Some(Ok(v)) => format!("{v:#x}"),
        Some(Err(e)) => errno_name(*e),
        None => "(not saved)".to_string(),
    }
}

/// Compares two snapshots attribute by attribute (by group and attribute, so that snapshots
/// of GICs of different sizes compare too): how many attributes there are, and a line per
/// difference, `<attribute>: <in a> => <in b>`.
pub fn compare(a: &Snapshot, b: &Snapshot) -> (usize, Vec<String>) {
    let key = |s: &Saved| (s.group, s.attr);
    let mut diffs = Vec::new();
    let mut n = 0;
    for x in &a.values {
        n += 1;
        let y = b.values.iter().find(|y| key(y) == key(x));
        if y.map(|y| &y.val) != Some(&x.val) {
            diffs.push(format!(
                "{}: {} => {}",
                describe(x.group, x.attr),
                show(Some(&x.val)),
                show(y.map(|y| &y.val))
            ));
        }
    }
    for y in &b.values {
        if !a.values.iter().any(|x| key(x) == key(y)) {
            n += 1;
            diffs.push(format!(
                "{}: {} => {}",
                describe(y.group, y.attr),
                show(None),
                show(Some(&y.val))
            ));
        }
    }
    (n, diffs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A device that remembers every set and answers a get with the last value set (0 if
    /// none), or with an errno for the attributes in `fail`. With `lpis`, it ignores writes of
    /// a redistributor's `GICR_PROPBASER`/`GICR_PENDBASER` once its `GICR_CTLR.EnableLPIs` is
    /// set, as KVM does (`vgic_mmio_write_propbase()`, `vgic_mmio_write_pendbase()`).
    #[derive(Default)]
    struct Fake {
        regs: RefCell<Vec<(u32, u64, u64)>>,
        log: RefCell<Vec<String>>,
        fail: Vec<(u32, u64)>,
        lpis: bool,
    }

    impl AttrIo for Fake {
        fn get(&self, group: u32, attr: u64, _wide: bool) -> Result<u64, i32> {
            if self.fail.contains(&(group, attr)) {
                return Err(libc::EINVAL);
            }
            if group == GRP_NR_IRQS {
                return Ok(64);
            }
            let regs = self.regs.borrow();
            Ok(regs
                .iter()
                .rev()
                .find(|r| r.0 == group && r.1 == attr)
                .map_or(0, |r| r.2))
        }

        fn set(&self, group: u32, attr: u64, _wide: bool, val: u64) -> Result<(), i32> {
            self.log
                .borrow_mut()
                .push(format!("{} {val:#x}", describe(group, attr)));
            if self.fail.contains(&(group, attr)) {
                return Err(libc::EBUSY);
            }
            let ctlr = attr & !0xffff_ffff;
            let base = Saved {
                group,
                attr,
                wide: false,
                val: Ok(val),
            };
            if self.lpis && is_lpi_base(&base) && self.get(group, ctlr, false) == Ok(1) {
                return Ok(());
            }
            self.regs.borrow_mut().push((group, attr, val));
            Ok(())
        }
    }

    #[test]
    fn the_golden_count() {
        // golden/vgic_v3.txt: "state: ICC_CTLR_EL1 0x8002: 1 APnR registers per group" and
        // "roundtrip: saved 141 values" for 64 interrupts and 2 vCPUs.
        assert_eq!(nr_apr(0x8002), 1);
        assert_eq!(nr_apr(0x8c00), 1);
        assert_eq!(nr_apr(0x0500), 2);
        assert_eq!(nr_apr(0x0600), 4);
        let plan = gic_plan(64, &[0, 1], 1);
        assert_eq!(plan.len(), 141);
        // QEMU's virt board: 288 interrupts: 41 + 64 + 16 + 512 + 8 distributor values.
        assert_eq!(gic_plan(288, &[0, 1], 1).len(), 641 + 2 * 30);
        assert_eq!(gic_plan(64, &[0, 1], 4).len(), 141 + 2 * 6);
        let (dist, rest): (Vec<&(u32, u64, bool)>, Vec<_>) =
            plan.iter().partition(|p| p.0 == GRP_DIST_REGS);
        assert_eq!(dist.len(), 1 + 5 + 8 + 2 + 64);
        assert_eq!(dist[1].1, 0x0084);
        assert_eq!(dist[5].1, 0x0d04);
        assert_eq!(*rest[0], (GRP_LEVEL_INFO, 32, false));
        assert!(plan.contains(&(GRP_REDIST_REGS, 1 << 32 | 0x1041c, false)));
        assert!(plan.contains(&(GRP_CPU_SYSREGS, 1 << 32 | 0xc648, true)));
        assert!(!plan.contains(&(GRP_CPU_SYSREGS, 0xc645, true)));
        assert_eq!(its_plan().len(), 13);
    }

    #[test]
    fn round_trip_in_qemus_order() {
        let src = Fake::default();
        src.set(GRP_DIST_REGS, 0x0104, false, 5).unwrap();
        src.set(GRP_REDIST_REGS, 1 << 32 | 0x10100, false, 0x8000_ffff)
            .unwrap();
        src.set(GRP_CPU_SYSREGS, 0xc230, true, 0xf0).unwrap();
        let (a, note) = save_gic(&src, &[0, 1]).unwrap();
        assert_eq!(
            note,
            "NR_IRQS 64, 2 vCPUs, ICC_CTLR_EL1 0x0: 1 APnR per group"
        );
        assert_eq!(a.values.len(), 141);
        let dst = Fake::default();
        let r = restore_gic(&dst, &a);
        assert_eq!(r.failures, vec![]);
        // 141 values and a clear before each of the 3 + 3 set/clear registers per vCPU pair.
        assert_eq!(r.sets, 141 + 3 + 2 * 3);
        let log = dst.log.borrow();
        assert_eq!(log[0], "dist GICD_CTLR 0x0");
        // kvm_arm_gicv3_put(): the LPI tables' addresses of every vCPU before any GICR_CTLR.
        let names: Vec<&str> = log[1..10]
            .iter()
            .map(|l| l.rsplit_once(' ').unwrap().0)
            .collect();
        assert_eq!(
            names,
            vec![
                "redist mpidr:0x0 GICR_PROPBASER.lo",
                "redist mpidr:0x0 GICR_PROPBASER.hi",
                "redist mpidr:0x0 GICR_PENDBASER.lo",
                "redist mpidr:0x0 GICR_PENDBASER.hi",
                "redist mpidr:0x1 GICR_PROPBASER.lo",
                "redist mpidr:0x1 GICR_PROPBASER.hi",
                "redist mpidr:0x1 GICR_PENDBASER.lo",
                "redist mpidr:0x1 GICR_PENDBASER.hi",
                "redist mpidr:0x0 GICR_CTLR",
            ]
        );
        let i = log
            .iter()
            .position(|l| l == "redist mpidr:0x1 GICR_ISENABLER0 0x8000ffff")
            .unwrap();
        assert_eq!(log[i - 1], "redist mpidr:0x1 GICR_ICENABLER0 0xffffffff");
        let i = log
            .iter()
            .position(|l| l == "dist GICD_ISENABLER1 0x5")
            .unwrap();
        assert_eq!(log[i - 1], "dist GICD_ICENABLER1 0xffffffff");
        assert!(log
            .last()
            .unwrap()
            .starts_with("sysregs mpidr:0x1 ICC_IGRPEN1_EL1"));
        let (b, _) = save_gic(&dst, &[0, 1]).unwrap();
        assert_eq!(compare(&a, &b), (141, vec![]));
        // A difference, a failed read and a missing value are each one line.
        let mut c = Snapshot {
            kind: Kind::Gic,
            values: b.values.clone(),
        };
        c.values[1].val = Ok(7);
        c.values[2].val = Err(libc::EINVAL);
        c.values.pop();
        let (n, d) = compare(&a, &c);
        assert_eq!(n, 141);
        assert_eq!(
            d,
            vec![
                "dist GICD_IGROUPR1: 0x0 => 0x7",
                "dist GICD_ISENABLER1: 0x5 => EINVAL",
                "sysregs mpidr:0x1 ICC_IGRPEN1_EL1: 0x0 => (not saved)",
            ]
        );
    }

    #[test]
    fn lpi_tables_before_enable_lpis() {
        // "## roundtrip: save, new VM with a copy of guest memory, restore, save again" of
        // golden/vgic_its.txt: both vCPUs with EnableLPIs and their own pending table.
        let src = Fake::default();
        for (m, pend) in [(0u64, 0x4005_0180), (1, 0x4006_0180)] {
            src.set(GRP_REDIST_REGS, m << 32 | 0x70, false, 0x4004_018f)
                .unwrap();
            src.set(GRP_REDIST_REGS, m << 32 | 0x78, false, pend)
                .unwrap();
            src.set(GRP_REDIST_REGS, m << 32, false, 1).unwrap();
        }
        let (a, _) = save_gic(&src, &[0, 1]).unwrap();
        let dst = Fake {
            lpis: true,
            ..Default::default()
        };
        assert_eq!(restore_gic(&dst, &a).failures, vec![]);
        let (b, _) = save_gic(&dst, &[0, 1]).unwrap();
        assert_eq!(compare(&a, &b), (141, vec![]));
        // The fake ignores what KVM ignores: GICR_CTLR first would have lost the addresses.
        dst.set(GRP_REDIST_REGS, 0x78, false, 0x580).unwrap();
        assert_eq!(dst.get(GRP_REDIST_REGS, 0x78, false), Ok(0x4005_0180));
    }

    #[test]
    fn failures() {
        let src = Fake {
            fail: vec![(GRP_DIST_REGS, 0x0084)],
            ..Default::default()
        };
        let (a, _) = save_gic(&src, &[0]).unwrap();
        assert_eq!(a.values[1].val, Err(libc::EINVAL));
        let dst = Fake {
            fail: vec![(GRP_DIST_REGS, 0x0104)],
            ..Default::default()
        };
        let r = restore_gic(&dst, &a);
        assert_eq!(
            r.failures,
            vec![("set dist GICD_ISENABLER1 0x0".to_string(), libc::EBUSY)]
        );
        // The value whose read failed is not written.
        assert!(!dst.log.borrow().iter().any(|l| l.contains("GICD_IGROUPR1")));
        let nr = Fake {
            fail: vec![(GRP_NR_IRQS, 0)],
            ..Default::default()
        };
        assert_eq!(save_gic(&nr, &[0]).err(), Some(libc::EINVAL));
    }

    #[test]
    fn its_order() {
        let src = Fake::default();
        src.set(GRP_ITS_REGS, 0x0080, true, 0x8000_0000_4000_000f)
            .unwrap();
        let (a, _) = save_its(&src).unwrap();
        assert_eq!(src.log.borrow()[1], "ctrl its-save-tables 0x0");
        let dst = Fake::default();
        let r = restore_its(&dst, &a);
        assert_eq!(r.failures, vec![]);
        let log = dst.log.borrow();
        let names: Vec<&str> = log.iter().map(|l| l.rsplit_once(' ').unwrap().0).collect();
        assert_eq!(
            names,
            vec![
                "its-regs GITS_IIDR",
                "ctrl its-reset",
                "its-regs GITS_BASER0",
                "its-regs GITS_BASER1",
                "its-regs GITS_BASER2",
                "its-regs GITS_BASER3",
                "its-regs GITS_BASER4",
                "its-regs GITS_BASER5",
                "its-regs GITS_BASER6",
                "its-regs GITS_BASER7",
                "its-regs GITS_CBASER",
                "its-regs GITS_CREADR",
                "its-regs GITS_CWRITER",
                "ctrl its-restore-tables",
                "its-regs GITS_CTLR",
            ]
        );
        assert_eq!(log[10], "its-regs GITS_CBASER 0x800000004000000f");
    }
}
