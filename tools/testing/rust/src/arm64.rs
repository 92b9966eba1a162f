// SPDX-License-Identifier: GPL-2.0

//! The arm64 node of the module (`/dev/kvm-devctl-arm64`) and the arm64 UAPI the tests need.
//!
//! kvm-bindings 0.14.2 built for x86 has none of arm64's `<asm/kvm.h>`: the few constants the
//! tests use are defined here, once, each with its name in arm64's
//! `arch/arm64/include/uapi/asm/kvm.h` (or `include/uapi/linux/kvm.h` for the ioctl numbers).
//! The values were copied from the pinned 7.3 kernel's arm64 UAPI; the C side's copy
//! (`<linux/kvm_arm_vgic.h>`) is compared with arm64's by `make uapi-check`.
//!
//! There is no arm64 KVM in the guest to compare with: the reference for the arm64 node is the
//! golden transcripts of real arm64 KVM,
//! `tools/testing/selftests/kvm-devctl/vgic/golden/vgic_v3.txt` and `vgic_its.txt`, which
//! [`GOLDEN_V3`] and [`GOLDEN_ITS`] embed so that a test can check that a golden line it cites
//! is really there ([`Steps::golden`], [`Steps::golden_its`]).

use std::ffi::CStr;

use kvm_bindings::{kvm_device_attr, kvm_userspace_memory_region};
use kvm_ioctls::{DeviceFd, Kvm, VcpuFd, VmFd};

use crate::{attr, errno_name, raw_ioctl, Errno, Outcome, ToOutcome};

/// The arm64 node of the module (module parameter `arm64_devname`).
pub const KVM_DEVCTL_ARM64_NODE: &CStr = c"/dev/kvm-devctl-arm64";
/// The arm64 node of a GICv2 host (module parameter `arm64_gicv2_devname`).
pub const KVM_DEVCTL_ARM64_GICV2_NODE: &CStr = c"/dev/kvm-devctl-arm64-gicv2";

/// `KVM_DEV_ARM_VGIC_GRP_ADDR` (asm/kvm.h).
pub const GRP_ADDR: u32 = 0;
/// `KVM_DEV_ARM_VGIC_GRP_DIST_REGS` (asm/kvm.h).
pub const GRP_DIST_REGS: u32 = 1;
/// `KVM_DEV_ARM_VGIC_GRP_CPU_REGS` (GICv2).
pub const GRP_CPU_REGS: u32 = 2;
/// `KVM_DEV_ARM_VGIC_GRP_NR_IRQS` (asm/kvm.h).
pub const GRP_NR_IRQS: u32 = 3;
/// `KVM_DEV_ARM_VGIC_GRP_CTRL` (asm/kvm.h).
pub const GRP_CTRL: u32 = 4;
/// `KVM_DEV_ARM_VGIC_GRP_REDIST_REGS` (asm/kvm.h).
pub const GRP_REDIST_REGS: u32 = 5;
/// `KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS` (asm/kvm.h).
pub const GRP_CPU_SYSREGS: u32 = 6;
/// `KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO` (asm/kvm.h).
pub const GRP_LEVEL_INFO: u32 = 7;
/// `KVM_DEV_ARM_VGIC_GRP_ITS_REGS` (asm/kvm.h).
pub const GRP_ITS_REGS: u32 = 8;
/// `KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ` (asm/kvm.h).
pub const GRP_MAINT_IRQ: u32 = 9;
/// `KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT` (asm/kvm.h): the MPIDR of a `REDIST_REGS` attribute.
pub const MPIDR_SHIFT: u32 = 32;
/// `KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT` (asm/kvm.h): the information type of a
/// `LEVEL_INFO` attribute.
pub const LINE_LEVEL_INFO_SHIFT: u32 = 10;
/// `VGIC_LEVEL_INFO_LINE_LEVEL` (asm/kvm.h): the one information type.
pub const LEVEL_INFO_LINE_LEVEL: u64 = 0;

/// `KVM_DEV_ARM_VGIC_CTRL_INIT` (asm/kvm.h).
pub const CTRL_INIT: u64 = 0;
/// `KVM_DEV_ARM_ITS_SAVE_TABLES` (asm/kvm.h).
pub const CTRL_ITS_SAVE_TABLES: u64 = 1;
/// `KVM_DEV_ARM_ITS_RESTORE_TABLES` (asm/kvm.h).
pub const CTRL_ITS_RESTORE_TABLES: u64 = 2;
/// `KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES` (asm/kvm.h).
pub const CTRL_SAVE_PENDING_TABLES: u64 = 3;
/// `KVM_DEV_ARM_ITS_CTRL_RESET` (asm/kvm.h).
pub const CTRL_ITS_RESET: u64 = 4;

