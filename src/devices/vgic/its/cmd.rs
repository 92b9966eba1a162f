// SPDX-License-Identifier: GPL-2.0

//! The command queue of an ITS: 32-byte commands in guest memory from `GITS_CBASER`, run
//! from `GITS_CREADR` up to `GITS_CWRITER` while the ITS is enabled.
//!
//! C: `vgic_its_process_commands()`, `vgic_its_handle_command()`, `its_cmd_mask_field()` and
//! the `its_cmd_get_*()` field accessors, `vgic_its_cmd_handle_*()`, `vgic_its_trigger_msi()`,
//! `vgic_its_resolve_lpi()`, `vgic_its_check_event_id()` in
//! [`arch/arm64/kvm/vgic/vgic-its.c`](srctree/arch/arm64/kvm/vgic/vgic-its.c).
//!
//! A command that fails does so silently: C returns an ITS error code (`E_ITS_*`, the codes
//! of the GICv3 architecture) or an errno that nobody reads, and `GITS_CREADR` moves on, as
//! it does past a command it cannot read from guest memory.

use kernel::prelude::*;

use super::{
    regs::{
        cmd_buffer_size,
        ABI_0_ESZ,
        VITS_TYPER_IDBITS, //
    },
    tables::check_id,
    Collection,
    Ctx,
    Ite,
    Its, //
};
use crate::devices::vgic::lpi;

/// The size of a command (C: `ITS_CMD_SIZE`).
const ITS_CMD_SIZE: u64 = 32;
/// The address bits of `GITS_CBASER` (C: `GITS_CBASER_ADDRESS()`, bits 51:12).
const CBASER_ADDRESS: u64 = 0x000f_ffff_ffff_f000;

/// The command numbers (C: `GITS_CMD_*`).
mod op {
    pub(super) const MOVI: u64 = 0x01;
    pub(super) const INT: u64 = 0x03;
    pub(super) const CLEAR: u64 = 0x04;
    pub(super) const SYNC: u64 = 0x05;
    pub(super) const MAPD: u64 = 0x08;
    pub(super) const MAPC: u64 = 0x09;
    pub(super) const MAPTI: u64 = 0x0a;
    pub(super) const MAPI: u64 = 0x0b;
    pub(super) const INV: u64 = 0x0c;
    pub(super) const INVALL: u64 = 0x0d;
    pub(super) const MOVALL: u64 = 0x0e;
    pub(super) const DISCARD: u64 = 0x0f;
}

/// The ITS error codes a command can end with (C: `E_ITS_*`).
pub(crate) mod code {
    pub(crate) const MOVI_UNMAPPED_INTERRUPT: u32 = 0x010107;
    pub(crate) const MOVI_UNMAPPED_COLLECTION: u32 = 0x010109;
    pub(crate) const INT_UNMAPPED_INTERRUPT: u32 = 0x010307;
    pub(crate) const CLEAR_UNMAPPED_INTERRUPT: u32 = 0x010507;
    pub(crate) const MAPD_DEVICE_OOR: u32 = 0x010801;
    pub(crate) const MAPD_ITTSIZE_OOR: u32 = 0x010802;
    pub(crate) const MAPC_PROCNUM_OOR: u32 = 0x010902;
    pub(crate) const MAPC_COLLECTION_OOR: u32 = 0x010903;
    pub(crate) const MAPTI_UNMAPPED_DEVICE: u32 = 0x010a04;
    pub(crate) const MAPTI_ID_OOR: u32 = 0x010a05;
    pub(crate) const MAPTI_PHYSICALID_OOR: u32 = 0x010a06;
    pub(crate) const INV_UNMAPPED_INTERRUPT: u32 = 0x010c07;
    pub(crate) const INVALL_UNMAPPED_COLLECTION: u32 = 0x010d09;
    pub(crate) const MOVALL_PROCNUM_OOR: u32 = 0x010e01;
    pub(crate) const DISCARD_UNMAPPED_INTERRUPT: u32 = 0x010f07;
}

/// How a command failed: an ITS error code, or an errno (C: a positive or a negative return).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmdError {
    /// An `E_ITS_*` code.
    Its(u32),
    /// An errno (`ENOMEM`, `EFAULT`, `EEXIST`, `EBUSY`, `ENODEV` for an unknown command).
    Errno(Error),
}

impl From<Error> for CmdError {
    fn from(e: Error) -> Self {
        CmdError::Errno(e)
    }
}

