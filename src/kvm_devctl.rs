// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The kvm-devctl developers.

//! kvm-devctl: KVM's device control API as a Rust kernel module.
//!
//! The module registers three misc devices that answer the system ioctls of `/dev/kvm`
//! (`virt/kvm/kvm_main.c`), so that unmodified KVM clients can drive it by opening another
//! path: `/dev/kvm-devctl` (module parameter `devname`) answers as x86 KVM,
//! `/dev/kvm-devctl-arm64` (parameter `arm64_devname`) as arm64 KVM on a GICv3 host, and
//! `/dev/kvm-devctl-arm64-gicv2` (parameter `arm64_gicv2_devname`) as arm64 KVM on a GICv2
//! host; arm64 VMs take memslots, `KVM_ARM_VCPU_INIT` and the ARM VGIC type of their host:
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
//! One concept per file: [`system`] is a system device node, [`arch`] which KVM a node
//! answers as, [`vm`] a VM, [`memslot`] a VM's guest memory, [`vcpu`] a vCPU, [`device`] a
//! device and its file, [`ops`] the per-type operations and the registry of types, [`attr`] a
//! device attribute, [`devices`] the device types, [`stats`] the counts of live objects that
//! tests read.

#![crate_name = "kvm_devctl"]

use kernel::{
    miscdevice::{
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
    sync::SetOnce,
};

use crate::arch::{
    Arch,
    Arm64GicV2Node,
    Arm64Node,
    HostGic,
    X86Node, //
};

mod arch;
mod attr;
mod device;
mod devices;
mod memslot;
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
            description: "Name of the x86 device node in /dev (default kvm-devctl)",
        },
        arm64_devname: str {
            default: c"kvm-devctl-arm64",
            description: "Name of the arm64 device node in /dev (default kvm-devctl-arm64)",
        },
        arm64_gicv2_devname: str {
            default: c"kvm-devctl-arm64-gicv2",
            description: "Name of the arm64 node of a GICv2 host in /dev (default kvm-devctl-arm64-gicv2)",
        },
    },
}

/// The device types of each node, registered once at module load (C: `kvm_device_ops_table`,
/// which differs per architecture).
struct Registries {
    x86: ops::Registry,
    arm64: ops::Registry,
    arm64_gicv2: ops::Registry,
}

/// The registries, set once before any node exists.
static REGISTRIES: SetOnce<Registries> = SetOnce::new();

/// Returns the registry of device types of the nodes that answer as `arch`.
pub(crate) fn registry(arch: Arch) -> &'static ops::Registry {
    static EMPTY: ops::Registry = ops::Registry::new();
    match (REGISTRIES.as_ref(), arch) {
        (Some(r), Arch::X86) => &r.x86,
        (Some(r), Arch::Arm64(HostGic::V3)) => &r.arm64,
        (Some(r), Arch::Arm64(HostGic::V2)) => &r.arm64_gicv2,
        (None, _) => &EMPTY,
    }
}

/// Builds the registries of the nodes.
fn populate_registries() -> Result {
    let mut x86 = ops::Registry::new();
    devices::register_all(Arch::X86, &mut x86)?;
    let mut arm64 = ops::Registry::new();
    devices::register_all(Arch::Arm64(HostGic::V3), &mut arm64)?;
    let mut arm64_gicv2 = ops::Registry::new();
    devices::register_all(Arch::Arm64(HostGic::V2), &mut arm64_gicv2)?;
    REGISTRIES.populate(Registries {
        x86,
        arm64,
        arm64_gicv2,
    });
    Ok(())
}

/// Checks a node name from a module parameter: an empty one would register a device node
/// without a name.
fn node_name(name: &'static CStr) -> Result<&'static CStr> {
    (!name.to_bytes().is_empty()).then_some(name).ok_or(EINVAL)
}

/// The module: it owns the registrations of the system device nodes.
#[pin_data]
struct KvmDevctlModule {
    #[pin]
    _x86: MiscDeviceRegistration<system::System<X86Node>>,
    #[pin]
    _arm64: MiscDeviceRegistration<system::System<Arm64Node>>,
    #[pin]
    _arm64_gicv2: MiscDeviceRegistration<system::System<Arm64GicV2Node>>,
    #[pin]
    _debugfs: stats::Debugfs,
}

impl kernel::InPlaceModule for KvmDevctlModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let name = module_parameters::devname.value_ref().as_cstr();
        let arm64_name = module_parameters::arm64_devname.value_ref().as_cstr();
        let gicv2_name = module_parameters::arm64_gicv2_devname.value_ref().as_cstr();
        try_pin_init!(Self {
            _x86 <- {
                let name = node_name(name)?;
                node_name(arm64_name)?;
                node_name(gicv2_name)?;
                populate_registries()?;
                MiscDeviceRegistration::register(MiscDeviceOptions { name })
            },
            _arm64 <- MiscDeviceRegistration::register(MiscDeviceOptions { name: arm64_name }),
            _arm64_gicv2 <- MiscDeviceRegistration::register(MiscDeviceOptions { name: gicv2_name }),
            _debugfs <- stats::Debugfs::new(),
        })
    }
}
