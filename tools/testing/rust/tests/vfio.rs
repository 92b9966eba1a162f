// SPDX-License-Identifier: GPL-2.0

//! The kvm-vfio device (`KVM_DEV_TYPE_VFIO`) through `DeviceFd::{has,set,get}_device_attr()`.
//!
//! C: `virt/kvm/vfio.c` (`kvm_vfio_has_attr()`, `kvm_vfio_set_attr()`, `kvm_vfio_set_file()`,
//! `kvm_vfio_file_add()`, `kvm_vfio_file_del()`, `kvm_vfio_create()`), reached through
//! `kvm_device_ioctl_attr()` in `virt/kvm/kvm_main.c`;
//! `Documentation/virt/kvm/devices/vfio.rst`.
//!
//! The guest kernel has no VFIO (`CONFIG_VFIO` is not set): `symbol_get(vfio_file_is_valid)`
//! finds nothing, so no file is a VFIO file and `KVM_DEV_VFIO_FILE_ADD` of any open fd is
//! `EINVAL`; `KVM_DEV_VFIO_FILE_DEL` of any open fd is `ENOENT`, since none was ever added.

use std::os::unix::io::{AsRawFd, RawFd};

use kvm_bindings::{
    kvm_device_attr, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, KVM_DEV_VFIO_FILE_DEL,
    KVM_DEV_VFIO_GROUP, KVM_DEV_VFIO_GROUP_ADD, KVM_DEV_VFIO_GROUP_DEL,
    KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE,
};
use kvm_devctl_tests::{
    attr, closed_fd, create_vfio, fails, grid, must, ok, on_each_node, raw_ioctl, GuardedPage,
    Outcome, Pipe, ToOutcome,
};
use kvm_ioctls::DeviceFd;

const FILE: u32 = KVM_DEV_VFIO_FILE;
const ADD: u64 = KVM_DEV_VFIO_FILE_ADD as u64;
const DEL: u64 = KVM_DEV_VFIO_FILE_DEL as u64;
const SPAPR_TCE: u64 = KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE as u64;

/// `KVM_SET_DEVICE_ATTR`, `_IOW(KVMIO, 0xe1, struct kvm_device_attr)`.
const KVM_SET_DEVICE_ATTR: u64 = 0x4018_aee1;
/// `KVM_GET_DEVICE_ATTR`, `_IOW(KVMIO, 0xe2, struct kvm_device_attr)`.
const KVM_GET_DEVICE_ATTR: u64 = 0x4018_aee2;
/// `KVM_HAS_DEVICE_ATTR`, `_IOW(KVMIO, 0xe3, struct kvm_device_attr)`.
const KVM_HAS_DEVICE_ATTR: u64 = 0x4018_aee3;

/// A kernel address: `access_ok()` refuses it.
const KERNEL_ADDR: u64 = 0xffff_8000_0000_0000;

fn has(dev: &DeviceFd, a: &kvm_device_attr) -> Outcome {
    dev.has_device_attr(a).outcome()
}

fn set(dev: &DeviceFd, a: &kvm_device_attr) -> Outcome {
    dev.set_device_attr(a).outcome()
}

fn get(dev: &DeviceFd, a: &kvm_device_attr) -> Outcome {
    let mut a = *a;
    // SAFETY: every addr the tests pass to get either is invalid (the kernel fails the copy)
    // or points to at least 8 writable bytes; kvm-vfio has no get_attr anyway.
    unsafe { dev.get_device_attr(&mut a) }.outcome()
}

/// `KVM_SET_DEVICE_ATTR` of `group`/`attr` with `addr` pointing to the int32 `fd`.
fn set_fd(dev: &DeviceFd, group: u32, a: u64, fd: RawFd) -> Outcome {
    let value: i32 = fd;
    set(dev, &attr(group, a, &value as *const i32 as u64))
}

/// A `kvm_device_attr` laid out in memory by hand (flags, group, attr, addr).
fn attr_bytes(a: &kvm_device_attr) -> [u8; 24] {
    let mut b = [0u8; 24];
    b[0..4].copy_from_slice(&a.flags.to_ne_bytes());
    b[4..8].copy_from_slice(&a.group.to_ne_bytes());
    b[8..16].copy_from_slice(&a.attr.to_ne_bytes());
    b[16..24].copy_from_slice(&a.addr.to_ne_bytes());
    b
}