/// What a command handler returns.
type CmdResult = core::result::Result<(), CmdError>;

/// One command: four little-endian 64-bit words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cmd(pub(crate) [u64; 4]);

impl Cmd {
    /// Decodes the 32 bytes of a command as read from guest memory.
    pub(crate) fn from_bytes(b: &[u8; 32]) -> Self {
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        Cmd([word(0), word(1), word(2), word(3)])
    }

    /// `its_cmd_mask_field()`: `size` bits from bit `shift` of word `word`.
    fn field(&self, word: usize, shift: u32, size: u32) -> u64 {
        (self.0[word] >> shift) & ((1u64 << size) - 1)
    }

    /// The command number (C: `its_cmd_get_command()`).
    pub(crate) fn command(&self) -> u64 {
        self.field(0, 0, 8)
    }

    /// `its_cmd_get_deviceid()`.
    pub(crate) fn device_id(&self) -> u32 {
        // CAST: 32 bits.
        self.field(0, 32, 32) as u32
    }

    /// `its_cmd_get_size()`: event id bits of a `MAPD`, 1 to 32.
    pub(crate) fn size(&self) -> u32 {
        // CAST: 5 bits.
        self.field(1, 0, 5) as u32 + 1
    }

    /// `its_cmd_get_id()`: the event id.
    pub(crate) fn event_id(&self) -> u32 {
        // CAST: 32 bits.
        self.field(1, 0, 32) as u32
    }

    /// `its_cmd_get_physical_id()`: the LPI of a `MAPTI`.
    pub(crate) fn physical_id(&self) -> u32 {
        // CAST: 32 bits.
        self.field(1, 32, 32) as u32
    }

    /// `its_cmd_get_collection()`: 16 bits.
    pub(crate) fn collection(&self) -> u32 {
        // CAST: 16 bits.
        self.field(2, 0, 16) as u32
    }

    /// `its_cmd_get_ittaddr()`: bits 51:8.
    pub(crate) fn itt_addr(&self) -> u64 {
        self.field(2, 8, 44) << 8
    }

    /// `its_cmd_get_target_addr()`: a vCPU id, since `GITS_TYPER.PTA` is 0.
    pub(crate) fn target_addr(&self) -> u32 {
        // CAST: 32 bits.
        self.field(2, 16, 32) as u32
    }

    /// The second vCPU id of a `MOVALL`.
    pub(crate) fn target_addr2(&self) -> u32 {
        // CAST: 32 bits.
        self.field(3, 16, 32) as u32
    }

    /// `its_cmd_get_validbit()`.
    pub(crate) fn valid(&self) -> bool {
        self.field(2, 63, 1) != 0
    }
}

/// `vgic_its_process_commands()`: runs the queued commands, if the ITS is enabled, until
/// `GITS_CREADR` reaches `GITS_CWRITER`; a command that cannot be read is skipped.
pub(crate) fn process(its: &mut Its, cx: &mut Ctx<'_>) {
    if !its.enabled {
        return;
    }
    let base = its.cbaser & CBASER_ADDRESS;
    let size = cmd_buffer_size(its.cbaser);
    // Both offsets are multiples of 32 below `size`, so at most a full turn runs; the bound
    // only keeps a broken invariant from spinning.
    for _ in 0..size / ITS_CMD_SIZE {
        if its.creadr == its.cwriter {
            break;
        }
        let mut buf = [0u8; 32];
        if cx
            .vm
            .read_guest(base.wrapping_add(its.creadr), &mut buf)
            .is_ok()
        {
            let _ = handle(its, cx, &Cmd::from_bytes(&buf));
        }
        its.creadr += ITS_CMD_SIZE;
        if its.creadr == size {
            its.creadr = 0;
        }
    }
}

