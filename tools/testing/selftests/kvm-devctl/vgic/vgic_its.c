// SPDX-License-Identifier: GPL-2.0
/*
 * vgic_its [--node PATH]: the transcript of KVM_DEV_TYPE_ARM_VGIC_ITS's
 * device API, and of the guest memory it reads and writes, without KVM_RUN
 * (see vgic_transcript.h for the line format).
 *
 * Follows Documentation/virt/kvm/devices/arm-vgic-its.rst and the 7.3 code
 * in arch/arm64/kvm/vgic/vgic-its.c (vgic_its_create(), vgic_its_set_attr(),
 * vgic_its_attr_regs_access(), vgic_its_ctrl(), the ABI v0 table save and
 * restore, the command queue) and virt/kvm/kvm_main.c for the memslots the
 * tables live in. Sections:
 *
 *   memslot    KVM_SET_USER_MEMORY_REGION's validation rules
 *   create     TEST, several ITSes per VM
 *   addr       ADDR: ENODEV for another type, alignment, E2BIG, EEXIST
 *   regs       ITS_REGS: before ADDR, every offset (HAS, u64 GET), widths,
 *              writes to GITS_CTLR/IIDR/CBASER/CWRITER/CREADR/BASER<n>
 *   ctrl       CTRL: INIT, RESET, SAVE_TABLES, RESTORE_TABLES, unknown attrs
 *   restore    RESTORE_TABLES from tables written in guest memory, then
 *              SAVE_TABLES into cleared tables (the words written are
 *              printed), and restores that fail
 *   commands   MAPD/MAPC/MAPTI/INT through the command queue (GITS_CWRITER),
 *              SAVE_TABLES and SAVE_PENDING_TABLES of the state they made
 *   roundtrip  save, new VM with a copy of guest memory, restore in QEMU's
 *              order, save again, compare registers and tables
 *   lpis       GICR_TYPER/CTLR/PROPBASER/PENDBASER with an ITS, EnableLPIs,
 *              KVM_CAP_MSI_DEVID; pending tables read by MAPTI and by
 *              EnableLPIs, INT, CLEAR, LPIs queued on a vCPU (distributor
 *              enabled) outliving their translation, the flush of EnableLPIs 0
 *   commands   MOVI, MOVALL, MAPI, INV, INVALL, GICR_INVLPIR/INVALLR,
 *              DISCARD, MAPC and MAPD with V=0; every command error; the
 *              queue's wrap, unreadable commands, enabling without tables
 *   tables     a two-level device table; a restore into an ITS that has
 *              devices (list order after list_sort()); read-only memory
 *   buffers    GETs into buffers that straddle a read-only page: ITS_REGS
 *              is stored with put_user() (nothing written), the ITS's ADDR
 *              with copy_to_user() (the bytes before the page are written)
 */
#include "vgic_transcript.h"

#define ITS	KVM_DEV_TYPE_ARM_VGIC_ITS
#define V3	KVM_DEV_TYPE_ARM_VGIC_V3

#define GITS_CTLR	0x0000
#define GITS_IIDR	0x0004
#define GITS_TYPER	0x0008
#define GITS_CBASER	0x0080
#define GITS_CWRITER	0x0088
#define GITS_CREADR	0x0090
#define GITS_BASER(n)	(0x0100 + 8 * (n))

#define BASER_VALID	(1ULL << 63)
#define CBASER_VALID	(1ULL << 63)

#define GICR_PROPBASER	0x0070
#define GICR_PENDBASER	0x0078
#define GICR_CTLR	0x0000
#define GICR_TYPER	0x0008
#define GICR_INVLPIR	0x00a0
#define GICR_INVALLR	0x00b0
#define GICR_SYNCR	0x00c0
#define GICD_CTLR	0x0000

/* Guest memory: one 2 MiB memslot at GPA_RAM holding every table. */
#define RAM_SIZE	0x200000ULL
#define OFF_CMDQ	0x000000	/* 64K command queue */
#define OFF_DEVT	0x010000	/* device table, one 64K page */
#define OFF_COLLT	0x020000	/* collection table, one 64K page */
#define OFF_ITT		0x030000	/* ITTs, 256 bytes apart */
#define OFF_PROP	0x040000	/* LPI configuration table */
#define OFF_PEND0	0x050000	/* vCPU 0's LPI pending table */
#define OFF_PEND1	0x060000	/* vCPU 1's */
#define TABLES_END	0x070000
#define OFF_L2		0x080000	/* a second-level device table page */
#define OFF_ITT2	0x100000	/* the ITT of a device with 16 event bits */

#define LPI(n)		(8192 + (n))

/* ABI v0 table entries (arm-vgic-its.rst "ITS Table ABI REV0"). */
#define DTE(next, itt, size)						\
	((1ULL << 63) | ((__u64)(next) << 49) | (((__u64)(itt) >> 8) << 5) | ((size) - 1))
#define CTE(rdbase, icid)	((1ULL << 63) | ((__u64)(rdbase) << 16) | (icid))
#define ITE(next, pintid, icid)	(((__u64)(next) << 48) | ((__u64)(pintid) << 16) | (icid))

static int kvm;

struct vm {
	int vm, gic, its, vcpu[2];
	__u8 *ram;
};

/* A VM with 2 initialised vCPUs, a GICv3 (64 interrupts, initialised), guest RAM. */
static struct vm vm_new(bool with_its)
{
	struct vm v = { .its = -1 };
	int i;

	v.vm = t_vm(kvm);
	for (i = 0; i < 2; i++) {
		v.vcpu[i] = t_vcpu(v.vm, i);
		t_vcpu_init(v.vm, v.vcpu[i], i);
	}
	v.gic = t_device(v.vm, V3, 0);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_REDIST);
	t_set32(v.gic, G_NRIRQS, 0, 64);
	v.ram = t_memslot(v.vm, 0, GPA_RAM, RAM_SIZE);
	if (with_its) {
		v.its = t_device(v.vm, ITS, 0);
		t_set64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, GPA_ITS);
	}
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	return v;
}

static void vm_free(struct vm *v)
{
	t_close(v->its);
	t_close(v->gic);
	t_close(v->vcpu[0]);
	t_close(v->vcpu[1]);
	t_close(v->vm);
	if (v->ram)
		munmap(v->ram, RAM_SIZE);
}

static __u64 *ram64(struct vm *v, __u64 off)
{
	return (__u64 *)(v->ram + off);
}

/* Prints the non-zero u64 words of guest memory [from, to) as "mem +off: value". */
static void dump_mem(struct vm *v, const char *what, __u64 from, __u64 to)
{
	__u64 off;
	int n = 0;

	for (off = from; off < to; off += 8) {
		if (!*ram64(v, off))
			continue;
		printf("mem %s +0x%06llx: 0x%016llx\n", what, (unsigned long long)off,
		       (unsigned long long)*ram64(v, off));
		n++;
	}
	printf("mem %s [+0x%06llx, +0x%06llx): %d non-zero words\n", what,
	       (unsigned long long)from, (unsigned long long)to, n);
}

