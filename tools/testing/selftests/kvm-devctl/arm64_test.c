// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 node, /dev/kvm-devctl-arm64: system, VM and vCPU answers of arm64
 * KVM 7.3 on a GICv3 host (QEMU virt,gic-version=3, -cpu max); and the arm64
 * node of a GICv2 host, /dev/kvm-devctl-arm64-gicv2 (virt,gic-version=2),
 * where they differ: the VGIC type offered, the vCPU limit, the legacy ioctls.
 *
 * Expectations follow arch/arm64/kvm/arm.c (kvm_vm_ioctl_check_extension(),
 * kvm_arch_init_vm(), kvm_arch_vcpu_precreate(), kvm_arch_vm_ioctl(),
 * kvm_arch_vcpu_ioctl_vcpu_init(), kvm_vcpu_init_check_features()),
 * arch/arm64/kvm/mmu.c (kvm_init_ipa_range(), kvm_arch_prepare_memory_region()),
 * arch/arm64/kvm/vgic/vgic-init.c (kvm_vgic_create()) and the generic
 * virt/kvm/kvm_main.c; the golden transcripts under vgic/golden/ were taken
 * on that host. The real /dev/kvm of the guest is x86, so there is no
 * reference variant here: vgic_golden_test compares with real arm64 KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/kvm_arm_vgic.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

#define ARM64_NODE "/dev/kvm-devctl-arm64"
#define ARM64_GICV2_NODE "/dev/kvm-devctl-arm64-gicv2"

FIXTURE(arm64) {
	int sys;
	int vm;
};

FIXTURE_SETUP(arm64)
{
	self->sys = open(ARM64_NODE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->sys);
	self->vm = ioctl(self->sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
}

FIXTURE_TEARDOWN(arm64)
{
	if (self->vm >= 0)
		close(self->vm);
	if (self->sys >= 0)
		close(self->sys);
}

/* The capabilities of the golden "## host" lines, and the vCPU limits of a GICv3 host. */
TEST_F(arm64, check_extension)
{
	EXPECT_RET(KVM_API_VERSION, ioctl(self->sys, KVM_GET_API_VERSION, 0));
	EXPECT_RET(1, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
	EXPECT_RET(1, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SET_DEVICE_ADDR));
	EXPECT_RET(52, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE));
	EXPECT_RET(1, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	EXPECT_RET(1, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM));
	EXPECT_RET(512, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	EXPECT_RET(512, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID));
	EXPECT_RET(32767, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS));
	/* kvm_vm_ioctl_check_extension(): no VM, no MSI_DEVID answer. */
	EXPECT_ERRNO(EINVAL, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID));
	EXPECT_RET(0, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID));
	/* x86-only capabilities are unknown here. */
	EXPECT_RET(0, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_PIT2));
	/* arm64's kvm_arch_dev_ioctl() answers every other system ioctl with EINVAL. */
	EXPECT_ERRNO(EINVAL, ioctl(self->sys, KVM_HAS_DEVICE_ATTR, NULL));
}

/* kvm_init_ipa_range(): type 0 is 40 bits, else 32..52 bits; bit 31 needs pKVM. */
TEST_F(arm64, vm_types)
{
	static const unsigned long bad[] = { 31, 53, 0xff, 0x100, 1UL << 31, 1UL << 32 };
	static const unsigned long good[] = { 32, 40, 48, 52 };
	unsigned int i;
	int vm;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_ERRNO(EINVAL, ioctl(self->sys, KVM_CREATE_VM, bad[i]));
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		vm = ioctl(self->sys, KVM_CREATE_VM, good[i]);
		EXPECT_LE(0, vm);
		if (vm >= 0)
			close(vm);
	}
}

/* Generic KVM_GET_VCPU_MMAP_SIZE without x86's PIO page: kvm_run and the MMIO ring. */
TEST_F(arm64, vcpu_mmap)
{
	long page = sysconf(_SC_PAGESIZE);
	int vcpu;
	char *p;

	EXPECT_RET(2 * page, ioctl(self->sys, KVM_GET_VCPU_MMAP_SIZE, 0));
	vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpu);
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* Page 1 is the VM's coalesced MMIO ring: shared by every vCPU. */
	p[page] = 0x5a;
	EXPECT_EQ(0, munmap(p, 2 * page));
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, vcpu, page);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0x5a, p[0]);
	EXPECT_EQ(0, munmap(p, page));
	close(vcpu);
}

