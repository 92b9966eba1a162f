/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure half of fuzz_test.c's arm64 part: the generation of op sequences
 * for the arm64 nodes (/dev/kvm-devctl-arm64, a GICv3 host with the ITS, and
 * /dev/kvm-devctl-arm64-gicv2) and the text of the ops only they use. Like
 * fuzz_ops.h it touches no kernel: fuzz_test --selftest checks it anywhere.
 *
 * A sequence often starts with a set-up "recipe" of ordinary ops (a VM,
 * vCPUs with KVM_ARM_VCPU_INIT, the GIC and its addresses, guest memory,
 * ITSes with their tables and command queue, CTRL_INIT, the LPI tables and
 * EnableLPIs), each mutated now and then, so that the random ops after it
 * reach the deep states; ddmin drops what a finding does not need. The
 * random ops then aim at the register maps of arm-vgic-v3.rst,
 * arm-vgic-v2.rst and arm-vgic-its.rst (and random attributes), put ITS
 * commands and table entries into guest memory and run them (GITS_CWRITER,
 * RESTORE_TABLES), change memslots under the ITS, and close, dup and fork.
 *
 * Guest memory (exec side, fuzz_test.c): every VM has a 4 MiB read/write
 * buffer, then 1 MiB read-only and 64 KiB PROT_NONE, which memslots map at
 * A64_GPA_RAM and elsewhere. ITS j of a VM keeps its queue and tables in the
 * 1 MiB area j of that buffer (A64_AREA()); the LPI configuration and
 * pending tables are in area 0.
 */
#ifndef FUZZ_VGIC_H
#define FUZZ_VGIC_H

#include <linux/kvm_arm_vgic.h>

#include "fuzz_ops.h"

/* Guest-physical layout (QEMU's virt machine, as the VGIC transcripts). */
#define A64_GPA_DIST	0x08000000ULL
#define A64_GPA_CPUIF	0x08010000ULL
#define A64_GPA_ITS	0x08080000ULL
#define A64_GPA_REDIST	0x080a0000ULL
#define A64_GPA_RAM	0x40000000ULL
#define A64_IPA_SIZE	(1ULL << 40)

/* The guest memory buffer of a VM in the sequence process. */
#define A64_RAM_SIZE	0x400000ULL	/* read/write */
#define A64_RO_SIZE	0x100000ULL	/* then read-only */
#define A64_NONE_SIZE	0x10000ULL	/* then PROT_NONE */

/* ITS j's 1 MiB area of the buffer, and what is in it. */
#define A64_AREA(j)	((uint64_t)((j) & 3) * 0x100000ULL)
#define A64_CMDQ	0x00000		/* the command queue, 4K to 64K */
#define A64_DEVT	0x10000		/* the device table, one 64K page */
#define A64_COLLT	0x20000		/* the collection table */
#define A64_ITT		0x30000		/* device d's ITT at + d * 256 */
#define A64_PROP	0x40000		/* area 0: the LPI configuration table */
#define A64_PEND	0x50000		/* area 0: vCPU i's pending table at + i * 64K */
#define A64_L2		0xa0000		/* second-level device table pages */

/* ITS registers (arm-vgic-its.rst) and the GICv3's (arm-vgic-v3.rst). */
#define A64_GITS_CTLR		0x0000
#define A64_GITS_IIDR		0x0004
#define A64_GITS_TYPER		0x0008
#define A64_GITS_CBASER		0x0080
#define A64_GITS_CWRITER	0x0088
#define A64_GITS_CREADR		0x0090
#define A64_GITS_BASER(n)	(0x0100 + 8 * (n))
#define A64_VALID		(1ULL << 63)
#define A64_INDIRECT		(1ULL << 62)
#define A64_GICR_CTLR		0x0000
#define A64_GICR_PROPBASER	0x0070
#define A64_GICR_PENDBASER	0x0078
#define A64_GICR_INVLPIR	0x00a0
#define A64_GICR_INVALLR	0x00b0
#define A64_SGI			0x10000		/* the redistributor's SGI frame */
#define A64_LPI(n)		(8192 + (n))

/* The ITS command numbers (vgic-its.c vgic_its_handle_command()). */
enum {
	ITS_MOVI = 0x01, ITS_INT = 0x03, ITS_CLEAR = 0x04, ITS_SYNC = 0x05, ITS_MAPD = 0x08,
	ITS_MAPC = 0x09, ITS_MAPTI = 0x0a, ITS_MAPI = 0x0b, ITS_INV = 0x0c, ITS_INVALL = 0x0d,
	ITS_MOVALL = 0x0e, ITS_DISCARD = 0x0f,
};

/* ABI v0 table entries (arm-vgic-its.rst "ITS Table ABI REV0"). */
#define A64_DTE(next, itt, bits)					\
	((1ULL << 63) | ((uint64_t)(next) << 49) | (((uint64_t)(itt) >> 8) << 5) |	\
	 (((bits) - 1) & 0x1f))
#define A64_CTE(rdbase, icid)	((1ULL << 63) | ((uint64_t)(rdbase) << 16) | (icid))
#define A64_ITE(next, pintid, icid)					\
	(((uint64_t)(next) << 48) | ((uint64_t)(pintid) << 16) | (icid))
#define A64_L1E(l2)		((1ULL << 63) | (l2))

/* KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS's Op0:Op1:CRn:CRm:Op2. */
#define A64_SYSREG(op0, op1, crn, crm, op2)				\
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

/* OP_MEMSLOT's sub: where userspace_addr points. */
enum {
	MS_RW, MS_RO, MS_NONE, MS_UNMAPPED, MS_MISALIGNED, MS_KERNEL, MS_WRAP, MS_NR
};

/* OP_GMEM's sub: what is written into guest memory. */
enum {
	GM_CMDS, GM_DTE, GM_CTE, GM_ITE, GM_L1, GM_RANDOM, GM_ZERO, GM_PROP, GM_PEND, GM_NR
};

/* OP_ARM_VM's sub. */
enum {
	AV_PREFERRED_TARGET, AV_CREATE_IRQCHIP, AV_SET_DEVICE_ADDR, AV_CHECK_EXTENSION,
	AV_SYS_CHECK_EXTENSION, AV_NR
};

/* OP_RACE's sub: what the main thread repeats while a thread changes a memslot. */
enum {
	RC_RESTORE, RC_SAVE, RC_CWRITER, RC_SAVE_PENDING, RC_ENABLE_LPIS, RC_INVALL, RC_NR
};

/* The MPIDR field of a REDIST_REGS/CPU_SYSREGS/LEVEL_INFO attr for vCPU id (VGIC_TO_MPIDR()). */
static inline uint32_t a64_mpidr_field(uint32_t id)
{
	return (id & 0xf) | ((id >> 4) & 0xff) << 8 | ((id >> 12) & 0xff) << 16;
}

/* ---- Generation. ---- */

#define G64_VCPUS	8	/* vCPUs a VM's record keeps */
#define G64_ITS		4	/* ITSes a VM's record keeps */

/* What the generator assumes about a VM. */
struct g64vm {
	int nvcpus;
	uint16_t vcpu_ids[G64_VCPUS];
	uint32_t features;	/* what its KVM_ARM_VCPU_INITs ask for */
	int gic;		/* the slot of its GIC, or -1 */
	int nits;
	int its[G64_ITS];	/* the slots of its ITSes */
	uint32_t cmdq[G64_ITS];	/* where ITS j's next command goes (queue offset) */
	uint32_t cmdq_size[G64_ITS];
	int ms_n;		/* memslot requests made: their last values, for moves */
	struct { uint32_t slot, flags; uint64_t gpa, size, off; } ms[4];
};

struct gen64 {
	struct gen g;
	int gic;			/* the node's host GIC: 3 or 2 */
	int vm_of[FUZZ_MAX_LEN];	/* vCPU and device slots: their VM's slot */
	uint16_t vcpu_id[FUZZ_MAX_LEN];
	uint8_t its_idx[FUZZ_MAX_LEN];	/* ITS slots: the ITS's index in its VM */
	struct g64vm vm[FUZZ_MAX_LEN];	/* VM slots */
};

