// SPDX-License-Identifier: GPL-2.0
/*
 * vgic_v3 [--node PATH]: the transcript of KVM_DEV_TYPE_ARM_VGIC_V3's
 * device API, without KVM_RUN (see vgic_transcript.h for the line format).
 *
 * Follows Documentation/virt/kvm/devices/arm-vgic-v3.rst and the 7.3 code
 * in arch/arm64/kvm/vgic/ (vgic-kvm-device.c: kvm_vgic_addr(),
 * vgic_set_common_attr(), vgic_v3_attr_regs_access(); vgic-mmio-v3.c: the
 * distributor and redistributor register tables; vgic-sys-reg-v3.c; and
 * vgic-init.c: kvm_vgic_create(), vgic_init()). Sections:
 *
 *   host       what the host offers (host-dependent: a GICv2 host differs)
 *   create     one GIC per VM, of either version; an ITS before the GIC
 *   addr       ADDR: DIST, REDIST, REDIST_REGION; alignment, EEXIST, E2BIG;
 *              the legacy KVM_ARM_SET_DEVICE_ADDR and KVM_CREATE_IRQCHIP
 *   nr_irqs    NR_IRQS bounds, multiple of 32, EBUSY once set or initialised
 *   ctrl       CTRL: INIT, SAVE_PENDING_TABLES, unknown attrs; vCPUs after INIT
 *   maint_irq  MAINT_IRQ (a PPI, EBUSY after INIT)
 *   pre-init   the registers before CTRL INIT: EBUSY except GICD_IIDR/TYPER2
 *   scenario   1 and 2 vCPUs, before and after KVM_ARM_VCPU_INIT: DIST_REGS,
 *              REDIST_REGS per MPIDR, CPU_SYSREGS, LEVEL_INFO, reads after
 *              writes to every register kind; the 2-vCPU initialised
 *              scenario scans every offset and ends with a save/restore
 *              round trip (save, new VM, restore in QEMU's order, save
 *              again, compare).
 *   buffers    GETs into buffers that straddle a writable and a read-only
 *              page: EFAULT, and nothing written (put_user() is one store)
 */
#include "vgic_transcript.h"

#define V3	KVM_DEV_TYPE_ARM_VGIC_V3

/* The number of interrupts the scenarios configure: 32 private + 32 SPIs. */
#define NR_IRQS	64

#define SGI_BASE	0x10000

/* The GICv3 CPU interface registers user space saves (QEMU's list). */
static const __u32 icc_regs[] = {
	SYSREG(3, 0, 4, 6, 0),		/* ICC_PMR_EL1 */
	SYSREG(3, 0, 12, 8, 3),		/* ICC_BPR0_EL1 */
	SYSREG(3, 0, 12, 8, 4),		/* ICC_AP0R0_EL1 */
	SYSREG(3, 0, 12, 8, 5),		/* ICC_AP0R1_EL1 */
	SYSREG(3, 0, 12, 8, 6),		/* ICC_AP0R2_EL1 */
	SYSREG(3, 0, 12, 8, 7),		/* ICC_AP0R3_EL1 */
	SYSREG(3, 0, 12, 9, 0),		/* ICC_AP1R0_EL1 */
	SYSREG(3, 0, 12, 9, 1),		/* ICC_AP1R1_EL1 */
	SYSREG(3, 0, 12, 9, 2),		/* ICC_AP1R2_EL1 */
	SYSREG(3, 0, 12, 9, 3),		/* ICC_AP1R3_EL1 */
	SYSREG(3, 0, 12, 12, 3),	/* ICC_BPR1_EL1 */
	SYSREG(3, 0, 12, 12, 4),	/* ICC_CTLR_EL1 */
	SYSREG(3, 0, 12, 12, 5),	/* ICC_SRE_EL1 */
	SYSREG(3, 0, 12, 12, 6),	/* ICC_IGRPEN0_EL1 */
	SYSREG(3, 0, 12, 12, 7),	/* ICC_IGRPEN1_EL1 */
};

#define ICC_PMR		SYSREG(3, 0, 4, 6, 0)
#define ICC_BPR0	SYSREG(3, 0, 12, 8, 3)
#define ICC_AP0R0	SYSREG(3, 0, 12, 8, 4)
#define ICC_AP0R1	SYSREG(3, 0, 12, 8, 5)
#define ICC_AP1R0	SYSREG(3, 0, 12, 9, 0)
#define ICC_BPR1	SYSREG(3, 0, 12, 12, 3)
#define ICC_CTLR	SYSREG(3, 0, 12, 12, 4)
#define ICC_SRE		SYSREG(3, 0, 12, 12, 5)
#define ICC_IGRPEN0	SYSREG(3, 0, 12, 12, 6)
#define ICC_IGRPEN1	SYSREG(3, 0, 12, 12, 7)
#define ICC_IAR1	SYSREG(3, 0, 12, 12, 0)
#define ICC_SGI1R	SYSREG(3, 0, 12, 11, 5)

/* Distributor registers dumped where a scenario does not scan every offset. */
static const __u32 dist_list[] = {
	0x0000, 0x0004, 0x0008, 0x000c, 0x0010, 0x0040,
	0x0080, 0x0084, 0x0088,			/* IGROUPR0-2 (2: beyond NR_IRQS) */
	0x0100, 0x0104, 0x0108,			/* ISENABLER0-2 */
	0x0180, 0x0184, 0x0188,			/* ICENABLER0-2 */
	0x0200, 0x0204, 0x0208,			/* ISPENDR0-2 */
	0x0280, 0x0284, 0x0288,			/* ICPENDR0-2 */
	0x0300, 0x0304, 0x0308,			/* ISACTIVER0-2 */
	0x0380, 0x0384, 0x0388,			/* ICACTIVER0-2 */
	0x0400, 0x041c, 0x0420, 0x0424, 0x043c, 0x0440, /* IPRIORITYR0,7,8,9,15,16 */
	0x0820,					/* ITARGETSR8 */
	0x0c00, 0x0c04, 0x0c08, 0x0c0c, 0x0c10,	/* ICFGR0-4 */
	0x0d04, 0x0e08, 0x0f00, 0x0f10, 0x0f20,	/* IGRPMODR1, NSACR2, SGIR, C/SPENDSGIR0 */
	0x1000, 0x1200,				/* IGROUPRnE0, ISENABLERnE0 */
	0x6100, 0x6104, 0x6108, 0x61fc, 0x6200,	/* IROUTER32, 33.lo, 63.hi, 64.lo */
	0xffe8, 0xfff0,				/* PIDR2, CIDR0 */
};

