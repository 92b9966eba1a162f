// SPDX-License-Identifier: GPL-2.0

//! kvm-vfio (`KVM_DEV_TYPE_VFIO`): at most one per VM, shown as `anon_inode:kvm-vfio`.
//!
//! C: [`virt/kvm/vfio.c`](srctree/virt/kvm/vfio.c);
//! [`Documentation/virt/kvm/devices/vfio.rst`](srctree/Documentation/virt/kvm/devices/vfio.rst).
//!
//! User space adds the VFIO files (groups or device cdevs) of a VM's assigned devices, so that
//! KVM and VFIO know about each other. The device holds each added file until it is deleted or
//! the device's file is released. It is a release-only type: closing its file removes it from
//! the VM, after which a new one can be created.

use kernel::{
    fs::LocalFile,
    new_mutex,
    prelude::*,
    sync::Mutex,
    uapi, //
};

use crate::{
    attr::DeviceAttr,
    ops::DeviceType,
    vm::{
        Vm,
        VmInner, //
    },
};

/// A file that VFIO recognises as its own (C: `kvm_vfio_file_is_valid()` is true).
///
/// C asks VFIO through `symbol_get(vfio_file_is_valid)`, which finds nothing when VFIO is not
/// in the kernel. kvm-devctl's kernels are built without VFIO, so there is no such file: the
/// type is empty, and the compiler proves that the device never holds one. Supporting VFIO
/// means giving this type a file and calling VFIO's hooks where C does.
enum VfioFile {}

#[cfg(CONFIG_VFIO)]
compile_error!("kvm-vfio: VFIO is enabled; VfioFile needs vfio_file_is_valid/vfio_file_set_kvm");

/// Returns the VFIO file behind `file`, if it is one (C: `kvm_vfio_file_is_valid()`).
fn vfio_file(_file: &LocalFile) -> Option<VfioFile> {
    None
}

/// The state of a kvm-vfio device (C: `struct kvm_vfio`).
#[pin_data]
pub(crate) struct Vfio {
    /// The added files (C: `kv->file_list` under `kv->lock`).
    #[pin]
    files: Mutex<KVec<VfioFile>>,
}

impl Vfio {
    /// `KVM_DEV_VFIO_FILE_ADD` (C: `kvm_vfio_file_add()`).
    fn file_add(&self, fd: i32) -> Result {
        // C: `fget()` takes an unsigned int, so a negative descriptor is EBADF.
        let file = LocalFile::fget(fd as u32)?;
        let Some(vfio) = vfio_file(&file) else {
            return Err(EINVAL);
        };
        match vfio {}
    }

    /// `KVM_DEV_VFIO_FILE_DEL` (C: `kvm_vfio_file_del()`).
    fn file_del(&self, fd: i32) -> Result {
        let _file = LocalFile::fget(fd as u32)?;
        let files = self.files.lock();
        // No file was added that could match (C compares `kvf->file`).
        if let Some(f) = files.first() {
            match *f {}
        }
        Err(ENOENT)
    }
}

#[vtable]
impl DeviceType for Vfio {
    const NAME: &'static CStr = c"kvm-vfio";

    /// C: `kvm_vfio_create()`: only one kvm-vfio device per VM.
    fn create(vm: &mut VmInner, _ty: u32) -> impl PinInit<Self, Error> {
        let busy = vm.has_device::<Self>();
        try_pin_init!(Self {
            files <- {
                (!busy).then_some(()).ok_or(EBUSY)?;
                new_mutex!(KVec::new(), "Vfio::files")
            },
        })
    }

    /// C: `kvm_vfio_release()`: let go of every added file.
    fn release(&self, _vm: &VmInner) {
        self.files.lock().clear();
    }

    /// C: `kvm_vfio_set_attr()` and `kvm_vfio_set_file()`.
    fn set_attr(&self, _vm: &Vm, attr: &DeviceAttr) -> Result {
        if attr.group() != uapi::KVM_DEV_VFIO_FILE {
            return Err(ENXIO);
        }
        match attr.attr() {
            a if a == u64::from(uapi::KVM_DEV_VFIO_FILE_ADD) => self.file_add(attr.read_i32()?),
            a if a == u64::from(uapi::KVM_DEV_VFIO_FILE_DEL) => self.file_del(attr.read_i32()?),
            _ => Err(ENXIO),
        }
    }

    /// C: `kvm_vfio_has_attr()`.
    fn has_attr(&self, _vm: &Vm, attr: &DeviceAttr) -> Result {
        let known = attr.attr() == u64::from(uapi::KVM_DEV_VFIO_FILE_ADD)
            || attr.attr() == u64::from(uapi::KVM_DEV_VFIO_FILE_DEL);
        if attr.group() == uapi::KVM_DEV_VFIO_FILE && known {
            Ok(())
        } else {
            Err(ENXIO)
        }
    }
}
