// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests for the bugs real KVM had in its device control API
 * (virt/kvm/kvm_main.c kvm_ioctl_create_device(), kvm_device_release(),
 * virt/kvm/vfio.c, arch/s390/kvm/interrupt.c), one TEST per bug, named
 * after it; the comment above each test cites the fix. Each test repeats
 * the interleaving that broke KVM many times (threads, bounded loops),
 * asserts exact results, and checks that every VM and device is gone
 * afterwards: the module's counts (objects_read()), and for real KVM the
 * VMs' debugfs directories. The debug guest adds KASAN, lockdep,
 * DEBUG_ATOMIC_SLEEP and kmemleak, whose reports fail the run.
 *
 * Every test runs against both /dev/kvm-devctl and the real /dev/kvm.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

static bool is_module(const char *path)
{
	return !strcmp(path, KVM_DEVCTL_NODE);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Busy-waits for n empty iterations: a varying delay between racing threads. */
static void spin(unsigned int n)
{
	while (n--)
		__asm__ volatile("" : : : "memory");
}

/* Creates a device of the given type; its fd, or -1 with errno. */
static int create_type(int vm, __u32 type)
{
	struct kvm_create_device cd = { .fd = FD_SENTINEL };

	if (create_device(vm, type, 0, &cd))
		return -1;
	return cd.fd;
}

FIXTURE(regress) {
	int sys;
	/* The node's objects before the test created any. */
	struct objects base;
};

NODE_VARIANTS(regress);

FIXTURE_SETUP(regress)
{
	NODE_OPEN(variant->path, self->sys);
	ASSERT_EQ(0, live_objects(variant->path, &self->base))
		TH_LOG("objects: %s", strerror(errno));
}

FIXTURE_TEARDOWN(regress)
{
	if (self->sys >= 0)
		close(self->sys);
}

/* Expects the node's objects to be exactly base. */
#define EXPECT_OBJECTS(path, base, fmt, ...) do {				\
	struct objects __o;							\
	char __b1[64], __b2[64];						\
										\
	ASSERT_EQ(0, live_objects(path, &__o));					\
	EXPECT_TRUE(objects_equal(base, &__o))					\
		TH_LOG("expected %s, found %s: " fmt,				\
		       objects_str(base, __b1, sizeof(__b1)),			\
		       objects_str(&__o, __b2, sizeof(__b2)), ##__VA_ARGS__);	\
} while (0)

/*
 * CVE-2019-6974, fixed by cfa39381173d ("kvm: fix kvm_ioctl_create_device()
 * reference counting (CVE-2019-6974)"), Project Zero issue 1765:
 * kvm_ioctl_create_device() installed the device fd with anon_inode_getfd()
 * before kvm_get_kvm(). Another thread could close() the new fd (its
 * number is predictable: the lowest free one) before the reference was
 * taken; kvm_device_release() then dropped a reference the file never held,
 * and with the VM fd closed as well the VM was freed while the ioctl still
 * used it. The fix takes the reference before the fd exists; kvm-devctl
 * takes it (DeviceFile::vm) before the file exists and installs the fd last.
 *
 * Each iteration: a fresh VM; one thread closes the number the device will
 * get (lowest_free_fd()) in a loop while KVM_CREATE_DEVICE runs, another
 * closes the VM fd after a varying delay. The create either finds the VM
 * fd gone (EBADF), or succeeds with cd.fd the predicted number, or, if the
 * VM fd was closed before the fd was reserved, the VM fd's number. After
 * each iteration no fd is left and every VM and device is gone.
 */
struct cve_race {
	pthread_barrier_t start, done;
	int vm;
	int target;
	unsigned int spin;
	atomic_bool creating;
	bool stop;
	/* close(target) succeeded; while the create was still running. */
	bool dev_closed, dev_closed_early;
	struct sysret vm_close;
};

static void *cve_dev_closer(void *arg)
{
	struct cve_race *r = arg;

	for (;;) {
		pthread_barrier_wait(&r->start);
		if (r->stop)
			return NULL;
		r->dev_closed = r->dev_closed_early = false;
		while (atomic_load(&r->creating)) {
			if (!close(r->target)) {
				r->dev_closed = r->dev_closed_early = true;
				break;
			}
		}
		if (!r->dev_closed && !close(r->target))
			r->dev_closed = true;
		pthread_barrier_wait(&r->done);
	}
}

static void *cve_vm_closer(void *arg)
{
	struct cve_race *r = arg;

	for (;;) {
		pthread_barrier_wait(&r->start);
		if (r->stop)
			return NULL;
		spin(r->spin);
		r->vm_close = SYS(close(r->vm));
		pthread_barrier_wait(&r->done);
	}
}

TEST_F_TIMEOUT(regress, cve_2019_6974_fd_before_vm_ref, 120)
{
	unsigned int iters = 0, ebadf = 0, vm_slot = 0, early = 0;
	struct cve_race r = { .stop = false };
	pthread_t th[2];
	struct timespec t0;

	ASSERT_EQ(0, pthread_barrier_init(&r.start, NULL, 3));
	ASSERT_EQ(0, pthread_barrier_init(&r.done, NULL, 3));
	ASSERT_EQ(0, pthread_create(&th[0], NULL, cve_dev_closer, &r));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, cve_vm_closer, &r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* At least 10 iterations however slow the guest; then up to 3 s or 400. */
	while (iters < 400 && (iters < 10 || seconds_since(&t0) < 3)) {
		struct kvm_create_device cd = { .fd = FD_SENTINEL };
		struct sysret s;

		r.vm = ioctl(self->sys, KVM_CREATE_VM, 0);
		if (r.vm < 0)
			break;
		r.target = lowest_free_fd();
		r.spin = (iters * 7919) % 20000;
		atomic_store(&r.creating, true);
		pthread_barrier_wait(&r.start);
		s = SYS(create_device(r.vm, KVM_DEV_TYPE_VFIO, 0, &cd));
		atomic_store(&r.creating, false);
		pthread_barrier_wait(&r.done);

		EXPECT_EQ(0, r.vm_close.ret);
		if (s.ret == 0) {
			if (cd.fd == (__u32)r.vm) {
				/* The VM fd was closed before the fd was reserved. */
				vm_slot++;
				EXPECT_FALSE(r.dev_closed);
				EXPECT_EQ(0, close(cd.fd));
			} else {
				EXPECT_EQ(r.target, cd.fd);
				EXPECT_TRUE(r.dev_closed);
				early += r.dev_closed_early;
			}
		} else {
			EXPECT_STREQ("EBADF", errno_name(s.err));
			EXPECT_EQ(FD_SENTINEL, cd.fd);
			EXPECT_FALSE(r.dev_closed);
			ebadf++;
		}
		EXPECT_FALSE(fd_is_open(r.vm));
		EXPECT_FALSE(fd_is_open(r.target));
		EXPECT_OBJECTS(variant->path, &self->base, "iteration %u", iters);
		iters++;
		if (_metadata->exit_code != KSFT_PASS)
			break;
	}
	r.stop = true;
	pthread_barrier_wait(&r.start);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	TH_LOG("%u iterations: %u EBADF, %u got the VM fd's number, %u device fds closed early",
	       iters, ebadf, vm_slot, early);
	EXPECT_LE(10, iters);
}

/*
 * e8bc24270188 ("KVM: Don't null dereference ops->destroy"), 2022: the
 * error path of kvm_ioctl_create_device() (anon_inode_getfd() failed)
 * called ops->destroy() unconditionally, a NULL pointer for the types that
 * only have .release (kvm-vfio since it moved to .release; the hook is
 * 2bde9b3ec8bd, "KVM: Introduce a 'release' method for KVM devices").
 *
 * The error path is forced after the device was created, for the
 * release-only kvm-vfio, in three ways:
 *  - a read-only struct kvm_create_device, so the copy back faults. KVM
 *    copies back after installing the fd and leaves the device and its fd
 *    (an orphan); kvm-devctl unwinds: EFAULT, no fd, no device
 *    (Documentation/api.rst 8.1). On kvm-devctl another thread creates and
 *    closes kvm-vfio devices at the same time, racing the unwind;
 *  - RLIMIT_NOFILE exhausted: EMFILE from both (KVM through the error path
 *    above, kvm-devctl before creating the device, api.rst 8.1);
 *  - fail-nth (Documentation/fault-injection/fault-injection.rst) failing
 *    the 1st, 2nd, ... fault-injection point of the ioctl in turn (slab,
 *    user copies), which includes the allocations of the file.
 * After every failure no fd is left, no device is left, and a new kvm-vfio
 * device can be created: the singleton's place was given back.
 */
struct readonly_race {
	pthread_barrier_t start, done;
	int vm;
	bool stop;
	struct sysret res;
};

static void *readonly_racer(void *arg)
{
	struct readonly_race *r = arg;

	for (;;) {
		pthread_barrier_wait(&r->start);
		if (r->stop)
			return NULL;
		r->res = SYS(create_type(r->vm, KVM_DEV_TYPE_VFIO));
		if (r->res.ret >= 0)
			close(r->res.ret);
		pthread_barrier_wait(&r->done);
	}
}

/* The fault-injection switches a fail-nth sweep needs, saved for restore. */
static const char *const fault_files[] = {
	"/sys/kernel/debug/failslab/ignore-gfp-wait",
	"/sys/kernel/debug/failslab/verbose",
	"/sys/kernel/debug/fail_usercopy/verbose",
	"/sys/kernel/debug/fail_page_alloc/verbose",
};
/*
 * failslab must fail GFP_KERNEL allocations too; no capability may print
 * "FAULT_INJECTION: forcing a failure" with a stack dump (a splat for
 * scripts/vm-run). fail_page_alloc keeps ignoring GFP_KERNEL, so no
 * page-allocation-failure report is printed either.
 */
static const char *const fault_values[] = { "N", "0", "0", "0" };

struct fail_nth_result {
	unsigned int points;		/* faults injected */
	unsigned int tolerated;		/* injected, and the create still succeeded */
	unsigned int enomem, efault;
	unsigned int after_copy_back;	/* failed with cd.fd written (api.rst 8.1) */
	unsigned int orphans;		/* KVM: EFAULT with the fd installed */
	bool finished;			/* a run with no fault injected succeeded */
	/* Per point: "ok", the errno, "+fd" when cd.fd was written, "orphan". */
	char trace[512];
};

static void trace_point(struct fail_nth_result *res, unsigned int n, const char *what,
			const char *extra)
{
	size_t len = strlen(res->trace);

	snprintf(res->trace + len, sizeof(res->trace) - len, "%s%u:%s%s", len ? " " : "", n,
		 what, extra);
}

/*
 * One fail-nth sweep of KVM_CREATE_DEVICE(kvm-vfio) on vm: the n-th fault
 * point fails, n = 1, 2, ... until a run completes without reaching n.
 */
static void fail_nth_sweep(struct __test_metadata *_metadata, const char *path, int vm,
			   const struct objects *in, struct fail_nth_result *res)
{
	int nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	int before = count_fds();
	unsigned int n;

	ASSERT_LE(0, nth);
	for (n = 1; n <= 400 && !res->finished; n++) {
		struct kvm_create_device cd = { .fd = FD_SENTINEL };
		int expect_fd = lowest_free_fd();
		char buf[32];
		struct sysret s;
		bool injected;
		int len;

		len = snprintf(buf, sizeof(buf), "%u", n);
		ASSERT_EQ(len, pwrite(nth, buf, len, 0));
		s = SYS(create_device(vm, KVM_DEV_TYPE_VFIO, 0, &cd));
		/*
		 * What the ioctl left of the countdown. If it did not reach 0,
		 * the countdown goes on in this pread(), whose copy to user
		 * space may then be the one that fails.
		 */
		len = pread(nth, buf, sizeof(buf) - 1, 0);
		buf[len > 0 ? len : 0] = 0;
		injected = len > 0 && atoi(buf) == 0;
		/* Stop the countdown; if this very write is its end, it is stopped too. */
		if (pwrite(nth, "0", 1, 0) != 1)
			ASSERT_EQ(EFAULT, errno);

		if (!injected) {
			ASSERT_EQ(0, s.ret) TH_LOG("n=%u, no fault: %s", n, errno_name(s.err));
			EXPECT_EQ(expect_fd, cd.fd);
			EXPECT_EQ(0, close(cd.fd));
			res->finished = true;
			break;
		}
		res->points++;
		trace_point(res, n, s.ret ? errno_name(s.err) : "ok",
			    s.ret && cd.fd != FD_SENTINEL ? "+fd" : "");
		if (s.ret == 0) {
			res->tolerated++;
			EXPECT_EQ(expect_fd, cd.fd);
			EXPECT_EQ(0, close(cd.fd));
		} else if (s.err == EFAULT && !is_module(path) && fd_is_open(expect_fd)) {
			char name[64];

			/* KVM: the copy back faulted after the fd was installed. */
			EXPECT_STREQ("anon_inode:kvm-vfio", fd_name(expect_fd, name, sizeof(name)));
			EXPECT_EQ(FD_SENTINEL, cd.fd);
			EXPECT_EQ(0, close(expect_fd));
			trace_point(res, n, "", "orphan");
			res->orphans++;
			res->efault++;
		} else {
			if (s.err == ENOMEM)
				res->enomem++;
			else if (s.err == EFAULT)
				res->efault++;
			else
				EXPECT_EQ(0, s.err) TH_LOG("n=%u: %s", n, errno_name(s.err));
			if (cd.fd != FD_SENTINEL) {
				/* Failed after the copy back: the number is not open. */
				EXPECT_TRUE(is_module(path));
				EXPECT_EQ(expect_fd, cd.fd);
				res->after_copy_back++;
			}
			EXPECT_FALSE(fd_is_open(expect_fd)) TH_LOG("n=%u", n);
		}
		EXPECT_EQ(before, count_fds()) TH_LOG("n=%u", n);
		EXPECT_OBJECTS(path, in, "n=%u", n);
		/* The singleton's place is free again. */
		s = SYS(create_type(vm, KVM_DEV_TYPE_VFIO));
		EXPECT_EQ(expect_fd, s.ret) TH_LOG("n=%u: recreate %s", n, errno_name(s.err));
		if (s.ret >= 0)
			close(s.ret);
		if (_metadata->exit_code != KSFT_PASS)
			break;
	}
	close(nth);
}

TEST_F_TIMEOUT(regress, error_path_null_destroy, 120)
{
	char saved[ARRAY_SIZE(fault_files)][16];
	struct readonly_race r = { .stop = false };
	struct fail_nth_result fr[4] = { { .points = 0 } };
	unsigned int sweep, after_copy_back = 0, orphans = 0;
	struct kvm_create_device *ro;
	struct objects in;
	struct rlimit rl, low;
	struct timespec t0;
	unsigned int i, busy = 0;
	int before, vm, fd;
	pthread_t th;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	vm = ioctl(self->sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	ASSERT_EQ(0, live_objects(variant->path, &in));
	before = count_fds();
	ro = readonly_cd(KVM_DEV_TYPE_VFIO, 0);
	ASSERT_NE(NULL, ro);

	/* 1. The copy back faults. */
	if (is_module(variant->path)) {
		r.vm = vm;
		ASSERT_EQ(0, pthread_barrier_init(&r.start, NULL, 2));
		ASSERT_EQ(0, pthread_barrier_init(&r.done, NULL, 2));
		ASSERT_EQ(0, pthread_create(&th, NULL, readonly_racer, &r));
		for (i = 0; i < 300; i++) {
			struct sysret s;

			pthread_barrier_wait(&r.start);
			s = SYS(ioctl(vm, KVM_CREATE_DEVICE, ro));
			pthread_barrier_wait(&r.done);
			EXPECT_EQ(-1, s.ret);
			/* EBUSY while the other thread's device exists. */
			if (s.err == EBUSY)
				busy++;
			else
				EXPECT_STREQ("EFAULT", errno_name(s.err)) TH_LOG("iteration %u", i);
			EXPECT_TRUE(r.res.ret >= 0 || r.res.err == EBUSY)
				TH_LOG("iteration %u: %s", i, errno_name(r.res.err));
			EXPECT_EQ(FD_SENTINEL, ro->fd);
			EXPECT_EQ(before, count_fds()) TH_LOG("iteration %u", i);
			EXPECT_OBJECTS(variant->path, &in, "iteration %u", i);
			if (_metadata->exit_code != KSFT_PASS)
				break;
		}
		r.stop = true;
		pthread_barrier_wait(&r.start);
		pthread_join(th, NULL);
		TH_LOG("read-only cd: %u EFAULT, %u EBUSY", i - busy, busy);
	} else {
		for (i = 0; i < 10; i++) {
			char name[64];

			fd = lowest_free_fd();
			EXPECT_ERRNO(EFAULT, ioctl(vm, KVM_CREATE_DEVICE, ro));
			/* KVM leaves the device and its fd (api.rst 8.1). */
			EXPECT_STREQ("anon_inode:kvm-vfio", fd_name(fd, name, sizeof(name)));
			EXPECT_ERRNO(EBUSY, create_type(vm, KVM_DEV_TYPE_VFIO));
			EXPECT_EQ(0, close(fd));
			EXPECT_EQ(before, count_fds());
			fd = create_type(vm, KVM_DEV_TYPE_VFIO);
			EXPECT_LE(0, fd);
			close(fd);
		}
	}
	fd = create_type(vm, KVM_DEV_TYPE_VFIO);
	EXPECT_LE(0, fd);
	close(fd);
	munmap(ro, getpagesize());

	/* 2. No descriptor can be had. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	low = rl;
	low.rlim_cur = lowest_free_fd();
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	for (i = 0; i < 50; i++) {
		struct kvm_create_device cd = { .fd = FD_SENTINEL };

		EXPECT_ERRNO(EMFILE, create_device(vm, KVM_DEV_TYPE_VFIO, 0, &cd));
		EXPECT_EQ(FD_SENTINEL, cd.fd);
		EXPECT_RET(0, create_device(vm, KVM_DEV_TYPE_VFIO, KVM_CREATE_DEVICE_TEST, &cd));
	}
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_EQ(before, count_fds());
	EXPECT_OBJECTS(variant->path, &in, "after EMFILE");
	fd = create_type(vm, KVM_DEV_TYPE_VFIO);
	EXPECT_LE(0, fd);
	close(fd);

	/* 3. fail-nth: every fault point of the create in turn. */
	for (i = 0; i < ARRAY_SIZE(fault_files); i++) {
		ASSERT_EQ(0, read_file(fault_files[i], saved[i], sizeof(saved[i])))
			TH_LOG("%s: %s", fault_files[i], strerror(errno));
		ASSERT_EQ(0, write_file(fault_files[i], fault_values[i]));
	}
	/*
	 * Several sweeps: a fault point that exists only in some runs (an
	 * allocation that tolerates failure, made when a new slab page is
	 * needed) shifts the numbering, so one sweep can step over a point.
	 */
	for (sweep = 0; sweep < ARRAY_SIZE(fr); sweep++) {
		fail_nth_sweep(_metadata, variant->path, vm, &in, &fr[sweep]);
		if (_metadata->exit_code != KSFT_PASS)
			break;
	}
	for (i = 0; i < ARRAY_SIZE(fault_files); i++)
		EXPECT_EQ(0, write_file(fault_files[i], saved[i]));
	for (sweep = 0; sweep < ARRAY_SIZE(fr); sweep++) {
		struct fail_nth_result *f = &fr[sweep];

		TH_LOG("fail-nth sweep %u: %u points: %u ENOMEM, %u EFAULT, %u tolerated,",
		       sweep, f->points, f->enomem, f->efault, f->tolerated);
		TH_LOG("  %u after the copy back, %u orphans", f->after_copy_back, f->orphans);
		TH_LOG("  %s", f->trace);
		EXPECT_TRUE(f->finished);
		EXPECT_EQ(f->points, f->enomem + f->efault + f->tolerated);
		if (f->after_copy_back > after_copy_back)
			after_copy_back = f->after_copy_back;
		orphans += f->orphans;
		if (is_module(variant->path))
			EXPECT_LE(1, f->after_copy_back);
	}
	if (is_module(variant->path)) {
		/*
		 * At least the device file's data, its dentry and its struct
		 * file; one more when a cache needs a new slab page (the page
		 * allocation is a fault point of its own), so not exactly 3.
		 */
		EXPECT_LE(3, after_copy_back);
		EXPECT_EQ(0, orphans);
	} else {
		EXPECT_EQ(0, after_copy_back);
		EXPECT_LE(1, orphans);
	}

	EXPECT_EQ(0, close(vm));
	EXPECT_OBJECTS(variant->path, &self->base, "after the VM was closed");
	TH_LOG("%.1f s", seconds_since(&t0));
}

/*
 * A release-only singleton must be re-creatable as soon as its file is
 * released, and never twice at once. kvm-vfio is such a type since it moved
 * from .destroy to .release (2bde9b3ec8bd, "KVM: Introduce a 'release'
 * method for KVM devices", made for XIVE, which must be re-created at
 * every machine reset); kvm_device_release() takes it off kvm->devices and
 * releases it under kvm->lock, and kvm_vfio_create() looks for another one
 * under the same lock.
 *
 * Two threads each create a kvm-vfio device on the same VM and close it, in
 * a loop: every create is 0 or EBUSY, and a user-space count of live
 * devices (raised after a create returned, lowered before the close) never
 * exceeds one. A third thread reads the module's device count, which never
 * exceeds one either.
 */
struct singleton_race {
	int vm;
	const char *path;
	const struct objects *in;
	atomic_int live;
	atomic_bool stop;
	pthread_barrier_t start;
};

struct singleton_worker {
	struct singleton_race *race;
	unsigned int created, busy, other, two_live;
	int other_err;
};

static void *singleton_worker(void *arg)
{
	struct singleton_worker *w = arg;
	struct singleton_race *r = w->race;
	struct timespec t0;
	unsigned int i;

	pthread_barrier_wait(&r->start);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 3000 && seconds_since(&t0) < 3; i++) {
		struct sysret s = SYS(create_type(r->vm, KVM_DEV_TYPE_VFIO));

		if (s.ret >= 0) {
			w->created++;
			if (atomic_fetch_add(&r->live, 1) != 0)
				w->two_live++;
			atomic_fetch_sub(&r->live, 1);
			close(s.ret);
		} else if (s.err == EBUSY) {
			w->busy++;
		} else {
			w->other++;
			w->other_err = s.err;
		}
	}
	return NULL;
}

static void *singleton_watcher(void *arg)
{
	struct singleton_race *r = arg;
	long max = 0;

	pthread_barrier_wait(&r->start);
	while (!atomic_load(&r->stop)) {
		struct objects o;

		if (objects_read(&o))
			return (void *)-1L;
		if (o.devices - r->in->devices > max)
			max = o.devices - r->in->devices;
	}
	return (void *)max;
}

TEST_F_TIMEOUT(regress, singleton_recreated_during_release, 60)
{
	struct singleton_worker w[2] = { { .created = 0 } };
	struct singleton_race r = { .stop = false };
	bool module = is_module(variant->path);
	pthread_t th[2], watcher;
	struct objects in;
	void *max = NULL;
	int i, fd;

	r.vm = ioctl(self->sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, r.vm);
	ASSERT_EQ(0, live_objects(variant->path, &in));
	r.in = &in;
	ASSERT_EQ(0, pthread_barrier_init(&r.start, NULL, module ? 3 : 2));
	for (i = 0; i < 2; i++) {
		w[i].race = &r;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, singleton_worker, &w[i]));
	}
	if (module)
		ASSERT_EQ(0, pthread_create(&watcher, NULL, singleton_watcher, &r));
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	atomic_store(&r.stop, true);
	if (module)
		pthread_join(watcher, &max);
	for (i = 0; i < 2; i++) {
		TH_LOG("thread %d: %u created, %u EBUSY", i, w[i].created, w[i].busy);
		EXPECT_EQ(0, w[i].other) TH_LOG("thread %d: %s", i, errno_name(w[i].other_err));
		EXPECT_EQ(0, w[i].two_live);
	}
	EXPECT_LE(2, w[0].created + w[1].created);
	EXPECT_LE(1, w[0].busy + w[1].busy);
	if (module)
		EXPECT_EQ(1L, (long)max);
	EXPECT_OBJECTS(variant->path, &in, "VM still open");
	fd = create_type(r.vm, KVM_DEV_TYPE_VFIO);
	EXPECT_LE(0, fd);
	EXPECT_ERRNO(EBUSY, create_type(r.vm, KVM_DEV_TYPE_VFIO));
	close(fd);
	EXPECT_EQ(0, close(r.vm));
	EXPECT_OBJECTS(variant->path, &self->base, "after the VM was closed");
}