/// `vgic_its_handle_command()`.
///
/// # Errors
///
/// The handler's error; `ENODEV` for a command KVM does not know.
pub(crate) fn handle(its: &mut Its, cx: &mut Ctx<'_>, cmd: &Cmd) -> CmdResult {
    match cmd.command() {
        op::MAPD => mapd(its, cx, cmd),
        op::MAPC => mapc(its, cx, cmd),
        op::MAPI | op::MAPTI => mapi(its, cx, cmd),
        op::MOVI => movi(its, cx, cmd),
        op::DISCARD => discard(its, cx, cmd),
        op::CLEAR => {
            let (d, i) = its
                .find_ite(cmd.device_id(), cmd.event_id())
                .ok_or(CmdError::Its(code::CLEAR_UNMAPPED_INTERRUPT))?;
            lpi::clear_pending(cx.dist, its.devices[d].ites[i].intid);
            Ok(())
        }
        op::MOVALL => movall(cx, cmd),
        op::INT => trigger_msi(its, cx, cmd.device_id(), cmd.event_id()),
        op::INV => {
            let (d, i) = its
                .find_ite(cmd.device_id(), cmd.event_id())
                .ok_or(CmdError::Its(code::INV_UNMAPPED_INTERRUPT))?;
            Ok(lpi::inv(cx.vm, cx.dist, its.devices[d].ites[i].intid)?)
        }
        op::INVALL => {
            // C: `vgic_its_cmd_handle_invall()`.
            let vcpu = its
                .find_collection(cmd.collection())
                .filter(|c| c.mapped())
                .ok_or(CmdError::Its(code::INVALL_UNMAPPED_COLLECTION))
                .map(|c| cx.collection_vcpu(c))?;
            if let Some(v) = vcpu {
                lpi::inv_all(cx.vm, cx.dist, v);
            }
            Ok(())
        }
        // We are in sync all of the time.
        op::SYNC => Ok(()),
        _ => Err(CmdError::Errno(ENODEV)),
    }
}

/// `its_is_collection_mapped()` of an entry's collection.
fn ite_collection_mapped(its: &Its, ite: &Ite) -> Option<Collection> {
    its.ite_collection(ite).filter(|c| c.mapped()).copied()
}

/// `vgic_its_check_event_id()`: event `event_id` fits device `d`'s translation table, and
/// guest memory backs its entry.
pub(crate) fn check_event_id(its: &Its, cx: &Ctx<'_>, d: usize, event_id: u32) -> bool {
    let Some(dev) = its.devices.get(d) else {
        return false;
    };
    if u64::from(event_id) >= 1u64 << dev.num_eventid_bits {
        return false;
    }
    let gpa = dev.itt_addr.wrapping_add(u64::from(event_id) * ABI_0_ESZ);
    cx.vm.is_visible_gfn(gpa)
}

/// `vgic_its_cmd_handle_mapd()`: maps device `DeviceID` to a translation table of `Size`
/// event id bits at `ITT_addr`, or unmaps it (its table entry is cleared). A device already
/// mapped loses its entries first.
fn mapd(its: &mut Its, cx: &mut Ctx<'_>, cmd: &Cmd) -> CmdResult {
    let id = cmd.device_id();
    let bits = cmd.size();
    let gpa =
        check_id(cx.vm, its.baser_device_table, id).ok_or(CmdError::Its(code::MAPD_DEVICE_OOR))?;
    if cmd.valid() && bits > VITS_TYPER_IDBITS {
        return Err(CmdError::Its(code::MAPD_ITTSIZE_OOR));
    }
    if let Some(d) = its.find_device(id) {
        its.free_device(cx.dist, d);
    }
    if !cmd.valid() {
        // Unmapping a device that is not mapped is no error.
        return Ok(cx.vm.write_guest(gpa, &0u64.to_le_bytes())?);
    }
    its.alloc_device(id, cmd.itt_addr(), bits)?;
    Ok(())
}

/// `vgic_its_cmd_handle_mapc()`: maps collection `ICID` to the vCPU `RDbase` names, or
/// unmaps it. A remapped collection takes its LPIs along.
fn mapc(its: &mut Its, cx: &mut Ctx<'_>, cmd: &Cmd) -> CmdResult {
    let id = cmd.collection();
    if !cmd.valid() {
        its.free_collection(id);
        return Ok(());
    }
    let target = cmd.target_addr();
    let vcpu = lpi::vcpu_by_id(cx.vcpus, target).ok_or(CmdError::Its(code::MAPC_PROCNUM_OOR))?;
    // The collection names the vCPU by its id (C: `vcpu->vcpu_id`), which is `target`.
    if its.find_collection(id).is_none() {
        if check_id(cx.vm, its.baser_coll_table, id).is_none() {
            return Err(CmdError::Its(code::MAPC_COLLECTION_OOR));
        }
        its.alloc_collection(id)?.target_addr = target;
        return Ok(());
    }
    if let Some(c) = its.collections.iter_mut().find(|c| c.id == id) {
        c.target_addr = target;
    }
    // C: `update_affinity_collection()`.
    for dev in its.devices.iter() {
        for ite in dev.ites.iter().filter(|i| i.collection == Some(id)) {
            lpi::update_affinity(cx.dist, ite.intid, None, Some(vcpu));
        }
    }
    Ok(())
}

