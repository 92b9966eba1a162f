// SPDX-License-Identifier: GPL-2.0
/*
 * Golden test of the arm64 nodes: each VGIC transcript program (vgic/vgic_*.c)
 * runs on the node of the host its golden transcript was taken on,
 * /dev/kvm-devctl-arm64 (a GICv3 host) or /dev/kvm-devctl-arm64-gicv2 (a
 * GICv2 host), and its output is compared, section by section and line by
 * line, with the transcript that the same program printed on real arm64 KVM
 * 7.3 (vgic/golden/<name>.txt, taken by scripts/golden).
 *
 * A section is everything from one "## <title>" line to the next. Line i of
 * a section must equal line i of the golden section, except where both lines
 * make the same call (the same description before " => ") and that call is
 * listed in vgic/deliberate-differences.txt for the program. Each section is
 * one kselftest result, so progress shows section by section; the first
 * differing lines are printed as TAP comments.
 *
 * The ARM VGIC models are being written (issue 4): only the sections listed
 * in enabled[] below count in make check. The others run too and are
 * reported as SKIP, with how many of their lines match, or as "matches: add
 * it to enabled[]". "--all" makes every section count.
 *
 * The golden transcripts and the list of deliberate differences are embedded
 * at build time (Makefile), since only binaries are copied into the guest;
 * the programs themselves are the static x86 builds next to this binary.
 *
 *   vgic_golden_test [--all] [--verbose] [--only NAME] [--node PATH]
 *                    [--gicv2-node PATH]
 *
 * --node names the GICv3 host's node, --gicv2-node the GICv2 host's.
 */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "vgic_golden.h"
#include "vgic_deliberate_differences.h"

#define SEP " => "
#define MAX_SECTIONS 256
#define MAX_ALLOWED 256

/* A transcript program and its golden output. */
struct prog {
	const char *name;	/* golden/<name>.txt */
	const char *exe;	/* the program, next to this binary */
	const char *arg;	/* its argument after --node, or NULL */
	const char *golden;	/* the embedded golden transcript */
	int host_gic;		/* the GIC of the host the golden was taken on */
};

static const struct prog progs[] = {
	{ "vgic_v3", "vgic_v3", NULL, golden_vgic_v3, 3 },
	{ "vgic_init-v3", "vgic_init", "v3", golden_vgic_init_v3, 3 },
	{ "vgic_its", "vgic_its", NULL, golden_vgic_its, 3 },
	{ "vgic_v2", "vgic_v2", NULL, golden_vgic_v2, 2 },
	{ "vgic_init-v2", "vgic_init", "v2", golden_vgic_init_v2, 2 },
};

/*
 * The sections that count in make check: those the module matches today.
 * Index and title must both match the golden file (a stale entry fails).
 */
