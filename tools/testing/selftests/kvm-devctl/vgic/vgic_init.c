// SPDX-License-Identifier: GPL-2.0
/*
 * vgic_init [--node PATH] v2|v3: the checks of the kernel's
 * tools/testing/selftests/kvm/arm64/vgic_init.c (7.3) that do not need
 * KVM_RUN, as a transcript (see vgic_transcript.h for the line format).
 *
 * Each call prints its transcript line; each expectation of the selftest
 * prints "check <what> => ok" or "=> FAILED", and the exit status is 1 if
 * any check failed. The selftest adds its vCPUs with KVM_ARM_VCPU_INIT
 * (aarch64_vcpu_add()), so vCPU n has MPIDR Aff0 n here too. Left out: the
 * KVM_RUN outcomes (overlap, missing redistributors, IPA range detected at
 * the first run; test_v3_redist_ipa_range_check_at_vcpu_run() keeps only
 * its set-up) and the EL2 registers of test_v3_sysregs() (no nested virt).
 *
 * "v3" runs the GICv3 tests (a gic-version=3 host), "v2" the GICv2 ones.
 */
#include "vgic_transcript.h"

#define NR_VCPUS	4
#define V2		KVM_DEV_TYPE_ARM_VGIC_V2
#define V3		KVM_DEV_TYPE_ARM_VGIC_V3
#define GICR_TYPER	0x0008
#define GICD_TYPER2	0x000c
#define GIC_CPU_CTRL	0x00
#define nASSGIcap	(1U << 8)

static int kvm, failed;
static __u64 max_phys_size = IPA_SIZE;

static void check(bool ok, const char *what)
{
	printf("check %s => %s\n", what, ok ? "ok" : "FAILED");
	failed += !ok;
}

/* The last call failed with err. */
static void check_err(long r, int err, const char *what)
{
	check(r == -1 && t_err == err, what);
}

struct vm_gic {
	int vm, gic;
	__u32 type;
	int nvcpus;
	int vcpu[8];
};

static void vcpu_add(struct vm_gic *v, int id)
{
	int fd = t_vcpu(v->vm, id);

	if (fd >= 0)
		t_vcpu_init(v->vm, fd, id);
	v->vcpu[v->nvcpus++] = fd;
}

static struct vm_gic vm_gic_create_with_vcpus(__u32 type, int nr_vcpus)
{
	struct vm_gic v = { .type = type };
	int i;

	v.vm = t_vm(kvm);
	for (i = 0; i < nr_vcpus; i++)
		vcpu_add(&v, i);
	v.gic = t_device(v.vm, type, 0);
	return v;
}

static struct vm_gic vm_gic_create_barebones(__u32 type)
{
	struct vm_gic v = { .type = type };

	v.vm = t_vm(kvm);
	v.gic = t_device(v.vm, type, 0);
	return v;
}

static void vm_gic_destroy(struct vm_gic *v)
{
	int i;

	t_close(v->gic);
	for (i = 0; i < v->nvcpus; i++)
		t_close(v->vcpu[i]);
	t_close(v->vm);
}

struct region {
	__u64 attr, size, alignment;
};

static const struct region gic_v3_dist_region = { KVM_VGIC_V3_ADDR_TYPE_DIST, 0x10000, 0x10000 };
static const struct region gic_v3_redist_region = {
	KVM_VGIC_V3_ADDR_TYPE_REDIST, NR_VCPUS * 0x20000, 0x10000,
};
static const struct region gic_v2_dist_region = { KVM_VGIC_V2_ADDR_TYPE_DIST, 0x1000, 0x1000 };
static const struct region gic_v2_cpu_region = { KVM_VGIC_V2_ADDR_TYPE_CPU, 0x2000, 0x1000 };

