// SPDX-License-Identifier: GPL-2.0

//! `kvm-arm-vgic-v3` (`KVM_DEV_TYPE_ARM_VGIC_V3`): the device file of a VM's GICv3.
//!
//! C: `kvm_arm_vgic_v3_ops`, `vgic_v3_set_attr()`, `vgic_v3_get_attr()`, `vgic_v3_has_attr()`,
//! `vgic_v3_parse_attr()`, `vgic_v3_attr_regs_access()` in
//! [`arch/arm64/kvm/vgic/vgic-kvm-device.c`](srctree/arch/arm64/kvm/vgic/vgic-kvm-device.c);
//! [`Documentation/virt/kvm/devices/arm-vgic-v3.rst`](srctree/Documentation/virt/kvm/devices/arm-vgic-v3.rst).
//!
//! The device holds no state: the GIC is the VM's ([`super::Dist`]), so that, as in C, it
//! stays after the file is closed. Like C's, the type has no `release`: the device stays on
//! the VM's list until the VM is destroyed.
//!
//! The register groups (`DIST_REGS`, `REDIST_REGS`, `CPU_SYSREGS`, `LEVEL_INFO`) decode the
//! vCPU and check the initialisation rules as C does. Behind them, parts of the
//! distributor ([`dist`]) and the redistributor ([`redist`]) are modelled yet; any other
//! register answers `ENXIO`.

use kernel::{
    nospec,
    prelude::*,
    uapi, //
};

use super::{
    dist,
    irq,
    lpi,
    redist,
    regions,
    sysregs, //
};
use crate::{
    attr::DeviceAttr,
    ops::DeviceType,
    vm::{
        Vm,
        VmInner, //
    },
};

/// `KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO` (C: `vgic_v3_line_level_info_uaccess()`): reads or
/// writes the line levels of the 32 interrupts from the attribute's interrupt id, which
/// must be a multiple of 32. Returns the value read.
///
/// # Errors
///
/// `EINVAL` for an information type other than `VGIC_LEVEL_INFO_LINE_LEVEL` or an
/// interrupt id that is not a multiple of 32.
fn line_level_access(
    dist: &mut super::Dist,
    state: &mut redist::RedistState,
    a: u64,
    write: bool,
    val: u32,
) -> Result<Option<u32>> {
    let info = (a & u64::from(uapi::KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK))
        >> uapi::KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT;
    if info != u64::from(uapi::VGIC_LEVEL_INFO_LINE_LEVEL) {
        return Err(EINVAL);
    }
    // CAST: masked to 10 bits.
    let intid = (a & u64::from(uapi::KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK)) as u32;
    if intid % 32 != 0 {
        return Err(EINVAL);
    }
    // Interrupts the VGIC does not have are skipped (C: `intid + i >= nr_irqs`).
    let irqs: &mut [irq::VgicIrq] = match intid {
        0 => &mut state.private_irqs,
        _ => {
            let first = (intid - super::VGIC_NR_PRIVATE_IRQS) as usize;
            let len = dist.spis.len();
            if first < len {
                let first = nospec::array_index_nospec(first, len);
                dist.spis
                    .get_mut(first..len.min(first + 32))
                    .unwrap_or(&mut [])
            } else {
                &mut []
            }
        }
    };
    if write {
        irq::write_line_level(irqs, intid, val);
        Ok(None)
    } else {
        Ok(Some(irq::read_line_level(irqs, intid)))
    }
}

/// A GICv3 device: a handle on its VM's VGIC.
#[pin_data]
pub(crate) struct VgicV3 {}

/// The `KVM_DEV_ARM_VGIC_GRP_*` groups, as `u32` for matching.
mod grp {
    use kernel::uapi;
    pub(super) const ADDR: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_ADDR;
    pub(super) const DIST_REGS: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
    pub(super) const NR_IRQS: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_NR_IRQS;
    pub(super) const CTRL: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_CTRL;
    pub(super) const REDIST_REGS: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
    pub(super) const CPU_SYSREGS: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
    pub(super) const LEVEL_INFO: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO;
    pub(super) const MAINT_IRQ: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ;
}

use dist::{
    GICD_IIDR,
    GICD_TYPER2, //
};

/// Converts the packed Aff3.Aff2.Aff1.Aff0 of an attribute into an MPIDR (C:
/// `VGIC_TO_MPIDR()`): Aff3 moves to bits 39:32.
fn vgic_to_mpidr(val: u64) -> u64 {
    (val & 0x00ff_ffff) | ((val >> 24) & 0xff) << 32
}

