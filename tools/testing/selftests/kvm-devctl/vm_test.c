// SPDX-License-Identifier: GPL-2.0
/*
 * The VM file: KVM_CREATE_VM and what the VM fd answers on the generic paths.
 *
 * Every expectation is read from the pinned kernel source (cited per test)
 * and is checked against both /dev/kvm-devctl and the real /dev/kvm in the
 * same guest, so a wrong expectation fails on the reference variant.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

FIXTURE(vm) {
	int sys;
	int vm;
};

NODE_VARIANTS(vm);

FIXTURE_SETUP(vm)
{
	NODE_OPEN_VM(variant->path, self->sys, self->vm);
}

FIXTURE_TEARDOWN(vm)
{
	if (self->vm >= 0)
		close(self->vm);
	if (self->sys >= 0)
		close(self->sys);
}

/*
 * kvm_dev_ioctl_create_vm() reserves the fd with get_unused_fd_flags() before
 * creating the VM: type 0 (KVM_X86_DEFAULT_VM) returns the lowest free fd.
 */
TEST_F(vm, create_type0_lowest_fd)
{
	int expect = lowest_free_fd();
	int vm2;

	vm2 = ioctl(self->sys, KVM_CREATE_VM, 0);
	ASSERT_EQ(expect, vm2);
	EXPECT_EQ(0, close(vm2));
}

/*
 * kvm_arch_init_vm() -> kvm_is_vm_type_supported(): type < 32 and its bit in
 * kvm_caps.supported_vm_types. The guest kernel has neither
 * CONFIG_KVM_SW_PROTECTED_VM (type 1) nor SEV (2, 3, 4) nor TDX (5), so only
 * type 0 is supported; anything else is EINVAL, and the reserved fd is
 * released (put_unused_fd()), leaving no descriptor behind.
 */
TEST_F(vm, create_bad_types)
{
	static const unsigned long types[] = {
		1, 2, 3, 4, 5, 31, 32, 0x80000000UL, 0xffffffffUL,
		0x100000000UL, ~0UL,
	};
	int before = count_fds();
	int free_fd = lowest_free_fd();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		struct sysret s = SYS(ioctl(self->sys, KVM_CREATE_VM, types[i]));

		EXPECT_EQ(-1, s.ret) TH_LOG("type %#lx", types[i]);
		EXPECT_STREQ("EINVAL", errno_name(s.err)) TH_LOG("type %#lx", types[i]);
	}
	EXPECT_EQ(before, count_fds());
	EXPECT_EQ(free_fd, lowest_free_fd());
}

/*
 * The VM fd: get_unused_fd_flags(O_CLOEXEC) and
 * anon_inode_getfile("kvm-vm", ..., O_RDWR) in kvm_dev_ioctl_create_vm().
 */
TEST_F(vm, fd_flags)
{
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->vm, F_GETFD));
	EXPECT_EQ(O_RDWR, fcntl(self->vm, F_GETFL) & O_ACCMODE);
}

/* anon_inodefs_dname() names the file "anon_inode:<name>", name "kvm-vm". */
TEST_F(vm, fd_name)
{
	char buf[128];

	EXPECT_STREQ("anon_inode:kvm-vm", fd_name(self->vm, buf, sizeof(buf)));
}

/*
 * kvm_vm_ioctl_check_extension_generic() returns 1 for KVM_CAP_DEVICE_CTRL,
 * both from kvm_dev_ioctl() (kvm == NULL) and from kvm_vm_ioctl().
 */
