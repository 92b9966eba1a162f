// SPDX-License-Identifier: GPL-2.0

//! A virtual CPU (C: `struct kvm_vcpu`), shown as `anon_inode:kvm-vcpu:<id>`.
//!
//! C: `kvm_vm_ioctl_create_vcpu()`, `kvm_vcpu_ioctl()`, `kvm_vcpu_mmap()` in
//! [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c).
//!
//! kvm-devctl runs no guest: a vCPU exists so that device types can address it (by id) and so
//! that clients can create and map it as they do with KVM. Its file maps `struct kvm_run` at
//! page offset 0, the PIO page at 1 and the VM's coalesced MMIO ring at 2, as x86 KVM does.
//! Like C, a vCPU lives until its VM is destroyed; closing its file only drops the file's VM
//! reference.

use kernel::{
    alloc::flags::__GFP_ZERO,
    fs::{
        anon_inode,
        file::{
            flags,
            FileDescriptorReservation, //
        },
        file_operations::FileOperations,
        File,
    },
    ioctl::_IOC_TYPE,
    kvm::KVMIO,
    mm::virt::VmaNew,
    page::{
        Page,
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    prelude::*,
    str::CString,
    sync::Arc,
};

use crate::{
    stats::{
        Live,
        VCPUS, //
    },
    vm::Vm,
};

/// The most vCPUs a VM can have (C: `KVM_MAX_VCPUS`, `CONFIG_KVM_MAX_NR_VCPUS` on x86).
pub(crate) const KVM_MAX_VCPUS: usize = 1024;
/// The bound on vCPU ids (C: `KVM_MAX_VCPU_IDS`, `KVM_MAX_VCPUS * KVM_VCPU_ID_RATIO` on x86).
pub(crate) const KVM_MAX_VCPU_IDS: usize = KVM_MAX_VCPUS * 4;
/// How many pages a vCPU file maps (C: `KVM_GET_VCPU_MMAP_SIZE` on x86 with `KVM_MMIO`).
pub(crate) const VCPU_MMAP_PAGES: usize = 3;

/// A virtual CPU.
pub(crate) struct Vcpu {
    /// The id user space gave it (C: `vcpu->vcpu_id`).
    pub(crate) id: u32,
    /// `struct kvm_run` (C: `vcpu->run`).
    run: Page,
    /// The PIO data page (C: `vcpu->arch.pio_data`).
    pio: Page,
    /// Counts the vCPU in `/sys/kernel/debug/kvm-devctl/objects`.
    _live: Live,
}

impl Vcpu {
    /// `KVM_CREATE_VCPU` (C: `kvm_vm_ioctl_create_vcpu()`): returns the new file descriptor.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id of `KVM_MAX_VCPU_IDS` or more, or when the VM has `KVM_MAX_VCPUS`
    /// vCPUs; `EEXIST` for an id in use; `ENOMEM`, `EMFILE`.
    pub(crate) fn create(vm: Arc<Vm>, id: usize) -> Result<isize> {
        let mut inner = vm.lock();
        if id >= KVM_MAX_VCPU_IDS {
            return Err(EINVAL);
        }
        if inner.vcpus.len() >= KVM_MAX_VCPUS {
            return Err(EINVAL);
        }
        // CAST: `id < KVM_MAX_VCPU_IDS`, which fits in u32.
        let id = id as u32;
        if inner.vcpus.iter().any(|v| v.id == id) {
            return Err(EEXIST);
        }
        inner.vcpus.reserve(1, GFP_KERNEL_ACCOUNT)?;
        let vcpu = Arc::new(
            Vcpu {
                id,
                run: Page::alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO)?,
                pio: Page::alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO)?,
                _live: Live::new(&VCPUS),
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        let name = CString::try_from_fmt(fmt!("kvm-vcpu:{id}"))?;
        let reservation = FileDescriptorReservation::get_unused_fd_flags(flags::O_CLOEXEC)?;
        let data = KBox::new(
            VcpuFile {
                vm: vm.clone(),
                vcpu: vcpu.clone(),
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        let file = anon_inode::new_file::<VcpuFile>(&name, data, flags::O_RDWR)?;
        inner.vcpus.push(vcpu, GFP_KERNEL_ACCOUNT)?;
        let fd = reservation.reserved_fd();
        reservation.fd_install(file);
        Ok(fd as isize)
    }
}

/// The private data of a vCPU's file.
pub(crate) struct VcpuFile {
    /// The file's reference to the VM (C: `kvm_get_kvm()`/`kvm_put_kvm()`).
    vm: Arc<Vm>,
    vcpu: Arc<Vcpu>,
}

/// The file operations of a vCPU.
#[vtable]
impl FileOperations for VcpuFile {
    type Ptr = KBox<Self>;
    const NOOP_LLSEEK: bool = true;

    /// The ioctl handler: `kvm_vcpu_ioctl()`.
    fn ioctl(this: &Self, _file: &File, cmd: u32, _arg: usize) -> Result<isize> {
        this.vm.check_caller()?;
        if _IOC_TYPE(cmd) != KVMIO {
            return Err(EINVAL);
        }
        // No vCPU ioctl is implemented: `kvm_arch_vcpu_ioctl()` on x86 answers unknown ones
        // with EINVAL.
        Err(EINVAL)
    }

    /// Maps the vCPU's pages (C: `kvm_vcpu_mmap()` and `kvm_vcpu_fault()`).
    fn mmap(this: &Self, _file: &File, vma: &VmaNew) -> Result {
        let map = vma.set_mixedmap();
        let pages = (vma.end() - vma.start()) >> PAGE_SHIFT;
        for i in 0..pages.min(VCPU_MMAP_PAGES) {
            let page = match vma.pgoff().checked_add(i) {
                Some(0) => &this.vcpu.run,
                Some(1) => &this.vcpu.pio,
                Some(2) => &this.vm.coalesced_ring,
                _ => break,
            };
            map.vm_insert_page(vma.start() + i * PAGE_SIZE, page)?;
        }
        Ok(())
    }
}