/// `KVM_VGIC_V2_ADDR_TYPE_DIST` (asm/kvm.h).
pub const ADDR_V2_DIST: u64 = 0;
/// `KVM_VGIC_V2_ADDR_TYPE_CPU` (asm/kvm.h).
pub const ADDR_V2_CPU: u64 = 1;
/// `KVM_VGIC_V3_ADDR_TYPE_DIST` (asm/kvm.h).
pub const ADDR_V3_DIST: u64 = 2;
/// `KVM_VGIC_V3_ADDR_TYPE_REDIST` (asm/kvm.h).
pub const ADDR_V3_REDIST: u64 = 3;
/// `KVM_VGIC_ITS_ADDR_TYPE` (asm/kvm.h).
pub const ADDR_ITS: u64 = 4;
/// `KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION` (asm/kvm.h).
pub const ADDR_V3_REDIST_REGION: u64 = 5;

/// `KVM_VGIC_V3_DIST_SIZE` (asm/kvm.h: `SZ_64K`).
pub const V3_DIST_SIZE: u64 = 0x1_0000;
/// `KVM_VGIC_V3_REDIST_SIZE` (asm/kvm.h: `2 * SZ_64K`).
pub const V3_REDIST_SIZE: u64 = 0x2_0000;
/// `KVM_VGIC_V3_ITS_SIZE` (asm/kvm.h: `2 * SZ_64K`).
pub const V3_ITS_SIZE: u64 = 0x2_0000;

/// `KVM_ARM_VCPU_POWER_OFF` (asm/kvm.h): a feature bit of `kvm_vcpu_init`.
pub const VCPU_POWER_OFF: u32 = 0;
/// `KVM_ARM_VCPU_PSCI_0_2` (asm/kvm.h): a feature bit of `kvm_vcpu_init`.
pub const VCPU_PSCI_0_2: u32 = 2;
/// `KVM_ARM_TARGET_GENERIC_V8` (asm/kvm.h).
pub const TARGET_GENERIC_V8: u32 = 5;

/// `struct kvm_vcpu_init` (asm/kvm.h): 32 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KvmVcpuInit {
    /// `target`.
    pub target: u32,
    /// `features[7]`.
    pub features: [u32; 7],
}

/// `KVM_ARM_VCPU_INIT`, `_IOW(KVMIO, 0xae, struct kvm_vcpu_init)` (linux/kvm.h).
pub const KVM_ARM_VCPU_INIT: u64 = 0x4020_aeae;
/// `KVM_ARM_PREFERRED_TARGET`, `_IOR(KVMIO, 0xaf, struct kvm_vcpu_init)` (linux/kvm.h).
pub const KVM_ARM_PREFERRED_TARGET: u64 = 0x8020_aeaf;

/// The golden transcript of real arm64 KVM (7.3, QEMU `virt,gic-version=3`) for the GICv3.
pub const GOLDEN_V3: &str = include_str!("../../selftests/kvm-devctl/vgic/golden/vgic_v3.txt");
/// The golden transcript of real arm64 KVM (7.3, QEMU `virt,gic-version=2`) for the GICv2.
pub const GOLDEN_V2: &str = include_str!("../../selftests/kvm-devctl/vgic/golden/vgic_v2.txt");

/// The attribute of a GICv2 `DIST_REGS` or `CPU_REGS` register: the vCPU id in bits 39:32
/// (`KVM_DEV_ARM_VGIC_CPUID_MASK`), the offset below.
pub fn v2_attr(cpu: u64, offset: u64) -> u64 {
    (cpu & 0xff) << 32 | offset
}

/// Opens the node of a GICv2 host as a VMM would, or `None` without the module (as [`open`]).
pub fn open_gicv2() -> Option<Kvm> {
    if !crate::module_loaded() {
        eprintln!("note: kvm_devctl is not loaded; the arm64 node has no reference to test");
        return None;
    }
    match Kvm::new_with_path(KVM_DEVCTL_ARM64_GICV2_NODE) {
        Ok(kvm) => Some(kvm),
        Err(e) => panic!("open /dev/kvm-devctl-arm64-gicv2: {:?}", Errno(e.errno())),
    }
}
/// The golden transcript of real arm64 KVM for the ITS (`KVM_DEV_TYPE_ARM_VGIC_ITS`).
pub const GOLDEN_ITS: &str = include_str!("../../selftests/kvm-devctl/vgic/golden/vgic_its.txt");