/*
 * "KVM: s390: fix get_all_floating_irqs" (Jens Freimann, 2015): the FLIC's
 * KVM_DEV_FLIC_GET_ALL_IRQS (flic_get_attr()) walked the floating-interrupt
 * list under spin_lock(&fi->lock) and copy_to_user()ed each entry into the
 * buffer at attr->addr; a copy that faults may sleep, which is not allowed
 * under a spinlock. The fix copies into a vzalloc()ed buffer under the lock
 * and to user space after unlocking it.
 *
 * For every type the node offers (supported_types(), so future types join
 * without a change here) and every (group, attr) of a grid for which
 * KVM_HAS_DEVICE_ATTR says 0, GET, SET and HAS run with attr->addr at:
 *  - a freshly mmapped page never touched by user space, so the kernel's
 *    copy takes a real page fault (DEBUG_ATOMIC_SLEEP reports a copy under
 *    a spinlock through might_fault(), and a fault with preemption off
 *    fails the copy): the answer and the bytes written must be exactly
 *    those of the same call on an ordinary, already present page;
 *  - the last n bytes of a page followed by an unmapped page (no
 *    userfaultfd), n = 0, 1, 2, 4, ..., a page: EFAULT or the ordinary
 *    answer, and the ordinary answer once the whole page is available.
 * The struct kvm_device_attr itself is read from a memfd page mapped anew
 * for each HAS (present in the page cache, absent from the page tables): a
 * fault on the first copy_from_user too. Two threads run the whole grid at
 * once while a third sets attributes of the same devices.
 */
