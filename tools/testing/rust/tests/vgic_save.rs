// SPDX-License-Identifier: GPL-2.0

//! The GICv3 save/restore sequences of QEMU, Firecracker and Cloud Hypervisor, replayed through
//! kvm-ioctls against the arm64 node: each client's register loops over `DIST_REGS`,
//! `REDIST_REGS`, `CPU_SYSREGS` and `LEVEL_INFO`, attribute by attribute, width by width and in
//! the client's order.
//!
//! Each test puts the GIC of a 2-vCPU VM into a state far from the reset one through the device
//! API ([`STATE`]: SPIs, SGIs and PPIs enabled, pending, active, prioritised, routed, configured
//! on both vCPUs; the table bases; `ICC_*` registers; line levels), checks that it reads back as
//! the kernel's user accesses define it ([`MEANING`]), saves it with the client's sequence,
//! creates a fresh VM and GIC the client's way, restores, saves again and compares the two saves
//! value by value. It then changes the restored GIC ([`CHANGES`]), checks that the next save
//! shows exactly those changes ([`CHANGED`]), and makes a second round trip. Every access must
//! succeed, as a client stops (QEMU aborts) on the first error.
//!
//! The two saves are bit-identical except where the client's own code loses state on real KVM
//! too; those differences are asserted exactly, each with the code that causes it:
//! - Firecracker and Cloud Hypervisor restore `GICR_ICENABLER0` with the saved *enabled* bits
//!   before `GICR_ISENABLER0`: on a new vCPU, whose SGIs KVM enables (`vgic_setup_private_irq()`),
//!   an SGI the source had disabled comes back enabled (`0x8000fffe` -> `0x8000ffff`).
//! - QEMU ORs `GICD_ICFGR` into its `edge_trigger` bitmap without clearing it
//!   (`kvm_dist_get_edge_trigger()`), so on a VM that was itself restored, an SPI made level
//!   after the restore still migrates as edge-triggered.
//!
//! State the clients do not save at all is checked on the restored GIC directly: QEMU walks
//! `GICD_IROUTER` with a 4-byte stride (`GICD_IROUTER + 4 * irq`), so of 288 interrupts the
//! routes of SPIs 145 and up are not migrated, and it saves the table bases only with
//! `GICR_TYPER.PLPIS` (no ITS here); Firecracker and Cloud Hypervisor save no `LEVEL_INFO`;
//! and no client can carry `ICC_BPR1_EL1` while `ICC_CTLR_EL1.CBPR` hides it
//! (`set_gic_bpr1()` ignores the write).
//!
//! The clients, as read (file, function, commit where stored):
//! - QEMU, `hw/intc/arm_gicv3_kvm.c` (qemu/qemu at 01b5ab8, the same code at 36f3a71 of
//!   pbo-linaro/qemu-ci): `kvm_arm_gicv3_get()` (the migration `pre_save`) and
//!   `kvm_arm_gicv3_put()` (`post_load`) with `kvm_gicd_access()`/`kvm_gicr_access()` (u32, the
//!   64-bit registers as two halves), `kvm_gicc_access()` (u64), `kvm_gic_line_level_access()`,
//!   `kvm_dist_getbmp()`/`kvm_dist_putbmp()` (which writes 0, not ~0, to the clear register),
//!   `kvm_dist_get_edge_trigger()`/`put`, `kvm_dist_get_priority()`/`put`,
//!   `kvm_arm_gicv3_check()`; the state is `GICv3State` of `arm_gicv3_common.c`, kept by the
//!   process across migrations (`vmstate_gicv3`). The machine reset's put of the reset state
//!   (`kvm_arm_gicv3_reset()`) is not replayed: the migration's put then writes every register
//!   that put writes, and the reset state enables, pends and activates no SPI.
//! - Firecracker, `src/vmm/src/arch/aarch64/gic/gicv3/regs/` (commits 07c9d9a, 0c3606a,
//!   b487ba6, 0bd3663): `save_state()`/`restore_state()` in `mod.rs` (pending tables, then per
//!   vCPU the redistributor and the `ICC_*` registers, then the distributor; the restore in the
//!   other order), `dist_regs.rs` (`VGIC_DIST_REGS` over `IRQ_BASE..IRQ_MAX` in u32 chunks),
//!   `redist_regs.rs` (`VGIC_RDIST_REGS` then `VGIC_SGI_REGS`), `icc_regs.rs` (u64; the
//!   `APnR` registers by `ICC_CTLR_EL1.PRIbits`, read back from KVM), `regs.rs`
//!   (`VgicRegEngine`), and `construct_kvm_mpidrs()`; the GIC without the ITS.
//! - Cloud Hypervisor, `hypervisor/src/kvm/aarch64/gic/` (commits 587a333, 3f67b6d, ed4c861,
//!   02f146f): `KvmGicV3Its::state()`/`set_state()` in `mod.rs` (`GICD_CTLR`, distributor,
//!   redistributors, `ICC_*`), `dist_regs.rs` (`NR_IRQS` read for each register's length),
//!   `redist_regs.rs` (`VGIC_RDIST_REGS` for every vCPU, then `VGIC_SGI_REGS` for every
//!   vCPU; `construct_gicr_typers()`), `icc_regs.rs`, which accesses the 64-bit `ICC_*`
//!   registers through a `u32` variable: KVM writes 8 bytes into it on a get (golden
//!   "into u32[2]") and reads 8 on a set, replayed here with a poisoned word after the `u32`.
//!   The ITS steps run in the ITS's suite; Cloud Hypervisor's GIC is created with an ITS when
//!   the node offers one.
//!
//! The kernel's side: `vgic_v3_attr_regs_access()` in `vgic-kvm-device.c`;
//! `vgic_v3_dist_registers[]`, `vgic_v3_rd_registers[]`, `vgic_mmio_uaccess_write_v3_misc()`,
//! `vgic_mmio_read_irouter()`, `vgic_mmio_write_irouter()`, `vgic_v3_uaccess_write_pending()`,
//! `vgic_mmio_write_propbase()`, `vgic_mmio_write_pendbase()` in `vgic-mmio-v3.c`;
//! `vgic_uaccess_write_senable()`, `vgic_uaccess_write_cenable()`, `__read_pending()`,
//! `__set_pending()`, `vgic_mmio_uaccess_write_sactive()`, `vgic_mmio_write_priority()`,
//! `vgic_mmio_write_config()`, `vgic_read_irq_line_level_info()`,
//! `vgic_write_irq_line_level_info()` in `vgic-mmio.c`; `set_gic_ctlr()`, `get_gic_bpr1()`,
//! `set_gic_bpr1()`, `set_gic_ap0r()` in `vgic-sys-reg-v3.c`. Where an expected value is a line
//! of the golden transcript of real arm64 KVM (`vgic/golden/vgic_v3.txt`), the test quotes it.

use std::collections::BTreeSet;

use kvm_bindings::{
    kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_ITS as ITS,
    kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V3 as V3, KVM_CREATE_DEVICE_TEST,
};
use kvm_devctl_tests::arm64::{
    self, create_device, get_u32, get_u64, has, level_attr as lvl, parse_result, redist_attr as rd,
    set_ctrl, set_u32, set_u64, sysreg, Step, Steps, ADDR_ITS, ADDR_V3_DIST, ADDR_V3_REDIST,
    ADDR_V3_REDIST_REGION, CTRL_INIT, CTRL_SAVE_PENDING_TABLES, GRP_ADDR, GRP_CPU_SYSREGS,
    GRP_CTRL, GRP_DIST_REGS, GRP_LEVEL_INFO, GRP_NR_IRQS, GRP_REDIST_REGS, V3_DIST_SIZE,
    V3_ITS_SIZE, V3_REDIST_SIZE,
};
use kvm_devctl_tests::{attr, create_device_flags, must, Errno};
use kvm_ioctls::{DeviceFd, Kvm, VcpuFd, VmFd};

const DIST: u32 = GRP_DIST_REGS;
const REDIST: u32 = GRP_REDIST_REGS;
const SYSREGS: u32 = GRP_CPU_SYSREGS;
const LEVEL: u32 = GRP_LEVEL_INFO;

/// The `KVM_DEV_ARM_VGIC_V3_MPIDR_MASK` of asm/kvm.h: the MPIDR half of an attribute.
const MPIDR_MASK: u64 = 0xffff_ffff << 32;

const GICD_CTLR: u64 = 0x0000;
const GICD_TYPER: u64 = 0x0004;
const GICD_STATUSR: u64 = 0x0010;
const GICD_IGROUPR: u64 = 0x0080;
const GICD_ISENABLER: u64 = 0x0100;
const GICD_ICENABLER: u64 = 0x0180;
const GICD_ISPENDR: u64 = 0x0200;
const GICD_ICPENDR: u64 = 0x0280;
const GICD_ISACTIVER: u64 = 0x0300;
const GICD_ICACTIVER: u64 = 0x0380;
const GICD_IPRIORITYR: u64 = 0x0400;
const GICD_ICFGR: u64 = 0x0c00;
const GICD_IROUTER: u64 = 0x6000;

const GICR_CTLR: u64 = 0x0000;
const GICR_TYPER: u64 = 0x0008;
const GICR_STATUSR: u64 = 0x0010;
const GICR_WAKER: u64 = 0x0014;
const GICR_PROPBASER: u64 = 0x0070;
const GICR_PENDBASER: u64 = 0x0078;
const SGI: u64 = 0x1_0000;
const GICR_IGROUPR0: u64 = SGI + 0x0080;
const GICR_ISENABLER0: u64 = SGI + 0x0100;
const GICR_ICENABLER0: u64 = SGI + 0x0180;
const GICR_ISPENDR0: u64 = SGI + 0x0200;
const GICR_ICPENDR0: u64 = SGI + 0x0280;
const GICR_ISACTIVER0: u64 = SGI + 0x0300;
const GICR_ICACTIVER0: u64 = SGI + 0x0380;
const GICR_IPRIORITYR0: u64 = SGI + 0x0400;
const GICR_ICFGR0: u64 = SGI + 0x0c00;
const GICR_ICFGR1: u64 = SGI + 0x0c04;
/// `GICR_TYPER.PLPIS`.
const GICR_TYPER_PLPIS: u64 = 1;

const ICC_PMR: u64 = sysreg(3, 0, 4, 6, 0);
const ICC_BPR0: u64 = sysreg(3, 0, 12, 8, 3);
const ICC_BPR1: u64 = sysreg(3, 0, 12, 12, 3);
const ICC_CTLR: u64 = sysreg(3, 0, 12, 12, 4);
const ICC_SRE: u64 = sysreg(3, 0, 12, 12, 5);
const ICC_IGRPEN0: u64 = sysreg(3, 0, 12, 12, 6);
const ICC_IGRPEN1: u64 = sysreg(3, 0, 12, 12, 7);

/// `ICC_AP0R<n>_EL1`.
const fn icc_ap0r(n: u64) -> u64 {
    sysreg(3, 0, 12, 8, 4 | n)
}

/// `ICC_AP1R<n>_EL1`.
const fn icc_ap1r(n: u64) -> u64 {
    sysreg(3, 0, 12, 9, n)
}

/// The number of priority bits `ICC_CTLR_EL1.PRIbits` (bits 10:8) says, as all three clients
/// compute it to choose the `APnR` registers.
fn pri_bits(ctlr: u64) -> u64 {
    ((ctlr >> 8) & 7) + 1
}

/// The MPIDR, as attributes pack it (Aff3.Aff2.Aff1.Aff0), of vCPU `i` of a VM with fewer than
/// 16 vCPUs: KVM gives vCPU `i` Aff0 `i` (`kvm_calculate_mpidr()`).
fn mpidr(i: usize) -> u64 {
    i as u64
}

/// A short name of an attribute, for messages.
fn desc(group: u32, a: u64) -> String {
    let (hi, lo) = (a >> 32, a & 0xffff_ffff);
    match group {
        GRP_DIST_REGS => format!("DIST_REGS {lo:#06x}"),
        GRP_REDIST_REGS => format!("REDIST_REGS mpidr={hi:#x} {lo:#07x}"),
        GRP_CPU_SYSREGS => format!("CPU_SYSREGS mpidr={hi:#x} {lo:#06x}"),
        GRP_LEVEL_INFO => format!("LEVEL_INFO mpidr={hi:#x} intid={}", lo & 0x3ff),
        GRP_NR_IRQS => "NR_IRQS".to_string(),
        g => format!("group {g} attr {a:#x}"),
    }
}

