// SPDX-License-Identifier: GPL-2.0

//! The tables of an ITS in guest memory, ABI revision 0: the device table (`GITS_BASER0`,
//! flat or two-level) of device table entries (DTEs), one interrupt translation table (ITT)
//! of entries (ITEs) per device, and the collection table (`GITS_BASER1`) of collection table
//! entries (CTEs). `KVM_DEV_ARM_ITS_SAVE_TABLES` writes the ITS's state into them,
//! `KVM_DEV_ARM_ITS_RESTORE_TABLES` rebuilds it from them.
//!
//! C: `vgic_its_check_id()`, `scan_its_table()`, `vgic_its_save_tables_v0()`,
//! `vgic_its_restore_tables_v0()` and what they call (`vgic_its_save_dte()`,
//! `vgic_its_restore_dte()`, `handle_l1_dte()`, `vgic_its_save_itt()`,
//! `vgic_its_restore_itt()`, `vgic_its_save_ite()`, `vgic_its_restore_ite()`,
//! `vgic_its_save_cte()`, `vgic_its_restore_cte()`, `compute_next_devid_offset()`,
//! `compute_next_eventid_offset()`) in
//! [`arch/arm64/kvm/vgic/vgic-its.c`](srctree/arch/arm64/kvm/vgic/vgic-its.c); the entry
//! layouts of "ITS Table ABI REV0" in
//! [`Documentation/virt/kvm/devices/arm-vgic-its.rst`](srctree/Documentation/virt/kvm/devices/arm-vgic-its.rst)
//! and `KVM_ITS_*` in [`arch/arm64/kvm/vgic/vgic.h`](srctree/arch/arm64/kvm/vgic/vgic.h).
//!
//! Every entry is 8 bytes, little-endian:
//!
//! ```text
//! DTE: | 63 V | 62:49 next | 48:5 ITT_addr[51:8] | 4:0 Size - 1 |
//! CTE: | 63 V | 62:52 RES0 | 51:16 RDBase (vCPU id) | 15:0 ICID |
//! ITE: | 63:48 next | 47:16 pINTID (0: invalid) | 15:0 ICID |
//! ```
//!
//! `next` is the id offset to the next valid entry (0 for the last), so a restore reads only
//! entries a save wrote, and stops where C stops.

use kernel::prelude::*;

use super::{
    cmd::check_event_id,
    regs::{
        ABI_0_ESZ,
        BASER_INDIRECT,
        BASER_TYPE_COLLECTION,
        BASER_TYPE_DEVICE,
        BASER_VALID,
        VITS_TYPER_IDBITS, //
    },
    Ctx,
    Ite,
    Its,
    COLLECTION_NOT_MAPPED, //
};
use crate::{
    devices::vgic::lpi,
    vm::Vm, //
};

/// 64K, the page size of every table.
const SZ_64K: u64 = 0x1_0000;
/// The largest device id (C: `VITS_MAX_DEVID`).
const VITS_MAX_DEVID: u32 = (1 << 16) - 1;
/// The largest id offset a DTE holds (C: `VITS_DTE_MAX_DEVID_OFFSET`).
const VITS_DTE_MAX_DEVID_OFFSET: u32 = (1 << 14) - 1;
/// The largest event id offset an ITE holds (C: `VITS_ITE_MAX_EVENTID_OFFSET`).
const VITS_ITE_MAX_EVENTID_OFFSET: u32 = (1 << 16) - 1;
/// The size of a first-level entry of a two-level device table (C: `GITS_LVL1_ENTRY_SIZE`).
const LVL1_ENTRY_SIZE: u64 = 8;
/// The valid bit of a first-level entry, a DTE and a CTE.
const VALID: u64 = 1 << 63;
/// The address bits of a first-level entry (C: `KVM_ITS_L1E_ADDR_MASK`, bits 51:16).
const L1E_ADDR_MASK: u64 = 0x000f_ffff_ffff_0000;

