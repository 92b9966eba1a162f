// SPDX-License-Identifier: GPL-2.0

//! Shared helpers for the kvm-devctl tests written on `kvm-ioctls`.
//!
//! Every behaviour test is differential: [`on_each_node`] runs the same steps against the real
//! KVM of the guest kernel (`/dev/kvm`, the reference, first) and against the module
//! (`/dev/kvm-devctl`), then asserts that real KVM gives the value the kernel source says it
//! must, and that the module gives the same. The expected values in the tests are read from the
//! pinned kernel source (`virt/kvm/kvm_main.c`, `virt/kvm/vfio.c`, `arch/x86/kvm/x86.c`), never
//! from the module.
//!
//! When the module is not loaded (`scripts/vm-run --no-module`) only real KVM is tested, which
//! checks the tests themselves.

use std::ffi::CStr;
use std::fmt;
use std::os::unix::io::{AsRawFd, RawFd};
use std::panic::{self, AssertUnwindSafe};

use kvm_bindings::{kvm_create_device, kvm_device_attr, kvm_device_type_KVM_DEV_TYPE_VFIO};
use kvm_ioctls::{DeviceFd, Kvm, VmFd};

pub mod arm64;

/// The node of the module, as loaded by `scripts/vm-run`.
pub const KVM_DEVCTL_NODE: &CStr = c"/dev/kvm-devctl";

/// The real KVM of the guest kernel: the reference.
pub const KVM_NODE: &CStr = c"/dev/kvm";

/// Returns whether the guest kernel has real KVM to compare against.
pub fn have_real_kvm() -> bool {
    std::path::Path::new(KVM_NODE.to_str().unwrap_or_default()).exists()
}

/// Returns whether the module is loaded (it is not under `scripts/vm-run --no-module`).
pub fn module_loaded() -> bool {
    std::path::Path::new("/sys/module/kvm_devctl").exists()
}

/// The page size of the guest (x86: 4 KiB).
pub const PAGE_SIZE: usize = 4096;

/// An errno value, shown by its name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// The errno of the last failed system call of this thread.
    pub fn last() -> Self {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The symbolic name, e.g. `EINVAL`, or `errno N` when unknown here.
    pub fn name(self) -> String {
        errno_name(self.0).map_or_else(|| format!("errno {}", self.0), str::to_string)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The errno names that the KVM paths under test can return, and a few more.
pub fn errno_name(e: i32) -> Option<&'static str> {
    Some(match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::EINVAL => "EINVAL",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::ENOTTY => "ENOTTY",
        libc::ENOSPC => "ENOSPC",
        libc::ERANGE => "ERANGE",
        libc::ENOSYS => "ENOSYS",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        _ => return None,
    })
}

/// What an ioctl gave: a value, or the errno it failed with.
pub type Outcome<T = ()> = Result<T, Errno>;

/// The failure `Err(Errno(e))`, for the expected values of the tests.
pub fn fails<T>(e: i32) -> Outcome<T> {
    Err(Errno(e))
}

/// The success `Ok(v)`, for the expected values of the tests.
pub fn ok<T>(v: T) -> Outcome<T> {
    Ok(v)
}

/// Turns a `kvm-ioctls` result into an [`Outcome`].
pub trait ToOutcome<T> {
    /// Keeps the value, or the errno of the error.
    fn outcome(self) -> Outcome<T>;
}

impl<T> ToOutcome<T> for Result<T, kvm_ioctls::Error> {
    fn outcome(self) -> Outcome<T> {
        self.map_err(|e| Errno(e.errno()))
    }
}

/// The value of a setup step that must succeed: panics, naming the step, if it failed.
///
/// Setup steps are not what a test checks, so their failure must not be mistaken for the
/// expected errno of the step under test.
pub fn must<T>(r: Result<T, kvm_ioctls::Error>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("setup step `{what}` failed: {:?}", Errno(e.errno())),
    }
}

/// A KVM node under test.
#[derive(Clone, Copy, Debug)]
pub struct Node {
    /// What the messages call it.
    pub name: &'static str,
    /// Its path.
    pub path: &'static CStr,
}

/// Real KVM: the reference.
pub const REAL_KVM: Node = Node {
    name: "real KVM (/dev/kvm)",
    path: KVM_NODE,
};

