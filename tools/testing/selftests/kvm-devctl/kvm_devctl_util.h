/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kvm-devctl selftests.
 */
#ifndef KVM_DEVCTL_UTIL_H
#define KVM_DEVCTL_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

/* The node of the module as loaded by scripts/vm-run. */
#define KVM_DEVCTL_NODE "/dev/kvm-devctl"
/* Where scripts/vm-run puts the module in the guest. */
#define KVM_DEVCTL_KO "/lib/modules/kvm_devctl.ko"

/* Runs a shell command; returns its exit status, or -1 if it did not exit. */
static inline int run(const char *cmd)
{
	int status = system(cmd);

	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Loads the module with the given insmod arguments. */
static inline int module_load(const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "insmod " KVM_DEVCTL_KO " %s", args);
	return run(cmd);
}

/* Opens a node and returns its KVM_GET_API_VERSION, or -errno. */
static inline int api_version_of(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	return r;
}

/* The reference node: real KVM built into the guest kernel. */
#define KVM_NODE "/dev/kvm"

/* The result of one system call: its return value and the errno it left. */
struct sysret {
	long ret;
	int err;
};

/* Evaluates a system call with errno cleared; errno is kept only on failure. */
#define SYS(expr) ({							\
	long __r;							\
	errno = 0;							\
	__r = (long)(expr);						\
	(struct sysret){ .ret = __r, .err = __r == -1 ? errno : 0 };	\
})

/* The symbolic name of an errno value ("EINVAL"), or its number. */
static inline const char *errno_name(int err)
{
	static __thread char buf[16];
	const char *name;

	if (!err)
		return "0";
	name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E#%d", err);
	return buf;
}

/*
 * expr must fail with -1 and errno err: both are checked, errno by name so
 * a failure reads "Expected EINVAL, got ENOTTY".
 */
#define __EXPECT_ERRNO(_err, _expr, _assert) do {			\
	struct sysret __s = SYS(_expr);					\
	if (__s.ret != -1 || __s.err != (_err)) {			\
		TH_LOG("%s: expected -1 %s, got %ld %s", #_expr,	\
		       errno_name(_err), __s.ret, errno_name(__s.err));	\
		_metadata->exit_code = KSFT_FAIL;			\
		if (_assert)						\
			__bail(1, _metadata);				\
	}								\
} while (0)
#define EXPECT_ERRNO(_err, _expr) __EXPECT_ERRNO(_err, _expr, 0)
#define ASSERT_ERRNO(_err, _expr) __EXPECT_ERRNO(_err, _expr, 1)

/* expr must return exactly val (not -1 with an errno). */
#define __EXPECT_RET(_val, _expr, _assert) do {				\
	struct sysret __s = SYS(_expr);					\
	if (__s.ret != (long)(_val)) {					\
		TH_LOG("%s: expected %ld, got %ld %s", #_expr,		\
		       (long)(_val), __s.ret, errno_name(__s.err));	\
		_metadata->exit_code = KSFT_FAIL;			\
		if (_assert)						\
			__bail(1, _metadata);				\
	}								\
} while (0)
#define EXPECT_RET(_val, _expr) __EXPECT_RET(_val, _expr, 0)
#define ASSERT_RET(_val, _expr) __EXPECT_RET(_val, _expr, 1)

/* A value KVM never writes as cd.fd: shows whether cd was copied back. */
#define FD_SENTINEL 0xdeadbeefU

/*
 * Maps a read-only page holding a struct kvm_create_device with fd set to
 * FD_SENTINEL, so that KVM_CREATE_DEVICE cannot copy it back. NULL on
 * failure; munmap() it with getpagesize().
 */
static inline struct kvm_create_device *readonly_cd(__u32 type, __u32 flags)
{
	struct kvm_create_device *cd;

	cd = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cd == MAP_FAILED)
		return NULL;
	*cd = (struct kvm_create_device){ .type = type, .fd = FD_SENTINEL, .flags = flags };
	if (mprotect(cd, getpagesize(), PROT_READ)) {
		munmap(cd, getpagesize());
		return NULL;
	}
	return cd;
}

/* Opens a node as KVM clients do. */
static inline int open_node(const char *path)
{
	return open(path, O_RDWR | O_CLOEXEC);
}

/* True if the node is the reference and the kernel has no real KVM. */
static inline bool kvm_absent(const char *path, int fd)
{
	return fd < 0 && errno == ENOENT && strcmp(path, KVM_NODE) == 0;
}

/* Number of open file descriptors of this process (not counting the scan's). */
static inline int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* True if fd is open in this process. */
static inline bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* The lowest free descriptor number: what the next fd-returning call gets. */
static inline int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* The target of /proc/self/fd/<fd> ("anon_inode:kvm-vm"), or "" on error. */
static inline const char *fd_name(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	return buf;
}

/* KVM_CREATE_DEVICE with the given type and flags; cd is left for inspection. */
static inline int create_device(int vm, __u32 type, __u32 flags,
				struct kvm_create_device *cd)
{
	cd->type = type;
	cd->flags = flags;
	return ioctl(vm, KVM_CREATE_DEVICE, cd);
}

/* One of the device-attribute ioctls on a struct kvm_device_attr. */
static inline int device_attr(int fd, unsigned long req, __u32 group,
			      __u64 attr, __u64 addr)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = addr,
	};

	return ioctl(fd, req, &a);
}

/*
 * A page-aligned region of two pages whose second page is unmapped: a pointer
 * at (end - n) has n readable bytes and faults beyond them.
 */
static inline char *map_guarded_page(void)
{
	char *p = mmap(NULL, 2 * getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + getpagesize(), getpagesize());
	return p;
}

