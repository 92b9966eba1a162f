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
    let err = Kvm::new_with_path(c"/dev/kvm-devctl-absent")
        .err()
        .expect("a missing node must not open");
    assert_eq!(err.errno(), libc::ENOENT);
}