static void memslot(void)
{
	struct kvm_userspace_memory_region mr;
	long pg = sysconf(_SC_PAGESIZE);
	__u8 *p;
	int vm;

	t_section("memslot: KVM_SET_USER_MEMORY_REGION");
	vm = t_vm(kvm);
	p = mmap(NULL, 0x400000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("mmap failed\n");
		exit(1);
	}
#define MR(_slot, _flags, _gpa, _size, _uaddr, desc) do {				\
	mr = (struct kvm_userspace_memory_region){ .slot = (_slot), .flags = (_flags),	\
		.guest_phys_addr = (_gpa), .memory_size = (_size),			\
		.userspace_addr = (__u64)(uintptr_t)(_uaddr) };				\
	t_rec(t_sys(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr)),			\
	      "KVM_SET_USER_MEMORY_REGION slot=%u flags=0x%x gpa=0x%llx size=0x%llx %s",	\
	      mr.slot, mr.flags, (unsigned long long)mr.guest_phys_addr,		\
	      (unsigned long long)mr.memory_size, desc);				\
} while (0)
	MR(0, 0, GPA_RAM, 0x100000, p, "");
	MR(1, 0, GPA_RAM + 0x100000 + 0x800, 0x100000, p + 0x100000, "(gpa unaligned)");
	MR(1, 0, GPA_RAM + 0x100000, 0x100800, p + 0x100000, "(size unaligned)");
	MR(1, 0, GPA_RAM + 0x100000, 0x100000, p + 0x100000 + 8, "(uaddr unaligned)");
	MR(1, 0, GPA_RAM + 0x80000, 0x100000, p + 0x100000, "(overlaps slot 0)");
	MR(1, 0x80, GPA_RAM + 0x100000, 0x100000, p + 0x100000, "(unknown flag)");
	MR(1, KVM_MEM_LOG_DIRTY_PAGES, GPA_RAM + 0x100000, 0x100000, p + 0x100000,
	   "(dirty logging)");
	MR(1, 0, 0, 0, NULL, "(delete)");
	MR(1, KVM_MEM_READONLY, GPA_RAM + 0x100000, 0x100000, p + 0x100000, "(read-only)");
	MR(1, 0, GPA_RAM + 0x100000, 0x200000, p + 0x100000, "(resize)");
	MR(1, 0, GPA_RAM + 0x200000, 0x100000, p + 0x100000, "(move)");
	MR(2, 0, IPA_SIZE - 0x100000, 0x100000, p + 0x200000, "(last 1M of the IPA space)");
	MR(3, 0, IPA_SIZE, 0x100000, p + 0x300000, "(beyond the IPA space)");
	MR(3, 0, IPA_SIZE - 0x80000, 0x100000, p + 0x300000, "(straddles the IPA limit)");
	MR(3, 0, GPA_RAM + 0x300000, 0x100000, (void *)(uintptr_t)pg, "(unmapped uaddr)");
	MR(3, 0, 0, 0, NULL, "(delete)");
	MR(7, 0, 0, 0, NULL, "(delete an empty slot)");
	MR(32767, 0, GPA_RAM + 0x300000, 0x100000, p + 0x300000, "(slot 32767)");
	MR(0x10000, 0, GPA_RAM + 0x300000, 0x100000, p + 0x300000, "(address space 1)");
	MR(0, 0, GPA_RAM, 0x100000, p, "(unchanged)");
#undef MR
	t_close(vm);
	munmap(p, 0x400000);
}

static void create(void)
{
	struct vm v;
	int its2;

	t_section("create");
	v = vm_new(false);
	t_device(v.vm, ITS, KVM_CREATE_DEVICE_TEST);
	v.its = t_device(v.vm, ITS, 0);
	its2 = t_device(v.vm, ITS, 0);

	t_section("addr");
	t_has(v.its, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST);
	t_has(v.its, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST);
	t_has(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE);
	t_has(v.its, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION);
	t_has(v.its, G_ADDR, 6);
	t_get64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, NULL);
	t_get64(v.its, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, NULL);
	t_set64(v.its, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_ITS);
	t_set64(v.its, G_ADDR, 6, GPA_ITS);
	t_set_null(v.its, G_ADDR, 6);
	t_set_null(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE);
	t_get_null(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE);
	t_set64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, GPA_ITS + 0x1000);
	t_set64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, GPA_ITS + 0x8000);
	t_set64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, IPA_SIZE);
	t_set64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, IPA_SIZE - 0x10000);
	t_set64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, 0xffffffffffff0000ULL);

	t_section("regs: before ADDR");
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	t_get64(v.its, G_ITS, GITS_TYPER, NULL);
	t_set64(v.its, G_ITS, GITS_CTLR, 0);
	t_has(v.its, G_ITS, GITS_CTLR);
	t_has(v.its, G_ITS, GITS_TYPER);
	t_has(v.its, G_ITS, 0x0003);

	t_set64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, IPA_SIZE - 0x20000);
	t_get64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, NULL);
	t_set64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, GPA_ITS);
	t_set64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, IPA_SIZE - 0x20000);
	t_set64(its2, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, IPA_SIZE - 0x20000);
	t_set64(its2, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, GPA_ITS);
	t_get64(its2, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, NULL);
	t_get32(v.gic, G_DIST, 0x0004, NULL);
	t_close(its2);
	vm_free(&v);
}

