/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure half of fuzz_test.c: operations, their seeded generation, their
 * text form, --keep lists and the delta-debugging minimiser. Nothing here
 * touches the kernel, so fuzz_test --selftest can check it anywhere.
 *
 * A sequence is generated from its 64-bit seed alone (and the probe of the
 * node's device types), before anything runs: op i is the same whatever the
 * kernel answers and whatever other ops a --keep list drops. Ops refer to
 * their files through slots: every op that makes a file or a mapping gets a
 * fresh slot number, and later ops name it. When a slot is empty at run time
 * (its creation failed or was dropped by --keep) the op is skipped.
 */
#ifndef FUZZ_OPS_H
#define FUZZ_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/kvm.h>

#define FUZZ_MAX_LEN	1024	/* ops in a sequence (and slots) */
#define FUZZ_MAX_TYPES	32	/* device types probed */
#define FUZZ_MAX_PAIRS	32	/* (group, attr) pairs that HAS reports per type */
#define FUZZ_PAGE	4096UL

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* ---- Random numbers: splitmix64 to seed, xoshiro256** to draw. ---- */

struct rng {
	uint64_t s[4];
};

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return res;
}

/* A number in [0, n). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* True with probability pct %. */
static inline bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

/* The seed of sequence i of a run with the given master seed. */
static inline uint64_t seq_seed(uint64_t master, uint64_t i)
{
	uint64_t x = master ^ (0xd1b54a32d192ed03ULL * (i + 1));

	return splitmix64(&x);
}

/* ---- What the probe of a node found (fuzz_test.c fills it). ---- */

/* Accessors, indexed as struct op's sub for OP_ATTR. */
enum { ACC_SET, ACC_GET, ACC_HAS, ACC_NR };

struct attr_pair {
	uint32_t group;
	uint64_t attr;
};

struct type_info {
	uint32_t type;
	char name[48];		/* "kvm-vfio": the file is anon_inode:<name> */
	int create_err;		/* errno of a plain KVM_CREATE_DEVICE on a new VM, or 0 */
	int8_t acc[ACC_NR];	/* 1: the type has the accessor; 0: EPERM; -1: unknown */
	int npairs;
	struct attr_pair pairs[FUZZ_MAX_PAIRS];
};

struct probe {
	int ntypes;
	struct type_info t[FUZZ_MAX_TYPES];
};

static inline const struct type_info *probe_type(const struct probe *pr, uint32_t type)
{
	int i;

	for (i = 0; i < pr->ntypes; i++)
		if (pr->t[i].type == type)
			return &pr->t[i];
	return NULL;
}

/* ---- Operations. ---- */

enum op_kind {
	OP_OPEN_SYS,		/* out = open(node) */
	OP_OPEN_OTHER,		/* out = an fd that is none of ours (sub: O_PATH, eventfd, null) */
	OP_CREATE_VM,		/* out = KVM_CREATE_VM(s, arg) */
	OP_CREATE_VCPU,		/* out = KVM_CREATE_VCPU(s, arg) */
	OP_CREATE_DEVICE,	/* out = KVM_CREATE_DEVICE(s, {type, flags} at p) */
	OP_ATTR,		/* KVM_{SET,GET,HAS}_DEVICE_ATTR(s, {flags, group, attr, &val at d} at p) */
	OP_IOCTL,		/* ioctl(s, cmd | cmd_hi << 32, arg or zeroes at p) */
	OP_MMAP,		/* out = mmap(len, prot, mflags, s, arg) */
	OP_TOUCH,		/* read (sub 1: and write) every page of mapping s */
	OP_MUNMAP,		/* munmap(mapping s) */
	OP_RW,			/* sub 0: read(s), 1: write(s), 2: lseek(s, arg, len) */
	OP_DUP,			/* sub 0: out = dup(s); 1: dup2(s, s2) */
	OP_CLOSE,		/* close(s) */
	OP_FORK,		/* the following child ops run in a forked child */
	OP_RLIMIT,		/* sub 0..2: RLIMIT_NOFILE = lowest free fd + sub; 3: restore */
	/* The arm64 nodes' (fuzz_vgic.h): */
	OP_MEMSLOT,		/* KVM_SET_USER_MEMORY_REGION(s, {attr, flags, arg, len, sub + val} at p) */
	OP_VCPU_INIT,		/* KVM_ARM_VCPU_INIT(s, {arg, flags, features[val] = 1} at p) */
	OP_ARM_VM,		/* sub: an arm64 VM ioctl (AV_*) */
	OP_GMEM,		/* write sub-kind contents (seed val) into VM s's guest memory */
	OP_ROUNDTRIP,		/* ITS s: save, reset, restore, save again; compare */
	OP_RACE,		/* device s: sub (RC_*) repeated while a thread changes a memslot */
	OP_NR
};

