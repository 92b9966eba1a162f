// SPDX-License-Identifier: GPL-2.0

//! The registers of an ITS's control frame, as user space accesses them through
//! `KVM_DEV_ARM_VGIC_GRP_ITS_REGS`: 64 bits at a time, whatever the register's width.
//!
//! C: `its_registers[]`, `vgic_its_has_attr_regs()`, `vgic_mmio_read_its_*()`,
//! `vgic_mmio_write_its_*()`, `vgic_mmio_uaccess_write_its_iidr()`,
//! `vgic_mmio_uaccess_write_its_creadr()`, `vgic_sanitise_its_baser()`,
//! `vgic_sanitise_its_cbaser()`, `vgic_its_commit_v0()` in
//! [`arch/arm64/kvm/vgic/vgic-its.c`](srctree/arch/arm64/kvm/vgic/vgic-its.c);
//! `update_64bit_reg()`, `vgic_sanitise_field()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v3.c);
//! `extract_bytes()` in [`arch/arm64/kvm/vgic/vgic-mmio.h`](srctree/arch/arm64/kvm/vgic/vgic-mmio.h).
//!
//! The offset is checked for alignment on all its 64 bits, but C looks its register up with
//! the low 32 bits only (`vgic_find_mmio_region()` takes an `unsigned int`), and a 64-bit
//! register at an offset 4 past its start (possible only with bits above 31 set) is accessed
//! as C does, shifted by 32.

use kernel::prelude::*;

use super::{
    cmd,
    Ctx,
    Its, //
};
use crate::devices::vgic::dist::{
    IMPLEMENTER_ARM,
    PRODUCT_ID_KVM, //
};

/// `GITS_CTLR`.
pub(crate) const GITS_CTLR: u64 = 0x0000;
/// `GITS_IIDR`.
pub(crate) const GITS_IIDR: u64 = 0x0004;
/// `GITS_TYPER`.
pub(crate) const GITS_TYPER: u64 = 0x0008;
/// `GITS_CBASER`.
pub(crate) const GITS_CBASER: u64 = 0x0080;
/// `GITS_CWRITER`.
pub(crate) const GITS_CWRITER: u64 = 0x0088;
/// `GITS_CREADR`.
pub(crate) const GITS_CREADR: u64 = 0x0090;
/// `GITS_BASER0`, the first of eight.
pub(crate) const GITS_BASER: u64 = 0x0100;
/// The ID registers (C: `GITS_IDREGS_BASE`, also `GITS_PIDR4`), 48 bytes.
pub(crate) const GITS_IDREGS: u64 = 0xffd0;

/// `GITS_CTLR.Enabled`.
const GITS_CTLR_ENABLE: u64 = 1;
/// `GITS_CTLR.Quiescent`.
const GITS_CTLR_QUIESCENT: u64 = 1 << 31;
/// `GITS_BASER<n>.Valid` and `GITS_CBASER.Valid`.
pub(crate) const BASER_VALID: u64 = 1 << 63;
/// `GITS_BASER<n>.Indirect`: a two-level table.
pub(crate) const BASER_INDIRECT: u64 = 1 << 62;
/// `GITS_BASER<n>.Type` of the device table (C: `GITS_BASER_TYPE_DEVICE`).
pub(crate) const BASER_TYPE_DEVICE: u64 = 1;
/// `GITS_BASER<n>.Type` of the collection table (C: `GITS_BASER_TYPE_COLLECTION`).
pub(crate) const BASER_TYPE_COLLECTION: u64 = 4;
/// The fields of `GITS_BASER<n>` the ITS owns: entry size (52:48) and type (58:56) (C:
/// `GITS_BASER_RO_MASK`).
const BASER_RO_MASK: u64 = 0x1f << 48 | 7 << 56;
/// `GITS_BASER<n>.Entry_Size` (C: `GITS_BASER_ENTRY_SIZE_MASK`).
const BASER_ENTRY_SIZE_MASK: u64 = 0x1f << 48;
/// `GITS_BASER<n>.Page_Size` (C: `GITS_BASER_PAGE_SIZE_MASK`).
const BASER_PAGE_SIZE_MASK: u64 = 3 << 8;
/// `GITS_BASER<n>.Page_Size` of 64K pages, the only size KVM supports.
const BASER_PAGE_SIZE_64K: u64 = 2 << 8;
/// The reset value of both tables' registers: inner read-allocate write-back, outer same as
/// inner, inner shareable, 64K pages (C: `INITIAL_BASER_VALUE`).
pub(crate) const INITIAL_BASER: u64 = 3 << 59 | 1 << 10 | BASER_PAGE_SIZE_64K;
/// The size of one table entry in ABI revision 0 (C: `ABI_0_ESZ`).
pub(crate) const ABI_0_ESZ: u64 = 8;
/// The table ABI revisions (C: `NR_ITS_ABIS`).
const NR_ITS_ABIS: u32 = 1;
/// The event id bits of the ITS (C: `VITS_TYPER_IDBITS`).
pub(crate) const VITS_TYPER_IDBITS: u32 = 16;
/// The device id bits of the ITS (C: `VITS_TYPER_DEVBITS`).
const VITS_TYPER_DEVBITS: u32 = 16;