static const struct enabled {
	const char *prog;
	int index;
	const char *title;
} enabled[] = {
	{ "vgic_v3", 0, "host" },
	{ "vgic_v3", 1, "create: one GIC per VM" },
	{ "vgic_v3", 2, "create: vCPUs before the GIC" },
	{ "vgic_v3", 3, "create: an ITS before the GIC" },
	{ "vgic_v3", 4, "addr: types and buffers" },
	{ "vgic_v3", 5, "addr: DIST" },
	{ "vgic_v3", 6, "addr: legacy REDIST (2 vCPUs)" },
	{ "vgic_v3", 7, "addr: REDIST_REGION (2 vCPUs)" },
	{ "vgic_v3", 8, "addr: legacy KVM_ARM_SET_DEVICE_ADDR on a GICv3" },
	{ "vgic_v3", 9, "addr: after CTRL INIT" },
	{ "vgic_v3", 10, "nr_irqs: bounds" },
	{ "vgic_v3", 11, "nr_irqs: the largest" },
	{ "vgic_v3", 12, "nr_irqs: the default at CTRL INIT" },
	{ "vgic_v3", 13, "ctrl" },
	{ "vgic_v3", 14, "ctrl: INIT without vCPUs" },
	{ "vgic_v3", 15, "maint_irq" },
	{ "vgic_v3", 16, "pre-init: no vCPU" },
	{ "vgic_v3", 17, "pre-init: 2 vCPUs, registers before CTRL INIT" },
	{ "vgic_v3", 18, "pre-init: has before NR_IRQS (32 interrupts)" },
	{ "vgic_v3", 19, "pre-init: has with NR_IRQS 64, before CTRL INIT" },
	{ "vgic_v3", 20, "scenario: 1 vCPU, without KVM_ARM_VCPU_INIT" },
	{ "vgic_v3", 21, "GICR_TYPER by MPIDR" },
	{ "vgic_v3", 22, "DIST_REGS before writes" },
	{ "vgic_v3", 23, "REDIST_REGS vcpu 0 before writes" },
	{ "vgic_v3", 24, "CPU_SYSREGS vcpu 0 before writes" },
	{ "vgic_v3", 25, "LEVEL_INFO vcpu 0 before writes" },
	{ "vgic_v3", 26, "writes: DIST_REGS" },
	{ "vgic_v3", 27, "writes: REDIST_REGS" },
	{ "vgic_v3", 28, "writes: CPU_SYSREGS" },
	{ "vgic_v3", 29, "writes: LEVEL_INFO" },
	{ "vgic_v3", 30, "DIST_REGS after writes" },
	{ "vgic_v3", 31, "REDIST_REGS vcpu 0 after writes" },
	{ "vgic_v3", 32, "CPU_SYSREGS vcpu 0 after writes" },
	{ "vgic_v3", 33, "LEVEL_INFO vcpu 0 after writes" },
	{ "vgic_v3", 34, "scenario: 1 vCPU, after KVM_ARM_VCPU_INIT" },
	{ "vgic_v3", 35, "GICR_TYPER by MPIDR" },
	{ "vgic_v3", 36, "DIST_REGS before writes" },
	{ "vgic_v3", 37, "REDIST_REGS vcpu 0 before writes" },
	{ "vgic_v3", 38, "CPU_SYSREGS vcpu 0 before writes" },
	{ "vgic_v3", 39, "LEVEL_INFO vcpu 0 before writes" },
	{ "vgic_v3", 40, "writes: DIST_REGS" },
	{ "vgic_v3", 41, "writes: REDIST_REGS" },
	{ "vgic_v3", 42, "writes: CPU_SYSREGS" },
	{ "vgic_v3", 43, "writes: LEVEL_INFO" },
	{ "vgic_v3", 44, "DIST_REGS after writes" },
	{ "vgic_v3", 45, "REDIST_REGS vcpu 0 after writes" },
	{ "vgic_v3", 46, "CPU_SYSREGS vcpu 0 after writes" },
	{ "vgic_v3", 47, "LEVEL_INFO vcpu 0 after writes" },
	{ "vgic_v3", 48, "scenario: 2 vCPUs, without KVM_ARM_VCPU_INIT" },
	{ "vgic_v3", 49, "GICR_TYPER by MPIDR" },
	{ "vgic_v3", 50, "DIST_REGS before writes" },
	{ "vgic_v3", 51, "REDIST_REGS vcpu 0 before writes" },
	{ "vgic_v3", 52, "CPU_SYSREGS vcpu 0 before writes" },
	{ "vgic_v3", 53, "LEVEL_INFO vcpu 0 before writes" },
	{ "vgic_v3", 54, "REDIST_REGS vcpu 1 before writes" },
	{ "vgic_v3", 55, "CPU_SYSREGS vcpu 1 before writes" },
	{ "vgic_v3", 56, "LEVEL_INFO vcpu 1 before writes" },
	{ "vgic_v3", 57, "writes: DIST_REGS" },
	{ "vgic_v3", 58, "writes: REDIST_REGS" },
	{ "vgic_v3", 59, "writes: CPU_SYSREGS" },
	{ "vgic_v3", 60, "writes: LEVEL_INFO" },
	{ "vgic_v3", 61, "DIST_REGS after writes" },
	{ "vgic_v3", 62, "REDIST_REGS vcpu 0 after writes" },
	{ "vgic_v3", 63, "CPU_SYSREGS vcpu 0 after writes" },
	{ "vgic_v3", 64, "LEVEL_INFO vcpu 0 after writes" },
	{ "vgic_v3", 65, "REDIST_REGS vcpu 1 after writes" },
	{ "vgic_v3", 66, "CPU_SYSREGS vcpu 1 after writes" },
	{ "vgic_v3", 67, "LEVEL_INFO vcpu 1 after writes" },
	{ "vgic_v3", 68, "scenario: 2 vCPUs, after KVM_ARM_VCPU_INIT, every offset" },
	{ "vgic_v3", 69, "GICR_TYPER by MPIDR" },
	{ "vgic_v3", 70, "DIST_REGS before writes" },
	{ "vgic_v3", 71, "REDIST_REGS vcpu 0 before writes" },
	{ "vgic_v3", 72, "CPU_SYSREGS vcpu 0 before writes" },
	{ "vgic_v3", 73, "LEVEL_INFO vcpu 0 before writes" },
	{ "vgic_v3", 74, "REDIST_REGS vcpu 1 before writes" },
	{ "vgic_v3", 75, "CPU_SYSREGS vcpu 1 before writes" },
	{ "vgic_v3", 76, "LEVEL_INFO vcpu 1 before writes" },
	{ "vgic_v3", 77, "writes: DIST_REGS" },
	{ "vgic_v3", 78, "writes: REDIST_REGS" },
	{ "vgic_v3", 79, "writes: CPU_SYSREGS" },
	{ "vgic_v3", 80, "writes: LEVEL_INFO" },
	{ "vgic_v3", 81, "DIST_REGS after writes" },
	{ "vgic_v3", 82, "REDIST_REGS vcpu 0 after writes" },
	{ "vgic_v3", 83, "CPU_SYSREGS vcpu 0 after writes" },
	{ "vgic_v3", 84, "LEVEL_INFO vcpu 0 after writes" },
	{ "vgic_v3", 85, "REDIST_REGS vcpu 1 after writes" },
	{ "vgic_v3", 86, "CPU_SYSREGS vcpu 1 after writes" },
	{ "vgic_v3", 87, "LEVEL_INFO vcpu 1 after writes" },
	{ "vgic_v3", 88, "roundtrip: save, new VM, restore (QEMU's order), save again" },
	{ "vgic_v3", 89, "buffers: values that straddle a read-only page" },
	{ "vgic_v3", 90, "end" },
	{ "vgic_init-v3", 0, "test_kvm_device v3" },
	{ "vgic_init-v3", 1, "test_vcpus_then_vgic" },
	{ "vgic_init-v3", 2, "subtest_dist_rdist" },
	{ "vgic_init-v3", 3, "test_vgic_then_vcpus" },
	{ "vgic_init-v3", 4, "subtest_dist_rdist" },
	{ "vgic_init-v3", 5, "test_v3_new_redist_regions: step 1 (without its KVM_RUN)" },
	{ "vgic_init-v3", 6, "subtest_v3_redist_regions" },
	{ "vgic_init-v3", 7, "test_v3_new_redist_regions: step 2 (without its KVM_RUN)" },
	{ "vgic_init-v3", 8, "subtest_v3_redist_regions" },
	{ "vgic_init-v3", 9, "test_v3_new_redist_regions: step 3 (without its KVM_RUN)" },
	{ "vgic_init-v3", 10, "subtest_v3_redist_regions" },
	{ "vgic_init-v3", 11, "test_v3_typer_accesses" },
	{ "vgic_init-v3", 12, "test_v3_last_bit_redist_regions" },
	{ "vgic_init-v3", 13, "test_v3_last_bit_single_rdist" },
	{ "vgic_init-v3", 14, "test_v3_redist_ipa_range_check_at_vcpu_run (set-up only)" },
	{ "vgic_init-v3", 15, "test_v3_its_region" },
	{ "vgic_init-v3", 16, "test_v3_sysregs (EL1)" },
	{ "vgic_init-v3", 17, "test_v3_nassgicap" },
	{ "vgic_init-v3", 18, "end" },
	{ "vgic_its", 0, "memslot: KVM_SET_USER_MEMORY_REGION" },
	{ "vgic_its", 1, "create" },
	{ "vgic_its", 2, "addr" },
	{ "vgic_its", 3, "regs: before ADDR" },
	{ "vgic_its", 4, "regs: every offset" },
	{ "vgic_its", 5, "regs: writes" },
	{ "vgic_its", 6, "ctrl" },
	{ "vgic_its", 7, "restore: tables written in guest memory" },
	{ "vgic_its", 8, "restore: failures" },
	{ "vgic_its", 9, "commands: MAPC, MAPD, MAPTI, INT through GITS_CWRITER" },
	{ "vgic_its", 10, "roundtrip: save, new VM with a copy of guest memory, restore, save again" },
	{ "vgic_its", 11, "lpis: redistributor registers with an ITS" },
	{ "vgic_its", 12, "lpis: pending tables, INT, CLEAR, EnableLPIs" },
	{ "vgic_its", 13, "commands: MOVI, MOVALL, MAPI, INV, INVALL, DISCARD, V=0" },
	{ "vgic_its", 14, "commands: errors, the queue's wrap, unreadable commands" },
	{ "vgic_its", 15, "tables: a two-level device table" },
	{ "vgic_its", 16, "tables: a restore into an ITS that has devices" },
	{ "vgic_its", 17, "tables: read-only guest memory" },
	{ "vgic_its", 18, "buffers: values that straddle a read-only page" },
	{ "vgic_its", 19, "end" },
	{ "vgic_v2", 0, "host" },
	{ "vgic_v2", 1, "create: one GIC per VM" },
	{ "vgic_v2", 2, "create: at most 8 vCPUs" },
	{ "vgic_v2", 3, "addr" },
	{ "vgic_v2", 4, "addr: overlapping DIST and CPU" },
	{ "vgic_v2", 5, "legacy: without a GIC" },
	{ "vgic_v2", 6, "legacy: id layout and errors" },
	{ "vgic_v2", 7, "legacy: ADDR first" },
	{ "vgic_v2", 8, "legacy: KVM_CREATE_IRQCHIP" },
	{ "vgic_v2", 9, "nr_irqs" },
	{ "vgic_v2", 10, "nr_irqs: a register access initialises the VGIC" },
	{ "vgic_v2", 11, "nr_irqs: no vCPU" },
	{ "vgic_v2", 12, "ctrl" },
	{ "vgic_v2", 13, "scenario: 1 vCPU, without KVM_ARM_VCPU_INIT" },
	{ "vgic_v2", 14, "DIST_REGS cpu 0 before writes" },
	{ "vgic_v2", 15, "CPU_REGS cpu 0 before writes" },
	{ "vgic_v2", 16, "writes: DIST_REGS" },
	{ "vgic_v2", 17, "writes: CPU_REGS" },
	{ "vgic_v2", 18, "DIST_REGS cpu 0 after writes" },
	{ "vgic_v2", 19, "CPU_REGS cpu 0 after writes" },
	{ "vgic_v2", 20, "scenario: 2 vCPUs, after KVM_ARM_VCPU_INIT, every offset" },
	{ "vgic_v2", 21, "DIST_REGS cpu 0 before writes" },
	{ "vgic_v2", 22, "CPU_REGS cpu 0 before writes" },
	{ "vgic_v2", 23, "DIST_REGS cpu 1 before writes" },
	{ "vgic_v2", 24, "CPU_REGS cpu 1 before writes" },
	{ "vgic_v2", 25, "writes: DIST_REGS" },
	{ "vgic_v2", 26, "writes: CPU_REGS" },
	{ "vgic_v2", 27, "DIST_REGS cpu 0 after writes" },
	{ "vgic_v2", 28, "CPU_REGS cpu 0 after writes" },
	{ "vgic_v2", 29, "DIST_REGS cpu 1 after writes" },
	{ "vgic_v2", 30, "CPU_REGS cpu 1 after writes" },
	{ "vgic_v2", 31, "roundtrip: save, new VM, restore (QEMU's order), save again" },
	{ "vgic_v2", 32, "buffers: values that straddle a read-only page" },
	{ "vgic_v2", 33, "end" },
	{ "vgic_init-v2", 0, "test_kvm_device v2" },
	{ "vgic_init-v2", 1, "test_vcpus_then_vgic" },
	{ "vgic_init-v2", 2, "subtest_dist_rdist" },
	{ "vgic_init-v2", 3, "test_vgic_then_vcpus" },
	{ "vgic_init-v2", 4, "subtest_dist_rdist" },
	{ "vgic_init-v2", 5, "test_v2_uaccess_cpuif_no_vcpus" },
	{ "vgic_init-v2", 6, "subtest_dist_rdist" },
	{ "vgic_init-v2", 7, "end" },
};