/// A decoded device table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dte {
    /// V.
    pub(crate) valid: bool,
    /// The device id offset to the next valid entry.
    pub(crate) next: u32,
    /// The address of the device's ITT, 256-byte aligned.
    pub(crate) itt_addr: u64,
    /// The event id bits, `Size + 1`.
    pub(crate) num_eventid_bits: u32,
}

impl Dte {
    /// Decodes an entry (C: `vgic_its_restore_dte()`).
    pub(crate) fn decode(e: u64) -> Self {
        Self {
            valid: e & VALID != 0,
            // CAST: 14 bits.
            next: ((e >> 49) & 0x3fff) as u32,
            itt_addr: ((e >> 5) & ((1 << 44) - 1)) << 8,
            // CAST: 5 bits.
            num_eventid_bits: (e & 0x1f) as u32 + 1,
        }
    }

    /// Encodes a valid entry (C: `vgic_its_save_dte()`).
    pub(crate) fn encode(next: u32, itt_addr: u64, num_eventid_bits: u32) -> u64 {
        VALID
            | u64::from(next) << 49
            | (itt_addr >> 8) << 5
            | u64::from(num_eventid_bits.wrapping_sub(1))
    }
}

/// A decoded collection table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cte {
    /// V.
    pub(crate) valid: bool,
    /// The vCPU id, C's `(u32)(val >> 16)` (bits 47:16).
    pub(crate) target_addr: u32,
    /// The collection id.
    pub(crate) icid: u32,
}

impl Cte {
    /// Decodes an entry (C: `vgic_its_restore_cte()`).
    pub(crate) fn decode(e: u64) -> Self {
        Self {
            valid: e & VALID != 0,
            // CAST: C truncates to 32 bits.
            target_addr: (e >> 16) as u32,
            // CAST: 16 bits.
            icid: (e & 0xffff) as u32,
        }
    }

    /// Encodes a valid entry (C: `vgic_its_save_cte()`).
    pub(crate) fn encode(target_addr: u32, icid: u32) -> u64 {
        VALID | u64::from(target_addr) << 16 | u64::from(icid)
    }
}

/// A decoded interrupt translation entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ItEntry {
    /// The event id offset to the next valid entry.
    pub(crate) next: u32,
    /// The LPI; 0 for an invalid entry.
    pub(crate) pintid: u32,
    /// The collection id.
    pub(crate) icid: u32,
}

impl ItEntry {
    /// Decodes an entry (C: `vgic_its_restore_ite()`).
    pub(crate) fn decode(e: u64) -> Self {
        Self {
            // CAST: 16 bits.
            next: (e >> 48) as u32,
            // CAST: 32 bits.
            pintid: (e >> 16) as u32,
            // CAST: 16 bits.
            icid: (e & 0xffff) as u32,
        }
    }

    /// Encodes an entry (C: `vgic_its_save_ite()`).
    pub(crate) fn encode(next: u32, pintid: u32, icid: u32) -> u64 {
        u64::from(next) << 48 | u64::from(pintid) << 16 | u64::from(icid)
    }
}

/// The guest address of a table (C: `GITS_BASER_ADDR_48_to_52()`): bits 47:16, and 51:48 from
/// bits 15:12.
fn baser_addr(baser: u64) -> u64 {
    (baser & 0x0000_ffff_ffff_0000) | ((baser >> 12) & 0xf) << 48
}

/// The size in bytes of a table, or of the first level of a two-level one (C:
/// `GITS_BASER_NR_PAGES()` 64K pages).
fn baser_size(baser: u64) -> u64 {
    ((baser & 0xff) + 1) * SZ_64K
}

