/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the VGIC transcript programs (vgic_v3.c, vgic_its.c,
 * vgic_v2.c, vgic_init.c).
 *
 * Each program makes a fixed, deterministic sequence of calls on the VGIC
 * device API and prints one line per call:
 *
 *	<description> => <result>
 *
 * <result> is the return value ("fd" for a new file descriptor, never its
 * number) and, when the call failed, the errno name ("-1 EINVAL"); a
 * successful read adds the value read ("0 0x00000001"). A failed read whose
 * buffer was written anyway adds "buf=..." (an unchanged buffer adds
 * nothing). Lines starting with "##" name a section. Nothing printed
 * depends on fd numbers, pointers or timing, so a transcript taken on real
 * arm64 KVM (scripts/golden) is compared line by line with one taken on
 * kvm-devctl.
 *
 * Register scans (t_scan()) probe or read every offset of a register file
 * (every aligned 32-bit offset, every sysreg encoding) and print runs of
 * consecutive offsets with the same result as one line, so that every
 * offset is covered in a few dozen lines.
 *
 * The programs take an optional "--node PATH" (default /dev/kvm), so the
 * same binaries can later run against kvm-devctl's node.
 */
#ifndef VGIC_TRANSCRIPT_H
#define VGIC_TRANSCRIPT_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vgic_uapi.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* Short names for the attribute groups. */
#define G_ADDR		KVM_DEV_ARM_VGIC_GRP_ADDR
#define G_DIST		KVM_DEV_ARM_VGIC_GRP_DIST_REGS
#define G_CPU		KVM_DEV_ARM_VGIC_GRP_CPU_REGS
#define G_NRIRQS	KVM_DEV_ARM_VGIC_GRP_NR_IRQS
#define G_CTRL		KVM_DEV_ARM_VGIC_GRP_CTRL
#define G_REDIST	KVM_DEV_ARM_VGIC_GRP_REDIST_REGS
#define G_SYSREGS	KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS
#define G_LEVEL		KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO
#define G_ITS		KVM_DEV_ARM_VGIC_GRP_ITS_REGS
#define G_MAINT		KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ

#define SZ_4K	0x1000ULL
#define SZ_64K	0x10000ULL

/* The VM's IPA size: KVM_CREATE_VM type 0 gives arm64's default, 40 bits. */
#define IPA_BITS	40
#define IPA_SIZE	(1ULL << IPA_BITS)

/* Guest-physical layout, as QEMU's virt machine. */
#define GPA_DIST	0x08000000ULL
#define GPA_CPUIF	0x08010000ULL
#define GPA_ITS		0x08080000ULL
#define GPA_REDIST	0x080a0000ULL
#define GPA_RAM		0x40000000ULL

/* KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION's value (vgic.h, arm-vgic-v3.rst). */
#define RDIST_REGION(count, base, flags, index)				\
	(((__u64)(count) << 52) | ((__u64)(base) & 0x000fffffffff0000ULL) |	\
	 ((__u64)(flags) << 12) | ((__u64)(index) & 0xfff))

/* attr of a per-vCPU v3 register: the MPIDR as Aff3.Aff2.Aff1.Aff0 in 63:32. */
#define V3_ATTR(mpidr, off)	(((__u64)(mpidr) << 32) | (__u32)(off))
/* attr of a v2 register: the vCPU id in 39:32. */
#define V2_ATTR(cpu, off)	(((__u64)(cpu) << 32) | (__u32)(off))

/* CPU_SYSREGS attr: Op0:Op1:CRn:CRm:Op2 packed as in KVM_REG_ARM64_SYSREG. */
#define SYSREG(op0, op1, crn, crm, op2)					\
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

/* LEVEL_INFO attr. */
#define LEVEL_ATTR(mpidr, info, intid)					\
	(((__u64)(mpidr) << 32) | ((__u64)(info) << 10) | (intid))

/* What a read buffer holds before the call, to see whether it was written. */
#define POISON32	0xa5a5a5a5U
#define POISON64	0xa5a5a5a5a5a5a5a5ULL

static const char *t_node = "/dev/kvm";
/* 2 or 3: which register names DIST_REGS attrs get. */
static int t_gic = 3;
/* errno of the last call made through t_sys(). */
static int t_err;

/* The symbolic name of an errno value, from a fixed table. */
static inline const char *t_errno_name(int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
		{ EINTR, "EINTR" }, { EIO, "EIO" }, { ENXIO, "ENXIO" },
		{ E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ ENOTDIR, "ENOTDIR" }, { EINVAL, "EINVAL" }, { ENFILE, "ENFILE" },
		{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" },
		{ ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ EOVERFLOW, "EOVERFLOW" }, { ENOTCONN, "ENOTCONN" },
	};
	static char buf[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, sizeof(buf), "E#%d", err);
	return buf;
}

/* Parses "[--node PATH]" and returns the index of the first other argument. */
static inline int t_init(int argc, char **argv)
{
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "--node")) {
		t_node = argv[2];
		i = 3;
	}
	return i;
}

