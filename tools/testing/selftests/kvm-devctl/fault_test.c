// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection sweep over every system call path of /dev/kvm-devctl.
 *
 * Each path (open of the node, KVM_CREATE_VM, KVM_CREATE_VCPU, mmap of a
 * vCPU, KVM_CREATE_DEVICE with and without KVM_CREATE_DEVICE_TEST for every
 * device type the module offers, KVM_SET/GET/HAS_DEVICE_ATTR for every
 * attribute a device's KVM_HAS_DEVICE_ATTR reports, the system fd's
 * GET/HAS_DEVICE_ATTR, KVM_CHECK_EXTENSION, and close of device, vCPU and VM
 * files, also when the close drops the VM's last reference) is called with
 * its 1st, 2nd, 3rd, ... fault site failed, until a call passes every site.
 * Each injected call must fail cleanly with an errno the path can produce,
 * or succeed because the kernel absorbed the fault; it must leave no
 * descriptor, mapping or module object behind; and the next uninjected call
 * of the same path must return exactly what it returns without injection.
 *
 * The mechanism is the per-task fail-nth of Documentation/fault-injection/
 * fault-injection.rst ("Systematic faults using fail-nth"): writing N to
 * /proc/thread-self/fail-nth makes the N-th should_fail_ex() of this thread
 * fail (lib/fault-inject.c), whichever of failslab (mm/failslab.c),
 * fail_page_alloc (mm/fail_page_alloc.c) or fail_usercopy (include/linux/
 * uaccess.h, lib/strncpy_from_user.c) reaches it; reading it back gives 0
 * once the fault was injected (fs/proc/base.c, proc_fail_nth_read()). The
 * sites that fail-nth counts are every site of the task, the VFS ones
 * included (getname(), alloc_file_pseudo(), fput() of a half-made file),
 * and allocations of the kernel's own that fall back silently (kmemleak's,
 * KASAN's stack depot; they are __GFP_NOWARN, so fail_dump() does not show
 * them): those faults are absorbed and the call succeeds. close() releases
 * the last reference before it returns (fput_close_sync() in 7.3), so a
 * VM whose last file is closed is gone when close() returns. Sites filtered out before
 * should_fail_ex() are not counted, so the sweep turns the filters off:
 * ignore-gfp-wait for both allocators, ignore-gfp-highmem and min-order for
 * pages (the vCPU's pages and page tables are order 0); verbose=0 keeps
 * every injected fault out of the log. The old values are put back.
 *
 * This tests only the module: real KVM's error paths are not ours to test.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

#define FAIL_NTH "/proc/thread-self/fail-nth"
#define DEBUGFS "/sys/kernel/debug/"
/*
 * The sweeps of a path. One call's sites are not numbered as the next one's:
 * absorbed sites come and go between calls (a new slab's high-order
 * attempt, kmemleak's object, a stack depot pool), shifting the sites after
 * them, so one pass can step over a site (measured: an mmap pass failed 3
 * of its 6 failing sites). A second pass, in another allocator state,
 * makes that unlikely.
 */
#define PASSES 2
/* Where a sweep gives up: no path of the module has nearly this many sites. */
#define MAX_NTH 1000
/* KVM_HAS_DEVICE_ATTR is probed for every group and attribute below this. */
#define GRID 16
#define MAX_TYPES 16
#define MAX_ATTRS 32
/* The vCPU mapping: kvm_run, the PIO page and the coalesced MMIO ring. */
#define VCPU_PAGES 3
/*
 * Where the sweep maps them: alone in its 512 GiB (its PGD entry), so that
 * every mapping allocates its page tables again (munmap frees them in
 * free_pgtables()) and vm_insert_page() in the module's mmap reaches their
 * fault sites.
 */
#define VCPU_MAP_ADDR ((void *)(16UL << 40))

/* The debugfs knobs the sweep sets (relative to DEBUGFS) and their values. */
static const struct knob {
	const char *path;
	const char *value;
} knobs[] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "failslab/verbose", "0" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_usercopy/verbose", "0" },
};

/* This thread's fail-nth, open for the whole test. */
static int fail_nth_fd = -1;
/* FAULT_TEST_VERBOSE=1 in the environment: print every injected call. */
static bool verbose;

/* Faults and paths of the whole run, shared by the test processes. */
static struct totals {
	long faults;
	long absorbed;
	long paths;
	long errors;
} *totals;

static void __attribute__((constructor)) totals_map(void)
{
	totals = mmap(NULL, sizeof(*totals), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (totals == MAP_FAILED)
		totals = NULL;
}

/*
 * Arms the n-th fault site of this thread. Between this and the call under
 * test nothing may enter the kernel: no printf, no page fault.
 */
static int fault_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fail_nth_fd, buf, len, 0) == len ? 0 : -1;
}

/*
 * Reads and clears fail-nth right after the call: 1 if the armed fault was
 * injected (it reads 0), 0 if not, -1 if fail-nth misbehaves. The read's
 * own copy_to_user() and the write's copy_from_user() are fault sites too:
 * if the read fails with EFAULT, fail-nth was 1, so the call did not reach
 * the armed site; the write ends at 0 whether its copy fails or not.
 */
static int fault_disarm(void)
{
	char buf[16] = "";
	ssize_t n = pread(fail_nth_fd, buf, sizeof(buf) - 1, 0);
	int injected;

	if (n > 0)
		injected = strtoul(buf, NULL, 10) == 0;
	else if (n == -1 && errno == EFAULT)
		injected = 0;
	else
		return -1;
	if (pwrite(fail_nth_fd, "0", 1, 0) != 1 && errno != EFAULT)
		return -1;
	memset(buf, 0, sizeof(buf));
	n = pread(fail_nth_fd, buf, sizeof(buf) - 1, 0);
	if (n != 2 || strcmp(buf, "0\n"))
		return -1;
	return injected;
}

