// SPDX-License-Identifier: GPL-2.0
/*
 * The kvm-vfio device (KVM_DEV_TYPE_VFIO): its attribute group
 * KVM_DEV_VFIO_FILE (Documentation/virt/kvm/devices/vfio.rst).
 *
 * The rules are those of virt/kvm/vfio.c: kvm_vfio_has_attr(),
 * kvm_vfio_set_attr(), kvm_vfio_set_file(), kvm_vfio_file_add() and
 * kvm_vfio_file_del(); kvm_vfio_ops has no get_attr. The guest kernel has
 * no VFIO (CONFIG_VFIO unset), so symbol_get(vfio_file_is_valid) fails and
 * no file is a VFIO file; on x86 there is no CONFIG_SPAPR_TCE_IOMMU, so
 * KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE is an unknown attribute.
 *
 * Every test runs against both /dev/kvm-devctl and the real /dev/kvm.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

FIXTURE(vfio) {
	int sys;
	int vm;
	int dev;
	int pipe[2];
};

NODE_VARIANTS(vfio);

FIXTURE_SETUP(vfio)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	self->dev = -1;
	self->pipe[0] = self->pipe[1] = -1;
	NODE_OPEN_VM(variant->path, self->sys, self->vm);
	ASSERT_EQ(0, ioctl(self->vm, KVM_CREATE_DEVICE, &cd))
		TH_LOG("KVM_CREATE_DEVICE: %s", strerror(errno));
	self->dev = cd.fd;
	ASSERT_EQ(0, pipe(self->pipe));
}

FIXTURE_TEARDOWN(vfio)
{
	int *fds[] = { &self->pipe[0], &self->pipe[1], &self->dev, &self->vm,
		       &self->sys };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

/* The attribute ioctls with the fd stored in an int32 the kernel reads. */
static int file_attr(int dev, unsigned long req, __u64 attr, const __s32 *fdp)
{
	return device_attr(dev, req, KVM_DEV_VFIO_FILE, attr, (unsigned long)fdp);
}


/*
 * ADD and DEL of something that is not an open file: -1, INT_MAX, the
 * lowest free fd, and an O_PATH fd (fget()/fdget() skip O_PATH files) are
 * all -EBADF.
 */
static void expect_bad_fds_ebadf(struct __test_metadata *_metadata, int dev,
				 __u64 attr)
{
	int opath = open("/dev/null", O_PATH | O_CLOEXEC);
	__s32 fds[4];
	size_t i;

	ASSERT_LE(0, opath);
	fds[0] = -1;
	fds[1] = INT_MAX;
	fds[2] = lowest_free_fd();
	fds[3] = opath;
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		EXPECT_ERRNO(EBADF, file_attr(dev, KVM_SET_DEVICE_ATTR, attr, &fds[i]));
	close(opath);
}

/*
 * kvm_vfio_has_attr(): KVM_DEV_VFIO_FILE with ADD or DEL is 0; addr is not
 * read (NULL and unmapped are fine) and kvm_device_attr.flags is not
 * checked at all. The KVM_DEV_VFIO_GROUP* aliases are the same numbers.
 */
TEST_F(vfio, has_add_del)
{
	unsigned long unmapped = (unsigned long)unmapped_address();
	struct kvm_device_attr attr = {
		.flags = 0xffffffffU,
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
		.addr = unmapped,
	};

	EXPECT_RET(0, device_attr(self->dev, KVM_HAS_DEVICE_ATTR,
				  KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0));
	EXPECT_RET(0, device_attr(self->dev, KVM_HAS_DEVICE_ATTR,
				  KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, 0));
	EXPECT_RET(0, device_attr(self->dev, KVM_HAS_DEVICE_ATTR,
				  KVM_DEV_VFIO_GROUP, KVM_DEV_VFIO_GROUP_ADD,
				  unmapped));
	EXPECT_RET(0, device_attr(self->dev, KVM_HAS_DEVICE_ATTR,
				  KVM_DEV_VFIO_GROUP, KVM_DEV_VFIO_GROUP_DEL, ~0ULL));
	EXPECT_RET(0, ioctl(self->dev, KVM_HAS_DEVICE_ATTR, &attr));
	attr.attr = KVM_DEV_VFIO_FILE_DEL;
	EXPECT_RET(0, ioctl(self->dev, KVM_HAS_DEVICE_ATTR, &attr));
}

/*
 * kvm_vfio_has_attr(): any other attr of the group is -ENXIO; the switch
 * is on the full u64, so high bits are not ignored. SET_SPAPR_TCE (3) is
 * only listed under CONFIG_SPAPR_TCE_IOMMU (powerpc).
 */
