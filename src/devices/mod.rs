// SPDX-License-Identifier: GPL-2.0

//! The device types: one file (or directory) each, and one line each in [`register_all`].

use kernel::{
    prelude::*,
    uapi, //
};

use crate::{
    arch::Arch,
    ops::Registry, //
};

pub(crate) mod vfio;
pub(crate) mod vgic;

/// Registers the device types of a node that answers as `arch` (C: the
/// `kvm_register_device_ops()` calls at KVM init, which differ per architecture).
pub(crate) fn register_all(arch: Arch, registry: &mut Registry) -> Result {
    registry.register::<vfio::Vfio>(uapi::kvm_device_type_KVM_DEV_TYPE_VFIO)?;
    match arch {
        Arch::X86 => {}
        // The VGIC types are not modelled yet.
        Arch::Arm64 => {}
    }
    Ok(())
}
