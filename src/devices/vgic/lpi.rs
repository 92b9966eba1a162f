// SPDX-License-Identifier: GPL-2.0

//! The LPIs of a VM's GICv3 (C: the LPI `struct vgic_irq`s of `dist->lpi_xa`), one set per
//! VM, and what reaches them outside an ITS: the redistributor's `GICR_CTLR.EnableLPIs`,
//! `GICR_INVLPIR` and `GICR_INVALLR`, the pending tables in guest memory, and
//! `KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES`.
//!
//! C: `vgic_add_lpi()`, `update_lpi_config()`, `update_affinity()`,
//! `its_sync_lpi_pending_table()`, `vgic_its_invall()`, `vgic_enable_lpis()` in
//! [`arch/arm64/kvm/vgic/vgic-its.c`](srctree/arch/arm64/kvm/vgic/vgic-its.c);
//! `vgic_v3_lpi_sync_pending_status()`, `vgic_v3_save_pending_tables()` in
//! [`arch/arm64/kvm/vgic/vgic-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-v3.c);
//! `vgic_mmio_write_v3r_ctlr()`, `vgic_mmio_write_invlpi()`, `vgic_mmio_write_invall()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v3.c);
//! `vgic_queue_irq_unlock()`, `vgic_target_oracle()`, `vgic_flush_pending_lpis()` in
//! [`arch/arm64/kvm/vgic/vgic.c`](srctree/arch/arm64/kvm/vgic/vgic.c).
//!
//! In C an LPI is a reference-counted `struct vgic_irq`: the interrupt translation entry that
//! maps it holds one reference (`irq->mapped`), and so does the ap_list of the vCPU it is
//! queued on (`irq->vcpu`), where a pending and enabled LPI goes when the distributor is
//! enabled, and where it stays until that vCPU runs or disables its LPIs. No vCPU runs here,
//! so an LPI lives while it is mapped or queued ([`Lpi::mapped`], [`Lpi::queued_on`]); the
//! ITS's translation cache, which only speeds up MSI injection (not offered), is not modelled.
//!
//! vCPUs are named by their index in the VM's list (C: a `struct kvm_vcpu` pointer); vCPUs are
//! never removed once created, so an index stays valid. Guest memory is read and written
//! through [`Vm::read_guest`] and [`Vm::write_guest`] with the VM lock held (C holds
//! `kvm->lock` and `config_lock`); the lock of a vCPU is taken only to read its
//! `GICR_PENDBASER`, never while guest memory is accessed, except where the caller already
//! holds it for its `REDIST_REGS` access.

use kernel::{
    prelude::*,
    rbtree::{
        RBTree,
        RBTreeNodeReservation, //
    },
    sync::Arc,
};

use super::{
    redist::RedistState,
    Dist, //
};
use crate::{
    vcpu::Vcpu,
    vm::Vm, //
};