/* Redistributor registers dumped where a scenario does not scan every offset. */
static const __u32 redist_list[] = {
	0x0000, 0x0004, 0x0008, 0x000c, 0x0010, 0x0014, 0x0070, 0x0074, 0x0078, 0x007c,
	0x00c0, 0xffe8,
	SGI_BASE + 0x0080, SGI_BASE + 0x0100, SGI_BASE + 0x0180, SGI_BASE + 0x0200,
	SGI_BASE + 0x0280, SGI_BASE + 0x0300, SGI_BASE + 0x0380, SGI_BASE + 0x0400,
	SGI_BASE + 0x041c, SGI_BASE + 0x0c00, SGI_BASE + 0x0c04, SGI_BASE + 0x0d00,
	SGI_BASE + 0x0e00,
};

static int kvm;

static void dump_list(int gic, __u32 group, __u32 hi, const __u32 *offs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		t_get32(gic, group, (__u64)hi << 32 | offs[i], NULL);
}

static void create(void)
{
	struct gic_vm v;
	int its, other;

	t_section("create: one GIC per VM");
	v = gic_vm_new(kvm, V3, 0, false, true);
	t_device(v.vm, V3, 0);
	t_device(v.vm, V3, KVM_CREATE_DEVICE_TEST);
	other = t_device(v.vm, KVM_DEV_TYPE_ARM_VGIC_V2, 0);
	t_close(other);
	gic_vm_free(&v);

	t_section("create: vCPUs before the GIC");
	v = gic_vm_new(kvm, V3, 2, false, true);
	t_device(v.vm, V3, 0);
	gic_vm_free(&v);

	t_section("create: an ITS before the GIC");
	v = gic_vm_new(kvm, V3, 1, false, false);
	its = t_device(v.vm, KVM_DEV_TYPE_ARM_VGIC_ITS, 0);
	v.gic = t_device(v.vm, V3, 0);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	t_close(its);
	gic_vm_free(&v);
}

static void addr(void)
{
	struct gic_vm v;
	__u64 a;

	t_section("addr: types and buffers");
	v = gic_vm_new(kvm, V3, 2, false, true);
	for (a = 0; a <= 6; a++)
		t_has(v.gic, G_ADDR, a);
	t_has(v.gic, G_ADDR, ~0ULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, NULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 0, NULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, NULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, NULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, NULL);
	t_get64(v.gic, G_ADDR, 6, NULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, GPA_CPUIF);
	t_set64(v.gic, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, GPA_ITS);
	t_set64(v.gic, G_ADDR, 6, GPA_DIST);
	t_set_null(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST);
	t_get_null(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST);
	t_get_null(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION);
	t_set_null(v.gic, G_ADDR, 6);
	t_get_null(v.gic, G_ADDR, 6);

	t_section("addr: DIST");
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST + 0x1000);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST + 0x8000);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, IPA_SIZE);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, IPA_SIZE - 0x8000);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 1ULL << 52);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 0xffffffffffff0000ULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, NULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST + 0x100000);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, NULL);

	t_section("addr: legacy REDIST (2 vCPUs)");
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_REDIST + 0x1000);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, IPA_SIZE);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, IPA_SIZE - 0x20000);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, IPA_SIZE - 0x40000);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 0, NULL);
	gic_vm_free(&v);

	v = gic_vm_new(kvm, V3, 2, false, true);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_DIST - 0x20000);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_DIST - 0x40000);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 0, NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 1, NULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_REDIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST, 0, 1));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST, 0, 0));
	gic_vm_free(&v);

	t_section("addr: REDIST_REGION (2 vCPUs)");
	v = gic_vm_new(kvm, V3, 2, false, true);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST, 1, 0));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST, 8, 0));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(0, GPA_REDIST, 0, 0));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST, 0, 1));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST, 0, 0) | 0x1000ULL << 0);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, IPA_SIZE, 0, 0));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(2, IPA_SIZE - 0x20000, 0, 0));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(0xfff, 0x000fffffffff0000ULL, 0, 0));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST, 0, 0));
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 0, NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		   RDIST_REGION(5, 0x123450000ULL, 3, 0), NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 1, NULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, NULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST + 0x100000, 0, 0));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST + 0x100000, 0, 2));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST + 0x10000, 0, 1));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST + 0x20000, 0, 1));
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 1, NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 2, NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 0xfff, NULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_REDIST + 0x200000);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_REDIST);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, NULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(4, GPA_REDIST + 0x100000, 0, 2));
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST + 0x40000, 0, 3));
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 2, NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 3, NULL);
	gic_vm_free(&v);

	t_section("addr: legacy KVM_ARM_SET_DEVICE_ADDR on a GICv3");
	v = gic_vm_new(kvm, V3, 1, false, false);
	t_legacy_addr(v.vm, 0, GPA_DIST);
	v.gic = t_device(v.vm, V3, 0);
	t_legacy_addr(v.vm, 0, GPA_DIST);
	t_legacy_addr(v.vm, 1, GPA_CPUIF);
	t_legacy_addr(v.vm, 2, GPA_DIST);
	t_legacy_addr(v.vm, 1ULL << 16, GPA_DIST);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, NULL);
	t_rec(t_sys(ioctl(v.vm, KVM_CREATE_IRQCHIP, 0)), "KVM_CREATE_IRQCHIP");
	gic_vm_free(&v);
	v = gic_vm_new(kvm, V3, 1, false, false);
	t_rec(t_sys(ioctl(v.vm, KVM_CREATE_IRQCHIP, 0)), "KVM_CREATE_IRQCHIP");
	v.gic = t_device(v.vm, V3, 0);
	gic_vm_free(&v);

	t_section("addr: after CTRL INIT");
	v = gic_vm_new(kvm, V3, 1, false, true);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_REDIST);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, NULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, NULL);
	gic_vm_free(&v);
}