/* What a path leaves behind, and the difference of two of these. */
struct state {
	long fds;
	long lowest;
	long maps;
	long vms;
	long vcpus;
	long devices;
};

/* The number of mappings of this process (lines of /proc/self/maps). */
static long count_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char buf[4096];
	long n = 0;
	ssize_t r, i;

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return r < 0 ? -1 : n;
}

static int state_read(struct state *s)
{
	struct objects o;

	if (objects_read(&o))
		return -1;
	*s = (struct state){
		.fds = count_fds(), .lowest = lowest_free_fd(), .maps = count_maps(),
		.vms = o.vms, .vcpus = o.vcpus, .devices = o.devices,
	};
	return s->fds < 0 || s->lowest < 0 || s->maps < 0 ? -1 : 0;
}

static struct state state_sub(const struct state *a, const struct state *b)
{
	return (struct state){
		a->fds - b->fds, a->lowest - b->lowest, a->maps - b->maps,
		a->vms - b->vms, a->vcpus - b->vcpus, a->devices - b->devices,
	};
}

static bool state_eq(const struct state *a, const struct state *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static const char *state_str(const struct state *s, char *buf, size_t size)
{
	snprintf(buf, size, "fds %ld lowest %ld maps %ld vms %ld vcpus %ld devices %ld",
		 s->fds, s->lowest, s->maps, s->vms, s->vcpus, s->devices);
	return buf;
}

/* A call returning the lowest free fd, or mmap returning VCPU_MAP_ADDR. */
#define RET_LOWEST (-100L)
#define RET_MAPPED (-101L)

/* What a call returned: ret is raw with RET_LOWEST/RET_MAPPED folded in. */
struct result {
	long raw;
	long ret;
	int err;
};

static bool result_eq(const struct result *a, const struct result *b)
{
	return a->ret == b->ret && a->err == b->err;
}

static const char *result_str(const struct result *r, char *buf, size_t size)
{
	if (r->ret == RET_LOWEST)
		snprintf(buf, size, "the lowest free fd (%ld)", r->raw);
	else if (r->ret == RET_MAPPED)
		snprintf(buf, size, "a mapping at %p", VCPU_MAP_ADDR);
	else if (r->ret == -1)
		snprintf(buf, size, "-1 %s", errno_name(r->err));
	else
		snprintf(buf, size, "%ld", r->ret);
	return buf;
}

/* What an uninjected call must give: its result and what it leaves behind. */
struct outcome {
	struct result r;
	struct state d;
};

/* The objects a call works on; fds are -1 when not open. */
struct ctx {
	int sys, vm, vcpu, dev, efd;
	/* The fd that a close path closes, or KVM_CHECK_EXTENSION asks. */
	int target;
	/* The attribute ioctl. */
	unsigned long req;
	struct kvm_create_device cd;
	struct kvm_device_attr da;
	/* The attribute's data: a real fd first, for kvm-vfio's ADD/DEL. */
	union {
		__s32 fd;
		__u8 bytes[256];
	} data;
};

struct sweep;

/* One path: how to set it up, make the one call, and check what it made. */
struct path {
	char name[192];
	/* Whether ret is an fd or VCPU_MAP_ADDR, compared as RET_LOWEST/RET_MAPPED. */
	enum { RET_VALUE, RET_FD, RET_ADDR } kind;
	/* The errnos an injected fault may make the call return; 0 ends it. */
	const int *errnos;
	/* Bounds on the faults injected: fewer means the sweep did not test. */
	long min_faults, max_faults;
	/*
	 * An attribute ioctl: if it answers EPERM (no accessor) it reaches no
	 * fault site, otherwise it copies the structure in (at least one).
	 */
	bool attr_ioctl;
	/* The uninjected call must succeed (a type the module offers creates). */
	bool must_succeed;
	/* The parameters of the call. */
	__u32 type, flags, group;
	__u64 attr;
	unsigned long req;
	/* The device type's file name, "kvm-vfio", for device paths. */
	const char *dev_name;
	/* Makes the objects of one run; uninjected, may assert. */
	void (*setup)(struct sweep *sw);
	/* Before each call, uninjected: what the call consumes (or NULL). */
	void (*prepare)(struct sweep *sw);
	/* The call under test: one system call and nothing else. */
	long (*call)(struct ctx *c);
	/* After each call: check and close what a successful call made. */
	void (*finish)(struct sweep *sw, const struct result *r, const struct state *before);
	/* What the path gives uninjected, first and then again, if known. */
	bool known;
	struct outcome want[2];
};

struct sweep {
	struct __test_metadata *meta;
	const struct path *p;
	struct ctx c;
	/* The armed fault site; 0 for uninjected calls. */
	unsigned int nth;
	int errors;
};

/* A check of the sweep: logs the path and fault, fails the test, goes on. */
#define CHECK(sw, cond, fmt, ...) ({					\
	struct __test_metadata *_metadata = (sw)->meta;			\
	bool __ok = (cond);						\
									\
	if (!__ok) {							\
		TH_LOG("%s, fail-nth %u: " fmt, (sw)->p->name,		\
		       (sw)->nth, ##__VA_ARGS__);			\
		_metadata->exit_code = KSFT_FAIL;			\
		(sw)->errors++;						\
	}								\
	__ok;								\
})

static const int errnos_none[] = { 0 };
static const int errnos_nomem[] = { ENOMEM, 0 };
static const int errnos_fault[] = { EFAULT, 0 };
static const int errnos_nomem_fault[] = { ENOMEM, EFAULT, 0 };

static bool errno_allowed(const int *set, int err)
{
	for (; *set; set++)
		if (*set == err)
			return true;
	return false;
}

/* Setups: what the call needs, made without injection. */

