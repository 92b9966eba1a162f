// SPDX-License-Identifier: GPL-2.0

//! Names and numbers of the KVM UAPI of the pinned kernel (`include/uapi/linux/kvm.h`, Linux
//! 7.3), of errno values, and the parsing of both.

use kvm_bindings::{
    KVM_CAP_ARM_SET_DEVICE_ADDR, KVM_CAP_ARM_VM_IPA_SIZE, KVM_CAP_CHECK_EXTENSION_VM,
    KVM_CAP_COALESCED_MMIO, KVM_CAP_COALESCED_PIO, KVM_CAP_DEVICE_CTRL, KVM_CAP_ENABLE_CAP_VM,
    KVM_CAP_IOEVENTFD_ANY_LENGTH, KVM_CAP_IRQCHIP, KVM_CAP_IRQFD, KVM_CAP_IRQ_ROUTING,
    KVM_CAP_MAX_VCPUS, KVM_CAP_MAX_VCPU_ID, KVM_CAP_MSI_DEVID, KVM_CAP_NR_MEMSLOTS,
    KVM_CAP_NR_VCPUS, KVM_CAP_READONLY_MEM, KVM_CAP_SYNC_MMU, KVM_CAP_USER_MEMORY,
    KVM_CAP_VM_ATTRIBUTES, KVM_CAP_VM_TYPES, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD,
    KVM_DEV_VFIO_FILE_DEL, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE,
};

/// `KVM_DEV_TYPE_MAX` of the pinned kernel (kvm-bindings 0.14.2 has an older, smaller one).
pub const KVM_DEV_TYPE_MAX: u32 = 17;

/// The device types of `enum kvm_device_type`, by number: the UAPI name, and the name that
/// `kvm_ioctl_create_device()` gives the anon inode (`ops->name`), where a kernel registers one.
pub const DEVICE_TYPES: &[(u32, &str, Option<&str>)] = &[
    (1, "KVM_DEV_TYPE_FSL_MPIC_20", Some("kvm-mpic")),
    (2, "KVM_DEV_TYPE_FSL_MPIC_42", Some("kvm-mpic")),
    // kvm_xive_ops ("kvm-xive") takes the XICS slot on XIVE hardware.
    (3, "KVM_DEV_TYPE_XICS", Some("kvm-xics")),
    (4, "KVM_DEV_TYPE_VFIO", Some("kvm-vfio")),
    (5, "KVM_DEV_TYPE_ARM_VGIC_V2", Some("kvm-arm-vgic-v2")),
    (6, "KVM_DEV_TYPE_FLIC", Some("kvm-flic")),
    (7, "KVM_DEV_TYPE_ARM_VGIC_V3", Some("kvm-arm-vgic-v3")),
    (8, "KVM_DEV_TYPE_ARM_VGIC_ITS", Some("kvm-arm-vgic-its")),
    (9, "KVM_DEV_TYPE_XIVE", Some("kvm-xive-native")),
    (10, "KVM_DEV_TYPE_ARM_PV_TIME", None),
    (11, "KVM_DEV_TYPE_RISCV_AIA", Some("kvm-riscv-aia")),
    (12, "KVM_DEV_TYPE_LOONGARCH_IPI", Some("kvm-loongarch-ipi")),
    (
        13,
        "KVM_DEV_TYPE_LOONGARCH_EIOINTC",
        Some("kvm-loongarch-eiointc"),
    ),
    (
        14,
        "KVM_DEV_TYPE_LOONGARCH_PCHPIC",
        Some("kvm-loongarch-pch-pic"),
    ),
    (
        15,
        "KVM_DEV_TYPE_LOONGARCH_DMSINTC",
        Some("kvm-loongarch-dmsintc"),
    ),
    (16, "KVM_DEV_TYPE_ARM_VGIC_V5", Some("kvm-arm-vgic-v5")),
];

/// The UAPI name of a device type, if it has one.
pub fn device_type_name(t: u32) -> Option<&'static str> {
    DEVICE_TYPES.iter().find(|d| d.0 == t).map(|d| d.1)
}