/// `vgic_v3_parse_attr()`: the index of the vCPU a register attribute addresses, and the
/// register offset. `DIST_REGS` always address vCPU 0; the other groups give an MPIDR in
/// bits 63:32, matched against each vCPU's (C: `kvm_mpidr_to_vcpu()`).
///
/// # Errors
///
/// `EINVAL` if no vCPU matches.
fn parse_attr(vm: &VmInner, attr: &DeviceAttr) -> Result<(usize, u64)> {
    let offset = attr.attr() & 0xffff_ffff;
    if attr.group() == grp::DIST_REGS {
        return if vm.vcpus.is_empty() {
            Err(EINVAL)
        } else {
            Ok((0, offset))
        };
    }
    // C: `MPIDR_HWID_BITMASK`.
    let mpidr = vgic_to_mpidr(attr.attr() >> 32) & 0xff_00ff_ffff;
    vm.vcpus
        .iter()
        .position(|v| v.mpidr() & 0xff_00ff_ffff == mpidr)
        .map(|i| (i, offset))
        .ok_or(EINVAL)
}

/// `reg_allowed_pre_init()`: the ID registers a VMM may access before `CTRL_INIT`.
fn reg_allowed_pre_init(attr: &DeviceAttr) -> bool {
    attr.group() == grp::DIST_REGS && matches!(attr.attr() & 0xffff_ffff, GICD_IIDR | GICD_TYPER2)
}

impl VgicV3 {
    /// `vgic_v3_attr_regs_access()`: decodes the vCPU, checks the initialisation rules and
    /// accesses the register; the value is copied from and to user space without the lock.
    fn regs_access(vm: &Vm, attr: &DeviceAttr, write: bool) -> Result {
        let (index, offset) = parse_attr(&vm.lock(), attr)?;
        if attr.group() == grp::CPU_SYSREGS {
            return Self::sysregs_access(vm, attr, index, write);
        }
        // C reads the value to write before taking the locks (sysregs read their own).
        let val = if write { attr.read_u32()? } else { 0 };
        let read = {
            let mut inner = vm.lock();
            if !(inner.vgic.initialized || reg_allowed_pre_init(attr)) {
                return Err(EBUSY);
            }
            // C: `vgic_uaccess()`: an offset without a register reads 0 and ignores writes.
            let table: &'static [regions::Region] = match attr.group() {
                grp::DIST_REGS => &regions::DIST,
                _ => &regions::REDIST,
            };
            let nr_irqs = inner.vgic.nr_spis + super::VGIC_NR_PRIVATE_IRQS;
            let mapped = regions::find(table, offset, nr_irqs).is_some();
            match attr.group() {
                grp::DIST_REGS | grp::REDIST_REGS if !mapped => (!write).then_some(0),
                grp::REDIST_REGS => {
                    let VmInner { vgic, vcpus, .. } = &mut *inner;
                    let vcpu = vcpus.get(index).ok_or(EINVAL)?;
                    let mut arm = vcpu.arm_lock();
                    if write && lpi::is_redist_reg(offset) {
                        lpi::redist_write(vm, vgic, index, &mut arm.redist, offset, val);
                        return Ok(());
                    }
                    let rv = redist::RedistVcpu {
                        id: vcpu.id,
                        mpidr: arm.mpidr,
                        rd: arm.rd,
                    };
                    if write {
                        redist::write(vgic, &mut arm.redist, offset, val)?;
                        None
                    } else {
                        Some(redist::read(vgic, &rv, &arm.redist, offset)?)
                    }
                }
                grp::DIST_REGS if write => {
                    dist::write(&mut inner.vgic, offset, val)?;
                    None
                }
                grp::DIST_REGS => Some(dist::read(&mut inner.vgic, offset)?),
                grp::LEVEL_INFO => {
                    let VmInner { vgic, vcpus, .. } = &mut *inner;
                    let vcpu = vcpus.get(index).ok_or(EINVAL)?;
                    let mut arm = vcpu.arm_lock();
                    line_level_access(vgic, &mut arm.redist, attr.attr(), write, val)?
                }
                _ => return Err(ENXIO),
            }
        };
        match read {
            Some(v) => attr.put_u32(v),
            None => Ok(()),
        }
    }

    /// `KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS` get and set of vCPU `index` (C: the rest of
    /// `vgic_v3_attr_regs_access()`, `vgic_v3_cpu_sysregs_uaccess()`,
    /// `kvm_sys_reg_get_user()`, `kvm_sys_reg_set_user()`).
    ///
    /// # Errors
    ///
    /// `EBUSY` before initialisation, `ENOENT` for a register the CPU interface does not
    /// offer, `EFAULT`, and the errors of [`sysregs::CpuIf::set`] and [`sysregs::CpuIf::get`].
    fn sysregs_access(vm: &Vm, attr: &DeviceAttr, index: usize, write: bool) -> Result {
        let val = {
            let inner = vm.lock();
            if !inner.vgic.initialized {
                return Err(EBUSY);
            }
            let r = sysregs::lookup(attr.attr()).ok_or(ENOENT)?;
            let vcpu = inner.vcpus.get(index).ok_or(EINVAL)?;
            let mut arm = vcpu.arm_lock();
            if write {
                // C reads the value under its (sleeping) locks, after the lookup; so do we.
                let val = attr.read_u64()?;
                return arm.cpuif.set(r, val);
            }
            arm.cpuif.get(r)?
        };
        attr.put_u64(val)
    }

    /// `KVM_DEV_ARM_VGIC_GRP_CTRL` set (C: `vgic_set_common_attr()`).
    fn set_ctrl(vm: &Vm, attr: &DeviceAttr) -> Result {
        let mut inner = vm.lock();
        match attr.attr() {
            a if a == u64::from(uapi::KVM_DEV_ARM_VGIC_CTRL_INIT) => super::init(&mut inner),
            a if a == u64::from(uapi::KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES) => {
                let VmInner { vgic, vcpus, .. } = &*inner;
                lpi::save_pending_tables(vm, vgic, vcpus)
            }
            _ => Err(ENXIO),
        }
    }
}