static void setup_none(struct sweep *sw)
{
}

static void setup_sys(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;

	sw->c.sys = open_node(KVM_DEVCTL_NODE);
	ASSERT_LE(0, sw->c.sys) TH_LOG("open %s: %s", KVM_DEVCTL_NODE, strerror(errno));
}

static void setup_vm(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;

	setup_sys(sw);
	sw->c.vm = ioctl(sw->c.sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, sw->c.vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
}

static void setup_vcpu(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;

	setup_vm(sw);
	ASSERT_EQ(VCPU_PAGES * getpagesize(), ioctl(sw->c.sys, KVM_GET_VCPU_MMAP_SIZE, 0));
	sw->c.vcpu = ioctl(sw->c.vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, sw->c.vcpu) TH_LOG("KVM_CREATE_VCPU: %s", strerror(errno));
}

/* A VM with a device of the path's type, and a real fd for the attributes. */
static void setup_device(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;
	struct kvm_create_device cd = { .type = sw->p->type };

	setup_vm(sw);
	ASSERT_EQ(0, ioctl(sw->c.vm, KVM_CREATE_DEVICE, &cd))
		TH_LOG("KVM_CREATE_DEVICE %u: %s", cd.type, strerror(errno));
	sw->c.dev = cd.fd;
	sw->c.efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, sw->c.efd);
}

static void ctx_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void ctx_setup(struct sweep *sw)
{
	sw->c = (struct ctx){ .sys = -1, .vm = -1, .vcpu = -1, .dev = -1, .efd = -1,
			      .target = -1, .req = sw->p->req };
	sw->p->setup(sw);
}

static void ctx_teardown(struct sweep *sw)
{
	ctx_close(&sw->c.target);
	ctx_close(&sw->c.efd);
	ctx_close(&sw->c.dev);
	ctx_close(&sw->c.vcpu);
	ctx_close(&sw->c.vm);
	ctx_close(&sw->c.sys);
}

/* Prepares: what each call consumes or reads, remade before every call. */

static void prepare_cd(struct sweep *sw)
{
	sw->c.cd = (struct kvm_create_device){
		.type = sw->p->type, .fd = FD_SENTINEL, .flags = sw->p->flags,
	};
}

static void prepare_attr(struct sweep *sw)
{
	memset(&sw->c.data, 0, sizeof(sw->c.data));
	sw->c.data.fd = sw->c.efd;
	sw->c.da = (struct kvm_device_attr){
		.group = sw->p->group, .attr = sw->p->attr,
		.addr = (unsigned long)&sw->c.data,
	};
}

static int create_device_fd(int vm, __u32 type)
{
	struct kvm_create_device cd = { .type = type };

	return ioctl(vm, KVM_CREATE_DEVICE, &cd) ? -1 : (int)cd.fd;
}

