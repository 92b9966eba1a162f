// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-devctl benchmark: the device control paths of /dev/kvm-devctl against
 * real KVM's /dev/kvm, in the same guest, in the same run.
 *
 *   ./bench [-r REPS] [-t MS] [-k VMS] [-x] [-m ITERS]
 *
 *   -r REPS  repetitions of every timed row (default 21)
 *   -t MS    target wall time of one repetition, in ms (default 10); the
 *            number of iterations of a row is calibrated from it, per node.
 *            On a shared machine, many short repetitions give the minimum
 *            a better chance to find an undisturbed one than a few long ones
 *   -k VMS   VMs (each with one kvm-vfio device) for the memory rows
 *            (default 512)
 *   -x       also time the micro-variations of the diagnostics table, which
 *            take one step away from or add one to a row of the main table
 *   -m ITERS marker mode, for counting instructions under TCG (see
 *            marker_mode()); nothing is timed
 *
 * The rows of the arm64 node (/dev/kvm-devctl-arm64) have no KVM to compare
 * with, since x86 KVM has no VGIC and no device type of which a VM may have
 * many: a register read on a kvm-arm-vgic-v3 fd, against that fd's ENOTTY
 * floor, and the cost of creating the n-th kvm-arm-vgic-its in one VM as n
 * grows to 10,000, with the memory each takes.
 *
 * Every other row is run on both nodes, repetitions interleaved (devctl, KVM,
 * KVM, devctl, ...), so that a disturbance of the machine hits both. Each
 * repetition times N iterations with CLOCK_MONOTONIC; a row reports the
 * minimum and the median over the repetitions of ns per iteration (for
 * throughput rows: the maximum and the median of ops/s).
 *
 * Output: a markdown table and notes on stdout, and one machine-readable
 * line per row starting with "csv," (see print_csv()). Progress goes to
 * stderr, prefixed "bench: ".
 *
 * Built static against the pinned kernel's installed UAPI headers by
 * tools/bench/Makefile; scripts/bench (make bench) builds and runs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/kvm_arm_vgic.h>

#define MAX_REPS 64

/* An ioctl number that no layer knows: ENOTTY from the device file. */
#define UNKNOWN_IOCTL _IO(KVMIO, 0xff)

static int reps = 21;
static double target_ms = 10;
static int mem_vms = 512;
static int diagnostics;
static long marker_iters;

enum { DEVCTL, KVM, NR_NODES };

struct node {
	const char *name;
	const char *path;
	int sys;	/* the system file */
	int vm;		/* a VM with one kvm-vfio device, dev */
	int dev;
	int vm_empty;	/* a VM without devices: create + close */
	int vm2;	/* a second VM with one kvm-vfio device, dev2 */
	int dev2;
};

static struct node nodes[NR_NODES] = {
	[DEVCTL] = { .name = "kvm-devctl", .path = "/dev/kvm-devctl" },
	[KVM] = { .name = "KVM", .path = "/dev/kvm" },
};

/* kvm-devctl's arm64 node: vm has one vCPU and an initialised GICv3, dev. */
static struct node arm64 = { .name = "kvm-devctl-arm64", .path = "/dev/kvm-devctl-arm64" };
/* Why the arm64 rows were not measured, or NULL. */
static const char *arm64_na;

static void progress(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench: FATAL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (errno %d: %s)\n", errno, strerror(errno));
	va_end(ap);
	exit(1);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(cpu %d)", cpu);
}

static int create_vfio(int vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	if (ioctl(vm, KVM_CREATE_DEVICE, &cd))
		return -1;
	return cd.fd;
}

static void node_open(struct node *n)
{
	n->sys = open(n->path, O_RDWR | O_CLOEXEC);
	if (n->sys < 0)
		die("open %s", n->path);
	n->vm = ioctl(n->sys, KVM_CREATE_VM, 0);
	n->vm_empty = ioctl(n->sys, KVM_CREATE_VM, 0);
	n->vm2 = ioctl(n->sys, KVM_CREATE_VM, 0);
	if (n->vm < 0 || n->vm_empty < 0 || n->vm2 < 0)
		die("%s: KVM_CREATE_VM", n->name);
	n->dev = create_vfio(n->vm);
	n->dev2 = create_vfio(n->vm2);
	if (n->dev < 0 || n->dev2 < 0)
		die("%s: KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO)", n->name);
}

/* The arguments of the per-call rows; never written by the kernel. */
static const struct kvm_device_attr attr_hit = {
	.group = KVM_DEV_VFIO_FILE, .attr = KVM_DEV_VFIO_FILE_ADD,
};
static const struct kvm_device_attr attr_miss = {
	.group = KVM_DEV_VFIO_FILE, .attr = 99,
};
static const int32_t bad_fd = -1;
static struct kvm_device_attr attr_set = {
	.group = KVM_DEV_VFIO_FILE, .attr = KVM_DEV_VFIO_FILE_ADD,
};

/* ---- the rows ------------------------------------------------------------ */

enum { MAIN, DIAG, RAW, ARM64 };

enum kind {
	K_TIME,		/* ns per iteration: best = min */
	K_THROUGHPUT,	/* ops/s: best = max; ratio inverted */
	K_SCALING,	/* n threads / 1 thread: best = of the best ops/s */
	K_MEMORY,	/* bytes per VM */
	K_NA,		/* not measurable */
};

struct row {
	const char *id;
	const char *label;
	enum kind kind;
	int per_call;		/* an ioctl row compared with the ENOTTY floor */
	int expect_ret;		/* expected result of one iteration */
	int expect_errno;
	/* Runs iters iterations on n; returns the iterations that went wrong. */
	long (*run)(struct node *n, long iters);
	/* One call of a per-call row, for check_row(). */
	long (*once)(struct node *n);
	/* Results, per node: best and median. */
	double best[NR_NODES], median[NR_NODES];
	int done;
	const char *na;
	/* Per node, instead of na, for a row measured on one node only. */
	const char *na_node[NR_NODES];
	/* MAIN: the main table; DIAG: a micro-variation, for the diagnostics table
	 * (-x); RAW: the raw numbers of a control row, in the CSV only; ARM64: a row
	 * of the arm64 node, measured on kvm-devctl only (best[DEVCTL]) */
	int diag;
	/* The row whose minimum is this per-call row's floor (default "enotty"). */
	const char *floor;
};

/*
 * One iteration of each per-call row is a single system call, "once_<id>",
 * inlined into the loop of "run_<id>", which only compares its return value
 * with the expected one (a compare and a branch); the errno is checked once,
 * before timing, by check_row().
 */
#define CALL_ROW(id, expect, call)					\
static inline long once_##id(struct node *n)				\
{									\
	(void)n;							\
	return (call);							\
}									\
static long run_##id(struct node *n, long iters)			\
{									\
	long bad = 0;							\
									\
	for (long i = 0; i < iters; i++)				\
		bad += once_##id(n) != (expect);			\
	return bad;							\
}

/* Copied back unchanged by both nodes (a test creates nothing). */
static struct kvm_create_device cd_test = {
	.type = KVM_DEV_TYPE_VFIO, .flags = KVM_CREATE_DEVICE_TEST,
};

static pid_t ppid;

