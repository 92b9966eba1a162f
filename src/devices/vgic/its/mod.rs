// SPDX-License-Identifier: GPL-2.0

//! `kvm-arm-vgic-its` (`KVM_DEV_TYPE_ARM_VGIC_ITS`): an Interrupt Translation Service of a
//! VM's GICv3 (C: `struct vgic_its`). A VM may have several, each its own device.
//!
//! C: `vgic_its_create()`, `vgic_its_set_attr()`, `vgic_its_get_attr()`,
//! `vgic_its_has_attr()`, `vgic_its_ctrl()`, `vgic_its_attr_regs_access()`,
//! `vgic_its_reset()` and the device, collection and translation entry lists of
//! [`arch/arm64/kvm/vgic/vgic-its.c`](srctree/arch/arm64/kvm/vgic/vgic-its.c);
//! [`Documentation/virt/kvm/devices/arm-vgic-its.rst`](srctree/Documentation/virt/kvm/devices/arm-vgic-its.rst).
//!
//! An ITS translates a (device id, event id) pair into an LPI of a collection, which names a
//! vCPU. Its state is its registers ([`regs`]), the command queue in guest memory that maps
//! devices, collections and events ([`cmd`]), and the tables in guest memory it saves that
//! state to and restores it from ([`tables`]). The LPIs themselves are the VM's
//! ([`super::lpi`]): an entry only names the LPI it maps.
//!
//! As in C, the lists are searched linearly, in list order, and the device and entry lists
//! are sorted when saved (`list_sort()`): the order decides which of two devices with one id
//! (a restore into an ITS that has devices) a command finds. Everything user space makes an
//! ITS allocate is bounded as in C, by the table sizes and id widths that guest memory backs,
//! and charged to its memory cgroup.
//!
//! Lock order: the VM lock (C: `kvm->lock` and `kvm->arch.config_lock`), then the ITS's lock
//! (C: `its->cmd_lock` and `its->its_lock`), then a vCPU's lock, then the memslots' lock.

use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    uapi, //
};

use super::{
    check_iorange,
    lpi,
    Dist,
    SZ_64K,
    VGIC_ADDR_UNDEF, //
};
use crate::{
    attr::DeviceAttr,
    ops::DeviceType,
    vcpu::Vcpu,
    vm::{
        Vm,
        VmInner, //
    },
};

pub(crate) mod cmd;
pub(crate) mod regs;
pub(crate) mod tables;

/// The size of an ITS frame (C: `KVM_VGIC_V3_ITS_SIZE`): control and translation pages.
const ITS_SIZE: u64 = uapi::KVM_VGIC_V3_ITS_SIZE as u64;
/// The most devices a VM's MMIO bus holds (C: `NR_IOBUS_DEVS`).
const NR_IOBUS_DEVS: usize = 1000;
/// A collection that names no vCPU (C: `COLLECTION_NOT_MAPPED`).
pub(crate) const COLLECTION_NOT_MAPPED: u32 = u32::MAX;

/// The `KVM_DEV_ARM_VGIC_GRP_*` groups of an ITS, as `u32` for matching.
mod grp {
    use kernel::uapi;
    pub(super) const ADDR: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_ADDR;
    pub(super) const CTRL: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_CTRL;
    pub(super) const ITS_REGS: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_ITS_REGS;
}

/// The `KVM_DEV_ARM_VGIC_GRP_CTRL` attributes of an ITS, as `u64` for matching.
mod ctrl {
    use kernel::uapi;
    pub(super) const INIT: u64 = uapi::KVM_DEV_ARM_VGIC_CTRL_INIT as u64;
    pub(super) const SAVE_TABLES: u64 = uapi::KVM_DEV_ARM_ITS_SAVE_TABLES as u64;
    pub(super) const RESTORE_TABLES: u64 = uapi::KVM_DEV_ARM_ITS_RESTORE_TABLES as u64;
    pub(super) const RESET: u64 = uapi::KVM_DEV_ARM_ITS_CTRL_RESET as u64;
}

/// A collection (C: `struct its_collection`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Collection {
    /// The collection id, 16 bits (C: `collection_id`).
    pub(crate) id: u32,
    /// The vCPU id it targets, or [`COLLECTION_NOT_MAPPED`] (C: `target_addr`).
    pub(crate) target_addr: u32,
}

impl Collection {
    /// `its_is_collection_mapped()` of an existing collection.
    pub(crate) fn mapped(&self) -> bool {
        self.target_addr != COLLECTION_NOT_MAPPED
    }
}

/// An interrupt translation entry (C: `struct its_ite`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ite {
    /// The event id (C: `event_id`).
    pub(crate) event_id: u32,
    /// The id of its collection; `None` once `MAPC` unmapped the collection (C: a `NULL`
    /// `collection`).
    pub(crate) collection: Option<u32>,
    /// The LPI it maps (C: `irq->intid`).
    pub(crate) intid: u32,
}

