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
 * The arm64 nodes (/dev/kvm-devctl-arm64, a GICv3 host with the ITS, and
 * /dev/kvm-devctl-arm64-gicv2) are fuzzed in robustness mode (fuzz_vgic.h
 * generates their sequences): VMs with memslots over a guest memory buffer,
 * vCPUs with KVM_ARM_VCPU_INIT, every GIC type and several ITSes per VM,
 * every attribute group with register-map-aware and boundary attrs and
 * values, ITS commands and table entries in guest memory, GITS_CWRITER,
 * the CTRL operations, memslot moves and deletes under the ITS, dup, fork
 * and close. Each result must be in the set of answers arm64 KVM's C code
 * can give for that call (exact where there is one); a set is read back as
 * written; an ITS saved, reset and restored has the same registers and
 * saves the same tables; and once the sequence closed every file, in an
 * order drawn from its seed, the module counts no object.
 *
 * A failing sequence is replayed to confirm it, minimised by delta
 * debugging over --keep subsets, and printed as an op list and as the
 * command line that replays it.
 *
 * The default run (make check, about 25 s in the debug guest) first checks
 * the fuzzer itself: the generators are deterministic and the minimiser
 * reduces a synthetic failure to exactly its 5 ops (--selftest runs only
 * these, without the kernel); each oracle can fail (a live VM, an injected
 * crash and hang, a kmsg line); a sequence replays with the same results;
 * and a deliberately wrong expectation is found, minimised to its 4 ops and
 * replayed from the printed --keep list, on the x86 node and on the GICv3
 * host's, where a wrong read-back is also reported. Then it fuzzes for 14 s
 * from a fixed master seed: 7 s on the x86 node, 5 s and 2 s on the arm64
 * nodes (--part picks the nodes). scripts/fuzz runs it for longer.
 *
 *   fuzz_test [--seed S] [--duration SECS] [--sequences N] [--length L]
 *             [--part x86|v3|v2|arm64|all[,...]] [--node PATH]
 *             [--timeout SECS] [--verbose]
 *   fuzz_test --replay SEED [--keep I,J,K-L] [--part x86|v3|v2] [--node PATH]
 *   fuzz_test --selftest
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
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
#include "fuzz_vgic.h"

#define DEFAULT_SEED		0x6b766d2d64657663ULL	/* "kvm-devc" */
#define DEFAULT_DURATION	14
#define DEFAULT_LENGTH		64
#define DEFAULT_LENGTH_ARM64	96	/* the set-up recipe takes 15 to 45 ops */
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
/* How far an ITS round trip went: compared; restore failed with EFAULT, otherwise. */
enum { RT_NONE, RT_COMPARED, RT_EFAULT, RT_FAILED, RT_EXCUSED };
/*
 * File kinds; K_V3, K_ITS and K_V2 only name the outcomes of calls on the
 * arm64 nodes' GIC and ITS device files (they are K_DEV files).
 */
enum { K_NONE, K_SYS, K_VM, K_VCPU, K_DEV, K_OTHER, K_V3, K_ITS, K_V2, K_NR };
static const char *const kind_names[K_NR] = {
	"-", "sys", "vm", "vcpu", "dev", "other", "v3", "its", "v2",
};

/* Names under which outcomes are counted: kvm_ioctls[], then these. */
enum {
	NAME_KVMIO_OTHER = ARRAY_SIZE(kvm_ioctls), NAME_OTHER, NAME_OPEN, NAME_OPEN_OTHER,
	NAME_MMAP, NAME_TOUCH, NAME_MUNMAP, NAME_READ, NAME_WRITE, NAME_LSEEK, NAME_DUP,
	NAME_DUP2, NAME_CLOSE, NAME_FORK, NAME_RLIMIT,
	/* The arm64 nodes': */
	NAME_MEMSLOT, NAME_VCPU_INIT, NAME_PREF_TARGET, NAME_IRQCHIP, NAME_SET_DEV_ADDR,
	NAME_GMEM, NAME_ROUNDTRIP, NAME_RACE,
	/* Attribute calls on arm64 devices, by accessor and group (10: any other group). */
	NAME_ATTR64, NAME_NR = NAME_ATTR64 + ACC_NR * 11
};

struct rec {
	uint8_t state;
	uint8_t fkind;		/* K_*: the kind of file the call was made on */
	uint8_t bad;		/* the result broke the errno oracle */
	uint8_t inv;		/* bad: an invariant broke, not the errno oracle */
	uint8_t name;		/* NAME_* or a kvm_ioctls[] index */
	int32_t err;
	int32_t depth;		/* an ITS round trip: the table entries its first save wrote */
	uint8_t rt;		/* an ITS round trip: how far it went (RT_*) */
	int64_t ret;
	char why[200];
};

struct shared {
	struct rec rec[FUZZ_MAX_LEN];
	char harness[200];	/* why the sequence process could not run */
	char epilogue[200];	/* arm64: objects left once every file was closed */
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
	INJ_ITS_ADDR,	/* arm64: an ITS's successful ADDR set is unexpected */
	INJ_RW,		/* arm64: NR_IRQS reads back other than written */
};
static int inject;