#define MAX_TYPES 64

static const __u32 grid_groups[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 255, 0x80000000, 0xffffffff,
};
static const __u64 grid_attrs[] = {
	0, 1, 2, 3, 4, 8, 64, 0xffffffffULL, 1ULL << 32, 1ULL << 63, ~0ULL,
};

struct attr_grid {
	int ndev;
	int devs[MAX_TYPES];
	__u32 types[MAX_TYPES];
	/* The (group, attr) pairs with HAS 0, for the setter. */
	int npairs;
	struct {
		int dev;
		__u32 group;
		__u64 attr;
	} pairs[256];
	atomic_bool stop;
	pthread_barrier_t start;
};

struct grid_worker {
	struct attr_grid *grid;
	int memfd;
	unsigned int has_ok, calls, mismatches;
	char first[160];
};

static void grid_mismatch(struct grid_worker *w, const char *what, __u32 type, __u32 group,
			  __u64 attr, struct sysret want, struct sysret got)
{
	if (!w->mismatches++)
		snprintf(w->first, sizeof(w->first),
			 "type %u group %#x attr %#llx %s: expected %ld %s, got %ld %s", type, group,
			 (unsigned long long)attr, what, want.ret, errno_name(want.err), got.ret,
			 errno_name(got.err));
}

static bool same(struct sysret a, struct sysret b)
{
	return a.ret == b.ret && a.err == b.err;
}

