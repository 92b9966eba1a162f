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
// Numbers are decimal, 0x hex, 0o octal or 0b binary, optionally negative.
//
// Every command prints one line: its line number, the command, and its result: `ok` and what
// it made or returned, or the errno it failed with. A failing command does not stop the
// script: `expect` asserts a result.
//
// Files are named: `kvm` is the --node itself; the commands that make a file take `as NAME`,
// or name it vm0, vm1, ..., vcpu0, ..., dev0, ..., file0, ... in order.
//
//   vm [NAME] [type=T]       KVM_CREATE_VM of type T (default 0), by Kvm::create_vm_with_type
//                            (which then asks KVM_GET_VCPU_MMAP_SIZE); it becomes the current VM
//   use VM                   make VM the current VM
//   vcpu ID [as NAME]        KVM_CREATE_VCPU on the current VM, by VmFd::create_vcpu (which
//                            maps the kvm_run area); reads kvm_run.exit_reason through the map
//   device TYPE [test] [flags=F] [as NAME]
//                            KVM_CREATE_DEVICE on the current VM; TYPE a number or a name
//                            (vfio, KVM_DEV_TYPE_VFIO, arm-vgic-v3, ...); `test` sets
//                            KVM_CREATE_DEVICE_TEST: only asks whether TYPE is supported;
//                            flags=F gives the whole flags field
//   has DEV GROUP ATTR [VALUE] [flags=F]
//   set DEV GROUP ATTR [VALUE] [flags=F]
//   get DEV GROUP ATTR [VALUE] [flags=F]
//                            KVM_HAS/SET/GET_DEVICE_ATTR on device DEV, with a kvm_device_attr
//                            of GROUP (a number; kvm-vfio: file, group), ATTR (a number;
//                            kvm-vfio: add, del, spapr-tce) and flags F (default 0). addr
//                            points to a zeroed page whose first 8 bytes hold VALUE (default
//                            0), so an int32 attribute such as kvm-vfio's fd reads VALUE. VALUE
//                            is an integer, fd:NAME (the fd number of a named file), or @ADDR:
//                            addr itself, no buffer (@0 is NULL). get prints the 8 bytes after
//                            the call as its value.
//   check-extension CAP [VM] KVM_CHECK_EXTENSION on the node, or on VM; CAP a number or a name
//                            (device-ctrl, KVM_CAP_MAX_VCPU_ID, ...); prints the value
//   api-version              KVM_GET_API_VERSION; prints the value
//   mmap-size                KVM_GET_VCPU_MMAP_SIZE; prints the value
//   open PATH [as NAME]      open a file (read-write, else read-only), e.g. to pass as fd:NAME
//   ioctl NAME REQUEST [ARG] a raw ioctl(2) on file NAME (kvm included): REQUEST a number or a
//                            name (KVM_CREATE_DEVICE, KVM_SET_DEVICE_ATTR, ...), ARG an integer,
//                            fd:NAME or @ADDR (default 0): e.g. a bad pointer. Prints the
//                            value; a file it makes is not named.
//   close NAME               close a named file (a vCPU's mapping too)
//   expect ok|ERRNO|VALUE    assert the result of the last command before it: success, failure
//                            with ERRNO (a name: EINVAL), or success with VALUE (the value the
//                            command printed). If it is not met, the script stops, exit status 1.
//   echo TEXT                print TEXT
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

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::io::{AsRawFd, RawFd};

use kvm_bindings::{kvm_device_attr, KVM_CREATE_DEVICE_TEST};
use kvm_ioctls::{DeviceFd, Kvm, VcpuFd, VmFd};

use crate::device::{create_device, fd_link, Created};
use crate::names::{
    cap_name, device_type_name, errno_name, errno_text, parse_attr, parse_cap, parse_device_type,
    parse_errno, parse_group, parse_int, parse_ioctl, to_u64,
};

