// SPDX-License-Identifier: GPL-2.0

//! `KVM_CREATE_DEVICE` through `VmFd::create_device()`, and the generic paths of a device file.
//!
//! C: the `KVM_CREATE_DEVICE` case of `kvm_vm_ioctl()`, `kvm_ioctl_create_device()`,
//! `kvm_device_ioctl()`, `kvm_device_ioctl_attr()` and `kvm_device_mmap()` in
//! `virt/kvm/kvm_main.c`. On x86 the only registered type is `KVM_DEV_TYPE_VFIO` (4, registered
//! by `kvm_vfio_ops_init()`, `CONFIG_KVM_VFIO=y`); `KVM_DEV_TYPE_MAX` is 17 in the 7.3 UAPI.
//!
//! `VmFd::create_device()` issues `KVM_CREATE_DEVICE` and, on success, wraps the `fd` field of
//! the struct in the returned `DeviceFd` whatever the flags: see
//! [`kvm_devctl_tests::create_device_flags`] for `KVM_CREATE_DEVICE_TEST`.

use std::os::unix::io::AsRawFd;

use kvm_bindings::{
    kvm_device_type_KVM_DEV_TYPE_VFIO, KVM_CREATE_DEVICE_TEST, KVM_DEV_VFIO_FILE,
    KVM_DEV_VFIO_FILE_ADD,
};
use kvm_devctl_tests::{
    attr, closed_fd, create_device_flags, create_vfio, exit_code, fails, fd_mode, file_ops,
    in_child, must, on_each_node, on_each_node_differing, open_fd_link, raw_ioctl, try_mmap, Errno,
    Exit, GuardedPage, ToOutcome, PAGE_SIZE,
};

const VFIO: u32 = kvm_device_type_KVM_DEV_TYPE_VFIO;
/// `KVM_DEV_TYPE_MAX` of the pinned kernel's UAPI (kvm-bindings 0.14.2 says 15: older).
const KVM_DEV_TYPE_MAX: u32 = 17;
/// `KVM_CREATE_DEVICE`, `_IOWR(KVMIO, 0xe0, struct kvm_create_device)`.
const KVM_CREATE_DEVICE: u64 = 0xc00c_aee0;
/// `KVM_GET_API_VERSION`, `_IO(KVMIO, 0x00)`.
const KVM_GET_API_VERSION: u64 = 0xae00;
/// `KVM_CREATE_VCPU`, `_IO(KVMIO, 0x41)`.
const KVM_CREATE_VCPU: u64 = 0xae41;
/// `KVM_RUN`, `_IO(KVMIO, 0x80)`.
const KVM_RUN: u64 = 0xae80;
/// `TCGETS`.
const TCGETS: u64 = 0x5401;

/// The struct as the ABI lays it out: type, fd, flags.
fn create_device_bytes(type_: u32, fd: u32, flags: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[0..4].copy_from_slice(&type_.to_ne_bytes());
    b[4..8].copy_from_slice(&fd.to_ne_bytes());
    b[8..12].copy_from_slice(&flags.to_ne_bytes());
    b
}

/// A read-only page holding a `kvm_create_device`.
struct ReadOnlyPage(*mut libc::c_void);

impl ReadOnlyPage {
    fn new(bytes: &[u8]) -> Self {
        // SAFETY: a fresh anonymous mapping of our own.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PAGE_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        // SAFETY: inside the page we just mapped.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.cast(), bytes.len());
            assert_eq!(libc::mprotect(p, PAGE_SIZE, libc::PROT_READ), 0);
        }
        ReadOnlyPage(p)
    }
}

impl Drop for ReadOnlyPage {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.0, PAGE_SIZE) };
    }
}

#[test]
fn test_flag_reports_vfio_and_creates_no_file() {
    // kvm_ioctl_create_device(): `if (test) return 0;` before anon_inode_getfd(), and the
    // struct is copied back unchanged: fd keeps what we put there.
    on_each_node(Ok("placeholder".to_string()), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        create_device_flags(&vm, VFIO, KVM_CREATE_DEVICE_TEST)
    });
}

#[test]
fn only_vfio_is_supported() {
    // type >= ARRAY_SIZE(kvm_device_ops_table) (KVM_DEV_TYPE_MAX) -> -ENODEV; an empty slot ->
    // -ENODEV. On x86 only slot 4 (kvm_vfio_ops) is filled.
    let types: Vec<u32> = (0..=40)
        .chain([1 << 16, 1 << 31, u32::MAX - 1, u32::MAX])
        .collect();
    let expected: Vec<_> = types
        .iter()
        .map(|&t| {
            let o = if t == VFIO {
                Ok("placeholder".to_string())
            } else {
                fails(libc::ENODEV)
            };
            (t, o)
        })
        .collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        types
            .iter()
            .map(|&t| (t, create_device_flags(&vm, t, KVM_CREATE_DEVICE_TEST)))
            .collect::<Vec<_>>()
    });
}