/* HAS with the struct read from a memfd page mapped for this call only. */
static struct sysret has_from_fresh_mapping(int dev, int memfd, const struct kvm_device_attr *a)
{
	struct sysret s = { .ret = -2 };
	void *p;

	if (pwrite(memfd, a, sizeof(*a), 0) != sizeof(*a))
		return s;
	p = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, memfd, 0);
	if (p == MAP_FAILED)
		return s;
	s = SYS(ioctl(dev, KVM_HAS_DEVICE_ATTR, p));
	munmap(p, getpagesize());
	return s;
}

/* One attribute ioctl with addr at a page the caller never touched. */
static struct sysret attr_fresh_page(int dev, unsigned long req, __u32 group, __u64 attr,
				     char *out)
{
	size_t page = getpagesize();
	struct sysret s = { .ret = -2 };
	char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return s;
	s = SYS(device_attr(dev, req, group, attr, (unsigned long)p));
	memcpy(out, p, page);
	munmap(p, page);
	return s;
}

static void grid_pair(struct grid_worker *w, int dev, __u32 type, __u32 group, __u64 attr)
{
	static const unsigned long reqs[] = {
		KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
	};
	static const char *const names[] = { "GET", "SET", "HAS" };
	size_t page = getpagesize();
	char *ref = calloc(2, page), *got = ref + page;
	size_t i, n;

	if (!ref) {
		w->mismatches++;
		return;
	}
	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		char *buf = calloc(1, page);
		struct sysret want, s;
		char *g;

		if (!buf) {
			w->mismatches++;
			break;
		}
		/* The ordinary answer: a present, zeroed page. */
		want = SYS(device_attr(dev, reqs[i], group, attr, (unsigned long)buf));
		memcpy(ref, buf, page);
		free(buf);
		s = attr_fresh_page(dev, reqs[i], group, attr, got);
		w->calls += 2;
		if (!same(want, s))
			grid_mismatch(w, names[i], type, group, attr, want, s);
		else if (memcmp(ref, got, page))
			grid_mismatch(w, "bytes written to a fresh page", type, group, attr, want, s);

		g = map_guarded_page();
		if (!g) {
			w->mismatches++;
			break;
		}
		for (n = 0; n <= page; n = n ? n * 2 : 1) {
			s = SYS(device_attr(dev, reqs[i], group, attr, (unsigned long)(g + page - n)));
			w->calls++;
			if (!same(want, s) && !(s.ret == -1 && s.err == EFAULT && n < page))
				grid_mismatch(w, names[i], type, group, attr, want, s);
		}
		munmap(g, page);
	}
	free(ref);
}

