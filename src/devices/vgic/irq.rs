// SPDX-License-Identifier: GPL-2.0

//! The state of one interrupt of a VGIC (C: `struct vgic_irq`), and the user-space accesses
//! of the per-interrupt registers that read and write it: one per SPI in the distributor
//! ([`super::Dist`]), and 32 private interrupts (SGIs and PPIs) banked per vCPU
//! ([`super::redist::RedistState`]).
//!
//! C: `struct vgic_irq` in [`include/kvm/arm_vgic.h`](srctree/include/kvm/arm_vgic.h);
//! `kvm_vgic_dist_init()` and `vgic_setup_private_irq()` in
//! [`arch/arm64/kvm/vgic/vgic-init.c`](srctree/arch/arm64/kvm/vgic/vgic-init.c);
//! `vgic_mmio_read_group()`, `vgic_mmio_write_group()`, `vgic_mmio_read_enable()`,
//! `vgic_uaccess_write_senable()`, `vgic_uaccess_write_cenable()`,
//! `vgic_uaccess_read_pending()`, `vgic_uaccess_write_spending()`,
//! `vgic_uaccess_write_cpending()`, `vgic_uaccess_read_active()`,
//! `vgic_mmio_uaccess_write_sactive()`, `vgic_mmio_uaccess_write_cactive()`,
//! `vgic_mmio_read_priority()`, `vgic_mmio_write_priority()`, `vgic_mmio_read_config()`,
//! `vgic_mmio_write_config()`, `vgic_read_irq_line_level_info()`,
//! `vgic_write_irq_line_level_info()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio.c);
//! `vgic_mmio_read_irouter()`, `vgic_mmio_write_irouter()`,
//! `vgic_v3_uaccess_write_pending()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v3.c);
//! `vgic_mmio_read_target()`, `vgic_mmio_write_target()`,
//! `vgic_mmio_uaccess_write_v2_group()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v2.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v2.c).
//!
//! The two models share the state and most registers; where a GICv2's user access differs
//! (its pending registers, SGI sources, targets, groups) [`read_v2`] and [`write_v2`] say so.
//!
//! No vCPU ever runs, so nothing is queued or delivered: the state is what user space saves
//! and restores. User space sees the pending latch (not the line level) through
//! `ISPENDR`, and the line level through `KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO`.

/// SGIs: the first 16 interrupts (C: `VGIC_NR_SGIS`).
const VGIC_NR_SGIS: u32 = 16;
/// SGIs and PPIs (C: `VGIC_NR_PRIVATE_IRQS`).
pub(crate) const NR_PRIVATE: usize = 32;
/// The priority bits the VGIC implements (C: `VGIC_PRI_BITS`): the top five.
const PRIORITY_MASK: u8 = 0xf8;
/// The affinity `GICD_IROUTER` keeps: Aff2.Aff1.Aff0 (C: `GENMASK(23, 0)`).
const IROUTER_MASK: u32 = 0x00ff_ffff;

/// The state of one interrupt (C: `struct vgic_irq`, the fields user space reaches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VgicIrq {
    /// Group 1 (C: `group`).
    pub(crate) group: bool,
    /// Enabled (C: `enabled`).
    pub(crate) enabled: bool,
    /// The pending latch (C: `pending_latch`).
    pub(crate) pending_latch: bool,
    /// Active (C: `active`).
    pub(crate) active: bool,
    /// The input line level, for level interrupts (C: `line_level`).
    pub(crate) line_level: bool,
    /// Edge-triggered rather than level (C: `config == VGIC_CONFIG_EDGE`).
    pub(crate) edge: bool,
    /// The priority, narrowed to the implemented bits (C: `priority`).
    pub(crate) priority: u8,
    /// The affinity an SPI routes to (C: `mpidr`).
    pub(crate) mpidr: u32,
    /// GICv2: the vCPUs an interrupt targets, one bit per vCPU index (C: `targets`).
    pub(crate) targets: u8,
    /// GICv2 SGIs: the vCPUs it is pending from, one bit per vCPU id (C: `source`).
    pub(crate) source: u8,
}