/// The anon-inode name of a device type, where known.
pub fn device_inode_name(t: u32) -> Option<&'static str> {
    DEVICE_TYPES.iter().find(|d| d.0 == t).and_then(|d| d.2)
}

/// Upper case, `-` as `_`, without `prefix`: `vfio`, `VFIO` and `KVM_DEV_TYPE_VFIO` are one.
fn normalize(s: &str, prefix: &str) -> String {
    let up = s.to_ascii_uppercase().replace('-', "_");
    match up.strip_prefix(prefix) {
        Some(rest) => rest.to_string(),
        None => up,
    }
}

/// A device type: a number, or a name with or without `KVM_DEV_TYPE_` in any case; the ARM
/// types also without `ARM_` (`vgic-v3`, `vgic-its`).
pub fn parse_device_type(s: &str) -> Option<u32> {
    if let Some(n) = parse_int(s) {
        return u32::try_from(n).ok();
    }
    let want = normalize(s, "KVM_DEV_TYPE_");
    DEVICE_TYPES
        .iter()
        .find(|d| {
            let n = normalize(d.1, "KVM_DEV_TYPE_");
            n == want || n.strip_prefix("ARM_") == Some(want.as_str())
        })
        .map(|d| d.0)
}

/// `KVM_DEV_TYPE_VFIO`.
pub const DEV_VFIO: u32 = 4;
/// `KVM_DEV_TYPE_ARM_VGIC_V2`.
pub const DEV_VGIC_V2: u32 = 5;
/// `KVM_DEV_TYPE_ARM_VGIC_V3`.
pub const DEV_VGIC_V3: u32 = 7;
/// `KVM_DEV_TYPE_ARM_VGIC_ITS`.
pub const DEV_VGIC_ITS: u32 = 8;

/// Whether device type `t` takes the VGIC groups (`KVM_DEV_ARM_VGIC_GRP_*`).
pub fn is_vgic(t: u32) -> bool {
    matches!(t, DEV_VGIC_V2 | DEV_VGIC_V3 | DEV_VGIC_ITS)
}

/// The width in bits of an attribute's value on a device of type `t`, as the kernel copies
/// it: a VGIC group's ([`crate::vgic::width`]), kvm-vfio's `int32` fd; `None` where the
/// kernel reads nothing (the VGIC's `CTRL`) or for another type, whose width the CLI does not
/// know (it then passes 64 bits).
pub fn attr_width(t: u32, group: u32) -> Option<u32> {
    match t {
        DEV_VFIO => Some(32),
        t if is_vgic(t) => crate::vgic::width(group),
        _ => None,
    }
}

/// The groups of `KVM_DEV_TYPE_VFIO` (`GROUP` is the legacy alias of `FILE`).
const VFIO_GROUPS: &[(&str, u32)] = &[
    ("KVM_DEV_VFIO_FILE", KVM_DEV_VFIO_FILE),
    ("KVM_DEV_VFIO_GROUP", KVM_DEV_VFIO_FILE),
];

/// The attributes of the `KVM_DEV_VFIO_FILE` group.
const VFIO_ATTRS: &[(&str, u32)] = &[
    ("KVM_DEV_VFIO_FILE_ADD", KVM_DEV_VFIO_FILE_ADD),
    ("KVM_DEV_VFIO_FILE_DEL", KVM_DEV_VFIO_FILE_DEL),
    ("KVM_DEV_VFIO_GROUP_ADD", KVM_DEV_VFIO_FILE_ADD),
    ("KVM_DEV_VFIO_GROUP_DEL", KVM_DEV_VFIO_FILE_DEL),
    (
        "KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE",
        KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE,
    ),
];

/// An attribute group: a number, a kvm-vfio name (`file`, `group`, `KVM_DEV_VFIO_FILE`) or a
/// VGIC name (`addr`, `dist`, `KVM_DEV_ARM_VGIC_GRP_DIST_REGS`, ...: [`crate::vgic::GROUPS`]).
pub fn parse_group(s: &str) -> Option<u32> {
    if let Some(n) = parse_int(s) {
        return u32::try_from(n).ok();
    }
    let want = normalize(s, "KVM_DEV_VFIO_");
    VFIO_GROUPS
        .iter()
        .find(|g| normalize(g.0, "KVM_DEV_VFIO_") == want)
        .map(|g| g.1)
        .or_else(|| crate::vgic::parse_group(s))
}