/// A register of the control frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reg {
    /// `GITS_CTLR`, 32 bits.
    Ctlr,
    /// `GITS_IIDR`, 32 bits.
    Iidr,
    /// `GITS_TYPER`.
    Typer,
    /// `GITS_CBASER`.
    Cbaser,
    /// `GITS_CWRITER`.
    Cwriter,
    /// `GITS_CREADR`.
    Creadr,
    /// `GITS_BASER0` to `GITS_BASER7`.
    Baser,
    /// The ID registers, 32 bits.
    Idregs,
}

/// The control frame's registers (C: `its_registers[]`): first offset, length, register.
const REGIONS: [(u64, u64, Reg); 8] = [
    (GITS_CTLR, 4, Reg::Ctlr),
    (GITS_IIDR, 4, Reg::Iidr),
    (GITS_TYPER, 8, Reg::Typer),
    (GITS_CBASER, 8, Reg::Cbaser),
    (GITS_CWRITER, 8, Reg::Cwriter),
    (GITS_CREADR, 8, Reg::Creadr),
    (GITS_BASER, 0x40, Reg::Baser),
    (GITS_IDREGS, 0x30, Reg::Idregs),
];

/// `vgic_find_mmio_region()`: the register at `offset`, of which C keeps the low 32 bits.
pub(crate) fn find(offset: u64) -> Option<Reg> {
    let offset = offset & 0xffff_ffff;
    REGIONS
        .iter()
        .find(|(start, len, _)| offset >= *start && offset < start + len)
        .map(|(_, _, r)| *r)
}

/// The alignment check of `vgic_its_has_attr_regs()` and `vgic_its_attr_regs_access()`:
/// 32-bit registers below `GITS_TYPER` and from `GITS_PIDR4` on, 64-bit ones between.
///
/// # Errors
///
/// `EINVAL` for an offset that is not a multiple of that width.
pub(crate) fn check_alignment(offset: u64) -> Result {
    let align = if !(GITS_TYPER..GITS_IDREGS).contains(&offset) {
        3
    } else {
        7
    };
    if offset & align != 0 {
        Err(EINVAL)
    } else {
        Ok(())
    }
}

/// `vgic_its_has_attr_regs()`.
///
/// # Errors
///
/// `EINVAL` for a misaligned offset, `ENXIO` for an offset without a register.
pub(crate) fn has(offset: u64) -> Result {
    check_alignment(offset)?;
    find(offset).map(|_| ()).ok_or(ENXIO)
}

/// `extract_bytes()` of a 64-bit access at byte `offset & 7` of `data`.
fn extract(data: u64, offset: u64) -> u64 {
    // CAST: below 64.
    data.wrapping_shr(((offset & 7) * 8) as u32)
}

/// `update_64bit_reg()` of a 64-bit access at byte `offset & 7`: a write 4 bytes in keeps
/// the register (C's mask is `GENMASK_ULL(95, 32)`, which arm64's shifts make 0) and ORs in
/// the value's low half, shifted.
pub(crate) fn update_64bit_reg(reg: u64, offset: u64, val: u64) -> u64 {
    // CAST: 0 or 32.
    let lower = ((offset & 4) * 8) as u32;
    let upper = lower + 63;
    let mask = u64::MAX.wrapping_shl(lower) & u64::MAX.wrapping_shr(63u32.wrapping_sub(upper));
    (reg & !mask) | val.wrapping_shl(lower)
}

