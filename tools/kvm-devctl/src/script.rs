// SPDX-License-Identifier: GPL-2.0

//! `kvm-devctl run SCRIPT`: a small line-oriented language to try the device control API from
//! a shell.
//!
//! The reference below is also the `--help` of `run` ([`LANGUAGE`]; a unit test keeps the two
//! the same).
//
// THE SCRIPT LANGUAGE
//
// A script is a text file (or stdin, `-`) of one command a line. `#` starts a comment, at the
// start of a line or after a blank; blank lines are skipped. Words are separated by blanks.
// Numbers are decimal, 0x hex, 0o octal or 0b binary, optionally negative, `_` allowed.
//
// Every command prints one line: its line number, the command, and its result: `ok` and what
// it made or returned, or the errno it failed with; some list more below it, indented. A
// failing command does not stop the script: `expect` asserts a result.
//
// Files are named: `kvm` is the --node itself; the commands that make a file take `as NAME`,
// or name it vm0, vm1, ..., vcpu0, ..., dev0, ..., file0, ..., mem0, ... in order; `save`
// names its snapshots s0, s1, ... the same way.
//
//   vm [NAME] [type=T]       KVM_CREATE_VM of type T (default 0), by Kvm::create_vm_with_type
//                            (which then asks KVM_GET_VCPU_MMAP_SIZE); it becomes the current VM
//   use VM                   make VM the current VM
//   vcpu ID [as NAME]        KVM_CREATE_VCPU on the current VM, by VmFd::create_vcpu (which
//                            maps the kvm_run area); reads kvm_run.exit_reason through the map
//   device TYPE [test] [flags=F] [as NAME]
//                            KVM_CREATE_DEVICE on the current VM; TYPE a number or a name
//                            (vfio, KVM_DEV_TYPE_VFIO, vgic-v2, vgic-v3, vgic-its, ...); `test`
//                            sets KVM_CREATE_DEVICE_TEST: only asks whether TYPE is supported;
//                            flags=F gives the whole flags field
//   has DEV GROUP [PREFIX] ATTR [VALUE] [flags=F] [width=W]
//   set DEV GROUP [PREFIX] ATTR [VALUE] [flags=F] [width=W]
//   get DEV GROUP [PREFIX] ATTR [VALUE] [flags=F] [width=W]
//                            KVM_HAS/SET/GET_DEVICE_ATTR on device DEV, with a kvm_device_attr
//                            of GROUP, ATTR and flags F (default 0). GROUP and ATTR are numbers
//                            or names: kvm-vfio's group `file` (or `group`) with `add`, `del`,
//                            `spapr-tce`; the VGIC's, below. PREFIX (mpidr:X or cpu:N) gives
//                            bits 63:32 of ATTR. addr points to a zeroed page that holds VALUE
//                            (default 0) as a W-bit integer: W is 32 or 64, by default the
//                            width the kernel copies for the device type and group (64 where
//                            the CLI does not know it). VALUE is an integer, fd:NAME (the fd
//                            number of a named file), or @ADDR: addr itself, no buffer (@0 is
//                            NULL). get prints the W bits after the call as its value.
//   check-extension CAP [VM] KVM_CHECK_EXTENSION on the node, or on VM; CAP a number or a name
//                            (device-ctrl, KVM_CAP_MAX_VCPU_ID, arm-vm-ipa-size, ...); prints
//                            the value
//   api-version              KVM_GET_API_VERSION; prints the value
//   mmap-size                KVM_GET_VCPU_MMAP_SIZE; prints the value
//   open PATH [as NAME]      open a file (read-write, else read-only), e.g. to pass as fd:NAME
//   ioctl NAME REQUEST [ARG] a raw ioctl(2) on file NAME (kvm included): REQUEST a number or a
//                            name (KVM_CREATE_DEVICE, KVM_SET_DEVICE_ATTR, KVM_CREATE_IRQCHIP,
//                            ...), ARG an integer, fd:NAME or @ADDR (default 0): e.g. a bad
//                            pointer. Prints the value; a file it makes is not named.
//   close NAME               close a named file (a vCPU's mapping too; unmap a memory)
//   expect ok|ERRNO|VALUE    assert the result of the last command before it: success, failure
//                            with ERRNO (a name: EINVAL), or success with VALUE (the value the
//                            command printed). If it is not met, the script stops, exit status 1.
//   echo TEXT                print TEXT
//
// The VGIC groups (vgic-v2, vgic-v3, vgic-its devices) and their attributes:
//
//   addr                     v2-dist v2-cpu dist redist its redist-region; u64 addresses
//   dist, redist, cpu        registers by name or offset: GICD_CTLR (or ctlr), GICD_ISENABLER1,
//                            GICD_IROUTER32.hi, GICR_TYPER.lo, GICC_PMR; u32. redist takes
//                            mpidr:X (a number or Aff3.Aff2.Aff1.Aff0), cpu (GICv2) cpu:N
//   sysregs                  mpidr:X ICC_PMR_EL1 (or PMR_EL1), ...; u64
//   level-info               mpidr:X line-level:INTID, the levels of 32 lines from INTID; u32
//   nr-irqs, maint-irq       attribute 0; u32
//   ctrl                     init its-save-tables its-restore-tables save-pending-tables
//                            its-reset userspace-ppis; no value
//   its-regs                 GITS_CTLR, GITS_CBASER, GITS_BASER0, ...; u64
//
// arm64 (/dev/kvm-devctl-arm64, or /dev/kvm on an arm64 host):
//
//   preferred-target [VM]    KVM_ARM_PREFERRED_TARGET on VM (default: the current VM); prints
//                            the target
//   vcpu-init VCPU [FEATURE]... [target=T]
//                            KVM_ARM_VCPU_INIT of VCPU with its VM's preferred target (or T)
//                            and FEATUREs: power-off, el1-32bit, psci-0.2, pmu-v3, sve,
//                            ptrauth-address, ptrauth-generic, has-el2, has-el2-e2h0,
//                            pmu-v3-strict, or bit numbers. Shows the mpidr the VGIC groups
//                            then address the vCPU by (kvm_calculate_mpidr())
//   memslot SLOT GPA SIZE [flags=F] [uaddr=A] [as NAME]
//                            KVM_SET_USER_MEMORY_REGION on the current VM: slot SLOT at
//                            guest-physical GPA, backed by SIZE bytes of new anonymous memory
//                            (named mem0, ...); uaddr=A passes A instead and maps nothing; SIZE
//                            0 deletes the slot
//   write MEM OFFSET VALUE... [width=W]
//                            store VALUEs as W-bit integers (8, 16, 32 or 64, the default) at
//                            OFFSET of memory MEM, one after the other
//   read MEM OFFSET [width=W]
//                            print the W-bit integer at OFFSET of MEM
//   copy SRC DST             copy memory SRC into DST (as much as the smaller holds)
//   fill MEM FROM TO [BYTE]  store BYTE (default 0) in every byte of [FROM, TO) of MEM
//   dump MEM [FROM TO]       list the non-zero u64 words of MEM, or of [FROM, TO); the value is
//                            how many
//   dump SNAPSHOT            list the non-zero values of a snapshot; the value is how many
//   save DEV [as NAME]       save the state of a vgic-v3 or vgic-its device as a snapshot, as
//                            QEMU saves it: for a GICv3, GICD_CTLR and the SPIs' registers, then
//                            for each vCPU of its VM (in id order) its redistributor and CPU
//                            interface; for an ITS, CTRL its-save-tables, then the GITS_*
//                            registers. The value is how many values; a read that fails fails
//                            the command (the snapshot is kept)
//   restore SNAPSHOT into DEV
//                            write a snapshot to a device of its type, in QEMU's order (set/clear
//                            pairs cleared first; a GICv3's GICR_PROPBASER and GICR_PENDBASER
//                            before any GICR_CTLR); fails with the errno of the first write that
//                            fails, listing every failed write
//   compare A B [FROM TO]    compare two snapshots, or two memories word by word (in [FROM,
//                            TO)); lists the differences; the value is how many
//
// Exit status: 0; 1 when an `expect` is not met; 2 for an error in the script (syntax, an
// unknown name, no current VM), or when the script or the node cannot be opened.
//
// Example:
//
//   vm                       # vm0, the current VM
//   vcpu 0
//   device vfio test
//   device vfio as vf
//   has vf file add
//   expect ok
//   set vf file add fd:vm0   # a VM is not a VFIO file
//   expect EINVAL
//   get vf file add
//   expect EPERM             # kvm-vfio has no get_attr
//
// On /dev/kvm-devctl-arm64, a GICv3 (demo-gic.kvmdev has more):
//
//   vm
//   vcpu 0
//   vcpu-init vcpu0 psci-0.2
//   device vgic-v3 as gic
//   set gic ctrl init
//   set gic sysregs mpidr:0 icc_pmr_el1 0xf0
//   get gic sysregs mpidr:0 icc_pmr_el1
//   expect 0xf0
//   save gic as before