static void subtest_dist_rdist(struct vm_gic *v)
{
	bool v3 = v->type == V3;
	struct region rdist = v3 ? gic_v3_redist_region : gic_v2_cpu_region;
	struct region dist = v3 ? gic_v3_dist_region : gic_v2_dist_region;
	long r;

	t_section("subtest_dist_rdist");
	check(t_has(v->gic, G_ADDR, dist.attr) == 0, "dist attribute exists");
	check(t_has(v->gic, G_ADDR, rdist.attr) == 0, "redist/cpu attribute exists");
	check_err(t_has(v->gic, G_ADDR, -1), ENXIO, "attribute not supported");
	check_err(t_set64(v->gic, G_ADDR, dist.attr, dist.alignment / 0x10), EINVAL,
		  "GIC dist base not aligned");
	check_err(t_set64(v->gic, G_ADDR, rdist.attr, rdist.alignment / 0x10), EINVAL,
		  "GIC redist/cpu base not aligned");
	check_err(t_set64(v->gic, G_ADDR, dist.attr, max_phys_size), E2BIG,
		  "dist address beyond IPA limit");
	check_err(t_set64(v->gic, G_ADDR, rdist.attr, max_phys_size), E2BIG,
		  "redist address beyond IPA limit");
	check_err(t_set64(v->gic, G_ADDR, rdist.attr, max_phys_size - dist.alignment), E2BIG,
		  "half of the redist is beyond IPA limit");
	check(t_set64(v->gic, G_ADDR, rdist.attr, 0) == 0, "set REDIST base address @0x0");
	check_err(t_set64(v->gic, G_ADDR, rdist.attr, 0xe0000), EEXIST,
		  "GIC redist base set again");
	r = t_has(v->gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST);
	if (!r)
		check_err(t_set64(v->gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
				  RDIST_REGION(NR_VCPUS, 0x100000, 0, 0)), EINVAL,
			  "attempt to mix GICv3 REDIST and REDIST_REGION");
	/* Overlapping DIST / REDIST, only detected at the first KVM_RUN. */
	check(t_set64(v->gic, G_ADDR, dist.attr, rdist.size - rdist.alignment) == 0,
	      "set overlapping DIST / REDIST");
}

static void subtest_v3_redist_regions(struct vm_gic *v)
{
	const __u32 rr = KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION;
	__u64 addr;
	long r;

	t_section("subtest_v3_redist_regions");
	check(t_has(v->gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST) == 0,
	      "Multiple redist regions advertised");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(NR_VCPUS, 0x100000, 2, 0)), EINVAL,
		  "redist region attr value with flags != 0");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(0, 0x100000, 0, 0)), EINVAL,
		  "redist region attr value with count== 0");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(2, 0x200000, 0, 1)), EINVAL,
		  "attempt to register the first rdist region with index != 0");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(2, 0x201000, 0, 1)), EINVAL,
		  "rdist region with misaligned address");
	check(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(2, 0x200000, 0, 0)) == 0,
	      "set rdist region #0");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(2, 0x200000, 0, 1)), EINVAL,
		  "register an rdist region with already used index");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(1, 0x210000, 0, 2)), EINVAL,
		  "register an rdist region overlapping with another one");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(1, 0x240000, 0, 2)), EINVAL,
		  "register redist region with index not +1");
	check(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(1, 0x240000, 0, 1)) == 0,
	      "set rdist region #1");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(1, max_phys_size, 0, 2)), E2BIG,
		  "register redist region with base address beyond IPA range");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(2, max_phys_size - 0x30000, 0, 2)),
		  E2BIG, "register redist region with top address beyond IPA range");
	check_err(t_set64(v->gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x260000), EINVAL,
		  "Mix KVM_VGIC_V3_ADDR_TYPE_REDIST and REDIST_REGION");
	r = t_get64_in(v->gic, G_ADDR, rr, RDIST_REGION(0, 0, 0, 0), &addr);
	check(!r && addr == RDIST_REGION(2, 0x200000, 0, 0), "read characteristics of region #0");
	r = t_get64_in(v->gic, G_ADDR, rr, RDIST_REGION(0, 0, 0, 1), &addr);
	check(!r && addr == RDIST_REGION(1, 0x240000, 0, 1), "read characteristics of region #1");
	check_err(t_get64_in(v->gic, G_ADDR, rr, RDIST_REGION(0, 0, 0, 2), NULL), ENOENT,
		  "read characteristics of non existing region");
	check(t_set64(v->gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 0x260000) == 0, "set dist");
	check_err(t_set64(v->gic, G_ADDR, rr, RDIST_REGION(1, 0x260000, 0, 2)), EINVAL,
		  "register redist region colliding with dist");
}