/// One value a client read while saving: where and what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Saved {
    group: u32,
    attr: u64,
    val: u64,
}

/// The word placed after a client's `u32` when KVM accesses 8 bytes there (Cloud Hypervisor's
/// `ICC_*` accesses): what the stack may hold.
const POISON: u32 = 0xa5a5_a5a5;

/// The device accesses of one client on one GIC. Every value read is logged, in order: the log
/// of a save is what the tests compare. Any failing access stops the test, as it stops the
/// client.
struct Io<'a> {
    gic: &'a DeviceFd,
    who: &'static str,
    log: Vec<Saved>,
    /// The words after Cloud Hypervisor's `u32`s that KVM wrote on gets, by attribute.
    spill: Vec<(u64, u32)>,
}

impl<'a> Io<'a> {
    fn new(gic: &'a DeviceFd, who: &'static str) -> Self {
        Self {
            gic,
            who,
            log: Vec::new(),
            spill: Vec::new(),
        }
    }

    fn stop(&self, what: &str, group: u32, a: u64, e: Errno) -> ! {
        panic!(
            "{}: {what} {} => -1 {e}; the client stops here",
            self.who,
            desc(group, a)
        )
    }

    fn read(&mut self, group: u32, a: u64, got: Step) -> u64 {
        match got {
            Ok(Some(val)) => {
                self.log.push(Saved {
                    group,
                    attr: a,
                    val,
                });
                val
            }
            Ok(None) => unreachable!("a get returns a value"),
            Err(e) => self.stop("get", group, a, e),
        }
    }

    /// `KVM_GET_DEVICE_ATTR` into a `u32`.
    fn get32(&mut self, group: u32, a: u64) -> u32 {
        let got = get_u32(self.gic, group, a);
        // CAST: a u32 read.
        self.read(group, a, got) as u32
    }

    /// `KVM_SET_DEVICE_ATTR` from a `u32`.
    fn set32(&mut self, group: u32, a: u64, val: u32) {
        if let Err(e) = set_u32(self.gic, group, a, val) {
            self.stop(&format!("set {val:#x}"), group, a, e);
        }
    }

    /// `KVM_GET_DEVICE_ATTR` into a `u64`.
    fn get64(&mut self, group: u32, a: u64) -> u64 {
        let got = get_u64(self.gic, group, a);
        self.read(group, a, got)
    }

    /// `KVM_SET_DEVICE_ATTR` from a `u64`.
    fn set64(&mut self, group: u32, a: u64, val: u64) {
        if let Err(e) = set_u64(self.gic, group, a, val) {
            self.stop(&format!("set {val:#x}"), group, a, e);
        }
    }

    /// `KVM_GET_DEVICE_ATTR` of a 64-bit register into a `u32` variable, followed here by a
    /// poisoned word that KVM's 8-byte write lands in.
    fn get64_into_u32(&mut self, group: u32, a: u64) -> u32 {
        let mut buf = [0u32, POISON];
        let mut da = attr(group, a, buf.as_mut_ptr() as u64);
        // SAFETY: `addr` points to our 8 bytes, all KVM writes for a CPU_SYSREGS register.
        if let Err(e) = unsafe { self.gic.get_device_attr(&mut da) } {
            self.stop("get", group, a, Errno(e.errno()));
        }
        self.spill.push((a, buf[1]));
        self.log.push(Saved {
            group,
            attr: a,
            val: u64::from(buf[0]),
        });
        buf[0]
    }

    /// `KVM_SET_DEVICE_ATTR` of a 64-bit register from a `u32` variable: KVM reads the poisoned
    /// word after it as the upper half.
    fn set64_from_u32(&mut self, group: u32, a: u64, val: u32) {
        let buf = [val, POISON];
        let da = attr(group, a, buf.as_ptr() as u64);
        if let Err(e) = self.gic.set_device_attr(&da) {
            self.stop(&format!("set {val:#x}"), group, a, Errno(e.errno()));
        }
    }
}

/// A VM of the arm64 node as a client sets it up: two vCPUs and a GICv3, and the ITS if the
/// client creates one.
struct Machine {
    _vm: VmFd,
    _vcpus: Vec<VcpuFd>,
    gic: DeviceFd,
    _its: Option<DeviceFd>,
}

/// A set-up step that must succeed.
fn step(got: Step, what: &str) {
    if let Err(e) = got {
        panic!("{what} => -1 {e}");
    }
}

/// A register access in the golden transcript's format, `set|get GROUP [mpidr=0xM] OFFSET NAME
/// [VALUE] => RESULT` (`LEVEL_INFO` has `info=0 intid=N` for the offset and name), after a tag
/// saying where the result comes from: `W`, a golden line of the writes to the group; `V1`, a
/// golden line of vCPU 1's `ICC_*` registers after the writes; `K`, the kernel source, whose
/// function the comment above names.
type Line = &'static str;

/// One access of a [`Line`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Access {
    set: bool,
    group: u32,
    attr: u64,
    val: u64,
    want: Step,
}

/// The golden transcript's section of the writes to `group`, in the scenarios.
fn writes_section(group: u32) -> &'static str {
    match group {
        GRP_DIST_REGS => "writes: DIST_REGS",
        GRP_REDIST_REGS => "writes: REDIST_REGS",
        GRP_CPU_SYSREGS => "writes: CPU_SYSREGS",
        _ => "writes: LEVEL_INFO",
    }
}

/// Parses a [`Line`]; a golden one must be in its section of the golden transcript.
///
/// # Panics
///
/// If the line has another form, or is not in the golden transcript though tagged so.
fn access(line: Line) -> Access {
    let bad = || -> ! { panic!("not a line of the tables: {line}") };
    let (tag, text) = line.split_once(' ').unwrap_or_else(|| bad());
    let (call, _) = text.split_once(" => ").unwrap_or_else(|| bad());
    let words: Vec<&str> = call.split(' ').collect();
    let hex = |w: &str| {
        w.strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .unwrap_or_else(|| bad())
    };
    let set = match words.first() {
        Some(&"set") => true,
        Some(&"get") => false,
        _ => bad(),
    };
    let group = match words.get(1) {
        Some(&"DIST_REGS") => DIST,
        Some(&"REDIST_REGS") => REDIST,
        Some(&"CPU_SYSREGS") => SYSREGS,
        Some(&"LEVEL_INFO") => LEVEL,
        _ => bad(),
    };
    let mut rest = words.get(2..).unwrap_or_else(|| bad());
    let mut mpidr = 0;
    if let Some(m) = rest.first().and_then(|w| w.strip_prefix("mpidr=")) {
        mpidr = hex(m);
        rest = &rest[1..];
    }
    let (attr, rest) = match (group, rest) {
        (LEVEL, ["info=0", intid, tail @ ..]) => {
            let intid = intid.strip_prefix("intid=").and_then(|n| n.parse().ok());
            (lvl(mpidr, intid.unwrap_or_else(|| bad())), tail)
        }
        (LEVEL, _) => bad(),
        (_, [offset, _name, tail @ ..]) => (rd(mpidr, hex(offset)), tail),
        _ => bad(),
    };
    let val = match (set, rest) {
        (true, [v]) => hex(v),
        (false, []) => 0,
        _ => bad(),
    };
    match tag {
        "W" => arm64::assert_golden_line(writes_section(group), text),
        "V1" => arm64::assert_golden_line("CPU_SYSREGS vcpu 1 after writes", text),
        "K" => {}
        _ => bad(),
    }
    Access {
        set,
        group,
        attr,
        val,
        want: parse_result(text),
    }
}

/// The state the tests set through the device API on the source GIC (2 vCPUs, MPIDR 0 and 1,
/// at least 128 interrupts), in this order. Most steps are those of the golden transcript's
/// writes; the others reach SPIs beyond its 64 interrupts, and vCPU 1.
const STATE: &[Line] = &[
    // The distributor: SPIs 32-63 as in the golden transcript, SPIs 96-127 beyond it.
    "W set DIST_REGS 0x0000 GICD_CTLR 0x00000002 => 0",
    "W set DIST_REGS 0x0084 GICD_IGROUPR1 0x0000ffff => 0",
    "W set DIST_REGS 0x0104 GICD_ISENABLER1 0x00000005 => 0",
    // vgic_uaccess_write_senable(): SPI 127.
    "K set DIST_REGS 0x010c GICD_ISENABLER3 0x80000000 => 0",
    "W set DIST_REGS 0x0204 GICD_ISPENDR1 0x00000030 => 0",
    "W set DIST_REGS 0x0304 GICD_ISACTIVER1 0x00000300 => 0",
    "W set DIST_REGS 0x0384 GICD_ICACTIVER1 0x00000100 => 0",
    "W set DIST_REGS 0x0420 GICD_IPRIORITYR8 0xffffffff => 0",
    "W set DIST_REGS 0x0424 GICD_IPRIORITYR9 0x12345678 => 0",
    // vgic_mmio_write_priority(): SPIs 124-127.
    "K set DIST_REGS 0x047c GICD_IPRIORITYR31 0x11223344 => 0",
    // SPIs 48-63 level-triggered.
    "W set DIST_REGS 0x0c0c GICD_ICFGR3 0x55555555 => 0",
    "W set DIST_REGS 0x6100 GICD_IROUTER32.lo 0x00000001 => 0",
    "W set DIST_REGS 0x6104 GICD_IROUTER32.hi 0x000000ff => 0",
    "W set DIST_REGS 0x6108 GICD_IROUTER33.lo 0x80000000 => 0",
    "W set DIST_REGS 0x6110 GICD_IROUTER34.lo 0xffffffff => 0",
    "W set DIST_REGS 0x6114 GICD_IROUTER34.hi 0xffffffff => 0",
    // vgic_mmio_write_irouter(): SPI 127 to Aff2.Aff1.Aff0 1.2.3, which no vCPU has.
    "K set DIST_REGS 0x63f8 GICD_IROUTER127.lo 0x00010203 => 0",
    // Line levels, set whatever the configuration (vgic_write_irq_line_level_info()).
    "W set LEVEL_INFO mpidr=0x0 info=0 intid=32 0xffffffff => 0",
    "K set LEVEL_INFO mpidr=0x0 info=0 intid=96 0xffffffff => 0",
    "W set LEVEL_INFO mpidr=0x0 info=0 intid=0 0xffffffff => 0",
    "K set LEVEL_INFO mpidr=0x1 info=0 intid=0 0x80010000 => 0",
    // vCPU 0's redistributor, as in the golden transcript (GICR_CTLR aside: with an ITS the
    // write would enable LPIs).
    "W set REDIST_REGS mpidr=0x0 0x00014 GICR_WAKER 0x00000002 => 0",
    "W set REDIST_REGS mpidr=0x0 0x00070 GICR_PROPBASER.lo 0x4000100f => 0",
    "W set REDIST_REGS mpidr=0x0 0x00074 GICR_PROPBASER.hi 0xffffffff => 0",
    "W set REDIST_REGS mpidr=0x0 0x00078 GICR_PENDBASER.lo 0x40010fff => 0",
    "W set REDIST_REGS mpidr=0x0 0x0007c GICR_PENDBASER.hi 0x40000000 => 0",
    "W set REDIST_REGS mpidr=0x0 0x10080 GICR_IGROUPR0 0xffff0000 => 0",
    "W set REDIST_REGS mpidr=0x0 0x10100 GICR_ISENABLER0 0x8000ffff => 0",
    "W set REDIST_REGS mpidr=0x0 0x10180 GICR_ICENABLER0 0x00000001 => 0",
    "W set REDIST_REGS mpidr=0x0 0x10200 GICR_ISPENDR0 0x00010003 => 0",
    "W set REDIST_REGS mpidr=0x0 0x10280 GICR_ICPENDR0 0xffffffff => 0",
    "W set REDIST_REGS mpidr=0x0 0x10300 GICR_ISACTIVER0 0x00000004 => 0",
    "W set REDIST_REGS mpidr=0x0 0x10400 GICR_IPRIORITYR0 0x80808080 => 0",
    "W set REDIST_REGS mpidr=0x0 0x1041c GICR_IPRIORITYR7 0xffffffff => 0",
    "W set REDIST_REGS mpidr=0x0 0x10c00 GICR_ICFGR0 0x00000000 => 0",
    "W set REDIST_REGS mpidr=0x0 0x10c04 GICR_ICFGR1 0xffffffff => 0",
    // vCPU 1's: PPI 16 enabled, SGI 15 pending, PPI 31 active, PPIs 16-19 prioritised, its
    // own pending table base (vgic_uaccess_write_senable(), vgic_v3_uaccess_write_pending(),
    // vgic_mmio_uaccess_write_sactive(), vgic_mmio_write_priority(),
    // vgic_mmio_write_pendbase()).
    "W set REDIST_REGS mpidr=0x1 0x10100 GICR_ISENABLER0 0x00010000 => 0",
    "K set REDIST_REGS mpidr=0x1 0x10200 GICR_ISPENDR0 0x00008000 => 0",
    "K set REDIST_REGS mpidr=0x1 0x10300 GICR_ISACTIVER0 0x80000000 => 0",
    "K set REDIST_REGS mpidr=0x1 0x10410 GICR_IPRIORITYR4 0x11223344 => 0",
    "K set REDIST_REGS mpidr=0x1 0x00078 GICR_PENDBASER.lo 0x00020000 => 0",
    // vCPU 0's CPU interface, as in the golden transcript.
    "W set CPU_SYSREGS mpidr=0x0 0xc230 ICC_PMR_EL1 0x00000000000000f0 => 0",
    "W set CPU_SYSREGS mpidr=0x0 0xc643 ICC_BPR0_EL1 0x0000000000000002 => 0",
    "W set CPU_SYSREGS mpidr=0x0 0xc663 ICC_BPR1_EL1 0x0000000000000003 => 0",
    "W set CPU_SYSREGS mpidr=0x0 0xc666 ICC_IGRPEN0_EL1 0x0000000000000001 => 0",
    "W set CPU_SYSREGS mpidr=0x0 0xc667 ICC_IGRPEN1_EL1 0x0000000000000003 => 0",
    "W set CPU_SYSREGS mpidr=0x0 0xc644 ICC_AP0R0_EL1 0x0000000000000001 => 0",
    "W set CPU_SYSREGS mpidr=0x0 0xc648 ICC_AP1R0_EL1 0x0000000080000000 => 0",
    // One priority bit and no interrupt id bits from now on, EOImode 1.
    "W set CPU_SYSREGS mpidr=0x0 0xc664 ICC_CTLR_EL1 0x0000000000008002 => 0",
    "W set CPU_SYSREGS mpidr=0x0 0xc665 ICC_SRE_EL1 0x0000000000000000 => -1 EINVAL",
    // vCPU 1's: BPR1 5, which CBPR then hides (set_gic_bpr1(), get_gic_bpr1()); set_gic_ctlr()
    // takes the host's PRIbits (5), IDbits (1) and A3V, with CBPR.
    "K set CPU_SYSREGS mpidr=0x1 0xc663 ICC_BPR1_EL1 0x0000000000000005 => 0",
    "K set CPU_SYSREGS mpidr=0x1 0xc643 ICC_BPR0_EL1 0x0000000000000003 => 0",
    "K set CPU_SYSREGS mpidr=0x1 0xc664 ICC_CTLR_EL1 0x0000000000008c01 => 0",
    "K set CPU_SYSREGS mpidr=0x1 0xc230 ICC_PMR_EL1 0x0000000000000080 => 0",
    "K set CPU_SYSREGS mpidr=0x1 0xc667 ICC_IGRPEN1_EL1 0x0000000000000001 => 0",
    "K set CPU_SYSREGS mpidr=0x1 0xc648 ICC_AP1R0_EL1 0x0000000000000001 => 0",
];