static void *grid_worker(void *arg)
{
	struct grid_worker *w = arg;
	struct attr_grid *grid = w->grid;
	int t;
	size_t gi, ai;

	pthread_barrier_wait(&grid->start);
	for (t = 0; t < grid->ndev; t++) {
		for (gi = 0; gi < ARRAY_SIZE(grid_groups); gi++) {
			for (ai = 0; ai < ARRAY_SIZE(grid_attrs); ai++) {
				struct kvm_device_attr a = {
					.group = grid_groups[gi],
					.attr = grid_attrs[ai],
				};
				struct sysret want, s;

				want = SYS(ioctl(grid->devs[t], KVM_HAS_DEVICE_ATTR, &a));
				s = has_from_fresh_mapping(grid->devs[t], w->memfd, &a);
				w->calls += 2;
				if (!same(want, s))
					grid_mismatch(w, "HAS (struct faulted in)", grid->types[t],
						      a.group, a.attr, want, s);
				if (want.ret)
					continue;
				w->has_ok++;
				grid_pair(w, grid->devs[t], grid->types[t], a.group, a.attr);
			}
		}
	}
	return NULL;
}

/*
 * Sets, from a zeroed buffer as the grid does, every (group, attr) that HAS
 * reported, until stopped: the devices' locks are taken while the grid's
 * copies fault.
 */