use std::fs::File;
use std::os::unix::io::{AsRawFd, RawFd};

use kvm_bindings::{kvm_device_attr, kvm_userspace_memory_region, KVM_CREATE_DEVICE_TEST};
use kvm_ioctls::{DeviceFd, Kvm, VcpuFd, VmFd};

use crate::device::{create_device, fd_link, Created};
use crate::memory::{diff_words, nonzero_words, Mapping};
use crate::names::{
    attr_width, cap_name, device_type_name, errno_name, errno_text, DEV_VGIC_ITS, DEV_VGIC_V3,
    KVM_ARM_PREFERRED_TARGET, KVM_ARM_VCPU_INIT,
};
use crate::parse::{parse_script, AttrOp, Cmd, Expectation, Value};
use crate::snapshot::{self, AttrIo, Kind, Snapshot};
use crate::vgic::{describe, vcpu_feature_names, vcpu_mpidr};

/// The reference of the language, for `kvm-devctl run --help`: the comment block above.
pub const LANGUAGE: &str = "\
A script is a text file (or stdin, `-`) of one command a line. `#` starts a comment, at the
start of a line or after a blank; blank lines are skipped. Words are separated by blanks.
Numbers are decimal, 0x hex, 0o octal or 0b binary, optionally negative, `_` allowed.

Every command prints one line: its line number, the command, and its result: `ok` and what
it made or returned, or the errno it failed with; some list more below it, indented. A
failing command does not stop the script: `expect` asserts a result.

Files are named: `kvm` is the --node itself; the commands that make a file take `as NAME`,
or name it vm0, vm1, ..., vcpu0, ..., dev0, ..., file0, ..., mem0, ... in order; `save`
names its snapshots s0, s1, ... the same way.

  vm [NAME] [type=T]       KVM_CREATE_VM of type T (default 0), by Kvm::create_vm_with_type
                           (which then asks KVM_GET_VCPU_MMAP_SIZE); it becomes the current VM
  use VM                   make VM the current VM
  vcpu ID [as NAME]        KVM_CREATE_VCPU on the current VM, by VmFd::create_vcpu (which
                           maps the kvm_run area); reads kvm_run.exit_reason through the map
  device TYPE [test] [flags=F] [as NAME]
                           KVM_CREATE_DEVICE on the current VM; TYPE a number or a name
                           (vfio, KVM_DEV_TYPE_VFIO, vgic-v2, vgic-v3, vgic-its, ...); `test`
                           sets KVM_CREATE_DEVICE_TEST: only asks whether TYPE is supported;
                           flags=F gives the whole flags field
  has DEV GROUP [PREFIX] ATTR [VALUE] [flags=F] [width=W]
  set DEV GROUP [PREFIX] ATTR [VALUE] [flags=F] [width=W]
  get DEV GROUP [PREFIX] ATTR [VALUE] [flags=F] [width=W]
                           KVM_HAS/SET/GET_DEVICE_ATTR on device DEV, with a kvm_device_attr
                           of GROUP, ATTR and flags F (default 0). GROUP and ATTR are numbers
                           or names: kvm-vfio's group `file` (or `group`) with `add`, `del`,
                           `spapr-tce`; the VGIC's, below. PREFIX (mpidr:X or cpu:N) gives
                           bits 63:32 of ATTR. addr points to a zeroed page that holds VALUE
                           (default 0) as a W-bit integer: W is 32 or 64, by default the
                           width the kernel copies for the device type and group (64 where
                           the CLI does not know it). VALUE is an integer, fd:NAME (the fd
                           number of a named file), or @ADDR: addr itself, no buffer (@0 is
                           NULL). get prints the W bits after the call as its value.
  check-extension CAP [VM] KVM_CHECK_EXTENSION on the node, or on VM; CAP a number or a name
                           (device-ctrl, KVM_CAP_MAX_VCPU_ID, arm-vm-ipa-size, ...); prints
                           the value
  api-version              KVM_GET_API_VERSION; prints the value
  mmap-size                KVM_GET_VCPU_MMAP_SIZE; prints the value
  open PATH [as NAME]      open a file (read-write, else read-only), e.g. to pass as fd:NAME
  ioctl NAME REQUEST [ARG] a raw ioctl(2) on file NAME (kvm included): REQUEST a number or a
                           name (KVM_CREATE_DEVICE, KVM_SET_DEVICE_ATTR, KVM_CREATE_IRQCHIP,
                           ...), ARG an integer, fd:NAME or @ADDR (default 0): e.g. a bad
                           pointer. Prints the value; a file it makes is not named.
  close NAME               close a named file (a vCPU's mapping too; unmap a memory)
  expect ok|ERRNO|VALUE    assert the result of the last command before it: success, failure
                           with ERRNO (a name: EINVAL), or success with VALUE (the value the
                           command printed). If it is not met, the script stops, exit status 1.
  echo TEXT                print TEXT

The VGIC groups (vgic-v2, vgic-v3, vgic-its devices) and their attributes:

  addr                     v2-dist v2-cpu dist redist its redist-region; u64 addresses
  dist, redist, cpu        registers by name or offset: GICD_CTLR (or ctlr), GICD_ISENABLER1,
                           GICD_IROUTER32.hi, GICR_TYPER.lo, GICC_PMR; u32. redist takes
                           mpidr:X (a number or Aff3.Aff2.Aff1.Aff0), cpu (GICv2) cpu:N
  sysregs                  mpidr:X ICC_PMR_EL1 (or PMR_EL1), ...; u64
  level-info               mpidr:X line-level:INTID, the levels of 32 lines from INTID; u32
  nr-irqs, maint-irq       attribute 0; u32
  ctrl                     init its-save-tables its-restore-tables save-pending-tables
                           its-reset userspace-ppis; no value
  its-regs                 GITS_CTLR, GITS_CBASER, GITS_BASER0, ...; u64

arm64 (/dev/kvm-devctl-arm64, or /dev/kvm on an arm64 host):

  preferred-target [VM]    KVM_ARM_PREFERRED_TARGET on VM (default: the current VM); prints
                           the target
  vcpu-init VCPU [FEATURE]... [target=T]
                           KVM_ARM_VCPU_INIT of VCPU with its VM's preferred target (or T)
                           and FEATUREs: power-off, el1-32bit, psci-0.2, pmu-v3, sve,
                           ptrauth-address, ptrauth-generic, has-el2, has-el2-e2h0,
                           pmu-v3-strict, or bit numbers. Shows the mpidr the VGIC groups
                           then address the vCPU by (kvm_calculate_mpidr())
  memslot SLOT GPA SIZE [flags=F] [uaddr=A] [as NAME]
                           KVM_SET_USER_MEMORY_REGION on the current VM: slot SLOT at
                           guest-physical GPA, backed by SIZE bytes of new anonymous memory
                           (named mem0, ...); uaddr=A passes A instead and maps nothing; SIZE
                           0 deletes the slot
  write MEM OFFSET VALUE... [width=W]
                           store VALUEs as W-bit integers (8, 16, 32 or 64, the default) at
                           OFFSET of memory MEM, one after the other
  read MEM OFFSET [width=W]
                           print the W-bit integer at OFFSET of MEM
  copy SRC DST             copy memory SRC into DST (as much as the smaller holds)
  fill MEM FROM TO [BYTE]  store BYTE (default 0) in every byte of [FROM, TO) of MEM
  dump MEM [FROM TO]       list the non-zero u64 words of MEM, or of [FROM, TO); the value is
                           how many
  dump SNAPSHOT            list the non-zero values of a snapshot; the value is how many
  save DEV [as NAME]       save the state of a vgic-v3 or vgic-its device as a snapshot, as
                           QEMU saves it: for a GICv3, GICD_CTLR and the SPIs' registers, then
                           for each vCPU of its VM (in id order) its redistributor and CPU
                           interface; for an ITS, CTRL its-save-tables, then the GITS_*
                           registers. The value is how many values; a read that fails fails
                           the command (the snapshot is kept)
  restore SNAPSHOT into DEV
                           write a snapshot to a device of its type, in QEMU's order (set/clear
                           pairs cleared first; a GICv3's GICR_PROPBASER and GICR_PENDBASER
                           before any GICR_CTLR); fails with the errno of the first write that
                           fails, listing every failed write
  compare A B [FROM TO]    compare two snapshots, or two memories word by word (in [FROM,
                           TO)); lists the differences; the value is how many