static void nr_irqs(void)
{
	static const __u32 bad[] = { 0, 32, 48, 63, 65, 80, 1023, 1024, 1056, 0xffffffe0 };
	struct gic_vm v;
	size_t i;

	t_section("nr_irqs: bounds");
	v = gic_vm_new(kvm, V3, 1, false, true);
	t_has(v.gic, G_NRIRQS, 0);
	t_has(v.gic, G_NRIRQS, 1);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		t_set32(v.gic, G_NRIRQS, 0, bad[i]);
	t_set_null(v.gic, G_NRIRQS, 0);
	t_get_null(v.gic, G_NRIRQS, 0);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	t_set32(v.gic, G_NRIRQS, 0, 64);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	t_get32(v.gic, G_NRIRQS, 12345, NULL);
	t_set32(v.gic, G_NRIRQS, 0, 64);
	t_set32(v.gic, G_NRIRQS, 0, 96);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	gic_vm_free(&v);

	t_section("nr_irqs: the largest");
	v = gic_vm_new(kvm, V3, 1, false, true);
	t_set32(v.gic, G_NRIRQS, 0, 992);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	t_get32(v.gic, G_DIST, 0x0004, NULL);
	gic_vm_free(&v);

	t_section("nr_irqs: the default at CTRL INIT");
	v = gic_vm_new(kvm, V3, 1, false, true);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	t_set32(v.gic, G_NRIRQS, 0, 64);
	t_get32(v.gic, G_DIST, 0x0004, NULL);
	gic_vm_free(&v);
}

static void ctrl(void)
{
	struct gic_vm v;
	__u64 a;
	int vcpu;

	t_section("ctrl");
	v = gic_vm_new(kvm, V3, 1, false, true);
	for (a = 0; a <= 6; a++)
		t_has(v.gic, G_CTRL, a);
	for (a = 1; a <= 6; a++)
		if (a != KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES)
			t_ctrl(v.gic, a);
	t_get_null(v.gic, G_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	vcpu = t_vcpu(v.vm, 1);
	t_close(vcpu);
	gic_vm_free(&v);

	t_section("ctrl: INIT without vCPUs");
	v = gic_vm_new(kvm, V3, 0, false, true);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	vcpu = t_vcpu(v.vm, 0);
	t_get32(v.gic, G_DIST, 0x0004, NULL);
	t_close(vcpu);
	gic_vm_free(&v);
}

static void maint_irq(void)
{
	struct gic_vm v;

	t_section("maint_irq");
	v = gic_vm_new(kvm, V3, 1, false, true);
	t_has(v.gic, G_MAINT, 0);
	t_get32(v.gic, G_MAINT, 0, NULL);
	t_set32(v.gic, G_MAINT, 0, 15);
	t_set32(v.gic, G_MAINT, 0, 32);
	t_set32(v.gic, G_MAINT, 0, 16);
	t_get32(v.gic, G_MAINT, 0, NULL);
	t_set32(v.gic, G_MAINT, 0, 25);
	t_get32(v.gic, G_MAINT, 0, NULL);
	t_set_null(v.gic, G_MAINT, 0);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_set32(v.gic, G_MAINT, 0, 23);
	t_get32(v.gic, G_MAINT, 0, NULL);
	gic_vm_free(&v);
}

static void pre_init(void)
{
	__u32 iidr = 0;
	struct gic_vm v;

	t_section("pre-init: no vCPU");
	v = gic_vm_new(kvm, V3, 0, false, true);
	t_get32(v.gic, G_DIST, 0x0008, NULL);
	t_has(v.gic, G_DIST, 0x0000);
	t_has(v.gic, G_REDIST, 0x0000);
	t_has(v.gic, G_SYSREGS, ICC_PMR);
	gic_vm_free(&v);

	t_section("pre-init: 2 vCPUs, registers before CTRL INIT");
	v = gic_vm_new(kvm, V3, 2, false, true);
	t_get32(v.gic, G_DIST, 0x0000, NULL);
	t_get32(v.gic, G_DIST, 0x0004, NULL);
	t_get32(v.gic, G_DIST, 0x0008, &iidr);
	t_get32(v.gic, G_DIST, 0x000c, NULL);
	t_set32(v.gic, G_DIST, 0x0000, 0x2);
	t_set32(v.gic, G_DIST, 0x0008, iidr);
	t_set32(v.gic, G_DIST, 0x0008, (iidr & ~0xf000U) | 0x1000);
	t_set32(v.gic, G_DIST, 0x0008, (iidr & ~0xf000U) | 0x2000);
	t_get32(v.gic, G_DIST, 0x0008, NULL);
	t_set32(v.gic, G_DIST, 0x0008, (iidr & ~0xf000U) | 0x4000);
	t_set32(v.gic, G_DIST, 0x0008, iidr ^ 0x1);
	t_set32(v.gic, G_DIST, 0x0008, (iidr & ~0xf000U) | 0x3000);
	t_get32(v.gic, G_DIST, 0x0008, NULL);
	t_set32(v.gic, G_DIST, 0x000c, 0);
	t_set32(v.gic, G_DIST, 0x000c, 0x100);
	t_set32(v.gic, G_DIST, 0x000c, 0x1);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, 0x0008), NULL);
	t_get32(v.gic, G_SYSREGS, ICC_PMR, NULL);
	t_get64(v.gic, G_SYSREGS, ICC_PMR, NULL);
	t_get32(v.gic, G_LEVEL, LEVEL_ATTR(0, 0, 32), NULL);
	t_set32(v.gic, G_LEVEL, LEVEL_ATTR(0, 0, 32), 1);

	t_section("pre-init: has before NR_IRQS (32 interrupts)");
	t_scan(v.gic, G_DIST, 0, 0, 0x10000, 4, T_HAS);
	t_set32(v.gic, G_NRIRQS, 0, NR_IRQS);
	t_section("pre-init: has with NR_IRQS 64, before CTRL INIT");
	t_scan(v.gic, G_DIST, 0, 0, 0x10000, 4, T_HAS);
	t_scan(v.gic, G_REDIST, 0, 0, 0x20000, 4, T_HAS);
	t_has(v.gic, G_REDIST, V3_ATTR(1, 0x0008));
	t_has(v.gic, G_REDIST, V3_ATTR(0x100, 0x0008));
	t_has(v.gic, G_SYSREGS, V3_ATTR(1, ICC_PMR));
	gic_vm_free(&v);
}

