// SPDX-License-Identifier: GPL-2.0

//! `kvm-devctl`: a command-line client of KVM's device control API.
//!
//! It drives a KVM node through the unmodified rust-vmm `kvm-ioctls` client, so it works the
//! same against `/dev/kvm-devctl` (the module) and `/dev/kvm` (real KVM); scripts drive the
//! arm64 node `/dev/kvm-devctl-arm64` too (vCPU init, memslots, the VGIC device types). Raw
//! `ioctl(2)` is used only where `kvm-ioctls` has no call: the `ioctl` command of a script, and
//! `KVM_ARM_PREFERRED_TARGET` and `KVM_ARM_VCPU_INIT`, which `kvm-ioctls` offers only when built
//! for arm64.

use std::ffi::CString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kvm_ioctls::Kvm;

mod device;
mod memory;
mod names;
mod parse;
mod probe;
mod script;
mod snapshot;
mod vgic;

#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The KVM node to open.
    #[arg(long, global = true, default_value = "/dev/kvm-devctl")]
    node: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the node and the API version it reports.
    Info,
    /// List the device types the node supports (KVM_CREATE_DEVICE_TEST on each type).
    ///
    /// Asks KVM_CREATE_DEVICE with the KVM_CREATE_DEVICE_TEST flag for every type from
    /// --first to --last in a scratch VM, and prints the supported ones with their
    /// KVM_DEV_TYPE_* name and the name of the anon inode of a device of that type, as seen in
    /// /proc/self/fd after creating one in a fresh VM.
    Probe {
        /// Also list the unsupported types, with the errno of each.
        #[arg(long)]
        all: bool,
        /// Do not create the supported devices: show the anon-inode names of the kernel source.
        #[arg(long)]
        no_create: bool,
        /// The first type to try.
        #[arg(long, default_value_t = 0)]
        first: u32,
        /// The last type to try (default: KVM_DEV_TYPE_MAX of Linux 7.3, which must fail).
        #[arg(long, default_value_t = names::KVM_DEV_TYPE_MAX)]
        last: u32,
    },
    /// Run a script of device-control commands (SCRIPT a path, or - for stdin).
    #[command(after_long_help = script::LANGUAGE)]
    Run {
        /// The script; `-` reads it from stdin.
        script: String,
    },
}

fn open(node: &str) -> Result<Kvm, String> {
    let path = CString::new(node).map_err(|_| format!("{node}: path contains a NUL byte"))?;
    Kvm::new_with_path(&path).map_err(|e| format!("open {node}: {e}"))
}

fn info(node: &str) -> Result<(), String> {
    let kvm = open(node)?;
    let meta = std::fs::metadata(node).map_err(|e| format!("stat {node}: {e}"))?;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let rdev = meta.rdev();
    println!(
        "node:        {node} ({}, mode {:04o}, uid {}, device {}:{})",
        if meta.file_type().is_char_device() {
            "character device"
        } else {
            "not a character device"
        },
        meta.mode() & 0o7777,
        meta.uid(),
        libc::major(rdev),
        libc::minor(rdev),
    );
    println!(
        "api version: {} (KVM_GET_API_VERSION)",
        kvm.get_api_version()
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info => info(&cli.node),
        Command::Probe {
            all,
            no_create,
            first,
            last,
        } => open(&cli.node)
            .and_then(|kvm| probe::probe(&kvm, &cli.node, first..=last, all, no_create)),
        Command::Run { script } => match open(&cli.node) {
            Ok(kvm) => match script::run(kvm, &cli.node, &script) {
                Ok(()) => Ok(()),
                Err(script::Failure::Expectation(m)) => {
                    eprintln!("kvm-devctl: {m}");
                    return ExitCode::from(1);
                }
                Err(script::Failure::Script(m)) => {
                    eprintln!("kvm-devctl: {m}");
                    return ExitCode::from(2);
                }
            },
            Err(e) => {
                eprintln!("kvm-devctl: {e}");
                return ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kvm-devctl: {e}");
            ExitCode::FAILURE
        }
    }
}
