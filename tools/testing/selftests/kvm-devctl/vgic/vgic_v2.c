// SPDX-License-Identifier: GPL-2.0
/*
 * vgic_v2 [--node PATH]: the transcript of KVM_DEV_TYPE_ARM_VGIC_V2's
 * device API and of the legacy KVM_ARM_SET_DEVICE_ADDR, without KVM_RUN
 * (see vgic_transcript.h for the line format). Taken on a GICv2 host
 * (qemu -M virt,gic-version=2), whose KVM offers VGIC v2 only.
 *
 * Follows Documentation/virt/kvm/devices/arm-vgic.rst,
 * Documentation/virt/kvm/api.rst (KVM_ARM_SET_DEVICE_ADDR) and the 7.3
 * code: arch/arm64/kvm/vgic/vgic-kvm-device.c (kvm_vgic_addr(),
 * kvm_set_legacy_vgic_v2_addr(), vgic_v2_attr_regs_access(), which
 * initialises the VGIC on first register access), vgic-mmio-v2.c (the
 * distributor and CPU interface tables), vgic-init.c (kvm_vgic_create():
 * at most 8 vCPUs) and arch/arm64/kvm/arm.c (kvm_vm_ioctl_set_device_addr(),
 * KVM_CREATE_IRQCHIP). Sections:
 *
 *   host       what the host offers (host-dependent: a GICv3 host differs)
 *   create     one GIC per VM, the other version, the 8-vCPU limit
 *   addr       ADDR: DIST and CPU, 4K alignment, E2BIG, EEXIST, overlap
 *   legacy     KVM_ARM_SET_DEVICE_ADDR: id layout, ENODEV, EEXIST, E2BIG,
 *              aliasing the ADDR group both ways; KVM_CREATE_IRQCHIP
 *   nr_irqs    NR_IRQS, and the implicit init by a register access
 *   ctrl       CTRL INIT and the v3-only attrs
 *   scenario   1 and 2 vCPUs: DIST_REGS and CPU_REGS per vCPU (every
 *              offset for 2 vCPUs), reads after writes to every register
 *              kind, and a save/restore round trip
 *   buffers    GETs into buffers that straddle a writable and a read-only
 *              page: EFAULT, and nothing written (put_user() is one store)
 */
#include "vgic_transcript.h"

#define V2	KVM_DEV_TYPE_ARM_VGIC_V2
#define V3	KVM_DEV_TYPE_ARM_VGIC_V3

#define NR_IRQS	64

#define LEGACY_ID(dev, type)	(((__u64)(dev) << 16) | (type))

static int kvm;

/* Distributor and CPU interface registers dumped where a scenario does not scan. */
static const __u32 dist_list[] = {
	0x000, 0x004, 0x008, 0x080, 0x084, 0x088, 0x100, 0x104, 0x108, 0x180, 0x184,
	0x200, 0x204, 0x280, 0x284, 0x300, 0x304, 0x380, 0x384, 0x400, 0x41c, 0x420,
	0x43c, 0x440, 0x800, 0x81c, 0x820, 0x83c, 0x840, 0xc00, 0xc04, 0xc08, 0xc0c,
	0xc10, 0xe00, 0xf00, 0xf10, 0xf1c, 0xf20, 0xf2c, 0xfe8,
};

static const __u32 cpu_list[] = {
	0x00, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c, 0x20, 0xd0, 0xd4, 0xe0, 0xfc, 0x1000,
};

static void create(void)
{
	struct gic_vm v;
	int other, i;

	t_section("create: one GIC per VM");
	v = gic_vm_new(kvm, V2, 1, false, true);
	t_device(v.vm, V2, 0);
	other = t_device(v.vm, V3, 0);
	t_close(other);
	t_device(v.vm, V2, KVM_CREATE_DEVICE_TEST);
	gic_vm_free(&v);

	t_section("create: at most 8 vCPUs");
	v = gic_vm_new(kvm, V2, 9, false, true);
	gic_vm_free(&v);
	v = gic_vm_new(kvm, V2, 8, false, true);
	v.vcpu[8] = t_vcpu(v.vm, 8);
	if (v.vcpu[8] >= 0)
		v.nvcpus = 9;
	gic_vm_free(&v);
	v = gic_vm_new(kvm, V2, 1, false, true);
	for (i = 1; i < 9; i++) {
		v.vcpu[i] = t_vcpu(v.vm, i == 8 ? 100 : i);
		if (v.vcpu[i] >= 0)
			v.nvcpus = i + 1;
	}
	gic_vm_free(&v);
}