/// The first LPI (C: `VGIC_MIN_LPI`, `GIC_LPI_OFFSET`).
pub(crate) const VGIC_MIN_LPI: u32 = 8192;
/// The interrupt id bits of a GICv3 with an ITS (C: `INTERRUPT_ID_BITS_ITS`).
pub(crate) const INTERRUPT_ID_BITS_ITS: u32 = 16;
/// `GICR_CTLR.EnableLPIs` (C: `GICR_CTLR_ENABLE_LPIS`).
pub(crate) const GICR_CTLR_ENABLE_LPIS: u32 = 1;
/// `GICR_CTLR`.
const GICR_CTLR: u64 = 0x0000;
/// `GICR_INVLPIR`, 64 bits: the low half.
const GICR_INVLPIR: u64 = 0x00a0;
/// `GICR_INVLPIR`'s high half, which only a GICv4 uses.
const GICR_INVLPIR_HI: u64 = 0x00a4;
/// `GICR_INVALLR`, 64 bits: the low half.
const GICR_INVALLR: u64 = 0x00b0;
/// `GICR_INVALLR`'s high half.
const GICR_INVALLR_HI: u64 = 0x00b4;
/// The address bits of `GICR_PROPBASER` (C: `GICR_PROPBASER_ADDRESS()`, bits 51:12).
const PROPBASER_ADDRESS: u64 = 0x000f_ffff_ffff_f000;
/// The address bits of `GICR_PENDBASER` (C: `GICR_PENDBASER_ADDRESS()`, bits 51:16).
const PENDBASER_ADDRESS: u64 = 0x000f_ffff_ffff_0000;
/// `GICR_PENDBASER.PTZ`: the pending table is zero, nothing to read when LPIs are enabled.
pub(crate) const GICR_PENDBASER_PTZ: u64 = 1 << 62;
/// The enable bit of an LPI's configuration byte (C: `LPI_PROP_ENABLED`).
const LPI_PROP_ENABLED: u8 = 1;
/// The priority bits of an LPI's configuration byte (C: `LPI_PROP_PRIORITY()`).
const LPI_PROP_PRIORITY: u8 = 0xfc;
/// `GICR_PROPBASER` after an ITS is created: inner read-allocate write-back, outer same as
/// inner, inner shareable (C: `INITIAL_PROPBASER_VALUE`).
pub(crate) const INITIAL_PROPBASER: u64 = 3 << 7 | 1 << 10;

/// One LPI (C: `struct vgic_irq` with an `intid` of [`VGIC_MIN_LPI`] or more).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lpi {
    /// The priority from the configuration table (C: `priority`).
    pub(crate) priority: u8,
    /// Enabled in the configuration table (C: `enabled`).
    pub(crate) enabled: bool,
    /// Pending (C: `pending_latch`; LPIs are edge-triggered).
    pub(crate) pending_latch: bool,
    /// The vCPU it targets (C: `target_vcpu`).
    pub(crate) target: Option<usize>,
    /// Whether an interrupt translation entry maps it (C: `mapped`).
    pub(crate) mapped: bool,
    /// The vCPU whose ap_list holds it (C: `vcpu`).
    pub(crate) queued_on: Option<usize>,
}

impl Lpi {
    /// A new LPI for `target`, as `vgic_add_lpi()` allocates it: disabled, priority 0, not
    /// pending (group 1, edge-triggered).
    const fn new(target: Option<usize>) -> Self {
        Self {
            priority: 0,
            enabled: false,
            pending_latch: false,
            target,
            mapped: false,
            queued_on: None,
        }
    }

    /// Whether something still holds a reference: an entry maps it or an ap_list holds it.
    fn referenced(&self) -> bool {
        self.mapped || self.queued_on.is_some()
    }

    /// `vgic_queue_irq_unlock()` for an LPI: a pending, enabled LPI joins its target's ap_list
    /// unless it is on one already, and if the distributor is enabled
    /// (`vgic_target_oracle()`; LPIs are never active).
    fn queue(&mut self, dist_enabled: bool) {
        if self.queued_on.is_none() && self.enabled && self.pending_latch && dist_enabled {
            self.queued_on = self.target;
        }
    }
}

/// The LPIs of a VM and what its ITSes set in the distributor (C: the `lpi_xa`, `has_its`
/// and `msis_require_devid` of `struct vgic_dist`).
pub(crate) struct Lpis {
    /// Whether an ITS was created (C: `has_its`).
    pub(crate) has_its: bool,
    /// Whether MSIs need a device id (C: `msis_require_devid`): `KVM_CAP_MSI_DEVID`.
    pub(crate) msis_require_devid: bool,
    /// How many ITS frames are on the VM's MMIO bus (C: the ITS iodevs of `KVM_MMIO_BUS`).
    pub(crate) its_frames: usize,
    /// The LPIs, by interrupt id (C: `lpi_xa`).
    irqs: RBTree<u32, Lpi>,
}

impl Lpis {
    /// The state of a VM without an ITS.
    pub(crate) fn new() -> Self {
        Self {
            has_its: false,
            msis_require_devid: false,
            its_frames: 0,
            irqs: RBTree::new(),
        }
    }