TEST_F(vm, check_extension_device_ctrl)
{
	EXPECT_RET(1, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
	EXPECT_RET(1, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
}

/*
 * kvm_dev_ioctl(): KVM_GET_VCPU_MMAP_SIZE is PAGE_SIZE (kvm_run), plus one
 * page for PIO data (CONFIG_X86) and one for the coalesced MMIO ring
 * (CONFIG_KVM_MMIO, set in the guest): three pages. The value must also be
 * the same as the reference node's; a nonzero argument is EINVAL.
 */
TEST_F(vm, vcpu_mmap_size)
{
	long size = ioctl(self->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	int ref = open_node(KVM_NODE);

	EXPECT_EQ(3L * getpagesize(), size);
	if (ref >= 0) {
		EXPECT_EQ(ioctl(ref, KVM_GET_VCPU_MMAP_SIZE, 0), size);
		close(ref);
	}
	EXPECT_ERRNO(EINVAL, ioctl(self->sys, KVM_GET_VCPU_MMAP_SIZE, 1));
	EXPECT_ERRNO(EINVAL, ioctl(self->sys, KVM_GET_VCPU_MMAP_SIZE, ~0UL));
}

/*
 * Unknown VM ioctls fall through kvm_vm_ioctl() to kvm_arch_vm_ioctl(),
 * whose r starts as -ENOTTY (arch/x86/kvm/x86.c). System-only ioctls are
 * unknown there too: the VM fd does not answer KVM_GET_API_VERSION.
 */
TEST_F(vm, unknown_ioctl)
{
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, _IO(KVMIO, 0xff), 0));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, _IOW('x', 0x01, int), 0));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, KVM_GET_API_VERSION, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, KVM_GET_VCPU_MMAP_SIZE, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, KVM_CREATE_VM, 0));
}

/*
 * kvm_vm_ioctl() starts with "if (kvm->mm != current->mm || kvm->vm_dead)
 * return -EIO": a forked child shares the fd but not the mm, so every VM
 * ioctl fails with EIO before the ioctl number is even looked at.
 */
TEST_F(vm, forked_child_eio)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	struct sysret s;

	s = child_ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL);
	EXPECT_EQ(-1, s.ret);
	EXPECT_STREQ("EIO", errno_name(s.err));
	s = child_ioctl(self->vm, KVM_CREATE_DEVICE, (unsigned long)&cd);
	EXPECT_EQ(-1, s.ret);
	EXPECT_STREQ("EIO", errno_name(s.err));
	s = child_ioctl(self->vm, _IO(KVMIO, 0xff), 0);
	EXPECT_EQ(-1, s.ret);
	EXPECT_STREQ("EIO", errno_name(s.err));
	/* Still the owner's VM. */
	EXPECT_RET(1, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
}

/*
 * kvm_dev_ioctl() has no mm check: a forked child may use the inherited
 * system fd, and the VM it creates is its own.
 */
TEST_F(vm, forked_child_system_fd)
{
	struct sysret s;

	s = child_ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL);
	EXPECT_EQ(1, s.ret);
	s = child_ioctl(self->sys, KVM_CREATE_VM, 0);
	EXPECT_LE(0, s.ret) TH_LOG("child KVM_CREATE_VM: %s", errno_name(s.err));
}

/*
 * kvm_vm_fops has no read/write: vfs_read()/vfs_write() return -EINVAL as
 * the file is open for both (FMODE_READ/WRITE) without FMODE_CAN_READ/WRITE.
 * It has .llseek = noop_llseek (the position, 0) and no .mmap: do_mmap()
 * fails can_mmap_file() with -ENODEV.
 */
TEST_F(vm, read_write_lseek_mmap)
{
	char buf[8] = { 0 };

	EXPECT_ERRNO(EINVAL, read(self->vm, buf, sizeof(buf)));
	EXPECT_ERRNO(EINVAL, write(self->vm, buf, sizeof(buf)));
	EXPECT_ERRNO(EINVAL, read(self->vm, buf, 0));
	EXPECT_RET(0, lseek(self->vm, 100, SEEK_SET));
	EXPECT_ERRNO(ENODEV, mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED,
				  self->vm, 0));
	EXPECT_ERRNO(ENODEV, mmap(NULL, getpagesize(), PROT_READ, MAP_PRIVATE,
				  self->vm, 0));
}

/*
 * The VM holds no reference to the system file: closing the system fd
 * leaves the VM fd working.
 */
TEST_F(vm, outlives_system_fd)
{
	EXPECT_EQ(0, close(self->sys));
	self->sys = -1;
	EXPECT_RET(1, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, _IO(KVMIO, 0xff), 0));
}

/* Several VMs may coexist; each is a separate file with its own fd. */
TEST_F(vm, several_vms)
{
	int vms[8];
	int i;

	for (i = 0; i < 8; i++) {
		vms[i] = ioctl(self->sys, KVM_CREATE_VM, 0);
		ASSERT_LE(0, vms[i]);
	}
	for (i = 0; i < 8; i++) {
		EXPECT_RET(1, ioctl(vms[i], KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
		EXPECT_EQ(0, close(vms[i]));
	}
}

TEST_HARNESS_MAIN