/* A fresh VM each call (the last one closed), holding what target will be. */
static void prepare_fresh_vm(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;

	ctx_close(&sw->c.vm);
	sw->c.vm = ioctl(sw->c.sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, sw->c.vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
}

static void prepare_close_device(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;

	prepare_fresh_vm(sw);
	sw->c.target = create_device_fd(sw->c.vm, sw->p->type);
	ASSERT_LE(0, sw->c.target) TH_LOG("KVM_CREATE_DEVICE: %s", strerror(errno));
}

/* The device's file holds the VM's last reference. */
static void prepare_close_device_last(struct sweep *sw)
{
	prepare_close_device(sw);
	ctx_close(&sw->c.vm);
}

static void prepare_close_vcpu(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;

	prepare_fresh_vm(sw);
	sw->c.target = ioctl(sw->c.vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, sw->c.target) TH_LOG("KVM_CREATE_VCPU: %s", strerror(errno));
}

static void prepare_close_vcpu_last(struct sweep *sw)
{
	prepare_close_vcpu(sw);
	ctx_close(&sw->c.vm);
}

/*
 * The VM's file holds its last reference; it has a vCPU and, for a device
 * path, a device whose file was closed (a type without release stays on
 * the VM until the VM is destroyed).
 */
static void prepare_close_vm_last(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;
	int fd;

	sw->c.target = ioctl(sw->c.sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, sw->c.target) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	fd = ioctl(sw->c.target, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, fd) TH_LOG("KVM_CREATE_VCPU: %s", strerror(errno));
	close(fd);
	if (sw->p->dev_name) {
		fd = create_device_fd(sw->c.target, sw->p->type);
		ASSERT_LE(0, fd) TH_LOG("KVM_CREATE_DEVICE: %s", strerror(errno));
		close(fd);
	}
}

/* The calls. */

static long call_open(struct ctx *c)
{
	return open(KVM_DEVCTL_NODE, O_RDWR | O_CLOEXEC);
}

static long call_create_vm(struct ctx *c)
{
	return ioctl(c->sys, KVM_CREATE_VM, 0);
}

static long call_create_vcpu(struct ctx *c)
{
	return ioctl(c->vm, KVM_CREATE_VCPU, 0);
}

static long call_mmap_vcpu(struct ctx *c)
{
	void *p = mmap(VCPU_MAP_ADDR, VCPU_PAGES * getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED_NOREPLACE, c->vcpu, 0);

	return p == MAP_FAILED ? -1 : (long)p;
}

static long call_create_device(struct ctx *c)
{
	return ioctl(c->vm, KVM_CREATE_DEVICE, &c->cd);
}

static long call_device_attr(struct ctx *c)
{
	return ioctl(c->dev, c->req, &c->da);
}

static long call_sys_attr(struct ctx *c)
{
	return ioctl(c->sys, c->req, &c->da);
}

static long call_check_extension(struct ctx *c)
{
	return ioctl(c->target, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL);
}

static long call_close(struct ctx *c)
{
	return close(c->target);
}

/* Finishes: check what a successful call made, and close it. */

static void finish_none(struct sweep *sw, const struct result *r, const struct state *before)
{
}

/* The objects that exist while what the call made is open. */
static void check_live(struct sweep *sw, const struct state *before, long vms, long vcpus,
		       long devices)
{
	struct objects o;
	char buf[64];

	if (!CHECK(sw, !objects_read(&o), "objects: %s", strerror(errno)))
		return;
	CHECK(sw, o.vms == before->vms + vms && o.vcpus == before->vcpus + vcpus &&
	      o.devices == before->devices + devices,
	      "while open: %s, expected %ld/%ld/%ld more", objects_str(&o, buf, sizeof(buf)),
	      vms, vcpus, devices);
}

static void check_name(struct sweep *sw, int fd, const char *want)
{
	char name[128];

	fd_name(fd, name, sizeof(name));
	CHECK(sw, !strcmp(name, want), "fd %d is \"%s\", expected \"%s\"", fd, name, want);
}

static void finish_open(struct sweep *sw, const struct result *r, const struct state *before)
{
	if (r->raw < 0)
		return;
	check_name(sw, r->raw, KVM_DEVCTL_NODE);
	CHECK(sw, ioctl(r->raw, KVM_GET_API_VERSION, 0) == KVM_API_VERSION,
	      "KVM_GET_API_VERSION on the opened fd");
	close(r->raw);
}

static void finish_create_vm(struct sweep *sw, const struct result *r,
			     const struct state *before)
{
	if (r->raw < 0)
		return;
	check_name(sw, r->raw, "anon_inode:kvm-vm");
	check_live(sw, before, 1, 0, 0);
	CHECK(sw, ioctl(r->raw, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL) == 1,
	      "KVM_CHECK_EXTENSION on the new VM");
	close(r->raw);
}

static void finish_create_vcpu(struct sweep *sw, const struct result *r,
			       const struct state *before)
{
	if (r->raw < 0)
		return;
	check_name(sw, r->raw, "anon_inode:kvm-vcpu:0");
	check_live(sw, before, 0, 1, 0);
	close(r->raw);
}

/* kvm-devctl inserts all three pages at mmap time: mincore sees them. */
static void finish_mmap_vcpu(struct sweep *sw, const struct result *r,
			     const struct state *before)
{
	unsigned char vec[VCPU_PAGES];
	void *p = (void *)r->raw;
	int i;

	if (r->raw == -1)
		return;
	if (CHECK(sw, !mincore(p, VCPU_PAGES * getpagesize(), vec), "mincore: %s",
		  strerror(errno)))
		for (i = 0; i < VCPU_PAGES; i++)
			CHECK(sw, vec[i] & 1, "page %d of the vCPU mapping is not mapped", i);
	CHECK(sw, !munmap(p, VCPU_PAGES * getpagesize()), "munmap: %s", strerror(errno));
}

static void finish_create_device(struct sweep *sw, const struct result *r,
				 const struct state *before)
{
	const struct kvm_create_device *cd = &sw->c.cd;
	char name[96];

	if (r->raw)
		return;
	CHECK(sw, cd->type == sw->p->type && cd->flags == sw->p->flags,
	      "cd came back as type %u flags %#x", cd->type, cd->flags);
	if (sw->p->flags & KVM_CREATE_DEVICE_TEST) {
		CHECK(sw, cd->fd == FD_SENTINEL, "a test creation wrote cd.fd = %u", cd->fd);
		return;
	}
	CHECK(sw, cd->fd == before->lowest, "cd.fd %u, expected the lowest free fd %ld",
	      cd->fd, before->lowest);
	snprintf(name, sizeof(name), "anon_inode:%s", sw->p->dev_name);
	check_name(sw, cd->fd, name);
	check_live(sw, before, 0, 0, 1);
	if (cd->fd <= INT_MAX)
		close(cd->fd);
}

static void finish_close(struct sweep *sw, const struct result *r, const struct state *before)
{
	/* Linux frees the descriptor whatever close() returns. */
	sw->c.target = -1;
}

/*
 * One call of the path, armed at fault site nth unless it is 0: prepare,
 * note the state, call, disarm, finish, and return the result and what the
 * call left behind. False if the sweep cannot go on.
 */
static bool call_once(struct sweep *sw, unsigned int nth, struct result *r, struct state *d,
		      bool *injected)
{
	struct __test_metadata *_metadata = sw->meta;
	struct state before, after;
	int inj = 0;

	sw->nth = nth;
	if (sw->p->prepare)
		sw->p->prepare(sw);
	ASSERT_EQ(0, state_read(&before)) TH_LOG("reading the state: %s", strerror(errno));
	if (nth && !CHECK(sw, !fault_arm(nth), "writing %s: %s", FAIL_NTH, strerror(errno)))
		return false;
	errno = 0;
	r->raw = sw->p->call(&sw->c);
	r->err = r->raw == -1 ? errno : 0;
	if (nth)
		inj = fault_disarm();
	if (!CHECK(sw, inj >= 0, "%s does not read back or clear", FAIL_NTH))
		return false;
	*injected = inj;
	r->ret = r->raw;
	if (sw->p->kind == RET_FD && r->raw >= 0 && r->raw == before.lowest)
		r->ret = RET_LOWEST;
	if (sw->p->kind == RET_ADDR && r->raw == (long)VCPU_MAP_ADDR)
		r->ret = RET_MAPPED;
	sw->p->finish(sw, r, &before);
	ASSERT_EQ(0, state_read(&after)) TH_LOG("reading the state: %s", strerror(errno));
	*d = state_sub(&after, &before);
	return true;
}

/* The call's result and leftovers must be the outcome o. */
static bool check_outcome(struct sweep *sw, const char *what, const struct result *r,
			  const struct state *d, const struct outcome *o)
{
	char b1[64], b2[64], s1[96], s2[96];

	return CHECK(sw, result_eq(r, &o->r) && state_eq(d, &o->d),
		     "%s: got %s leaving %s; expected %s leaving %s", what,
		     result_str(r, b1, sizeof(b1)), state_str(d, s1, sizeof(s1)),
		     result_str(&o->r, b2, sizeof(b2)), state_str(&o->d, s2, sizeof(s2)));
}

/* The known outcome w, in the fields it fixes: the result, fds and objects. */
static bool check_known(struct sweep *sw, const char *what, const struct outcome *o,
			const struct outcome *w)
{
	struct outcome fixed = *o;

	fixed.d.lowest = w->d.lowest;
	fixed.d.maps = w->d.maps;
	return check_outcome(sw, what, &o->r, &fixed.d, w);
}

/* What the passes over one path injected. */
struct tally {
	long faults[PASSES];
	long absorbed, nomem, efault;
	/* The passes that ended at a call past every fault site. */
	int done;
};

/*
 * One pass over a path: fail its 1st, 2nd, ... fault site until a call
 * passes them all. base is what the path gives uninjected, first and next.
 */
static void sweep_pass(struct sweep *sw, const struct outcome base[2], struct tally *t,
		       int pass)
{
	struct result r;
	struct state d;
	unsigned int nth;
	bool injected;
	int next;

	for (nth = 1; !sw->errors; nth++) {
		if (!CHECK(sw, nth <= MAX_NTH, "still injecting after %d faults", MAX_NTH))
			return;
		ctx_setup(sw);
		if (!call_once(sw, nth, &r, &d, &injected)) {
			ctx_teardown(sw);
			return;
		}
		if (!injected) {
			/* The call passed every fault site: it is an uninjected call. */
			check_outcome(sw, "call past the last fault site", &r, &d, &base[0]);
			ctx_teardown(sw);
			t->done++;
			return;
		}
		t->faults[pass]++;
		if (verbose) {
			char b[64];

			ksft_print_msg("  %s, fail-nth %u: %s\n", sw->p->name, nth,
				       result_str(&r, b, sizeof(b)));
		}
		if (result_eq(&r, &base[0].r)) {
			/* Absorbed: the call did what it does uninjected. */
			t->absorbed++;
			check_outcome(sw, "absorbed fault", &r, &d, &base[0]);
			next = 1;
		} else {
			char b[64], s[96];

			CHECK(sw, r.ret == -1 && errno_allowed(sw->p->errnos, r.err) &&
			      state_eq(&d, &(struct state){ 0 }),
			      "injected fault: got %s leaving %s; expected an allowed errno, nothing left",
			      result_str(&r, b, sizeof(b)), state_str(&d, s, sizeof(s)));
			t->nomem += r.err == ENOMEM;
			t->efault += r.err == EFAULT;
			next = 0;
		}
		/* The next uninjected call gives what it would have without the fault. */
		if (call_once(sw, 0, &r, &d, &injected))
			check_outcome(sw, "next uninjected call", &r, &d, &base[next]);
		ctx_teardown(sw);
	}
}

/*
 * Sweeps one path: learn (or check) its uninjected outcome, then make
 * PASSES passes failing each of its fault sites in turn.
 */
static void sweep_path(struct __test_metadata *_metadata, const struct path *p)
{
	struct sweep sw = { .meta = _metadata, .p = p };
	long min_faults = p->min_faults, max_faults = p->max_faults, total = 0;
	struct outcome base[2] = { 0 };
	struct tally t = { 0 };
	char passes[64] = "";
	bool injected;
	int pass, len = 0;

	/* Uninjected: the path's first outcome and, in the same context, its next. */
	ctx_setup(&sw);
	if (call_once(&sw, 0, &base[0].r, &base[0].d, &injected) &&
	    call_once(&sw, 0, &base[1].r, &base[1].d, &injected) && p->known) {
		check_known(&sw, "first uninjected call", &base[0], &p->want[0]);
		check_known(&sw, "second uninjected call", &base[1], &p->want[1]);
	}
	ctx_teardown(&sw);
	if (p->must_succeed)
		CHECK(&sw, base[0].r.ret != -1, "the uninjected call failed: %s",
		      errno_name(base[0].r.err));
	if (p->attr_ioctl) {
		min_faults = base[0].r.err == EPERM ? 0 : 1;
		max_faults = base[0].r.err == EPERM ? 0 : -1;
	}

	for (pass = 0; pass < PASSES && !sw.errors; pass++)
		sweep_pass(&sw, base, &t, pass);
	sw.nth = 0;
	for (pass = 0; pass < t.done; pass++) {
		CHECK(&sw, t.faults[pass] >= min_faults,
		      "pass %d: %ld faults injected, expected at least %ld", pass + 1,
		      t.faults[pass], min_faults);
		CHECK(&sw, max_faults < 0 || t.faults[pass] <= max_faults,
		      "pass %d: %ld faults injected, expected at most %ld", pass + 1,
		      t.faults[pass], max_faults);
	}
	for (pass = 0; pass < PASSES; pass++) {
		total += t.faults[pass];
		len += snprintf(passes + len, sizeof(passes) - len, "%s%ld", pass ? " + " : "",
				t.faults[pass]);
	}
	ksft_print_msg("%s: %ld faults injected (%s), %s (ENOMEM %ld, EFAULT %ld, absorbed %ld)\n",
		       p->name, total, passes, sw.errors ? "NOT CLEAN" : "all clean", t.nomem,
		       t.efault, t.absorbed);
	fflush(stdout);
	if (totals) {
		__atomic_add_fetch(&totals->faults, total, __ATOMIC_RELAXED);
		__atomic_add_fetch(&totals->absorbed, t.absorbed, __ATOMIC_RELAXED);
		__atomic_add_fetch(&totals->paths, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&totals->errors, sw.errors, __ATOMIC_RELAXED);
	}
}

/* Device types, found with supported_types() and KVM_HAS_DEVICE_ATTR. */

struct dev_attr {
	__u32 group;
	__u64 attr;
	/* Uninjected KVM_SET_DEVICE_ATTR and KVM_GET_DEVICE_ATTR errnos (0: success). */
	int set_err, get_err;
};

/* What is known of a type: a type not listed is swept on what it answers. */
static const struct known_type {
	__u32 type;
	const char *name;
	/* The device leaves its VM when its file is closed (ops->release). */
	bool release;
	int nattrs;
	struct dev_attr attrs[4];
} known_types[] = {
	/*
	 * virt/kvm/vfio.c without VFIO in the kernel: no file is a VFIO file,
	 * so ADD of a real fd is EINVAL and DEL is ENOENT; no get_attr.
	 */
	{ KVM_DEV_TYPE_VFIO, "kvm-vfio", true, 2, {
		{ KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, EINVAL, EPERM },
		{ KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, ENOENT, EPERM },
	} },
};

struct dev_type {
	__u32 type;
	char name[96];
	const struct known_type *known;
	int nattrs;
	struct dev_attr attrs[MAX_ATTRS];
};

static const struct known_type *known_type(__u32 type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known_types); i++)
		if (known_types[i].type == type)
			return &known_types[i];
	return NULL;
}