/* Where a structure (or the data an attribute points to) is put. */
enum ptr_mode {
	PM_OK,		/* in a writable page */
	PM_MISALIGNED,	/* in a writable page, k bytes (1..7) past an aligned address */
	PM_GUARD,	/* k bytes before an inaccessible page */
	PM_RO,		/* in a read-only page */
	PM_NULL,
	PM_LOW,		/* 0x1000: below mmap_min_addr, never mapped */
	PM_NONE,	/* a PROT_NONE page */
	PM_KERNEL,	/* 0xffff888000000000: the direct map */
	PM_KTEXT,	/* 0xffffffff81000000: kernel text */
	PM_MINUS1,	/* ~0UL */
	PM_HIGH,	/* 0x0000800000000000: above 47-bit user space */
	PM_NONCANON,	/* 0x8000000000000000 */
	PM_NR
};

struct ptr {
	uint8_t mode;
	uint8_t k;
};

static inline bool ptr_readable(struct ptr p, size_t size)
{
	switch (p.mode) {
	case PM_OK:
	case PM_MISALIGNED:
	case PM_RO:
		return true;
	case PM_GUARD:
		return p.k >= size;
	default:
		return false;
	}
}

static inline bool ptr_writable(struct ptr p, size_t size)
{
	return p.mode != PM_RO && ptr_readable(p, size);
}

enum val_kind {
	VAL_LIT,	/* val */
	VAL_SLOT,	/* the fd of slot s2 (or the number it last had) */
};

/*
 * One operation. Ops are compared with memcmp() (replay determinism), so
 * they are always zeroed before being filled in.
 */
struct op {
	uint8_t kind;		/* enum op_kind */
	uint8_t child;		/* runs in the child of the preceding OP_FORK */
	uint8_t sub;		/* variant, see enum op_kind */
	uint8_t vkind;		/* OP_ATTR: enum val_kind */
	uint8_t argp;		/* OP_IOCTL: the argument is a pointer placed by p */
	uint8_t pad[3];
	uint16_t s, s2, out;	/* slots */
	struct ptr p, d;	/* the structure's placement, the data's */
	uint32_t cmd, cmd_hi;	/* OP_IOCTL: the request; bits 32..63 (the kernel drops them) */
	uint32_t type, flags;	/* OP_CREATE_DEVICE; OP_ATTR: flags */
	uint32_t group;		/* OP_ATTR */
	uint32_t prot, mflags;	/* OP_MMAP */
	uint64_t attr;		/* OP_ATTR */
	uint64_t arg;		/* scalar argument; OP_MMAP: offset in bytes; OP_RW: count/offset */
	uint64_t len;		/* OP_MMAP: length; OP_RW lseek: whence */
	int64_t val;		/* OP_ATTR: the data, when VAL_LIT */
};

/* The ioctl numbers that fuzz_test knows by name; the module's first. */
struct ioctl_name {
	const char *name;
	uint32_t cmd;
};

#define IOC_NAME(x) { #x, x }
static const struct ioctl_name kvm_ioctls[] = {
	IOC_NAME(KVM_GET_API_VERSION),
	IOC_NAME(KVM_CREATE_VM),
	IOC_NAME(KVM_CHECK_EXTENSION),
	IOC_NAME(KVM_GET_VCPU_MMAP_SIZE),
	IOC_NAME(KVM_CREATE_VCPU),
	IOC_NAME(KVM_CREATE_DEVICE),
	IOC_NAME(KVM_SET_DEVICE_ATTR),
	IOC_NAME(KVM_GET_DEVICE_ATTR),
	IOC_NAME(KVM_HAS_DEVICE_ATTR),
#define MODULE_IOCTLS 9	/* the ones above: the requests the module answers */
	IOC_NAME(KVM_GET_MSR_INDEX_LIST),
	IOC_NAME(KVM_GET_SUPPORTED_CPUID),
	IOC_NAME(KVM_GET_DIRTY_LOG),
	IOC_NAME(KVM_SET_USER_MEMORY_REGION),
	IOC_NAME(KVM_SET_USER_MEMORY_REGION2),
	IOC_NAME(KVM_SET_TSS_ADDR),
	IOC_NAME(KVM_CREATE_IRQCHIP),
	IOC_NAME(KVM_IRQ_LINE),
	IOC_NAME(KVM_IRQFD),
	IOC_NAME(KVM_IOEVENTFD),
	IOC_NAME(KVM_ENABLE_CAP),
	IOC_NAME(KVM_SET_GSI_ROUTING),
	IOC_NAME(KVM_SIGNAL_MSI),
	IOC_NAME(KVM_GET_STATS_FD),
	IOC_NAME(KVM_CREATE_GUEST_MEMFD),
	IOC_NAME(KVM_GET_CLOCK),
	IOC_NAME(KVM_RUN),
	IOC_NAME(KVM_GET_REGS),
	IOC_NAME(KVM_SET_REGS),
	IOC_NAME(KVM_GET_SREGS),
	IOC_NAME(KVM_INTERRUPT),
	IOC_NAME(KVM_GET_ONE_REG),
	IOC_NAME(KVM_SET_ONE_REG),
	IOC_NAME(KVM_SET_SIGNAL_MASK),
	IOC_NAME(KVM_GET_REG_LIST),
};