/* A new op at the end of the sequence (zeroed), or NULL if it is full. */
static inline struct op *g64_emit(struct gen64 *G, int len, uint8_t kind, bool child)
{
	struct op *op;

	if (G->g.n >= len)
		return NULL;
	op = &G->g.ops[G->g.n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->child = child;
	op->p.mode = PM_OK;
	op->d.mode = PM_OK;
	return op;
}

static inline uint64_t g64_pick(struct rng *r, const uint64_t *v, size_t n)
{
	return v[rng_below(r, n)];
}

#define G64_PICK(r, ...) ({						\
	static const uint64_t __v[] = { __VA_ARGS__ };			\
	g64_pick(r, __v, ARRAY_SIZE(__v));				\
})

/* A value for a register field: special, boundary or random. */
static inline uint64_t g64_noise(struct rng *r)
{
	switch (rng_below(r, 4)) {
	case 0:
		return G64_PICK(r, 0, 1, 2, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
				1ULL << 32, ~0ULL, 0x8000000000000000ULL);
	case 1:
		return rng_below(r, 64);
	case 2:
		return (uint32_t)rng_next(r);
	default:
		return rng_next(r);
	}
}

/* The MPIDR field for a vCPU of VM slot vm: one of its vCPUs' mostly. */
static inline uint64_t g64_mpidr(struct gen64 *G, int vm)
{
	struct rng *r = &G->g.r;
	const struct g64vm *v = vm >= 0 ? &G->vm[vm] : NULL;

	if (v && v->nvcpus && rng_pct(r, 75))
		return a64_mpidr_field(v->vcpu_ids[rng_below(r, v->nvcpus)]);
	if (rng_pct(r, 40))
		return 0;
	if (rng_pct(r, 50))
		return G64_PICK(r, 1, 2, 0x10, 0x100, 0xff, 0x00ffffff, 0x01000000, 0x80000000,
				0xffffffff, 0x0f, 0x1f);
	return (uint32_t)rng_next(r);
}

/* The vCPU id field of a GICv2 register attr (bits 39:32; 63:40 ignored). */
static inline uint64_t g64_cpuid(struct gen64 *G, int vm)
{
	struct rng *r = &G->g.r;
	const struct g64vm *v = vm >= 0 ? &G->vm[vm] : NULL;

	if (v && v->nvcpus && rng_pct(r, 80))
		return v->vcpu_ids[rng_below(r, v->nvcpus)] | (rng_pct(r, 5) ? 0x100 : 0);
	return G64_PICK(r, 0, 1, 7, 8, 0xff, 0x100, 0xffffff);
}

/* An interrupt id, for the per-interrupt registers. */
static inline uint32_t g64_irq(struct rng *r)
{
	switch (rng_below(r, 6)) {
	case 0:
		return rng_below(r, 32);
	case 1 ... 2:
		return 32 + rng_below(r, 32);
	case 3:
		return 64 + rng_below(r, 192);
	case 4:
		return 992 + rng_below(r, 32);
	default:
		return rng_below(r, 1024);
	}
}

/* An offset in the GICv3 distributor (GICv2: v2 true). */
static inline uint32_t g64_dist_offset(struct rng *r, bool v2)
{
	uint32_t irq = g64_irq(r);

	switch (rng_below(r, v2 ? 18 : 20)) {
	case 0:
		return G64_PICK(r, 0x0, 0x4, 0x8, 0xc, 0x10, 0x40, 0x48, 0x50, 0x58, 0xf00,
				0xf10, 0xf20, 0xffd0, 0xffe8, 0xfffc);
	case 1:
		return 0x0;
	case 2:
		return 0x8;
	case 3 ... 4:	/* IGROUPR .. ICACTIVER: a bit per interrupt */
		return 0x80 * (1 + rng_below(r, 7)) + irq / 32 * 4;
	case 5 ... 7:	/* IPRIORITYR */
		return 0x400 + (irq & ~3);
	case 8:		/* ITARGETSR */
		return 0x800 + (irq & ~3);
	case 9:		/* ICFGR */
		return 0xc00 + irq / 16 * 4;
	case 10:	/* IGRPMODR, NSACR */
		return (rng_pct(r, 50) ? 0xd00 : 0xe00) + irq / 16 * 4;
	case 11:	/* v2: SGIR, CPENDSGIR, SPENDSGIR */
		return 0xf00 + rng_below(r, 0x30) * 4 / 4;
	case 12:	/* unaligned */
		return rng_below(r, 0x1000) | (1 + rng_below(r, 3));
	case 13:
		return rng_below(r, 0x10000) & ~3;
	case 14:
		return (uint32_t)rng_next(r);
	case 15 ... 17:
		return 0x100 + rng_below(r, 6) * 0x80 + irq / 32 * 4;
	default:	/* IROUTER<n>, both halves */
		return 0x6000 + irq * 8 + (rng_pct(r, 20) ? 4 : 0);
	}
}

/* An offset in a GICv3 redistributor: RD frame, or SGI frame at 0x10000. */
static inline uint32_t g64_redist_offset(struct rng *r)
{
	uint32_t irq = rng_below(r, 32);

	switch (rng_below(r, 12)) {
	case 0 ... 2:
		return G64_PICK(r, 0x0, 0x4, 0x8, 0xc, 0x10, 0x14, 0x70, 0x74, 0x78, 0x7c, 0xa0,
				0xa4, 0xb0, 0xb4, 0xc0, 0xffd0, 0xffe8);
	case 3:
		return G64_PICK(r, A64_GICR_CTLR, A64_GICR_PROPBASER, A64_GICR_PENDBASER,
				A64_GICR_INVLPIR, A64_GICR_INVALLR);
	case 4 ... 5:
		return A64_SGI + 0x80 * (1 + rng_below(r, 7));
	case 6 ... 7:
		return A64_SGI + 0x400 + (irq & ~3);
	case 8:
		return A64_SGI + G64_PICK(r, 0xc00, 0xc04, 0xd00, 0xe00, 0xe04);
	case 9:
		return rng_below(r, 0x20000) & ~3;
	case 10:
		return rng_below(r, 0x20000) | (1 + rng_below(r, 3));
	default:
		return (uint32_t)rng_next(r);
	}
}

/* A CPU_SYSREGS encoding: the ICC_*_EL1 registers, their neighbours, the EL2 ones. */
static inline uint32_t g64_sysreg(struct rng *r)
{
	switch (rng_below(r, 6)) {
	case 0 ... 3:
		return G64_PICK(r, A64_SYSREG(3, 0, 4, 6, 0), A64_SYSREG(3, 0, 12, 8, 3),
				A64_SYSREG(3, 0, 12, 8, 4), A64_SYSREG(3, 0, 12, 8, 5),
				A64_SYSREG(3, 0, 12, 9, 0), A64_SYSREG(3, 0, 12, 9, 3),
				A64_SYSREG(3, 0, 12, 12, 3), A64_SYSREG(3, 0, 12, 12, 4),
				A64_SYSREG(3, 0, 12, 12, 5), A64_SYSREG(3, 0, 12, 12, 6),
				A64_SYSREG(3, 0, 12, 12, 7), A64_SYSREG(3, 0, 12, 11, 5),
				A64_SYSREG(3, 0, 12, 8, 0), A64_SYSREG(3, 0, 12, 12, 0));
	case 4:		/* EL2: ICH_* */
		return A64_SYSREG(3, 4, 12, rng_below(r, 16), rng_below(r, 8));
	default:
		return rng_pct(r, 50) ? A64_SYSREG(3, rng_below(r, 8), rng_below(r, 16),
						   rng_below(r, 16), rng_below(r, 8)) :
					 (uint32_t)rng_below(r, 0x10000);
	}
}