static inline void __attribute__((format(printf, 1, 2))) t_section(const char *fmt, ...)
{
	va_list ap;

	printf("## ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Runs one system call with errno cleared; keeps its errno in t_err. */
#define t_sys(expr) ({							\
	long __r;							\
	errno = 0;							\
	__r = (long)(expr);						\
	t_err = __r == -1 ? errno : 0;					\
	__r;								\
})

/* Prints " => <result>" for a call that returned r (errno in t_err). */
static inline void t_result(long r)
{
	if (r == -1)
		printf(" => -1 %s", t_errno_name(t_err));
	else
		printf(" => %ld", r);
}

/* Prints "<desc> => <result>\n" and returns r. */
static inline long __attribute__((format(printf, 2, 3))) t_rec(long r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	t_result(r);
	printf("\n");
	return r;
}

/* As t_rec() for a call that returns a new fd: prints "fd", not its number. */
static inline int __attribute__((format(printf, 2, 3))) t_rec_fd(long r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (r >= 0)
		printf(" => fd\n");
	else
		printf(" => -1 %s\n", t_errno_name(t_err));
	return r;
}

/* Register names. */

struct t_reg {
	__u32 start;		/* first offset */
	__u32 end;		/* one past the last offset */
	__u32 stride;		/* bytes per register: 4, or 8 for 64-bit registers */
	const char *name;
	bool indexed;		/* name<n>, n counted from start */
};

#define R1(off, n)		{ (off), (off) + 4, 4, (n), false }
#define R1_64(off, n)		{ (off), (off) + 8, 8, (n), false }
#define RN(off, end, n)		{ (off), (end), 4, (n), true }
#define RN_64(off, end, n)	{ (off), (end), 8, (n), true }

#define IDREGS(p, base)							\
	R1((base) + 0x00, p "_PIDR4"), R1((base) + 0x04, p "_PIDR5"),	\
	R1((base) + 0x08, p "_PIDR6"), R1((base) + 0x0c, p "_PIDR7"),	\
	R1((base) + 0x10, p "_PIDR0"), R1((base) + 0x14, p "_PIDR1"),	\
	R1((base) + 0x18, p "_PIDR2"), R1((base) + 0x1c, p "_PIDR3"),	\
	R1((base) + 0x20, p "_CIDR0"), R1((base) + 0x24, p "_CIDR1"),	\
	R1((base) + 0x28, p "_CIDR2"), R1((base) + 0x2c, p "_CIDR3")

/* GICv3 distributor (GIC architecture spec, 12.9; arm-gic-v3.h). */
static const struct t_reg t_gicd_v3[] = {
	R1(0x0000, "GICD_CTLR"), R1(0x0004, "GICD_TYPER"), R1(0x0008, "GICD_IIDR"),
	R1(0x000c, "GICD_TYPER2"), R1(0x0010, "GICD_STATUSR"),
	R1(0x0040, "GICD_SETSPI_NSR"), R1(0x0048, "GICD_CLRSPI_NSR"),
	R1(0x0050, "GICD_SETSPI_SR"), R1(0x0058, "GICD_CLRSPI_SR"),
	RN(0x0080, 0x0100, "GICD_IGROUPR"), RN(0x0100, 0x0180, "GICD_ISENABLER"),
	RN(0x0180, 0x0200, "GICD_ICENABLER"), RN(0x0200, 0x0280, "GICD_ISPENDR"),
	RN(0x0280, 0x0300, "GICD_ICPENDR"), RN(0x0300, 0x0380, "GICD_ISACTIVER"),
	RN(0x0380, 0x0400, "GICD_ICACTIVER"), RN(0x0400, 0x0800, "GICD_IPRIORITYR"),
	RN(0x0800, 0x0c00, "GICD_ITARGETSR"), RN(0x0c00, 0x0d00, "GICD_ICFGR"),
	RN(0x0d00, 0x0d80, "GICD_IGRPMODR"), RN(0x0e00, 0x0f00, "GICD_NSACR"),
	R1(0x0f00, "GICD_SGIR"), RN(0x0f10, 0x0f20, "GICD_CPENDSGIR"),
	RN(0x0f20, 0x0f30, "GICD_SPENDSGIR"),
	RN(0x1000, 0x1080, "GICD_IGROUPRnE"), RN(0x1200, 0x1280, "GICD_ISENABLERnE"),
	RN(0x1400, 0x1480, "GICD_ICENABLERnE"), RN(0x1600, 0x1680, "GICD_ISPENDRnE"),
	RN(0x1800, 0x1880, "GICD_ICPENDRnE"), RN(0x1a00, 0x1a80, "GICD_ISACTIVERnE"),
	RN(0x1c00, 0x1c80, "GICD_ICACTIVERnE"), RN(0x2000, 0x2400, "GICD_IPRIORITYRnE"),
	RN(0x3000, 0x3100, "GICD_ICFGRnE"), RN(0x3400, 0x3480, "GICD_IGRPMODRnE"),
	RN(0x3600, 0x3700, "GICD_NSACRnE"),
	RN_64(0x6000, 0x8000, "GICD_IROUTER"), RN_64(0x8000, 0x9000, "GICD_IROUTERnE"),
	IDREGS("GICD", 0xffd0),
};

