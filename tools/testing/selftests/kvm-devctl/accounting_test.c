// SPDX-License-Identifier: GPL-2.0
/*
 * Accounting and limits: what VMs, vCPUs and devices cost, who pays, and
 * that failing calls stay quiet.
 *
 * KVM allocates everything a VM fd, a vCPU fd or a device fd pins with
 * GFP_KERNEL_ACCOUNT (virt/kvm/kvm_main.c kvm_ioctl_create_device(),
 * virt/kvm/vfio.c kvm_vfio_create(), the vCPU's kvm_run page), so the
 * memory cgroup of the creating task pays for it
 * (Documentation/admin-guide/cgroup-v2.rst, "Memory"); struct file, the
 * dentry and the fd table are SLAB_ACCOUNT too. At memory.max a charge
 * fails: mm/memcontrol.c try_charge_memcg() reclaims, then asks the memcg
 * OOM killer; with no killable task in the cgroup (oom_score_adj -1000)
 * out_of_memory() prints its report ("Out of memory and no killable
 * processes..."), kills nothing, and the allocation fails, so the ioctl
 * returns ENOMEM.
 *
 * The tests measure the module's charge per VM, vCPU and device in a cgroup
 * without a limit, then run an allocation storm in a cgroup with a small
 * memory.max and check that it ends with ENOMEM within the bound the
 * measured sizes give, without a kill, and that everything is given back
 * when the storm's process exits. Separately, every failing ioctl path,
 * ten thousand times, must not add a single line to the kernel log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
/* The storm's cgroup limit. */
#define STORM_MAX (4UL << 20)
/* How many of each object the measurement creates. */
#define MEASURE_N 1000
/* The storm gives up (a failure) after this many VMs. */
#define STORM_CAP 4000
/* What the storm's process may hold open. */
#define STORM_NOFILE 65536
/*
 * Written to the kernel log around the storm: scripts/splat-check takes the
 * memcg OOM report between them, and only that, for what it is.
 */
#define OOM_REPORT_BEGIN \
	"kvm-devctl accounting_test: a memcg OOM report with no kill is expected now\n"
#define OOM_REPORT_END "kvm-devctl accounting_test: end of the expected memcg OOM report\n"

#ifndef __noinline
#define __noinline __attribute__((__noinline__))
#endif

static int cg_write(const char *cg, const char *file, const char *s)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return write_file(path, s);
}

/* Reads a cgroup file whole; 0 or -1. */
static int cg_read(const char *cg, const char *file, char *buf, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return read_file(path, buf, size);
}