/// An attribute of group `group`: a number (64 bits), a VGIC name of that group (an address
/// type, a control, a register: [`crate::vgic::parse_attr`]), or a kvm-vfio name (`add`,
/// `del`, `spapr-tce`, or the UAPI names), which any group takes, as a number would be.
pub fn parse_attr(group: u32, s: &str) -> Option<u64> {
    if let Some(n) = parse_int(s) {
        return to_u64(n);
    }
    if let Some(a) = crate::vgic::parse_attr(group, s) {
        return Some(a);
    }
    let want = normalize(s, "KVM_DEV_VFIO_");
    let short = |full: &str| {
        let n = normalize(full, "KVM_DEV_VFIO_");
        let n = n
            .strip_prefix("FILE_")
            .or_else(|| n.strip_prefix("GROUP_SET_"))
            .or_else(|| n.strip_prefix("GROUP_"))
            .unwrap_or(&n)
            .to_string();
        n
    };
    VFIO_ATTRS
        .iter()
        .find(|a| normalize(a.0, "KVM_DEV_VFIO_") == want || short(a.0) == want)
        .map(|a| a.1.into())
}

/// The capabilities a user of the device control API may want to ask about.
pub const CAPS: &[(&str, u32)] = &[
    ("KVM_CAP_IRQCHIP", KVM_CAP_IRQCHIP),
    ("KVM_CAP_USER_MEMORY", KVM_CAP_USER_MEMORY),
    ("KVM_CAP_NR_VCPUS", KVM_CAP_NR_VCPUS),
    ("KVM_CAP_NR_MEMSLOTS", KVM_CAP_NR_MEMSLOTS),
    ("KVM_CAP_COALESCED_MMIO", KVM_CAP_COALESCED_MMIO),
    ("KVM_CAP_SYNC_MMU", KVM_CAP_SYNC_MMU),
    ("KVM_CAP_IRQ_ROUTING", KVM_CAP_IRQ_ROUTING),
    ("KVM_CAP_IRQFD", KVM_CAP_IRQFD),
    ("KVM_CAP_MAX_VCPUS", KVM_CAP_MAX_VCPUS),
    ("KVM_CAP_DEVICE_CTRL", KVM_CAP_DEVICE_CTRL),
    ("KVM_CAP_IOEVENTFD_ANY_LENGTH", KVM_CAP_IOEVENTFD_ANY_LENGTH),
    ("KVM_CAP_CHECK_EXTENSION_VM", KVM_CAP_CHECK_EXTENSION_VM),
    ("KVM_CAP_VM_ATTRIBUTES", KVM_CAP_VM_ATTRIBUTES),
    ("KVM_CAP_MAX_VCPU_ID", KVM_CAP_MAX_VCPU_ID),
    ("KVM_CAP_COALESCED_PIO", KVM_CAP_COALESCED_PIO),
    ("KVM_CAP_ENABLE_CAP_VM", KVM_CAP_ENABLE_CAP_VM),
    ("KVM_CAP_VM_TYPES", KVM_CAP_VM_TYPES),
    ("KVM_CAP_READONLY_MEM", KVM_CAP_READONLY_MEM),
    ("KVM_CAP_ARM_SET_DEVICE_ADDR", KVM_CAP_ARM_SET_DEVICE_ADDR),
    ("KVM_CAP_MSI_DEVID", KVM_CAP_MSI_DEVID),
    ("KVM_CAP_ARM_VM_IPA_SIZE", KVM_CAP_ARM_VM_IPA_SIZE),
];

/// A capability: a number, or a name of [`CAPS`] with or without `KVM_CAP_`, in any case.
pub fn parse_cap(s: &str) -> Option<u64> {
    if let Some(n) = parse_int(s) {
        return to_u64(n);
    }
    let want = normalize(s, "KVM_CAP_");
    CAPS.iter()
        .find(|c| normalize(c.0, "KVM_CAP_") == want)
        .map(|c| c.1.into())
}