/* GICv3 redistributor: RD_base, then SGI_base at 64K. */
static const struct t_reg t_gicr[] = {
	R1(0x0000, "GICR_CTLR"), R1(0x0004, "GICR_IIDR"), R1_64(0x0008, "GICR_TYPER"),
	R1(0x0010, "GICR_STATUSR"), R1(0x0014, "GICR_WAKER"), R1(0x0018, "GICR_MPAMIDR"),
	R1(0x001c, "GICR_PARTIDR"), R1_64(0x0040, "GICR_SETLPIR"),
	R1_64(0x0048, "GICR_CLRLPIR"), R1_64(0x0070, "GICR_PROPBASER"),
	R1_64(0x0078, "GICR_PENDBASER"), R1_64(0x00a0, "GICR_INVLPIR"),
	R1_64(0x00b0, "GICR_INVALLR"), R1(0x00c0, "GICR_SYNCR"),
	IDREGS("GICR", 0xffd0),
	R1(0x10080, "GICR_IGROUPR0"), R1(0x10100, "GICR_ISENABLER0"),
	R1(0x10180, "GICR_ICENABLER0"), R1(0x10200, "GICR_ISPENDR0"),
	R1(0x10280, "GICR_ICPENDR0"), R1(0x10300, "GICR_ISACTIVER0"),
	R1(0x10380, "GICR_ICACTIVER0"), RN(0x10400, 0x10420, "GICR_IPRIORITYR"),
	RN(0x10c00, 0x10c08, "GICR_ICFGR"), R1(0x10d00, "GICR_IGRPMODR0"),
	R1(0x10e00, "GICR_NSACR"),
};

/* GICv2 distributor (GICv2 architecture spec, 4.1.2). */
static const struct t_reg t_gicd_v2[] = {
	R1(0x0000, "GICD_CTLR"), R1(0x0004, "GICD_TYPER"), R1(0x0008, "GICD_IIDR"),
	RN(0x0080, 0x0100, "GICD_IGROUPR"), RN(0x0100, 0x0180, "GICD_ISENABLER"),
	RN(0x0180, 0x0200, "GICD_ICENABLER"), RN(0x0200, 0x0280, "GICD_ISPENDR"),
	RN(0x0280, 0x0300, "GICD_ICPENDR"), RN(0x0300, 0x0380, "GICD_ISACTIVER"),
	RN(0x0380, 0x0400, "GICD_ICACTIVER"), RN(0x0400, 0x0800, "GICD_IPRIORITYR"),
	RN(0x0800, 0x0c00, "GICD_ITARGETSR"), RN(0x0c00, 0x0d00, "GICD_ICFGR"),
	RN(0x0e00, 0x0f00, "GICD_NSACR"), R1(0x0f00, "GICD_SGIR"),
	RN(0x0f10, 0x0f20, "GICD_CPENDSGIR"), RN(0x0f20, 0x0f30, "GICD_SPENDSGIR"),
	IDREGS("GICD", 0x0fd0),
};

/* GICv2 CPU interface (GICv2 architecture spec, 4.1.3). */
static const struct t_reg t_gicc[] = {
	R1(0x0000, "GICC_CTLR"), R1(0x0004, "GICC_PMR"), R1(0x0008, "GICC_BPR"),
	R1(0x000c, "GICC_IAR"), R1(0x0010, "GICC_EOIR"), R1(0x0014, "GICC_RPR"),
	R1(0x0018, "GICC_HPPIR"), R1(0x001c, "GICC_ABPR"), R1(0x0020, "GICC_AIAR"),
	R1(0x0024, "GICC_AEOIR"), R1(0x0028, "GICC_AHPPIR"),
	RN(0x00d0, 0x00e0, "GICC_APR"), RN(0x00e0, 0x00f0, "GICC_NSAPR"),
	R1(0x00fc, "GICC_IIDR"), R1(0x1000, "GICC_DIR"),
};

/* ITS (GIC architecture spec, 12.19). */
static const struct t_reg t_gits[] = {
	R1(0x0000, "GITS_CTLR"), R1(0x0004, "GITS_IIDR"), R1_64(0x0008, "GITS_TYPER"),
	R1(0x0010, "GITS_MPAMIDR"), R1(0x0014, "GITS_PARTIDR"), R1(0x0018, "GITS_MPIDR"),
	R1(0x0040, "GITS_STATUSR"), R1_64(0x0048, "GITS_UMSIR"),
	R1_64(0x0080, "GITS_CBASER"), R1_64(0x0088, "GITS_CWRITER"),
	R1_64(0x0090, "GITS_CREADR"), RN_64(0x0100, 0x0140, "GITS_BASER"),
	IDREGS("GITS", 0xffd0), R1(0x10040, "GITS_TRANSLATER"),
};

/*
 * The name of the register at off in regs: "GICD_ISENABLER1", a 32-bit half
 * of a 64-bit register as "GICR_TYPER.hi" (when halves), "-" for none.
 */
