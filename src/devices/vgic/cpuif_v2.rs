// SPDX-License-Identifier: GPL-2.0

//! The GICv2 CPU interface of one vCPU, as user space accesses it through
//! `KVM_DEV_ARM_VGIC_GRP_CPU_REGS` (32 bits at a time), on a GICv2 host.
//!
//! C: `vgic_mmio_read_vcpuif()`, `vgic_mmio_write_vcpuif()`, `vgic_mmio_read_apr()`,
//! `vgic_mmio_write_apr()` and `vgic_v2_cpu_registers[]` in
//! [`arch/arm64/kvm/vgic/vgic-mmio-v2.c`](srctree/arch/arm64/kvm/vgic/vgic-mmio-v2.c);
//! `vgic_v2_set_vmcr()`, `vgic_v2_get_vmcr()`, `vgic_v2_reset()` in
//! [`arch/arm64/kvm/vgic/vgic-v2.c`](srctree/arch/arm64/kvm/vgic/vgic-v2.c).
//!
//! The state is what a GICv2 host's hypervisor interface keeps for the vCPU: `GICH_VMCR`
//! (the enables, binary points and priority mask, in its own layout) and `GICH_APR`. User
//! space reads `GICC_PMR` as `GICH_VMCR.VMPriMask`, the top five bits of the priority mask in
//! the low bits; `GICC_APR1-3` do not exist on a GICv2 host (RAZ/WI); `GICC_IIDR` says KVM,
//! architecture version 2; `GICC_IAR`, `GICC_EOIR` and the others without a region read 0 and
//! ignore writes, as `GICC_DIR` does from user space. Each vCPU has one [`GiccState`].

use super::{
    dist::{
        IMPLEMENTER_ARM,
        PRODUCT_ID_KVM, //
    },
    irq,
    regions::find,
    regions_v2::{
        GICC,
        GICC_ABPR,
        GICC_APR,
        GICC_BPR,
        GICC_CTLR,
        GICC_IIDR,
        GICC_PMR, //
    },
};
use crate::vm::VmInner;

/// `GICC_CTLR.EnableGrp0`, `EnableGrp1`, `AckCtl`, `FIQEn`, `CBPR` (bits 4:0), each the bit of
/// the same name in `GICH_VMCR` (C: `GIC_CPU_CTRL_*`, `GICH_VMCR_*`).
const CTLR_LOW_BITS: u32 = 0x1f;
/// `GICC_CTLR.EOImodeNS`, bit 9 of both (C: `GIC_CPU_CTRL_EOImodeNS`,
/// `GICH_VMCR_EOI_MODE_MASK`).
const CTLR_EOIMODE: u32 = 1 << 9;
/// `GICH_VMCR.VMPriMask` (C: `GICH_VMCR_PRIMASK_SHIFT`, 5 bits).
const VMCR_PRIMASK_SHIFT: u32 = 27;
/// `GICH_VMCR.VMBP` (C: `GICH_VMCR_BINPOINT_SHIFT`, 3 bits).
const VMCR_BINPOINT_SHIFT: u32 = 21;
/// `GICH_VMCR.VMABP` (C: `GICH_VMCR_ALIAS_BINPOINT_SHIFT`, 3 bits).
const VMCR_ALIAS_BINPOINT_SHIFT: u32 = 18;
/// The architecture version in `GICC_IIDR` (C: `GICC_ARCH_VERSION_V2`).
const GICC_ARCH_VERSION_V2: u32 = 2;

/// The GICv2 CPU interface state of one vCPU (C: `struct vgic_v2_cpu_if`, the fields user
/// space reaches).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct GiccState {
    /// `GICH_VMCR` (C: `vgic_vmcr`).
    vmcr: u32,
    /// `GICH_APR` (C: `vgic_apr`).
    apr: u32,
}

/// A field of `vmcr`: `width` bits at `shift`.
fn field(vmcr: u32, shift: u32, width: u32) -> u32 {
    (vmcr >> shift) & ((1 << width) - 1)
}

impl GiccState {
    /// `vgic_v2_reset()`: a zero `GICH_VMCR`, from which the binary points take their reset
    /// values; `GICH_APR` is not reset.
    pub(crate) fn reset(&mut self) {
        self.vmcr = 0;
    }