/// Reads one little-endian 64-bit entry of guest memory.
fn read_entry(vm: &Vm, gpa: u64) -> Result<u64> {
    let mut b = [0u8; 8];
    vm.read_guest(gpa, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Writes one little-endian 64-bit entry of guest memory.
fn write_entry(vm: &Vm, gpa: u64, val: u64) -> Result {
    vm.write_guest(gpa, &val.to_le_bytes())
}

/// `vgic_its_check_id()`: whether table `baser` can hold entry `id`, and where: the id fits
/// the table type's id width and the table (through its first level if it is a two-level
/// one, whose entry must be valid), and a memslot backs the entry.
pub(crate) fn check_id(vm: &Vm, baser: u64, id: u32) -> Option<u64> {
    let l1_size = baser_size(baser);
    let base = baser_addr(baser);
    let esz = ((baser >> 48) & 0x1f) + 1;
    match (baser >> 56) & 7 {
        BASER_TYPE_DEVICE if id <= VITS_MAX_DEVID => {}
        // GITS_TYPER.CIL is 0: 16-bit collection ids.
        BASER_TYPE_COLLECTION if id < 1 << 16 => {}
        _ => return None,
    }
    let id = u64::from(id);
    let addr = if baser & BASER_INDIRECT == 0 {
        if id >= l1_size / esz {
            return None;
        }
        base + id * esz
    } else {
        let index = id / (SZ_64K / esz);
        if index >= l1_size / LVL1_ENTRY_SIZE {
            return None;
        }
        let l1 = read_entry(vm, base + index * LVL1_ENTRY_SIZE).ok()?;
        if l1 & VALID == 0 {
            return None;
        }
        (l1 & L1E_ADDR_MASK) + (id % (SZ_64K / esz)) * esz
    };
    vm.is_visible_gfn(addr).then_some(addr)
}

/// `scan_its_table()`: walks the table of `size` bytes of `esz`-byte entries at `base`,
/// whose first entry has id `start_id`, calling `f` with each entry's id and value; `f`
/// answers the id offset to the next entry, 0 for the last. Returns 0 if `f` found the last
/// entry, 1 if the walk left the table.
///
/// # Errors
///
/// `EFAULT` where no memslot backs an entry; `f`'s errors.
fn scan(
    vm: &Vm,
    base: u64,
    size: u64,
    esz: u64,
    start_id: u32,
    mut f: impl FnMut(u32, u64) -> Result<u32>,
) -> Result<u32> {
    let mut len = size;
    let mut id = start_id;
    let mut gpa = base;
    loop {
        let entry = read_entry(vm, gpa)?;
        let next = f(id, entry)?;
        if next == 0 {
            return Ok(0);
        }
        let byte_offset = u64::from(next) * esz;
        if byte_offset >= len {
            return Ok(1);
        }
        id = id.wrapping_add(next);
        gpa = gpa.wrapping_add(byte_offset);
        len -= byte_offset;
    }
}

/// `vgic_its_restore_ite()`: entry `event_id` of device `d`'s table. An entry whose LPI
/// another entry maps is dropped, as `MAPTI` would.
fn restore_ite(its: &mut Its, cx: &mut Ctx<'_>, d: usize, event_id: u32, e: u64) -> Result<u32> {
    let ite = ItEntry::decode(e);
    if ite.pintid == 0 {
        // Invalid: the next entry may be valid.
        return Ok(1);
    }
    if ite.pintid < lpi::VGIC_MIN_LPI {
        return Err(EINVAL);
    }
    let bits = its.devices.get(d).ok_or(EINVAL)?.num_eventid_bits;
    if u64::from(event_id) + u64::from(ite.next) >= 1u64 << bits {
        return Err(EINVAL);
    }
    let coll = *its.find_collection(ite.icid).ok_or(EINVAL)?;
    if !check_event_id(its, cx, d, event_id) {
        return Err(EINVAL);
    }
    its.devices[d].ites.reserve(1, GFP_KERNEL_ACCOUNT)?;
    let vcpu = if coll.mapped() {
        cx.collection_vcpu(&coll)
    } else {
        None
    };
    lpi::add(cx.vm, cx.dist, cx.vcpus, ite.pintid, vcpu)?;
    if lpi::map(cx.dist, ite.pintid, vcpu) {
        let entry = Ite {
            event_id,
            collection: Some(coll.id),
            intid: ite.pintid,
        };
        if its.devices[d].ites.push_within_capacity(entry).is_err() {
            // Not reached: the room was reserved above.
            lpi::unmap(cx.dist, ite.pintid);
            return Err(ENOMEM);
        }
    }
    Ok(ite.next)
}

/// `vgic_its_restore_itt()`: device `d`'s translation table.
fn restore_itt(its: &mut Its, cx: &mut Ctx<'_>, d: usize) -> Result {
    let dev = its.devices.get(d).ok_or(EINVAL)?;
    let (base, size) = (dev.itt_addr, (1u64 << dev.num_eventid_bits) * ABI_0_ESZ);
    let vm = cx.vm;
    scan(vm, base, size, ABI_0_ESZ, 0, |id, e| {
        restore_ite(its, cx, d, id, e)
    })?;
    Ok(())
}

/// `vgic_its_restore_dte()`: the device table entry of device `id`, and the device's
/// translation table.
fn restore_dte(its: &mut Its, cx: &mut Ctx<'_>, id: u32, e: u64) -> Result<u32> {
    let dte = Dte::decode(e);
    if !dte.valid {
        return Ok(1);
    }
    // As MAPD does.
    if dte.num_eventid_bits > VITS_TYPER_IDBITS {
        return Err(EINVAL);
    }
    if check_id(cx.vm, its.baser_device_table, id).is_none() {
        return Err(EINVAL);
    }
    let d = its.alloc_device(id, dte.itt_addr, dte.num_eventid_bits)?;
    if let Err(e) = restore_itt(its, cx, d) {
        its.free_device(cx.dist, d);
        return Err(e);
    }
    Ok(dte.next)
}

/// `handle_l1_dte()`: first-level entry `id` of a two-level device table; a valid one points
/// to a 64K page of DTEs for ids from `id * 8192`.
fn handle_l1_dte(its: &mut Its, cx: &mut Ctx<'_>, id: u32, e: u64) -> Result<u32> {
    if e & VALID == 0 {
        return Ok(1);
    }
    // CAST: 8192 entries per 64K page.
    let l2_start = id.wrapping_mul((SZ_64K / ABI_0_ESZ) as u32);
    let vm = cx.vm;
    scan(
        vm,
        e & L1E_ADDR_MASK,
        SZ_64K,
        ABI_0_ESZ,
        l2_start,
        |id, e| restore_dte(its, cx, id, e),
    )
}

/// `vgic_its_restore_device_tables()`.
fn restore_device_tables(its: &mut Its, cx: &mut Ctx<'_>) -> Result {
    let baser = its.baser_device_table;
    if baser & BASER_VALID == 0 {
        return Ok(());
    }
    let (base, size) = (baser_addr(baser), baser_size(baser));
    let vm = cx.vm;
    let r = if baser & BASER_INDIRECT != 0 {
        scan(vm, base, size, LVL1_ENTRY_SIZE, 0, |id, e| {
            handle_l1_dte(its, cx, id, e)
        })
    } else {
        scan(vm, base, size, ABI_0_ESZ, 0, |id, e| {
            restore_dte(its, cx, id, e)
        })
    };
    if let Err(e) = r {
        its.free_device_list(cx.dist);
        return Err(e);
    }
    Ok(())
}

/// `vgic_its_restore_cte()`: the entry at `gpa`; `false` for an invalid one, the end.
fn restore_cte(its: &mut Its, cx: &Ctx<'_>, gpa: u64) -> Result<bool> {
    let cte = Cte::decode(read_entry(cx.vm, gpa)?);
    if !cte.valid {
        return Ok(false);
    }
    if cte.target_addr != COLLECTION_NOT_MAPPED
        && lpi::vcpu_by_id(cx.vcpus, cte.target_addr).is_none()
    {
        return Err(EINVAL);
    }
    if its.find_collection(cte.icid).is_some() {
        return Err(EEXIST);
    }
    if check_id(cx.vm, its.baser_coll_table, cte.icid).is_none() {
        return Err(EINVAL);
    }
    its.alloc_collection(cte.icid)?.target_addr = cte.target_addr;
    Ok(true)
}

/// `vgic_its_restore_collection_table()`: entries up to the first invalid one, or the end of
/// the table.
fn restore_collection_table(its: &mut Its, cx: &Ctx<'_>) -> Result {
    let baser = its.baser_coll_table;
    if baser & BASER_VALID == 0 {
        return Ok(());
    }
    let (mut gpa, size) = (baser_addr(baser), baser_size(baser));
    let mut read = 0;
    while read < size {
        match restore_cte(its, cx, gpa) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                its.free_collection_list();
                return Err(e);
            }
        }
        gpa = gpa.wrapping_add(ABI_0_ESZ);
        read += ABI_0_ESZ;
    }
    Ok(())
}