static void test_vgic_then_vcpus(__u32 type)
{
	struct vm_gic v;
	int i;

	t_section("test_vgic_then_vcpus");
	v = vm_gic_create_with_vcpus(type, 1);
	subtest_dist_rdist(&v);
	for (i = 1; i < NR_VCPUS; i++)
		vcpu_add(&v, i);
	vm_gic_destroy(&v);
}

static void test_vcpus_then_vgic(__u32 type)
{
	struct vm_gic v;

	t_section("test_vcpus_then_vgic");
	v = vm_gic_create_with_vcpus(type, NR_VCPUS);
	subtest_dist_rdist(&v);
	vm_gic_destroy(&v);
}

static void test_v2_uaccess_cpuif_no_vcpus(void)
{
	struct vm_gic v;
	__u64 val = 0;
	long r;

	t_section("test_v2_uaccess_cpuif_no_vcpus");
	v = vm_gic_create_barebones(V2);
	subtest_dist_rdist(&v);
	check_err(t_has(v.gic, G_CPU, V2_ATTR(0, GIC_CPU_CTRL)), EINVAL,
		  "accessed non-existent CPU interface (has)");
	r = t_attr_ioctl(v.gic, KVM_GET_DEVICE_ATTR, G_CPU, V2_ATTR(0, GIC_CPU_CTRL), &val);
	t_rec(r, "get %s into u64", t_attr_desc(G_CPU, V2_ATTR(0, GIC_CPU_CTRL)));
	check_err(r, EINVAL, "accessed non-existent CPU interface (get)");
	r = t_attr_ioctl(v.gic, KVM_SET_DEVICE_ATTR, G_CPU, V2_ATTR(0, GIC_CPU_CTRL), &val);
	t_rec(r, "set %s from u64", t_attr_desc(G_CPU, V2_ATTR(0, GIC_CPU_CTRL)));
	check_err(r, EINVAL, "accessed non-existent CPU interface (set)");
	vm_gic_destroy(&v);
}

static void test_v3_new_redist_regions(void)
{
	struct vm_gic v;

	t_section("test_v3_new_redist_regions: step 1 (without its KVM_RUN)");
	v = vm_gic_create_with_vcpus(V3, NR_VCPUS);
	subtest_v3_redist_regions(&v);
	check(t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT) == 0, "init");
	vm_gic_destroy(&v);

	t_section("test_v3_new_redist_regions: step 2 (without its KVM_RUN)");
	v = vm_gic_create_with_vcpus(V3, NR_VCPUS);
	subtest_v3_redist_regions(&v);
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		      RDIST_REGION(1, 0x280000, 0, 2)) == 0, "set rdist region #2");
	vm_gic_destroy(&v);

	t_section("test_v3_new_redist_regions: step 3 (without its KVM_RUN)");
	v = vm_gic_create_with_vcpus(V3, NR_VCPUS);
	subtest_v3_redist_regions(&v);
	check_err(t_set_null(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION), EFAULT,
		  "register a third region allowing to cover the 4 vcpus");
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		      RDIST_REGION(1, 0x280000, 0, 2)) == 0, "set rdist region #2");
	check(t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT) == 0, "init");
	vm_gic_destroy(&v);
}

static void typer(struct vm_gic *v, int vcpu, __u32 want, const char *what)
{
	__u32 val;
	long r = t_get32(v->gic, G_REDIST, V3_ATTR(vcpu, GICR_TYPER), &val);

	check(!r && val == want, what);
}

