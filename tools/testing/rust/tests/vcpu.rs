// SPDX-License-Identifier: GPL-2.0

//! `KVM_CREATE_VCPU` through `VmFd::create_vcpu()`, and the vCPU file and its mapping.
//!
//! C: `kvm_vm_ioctl_create_vcpu()`, `create_vcpu_fd()`, `kvm_vcpu_mmap()`, `kvm_vcpu_fault()`
//! and `kvm_vcpu_ioctl()` in `virt/kvm/kvm_main.c`; `kvm_arch_vcpu_precreate()` and
//! `kvm_arch_vcpu_fault()` in `arch/x86/kvm/x86.c`. `VmFd::create_vcpu()` issues
//! `KVM_CREATE_VCPU`, then maps `run_size` (`KVM_GET_VCPU_MMAP_SIZE`) bytes of the vCPU file at
//! offset 0, `PROT_READ | PROT_WRITE`, `MAP_SHARED`; a failed mmap fails the call.

use std::os::unix::io::AsRawFd;

use kvm_bindings::{kvm_run, KVM_CAP_MAX_VCPUS, KVM_CAP_MAX_VCPU_ID};
use kvm_devctl_tests::{
    exit_code, fails, fd_link, fd_mode, file_ops, in_child, must, ok, on_each_node, raw_ioctl,
    try_mmap, Errno, Exit, ToOutcome, PAGE_SIZE,
};
use kvm_ioctls::VcpuFd;

/// x86: `KVM_MAX_VCPUS` is `CONFIG_KVM_MAX_NR_VCPUS`, 1024 in the guest's configuration.
const KVM_MAX_VCPUS: u64 = 1024;
/// x86: `KVM_MAX_VCPU_IDS` is `KVM_MAX_VCPUS * KVM_VCPU_ID_RATIO` (4).
const KVM_MAX_VCPU_IDS: u64 = KVM_MAX_VCPUS * 4;
/// x86 UAPI: `KVM_DIRTY_LOG_PAGE_OFFSET`.
const KVM_DIRTY_LOG_PAGE_OFFSET: usize = 64;
/// `TCGETS`: an ioctl whose type is not `KVMIO`.
const TCGETS: u64 = 0x5401;

/// A `MAP_SHARED` read-write mapping of `pages` pages of a vCPU file at page `pgoff`.
struct VcpuMap {
    base: *mut u8,
    len: usize,
}

impl VcpuMap {
    fn new(vcpu: &VcpuFd, pgoff: usize, pages: usize) -> Result<Self, Errno> {
        let len = pages * PAGE_SIZE;
        // SAFETY: a new mapping of our own, owned by the returned value.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                vcpu.as_raw_fd(),
                (pgoff * PAGE_SIZE) as libc::off_t,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        Ok(VcpuMap {
            base: base.cast(),
            len,
        })
    }

    fn read(&self, offset: usize) -> u8 {
        assert!(offset < self.len);
        // SAFETY: inside our mapping; volatile because the kernel page is shared.
        unsafe { self.base.add(offset).read_volatile() }
    }

    fn write(&self, offset: usize, v: u8) {
        assert!(offset < self.len);
        // SAFETY: as for read().
        unsafe { self.base.add(offset).write_volatile(v) }
    }
}

impl Drop for VcpuMap {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

/// The bytes of the `kvm_run` mapping that `kvm-ioctls` made, `len` bytes from its start.
fn run_bytes(vcpu: &mut VcpuFd, len: usize) -> Vec<u8> {
    let base = (vcpu.get_kvm_run() as *mut kvm_run).cast::<u8>();
    // SAFETY: kvm-ioctls mapped run_size bytes at `base`; the callers pass len <= run_size.
    (0..len)
        .map(|i| unsafe { base.add(i).read_volatile() })
        .collect()
}

#[test]
fn create_vcpu_succeeds() {
    on_each_node(Ok(()), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        vm.create_vcpu(0).outcome().map(drop)
    });
}