/// The reference of the language, for `kvm-devctl run --help`: the comment block above.
pub const LANGUAGE: &str = "\
A script is a text file (or stdin, `-`) of one command a line. `#` starts a comment, at the
start of a line or after a blank; blank lines are skipped. Words are separated by blanks.
Numbers are decimal, 0x hex, 0o octal or 0b binary, optionally negative.

Every command prints one line: its line number, the command, and its result: `ok` and what
it made or returned, or the errno it failed with. A failing command does not stop the
script: `expect` asserts a result.

Files are named: `kvm` is the --node itself; the commands that make a file take `as NAME`,
or name it vm0, vm1, ..., vcpu0, ..., dev0, ..., file0, ... in order.

  vm [NAME] [type=T]       KVM_CREATE_VM of type T (default 0), by Kvm::create_vm_with_type
                           (which then asks KVM_GET_VCPU_MMAP_SIZE); it becomes the current VM
  use VM                   make VM the current VM
  vcpu ID [as NAME]        KVM_CREATE_VCPU on the current VM, by VmFd::create_vcpu (which
                           maps the kvm_run area); reads kvm_run.exit_reason through the map
  device TYPE [test] [flags=F] [as NAME]
                           KVM_CREATE_DEVICE on the current VM; TYPE a number or a name
                           (vfio, KVM_DEV_TYPE_VFIO, arm-vgic-v3, ...); `test` sets
                           KVM_CREATE_DEVICE_TEST: only asks whether TYPE is supported;
                           flags=F gives the whole flags field
  has DEV GROUP ATTR [VALUE] [flags=F]
  set DEV GROUP ATTR [VALUE] [flags=F]
  get DEV GROUP ATTR [VALUE] [flags=F]
                           KVM_HAS/SET/GET_DEVICE_ATTR on device DEV, with a kvm_device_attr
                           of GROUP (a number; kvm-vfio: file, group), ATTR (a number;
                           kvm-vfio: add, del, spapr-tce) and flags F (default 0). addr
                           points to a zeroed page whose first 8 bytes hold VALUE (default
                           0), so an int32 attribute such as kvm-vfio's fd reads VALUE. VALUE
                           is an integer, fd:NAME (the fd number of a named file), or @ADDR:
                           addr itself, no buffer (@0 is NULL). get prints the 8 bytes after
                           the call as its value.
  check-extension CAP [VM] KVM_CHECK_EXTENSION on the node, or on VM; CAP a number or a name
                           (device-ctrl, KVM_CAP_MAX_VCPU_ID, ...); prints the value
  api-version              KVM_GET_API_VERSION; prints the value
  mmap-size                KVM_GET_VCPU_MMAP_SIZE; prints the value
  open PATH [as NAME]      open a file (read-write, else read-only), e.g. to pass as fd:NAME
  ioctl NAME REQUEST [ARG] a raw ioctl(2) on file NAME (kvm included): REQUEST a number or a
                           name (KVM_CREATE_DEVICE, KVM_SET_DEVICE_ATTR, ...), ARG an integer,
                           fd:NAME or @ADDR (default 0): e.g. a bad pointer. Prints the
                           value; a file it makes is not named.
  close NAME               close a named file (a vCPU's mapping too)
  expect ok|ERRNO|VALUE    assert the result of the last command before it: success, failure
                           with ERRNO (a name: EINVAL), or success with VALUE (the value the
                           command printed). If it is not met, the script stops, exit status 1.
  echo TEXT                print TEXT

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
  expect EPERM             # kvm-vfio has no get_attr";

/// How a script run failed.
#[derive(Debug)]
pub enum Failure {
    /// An `expect` was not met (exit status 1).
    Expectation(String),
    /// The script is wrong or unreadable (exit status 2).
    Script(String),
}

/// What addr of a `kvm_device_attr` (or the argument of `ioctl`) is made of.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    /// An integer, in a buffer (for `ioctl`: the argument itself).
    Int(u64),
    /// The fd number of a named file.
    Fd(String),
    /// The address itself.
    Addr(u64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum AttrOp {
    Has,
    Set,
    Get,
}

#[derive(Clone, Debug, PartialEq)]
enum Expectation {
    Ok,
    Errno(i32),
    Value(u64),
}

#[derive(Clone, Debug, PartialEq)]
enum Cmd {
    Vm {
        name: Option<String>,
        type_: u64,
    },
    Use(String),
    Vcpu {
        id: u64,
        name: Option<String>,
    },
    Device {
        type_: u32,
        flags: u32,
        name: Option<String>,
    },
    Attr {
        op: AttrOp,
        dev: String,
        group: u32,
        attr: u64,
        value: Value,
        flags: u32,
    },
    CheckExtension {
        cap: u64,
        vm: Option<String>,
    },
    ApiVersion,
    MmapSize,
    Open {
        path: String,
        name: Option<String>,
    },
    Ioctl {
        target: String,
        request: u64,
        arg: Value,
    },
    Close(String),
    Expect(Expectation),
    Echo(String),
}

/// One line of a script.
struct Line {
    number: usize,
    text: String,
    cmd: Cmd,
}

/// The line without its comment.
fn strip_comment(line: &str) -> &str {
    let mut prev_blank = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_blank {
            return &line[..i];
        }
        prev_blank = c.is_whitespace();
    }
    line
}

fn int_u64(s: &str, what: &str) -> Result<u64, String> {
    parse_int(s)
        .and_then(to_u64)
        .ok_or_else(|| format!("{what}: `{s}` is not a 64-bit integer"))
}

fn int_u32(s: &str, what: &str) -> Result<u32, String> {
    parse_int(s)
        .and_then(|v| {
            if v < 0 {
                i32::try_from(v).ok().map(|v| v as u32)
            } else {
                u32::try_from(v).ok()
            }
        })
        .ok_or_else(|| format!("{what}: `{s}` is not a 32-bit integer"))
}

fn parse_value(s: &str) -> Result<Value, String> {
    if let Some(name) = s.strip_prefix("fd:") {
        check_name(name)?;
        return Ok(Value::Fd(name.to_string()));
    }
    if let Some(addr) = s.strip_prefix('@') {
        return Ok(Value::Addr(int_u64(addr, "@ADDR")?));
    }
    Ok(Value::Int(int_u64(s, "VALUE")?))
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a name (a letter, then letters, digits, `_`, `-`, `.`)"
        ))
    }
}

