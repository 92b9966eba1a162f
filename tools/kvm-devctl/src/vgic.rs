// SPDX-License-Identifier: GPL-2.0

//! The names of arm64's device-control UAPI for the ARM VGIC device types (`kvm-arm-vgic-v2`,
//! `kvm-arm-vgic-v3`, `kvm-arm-vgic-its`) and of `KVM_ARM_VCPU_INIT`.
//!
//! kvm-bindings built for x86 has none of arm64's `<asm/kvm.h>`, so the constants are here,
//! each with its name in `arch/arm64/include/uapi/asm/kvm.h` of the pinned 7.3 kernel; the
//! register offsets are those of the GIC architecture specification as
//! `include/linux/irqchip/arm-gic-v3.h` names them, and the same tables as the transcript
//! programs' `vgic_transcript.h`.

/// `KVM_DEV_ARM_VGIC_GRP_ADDR`.
pub const GRP_ADDR: u32 = 0;
/// `KVM_DEV_ARM_VGIC_GRP_DIST_REGS`.
pub const GRP_DIST_REGS: u32 = 1;
/// `KVM_DEV_ARM_VGIC_GRP_CPU_REGS` (GICv2).
pub const GRP_CPU_REGS: u32 = 2;
/// `KVM_DEV_ARM_VGIC_GRP_NR_IRQS`.
pub const GRP_NR_IRQS: u32 = 3;
/// `KVM_DEV_ARM_VGIC_GRP_CTRL`.
pub const GRP_CTRL: u32 = 4;
/// `KVM_DEV_ARM_VGIC_GRP_REDIST_REGS`.
pub const GRP_REDIST_REGS: u32 = 5;
/// `KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS`.
pub const GRP_CPU_SYSREGS: u32 = 6;
/// `KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO`.
pub const GRP_LEVEL_INFO: u32 = 7;
/// `KVM_DEV_ARM_VGIC_GRP_ITS_REGS`.
pub const GRP_ITS_REGS: u32 = 8;
/// `KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ`.
pub const GRP_MAINT_IRQ: u32 = 9;

/// The VGIC groups: the script's name, the UAPI name.
pub const GROUPS: &[(&str, &str, u32)] = &[
    ("addr", "KVM_DEV_ARM_VGIC_GRP_ADDR", GRP_ADDR),
    ("dist", "KVM_DEV_ARM_VGIC_GRP_DIST_REGS", GRP_DIST_REGS),
    ("cpu", "KVM_DEV_ARM_VGIC_GRP_CPU_REGS", GRP_CPU_REGS),
    ("nr-irqs", "KVM_DEV_ARM_VGIC_GRP_NR_IRQS", GRP_NR_IRQS),
    ("ctrl", "KVM_DEV_ARM_VGIC_GRP_CTRL", GRP_CTRL),
    (
        "redist",
        "KVM_DEV_ARM_VGIC_GRP_REDIST_REGS",
        GRP_REDIST_REGS,
    ),
    (
        "sysregs",
        "KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS",
        GRP_CPU_SYSREGS,
    ),
    (
        "level-info",
        "KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO",
        GRP_LEVEL_INFO,
    ),
    ("its-regs", "KVM_DEV_ARM_VGIC_GRP_ITS_REGS", GRP_ITS_REGS),
    ("maint-irq", "KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ", GRP_MAINT_IRQ),
];

/// The attributes of `GRP_ADDR`: `KVM_VGIC_V2_ADDR_TYPE_*`, `KVM_VGIC_V3_ADDR_TYPE_*` and
/// `KVM_VGIC_ITS_ADDR_TYPE`.
pub const ADDR_TYPES: &[(&str, &str, u64)] = &[
    ("v2-dist", "KVM_VGIC_V2_ADDR_TYPE_DIST", 0),
    ("v2-cpu", "KVM_VGIC_V2_ADDR_TYPE_CPU", 1),
    ("dist", "KVM_VGIC_V3_ADDR_TYPE_DIST", 2),
    ("redist", "KVM_VGIC_V3_ADDR_TYPE_REDIST", 3),
    ("its", "KVM_VGIC_ITS_ADDR_TYPE", 4),
    ("redist-region", "KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION", 5),
];

/// The attributes of `GRP_CTRL`.
pub const CTRL_ATTRS: &[(&str, &str, u64)] = &[
    ("init", "KVM_DEV_ARM_VGIC_CTRL_INIT", CTRL_INIT),
    (
        "its-save-tables",
        "KVM_DEV_ARM_ITS_SAVE_TABLES",
        CTRL_ITS_SAVE_TABLES,
    ),
    (
        "its-restore-tables",
        "KVM_DEV_ARM_ITS_RESTORE_TABLES",
        CTRL_ITS_RESTORE_TABLES,
    ),
    (
        "save-pending-tables",
        "KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES",
        CTRL_SAVE_PENDING_TABLES,
    ),
    ("its-reset", "KVM_DEV_ARM_ITS_CTRL_RESET", CTRL_ITS_RESET),
    ("userspace-ppis", "KVM_DEV_ARM_VGIC_USERSPACE_PPIS", 5),
];