static void regs(void)
{
	__u64 iidr = 0, v64;
	struct vm v;
	__u64 a;

	t_section("regs: every offset");
	v = vm_new(true);
	/* 32-bit registers below GITS_TYPER and from GITS_PIDR4 on, 64-bit between. */
	t_scan(v.its, G_ITS, 0, 0, 0x8, 4, T_HAS);
	t_scan(v.its, G_ITS, 0, 0x8, 0xffd0, 8, T_HAS);
	t_scan(v.its, G_ITS, 0, 0xffd0, 0x20000, 4, T_HAS);
	t_scan(v.its, G_ITS, 0, 0, 0x8, 4, T_GET64);
	t_scan(v.its, G_ITS, 0, 0x8, 0xffd0, 8, T_GET64);
	t_scan(v.its, G_ITS, 0, 0xffd0, 0x20000, 4, T_GET64);
	/* Offsets that are not a multiple of the register's width. */
	t_scan(v.its, G_ITS, 0, 0, 0x10, 1, T_HAS);
	t_scan(v.its, G_ITS, 0, 0x8, 0x40, 4, T_GET64);
	t_scan(v.its, G_ITS, 0, 0x100, 0x140, 4, T_GET64);
	t_scan(v.its, G_ITS, 0, 0xffc8, 0xffd8, 2, T_GET64);
	t_scan(v.its, G_ITS, 1, 0, 0x10, 4, T_GET64);

	t_section("regs: writes");
	t_get64(v.its, G_ITS, GITS_IIDR, &iidr);
	t_set64(v.its, G_ITS, GITS_IIDR, iidr);
	t_set64(v.its, G_ITS, GITS_IIDR, iidr & ~0xf000ULL);
	t_set64(v.its, G_ITS, GITS_IIDR, (iidr & ~0xf000ULL) | 0x1000);
	t_set64(v.its, G_ITS, GITS_IIDR, iidr ^ 1);
	t_set64(v.its, G_ITS, GITS_IIDR, iidr | 0xffffffff00000000ULL);
	t_get64(v.its, G_ITS, GITS_IIDR, NULL);
	t_set64(v.its, G_ITS, GITS_TYPER, 0);
	t_get64(v.its, G_ITS, GITS_TYPER, NULL);
	t_set64(v.its, G_ITS, GITS_CTLR, 1);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	for (a = 0; a < 8; a++)
		t_set64(v.its, G_ITS, GITS_BASER(a), ~0ULL);
	for (a = 0; a < 8; a++)
		t_get64(v.its, G_ITS, GITS_BASER(a), NULL);
	t_set64(v.its, G_ITS, GITS_BASER(0), 0);
	t_get64(v.its, G_ITS, GITS_BASER(0), NULL);
	t_set64(v.its, G_ITS, GITS_BASER(0), BASER_VALID | (GPA_RAM + OFF_DEVT) | 0x100 | 3);
	t_get64(v.its, G_ITS, GITS_BASER(0), NULL);
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (1ULL << 62) | (GPA_RAM + OFF_COLLT));
	t_get64(v.its, G_ITS, GITS_BASER(1), NULL);
	t_set64(v.its, G_ITS, GITS_CBASER, ~0ULL);
	t_get64(v.its, G_ITS, GITS_CBASER, NULL);
	t_set64(v.its, G_ITS, GITS_CBASER, CBASER_VALID | (GPA_RAM + OFF_CMDQ) | 0xf);
	t_get64(v.its, G_ITS, GITS_CBASER, NULL);
	t_set64(v.its, G_ITS, GITS_CWRITER, 0x1f);
	t_get64(v.its, G_ITS, GITS_CWRITER, NULL);
	t_set64(v.its, G_ITS, GITS_CWRITER, 0x10000);
	t_get64(v.its, G_ITS, GITS_CWRITER, NULL);
	t_set64(v.its, G_ITS, GITS_CREADR, 0x40);
	t_get64(v.its, G_ITS, GITS_CREADR, NULL);
	t_set64(v.its, G_ITS, GITS_CREADR, 0x10000);
	t_set64(v.its, G_ITS, GITS_CREADR, 0x41);
	t_get64(v.its, G_ITS, GITS_CREADR, NULL);
	t_set64(v.its, G_ITS, GITS_CWRITER, 0);
	t_set64(v.its, G_ITS, GITS_CREADR, 0);
	t_set64(v.its, G_ITS, GITS_CTLR, 1);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	t_set64(v.its, G_ITS, GITS_BASER(0), 0);
	t_get64(v.its, G_ITS, GITS_BASER(0), NULL);
	t_set64(v.its, G_ITS, GITS_CBASER, 0);
	t_get64(v.its, G_ITS, GITS_CBASER, NULL);
	t_set64(v.its, G_ITS, GITS_CREADR, 0x20);
	t_set64(v.its, G_ITS, GITS_CTLR, 0);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	t_set64(v.its, G_ITS, 0x000c, 0);
	t_get64(v.its, G_ITS, 0x000c, NULL);
	t_get64(v.its, G_ITS, 0x0104, NULL);
	t_get32(v.its, G_ITS, GITS_CTLR, NULL);
	t_set_null(v.its, G_ITS, GITS_CTLR);
	t_get_null(v.its, G_ITS, GITS_CTLR);
	/* ITS_REGS always moves 8 bytes, even for the 32-bit GITS_CTLR. */
	{
		__u32 *edge = t_edge_buffer(4);

		*edge = POISON32;
		t_rec(t_attr_ioctl(v.its, KVM_GET_DEVICE_ATTR, G_ITS, GITS_CTLR, edge),
		      "get %s into 4 bytes before an unmapped page",
		      t_attr_desc(G_ITS, GITS_CTLR));
	}
	v64 = 0;
	t_rec(t_attr_ioctl(v.its, KVM_GET_DEVICE_ATTR, G_NRIRQS, 0, &v64),
	      "get NR_IRQS on the ITS");
	t_has(v.its, G_NRIRQS, 0);
	t_has(v.its, G_DIST, 0);
	vm_free(&v);
}

static void ctrl(void)
{
	struct vm v;
	__u64 a;

	t_section("ctrl");
	v = vm_new(true);
	for (a = 0; a <= 6; a++)
		t_has(v.its, G_CTRL, a);
	t_ctrl(v.its, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_ctrl(v.its, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	t_ctrl(v.its, 5);
	t_ctrl(v.its, 6);
	t_get_null(v.its, G_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	t_set64(v.its, G_ITS, GITS_BASER(0), BASER_VALID | (GPA_RAM + OFF_DEVT));
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (GPA_RAM + OFF_COLLT));
	t_set64(v.its, G_ITS, GITS_CBASER, CBASER_VALID | (GPA_RAM + OFF_CMDQ) | 0xf);
	t_set64(v.its, G_ITS, GITS_CWRITER, 0x40);
	memset(v.ram + OFF_COLLT, 0xff, 16);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(&v, "collection table", OFF_COLLT, OFF_COLLT + 32);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_CTRL_RESET);
	t_get64(v.its, G_ITS, GITS_BASER(0), NULL);
	t_get64(v.its, G_ITS, GITS_BASER(1), NULL);
	t_get64(v.its, G_ITS, GITS_CBASER, NULL);
	t_get64(v.its, G_ITS, GITS_CWRITER, NULL);
	t_get64(v.its, G_ITS, GITS_CREADR, NULL);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	t_ctrl(v.gic, KVM_DEV_ARM_ITS_SAVE_TABLES);
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (0x7ff00000ULL));
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	vm_free(&v);
}

/* LPI configuration bytes (priority 0xa0, enabled) and the redistributors' tables. */
static void lpi_setup(struct vm *v)
{
	int i;

	for (i = 0; i < 64; i++)
		v->ram[OFF_PROP + i] = 0xa1;
	/* IDbits 15: LPIs up to 65535. */
	t_set32(v->gic, G_REDIST, V3_ATTR(0, GICR_PROPBASER), (__u32)(GPA_RAM + OFF_PROP) | 15);
	t_set32(v->gic, G_REDIST, V3_ATTR(0, GICR_PROPBASER + 4), 0);
	t_set32(v->gic, G_REDIST, V3_ATTR(0, GICR_PENDBASER), (__u32)(GPA_RAM + OFF_PEND0));
	t_set32(v->gic, G_REDIST, V3_ATTR(0, GICR_PENDBASER + 4), 0);
	t_set32(v->gic, G_REDIST, V3_ATTR(1, GICR_PENDBASER), (__u32)(GPA_RAM + OFF_PEND1));
	t_set32(v->gic, G_REDIST, V3_ATTR(1, GICR_PENDBASER + 4), 0);
	t_get32(v->gic, G_REDIST, V3_ATTR(1, GICR_PROPBASER), NULL);
}

static void bases(struct vm *v)
{
	t_set64(v->its, G_ITS, GITS_BASER(0), BASER_VALID | (GPA_RAM + OFF_DEVT));
	t_set64(v->its, G_ITS, GITS_BASER(1), BASER_VALID | (GPA_RAM + OFF_COLLT));
	t_get64(v->its, G_ITS, GITS_BASER(0), NULL);
	t_get64(v->its, G_ITS, GITS_BASER(1), NULL);
}