/* An address that was mapped and no longer is. */
static inline void *unmapped_address(void)
{
	void *p = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, getpagesize());
	return p;
}

/*
 * Runs ioctl(fd, req, arg) in a forked child, which shares the descriptor
 * but not the mm, and returns the child's result.
 */
static inline struct sysret child_ioctl(int fd, unsigned long req,
					unsigned long arg)
{
	struct sysret s = { .ret = -2, .err = 0 };
	int p[2];
	pid_t pid;

	if (pipe(p))
		return s;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		s = SYS(ioctl(fd, req, arg));
		if (write(p[1], &s, sizeof(s)) != sizeof(s))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &s, sizeof(s)) != sizeof(s))
		s.ret = -2;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return s;
}

/*
 * NODE_VARIANTS(f): run every TEST_F of fixture f once per node, the
 * module's (variant kvm_devctl) and the real KVM of the same kernel
 * (variant kvm), with variant->path naming it. Needs kselftest_harness.h.
 */
#define NODE_VARIANTS(f)					\
	FIXTURE_VARIANT(f) {					\
		const char *path;				\
	};							\
	FIXTURE_VARIANT_ADD(f, kvm_devctl) {			\
		.path = KVM_DEVCTL_NODE,			\
	};							\
	FIXTURE_VARIANT_ADD(f, kvm) {				\
		.path = KVM_NODE,				\
	}

/*
 * In a FIXTURE_SETUP: open the node at path into sys, skipping the test if
 * it is real KVM and the kernel has none, and failing it otherwise.
 */
#define NODE_OPEN(path, sys) do {					\
	(sys) = open_node(path);					\
	if (kvm_absent(path, sys))					\
		SKIP(return, "no real KVM in this kernel");		\
	ASSERT_LE(0, sys) TH_LOG("open %s: %s", path, strerror(errno));	\
} while (0)

/* In a FIXTURE_SETUP: NODE_OPEN, then create a VM into vm. */
#define NODE_OPEN_VM(path, sys, vm) do {					\
	(vm) = -1;							\
	NODE_OPEN(path, sys);						\
	(vm) = ioctl(sys, KVM_CREATE_VM, 0);				\
	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));	\
} while (0)

/*
 * The module's counts of live objects (src/stats.rs), for leak checks:
 * every VM, vCPU and device that exists, whoever holds it.
 */
#define KVM_DEVCTL_OBJECTS "/sys/kernel/debug/kvm-devctl/objects"

struct objects {
	long vms;
	long vcpus;
	long devices;
};

/* Reads the counts; 0, or -1 with errno (ENOENT without debugfs). */
static inline int objects_read(struct objects *o)
{
	FILE *f = fopen(KVM_DEVCTL_OBJECTS, "re");
	char name[16];
	long v;
	int n = 0;

	if (!f)
		return -1;
	*o = (struct objects){ -1, -1, -1 };
	while (fscanf(f, "%15s %ld", name, &v) == 2) {
		if (!strcmp(name, "vms"))
			o->vms = v, n++;
		else if (!strcmp(name, "vcpus"))
			o->vcpus = v, n++;
		else if (!strcmp(name, "devices"))
			o->devices = v, n++;
	}
	fclose(f);
	if (n != 3) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static inline bool objects_equal(const struct objects *a, const struct objects *b)
{
	return a->vms == b->vms && a->vcpus == b->vcpus && a->devices == b->devices;
}

/* "vms 1 vcpus 0 devices 2", for messages. */
static inline const char *objects_str(const struct objects *o, char *buf, size_t size)
{
	snprintf(buf, size, "vms %ld vcpus %ld devices %ld", o->vms, o->vcpus, o->devices);
	return buf;
}

/* Writes the string s to the file at path (a sysfs or debugfs knob, /dev/kmsg): 0 or -1. */
static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Reads a small file (a knob, a cgroup file) into buf as a string, without
 * its final newline: 0, or -1 with errno.
 */
static inline int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/* Where real KVM creates one "<pid>-<fd>" directory per live VM. */
#define KVM_DEBUGFS "/sys/kernel/debug/kvm"

/* Number of live VMs of real KVM: its per-VM debugfs directories, or -1. */
static inline long kvm_debugfs_vms(void)
{
	DIR *d = opendir(KVM_DEBUGFS);
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && strchr(e->d_name, '-'))
			n++;
	closedir(d);
	return n;
}

/*
 * The live objects behind a node: the module's counts, or for real KVM its
 * VMs (vCPUs and devices are not visible there: -1, which compares equal).
 */
static inline int live_objects(const char *path, struct objects *o)
{
	if (!strcmp(path, KVM_DEVCTL_NODE))
		return objects_read(o);
	*o = (struct objects){ .vms = kvm_debugfs_vms(), .vcpus = -1, .devices = -1 };
	return o->vms < 0 ? -1 : 0;
}

/*
 * The device types a node offers, found by probing every type number below
 * limit with KVM_CREATE_DEVICE_TEST: a new type in the module joins every
 * test that uses this without the test changing. Returns how many were
 * stored in types (at most max), or -1 with errno.
 */
static inline int supported_types(int vm, __u32 limit, __u32 *types, int max)
{
	int n = 0;
	__u32 t;

	for (t = 0; t < limit && n < max; t++) {
		struct kvm_create_device cd = {
			.type = t, .flags = KVM_CREATE_DEVICE_TEST,
		};

		if (!ioctl(vm, KVM_CREATE_DEVICE, &cd))
			types[n++] = t;
		else if (errno != ENODEV)
			return -1;
	}
	return n;
}

#endif /* KVM_DEVCTL_UTIL_H */