static const char *name_str(int name)
{
	static const char *const extra[] = {
		"ioctl(other KVMIO)", "ioctl(not KVMIO)", "open", "open(other)", "mmap", "touch",
		"munmap", "read", "write", "lseek", "dup", "dup2", "close", "fork", "setrlimit",
		"KVM_SET_USER_MEMORY_REGION", "KVM_ARM_VCPU_INIT", "KVM_ARM_PREFERRED_TARGET",
		"KVM_CREATE_IRQCHIP",
		"KVM_ARM_SET_DEVICE_ADDR", "guest memory", "ITS round trip", "memslot race",
	};
	static const char *const groups[11] = {
		"ADDR", "DIST_REGS", "CPU_REGS", "NR_IRQS", "CTRL", "REDIST_REGS", "CPU_SYSREGS",
		"LEVEL_INFO", "ITS_REGS", "MAINT_IRQ", "other group",
	};
	static const char *const accs[ACC_NR] = { "SET", "GET", "HAS" };
	static char buf[48];

	if (name < (int)ARRAY_SIZE(kvm_ioctls))
		return kvm_ioctls[name].name;
	if (name < NAME_ATTR64)
		return extra[name - NAME_KVMIO_OTHER];
	snprintf(buf, sizeof(buf), "%s %s", accs[(name - NAME_ATTR64) / 11],
		 groups[(name - NAME_ATTR64) % 11]);
	return buf;
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

/* A memslot of an arm64 VM, as the exact model of KVM_SET_USER_MEMORY_REGION keeps it. */
struct rmemslot {
	uint32_t id, flags;
	uint64_t gpa, size, uaddr;
};

#define MS_MODEL	16	/* memslots the model follows; more: it gives up */

struct rvm {
	bool child;		/* created in a fork child: the caller rule lets it through */
	int nvcpus;
	uint8_t ids[MAX_VCPU_IDS / 8];
	/* arm64: */
	char *ram;		/* the guest memory buffer (fuzz_vgic.h), or NULL */
	uint32_t ipa_bits;
	bool has_gic;		/* a GIC was created: KVM_CREATE_VCPU may be EBUSY */
	bool ms_lost;		/* the memslot model does not know the memslots any more */
	int nms;
	struct rmemslot ms[MS_MODEL];
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
	int arm64;		/* 0: the x86 node; 3 or 2: an arm64 node, its host's GIC */
	int vcpu_pages;		/* pages a vCPU file maps */
	uint64_t seed;		/* the sequence's */
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

/*
 * The checks after a KVM_CREATE_VCPU of vCPU id that returned ret, on both
 * kinds of node: no new fd on failure; else, where the VM made it, the fd is
 * anon_inode:kvm-vcpu:<id> and the VM's model gains the vCPU.
 */
static void create_vcpu_done(const struct op *op, struct rec *r, struct rfile *f, int before,
			     long ret, uint64_t id)
{
	struct rvm *vm = &ex.vm[f->vm];
	char name[96];

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

/*
 * The checks after a KVM_CREATE_DEVICE that returned ret, on both kinds of
 * node: no new fd on failure; a test leaves the structure as it was; a
 * device's fd is open, named after its type, and recorded in op->out.
 * Returns whether a device was created.
 */
static bool create_device_done(const struct op *op, struct rec *r, struct rfile *f, int before,
			       bool rd, const struct kvm_create_device *back,
			       const struct type_info *ti, long ret)
{
	char name[96];

	if (ret || f->kind != K_VM || caller_rule(f) || !rd) {
		if (ret)
			check_no_new_fd(r, before);
		return false;
	}
	if (op->flags & KVM_CREATE_DEVICE_TEST) {
		if (back->type != op->type || back->flags != op->flags || back->fd != FD_SENTINEL)
			fail_rec(r, "KVM_CREATE_DEVICE_TEST changed the structure (fd %#x)",
				 back->fd);
		return false;
	}
	if (!fd_is_open(back->fd)) {
		fail_rec(r, "cd.fd %u is not open", back->fd);
		return false;
	}
	snprintf(name, sizeof(name), "anon_inode:%s", ti->name);
	check_new_fd(r, back->fd, ti->name[0] ? name : NULL);
	slot_set_fd(op->out, back->fd, new_file(K_DEV, f->vm, op->type));
	return true;
}

static void exec_create_vcpu(const struct op *op, struct rec *r, struct rfile *f)
{
	int before = lowest_free(), fd = ex.slot[op->s].fd;
	struct rvm *vm = &ex.vm[f->vm];
	uint64_t id = op->arg;
	struct expect e;
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
	create_vcpu_done(op, r, f, before, ret, id);
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
	create_device_done(op, r, f, before, rd, back, ti, ret);
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
	} else if (f->kind == K_DEV && f->type != KVM_DEV_TYPE_VFIO && !ex.arm64) {
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
 * Touches every page of a vCPU mapping: pages at file offsets 0-2 are there
 * (0-1 on arm64), the others raise SIGBUS (api.rst 4.1, 9.1).
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

		if (s->pgoff + i >= (uint64_t)ex.vcpu_pages)
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

/* ---- The arm64 nodes: robustness mode. ---- */

/*
 * On the arm64 nodes most results are checked against the set of answers
 * that arm64 KVM's C code can give for the call (vgic-kvm-device.c,
 * vgic-its.c, vgic-init.c, arm.c, kvm_main.c), not one exact answer; what
 * has one answer (the caller rule, EFAULT for an unreadable structure,
 * unknown groups and types, memslots, VM types) is checked exactly. Then
 * invariants that hold whatever happened: a register reads back as written,
 * an ITS restored from the tables it just saved saves the same tables and
 * has the same registers, and every file closed in a random order leaves no
 * object.
 */

/* The errnos of a failed KVM_CREATE_* beyond the model (memory, files). */
static void ex_add_create_errnos(struct expect *e)
{
	ex_add(e, ENOMEM);
	ex_add(e, ENFILE);
}

/* The kind under which a call on file f is counted. */
static uint8_t kind64(const struct rfile *f)
{
	if (f->kind != K_DEV)
		return f->kind;
	switch (f->type) {
	case KVM_DEV_TYPE_ARM_VGIC_V3:
		return K_V3;
	case KVM_DEV_TYPE_ARM_VGIC_ITS:
		return K_ITS;
	case KVM_DEV_TYPE_ARM_VGIC_V2:
		return K_V2;
	}
	return K_DEV;
}

/* The width of the value of a VGIC group (what set reads, get writes). */
static size_t vgic_width(uint32_t group)
{
	switch (group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
	case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
		return 8;
	default:
		return 4;
	}
}

/*
 * What a SET, GET or HAS of attribute a on a VGIC device may answer, once
 * the structure was read: vgic-kvm-device.c vgic_v3_{set,get,has}_attr(),
 * vgic_v2_*(), vgic_set_common_attr(), kvm_vgic_addr(); vgic-its.c
 * vgic_its_{set,get,has}_attr(), vgic_its_ctrl(), the table save and
 * restore; vgic-init.c vgic_init(). drd, dwr: the value's buffer can be
 * read, written, for the group's width.
 */
static void expect_vgic(uint32_t type, int acc, const struct kvm_device_attr *a, bool drd,
			bool dwr, struct expect *e)
{
	uint32_t g = a->group;
	uint64_t at = a->attr;
	bool set = acc == ACC_SET, dok = set ? drd : dwr;

	memset(e, 0, sizeof(*e));
#define OK()	(e->ok = EX_ZERO)
#define E(x)	ex_add(e, x)
#define EF()	do { if (!dok) E(EFAULT); } while (0)
	switch (type) {
	case KVM_DEV_TYPE_ARM_VGIC_V3:
		if (acc == ACC_HAS) {
			switch (g) {
			case KVM_DEV_ARM_VGIC_GRP_ADDR:
				if (at == 2 || at == 3 || at == 5)
					OK();
				else
					E(ENXIO);
				return;
			case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
			case KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ:
				OK();
				return;
			case KVM_DEV_ARM_VGIC_GRP_CTRL:
				if (at == KVM_DEV_ARM_VGIC_CTRL_INIT ||
				    at == KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES)
					OK();
				else
					E(ENXIO);
				return;
			case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
				if (!((at & KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >>
				      KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT))
					OK();
				else
					E(ENXIO);
				return;
			case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
			case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
			case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
				OK();
				E(ENXIO);
				E(EINVAL);
				return;
			}
			E(ENXIO);
			return;
		}
		switch (g) {
		case KVM_DEV_ARM_VGIC_GRP_ADDR:
			if (at != 2 && at != 3 && at != 5) {
				/* kvm_vgic_addr() reads the value first on set. */
				if (set && !drd)
					E(EFAULT);
				else
					E(ENXIO);
				return;
			}
			OK();
			EF();
			if (set) {
				E(EINVAL);
				E(EEXIST);
				E(E2BIG);
				E(ENOMEM);
				E(ENOSPC);
			} else if (at == 5) {
				E(ENOENT);
			}
			return;
		case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
		case KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ:
			OK();
			EF();
			if (set) {
				E(EINVAL);
				E(EBUSY);
			}
			return;
		case KVM_DEV_ARM_VGIC_GRP_CTRL:
			if (set && at == KVM_DEV_ARM_VGIC_CTRL_INIT) {
				OK();
				E(ENOMEM);
			} else if (set && at == KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES) {
				OK();
				E(ENXIO);
				E(EFAULT);
			} else {
				E(ENXIO);
			}
			return;
		case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
			E(ENOENT);
			/* fall through */
		case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
		case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
		case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
			OK();
			EF();
			E(EINVAL);
			E(EBUSY);
			return;
		}
		E(ENXIO);
		return;
	case KVM_DEV_TYPE_ARM_VGIC_ITS:
		switch (g) {
		case KVM_DEV_ARM_VGIC_GRP_ADDR:
			if (acc == ACC_HAS) {
				if (at == KVM_VGIC_ITS_ADDR_TYPE)
					OK();
				else
					E(ENXIO);
			} else if (at != KVM_VGIC_ITS_ADDR_TYPE) {
				E(ENODEV);
			} else {
				/* --inject: a wrong oracle, for the pipeline check. */
				if (!set || inject != INJ_ITS_ADDR)
					OK();
				EF();
				if (set) {
					E(EEXIST);
					E(EINVAL);
					E(E2BIG);
					E(ENOSPC);
					E(ENOMEM);
				}
			}
			return;
		case KVM_DEV_ARM_VGIC_GRP_CTRL:
			if (acc == ACC_HAS) {
				if (at <= 2 || at == KVM_DEV_ARM_ITS_CTRL_RESET)
					OK();
				else
					E(ENXIO);
			} else if (!set) {
				E(ENXIO);
			} else if (at == KVM_DEV_ARM_VGIC_CTRL_INIT || at == KVM_DEV_ARM_ITS_CTRL_RESET) {
				OK();
			} else if (at == KVM_DEV_ARM_ITS_SAVE_TABLES) {
				OK();
				E(EFAULT);
			} else if (at == KVM_DEV_ARM_ITS_RESTORE_TABLES) {
				OK();
				E(EINVAL);
				E(EFAULT);
				E(EEXIST);
				E(ENOMEM);
			} else {
				E(ENXIO);
			}
			return;
		case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
			OK();
			E(EINVAL);
			E(ENXIO);
			if (acc != ACC_HAS)
				EF();
			if (set)
				E(EBUSY);
			return;
		}
		E(ENXIO);
		return;
	case KVM_DEV_TYPE_ARM_VGIC_V2:
		if (acc == ACC_HAS) {
			switch (g) {
			case KVM_DEV_ARM_VGIC_GRP_ADDR:
				if (at <= 1)
					OK();
				else
					E(ENXIO);
				return;
			case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
				OK();
				return;
			case KVM_DEV_ARM_VGIC_GRP_CTRL:
				if (at == KVM_DEV_ARM_VGIC_CTRL_INIT)
					OK();
				else
					E(ENXIO);
				return;
			case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
			case KVM_DEV_ARM_VGIC_GRP_CPU_REGS:
				OK();
				E(ENXIO);
				E(EINVAL);
				return;
			}
			E(ENXIO);
			return;
		}
		switch (g) {
		case KVM_DEV_ARM_VGIC_GRP_ADDR:
			/*
			 * kvm_vgic_addr() reads the value first on set, and on get
			 * of REDIST_REGION (the index), whatever the GIC.
			 */
			if (at > 1) {
				if ((set || at == KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION) && !drd)
					E(EFAULT);
				else
					E(ENXIO);
				return;
			}
			OK();
			EF();
			if (set) {
				E(EINVAL);
				E(EEXIST);
				E(E2BIG);
			}
			return;
		case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
			OK();
			EF();
			if (set) {
				E(EINVAL);
				E(EBUSY);
			}
			return;
		case KVM_DEV_ARM_VGIC_GRP_CTRL:
			if (set && at == KVM_DEV_ARM_VGIC_CTRL_INIT) {
				OK();
				E(ENOMEM);
			} else {
				E(ENXIO);
			}
			return;
		case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
		case KVM_DEV_ARM_VGIC_GRP_CPU_REGS:
			OK();
			EF();
			E(EINVAL);
			E(EBUSY);
			E(ENOMEM);
			return;
		}
		E(ENXIO);
		return;
	}
	/* kvm-vfio (vfio.rst): no get; the fd value is random here. */
	if (acc == ACC_HAS) {
		if (g == KVM_DEV_VFIO_FILE && (at == KVM_DEV_VFIO_FILE_ADD ||
					       at == KVM_DEV_VFIO_FILE_DEL))
			OK();
		else
			E(ENXIO);
		return;
	}
	E(ENXIO);
	if (g == KVM_DEV_VFIO_FILE && (at == KVM_DEV_VFIO_FILE_ADD || at == KVM_DEV_VFIO_FILE_DEL)) {
		E(EFAULT);
		E(EBADF);
		E(EINVAL);
		E(ENOENT);
	}
#undef OK
#undef E
#undef EF
}

/*
 * Any request on an arm64 node's file but the creations and the attribute
 * calls with a value: kvm_dev_ioctl() and arm64's kvm_arch_dev_ioctl() (the
 * system file), kvm_vm_ioctl() and kvm_arch_vm_ioctl() (VM), arm64's
 * kvm_arch_vcpu_ioctl() (vCPU: the module answers only KVM_ARM_VCPU_INIT),
 * kvm_device_ioctl() (device). rd as for expect_ioctl(); a: the structure
 * (zeroes) when rd is 1.
 */
static void expect_ioctl64(const struct rfile *f, uint32_t cmd, uint64_t arg, int rd,
			   const struct kvm_device_attr *a, struct expect *e)
{
	static const struct kvm_device_attr zero;
	int acc;

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
			ex_ok(e, EX_NONNEG, 0);
			if (arg == KVM_CAP_MSI_DEVID)
				ex_only(e, EINVAL);
			return;
		case KVM_GET_VCPU_MMAP_SIZE:
			if (arg)
				ex_only(e, EINVAL);
			else
				ex_ok(e, EX_VAL, 2 * FUZZ_PAGE);
			return;
		}
		ex_only(e, EINVAL);
		return;
	case K_VM:
		switch (cmd) {
		case KVM_CHECK_EXTENSION:
			ex_ok(e, EX_NONNEG, 0);
			return;
		case KVM_SET_USER_MEMORY_REGION:
		case KVM_ARM_PREFERRED_TARGET:
		case KVM_CREATE_IRQCHIP:
		case KVM_ARM_SET_DEVICE_ADDR:
			ex_ok(e, EX_ZERO, 0);
			ex_add(e, EINVAL);
			ex_add(e, EEXIST);
			ex_add(e, ENODEV);
			ex_add(e, E2BIG);
			ex_add(e, EBUSY);
			if (rd <= 0)
				ex_add(e, EFAULT);
			return;
		case KVM_HAS_DEVICE_ATTR:
		case KVM_SET_DEVICE_ATTR:
			ex_only(e, rd ? ENXIO : EFAULT);
			if (rd < 0)
				ex_add(e, EFAULT);
			return;
		}
		ex_only(e, EINVAL);
		return;
	case K_VCPU:
		ex_only(e, EINVAL);
		if (cmd == KVM_ARM_VCPU_INIT) {
			ex_add(e, ENOENT);
			if (rd <= 0)
				ex_add(e, EFAULT);
		}
		return;
	case K_DEV:
		acc = cmd == KVM_SET_DEVICE_ATTR ? ACC_SET : cmd == KVM_GET_DEVICE_ATTR ? ACC_GET :
		      cmd == KVM_HAS_DEVICE_ATTR ? ACC_HAS : -1;
		if (acc < 0) {
			ex_only(e, ENOTTY);
		} else if (f->type == KVM_DEV_TYPE_VFIO && acc == ACC_GET) {
			ex_only(e, EPERM);
		} else if (!rd) {
			ex_only(e, EFAULT);
		} else {
			/* Zeroes: addr NULL, so the value is never there. */
			expect_vgic(f->type, acc, rd > 0 && a ? a : &zero, false, false, e);
			if (rd < 0) {
				/* Unknown contents: whatever the type may answer. */
				ex_add(e, EFAULT);
				ex_add(e, ENXIO);
				ex_add(e, EINVAL);
				ex_add(e, ENODEV);
				ex_add(e, EBUSY);
				ex_add(e, ENOENT);
				ex_add(e, EEXIST);
				ex_add(e, E2BIG);
				ex_add(e, EPERM);
				ex_add(e, EBADF);
				ex_add(e, ENOSPC);
				ex_add(e, ENOMEM);
				e->ok = EX_ZERO;
			}
		}
		return;
	}
}

/* The guest memory buffer of an arm64 VM (fuzz_vgic.h). */
static char *a64_ram_alloc(void)
{
	size_t size = A64_RAM_SIZE + A64_RO_SIZE + A64_NONE_SIZE;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + A64_RAM_SIZE, A64_RO_SIZE, PROT_READ) ||
	    mprotect(p + A64_RAM_SIZE + A64_RO_SIZE, A64_NONE_SIZE, PROT_NONE)) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

static void exec_create_vm64(const struct op *op, struct rec *r, struct rfile *f)
{
	int before = lowest_free(), fd = ex.slot[op->s].fd;
	uint64_t ty = op->arg, ipa = ty & KVM_VM_TYPE_ARM_IPA_SIZE_MASK;
	bool valid = !(ty & ~KVM_VM_TYPE_ARM_IPA_SIZE_MASK) && (!ipa || (ipa >= 32 && ipa <= 52));
	struct expect e;
	long ret;

	r->name = cmd_name(KVM_CREATE_VM);
	/* arm.c kvm_arch_init_vm(), mmu.c kvm_init_ipa_range(); the descriptor first. */
	if (f->kind != K_SYS)
		expect_ioctl64(f, KVM_CREATE_VM, ty, 0, NULL, &e);
	else if (before < 0)
		ex_only(&e, EMFILE);
	else if (!valid)
		ex_only(&e, EINVAL);
	else {
		ex_ok(&e, EX_FD, 0);
		ex_add_create_errnos(&e);
	}
	errno = 0;
	ret = do_ioctl(fd, KVM_CREATE_VM, 0, ty);
	finish(r, &e, ret, errno);
	if (ret < 0) {
		check_no_new_fd(r, before);
		return;
	}
	if (f->kind != K_SYS)
		return;
	check_new_fd(r, ret, "anon_inode:kvm-vm");
	ex.vm[ex.nvms] = (struct rvm){
		.child = ex.in_child, .ram = a64_ram_alloc(), .ipa_bits = ipa ? ipa : 40,
	};
	slot_set_fd(op->out, ret, new_file(K_VM, ex.nvms++, 0));
}

static void exec_create_vcpu64(const struct op *op, struct rec *r, struct rfile *f)
{
	int before = lowest_free(), fd = ex.slot[op->s].fd, max = ex.arm64 == 2 ? 8 : 512;
	struct rvm *vm = &ex.vm[f->vm];
	uint64_t id = op->arg;
	struct expect e;
	long ret;

	r->name = cmd_name(KVM_CREATE_VCPU);
	/* kvm_vm_ioctl_create_vcpu(), arm.c kvm_arch_vcpu_precreate(). */
	if (f->kind != K_VM || caller_rule(f)) {
		expect_ioctl64(f, KVM_CREATE_VCPU, id, 0, NULL, &e);
	} else if (id >= 512 || vm->nvcpus >= max) {
		ex_only(&e, EINVAL);
	} else if (vm->ids[id / 8] & (1 << (id % 8))) {
		ex_only(&e, EEXIST);
	} else if (id >= (uint64_t)max) {
		ex_only(&e, EINVAL);
		if (vm->has_gic)
			ex_add(&e, EBUSY);
	} else {
		if (before < 0)
			ex_only(&e, EMFILE);
		else
			ex_ok(&e, EX_FD, 0);
		ex_add_create_errnos(&e);
		if (vm->has_gic)
			ex_add(&e, EBUSY);
	}
	errno = 0;
	ret = do_ioctl(fd, KVM_CREATE_VCPU, 0, id);
	finish(r, &e, ret, errno);
	create_vcpu_done(op, r, f, before, ret, id);
}

static void exec_create_device64(const struct op *op, struct rec *r, struct rfile *f)
{
	struct kvm_create_device cd = { .type = op->type, .fd = FD_SENTINEL, .flags = op->flags };
	int before = lowest_free(), fd = ex.slot[op->s].fd;
	bool rd = ptr_readable(op->p, sizeof(cd)), wr = ptr_writable(op->p, sizeof(cd));
	const struct type_info *ti = probe_type(ex.pr, op->type);
	bool test = op->flags & KVM_CREATE_DEVICE_TEST;
	struct kvm_create_device *back;
	struct expect e;
	uint64_t arg;
	long ret;

	r->name = cmd_name(KVM_CREATE_DEVICE);
	arg = place(&ex.as, op->p, &cd, sizeof(cd));
	back = (struct kvm_create_device *)(uintptr_t)arg;
	/* kvm_ioctl_create_device(), kvm_vgic_create(), vgic_its_create(). */
	if (f->kind != K_VM || caller_rule(f)) {
		expect_ioctl64(f, KVM_CREATE_DEVICE, arg, rd, NULL, &e);
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
	} else {
		if (wr)
			ex_ok(&e, EX_ZERO, 0);
		else
			ex_only(&e, EFAULT);
		ex_add_create_errnos(&e);
		if (op->type == KVM_DEV_TYPE_VFIO) {
			ex_add(&e, EBUSY);
		} else if (op->type != KVM_DEV_TYPE_ARM_VGIC_ITS) {
			/* A second GIC; more vCPUs than it takes; a vCPU that ran. */
			ex_add(&e, EEXIST);
			ex_add(&e, E2BIG);
			ex_add(&e, EBUSY);
		}
	}
	errno = 0;
	ret = do_ioctl(fd, KVM_CREATE_DEVICE, 0, arg);
	finish(r, &e, ret, errno);
	if (create_device_done(op, r, f, before, rd, back, ti, ret) &&
	    (op->type == KVM_DEV_TYPE_ARM_VGIC_V3 || op->type == KVM_DEV_TYPE_ARM_VGIC_V2))
		ex.vm[f->vm].has_gic = true;
}

/* ---- The memslot model (kvm_main.c kvm_set_memory_region(), arm64 mmu.c). ---- */

static struct rmemslot *ms_find(struct rvm *vm, uint32_t id)
{
	int i;

	for (i = 0; i < vm->nms; i++)
		if (vm->ms[i].id == id)
			return &vm->ms[i];
	return NULL;
}

/*
 * The answer of KVM_SET_USER_MEMORY_REGION with m (readable); *change: 1
 * if a success changes the slots. What arm64 KVM answers, but for its
 * access_ok() (api.rst 9.2): a user range beyond user space may also be
 * accepted (the module's documented difference), so EINVAL and 0 both go.
 */
static void expect_memslot(struct rvm *vm, const struct kvm_userspace_memory_region *m,
			   struct expect *e)
{
	const uint64_t task_size = 0x00007ffffffff000ULL;
	struct rmemslot *old;
	uint16_t id = m->slot;
	uint64_t npages = m->memory_size >> 12, i;

	if ((m->flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)) || id >= 32767 ||
	    (m->memory_size & 0xfff) || (m->guest_phys_addr & 0xfff) ||
	    (m->userspace_addr & 0xfff) || m->userspace_addr + m->memory_size < m->userspace_addr ||
	    (m->slot >> 16) || m->guest_phys_addr + m->memory_size < m->guest_phys_addr ||
	    npages > (1ULL << 31) - 1) {
		ex_only(e, EINVAL);
		return;
	}
	if (vm->ms_lost) {
		ex_ok(e, EX_ZERO, 0);
		ex_add(e, EINVAL);
		ex_add(e, EEXIST);
		ex_add(e, EFAULT);
		ex_add(e, ENOMEM);
		return;
	}
	old = ms_find(vm, id);
	if (!npages) {
		if (old)
			ex_ok(e, EX_ZERO, 0);
		else
			ex_only(e, EINVAL);
		return;
	}
	if (old) {
		if (m->userspace_addr != old->uaddr || m->memory_size != old->size ||
		    ((m->flags ^ old->flags) & KVM_MEM_READONLY)) {
			ex_only(e, EINVAL);
			return;
		}
		if (m->guest_phys_addr == old->gpa) {
			/* Flags only, or nothing to do; the end was checked before. */
			ex_ok(e, EX_ZERO, 0);
			return;
		}
	}
	for (i = 0; i < (uint64_t)vm->nms; i++) {
		const struct rmemslot *s = &vm->ms[i];

		if (s->id != id && m->guest_phys_addr < s->gpa + s->size &&
		    s->gpa < m->guest_phys_addr + m->memory_size) {
			ex_only(e, EEXIST);
			return;
		}
	}
	if (m->guest_phys_addr + m->memory_size > 1ULL << vm->ipa_bits) {
		ex_only(e, EFAULT);
		return;
	}
	ex_ok(e, EX_ZERO, 0);
	ex_add(e, ENOMEM);
	if (m->userspace_addr + m->memory_size > task_size)
		ex_add(e, EINVAL);
}

/* Applies a successful request to the model. */
static void ms_apply(struct rvm *vm, const struct kvm_userspace_memory_region *m)
{
	struct rmemslot *old = ms_find(vm, (uint16_t)m->slot);

	if (vm->ms_lost)
		return;
	if (!m->memory_size) {
		if (old)
			*old = vm->ms[--vm->nms];
		return;
	}
	if (!old) {
		if (vm->nms == MS_MODEL) {
			vm->ms_lost = true;
			return;
		}
		old = &vm->ms[vm->nms++];
	}
	*old = (struct rmemslot){
		.id = (uint16_t)m->slot, .flags = m->flags, .gpa = m->guest_phys_addr,
		.size = m->memory_size, .uaddr = m->userspace_addr,
	};
}

/* The user address a memslot request of mode sub at buffer offset off names. */
static uint64_t ms_uaddr(const struct rvm *vm, int sub, uint64_t off)
{
	uint64_t ram = (uintptr_t)vm->ram;

	switch (sub) {
	case MS_RW:
		return ram + off % A64_RAM_SIZE;
	case MS_RO:
		return ram + A64_RAM_SIZE + off % A64_RO_SIZE;
	case MS_NONE:
		return ram + A64_RAM_SIZE + A64_RO_SIZE;
	case MS_UNMAPPED:
		return 0x1000;
	case MS_MISALIGNED:
		return ram + off % A64_RAM_SIZE + 8;
	case MS_KERNEL:
		return 0xffff888000000000ULL;
	default:
		return ~0ULL << 12;
	}
}

static void exec_memslot(const struct op *op, struct rec *r, struct rfile *f)
{
	struct rvm *vm = &ex.vm[f->vm];
	struct kvm_userspace_memory_region m = {
		.slot = op->attr, .flags = op->flags, .guest_phys_addr = op->arg,
		.memory_size = op->len,
	};
	bool rd = ptr_readable(op->p, sizeof(m));
	struct expect e;
	uint64_t arg;
	long ret;

	r->name = NAME_MEMSLOT;
	if (!vm->ram) {
		r->state = REC_SKIPPED;
		return;
	}
	m.userspace_addr = ms_uaddr(vm, op->sub, op->val);
	arg = place(&ex.as, op->p, &m, sizeof(m));
	if (f->kind != K_VM || caller_rule(f))
		expect_ioctl64(f, KVM_SET_USER_MEMORY_REGION, arg, rd, NULL, &e);
	else if (!rd)
		ex_only(&e, EFAULT);
	else
		expect_memslot(vm, &m, &e);
	errno = 0;
	ret = do_ioctl(ex.slot[op->s].fd, KVM_SET_USER_MEMORY_REGION, 0, arg);
	finish(r, &e, ret, errno);
	if (!ret && f->kind == K_VM && !caller_rule(f))
		ms_apply(vm, &m);
}

static void exec_vcpu_init(const struct op *op, struct rec *r, struct rfile *f)
{
	struct kvm_vcpu_init init = { .target = op->arg };
	bool rd = ptr_readable(op->p, sizeof(init));
	struct expect e;
	uint64_t arg;
	long ret;

	r->name = NAME_VCPU_INIT;
	init.features[0] = op->flags;
	if (op->val >= 1 && op->val < 7)
		init.features[op->val] = 1;
	arg = place(&ex.as, op->p, &init, sizeof(init));
	/* arm.c kvm_arch_vcpu_ioctl_vcpu_init(), kvm_vcpu_init_check_features(). */
	if (f->kind != K_VCPU || caller_rule(f)) {
		expect_ioctl64(f, KVM_ARM_VCPU_INIT, arg, rd, NULL, &e);
	} else if (!rd) {
		ex_only(&e, EFAULT);
	} else if (init.target != KVM_ARM_TARGET_GENERIC_V8) {
		ex_only(&e, EINVAL);
	} else if ((init.features[0] & ~((1u << 10) - 1)) || op->val) {
		ex_only(&e, ENOENT);
	} else {
		ex_ok(&e, EX_ZERO, 0);
		ex_add(&e, EINVAL);
	}
	errno = 0;
	ret = do_ioctl(ex.slot[op->s].fd, KVM_ARM_VCPU_INIT, 0, arg);
	finish(r, &e, ret, errno);
}

static void exec_arm_vm(const struct op *op, struct rec *r, struct rfile *f)
{
	struct kvm_arm_device_addr da = { .id = op->arg, .addr = op->val };
	struct kvm_vcpu_init init;
	uint32_t cmd;
	struct expect e;
	uint64_t arg = op->arg;
	int rd = 1;
	long ret;

	memset(&init, 0xa5, sizeof(init));
	switch (op->sub) {
	case AV_PREFERRED_TARGET:
		r->name = NAME_PREF_TARGET;
		cmd = KVM_ARM_PREFERRED_TARGET;
		arg = place(&ex.as, op->p, &init, sizeof(init));
		rd = ptr_writable(op->p, sizeof(init));
		break;
	case AV_CREATE_IRQCHIP:
		r->name = NAME_IRQCHIP;
		cmd = KVM_CREATE_IRQCHIP;
		break;
	case AV_SET_DEVICE_ADDR:
		r->name = NAME_SET_DEV_ADDR;
		cmd = KVM_ARM_SET_DEVICE_ADDR;
		arg = place(&ex.as, op->p, &da, sizeof(da));
		rd = ptr_readable(op->p, sizeof(da));
		break;
	default:
		r->name = cmd_name(KVM_CHECK_EXTENSION);
		cmd = KVM_CHECK_EXTENSION;
		break;
	}
	if (caller_rule(f) || f->kind != K_VM) {
		expect_ioctl64(f, cmd, arg, rd, NULL, &e);
	} else {
		switch (op->sub) {
		case AV_PREFERRED_TARGET:
			if (rd)
				ex_ok(&e, EX_ZERO, 0);
			else
				ex_only(&e, EFAULT);
			break;
		case AV_CREATE_IRQCHIP:
			/* vgic-init.c kvm_vgic_create(): the host decides. */
			if (ex.arm64 == 2) {
				ex_ok(&e, EX_ZERO, 0);
				ex_add(&e, EEXIST);
				ex_add(&e, EBUSY);
				ex_add(&e, ENOMEM);
			} else {
				ex_only(&e, ENODEV);
			}
			break;
		case AV_SET_DEVICE_ADDR:
			/* arm.c kvm_vm_ioctl_set_device_addr(), kvm_set_legacy_vgic_v2_addr(). */
			if (!rd) {
				ex_only(&e, EFAULT);
			} else if ((da.id & KVM_ARM_DEVICE_ID_MASK) >> KVM_ARM_DEVICE_ID_SHIFT ||
				   ex.arm64 == 3 || (da.id & KVM_ARM_DEVICE_TYPE_MASK) > 1) {
				ex_only(&e, ENODEV);
			} else {
				ex_ok(&e, EX_ZERO, 0);
				ex_add(&e, ENODEV);
				ex_add(&e, EINVAL);
				ex_add(&e, EEXIST);
				ex_add(&e, E2BIG);
			}
			break;
		default:
			ex_ok(&e, EX_NONNEG, 0);
			break;
		}
	}
	errno = 0;
	ret = do_ioctl(ex.slot[op->s].fd, cmd, 0, arg);
	finish(r, &e, ret, errno);
	if (!ret && op->sub == AV_CREATE_IRQCHIP && f->kind == K_VM)
		ex.vm[f->vm].has_gic = true;
	if (!ret && op->sub == AV_PREFERRED_TARGET && f->kind == K_VM && !caller_rule(f)) {
		const struct kvm_vcpu_init *back = (const void *)(uintptr_t)arg;
		int i;

		for (i = 0; i < 7; i++)
			if (back->features[i])
				break;
		if (back->target != KVM_ARM_TARGET_GENERIC_V8 || i < 7) {
			r->inv = 1;
			fail_rec(r, "preferred target %u, features[%d] %#x", back->target, i,
				 i < 7 ? back->features[i] : 0);
		}
	}
}

/*
 * Fills n 32-byte ITS commands from seed, for ITS area j of a VM with nvcpus
 * vCPUs: half the time a script that builds state (MAPD, MAPC, then MAPTIs
 * into them), else random commands; fields mostly in range, now and then
 * not, and now and then a flipped bit.
 */
static void gmem_commands(uint64_t *w, int n, uint64_t seed, int j, int nvcpus)
{
	static const uint8_t cmds[] = {
		ITS_MAPD, ITS_MAPD, ITS_MAPC, ITS_MAPC, ITS_MAPTI, ITS_MAPTI, ITS_MAPI, ITS_MOVI,
		ITS_DISCARD, ITS_INV, ITS_INVALL, ITS_INT, ITS_CLEAR, ITS_SYNC, ITS_MOVALL,
	};
	struct rng r;
	bool script;
	uint64_t sdev, sicid;
	int i;

	rng_seed(&r, seed);
	script = rng_pct(&r, 50);
	sdev = rng_below(&r, 8);
	sicid = rng_below(&r, 4);
	for (i = 0; i < n; i++, w += 4) {
		uint64_t dev = rng_pct(&r, 85) ? rng_below(&r, 8) : g64_noise(&r) & 0xffffffff;
		uint64_t ev = rng_pct(&r, 85) ? rng_below(&r, 8) : g64_noise(&r) & 0xffffffff;
		uint64_t lpi = rng_pct(&r, 85) ? A64_LPI(rng_below(&r, 64)) : g64_noise(&r) & 0xffffffff;
		uint64_t icid = rng_pct(&r, 85) ? rng_below(&r, 4) : g64_noise(&r) & 0xffff;
		uint64_t target = rng_pct(&r, 85) ? rng_below(&r, nvcpus ? nvcpus : 1) :
				  g64_noise(&r) & 0xfffffffffULL;
		uint64_t size = rng_pct(&r, 85) ? 2 + rng_below(&r, 3) : rng_below(&r, 32);
		uint64_t valid = rng_pct(&r, 90) ? A64_VALID : 0;
		uint8_t cmd = rng_pct(&r, 95) ? cmds[rng_below(&r, ARRAY_SIZE(cmds))] :
			      (uint8_t)rng_next(&r);
		uint64_t itt;

		if (script) {
			cmd = i == 0 ? ITS_MAPD : i == 1 ? ITS_MAPC : rng_pct(&r, 80) ? ITS_MAPTI : cmd;
			dev = rng_pct(&r, 90) ? sdev : dev;
			icid = rng_pct(&r, 90) ? sicid : icid;
			valid = A64_VALID;
		}
		itt = rng_pct(&r, 90) ? A64_GPA_RAM + A64_AREA(j) + A64_ITT + (dev & 0xff) * 256 :
		      g64_noise(&r) & ~0xffULL;
		w[0] = cmd | dev << 32;
		w[1] = cmd == ITS_MAPD ? size : ev | lpi << 32;
		w[2] = cmd == ITS_MAPD ? valid | (itt & 0xffffffffff00ULL) :
		       cmd == ITS_MAPC ? valid | (target << 16 & 0xfffffffff0000ULL) | icid : icid;
		w[3] = cmd == ITS_MOVALL ? target << 16 : 0;
		if (rng_pct(&r, 3))
			w[rng_below(&r, 4)] ^= 1ULL << rng_below(&r, 64);
	}
}

/* Writes op's contents into VM f's guest memory buffer. */
static void exec_gmem(const struct op *op, struct rec *r, struct rfile *f)
{
	struct rvm *vm = &ex.vm[f->vm];
	uint64_t off = op->arg, w[4 * 64];
	size_t n = 0, i;
	struct expect e;
	struct rng rg;
	int j = op->attr & 3;

	r->name = NAME_GMEM;
	if (f->kind != K_VM || !vm->ram) {
		r->state = REC_SKIPPED;
		return;
	}
	rng_seed(&rg, op->val);
	switch (op->sub) {
	case GM_CMDS:
		n = op->len > 16 ? 16 : op->len;
		gmem_commands(w, n, op->val, j, op->type);
		/* The queue wraps at op->flags bytes from its start. */
		for (i = 0; i < n; i++) {
			uint64_t q = A64_AREA(j) + A64_CMDQ, size = op->flags ? op->flags : 4096;
			uint64_t at = q + (off - q + 32 * i) % size;

			if (at + 32 <= A64_RAM_SIZE)
				memcpy(vm->ram + at, &w[4 * i], 32);
		}
		n = 0;
		break;
	case GM_DTE:
		for (n = 0; n < op->len && n < 64; n++)
			w[n] = rng_pct(&rg, 80) ?
			       A64_DTE(rng_below(&rg, 3), A64_GPA_RAM + A64_AREA(j) + A64_ITT +
				       256 * rng_below(&rg, 8), 1 + rng_below(&rg, 4)) :
			       g64_noise(&rg);
		break;
	case GM_CTE:
		for (n = 0; n < op->len && n < 64; n++)
			w[n] = rng_pct(&rg, 80) ?
			       A64_CTE(rng_below(&rg, op->type + 1), rng_below(&rg, 8)) :
			       g64_noise(&rg);
		break;
	case GM_ITE:
		for (n = 0; n < op->len && n < 64; n++)
			w[n] = rng_pct(&rg, 80) ?
			       A64_ITE(rng_below(&rg, 3), A64_LPI(rng_below(&rg, 64)),
				       rng_below(&rg, 4)) : g64_noise(&rg);
		break;
	case GM_L1:
		for (n = 0; n < op->len && n < 64; n++)
			w[n] = rng_pct(&rg, 80) ?
			       A64_L1E(A64_GPA_RAM + A64_AREA(j) + A64_L2 + 0x10000 * rng_below(&rg, 2)) :
			       g64_noise(&rg);
		break;
	case GM_RANDOM:
		for (n = 0; n < op->len / 8 && n < 64; n++)
			w[n] = rng_next(&rg);
		break;
	case GM_ZERO:
		if (off < A64_RAM_SIZE)
			memset(vm->ram + off, 0, op->len < A64_RAM_SIZE - off ? op->len :
			       A64_RAM_SIZE - off);
		break;
	case GM_PROP:
		for (i = 0; i < op->len && off + i < A64_RAM_SIZE; i++)
			vm->ram[off + i] = rng_pct(&rg, 70) ? 0xa0 | rng_below(&rg, 2) :
					   (char)rng_next(&rg);
		break;
	default:
		for (i = 0; i < op->len && off + i < A64_RAM_SIZE; i++)
			vm->ram[off + i] |= 1 << rng_below(&rg, 8);
		break;
	}
	if (n && off + 8 * n <= A64_RAM_SIZE)
		memcpy(vm->ram + off, w, 8 * n);
	ex_ok(&e, EX_ZERO, 0);
	finish(r, &e, 0, 0);
}

/* KVM_{SET,GET}_DEVICE_ATTR with a good structure and value: the result, errno in *err. */
static long attr_call(int fd, unsigned long cmd, uint32_t group, uint64_t attr, uint64_t *val,
		      int *err)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)val,
	};
	long ret;

	errno = 0;
	ret = ioctl(fd, cmd, &a);
	*err = ret ? errno : 0;
	return ret;
}