/// `KVM_CAP_MSI_DEVID` (linux/kvm.h).
pub const CAP_MSI_DEVID: u64 = 131;

/// Opens the arm64 node as a VMM would (`Kvm::new_with_path()`), or `None` with a note when
/// the module is not loaded (`scripts/vm-run --no-module`): there is then nothing to test.
pub fn open() -> Option<Kvm> {
    if !crate::module_loaded() {
        eprintln!("note: kvm_devctl is not loaded; the arm64 node has no reference to test");
        return None;
    }
    match Kvm::new_with_path(KVM_DEVCTL_ARM64_NODE) {
        Ok(kvm) => Some(kvm),
        Err(e) => panic!("open /dev/kvm-devctl-arm64: {:?}", Errno(e.errno())),
    }
}

/// `KVM_ARM_PREFERRED_TARGET` on a VM.
pub fn preferred_target(vm: &VmFd) -> Outcome<KvmVcpuInit> {
    let mut init = KvmVcpuInit::default();
    raw_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &mut init as *mut _ as u64)?;
    Ok(init)
}

/// `KVM_ARM_VCPU_INIT` on a vCPU.
pub fn vcpu_init(vcpu: &VcpuFd, init: &KvmVcpuInit) -> Outcome {
    raw_ioctl(vcpu, KVM_ARM_VCPU_INIT, init as *const _ as u64).map(|_| ())
}

/// What one step of a sequence gave: `Ok(None)` for a call that returns no value, `Ok(Some(v))`
/// for a read, or the errno; the form of a golden transcript line's result.
pub type Step = Outcome<Option<u64>>;

/// `KVM_SET_DEVICE_ATTR` of a u64 value.
pub fn set_u64(dev: &DeviceFd, group: u32, a: u64, val: u64) -> Step {
    set_raw(dev, &attr(group, a, &val as *const u64 as u64))
}

/// `KVM_SET_DEVICE_ATTR` of a u32 value.
pub fn set_u32(dev: &DeviceFd, group: u32, a: u64, val: u32) -> Step {
    set_raw(dev, &attr(group, a, &val as *const u32 as u64))
}

/// `KVM_SET_DEVICE_ATTR` with no value (`addr` 0), as the `CTRL` group takes it.
pub fn set_ctrl(dev: &DeviceFd, a: u64) -> Step {
    set_raw(dev, &attr(GRP_CTRL, a, 0))
}

/// `KVM_SET_DEVICE_ATTR` of an attribute as given.
pub fn set_raw(dev: &DeviceFd, a: &kvm_device_attr) -> Step {
    dev.set_device_attr(a).outcome().map(|_| None)
}

/// `KVM_GET_DEVICE_ATTR` into a u64 that holds `input` before the call (the index of a
/// `REDIST_REGION` read).
pub fn get_u64_in(dev: &DeviceFd, group: u32, a: u64, input: u64) -> Step {
    let mut val = input;
    let mut da = attr(group, a, &mut val as *mut u64 as u64);
    // SAFETY: `addr` points to our u64.
    unsafe { dev.get_device_attr(&mut da) }.outcome()?;
    Ok(Some(val))
}

/// `KVM_GET_DEVICE_ATTR` of a u64 value.
pub fn get_u64(dev: &DeviceFd, group: u32, a: u64) -> Step {
    get_u64_in(dev, group, a, 0)
}

/// `KVM_GET_DEVICE_ATTR` of a u32 value.
pub fn get_u32(dev: &DeviceFd, group: u32, a: u64) -> Step {
    let mut val = 0u32;
    let mut da = attr(group, a, &mut val as *mut u32 as u64);
    // SAFETY: `addr` points to our u32.
    unsafe { dev.get_device_attr(&mut da) }.outcome()?;
    Ok(Some(u64::from(val)))
}

/// `KVM_GET_DEVICE_ATTR` with `addr` as given (NULL, ...).
pub fn get_raw(dev: &DeviceFd, group: u32, a: u64, addr: u64) -> Step {
    let mut da = attr(group, a, addr);
    // SAFETY: the callers pass addresses the kernel cannot write (it fails the copy).
    unsafe { dev.get_device_attr(&mut da) }.outcome()?;
    Ok(Some(0))
}

/// `KVM_HAS_DEVICE_ATTR`.
pub fn has(dev: &DeviceFd, group: u32, a: u64) -> Step {
    dev.has_device_attr(&attr(group, a, 0))
        .outcome()
        .map(|_| None)
}

