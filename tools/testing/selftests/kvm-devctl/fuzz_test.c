// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test: seeded, structure-aware random call sequences on every kind of
 * file kvm-devctl makes (the system node, VM, vCPU and device files of every
 * type the module offers), with oracles applied after each sequence.
 *
 * Each sequence is generated from its own seed (fuzz_ops.h) and run in a
 * forked process, so that its files go away with it. It mixes creation with
 * valid and hostile arguments, attribute calls biased toward the (group,
 * attr) pairs KVM_HAS_DEVICE_ATTR reports, random and mangled ioctl
 * numbers, structures at NULL, unmapped, kernel, misaligned, read-only and
 * page-straddling addresses, vCPU mmap() at random offsets, read/write/lseek,
 * dup/dup2/close, RLIMIT_NOFILE squeezes and fork() (the child's calls on the
 * parent's VM files must fail with EIO). After the process exits:
 *
 *  - it must have exited normally, within the time limit (no crash, no hang);
 *  - /dev/kmsg must show no splat (BUG:, WARNING:, KASAN, UBSAN, lockdep, ...);
 *  - the module's object counts must be back to vms 0 vcpus 0 devices 0;
 *  - every call's result must be one the ABI allows: Documentation/api.rst
 *    (sections 2-7) and Documentation/devices/vfio.rst for kvm-vfio, which
 *    follow virt/kvm/kvm_main.c and virt/kvm/vfio.c; mm/mmap.c do_mmap() and
 *    fs/read_write.c for what the VFS answers first. Where the ABI fixes one
 *    answer (kvm-vfio, the system and VM ioctls, vCPU ids, EMFILE, EIO) it is
 *    the only one accepted; for device types the fuzzer does not model, the
 *    conventional device errnos. A new fd must be open, close-on-exec and
 *    named as the ABI says; a failed creation must leave no fd behind.
 *
 * A failing sequence is replayed to confirm it, minimised by delta
 * debugging over --keep subsets, and printed as an op list and as the
 * command line that replays it.
 *
 * The default run (make check, about 30 s in the debug guest) first checks
 * the fuzzer itself: the generator is deterministic and the minimiser
 * reduces a synthetic failure to exactly its 5 ops (--selftest runs only
 * these, without the kernel); each oracle can fail (a live VM, an injected
 * crash and hang, a kmsg line); a sequence replays with the same results;
 * and a deliberately wrong expectation is found, minimised to its 4 ops and
 * replayed from the printed --keep list. Then it fuzzes for 15 s from a
 * fixed master seed. scripts/fuzz runs it for longer.
 *
 *   fuzz_test [--seed S] [--duration SECS] [--sequences N] [--length L]
 *             [--node PATH] [--timeout SECS] [--verbose]
 *   fuzz_test --replay SEED [--keep I,J,K-L] [--node PATH]
 *   fuzz_test --selftest
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest.h"
#include "kvm_devctl_util.h"
#include "fuzz_ops.h"

#define DEFAULT_SEED		0x6b766d2d64657663ULL	/* "kvm-devc" */
#define DEFAULT_DURATION	15
#define DEFAULT_LENGTH		64
#define DEFAULT_TIMEOUT		30	/* seconds per sequence */
#define MINIMISE_TESTS		600	/* replays per minimisation */
#define MINIMISE_SECS		180
#define MAX_MINIMISED		3	/* distinct findings minimised per run */
#define PROBE_TYPES		256	/* device type numbers probed */
#define VCPU_PAGES		3	/* kvm_run, PIO, coalesced MMIO (api.rst 4.1) */
#define MAX_VCPU_IDS		4096
#define MAX_VCPUS		1024

/* ---- Expected results. ---- */

enum { EX_NONE, EX_ZERO, EX_FD, EX_VAL, EX_NONNEG };

/* What a call may return: a success of kind ok, or -1 with an errno in errs. */
struct expect {
	uint8_t ok;
	long val;		/* EX_VAL */
	uint64_t errs[4];	/* errno bitmap */
};

static void ex_add(struct expect *e, int err)
{
	if (err > 0 && err < 256)
		e->errs[err / 64] |= 1ULL << (err % 64);
}

static bool ex_has(const struct expect *e, int err)
{
	return err > 0 && err < 256 && (e->errs[err / 64] >> (err % 64)) & 1;
}

static void ex_only(struct expect *e, int err)
{
	memset(e, 0, sizeof(*e));
	ex_add(e, err);
}

static void ex_ok(struct expect *e, int ok, long val)
{
	memset(e, 0, sizeof(*e));
	e->ok = ok;
	e->val = val;
}

/*
 * The errnos of a device type the fuzzer does not model: the conventions of
 * Documentation/virt/kvm/devices/ (ENXIO for an unknown group or attribute,
 * EFAULT, EINVAL, EBUSY, ...). ENOTTY, ENOSYS, EIO and the kernel-internal
 * codes (ERESTARTSYS, ENOIOCTLCMD, ...) are never in it.
 */
static const int type_errnos[] = {
	EPERM, ENOENT, EBADF, ENOMEM, EACCES, EFAULT, EBUSY, EEXIST, ENODEV, EINVAL,
	ENOSPC, E2BIG, ERANGE, EAGAIN, EOPNOTSUPP, ENXIO,
};

static void ex_add_type_errnos(struct expect *e)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(type_errnos); i++)
		ex_add(e, type_errnos[i]);
}

static const char *ex_str(const struct expect *e, char *buf, size_t n)
{
	size_t used = 0;
	int err;

	buf[0] = 0;
	switch (e->ok) {
	case EX_ZERO:
		used = snprintf(buf, n, "0");
		break;
	case EX_FD:
		used = snprintf(buf, n, "a new fd");
		break;
	case EX_VAL:
		used = snprintf(buf, n, "%ld", e->val);
		break;
	case EX_NONNEG:
		used = snprintf(buf, n, ">= 0");
		break;
	}
	for (err = 1; err < 256 && used < n; err++)
		if (ex_has(e, err))
			used += snprintf(buf + used, n - used, "%s%s", used ? "|" : "",
					 errno_name(err));
	return buf;
}

/* True if (ret, err) is allowed by e; else why says what was expected. */
static bool ex_check(const struct expect *e, long ret, int err, char *why, size_t n)
{
	char want[160];
	bool ok;

	if (ret == -1)
		ok = ex_has(e, err);
	else if (ret < 0)
		ok = false;
	else if (e->ok == EX_ZERO)
		ok = ret == 0;
	else if (e->ok == EX_VAL)
		ok = ret == e->val;
	else
		ok = e->ok == EX_FD || e->ok == EX_NONNEG;
	if (!ok)
		snprintf(why, n, "expected %s, got %ld%s%s", ex_str(e, want, sizeof(want)), ret,
			 ret == -1 ? " " : "", ret == -1 ? errno_name(err) : "");
	return ok;
}

/* ---- The record of a run, shared with the sequence process and its fork children. ---- */

enum { REC_NOT_RUN, REC_STARTED, REC_DONE, REC_SKIPPED };
enum { K_NONE, K_SYS, K_VM, K_VCPU, K_DEV, K_OTHER, K_NR };
static const char *const kind_names[K_NR] = { "-", "sys", "vm", "vcpu", "dev", "other" };

/* Names under which outcomes are counted: kvm_ioctls[], then these. */
enum {
	NAME_KVMIO_OTHER = ARRAY_SIZE(kvm_ioctls), NAME_OTHER, NAME_OPEN, NAME_OPEN_OTHER,
	NAME_MMAP, NAME_TOUCH, NAME_MUNMAP, NAME_READ, NAME_WRITE, NAME_LSEEK, NAME_DUP,
	NAME_DUP2, NAME_CLOSE, NAME_FORK, NAME_RLIMIT, NAME_NR
};

struct rec {
	uint8_t state;
	uint8_t fkind;		/* K_*: the kind of file the call was made on */
	uint8_t bad;		/* the result broke the errno oracle */
	uint8_t name;		/* NAME_* or a kvm_ioctls[] index */
	int32_t err;
	int64_t ret;
	char why[200];
};

struct shared {
	struct rec rec[FUZZ_MAX_LEN];
	char harness[200];	/* why the sequence process could not run */
};

static struct shared *sh;

/*
 * Faults injected into the fuzzer itself, to check that each oracle can fail
 * (check_oracles(), check_pipeline()).
 */
enum {
	INJ_NONE,
	INJ_HAS,	/* kvm-vfio's HAS of an attribute it has is expected to fail */
	INJ_CRASH,	/* the sequence process dies by SIGSEGV */
	INJ_HANG,	/* the sequence process never ends */
};
static int inject;

static const char *name_str(int name)
{
	static const char *const extra[] = {
		"ioctl(other KVMIO)", "ioctl(not KVMIO)", "open", "open(other)", "mmap", "touch",
		"munmap", "read", "write", "lseek", "dup", "dup2", "close", "fork", "setrlimit",
	};

	if (name < (int)ARRAY_SIZE(kvm_ioctls))
		return kvm_ioctls[name].name;
	return extra[name - NAME_KVMIO_OTHER];
}

/* How an outcome of request cmd is counted: by name if it is the module's. */
static int cmd_name(uint32_t cmd)
{
	size_t i;

	for (i = 0; i < MODULE_IOCTLS; i++)
		if (kvm_ioctls[i].cmd == cmd)
			return i;
	return _IOC_TYPE(cmd) == KVMIO ? NAME_KVMIO_OTHER : NAME_OTHER;
}

/* ---- The sequence process: the model of its files, and the calls. ---- */

struct rfile {
	uint8_t kind;		/* K_* */
	bool opath;
	int refs;		/* slots of this process that hold the file */
	int vm;			/* VM, vCPU, device: its VM in exec.vm[] */
	uint32_t type;		/* device */
};

struct rvm {
	bool child;		/* created in a fork child: the caller rule lets it through */
	int nvcpus;
	uint8_t ids[MAX_VCPU_IDS / 8];
};

enum { SL_EMPTY, SL_FD, SL_MAP };

struct rslot {
	uint8_t state;
	int fd, last_fd;	/* last_fd: the number it had, for fd values */
	int file;		/* SL_FD: index in exec.file[] */
	char *addr;		/* SL_MAP */
	size_t len;
	uint64_t pgoff;
	int prot;
	bool vcpu;		/* a vCPU mapping: its pages are known */
};

/* Pages a structure is put in: see place(). */
struct arena {
	char *rw, *guard, *ro, *none;
};