CALL_ROW(getppid, ppid, getppid())
CALL_ROW(enotty, -1, ioctl(n->dev, UNKNOWN_IOCTL, 0))
CALL_ROW(has_hit, 0, ioctl(n->dev, KVM_HAS_DEVICE_ATTR, &attr_hit))
CALL_ROW(has_miss, -1, ioctl(n->dev, KVM_HAS_DEVICE_ATTR, &attr_miss))
CALL_ROW(get, -1, ioctl(n->dev, KVM_GET_DEVICE_ATTR, &attr_hit))
CALL_ROW(set, -1, ioctl(n->dev, KVM_SET_DEVICE_ATTR, &attr_set))
CALL_ROW(create_test, 0, ioctl(n->vm, KVM_CREATE_DEVICE, &cd_test))

/* Micro-variations (-x): each removes or adds one step of a row above. */
static const struct kvm_device_attr attr_set_miss = {
	.group = 99, .attr = KVM_DEV_VFIO_FILE_ADD,
};
static const struct kvm_create_device cd_enodev = { .type = KVM_DEV_TYPE_MAX };
static const struct kvm_create_device cd_type0 = { .type = 0 };

CALL_ROW(vm_enotty, -1, ioctl(n->vm, UNKNOWN_IOCTL, 0))
CALL_ROW(vm_cap, 1, ioctl(n->vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL))
CALL_ROW(create_enodev, -1, ioctl(n->vm, KVM_CREATE_DEVICE, &cd_enodev))
CALL_ROW(create_type0, -1, ioctl(n->vm, KVM_CREATE_DEVICE, &cd_type0))
CALL_ROW(set_enxio, -1, ioctl(n->dev, KVM_SET_DEVICE_ATTR, &attr_set_miss))

/* The arm64 rows: registers of vCPU 0 (MPIDR 0) and of the distributor. */
#define ICC_PMR_EL1	((3 << 14) | (0 << 11) | (4 << 7) | (6 << 3) | 0)
#define GICD_TYPER	0x0004

static uint32_t a64_u32;
static uint64_t a64_u64 = 0xf0;
static struct kvm_device_attr attr_a64_typer = {
	.group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS, .attr = GICD_TYPER,
};
static struct kvm_device_attr attr_a64_pmr = {
	.group = KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, .attr = ICC_PMR_EL1,
};

CALL_ROW(a64_enotty, -1, ioctl(n->dev, UNKNOWN_IOCTL, 0))
CALL_ROW(a64_has, 0, ioctl(n->dev, KVM_HAS_DEVICE_ATTR, &attr_a64_typer))
CALL_ROW(a64_get_dist, 0, ioctl(n->dev, KVM_GET_DEVICE_ATTR, &attr_a64_typer))
CALL_ROW(a64_get_sysreg, 0, ioctl(n->dev, KVM_GET_DEVICE_ATTR, &attr_a64_pmr))
CALL_ROW(a64_set_sysreg, 0, ioctl(n->dev, KVM_SET_DEVICE_ATTR, &attr_a64_pmr))

static long run_create_close(struct node *n, long iters)
{
	long bad = 0;

	for (long i = 0; i < iters; i++) {
		int fd = create_vfio(n->vm_empty);

		bad += fd < 0 || close(fd) != 0;
	}
	return bad;
}

static long run_vm_cycle(struct node *n, long iters)
{
	long bad = 0;

	for (long i = 0; i < iters; i++) {
		int vm = ioctl(n->sys, KVM_CREATE_VM, 0);
		int fd = create_vfio(vm);

		bad += vm < 0 || fd < 0;
		bad += close(fd) != 0;
		bad += close(vm) != 0;
	}
	return bad;
}

static struct row rows[] = {
	{ "getppid", "getppid() (syscall floor)", K_TIME, 0, 0, 0,
	  run_getppid, once_getppid },
	{ "enotty", "unknown ioctl on a kvm-vfio fd (ENOTTY floor)", K_TIME, 0, -1, ENOTTY,
	  run_enotty, once_enotty },
	{ "has_hit", "KVM_HAS_DEVICE_ATTR hit (VFIO_FILE/ADD)", K_TIME, 1, 0, 0,
	  run_has_hit, once_has_hit },
	{ "has_miss", "KVM_HAS_DEVICE_ATTR miss (ENXIO)", K_TIME, 1, -1, ENXIO,
	  run_has_miss, once_has_miss },
	{ "get", "KVM_GET_DEVICE_ATTR (EPERM)", K_TIME, 1, -1, EPERM,
	  run_get, once_get },
	{ "set", "KVM_SET_DEVICE_ATTR FILE_ADD fd -1 (EBADF)", K_TIME, 1, -1, EBADF,
	  run_set, once_set },
	{ "create_test", "KVM_CREATE_DEVICE with KVM_CREATE_DEVICE_TEST", K_TIME, 1, 0, 0,
	  run_create_test, once_create_test },
	{ "create_close", "create + close of a kvm-vfio device", K_TIME, 0, 0, 0,
	  run_create_close },
	{ "vm_cycle", "create + destroy of a VM with one kvm-vfio device", K_TIME, 0, 0, 0,
	  run_vm_cycle },
	{ "nth_device", "n-th device in one VM, up to 10,000 (kvm-arm-vgic-its, arm64 node)",
	  K_NA, .na = "not run" },
	{ "tp_1t", "HAS_DEVICE_ATTR, 1 thread", K_THROUGHPUT },
	{ "tp_2t_same", "HAS_DEVICE_ATTR, 2 threads, same device", K_THROUGHPUT },
	{ "tp_2t_two", "HAS_DEVICE_ATTR, 2 threads, two devices (two VMs)", K_THROUGHPUT },
	{ "scale_same", "scaling: 2 threads same device / 1 thread", K_SCALING },
	{ "scale_two", "scaling: 2 threads two devices / 1 thread", K_SCALING },
	{ "scale_ppid", "control: scaling of getppid(), 2 threads / 1 thread", K_SCALING },
	{ "scale_enotty", "control: scaling of the unknown ioctl, 2 threads two devices / 1 thread",
	  K_SCALING },
	{ "tp_ppid_1t", "getppid(), 1 thread", K_THROUGHPUT, .diag = RAW },
	{ "tp_ppid_2t", "getppid(), 2 threads", K_THROUGHPUT, .diag = RAW },
	{ "tp_enotty_1t", "unknown ioctl, 1 thread", K_THROUGHPUT, .diag = RAW },
	{ "tp_enotty_2t", "unknown ioctl, 2 threads two devices", K_THROUGHPUT, .diag = RAW },
	{ "mem_slab", "memory per VM with one device: Slab", K_MEMORY },
	{ "mem_avail", "memory per VM with one device: MemAvailable", K_MEMORY },
	{ "mem_free_pcp", "memory per VM with one device: free pages incl. per-CPU lists",
	  K_MEMORY },
	/* The arm64 node. */
	{ "a64_enotty", "unknown ioctl on a kvm-arm-vgic-v3 fd (ENOTTY floor)", K_TIME, 0, -1,
	  ENOTTY, run_a64_enotty, once_a64_enotty, .diag = ARM64 },
	{ "a64_has", "KVM_HAS_DEVICE_ATTR GICD_TYPER (DIST_REGS)", K_TIME, 1, 0, 0,
	  run_a64_has, once_a64_has, .diag = ARM64, .floor = "a64_enotty" },
	{ "a64_get_dist", "KVM_GET_DEVICE_ATTR GICD_TYPER (DIST_REGS, u32)", K_TIME, 1, 0, 0,
	  run_a64_get_dist, once_a64_get_dist, .diag = ARM64, .floor = "a64_enotty" },
	{ "a64_get_sysreg", "KVM_GET_DEVICE_ATTR ICC_PMR_EL1 (CPU_SYSREGS, u64)", K_TIME, 1, 0,
	  0, run_a64_get_sysreg, once_a64_get_sysreg, .diag = ARM64, .floor = "a64_enotty" },
	{ "a64_set_sysreg", "KVM_SET_DEVICE_ATTR ICC_PMR_EL1 (CPU_SYSREGS, u64)", K_TIME, 1, 0,
	  0, run_a64_set_sysreg, once_a64_set_sysreg, .diag = ARM64, .floor = "a64_enotty" },
	{ "a64_nth_first", "create the n-th kvm-arm-vgic-its, n = 1..100", K_TIME,
	  .diag = ARM64 },
	{ "a64_nth_mid", "create the n-th kvm-arm-vgic-its, n = 1,001..1,100", K_TIME,
	  .diag = ARM64 },
	{ "a64_nth_last", "create the n-th kvm-arm-vgic-its, n = 9,901..10,000", K_TIME,
	  .diag = ARM64 },
	{ "a64_mem_slab", "memory per kvm-arm-vgic-its: Slab", K_MEMORY, .diag = ARM64 },
	{ "a64_mem_free_pcp", "memory per kvm-arm-vgic-its: free pages incl. per-CPU lists",
	  K_MEMORY, .diag = ARM64 },
	/* Diagnostics (-x). */
	{ "vm_enotty", "unknown ioctl on a VM fd (ENOTTY)", K_TIME, 0, -1, ENOTTY,
	  run_vm_enotty, once_vm_enotty, .diag = DIAG },
	{ "vm_cap", "KVM_CHECK_EXTENSION(DEVICE_CTRL) on a VM fd", K_TIME, 0, 1, 0,
	  run_vm_cap, once_vm_cap, .diag = DIAG },
	{ "create_enodev", "KVM_CREATE_DEVICE type KVM_DEV_TYPE_MAX (ENODEV)", K_TIME, 0, -1,
	  ENODEV, run_create_enodev, once_create_enodev, .diag = DIAG },
	{ "create_type0", "KVM_CREATE_DEVICE type 0, unregistered (ENODEV)", K_TIME, 0, -1,
	  ENODEV, run_create_type0, once_create_type0, .diag = DIAG },
	{ "set_enxio", "KVM_SET_DEVICE_ATTR group 99 (ENXIO)", K_TIME, 0, -1, ENXIO,
	  run_set_enxio, once_set_enxio, .diag = DIAG },
};

