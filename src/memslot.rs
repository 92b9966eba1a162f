// SPDX-License-Identifier: GPL-2.0

//! The guest memory of a VM: its memslots (C: `struct kvm_memslots`), one set per VM.
//!
//! C: `kvm_vm_ioctl_set_memory_region()`, `kvm_set_memory_region()`,
//! `check_memory_region_flags()`, `kvm_read_guest()`, `kvm_write_guest()` in
//! [`virt/kvm/kvm_main.c`](srctree/virt/kvm/kvm_main.c); arm64's
//! `kvm_arch_prepare_memory_region()` in [`arch/arm64/kvm/mmu.c`](srctree/arch/arm64/kvm/mmu.c).
//!
//! kvm-devctl runs no guest, so a memslot is only what `KVM_SET_USER_MEMORY_REGION` said: a
//! range of guest-physical addresses backed by a range of the creator's user memory. Device
//! models (the ITS and the LPI pending tables) read and write guest memory through
//! [`Memslots::read_guest`] and [`Memslots::write_guest`], which copy from and to that user
//! memory as C's `kvm_read_guest()` does, so they must run in the creator's process (every VM,
//! vCPU and device ioctl is refused elsewhere).

use kernel::{
    kvm::kvm_userspace_memory_region,
    page::{
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi,
};

/// The number of memslots user space may use per address space (C: `KVM_USER_MEM_SLOTS`,
/// `SHRT_MAX` on arm64, which has no internal slots).
pub(crate) const KVM_USER_MEM_SLOTS: usize = 32767;
/// The most pages one memslot may have (C: `KVM_MEM_MAX_NR_PAGES`).
const KVM_MEM_MAX_NR_PAGES: u64 = (1 << 31) - 1;
/// The flags `KVM_SET_USER_MEMORY_REGION` accepts (C: `KVM_SET_USER_MEMORY_REGION_V1_FLAGS`).
const V1_FLAGS: u32 = uapi::KVM_MEM_LOG_DIRTY_PAGES | uapi::KVM_MEM_READONLY;
/// The mask of page offsets.
const PAGE_MASK: u64 = PAGE_SIZE as u64 - 1;

/// One memslot (C: `struct kvm_memory_slot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Memslot {
    /// The slot id within address space 0 (C: `slot->id`).
    id: u16,
    /// `KVM_MEM_*` flags.
    flags: u32,
    /// The first guest page (C: `base_gfn`).
    base_gfn: u64,
    /// The number of pages, never 0.
    npages: u64,
    /// The user address backing the first page.
    userspace_addr: u64,
}

impl Memslot {
    /// Returns whether the slot covers guest page `gfn`.
    fn covers(&self, gfn: u64) -> bool {
        gfn >= self.base_gfn && gfn - self.base_gfn < self.npages
    }
}

/// The memslots of a VM (C: `kvm->memslots[0]` under `kvm->slots_lock`).
///
/// # Invariants
///
/// No two slots share an id or overlap in guest-physical space; every slot ends within the
/// VM's IPA space.
pub(crate) struct Memslots {
    /// The slots, in no order.
    slots: KVec<Memslot>,
    /// The guest-physical address size in bits (C: `kvm_phys_size()`).
    ipa_bits: u32,
}

/// The kind of change a memslot request makes (C: `enum kvm_mr_change`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Change {
    Create,
    Move,
    FlagsOnly,
}

impl Memslots {
    /// Creates the empty set of a VM whose guest-physical space has `ipa_bits` bits.
    pub(crate) fn new(ipa_bits: u32) -> Self {
        Self {
            slots: KVec::new(),
            ipa_bits,
        }
    }