/*
 * Dumps the VM's registers: every offset when full (and, the first time,
 * which offsets HAS_DEVICE_ATTR accepts), the lists otherwise.
 */
static void dump(struct gic_vm *v, const __u32 *mpidr, bool full, bool first)
{
	const char *when = first ? "before writes" : "after writes";
	size_t i;
	int c;

	t_section("DIST_REGS %s", when);
	if (full) {
		if (first)
			t_scan(v->gic, G_DIST, 0, 0, 0x10000, 4, T_HAS);
		t_scan(v->gic, G_DIST, 0, 0, 0x10000, 4, T_GET32);
	} else {
		dump_list(v->gic, G_DIST, 0, dist_list, ARRAY_SIZE(dist_list));
	}
	for (c = 0; c < v->nvcpus; c++) {
		t_section("REDIST_REGS vcpu %d %s", c, when);
		if (full) {
			if (first && c == 0)
				t_scan(v->gic, G_REDIST, mpidr[c], 0, 0x20000, 4, T_HAS);
			t_scan(v->gic, G_REDIST, mpidr[c], 0, 0x20000, 4, T_GET32);
		} else {
			dump_list(v->gic, G_REDIST, mpidr[c], redist_list, ARRAY_SIZE(redist_list));
		}
		t_section("CPU_SYSREGS vcpu %d %s", c, when);
		if (full && first && c == 0) {
			t_scan(v->gic, G_SYSREGS, mpidr[c], 0, 0x10000, 1, T_HAS);
			t_scan(v->gic, G_SYSREGS, mpidr[c], 0, 0x10000, 1, T_GET64);
		}
		for (i = 0; i < ARRAY_SIZE(icc_regs); i++)
			t_get64(v->gic, G_SYSREGS, V3_ATTR(mpidr[c], icc_regs[i]), NULL);
		t_section("LEVEL_INFO vcpu %d %s", c, when);
		t_get32(v->gic, G_LEVEL, LEVEL_ATTR(mpidr[c], 0, 0), NULL);
		t_get32(v->gic, G_LEVEL, LEVEL_ATTR(mpidr[c], 0, 32), NULL);
		t_get32(v->gic, G_LEVEL, LEVEL_ATTR(mpidr[c], 0, 64), NULL);
	}
}