#[test]
fn group_names_are_aliases() {
    // include/uapi/linux/kvm.h: the KVM_DEV_VFIO_GROUP* names alias the FILE ones.
    assert_eq!(
        (
            KVM_DEV_VFIO_GROUP,
            KVM_DEV_VFIO_GROUP_ADD,
            KVM_DEV_VFIO_GROUP_DEL
        ),
        (1, 1, 2)
    );
    assert_eq!(
        (
            KVM_DEV_VFIO_FILE,
            KVM_DEV_VFIO_FILE_ADD,
            KVM_DEV_VFIO_FILE_DEL
        ),
        (1, 1, 2)
    );
}

#[test]
fn has_file_add_and_del() {
    // kvm_vfio_has_attr(): KVM_DEV_VFIO_FILE / ADD, DEL -> 0.
    on_each_node([Ok(()), Ok(())], |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        [
            has(&dev, &attr(FILE, ADD, 0)),
            has(&dev, &attr(FILE, DEL, 0)),
        ]
    });
}

#[test]
fn has_anything_else_is_enxio() {
    // No CONFIG_SPAPR_TCE_IOMMU on x86, so SET_SPAPR_TCE (3) is unknown too. attr is a u64:
    // 1 | 1 << 32 is not ADD.
    let cases = [
        (FILE, 0),
        (FILE, SPAPR_TCE),
        (FILE, 4),
        (FILE, ADD | 1 << 32),
        (FILE, DEL | 1 << 63),
        (FILE, u64::MAX),
        (0, ADD),
        (2, ADD),
        (3, DEL),
        (u32::MAX, ADD),
    ];
    let expected: Vec<_> = cases.iter().map(|&c| (c, fails(libc::ENXIO))).collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        cases
            .iter()
            .map(|&(g, a)| ((g, a), has(&dev, &attr(g, a, 0))))
            .collect::<Vec<_>>()
    });
}

#[test]
fn has_ignores_addr_and_flags() {
    // api.rst 4.81: "addr" is ignored; kvm_vfio_has_attr() never reads flags.
    let guard = GuardedPage::new();
    let addrs = [0, guard.fault_addr(), KERNEL_ADDR, u64::MAX];
    let expected = vec![Ok(()); addrs.len() + 1];
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        let mut r: Vec<_> = addrs
            .iter()
            .map(|&a| has(&dev, &attr(FILE, ADD, a)))
            .collect();
        let mut flagged = attr(FILE, DEL, 0);
        flagged.flags = u32::MAX;
        r.push(has(&dev, &flagged));
        r
    });
}

#[test]
fn get_is_eperm() {
    // kvm_vfio_ops has no .get_attr: kvm_device_ioctl_attr() -> -EPERM, before it even copies
    // the attribute in (so a NULL attribute pointer is EPERM too).
    let pipe = Pipe::new();
    let value = pipe.read;
    let ptr = &value as *const i32 as u64;
    let cases = [
        attr(FILE, ADD, ptr),
        attr(FILE, DEL, ptr),
        attr(FILE, ADD, 0),
        attr(0, 0, 0),
        attr(u32::MAX, u64::MAX, KERNEL_ADDR),
    ];
    let mut expected = vec![fails::<i32>(libc::EPERM); cases.len()];
    expected.push(fails(libc::EPERM));
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        let mut r: Vec<_> = cases.iter().map(|a| get(&dev, a).map(|()| 0)).collect();
        r.push(raw_ioctl(&dev, KVM_GET_DEVICE_ATTR, 0));
        r
    });
}

#[test]
fn set_of_an_unknown_group_or_attr_is_enxio() {
    // kvm_vfio_set_attr(): group != KVM_DEV_VFIO_FILE -> -ENXIO; kvm_vfio_set_file(): attr
    // neither ADD nor DEL (nor SPAPR_TCE, x86 has no CONFIG_SPAPR_TCE_IOMMU) -> -ENXIO; attr is
    // taken as a long: no truncation. addr points to an open fd, so that a wrongly accepted
    // ADD would say EINVAL, not ENXIO.
    let cases = [
        (0, ADD),
        (2, ADD),
        (u32::MAX, DEL),
        (FILE, 0),
        (FILE, SPAPR_TCE),
        (FILE, 4),
        (FILE, ADD | 1 << 32),
        (FILE, DEL | 1 << 32),
        (FILE, u64::MAX),
    ];
    let expected: Vec<_> = cases.iter().map(|&c| (c, fails(libc::ENXIO))).collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        let pipe = Pipe::new();
        cases
            .iter()
            .map(|&(g, a)| ((g, a), set_fd(&dev, g, a, pipe.read)))
            .collect::<Vec<_>>()
    });
}