static void test_v3_typer_accesses(void)
{
	struct vm_gic v = { .type = V3 };
	int i;

	t_section("test_v3_typer_accesses");
	v.vm = t_vm(kvm);
	vcpu_add(&v, 0);
	v.gic = t_device(v.vm, V3, 0);
	vcpu_add(&v, 3);
	check_err(t_get32(v.gic, G_REDIST, V3_ATTR(1, GICR_TYPER), NULL), EINVAL,
		  "attempting to read GICR_TYPER of non created vcpu");
	vcpu_add(&v, 1);
	check_err(t_get32(v.gic, G_REDIST, V3_ATTR(1, GICR_TYPER), NULL), EBUSY,
		  "read GICR_TYPER before GIC initialized");
	vcpu_add(&v, 2);
	check(t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT) == 0, "init");
	for (i = 0; i < NR_VCPUS; i++)
		typer(&v, i, i * 0x100, "read GICR_TYPER before rdist region setting");
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		      RDIST_REGION(2, 0x200000, 0, 0)) == 0, "set rdist region #0");
	typer(&v, 0, 0x0, "read typer of rdist #0");
	typer(&v, 3, 0x310, "read typer of rdist #1");
	check_err(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
			  RDIST_REGION(10, 0x100000, 0, 1)), EINVAL,
		  "collision with previous rdist region");
	typer(&v, 1, 0x100, "no redist region attached to vcpu #1 yet, last cannot be returned");
	typer(&v, 2, 0x200, "no redist region attached to vcpu #2, last cannot be returned");
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		      RDIST_REGION(10, 0x20000, 0, 1)) == 0, "set rdist region #1");
	typer(&v, 1, 0x100, "read typer of rdist #1");
	typer(&v, 2, 0x210, "read typer of rdist #1, last properly returned");
	vm_gic_destroy(&v);
}

static struct vm_gic vm_gic_v3_create_with_vcpuids(int nr, const int *ids)
{
	struct vm_gic v = { .type = V3 };
	int i;

	v.vm = t_vm(kvm);
	for (i = 0; i < nr; i++)
		vcpu_add(&v, ids[i]);
	v.gic = t_device(v.vm, V3, 0);
	return v;
}

static const int vcpuids[] = { 0, 3, 5, 4, 1, 2 };

static void test_v3_last_bit_redist_regions(void)
{
	struct vm_gic v;

	t_section("test_v3_last_bit_redist_regions");
	v = vm_gic_v3_create_with_vcpuids(ARRAY_SIZE(vcpuids), vcpuids);
	check(t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT) == 0, "init");
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		      RDIST_REGION(2, 0x100000, 0, 0)) == 0, "set rdist region #0");
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		      RDIST_REGION(2, 0x240000, 0, 1)) == 0, "set rdist region #1");
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		      RDIST_REGION(2, 0x200000, 0, 2)) == 0, "set rdist region #2");
	typer(&v, 0, 0x000, "read typer of rdist #0");
	typer(&v, 1, 0x100, "read typer of rdist #1");
	typer(&v, 2, 0x200, "read typer of rdist #2");
	typer(&v, 3, 0x310, "read typer of rdist #3");
	typer(&v, 5, 0x500, "read typer of rdist #5");
	typer(&v, 4, 0x410, "read typer of rdist #4");
	vm_gic_destroy(&v);
}

static void test_v3_last_bit_single_rdist(void)
{
	struct vm_gic v;

	t_section("test_v3_last_bit_single_rdist");
	v = vm_gic_v3_create_with_vcpuids(ARRAY_SIZE(vcpuids), vcpuids);
	check(t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT) == 0, "init");
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x10000) == 0, "set redist");
	typer(&v, 0, 0x000, "read typer of rdist #0");
	typer(&v, 3, 0x300, "read typer of rdist #1");
	typer(&v, 5, 0x500, "read typer of rdist #2");
	typer(&v, 1, 0x100, "read typer of rdist #3");
	typer(&v, 2, 0x210, "read typer of rdist #3");
	vm_gic_destroy(&v);
}

static void test_v3_redist_ipa_range_check(void)
{
	struct vm_gic v;
	int i;

	t_section("test_v3_redist_ipa_range_check_at_vcpu_run (set-up only)");
	v = vm_gic_create_with_vcpus(V3, 1);
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
		      max_phys_size - 3 * 2 * 0x10000) == 0, "space for 3 redists, 1 vcpu");
	check(t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 0) == 0, "set dist");
	for (i = 1; i < NR_VCPUS; i++)
		vcpu_add(&v, i);
	check(t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT) == 0, "init");
	vm_gic_destroy(&v);
}