#[test]
fn creating_an_unsupported_type_is_enodev() {
    let types = [0, 1, 2, 3, 5, 7, 16, KVM_DEV_TYPE_MAX, 18, u32::MAX];
    let expected: Vec<_> = types.iter().map(|&t| (t, fails(libc::ENODEV))).collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        types
            .iter()
            .map(|&t| (t, create_device_flags(&vm, t, 0)))
            .collect::<Vec<_>>()
    });
}

#[test]
fn vfio_device_file_is_anon_inode_kvm_vfio() {
    // anon_inode_getfd(ops->name = "kvm-vfio", &kvm_device_fops, dev, O_RDWR | O_CLOEXEC),
    // and the new fd is written to cd->fd.
    on_each_node(Ok("anon_inode:kvm-vfio".to_string()), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        create_device_flags(&vm, VFIO, 0)
    });
}

#[test]
fn device_fd_is_cloexec_and_read_write() {
    on_each_node(Ok((true, libc::O_RDWR)), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        fd_mode(create_vfio(&vm)?.as_raw_fd())
    });
}

#[test]
fn flags_other_than_test_are_ignored() {
    // Only `cd->flags & KVM_CREATE_DEVICE_TEST` is looked at. Each create is in a fresh VM,
    // kvm-vfio being one per VM.
    let flags = [2, 0x8000_0000, 0xffff_fffe, 3, 0xffff_ffff];
    let expected: Vec<_> = flags
        .iter()
        .map(|&f| {
            let name = if f & KVM_CREATE_DEVICE_TEST != 0 {
                "placeholder"
            } else {
                "anon_inode:kvm-vfio"
            };
            (f, Ok(name.to_string()))
        })
        .collect();
    on_each_node(expected, |kvm| {
        flags
            .iter()
            .map(|&f| {
                let vm = must(kvm.create_vm(), "create_vm");
                (f, create_device_flags(&vm, VFIO, f))
            })
            .collect::<Vec<_>>()
    });
}

#[test]
fn test_flag_ignores_an_existing_vfio_device() {
    // The test returns before ops->create(), where kvm_vfio_create() would say EBUSY.
    on_each_node(Ok("placeholder".to_string()), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let _first = create_vfio(&vm).expect("create vfio");
        create_device_flags(&vm, VFIO, KVM_CREATE_DEVICE_TEST)
    });
}

#[test]
fn bad_struct_pointers_are_efault() {
    // copy_from_user(&cd, argp, sizeof(cd)) -> -EFAULT: NULL, an inaccessible page, a kernel
    // address, and a struct whose last 4 of 12 bytes are inaccessible.
    let guard = GuardedPage::new();
    let straddling = guard.put_at_edge(&create_device_bytes(VFIO, 0, KVM_CREATE_DEVICE_TEST)[..8]);
    let addrs = [0, guard.fault_addr(), 0xffff_8000_0000_0000, straddling];
    let expected: Vec<_> = addrs.iter().map(|&a| (a, fails(libc::EFAULT))).collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        addrs
            .iter()
            .map(|&a| (a, raw_ioctl(&vm, KVM_CREATE_DEVICE, a)))
            .collect::<Vec<_>>()
    });
}

#[test]
fn read_only_struct_fails_only_once_copied_back() {
    // The struct is copied back (copy_to_user) only after kvm_ioctl_create_device() succeeded:
    // a read-only struct gives the device's error (ENODEV) when it fails, and EFAULT when it
    // succeeds, the test flag included.
    on_each_node((fails(libc::ENODEV), fails(libc::EFAULT)), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let unsupported = ReadOnlyPage::new(&create_device_bytes(0, 0, KVM_CREATE_DEVICE_TEST));
        let test = ReadOnlyPage::new(&create_device_bytes(VFIO, 0, KVM_CREATE_DEVICE_TEST));
        (
            raw_ioctl(&vm, KVM_CREATE_DEVICE, unsupported.0 as u64),
            raw_ioctl(&vm, KVM_CREATE_DEVICE, test.0 as u64),
        )
    });
}