/// What [`STATE`] means: the value each register reads after it, by the golden transcript or
/// by the kernel's user accesses.
const MEANING: &[Line] = &[
    "W get DIST_REGS 0x0000 GICD_CTLR => 0 0x00000052",
    "W get DIST_REGS 0x0010 GICD_STATUSR => 0 0xffffffff",
    "W get DIST_REGS 0x0084 GICD_IGROUPR1 => 0 0x0000ffff",
    "W get DIST_REGS 0x0104 GICD_ISENABLER1 => 0 0x00000005",
    "W get DIST_REGS 0x0184 GICD_ICENABLER1 => 0 0x00000005",
    // vgic_mmio_read_enable() for both registers.
    "K get DIST_REGS 0x010c GICD_ISENABLER3 => 0 0x80000000",
    "K get DIST_REGS 0x018c GICD_ICENABLER3 => 0 0x80000000",
    "W get DIST_REGS 0x0204 GICD_ISPENDR1 => 0 0x00000030",
    "W get DIST_REGS 0x0284 GICD_ICPENDR1 => 0 0x00000000",
    "W get DIST_REGS 0x0304 GICD_ISACTIVER1 => 0 0x00000200",
    // vgic_uaccess_read_active() for both registers.
    "K get DIST_REGS 0x0384 GICD_ICACTIVER1 => 0 0x00000200",
    "W get DIST_REGS 0x0420 GICD_IPRIORITYR8 => 0 0xf8f8f8f8",
    "W get DIST_REGS 0x0424 GICD_IPRIORITYR9 => 0 0x10305078",
    // vgic_mmio_write_priority(): the top five bits of each byte.
    "K get DIST_REGS 0x047c GICD_IPRIORITYR31 => 0 0x10203040",
    "W get DIST_REGS 0x0c08 GICD_ICFGR2 => 0 0xaaaaaaaa",
    "W get DIST_REGS 0x0c0c GICD_ICFGR3 => 0 0x00000000",
    "W get DIST_REGS 0x6100 GICD_IROUTER32.lo => 0 0x00000001",
    "W get DIST_REGS 0x6104 GICD_IROUTER32.hi => 0 0x00000000",
    "W get DIST_REGS 0x6108 GICD_IROUTER33.lo => 0 0x00000000",
    "W get DIST_REGS 0x6110 GICD_IROUTER34.lo => 0 0x00ffffff",
    "W get DIST_REGS 0x6114 GICD_IROUTER34.hi => 0 0x00000000",
    // vgic_mmio_read_irouter(): Aff2.Aff1.Aff0 kept, the upper word RAZ.
    "K get DIST_REGS 0x63f8 GICD_IROUTER127.lo => 0 0x00010203",
    "K get DIST_REGS 0x63fc GICD_IROUTER127.hi => 0 0x00000000",
    "W get LEVEL_INFO mpidr=0x0 info=0 intid=32 => 0 0xffff0000",
    // vgic_read_irq_line_level_info(): only level-triggered interrupts report a level.
    "K get LEVEL_INFO mpidr=0x0 info=0 intid=96 => 0 0x00000000",
    "W get LEVEL_INFO mpidr=0x0 info=0 intid=0 => 0 0xffff0000",
    "K get LEVEL_INFO mpidr=0x1 info=0 intid=0 => 0 0x80010000",
    "W get REDIST_REGS mpidr=0x0 0x00000 GICR_CTLR => 0 0x00000006",
    // vgic_uaccess(): GICR_STATUSR is not found in KVM's unsorted table, and reads 0.
    "K get REDIST_REGS mpidr=0x0 0x00010 GICR_STATUSR => 0 0x00000000",
    "W get REDIST_REGS mpidr=0x0 0x00014 GICR_WAKER => 0 0x00000000",
    "W get REDIST_REGS mpidr=0x0 0x00070 GICR_PROPBASER.lo => 0 0x4000118f",
    "W get REDIST_REGS mpidr=0x0 0x00074 GICR_PROPBASER.hi => 0 0x000fffff",
    "W get REDIST_REGS mpidr=0x0 0x00078 GICR_PENDBASER.lo => 0 0x40010f80",
    "W get REDIST_REGS mpidr=0x0 0x0007c GICR_PENDBASER.hi => 0 0x00000000",
    "W get REDIST_REGS mpidr=0x0 0x10080 GICR_IGROUPR0 => 0 0xffff0000",
    "W get REDIST_REGS mpidr=0x0 0x10100 GICR_ISENABLER0 => 0 0x8000fffe",
    "K get REDIST_REGS mpidr=0x0 0x10180 GICR_ICENABLER0 => 0 0x8000fffe",
    "W get REDIST_REGS mpidr=0x0 0x10200 GICR_ISPENDR0 => 0 0x00010003",
    // vgic_mmio_read_raz() is ICPENDR0's user read.
    "K get REDIST_REGS mpidr=0x0 0x10280 GICR_ICPENDR0 => 0 0x00000000",
    "W get REDIST_REGS mpidr=0x0 0x10300 GICR_ISACTIVER0 => 0 0x00000004",
    "K get REDIST_REGS mpidr=0x0 0x10380 GICR_ICACTIVER0 => 0 0x00000004",
    "W get REDIST_REGS mpidr=0x0 0x10400 GICR_IPRIORITYR0 => 0 0x80808080",
    "W get REDIST_REGS mpidr=0x0 0x1041c GICR_IPRIORITYR7 => 0 0xf8f8f8f8",
    "W get REDIST_REGS mpidr=0x0 0x10c00 GICR_ICFGR0 => 0 0xaaaaaaaa",
    "W get REDIST_REGS mpidr=0x0 0x10c04 GICR_ICFGR1 => 0 0x00000000",
    // vgic_mmio_read_v3r_ctlr(): CES and IR from revision 3.
    "K get REDIST_REGS mpidr=0x1 0x00000 GICR_CTLR => 0 0x00000006",
    "W get REDIST_REGS mpidr=0x1 0x00070 GICR_PROPBASER.lo => 0 0x4000118f",
    // vgic_sanitise_pendbaser(): a non-cacheable inner becomes read-allocate write-back.
    "K get REDIST_REGS mpidr=0x1 0x00078 GICR_PENDBASER.lo => 0 0x00020180",
    // The reset group 1 (vgic_setup_private_irq()).
    "K get REDIST_REGS mpidr=0x1 0x10080 GICR_IGROUPR0 => 0 0xffffffff",
    "W get REDIST_REGS mpidr=0x1 0x10100 GICR_ISENABLER0 => 0 0x0001ffff",
    "K get REDIST_REGS mpidr=0x1 0x10180 GICR_ICENABLER0 => 0 0x0001ffff",
    // __read_pending(): a user read of a GICv3 gives the pending latch.
    "K get REDIST_REGS mpidr=0x1 0x10200 GICR_ISPENDR0 => 0 0x00008000",
    "K get REDIST_REGS mpidr=0x1 0x10300 GICR_ISACTIVER0 => 0 0x80000000",
    "K get REDIST_REGS mpidr=0x1 0x10380 GICR_ICACTIVER0 => 0 0x80000000",
    "K get REDIST_REGS mpidr=0x1 0x10410 GICR_IPRIORITYR4 => 0 0x10203040",
    "W get CPU_SYSREGS mpidr=0x0 0xc230 ICC_PMR_EL1 => 0 0x00000000000000f0",
    "W get CPU_SYSREGS mpidr=0x0 0xc643 ICC_BPR0_EL1 => 0 0x0000000000000002",
    "W get CPU_SYSREGS mpidr=0x0 0xc663 ICC_BPR1_EL1 => 0 0x0000000000000003",
    "W get CPU_SYSREGS mpidr=0x0 0xc666 ICC_IGRPEN0_EL1 => 0 0x0000000000000001",
    "W get CPU_SYSREGS mpidr=0x0 0xc667 ICC_IGRPEN1_EL1 => 0 0x0000000000000001",
    "W get CPU_SYSREGS mpidr=0x0 0xc644 ICC_AP0R0_EL1 => 0 0x0000000000000001",
    "W get CPU_SYSREGS mpidr=0x0 0xc648 ICC_AP1R0_EL1 => 0 0x0000000080000000",
    "W get CPU_SYSREGS mpidr=0x0 0xc664 ICC_CTLR_EL1 => 0 0x0000000000008002",
    "W get CPU_SYSREGS mpidr=0x0 0xc665 ICC_SRE_EL1 => 0 0x0000000000000007",
    // get_gic_ctlr(); get_gic_bpr1(): with CBPR, BPR0 + 1.
    "K get CPU_SYSREGS mpidr=0x1 0xc664 ICC_CTLR_EL1 => 0 0x0000000000008c01",
    "K get CPU_SYSREGS mpidr=0x1 0xc643 ICC_BPR0_EL1 => 0 0x0000000000000003",
    "K get CPU_SYSREGS mpidr=0x1 0xc663 ICC_BPR1_EL1 => 0 0x0000000000000004",
    "K get CPU_SYSREGS mpidr=0x1 0xc230 ICC_PMR_EL1 => 0 0x0000000000000080",
    "V1 get CPU_SYSREGS mpidr=0x1 0xc666 ICC_IGRPEN0_EL1 => 0 0x0000000000000000",
    "K get CPU_SYSREGS mpidr=0x1 0xc667 ICC_IGRPEN1_EL1 => 0 0x0000000000000001",
    "V1 get CPU_SYSREGS mpidr=0x1 0xc644 ICC_AP0R0_EL1 => 0 0x0000000000000000",
    "K get CPU_SYSREGS mpidr=0x1 0xc648 ICC_AP1R0_EL1 => 0 0x0000000000000001",
    "V1 get CPU_SYSREGS mpidr=0x1 0xc665 ICC_SRE_EL1 => 0 0x0000000000000007",
];

