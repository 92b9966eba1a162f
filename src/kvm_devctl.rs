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
//! int vm = ioctl(kvm, KVM_CREATE_VM, 0);
//! struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
//! ioctl(vm, KVM_CREATE_DEVICE, &cd);                 /* cd.fd: anon_inode:kvm-vfio */
//! struct kvm_device_attr attr = {
//!     .group = KVM_DEV_VFIO_FILE, .attr = KVM_DEV_VFIO_FILE_ADD,
//! };
//! ioctl(cd.fd, KVM_HAS_DEVICE_ATTR, &attr);          /* 0 */
//! ```
//!
//! One concept per file: [`system`] is `/dev/kvm-devctl`, [`vm`] a VM, [`vcpu`] a vCPU,
//! [`device`] a device and its file, [`ops`] the per-type operations and the registry of
//! types, [`attr`] a device attribute, [`devices`] the device types, [`stats`] the counts of
//! live objects that tests read.

#![crate_name = "kvm_devctl"]

use kernel::{
    miscdevice::{
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
    sync::SetOnce,
};

mod attr;
mod device;
mod devices;
mod ops;
mod stats;
mod system;
mod vcpu;
mod vm;

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

/// The device types, registered once at module load (C: `kvm_device_ops_table`).
static REGISTRY: SetOnce<ops::Registry> = SetOnce::new();

/// Returns the registry of device types.
pub(crate) fn registry() -> &'static ops::Registry {
    static EMPTY: ops::Registry = ops::Registry::new();
    REGISTRY.as_ref().unwrap_or(&EMPTY)
}

/// The module: it owns the registration of the system device.
#[pin_data]
struct KvmDevctlModule {
    #[pin]
    _system: MiscDeviceRegistration<system::System>,
    #[pin]
    _debugfs: stats::Debugfs,
}

impl kernel::InPlaceModule for KvmDevctlModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let name = module_parameters::devname.value_ref().as_cstr();
        try_pin_init!(Self {
            _system <- {
                // An empty name would register a device node without a name.
                (!name.to_bytes().is_empty()).then_some(()).ok_or(EINVAL)?;
                let mut registry = ops::Registry::new();
                devices::register_all(&mut registry)?;
                REGISTRY.populate(registry);
                MiscDeviceRegistration::register(MiscDeviceOptions { name })
            },
            _debugfs <- stats::Debugfs::new(),
        })
    }
}