/*
 * The module's device types, each with its file name and the (group,
 * attribute) pairs KVM_HAS_DEVICE_ATTR accepts in a GRID x GRID probe.
 */
static int discover_types(struct __test_metadata *_metadata, struct dev_type *types)
{
	__u32 nums[MAX_TYPES];
	int sys, vm, n, i, fd;
	__u32 g, a;

	sys = open_node(KVM_DEVCTL_NODE);
	ASSERT_LE(0, sys);
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	n = supported_types(vm, KVM_DEV_TYPE_MAX, nums, MAX_TYPES);
	ASSERT_LE(1, n) TH_LOG("supported_types: %d %s", n, strerror(errno));
	for (i = 0; i < n; i++) {
		struct dev_type *t = &types[i];
		char name[96];

		*t = (struct dev_type){ .type = nums[i], .known = known_type(nums[i]) };
		fd = create_device_fd(vm, t->type);
		ASSERT_LE(0, fd) TH_LOG("KVM_CREATE_DEVICE %u: %s", t->type, strerror(errno));
		fd_name(fd, name, sizeof(name));
		ASSERT_EQ(0, strncmp(name, "anon_inode:", 11)) TH_LOG("device fd: %s", name);
		snprintf(t->name, sizeof(t->name), "%s", name + 11);
		for (g = 0; g < GRID; g++) {
			for (a = 0; a < GRID; a++) {
				struct sysret s;

				s = SYS(device_attr(fd, KVM_HAS_DEVICE_ATTR, g, a, 0));
				if (s.ret == 0) {
					ASSERT_GT(MAX_ATTRS, t->nattrs);
					t->attrs[t->nattrs++] = (struct dev_attr){ g, a };
				} else {
					ASSERT_TRUE(s.err == ENXIO || s.err == EPERM)
						TH_LOG("%s HAS %u/%u: %s", t->name, g, a,
						       errno_name(s.err));
				}
			}
		}
		close(fd);
		if (t->known) {
			/* A known type must offer exactly its known attributes. */
			ASSERT_STREQ(t->known->name, t->name);
			ASSERT_EQ(t->known->nattrs, t->nattrs);
			for (a = 0; a < (__u32)t->nattrs; a++) {
				ASSERT_EQ(t->known->attrs[a].group, t->attrs[a].group);
				ASSERT_EQ(t->known->attrs[a].attr, t->attrs[a].attr);
				t->attrs[a] = t->known->attrs[a];
			}
		}
	}
	close(vm);
	close(sys);
	return n;
}