/* Clears the ITS tables in guest memory (not the LPI tables). */
static void clear_tables(struct vm *v)
{
	memset(v->ram + OFF_DEVT, 0, OFF_PROP - OFF_DEVT);
}

/*
 * Writes tables: collections 0 -> vCPU 0, 1 -> vCPU 1, 3 unmapped; device 0
 * (4 event bits) with events 0 -> LPI 0 (collection 0) and 1 -> LPI 1
 * (collection 1); device 2 (2 bits) with event 3 -> LPI 2 (collection 0).
 */
static void write_tables(struct vm *v)
{
	clear_tables(v);
	*ram64(v, OFF_COLLT + 0) = CTE(0, 0);
	*ram64(v, OFF_COLLT + 8) = CTE(1, 1);
	*ram64(v, OFF_COLLT + 16) = CTE(0xffffffffULL, 3);	/* not mapped */
	*ram64(v, OFF_DEVT + 0) = DTE(2, GPA_RAM + OFF_ITT, 4);
	*ram64(v, OFF_DEVT + 16) = DTE(0, GPA_RAM + OFF_ITT + 0x100, 2);
	*ram64(v, OFF_ITT + 0) = ITE(1, LPI(0), 0);
	*ram64(v, OFF_ITT + 8) = ITE(0, LPI(1), 1);
	*ram64(v, OFF_ITT + 0x100 + 24) = ITE(0, LPI(2), 0);
}

/* One failing restore: write_tables(), one word changed, RESTORE_TABLES, RESET. */
static void bad_restore(struct vm *v, __u64 off, __u64 val, const char *what)
{
	write_tables(v);
	*ram64(v, off) = val;
	printf("tables: %s: +0x%06llx = 0x%016llx\n", what, (unsigned long long)off,
	       (unsigned long long)val);
	t_ctrl(v->its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	t_ctrl(v->its, KVM_DEV_ARM_ITS_CTRL_RESET);
	bases(v);
}

static void restore(void)
{
	struct vm v;

	t_section("restore: tables written in guest memory");
	v = vm_new(true);
	lpi_setup(&v);
	bases(&v);
	write_tables(&v);
	dump_mem(&v, "tables", OFF_DEVT, OFF_PROP);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	clear_tables(&v);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(&v, "saved", OFF_DEVT, OFF_PROP);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	dump_mem(&v, "pending", OFF_PEND0, TABLES_END);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_CTRL_RESET);
	bases(&v);
	clear_tables(&v);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(&v, "saved after RESET", OFF_DEVT, OFF_PROP);

	t_section("restore: failures");
	bad_restore(&v, OFF_COLLT + 8, CTE(5, 1), "CTE for a vCPU that does not exist");
	bad_restore(&v, OFF_COLLT + 8, CTE(0, 0), "two CTEs for one collection");
	bad_restore(&v, OFF_COLLT + 8, CTE(1, 0xffff), "CTE ICID beyond the table");
	bad_restore(&v, OFF_DEVT + 0, DTE(2, GPA_RAM + OFF_ITT, 17), "DTE with 17 event bits");
	bad_restore(&v, OFF_DEVT + 0, DTE(2, GPA_RAM + OFF_ITT, 16), "DTE with 16 event bits");
	bad_restore(&v, OFF_DEVT + 0, DTE(0x3fff, GPA_RAM + OFF_ITT, 4), "DTE next beyond");
	bad_restore(&v, OFF_DEVT + 0, DTE(2, 0x7ff00000ULL, 4), "DTE with ITT outside RAM");
	bad_restore(&v, OFF_ITT + 0, ITE(1, 8191, 0), "ITE for INTID 8191");
	bad_restore(&v, OFF_ITT + 0, ITE(1, LPI(0), 7), "ITE for a missing collection");
	bad_restore(&v, OFF_ITT + 0, ITE(1, LPI(1), 0), "two ITEs for one LPI");
	bad_restore(&v, OFF_ITT + 0, ITE(16, LPI(0), 0), "ITE next beyond the event bits");
	bad_restore(&v, OFF_ITT + 0, ITE(1, 0x10000, 0), "ITE for an LPI beyond PROPBASER");
	t_set64(v.its, G_ITS, GITS_BASER(0), BASER_VALID | 0x7ff00000ULL);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	vm_free(&v);
}

/* Queues one 32-byte ITS command at the command queue's write offset. */
static __u64 cmdq_off;

static void cmd(struct vm *v, __u64 d0, __u64 d1, __u64 d2, __u64 d3)
{
	__u64 *c = ram64(v, OFF_CMDQ + cmdq_off);

	c[0] = d0;
	c[1] = d1;
	c[2] = d2;
	c[3] = d3;
	cmdq_off += 32;
}

#define CMD_MAPD(dev, bits, itt)	cmd(&v, 0x08 | (__u64)(dev) << 32, (bits) - 1,	\
					    (1ULL << 63) | (itt), 0)
#define CMD_MAPC(icid, rd)		cmd(&v, 0x09, 0,					\
					    (1ULL << 63) | (__u64)(rd) << 16 | (icid), 0)
#define CMD_MAPTI(dev, ev, lpi, icid)	cmd(&v, 0x0a | (__u64)(dev) << 32,		\
					    (ev) | (__u64)(lpi) << 32, (icid), 0)
#define CMD_INT(dev, ev)		cmd(&v, 0x03 | (__u64)(dev) << 32, (ev), 0, 0)
#define CMD_SYNC(rd)			cmd(&v, 0x05, 0, (__u64)(rd) << 16, 0)
#define CMD_MAPD_V0(dev)		cmd(&v, 0x08 | (__u64)(dev) << 32, 0, 0, 0)
#define CMD_MAPC_V0(icid)		cmd(&v, 0x09, 0, (icid), 0)
#define CMD_MAPI(dev, ev, icid)		cmd(&v, 0x0b | (__u64)(dev) << 32, (ev), (icid), 0)
#define CMD_MOVI(dev, ev, icid)		cmd(&v, 0x01 | (__u64)(dev) << 32, (ev), (icid), 0)
#define CMD_DISCARD(dev, ev)		cmd(&v, 0x0f | (__u64)(dev) << 32, (ev), 0, 0)
#define CMD_CLEAR(dev, ev)		cmd(&v, 0x04 | (__u64)(dev) << 32, (ev), 0, 0)
#define CMD_INV(dev, ev)		cmd(&v, 0x0c | (__u64)(dev) << 32, (ev), 0, 0)
#define CMD_INVALL(icid)		cmd(&v, 0x0d, 0, (icid), 0)
#define CMD_MOVALL(rd1, rd2)		cmd(&v, 0x0e, 0, (__u64)(rd1) << 16, (__u64)(rd2) << 16)

/* Builds ITS state with commands; returns the VM (its tables saved). */
static struct vm commands(void)
{
	struct vm v;