/// The changes made to the restored GIC between the two round trips.
const CHANGES: &[Line] = &[
    // SPI 32 disabled; only SPI 36 pending (vgic_v3_uaccess_write_pending()).
    "W set DIST_REGS 0x0184 GICD_ICENABLER1 0x00000001 => 0",
    "W set DIST_REGS 0x0204 GICD_ISPENDR1 0x00000010 => 0",
    // vgic_mmio_write_irouter(), vgic_mmio_write_priority().
    "K set DIST_REGS 0x6100 GICD_IROUTER32.lo 0x00000000 => 0",
    "K set DIST_REGS 0x0424 GICD_IPRIORITYR9 0x08080808 => 0",
    "W set DIST_REGS 0x0000 GICD_CTLR 0x00000000 => 0",
    // vgic_mmio_write_config(): SPI 32 level-triggered.
    "K set DIST_REGS 0x0c08 GICD_ICFGR2 0xaaaaaaa8 => 0",
    // vgic_mmio_uaccess_write_cactive(), vgic_mmio_write_pendbase(), set_gic_pmr(),
    // set_gic_grpen1().
    "K set REDIST_REGS mpidr=0x1 0x10380 GICR_ICACTIVER0 0x80000000 => 0",
    "K set REDIST_REGS mpidr=0x0 0x00078 GICR_PENDBASER.lo 0x00010000 => 0",
    "K set CPU_SYSREGS mpidr=0x1 0xc230 ICC_PMR_EL1 0x0000000000000020 => 0",
    "K set CPU_SYSREGS mpidr=0x0 0xc667 ICC_IGRPEN1_EL1 0x0000000000000000 => 0",
    "W set LEVEL_INFO mpidr=0x0 info=0 intid=32 0x00000000 => 0",
];

/// A saved value that differs between two saves: group, attribute, first value, second value.
type Diff = (u32, u64, u64, u64);

/// What [`CHANGES`] does to the registers of [`MEANING`].
const CHANGED: &[Diff] = &[
    (DIST, 0x0104, 0x5, 0x4),
    (DIST, 0x0184, 0x5, 0x4),
    (DIST, 0x0204, 0x30, 0x10),
    (DIST, 0x6100, 0x1, 0x0),
    (DIST, 0x0424, 0x1030_5078, 0x0808_0808),
    (DIST, GICD_CTLR, 0x52, 0x50),
    (DIST, 0x0c08, 0xaaaa_aaaa, 0xaaaa_aaa8),
    (REDIST, rd(1, GICR_ISACTIVER0), 0x8000_0000, 0x0),
    (REDIST, rd(1, GICR_ICACTIVER0), 0x8000_0000, 0x0),
    // vgic_sanitise_pendbaser().
    (REDIST, rd(0, GICR_PENDBASER), 0x4001_0f80, 0x0001_0180),
    (SYSREGS, rd(1, ICC_PMR), 0x80, 0x20),
    (SYSREGS, rd(0, ICC_IGRPEN1), 0x1, 0x0),
    (LEVEL, lvl(0, 32), 0xffff_0000, 0x0),
];

/// Performs the sets of `lines` on `gic`, each checked against its result.
fn apply(s: &mut Steps, gic: &DeviceFd, lines: &[Line]) {
    for &line in lines {
        let a = access(line);
        assert!(a.set, "not a set: {line}");
        let got = if a.group == SYSREGS {
            set_u64(gic, a.group, a.attr, a.val)
        } else {
            // CAST: the values of 32-bit registers have 8 hex digits.
            set_u32(gic, a.group, a.attr, a.val as u32)
        };
        s.expect(line, got, a.want);
    }
}

/// A get of register `group`/`attr` of `gic` at its width.
fn get(gic: &DeviceFd, group: u32, attr: u64) -> Step {
    if group == SYSREGS {
        get_u64(gic, group, attr)
    } else {
        get_u32(gic, group, attr)
    }
}

/// Reads every register of [`MEANING`] on `gic` directly.
fn check_meaning(s: &mut Steps, who: &str, gic: &DeviceFd) {
    for &line in MEANING {
        let a = access(line);
        s.expect(&format!("{who}: {line}"), get(gic, a.group, a.attr), a.want);
    }
}

/// Checks that `who` saved the registers of [`MEANING`] with the values they mean, except those
/// it does not save (`not_saved`, which must then be absent from the save).
fn check_saved(s: &mut Steps, who: &str, log: &[Saved], not_saved: &[(u32, u64)]) {
    for &line in MEANING {
        let a = access(line);
        let found = log.iter().find(|r| (r.group, r.attr) == (a.group, a.attr));
        match (found, not_saved.contains(&(a.group, a.attr))) {
            (Some(r), false) => s.expect(&format!("{who} saved: {line}"), Ok(Some(r.val)), a.want),
            (None, true) => {}
            (Some(r), true) => s.expect(
                &format!("{who} does not save: {line}"),
                Ok(Some(r.val)),
                Ok(None),
            ),
            (None, false) => s.expect(&format!("{who} saves: {line}"), Ok(None), a.want),
        }
    }
}

/// Compares two saves of `who`: the same registers in the same order, and exactly the
/// differences `want`.
fn expect_diffs(s: &mut Steps, what: &str, a: &[Saved], b: &[Saved], want: &[Diff]) {
    let same = a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x.group, x.attr) == (y.group, y.attr));
    s.expect(
        &format!(
            "{what}: both saves read the same {} registers in order",
            a.len()
        ),
        Ok(Some(u64::from(same))),
        Ok(Some(1)),
    );
    if !same {
        return;
    }
    let got: BTreeSet<Diff> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.val != y.val)
        .map(|(x, y)| (x.group, x.attr, x.val, y.val))
        .collect();
    for &(group, at, old, new) in want {
        let d = desc(group, at);
        let first = a.iter().position(|r| (r.group, r.attr) == (group, at));
        let was = first.map(|i| a[i].val);
        let now = first.map(|i| b[i].val);
        s.expect(&format!("{what}: {d} saved first"), Ok(was), Ok(Some(old)));
        s.expect(&format!("{what}: {d} saved next"), Ok(now), Ok(Some(new)));
    }
    for &(group, at, old, new) in &got {
        if !want.iter().any(|w| (w.0, w.1) == (group, at)) {
            s.expect(
                &format!("{what}: {} unchanged", desc(group, at)),
                Ok(Some(new)),
                Ok(Some(old)),
            );
        }
    }
    s.expect(
        &format!("{what}: registers whose saved value differs"),
        Ok(Some(got.len() as u64)),
        Ok(Some(want.len() as u64)),
    );
}

/// The entries of [`CHANGED`] a client's save shows: those it saves.
fn visible(not_saved: &[(u32, u64)]) -> Vec<Diff> {
    CHANGED
        .iter()
        .copied()
        .filter(|d| !not_saved.contains(&(d.0, d.1)))
        .collect()
}

/// One client's GIC save and restore.
trait Client {
    /// What the client keeps between a save and a restore.
    type State: Clone;
    /// Its name, for messages.
    const NAME: &'static str;
    /// A VM and GIC, set up the client's way.
    fn machine(kvm: &Kvm) -> Machine;
    /// The state the client holds before its first save.
    fn initial() -> Self::State;
    /// The client's save, which updates `st`.
    fn save(io: &mut Io, st: &mut Self::State);
    /// The client's restore of `st`.
    fn restore(io: &mut Io, st: &Self::State);
    /// The registers of [`MEANING`] the client does not save.
    const NOT_SAVED: &'static [(u32, u64)];
    /// How the first save differs from the save after the first round trip.
    const ROUND_TRIP_1: &'static [Diff];
    /// How the save of the changed GIC differs from the save after the second round trip.
    const ROUND_TRIP_2: &'static [Diff];
    /// Extra state set on the source before the first save.
    fn extra_state(_s: &mut Steps, _src: &DeviceFd) {}
    /// Checks of state outside the save, on the source and the first restored GIC.
    fn check_losses(s: &mut Steps, src: &DeviceFd, dst: &DeviceFd);
}

/// Saves the GIC of `m` as client `C`, with its state `st`.
fn save<C: Client>(m: &Machine, st: &mut C::State) -> (Vec<Saved>, Vec<(u64, u32)>) {
    let mut io = Io::new(&m.gic, C::NAME);
    C::save(&mut io, st);
    (io.log, io.spill)
}

/// Restores `st` on the GIC of `m` as client `C`.
fn restore<C: Client>(m: &Machine, st: &C::State) {
    let mut io = Io::new(&m.gic, C::NAME);
    C::restore(&mut io, st);
}

/// The round trips of client `C`: set the state, save, restore on a new VM, save, change,
/// save, restore on another new VM, save.
fn round_trips<C: Client>() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let who = C::NAME;
    let src = C::machine(&kvm);
    apply(&mut s, &src.gic, STATE);
    C::extra_state(&mut s, &src.gic);
    check_meaning(&mut s, &format!("{who} source"), &src.gic);

    let mut st = C::initial();
    let (save1, spill1) = save::<C>(&src, &mut st);
    check_saved(&mut s, who, &save1, C::NOT_SAVED);

    let dst1 = C::machine(&kvm);
    let mut st1 = st.clone();
    restore::<C>(&dst1, &st1);
    let (save2, spill2) = save::<C>(&dst1, &mut st1);
    expect_diffs(
        &mut s,
        &format!("{who} round trip 1"),
        &save1,
        &save2,
        C::ROUND_TRIP_1,
    );
    C::check_losses(&mut s, &src.gic, &dst1.gic);

    apply(&mut s, &dst1.gic, CHANGES);
    let (save3, spill3) = save::<C>(&dst1, &mut st1);
    expect_diffs(
        &mut s,
        &format!("{who} change after round trip 1"),
        &save2,
        &save3,
        &visible(C::NOT_SAVED),
    );

    let dst2 = C::machine(&kvm);
    let mut st2 = st1.clone();
    restore::<C>(&dst2, &st2);
    let (save4, spill4) = save::<C>(&dst2, &mut st2);
    expect_diffs(
        &mut s,
        &format!("{who} round trip 2"),
        &save3,
        &save4,
        C::ROUND_TRIP_2,
    );

    // Golden "into u32[2]": a CPU_SYSREGS get writes all 8 bytes of the register, the upper
    // half 0 for every ICC_* register.
    arm64::assert_golden_line(
        "writes: CPU_SYSREGS",
        "get CPU_SYSREGS mpidr=0x0 0xc230 ICC_PMR_EL1 into u32[2] => 0 words 0x000000e0 0x00000000",
    );
    for (a, word) in spill1.iter().chain(&spill2).chain(&spill3).chain(&spill4) {
        s.expect(
            &format!("{who}: the word after the u32 of {}", desc(SYSREGS, *a)),
            Ok(Some(u64::from(*word))),
            Ok(Some(0)),
        );
    }

    // No client saves ICC_BPR1_EL1 while CBPR hides it: vCPU 1's BPR1 5 stays on the source.
    for (name, gic, bpr1) in [("source", &src.gic, 5), ("round trip 1", &dst1.gic, 0)] {
        s.expect(
            &format!("{who} {name}: clear CBPR of vCPU 1"),
            set_u64(gic, SYSREGS, rd(1, ICC_CTLR), 0x8c00),
            Ok(None),
        );
        s.expect(
            &format!("{who} {name}: ICC_BPR1_EL1 of vCPU 1 without CBPR"),
            get_u64(gic, SYSREGS, rd(1, ICC_BPR1)),
            Ok(Some(bpr1)),
        );
    }
    s.finish();
}

/// QEMU, `hw/intc/arm_gicv3_kvm.c`, on the `virt` board.
mod qemu {
    use super::*;