/* An outcome: a result and what is left behind (fds, vms, vcpus, devices). */
#define OUT(_ret, _err, _fds, _vms, _vcpus, _devices)			\
	{ .r = { .ret = (_ret), .err = (_err) },			\
	  .d = { .fds = (_fds), .vms = (_vms), .vcpus = (_vcpus), .devices = (_devices) } }
/* An uninjected call answering the same twice, leaving nothing. */
#define SAME(_ret, _err) .known = true, \
	.want = { OUT(_ret, _err, 0, 0, 0, 0), OUT(_ret, _err, 0, 0, 0, 0) }

FIXTURE(fault) {
	/* The knobs' old values, restored by the parent: self is shared. */
	char old[ARRAY_SIZE(knobs)][16];
	int saved;
	struct dev_type types[MAX_TYPES];
	int ntypes;
};

FIXTURE_SETUP(fault)
{
	struct objects o;
	char path[128];
	size_t i;

	self->saved = 0;
	verbose = getenv("FAULT_TEST_VERBOSE");
	if (access(FAIL_NTH, F_OK))
		SKIP(return, "no %s: the kernel has no CONFIG_FAULT_INJECTION", FAIL_NTH);
	ASSERT_EQ(0, objects_read(&o)) TH_LOG("%s: %s", KVM_DEVCTL_OBJECTS, strerror(errno));
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), DEBUGFS "%s", knobs[i].path);
		ASSERT_EQ(0, read_file(path, self->old[i], sizeof(self->old[i])))
			TH_LOG("%s: %s", path, strerror(errno));
		self->saved = i + 1;
		ASSERT_EQ(0, write_file(path, knobs[i].value))
			TH_LOG("%s: %s", path, strerror(errno));
	}
	fail_nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fail_nth_fd) TH_LOG("%s: %s", FAIL_NTH, strerror(errno));
	/* Unarmed, it reads 0, as after an injected fault. */
	ASSERT_EQ(1, fault_disarm());
	/* Every page the sweep touches is present: no page fault meets fail-nth. */
	ASSERT_EQ(0, mlockall(MCL_CURRENT)) TH_LOG("mlockall: %s", strerror(errno));
	self->ntypes = discover_types(_metadata, self->types);
}

