// SPDX-License-Identifier: GPL-2.0

//! The GICv3 (`KVM_DEV_TYPE_ARM_VGIC_V3`) of the arm64 node as the VMMs that use it most drive
//! it through kvm-ioctls: QEMU, Firecracker and Cloud Hypervisor.
//!
//! C: `arch/arm64/kvm/vgic/vgic-kvm-device.c` (`kvm_vgic_addr()`, `vgic_set_common_attr()`,
//! `vgic_v3_set_attr()`, `vgic_v3_get_attr()`, `vgic_v3_has_attr()`), `vgic-init.c`
//! (`kvm_vgic_create()`, `vgic_init()`), `vgic-mmio-v3.c` (`vgic_v3_alloc_redist_region()`,
//! `vgic_mmio_read_v3_misc()`, `vgic_mmio_read_v3r_typer()`);
//! `Documentation/virt/kvm/devices/arm-vgic-v3.rst`.
//!
//! There is no arm64 KVM in the x86 guest, so unlike the other suites these tests are not
//! differential: they run on `/dev/kvm-devctl-arm64` only, and their reference is the golden
//! transcript real arm64 KVM printed (`selftests/kvm-devctl/vgic/golden/vgic_v3.txt`, embedded
//! at build time). Where an expected result is a golden line, the test quotes the line verbatim
//! ([`Steps::golden`]) and checks that the line is in the section it names; where the golden
//! transcript has no such call (the clients' own addresses and interrupt counts), the comment
//! names the kernel function the value follows and the golden line it extrapolates.
//!
//! The client sequences follow, attribute by attribute and value by value:
//! - QEMU: `kvm_arm_gicv3_realize()` in `hw/intc/arm_gicv3_kvm.c` (create, probe
//!   `REDIST_REGION`, `NR_IRQS`, `CTRL_INIT`, then the addresses, which
//!   `kvm_arm_machine_init_done()` in `target/arm/kvm.c` sets last registered first), with the
//!   `virt` board's layout (`VIRT_GIC_DIST` 0x08000000, `VIRT_GIC_REDIST` 0x080a0000, 256 SPIs).
//! - Firecracker: `GICv3::create()` in `src/vmm/src/arch/aarch64/gic/gicv3/mod.rs` (create,
//!   `DIST`, `REDIST`, `NR_IRQS`, `CTRL_INIT`), the GIC just below `MAPPED_IO_START` (1 GiB),
//!   `IRQ_MAX` 128; the vCPUs are created before the GIC and initialised after it.
//! - Cloud Hypervisor: `KvmGicV3Its::init_device_attributes()` in
//!   `hypervisor/src/kvm/aarch64/gic/mod.rs` (create, `DIST`, `REDIST`, the ITS, `NR_IRQS`,
//!   `CTRL_INIT`), `Gic::create_default_config()`'s layout below 0x09000000, `IRQ_NUM` 256.
//!
//! The GICv2 (`KVM_DEV_TYPE_ARM_VGIC_V2`) of the GICv2 host's node,
//! `/dev/kvm-devctl-arm64-gicv2`, is driven in QEMU's and Firecracker's orders too, and saved
//! and restored in both clients' ways, which must give back every saved value bit for bit
//! (reference: `golden/vgic_v2.txt`).
//!
//! The ITS (`KVM_DEV_TYPE_ARM_VGIC_ITS`, golden/vgic_its.txt) is set up in QEMU's order
//! (`kvm_arm_its_realize()` in `hw/intc/arm_gicv3_its_kvm.c`: create, `CTRL_INIT`, the
//! migration probe of `GITS_CTLR`, the address at machine init done, `ITS_CTRL_RESET` at
//! machine reset) and in Cloud Hypervisor's, and saved and restored as QEMU does
//! (`vm_change_state_handler()`, `kvm_arm_its_pre_save()`, `kvm_arm_its_post_load()`, and
//! `kvm_arm_gicv3_put()` for the redistributors' LPI registers): the copy saves bit for bit
//! what the original saves.
//!
//! The GICv3 save/restore sequences of the three clients (their register loops over
//! `DIST_REGS`, `REDIST_REGS`, `CPU_SYSREGS` and `LEVEL_INFO`) are replayed in
//! tests/vgic_save.rs.

use kvm_bindings::{
    kvm_create_device, kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_ITS as ITS,
    kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V2 as V2, kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V3 as V3,
    KVM_CREATE_DEVICE_TEST,
};
use kvm_devctl_tests::arm64::{
    self, get_raw, get_u32, get_u64, get_u64_in, has, redist_attr, set_ctrl, set_u32, set_u64,
    v2_attr, GuestRam, Step, Steps, ADDR_ITS, ADDR_V2_CPU, ADDR_V2_DIST, ADDR_V3_DIST,
    ADDR_V3_REDIST, ADDR_V3_REDIST_REGION, CAP_MSI_DEVID, CTRL_INIT, CTRL_ITS_RESET,
    CTRL_ITS_RESTORE_TABLES, CTRL_ITS_SAVE_TABLES, CTRL_SAVE_PENDING_TABLES, GRP_ADDR,
    GRP_CPU_REGS, GRP_CTRL, GRP_DIST_REGS, GRP_ITS_REGS, GRP_MAINT_IRQ, GRP_NR_IRQS,
    GRP_REDIST_REGS, V3_DIST_SIZE, V3_ITS_SIZE, V3_REDIST_SIZE,
};
use kvm_devctl_tests::{create_device_flags, fails, must, Errno, ToOutcome};
use kvm_ioctls::{DeviceFd, Kvm, VmFd};

const GICD_CTLR: u64 = 0x0000;
const GICD_TYPER: u64 = 0x0004;
const GICD_IIDR: u64 = 0x0008;
const GICD_TYPER2: u64 = 0x000c;
const GICD_STATUSR: u64 = 0x0010;
const GICR_IIDR: u64 = 0x0004;
const GICR_TYPER_LO: u64 = 0x0008;
const GICR_TYPER_HI: u64 = 0x000c;
const GICR_WAKER: u64 = 0x0014;
const GICR_CTLR: u64 = 0x0000;
const GICR_PROPBASER: u64 = 0x0070;
const GICR_PENDBASER: u64 = 0x0078;
const GITS_CTLR: u64 = 0x0000;
const GITS_IIDR: u64 = 0x0004;
const GITS_TYPER: u64 = 0x0008;
const GITS_CBASER: u64 = 0x0080;
const GITS_CWRITER: u64 = 0x0088;
const GITS_CREADR: u64 = 0x0090;
const GITS_BASER: u64 = 0x0100;

/// `KVM_CREATE_DEVICE` of `type_` through `VmFd::create_device()`.
fn create(vm: &VmFd, type_: u32) -> Result<DeviceFd, Errno> {
    let mut cd = kvm_create_device {
        type_,
        fd: 0,
        flags: 0,
    };
    vm.create_device(&mut cd).outcome()
}

/// `KVM_CREATE_DEVICE` of `type_` as a [`Step`].
fn create_step(vm: &VmFd, type_: u32) -> Step {
    create(vm, type_).map(|_| None)
}

/// `KVM_CREATE_DEVICE` with `KVM_CREATE_DEVICE_TEST`, as QEMU's `kvm_arm_vgic_probe()` does.
fn probe(vm: &VmFd, type_: u32) -> Step {
    create_device_flags(vm, type_, KVM_CREATE_DEVICE_TEST).map(|_| None)
}

/// A VM of the arm64 node with `n` vCPUs and a GICv3, or `None` without the module.
fn vm_with_gic(kvm: &Kvm, n: u64) -> (VmFd, Vec<kvm_ioctls::VcpuFd>, DeviceFd) {
    let vm = must(kvm.create_vm(), "create_vm");
    let vcpus = arm64::create_vcpus(&vm, n);
    let gic = create(&vm, V3).expect("create the GICv3");
    (vm, vcpus, gic)
}

/// The GICD_TYPER of a GICv3 without an ITS and with `nr_irqs` interrupts: ITLinesNumber
/// `nr_irqs / 32 - 1` in bits 4:0, IDbits `INTERRUPT_ID_BITS_SPIS - 1` (9) in bits 23:19
/// (C: `vgic_mmio_read_v3_misc()`). The golden transcript has 64 -> 0x00480001, 256 ->
/// 0x00480007 and 992 -> 0x0048001e, which this formula gives.
fn gicd_typer(nr_irqs: u64) -> u64 {
    (nr_irqs / 32 - 1) | 9 << 19
}

/// The GICD_TYPER of a GICv3 with an ITS: LPIs (bit 17) and `INTERRUPT_ID_BITS_ITS - 1` (15)
/// in bits 23:19 (C: `vgic_mmio_read_v3_misc()`); "## regs: every offset" of
/// golden/vgic_its.txt has 64 -> 0x007a0001, which this formula gives.
fn gicd_typer_its(nr_irqs: u64) -> u64 {
    (nr_irqs / 32 - 1) | 15 << 19 | 1 << 17
}

/// What a VM with an ITS shows of its LPIs after `CTRL_INIT`, with 2 initialised vCPUs:
/// `KVM_CAP_MSI_DEVID`, `GICR_TYPER.PLPIS`, `GICR_CTLR`
/// ("## lpis: redistributor registers with an ITS").
fn check_lpi_registers(s: &mut Steps, vm: &VmFd, gic: &DeviceFd) {
    // C: `kvm->arch.vgic.msis_require_devid`, set by vgic_its_create(); the golden line is
    // "KVM_CHECK_EXTENSION KVM_CAP_MSI_DEVID => 1".
    s.expect(
        "KVM_CHECK_EXTENSION KVM_CAP_MSI_DEVID",
        Ok(Some(vm.check_extension_raw(CAP_MSI_DEVID) as u64)),
        Ok(Some(1)),
    );
    let sec = "lpis: redistributor registers with an ITS";
    s.golden_its(
        sec,
        "get REDIST_REGS mpidr=0x0 0x00008 GICR_TYPER.lo => 0 0x00000001",
        get_u32(gic, GRP_REDIST_REGS, redist_attr(0, GICR_TYPER_LO)),
    );
    s.golden_its(
        sec,
        "get REDIST_REGS mpidr=0x1 0x00008 GICR_TYPER.lo => 0 0x00000111",
        get_u32(gic, GRP_REDIST_REGS, redist_attr(1, GICR_TYPER_LO)),
    );
    s.golden_its(
        sec,
        "get REDIST_REGS mpidr=0x0 0x00000 GICR_CTLR => 0 0x00000006",
        get_u32(gic, GRP_REDIST_REGS, redist_attr(0, GICR_CTLR)),
    );
}