static inline const char *ioctl_name(uint32_t cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kvm_ioctls); i++)
		if (kvm_ioctls[i].cmd == cmd)
			return kvm_ioctls[i].name;
	return NULL;
}

/*
 * Requests that fs/ioctl.c do_vfs_ioctl() answers itself before the file's
 * unlocked_ioctl sees them (FIOCLEX, FIGETBSZ, ...): not the module's.
 */
static const uint32_t vfs_ioctls[] = {
	FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC, FIOQSIZE, FIFREEZE, FITHAW,
	FS_IOC_FIEMAP, FIGETBSZ, FICLONE, FICLONERANGE, FIDEDUPERANGE, FIONREAD,
	FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR, FS_IOC_FSSETXATTR,
	FS_IOC_GETFSUUID, FS_IOC_GETFSSYSFSPATH,
};

/* OP_IOCTL never sends these: OP_CREATE_* do, and track the files they make. */
static inline bool ioctl_excluded(uint32_t cmd)
{
	size_t i;

	if (cmd == KVM_CREATE_VM || cmd == KVM_CREATE_VCPU || cmd == KVM_CREATE_DEVICE)
		return true;
	for (i = 0; i < ARRAY_SIZE(vfs_ioctls); i++)
		if (vfs_ioctls[i] == cmd)
			return true;
	return false;
}

/* ---- Generation. ---- */

enum gkind { G_NONE, G_SYS, G_VM, G_VCPU, G_DEV, G_OTHER, G_MAP };

/* What the generator assumes about a slot (creations with valid arguments succeed). */
struct gslot {
	uint8_t kind;
	uint8_t open;
	uint32_t type;		/* G_DEV */
};

struct gen {
	struct rng r;
	const struct probe *pr;
	struct op *ops;
	int n;
	int nslots;
	struct gslot slots[FUZZ_MAX_LEN];
};

#define GK(k) (1u << (k))
#define GK_FILES (GK(G_SYS) | GK(G_VM) | GK(G_VCPU) | GK(G_DEV))

/* A random open slot whose kind is in kinds, or -1. */
static inline int gen_pick(struct gen *g, unsigned int kinds)
{
	int i, n = 0, k;

	for (i = 0; i < g->nslots; i++)
		if (g->slots[i].open && (kinds & GK(g->slots[i].kind)))
			n++;
	if (!n)
		return -1;
	k = rng_below(&g->r, n);
	for (i = 0; i < g->nslots; i++)
		if (g->slots[i].open && (kinds & GK(g->slots[i].kind)) && !k--)
			return i;
	return -1;
}

/* Any slot at all (open or not): for fd values, which may name closed fds. */
static inline int gen_any_slot(struct gen *g)
{
	return g->nslots ? (int)rng_below(&g->r, g->nslots) : -1;
}

static inline uint16_t gen_new_slot(struct gen *g, uint8_t kind, bool open)
{
	struct gslot *s = &g->slots[g->nslots];

	s->kind = kind;
	s->open = open;
	s->type = 0;
	return g->nslots++;
}

/* A placement for a structure of the given size: mostly valid. */
static inline struct ptr gen_ptr(struct gen *g, size_t size, unsigned int ok_pct)
{
	struct rng *r = &g->r;
	struct ptr p = { .mode = PM_OK };

	if (rng_pct(r, ok_pct))
		return p;
	p.mode = rng_below(r, PM_NR);
	switch (p.mode) {
	case PM_MISALIGNED:
		p.k = 1 + rng_below(r, 7);
		break;
	case PM_GUARD:
		/* Short of the structure, exactly it, or a little more. */
		if (rng_pct(r, 40))
			p.k = 1 + rng_below(r, size - 1);
		else if (rng_pct(r, 60))
			p.k = size;
		else
			p.k = size + 1 + rng_below(r, 8);
		break;
	}
	return p;
}

/* A value for an unsigned long argument: small, boundary or random. */
static inline uint64_t gen_scalar(struct gen *g)
{
	static const uint64_t special[] = {
		0, 1, 2, 3, 4, 7, 0x7fffffff, 0x80000000, 0xffffffff, 1ULL << 32,
		(1ULL << 32) | 1, 0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
		0xffff888000000000ULL,
	};
	struct rng *r = &g->r;

	switch (rng_below(r, 3)) {
	case 0:
		return rng_below(r, 300);
	case 1:
		return special[rng_below(r, ARRAY_SIZE(special))];
	default:
		return rng_next(r);
	}
}