/// `KVM_DEV_ARM_ITS_RESTORE_TABLES` (C: `vgic_its_restore_tables_v0()`): the collections,
/// then the devices and their entries. A failure drops what the step restored, and the
/// collections if the devices failed; what the ITS held before stays.
///
/// # Errors
///
/// `EFAULT` where no memslot backs a table entry that is read; `EINVAL` for an entry that is
/// inconsistent (a vCPU that does not exist, an id beyond its table or width, an LPI below
/// 8192, a `next` beyond the table, a missing collection); `EEXIST` for a collection that
/// exists; `ENOMEM`.
pub(crate) fn restore(its: &mut Its, cx: &mut Ctx<'_>) -> Result {
    restore_collection_table(its, cx)?;
    if let Err(e) = restore_device_tables(its, cx) {
        its.free_collection_list();
        return Err(e);
    }
    Ok(())
}

/// `vgic_its_save_itt()` and `vgic_its_save_ite()`: device `d`'s entries, sorted by event id;
/// an entry without a collection is saved as 0, which a restore reads as invalid.
fn save_itt(its: &mut Its, vm: &Vm, d: usize) -> Result {
    let dev = &mut its.devices[d];
    // Event ids are unique within a device: any sort gives C's order.
    dev.ites.sort_unstable_by_key(|i| i.event_id);
    let dev = &its.devices[d];
    for (i, ite) in dev.ites.iter().enumerate() {
        let gpa = dev
            .itt_addr
            .wrapping_add(u64::from(ite.event_id) * ABI_0_ESZ);
        let Some(icid) = ite.collection else {
            write_entry(vm, gpa, 0)?;
            continue;
        };
        // C: `compute_next_eventid_offset()`: the next entry saved as valid.
        let next = dev.ites[i + 1..]
            .iter()
            .find(|n| n.collection.is_some())
            .map_or(0, |n| {
                n.event_id
                    .wrapping_sub(ite.event_id)
                    .min(VITS_ITE_MAX_EVENTID_OFFSET)
            });
        write_entry(vm, gpa, ItEntry::encode(next, ite.intid, icid))?;
    }
    Ok(())
}