/// `vgic_sanitise_field()` with `vgic_sanitise_shareability()`,
/// `vgic_sanitise_inner_cacheability()` and `vgic_sanitise_outer_cacheability()`, for fields
/// at the given shifts: outer shareable becomes inner shareable, an inner non-cacheable
/// attribute becomes read-allocate write-back, an outer one other than non-cacheable becomes
/// same-as-inner.
fn sanitise(reg: u64, shareability: u32, inner: u32, outer: u32) -> u64 {
    let field = |reg: u64, shift: u32, mask: u64, f: fn(u64) -> u64| {
        (reg & !(mask << shift)) | f((reg >> shift) & mask) << shift
    };
    let reg = field(reg, shareability, 3, |f| if f == 2 { 1 } else { f });
    let reg = field(reg, inner, 7, |f| if f <= 1 { 3 } else { f });
    field(reg, outer, 7, |f| if f == 1 { 1 } else { 0 })
}

/// `vgic_sanitise_its_baser()`: the attributes, and 64K pages.
fn sanitise_baser(reg: u64) -> u64 {
    (sanitise(reg, 10, 59, 53) & !BASER_PAGE_SIZE_MASK) | BASER_PAGE_SIZE_64K
}

/// `vgic_sanitise_its_cbaser()`: the attributes, and a 64K-aligned address (bits 15:12 RES0).
fn sanitise_cbaser(reg: u64) -> u64 {
    sanitise(reg, 10, 59, 53) & !0xf000
}

/// The size of the command queue (C: `ITS_CMD_BUFFER_SIZE()`): 1 to 256 4K pages.
pub(crate) fn cmd_buffer_size(cbaser: u64) -> u64 {
    ((cbaser & 0xff) + 1) << 12
}

/// The offset of a command in the queue (C: `ITS_CMD_OFFSET()`, bits 19:5).
fn cmd_offset(reg: u64) -> u64 {
    reg & 0x000f_ffe0
}

/// `GITS_TYPER` (C: `vgic_mmio_read_its_typer()`): physical LPIs, 16 device id bits, 16 event
/// id bits, 8-byte entries; no PTA (collections target vCPU ids), no CIL.
pub(crate) fn typer() -> u64 {
    1 | u64::from(VITS_TYPER_DEVBITS - 1) << 13
        | u64::from(VITS_TYPER_IDBITS - 1) << 8
        | (ABI_0_ESZ - 1) << 4
}

/// `vgic_its_set_abi()` and `vgic_its_commit_v0()`: both tables' entry size fields say 8.
pub(crate) fn set_abi(its: &mut Its, rev: u32) {
    its.abi_rev = rev;
    let esz = (ABI_0_ESZ - 1) << 48;
    its.baser_coll_table = (its.baser_coll_table & !BASER_ENTRY_SIZE_MASK) | esz;
    its.baser_device_table = (its.baser_device_table & !BASER_ENTRY_SIZE_MASK) | esz;
}

/// `vgic_mmio_read_its_idregs()`: the ID registers of KVM's ITS.
fn idreg(offset: u64) -> u64 {
    match offset & 0xffff {
        // GITS_PIDR0, PIDR1: part number.
        0xffe0 => 0x92,
        0xffe4 => 0xb4,
        // GITS_PIDR2: a GICv3 (C: `GIC_PIDR2_ARCH_GICv3 | 0x0b`).
        0xffe8 => 0x3b,
        // GITS_PIDR4: a 64K page.
        0xffd0 => 0x40,
        // GITS_CIDR0 to CIDR3.
        0xfff0 => 0x0d,
        0xfff4 => 0xf0,
        0xfff8 => 0x05,
        0xfffc => 0xb1,
        _ => 0,
    }
}