/* A capability number for KVM_CHECK_EXTENSION: the module's, others, and high bits. */
static inline uint64_t gen_cap(struct gen *g)
{
	static const uint64_t caps[] = {
		KVM_CAP_NR_VCPUS, KVM_CAP_MAX_VCPUS, KVM_CAP_DEVICE_CTRL,
		KVM_CAP_CHECK_EXTENSION_VM, KVM_CAP_MAX_VCPU_ID, KVM_CAP_IRQCHIP,
		KVM_CAP_USER_MEMORY, 0,
	};
	struct rng *r = &g->r;
	uint64_t c = caps[rng_below(r, ARRAY_SIZE(caps))];

	if (rng_pct(r, 15))
		c |= 1ULL << (32 + rng_below(r, 32));
	else if (rng_pct(r, 15))
		c = gen_scalar(g);
	return c;
}

/* A request for OP_IOCTL: KVM's, KVM's mangled, or random; never an excluded one. */
static inline void gen_cmd(struct gen *g, struct op *op)
{
	struct rng *r = &g->r;
	uint32_t cmd;

	do {
		cmd = kvm_ioctls[rng_below(r, rng_pct(r, 60) ? MODULE_IOCTLS :
					    ARRAY_SIZE(kvm_ioctls))].cmd;
		switch (rng_below(r, 10)) {
		case 0 ... 3:
			break;
		case 4:		/* another direction */
			cmd ^= (1 + rng_below(r, 3)) << _IOC_DIRSHIFT;
			break;
		case 5: {	/* another size */
			uint32_t size;

			do
				size = rng_below(r, _IOC_SIZEMASK + 1);
			while (size == _IOC_SIZE(cmd));
			cmd = (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) | size << _IOC_SIZESHIFT;
			break;
		}
		case 6:		/* a neighbouring number */
			cmd += rng_pct(r, 50) ? 1 : -1;
			break;
		case 7:		/* another type */
			cmd ^= (1 + rng_below(r, 255)) << _IOC_TYPESHIFT;
			break;
		case 8:
			cmd = rng_next(r);
			break;
		default:
			cmd = rng_below(r, 0x10000);
			break;
		}
	} while (ioctl_excluded(cmd));
	op->cmd = cmd;
	if (rng_pct(r, 10))
		op->cmd_hi = rng_next(r) | 1;
}

static inline void gen_attr_target(struct gen *g, struct op *op)
{
	struct rng *r = &g->r;
	const struct type_info *ti = NULL;

	if (g->slots[op->s].kind == G_DEV)
		ti = probe_type(g->pr, g->slots[op->s].type);
	if (ti && ti->npairs && rng_pct(r, 60)) {
		const struct attr_pair *pa = &ti->pairs[rng_below(r, ti->npairs)];

		op->group = pa->group;
		op->attr = pa->attr;
		if (rng_pct(r, 10))	/* the same attribute with high bits */
			op->attr |= 1ULL << (32 + rng_below(r, 32));
		return;
	}
	op->group = rng_pct(r, 70) ? rng_below(r, 4) : (uint32_t)gen_scalar(g);
	op->attr = rng_pct(r, 70) ? rng_below(r, 8) : gen_scalar(g);
}