/// `vgic_its_cmd_handle_mapi()`: `MAPTI` maps event `EventID` of device `DeviceID` to LPI
/// `pINTID` in collection `ICID` (`MAPI`: to the LPI of the event's own number), creating the
/// collection, unmapped, if it does not exist. An event already mapped stays as it is.
fn mapi(its: &mut Its, cx: &mut Ctx<'_>, cmd: &Cmd) -> CmdResult {
    let device_id = cmd.device_id();
    let event_id = cmd.event_id();
    let coll_id = cmd.collection();
    let d = its
        .find_device(device_id)
        .ok_or(CmdError::Its(code::MAPTI_UNMAPPED_DEVICE))?;
    if !check_event_id(its, cx, d, event_id) {
        return Err(CmdError::Its(code::MAPTI_ID_OOR));
    }
    let intid = if cmd.command() == op::MAPTI {
        cmd.physical_id()
    } else {
        event_id
    };
    // C: `max_lpis_propbaser()`: `GICR_PROPBASER.IDbits`, at most 16 bits.
    let id_bits = ((cx.dist.propbaser & 0x1f) + 1).min(u64::from(lpi::INTERRUPT_ID_BITS_ITS));
    if intid < lpi::VGIC_MIN_LPI || u64::from(intid) >= 1u64 << id_bits {
        return Err(CmdError::Its(code::MAPTI_PHYSICALID_OOR));
    }
    // An existing mapping is UNPREDICTABLE: KVM keeps it.
    if its.find_ite(device_id, event_id).is_some() {
        return Ok(());
    }
    let new_coll = its.find_collection(coll_id).is_none();
    if new_coll {
        if check_id(cx.vm, its.baser_coll_table, coll_id).is_none() {
            return Err(CmdError::Its(code::MAPC_COLLECTION_OOR));
        }
        its.alloc_collection(coll_id)?;
    }
    // C allocates the entry before the LPI.
    if let Err(e) = its.devices[d].ites.reserve(1, GFP_KERNEL_ACCOUNT) {
        if new_coll {
            its.free_collection(coll_id);
        }
        return Err(CmdError::Errno(e.into()));
    }
    let vcpu = its
        .find_collection(coll_id)
        .filter(|c| c.mapped())
        .and_then(|c| cx.collection_vcpu(c));
    let r = match lpi::add(cx.vm, cx.dist, cx.vcpus, intid, vcpu) {
        Ok(()) if lpi::map(cx.dist, intid, vcpu) => Ok(()),
        Ok(()) => Err(EEXIST),
        Err(e) => Err(e),
    };
    if let Err(e) = r {
        if new_coll {
            its.free_collection(coll_id);
        }
        return Err(CmdError::Errno(e));
    }
    let ite = Ite {
        event_id,
        collection: Some(coll_id),
        intid,
    };
    if its.devices[d].ites.push_within_capacity(ite).is_err() {
        // Not reached: the room was reserved above.
        lpi::unmap(cx.dist, intid);
        return Err(CmdError::Errno(ENOMEM));
    }
    Ok(())
}

/// `vgic_its_cmd_handle_movi()`: moves an event to collection `ICID`, and its LPI to that
/// collection's vCPU.
fn movi(its: &mut Its, cx: &mut Ctx<'_>, cmd: &Cmd) -> CmdResult {
    let (d, i) = its
        .find_ite(cmd.device_id(), cmd.event_id())
        .ok_or(CmdError::Its(code::MOVI_UNMAPPED_INTERRUPT))?;
    let ite = its.devices[d].ites[i];
    ite_collection_mapped(its, &ite).ok_or(CmdError::Its(code::MOVI_UNMAPPED_COLLECTION))?;
    let coll = its
        .find_collection(cmd.collection())
        .filter(|c| c.mapped())
        .copied()
        .ok_or(CmdError::Its(code::MOVI_UNMAPPED_COLLECTION))?;
    its.devices[d].ites[i].collection = Some(coll.id);
    let vcpu = cx.collection_vcpu(&coll);
    lpi::update_affinity(cx.dist, ite.intid, None, vcpu);
    Ok(())
}