/*
 * kvm_vm_ioctl_create_vcpu(): ids below KVM_MAX_VCPU_IDS (512 on arm64), at
 * most kvm->max_vcpus (512 on a GICv3 host) vCPUs, and arm64's precreate
 * refuses an id of max_vcpus or more.
 */
TEST_F(arm64, vcpu_ids)
{
	int a, b;

	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_CREATE_VCPU, 512));
	a = ioctl(self->vm, KVM_CREATE_VCPU, 511);
	EXPECT_LE(0, a);
	EXPECT_ERRNO(EEXIST, ioctl(self->vm, KVM_CREATE_VCPU, 511));
	b = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	EXPECT_LE(0, b);
	close(a);
	close(b);
}

/* KVM_ARM_PREFERRED_TARGET and KVM_ARM_VCPU_INIT's target and feature checks. */
TEST_F(arm64, vcpu_init)
{
	struct kvm_vcpu_init init, bad;
	int v0, v1;

	memset(&init, 0xa5, sizeof(init));
	ASSERT_RET(0, ioctl(self->vm, KVM_ARM_PREFERRED_TARGET, &init));
	EXPECT_EQ(KVM_ARM_TARGET_GENERIC_V8, init.target);
	for (int i = 0; i < 7; i++)
		EXPECT_EQ(0, init.features[i]);
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_ARM_PREFERRED_TARGET, NULL));

	v0 = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	v1 = ioctl(self->vm, KVM_CREATE_VCPU, 1);
	ASSERT_LE(0, v0);
	ASSERT_LE(0, v1);
	EXPECT_ERRNO(EFAULT, ioctl(v0, KVM_ARM_VCPU_INIT, NULL));
	bad = init;
	bad.target = KVM_ARM_TARGET_CORTEX_A57;
	EXPECT_ERRNO(EINVAL, ioctl(v0, KVM_ARM_VCPU_INIT, &bad));
	/* Unknown feature bits, in word 0 or beyond: ENOENT. */
	bad = init;
	bad.features[0] = 1U << 10;
	EXPECT_ERRNO(ENOENT, ioctl(v0, KVM_ARM_VCPU_INIT, &bad));
	bad = init;
	bad.features[1] = 1;
	EXPECT_ERRNO(ENOENT, ioctl(v0, KVM_ARM_VCPU_INIT, &bad));
	/* Known but not offered by the modelled host (no SVE): EINVAL. */
	bad = init;
	bad.features[0] = 1U << KVM_ARM_VCPU_SVE;
	EXPECT_ERRNO(EINVAL, ioctl(v0, KVM_ARM_VCPU_INIT, &bad));

	/* The first init fixes the VM's features; POWER_OFF is per call. */
	bad = init;
	bad.features[0] = 1U << KVM_ARM_VCPU_PSCI_0_2 | 1U << KVM_ARM_VCPU_POWER_OFF;
	EXPECT_RET(0, ioctl(v0, KVM_ARM_VCPU_INIT, &bad));
	EXPECT_RET(0, ioctl(v0, KVM_ARM_VCPU_INIT, &bad));
	EXPECT_ERRNO(EINVAL, ioctl(v1, KVM_ARM_VCPU_INIT, &init));
	bad.features[0] = 1U << KVM_ARM_VCPU_PSCI_0_2;
	EXPECT_RET(0, ioctl(v1, KVM_ARM_VCPU_INIT, &bad));
	EXPECT_ERRNO(EINVAL, ioctl(v0, KVM_ARM_VCPU_INIT, &init));
	close(v0);
	close(v1);
}

static long set_region(int vm, __u32 slot, __u32 flags, __u64 gpa, __u64 size, void *mem)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (unsigned long)mem,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr);
}