/* An offset in the GICv2 CPU interface. */
static inline uint32_t g64_cpuif_offset(struct rng *r)
{
	switch (rng_below(r, 6)) {
	case 0 ... 3:
		return G64_PICK(r, 0x0, 0x4, 0x8, 0xc, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28,
				0xd0, 0xd4, 0xdc, 0xe0, 0xfc, 0x1000, 0x1004);
	case 4:
		return rng_below(r, 0x2000) & ~3;
	default:
		return rng_pct(r, 50) ? rng_below(r, 0x2000) : (uint32_t)rng_next(r);
	}
}

/* GITS_CBASER of ITS j: valid, its queue, 1 to 16 4K pages. */
static inline uint64_t g64_cbaser(struct rng *r, int j, uint32_t *size)
{
	uint64_t pages = rng_pct(r, 70) ? 1 : 1 + rng_below(r, 16);

	if (size)
		*size = pages * 4096;
	return A64_VALID | (A64_GPA_RAM + A64_AREA(j) + A64_CMDQ) | (pages - 1) |
	       (rng_pct(r, 20) ? (rng_next(r) & (0x7ULL << 59 | 0x3ULL << 10 | 0x7ULL << 53)) : 0);
}

/* GITS_BASER0 (device table) or 1 (collection table) of ITS j. */
static inline uint64_t g64_baser(struct rng *r, int j, int n)
{
	uint64_t v = A64_VALID | (A64_GPA_RAM + A64_AREA(j) + (n ? A64_COLLT : A64_DEVT)) |
		     2 << 8 | (rng_pct(r, 80) ? 0 : rng_below(r, 4));

	if (!n && rng_pct(r, 15))
		v |= A64_INDIRECT;
	if (rng_pct(r, 10))
		v ^= 1ULL << rng_below(r, 64);
	return v;
}

/* GICR_PROPBASER and GICR_PENDBASER (the low 32 bits: the tables are below 4G). */
static inline uint64_t g64_propbaser(struct rng *r)
{
	return (A64_GPA_RAM + A64_PROP) | G64_PICK(r, 13, 13, 14, 15, 12, 0x1f) |
	       (rng_pct(r, 20) ? 0x380 : 0);
}

static inline uint64_t g64_pendbaser(struct rng *r, uint32_t vcpu)
{
	return (A64_GPA_RAM + A64_PEND + (uint64_t)(vcpu & 3) * 0x10000) |
	       (rng_pct(r, 20) ? 0x380 : 0);
}

/* The value of an ITS register write. */
static inline uint64_t g64_its_value(struct gen64 *G, int its, uint32_t off)
{
	struct rng *r = &G->g.r;
	int j = G->its_idx[its];
	const struct g64vm *v = &G->vm[G->vm_of[its]];

	if (rng_pct(r, 15))
		return g64_noise(r);
	switch (off) {
	case A64_GITS_CTLR:
		return rng_pct(r, 80) ? 1 : 0;
	case A64_GITS_IIDR:
		return rng_pct(r, 70) ? 0x4b00043b : 0x4b00043b | rng_below(r, 16) << 12;
	case A64_GITS_CBASER:
		return g64_cbaser(r, j, NULL);
	case A64_GITS_CWRITER:
	case A64_GITS_CREADR:
		if (rng_pct(r, 60) && j < G64_ITS)
			return (v->cmdq[j] + 32 * rng_below(r, 4)) % (v->cmdq_size[j] ?: 4096);
		return 32 * rng_below(r, 2048) + (rng_pct(r, 10) ? rng_below(r, 32) : 0);
	case A64_GITS_BASER(0):
	case A64_GITS_BASER(1):
		return g64_baser(r, j, off == A64_GITS_BASER(1));
	default:
		return g64_noise(r);
	}
}

/* An ITS register offset (the attr): every register, neighbours, high bits. */
static inline uint64_t g64_its_offset(struct rng *r)
{
	switch (rng_below(r, 10)) {
	case 0 ... 5:
		return G64_PICK(r, A64_GITS_CTLR, A64_GITS_IIDR, A64_GITS_TYPER, A64_GITS_CBASER,
				A64_GITS_CWRITER, A64_GITS_CWRITER, A64_GITS_CREADR,
				A64_GITS_BASER(0), A64_GITS_BASER(1), A64_GITS_BASER(2),
				A64_GITS_BASER(7), 0xffd0, 0xffe8, 0xfffc);
	case 6:
		return G64_PICK(r, 0xc, 0x84, 0x8c, 0x94, 0x98, 0xfc, 0x140, 0xffc8, 0x10040,
				0x1, 0x2, 0x6);
	case 7:
		return rng_below(r, 0x20000) & ~3;
	case 8:
		return (1ULL << (32 + rng_below(r, 32))) |
		       G64_PICK(r, A64_GITS_CTLR, A64_GITS_CBASER, A64_GITS_CWRITER, 0x84);
	default:
		return g64_noise(r);
	}
}