/// `KVM_DEV_ARM_VGIC_CTRL_INIT`.
pub const CTRL_INIT: u64 = 0;
/// `KVM_DEV_ARM_ITS_SAVE_TABLES`.
pub const CTRL_ITS_SAVE_TABLES: u64 = 1;
/// `KVM_DEV_ARM_ITS_RESTORE_TABLES`.
pub const CTRL_ITS_RESTORE_TABLES: u64 = 2;
/// `KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES`.
pub const CTRL_SAVE_PENDING_TABLES: u64 = 3;
/// `KVM_DEV_ARM_ITS_CTRL_RESET`.
pub const CTRL_ITS_RESET: u64 = 4;

/// One register, or an array of registers, of a register map.
struct Reg {
    /// The first offset.
    start: u32,
    /// One past the last offset.
    end: u32,
    /// Bytes per register: 4, or 8 for 64-bit registers.
    stride: u32,
    /// The architecture's name; an array's element `n` is `<name><n>`.
    name: &'static str,
    indexed: bool,
}

const fn r1(start: u32, name: &'static str) -> Reg {
    Reg {
        start,
        end: start + 4,
        stride: 4,
        name,
        indexed: false,
    }
}

const fn r1_64(start: u32, name: &'static str) -> Reg {
    Reg {
        start,
        end: start + 8,
        stride: 8,
        name,
        indexed: false,
    }
}

const fn rn(start: u32, end: u32, name: &'static str) -> Reg {
    Reg {
        start,
        end,
        stride: 4,
        name,
        indexed: true,
    }
}

const fn rn_64(start: u32, end: u32, name: &'static str) -> Reg {
    Reg {
        start,
        end,
        stride: 8,
        name,
        indexed: true,
    }
}

/// The GICv3 distributor (GIC architecture specification 12.9). A GICv2's distributor has the
/// same offsets up to `GICD_SPENDSGIR`; its identification registers are elsewhere (give their
/// offsets as numbers).
const GICD: &[Reg] = &[
    r1(0x0000, "GICD_CTLR"),
    r1(0x0004, "GICD_TYPER"),
    r1(0x0008, "GICD_IIDR"),
    r1(0x000c, "GICD_TYPER2"),
    r1(0x0010, "GICD_STATUSR"),
    r1(0x0040, "GICD_SETSPI_NSR"),
    r1(0x0048, "GICD_CLRSPI_NSR"),
    r1(0x0050, "GICD_SETSPI_SR"),
    r1(0x0058, "GICD_CLRSPI_SR"),
    rn(0x0080, 0x0100, "GICD_IGROUPR"),
    rn(0x0100, 0x0180, "GICD_ISENABLER"),
    rn(0x0180, 0x0200, "GICD_ICENABLER"),
    rn(0x0200, 0x0280, "GICD_ISPENDR"),
    rn(0x0280, 0x0300, "GICD_ICPENDR"),
    rn(0x0300, 0x0380, "GICD_ISACTIVER"),
    rn(0x0380, 0x0400, "GICD_ICACTIVER"),
    rn(0x0400, 0x0800, "GICD_IPRIORITYR"),
    rn(0x0800, 0x0c00, "GICD_ITARGETSR"),
    rn(0x0c00, 0x0d00, "GICD_ICFGR"),
    rn(0x0d00, 0x0d80, "GICD_IGRPMODR"),
    rn(0x0e00, 0x0f00, "GICD_NSACR"),
    r1(0x0f00, "GICD_SGIR"),
    rn(0x0f10, 0x0f20, "GICD_CPENDSGIR"),
    rn(0x0f20, 0x0f30, "GICD_SPENDSGIR"),
    rn(0x1000, 0x1080, "GICD_IGROUPRnE"),
    rn(0x1200, 0x1280, "GICD_ISENABLERnE"),
    rn(0x1400, 0x1480, "GICD_ICENABLERnE"),
    rn(0x1600, 0x1680, "GICD_ISPENDRnE"),
    rn(0x1800, 0x1880, "GICD_ICPENDRnE"),
    rn(0x1a00, 0x1a80, "GICD_ISACTIVERnE"),
    rn(0x1c00, 0x1c80, "GICD_ICACTIVERnE"),
    rn(0x2000, 0x2400, "GICD_IPRIORITYRnE"),
    rn(0x3000, 0x3100, "GICD_ICFGRnE"),
    rn(0x3400, 0x3480, "GICD_IGRPMODRnE"),
    rn(0x3600, 0x3700, "GICD_NSACRnE"),
    rn_64(0x6000, 0x8000, "GICD_IROUTER"),
    rn_64(0x8000, 0x9000, "GICD_IROUTERnE"),
    r1(0xffd0, "GICD_PIDR4"),
    r1(0xffd4, "GICD_PIDR5"),
    r1(0xffd8, "GICD_PIDR6"),
    r1(0xffdc, "GICD_PIDR7"),
    r1(0xffe0, "GICD_PIDR0"),
    r1(0xffe4, "GICD_PIDR1"),
    r1(0xffe8, "GICD_PIDR2"),
    r1(0xffec, "GICD_PIDR3"),
    r1(0xfff0, "GICD_CIDR0"),
    r1(0xfff4, "GICD_CIDR1"),
    r1(0xfff8, "GICD_CIDR2"),
    r1(0xfffc, "GICD_CIDR3"),
];

