// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The kvm-devctl developers.

//! kvm-devctl: KVM's device control API as a Rust kernel module.
//!
//! The module registers one misc device, `/dev/kvm-devctl` by default (module parameter
//! `devname`), that answers the system ioctls of `/dev/kvm` (`virt/kvm/kvm_main.c`), so that
//! unmodified KVM clients can drive it by opening another path:
//!
//! ```c
//! int kvm = open("/dev/kvm-devctl", O_RDWR | O_CLOEXEC);
//! int version = ioctl(kvm, KVM_GET_API_VERSION, 0);   /* 12 */
//! ```
//!
//! Each concept lives in one file: [`uapi`] has the ABI constants, [`system`] the misc device.

#![crate_name = "kvm_devctl"]

use kernel::{
    miscdevice::{
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
};

mod system;
mod uapi;

module! {
    type: KvmDevctlModule,
    name: "kvm_devctl",
    authors: ["The kvm-devctl developers"],
    description: "KVM's device control API, in Rust",
    license: "GPL",
    params: {
        devname: str {
            default: c"kvm-devctl",
            description: "Name of the device node in /dev (default kvm-devctl)",
        },
    },
}

/// The module: it owns the registration of the system device.
#[pin_data]
struct KvmDevctlModule {
    #[pin]
    _system: MiscDeviceRegistration<system::System>,
}

impl kernel::InPlaceModule for KvmDevctlModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let name = module_parameters::devname.value_ref().as_cstr();
        // An empty name would register a device node without a name.
        let valid = if name.to_bytes().is_empty() {
            Err(EINVAL)
        } else {
            Ok(())
        };
        try_pin_init!(Self {
            _system <- {
                valid?;
                MiscDeviceRegistration::register(MiscDeviceOptions { name })
            },
        })
    }
}