static void addr(void)
{
	struct gic_vm v;
	__u64 a;

	t_section("addr");
	v = gic_vm_new(kvm, V2, 1, false, true);
	for (a = 0; a <= 6; a++)
		t_has(v.gic, G_ADDR, a);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, NULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, NULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, NULL);
	t_get64_in(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, 0, NULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GPA_REDIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
		RDIST_REGION(1, GPA_REDIST, 0, 0));
	t_set64(v.gic, G_ADDR, KVM_VGIC_ITS_ADDR_TYPE, GPA_ITS);
	t_set_null(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST);
	t_get_null(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, GPA_DIST + 0x800);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, GPA_DIST + 0x10);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, IPA_SIZE);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, 0xfffffffffffff000ULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, GPA_CPUIF + 0x800);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, IPA_SIZE);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, IPA_SIZE - 0x1000);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, IPA_SIZE - 0x2000);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, IPA_SIZE - 0x1000);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, NULL);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, NULL);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, GPA_CPUIF);
	gic_vm_free(&v);

	t_section("addr: overlapping DIST and CPU");
	v = gic_vm_new(kvm, V2, 1, false, true);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, GPA_DIST);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, NULL);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	gic_vm_free(&v);
}

static void legacy_addr(void)
{
	struct gic_vm v;
	int other;

	t_section("legacy: without a GIC");
	v = gic_vm_new(kvm, V2, 1, false, false);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST);
	t_legacy_addr(v.vm, LEGACY_ID(1, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST);
	v.gic = t_device(v.vm, V2, 0);

	t_section("legacy: id layout and errors");
	t_legacy_addr(v.vm, LEGACY_ID(1, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST);
	t_legacy_addr(v.vm, LEGACY_ID(0xffff, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST);
	t_legacy_addr(v.vm, LEGACY_ID(0, 2), GPA_DIST);
	t_legacy_addr(v.vm, LEGACY_ID(0, 0xffff), GPA_DIST);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST + 0x800);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_DIST), IPA_SIZE);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_CPU), IPA_SIZE - 0x1000);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, NULL);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, GPA_DIST);
	t_legacy_addr(v.vm, (1ULL << 32) | LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_CPU), GPA_CPUIF);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_CPU), GPA_DIST);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, NULL);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_CPU), GPA_CPUIF);
	t_rec(t_sys(ioctl(v.vm, KVM_ARM_SET_DEVICE_ADDR, NULL)), "KVM_ARM_SET_DEVICE_ADDR NULL");
	gic_vm_free(&v);

	t_section("legacy: ADDR first");
	v = gic_vm_new(kvm, V2, 1, false, true);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, GPA_CPUIF);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_CPU), GPA_CPUIF);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, NULL);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST);
	gic_vm_free(&v);

	t_section("legacy: KVM_CREATE_IRQCHIP");
	v = gic_vm_new(kvm, V2, 1, false, false);
	t_rec(t_sys(ioctl(v.vm, KVM_CREATE_IRQCHIP, 0)), "KVM_CREATE_IRQCHIP");
	t_rec(t_sys(ioctl(v.vm, KVM_CREATE_IRQCHIP, 0)), "KVM_CREATE_IRQCHIP");
	other = t_device(v.vm, V2, 0);
	t_close(other);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_DIST), GPA_DIST);
	t_legacy_addr(v.vm, LEGACY_ID(0, KVM_VGIC_V2_ADDR_TYPE_CPU), GPA_CPUIF);
	gic_vm_free(&v);
	v = gic_vm_new(kvm, V2, 1, false, true);
	t_rec(t_sys(ioctl(v.vm, KVM_CREATE_IRQCHIP, 0)), "KVM_CREATE_IRQCHIP");
	gic_vm_free(&v);
}