/* Fills op g->n; child: it runs in a fork child (no forks, no new system fds). */
static inline void gen_op(struct gen *g, bool child)
{
	/* Weights of OP_*, in order. */
	static const uint8_t weights[OP_NR] = {
		2, 1, 5, 5, 10, 22, 10, 6, 4, 2, 3, 3, 6, 3, 1,
	};
	struct rng *r = &g->r;
	struct op *op = &g->ops[g->n];
	int s, total = 0, i, pick;

	memset(op, 0, sizeof(*op));
	op->child = child;
	for (i = 0; i < OP_NR; i++)
		total += weights[i];
again:
	pick = rng_below(r, total);
	for (i = 0; pick >= weights[i]; i++)
		pick -= weights[i];
	op->kind = i;
	/* Without a system fd or a VM, make one most of the time. */
	if (!child && gen_pick(g, GK(G_SYS)) < 0 && rng_pct(r, 80))
		op->kind = OP_OPEN_SYS;
	else if (!child && gen_pick(g, GK(G_VM)) < 0 && rng_pct(r, 60))
		op->kind = OP_CREATE_VM;
	if (child && (op->kind == OP_FORK || op->kind == OP_OPEN_SYS || op->kind == OP_RLIMIT))
		goto again;

	switch (op->kind) {
	case OP_OPEN_SYS:
		op->out = gen_new_slot(g, G_SYS, true);
		break;
	case OP_OPEN_OTHER:
		op->sub = rng_below(r, 3);
		op->out = gen_new_slot(g, G_OTHER, true);
		break;
	case OP_CREATE_VM:
		s = gen_pick(g, GK(G_SYS));
		if (s < 0)
			goto again;
		op->s = s;
		op->arg = rng_pct(r, 85) ? 0 : gen_scalar(g);
		op->out = gen_new_slot(g, G_VM, op->arg == 0);
		break;
	case OP_CREATE_VCPU:
		s = gen_pick(g, GK(G_VM));
		if (s < 0)
			goto again;
		op->s = s;
		if (rng_pct(r, 60))
			op->arg = rng_below(r, 4);
		else if (rng_pct(r, 40))
			op->arg = rng_below(r, 4096);
		else
			op->arg = gen_scalar(g);
		op->out = gen_new_slot(g, G_VCPU, op->arg < 4096);
		break;
	case OP_CREATE_DEVICE: {
		bool ok;

		s = gen_pick(g, GK(G_VM));
		if (s < 0)
			goto again;
		op->s = s;
		if (g->pr->ntypes && rng_pct(r, 70))
			op->type = g->pr->t[rng_below(r, g->pr->ntypes)].type;
		else if (rng_pct(r, 50))
			op->type = rng_below(r, KVM_DEV_TYPE_MAX + 2);
		else
			op->type = gen_scalar(g);
		switch (rng_below(r, 20)) {
		case 0 ... 9:
			break;
		case 10 ... 14:
			op->flags = KVM_CREATE_DEVICE_TEST;
			break;
		case 15 ... 16:
			op->flags = (uint32_t)rng_next(r) & ~KVM_CREATE_DEVICE_TEST;
			break;
		case 17 ... 18:
			op->flags = KVM_CREATE_DEVICE_TEST | 1u << (1 + rng_below(r, 31));
			break;
		default:
			op->flags = rng_next(r);
			break;
		}
		op->p = gen_ptr(g, sizeof(struct kvm_create_device), 70);
		ok = probe_type(g->pr, op->type) && !(op->flags & KVM_CREATE_DEVICE_TEST) &&
		     ptr_writable(op->p, sizeof(struct kvm_create_device));
		op->out = gen_new_slot(g, G_DEV, ok);
		g->slots[op->out].type = op->type;
		break;
	}
	case OP_ATTR:
		s = rng_pct(r, 85) ? gen_pick(g, GK(G_DEV)) : -1;
		if (s < 0)
			s = gen_pick(g, GK_FILES);
		if (s < 0)
			goto again;
		op->s = s;
		op->sub = rng_pct(r, 45) ? ACC_SET : rng_pct(r, 55) ? ACC_HAS : ACC_GET;
		gen_attr_target(g, op);
		op->flags = rng_pct(r, 90) ? 0 : (uint32_t)rng_next(r);
		op->p = gen_ptr(g, sizeof(struct kvm_device_attr), 75);
		op->d = gen_ptr(g, 8, 70);
		s = rng_pct(r, 50) ? gen_any_slot(g) : -1;
		if (s >= 0) {
			op->vkind = VAL_SLOT;
			op->s2 = s;
		} else {
			static const int64_t lits[] = {
				-1, INT32_MIN, INT32_MAX, 0, 1, 2, 1000, 1023, 1024, 0x100000000LL,
			};

			op->val = rng_pct(r, 70) ? lits[rng_below(r, ARRAY_SIZE(lits))] :
						   (int64_t)rng_next(r);
		}
		break;
	case OP_IOCTL:
		s = gen_pick(g, GK_FILES);
		if (s < 0)
			goto again;
		op->s = s;
		gen_cmd(g, op);
		if (rng_pct(r, 50)) {
			op->argp = 1;
			op->p = gen_ptr(g, sizeof(struct kvm_device_attr), 50);
		} else {
			op->arg = op->cmd == KVM_CHECK_EXTENSION ? gen_cap(g) :
				  rng_pct(r, 50) ? 0 : gen_scalar(g);
		}
		break;
	case OP_MMAP: {
		static const uint64_t huge[] = {
			(1ULL << 52) - 1, (1ULL << 52) - 2, (1ULL << 52) - 8, 1ULL << 40,
		};
		uint64_t pgoff, pages;
		bool ok;

		s = rng_pct(r, 80) ? gen_pick(g, GK(G_VCPU)) : -1;
		if (s < 0)
			s = gen_pick(g, GK_FILES);
		if (s < 0)
			goto again;
		op->s = s;
		switch (rng_below(r, 20)) {
		case 0 ... 6:
			pgoff = 0;
			break;
		case 7 ... 9:
			pgoff = 1;
			break;
		case 10 ... 12:
			pgoff = 2;
			break;
		case 13 ... 14:
			pgoff = 3;
			break;
		case 15 ... 17:
			pgoff = rng_below(r, 64);
			break;
		default:
			pgoff = huge[rng_below(r, ARRAY_SIZE(huge))];
			break;
		}
		pages = 1 + rng_below(r, 5);
		op->arg = pgoff * FUZZ_PAGE;
		if (rng_pct(r, 3))
			op->arg += 1 + rng_below(r, FUZZ_PAGE - 1);
		op->len = pages * FUZZ_PAGE;
		if (rng_pct(r, 10))
			op->len -= 1 + rng_below(r, FUZZ_PAGE - 1);
		if (rng_pct(r, 2))
			op->len = 0;
		switch (rng_below(r, 20)) {
		case 0 ... 8:
			op->prot = PROT_READ;
			break;
		case 9 ... 16:
			op->prot = PROT_READ | PROT_WRITE;
			break;
		case 17:
			op->prot = PROT_WRITE;
			break;
		case 18:
			op->prot = PROT_READ | PROT_EXEC;
			break;
		default:
			op->prot = PROT_NONE;
			break;
		}
		op->mflags = rng_pct(r, 60) ? MAP_SHARED : MAP_PRIVATE;
		ok = g->slots[s].kind == G_VCPU && !(op->prot & PROT_EXEC) && op->len &&
		     !(op->arg % FUZZ_PAGE) && pgoff < (1ULL << 40);
		op->out = gen_new_slot(g, G_MAP, ok);
		break;
	}
	case OP_TOUCH:
	case OP_MUNMAP:
		s = gen_pick(g, GK(G_MAP));
		if (s < 0)
			goto again;
		op->s = s;
		op->sub = op->kind == OP_TOUCH && rng_pct(r, 50);
		if (op->kind == OP_MUNMAP)
			g->slots[s].open = false;
		break;
	case OP_RW:
		s = gen_pick(g, GK_FILES);
		if (s < 0)
			goto again;
		op->s = s;
		op->sub = rng_below(r, 3);
		op->arg = op->sub == 2 ? gen_scalar(g) : rng_below(r, 64);
		op->len = op->sub == 2 ? (rng_pct(r, 90) ? rng_below(r, 3) : 5) : 0;
		break;
	case OP_DUP:
		s = gen_pick(g, GK_FILES | GK(G_OTHER));
		if (s < 0)
			goto again;
		op->s = s;
		op->sub = rng_pct(r, 50);
		if (op->sub) {
			int d = gen_pick(g, GK_FILES | GK(G_OTHER));

			if (d < 0)
				goto again;
			op->s2 = d;
			if (d != s)
				g->slots[d] = g->slots[s];
		} else {
			op->out = gen_new_slot(g, g->slots[s].kind, true);
			g->slots[op->out].type = g->slots[s].type;
		}
		break;
	case OP_CLOSE:
		s = gen_pick(g, GK_FILES | GK(G_OTHER));
		if (s < 0)
			goto again;
		op->s = s;
		g->slots[s].open = false;
		break;
	case OP_FORK:
		break;
	case OP_RLIMIT:
		op->sub = rng_below(r, 4);
		break;
	}
	g->n++;
}