    /// `virt`'s 256 SPIs and the 32 private interrupts ("num-irq").
    pub const NUM_IRQ: usize = 288;
    /// `GIC_INTERNAL`.
    const GIC_INTERNAL: usize = 32;
    const VIRT_GIC_DIST: u64 = 0x0800_0000;
    const VIRT_GIC_REDIST: u64 = 0x080a_0000;

    /// `GICv3CPUState`: the fields the KVM get and put use.
    #[derive(Clone, Default)]
    pub struct Cpu {
        gicr_typer: u64,
        gicr_ctlr: u32,
        gicr_statusr: u32,
        gicr_waker: u32,
        gicr_propbaser: u64,
        gicr_pendbaser: u64,
        gicr_igroupr0: u32,
        gicr_ienabler0: u32,
        gicr_ipendr0: u32,
        gicr_iactiver0: u32,
        edge_trigger: u32,
        level: u32,
        gicr_ipriorityr: [u8; GIC_INTERNAL],
        icc_sre_el1: u64,
        icc_ctlr_el1: u64,
        /// Group 0 and group 1 non-secure.
        icc_igrpen: [u64; 2],
        icc_pmr_el1: u64,
        icc_bpr: [u64; 2],
        icc_apr: [[u64; 4]; 2],
    }

    /// `GICv3State`: bitmaps of 32 interrupts per word, indexed by interrupt id.
    #[derive(Clone)]
    pub struct Gic {
        gicd_ctlr: u32,
        gicd_statusr: u32,
        group: Vec<u32>,
        enabled: Vec<u32>,
        pending: Vec<u32>,
        active: Vec<u32>,
        level: Vec<u32>,
        edge_trigger: Vec<u32>,
        gicd_ipriority: Vec<u8>,
        gicd_irouter: Vec<u64>,
        cpu: Vec<Cpu>,
    }

    /// `KVM_VGIC_ATTR()`: the MPIDR half of QEMU's own `gicr_typer`, and the offset.
    fn at(reg: u64, typer: u64) -> u64 {
        (typer & MPIDR_MASK) | reg
    }

    /// The even bits of `x`, packed into 16 bits (QEMU's `half_unshuffle32()`).
    pub(super) fn pack_even(x: u32) -> u32 {
        (0..16).fold(0, |v, i| v | ((x >> (2 * i)) & 1) << i)
    }

    /// The low 16 bits of `x`, spread to the even bits (QEMU's `half_shuffle32()`).
    pub(super) fn spread_even(x: u32) -> u32 {
        (0..16).fold(0, |v, i| v | ((x >> i) & 1) << (2 * i))
    }

    impl Gic {
        /// `arm_gicv3_common_realize()` and `arm_gicv3_common_reset_hold()` for 2 vCPUs in one
        /// redistributor region, without security extensions or LPIs: `gicr_typer` from the
        /// vCPU's affinity, processor number, `Last` on the last.
        pub fn reset() -> Self {
            let cpu = (0..2)
                .map(|i| Cpu {
                    gicr_typer: mpidr(i) << 32 | 1 << 24 | (i as u64) << 8 | u64::from(i == 1) << 4,
                    gicr_waker: 0x6,
                    edge_trigger: 0xffff,
                    icc_sre_el1: 0x7,
                    ..Cpu::default()
                })
                .collect();
            let words = NUM_IRQ / 32;
            Self {
                gicd_ctlr: 0x50,
                gicd_statusr: 0,
                group: vec![0; words],
                enabled: vec![0; words],
                pending: vec![0; words],
                active: vec![0; words],
                level: vec![0; words],
                edge_trigger: vec![0; words],
                gicd_ipriority: vec![0; NUM_IRQ],
                gicd_irouter: vec![0; NUM_IRQ],
                cpu,
            }
        }
    }

    /// `kvm_arm_gicv3_realize()`, then `kvm_arm_machine_init_done()`'s addresses: as
    /// `qemu_order` in tests/vgic.rs, without the probes.
    pub fn machine(kvm: &Kvm) -> Machine {
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpus = arm64::create_vcpus(&vm, 2);
        step(
            arm64::init_vcpus(&vm, &vcpus).map(|_| None),
            "KVM_ARM_VCPU_INIT",
        );
        let gic = create_device(&vm, V3).expect("create the GICv3");
        step(
            has(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION),
            "has ADDR REDIST_REGION",
        );
        // CAST: 288.
        step(set_u32(&gic, GRP_NR_IRQS, 0, NUM_IRQ as u32), "set NR_IRQS");
        step(set_ctrl(&gic, CTRL_INIT), "set CTRL INIT");
        step(
            set_u64(
                &gic,
                GRP_ADDR,
                ADDR_V3_REDIST_REGION,
                VIRT_GIC_REDIST | 2 << 52,
            ),
            "set ADDR REDIST_REGION",
        );
        step(
            set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, VIRT_GIC_DIST),
            "set ADDR DIST",
        );
        step(
            has(&gic, GRP_DIST_REGS, GICD_CTLR),
            "has DIST_REGS GICD_CTLR",
        );
        step(
            has(&gic, GRP_CTRL, CTRL_SAVE_PENDING_TABLES),
            "has CTRL SAVE_PENDING_TABLES",
        );
        Machine {
            _vm: vm,
            _vcpus: vcpus,
            gic,
            _its: None,
        }
    }

    /// `kvm_arm_gicv3_check()`: the kernel has at least QEMU's interrupts.
    fn check(io: &mut Io) {
        let typer = io.get32(DIST, GICD_TYPER);
        let num_irq = ((typer & 0x1f) as usize + 1) * 32;
        assert!(
            num_irq >= NUM_IRQ,
            "QEMU: the kernel supports {num_irq} interrupts"
        );
    }

    /// `GICR_TYPER` of vCPU 0, read to learn whether LPIs are there.
    fn redist_typer(io: &mut Io, st: &Gic) -> u64 {
        let typer = st.cpu[0].gicr_typer;
        let lo = io.get32(REDIST, at(GICR_TYPER, typer));
        let hi = io.get32(REDIST, at(GICR_TYPER + 4, typer));
        u64::from(hi) << 32 | u64::from(lo)
    }

    /// The `APnR` registers `kvm_arm_gicv3_get()`/`put()` access: from 3 down with 7 priority
    /// bits, 1 and 0 with 6, 0 otherwise.
    fn aprs(ctlr: u64) -> &'static [usize] {
        match pri_bits(ctlr) {
            7 => &[3, 2, 1, 0],
            6 => &[1, 0],
            _ => &[0],
        }
    }

    /// `kvm_dist_getbmp()`: the 32-interrupt registers from `offset`, skipping the first.
    fn getbmp(io: &mut Io, offset: u64, bmp: &mut [u32]) {
        for irq in (GIC_INTERNAL..NUM_IRQ).step_by(32) {
            bmp[irq / 32] = io.get32(DIST, offset + irq as u64 / 8);
        }
    }

    /// `kvm_dist_putbmp()`: for a set/clear pair, 0 (not ~0) to the clear register first.
    fn putbmp(io: &mut Io, offset: u64, clroffset: Option<u64>, bmp: &[u32]) {
        for irq in (GIC_INTERNAL..NUM_IRQ).step_by(32) {
            if let Some(clr) = clroffset {
                io.set32(DIST, clr + irq as u64 / 8, 0);
            }
            io.set32(DIST, offset + irq as u64 / 8, bmp[irq / 32]);
        }
    }

    /// `kvm_arm_gicv3_get()`.
    pub fn get(io: &mut Io, st: &mut Gic) {
        check(io);
        let typer = redist_typer(io, st);
        st.gicd_ctlr = io.get32(DIST, GICD_CTLR);
        for c in &mut st.cpu {
            let t = c.gicr_typer;
            c.gicr_ctlr = io.get32(REDIST, at(GICR_CTLR, t));
            c.gicr_statusr = io.get32(REDIST, at(GICR_STATUSR, t));
            c.gicr_waker = io.get32(REDIST, at(GICR_WAKER, t));
            c.gicr_igroupr0 = io.get32(REDIST, at(GICR_IGROUPR0, t));
            c.gicr_ienabler0 = io.get32(REDIST, at(GICR_ISENABLER0, t));
            c.edge_trigger = pack_even(io.get32(REDIST, at(GICR_ICFGR1, t)) >> 1) << 16;
            c.level = io.get32(LEVEL, at(0, t));
            c.gicr_ipendr0 = io.get32(REDIST, at(GICR_ISPENDR0, t));
            c.gicr_iactiver0 = io.get32(REDIST, at(GICR_ISACTIVER0, t));
            for i in (0..GIC_INTERNAL).step_by(4) {
                let reg = io.get32(REDIST, at(GICR_IPRIORITYR0 + i as u64, t));
                c.gicr_ipriorityr[i..i + 4].copy_from_slice(&reg.to_le_bytes());
            }
        }
        if typer & GICR_TYPER_PLPIS != 0 {
            for c in &mut st.cpu {
                let t = c.gicr_typer;
                let lo = io.get32(REDIST, at(GICR_PROPBASER, t));
                let hi = io.get32(REDIST, at(GICR_PROPBASER + 4, t));
                c.gicr_propbaser = u64::from(hi) << 32 | u64::from(lo);
                let lo = io.get32(REDIST, at(GICR_PENDBASER, t));
                let hi = io.get32(REDIST, at(GICR_PENDBASER + 4, t));
                c.gicr_pendbaser = u64::from(hi) << 32 | u64::from(lo);
            }
        }
        st.gicd_statusr = io.get32(DIST, GICD_STATUSR);
        getbmp(io, GICD_IGROUPR, &mut st.group);
        getbmp(io, GICD_ISENABLER, &mut st.enabled);
        // kvm_gic_get_line_level_bmp(), through vCPU 0.
        let t0 = st.cpu[0].gicr_typer;
        for irq in (GIC_INTERNAL..NUM_IRQ).step_by(32) {
            st.level[irq / 32] = io.get32(LEVEL, at(irq as u64, t0));
        }
        getbmp(io, GICD_ISPENDR, &mut st.pending);
        getbmp(io, GICD_ISACTIVER, &mut st.active);
        // kvm_dist_get_edge_trigger(): ORed into the bitmap, which is never cleared.
        for irq in (GIC_INTERNAL..NUM_IRQ).step_by(16) {
            let mut bits = pack_even(io.get32(DIST, GICD_ICFGR + irq as u64 / 4) >> 1);
            if irq % 32 != 0 {
                bits <<= 16;
            }
            st.edge_trigger[irq / 32] |= bits;
        }
        // kvm_dist_get_priority().
        for irq in (GIC_INTERNAL..NUM_IRQ).step_by(4) {
            let reg = io.get32(DIST, GICD_IPRIORITYR + irq as u64);
            st.gicd_ipriority[irq..irq + 4].copy_from_slice(&reg.to_le_bytes());
        }
        // GICD_IROUTER + 4 * irq: QEMU's stride is that of a u32.
        for irq in GIC_INTERNAL..NUM_IRQ {
            let offset = GICD_IROUTER + 4 * irq as u64;
            let lo = io.get32(DIST, offset);
            let hi = io.get32(DIST, offset + 4);
            st.gicd_irouter[irq] = u64::from(hi) << 32 | u64::from(lo);
        }
        for c in &mut st.cpu {
            let t = c.gicr_typer;
            c.icc_sre_el1 = io.get64(SYSREGS, at(ICC_SRE, t));
            c.icc_ctlr_el1 = io.get64(SYSREGS, at(ICC_CTLR, t));
            c.icc_igrpen[0] = io.get64(SYSREGS, at(ICC_IGRPEN0, t));
            c.icc_igrpen[1] = io.get64(SYSREGS, at(ICC_IGRPEN1, t));
            c.icc_pmr_el1 = io.get64(SYSREGS, at(ICC_PMR, t));
            c.icc_bpr[0] = io.get64(SYSREGS, at(ICC_BPR0, t));
            c.icc_bpr[1] = io.get64(SYSREGS, at(ICC_BPR1, t));
            for &n in aprs(c.icc_ctlr_el1) {
                c.icc_apr[0][n] = io.get64(SYSREGS, at(icc_ap0r(n as u64), t));
            }
            for &n in aprs(c.icc_ctlr_el1) {
                c.icc_apr[1][n] = io.get64(SYSREGS, at(icc_ap1r(n as u64), t));
            }
        }
    }

    /// `kvm_arm_gicv3_put()`.
    pub fn put(io: &mut Io, st: &Gic) {
        check(io);
        let typer = redist_typer(io, st);
        io.set32(DIST, GICD_CTLR, st.gicd_ctlr);
        if typer & GICR_TYPER_PLPIS != 0 {
            for c in &st.cpu {
                let t = c.gicr_typer;
                // CAST: the halves of the 64-bit registers.
                io.set32(REDIST, at(GICR_PROPBASER, t), c.gicr_propbaser as u32);
                io.set32(
                    REDIST,
                    at(GICR_PROPBASER + 4, t),
                    (c.gicr_propbaser >> 32) as u32,
                );
                io.set32(REDIST, at(GICR_PENDBASER, t), c.gicr_pendbaser as u32);
                io.set32(
                    REDIST,
                    at(GICR_PENDBASER + 4, t),
                    (c.gicr_pendbaser >> 32) as u32,
                );
            }
        }
        for c in &st.cpu {
            let t = c.gicr_typer;
            io.set32(REDIST, at(GICR_CTLR, t), c.gicr_ctlr);
            io.set32(REDIST, at(GICR_STATUSR, t), c.gicr_statusr);
            io.set32(REDIST, at(GICR_WAKER, t), c.gicr_waker);
            io.set32(REDIST, at(GICR_IGROUPR0, t), c.gicr_igroupr0);
            io.set32(REDIST, at(GICR_ICENABLER0, t), !0);
            io.set32(REDIST, at(GICR_ISENABLER0, t), c.gicr_ienabler0);
            // "Restore config before pending so we treat level/edge correctly".
            io.set32(
                REDIST,
                at(GICR_ICFGR1, t),
                spread_even(c.edge_trigger >> 16) << 1,
            );
            io.set32(LEVEL, at(0, t), c.level);
            io.set32(REDIST, at(GICR_ICPENDR0, t), !0);
            io.set32(REDIST, at(GICR_ISPENDR0, t), c.gicr_ipendr0);
            io.set32(REDIST, at(GICR_ICACTIVER0, t), !0);
            io.set32(REDIST, at(GICR_ISACTIVER0, t), c.gicr_iactiver0);
            for i in (0..GIC_INTERNAL).step_by(4) {
                let mut b = [0u8; 4];
                b.copy_from_slice(&c.gicr_ipriorityr[i..i + 4]);
                io.set32(
                    REDIST,
                    at(GICR_IPRIORITYR0 + i as u64, t),
                    u32::from_le_bytes(b),
                );
            }
        }
        io.set32(DIST, GICD_STATUSR, st.gicd_statusr);
        putbmp(io, GICD_ISENABLER, Some(GICD_ICENABLER), &st.enabled);
        putbmp(io, GICD_IGROUPR, None, &st.group);
        for irq in GIC_INTERNAL..NUM_IRQ {
            let offset = GICD_IROUTER + 4 * irq as u64;
            // CAST: the halves of the 64-bit register.
            io.set32(DIST, offset, st.gicd_irouter[irq] as u32);
            io.set32(DIST, offset + 4, (st.gicd_irouter[irq] >> 32) as u32);
        }
        // kvm_dist_put_edge_trigger().
        for irq in (GIC_INTERNAL..NUM_IRQ).step_by(16) {
            let word = st.edge_trigger[irq / 32];
            let bits = if irq % 32 != 0 {
                word >> 16
            } else {
                word & 0xffff
            };
            io.set32(DIST, GICD_ICFGR + irq as u64 / 4, spread_even(bits) << 1);
        }
        // kvm_gic_put_line_level_bmp().
        let t0 = st.cpu[0].gicr_typer;
        for irq in (GIC_INTERNAL..NUM_IRQ).step_by(32) {
            io.set32(LEVEL, at(irq as u64, t0), st.level[irq / 32]);
        }
        putbmp(io, GICD_ISPENDR, Some(GICD_ICPENDR), &st.pending);
        putbmp(io, GICD_ISACTIVER, Some(GICD_ICACTIVER), &st.active);
        // kvm_dist_put_priority().
        for irq in (GIC_INTERNAL..NUM_IRQ).step_by(4) {
            let mut b = [0u8; 4];
            b.copy_from_slice(&st.gicd_ipriority[irq..irq + 4]);
            io.set32(DIST, GICD_IPRIORITYR + irq as u64, u32::from_le_bytes(b));
        }
        for c in &st.cpu {
            let t = c.gicr_typer;
            io.set64(SYSREGS, at(ICC_SRE, t), c.icc_sre_el1);
            io.set64(SYSREGS, at(ICC_CTLR, t), c.icc_ctlr_el1);
            io.set64(SYSREGS, at(ICC_IGRPEN0, t), c.icc_igrpen[0]);
            io.set64(SYSREGS, at(ICC_IGRPEN1, t), c.icc_igrpen[1]);
            io.set64(SYSREGS, at(ICC_PMR, t), c.icc_pmr_el1);
            io.set64(SYSREGS, at(ICC_BPR0, t), c.icc_bpr[0]);
            io.set64(SYSREGS, at(ICC_BPR1, t), c.icc_bpr[1]);
            for &n in aprs(c.icc_ctlr_el1) {
                io.set64(SYSREGS, at(icc_ap0r(n as u64), t), c.icc_apr[0][n]);
            }
            for &n in aprs(c.icc_ctlr_el1) {
                io.set64(SYSREGS, at(icc_ap1r(n as u64), t), c.icc_apr[1][n]);
            }
        }
    }
}