/*
 * The bits of a GIC register that read back as user space wrote them, for
 * the registers whose read-back is checked (golden vgic_v3.txt, vgic_v2.txt;
 * vgic-mmio.c vgic_mmio_{read,write}_priority(), vgic-mmio-v3.c
 * vgic_mmio_{read,write}_irouter(), vgic-sys-reg-v3.c set_gic_pmr(),
 * set_gic_grpen1()); nr: NR_IRQS.
 */
static bool rw_mask(uint32_t type, uint32_t group, uint32_t off, uint32_t nr, uint64_t *mask)
{
	/* vgic_uaccess(): an unaligned offset reaches no register. */
	if (off & 3)
		return false;
	if (group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS && off >= 0x420 && off < 0x800 &&
	    off + 4 <= 0x400 + nr) {
		*mask = 0xf8f8f8f8;	/* SPI priorities, 5 bits */
		return true;
	}
	if (type == KVM_DEV_TYPE_ARM_VGIC_V3 && group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS &&
	    off >= 0x6100 && off < 0x6000 + 8 * nr) {
		*mask = off & 4 ? 0 : 0x00ffffff;	/* IROUTER: Aff2.Aff1.Aff0 */
		return true;
	}
	if (group == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS && off >= A64_SGI + 0x400 &&
	    off < A64_SGI + 0x420) {
		*mask = 0xf8f8f8f8;	/* SGI and PPI priorities */
		return true;
	}
	if (group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS &&
	    (off & 0xffff) == A64_SYSREG(3, 0, 4, 6, 0)) {
		*mask = 0xff;		/* ICC_PMR_EL1 */
		return true;
	}
	if (group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS &&
	    (off & 0xffff) == A64_SYSREG(3, 0, 12, 12, 7)) {
		*mask = 1;		/* ICC_IGRPEN1_EL1 */
		return true;
	}
	return false;
}