static void *grid_setter(void *arg)
{
	struct attr_grid *grid = arg;
	char *zero = calloc(1, getpagesize());

	pthread_barrier_wait(&grid->start);
	while (zero && !atomic_load(&grid->stop)) {
		int i;

		for (i = 0; i < grid->npairs; i++)
			device_attr(grid->pairs[i].dev, KVM_SET_DEVICE_ATTR, grid->pairs[i].group,
				    grid->pairs[i].attr, (unsigned long)zero);
	}
	free(zero);
	return NULL;
}

TEST_F_TIMEOUT(regress, copy_to_user_under_spinlock, 180)
{
	struct grid_worker w[2] = { { .calls = 0 } };
	struct attr_grid grid = { .ndev = 0 };
	__u32 types[MAX_TYPES];
	int vms[MAX_TYPES];
	pthread_t th[2], setter;
	struct timespec t0;
	size_t gi, ai;
	int n, i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	vms[0] = ioctl(self->sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vms[0]);
	n = supported_types(vms[0], MAX_TYPES, types, MAX_TYPES);
	ASSERT_LE(1, n) TH_LOG("supported_types: %s", strerror(errno));
	/* One VM per type, so that no singleton is in another type's way. */
	for (i = 0; i < n; i++) {
		if (i) {
			vms[i] = ioctl(self->sys, KVM_CREATE_VM, 0);
			ASSERT_LE(0, vms[i]);
		}
		grid.devs[i] = create_type(vms[i], types[i]);
		ASSERT_LE(0, grid.devs[i]) TH_LOG("type %u: %s", types[i], strerror(errno));
		grid.types[i] = types[i];
		grid.ndev++;
		for (gi = 0; gi < ARRAY_SIZE(grid_groups); gi++) {
			for (ai = 0; ai < ARRAY_SIZE(grid_attrs); ai++) {
				if (device_attr(grid.devs[i], KVM_HAS_DEVICE_ATTR, grid_groups[gi],
						grid_attrs[ai], 0) ||
				    grid.npairs == ARRAY_SIZE(grid.pairs))
					continue;
				grid.pairs[grid.npairs].dev = grid.devs[i];
				grid.pairs[grid.npairs].group = grid_groups[gi];
				grid.pairs[grid.npairs].attr = grid_attrs[ai];
				grid.npairs++;
			}
		}
	}
	ASSERT_EQ(0, pthread_barrier_init(&grid.start, NULL, 3));
	for (i = 0; i < 2; i++) {
		w[i].grid = &grid;
		w[i].memfd = memfd_create("kvm_device_attr", MFD_CLOEXEC);
		ASSERT_LE(0, w[i].memfd);
		ASSERT_EQ(0, ftruncate(w[i].memfd, getpagesize()));
		ASSERT_EQ(0, pthread_create(&th[i], NULL, grid_worker, &w[i]));
	}
	ASSERT_EQ(0, pthread_create(&setter, NULL, grid_setter, &grid));
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	atomic_store(&grid.stop, true);
	pthread_join(setter, NULL);
	for (i = 0; i < 2; i++) {
		TH_LOG("thread %d: %d types, %u (group, attr) pairs with HAS 0, %u calls",
		       i, grid.ndev, w[i].has_ok, w[i].calls);
		EXPECT_EQ(0, w[i].mismatches) TH_LOG("%u mismatches, first: %s",
						     w[i].mismatches, w[i].first);
		/* kvm-vfio: KVM_DEV_VFIO_FILE with ADD and DEL. */
		EXPECT_LE(2, w[i].has_ok);
		close(w[i].memfd);
	}
	for (i = 0; i < grid.ndev; i++) {
		close(grid.devs[i]);
		close(vms[i]);
	}
	EXPECT_OBJECTS(variant->path, &self->base, "after every VM was closed");
	TH_LOG("%.1f s", seconds_since(&t0));
}