#define NR_ROWS (sizeof(rows) / sizeof(rows[0]))

static struct row *row_by_id(const char *id)
{
	for (size_t i = 0; i < NR_ROWS; i++)
		if (!strcmp(rows[i].id, id))
			return &rows[i];
	die("no row %s", id);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(double *v, int n)
{
	double s[n];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double min_of(double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static double max_of(double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* Checks that one call of a per-call row answers as expected on n. */
static void check_row(struct row *r, struct node *n)
{
	long ret;
	int err;

	errno = 0;
	ret = r->once(n);
	err = ret == -1 ? errno : 0;
	if (ret != r->expect_ret || err != r->expect_errno)
		die("%s on %s: ret %ld errno %d, expected ret %d errno %d", r->id, n->name, ret,
		    err, r->expect_ret, r->expect_errno);
}

/* ns per iteration of one repetition of iters iterations. */
static double time_once(struct row *r, struct node *n, long iters)
{
	uint64_t t0 = now_ns();
	long bad = r->run(n, iters);
	uint64_t t1 = now_ns();

	if (bad)
		die("%s on %s: %ld of %ld iterations went wrong", r->id, n->name, bad, iters);
	return (double)(t1 - t0) / iters;
}

/* How many iterations make a repetition of about target_ms on n. */
static long calibrate(struct row *r, struct node *n, long min_iters, long max_iters)
{
	long iters = 1;
	double ns;

	/* Warm up, then grow until a trial takes 2 ms. */
	for (;;) {
		ns = time_once(r, n, iters);
		if (ns * iters >= 2e6 || iters >= max_iters)
			break;
		iters *= 4;
	}
	iters = (long)(target_ms * 1e6 / ns);
	if (iters < min_iters)
		iters = min_iters;
	if (iters > max_iters)
		iters = max_iters;
	return iters;
}

/* The node a row runs on as its node k; NULL if the row has no node k. */
static struct node *row_node(const struct row *r, int k)
{
	if (r->diag == ARM64)
		return k == DEVCTL ? &arm64 : NULL;
	return &nodes[k];
}

static void time_row(struct row *r, long min_iters, long max_iters)
{
	double v[NR_NODES][MAX_REPS];
	long iters[NR_NODES];

	if (r->diag == ARM64) {
		for (int i = 0; i < reps; i++)
			v[KVM][i] = NAN;
		iters[KVM] = 0;
		r->na_node[KVM] = "n/a (no VGIC in x86 KVM)";
	}
	for (int k = 0; k < NR_NODES; k++) {
		if (!row_node(r, k))
			continue;
		if (r->once)
			check_row(r, row_node(r, k));
		iters[k] = calibrate(r, row_node(r, k), min_iters, max_iters);
	}
	progress("%-12s iterations: kvm-devctl %ld, KVM %ld", r->id, iters[DEVCTL], iters[KVM]);
	for (int i = 0; i < reps; i++) {
		/* Alternate which node goes first. */
		for (int j = 0; j < NR_NODES; j++) {
			int k = (i + j) % NR_NODES;

			if (row_node(r, k))
				v[k][i] = time_once(r, row_node(r, k), iters[k]);
		}
	}
	for (int k = 0; k < NR_NODES; k++) {
		r->best[k] = min_of(v[k], reps);
		r->median[k] = median_of(v[k], reps);
	}
	r->done = 1;
	progress("%-12s min ns: kvm-devctl %.0f, KVM %.0f", r->id, r->best[DEVCTL], r->best[KVM]);
}

/*
 * Marker mode (-m ITERS), for the instruction-counting TCG plugin
 * (tools/bench/insn_plugin.c): every timed row, the diagnostics included,
 * runs ITERS iterations per node (a hundredth for the rows that create), three
 * times, each run between two marker instructions. The order of the runs is
 * printed as "insn-phase <row> <node> <iters>" lines, after one
 * "insn-row <row> <per_call> <label>" line per row. The marker is a multi-byte
 * NOP that nothing else contains, nopl 0x4b56444d(%rax); the plugin reports
 * its counters at each one. Nothing is timed.
 */
static inline void marker(void)
{
	asm volatile(".byte 0x0f, 0x1f, 0x80, 0x4d, 0x44, 0x56, 0x4b" ::: "memory");
}

static void marker_mode(void)
{
	for (size_t i = 0; i < NR_ROWS; i++) {
		struct row *r = &rows[i];
		long iters = marker_iters;

		if (r->kind != K_TIME || r->diag == ARM64)
			continue;
		if (!strcmp(r->id, "create_close") || !strcmp(r->id, "vm_cycle"))
			iters = iters / 100 > 0 ? iters / 100 : 1;
		printf("insn-row %s %d %s%s\n", r->id, r->per_call, r->label,
		       r->diag == DIAG ? " [diagnostic]" : "");
		for (int k = 0; k < NR_NODES; k++) {
			if (r->once)
				check_row(r, &nodes[k]);
			r->run(&nodes[k], iters);	/* warm up */
			for (int rep = 0; rep < 3; rep++) {
				long bad;

				marker();
				bad = r->run(&nodes[k], iters);
				marker();
				if (bad)
					die("%s on %s: %ld iterations went wrong", r->id,
					    nodes[k].name, bad);
				printf("insn-phase %s %s %ld\n", r->id, k == DEVCTL ? "devctl" : "kvm",
				       iters);
			}
		}
	}
}

/* ---- concurrency --------------------------------------------------------- */

enum { OP_GETPPID, OP_HAS, OP_ENOTTY };

struct worker {
	pthread_t thread;
	int cpu;
	int op;		/* OP_* */
	int fd;
	long iters;
	pthread_barrier_t *barrier;
	uint64_t start, end;
	long bad;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	long bad = 0;

	pin_to(w->cpu);
	pthread_barrier_wait(w->barrier);
	w->start = now_ns();
	switch (w->op) {
	case OP_GETPPID:
		for (long i = 0; i < w->iters; i++)
			bad += getppid() != ppid;
		break;
	case OP_HAS:
		for (long i = 0; i < w->iters; i++)
			bad += ioctl(w->fd, KVM_HAS_DEVICE_ATTR, &attr_hit) != 0;
		break;
	case OP_ENOTTY:
		for (long i = 0; i < w->iters; i++)
			bad += ioctl(w->fd, UNKNOWN_IOCTL, 0) != -1;
		break;
	}
	w->end = now_ns();
	w->bad = bad;
	return NULL;
}

/*
 * ops/s of nthreads threads, thread i pinned to CPU i and calling op on
 * fds[i], from the first start to the last end. The
 * single-thread case also runs in a new thread while the main thread waits,
 * so that every case has at least two threads in the process: the file
 * table is shared, so fdget() takes a file reference in all of them.
 */
static double throughput_once(int nthreads, int op, const int *fds, long iters)
{
	struct worker w[2];
	pthread_barrier_t barrier;
	uint64_t start = UINT64_MAX, end = 0;

	pthread_barrier_init(&barrier, NULL, nthreads);
	for (int i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .cpu = i, .op = op, .fd = fds[i], .iters = iters,
					.barrier = &barrier };
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			die("pthread_create");
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].bad)
			die("a thread's call failed %ld times", w[i].bad);
		if (w[i].start < start)
			start = w[i].start;
		if (w[i].end > end)
			end = w[i].end;
	}
	pthread_barrier_destroy(&barrier);
	return (double)nthreads * iters * 1e9 / (double)(end - start);
}

/*
 * The throughput cases: HAS_DEVICE_ATTR in 1 thread, in 2 threads on one
 * device, in 2 threads on two devices (two VMs); and two controls: getppid(),
 * which involves neither node, and the unknown ioctl, which reaches the
 * node's device ioctl handler and no further, in 1 thread and in 2 threads
 * on two devices. The controls show how much two threads can gain at all in
 * this guest on this host at the time.
 */
enum { TP_1T, TP_2T_SAME, TP_2T_TWO, TP_PPID_1T, TP_PPID_2T, TP_ENOTTY_1T, TP_ENOTTY_2T, NR_TP };

static void concurrency(void)
{
	static const char *const tp_ids[NR_TP] = {
		"tp_1t", "tp_2t_same", "tp_2t_two", "tp_ppid_1t", "tp_ppid_2t", "tp_enotty_1t",
		"tp_enotty_2t",
	};
	/* scaling row, numerator case, denominator case */
	static const struct { const char *id; int num, den; } sc_def[] = {
		{ "scale_same", TP_2T_SAME, TP_1T },
		{ "scale_two", TP_2T_TWO, TP_1T },
		{ "scale_ppid", TP_PPID_2T, TP_PPID_1T },
		{ "scale_enotty", TP_ENOTTY_2T, TP_ENOTTY_1T },
	};
	struct row *tp[NR_TP];
	double v[NR_TP][NR_NODES][MAX_REPS];
	long iters[NR_NODES];

	for (int t = 0; t < NR_TP; t++)
		tp[t] = row_by_id(tp_ids[t]);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		for (int t = 0; t < NR_TP; t++)
			tp[t]->na = "n/a (fewer than 2 CPUs)";
		for (size_t s = 0; s < sizeof(sc_def) / sizeof(sc_def[0]); s++)
			row_by_id(sc_def[s].id)->na = "n/a (fewer than 2 CPUs)";
		return;
	}
	/* Per thread, as many iterations as one target repetition of has_hit. */
	for (int k = 0; k < NR_NODES; k++) {
		double ns = row_by_id("has_hit")->best[k];

		iters[k] = (long)(target_ms * 1e6 / (ns > 0 ? ns : 1000));
	}
	progress("threads      iterations per thread: kvm-devctl %ld, KVM %ld", iters[DEVCTL],
		 iters[KVM]);
	for (int k = 0; k < NR_NODES; k++)	/* warm up the threads */
		throughput_once(2, OP_HAS, (int[]){ nodes[k].dev, nodes[k].dev2 }, 1000);
	for (int i = 0; i < reps; i++) {
		for (int j = 0; j < NR_NODES; j++) {
			int k = (i + j) % NR_NODES;
			struct node *n = &nodes[k];
			long it = iters[k];

			v[TP_1T][k][i] = throughput_once(1, OP_HAS, (int[]){ n->dev }, it);
			v[TP_2T_SAME][k][i] = throughput_once(2, OP_HAS, (int[]){ n->dev, n->dev },
							      it);
			v[TP_2T_TWO][k][i] = throughput_once(2, OP_HAS, (int[]){ n->dev, n->dev2 },
							     it);
			v[TP_PPID_1T][k][i] = throughput_once(1, OP_GETPPID, (int[]){ -1 }, it);
			v[TP_PPID_2T][k][i] = throughput_once(2, OP_GETPPID, (int[]){ -1, -1 }, it);
			v[TP_ENOTTY_1T][k][i] = throughput_once(1, OP_ENOTTY, (int[]){ n->dev }, it);
			v[TP_ENOTTY_2T][k][i] = throughput_once(2, OP_ENOTTY,
								(int[]){ n->dev, n->dev2 }, it);
		}
	}
	for (int t = 0; t < NR_TP; t++) {
		for (int k = 0; k < NR_NODES; k++) {
			tp[t]->best[k] = max_of(v[t][k], reps);
			tp[t]->median[k] = median_of(v[t][k], reps);
		}
		tp[t]->done = 1;
	}
	for (size_t s = 0; s < sizeof(sc_def) / sizeof(sc_def[0]); s++) {
		struct row *r = row_by_id(sc_def[s].id);
		int num = sc_def[s].num, den = sc_def[s].den;

		for (int k = 0; k < NR_NODES; k++) {
			double q[MAX_REPS];

			/* Per repetition: the two cases ran back to back. */
			for (int i = 0; i < reps; i++)
				q[i] = v[num][k][i] / v[den][k][i];
			r->best[k] = tp[num]->best[k] / tp[den]->best[k];
			r->median[k] = median_of(q, reps);
		}
		r->done = 1;
	}
	progress("threads      2 threads two devices / 1 thread: kvm-devctl %.2f, KVM %.2f; "
		 "controls: getppid %.2f, %.2f, unknown ioctl %.2f, %.2f",
		 row_by_id("scale_two")->best[DEVCTL], row_by_id("scale_two")->best[KVM],
		 row_by_id("scale_ppid")->best[DEVCTL], row_by_id("scale_ppid")->best[KVM],
		 row_by_id("scale_enotty")->best[DEVCTL], row_by_id("scale_enotty")->best[KVM]);
}