static long long cg_read_ll(const char *cg, const char *file)
{
	char buf[64];

	if (cg_read(cg, file, buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

/* The value of key in a flat-keyed file such as memory.events, or -1. */
static long long cg_key(const char *cg, const char *file, const char *key)
{
	char buf[1024], *line, *save = NULL;
	size_t len = strlen(key);

	if (cg_read(cg, file, buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, len) && line[len] == ' ')
			return atoll(line + len + 1);
	return -1;
}

/* Creates CGROUP_ROOT/<name>.<pid> with the memory controller; 0 or -1. */
static int cg_create(char *cg, size_t size, const char *name)
{
	char ctl[256];

	if (cg_read(CGROUP_ROOT, "cgroup.subtree_control", ctl, sizeof(ctl)))
		return -1;
	if (!strstr(ctl, "memory") && cg_write(CGROUP_ROOT, "cgroup.subtree_control", "+memory"))
		return -1;
	snprintf(cg, size, "%s/%s.%d", CGROUP_ROOT, name, getpid());
	if (mkdir(cg, 0755) && errno != EEXIST)
		return -1;
	return 0;
}

/* Touches n bytes of stack, so that later use of it faults nothing in. */
static void __noinline prefault_stack(size_t n)
{
	char buf[n];

	memset(buf, 0, n);
	__asm__ volatile("" : : "r"(buf) : "memory");
}

/*
 * Moves the calling process into cg, after touching what it will use: from
 * then on its own memory is not charged anew, only what the kernel
 * allocates for it. oom_score_adj -1000 first: the memcg OOM killer must
 * find nothing to kill.
 */
static int enter_cgroup(const char *cg, bool unkillable)
{
	struct rlimit rl = { STORM_NOFILE, STORM_NOFILE };
	char path[256];
	int fd;

	prefault_stack(256 << 10);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (unkillable && write_file("/proc/self/oom_score_adj", "-1000"))
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, "0", 1) != 1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* What a child in a cgroup did, in memory shared with the parent. */
struct cg_report {
	int status;			/* 0, or the step that could not be set up */
	/* Measurement: memory.current before and after each kind. */
	long long current[4];
	/* Storm: objects created, and the call that failed. */
	long vms, vcpus, devices;
	char failed[24];
	long failed_ret;
	int failed_err;
};

static struct cg_report *shared_report(void)
{
	struct cg_report *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		return NULL;
	memset(r, 0, sizeof(*r));
	return r;
}

static long long pread_ll(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoll(buf);
}

/*
 * The measuring child: in cg (no limit), MEASURE_N VMs, then two vCPUs on
 * each of half of them, then a kvm-vfio device on each, reading
 * memory.current around each kind. Exits without closing anything.
 */
static void measure_child(struct cg_report *r, const char *cg, int sys)
{
	char path[256];
	int *vms = calloc(MEASURE_N, sizeof(int));
	int cur, i;

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	cur = open(path, O_RDONLY | O_CLOEXEC);
	if (!vms || cur < 0 || enter_cgroup(cg, false)) {
		r->status = 1;
		_exit(1);
	}
	/* The first read allocates the seq_file buffer: before the baseline. */
	pread_ll(cur);
	r->current[0] = pread_ll(cur);
	for (i = 0; i < MEASURE_N; i++) {
		vms[i] = ioctl(sys, KVM_CREATE_VM, 0);
		if (vms[i] < 0) {
			r->status = 2;
			_exit(2);
		}
	}
	r->current[1] = pread_ll(cur);
	for (i = 0; i < MEASURE_N; i++) {
		if (ioctl(vms[i / 2], KVM_CREATE_VCPU, i % 2) < 0) {
			r->status = 3;
			_exit(3);
		}
	}
	r->current[2] = pread_ll(cur);
	for (i = 0; i < MEASURE_N; i++) {
		struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

		if (ioctl(vms[i], KVM_CREATE_DEVICE, &cd)) {
			r->status = 4;
			_exit(4);
		}
	}
	r->current[3] = pread_ll(cur);
	_exit(0);
}

static void storm_failed(struct cg_report *r, const char *what, struct sysret s)
{
	snprintf(r->failed, sizeof(r->failed), "%s", what);
	r->failed_ret = s.ret;
	r->failed_err = s.err;
}

/*
 * The storm: in cg (memory.max STORM_MAX, unkillable), a VM, vCPUs 0 and 1
 * and a kvm-vfio device, again and again, until a call fails. Nothing is
 * closed: exiting releases it all.
 */
static void storm_child(struct cg_report *r, const char *cg, int sys)
{
	long i;

	if (enter_cgroup(cg, true)) {
		r->status = 1;
		_exit(1);
	}
	for (i = 0; i < STORM_CAP; i++) {
		struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
		struct sysret s;
		int vm;

		s = SYS(vm = ioctl(sys, KVM_CREATE_VM, 0));
		if (s.ret < 0) {
			storm_failed(r, "KVM_CREATE_VM", s);
			break;
		}
		r->vms++;
		s = SYS(ioctl(vm, KVM_CREATE_VCPU, 0));
		if (s.ret < 0) {
			storm_failed(r, "KVM_CREATE_VCPU 0", s);
			break;
		}
		r->vcpus++;
		s = SYS(ioctl(vm, KVM_CREATE_VCPU, 1));
		if (s.ret < 0) {
			storm_failed(r, "KVM_CREATE_VCPU 1", s);
			break;
		}
		r->vcpus++;
		s = SYS(ioctl(vm, KVM_CREATE_DEVICE, &cd));
		if (s.ret < 0) {
			storm_failed(r, "KVM_CREATE_DEVICE", s);
			break;
		}
		r->devices++;
	}
	_exit(0);
}

/* Runs fn in a child; its wait status, or -1. */
static int run_child(void (*fn)(struct cg_report *, const char *, int), struct cg_report *r,
		     const char *cg, int sys)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		fn(r, cg, sys);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Appends a line to the kernel log, for whoever reads the console. */
static void kmsg_note(const char *s)
{
	write_file("/dev/kmsg", s);
}

/* An fd at the end of the kernel log: reads return only new records. */
static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* What kmsg_read() found among the records added since kmsg_open_at_end(). */
struct kmsg_new {
	int records;		/* records, not counting the allowed ones */
	int allowed;		/* records that contained an allowed string */
	bool found;		/* a record contained the needle */
	char first[256];	/* the first record counted */
};

/*
 * Reads the records added since kmsg_open_at_end() (one lost because it
 * was overwritten before it was read counts as one); 0 or -1.
 */
static int kmsg_read(int fd, const char *needle, const char *const *allow, size_t nallow,
		     struct kmsg_new *k)
{
	char rec[8192];

	memset(k, 0, sizeof(*k));
	for (;;) {
		ssize_t len = read(fd, rec, sizeof(rec) - 1);
		char *msg;
		size_t i;

		if (len < 0 && errno == EAGAIN)
			return 0;
		if (len < 0 && errno != EPIPE)
			return -1;
		if (len < 0) {
			k->records++;
			continue;
		}
		rec[len] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (needle && strstr(msg, needle))
			k->found = true;
		for (i = 0; i < nallow; i++)
			if (strstr(msg, allow[i]))
				break;
		if (i < nallow) {
			k->allowed++;
			continue;
		}
		if (!k->records++) {
			size_t n = strcspn(msg, "\n");

			if (n >= sizeof(k->first))
				n = sizeof(k->first) - 1;
			memcpy(k->first, msg, n);
			k->first[n] = 0;
		}
	}
}

FIXTURE(memcg) {
	int sys;
	char measure[256], storm[256];
	struct cg_report *r;
	struct objects base;
};

FIXTURE_SETUP(memcg)
{
	self->r = NULL;
	self->measure[0] = self->storm[0] = 0;
	self->sys = open_node(KVM_DEVCTL_NODE);
	ASSERT_LE(0, self->sys);
	ASSERT_EQ(0, objects_read(&self->base));
	ASSERT_EQ(0, cg_create(self->measure, sizeof(self->measure), "kvm-devctl-measure"))
		TH_LOG("cgroup: %s", strerror(errno));
	ASSERT_EQ(0, cg_create(self->storm, sizeof(self->storm), "kvm-devctl-storm"));
	self->r = shared_report();
	ASSERT_NE(NULL, self->r);
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->measure[0])
		rmdir(self->measure);
	if (self->storm[0])
		rmdir(self->storm);
	if (self->r)
		munmap(self->r, sizeof(*self->r));
	if (self->sys >= 0)
		close(self->sys);
}

/*
 * Waits up to 10 s for memory.current of cg to drop to at most limit;
 * returns the last value.
 */
static long long wait_current_below(const char *cg, long long limit)
{
	long long cur = -1;
	int i;

	for (i = 0; i < 100; i++) {
		cur = cg_read_ll(cg, "memory.current");
		if (cur >= 0 && cur <= limit)
			break;
		usleep(100 * 1000);
	}
	return cur;
}

/* Waits up to 10 s for the module's counts to be base again. */
static bool wait_objects(const struct objects *base, struct objects *o)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!objects_read(o) && objects_equal(base, o))
			return true;
		usleep(100 * 1000);
	}
	return false;
}

