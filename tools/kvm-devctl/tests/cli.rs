// SPDX-License-Identifier: GPL-2.0

//! The CLI's unit tests (the `#[cfg(test)]` modules of its sources), built as an integration
//! test so that `make check` runs them in the guest as `rs_cli`: `scripts/cargo-test-bins`
//! collects test targets only, not a binary's unit tests. They need no KVM.

#![allow(dead_code)]

#[path = "../src/device.rs"]
mod device;
#[path = "../src/memory.rs"]
mod memory;
#[path = "../src/names.rs"]
mod names;
#[path = "../src/parse.rs"]
mod parse;
#[path = "../src/script.rs"]
mod script;
#[path = "../src/snapshot.rs"]
mod snapshot;
#[path = "../src/vgic.rs"]
mod vgic;
