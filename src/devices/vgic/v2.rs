// SPDX-License-Identifier: GPL-2.0

//! `kvm-arm-vgic-v2` (`KVM_DEV_TYPE_ARM_VGIC_V2`): the device file of a VM's GICv2, offered
//! by a GICv2 host's node.
//!
//! C: `kvm_arm_vgic_v2_ops`, `vgic_v2_set_attr()`, `vgic_v2_get_attr()`, `vgic_v2_has_attr()`,
//! `vgic_v2_parse_attr()`, `vgic_v2_attr_regs_access()` in
//! [`arch/arm64/kvm/vgic/vgic-kvm-device.c`](srctree/arch/arm64/kvm/vgic/vgic-kvm-device.c);
//! `vgic_v2_has_attr_regs()` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v2.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v2.c);
//! [`Documentation/virt/kvm/devices/arm-vgic.rst`](srctree/Documentation/virt/kvm/devices/arm-vgic.rst).
//!
//! Like [`super::v3`], the device holds no state: the GIC is the VM's ([`super::Dist`]), which
//! `KVM_CREATE_IRQCHIP` and `KVM_ARM_SET_DEVICE_ADDR` reach too. The register groups
//! (`DIST_REGS`, `CPU_REGS`) name a vCPU by id in bits 39:32 of the attribute (C:
//! `KVM_DEV_ARM_VGIC_CPUID_MASK`), and unlike a GICv3's initialise the VGIC on first access;
//! behind them are the distributor ([`dist_v2`]) and the CPU interface
//! ([`super::cpuif_v2`]).

use kernel::{
    prelude::*,
    uapi, //
};

use super::{
    dist_v2,
    regions::find,
    regions_v2::{
        GICC,
        GICD, //
    },
};
use crate::{
    attr::DeviceAttr,
    ops::DeviceType,
    vm::{
        Vm,
        VmInner, //
    },
};

/// The `KVM_DEV_ARM_VGIC_GRP_*` groups of a GICv2, as `u32` for matching.
mod grp {
    use kernel::uapi;
    pub(super) const ADDR: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_ADDR;
    pub(super) const DIST_REGS: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
    pub(super) const CPU_REGS: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_CPU_REGS;
    pub(super) const NR_IRQS: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_NR_IRQS;
    pub(super) const CTRL: u32 = uapi::KVM_DEV_ARM_VGIC_GRP_CTRL;
}

/// The vCPU id field of a register attribute (C: `KVM_DEV_ARM_VGIC_CPUID_MASK`, bits 39:32).
fn cpuid(attr: u64) -> u32 {
    // CAST: 8 bits.
    ((attr >> 32) & 0xff) as u32
}

/// `vgic_v2_parse_attr()`: the index of the vCPU whose id the attribute names (C:
/// `kvm_get_vcpu_by_id()`), and the register offset (bits 31:0).
///
/// # Errors
///
/// `EINVAL` if no vCPU has that id.
fn parse_attr(vm: &VmInner, attr: &DeviceAttr) -> Result<(usize, u64)> {
    let id = cpuid(attr.attr());
    let index = vm.vcpus.iter().position(|v| v.id == id).ok_or(EINVAL)?;
    Ok((index, attr.attr() & 0xffff_ffff))
}

/// A GICv2 device: a handle on its VM's VGIC.
#[pin_data]
pub(crate) struct VgicV2 {}

impl VgicV2 {
    /// `vgic_v2_attr_regs_access()`: decodes the vCPU, initialises the VGIC (C: `vgic_init()`)
    /// and accesses the register; the value is copied from and to user space without the lock.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a vCPU id that no vCPU has, `EFAULT`, the errors of [`super::init`] and of
    /// [`dist_v2::write`].
    fn regs_access(vm: &Vm, attr: &DeviceAttr, write: bool) -> Result {
        let (index, offset) = parse_attr(&vm.lock(), attr)?;
        let val = if write { attr.read_u32()? } else { 0 };
        let read = {
            let mut inner = vm.lock();
            super::init(&mut inner)?;
            match (attr.group(), write) {
                (grp::DIST_REGS, true) => {
                    dist_v2::write(&mut inner, index, offset, val)?;
                    None
                }
                (grp::DIST_REGS, false) => Some(dist_v2::read(&mut inner, index, offset)?),
                (_, write) => {
                    let vcpu = inner.vcpus.get(index).ok_or(EINVAL)?;
                    let mut arm = vcpu.arm_lock();
                    if write {
                        arm.gicc.write(offset, val);
                        None
                    } else {
                        Some(arm.gicc.read(offset))
                    }
                }
            }
        };
        match read {
            Some(v) => attr.put_u32(v),
            None => Ok(()),
        }
    }