impl VgicIrq {
    /// An SPI of a GICv3 as `kvm_vgic_dist_init()` leaves it: zeroed (edge, disabled,
    /// priority 0, routed to affinity 0), group 1.
    pub(crate) const fn spi() -> Self {
        Self {
            group: true,
            enabled: false,
            pending_latch: false,
            active: false,
            line_level: false,
            edge: true,
            priority: 0,
            mpidr: 0,
            targets: 0,
            source: 0,
        }
    }

    /// An SPI of a GICv2 as `kvm_vgic_dist_init()` leaves it: zeroed, targeting no vCPU,
    /// group 0.
    pub(crate) const fn spi_v2() -> Self {
        Self {
            group: false,
            ..Self::spi()
        }
    }

    /// Private interrupt `intid` of a GICv3 as `vgic_setup_private_irq()` leaves it: SGIs
    /// enabled and edge-triggered, PPIs level-triggered, all in group 1.
    pub(crate) const fn private(intid: u32) -> Self {
        let sgi = intid < VGIC_NR_SGIS;
        Self {
            enabled: sgi,
            edge: sgi,
            ..Self::spi()
        }
    }
}

/// The private interrupts of vCPU `vcpu_id` of a GICv2 as `vgic_setup_private_irq()` leaves
/// them: as a GICv3's, but in group 0 and targeting their vCPU.
pub(crate) fn private_irqs_v2(vcpu_id: u32) -> [VgicIrq; NR_PRIVATE] {
    let mut irqs = private_irqs();
    for irq in irqs.iter_mut() {
        irq.group = false;
        // C: `BIT(vcpu->vcpu_id)` into a u8; a GICv2 VM's ids are below 8.
        irq.targets = 1u8.checked_shl(vcpu_id).unwrap_or(0);
    }
    irqs
}

/// The private interrupts of a new vCPU.
pub(crate) fn private_irqs() -> [VgicIrq; NR_PRIVATE] {
    let mut irqs = [VgicIrq::spi(); NR_PRIVATE];
    for (i, irq) in irqs.iter_mut().enumerate() {
        // CAST: i < 32.
        *irq = VgicIrq::private(i as u32);
    }
    irqs
}

/// A per-interrupt register, by what it accesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reg {
    /// `IGROUPR`.
    Group,
    /// `ISENABLER`.
    SetEnable,
    /// `ICENABLER`.
    ClearEnable,
    /// `ISPENDR`.
    SetPending,
    /// `ICPENDR`.
    ClearPending,
    /// `ISACTIVER`.
    SetActive,
    /// `ICACTIVER`.
    ClearActive,
    /// `IPRIORITYR`.
    Priority,
    /// `ICFGR`.
    Config,
    /// `IROUTER`, one 64-bit register per interrupt.
    Router,
    /// `ITARGETSR` of a GICv2, one byte per interrupt.
    Target,
    /// RAZ/WI on KVM: `ITARGETSR` of a GICv3, `IGRPMODR`, `NSACR`.
    Raz,
}

impl Reg {
    /// Bits per interrupt.
    pub(crate) const fn bits(self) -> u32 {
        match self {
            Reg::Priority | Reg::Target => 8,
            Reg::Config => 2,
            Reg::Router => 64,
            _ => 1,
        }
    }

    /// How many interrupts a 32-bit access covers.
    pub(crate) const fn count(self) -> usize {
        match self {
            Reg::Router => 1,
            // CAST: at most 32.
            r => (32 / r.bits()) as usize,
        }
    }
}

/// Decodes the offset of a per-interrupt register in the distributor's layout (the
/// redistributor's SGI frame uses the same offsets for interrupts 0-31): the register, the
/// first interrupt of a 32-bit access, and whether it is the high half of a 64-bit
/// register (C: `VGIC_ADDR_TO_INTID()` and `addr & 4`).
pub(crate) fn decode(offset: u64) -> Option<(Reg, u32, bool)> {
    let (reg, base) = match offset {
        0x0080..=0x00ff => (Reg::Group, 0x0080),
        0x0100..=0x017f => (Reg::SetEnable, 0x0100),
        0x0180..=0x01ff => (Reg::ClearEnable, 0x0180),
        0x0200..=0x027f => (Reg::SetPending, 0x0200),
        0x0280..=0x02ff => (Reg::ClearPending, 0x0280),
        0x0300..=0x037f => (Reg::SetActive, 0x0300),
        0x0380..=0x03ff => (Reg::ClearActive, 0x0380),
        0x0400..=0x07ff => (Reg::Priority, 0x0400),
        0x0800..=0x0bff => (Reg::Raz, 0x0800),
        0x0c00..=0x0cff => (Reg::Config, 0x0c00),
        0x0d00..=0x0d7f => (Reg::Raz, 0x0d00),
        0x0e00..=0x0eff => (Reg::Raz, 0x0e00),
        0x6000..=0x7fff => (Reg::Router, 0x6000),
        _ => return None,
    };
    // CAST: below 1024.
    let intid = ((offset - base) * 8 / u64::from(reg.bits())) as u32;
    Some((reg, intid, reg == Reg::Router && offset & 4 != 0))
}