/// The name of a capability number, if [`CAPS`] has it.
pub fn cap_name(c: u64) -> Option<&'static str> {
    CAPS.iter().find(|x| u64::from(x.1) == c).map(|x| x.0)
}

const KVMIO: u64 = 0xae;

/// `_IOC(dir, KVMIO, nr, size)` of `include/uapi/asm-generic/ioctl.h`.
const fn ioc(dir: u64, nr: u64, size: u64) -> u64 {
    (dir << 30) | (size << 16) | (KVMIO << 8) | nr
}

/// The ioctls of the device control path, by name.
pub const IOCTLS: &[(&str, u64)] = &[
    ("KVM_GET_API_VERSION", ioc(0, 0x00, 0)),
    ("KVM_CREATE_VM", ioc(0, 0x01, 0)),
    ("KVM_CHECK_EXTENSION", ioc(0, 0x03, 0)),
    ("KVM_GET_VCPU_MMAP_SIZE", ioc(0, 0x04, 0)),
    ("KVM_CREATE_VCPU", ioc(0, 0x41, 0)),
    ("KVM_RUN", ioc(0, 0x80, 0)),
    // _IOWR(KVMIO, 0xe0, struct kvm_create_device): 12 bytes.
    ("KVM_CREATE_DEVICE", ioc(3, 0xe0, 12)),
    // _IOW(KVMIO, 0xe1..0xe3, struct kvm_device_attr): 24 bytes.
    ("KVM_SET_DEVICE_ATTR", ioc(1, 0xe1, 24)),
    ("KVM_GET_DEVICE_ATTR", ioc(1, 0xe2, 24)),
    ("KVM_HAS_DEVICE_ATTR", ioc(1, 0xe3, 24)),
    // _IOW(KVMIO, 0x46, struct kvm_userspace_memory_region): 32 bytes.
    ("KVM_SET_USER_MEMORY_REGION", ioc(1, 0x46, 32)),
    ("KVM_CREATE_IRQCHIP", ioc(0, 0x60, 0)),
    // arm64: _IOW(KVMIO, 0xab, struct kvm_arm_device_addr), 16 bytes; _IOW/_IOR(KVMIO,
    // 0xae/0xaf, struct kvm_vcpu_init), 32 bytes.
    ("KVM_ARM_SET_DEVICE_ADDR", ioc(1, 0xab, 16)),
    ("KVM_ARM_VCPU_INIT", KVM_ARM_VCPU_INIT),
    ("KVM_ARM_PREFERRED_TARGET", KVM_ARM_PREFERRED_TARGET),
];

/// `KVM_ARM_VCPU_INIT`, `_IOW(KVMIO, 0xae, struct kvm_vcpu_init)`.
pub const KVM_ARM_VCPU_INIT: u64 = ioc(1, 0xae, 32);
/// `KVM_ARM_PREFERRED_TARGET`, `_IOR(KVMIO, 0xaf, struct kvm_vcpu_init)`.
pub const KVM_ARM_PREFERRED_TARGET: u64 = ioc(2, 0xaf, 32);

/// An ioctl request: a number, or a name of [`IOCTLS`] in any case.
pub fn parse_ioctl(s: &str) -> Option<u64> {
    if let Some(n) = parse_int(s) {
        return to_u64(n);
    }
    let want = s.to_ascii_uppercase().replace('-', "_");
    IOCTLS
        .iter()
        .find(|i| i.0 == want || i.0.strip_prefix("KVM_") == Some(want.as_str()))
        .map(|i| i.1)
}