/*
 * 51cdc8bc120e ("kvm/vfio: Fix potential deadlock on vfio group_lock") and
 * its follow-up 2b48f52f2bff ("vfio: fix deadlock between group lock and
 * kvm lock"), 2023: kvm_vfio_release() ran under kvm->lock and took VFIO's
 * group_lock, while VFIO's device open held group_lock and took kvm->lock:
 * an ABBA deadlock that lockdep reports once it has seen both orders.
 *
 * In kvm-devctl the VM lock (C: kvm->lock) is taken before a device's own
 * lock (Vfio::files, C: kv->lock) and never after it. Each round runs at
 * once: attribute sets (ADD, DEL, a bad fd; the device lock alone), creates
 * of a second kvm-vfio (the VM lock), and the release of the device and of
 * the VM (the VM lock, then the device lock) by replacing their fds with
 * /dev/null (dup2(), so that no fd number is reused while the others use
 * it). Every answer is one of the expected set; the ones on /dev/null are
 * ENOTTY. Lockdep (the debug guest) sees every order there is.
 */
#define VM_SLOT 600
#define DEV_SLOT 601

struct lock_round {
	pthread_barrier_t start;
	int null;
	unsigned int spin;
	unsigned int bad;
	char first[128];
	unsigned int created, sets;
};