static void nr_irqs(void)
{
	struct gic_vm v;

	t_section("nr_irqs");
	v = gic_vm_new(kvm, V2, 1, false, true);
	t_has(v.gic, G_NRIRQS, 0);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	t_set32(v.gic, G_NRIRQS, 0, 32);
	t_set32(v.gic, G_NRIRQS, 0, 65);
	t_set32(v.gic, G_NRIRQS, 0, 1024);
	t_set32(v.gic, G_NRIRQS, 0, 992);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	t_set32(v.gic, G_NRIRQS, 0, 64);
	t_get32(v.gic, G_DIST, V2_ATTR(0, 0x004), NULL);
	gic_vm_free(&v);

	t_section("nr_irqs: a register access initialises the VGIC");
	v = gic_vm_new(kvm, V2, 1, false, true);
	t_get32(v.gic, G_DIST, V2_ATTR(0, 0x000), NULL);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	t_set32(v.gic, G_NRIRQS, 0, 64);
	t_get32(v.gic, G_DIST, V2_ATTR(0, 0x004), NULL);
	t_rec(t_sys(ioctl(v.vm, KVM_CREATE_VCPU, 1)), "KVM_CREATE_VCPU id=1");
	gic_vm_free(&v);

	t_section("nr_irqs: no vCPU");
	v = gic_vm_new(kvm, V2, 0, false, true);
	t_get32(v.gic, G_DIST, V2_ATTR(0, 0x000), NULL);
	t_has(v.gic, G_DIST, V2_ATTR(0, 0x000));
	t_has(v.gic, G_CPU, V2_ATTR(0, 0x000));
	t_get32(v.gic, G_CPU, V2_ATTR(0, 0x000), NULL);
	t_set32(v.gic, G_CPU, V2_ATTR(0, 0x000), 0);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	t_set32(v.gic, G_NRIRQS, 0, 64);
	gic_vm_free(&v);
}

static void ctrl(void)
{
	struct gic_vm v;
	__u64 a;

	t_section("ctrl");
	v = gic_vm_new(kvm, V2, 1, false, true);
	for (a = 0; a <= 6; a++)
		t_has(v.gic, G_CTRL, a);
	for (a = 1; a <= 6; a++)
		t_ctrl(v.gic, a);
	t_has(v.gic, G_REDIST, 0);
	t_has(v.gic, G_SYSREGS, SYSREG(3, 0, 4, 6, 0));
	t_has(v.gic, G_LEVEL, 0);
	t_has(v.gic, G_MAINT, 0);
	t_get32(v.gic, G_REDIST, 0, NULL);
	t_get32(v.gic, G_LEVEL, 0, NULL);
	t_get32(v.gic, G_MAINT, 0, NULL);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_get32(v.gic, G_NRIRQS, 0, NULL);
	gic_vm_free(&v);
}

static void dump(struct gic_vm *v, bool full, bool first)
{
	const char *when = first ? "before writes" : "after writes";
	int c;
	size_t i;

	for (c = 0; c < v->nvcpus; c++) {
		t_section("DIST_REGS cpu %d %s", c, when);
		if (full) {
			if (first && c == 0)
				t_scan(v->gic, G_DIST, c, 0, 0x1000, 4, T_HAS);
			t_scan(v->gic, G_DIST, c, 0, 0x1000, 4, T_GET32);
		} else {
			for (i = 0; i < ARRAY_SIZE(dist_list); i++)
				t_get32(v->gic, G_DIST, V2_ATTR(c, dist_list[i]), NULL);
		}
		t_section("CPU_REGS cpu %d %s", c, when);
		if (full) {
			if (first && c == 0)
				t_scan(v->gic, G_CPU, c, 0, 0x2000, 4, T_HAS);
			t_scan(v->gic, G_CPU, c, 0, 0x2000, 4, T_GET32);
		} else {
			for (i = 0; i < ARRAY_SIZE(cpu_list); i++)
				t_get32(v->gic, G_CPU, V2_ATTR(c, cpu_list[i]), NULL);
		}
	}
}

/* set then get, the common pattern of the writes. */
static void sg(int g, __u32 group, __u32 cpu, __u32 off, __u32 val)
{
	t_set32(g, group, V2_ATTR(cpu, off), val);
	t_get32(g, group, V2_ATTR(cpu, off), NULL);
}