/* Group, attr and value of an attribute call on a device of the given type. */
static inline void g64_attr(struct gen64 *G, struct op *op, uint32_t type, int vm, int dev)
{
	struct rng *r = &G->g.r;
	uint32_t off;

	op->val = g64_noise(r);
	switch (type) {
	case KVM_DEV_TYPE_ARM_VGIC_V3:
		switch (rng_below(r, 100)) {
		case 0 ... 24:
			op->group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
			off = g64_dist_offset(r, false);
			op->attr = (rng_pct(r, 90) ? 0 : g64_mpidr(G, vm) << 32) | off;
			if (off == 0 && rng_pct(r, 60))
				op->val = G64_PICK(r, 0, 2, 0x12, 0x52);
			else if (off == 0x8 && rng_pct(r, 60))
				op->val = 0x4b00343b ^ (rng_below(r, 4) << 12);
			else if (off >= 0x400 && off < 0x800 && rng_pct(r, 50))
				op->val = G64_PICK(r, 0xa0a0a0a0, 0xffffffff, 0x10203040);
			else if (off >= 0x6000 && rng_pct(r, 50))
				op->val = a64_mpidr_field(rng_below(r, 40)) | (rng_pct(r, 20) ? 1U << 31 : 0);
			break;
		case 25 ... 49:
			op->group = KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
			off = g64_redist_offset(r);
			op->attr = g64_mpidr(G, vm) << 32 | off;
			if (off == A64_GICR_PROPBASER && rng_pct(r, 70))
				op->val = g64_propbaser(r);
			else if (off == A64_GICR_PENDBASER && rng_pct(r, 70))
				op->val = g64_pendbaser(r, rng_below(r, 4));
			else if (off == A64_GICR_CTLR && rng_pct(r, 70))
				op->val = rng_pct(r, 80);
			else if (off == A64_GICR_INVLPIR && rng_pct(r, 70))
				op->val = A64_LPI(rng_below(r, 64));
			break;
		case 50 ... 59:
			op->group = KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
			op->attr = g64_mpidr(G, vm) << 32 | g64_sysreg(r);
			break;
		case 60 ... 67:
			op->group = KVM_DEV_ARM_VGIC_GRP_ADDR;
			op->attr = rng_pct(r, 85) ? G64_PICK(r, 2, 3, 5, 5) : G64_PICK(r, 0, 1, 4, 6, 7, 1ULL << 32 | 2);
			if (op->attr == 2)
				op->val = A64_GPA_DIST;
			else if (op->attr == 3)
				op->val = A64_GPA_REDIST;
			else if (op->attr == 5)
				op->val = (1 + rng_below(r, 8)) << 52 | (A64_GPA_REDIST + rng_below(r, 4) * 0x100000) |
					  rng_below(r, 3);
			if (rng_pct(r, 20))
				op->val = G64_PICK(r, A64_GPA_DIST + 0x1000, A64_IPA_SIZE - 0x10000, A64_IPA_SIZE,
						   0xffffffffffff0000ULL, 1ULL << 52 | 1 << 12, 0);
			break;
		case 68 ... 71:
			op->group = KVM_DEV_ARM_VGIC_GRP_NR_IRQS;
			op->attr = rng_pct(r, 90) ? 0 : g64_noise(r);
			op->val = G64_PICK(r, 64, 96, 128, 256, 992, 1024, 1023, 32, 0, 65, 0x100000040ULL);
			break;
		case 72 ... 79:
			op->group = KVM_DEV_ARM_VGIC_GRP_CTRL;
			op->attr = rng_pct(r, 85) ? G64_PICK(r, 0, 0, 3, 3, 1, 2, 4) : g64_noise(r);
			break;
		case 80 ... 85:
			op->group = KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO;
			op->attr = g64_mpidr(G, vm) << 32 |
				   (rng_pct(r, 85) ? 0 : rng_below(r, 4)) << 10 |
				   (rng_pct(r, 80) ? 32 * rng_below(r, 32) : rng_below(r, 1024));
			break;
		case 86 ... 89:
			op->group = KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ;
			op->attr = rng_pct(r, 90) ? 0 : g64_noise(r);
			op->val = rng_pct(r, 70) ? 16 + rng_below(r, 16) : G64_PICK(r, 0, 15, 32, 1023);
			break;
		case 90 ... 93:
			op->group = G64_PICK(r, KVM_DEV_ARM_VGIC_GRP_CPU_REGS, KVM_DEV_ARM_VGIC_GRP_ITS_REGS);
			op->attr = rng_below(r, 0x100);
			break;
		default:
			op->group = rng_pct(r, 50) ? 10 + rng_below(r, 6) : (uint32_t)g64_noise(r);
			op->attr = g64_noise(r);
			break;
		}
		break;
	case KVM_DEV_TYPE_ARM_VGIC_ITS:
		switch (rng_below(r, 100)) {
		case 0 ... 59:
			op->group = KVM_DEV_ARM_VGIC_GRP_ITS_REGS;
			op->attr = g64_its_offset(r);
			op->val = g64_its_value(G, dev, (uint32_t)op->attr);
			break;
		case 60 ... 84:
			op->group = KVM_DEV_ARM_VGIC_GRP_CTRL;
			op->attr = rng_pct(r, 90) ? G64_PICK(r, 0, 1, 1, 2, 2, 2, 4, 3) : g64_noise(r);
			break;
		case 85 ... 94:
			op->group = KVM_DEV_ARM_VGIC_GRP_ADDR;
			op->attr = rng_pct(r, 85) ? 4 : G64_PICK(r, 0, 2, 3, 5, 1ULL << 32 | 4);
			op->val = rng_pct(r, 75) ? A64_GPA_ITS + rng_below(r, 2) * 0x20000 :
				  G64_PICK(r, A64_GPA_ITS + 0x8000, A64_IPA_SIZE - 0x20000,
					   A64_IPA_SIZE - 0x10000, A64_GPA_REDIST, ~0ULL);
			break;
		default:
			op->group = rng_pct(r, 50) ? rng_below(r, 16) : (uint32_t)g64_noise(r);
			op->attr = g64_noise(r);
			break;
		}
		break;
	case KVM_DEV_TYPE_ARM_VGIC_V2:
		switch (rng_below(r, 100)) {
		case 0 ... 39:
			op->group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
			op->attr = g64_cpuid(G, vm) << 32 | g64_dist_offset(r, true);
			break;
		case 40 ... 69:
			op->group = KVM_DEV_ARM_VGIC_GRP_CPU_REGS;
			op->attr = g64_cpuid(G, vm) << 32 | g64_cpuif_offset(r);
			break;
		case 70 ... 79:
			op->group = KVM_DEV_ARM_VGIC_GRP_ADDR;
			op->attr = rng_pct(r, 85) ? rng_below(r, 2) : G64_PICK(r, 2, 3, 4, 5);
			op->val = op->attr ? A64_GPA_CPUIF : A64_GPA_DIST;
			if (rng_pct(r, 20))
				op->val = G64_PICK(r, A64_GPA_DIST + 0x800, A64_IPA_SIZE - 0x1000,
						   A64_IPA_SIZE, ~0ULL, A64_GPA_DIST);
			break;
		case 80 ... 84:
			op->group = KVM_DEV_ARM_VGIC_GRP_NR_IRQS;
			op->val = G64_PICK(r, 64, 96, 128, 256, 992, 1024, 32, 0);
			break;
		case 85 ... 92:
			op->group = KVM_DEV_ARM_VGIC_GRP_CTRL;
			op->attr = rng_pct(r, 85) ? G64_PICK(r, 0, 0, 3, 1) : g64_noise(r);
			break;
		default:
			op->group = rng_pct(r, 60) ? G64_PICK(r, 5, 6, 7, 8, 9, 10) : (uint32_t)g64_noise(r);
			op->attr = g64_noise(r);
			break;
		}
		break;
	default:	/* kvm-vfio, or a file that is no device */
		op->group = rng_pct(r, 70) ? KVM_DEV_VFIO_FILE : rng_below(r, 4);
		op->attr = rng_below(r, 4);
		op->val = rng_below(r, 64);
		break;
	}
}

/* An attribute call on device slot s (or another file). */
static inline void g64_fill_attr(struct gen64 *G, struct op *op, int s, int acc)
{
	struct rng *r = &G->g.r;
	const struct gslot *gs = &G->g.slots[s];

	op->s = s;
	op->sub = acc >= 0 ? acc : rng_pct(r, 50) ? ACC_SET : rng_pct(r, 60) ? ACC_GET : ACC_HAS;
	g64_attr(G, op, gs->kind == G_DEV ? gs->type : 0, gs->kind == G_DEV || gs->kind == G_VCPU ?
		 G->vm_of[s] : gs->kind == G_VM ? s : -1, s);
	op->flags = rng_pct(r, 97) ? 0 : (uint32_t)rng_next(r);
	op->p = gen_ptr(&G->g, sizeof(struct kvm_device_attr), 96);
	op->d = gen_ptr(&G->g, 8, 94);
}

/* A set of a known attribute: the recipe's steps. */
static inline void g64_set(struct gen64 *G, int len, int dev, uint32_t group, uint64_t attr,
			   uint64_t val)
{
	struct op *op = g64_emit(G, len, OP_ATTR, false);

	if (!op)
		return;
	op->s = dev;
	op->sub = ACC_SET;
	op->group = group;
	op->attr = attr;
	op->val = val;
	/* Now and then, a mutation. */
	if (rng_pct(&G->g.r, 4))
		op->val ^= 1ULL << rng_below(&G->g.r, 64);
	else if (rng_pct(&G->g.r, 2))
		op->attr ^= 1ULL << rng_below(&G->g.r, 64);
}

static inline int g64_new_file(struct gen64 *G, uint8_t kind, bool open, int vm, uint32_t type)
{
	int s = gen_new_slot(&G->g, kind, open);

	G->g.slots[s].type = type;
	G->vm_of[s] = vm;
	G->vcpu_id[s] = 0;
	G->its_idx[s] = 0;
	if (kind == G_VM) {
		memset(&G->vm[s], 0, sizeof(G->vm[s]));
		G->vm[s].gic = -1;
	}
	return s;
}

static inline int g64_create_vcpu(struct gen64 *G, int len, int vm, uint64_t id, bool child)
{
	struct g64vm *v = &G->vm[vm];
	struct op *op = g64_emit(G, len, OP_CREATE_VCPU, child);
	bool ok = id < (G->gic == 2 ? 8u : 512u);
	int s, i;

	if (!op)
		return -1;
	for (i = 0; i < v->nvcpus; i++)
		if (v->vcpu_ids[i] == id)
			ok = false;
	op->s = vm;
	op->arg = id;
	s = op->out = g64_new_file(G, G_VCPU, ok, vm, 0);
	G->vcpu_id[s] = id;
	if (ok && v->nvcpus < G64_VCPUS && !child)
		v->vcpu_ids[v->nvcpus++] = id;
	return s;
}