static void lock_bad(struct lock_round *r, const char *what, struct sysret s)
{
	if (!r->bad++)
		snprintf(r->first, sizeof(r->first), "%s: %ld %s", what, s.ret, errno_name(s.err));
}

static void *lock_setter(void *arg)
{
	struct lock_round *r = arg;
	__s32 null = r->null, bad = -1;
	int i;

	pthread_barrier_wait(&r->start);
	for (i = 0; i < 60; i++) {
		struct sysret s;

		s = SYS(device_attr(DEV_SLOT, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
				    KVM_DEV_VFIO_FILE_ADD, (unsigned long)&null));
		if (!(s.ret == -1 && (s.err == EINVAL || s.err == ENOTTY)))
			lock_bad(r, "ADD", s);
		s = SYS(device_attr(DEV_SLOT, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
				    KVM_DEV_VFIO_FILE_DEL, (unsigned long)&null));
		if (!(s.ret == -1 && (s.err == ENOENT || s.err == ENOTTY)))
			lock_bad(r, "DEL", s);
		s = SYS(device_attr(DEV_SLOT, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
				    KVM_DEV_VFIO_FILE_ADD, (unsigned long)&bad));
		if (!(s.ret == -1 && (s.err == EBADF || s.err == ENOTTY)))
			lock_bad(r, "ADD -1", s);
		s = SYS(device_attr(DEV_SLOT, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
				    KVM_DEV_VFIO_FILE_ADD, 0));
		if (!(s.ret == 0 || (s.ret == -1 && s.err == ENOTTY)))
			lock_bad(r, "HAS", s);
		r->sets += 4;
	}
	return NULL;
}

static void *lock_creator(void *arg)
{
	struct lock_round *r = arg;
	int i;

	pthread_barrier_wait(&r->start);
	for (i = 0; i < 60; i++) {
		struct sysret s = SYS(create_type(VM_SLOT, KVM_DEV_TYPE_VFIO));

		if (s.ret >= 0) {
			r->created++;
			close(s.ret);
		} else if (s.err != EBUSY && s.err != ENOTTY) {
			lock_bad(r, "create", s);
		}
	}
	return NULL;
}

static void *lock_closer(void *arg)
{
	struct lock_round *r = arg;
	struct sysret s;

	pthread_barrier_wait(&r->start);
	spin(r->spin);
	s = SYS(dup2(r->null, DEV_SLOT));
	if (s.ret != DEV_SLOT)
		lock_bad(r, "dup2 over the device", s);
	spin(r->spin);
	s = SYS(dup2(r->null, VM_SLOT));
	if (s.ret != VM_SLOT)
		lock_bad(r, "dup2 over the VM", s);
	return NULL;
}

TEST_F_TIMEOUT(regress, vm_lock_vs_device_lock_order, 120)
{
	unsigned int round, created = 0, sets = 0;
	struct timespec t0;
	int null;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* At least 10 rounds however slow the guest; then up to 3 s or 200. */
	for (round = 0; round < 200 && (round < 10 || seconds_since(&t0) < 3); round++) {
		struct lock_round r = { .null = null, .spin = (round * 4099) % 300000 };
		void *(*fns[])(void *) = { lock_setter, lock_creator, lock_closer };
		pthread_t th[ARRAY_SIZE(fns)];
		int vm, dev;
		size_t i;

		vm = ioctl(self->sys, KVM_CREATE_VM, 0);
		ASSERT_LE(0, vm);
		ASSERT_EQ(VM_SLOT, dup3(vm, VM_SLOT, O_CLOEXEC));
		close(vm);
		dev = create_type(VM_SLOT, KVM_DEV_TYPE_VFIO);
		ASSERT_LE(0, dev);
		ASSERT_EQ(DEV_SLOT, dup3(dev, DEV_SLOT, O_CLOEXEC));
		close(dev);
		ASSERT_EQ(0, pthread_barrier_init(&r.start, NULL, ARRAY_SIZE(fns)));
		for (i = 0; i < ARRAY_SIZE(fns); i++)
			ASSERT_EQ(0, pthread_create(&th[i], NULL, fns[i], &r));
		for (i = 0; i < ARRAY_SIZE(fns); i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&r.start);
		EXPECT_EQ(0, r.bad) TH_LOG("round %u: %u unexpected, first: %s", round, r.bad,
					   r.first);
		created += r.created;
		sets += r.sets;
		close(DEV_SLOT);
		close(VM_SLOT);
		EXPECT_OBJECTS(variant->path, &self->base, "round %u", round);
		if (_metadata->exit_code != KSFT_PASS)
			break;
	}
	close(null);
	TH_LOG("%u rounds: %u attribute ioctls, %u devices created after a release", round,
	       sets, created);
	EXPECT_LE(10, round);
}

TEST_HARNESS_MAIN