/* Writes to every kind of register, each followed by the reads that show its effect. */
static void writes(struct gic_vm *v, const __u32 *mpidr)
{
	int g = v->gic;
	__u32 m0 = mpidr[0];
	__u32 buf[2];
	__u32 *edge;
	long r;

	t_section("writes: DIST_REGS");
	t_set32(g, G_DIST, 0x0000, 0x2);
	t_get32(g, G_DIST, 0x0000, NULL);
	t_set32(g, G_DIST, 0x0000, 0xffffffff);
	t_get32(g, G_DIST, 0x0000, NULL);
	t_set32(g, G_DIST, 0x0000, 0);
	t_get32(g, G_DIST, 0x0000, NULL);
	t_set32(g, G_DIST, 0x0004, 0);
	t_get32(g, G_DIST, 0x0004, NULL);
	t_set32(g, G_DIST, 0x000c, 0x100);
	t_set32(g, G_DIST, 0x0010, 0);
	t_get32(g, G_DIST, 0x0010, NULL);
	t_set32(g, G_DIST, 0x0040, 33);
	t_get32(g, G_DIST, 0x0204, NULL);
	t_set32(g, G_DIST, 0x0084, 0x0000ffff);
	t_get32(g, G_DIST, 0x0084, NULL);
	t_set32(g, G_DIST, 0x0080, 0xffffffff);
	t_get32(g, G_DIST, 0x0080, NULL);
	t_set32(g, G_DIST, 0x0104, 0x00000005);
	t_get32(g, G_DIST, 0x0104, NULL);
	t_get32(g, G_DIST, 0x0184, NULL);
	t_set32(g, G_DIST, 0x0184, 0x00000001);
	t_get32(g, G_DIST, 0x0104, NULL);
	t_set32(g, G_DIST, 0x0104, 0x00000000);
	t_get32(g, G_DIST, 0x0104, NULL);
	t_set32(g, G_DIST, 0x0100, 0xffffffff);
	t_get32(g, G_DIST, 0x0100, NULL);
	t_set32(g, G_DIST, 0x0108, 0xffffffff);
	t_get32(g, G_DIST, 0x0108, NULL);
	t_set32(g, G_DIST, 0x0204, 0x00000030);
	t_get32(g, G_DIST, 0x0204, NULL);
	t_get32(g, G_DIST, 0x0284, NULL);
	t_set32(g, G_DIST, 0x0204, 0x00000010);
	t_get32(g, G_DIST, 0x0204, NULL);
	t_set32(g, G_DIST, 0x0284, 0xffffffff);
	t_get32(g, G_DIST, 0x0204, NULL);
	t_set32(g, G_DIST, 0x0304, 0x00000300);
	t_get32(g, G_DIST, 0x0304, NULL);
	t_get32(g, G_DIST, 0x0384, NULL);
	t_set32(g, G_DIST, 0x0384, 0x00000100);
	t_get32(g, G_DIST, 0x0304, NULL);
	t_set32(g, G_DIST, 0x0420, 0xffffffff);
	t_get32(g, G_DIST, 0x0420, NULL);
	t_set32(g, G_DIST, 0x0424, 0x12345678);
	t_get32(g, G_DIST, 0x0424, NULL);
	t_set32(g, G_DIST, 0x0400, 0xffffffff);
	t_get32(g, G_DIST, 0x0400, NULL);
	t_set32(g, G_DIST, 0x0820, 0x01010101);
	t_get32(g, G_DIST, 0x0820, NULL);
	t_set32(g, G_DIST, 0x0c08, 0xffffffff);
	t_get32(g, G_DIST, 0x0c08, NULL);
	t_set32(g, G_DIST, 0x0c0c, 0x55555555);
	t_get32(g, G_DIST, 0x0c0c, NULL);
	t_set32(g, G_DIST, 0x0c00, 0);
	t_get32(g, G_DIST, 0x0c00, NULL);
	t_set32(g, G_DIST, 0x0c04, 0xffffffff);
	t_get32(g, G_DIST, 0x0c04, NULL);
	t_set32(g, G_DIST, 0x0d04, 0xffffffff);
	t_get32(g, G_DIST, 0x0d04, NULL);
	t_set32(g, G_DIST, 0x0e08, 0xffffffff);
	t_get32(g, G_DIST, 0x0e08, NULL);
	t_set32(g, G_DIST, 0x0f00, 0x00010001);
	t_set32(g, G_DIST, 0x6100, 0x00000001);
	t_get32(g, G_DIST, 0x6100, NULL);
	t_get32(g, G_DIST, 0x6104, NULL);
	t_set32(g, G_DIST, 0x6104, 0x000000ff);
	t_get32(g, G_DIST, 0x6104, NULL);
	t_set32(g, G_DIST, 0x6108, 0x80000000);
	t_get32(g, G_DIST, 0x6108, NULL);
	t_set32(g, G_DIST, 0x6110, 0xffffffff);
	t_get32(g, G_DIST, 0x6110, NULL);
	t_set32(g, G_DIST, 0x6114, 0xffffffff);
	t_get32(g, G_DIST, 0x6114, NULL);
	t_set32(g, G_DIST, 0x6000, 0x1);
	t_get32(g, G_DIST, 0x6000, NULL);
	t_set32(g, G_DIST, 0x6200, 0x1);
	t_get32(g, G_DIST, 0x6200, NULL);
	t_set32(g, G_DIST, 0xffe8, 0);
	t_get32(g, G_DIST, 0xffe8, NULL);
	t_set32(g, G_DIST, 0x0001, 0);
	t_get32(g, G_DIST, 0x0001, NULL);
	t_get32(g, G_DIST, 0x0402, NULL);
	t_get32(g, G_DIST, 0x10000, NULL);
	t_get32(g, G_DIST, 0xfffffffc, NULL);
	t_get32(g, G_DIST, V3_ATTR(1, 0x0004), NULL);
	t_get32(g, G_DIST, V3_ATTR(0xffffffff, 0x0104), NULL);
	t_has(g, G_DIST, 0x0001);
	t_has(g, G_DIST, 0x0402);
	t_has(g, G_DIST, 0x10000);
	t_set_null(g, G_DIST, 0x0104);
	t_get_null(g, G_DIST, 0x0104);

	t_section("writes: REDIST_REGS");
	t_set32(g, G_REDIST, V3_ATTR(m0, 0x0000), 0x1);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x0000), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, 0x0004), 0);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x0004), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, 0x0008), 0);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x0008), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, 0x0014), 0x2);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x0014), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, 0x0070), 0x4000100f);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x0070), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, 0x0074), 0xffffffff);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x0074), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, 0x0078), 0x40010fff);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x0078), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, 0x007c), 0x40000000);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x007c), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0080), 0xffff0000);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0080), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0100), 0x8000ffff);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0100), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0180), 0x00000001);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0100), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0200), 0x00010003);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0200), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0280), 0xffffffff);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0200), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0300), 0x00000004);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0300), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0400), 0x80808080);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0400), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x041c), 0xffffffff);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x041c), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0c00), 0);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0c00), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0c04), 0xffffffff);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0c04), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0d00), 0xffffffff);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0d00), NULL);
	t_set32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0e00), 0xffffffff);
	t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0e00), NULL);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x0002), NULL);
	t_get32(g, G_REDIST, V3_ATTR(m0, 0x20000), NULL);
	t_has(g, G_REDIST, V3_ATTR(m0, 0x0002));
	t_has(g, G_REDIST, V3_ATTR(m0, 0x20000));
	if (v->nvcpus > 1) {
		t_set32(g, G_REDIST, V3_ATTR(mpidr[1], SGI_BASE + 0x0100), 0x00010000);
		t_get32(g, G_REDIST, V3_ATTR(mpidr[1], SGI_BASE + 0x0100), NULL);
		t_get32(g, G_REDIST, V3_ATTR(m0, SGI_BASE + 0x0100), NULL);
		t_get32(g, G_REDIST, V3_ATTR(mpidr[1], 0x0070), NULL);
		t_get32(g, G_REDIST, V3_ATTR(mpidr[1], 0x0078), NULL);
	}
	t_get32(g, G_REDIST, V3_ATTR(0x2, 0x0008), NULL);
	t_get32(g, G_REDIST, V3_ATTR(0x100, 0x0008), NULL);
	t_get32(g, G_REDIST, V3_ATTR(0x10000, 0x0008), NULL);
	t_get32(g, G_REDIST, V3_ATTR(0x1000000, 0x0008), NULL);
	t_set_null(g, G_REDIST, V3_ATTR(m0, 0x0000));
	t_get_null(g, G_REDIST, V3_ATTR(m0, 0x0000));

	t_section("writes: CPU_SYSREGS");
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), 0xf0);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), 0xff);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), 0x1ff);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_BPR0), 2);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_BPR0), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_BPR1), 3);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_BPR1), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_BPR1), 0);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_BPR1), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_IGRPEN0), 1);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_IGRPEN0), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_IGRPEN1), 3);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_IGRPEN1), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_AP0R0), 0x1);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_AP0R0), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_AP1R0), 0x80000000);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_AP1R0), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_AP0R1), 0x1);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_AP0R1), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_CTLR), 0x2);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_CTLR), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_CTLR), 0xffffffffffffffffULL);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_CTLR), NULL);
	/* The refused writes above lowered PRIbits and IDbits, which cannot be raised again. */
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_CTLR), 0x8c00);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_CTLR), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_CTLR), 0x8002);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_CTLR), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_SRE), 0x7);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_SRE), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_SRE), 0);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_SRE), NULL);
	t_has(g, G_SYSREGS, V3_ATTR(m0, ICC_IAR1));
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_IAR1), NULL);
	t_set64(g, G_SYSREGS, V3_ATTR(m0, ICC_IAR1), 0);
	t_has(g, G_SYSREGS, V3_ATTR(m0, ICC_SGI1R));
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_SGI1R), NULL);
	t_has(g, G_SYSREGS, V3_ATTR(m0, 0x10000 | ICC_PMR));
	t_get64(g, G_SYSREGS, V3_ATTR(m0, 0x10000 | ICC_PMR), NULL);
	t_get64(g, G_SYSREGS, V3_ATTR(0x2, ICC_PMR), NULL);
	t_has(g, G_SYSREGS, V3_ATTR(0x2, ICC_PMR));
	if (v->nvcpus > 1)
		t_get64(g, G_SYSREGS, V3_ATTR(mpidr[1], ICC_PMR), NULL);
	t_set_null(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR));
	t_get_null(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR));
	/* A 4-byte buffer for a u64 register, as clients have shipped. */
	t_get32(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), NULL);
	t_set32(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), 0xe0);
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), NULL);
	buf[0] = POISON32;
	buf[1] = 0x11223344;
	r = t_attr_ioctl(g, KVM_GET_DEVICE_ATTR, G_SYSREGS, V3_ATTR(m0, ICC_PMR), buf);
	printf("get %s into u32[2]", t_attr_desc(G_SYSREGS, V3_ATTR(m0, ICC_PMR)));
	t_result(r);
	printf(" words 0x%08x 0x%08x\n", buf[0], buf[1]);
	edge = t_edge_buffer(4);
	*edge = POISON32;
	r = t_attr_ioctl(g, KVM_GET_DEVICE_ATTR, G_SYSREGS, V3_ATTR(m0, ICC_PMR), edge);
	printf("get %s into 4 bytes before an unmapped page",
	       t_attr_desc(G_SYSREGS, V3_ATTR(m0, ICC_PMR)));
	t_result(r);
	printf(" word 0x%08x\n", *edge);
	*edge = 0xf8;
	t_rec(t_attr_ioctl(g, KVM_SET_DEVICE_ATTR, G_SYSREGS, V3_ATTR(m0, ICC_PMR), edge),
	      "set %s from 4 bytes before an unmapped page",
	      t_attr_desc(G_SYSREGS, V3_ATTR(m0, ICC_PMR)));
	t_get64(g, G_SYSREGS, V3_ATTR(m0, ICC_PMR), NULL);
	/* The 4-byte DIST/REDIST registers with a buffer at the edge: exactly 4 bytes. */
	*edge = POISON32;
	t_rec(t_attr_ioctl(g, KVM_GET_DEVICE_ATTR, G_DIST, 0x0004, edge),
	      "get %s into 4 bytes before an unmapped page", t_attr_desc(G_DIST, 0x0004));

	t_section("writes: LEVEL_INFO");
	t_has(g, G_LEVEL, LEVEL_ATTR(m0, 0, 0));
	t_has(g, G_LEVEL, LEVEL_ATTR(m0, 1, 0));
	t_has(g, G_LEVEL, LEVEL_ATTR(m0, 0, 33));
	t_set32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 32), 0xffffffff);
	t_get32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 32), NULL);
	t_get32(g, G_DIST, 0x0204, NULL);
	t_set32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 32), 0x00000000);
	t_get32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 32), NULL);
	t_set32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 0), 0xffffffff);
	t_get32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 0), NULL);
	t_set32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 64), 0xffffffff);
	t_get32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 64), NULL);
	t_get32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 33), NULL);
	t_get32(g, G_LEVEL, LEVEL_ATTR(m0, 1, 32), NULL);
	t_set32(g, G_LEVEL, LEVEL_ATTR(m0, 1, 32), 0);
	t_get32(g, G_LEVEL, LEVEL_ATTR(0x2, 0, 32), NULL);
	t_set32(g, G_LEVEL, LEVEL_ATTR(m0, 0, 32), 0x00000020);
}

