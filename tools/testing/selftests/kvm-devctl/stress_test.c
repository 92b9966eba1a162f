// SPDX-License-Identifier: GPL-2.0
/*
 * Race stress for kvm-devctl: threads and processes that create, use and
 * close VMs, vCPUs and devices at the same time, and unload the module
 * while files are open. Every call's result is checked against an exact
 * value or an exact set of errnos, and after each scenario every fd is
 * closed and the module's object counts
 * (/sys/kernel/debug/kvm-devctl/objects) must read 0.
 *
 * The rules are those of virt/kvm/kvm_main.c: kvm_vm_ioctl(),
 * kvm_vcpu_ioctl() and kvm_device_ioctl() answer EIO to any process but the
 * VM's creator (kvm->mm != current->mm); kvm_ioctl_create_device() takes
 * its VM reference before the device's fd exists, the fix of CVE-2019-6974
 * (commit cfa39381173d, "kvm: fix kvm_ioctl_create_device() reference
 * counting"); kvm_vfio_create() (virt/kvm/vfio.c) allows one kvm-vfio per
 * VM and kvm_device_release() takes it off the VM; vCPUs live until their
 * VM is destroyed. Unloading follows kernel/module/main.c: delete_module()
 * with O_NONBLOCK fails with EWOULDBLOCK (try_stop_module()) while a file
 * whose f_op->owner is the module is open, which every file of kvm-devctl
 * is (fops_get() in misc_open(), try_module_get() in anon_inode_getfile()).
 *
 * Scenarios (each gets its own slice of --duration; long runs repeat them
 * in rounds of about a minute, each round unloading the module once):
 *   create_close  threads share slots of VM, vCPU and device fds and create,
 *                 use and close them; the object counts must match the fds
 *                 left open at the end
 *   attr_close    SET/GET/HAS_DEVICE_ATTR on device fds that other threads
 *                 close (fd numbers get reused): results from a fixed set
 *   fork          dup/close/fork: in the child every ioctl on an inherited
 *                 VM, vCPU or device fd is EIO, the parent keeps working
 *   create_race   close the VM fd, and the fd the device is about to get,
 *                 while KVM_CREATE_DEVICE runs on the VM (CVE-2019-6974)
 *   vcpu_race     KVM_CREATE_VCPU and mmap of vCPUs while the VM fd closes
 *   rmmod         delete_module() with every kind of file open, then with
 *                 none, then racing with opens; finit_module() reloads it
 *
 *   stress_test [--duration S] [--threads N] [--seed S] [--node PATH]
 *               [--module PATH] [--no-rmmod] [--kvm]
 *
 * --kvm also runs the first five scenarios on the real /dev/kvm of the same
 * kernel (no object counts there), to compare behaviour. The load is bounded
 * in time (the slices) and in size: a thread holds at most VM_SLOTS VM fds
 * and DEV_SLOTS vCPU/device fds, a racing child one VM with NR_VCPU_IDS
 * vCPUs, and the module is reloaded at most MAX_RELOADS times per slice.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest.h"
#include "kvm_devctl_util.h"

/* The default run: about this many seconds of load, all scenarios. */
#define DEFAULT_DURATION	18.0
/* Long runs go in rounds of about this many seconds. */
#define ROUND_SECONDS		60.0
#define MAX_THREADS		32
/* Per thread of create_close: VM fd slots and vCPU/device fd slots. */
#define VM_SLOTS		4
#define DEV_SLOTS		8
/* vCPU ids used: 0..NR_VCPU_IDS-1. */
#define NR_VCPU_IDS		4
/* Device types remembered from supported_types(). */
#define MAX_TYPES		16
/* Reloads of the module in one rmmod slice, at most. */
#define MAX_RELOADS		3
/* Failure messages printed per scenario run. */
#define MAX_LOGGED		10
#define MODULE_NAME		"kvm_devctl"
/* Errno values counted one by one; the rest share the last bucket. */
#define NERR			134

/* A set of results: bit 0 is success (ret != -1), bit e is errno e. */
#define RES_OK			1ULL
#define RES_E(e)		(1ULL << (e))

static struct {
	double duration;
	int threads;
	uint64_t seed;
	const char *node;
	const char *module;
	bool rmmod;
	bool kvm;
} opt = {
	.duration = DEFAULT_DURATION,
	.threads = 4,
	.node = KVM_DEVCTL_NODE,
	.module = KVM_DEVCTL_KO,
	.rmmod = true,
};

/* What a scenario run counts; shared with the processes it forks. */
struct stats {
	atomic_long ops;
	atomic_long fails;
	atomic_long logged;
	atomic_long rounds;
	/* How often the scenario's interesting interleaving happened. */
	atomic_long hits;
	atomic_long hist[NERR + 1];
};

/* One run of one scenario on one node. */
struct run {
	const char *name;
	const char *node;
	/* The node is the module's: check its object counts. */
	bool objects;
	double deadline;
	struct stats *st;
	__u32 types[MAX_TYPES];
	int ntypes;
	long mmap_size;
	int threads;
	uint64_t seed;
};

/* Set in processes forked by a multi-threaded parent: no stdio there. */
static bool in_child;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* splitmix64 */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(uint64_t *s, unsigned int n)
{
	return rnd(s) % n;
}

/* Busy-waits a little, to shift the interleaving of two racing threads. */
static void spin(unsigned int n)
{
	while (n--)
		__asm__ volatile("pause" ::: "memory");
}

/*
 * Prints a failure (the first MAX_LOGGED of a run) with one write(), which
 * is safe in a child forked from threads and keeps lines whole.
 */
static void vfailf(struct run *r, const char *fmt, va_list ap)
{
	char buf[600];
	int n;

	atomic_fetch_add(&r->st->fails, 1);
	if (atomic_fetch_add(&r->st->logged, 1) >= MAX_LOGGED)
		return;
	n = snprintf(buf, sizeof(buf), "# FAIL %s [%s]%s: ", r->name, r->node,
		     in_child ? " (child)" : "");
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, n) < 0)
		return;
}

static __printf(2, 3) void failf(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfailf(r, fmt, ap);
	va_end(ap);
}

/* Counts one call and its result in the histogram. */
static void record(struct run *r, struct sysret s)
{
	int e = s.ret == -1 ? s.err : 0;

	if (e < 0 || e >= NERR)
		e = NERR;
	atomic_fetch_add_explicit(&r->st->ops, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->st->hist[e], 1, memory_order_relaxed);
}

static bool in_set(struct sysret s, uint64_t set)
{
	if (s.ret != -1)
		return set & RES_OK;
	return s.err > 0 && s.err < 64 && (set & RES_E(s.err));
}

static void set_str(uint64_t set, char *buf, size_t size)
{
	size_t n = 0;
	int e;

	buf[0] = 0;
	for (e = 0; e < 64 && n < size; e++)
		if (set & (1ULL << e))
			n += snprintf(buf + n, size - n, "%s%s", n ? "," : "",
				      e ? errno_name(e) : "success");
}

/* Records s and checks it against ok; want says what was expected. */
static bool judge(struct run *r, struct sysret s, bool ok, const char *want,
		  const char *fmt, va_list ap)
{
	char what[300];

	record(r, s);
	if (ok)
		return true;
	vsnprintf(what, sizeof(what), fmt, ap);
	failf(r, "%s: expected %s, got %ld %s", what, want, s.ret, errno_name(s.err));
	return false;
}

/* The call must end with one of the results in set. */
static __printf(4, 5) bool expect_in(struct run *r, struct sysret s, uint64_t set,
				     const char *fmt, ...)
{
	char want[200];
	va_list ap;
	bool ok;

	set_str(set, want, sizeof(want));
	va_start(ap, fmt);
	ok = judge(r, s, in_set(s, set), want, fmt, ap);
	va_end(ap);
	return ok;
}

/* The call must return exactly val. */
static __printf(4, 5) bool expect_ret(struct run *r, struct sysret s, long val,
				      const char *fmt, ...)
{
	char want[32];
	va_list ap;
	bool ok;

	snprintf(want, sizeof(want), "%ld", val);
	va_start(ap, fmt);
	ok = judge(r, s, s.ret == val, want, fmt, ap);
	va_end(ap);
	return ok;
}