#[test]
fn vcpu_file_is_anon_inode_named_after_its_id() {
    // create_vcpu_fd(): snprintf(name, "kvm-vcpu:%d", vcpu->vcpu_id)
    let ids = [0u64, 1, 9, 255, 4095];
    let expected: Vec<_> = ids
        .iter()
        .map(|id| Ok(format!("anon_inode:kvm-vcpu:{id}")))
        .collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        ids.iter()
            .map(|&id| {
                vm.create_vcpu(id)
                    .outcome()
                    .map(|vcpu| fd_link(vcpu.as_raw_fd()))
            })
            .collect::<Vec<_>>()
    });
}

#[test]
fn vcpu_fd_is_cloexec_and_read_write() {
    // anon_inode_getfd(name, &kvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC)
    on_each_node(Ok((true, libc::O_RDWR)), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        fd_mode(vcpu.as_raw_fd())
    });
}

#[test]
fn duplicate_vcpu_id_is_eexist() {
    // kvm_get_vcpu_by_id(kvm, id) -> -EEXIST
    on_each_node(fails(libc::EEXIST), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let _first = must(vm.create_vcpu(3), "create_vcpu 3");
        vm.create_vcpu(3).outcome().map(drop)
    });
}

#[test]
fn vcpu_id_stays_taken_after_its_fd_is_closed() {
    // Closing the vCPU file only drops a reference to the VM: the vCPU lives as long as the VM.
    on_each_node((fails(libc::EEXIST), Ok(())), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        drop(must(vm.create_vcpu(0), "create_vcpu 0"));
        (
            vm.create_vcpu(0).outcome().map(drop),
            vm.create_vcpu(1).outcome().map(drop),
        )
    });
}

#[test]
fn vcpu_ids_are_per_vm() {
    on_each_node((Ok(()), Ok(())), |kvm| {
        let a = must(kvm.create_vm(), "create_vm a");
        let b = must(kvm.create_vm(), "create_vm b");
        let a0 = a.create_vcpu(0).outcome().map(drop);
        let b0 = b.create_vcpu(0).outcome().map(drop);
        (a0, b0)
    });
}

#[test]
fn max_vcpu_id_is_4096() {
    // x86 kvm_vm_ioctl_check_extension(): KVM_CAP_MAX_VCPU_ID -> KVM_MAX_VCPU_IDS; what
    // Kvm::get_max_vcpu_id() reads.
    on_each_node(
        (KVM_MAX_VCPU_IDS as i32, KVM_MAX_VCPU_IDS as usize),
        |kvm| {
            (
                kvm.check_extension_raw(KVM_CAP_MAX_VCPU_ID.into()),
                kvm.get_max_vcpu_id(),
            )
        },
    );
}

#[test]
fn vcpu_ids_from_max_vcpu_id_are_einval() {
    // kvm_vm_ioctl_create_vcpu(): id >= KVM_MAX_VCPU_IDS -> -EINVAL (id is an unsigned long:
    // 1 << 32 must not be truncated to 0); below it, an id is accepted.
    let ids = [
        KVM_MAX_VCPU_IDS - 1,
        KVM_MAX_VCPU_IDS,
        KVM_MAX_VCPU_IDS + 1,
        1 << 31,
        1 << 32,
        (1 << 32) + 1,
        u64::MAX,
    ];
    let expected: Vec<_> = ids
        .iter()
        .map(|&id| {
            (
                id,
                if id < KVM_MAX_VCPU_IDS {
                    Ok(())
                } else {
                    fails(libc::EINVAL)
                },
            )
        })
        .collect();
    on_each_node(expected, |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        ids.iter()
            .map(|&id| (id, vm.create_vcpu(id).outcome().map(drop)))
            .collect::<Vec<_>>()
    });
}

#[test]
fn a_failed_create_vcpu_takes_no_slot() {
    // The error paths of kvm_vm_ioctl_create_vcpu() leave created_vcpus as it was.
    on_each_node((fails(libc::EINVAL), fails(libc::EEXIST), Ok(())), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let _v0 = must(vm.create_vcpu(0), "create_vcpu 0");
        (
            vm.create_vcpu(KVM_MAX_VCPU_IDS).outcome().map(drop),
            vm.create_vcpu(0).outcome().map(drop),
            vm.create_vcpu(1).outcome().map(drop),
        )
    });
}