    /// Drops LPI `intid` if nothing references it any more (C: `vgic_put_irq()` of a reference
    /// that was not the last but one).
    fn release(&mut self, intid: u32) {
        if self.irqs.get(&intid).is_some_and(|l| !l.referenced()) {
            self.irqs.remove(&intid);
        }
    }

    /// Applies `f` to every LPI in interrupt id order and drops those `f` leaves unreferenced
    /// (C: an `xa_for_each()` walk whose `vgic_put_irq()`s may free LPIs).
    fn for_each_release(&mut self, mut f: impl FnMut(u32, &mut Lpi)) {
        let mut next = Some(0u32);
        while let Some(from) = next {
            let Some(mut cursor) = self.irqs.cursor_lower_bound_mut(&from) else {
                return;
            };
            let (&intid, lpi) = cursor.current_mut();
            f(intid, lpi);
            if !lpi.referenced() {
                drop(cursor.remove_current());
            }
            next = intid.checked_add(1);
        }
    }
}

impl Dist {
    /// `vgic_has_its()`: the VM has an ITS and its VGIC is a GICv3.
    pub(crate) fn has_its(&self) -> bool {
        self.lpis.has_its
            && self.model == Some(kernel::uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V3)
    }
}

/// Reads one byte of guest memory (C: `kvm_read_guest_lock()` of a `u8`).
fn read_byte(vm: &Vm, gpa: u64) -> Result<u8> {
    let mut b = [0u8; 1];
    vm.read_guest(gpa, &mut b)?;
    Ok(b[0])
}

/// The address of vCPU `index`'s pending table (C: `GICR_PENDBASER_ADDRESS(pendbaser)`).
fn pendbase(vcpus: &[Arc<Vcpu>], index: usize) -> u64 {
    vcpus
        .get(index)
        .map_or(0, |v| v.arm_lock().redist.pendbaser & PENDBASER_ADDRESS)
}

/// The byte of the pending table at `pendbase` that holds LPI `intid`, and its bit.
fn pending_bit(pendbase: u64, intid: u32) -> (u64, u8) {
    (
        pendbase.wrapping_add(u64::from(intid / 8)),
        1 << (intid % 8),
    )
}

/// Whether vCPU `index` has enabled its LPIs (C: `vgic_lpis_enabled()`).
pub(crate) fn lpis_enabled(vcpus: &[Arc<Vcpu>], index: usize) -> bool {
    vcpus
        .get(index)
        .is_some_and(|v| v.arm_lock().redist.lpis_enabled)
}

/// The index of the vCPU whose id is `id` (C: `kvm_get_vcpu_by_id()`, which takes an `int`:
/// ids from 2^31 on are negative and match nothing).
pub(crate) fn vcpu_by_id(vcpus: &[Arc<Vcpu>], id: u32) -> Option<usize> {
    if i32::try_from(id).is_err() {
        return None;
    }
    vcpus.iter().position(|v| v.id == id)
}

/// `update_lpi_config()`: reads LPI `intid`'s configuration byte and, unless `filter` names
/// another vCPU than its target, takes its priority and enable bit.
///
/// # Errors
///
/// `EFAULT` if no memslot covers the byte; the LPI is then unchanged.
fn update_config(
    vm: &Vm,
    propbaser: u64,
    dist_enabled: bool,
    intid: u32,
    lpi: &mut Lpi,
    filter: Option<usize>,
) -> Result {
    let gpa = (propbaser & PROPBASER_ADDRESS)
        .wrapping_add(u64::from(intid))
        .wrapping_sub(u64::from(VGIC_MIN_LPI));
    let prop = read_byte(vm, gpa)?;
    if filter.is_none() || filter == lpi.target {
        lpi.priority = prop & LPI_PROP_PRIORITY;
        lpi.enabled = prop & LPI_PROP_ENABLED != 0;
        lpi.queue(dist_enabled);
    }
    Ok(())
}