static void writes(struct gic_vm *v)
{
	int g = v->gic;
	__u32 c1 = v->nvcpus > 1 ? 1 : 0;

	t_section("writes: DIST_REGS");
	sg(g, G_DIST, 0, 0x000, 0x1);
	sg(g, G_DIST, 0, 0x000, 0xffffffff);
	sg(g, G_DIST, 0, 0x000, 0x0);
	sg(g, G_DIST, 0, 0x004, 0);
	sg(g, G_DIST, 0, 0x008, 0);
	sg(g, G_DIST, 0, 0x080, 0xffffffff);
	sg(g, G_DIST, 0, 0x084, 0x0000ffff);
	sg(g, G_DIST, 0, 0x104, 0x00000005);
	t_get32(g, G_DIST, V2_ATTR(0, 0x184), NULL);
	t_set32(g, G_DIST, V2_ATTR(0, 0x184), 0x00000001);
	t_get32(g, G_DIST, V2_ATTR(0, 0x104), NULL);
	sg(g, G_DIST, 0, 0x100, 0xffffffff);
	t_get32(g, G_DIST, V2_ATTR(c1, 0x100), NULL);
	sg(g, G_DIST, 0, 0x204, 0x00000030);
	t_get32(g, G_DIST, V2_ATTR(0, 0x284), NULL);
	t_set32(g, G_DIST, V2_ATTR(0, 0x284), 0x00000010);
	t_get32(g, G_DIST, V2_ATTR(0, 0x204), NULL);
	sg(g, G_DIST, 0, 0x200, 0x0000ffff);
	t_get32(g, G_DIST, V2_ATTR(c1, 0x200), NULL);
	sg(g, G_DIST, 0, 0x304, 0x00000300);
	t_set32(g, G_DIST, V2_ATTR(0, 0x384), 0x00000100);
	t_get32(g, G_DIST, V2_ATTR(0, 0x304), NULL);
	sg(g, G_DIST, 0, 0x420, 0xffffffff);
	sg(g, G_DIST, 0, 0x424, 0x12345678);
	sg(g, G_DIST, 0, 0x400, 0x40404040);
	t_get32(g, G_DIST, V2_ATTR(c1, 0x400), NULL);
	sg(g, G_DIST, 0, 0x800, 0xffffffff);
	sg(g, G_DIST, 0, 0x81c, 0xffffffff);
	sg(g, G_DIST, 0, 0x820, 0x02020202);
	sg(g, G_DIST, 0, 0x824, 0xffffffff);
	sg(g, G_DIST, 0, 0x828, 0x00000000);
	t_get32(g, G_DIST, V2_ATTR(c1, 0x820), NULL);
	t_get32(g, G_DIST, V2_ATTR(c1, 0x800), NULL);
	sg(g, G_DIST, 0, 0xc00, 0x00000000);
	sg(g, G_DIST, 0, 0xc04, 0xffffffff);
	sg(g, G_DIST, 0, 0xc08, 0xffffffff);
	sg(g, G_DIST, 0, 0xc0c, 0x55555555);
	sg(g, G_DIST, 0, 0xe00, 0xffffffff);
	t_set32(g, G_DIST, V2_ATTR(0, 0xf00), 0x00020001);
	t_get32(g, G_DIST, V2_ATTR(c1, 0xf10), NULL);
	t_get32(g, G_DIST, V2_ATTR(c1, 0x200), NULL);
	sg(g, G_DIST, 0, 0xf20, 0x01020304);
	t_get32(g, G_DIST, V2_ATTR(0, 0xf10), NULL);
	t_set32(g, G_DIST, V2_ATTR(0, 0xf10), 0x00000004);
	t_get32(g, G_DIST, V2_ATTR(0, 0xf20), NULL);
	sg(g, G_DIST, 0, 0xfe8, 0);
	t_get32(g, G_DIST, V2_ATTR(0, 0x001), NULL);
	t_get32(g, G_DIST, V2_ATTR(0, 0x1000), NULL);
	t_get32(g, G_DIST, V2_ATTR(2, 0x000), NULL);
	t_get32(g, G_DIST, V2_ATTR(0x100, 0x000), NULL);
	t_has(g, G_DIST, V2_ATTR(0, 0x001));
	t_has(g, G_DIST, V2_ATTR(0, 0x1000));
	t_has(g, G_DIST, V2_ATTR(2, 0x000));
	t_set_null(g, G_DIST, V2_ATTR(0, 0x000));
	t_get_null(g, G_DIST, V2_ATTR(0, 0x000));

	t_section("writes: CPU_REGS");
	sg(g, G_CPU, 0, 0x00, 0x1);
	sg(g, G_CPU, 0, 0x00, 0xffffffff);
	sg(g, G_CPU, 0, 0x04, 0xff);
	sg(g, G_CPU, 0, 0x04, 0xa0);
	sg(g, G_CPU, 0, 0x08, 0x7);
	sg(g, G_CPU, 0, 0x08, 0x2);
	sg(g, G_CPU, 0, 0x1c, 0x7);
	sg(g, G_CPU, 0, 0x1c, 0x3);
	sg(g, G_CPU, 0, 0xd0, 0x80000001);
	sg(g, G_CPU, 0, 0xd4, 0x1);
	sg(g, G_CPU, 0, 0xe0, 0x1);
	sg(g, G_CPU, 0, 0xfc, 0);
	sg(g, G_CPU, 0, 0x0c, 0);
	sg(g, G_CPU, 0, 0x10, 0x20);
	sg(g, G_CPU, 0, 0x1000, 0x20);
	t_get32(g, G_CPU, V2_ATTR(c1, 0x04), NULL);
	t_get32(g, G_CPU, V2_ATTR(0, 0x002), NULL);
	t_get32(g, G_CPU, V2_ATTR(0, 0x2000), NULL);
	t_get32(g, G_CPU, V2_ATTR(2, 0x000), NULL);
	t_has(g, G_CPU, V2_ATTR(0, 0x002));
	t_has(g, G_CPU, V2_ATTR(2, 0x000));
	t_set_null(g, G_CPU, V2_ATTR(0, 0x04));
	t_get_null(g, G_CPU, V2_ATTR(0, 0x04));
}