/// `vgic_its_save_device_tables()`: the devices in id order, each entry after its
/// translation table; devices the table cannot hold are left out.
fn save_device_tables(its: &mut Its, vm: &Vm) -> Result {
    let baser = its.baser_device_table;
    if baser & BASER_VALID == 0 {
        return Ok(());
    }
    its.sort_devices();
    for d in 0..its.devices.len() {
        let id = its.devices[d].id;
        let Some(eaddr) = check_id(vm, baser, id) else {
            continue;
        };
        save_itt(its, vm, d)?;
        // C: `compute_next_devid_offset()`: the next device the table can hold.
        let next = its.devices[d + 1..]
            .iter()
            .find(|n| check_id(vm, baser, n.id).is_some())
            .map_or(0, |n| n.id.wrapping_sub(id).min(VITS_DTE_MAX_DEVID_OFFSET));
        let dev = &its.devices[d];
        write_entry(
            vm,
            eaddr,
            Dte::encode(next, dev.itt_addr, dev.num_eventid_bits),
        )?;
    }
    Ok(())
}

/// `vgic_its_save_collection_table()`: the collections in list order from the first entry,
/// then an invalid entry if there is room.
fn save_collection_table(its: &Its, vm: &Vm) -> Result {
    let baser = its.baser_coll_table;
    if baser & BASER_VALID == 0 {
        return Ok(());
    }
    let (mut gpa, size) = (baser_addr(baser), baser_size(baser));
    let mut filled = 0;
    for c in its.collections.iter() {
        write_entry(vm, gpa, Cte::encode(c.target_addr, c.id))?;
        gpa = gpa.wrapping_add(ABI_0_ESZ);
        filled += ABI_0_ESZ;
    }
    if filled == size {
        return Ok(());
    }
    write_entry(vm, gpa, 0)
}