/// The errno names that the paths of KVM under study return, and a few more.
const ERRNOS: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("ESRCH", libc::ESRCH),
    ("EINTR", libc::EINTR),
    ("EIO", libc::EIO),
    ("ENXIO", libc::ENXIO),
    ("E2BIG", libc::E2BIG),
    ("EBADF", libc::EBADF),
    ("EAGAIN", libc::EAGAIN),
    ("ENOMEM", libc::ENOMEM),
    ("EACCES", libc::EACCES),
    ("EFAULT", libc::EFAULT),
    ("EBUSY", libc::EBUSY),
    ("EEXIST", libc::EEXIST),
    ("ENODEV", libc::ENODEV),
    ("ENOTDIR", libc::ENOTDIR),
    ("EISDIR", libc::EISDIR),
    ("EINVAL", libc::EINVAL),
    ("ENFILE", libc::ENFILE),
    ("EMFILE", libc::EMFILE),
    ("ENOTTY", libc::ENOTTY),
    ("ENOSPC", libc::ENOSPC),
    ("ESPIPE", libc::ESPIPE),
    ("EROFS", libc::EROFS),
    ("ERANGE", libc::ERANGE),
    ("ENOSYS", libc::ENOSYS),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
];

/// `EINVAL`, or `errno N` for one that [`ERRNOS`] lacks.
pub fn errno_name(e: i32) -> String {
    ERRNOS
        .iter()
        .find(|x| x.1 == e)
        .map_or_else(|| format!("errno {e}"), |x| x.0.to_string())
}

/// `EINVAL (Invalid argument)`.
pub fn errno_text(e: i32) -> String {
    let msg = std::io::Error::from_raw_os_error(e).to_string();
    let msg = msg.split(" (os error").next().unwrap_or(&msg).to_string();
    format!("{} ({msg})", errno_name(e))
}

/// An errno by name, in any case (`EINVAL`, `einval`).
pub fn parse_errno(s: &str) -> Option<i32> {
    let up = s.to_ascii_uppercase();
    ERRNOS.iter().find(|x| x.0 == up).map(|x| x.1)
}

/// An integer: decimal, `0x` hex, `0o` octal or `0b` binary, optionally negative, with `_`
/// separators; from `-2^63` to `2^64 - 1`.
pub fn parse_int(s: &str) -> Option<i128> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let body = body.replace('_', "");
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    let v = if neg { -v } else { v };
    (i128::from(i64::MIN)..=i128::from(u64::MAX))
        .contains(&v)
        .then_some(v)
}

