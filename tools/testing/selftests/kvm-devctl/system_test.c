// SPDX-License-Identifier: GPL-2.0
/*
 * The system device: /dev/kvm-devctl answers as /dev/kvm does.
 *
 * The fixture runs every test against both nodes in the same guest: the
 * module's and the real KVM built into the kernel, so each assertion is
 * checked on the reference too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

FIXTURE(system) {
	int fd;
};

NODE_VARIANTS(system);

FIXTURE_SETUP(system)
{
	NODE_OPEN(variant->path, self->fd);
}

FIXTURE_TEARDOWN(system)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(system, api_version)
{
	EXPECT_EQ(KVM_API_VERSION, ioctl(self->fd, KVM_GET_API_VERSION, 0));
}

/* kvm_dev_ioctl() refuses an argument to the argument-less ioctls. */
TEST_F(system, api_version_nonzero_arg)
{
	EXPECT_EQ(-1, ioctl(self->fd, KVM_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

/* Unknown ioctls on the system fd are EINVAL, not ENOTTY. */
TEST_F(system, unknown_ioctl)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOW('x', 0x01, int), 0));
	EXPECT_EQ(EINVAL, errno);
}

/* Reading or writing the node fails as for /dev/kvm: there is no read/write. */
TEST_F(system, read_write)
{
	char buf[8];

	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
}

/* devtmpfs creates the node as a root-only character device. */
TEST(node_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(KVM_DEVCTL_NODE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

/* An open file pins the module: rmmod is refused until it is closed. */
TEST(rmmod_refused_while_open)
{
	int fd = open(KVM_DEVCTL_NODE, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_NE(0, run("rmmod kvm_devctl 2>/dev/null"));
	EXPECT_EQ(0, access(KVM_DEVCTL_NODE, F_OK));
	close(fd);
	ASSERT_EQ(0, run("rmmod kvm_devctl"));
	EXPECT_EQ(-1, access(KVM_DEVCTL_NODE, F_OK));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, module_load(""));
	EXPECT_EQ(KVM_API_VERSION, api_version_of(KVM_DEVCTL_NODE));
}

/*
 * VM and device files pin the module too (their file_operations have an
 * owner): with only a device fd left open, rmmod is refused; after it is
 * closed, the module unloads.
 */
TEST(rmmod_refused_while_device_open)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	int sys = open(KVM_DEVCTL_NODE, O_RDWR | O_CLOEXEC);
	int vm;

	ASSERT_LE(0, sys);
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	ASSERT_EQ(0, ioctl(vm, KVM_CREATE_DEVICE, &cd));
	close(sys);
	EXPECT_NE(0, run("rmmod kvm_devctl 2>/dev/null"));
	close(vm);
	EXPECT_NE(0, run("rmmod kvm_devctl 2>/dev/null"));
	close(cd.fd);
	ASSERT_EQ(0, run("rmmod kvm_devctl"));
	ASSERT_EQ(0, module_load(""));
	EXPECT_EQ(KVM_API_VERSION, api_version_of(KVM_DEVCTL_NODE));
}

/* The devname parameter names the node. */
TEST(devname_parameter)
{
	ASSERT_EQ(0, run("rmmod kvm_devctl"));
	ASSERT_EQ(0, module_load("devname=kvm-devctl-test"));
	EXPECT_EQ(-1, access(KVM_DEVCTL_NODE, F_OK));
	EXPECT_EQ(KVM_API_VERSION, api_version_of("/dev/kvm-devctl-test"));
	ASSERT_EQ(0, run("rmmod kvm_devctl"));
	EXPECT_EQ(-1, access("/dev/kvm-devctl-test", F_OK));
	ASSERT_EQ(0, module_load(""));
	EXPECT_EQ(KVM_API_VERSION, api_version_of(KVM_DEVCTL_NODE));
}

/* A name that does not fit, or an empty one, fails the load; nothing is left behind. */
TEST(devname_invalid)
{
	ASSERT_EQ(0, run("rmmod kvm_devctl"));
	/* 64 bytes: one more than the parameter holds with its terminator. */
	EXPECT_NE(0, module_load("devname=" "0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef 2>/dev/null"));
	EXPECT_NE(0, module_load("devname= 2>/dev/null"));
	EXPECT_NE(0, run("grep -q '^kvm_devctl ' /proc/modules"));
	/* 63 bytes fits. */
	ASSERT_EQ(0, module_load("devname=" "0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcde"));
	EXPECT_EQ(KVM_API_VERSION,
		  api_version_of("/dev/0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcde"));
	ASSERT_EQ(0, run("rmmod kvm_devctl"));
	ASSERT_EQ(0, module_load(""));
	EXPECT_EQ(KVM_API_VERSION, api_version_of(KVM_DEVCTL_NODE));
}

TEST_HARNESS_MAIN