static inline void g64_vcpu_init(struct gen64 *G, int len, int vcpu, bool child)
{
	struct rng *r = &G->g.r;
	struct op *op = g64_emit(G, len, OP_VCPU_INIT, child);

	if (!op)
		return;
	op->s = vcpu;
	op->arg = KVM_ARM_TARGET_GENERIC_V8;
	op->flags = G->vm[G->vm_of[vcpu]].features;
	if (rng_pct(r, 8))
		op->arg = G64_PICK(r, 0, 4, 6, ~0ULL);
	if (rng_pct(r, 8))
		op->flags = G64_PICK(r, 1, 4, 5, 2, 8, 0x200, 0x400, 0x80000000);
	if (rng_pct(r, 4))
		op->val = 1 + rng_below(r, 6);	/* a non-zero features[val] */
	op->p = gen_ptr(&G->g, sizeof(struct kvm_vcpu_init), 95);
}

static inline int g64_create_device(struct gen64 *G, int len, int vm, uint32_t type, bool test,
				    bool child)
{
	struct op *op = g64_emit(G, len, OP_CREATE_DEVICE, child);
	struct g64vm *v = &G->vm[vm];
	int s;

	if (!op)
		return -1;
	op->s = vm;
	op->type = type;
	op->flags = test ? KVM_CREATE_DEVICE_TEST : 0;
	op->p = gen_ptr(&G->g, sizeof(struct kvm_create_device), 95);
	s = op->out = g64_new_file(G, G_DEV, !test && probe_type(G->g.pr, type) &&
				   ptr_writable(op->p, sizeof(struct kvm_create_device)), vm, type);
	if (test || child || !G->g.slots[s].open)
		return s;
	if (type == KVM_DEV_TYPE_ARM_VGIC_ITS && v->nits < G64_ITS) {
		G->its_idx[s] = v->nits;
		v->its[v->nits++] = s;
	} else if (type == KVM_DEV_TYPE_ARM_VGIC_ITS) {
		G->its_idx[s] = rng_below(&G->g.r, G64_ITS);
	} else if ((type == KVM_DEV_TYPE_ARM_VGIC_V3 || type == KVM_DEV_TYPE_ARM_VGIC_V2) &&
		   v->gic < 0) {
		v->gic = s;
	}
	return s;
}

static inline void g64_memslot(struct gen64 *G, int len, int vm, uint32_t slot, uint32_t flags,
			       uint64_t gpa, uint64_t size, int mode, uint64_t off, bool child)
{
	struct op *op = g64_emit(G, len, OP_MEMSLOT, child);
	struct g64vm *v = &G->vm[vm];

	if (!op)
		return;
	op->s = vm;
	op->attr = slot;
	op->flags = flags;
	op->arg = gpa;
	op->len = size;
	op->sub = mode;
	op->val = off;
	op->p = gen_ptr(&G->g, sizeof(struct kvm_userspace_memory_region), 97);
	if (!child) {
		int i = v->ms_n++ % 4;

		v->ms[i].slot = slot;
		v->ms[i].flags = flags;
		v->ms[i].gpa = gpa;
		v->ms[i].size = size;
		v->ms[i].off = off;
	}
}

/* A random memslot request: new slots, moves, deletes, resizes, hostile values. */
static inline void g64_random_memslot(struct gen64 *G, int len, int vm, bool child)
{
	struct rng *r = &G->g.r;
	struct g64vm *v = &G->vm[vm];
	uint64_t gpa, size, off;
	uint32_t slot, flags;
	int mode = MS_RW;

	if (v->ms_n && rng_pct(r, 50)) {
		int i = rng_below(r, v->ms_n < 4 ? v->ms_n : 4);

		slot = v->ms[i].slot;
		flags = v->ms[i].flags;
		gpa = v->ms[i].gpa;
		size = v->ms[i].size;
		off = v->ms[i].off;
		switch (rng_below(r, 6)) {
		case 0 ... 1:	/* delete */
			size = 0;
			break;
		case 2:		/* move */
			gpa = A64_GPA_RAM + rng_below(r, 8) * 0x100000;
			break;
		case 3:		/* flags */
			flags ^= rng_pct(r, 70) ? KVM_MEM_LOG_DIRTY_PAGES : KVM_MEM_READONLY;
			break;
		case 4:		/* resize, or the same again */
			size = rng_pct(r, 70) ? size * 2 : size;
			break;
		default:	/* another backing */
			off = rng_below(r, 4) * 0x100000;
			break;
		}
	} else {
		slot = rng_pct(r, 75) ? rng_below(r, 4) :
		       G64_PICK(r, 32766, 32767, 0x10000, 0x10001, 0xffff, 0x7fff0000);
		flags = rng_pct(r, 80) ? 0 :
			G64_PICK(r, KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES, 3, 4, 0x80);
		gpa = rng_pct(r, 80) ? A64_GPA_RAM + rng_below(r, 8) * 0x100000 :
		      G64_PICK(r, 0, A64_IPA_SIZE - 0x100000, A64_IPA_SIZE, A64_IPA_SIZE - 0x80000,
			       A64_GPA_RAM + 0x800, 1ULL << 52, ~0ULL << 12, A64_GPA_ITS);
		size = rng_pct(r, 75) ? G64_PICK(r, 0x100000, 0x200000, 0x400000, 0x10000, 0x1000) :
		       G64_PICK(r, 0, 0x800, 0x500000, 1ULL << 43, ~0ULL << 12);
		off = rng_pct(r, 80) ? rng_below(r, 4) * 0x100000 : rng_below(r, 64) * 0x10000;
		if (rng_pct(r, 15))
			mode = 1 + rng_below(r, MS_NR - 1);
	}
	g64_memslot(G, len, vm, slot, flags, gpa, size, mode, off, child);
}

/* Commands for ITS slot its at its queue's next place, then GITS_CWRITER past them. */
static inline void g64_commands(struct gen64 *G, int len, int its, bool child)
{
	struct rng *r = &G->g.r;
	int vm = G->vm_of[its], j = G->its_idx[its];
	struct g64vm *v = &G->vm[vm];
	uint32_t size = v->cmdq_size[j] ?: 4096, n = 1 + rng_below(r, 8);
	struct op *op = g64_emit(G, len, OP_GMEM, child);

	if (!op)
		return;
	op->s = vm;
	op->sub = GM_CMDS;
	op->arg = A64_AREA(j) + A64_CMDQ + v->cmdq[j] % size;
	op->len = n;
	op->val = rng_next(r);
	op->attr = j;
	op->type = v->nvcpus;
	/* The queue wraps: commands past its end go to its start (exec side). */
	op->flags = size;
	if (!child)
		v->cmdq[j] = (v->cmdq[j] + n * 32) % size;
	if (rng_pct(r, 80))
		g64_set(G, len, its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, A64_GITS_CWRITER,
			rng_pct(r, 90) ? v->cmdq[j] : (v->cmdq[j] + 32 * rng_below(r, 8)) % size);
}