TEST_F(vfio, has_unknown_attr)
{
	static const __u64 attrs[] = {
		0, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, 4, 0xff,
		0x100000000ULL | KVM_DEV_VFIO_FILE_ADD,
		0xffffffff00000000ULL | KVM_DEV_VFIO_FILE_DEL, ~0ULL,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		struct sysret s = SYS(device_attr(self->dev, KVM_HAS_DEVICE_ATTR,
						  KVM_DEV_VFIO_FILE, attrs[i], 0));

		EXPECT_EQ(-1, s.ret) TH_LOG("attr %#llx", (unsigned long long)attrs[i]);
		EXPECT_STREQ("ENXIO", errno_name(s.err))
			TH_LOG("attr %#llx", (unsigned long long)attrs[i]);
	}
}

/* kvm_vfio_has_attr(): a group other than KVM_DEV_VFIO_FILE is -ENXIO. */
TEST_F(vfio, has_unknown_group)
{
	static const __u32 groups[] = { 0, 2, 3, 0x101, 0xffffffffU };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		struct sysret s = SYS(device_attr(self->dev, KVM_HAS_DEVICE_ATTR,
						  groups[i], KVM_DEV_VFIO_FILE_ADD, 0));

		EXPECT_EQ(-1, s.ret) TH_LOG("group %#x", groups[i]);
		EXPECT_STREQ("ENXIO", errno_name(s.err)) TH_LOG("group %#x", groups[i]);
	}
}

/*
 * kvm_vfio_set_file(): ADD and DEL get_user() the int32 fd at addr first:
 * NULL, unmapped, a kernel address or an int running off the mapping is
 * -EFAULT, whatever fd it would name.
 */
TEST_F(vfio, set_efault)
{
	char *page = map_guarded_page();
	int psz = getpagesize();
	__u64 bad[4];
	size_t i;
	int a;

	ASSERT_NE(NULL, page);
	memset(page + psz - 3, 0, 3);
	bad[0] = 0;
	bad[1] = (unsigned long)unmapped_address();
	bad[2] = 0xffff800000000000ULL;
	bad[3] = (unsigned long)(page + psz - 3);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		for (a = KVM_DEV_VFIO_FILE_ADD; a <= KVM_DEV_VFIO_FILE_DEL; a++) {
			struct sysret s = SYS(device_attr(self->dev, KVM_SET_DEVICE_ATTR,
							  KVM_DEV_VFIO_FILE, a, bad[i]));

			EXPECT_EQ(-1, s.ret) TH_LOG("attr %d addr %#llx", a,
						    (unsigned long long)bad[i]);
			EXPECT_STREQ("EFAULT", errno_name(s.err))
				TH_LOG("attr %d addr %#llx", a, (unsigned long long)bad[i]);
		}
	}
	munmap(page, psz);
}

/*
 * kvm_vfio_file_add(): fget() of the fd (as unsigned int) fails with -EBADF
 * for -1, a huge number, a closed fd, and an O_PATH fd (fget() masks
 * FMODE_PATH files out).
 */
TEST_F(vfio, add_ebadf)
{
	expect_bad_fds_ebadf(_metadata, self->dev, KVM_DEV_VFIO_FILE_ADD);
}

/*
 * kvm_vfio_file_add(): an open file that kvm_vfio_file_is_valid() rejects
 * is -EINVAL. Without VFIO in the kernel that is every file: a pipe,
 * /dev/null, an eventfd, and KVM's own system, VM and device files.
 */
TEST_F(vfio, add_not_vfio_einval)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC);
	__s32 fds[7];
	size_t i;

	ASSERT_LE(0, null);
	ASSERT_LE(0, efd);
	fds[0] = self->pipe[0];
	fds[1] = self->pipe[1];
	fds[2] = null;
	fds[3] = efd;
	fds[4] = self->sys;
	fds[5] = self->vm;
	fds[6] = self->dev;
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		EXPECT_ERRNO(EINVAL, file_attr(self->dev, KVM_SET_DEVICE_ATTR,
					       KVM_DEV_VFIO_FILE_ADD, &fds[i]));
	close(efd);
	close(null);
}

/*
 * get_user() reads an int32: only the first four bytes at addr are the fd,
 * whatever follows (little endian: the low half of a 64-bit value).
 */
TEST_F(vfio, add_reads_int32)
{
	__u64 v;

	v = 0xffffffff00000000ULL | (__u32)self->pipe[0];
	EXPECT_ERRNO(EINVAL, device_attr(self->dev, KVM_SET_DEVICE_ATTR,
					 KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD,
					 (unsigned long)&v));
	v = 0x00000000ffffffffULL;
	EXPECT_ERRNO(EBADF, device_attr(self->dev, KVM_SET_DEVICE_ATTR,
					KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD,
					(unsigned long)&v));
}

/*
 * kvm_vfio_file_del(): a valid fd that was never added is -ENOENT (DEL does
 * not check that the file is a VFIO file: it just is not on the list).
 */