/* The state QEMU saves, as (group, attr, width) triples. */
struct reg {
	__u32 group;
	__u64 attr;
	bool wide;
	__u64 val;
	long r;
};

#define MAX_REGS 512

/*
 * The registers QEMU saves (hw/intc/arm_gicv3_kvm.c): the active-priority
 * registers ICC_AP<n>R<m>_EL1 only up to the number ICC_CTLR_EL1.PRIbits
 * implies, as QEMU reads them.
 */
static size_t state_list(int gic, struct reg *regs, int nvcpus, const __u32 *mpidr)
{
	__u64 ctlr = 0;
	int c, nr_apr;
	size_t n = 0;
	__u32 off;
	size_t i;

	t_attr_ioctl(gic, KVM_GET_DEVICE_ATTR, G_SYSREGS, V3_ATTR(mpidr[0], ICC_CTLR), &ctlr);
	/* QEMU's kvm_arm_gicv3_get(): APnR1 from 6 priority bits, APnR2/3 from 7. */
	switch (((ctlr >> 8) & 7) + 1) {
	case 7:
		nr_apr = 4;
		break;
	case 6:
		nr_apr = 2;
		break;
	default:
		nr_apr = 1;
		break;
	}
	printf("state: ICC_CTLR_EL1 0x%llx: %d APnR registers per group\n",
	       (unsigned long long)ctlr, nr_apr);

#define ADD(g, a, w) do {								\
	regs[n] = (struct reg){ .group = (g), .attr = (a), .wide = (w) };	\
	n++;									\
} while (0)
	ADD(G_DIST, 0x0000, false);
	for (off = 0x0084; off < 0x0080 + NR_IRQS / 8; off += 4) {
		ADD(G_DIST, off, false);				/* IGROUPR */
		ADD(G_DIST, off + 0x0080, false);			/* ISENABLER */
		ADD(G_DIST, off + 0x0180, false);			/* ISPENDR */
		ADD(G_DIST, off + 0x0280, false);			/* ISACTIVER */
		ADD(G_DIST, off - 0x0084 + 0x0d04, false);	/* IGRPMODR */
	}
	for (off = 0x0420; off < 0x0400 + NR_IRQS; off += 4)
		ADD(G_DIST, off, false);				/* IPRIORITYR */
	for (off = 0x0c08; off < 0x0c00 + NR_IRQS / 4; off += 4)
		ADD(G_DIST, off, false);				/* ICFGR */
	for (off = 0x6100; off < 0x6000 + NR_IRQS * 8; off += 4)
		ADD(G_DIST, off, false);				/* IROUTER halves */
	for (off = 32; off < NR_IRQS; off += 32)
		ADD(G_LEVEL, LEVEL_ATTR(mpidr[0], 0, off), false);
	for (c = 0; c < nvcpus; c++) {
		static const __u32 rd[] = {
			0x0000, 0x0070, 0x0074, 0x0078, 0x007c,
			SGI_BASE + 0x0080, SGI_BASE + 0x0100, SGI_BASE + 0x0200,
			SGI_BASE + 0x0300, SGI_BASE + 0x0c00, SGI_BASE + 0x0c04,
			SGI_BASE + 0x0d00,
		};

		for (i = 0; i < ARRAY_SIZE(rd); i++)
			ADD(G_REDIST, V3_ATTR(mpidr[c], rd[i]), false);
		for (off = 0; off < 32; off += 4)
			ADD(G_REDIST, V3_ATTR(mpidr[c], SGI_BASE + 0x0400 + off), false);
		ADD(G_LEVEL, LEVEL_ATTR(mpidr[c], 0, 0), false);
		for (i = 0; i < ARRAY_SIZE(icc_regs); i++) {
			__u32 r = icc_regs[i];

			/* ICC_AP0R<m>_EL1 is op2 4+m of CRm 8, ICC_AP1R<m>_EL1 op2 m of CRm 9. */
			if ((r & ~3U) == (SYSREG(3, 0, 12, 8, 4) & ~3U) && (int)(r & 3) >= nr_apr)
				continue;
			if ((r & ~3U) == SYSREG(3, 0, 12, 9, 0) && (int)(r & 3) >= nr_apr)
				continue;
			ADD(G_SYSREGS, V3_ATTR(mpidr[c], r), true);
		}
	}