/* Lines split in place, grouped into sections. */
struct transcript {
	char *buf;
	char **line;
	int n;
	int sec_start[MAX_SECTIONS + 1];	/* first line of each section */
	int nsec;
};

/* One entry of the deliberate differences: "<prog>: <description> :: <reason>". */
struct allowed {
	char prog[64];
	char desc[800];
	bool used;
};

static struct allowed allowed[MAX_ALLOWED];
static int nallowed;
static const char *node = "/dev/kvm-devctl-arm64";
static const char *gicv2_node = "/dev/kvm-devctl-arm64-gicv2";

/* The node a program runs on: that of its golden's host. */
static const char *node_of(const struct prog *p)
{
	return p->host_gic == 2 ? gicv2_node : node;
}
static bool all, verbose;
static const char *only;

/* Splits text (owned by t) into lines and sections; returns 0 or -1. */
static int split(struct transcript *t, char *text)
{
	char *p = text, *nl;
	size_t cap = 1024;

	t->buf = text;
	t->n = 0;
	t->nsec = 0;
	t->line = malloc(cap * sizeof(*t->line));
	if (!t->line)
		return -1;
	while (*p) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if ((size_t)t->n == cap) {
			char **l = realloc(t->line, 2 * cap * sizeof(*l));

			if (!l)
				return -1;
			t->line = l;
			cap *= 2;
		}
		if (!strncmp(p, "## ", 3)) {
			if (t->nsec == MAX_SECTIONS)
				return -1;
			t->sec_start[t->nsec++] = t->n;
		}
		t->line[t->n++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
	t->sec_start[t->nsec] = t->n;
	return 0;
}

/* The directory of this binary, where the programs are. */
static void self_dir(char *dir, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		n = 0;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(dir, size, "%s", slash ? self : ".");
}

/* Runs a program on the node; its stdout, NUL-terminated, or NULL. */
static char *run_prog(const struct prog *p)
{
	char dir[PATH_MAX], cmd[2 * PATH_MAX];
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	FILE *f;
	int status;

	if (!out)
		return NULL;
	self_dir(dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd), "'%s/%s' --node '%s' %s", dir, p->exe, node_of(p),
		 p->arg ? p->arg : "");
	fflush(NULL);
	f = popen(cmd, "r");
	if (!f) {
		free(out);
		return NULL;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *o = realloc(out, 2 * cap);

			if (!o)
				break;
			out = o;
			cap *= 2;
		}
		n = fread(out + len, 1, cap - len - 1, f);
		if (!n)
			break;
		len += n;
	}
	out[len] = 0;
	status = pclose(f);
	/* The programs' exit status is not part of the transcript; a crash is. */
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) == 127) {
		ksft_print_msg("%s did not run to completion (status %#x)\n", cmd, status);
		free(out);
		return NULL;
	}
	return out;
}