/// Reads a 32-bit per-interrupt register whose first interrupt is `irqs[0]` (C: the
/// `uaccess_read` or else `read` handler of the register's region).
pub(crate) fn read(reg: Reg, irqs: &[VgicIrq], high: bool) -> u32 {
    let bit = |f: fn(&VgicIrq) -> bool| {
        irqs.iter()
            .take(32)
            .enumerate()
            .fold(0u32, |v, (i, irq)| v | u32::from(f(irq)) << i)
    };
    match reg {
        Reg::Group => bit(|i| i.group),
        Reg::SetEnable | Reg::ClearEnable => bit(|i| i.enabled),
        // C: `vgic_uaccess_read_pending()` reads the latch; `ICPENDR` reads as zero.
        Reg::SetPending => bit(|i| i.pending_latch),
        Reg::ClearPending | Reg::Raz => 0,
        Reg::SetActive | Reg::ClearActive => bit(|i| i.active),
        Reg::Priority => irqs
            .iter()
            .take(4)
            .enumerate()
            .fold(0, |v, (i, irq)| v | u32::from(irq.priority) << (i * 8)),
        // C: `vgic_mmio_read_target()`.
        Reg::Target => irqs
            .iter()
            .take(4)
            .enumerate()
            .fold(0, |v, (i, irq)| v | u32::from(irq.targets) << (i * 8)),
        Reg::Config => irqs
            .iter()
            .take(16)
            .enumerate()
            .fold(0, |v, (i, irq)| v | u32::from(irq.edge) << (i * 2 + 1)),
        // The upper word is RAZ: no Aff3.
        Reg::Router if high => 0,
        Reg::Router => irqs.first().map_or(0, |irq| irq.mpidr),
    }
}

/// Writes a 32-bit per-interrupt register whose first interrupt, `intid`, is `irqs[0]` (C:
/// the `uaccess_write` or else `write` handler of the register's region).
pub(crate) fn write(reg: Reg, irqs: &mut [VgicIrq], intid: u32, high: bool, val: u32) {
    let set = |irqs: &mut [VgicIrq], f: fn(&mut VgicIrq, bool), all: bool| {
        for (i, irq) in irqs.iter_mut().take(32).enumerate() {
            let on = val & (1 << i) != 0;
            if all || on {
                f(irq, on);
            }
        }
    };
    match reg {
        Reg::Group => set(irqs, |i, on| i.group = on, true),
        Reg::SetEnable => set(irqs, |i, _| i.enabled = true, false),
        Reg::ClearEnable => set(irqs, |i, _| i.enabled = false, false),
        // C: `vgic_v3_uaccess_write_pending()`: set the given latches, clear the others.
        Reg::SetPending => set(irqs, |i, on| i.pending_latch = on, true),
        // C: `vgic_mmio_uaccess_write_wi()`; a GICv3 has no `Target`.
        Reg::ClearPending | Reg::Raz | Reg::Target => {}
        Reg::SetActive => set(irqs, |i, _| i.active = true, false),
        Reg::ClearActive => set(irqs, |i, _| i.active = false, false),
        Reg::Priority => {
            for (i, irq) in irqs.iter_mut().take(4).enumerate() {
                // CAST: one byte of `val`.
                irq.priority = (val >> (i * 8)) as u8 & PRIORITY_MASK;
            }
        }
        Reg::Config => {
            for (i, irq) in irqs.iter_mut().take(16).enumerate() {
                // SGIs, and PPIs on KVM, are read-only.
                // CAST: i < 16.
                if intid + (i as u32) >= NR_PRIVATE as u32 {
                    irq.edge = val & (2 << (i * 2)) != 0;
                }
            }
        }
        // The upper word is WI: no Aff3.
        Reg::Router if high => {}
        Reg::Router => {
            if let Some(irq) = irqs.first_mut() {
                irq.mpidr = val & IROUTER_MASK;
            }
        }
    }
}