	t_section("commands: MAPC, MAPD, MAPTI, INT through GITS_CWRITER");
	v = vm_new(true);
	lpi_setup(&v);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 1);
	t_set32(v.gic, G_REDIST, V3_ATTR(1, GICR_CTLR), 1);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), NULL);
	bases(&v);
	t_set64(v.its, G_ITS, GITS_CBASER, CBASER_VALID | (GPA_RAM + OFF_CMDQ) | 0xf);
	t_set64(v.its, G_ITS, GITS_CTLR, 1);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	cmdq_off = 0;
	CMD_MAPC(0, 0);
	CMD_MAPC(1, 1);
	CMD_MAPD(0, 4, GPA_RAM + OFF_ITT);
	CMD_MAPD(5, 2, GPA_RAM + OFF_ITT + 0x100);
	CMD_MAPTI(0, 0, LPI(0), 0);
	CMD_MAPTI(0, 3, LPI(3), 1);
	CMD_MAPTI(5, 1, LPI(7), 1);
	CMD_INT(0, 3);
	CMD_SYNC(1);
	t_set64(v.its, G_ITS, GITS_CWRITER, cmdq_off);
	t_get64(v.its, G_ITS, GITS_CREADR, NULL);
	t_get64(v.its, G_ITS, GITS_CWRITER, NULL);
	t_get32(v.gic, G_DIST, 0x0004, NULL);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(&v, "saved", OFF_DEVT, OFF_PROP);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	dump_mem(&v, "pending", OFF_PEND0, TABLES_END);
	/*
	 * A command that fails is skipped and the queue goes on
	 * (vgic_its_process_commands()): MAPTI of an unmapped device, then MAPC.
	 */
	CMD_MAPTI(9, 0, LPI(9), 0);
	CMD_MAPC(2, 0);
	t_set64(v.its, G_ITS, GITS_CWRITER, cmdq_off);
	t_get64(v.its, G_ITS, GITS_CREADR, NULL);
	t_get64(v.its, G_ITS, GITS_CWRITER, NULL);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(&v, "collection table", OFF_COLLT, OFF_COLLT + 64);
	/* While the ITS is enabled: BASER and CBASER writes are ignored, CREADR's refused. */
	t_set64(v.its, G_ITS, GITS_BASER(0), BASER_VALID | (GPA_RAM + OFF_DEVT) | 1);
	t_set64(v.its, G_ITS, GITS_CBASER, CBASER_VALID | (GPA_RAM + OFF_CMDQ));
	t_set64(v.its, G_ITS, GITS_CREADR, 0);
	return v;
}

struct itsreg {
	__u32 group;
	__u64 attr;
	__u64 val;
};

/* What QEMU saves of an ITS (hw/intc/arm_gicv3_its_kvm.c) and of the redistributors' LPI state. */
static const struct itsreg its_state[] = {
	{ G_ITS, GITS_IIDR }, { G_ITS, GITS_CBASER }, { G_ITS, GITS_CREADR },
	{ G_ITS, GITS_CWRITER }, { G_ITS, GITS_BASER(0) }, { G_ITS, GITS_BASER(1) },
	{ G_ITS, GITS_BASER(2) }, { G_ITS, GITS_CTLR },
};

static void roundtrip(struct vm *src)
{
	struct itsreg a[ARRAY_SIZE(its_state)], b[ARRAY_SIZE(its_state)];
	size_t i, diff = 0;
	struct vm dst;
	__u32 prop[4];
	int c;

	t_section("roundtrip: save, new VM with a copy of guest memory, restore, save again");
	memcpy(a, its_state, sizeof(a));
	t_ctrl(src->its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	t_ctrl(src->gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	for (i = 0; i < ARRAY_SIZE(a); i++)
		t_get64(src->its, a[i].group, a[i].attr, &a[i].val);
	for (c = 0; c < 2; c++) {
		t_get32(src->gic, G_REDIST, V3_ATTR(c, GICR_PROPBASER), &prop[2 * c]);
		t_get32(src->gic, G_REDIST, V3_ATTR(c, GICR_PENDBASER), &prop[2 * c + 1]);
	}

	dst = vm_new(true);
	memcpy(dst.ram, src->ram, TABLES_END);
	/* QEMU: redistributors (GICR_PROPBASER, PENDBASER, CTLR) first, then the ITS. */
	for (c = 0; c < 2; c++) {
		t_set32(dst.gic, G_REDIST, V3_ATTR(c, GICR_PROPBASER), prop[2 * c]);
		t_set32(dst.gic, G_REDIST, V3_ATTR(c, GICR_PENDBASER), prop[2 * c + 1]);
		t_set32(dst.gic, G_REDIST, V3_ATTR(c, GICR_CTLR), 1);
	}
	/* kvm_arm_its_post_load(): IIDR, RESET, BASERs, CBASER, CREADR, CWRITER, RESTORE, CTLR. */
	t_set64(dst.its, G_ITS, GITS_IIDR, a[0].val);
	t_ctrl(dst.its, KVM_DEV_ARM_ITS_CTRL_RESET);
	for (i = 0; i < 3; i++)
		t_set64(dst.its, G_ITS, GITS_BASER(i), a[4 + i].val);
	t_set64(dst.its, G_ITS, GITS_CBASER, a[1].val);
	t_set64(dst.its, G_ITS, GITS_CREADR, a[2].val);
	t_set64(dst.its, G_ITS, GITS_CWRITER, a[3].val);
	t_ctrl(dst.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	t_set64(dst.its, G_ITS, GITS_CTLR, a[7].val);

	memcpy(b, its_state, sizeof(b));
	for (i = 0; i < ARRAY_SIZE(b); i++)
		t_get64(dst.its, b[i].group, b[i].attr, &b[i].val);
	clear_tables(src);
	clear_tables(&dst);
	memset(src->ram + OFF_PEND0, 0, TABLES_END - OFF_PEND0);
	memset(dst.ram + OFF_PEND0, 0, TABLES_END - OFF_PEND0);
	t_ctrl(src->its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	t_ctrl(dst.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	t_ctrl(src->gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	t_ctrl(dst.gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		if (a[i].val == b[i].val)
			continue;
		diff++;
		printf("roundtrip: %s: 0x%llx => 0x%llx\n", t_attr_desc(a[i].group, a[i].attr),
		       (unsigned long long)a[i].val, (unsigned long long)b[i].val);
	}
	for (i = OFF_DEVT; i < TABLES_END; i += 8) {
		if (*ram64(src, i) == *ram64(&dst, i))
			continue;
		diff++;
		printf("roundtrip: mem +0x%06zx: 0x%016llx => 0x%016llx\n", i,
		       (unsigned long long)*ram64(src, i), (unsigned long long)*ram64(&dst, i));
	}
	dump_mem(&dst, "saved by the copy", OFF_DEVT, TABLES_END);
	printf("roundtrip: %zu registers and %d table words compared, %zu differ\n",
	       ARRAY_SIZE(a), (TABLES_END - OFF_DEVT) / 8, diff);
	vm_free(&dst);
}

/* Runs the commands queued since cmdq_off was last reset: GITS_CWRITER, then GITS_CREADR. */
static void cmds_run(struct vm *v)
{
	t_set64(v->its, G_ITS, GITS_CWRITER, cmdq_off);
	t_get64(v->its, G_ITS, GITS_CREADR, NULL);
}

/* The tables, the command queue, GITS_CTLR.Enabled, and an empty queue. */
static void its_on(struct vm *v)
{
	bases(v);
	t_set64(v->its, G_ITS, GITS_CBASER, CBASER_VALID | (GPA_RAM + OFF_CMDQ) | 0xf);
	t_set64(v->its, G_ITS, GITS_CTLR, 1);
	cmdq_off = 0;
}

/* Sets LPI n's configuration byte. */
static void lpi_prop(struct vm *v, int n, __u8 prop)
{
	v->ram[OFF_PROP + n] = prop;
	printf("prop LPI %d = 0x%02x\n", LPI(n), prop);
}

/* Sets LPI n's bit in the pending table at guest memory offset pend. */
static void pend_set(struct vm *v, __u64 pend, int n)
{
	v->ram[pend + LPI(n) / 8] |= 1 << (LPI(n) % 8);
	printf("pending table +0x%06llx: LPI %d set\n", (unsigned long long)pend, LPI(n));
}

/* Clears both pending tables, saves the pending state, prints the tables. */
static void save_pending(struct vm *v, const char *what)
{
	memset(v->ram + OFF_PEND0, 0, TABLES_END - OFF_PEND0);
	t_ctrl(v->gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	dump_mem(v, what, OFF_PEND0, TABLES_END);
}

/* Clears the ITS tables, saves them, prints them. */
static void save_tables(struct vm *v, const char *what)
{
	clear_tables(v);
	t_ctrl(v->its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(v, what, OFF_DEVT, OFF_PROP);
}

static void lpis_regs(void)
{
	struct vm v, w;
	int its2;

	t_section("lpis: redistributor registers with an ITS");
	w = vm_new(false);
	T_CAP(w.vm, KVM_CAP_MSI_DEVID);
	t_get32(w.gic, G_REDIST, V3_ATTR(0, GICR_TYPER), NULL);
	t_set32(w.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 1);
	t_get32(w.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), NULL);
	t_get32(w.gic, G_DIST, 0x0004, NULL);
	vm_free(&w);

	v = vm_new(true);
	T_CAP(v.vm, KVM_CAP_MSI_DEVID);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_TYPER), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(1, GICR_TYPER), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_PROPBASER), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), NULL);
	lpi_setup(&v);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 1);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(1, GICR_CTLR), NULL);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 0xf);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), NULL);
	/* Once vCPU 0's LPIs are enabled, its writes of the table registers are ignored. */
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_PROPBASER), (__u32)(GPA_RAM + OFF_PROP) | 13);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_PENDBASER), (__u32)(GPA_RAM + OFF_PEND1));
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_PROPBASER), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_PENDBASER), NULL);
	/* vCPU 1's are not: GICR_PROPBASER is one for all. PTZ reads as 0. */
	t_set32(v.gic, G_REDIST, V3_ATTR(1, GICR_PROPBASER), (__u32)(GPA_RAM + OFF_PROP) | 13);
	t_set32(v.gic, G_REDIST, V3_ATTR(1, GICR_PENDBASER + 4), 0x40000000);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_PROPBASER), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(1, GICR_PENDBASER + 4), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_INVLPIR), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_INVALLR), NULL);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_SYNCR), NULL);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_INVLPIR), LPI(0));
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_INVALLR), 0);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 0);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), NULL);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_PROPBASER), (__u32)(GPA_RAM + OFF_PROP) | 15);
	t_get32(v.gic, G_REDIST, V3_ATTR(1, GICR_PROPBASER), NULL);
	/* Creating another ITS resets GICR_PROPBASER. */
	its2 = t_device(v.vm, ITS, 0);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_PROPBASER), NULL);
	t_get32(v.gic, G_DIST, 0x0004, NULL);
	t_close(its2);
	vm_free(&v);
}