/* The call must return a file descriptor. */
static __printf(3, 4) bool expect_fd(struct run *r, struct sysret s, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = judge(r, s, s.ret >= 0, "an fd", fmt, ap);
	va_end(ap);
	return ok;
}

/* The call must fail with exactly err. */
static __printf(4, 5) bool expect_err(struct run *r, struct sysret s, int err,
				      const char *fmt, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = judge(r, s, s.ret == -1 && s.err == err, errno_name(err), fmt, ap);
	va_end(ap);
	return ok;
}

/* The module's object counts must be these (devices < 0: not checked). */
static void expect_objects(struct run *r, long vms, long vcpus, long devices, const char *when)
{
	struct objects o;
	char buf[64];

	if (!r->objects)
		return;
	if (objects_read(&o)) {
		failf(r, "%s: reading %s: %s", when, KVM_DEVCTL_OBJECTS, strerror(errno));
		return;
	}
	if (o.vms != vms || o.vcpus != vcpus || (devices >= 0 && o.devices != devices))
		failf(r, "%s: objects read %s, expected vms %ld vcpus %ld devices %ld%s", when,
		      objects_str(&o, buf, sizeof(buf)), vms, vcpus, devices,
		      devices < 0 ? " (devices not checked)" : "");
}

static int open_node_fd(struct run *r)
{
	struct sysret s = SYS(open_node(r->node));

	return expect_fd(r, s, "open(%s)", r->node) ? s.ret : -1;
}

static int create_vm(struct run *r, int node)
{
	struct sysret s = SYS(ioctl(node, KVM_CREATE_VM, 0));

	return expect_fd(r, s, "KVM_CREATE_VM") ? s.ret : -1;
}

static void close_fd(struct run *r, int fd, const char *what)
{
	expect_ret(r, SYS(close(fd)), 0, "close(%d) of %s", fd, what);
}

static struct sysret create_device_fd(int vm, __u32 type, int *fd)
{
	struct kvm_create_device cd = { .type = type, .fd = FD_SENTINEL };
	struct sysret s = SYS(ioctl(vm, KVM_CREATE_DEVICE, &cd));

	*fd = s.ret == 0 ? (int)cd.fd : -1;
	return s;
}

/*
 * A device fd must work: for kvm-vfio HAS_DEVICE_ATTR of KVM_DEV_VFIO_FILE_ADD
 * is 0; for another type any answer but EIO and EBADF will do.
 */
static void expect_dev_works(struct run *r, int fd, __u32 type, const char *ctx)
{
	struct sysret s = SYS(device_attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
					  KVM_DEV_VFIO_FILE_ADD, 0));

	if (type == KVM_DEV_TYPE_VFIO)
		expect_ret(r, s, 0, "%s: HAS_DEVICE_ATTR(VFIO_FILE, ADD) on device fd %d", ctx, fd);
	else
		expect_in(r, s, ~(RES_E(EIO) | RES_E(EBADF)),
			  "%s: HAS_DEVICE_ATTR on type %u fd %d", ctx, type, fd);
}

/* Reads a byte of a mapping, so that a missing page faults here. */
static void touch(const void *p)
{
	(void)__atomic_load_n((const char *)p, __ATOMIC_RELAXED);
}

/* Maps a vCPU's pages and reads each; NULL on failure (counted). */
static void *map_vcpu(struct run *r, int fd)
{
	void *p = mmap(NULL, r->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct sysret s = { .ret = p == MAP_FAILED ? -1 : 0, .err = errno };
	long i;

	if (!expect_ret(r, s, 0, "mmap of vCPU fd %d, %ld bytes", fd, r->mmap_size))
		return NULL;
	for (i = 0; i < r->mmap_size; i += getpagesize())
		touch((char *)p + i);
	return p;
}

static void unmap_vcpu(struct run *r, void *p)
{
	expect_ret(r, SYS(munmap(p, r->mmap_size)), 0, "munmap of a vCPU mapping");
}

/* Threads of one scenario run. */
struct worker {
	struct run *r;
	int id;
	uint64_t seed;
	void *priv;
	pthread_t tid;
};

static void run_workers(struct run *r, int n, void *(*fn)(void *), void *priv)
{
	struct worker w[MAX_THREADS];
	int i;

	for (i = 0; i < n; i++) {
		w[i] = (struct worker){ .r = r, .id = i, .priv = priv,
					.seed = r->seed * 1000003 + i };
		if (pthread_create(&w[i].tid, NULL, fn, &w[i]))
			ksft_exit_fail_msg("pthread_create: %s\n", strerror(errno));
	}
	for (i = 0; i < n; i++)
		pthread_join(w[i].tid, NULL);
}

/*
 * 1. create_close: shared slots of fds. A thread takes an fd out of a slot
 * (so it owns it), uses it, and puts it back or closes it; what a slot held
 * when something else is put in is closed. Each VM has a record of what
 * exists on it, which makes the results exact: a vCPU id in use is EEXIST,
 * and a kvm-vfio is created (0) when none is open on the VM - only the one
 * thread holding the VM's only fd creates on it, and a count of open
 * kvm-vfio fds is lowered only after close() returned, so a count of 0 means
 * there is none; with a count of 1 its close may be under way, EBUSY or 0.
 */
enum kind { K_NONE, K_VM, K_DEV, K_VCPU };

struct vmrec {
	atomic_int refs;	/* items that refer to the VM */
	atomic_int vfio;	/* open kvm-vfio fds, lowered after close() */
	atomic_uint vcpus;	/* bit i: vCPU id i exists */
	atomic_int others;	/* devices created of other types */
};

struct item {
	enum kind kind;
	int fd;			/* -1: a vCPU kept only by its mapping */
	__u32 type;
	void *map;
	struct vmrec *rec;
};

struct slot {
	pthread_mutex_t lock;
	struct item it;
};

struct s1 {
	struct slot *vms, *devs;
	int nvms, ndevs;
};

static void rec_put(struct vmrec *rec)
{
	if (atomic_fetch_sub(&rec->refs, 1) == 1)
		free(rec);
}

static struct item take(struct slot *s)
{
	struct item it;

	pthread_mutex_lock(&s->lock);
	it = s->it;
	s->it.kind = K_NONE;
	pthread_mutex_unlock(&s->lock);
	return it;
}

/* Puts it in s; returns what s held. */
static struct item put(struct slot *s, struct item it)
{
	struct item old;

	pthread_mutex_lock(&s->lock);
	old = s->it;
	s->it = it;
	pthread_mutex_unlock(&s->lock);
	return old;
}

static void item_close(struct run *r, struct item *it, uint64_t *rng)
{
	switch (it->kind) {
	case K_NONE:
		return;
	case K_VM:
		close_fd(r, it->fd, "a VM");
		break;
	case K_DEV:
		close_fd(r, it->fd, "a device");
		if (it->type == KVM_DEV_TYPE_VFIO)
			atomic_fetch_sub(&it->rec->vfio, 1);
		break;
	case K_VCPU:
		if (it->map && below(rng, 2)) {
			unmap_vcpu(r, it->map);
			it->map = NULL;
		}
		if (it->fd >= 0)
			close_fd(r, it->fd, "a vCPU");
		if (it->map)
			unmap_vcpu(r, it->map);
		break;
	}
	rec_put(it->rec);
	it->kind = K_NONE;
}

static void put_close(struct run *r, struct slot *s, struct item it, uint64_t *rng)
{
	struct item old = put(s, it);

	item_close(r, &old, rng);
}

/* Creates a device or a vCPU on the VM vm (owned by the caller). */
static void s1_create_on(struct run *r, struct s1 *s, struct item *vm, uint64_t *rng)
{
	struct item it = { .rec = vm->rec, .fd = -1 };
	unsigned int op = below(rng, 10);
	struct sysret sr;

	if (op < 5) {
		__u32 type = r->types[below(rng, r->ntypes)];
		int before = atomic_load(&vm->rec->vfio);

		sr = create_device_fd(vm->fd, type, &it.fd);
		if (type != KVM_DEV_TYPE_VFIO)
			expect_in(r, sr, RES_OK | RES_E(EBUSY), "KVM_CREATE_DEVICE type %u", type);
		else if (before == 0)
			expect_ret(r, sr, 0, "KVM_CREATE_DEVICE kvm-vfio on a VM without one");
		else
			expect_in(r, sr, RES_OK | RES_E(EBUSY),
				  "KVM_CREATE_DEVICE kvm-vfio while one may be closing");
		if (sr.ret)
			return;
		if (type == KVM_DEV_TYPE_VFIO)
			atomic_fetch_add(&vm->rec->vfio, 1);
		else
			atomic_fetch_add(&vm->rec->others, 1);
		it.kind = K_DEV;
		it.type = type;
	} else if (op < 8) {
		unsigned int id = below(rng, NR_VCPU_IDS);
		bool exists = atomic_load(&vm->rec->vcpus) & (1U << id);

		sr = SYS(ioctl(vm->fd, KVM_CREATE_VCPU, id));
		if (exists) {
			expect_err(r, sr, EEXIST, "KVM_CREATE_VCPU id %u again", id);
			return;
		}
		if (!expect_fd(r, sr, "KVM_CREATE_VCPU id %u", id))
			return;
		atomic_fetch_or(&vm->rec->vcpus, 1U << id);
		it.kind = K_VCPU;
		it.fd = sr.ret;
		if (below(rng, 2)) {
			it.map = map_vcpu(r, it.fd);
			/* Sometimes only the mapping keeps the vCPU file. */
			if (it.map && below(rng, 2)) {
				close_fd(r, it.fd, "a mapped vCPU");
				it.fd = -1;
			}
		}
	} else if (op < 9) {
		struct kvm_create_device cd = {
			.type = r->types[below(rng, r->ntypes)],
			.flags = KVM_CREATE_DEVICE_TEST,
		};

		expect_ret(r, SYS(ioctl(vm->fd, KVM_CREATE_DEVICE, &cd)), 0,
			   "KVM_CREATE_DEVICE_TEST type %u", cd.type);
		return;
	} else {
		expect_ret(r, SYS(ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL)), 1,
			   "KVM_CHECK_EXTENSION(KVM_CAP_DEVICE_CTRL) on a VM");
		return;
	}
	atomic_fetch_add(&vm->rec->refs, 1);
	put_close(r, &s->devs[below(rng, s->ndevs)], it, rng);
}