/* ---- memory -------------------------------------------------------------- */

/*
 * Folds the per-CPU vmstat deltas into the global counters, which
 * /proc/meminfo reads: without it, changes below the per-CPU threshold are
 * invisible for up to vm.stat_interval (1 s).
 */
static void stat_refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	/* It may answer EINVAL when some counter is transiently negative. */
	if (fd < 0 || (write(fd, "1", 1) < 0 && errno != EINVAL))
		die("/proc/sys/vm/stat_refresh");
	close(fd);
}

/* Reads one /proc/meminfo field, in kB. */
static long meminfo(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	if (v < 0)
		die("/proc/meminfo: no %s", field);
	return v;
}

/*
 * Free pages in kB, counting those on the per-CPU page lists: MemFree and
 * MemAvailable count a page on a per-CPU list as used, so an allocation
 * served from such a list, or a free that lands on one, does not show in
 * them. /proc/zoneinfo gives each zone's "nr_free_pages" and, per CPU,
 * the "count" of its list.
 */
static long free_with_pcp(void)
{
	char line[256];
	long pages = 0, v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		die("/proc/zoneinfo");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " nr_free_pages %ld", &v) == 1 ||
		    sscanf(line, " count: %ld", &v) == 1)
			pages += v;
	}
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

struct closer {
	pthread_t thread;
	int *fds;
	int n;
};