/// `KVM_DEV_ARM_ITS_SAVE_TABLES` (C: `vgic_its_save_tables_v0()`): the device table and the
/// translation tables, then the collection table.
///
/// # Errors
///
/// `EFAULT` where no memslot backs an entry, or it is read-only; what was written before
/// stays written.
pub(crate) fn save(its: &mut Its, cx: &mut Ctx<'_>) -> Result {
    save_device_tables(its, cx.vm)?;
    save_collection_table(its, cx.vm)
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_its_tables)]
mod tests {
    use super::*;

    /// The entries of golden/vgic_its.txt, "restore: tables written in guest memory".
    #[test]
    fn entries() {
        let dte = Dte::decode(0x8004_0000_0800_6003);
        assert_eq!(
            dte,
            Dte {
                valid: true,
                next: 2,
                itt_addr: 0x4003_0000,
                num_eventid_bits: 4
            }
        );
        assert_eq!(Dte::encode(2, 0x4003_0000, 4), 0x8004_0000_0800_6003);
        assert_eq!(Dte::encode(0, 0x4003_0100, 2), 0x8000_0000_0800_6021);
        assert_eq!(Dte::encode(5, 0x4003_0000, 4), 0x800a_0000_0800_6003);
        assert_eq!(Dte::decode(0x8004_0000_0800_6010).num_eventid_bits, 17);
        assert_eq!(Dte::decode(0xfffe_0000_0800_6003).next, 0x3fff);
        assert!(!Dte::decode(0x0004_0000_0800_6003).valid);

        let cte = Cte::decode(0x8000_ffff_ffff_0003);
        assert_eq!(
            cte,
            Cte {
                valid: true,
                target_addr: COLLECTION_NOT_MAPPED,
                icid: 3
            }
        );
        assert_eq!(Cte::encode(1, 1), 0x8000_0000_0001_0001);
        assert_eq!(Cte::decode(0x8000_0000_0005_0001).target_addr, 5);
        assert_eq!(Cte::decode(0x8000_0000_0001_ffff).icid, 0xffff);

        let ite = ItEntry::decode(0x0001_0000_2000_0000);
        assert_eq!(
            ite,
            ItEntry {
                next: 1,
                pintid: 8192,
                icid: 0
            }
        );
        assert_eq!(ItEntry::encode(3, 8192, 0), 0x0003_0000_2000_0000);
        assert_eq!(ItEntry::encode(0, 8199, 1), 0x0000_0000_2007_0001);
        assert_eq!(ItEntry::decode(0x0001_0001_0000_0000).pintid, 0x1_0000);
        assert_eq!(ItEntry::decode(0x0010_0000_2000_0000).next, 16);
    }

    /// The table registers of golden/vgic_its.txt.
    #[test]
    fn bases() {
        assert_eq!(baser_addr(0x9907_0000_4001_0200), 0x4001_0000);
        assert_eq!(baser_addr(0x9907_0000_4001_f200), 0xf_0000_4001_0000);
        assert_eq!(baser_size(0x9907_0000_4001_0203), 4 * SZ_64K);
        assert_eq!(baser_size(0x9c07_0000_4002_0200), SZ_64K);
    }
}
