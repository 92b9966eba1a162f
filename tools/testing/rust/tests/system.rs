// SPDX-License-Identifier: GPL-2.0

//! The system device through `kvm_ioctls::Kvm`, as a VMM would open it.

use kvm_devctl_tests::{have_real_kvm, KVM_DEVCTL_NODE, KVM_NODE};
use kvm_ioctls::Kvm;

#[test]
fn api_version_is_12() {
    let kvm = Kvm::new_with_path(KVM_DEVCTL_NODE).expect("open /dev/kvm-devctl");
    assert_eq!(kvm.get_api_version(), 12);
}

#[test]
fn api_version_matches_real_kvm() {
    if !have_real_kvm() {
        return;
    }
    let ours = Kvm::new_with_path(KVM_DEVCTL_NODE).expect("open /dev/kvm-devctl");
    let real = Kvm::new_with_path(KVM_NODE).expect("open /dev/kvm");
    assert_eq!(ours.get_api_version(), real.get_api_version());
}

#[test]
fn missing_node_is_enoent() {
    let err =
        Kvm::new_with_path(c"/dev/kvm-devctl-absent").expect_err("a missing node must not open");
    assert_eq!(err.errno(), libc::ENOENT);
}

// The system ioctls that kvm-ioctls issues on the way to a device: differential, see
// kvm_devctl_tests::on_each_node. C: kvm_dev_ioctl() and
// kvm_vm_ioctl_check_extension_generic() in virt/kvm/kvm_main.c.

mod differential {
    use kvm_bindings::{
        KVM_CAP_CHECK_EXTENSION_VM, KVM_CAP_DEVICE_CTRL, KVM_CAP_MAX_VCPUS, KVM_CAP_NR_VCPUS,
    };
    use kvm_devctl_tests::{fails, on_each_node, raw_ioctl, ToOutcome, PAGE_SIZE};

    /// `KVM_GET_API_VERSION`, `_IO(KVMIO, 0x00)`.
    const KVM_GET_API_VERSION: u64 = 0xae00;
    /// `KVM_GET_VCPU_MMAP_SIZE`, `_IO(KVMIO, 0x04)`.
    const KVM_GET_VCPU_MMAP_SIZE: u64 = 0xae04;

    #[test]
    fn vcpu_mmap_size_is_three_pages() {
        // PAGE_SIZE (kvm_run) + PAGE_SIZE (pio data, CONFIG_X86) + PAGE_SIZE (coalesced MMIO
        // ring, CONFIG_KVM_MMIO=y in the guest). Kvm::create_vm() asks for it.
        on_each_node(Ok(3 * PAGE_SIZE), |kvm| kvm.get_vcpu_mmap_size().outcome());
    }

    #[test]
    fn argumentless_ioctls_refuse_an_argument() {
        // kvm_dev_ioctl(): `if (arg) goto out;` with r = -EINVAL.
        on_each_node((fails(libc::EINVAL), fails(libc::EINVAL)), |kvm| {
            (
                raw_ioctl(kvm, KVM_GET_API_VERSION, 1),
                raw_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 1),
            )
        });
    }

    #[test]
    fn device_ctrl_is_1() {
        // kvm_vm_ioctl_check_extension_generic(): KVM_CAP_DEVICE_CTRL and
        // KVM_CAP_CHECK_EXTENSION_VM -> 1.
        on_each_node((true, 1, 1), |kvm| {
            (
                kvm.check_extension(kvm_ioctls::Cap::DeviceCtrl),
                kvm.check_extension_raw(KVM_CAP_DEVICE_CTRL.into()),
                kvm.check_extension_raw(KVM_CAP_CHECK_EXTENSION_VM.into()),
            )
        });
    }

    #[test]
    fn unknown_capabilities_are_0() {
        // Not a generic capability, and x86 kvm_vm_ioctl_check_extension(): default r = 0.
        let caps: [u64; 4] = [0xdead, 1 << 20, 1 << 40, u64::MAX];
        on_each_node(vec![0; caps.len()], |kvm| {
            caps.iter()
                .map(|&c| kvm.check_extension_raw(c))
                .collect::<Vec<_>>()
        });
    }

    #[test]
    fn max_vcpus() {
        // x86 kvm_vm_ioctl_check_extension(): KVM_CAP_MAX_VCPUS -> KVM_MAX_VCPUS
        // (CONFIG_KVM_MAX_NR_VCPUS=1024 in the guest); Kvm::get_max_vcpus() reads it.
        on_each_node((1024, 1024usize), |kvm| {
            (
                kvm.check_extension_raw(KVM_CAP_MAX_VCPUS.into()),
                kvm.get_max_vcpus(),
            )
        });
    }

    #[test]
    fn nr_vcpus() {
        // x86 kvm_vm_ioctl_check_extension(): KVM_CAP_NR_VCPUS -> min(num_online_cpus(),
        // KVM_MAX_VCPUS), which Kvm::get_nr_vcpus() returns as it is.
        // SAFETY: sysconf has no memory-safety requirements.
        let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) } as usize;
        let nr = online.min(1024);
        on_each_node((nr as i32, nr), |kvm| {
            (
                kvm.check_extension_raw(KVM_CAP_NR_VCPUS.into()),
                kvm.get_nr_vcpus(),
            )
        });
    }
}