Exit status: 0; 1 when an `expect` is not met; 2 for an error in the script (syntax, an
unknown name, no current VM), or when the script or the node cannot be opened.

Example:

  vm                       # vm0, the current VM
  vcpu 0
  device vfio test
  device vfio as vf
  has vf file add
  expect ok
  set vf file add fd:vm0   # a VM is not a VFIO file
  expect EINVAL
  get vf file add
  expect EPERM             # kvm-vfio has no get_attr

On /dev/kvm-devctl-arm64, a GICv3 (demo-gic.kvmdev has more):

  vm
  vcpu 0
  vcpu-init vcpu0 psci-0.2
  device vgic-v3 as gic
  set gic ctrl init
  set gic sysregs mpidr:0 icc_pmr_el1 0xf0
  get gic sysregs mpidr:0 icc_pmr_el1
  expect 0xf0
  save gic as before";

/// How a script run failed.
#[derive(Debug)]
pub enum Failure {
    /// An `expect` was not met (exit status 1).
    Expectation(String),
    /// The script is wrong or unreadable (exit status 2).
    Script(String),
}

/// A named object of the script: a file, or memory.
enum Obj {
    /// A VM; `serial` tells it from later VMs of the same name.
    Vm {
        fd: VmFd,
        serial: usize,
    },
    /// A vCPU of the VM of serial `vm`, with id `id`.
    Vcpu {
        fd: VcpuFd,
        vm: usize,
        id: u64,
    },
    /// A device of type `type_` of the VM of serial `vm`.
    Device {
        fd: DeviceFd,
        type_: u32,
        vm: usize,
    },
    File(File),
    Mem(Mapping),
}

impl Obj {
    fn fd(&self) -> Option<RawFd> {
        match self {
            Obj::Vm { fd, .. } => Some(fd.as_raw_fd()),
            Obj::Vcpu { fd, .. } => Some(fd.as_raw_fd()),
            Obj::Device { fd, .. } => Some(fd.as_raw_fd()),
            Obj::File(f) => Some(f.as_raw_fd()),
            Obj::Mem(_) => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Obj::Vm { .. } => "a VM",
            Obj::Vcpu { .. } => "a vCPU",
            Obj::Device { .. } => "a device",
            Obj::File(_) => "a file",
            Obj::Mem(_) => "memory",
        }
    }
}

/// What a successful command gave: a description, maybe a value, and how wide a register it
/// read (shown in hex).
#[derive(Default)]
struct Done {
    text: String,
    value: Option<u64>,
    hex_bits: Option<u32>,
}

fn done(text: impl Into<String>, value: Option<u64>) -> Done {
    Done {
        text: text.into(),
        value,
        hex_bits: None,
    }
}

/// What a command gave: success, or an errno.
type Outcome = Result<Done, i32>;

/// The last command that ran, for `expect`.
struct Last {
    number: usize,
    text: String,
    outcome: Outcome,
}

/// The kinds of named objects, and the prefixes of their default names.
const VM: usize = 0;
const VCPU: usize = 1;
const DEV: usize = 2;
const FILE: usize = 3;
const MEM: usize = 4;
const SNAP: usize = 5;
const NAME_PREFIX: [&str; 6] = ["vm", "vcpu", "dev", "file", "mem", "s"];

/// A vCPU the script created, closed or not: the VGIC groups address it by its MPIDR.
struct VcpuInfo {
    vm: usize,
    id: u64,
    /// The VGIC mpidr once `KVM_ARM_VCPU_INIT` succeeded (0 until then, as in KVM).
    mpidr: Option<u32>,
}

