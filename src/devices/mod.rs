// SPDX-License-Identifier: GPL-2.0

//! The device types: one file (or directory) each, and one line each in [`register_all`].

use kernel::{
    prelude::*,
    uapi, //
};

use crate::{
    arch::{
        Arch,
        HostGic, //
    },
    ops::Registry, //
};

pub(crate) mod vfio;
pub(crate) mod vgic;

/// Registers the device types of a node that answers as `arch` (C: the
/// `kvm_register_device_ops()` calls at KVM init, which differ per architecture).
pub(crate) fn register_all(arch: Arch, registry: &mut Registry) -> Result {
    registry.register::<vfio::Vfio>(uapi::kvm_device_type_KVM_DEV_TYPE_VFIO)?;
    match arch {
        // A GICv3 host: no GICv2 (C: `kvm_register_vgic_device()` as `vgic_v3_probe()` calls
        // it), and the ITS, which that function registers with the GICv3 (C:
        // `kvm_vgic_register_its_device()`).
        Arch::Arm64(HostGic::V3) => {
            registry
                .register::<vgic::v3::VgicV3>(uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V3)?;
            registry
                .register::<vgic::its::VgicIts>(uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_ITS)?
        }
        // A GICv2 host: a GICv2 only, and no ITS (C: `kvm_register_vgic_device()` as
        // `vgic_v2_probe()` calls it).
        Arch::Arm64(HostGic::V2) => {
            registry.register::<vgic::v2::VgicV2>(uapi::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V2)?
        }
        Arch::X86 => {}
    }
    Ok(())
}
