// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test: the transcript of the same fixed call sequence
 * (transcript.c) on /dev/kvm and on /dev/kvm-devctl must be identical, line
 * for line, except for the lines listed in deliberate-differences.txt
 * (embedded at build time: only the binaries are copied to the guest).
 *
 * The transcripts are produced by ./transcript next to this binary, run with
 * popen(); when it is not there (scripts/check copies only *_test), this
 * binary runs the same code itself: "differential_test --transcript NODE".
 * Both transcripts are printed (as TAP comments) so the logs keep them.
 */
#define TRANSCRIPT_NO_MAIN
#include "transcript.c"

#include <limits.h>

#include "kselftest_harness.h"
#include "deliberate_differences.h"

#define MAX_LINES 2048
#define SEP " => "

struct transcript {
	char *line[MAX_LINES];
	int n;
};

/* The command that prints the transcript of node. */
static void transcript_cmd(const char *node, char *cmd, size_t size)
{
	char self[PATH_MAX], helper[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		n = 0;
	self[n] = 0;
	slash = strrchr(self, '/');
	snprintf(helper, sizeof(helper), "%.*s/transcript",
		 slash ? (int)(slash - self) : 1, slash ? self : ".");
	if (access(helper, X_OK) == 0)
		snprintf(cmd, size, "'%s' '%s'", helper, node);
	else
		snprintf(cmd, size, "'%s' --transcript '%s'", self, node);
}

/* Runs the transcript of node; returns the number of lines, -1 on error. */
static int run_transcript(const char *node, struct transcript *t)
{
	char cmd[2 * PATH_MAX + 64];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	t->n = 0;
	transcript_cmd(node, cmd, sizeof(cmd));
	fflush(NULL);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0 && t->n < MAX_LINES) {
		if (line[len - 1] == '\n')
			line[len - 1] = 0;
		t->line[t->n++] = strdup(line);
	}
	free(line);
	if (pclose(f) != 0)
		return -1;
	return t->n;
}

static void print_transcript(const char *node, const struct transcript *t)
{
	int i;

	printf("# ---- transcript of %s (%d lines) ----\n", node, t->n);
	for (i = 0; i < t->n; i++)
		printf("# %s\n", t->line[i]);
	fflush(stdout);
}

/* The description of a line: what precedes " => ", copied into buf. */
static const char *describe(const char *line, char *buf, size_t size)
{
	const char *sep = strstr(line, SEP);
	size_t n = sep ? (size_t)(sep - line) : strlen(line);

	if (n >= size)
		n = size - 1;
	memcpy(buf, line, n);
	buf[n] = 0;
	return buf;
}

/* An entry of deliberate-differences.txt. */
struct allowed {
	char desc[600];
	char reason[600];
	bool used;
};

/* Parses the embedded list; returns the number of entries or -1 (malformed). */
static int parse_allowed(struct allowed *a, int max, char *err, size_t errsize)
{
	const char *p = deliberate_differences;
	int n = 0;

	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[600];
		char *sep;

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (end ? 1 : 0);
		if (!line[0] || line[0] == '#')
			continue;
		sep = strstr(line, " :: ");
		if (!sep || sep == line || !sep[4] || n == max) {
			snprintf(err, errsize, "malformed entry: '%s'", line);
			return -1;
		}
		*sep = 0;
		snprintf(a[n].desc, sizeof(a[n].desc), "%s", line);
		snprintf(a[n].reason, sizeof(a[n].reason), "%s", sep + 4);
		a[n].used = false;
		n++;
	}
	return n;
}

/* The result of a line: what follows " => ". */
static const char *result_of(const char *line)
{
	const char *sep = strstr(line, SEP);

	return sep ? sep + strlen(SEP) : "";
}

static struct allowed *find_allowed(struct allowed *a, int n, const char *desc)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(a[i].desc, desc))
			return &a[i];
	return NULL;
}

/* Descriptions are unique within a transcript (else allowing one is ambiguous). */
static int duplicate_descriptions(struct __test_metadata *_metadata,
				  const struct transcript *t)
{
	char a[256], b[256];
	int i, j, dups = 0;

	for (i = 0; i < t->n; i++)
		for (j = i + 1; j < t->n; j++)
			if (!strcmp(describe(t->line[i], a, sizeof(a)),
				    describe(t->line[j], b, sizeof(b)))) {
				TH_LOG("duplicate description: '%s'", a);
				dups++;
			}
	return dups;
}