#[test]
fn set_checks_group_and_attr_before_addr() {
    // The switches come first; get_user(fd, argp) only for ADD and DEL.
    let guard = GuardedPage::new();
    let cases = [(0, ADD), (FILE, 0), (FILE, SPAPR_TCE)];
    let expected: Vec<_> = cases.iter().map(|&c| (c, fails(libc::ENXIO))).collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        cases
            .iter()
            .map(|&(g, a)| ((g, a), set(&dev, &attr(g, a, guard.fault_addr()))))
            .collect::<Vec<_>>()
    });
}

#[test]
fn add_and_del_with_a_bad_addr_are_efault() {
    // get_user(fd, (int32_t __user *)addr) -> -EFAULT: NULL, an inaccessible page, a kernel
    // address, and an int32 of which only 2 bytes are accessible.
    let guard = GuardedPage::new();
    let addrs = [
        0,
        guard.fault_addr(),
        KERNEL_ADDR,
        u64::MAX - 3,
        guard.edge(2),
    ];
    let expected = grid(&[ADD, DEL], &addrs, |_, _| fails(libc::EFAULT));
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        grid(&[ADD, DEL], &addrs, |a, addr| {
            set(&dev, &attr(FILE, a, addr))
        })
    });
}

#[test]
fn add_and_del_of_a_fd_that_is_not_open_are_ebadf() {
    // kvm_vfio_file_add(): fget(fd) == NULL -> -EBADF; kvm_vfio_file_del(): fd_empty() ->
    // -EBADF. The int32 is passed as an unsigned int: -1 is 0xffffffff, not open.
    // "closed" is the lowest free fd number once the VM and the device are open.
    let fds = ["-1", "closed", "1000000", "i32::MAX", "i32::MIN"];
    let expected = grid(&[ADD, DEL], &fds, |_, _| fails(libc::EBADF));
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        let numbers = [-1, closed_fd(), 1_000_000, i32::MAX, i32::MIN];
        grid(&[ADD, DEL], &fds, |a, name| {
            let i = fds.iter().position(|&n| n == name).expect("a listed fd");
            set_fd(&dev, FILE, a, numbers[i])
        })
    });
}

#[test]
fn add_of_a_file_that_is_not_vfio_is_einval() {
    // !kvm_vfio_file_is_valid(filp) -> -EINVAL: with no VFIO in the kernel, every file. Named
    // so that a failure says which.
    let expected: Vec<_> = ["pipe", "/dev/null", "node", "vm", "vcpu", "itself"]
        .iter()
        .map(|&n| (n, fails(libc::EINVAL)))
        .collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        let dev = create_vfio(&vm).expect("create vfio");
        let pipe = Pipe::new();
        let null = std::fs::File::open("/dev/null").expect("open /dev/null");
        [
            ("pipe", pipe.write),
            ("/dev/null", null.as_raw_fd()),
            ("node", kvm.as_raw_fd()),
            ("vm", vm.as_raw_fd()),
            ("vcpu", vcpu.as_raw_fd()),
            ("itself", dev.as_raw_fd()),
        ]
        .iter()
        .map(|&(n, fd)| (n, set_fd(&dev, FILE, ADD, fd)))
        .collect::<Vec<_>>()
    });
}

#[test]
fn del_of_a_file_never_added_is_enoent() {
    // kvm_vfio_file_del(): not on kv->file_list -> -ENOENT.
    let expected: Vec<_> = ["pipe", "vm", "itself"]
        .iter()
        .map(|&n| (n, fails(libc::ENOENT)))
        .collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        let pipe = Pipe::new();
        [
            ("pipe", pipe.read),
            ("vm", vm.as_raw_fd()),
            ("itself", dev.as_raw_fd()),
        ]
        .iter()
        .map(|&(n, fd)| (n, set_fd(&dev, FILE, DEL, fd)))
        .collect::<Vec<_>>()
    });
}