    /// `KVM_SET_USER_MEMORY_REGION` (C: `kvm_vm_ioctl()`'s case, then
    /// `kvm_vm_ioctl_set_memory_region()` and `kvm_set_memory_region()`).
    ///
    /// # Errors
    ///
    /// `EINVAL` for an unknown flag, a slot id of `KVM_USER_MEM_SLOTS` or more, an address
    /// space other than 0, an unaligned size, guest address or user address, a wrapping
    /// range, too many pages, deleting an empty slot, changing the size, user address or
    /// read-only flag of a slot; `EEXIST` if a new or moved slot overlaps another; `EFAULT`
    /// if it ends beyond the IPA space (arm64's `kvm_arch_prepare_memory_region()`);
    /// `ENOMEM`.
    pub(crate) fn set(&mut self, mem: &kvm_userspace_memory_region) -> Result {
        if mem.flags & !V1_FLAGS != 0 {
            return Err(EINVAL);
        }
        // C: `(u16)mem->slot >= KVM_USER_MEM_SLOTS`, then the address space `slot >> 16`.
        let id = mem.slot as u16;
        if usize::from(id) >= KVM_USER_MEM_SLOTS {
            return Err(EINVAL);
        }
        if mem.memory_size & PAGE_MASK != 0 || mem.guest_phys_addr & PAGE_MASK != 0 {
            return Err(EINVAL);
        }
        // C also asks `access_ok()`; an address past the user range fails when it is read.
        if mem.userspace_addr & PAGE_MASK != 0
            || mem.userspace_addr.checked_add(mem.memory_size).is_none()
        {
            return Err(EINVAL);
        }
        // arm64 has one address space (C: `kvm_arch_nr_memslot_as_ids()`).
        if mem.slot >> 16 != 0 {
            return Err(EINVAL);
        }
        let end = mem
            .guest_phys_addr
            .checked_add(mem.memory_size)
            .ok_or(EINVAL)?;
        let npages = mem.memory_size >> PAGE_SHIFT;
        if npages > KVM_MEM_MAX_NR_PAGES {
            return Err(EINVAL);
        }
        let old = self.slots.iter().position(|s| s.id == id);

        if npages == 0 {
            // Delete (C: `KVM_MR_DELETE`).
            let i = old.ok_or(EINVAL)?;
            self.slots.remove(i)?;
            return Ok(());
        }
        let base_gfn = mem.guest_phys_addr >> PAGE_SHIFT;
        let change = match old.map(|i| self.slots[i]) {
            None => Change::Create,
            Some(o) => {
                if mem.userspace_addr != o.userspace_addr
                    || npages != o.npages
                    || (mem.flags ^ o.flags) & uapi::KVM_MEM_READONLY != 0
                {
                    return Err(EINVAL);
                }
                if base_gfn != o.base_gfn {
                    Change::Move
                } else if mem.flags != o.flags {
                    Change::FlagsOnly
                } else {
                    return Ok(());
                }
            }
        };
        if matches!(change, Change::Create | Change::Move)
            && self.slots.iter().any(|s| {
                s.id != id && base_gfn < s.base_gfn + s.npages && s.base_gfn < base_gfn + npages
            })
        {
            return Err(EEXIST);
        }
        // C: arm64's `kvm_arch_prepare_memory_region()`.
        if end > 1u64 << self.ipa_bits {
            return Err(EFAULT);
        }
        let slot = Memslot {
            id,
            flags: mem.flags,
            base_gfn,
            npages,
            userspace_addr: mem.userspace_addr,
        };
        match old {
            Some(i) => self.slots[i] = slot,
            None => self.slots.push(slot, GFP_KERNEL_ACCOUNT)?,
        }
        Ok(())
    }

    /// Returns the user address of `gpa` and how many bytes from it, up to `len`, lie in the
    /// same page of one slot (C: `__gfn_to_hva_many()` for one page).
    fn hva(&self, gpa: u64, len: usize, write: bool) -> Result<(usize, usize)> {
        let gfn = gpa >> PAGE_SHIFT;
        let slot = self.slots.iter().find(|s| s.covers(gfn)).ok_or(EFAULT)?;
        // C: `KVM_HVA_ERR_RO_BAD` for a write to a read-only slot.
        if write && slot.flags & uapi::KVM_MEM_READONLY != 0 {
            return Err(EFAULT);
        }
        let offset = gpa & PAGE_MASK;
        let hva = slot.userspace_addr + ((gfn - slot.base_gfn) << PAGE_SHIFT) + offset;
        // CAST: the page remainder is less than PAGE_SIZE.
        let chunk = len.min((PAGE_SIZE as u64 - offset) as usize);
        Ok((usize::try_from(hva).map_err(|_| EFAULT)?, chunk))
    }

    /// Returns whether a slot covers guest address `gpa` (C: `kvm_is_visible_gfn()`: every
    /// slot of address space 0 is a user slot, and none is being deleted under the lock).
    pub(crate) fn is_visible(&self, gpa: u64) -> bool {
        let gfn = gpa >> PAGE_SHIFT;
        self.slots.iter().any(|s| s.covers(gfn))
    }

    /// Reads guest memory at `gpa` into `buf`, page by page (C: `kvm_read_guest()`).
    ///
    /// # Errors
    ///
    /// `EFAULT` where no slot covers an address or its user memory cannot be read.
    pub(crate) fn read_guest(&self, gpa: u64, buf: &mut [u8]) -> Result {
        let mut done = 0;
        while done < buf.len() {
            let at = gpa.checked_add(done as u64).ok_or(EFAULT)?;
            let (hva, n) = self.hva(at, buf.len() - done, false)?;
            UserSlice::new(UserPtr::from_addr(hva), n)
                .reader()
                .read_slice(&mut buf[done..done + n])?;
            done += n;
        }
        Ok(())
    }