static void lpis_pending(void)
{
	struct vm v;

	t_section("lpis: pending tables, INT, CLEAR, EnableLPIs");
	v = vm_new(true);
	lpi_setup(&v);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 1);
	/* The first mapping of an LPI takes (and clears) its bit in its vCPU's table. */
	pend_set(&v, OFF_PEND0, 1);
	pend_set(&v, OFF_PEND1, 2);
	its_on(&v);
	CMD_MAPC(0, 0);
	CMD_MAPC(1, 1);
	CMD_MAPD(0, 4, GPA_RAM + OFF_ITT);
	CMD_MAPTI(0, 0, LPI(0), 0);
	CMD_MAPTI(0, 1, LPI(1), 0);
	CMD_MAPTI(0, 2, LPI(2), 1);
	CMD_MAPTI(0, 3, LPI(3), 0);
	CMD_MAPTI(0, 4, LPI(4), 1);
	cmds_run(&v);
	dump_mem(&v, "pending after MAPTI", OFF_PEND0, TABLES_END);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES);
	dump_mem(&v, "pending", OFF_PEND0, TABLES_END);
	/* INT needs the target's LPIs enabled (vCPU 1's are not); CLEAR. */
	CMD_INT(0, 0);
	CMD_INT(0, 4);
	CMD_CLEAR(0, 1);
	cmds_run(&v);
	save_pending(&v, "pending after INT and CLEAR");
	/* With the distributor enabled, a pending enabled LPI is queued on its vCPU, and
	 * outlives the entry that mapped it. */
	t_set32(v.gic, G_DIST, GICD_CTLR, 2);
	*ram64(&v, OFF_ITT + 0) = 0x5a5a5a5a5a5a5a5aULL;
	*ram64(&v, OFF_ITT + 24) = 0x5a5a5a5a5a5a5a5aULL;
	CMD_INT(0, 3);
	CMD_DISCARD(0, 3);
	CMD_DISCARD(0, 0);
	cmds_run(&v);
	dump_mem(&v, "ITT after DISCARD", OFF_ITT, OFF_ITT + 0x100);
	save_pending(&v, "pending after DISCARD");
	/* EnableLPIs 0: the LPIs queued on vCPU 0 leave it, no longer pending. */
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 0);
	t_get32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), NULL);
	save_pending(&v, "pending after EnableLPIs 0");
	/* EnableLPIs 1 reads vCPU 0's table for the LPIs that target vCPU 0. */
	pend_set(&v, OFF_PEND0, 1);
	pend_set(&v, OFF_PEND0, 2);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 1);
	dump_mem(&v, "pending after EnableLPIs 1", OFF_PEND0, TABLES_END);
	save_pending(&v, "pending saved");
	/* With PTZ set, EnableLPIs reads nothing. */
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 0);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_PENDBASER + 4), 0x40000000);
	pend_set(&v, OFF_PEND0, 1);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 1);
	save_pending(&v, "pending after EnableLPIs 1 with PTZ");
	vm_free(&v);
}