struct reg {
	__u32 group;
	__u64 attr;
	__u32 val;
	long r;
};

#define MAX_REGS 256

/* What QEMU saves (hw/intc/arm_gic_kvm.c), per vCPU for the banked registers. */
static size_t state_list(struct reg *r, int nvcpus)
{
	static const __u32 cpuif[] = { 0x00, 0x04, 0x08, 0x1c, 0xd0, 0xd4, 0xd8, 0xdc };
	size_t n = 0, i;
	__u32 off;
	int c;

#define ADD(g, c, o) do {							\
	r[n] = (struct reg){ .group = (g), .attr = V2_ATTR(c, o) };	\
	n++;								\
} while (0)
	ADD(G_DIST, 0, 0x000);
	for (c = 0; c < nvcpus; c++) {
		ADD(G_DIST, c, 0x080);
		ADD(G_DIST, c, 0x100);
		ADD(G_DIST, c, 0x200);
		ADD(G_DIST, c, 0x300);
		for (off = 0; off < 32; off += 4) {
			ADD(G_DIST, c, 0x400 + off);
			ADD(G_DIST, c, 0x800 + off);
		}
		ADD(G_DIST, c, 0xc00);
		ADD(G_DIST, c, 0xc04);
		for (off = 0; off < 16; off += 4)
			ADD(G_DIST, c, 0xf20 + off);
		for (i = 0; i < ARRAY_SIZE(cpuif); i++)
			ADD(G_CPU, c, cpuif[i]);
	}
	for (off = 4; off < NR_IRQS / 8; off += 4) {
		ADD(G_DIST, 0, 0x080 + off);
		ADD(G_DIST, 0, 0x100 + off);
		ADD(G_DIST, 0, 0x200 + off);
		ADD(G_DIST, 0, 0x300 + off);
	}
	for (off = 32; off < NR_IRQS; off += 4) {
		ADD(G_DIST, 0, 0x400 + off);
		ADD(G_DIST, 0, 0x800 + off);
	}
	for (off = 8; off < NR_IRQS / 4; off += 4)
		ADD(G_DIST, 0, 0xc00 + off);
#undef ADD
	return n;
}

static void save(int gic, struct reg *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		__u32 v = 0;

		r[i].r = t_attr_ioctl(gic, KVM_GET_DEVICE_ATTR, r[i].group, r[i].attr, &v);
		r[i].val = v;
		if (r[i].r)
			printf("save: get %s => -1 %s\n", t_attr_desc(r[i].group, r[i].attr),
			       t_errno_name(t_err));
	}
}