/// The registers a VMM reads after `CTRL_INIT` on a 2-vCPU VM whose vCPUs were initialised
/// (MPIDR 0 and 1) and whose two redistributors form one series: the GIC's identification,
/// derived from `nr_irqs`, and each vCPU's GICR_TYPER.
fn check_after_init(s: &mut Steps, gic: &DeviceFd, nr_irqs: u64) {
    // vgic_mmio_read_v3_misc(): extrapolates "## nr_irqs: the largest" / "the default".
    s.expect(
        "get DIST_REGS GICD_TYPER",
        get_u32(gic, GRP_DIST_REGS, GICD_TYPER),
        Ok(Some(gicd_typer(nr_irqs))),
    );
    let sec = "DIST_REGS before writes";
    s.golden(
        sec,
        "get DIST_REGS 0x0000 GICD_CTLR => 0 0x00000050",
        get_u32(gic, GRP_DIST_REGS, GICD_CTLR),
    );
    s.golden(
        sec,
        "get DIST_REGS 0x0008 GICD_IIDR => 0 0x4b00343b",
        get_u32(gic, GRP_DIST_REGS, GICD_IIDR),
    );
    s.golden(
        sec,
        "get DIST_REGS 0x000c GICD_TYPER2 => 0 0x00000000",
        get_u32(gic, GRP_DIST_REGS, GICD_TYPER2),
    );
    // "## scenario: 2 vCPUs, after KVM_ARM_VCPU_INIT, every offset": vCPU 0 is not the last of
    // the series, vCPU 1 is (bit 4), with Aff0 1 in bits 63:32 and processor number 1 in 23:8.
    let sec = "GICR_TYPER by MPIDR";
    s.golden(
        sec,
        "get REDIST_REGS mpidr=0x0 0x00008 GICR_TYPER.lo => 0 0x00000000",
        get_u32(gic, GRP_REDIST_REGS, redist_attr(0, GICR_TYPER_LO)),
    );
    s.golden(
        sec,
        "get REDIST_REGS mpidr=0x0 0x0000c GICR_TYPER.hi => 0 0x00000000",
        get_u32(gic, GRP_REDIST_REGS, redist_attr(0, GICR_TYPER_HI)),
    );
    s.golden(
        sec,
        "get REDIST_REGS mpidr=0x1 0x00008 GICR_TYPER.lo => 0 0x00000110",
        get_u32(gic, GRP_REDIST_REGS, redist_attr(1, GICR_TYPER_LO)),
    );
    s.golden(
        sec,
        "get REDIST_REGS mpidr=0x1 0x0000c GICR_TYPER.hi => 0 0x00000001",
        get_u32(gic, GRP_REDIST_REGS, redist_attr(1, GICR_TYPER_HI)),
    );
    s.golden(
        sec,
        "get REDIST_REGS mpidr=0x100 0x00008 GICR_TYPER.lo => -1 EINVAL",
        get_u32(gic, GRP_REDIST_REGS, redist_attr(0x100, GICR_TYPER_LO)),
    );
}

#[test]
fn qemu_order() {
    let Some(kvm) = arm64::open() else { return };
    // hw/arm/virt.c: the virt board's memory map and interrupt count (NUM_IRQS 256 SPIs, plus
    // the 32 private ones: "num-irq" 288).
    const VIRT_GIC_DIST: u64 = 0x0800_0000;
    const VIRT_GIC_REDIST: u64 = 0x080a_0000;
    const NUM_IRQ: u32 = 256 + 32;
    let mut s = Steps::new();
    let vm = must(kvm.create_vm(), "create_vm");
    // kvm_arm_vgic_probe(): which GICs can the host emulate?
    s.golden(
        "host",
        "KVM_CREATE_DEVICE ARM_VGIC_V3(7) TEST => 0",
        probe(&vm, V3),
    );
    s.golden(
        "host",
        "KVM_CREATE_DEVICE ARM_VGIC_V2(5) TEST => -1 ENODEV",
        probe(&vm, V2),
    );
    // machvirt_init() creates and initialises the vCPUs before the GIC.
    let vcpus = arm64::create_vcpus(&vm, 2);
    s.expect(
        "KVM_ARM_VCPU_INIT of both vCPUs (PSCI 0.2, vCPU 1 powered off)",
        arm64::init_vcpus(&vm, &vcpus).map(|_| None),
        Ok(None),
    );
    // kvm_arm_gicv3_realize().
    let gic = create(&vm, V3).expect("create the GICv3");
    s.golden(
        "addr: types and buffers",
        "has ADDR V3_REDIST_REGION(5) => 0",
        has(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION),
    );
    // vgic_set_common_attr(): 288 is a multiple of 32 in [64, 1023].
    s.expect(
        "set NR_IRQS 288",
        set_u32(&gic, GRP_NR_IRQS, 0, NUM_IRQ),
        Ok(None),
    );
    s.golden("ctrl", "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    // kvm_arm_machine_init_done(): the redistributor region (index 0, count = the 2 vCPUs,
    // addr_ormask `i | count << 52`), then the distributor. The addresses may be set after
    // CTRL_INIT: "## addr: after CTRL INIT".
    let region = VIRT_GIC_REDIST | 2 << 52;
    s.expect(
        "set ADDR V3_REDIST_REGION 0x00200000080a0000",
        set_u64(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION, region),
        Ok(None),
    );
    s.golden(
        "addr: after CTRL INIT",
        "set ADDR V3_DIST(2) 0x0000000008000000 => 0",
        set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, VIRT_GIC_DIST),
    );
    // The migration probe and the stop handler of kvm_arm_gicv3_realize().
    s.golden(
        "pre-init: has with NR_IRQS 64, before CTRL INIT",
        "scan has DIST_REGS 0x0000 GICD_CTLR .. 0x0010 GICD_STATUSR x5 => 0",
        has(&gic, GRP_DIST_REGS, GICD_CTLR),
    );
    s.golden(
        "ctrl",
        "has CTRL SAVE_PENDING_TABLES(3) => 0",
        has(&gic, GRP_CTRL, CTRL_SAVE_PENDING_TABLES),
    );
    s.golden(
        "ctrl",
        "set CTRL SAVE_PENDING_TABLES(3) => 0",
        set_ctrl(&gic, CTRL_SAVE_PENDING_TABLES),
    );
    // Read back as set: kvm_vgic_addr() returns the region as index | base | count << 52.
    s.golden(
        "addr: after CTRL INIT",
        "get ADDR V3_DIST(2) => 0 0x0000000008000000",
        get_u64(&gic, GRP_ADDR, ADDR_V3_DIST),
    );
    s.golden(
        "addr: after CTRL INIT",
        "get ADDR V3_REDIST(3) => 0 0x00000000080a0000",
        get_u64(&gic, GRP_ADDR, ADDR_V3_REDIST),
    );
    s.expect(
        "get ADDR V3_REDIST_REGION in=0",
        get_u64_in(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION, 0),
        Ok(Some(region)),
    );
    s.expect(
        "get NR_IRQS",
        get_u32(&gic, GRP_NR_IRQS, 0),
        Ok(Some(u64::from(NUM_IRQ))),
    );
    check_after_init(&mut s, &gic, u64::from(NUM_IRQ));
    s.finish();
}

#[test]
fn firecracker_order() {
    let Some(kvm) = arm64::open() else { return };
    // src/vmm/src/arch/aarch64/layout.rs and gicv3/mod.rs: the distributor just below
    // MAPPED_IO_START, one redistributor per vCPU below it, IRQ_MAX interrupts.
    const MAPPED_IO_START: u64 = 1 << 30;
    const IRQ_MAX: u32 = 128;
    const VCPUS: u64 = 2;
    let dist = MAPPED_IO_START - V3_DIST_SIZE;
    let redists = dist - VCPUS * V3_REDIST_SIZE;
    let mut s = Steps::new();
    let vm = must(kvm.create_vm(), "create_vm");
    // builder.rs: "the vCPUs need to be created (i.e call KVM_CREATE_VCPU) before setting up
    // the IRQ chip".
    let vcpus = arm64::create_vcpus(&vm, VCPUS);
    // GICv3::create(): init_device(), init_device_attributes(), finalize_device().
    let gic = create(&vm, V3).expect("create the GICv3");
    s.expect(
        "set ADDR V3_DIST 0x3fff0000",
        set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, dist),
        Ok(None),
    );
    s.expect(
        "set ADDR V3_REDIST 0x3ffb0000",
        set_u64(&gic, GRP_ADDR, ADDR_V3_REDIST, redists),
        Ok(None),
    );
    s.expect(
        "set NR_IRQS 128",
        set_u32(&gic, GRP_NR_IRQS, 0, IRQ_MAX),
        Ok(None),
    );
    s.golden("ctrl", "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    // The vCPUs are initialised when the microVM is configured for boot, after the GIC.
    s.expect(
        "KVM_ARM_VCPU_INIT of both vCPUs (PSCI 0.2, vCPU 1 powered off)",
        arm64::init_vcpus(&vm, &vcpus).map(|_| None),
        Ok(None),
    );
    // save_pending_tables(), when the microVM is paused for a snapshot.
    s.golden(
        "ctrl",
        "set CTRL SAVE_PENDING_TABLES(3) => 0",
        set_ctrl(&gic, CTRL_SAVE_PENDING_TABLES),
    );
    s.expect(
        "get ADDR V3_DIST",
        get_u64(&gic, GRP_ADDR, ADDR_V3_DIST),
        Ok(Some(dist)),
    );
    s.expect(
        "get ADDR V3_REDIST",
        get_u64(&gic, GRP_ADDR, ADDR_V3_REDIST),
        Ok(Some(redists)),
    );
    // The legacy region reads back as region 0 with count 0 (C: `vgic_v3_rd_region_size()`
    // sizes it by the vCPUs): "## addr: legacy REDIST (2 vCPUs)".
    s.expect(
        "get ADDR V3_REDIST_REGION in=0",
        get_u64_in(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION, 0),
        Ok(Some(redists)),
    );
    s.expect(
        "get NR_IRQS",
        get_u32(&gic, GRP_NR_IRQS, 0),
        Ok(Some(u64::from(IRQ_MAX))),
    );
    check_after_init(&mut s, &gic, u64::from(IRQ_MAX));
    s.finish();
}

#[test]
fn cloud_hypervisor_order() {
    let Some(kvm) = arm64::open() else { return };
    // arch/src/aarch64/layout.rs and Gic::create_default_config(): the distributor just below
    // MAPPED_IO_START, the redistributors below it, the ITS below them; IRQ_NUM interrupts.
    const MAPPED_IO_START: u64 = 0x0900_0000;
    const IRQ_NUM: u32 = 256;
    const VCPUS: u64 = 2;
    let dist = MAPPED_IO_START - V3_DIST_SIZE;
    let redists = dist - VCPUS * V3_REDIST_SIZE;
    let msi = redists - V3_ITS_SIZE;
    let mut s = Steps::new();
    let vm = must(kvm.create_vm(), "create_vm");
    // Here the vCPUs are created and initialised before the GIC, the other order from the
    // Firecracker test.
    let vcpus = arm64::create_vcpus(&vm, VCPUS);
    s.expect(
        "KVM_ARM_VCPU_INIT of both vCPUs (PSCI 0.2, vCPU 1 powered off)",
        arm64::init_vcpus(&vm, &vcpus).map(|_| None),
        Ok(None),
    );
    s.golden(
        "host",
        "KVM_CREATE_DEVICE ARM_VGIC_ITS(8) TEST => 0",
        probe(&vm, ITS),
    );
    // KvmGicV3Its::new(): create_device(), then init_device_attributes().
    let gic = create(&vm, V3).expect("create the GICv3");
    s.expect(
        "set ADDR V3_DIST 0x08ff0000",
        set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, dist),
        Ok(None),
    );
    s.expect(
        "set ADDR V3_REDIST 0x08fb0000",
        set_u64(&gic, GRP_ADDR, ADDR_V3_REDIST, redists),
        Ok(None),
    );
    // The ITS: created, placed and initialised before the GIC's NR_IRQS and CTRL_INIT.
    let its = create(&vm, ITS).expect("create the ITS");
    s.expect(
        "ITS: set ADDR ITS 0x08f90000",
        set_u64(&its, GRP_ADDR, ADDR_ITS, msi),
        Ok(None),
    );
    s.golden_its("ctrl", "set CTRL INIT(0) => 0", set_ctrl(&its, CTRL_INIT));
    s.expect(
        "set NR_IRQS 256",
        set_u32(&gic, GRP_NR_IRQS, 0, IRQ_NUM),
        Ok(None),
    );
    s.golden("ctrl", "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    // save_data_tables(), before a snapshot.
    s.golden(
        "ctrl",
        "set CTRL SAVE_PENDING_TABLES(3) => 0",
        set_ctrl(&gic, CTRL_SAVE_PENDING_TABLES),
    );
    s.expect(
        "get ADDR V3_DIST",
        get_u64(&gic, GRP_ADDR, ADDR_V3_DIST),
        Ok(Some(dist)),
    );
    s.expect(
        "get ADDR V3_REDIST",
        get_u64(&gic, GRP_ADDR, ADDR_V3_REDIST),
        Ok(Some(redists)),
    );
    // 256 interrupts: the same as the default "## nr_irqs: the default at CTRL INIT".
    s.golden(
        "nr_irqs: the default at CTRL INIT",
        "get NR_IRQS attr=0x0 => 0 0x00000100",
        get_u32(&gic, GRP_NR_IRQS, 0),
    );
    // With an ITS, GICD_TYPER reports LPIs and 16 interrupt id bits; "## regs: every offset"
    // shows 0x007a0001 for 64 interrupts.
    s.expect(
        "get DIST_REGS GICD_TYPER",
        get_u32(&gic, GRP_DIST_REGS, GICD_TYPER),
        Ok(Some(gicd_typer_its(u64::from(IRQ_NUM)))),
    );
    s.expect(
        "ITS: get ADDR ITS",
        get_u64(&its, GRP_ADDR, ADDR_ITS),
        Ok(Some(msi)),
    );
    check_lpi_registers(&mut s, &vm, &gic);
    s.finish();
}