/* Random guest memory contents: tables, entries, LPI configuration and pending bits. */
static inline void g64_gmem(struct gen64 *G, int len, int vm, bool child)
{
	struct rng *r = &G->g.r;
	struct op *op = g64_emit(G, len, OP_GMEM, child);
	int j = rng_below(r, G->vm[vm].nits ?: 1);

	if (!op)
		return;
	op->s = vm;
	op->sub = 1 + rng_below(r, GM_NR - 1);
	op->val = rng_next(r);
	op->attr = j;
	op->type = G->vm[vm].nvcpus;
	switch (op->sub) {
	case GM_DTE:
		op->arg = A64_AREA(j) + A64_DEVT + 8 * rng_below(r, 16);
		op->len = 1 + rng_below(r, 8);
		break;
	case GM_CTE:
		op->arg = A64_AREA(j) + A64_COLLT + 8 * rng_below(r, 8);
		op->len = 1 + rng_below(r, 8);
		break;
	case GM_ITE:
		op->arg = A64_AREA(j) + A64_ITT + 256 * rng_below(r, 8) + 8 * rng_below(r, 8);
		op->len = 1 + rng_below(r, 8);
		break;
	case GM_L1:
		op->arg = A64_AREA(j) + A64_DEVT + 8 * rng_below(r, 4);
		op->len = 1 + rng_below(r, 2);
		break;
	case GM_RANDOM:
		op->arg = rng_pct(r, 70) ? A64_AREA(j) + 8 * rng_below(r, 0xc0000 / 8) :
		      8 * rng_below(r, A64_RAM_SIZE / 8);
		op->len = 8 * (1 + rng_below(r, 32));
		break;
	case GM_ZERO:
		op->arg = A64_AREA(j) + G64_PICK(r, A64_CMDQ, A64_DEVT, A64_COLLT, A64_ITT, A64_PROP,
						 A64_PEND);
		op->len = G64_PICK(r, 0x1000, 0x10000);
		break;
	case GM_PROP:
		op->arg = A64_PROP + rng_below(r, 64);
		op->len = 1 + rng_below(r, 64);
		break;
	default:
		op->arg = A64_PEND + 0x10000 * rng_below(r, 4) + 1024 + rng_below(r, 8);
		op->len = 1 + rng_below(r, 8);
		break;
	}
}

/*
 * The set-up recipe: a VM with vCPUs, the GIC and its addresses, guest memory,
 * ITSes with tables and an enabled queue (GICv3 host), CTRL_INIT, the LPI
 * tables and EnableLPIs. Each step is one op; some are left out.
 */
static inline void g64_recipe(struct gen64 *G, int len)
{
	struct rng *r = &G->g.r;
	int sys, vm, i, n, gic, nits;
	struct g64vm *v;
	struct op *op;

	sys = gen_pick(&G->g, GK(G_SYS));
	if (sys < 0) {
		op = g64_emit(G, len, OP_OPEN_SYS, false);
		if (!op)
			return;
		sys = op->out = g64_new_file(G, G_SYS, true, -1, 0);
	}
	op = g64_emit(G, len, OP_CREATE_VM, false);
	if (!op)
		return;
	op->s = sys;
	op->arg = rng_pct(r, 90) ? 0 : G64_PICK(r, 32, 36, 44, 48, 52);
	vm = op->out = g64_new_file(G, G_VM, true, -1, 0);
	v = &G->vm[vm];
	v->features = rng_pct(r, 80) ? 0 : G64_PICK(r, 1, 4, 5);
	n = G->gic == 2 ? 1 + rng_below(r, 3) : rng_pct(r, 70) ? 1 + rng_below(r, 3) :
	    1 + rng_below(r, 5);
	for (i = 0; i < n; i++) {
		int c = g64_create_vcpu(G, len, vm, rng_pct(r, 90) ? (uint64_t)i :
					rng_pct(r, 50) ? 16 + rng_below(r, 48) : rng_below(r, 512), false);

		if (c >= 0 && rng_pct(r, 90))
			g64_vcpu_init(G, len, c, false);
	}
	if (G->gic == 2 && rng_pct(r, 20)) {
		op = g64_emit(G, len, OP_ARM_VM, false);
		if (!op)
			return;
		op->s = vm;
		op->sub = AV_CREATE_IRQCHIP;
		gic = -1;
	} else {
		gic = g64_create_device(G, len, vm, G->gic == 2 ? KVM_DEV_TYPE_ARM_VGIC_V2 :
					KVM_DEV_TYPE_ARM_VGIC_V3, false, false);
	}
	if (G->gic == 2) {
		if (gic >= 0 && rng_pct(r, 80)) {
			g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST,
				A64_GPA_DIST);
			g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU,
				A64_GPA_CPUIF);
		} else {
			for (i = 0; i < 2; i++) {
				op = g64_emit(G, len, OP_ARM_VM, false);
				if (!op)
					return;
				op->s = vm;
				op->sub = AV_SET_DEVICE_ADDR;
				op->arg = i;
				op->val = i ? A64_GPA_CPUIF : A64_GPA_DIST;
			}
		}
	} else if (gic >= 0) {
		g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
			A64_GPA_DIST);
		if (rng_pct(r, 70))
			g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
				A64_GPA_REDIST);
		else
			g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_ADDR,
				KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
				(uint64_t)(1 + rng_below(r, 8)) << 52 | A64_GPA_REDIST);
	}
	if (gic >= 0 && rng_pct(r, 75))
		g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, G64_PICK(r, 64, 128, 256));
	g64_memslot(G, len, vm, 0, rng_pct(r, 95) ? 0 : KVM_MEM_READONLY, A64_GPA_RAM,
		    rng_pct(r, 85) ? A64_RAM_SIZE : 0x200000, MS_RW, 0, false);
	nits = G->gic == 3 ? G64_PICK(r, 0, 1, 1, 1, 2, 2, 3) : 0;
	for (i = 0; i < nits; i++) {
		int its = g64_create_device(G, len, vm, KVM_DEV_TYPE_ARM_VGIC_ITS, false, false);
		int j;

		if (its < 0)
			return;
		j = G->its_idx[its];
		g64_set(G, len, its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
			A64_GPA_ITS + (rng_pct(r, 80) ? j : 0) * 0x20000);
		g64_set(G, len, its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, A64_GITS_BASER(0),
			g64_baser(r, j, 0));
		g64_set(G, len, its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, A64_GITS_BASER(1),
			g64_baser(r, j, 1));
		g64_set(G, len, its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, A64_GITS_CBASER,
			g64_cbaser(r, j, j < G64_ITS ? &v->cmdq_size[j] : NULL));
		if (rng_pct(r, 85))
			g64_set(G, len, its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, A64_GITS_CTLR, 1);
	}
	if (gic >= 0 && rng_pct(r, 85))
		g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0);
	if (G->gic == 3 && gic >= 0 && v->nvcpus) {
		uint64_t mp0 = (uint64_t)a64_mpidr_field(v->vcpu_ids[0]) << 32;

		if (rng_pct(r, 92))
			g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				mp0 | A64_GICR_PROPBASER, g64_propbaser(r));
		for (i = 0; i < v->nvcpus; i++) {
			uint64_t mp = (uint64_t)a64_mpidr_field(v->vcpu_ids[i]) << 32;

			if (rng_pct(r, 92))
				g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
					mp | A64_GICR_PENDBASER, g64_pendbaser(r, i));
			if (nits && rng_pct(r, 70))
				g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
					mp | A64_GICR_CTLR, 1);
		}
		if (rng_pct(r, 50))
			g64_set(G, len, gic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0, 2);
	}
	for (i = 0; i < v->nits && rng_pct(r, 70); i++)
		g64_commands(G, len, v->its[rng_below(r, v->nits)], false);
}