static inline const char *t_reg_name(const struct t_reg *regs, size_t n, __u64 off,
				     bool halves)
{
	static char buf[4][48];
	static int next;
	char *b = buf[next++ % 4];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct t_reg *r = &regs[i];
		__u64 rel;
		int len;

		if (off < r->start || off >= r->end)
			continue;
		rel = off - r->start;
		if (r->indexed)
			len = snprintf(b, 48, "%s%llu", r->name,
				       (unsigned long long)(rel / r->stride));
		else
			len = snprintf(b, 48, "%s", r->name);
		if (r->stride == 8 && halves)
			snprintf(b + len, 48 - len, "%s", rel % 8 >= 4 ? ".hi" : ".lo");
		else if (rel % r->stride)
			snprintf(b + len, 48 - len, "+%llu",
				 (unsigned long long)(rel % r->stride));
		return b;
	}
	return "-";
}

static inline const char *t_sysreg_name(__u64 attr)
{
	static const struct { __u32 enc; const char *name; } regs[] = {
		{ SYSREG(3, 0, 4, 6, 0), "ICC_PMR_EL1" },
		{ SYSREG(3, 0, 12, 8, 3), "ICC_BPR0_EL1" },
		{ SYSREG(3, 0, 12, 8, 4), "ICC_AP0R0_EL1" },
		{ SYSREG(3, 0, 12, 8, 5), "ICC_AP0R1_EL1" },
		{ SYSREG(3, 0, 12, 8, 6), "ICC_AP0R2_EL1" },
		{ SYSREG(3, 0, 12, 8, 7), "ICC_AP0R3_EL1" },
		{ SYSREG(3, 0, 12, 9, 0), "ICC_AP1R0_EL1" },
		{ SYSREG(3, 0, 12, 9, 1), "ICC_AP1R1_EL1" },
		{ SYSREG(3, 0, 12, 9, 2), "ICC_AP1R2_EL1" },
		{ SYSREG(3, 0, 12, 9, 3), "ICC_AP1R3_EL1" },
		{ SYSREG(3, 0, 12, 11, 1), "ICC_DIR_EL1" },
		{ SYSREG(3, 0, 12, 11, 3), "ICC_RPR_EL1" },
		{ SYSREG(3, 0, 12, 11, 5), "ICC_SGI1R_EL1" },
		{ SYSREG(3, 0, 12, 11, 6), "ICC_ASGI1R_EL1" },
		{ SYSREG(3, 0, 12, 11, 7), "ICC_SGI0R_EL1" },
		{ SYSREG(3, 0, 12, 8, 0), "ICC_IAR0_EL1" },
		{ SYSREG(3, 0, 12, 8, 1), "ICC_EOIR0_EL1" },
		{ SYSREG(3, 0, 12, 8, 2), "ICC_HPPIR0_EL1" },
		{ SYSREG(3, 0, 12, 12, 0), "ICC_IAR1_EL1" },
		{ SYSREG(3, 0, 12, 12, 1), "ICC_EOIR1_EL1" },
		{ SYSREG(3, 0, 12, 12, 2), "ICC_HPPIR1_EL1" },
		{ SYSREG(3, 0, 12, 12, 3), "ICC_BPR1_EL1" },
		{ SYSREG(3, 0, 12, 12, 4), "ICC_CTLR_EL1" },
		{ SYSREG(3, 0, 12, 12, 5), "ICC_SRE_EL1" },
		{ SYSREG(3, 0, 12, 12, 6), "ICC_IGRPEN0_EL1" },
		{ SYSREG(3, 0, 12, 12, 7), "ICC_IGRPEN1_EL1" },
		{ SYSREG(3, 4, 12, 9, 5), "ICC_SRE_EL2" },
		{ SYSREG(3, 4, 12, 11, 0), "ICH_HCR_EL2" },
		{ SYSREG(3, 4, 12, 11, 1), "ICH_VTR_EL2" },
		{ SYSREG(3, 4, 12, 11, 7), "ICH_VMCR_EL2" },
	};
	static char buf[4][48];
	static int next;
	char *b = buf[next++ % 4];
	__u32 enc = attr & 0xffff;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(regs); i++)
		if (regs[i].enc == enc)
			return regs[i].name;
	snprintf(b, 48, "S%u_%u_C%u_C%u_%u", (enc >> 14) & 3, (enc >> 11) & 7,
		 (enc >> 7) & 15, (enc >> 3) & 15, enc & 7);
	return b;
}

static inline const char *t_group_name(__u32 group)
{
	static const char * const names[] = {
		[KVM_DEV_ARM_VGIC_GRP_ADDR] = "ADDR",
		[KVM_DEV_ARM_VGIC_GRP_DIST_REGS] = "DIST_REGS",
		[KVM_DEV_ARM_VGIC_GRP_CPU_REGS] = "CPU_REGS",
		[KVM_DEV_ARM_VGIC_GRP_NR_IRQS] = "NR_IRQS",
		[KVM_DEV_ARM_VGIC_GRP_CTRL] = "CTRL",
		[KVM_DEV_ARM_VGIC_GRP_REDIST_REGS] = "REDIST_REGS",
		[KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS] = "CPU_SYSREGS",
		[KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO] = "LEVEL_INFO",
		[KVM_DEV_ARM_VGIC_GRP_ITS_REGS] = "ITS_REGS",
		[KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ] = "MAINT_IRQ",
	};
	static char buf[24];

	if (group < ARRAY_SIZE(names) && names[group])
		return names[group];
	snprintf(buf, sizeof(buf), "group%u", group);
	return buf;
}