#[test]
fn registers_after_init_are_the_golden_values() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    // "## scenario: 1 vCPU, after KVM_ARM_VCPU_INIT": the golden set-up, step for step.
    let vm = must(kvm.create_vm(), "create_vm");
    let vcpus = arm64::create_vcpus(&vm, 1);
    arm64::init_vcpus(&vm, &vcpus).expect("KVM_ARM_VCPU_INIT");
    let gic = create(&vm, V3).expect("create the GICv3");
    let sec = "scenario: 1 vCPU, after KVM_ARM_VCPU_INIT";
    s.golden(
        sec,
        "set ADDR V3_DIST(2) 0x0000000008000000 => 0",
        set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, 0x0800_0000),
    );
    s.golden(
        sec,
        "set ADDR V3_REDIST(3) 0x00000000080a0000 => 0",
        set_u64(&gic, GRP_ADDR, ADDR_V3_REDIST, 0x080a_0000),
    );
    s.golden(
        sec,
        "set NR_IRQS attr=0x0 0x00000040 => 0",
        set_u32(&gic, GRP_NR_IRQS, 0, 64),
    );
    s.golden(sec, "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    let sec = "DIST_REGS before writes";
    for (line, off) in [
        ("get DIST_REGS 0x0000 GICD_CTLR => 0 0x00000050", GICD_CTLR),
        (
            "get DIST_REGS 0x0004 GICD_TYPER => 0 0x00480001",
            GICD_TYPER,
        ),
        ("get DIST_REGS 0x0008 GICD_IIDR => 0 0x4b00343b", GICD_IIDR),
        (
            "get DIST_REGS 0x000c GICD_TYPER2 => 0 0x00000000",
            GICD_TYPER2,
        ),
        (
            "get DIST_REGS 0x0010 GICD_STATUSR => 0 0xffffffff",
            GICD_STATUSR,
        ),
    ] {
        s.golden(sec, line, get_u32(&gic, GRP_DIST_REGS, off));
    }
    let sec = "REDIST_REGS vcpu 0 before writes";
    for (line, off) in [
        (
            "get REDIST_REGS mpidr=0x0 0x00004 GICR_IIDR => 0 0x4b00043b",
            GICR_IIDR,
        ),
        (
            "get REDIST_REGS mpidr=0x0 0x00008 GICR_TYPER.lo => 0 0x00000010",
            GICR_TYPER_LO,
        ),
        (
            "get REDIST_REGS mpidr=0x0 0x0000c GICR_TYPER.hi => 0 0x00000000",
            GICR_TYPER_HI,
        ),
        (
            "get REDIST_REGS mpidr=0x0 0x00014 GICR_WAKER => 0 0x00000000",
            GICR_WAKER,
        ),
    ] {
        s.golden(
            sec,
            line,
            get_u32(&gic, GRP_REDIST_REGS, redist_attr(0, off)),
        );
    }
    let sec = "GICR_TYPER by MPIDR";
    s.golden(
        sec,
        "get REDIST_REGS mpidr=0x1 0x00008 GICR_TYPER.lo => -1 EINVAL",
        get_u32(&gic, GRP_REDIST_REGS, redist_attr(1, GICR_TYPER_LO)),
    );
    s.golden(
        sec,
        "get REDIST_REGS mpidr=0x100 0x00008 GICR_TYPER.lo => -1 EINVAL",
        get_u32(&gic, GRP_REDIST_REGS, redist_attr(0x100, GICR_TYPER_LO)),
    );
    // The largest and the default interrupt counts.
    for (sec, nr, typer) in [
        (
            "nr_irqs: the largest",
            Some("set NR_IRQS attr=0x0 0x000003e0 => 0"),
            "get DIST_REGS 0x0004 GICD_TYPER => 0 0x0048001e",
        ),
        (
            "nr_irqs: the default at CTRL INIT",
            None,
            "get DIST_REGS 0x0004 GICD_TYPER => 0 0x00480007",
        ),
    ] {
        let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 1);
        if let Some(line) = nr {
            s.golden(sec, line, set_u32(&gic, GRP_NR_IRQS, 0, 992));
        }
        s.golden(sec, "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
        s.golden(sec, typer, get_u32(&gic, GRP_DIST_REGS, GICD_TYPER));
    }
    s.finish();
}

#[test]
fn one_gic_per_vm() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let sec = "create: one GIC per VM";
    let vm = must(kvm.create_vm(), "create_vm");
    s.golden(
        sec,
        "KVM_CREATE_DEVICE ARM_VGIC_V3(7) => fd",
        create_step(&vm, V3),
    );
    s.golden(
        sec,
        "KVM_CREATE_DEVICE ARM_VGIC_V3(7) => -1 EEXIST",
        create_step(&vm, V3),
    );
    s.golden(
        sec,
        "KVM_CREATE_DEVICE ARM_VGIC_V3(7) TEST => 0",
        probe(&vm, V3),
    );
    s.golden(
        sec,
        "KVM_CREATE_DEVICE ARM_VGIC_V2(5) => -1 ENODEV",
        create_step(&vm, V2),
    );
    s.finish();
}

#[test]
fn addr_types_and_buffers() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let sec = "addr: types and buffers";
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 2);
    for (line, ty) in [
        ("has ADDR V2_DIST(0) => -1 ENXIO", ADDR_V2_DIST),
        ("has ADDR V2_CPU(1) => -1 ENXIO", ADDR_V2_CPU),
        ("has ADDR V3_DIST(2) => 0", ADDR_V3_DIST),
        ("has ADDR V3_REDIST(3) => 0", ADDR_V3_REDIST),
        ("has ADDR ITS(4) => -1 ENXIO", ADDR_ITS),
        ("has ADDR V3_REDIST_REGION(5) => 0", ADDR_V3_REDIST_REGION),
        ("has ADDR type(6) => -1 ENXIO", 6),
        ("has ADDR type(18446744073709551615) => -1 ENXIO", u64::MAX),
    ] {
        s.golden(sec, line, has(&gic, GRP_ADDR, ty));
    }
    // Unset addresses read as VGIC_ADDR_UNDEF.
    s.golden(
        sec,
        "get ADDR V3_DIST(2) => 0 0xffffffffffffffff",
        get_u64(&gic, GRP_ADDR, ADDR_V3_DIST),
    );
    s.golden(
        sec,
        "get ADDR V3_REDIST(3) => 0 0xffffffffffffffff",
        get_u64(&gic, GRP_ADDR, ADDR_V3_REDIST),
    );
    s.golden(
        sec,
        "get ADDR V3_REDIST_REGION(5) in=0x0000000000000000 => -1 ENOENT",
        get_u64_in(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION, 0),
    );
    for (line, ty) in [
        ("get ADDR V2_DIST(0) => -1 ENXIO", ADDR_V2_DIST),
        ("get ADDR V2_CPU(1) => -1 ENXIO", ADDR_V2_CPU),
        ("get ADDR ITS(4) => -1 ENXIO", ADDR_ITS),
        ("get ADDR type(6) => -1 ENXIO", 6),
    ] {
        s.golden(sec, line, get_u64(&gic, GRP_ADDR, ty));
    }
    for (line, ty, addr) in [
        (
            "set ADDR V2_DIST(0) 0x0000000008000000 => -1 ENXIO",
            ADDR_V2_DIST,
            0x0800_0000,
        ),
        (
            "set ADDR V2_CPU(1) 0x0000000008010000 => -1 ENXIO",
            ADDR_V2_CPU,
            0x0801_0000,
        ),
        (
            "set ADDR ITS(4) 0x0000000008080000 => -1 ENXIO",
            ADDR_ITS,
            0x0808_0000,
        ),
        (
            "set ADDR type(6) 0x0000000008000000 => -1 ENXIO",
            6,
            0x0800_0000,
        ),
    ] {
        s.golden(sec, line, set_u64(&gic, GRP_ADDR, ty, addr));
    }
    // kvm_vgic_addr() reads the value before it looks at the type.
    let null = |a| arm64::set_raw(&gic, &kvm_devctl_tests::attr(GRP_ADDR, a, 0));
    s.golden(
        sec,
        "set ADDR V3_DIST(2) NULL => -1 EFAULT",
        null(ADDR_V3_DIST),
    );
    s.golden(sec, "set ADDR type(6) NULL => -1 EFAULT", null(6));
    s.golden(
        sec,
        "get ADDR V3_DIST(2) NULL => -1 EFAULT",
        get_raw(&gic, GRP_ADDR, ADDR_V3_DIST, 0),
    );
    s.golden(
        sec,
        "get ADDR V3_REDIST_REGION(5) NULL => -1 EFAULT",
        get_raw(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION, 0),
    );
    s.golden(
        sec,
        "get ADDR type(6) NULL => -1 ENXIO",
        get_raw(&gic, GRP_ADDR, 6, 0),
    );
    s.finish();
}