    /// `KVM_DEV_ARM_VGIC_GRP_CTRL` set (C: `vgic_set_common_attr()`): `CTRL_INIT` only; a
    /// GICv2 has no pending tables to save.
    fn set_ctrl(vm: &Vm, attr: &DeviceAttr) -> Result {
        if attr.attr() == u64::from(uapi::KVM_DEV_ARM_VGIC_CTRL_INIT) {
            super::init(&mut vm.lock())
        } else {
            Err(ENXIO)
        }
    }
}

#[vtable]
impl DeviceType for VgicV2 {
    const NAME: &'static CStr = c"kvm-arm-vgic-v2";

    /// C: `vgic_create()`: `kvm_vgic_create()` on the VM.
    fn create(vm: &mut VmInner, ty: u32) -> impl PinInit<Self, Error> {
        let created = super::create(vm, ty);
        try_pin_init!(Self {} ? Error).pin_chain(move |_| created)
    }

    /// C: `vgic_destroy()` frees only the device; the VGIC goes with the VM.
    fn destroy(&self) {}

    /// C: `vgic_v2_set_attr()`, then `vgic_set_common_attr()`.
    fn set_attr(&self, vm: &Vm, attr: &DeviceAttr) -> Result {
        match attr.group() {
            grp::DIST_REGS | grp::CPU_REGS => Self::regs_access(vm, attr, true),
            grp::ADDR => super::vgic_addr(&mut vm.lock(), vm.ipa_bits, attr, true),
            grp::NR_IRQS => super::set_nr_irqs(&mut vm.lock(), attr),
            grp::CTRL => Self::set_ctrl(vm, attr),
            _ => Err(ENXIO),
        }
    }

    /// C: `vgic_v2_get_attr()`, then `vgic_get_common_attr()`.
    fn get_attr(&self, vm: &Vm, attr: &DeviceAttr) -> Result {
        match attr.group() {
            grp::DIST_REGS | grp::CPU_REGS => Self::regs_access(vm, attr, false),
            grp::ADDR => super::vgic_addr(&mut vm.lock(), vm.ipa_bits, attr, false),
            grp::NR_IRQS => {
                let val = vm.lock().vgic.nr_spis + super::VGIC_NR_PRIVATE_IRQS;
                attr.put_u32(val)
            }
            _ => Err(ENXIO),
        }
    }

    /// C: `vgic_v2_has_attr()`.
    fn has_attr(&self, vm: &Vm, attr: &DeviceAttr) -> Result {
        let a = attr.attr();
        match attr.group() {
            grp::ADDR
                if a == u64::from(uapi::KVM_VGIC_V2_ADDR_TYPE_DIST)
                    || a == u64::from(uapi::KVM_VGIC_V2_ADDR_TYPE_CPU) =>
            {
                Ok(())
            }
            grp::DIST_REGS | grp::CPU_REGS => {
                // C: `vgic_v2_has_attr_regs()`: aligned 32-bit accesses to a register.
                let inner = vm.lock();
                let (_, offset) = parse_attr(&inner, attr)?;
                let table: &'static [_] = match attr.group() {
                    grp::DIST_REGS => &GICD,
                    _ => &GICC,
                };
                let nr_irqs = inner.vgic.nr_spis + super::VGIC_NR_PRIVATE_IRQS;
                find(table, offset, nr_irqs).map(|_| ()).ok_or(ENXIO)
            }
            grp::NR_IRQS => Ok(()),
            grp::CTRL if a == u64::from(uapi::KVM_DEV_ARM_VGIC_CTRL_INIT) => Ok(()),
            _ => Err(ENXIO),
        }
    }
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_v2)]
mod tests {
    use super::*;

    /// golden/vgic_v2.txt, "writes: DIST_REGS": `cpu=256` names vCPU 0, the field having 8
    /// bits.
    #[test]
    fn cpuid_field() {
        assert_eq!(cpuid(0), 0);
        assert_eq!(cpuid(1 << 32 | 0x100), 1);
        assert_eq!(cpuid(0x100 << 32), 0);
        assert_eq!(cpuid(0xff << 32), 0xff);
    }
}
