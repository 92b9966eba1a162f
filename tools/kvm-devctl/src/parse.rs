// SPDX-License-Identifier: GPL-2.0

//! The parsing of a `kvm-devctl run` script: its lines into [`Cmd`]s (the language is
//! described in `script.rs`).

use std::io::{BufRead, BufReader, Read};

use kvm_bindings::KVM_CREATE_DEVICE_TEST;

use crate::names::{
    parse_attr, parse_cap, parse_device_type, parse_errno, parse_group, parse_int, parse_ioctl,
    to_u64,
};
use crate::script::Failure;
use crate::vgic::{parse_attr_prefix, parse_vcpu_feature};

/// What addr of a `kvm_device_attr` (or the argument of `ioctl`) is made of.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// An integer, in a buffer (for `ioctl`: the argument itself).
    Int(u64),
    /// The fd number of a named file.
    Fd(String),
    /// The address itself.
    Addr(u64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum AttrOp {
    Has,
    Set,
    Get,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expectation {
    Ok,
    Errno(i32),
    Value(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cmd {
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
        /// width=W: the value's width in bits, else the kernel's for the group.
        width: Option<u32>,
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
    PreferredTarget(Option<String>),
    VcpuInit {
        vcpu: String,
        features: Vec<u32>,
        target: Option<u32>,
    },
    Memslot {
        slot: u32,
        gpa: u64,
        size: u64,
        flags: u32,
        uaddr: Option<u64>,
        name: Option<String>,
    },
    Write {
        mem: String,
        offset: u64,
        values: Vec<u64>,
        bits: u32,
    },
    Read {
        mem: String,
        offset: u64,
        bits: u32,
    },
    Copy {
        src: String,
        dst: String,
    },
    Fill {
        mem: String,
        from: u64,
        to: u64,
        byte: u8,
    },
    Dump {
        name: String,
        range: Option<(u64, u64)>,
    },
    Save {
        dev: String,
        name: Option<String>,
    },
    Restore {
        snapshot: String,
        dev: String,
    },
    Compare {
        a: String,
        b: String,
        range: Option<(u64, u64)>,
    },
    Expect(Expectation),
    Echo(String),
}

/// One line of a script.
pub(crate) struct Line {
    pub(crate) number: usize,
    pub(crate) text: String,
    pub(crate) cmd: Cmd,
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

/// `width=W`: one of `allowed` bits.
fn parse_width(words: &mut Vec<&str>, allowed: &[u32]) -> Result<Option<u32>, String> {
    match take_option(words, "width") {
        None => Ok(None),
        Some(w) => match parse_int(w).and_then(|w| u32::try_from(w).ok()) {
            Some(w) if allowed.contains(&w) => Ok(Some(w)),
            _ => Err(format!(
                "width: `{w}` is not one of {}",
                allowed
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
    }
}

/// `FROM TO`, an optional byte range.
fn parse_range(words: &[&str], cmd: &str) -> Result<Option<(u64, u64)>, String> {
    match words {
        [] => Ok(None),
        [from, to] => {
            let (from, to) = (int_u64(from, "FROM")?, int_u64(to, "TO")?);
            if from > to {
                return Err(format!("{cmd}: FROM is beyond TO"));
            }
            Ok(Some((from, to)))
        }
        _ => Err(format!("{cmd}: a range is FROM TO")),
    }
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

/// `DEV GROUP [PREFIX] ATTR [VALUE]` of `has`, `set` and `get`.
fn parse_attr_cmd(cmd: &str, op: AttrOp, mut words: Vec<&str>) -> Result<Cmd, String> {
    const USAGE: &str = "DEV GROUP [PREFIX] ATTR [VALUE] [flags=F] [width=W]";
    let flags = match take_option(&mut words, "flags") {
        Some(f) => int_u32(f, "flags")?,
        None => 0,
    };
    let width = parse_width(&mut words, &[32, 64])?;
    arity(cmd, &words, 3, 5, USAGE)?;
    let group =
        parse_group(words[1]).ok_or_else(|| format!("{cmd}: unknown GROUP `{}`", words[1]))?;
    let hi = match parse_attr_prefix(words[2]) {
        Some(hi) => {
            words.remove(2);
            Some(hi?)
        }
        None => None,
    };
    arity(cmd, &words, 3, 4, USAGE)?;
    let mut attr = parse_attr(group, words[2])
        .ok_or_else(|| format!("{cmd}: unknown ATTR `{}` of group {group}", words[2]))?;
    if let Some(hi) = hi {
        if attr > u64::from(u32::MAX) {
            return Err(format!(
                "{cmd}: ATTR `{}` has bits above 31: it cannot take a prefix",
                words[2]
            ));
        }
        attr |= u64::from(hi) << 32;
    }
    Ok(Cmd::Attr {
        op,
        dev: words[0].to_string(),
        group,
        attr,
        value: match words.get(3) {
            Some(v) => parse_value(v)?,
            None => Value::Int(0),
        },
        flags,
        width,
    })
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
        "has" => parse_attr_cmd(cmd, AttrOp::Has, words)?,
        "set" => parse_attr_cmd(cmd, AttrOp::Set, words)?,
        "get" => parse_attr_cmd(cmd, AttrOp::Get, words)?,
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
        "preferred-target" => {
            arity(cmd, &words, 0, 1, "[VM]")?;
            Cmd::PreferredTarget(words.first().map(|s| s.to_string()))
        }
        "vcpu-init" => {
            let target = match take_option(&mut words, "target") {
                Some(t) => Some(int_u32(t, "target")?),
                None => None,
            };
            arity(cmd, &words, 1, usize::MAX, "VCPU [FEATURE]... [target=T]")?;
            let features = words[1..]
                .iter()
                .map(|f| {
                    parse_vcpu_feature(f).ok_or_else(|| format!("vcpu-init: unknown FEATURE `{f}`"))
                })
                .collect::<Result<_, _>>()?;
            Cmd::VcpuInit {
                vcpu: words[0].to_string(),
                features,
                target,
            }
        }
        "memslot" => {
            let name = take_as(&mut words)?;
            let flags = match take_option(&mut words, "flags") {
                Some(f) => int_u32(f, "flags")?,
                None => 0,
            };
            let uaddr = match take_option(&mut words, "uaddr") {
                Some(a) => Some(int_u64(a, "uaddr")?),
                None => None,
            };
            arity(
                cmd,
                &words,
                3,
                3,
                "SLOT GPA SIZE [flags=F] [uaddr=A] [as NAME]",
            )?;
            if name.is_some() && (uaddr.is_some() || words[2] == "0") {
                return Err(
                    "memslot: `as NAME` names new memory: not with uaddr= or SIZE 0".into(),
                );
            }
            Cmd::Memslot {
                slot: int_u32(words[0], "SLOT")?,
                gpa: int_u64(words[1], "GPA")?,
                size: int_u64(words[2], "SIZE")?,
                flags,
                uaddr,
                name,
            }
        }
        "write" => {
            let bits = parse_width(&mut words, &[8, 16, 32, 64])?.unwrap_or(64);
            arity(cmd, &words, 3, usize::MAX, "MEM OFFSET VALUE... [width=W]")?;
            Cmd::Write {
                mem: words[0].to_string(),
                offset: int_u64(words[1], "OFFSET")?,
                values: words[2..]
                    .iter()
                    .map(|v| int_u64(v, "VALUE"))
                    .collect::<Result<_, _>>()?,
                bits,
            }
        }
        "read" => {
            let bits = parse_width(&mut words, &[8, 16, 32, 64])?.unwrap_or(64);
            arity(cmd, &words, 2, 2, "MEM OFFSET [width=W]")?;
            Cmd::Read {
                mem: words[0].to_string(),
                offset: int_u64(words[1], "OFFSET")?,
                bits,
            }
        }
        "copy" => {
            arity(cmd, &words, 2, 2, "SRC DST")?;
            Cmd::Copy {
                src: words[0].to_string(),
                dst: words[1].to_string(),
            }
        }
        "fill" => {
            arity(cmd, &words, 3, 4, "MEM FROM TO [BYTE]")?;
            let (from, to) = parse_range(&words[1..3], cmd)?.unwrap_or_default();
            let byte = match words.get(3) {
                Some(b) => u8::try_from(int_u64(b, "BYTE")?)
                    .map_err(|_| format!("fill: BYTE `{b}` is not 0 to 0xff"))?,
                None => 0,
            };
            Cmd::Fill {
                mem: words[0].to_string(),
                from,
                to,
                byte,
            }
        }
        "dump" => {
            arity(cmd, &words, 1, 3, "MEM [FROM TO] | SNAPSHOT")?;
            Cmd::Dump {
                name: words[0].to_string(),
                range: parse_range(&words[1..], cmd)?,
            }
        }
        "save" => {
            let name = take_as(&mut words)?;
            arity(cmd, &words, 1, 1, "DEV [as NAME]")?;
            Cmd::Save {
                dev: words[0].to_string(),
                name,
            }
        }
        "restore" => {
            if words.len() != 3 || words[1] != "into" {
                return Err("usage: restore SNAPSHOT into DEV".into());
            }
            Cmd::Restore {
                snapshot: words[0].to_string(),
                dev: words[2].to_string(),
            }
        }
        "compare" => {
            arity(cmd, &words, 2, 4, "A B [FROM TO]")?;
            Cmd::Compare {
                a: words[0].to_string(),
                b: words[1].to_string(),
                range: parse_range(&words[2..], cmd)?,
            }
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
pub(crate) fn parse_script(source: &str, input: impl Read) -> Result<Vec<Line>, Failure> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demonstration_scripts_parse() {
        for (name, text) in [
            ("demo.kvmdev", include_str!("../../demo.kvmdev")),
            ("demo-gic.kvmdev", include_str!("../../demo-gic.kvmdev")),
        ] {
            if let Err(Failure::Script(e)) = parse_script(name, text.as_bytes()) {
                panic!("{e}");
            }
        }
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
                flags: 0,
                width: None
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
                flags: u32::MAX,
                width: None
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
                flags: 0,
                width: None
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
    fn vgic_commands() {
        let p = |s| parse_line(s).unwrap().unwrap();
        let attr = |op, group, attr, value, width| Cmd::Attr {
            op,
            dev: "gic".into(),
            group,
            attr,
            value: Value::Int(value),
            flags: 0,
            width,
        };
        assert_eq!(
            p("device vgic-v3 as gic"),
            Cmd::Device {
                type_: 7,
                flags: 0,
                name: Some("gic".into())
            }
        );
        assert_eq!(
            p("set gic addr redist-region 0x0020_0000_080a_0000"),
            attr(AttrOp::Set, 0, 5, 0x0020_0000_080a_0000, None)
        );
        assert_eq!(p("set gic ctrl init"), attr(AttrOp::Set, 4, 0, 0, None));
        assert_eq!(
            p("set gic nr-irqs 0 288"),
            attr(AttrOp::Set, 3, 0, 288, None)
        );
        assert_eq!(
            p("get gic dist gicd_ipriorityr9"),
            attr(AttrOp::Get, 1, 0x424, 0, None)
        );
        assert_eq!(
            p("set gic redist mpidr:1 GICR_ISENABLER0 0x8000ffff"),
            attr(AttrOp::Set, 5, 1 << 32 | 0x10100, 0x8000_ffff, None)
        );
        assert_eq!(
            p("get gic sysregs mpidr:0 icc_pmr_el1 width=32"),
            attr(AttrOp::Get, 6, 0xc230, 0, Some(32))
        );
        assert_eq!(
            p("get gic sysregs mpidr:0.0.1.0 0xc230"),
            attr(AttrOp::Get, 6, 0x100 << 32 | 0xc230, 0, None)
        );
        assert_eq!(
            p("set gic level-info mpidr:0 line-level:32 0xffffffff"),
            attr(AttrOp::Set, 7, 32, 0xffff_ffff, None)
        );
        assert_eq!(
            p("get gic addr redist-region 1"),
            attr(AttrOp::Get, 0, 5, 1, None)
        );
        assert_eq!(
            p("has gic cpu cpu:1 GICC_PMR"),
            attr(AttrOp::Has, 2, 1 << 32 | 4, 0, None)
        );
        assert_eq!(
            p("set gic its-regs gits_baser1 0x8000000040020000"),
            attr(AttrOp::Set, 8, 0x108, 0x8000_0000_4002_0000, None)
        );
        assert_eq!(
            p("vcpu-init vcpu1 psci-0.2 power-off"),
            Cmd::VcpuInit {
                vcpu: "vcpu1".into(),
                features: vec![2, 0],
                target: None
            }
        );
        assert_eq!(
            p("vcpu-init v target=5"),
            Cmd::VcpuInit {
                vcpu: "v".into(),
                features: vec![],
                target: Some(5)
            }
        );
        assert_eq!(p("preferred-target"), Cmd::PreferredTarget(None));
        assert_eq!(
            p("memslot 0 0x40000000 0x200000 as ram"),
            Cmd::Memslot {
                slot: 0,
                gpa: 0x4000_0000,
                size: 0x20_0000,
                flags: 0,
                uaddr: None,
                name: Some("ram".into())
            }
        );
        assert_eq!(
            p("memslot 1 0x40100000 0x100000 flags=2 uaddr=0x1008"),
            Cmd::Memslot {
                slot: 1,
                gpa: 0x4010_0000,
                size: 0x10_0000,
                flags: 2,
                uaddr: Some(0x1008),
                name: None
            }
        );
        assert_eq!(
            p("write ram 0x40000 0xa1a1 1 width=16"),
            Cmd::Write {
                mem: "ram".into(),
                offset: 0x40000,
                values: vec![0xa1a1, 1],
                bits: 16
            }
        );
        assert_eq!(
            p("read ram 8"),
            Cmd::Read {
                mem: "ram".into(),
                offset: 8,
                bits: 64
            }
        );
        assert_eq!(
            p("copy ram ram2"),
            Cmd::Copy {
                src: "ram".into(),
                dst: "ram2".into()
            }
        );
        assert_eq!(
            p("fill ram 0x40000 0x40040 0xa1"),
            Cmd::Fill {
                mem: "ram".into(),
                from: 0x40000,
                to: 0x40040,
                byte: 0xa1
            }
        );
        assert_eq!(
            p("fill ram2 0x10000 0x40000"),
            Cmd::Fill {
                mem: "ram2".into(),
                from: 0x10000,
                to: 0x40000,
                byte: 0
            }
        );
        assert_eq!(
            p("dump ram 0x10000 0x40000"),
            Cmd::Dump {
                name: "ram".into(),
                range: Some((0x10000, 0x40000))
            }
        );
        assert_eq!(
            p("save gic as before"),
            Cmd::Save {
                dev: "gic".into(),
                name: Some("before".into())
            }
        );
        assert_eq!(
            p("restore before into gic2"),
            Cmd::Restore {
                snapshot: "before".into(),
                dev: "gic2".into()
            }
        );
        assert_eq!(
            p("compare s0 s1"),
            Cmd::Compare {
                a: "s0".into(),
                b: "s1".into(),
                range: None
            }
        );
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
        assert!(e("get gic dist gicd_nope").contains("unknown ATTR"));
        assert!(e("get gic nr-irqs init").contains("unknown ATTR"));
        assert!(e("get gic sysregs mpidr:0").contains("usage"));
        assert!(e("get gic sysregs mpidr:0.1 icc_pmr_el1").contains("MPIDR"));
        assert!(e("get gic redist mpidr:1 0x100000000").contains("prefix"));
        assert!(e("get gic dist ctlr width=16").contains("width"));
        assert!(e("vcpu-init").contains("usage"));
        assert!(e("vcpu-init vcpu0 smt").contains("FEATURE"));
        assert!(e("memslot 0 0x40000000").contains("usage"));
        assert!(e("memslot 0 0 0 as m").contains("new memory"));
        assert!(e("write ram 0").contains("usage"));
        assert!(e("read ram 0 width=12").contains("width"));
        assert!(e("dump ram 0x20 0x10").contains("beyond"));
        assert!(e("dump ram 0x20").contains("FROM TO"));
        assert!(e("fill ram 0").contains("usage"));
        assert!(e("fill ram 0x20 0x10").contains("beyond"));
        assert!(e("fill ram 0 8 0x100").contains("0 to 0xff"));
        assert!(e("fill ram 0 8 -1").contains("0 to 0xff"));
        assert!(e("fill ram 0 8 1 2").contains("usage"));
        assert!(e("restore s0 gic").contains("into"));
        assert!(e("compare s0").contains("usage"));
    }
}
