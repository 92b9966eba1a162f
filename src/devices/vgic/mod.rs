// SPDX-License-Identifier: GPL-2.0

//! The ARM VGIC of an arm64 VM, and what the modelled host's GIC allows: one VGIC per VM.
//!
//! C: [`arch/arm64/kvm/vgic/vgic-init.c`](srctree/arch/arm64/kvm/vgic/vgic-init.c),
//! [`arch/arm64/kvm/vgic/vgic-kvm-device.c`](srctree/arch/arm64/kvm/vgic/vgic-kvm-device.c),
//! `kvm_vgic_global_state` as `vgic_v3_probe()` in
//! [`arch/arm64/kvm/vgic/vgic-v3.c`](srctree/arch/arm64/kvm/vgic/vgic-v3.c) sets it up.
//!
//! The modelled host is QEMU's `virt,gic-version=3` (the golden transcripts' host): a GICv3
//! without the GICv2 compatibility interface, so the host can emulate a GICv3 for its guests
//! but not a GICv2 (C: `can_emulate_gicv2` is false). The legacy ways to create and place a
//! GICv2, `KVM_CREATE_IRQCHIP` and `KVM_ARM_SET_DEVICE_ADDR`, therefore answer `ENODEV`, as
//! they do on that host. The VGIC device types themselves are not modelled yet.

use kernel::{
    kvm::kvm_arm_device_addr,
    prelude::*, //
};

use crate::vm::VmInner;

/// The most vCPUs a VM can have on the modelled host (C: `kvm_vgic_get_max_vcpus()`,
/// `VGIC_V3_MAX_CPUS` for a GICv3 host).
pub(crate) const HOST_MAX_VCPUS: usize = 512;

/// `KVM_CREATE_IRQCHIP` on an arm64 VM (C: `kvm_vgic_create(kvm, KVM_DEV_TYPE_ARM_VGIC_V2)`).
///
/// # Errors
///
/// `ENODEV`: the host cannot emulate a GICv2 (C checks `can_emulate_gicv2` first).
pub(crate) fn create_irqchip(_vm: &mut VmInner) -> Result {
    Err(ENODEV)
}

/// `KVM_ARM_SET_DEVICE_ADDR` (C: `kvm_vm_ioctl_set_device_addr()` and
/// `kvm_set_legacy_vgic_v2_addr()`): places a GICv2's distributor or CPU interface.
///
/// # Errors
///
/// `ENODEV` for every request: C answers `ENODEV` for a device id other than
/// `KVM_ARM_DEVICE_VGIC_V2` (bits 31:16), for an address type other than the two of a GICv2
/// (bits 15:0), and from `vgic_check_type()` for a VM whose VGIC is not a GICv2, which every
/// VM on this host is.
pub(crate) fn set_legacy_v2_addr(_vm: &mut VmInner, _dev_addr: &kvm_arm_device_addr) -> Result {
    Err(ENODEV)
}