/* Uses a device or vCPU item (owned by the caller). */
static void s1_use(struct run *r, struct item *it, uint64_t *rng)
{
	if (it->kind == K_DEV) {
		if (it->type == KVM_DEV_TYPE_VFIO && below(rng, 2))
			expect_err(r, SYS(device_attr(it->fd, KVM_GET_DEVICE_ATTR,
						      KVM_DEV_VFIO_FILE, 0, 0)), EPERM,
				   "GET_DEVICE_ATTR on kvm-vfio");
		else
			expect_dev_works(r, it->fd, it->type, "create_close");
	} else if (it->map) {
		touch(it->map);
	} else if (it->fd >= 0) {
		it->map = map_vcpu(r, it->fd);
	}
}

static void *s1_worker(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	struct s1 *s = w->priv;
	uint64_t rng = w->seed;
	int node = open_node_fd(r);
	unsigned long n;

	for (n = 0; node >= 0 && now() < r->deadline; n++) {
		unsigned int p = below(&rng, 100);
		struct slot *sl;
		struct item it;

		if (n % 64 == 63) {
			close_fd(r, node, "the node");
			node = open_node_fd(r);
			continue;
		}
		if (p < 15) {
			struct vmrec *rec;
			int fd = create_vm(r, node);

			if (fd < 0)
				continue;
			rec = calloc(1, sizeof(*rec));
			if (!rec)
				ksft_exit_fail_msg("out of memory\n");
			atomic_init(&rec->refs, 1);
			it = (struct item){ .kind = K_VM, .fd = fd, .rec = rec };
			put_close(r, &s->vms[below(&rng, s->nvms)], it, &rng);
		} else if (p < 55) {
			sl = &s->vms[below(&rng, s->nvms)];
			it = take(sl);
			if (it.kind == K_NONE)
				continue;
			s1_create_on(r, s, &it, &rng);
			if (below(&rng, 100) < 15)
				item_close(r, &it, &rng);
			else
				put_close(r, sl, it, &rng);
		} else if (p < 80) {
			sl = &s->devs[below(&rng, s->ndevs)];
			it = take(sl);
			if (it.kind == K_NONE)
				continue;
			s1_use(r, &it, &rng);
			if (below(&rng, 100) < 40)
				item_close(r, &it, &rng);
			else
				put_close(r, sl, it, &rng);
		} else {
			if (below(&rng, 3))
				sl = &s->devs[below(&rng, s->ndevs)];
			else
				sl = &s->vms[below(&rng, s->nvms)];
			it = take(sl);
			item_close(r, &it, &rng);
		}
	}
	if (node >= 0)
		close_fd(r, node, "the node");
	return NULL;
}

static void scenario_create_close(struct run *r)
{
	struct s1 s = { .nvms = VM_SLOTS * r->threads, .ndevs = DEV_SLOTS * r->threads };
	struct vmrec *recs[(VM_SLOTS + DEV_SLOTS) * MAX_THREADS];
	long vms = 0, vcpus = 0, devices = 0;
	bool others = false;
	uint64_t rng = r->seed;
	int i, j, n = s.nvms + s.ndevs;

	s.vms = calloc(s.nvms, sizeof(*s.vms));
	s.devs = calloc(s.ndevs, sizeof(*s.devs));
	if (!s.vms || !s.devs)
		ksft_exit_fail_msg("out of memory\n");
	for (i = 0; i < n; i++)
		pthread_mutex_init(i < s.nvms ? &s.vms[i].lock : &s.devs[i - s.nvms].lock, NULL);

	run_workers(r, r->threads, s1_worker, &s);

	/* Quiet now: the module must hold exactly the objects the open fds hold. */
	for (i = 0; i < n; i++) {
		struct item *it = i < s.nvms ? &s.vms[i].it : &s.devs[i - s.nvms].it;

		if (it->kind == K_NONE)
			continue;
		for (j = 0; j < vms && recs[j] != it->rec; j++)
			;
		if (j < vms)
			continue;
		recs[vms++] = it->rec;
		vcpus += __builtin_popcount(atomic_load(&it->rec->vcpus));
		devices += atomic_load(&it->rec->vfio);
		others |= atomic_load(&it->rec->others) > 0;
	}
	/* Devices of other types may outlive their fds (no .release): not counted. */
	expect_objects(r, vms, vcpus, others ? -1 : devices, "with the slots' fds open");

	for (i = 0; i < n; i++)
		item_close(r, i < s.nvms ? &s.vms[i].it : &s.devs[i - s.nvms].it, &rng);
	free(s.vms);
	free(s.devs);
}

/*
 * 2. attr_close: half the threads create devices (each on a VM of its own
 * whose fd they close at once) and publish their fds in shared slots,
 * replacing and closing what was there; the others issue attribute ioctls
 * on whatever number a slot holds, which may be closed or reused by then.
 * On a live kvm-vfio: SET answers EINVAL (ADD), ENOENT (DEL), EBADF (a bad
 * fd to add), ENXIO (unknown group or attribute); GET EPERM; HAS 0 or
 * ENXIO. A closed number is EBADF; a reused one may be a VM fd (ENOTTY), a
 * node fd (ENXIO, EINVAL) or another device; a bad pointer is EFAULT. Any
 * other result is a failure.
 */
#define S2_ALLOWED (RES_OK | RES_E(EBADF) | RES_E(ENXIO) | RES_E(EPERM) | RES_E(EINVAL) | \
		    RES_E(ENOTTY) | RES_E(ENOENT) | RES_E(EFAULT))

struct s2 {
	atomic_int *slots;
	int n;
	int churners;
};

