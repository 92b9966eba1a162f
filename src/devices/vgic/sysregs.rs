// SPDX-License-Identifier: GPL-2.0

//! The GICv3 CPU interface of one vCPU, as user space accesses its `ICC_*_EL1` system
//! registers through `KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS` (64 bits at a time).
//!
//! C: `gic_v3_icc_reg_descs[]`, `vgic_v3_has_cpu_sysregs_attr()`,
//! `vgic_v3_cpu_sysregs_uaccess()` and the `get_gic_*()`/`set_gic_*()` accessors in
//! [`arch/arm64/kvm/vgic-sys-reg-v3.c`](srctree/arch/arm64/kvm/vgic-sys-reg-v3.c);
//! `vgic_v3_set_vmcr()`, `vgic_v3_get_vmcr()`, `vgic_v3_reset()` in
//! [`arch/arm64/kvm/vgic/vgic-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-v3.c);
//! `vgic_v3_max_apr_idx()` in [`arch/arm64/kvm/vgic/vgic.h`](srctree/arch/arm64/kvm/vgic/vgic.h).
//!
//! The modelled host is QEMU's GICv3 (C: `ICH_VTR_EL2`): 5 priority bits, `IDbits` 1, no
//! `SEIS`, `A3V`. The EL2 registers of the table are hidden without nested virtualisation,
//! so, like registers the table lacks, `has` answers `ENXIO` and get and set `ENOENT`.
//! Each vCPU has one [`CpuIf`].

use kernel::prelude::*;

/// The priority bits of the host (C: `ICH_VTR_EL2.PRIbits + 1`).
const HOST_PRI_BITS: u32 = 5;
/// The interrupt id bits field of the host (C: `ICH_VTR_EL2.IDbits`).
const HOST_ID_BITS: u32 = 1;
/// `ICC_CTLR_EL1.CBPR`.
const CTLR_CBPR: u64 = 1 << 0;
/// `ICC_CTLR_EL1.EOImode`.
const CTLR_EOIMODE: u64 = 1 << 1;
/// `ICC_CTLR_EL1.PRIbits`.
const CTLR_PRI_BITS_SHIFT: u32 = 8;
/// `ICC_CTLR_EL1.IDbits`.
const CTLR_ID_BITS_SHIFT: u32 = 11;
/// `ICC_CTLR_EL1.SEIS`: 0 on the host.
const CTLR_SEIS: u64 = 1 << 14;
/// `ICC_CTLR_EL1.A3V`: 1 on the host.
const CTLR_A3V: u64 = 1 << 15;
/// `ICC_SRE_EL1` of an emulated GICv3: `SRE`, `DFB`, `DIB` (C: `vgic_v3_reset()`).
const SRE_V3: u64 = 0x7;
/// `ICC_SRE_EL1.SRE`.
const SRE_SRE: u64 = 1;

/// A CPU interface register of `gic_v3_icc_reg_descs[]` that user space can reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SysReg {
    /// `ICC_PMR_EL1`.
    Pmr,
    /// `ICC_BPR0_EL1`.
    Bpr0,
    /// `ICC_AP0R<n>_EL1`.
    Ap0r(usize),
    /// `ICC_AP1R<n>_EL1`.
    Ap1r(usize),
    /// `ICC_BPR1_EL1`.
    Bpr1,
    /// `ICC_CTLR_EL1`.
    Ctlr,
    /// `ICC_SRE_EL1`.
    Sre,
    /// `ICC_IGRPEN0_EL1`.
    Igrpen0,
    /// `ICC_IGRPEN1_EL1`.
    Igrpen1,
}

/// Finds the register of an attribute: Op0, Op1, CRn, CRm and Op2 in its low 16 bits (C:
/// `attr_to_id()` and `get_reg_by_id()`); `None` for a register the table lacks or hides.
pub(crate) fn lookup(attr: u64) -> Option<SysReg> {
    Some(match attr & 0xffff {
        0xc230 => SysReg::Pmr,
        0xc643 => SysReg::Bpr0,
        // CAST: below 4.
        a @ 0xc644..=0xc647 => SysReg::Ap0r((a - 0xc644) as usize),
        a @ 0xc648..=0xc64b => SysReg::Ap1r((a - 0xc648) as usize),
        0xc663 => SysReg::Bpr1,
        0xc664 => SysReg::Ctlr,
        0xc665 => SysReg::Sre,
        0xc666 => SysReg::Igrpen0,
        0xc667 => SysReg::Igrpen1,
        _ => return None,
    })
}