    /// Reads the 32-bit register at `offset` (C: `vgic_uaccess_read()` on
    /// `vgic_v2_cpu_registers[]`).
    pub(crate) fn read(&self, offset: u64) -> u32 {
        let Some(r) = find(&GICC, offset, 0) else {
            return 0;
        };
        let vmcr = self.vmcr;
        match r.offset {
            // C: `vgic_v2_get_vmcr()`, then the fields in `GICC_CTLR`'s layout, which is
            // `GICH_VMCR`'s for these bits.
            GICC_CTLR => vmcr & (CTLR_LOW_BITS | CTLR_EOIMODE),
            GICC_PMR => field(vmcr, VMCR_PRIMASK_SHIFT, 5),
            GICC_BPR => field(vmcr, VMCR_BINPOINT_SHIFT, 3),
            GICC_ABPR => field(vmcr, VMCR_ALIAS_BINPOINT_SHIFT, 3),
            // A GICv2 host has one active priority register.
            GICC_APR if offset == u64::from(GICC_APR) => self.apr,
            GICC_IIDR => PRODUCT_ID_KVM << 20 | GICC_ARCH_VERSION_V2 << 16 | IMPLEMENTER_ARM,
            // `GICC_APR1-3`; `GICC_DIR` (C: `vgic_mmio_read_raz()`).
            _ => 0,
        }
    }

    /// Writes the 32-bit register at `offset` (C: `vgic_uaccess_write()` on
    /// `vgic_v2_cpu_registers[]`, then `vgic_v2_set_vmcr()`, which keeps each field's
    /// width).
    pub(crate) fn write(&mut self, offset: u64, val: u32) {
        let Some(r) = find(&GICC, offset, 0) else {
            return;
        };
        let set = |vmcr: u32, shift: u32, width: u32| {
            let mask = ((1u32 << width) - 1) << shift;
            (vmcr & !mask) | (val << shift & mask)
        };
        self.vmcr = match r.offset {
            GICC_CTLR => {
                let mask = CTLR_LOW_BITS | CTLR_EOIMODE;
                (self.vmcr & !mask) | (val & mask)
            }
            // C: `(val << GICV_PMR_PRIORITY_SHIFT) & GICV_PMR_PRIORITY_MASK`, then back to
            // 5 bits in `GICH_VMCR`.
            GICC_PMR => set(self.vmcr, VMCR_PRIMASK_SHIFT, 5),
            GICC_BPR => set(self.vmcr, VMCR_BINPOINT_SHIFT, 3),
            GICC_ABPR => set(self.vmcr, VMCR_ALIAS_BINPOINT_SHIFT, 3),
            GICC_APR => {
                if offset == u64::from(GICC_APR) {
                    self.apr = val;
                }
                return;
            }
            // `GICC_IIDR` rewrites the same `GICH_VMCR`; `GICC_DIR` is WI from user space
            // (C: `vgic_mmio_uaccess_write_wi()`).
            _ => return,
        };
    }
}

/// The part of `vgic_init()` that is a GICv2's: each vCPU's CPU interface is reset (C:
/// `kvm_vgic_vcpu_reset()`, `vgic_v2_reset()`), and its private interrupts take a GICv2's
/// initial state.
///
/// C gives the private interrupts that state when they are allocated, at
/// `kvm_vgic_create()` or `kvm_vgic_vcpu_init()`; every user access to a GICv2's registers
/// initialises the VGIC first, so user space cannot tell the two apart.
pub(crate) fn init_vcpus(vm: &mut VmInner) {
    for vcpu in vm.vcpus.iter() {
        let mut arm = vcpu.arm_lock();
        arm.gicc.reset();
        arm.redist.private_irqs = irq::private_irqs_v2(vcpu.id);
    }
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_cpuif_v2)]
mod tests {
    use super::*;

    /// golden/vgic_v2.txt, "writes: CPU_REGS".
    #[test]
    fn writes() {
        let mut c = GiccState::default();
        assert_eq!(c.read(0xfc), 0x04b2_043b);
        c.write(0x00, 0xffff_ffff);
        assert_eq!(c.read(0x00), 0x21f);
        c.write(0x04, 0xff);
        assert_eq!(c.read(0x04), 0x1f);
        c.write(0x04, 0xa0);
        assert_eq!(c.read(0x04), 0);
        c.write(0x08, 0xff);
        assert_eq!(c.read(0x08), 7);
        c.write(0x1c, 3);
        assert_eq!(c.read(0x1c), 3);
        assert_eq!(c.read(0x08), 7);
        c.write(0xd0, 0x8000_0001);
        c.write(0xd4, 1);
        assert_eq!(c.read(0xd0), 0x8000_0001);
        assert_eq!(c.read(0xd4), 0);
        c.write(0xfc, 0);
        c.write(0x1000, 0x20);
        c.write(0x0c, 0x20);
        assert_eq!(c.read(0x1000), 0);
        assert_eq!(c.read(0x0c), 0);
        assert_eq!(c.read(0x02), 0);
        assert_eq!(c.read(0x00), 0x21f);
        c.reset();
        assert_eq!(c.read(0x00), 0);
        assert_eq!(c.read(0xd0), 0x8000_0001);
    }
}
