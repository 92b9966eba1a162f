// SPDX-License-Identifier: GPL-2.0
/*
 * transcript NODE: a fixed, deterministic sequence of calls on the generic
 * device-control paths and kvm-vfio, run against one node (/dev/kvm or
 * /dev/kvm-devctl), one line per call:
 *
 *	<description> => <result>
 *
 * where <result> is the return value ("fd" for a new file descriptor, never
 * its number) followed by the errno name when the call failed, or a value
 * the call produced (a /proc/self/fd name, an fd count delta). Descriptions
 * are unique and do not depend on the node, so two transcripts compare
 * line by line (differential_test.c does that). The sequence goes on after
 * any failure: a refused call leaves -1 where an fd would be, and the later
 * lines show what that leads to.
 *
 * differential_test.c also #includes this file with TRANSCRIPT_NO_MAIN to
 * run the same sequence itself when ./transcript was not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm_devctl_util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

enum t_kind {
	T_NUM,	/* the return value is a number */
	T_FD,	/* the return value is a new fd: printed as "fd" */
};

static FILE *t_out;

/* Prints "<desc> => <result>" for one call and returns its return value. */
static long __attribute__((format(printf, 3, 4)))
t_rec(enum t_kind kind, struct sysret s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(t_out, fmt, ap);
	va_end(ap);
	if (s.ret == -1)
		fprintf(t_out, " => -1 %s\n", errno_name(s.err));
	else if (kind == T_FD && s.ret >= 0)
		fprintf(t_out, " => fd\n");
	else
		fprintf(t_out, " => %ld\n", s.ret);
	return s.ret;
}

/* Prints "<desc> => <text>" for an observation that is not a call. */
static void __attribute__((format(printf, 2, 3)))
t_note(const char *text, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(t_out, fmt, ap);
	va_end(ap);
	fprintf(t_out, " => %s\n", text);
}

#define T_CALL(kind, expr, ...) t_rec(kind, SYS(expr), __VA_ARGS__)

/* The fd's FD_CLOEXEC, access mode and /proc/self/fd name. */
static void t_fd_props(int fd, const char *what)
{
	char buf[128];

	T_CALL(T_NUM, fcntl(fd, F_GETFD), "%s: fcntl(F_GETFD)", what);
	T_CALL(T_NUM, fcntl(fd, F_GETFL) == -1 ? -1 : fcntl(fd, F_GETFL) & O_ACCMODE,
	       "%s: fcntl(F_GETFL) & O_ACCMODE", what);
	fd_name(fd, buf, sizeof(buf));
	t_note(buf[0] ? buf : "(not open)", "%s: /proc/self/fd name", what);
}

/* The fd count delta since before, as "+1", "0", "-1". */
static void t_fd_delta(int before, const char *what)
{
	int delta = count_fds() - before;
	char buf[16];

	snprintf(buf, sizeof(buf), delta ? "%+d" : "%d", delta);
	t_note(buf, "%s: open fd count delta", what);
}

/*
 * KVM_CREATE_DEVICE with type and flags; prints the result and whether
 * cd.fd was written. Returns the new fd or -1.
 */
static int t_create(int vm, __u32 type, __u32 flags, const char *what)
{
	struct kvm_create_device cd = { .type = type, .fd = FD_SENTINEL, .flags = flags };
	long r;

	r = T_CALL(T_NUM, ioctl(vm, KVM_CREATE_DEVICE, &cd),
		   "%s: KVM_CREATE_DEVICE type=%#x flags=%#x", what, type, flags);
	t_note(cd.fd == FD_SENTINEL ? "unchanged" : "written",
	       "%s: KVM_CREATE_DEVICE type=%#x flags=%#x cd.fd", what, type, flags);
	if (r == 0 && cd.fd != FD_SENTINEL)
		return cd.fd;
	return -1;
}

/* One attribute ioctl with a struct kvm_device_attr. */
static long t_attr(int dev, unsigned long req, const char *rname, __u32 group,
		   __u64 attr, __u64 addr, const char *addr_desc, const char *what)
{
	return T_CALL(T_NUM, device_attr(dev, req, group, attr, addr),
		      "%s: %s group=%#x attr=%#llx addr=%s", what, rname, group,
		      (unsigned long long)attr, addr_desc);
}

#define T_HAS(dev, g, a, addr, ad, what) \
	t_attr(dev, KVM_HAS_DEVICE_ATTR, "HAS", g, a, addr, ad, what)
#define T_SET(dev, g, a, addr, ad, what) \
	t_attr(dev, KVM_SET_DEVICE_ATTR, "SET", g, a, addr, ad, what)