/* GET of an attribute after a successful SET: it must succeed; some read back as written. */
static void check_readback(const struct op *op, struct rec *r, const struct rfile *f, int fd)
{
	uint64_t v = op->val, got = op->val, want = 0, mask = 0;
	uint32_t off = (uint32_t)op->attr, w = vgic_width(op->group);
	int err;
	bool exact = false;

	if (op->group == KVM_DEV_ARM_VGIC_GRP_CTRL)
		return;
	if (attr_call(fd, KVM_GET_DEVICE_ATTR, op->group, op->attr, &got, &err)) {
		r->inv = 1;
		fail_rec(r, "; a get after the successful set failed with %s", errno_name(err));
		return;
	}
	if (w == 4)
		got &= 0xffffffff;
	switch (f->type) {
	case KVM_DEV_TYPE_ARM_VGIC_V3:
	case KVM_DEV_TYPE_ARM_VGIC_V2:
		if (op->group == KVM_DEV_ARM_VGIC_GRP_NR_IRQS ||
		    op->group == KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ) {
			want = (uint32_t)v;
			exact = true;
			if (inject == INJ_RW && op->group == KVM_DEV_ARM_VGIC_GRP_NR_IRQS)
				want ^= 1;
		} else if (op->group == KVM_DEV_ARM_VGIC_GRP_ADDR) {
			/* REDIST_REGION: the index is a u8 (kvm_vgic_addr()). */
			want = op->attr == KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION ?
					     v & ~0xf00ULL : v;
			exact = true;
		} else if (op->group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS ||
			   op->group == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS ||
			   op->group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS) {
			uint64_t nrv = 0;

			if (attr_call(fd, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nrv,
				      &err))
				return;
			exact = rw_mask(f->type, op->group, off, (uint32_t)nrv, &mask);
			want = v & mask;
		}
		break;
	case KVM_DEV_TYPE_ARM_VGIC_ITS:
		if (op->group == KVM_DEV_ARM_VGIC_GRP_ADDR) {
			want = v;
			exact = true;
		} else if (op->group == KVM_DEV_ARM_VGIC_GRP_ITS_REGS &&
			   op->attr == A64_GITS_CREADR) {
			want = v & 0xfffe0;
			exact = true;	/* user write, ITS disabled */
		} else if (op->group == KVM_DEV_ARM_VGIC_GRP_ITS_REGS &&
			   op->attr == A64_GITS_IIDR) {
			want = 0x4b00043b;
			exact = true;
		}
		break;
	}
	if (exact && got != want) {
		r->inv = 1;
		fail_rec(r, "; read back %#llx, expected %#llx", (unsigned long long)got,
			 (unsigned long long)want);
	}
}