static void test_v3_its_region(void)
{
	struct vm_gic v;
	int its;

	t_section("test_v3_its_region");
	v = vm_gic_create_with_vcpus(V3, NR_VCPUS);
	its = t_device(v.vm, KVM_DEV_TYPE_ARM_VGIC_ITS, 0);
	check_err(t_set64(its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, 0x401000), EINVAL,
		  "ITS region with misaligned address");
	check_err(t_set64(its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, max_phys_size), E2BIG,
		  "register ITS region with base address beyond IPA range");
	check_err(t_set64(its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, max_phys_size - 0x10000), E2BIG,
		  "Half of ITS region is beyond IPA range");
	check(t_set64(its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, 0x400000) == 0, "set the ITS base");
	check_err(t_set64(its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, 0x300000), EEXIST,
		  "ITS base set again");
	t_close(its);
	vm_gic_destroy(&v);
}

/* test_v3_sysregs(): has, read, write back what was read; EL1 registers only. */
static void test_v3_sysregs(void)
{
	static const struct { const char *name; __u32 enc; } regs[] = {
		{ "ICC_PMR_EL1", SYSREG(3, 0, 4, 6, 0) },
		{ "ICC_BPR0_EL1", SYSREG(3, 0, 12, 8, 3) },
		{ "ICC_AP0R0_EL1", SYSREG(3, 0, 12, 8, 4) },
		{ "ICC_AP0R1_EL1", SYSREG(3, 0, 12, 8, 5) },
		{ "ICC_AP0R2_EL1", SYSREG(3, 0, 12, 8, 6) },
		{ "ICC_AP0R3_EL1", SYSREG(3, 0, 12, 8, 7) },
		{ "ICC_AP1R0_EL1", SYSREG(3, 0, 12, 9, 0) },
		{ "ICC_AP1R1_EL1", SYSREG(3, 0, 12, 9, 1) },
		{ "ICC_AP1R2_EL1", SYSREG(3, 0, 12, 9, 2) },
		{ "ICC_AP1R3_EL1", SYSREG(3, 0, 12, 9, 3) },
		{ "ICC_BPR1_EL1", SYSREG(3, 0, 12, 12, 3) },
		{ "ICC_CTLR_EL1", SYSREG(3, 0, 12, 12, 4) },
		{ "ICC_SRE_EL1", SYSREG(3, 0, 12, 12, 5) },
		{ "ICC_IGRPEN0_EL1", SYSREG(3, 0, 12, 12, 6) },
		{ "ICC_IGRPEN1_EL1", SYSREG(3, 0, 12, 12, 7) },
	};
	struct vm_gic v;
	__u64 ctlr = 0;
	int pribits;
	size_t i;
	char what[96];

	t_section("test_v3_sysregs (EL1)");
	T_CAP(kvm, KVM_CAP_ARM_EL2);
	v = vm_gic_create_with_vcpus(V3, 1);
	check(t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT) == 0, "init");
	check(t_get64(v.gic, G_SYSREGS, SYSREG(3, 0, 12, 12, 4), &ctlr) == 0,
	      "ICC_CTLR_EL1 readable");
	pribits = ((ctlr >> 8) & 7) + 1;
	check(pribits >= 5 && pribits <= 7, "pribits in 5..7");
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		__u32 enc = regs[i].enc;
		/* APnR1 exists from 6 priority bits, APnR2/3 from 7. */
		int n = (enc & ~3U) == SYSREG(3, 0, 12, 9, 0) ? (int)(enc & 3) :
			(enc & ~3U) == (SYSREG(3, 0, 12, 8, 4) & ~3U) ? (int)(enc & 3) : 0;
		bool usable = n == 0 || (n == 1 && pribits >= 6) || pribits == 7;
		__u64 val = 0;
		long r;

		snprintf(what, sizeof(what), "%s available", regs[i].name);
		check(t_has(v.gic, G_SYSREGS, enc) == 0, what);
		r = t_get64(v.gic, G_SYSREGS, enc, &val);
		snprintf(what, sizeof(what), "%s %s", regs[i].name,
			 usable ? "readable" : "unreadable (pribits)");
		check(usable ? r == 0 : r == -1, what);
		r = t_set64(v.gic, G_SYSREGS, enc, val);
		snprintf(what, sizeof(what), "%s %s", regs[i].name,
			 usable ? "writable" : "unwritable (pribits)");
		check(usable ? r == 0 : r == -1, what);
	}
	vm_gic_destroy(&v);
}