/* "0x0004 GICD_TYPER": a register group's offset and the register's name. */
static inline const char *t_off_desc(__u32 group, __u32 off)
{
	static char buf[4][80];
	static int next;
	char *b = buf[next++ % 4];

	switch (group) {
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
		if (t_gic == 2)
			snprintf(b, 80, "0x%04x %s", off,
				 t_reg_name(t_gicd_v2, ARRAY_SIZE(t_gicd_v2), off, true));
		else
			snprintf(b, 80, "0x%04x %s", off,
				 t_reg_name(t_gicd_v3, ARRAY_SIZE(t_gicd_v3), off, true));
		break;
	case KVM_DEV_ARM_VGIC_GRP_CPU_REGS:
		snprintf(b, 80, "0x%04x %s", off,
			 t_reg_name(t_gicc, ARRAY_SIZE(t_gicc), off, true));
		break;
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
		snprintf(b, 80, "0x%05x %s", off,
			 t_reg_name(t_gicr, ARRAY_SIZE(t_gicr), off, true));
		break;
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
		snprintf(b, 80, "0x%04x %s", off, t_sysreg_name(off));
		break;
	case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
		snprintf(b, 80, "0x%05x %s", off,
			 t_reg_name(t_gits, ARRAY_SIZE(t_gits), off, false));
		break;
	default:
		snprintf(b, 80, "0x%x", off);
		break;
	}
	return b;
}

/* "REDIST_REGS mpidr=0x1": the group and what the attr's high word selects. */
static inline const char *t_attr_prefix(__u32 group, __u32 hi)
{
	static char buf[4][64];
	static int next;
	char *b = buf[next++ % 4];
	const char *g = t_group_name(group);

	switch (group) {
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
		if (t_gic == 2)
			snprintf(b, 64, "%s cpu=%u", g, hi);
		else if (hi)	/* ignored by the kernel for v3 DIST_REGS */
			snprintf(b, 64, "%s hi=0x%x", g, hi);
		else
			snprintf(b, 64, "%s", g);
		break;
	case KVM_DEV_ARM_VGIC_GRP_CPU_REGS:
		snprintf(b, 64, "%s cpu=%u", g, hi);
		break;
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		snprintf(b, 64, "%s mpidr=0x%x", g, hi);
		break;
	case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
		if (hi)
			snprintf(b, 64, "%s hi=0x%x", g, hi);
		else
			snprintf(b, 64, "%s", g);
		break;
	default:
		snprintf(b, 64, "%s", g);
		break;
	}
	return b;
}

/* "<GROUP> <attr as the group reads it>", e.g. "REDIST_REGS mpidr=0x1 0x00008 GICR_TYPER.lo". */
static inline const char *t_attr_desc(__u32 group, __u64 attr)
{
	static const char * const addr_types[] = {
		"V2_DIST", "V2_CPU", "V3_DIST", "V3_REDIST", "ITS", "V3_REDIST_REGION",
	};
	static const char * const ctrl[] = {
		"INIT", "ITS_SAVE_TABLES", "ITS_RESTORE_TABLES", "SAVE_PENDING_TABLES",
		"ITS_RESET", "USERSPACE_PPIS",
	};
	static char buf[4][160];
	static int next;
	char *b = buf[next++ % 4];
	const char *g = t_group_name(group);
	__u32 off = (__u32)attr, hi = attr >> 32;

	switch (group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		snprintf(b, 160, "%s %s(%llu)", g,
			 attr < ARRAY_SIZE(addr_types) ? addr_types[attr] : "type",
			 (unsigned long long)attr);
		break;
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		snprintf(b, 160, "%s %s(%llu)", g, attr < ARRAY_SIZE(ctrl) ? ctrl[attr] : "attr",
			 (unsigned long long)attr);
		break;
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_CPU_REGS:
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
		snprintf(b, 160, "%s %s", t_attr_prefix(group, hi), t_off_desc(group, off));
		break;
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
		snprintf(b, 160, "%s %s", t_attr_prefix(group, hi), t_off_desc(group, off));
		if (off >> 16)	/* bits the kernel ignores */
			snprintf(b + strlen(b), 160 - strlen(b), " lo=0x%x", off);
		break;
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		snprintf(b, 160, "%s info=%u intid=%u", t_attr_prefix(group, hi),
			 (off >> 10) & 0x3fffff, off & 0x3ff);
		break;
	default:
		snprintf(b, 160, "%s attr=0x%llx", g, (unsigned long long)attr);
		break;
	}
	return b;
}

