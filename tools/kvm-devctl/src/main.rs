// SPDX-License-Identifier: GPL-2.0

//! `kvm-devctl`: a command-line client of KVM's device control API.
//!
//! It drives a KVM node through the unmodified rust-vmm `kvm-ioctls` client, so it works the
//! same against `/dev/kvm-devctl` (the module) and `/dev/kvm` (real KVM).

use std::ffi::CString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kvm_ioctls::Kvm;

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
}

fn info(node: &str) -> Result<(), String> {
    let path = CString::new(node).map_err(|_| format!("{node}: path contains a NUL byte"))?;
    let kvm = Kvm::new_with_path(&path).map_err(|e| format!("open {node}: {e}"))?;
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kvm-devctl: {e}");
            ExitCode::FAILURE
        }
    }
}