/* The list is well formed: "<description> :: <reason>", no duplicates. */
TEST(deliberate_differences_well_formed)
{
	static struct allowed a[256];
	char err[700] = "";
	int n, i;

	n = parse_allowed(a, 256, err, sizeof(err));
	ASSERT_LE(0, n) TH_LOG("%s", err);
	for (i = 0; i < n; i++)
		EXPECT_EQ(NULL, find_allowed(a, i, a[i].desc))
			TH_LOG("listed twice: '%s'", a[i].desc);
	TH_LOG("%d deliberate differences listed", n);
}

/*
 * The reference transcript is a stable function of the node: two runs on
 * /dev/kvm are identical, it has a useful length and unique descriptions.
 * Otherwise the comparison below would prove nothing.
 */
TEST(transcript_is_deterministic)
{
	static struct transcript t1, t2;
	int i;

	if (access(KVM_NODE, F_OK))
		SKIP(return, "no real KVM in this kernel");
	ASSERT_LE(100, run_transcript(KVM_NODE, &t1));
	ASSERT_EQ(t1.n, run_transcript(KVM_NODE, &t2));
	for (i = 0; i < t1.n; i++)
		EXPECT_STREQ(t1.line[i], t2.line[i]);
	EXPECT_EQ(0, duplicate_descriptions(_metadata, &t1));
}

/* The index of the line of t described as desc, or -1. */
static int find_line(const struct transcript *t, const char *desc)
{
	char d[256];
	int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(describe(t->line[i], d, sizeof(d)), desc))
			return i;
	return -1;
}

/* Reports one difference; returns 1 unless it is listed as deliberate. */
static int report(struct __test_metadata *_metadata, struct allowed *a,
		  int n_allowed, int lineno, const char *desc,
		  const char *kvm, const char *devctl)
{
	struct allowed *ok = find_allowed(a, n_allowed, desc);

	if (ok) {
		ok->used = true;
		TH_LOG("line %d: allowed: %s: kvm => %s, kvm-devctl => %s (%s)",
		       lineno, desc, kvm, devctl, ok->reason);
		return 0;
	}
	TH_LOG("line %d: %s: kvm => %s, kvm-devctl => %s", lineno, desc, kvm, devctl);
	return 1;
}

/*
 * The transcripts of /dev/kvm and /dev/kvm-devctl are the same line for
 * line; every differing line not listed in deliberate-differences.txt is
 * reported (and fails the test). Lines are matched by their (unique)
 * description, so a line present in one transcript only (a call made only
 * after an fd was obtained) is reported as such without shifting the rest.
 */
TEST(transcripts_match)
{
	static struct transcript ref, mod;
	static struct allowed a[256];
	char err[700] = "", d[256];
	int n_allowed, i, j, diffs = 0;

	if (access(KVM_NODE, F_OK))
		SKIP(return, "no real KVM in this kernel");
	n_allowed = parse_allowed(a, 256, err, sizeof(err));
	ASSERT_LE(0, n_allowed) TH_LOG("%s", err);
	ASSERT_LE(100, run_transcript(KVM_NODE, &ref));
	ASSERT_LE(0, run_transcript(KVM_DEVCTL_NODE, &mod));
	print_transcript(KVM_NODE, &ref);
	print_transcript(KVM_DEVCTL_NODE, &mod);
	EXPECT_EQ(0, duplicate_descriptions(_metadata, &mod));

	for (i = 0; i < ref.n; i++) {
		describe(ref.line[i], d, sizeof(d));
		j = find_line(&mod, d);
		if (j < 0)
			diffs += report(_metadata, a, n_allowed, i + 1, d,
					result_of(ref.line[i]), "(no such line)");
		else if (strcmp(ref.line[i], mod.line[j]))
			diffs += report(_metadata, a, n_allowed, i + 1, d,
					result_of(ref.line[i]), result_of(mod.line[j]));
	}
	for (j = 0; j < mod.n; j++) {
		describe(mod.line[j], d, sizeof(d));
		if (find_line(&ref, d) < 0)
			diffs += report(_metadata, a, n_allowed, j + 1, d,
					"(no such line)", result_of(mod.line[j]));
	}
	for (i = 0; i < n_allowed; i++)
		if (!a[i].used)
			TH_LOG("listed but not different (remove it?): '%s'", a[i].desc);
	EXPECT_EQ(0, diffs) TH_LOG("%d differing lines", diffs);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--transcript"))
		return transcript(argv[2], stdout);
	return test_harness_run(argc, argv);
}