/// The module.
pub const MODULE: Node = Node {
    name: "the module (/dev/kvm-devctl)",
    path: KVM_DEVCTL_NODE,
};

impl Node {
    /// Opens the node as a VMM would: `Kvm::new_with_path()`.
    pub fn open(&self) -> Kvm {
        match Kvm::new_with_path(self.path) {
            Ok(kvm) => kvm,
            Err(e) => panic!("{}: open failed: {:?}", self.name, Errno(e.errno())),
        }
    }

    /// Runs `steps` on a fresh `Kvm` of this node; a panic in them is re-raised with the name
    /// of the node.
    pub fn run<T>(&self, steps: impl Fn(&Kvm) -> T) -> T {
        let kvm = self.open();
        match panic::catch_unwind(AssertUnwindSafe(|| steps(&kvm))) {
            Ok(v) => v,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "(non-string panic)".to_string());
                panic!("on {}: {msg}", self.name)
            }
        }
    }
}

/// The nodes to test, real KVM first; the module only when it is loaded.
pub fn nodes() -> Vec<Node> {
    assert!(
        have_real_kvm(),
        "the guest has no /dev/kvm: the tests need real KVM as their reference"
    );
    let mut nodes = vec![REAL_KVM];
    if module_loaded() {
        nodes.push(MODULE);
    } else {
        eprintln!("note: kvm_devctl is not loaded; testing real KVM only");
    }
    nodes
}

/// Runs `steps` against each node (a fresh `Kvm` each) and asserts that real KVM gives
/// `expected` and that the module gives what real KVM gives.
pub fn on_each_node<T, F>(expected: T, steps: F)
where
    T: PartialEq + fmt::Debug,
    F: Fn(&Kvm) -> T,
{
    let mut reference = None;
    for node in nodes() {
        let got = node.run(&steps);
        match &reference {
            None => {
                assert!(
                    got == expected,
                    "{} does not behave as the kernel source says (the test is wrong?)\n  \
                     expected: {expected:?}\n  got:      {got:?}",
                    node.name
                );
                reference = Some(got);
            }
            Some(real) => assert!(
                got == *real,
                "{} differs from real KVM\n  expected (kernel source, real KVM agrees): \
                 {expected:?}\n  real KVM: {real:?}\n  module:   {got:?}",
                node.name
            ),
        }
    }
}

/// Like [`on_each_node`], for a deliberate difference of the module that the project's
/// `Documentation/api.rst` (section 8) documents: real KVM must give `real` (from the kernel
/// source), and the module `module` (from the section `why` names).
pub fn on_each_node_differing<T, F>(real: T, module: T, why: &str, steps: F)
where
    T: PartialEq + fmt::Debug,
    F: Fn(&Kvm) -> T,
{
    for node in nodes() {
        let got = node.run(&steps);
        let (expected, source) = if node.path == REAL_KVM.path {
            (&real, "the kernel source")
        } else {
            (&module, why)
        };
        assert!(
            got == *expected,
            "{} does not behave as {source} says\n  expected: {expected:?}\n  got:      \
             {got:?}\n  (real KVM: {real:?}; the module, deliberately: {module:?})",
            node.name
        );
    }
}

/// What an open fd links to in `/proc/self/fd`, or `None` if the fd is not open.
pub fn open_fd_link(fd: RawFd) -> Option<String> {
    fd_mode(fd).ok().map(|_| fd_link(fd))
}

/// `read(2)`, `write(2)` of one byte and `lseek(fd, 100, SEEK_SET)` on a fd.
pub fn file_ops(fd: RawFd) -> (Outcome<isize>, Outcome<isize>, Outcome<i64>) {
    let mut b = [0u8; 1];
    // SAFETY: one byte into our buffer.
    let r = unsafe { libc::read(fd, b.as_mut_ptr().cast(), 1) };
    let r = if r < 0 { Err(Errno::last()) } else { Ok(r) };
    // SAFETY: one byte from our buffer.
    let w = unsafe { libc::write(fd, b.as_ptr().cast(), 1) };
    let w = if w < 0 { Err(Errno::last()) } else { Ok(w) };
    // SAFETY: no memory involved.
    let l = unsafe { libc::lseek(fd, 100, libc::SEEK_SET) };
    let l = if l < 0 { Err(Errno::last()) } else { Ok(l) };
    (r, w, l)
}