#[test]
fn vcpu_count_is_limited_to_max_vcpus() {
    // kvm->max_vcpus = KVM_MAX_VCPUS (kvm_create_vm()), reported by KVM_CAP_MAX_VCPUS on the VM;
    // kvm->created_vcpus >= kvm->max_vcpus -> -EINVAL. The fds are closed as we go (the vCPUs
    // stay), to stay under RLIMIT_NOFILE.
    on_each_node(
        (KVM_MAX_VCPUS as i32, Ok(KVM_MAX_VCPUS), fails(libc::EINVAL)),
        |kvm| {
            let vm = must(kvm.create_vm(), "create_vm");
            let cap = vm.check_extension_raw(KVM_CAP_MAX_VCPUS.into());
            let mut created = 0;
            for id in 0..KVM_MAX_VCPUS {
                match vm.create_vcpu(id).outcome() {
                    Ok(_) => created += 1,
                    Err(e) => return (cap, Err(e), Ok(())),
                }
            }
            let over = vm.create_vcpu(KVM_MAX_VCPUS).outcome().map(drop);
            (cap, Ok(created), over)
        },
    );
}

#[test]
fn kvm_run_mapping_starts_zeroed() {
    // kvm_run, the pio data page and the coalesced MMIO ring are all
    // alloc_page(__GFP_ZERO), and nothing writes them before the first KVM_RUN.
    on_each_node(vec![0usize; 3], |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let mut vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        let bytes = run_bytes(&mut vcpu, vm.run_size());
        bytes
            .chunks(PAGE_SIZE)
            .map(|page| page.iter().filter(|&&b| b != 0).count())
            .collect::<Vec<_>>()
    });
}

#[test]
fn kvm_run_mapping_is_shared_and_writable() {
    // The pages are the kernel's own (kvm_vcpu_fault() hands out vcpu->run etc.): a second
    // mapping of the vCPU file sees what the first one wrote, and the other way round.
    let immediate_exit = std::mem::offset_of!(kvm_run, immediate_exit);
    on_each_node(ok([1u8, 0x5a, 0xa5, 0x3c]), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let mut vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        vcpu.set_kvm_immediate_exit(1);
        let second = VcpuMap::new(&vcpu, 0, 3)?;
        let seen = second.read(immediate_exit);
        second.write(PAGE_SIZE + 17, 0x5a);
        second.write(2 * PAGE_SIZE + 2048, 0xa5);
        second.write(100, 0x3c);
        let back = run_bytes(&mut vcpu, 3 * PAGE_SIZE);
        Ok([
            seen,
            back[PAGE_SIZE + 17],
            back[2 * PAGE_SIZE + 2048],
            back[100],
        ])
    });
}

#[test]
fn pio_page_is_per_vcpu_and_coalesced_ring_is_per_vm() {
    // kvm_vcpu_fault(): page 1 is vcpu->arch.pio_data (one per vCPU), page 2 is
    // kvm->coalesced_mmio_ring (one per VM). Bytes past the ring's first/last indexes, so that
    // the ring stays empty.
    on_each_node(ok((0u8, 0x77u8)), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let v0 = must(vm.create_vcpu(0), "create_vcpu 0");
        let v1 = must(vm.create_vcpu(1), "create_vcpu 1");
        let m0 = VcpuMap::new(&v0, 0, 3)?;
        let m1 = VcpuMap::new(&v1, 0, 3)?;
        m0.write(PAGE_SIZE + 64, 0x66);
        m0.write(2 * PAGE_SIZE + 1024, 0x77);
        let r = (m1.read(PAGE_SIZE + 64), m1.read(2 * PAGE_SIZE + 1024));
        m0.write(2 * PAGE_SIZE + 1024, 0);
        Ok(r)
    });
}

#[test]
fn coalesced_mmio_ring_maps_through_kvm_ioctls() {
    // VcpuFd::map_coalesced_mmio_ring() maps one page at KVM_COALESCED_MMIO_PAGE_OFFSET; the
    // ring is empty (first == last == 0).
    on_each_node(Ok(None), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let mut vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        vcpu.map_coalesced_mmio_ring().outcome()?;
        vcpu.coalesced_mmio_read()
            .outcome()
            .map(|e| e.map(|e| e.phys_addr))
    });
}