#define T_GET(dev, g, a, addr, ad, what) \
	t_attr(dev, KVM_GET_DEVICE_ATTR, "GET", g, a, addr, ad, what)

/* An ioctl from a forked child (other mm, same fds). */
static void t_child(enum t_kind kind, int fd, unsigned long req,
		    unsigned long arg, const char *desc)
{
	struct sysret s = child_ioctl(fd, req, arg);

	t_rec(kind, s, "forked child: %s", desc);
}

/* read, write, lseek and mmap on an fd. */
static void t_file_ops(int fd, const char *what)
{
	int psz = getpagesize();
	char buf[8] = { 0 };

	T_CALL(T_NUM, read(fd, buf, sizeof(buf)), "%s: read 8", what);
	T_CALL(T_NUM, write(fd, buf, sizeof(buf)), "%s: write 8", what);
	T_CALL(T_NUM, lseek(fd, 0, SEEK_SET), "%s: lseek 0 SEEK_SET", what);
	T_CALL(T_NUM, mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0,
	       "%s: mmap PROT_READ MAP_SHARED", what);
	T_CALL(T_NUM, mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	       MAP_FAILED ? -1 : 0, "%s: mmap PROT_READ|PROT_WRITE MAP_SHARED", what);
	T_CALL(T_NUM, mmap(NULL, psz, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0,
	       "%s: mmap PROT_READ MAP_PRIVATE", what);
	T_CALL(T_NUM, mmap(NULL, psz, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0) ==
	       MAP_FAILED ? -1 : 0, "%s: mmap PROT_READ|PROT_EXEC MAP_SHARED", what);
}

static void t_system(int sys)
{
	T_CALL(T_NUM, ioctl(sys, KVM_GET_API_VERSION, 0), "system: KVM_GET_API_VERSION 0");
	T_CALL(T_NUM, ioctl(sys, KVM_GET_API_VERSION, 1), "system: KVM_GET_API_VERSION 1");
	T_CALL(T_NUM, ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL),
	       "system: KVM_CHECK_EXTENSION KVM_CAP_DEVICE_CTRL");
	T_CALL(T_NUM, ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0), "system: KVM_GET_VCPU_MMAP_SIZE 0");
	T_CALL(T_NUM, ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 1), "system: KVM_GET_VCPU_MMAP_SIZE 1");
	T_CALL(T_NUM, ioctl(sys, _IO(KVMIO, 0xff), 0), "system: ioctl _IO(KVMIO, 0xff)");
	T_CALL(T_NUM, ioctl(sys, _IOW('x', 1, int), 0), "system: ioctl _IOW('x', 1, int)");
	T_CALL(T_NUM, ioctl(sys, KVM_CREATE_DEVICE, 0), "system: KVM_CREATE_DEVICE NULL");
	T_CALL(T_NUM, ioctl(sys, KVM_HAS_DEVICE_ATTR, 0), "system: KVM_HAS_DEVICE_ATTR NULL");
	T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, 1), "system: KVM_CREATE_VM 1");
	T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, 2), "system: KVM_CREATE_VM 2");
	T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, 32), "system: KVM_CREATE_VM 32");
	T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, 0xffffffffUL), "system: KVM_CREATE_VM 0xffffffff");
	T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, ~0UL), "system: KVM_CREATE_VM ~0");
	t_file_ops(sys, "system");
}

static void t_vm(int vm)
{
	T_CALL(T_NUM, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL),
	       "vm: KVM_CHECK_EXTENSION KVM_CAP_DEVICE_CTRL");
	T_CALL(T_NUM, ioctl(vm, _IO(KVMIO, 0xff), 0), "vm: ioctl _IO(KVMIO, 0xff)");
	T_CALL(T_NUM, ioctl(vm, _IOW('x', 1, int), 0), "vm: ioctl _IOW('x', 1, int)");
	T_CALL(T_NUM, ioctl(vm, KVM_GET_API_VERSION, 0), "vm: KVM_GET_API_VERSION 0");
	T_CALL(T_NUM, ioctl(vm, KVM_GET_VCPU_MMAP_SIZE, 0), "vm: KVM_GET_VCPU_MMAP_SIZE 0");
	T_CALL(T_FD, ioctl(vm, KVM_CREATE_VM, 0), "vm: KVM_CREATE_VM 0");
	T_CALL(T_NUM, ioctl(vm, KVM_GET_DEVICE_ATTR, 0), "vm: KVM_GET_DEVICE_ATTR NULL");
	t_file_ops(vm, "vm");
}