/// A device (C: `struct its_device`).
pub(crate) struct ItsDevice {
    /// The device id (C: `device_id`).
    pub(crate) id: u32,
    /// The guest address of its interrupt translation table (C: `itt_addr`).
    pub(crate) itt_addr: u64,
    /// The event id bits, 1 to 16 (C: `num_eventid_bits`).
    pub(crate) num_eventid_bits: u32,
    /// Its entries, in list order (C: `itt_head`).
    pub(crate) ites: KVVec<Ite>,
    /// The position in the device list before a sort: ties in `list_sort()` come out newest
    /// first.
    pos: usize,
}

/// The state of one ITS (C: `struct vgic_its`), under its lock.
pub(crate) struct Its {
    /// The frame's guest address, or [`VGIC_ADDR_UNDEF`] (C: `vgic_its_base`).
    pub(crate) base: u64,
    /// `GITS_CTLR.Enabled` (C: `enabled`).
    pub(crate) enabled: bool,
    /// The table ABI revision, 0 (C: `abi_rev`).
    pub(crate) abi_rev: u32,
    /// `GITS_BASER0`, the device table (C: `baser_device_table`).
    pub(crate) baser_device_table: u64,
    /// `GITS_BASER1`, the collection table (C: `baser_coll_table`).
    pub(crate) baser_coll_table: u64,
    /// `GITS_CBASER`, the command queue (C: `cbaser`).
    pub(crate) cbaser: u64,
    /// `GITS_CREADR` (C: `creadr`).
    pub(crate) creadr: u64,
    /// `GITS_CWRITER` (C: `cwriter`).
    pub(crate) cwriter: u64,
    /// The mapped devices, in list order (C: `device_list`).
    pub(crate) devices: KVVec<ItsDevice>,
    /// The collections, in list order (C: `collection_list`).
    pub(crate) collections: KVVec<Collection>,
}

/// What the ITS reaches beyond itself, under the VM lock: guest memory, the LPIs, the vCPUs.
pub(crate) struct Ctx<'a> {
    /// The VM, for its guest memory.
    pub(crate) vm: &'a Vm,
    /// The VM's VGIC, with its LPIs.
    pub(crate) dist: &'a mut Dist,
    /// The VM's vCPUs.
    pub(crate) vcpus: &'a [Arc<Vcpu>],
}

impl Ctx<'_> {
    /// `collection_to_vcpu()`: the vCPU a collection names.
    pub(crate) fn collection_vcpu(&self, c: &Collection) -> Option<usize> {
        lpi::vcpu_by_id(self.vcpus, c.target_addr)
    }
}

impl Its {
    /// A new ITS as `vgic_its_create()` leaves it: no address, disabled, both tables invalid
    /// with 64K pages, ABI revision 0.
    fn new() -> Self {
        let mut its = Self {
            base: VGIC_ADDR_UNDEF,
            enabled: false,
            abi_rev: 0,
            baser_device_table: regs::INITIAL_BASER | regs::BASER_TYPE_DEVICE << 56,
            baser_coll_table: regs::INITIAL_BASER | regs::BASER_TYPE_COLLECTION << 56,
            cbaser: 0,
            creadr: 0,
            cwriter: 0,
            devices: KVVec::new(),
            collections: KVVec::new(),
        };
        // C: `vgic_its_set_abi(its, NR_ITS_ABIS - 1)`.
        regs::set_abi(&mut its, 0);
        its
    }

    /// `find_its_device()`: the index of the first device with id `id`.
    pub(crate) fn find_device(&self, id: u32) -> Option<usize> {
        self.devices.iter().position(|d| d.id == id)
    }

    /// `find_ite()`: the entry of event `event_id` of device `device_id`, as (device index,
    /// entry index).
    pub(crate) fn find_ite(&self, device_id: u32, event_id: u32) -> Option<(usize, usize)> {
        let d = self.find_device(device_id)?;
        let i = self.devices[d]
            .ites
            .iter()
            .position(|i| i.event_id == event_id)?;
        Some((d, i))
    }

    /// `find_collection()`.
    pub(crate) fn find_collection(&self, id: u32) -> Option<&Collection> {
        self.collections.iter().find(|c| c.id == id)
    }

    /// The collection of an entry, if it has one and it exists.
    pub(crate) fn ite_collection(&self, ite: &Ite) -> Option<&Collection> {
        ite.collection.and_then(|id| self.find_collection(id))
    }