#[test]
fn pages_past_the_mmap_size_raise_sigbus() {
    // kvm_vcpu_mmap() accepts any range (no dirty ring here); kvm_vcpu_fault() sends pages
    // other than 0, 1 (pio), 2 (coalesced MMIO) to kvm_arch_vcpu_fault(): VM_FAULT_SIGBUS on
    // x86. The accesses run in a child, which the signal kills.
    let expected = (
        Exit::Code(0),
        Exit::Signal(libc::SIGBUS),
        Exit::Signal(libc::SIGBUS),
    );
    on_each_node(ok(expected), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        let four = VcpuMap::new(&vcpu, 0, 4)?;
        let dirty = VcpuMap::new(&vcpu, KVM_DIRTY_LOG_PAGE_OFFSET, 1)?;
        let page2 = in_child(|| four.read(2 * PAGE_SIZE) as i32);
        let page3 = in_child(|| four.read(3 * PAGE_SIZE) as i32);
        let dirty_ring = in_child(|| dirty.read(0) as i32);
        Ok((page2, page3, dirty_ring))
    });
}

#[test]
fn vcpu_ioctl_of_another_type_is_einval() {
    // kvm_vcpu_ioctl(): _IOC_TYPE(ioctl) != KVMIO -> -EINVAL.
    on_each_node(fails(libc::EINVAL), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        raw_ioctl(&vcpu, TCGETS, 0)
    });
}

#[test]
fn vcpu_ioctls_from_another_process_are_eio() {
    // kvm_vcpu_ioctl(): vcpu->kvm->mm != current->mm -> -EIO, before anything else.
    on_each_node(Exit::Code(libc::EIO), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        in_child(|| exit_code(raw_ioctl(&vcpu, TCGETS, 0)))
    });
}

#[test]
fn vcpu_outlives_its_vm_fd() {
    // The vCPU file holds a reference to the VM (kvm_get_kvm() before create_vcpu_fd()).
    on_each_node((fails(libc::EINVAL), 0x42u8), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let mut vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        drop(vm);
        vcpu.set_kvm_immediate_exit(0x42);
        (
            raw_ioctl(&vcpu, TCGETS, 0),
            vcpu.get_kvm_run().immediate_exit,
        )
    });
}

#[test]
fn vcpu_file_operations() {
    // kvm_vcpu_fops: no read nor write (EINVAL), .llseek = noop_llseek (0); PROT_EXEC is
    // refused by the VFS (SB_I_NOEXEC anon-inode file system); kvm_vcpu_mmap() takes a
    // MAP_PRIVATE mapping too (only dirty-ring pages must be shared).
    on_each_node(
        (
            (fails(libc::EINVAL), fails(libc::EINVAL), Ok(0)),
            fails(libc::EPERM),
            Ok(()),
        ),
        |kvm| {
            let vm = must(kvm.create_vm(), "create_vm");
            let vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
            let fd = vcpu.as_raw_fd();
            (
                file_ops(fd),
                try_mmap(fd, libc::PROT_READ | libc::PROT_EXEC, libc::MAP_SHARED),
                try_mmap(fd, libc::PROT_READ, libc::MAP_PRIVATE),
            )
        },
    );
}

#[test]
fn a_private_mapping_reads_the_vcpu_pages() {
    // Until a write makes a private copy, a MAP_PRIVATE mapping reads the kernel's pages.
    let immediate_exit = std::mem::offset_of!(kvm_run, immediate_exit);
    on_each_node(ok(0x17u8), |kvm| {
        let vm = must(kvm.create_vm(), "create_vm");
        let mut vcpu = must(vm.create_vcpu(0), "create_vcpu 0");
        vcpu.set_kvm_immediate_exit(0x17);
        let len = PAGE_SIZE;
        // SAFETY: a new mapping, unmapped below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                vcpu.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        // SAFETY: inside the mapping.
        let v = unsafe { p.cast::<u8>().add(immediate_exit).read_volatile() };
        // SAFETY: our own mapping.
        unsafe { libc::munmap(p, len) };
        Ok(v)
    });
}