#[test]
fn dist_addr_errnos() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let sec = "addr: DIST";
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 2);
    // vgic_check_iorange(): 64K alignment (EINVAL), the 40-bit IPA space of a type-0 VM
    // (E2BIG), wrapping (EINVAL), then EEXIST once set.
    for (line, addr) in [
        (
            "set ADDR V3_DIST(2) 0x0000000008001000 => -1 EINVAL",
            0x0800_1000,
        ),
        (
            "set ADDR V3_DIST(2) 0x0000000008008000 => -1 EINVAL",
            0x0800_8000,
        ),
        (
            "set ADDR V3_DIST(2) 0x0000010000000000 => -1 E2BIG",
            1 << 40,
        ),
        (
            "set ADDR V3_DIST(2) 0x000000ffffff8000 => -1 EINVAL",
            0xff_ffff_8000,
        ),
        (
            "set ADDR V3_DIST(2) 0x0010000000000000 => -1 E2BIG",
            1 << 52,
        ),
        (
            "set ADDR V3_DIST(2) 0xffffffffffff0000 => -1 EINVAL",
            0xffff_ffff_ffff_0000,
        ),
        ("set ADDR V3_DIST(2) 0x0000000008000000 => 0", 0x0800_0000),
    ] {
        s.golden(sec, line, set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, addr));
    }
    s.golden(
        sec,
        "get ADDR V3_DIST(2) => 0 0x0000000008000000",
        get_u64(&gic, GRP_ADDR, ADDR_V3_DIST),
    );
    for (line, addr) in [
        (
            "set ADDR V3_DIST(2) 0x0000000008000000 => -1 EEXIST",
            0x0800_0000,
        ),
        (
            "set ADDR V3_DIST(2) 0x0000000008100000 => -1 EEXIST",
            0x0810_0000,
        ),
    ] {
        s.golden(sec, line, set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, addr));
    }
    s.golden(
        sec,
        "get ADDR V3_DIST(2) => 0 0x0000000008000000",
        get_u64(&gic, GRP_ADDR, ADDR_V3_DIST),
    );
    s.finish();
}

#[test]
fn redist_addr_errnos() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let sec = "addr: legacy REDIST (2 vCPUs)";
    let set = |gic: &DeviceFd, ty, addr| set_u64(gic, GRP_ADDR, ty, addr);
    // The legacy region: one 128K redistributor per vCPU, 64K aligned, inside the IPA space.
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 2);
    for (line, addr) in [
        (
            "set ADDR V3_REDIST(3) 0x00000000080a1000 => -1 EINVAL",
            0x080a_1000,
        ),
        (
            "set ADDR V3_REDIST(3) 0x0000010000000000 => -1 E2BIG",
            1 << 40,
        ),
        (
            "set ADDR V3_REDIST(3) 0x000000fffffe0000 => -1 E2BIG",
            0xff_fffe_0000,
        ),
        (
            "set ADDR V3_REDIST(3) 0x000000fffffc0000 => 0",
            0xff_fffc_0000,
        ),
    ] {
        s.golden(sec, line, set(&gic, ADDR_V3_REDIST, addr));
    }
    s.golden(
        sec,
        "get ADDR V3_REDIST(3) => 0 0x000000fffffc0000",
        get_u64(&gic, GRP_ADDR, ADDR_V3_REDIST),
    );
    // Against the distributor: the legacy region must not overlap it; a second legacy
    // region is EEXIST; an indexed region may follow it, at the next index only.
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 2);
    for (line, ty, addr) in [
        (
            "set ADDR V3_DIST(2) 0x0000000008000000 => 0",
            ADDR_V3_DIST,
            0x0800_0000,
        ),
        (
            "set ADDR V3_REDIST(3) 0x0000000007fe0000 => -1 EINVAL",
            ADDR_V3_REDIST,
            0x07fe_0000,
        ),
        (
            "set ADDR V3_REDIST(3) 0x0000000008000000 => -1 EINVAL",
            ADDR_V3_REDIST,
            0x0800_0000,
        ),
        (
            "set ADDR V3_REDIST(3) 0x0000000007fc0000 => 0",
            ADDR_V3_REDIST,
            0x07fc_0000,
        ),
    ] {
        s.golden(sec, line, set(&gic, ty, addr));
    }
    s.golden(
        sec,
        "get ADDR V3_REDIST_REGION(5) in=0x0000000000000001 => -1 ENOENT",
        get_u64_in(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION, 1),
    );
    for (line, ty, addr) in [
        (
            "set ADDR V3_REDIST(3) 0x00000000080a0000 => -1 EEXIST",
            ADDR_V3_REDIST,
            0x080a_0000,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000080a0001 => 0",
            ADDR_V3_REDIST_REGION,
            0x0010_0000_080a_0001,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000080a0000 => -1 EINVAL",
            ADDR_V3_REDIST_REGION,
            0x0010_0000_080a_0000,
        ),
    ] {
        s.golden(sec, line, set(&gic, ty, addr));
    }
    s.finish();
}

#[test]
fn redist_region_errnos() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let sec = "addr: REDIST_REGION (2 vCPUs)";
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 2);
    let set = |addr| set_u64(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION, addr);
    let get = |index| get_u64_in(&gic, GRP_ADDR, ADDR_V3_REDIST_REGION, index);
    // The encoding: count in 63:52 (not 0), base in 51:16, flags in 15:12 (must be 0), index
    // in 11:0, regions in index order from 0.
    for (line, addr) in [
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000080a1000 => -1 EINVAL",
            0x0010_0000_080a_1000,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000080a8000 => -1 EINVAL",
            0x0010_0000_080a_8000,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x00000000080a0000 => -1 EINVAL",
            0x0000_0000_080a_0000,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000080a0001 => -1 EINVAL",
            0x0010_0000_080a_0001,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x0010010000000000 => -1 E2BIG",
            0x0010_0100_0000_0000,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x002000fffffe0000 => -1 E2BIG",
            0x0020_00ff_fffe_0000,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0xffffffffffff0000 => -1 E2BIG",
            0xffff_ffff_ffff_0000,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000080a0000 => 0",
            0x0010_0000_080a_0000,
        ),
    ] {
        s.golden(sec, line, set(addr));
    }
    for (line, index) in [
        (
            "get ADDR V3_REDIST_REGION(5) in=0x0000000000000000 => 0 0x00100000080a0000",
            0,
        ),
        (
            "get ADDR V3_REDIST_REGION(5) in=0x0050000123453000 => 0 0x00100000080a0000",
            0x0050_0001_2345_3000,
        ),
        (
            "get ADDR V3_REDIST_REGION(5) in=0x0000000000000001 => -1 ENOENT",
            1,
        ),
    ] {
        s.golden(sec, line, get(index));
    }
    s.golden(
        sec,
        "get ADDR V3_REDIST(3) => 0 0x00000000080a0000",
        get_u64(&gic, GRP_ADDR, ADDR_V3_REDIST),
    );
    for (line, addr) in [
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000081a0000 => -1 EINVAL",
            0x0010_0000_081a_0000,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000081a0002 => -1 EINVAL",
            0x0010_0000_081a_0002,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000080b0001 => -1 EINVAL",
            0x0010_0000_080b_0001,
        ),
        (
            "set ADDR V3_REDIST_REGION(5) 0x00100000080c0001 => 0",
            0x0010_0000_080c_0001,
        ),
    ] {
        s.golden(sec, line, set(addr));
    }
    s.golden(
        sec,
        "get ADDR V3_REDIST_REGION(5) in=0x0000000000000001 => 0 0x00100000080c0001",
        get(1),
    );
    s.golden(
        sec,
        "set ADDR V3_REDIST(3) 0x00000000082a0000 => -1 EINVAL",
        set_u64(&gic, GRP_ADDR, ADDR_V3_REDIST, 0x082a_0000),
    );
    s.finish();
}

#[test]
fn nr_irqs_errnos() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let sec = "nr_irqs: bounds";
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 1);
    s.golden(sec, "has NR_IRQS attr=0x0 => 0", has(&gic, GRP_NR_IRQS, 0));
    s.golden(
        sec,
        "get NR_IRQS attr=0x0 => 0 0x00000020",
        get_u32(&gic, GRP_NR_IRQS, 0),
    );
    // vgic_set_common_attr(): at least 64, at most 1023, a multiple of 32.
    for (line, val) in [
        ("set NR_IRQS attr=0x0 0x00000000 => -1 EINVAL", 0),
        ("set NR_IRQS attr=0x0 0x00000020 => -1 EINVAL", 0x20),
        ("set NR_IRQS attr=0x0 0x00000030 => -1 EINVAL", 0x30),
        ("set NR_IRQS attr=0x0 0x0000003f => -1 EINVAL", 0x3f),
        ("set NR_IRQS attr=0x0 0x00000041 => -1 EINVAL", 0x41),
        ("set NR_IRQS attr=0x0 0x00000050 => -1 EINVAL", 0x50),
        ("set NR_IRQS attr=0x0 0x000003ff => -1 EINVAL", 0x3ff),
        ("set NR_IRQS attr=0x0 0x00000400 => -1 EINVAL", 0x400),
        ("set NR_IRQS attr=0x0 0x00000420 => -1 EINVAL", 0x420),
        ("set NR_IRQS attr=0x0 0xffffffe0 => -1 EINVAL", 0xffff_ffe0),
    ] {
        s.golden(sec, line, set_u32(&gic, GRP_NR_IRQS, 0, val));
    }
    s.golden(
        sec,
        "set NR_IRQS attr=0x0 NULL => -1 EFAULT",
        arm64::set_raw(&gic, &kvm_devctl_tests::attr(GRP_NR_IRQS, 0, 0)),
    );
    // Once set, EBUSY, whatever the value.
    for (line, val) in [
        ("set NR_IRQS attr=0x0 0x00000040 => 0", 0x40),
        ("set NR_IRQS attr=0x0 0x00000040 => -1 EBUSY", 0x40),
        ("set NR_IRQS attr=0x0 0x00000060 => -1 EBUSY", 0x60),
    ] {
        s.golden(sec, line, set_u32(&gic, GRP_NR_IRQS, 0, val));
    }
    s.golden(
        sec,
        "get NR_IRQS attr=0x0 => 0 0x00000040",
        get_u32(&gic, GRP_NR_IRQS, 0),
    );
    // After CTRL_INIT, which gives the default: EBUSY too.
    let sec = "nr_irqs: the default at CTRL INIT";
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 1);
    s.golden(sec, "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    s.golden(
        sec,
        "get NR_IRQS attr=0x0 => 0 0x00000100",
        get_u32(&gic, GRP_NR_IRQS, 0),
    );
    s.golden(
        sec,
        "set NR_IRQS attr=0x0 0x00000040 => -1 EBUSY",
        set_u32(&gic, GRP_NR_IRQS, 0, 0x40),
    );
    s.finish();
}