/// `mmap(2)` of one page of `fd` at offset 0 with `prot` and `flags`; unmapped at once.
pub fn try_mmap(fd: RawFd, prot: i32, flags: i32) -> Outcome {
    // SAFETY: a new mapping, unmapped before returning.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), PAGE_SIZE, prot, flags, fd, 0) };
    if p == libc::MAP_FAILED {
        return Err(Errno::last());
    }
    // SAFETY: our own mapping.
    unsafe { libc::munmap(p, PAGE_SIZE) };
    Ok(())
}

/// What `/proc/self/fd/FD` links to, e.g. `anon_inode:kvm-vm`.
pub fn fd_link(fd: RawFd) -> String {
    match std::fs::read_link(format!("/proc/self/fd/{fd}")) {
        Ok(p) => p.to_string_lossy().into_owned(),
        Err(e) => format!("<{e}>"),
    }
}

/// The close-on-exec flag and the access mode (`O_RDONLY`, `O_WRONLY` or `O_RDWR`) of a fd.
pub fn fd_mode(fd: RawFd) -> Outcome<(bool, i32)> {
    // SAFETY: fcntl on any fd number is memory-safe.
    let fdflags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if fdflags < 0 {
        return Err(Errno::last());
    }
    // SAFETY: as above.
    let flflags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flflags < 0 {
        return Err(Errno::last());
    }
    Ok((fdflags & libc::FD_CLOEXEC != 0, flflags & libc::O_ACCMODE))
}

/// A raw `ioctl(fd, request, arg)`, for what `kvm-ioctls` cannot express (bad pointers,
/// unknown requests, arguments it never passes).
pub fn raw_ioctl(fd: &impl AsRawFd, request: u64, arg: u64) -> Outcome<i32> {
    // SAFETY: the callers pass either integers or pointers that the kernel only reads, or
    // that point to memory at least as large as what the request writes.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// How a child process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this status.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
}

/// Runs `f` in a forked child (another process, hence another `mm`) and returns how it ended:
/// `Exit::Code(f())` unless a signal killed it.
///
/// `f` must only make system calls: the child of a multi-threaded parent must not allocate.
pub fn in_child(f: impl FnOnce() -> i32) -> Exit {
    // SAFETY: the child only runs `f` (system calls) and `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed: {:?}", Errno::last());
    if pid == 0 {
        let code = f();
        // SAFETY: ends the child without running the parent's atexit handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid, "waitpid failed: {:?}", Errno::last());
    if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(libc::WEXITSTATUS(status))
    }
}

/// The exit status that carries an [`Outcome`] out of [`in_child`]: 0 for success, the errno
/// otherwise.
pub fn exit_code(o: Outcome<impl Sized>) -> i32 {
    match o {
        Ok(_) => 0,
        Err(Errno(e)) => e,
    }
}

/// Builds a table of `f(x, y)` for every `x` of `xs` and `y` of `ys`, keyed by `(x, y)`: the
/// expected and the observed answers of a test that tries several requests on several values.
pub fn grid<X: Copy, Y: Copy, R>(
    xs: &[X],
    ys: &[Y],
    mut f: impl FnMut(X, Y) -> R,
) -> Vec<((X, Y), R)> {
    xs.iter()
        .flat_map(|&x| ys.iter().map(move |&y| (x, y)))
        .map(|(x, y)| ((x, y), f(x, y)))
        .collect()
}

/// A `kvm_device_attr` with no flags.
pub fn attr(group: u32, attr: u64, addr: u64) -> kvm_device_attr {
    kvm_device_attr {
        flags: 0,
        group,
        attr,
        addr,
    }
}

/// Creates the kvm-vfio device of `vm` through `VmFd::create_device()`.
pub fn create_vfio(vm: &VmFd) -> Outcome<DeviceFd> {
    let mut cd = kvm_create_device {
        type_: kvm_device_type_KVM_DEV_TYPE_VFIO,
        fd: 0,
        flags: 0,
    };
    vm.create_device(&mut cd).outcome()
}