static void exec_attr64(const struct op *op, struct rec *r, struct rfile *f)
{
	static const unsigned long cmds[ACC_NR] = {
		KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
	};
	struct kvm_device_attr a = { .flags = op->flags, .group = op->group, .attr = op->attr };
	uint64_t val = op->val, arg;
	uint32_t cmd = cmds[op->sub];
	size_t w = vgic_width(op->group);
	bool rd = ptr_readable(op->p, sizeof(a));
	bool drd = ptr_readable(op->d, w), dwr = ptr_writable(op->d, w);
	struct expect e;
	long ret;

	r->name = f->kind == K_DEV ? NAME_ATTR64 + op->sub * 11 + (op->group < 10 ? op->group : 10) :
		  cmd_name(cmd);
	a.addr = place(&ex.ad, op->d, &val, sizeof(val));
	arg = place(&ex.as, op->p, &a, sizeof(a));
	if (f->kind != K_DEV || caller_rule(f))
		expect_ioctl64(f, cmd, arg, rd, &a, &e);
	else if (f->type == KVM_DEV_TYPE_VFIO && op->sub == ACC_GET)
		ex_only(&e, EPERM);
	else if (!rd)
		ex_only(&e, EFAULT);
	else
		expect_vgic(f->type, op->sub, &a, drd, dwr, &e);
	/* The structure's flags are not looked at (kvm_device_ioctl_attr()). */
	errno = 0;
	ret = do_ioctl(ex.slot[op->s].fd, cmd, 0, arg);
	finish(r, &e, ret, errno);
	if (!ret && f->kind == K_DEV && !caller_rule(f) && op->sub == ACC_SET && rd &&
	    f->type != KVM_DEV_TYPE_VFIO)
		check_readback(op, r, f, ex.slot[op->s].fd);
}

static void exec_ioctl64(const struct op *op, struct rec *r, struct rfile *f)
{
	static const char zeroes[64];
	size_t size;
	uint64_t arg = op->arg;
	struct expect e;
	int rd;
	long ret;

	/* The structure the request copies: in, or out for KVM_ARM_PREFERRED_TARGET. */
	switch (op->cmd) {
	case KVM_SET_USER_MEMORY_REGION:
		size = sizeof(struct kvm_userspace_memory_region);
		break;
	case KVM_ARM_VCPU_INIT:
	case KVM_ARM_PREFERRED_TARGET:
		size = sizeof(struct kvm_vcpu_init);
		break;
	case KVM_ARM_SET_DEVICE_ADDR:
		size = sizeof(struct kvm_arm_device_addr);
		break;
	default:
		size = sizeof(struct kvm_device_attr);
		break;
	}
	r->name = cmd_name(op->cmd);
	if (op->argp) {
		arg = place(&ex.as, op->p, zeroes, sizeof(zeroes));
		rd = op->cmd == KVM_ARM_PREFERRED_TARGET ? ptr_writable(op->p, size) :
		     ptr_readable(op->p, size);
	} else {
		rd = scalar_maybe_readable(arg, size) ? -1 : 0;
	}
	expect_ioctl64(f, op->cmd, arg, rd, NULL, &e);
	errno = 0;
	ret = do_ioctl(ex.slot[op->s].fd, op->cmd, op->cmd_hi, arg);
	finish(r, &e, ret, errno);
	/* A memslot changed behind the model's back: zeroes delete slot 0. */
	if (!ret && f->kind == K_VM && op->cmd == KVM_SET_USER_MEMORY_REGION) {
		static const struct kvm_userspace_memory_region zero;

		if (op->argp)
			ms_apply(&ex.vm[f->vm], &zero);
		else
			ex.vm[f->vm].ms_lost = true;
	}
}

/* ---- Composite ops: the ITS round trip, the memslot race. ---- */

/* The ITS registers a save and restore carry (QEMU's kvm_arm_its_pre_save()). */
static const uint32_t rt_regs[] = {
	A64_GITS_CTLR, A64_GITS_IIDR, A64_GITS_CBASER, A64_GITS_CREADR, A64_GITS_CWRITER,
	A64_GITS_BASER(0), A64_GITS_BASER(1),
};

/* The offset of guest range [gpa, gpa + len) in VM vm's read/write buffer, or -1. */
static int64_t a64_gpa(const struct rvm *vm, uint64_t gpa, uint64_t len)
{
	int i;

	if (vm->ms_lost)
		return -1;
	for (i = 0; i < vm->nms; i++) {
		const struct rmemslot *s = &vm->ms[i];
		uint64_t u;

		if (gpa < s->gpa || gpa + len > s->gpa + s->size || gpa + len < gpa)
			continue;
		u = s->uaddr + (gpa - s->gpa);
		if (u < (uintptr_t)vm->ram || u + len > (uintptr_t)vm->ram + A64_RAM_SIZE)
			return -1;
		return u - (uintptr_t)vm->ram;
	}
	return -1;
}

/* The u64 at guest address gpa in a snapshot of the buffer, or NULL. */
static const uint64_t *a64_word(const struct rvm *vm, const char *snap, uint64_t gpa)
{
	int64_t off = a64_gpa(vm, gpa, 8);

	return off < 0 ? NULL : (const uint64_t *)(snap + off);
}

/* GITS_BASER's table address (64K pages: GITS_BASER_ADDR_48_to_52()) and size. */
static uint64_t baser_addr(uint64_t b)
{
	return (b & 0x0000ffffffff0000ULL) | ((b & 0xf000ULL) << 36);
}

static uint64_t baser_size(uint64_t b)
{
	return ((b & 0xff) + 1) * 0x10000;
}

struct range {
	uint64_t lo, hi;
};

/*
 * Adds guest range [lo, hi) to rg as a range of the buffer (memslots may map
 * one buffer page at two guest addresses); false if it is not all in one.
 */
static bool rt_add(const struct rvm *vm, struct range *rg, int *n, int max, uint64_t lo,
		   uint64_t hi)
{
	int64_t off = a64_gpa(vm, lo, hi - lo);

	if (off < 0 || *n >= max)
		return false;
	rg[(*n)++] = (struct range){ off, off + (hi - lo) };
	return true;
}

/* The ITTs of the saved devices, as guest ranges (rt_excuse() finds them). */
static struct range rt_itt[512];
static int rt_nitt;

/* Adds the ITTs of the valid DTEs of a device table page at gpa (as saved in snap). */
static bool rt_dtes(const struct rvm *vm, const char *snap, uint64_t gpa, uint64_t size,
		    struct range *rg, int *n, int max)
{
	uint64_t i;

	for (i = 0; i < size; i += 8) {
		const uint64_t *p = a64_word(vm, snap, gpa + i);
		uint64_t itt, bits;

		if (!p || !(*p >> 63))
			continue;
		itt = ((*p >> 5) & ((1ULL << 44) - 1)) << 8;
		bits = (*p & 0x1f) + 1;
		if (!rt_add(vm, rg, n, max, itt, itt + (8ULL << bits)) ||
		    rt_nitt == ARRAY_SIZE(rt_itt))
			return false;
		rt_itt[rt_nitt++] = (struct range){ itt, itt + (8ULL << bits) };
	}
	return true;
}

/*
 * Why a restore of what was just saved may fail, or not give back the same
 * tables, without a bug: tables that overlap (guest addresses are the
 * guest's), or a collection of a vCPU id that does not exist (MAPC checks
 * the number of vCPUs, the restore the id: vgic_its_restore_cte()).
 */
static const char *rt_excuse(const struct rvm *vm, const char *snap, const uint64_t *reg)
{
	static const char *const beyond = "a table beyond one memslot of the buffer";
	static struct range rg[512];
	uint64_t dev = reg[5], coll = reg[6], i;
	int n = 0, a, b, max = ARRAY_SIZE(rg);

	rt_nitt = 0;
	if (coll >> 63) {
		if (!rt_add(vm, rg, &n, max, baser_addr(coll), baser_addr(coll) + baser_size(coll)))
			return beyond;
		for (i = 0; i < baser_size(coll); i += 8) {
			const uint64_t *p = a64_word(vm, snap, baser_addr(coll) + i);
			uint32_t target;

			if (!p || !(*p >> 63))
				break;
			target = *p >> 16;
			if (target != 0xffffffff &&
			    (target >= MAX_VCPU_IDS || !(vm->ids[target / 8] & (1 << (target % 8)))))
				return "a collection of a vCPU id that does not exist";
		}
	}
	if (dev >> 63) {
		if (!rt_add(vm, rg, &n, max, baser_addr(dev), baser_addr(dev) + baser_size(dev)))
			return beyond;
		if (dev & A64_INDIRECT) {
			for (i = 0; i < baser_size(dev); i += 8) {
				const uint64_t *p = a64_word(vm, snap, baser_addr(dev) + i);
				uint64_t l2;

				if (!p || !(*p >> 63))
					continue;
				l2 = *p & 0x000fffffffff0000ULL;
				if (!rt_add(vm, rg, &n, max, l2, l2 + 0x10000) ||
				    !rt_dtes(vm, snap, l2, 0x10000, rg, &n, max))
					return beyond;
			}
		} else if (!rt_dtes(vm, snap, baser_addr(dev), baser_size(dev), rg, &n, max)) {
			return beyond;
		}
	}
	for (a = 0; a < n; a++)
		for (b = a + 1; b < n; b++)
			if (rg[a].lo < rg[b].hi && rg[b].lo < rg[a].hi)
				return "overlapping tables";
	return NULL;
}

static char rt_snap1[A64_RAM_SIZE], rt_snap2[A64_RAM_SIZE];

/* Whether guest address gpa can be read: a memslot maps it to readable memory. */
static bool ms_readable(const struct rvm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < vm->nms && !vm->ms_lost; i++) {
		const struct rmemslot *s = &vm->ms[i];
		uint64_t u = s->uaddr + (gpa - s->gpa);

		if (gpa >= s->gpa && gpa - s->gpa < s->size)
			return u >= (uintptr_t)vm->ram &&
			       u < (uintptr_t)vm->ram + A64_RAM_SIZE + A64_RO_SIZE;
	}
	return false;
}

/* A 64-bit GICv3 redistributor register of vCPU id (two 32-bit halves), or false. */
static bool gicr_read(int gic, uint32_t id, uint32_t off, uint64_t *v)
{
	uint64_t mp = (uint64_t)a64_mpidr_field(id) << 32, lo = 0, hi = 0, typer = 0;
	int err;

	/* The MPIDR must name that vCPU (GICR_TYPER's processor number). */
	if (attr_call(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, mp | 0x8,
		      &typer, &err) || ((typer >> 8) & 0xffff) != id ||
	    attr_call(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, mp | off, &lo,
		      &err) ||
	    attr_call(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, mp | (off + 4),
		      &hi, &err))
		return false;
	*v = (lo & 0xffffffff) | hi << 32;
	return true;
}

/*
 * Whether restoring the events of the saved tables may fault on their LPIs'
 * configuration or pending bits (vgic_add_lpi(): update_lpi_config(),
 * vgic_v3_lpi_sync_pending_status()), or the fuzzer cannot tell: only then
 * is EFAULT an excuse.
 */