#[test]
fn ctrl_and_init_rules() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let sec = "ctrl";
    let vm = must(kvm.create_vm(), "create_vm");
    let _vcpu = must(vm.create_vcpu(0), "create_vcpu");
    let gic = create(&vm, V3).expect("create the GICv3");
    for (line, a) in [
        ("has CTRL INIT(0) => 0", CTRL_INIT),
        (
            "has CTRL ITS_SAVE_TABLES(1) => -1 ENXIO",
            CTRL_ITS_SAVE_TABLES,
        ),
        (
            "has CTRL ITS_RESTORE_TABLES(2) => -1 ENXIO",
            CTRL_ITS_RESTORE_TABLES,
        ),
        (
            "has CTRL SAVE_PENDING_TABLES(3) => 0",
            CTRL_SAVE_PENDING_TABLES,
        ),
        ("has CTRL ITS_RESET(4) => -1 ENXIO", CTRL_ITS_RESET),
    ] {
        s.golden(sec, line, has(&gic, GRP_CTRL, a));
    }
    // The ITS's controls are not the GIC's; SAVE_PENDING_TABLES needs an initialised GIC.
    for (line, a) in [
        (
            "set CTRL ITS_SAVE_TABLES(1) => -1 ENXIO",
            CTRL_ITS_SAVE_TABLES,
        ),
        (
            "set CTRL ITS_RESTORE_TABLES(2) => -1 ENXIO",
            CTRL_ITS_RESTORE_TABLES,
        ),
        ("set CTRL ITS_RESET(4) => -1 ENXIO", CTRL_ITS_RESET),
        (
            "set CTRL SAVE_PENDING_TABLES(3) => -1 ENXIO",
            CTRL_SAVE_PENDING_TABLES,
        ),
        ("set CTRL INIT(0) => 0", CTRL_INIT),
        ("set CTRL INIT(0) => 0", CTRL_INIT),
        (
            "set CTRL SAVE_PENDING_TABLES(3) => 0",
            CTRL_SAVE_PENDING_TABLES,
        ),
    ] {
        s.golden(sec, line, set_ctrl(&gic, a));
    }
    // No vCPU may be added to an initialised GIC (C: kvm_arch_vcpu_precreate()).
    s.golden(
        sec,
        "KVM_CREATE_VCPU id=1 => -1 EBUSY",
        vm.create_vcpu(1).outcome().map(|_| None),
    );
    // CTRL_INIT without vCPUs succeeds, and then no vCPU can be created either.
    let sec = "ctrl: INIT without vCPUs";
    let vm = must(kvm.create_vm(), "create_vm");
    let gic = create(&vm, V3).expect("create the GICv3");
    s.golden(sec, "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    s.golden(
        sec,
        "get NR_IRQS attr=0x0 => 0 0x00000100",
        get_u32(&gic, GRP_NR_IRQS, 0),
    );
    s.golden(
        sec,
        "KVM_CREATE_VCPU id=0 => -1 EBUSY",
        vm.create_vcpu(0).outcome().map(|_| None),
    );
    s.golden(
        sec,
        "get DIST_REGS 0x0004 GICD_TYPER => -1 EINVAL",
        get_u32(&gic, GRP_DIST_REGS, GICD_TYPER),
    );
    s.finish();
}

#[test]
fn maint_irq() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let sec = "maint_irq";
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 1);
    s.golden(
        sec,
        "has MAINT_IRQ attr=0x0 => 0",
        has(&gic, GRP_MAINT_IRQ, 0),
    );
    s.golden(
        sec,
        "get MAINT_IRQ attr=0x0 => 0 0x00000000",
        get_u32(&gic, GRP_MAINT_IRQ, 0),
    );
    // A PPI (16-31), and only before CTRL_INIT.
    for (line, val) in [
        ("set MAINT_IRQ attr=0x0 0x0000000f => -1 EINVAL", 0x0f),
        ("set MAINT_IRQ attr=0x0 0x00000020 => -1 EINVAL", 0x20),
        ("set MAINT_IRQ attr=0x0 0x00000010 => 0", 0x10),
        ("set MAINT_IRQ attr=0x0 0x00000019 => 0", 0x19),
    ] {
        s.golden(sec, line, set_u32(&gic, GRP_MAINT_IRQ, 0, val));
    }
    s.golden(
        sec,
        "get MAINT_IRQ attr=0x0 => 0 0x00000019",
        get_u32(&gic, GRP_MAINT_IRQ, 0),
    );
    s.golden(sec, "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    s.golden(
        sec,
        "set MAINT_IRQ attr=0x0 0x00000017 => -1 EBUSY",
        set_u32(&gic, GRP_MAINT_IRQ, 0, 0x17),
    );
    s.golden(
        sec,
        "get MAINT_IRQ attr=0x0 => 0 0x00000019",
        get_u32(&gic, GRP_MAINT_IRQ, 0),
    );
    s.finish();
}

#[test]
fn registers_before_init() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    // Without a vCPU, no register can be addressed at all.
    let sec = "pre-init: no vCPU";
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 0);
    s.golden(
        sec,
        "get DIST_REGS 0x0008 GICD_IIDR => -1 EINVAL",
        get_u32(&gic, GRP_DIST_REGS, GICD_IIDR),
    );
    s.golden(
        sec,
        "has DIST_REGS 0x0000 GICD_CTLR => -1 EINVAL",
        has(&gic, GRP_DIST_REGS, GICD_CTLR),
    );
    // Before CTRL_INIT only GICD_IIDR and GICD_TYPER2 (C: reg_allowed_pre_init()), which a
    // VMM sets to choose the implementation revision before it restores the rest.
    let sec = "pre-init: 2 vCPUs, registers before CTRL INIT";
    let (_vm, _vcpus, gic) = vm_with_gic(&kvm, 2);
    for (line, off) in [
        ("get DIST_REGS 0x0000 GICD_CTLR => -1 EBUSY", GICD_CTLR),
        ("get DIST_REGS 0x0004 GICD_TYPER => -1 EBUSY", GICD_TYPER),
        ("get DIST_REGS 0x0008 GICD_IIDR => 0 0x4b00343b", GICD_IIDR),
        (
            "get DIST_REGS 0x000c GICD_TYPER2 => 0 0x00000000",
            GICD_TYPER2,
        ),
    ] {
        s.golden(sec, line, get_u32(&gic, GRP_DIST_REGS, off));
    }
    for (line, off, val) in [
        (
            "set DIST_REGS 0x0000 GICD_CTLR 0x00000002 => -1 EBUSY",
            GICD_CTLR,
            2,
        ),
        (
            "set DIST_REGS 0x0008 GICD_IIDR 0x4b00143b => -1 EINVAL",
            GICD_IIDR,
            0x4b00_143b,
        ),
        (
            "set DIST_REGS 0x0008 GICD_IIDR 0x4b00243b => 0",
            GICD_IIDR,
            0x4b00_243b,
        ),
    ] {
        s.golden(sec, line, set_u32(&gic, GRP_DIST_REGS, off, val));
    }
    s.golden(
        sec,
        "get DIST_REGS 0x0008 GICD_IIDR => 0 0x4b00243b",
        get_u32(&gic, GRP_DIST_REGS, GICD_IIDR),
    );
    for (line, off, val) in [
        (
            "set DIST_REGS 0x0008 GICD_IIDR 0x4b00443b => -1 EINVAL",
            GICD_IIDR,
            0x4b00_443b,
        ),
        (
            "set DIST_REGS 0x0008 GICD_IIDR 0x4b00343a => -1 EINVAL",
            GICD_IIDR,
            0x4b00_343a,
        ),
        (
            "set DIST_REGS 0x000c GICD_TYPER2 0x00000100 => -1 EINVAL",
            GICD_TYPER2,
            0x100,
        ),
    ] {
        s.golden(sec, line, set_u32(&gic, GRP_DIST_REGS, off, val));
    }
    s.golden(
        sec,
        "get REDIST_REGS mpidr=0x0 0x00008 GICR_TYPER.lo => -1 EBUSY",
        get_u32(&gic, GRP_REDIST_REGS, redist_attr(0, GICR_TYPER_LO)),
    );
    s.finish();
}

/// The guest RAM of the ITS tests and where the tables live in it, as in
/// `selftests/kvm-devctl/vgic/vgic_its.c`: a 2 MiB memslot at 1 GiB.
mod ram {
    pub const GPA: u64 = 0x4000_0000;
    pub const SIZE: usize = 0x20_0000;
    pub const CMDQ: usize = 0x00_0000;
    pub const DEVT: usize = 0x01_0000;
    pub const COLLT: usize = 0x02_0000;
    pub const ITT: usize = 0x03_0000;
    pub const PROP: usize = 0x04_0000;
    pub const PEND0: usize = 0x05_0000;
    pub const PEND1: usize = 0x06_0000;
    pub const TABLES_END: usize = 0x07_0000;
}

/// The first LPI.
const LPI0: u64 = 8192;

/// QEMU's GICv3 and ITS on a 2-vCPU VM: `machvirt_init()` creates and initialises the vCPUs,
/// `kvm_arm_gicv3_realize()` then `kvm_arm_its_realize()` (create, `CTRL_INIT`, the probe of
/// `GITS_CTLR` that decides whether the ITS can migrate), `kvm_arm_machine_init_done()` sets
/// the addresses (the last registered first: the ITS's, then the GIC's), and the machine
/// reset resets the ITS (`kvm_arm_its_reset_hold()`). The virt board's ITS is at 0x08080000.
struct QemuVm {
    vm: VmFd,
    _vcpus: Vec<kvm_ioctls::VcpuFd>,
    gic: DeviceFd,
    its: DeviceFd,
    ram: GuestRam,
}

fn qemu_vm(kvm: &Kvm, s: &mut Steps) -> QemuVm {
    const VIRT_GIC_DIST: u64 = 0x0800_0000;
    const VIRT_GIC_REDIST: u64 = 0x080a_0000;
    const VIRT_GIC_ITS: u64 = 0x0808_0000;
    let vm = must(kvm.create_vm(), "create_vm");
    let vcpus = arm64::create_vcpus(&vm, 2);
    s.expect(
        "KVM_ARM_VCPU_INIT of both vCPUs",
        arm64::init_vcpus(&vm, &vcpus).map(|_| None),
        Ok(None),
    );
    let ram = GuestRam::new(&vm, 0, ram::GPA, ram::SIZE).expect("guest RAM");
    let gic = create(&vm, V3).expect("create the GICv3");
    s.expect(
        "set NR_IRQS 64",
        set_u32(&gic, GRP_NR_IRQS, 0, 64),
        Ok(None),
    );
    s.golden("ctrl", "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    // kvm_arm_its_realize().
    s.golden(
        "host",
        "KVM_CREATE_DEVICE ARM_VGIC_ITS(8) TEST => 0",
        probe(&vm, ITS),
    );
    let its = create(&vm, ITS).expect("create the ITS");
    // vgic_its_ctrl(): CTRL_INIT does nothing, with or without an address.
    s.expect("ITS: set CTRL INIT", set_ctrl(&its, CTRL_INIT), Ok(None));
    s.golden_its(
        "regs: before ADDR",
        "has ITS_REGS 0x00000 GITS_CTLR => 0",
        has(&its, GRP_ITS_REGS, GITS_CTLR),
    );
    // kvm_arm_machine_init_done().
    s.golden_its(
        "regs: every offset",
        "set ADDR ITS(4) 0x0000000008080000 => 0",
        set_u64(&its, GRP_ADDR, ADDR_ITS, VIRT_GIC_ITS),
    );
    s.expect(
        "set ADDR V3_REDIST_REGION 0x00200000080a0000",
        set_u64(
            &gic,
            GRP_ADDR,
            ADDR_V3_REDIST_REGION,
            VIRT_GIC_REDIST | 2 << 52,
        ),
        Ok(None),
    );
    s.expect(
        "set ADDR V3_DIST 0x08000000",
        set_u64(&gic, GRP_ADDR, ADDR_V3_DIST, VIRT_GIC_DIST),
        Ok(None),
    );
    // kvm_arm_its_reset_hold().
    s.golden_its(
        "ctrl",
        "has CTRL ITS_RESET(4) => 0",
        has(&its, GRP_CTRL, CTRL_ITS_RESET),
    );
    s.golden_its(
        "ctrl",
        "set CTRL ITS_RESET(4) => 0",
        set_ctrl(&its, CTRL_ITS_RESET),
    );
    QemuVm {
        vm,
        _vcpus: vcpus,
        gic,
        its,
        ram,
    }
}

#[test]
fn qemu_its_order() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let q = qemu_vm(&kvm, &mut s);
    let sec = "regs: every offset";
    for (line, off) in [
        (
            "scan get ITS_REGS 0x00000 GITS_CTLR => 0 0x0000000080000000",
            GITS_CTLR,
        ),
        (
            "scan get ITS_REGS 0x00004 GITS_IIDR => 0 0x000000004b00043b",
            GITS_IIDR,
        ),
        (
            "scan get ITS_REGS 0x00008 GITS_TYPER => 0 0x000000000001ef71",
            GITS_TYPER,
        ),
        (
            "scan get ITS_REGS 0x00100 GITS_BASER0 => 0 0x1907000000000600",
            GITS_BASER,
        ),
        (
            "scan get ITS_REGS 0x00108 GITS_BASER1 => 0 0x1c07000000000600",
            GITS_BASER + 8,
        ),
    ] {
        s.golden_its(sec, line, get_u64(&q.its, GRP_ITS_REGS, off));
    }
    s.golden_its(
        "addr",
        "get ADDR ITS(4) => 0 0xffffffffffffffff",
        get_u64(
            &create(&q.vm, ITS).expect("a second ITS"),
            GRP_ADDR,
            ADDR_ITS,
        ),
    );
    s.expect(
        "get DIST_REGS GICD_TYPER",
        get_u32(&q.gic, GRP_DIST_REGS, GICD_TYPER),
        Ok(Some(gicd_typer_its(64))),
    );
    check_lpi_registers(&mut s, &q.vm, &q.gic);
    s.finish();
}