/* One random op (child: in a fork child). */
static inline void g64_op(struct gen64 *G, int len, bool child)
{
	/* OP_* weights for the arm64 nodes. */
	static const uint8_t weights[OP_NR] = {
		[OP_OPEN_SYS] = 1, [OP_OPEN_OTHER] = 1, [OP_CREATE_VM] = 2, [OP_CREATE_VCPU] = 3,
		[OP_CREATE_DEVICE] = 4, [OP_ATTR] = 34, [OP_IOCTL] = 3, [OP_MMAP] = 1,
		[OP_TOUCH] = 1, [OP_MUNMAP] = 1, [OP_RW] = 1, [OP_DUP] = 2, [OP_CLOSE] = 3,
		[OP_FORK] = 1, [OP_RLIMIT] = 0, [OP_MEMSLOT] = 6, [OP_VCPU_INIT] = 2,
		[OP_ARM_VM] = 2, [OP_GMEM] = 12, [OP_ROUNDTRIP] = 3, [OP_RACE] = 1,
	};
	struct rng *r = &G->g.r;
	struct gen *g = &G->g;
	int total = 0, i, pick, s, vm;
	struct op *op;

	for (i = 0; i < OP_NR; i++)
		total += weights[i];
again:
	pick = rng_below(r, total);
	for (i = 0; pick >= weights[i]; i++)
		pick -= weights[i];
	if (!child && gen_pick(g, GK(G_VM)) < 0 && rng_pct(r, 70)) {
		g64_recipe(G, len);
		return;
	}
	if (child && (i == OP_FORK || i == OP_OPEN_SYS || i == OP_RLIMIT || i == OP_RACE))
		goto again;
	switch (i) {
	case OP_OPEN_SYS:
		op = g64_emit(G, len, OP_OPEN_SYS, child);
		op->out = g64_new_file(G, G_SYS, true, -1, 0);
		return;
	case OP_OPEN_OTHER:
		op = g64_emit(G, len, OP_OPEN_OTHER, child);
		op->sub = rng_below(r, 3);
		op->out = g64_new_file(G, G_OTHER, true, -1, 0);
		return;
	case OP_CREATE_VM:
		s = gen_pick(g, GK(G_SYS));
		if (s < 0)
			goto again;
		op = g64_emit(G, len, OP_CREATE_VM, child);
		op->s = s;
		op->arg = rng_pct(r, 70) ? 0 : rng_pct(r, 60) ? 30 + rng_below(r, 25) :
			  G64_PICK(r, 0x100, 1ULL << 31, 1ULL << 31 | 40, 0x28 | 1ULL << 32);
		op->out = g64_new_file(G, G_VM, op->arg == 0 || (op->arg >= 32 && op->arg <= 52), -1, 0);
		return;
	case OP_CREATE_VCPU:
		vm = gen_pick(g, GK(G_VM));
		if (vm < 0)
			goto again;
		g64_create_vcpu(G, len, vm, rng_pct(r, 60) ? rng_below(r, 4) :
				rng_pct(r, 50) ? rng_below(r, 520) :
				G64_PICK(r, 7, 8, 9, 511, 512, 4095, ~0ULL, 1ULL << 32), child);
		return;
	case OP_VCPU_INIT:
		s = gen_pick(g, GK(G_VCPU));
		if (s < 0)
			goto again;
		g64_vcpu_init(G, len, s, child);
		return;
	case OP_CREATE_DEVICE: {
		uint32_t type;

		vm = gen_pick(g, GK(G_VM));
		if (vm < 0)
			goto again;
		if (rng_pct(r, 85))
			type = G->gic == 2 ? G64_PICK(r, KVM_DEV_TYPE_ARM_VGIC_V2, KVM_DEV_TYPE_VFIO,
						      KVM_DEV_TYPE_ARM_VGIC_V3, KVM_DEV_TYPE_ARM_VGIC_ITS) :
			       G64_PICK(r, KVM_DEV_TYPE_ARM_VGIC_V3, KVM_DEV_TYPE_ARM_VGIC_ITS,
					KVM_DEV_TYPE_ARM_VGIC_ITS, KVM_DEV_TYPE_VFIO,
					KVM_DEV_TYPE_ARM_VGIC_V2);
		else
			type = rng_pct(r, 50) ? rng_below(r, KVM_DEV_TYPE_MAX + 2) : (uint32_t)rng_next(r);
		g64_create_device(G, len, vm, type, rng_pct(r, 15), child);
		return;
	}
	case OP_ATTR:
		s = rng_pct(r, 92) ? gen_pick(g, GK(G_DEV)) : -1;
		if (s < 0)
			s = gen_pick(g, GK_FILES);
		if (s < 0)
			goto again;
		/* Commands and a CWRITER write, as a pair, on an ITS. */
		if (g->slots[s].kind == G_DEV && g->slots[s].type == KVM_DEV_TYPE_ARM_VGIC_ITS &&
		    G->its_idx[s] < G64_ITS && rng_pct(r, 25)) {
			g64_commands(G, len, s, child);
			return;
		}
		op = g64_emit(G, len, OP_ATTR, child);
		g64_fill_attr(G, op, s, -1);
		return;
	case OP_IOCTL:
		s = gen_pick(g, GK_FILES);
		if (s < 0)
			goto again;
		op = g64_emit(G, len, OP_IOCTL, child);
		op->s = s;
		gen_cmd(g, op);
		if (rng_pct(r, 60)) {
			op->argp = 1;
			op->p = gen_ptr(g, sizeof(struct kvm_device_attr), 50);
		} else {
			op->arg = rng_pct(r, 50) ? 0 : gen_scalar(g);
		}
		return;
	case OP_MMAP:
		s = gen_pick(g, rng_pct(r, 80) ? GK(G_VCPU) : GK_FILES);
		if (s < 0)
			goto again;
		op = g64_emit(G, len, OP_MMAP, child);
		op->s = s;
		op->arg = rng_below(r, 4) * FUZZ_PAGE;
		op->len = (1 + rng_below(r, 3)) * FUZZ_PAGE;
		op->prot = rng_pct(r, 50) ? PROT_READ : PROT_READ | PROT_WRITE;
		op->mflags = rng_pct(r, 70) ? MAP_SHARED : MAP_PRIVATE;
		op->out = g64_new_file(G, G_MAP, g->slots[s].kind == G_VCPU, -1, 0);
		return;
	case OP_TOUCH:
	case OP_MUNMAP:
		s = gen_pick(g, GK(G_MAP));
		if (s < 0)
			goto again;
		op = g64_emit(G, len, i, child);
		op->s = s;
		op->sub = i == OP_TOUCH && rng_pct(r, 50);
		if (i == OP_MUNMAP && !child)
			g->slots[s].open = false;
		return;
	case OP_RW:
		s = gen_pick(g, GK_FILES);
		if (s < 0)
			goto again;
		op = g64_emit(G, len, OP_RW, child);
		op->s = s;
		op->sub = rng_below(r, 3);
		op->arg = op->sub == 2 ? gen_scalar(g) : rng_below(r, 64);
		op->len = op->sub == 2 ? rng_below(r, 3) : 0;
		return;
	case OP_DUP: {
		int d;

		s = gen_pick(g, GK_FILES | GK(G_OTHER));
		if (s < 0)
			goto again;
		op = g64_emit(G, len, OP_DUP, child);
		op->s = s;
		op->sub = rng_pct(r, 40);
		if (op->sub) {
			d = gen_pick(g, GK_FILES | GK(G_OTHER));
			op->s2 = d < 0 ? s : d;
			if (op->s2 != s && !child) {
				g->slots[op->s2] = g->slots[s];
				G->vm_of[op->s2] = G->vm_of[s];
				G->its_idx[op->s2] = G->its_idx[s];
				G->vcpu_id[op->s2] = G->vcpu_id[s];
			}
		} else {
			d = op->out = g64_new_file(G, g->slots[s].kind, true, G->vm_of[s],
						   g->slots[s].type);
			G->its_idx[d] = G->its_idx[s];
			G->vcpu_id[d] = G->vcpu_id[s];
		}
		return;
	}
	case OP_CLOSE:
		s = gen_pick(g, GK_FILES | GK(G_OTHER));
		if (s < 0)
			goto again;
		op = g64_emit(G, len, OP_CLOSE, child);
		op->s = s;
		if (!child)
			g->slots[s].open = false;
		return;
	case OP_FORK:
		g64_emit(G, len, OP_FORK, child);
		return;
	case OP_MEMSLOT:
		vm = gen_pick(g, GK(G_VM));
		if (vm < 0)
			goto again;
		g64_random_memslot(G, len, vm, child);
		return;
	case OP_ARM_VM:
		vm = gen_pick(g, GK(G_VM));
		s = gen_pick(g, GK(G_SYS));
		if (vm < 0)
			goto again;
		op = g64_emit(G, len, OP_ARM_VM, child);
		op->s = vm;
		op->sub = rng_below(r, AV_NR);
		switch (op->sub) {
		case AV_PREFERRED_TARGET:
			op->p = gen_ptr(g, sizeof(struct kvm_vcpu_init), 80);
			break;
		case AV_SET_DEVICE_ADDR:
			op->arg = rng_pct(r, 80) ? rng_below(r, 3) :
				  G64_PICK(r, 1 << 16, 2 << 16 | 1, 1ULL << 32, 0xffff);
			op->val = rng_pct(r, 70) ? (op->arg & 1 ? A64_GPA_CPUIF : A64_GPA_DIST) :
				  G64_PICK(r, A64_GPA_DIST + 0x800, A64_IPA_SIZE, ~0ULL, 0);
			op->p = gen_ptr(g, sizeof(struct kvm_arm_device_addr), 90);
			break;
		case AV_SYS_CHECK_EXTENSION:
			if (s < 0)
				op->sub = AV_CHECK_EXTENSION;
			else
				op->s = s;
			/* fall through */
		case AV_CHECK_EXTENSION:
			op->arg = rng_pct(r, 80) ?
				  G64_PICK(r, KVM_CAP_ARM_VM_IPA_SIZE, KVM_CAP_MSI_DEVID,
					   KVM_CAP_MAX_VCPUS, KVM_CAP_MAX_VCPU_ID, KVM_CAP_NR_VCPUS,
					   KVM_CAP_IRQCHIP, KVM_CAP_ARM_SET_DEVICE_ADDR,
					   KVM_CAP_NR_MEMSLOTS, KVM_CAP_READONLY_MEM,
					   KVM_CAP_DEVICE_CTRL, KVM_CAP_USER_MEMORY) :
				  gen_cap(g);
			break;
		}
		return;
	case OP_GMEM:
		vm = gen_pick(g, GK(G_VM));
		if (vm < 0)
			goto again;
		g64_gmem(G, len, vm, child);
		return;
	case OP_ROUNDTRIP:
	case OP_RACE:
		s = gen_pick(g, GK(G_DEV));
		if (s < 0 || (g->slots[s].type != KVM_DEV_TYPE_ARM_VGIC_ITS &&
			      (i == OP_ROUNDTRIP || g->slots[s].type != KVM_DEV_TYPE_ARM_VGIC_V3)))
			goto again;
		op = g64_emit(G, len, i, child);
		op->s = s;
		if (i == OP_RACE) {
			op->sub = g->slots[s].type == KVM_DEV_TYPE_ARM_VGIC_V3 ?
				  G64_PICK(r, RC_SAVE_PENDING, RC_ENABLE_LPIS, RC_INVALL) :
				  G64_PICK(r, RC_RESTORE, RC_SAVE, RC_CWRITER);
			op->attr = rng_below(r, 4);
			op->len = 4 + rng_below(r, 29);
			op->arg = A64_GPA_RAM + 0x800000 + rng_below(r, 4) * 0x100000;
			op->val = 32 * rng_below(r, 64);
		}
		return;
	}
}