static bool rt_lpi_faults(int vmidx, const struct rvm *vm, const char *snap, const uint64_t *reg)
{
	static struct { uint32_t icid, target; } coll[64];
	uint64_t propbaser, pendbaser, c = reg[6], i;
	int gic = -1, ncoll = 0, n, k, s;

	for (s = 0; s < FUZZ_MAX_LEN && gic < 0; s++) {
		const struct rfile *gf = slot_file(s);

		if (gf && gf->kind == K_DEV && gf->type == KVM_DEV_TYPE_ARM_VGIC_V3 &&
		    gf->vm == vmidx)
			gic = ex.slot[s].fd;
	}
	for (k = 0; k < MAX_VCPU_IDS && !(vm->ids[k / 8] & (1 << (k % 8))); k++)
		;
	if (gic < 0 || k == MAX_VCPU_IDS || !gicr_read(gic, k, A64_GICR_PROPBASER, &propbaser))
		return true;
	for (i = 0; (c >> 63) && i < baser_size(c) && ncoll < (int)ARRAY_SIZE(coll); i += 8) {
		const uint64_t *p = a64_word(vm, snap, baser_addr(c) + i);

		if (!p || !(*p >> 63))
			break;
		coll[ncoll].icid = *p & 0xffff;
		coll[ncoll++].target = *p >> 16;
	}
	for (n = 0; n < rt_nitt; n++) {
		for (i = rt_itt[n].lo; i < rt_itt[n].hi; i += 8) {
			const uint64_t *p = a64_word(vm, snap, i);
			uint32_t intid = p ? *p >> 16 : 0;

			if (!intid)
				continue;
			if (intid < 8192 ||
			    !ms_readable(vm, (propbaser & 0x000ffffffffff000ULL) + intid - 8192))
				return true;
			for (k = 0; k < ncoll && coll[k].icid != (*p & 0xffff); k++)
				;
			if (k == ncoll || coll[k].target == 0xffffffff)
				continue;
			if (!gicr_read(gic, coll[k].target, A64_GICR_PENDBASER, &pendbaser) ||
			    !ms_readable(vm, (pendbaser & 0x000fffffffff0000ULL) + intid / 8))
				return true;
		}
	}
	return false;
}

/*
 * ITS round trip: with guest memory zeroed, SAVE_TABLES; then RESET, the
 * registers back in QEMU's order (kvm_arm_its_post_load()) around
 * RESTORE_TABLES, and SAVE_TABLES again: the registers must read as before
 * and the second save must write the same tables (arm-vgic-its.rst "Tables").
 */
static void exec_roundtrip(const struct op *op, struct rec *r, struct rfile *f)
{
	const int fd = ex.slot[op->s].fd, nregs = ARRAY_SIZE(rt_regs);
	struct rvm *vm = &ex.vm[f->vm];
	uint64_t r1[ARRAY_SIZE(rt_regs)], r2[ARRAY_SIZE(rt_regs)], v;
	const char *excuse;
	struct expect e;
	long ret;
	int i, err;
	size_t k;

	r->name = NAME_ROUNDTRIP;
	if (f->kind != K_DEV || f->type != KVM_DEV_TYPE_ARM_VGIC_ITS || !vm->ram) {
		r->state = REC_SKIPPED;
		return;
	}
	if (caller_rule(f)) {
		ex_only(&e, EIO);
		ret = attr_call(fd, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0, &v, &err);
		finish(r, &e, ret, err);
		return;
	}
	for (i = 0; i < nregs; i++) {
		ret = attr_call(fd, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, rt_regs[i],
				&r1[i], &err);
		if (ret) {
			/* No address yet. */
			ex_only(&e, ENXIO);
			finish(r, &e, ret, err);
			return;
		}
	}
	memset(vm->ram, 0, A64_RAM_SIZE);
	ret = attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_ITS_SAVE_TABLES, &v, &err);
	ex_ok(&e, EX_ZERO, 0);
	ex_add(&e, EFAULT);
	finish(r, &e, ret, err);
	if (ret)
		return;
	memcpy(rt_snap1, vm->ram, A64_RAM_SIZE);
	for (k = 0; k < A64_RAM_SIZE; k += 8)
		r->depth += !!*(uint64_t *)(rt_snap1 + k);
	excuse = rt_excuse(vm, rt_snap1, r1);
#define RT_STEP(what, call) do {							\
	if ((call) && !r->bad) {							\
		r->inv = 1;								\
		fail_rec(r, "round trip: %s failed with %s", what, errno_name(err));	\
	}										\
} while (0)
	RT_STEP("RESET", attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
				   KVM_DEV_ARM_ITS_CTRL_RESET, &v, &err));
	RT_STEP("GITS_IIDR", attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				       A64_GITS_IIDR, &r1[1], &err));
	RT_STEP("GITS_BASER0", attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
					 A64_GITS_BASER(0), &r1[5], &err));
	RT_STEP("GITS_BASER1", attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
					 A64_GITS_BASER(1), &r1[6], &err));
	ret = attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
			KVM_DEV_ARM_ITS_RESTORE_TABLES, &v, &err);
	/*
	 * EFAULT is no excuse for the tables (they were just written), but
	 * restoring an event reads its LPI's configuration and pending bit
	 * (vgic_add_lpi()), which GICR_PROPBASER and GICR_PENDBASER may put
	 * where no memslot is.
	 */
	if (ret) {
		r->rt = err == EFAULT ? RT_EFAULT : RT_FAILED;
		if (!excuse && (err != EFAULT || !rt_lpi_faults(f->vm, vm, rt_snap1, r1)) &&
		    !r->bad) {
			r->inv = 1;
			fail_rec(r, "round trip: restoring what was just saved: %s",
				 errno_name(err));
		}
		return;
	}
	/* A CBASER never written reads 0, which a write sanitises (golden vgic_its.txt). */
	if (r1[2])
		RT_STEP("GITS_CBASER", attr_call(fd, KVM_SET_DEVICE_ATTR,
						 KVM_DEV_ARM_VGIC_GRP_ITS_REGS, A64_GITS_CBASER,
						 &r1[2], &err));
	RT_STEP("GITS_CREADR", attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
					 A64_GITS_CREADR, &r1[3], &err));
	RT_STEP("GITS_CWRITER", attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
					  A64_GITS_CWRITER, &r1[4], &err));
	RT_STEP("GITS_CTLR", attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				       A64_GITS_CTLR, &r1[0], &err));
	for (i = 0; i < nregs; i++) {
		RT_STEP("a get", attr_call(fd, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
					   rt_regs[i], &r2[i], &err));
		if (r2[i] != r1[i] && !r->bad) {
			r->inv = 1;
			fail_rec(r, "round trip: ITS register %#x was %#llx, restored %#llx",
				 rt_regs[i], (unsigned long long)r1[i], (unsigned long long)r2[i]);
		}
	}
	memcpy(rt_snap2, vm->ram, A64_RAM_SIZE);
	RT_STEP("the second SAVE_TABLES",
		attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
			  KVM_DEV_ARM_ITS_SAVE_TABLES, &v, &err));
#undef RT_STEP
	r->rt = excuse ? RT_EXCUSED : RT_COMPARED;
	if (r->bad || excuse)
		return;
	/* Nothing but the save wrote guest memory since rt_snap2. */
	for (k = 0; k < A64_RAM_SIZE; k += 8)
		if (*(uint64_t *)(vm->ram + k) != *(uint64_t *)(rt_snap1 + k))
			break;
	if (k < A64_RAM_SIZE) {
		r->inv = 1;
		fail_rec(r, "round trip: save 2 wrote %#llx at ram+%#zx, save 1 %#llx (%s)",
			 (unsigned long long)*(uint64_t *)(vm->ram + k), k,
			 (unsigned long long)*(uint64_t *)(rt_snap1 + k),
			 memcmp(rt_snap1, rt_snap2, A64_RAM_SIZE) ? "restore wrote memory" :
			 "restore wrote nothing");
	}
}

struct race_ctx {
	int vmfd, iters;
	struct kvm_userspace_memory_region m;
	uint64_t moved;
	int bad_err;		/* an errno the memslot calls may not give, or 0 */
	int final_err;		/* putting the slot back failed with it, or 0 */
};

/* The thread of a race: deletes and re-adds (or moves) a memslot, then puts it back. */
static void *race_thread(void *p)
{
	struct race_ctx *c = p;
	struct kvm_userspace_memory_region m = c->m, del = c->m;
	int i;

	del.memory_size = 0;
	for (i = 0; i < c->iters; i++) {
		struct kvm_userspace_memory_region *q = &del;

		if (i % 4 == 1) {
			q = &m;
		} else if (i % 4 == 2) {
			m.guest_phys_addr = c->moved;
			q = &m;
		} else if (i % 4 == 3) {
			m.guest_phys_addr = c->m.guest_phys_addr;
			q = &m;
		}
		/* A move may overlap another slot or leave the IPA space. */
		if (ioctl(c->vmfd, KVM_SET_USER_MEMORY_REGION, q) &&
		    !(q == &m && i % 4 == 2 && (errno == EEXIST || errno == EFAULT)) &&
		    !c->bad_err)
			c->bad_err = errno;
	}
	/* Back where it was. */
	ioctl(c->vmfd, KVM_SET_USER_MEMORY_REGION, &del);
	if (ioctl(c->vmfd, KVM_SET_USER_MEMORY_REGION, &c->m))
		c->final_err = errno;
	return NULL;
}

/*
 * Memslot changes while the ITS reads and writes its tables, runs commands,
 * or the GIC writes pending tables and reads LPI configurations: every
 * result must be allowed, and nothing may splat.
 */
static void exec_race(const struct op *op, struct rec *r, struct rfile *f)
{
	struct rvm *vm = &ex.vm[f->vm];
	struct race_ctx c = { .vmfd = -1, .iters = op->len, .moved = op->arg };
	int fd = ex.slot[op->s].fd, i, err, first_bad = 0, vcpu = -1;
	const struct rmemslot *s;
	struct expect e;
	pthread_t t;
	uint64_t v;
	long ret;

	r->name = NAME_RACE;
	if (f->kind != K_DEV) {
		r->state = REC_SKIPPED;
		return;
	}
	for (i = 0; i < FUZZ_MAX_LEN && c.vmfd < 0; i++) {
		const struct rfile *vf = slot_file(i);

		if (vf && vf->kind == K_VM && vf->vm == f->vm)
			c.vmfd = ex.slot[i].fd;
	}
	if (caller_rule(f) || c.vmfd < 0 || vm->ms_lost || !vm->nms) {
		r->state = REC_SKIPPED;
		return;
	}
	s = &vm->ms[op->attr % vm->nms];
	c.m = (struct kvm_userspace_memory_region){
		.slot = s->id, .flags = s->flags, .guest_phys_addr = s->gpa,
		.memory_size = s->size, .userspace_addr = s->uaddr,
	};
	for (i = 0; i < MAX_VCPU_IDS && vcpu < 0; i++)
		if (vm->ids[i / 8] & (1 << (i % 8)))
			vcpu = i;
	if (pthread_create(&t, NULL, race_thread, &c)) {
		r->state = REC_SKIPPED;
		return;
	}
	for (i = 0; i < op->len; i++) {
		uint64_t mp = (uint64_t)a64_mpidr_field(vcpu < 0 ? 0 : vcpu) << 32;

		v = op->val;
		switch (op->sub) {
		case RC_RESTORE:
			ret = attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
					KVM_DEV_ARM_ITS_RESTORE_TABLES, &v, &err);
			/* Not into an ITS that has collections: EEXIST. */
			break;
		case RC_SAVE:
			ret = attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
					KVM_DEV_ARM_ITS_SAVE_TABLES, &v, &err);
			break;
		case RC_CWRITER:
			v = (op->val + 32 * i) % 4096;
			ret = attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
					A64_GITS_CWRITER, &v, &err);
			break;
		case RC_SAVE_PENDING:
			ret = attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
					KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, &v, &err);
			break;
		case RC_ENABLE_LPIS:
			v = i & 1;
			ret = attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
					mp | A64_GICR_CTLR, &v, &err);
			break;
		default:
			v = 0;
			ret = attr_call(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
					mp | A64_GICR_INVALLR, &v, &err);
			break;
		}
		if (ret) {
			struct kvm_device_attr a = {
				.group = op->sub == RC_CWRITER ? KVM_DEV_ARM_VGIC_GRP_ITS_REGS :
					 op->sub >= RC_ENABLE_LPIS ? KVM_DEV_ARM_VGIC_GRP_REDIST_REGS :
					 KVM_DEV_ARM_VGIC_GRP_CTRL,
				.attr = op->sub == RC_RESTORE ? KVM_DEV_ARM_ITS_RESTORE_TABLES :
					op->sub == RC_SAVE ? KVM_DEV_ARM_ITS_SAVE_TABLES :
					op->sub == RC_SAVE_PENDING ?
					KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES : A64_GITS_CWRITER,
			};

			expect_vgic(f->type, ACC_SET, &a, true, true, &e);
			if (!ex_has(&e, err) && !first_bad)
				first_bad = err;
		}
	}
	pthread_join(t, NULL);
	/* The slot could not be put back: the model no longer knows. */
	if (c.final_err)
		vm->ms_lost = true;
	ex_ok(&e, EX_ZERO, 0);
	finish(r, &e, first_bad ? -1 : 0, first_bad);
	if (first_bad)
		fail_rec(r, " (during the memslot race)");
	if (c.bad_err)
		fail_rec(r, "; the memslot thread got %s", errno_name(c.bad_err));
	if (c.final_err)
		fail_rec(r, "; putting the memslot back failed with %s", errno_name(c.final_err));
}