TEST_F_TIMEOUT(memcg, storm_gets_enomem_within_limit, 240)
{
	long page = getpagesize(), ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	/*
	 * memory.current counts the per-CPU charge stocks too (up to
	 * MEMCG_CHARGE_BATCH pages per CPU, include/linux/memcontrol.h, and
	 * a partial page of object stock): a difference of two readings is
	 * the true charge give or take this much.
	 */
	long long slack = (64 + 1) * page * ncpu;
	long long size_min[3], size_max[3], need, events_max0, events_oom0;
	static const char *const kinds[] = { "VM", "vCPU", "device" };
	struct cg_report *r = self->r;
	struct kmsg_new k;
	char buf[64];
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	int status, kmsg, i, vm, vcpu;
	struct objects o;
	long long cur;

	/* 1. What each object costs, in a cgroup without a limit. */
	status = run_child(measure_child, r, self->measure, self->sys);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("measuring child: status %#x, step %d", status, r->status);
	for (i = 0; i < 3; i++) {
		long long delta = r->current[i + 1] - r->current[i];

		size_min[i] = (delta - slack) / MEASURE_N;
		if (size_min[i] < 0)
			size_min[i] = 0;
		size_max[i] = (delta + slack) / MEASURE_N;
		TH_LOG("%s: %lld bytes charged each (between %lld and %lld)", kinds[i],
		       delta / MEASURE_N, size_min[i], size_max[i]);
	}
	/* The pages the objects pin are charged: the VM's ring, the vCPU's two. */
	EXPECT_LE(page, size_max[0]);
	EXPECT_LE(2 * page, size_max[1]);
	EXPECT_LT(0, size_max[2]);
	EXPECT_TRUE(wait_objects(&self->base, &o)) TH_LOG("%s", objects_str(&o, buf, sizeof(buf)));
	memset(r, 0, sizeof(*r));

	/* 2. The storm, against memory.max. */
	snprintf(buf, sizeof(buf), "%lu", STORM_MAX);
	ASSERT_EQ(0, cg_write(self->storm, "memory.max", buf));
	events_max0 = cg_key(self->storm, "memory.events", "max");
	events_oom0 = cg_key(self->storm, "memory.events", "oom");
	ASSERT_LE(0, events_max0);
	kmsg = kmsg_open_at_end();
	ASSERT_LE(0, kmsg);
	kmsg_note(OOM_REPORT_BEGIN);
	status = run_child(storm_child, r, self->storm, self->sys);
	kmsg_note(OOM_REPORT_END);
	ASSERT_EQ(0, kmsg_read(kmsg, "Out of memory and no killable processes", NULL, 0, &k));
	close(kmsg);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("storm child: status %#x (killed?)", status);
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("storm child: step %d", r->status);
	TH_LOG("storm: %ld VMs, %ld vCPUs, %ld devices, then %s: %ld %s", r->vms, r->vcpus,
	       r->devices, r->failed, r->failed_ret, errno_name(r->failed_err));
	EXPECT_EQ(-1, r->failed_ret);
	EXPECT_STREQ("ENOMEM", errno_name(r->failed_err));
	/* No more than memory.max can pay for, at the least each can cost. */
	need = r->vms * size_min[0] + r->vcpus * size_min[1] + r->devices * size_min[2];
	EXPECT_GE((long long)STORM_MAX, need) TH_LOG("%lld bytes at least", need);
	/* And the limit, not anything else, stopped it: at least half was used. */
	need = r->vms * size_max[0] + r->vcpus * size_max[1] + r->devices * size_max[2];
	EXPECT_LE((long long)STORM_MAX / 2, need) TH_LOG("%lld bytes at most", need);
	/* The charge failed at the limit; the OOM killer ran and killed nothing. */
	EXPECT_LT(events_max0, cg_key(self->storm, "memory.events", "max"));
	EXPECT_LT(events_oom0, cg_key(self->storm, "memory.events", "oom"));
	EXPECT_EQ(0, cg_key(self->storm, "memory.events", "oom_kill"));
	EXPECT_TRUE(k.found) TH_LOG("first new kernel log line: %s", k.first);

	/* 3. Everything is given back when the process is gone. */
	EXPECT_TRUE(wait_objects(&self->base, &o)) TH_LOG("%s", objects_str(&o, buf, sizeof(buf)));
	cur = wait_current_below(self->storm, slack);
	EXPECT_GE(slack, cur) TH_LOG("memory.current stays at %lld", cur);
	TH_LOG("memory.current after the storm's process exited: %lld", cur);

	/* 4. Outside the cgroup, nothing is in the way. */
	vm = ioctl(self->sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	EXPECT_LE(0, vcpu);
	EXPECT_EQ(0, ioctl(vm, KVM_CREATE_DEVICE, &cd));
	close(cd.fd);
	close(vcpu);
	close(vm);
	EXPECT_TRUE(wait_objects(&self->base, &o)) TH_LOG("%s", objects_str(&o, buf, sizeof(buf)));
}

/*
 * Every failing path of the API, about ten thousand calls on each node,
 * must not add a line to the kernel log: errors user space can cause are
 * answered with an errno only (KVM logs none of them either). Each call's
 * errno is checked too. The paths: unknown ioctls of every file, bad
 * structures (NULL, read-only), unknown types, a second singleton, bad
 * vCPU ids, every failing kvm-vfio attribute, the wrong mm (a forked
 * child), a full descriptor table, and mmap of a device.
 */
FIXTURE(quiet) {
	int sys, vm, vm2, vcpu, dev, null;
};

NODE_VARIANTS(quiet);

FIXTURE_SETUP(quiet)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	self->vm = self->vm2 = self->vcpu = self->dev = self->null = -1;
	NODE_OPEN_VM(variant->path, self->sys, self->vm);
	self->vm2 = ioctl(self->sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm2);
	self->vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vcpu);
	ASSERT_EQ(0, ioctl(self->vm, KVM_CREATE_DEVICE, &cd));
	self->dev = cd.fd;
	self->null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->null);
}