/// Takes a trailing `as NAME` off `words`.
fn take_as(words: &mut Vec<&str>) -> Result<Option<String>, String> {
    let n = words.len();
    if n >= 2 && words[n - 2] == "as" {
        let name = words[n - 1].to_string();
        check_name(&name)?;
        if name == "kvm" {
            return Err("`kvm` is the node: choose another name".into());
        }
        words.truncate(n - 2);
        return Ok(Some(name));
    }
    if words.last() == Some(&"as") {
        return Err("`as` needs a NAME".into());
    }
    Ok(None)
}

/// Takes `key=VALUE` words off `words`.
fn take_option<'a>(words: &mut Vec<&'a str>, key: &str) -> Option<&'a str> {
    let prefix = format!("{key}=");
    let i = words.iter().position(|w| w.starts_with(&prefix))?;
    let w = words.remove(i);
    Some(&w[prefix.len()..])
}

fn arity(cmd: &str, args: &[&str], min: usize, max: usize, usage: &str) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        Err(format!("usage: {cmd} {usage}"))
    } else {
        Ok(())
    }
}

/// Parses one line (without its comment); `None` for a blank line.
fn parse_line(line: &str) -> Result<Option<Cmd>, String> {
    let line = line.trim();
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if words.is_empty() {
        return Ok(None);
    }
    let cmd = words.remove(0);
    let cmd = match cmd {
        "vm" => {
            let type_ = match take_option(&mut words, "type") {
                Some(t) => int_u64(t, "type")?,
                None => 0,
            };
            let mut name = take_as(&mut words)?;
            arity("vm", &words, 0, 1, "[NAME] [type=T] [as NAME]")?;
            if let Some(&n) = words.first() {
                check_name(n)?;
                if name.is_some() {
                    return Err("vm: two names".into());
                }
                if n == "kvm" {
                    return Err("`kvm` is the node: choose another name".into());
                }
                name = Some(n.to_string());
            }
            Cmd::Vm { name, type_ }
        }
        "use" => {
            arity("use", &words, 1, 1, "VM")?;
            Cmd::Use(words[0].to_string())
        }
        "vcpu" => {
            let name = take_as(&mut words)?;
            arity("vcpu", &words, 1, 1, "ID [as NAME]")?;
            Cmd::Vcpu {
                id: int_u64(words[0], "ID")?,
                name,
            }
        }
        "device" => {
            let name = take_as(&mut words)?;
            let mut flags = match take_option(&mut words, "flags") {
                Some(f) => int_u32(f, "flags")?,
                None => 0,
            };
            if words.last() == Some(&"test") {
                words.pop();
                flags |= KVM_CREATE_DEVICE_TEST;
            }
            arity("device", &words, 1, 1, "TYPE [test] [flags=F] [as NAME]")?;
            let type_ = parse_device_type(words[0])
                .ok_or_else(|| format!("device: unknown TYPE `{}`", words[0]))?;
            Cmd::Device { type_, flags, name }
        }
        "has" | "set" | "get" => {
            let op = match cmd {
                "has" => AttrOp::Has,
                "set" => AttrOp::Set,
                _ => AttrOp::Get,
            };
            let flags = match take_option(&mut words, "flags") {
                Some(f) => int_u32(f, "flags")?,
                None => 0,
            };
            arity(cmd, &words, 3, 4, "DEV GROUP ATTR [VALUE] [flags=F]")?;
            Cmd::Attr {
                op,
                dev: words[0].to_string(),
                group: parse_group(words[1])
                    .ok_or_else(|| format!("{cmd}: unknown GROUP `{}`", words[1]))?,
                attr: parse_attr(words[2])
                    .ok_or_else(|| format!("{cmd}: unknown ATTR `{}`", words[2]))?,
                value: match words.get(3) {
                    Some(v) => parse_value(v)?,
                    None => Value::Int(0),
                },
                flags,
            }
        }
        "check-extension" => {
            arity(cmd, &words, 1, 2, "CAP [VM]")?;
            Cmd::CheckExtension {
                cap: parse_cap(words[0])
                    .ok_or_else(|| format!("check-extension: unknown CAP `{}`", words[0]))?,
                vm: words.get(1).map(|s| s.to_string()),
            }
        }
        "api-version" => {
            arity(cmd, &words, 0, 0, "")?;
            Cmd::ApiVersion
        }
        "mmap-size" => {
            arity(cmd, &words, 0, 0, "")?;
            Cmd::MmapSize
        }
        "open" => {
            let name = take_as(&mut words)?;
            arity("open", &words, 1, 1, "PATH [as NAME]")?;
            Cmd::Open {
                path: words[0].to_string(),
                name,
            }
        }
        "ioctl" => {
            arity("ioctl", &words, 2, 3, "NAME REQUEST [ARG]")?;
            Cmd::Ioctl {
                target: words[0].to_string(),
                request: parse_ioctl(words[1])
                    .ok_or_else(|| format!("ioctl: unknown REQUEST `{}`", words[1]))?,
                arg: match words.get(2) {
                    Some(v) => parse_value(v)?,
                    None => Value::Int(0),
                },
            }
        }
        "close" => {
            arity("close", &words, 1, 1, "NAME")?;
            Cmd::Close(words[0].to_string())
        }
        "expect" => {
            arity("expect", &words, 1, 1, "ok|ERRNO|VALUE")?;
            let w = words[0];
            let e = if w == "ok" {
                Expectation::Ok
            } else if let Some(e) = parse_errno(w) {
                Expectation::Errno(e)
            } else if let Some(v) = parse_int(w).and_then(to_u64) {
                Expectation::Value(v)
            } else {
                return Err(format!(
                    "expect: `{w}` is neither ok, an errno name (EINVAL) nor a value"
                ));
            };
            Cmd::Expect(e)
        }
        "echo" => Cmd::Echo(line["echo".len()..].trim().to_string()),
        other => {
            return Err(format!(
                "unknown command `{other}` (see kvm-devctl run --help)"
            ))
        }
    };
    Ok(Some(cmd))
}