#undef ADD
	return n;
}

static void save(int gic, struct reg *regs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		__u64 v64 = 0;
		__u32 v32 = 0;

		regs[i].r = t_attr_ioctl(gic, KVM_GET_DEVICE_ATTR, regs[i].group, regs[i].attr,
					 regs[i].wide ? (void *)&v64 : (void *)&v32);
		regs[i].val = regs[i].wide ? v64 : v32;
		if (regs[i].r)
			printf("save: get %s => -1 %s\n",
			       t_attr_desc(regs[i].group, regs[i].attr), t_errno_name(t_err));
	}
}

/* Writes a saved value; set/clear pairs are cleared first, as QEMU does. */
static void restore_one(int gic, const struct reg *reg)
{
	__u32 off = (__u32)reg->attr;
	__u64 hi = reg->attr & ~0xffffffffULL;
	__u32 clear = 0;
	__u64 v = reg->val;
	long r;

	if (reg->group == G_DIST && off >= 0x0100 && off < 0x0400 && !(off & 0x80))
		clear = off + 0x80;		/* ISENABLER, ISPENDR, ISACTIVER */
	if (reg->group == G_REDIST && off >= SGI_BASE + 0x0100 && off < SGI_BASE + 0x0400 &&
	    !(off & 0x80))
		clear = off + 0x80;
	if (clear) {
		__u32 ones = 0xffffffff;

		r = t_attr_ioctl(gic, KVM_SET_DEVICE_ATTR, reg->group, hi | clear, &ones);
		if (r)
			printf("restore: set %s => -1 %s\n",
			       t_attr_desc(reg->group, hi | clear), t_errno_name(t_err));
	}
	if (reg->wide) {
		r = t_attr_ioctl(gic, KVM_SET_DEVICE_ATTR, reg->group, reg->attr, &v);
	} else {
		__u32 v32 = (__u32)v;

		r = t_attr_ioctl(gic, KVM_SET_DEVICE_ATTR, reg->group, reg->attr, &v32);
	}
	if (r)
		printf("restore: set %s 0x%llx => -1 %s\n", t_attr_desc(reg->group, reg->attr),
		       (unsigned long long)v, t_errno_name(t_err));
}