/// The CPU interface state of one vCPU (C: `struct vgic_vmcr` as kept in `vgic_vmcr`, the
/// `vgic_ap0r`/`vgic_ap1r` and `vgic_sre` of `struct vgic_v3_cpu_if`, and the
/// `num_pri_bits`/`num_id_bits` of `struct vgic_cpu`).
pub(crate) struct CpuIf {
    /// `ICC_CTLR_EL1.CBPR` (C: `vmcr.cbpr`).
    cbpr: bool,
    /// `ICC_CTLR_EL1.EOImode` (C: `vmcr.eoim`).
    eoim: bool,
    /// `ICC_BPR1_EL1`, 3 bits (C: `vmcr.abpr`).
    abpr: u8,
    /// `ICC_BPR0_EL1`, 3 bits (C: `vmcr.bpr`).
    bpr: u8,
    /// `ICC_PMR_EL1` (C: `vmcr.pmr`).
    pmr: u8,
    /// `ICC_IGRPEN0_EL1` (C: `vmcr.grpen0`).
    grpen0: bool,
    /// `ICC_IGRPEN1_EL1` (C: `vmcr.grpen1`).
    grpen1: bool,
    /// The active priorities of group 0 (C: `vgic_ap0r`, 32 bits each).
    ap0r: [u32; 4],
    /// The active priorities of group 1 (C: `vgic_ap1r`).
    ap1r: [u32; 4],
    /// The priority bits (C: `num_pri_bits`); a restore may lower it.
    num_pri_bits: u32,
    /// The interrupt id bits field (C: `num_id_bits`); a restore may lower it.
    num_id_bits: u32,
}

impl Default for CpuIf {
    /// The state `vgic_v3_reset()` gives a vCPU of a GICv3: `VMCR` zero, the host's bits.
    fn default() -> Self {
        Self {
            cbpr: false,
            eoim: false,
            abpr: 0,
            bpr: 0,
            pmr: 0,
            grpen0: false,
            grpen1: false,
            ap0r: [0; 4],
            ap1r: [0; 4],
            num_pri_bits: HOST_PRI_BITS,
            num_id_bits: HOST_ID_BITS,
        }
    }
}

impl CpuIf {
    /// `vgic_v3_max_apr_idx()`: the last `APnR` register the priority bits need.
    fn max_apr_idx(&self) -> usize {
        match self.num_pri_bits {
            7 => 3,
            6 => 1,
            _ => 0,
        }
    }

    /// The `get_gic_*()` accessor of `r`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an `APnR` register beyond what the priority bits need.
    pub(crate) fn get(&self, r: SysReg) -> Result<u64> {
        Ok(match r {
            SysReg::Pmr => u64::from(self.pmr),
            SysReg::Bpr0 => u64::from(self.bpr),
            SysReg::Ap0r(i) | SysReg::Ap1r(i) if i > self.max_apr_idx() => return Err(EINVAL),
            SysReg::Ap0r(i) => u64::from(self.ap0r.get(i).copied().ok_or(EINVAL)?),
            SysReg::Ap1r(i) => u64::from(self.ap1r.get(i).copied().ok_or(EINVAL)?),
            SysReg::Bpr1 if self.cbpr => u64::from(self.bpr + 1).min(7),
            SysReg::Bpr1 => u64::from(self.abpr),
            SysReg::Ctlr => {
                u64::from(self.num_pri_bits - 1) << CTLR_PRI_BITS_SHIFT
                    | u64::from(self.num_id_bits) << CTLR_ID_BITS_SHIFT
                    | CTLR_A3V
                    | if self.cbpr { CTLR_CBPR } else { 0 }
                    | if self.eoim { CTLR_EOIMODE } else { 0 }
            }
            SysReg::Sre => SRE_V3,
            SysReg::Igrpen0 => u64::from(self.grpen0),
            SysReg::Igrpen1 => u64::from(self.grpen1),
        })
    }