/// QEMU: `kvm_arm_gicv3_get()` as the migration's `pre_save` (after the stop handler's
/// `SAVE_PENDING_TABLES`), `kvm_arm_gicv3_put()` as the destination's `post_load`.
struct Qemu;

impl Client for Qemu {
    type State = qemu::Gic;
    const NAME: &'static str = "QEMU";

    fn machine(kvm: &Kvm) -> Machine {
        qemu::machine(kvm)
    }

    fn initial() -> qemu::Gic {
        qemu::Gic::reset()
    }

    fn save(io: &mut Io, st: &mut qemu::Gic) {
        // vm_change_state_handler(), when the VM stops.
        if let Err(e) = set_ctrl(io.gic, CTRL_SAVE_PENDING_TABLES) {
            io.stop("set", GRP_CTRL, CTRL_SAVE_PENDING_TABLES, e);
        }
        qemu::get(io, st);
    }

    fn restore(io: &mut Io, st: &qemu::Gic) {
        qemu::put(io, st);
    }

    // QEMU reads only the set registers of set/clear pairs, not GICR_ICFGR0 (the SGIs'), and
    // the table bases only with GICR_TYPER.PLPIS, which a GIC without an ITS does not set
    // (vgic_mmio_read_v3r_typer()).
    const NOT_SAVED: &'static [(u32, u64)] = &[
        (DIST, 0x0184),
        (DIST, 0x018c),
        (DIST, 0x0284),
        (DIST, 0x0384),
        (REDIST, rd(0, GICR_ICENABLER0)),
        (REDIST, rd(0, GICR_ICPENDR0)),
        (REDIST, rd(0, GICR_ICACTIVER0)),
        (REDIST, rd(0, GICR_ICFGR0)),
        (REDIST, rd(0, 0x70)),
        (REDIST, rd(0, 0x74)),
        (REDIST, rd(0, 0x78)),
        (REDIST, rd(0, 0x7c)),
        (REDIST, rd(1, 0x70)),
        (REDIST, rd(1, 0x78)),
        (REDIST, rd(1, GICR_ICENABLER0)),
        (REDIST, rd(1, GICR_ICACTIVER0)),
    ];

    const ROUND_TRIP_1: &'static [Diff] = &[];

    // The OR into edge_trigger: the restored VM's QEMU still holds SPI 32 as edge-triggered
    // from the migration that created it, and puts it so.
    const ROUND_TRIP_2: &'static [Diff] = &[(DIST, 0x0c08, 0xaaaa_aaa8, 0xaaaa_aaaa)];

    /// Routes SPIs 143, 144, 145 and 200 to vCPU 1, around the end of what QEMU's stride-4
    /// loop reaches: `GICD_IROUTER + 4 * 287 + 4` is `GICD_IROUTER144`'s low word.
    fn extra_state(s: &mut Steps, src: &DeviceFd) {
        for spi in [143u64, 144, 145, 200] {
            s.expect(
                &format!("QEMU: set DIST_REGS GICD_IROUTER{spi}.lo 1"),
                set_u32(src, DIST, GICD_IROUTER + 8 * spi, 1),
                Ok(None),
            );
        }
    }

    fn check_losses(s: &mut Steps, src: &DeviceFd, dst: &DeviceFd) {
        for (spi, carried) in [(143u64, true), (144, true), (145, false), (200, false)] {
            let off = GICD_IROUTER + 8 * spi;
            s.expect(
                &format!("QEMU source: GICD_IROUTER{spi}.lo"),
                get_u32(src, DIST, off),
                Ok(Some(1)),
            );
            s.expect(
                &format!("QEMU round trip 1: GICD_IROUTER{spi}.lo"),
                get_u32(dst, DIST, off),
                Ok(Some(u64::from(carried))),
            );
        }
        // The table bases stay at their reset values (vgic_v3_reset(), kvm_vgic_dist_init()).
        s.expect(
            "QEMU round trip 1: get REDIST_REGS mpidr=0x0 GICR_PROPBASER.lo",
            get_u32(dst, REDIST, rd(0, GICR_PROPBASER)),
            Ok(Some(0)),
        );
        s.golden(
            "writes: REDIST_REGS",
            "get REDIST_REGS mpidr=0x1 0x00078 GICR_PENDBASER.lo => 0 0x00000580",
            get_u32(dst, REDIST, rd(1, GICR_PENDBASER)),
        );
    }
}

/// Firecracker, `src/vmm/src/arch/aarch64/gic/gicv3/`.
mod firecracker {
    use super::*;

    /// `layout::IRQ_MAX`.
    pub const IRQ_MAX: u64 = 128;
    /// `IRQ_BASE`.
    const IRQ_BASE: u64 = 32;
    /// `layout::MAPPED_IO_START`.
    const MAPPED_IO_START: u64 = 1 << 30;

    /// `DistReg`: a simple register (offset, bytes) or one of `bits` per interrupt.
    #[derive(Clone, Copy)]
    enum DistReg {
        Simple(u64, u64),
        SharedIrq(u64, u64),
    }

    /// `MmioReg::range()`: a shared register from `IRQ_BASE` to `IRQ_MAX`.
    fn range(r: DistReg) -> std::ops::Range<u64> {
        match r {
            DistReg::Simple(offset, size) => offset..offset + size,
            DistReg::SharedIrq(offset, bits) => {
                let start = offset + IRQ_BASE * bits / 8;
                let size_in_bits = bits * (IRQ_MAX - IRQ_BASE);
                start..start + size_in_bits.div_ceil(8)
            }
        }
    }

    /// `VGIC_DIST_REGS`, "order taken from qemu".
    const VGIC_DIST_REGS: [DistReg; 12] = [
        DistReg::Simple(GICD_CTLR, 4),
        DistReg::Simple(GICD_STATUSR, 4),
        DistReg::SharedIrq(GICD_ICENABLER, 1),
        DistReg::SharedIrq(GICD_ISENABLER, 1),
        DistReg::SharedIrq(GICD_IGROUPR, 1),
        DistReg::SharedIrq(GICD_IROUTER, 64),
        DistReg::SharedIrq(GICD_ICFGR, 2),
        DistReg::SharedIrq(GICD_ICPENDR, 1),
        DistReg::SharedIrq(GICD_ISPENDR, 1),
        DistReg::SharedIrq(GICD_ICACTIVER, 1),
        DistReg::SharedIrq(GICD_ISACTIVER, 1),
        DistReg::SharedIrq(GICD_IPRIORITYR, 8),
    ];

    /// `VGIC_RDIST_REGS` then `VGIC_SGI_REGS`: (offset, bytes).
    const REDIST_REGS: [(u64, u64); 14] = [
        (GICR_CTLR, 4),
        (GICR_STATUSR, 4),
        (GICR_WAKER, 4),
        (GICR_PROPBASER, 8),
        (GICR_PENDBASER, 8),
        (GICR_IGROUPR0, 4),
        (GICR_ICENABLER0, 4),
        (GICR_ISENABLER0, 4),
        (GICR_ICFGR0, 8),
        (GICR_ICPENDR0, 4),
        (GICR_ISPENDR0, 4),
        (GICR_ICACTIVER0, 4),
        (GICR_ISACTIVER0, 4),
        (GICR_IPRIORITYR0, 32),
    ];