FIXTURE_TEARDOWN_PARENT(fault)
{
	char path[128];
	int i;

	for (i = 0; i < self->saved; i++) {
		snprintf(path, sizeof(path), DEBUGFS "%s", knobs[i].path);
		EXPECT_EQ(0, write_file(path, self->old[i])) TH_LOG("restoring %s", path);
	}
}

TEST_F(fault, open_node)
{
	struct path p = {
		.name = "open " KVM_DEVCTL_NODE, .kind = RET_FD,
		/* getname(): ENOMEM, EFAULT; alloc_empty_file(), misc open: ENOMEM. */
		.errnos = errnos_nomem_fault, .min_faults = 1, .max_faults = -1,
		.setup = setup_none, .call = call_open,
		.finish = finish_open, SAME(RET_LOWEST, 0),
	};

	sweep_path(_metadata, &p);
}

TEST_F(fault, create_vm)
{
	struct path p = {
		.name = "KVM_CREATE_VM", .kind = RET_FD,
		/* The VM, its ring page, its file: ENOMEM; the argument is a value. */
		.errnos = errnos_nomem, .min_faults = 3, .max_faults = -1,
		.setup = setup_sys, .call = call_create_vm,
		.finish = finish_create_vm, SAME(RET_LOWEST, 0),
	};

	sweep_path(_metadata, &p);
}

TEST_F(fault, create_vcpu)
{
	struct path p = {
		.name = "KVM_CREATE_VCPU", .kind = RET_FD,
		/* The vCPU, its two pages, its name, its file: ENOMEM. */
		.errnos = errnos_nomem, .min_faults = 4, .max_faults = -1,
		.setup = setup_vm, .call = call_create_vcpu,
		.finish = finish_create_vcpu, .known = true,
		/* A vCPU lives until its VM goes: id 0 is then taken. */
		.want = { OUT(RET_LOWEST, 0, 0, 0, 1, 0), OUT(-1, EEXIST, 0, 0, 0, 0) },
	};

	sweep_path(_metadata, &p);
}

TEST_F(fault, mmap_vcpu)
{
	struct path p = {
		.name = "mmap vCPU (3 pages)", .kind = RET_ADDR,
		/* The VMA, maple tree nodes, page tables under vm_insert_page(). */
		/* MAP_FIXED_NOREPLACE: EEXIST would be a mapping left behind. */
		.errnos = errnos_nomem, .min_faults = 1, .max_faults = -1,
		.setup = setup_vcpu, .call = call_mmap_vcpu,
		.finish = finish_mmap_vcpu, SAME(RET_MAPPED, 0),
	};

	sweep_path(_metadata, &p);
}

/* KVM_CREATE_DEVICE of every type, with flags 0 or KVM_CREATE_DEVICE_TEST. */
static void path_create_device(struct __test_metadata *_metadata, const struct dev_type *t,
			       __u32 flags)
{
	bool test = flags & KVM_CREATE_DEVICE_TEST;
	struct path p = {
		.kind = RET_VALUE, .min_faults = test ? 2 : 3, .max_faults = -1,
		/* Copy in and out: EFAULT; the device, its list slot, its file: ENOMEM. */
		.errnos = test ? errnos_fault : errnos_nomem_fault,
		.type = t->type, .flags = flags, .dev_name = t->name, .must_succeed = true,
		.setup = setup_vm, .prepare = prepare_cd, .call = call_create_device,
		.finish = finish_create_device,
	};

	snprintf(p.name, sizeof(p.name), "KVM_CREATE_DEVICE%s %s", test ? " TEST" : "", t->name);
	/* A type with release leaves its VM when its file is closed. */
	if (test || (t->known && t->known->release)) {
		p.known = true;
		p.want[0] = (struct outcome)OUT(0, 0, 0, 0, 0, 0);
		p.want[1] = p.want[0];
	}
	sweep_path(_metadata, &p);
}

TEST_F(fault, create_device)
{
	int i;

	for (i = 0; i < self->ntypes; i++)
		path_create_device(_metadata, &self->types[i], 0);
}

TEST_F(fault, create_device_test)
{
	int i;

	for (i = 0; i < self->ntypes; i++)
		path_create_device(_metadata, &self->types[i], KVM_CREATE_DEVICE_TEST);
}

/* One attribute ioctl on every attribute of every type. */
static void path_attrs(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
		       unsigned long req, const char *req_name)
{
	int i, j;

	for (i = 0; i < self->ntypes; i++) {
		const struct dev_type *t = &self->types[i];

		for (j = 0; j < t->nattrs; j++) {
			const struct dev_attr *a = &t->attrs[j];
			struct path p = {
				.kind = RET_VALUE, .attr_ioctl = true,
				/* The attribute and its data: EFAULT; a type's state: ENOMEM. */
				.errnos = req == KVM_HAS_DEVICE_ATTR ? errnos_fault :
					  errnos_nomem_fault,
				.type = t->type, .group = a->group, .attr = a->attr, .req = req,
				.dev_name = t->name,
				.setup = setup_device, .prepare = prepare_attr,
				.call = call_device_attr, .finish = finish_none,
			};
			int err = req == KVM_SET_DEVICE_ATTR ? a->set_err :
				  req == KVM_GET_DEVICE_ATTR ? a->get_err : 0;

			snprintf(p.name, sizeof(p.name), "%s %s group %u attr %llu", req_name,
				 t->name, a->group, (unsigned long long)a->attr);
			if (t->known) {
				p.known = true;
				p.want[0] = (struct outcome)OUT(err ? -1 : 0, err, 0, 0, 0, 0);
				p.want[1] = p.want[0];
			}
			sweep_path(_metadata, &p);
		}
	}
}