static void *closer_main(void *arg)
{
	struct closer *c = arg;

	for (int i = 0; i < c->n; i++)
		close(c->fds[i]);
	return NULL;
}

/*
 * Closes fds from 16 threads: each kvm-vfio release in KVM waits for an RCU
 * grace period, which the threads then share.
 */
static void close_all(int *fds, int n)
{
	enum { NR_CLOSERS = 16 };
	struct closer c[NR_CLOSERS];
	int per = (n + NR_CLOSERS - 1) / NR_CLOSERS;

	for (int t = 0; t < NR_CLOSERS; t++) {
		int from = t * per < n ? t * per : n;
		int to = from + per < n ? from + per : n;

		c[t] = (struct closer){ .fds = fds + from, .n = to - from };
		if (pthread_create(&c[t].thread, NULL, closer_main, &c[t]))
			die("pthread_create");
	}
	for (int t = 0; t < NR_CLOSERS; t++)
		pthread_join(c[t].thread, NULL);
}

enum { MEM_SLAB, MEM_AVAIL, MEM_FREE_PCP, NR_MEM };

static void memory(void)
{
	static const char *const ids[NR_MEM] = { "mem_slab", "mem_avail", "mem_free_pcp" };
	double v[NR_MEM][NR_NODES][MAX_REPS];
	int *vms = calloc(mem_vms, sizeof(int)), *devs = calloc(mem_vms, sizeof(int));
	int mreps = reps < 3 ? reps : 3;

	if (!vms || !devs)
		die("calloc");
	for (int i = 0; i < mreps; i++) {
		for (int j = 0; j < NR_NODES; j++) {
			int k = (i + j) % NR_NODES;
			struct node *n = &nodes[k];
			long before[NR_MEM], after[NR_MEM];

			usleep(500000);	/* let deferred frees of the last round finish */
			stat_refresh();
			before[MEM_SLAB] = meminfo("Slab");
			before[MEM_AVAIL] = meminfo("MemAvailable");
			before[MEM_FREE_PCP] = free_with_pcp();
			for (int x = 0; x < mem_vms; x++) {
				vms[x] = ioctl(n->sys, KVM_CREATE_VM, 0);
				if (vms[x] < 0)
					die("%s: KVM_CREATE_VM %d of %d", n->name, x, mem_vms);
				devs[x] = create_vfio(vms[x]);
				if (devs[x] < 0)
					die("%s: KVM_CREATE_DEVICE %d of %d", n->name, x, mem_vms);
			}
			stat_refresh();
			after[MEM_SLAB] = meminfo("Slab");
			after[MEM_AVAIL] = meminfo("MemAvailable");
			after[MEM_FREE_PCP] = free_with_pcp();
			/* bytes per VM: Slab grows, the others shrink */
			v[MEM_SLAB][k][i] = (after[MEM_SLAB] - before[MEM_SLAB]) * 1024.0 / mem_vms;
			for (int m = MEM_AVAIL; m < NR_MEM; m++)
				v[m][k][i] = (before[m] - after[m]) * 1024.0 / mem_vms;
			close_all(devs, mem_vms);
			close_all(vms, mem_vms);
		}
	}
	for (int m = 0; m < NR_MEM; m++) {
		struct row *r = row_by_id(ids[m]);

		for (int k = 0; k < NR_NODES; k++) {
			r->best[k] = min_of(v[m][k], mreps);
			r->median[k] = median_of(v[m][k], mreps);
		}
		r->done = 1;
	}
	free(vms);
	free(devs);
	progress("memory       bytes per VM, Slab: kvm-devctl %.0f, KVM %.0f; free pages: "
		 "kvm-devctl %.0f, KVM %.0f", row_by_id("mem_slab")->best[DEVCTL],
		 row_by_id("mem_slab")->best[KVM], row_by_id("mem_free_pcp")->best[DEVCTL],
		 row_by_id("mem_free_pcp")->best[KVM]);
}

/* ---- the arm64 node ------------------------------------------------------ */

/*
 * Opens the arm64 node and sets up what its rows need: a VM with vCPU 0,
 * initialised, and a GICv3 placed as QEMU's virt board places it, with 64
 * interrupts, initialised (registers answer EBUSY before). Returns false,
 * with arm64_na set, if the node or a device type is missing.
 */