/// `struct kvm_vcpu_init` of arm64's `<asm/kvm.h>`: 32 bytes.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct KvmVcpuInit {
    target: u32,
    features: [u32; 7],
}

/// How many lines a command may list below its result.
const MAX_DETAILS: usize = 40;

struct Interp {
    kvm: Kvm,
    source: String,
    objs: Vec<(String, Obj)>,
    snapshots: Vec<(String, Snapshot)>,
    vcpus: Vec<VcpuInfo>,
    next_vm_serial: usize,
    current_vm: Option<String>,
    counters: [usize; 6],
    last: Option<Last>,
    /// The lines the running command lists below its result.
    details: Vec<String>,
    /// Memory `close` unnamed, mapped until the end (see `Cmd::Close`).
    unnamed_memory: Vec<Mapping>,
}

fn errno_of(e: &kvm_ioctls::Error) -> i32 {
    e.errno()
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Whether `v` is a `bits`-bit integer, unsigned or (two's complement) negative.
fn fits(v: u64, bits: u32) -> bool {
    let s = v as i64;
    bits >= 64 || v < 1 << bits || (s < 0 && s >= -(1i64 << (bits - 1)))
}

fn mask(v: u64, bits: u32) -> u64 {
    if bits >= 64 {
        v
    } else {
        v & ((1 << bits) - 1)
    }
}

/// A device's attributes as [`snapshot`] reads and writes them.
struct DevIo<'a>(&'a DeviceFd);

impl DevIo<'_> {
    /// `KVM_GET_DEVICE_ATTR` into `buf`.
    fn get_into<T>(&self, group: u32, attr: u64, buf: &mut T) -> Result<(), i32> {
        let mut a = kvm_device_attr {
            flags: 0,
            group,
            attr,
            addr: buf as *mut T as u64,
        };
        // SAFETY: addr points to our buffer, a u32 or a u64 as the group's value is.
        unsafe { self.0.get_device_attr(&mut a) }.map_err(|e| e.errno())
    }
}

impl AttrIo for DevIo<'_> {
    fn get(&self, group: u32, attr: u64, wide: bool) -> Result<u64, i32> {
        if wide {
            let mut v = 0u64;
            self.get_into(group, attr, &mut v)?;
            Ok(v)
        } else {
            let mut v = 0u32;
            self.get_into(group, attr, &mut v)?;
            Ok(u64::from(v))
        }
    }

    fn set(&self, group: u32, attr: u64, wide: bool, val: u64) -> Result<(), i32> {
        let v32 = val as u32;
        let addr = if wide {
            &val as *const u64 as u64
        } else {
            &v32 as *const u32 as u64
        };
        let a = kvm_device_attr {
            flags: 0,
            group,
            attr,
            addr,
        };
        self.0.set_device_attr(&a).map_err(|e| e.errno())
    }
}

impl Interp {
    fn script_error(&self, number: usize, msg: impl std::fmt::Display) -> Failure {
        Failure::Script(format!("{}:{number}: {msg}", self.source))
    }

    fn get(&self, name: &str) -> Option<&Obj> {
        self.objs.iter().find(|o| o.0 == name).map(|o| &o.1)
    }

    fn snapshot(&self, name: &str) -> Option<&Snapshot> {
        self.snapshots.iter().find(|s| s.0 == name).map(|s| &s.1)
    }

    /// The fd of a named file, `kvm` included.
    fn fd_of(&self, name: &str) -> Result<RawFd, String> {
        if name == "kvm" {
            return Ok(self.kvm.as_raw_fd());
        }
        match self.get(name) {
            Some(o) => o
                .fd()
                .ok_or_else(|| format!("`{name}` is {}, not a file", o.kind())),
            None => Err(format!("no file named `{name}`")),
        }
    }

    fn device(&self, name: &str) -> Result<(&DeviceFd, u32, usize), String> {
        match self.get(name) {
            Some(Obj::Device { fd, type_, vm }) => Ok((fd, *type_, *vm)),
            Some(o) => Err(format!("`{name}` is {}, not a device", o.kind())),
            None => Err(format!("no file named `{name}`")),
        }
    }

    fn mem(&self, name: &str) -> Result<&Mapping, String> {
        match self.get(name) {
            Some(Obj::Mem(m)) => Ok(m),
            Some(o) => Err(format!("`{name}` is {}, not memory", o.kind())),
            None => Err(format!("no memory named `{name}`")),
        }
    }

    fn mem_mut(&mut self, name: &str) -> Result<&mut Mapping, String> {
        match self.objs.iter_mut().find(|o| o.0 == name).map(|o| &mut o.1) {
            Some(Obj::Mem(m)) => Ok(m),
            Some(o) => Err(format!("`{name}` is {}, not memory", o.kind())),
            None => Err(format!("no memory named `{name}`")),
        }
    }

    /// The name for a new object: the one given (if free), or the next free one of its kind;
    /// [`Interp::named`] takes it once the object exists.
    fn name_for(&self, given: &Option<String>, kind: usize) -> Result<String, String> {
        let taken = |n: &str| self.get(n).is_some() || self.snapshot(n).is_some();
        if let Some(n) = given {
            if taken(n) {
                return Err(format!("the name `{n}` is taken (close it first)"));
            }
            return Ok(n.clone());
        }
        let mut i = self.counters[kind];
        loop {
            let n = format!("{}{i}", NAME_PREFIX[kind]);
            if !taken(&n) {
                return Ok(n);
            }
            i += 1;
        }
    }

    /// Counts `name` (from [`Interp::name_for`]) as used.
    fn count(&mut self, name: &str, kind: usize) {
        if let Some(i) = name
            .strip_prefix(NAME_PREFIX[kind])
            .and_then(|n| n.parse::<usize>().ok())
        {
            if i >= self.counters[kind] {
                self.counters[kind] = i + 1;
            }
        }
    }

    /// Names `obj` `name` (from [`Interp::name_for`]).
    fn named(&mut self, name: &str, kind: usize, obj: Obj) {
        self.count(name, kind);
        self.objs.push((name.to_string(), obj));
    }

    /// The current VM and its serial number.
    fn current_vm(&self) -> Result<(&VmFd, usize), String> {
        let name = self
            .current_vm
            .as_ref()
            .ok_or("no current VM: make one with `vm` (or pick one with `use`)")?;
        match self.get(name) {
            Some(Obj::Vm { fd, serial }) => Ok((fd, *serial)),
            _ => Err(format!("the current VM `{name}` is gone")),
        }
    }

    fn value_arg(&self, v: &Value) -> Result<u64, String> {
        Ok(match v {
            Value::Int(i) | Value::Addr(i) => *i,
            Value::Fd(name) => self.fd_of(name)? as u64,
        })
    }

    /// Lists `lines` below the running command's result, at most [`MAX_DETAILS`].
    fn detail(&mut self, lines: impl IntoIterator<Item = String>) {
        let lines: Vec<String> = lines.into_iter().collect();
        let n = lines.len();
        self.details.extend(lines.into_iter().take(MAX_DETAILS));
        if n > MAX_DETAILS {
            self.details
                .push(format!("... and {} more", n - MAX_DETAILS));
        }
    }