/// `vgic_v3_lpi_sync_pending_status()`: takes LPI `intid`'s pending bit from its target's
/// pending table, and clears a set bit there (the LPI consumed it).
///
/// # Errors
///
/// `EFAULT` if the byte cannot be read or written back.
fn sync_pending_status(
    vm: &Vm,
    vcpus: &[Arc<Vcpu>],
    dist_enabled: bool,
    intid: u32,
    lpi: &mut Lpi,
) -> Result {
    let Some(target) = lpi.target else {
        return Ok(());
    };
    let (ptr, bit) = pending_bit(pendbase(vcpus, target), intid);
    let val = read_byte(vm, ptr)?;
    let status = val & bit != 0;
    lpi.pending_latch = status;
    lpi.queue(dist_enabled);
    if status {
        vm.write_guest(ptr, &[val & !bit])?;
    }
    Ok(())
}

/// `vgic_add_lpi()`: makes LPI `intid` exist for an entry about to map it. An existing LPI is
/// taken as it is; a new one targets `target` and reads its configuration and pending state
/// from guest memory. The caller then maps it with [`map`].
///
/// # Errors
///
/// `ENOMEM`; `EFAULT` if the configuration or pending table cannot be accessed (a new LPI is
/// then dropped, unless its pending bit queued it).
pub(crate) fn add(
    vm: &Vm,
    dist: &mut Dist,
    vcpus: &[Arc<Vcpu>],
    intid: u32,
    target: Option<usize>,
) -> Result {
    if dist.lpis.irqs.get(&intid).is_some() {
        return Ok(());
    }
    // C allocates the LPI and its slot before reading guest memory.
    let node = RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT)?;
    let mut lpi = Lpi::new(target);
    update_config(vm, dist.propbaser, dist.enabled, intid, &mut lpi, None)?;
    dist.lpis.irqs.insert(node.into_node(intid, lpi));
    let enabled = dist.enabled;
    let Some(lpi) = dist.lpis.irqs.get_mut(&intid) else {
        return Ok(());
    };
    let r = sync_pending_status(vm, vcpus, enabled, intid, lpi);
    if r.is_err() {
        dist.lpis.release(intid);
    }
    r
}

/// `vgic_its_map_lpi()`: an entry maps LPI `intid` for `target`, unless another entry maps
/// it (mapping one LPI from two events is UNPREDICTABLE: the first keeps it). Returns whether
/// it was mapped.
pub(crate) fn map(dist: &mut Dist, intid: u32, target: Option<usize>) -> bool {
    match dist.lpis.irqs.get_mut(&intid) {
        Some(lpi) if !lpi.mapped => {
            lpi.mapped = true;
            lpi.target = target;
            true
        }
        _ => false,
    }
}

/// The entry that mapped LPI `intid` is freed (C: `its_free_ite()`): the LPI goes, unless an
/// ap_list holds it.
pub(crate) fn unmap(dist: &mut Dist, intid: u32) {
    if let Some(lpi) = dist.lpis.irqs.get_mut(&intid) {
        lpi.mapped = false;
    }
    dist.lpis.release(intid);
}

/// `update_affinity()`: LPI `intid` now targets `to`, if it targeted `from` (any vCPU if
/// `from` is `None`).
pub(crate) fn update_affinity(dist: &mut Dist, intid: u32, from: Option<usize>, to: Option<usize>) {
    if let Some(lpi) = dist.lpis.irqs.get_mut(&intid) {
        if from.is_none() || lpi.target == from {
            lpi.target = to;
        }
    }
}

/// The ITS's `MOVALL` (C: `vgic_its_cmd_handle_movall()`): every LPI of the VM that targets
/// `from` now targets `to`.
pub(crate) fn move_all(dist: &mut Dist, from: usize, to: usize) {
    for (_, lpi) in dist.lpis.irqs.iter_mut() {
        if lpi.target == Some(from) {
            lpi.target = Some(to);
        }
    }
}

/// The ITS's `INT` once translated (C: the end of `vgic_its_trigger_msi()`): LPI `intid`
/// becomes pending.
pub(crate) fn set_pending(dist: &mut Dist, intid: u32) {
    let enabled = dist.enabled;
    if let Some(lpi) = dist.lpis.irqs.get_mut(&intid) {
        lpi.pending_latch = true;
        lpi.queue(enabled);
    }
}