/* Every type of the table and beyond, with TEST and without. */
static void t_types(int vm)
{
	static const __u32 big[] = { 0x10000, 0x80000000U, 0x80000004U, 0xffffffffU };
	char what[32];
	__u32 type;
	size_t i;
	int fd;

	for (type = 0; type <= 20; type++) {
		t_create(vm, type, KVM_CREATE_DEVICE_TEST, "types");
		fd = t_create(vm, type, 0, "types");
		if (fd >= 0) {
			snprintf(what, sizeof(what), "types: type=%#x fd", type);
			t_fd_props(fd, what);
			T_CALL(T_NUM, close(fd), "%s: close", what);
		}
	}
	for (i = 0; i < ARRAY_SIZE(big); i++) {
		t_create(vm, big[i], KVM_CREATE_DEVICE_TEST, "types");
		fd = t_create(vm, big[i], 0, "types");
		if (fd >= 0)
			close(fd);
	}
}

/* KVM_CREATE_DEVICE pointer and flag cases on a VM without a device. */
static void t_create_cases(int sys)
{
	int vm = T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, 0), "create: KVM_CREATE_VM 0");
	struct kvm_create_device *ro;
	char buf[128];
	int before, orphan, fd;

	before = count_fds();
	T_CALL(T_NUM, ioctl(vm, KVM_CREATE_DEVICE, NULL), "create: KVM_CREATE_DEVICE NULL");
	T_CALL(T_NUM, ioctl(vm, KVM_CREATE_DEVICE, unmapped_address()),
	       "create: KVM_CREATE_DEVICE unmapped");
	t_fd_delta(before, "create: after NULL and unmapped");

	ro = readonly_cd(KVM_DEV_TYPE_VFIO, KVM_CREATE_DEVICE_TEST);
	T_CALL(T_NUM, ioctl(vm, KVM_CREATE_DEVICE, ro),
	       "create: KVM_CREATE_DEVICE read-only VFIO TEST");
	t_note(ro && ro->fd == FD_SENTINEL ? "unchanged" : "written",
	       "create: read-only VFIO TEST cd.fd");
	t_fd_delta(before, "create: after read-only TEST");
	ro = readonly_cd(99, 0);
	T_CALL(T_NUM, ioctl(vm, KVM_CREATE_DEVICE, ro),
	       "create: KVM_CREATE_DEVICE read-only type 99");

	/* Flags other than TEST are ignored. */
	fd = t_create(vm, KVM_DEV_TYPE_VFIO, 0x2, "create");
	T_CALL(T_NUM, close(fd), "create: close flags=0x2 device");
	fd = t_create(vm, KVM_DEV_TYPE_VFIO, 0xfffffffeU, "create");
	T_CALL(T_NUM, close(fd), "create: close flags=0xfffffffe device");
	t_create(vm, KVM_DEV_TYPE_VFIO, 0xffffffffU, "create");

	/* Read-only struct without TEST: created, fd installed, copy back fails. */
	before = count_fds();
	orphan = lowest_free_fd();
	ro = readonly_cd(KVM_DEV_TYPE_VFIO, 0);
	T_CALL(T_NUM, ioctl(vm, KVM_CREATE_DEVICE, ro),
	       "create: KVM_CREATE_DEVICE read-only VFIO");
	t_fd_delta(before, "create: after read-only VFIO");
	t_note(fd_is_open(orphan) ? fd_name(orphan, buf, sizeof(buf)) : "(not open)",
	       "create: lowest free fd before read-only VFIO, name");
	t_create(vm, KVM_DEV_TYPE_VFIO, 0, "create: with orphan");
	if (fd_is_open(orphan))
		T_CALL(T_NUM, close(orphan), "create: close orphan");
	else
		t_note("(not open)", "create: close orphan");
	fd = t_create(vm, KVM_DEV_TYPE_VFIO, 0, "create: orphan closed");
	close(fd);

	/* One VFIO per VM; release on the last reference. */
	fd = t_create(vm, KVM_DEV_TYPE_VFIO, 0, "busy: first");
	before = count_fds();
	t_create(vm, KVM_DEV_TYPE_VFIO, 0, "busy: second");
	t_fd_delta(before, "busy: after second");
	t_create(vm, KVM_DEV_TYPE_VFIO, KVM_CREATE_DEVICE_TEST, "busy: TEST");
	{
		int d = T_CALL(T_FD, dup(fd), "busy: dup first");

		T_CALL(T_NUM, close(fd), "busy: close first");
		t_create(vm, KVM_DEV_TYPE_VFIO, 0, "busy: dup open");
		T_CALL(T_NUM, close(d), "busy: close dup");
	}
	fd = t_create(vm, KVM_DEV_TYPE_VFIO, 0, "busy: all closed");
	{
		int vm2 = T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, 0), "busy: KVM_CREATE_VM second VM");
		int fd2 = t_create(vm2, KVM_DEV_TYPE_VFIO, 0, "busy: second VM");

		T_CALL(T_NUM, close(fd2), "busy: close second VM device");
		T_CALL(T_NUM, close(vm2), "busy: close second VM");
	}
	close(fd);
	T_CALL(T_NUM, close(vm), "create: close VM");
}