FIXTURE_TEARDOWN(quiet)
{
	int fds[] = { self->null, self->dev, self->vcpu, self->vm2, self->vm, self->sys };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * The one line real KVM prints on these paths, once per boot:
 * kvm_arch_vcpu_precreate() (arch/x86/kvm/x86.c) pr_warn_once()s when a VM
 * that has a vCPU gets another on a host with an unstable TSC (so under
 * TCG), and the EEXIST and EMFILE vCPU paths get that far before failing.
 * The module prints nothing at all.
 */
static const char *const kvm_once_lines[] = {
	"SMP vm created on host with unstable TSC; guest TSC will not be reliable",
};

struct failing_call {
	const char *what;
	int *fd;
	unsigned long req;
	unsigned long arg;
	int err;
	/* Calls per round: the costly paths of real KVM fewer times. */
	int weight;
};

/* Runs calls[] rounds times; returns the calls made, counting wrong answers in *bad. */
static long run_failing(const struct failing_call *calls, size_t n, int rounds, int *bad,
			char *first, size_t size)
{
	long made = 0;
	int round, k;
	size_t i;

	for (round = 0; round < rounds; round++) {
		for (i = 0; i < n; i++) {
			for (k = 0; k < calls[i].weight; k++) {
				struct sysret s = SYS(ioctl(*calls[i].fd, calls[i].req, calls[i].arg));

				made++;
				if (s.ret == -1 && s.err == calls[i].err)
					continue;
				if (!(*bad)++)
					snprintf(first, size, "%s: %ld %s, expected %s", calls[i].what,
						 s.ret, errno_name(s.err), errno_name(calls[i].err));
			}
		}
	}
	return made;
}

TEST_F_TIMEOUT(quiet, failing_calls_do_not_log, 180)
{
	bool module = !strcmp(variant->path, KVM_DEVCTL_NODE);
	__s32 null_fd = self->null, bad_fd = -1;
	struct kvm_device_attr add = {
		.group = KVM_DEV_VFIO_FILE, .attr = KVM_DEV_VFIO_FILE_ADD,
		.addr = (unsigned long)&null_fd,
	};
	struct kvm_device_attr add_bad = add, del = add, group0 = add, attr99 = add;
	struct kvm_device_attr add_null = add, sys_attr = { .group = 2 };
	struct kvm_create_device cd_bad_type = { .type = 0 }, cd_vfio = {
		.type = KVM_DEV_TYPE_VFIO,
	};
	struct kvm_create_device *ro = readonly_cd(KVM_DEV_TYPE_VFIO, 0);
	const struct failing_call calls[] = {
		{ "system: unknown ioctl", &self->sys, _IO(KVMIO, 0xfe), 0, EINVAL, 40 },
		{ "system: KVM_CREATE_VM type 99", &self->sys, KVM_CREATE_VM, 99, EINVAL, 40 },
		{ "system: GET_DEVICE_ATTR group 2", &self->sys, KVM_GET_DEVICE_ATTR,
		  (unsigned long)&sys_attr, ENXIO, 40 },
		{ "system: HAS_DEVICE_ATTR NULL", &self->sys, KVM_HAS_DEVICE_ATTR, 0, EFAULT, 40 },
		{ "VM: unknown ioctl", &self->vm, _IO(KVMIO, 0xfe), 0, ENOTTY, 40 },
		{ "VM: KVM_CREATE_DEVICE NULL", &self->vm, KVM_CREATE_DEVICE, 0, EFAULT, 40 },
		{ "VM: KVM_CREATE_DEVICE type 0", &self->vm, KVM_CREATE_DEVICE,
		  (unsigned long)&cd_bad_type, ENODEV, 40 },
		{ "VM: second kvm-vfio", &self->vm, KVM_CREATE_DEVICE, (unsigned long)&cd_vfio,
		  EBUSY, 20 },
		{ "VM: second kvm-vfio, read-only", &self->vm, KVM_CREATE_DEVICE,
		  (unsigned long)ro, EBUSY, 20 },
		{ "VM: vCPU id 4096", &self->vm, KVM_CREATE_VCPU, 4096, EINVAL, 40 },
		{ "VM: vCPU id 0 again", &self->vm, KVM_CREATE_VCPU, 0, EEXIST, 10 },
		{ "vCPU: unknown KVMIO ioctl", &self->vcpu, _IO(KVMIO, 0xfe), 0, EINVAL, 40 },
		{ "vCPU: non-KVM ioctl", &self->vcpu, _IO('x', 1), 0, EINVAL, 40 },
		{ "device: GET", &self->dev, KVM_GET_DEVICE_ATTR, (unsigned long)&add, EPERM, 40 },
		{ "device: SET group 0", &self->dev, KVM_SET_DEVICE_ATTR, (unsigned long)&group0,
		  ENXIO, 40 },
		{ "device: SET attr 99", &self->dev, KVM_SET_DEVICE_ATTR, (unsigned long)&attr99,
		  ENXIO, 40 },
		{ "device: HAS group 0", &self->dev, KVM_HAS_DEVICE_ATTR, (unsigned long)&group0,
		  ENXIO, 40 },
		{ "device: ADD -1", &self->dev, KVM_SET_DEVICE_ATTR, (unsigned long)&add_bad,
		  EBADF, 40 },
		{ "device: ADD /dev/null", &self->dev, KVM_SET_DEVICE_ATTR, (unsigned long)&add,
		  EINVAL, 40 },
		{ "device: DEL /dev/null", &self->dev, KVM_SET_DEVICE_ATTR, (unsigned long)&del,
		  ENOENT, 40 },
		{ "device: ADD, addr NULL", &self->dev, KVM_SET_DEVICE_ATTR,
		  (unsigned long)&add_null, EFAULT, 40 },
		{ "device: SET NULL", &self->dev, KVM_SET_DEVICE_ATTR, 0, EFAULT, 40 },
		{ "device: unknown ioctl", &self->dev, _IO(KVMIO, 0xfe), 0, ENOTTY, 40 },
	};
	/* With no descriptor to be had: the creates of every kind. */
	const struct failing_call emfile[] = {
		{ "EMFILE: KVM_CREATE_VM", &self->sys, KVM_CREATE_VM, 0, EMFILE, 10 },
		{ "EMFILE: KVM_CREATE_VCPU", &self->vm, KVM_CREATE_VCPU, 7, EMFILE, 2 },
		{ "EMFILE: KVM_CREATE_DEVICE", &self->vm2, KVM_CREATE_DEVICE,
		  (unsigned long)&cd_vfio, EMFILE, 2 },
	};
	/* From a forked child: the wrong mm. */
	const struct failing_call eio[] = {
		{ "child: VM KVM_CREATE_DEVICE", &self->vm, KVM_CREATE_DEVICE,
		  (unsigned long)&cd_vfio, EIO, 5 },
		{ "child: VM KVM_CREATE_VCPU", &self->vm, KVM_CREATE_VCPU, 3, EIO, 5 },
		{ "child: vCPU KVM_RUN", &self->vcpu, KVM_RUN, 0, EIO, 5 },
		{ "child: device SET", &self->dev, KVM_SET_DEVICE_ATTR, (unsigned long)&add, EIO, 5 },
	};
	long made = 0, mmaps = 0;
	int bad = 0, kmsg, i, status, rounds = 12;
	struct rlimit rl, low;
	struct kmsg_new k;
	char first[160] = "";
	struct timespec t0, t1;
	pid_t pid;

	ASSERT_NE(NULL, ro);
	add_bad.addr = (unsigned long)&bad_fd;
	del.attr = KVM_DEV_VFIO_FILE_DEL;
	group0.group = 0;
	attr99.attr = 99;
	add_null.addr = 0;

	kmsg = kmsg_open_at_end();
	ASSERT_LE(0, kmsg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	made += run_failing(calls, ARRAY_SIZE(calls), rounds, &bad, first, sizeof(first));

	/* The read-only structure on a VM without a device (KVM leaves an orphan: api.rst 8.1). */
	if (module) {
		for (i = 0; i < 200; i++, made++) {
			struct sysret s = SYS(ioctl(self->vm2, KVM_CREATE_DEVICE, ro));

			if (!(s.ret == -1 && s.err == EFAULT) && !bad++)
				snprintf(first, sizeof(first), "read-only cd: %ld %s", s.ret,
					 errno_name(s.err));
		}
	}
	for (i = 0; i < 200; i++, mmaps++) {
		void *p = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, self->dev, 0);

		if (!(p == MAP_FAILED && errno == ENODEV) && !bad++)
			snprintf(first, sizeof(first), "device mmap: %s", strerror(errno));
		if (p != MAP_FAILED)
			munmap(p, getpagesize());
	}

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	low = rl;
	low.rlim_cur = lowest_free_fd();
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	made += run_failing(emfile, ARRAY_SIZE(emfile), rounds * 5, &bad, first, sizeof(first));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int child_bad = 0;

		run_failing(eio, ARRAY_SIZE(eio), rounds * 5, &child_bad, first, sizeof(first));
		_exit(child_bad ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("a forked child's call was not EIO");
	for (i = 0; i < (int)ARRAY_SIZE(eio); i++)
		made += eio[i].weight * rounds * 5;
	clock_gettime(CLOCK_MONOTONIC, &t1);

	ASSERT_EQ(0, kmsg_read(kmsg, NULL, module ? NULL : kvm_once_lines,
			       module ? 0 : ARRAY_SIZE(kvm_once_lines), &k));
	close(kmsg);
	munmap(ro, getpagesize());
	TH_LOG("%ld failing ioctls and %ld mmaps in %.1f s", made, mmaps,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	EXPECT_EQ(0, bad) TH_LOG("%d wrong answers, first: %s", bad, first);
	EXPECT_LE(10000, made + mmaps);
	if (k.allowed)
		TH_LOG("%d known line(s) of real KVM (kvm_once_lines)", k.allowed);
	EXPECT_EQ(0, k.records) TH_LOG("first new kernel log line: %s", k.first);
}

TEST_HARNESS_MAIN