/// One ITS command at offset `off` of the command queue.
fn its_cmd(ram: &mut GuestRam, off: &mut usize, words: [u64; 4]) {
    for (i, w) in words.iter().enumerate() {
        ram.set_u64(ram::CMDQ + *off + i * 8, *w);
    }
    *off += 32;
}

/// What QEMU keeps of an ITS and of the redistributors' LPI registers across a migration.
#[derive(Debug, PartialEq, Eq)]
struct ItsState {
    /// `kvm_arm_its_pre_save()`: GITS_BASER0-7, CTLR, CBASER, CREADR, CWRITER, IIDR.
    its: Vec<Step>,
    /// `kvm_arm_gicv3_get()`: each vCPU's GICR_PROPBASER, PENDBASER (both halves), CTLR.
    redist: Vec<Step>,
}

fn save_its_state(q: &QemuVm) -> ItsState {
    let mut its: Vec<Step> = (0..8)
        .map(|i| get_u64(&q.its, GRP_ITS_REGS, GITS_BASER + 8 * i))
        .collect();
    for off in [GITS_CTLR, GITS_CBASER, GITS_CREADR, GITS_CWRITER, GITS_IIDR] {
        its.push(get_u64(&q.its, GRP_ITS_REGS, off));
    }
    let mut redist = Vec::new();
    for cpu in 0..2 {
        for off in [
            GICR_PROPBASER,
            GICR_PROPBASER + 4,
            GICR_PENDBASER,
            GICR_PENDBASER + 4,
            GICR_CTLR,
        ] {
            redist.push(get_u32(&q.gic, GRP_REDIST_REGS, redist_attr(cpu, off)));
        }
    }
    ItsState { its, redist }
}

/// The value of a saved register.
fn val(step: &Step) -> u64 {
    step.expect("the register was read").expect("a value")
}

#[test]
fn its_save_restore_round_trip() {
    let Some(kvm) = arm64::open() else { return };
    let mut s = Steps::new();
    let mut src = qemu_vm(&kvm, &mut s);
    // The guest: the LPI tables of both redistributors (64 LPIs, priority 0xa0, enabled), the
    // ITS's tables and queue, and the commands of "## commands: MAPC, MAPD, MAPTI, INT through
    // GITS_CWRITER".
    src.ram.bytes_mut()[ram::PROP..ram::PROP + 64].fill(0xa1);
    let gpa = |off: usize| ram::GPA + off as u64;
    for (cpu, pend) in [(0, ram::PEND0), (1, ram::PEND1)] {
        for (off, v) in [
            (GICR_PROPBASER, gpa(ram::PROP) as u32 | 15),
            (GICR_PROPBASER + 4, 0),
            (GICR_PENDBASER, gpa(pend) as u32),
            (GICR_PENDBASER + 4, 0),
            (GICR_CTLR, 1),
        ] {
            s.expect(
                "set REDIST_REGS",
                set_u32(&src.gic, GRP_REDIST_REGS, redist_attr(cpu, off), v),
                Ok(None),
            );
        }
    }
    for (off, v) in [
        (GITS_BASER, 1 << 63 | gpa(ram::DEVT)),
        (GITS_BASER + 8, 1 << 63 | gpa(ram::COLLT)),
        (GITS_CBASER, 1 << 63 | gpa(ram::CMDQ) | 0xf),
        (GITS_CTLR, 1),
    ] {
        s.expect(
            "set ITS_REGS",
            set_u64(&src.its, GRP_ITS_REGS, off, v),
            Ok(None),
        );
    }
    let mut q = 0;
    let itt = gpa(ram::ITT);
    for cmd in [
        [0x09, 0, 1 << 63, 0],                             // MAPC 0 -> vCPU 0
        [0x09, 0, 1 << 63 | 1 << 16 | 1, 0],               // MAPC 1 -> vCPU 1
        [0x08, 4 - 1, 1 << 63 | itt, 0],                   // MAPD 0, 4 event bits
        [0x08 | 5 << 32, 2 - 1, 1 << 63 | itt | 0x100, 0], // MAPD 5, 2 event bits
        [0x0a, LPI0 << 32, 0, 0],                          // MAPTI 0/0 -> LPI 8192, coll 0
        [0x0a, 3 | (LPI0 + 3) << 32, 1, 0],                // MAPTI 0/3 -> LPI 8195, coll 1
        [0x0a | 5 << 32, 1 | (LPI0 + 7) << 32, 1, 0],      // MAPTI 5/1 -> LPI 8199, coll 1
        [0x03, 3, 0, 0],                                   // INT 0/3
        [0x05, 0, 1 << 16, 0],                             // SYNC vCPU 1
    ] {
        its_cmd(&mut src.ram, &mut q, cmd);
    }
    let sec = "commands: MAPC, MAPD, MAPTI, INT through GITS_CWRITER";
    s.golden_its(
        sec,
        "set ITS_REGS 0x00088 GITS_CWRITER 0x0000000000000120 => 0",
        set_u64(&src.its, GRP_ITS_REGS, GITS_CWRITER, q as u64),
    );
    s.golden_its(
        sec,
        "get ITS_REGS 0x00090 GITS_CREADR => 0 0x0000000000000120",
        get_u64(&src.its, GRP_ITS_REGS, GITS_CREADR),
    );
    // QEMU stops the VM: vm_change_state_handler() of the ITS, then of the GICv3.
    s.golden_its(
        sec,
        "set CTRL ITS_SAVE_TABLES(1) => 0",
        set_ctrl(&src.its, CTRL_ITS_SAVE_TABLES),
    );
    s.golden_its(
        sec,
        "set CTRL SAVE_PENDING_TABLES(3) => 0",
        set_ctrl(&src.gic, CTRL_SAVE_PENDING_TABLES),
    );
    // What the save wrote: "mem saved +0x010000: 0x800a000008006003" and the rest of the
    // section's lines.
    for (off, word) in [
        (ram::DEVT, 0x800a_0000_0800_6003),
        (ram::DEVT + 0x28, 0x8000_0000_0800_6021),
        (ram::COLLT, 0x8000_0000_0000_0000),
        (ram::COLLT + 8, 0x8000_0000_0001_0001),
        (ram::ITT, 0x0003_0000_2000_0000),
        (ram::ITT + 0x18, 0x0000_0000_2003_0001),
        (ram::ITT + 0x108, 0x0000_0000_2007_0001),
        (ram::PEND1 + 0x400, 0x0000_0000_0000_0008),
    ] {
        s.expect(
            &format!("saved word at +{off:#08x}"),
            Ok(Some(src.ram.u64_at(off))),
            Ok(Some(word)),
        );
    }
    let saved = save_its_state(&src);

    // The destination: the same machine, reset, then the guest's memory, then
    // kvm_arm_gicv3_put() and kvm_arm_its_post_load().
    let mut dst = qemu_vm(&kvm, &mut s);
    dst.ram.bytes_mut().copy_from_slice(src.ram.bytes());
    for cpu in 0..2 {
        let r = |i: usize| val(&saved.redist[cpu as usize * 5 + i]) as u32;
        for (off, v) in [
            (GICR_PROPBASER, r(0)),
            (GICR_PROPBASER + 4, r(1)),
            (GICR_PENDBASER, r(2)),
            (GICR_PENDBASER + 4, r(3)),
        ] {
            s.expect(
                "put REDIST_REGS",
                set_u32(&dst.gic, GRP_REDIST_REGS, redist_attr(cpu, off), v),
                Ok(None),
            );
        }
    }
    for cpu in 0..2 {
        let v = val(&saved.redist[cpu as usize * 5 + 4]) as u32;
        s.expect(
            "put REDIST_REGS GICR_CTLR",
            set_u32(&dst.gic, GRP_REDIST_REGS, redist_attr(cpu, GICR_CTLR), v),
            Ok(None),
        );
    }
    let its = |i: usize| val(&saved.its[i]);
    for (off, v) in [
        (GITS_IIDR, its(12)),
        (GITS_CBASER, its(9)),
        (GITS_CREADR, its(10)),
        (GITS_CWRITER, its(11)),
    ] {
        s.expect(
            "post_load ITS_REGS",
            set_u64(&dst.its, GRP_ITS_REGS, off, v),
            Ok(None),
        );
    }
    for i in 0..8 {
        s.expect(
            "post_load GITS_BASER",
            set_u64(&dst.its, GRP_ITS_REGS, GITS_BASER + 8 * i, its(i as usize)),
            Ok(None),
        );
    }
    s.golden_its(
        "roundtrip: save, new VM with a copy of guest memory, restore, save again",
        "set CTRL ITS_RESTORE_TABLES(2) => 0",
        set_ctrl(&dst.its, CTRL_ITS_RESTORE_TABLES),
    );
    s.expect(
        "post_load GITS_CTLR",
        set_u64(&dst.its, GRP_ITS_REGS, GITS_CTLR, its(8)),
        Ok(None),
    );
    let restored = save_its_state(&dst);
    s.expect(
        "the ITS and redistributor registers of the copy are the original's",
        Ok(Some(u64::from(restored == saved))),
        Ok(Some(1)),
    );
    // Both save again into cleared tables: the same bytes, all of guest memory.
    for q in [&mut src, &mut dst] {
        q.ram.bytes_mut()[ram::DEVT..ram::TABLES_END].fill(0);
        q.ram.bytes_mut()[ram::PROP..ram::PROP + 64].fill(0xa1);
        s.expect(
            "ITS_SAVE_TABLES",
            set_ctrl(&q.its, CTRL_ITS_SAVE_TABLES),
            Ok(None),
        );
        s.expect(
            "SAVE_PENDING_TABLES",
            set_ctrl(&q.gic, CTRL_SAVE_PENDING_TABLES),
            Ok(None),
        );
    }
    let differ = src
        .ram
        .bytes()
        .iter()
        .zip(dst.ram.bytes())
        .filter(|(a, b)| a != b)
        .count();
    s.expect(
        "bytes of guest memory that differ after both saved",
        Ok(Some(differ as u64)),
        Ok(Some(0)),
    );
    s.expect(
        "the copy's saved device table entry",
        Ok(Some(dst.ram.u64_at(ram::DEVT))),
        Ok(Some(0x800a_0000_0800_6003)),
    );
    s.expect(
        "the copy's saved pending bit of LPI 8195",
        Ok(Some(dst.ram.u64_at(ram::PEND1 + 0x400))),
        Ok(Some(8)),
    );
    s.finish();
}