/// The 64-bit pattern of an integer: negative numbers in two's complement.
pub fn to_u64(v: i128) -> Option<u64> {
    if v < 0 {
        i64::try_from(v).ok().map(|v| v as u64)
    } else {
        u64::try_from(v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_int("12"), Some(12));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("0x1_0000_0000"), Some(1 << 32));
        assert_eq!(parse_int("0xffffffffffffffff"), Some(u64::MAX.into()));
        assert_eq!(parse_int("0x1_0000_0000_0000_0000"), None);
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("vfio"), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(to_u64(-1), Some(u64::MAX));
    }

    #[test]
    fn device_types() {
        assert_eq!(parse_device_type("vfio"), Some(4));
        assert_eq!(parse_device_type("KVM_DEV_TYPE_VFIO"), Some(4));
        assert_eq!(parse_device_type("arm-vgic-v3"), Some(7));
        assert_eq!(parse_device_type("vgic-v3"), Some(7));
        assert_eq!(parse_device_type("vgic-v2"), Some(5));
        assert_eq!(parse_device_type("VGIC_ITS"), Some(8));
        assert_eq!(parse_device_type("KVM_DEV_TYPE_ARM_VGIC_ITS"), Some(8));
        assert_eq!(parse_device_type("pv-time"), Some(10));
        assert_eq!(parse_device_type("vgic"), None);
        assert_eq!(parse_device_type("4"), Some(4));
        assert_eq!(parse_device_type("0xffffffff"), Some(u32::MAX));
        assert_eq!(parse_device_type("0x100000000"), None);
        assert_eq!(parse_device_type("nope"), None);
        assert_eq!(device_inode_name(4), Some("kvm-vfio"));
        // Every type below KVM_DEV_TYPE_MAX has a name, and they are in order.
        for (i, d) in DEVICE_TYPES.iter().enumerate() {
            assert_eq!(d.0, i as u32 + 1);
        }
        assert_eq!(DEVICE_TYPES.len() as u32, KVM_DEV_TYPE_MAX - 1);
    }

    #[test]
    fn vfio_groups_and_attrs() {
        assert_eq!(parse_group("file"), Some(1));
        assert_eq!(parse_group("group"), Some(1));
        assert_eq!(parse_group("KVM_DEV_VFIO_FILE"), Some(1));
        assert_eq!(parse_group("7"), Some(7));
        assert_eq!(parse_attr(1, "add"), Some(1));
        assert_eq!(parse_attr(1, "del"), Some(2));
        assert_eq!(parse_attr(1, "spapr-tce"), Some(3));
        assert_eq!(parse_attr(1, "KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE"), Some(3));
        assert_eq!(parse_attr(1, "KVM_DEV_VFIO_FILE_DEL"), Some(2));
        assert_eq!(parse_attr(1, "0x100000001"), Some((1 << 32) | 1));
        assert_eq!(parse_attr(1, "-1"), Some(u64::MAX));
        // Any group takes kvm-vfio's names, as demo.kvmdev's `has vf 2 add` does.
        assert_eq!(parse_attr(2, "add"), Some(1));
    }

    #[test]
    fn vgic_groups_and_attrs() {
        // Group 1 is kvm-vfio's FILE and the VGIC's DIST_REGS: both names work.
        assert_eq!(parse_group("dist"), Some(1));
        assert_eq!(parse_group("sysregs"), Some(6));
        assert_eq!(parse_group("KVM_DEV_ARM_VGIC_GRP_ITS_REGS"), Some(8));
        assert_eq!(parse_attr(1, "GICD_ISENABLER1"), Some(0x104));
        assert_eq!(parse_attr(0, "redist-region"), Some(5));
        assert_eq!(parse_attr(4, "init"), Some(0));
        assert_eq!(parse_attr(3, "init"), None);
        assert_eq!(parse_attr(6, "icc_pmr_el1"), Some(0xc230));
        assert_eq!(attr_width(DEV_VGIC_V3, 0), Some(64));
        assert_eq!(attr_width(DEV_VGIC_V3, 1), Some(32));
        assert_eq!(attr_width(DEV_VGIC_ITS, 8), Some(64));
        assert_eq!(attr_width(DEV_VFIO, 1), Some(32));
        assert_eq!(attr_width(1, 1), None);
    }

    #[test]
    fn ioctls_and_caps() {
        assert_eq!(parse_ioctl("KVM_CREATE_DEVICE"), Some(0xc00c_aee0));
        assert_eq!(parse_ioctl("set_device_attr"), Some(0x4018_aee1));
        assert_eq!(parse_ioctl("KVM_GET_API_VERSION"), Some(0xae00));
        assert_eq!(parse_ioctl("KVM_CREATE_VCPU"), Some(0xae41));
        // The values of the arm64 UAPI (tools/testing/rust/src/arm64.rs, make uapi-check).
        assert_eq!(parse_ioctl("KVM_ARM_VCPU_INIT"), Some(0x4020_aeae));
        assert_eq!(parse_ioctl("arm-preferred-target"), Some(0x8020_aeaf));
        assert_eq!(parse_ioctl("KVM_SET_USER_MEMORY_REGION"), Some(0x4020_ae46));
        assert_eq!(parse_ioctl("KVM_CREATE_IRQCHIP"), Some(0xae60));
        assert_eq!(parse_ioctl("KVM_ARM_SET_DEVICE_ADDR"), Some(0x4010_aeab));
        assert_eq!(parse_cap("arm-vm-ipa-size"), Some(165));
        assert_eq!(parse_cap("irqchip"), Some(0));
        assert_eq!(parse_cap("device-ctrl"), Some(89));
        assert_eq!(parse_cap("KVM_CAP_DEVICE_CTRL"), Some(89));
        assert_eq!(cap_name(89), Some("KVM_CAP_DEVICE_CTRL"));
    }

    #[test]
    fn errnos() {
        assert_eq!(parse_errno("EINVAL"), Some(libc::EINVAL));
        assert_eq!(parse_errno("enxio"), Some(libc::ENXIO));
        assert_eq!(parse_errno("E42"), None);
        assert_eq!(errno_text(libc::EBADF), "EBADF (Bad file descriptor)");
        assert_eq!(errno_name(4095), "errno 4095");
    }
}