/// The offset of a redistributor's SGI_base frame from its RD_base.
pub const SGI_BASE: u32 = 0x1_0000;

/// A GICv3 redistributor: RD_base, then SGI_base at 64K.
const GICR: &[Reg] = &[
    r1(0x0000, "GICR_CTLR"),
    r1(0x0004, "GICR_IIDR"),
    r1_64(0x0008, "GICR_TYPER"),
    r1(0x0010, "GICR_STATUSR"),
    r1(0x0014, "GICR_WAKER"),
    r1(0x0018, "GICR_MPAMIDR"),
    r1(0x001c, "GICR_PARTIDR"),
    r1_64(0x0040, "GICR_SETLPIR"),
    r1_64(0x0048, "GICR_CLRLPIR"),
    r1_64(0x0070, "GICR_PROPBASER"),
    r1_64(0x0078, "GICR_PENDBASER"),
    r1_64(0x00a0, "GICR_INVLPIR"),
    r1_64(0x00b0, "GICR_INVALLR"),
    r1(0x00c0, "GICR_SYNCR"),
    r1(0xffd0, "GICR_PIDR4"),
    r1(0xffd4, "GICR_PIDR5"),
    r1(0xffd8, "GICR_PIDR6"),
    r1(0xffdc, "GICR_PIDR7"),
    r1(0xffe0, "GICR_PIDR0"),
    r1(0xffe4, "GICR_PIDR1"),
    r1(0xffe8, "GICR_PIDR2"),
    r1(0xffec, "GICR_PIDR3"),
    r1(0xfff0, "GICR_CIDR0"),
    r1(0xfff4, "GICR_CIDR1"),
    r1(0xfff8, "GICR_CIDR2"),
    r1(0xfffc, "GICR_CIDR3"),
    r1(SGI_BASE + 0x0080, "GICR_IGROUPR0"),
    r1(SGI_BASE + 0x0100, "GICR_ISENABLER0"),
    r1(SGI_BASE + 0x0180, "GICR_ICENABLER0"),
    r1(SGI_BASE + 0x0200, "GICR_ISPENDR0"),
    r1(SGI_BASE + 0x0280, "GICR_ICPENDR0"),
    r1(SGI_BASE + 0x0300, "GICR_ISACTIVER0"),
    r1(SGI_BASE + 0x0380, "GICR_ICACTIVER0"),
    rn(SGI_BASE + 0x0400, SGI_BASE + 0x0420, "GICR_IPRIORITYR"),
    rn(SGI_BASE + 0x0c00, SGI_BASE + 0x0c08, "GICR_ICFGR"),
    r1(SGI_BASE + 0x0d00, "GICR_IGRPMODR0"),
    r1(SGI_BASE + 0x0e00, "GICR_NSACR"),
];

/// The GICv2 CPU interface (GICv2 architecture specification 4.1.3).
const GICC: &[Reg] = &[
    r1(0x0000, "GICC_CTLR"),
    r1(0x0004, "GICC_PMR"),
    r1(0x0008, "GICC_BPR"),
    r1(0x000c, "GICC_IAR"),
    r1(0x0010, "GICC_EOIR"),
    r1(0x0014, "GICC_RPR"),
    r1(0x0018, "GICC_HPPIR"),
    r1(0x001c, "GICC_ABPR"),
    r1(0x0020, "GICC_AIAR"),
    r1(0x0024, "GICC_AEOIR"),
    r1(0x0028, "GICC_AHPPIR"),
    rn(0x00d0, 0x00e0, "GICC_APR"),
    rn(0x00e0, 0x00f0, "GICC_NSAPR"),
    r1(0x00fc, "GICC_IIDR"),
    r1(0x1000, "GICC_DIR"),
];