/// What a GICv2 user access needs to know of its vCPU and VM.
#[derive(Clone, Copy, Debug)]
pub(crate) struct V2Access {
    /// The id of the vCPU the attribute names (C: `vcpu->vcpu_id`).
    pub(crate) vcpu_id: u32,
    /// The vCPUs that exist, one bit per index (C: `GENMASK(online_vcpus - 1, 0)`).
    pub(crate) cpu_mask: u8,
    /// Whether `GICD_IGROUPR` is writable (C: `v2_groups_user_writable`).
    pub(crate) groups_writable: bool,
}

/// Reads a 32-bit per-interrupt register of a GICv2 whose first interrupt is `irqs[0]`.
///
/// Differs from [`read`] for the pending registers: both read the pending state, which
/// for a level interrupt includes its line (C: `vgic_uaccess_read_pending()`, which
/// reads `irq_is_pending()` for every model but a GICv3).
pub(crate) fn read_v2(reg: Reg, irqs: &[VgicIrq]) -> u32 {
    match reg {
        Reg::SetPending | Reg::ClearPending => irqs
            .iter()
            .take(32)
            .enumerate()
            .filter(|(_, irq)| irq.pending_latch || (!irq.edge && irq.line_level))
            .fold(0, |v, (i, _)| v | 1 << i),
        r => read(r, irqs, false),
    }
}

/// Writes a 32-bit per-interrupt register of a GICv2 whose first interrupt, `intid`, is
/// `irqs[0]`.
///
/// Differs from [`write`] in: `IGROUPR`, written only once user space has written
/// `GICD_IIDR` (C: `vgic_mmio_uaccess_write_v2_group()`); `ISPENDR` and `ICPENDR`, which set
/// and clear the given latches, and for an SGI also add the vCPU to its sources or clear
/// them all (C: `__set_pending()` and `__clear_pending()` with `is_user`); `ITARGETSR`, whose
/// SPI bytes keep the vCPUs that exist and whose private bytes are read-only (C:
/// `vgic_mmio_write_target()`).
pub(crate) fn write_v2(reg: Reg, irqs: &mut [VgicIrq], intid: u32, acc: V2Access, val: u32) {
    // Sets or clears the pending state of the interrupts whose bit is set.
    let pending = |irqs: &mut [VgicIrq]| {
        for (i, irq) in irqs.iter_mut().take(32).enumerate() {
            if val & (1 << i) != 0 {
                // CAST: i < 32.
                let sgi = intid + (i as u32) < VGIC_NR_SGIS;
                set_pending_v2(reg, irq, sgi, acc.vcpu_id);
            }
        }
    };
    match reg {
        Reg::Group if !acc.groups_writable => {}
        Reg::SetPending | Reg::ClearPending => pending(irqs),
        Reg::Target if intid < NR_PRIVATE as u32 => {}
        Reg::Target => {
            for (i, irq) in irqs.iter_mut().take(4).enumerate() {
                // CAST: one byte of `val`.
                irq.targets = (val >> (i * 8)) as u8 & acc.cpu_mask;
            }
        }
        r => write(r, irqs, intid, false, val),
    }
}

/// Sets (`ISPENDR`) or clears (`ICPENDR`) the pending latch of one interrupt of a GICv2
/// from user space; an SGI gains vCPU `vcpu_id` as a source, or loses every source.
fn set_pending_v2(reg: Reg, irq: &mut VgicIrq, sgi: bool, vcpu_id: u32) {
    let set = reg == Reg::SetPending;
    if sgi {
        irq.source = if set {
            // C: `BIT(vcpu->vcpu_id)` into a u8; a GICv2 VM's ids are below 8.
            irq.source | 1u8.checked_shl(vcpu_id).unwrap_or(0)
        } else {
            0
        };
    }
    irq.pending_latch = set;
}