TEST_F(vfio, del_not_added_enoent)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	__s32 fds[6];
	size_t i;

	ASSERT_LE(0, null);
	fds[0] = self->pipe[0];
	fds[1] = self->pipe[1];
	fds[2] = null;
	fds[3] = self->sys;
	fds[4] = self->vm;
	fds[5] = self->dev;
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		EXPECT_ERRNO(ENOENT, file_attr(self->dev, KVM_SET_DEVICE_ATTR,
					       KVM_DEV_VFIO_FILE_DEL, &fds[i]));
	close(null);
}

/* kvm_vfio_file_del(): CLASS(fd) (fdget()) empty is -EBADF, O_PATH too. */
TEST_F(vfio, del_ebadf)
{
	expect_bad_fds_ebadf(_metadata, self->dev, KVM_DEV_VFIO_FILE_DEL);
}

/*
 * kvm_vfio_set_file(): an attr other than ADD/DEL is -ENXIO before addr is
 * touched (NULL is fine). SET_SPAPR_TCE is unknown on x86.
 */
TEST_F(vfio, set_unknown_attr)
{
	static const __u64 attrs[] = {
		0, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, 4,
		0x100000000ULL | KVM_DEV_VFIO_FILE_ADD, ~0ULL,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		struct sysret s = SYS(device_attr(self->dev, KVM_SET_DEVICE_ATTR,
						  KVM_DEV_VFIO_FILE, attrs[i], 0));

		EXPECT_EQ(-1, s.ret) TH_LOG("attr %#llx", (unsigned long long)attrs[i]);
		EXPECT_STREQ("ENXIO", errno_name(s.err))
			TH_LOG("attr %#llx", (unsigned long long)attrs[i]);
	}
}

/* kvm_vfio_set_attr(): an unknown group is -ENXIO, addr untouched. */
TEST_F(vfio, set_unknown_group)
{
	static const __u32 groups[] = { 0, 2, 0xffffffffU };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		struct sysret s = SYS(device_attr(self->dev, KVM_SET_DEVICE_ATTR,
						  groups[i], KVM_DEV_VFIO_FILE_ADD, 0));

		EXPECT_EQ(-1, s.ret) TH_LOG("group %#x", groups[i]);
		EXPECT_STREQ("ENXIO", errno_name(s.err)) TH_LOG("group %#x", groups[i]);
	}
}

/* kvm_device_attr.flags is never looked at by kvm-vfio's set_attr either. */
TEST_F(vfio, set_ignores_flags)
{
	struct kvm_device_attr attr = {
		.flags = 0xffffffffU,
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
		.addr = (unsigned long)&self->pipe[0],
	};

	EXPECT_ERRNO(EINVAL, ioctl(self->dev, KVM_SET_DEVICE_ATTR, &attr));
	attr.attr = KVM_DEV_VFIO_FILE_DEL;
	EXPECT_ERRNO(ENOENT, ioctl(self->dev, KVM_SET_DEVICE_ATTR, &attr));
}

/* kvm_vfio_ops has no get_attr: kvm_device_ioctl_attr() says -EPERM. */
TEST_F(vfio, get_eperm)
{
	EXPECT_ERRNO(EPERM, device_attr(self->dev, KVM_GET_DEVICE_ATTR,
					KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD,
					(unsigned long)&self->pipe[0]));
	EXPECT_ERRNO(EPERM, device_attr(self->dev, KVM_GET_DEVICE_ATTR,
					KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, 0));
	EXPECT_ERRNO(EPERM, device_attr(self->dev, KVM_GET_DEVICE_ATTR, 0, 0, 0));
	EXPECT_ERRNO(EPERM, device_attr(self->dev, KVM_GET_DEVICE_ATTR,
					0xffffffffU, ~0ULL, ~0ULL));
}

/* The answers do not depend on the VM fd being open. */
TEST_F(vfio, after_vm_closed)
{
	__s32 bad = -1;

	EXPECT_EQ(0, close(self->vm));
	self->vm = -1;
	EXPECT_ERRNO(EINVAL, file_attr(self->dev, KVM_SET_DEVICE_ATTR,
				       KVM_DEV_VFIO_FILE_ADD, &self->pipe[0]));
	EXPECT_ERRNO(ENOENT, file_attr(self->dev, KVM_SET_DEVICE_ATTR,
				       KVM_DEV_VFIO_FILE_DEL, &self->pipe[0]));
	EXPECT_ERRNO(EBADF, file_attr(self->dev, KVM_SET_DEVICE_ATTR,
				      KVM_DEV_VFIO_FILE_DEL, &bad));
	EXPECT_ERRNO(ENXIO, device_attr(self->dev, KVM_HAS_DEVICE_ATTR,
					KVM_DEV_VFIO_FILE, 3, 0));
}

TEST_HARNESS_MAIN