static void roundtrip(struct gic_vm *src, const __u32 *mpidr)
{
	static struct reg a[MAX_REGS], b[MAX_REGS];
	size_t n, i, diff = 0, nonzero = 0;
	struct gic_vm dst;
	int c;

	t_section("roundtrip: save, new VM, restore (QEMU's order), save again");
	n = state_list(src->gic, a, src->nvcpus, mpidr);
	save(src->gic, a, n);

	dst = gic_vm_new(kvm, V3, src->nvcpus, true, true);
	/* QEMU: NR_IRQS, CTRL INIT, then the addresses. */
	t_set32(dst.gic, G_NRIRQS, 0, NR_IRQS);
	t_ctrl(dst.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_set64(dst.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(dst.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_REDIST);
	/* QEMU's kvm_arm_gicv3_put(): GICD_CTLR, redistributors, distributor, CPU interfaces. */
	memcpy(b, a, n * sizeof(a[0]));
	for (i = 0; i < n; i++)
		if (b[i].group == G_DIST && b[i].attr == 0)
			restore_one(dst.gic, &b[i]);
	for (c = 0; c < src->nvcpus; c++)
		for (i = 0; i < n; i++)
			if (b[i].group == G_REDIST && b[i].attr >> 32 == mpidr[c])
				restore_one(dst.gic, &b[i]);
	for (i = 0; i < n; i++)
		if ((b[i].group == G_DIST && b[i].attr) || b[i].group == G_LEVEL)
			restore_one(dst.gic, &b[i]);
	for (i = 0; i < n; i++)
		if (b[i].group == G_SYSREGS)
			restore_one(dst.gic, &b[i]);
	save(dst.gic, b, n);
	for (i = 0; i < n; i++)
		nonzero += a[i].val != 0;
	printf("roundtrip: saved %zu values, %zu non-zero\n", n, nonzero);
	for (i = 0; i < n; i++) {
		if (a[i].r == b[i].r && a[i].val == b[i].val)
			continue;
		diff++;
		printf("roundtrip: %s: 0x%llx => 0x%llx\n", t_attr_desc(a[i].group, a[i].attr),
		       (unsigned long long)a[i].val, (unsigned long long)b[i].val);
	}
	printf("roundtrip: %zu values, %zu differ\n", n, diff);
	gic_vm_free(&dst);
}

static void scenario(int nvcpus, bool init, bool full)
{
	__u32 mpidr[2] = { 0, 0 };
	struct gic_vm v;
	int c;

	t_section("scenario: %d vCPU%s, %s KVM_ARM_VCPU_INIT%s", nvcpus, nvcpus > 1 ? "s" : "",
		  init ? "after" : "without", full ? ", every offset" : "");
	v = gic_vm_new(kvm, V3, nvcpus, init, true);
	/* Real KVM gives a vCPU its MPIDR at KVM_ARM_VCPU_INIT (vcpu id in Aff0). */
	for (c = 0; c < nvcpus; c++)
		mpidr[c] = init ? c : 0;
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_REDIST);
	t_set32(v.gic, G_NRIRQS, 0, NR_IRQS);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_section("GICR_TYPER by MPIDR");
	t_get32(v.gic, G_REDIST, V3_ATTR(0, 0x0008), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, 0x000c), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(1, 0x0008), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(1, 0x000c), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(0x100, 0x0008), NULL);
	t_get32(v.gic, G_SYSREGS, V3_ATTR(1, ICC_PMR), NULL);
	dump(&v, mpidr, full, true);
	writes(&v, mpidr);
	dump(&v, mpidr, full, false);
	if (full)
		roundtrip(&v, mpidr);
	gic_vm_free(&v);
}

static void buffers(void)
{
	struct gic_vm v;

	t_section("buffers: values that straddle a read-only page");
	v = gic_vm_new(kvm, V3, 1, true, true);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_REDIST);
	t_set32(v.gic, G_NRIRQS, 0, NR_IRQS);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_get_straddle("u64", v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 8);
	t_get_straddle("u32", v.gic, G_NRIRQS, 0, 4);
	t_get_straddle("u32", v.gic, G_DIST, V3_ATTR(0, 0x0004), 4);
	t_get_straddle("u32", v.gic, G_REDIST, V3_ATTR(0, 0x0008), 4);
	t_get_straddle("u64", v.gic, G_SYSREGS, V3_ATTR(0, ICC_PMR), 8);
	t_get_straddle("u32", v.gic, G_LEVEL, LEVEL_ATTR(0, 0, 32), 4);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, NULL);
	gic_vm_free(&v);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	t_gic = 3;
	kvm = t_open_node();

	t_host(kvm, false);
	create();
	addr();
	nr_irqs();
	ctrl();
	maint_irq();
	pre_init();
	scenario(1, false, false);
	scenario(1, true, false);
	scenario(2, false, false);
	scenario(2, true, true);
	buffers();
	t_section("end");
	return 0;
}