    /// Runs one command; `Err` is an error of the script.
    fn exec(&mut self, cmd: &Cmd) -> Result<Outcome, String> {
        Ok(match cmd {
            Cmd::Vm { name, type_ } => {
                let name = self.name_for(name, VM)?;
                match self.kvm.create_vm_with_type(*type_) {
                    Ok(vm) => {
                        let fd = vm.as_raw_fd();
                        let run = vm.run_size();
                        let serial = self.next_vm_serial;
                        self.next_vm_serial += 1;
                        self.named(&name, VM, Obj::Vm { fd: vm, serial });
                        self.current_vm = Some(name.clone());
                        Ok(done(
                            format!("{name}, fd {fd} ({}), vCPU mmap size {run}", fd_link(fd)),
                            None,
                        ))
                    }
                    Err(e) => Err(errno_of(&e)),
                }
            }
            Cmd::Use(name) => match self.get(name) {
                Some(Obj::Vm { .. }) => {
                    self.current_vm = Some(name.clone());
                    Ok(done(format!("{name} is the current VM"), None))
                }
                Some(o) => return Err(format!("`{name}` is {}, not a VM", o.kind())),
                None => return Err(format!("no file named `{name}`")),
            },
            Cmd::Vcpu { id, name } => {
                let name = self.name_for(name, VCPU)?;
                let (vm, serial) = self.current_vm()?;
                let run_size = vm.run_size();
                match vm.create_vcpu(*id) {
                    Ok(mut vcpu) => {
                        let fd = vcpu.as_raw_fd();
                        let exit_reason = vcpu.get_kvm_run().exit_reason;
                        self.vcpus.push(VcpuInfo {
                            vm: serial,
                            id: *id,
                            mpidr: None,
                        });
                        self.named(
                            &name,
                            VCPU,
                            Obj::Vcpu {
                                fd: vcpu,
                                vm: serial,
                                id: *id,
                            },
                        );
                        Ok(done(
                            format!(
                                "{name}, fd {fd} ({}), kvm_run mapped ({run_size} bytes), \
                                 exit_reason {exit_reason}",
                                fd_link(fd)
                            ),
                            None,
                        ))
                    }
                    Err(e) => Err(errno_of(&e)),
                }
            }
            Cmd::Device { type_, flags, name } => {
                let new_name = self.name_for(name, DEV)?;
                let (vm, serial) = self.current_vm()?;
                let type_name = device_type_name(*type_).unwrap_or("no UAPI name");
                let test = flags & KVM_CREATE_DEVICE_TEST != 0;
                match create_device(vm, *type_, *flags) {
                    Ok(Created::Nothing) if test => Ok(done(
                        format!("type {type_} ({type_name}) is supported; no file made"),
                        None,
                    )),
                    Ok(Created::Nothing) => Ok(done(
                        "but the fd field was not written: no file to name",
                        None,
                    )),
                    Ok(Created::Device(dev)) => {
                        let name = new_name;
                        let fd = dev.as_raw_fd();
                        self.named(
                            &name,
                            DEV,
                            Obj::Device {
                                fd: dev,
                                type_: *type_,
                                vm: serial,
                            },
                        );
                        let note = if test {
                            " (but the test flag was set!)"
                        } else {
                            ""
                        };
                        Ok(done(
                            format!("{name}, fd {fd} ({}){note}", fd_link(fd)),
                            None,
                        ))
                    }
                    Err(e) => Err(e),
                }
            }
            Cmd::Attr {
                op,
                dev,
                group,
                attr,
                value,
                flags,
                width,
            } => {
                let (device, type_, _) = self.device(dev)?;
                let bits = width.or(attr_width(type_, *group)).unwrap_or(64);
                // A page, so that a get of a larger attribute cannot overflow it.
                let mut buf = vec![0u8; 4096];
                let addr = match value {
                    Value::Addr(a) => *a,
                    v => {
                        let v = self.value_arg(v)?;
                        if !fits(v, bits) {
                            return Err(format!(
                                "VALUE {v:#x} does not fit the {bits} bits of the attribute \
                                 (width=64 passes 64)"
                            ));
                        }
                        if bits == 32 {
                            buf[..4].copy_from_slice(&(v as u32).to_ne_bytes());
                        } else {
                            buf[..8].copy_from_slice(&v.to_ne_bytes());
                        }
                        buf.as_mut_ptr() as u64
                    }
                };
                let mut a = kvm_device_attr {
                    flags: *flags,
                    group: *group,
                    attr: *attr,
                    addr,
                };
                let r = match op {
                    AttrOp::Has => device.has_device_attr(&a),
                    AttrOp::Set => device.set_device_attr(&a),
                    // SAFETY: addr is our page, or an address the script asked for (@ADDR),
                    // which the script's author must make invalid (the help says so).
                    AttrOp::Get => unsafe { device.get_device_attr(&mut a) },
                };
                match r {
                    Ok(()) if *op == AttrOp::Get && !matches!(value, Value::Addr(_)) => {
                        let v = if bits == 32 {
                            let mut v = [0u8; 4];
                            v.copy_from_slice(&buf[..4]);
                            u64::from(u32::from_ne_bytes(v))
                        } else {
                            let mut v = [0u8; 8];
                            v.copy_from_slice(&buf[..8]);
                            u64::from_ne_bytes(v)
                        };
                        Ok(Done {
                            text: String::new(),
                            value: Some(v),
                            hex_bits: Some(bits),
                        })
                    }
                    Ok(()) => Ok(Done::default()),
                    Err(e) => Err(errno_of(&e)),
                }
            }
            Cmd::CheckExtension { cap, vm } => {
                let r = match vm {
                    None => self.kvm.check_extension_raw(*cap),
                    Some(name) => match self.get(name) {
                        Some(Obj::Vm { fd, .. }) => fd.check_extension_raw(*cap),
                        Some(o) => return Err(format!("`{name}` is {}, not a VM", o.kind())),
                        None => return Err(format!("no file named `{name}`")),
                    },
                };
                if r < 0 {
                    Err(last_errno())
                } else {
                    Ok(done(
                        cap_name(*cap).map(|n| format!("({n})")).unwrap_or_default(),
                        Some(r as u64),
                    ))
                }
            }
            Cmd::ApiVersion => {
                let r = self.kvm.get_api_version();
                if r < 0 {
                    Err(last_errno())
                } else {
                    Ok(done("", Some(r as u64)))
                }
            }
            Cmd::MmapSize => match self.kvm.get_vcpu_mmap_size() {
                Ok(s) => Ok(done("", Some(s as u64))),
                Err(e) => Err(errno_of(&e)),
            },
            Cmd::Open { path, name } => {
                let name = self.name_for(name, FILE)?;
                let f = File::options()
                    .read(true)
                    .write(true)
                    .open(path)
                    .or_else(|_| File::open(path));
                match f {
                    Ok(f) => {
                        let fd = f.as_raw_fd();
                        self.named(&name, FILE, Obj::File(f));
                        Ok(done(format!("{name}, fd {fd} ({})", fd_link(fd)), None))
                    }
                    Err(e) => Err(e.raw_os_error().unwrap_or(libc::EIO)),
                }
            }
            Cmd::Ioctl {
                target,
                request,
                arg,
            } => {
                let fd = self.fd_of(target)?;
                let arg = self.value_arg(arg)?;
                // SAFETY: the script asks for this ioctl; its argument is an integer, and a
                // pointer in it is the script author's (kvm-ioctls has no call taking a raw
                // argument, so this is how a bad pointer reaches the kernel).
                let r = unsafe { libc::ioctl(fd, *request as _, arg) };
                if r < 0 {
                    Err(last_errno())
                } else {
                    Ok(done("", Some(r as u64)))
                }
            }
            Cmd::Close(name) => {
                let i = self
                    .objs
                    .iter()
                    .position(|o| &o.0 == name)
                    .ok_or_else(|| format!("no file named `{name}`"))?;
                let (_, obj) = self.objs.remove(i);
                if self.current_vm.as_deref() == Some(name) {
                    self.current_vm = None;
                }
                match obj {
                    // A memslot may still point to it, and the kernel writes guest memory
                    // (an ITS saving its tables): it stays mapped until the script ends, so
                    // that no later mapping of this program takes its addresses.
                    Obj::Mem(m) => {
                        self.unnamed_memory.push(m);
                        Ok(done(
                            format!("{name} is no longer named (mapped until the end)"),
                            None,
                        ))
                    }
                    obj => {
                        let fd = obj.fd().unwrap_or(-1);
                        drop(obj);
                        Ok(done(format!("closed {name} (fd {fd})"), None))
                    }
                }
            }
            Cmd::PreferredTarget(vm) => {
                let fd = match vm {
                    None => self.current_vm()?.0.as_raw_fd(),
                    Some(name) => match self.get(name) {
                        Some(Obj::Vm { fd, .. }) => fd.as_raw_fd(),
                        Some(o) => return Err(format!("`{name}` is {}, not a VM", o.kind())),
                        None => return Err(format!("no file named `{name}`")),
                    },
                };
                let mut init = KvmVcpuInit::default();
                // SAFETY: KVM_ARM_PREFERRED_TARGET writes a struct kvm_vcpu_init, which init
                // is (32 bytes, the size the request encodes).
                let r = unsafe { libc::ioctl(fd, KVM_ARM_PREFERRED_TARGET as _, &mut init) };
                if r < 0 {
                    Err(last_errno())
                } else {
                    Ok(done(
                        format!("features {:#x}", init.features[0]),
                        Some(u64::from(init.target)),
                    ))
                }
            }
            Cmd::VcpuInit {
                vcpu,
                features,
                target,
            } => self.vcpu_init(vcpu, features, *target)?,
            Cmd::Memslot {
                slot,
                gpa,
                size,
                flags,
                uaddr,
                name,
            } => {
                let new_memory = uaddr.is_none() && *size > 0;
                let new_name = self.name_for(name, MEM)?;
                let mapping = if new_memory {
                    let len = usize::try_from(*size)
                        .map_err(|_| format!("memslot: SIZE {size:#x} cannot be mapped"))?;
                    Some(Mapping::new(len).map_err(|e| {
                        format!("memslot: mmap of {size:#x} bytes: {}", errno_text(e))
                    })?)
                } else {
                    None
                };
                let userspace_addr = match (uaddr, &mapping) {
                    (Some(a), _) => *a,
                    (None, Some(m)) => m.addr(),
                    (None, None) => 0,
                };
                let region = kvm_userspace_memory_region {
                    slot: *slot,
                    flags: *flags,
                    guest_phys_addr: *gpa,
                    memory_size: *size,
                    userspace_addr,
                };
                let (vm, _) = self.current_vm()?;
                // SAFETY: the memory is our mapping, which stays mapped until the script
                // ends (`close` only unnames it), or uaddr=A, an address the script's author
                // gives; the kernel reads and writes it only with user-copy functions, in
                // this program's ioctls (no vCPU runs).
                match unsafe { vm.set_user_memory_region(region) } {
                    Err(e) => Err(errno_of(&e)),
                    Ok(()) => Ok(done(
                        match mapping {
                            Some(m) => {
                                self.named(&new_name, MEM, Obj::Mem(m));
                                format!(
                                    "{new_name}: {size:#x} bytes of anonymous memory, \
                                     slot {slot} at {gpa:#x}"
                                )
                            }
                            None if *size == 0 => format!("slot {slot} deleted"),
                            None => format!("slot {slot} at {gpa:#x}, uaddr {userspace_addr:#x}"),
                        },
                        None,
                    )),
                }
            }
            Cmd::Write {
                mem,
                offset,
                values,
                bits,
            } => {
                let bytes = (*bits / 8) as usize;
                for v in values {
                    if !fits(*v, *bits) {
                        return Err(format!("write: {v:#x} does not fit {bits} bits"));
                    }
                }
                let m = self.mem_mut(mem)?;
                for (i, v) in values.iter().enumerate() {
                    let off = offset + (i * bytes) as u64;
                    m.write(off, bytes, mask(*v, *bits))
                        .ok_or_else(|| format!("write: offset {off:#x} is beyond `{mem}`"))?;
                }
                Ok(done(
                    format!("{} bytes at {mem}+{offset:#x}", values.len() * bytes),
                    None,
                ))
            }
            Cmd::Read { mem, offset, bits } => {
                let v = self
                    .mem(mem)?
                    .read(*offset, (*bits / 8) as usize)
                    .ok_or_else(|| format!("read: offset {offset:#x} is beyond `{mem}`"))?;
                Ok(Done {
                    text: String::new(),
                    value: Some(v),
                    hex_bits: Some(*bits),
                })
            }
            Cmd::Copy { src, dst } => {
                let data = self.mem(src)?.bytes().to_vec();
                let d = self.mem_mut(dst)?;
                let n = data.len().min(d.len());
                d.bytes_mut()[..n].copy_from_slice(&data[..n]);
                Ok(done(format!("{n:#x} bytes from {src} to {dst}"), None))
            }
            Cmd::Fill {
                mem,
                from,
                to,
                byte,
            } => {
                let m = self.mem_mut(mem)?;
                m.fill(*from, *to, *byte)
                    .ok_or_else(|| format!("fill: {to:#x} is beyond `{mem}`"))?;
                Ok(done(
                    format!("{:#x} bytes of {mem} set to {byte:#04x}", to - from),
                    None,
                ))
            }
            Cmd::Dump { name, range } => self.dump(name, *range)?,
            Cmd::Save { dev, name } => self.save(dev, name)?,
            Cmd::Restore { snapshot, dev } => self.restore(snapshot, dev)?,
            Cmd::Compare { a, b, range } => self.compare(a, b, *range)?,
            Cmd::Expect(_) | Cmd::Echo(_) => unreachable!("handled by run()"),
        })
    }