/* One KVM_{SET,GET,HAS}_DEVICE_ATTR with flags 0; errno in t_err. */
static inline long t_attr_ioctl(int fd, unsigned long req, __u32 group, __u64 attr, void *addr)
{
	struct kvm_device_attr a = {
		.flags = 0, .group = group, .attr = attr, .addr = (__u64)(uintptr_t)addr,
	};

	return t_sys(ioctl(fd, req, &a));
}

static inline long t_has(int fd, __u32 group, __u64 attr)
{
	return t_rec(t_attr_ioctl(fd, KVM_HAS_DEVICE_ATTR, group, attr, NULL), "has %s",
		     t_attr_desc(group, attr));
}

/* GET into a poisoned u32; prints the value on success, buf=... if written on failure. */
static inline long t_get32(int fd, __u32 group, __u64 attr, __u32 *out)
{
	__u32 v = POISON32;
	long r = t_attr_ioctl(fd, KVM_GET_DEVICE_ATTR, group, attr, &v);

	printf("get %s", t_attr_desc(group, attr));
	t_result(r);
	if (r == 0)
		printf(" 0x%08x", v);
	else if (v != POISON32)
		printf(" buf=0x%08x", v);
	printf("\n");
	if (out)
		*out = r == 0 ? v : 0;
	return r;
}

static inline long t_set32(int fd, __u32 group, __u64 attr, __u32 val)
{
	__u32 v = val;

	return t_rec(t_attr_ioctl(fd, KVM_SET_DEVICE_ATTR, group, attr, &v), "set %s 0x%08x",
		     t_attr_desc(group, attr), val);
}

static inline long t_get64(int fd, __u32 group, __u64 attr, __u64 *out)
{
	__u64 v = POISON64;
	long r = t_attr_ioctl(fd, KVM_GET_DEVICE_ATTR, group, attr, &v);

	printf("get %s", t_attr_desc(group, attr));
	t_result(r);
	if (r == 0)
		printf(" 0x%016llx", (unsigned long long)v);
	else if (v != POISON64)
		printf(" buf=0x%016llx", (unsigned long long)v);
	printf("\n");
	if (out)
		*out = r == 0 ? v : 0;
	return r;
}

/* GET of a u64 whose buffer holds an input (the REDIST_REGION index). */
static inline long t_get64_in(int fd, __u32 group, __u64 attr, __u64 in, __u64 *out)
{
	__u64 v = in;
	long r = t_attr_ioctl(fd, KVM_GET_DEVICE_ATTR, group, attr, &v);

	printf("get %s in=0x%016llx", t_attr_desc(group, attr), (unsigned long long)in);
	t_result(r);
	if (r == 0)
		printf(" 0x%016llx", (unsigned long long)v);
	else if (v != in)
		printf(" buf=0x%016llx", (unsigned long long)v);
	printf("\n");
	if (out)
		*out = r == 0 ? v : 0;
	return r;
}

static inline long t_set64(int fd, __u32 group, __u64 attr, __u64 val)
{
	__u64 v = val;

	return t_rec(t_attr_ioctl(fd, KVM_SET_DEVICE_ATTR, group, attr, &v), "set %s 0x%016llx",
		     t_attr_desc(group, attr), (unsigned long long)val);
}

/* SET and GET with addr = NULL: the EFAULT paths (and CTRL, which reads no buffer). */
static inline long t_set_null(int fd, __u32 group, __u64 attr)
{
	return t_rec(t_attr_ioctl(fd, KVM_SET_DEVICE_ATTR, group, attr, NULL), "set %s NULL",
		     t_attr_desc(group, attr));
}

static inline long t_get_null(int fd, __u32 group, __u64 attr)
{
	return t_rec(t_attr_ioctl(fd, KVM_GET_DEVICE_ATTR, group, attr, NULL), "get %s NULL",
		     t_attr_desc(group, attr));
}

static inline long t_ctrl(int fd, __u64 attr)
{
	return t_rec(t_attr_ioctl(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, attr, NULL),
		     "set %s", t_attr_desc(KVM_DEV_ARM_VGIC_GRP_CTRL, attr));
}

/*
 * A page followed by one with protection prot: a buffer of n bytes ending at
 * the boundary shows whether the kernel accesses more than n bytes (EFAULT),
 * and, before a read-only page, whether a failed write left bytes behind.
 */
static inline void *t_edge(size_t n, int prot)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		printf("mmap failed: %s\n", t_errno_name(errno));
		exit(1);
	}
	if (mprotect(p + pg, pg, prot)) {
		printf("mprotect failed: %s\n", t_errno_name(errno));
		exit(1);
	}
	memset(p, 0x5a, pg);
	return p + pg - n;
}

/* n bytes before an inaccessible page. */
static inline void *t_edge_buffer(size_t n)
{
	return t_edge(n, PROT_NONE);
}

/*
 * A GET whose buffer of size bytes starts on a writable page and runs into a
 * read-only one: the kernel stores each value with put_user(), one store, so
 * the access fails with EFAULT and the writable bytes keep what they held (a
 * copy would have written them before faulting). Prints those bytes.
 */