/// The ITS (GIC architecture specification 12.19), as `ITS_REGS` reads it: 64 bits at a time.
const GITS: &[Reg] = &[
    r1(0x0000, "GITS_CTLR"),
    r1(0x0004, "GITS_IIDR"),
    r1_64(0x0008, "GITS_TYPER"),
    r1(0x0010, "GITS_MPAMIDR"),
    r1(0x0014, "GITS_PARTIDR"),
    r1(0x0018, "GITS_MPIDR"),
    r1(0x0040, "GITS_STATUSR"),
    r1_64(0x0048, "GITS_UMSIR"),
    r1_64(0x0080, "GITS_CBASER"),
    r1_64(0x0088, "GITS_CWRITER"),
    r1_64(0x0090, "GITS_CREADR"),
    rn_64(0x0100, 0x0140, "GITS_BASER"),
    r1(0xffd0, "GITS_PIDR4"),
    r1(0xffd4, "GITS_PIDR5"),
    r1(0xffd8, "GITS_PIDR6"),
    r1(0xffdc, "GITS_PIDR7"),
    r1(0xffe0, "GITS_PIDR0"),
    r1(0xffe4, "GITS_PIDR1"),
    r1(0xffe8, "GITS_PIDR2"),
    r1(0xffec, "GITS_PIDR3"),
    r1(0xfff0, "GITS_CIDR0"),
    r1(0xfff4, "GITS_CIDR1"),
    r1(0xfff8, "GITS_CIDR2"),
    r1(0xfffc, "GITS_CIDR3"),
    r1(0x1_0040, "GITS_TRANSLATER"),
];

/// A `CPU_SYSREGS` attribute: Op0:Op1:CRn:CRm:Op2 packed as in `KVM_REG_ARM64_SYSREG`.
pub const fn sysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
}

/// `ICC_CTLR_EL1`.
pub const ICC_CTLR_EL1: u32 = sysreg(3, 0, 12, 12, 4);

/// The GICv3 CPU interface registers, by encoding.
pub const ICC_REGS: &[(u32, &str)] = &[
    (sysreg(3, 0, 4, 6, 0), "ICC_PMR_EL1"),
    (sysreg(3, 0, 12, 8, 0), "ICC_IAR0_EL1"),
    (sysreg(3, 0, 12, 8, 1), "ICC_EOIR0_EL1"),
    (sysreg(3, 0, 12, 8, 2), "ICC_HPPIR0_EL1"),
    (sysreg(3, 0, 12, 8, 3), "ICC_BPR0_EL1"),
    (sysreg(3, 0, 12, 8, 4), "ICC_AP0R0_EL1"),
    (sysreg(3, 0, 12, 8, 5), "ICC_AP0R1_EL1"),
    (sysreg(3, 0, 12, 8, 6), "ICC_AP0R2_EL1"),
    (sysreg(3, 0, 12, 8, 7), "ICC_AP0R3_EL1"),
    (sysreg(3, 0, 12, 9, 0), "ICC_AP1R0_EL1"),
    (sysreg(3, 0, 12, 9, 1), "ICC_AP1R1_EL1"),
    (sysreg(3, 0, 12, 9, 2), "ICC_AP1R2_EL1"),
    (sysreg(3, 0, 12, 9, 3), "ICC_AP1R3_EL1"),
    (sysreg(3, 0, 12, 11, 1), "ICC_DIR_EL1"),
    (sysreg(3, 0, 12, 11, 3), "ICC_RPR_EL1"),
    (sysreg(3, 0, 12, 11, 5), "ICC_SGI1R_EL1"),
    (sysreg(3, 0, 12, 11, 6), "ICC_ASGI1R_EL1"),
    (sysreg(3, 0, 12, 11, 7), "ICC_SGI0R_EL1"),
    (sysreg(3, 0, 12, 12, 0), "ICC_IAR1_EL1"),
    (sysreg(3, 0, 12, 12, 1), "ICC_EOIR1_EL1"),
    (sysreg(3, 0, 12, 12, 2), "ICC_HPPIR1_EL1"),
    (sysreg(3, 0, 12, 12, 3), "ICC_BPR1_EL1"),
    (sysreg(3, 0, 12, 12, 4), "ICC_CTLR_EL1"),
    (sysreg(3, 0, 12, 12, 5), "ICC_SRE_EL1"),
    (sysreg(3, 0, 12, 12, 6), "ICC_IGRPEN0_EL1"),
    (sysreg(3, 0, 12, 12, 7), "ICC_IGRPEN1_EL1"),
];

/// The register map of a group, and whether a 64-bit register is accessed in 32-bit halves
/// (`.lo`, `.hi`).
fn map_of(group: u32) -> Option<(&'static [Reg], bool)> {
    match group {
        GRP_DIST_REGS => Some((GICD, true)),
        GRP_CPU_REGS => Some((GICC, true)),
        GRP_REDIST_REGS => Some((GICR, true)),
        GRP_ITS_REGS => Some((GITS, false)),
        _ => None,
    }
}

/// `ABC_DEF` without its `ABC_` (`GICD_CTLR` -> `CTLR`).
fn short(name: &str) -> &str {
    name.split_once('_').map_or(name, |(_, rest)| rest)
}