/// `VmFd::create_device()` with the given flags, made safe for `KVM_CREATE_DEVICE_TEST`.
///
/// With the test flag the kernel creates no file and copies `fd` back unchanged
/// (`kvm_ioctl_create_device()` returns before `anon_inode_getfd()`), but `kvm-ioctls` still
/// wraps `fd` into the `DeviceFd` it returns, and closes it on drop: with the usual `fd: 0` that
/// would close stdin. So `fd` is set to a placeholder file of ours, which the `DeviceFd` then
/// owns. Returns the anon-inode name of the fd the call returned, or `"placeholder"` when it is
/// our placeholder, untouched.
pub fn create_device_flags(vm: &VmFd, type_: u32, flags: u32) -> Outcome<String> {
    use std::os::unix::io::IntoRawFd;
    let placeholder = std::fs::File::open("/dev/null")
        .expect("open /dev/null")
        .into_raw_fd();
    let mut cd = kvm_create_device {
        type_,
        fd: placeholder as u32,
        flags,
    };
    let result = vm.create_device(&mut cd).outcome();
    // The placeholder is ours to close unless the returned DeviceFd owns it.
    let close_placeholder = match &result {
        Ok(dev) => dev.as_raw_fd() != placeholder,
        Err(_) => true,
    };
    let named = result.map(|dev| {
        if dev.as_raw_fd() == placeholder {
            "placeholder".to_string()
        } else {
            fd_link(dev.as_raw_fd())
        }
    });
    if close_placeholder {
        // SAFETY: our own fd, not owned by anything else.
        unsafe { libc::close(placeholder) };
    }
    named
}

/// Two anonymous pages, the first read-write and the second inaccessible: `edge(n)` is an
/// address `n` bytes before the end of the accessible page, so that an access of more than `n`
/// bytes there faults.
pub struct GuardedPage {
    base: *mut u8,
}

impl GuardedPage {
    /// Maps the two pages.
    pub fn new() -> Self {
        // SAFETY: a fresh anonymous mapping, owned by the returned value.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                2 * PAGE_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap failed: {:?}", Errno::last());
        // SAFETY: the second page of our own mapping.
        let r = unsafe {
            libc::mprotect(
                base.cast::<u8>().add(PAGE_SIZE).cast(),
                PAGE_SIZE,
                libc::PROT_NONE,
            )
        };
        assert_eq!(r, 0, "mprotect failed: {:?}", Errno::last());
        GuardedPage { base: base.cast() }
    }

    /// The address `n` bytes before the inaccessible page.
    pub fn edge(&self, n: usize) -> u64 {
        assert!(n <= PAGE_SIZE);
        self.base as u64 + (PAGE_SIZE - n) as u64
    }

    /// The first address of the inaccessible page.
    pub fn fault_addr(&self) -> u64 {
        self.edge(0)
    }

    /// Writes `bytes` so that they end exactly at the inaccessible page.
    pub fn put_at_edge(&self, bytes: &[u8]) -> u64 {
        let addr = self.edge(bytes.len());
        // SAFETY: `addr..addr + len` is inside the accessible page.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
        addr
    }
}

impl Default for GuardedPage {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for GuardedPage {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.base.cast(), 2 * PAGE_SIZE) };
    }
}

/// A pipe, as an ordinary file that is not a VFIO file; closed on drop.
pub struct Pipe {
    /// The read end.
    pub read: RawFd,
    /// The write end.
    pub write: RawFd,
}

impl Pipe {
    /// Creates the pipe.
    pub fn new() -> Self {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two fds.
        let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        assert_eq!(r, 0, "pipe2 failed: {:?}", Errno::last());
        Pipe {
            read: fds[0],
            write: fds[1],
        }
    }
}

impl Default for Pipe {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        // SAFETY: our own fds.
        unsafe {
            libc::close(self.read);
            libc::close(self.write);
        }
    }
}

/// A fd number that is not open in this process: the lowest free one, closed again.
pub fn closed_fd() -> RawFd {
    // SAFETY: dup of stderr returns a fresh fd that we close immediately.
    let fd = unsafe { libc::dup(2) };
    assert!(fd >= 0, "dup failed: {:?}", Errno::last());
    // SAFETY: our own fd.
    unsafe { libc::close(fd) };
    fd
}

/// A second, independent open file of the node of `kvm` (through `/proc/self/fd`).
pub fn reopen(kvm: &Kvm) -> Kvm {
    let path = std::ffi::CString::new(format!("/proc/self/fd/{}", kvm.as_raw_fd())).unwrap();
    must(Kvm::new_with_path(path), "open the node again")
}