static void s2_churn(struct run *r, struct s2 *s, int node, uint64_t *rng)
{
	__u32 type = r->types[below(rng, r->ntypes)];
	int vm, dev, old;

	if (below(rng, 5) == 0) {
		old = atomic_exchange(&s->slots[below(rng, s->n)], -1);
		if (old >= 0)
			close_fd(r, old, "a published device");
		return;
	}
	vm = create_vm(r, node);
	if (vm < 0)
		return;
	expect_ret(r, create_device_fd(vm, type, &dev), 0,
		   "KVM_CREATE_DEVICE type %u on a new VM", type);
	close_fd(r, vm, "a VM with a device");
	if (dev < 0)
		return;
	if (type == KVM_DEV_TYPE_VFIO)
		expect_dev_works(r, dev, type, "attr_close");
	old = atomic_exchange(&s->slots[below(rng, s->n)], dev);
	if (old >= 0)
		close_fd(r, old, "a published device");
}

static void s2_use(struct run *r, struct s2 *s, int node, int *last, uint64_t *rng)
{
	static const unsigned long reqs[] = {
		KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
	};
	static const char *const names[] = { "SET", "GET", "HAS" };
	/* The attribute's value: an fd to add or delete, or 8 bytes to get. */
	union {
		__u64 u64;
		__s32 fd;
	} buf = { 0 };
	struct kvm_device_attr a = { 0 };
	unsigned int req = below(rng, 3);
	int fd = atomic_load(&s->slots[below(rng, s->n)]);
	struct sysret sr;

	/* An empty slot: the number seen last, likely closed or reused. */
	if (fd < 0)
		fd = *last;
	if (fd < 0)
		return;
	*last = fd;
	switch (below(rng, 4)) {
	case 0:
		a.group = KVM_DEV_VFIO_FILE;
		break;
	case 1:
		a.group = below(rng, 4);
		break;
	default:
		a.group = below(rng, 2) ? KVM_DEV_VFIO_FILE : (__u32)rnd(rng);
	}
	a.attr = below(rng, 5) ? KVM_DEV_VFIO_FILE_ADD + below(rng, 2) : rnd(rng) % 8;
	switch (below(rng, 3)) {
	case 0:
		buf.fd = node;
		break;
	case 1:
		buf.fd = -1;
		break;
	default:
		buf.fd = fd;
	}
	a.addr = below(rng, 10) ? (unsigned long)&buf : 0;
	sr = SYS(ioctl(fd, reqs[req], below(rng, 20) ? &a : NULL));
	expect_in(r, sr, S2_ALLOWED, "%s_DEVICE_ATTR group %u attr %llu on fd %d", names[req],
		  a.group, (unsigned long long)a.attr, fd);
}

static void *s2_worker(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	struct s2 *s = w->priv;
	uint64_t rng = w->seed;
	int node = open_node_fd(r);
	int last = -1;
	bool churner = w->id < s->churners;

	while (node >= 0 && now() < r->deadline) {
		if (churner || (r->threads == 1 && below(&rng, 2)))
			s2_churn(r, s, node, &rng);
		else
			s2_use(r, s, node, &last, &rng);
	}
	if (node >= 0)
		close_fd(r, node, "the node");
	return NULL;
}

static void scenario_attr_close(struct run *r)
{
	struct s2 s = { .n = 2 * r->threads, .churners = (r->threads + 1) / 2 };
	long open = 0;
	int i;

	s.slots = calloc(s.n, sizeof(*s.slots));
	if (!s.slots)
		ksft_exit_fail_msg("out of memory\n");
	for (i = 0; i < s.n; i++)
		atomic_init(&s.slots[i], -1);
	if (r->threads == 1)
		s.churners = 0;

	run_workers(r, r->threads, s2_worker, &s);

	/* Each open device fd holds one VM, and nothing else holds it. */
	for (i = 0; i < s.n; i++)
		open += atomic_load(&s.slots[i]) >= 0;
	expect_objects(r, open, 0, open, "with the published device fds open");
	for (i = 0; i < s.n; i++)
		if (atomic_load(&s.slots[i]) >= 0)
			close_fd(r, atomic_load(&s.slots[i]), "a published device");
	free(s.slots);
}

/*
 * 3. fork: each thread creates a VM, a vCPU and one device of each type,
 * dups some of the fds and closes either copy, and forks. The child must
 * get EIO from every ioctl on an inherited VM, vCPU or device fd, while the
 * inherited node fd works and the child can create a VM of its own. The
 * parent uses its fds meanwhile (they must work), and closes them before or
 * after the child exits: when before, the child's exit drops the last
 * references.
 */
#define S3_FDS	(2 + 2 * MAX_TYPES + 4)

struct s3_area {
	int node;
	int n;
	struct {
		int fd;
		enum kind kind;
		__u32 type;
	} f[S3_FDS];
};

static void s3_child(struct run *r, struct s3_area *a)
{
	struct kvm_regs regs;
	__s32 fdv = -1;
	int i, vm, dev;

	in_child = true;
	for (i = 0; i < a->n; i++) {
		int fd = a->f[i].fd;

		switch (a->f[i].kind) {
		case K_VM: {
			struct kvm_create_device cd = {
				.type = r->types[0], .flags = KVM_CREATE_DEVICE_TEST,
			};

			expect_err(r, SYS(ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL)),
				   EIO, "KVM_CHECK_EXTENSION on an inherited VM fd");
			expect_err(r, SYS(ioctl(fd, KVM_CREATE_DEVICE, &cd)), EIO,
				   "KVM_CREATE_DEVICE_TEST on an inherited VM fd");
			expect_err(r, SYS(ioctl(fd, KVM_CREATE_VCPU, 1)), EIO,
				   "KVM_CREATE_VCPU on an inherited VM fd");
			break;
		}
		case K_VCPU:
			expect_err(r, SYS(ioctl(fd, KVM_RUN, 0)), EIO,
				   "KVM_RUN on an inherited vCPU fd");
			expect_err(r, SYS(ioctl(fd, KVM_GET_REGS, &regs)), EIO,
				   "KVM_GET_REGS on an inherited vCPU fd");
			break;
		case K_DEV:
			expect_err(r, SYS(device_attr(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
						      KVM_DEV_VFIO_FILE_ADD,
						      (unsigned long)&fdv)),
				   EIO, "SET_DEVICE_ATTR on an inherited device fd (type %u)",
				   a->f[i].type);
			expect_err(r, SYS(device_attr(fd, KVM_GET_DEVICE_ATTR, 0, 0, 0)), EIO,
				   "GET_DEVICE_ATTR on an inherited device fd");
			expect_err(r, SYS(device_attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
						      KVM_DEV_VFIO_FILE_ADD, 0)), EIO,
				   "HAS_DEVICE_ATTR on an inherited device fd");
			expect_err(r, SYS(ioctl(fd, KVM_RUN, 0)), EIO,
				   "KVM_RUN on an inherited device fd");
			break;
		default:
			break;
		}
	}
	/* The node has no owner: it works in the child, which can make its own VM. */
	expect_ret(r, SYS(ioctl(a->node, KVM_GET_API_VERSION, 0)), KVM_API_VERSION,
		   "KVM_GET_API_VERSION on the inherited node");
	vm = create_vm(r, a->node);
	if (vm >= 0) {
		expect_ret(r, create_device_fd(vm, r->types[0], &dev), 0,
			   "KVM_CREATE_DEVICE on the child's own VM");
		if (dev >= 0)
			expect_dev_works(r, dev, r->types[0], "fork child");
	}
	_exit(0);
}

static void s3_add(struct s3_area *a, int fd, enum kind kind, __u32 type)
{
	a->f[a->n].fd = fd;
	a->f[a->n].kind = kind;
	a->f[a->n].type = type;
	a->n++;
}