/*
 * The arm64 sequences' epilogue: every file and mapping of the process goes,
 * in an order drawn from the sequence's seed; then the module must count
 * no object (the process is still alive: nothing else drops a reference).
 */
static void epilogue_arm64(void)
{
	static int order[FUZZ_MAX_LEN];
	struct objects o;
	struct rng r;
	int i, n = 0;
	char buf[96];

	rng_seed(&r, ex.seed ^ 0xc105e0a11ULL);
	for (i = 0; i < FUZZ_MAX_LEN; i++)
		if (ex.slot[i].state != SL_EMPTY)
			order[n++] = i;
	for (i = n - 1; i > 0; i--) {
		int j = rng_below(&r, i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++) {
		struct rslot *s = &ex.slot[order[i]];

		if (s->state == SL_FD)
			close(s->fd);
		else if (s->state == SL_MAP)
			munmap(s->addr, s->len);
		s->state = SL_EMPTY;
	}
	for (i = 0; i < 100; i++) {
		if (objects_read(&o))
			return;
		if (!o.vms && !o.vcpus && !o.devices)
			return;
		usleep(2000);
	}
	snprintf(sh->epilogue, sizeof(sh->epilogue), "%s with all %d files and mappings closed",
		 objects_str(&o, buf, sizeof(buf)), n);
}

/* The arm64 ops, and the arm64 nodes' answers to the common ones. */
static bool exec_op_arm64(const struct op *op, struct rec *r, struct rfile *f)
{
	if (f)
		r->fkind = kind64(f);
	switch (op->kind) {
	case OP_CREATE_VM:
		exec_create_vm64(op, r, f);
		return true;
	case OP_CREATE_VCPU:
		exec_create_vcpu64(op, r, f);
		return true;
	case OP_CREATE_DEVICE:
		exec_create_device64(op, r, f);
		return true;
	case OP_ATTR:
		exec_attr64(op, r, f);
		return true;
	case OP_IOCTL:
		exec_ioctl64(op, r, f);
		return true;
	case OP_MEMSLOT:
		exec_memslot(op, r, f);
		return true;
	case OP_VCPU_INIT:
		exec_vcpu_init(op, r, f);
		return true;
	case OP_ARM_VM:
		exec_arm_vm(op, r, f);
		return true;
	case OP_GMEM:
		exec_gmem(op, r, f);
		return true;
	case OP_ROUNDTRIP:
		exec_roundtrip(op, r, f);
		return true;
	case OP_RACE:
		exec_race(op, r, f);
		return true;
	}
	return false;
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
	case OP_MEMSLOT ... OP_RACE:
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
	if (ex.arm64 && exec_op_arm64(op, r, f))
		return;
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
	    const char *node, int arm64, uint64_t seed)
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
	ex.arm64 = arm64;
	ex.vcpu_pages = arm64 ? 2 : VCPU_PAGES;
	ex.seed = seed;
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
	if (arm64)
		epilogue_arm64();
	_exit(0);
}

/* ---- The parent: runs sequences and applies the oracles. ---- */

/* What the fuzzer runs on: a node and how it is modelled. */
struct part {
	const char *name;	/* for --part and the replay line */
	const char *node;
	int arm64;		/* 0: the x86 node, exact model; 3, 2: the arm64 nodes' host GIC */
	int weight;		/* its share of --duration */
	int length;		/* the default sequence length */
};

static struct part parts[] = {
	{ "x86", KVM_DEVCTL_NODE, 0, 7, DEFAULT_LENGTH },
	{ "v3", "/dev/kvm-devctl-arm64", 3, 5, DEFAULT_LENGTH_ARM64 },
	{ "v2", "/dev/kvm-devctl-arm64-gicv2", 2, 2, DEFAULT_LENGTH_ARM64 },
};

struct fuzz {
	uint64_t seed;
	int duration, sequences, length, timeout;
	bool length_set;
	const char *node;	/* the current part's */
	int arm64;		/* the current part's */
	const char *part;	/* the current part's name */
	const char *default_node;	/* the current part's node without --node */
	bool verbose;
	struct probe probe;
	int kmsg;
	/* Statistics of the fuzzing loop. */
	long nseq, nops, nskipped;
	long rt_runs, rt_deep, rt_entries;	/* ITS round trips that saved, with entries */
	long rt_how[RT_EXCUSED + 1];		/* ... and how far they went */
	bool cov[K_NR][NAME_NR][256];
};

static struct fuzz fz;