#[vtable]
impl DeviceType for VgicV3 {
    const NAME: &'static CStr = c"kvm-arm-vgic-v3";

    /// C: `vgic_create()`: `kvm_vgic_create()` on the VM.
    fn create(vm: &mut VmInner, ty: u32) -> impl PinInit<Self, Error> {
        let created = super::create(vm, ty);
        try_pin_init!(Self {} ? Error).pin_chain(move |_| created)
    }

    /// C: `vgic_destroy()` frees only the device; the VGIC goes with the VM.
    fn destroy(&self) {}

    /// C: `vgic_v3_set_attr()`.
    fn set_attr(&self, vm: &Vm, attr: &DeviceAttr) -> Result {
        match attr.group() {
            grp::DIST_REGS | grp::REDIST_REGS | grp::CPU_SYSREGS | grp::LEVEL_INFO => {
                Self::regs_access(vm, attr, true)
            }
            grp::MAINT_IRQ => super::set_maint_irq(&mut vm.lock(), attr),
            grp::ADDR => super::vgic_addr(&mut vm.lock(), vm.ipa_bits, attr, true),
            grp::NR_IRQS => super::set_nr_irqs(&mut vm.lock(), attr),
            grp::CTRL => Self::set_ctrl(vm, attr),
            _ => Err(ENXIO),
        }
    }

    /// C: `vgic_v3_get_attr()`.
    fn get_attr(&self, vm: &Vm, attr: &DeviceAttr) -> Result {
        match attr.group() {
            grp::DIST_REGS | grp::REDIST_REGS | grp::CPU_SYSREGS | grp::LEVEL_INFO => {
                Self::regs_access(vm, attr, false)
            }
            grp::MAINT_IRQ => {
                let val = vm.lock().vgic.mi_intid;
                attr.put_u32(val)
            }
            grp::ADDR => super::vgic_addr(&mut vm.lock(), vm.ipa_bits, attr, false),
            grp::NR_IRQS => {
                let val = vm.lock().vgic.nr_spis + super::VGIC_NR_PRIVATE_IRQS;
                attr.put_u32(val)
            }
            _ => Err(ENXIO),
        }
    }

    /// C: `vgic_v3_has_attr()`.
    fn has_attr(&self, vm: &Vm, attr: &DeviceAttr) -> Result {
        let a = attr.attr();
        match attr.group() {
            grp::ADDR
                if a == u64::from(uapi::KVM_VGIC_V3_ADDR_TYPE_DIST)
                    || a == u64::from(uapi::KVM_VGIC_V3_ADDR_TYPE_REDIST)
                    || a == u64::from(uapi::KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION) =>
            {
                Ok(())
            }
            grp::DIST_REGS | grp::REDIST_REGS => {
                // C: `vgic_v3_has_attr_regs()`: aligned 32-bit accesses to a register.
                let inner = vm.lock();
                let (_, offset) = parse_attr(&inner, attr)?;
                let table: &'static [regions::Region] = match attr.group() {
                    grp::DIST_REGS => &regions::DIST,
                    _ => &regions::REDIST,
                };
                let nr_irqs = inner.vgic.nr_spis + super::VGIC_NR_PRIVATE_IRQS;
                regions::find(table, offset, nr_irqs)
                    .map(|_| ())
                    .ok_or(ENXIO)
            }
            grp::CPU_SYSREGS => {
                // C: `vgic_v3_has_cpu_sysregs_attr()`.
                parse_attr(&vm.lock(), attr)?;
                sysregs::lookup(a).map(|_| ()).ok_or(ENXIO)
            }
            grp::NR_IRQS | grp::MAINT_IRQ => Ok(()),
            grp::LEVEL_INFO
                if (a & u64::from(uapi::KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK))
                    >> uapi::KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT
                    == u64::from(uapi::VGIC_LEVEL_INFO_LINE_LEVEL) =>
            {
                Ok(())
            }
            grp::CTRL
                if a == u64::from(uapi::KVM_DEV_ARM_VGIC_CTRL_INIT)
                    || a == u64::from(uapi::KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES) =>
            {
                Ok(())
            }
            _ => Err(ENXIO),
        }
    }
}