/// `vgic_read_irq_line_level_info()`: the line levels of the level-triggered interrupts
/// among `irqs` (`irqs[i]` is interrupt `intid + i`), without SGIs.
pub(crate) fn read_line_level(irqs: &[VgicIrq], intid: u32) -> u32 {
    irqs.iter()
        .take(32)
        .enumerate()
        // CAST: i < 32.
        .filter(|(i, irq)| intid + *i as u32 >= VGIC_NR_SGIS && !irq.edge && irq.line_level)
        .fold(0, |v, (i, _)| v | 1 << i)
}

/// `vgic_write_irq_line_level_info()`: sets the line levels of `irqs` (`irqs[i]` is
/// interrupt `intid + i`) whatever their configuration, without SGIs.
pub(crate) fn write_line_level(irqs: &mut [VgicIrq], intid: u32, val: u32) {
    for (i, irq) in irqs.iter_mut().take(32).enumerate() {
        // CAST: i < 32.
        if intid + i as u32 >= VGIC_NR_SGIS {
            irq.line_level = val & (1 << i) != 0;
        }
    }
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_irq)]
mod tests {
    use super::*;

    /// golden/vgic_v3.txt, "REDIST_REGS vcpu 0 before writes" and "writes: REDIST_REGS".
    #[test]
    fn private_defaults_and_writes() {
        let mut p = private_irqs();
        let r = |p: &[VgicIrq], off| {
            let (reg, intid, high) = decode(off).unwrap_or((Reg::Raz, 0, false));
            read(reg, p.get(intid as usize..).unwrap_or(&[]), high)
        };
        assert_eq!(r(&p, 0x80), 0xffff_ffff);
        assert_eq!(r(&p, 0x100), 0x0000_ffff);
        assert_eq!(r(&p, 0xc00), 0xaaaa_aaaa);
        assert_eq!(r(&p, 0xc04), 0);
        let mut w = |off, val| {
            if let Some((reg, intid, high)) = decode(off) {
                if let Some(irqs) = p.get_mut(intid as usize..) {
                    write(reg, irqs, intid, high, val);
                }
            }
        };
        w(0x100, 0x8000_ffff);
        w(0x180, 1);
        w(0x200, 0x0001_0003);
        w(0x280, 0xffff_ffff);
        w(0x41c, 0xffff_ffff);
        w(0xc00, 0);
        w(0xc04, 0xffff_ffff);
        assert_eq!(r(&p, 0x100), 0x8000_fffe);
        assert_eq!(r(&p, 0x200), 0x0001_0003);
        assert_eq!(r(&p, 0x280), 0);
        assert_eq!(r(&p, 0x41c), 0xf8f8_f8f8);
        assert_eq!(r(&p, 0xc00), 0xaaaa_aaaa);
        assert_eq!(r(&p, 0xc04), 0);
        write_line_level(&mut p, 0, u32::MAX);
        assert_eq!(read_line_level(&p, 0), 0xffff_0000);
    }

    /// golden/vgic_v3.txt, "writes: DIST_REGS": SPIs 32-63.
    #[test]
    fn spi_writes() {
        let mut s = [VgicIrq::spi(); 32];
        write(Reg::SetPending, &mut s, 32, false, 0x30);
        write(Reg::SetPending, &mut s, 32, false, 0x10);
        assert_eq!(read(Reg::SetPending, &s, false), 0x10);
        write(Reg::SetActive, &mut s, 32, false, 0x300);
        write(Reg::ClearActive, &mut s, 32, false, 0x100);
        assert_eq!(read(Reg::ClearActive, &s, false), 0x200);
        write(Reg::Priority, &mut s[4..], 36, false, 0x1234_5678);
        assert_eq!(read(Reg::Priority, &s[4..], false), 0x1030_5078);
        write(Reg::Config, &mut s[16..], 48, false, 0x5555_5555);
        assert_eq!(read(Reg::Config, &s[16..], false), 0);
        write(Reg::Router, &mut s[2..], 34, false, 0xffff_ffff);
        write(Reg::Router, &mut s[2..], 34, true, 0xffff_ffff);
        assert_eq!(read(Reg::Router, &s[2..], false), 0x00ff_ffff);
        assert_eq!(read(Reg::Router, &s[2..], true), 0);
        assert_eq!(decode(0x6110), Some((Reg::Router, 34, false)));
        assert_eq!(decode(0x0424), Some((Reg::Priority, 36, false)));
        assert_eq!(decode(0x0c0c), Some((Reg::Config, 48, false)));
    }
}