/* kvm_set_memory_region() and arm64's kvm_arch_prepare_memory_region(). */
TEST_F(arm64, memslots)
{
	size_t sz = 0x100000;
	char *mem = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int vm52;

	ASSERT_NE(MAP_FAILED, mem);
	EXPECT_RET(0, set_region(self->vm, 0, 0, 0x40000000, sz, mem));
	EXPECT_ERRNO(EEXIST, set_region(self->vm, 1, 0, 0x40080000, sz, mem));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 1, 0x4, 0x40100000, sz, mem));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 1, 0, 0x40100000, sz, mem + 8));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 1, 0, 0x40100000, sz + 1, mem));
	/* The last megabyte of a 40-bit IPA space, and just beyond it. */
	EXPECT_RET(0, set_region(self->vm, 1, 0, (1ULL << 40) - sz, sz, mem));
	EXPECT_ERRNO(EFAULT, set_region(self->vm, 2, 0, 1ULL << 40, sz, mem));
	EXPECT_ERRNO(EFAULT, set_region(self->vm, 0, 0, 1ULL << 40, sz, mem));
	/* A 52-bit VM takes what a 40-bit one refuses. */
	vm52 = ioctl(self->sys, KVM_CREATE_VM, 52);
	ASSERT_LE(0, vm52);
	EXPECT_RET(0, set_region(vm52, 2, 0, 1ULL << 40, sz, mem));
	close(vm52);
	/* Delete, and delete again. */
	EXPECT_RET(0, set_region(self->vm, 1, 0, 0, 0, NULL));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 1, 0, 0, 0, NULL));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 32767, 0, 0x40300000, sz, mem));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 1 << 16, 0, 0x40300000, sz, mem));
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, NULL));
	munmap(mem, sz);
}

/*
 * The legacy GICv2 ioctls on a GICv3 host: kvm_vgic_create() cannot emulate
 * a GICv2 and kvm_set_legacy_vgic_v2_addr() finds no GICv2: ENODEV.
 */
TEST_F(arm64, legacy_vgic)
{
	struct kvm_arm_device_addr da = { .id = 0, .addr = 0x8000000 };

	EXPECT_ERRNO(ENODEV, ioctl(self->vm, KVM_CREATE_IRQCHIP, 0));
	EXPECT_ERRNO(ENODEV, ioctl(self->vm, KVM_ARM_SET_DEVICE_ADDR, &da));
	da.id = 1ULL << KVM_ARM_DEVICE_ID_SHIFT;
	EXPECT_ERRNO(ENODEV, ioctl(self->vm, KVM_ARM_SET_DEVICE_ADDR, &da));
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_ARM_SET_DEVICE_ADDR, NULL));
	/* kvm_arch_vm_ioctl() of arm64: EINVAL for what it does not know. */
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_GET_DIRTY_LOG, NULL));
}

/* The arm64 node's device types include kvm-vfio; the x86 node has no VGIC. */
TEST_F(arm64, device_types)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO, .flags = KVM_CREATE_DEVICE_TEST };
	int x86, vm;

	EXPECT_RET(0, ioctl(self->vm, KVM_CREATE_DEVICE, &cd));
	x86 = open(KVM_DEVCTL_NODE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, x86);
	vm = ioctl(x86, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	cd.type = KVM_DEV_TYPE_ARM_VGIC_V3;
	EXPECT_ERRNO(ENODEV, ioctl(vm, KVM_CREATE_DEVICE, &cd));
	/* x86 VMs keep x86's answers: no memslots, ENOTTY for arm64's ioctls. */
	EXPECT_ERRNO(ENOTTY, ioctl(vm, KVM_ARM_PREFERRED_TARGET, NULL));
	close(vm);
	close(x86);
}

FIXTURE(gicv2) {
	int sys;
	int vm;
};

FIXTURE_SETUP(gicv2)
{
	self->sys = open(ARM64_GICV2_NODE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->sys);
	self->vm = ioctl(self->sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
}

FIXTURE_TEARDOWN(gicv2)
{
	if (self->vm >= 0)
		close(self->vm);
	if (self->sys >= 0)
		close(self->sys);
}

/*
 * kvm_vgic_get_max_vcpus() on a GICv2 host: VGIC_V2_MAX_CPUS bounds every VM,
 * a VGIC or not; KVM_MAX_VCPU_IDS stays 512. The rest is as on a GICv3 host.
 */
TEST_F(gicv2, check_extension)
{
	EXPECT_RET(KVM_API_VERSION, ioctl(self->sys, KVM_GET_API_VERSION, 0));
	EXPECT_RET(1, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	EXPECT_RET(1, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SET_DEVICE_ADDR));
	EXPECT_RET(52, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE));
	EXPECT_RET(8, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	EXPECT_RET(8, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID));
	EXPECT_RET(32767, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS));
}

