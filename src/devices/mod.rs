// SPDX-License-Identifier: GPL-2.0

//! The device types: one file each, and one line each in [`register_all`].

use kernel::{
    prelude::*,
    uapi, //
};

use crate::ops::Registry;

pub(crate) mod vfio;

/// Registers every device type (C: the `kvm_register_device_ops()` calls at KVM init).
pub(crate) fn register_all(registry: &mut Registry) -> Result {
    registry.register::<vfio::Vfio>(uapi::kvm_device_type_KVM_DEV_TYPE_VFIO)?;
    Ok(())
}