#[test]
fn golden_results_parse() {
    // The parser of the expectations: each form once, so that a parse error cannot pass.
    assert_eq!(arm64::parse_result("set CTRL INIT(0) => 0"), Ok(None));
    assert_eq!(
        arm64::parse_result("KVM_CREATE_DEVICE ARM_VGIC_V3(7) => fd"),
        Ok(None)
    );
    assert_eq!(
        arm64::parse_result("get ADDR V3_DIST(2) => 0 0xffffffffffffffff"),
        Ok(Some(u64::MAX))
    );
    assert_eq!(
        arm64::parse_result("set ADDR V3_DIST(2) 0x0000010000000000 => -1 E2BIG"),
        fails(libc::E2BIG)
    );
    let missing = std::panic::catch_unwind(|| {
        arm64::assert_golden_line("ctrl", "set CTRL INIT(0) => -1 EBUSY");
    });
    assert!(
        missing.is_err(),
        "a line real KVM did not print must not be accepted"
    );
}

// The GICv2 (`KVM_DEV_TYPE_ARM_VGIC_V2`) of the node of a GICv2 host,
// `/dev/kvm-devctl-arm64-gicv2`, as QEMU (`kvm_arm_gic_realize()`, `kvm_arm_gic_get()` and
// `kvm_arm_gic_put()` in `hw/intc/arm_gic_kvm.c`) and Firecracker (`GICv2::create()` and
// `gicv2/regs` in `src/vmm/src/arch/aarch64/gic/`) drive it. C: `vgic_v2_set_attr()`,
// `vgic_v2_get_attr()`, `vgic_v2_has_attr()` in `vgic-kvm-device.c`; `vgic-mmio-v2.c`;
// `Documentation/virt/kvm/devices/arm-vgic.rst`. The reference is
// `golden/vgic_v2.txt`, taken on `virt,gic-version=2`.

const V2_GICD_CTLR: u64 = 0x000;
const V2_GICD_TYPER: u64 = 0x004;
const V2_GICD_IIDR: u64 = 0x008;
const V2_GICC_IIDR: u64 = 0x0fc;

/// The GICD_TYPER of a GICv2 with `nr_irqs` interrupts and `vcpus` vCPUs: ITLinesNumber
/// `nr_irqs / 32 - 1` in bits 4:0, CPUNumber `vcpus - 1` in bits 7:5 (C:
/// `vgic_mmio_read_v2_misc()`). The golden transcript has 992 and 1 -> 0x1e, 256 and 1 ->
/// 0x07, 64 and 2 -> 0x21, which this formula gives.
fn v2_gicd_typer(nr_irqs: u64, vcpus: u64) -> u64 {
    (nr_irqs / 32 - 1) | (vcpus - 1) << 5
}

/// Writes state a guest would leave behind into a 2-vCPU GICv2 of 64 or more interrupts, in
/// every register kind the VMMs save: the distributor's control, SPI enables, pending and
/// active bits, priorities, targets and configurations, vCPU 0's SGI sources and PPI
/// state, vCPU 1's private priorities, and both CPU interfaces.
fn v2_dirty(s: &mut Steps, gic: &DeviceFd) {
    let writes: [(u32, u64, u32); 19] = [
        (GRP_DIST_REGS, v2_attr(0, 0x000), 1),
        (GRP_DIST_REGS, v2_attr(0, 0x104), 0x8000_0005),
        (GRP_DIST_REGS, v2_attr(0, 0x100), 0x0001_0000),
        (GRP_DIST_REGS, v2_attr(0, 0x204), 0x30),
        (GRP_DIST_REGS, v2_attr(0, 0x200), 0x0003_0000),
        (GRP_DIST_REGS, v2_attr(0, 0x304), 0x300),
        (GRP_DIST_REGS, v2_attr(0, 0x424), 0x1234_5678),
        (GRP_DIST_REGS, v2_attr(1, 0x41c), 0xa0a0_a0a0),
        (GRP_DIST_REGS, v2_attr(0, 0x820), 0x0102_0302),
        (GRP_DIST_REGS, v2_attr(0, 0xc0c), 0x5555_5555),
        (GRP_DIST_REGS, v2_attr(0, 0xf20), 0x0102_0301),
        (GRP_CPU_REGS, v2_attr(0, 0x00), 0x21f),
        (GRP_CPU_REGS, v2_attr(0, 0x04), 0x1b),
        (GRP_CPU_REGS, v2_attr(0, 0x08), 0x3),
        (GRP_CPU_REGS, v2_attr(0, 0x1c), 0x5),
        (GRP_CPU_REGS, v2_attr(0, 0xd0), 0x8000_0001),
        (GRP_CPU_REGS, v2_attr(1, 0x00), 0x1),
        (GRP_CPU_REGS, v2_attr(1, 0x04), 0x10),
        (GRP_CPU_REGS, v2_attr(1, 0xd0), 0x4),
    ];
    for (group, a, val) in writes {
        s.expect(
            &format!("set group {group} attr {a:#x} {val:#x}"),
            set_u32(gic, group, a, val),
            Ok(None),
        );
    }
}