/* The device file and kvm-vfio attributes. */
static void t_device(int vm, int dev)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	unsigned long unmapped = (unsigned long)unmapped_address();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int opath = open("/dev/null", O_PATH | O_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC);
	__s32 fds[8];
	int p[2] = { -1, -1 };
	static const char * const fd_desc[] = {
		"-1", "INT_MAX", "pipe", "/dev/null", "O_PATH", "eventfd",
		"vm fd", "device fd",
	};
	size_t i;

	if (pipe(p))
		p[0] = p[1] = -1;
	fds[0] = -1;
	fds[1] = 0x7fffffff;
	fds[2] = p[0];
	fds[3] = null;
	fds[4] = opath;
	fds[5] = efd;
	fds[6] = vm;
	fds[7] = dev;

	t_fd_props(dev, "device");

	/* HAS */
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "device");
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, 0, "NULL", "device");
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, unmapped, "unmapped", "device");
	T_HAS(dev, KVM_DEV_VFIO_FILE, 0, 0, "NULL", "device");
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, 0, "NULL", "device");
	T_HAS(dev, KVM_DEV_VFIO_FILE, 4, 0, "NULL", "device");
	T_HAS(dev, KVM_DEV_VFIO_FILE, 0x100000001ULL, 0, "NULL", "device");
	T_HAS(dev, 0, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "device");
	T_HAS(dev, 2, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "device");
	T_HAS(dev, 0xffffffffU, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "device");
	T_CALL(T_NUM, ioctl(dev, KVM_HAS_DEVICE_ATTR, NULL), "device: HAS struct NULL");
	T_CALL(T_NUM, ioctl(dev, KVM_HAS_DEVICE_ATTR, unmapped), "device: HAS struct unmapped");

	/* GET */
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "device: before GET");
	T_GET(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "device");
	T_GET(dev, 2, 3, 0, "NULL", "device");
	T_CALL(T_NUM, ioctl(dev, KVM_GET_DEVICE_ATTR, NULL), "device: GET struct NULL");
	T_CALL(T_NUM, ioctl(dev, KVM_GET_DEVICE_ATTR, unmapped), "device: GET struct unmapped");

	/* SET */
	T_CALL(T_NUM, ioctl(dev, KVM_SET_DEVICE_ATTR, NULL), "device: SET struct NULL");
	T_CALL(T_NUM, ioctl(dev, KVM_SET_DEVICE_ATTR, unmapped), "device: SET struct unmapped");
	T_SET(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "device");
	T_SET(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, unmapped, "unmapped", "device");
	T_SET(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, 0, "NULL", "device");
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		T_SET(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD,
		      (unsigned long)&fds[i], fd_desc[i], "device");
		T_SET(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL,
		      (unsigned long)&fds[i], fd_desc[i], "device");
	}
	T_SET(dev, KVM_DEV_VFIO_FILE, 0, 0, "NULL", "device");
	T_SET(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, 0, "NULL", "device");
	T_SET(dev, KVM_DEV_VFIO_FILE, 0x100000001ULL, 0, "NULL", "device");
	T_SET(dev, 2, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "device");
	T_SET(dev, 0, KVM_DEV_VFIO_FILE_ADD, (unsigned long)&fds[2], "pipe", "device");

	/* Other ioctls and file operations. */
	T_CALL(T_NUM, ioctl(dev, _IO(KVMIO, 0xff), 0), "device: ioctl _IO(KVMIO, 0xff)");
	T_CALL(T_NUM, ioctl(dev, _IOW('x', 1, int), 0), "device: ioctl _IOW('x', 1, int)");
	T_CALL(T_NUM, ioctl(dev, KVM_RUN, 0), "device: KVM_RUN");
	T_CALL(T_NUM, ioctl(dev, KVM_CREATE_DEVICE, &cd), "device: KVM_CREATE_DEVICE");
	T_CALL(T_NUM, ioctl(dev, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL),
	       "device: KVM_CHECK_EXTENSION KVM_CAP_DEVICE_CTRL");
	T_CALL(T_NUM, ioctl(dev, KVM_GET_API_VERSION, 0), "device: KVM_GET_API_VERSION");
	t_file_ops(dev, "device");

	close(p[0]);
	close(p[1]);
	close(efd);
	close(opath);
	close(null);
}