/*
 * Generates ops [0, len) of the arm64 sequence with the given seed for a
 * node whose host has a GICv<gic>. As gen_seq(), op i does not depend on len.
 */
static inline void gen_seq_arm64(uint64_t seed, const struct probe *pr, int gic, int len,
				 struct op *ops)
{
	static struct gen64 G;
	static struct gen64 saved;
	int target = 0;

	memset(&G, 0, sizeof(G));
	rng_seed(&G.g.r, seed ^ 0xa64a64a64a64a64ULL);
	G.g.pr = pr;
	G.g.ops = ops;
	G.gic = gic;
	/*
	 * Generate with no bound and cut at len: a recipe that len cuts short
	 * must have the same first ops as the whole one.
	 */
	while (G.g.n < len) {
		int before = G.g.n;

		target = FUZZ_MAX_LEN;
		g64_op(&G, target, false);
		if (G.g.n > before && ops[G.g.n - 1].kind == OP_FORK && G.g.n < target) {
			int nchild = 1 + rng_below(&G.g.r, 4), i, nslots = G.g.nslots;

			memcpy(&saved, &G, sizeof(G));
			for (i = 0; i < nchild && G.g.n < target; i++)
				g64_op(&G, target, true);
			/* The child's changes stay in the child. */
			memcpy(G.g.slots, saved.g.slots, sizeof(G.g.slots[0]) * nslots);
			memcpy(G.vm, saved.vm, sizeof(G.vm));
			for (i = nslots; i < G.g.nslots; i++)
				G.g.slots[i].open = false;
		}
		if (G.g.n == before)
			break;
	}
}

/* ---- Text. ---- */

static const char *const ms_names[MS_NR] = {
	"ram", "read-only ram", "PROT_NONE", "unmapped", "misaligned", "kernel", "wrapping",
};
static const char *const gm_names[GM_NR] = {
	"commands", "DTEs", "CTEs", "ITEs", "L1 entries", "random bytes", "zeroes",
	"LPI config", "pending bits",
};
static const char *const av_names[AV_NR] = {
	"KVM_ARM_PREFERRED_TARGET", "KVM_CREATE_IRQCHIP", "KVM_ARM_SET_DEVICE_ADDR",
	"KVM_CHECK_EXTENSION", "KVM_CHECK_EXTENSION",
};
static const char *const rc_names[RC_NR] = {
	"RESTORE_TABLES", "SAVE_TABLES", "GITS_CWRITER", "SAVE_PENDING_TABLES",
	"GICR_CTLR.EnableLPIs", "GICR_INVALLR",
};

static inline const char *op_str_arm64(const struct op *op, char *buf, size_t n)
{
	char p[40];

	switch (op->kind) {
	case OP_MEMSLOT:
		snprintf(buf, n,
			 "ioctl(s%u, KVM_SET_USER_MEMORY_REGION, {slot %#x, flags %#x, gpa %#llx, "
			 "size %#llx, uaddr %s + %#llx} %s)", op->s, (unsigned int)op->attr,
			 op->flags, (unsigned long long)op->arg, (unsigned long long)op->len,
			 op->sub < MS_NR ? ms_names[op->sub] : "?", (unsigned long long)op->val,
			 ptr_str(op->p, p, sizeof(p)));
		break;
	case OP_VCPU_INIT:
		snprintf(buf, n, "ioctl(s%u, KVM_ARM_VCPU_INIT, {target %llu, features %#x%s} %s)",
			 op->s, (unsigned long long)op->arg, op->flags,
			 op->val ? ", a higher word set" : "", ptr_str(op->p, p, sizeof(p)));
		break;
	case OP_ARM_VM:
		if (op->sub == AV_SET_DEVICE_ADDR)
			snprintf(buf, n, "ioctl(s%u, KVM_ARM_SET_DEVICE_ADDR, {id %#llx, addr %#llx} %s)",
				 op->s, (unsigned long long)op->arg, (unsigned long long)op->val,
				 ptr_str(op->p, p, sizeof(p)));
		else
			snprintf(buf, n, "ioctl(s%u, %s, %#llx) %s", op->s,
				 op->sub < AV_NR ? av_names[op->sub] : "?",
				 (unsigned long long)op->arg, ptr_str(op->p, p, sizeof(p)));
		break;
	case OP_GMEM:
		snprintf(buf, n, "guest memory of s%u + %#llx: %llu %s (seed %#llx, ITS %llu)",
			 op->s, (unsigned long long)op->arg, (unsigned long long)op->len,
			 op->sub < GM_NR ? gm_names[op->sub] : "?", (unsigned long long)op->val,
			 (unsigned long long)op->attr);
		break;
	case OP_ROUNDTRIP:
		snprintf(buf, n, "ITS s%u: save, reset, restore, save again, compare", op->s);
		break;
	case OP_RACE:
		snprintf(buf, n, "s%u: %llu x %s; a thread moves memslot #%llu (to %#llx) and back",
			 op->s, (unsigned long long)op->len,
			 op->sub < RC_NR ? rc_names[op->sub] : "?", (unsigned long long)op->attr,
			 (unsigned long long)op->arg);
		break;
	default:
		snprintf(buf, n, "? kind %u", op->kind);
	}
	return buf;
}

#endif /* FUZZ_VGIC_H */
