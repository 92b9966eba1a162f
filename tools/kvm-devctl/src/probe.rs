// SPDX-License-Identifier: GPL-2.0

//! `kvm-devctl probe`: the device types a node supports.

use kvm_bindings::KVM_CREATE_DEVICE_TEST;
use kvm_ioctls::Kvm;

use crate::device::{create_device, fd_link, Created};
use crate::names::{device_inode_name, device_type_name, errno_text};

/// Asks `KVM_CREATE_DEVICE` with `KVM_CREATE_DEVICE_TEST` for each type of `types` in a
/// scratch VM, and lists those supported. Unless `no_create`, each supported type is then
/// created for real in a fresh VM, to show the name of its anon inode. `all` lists the
/// unsupported types too, with their errno.
pub fn probe(
    kvm: &Kvm,
    node: &str,
    types: std::ops::RangeInclusive<u32>,
    all: bool,
    no_create: bool,
) -> Result<(), String> {
    let vm = kvm
        .create_vm()
        .map_err(|e| format!("KVM_CREATE_VM: {}", errno_text(e.errno())))?;
    println!(
        "{node}: KVM_CREATE_DEVICE with KVM_CREATE_DEVICE_TEST, types {}..={}",
        types.start(),
        types.end()
    );
    let mut supported = 0;
    let count = types.clone().count();
    for t in types {
        let name = device_type_name(t).unwrap_or("-");
        let r = create_device(&vm, t, KVM_CREATE_DEVICE_TEST);
        let line = match r {
            Ok(Created::Nothing) => {
                supported += 1;
                let inode = if no_create {
                    device_inode_name(t).map_or("-".to_string(), |n| format!("{n} (by source)"))
                } else {
                    created_name(kvm, t)
                };
                format!("supported    {inode}")
            }
            Ok(Created::Device(dev)) => {
                supported += 1;
                // Wrong: the test flag must not make a file.
                format!(
                    "supported, but made a file: {}",
                    fd_link(std::os::unix::io::AsRawFd::as_raw_fd(&dev))
                )
            }
            Err(e) if all => errno_text(e),
            Err(_) => continue,
        };
        println!("  {t:>3}  {name:<32} {line}");
    }
    println!("{supported} of {count} types supported");
    Ok(())
}

/// Creates a device of type `t` in a fresh VM and returns the name of its anon inode.
fn created_name(kvm: &Kvm, t: u32) -> String {
    let vm = match kvm.create_vm() {
        Ok(vm) => vm,
        Err(e) => return format!("(KVM_CREATE_VM: {})", errno_text(e.errno())),
    };
    match create_device(&vm, t, 0) {
        Ok(Created::Device(dev)) => {
            let link = fd_link(std::os::unix::io::AsRawFd::as_raw_fd(&dev));
            link.strip_prefix("anon_inode:")
                .unwrap_or(&link)
                .to_string()
        }
        Ok(Created::Nothing) => "(KVM_CREATE_DEVICE wrote no fd)".to_string(),
        Err(e) => format!("(create: {})", errno_text(e)),
    }
}
