// SPDX-License-Identifier: GPL-2.0

//! `KVM_CREATE_VM` through `Kvm::create_vm()` and the VM file it returns.
//!
//! C: `kvm_dev_ioctl_create_vm()` and `kvm_vm_ioctl()` in `virt/kvm/kvm_main.c`,
//! `kvm_arch_init_vm()` in `arch/x86/kvm/x86.c`. `Kvm::create_vm()` issues `KVM_CREATE_VM` with
//! type 0, then `KVM_GET_VCPU_MMAP_SIZE` on the system fd (the VM is dropped if that fails).

use kvm_bindings::{kvm_create_device, KVM_CAP_DEVICE_CTRL, KVM_CREATE_DEVICE_TEST};
use kvm_devctl_tests::{
    exit_code, fails, fd_link, fd_mode, file_ops, in_child, must, on_each_node, raw_ioctl, reopen,
    try_mmap, Exit, Outcome, ToOutcome, PAGE_SIZE,
};
use std::os::unix::io::AsRawFd;

/// `KVM_CREATE_VCPU`, `_IO(KVMIO, 0x41)`.
const KVM_CREATE_VCPU: u64 = 0xae41;

#[test]
fn create_vm_succeeds() {
    on_each_node(Ok(()), |kvm| kvm.create_vm().outcome().map(drop));
}

#[test]
fn vm_file_is_anon_inode_kvm_vm() {
    // anon_inode_getfile("kvm-vm", &kvm_vm_fops, kvm, O_RDWR)
    on_each_node("anon_inode:kvm-vm".to_string(), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        fd_link(vm.as_raw_fd())
    });
}

#[test]
fn vm_fd_is_cloexec_and_read_write() {
    // get_unused_fd_flags(O_CLOEXEC), anon_inode_getfile(..., O_RDWR)
    on_each_node(Ok((true, libc::O_RDWR)), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        fd_mode(vm.as_raw_fd())
    });
}

#[test]
fn vm_run_size_is_the_vcpu_mmap_size() {
    // kvm_dev_ioctl(): PAGE_SIZE for kvm_run, + PAGE_SIZE for the pio data page (CONFIG_X86),
    // + PAGE_SIZE for the coalesced MMIO ring (CONFIG_KVM_MMIO=y in the guest).
    on_each_node(3 * PAGE_SIZE, |kvm| {
        must(kvm.create_vm(), "create_vm").run_size()
    });
}

#[test]
fn unsupported_vm_types_are_einval() {
    // kvm_arch_init_vm(): !kvm_is_vm_type_supported(type) -> -EINVAL, where that is
    // `type < 32 && (supported_vm_types & BIT(type))`, and supported_vm_types is
    // BIT(KVM_X86_DEFAULT_VM) only: no CONFIG_KVM_SW_PROTECTED_VM (type 1), no SEV (2..=4).
    // 1 << 32 and u64::MAX must not be truncated to 32 bits (0 and 31).
    let types: Vec<u64> = (1..=40).chain([1 << 32, 1 << 33, u64::MAX]).collect();
    let expected: Vec<(u64, _)> = types.iter().map(|&t| (t, fails(libc::EINVAL))).collect();
    on_each_node(expected, |kvm| {
        types
            .iter()
            .map(|&t| (t, kvm.create_vm_with_type(t).outcome().map(drop)))
            .collect::<Vec<_>>()
    });
}

#[test]
fn vms_are_independent_files() {
    on_each_node(Ok(true), |kvm| -> Outcome<bool> {
        let a = kvm.create_vm().outcome()?;
        let b = kvm.create_vm().outcome()?;
        Ok(a.as_raw_fd() != b.as_raw_fd())
    });
}

#[test]
fn vm_check_extension_device_ctrl_is_1() {
    // kvm_vm_ioctl_check_extension_generic(): KVM_CAP_DEVICE_CTRL -> 1, on the VM fd too.
    on_each_node(1, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        vm.check_extension_raw(KVM_CAP_DEVICE_CTRL.into())
    });
}

#[test]
fn vm_outlives_the_system_fd() {
    // The VM file holds the struct kvm; /dev/kvm's file is not referenced by it.
    on_each_node(Ok(()), |kvm| {
        let fd = reopen(kvm);
        let vm = must(fd.create_vm(), "create_vm");
        drop(fd);
        vm.create_vcpu(0).outcome().map(drop)
    });
}

#[test]
fn vm_ioctls_from_another_process_are_eio() {
    // kvm_vm_ioctl(): kvm->mm != current->mm -> -EIO, before looking at the ioctl.
    on_each_node((Exit::Code(libc::EIO), Exit::Code(libc::EIO)), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpu = in_child(|| exit_code(raw_ioctl(&vm, KVM_CREATE_VCPU, 0)));
        let device = in_child(|| {
            let mut cd = kvm_create_device {
                type_: kvm_bindings::kvm_device_type_KVM_DEV_TYPE_VFIO,
                fd: 0,
                flags: KVM_CREATE_DEVICE_TEST,
            };
            // On success (a wrong answer) the DeviceFd would wrap fd 0: forget it.
            exit_code(vm.create_device(&mut cd).outcome().map(std::mem::forget))
        });
        (vcpu, device)
    });
}

#[test]
fn vm_works_again_in_its_own_process_after_a_child_tried() {
    // The EIO of the child leaves the VM usable by its owner.
    on_each_node((Exit::Code(libc::EIO), Ok(())), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let child = in_child(|| exit_code(raw_ioctl(&vm, KVM_CREATE_VCPU, 0)));
        (child, vm.create_vcpu(0).outcome().map(drop))
    });
}

#[test]
fn vm_file_operations() {
    // kvm_vm_fops: no read, write nor mmap (EINVAL, EINVAL, ENODEV from the VFS);
    // .llseek = noop_llseek, which succeeds and stays at 0.
    on_each_node(
        (
            (fails(libc::EINVAL), fails(libc::EINVAL), Ok(0)),
            fails(libc::ENODEV),
        ),
        |kvm| {
            let vm = must(kvm.create_vm(), "create_vm");
            (
                file_ops(vm.as_raw_fd()),
                try_mmap(
                    vm.as_raw_fd(),
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                ),
            )
        },
    );
}