static bool arm64_open(void)
{
	struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	struct kvm_create_device its = {
		.type = KVM_DEV_TYPE_ARM_VGIC_ITS, .flags = KVM_CREATE_DEVICE_TEST,
	};
	uint64_t dist = 0x08000000, redist = 0x080a0000;
	uint32_t nr_irqs = 64;
	struct kvm_device_attr a_dist = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_DIST,
		.addr = (uintptr_t)&dist,
	};
	struct kvm_device_attr a_redist = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_REDIST,
		.addr = (uintptr_t)&redist,
	};
	struct kvm_device_attr a_nr = {
		.group = KVM_DEV_ARM_VGIC_GRP_NR_IRQS, .addr = (uintptr_t)&nr_irqs,
	};
	struct kvm_device_attr a_init = {
		.group = KVM_DEV_ARM_VGIC_GRP_CTRL, .attr = KVM_DEV_ARM_VGIC_CTRL_INIT,
	};
	struct kvm_vcpu_init init;
	int vcpu;

	arm64.sys = open(arm64.path, O_RDWR | O_CLOEXEC);
	if (arm64.sys < 0) {
		arm64_na = "n/a (no /dev/kvm-devctl-arm64)";
		return false;
	}
	arm64.vm = ioctl(arm64.sys, KVM_CREATE_VM, 0);
	vcpu = ioctl(arm64.vm, KVM_CREATE_VCPU, 0);
	if (arm64.vm < 0 || vcpu < 0 || ioctl(arm64.vm, KVM_ARM_PREFERRED_TARGET, &init) ||
	    ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		die("arm64: VM and vCPU 0");
	if (ioctl(arm64.vm, KVM_CREATE_DEVICE, &gic)) {
		arm64_na = "n/a (no kvm-arm-vgic-v3)";
		return false;
	}
	arm64.dev = gic.fd;
	if (ioctl(arm64.dev, KVM_SET_DEVICE_ATTR, &a_dist) ||
	    ioctl(arm64.dev, KVM_SET_DEVICE_ATTR, &a_redist) ||
	    ioctl(arm64.dev, KVM_SET_DEVICE_ATTR, &a_nr) ||
	    ioctl(arm64.dev, KVM_SET_DEVICE_ATTR, &a_init))
		die("arm64: GICv3 set-up");
	attr_a64_typer.addr = (uintptr_t)&a64_u32;
	attr_a64_pmr.addr = (uintptr_t)&a64_u64;
	if (ioctl(arm64.vm, KVM_CREATE_DEVICE, &its))
		arm64_na = "n/a (no kvm-arm-vgic-its)";
	return true;
}

/*
 * The n-th device in one VM: a fresh VM of the arm64 node gets SCALE_DEVICES
 * kvm-arm-vgic-its devices (a VM may have any number), each creation timed on
 * its own; three repetitions. The rows take three windows of SCALE_WINDOW
 * creations: min and median over the window and the repetitions. The first
 * repetition also measures the memory per device, as memory() does per VM.
 */
#define SCALE_DEVICES 10000
#define SCALE_WINDOW 100
#define SCALE_REPS 3

static void scale(void)
{
	static const struct { const char *id; int from; } win[] = {
		{ "a64_nth_first", 0 }, { "a64_nth_mid", 1000 },
		{ "a64_nth_last", SCALE_DEVICES - SCALE_WINDOW },
	};
	static double t[SCALE_REPS][SCALE_DEVICES];
	static int fds[SCALE_DEVICES];
	struct row *nth = row_by_id("nth_device");
	static char text[128];

	if (arm64_na) {
		nth->na = arm64_na;
		return;
	}
	for (int rep = 0; rep < SCALE_REPS; rep++) {
		long slab = 0, free_pcp = 0;
		int vm = ioctl(arm64.sys, KVM_CREATE_VM, 0);

		if (vm < 0)
			die("arm64: KVM_CREATE_VM");
		if (rep == 0) {
			usleep(500000);
			stat_refresh();
			slab = meminfo("Slab");
			free_pcp = free_with_pcp();
		}
		for (int i = 0; i < SCALE_DEVICES; i++) {
			struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_ITS };
			uint64_t t0 = now_ns();

			if (ioctl(vm, KVM_CREATE_DEVICE, &cd))
				die("arm64: kvm-arm-vgic-its %d of %d", i + 1, SCALE_DEVICES);
			t[rep][i] = now_ns() - t0;
			fds[i] = cd.fd;
		}
		if (rep == 0) {
			struct row *ms = row_by_id("a64_mem_slab"), *mf = row_by_id("a64_mem_free_pcp");

			stat_refresh();
			ms->best[DEVCTL] = ms->median[DEVCTL] =
				(meminfo("Slab") - slab) * 1024.0 / SCALE_DEVICES;
			mf->best[DEVCTL] = mf->median[DEVCTL] =
				(free_pcp - free_with_pcp()) * 1024.0 / SCALE_DEVICES;
			ms->best[KVM] = mf->best[KVM] = NAN;
			ms->na_node[KVM] = mf->na_node[KVM] = "n/a (no ITS in x86 KVM)";
			ms->done = mf->done = 1;
		}
		close_all(fds, SCALE_DEVICES);
		close(vm);
	}
	for (size_t w = 0; w < sizeof(win) / sizeof(win[0]); w++) {
		struct row *r = row_by_id(win[w].id);
		double v[SCALE_REPS * SCALE_WINDOW];

		for (int rep = 0; rep < SCALE_REPS; rep++)
			memcpy(v + rep * SCALE_WINDOW, t[rep] + win[w].from, sizeof(double) * SCALE_WINDOW);
		r->best[DEVCTL] = min_of(v, SCALE_REPS * SCALE_WINDOW);
		r->median[DEVCTL] = median_of(v, SCALE_REPS * SCALE_WINDOW);
		r->best[KVM] = NAN;
		r->na_node[KVM] = "n/a (no ITS in x86 KVM)";
		r->done = 1;
	}
	snprintf(text, sizeof(text), "n = 9,901..10,000 / n = 1..100: %.2f (min), %.2f (median)",
		 row_by_id("a64_nth_last")->best[DEVCTL] / row_by_id("a64_nth_first")->best[DEVCTL],
		 row_by_id("a64_nth_last")->median[DEVCTL] /
		 row_by_id("a64_nth_first")->median[DEVCTL]);
	nth->na = NULL;
	nth->na_node[DEVCTL] = text;
	nth->na_node[KVM] = "n/a (x86 KVM has no type a VM may have many of)";
	progress("scale        n-th kvm-arm-vgic-its, min ns: n = 1..100 %.0f, 9,901..10,000 %.0f",
		 row_by_id("a64_nth_first")->best[DEVCTL], row_by_id("a64_nth_last")->best[DEVCTL]);
}

/* ---- output -------------------------------------------------------------- */

/* kvm-devctl / KVM, so that < 1.00 always means kvm-devctl is better. */
static double ratio(const struct row *r)
{
	switch (r->kind) {
	case K_THROUGHPUT:
	case K_SCALING:
		return r->best[KVM] / r->best[DEVCTL];
	default:
		return r->best[DEVCTL] / r->best[KVM];
	}
}

/* Two decimals, or a fraction when tiny: "0.00089 (1/1122)". */
static const char *fmt_ratio(double q)
{
	static char buf[4][40];
	static int i;
	char *b = buf[i++ % 4];

	if (q > 0 && q < 0.1)
		snprintf(b, sizeof(buf[0]), "%.2g (1/%.0f)", q, 1 / q);
	else
		snprintf(b, sizeof(buf[0]), "%.2f", q);
	return b;
}