    /// `vcpu-init`: `KVM_ARM_PREFERRED_TARGET` on the vCPU's VM (unless `target`), then
    /// `KVM_ARM_VCPU_INIT`; on success the vCPU has the MPIDR of `kvm_calculate_mpidr()`.
    fn vcpu_init(
        &mut self,
        vcpu: &str,
        features: &[u32],
        target: Option<u32>,
    ) -> Result<Outcome, String> {
        let (fd, vm, id) = match self.get(vcpu) {
            Some(Obj::Vcpu { fd, vm, id }) => (fd.as_raw_fd(), *vm, *id),
            Some(o) => return Err(format!("`{vcpu}` is {}, not a vCPU", o.kind())),
            None => return Err(format!("no file named `{vcpu}`")),
        };
        let mut init = KvmVcpuInit::default();
        let asked = match target {
            Some(t) => {
                init.target = t;
                "target"
            }
            None => {
                let vm_fd = self
                    .objs
                    .iter()
                    .find_map(|(_, o)| match o {
                        Obj::Vm { fd, serial } if *serial == vm => Some(fd.as_raw_fd()),
                        _ => None,
                    })
                    .ok_or_else(|| format!("the VM of `{vcpu}` is closed: give target=T"))?;
                // SAFETY: KVM_ARM_PREFERRED_TARGET writes a struct kvm_vcpu_init, which init
                // is (32 bytes, the size the request encodes).
                if unsafe { libc::ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET as _, &mut init) } < 0 {
                    self.detail(["KVM_ARM_PREFERRED_TARGET failed".to_string()]);
                    return Ok(Err(last_errno()));
                }
                "preferred target"
            }
        };
        for f in features {
            init.features[(f / 32) as usize] |= 1 << (f % 32);
        }
        // SAFETY: KVM_ARM_VCPU_INIT reads a struct kvm_vcpu_init, which init is.
        if unsafe { libc::ioctl(fd, KVM_ARM_VCPU_INIT as _, &init) } < 0 {
            return Ok(Err(last_errno()));
        }
        let mpidr = vcpu_mpidr(id);
        for v in self.vcpus.iter_mut().filter(|v| v.vm == vm && v.id == id) {
            v.mpidr = Some(mpidr);
        }
        let names = vcpu_feature_names(&init.features);
        Ok(Ok(done(
            format!(
                "{asked} {}, features {:#x}{}{names}; VGIC attributes address it as \
                 mpidr:{mpidr:#x}",
                init.target,
                init.features[0],
                if names.is_empty() { "" } else { " " },
            ),
            None,
        )))
    }

    /// `dump`: the non-zero words of memory, or the non-zero values of a snapshot.
    fn dump(&mut self, name: &str, range: Option<(u64, u64)>) -> Result<Outcome, String> {
        let (what, lines): (&str, Vec<String>) = if let Some(s) = self.snapshot(name) {
            if range.is_some() {
                return Err("dump: a snapshot takes no range".into());
            }
            let lines = s
                .values
                .iter()
                .filter(|v| v.val != Ok(0))
                .map(|v| match v.val {
                    Ok(x) => format!("{} = {x:#x}", describe(v.group, v.attr)),
                    Err(e) => format!("{}: {}", describe(v.group, v.attr), errno_name(e)),
                })
                .collect();
            ("values", lines)
        } else {
            let m = self.mem(name)?;
            let (from, to) = range.unwrap_or((0, m.len() as u64));
            if to > m.len() as u64 {
                return Err(format!("dump: {to:#x} is beyond `{name}`"));
            }
            let lines = nonzero_words(m.bytes(), from as usize, to as usize)
                .into_iter()
                .map(|(off, w)| format!("+{off:#08x}: {w:#018x}"))
                .collect();
            ("words", lines)
        };
        let n = lines.len() as u64;
        self.detail(lines);
        Ok(Ok(done(format!("non-zero {what}"), Some(n))))
    }

    /// `save DEV`: a snapshot of a GICv3 (of its VM's vCPUs, in id order) or of an ITS.
    fn save(&mut self, dev: &str, name: &Option<String>) -> Result<Outcome, String> {
        let snap_name = self.name_for(name, SNAP)?;
        let (device, type_, vm) = self.device(dev)?;
        let io = DevIo(device);
        let r = match type_ {
            DEV_VGIC_V3 => {
                let mut vcpus: Vec<&VcpuInfo> = self.vcpus.iter().filter(|v| v.vm == vm).collect();
                vcpus.sort_by_key(|v| v.id);
                let mpidrs: Vec<u32> = vcpus.iter().map(|v| v.mpidr.unwrap_or(0)).collect();
                snapshot::save_gic(&io, &mpidrs)
            }
            DEV_VGIC_ITS => snapshot::save_its(&io),
            t => {
                return Err(format!(
                    "save: `{dev}` is a {} device: save knows vgic-v3 and vgic-its",
                    device_type_name(t).unwrap_or("unnamed")
                ))
            }
        };
        let (snap, note) = match r {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let n = snap.values.len();
        let nonzero = snap
            .values
            .iter()
            .filter(|v| matches!(v.val, Ok(x) if x != 0))
            .count();
        let failed: Vec<(String, i32)> = snap
            .values
            .iter()
            .filter_map(|v| v.val.err().map(|e| (describe(v.group, v.attr), e)))
            .collect();
        self.count(&snap_name, SNAP);
        self.snapshots.push((snap_name.clone(), snap));
        if let Some(&(_, first)) = failed.first() {
            let mut lines: Vec<String> = failed
                .iter()
                .map(|(d, e)| format!("get {d}: {}", errno_name(*e)))
                .collect();
            lines.push(format!("saved as {snap_name} all the same"));
            self.detail(lines);
            return Ok(Err(first));
        }
        Ok(Ok(done(
            format!("values saved as {snap_name}, {nonzero} non-zero ({note})"),
            Some(n as u64),
        )))
    }

    /// `restore SNAPSHOT into DEV`.
    fn restore(&mut self, name: &str, dev: &str) -> Result<Outcome, String> {
        let snap = self
            .snapshot(name)
            .ok_or_else(|| format!("no snapshot named `{name}`"))?;
        let (device, type_, _) = self.device(dev)?;
        let io = DevIo(device);
        let r = match (snap.kind, type_) {
            (Kind::Gic, DEV_VGIC_V3) => snapshot::restore_gic(&io, snap),
            (Kind::Its, DEV_VGIC_ITS) => snapshot::restore_its(&io, snap),
            (Kind::Gic, _) => {
                return Err(format!(
                    "`{name}` is of a GICv3: restore it into a vgic-v3 device"
                ))
            }
            (Kind::Its, _) => {
                return Err(format!(
                    "`{name}` is of an ITS: restore it into a vgic-its device"
                ))
            }
        };
        let sets = r.sets;
        let first = r.failures.first().map(|f| f.1);
        self.detail(
            r.failures
                .into_iter()
                .map(|(what, e)| format!("{what}: {}", errno_name(e))),
        );
        Ok(match first {
            Some(e) => Err(e),
            None => Ok(done(
                format!("{sets} writes into {dev}, in QEMU's order"),
                None,
            )),
        })
    }

    /// `compare A B`: two snapshots, or two memories.
    fn compare(&mut self, a: &str, b: &str, range: Option<(u64, u64)>) -> Result<Outcome, String> {
        let (text, lines): (String, Vec<String>) = match (self.snapshot(a), self.snapshot(b)) {
            (Some(x), Some(y)) => {
                if range.is_some() {
                    return Err("compare: snapshots take no range".into());
                }
                let (n, d) = snapshot::compare(x, y);
                (format!("of {n} values differ"), d)
            }
            (None, None) => {
                let (x, y) = (self.mem(a)?, self.mem(b)?);
                let len = x.len().min(y.len()) as u64;
                let (from, to) = range.unwrap_or((0, len));
                if to > len {
                    return Err(format!("compare: {to:#x} is beyond `{a}` or `{b}`"));
                }
                let (n, d) = diff_words(x.bytes(), y.bytes(), from as usize, to as usize);
                let lines: Vec<String> = d
                    .into_iter()
                    .map(|(off, p, q)| format!("+{off:#08x}: {p:#018x} => {q:#018x}"))
                    .collect();
                (format!("of {n} words differ"), lines)
            }
            _ => {
                return Err(format!(
                    "compare: `{a}` and `{b}` must both be snapshots or both memory"
                ))
            }
        };
        let n = lines.len() as u64;
        self.detail(lines);
        Ok(Ok(done(text, Some(n))))
    }

    fn expect(&self, number: usize, want: &Expectation) -> Result<String, Failure> {
        let last = self
            .last
            .as_ref()
            .ok_or_else(|| self.script_error(number, "expect: no command before it"))?;
        let met = match (want, &last.outcome) {
            (Expectation::Ok, Ok(_)) => true,
            (Expectation::Errno(e), Err(got)) => e == got,
            (
                Expectation::Value(v),
                Ok(Done {
                    value: Some(got), ..
                }),
            ) => v == got,
            (Expectation::Value(_), Ok(Done { value: None, .. })) => {
                return Err(self.script_error(
                    number,
                    format!(
                        "expect VALUE: `{}` (line {}) has no value",
                        last.text, last.number
                    ),
                ))
            }
            _ => false,
        };
        if met {
            return Ok("met".to_string());
        }
        let wanted = match want {
            Expectation::Ok => "success".to_string(),
            Expectation::Errno(e) => errno_name(*e),
            Expectation::Value(v) => format!("the value {}", show_value(*v, None)),
        };
        let got = match &last.outcome {
            Ok(Done {
                value: Some(v),
                hex_bits,
                ..
            }) => format!("ok = {}", show_value(*v, *hex_bits)),
            Ok(_) => "ok".to_string(),
            Err(e) => errno_text(*e),
        };
        Err(Failure::Expectation(format!(
            "{}:{number}: expected {wanted} from `{}` (line {}), got {got}",
            self.source, last.text, last.number
        )))
    }
}