    /// `MAIN_VGIC_ICC_REGS`.
    const MAIN_VGIC_ICC_REGS: [u64; 7] = [
        ICC_SRE,
        ICC_CTLR,
        ICC_IGRPEN0,
        ICC_IGRPEN1,
        ICC_PMR,
        ICC_BPR0,
        ICC_BPR1,
    ];

    /// `AP_VGIC_ICC_REGS`.
    const AP_VGIC_ICC_REGS: [u64; 8] = [
        icc_ap0r(0),
        icc_ap0r(1),
        icc_ap0r(2),
        icc_ap0r(3),
        icc_ap1r(0),
        icc_ap1r(1),
        icc_ap1r(2),
        icc_ap1r(3),
    ];

    /// `is_ap_reg_available()`: `APnR1` from 6 priority bits, `APnR2`/`3` with 7.
    fn is_ap_reg_available(reg: u64, num_priority_bits: u64) -> bool {
        let n = reg & 3;
        !(n == 1 && num_priority_bits < 6 || n >= 2 && num_priority_bits != 7)
    }

    /// `GicVcpuState`.
    #[derive(Clone, Default)]
    pub struct Vcpu {
        rdist: Vec<Vec<u32>>,
        main_icc_regs: Vec<u64>,
        ap_icc_regs: Vec<Option<u64>>,
    }

    /// `GicState`.
    #[derive(Clone, Default)]
    pub struct State {
        dist: Vec<Vec<u32>>,
        gic_vcpu_states: Vec<Vcpu>,
    }

    /// `construct_kvm_mpidrs()` of the vCPUs' `MPIDR_EL1` (`1 << 31 | Aff0`,
    /// `kvm_calculate_mpidr()`): Aff3 and Aff2.Aff1.Aff0 packed into bits 63:32.
    pub fn mpidrs() -> Vec<u64> {
        (0..2)
            .map(|i| {
                let reg = 1 << 31 | mpidr(i);
                let cpu_affid = ((reg & 0xff_0000_0000) >> 8) | (reg & 0xff_ffff);
                cpu_affid << 32
            })
            .collect()
    }

    /// `GICv3::create()`, with the vCPUs created before and initialised after it: as
    /// `firecracker_order` in tests/vgic.rs.
    pub fn machine(kvm: &Kvm) -> Machine {
        let dist = MAPPED_IO_START - V3_DIST_SIZE;
        let redists = dist - 2 * V3_REDIST_SIZE;
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpus = arm64::create_vcpus(&vm, 2);
        let gic = create_device(&vm, V3).expect("create the GICv3");
        step(set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, dist), "set ADDR DIST");
        step(
            set_u64(&gic, GRP_ADDR, ADDR_V3_REDIST, redists),
            "set ADDR REDIST",
        );
        // CAST: 128.
        step(set_u32(&gic, GRP_NR_IRQS, 0, IRQ_MAX as u32), "set NR_IRQS");
        step(set_ctrl(&gic, CTRL_INIT), "set CTRL INIT");
        step(
            arm64::init_vcpus(&vm, &vcpus).map(|_| None),
            "KVM_ARM_VCPU_INIT",
        );
        Machine {
            _vm: vm,
            _vcpus: vcpus,
            gic,
            _its: None,
        }
    }

    /// `VgicRegEngine::get_reg_data()` of a u32 register over `range`.
    fn get_chunks(io: &mut Io, group: u32, mpidr: u64, range: std::ops::Range<u64>) -> Vec<u32> {
        range
            .step_by(4)
            .map(|offset| io.get32(group, (mpidr & MPIDR_MASK) | offset))
            .collect()
    }

    /// `VgicRegEngine::set_reg_data()` of a u32 register over `range`.
    fn set_chunks(io: &mut Io, group: u32, mpidr: u64, range: std::ops::Range<u64>, data: &[u32]) {
        for (offset, val) in range.step_by(4).zip(data) {
            io.set32(group, (mpidr & MPIDR_MASK) | offset, *val);
        }
    }

    /// `num_priority_bits()`: `ICC_CTLR_EL1` read back from KVM.
    fn num_priority_bits(io: &mut Io, mpidr: u64) -> u64 {
        pri_bits(io.get64(SYSREGS, (mpidr & MPIDR_MASK) | ICC_CTLR))
    }

    /// `save_state()`.
    pub fn save_state(io: &mut Io, mpidrs: &[u64]) -> State {
        // save_pending_tables().
        if let Err(e) = set_ctrl(io.gic, CTRL_SAVE_PENDING_TABLES) {
            io.stop("set", GRP_CTRL, CTRL_SAVE_PENDING_TABLES, e);
        }
        let mut gic_vcpu_states = Vec::new();
        for &m in mpidrs {
            let rdist = REDIST_REGS
                .iter()
                .map(|&(offset, size)| get_chunks(io, REDIST, m, offset..offset + size))
                .collect();
            let main_icc_regs = MAIN_VGIC_ICC_REGS
                .iter()
                .map(|&r| io.get64(SYSREGS, (m & MPIDR_MASK) | r))
                .collect();
            let bits = num_priority_bits(io, m);
            let ap_icc_regs = AP_VGIC_ICC_REGS
                .iter()
                .map(|&r| {
                    is_ap_reg_available(r, bits).then(|| io.get64(SYSREGS, (m & MPIDR_MASK) | r))
                })
                .collect();
            gic_vcpu_states.push(Vcpu {
                rdist,
                main_icc_regs,
                ap_icc_regs,
            });
        }
        let dist = VGIC_DIST_REGS
            .iter()
            .map(|&r| get_chunks(io, DIST, 0, range(r)))
            .collect();
        State {
            dist,
            gic_vcpu_states,
        }
    }

    /// `restore_state()`.
    pub fn restore_state(io: &mut Io, mpidrs: &[u64], state: &State) {
        for (&r, data) in VGIC_DIST_REGS.iter().zip(&state.dist) {
            set_chunks(io, DIST, 0, range(r), data);
        }
        assert_eq!(
            mpidrs.len(),
            state.gic_vcpu_states.len(),
            "InconsistentVcpuCount"
        );
        for (&m, v) in mpidrs.iter().zip(&state.gic_vcpu_states) {
            for (&(offset, size), data) in REDIST_REGS.iter().zip(&v.rdist) {
                set_chunks(io, REDIST, m, offset..offset + size, data);
            }
            for (&r, &val) in MAIN_VGIC_ICC_REGS.iter().zip(&v.main_icc_regs) {
                io.set64(SYSREGS, (m & MPIDR_MASK) | r, val);
            }
            let bits = num_priority_bits(io, m);
            for (&r, val) in AP_VGIC_ICC_REGS.iter().zip(&v.ap_icc_regs) {
                assert_eq!(
                    is_ap_reg_available(r, bits),
                    val.is_some(),
                    "InvalidVgicSysRegState"
                );
                if let Some(val) = val {
                    io.set64(SYSREGS, (m & MPIDR_MASK) | r, *val);
                }
            }
        }
    }
}

/// The registers of [`MEANING`] neither Firecracker nor Cloud Hypervisor saves: no
/// `LEVEL_INFO` at all.
const NO_LEVEL_INFO: &[(u32, u64)] = &[
    (LEVEL, lvl(0, 32)),
    (LEVEL, lvl(0, 96)),
    (LEVEL, lvl(0, 0)),
    (LEVEL, lvl(1, 0)),
];

/// Restoring `GICR_ICENABLER0` with the saved enabled bits cannot disable vCPU 0's SGI 0, which
/// a new vCPU has enabled.
const SGI0_ENABLED_AGAIN: &[Diff] = &[
    (REDIST, rd(0, GICR_ISENABLER0), 0x8000_fffe, 0x8000_ffff),
    (REDIST, rd(0, GICR_ICENABLER0), 0x8000_fffe, 0x8000_ffff),
];

/// The line levels Firecracker and Cloud Hypervisor leave behind: none is restored.
fn check_no_levels(s: &mut Steps, who: &str, src: &DeviceFd, dst: &DeviceFd) {
    for (a, was) in [
        (lvl(0, 0), 0xffff_0000),
        (lvl(0, 32), 0xffff_0000),
        (lvl(1, 0), 0x8001_0000),
    ] {
        let d = desc(LEVEL, a);
        s.expect(
            &format!("{who} source: get {d}"),
            get_u32(src, LEVEL, a),
            Ok(Some(was)),
        );
        s.expect(
            &format!("{who} round trip 1: get {d}"),
            get_u32(dst, LEVEL, a),
            Ok(Some(0)),
        );
    }
}

/// Firecracker: `GICv3::save_device()` and `restore_device()` with `construct_kvm_mpidrs()`.
struct Firecracker;

impl Client for Firecracker {
    type State = firecracker::State;
    const NAME: &'static str = "Firecracker";

    fn machine(kvm: &Kvm) -> Machine {
        firecracker::machine(kvm)
    }

    fn initial() -> firecracker::State {
        firecracker::State::default()
    }

    fn save(io: &mut Io, st: &mut firecracker::State) {
        *st = firecracker::save_state(io, &firecracker::mpidrs());
    }

    fn restore(io: &mut Io, st: &firecracker::State) {
        firecracker::restore_state(io, &firecracker::mpidrs(), st);
    }

    const NOT_SAVED: &'static [(u32, u64)] = NO_LEVEL_INFO;
    const ROUND_TRIP_1: &'static [Diff] = SGI0_ENABLED_AGAIN;
    const ROUND_TRIP_2: &'static [Diff] = &[];

    fn check_losses(s: &mut Steps, src: &DeviceFd, dst: &DeviceFd) {
        check_no_levels(s, Self::NAME, src, dst);
    }
}

/// Cloud Hypervisor, `hypervisor/src/kvm/aarch64/gic/`.
mod cloud_hypervisor {
    use super::*;

    /// `layout::IRQ_NUM`.
    pub const IRQ_NUM: u32 = 256;
    /// `layout::MAPPED_IO_START`.
    const MAPPED_IO_START: u64 = 0x0900_0000;
    /// `LAYOUT_IRQ_BASE` of `compute_reg_len()`.
    const LAYOUT_IRQ_BASE: u64 = 32;

    /// `VGIC_DIST_REGS`, "order taken from qemu": `DistReg`s as (base, bits per interrupt,
    /// length).
    const VGIC_DIST_REGS: [(u64, u64, u64); 11] = [
        (GICD_STATUSR, 0, 4),
        (GICD_ICENABLER, 1, 0),
        (GICD_ISENABLER, 1, 0),
        (GICD_IGROUPR, 1, 0),
        (GICD_IROUTER, 64, 0),
        (GICD_ICFGR, 2, 0),
        (GICD_ICPENDR, 1, 0),
        (GICD_ISPENDR, 1, 0),
        (GICD_ICACTIVER, 1, 0),
        (GICD_ISACTIVER, 1, 0),
        (GICD_IPRIORITYR, 8, 0),
    ];

    /// `VGIC_RDIST_REGS`: (base, length).
    const VGIC_RDIST_REGS: [(u64, u64); 5] = [
        (GICR_STATUSR, 4),
        (GICR_WAKER, 4),
        (GICR_PROPBASER, 8),
        (GICR_PENDBASER, 8),
        (GICR_CTLR, 4),
    ];

    /// `VGIC_SGI_REGS`: (base, length).
    const VGIC_SGI_REGS: [(u64, u64); 9] = [
        (GICR_IGROUPR0, 4),
        (GICR_ICENABLER0, 4),
        (GICR_ISENABLER0, 4),
        (GICR_ICFGR0, 8),
        (GICR_ICPENDR0, 4),
        (GICR_ISPENDR0, 4),
        (GICR_ICACTIVER0, 4),
        (GICR_ISACTIVER0, 4),
        (GICR_IPRIORITYR0, 32),
    ];

    /// `VGIC_ICC_REGS`.
    const VGIC_ICC_REGS: [u64; 15] = [
        ICC_SRE,
        ICC_CTLR,
        ICC_IGRPEN0,
        ICC_IGRPEN1,
        ICC_PMR,
        ICC_BPR0,
        ICC_BPR1,
        icc_ap0r(0),
        icc_ap0r(1),
        icc_ap0r(2),
        icc_ap0r(3),
        icc_ap1r(0),
        icc_ap1r(1),
        icc_ap1r(2),
        icc_ap1r(3),
    ];