static const char *unit(const struct row *r)
{
	switch (r->kind) {
	case K_TIME: return "ns/op";
	case K_THROUGHPUT: return "ops/s";
	case K_SCALING: return "x";
	case K_MEMORY: return "KiB/VM";
	default: return "";
	}
}

static void fmt_value(char *buf, size_t len, const struct row *r, double v)
{
	switch (r->kind) {
	case K_SCALING:
		snprintf(buf, len, "%.2f", v);
		break;
	case K_MEMORY:
		snprintf(buf, len, "%.1f", v / 1024);
		break;
	default:
		snprintf(buf, len, "%.0f", v);
	}
}

static double floor_over(const struct row *r, int k)
{
	return r->best[k] - row_by_id(r->floor ? r->floor : "enotty")->best[k];
}

/*
 * How disturbed the run was: the geometric mean, over the timed rows of the
 * main table, of median / minimum. A quiet machine gives about 1.0.
 */
static void print_stability(void)
{
	for (int k = 0; k < NR_NODES; k++) {
		double sum = 0;
		int n = 0;

		for (size_t i = 0; i < NR_ROWS; i++) {
			struct row *r = &rows[i];

			if (r->kind == K_TIME && r->diag == MAIN && r->done && r->best[k] > 0) {
				sum += log(r->median[k] / r->best[k]);
				n++;
			}
		}
		printf("%s %s %.2f", k ? "," : "Stability (geometric mean of median / min over the "
		       "timed rows; about 1.0 on a quiet machine):", nodes[k].name,
		       n ? exp(sum / n) : 0.0);
	}
	printf(".\n\n");
}

/* What a row that was not measured on node k shows there. */
static const char *na_text(const struct row *r, int k)
{
	return r->na_node[k] ? r->na_node[k] : r->na ? r->na : "not run";
}

static void print_table(void)
{
	printf("| benchmark | unit | kvm-devctl min | kvm-devctl median | KVM min | KVM median "
	       "| ratio devctl/KVM | devctl above ENOTTY | KVM above ENOTTY |\n");
	printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < NR_ROWS; i++) {
		struct row *r = &rows[i];
		char b[NR_NODES][32], m[NR_NODES][32];

		if (r->diag)
			continue;
		if (r->na || r->na_node[DEVCTL] || !r->done) {
			printf("| %s | | %s | | %s | | | | |\n", r->label, na_text(r, DEVCTL),
			       na_text(r, KVM));
			continue;
		}
		for (int k = 0; k < NR_NODES; k++) {
			fmt_value(b[k], sizeof(b[k]), r, r->best[k]);
			fmt_value(m[k], sizeof(m[k]), r, r->median[k]);
		}
		printf("| %s | %s | %s | %s | %s | %s | %s |", r->label, unit(r), b[DEVCTL],
		       m[DEVCTL], b[KVM], m[KVM], fmt_ratio(ratio(r)));
		if (r->per_call)
			printf(" %.0f | %.0f |\n", floor_over(r, DEVCTL), floor_over(r, KVM));
		else
			printf(" | |\n");
	}
}

/* The rows of the arm64 node, kvm-devctl only. */
static void print_arm64(void)
{
	printf("\nThe arm64 node, kvm-devctl only (x86 KVM has no VGIC, and no device type of "
	       "which a VM may have many):\n\n");
	printf("| benchmark | unit | kvm-devctl min | kvm-devctl median | above the fd's ENOTTY |\n");
	printf("| --- | --- | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < NR_ROWS; i++) {
		struct row *r = &rows[i];

		if (r->diag != ARM64)
			continue;
		if (!r->done) {
			printf("| %s | | %s | | |\n", r->label, arm64_na ? arm64_na : "not run");
			continue;
		}
		if (r->kind == K_MEMORY)
			printf("| %s | B/device | %.0f | %.0f | |\n", r->label, r->best[DEVCTL],
			       r->median[DEVCTL]);
		else if (r->per_call)
			printf("| %s | ns/op | %.0f | %.0f | %.0f |\n", r->label, r->best[DEVCTL],
			       r->median[DEVCTL], floor_over(r, DEVCTL));
		else
			printf("| %s | ns/op | %.0f | %.0f | |\n", r->label, r->best[DEVCTL],
			       r->median[DEVCTL]);
	}
}

/* The micro-variations, each against the row it varies (its reference). */
static void print_diag(void)
{
	static const char *const pairs[][2] = {
		{ "enotty", "getppid" },
		{ "vm_enotty", "getppid" },
		{ "vm_cap", "vm_enotty" },
		{ "create_enodev", "vm_enotty" },
		{ "create_type0", "vm_enotty" },
		{ "create_test", "vm_enotty" },
		{ "has_hit", "enotty" },
		{ "set_enxio", "enotty" },
		{ "set", "set_enxio" },
	};

	printf("\nDiagnostics (micro-variations; min ns/op, and the difference from a "
	       "reference row):\n\n");
	printf("| benchmark | kvm-devctl min | KVM min | ratio devctl/KVM | reference "
	       "| devctl above reference | KVM above reference |\n");
	printf("| --- | ---: | ---: | ---: | --- | ---: | ---: |\n");
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct row *r = row_by_id(pairs[i][0]), *ref = row_by_id(pairs[i][1]);

		if (!r->done || !ref->done)
			continue;
		printf("| %s | %.0f | %.0f | %s | %s | %.0f | %.0f |\n", r->label,
		       r->best[DEVCTL], r->best[KVM], fmt_ratio(ratio(r)), ref->id,
		       r->best[DEVCTL] - ref->best[DEVCTL], r->best[KVM] - ref->best[KVM]);
	}
}

/*
 * csv,table,id,label,kind,unit,devctl_best,devctl_median,kvm_best,kvm_median,ratio,
 * devctl_above_enotty,kvm_above_enotty: one line per row, empty fields where
 * not applicable; table is "main", "diag" (the diagnostics table) or "raw" (the
 * raw numbers behind a control row); the label is quoted.
 */
static void print_csv(void)
{
	static const char *const kinds[] = {
		[K_TIME] = "time", [K_THROUGHPUT] = "throughput", [K_SCALING] = "scaling",
		[K_MEMORY] = "memory", [K_NA] = "na",
	};

	printf("csv,table,id,label,kind,unit,devctl_best,devctl_median,kvm_best,kvm_median,"
	       "ratio,devctl_above_enotty,kvm_above_enotty\n");
	for (size_t i = 0; i < NR_ROWS; i++) {
		struct row *r = &rows[i];
		double scale = r->kind == K_MEMORY ? 1.0 / 1024 : 1.0;
		const char *table = r->diag == DIAG ? "diag" : r->diag == RAW ? "raw" :
				    r->diag == ARM64 ? "arm64" : "main";

		if (r->na || r->na_node[DEVCTL] || !r->done) {
			if (!r->diag)
				printf("csv,%s,%s,\"%s\",na,,,,,,,,\n", table, r->id, r->label);
			continue;
		}
		if (r->diag == ARM64) {
			printf("csv,%s,%s,\"%s\",%s,%s,%.3f,%.3f,,,,", table, r->id, r->label,
			       kinds[r->kind], r->kind == K_MEMORY ? "B/device" : unit(r),
			       r->best[DEVCTL], r->median[DEVCTL]);
			if (r->per_call)
				printf("%.1f,\n", floor_over(r, DEVCTL));
			else
				printf(",\n");
			continue;
		}
		printf("csv,%s,%s,\"%s\",%s,%s,%.3f,%.3f,%.3f,%.3f,%.6g,", table, r->id, r->label,
		       kinds[r->kind], unit(r), r->best[DEVCTL] * scale, r->median[DEVCTL] * scale,
		       r->best[KVM] * scale, r->median[KVM] * scale, ratio(r));
		if (r->per_call)
			printf("%.1f,%.1f\n", floor_over(r, DEVCTL), floor_over(r, KVM));
		else
			printf(",\n");
	}
}