/* Parses the embedded list of deliberate differences; -1 if malformed. */
static int parse_allowed(void)
{
	const char *p = vgic_deliberate_differences;

	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[800], *colon, *sep;

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (end ? 1 : 0);
		if (!line[0] || line[0] == '#')
			continue;
		colon = strstr(line, ": ");
		sep = strstr(line, " :: ");
		if (!colon || !sep || colon > sep || !sep[4] || nallowed == MAX_ALLOWED) {
			ksft_print_msg("malformed deliberate difference: '%s'\n", line);
			return -1;
		}
		*sep = 0;
		snprintf(allowed[nallowed].prog, sizeof(allowed[0].prog), "%.*s",
			 (int)(colon - line), line);
		snprintf(allowed[nallowed].desc, sizeof(allowed[0].desc), "%s", colon + 2);
		nallowed++;
	}
	return 0;
}

/* The length of a line's description: the part before " => ". */
static size_t desc_len(const char *line)
{
	const char *sep = strstr(line, SEP);

	return sep ? (size_t)(sep - line) : strlen(line);
}

/* Whether golden line g and actual line a may differ: the same call, listed. */
static bool is_allowed(const struct prog *p, const char *g, const char *a)
{
	size_t n = desc_len(g);
	int i;

	if (n != desc_len(a) || strncmp(g, a, n) || !strstr(g, SEP))
		return false;
	for (i = 0; i < nallowed; i++) {
		if (strcmp(allowed[i].prog, p->name) || strlen(allowed[i].desc) != n ||
		    strncmp(allowed[i].desc, g, n))
			continue;
		allowed[i].used = true;
		return true;
	}
	return false;
}