/// The attribute of a `REDIST_REGS` register: the vCPU's MPIDR (Aff3.Aff2.Aff1.Aff0 packed)
/// in bits 63:32, the offset below.
pub const fn redist_attr(mpidr: u64, offset: u64) -> u64 {
    mpidr << MPIDR_SHIFT | offset
}

/// The attribute of the `LEVEL_INFO` line levels of the 32 interrupts from `intid` (a multiple
/// of 32) as vCPU `mpidr` sees them: the MPIDR in bits 63:32 as for `REDIST_REGS`,
/// `VGIC_LEVEL_INFO_LINE_LEVEL` in bits 31:10, the interrupt id in bits 9:0.
pub const fn level_attr(mpidr: u64, intid: u64) -> u64 {
    mpidr << MPIDR_SHIFT | LEVEL_INFO_LINE_LEVEL << LINE_LEVEL_INFO_SHIFT | intid
}

/// The low 16 bits of a `CPU_SYSREGS` attribute for system register
/// `S<op0>_<op1>_C<crn>_C<crm>_<op2>`: the `KVM_REG_ARM64_SYSREG_*_SHIFT` fields of asm/kvm.h.
pub const fn sysreg(op0: u64, op1: u64, crn: u64, crm: u64, op2: u64) -> u64 {
    op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2
}

/// `KVM_CREATE_DEVICE` of `type_` through `VmFd::create_device()`, as the VMMs call it.
pub fn create_device(vm: &VmFd, type_: u32) -> Outcome<DeviceFd> {
    let mut cd = kvm_bindings::kvm_create_device {
        type_,
        fd: 0,
        flags: 0,
    };
    vm.create_device(&mut cd).outcome()
}

/// Parses the result of a golden transcript line (the part after `" => "`): `0` and `fd` are
/// `Ok(None)`, `0 0x...` is `Ok(Some(value))`, `-1 ENAME` is the errno.
///
/// # Panics
///
/// If the result has another form, or names an errno [`errno_name`] does not know.
pub fn parse_result(line: &str) -> Step {
    let (_, result) = line
        .rsplit_once(" => ")
        .unwrap_or_else(|| panic!("golden line without ' => ': {line}"));
    let words: Vec<&str> = result.split(' ').collect();
    match words.as_slice() {
        ["0"] | ["fd"] => Ok(None),
        ["0", v] => {
            let hex = v
                .strip_prefix("0x")
                .unwrap_or_else(|| panic!("not hex: {line}"));
            Ok(Some(u64::from_str_radix(hex, 16).expect("a hex value")))
        }
        ["-1", name] => Err(Errno(
            (1..512)
                .find(|&e| errno_name(e) == Some(name))
                .unwrap_or_else(|| panic!("unknown errno in golden line: {line}")),
        )),
        _ => panic!("golden line of an unknown form: {line}"),
    }
}

/// Checks that `line` is a line of section `## section` of the GICv3's golden transcript
/// (sections of the same name may repeat: any of them will do).
///
/// # Panics
///
/// If it is not: the test cites a line that real arm64 KVM did not print.
pub fn assert_golden_line(section: &str, line: &str) {
    assert_golden_line_in(GOLDEN_V3, "vgic_v3", section, line);
}

/// As [`assert_golden_line`], in golden transcript `golden` (`golden/<name>.txt`).
///
/// # Panics
///
/// If the line is not in the section.
pub fn assert_golden_line_in(golden: &str, name: &str, section: &str, line: &str) {
    let header = format!("## {section}");
    let mut in_section = false;
    for l in golden.lines() {
        if l.starts_with("## ") {
            in_section = l == header;
        } else if in_section && l == line {
            return;
        }
    }
    panic!("not in section \"{header}\" of golden/{name}.txt: {line}");
}

/// A step's result as a golden line shows it: `0`, `0 0x<value>` or `-1 <ERRNO>`.
pub fn show(step: &Step) -> String {
    match step {
        Ok(None) => "0".to_string(),
        Ok(Some(v)) => format!("0 {v:#x}"),
        Err(e) => format!("-1 {e}"),
    }
}

/// The outcomes of a sequence of steps and what each should have been.
///
/// A sequence runs to its end whatever a step gives, so that one failure shows every step's
/// result; [`Steps::finish`] then fails the test if any step differed.
#[derive(Default)]
pub struct Steps {
    lines: Vec<String>,
    failed: usize,
}

impl Steps {
    /// A new, empty sequence.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records step `what`: it gave `got`, it should give `want` (from the kernel source or
    /// the client's code, named by the caller's comment).
    pub fn expect(&mut self, what: &str, got: Step, want: Step) {
        let ok = got == want;
        if !ok {
            self.failed += 1;
        }
        self.lines.push(format!(
            "{} {what}: got {}, want {}",
            if ok { "  ok  " } else { "  FAIL" },
            show(&got),
            show(&want)
        ));
    }