enum { F_NONE, F_ERRNO, F_INVARIANT, F_LEAK, F_HANG, F_CRASH, F_HARNESS, F_SPLAT };
static const char *const finding_names[] = {
	"none", "errno", "invariant", "leak", "hang", "crash", "harness", "kernel splat",
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
	if (fz.arm64)
		gen_seq_arm64(seed, &fz.probe, fz.arm64, len, run_ops);
	else
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
		seq_process(run_ops, keep, len, &fz.probe, fz.node, fz.arm64, seed);
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
	if (sh->epilogue[0])
		out_add(o, F_LEAK, "leak:close", "objects left in the sequence process: %s\n",
			sh->epilogue);
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
		if (r->name == NAME_ROUNDTRIP && !r->err) {
			fz.rt_how[r->rt]++;
			fz.rt_runs++;
			fz.rt_deep += r->depth > 0;
			fz.rt_entries += r->depth;
		}
		/* A touch that raised SIGBUS counts as the pseudo-errno 255. */
		fz.cov[r->fkind][r->name][r->name == NAME_TOUCH ? (r->ret ? 255 : 0) : r->err & 255] =
			true;
		if (r->bad && o->kind <= F_INVARIANT && o->last < 0)
			o->last = i;
		if (r->bad && nbad++ < 4) {
			char opbuf[256], sig[96];

			snprintf(sig, sizeof(sig), "%s:%s:%s", r->inv ? "inv" : "errno",
				 name_str(r->name), kind_names[r->fkind]);
			out_add(o, r->inv ? F_INVARIANT : F_ERRNO, sig, "op #%d %s%s (%s file): %s\n", i,
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
	char kbuf[4096] = " --keep ", lbuf[32] = "", pbuf[16] = "", nbuf[96] = "";

	if (keep)
		keep_str(keep, len, kbuf + 8, sizeof(kbuf) - 8);
	else
		kbuf[0] = 0;
	if (!keep && len != (fz.arm64 ? DEFAULT_LENGTH_ARM64 : DEFAULT_LENGTH))
		snprintf(lbuf, sizeof(lbuf), " --length %d", len);
	if (strcmp(fz.part, "x86"))
		snprintf(pbuf, sizeof(pbuf), " --part %s", fz.part);
	if (strcmp(fz.node, fz.default_node))
		snprintf(nbuf, sizeof(nbuf), " --node %s", fz.node);
	ksft_print_msg("replay: ./fuzz_test --replay %#llx%s%s%s%s\n", (unsigned long long)seed,
		       kbuf, lbuf, pbuf, nbuf);
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

/* The arm64 nodes offer their GIC (and the ITS) as documented (api.rst 9.1, 9.3). */
static bool probe_check_arm64(const struct probe *pr, int gic, char *msg, size_t n)
{
	static const struct { int gic; uint32_t type; const char *name; } want[] = {
		{ 3, KVM_DEV_TYPE_ARM_VGIC_V3, "kvm-arm-vgic-v3" },
		{ 3, KVM_DEV_TYPE_ARM_VGIC_ITS, "kvm-arm-vgic-its" },
		{ 2, KVM_DEV_TYPE_ARM_VGIC_V2, "kvm-arm-vgic-v2" },
	};
	size_t i;

	if (pr->ntypes != (gic == 3 ? 3 : 2)) {
		snprintf(msg, n, "%d device types offered", pr->ntypes);
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct type_info *ti = probe_type(pr, want[i].type);

		if (want[i].gic != gic)
			continue;
		if (!ti || strcmp(ti->name, want[i].name) || ti->acc[ACC_SET] != 1 ||
		    ti->acc[ACC_GET] != 1 || ti->acc[ACC_HAS] != 1 || !ti->npairs) {
			snprintf(msg, n, "type %u is not %s with every accessor", want[i].type,
				 want[i].name);
			return false;
		}
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

/* The probe the arm64 self-tests generate against: a node's types as documented. */
static void synthetic_probe64(struct probe *pr, int gic)
{
	static const struct type_info v3 = { .type = KVM_DEV_TYPE_ARM_VGIC_V3,
		.name = "kvm-arm-vgic-v3", .acc = { 1, 1, 1 } };
	static const struct type_info its = { .type = KVM_DEV_TYPE_ARM_VGIC_ITS,
		.name = "kvm-arm-vgic-its", .acc = { 1, 1, 1 } };
	static const struct type_info v2 = { .type = KVM_DEV_TYPE_ARM_VGIC_V2,
		.name = "kvm-arm-vgic-v2", .acc = { 1, 1, 1 } };

	synthetic_probe(pr);
	if (gic == 3) {
		pr->t[pr->ntypes++] = v3;
		pr->t[pr->ntypes++] = its;
	} else {
		pr->t[pr->ntypes++] = v2;
	}
}

/*
 * The arm64 generation: deterministic, independent of the length, different
 * for neighbouring seeds, and every op has a text; the set-up recipe makes
 * GICs, ITSes and memslots.
 */
static bool selftest_arm64_generation(void)
{
	static struct op a[FUZZ_MAX_LEN], b[FUZZ_MAX_LEN];
	int gic, i, j, len = DEFAULT_LENGTH_ARM64, differ, kinds[OP_NR];
	struct probe pr;
	char buf[512];

	for (gic = 2; gic <= 3; gic++) {
		synthetic_probe64(&pr, gic);
		differ = 0;
		memset(kinds, 0, sizeof(kinds));
		for (i = 0; i < 200; i++) {
			uint64_t seed = seq_seed(fz.seed, i);

			gen_seq_arm64(seed, &pr, gic, len, a);
			gen_seq_arm64(seed, &pr, gic, len, b);
			if (memcmp(a, b, sizeof(a[0]) * len)) {
				ksft_print_msg("arm64 (GICv%d) seed %#llx: two generations differ\n",
					       gic, (unsigned long long)seed);
				return false;
			}
			gen_seq_arm64(seed, &pr, gic, 1 + i % len, b);
			if (memcmp(a, b, sizeof(a[0]) * (1 + i % len))) {
				ksft_print_msg("arm64 (GICv%d) seed %#llx: %d ops depend on the length\n",
					       gic, (unsigned long long)seed, 1 + i % len);
				return false;
			}
			for (j = 0; j < len; j++) {
				kinds[a[j].kind]++;
				if (strchr(op_str(&a[j], buf, sizeof(buf)), '?') == buf ||
				    strstr(buf, "? kind")) {
					ksft_print_msg("op without a text: %s\n", buf);
					return false;
				}
			}
			gen_seq_arm64(seq_seed(fz.seed, i + 1), &pr, gic, len, b);
			differ += !!memcmp(a, b, sizeof(a[0]) * len);
		}
		if (differ != 200) {
			ksft_print_msg("arm64: only %d of 200 neighbouring seeds differ\n", differ);
			return false;
		}
		for (i = 0; i < OP_NR; i++) {
			if (i == OP_RLIMIT || (gic == 2 && (i == OP_ROUNDTRIP || i == OP_RACE)))
				continue;
			if (!kinds[i]) {
				ksft_print_msg("arm64 (GICv%d): no %s op in 200 sequences\n", gic,
					       op_names[i]);
				return false;
			}
		}
	}
	return true;
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

/* Switches the fuzzer to part p (its node, model and default length). */
static void use_part(const struct part *p, const char *node)
{
	fz.part = p->name;
	fz.default_node = p->node;
	fz.node = node ? node : p->node;
	fz.arm64 = p->arm64;
	if (!fz.length_set)
		fz.length = p->length;
}

/*
 * The pipeline and the oracles on an arm64 node: with an ITS's successful
 * ADDR set made unexpected, the fuzzer finds it, minimises it to exactly
 * open, KVM_CREATE_VM, KVM_CREATE_DEVICE and the set, and replays it from the
 * printed list; with NR_IRQS made to read back wrong, the invariant oracle
 * reports it. The sequences come from DEFAULT_SEED.
 */
static bool check_pipeline_arm64(void)
{
	static const uint8_t want[] = { OP_OPEN_SYS, OP_CREATE_VM, OP_CREATE_DEVICE, OP_ATTR };
	static bool keep[FUZZ_MAX_LEN], k2[FUZZ_MAX_LEN];
	const char *sig = "errno:SET ADDR:its", *sig2 = "inv:SET NR_IRQS:v3";
	int len = 32, i, n, idx[4];
	struct outcome o = { 0 };
	char ks[1024];
	uint64_t seed = 0;
	bool ok = false;

	inject = INJ_ITS_ADDR;
	for (i = 0; i < 50 && !o.kind; i++) {
		seed = seq_seed(DEFAULT_SEED ^ 0xa64a64, i);
		run_seq(seed, NULL, len, &o);
	}
	if (strcmp(o.sig, sig)) {
		ksft_print_msg("arm64 pipeline: expected %s, got \"%s\" in %d sequences\n", sig,
			       o.sig, i);
		goto out;
	}
	ksft_print_msg("arm64 pipeline: injected failure in sequence %#llx:\n",
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
	    run_ops[idx[3]].s != run_ops[idx[2]].out || run_ops[idx[3]].sub != ACC_SET ||
	    run_ops[idx[2]].type != KVM_DEV_TYPE_ARM_VGIC_ITS)
		goto out;
	keep_str(keep, len, ks, sizeof(ks));
	n = keep_parse(ks, k2, FUZZ_MAX_LEN);
	run_seq(seed, k2, n, &o);
	if (strcmp(o.sig, sig) || o.executed != 4)
		goto out;
	/* The invariant oracle. */
	inject = INJ_RW;
	memset(&o, 0, sizeof(o));
	for (i = 0; i < 50 && !o.kind; i++)
		run_seq(seq_seed(DEFAULT_SEED ^ 0xa64a64, i), NULL, len, &o);
	if (strcmp(o.sig, sig2) || o.kind != F_INVARIANT) {
		ksft_print_msg("arm64 invariant: expected %s, got \"%s\"\n", sig2, o.sig);
		goto out;
	}
	print_lines(o.msg);
	ok = true;
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

/* Fuzzes the current part for duration seconds (or --sequences). */
static bool fuzz_loop(int duration)
{
	static char seen[MAX_MINIMISED][96];
	static bool keep[FUZZ_MAX_LEN];
	int findings = 0, nseen = 0, i;
	double t0 = now(), elapsed, tmin = 0, m0;
	long i_seq;

	fz.nseq = fz.nops = fz.nskipped = 0;
	fz.rt_runs = fz.rt_deep = fz.rt_entries = 0;
	memset(fz.rt_how, 0, sizeof(fz.rt_how));
	memset(fz.cov, 0, sizeof(fz.cov));
	ksft_print_msg("fuzzing %s (%s, %s) for %d s\n", fz.node, fz.part,
		       fz.arm64 ? "robustness mode" : "exact model", duration);
	for (i_seq = 0;; i_seq++) {
		uint64_t seed = seq_seed(fz.seed, i_seq);
		struct outcome o;

		elapsed = now() - t0 - tmin;
		if (fz.sequences ? i_seq >= fz.sequences : elapsed >= duration)
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
	ksft_print_msg("%s: seed %#llx: %ld sequences of %d ops in %.1f s\n", fz.part,
		       (unsigned long long)fz.seed, fz.nseq, fz.length, elapsed);
	ksft_print_msg("%ld ops run (%ld skipped: no file), %.0f ops/s, %d findings\n", fz.nops,
		       fz.nskipped, elapsed > 0 ? fz.nops / elapsed : 0.0, findings);
	if (fz.arm64 == 3)
		ksft_print_msg("ITS round trips: %ld saved, %ld with table entries (%ld in all); "
			       "%ld compared, %ld excused, restore failed: %ld EFAULT, %ld other\n",
			       fz.rt_runs, fz.rt_deep, fz.rt_entries, fz.rt_how[RT_COMPARED],
			       fz.rt_how[RT_EXCUSED], fz.rt_how[RT_EFAULT], fz.rt_how[RT_FAILED]);
	print_coverage();
	return !findings;
}

static void usage(const char *argv0)
{
	printf("usage: %s [--seed S] [--duration SECS] [--sequences N] [--length L]\n"
	       "          [--part x86|v3|v2|arm64|all[,...]] [--node PATH] [--timeout SECS]\n"
	       "          [--verbose]\n"
	       "       %s --replay SEED [--keep I,J,K-L] [--part x86|v3|v2] [--node PATH]\n"
	       "       %s --selftest\n", argv0, argv0, argv0);
}

/* Parses a --part list into sel[]; false if a name is unknown. */
static bool parse_parts(const char *arg, bool *sel)
{
	char buf[64], *tok, *save;
	size_t i;

	memset(sel, 0, sizeof(*sel) * ARRAY_SIZE(parts));
	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (i = 0; i < ARRAY_SIZE(parts); i++) {
			if (!strcmp(tok, parts[i].name) || !strcmp(tok, "all") ||
			    (!strcmp(tok, "arm64") && parts[i].arm64)) {
				sel[i] = true;
				found = true;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

/* Probes the current part's node; one test result. */
static bool probe_part(void)
{
	char msg[1024] = "";
	bool probed;

	probed = probe_node(&fz.probe, msg, sizeof(msg)) &&
		 probe_check_vfio(&fz.probe, msg, sizeof(msg)) &&
		 (!fz.arm64 || probe_check_arm64(&fz.probe, fz.arm64, msg, sizeof(msg)));
	probe_print(&fz.probe);
	if (!probed)
		ksft_print_msg("%s\n", msg);
	ksft_test_result(probed, "probe %s: %d device types, objects 0 before and after\n",
			 fz.part, fz.probe.ntypes);
	return probed;
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
		{ "part", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 't' },
		{ "selftest", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	static bool keep[FUZZ_MAX_LEN];
	bool sel[ARRAY_SIZE(parts)] = { true, true, true };
	const char *keep_arg = NULL, *node_arg = NULL, *part_arg = NULL;
	bool replay = false, selftest_only = false, first = true;
	struct sigaction sa = { .sa_handler = on_alarm };
	uint64_t replay_seed = 0;
	int c, len = 0, plan, weights = 0;
	size_t i, nsel = 0;

	fz = (struct fuzz){
		.seed = DEFAULT_SEED, .duration = DEFAULT_DURATION, .length = DEFAULT_LENGTH,
		.timeout = DEFAULT_TIMEOUT, .kmsg = -1,
	};
	use_part(&parts[0], NULL);
	while ((c = getopt_long(argc, argv, "s:d:n:l:r:k:N:P:t:Svh", opts, NULL)) != -1) {
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
			fz.length_set = true;
			break;
		case 'r':
			replay = true;
			replay_seed = strtoull(optarg, NULL, 0);
			break;
		case 'k':
			keep_arg = optarg;
			break;
		case 'N':
			node_arg = optarg;
			break;
		case 'P':
			part_arg = optarg;
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
	if (part_arg && !parse_parts(part_arg, sel)) {
		usage(argv[0]);
		return KSFT_FAIL;
	}
	if (replay && !part_arg)
		memset(sel + 1, 0, sizeof(sel[0]) * (ARRAY_SIZE(parts) - 1));
	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		nsel += sel[i];
		weights += sel[i] ? parts[i].weight : 0;
	}
	if (fz.length < 1 || fz.length > FUZZ_MAX_LEN || fz.timeout < 1 || optind != argc ||
	    !nsel || (replay && nsel != 1)) {
		usage(argv[0]);
		return KSFT_FAIL;
	}
	if (keep_arg) {
		len = keep_parse(keep_arg, keep, FUZZ_MAX_LEN);
		if (len < 1 || !replay) {
			fprintf(stderr, "--keep needs --replay and a list like 0,3,5-9\n");
			return KSFT_FAIL;
		}
	}

	ksft_print_header();
	if (selftest_only) {
		ksft_set_plan(3);
		ksft_test_result(selftest_determinism(), "selftest: generation is deterministic\n");
		ksft_test_result(selftest_minimiser(), "selftest: minimiser finds the 5 ops\n");
		ksft_test_result(selftest_arm64_generation(),
				 "selftest: arm64 generation is deterministic\n");
		ksft_finished();
	}

	plan = replay ? 3 : 5;
	for (i = 0; i < ARRAY_SIZE(parts) && !replay; i++)
		if (sel[i])
			plan += parts[i].arm64 == 0 ? 4 : parts[i].arm64 == 3 ? 3 : 2;
	ksft_set_plan(plan);
	if (!replay) {
		ksft_print_msg("master seed %#llx, %s %d, parts%s%s%s%s%s%s\n",
			       (unsigned long long)fz.seed, fz.sequences ? "sequences" : "duration (s)",
			       fz.sequences ? fz.sequences : fz.duration,
			       sel[0] ? " " : "", sel[0] ? parts[0].name : "",
			       sel[1] ? " " : "", sel[1] ? parts[1].name : "",
			       sel[2] ? " " : "", sel[2] ? parts[2].name : "");
		ksft_test_result(selftest_determinism(), "selftest: generation is deterministic\n");
		ksft_test_result(selftest_minimiser(), "selftest: minimiser finds the 5 ops\n");
		ksft_test_result(selftest_arm64_generation(),
				 "selftest: arm64 generation is deterministic\n");
	}

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	sigaction(SIGALRM, &sa, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fz.kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fz.kmsg < 0 || lseek(fz.kmsg, 0, SEEK_END) < 0)
		ksft_exit_fail_msg("/dev/kmsg: %s\n", strerror(errno));

	if (replay) {
		static bool mkeep[FUZZ_MAX_LEN];
		struct outcome o;
		bool probed;

		for (i = 0; !sel[i]; i++)
			;
		use_part(&parts[i], node_arg);
		if (!len)
			len = fz.length;
		probed = probe_part();
		ksft_test_result(check_kmsg_oracle(), "kmsg oracle: splat patterns, new lines read\n");
		if (!probed) {
			ksft_test_result_fail("fuzzing needs the probe\n");
			ksft_finished();
		}
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

	ksft_test_result(check_kmsg_oracle(), "kmsg oracle: splat patterns, new lines read\n");
	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		int share;

		if (!sel[i])
			continue;
		use_part(&parts[i], first ? node_arg : NULL);
		share = fz.duration * parts[i].weight / weights;
		if (!probe_part()) {
			for (c = parts[i].arm64 == 0 ? 3 : parts[i].arm64 == 3 ? 2 : 1; c > 0; c--)
				ksft_test_result_fail("fuzzing needs the probe\n");
			if (first)
				ksft_test_result_fail("the oracles need the probe\n");
			first = false;
			continue;
		}
		if (first)
			ksft_test_result(check_oracles(),
					 "oracles: a live VM, a crash, a hang are reported\n");
		first = false;
		if (!parts[i].arm64) {
			ksft_test_result(check_replay_results(),
					 "replay: the same sequence, the same results\n");
			ksft_test_result(check_pipeline(),
					 "pipeline: an injected failure is minimised to 4 ops\n");
			ksft_test_result(fuzz_loop(share),
					 "fuzz x86: no crash, hang, splat, leak or unexpected errno\n");
		} else {
			if (parts[i].arm64 == 3)
				ksft_test_result(check_pipeline_arm64(),
						 "arm64 pipeline: 4 ops minimised, an invariant found\n");
			ksft_test_result(fuzz_loop(share),
					 "fuzz %s: no crash, hang, splat, leak, errno or invariant\n",
					 parts[i].name);
		}
	}
	ksft_finished();
}