static const struct enabled *find_enabled(const struct prog *p, int index)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(enabled); i++)
		if (!strcmp(enabled[i].prog, p->name) && enabled[i].index == index)
			return &enabled[i];
	return NULL;
}

/*
 * Compares section s of golden g with the same section of actual a; returns
 * the number of differing lines (after deliberate ones) and adds the lines
 * that match to *matched. Prints up to show differences.
 */
static int compare_section(const struct prog *p, const struct transcript *g,
			   const struct transcript *a, int s, int show, int *matched)
{
	int g0 = g->sec_start[s], gn = g->sec_start[s + 1] - g0;
	int a0 = s < a->nsec ? a->sec_start[s] : a->n;
	int an = s < a->nsec ? a->sec_start[s + 1] - a0 : 0;
	int i, diff = 0;

	for (i = 0; i < gn || i < an; i++) {
		const char *gl = i < gn ? g->line[g0 + i] : NULL;
		const char *al = i < an ? a->line[a0 + i] : NULL;

		if (gl && al && (!strcmp(gl, al) || is_allowed(p, gl, al))) {
			(*matched)++;
			continue;
		}
		if (diff++ < show) {
			ksft_print_msg("  line %d golden: %s\n", i, gl ? gl : "(none)");
			ksft_print_msg("  line %d actual: %s\n", i, al ? al : "(none)");
		}
	}
	return diff;
}