static inline void t_get_straddle(const char *what, int fd, __u32 group, __u64 attr,
				  size_t size)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *edge = t_edge(size / 2, PROT_READ);
	size_t i;
	long r;

	r = t_attr_ioctl(fd, KVM_GET_DEVICE_ATTR, group, attr, edge);
	printf("get %s into a %s with %zu bytes before a read-only page", t_attr_desc(group, attr),
	       what, size / 2);
	t_result(r);
	printf(" bytes");
	for (i = 0; i < size / 2; i++)
		printf(" %02x", edge[i]);
	printf("\n");
	munmap(edge + size / 2 - pg, 2 * pg);
}

/*
 * Scans attrs hi << 32 | off for off in [from, to) by step: HAS_DEVICE_ATTR
 * (T_HAS) or a GET into a u32 (T_GET32) or u64 (T_GET64) buffer, printing
 * runs of consecutive offsets with equal results as one line.
 */
enum t_scan_mode { T_HAS, T_GET32, T_GET64 };

struct t_scan_res {
	long r;
	int err;
	__u64 v;
	bool written;
};

static inline void t_scan_flush(enum t_scan_mode mode, __u32 group, __u32 hi, __u64 first,
				__u64 last, __u64 step, const struct t_scan_res *res)
{
	unsigned long long n = (last - first) / step + 1;

	printf("scan %s %s %s", mode == T_HAS ? "has" : "get", t_attr_prefix(group, hi),
	       t_off_desc(group, first));
	if (n > 1)
		printf(" .. %s x%llu", t_off_desc(group, last), n);
	t_err = res->err;
	t_result(res->r);
	if (res->r == 0 && mode != T_HAS)
		printf(mode == T_GET64 ? " 0x%016llx" : " 0x%08llx", (unsigned long long)res->v);
	else if (res->r != 0 && res->written)
		printf(" buf=0x%llx", (unsigned long long)res->v);
	printf("\n");
}

static inline void t_scan(int fd, __u32 group, __u32 hi, __u64 from, __u64 to, __u64 step,
			  enum t_scan_mode mode)
{
	struct t_scan_res cur = { 0 }, run = { 0 };
	__u64 off, first = from;

	for (off = from; off < to; off += step) {
		__u64 attr = (__u64)hi << 32 | off;
		__u64 v64 = POISON64;
		__u32 v32 = POISON32;

		switch (mode) {
		case T_HAS:
			cur.r = t_attr_ioctl(fd, KVM_HAS_DEVICE_ATTR, group, attr, NULL);
			cur.v = 0;
			cur.written = false;
			break;
		case T_GET32:
			cur.r = t_attr_ioctl(fd, KVM_GET_DEVICE_ATTR, group, attr, &v32);
			cur.v = v32;
			cur.written = v32 != POISON32;
			break;
		case T_GET64:
			cur.r = t_attr_ioctl(fd, KVM_GET_DEVICE_ATTR, group, attr, &v64);
			cur.v = v64;
			cur.written = v64 != POISON64;
			break;
		}
		cur.err = t_err;
		if (off != from && (cur.r != run.r || cur.err != run.err || cur.v != run.v ||
				    cur.written != run.written)) {
			t_scan_flush(mode, group, hi, first, off - step, step, &run);
			first = off;
		}
		run = cur;
	}
	if (to > from)
		t_scan_flush(mode, group, hi, first, to - step, step, &run);
}

/* System, VM and vCPU set-up. */

static inline int t_open_node(void)
{
	int fd = t_sys(open(t_node, O_RDWR | O_CLOEXEC));

	if (fd < 0) {
		printf("open node => -1 %s\n", t_errno_name(t_err));
		exit(1);
	}
	return fd;
}

static inline long t_cap(int kvm, long cap, const char *name)
{
	return t_rec(t_sys(ioctl(kvm, KVM_CHECK_EXTENSION, cap)), "KVM_CHECK_EXTENSION %s", name);
}

#define T_CAP(kvm, cap) t_cap(kvm, cap, #cap)

static inline int t_vm(int kvm)
{
	return t_rec_fd(t_sys(ioctl(kvm, KVM_CREATE_VM, 0)), "KVM_CREATE_VM type=0");
}

static inline int t_vcpu(int vm, int id)
{
	return t_rec_fd(t_sys(ioctl(vm, KVM_CREATE_VCPU, id)), "KVM_CREATE_VCPU id=%d", id);
}

/* KVM_ARM_PREFERRED_TARGET on the VM, then KVM_ARM_VCPU_INIT with it. */
static inline long t_vcpu_init(int vm, int vcpu, int id)
{
	struct kvm_vcpu_init init;
	long r;

	memset(&init, 0xa5, sizeof(init));
	r = t_sys(ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init));
	printf("KVM_ARM_PREFERRED_TARGET");
	t_result(r);
	if (r == 0)
		printf(" target=%u features=%08x,%08x", init.target, init.features[0],
		       init.features[1]);
	printf("\n");
	if (r)
		return r;
	return t_rec(t_sys(ioctl(vcpu, KVM_ARM_VCPU_INIT, &init)), "vcpu %d KVM_ARM_VCPU_INIT", id);
}