#[test]
fn read_only_struct_and_the_orphan_fd() {
    // KVM: without the test flag the device is created and its fd installed
    // (anon_inode_getfd() in kvm_ioctl_create_device()) before copy_to_user() fails in
    // kvm_vm_ioctl(): EFAULT, and an fd nobody was told about at the lowest free number, whose
    // device makes a second kvm-vfio EBUSY. The module installs the fd last, after the copy
    // back: EFAULT leaves nothing (Documentation/api.rst 8.1).
    on_each_node_differing(
        (
            fails(libc::EFAULT),
            Some("anon_inode:kvm-vfio".to_string()),
            fails(libc::EBUSY),
        ),
        (fails(libc::EFAULT), None, Ok(())),
        "Documentation/api.rst 8.1",
        |kvm| {
            let vm = must(kvm.create_vm(), "create_vm");
            let ro = ReadOnlyPage::new(&create_device_bytes(VFIO, 0, 0));
            let lowest = closed_fd();
            let r = raw_ioctl(&vm, KVM_CREATE_DEVICE, ro.0 as u64);
            let orphan = open_fd_link(lowest);
            // Before the orphan is closed, which would release its device.
            let again = create_vfio(&vm).map(drop);
            if orphan.is_some() {
                // SAFETY: the fd the kernel installed for us.
                unsafe { libc::close(lowest) };
            }
            (r, orphan, again)
        },
    );
}

#[test]
fn device_fd_outlives_its_vm_fd() {
    // kvm_get_kvm(kvm) before anon_inode_getfd(): the device keeps the VM.
    on_each_node(Ok(()), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm)?;
        drop(vm);
        dev.has_device_attr(&attr(KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD.into(), 0))
            .outcome()
    });
}

#[test]
fn device_ioctls_from_another_process_are_eio() {
    // kvm_device_ioctl(): dev->kvm->mm != current->mm -> -EIO, before the ioctl is looked at.
    let expected = [Exit::Code(libc::EIO); 4];
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        let has = attr(KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD.into(), 0);
        [
            in_child(|| exit_code(dev.has_device_attr(&has).outcome())),
            in_child(|| exit_code(dev.set_device_attr(&has).outcome())),
            in_child(|| {
                let mut get = has;
                // SAFETY: addr 0: nothing is written anywhere.
                exit_code(unsafe { dev.get_device_attr(&mut get) }.outcome())
            }),
            in_child(|| exit_code(raw_ioctl(&dev, TCGETS, 0))),
        ]
    });
}

#[test]
fn unknown_device_ioctls_are_enotty() {
    // kvm_device_ioctl(): default -> dev->ops->ioctl, which kvm-vfio has not -> -ENOTTY.
    let requests = [
        KVM_GET_API_VERSION,
        KVM_CREATE_VCPU,
        KVM_CREATE_DEVICE,
        KVM_RUN,
        TCGETS,
    ];
    let expected: Vec<_> = requests.iter().map(|&r| (r, fails(libc::ENOTTY))).collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm).expect("create vfio");
        requests
            .iter()
            .map(|&r| (r, raw_ioctl(&dev, r, 0)))
            .collect::<Vec<_>>()
    });
}

#[test]
fn mmap_of_a_vfio_device_is_enodev() {
    // kvm_device_mmap(): no dev->ops->mmap -> -ENODEV.
    on_each_node(fails::<()>(libc::ENODEV), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let dev = create_vfio(&vm)?;
        // SAFETY: a new mapping that we unmap if it is made.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PAGE_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                dev.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        // SAFETY: our own mapping.
        unsafe { libc::munmap(p, PAGE_SIZE) };
        Ok(())
    });
}

#[test]
fn device_file_operations() {
    // kvm_device_fops has no read, write nor llseek: EINVAL, EINVAL (no FMODE_CAN_READ/WRITE)
    // and ESPIPE (no FMODE_LSEEK, vfs_llseek()). PROT_EXEC is refused by the VFS before the
    // device's mmap: the anon-inode file system is a pseudo (SB_I_NOEXEC) one.
    on_each_node(
        (
            (
                fails(libc::EINVAL),
                fails(libc::EINVAL),
                fails(libc::ESPIPE),
            ),
            fails(libc::EPERM),
        ),
        |kvm| {
            let vm = must(kvm.create_vm(), "create_vm");
            let dev = create_vfio(&vm).expect("create vfio");
            (
                file_ops(dev.as_raw_fd()),
                try_mmap(
                    dev.as_raw_fd(),
                    libc::PROT_READ | libc::PROT_EXEC,
                    libc::MAP_SHARED,
                ),
            )
        },
    );
}