/// `vgic_its_cmd_handle_discard()`: removes an event whose collection is mapped, and clears
/// its translation table entry.
fn discard(its: &mut Its, cx: &mut Ctx<'_>, cmd: &Cmd) -> CmdResult {
    let Some((d, i)) = its.find_ite(cmd.device_id(), cmd.event_id()) else {
        return Err(CmdError::Its(code::DISCARD_UNMAPPED_INTERRUPT));
    };
    let ite = its.devices[d].ites[i];
    if ite_collection_mapped(its, &ite).is_none() {
        return Err(CmdError::Its(code::DISCARD_UNMAPPED_INTERRUPT));
    }
    let gpa = its.devices[d]
        .itt_addr
        .wrapping_add(u64::from(ite.event_id) * ABI_0_ESZ);
    its.free_ite(cx.dist, d, i);
    Ok(cx.vm.write_guest(gpa, &0u64.to_le_bytes())?)
}

/// `vgic_its_cmd_handle_movall()`: every LPI of the VM that targets the first vCPU now targets
/// the second.
fn movall(cx: &mut Ctx<'_>, cmd: &Cmd) -> CmdResult {
    let from = lpi::vcpu_by_id(cx.vcpus, cmd.target_addr());
    let to = lpi::vcpu_by_id(cx.vcpus, cmd.target_addr2());
    let (Some(from), Some(to)) = (from, to) else {
        return Err(CmdError::Its(code::MOVALL_PROCNUM_OOR));
    };
    if from != to {
        lpi::move_all(cx.dist, from, to);
    }
    Ok(())
}

/// `vgic_its_trigger_msi()` and `vgic_its_resolve_lpi()`: the event's LPI becomes pending, if
/// the ITS is enabled, the event is mapped to a mapped collection and its vCPU has enabled
/// LPIs.
fn trigger_msi(its: &Its, cx: &mut Ctx<'_>, device_id: u32, event_id: u32) -> CmdResult {
    if !its.enabled {
        return Err(CmdError::Errno(EBUSY));
    }
    let unmapped = CmdError::Its(code::INT_UNMAPPED_INTERRUPT);
    let (d, i) = its.find_ite(device_id, event_id).ok_or(unmapped)?;
    let ite = its.devices[d].ites[i];
    let coll = ite_collection_mapped(its, &ite).ok_or(unmapped)?;
    let vcpu = cx.collection_vcpu(&coll).ok_or(unmapped)?;
    if !lpi::lpis_enabled(cx.vcpus, vcpu) {
        return Err(CmdError::Errno(EBUSY));
    }
    lpi::set_pending(cx.dist, ite.intid);
    Ok(())
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_its_cmd)]
mod tests {
    use super::*;

    /// The commands of golden/vgic_its.txt's "commands" section, as vgic_its.c encodes them.
    #[test]
    fn decoding() {
        let mut b = [0u8; 32];
        let words: [u64; 4] = [0x08 | 5 << 32, 2 - 1, 1 << 63 | 0x4003_0100, 0];
        for (i, w) in words.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        let mapd = Cmd::from_bytes(&b);
        assert_eq!(mapd.command(), op::MAPD);
        assert_eq!(mapd.device_id(), 5);
        assert_eq!(mapd.size(), 2);
        assert_eq!(mapd.itt_addr(), 0x4003_0100);
        assert!(mapd.valid());

        let mapti = Cmd([0x0a | 5 << 32, 1 | 8199 << 32, 1, 0]);
        assert_eq!(mapti.command(), op::MAPTI);
        assert_eq!(mapti.event_id(), 1);
        assert_eq!(mapti.physical_id(), 8199);
        assert_eq!(mapti.collection(), 1);

        let mapc = Cmd([0x09, 0, 1 << 63 | 1 << 16 | 0x1_0001, 0]);
        assert_eq!(mapc.collection(), 1);
        assert_eq!(mapc.target_addr(), 1);
        assert!(mapc.valid());

        let movall = Cmd([0x0e, 0, 3 << 16, 0xffff_ffff << 16]);
        assert_eq!(movall.target_addr(), 3);
        assert_eq!(movall.target_addr2(), u32::MAX);
        assert_eq!(Cmd([0x1f, 0, 0, 0]).command(), 0x1f);
        assert_eq!(Cmd([0, 0x1f, 0, 0]).size(), 32);
    }
}