/// A 2-vCPU VM of the GICv2 host's node with a GICv2 placed and initialised in QEMU's order
/// (`kvm_arm_gic_realize()`, then `kvm_arm_machine_init_done()` for the addresses), with the
/// `virt` board's layout and interrupt count.
fn v2_qemu_gic(s: &mut Steps, kvm: &Kvm) -> (VmFd, Vec<kvm_ioctls::VcpuFd>, DeviceFd) {
    // hw/arm/virt.c: VIRT_GIC_DIST, VIRT_GIC_CPU; NUM_IRQS 256 SPIs plus 32.
    const VIRT_GIC_DIST: u64 = 0x0800_0000;
    const VIRT_GIC_CPU: u64 = 0x0801_0000;
    const NUM_IRQ: u32 = 256 + 32;
    let vm = must(kvm.create_vm(), "create_vm");
    let vcpus = arm64::create_vcpus(&vm, 2);
    s.expect(
        "KVM_ARM_VCPU_INIT of both vCPUs",
        arm64::init_vcpus(&vm, &vcpus).map(|_| None),
        Ok(None),
    );
    let gic = create(&vm, V2).expect("create the GICv2");
    // kvm_arm_gic_realize(): migration needs DIST_REGS; "## scenario: 2 vCPUs, ...".
    s.golden_v2(
        "DIST_REGS cpu 0 before writes",
        "scan has DIST_REGS cpu=0 0x0000 GICD_CTLR .. 0x0008 GICD_IIDR x3 => 0",
        has(&gic, GRP_DIST_REGS, v2_attr(0, V2_GICD_CTLR)),
    );
    s.golden_v2(
        "nr_irqs",
        "has NR_IRQS attr=0x0 => 0",
        has(&gic, GRP_NR_IRQS, 0),
    );
    s.expect(
        "set NR_IRQS 288",
        set_u32(&gic, GRP_NR_IRQS, 0, NUM_IRQ),
        Ok(None),
    );
    s.golden_v2(
        "ctrl",
        "has CTRL INIT(0) => 0",
        has(&gic, GRP_CTRL, CTRL_INIT),
    );
    s.golden_v2("ctrl", "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    let sec = "roundtrip: save, new VM, restore (QEMU's order), save again";
    s.golden_v2(
        sec,
        "set ADDR V2_DIST(0) 0x0000000008000000 => 0",
        set_u64(&gic, GRP_ADDR, ADDR_V2_DIST, VIRT_GIC_DIST),
    );
    s.golden_v2(
        sec,
        "set ADDR V2_CPU(1) 0x0000000008010000 => 0",
        set_u64(&gic, GRP_ADDR, ADDR_V2_CPU, VIRT_GIC_CPU),
    );
    (vm, vcpus, gic)
}

#[test]
fn gicv2_qemu_order() {
    let Some(kvm) = arm64::open_gicv2() else {
        return;
    };
    let mut s = Steps::new();
    let vm = must(kvm.create_vm(), "create_vm");
    // kvm_arm_vgic_probe(): a GICv2 host offers a GICv2 only.
    s.golden_v2(
        "host",
        "KVM_CREATE_DEVICE ARM_VGIC_V2(5) TEST => 0",
        probe(&vm, V2),
    );
    s.golden_v2(
        "host",
        "KVM_CREATE_DEVICE ARM_VGIC_V3(7) TEST => -1 ENODEV",
        probe(&vm, V3),
    );
    drop(vm);
    let (_vm, _vcpus, gic) = v2_qemu_gic(&mut s, &kvm);
    s.expect(
        "get ADDR V2_DIST",
        get_u64(&gic, GRP_ADDR, ADDR_V2_DIST),
        Ok(Some(0x0800_0000)),
    );
    s.expect(
        "get ADDR V2_CPU",
        get_u64(&gic, GRP_ADDR, ADDR_V2_CPU),
        Ok(Some(0x0801_0000)),
    );
    s.expect("get NR_IRQS", get_u32(&gic, GRP_NR_IRQS, 0), Ok(Some(288)));
    s.expect(
        "get DIST_REGS GICD_TYPER",
        get_u32(&gic, GRP_DIST_REGS, v2_attr(1, V2_GICD_TYPER)),
        Ok(Some(v2_gicd_typer(288, 2))),
    );
    s.golden_v2(
        "DIST_REGS cpu 0 before writes",
        "get DIST_REGS cpu=0 0x0008 GICD_IIDR => 0 0x4b00343b",
        get_u32(&gic, GRP_DIST_REGS, v2_attr(0, V2_GICD_IIDR)),
    );
    s.golden_v2(
        "CPU_REGS cpu 0 before writes",
        "get CPU_REGS cpu=0 0x00fc GICC_IIDR => 0 0x04b2043b",
        get_u32(&gic, GRP_CPU_REGS, v2_attr(0, V2_GICC_IIDR)),
    );
    s.golden_v2(
        "writes: DIST_REGS",
        "get DIST_REGS cpu=2 0x0000 GICD_CTLR => -1 EINVAL",
        get_u32(&gic, GRP_DIST_REGS, v2_attr(2, V2_GICD_CTLR)),
    );
    s.finish();
}

#[test]
fn gicv2_firecracker_order() {
    let Some(kvm) = arm64::open_gicv2() else {
        return;
    };
    // layout.rs and gicv2/mod.rs: the distributor just below MAPPED_IO_START, the CPU
    // interface below it, IRQ_MAX interrupts.
    const MAPPED_IO_START: u64 = 1 << 30;
    const IRQ_MAX: u32 = 128;
    let dist = MAPPED_IO_START - 0x1000;
    let cpu = dist - 0x2000;
    let mut s = Steps::new();
    let vm = must(kvm.create_vm(), "create_vm");
    let vcpus = arm64::create_vcpus(&vm, 2);
    // GICv2::create(): the device, DIST, CPU, NR_IRQS, CTRL_INIT.
    let gic = create(&vm, V2).expect("create the GICv2");
    s.expect(
        "set ADDR V2_DIST below 1 GiB",
        set_u64(&gic, GRP_ADDR, ADDR_V2_DIST, dist),
        Ok(None),
    );
    s.expect(
        "set ADDR V2_CPU below it",
        set_u64(&gic, GRP_ADDR, ADDR_V2_CPU, cpu),
        Ok(None),
    );
    s.expect(
        "set NR_IRQS 128",
        set_u32(&gic, GRP_NR_IRQS, 0, IRQ_MAX),
        Ok(None),
    );
    s.golden_v2("ctrl", "set CTRL INIT(0) => 0", set_ctrl(&gic, CTRL_INIT));
    // The vCPUs are initialised after the GIC.
    s.expect(
        "KVM_ARM_VCPU_INIT of both vCPUs",
        arm64::init_vcpus(&vm, &vcpus).map(|_| None),
        Ok(None),
    );
    // vgic_check_iorange(): both frames set once.
    s.golden_v2(
        "addr",
        "set ADDR V2_DIST(0) 0x0000000008000000 => -1 EEXIST",
        set_u64(&gic, GRP_ADDR, ADDR_V2_DIST, 0x0800_0000),
    );
    s.expect(
        "get ADDR V2_CPU",
        get_u64(&gic, GRP_ADDR, ADDR_V2_CPU),
        Ok(Some(cpu)),
    );
    s.expect(
        "get DIST_REGS GICD_TYPER",
        get_u32(&gic, GRP_DIST_REGS, v2_attr(0, V2_GICD_TYPER)),
        Ok(Some(v2_gicd_typer(u64::from(IRQ_MAX), 2))),
    );
    // vgic_init(): vCPUs cannot be added once the GICv2 is initialised; "## nr_irqs: a
    // register access initialises the VGIC".
    s.golden_v2(
        "nr_irqs: a register access initialises the VGIC",
        "KVM_CREATE_VCPU id=1 => -1 EBUSY",
        vm.create_vcpu(2).outcome().map(|_| None),
    );
    s.finish();
}

/// Firecracker's GICv2 state (`gicv2/regs/mod.rs`): per vCPU, the CPU interface registers
/// of `icc_regs.rs` in u64 chunks (cpu id = the vCPU's MPIDR in bits 39:32); then the
/// distributor registers of `dist_regs.rs` for vCPU 0, the per-interrupt ones from interrupt
/// 32 (`IRQ_BASE`) to `IRQ_MAX`, in u32 chunks. Restoring writes them back in the same
/// order, distributor first.
fn firecracker_v2_regs(nr_vcpus: u64, irq_max: u64) -> Vec<(u32, u64, bool)> {
    let mut regs = Vec::new();
    let icc = [0x00, 0x04, 0x08, 0x1c, 0xd0, 0xd4, 0xd8, 0xdc];
    let mut dist = vec![(GRP_DIST_REGS, v2_attr(0, 0x000), false)];
    // (offset, bits per interrupt): CTLR, ICENABLER, ISENABLER, IGROUPR, ICFGR, ICPENDR,
    // ISPENDR, ICACTIVER, ISACTIVER, IPRIORITYR.
    let shared = [
        (0x180, 1),
        (0x100, 1),
        (0x080, 1),
        (0xc00, 2),
        (0x280, 1),
        (0x200, 1),
        (0x380, 1),
        (0x300, 1),
        (0x400, 8),
    ];
    for (base, bits) in shared {
        let start = base + 32 * bits / 8;
        let end = start + (irq_max - 32) * bits / 8;
        dist.extend(
            (start..end)
                .step_by(4)
                .map(|o| (GRP_DIST_REGS, v2_attr(0, o), false)),
        );
    }
    dist.extend(
        (0xf10..0xf30)
            .step_by(4)
            .map(|o| (GRP_DIST_REGS, v2_attr(0, o), false)),
    );
    for cpu in 0..nr_vcpus {
        // Firecracker passes the MPIDR, whose Aff0 is the vCPU's index for these VMs.
        let mpidr = 0x8000_0000 | cpu;
        regs.extend(icc.iter().map(|&o| (GRP_CPU_REGS, v2_attr(mpidr, o), true)));
    }
    regs.extend(dist);
    regs
}

/// Reads every register of `regs` (u64 chunks where the flag says so).
fn save_regs(gic: &DeviceFd, regs: &[(u32, u64, bool)]) -> Vec<Step> {
    regs.iter()
        .map(|&(group, a, wide)| {
            if wide {
                get_u64(gic, group, a)
            } else {
                get_u32(gic, group, a)
            }
        })
        .collect()
}

#[test]
fn gicv2_firecracker_save_restore_is_bit_identical() {
    let Some(kvm) = arm64::open_gicv2() else {
        return;
    };
    const IRQ_MAX: u64 = 128;
    let mut s = Steps::new();
    let setup = |s: &mut Steps| {
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpus = arm64::create_vcpus(&vm, 2);
        let gic = create(&vm, V2).expect("create the GICv2");
        s.expect(
            "set NR_IRQS 128",
            set_u32(&gic, GRP_NR_IRQS, 0, IRQ_MAX as u32),
            Ok(None),
        );
        s.expect("set CTRL INIT", set_ctrl(&gic, CTRL_INIT), Ok(None));
        (vm, vcpus, gic)
    };
    let (_vm, _vcpus, src) = setup(&mut s);
    v2_dirty(&mut s, &src);
    let regs = firecracker_v2_regs(2, IRQ_MAX);
    let saved = save_regs(&src, &regs);
    let nonzero = saved.iter().filter(|v| !matches!(v, Ok(Some(0)))).count();
    // What v2_dirty() wrote that Firecracker saves (not the private interrupts' registers
    // but vCPU 0's SGI sources): the CPU interfaces (5 + 3 values), GICD_CTLR, the SPI
    // enables, pending and active bits read through both registers of each pair (6), one
    // priority register, GICD_CPENDSGIR0 and GICD_SPENDSGIR0; and the SPIs' configurations,
    // edge (0xaaaaaaaa) from kvm_vgic_dist_init() but for the 16 written level (5 of 6).
    s.expect(
        "saved values that are not 0",
        Ok(Some(nonzero as u64)),
        Ok(Some(8 + 1 + 6 + 1 + 2 + 5)),
    );
    let (_vm2, _vcpus2, dst) = setup(&mut s);
    for (&(group, a, wide), val) in regs
        .iter()
        .skip(16)
        .chain(regs.iter().take(16))
        .zip(saved.iter().skip(16).chain(saved.iter().take(16)))
    {
        let Ok(Some(v)) = *val else {
            s.expect(
                &format!("save group {group} attr {a:#x}"),
                *val,
                Ok(Some(0)),
            );
            continue;
        };
        let step = if wide {
            set_u64(&dst, group, a, v)
        } else {
            set_u32(&dst, group, a, v as u32)
        };
        s.expect(
            &format!("restore group {group} attr {a:#x}"),
            step,
            Ok(None),
        );
    }
    for ((&(group, a, _), before), after) in regs.iter().zip(&saved).zip(save_regs(&dst, &regs)) {
        s.expect(&format!("group {group} attr {a:#x} again"), after, *before);
    }
    s.finish();
}

/// QEMU's GICv2 state (`kvm_arm_gic_get()`), as `vgic_v2.c`'s round trip lists it: per vCPU
/// the banked distributor registers (`GICD_IGROUPR0`, `ISENABLER0`, `ISPENDR0`,
/// `ISACTIVER0`, `IPRIORITYR0-7`, `ITARGETSR0-7`, `ICFGR0-1`, `SPENDSGIR0-3`) and the CPU
/// interface (`GICC_CTLR`, `PMR`, `BPR`, `ABPR`, `APR0-3`); then the SPIs' registers; `GICD_CTLR`
/// first.
fn qemu_v2_regs(nr_vcpus: u64, nr_irqs: u64) -> Vec<(u32, u64, bool)> {
    let d = |cpu: u64, o: u64| (GRP_DIST_REGS, v2_attr(cpu, o), false);
    let mut regs = vec![d(0, 0x000)];
    for cpu in 0..nr_vcpus {
        regs.extend([0x080, 0x100, 0x200, 0x300].map(|o| d(cpu, o)));
        for o in (0..32).step_by(4) {
            regs.extend([d(cpu, 0x400 + o), d(cpu, 0x800 + o)]);
        }
        regs.extend([d(cpu, 0xc00), d(cpu, 0xc04)]);
        regs.extend((0xf20..0xf30).step_by(4).map(|o| d(cpu, o)));
        regs.extend(
            [0x00, 0x04, 0x08, 0x1c, 0xd0, 0xd4, 0xd8, 0xdc]
                .map(|o| (GRP_CPU_REGS, v2_attr(cpu, o), false)),
        );
    }
    for o in (4..nr_irqs / 8).step_by(4) {
        regs.extend([0x080, 0x100, 0x200, 0x300].map(|b| d(0, b + o)));
    }
    for o in (32..nr_irqs).step_by(4) {
        regs.extend([d(0, 0x400 + o), d(0, 0x800 + o)]);
    }
    for o in (8..nr_irqs / 4).step_by(4) {
        regs.push(d(0, 0xc00 + o));
    }
    regs
}

#[test]
fn gicv2_qemu_save_restore_is_bit_identical() {
    let Some(kvm) = arm64::open_gicv2() else {
        return;
    };
    let mut s = Steps::new();
    let (_vm, _vcpus, src) = v2_qemu_gic(&mut s, &kvm);
    v2_dirty(&mut s, &src);
    let regs = qemu_v2_regs(2, 288);
    let saved = save_regs(&src, &regs);
    let (_vm2, _vcpus2, dst) = v2_qemu_gic(&mut s, &kvm);
    // kvm_arm_gic_put(): the set/clear pairs are cleared (all ones) before the set register
    // is written, as are the SGI sources (GICD_CPENDSGIR) before GICD_SPENDSGIR.
    for (&(group, a, _), val) in regs.iter().zip(&saved) {
        let Ok(Some(v)) = *val else {
            s.expect(
                &format!("save group {group} attr {a:#x}"),
                *val,
                Ok(Some(0)),
            );
            continue;
        };
        let off = a & 0xffff_ffff;
        let clear = match off {
            0x100..=0x17f | 0x200..=0x27f | 0x300..=0x37f => Some(a + 0x80),
            0xf20..=0xf2f if group == GRP_DIST_REGS => Some(a - 0x10),
            _ => None,
        };
        if let (GRP_DIST_REGS, Some(c)) = (group, clear) {
            s.expect(
                &format!("clear attr {c:#x}"),
                set_u32(&dst, group, c, u32::MAX),
                Ok(None),
            );
        }
        s.expect(
            &format!("restore group {group} attr {a:#x}"),
            set_u32(&dst, group, a, v as u32),
            Ok(None),
        );
    }
    let again = save_regs(&dst, &regs);
    let nonzero = saved.iter().filter(|v| !matches!(v, Ok(Some(0)))).count();
    // GICD_CTLR; per vCPU, GICD_ISENABLER0 (SGIs enabled at reset), GICD_ITARGETSR0-7 (the
    // vCPU's own bit, 8 values) and GICD_ICFGR0 (SGIs edge); vCPU 0's ISPENDR0 (PPIs and
    // SGIs with sources), SPENDSGIR0 and CPU interface (5); vCPU 1's IPRIORITYR7 and CPU
    // interface (3); the SPIs' ISENABLER1, ISPENDR1, ISACTIVER1, IPRIORITYR9, ITARGETSR8 and
    // configurations, edge from kvm_vgic_dist_init() but for the 16 written level (15 of 16).
    s.expect(
        "saved values that are not 0",
        Ok(Some(nonzero as u64)),
        Ok(Some(1 + 2 * 10 + (2 + 5) + (1 + 3) + (5 + 15))),
    );
    for ((&(group, a, _), before), after) in regs.iter().zip(&saved).zip(again) {
        s.expect(&format!("group {group} attr {a:#x} again"), after, *before);
    }
    s.finish();
}