    /// Writes `buf` to guest memory at `gpa`, page by page (C: `kvm_write_guest()`).
    ///
    /// # Errors
    ///
    /// `EFAULT` where no slot covers an address, the slot is read-only, or its user memory
    /// cannot be written.
    pub(crate) fn write_guest(&self, gpa: u64, buf: &[u8]) -> Result {
        let mut done = 0;
        while done < buf.len() {
            let at = gpa.checked_add(done as u64).ok_or(EFAULT)?;
            let (hva, n) = self.hva(at, buf.len() - done, true)?;
            UserSlice::new(UserPtr::from_addr(hva), n)
                .writer()
                .write_slice(&buf[done..done + n])?;
            done += n;
        }
        Ok(())
    }
}

#[cfg(kvm_devctl_kunit)]
#[kernel::prelude::kunit_tests(kvm_devctl_memslot)]
mod tests {
    use super::*;

    fn region(
        slot: u32,
        flags: u32,
        gpa: u64,
        size: u64,
        uaddr: u64,
    ) -> kvm_userspace_memory_region {
        kvm_userspace_memory_region {
            slot,
            flags,
            guest_phys_addr: gpa,
            memory_size: size,
            userspace_addr: uaddr,
        }
    }

    /// The sequence of the golden transcript's memslot section (vgic_its.txt).
    #[test]
    fn arm64_rules() {
        let mut m = Memslots::new(40);
        let u = 0x7f00_0000_0000u64;
        assert_eq!(m.set(&region(0, 0, 0x4000_0000, 0x10_0000, u)), Ok(()));
        assert_eq!(m.set(&region(1, 0, 0x4010_0800, 0x10_0000, u)), Err(EINVAL));
        assert_eq!(m.set(&region(1, 0, 0x4010_0000, 0x10_0800, u)), Err(EINVAL));
        assert_eq!(
            m.set(&region(1, 0, 0x4010_0000, 0x10_0000, u + 8)),
            Err(EINVAL)
        );
        assert_eq!(m.set(&region(1, 0, 0x4008_0000, 0x10_0000, u)), Err(EEXIST));
        assert_eq!(
            m.set(&region(1, 0x80, 0x4010_0000, 0x10_0000, u)),
            Err(EINVAL)
        );
        assert_eq!(m.set(&region(1, 1, 0x4010_0000, 0x10_0000, u)), Ok(()));
        assert_eq!(m.set(&region(1, 0, 0, 0, 0)), Ok(()));
        assert_eq!(m.set(&region(1, 2, 0x4010_0000, 0x10_0000, u)), Ok(()));
        assert_eq!(m.set(&region(1, 0, 0x4010_0000, 0x20_0000, u)), Err(EINVAL));
        assert_eq!(m.set(&region(1, 0, 0x4020_0000, 0x10_0000, u)), Err(EINVAL));
        assert_eq!(m.set(&region(2, 0, 0xff_fff0_0000, 0x10_0000, u)), Ok(()));
        assert_eq!(m.set(&region(3, 0, 1 << 40, 0x10_0000, u)), Err(EFAULT));
        assert_eq!(
            m.set(&region(3, 0, 0xff_fff8_0000, 0x10_0000, u)),
            Err(EEXIST)
        );
        assert_eq!(m.set(&region(7, 0, 0, 0, 0)), Err(EINVAL));
        assert_eq!(
            m.set(&region(32767, 0, 0x4030_0000, 0x10_0000, u)),
            Err(EINVAL)
        );
        assert_eq!(
            m.set(&region(65536, 0, 0x4030_0000, 0x10_0000, u)),
            Err(EINVAL)
        );
        assert_eq!(m.set(&region(0, 0, 0x4000_0000, 0x10_0000, u)), Ok(()));
    }

    #[test]
    fn hva_lookup() {
        let mut m = Memslots::new(40);
        assert_eq!(m.set(&region(0, 2, 0x4000_0000, 0x2000, 0x10_0000)), Ok(()));
        assert_eq!(m.hva(0x4000_1ff0, 64, false), Ok((0x10_1ff0, 16)));
        assert_eq!(m.hva(0x4000_1ff0, 64, true), Err(EFAULT));
        assert_eq!(m.hva(0x4000_2000, 4, false), Err(EFAULT));
        let mut buf = [0u8; 4];
        assert_eq!(m.read_guest(0x3fff_fffe, &mut buf), Err(EFAULT));
        assert!(m.is_visible(0x4000_1fff));
        assert!(!m.is_visible(0x4000_2000));
        assert!(!m.is_visible(0x3fff_ffff));
    }
}