/*
 * Generates ops [0, len) of the sequence with the given seed. Op i does not
 * depend on len, so a shorter replay of the same seed has the same prefix.
 */
static inline void gen_seq(uint64_t seed, const struct probe *pr, int len, struct op *ops)
{
	static struct gen g;

	memset(&g, 0, sizeof(g));
	rng_seed(&g.r, seed);
	g.pr = pr;
	g.ops = ops;
	while (g.n < len) {
		bool fork_op;

		gen_op(&g, false);
		fork_op = g.ops[g.n - 1].kind == OP_FORK;
		if (fork_op) {
			/* The child's changes stay in the child. */
			static struct gslot saved[FUZZ_MAX_LEN];
			int nsaved = g.nslots, i, nchild = 1 + rng_below(&g.r, 4);

			memcpy(saved, g.slots, sizeof(saved[0]) * nsaved);
			for (i = 0; i < nchild && g.n < len; i++)
				gen_op(&g, true);
			memcpy(g.slots, saved, sizeof(saved[0]) * nsaved);
			for (i = nsaved; i < g.nslots; i++)
				g.slots[i].open = false;
		}
	}
}

/* ---- Text. ---- */

static const char *const op_names[OP_NR] = {
	"open", "open-other", "KVM_CREATE_VM", "KVM_CREATE_VCPU", "KVM_CREATE_DEVICE",
	"attr", "ioctl", "mmap", "touch", "munmap", "rw", "dup", "close", "fork", "setrlimit",
	"memslot", "vcpu-init", "arm-vm", "gmem", "roundtrip", "race",
};