/// Reads and parses a whole script: nothing runs if a line is wrong.
fn parse_script(source: &str, input: impl Read) -> Result<Vec<Line>, Failure> {
    let mut lines = Vec::new();
    for (i, line) in BufReader::new(input).lines().enumerate() {
        let number = i + 1;
        let line = line.map_err(|e| Failure::Script(format!("{source}: read: {e}")))?;
        let text = strip_comment(&line).trim().to_string();
        match parse_line(&text) {
            Ok(Some(cmd)) => lines.push(Line { number, text, cmd }),
            Ok(None) => {}
            Err(e) => return Err(Failure::Script(format!("{source}:{number}: {e}"))),
        }
    }
    Ok(lines)
}

/// A named file of the script.
enum Obj {
    Vm(VmFd),
    Vcpu(VcpuFd),
    Device(DeviceFd),
    File(File),
}

impl Obj {
    fn fd(&self) -> RawFd {
        match self {
            Obj::Vm(f) => f.as_raw_fd(),
            Obj::Vcpu(f) => f.as_raw_fd(),
            Obj::Device(f) => f.as_raw_fd(),
            Obj::File(f) => f.as_raw_fd(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Obj::Vm(_) => "a VM",
            Obj::Vcpu(_) => "a vCPU",
            Obj::Device(_) => "a device",
            Obj::File(_) => "a file",
        }
    }
}

/// What a command gave: success with a description and maybe a value, or an errno.
type Outcome = Result<(String, Option<u64>), i32>;

/// The last command that ran, for `expect`.
struct Last {
    number: usize,
    text: String,
    outcome: Outcome,
}

/// The prefixes of the names given to VMs, vCPUs, devices and files.
const NAME_PREFIX: [&str; 4] = ["vm", "vcpu", "dev", "file"];

struct Interp {
    kvm: Kvm,
    source: String,
    objs: Vec<(String, Obj)>,
    current_vm: Option<String>,
    counters: [usize; 4],
    last: Option<Last>,
}

fn errno_of(e: &kvm_ioctls::Error) -> i32 {
    e.errno()
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

impl Interp {
    fn script_error(&self, number: usize, msg: impl std::fmt::Display) -> Failure {
        Failure::Script(format!("{}:{number}: {msg}", self.source))
    }

    fn get(&self, name: &str) -> Option<&Obj> {
        self.objs.iter().find(|o| o.0 == name).map(|o| &o.1)
    }

    /// The fd of a named file, `kvm` included.
    fn fd_of(&self, name: &str) -> Result<RawFd, String> {
        if name == "kvm" {
            return Ok(self.kvm.as_raw_fd());
        }
        self.get(name)
            .map(Obj::fd)
            .ok_or_else(|| format!("no file named `{name}`"))
    }

    /// The name for a new file: the one given (if free), or the next free one of its kind;
    /// [`Interp::named`] takes it once the file exists.
    fn name_for(&self, given: &Option<String>, kind: usize) -> Result<String, String> {
        if let Some(n) = given {
            if self.get(n).is_some() {
                return Err(format!("the name `{n}` is taken (close it first)"));
            }
            return Ok(n.clone());
        }
        let mut i = self.counters[kind];
        loop {
            let n = format!("{}{i}", NAME_PREFIX[kind]);
            if self.get(&n).is_none() {
                return Ok(n);
            }
            i += 1;
        }
    }

    /// Names `obj` `name` (from [`Interp::name_for`]).
    fn named(&mut self, name: &str, kind: usize, obj: Obj) {
        if let Some(i) = name
            .strip_prefix(NAME_PREFIX[kind])
            .and_then(|n| n.parse::<usize>().ok())
        {
            if i >= self.counters[kind] {
                self.counters[kind] = i + 1;
            }
        }
        self.objs.push((name.to_string(), obj));
    }

    fn current_vm(&self) -> Result<&VmFd, String> {
        let name = self
            .current_vm
            .as_ref()
            .ok_or("no current VM: make one with `vm` (or pick one with `use`)")?;
        match self.get(name) {
            Some(Obj::Vm(vm)) => Ok(vm),
            _ => Err(format!("the current VM `{name}` is gone")),
        }
    }

    fn value_arg(&self, v: &Value) -> Result<u64, String> {
        Ok(match v {
            Value::Int(i) | Value::Addr(i) => *i,
            Value::Fd(name) => self.fd_of(name)? as u64,
        })
    }

    /// Runs one command; `Err` is an error of the script.
    fn exec(&mut self, cmd: &Cmd) -> Result<Outcome, String> {
        Ok(match cmd {
            Cmd::Vm { name, type_ } => {
                let name = self.name_for(name, 0)?;
                match self.kvm.create_vm_with_type(*type_) {
                    Ok(vm) => {
                        let fd = vm.as_raw_fd();
                        let run = vm.run_size();
                        self.named(&name, 0, Obj::Vm(vm));
                        self.current_vm = Some(name.clone());
                        Ok((
                            format!("{name}, fd {fd} ({}), vCPU mmap size {run}", fd_link(fd)),
                            None,
                        ))
                    }
                    Err(e) => Err(errno_of(&e)),
                }
            }
            Cmd::Use(name) => match self.get(name) {
                Some(Obj::Vm(_)) => {
                    self.current_vm = Some(name.clone());
                    Ok((format!("{name} is the current VM"), None))
                }
                Some(o) => return Err(format!("`{name}` is {}, not a VM", o.kind())),
                None => return Err(format!("no file named `{name}`")),
            },
            Cmd::Vcpu { id, name } => {
                let name = self.name_for(name, 1)?;
                let vm = self.current_vm()?;
                let run_size = vm.run_size();
                match vm.create_vcpu(*id) {
                    Ok(mut vcpu) => {
                        let fd = vcpu.as_raw_fd();
                        let exit_reason = vcpu.get_kvm_run().exit_reason;
                        self.named(&name, 1, Obj::Vcpu(vcpu));
                        Ok((
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
                let new_name = self.name_for(name, 2)?;
                let vm = self.current_vm()?;
                let type_name = device_type_name(*type_).unwrap_or("no UAPI name");
                let test = flags & KVM_CREATE_DEVICE_TEST != 0;
                match create_device(vm, *type_, *flags) {
                    Ok(Created::Nothing) if test => Ok((
                        format!("type {type_} ({type_name}) is supported; no file made"),
                        None,
                    )),
                    Ok(Created::Nothing) => Ok((
                        "but the fd field was not written: no file to name".to_string(),
                        None,
                    )),
                    Ok(Created::Device(dev)) => {
                        let name = new_name;
                        let fd = dev.as_raw_fd();
                        self.named(&name, 2, Obj::Device(dev));
                        let note = if test {
                            " (but the test flag was set!)"
                        } else {
                            ""
                        };
                        Ok((format!("{name}, fd {fd} ({}){note}", fd_link(fd)), None))
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
            } => {
                let device = match self.get(dev) {
                    Some(Obj::Device(d)) => d,
                    Some(o) => return Err(format!("`{dev}` is {}, not a device", o.kind())),
                    None => return Err(format!("no file named `{dev}`")),
                };
                // A page, so that a get of a larger attribute cannot overflow it.
                let mut buf = vec![0u8; 4096];
                let addr = match value {
                    Value::Addr(a) => *a,
                    v => {
                        let v = self.value_arg(v)?;
                        buf[..8].copy_from_slice(&v.to_ne_bytes());
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
                        let mut v = [0u8; 8];
                        v.copy_from_slice(&buf[..8]);
                        let v = u64::from_ne_bytes(v);
                        Ok((String::new(), Some(v)))
                    }
                    Ok(()) => Ok((String::new(), None)),
                    Err(e) => Err(errno_of(&e)),
                }
            }
            Cmd::CheckExtension { cap, vm } => {
                let r = match vm {
                    None => self.kvm.check_extension_raw(*cap),
                    Some(name) => match self.get(name) {
                        Some(Obj::Vm(vm)) => vm.check_extension_raw(*cap),
                        Some(o) => return Err(format!("`{name}` is {}, not a VM", o.kind())),
                        None => return Err(format!("no file named `{name}`")),
                    },
                };
                if r < 0 {
                    Err(last_errno())
                } else {
                    Ok((
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
                    Ok((String::new(), Some(r as u64)))
                }
            }
            Cmd::MmapSize => match self.kvm.get_vcpu_mmap_size() {
                Ok(s) => Ok((String::new(), Some(s as u64))),
                Err(e) => Err(errno_of(&e)),
            },
            Cmd::Open { path, name } => {
                let name = self.name_for(name, 3)?;
                let f = File::options()
                    .read(true)
                    .write(true)
                    .open(path)
                    .or_else(|_| File::open(path));
                match f {
                    Ok(f) => {
                        let fd = f.as_raw_fd();
                        self.named(&name, 3, Obj::File(f));
                        Ok((format!("{name}, fd {fd} ({})", fd_link(fd)), None))
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
                    Ok((String::new(), Some(r as u64)))
                }
            }
            Cmd::Close(name) => {
                let i = self
                    .objs
                    .iter()
                    .position(|o| &o.0 == name)
                    .ok_or_else(|| format!("no file named `{name}`"))?;
                let (_, obj) = self.objs.remove(i);
                let fd = obj.fd();
                drop(obj);
                if self.current_vm.as_deref() == Some(name) {
                    self.current_vm = None;
                }
                Ok((format!("closed {name} (fd {fd})"), None))
            }
            Cmd::Expect(_) | Cmd::Echo(_) => unreachable!("handled by run()"),
        })
    }

    fn expect(&self, number: usize, want: &Expectation) -> Result<String, Failure> {
        let last = self
            .last
            .as_ref()
            .ok_or_else(|| self.script_error(number, "expect: no command before it"))?;
        let met = match (want, &last.outcome) {
            (Expectation::Ok, Ok(_)) => true,
            (Expectation::Errno(e), Err(got)) => e == got,
            (Expectation::Value(v), Ok((_, Some(got)))) => v == got,
            (Expectation::Value(_), Ok((_, None))) => {
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
            Expectation::Value(v) => format!("the value {}", *v as i64),
        };
        let got = match &last.outcome {
            Ok((_, Some(v))) => format!("ok = {}", *v as i64),
            Ok(_) => "ok".to_string(),
            Err(e) => errno_text(*e),
        };
        Err(Failure::Expectation(format!(
            "{}:{number}: expected {wanted} from `{}` (line {}), got {got}",
            self.source, last.text, last.number
        )))
    }
}

/// How one result is shown.
fn show(outcome: &Outcome) -> String {
    match outcome {
        Ok((text, value)) => {
            let mut s = "ok".to_string();
            if let Some(v) = value {
                if *v > 0xffff && (*v as i64) > 0 {
                    s += &format!(" = {v} ({v:#x})");
                } else {
                    s += &format!(" = {}", *v as i64);
                }
            }
            if !text.is_empty() {
                s += if value.is_some() { " " } else { ": " };
                s += text;
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
        current_vm: None,
        counters: [0; 4],
        last: None,
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
    fn comments() {
        assert_eq!(strip_comment("vm # a VM"), "vm ");
        assert_eq!(strip_comment("# all"), "");
        assert_eq!(strip_comment("open /tmp/a#b"), "open /tmp/a#b");
    }

    #[test]
    fn commands() {
        let p = |s| parse_line(s).unwrap().unwrap();
        assert_eq!(
            p("vm"),
            Cmd::Vm {
                name: None,
                type_: 0
            }
        );
        assert_eq!(
            p("vm guest type=0x1f"),
            Cmd::Vm {
                name: Some("guest".into()),
                type_: 31
            }
        );
        assert_eq!(
            p("vm as guest"),
            Cmd::Vm {
                name: Some("guest".into()),
                type_: 0
            }
        );
        assert_eq!(
            p("vcpu 3 as boot"),
            Cmd::Vcpu {
                id: 3,
                name: Some("boot".into())
            }
        );
        assert_eq!(
            p("device vfio test"),
            Cmd::Device {
                type_: 4,
                flags: 1,
                name: None
            }
        );
        assert_eq!(
            p("device 4 flags=0xfffffffe as v"),
            Cmd::Device {
                type_: 4,
                flags: 0xffff_fffe,
                name: Some("v".into())
            }
        );
        assert_eq!(
            p("set dev0 file add fd:vm0"),
            Cmd::Attr {
                op: AttrOp::Set,
                dev: "dev0".into(),
                group: 1,
                attr: 1,
                value: Value::Fd("vm0".into()),
                flags: 0
            }
        );
        assert_eq!(
            p("get dev0 1 2 @0 flags=-1"),
            Cmd::Attr {
                op: AttrOp::Get,
                dev: "dev0".into(),
                group: 1,
                attr: 2,
                value: Value::Addr(0),
                flags: u32::MAX
            }
        );
        assert_eq!(
            p("has dev0 7 0x100000001 -1"),
            Cmd::Attr {
                op: AttrOp::Has,
                dev: "dev0".into(),
                group: 7,
                attr: (1 << 32) | 1,
                value: Value::Int(u64::MAX),
                flags: 0
            }
        );
        assert_eq!(
            p("check-extension device-ctrl vm0"),
            Cmd::CheckExtension {
                cap: 89,
                vm: Some("vm0".into())
            }
        );
        assert_eq!(
            p("ioctl dev0 KVM_SET_DEVICE_ATTR 0"),
            Cmd::Ioctl {
                target: "dev0".into(),
                request: 0x4018_aee1,
                arg: Value::Int(0)
            }
        );
        assert_eq!(p("expect ok"), Cmd::Expect(Expectation::Ok));
        assert_eq!(
            p("expect EINVAL"),
            Cmd::Expect(Expectation::Errno(libc::EINVAL))
        );
        assert_eq!(p("expect 12"), Cmd::Expect(Expectation::Value(12)));
        assert_eq!(p("expect -1"), Cmd::Expect(Expectation::Value(u64::MAX)));
        assert_eq!(p("echo  hello  world "), Cmd::Echo("hello  world".into()));
        assert_eq!(parse_line("   ").unwrap(), None);
    }

    #[test]
    fn errors() {
        let e = |s| parse_line(s).unwrap_err();
        assert!(e("frobnicate").contains("unknown command"));
        assert!(e("vcpu").contains("usage"));
        assert!(e("vcpu x").contains("not a 64-bit integer"));
        assert!(e("device nope").contains("unknown TYPE"));
        assert!(e("set dev0 file").contains("usage"));
        assert!(e("set dev0 nope add").contains("unknown GROUP"));
        assert!(e("expect EWHAT").contains("neither"));
        assert!(e("vm as").contains("NAME"));
        assert!(e("vm kvm").contains("node"));
        assert!(e("vm 9lives").contains("not a name"));
        assert!(e("device vfio flags=0x100000000").contains("32-bit"));
    }
}