static inline const char *t_type_name(__u32 type)
{
	switch (type) {
	case KVM_DEV_TYPE_ARM_VGIC_V2:
		return "ARM_VGIC_V2";
	case KVM_DEV_TYPE_ARM_VGIC_V3:
		return "ARM_VGIC_V3";
	case KVM_DEV_TYPE_ARM_VGIC_ITS:
		return "ARM_VGIC_ITS";
	default:
		return "type";
	}
}

/* KVM_CREATE_DEVICE; with KVM_CREATE_DEVICE_TEST prints 0 rather than "fd". */
static inline int t_device(int vm, __u32 type, __u32 flags)
{
	struct kvm_create_device cd = { .type = type, .fd = 0xdeadbeef, .flags = flags };
	long r = t_sys(ioctl(vm, KVM_CREATE_DEVICE, &cd));

	printf("KVM_CREATE_DEVICE %s(%u)%s", t_type_name(type), type,
	       flags & KVM_CREATE_DEVICE_TEST ? " TEST" : "");
	if (flags & ~KVM_CREATE_DEVICE_TEST)
		printf(" flags=0x%x", flags);
	if (r == 0 && !(flags & KVM_CREATE_DEVICE_TEST)) {
		printf(" => fd\n");
		return cd.fd;
	}
	t_result(r);
	printf("\n");
	return -1;
}

/* Anonymous memory as memslot slot at gpa; NULL if either step fails. */
static inline void *t_memslot(int vm, __u32 slot, __u64 gpa, __u64 size)
{
	struct kvm_userspace_memory_region mr;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		printf("mmap failed: %s\n", t_errno_name(errno));
		exit(1);
	}
	mr = (struct kvm_userspace_memory_region){
		.slot = slot, .flags = 0, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (__u64)(uintptr_t)p,
	};
	if (t_rec(t_sys(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr)),
		  "KVM_SET_USER_MEMORY_REGION slot=%u gpa=0x%llx size=0x%llx", slot,
		  (unsigned long long)gpa, (unsigned long long)size))
		return NULL;
	return p;
}

static inline void t_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* A VM with vCPUs and, optionally, a GIC: the set-up most sections start from. */
#define GIC_VM_MAX_VCPUS 9

struct gic_vm {
	int vm, gic, nvcpus;
	int vcpu[GIC_VM_MAX_VCPUS];
};

/*
 * A VM of the system fd kvm with nvcpus vCPUs (KVM_ARM_VCPU_INIT'ed if
 * init) and, if gic, a GIC of type gic_type, created after the vCPUs.
 */
static inline struct gic_vm gic_vm_new(int kvm, __u32 gic_type, int nvcpus, bool init,
				       bool gic)
{
	struct gic_vm v = { .vm = -1, .gic = -1, .nvcpus = nvcpus };
	int i;

	v.vm = t_vm(kvm);
	for (i = 0; i < nvcpus; i++) {
		v.vcpu[i] = t_vcpu(v.vm, i);
		if (init)
			t_vcpu_init(v.vm, v.vcpu[i], i);
	}
	if (gic)
		v.gic = t_device(v.vm, gic_type, 0);
	return v;
}

static inline void gic_vm_free(struct gic_vm *v)
{
	int i;

	t_close(v->gic);
	for (i = 0; i < v->nvcpus; i++)
		t_close(v->vcpu[i]);
	t_close(v->vm);
}

/* The legacy VM ioctl: id is the device (31:16) and the address type (15:0). */
static inline long t_legacy_addr(int vm, __u64 id, __u64 addr)
{
	struct kvm_arm_device_addr da = { .id = id, .addr = addr };

	return t_rec(t_sys(ioctl(vm, KVM_ARM_SET_DEVICE_ADDR, &da)),
		     "KVM_ARM_SET_DEVICE_ADDR id=0x%llx addr=0x%llx", (unsigned long long)id,
		     (unsigned long long)addr);
}

/*
 * The "host" section: the API version, the capabilities the VGIC programs
 * depend on (KVM_CAP_IRQCHIP too if irqchip) and which GIC types the node
 * offers.
 */
static inline void t_host(int kvm, bool irqchip)
{
	int vm;

	t_section("host");
	t_rec(t_sys(ioctl(kvm, KVM_GET_API_VERSION, 0)), "KVM_GET_API_VERSION");
	T_CAP(kvm, KVM_CAP_DEVICE_CTRL);
	T_CAP(kvm, KVM_CAP_ARM_SET_DEVICE_ADDR);
	T_CAP(kvm, KVM_CAP_ARM_VM_IPA_SIZE);
	if (irqchip)
		T_CAP(kvm, KVM_CAP_IRQCHIP);
	vm = t_vm(kvm);
	t_device(vm, KVM_DEV_TYPE_ARM_VGIC_V2, KVM_CREATE_DEVICE_TEST);
	t_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3, KVM_CREATE_DEVICE_TEST);
	t_device(vm, KVM_DEV_TYPE_ARM_VGIC_ITS, KVM_CREATE_DEVICE_TEST);
	t_close(vm);
}

#endif /* VGIC_TRANSCRIPT_H */