/* QEMU clears the set/clear pairs (ICENABLER, ICPENDR, ICACTIVER, CPENDSGIR) before setting. */
static void restore(int gic, const struct reg *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		__u32 off = (__u32)r[i].attr, v = r[i].val, ones = 0xffffffff;
		__u64 hi = r[i].attr & ~0xffffffffULL;
		long ret;

		if (r[i].group == G_DIST && ((off >= 0x100 && off < 0x180) ||
					     (off >= 0x200 && off < 0x280) ||
					     (off >= 0x300 && off < 0x380))) {
			ret = t_attr_ioctl(gic, KVM_SET_DEVICE_ATTR, G_DIST, hi | (off + 0x80),
					   &ones);
			if (ret)
				printf("restore: clear %s => -1 %s\n",
				       t_attr_desc(G_DIST, hi | (off + 0x80)), t_errno_name(t_err));
		}
		if (r[i].group == G_DIST && off >= 0xf20 && off < 0xf30) {
			ret = t_attr_ioctl(gic, KVM_SET_DEVICE_ATTR, G_DIST, hi | (off - 0x10),
					   &ones);
			if (ret)
				printf("restore: clear %s => -1 %s\n",
				       t_attr_desc(G_DIST, hi | (off - 0x10)), t_errno_name(t_err));
		}
		ret = t_attr_ioctl(gic, KVM_SET_DEVICE_ATTR, r[i].group, r[i].attr, &v);
		if (ret)
			printf("restore: set %s 0x%x => -1 %s\n",
			       t_attr_desc(r[i].group, r[i].attr), v, t_errno_name(t_err));
	}
}

static void roundtrip(struct gic_vm *src)
{
	static struct reg a[MAX_REGS], b[MAX_REGS];
	size_t n, i, diff = 0, nonzero = 0;
	struct gic_vm dst;

	t_section("roundtrip: save, new VM, restore (QEMU's order), save again");
	n = state_list(a, src->nvcpus);
	save(src->gic, a, n);
	for (i = 0; i < n; i++)
		nonzero += a[i].val != 0;
	printf("roundtrip: saved %zu values, %zu non-zero\n", n, nonzero);
	dst = gic_vm_new(kvm, V2, src->nvcpus, true, true);
	t_set32(dst.gic, G_NRIRQS, 0, NR_IRQS);
	t_ctrl(dst.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_set64(dst.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(dst.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, GPA_CPUIF);
	memcpy(b, a, n * sizeof(a[0]));
	restore(dst.gic, b, n);
	save(dst.gic, b, n);
	for (i = 0; i < n; i++) {
		if (a[i].r == b[i].r && a[i].val == b[i].val)
			continue;
		diff++;
		printf("roundtrip: %s: 0x%x => 0x%x\n", t_attr_desc(a[i].group, a[i].attr),
		       a[i].val, b[i].val);
	}
	printf("roundtrip: %zu values, %zu differ\n", n, diff);
	gic_vm_free(&dst);
}

static void scenario(int nvcpus, bool init, bool full)
{
	struct gic_vm v;

	t_section("scenario: %d vCPU%s, %s KVM_ARM_VCPU_INIT%s", nvcpus, nvcpus > 1 ? "s" : "",
		  init ? "after" : "without", full ? ", every offset" : "");
	v = gic_vm_new(kvm, V2, nvcpus, init, true);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, GPA_CPUIF);
	t_set32(v.gic, G_NRIRQS, 0, NR_IRQS);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	dump(&v, full, true);
	writes(&v);
	dump(&v, full, false);
	if (full)
		roundtrip(&v);
	gic_vm_free(&v);
}

static void buffers(void)
{
	struct gic_vm v;

	t_section("buffers: values that straddle a read-only page");
	v = gic_vm_new(kvm, V2, 1, true, true);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, GPA_DIST);
	t_set64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, GPA_CPUIF);
	t_set32(v.gic, G_NRIRQS, 0, NR_IRQS);
	t_ctrl(v.gic, KVM_DEV_ARM_VGIC_CTRL_INIT);
	t_get_straddle("u64", v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, 8);
	t_get_straddle("u32", v.gic, G_NRIRQS, 0, 4);
	t_get_straddle("u32", v.gic, G_DIST, V2_ATTR(0, 0x0004), 4);
	t_get_straddle("u32", v.gic, G_CPU, V2_ATTR(0, 0x0004), 4);
	t_get64(v.gic, G_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, NULL);
	gic_vm_free(&v);
}

int main(int argc, char **argv)
{
	t_init(argc, argv);
	t_gic = 2;
	kvm = t_open_node();

	t_host(kvm, true);
	create();
	addr();
	legacy_addr();
	nr_irqs();
	ctrl();
	scenario(1, false, false);
	scenario(2, true, true);
	buffers();
	t_section("end");
	return 0;
}