/// The ITS's `CLEAR` (C: `vgic_its_cmd_handle_clear()`): LPI `intid` is no longer pending.
pub(crate) fn clear_pending(dist: &mut Dist, intid: u32) {
    if let Some(lpi) = dist.lpis.irqs.get_mut(&intid) {
        lpi.pending_latch = false;
    }
}

/// `vgic_its_inv_lpi()`: LPI `intid` rereads its configuration.
///
/// # Errors
///
/// `EFAULT` if the configuration byte cannot be read.
pub(crate) fn inv(vm: &Vm, dist: &mut Dist, intid: u32) -> Result {
    let (propbaser, enabled) = (dist.propbaser, dist.enabled);
    match dist.lpis.irqs.get_mut(&intid) {
        Some(lpi) => update_config(vm, propbaser, enabled, intid, lpi, None),
        None => Ok(()),
    }
}

/// `vgic_its_invall()`: every LPI that targets vCPU `index` rereads its configuration; a byte
/// that cannot be read leaves its LPI as it was.
pub(crate) fn inv_all(vm: &Vm, dist: &mut Dist, index: usize) {
    let (propbaser, enabled) = (dist.propbaser, dist.enabled);
    for (&intid, lpi) in dist.lpis.irqs.iter_mut() {
        let _ = update_config(vm, propbaser, enabled, intid, lpi, Some(index));
    }
}

/// `its_sync_lpi_pending_table()`: LPIs are being enabled on vCPU `index`; those that target
/// it take their pending bit from its pending table at `pendbase`, and every LPI may be
/// queued. Stops at the first byte that cannot be read.
fn sync_pending_table(vm: &Vm, dist: &mut Dist, index: usize, pendbase: u64) -> Result {
    let enabled = dist.enabled;
    let mut last = None;
    let mut mask = 0u8;
    for (&intid, lpi) in dist.lpis.irqs.iter_mut() {
        let (ptr, bit) = pending_bit(pendbase, intid);
        if last != Some(ptr) {
            mask = read_byte(vm, ptr)?;
            last = Some(ptr);
        }
        if lpi.target == Some(index) {
            lpi.pending_latch = mask & bit != 0;
        }
        lpi.queue(enabled);
    }
    Ok(())
}

/// `vgic_flush_pending_lpis()`: vCPU `index` disables its LPIs; those on its ap_list leave
/// it, no longer pending, and go if no entry maps them.
fn flush_pending(dist: &mut Dist, index: usize) {
    dist.lpis.for_each_release(|_, lpi| {
        if lpi.queued_on == Some(index) {
            lpi.pending_latch = false;
            lpi.queued_on = None;
        }
    });
}

/// Whether a 32-bit user write at `offset` of the redistributor is one [`redist_write`]
/// handles: `GICR_CTLR`, `GICR_INVLPIR` and `GICR_INVALLR`.
pub(crate) fn is_redist_reg(offset: u64) -> bool {
    matches!(
        offset,
        GICR_CTLR | GICR_INVLPIR | GICR_INVLPIR_HI | GICR_INVALLR | GICR_INVALLR_HI
    )
}

/// A 32-bit user write to vCPU `index`'s `GICR_CTLR`, `GICR_INVLPIR` or `GICR_INVALLR`, whose
/// redistributor state is `state` (C: `vgic_mmio_write_v3r_ctlr()`,
/// `vgic_mmio_write_invlpi()`, `vgic_mmio_write_invall()`). Failed guest memory accesses
/// are ignored, as in C.
pub(crate) fn redist_write(
    vm: &Vm,
    dist: &mut Dist,
    index: usize,
    state: &mut RedistState,
    offset: u64,
    val: u32,
) {
    match offset {
        GICR_CTLR => {
            if !dist.has_its() {
                return;
            }
            let enable = val & GICR_CTLR_ENABLE_LPIS != 0;
            if enable == state.lpis_enabled {
                return;
            }
            if enable {
                state.lpis_enabled = true;
                // C: `vgic_enable_lpis()`.
                if state.pendbaser & GICR_PENDBASER_PTZ == 0 {
                    let pendbase = state.pendbaser & PENDBASER_ADDRESS;
                    let _ = sync_pending_table(vm, dist, index, pendbase);
                }
            } else {
                flush_pending(dist, index);
                state.lpis_enabled = false;
            }
        }
        // The upper halves are for vPEs; both registers need LPIs enabled.
        GICR_INVLPIR if state.lpis_enabled && val >= VGIC_MIN_LPI => {
            let _ = inv(vm, dist, val);
        }
        GICR_INVALLR if state.lpis_enabled => inv_all(vm, dist, index),
        _ => {}
    }
}