static void commands_more(void)
{
	struct vm v;
	int i;

	t_section("commands: MOVI, MOVALL, MAPI, INV, INVALL, DISCARD, V=0");
	v = vm_new(true);
	lpi_setup(&v);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 1);
	t_set32(v.gic, G_REDIST, V3_ATTR(1, GICR_CTLR), 1);
	t_set32(v.gic, G_DIST, GICD_CTLR, 2);
	for (i = 0; i < 6; i++)
		lpi_prop(&v, i, 0xa0);
	its_on(&v);
	CMD_MAPC(0, 0);
	CMD_MAPC(1, 1);
	CMD_MAPD(0, 4, GPA_RAM + OFF_ITT);
	CMD_MAPD(1, 2, GPA_RAM + OFF_ITT + 0x100);
	CMD_MAPD(2, 16, GPA_RAM + OFF_ITT2);
	for (i = 0; i < 6; i++)
		CMD_MAPTI(0, i, LPI(i), 0);
	CMD_MAPI(2, LPI(8), 1);
	CMD_MAPTI(1, 0, LPI(10), 1);
	/* Disabled LPIs: pending, not queued. */
	for (i = 0; i < 6; i++)
		CMD_INT(0, i);
	cmds_run(&v);
	for (i = 0; i < 6; i++)
		lpi_prop(&v, i, 0xa1);
	/* Each of these rereads an LPI's configuration: now enabled, it is queued. */
	CMD_INV(0, 0);
	CMD_MOVI(0, 1, 1);
	CMD_INVALL(1);
	CMD_MOVI(0, 3, 1);
	cmds_run(&v);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_INVLPIR), LPI(2));
	t_set32(v.gic, G_REDIST, V3_ATTR(1, GICR_INVALLR), 0);
	/* Queued LPIs outlive their entries, the others do not. */
	for (i = 0; i < 6; i++)
		CMD_DISCARD(0, i);
	cmds_run(&v);
	save_pending(&v, "pending after DISCARD");
	/* MOVALL: the LPIs of vCPU 1 now target vCPU 0. */
	CMD_INT(2, LPI(8));
	CMD_MOVALL(1, 0);
	cmds_run(&v);
	save_pending(&v, "pending after MOVALL");
	save_tables(&v, "tables");
	dump_mem(&v, "ITT of device 2", OFF_ITT2 + LPI(8) * 8, OFF_ITT2 + LPI(8) * 8 + 8);
	/* MAPC with V=0 drops the collection; its entries stay, without a collection. */
	CMD_MAPC_V0(1);
	cmds_run(&v);
	save_tables(&v, "tables after MAPC V=0");
	dump_mem(&v, "ITT of device 2", OFF_ITT2 + LPI(8) * 8, OFF_ITT2 + LPI(8) * 8 + 8);
	CMD_INT(1, 0);
	CMD_DISCARD(1, 0);
	CMD_MAPC(1, 0);
	CMD_INT(1, 0);
	cmds_run(&v);
	save_pending(&v, "pending");
	/* MAPD with V=0: the device goes, and its table entry is cleared. */
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	CMD_MAPD_V0(2);
	CMD_MAPD_V0(7);
	*ram64(&v, OFF_DEVT + 7 * 8) = 0x5a5a5a5a5a5a5a5aULL;
	cmds_run(&v);
	dump_mem(&v, "device table after MAPD V=0", OFF_DEVT, OFF_DEVT + 0x100);
	save_tables(&v, "tables after MAPD V=0");
	vm_free(&v);
}

static void commands_errors(void)
{
	struct vm v;

	t_section("commands: errors, the queue's wrap, unreadable commands");
	v = vm_new(true);
	lpi_setup(&v);
	t_set32(v.gic, G_REDIST, V3_ATTR(0, GICR_CTLR), 1);
	t_set32(v.gic, G_REDIST, V3_ATTR(1, GICR_CTLR), 1);
	its_on(&v);
	CMD_MAPD(8192, 4, GPA_RAM + OFF_ITT);		/* beyond the device table */
	CMD_MAPD(0, 17, GPA_RAM + OFF_ITT);		/* 17 event bits */
	CMD_MAPD(0, 4, GPA_RAM + OFF_ITT);
	CMD_MAPC(0, 5);					/* no vCPU 5 */
	CMD_MAPC(8192, 0);				/* beyond the collection table */
	CMD_MAPC(0, 0);
	CMD_MAPTI(0, 16, LPI(0), 0);			/* event beyond the ITT */
	CMD_MAPTI(0, 0, 8191, 0);			/* not an LPI */
	CMD_MAPTI(0, 0, 0x10000, 0);			/* beyond GICR_PROPBASER.IDbits */
	CMD_MAPTI(9, 0, LPI(0), 0);			/* no device 9 */
	CMD_MAPTI(0, 0, LPI(0), 0);
	CMD_MAPTI(0, 0, LPI(1), 0);			/* mapped already: kept */
	CMD_MAPTI(0, 1, LPI(0), 0);			/* LPI mapped by event 0 */
	CMD_MAPTI(0, 2, LPI(2), 9);			/* creates collection 9, unmapped */
	CMD_MAPTI(0, 3, LPI(3), 8192);			/* beyond the collection table */
	CMD_MOVI(0, 2, 0);				/* from an unmapped collection */
	CMD_MOVI(0, 0, 9);				/* to an unmapped collection */
	CMD_MOVI(0, 7, 0);
	CMD_CLEAR(0, 7);
	CMD_INV(0, 7);
	CMD_INVALL(9);
	CMD_INVALL(4);
	CMD_MOVALL(0, 5);
	CMD_DISCARD(0, 2);
	CMD_DISCARD(0, 7);
	CMD_INT(0, 2);
	CMD_INT(0, 7);
	cmd(&v, 0x1f, 0, 0, 0);
	cmd(&v, 0x29, 0, 0, 0);
	cmd(&v, 0x00, 0, 0, 0);
	cmds_run(&v);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	save_tables(&v, "tables");
	save_pending(&v, "pending");
	/* MAPC of the collection MAPTI made: its LPI follows it to vCPU 1. */
	CMD_MAPC(9, 1);
	CMD_INT(0, 2);
	cmds_run(&v);
	save_pending(&v, "pending after MAPC");
	/* The queue wraps at its end (64K). */
	t_set64(v.its, G_ITS, GITS_CTLR, 0);
	t_set64(v.its, G_ITS, GITS_CREADR, 0xffe0);
	cmdq_off = 0xffe0;
	CMD_MAPC(10, 0);
	cmdq_off = 0;
	CMD_MAPC(11, 1);
	t_set64(v.its, G_ITS, GITS_CWRITER, cmdq_off);
	t_get64(v.its, G_ITS, GITS_CREADR, NULL);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	t_set64(v.its, G_ITS, GITS_CTLR, 1);
	t_get64(v.its, G_ITS, GITS_CREADR, NULL);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	save_tables(&v, "tables after the wrap");
	/* A queue no memslot backs: the commands are skipped. */
	t_set64(v.its, G_ITS, GITS_CTLR, 0);
	t_set64(v.its, G_ITS, GITS_CBASER, CBASER_VALID | 0x7ff00000ULL);
	t_set64(v.its, G_ITS, GITS_CTLR, 1);
	t_set64(v.its, G_ITS, GITS_CWRITER, 0x40);
	t_get64(v.its, G_ITS, GITS_CREADR, NULL);
	/* Enabling needs both tables and the queue valid. */
	t_set64(v.its, G_ITS, GITS_CTLR, 0);
	t_set64(v.its, G_ITS, GITS_BASER(1), GPA_RAM + OFF_COLLT);
	t_set64(v.its, G_ITS, GITS_CTLR, 1);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (GPA_RAM + OFF_COLLT));
	t_set64(v.its, G_ITS, GITS_CBASER, 0);
	t_set64(v.its, G_ITS, GITS_CTLR, 1);
	t_get64(v.its, G_ITS, GITS_CTLR, NULL);
	save_tables(&v, "tables after BASER1 changed");
	vm_free(&v);
}