/* Every ioctl of a forked child on the parent's VM and device is EIO. */
static void t_fork(int sys, int vm, int dev)
{
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
	};
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	t_child(T_NUM, sys, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL,
		"system KVM_CHECK_EXTENSION KVM_CAP_DEVICE_CTRL");
	t_child(T_FD, sys, KVM_CREATE_VM, 0, "system KVM_CREATE_VM 0");
	t_child(T_NUM, vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL,
		"vm KVM_CHECK_EXTENSION KVM_CAP_DEVICE_CTRL");
	t_child(T_NUM, vm, KVM_CREATE_DEVICE, (unsigned long)&cd, "vm KVM_CREATE_DEVICE VFIO");
	t_child(T_NUM, vm, _IO(KVMIO, 0xff), 0, "vm ioctl _IO(KVMIO, 0xff)");
	t_child(T_NUM, dev, KVM_HAS_DEVICE_ATTR, (unsigned long)&attr, "device HAS");
	t_child(T_NUM, dev, KVM_SET_DEVICE_ATTR, (unsigned long)&attr, "device SET");
	t_child(T_NUM, dev, KVM_GET_DEVICE_ATTR, (unsigned long)&attr, "device GET");
	t_child(T_NUM, dev, KVM_HAS_DEVICE_ATTR, 0, "device HAS NULL");
	t_child(T_NUM, dev, _IO(KVMIO, 0xff), 0, "device ioctl _IO(KVMIO, 0xff)");
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "after fork: device");
	T_CALL(T_NUM, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL),
	       "after fork: vm KVM_CHECK_EXTENSION KVM_CAP_DEVICE_CTRL");
}

/* Close orders: VM before device, device before VM, system fd first. */
static void t_close_orders(int sys)
{
	__s32 bad = -1;
	int vm, dev;

	vm = T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, 0), "order1: KVM_CREATE_VM 0");
	dev = t_create(vm, KVM_DEV_TYPE_VFIO, 0, "order1");
	T_CALL(T_NUM, close(vm), "order1: close VM");
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "order1: VM closed");
	T_SET(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, (unsigned long)&bad, "-1",
	      "order1: VM closed");
	T_GET(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "order1: VM closed");
	T_CALL(T_NUM, close(dev), "order1: close device");
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0, "NULL", "order1: device closed");

	vm = T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, 0), "order2: KVM_CREATE_VM 0");
	dev = t_create(vm, KVM_DEV_TYPE_VFIO, 0, "order2");
	T_CALL(T_NUM, close(dev), "order2: close first device");
	dev = t_create(vm, KVM_DEV_TYPE_VFIO, 0, "order2: again");
	T_CALL(T_NUM, close(sys), "order2: close system fd");
	T_CALL(T_NUM, ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL),
	       "order2: system closed: vm KVM_CHECK_EXTENSION KVM_CAP_DEVICE_CTRL");
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, 0, "NULL", "order2: system closed");
	T_CALL(T_NUM, close(vm), "order2: close VM");
	T_HAS(dev, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, 0, "NULL", "order2: VM closed");
	T_CALL(T_NUM, close(dev), "order2: close second device");
}

/* Runs the whole sequence on node, printing to out. */
static int transcript(const char *node, FILE *out)
{
	int sys, vm, dev;

	t_out = out;
	sys = T_CALL(T_FD, open_node(node), "open node O_RDWR|O_CLOEXEC");
	t_system(sys);
	vm = T_CALL(T_FD, ioctl(sys, KVM_CREATE_VM, 0), "system: KVM_CREATE_VM 0");
	t_fd_props(vm, "vm");
	t_vm(vm);
	t_types(vm);
	t_create_cases(sys);
	dev = t_create(vm, KVM_DEV_TYPE_VFIO, 0, "main");
	t_device(vm, dev);
	t_fork(sys, vm, dev);
	T_CALL(T_NUM, close(dev), "main: close device");
	T_CALL(T_NUM, close(vm), "main: close VM");
	t_close_orders(sys);
	fflush(out);
	return 0;
}

#ifndef TRANSCRIPT_NO_MAIN
int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s NODE\n", argv[0]);
		return 2;
	}
	return transcript(argv[1], stdout);
}
#endif