static void *s3_worker(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	uint64_t rng = w->seed;
	struct s3_area *a = (struct s3_area *)w->priv + w->id;
	int node = open_node_fd(r);

	while (node >= 0 && now() < r->deadline) {
		struct s3_area objs = { .node = node };
		int i, vm, fd, status;
		struct sysret sr;
		pid_t pid;

		vm = create_vm(r, node);
		if (vm < 0)
			continue;
		s3_add(&objs, vm, K_VM, 0);
		sr = SYS(ioctl(vm, KVM_CREATE_VCPU, 0));
		if (expect_fd(r, sr, "KVM_CREATE_VCPU 0"))
			s3_add(&objs, sr.ret, K_VCPU, 0);
		for (i = 0; i < r->ntypes; i++)
			if (expect_ret(r, create_device_fd(vm, r->types[i], &fd), 0,
				       "KVM_CREATE_DEVICE type %u on a new VM", r->types[i]))
				s3_add(&objs, fd, K_DEV, r->types[i]);
		/* Dup some: keep the copy, the original, or both. */
		*a = (struct s3_area){ .node = node };
		for (i = 0; i < objs.n; i++) {
			unsigned int how = below(&rng, 4);
			struct sysret d;

			if (how == 0) {
				s3_add(a, objs.f[i].fd, objs.f[i].kind, objs.f[i].type);
				continue;
			}
			d = how == 1 ? SYS(dup(objs.f[i].fd)) :
				SYS(fcntl(objs.f[i].fd, F_DUPFD_CLOEXEC, 0));
			if (!expect_fd(r, d, "dup of fd %d", objs.f[i].fd)) {
				s3_add(a, objs.f[i].fd, objs.f[i].kind, objs.f[i].type);
				continue;
			}
			s3_add(a, d.ret, objs.f[i].kind, objs.f[i].type);
			if (how == 3)
				s3_add(a, objs.f[i].fd, objs.f[i].kind, objs.f[i].type);
			else
				close_fd(r, objs.f[i].fd, "an original after dup");
		}

		sr = SYS(fork());
		if (sr.ret == 0)
			s3_child(r, a);
		pid = sr.ret;
		if (!expect_fd(r, sr, "fork")) {
			for (i = 0; i < a->n; i++)
				close_fd(r, a->f[i].fd, "an fd");
			continue;
		}
		/* The parent keeps working with the same files. */
		for (i = 0; i < a->n; i++) {
			void *map;

			if (a->f[i].kind == K_VM) {
				expect_ret(r, SYS(ioctl(a->f[i].fd, KVM_CHECK_EXTENSION,
							KVM_CAP_DEVICE_CTRL)), 1,
					   "KVM_CHECK_EXTENSION on a VM fd during fork");
			} else if (a->f[i].kind == K_DEV) {
				expect_dev_works(r, a->f[i].fd, a->f[i].type, "fork parent");
			} else {
				map = map_vcpu(r, a->f[i].fd);
				if (map)
					unmap_vcpu(r, map);
			}
		}
		if (below(&rng, 2))
			for (i = 0; i < a->n; i++)
				close_fd(r, a->f[i].fd, "an fd the child inherited");
		else
			a->n = -a->n;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failf(r, "child %d: status %#x", pid, status);
		for (i = 0; i < -a->n; i++)
			close_fd(r, a->f[i].fd, "an fd the child inherited");
	}
	if (node >= 0)
		close_fd(r, node, "the node");
	return NULL;
}

static void scenario_fork(struct run *r)
{
	size_t size = r->threads * sizeof(struct s3_area);
	void *areas = malloc(size);

	if (!areas)
		ksft_exit_fail_msg("out of memory\n");
	run_workers(r, r->threads, s3_worker, areas);
	free(areas);
}

/*
 * Scenarios 4 and 5 race in child processes, two threads each, so that fd
 * numbers are theirs alone and the outcome of every call is exact. The
 * parent runs rounds: 'g' makes every child race once and report what it
 * holds; with all of them quiet, the module's counts must equal the sum.
 * 'r' makes them close everything (the counts must be 0), 'q' ends them.
 */
struct holds {
	long vms, vcpus, devices;
};

typedef struct holds (*race_fn)(struct run *r, int node, uint64_t *rng, void **state);
typedef void (*release_fn)(struct run *r, void *state, uint64_t *rng);

static void race_child(struct run *r, int cmd, int rep, uint64_t seed, race_fn race,
		       release_fn release)
{
	uint64_t rng = seed;
	int node = open_node_fd(r);
	void *state = NULL;
	struct holds h;
	char c;

	while (read(cmd, &c, 1) == 1 && c != 'q') {
		if (c == 'g') {
			h = node >= 0 ? race(r, node, &rng, &state) : (struct holds){ 0 };
		} else {
			if (state)
				release(r, state, &rng);
			state = NULL;
			h = (struct holds){ 0 };
		}
		if (write(rep, &h, sizeof(h)) != sizeof(h))
			break;
	}
	if (node >= 0)
		close_fd(r, node, "the node");
	fflush(stdout);
	_exit(0);
}