/// The `GITS_BASER<n>` that `offset` addresses (C: `BASER_INDEX()`): 0 and 1 exist.
fn baser_index(offset: u64) -> u64 {
    (offset / 8) & 7
}

/// Reads register `reg` at `offset` (C: its `its_read` handler).
pub(crate) fn read(its: &Its, reg: Reg, offset: u64) -> u64 {
    match reg {
        Reg::Ctlr => {
            let quiescent = if its.creadr == its.cwriter {
                GITS_CTLR_QUIESCENT
            } else {
                0
            };
            let enabled = if its.enabled { GITS_CTLR_ENABLE } else { 0 };
            quiescent | enabled
        }
        Reg::Iidr => {
            u64::from((its.abi_rev << 12) & 0xf000 | PRODUCT_ID_KVM << 24 | IMPLEMENTER_ARM)
        }
        Reg::Typer => extract(typer(), offset),
        Reg::Cbaser => extract(its.cbaser, offset),
        Reg::Cwriter => extract(its.cwriter, offset),
        Reg::Creadr => extract(its.creadr, offset),
        Reg::Baser => extract(
            match baser_index(offset) {
                0 => its.baser_device_table,
                1 => its.baser_coll_table,
                _ => 0,
            },
            offset,
        ),
        Reg::Idregs => idreg(offset),
    }
}

/// Writes `val` to register `reg` at `offset` (C: its `uaccess_its_write` handler, else its
/// `its_write` handler). A write of `GITS_CWRITER` or `GITS_CTLR` may process commands.
///
/// # Errors
///
/// `GITS_IIDR`: `EINVAL` for a revision other than 0. `GITS_CREADR`: `EBUSY` while the ITS is
/// enabled, `EINVAL` for an offset beyond the command queue.
pub(crate) fn write(its: &mut Its, cx: &mut Ctx<'_>, reg: Reg, offset: u64, val: u64) -> Result {
    match reg {
        Reg::Ctlr => write_ctlr(its, cx, val),
        Reg::Iidr => {
            // C: `vgic_mmio_uaccess_write_its_iidr()`: only the revision counts.
            // CAST: 4 bits.
            let rev = ((val >> 12) & 0xf) as u32;
            if rev >= NR_ITS_ABIS {
                return Err(EINVAL);
            }
            set_abi(its, rev);
        }
        Reg::Typer | Reg::Idregs => {}
        Reg::Cbaser => {
            // C: `vgic_mmio_write_its_cbaser()`: read-only while enabled; a new queue is empty.
            if !its.enabled {
                its.cbaser = sanitise_cbaser(update_64bit_reg(its.cbaser, offset, val));
                its.creadr = 0;
                its.cwriter = its.creadr;
            }
        }
        Reg::Cwriter => {
            // C: `vgic_mmio_write_its_cwriter()`: an offset beyond the queue is ignored.
            let reg = cmd_offset(update_64bit_reg(its.cwriter, offset, val));
            if reg < cmd_buffer_size(its.cbaser) {
                its.cwriter = reg;
                cmd::process(its, cx);
            }
        }
        Reg::Creadr => {
            // C: `vgic_mmio_uaccess_write_its_creadr()`.
            if its.enabled {
                return Err(EBUSY);
            }
            let off = cmd_offset(val);
            if off >= cmd_buffer_size(its.cbaser) {
                return Err(EINVAL);
            }
            its.creadr = off;
        }
        Reg::Baser => write_baser(its, cx, offset, val),
    }
    Ok(())
}

/// `vgic_mmio_write_its_ctlr()`: enabling needs valid tables and queue (else the write is
/// ignored); disabling or enabling runs the queued commands.
fn write_ctlr(its: &mut Its, cx: &mut Ctx<'_>, val: u64) {
    if !its.enabled
        && val & GITS_CTLR_ENABLE != 0
        && (its.baser_device_table & BASER_VALID == 0
            || its.baser_coll_table & BASER_VALID == 0
            || its.cbaser & BASER_VALID == 0)
    {
        return;
    }
    its.enabled = val & GITS_CTLR_ENABLE != 0;
    cmd::process(its, cx);
}