    /// `vgic_its_alloc_collection()`: appends collection `id`, not mapped.
    ///
    /// # Errors
    ///
    /// `ENOMEM`.
    pub(crate) fn alloc_collection(&mut self, id: u32) -> Result<&mut Collection> {
        self.collections.push(
            Collection {
                id,
                target_addr: COLLECTION_NOT_MAPPED,
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        let last = self.collections.len() - 1;
        Ok(&mut self.collections[last])
    }

    /// `vgic_its_free_collection()`: removes collection `id`; the entries in it have no
    /// collection any more.
    pub(crate) fn free_collection(&mut self, id: u32) {
        let Some(i) = self.collections.iter().position(|c| c.id == id) else {
            return;
        };
        for d in self.devices.iter_mut() {
            for ite in d.ites.iter_mut() {
                if ite.collection == Some(id) {
                    ite.collection = None;
                }
            }
        }
        drop(self.collections.remove(i));
    }

    /// `vgic_its_free_collection_list()`.
    pub(crate) fn free_collection_list(&mut self) {
        for d in self.devices.iter_mut() {
            for ite in d.ites.iter_mut() {
                ite.collection = None;
            }
        }
        self.collections.clear();
    }

    /// `vgic_its_alloc_device()`: appends a device; returns its index.
    ///
    /// # Errors
    ///
    /// `ENOMEM`.
    pub(crate) fn alloc_device(
        &mut self,
        id: u32,
        itt_addr: u64,
        num_eventid_bits: u32,
    ) -> Result<usize> {
        self.devices.push(
            ItsDevice {
                id,
                itt_addr,
                num_eventid_bits,
                ites: KVVec::new(),
                pos: 0,
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        Ok(self.devices.len() - 1)
    }

    /// `its_free_ite()`: removes entry `i` of device `d`, which unmaps its LPI.
    pub(crate) fn free_ite(&mut self, dist: &mut Dist, d: usize, i: usize) {
        if let Some(dev) = self.devices.get_mut(d) {
            if let Ok(ite) = dev.ites.remove(i) {
                lpi::unmap(dist, ite.intid);
            }
        }
    }

    /// `vgic_its_free_device()`: removes device `d` and its entries.
    pub(crate) fn free_device(&mut self, dist: &mut Dist, d: usize) {
        if let Ok(dev) = self.devices.remove(d) {
            for ite in dev.ites.iter() {
                lpi::unmap(dist, ite.intid);
            }
        }
    }

    /// `vgic_its_free_device_list()`.
    pub(crate) fn free_device_list(&mut self, dist: &mut Dist) {
        for dev in self.devices.iter() {
            for ite in dev.ites.iter() {
                lpi::unmap(dist, ite.intid);
            }
        }
        self.devices.clear();
    }

    /// Sorts the device list by id as `list_sort()` with `vgic_its_device_cmp()` does: that
    /// comparison never answers "equal", so devices with one id come out in the reverse of
    /// their list order.
    pub(crate) fn sort_devices(&mut self) {
        for (i, d) in self.devices.iter_mut().enumerate() {
            d.pos = i;
        }
        self.devices
            .sort_unstable_by(|a, b| a.id.cmp(&b.id).then(b.pos.cmp(&a.pos)));
    }

    /// `vgic_its_reset()`: disabled, both tables invalid (their other fields kept), the
    /// command queue cleared, every device and collection gone; the ABI is kept.
    fn reset(&mut self, dist: &mut Dist) {
        self.baser_coll_table &= !regs::BASER_VALID;
        self.baser_device_table &= !regs::BASER_VALID;
        self.cbaser = 0;
        self.creadr = 0;
        self.cwriter = 0;
        self.enabled = false;
        self.free_device_list(dist);
        self.free_collection_list();
    }
}

/// An ITS device: its state under its own lock.
#[pin_data]
pub(crate) struct VgicIts {
    #[pin]
    its: Mutex<Its>,
}

impl VgicIts {
    /// `KVM_DEV_ARM_VGIC_GRP_ADDR` set (C: `vgic_its_set_attr()` and
    /// `vgic_register_its_iodev()`).
    fn set_addr(&self, vm: &Vm, attr: &DeviceAttr) -> Result {
        if attr.attr() != u64::from(uapi::KVM_VGIC_ITS_ADDR_TYPE) {
            return Err(ENODEV);
        }
        let addr = attr.read_u64()?;
        let mut inner = vm.lock();
        let mut its = self.its.lock();
        check_iorange(vm.ipa_bits, its.base, addr, SZ_64K, ITS_SIZE)?;
        // C sets the base before it registers the frame on the MMIO bus, which may be full:
        // the redistributors placed so far and the other ITS frames are on it.
        its.base = addr;
        let redists = inner
            .vcpus
            .iter()
            .filter(|v| v.arm_lock().rd.is_some())
            .count();
        if redists + inner.vgic.lpis.its_frames > NR_IOBUS_DEVS - 1 {
            return Err(ENOSPC);
        }
        inner.vgic.lpis.its_frames += 1;
        Ok(())
    }

    /// `KVM_DEV_ARM_VGIC_GRP_CTRL` set (C: `vgic_its_ctrl()`).
    fn ctrl(&self, vm: &Vm, a: u64) -> Result {
        if a == ctrl::INIT {
            return Ok(());
        }
        let mut inner = vm.lock();
        let VmInner { vgic, vcpus, .. } = &mut *inner;
        let mut its = self.its.lock();
        let mut cx = Ctx {
            vm,
            dist: vgic,
            vcpus,
        };
        match a {
            ctrl::RESET => {
                its.reset(cx.dist);
                Ok(())
            }
            ctrl::SAVE_TABLES => tables::save(&mut its, &mut cx),
            ctrl::RESTORE_TABLES => tables::restore(&mut its, &mut cx),
            _ => Err(ENXIO),
        }
    }

    /// `vgic_its_attr_regs_access()`: writes `val`, or reads, the register at `offset`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an offset not aligned to its register's width; `ENXIO` before the
    /// address is set, or for an offset without a register; the errors of [`regs::write`].
    fn regs_access(&self, vm: &Vm, offset: u64, val: Option<u64>) -> Result<u64> {
        regs::check_alignment(offset)?;
        let mut inner = vm.lock();
        let VmInner { vgic, vcpus, .. } = &mut *inner;
        let mut its = self.its.lock();
        if its.base == VGIC_ADDR_UNDEF {
            return Err(ENXIO);
        }
        let reg = regs::find(offset).ok_or(ENXIO)?;
        match val {
            Some(v) => {
                let mut cx = Ctx {
                    vm,
                    dist: vgic,
                    vcpus,
                };
                regs::write(&mut its, &mut cx, reg, offset, v).map(|()| 0)
            }
            None => Ok(regs::read(&its, reg, offset)),
        }
    }
}

/// What creating an ITS sets in the VM (C: the end of `vgic_its_create()`): the VM has an
/// ITS, MSIs need a device id, and `GICR_PROPBASER` takes its reset value.
fn its_created(vm: &mut VmInner) {
    vm.vgic.lpis.msis_require_devid = true;
    vm.vgic.lpis.has_its = true;
    vm.vgic.propbaser = lpi::INITIAL_PROPBASER;
}

#[vtable]
impl DeviceType for VgicIts {
    const NAME: &'static CStr = c"kvm-arm-vgic-its";

    /// C: `vgic_its_create()`. It does not need a GIC: an ITS may be created before the
    /// GICv3 (golden/vgic_v3.txt, "create: an ITS before the GIC"), and the VM changes only
    /// once the ITS is allocated.
    fn create(vm: &mut VmInner, _ty: u32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            its <- new_mutex!(Its::new(), "VgicIts::its"),
        }? Error)
        .pin_chain(move |_| {
            its_created(vm);
            Ok(())
        })
    }

    /// C: `vgic_its_destroy()` frees the lists; they go with the device here, and the LPIs
    /// they mapped with the VM, which is being destroyed.
    fn destroy(&self) {}

    /// C: `vgic_its_set_attr()`.
    fn set_attr(&self, vm: &Vm, attr: &DeviceAttr) -> Result {
        match attr.group() {
            grp::ADDR => self.set_addr(vm, attr),
            grp::CTRL => self.ctrl(vm, attr.attr()),
            grp::ITS_REGS => {
                let val = attr.read_u64()?;
                self.regs_access(vm, attr.attr(), Some(val)).map(|_| ())
            }
            _ => Err(ENXIO),
        }
    }

    /// C: `vgic_its_get_attr()`.
    fn get_attr(&self, vm: &Vm, attr: &DeviceAttr) -> Result {
        match attr.group() {
            grp::ADDR => {
                if attr.attr() != u64::from(uapi::KVM_VGIC_ITS_ADDR_TYPE) {
                    return Err(ENODEV);
                }
                let base = self.its.lock().base;
                // C: `copy_to_user()`, not `put_user()`: a partial write is possible.
                attr.copy_u64(base)
            }
            grp::ITS_REGS => {
                let val = self.regs_access(vm, attr.attr(), None)?;
                // C: `put_user()` of a u64, whatever the register's width.
                attr.put_u64(val)
            }
            _ => Err(ENXIO),
        }
    }

    /// C: `vgic_its_has_attr()`.
    fn has_attr(&self, _vm: &Vm, attr: &DeviceAttr) -> Result {
        let a = attr.attr();
        match attr.group() {
            grp::ADDR if a == u64::from(uapi::KVM_VGIC_ITS_ADDR_TYPE) => Ok(()),
            grp::CTRL
                if matches!(
                    a,
                    ctrl::INIT | ctrl::RESET | ctrl::SAVE_TABLES | ctrl::RESTORE_TABLES
                ) =>
            {
                Ok(())
            }
            grp::ITS_REGS => regs::has(a),
            _ => Err(ENXIO),
        }
    }
}