static const char *const acc_names[ACC_NR] = {
	"KVM_SET_DEVICE_ATTR", "KVM_GET_DEVICE_ATTR", "KVM_HAS_DEVICE_ATTR",
};

static inline const char *ptr_str(struct ptr p, char *buf, size_t n)
{
	static const char *const names[PM_NR] = {
		"ok", "misaligned", "guard", "read-only", "NULL", "0x1000", "PROT_NONE",
		"0xffff888000000000", "0xffffffff81000000", "-1", "0x800000000000",
		"0x8000000000000000",
	};

	if (p.mode == PM_MISALIGNED)
		snprintf(buf, n, "@misaligned+%u", p.k);
	else if (p.mode == PM_GUARD)
		snprintf(buf, n, "@%u-bytes-before-guard", p.k);
	else
		snprintf(buf, n, "@%s", p.mode < PM_NR ? names[p.mode] : "?");
	return buf;
}

static inline const char *op_str_arm64(const struct op *op, char *buf, size_t n);

/* One op as text, e.g. "s4 = ioctl(s1, KVM_CREATE_DEVICE, {type 4, flags 0x0} @ok)". */
static inline const char *op_str(const struct op *op, char *buf, size_t n)
{
	char p[40], d[40], c[48];
	const char *name;

	switch (op->kind) {
	case OP_OPEN_SYS:
		snprintf(buf, n, "s%u = open(node, O_RDWR | O_CLOEXEC)", op->out);
		break;
	case OP_OPEN_OTHER:
		snprintf(buf, n, "s%u = %s", op->out,
			 op->sub == 0 ? "open(\"/\", O_PATH | O_CLOEXEC)" :
			 op->sub == 1 ? "eventfd(0, EFD_CLOEXEC)" :
			 "open(\"/dev/null\", O_RDWR | O_CLOEXEC)");
		break;
	case OP_CREATE_VM:
	case OP_CREATE_VCPU:
		snprintf(buf, n, "s%u = ioctl(s%u, %s, %#llx)", op->out, op->s,
			 op_names[op->kind], (unsigned long long)op->arg);
		break;
	case OP_CREATE_DEVICE:
		snprintf(buf, n, "s%u = ioctl(s%u, KVM_CREATE_DEVICE, {type %u, flags %#x} %s)",
			 op->out, op->s, op->type, op->flags, ptr_str(op->p, p, sizeof(p)));
		break;
	case OP_ATTR:
		if (op->vkind == VAL_SLOT)
			snprintf(c, sizeof(c), "fd of s%u", op->s2);
		else
			snprintf(c, sizeof(c), "%lld", (long long)op->val);
		snprintf(buf, n, "ioctl(s%u, %s, {flags %#x, group %u, attr %#llx, addr %s -> %s} %s)",
			 op->s, acc_names[op->sub], op->flags, op->group,
			 (unsigned long long)op->attr, ptr_str(op->d, d, sizeof(d)), c,
			 ptr_str(op->p, p, sizeof(p)));
		break;
	case OP_IOCTL:
		name = ioctl_name(op->cmd);
		if (op->cmd_hi)
			snprintf(c, sizeof(c), "%#x%08x%s%s", op->cmd_hi, op->cmd,
				 name ? " " : "", name ? name : "");
		else
			snprintf(c, sizeof(c), "%s", name ? name : "");
		if (!c[0])
			snprintf(c, sizeof(c), "%#x", op->cmd);
		if (op->argp)
			snprintf(buf, n, "ioctl(s%u, %s, zeroes %s)", op->s, c,
				 ptr_str(op->p, p, sizeof(p)));
		else
			snprintf(buf, n, "ioctl(s%u, %s, %#llx)", op->s, c,
				 (unsigned long long)op->arg);
		break;
	case OP_MMAP:
		snprintf(buf, n, "s%u = mmap(s%u, len %#llx, offset %#llx, %s%s%s%s, %s)",
			 op->out, op->s, (unsigned long long)op->len, (unsigned long long)op->arg,
			 op->prot ? "" : "PROT_NONE", op->prot & PROT_READ ? "R" : "",
			 op->prot & PROT_WRITE ? "W" : "", op->prot & PROT_EXEC ? "X" : "",
			 op->mflags == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE");
		break;
	case OP_TOUCH:
		snprintf(buf, n, "touch(s%u%s)", op->s, op->sub ? ", read and write" : ", read");
		break;
	case OP_MUNMAP:
		snprintf(buf, n, "munmap(s%u)", op->s);
		break;
	case OP_RW:
		if (op->sub == 2)
			snprintf(buf, n, "lseek(s%u, %#llx, %llu)", op->s,
				 (unsigned long long)op->arg, (unsigned long long)op->len);
		else
			snprintf(buf, n, "%s(s%u, buf, %llu)", op->sub ? "write" : "read", op->s,
				 (unsigned long long)op->arg);
		break;
	case OP_DUP:
		if (op->sub)
			snprintf(buf, n, "dup2(s%u, fd of s%u)", op->s, op->s2);
		else
			snprintf(buf, n, "s%u = dup(s%u)", op->out, op->s);
		break;
	case OP_CLOSE:
		snprintf(buf, n, "close(s%u)", op->s);
		break;
	case OP_FORK:
		snprintf(buf, n, "fork(): the [child] ops after this run in the child");
		break;
	case OP_RLIMIT:
		if (op->sub == 3)
			snprintf(buf, n, "setrlimit(RLIMIT_NOFILE, initial)");
		else
			snprintf(buf, n, "setrlimit(RLIMIT_NOFILE, lowest free fd + %u)", op->sub);
		break;
	default:
		return op_str_arm64(op, buf, n);
	}
	return buf;
}

/* ---- --keep lists: "0,3,5-9". ---- */

/* Formats the kept indices below len; ranges of three or more as a-b. */
static inline const char *keep_str(const bool *keep, int len, char *buf, size_t n)
{
	size_t used = 0;
	int i = 0, j;

	buf[0] = 0;
	while (i < len) {
		if (!keep[i]) {
			i++;
			continue;
		}
		for (j = i; j + 1 < len && keep[j + 1]; j++)
			;
		if (j - i >= 2)
			used += snprintf(buf + used, used < n ? n - used : 0, "%s%d-%d",
					 used ? "," : "", i, j);
		else
			for (; i <= j; i++)
				used += snprintf(buf + used, used < n ? n - used : 0, "%s%d",
						 used ? "," : "", i);
		i = j + 1;
	}
	return buf;
}

/* Parses a --keep list into keep[0, max); returns 1 + the highest index, or -1. */
static inline int keep_parse(const char *s, bool *keep, int max)
{
	int hi = 0;

	memset(keep, 0, sizeof(*keep) * max);
	while (*s) {
		char *end;
		long a = strtol(s, &end, 0), b = a;

		if (end == s || a < 0)
			return -1;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 0);
			if (end == s + 1 || b < a)
				return -1;
			s = end;
		}
		if (b >= max)
			return -1;
		for (; a <= b; a++)
			keep[a] = true;
		if (b + 1 > hi)
			hi = b + 1;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return hi;
}