TEST_F(fault, set_device_attr)
{
	path_attrs(_metadata, self, KVM_SET_DEVICE_ATTR, "KVM_SET_DEVICE_ATTR");
}

TEST_F(fault, get_device_attr)
{
	path_attrs(_metadata, self, KVM_GET_DEVICE_ATTR, "KVM_GET_DEVICE_ATTR");
}

TEST_F(fault, has_device_attr)
{
	path_attrs(_metadata, self, KVM_HAS_DEVICE_ATTR, "KVM_HAS_DEVICE_ATTR");
}

TEST_F(fault, system_device_attr)
{
	static const unsigned long reqs[] = { KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		struct path p = {
			.kind = RET_VALUE, .req = reqs[i],
			/* The structure is copied in (EFAULT); the system has no attributes. */
			.errnos = errnos_fault, .min_faults = 1, .max_faults = -1,
			.setup = setup_sys, .prepare = prepare_attr, .call = call_sys_attr,
			.finish = finish_none, SAME(-1, ENXIO),
		};

		snprintf(p.name, sizeof(p.name), "system %s", i ? "KVM_HAS_DEVICE_ATTR" :
			 "KVM_GET_DEVICE_ATTR");
		sweep_path(_metadata, &p);
	}
}

static void setup_target_sys(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;

	setup_vm(sw);
	sw->c.target = dup(sw->c.sys);
	ASSERT_LE(0, sw->c.target);
}

static void setup_target_vm(struct sweep *sw)
{
	struct __test_metadata *_metadata = sw->meta;

	setup_vm(sw);
	sw->c.target = dup(sw->c.vm);
	ASSERT_LE(0, sw->c.target);
}

TEST_F(fault, check_extension)
{
	void (*setups[])(struct sweep *) = { setup_target_sys, setup_target_vm };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(setups); i++) {
		struct path p = {
			.kind = RET_VALUE,
			/* The capability is a value: nothing to copy, nothing to allocate. */
			.errnos = errnos_none, .min_faults = 0, .max_faults = 0,
			.setup = setups[i], .call = call_check_extension,
			.finish = finish_none, SAME(1, 0),
		};

		snprintf(p.name, sizeof(p.name), "KVM_CHECK_EXTENSION on the %s fd",
			 i ? "VM" : "system");
		sweep_path(_metadata, &p);
	}
}

/* A close path: close() returns 0 and frees exactly what it must. */
static void path_close(struct __test_metadata *_metadata, const char *name,
		       void (*prepare)(struct sweep *sw), const struct dev_type *t,
		       bool known, struct outcome want)
{
	struct path p = {
		.kind = RET_VALUE, .errnos = errnos_none, .min_faults = 0, .max_faults = -1,
		.setup = setup_sys, .prepare = prepare, .call = call_close,
		.finish = finish_close, .known = known, .want = { want, want },
		.type = t ? t->type : 0, .dev_name = t ? t->name : NULL,
	};

	snprintf(p.name, sizeof(p.name), "%s%s%s", name, t ? " " : "", t ? t->name : "");
	sweep_path(_metadata, &p);
}

TEST_F(fault, close_device)
{
	int i;

	for (i = 0; i < self->ntypes; i++) {
		const struct dev_type *t = &self->types[i];
		bool release = t->known && t->known->release;

		/* With release, the device leaves the VM at close. */
		path_close(_metadata, "close device", prepare_close_device, t, t->known,
			   (struct outcome)OUT(0, 0, -1, 0, 0, release ? -1 : 0));
		/* The last reference: the VM and the device go. */
		path_close(_metadata, "close device (last VM reference)",
			   prepare_close_device_last, t, t->known,
			   (struct outcome)OUT(0, 0, -1, -1, 0, -1));
	}
}

TEST_F(fault, close_vcpu)
{
	/* The vCPU stays with its VM... */
	path_close(_metadata, "close vCPU", prepare_close_vcpu, NULL, true,
		   (struct outcome)OUT(0, 0, -1, 0, 0, 0));
	/* ... until the VM goes. */
	path_close(_metadata, "close vCPU (last VM reference)", prepare_close_vcpu_last, NULL,
		   true, (struct outcome)OUT(0, 0, -1, -1, -1, 0));
}

TEST_F(fault, close_vm)
{
	int i;

	path_close(_metadata, "close VM (last reference, a vCPU)", prepare_close_vm_last, NULL,
		   true, (struct outcome)OUT(0, 0, -1, -1, -1, 0));
	for (i = 0; i < self->ntypes; i++) {
		const struct dev_type *t = &self->types[i];
		bool release = t->known && t->known->release;

		/* A device without release is still on the VM and goes with it. */
		path_close(_metadata, "close VM (last reference, a vCPU, a closed device)",
			   prepare_close_vm_last, t, t->known,
			   (struct outcome)OUT(0, 0, -1, -1, -1, release ? 0 : -1));
	}
}

/* Runs last: the sum over the paths swept before it in this run. */
TEST_F(fault, total)
{
	ASSERT_NE(NULL, totals);
	if (!totals->paths)
		SKIP(return, "no path was swept before this test");
	ksft_print_msg("total: %ld faults injected over %ld paths (%ld absorbed), %s\n",
		       totals->faults, totals->paths, totals->absorbed,
		       totals->errors ? "NOT CLEAN" : "all clean");
	fflush(stdout);
	EXPECT_EQ(0, totals->errors);
	EXPECT_LT(0, totals->faults);
}

TEST_HARNESS_MAIN