static void tables_two_level(void)
{
	struct vm v;

	t_section("tables: a two-level device table");
	v = vm_new(true);
	lpi_setup(&v);
	t_set64(v.its, G_ITS, GITS_BASER(0), BASER_VALID | (1ULL << 62) | (GPA_RAM + OFF_DEVT));
	t_get64(v.its, G_ITS, GITS_BASER(0), NULL);
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (GPA_RAM + OFF_COLLT));
	t_set64(v.its, G_ITS, GITS_CBASER, CBASER_VALID | (GPA_RAM + OFF_CMDQ) | 0xf);
	t_set64(v.its, G_ITS, GITS_CTLR, 1);
	/* Level 1 entry 1 (devices 8192 to 16383) is valid, entry 0 is not. */
	*ram64(&v, OFF_DEVT + 8) = BASER_VALID | (GPA_RAM + OFF_L2);
	cmdq_off = 0;
	CMD_MAPC(0, 0);
	CMD_MAPD(8192 + 5, 4, GPA_RAM + OFF_ITT);
	CMD_MAPD(5, 4, GPA_RAM + OFF_ITT + 0x100);
	CMD_MAPD(0x10000, 4, GPA_RAM + OFF_ITT + 0x100);
	CMD_MAPTI(8192 + 5, 1, LPI(1), 0);
	CMD_MAPTI(5, 1, LPI(2), 0);
	cmds_run(&v);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(&v, "level 1", OFF_DEVT, OFF_DEVT + 0x100);
	dump_mem(&v, "level 2", OFF_L2, OFF_L2 + 0x10000);
	dump_mem(&v, "ITT", OFF_ITT, OFF_ITT + 0x200);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_CTRL_RESET);
	t_set64(v.its, G_ITS, GITS_BASER(0), BASER_VALID | (1ULL << 62) | (GPA_RAM + OFF_DEVT));
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (GPA_RAM + OFF_COLLT));
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	memset(v.ram + OFF_L2, 0, 0x10000);
	memset(v.ram + OFF_ITT, 0, 0x200);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(&v, "level 2 saved again", OFF_L2, OFF_L2 + 0x10000);
	dump_mem(&v, "ITT saved again", OFF_ITT, OFF_ITT + 0x200);
	/* A valid level 1 entry no memslot backs. */
	t_ctrl(v.its, KVM_DEV_ARM_ITS_CTRL_RESET);
	t_set64(v.its, G_ITS, GITS_BASER(0), BASER_VALID | (1ULL << 62) | (GPA_RAM + OFF_DEVT));
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (GPA_RAM + OFF_COLLT));
	*ram64(&v, OFF_DEVT) = BASER_VALID | 0x7ff00000ULL;
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(&v, "collection table", OFF_COLLT, OFF_COLLT + 0x40);
	vm_free(&v);
}

static void tables_duplicates(void)
{
	struct vm v;

	t_section("tables: a restore into an ITS that has devices");
	v = vm_new(true);
	lpi_setup(&v);
	its_on(&v);
	CMD_MAPC(0, 0);
	CMD_MAPD(0, 4, GPA_RAM + OFF_ITT);
	CMD_MAPTI(0, 0, LPI(0), 0);
	cmds_run(&v);
	/* A second device 0 (2 event bits) in the tables; no collection in them. */
	clear_tables(&v);
	*ram64(&v, OFF_DEVT) = DTE(0, GPA_RAM + OFF_ITT + 0x100, 2);
	*ram64(&v, OFF_ITT + 0x100 + 8) = ITE(0, LPI(1), 0);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	save_tables(&v, "tables");
	/* The commands find the first device 0 of the list, which the save sorted. */
	CMD_MAPTI(0, 2, LPI(2), 0);
	CMD_MAPTI(0, 5, LPI(5), 0);
	cmds_run(&v);
	save_tables(&v, "tables after MAPTI");
	save_tables(&v, "tables saved again");
	CMD_MAPD_V0(0);
	cmds_run(&v);
	save_tables(&v, "tables after MAPD V=0");
	CMD_MAPD_V0(0);
	cmds_run(&v);
	save_tables(&v, "tables after a second MAPD V=0");
	vm_free(&v);
}

static void tables_readonly(void)
{
	struct kvm_userspace_memory_region mr;
	struct vm v;
	__u64 *ro;

	t_section("tables: read-only guest memory");
	v = vm_new(true);
	ro = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED) {
		printf("mmap failed\n");
		exit(1);
	}
	memset(ro, 0, 0x10000);
	mr = (struct kvm_userspace_memory_region){ .slot = 1, .flags = KVM_MEM_READONLY,
		.guest_phys_addr = GPA_RAM + RAM_SIZE, .memory_size = 0x10000,
		.userspace_addr = (__u64)(uintptr_t)ro };
	t_rec(t_sys(ioctl(v.vm, KVM_SET_USER_MEMORY_REGION, &mr)),
	      "KVM_SET_USER_MEMORY_REGION slot=1 flags=0x%x gpa=0x%llx size=0x10000", mr.flags,
	      (unsigned long long)mr.guest_phys_addr);
	lpi_setup(&v);
	t_set64(v.its, G_ITS, GITS_BASER(0), BASER_VALID | (GPA_RAM + OFF_DEVT));
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (GPA_RAM + RAM_SIZE));
	t_set64(v.its, G_ITS, GITS_CBASER, CBASER_VALID | (GPA_RAM + OFF_CMDQ) | 0xf);
	t_set64(v.its, G_ITS, GITS_CTLR, 1);
	cmdq_off = 0;
	CMD_MAPC(0, 0);
	CMD_MAPC(1, 1);
	cmds_run(&v);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	ro[0] = CTE(1, 7);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_CTRL_RESET);
	t_set64(v.its, G_ITS, GITS_BASER(0), BASER_VALID | (GPA_RAM + OFF_DEVT));
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (GPA_RAM + RAM_SIZE));
	t_ctrl(v.its, KVM_DEV_ARM_ITS_RESTORE_TABLES);
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	t_set64(v.its, G_ITS, GITS_BASER(1), BASER_VALID | (GPA_RAM + OFF_COLLT));
	t_ctrl(v.its, KVM_DEV_ARM_ITS_SAVE_TABLES);
	dump_mem(&v, "collection table", OFF_COLLT, OFF_COLLT + 0x40);
	vm_free(&v);
	munmap(ro, 0x10000);
}

static void buffers(void)
{
	struct vm v;

	t_section("buffers: values that straddle a read-only page");
	v = vm_new(true);
	t_get_straddle("u64", v.its, G_ITS, GITS_IIDR, 8);
	t_get_straddle("u64", v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, 8);
	t_get64(v.its, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, NULL);
	vm_free(&v);
}

int main(int argc, char **argv)
{
	struct vm v;

	t_init(argc, argv);
	t_gic = 3;
	kvm = t_open_node();

	memslot();
	create();
	regs();
	ctrl();
	restore();
	v = commands();
	roundtrip(&v);
	vm_free(&v);
	lpis_regs();
	lpis_pending();
	commands_more();
	commands_errors();
	tables_two_level();
	tables_duplicates();
	tables_readonly();
	buffers();
	t_section("end");
	return 0;
}
