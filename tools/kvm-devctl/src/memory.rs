// SPDX-License-Identifier: GPL-2.0

//! Guest memory: anonymous mappings the CLI allocates for `KVM_SET_USER_MEMORY_REGION`, and
//! the reads, writes and comparisons a script makes of them (the ITS keeps its tables in guest
//! memory).

/// An anonymous, private, read-write mapping, unmapped on drop.
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    /// `mmap(2)` of `len` bytes of zeroed anonymous memory; `Err` is the errno.
    pub fn new(len: usize) -> Result<Self, i32> {
        if len == 0 {
            return Err(libc::EINVAL);
        }
        // SAFETY: a new anonymous mapping at an address of the kernel's choice; no existing
        // memory is touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::ENOMEM));
        }
        Ok(Self { ptr: p.cast(), len })
    }

    /// The address user space sees it at (`userspace_addr`).
    pub fn addr(&self) -> u64 {
        self.ptr as u64
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is `len` bytes, readable, and lives as long as `self`. The
        // kernel may write it (an ITS saving its tables) only during an ioctl of this
        // single-threaded program, never while the slice is alive.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in bytes(), and `&mut self` makes the slice the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    /// The `bytes`-byte little-endian value at `off`, or `None` beyond the end.
    pub fn read(&self, off: u64, bytes: usize) -> Option<u64> {
        let b = self.bytes().get(range(off, bytes)?)?;
        let mut v = [0u8; 8];
        v[..bytes].copy_from_slice(b);
        Some(u64::from_le_bytes(v))
    }

    /// Writes the low `bytes` bytes of `val`, little-endian, at `off`; `None` beyond the end.
    pub fn write(&mut self, off: u64, bytes: usize, val: u64) -> Option<()> {
        let b = self.bytes_mut().get_mut(range(off, bytes)?)?;
        b.copy_from_slice(&val.to_le_bytes()[..bytes]);
        Some(())
    }

    /// Stores `byte` in every byte of `[from, to)`; `None` if `to` is beyond the end.
    pub fn fill(&mut self, from: u64, to: u64, byte: u8) -> Option<()> {
        let from = usize::try_from(from).ok()?;
        let to = usize::try_from(to).ok()?;
        self.bytes_mut().get_mut(from..to)?.fill(byte);
        Some(())
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our mapping, unmapped once; no slice of it outlives `self`.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

fn range(off: u64, bytes: usize) -> Option<std::ops::Range<usize>> {
    let off = usize::try_from(off).ok()?;
    Some(off..off.checked_add(bytes)?)
}

/// The offsets and values of the non-zero u64 words of `mem` in `[from, to)`.
pub fn nonzero_words(mem: &[u8], from: usize, to: usize) -> Vec<(usize, u64)> {
    words(mem, from, to).filter(|w| w.1 != 0).collect()
}

/// The offsets and values (old, new) of the u64 words that differ between `a` and `b` in
/// `[from, to)`, and how many words were compared.
pub fn diff_words(a: &[u8], b: &[u8], from: usize, to: usize) -> (usize, Vec<(usize, u64, u64)>) {
    let mut n = 0;
    let mut diff = Vec::new();
    for ((off, x), (_, y)) in words(a, from, to).zip(words(b, from, to)) {
        n += 1;
        if x != y {
            diff.push((off, x, y));
        }
    }
    (n, diff)
}

fn words(mem: &[u8], from: usize, to: usize) -> impl Iterator<Item = (usize, u64)> + '_ {
    let to = to.min(mem.len());
    (from..to)
        .step_by(8)
        .filter(move |o| o + 8 <= to)
        .map(move |o| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&mem[o..o + 8]);
            (o, u64::from_le_bytes(w))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write() {
        let mut m = Mapping::new(4096).unwrap();
        assert_eq!(m.len(), 4096);
        assert_eq!(m.read(0, 8), Some(0));
        m.write(8, 8, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(m.read(8, 4), Some(0x5566_7788));
        assert_eq!(m.read(12, 2), Some(0x3344));
        assert_eq!(m.read(15, 1), Some(0x11));
        m.write(4094, 2, 0xabcd).unwrap();
        assert_eq!(m.read(4094, 2), Some(0xabcd));
        assert_eq!(m.read(4095, 2), None);
        assert_eq!(m.write(4096, 1, 0), None);
        assert_eq!(m.read(u64::MAX, 8), None);
        assert_eq!(nonzero_words(m.bytes(), 0, 4096).len(), 2);
        assert_eq!(nonzero_words(m.bytes(), 16, 4088), vec![]);
        let n = Mapping::new(4096).unwrap();
        let (count, diff) = diff_words(m.bytes(), n.bytes(), 0, 4096);
        assert_eq!(count, 512);
        assert_eq!(
            diff,
            vec![(8, 0x1122_3344_5566_7788, 0), (4088, 0xabcd << 48, 0)]
        );
        assert_eq!(Mapping::new(0).err(), Some(libc::EINVAL));
        m.fill(0x10, 0x20, 0xa1).unwrap();
        assert_eq!(m.read(0x10, 8), Some(0xa1a1_a1a1_a1a1_a1a1));
        assert_eq!(m.read(0x18, 8), Some(0xa1a1_a1a1_a1a1_a1a1));
        assert_eq!(m.read(0x20, 8), Some(0));
        assert_eq!(m.read(8, 8), Some(0x1122_3344_5566_7788));
        m.fill(8, 0x18, 0).unwrap();
        assert_eq!(
            nonzero_words(m.bytes(), 0, 0x20),
            vec![(0x18, 0xa1a1_a1a1_a1a1_a1a1)]
        );
        m.fill(4096, 4096, 1).unwrap();
        assert_eq!(m.fill(4095, 4097, 1), None);
        assert_eq!(m.fill(u64::MAX, u64::MAX, 1), None);
        assert_eq!(m.read(4088, 8), Some(0xabcd << 48));
    }
}