/* Runs and compares one program: one result per golden section. */
static void check_prog(const struct prog *p, int *total_sections, int *total_passing)
{
	struct transcript g, a;
	char *gtext = strdup(p->golden);
	char *atext = run_prog(p);
	int s, lines = 0, matched = 0, passing = 0;

	if (!gtext || split(&g, gtext)) {
		ksft_exit_fail_msg("%s: cannot split the golden transcript\n", p->name);
		return;
	}
	if (!atext || split(&a, atext)) {
		a.n = 0;
		a.nsec = 0;
		a.sec_start[0] = 0;
		a.line = NULL;
	}
	ksft_print_msg("%s: %d sections, %d lines golden; %d sections, %d lines on %s\n",
		       p->name, g.nsec, g.n, a.nsec, a.n, node_of(p));
	for (s = 0; s < g.nsec; s++) {
		const struct enabled *e = find_enabled(p, s);
		const char *title = g.line[g.sec_start[s]] + 3;
		bool counts = all || e;
		int m = 0, diff;

		diff = compare_section(p, &g, &a, s, counts ? (verbose ? INT_MAX : 3) :
				       (verbose ? INT_MAX : 0), &m);
		lines += g.sec_start[s + 1] - g.sec_start[s];
		matched += m;
		passing += !diff;
		if (e && strcmp(e->title, title)) {
			ksft_test_result_fail("%s #%d %s: enabled[] names it '%s'\n", p->name, s,
					      title, e->title);
		} else if (counts) {
			ksft_test_result(!diff, "%s #%d %s\n", p->name, s, title);
		} else if (!diff) {
			ksft_test_result_skip("%s #%d %s: matches: add it to enabled[]\n",
					      p->name, s, title);
		} else {
			ksft_test_result_skip("%s #%d %s: not modelled yet, %d of %d lines match\n",
					      p->name, s, title, m,
					      g.sec_start[s + 1] - g.sec_start[s]);
		}
	}
	ksft_print_msg("%s: %d of %d sections match, %d of %d lines\n", p->name, passing,
		       g.nsec, matched, lines);
	*total_sections += g.nsec;
	*total_passing += passing;
	free(g.line);
	free(a.line);
	free(gtext);
	free(atext);
}

/* The number of "## " lines of an embedded transcript. */
static int count_sections(const char *text)
{
	int n = !strncmp(text, "## ", 3);
	const char *p = text;

	while ((p = strstr(p, "\n## ")))
		n++, p++;
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "only", required_argument, NULL, 'o' },
		{ "node", required_argument, NULL, 'n' },
		{ "gicv2-node", required_argument, NULL, '2' },
		{ 0 }
	};
	int c, plan = 1, sections = 0, passing = 0;
	size_t i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'v': verbose = true; break;
		case 'o': only = optarg; break;
		case 'n': node = optarg; break;
		case '2': gicv2_node = optarg; break;
		default:
			fprintf(stderr, "usage: %s [--all] [--verbose] [--only NAME] [--node PATH] "
				"[--gicv2-node PATH]\n", argv[0]);
			return 2;
		}
	}
	ksft_print_header();
	for (i = 0; i < ARRAY_SIZE(progs); i++)
		if (!only || !strcmp(only, progs[i].name))
			plan += count_sections(progs[i].golden);
	ksft_set_plan(plan);
	ksft_test_result(!parse_allowed(), "deliberate differences well formed (%d)\n",
			 nallowed);
	for (i = 0; i < ARRAY_SIZE(progs); i++)
		if (!only || !strcmp(only, progs[i].name))
			check_prog(&progs[i], &sections, &passing);
	ksft_print_msg("all programs: %d of %d sections match\n", passing, sections);
	for (c = 0; c < nallowed; c++)
		if (!allowed[c].used)
			ksft_print_msg("deliberate difference not seen: %s: %s\n", allowed[c].prog,
				       allowed[c].desc);
	ksft_finished();
}