    /// Records a step whose expected result is that of golden line `line` of section
    /// `section`, which must exist: the expectation is real arm64 KVM's, verbatim.
    pub fn golden(&mut self, section: &str, line: &str, got: Step) {
        assert_golden_line(section, line);
        let want = parse_result(line);
        self.expect(line, got, want);
    }

    /// As [`Steps::golden`], for a line of the GICv2 host's transcript, `golden/vgic_v2.txt`.
    pub fn golden_v2(&mut self, section: &str, line: &str, got: Step) {
        assert_golden_line_in(GOLDEN_V2, "vgic_v2", section, line);
        let want = parse_result(line);
        self.expect(line, got, want);
    }

    /// As [`Steps::golden`], for a line of the ITS's golden transcript.
    pub fn golden_its(&mut self, section: &str, line: &str, got: Step) {
        assert_golden_line_in(GOLDEN_ITS, "vgic_its", section, line);
        let want = parse_result(line);
        self.expect(line, got, want);
    }

    /// Panics, listing every step, if any step differed.
    pub fn finish(self) {
        assert!(
            self.failed == 0,
            "{} of {} steps differ:\n{}",
            self.failed,
            self.lines.len(),
            self.lines.join("\n")
        );
    }
}

/// Creates `n` vCPUs (ids 0 to n-1), as every client does before the GIC.
pub fn create_vcpus(vm: &VmFd, n: u64) -> Vec<VcpuFd> {
    (0..n)
        .map(|id| crate::must(vm.create_vcpu(id), "create_vcpu"))
        .collect()
}

/// `KVM_ARM_VCPU_INIT` of each vCPU with the preferred target, PSCI 0.2, and the secondary
/// vCPUs powered off: what QEMU's `kvm_arch_init_vcpu()` and Firecracker's
/// `KvmVcpu::init()` ask of a KVM that has `KVM_CAP_ARM_PSCI_0_2`.
pub fn init_vcpus(vm: &VmFd, vcpus: &[VcpuFd]) -> Outcome {
    for (i, vcpu) in vcpus.iter().enumerate() {
        let mut init = preferred_target(vm)?;
        init.features[0] |= 1 << VCPU_PSCI_0_2;
        if i > 0 {
            init.features[0] |= 1 << VCPU_POWER_OFF;
        }
        vcpu_init(vcpu, &init)?;
    }
    Ok(())
}

/// Guest memory: anonymous memory of the test registered as one memslot of a VM
/// (`KVM_SET_USER_MEMORY_REGION`), which the ITS's tables and the LPI tables live in.
pub struct GuestRam {
    base: *mut u8,
    size: usize,
}

impl GuestRam {
    /// Maps `size` bytes and registers them as memslot `slot` at guest address `gpa`.
    pub fn new(vm: &VmFd, slot: u32, gpa: u64, size: usize) -> Outcome<Self> {
        // SAFETY: a fresh anonymous mapping, owned by the returned value.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap failed: {:?}", Errno::last());
        let ram = GuestRam {
            base: base.cast(),
            size,
        };
        let region = kvm_userspace_memory_region {
            slot,
            flags: 0,
            guest_phys_addr: gpa,
            memory_size: size as u64,
            userspace_addr: base as u64,
        };
        // SAFETY: the memory stays mapped as long as `ram`; the kernel only accesses it
        // through the user mapping, which stays valid (a fault gives EFAULT).
        unsafe { vm.set_user_memory_region(region) }.outcome()?;
        Ok(ram)
    }

    /// The memory, as the test sees it.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `size` bytes mapped at `base`, owned by `self`.
        unsafe { std::slice::from_raw_parts(self.base, self.size) }
    }

    /// The memory, to write.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `size` bytes mapped at `base`, owned by `self`.
        unsafe { std::slice::from_raw_parts_mut(self.base, self.size) }
    }

    /// The little-endian u64 at offset `off`.
    pub fn u64_at(&self, off: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bytes()[off..off + 8]);
        u64::from_le_bytes(b)
    }

    /// Writes the little-endian u64 `val` at offset `off`.
    pub fn set_u64(&mut self, off: usize, val: u64) {
        self.bytes_mut()[off..off + 8].copy_from_slice(&val.to_le_bytes());
    }
}

impl Drop for GuestRam {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.base.cast(), self.size) };
    }
}