    /// The `set_gic_*()` accessor of `r`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an `APnR` register beyond what the priority bits need, an
    /// `ICC_CTLR_EL1` the host cannot restore (more priority or id bits than now, another
    /// `SEIS` or `A3V`; as in C, the bit counts checked before the failing field are kept),
    /// an `ICC_SRE_EL1` without `SRE`.
    pub(crate) fn set(&mut self, r: SysReg, val: u64) -> Result {
        match r {
            // CAST: the fields' widths.
            SysReg::Pmr => self.pmr = val as u8,
            SysReg::Bpr0 => self.bpr = val as u8 & 7,
            SysReg::Ap0r(i) | SysReg::Ap1r(i) if i > self.max_apr_idx() => return Err(EINVAL),
            SysReg::Ap0r(i) => *self.ap0r.get_mut(i).ok_or(EINVAL)? = val as u32,
            SysReg::Ap1r(i) => *self.ap1r.get_mut(i).ok_or(EINVAL)? = val as u32,
            SysReg::Bpr1 if self.cbpr => {}
            SysReg::Bpr1 => self.abpr = val as u8 & 7,
            SysReg::Ctlr => {
                let pri_bits = ((val >> CTLR_PRI_BITS_SHIFT) & 7) as u32 + 1;
                if pri_bits > self.num_pri_bits {
                    return Err(EINVAL);
                }
                self.num_pri_bits = pri_bits;
                let id_bits = ((val >> CTLR_ID_BITS_SHIFT) & 7) as u32;
                if id_bits > self.num_id_bits {
                    return Err(EINVAL);
                }
                self.num_id_bits = id_bits;
                if val & CTLR_SEIS != 0 || val & CTLR_A3V == 0 {
                    return Err(EINVAL);
                }
                self.cbpr = val & CTLR_CBPR != 0;
                self.eoim = val & CTLR_EOIMODE != 0;
            }
            SysReg::Sre if val & SRE_SRE == 0 => return Err(EINVAL),
            SysReg::Sre => {}
            SysReg::Igrpen0 => self.grpen0 = val & 1 != 0,
            SysReg::Igrpen1 => self.grpen1 = val & 1 != 0,
        }
        Ok(())
    }
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_vgic_sysregs)]
mod tests {
    use super::*;

    /// golden/vgic_v3.txt, "CPU_SYSREGS vcpu 0 before writes" and "writes: CPU_SYSREGS".
    #[test]
    fn icc() {
        let mut c = CpuIf::default();
        let r = |a| lookup(a).ok_or(ENOENT);
        assert_eq!(c.get(SysReg::Ctlr), Ok(0x8c00));
        assert_eq!(c.get(SysReg::Sre), Ok(7));
        assert_eq!(r(0xc645).and_then(|s| c.get(s)), Err(EINVAL));
        assert_eq!(r(0xc660), Err(ENOENT));
        assert_eq!(r(0x1_c230), Ok(SysReg::Pmr));
        assert_eq!(c.set(SysReg::Pmr, 0x1ff), Ok(()));
        assert_eq!(c.get(SysReg::Pmr), Ok(0xff));
        assert_eq!(c.set(SysReg::Igrpen1, 3), Ok(()));
        assert_eq!(c.get(SysReg::Igrpen1), Ok(1));
        assert_eq!(c.set(SysReg::Ap1r(0), 0x8000_0000), Ok(()));
        assert_eq!(c.get(SysReg::Ap1r(0)), Ok(0x8000_0000));
        assert_eq!(c.set(SysReg::Ctlr, 2), Err(EINVAL));
        assert_eq!(c.get(SysReg::Ctlr), Ok(0x8000));
        assert_eq!(c.set(SysReg::Ctlr, u64::MAX), Err(EINVAL));
        assert_eq!(c.set(SysReg::Ctlr, 0x8c00), Err(EINVAL));
        assert_eq!(c.set(SysReg::Ctlr, 0x8002), Ok(()));
        assert_eq!(c.get(SysReg::Ctlr), Ok(0x8002));
        assert_eq!(c.set(SysReg::Sre, 0), Err(EINVAL));
    }
}