static void race_rounds(struct run *r, race_fn race, release_fn release)
{
	int n = r->threads / 2 > 0 ? r->threads / 2 : 1;
	int cmd[MAX_THREADS], rep[MAX_THREADS];
	pid_t pid[MAX_THREADS];
	int i, j, p[2], q[2], status;
	bool broken = false;

	for (i = 0; i < n; i++) {
		if (pipe2(p, O_CLOEXEC) || pipe2(q, O_CLOEXEC))
			ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
		fflush(stdout);
		pid[i] = fork();
		if (pid[i] < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pid[i] == 0) {
			for (j = 0; j < i; j++) {
				close(cmd[j]);
				close(rep[j]);
			}
			close(p[1]);
			close(q[0]);
			race_child(r, p[0], q[1], r->seed * 1000003 + i, race, release);
		}
		close(p[0]);
		close(q[1]);
		cmd[i] = p[1];
		rep[i] = q[0];
	}
	while (!broken && now() < r->deadline) {
		struct holds sum = { 0 }, h;

		atomic_fetch_add(&r->st->rounds, n);
		for (i = 0; i < n; i++)
			broken |= write(cmd[i], "g", 1) != 1;
		for (i = 0; i < n && !broken; i++) {
			broken |= read(rep[i], &h, sizeof(h)) != sizeof(h);
			sum.vms += h.vms;
			sum.vcpus += h.vcpus;
			sum.devices += h.devices;
		}
		if (broken)
			break;
		expect_objects(r, sum.vms, sum.vcpus, sum.devices, "after a race round");
		for (i = 0; i < n; i++)
			broken |= write(cmd[i], "r", 1) != 1;
		for (i = 0; i < n && !broken; i++)
			broken |= read(rep[i], &h, sizeof(h)) != sizeof(h);
		expect_objects(r, 0, 0, 0, "after the children closed everything");
	}
	if (broken)
		failf(r, "a child stopped answering");
	for (i = 0; i < n; i++) {
		if (write(cmd[i], "q", 1) != 1)
			failf(r, "child %d: cannot tell it to quit", pid[i]);
		close(cmd[i]);
		close(rep[i]);
		if (waitpid(pid[i], &status, 0) != pid[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failf(r, "child %d: status %#x", pid[i], status);
	}
}

/*
 * 4. create_race (CVE-2019-6974): thread A runs KVM_CREATE_DEVICE on the
 * VM while thread B closes the VM fd and then keeps closing the numbers the
 * device can get (the VM's, once free, or the lowest free one before), as
 * the exploit guessed the fd. A's result is 0 or EBADF (B's close came
 * first), nothing else; B closes nothing but the device; an unclosed device
 * fd works, and it alone keeps its VM: per child the module must count one
 * VM and one device if A's fd is open, none otherwise.
 */
struct s4 {
	atomic_int start;
	atomic_int done;
	int vm, guess;
	unsigned int delay;
	struct sysret vm_close;
	int closed[4];
	int nclosed;
};

static void *s4_closer(void *arg)
{
	struct s4 *x = arg;
	int cand[2] = { x->vm, x->guess };
	int i;

	while (!atomic_load(&x->start))
		;
	spin(x->delay);
	x->vm_close = SYS(close(x->vm));
	while (!atomic_load(&x->done))
		for (i = 0; i < 2; i++)
			if (close(cand[i]) == 0 && x->nclosed < 4)
				x->closed[x->nclosed++] = cand[i];
	return NULL;
}

/* What a racing child holds until the parent says 'r'. */
struct race_state {
	int n;
	int fd[NR_VCPU_IDS];
	void *map[NR_VCPU_IDS];
	int other;
};

static struct race_state race_state;

static struct holds s4_race(struct run *r, int node, uint64_t *rng, void **state)
{
	__u32 type = r->types[below(rng, r->ntypes)];
	struct kvm_create_device cd = { .type = type, .fd = FD_SENTINEL };
	struct s4 x = { .delay = below(rng, 4000) };
	unsigned int delay = below(rng, 4000);
	struct sysret s;
	pthread_t t;
	int i;

	x.vm = create_vm(r, node);
	if (x.vm < 0)
		return (struct holds){ 0 };
	x.guess = lowest_free_fd();
	if (pthread_create(&t, NULL, s4_closer, &x)) {
		failf(r, "pthread_create: %s", strerror(errno));
		close_fd(r, x.vm, "a VM");
		return (struct holds){ 0 };
	}
	atomic_store(&x.start, 1);
	spin(delay);
	s = SYS(ioctl(x.vm, KVM_CREATE_DEVICE, &cd));
	atomic_store(&x.done, 1);
	pthread_join(t, NULL);

	expect_ret(r, x.vm_close, 0, "close of VM fd %d during KVM_CREATE_DEVICE", x.vm);
	expect_in(r, s, RES_OK | RES_E(EBADF), "KVM_CREATE_DEVICE type %u while its VM fd closes",
		  type);
	for (i = 0; i < x.nclosed; i++)
		if (s.ret || x.closed[i] != (int)cd.fd)
			failf(r, "the closer closed fd %d, not the new device's (%d, %ld)",
			      x.closed[i], (int)cd.fd, s.ret);
	if (s.ret)
		return (struct holds){ 0 };
	if (x.nclosed) {
		/* Closed as soon as it was installed: the VM went with it. */
		atomic_fetch_add(&r->st->hits, 1);
		expect_err(r, SYS(fcntl(cd.fd, F_GETFD)), EBADF, "device fd %d after its close",
			   cd.fd);
		return (struct holds){ 0 };
	}
	expect_dev_works(r, cd.fd, type, "create_race, VM fd closed");
	race_state = (struct race_state){ .n = 1, .fd = { cd.fd }, .other = -1 };
	*state = &race_state;
	return (struct holds){ .vms = 1, .devices = 1 };
}

/* Closes and unmaps what the child holds, in a random order. */
static void race_release(struct run *r, void *state, uint64_t *rng)
{
	struct race_state *st = state;
	int i, k = below(rng, NR_VCPU_IDS);

	for (i = 0; i < st->n; i++) {
		int j = (i + k) % st->n;

		if (st->map[j] && below(rng, 2)) {
			unmap_vcpu(r, st->map[j]);
			st->map[j] = NULL;
		}
		if (st->fd[j] >= 0)
			close_fd(r, st->fd[j], "a raced fd");
		if (st->map[j])
			unmap_vcpu(r, st->map[j]);
	}
	if (st->other >= 0)
		close_fd(r, st->other, "/dev/null over the VM fd");
}

static void scenario_create_race(struct run *r)
{
	race_rounds(r, s4_race, race_release);
}

/*
 * 5. vcpu_race: thread A creates vCPUs 0..3 on the VM and maps each (and
 * closes the odd ones' fds, leaving the mapping) while thread B closes the
 * VM fd, or replaces it with /dev/null by dup2(). The creations succeed up
 * to B's close and fail after it: with dup2 ENOTTY (/dev/null); with close
 * EBADF, or EINVAL when the number went to one of A's own vCPU fds. vCPUs
 * live as long as their VM, which their files and mappings keep alive: per
 * child the module must count one VM and the created vCPUs, if any.
 */
struct s5 {
	atomic_int start;
	int vm, devnull;
	bool dup2_mode;
	unsigned int delay;
	struct sysret res;
};

static void *s5_closer(void *arg)
{
	struct s5 *x = arg;

	while (!atomic_load(&x->start))
		;
	spin(x->delay);
	x->res = x->dup2_mode ? SYS(dup2(x->devnull, x->vm)) : SYS(close(x->vm));
	return NULL;
}

static struct holds s5_race(struct run *r, int node, uint64_t *rng, void **state)
{
	struct race_state *st = &race_state;
	struct s5 x = { .delay = below(rng, 8000), .dup2_mode = below(rng, 2), .devnull = -1 };
	unsigned int delay = below(rng, 2000);
	bool failed = false;
	unsigned int id;
	pthread_t t;
	int j;

	*st = (struct race_state){ .other = -1 };
	*state = st;
	x.vm = create_vm(r, node);
	if (x.vm < 0)
		return (struct holds){ 0 };
	if (x.dup2_mode) {
		struct sysret s = SYS(open("/dev/null", O_RDWR | O_CLOEXEC));

		if (!expect_fd(r, s, "open(/dev/null)")) {
			close_fd(r, x.vm, "a VM");
			return (struct holds){ 0 };
		}
		x.devnull = s.ret;
	}
	if (pthread_create(&t, NULL, s5_closer, &x)) {
		failf(r, "pthread_create: %s", strerror(errno));
		close_fd(r, x.vm, "a VM");
		return (struct holds){ 0 };
	}
	atomic_store(&x.start, 1);
	spin(delay);
	for (id = 0; id < NR_VCPU_IDS; id++) {
		bool mine = false;
		struct sysret s;

		for (j = 0; j < st->n; j++)
			mine |= st->fd[j] == x.vm;
		s = SYS(ioctl(x.vm, KVM_CREATE_VCPU, id));
		if (s.ret >= 0) {
			record(r, s);
			if (failed)
				failf(r, "KVM_CREATE_VCPU %u succeeded after one failed", id);
			st->fd[st->n] = s.ret;
			st->map[st->n] = map_vcpu(r, s.ret);
			if (st->map[st->n] && id % 2) {
				close_fd(r, s.ret, "a mapped vCPU");
				st->fd[st->n] = -1;
			}
			st->n++;
			continue;
		}
		failed = true;
		expect_err(r, s, x.dup2_mode ? ENOTTY : mine ? EINVAL : EBADF,
			   "KVM_CREATE_VCPU %u after the VM fd's %s%s", id,
			   x.dup2_mode ? "dup2" : "close", mine ? " (now a vCPU fd)" : "");
	}
	pthread_join(t, NULL);
	if (failed && st->n)
		atomic_fetch_add(&r->st->hits, 1);
	if (x.dup2_mode) {
		expect_ret(r, x.res, x.vm, "dup2 of /dev/null over VM fd %d", x.vm);
		st->other = x.vm;
		close_fd(r, x.devnull, "/dev/null");
	} else {
		expect_ret(r, x.res, 0, "close of VM fd %d", x.vm);
	}
	return (struct holds){ .vms = st->n > 0, .vcpus = st->n };
}

static void scenario_vcpu_race(struct run *r)
{
	race_rounds(r, s5_race, race_release);
}

/*
 * 6. rmmod: with exactly one file of the module left open - a node, VM,
 * vCPU or device fd, a vCPU mapping, or a node or device fd that only a
 * forked child holds - delete_module(O_NONBLOCK) must fail with EWOULDBLOCK
 * (try_stop_module() in kernel/module/main.c) and the file must still work.
 * With none open it must succeed, the node and the objects file must be
 * gone (ENOENT), and finit_module() must load the module again. Then, for
 * the rest of the slice, threads open the node and create while one thread
 * unloads and reloads: open gives an fd, ENOENT (no node) or ENODEV (the
 * misc device is going: misc_open()), and once open everything works.
 */
enum holder { H_NODE, H_VM, H_VCPU, H_MAP, H_DEV, H_CHILD_NODE, H_CHILD_DEV, NR_HOLDERS };

static const char *const holder_names[NR_HOLDERS] = {
	"a node fd", "a VM fd", "a vCPU fd", "a vCPU mapping", "a device fd",
	"a node fd held by a child", "a device fd held by a child",
};

/* insmod arguments for the node in use: "devname=<name>" unless the default. */
static char module_params[128];

static struct sysret rmmod_nb(void)
{
	return SYS(syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK));
}

static struct sysret insmod(void)
{
	int fd = open(opt.module, O_RDONLY | O_CLOEXEC);
	struct sysret s;

	if (fd < 0)
		return (struct sysret){ -1, errno };
	s = SYS(syscall(SYS_finit_module, fd, module_params, 0));
	close(fd);
	return s;
}

static void s6_holder(struct run *r, enum holder h)
{
	int node, vm = -1, vcpu = -1, dev = -1, keep = -1, p[2];
	const char *what = holder_names[h];
	void *map = NULL;
	char when[80];
	struct sysret s;
	pid_t pid = -1;
	int status;

	node = open_node_fd(r);
	if (node < 0)
		return;
	if (h != H_NODE && h != H_CHILD_NODE)
		vm = create_vm(r, node);
	if (vm >= 0 && (h == H_VCPU || h == H_MAP)) {
		s = SYS(ioctl(vm, KVM_CREATE_VCPU, 0));
		if (expect_fd(r, s, "KVM_CREATE_VCPU 0"))
			vcpu = s.ret;
		if (vcpu >= 0 && h == H_MAP)
			map = map_vcpu(r, vcpu);
	}
	if (vm >= 0 && (h == H_DEV || h == H_CHILD_DEV))
		expect_ret(r, create_device_fd(vm, r->types[0], &dev), 0, "KVM_CREATE_DEVICE");
	keep = h == H_NODE || h == H_CHILD_NODE ? node : h == H_VM ? vm :
	       h == H_VCPU ? vcpu : h == H_MAP ? -1 : dev;
	if (node != keep)
		close_fd(r, node, "the node");
	if (vm >= 0 && vm != keep)
		close_fd(r, vm, "a VM");
	if (vcpu >= 0 && vcpu != keep)
		close_fd(r, vcpu, "a vCPU");
	if (keep < 0 && !map)
		return;		/* the holder could not be made: failed already */
	if (h == H_CHILD_NODE || h == H_CHILD_DEV) {
		char c;

		if (pipe2(p, O_CLOEXEC))
			ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			close(p[1]);
			_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
		}
		close(p[0]);
		if (pid < 0)
			failf(r, "fork: %s", strerror(errno));
		close_fd(r, keep, "the parent's copy");
		keep = -1;
	}

	expect_err(r, rmmod_nb(), EWOULDBLOCK, "delete_module with only %s open", what);
	snprintf(when, sizeof(when), "with only %s open", what);
	expect_objects(r, h != H_NODE && h != H_CHILD_NODE, h == H_VCPU || h == H_MAP,
		       h == H_DEV || h == H_CHILD_DEV, when);

	/* The module stayed, and so did the file. */
	switch (h) {
	case H_NODE:
		expect_ret(r, SYS(ioctl(keep, KVM_GET_API_VERSION, 0)), KVM_API_VERSION,
			   "KVM_GET_API_VERSION after a refused unload");
		break;
	case H_VM:
		expect_ret(r, SYS(ioctl(keep, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL)), 1,
			   "KVM_CHECK_EXTENSION after a refused unload");
		break;
	case H_VCPU:
		map = map_vcpu(r, keep);
		break;
	case H_MAP:
		touch(map);
		break;
	case H_DEV:
		expect_dev_works(r, keep, r->types[0], "after a refused unload");
		break;
	default:
		break;
	}
	if (map)
		unmap_vcpu(r, map);
	if (keep >= 0)
		close_fd(r, keep, what);
	if (pid > 0) {
		close(p[1]);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			failf(r, "holder child %d: status %#x", pid, status);
	}
}

