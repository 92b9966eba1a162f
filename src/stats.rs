// SPDX-License-Identifier: GPL-2.0

//! How many VMs, vCPUs and devices exist, for tests: `/sys/kernel/debug/kvm-devctl/objects`.
//!
//! Every [`Vm`](crate::vm::Vm), [`Vcpu`](crate::vcpu::Vcpu) and
//! [`Device`](crate::device::Device) holds a [`Live`] token, which counts the object from its
//! construction to its drop. The fault-injection sweep, the stress test and the fuzzer read the
//! file before and after what they do: any count that does not come back is an object leaked
//! (or kept alive by a leaked reference). The file reads as:
//!
//! ```text
//! vms 0
//! vcpus 0
//! devices 0
//! ```
//!
//! Real KVM has no such file; it exists only with `CONFIG_DEBUG_FS`.

use kernel::{
    debugfs::{
        Dir,
        File, //
    },
    fmt,
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

/// A kind of object that the module counts.
pub(crate) struct Kind(Atomic<i64>);

/// Live VMs.
pub(crate) static VMS: Kind = Kind(Atomic::new(0));
/// Live vCPUs.
pub(crate) static VCPUS: Kind = Kind(Atomic::new(0));
/// Live devices, of every type.
pub(crate) static DEVICES: Kind = Kind(Atomic::new(0));

/// One live object of a [`Kind`], counted while the token exists.
pub(crate) struct Live(&'static Kind);

impl Live {
    /// Counts one more object of `kind` until the token is dropped.
    pub(crate) fn new(kind: &'static Kind) -> Self {
        kind.0.add(1, Relaxed);
        Self(kind)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let Self(kind) = self;
        kind.0.add(-1, Relaxed);
    }
}

/// The counts as the debugfs file shows them.
struct Objects;

impl Objects {
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, kind) in [("vms", &VMS), ("vcpus", &VCPUS), ("devices", &DEVICES)] {
            writeln!(f, "{name} {}", kind.0.load(Relaxed))?;
        }
        Ok(())
    }
}

/// The module's debugfs directory and its `objects` file, removed when dropped.
#[pin_data]
pub(crate) struct Debugfs {
    _dir: Dir,
    #[pin]
    _objects: File<Objects>,
}

impl Debugfs {
    /// Creates `/sys/kernel/debug/kvm-devctl/objects`. Without debugfs this does nothing, and
    /// a failure to create the directory leaves the module without it, as C's debugfs calls do.
    pub(crate) fn new() -> impl PinInit<Self> {
        let dir = Dir::new(c"kvm-devctl");
        pin_init!(Self {
            _objects <- dir.read_callback_file(c"objects", Objects, &Objects::show),
            _dir: dir,
        })
    }
}