static void test_v3_nassgicap(void)
{
	struct vm_gic v;
	__u32 typer2 = 0;
	bool has;
	long r;

	t_section("test_v3_nassgicap");
	v = vm_gic_create_with_vcpus(V3, NR_VCPUS);
	check(t_get32(v.gic, G_DIST, GICD_TYPER2, &typer2) == 0, "GICD_TYPER2 readable");
	has = typer2 & nASSGIcap;
	r = t_set32(v.gic, G_DIST, GICD_TYPER2, typer2 | nASSGIcap);
	if (has)
		check(r == 0, "enable nASSGIcap");
	else
		check_err(r, EINVAL, "Enabled nASSGIcap even though it's unavailable");
	check(t_set32(v.gic, G_DIST, GICD_TYPER2, typer2 & ~nASSGIcap) == 0, "clear nASSGIcap");
	check(t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT) == 0, "init");
	check_err(t_set32(v.gic, G_DIST, GICD_TYPER2, (typer2 & ~nASSGIcap) ^ nASSGIcap), EBUSY,
		  "Changed nASSGIcap after initializing the VGIC");
	vm_gic_destroy(&v);
}

/* Returns 0 if a GIC of this type can be created (test_kvm_device()). */
static int test_kvm_device(__u32 type)
{
	struct vm_gic v = { .type = type };
	__u32 other = type == V2 ? V3 : V2;
	long r;
	int i, fd;

	t_section("test_kvm_device %s", type == V2 ? "v2" : "v3");
	v.vm = t_vm(kvm);
	for (i = 0; i < NR_VCPUS; i++)
		vcpu_add(&v, i);
	t_device(v.vm, 0, KVM_CREATE_DEVICE_TEST);
	check(t_err == ENODEV, "unsupported device");
	t_device(v.vm, type, KVM_CREATE_DEVICE_TEST);
	if (t_err) {
		vm_gic_destroy(&v);
		return -1;
	}
	v.gic = t_device(v.vm, type, 0);
	fd = t_device(v.vm, type, 0);
	check(fd < 0 && t_err == EEXIST, "create GIC device twice");
	t_device(v.vm, other, KVM_CREATE_DEVICE_TEST);
	if (!t_err) {
		fd = t_device(v.vm, other, 0);
		r = fd < 0 ? -1 : 0;
		check(r < 0 && (t_err == EINVAL || t_err == EEXIST),
		      "create GIC device while other version exists");
		t_close(fd);
	}
	vm_gic_destroy(&v);
	return 0;
}

static void run_tests(__u32 type)
{
	test_vcpus_then_vgic(type);
	test_vgic_then_vcpus(type);
	if (type == V2)
		test_v2_uaccess_cpuif_no_vcpus();
	if (type == V3) {
		test_v3_new_redist_regions();
		test_v3_typer_accesses();
		test_v3_last_bit_redist_regions();
		test_v3_last_bit_single_rdist();
		test_v3_redist_ipa_range_check();
		test_v3_its_region();
		test_v3_sysregs();
		test_v3_nassgicap();
	}
}

int main(int argc, char **argv)
{
	int i = t_init(argc, argv);
	__u32 type;

	if (i >= argc || (strcmp(argv[i], "v2") && strcmp(argv[i], "v3"))) {
		fprintf(stderr, "usage: vgic_init [--node PATH] v2|v3\n");
		return 2;
	}
	type = strcmp(argv[i], "v2") ? V3 : V2;
	t_gic = type == V2 ? 2 : 3;
	kvm = t_open_node();
	if (test_kvm_device(type) == 0)
		run_tests(type);
	t_section("end");
	printf("vgic_init %s: %d checks failed\n", argv[i], failed);
	return failed ? 1 : 0;
}