/// The offset of register `word` of `map` (upper case): `GICD_CTLR` or `CTLR`, an array
/// element `GICD_ISENABLER1`, a half `GICR_TYPER.hi` where `halves`.
fn reg_offset(map: &[Reg], halves: bool, word: &str) -> Option<u32> {
    let (word, half) = match word.rsplit_once('.') {
        Some((w, "LO")) if halves => (w, Some(0)),
        Some((w, "HI")) if halves => (w, Some(4)),
        Some(_) => return None,
        None => (word, None),
    };
    for r in map {
        let full = r.name.to_ascii_uppercase();
        let off = if r.indexed {
            let n = [full.as_str(), short(&full)]
                .iter()
                .find_map(|p| word.strip_prefix(p))
                .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                .and_then(|n| n.parse::<u32>().ok());
            match n {
                Some(n) if n < (r.end - r.start) / r.stride => r.start + n * r.stride,
                _ => continue,
            }
        } else if word == full || word == short(&full) {
            r.start
        } else {
            continue;
        };
        return match half {
            None => Some(off),
            Some(h) if r.stride == 8 => Some(off + h),
            Some(_) => None,
        };
    }
    None
}

/// The name of the register at `off` in `map`: `GICD_ISENABLER1`, `GICR_TYPER.hi` (where
/// `halves`), `GICD_CTLR+1` inside a register; `None` outside every register.
fn reg_name(map: &[Reg], halves: bool, off: u32) -> Option<String> {
    let r = map.iter().find(|r| (r.start..r.end).contains(&off))?;
    let rel = off - r.start;
    let mut s = if r.indexed {
        format!("{}{}", r.name, rel / r.stride)
    } else {
        r.name.to_string()
    };
    if r.stride == 8 && halves {
        s += if rel % 8 >= 4 { ".hi" } else { ".lo" };
        if !rel.is_multiple_of(4) {
            s += &format!("+{}", rel % 4);
        }
    } else if !rel.is_multiple_of(r.stride) {
        s += &format!("+{}", rel % r.stride);
    }
    Some(s)
}

/// Upper case, `-` as `_`.
fn upper(s: &str) -> String {
    s.to_ascii_uppercase().replace('-', "_")
}

/// A VGIC group by name: `dist`, `DIST_REGS`, `KVM_DEV_ARM_VGIC_GRP_DIST_REGS`, in any case.
pub fn parse_group(s: &str) -> Option<u32> {
    let want = upper(s);
    GROUPS
        .iter()
        .find(|g| {
            let uapi = g.1.strip_prefix("KVM_DEV_ARM_VGIC_GRP_").unwrap_or(g.1);
            want == upper(g.0) || want == g.1 || want == uapi
        })
        .map(|g| g.2)
}

/// The script's name of a VGIC group.
pub fn group_name(group: u32) -> Option<&'static str> {
    GROUPS.iter().find(|g| g.2 == group).map(|g| g.0)
}

fn find_named(table: &[(&str, &str, u64)], s: &str) -> Option<u64> {
    let want = upper(s);
    table
        .iter()
        .find(|t| want == upper(t.0) || want == t.1)
        .map(|t| t.2)
}

/// The offset part (bits 31:0) of an attribute of VGIC group `group`, by name: an address
/// type, a control, a register (`GICD_ISENABLER1`, `isenabler1`, `GICR_TYPER.hi`,
/// `ICC_PMR_EL1`, `GITS_BASER1`) or, for `LEVEL_INFO`, `line-level:INTID`.
pub fn parse_attr(group: u32, s: &str) -> Option<u64> {
    match group {
        GRP_ADDR => find_named(ADDR_TYPES, s),
        GRP_CTRL => find_named(CTRL_ATTRS, s),
        GRP_CPU_SYSREGS => {
            let want = upper(s);
            ICC_REGS
                .iter()
                .find(|r| want == r.1 || want == short(r.1))
                .map(|r| u64::from(r.0))
        }
        GRP_LEVEL_INFO => {
            // KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT: info 0 is VGIC_LEVEL_INFO_LINE_LEVEL.
            let intid = s.strip_prefix("line-level:")?;
            let intid = crate::names::parse_int(intid)?;
            (0..1024).contains(&intid).then_some(intid as u64)
        }
        _ => {
            let (map, halves) = map_of(group)?;
            reg_offset(map, halves, &upper(s)).map(u64::from)
        }
    }
}

/// The high word of a per-vCPU attribute (bits 63:32): `mpidr:X` (a number, or
/// `Aff3.Aff2.Aff1.Aff0`, the encoding of `KVM_DEV_ARM_VGIC_V3_MPIDR_MASK`) or `cpu:N` (a
/// GICv2 vCPU index, `KVM_DEV_ARM_VGIC_CPUID_MASK`). `None` if `s` is neither; `Some(Err)` if
/// it is malformed.
pub fn parse_attr_prefix(s: &str) -> Option<Result<u32, String>> {
    if let Some(m) = s.strip_prefix("mpidr:") {
        return Some(parse_mpidr(m).ok_or_else(|| {
            format!("`{s}`: an MPIDR is a 32-bit number or Aff3.Aff2.Aff1.Aff0 (0.0.0.1)")
        }));
    }
    if let Some(c) = s.strip_prefix("cpu:") {
        return Some(
            crate::names::parse_int(c)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| format!("`{s}`: a vCPU index is a 32-bit number")),
        );
    }
    None
}