/*
 * The targets of the issue, judged on the numbers as the table prints them
 * (ratios to two decimals, nanoseconds to the unit): a difference the
 * table does not show is not a miss. One line per target; a missed one
 * names the rows that miss it.
 */
static void print_targets(void)
{
	char ratio_miss[512] = "", over_miss[512] = "";
	struct row *cc = row_by_id("create_close"), *s2 = row_by_id("scale_two");
	struct row *e = row_by_id("enotty");
	struct row *first = row_by_id("a64_nth_first"), *last = row_by_id("a64_nth_last");

	for (size_t i = 0; i < NR_ROWS; i++) {
		struct row *r = &rows[i];
		size_t len;

		if (!r->per_call || !r->done || r->diag != MAIN)
			continue;
		if (round(ratio(r) * 100) > 100) {
			len = strlen(ratio_miss);
			snprintf(ratio_miss + len, sizeof(ratio_miss) - len, "%s %s %.2f",
				 len ? "," : "", r->id, ratio(r));
		}
		if (round(floor_over(r, DEVCTL)) > round(floor_over(r, KVM))) {
			len = strlen(over_miss);
			snprintf(over_miss + len, sizeof(over_miss) - len, "%s %s %.0f vs %.0f ns",
				 len ? "," : "", r->id, floor_over(r, DEVCTL), floor_over(r, KVM));
		}
	}
	printf("\nTargets, judged on the table above:\n\n");
	printf("- every per-call ioctl row ratio <= 1.00: %s%s\n",
	       *ratio_miss ? "MISSED by" : "met", ratio_miss);
	printf("- kvm-devctl's overhead above the ENOTTY floor <= KVM's: %s%s\n",
	       *over_miss ? "MISSED by" : "met", over_miss);
	printf("- (the ENOTTY floor itself: ratio %.2f, %.0f vs %.0f ns)\n", ratio(e),
	       e->best[DEVCTL], e->best[KVM]);
	if (cc->done)
		printf("- create + close of a device >= 100x faster than KVM: %s (%.0fx)\n",
		       cc->best[KVM] / cc->best[DEVCTL] >= 100 ? "met" : "MISSED",
		       cc->best[KVM] / cc->best[DEVCTL]);
	if (s2->done)
		printf("- 2 threads on two devices >= 1.8x one thread: %s (kvm-devctl %.2fx; "
		       "KVM %.2fx)\n", round(s2->best[DEVCTL] * 100) >= 180 ? "met" : "MISSED",
		       s2->best[DEVCTL], s2->best[KVM]);
	if (first->done && last->done) {
		double q = last->median[DEVCTL] / first->median[DEVCTL];

		printf("- the n-th device costs the same at n = 10,000 as at n = 1 (within 10 %%, "
		       "medians; kvm-devctl's kvm-arm-vgic-its): %s (%.0f vs %.0f ns, %.2fx)\n",
		       round(q * 100) <= 110 ? "met" : "MISSED", last->median[DEVCTL],
		       first->median[DEVCTL], q);
	}
}

/*
 * The guest's clock must be the TSC: when the kernel fails to calibrate it
 * at boot (it happens on a busy host), it falls back to jiffies, and
 * CLOCK_MONOTONIC then has a resolution of one tick (4 ms). Exit status 3
 * tells scripts/bench to boot again.
 */
static void check_clock(char *name, size_t len)
{
	struct timespec res;
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	snprintf(name, len, "unknown");
	if (f) {
		if (fgets(name, len, f))
			name[strcspn(name, "\n")] = 0;
		fclose(f);
	}
	clock_getres(CLOCK_MONOTONIC, &res);
	if (strncmp(name, "tsc", 3) || res.tv_sec || res.tv_nsec > 1000) {
		fprintf(stderr, "bench: the clocksource is %s (resolution %ld ns), not the TSC: "
			"TSC calibration failed at boot\n", name, res.tv_sec * 1000000000L + res.tv_nsec);
		exit(3);
	}
}

int main(int argc, char **argv)
{
	char clocksource[64];
	struct rlimit rl = { 16384, 16384 };
	bool a64;
	struct utsname u;
	int opt;
	uint64_t t0 = now_ns();

	while ((opt = getopt(argc, argv, "r:t:k:xm:")) != -1) {
		switch (opt) {
		case 'm': marker_iters = atol(optarg); break;
		case 'x': diagnostics = 1; break;
		case 'r': reps = atoi(optarg); break;
		case 't': target_ms = atof(optarg); break;
		case 'k': mem_vms = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-r REPS] [-t MS] [-k VMS] [-x] [-m ITERS]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || target_ms <= 0 || mem_vms < 1)
		die("bad arguments");
	if (!marker_iters)
		check_clock(clocksource, sizeof(clocksource));
	/* Two descriptors per VM of the memory rows, one per device of scale(). */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE)");
	uname(&u);
	setvbuf(stdout, NULL, _IOLBF, 0);

	attr_set.addr = (uintptr_t)&bad_fd;
	ppid = getppid();
	row_by_id("getppid")->expect_ret = ppid;
	for (int k = 0; k < NR_NODES; k++)
		node_open(&nodes[k]);
	a64 = arm64_open();
	pin_to(0);
	if (marker_iters > 0) {
		marker_mode();
		return 0;
	}

	for (size_t i = 0; i < NR_ROWS; i++) {
		struct row *r = &rows[i];

		if (r->kind != K_TIME || !r->run || (r->diag == DIAG && !diagnostics) ||
		    (r->diag == ARM64 && !a64))
			continue;
		if (!strcmp(r->id, "create_close") || !strcmp(r->id, "vm_cycle"))
			time_row(r, 10, 100000);
		else
			time_row(r, 1000, 10000000);
	}
	concurrency();
	pin_to(0);
	memory();
	scale();

	printf("Guest: Linux %s, %ld online CPUs, clocksource %s; %d repetitions of about %.0f ms "
	       "per row and node; memory rows: %d VMs, %d repetitions.\n\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN), clocksource, reps, target_ms, mem_vms,
	       reps < 3 ? reps : 3);
	print_stability();
	print_table();
	print_targets();
	print_arm64();
	if (diagnostics)
		print_diag();
	printf("\n");
	print_csv();
	progress("done in %.1f s", (now_ns() - t0) / 1e9);
	return 0;
}