/// `vgic_mmio_write_its_baser()`: ignored while enabled and for `GITS_BASER2` to `7`; the ITS
/// keeps the type, the entry size and 64K pages, and the collection table is flat. A changed
/// table drops what was mapped through it.
fn write_baser(its: &mut Its, cx: &mut Ctx<'_>, offset: u64, val: u64) {
    if its.enabled {
        return;
    }
    let (old, ty, clear) = match baser_index(offset) {
        0 => (its.baser_device_table, BASER_TYPE_DEVICE, 0),
        1 => (its.baser_coll_table, BASER_TYPE_COLLECTION, BASER_INDIRECT),
        _ => return,
    };
    let mut reg = update_64bit_reg(old, offset, val) & !BASER_RO_MASK & !clear;
    reg |= (ABI_0_ESZ - 1) << 48 | ty << 56;
    let reg = sanitise_baser(reg);
    if ty == BASER_TYPE_DEVICE {
        its.baser_device_table = reg;
    } else {
        its.baser_coll_table = reg;
    }
    // The guest's ITS driver rewrites an unchanged register on resume.
    if reg != old {
        if ty == BASER_TYPE_DEVICE {
            its.free_device_list(cx.dist);
        } else {
            its.free_collection_list();
        }
    }
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_its_regs)]
mod tests {
    use super::*;

    /// golden/vgic_its.txt, "regs: every offset".
    #[test]
    fn layout() {
        assert_eq!(typer(), 0x1ef71);
        assert_eq!(has(0x0), Ok(()));
        assert_eq!(has(0x3), Err(EINVAL));
        assert_eq!(has(0x10), Err(ENXIO));
        assert_eq!(has(0x14), Err(EINVAL));
        assert_eq!(has(0x138), Ok(()));
        assert_eq!(has(0xffc8), Err(ENXIO));
        assert_eq!(has(0xffd4), Ok(()));
        assert_eq!(has(0x1_0000), Err(ENXIO));
        assert_eq!(find(1 << 32), Some(Reg::Ctlr));
        assert_eq!(check_alignment(1 << 32 | 0xc), Ok(()));
        assert_eq!(find(1 << 32 | 0xc), Some(Reg::Typer));
        assert_eq!(extract(typer(), 1 << 32 | 0xc), 0);
        assert_eq!(idreg(0xffe8), 0x3b);
        assert_eq!(idreg(0xffdc), 0);
    }

    /// golden/vgic_its.txt, "regs: writes": the sanitised table and queue registers.
    #[test]
    fn sanitising() {
        let baser = |old: u64, val: u64, ty: u64, clear: u64| {
            let reg = update_64bit_reg(old, 0, val) & !BASER_RO_MASK & !clear;
            sanitise_baser(reg | 7 << 48 | ty << 56)
        };
        let dev0 = INITIAL_BASER | 1 << 56 | 7 << 48;
        assert_eq!(dev0, 0x1907_0000_0000_0600);
        assert_eq!(baser(dev0, u64::MAX, 1, 0), 0xf907_ffff_ffff_feff);
        assert_eq!(
            baser(dev0, u64::MAX, 4, BASER_INDIRECT),
            0xbc07_ffff_ffff_feff
        );
        assert_eq!(baser(dev0, 0, 1, 0), 0x1907_0000_0000_0200);
        assert_eq!(
            baser(dev0, 0x8000_0000_4001_0103, 1, 0),
            0x9907_0000_4001_0203
        );
        assert_eq!(
            baser(dev0, 0xc000_0000_4002_0000, 4, BASER_INDIRECT),
            0x9c07_0000_4002_0200
        );
        assert_eq!(sanitise_cbaser(u64::MAX), 0xff1f_ffff_ffff_0fff);
        assert_eq!(
            sanitise_cbaser(0x8000_0000_4000_000f),
            0x9800_0000_4000_000f
        );
        assert_eq!(cmd_buffer_size(0xf), 0x1_0000);
        assert_eq!(cmd_offset(0x1f), 0);
        assert_eq!(cmd_offset(0x41), 0x40);
        assert_eq!(update_64bit_reg(0x1234, 4, 0xab), 0xab_0000_1234);
        assert_eq!(update_64bit_reg(0x1234, 0, 0xab), 0xab);
    }
}