/*
 * ---- Delta debugging: ddmin (Zeller and Hildebrandt, "Simplifying and
 * isolating failure-inducing input", TSE 2002) over the kept ops. ----
 */

/* True if the sequence restricted to keep[] still fails the same way. */
typedef bool (*fails_fn)(const bool *keep, int len, void *ctx);

/*
 * Shrinks keep[0, len) to a 1-minimal subset that still fails: dropping any
 * single op of the result makes the failure go away (unless max_tests ran
 * out first: returns false then). *tests counts the predicate calls.
 */
static inline bool ddmin(bool *keep, int len, fails_fn fails, void *ctx, int max_tests,
			 int *tests)
{
	static int cur[FUZZ_MAX_LEN];
	static bool trial[FUZZ_MAX_LEN];
	int ncur = 0, n = 2, i, j, k;

	*tests = 0;
	if (len < 1 || len > FUZZ_MAX_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (keep[i])
			cur[ncur++] = i;
	while (ncur >= 2) {
		bool reduced = false;

		if (n > ncur)
			n = ncur;
		/* Try each chunk alone, then each complement. */
		for (k = 0; k < 2 * n && !reduced; k++) {
			int c = k % n, lo = c * ncur / n, hi = (c + 1) * ncur / n;
			bool complement = k >= n;

			/* With two chunks, the complements are the chunks. */
			if (complement && n == 2)
				break;
			memset(trial, 0, sizeof(trial[0]) * len);
			for (j = 0; j < ncur; j++)
				if ((j >= lo && j < hi) != complement)
					trial[cur[j]] = true;
			if (*tests >= max_tests)
				goto out;
			(*tests)++;
			if (fails(trial, len, ctx)) {
				int m = 0;

				for (j = 0; j < ncur; j++)
					if ((j >= lo && j < hi) != complement)
						cur[m++] = cur[j];
				ncur = m;
				n = complement ? (n > 2 ? n - 1 : 2) : 2;
				reduced = true;
			}
		}
		if (!reduced) {
			if (n >= ncur)
				break;
			n = 2 * n < ncur ? 2 * n : ncur;
		}
	}
	memset(keep, 0, sizeof(*keep) * len);
	for (j = 0; j < ncur; j++)
		keep[cur[j]] = true;
	return true;
out:
	memset(keep, 0, sizeof(*keep) * len);
	for (j = 0; j < ncur; j++)
		keep[cur[j]] = true;
	return false;
}

#endif /* FUZZ_OPS_H */