#[test]
fn the_fd_is_read_as_an_int32() {
    // get_user() on an int32_t __user *: exactly 4 bytes. An int32 ending right at an
    // inaccessible page reads fine; the 4 bytes after it are not looked at.
    on_each_node(
        (
            fails(libc::EBADF),
            fails(libc::EINVAL),
            fails(libc::ENOENT),
            fails(libc::EINVAL),
        ),
        |kvm| {
            let vm = must(kvm.create_vm(), "create_vm");
            let dev = create_vfio(&vm).expect("create vfio");
            let pipe = Pipe::new();
            let guard = GuardedPage::new();
            let minus_one = guard.put_at_edge(&(-1i32).to_ne_bytes());
            let at_edge = set(&dev, &attr(FILE, ADD, minus_one));
            let pipe_at_edge = guard.put_at_edge(&pipe.read.to_ne_bytes());
            let add_edge = set(&dev, &attr(FILE, ADD, pipe_at_edge));
            let del_edge = set(&dev, &attr(FILE, DEL, pipe_at_edge));
            // Low half the pipe's fd, high half all ones: as a 64-bit value, no fd.
            let wide: u64 = (pipe.read as u32 as u64) | 0xffff_ffff << 32;
            let add_wide = set(&dev, &attr(FILE, ADD, &wide as *const u64 as u64));
            (at_edge, add_edge, del_edge, add_wide)
        },
    );
}

#[test]
fn set_ignores_flags() {
    // kvm_vfio_set_attr() never reads attr->flags.
    on_each_node((fails(libc::EINVAL), fails(libc::ENOENT)), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        let pipe = Pipe::new();
        let value: i32 = pipe.read;
        let mut a = attr(FILE, ADD, &value as *const i32 as u64);
        a.flags = u32::MAX;
        let add = set(&dev, &a);
        a.attr = DEL;
        (add, set(&dev, &a))
    });
}

#[test]
fn bad_attribute_pointers_are_efault() {
    // kvm_device_ioctl_attr(): copy_from_user(&attr, arg, sizeof(attr)) -> -EFAULT, for SET
    // and HAS (which have an accessor); the last 8 of the 24 bytes inaccessible included.
    let guard = GuardedPage::new();
    let straddling = guard.put_at_edge(&attr_bytes(&attr(FILE, ADD, 0))[..16]);
    let ptrs = [0, guard.fault_addr(), KERNEL_ADDR, straddling];
    let reqs = [KVM_SET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR];
    let expected = grid(&reqs, &ptrs, |_, _| fails(libc::EFAULT));
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        grid(&reqs, &ptrs, |req, p| raw_ioctl(&dev, req, p))
    });
}

#[test]
fn attribute_struct_at_a_page_edge_is_read_whole() {
    // The 24 bytes of kvm_device_attr ending right at an inaccessible page: copied in fine.
    on_each_node((Ok(0), fails(libc::EFAULT)), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        let guard = GuardedPage::new();
        let has_ptr = guard.put_at_edge(&attr_bytes(&attr(FILE, ADD, 0)));
        let r_has = raw_ioctl(&dev, KVM_HAS_DEVICE_ATTR, has_ptr);
        let set_ptr = guard.put_at_edge(&attr_bytes(&attr(FILE, ADD, 0)));
        (r_has, raw_ioctl(&dev, KVM_SET_DEVICE_ATTR, set_ptr))
    });
}

#[test]
fn one_vfio_device_per_vm() {
    // kvm_vfio_create(): another device with kvm_vfio_ops on kvm->devices -> -EBUSY (not the
    // EEXIST of api.rst: that is left to the device type). The first one still works.
    on_each_node((fails(libc::EBUSY), Ok(())), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let first = create_vfio(&vm).expect("create vfio");
        let second = create_vfio(&vm).map(drop);
        (second, has(&first, &attr(FILE, ADD, 0)))
    });
}

#[test]
fn closing_the_vfio_device_allows_a_new_one() {
    // kvm_device_release(): kvm_vfio_ops has .release, so the device leaves kvm->devices when
    // its file is closed, and kvm_vfio_create() no longer finds it.
    on_each_node(ok("anon_inode:kvm-vfio".to_string()), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        drop(create_vfio(&vm).expect("create vfio"));
        let again = create_vfio(&vm)?;
        Ok(kvm_devctl_tests::fd_link(again.as_raw_fd()))
    });
}

#[test]
fn each_vm_has_its_own_vfio_device() {
    on_each_node((Ok(()), Ok(())), |kvm| {
        let a = must(kvm.create_vm(), "create_vm a");
        let b = must(kvm.create_vm(), "create_vm b");
        let da = create_vfio(&a);
        let db = create_vfio(&b);
        (da.map(drop), db.map(drop))
    });
}