/* With nothing open: unload, check the module is gone, load it again. */
static bool s6_unload_reload(struct run *r)
{
	struct objects o;
	int rc, err;

	if (!expect_ret(r, rmmod_nb(), 0, "delete_module with no file open"))
		return false;
	rc = objects_read(&o);
	err = errno;
	if (!rc || err != ENOENT)
		failf(r, "%s after the unload: %s", KVM_DEVCTL_OBJECTS,
		      rc ? strerror(err) : "still there");
	expect_err(r, SYS(open(r->node, O_RDWR | O_CLOEXEC)), ENOENT,
		   "open(%s) with the module unloaded", r->node);
	if (!expect_ret(r, insmod(), 0, "finit_module(%s, \"%s\")", opt.module, module_params))
		return false;
	expect_ret(r, SYS(api_version_of(r->node)), KVM_API_VERSION,
		   "KVM_GET_API_VERSION after the reload");
	expect_objects(r, 0, 0, 0, "after the reload");
	return true;
}

static void *s6_worker(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	atomic_int *reloads = w->priv;
	uint64_t rng = w->seed;

	while (w->id == 0 && now() < r->deadline && atomic_load(reloads) < MAX_RELOADS) {
		struct sysret s = rmmod_nb();

		expect_in(r, s, RES_OK | RES_E(EWOULDBLOCK), "delete_module while others open");
		if (s.ret == 0) {
			atomic_fetch_add(reloads, 1);
			expect_ret(r, insmod(), 0, "finit_module(%s)", opt.module);
		}
		usleep(500 + below(&rng, 5000));
	}
	while (w->id > 0 && now() < r->deadline) {
		struct sysret s = SYS(open_node(r->node));
		int vm, dev;

		if (!expect_in(r, s, RES_OK | RES_E(ENOENT) | RES_E(ENODEV),
			       "open(%s) while the module reloads", r->node) || s.ret < 0) {
			usleep(200);
			continue;
		}
		/* The open file holds the module: everything works until it closes. */
		expect_ret(r, SYS(ioctl(s.ret, KVM_GET_API_VERSION, 0)), KVM_API_VERSION,
			   "KVM_GET_API_VERSION while the module reloads");
		vm = create_vm(r, s.ret);
		if (vm >= 0) {
			if (expect_ret(r, create_device_fd(vm, r->types[0], &dev), 0,
				       "KVM_CREATE_DEVICE while the module reloads")) {
				expect_dev_works(r, dev, r->types[0], "rmmod race");
				close_fd(r, dev, "a device");
			}
			close_fd(r, vm, "a VM");
		}
		close_fd(r, s.ret, "the node");
	}
	return NULL;
}

static void scenario_rmmod(struct run *r)
{
	atomic_int reloads = 0;
	int h;

	for (h = 0; h < NR_HOLDERS; h++)
		s6_holder(r, h);
	expect_objects(r, 0, 0, 0, "with every holder closed");
	if (s6_unload_reload(r)) {
		atomic_store(&reloads, 1);
		run_workers(r, r->threads > 1 ? r->threads : 2, s6_worker, &reloads);
	}
	atomic_fetch_add(&r->st->rounds, atomic_load(&reloads));
	/* Whatever happened, leave the module loaded for what follows. */
	if (api_version_of(r->node) != KVM_API_VERSION && insmod().ret)
		ksft_exit_fail_msg("the module could not be loaded again: %s\n", strerror(errno));
}

static const struct scenario {
	const char *name;
	void (*fn)(struct run *r);
	/* Also meaningful on the real /dev/kvm. */
	bool on_kvm;
	/* What struct stats' rounds and hits count, if anything. */
	const char *rounds, *hits;
} scenarios[] = {
	{ "create_close", scenario_create_close, true },
	{ "attr_close", scenario_attr_close, true },
	{ "fork", scenario_fork, true },
	{ "create_race", scenario_create_race, true, "races",
	  "device fds closed by the guesser" },
	{ "vcpu_race", scenario_vcpu_race, true, "races",
	  "with the close between two vCPUs" },
	{ "rmmod", scenario_rmmod, false, "reloads" },
};

#define NR_SCENARIOS ARRAY_SIZE(scenarios)

/* What every run shares, found once at the start. */
static struct run base;
static int start_fds;

/* Totals per scenario and node (0: the module, 1: /dev/kvm). */
static struct total {
	long ops, fails, rounds, hits, runs;
	double secs;
	long hist[NERR + 1];
} totals[NR_SCENARIOS][2];

static void print_hist(const char *prefix, const long *hist)
{
	char buf[1024];
	size_t n = 0;
	int e;

	for (e = 0; e <= NERR && n < sizeof(buf); e++)
		if (hist[e])
			n += snprintf(buf + n, sizeof(buf) - n, " %s=%ld",
				      e == 0 ? "ok" : e == NERR ? "other" : errno_name(e),
				      hist[e]);
	printf("# %sresults:%s\n", prefix, n ? buf : " none");
}