/// `vgic_v3_save_pending_tables()`: writes the pending state of every LPI into its target's
/// pending table, byte by byte, where it differs from the table.
///
/// # Errors
///
/// `ENXIO` before the VGIC is initialised; `EFAULT` if a byte cannot be read or written (the
/// LPIs before it are saved).
pub(crate) fn save_pending_tables(vm: &Vm, dist: &Dist, vcpus: &[Arc<Vcpu>]) -> Result {
    if !dist.initialized {
        return Err(ENXIO);
    }
    let mut last_ptr = u64::MAX;
    let mut val = 0u8;
    for (&intid, lpi) in dist.lpis.irqs.iter() {
        let Some(target) = lpi.target else {
            continue;
        };
        let (ptr, bit) = pending_bit(pendbase(vcpus, target), intid);
        if ptr != last_ptr {
            val = read_byte(vm, ptr)?;
            last_ptr = ptr;
        }
        if (val & bit != 0) == lpi.pending_latch {
            continue;
        }
        if lpi.pending_latch {
            val |= bit;
        } else {
            val &= !bit;
        }
        vm.write_guest(ptr, &[val])?;
    }
    Ok(())
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_lpi)]
mod tests {
    use super::*;

    fn lpi(mapped: bool, queued_on: Option<usize>) -> Lpi {
        Lpi {
            mapped,
            queued_on,
            ..Lpi::new(Some(1))
        }
    }

    /// An LPI joins an ap_list only when pending, enabled and the distributor enabled, and
    /// once.
    #[test]
    fn queueing() {
        let mut l = Lpi::new(Some(1));
        l.pending_latch = true;
        l.queue(true);
        assert_eq!(l.queued_on, None);
        l.enabled = true;
        l.queue(false);
        assert_eq!(l.queued_on, None);
        l.queue(true);
        assert_eq!(l.queued_on, Some(1));
        l.target = Some(0);
        l.queue(true);
        assert_eq!(l.queued_on, Some(1));
        let mut n = Lpi::new(None);
        n.enabled = true;
        n.pending_latch = true;
        n.queue(true);
        assert_eq!(n.queued_on, None);
    }

    /// An LPI lives while mapped or queued (C: its reference count).
    #[test]
    fn lifetime() {
        let mut s = Lpis::new();
        for (intid, l) in [
            (8192, lpi(true, None)),
            (8193, lpi(false, Some(0))),
            (8194, lpi(false, None)),
            (8195, lpi(true, Some(1))),
        ] {
            assert!(s.irqs.try_create_and_insert(intid, l, GFP_KERNEL).is_ok());
        }
        s.release(8194);
        s.release(8192);
        assert!(s.irqs.get(&8194).is_none());
        assert!(s.irqs.get(&8192).is_some());
        s.for_each_release(|_, l| {
            if l.queued_on.is_some() {
                l.queued_on = None;
            }
        });
        assert!(s.irqs.get(&8193).is_none());
        assert!(s.irqs.get(&8195).is_some());
        assert!(s.irqs.get(&8192).is_some());
        assert_eq!(pending_bit(0x4006_0000, 8195), (0x4006_0400, 8));
        assert_eq!(pending_bit(0x4005_0000, 8192), (0x4005_0400, 1));
    }
}