    /// `Gicv3ItsState` without its ITS registers.
    #[derive(Clone, Default)]
    pub struct State {
        dist: Vec<u32>,
        rdist: Vec<u32>,
        icc: Vec<u32>,
        gicd_ctlr: u32,
    }

    /// `construct_gicr_typers()` of the vCPUs' `MPIDR_EL1` (`1 << 31 | Aff0`): affinity in
    /// 63:32, `CommonLPIAff` 1, the processor number, `Last` on the last vCPU.
    pub fn gicr_typers() -> Vec<u64> {
        (0..2)
            .map(|index| {
                let reg = 1u64 << 31 | mpidr(index);
                let mut cpu_affid = reg & 0xff_00ff_ffff;
                cpu_affid = ((cpu_affid & 0xff_0000_0000) >> 8) | (cpu_affid & 0xff_ffff);
                let last = u64::from(index == 1);
                cpu_affid << 32 | 1 << 24 | (index as u64) << 8 | last << 4
            })
            .collect()
    }

    /// `KvmGicV3Its::new()` after the vCPUs are created and initialised: as
    /// `cloud_hypervisor_order` in tests/vgic.rs, with the ITS if the node offers one.
    pub fn machine(kvm: &Kvm) -> Machine {
        let dist = MAPPED_IO_START - V3_DIST_SIZE;
        let redists = dist - 2 * V3_REDIST_SIZE;
        let msi = redists - V3_ITS_SIZE;
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpus = arm64::create_vcpus(&vm, 2);
        step(
            arm64::init_vcpus(&vm, &vcpus).map(|_| None),
            "KVM_ARM_VCPU_INIT",
        );
        let its_offered = create_device_flags(&vm, ITS, KVM_CREATE_DEVICE_TEST).is_ok();
        let gic = create_device(&vm, V3).expect("create the GICv3");
        step(set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, dist), "set ADDR DIST");
        step(
            set_u64(&gic, GRP_ADDR, ADDR_V3_REDIST, redists),
            "set ADDR REDIST",
        );
        let its = its_offered.then(|| {
            let its = create_device(&vm, ITS).expect("create the ITS");
            step(set_u64(&its, GRP_ADDR, ADDR_ITS, msi), "ITS: set ADDR ITS");
            step(set_ctrl(&its, CTRL_INIT), "ITS: set CTRL INIT");
            its
        });
        step(set_u32(&gic, GRP_NR_IRQS, 0, IRQ_NUM), "set NR_IRQS");
        step(set_ctrl(&gic, CTRL_INIT), "set CTRL INIT");
        Machine {
            _vm: vm,
            _vcpus: vcpus,
            gic,
            _its: its,
        }
    }

    /// `get_interrupts_num()`.
    fn get_interrupts_num(io: &mut Io) -> u64 {
        u64::from(io.get32(GRP_NR_IRQS, 0))
    }

    /// The offsets of a distributor register: from `base + 4 * bpi` (the private interrupts
    /// skipped), to `compute_reg_len()`'s end.
    fn dist_offsets(io: &mut Io, (base, bpi, length): (u64, u64, u64)) -> std::ops::Range<u64> {
        let base = base + 4 * bpi;
        let num_irq = get_interrupts_num(io);
        let mut end = base;
        if length > 0 {
            end = base + length;
        }
        if bpi > 0 {
            end = base + bpi * (num_irq - LAYOUT_IRQ_BASE) / 8;
            if !(bpi * (num_irq - LAYOUT_IRQ_BASE)).is_multiple_of(8) {
                end += 4;
            }
        }
        base..end
    }

    /// `get_redist_regs()`: `VGIC_RDIST_REGS` for every vCPU, then `VGIC_SGI_REGS`.
    fn get_redist_regs(io: &mut Io, gicr_typers: &[u64]) -> Vec<u32> {
        let mut state = Vec::new();
        for list in [&VGIC_RDIST_REGS[..], &VGIC_SGI_REGS[..]] {
            for &t in gicr_typers {
                for &(base, length) in list {
                    for offset in (base..base + length).step_by(4) {
                        state.push(io.get32(REDIST, (t & MPIDR_MASK) | offset));
                    }
                }
            }
        }
        state
    }

    /// `set_redist_regs()`.
    fn set_redist_regs(io: &mut Io, gicr_typers: &[u64], state: &[u32]) {
        let mut vals = state.iter();
        for list in [&VGIC_RDIST_REGS[..], &VGIC_SGI_REGS[..]] {
            for &t in gicr_typers {
                for &(base, length) in list {
                    for offset in (base..base + length).step_by(4) {
                        let val = *vals.next().expect("a saved redistributor value");
                        io.set32(REDIST, (t & MPIDR_MASK) | offset, val);
                    }
                }
            }
        }
    }

    /// Whether `get_icc_regs()`/`set_icc_regs()` access `reg` with `num_priority_bits`.
    fn icc_accessed(reg: u64, num_priority_bits: u64) -> bool {
        if reg == icc_ap0r(1) || reg == icc_ap1r(1) {
            num_priority_bits >= 6
        } else if [icc_ap0r(2), icc_ap0r(3), icc_ap1r(2), icc_ap1r(3)].contains(&reg) {
            num_priority_bits == 7
        } else {
            true
        }
    }

    /// `get_icc_regs()`, through `icc_attr_get()`'s `u32`.
    fn get_icc_regs(io: &mut Io, gicr_typers: &[u64]) -> Vec<u32> {
        let mut state = Vec::new();
        let mut num_priority_bits = 0;
        for &t in gicr_typers {
            for &r in &VGIC_ICC_REGS {
                let a = (t & MPIDR_MASK) | r;
                if r == ICC_CTLR {
                    let val = io.get64_into_u32(SYSREGS, a);
                    num_priority_bits = pri_bits(u64::from(val));
                    state.push(val);
                } else if icc_accessed(r, num_priority_bits) {
                    state.push(io.get64_into_u32(SYSREGS, a));
                }
            }
        }
        state
    }

    /// `set_icc_regs()`, through `icc_attr_set()`'s `u32`, the priority bits from the saved
    /// `ICC_CTLR_EL1`.
    fn set_icc_regs(io: &mut Io, gicr_typers: &[u64], state: &[u32]) {
        let mut num_priority_bits = 0;
        let mut idx = 0;
        for &t in gicr_typers {
            for &r in &VGIC_ICC_REGS {
                if r == ICC_CTLR {
                    num_priority_bits = pri_bits(u64::from(state[idx]));
                }
                if icc_accessed(r, num_priority_bits) {
                    io.set64_from_u32(SYSREGS, (t & MPIDR_MASK) | r, state[idx]);
                    idx += 1;
                }
            }
        }
    }

    /// `save_data_tables()` (the pending tables; the ITS tables are the ITS suite's), then
    /// `state()`.
    pub fn state(io: &mut Io, gicr_typers: &[u64]) -> State {
        if let Err(e) = set_ctrl(io.gic, CTRL_SAVE_PENDING_TABLES) {
            io.stop("set", GRP_CTRL, CTRL_SAVE_PENDING_TABLES, e);
        }
        let gicd_ctlr = io.get32(DIST, GICD_CTLR);
        let mut dist = Vec::new();
        for reg in VGIC_DIST_REGS {
            for offset in dist_offsets(io, reg).step_by(4) {
                dist.push(io.get32(DIST, offset));
            }
        }
        let rdist = get_redist_regs(io, gicr_typers);
        let icc = get_icc_regs(io, gicr_typers);
        State {
            dist,
            rdist,
            icc,
            gicd_ctlr,
        }
    }

    /// `set_state()`, without its ITS steps.
    pub fn set_state(io: &mut Io, gicr_typers: &[u64], state: &State) {
        io.set32(DIST, GICD_CTLR, state.gicd_ctlr);
        let mut vals = state.dist.iter();
        for reg in VGIC_DIST_REGS {
            for offset in dist_offsets(io, reg).step_by(4) {
                io.set32(
                    DIST,
                    offset,
                    *vals.next().expect("a saved distributor value"),
                );
            }
        }
        set_redist_regs(io, gicr_typers, &state.rdist);
        set_icc_regs(io, gicr_typers, &state.icc);
    }
}

/// Cloud Hypervisor: `set_gicr_typers()`, `save_data_tables()` and `state()`;
/// `set_gicr_typers()` and `set_state()` on the new VM.
struct CloudHypervisor;

impl Client for CloudHypervisor {
    type State = cloud_hypervisor::State;
    const NAME: &'static str = "Cloud Hypervisor";

    fn machine(kvm: &Kvm) -> Machine {
        cloud_hypervisor::machine(kvm)
    }

    fn initial() -> cloud_hypervisor::State {
        cloud_hypervisor::State::default()
    }

    fn save(io: &mut Io, st: &mut cloud_hypervisor::State) {
        *st = cloud_hypervisor::state(io, &cloud_hypervisor::gicr_typers());
    }

    fn restore(io: &mut Io, st: &cloud_hypervisor::State) {
        cloud_hypervisor::set_state(io, &cloud_hypervisor::gicr_typers(), st);
    }

    const NOT_SAVED: &'static [(u32, u64)] = NO_LEVEL_INFO;
    const ROUND_TRIP_1: &'static [Diff] = SGI0_ENABLED_AGAIN;
    const ROUND_TRIP_2: &'static [Diff] = &[];

    fn check_losses(s: &mut Steps, src: &DeviceFd, dst: &DeviceFd) {
        check_no_levels(s, Self::NAME, src, dst);
    }
}

#[test]
fn qemu_save_restore() {
    round_trips::<Qemu>();
}

#[test]
fn firecracker_save_restore() {
    round_trips::<Firecracker>();
}

#[test]
fn cloud_hypervisor_save_restore() {
    round_trips::<CloudHypervisor>();
}

#[test]
fn helpers() {
    // The parser of the tables, each form once, so that a parse error cannot pass.
    let set = |group, attr, val| Access {
        set: true,
        group,
        attr,
        val,
        want: Ok(None),
    };
    assert_eq!(
        access("W set DIST_REGS 0x0424 GICD_IPRIORITYR9 0x12345678 => 0"),
        set(DIST, 0x424, 0x1234_5678)
    );
    assert_eq!(
        access("K set REDIST_REGS mpidr=0x1 0x10410 GICR_IPRIORITYR4 0x11223344 => 0"),
        set(REDIST, 1 << 32 | 0x10410, 0x1122_3344)
    );
    assert_eq!(
        access("K get LEVEL_INFO mpidr=0x1 info=0 intid=32 => 0 0x80010000"),
        Access {
            set: false,
            group: LEVEL,
            attr: 1 << 32 | 32,
            val: 0,
            want: Ok(Some(0x8001_0000)),
        }
    );
    assert_eq!(
        access("W set CPU_SYSREGS mpidr=0x0 0xc665 ICC_SRE_EL1 0x0000000000000000 => -1 EINVAL"),
        Access {
            want: Err(Errno(libc::EINVAL)),
            ..set(SYSREGS, ICC_SRE, 0)
        }
    );
    for bad in [
        "set DIST_REGS 0x0000 GICD_CTLR 0x00000002 => 0",
        "K set DIST_REGS 0x0000 GICD_CTLR => 0",
        "K get LEVEL_INFO mpidr=0x0 info=1 intid=0 => 0 0x0",
        "W set DIST_REGS 0x0000 GICD_CTLR 0x00000003 => 0",
    ] {
        assert!(
            std::panic::catch_unwind(|| access(bad)).is_err(),
            "accepted: {bad}"
        );
    }
    // The clients' MPIDR attributes of vCPUs 0 and 1.
    assert_eq!(firecracker::mpidrs(), [0, 1 << 32]);
    assert_eq!(
        cloud_hypervisor::gicr_typers(),
        [1 << 24, 1 << 32 | 1 << 24 | 1 << 8 | 1 << 4]
    );
    // The bit shuffles of QEMU's edge bitmaps, each way.
    assert_eq!(qemu::pack_even(0xaaaa_aaa8 >> 1), 0xfffe);
    assert_eq!(qemu::pack_even(0x5555_5555), 0xffff);
    assert_eq!(qemu::spread_even(0xfffe) << 1, 0xaaaa_aaa8);
    assert_eq!(qemu::spread_even(0x1_0001), 0x1);
}