/* kvm_arch_vcpu_precreate(): an id of max_vcpus (8) or more is EINVAL. */
TEST_F(gicv2, vcpu_ids)
{
	int a;

	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_CREATE_VCPU, 8));
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_CREATE_VCPU, 511));
	a = ioctl(self->vm, KVM_CREATE_VCPU, 7);
	EXPECT_LE(0, a);
	close(a);
}

/* vgic_v2_probe() registers kvm-arm-vgic-v2 only: no GICv3, no ITS. */
TEST_F(gicv2, device_types)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V2,
					.flags = KVM_CREATE_DEVICE_TEST };

	EXPECT_RET(0, ioctl(self->vm, KVM_CREATE_DEVICE, &cd));
	cd.type = KVM_DEV_TYPE_ARM_VGIC_V3;
	EXPECT_ERRNO(ENODEV, ioctl(self->vm, KVM_CREATE_DEVICE, &cd));
	cd.type = KVM_DEV_TYPE_ARM_VGIC_ITS;
	EXPECT_ERRNO(ENODEV, ioctl(self->vm, KVM_CREATE_DEVICE, &cd));
	cd.type = KVM_DEV_TYPE_VFIO;
	EXPECT_RET(0, ioctl(self->vm, KVM_CREATE_DEVICE, &cd));
	/* The GICv3 host still refuses a GICv2. */
	{
		int sys = open(ARM64_NODE, O_RDWR | O_CLOEXEC), vm;

		ASSERT_LE(0, sys);
		vm = ioctl(sys, KVM_CREATE_VM, 0);
		ASSERT_LE(0, vm);
		cd.type = KVM_DEV_TYPE_ARM_VGIC_V2;
		EXPECT_ERRNO(ENODEV, ioctl(vm, KVM_CREATE_DEVICE, &cd));
		close(vm);
		close(sys);
	}
}

/*
 * The legacy ioctls reach the same VGIC as the device: KVM_CREATE_IRQCHIP
 * creates a GICv2 (then EEXIST, for the device too), KVM_ARM_SET_DEVICE_ADDR
 * sets what the ADDR group reads, and the other way round.
 */
TEST_F(gicv2, legacy_vgic)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V2 };
	struct kvm_arm_device_addr da = { .id = KVM_VGIC_V2_ADDR_TYPE_DIST, .addr = 0x8000000 };
	__u64 addr = 0x8010000;
	struct kvm_device_attr attr = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V2_ADDR_TYPE_CPU,
		.addr = (__u64)(unsigned long)&addr,
	};
	int vcpu, gic;

	vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpu);
	EXPECT_ERRNO(ENODEV, ioctl(self->vm, KVM_ARM_SET_DEVICE_ADDR, &da));
	gic = ioctl(self->vm, KVM_CREATE_DEVICE, &cd) ? -1 : (int)cd.fd;
	ASSERT_LE(0, gic);
	EXPECT_ERRNO(EEXIST, ioctl(self->vm, KVM_CREATE_IRQCHIP, 0));
	EXPECT_RET(0, ioctl(self->vm, KVM_ARM_SET_DEVICE_ADDR, &da));
	EXPECT_ERRNO(EEXIST, ioctl(self->vm, KVM_ARM_SET_DEVICE_ADDR, &da));
	EXPECT_RET(0, ioctl(gic, KVM_SET_DEVICE_ATTR, &attr));
	da.id = KVM_VGIC_V2_ADDR_TYPE_CPU;
	da.addr = 0x9000000;
	EXPECT_ERRNO(EEXIST, ioctl(self->vm, KVM_ARM_SET_DEVICE_ADDR, &da));
	attr.attr = KVM_VGIC_V2_ADDR_TYPE_DIST;
	addr = 0;
	EXPECT_RET(0, ioctl(gic, KVM_GET_DEVICE_ATTR, &attr));
	EXPECT_EQ(0x8000000, addr);
	close(gic);
	close(vcpu);
	close(self->vm);
	self->vm = ioctl(self->sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
	EXPECT_RET(0, ioctl(self->vm, KVM_CREATE_IRQCHIP, 0));
	EXPECT_ERRNO(EEXIST, ioctl(self->vm, KVM_CREATE_IRQCHIP, 0));
	cd.flags = 0;
	EXPECT_ERRNO(EEXIST, ioctl(self->vm, KVM_CREATE_DEVICE, &cd));
}

TEST_HARNESS_MAIN