/// A value: in hex of the register's width where it is one, else decimal (and hex too when
/// large).
fn show_value(v: u64, hex_bits: Option<u32>) -> String {
    match hex_bits {
        Some(bits) => format!("{v:#0w$x}", w = (bits / 4) as usize + 2),
        None if v > 0xffff && (v as i64) > 0 => format!("{v} ({v:#x})"),
        None => format!("{}", v as i64),
    }
}

/// How one result is shown.
fn show(outcome: &Outcome) -> String {
    match outcome {
        Ok(d) => {
            let mut s = "ok".to_string();
            if let Some(v) = d.value {
                s += &format!(" = {}", show_value(v, d.hex_bits));
            }
            if !d.text.is_empty() {
                s += if d.value.is_some() { " " } else { ": " };
                s += &d.text;
            }
            s
        }
        Err(e) => errno_text(*e),
    }
}

/// Runs the script at `path` (`-`: stdin) against `kvm` (opened from `node`).
pub fn run(kvm: Kvm, node: &str, path: &str) -> Result<(), Failure> {
    let (source, lines) = if path == "-" {
        (
            "<stdin>".to_string(),
            parse_script("<stdin>", std::io::stdin())?,
        )
    } else {
        let f = File::open(path).map_err(|e| Failure::Script(format!("{path}: {e}")))?;
        (path.to_string(), parse_script(path, f)?)
    };
    println!("# {source} on {node}");
    let mut interp = Interp {
        kvm,
        source,
        objs: Vec::new(),
        snapshots: Vec::new(),
        vcpus: Vec::new(),
        next_vm_serial: 0,
        current_vm: None,
        counters: [0; 6],
        last: None,
        details: Vec::new(),
        unnamed_memory: Vec::new(),
    };
    for line in &lines {
        let result = match &line.cmd {
            Cmd::Echo(text) => {
                println!("{:>3}  {text}", line.number);
                continue;
            }
            Cmd::Expect(want) => match interp.expect(line.number, want) {
                Ok(s) => s,
                Err(f) => {
                    if let Failure::Expectation(_) = f {
                        println!("{:>3}  {:<36} FAILED", line.number, line.text);
                    }
                    return Err(f);
                }
            },
            cmd => {
                let outcome = interp
                    .exec(cmd)
                    .map_err(|e| interp.script_error(line.number, e))?;
                let s = show(&outcome);
                interp.last = Some(Last {
                    number: line.number,
                    text: line.text.clone(),
                    outcome,
                });
                s
            }
        };
        println!("{:>3}  {:<36} {result}", line.number, line.text);
        for d in interp.details.drain(..) {
            println!("       {d}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_is_the_comment_block() {
        let source = include_str!("script.rs");
        let block: Vec<&str> = source
            .lines()
            .skip_while(|l| *l != "// THE SCRIPT LANGUAGE")
            .skip(2)
            .take_while(|l| l.starts_with("//"))
            .map(|l| l.strip_prefix("// ").unwrap_or("").trim_end())
            .collect();
        let help: Vec<&str> = LANGUAGE.lines().map(str::trim_end).collect();
        assert_eq!(block, help);
    }

    #[test]
    fn values_and_widths() {
        assert!(fits(0xffff_ffff, 32));
        assert!(fits(u64::MAX, 32)); // -1
        assert!(fits((-(1i64 << 31)) as u64, 32));
        assert!(!fits(1 << 32, 32));
        assert!(!fits((-(1i64 << 31) - 1) as u64, 32));
        assert!(fits(0xff, 8));
        assert!(!fits(0x100, 8));
        assert!(fits(u64::MAX, 64));
        assert_eq!(mask(u64::MAX, 16), 0xffff);
        assert_eq!(show_value(0x50, Some(32)), "0x00000050");
        assert_eq!(show_value(0xf0, Some(64)), "0x00000000000000f0");
        assert_eq!(show_value(12, None), "12");
        assert_eq!(show_value(u64::MAX, None), "-1");
        assert_eq!(show_value(0x10000, None), "65536 (0x10000)");
    }
}