static void run_one(int sc, bool kvm, double slice, int round, int rounds)
{
	const struct scenario *s = &scenarios[sc];
	struct total *t = &totals[sc][kvm];
	struct stats *st;
	struct run r = base;
	double t0, secs;
	int fds, e;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	r.name = s->name;
	r.node = kvm ? KVM_NODE : opt.node;
	r.objects = !kvm;
	r.st = st;
	r.seed = opt.seed + round * 7919 + sc * 104729 + kvm;
	t0 = now();
	r.deadline = t0 + slice;
	s->fn(&r);
	secs = now() - t0;

	fds = count_fds();
	if (fds != start_fds) {
		failf(&r, "%d fds open after the scenario, %d before", fds, start_fds);
		start_fds = fds;
	}
	expect_objects(&r, 0, 0, 0, "after the scenario");
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		failf(&r, "a child process is left");

	printf("# %s [%s] round %d/%d: %ld ops in %.1f s (%.0f ops/s), %ld failures",
	       s->name, r.node, round, rounds, st->ops, secs, st->ops / secs, st->fails);
	if (s->rounds)
		printf(", %ld %s", st->rounds, s->rounds);
	if (s->hits)
		printf(" (%ld %s)", st->hits, s->hits);
	printf("\n");
	print_hist("  ", (long *)st->hist);
	ksft_test_result(st->fails == 0, "%s [%s] round %d/%d\n", s->name, r.node, round, rounds);

	t->ops += st->ops;
	t->fails += st->fails;
	t->rounds += st->rounds;
	t->hits += st->hits;
	t->runs++;
	t->secs += secs;
	for (e = 0; e <= NERR; e++)
		t->hist[e] += st->hist[e];
	munmap(st, sizeof(*st));
}

static void watchdog(int sig)
{
	static const char msg[] = "Bail out! stress: the run took far longer than planned\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(KSFT_FAIL);
	_exit(KSFT_FAIL);
}

static void usage(const char *prog, int status)
{
	printf("usage: %s [--duration S] [--threads N] [--seed S] [--node PATH]\n"
	       "          [--module PATH] [--no-rmmod] [--kvm]\n"
	       "  --duration S   seconds of load, all scenarios (default %.0f); above %.0f s\n"
	       "                 in rounds of about %.0f s, each with an unload\n"
	       "  --threads N    threads per scenario (default 4, at most %d)\n"
	       "  --seed S       random seed (default: time and pid, printed)\n"
	       "  --node PATH    the module's node (default %s)\n"
	       "  --module PATH  the module to load again after rmmod (default %s)\n"
	       "  --no-rmmod     skip the rmmod scenario\n"
	       "  --kvm          also run the other scenarios on %s\n",
	       prog, DEFAULT_DURATION, ROUND_SECONDS, ROUND_SECONDS, MAX_THREADS,
	       KVM_DEVCTL_NODE, KVM_DEVCTL_KO, KVM_NODE);
	exit(status);
}

static void parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "node", required_argument, NULL, 'n' },
		{ "module", required_argument, NULL, 'm' },
		{ "no-rmmod", no_argument, NULL, 'R' },
		{ "kvm", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool seeded = false;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "d:t:s:n:m:Rkh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.duration = strtod(optarg, &end);
			if (*end || opt.duration <= 0)
				usage(argv[0], KSFT_FAIL);
			break;
		case 't':
			opt.threads = strtol(optarg, &end, 0);
			if (*end || opt.threads < 1 || opt.threads > MAX_THREADS)
				usage(argv[0], KSFT_FAIL);
			break;
		case 's':
			opt.seed = strtoull(optarg, &end, 0);
			if (*end)
				usage(argv[0], KSFT_FAIL);
			seeded = true;
			break;
		case 'n':
			opt.node = optarg;
			break;
		case 'm':
			opt.module = optarg;
			break;
		case 'R':
			opt.rmmod = false;
			break;
		case 'k':
			opt.kvm = true;
			break;
		case 'h':
			usage(argv[0], 0);
			break;
		default:
			usage(argv[0], KSFT_FAIL);
		}
	}
	if (optind < argc)
		usage(argv[0], KSFT_FAIL);
	if (!seeded)
		opt.seed = (uint64_t)time(NULL) * 65537 ^ getpid();
}

/* The node's device types and vCPU mapping size. */
static void probe(struct run *r, const char *node)
{
	int sys = open_node(node), vm;

	if (sys < 0)
		ksft_exit_fail_msg("open(%s): %s\n", node, strerror(errno));
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0)
		ksft_exit_fail_msg("KVM_CREATE_VM on %s: %s\n", node, strerror(errno));
	r->ntypes = supported_types(vm, 64, r->types, MAX_TYPES);
	if (r->ntypes < 1)
		ksft_exit_fail_msg("%s offers no device type\n", node);
	r->mmap_size = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r->mmap_size <= 0)
		ksft_exit_fail_msg("KVM_GET_VCPU_MMAP_SIZE on %s: %s\n", node, strerror(errno));
	close(vm);
	close(sys);
}

int main(int argc, char **argv)
{
	long ops = 0, fails = 0;
	int round, rounds, sc, i, nsc, kvm_runs = 0;
	const char *dev = "kvm-devctl";
	struct objects o;
	double slice, t0, secs;

	parse(argc, argv);
	nsc = opt.rmmod ? NR_SCENARIOS : NR_SCENARIOS - 1;
	ksft_print_header();
	start_fds = count_fds();

	probe(&base, opt.node);
	base.threads = opt.threads;
	if (objects_read(&o))
		ksft_exit_fail_msg("%s: %s (the debug kernel with debugfs is needed)\n",
				   KVM_DEVCTL_OBJECTS, strerror(errno));
	if (o.vms || o.vcpus || o.devices)
		ksft_exit_fail_msg("objects at the start: vms %ld vcpus %ld devices %ld\n",
				   o.vms, o.vcpus, o.devices);
	if (!strncmp(opt.node, "/dev/", 5) && strcmp(opt.node + 5, dev))
		snprintf(module_params, sizeof(module_params), "devname=%s", opt.node + 5);
	if (opt.kvm) {
		int fd = open_node(KVM_NODE);

		if (fd < 0) {
			ksft_print_msg("no %s (%s): --kvm ignored\n", KVM_NODE, strerror(errno));
			opt.kvm = false;
		}
		close(fd);
	}
	for (sc = 0; sc < nsc && opt.kvm; sc++)
		kvm_runs += scenarios[sc].on_kvm;

	rounds = opt.duration > ROUND_SECONDS ? (int)(opt.duration / ROUND_SECONDS + 0.5) : 1;
	slice = opt.duration / (rounds * (nsc + kvm_runs));
	ksft_set_plan(rounds * (nsc + kvm_runs));
	ksft_print_msg("stress: seed %llu, %d threads, %.0f s: %d round(s) of %d runs of %.1f s;"
		       " %d device type(s), vCPU mapping %ld bytes\n",
		       (unsigned long long)opt.seed, opt.threads, opt.duration, rounds,
		       nsc + kvm_runs, slice, base.ntypes, base.mmap_size);
	signal(SIGALRM, watchdog);
	alarm((unsigned int)(2 * opt.duration) + 300);

	t0 = now();
	for (round = 1; round <= rounds; round++)
		for (sc = 0; sc < nsc; sc++) {
			run_one(sc, false, slice, round, rounds);
			if (opt.kvm && scenarios[sc].on_kvm) {
				struct run saved = base;

				probe(&base, KVM_NODE);
				run_one(sc, true, slice, round, rounds);
				base = saved;
			}
		}
	secs = now() - t0;

	/* With one round, the totals are the lines above. */
	for (sc = 0; sc < nsc; sc++)
		for (i = 0; i < 2; i++) {
			struct total *t = &totals[sc][i];

			ops += t->ops;
			fails += t->fails;
			if (!t->runs || rounds == 1)
				continue;
			printf("# total %s [%s]: %ld ops in %.1f s (%.0f ops/s), %ld failures",
			       scenarios[sc].name, i ? KVM_NODE : opt.node, t->ops, t->secs,
			       t->ops / t->secs, t->fails);
			if (scenarios[sc].rounds)
				printf(", %ld %s", t->rounds, scenarios[sc].rounds);
			if (scenarios[sc].hits)
				printf(" (%ld %s)", t->hits, scenarios[sc].hits);
			printf("\n");
			print_hist("  ", t->hist);
		}
	printf("# stress: %ld ops in %.1f s (%.0f ops/s), %ld failures\n", ops, secs, ops / secs,
	       fails);
	ksft_finished();
}