struct exec {
	const struct op *ops;
	const bool *keep;
	int len;
	const struct probe *pr;
	const char *node;
	bool in_child;
	long ncpus;
	struct rlimit nofile0;
	struct arena as, ad;	/* for structures, for the data they point to */
	int nfiles, nvms;
	struct rslot slot[FUZZ_MAX_LEN];
	struct rfile file[FUZZ_MAX_LEN];
	struct rvm vm[FUZZ_MAX_LEN];
};

static struct exec ex;

static int arena_init(struct arena *a)
{
	long pg = FUZZ_PAGE;
	char *p = mmap(NULL, 5 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	/*
	 * rw | guard | PROT_NONE | ro | PROT_NONE. The inaccessible pages stay
	 * mapped (unlike map_guarded_page()'s hole), so that no mmap() of the
	 * sequence can land there and make them readable.
	 */
	if (mprotect(p + 2 * pg, pg, PROT_NONE) || mprotect(p + 3 * pg, pg, PROT_READ) ||
	    mprotect(p + 4 * pg, pg, PROT_NONE))
		return -1;
	a->rw = p;
	a->guard = p + pg;
	a->ro = p + 3 * pg;
	a->none = p + 4 * pg;
	return 0;
}

/* Puts size bytes of src where p says and returns the address to pass. */
static uint64_t place(struct arena *a, struct ptr p, const void *src, size_t size)
{
	char *dst;

	switch (p.mode) {
	case PM_OK:
		dst = a->rw;
		break;
	case PM_MISALIGNED:
		dst = a->rw + p.k;
		break;
	case PM_GUARD:
		dst = a->guard + FUZZ_PAGE - p.k;
		memcpy(dst, src, p.k < size ? p.k : size);
		return (uintptr_t)dst;
	case PM_RO:
		if (mprotect(a->ro, FUZZ_PAGE, PROT_READ | PROT_WRITE))
			return 0;
		memcpy(a->ro, src, size);
		mprotect(a->ro, FUZZ_PAGE, PROT_READ);
		return (uintptr_t)a->ro;
	case PM_NULL:
		return 0;
	case PM_LOW:
		return 0x1000;
	case PM_NONE:
		return (uintptr_t)a->none;
	case PM_KERNEL:
		return 0xffff888000000000ULL;
	case PM_KTEXT:
		return 0xffffffff81000000ULL;
	case PM_MINUS1:
		return ~0ULL;
	case PM_HIGH:
		return 0x0000800000000000ULL;
	default:
		return 0x8000000000000000ULL;
	}
	memcpy(dst, src, size);
	return (uintptr_t)dst;
}

/*
 * 1 if a scalar argument used as a pointer might be readable (it lies in
 * mapped pages: what is there is unknown), 0 if it certainly is not.
 */
static int scalar_maybe_readable(uint64_t addr, size_t size)
{
	unsigned char vec;
	uint64_t pg;

	if (addr + size < addr || addr + size > 0x00fffffffffff000ULL)
		return 0;
	for (pg = addr & ~(FUZZ_PAGE - 1); pg < addr + size; pg += FUZZ_PAGE)
		if (mincore((void *)(uintptr_t)pg, FUZZ_PAGE, &vec))
			return 0;
	return 1;
}

/* The lowest free descriptor, -1 if the table is full (RLIMIT_NOFILE). */
static int lowest_free(void)
{
	int fd = fcntl(0, F_DUPFD, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

static struct rfile *slot_file(int s)
{
	return ex.slot[s].state == SL_FD ? &ex.file[ex.slot[s].file] : NULL;
}

/* Slot s lets go of its file (close, or dup2 over it). */
static void slot_drop(int s)
{
	if (ex.slot[s].state == SL_FD)
		ex.file[ex.slot[s].file].refs--;
	ex.slot[s].state = SL_EMPTY;
}

static void slot_set_fd(int s, int fd, int file)
{
	ex.slot[s] = (struct rslot){ .state = SL_FD, .fd = fd, .last_fd = fd, .file = file };
	ex.file[file].refs++;
}

static int new_file(uint8_t kind, int vm, uint32_t type)
{
	ex.file[ex.nfiles] = (struct rfile){ .kind = kind, .vm = vm, .type = type };
	return ex.nfiles++;
}

/* True if the VM has a kvm-vfio device whose file is open (vfio.rst: one per VM). */
static bool vm_has_vfio(int vm)
{
	int i;

	for (i = 0; i < ex.nfiles; i++)
		if (ex.file[i].kind == K_DEV && ex.file[i].vm == vm &&
		    ex.file[i].type == KVM_DEV_TYPE_VFIO && ex.file[i].refs > 0)
			return true;
	return false;
}

/* The caller rule (api.rst 3.1): a fork child's calls on the parent's VM files. */
static bool caller_rule(const struct rfile *f)
{
	return ex.in_child && f->kind >= K_VM && f->kind <= K_DEV && !ex.vm[f->vm].child;
}

/* KVM_CHECK_EXTENSION (api.rst 2.2): compared as a whole unsigned long. */
static long cap_value(uint64_t cap)
{
	switch (cap) {
	case KVM_CAP_DEVICE_CTRL:
	case KVM_CAP_CHECK_EXTENSION_VM:
		return 1;
	case KVM_CAP_NR_VCPUS:
		return ex.ncpus < MAX_VCPUS ? ex.ncpus : MAX_VCPUS;
	case KVM_CAP_MAX_VCPUS:
		return MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return MAX_VCPU_IDS;
	default:
		return 0;
	}
}

/* Whether an fd value given to kvm-vfio names a file fget() accepts (not O_PATH). */
static bool fd_gettable(int64_t val)
{
	int32_t fd = (int32_t)val;
	int fl;

	if (fd < 0)
		return false;
	fl = fcntl(fd, F_GETFL);
	return fl >= 0 && !(fl & O_PATH);
}

/* What an attribute call's data is, for the types that read it. */
struct attr_data {
	bool readable4;		/* the int32_t at addr can be read */
	int64_t val;
};

/* kvm-vfio's SET/GET/HAS (vfio.rst), once the structure was read. */
static void expect_vfio(int acc, const struct kvm_device_attr *a, const struct attr_data *d,
			struct expect *e)
{
	bool known = a->attr == KVM_DEV_VFIO_FILE_ADD || a->attr == KVM_DEV_VFIO_FILE_DEL;

	if (acc == ACC_HAS) {
		/* --inject: a wrong oracle, to see the pipeline catch a "bug". */
		if (a->group == KVM_DEV_VFIO_FILE && known && inject != INJ_HAS)
			ex_ok(e, EX_ZERO, 0);
		else
			ex_only(e, ENXIO);
		return;
	}
	if (a->group != KVM_DEV_VFIO_FILE || !known)
		ex_only(e, ENXIO);
	else if (!d || !d->readable4)
		ex_only(e, EFAULT);
	else if (!fd_gettable(d->val))
		ex_only(e, EBADF);
	else
		ex_only(e, a->attr == KVM_DEV_VFIO_FILE_ADD ? EINVAL : ENOENT);
}

/*
 * KVM_{SET,GET,HAS}_DEVICE_ATTR on a device file (api.rst 5.1): EPERM
 * without the accessor, before the structure is read; then EFAULT; then
 * the type's own answer. rd: 1 readable, 0 not, -1 unknown (a is NULL).
 */
static void expect_dev_attr(const struct rfile *f, int acc, int rd,
			    const struct kvm_device_attr *a, const struct attr_data *d,
			    struct expect *e)
{
	const struct type_info *ti = probe_type(ex.pr, f->type);
	int has = f->type == KVM_DEV_TYPE_VFIO ? acc != ACC_GET : ti ? ti->acc[acc] : -1;

	if (!has) {
		ex_only(e, EPERM);
		return;
	}
	if (!rd) {
		ex_only(e, EFAULT);
		if (has < 0)
			ex_add(e, EPERM);
		return;
	}
	if (f->type == KVM_DEV_TYPE_VFIO && rd > 0) {
		expect_vfio(acc, a, d, e);
		return;
	}
	ex_ok(e, EX_ZERO, 0);
	ex_add_type_errnos(e);
}

/*
 * Any ioctl on a file of the module but the creations on their own kind of
 * file (those are in exec_create_*()): api.rst 2.1-2.6, 3.4-3.5, 4.2, 5.
 * rd: whether the structure at arg is readable (1, 0, -1 unknown); a and d:
 * what it holds, for the attribute calls (NULL: zeroes).
 */
static void expect_ioctl(const struct rfile *f, uint32_t cmd, uint64_t arg, int rd,
			 const struct kvm_device_attr *a, const struct attr_data *d,
			 struct expect *e)
{
	static const struct kvm_device_attr zero;
	int acc;

	if (!a)
		a = &zero;
	if (caller_rule(f)) {
		ex_only(e, EIO);
		return;
	}
	switch (f->kind) {
	case K_SYS:
		switch (cmd) {
		case KVM_GET_API_VERSION:
			if (arg)
				ex_only(e, EINVAL);
			else
				ex_ok(e, EX_VAL, KVM_API_VERSION);
			return;
		case KVM_CHECK_EXTENSION:
			ex_ok(e, EX_VAL, cap_value(arg));
			return;
		case KVM_GET_VCPU_MMAP_SIZE:
			if (arg)
				ex_only(e, EINVAL);
			else
				ex_ok(e, EX_VAL, VCPU_PAGES * FUZZ_PAGE);
			return;
		case KVM_GET_DEVICE_ATTR:
		case KVM_HAS_DEVICE_ATTR:
			ex_only(e, rd ? ENXIO : EFAULT);
			if (rd < 0)
				ex_add(e, EFAULT);
			return;
		default:
			ex_only(e, EINVAL);
			return;
		}
	case K_VM:
		if (cmd == KVM_CHECK_EXTENSION)
			ex_ok(e, EX_VAL, cap_value(arg));
		else
			ex_only(e, ENOTTY);
		return;
	case K_VCPU:
		ex_only(e, EINVAL);
		return;
	case K_DEV:
		acc = cmd == KVM_SET_DEVICE_ATTR ? ACC_SET : cmd == KVM_GET_DEVICE_ATTR ? ACC_GET :
		      cmd == KVM_HAS_DEVICE_ATTR ? ACC_HAS : -1;
		if (acc >= 0) {
			expect_dev_attr(f, acc, rd, rd > 0 ? a : NULL, d, e);
		} else if (f->type == KVM_DEV_TYPE_VFIO) {
			ex_only(e, ENOTTY);
		} else {
			ex_ok(e, EX_NONNEG, 0);
			ex_add(e, ENOTTY);
			ex_add_type_errnos(e);
		}
		return;
	}
}

/* Records the result of op i against e. */
static void finish(struct rec *r, const struct expect *e, long ret, int err)
{
	r->ret = ret;
	r->err = ret == -1 ? err : 0;
	if (!ex_check(e, ret, err, r->why, sizeof(r->why)))
		r->bad = 1;
	r->state = REC_DONE;
}

static void fail_rec(struct rec *r, const char *fmt, ...)
{
	size_t used = strlen(r->why);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why + used, sizeof(r->why) - used, fmt, ap);
	va_end(ap);
	r->bad = 1;
}

/* A new fd must be open, close-on-exec, and named as api.rst section 6 says. */
static void check_new_fd(struct rec *r, int fd, const char *name)
{
	char buf[96];
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0 || !(fl & FD_CLOEXEC))
		fail_rec(r, "fd %d: FD_CLOEXEC not set (F_GETFD %d)", fd, fl);
	fd_name(fd, buf, sizeof(buf));
	if (name && strcmp(buf, name))
		fail_rec(r, "fd %d is \"%s\", expected \"%s\"", fd, buf, name);
}

/* A failed creation must leave no descriptor (api.rst 3.2, 3.3, 8.1). */
static void check_no_new_fd(struct rec *r, int before)
{
	int after = lowest_free();

	if (after != before)
		fail_rec(r, "the failed call left a descriptor (lowest free fd %d, was %d)", after,
			 before);
}

static long do_ioctl(int fd, uint32_t cmd, uint32_t hi, uint64_t arg)
{
	return syscall(SYS_ioctl, fd, ((uint64_t)hi << 32) | cmd, arg);
}

static void exec_open(const struct op *op, struct rec *r)
{
	int before = lowest_free(), fd, file;
	struct expect e;

	r->name = op->kind == OP_OPEN_SYS ? NAME_OPEN : NAME_OPEN_OTHER;
	if (before < 0)
		ex_only(&e, EMFILE);
	else
		ex_ok(&e, EX_FD, 0);
	errno = 0;
	if (op->kind == OP_OPEN_SYS)
		fd = open(ex.node, O_RDWR | O_CLOEXEC);
	else if (op->sub == 0)
		fd = open("/", O_PATH | O_CLOEXEC);
	else if (op->sub == 1)
		fd = eventfd(0, EFD_CLOEXEC);
	else
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	finish(r, &e, fd, errno);
	if (fd < 0)
		return;
	file = new_file(op->kind == OP_OPEN_SYS ? K_SYS : K_OTHER, 0, 0);
	ex.file[file].opath = op->kind == OP_OPEN_OTHER && op->sub == 0;
	slot_set_fd(op->out, fd, file);
}

static void exec_create_vm(const struct op *op, struct rec *r, struct rfile *f)
{
	int before = lowest_free(), fd = ex.slot[op->s].fd;
	struct expect e;
	long ret;

	r->name = cmd_name(KVM_CREATE_VM);
	if (f->kind != K_SYS) {
		expect_ioctl(f, KVM_CREATE_VM, op->arg, 0, NULL, NULL, &e);
	} else if (before < 0) {
		ex_only(&e, EMFILE);	/* the descriptor first (api.rst 2.3) */
	} else if (op->arg) {
		ex_only(&e, EINVAL);
	} else {
		ex_ok(&e, EX_FD, 0);
		ex_add(&e, ENOMEM);
		ex_add(&e, ENFILE);
	}
	errno = 0;
	ret = do_ioctl(fd, KVM_CREATE_VM, 0, op->arg);
	finish(r, &e, ret, errno);
	if (ret < 0) {
		check_no_new_fd(r, before);
		return;
	}
	if (f->kind != K_SYS)
		return;
	check_new_fd(r, ret, "anon_inode:kvm-vm");
	ex.vm[ex.nvms] = (struct rvm){ .child = ex.in_child };
	slot_set_fd(op->out, ret, new_file(K_VM, ex.nvms++, 0));
}

static void exec_create_vcpu(const struct op *op, struct rec *r, struct rfile *f)
{
	int before = lowest_free(), fd = ex.slot[op->s].fd;
	struct rvm *vm = &ex.vm[f->vm];
	uint64_t id = op->arg;
	struct expect e;
	char name[64];
	long ret;

	r->name = cmd_name(KVM_CREATE_VCPU);
	/* api.rst 3.2: the id, the count, a taken id, then the descriptor. */
	if (f->kind != K_VM || caller_rule(f))
		expect_ioctl(f, KVM_CREATE_VCPU, id, 0, NULL, NULL, &e);
	else if (id >= MAX_VCPU_IDS || vm->nvcpus >= MAX_VCPUS)
		ex_only(&e, EINVAL);
	else if (vm->ids[id / 8] & (1 << (id % 8)))
		ex_only(&e, EEXIST);
	else if (before < 0)
		ex_only(&e, EMFILE);
	else
		ex_ok(&e, EX_FD, 0);
	if (e.ok == EX_FD) {
		ex_add(&e, ENOMEM);
		ex_add(&e, ENFILE);
	}
	errno = 0;
	ret = do_ioctl(fd, KVM_CREATE_VCPU, 0, id);
	finish(r, &e, ret, errno);
	if (ret < 0) {
		check_no_new_fd(r, before);
		return;
	}
	if (f->kind != K_VM || caller_rule(f))
		return;
	snprintf(name, sizeof(name), "anon_inode:kvm-vcpu:%llu", (unsigned long long)id);
	check_new_fd(r, ret, name);
	vm->ids[id / 8] |= 1 << (id % 8);
	vm->nvcpus++;
	slot_set_fd(op->out, ret, new_file(K_VCPU, f->vm, 0));
}

static void exec_create_device(const struct op *op, struct rec *r, struct rfile *f)
{
	struct kvm_create_device cd = { .type = op->type, .fd = FD_SENTINEL, .flags = op->flags };
	const size_t size = sizeof(cd);
	int before = lowest_free(), fd = ex.slot[op->s].fd;
	bool rd = ptr_readable(op->p, size), wr = ptr_writable(op->p, size);
	const struct type_info *ti = probe_type(ex.pr, op->type);
	bool test = op->flags & KVM_CREATE_DEVICE_TEST;
	struct kvm_create_device *back;
	uint64_t arg;
	struct expect e;
	char name[96];
	long ret;

	r->name = cmd_name(KVM_CREATE_DEVICE);
	arg = place(&ex.as, op->p, &cd, size);
	back = (struct kvm_create_device *)(uintptr_t)arg;
	/* api.rst 3.3, in its order. */
	if (f->kind != K_VM || caller_rule(f)) {
		expect_ioctl(f, KVM_CREATE_DEVICE, arg, rd, NULL, NULL, &e);
	} else if (!rd) {
		ex_only(&e, EFAULT);
	} else if (!ti) {
		ex_only(&e, ENODEV);
	} else if (test) {
		if (wr)
			ex_ok(&e, EX_ZERO, 0);
		else
			ex_only(&e, EFAULT);
	} else if (before < 0) {
		ex_only(&e, EMFILE);
	} else if (op->type == KVM_DEV_TYPE_VFIO) {
		if (vm_has_vfio(f->vm)) {
			ex_only(&e, EBUSY);
		} else if (wr) {
			ex_ok(&e, EX_ZERO, 0);
			ex_add(&e, ENOMEM);
			ex_add(&e, ENFILE);
		} else {
			ex_only(&e, EFAULT);
		}
	} else {
		if (wr)
			ex_ok(&e, EX_ZERO, 0);
		else
			ex_only(&e, EFAULT);
		ex_add_type_errnos(&e);
		ex_add(&e, ENFILE);
	}
	errno = 0;
	ret = do_ioctl(fd, KVM_CREATE_DEVICE, 0, arg);
	finish(r, &e, ret, errno);
	if (ret || f->kind != K_VM || caller_rule(f) || !rd) {
		if (ret)
			check_no_new_fd(r, before);
		return;
	}
	if (test) {
		if (back->type != op->type || back->flags != op->flags || back->fd != FD_SENTINEL)
			fail_rec(r, "KVM_CREATE_DEVICE_TEST changed the structure (fd %#x)",
				 back->fd);
		return;
	}
	if (!fd_is_open(back->fd)) {
		fail_rec(r, "cd.fd %u is not open", back->fd);
		return;
	}
	snprintf(name, sizeof(name), "anon_inode:%s", ti->name);
	check_new_fd(r, back->fd, ti->name[0] ? name : NULL);
	slot_set_fd(op->out, back->fd, new_file(K_DEV, f->vm, op->type));
}

static void exec_attr(const struct op *op, struct rec *r, struct rfile *f)
{
	static const unsigned long cmds[ACC_NR] = {
		KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
	};
	struct kvm_device_attr a = { .flags = op->flags, .group = op->group, .attr = op->attr };
	struct attr_data d = { .readable4 = ptr_readable(op->d, 4), .val = op->val };
	uint32_t cmd = cmds[op->sub];
	struct expect e;
	uint64_t arg;
	long ret;

	r->name = cmd_name(cmd);
	if (op->vkind == VAL_SLOT) {
		const struct rslot *s = &ex.slot[op->s2];

		d.val = s->state == SL_FD ? s->fd : s->last_fd >= 0 ? s->last_fd : 1000;
	}
	a.addr = place(&ex.ad, op->d, &d.val, sizeof(d.val));
	arg = place(&ex.as, op->p, &a, sizeof(a));
	expect_ioctl(f, cmd, arg, ptr_readable(op->p, sizeof(a)), &a, &d, &e);
	errno = 0;
	ret = do_ioctl(ex.slot[op->s].fd, cmd, 0, arg);
	finish(r, &e, ret, errno);
}

static void exec_ioctl(const struct op *op, struct rec *r, struct rfile *f)
{
	static const char zeroes[64];
	uint64_t arg = op->arg;
	struct expect e;
	int rd;
	long ret;

	r->name = cmd_name(op->cmd);
	if (op->argp) {
		arg = place(&ex.as, op->p, zeroes, sizeof(zeroes));
		rd = ptr_readable(op->p, sizeof(struct kvm_device_attr));
	} else {
		rd = scalar_maybe_readable(arg, sizeof(struct kvm_device_attr)) ? -1 : 0;
	}
	expect_ioctl(f, op->cmd, arg, rd, NULL, NULL, &e);
	errno = 0;
	ret = do_ioctl(ex.slot[op->s].fd, op->cmd, op->cmd_hi, arg);
	finish(r, &e, ret, errno);
}

/* Whether mm/mmap.c do_mmap() refuses offset pgoff and length len with EOVERFLOW. */
static bool mmap_overflows(uint64_t pgoff, uint64_t len)
{
	/* file_mmap_size_max() is ULONG_MAX for these (not regular) files. */
	return pgoff + (len / FUZZ_PAGE) < pgoff || pgoff > (UINT64_MAX - len) / FUZZ_PAGE;
}

static void exec_mmap(const struct op *op, struct rec *r, struct rfile *f)
{
	uint64_t len = (op->len + FUZZ_PAGE - 1) & ~(FUZZ_PAGE - 1);
	uint64_t pgoff = op->arg / FUZZ_PAGE;
	struct expect e;
	void *p;

	r->name = NAME_MMAP;
	/* arch/x86 sys_mmap(), then do_mmap() in its order. */
	if (op->arg % FUZZ_PAGE || !op->len) {
		ex_only(&e, EINVAL);
	} else if (mmap_overflows(pgoff, len)) {
		ex_only(&e, EOVERFLOW);
	} else if (op->prot & PROT_EXEC) {
		/* The anonymous-inode fs is noexec; /dev may not be. */
		ex_only(&e, EPERM);
		if (f->kind == K_SYS)
			ex_add(&e, ENODEV);
	} else if (f->kind == K_VCPU) {
		ex_ok(&e, EX_ZERO, 0);
		ex_add(&e, ENOMEM);
	} else if (f->kind == K_DEV && f->type != KVM_DEV_TYPE_VFIO) {
		ex_ok(&e, EX_ZERO, 0);
		ex_add_type_errnos(&e);
		ex_add(&e, EOVERFLOW);
	} else {
		ex_only(&e, ENODEV);
	}
	errno = 0;
	p = mmap(NULL, op->len, op->prot, op->mflags, ex.slot[op->s].fd, op->arg);
	finish(r, &e, p == MAP_FAILED ? -1 : 0, errno);
	if (p == MAP_FAILED)
		return;
	ex.slot[op->out] = (struct rslot){
		.state = SL_MAP, .addr = p, .len = len, .pgoff = pgoff, .prot = op->prot,
		.vcpu = f->kind == K_VCPU, .last_fd = -1,
	};
}

static sigjmp_buf touch_jmp;
static volatile sig_atomic_t touching;

static void touch_fault(int sig)
{
	if (touching)
		siglongjmp(touch_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Touches every page of a vCPU mapping: pages at file offsets 0-2 are there,
 * the others raise SIGBUS (api.rst 4.1).
 */
static void exec_touch(const struct op *op, struct rec *r)
{
	const struct rslot *s = &ex.slot[op->s];
	uint64_t pages = s->len / FUZZ_PAGE, i, got = 0, want = 0;
	struct expect e;
	int sig;

	r->name = NAME_TOUCH;
	if (!s->vcpu || s->prot == PROT_NONE) {
		r->state = REC_SKIPPED;
		return;
	}
	for (i = 0; i < pages && i < 64; i++) {
		volatile char *p = s->addr + i * FUZZ_PAGE;

		if (s->pgoff + i >= VCPU_PAGES)
			want |= 1ULL << i;
		touching = 1;
		sig = sigsetjmp(touch_jmp, 1);
		if (!sig) {
			char c = *p;

			if (op->sub && (s->prot & PROT_WRITE))
				*p = c;
		} else if (sig == SIGBUS) {
			got |= 1ULL << i;
		} else {
			touching = 0;
			ex_ok(&e, EX_VAL, want);
			finish(r, &e, got, 0);
			fail_rec(r, "; page %llu raised signal %d, not SIGBUS",
				 (unsigned long long)i, sig);
			return;
		}
		touching = 0;
	}
	ex_ok(&e, EX_VAL, want);
	finish(r, &e, got, 0);
	if (r->bad)
		fail_rec(r, " (bit i: page i raised SIGBUS; mapping at offset page %llu)",
			 (unsigned long long)s->pgoff);
}

static void exec_rw(const struct op *op, struct rec *r, struct rfile *f)
{
	int fd = ex.slot[op->s].fd;
	struct expect e;
	long ret;

	errno = 0;
	if (op->sub < 2) {
		/* No read or write method: EINVAL before the buffer is looked at. */
		r->name = op->sub ? NAME_WRITE : NAME_READ;
		ex_only(&e, EINVAL);
		ret = op->sub ? write(fd, ex.as.rw, op->arg) : read(fd, ex.as.rw, op->arg);
	} else {
		/* noop_llseek for the system, VM and vCPU files; none for devices. */
		r->name = NAME_LSEEK;
		if (op->len > SEEK_MAX)
			ex_only(&e, EINVAL);
		else if (f->kind == K_DEV)
			ex_only(&e, ESPIPE);
		else
			ex_ok(&e, EX_VAL, 0);
		ret = lseek(fd, op->arg, op->len);
	}
	finish(r, &e, ret, errno);
}

static void exec_dup(const struct op *op, struct rec *r)
{
	int src = ex.slot[op->s].fd, before = lowest_free();
	struct rlimit lim;
	struct expect e;
	long ret;

	if (!op->sub) {
		r->name = NAME_DUP;
		if (before < 0)
			ex_only(&e, EMFILE);
		else
			ex_ok(&e, EX_FD, 0);
		errno = 0;
		ret = dup(src);
		finish(r, &e, ret, errno);
		if (ret >= 0)
			slot_set_fd(op->out, ret, ex.slot[op->s].file);
		return;
	}
	r->name = NAME_DUP2;
	if (ex.slot[op->s2].state != SL_FD) {
		r->state = REC_SKIPPED;
		return;
	}
	/* fs/file.c: dup2(fd, fd) returns fd before looking at RLIMIT_NOFILE. */
	getrlimit(RLIMIT_NOFILE, &lim);
	if (ex.slot[op->s2].fd != src && (rlim_t)ex.slot[op->s2].fd >= lim.rlim_cur)
		ex_only(&e, EBADF);
	else
		ex_ok(&e, EX_VAL, ex.slot[op->s2].fd);
	errno = 0;
	ret = dup2(src, ex.slot[op->s2].fd);
	finish(r, &e, ret, errno);
	if (ret < 0 || ex.slot[op->s2].fd == src)
		return;
	slot_drop(op->s2);
	slot_set_fd(op->s2, ret, ex.slot[op->s].file);
}

static void exec_rlimit(const struct op *op, struct rec *r)
{
	struct rlimit lim = ex.nofile0;
	struct expect e;
	int low;

	r->name = NAME_RLIMIT;
	if (op->sub < 3) {
		low = lowest_free();
		if (low < 0) {
			getrlimit(RLIMIT_NOFILE, &lim);
			low = lim.rlim_cur;
		}
		lim.rlim_cur = low + op->sub;
	}
	ex_ok(&e, EX_ZERO, 0);
	errno = 0;
	finish(r, &e, setrlimit(RLIMIT_NOFILE, &lim), errno);
}

static void exec_op(int i);

/* Runs the child ops after fork op i in a child; it must exit normally. */
static void exec_fork(int i, struct rec *r)
{
	struct expect e;
	int j, status;
	pid_t pid;

	r->name = NAME_FORK;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ex.in_child = true;
		for (j = i + 1; j < ex.len && ex.ops[j].child; j++)
			if (ex.keep[j])
				exec_op(j);
		_exit(0);
	}
	ex_ok(&e, EX_ZERO, 0);
	if (pid < 0) {
		finish(r, &e, -1, errno);
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	finish(r, &e, status, 0);
	if (r->bad)
		fail_rec(r, " (the child %s %d)", WIFSIGNALED(status) ? "died by signal" :
			 "exited with", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void exec_op(int i)
{
	const struct op *op = &ex.ops[i];
	struct rec *r = &sh->rec[i];
	struct rfile *f = NULL;

	r->state = REC_STARTED;
	/* Ops on a file need it, and one of the module's. */
	switch (op->kind) {
	case OP_CREATE_VM ... OP_MMAP:
	case OP_RW:
		f = slot_file(op->s);
		if (!f || f->kind == K_OTHER) {
			r->state = REC_SKIPPED;
			return;
		}
		r->fkind = f->kind;
		break;
	case OP_DUP:
	case OP_CLOSE:
		f = slot_file(op->s);
		if (!f) {
			r->state = REC_SKIPPED;
			return;
		}
		r->fkind = f->kind;
		break;
	case OP_TOUCH:
	case OP_MUNMAP:
		if (ex.slot[op->s].state != SL_MAP) {
			r->state = REC_SKIPPED;
			return;
		}
		r->fkind = K_NONE;
		break;
	}
	switch (op->kind) {
	case OP_OPEN_SYS:
	case OP_OPEN_OTHER:
		exec_open(op, r);
		break;
	case OP_CREATE_VM:
		exec_create_vm(op, r, f);
		break;
	case OP_CREATE_VCPU:
		exec_create_vcpu(op, r, f);
		break;
	case OP_CREATE_DEVICE:
		exec_create_device(op, r, f);
		break;
	case OP_ATTR:
		exec_attr(op, r, f);
		break;
	case OP_IOCTL:
		exec_ioctl(op, r, f);
		break;
	case OP_MMAP:
		exec_mmap(op, r, f);
		break;
	case OP_TOUCH:
		exec_touch(op, r);
		break;
	case OP_MUNMAP: {
		struct expect e;
		int ret;

		r->name = NAME_MUNMAP;
		ex_ok(&e, EX_ZERO, 0);
		errno = 0;
		ret = munmap(ex.slot[op->s].addr, ex.slot[op->s].len);
		finish(r, &e, ret, errno);
		ex.slot[op->s].state = SL_EMPTY;
		break;
	}
	case OP_RW:
		exec_rw(op, r, f);
		break;
	case OP_DUP:
		exec_dup(op, r);
		break;
	case OP_CLOSE: {
		struct expect e;
		int ret;

		r->name = NAME_CLOSE;
		ex_ok(&e, EX_ZERO, 0);
		errno = 0;
		ret = close(ex.slot[op->s].fd);
		finish(r, &e, ret, errno);
		slot_drop(op->s);
		break;
	}
	case OP_FORK:
		exec_fork(i, r);
		break;
	case OP_RLIMIT:
		exec_rlimit(op, r);
		break;
	}
}

/* The body of the sequence process; exits 0, or 2 if it could not run. */
static __noreturn void
seq_process(const struct op *ops, const bool *keep, int len, const struct probe *pr,
	    const char *node)
{
	struct sigaction sa = { .sa_handler = touch_fault };
	int i;

	setpgid(0, 0);
	memset(&ex, 0, sizeof(ex));
	ex.ops = ops;
	ex.keep = keep;
	ex.len = len;
	ex.pr = pr;
	ex.node = node;
	ex.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (i = 0; i < FUZZ_MAX_LEN; i++)
		ex.slot[i].last_fd = -1;
	/* lowest_free() duplicates fd 0. */
	if (fcntl(0, F_GETFD) < 0 && open("/dev/null", O_RDONLY) != 0) {
		snprintf(sh->harness, sizeof(sh->harness), "cannot open fd 0");
		_exit(2);
	}
	if (arena_init(&ex.as) || arena_init(&ex.ad) || getrlimit(RLIMIT_NOFILE, &ex.nofile0) ||
	    sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL)) {
		snprintf(sh->harness, sizeof(sh->harness), "setup: %s", strerror(errno));
		_exit(2);
	}
	if (inject == INJ_CRASH)
		raise(SIGSEGV);
	if (inject == INJ_HANG)
		for (;;)
			pause();
	for (i = 0; i < len; i++)
		if (keep[i] && !ops[i].child)
			exec_op(i);
	_exit(0);
}

/* ---- The parent: runs sequences and applies the oracles. ---- */

struct fuzz {
	uint64_t seed;
	int duration, sequences, length, timeout;
	const char *node;
	bool verbose;
	struct probe probe;
	int kmsg;
	/* Statistics of the fuzzing loop. */
	long nseq, nops, nskipped;
	bool cov[K_NR][NAME_NR][256];
};

static struct fuzz fz;

enum { F_NONE, F_ERRNO, F_LEAK, F_HANG, F_CRASH, F_HARNESS, F_SPLAT };
static const char *const finding_names[] = {
	"none", "errno", "leak", "hang", "crash", "harness", "kernel splat",
};

struct outcome {
	int kind;		/* the worst F_* */
	char sig[96];		/* what must stay the same while minimising */
	char msg[4096];
	int executed, skipped;
	int last;		/* the failing op (errno, crash, hang), else -1 */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void out_add(struct outcome *o, int kind, const char *sig, const char *fmt, ...)
{
	size_t used = strlen(o->msg);
	va_list ap;

	if (kind > o->kind) {
		o->kind = kind;
		snprintf(o->sig, sizeof(o->sig), "%s", sig);
	}
	if (used >= sizeof(o->msg) - 2)
		return;
	va_start(ap, fmt);
	vsnprintf(o->msg + used, sizeof(o->msg) - used, fmt, ap);
	va_end(ap);
}

/* Kernel messages that mean a bug, as scripts/splat-check and a little more. */
static const char *const splat_patterns[] = {
	"BUG: ", "WARNING: ", "INFO: ", "Oops", "UBSAN: ", "KASAN", "DEBUG_LOCKS_WARN_ON",
	"unreferenced object", "new suspected memory leaks", "Kernel panic",
	"general protection fault", "kernel BUG at", "Call Trace:", "panicked at",
	"possible circular locking", "possible recursive locking", "inconsistent lock state",
	"sleeping function called", "suspicious RCU usage", "list_add corruption",
	"list_del corruption", "refcount_t:",
};

static const char *splat_match(const char *msg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(splat_patterns); i++)
		if (strstr(msg, splat_patterns[i]))
			return splat_patterns[i];
	return NULL;
}

/*
 * Reads the kernel messages logged since the last call. Returns the first
 * splat pattern seen (NULL if none) and appends splat context to o; sets
 * *marker if a message contained it.
 */
static const char *kmsg_drain(struct outcome *o, const char *marker, bool *seen)
{
	const char *first = NULL;
	int context = 0;
	char buf[8192];

	for (;;) {
		ssize_t n = read(fz.kmsg, buf, sizeof(buf) - 1);
		const char *msg, *pat;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten before we read it */
		if (n <= 0)
			break;
		buf[n] = 0;
		msg = strchr(buf, ';');
		msg = msg ? msg + 1 : buf;
		*strchrnul(msg, '\n') = 0;
		if (marker && strstr(msg, marker))
			*seen = true;
		pat = splat_match(msg);
		if (pat && !first)
			first = pat;
		if (pat)
			context = 40;
		if (context && o) {
			context--;
			out_add(o, F_SPLAT, pat ? pat : "", "  kmsg: %s\n", msg);
		}
	}
	return first;
}

/* Waits for pid with a time limit; false if it ran out (the caller kills it). */
static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
	alarmed = 1;
}

/* Reaps every child left (killed fork children of the sequence process). */
static void reap_all(void)
{
	int status;

	alarmed = 0;
	alarm(30);
	while (waitpid(-1, &status, 0) > 0 || (errno == EINTR && !alarmed))
		;
	alarm(0);
}

static bool wait_limited(pid_t pid, int *status, int secs)
{
	pid_t r;

	alarmed = 0;
	alarm(secs);
	do
		r = waitpid(pid, status, 0);
	while (r < 0 && errno == EINTR && !alarmed);
	alarm(0);
	return r == pid;
}

/* Checks that the module counts no object (the child and its children are gone). */
static bool objects_clean(char *msg, size_t n)
{
	struct objects o;
	char buf[96];
	int i;

	for (i = 0; i < 100; i++) {
		if (objects_read(&o)) {
			snprintf(msg, n, "cannot read %s: %s", KVM_DEVCTL_OBJECTS, strerror(errno));
			return false;
		}
		if (!o.vms && !o.vcpus && !o.devices)
			return true;
		usleep(2000);
	}
	snprintf(msg, n, "%s", objects_str(&o, buf, sizeof(buf)));
	return false;
}

static struct op run_ops[FUZZ_MAX_LEN];

/* Runs sequence seed restricted to keep (NULL: all) on ops [0, len) and judges it. */
static void run_seq(uint64_t seed, const bool *keep, int len, struct outcome *o)
{
	static bool all[FUZZ_MAX_LEN];
	int status, i, nbad = 0, started = -1;
	const char *pat;
	char buf[256];
	pid_t pid;

	memset(o, 0, sizeof(*o));
	o->last = -1;
	if (!keep) {
		for (i = 0; i < len; i++)
			all[i] = true;
		keep = all;
	}
	gen_seq(seed, &fz.probe, len, run_ops);
	memset(sh, 0, sizeof(*sh));
	kmsg_drain(NULL, NULL, NULL);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		out_add(o, F_HARNESS, "fork", "fork: %s\n", strerror(errno));
		return;
	}
	if (pid == 0)
		seq_process(run_ops, keep, len, &fz.probe, fz.node);
	setpgid(pid, pid);
	if (!wait_limited(pid, &status, fz.timeout)) {
		for (i = 0; i < len; i++)
			if (sh->rec[i].state == REC_STARTED)
				started = i;
		out_add(o, F_HANG, "hang", "no end after %d s (op #%d in progress)\n", fz.timeout,
			started);
		o->last = started;
		kill(-pid, SIGKILL);
		if (!wait_limited(pid, &status, 30)) {
			ksft_print_msg("the sequence process cannot be killed: giving up\n");
			ksft_exit_fail();
		}
	} else if (WIFSIGNALED(status)) {
		for (i = 0; i < len; i++)
			if (sh->rec[i].state == REC_STARTED)
				started = i;
		snprintf(buf, sizeof(buf), "crash:%d", WTERMSIG(status));
		out_add(o, F_CRASH, buf, "the sequence process died by signal %d (%s) in op #%d\n",
			WTERMSIG(status), strsignal(WTERMSIG(status)), started);
		o->last = started;
	} else if (WEXITSTATUS(status)) {
		out_add(o, F_HARNESS, "harness", "the sequence process exited with %d: %s\n",
			WEXITSTATUS(status), sh->harness);
	}
	/* Fork children it left behind are ours (PR_SET_CHILD_SUBREAPER). */
	kill(-pid, SIGKILL);
	reap_all();

	pat = kmsg_drain(o, NULL, NULL);
	if (pat)
		out_add(o, F_SPLAT, pat, "kernel splat (\"%s\") after the sequence\n", pat);
	if (!objects_clean(buf, sizeof(buf)))
		out_add(o, F_LEAK, "leak", "objects left after the sequence: %s\n", buf);

	for (i = 0; i < len; i++) {
		const struct rec *r = &sh->rec[i];

		if (r->state == REC_DONE)
			o->executed++;
		else if (r->state == REC_SKIPPED)
			o->skipped++;
		if (r->state != REC_DONE)
			continue;
		/* A touch that raised SIGBUS counts as the pseudo-errno 255. */
		fz.cov[r->fkind][r->name][r->name == NAME_TOUCH ? (r->ret ? 255 : 0) : r->err & 255] =
			true;
		if (r->bad && o->kind <= F_ERRNO && o->last < 0)
			o->last = i;
		if (r->bad && nbad++ < 4) {
			char opbuf[256], sig[96];

			snprintf(sig, sizeof(sig), "errno:%s:%s", name_str(r->name),
				 kind_names[r->fkind]);
			out_add(o, F_ERRNO, sig, "op #%d %s%s (%s file): %s\n", i,
				run_ops[i].child ? "[child] " : "",
				op_str(&run_ops[i], opbuf, sizeof(opbuf)), kind_names[r->fkind],
				r->why);
		}
	}
}

/* Prints the kept ops with their results from the last run. */
/* Prints a multi-line message as TAP diagnostics. */
static void print_lines(const char *msg)
{
	while (*msg) {
		int n = strchrnul(msg, '\n') - msg;

		ksft_print_msg("%.*s\n", n, msg);
		msg += n + !!msg[n];
	}
}

static void print_ops(const bool *keep, int len)
{
	char opbuf[256], res[256];
	int i;

	for (i = 0; i < len; i++) {
		const struct rec *r = &sh->rec[i];

		if (keep && !keep[i])
			continue;
		switch (r->state) {
		case REC_DONE:
			snprintf(res, sizeof(res), "%lld%s%s%s%s", (long long)r->ret,
				 r->ret == -1 ? " " : "", r->ret == -1 ? errno_name(r->err) : "",
				 r->bad ? "  <== " : "", r->bad ? r->why : "");
			break;
		case REC_SKIPPED:
			snprintf(res, sizeof(res), "skipped (no such file or mapping)");
			break;
		case REC_STARTED:
			snprintf(res, sizeof(res), "STARTED, never finished");
			break;
		default:
			snprintf(res, sizeof(res), "not run");
		}
		ksft_print_msg("  #%-3d %s%s => %s\n", i, run_ops[i].child ? "[child] " : "",
			       op_str(&run_ops[i], opbuf, sizeof(opbuf)), res);
	}
}

static void print_replay(uint64_t seed, const bool *keep, int len)
{
	char kbuf[4096] = " --keep ", lbuf[32] = "";

	if (keep)
		keep_str(keep, len, kbuf + 8, sizeof(kbuf) - 8);
	else
		kbuf[0] = 0;
	if (!keep && len != DEFAULT_LENGTH)
		snprintf(lbuf, sizeof(lbuf), " --length %d", len);
	ksft_print_msg("replay: ./fuzz_test --replay %#llx%s%s%s%s\n", (unsigned long long)seed,
		       kbuf, lbuf, strcmp(fz.node, KVM_DEVCTL_NODE) ? " --node " : "",
		       strcmp(fz.node, KVM_DEVCTL_NODE) ? fz.node : "");
}

struct min_ctx {
	uint64_t seed;
	const char *sig;
	double deadline;
};

static bool still_fails(const bool *keep, int len, void *p)
{
	struct min_ctx *c = p;
	struct outcome o;

	if (now() > c->deadline)
		return false;
	run_seq(c->seed, keep, len, &o);
	return o.kind && !strcmp(o.sig, c->sig);
}

/*
 * Confirms a failing sequence, minimises it and prints the reproducer.
 * Returns true if the reproducer (left in keep) fails as o0 did.
 */
static bool minimise(uint64_t seed, const bool *keep0, int len, const struct outcome *o0,
		     bool *keep)
{
	struct min_ctx c = { .seed = seed, .sig = o0->sig };
	struct outcome o;
	int i, tests, n0 = 0, n = 0;
	double t0 = now();
	bool done;

	for (i = 0; i < len; i++) {
		keep[i] = keep0 ? keep0[i] : true;
		n0 += keep[i];
	}
	for (i = 0; i < 3; i++) {
		run_seq(seed, keep, len, &o);
		if (o.kind && !strcmp(o.sig, o0->sig))
			break;
	}
	if (i == 3) {
		ksft_print_msg("the failure (%s) did not happen again in 3 replays (a warning that\n",
			       o0->sig);
		ksft_print_msg("prints once, or timing): not minimised. The whole sequence:\n");
		print_ops(keep, len);
		print_replay(seed, keep0 ? keep : NULL, len);
		return false;
	}
	c.deadline = now() + MINIMISE_SECS;
	/* What follows the failing op cannot matter: try without it first. */
	if (o0->last >= 0 && o0->last + 1 < len) {
		static bool trial[FUZZ_MAX_LEN];

		memcpy(trial, keep, sizeof(trial[0]) * len);
		memset(trial + o0->last + 1, 0, sizeof(trial[0]) * (len - o0->last - 1));
		if (still_fails(trial, len, &c))
			memcpy(keep, trial, sizeof(trial[0]) * len);
	}
	done = ddmin(keep, len, still_fails, &c, MINIMISE_TESTS, &tests);
	for (i = 0; i < len; i++)
		n += keep[i];
	run_seq(seed, keep, len, &o);
	ksft_print_msg("minimised from %d to %d ops in %d replays, %.1f s%s; the reproducer:\n",
		       n0, n, tests, now() - t0,
		       done && now() <= c.deadline ? "" : " (budget ran out: not 1-minimal)");
	print_ops(keep, len);
	print_replay(seed, keep, len);
	if (!o.kind || strcmp(o.sig, o0->sig)) {
		ksft_print_msg("(the last replay of the reproducer did not fail the same way: %s)\n",
			       o.kind ? o.sig : "no failure");
		return false;
	}
	print_lines(o.msg);
	return true;
}

/* ---- Probing the node's device types. ---- */

static bool probe_node(struct probe *pr, char *msg, size_t n)
{
	static const unsigned long cmds[ACC_NR] = {
		KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
	};
	uint32_t types[FUZZ_MAX_TYPES];
	struct objects o;
	int sys, vm, nt, i, a;
	bool ok = true;
	size_t used = 0;

	memset(pr, 0, sizeof(*pr));
	if (objects_read(&o)) {
		snprintf(msg, n, "%s: %s (debugfs?)", KVM_DEVCTL_OBJECTS, strerror(errno));
		return false;
	}
	if (o.vms || o.vcpus || o.devices) {
		snprintf(msg, n, "objects before the fuzzer: vms %ld vcpus %ld devices %ld",
			 o.vms, o.vcpus, o.devices);
		return false;
	}
	sys = open_node(fz.node);
	if (sys < 0) {
		snprintf(msg, n, "open %s: %s", fz.node, strerror(errno));
		return false;
	}
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	nt = vm < 0 ? -1 : supported_types(vm, PROBE_TYPES, types, FUZZ_MAX_TYPES);
	if (nt < 0) {
		snprintf(msg, n, "probing types: %s", strerror(errno));
		close(sys);
		return false;
	}
	for (i = 0; i < nt; i++) {
		struct type_info *ti = &pr->t[pr->ntypes++];
		struct kvm_create_device cd = { .type = types[i] };
		char name[96];
		uint32_t g;
		int k;

		ti->type = types[i];
		memset(ti->acc, -1, sizeof(ti->acc));
		/* A fresh VM for each type: singletons, and types that need a clean VM. */
		close(vm);
		vm = ioctl(sys, KVM_CREATE_VM, 0);
		if (vm < 0 || ioctl(vm, KVM_CREATE_DEVICE, &cd)) {
			ti->create_err = errno;
			continue;
		}
		fd_name(cd.fd, name, sizeof(name));
		if (!strncmp(name, "anon_inode:", 11))
			snprintf(ti->name, sizeof(ti->name), "%.*s", (int)sizeof(ti->name) - 1,
				 name + 11);
		/* api.rst 5.1: EPERM without the accessor, else EFAULT for a NULL structure. */
		for (a = 0; a < ACC_NR; a++) {
			errno = 0;
			if (ioctl(cd.fd, cmds[a], NULL) == -1 && (errno == EPERM || errno == EFAULT)) {
				ti->acc[a] = errno == EFAULT;
			} else {
				used += snprintf(msg + used, used < n ? n - used : 0,
						 "type %u: %s(NULL) gave %s; ", ti->type,
						 acc_names[a], errno_name(errno));
				ok = false;
			}
		}
		/* The attributes HAS reports, for the generator to aim at. */
		for (g = 0; ti->acc[ACC_HAS] == 1 && g < 32; g++) {
			for (k = 0; k < 32 + 59 && ti->npairs < FUZZ_MAX_PAIRS; k++) {
				uint64_t attr = k < 32 ? k : 1ULL << (k - 27);

				if (!device_attr(cd.fd, KVM_HAS_DEVICE_ATTR, g, attr, 0))
					ti->pairs[ti->npairs++] = (struct attr_pair){ g, attr };
			}
		}
		close(cd.fd);
	}
	if (vm >= 0)
		close(vm);
	close(sys);
	if (!objects_clean(msg + used, used < n ? n - used : 0))
		ok = false;
	return ok;
}

/* kvm-vfio is documented: the probe must find exactly that (vfio.rst). */
static bool probe_check_vfio(const struct probe *pr, char *msg, size_t n)
{
	const struct type_info *ti = probe_type(pr, KVM_DEV_TYPE_VFIO);

	if (!ti) {
		snprintf(msg, n, "KVM_DEV_TYPE_VFIO is not offered");
		return false;
	}
	if (strcmp(ti->name, "kvm-vfio") || ti->acc[ACC_SET] != 1 || ti->acc[ACC_GET] != 0 ||
	    ti->acc[ACC_HAS] != 1 || ti->npairs != 2 || ti->pairs[0].group != KVM_DEV_VFIO_FILE ||
	    ti->pairs[0].attr != KVM_DEV_VFIO_FILE_ADD || ti->pairs[1].group != KVM_DEV_VFIO_FILE ||
	    ti->pairs[1].attr != KVM_DEV_VFIO_FILE_DEL) {
		snprintf(msg, n, "kvm-vfio probed as \"%s\" SET %d GET %d HAS %d with %d attrs",
			 ti->name, ti->acc[ACC_SET], ti->acc[ACC_GET], ti->acc[ACC_HAS],
			 ti->npairs);
		return false;
	}
	return true;
}

static void probe_print(const struct probe *pr)
{
	int i;

	for (i = 0; i < pr->ntypes; i++) {
		const struct type_info *ti = &pr->t[i];

		if (ti->create_err)
			ksft_print_msg("type %u: KVM_CREATE_DEVICE fails with %s\n", ti->type,
				       errno_name(ti->create_err));
		else
			ksft_print_msg("type %u (%s): SET %s, GET %s, HAS %s; HAS reports %d attrs\n",
				       ti->type, ti->name, ti->acc[0] ? "yes" : "EPERM",
				       ti->acc[1] ? "yes" : "EPERM", ti->acc[2] ? "yes" : "EPERM",
				       ti->npairs);
	}
}

/* ---- Self-tests of the generator and the minimiser (no kernel). ---- */

/* The probe the self-tests generate against: kvm-vfio as documented. */
static void synthetic_probe(struct probe *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->ntypes = 1;
	pr->t[0] = (struct type_info){
		.type = KVM_DEV_TYPE_VFIO, .name = "kvm-vfio", .acc = { 1, 0, 1 }, .npairs = 2,
		.pairs = { { KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD },
			   { KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL } },
	};
}

static bool selftest_determinism(void)
{
	static struct op a[FUZZ_MAX_LEN], b[FUZZ_MAX_LEN];
	static bool k1[FUZZ_MAX_LEN], k2[FUZZ_MAX_LEN];
	struct probe pr;
	char sa[256], sb[256], ks[4096];
	int i, j, len = 200, differ = 0;
	struct rng r;

	synthetic_probe(&pr);
	for (i = 0; i < 50; i++) {
		uint64_t seed = seq_seed(fz.seed, i);

		gen_seq(seed, &pr, len, a);
		gen_seq(seed, &pr, len, b);
		if (memcmp(a, b, sizeof(a[0]) * len)) {
			ksft_print_msg("seed %#llx: two generations differ\n",
				       (unsigned long long)seed);
			return false;
		}
		for (j = 0; j < len; j++)
			if (strcmp(op_str(&a[j], sa, sizeof(sa)), op_str(&b[j], sb, sizeof(sb))))
				return false;
		/* A shorter replay (--keep up to some op) generates the same prefix. */
		gen_seq(seed, &pr, 1 + i, b);
		if (memcmp(a, b, sizeof(a[0]) * (1 + i))) {
			ksft_print_msg("seed %#llx: the first %d ops depend on the length\n",
				       (unsigned long long)seed, 1 + i);
			return false;
		}
		gen_seq(seq_seed(fz.seed, i + 1), &pr, len, b);
		differ += !!memcmp(a, b, sizeof(a[0]) * len);
	}
	if (differ != 50) {
		ksft_print_msg("only %d of 50 neighbouring seeds gave different sequences\n",
			       differ);
		return false;
	}
	/* --keep lists survive printing and parsing. */
	rng_seed(&r, fz.seed);
	for (i = 0; i < 200; i++) {
		int n = 1 + rng_below(&r, 300), hi = 0;

		for (j = 0; j < n; j++) {
			k1[j] = rng_pct(&r, i % 2 ? 80 : 20);
			if (k1[j])
				hi = j + 1;
		}
		keep_str(k1, n, ks, sizeof(ks));
		if (keep_parse(ks, k2, FUZZ_MAX_LEN) != hi || memcmp(k1, k2, hi)) {
			ksft_print_msg("--keep %s does not parse back\n", ks);
			return false;
		}
	}
	return keep_parse("1,x", k2, FUZZ_MAX_LEN) < 0 && keep_parse("5-2", k2, FUZZ_MAX_LEN) < 0;
}

/*
 * The synthetic failure: a kvm-vfio device was created (not as a TEST, with a
 * structure it could copy back), then the VM's fd was closed, then a SET was
 * made on the device's fd. Replayed on the op list alone, the way the
 * sequence process resolves slots (an op on an empty slot is skipped).
 */
static bool synthetic_fails(const bool *keep, int len, void *p)
{
	const struct op *ops = p;
	static uint8_t kind[FUZZ_MAX_LEN], vmclosed[FUZZ_MAX_LEN];
	static uint16_t devvm[FUZZ_MAX_LEN];
	int i, j;

	memset(kind, 0, sizeof(kind));
	memset(vmclosed, 0, sizeof(vmclosed));
	for (i = 0; i < len; i++) {
		const struct op *op = &ops[i];

		if (!keep[i] || op->child)
			continue;
		switch (op->kind) {
		case OP_OPEN_SYS:
			kind[op->out] = G_SYS;
			break;
		case OP_CREATE_VM:
			if (kind[op->s] == G_SYS && !op->arg)
				kind[op->out] = G_VM;
			break;
		case OP_CREATE_DEVICE:
			if (kind[op->s] == G_VM && op->type == KVM_DEV_TYPE_VFIO &&
			    !(op->flags & KVM_CREATE_DEVICE_TEST) &&
			    ptr_writable(op->p, sizeof(struct kvm_create_device))) {
				kind[op->out] = G_DEV;
				devvm[op->out] = op->s;
			}
			break;
		case OP_CLOSE:
			if (kind[op->s] == G_VM)
				for (j = 0; j < len; j++)
					if (kind[j] == G_DEV && devvm[j] == op->s)
						vmclosed[j] = 1;
			if (kind[op->s] != G_NONE)
				kind[op->s] = G_NONE;
			break;
		case OP_ATTR:
			if (op->sub == ACC_SET && kind[op->s] == G_DEV && vmclosed[op->s])
				return true;
			break;
		}
	}
	return false;
}

static bool selftest_minimiser(void)
{
	static struct op ops[FUZZ_MAX_LEN];
	static bool keep[FUZZ_MAX_LEN];
	static const uint8_t want[] = {
		OP_OPEN_SYS, OP_CREATE_VM, OP_CREATE_DEVICE, OP_CLOSE, OP_ATTR,
	};
	int len = DEFAULT_LENGTH, i, n, tests, idx[5];
	struct probe pr;
	char buf[256], ks[1024];
	uint64_t seed;

	synthetic_probe(&pr);
	for (i = 0; i < 5000; i++) {
		seed = seq_seed(fz.seed ^ 0x5e1f7e57, i);
		gen_seq(seed, &pr, len, ops);
		memset(keep, 1, sizeof(keep[0]) * len);
		if (synthetic_fails(keep, len, ops))
			break;
	}
	if (i == 5000) {
		ksft_print_msg("no generated sequence has the synthetic failure\n");
		return false;
	}
	if (!ddmin(keep, len, synthetic_fails, ops, 10000, &tests)) {
		ksft_print_msg("ddmin ran out of tests\n");
		return false;
	}
	for (i = 0, n = 0; i < len; i++)
		if (keep[i] && n < 5)
			idx[n++] = i;
		else if (keep[i])
			n++;
	ksft_print_msg("synthetic failure: sequence %#llx (%d ops) minimised to %d ops\n",
		       (unsigned long long)seed, len, n);
	ksft_print_msg("in %d tests: --keep %s\n", tests, keep_str(keep, len, ks, sizeof(ks)));
	for (i = 0; i < len; i++)
		if (keep[i])
			ksft_print_msg("  #%-3d %s\n", i, op_str(&ops[i], buf, sizeof(buf)));
	if (n != 5)
		return false;
	for (i = 0; i < 5; i++)
		if (ops[idx[i]].kind != want[i])
			return false;
	/* The ops are linked: sys -> VM -> device; the VM's fd closed; SET on the device. */
	if (ops[idx[1]].s != ops[idx[0]].out || ops[idx[2]].s != ops[idx[1]].out ||
	    ops[idx[3]].s != ops[idx[1]].out || ops[idx[4]].s != ops[idx[2]].out ||
	    ops[idx[4]].sub != ACC_SET || !synthetic_fails(keep, len, ops))
		return false;
	/* 1-minimal: without any one of them, no failure. */
	for (i = 0; i < 5; i++) {
		keep[idx[i]] = false;
		if (synthetic_fails(keep, len, ops))
			return false;
		keep[idx[i]] = true;
	}
	/* The printed --keep list replays the same subset. */
	{
		static bool k2[FUZZ_MAX_LEN];
		int hi = keep_parse(ks, k2, FUZZ_MAX_LEN);

		if (hi != idx[4] + 1 || memcmp(keep, k2, hi))
			return false;
	}
	return true;
}

/* ---- Kernel-side checks of the oracles themselves. ---- */

/* The other oracles: a live object, a crash and a hang are each reported. */
static bool check_oracles(void)
{
	struct outcome o;
	char msg[128];
	int sys, vm, timeout = fz.timeout;
	bool ok = true;

	sys = open_node(fz.node);
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0 || objects_clean(msg, sizeof(msg)) || strcmp(msg, "vms 1 vcpus 0 devices 0")) {
		ksft_print_msg("a live VM was not seen (%s)\n", vm < 0 ? strerror(errno) : msg);
		ok = false;
	}
	close(vm);
	close(sys);
	if (!objects_clean(msg, sizeof(msg))) {
		ksft_print_msg("objects: %s\n", msg);
		ok = false;
	}
	inject = INJ_CRASH;
	run_seq(seq_seed(fz.seed, 0), NULL, 8, &o);
	if (o.kind != F_CRASH || strcmp(o.sig, "crash:11")) {
		ksft_print_msg("an injected crash gave \"%s\"\n", o.sig);
		ok = false;
	}
	inject = INJ_HANG;
	fz.timeout = 2;
	run_seq(seq_seed(fz.seed, 0), NULL, 8, &o);
	if (o.kind != F_HANG) {
		ksft_print_msg("an injected hang gave \"%s\"\n", o.sig);
		ok = false;
	}
	fz.timeout = timeout;
	inject = INJ_NONE;
	return ok;
}

static bool check_kmsg_oracle(void)
{
	static const char *const splats[] = {
		"BUG: KASAN: slab-use-after-free in kvm_devctl_release+0x10/0x20",
		"WARNING: possible circular locking dependency detected",
		"WARNING: CPU: 1 PID: 77 at src/vm.rs:10 kvm_devctl::vm+0x1",
		"UBSAN: shift-out-of-bounds in src/attr.rs:1:1",
		"BUG: sleeping function called from invalid context at kernel/locking/mutex.c:1",
		"rust_kernel: panicked at src/device.rs:120:5:",
	};
	static const char *const benign[] = {
		"RCU lockdep checking is enabled.", "kvm_devctl: loaded",
		"Freeing unused kernel image (initmem) memory: 1234K",
	};
	char marker[64], line[96];
	bool seen = false;
	size_t i;
	int w, n;

	for (i = 0; i < ARRAY_SIZE(splats); i++)
		if (!splat_match(splats[i])) {
			ksft_print_msg("not a splat?: %s\n", splats[i]);
			return false;
		}
	for (i = 0; i < ARRAY_SIZE(benign); i++)
		if (splat_match(benign[i])) {
			ksft_print_msg("a splat?: %s\n", benign[i]);
			return false;
		}
	/*
	 * A debug-level line (not on the console): the reader must see it. One
	 * write() (dprintf() fails: it lseek()s, which /dev/kmsg refuses).
	 */
	snprintf(marker, sizeof(marker), "fuzz_test: kmsg marker %d", getpid());
	n = snprintf(line, sizeof(line), "<7>%s\n", marker);
	w = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (w < 0 || write(w, line, n) != n) {
		ksft_print_msg("writing /dev/kmsg: %s\n", strerror(errno));
		return false;
	}
	close(w);
	kmsg_drain(NULL, marker, &seen);
	if (!seen)
		ksft_print_msg("the marker written to /dev/kmsg was not read back\n");
	return seen;
}

/* The same sequence twice gives the same results, op for op. */
static bool check_replay_results(void)
{
	static struct rec first[FUZZ_MAX_LEN];
	uint64_t seed = seq_seed(fz.seed, 0);
	struct outcome o;
	int i;

	run_seq(seed, NULL, fz.length, &o);
	memcpy(first, sh->rec, sizeof(first[0]) * fz.length);
	run_seq(seed, NULL, fz.length, &o);
	for (i = 0; i < fz.length; i++) {
		const struct rec *a = &first[i], *b = &sh->rec[i];

		if (a->state != b->state || a->ret != b->ret || a->err != b->err) {
			char buf[256];

			ksft_print_msg("op #%d %s: %lld %s, then %lld %s\n", i,
				       op_str(&run_ops[i], buf, sizeof(buf)), (long long)a->ret,
				       errno_name(a->err), (long long)b->ret, errno_name(b->err));
			return false;
		}
	}
	return true;
}

/*
 * The whole pipeline on a real failure: with the oracle made wrong on
 * purpose (kvm-vfio's HAS of an attribute it has must fail), the fuzzer
 * must find it, minimise it to exactly open, KVM_CREATE_VM, KVM_CREATE_DEVICE
 * and the HAS, and the printed --keep list must replay it. The sequences
 * come from DEFAULT_SEED whatever --seed says: the check is of the
 * pipeline, and some master seeds give no such HAS in the first 50.
 */
static bool check_pipeline(void)
{
	static const uint8_t want[] = { OP_OPEN_SYS, OP_CREATE_VM, OP_CREATE_DEVICE, OP_ATTR };
	static bool keep[FUZZ_MAX_LEN], k2[FUZZ_MAX_LEN];
	const char *sig = "errno:KVM_HAS_DEVICE_ATTR:dev";
	int len = 16, i, n, idx[4];
	struct outcome o = { 0 };
	char ks[1024];
	uint64_t seed = 0;
	bool ok = false;

	inject = INJ_HAS;
	for (i = 0; i < 50 && !o.kind; i++) {
		seed = seq_seed(DEFAULT_SEED ^ 0x1a1ec7ed, i);
		run_seq(seed, NULL, len, &o);
	}
	if (strcmp(o.sig, sig)) {
		ksft_print_msg("pipeline: expected %s, got \"%s\" in %d sequences\n", sig, o.sig,
			       i);
		goto out;
	}
	ksft_print_msg("pipeline: injected failure in sequence %#llx:\n",
		       (unsigned long long)seed);
	print_lines(o.msg);
	if (!minimise(seed, NULL, len, &o, keep))
		goto out;
	for (i = 0, n = 0; i < len; i++)
		if (keep[i] && n++ < 4)
			idx[n - 1] = i;
	if (n != 4)
		goto out;
	for (i = 0; i < 4; i++)
		if (run_ops[idx[i]].kind != want[i])
			goto out;
	if (run_ops[idx[1]].s != run_ops[idx[0]].out || run_ops[idx[2]].s != run_ops[idx[1]].out ||
	    run_ops[idx[3]].s != run_ops[idx[2]].out || run_ops[idx[3]].sub != ACC_HAS)
		goto out;
	/* What the printed command line replays. */
	keep_str(keep, len, ks, sizeof(ks));
	n = keep_parse(ks, k2, FUZZ_MAX_LEN);
	run_seq(seed, k2, n, &o);
	ok = !strcmp(o.sig, sig) && o.executed == 4;
out:
	inject = INJ_NONE;
	return ok;
}

/* ---- The fuzzing loop. ---- */

static void print_coverage(void)
{
	int k, nm, e, total = 0;
	char line[512];

	for (k = 0; k < K_NR; k++)
		for (nm = 0; nm < NAME_NR; nm++)
			for (e = 0; e < 256; e++)
				total += fz.cov[k][nm][e];
	ksft_print_msg("outcomes: %d distinct (fd kind, call, result):\n", total);
	for (k = 0; k < K_NR; k++) {
		for (nm = 0; nm < NAME_NR; nm++) {
			size_t used = 0;

			for (e = 0; e < 256; e++)
				if (fz.cov[k][nm][e])
					used += snprintf(line + used, sizeof(line) - used, " %s",
							 !e ? "ok" : e == 255 ? "SIGBUS" :
							 errno_name(e));
			if (used)
				ksft_print_msg("  %-4s %-28s%s\n", kind_names[k], name_str(nm), line);
		}
	}
}

static bool fuzz_loop(void)
{
	static char seen[MAX_MINIMISED][96];
	static bool keep[FUZZ_MAX_LEN];
	int findings = 0, nseen = 0, i;
	double t0 = now(), elapsed, tmin = 0, m0;
	long i_seq;

	for (i_seq = 0;; i_seq++) {
		uint64_t seed = seq_seed(fz.seed, i_seq);
		struct outcome o;

		elapsed = now() - t0 - tmin;
		if (fz.sequences ? i_seq >= fz.sequences : elapsed >= fz.duration)
			break;
		run_seq(seed, NULL, fz.length, &o);
		fz.nseq++;
		fz.nops += o.executed;
		fz.nskipped += o.skipped;
		if (fz.verbose) {
			ksft_print_msg("sequence %ld (seed %#llx): %d ops, %d skipped%s%s\n", i_seq,
				       (unsigned long long)seed, o.executed, o.skipped,
				       o.kind ? ": " : "", o.kind ? finding_names[o.kind] : "");
			print_ops(NULL, fz.length);
		}
		if (!o.kind)
			continue;
		findings++;
		ksft_print_msg("FINDING (%s) in sequence %ld, seed %#llx:\n", finding_names[o.kind],
			       i_seq, (unsigned long long)seed);
		print_lines(o.msg);
		for (i = 0; i < nseen; i++)
			if (!strcmp(seen[i], o.sig))
				break;
		if (i < nseen || nseen == MAX_MINIMISED) {
			ksft_print_msg("(seen before: not minimised again)\n");
			continue;
		}
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", o.sig);
		m0 = now();
		minimise(seed, NULL, fz.length, &o, keep);
		tmin += now() - m0;	/* minimising does not eat the fuzzing time */
	}
	elapsed = now() - t0 - tmin;
	ksft_print_msg("seed %#llx: %ld sequences of %d ops in %.1f s\n",
		       (unsigned long long)fz.seed, fz.nseq, fz.length, elapsed);
	ksft_print_msg("%ld ops run (%ld skipped: no file), %.0f ops/s, %d findings\n", fz.nops,
		       fz.nskipped, elapsed > 0 ? fz.nops / elapsed : 0.0, findings);
	print_coverage();
	return !findings;
}

static void usage(const char *argv0)
{
	printf("usage: %s [--seed S] [--duration SECS] [--sequences N] [--length L]\n"
	       "          [--node PATH] [--timeout SECS] [--verbose]\n"
	       "       %s --replay SEED [--keep I,J,K-L] [--node PATH]\n"
	       "       %s --selftest\n", argv0, argv0, argv0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "sequences", required_argument, NULL, 'n' },
		{ "length", required_argument, NULL, 'l' },
		{ "replay", required_argument, NULL, 'r' },
		{ "keep", required_argument, NULL, 'k' },
		{ "node", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 't' },
		{ "selftest", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	static bool keep[FUZZ_MAX_LEN];
	const char *keep_arg = NULL;
	bool replay = false, selftest_only = false, probed;
	struct sigaction sa = { .sa_handler = on_alarm };
	uint64_t replay_seed = 0;
	char msg[1024] = "";
	int c, len;

	fz = (struct fuzz){
		.seed = DEFAULT_SEED, .duration = DEFAULT_DURATION, .length = DEFAULT_LENGTH,
		.timeout = DEFAULT_TIMEOUT, .node = KVM_DEVCTL_NODE, .kmsg = -1,
	};
	while ((c = getopt_long(argc, argv, "s:d:n:l:r:k:N:t:Svh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			fz.seed = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			fz.duration = atoi(optarg);
			break;
		case 'n':
			fz.sequences = atoi(optarg);
			break;
		case 'l':
			fz.length = atoi(optarg);
			break;
		case 'r':
			replay = true;
			replay_seed = strtoull(optarg, NULL, 0);
			break;
		case 'k':
			keep_arg = optarg;
			break;
		case 'N':
			fz.node = optarg;
			break;
		case 't':
			fz.timeout = atoi(optarg);
			break;
		case 'S':
			selftest_only = true;
			break;
		case 'v':
			fz.verbose = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return KSFT_FAIL;
		}
	}
	if (fz.length < 1 || fz.length > FUZZ_MAX_LEN || fz.timeout < 1 || optind != argc) {
		usage(argv[0]);
		return KSFT_FAIL;
	}
	len = fz.length;
	if (keep_arg) {
		len = keep_parse(keep_arg, keep, FUZZ_MAX_LEN);
		if (len < 1 || !replay) {
			fprintf(stderr, "--keep needs --replay and a list like 0,3,5-9\n");
			return KSFT_FAIL;
		}
	}

	ksft_print_header();
	if (selftest_only) {
		ksft_set_plan(2);
		ksft_test_result(selftest_determinism(), "selftest: generation is deterministic\n");
		ksft_test_result(selftest_minimiser(), "selftest: minimiser finds the 5 ops\n");
		ksft_finished();
	}

	ksft_set_plan(replay ? 3 : 8);
	if (!replay) {
		ksft_print_msg("master seed %#llx, %s %d, length %d, node %s\n",
			       (unsigned long long)fz.seed, fz.sequences ? "sequences" : "duration (s)",
			       fz.sequences ? fz.sequences : fz.duration, fz.length, fz.node);
		ksft_test_result(selftest_determinism(), "selftest: generation is deterministic\n");
		ksft_test_result(selftest_minimiser(), "selftest: minimiser finds the 5 ops\n");
	}

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	sigaction(SIGALRM, &sa, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fz.kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fz.kmsg < 0 || lseek(fz.kmsg, 0, SEEK_END) < 0)
		ksft_exit_fail_msg("/dev/kmsg: %s\n", strerror(errno));

	probed = probe_node(&fz.probe, msg, sizeof(msg)) &&
		 probe_check_vfio(&fz.probe, msg, sizeof(msg));
	probe_print(&fz.probe);
	if (!probed)
		ksft_print_msg("%s\n", msg);
	ksft_test_result(probed, "probe: %d device types, objects 0 before and after\n",
			 fz.probe.ntypes);
	ksft_test_result(check_kmsg_oracle(), "kmsg oracle: splat patterns, new lines read\n");
	if (!probed) {
		for (c = replay ? 1 : 4; c > 0; c--)
			ksft_test_result_fail("fuzzing needs the probe\n");
		ksft_finished();
	}

	if (replay) {
		static bool mkeep[FUZZ_MAX_LEN];
		struct outcome o;

		run_seq(replay_seed, keep_arg ? keep : NULL, len, &o);
		ksft_print_msg("sequence %#llx: %d ops run, %d skipped\n",
			       (unsigned long long)replay_seed, o.executed, o.skipped);
		print_ops(keep_arg ? keep : NULL, len);
		if (o.kind) {
			ksft_print_msg("FINDING (%s):\n", finding_names[o.kind]);
			print_lines(o.msg);
			minimise(replay_seed, keep_arg ? keep : NULL, len, &o, mkeep);
		}
		ksft_test_result(!o.kind, "replay of %#llx\n", (unsigned long long)replay_seed);
		ksft_finished();
	}

	ksft_test_result(check_oracles(), "oracles: a live VM, a crash, a hang are reported\n");
	ksft_test_result(check_replay_results(), "replay: the same sequence, the same results\n");
	ksft_test_result(check_pipeline(), "pipeline: an injected failure is minimised to 4 ops\n");
	ksft_test_result(fuzz_loop(), "fuzz: no crash, hang, splat, leak or unexpected errno\n");
	ksft_finished();
}