fn parse_mpidr(s: &str) -> Option<u32> {
    if !s.contains('.') {
        return crate::names::parse_int(s).and_then(|v| u32::try_from(v).ok());
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    parts.iter().try_fold(0u32, |acc, p| {
        let b = crate::names::parse_int(p).and_then(|v| u8::try_from(v).ok())?;
        Some(acc << 8 | u32::from(b))
    })
}

/// An attribute as a script names it: `redist mpidr:1 GICR_ISENABLER0`, `sysregs mpidr:0
/// ICC_PMR_EL1`, `dist GICD_IROUTER32.lo`, `level-info mpidr:0 line-level:32`.
pub fn describe(group: u32, attr: u64) -> String {
    let hi = (attr >> 32) as u32;
    let lo = attr as u32;
    let g = group_name(group).map_or_else(|| format!("group {group}"), str::to_string);
    let name = match group {
        GRP_ADDR => ADDR_TYPES
            .iter()
            .find(|t| t.2 == attr)
            .map(|t| t.0.to_string()),
        GRP_CTRL => CTRL_ATTRS
            .iter()
            .find(|t| t.2 == attr)
            .map(|t| t.0.to_string()),
        GRP_CPU_SYSREGS => ICC_REGS.iter().find(|r| r.0 == lo).map(|r| r.1.to_string()),
        GRP_LEVEL_INFO if lo >> 10 == 0 => Some(format!("line-level:{}", lo & 0x3ff)),
        _ => map_of(group).and_then(|(map, halves)| reg_name(map, halves, lo)),
    };
    let prefix = match group {
        GRP_REDIST_REGS | GRP_CPU_SYSREGS | GRP_LEVEL_INFO => format!(" mpidr:{hi:#x}"),
        GRP_CPU_REGS => format!(" cpu:{hi}"),
        _ if hi != 0 && group != GRP_ADDR && group != GRP_CTRL => format!(" hi:{hi:#x}"),
        _ => String::new(),
    };
    match name {
        Some(n) if group == GRP_ADDR || group == GRP_CTRL => format!("{g} {n}"),
        Some(n) => format!("{g}{prefix} {n}"),
        None if group == GRP_ADDR || group == GRP_CTRL => format!("{g} {attr:#x}"),
        None => format!("{g}{prefix} {lo:#x}"),
    }
}

/// The width in bits of the value of `group`'s attributes on a VGIC device, as the kernel
/// copies it: `u64` for `ADDR` (`kvm_vgic_addr()`), `CPU_SYSREGS`
/// (`vgic_v3_cpu_sysregs_uaccess()`) and `ITS_REGS` (`vgic_its_attr_regs_access()`); `u32`
/// for the MMIO register groups (`vgic_v3_attr_regs_access()`, `vgic_v2_attr_regs_access()`),
/// `NR_IRQS`, `LEVEL_INFO` and `MAINT_IRQ`; `CTRL` reads nothing (`None`).
pub fn width(group: u32) -> Option<u32> {
    match group {
        GRP_ADDR | GRP_CPU_SYSREGS | GRP_ITS_REGS => Some(64),
        GRP_CTRL => None,
        _ => Some(32),
    }
}

/// The VGIC attribute mpidr of the vCPU with id `id` once initialised: the affinity
/// `kvm_calculate_mpidr()` (`arch/arm64/kvm/sys_regs.h`) gives it (Aff0 the low 4 bits of the
/// id, Aff1 the next 8, Aff2 the next 8), as `KVM_DEV_ARM_VGIC_V3_MPIDR_MASK` encodes it.
pub fn vcpu_mpidr(id: u64) -> u32 {
    ((id & 0x0f) | (((id >> 4) & 0xff) << 8) | (((id >> 12) & 0xff) << 16)) as u32
}

/// The feature bits of `struct kvm_vcpu_init` (`KVM_ARM_VCPU_*`).
pub const VCPU_FEATURES: &[(&str, &str, u32)] = &[
    ("power-off", "KVM_ARM_VCPU_POWER_OFF", 0),
    ("el1-32bit", "KVM_ARM_VCPU_EL1_32BIT", 1),
    ("psci-0.2", "KVM_ARM_VCPU_PSCI_0_2", 2),
    ("pmu-v3", "KVM_ARM_VCPU_PMU_V3", 3),
    ("sve", "KVM_ARM_VCPU_SVE", 4),
    ("ptrauth-address", "KVM_ARM_VCPU_PTRAUTH_ADDRESS", 5),
    ("ptrauth-generic", "KVM_ARM_VCPU_PTRAUTH_GENERIC", 6),
    ("has-el2", "KVM_ARM_VCPU_HAS_EL2", 7),
    ("has-el2-e2h0", "KVM_ARM_VCPU_HAS_EL2_E2H0", 8),
    ("pmu-v3-strict", "KVM_ARM_VCPU_PMU_V3_STRICT", 9),
];

/// A `kvm_vcpu_init` feature bit: a name of [`VCPU_FEATURES`], or a bit number below 224.
pub fn parse_vcpu_feature(s: &str) -> Option<u32> {
    if let Some(n) = crate::names::parse_int(s) {
        return u32::try_from(n).ok().filter(|&n| n < 7 * 32);
    }
    let want = upper(s).replace('.', "_");
    VCPU_FEATURES
        .iter()
        .find(|f| want == upper(f.0).replace('.', "_") || want == f.1)
        .map(|f| f.2)
}

/// The names of the feature bits set in `features`.
pub fn vcpu_feature_names(features: &[u32; 7]) -> String {
    let mut names = Vec::new();
    for bit in 0..7 * 32 {
        if features[bit / 32] & (1 << (bit % 32)) != 0 {
            match VCPU_FEATURES.iter().find(|f| f.2 as usize == bit) {
                Some(f) => names.push(f.0.to_string()),
                None => names.push(format!("bit {bit}")),
            }
        }
    }
    names.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        assert_eq!(parse_group("dist"), Some(1));
        assert_eq!(parse_group("DIST_REGS"), Some(1));
        assert_eq!(parse_group("KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS"), Some(6));
        assert_eq!(parse_group("nr-irqs"), Some(3));
        assert_eq!(parse_group("nr_irqs"), Some(3));
        assert_eq!(parse_group("level-info"), Some(7));
        assert_eq!(parse_group("its-regs"), Some(8));
        assert_eq!(parse_group("maint-irq"), Some(9));
        assert_eq!(parse_group("regs"), None);
        for g in GROUPS {
            assert_eq!(parse_group(g.0), Some(g.2));
            assert_eq!(group_name(g.2), Some(g.0));
        }
    }

    #[test]
    fn addr_and_ctrl() {
        assert_eq!(parse_attr(GRP_ADDR, "dist"), Some(2));
        assert_eq!(parse_attr(GRP_ADDR, "redist-region"), Some(5));
        assert_eq!(parse_attr(GRP_ADDR, "KVM_VGIC_ITS_ADDR_TYPE"), Some(4));
        assert_eq!(parse_attr(GRP_ADDR, "v2-cpu"), Some(1));
        assert_eq!(parse_attr(GRP_ADDR, "gicd_ctlr"), None);
        assert_eq!(parse_attr(GRP_CTRL, "init"), Some(0));
        assert_eq!(parse_attr(GRP_CTRL, "save-pending-tables"), Some(3));
        assert_eq!(parse_attr(GRP_CTRL, "its-restore-tables"), Some(2));
        assert_eq!(parse_attr(GRP_CTRL, "KVM_DEV_ARM_ITS_CTRL_RESET"), Some(4));
        assert_eq!(parse_attr(GRP_CTRL, "reset"), None);
    }

    #[test]
    fn registers() {
        // The offsets of golden/vgic_v3.txt's lines (vgic_transcript.h's tables).
        let d = |s| parse_attr(GRP_DIST_REGS, s);
        assert_eq!(d("GICD_CTLR"), Some(0));
        assert_eq!(d("gicd_typer2"), Some(0x0c));
        assert_eq!(d("ctlr"), Some(0));
        assert_eq!(d("GICD_ISENABLER1"), Some(0x104));
        assert_eq!(d("icenabler1"), Some(0x184));
        assert_eq!(d("GICD_IPRIORITYR9"), Some(0x424));
        assert_eq!(d("GICD_IPRIORITYR255"), Some(0x7fc));
        assert_eq!(d("GICD_IPRIORITYR256"), None);
        assert_eq!(d("GICD_IGROUPRnE0"), Some(0x1000));
        assert_eq!(d("GICD_IROUTER32"), Some(0x6100));
        assert_eq!(d("GICD_IROUTER32.lo"), Some(0x6100));
        assert_eq!(d("GICD_IROUTER32.hi"), Some(0x6104));
        assert_eq!(d("GICD_CTLR.hi"), None);
        assert_eq!(d("GICD_PIDR2"), Some(0xffe8));
        assert_eq!(d("GICD_ISENABLER"), None);
        assert_eq!(d("GICD_ISENABLERx"), None);
        let r = |s| parse_attr(GRP_REDIST_REGS, s);
        assert_eq!(r("GICR_TYPER.lo"), Some(0x8));
        assert_eq!(r("gicr_typer.hi"), Some(0xc));
        assert_eq!(r("GICR_PENDBASER.hi"), Some(0x7c));
        assert_eq!(r("GICR_ISENABLER0"), Some(0x10100));
        assert_eq!(r("GICR_IPRIORITYR7"), Some(0x1041c));
        assert_eq!(r("GICR_IPRIORITYR8"), None);
        assert_eq!(r("GICR_ICFGR1"), Some(0x10c04));
        let s = |s| parse_attr(GRP_CPU_SYSREGS, s);
        assert_eq!(s("icc_pmr_el1"), Some(0xc230));
        assert_eq!(s("ICC_CTLR_EL1"), Some(0xc664));
        assert_eq!(s("AP1R0_EL1"), Some(0xc648));
        assert_eq!(s("ICC_IAR1_EL1"), Some(0xc660));
        assert_eq!(s("ICC_PMR"), None);
        let i = |s| parse_attr(GRP_ITS_REGS, s);
        assert_eq!(i("GITS_CTLR"), Some(0));
        assert_eq!(i("gits_cbaser"), Some(0x80));
        assert_eq!(i("GITS_BASER1"), Some(0x108));
        assert_eq!(i("GITS_BASER8"), None);
        assert_eq!(i("GITS_TYPER.hi"), None);
        assert_eq!(parse_attr(GRP_CPU_REGS, "GICC_PMR"), Some(4));
        assert_eq!(parse_attr(GRP_LEVEL_INFO, "line-level:32"), Some(32));
        assert_eq!(parse_attr(GRP_LEVEL_INFO, "line-level:1024"), None);
        assert_eq!(parse_attr(GRP_NR_IRQS, "GICD_CTLR"), None);
    }

    #[test]
    fn prefixes() {
        assert_eq!(parse_attr_prefix("mpidr:1"), Some(Ok(1)));
        assert_eq!(parse_attr_prefix("mpidr:0x100"), Some(Ok(0x100)));
        assert_eq!(parse_attr_prefix("mpidr:0.0.1.2"), Some(Ok(0x102)));
        assert_eq!(parse_attr_prefix("mpidr:1.0.0.0"), Some(Ok(0x0100_0000)));
        assert!(matches!(parse_attr_prefix("mpidr:0.1.2"), Some(Err(_))));
        assert!(matches!(
            parse_attr_prefix("mpidr:0x100000000"),
            Some(Err(_))
        ));
        assert_eq!(parse_attr_prefix("cpu:3"), Some(Ok(3)));
        assert_eq!(parse_attr_prefix("GICD_CTLR"), None);
    }

    #[test]
    fn descriptions() {
        assert_eq!(describe(GRP_DIST_REGS, 0x104), "dist GICD_ISENABLER1");
        assert_eq!(describe(GRP_DIST_REGS, 0x6104), "dist GICD_IROUTER32.hi");
        assert_eq!(describe(GRP_DIST_REGS, 0x0001), "dist GICD_CTLR+1");
        assert_eq!(describe(GRP_DIST_REGS, 0x14), "dist 0x14");
        assert_eq!(
            describe(GRP_REDIST_REGS, 1 << 32 | 0x10100),
            "redist mpidr:0x1 GICR_ISENABLER0"
        );
        assert_eq!(
            describe(GRP_CPU_SYSREGS, 0xc230),
            "sysregs mpidr:0x0 ICC_PMR_EL1"
        );
        assert_eq!(
            describe(GRP_LEVEL_INFO, 32),
            "level-info mpidr:0x0 line-level:32"
        );
        assert_eq!(describe(GRP_ITS_REGS, 0x108), "its-regs GITS_BASER1");
        assert_eq!(describe(GRP_ADDR, 5), "addr redist-region");
        assert_eq!(describe(GRP_CTRL, 9), "ctrl 0x9");
        assert_eq!(describe(GRP_CPU_REGS, 1 << 32 | 4), "cpu cpu:1 GICC_PMR");
    }

    #[test]
    fn widths_and_features() {
        assert_eq!(width(GRP_ADDR), Some(64));
        assert_eq!(width(GRP_DIST_REGS), Some(32));
        assert_eq!(width(GRP_CPU_SYSREGS), Some(64));
        assert_eq!(width(GRP_ITS_REGS), Some(64));
        assert_eq!(width(GRP_CTRL), None);
        assert_eq!(width(GRP_LEVEL_INFO), Some(32));
        // src/arch.rs mpidr_of() without bit 31: 0x8000_0001, 0x8000_0100, 0x8001_2304.
        assert_eq!(vcpu_mpidr(1), 1);
        assert_eq!(vcpu_mpidr(16), 0x100);
        assert_eq!(vcpu_mpidr(0x1234), 0x1_2304);
        assert_eq!(parse_vcpu_feature("psci-0.2"), Some(2));
        assert_eq!(parse_vcpu_feature("KVM_ARM_VCPU_POWER_OFF"), Some(0));
        assert_eq!(parse_vcpu_feature("33"), Some(33));
        assert_eq!(parse_vcpu_feature("224"), None);
        assert_eq!(parse_vcpu_feature("smt"), None);
        let mut f = [0u32; 7];
        f[0] = 0b101;
        f[1] = 1;
        assert_eq!(vcpu_feature_names(&f), "power-off psci-0.2 bit 32");
    }
}
