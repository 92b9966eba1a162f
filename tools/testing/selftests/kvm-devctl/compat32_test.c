// SPDX-License-Identifier: GPL-2.0
/*
 * The compat paths: a 32-bit process drives the system, VM, vCPU and device
 * files. Built with -m32; the kernel runs it through IA32 emulation, so
 * every ioctl goes through the files' compat_ioctl (compat_ptr_ioctl for
 * kvm-devctl, kvm_*_compat_ioctl for KVM). struct kvm_device_attr and
 * struct kvm_create_device have the same layout for 32-bit user space
 * (kvm_main.c: "kvm_device_attr ... same layout"), so every answer must be
 * the 64-bit one. Runs against both nodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

FIXTURE(compat) {
	int sys, vm;
};

NODE_VARIANTS(compat);

FIXTURE_SETUP(compat)
{
	NODE_OPEN_VM(variant->path, self->sys, self->vm);
}

FIXTURE_TEARDOWN(compat)
{
	if (self->vm >= 0)
		close(self->vm);
	if (self->sys >= 0)
		close(self->sys);
}

TEST_F(compat, is_32bit)
{
	EXPECT_EQ(4, sizeof(void *));
}

TEST_F(compat, system_ioctls)
{
	EXPECT_EQ(KVM_API_VERSION, ioctl(self->sys, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(1, ioctl(self->sys, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
	EXPECT_EQ(3 * getpagesize(), ioctl(self->sys, KVM_GET_VCPU_MMAP_SIZE, 0));
	EXPECT_EQ(-1, ioctl(self->sys, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(compat, vm_ioctls)
{
	EXPECT_EQ(1, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
	EXPECT_EQ(-1, ioctl(self->vm, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(compat, vcpu_create_and_map)
{
	int vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	void *run;

	ASSERT_LE(0, vcpu);
	run = mmap(NULL, 3 * getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_TRUE(run != MAP_FAILED);
	EXPECT_EQ(0, ((struct kvm_run *)run)->exit_reason);
	munmap(run, 3 * getpagesize());
	EXPECT_EQ(-1, ioctl(self->vm, KVM_CREATE_VCPU, 0));
	EXPECT_EQ(EEXIST, errno);
	close(vcpu);
}

TEST_F(compat, device_attr)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO, .fd = 0xdead };
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
	};
	int32_t fd = -1;

	ASSERT_EQ(0, ioctl(self->vm, KVM_CREATE_DEVICE, &cd));
	EXPECT_NE(0xdead, cd.fd);
	EXPECT_EQ(0, ioctl(cd.fd, KVM_HAS_DEVICE_ATTR, &attr));
	attr.addr = (uintptr_t)&fd;
	EXPECT_EQ(-1, ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &attr));
	EXPECT_EQ(EBADF, errno);
	fd = self->sys;
	EXPECT_EQ(-1, ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &attr));
	EXPECT_EQ(EINVAL, errno);
	attr.attr = KVM_DEV_VFIO_FILE_DEL;
	EXPECT_EQ(-1, ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &attr));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(cd.fd, KVM_GET_DEVICE_ATTR, &attr));
	EXPECT_EQ(EPERM, errno);
	attr.group = 2;
	EXPECT_EQ(-1, ioctl(cd.fd, KVM_HAS_DEVICE_ATTR, &attr));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(cd.fd, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(ENOTTY, errno);
	close(cd.fd);
}

TEST_HARNESS_MAIN
