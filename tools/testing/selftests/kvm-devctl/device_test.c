// SPDX-License-Identifier: GPL-2.0
/*
 * The generic device-control paths: KVM_CREATE_DEVICE on a VM fd and the
 * device file it returns (Documentation/virt/kvm/api.rst 4.79-4.81).
 *
 * The rules are those of virt/kvm/kvm_main.c: kvm_vm_ioctl() (copy in, create,
 * copy back), kvm_ioctl_create_device(), kvm_device_ioctl(),
 * kvm_device_ioctl_attr(), kvm_device_mmap() and kvm_device_release(). On
 * x86 the only registered type is KVM_DEV_TYPE_VFIO (virt/kvm/vfio.c,
 * kvm_vfio_ops_init(); the MPIC entries of kvm_device_ops_table are
 * CONFIG_KVM_MPIC, powerpc only), a type with .release and no .destroy, one
 * per VM (kvm_vfio_create() returns -EBUSY for a second one).
 *
 * Every test runs against both /dev/kvm-devctl and the real /dev/kvm.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

FIXTURE(device) {
	int sys;
	int vm;
};

FIXTURE_VARIANT(device) {
	const char *path;
	/*
	 * Whether an EFAULT on the copy back of KVM_CREATE_DEVICE leaves the
	 * device and its fd behind: KVM installs the fd before the copy back;
	 * kvm-devctl installs it last, a deliberate difference documented in
	 * Documentation/api.rst 8.1 (and deliberate-differences.txt).
	 */
	bool orphan_on_efault;
};

FIXTURE_VARIANT_ADD(device, kvm_devctl) {
	.path = KVM_DEVCTL_NODE,
	.orphan_on_efault = false,
};

FIXTURE_VARIANT_ADD(device, kvm) {
	.path = KVM_NODE,
	.orphan_on_efault = true,
};

FIXTURE_SETUP(device)
{
	NODE_OPEN_VM(variant->path, self->sys, self->vm);
}

FIXTURE_TEARDOWN(device)
{
	if (self->vm >= 0)
		close(self->vm);
	if (self->sys >= 0)
		close(self->sys);
}

/* Creates the VM's VFIO device and returns its fd (or -1). */
static int create_vfio(int vm)
{
	struct kvm_create_device cd = { .fd = FD_SENTINEL };

	if (create_device(vm, KVM_DEV_TYPE_VFIO, 0, &cd))
		return -1;
	return cd.fd;
}

/* The types the x86 kvm_device_ops_table holds: VFIO only. */
static bool x86_supported(__u32 type)
{
	return type == KVM_DEV_TYPE_VFIO;
}

/*
 * kvm_ioctl_create_device(): anon_inode_getfd(ops->name, ...,
 * O_RDWR | O_CLOEXEC) takes the lowest free fd and cd->fd receives it;
 * kvm_vm_ioctl() copies the whole struct back, type and flags unchanged.
 */
TEST_F(device, create_vfio)
{
	struct kvm_create_device cd = { .fd = FD_SENTINEL };
	int expect = lowest_free_fd();
	char buf[128];

	ASSERT_RET(0, create_device(self->vm, KVM_DEV_TYPE_VFIO, 0, &cd));
	EXPECT_EQ(expect, cd.fd);
	EXPECT_EQ(KVM_DEV_TYPE_VFIO, cd.type);
	EXPECT_EQ(0, cd.flags);
	EXPECT_EQ(FD_CLOEXEC, fcntl(cd.fd, F_GETFD));
	EXPECT_EQ(O_RDWR, fcntl(cd.fd, F_GETFL) & O_ACCMODE);
	EXPECT_STREQ("anon_inode:kvm-vfio", fd_name(cd.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, close(cd.fd));
}

/*
 * KVM_CREATE_DEVICE_TEST: kvm_ioctl_create_device() returns 0 right after
 * the type lookup, before ops->create; cd->fd is not assigned (the struct
 * is still copied back unchanged) and no device exists afterwards, so a
 * real creation still succeeds.
 */
TEST_F(device, create_test_flag)
{
	struct kvm_create_device cd = { .fd = FD_SENTINEL };
	int before = count_fds();
	int free_fd = lowest_free_fd();
	int fd;

	EXPECT_RET(0, create_device(self->vm, KVM_DEV_TYPE_VFIO,
				    KVM_CREATE_DEVICE_TEST, &cd));
	EXPECT_EQ(FD_SENTINEL, cd.fd);
	EXPECT_EQ(KVM_DEV_TYPE_VFIO, cd.type);
	EXPECT_EQ(KVM_CREATE_DEVICE_TEST, cd.flags);
	EXPECT_EQ(before, count_fds());
	EXPECT_EQ(free_fd, lowest_free_fd());
	fd = create_vfio(self->vm);
	EXPECT_LE(0, fd);
	close(fd);
}

/* kvm_ioctl_create_device(): an empty table slot is -ENODEV, TEST or not. */
TEST_F(device, test_unknown_type)
{
	struct kvm_create_device cd = { .fd = FD_SENTINEL };
	static const __u32 types[] = {
		0, KVM_DEV_TYPE_FSL_MPIC_20, KVM_DEV_TYPE_XICS,
		KVM_DEV_TYPE_ARM_VGIC_V2, KVM_DEV_TYPE_MAX - 1, KVM_DEV_TYPE_MAX,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		struct sysret s = SYS(create_device(self->vm, types[i],
						    KVM_CREATE_DEVICE_TEST, &cd));

		EXPECT_EQ(-1, s.ret) TH_LOG("type %u", types[i]);
		EXPECT_STREQ("ENODEV", errno_name(s.err)) TH_LOG("type %u", types[i]);
		EXPECT_EQ(FD_SENTINEL, cd.fd);
	}
}

/*
 * Every type of the table and a few beyond it: VFIO is the only one
 * registered on x86; all others are -ENODEV with and without TEST, and a
 * refused type leaves no fd behind.
 */
TEST_F(device, table_types)
{
	int before = count_fds();
	__u32 type, flags;

	for (type = 0; type < KVM_DEV_TYPE_MAX + 4; type++) {
		for (flags = 0; flags <= KVM_CREATE_DEVICE_TEST; flags++) {
			struct kvm_create_device cd = { .fd = FD_SENTINEL };
			struct sysret s = SYS(create_device(self->vm, type, flags, &cd));

			if (x86_supported(type)) {
				EXPECT_EQ(0, s.ret) TH_LOG("type %u flags %u: %s",
							   type, flags, errno_name(s.err));
				if (flags) {
					EXPECT_EQ(FD_SENTINEL, cd.fd);
				} else {
					EXPECT_EQ(0, close(cd.fd));
				}
			} else {
				EXPECT_EQ(-1, s.ret) TH_LOG("type %u flags %u", type, flags);
				EXPECT_STREQ("ENODEV", errno_name(s.err))
					TH_LOG("type %u flags %u", type, flags);
				EXPECT_EQ(FD_SENTINEL, cd.fd);
			}
		}
	}
	EXPECT_EQ(before, count_fds());
}

/* Counts the answers to type (with and without TEST) other than -ENODEV. */
static unsigned int not_enodev(struct __test_metadata *_metadata, int vm,
			       __u32 type)
{
	unsigned int bad = 0;
	__u32 flags;

	for (flags = 0; flags <= KVM_CREATE_DEVICE_TEST; flags++) {
		struct kvm_create_device cd = { .fd = FD_SENTINEL };
		struct sysret s = SYS(create_device(vm, type, flags, &cd));

		if (s.ret != -1 || s.err != ENODEV || cd.fd != FD_SENTINEL) {
			TH_LOG("type %#x flags %u: %ld %s", type, flags, s.ret,
			       errno_name(s.err));
			if (s.ret == 0 && cd.fd != FD_SENTINEL)
				close(cd.fd);
			bad++;
		}
	}
	return bad;
}

/*
 * "cd->type >= ARRAY_SIZE(kvm_device_ops_table)" is -ENODEV for every u32
 * past the table, like an empty slot inside it: all of 0..0x10000 but
 * VFIO, then a stride through the rest of the range, and the extremes.
 */
TEST_F(device, out_of_range_types)
{
	static const __u32 extremes[] = {
		0x7fffffffU, 0x80000000U, 0x80000000U | KVM_DEV_TYPE_VFIO,
		0x100000000ULL - KVM_DEV_TYPE_MAX, 0xfffffffeU, 0xffffffffU,
	};
	int before = count_fds();
	unsigned int bad = 0;
	__u64 t;
	size_t i;

	for (t = 0; t <= 0x10000; t++)
		if (!x86_supported(t))
			bad += not_enodev(_metadata, self->vm, t);
	for (t = 0x10000; t <= 0xffffffffULL; t += 0x100007)
		bad += not_enodev(_metadata, self->vm, t);
	for (i = 0; i < ARRAY_SIZE(extremes); i++)
		bad += not_enodev(_metadata, self->vm, extremes[i]);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(before, count_fds());
}

/*
 * Only KVM_CREATE_DEVICE_TEST (bit 0) of cd->flags is read; other bits are
 * ignored: 0x2 and 0xfffffffe create a device, 0x3 and 0xffffffff only test.
 */
TEST_F(device, unknown_flag_bits)
{
	static const __u32 creating[] = { 0x2, 0x80000000U, 0xfffffffeU };
	static const __u32 testing[] = { 0x3, 0xffffffffU };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(creating); i++) {
		struct kvm_create_device cd = { .fd = FD_SENTINEL };
		char buf[128];

		EXPECT_RET(0, create_device(self->vm, KVM_DEV_TYPE_VFIO,
					    creating[i], &cd));
		EXPECT_NE(FD_SENTINEL, cd.fd);
		EXPECT_EQ(creating[i], cd.flags);
		EXPECT_STREQ("anon_inode:kvm-vfio", fd_name(cd.fd, buf, sizeof(buf)));
		EXPECT_EQ(0, close(cd.fd));
	}
	for (i = 0; i < ARRAY_SIZE(testing); i++) {
		struct kvm_create_device cd = { .fd = FD_SENTINEL };

		EXPECT_RET(0, create_device(self->vm, KVM_DEV_TYPE_VFIO,
					    testing[i], &cd));
		EXPECT_EQ(FD_SENTINEL, cd.fd);
	}
	/* Unknown type with junk flags: still the type check. */
	{
		struct kvm_create_device cd = { .fd = FD_SENTINEL };

		EXPECT_ERRNO(ENODEV, create_device(self->vm, 99, 0xfffffffeU, &cd));
	}
}

/*
 * kvm_vm_ioctl(): copy_from_user() of the struct comes first, so a NULL,
 * unmapped or partly mapped pointer is -EFAULT before anything is created:
 * no fd appears and the VM can still get its VFIO device.
 */
TEST_F(device, bad_pointer_efault)
{
	char *page = map_guarded_page();
	int psz = getpagesize();
	void *unmapped = unmapped_address();
	int before = count_fds();
	int free_fd = lowest_free_fd();
	struct kvm_create_device *straddle;
	int fd;

	ASSERT_NE(NULL, page);
	ASSERT_NE(NULL, unmapped);
	/* type and fd readable, flags beyond the end of the mapping. */
	straddle = (void *)(page + psz - 8);
	straddle->type = KVM_DEV_TYPE_VFIO;
	straddle->fd = FD_SENTINEL;

	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_CREATE_DEVICE, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_CREATE_DEVICE, unmapped));
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_CREATE_DEVICE, straddle));
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_CREATE_DEVICE, 0xffff800000000000UL));
	EXPECT_EQ(FD_SENTINEL, straddle->fd);
	EXPECT_EQ(before, count_fds());
	EXPECT_EQ(free_fd, lowest_free_fd());
	fd = create_vfio(self->vm);
	EXPECT_LE(0, fd);
	close(fd);
	munmap(page, psz);
}

/*
 * With KVM_CREATE_DEVICE_TEST, kvm_ioctl_create_device() returns 0, and
 * kvm_vm_ioctl() still copy_to_user()s the struct back ("r = -EFAULT; if
 * (copy_to_user(argp, &cd, sizeof(cd))) goto out;"): a read-only struct is
 * -EFAULT although nothing was created.
 */
TEST_F(device, readonly_struct_test_flag)
{
	struct kvm_create_device *cd = readonly_cd(KVM_DEV_TYPE_VFIO,
						   KVM_CREATE_DEVICE_TEST);
	int before = count_fds();
	int fd;

	ASSERT_NE(NULL, cd);
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_CREATE_DEVICE, cd));
	EXPECT_EQ(FD_SENTINEL, cd->fd);
	EXPECT_EQ(before, count_fds());
	fd = create_vfio(self->vm);
	EXPECT_LE(0, fd);
	close(fd);
	munmap(cd, getpagesize());
}

/*
 * An unknown type in a read-only struct is -ENODEV: the type check fails
 * before the copy back is attempted.
 */
TEST_F(device, readonly_struct_unknown_type)
{
	struct kvm_create_device *cd = readonly_cd(99, 0);

	ASSERT_NE(NULL, cd);
	EXPECT_ERRNO(ENODEV, ioctl(self->vm, KVM_CREATE_DEVICE, cd));
	munmap(cd, getpagesize());
	cd = readonly_cd(99, KVM_CREATE_DEVICE_TEST);
	ASSERT_NE(NULL, cd);
	EXPECT_ERRNO(ENODEV, ioctl(self->vm, KVM_CREATE_DEVICE, cd));
	munmap(cd, getpagesize());
}

/*
 * Without TEST, a read-only struct is copied in and the device created; the
 * copy back then fails and the ioctl returns -EFAULT.
 *
 * KVM: anon_inode_getfd() inside kvm_ioctl_create_device() has already
 * installed the fd when kvm_vm_ioctl()'s copy_to_user() fails, and nothing
 * closes it: the fd stays open (the lowest that was free, a kvm-vfio file)
 * and the device exists, so a second VFIO device is -EBUSY until the orphan
 * fd is closed.
 *
 * kvm-devctl (Documentation/api.rst 8.1): the fd is installed last, so the
 * same -EFAULT leaves no fd and no device, and a new one can be created.
 */
TEST_F(device, readonly_struct_efault_after_create)
{
	struct kvm_create_device *cd = readonly_cd(KVM_DEV_TYPE_VFIO, 0);
	int before = count_fds();
	int orphan = lowest_free_fd();
	struct kvm_create_device cd2 = { .fd = FD_SENTINEL };
	char buf[128];
	int fd;

	ASSERT_NE(NULL, cd);
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_CREATE_DEVICE, cd));
	EXPECT_EQ(FD_SENTINEL, cd->fd);
	if (!variant->orphan_on_efault) {
		EXPECT_EQ(before, count_fds());
		EXPECT_FALSE(fd_is_open(orphan));
		fd = create_vfio(self->vm);
		EXPECT_EQ(orphan, fd);
		close(fd);
		munmap(cd, getpagesize());
		return;
	}
	EXPECT_EQ(before + 1, count_fds());
	ASSERT_TRUE(fd_is_open(orphan));
	EXPECT_STREQ("anon_inode:kvm-vfio", fd_name(orphan, buf, sizeof(buf)));
	EXPECT_EQ(FD_CLOEXEC, fcntl(orphan, F_GETFD));
	EXPECT_RET(0, device_attr(orphan, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
				  KVM_DEV_VFIO_FILE_ADD, 0));
	EXPECT_ERRNO(EBUSY, create_device(self->vm, KVM_DEV_TYPE_VFIO, 0, &cd2));
	EXPECT_EQ(0, close(orphan));
	fd = create_vfio(self->vm);
	EXPECT_EQ(orphan, fd);
	close(fd);
	munmap(cd, getpagesize());
}

/*
 * kvm_device_ioctl() starts with the same mm check as kvm_vm_ioctl(): every
 * device ioctl from a forked child is -EIO, before the accessor checks
 * (KVM_GET_DEVICE_ATTR would be -EPERM) and before the ioctl switch
 * (unknown numbers would be -ENOTTY).
 */
TEST_F(device, forked_child_eio)
{
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
	};
	unsigned long a = (unsigned long)&attr;
	int dev = create_vfio(self->vm);
	struct sysret s;

	ASSERT_LE(0, dev);
	s = child_ioctl(dev, KVM_HAS_DEVICE_ATTR, a);
	EXPECT_EQ(-1, s.ret);
	EXPECT_STREQ("EIO", errno_name(s.err));
	s = child_ioctl(dev, KVM_SET_DEVICE_ATTR, a);
	EXPECT_EQ(-1, s.ret);
	EXPECT_STREQ("EIO", errno_name(s.err));
	s = child_ioctl(dev, KVM_GET_DEVICE_ATTR, a);
	EXPECT_EQ(-1, s.ret);
	EXPECT_STREQ("EIO", errno_name(s.err));
	s = child_ioctl(dev, KVM_HAS_DEVICE_ATTR, 0);
	EXPECT_EQ(-1, s.ret);
	EXPECT_STREQ("EIO", errno_name(s.err));
	s = child_ioctl(dev, _IO(KVMIO, 0xff), 0);
	EXPECT_EQ(-1, s.ret);
	EXPECT_STREQ("EIO", errno_name(s.err));
	/* The parent still owns it. */
	EXPECT_RET(0, ioctl(dev, KVM_HAS_DEVICE_ATTR, &attr));
	close(dev);
}

/*
 * kvm_device_ioctl(): anything but the three attribute ioctls goes to
 * ops->ioctl, which kvm-vfio does not have: -ENOTTY, whatever the number
 * (VM and system ioctls included).
 */
TEST_F(device, unknown_ioctl)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	int dev = create_vfio(self->vm);

	ASSERT_LE(0, dev);
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IO(KVMIO, 0xff), 0));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IOW('x', 0x01, int), 0));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KVM_RUN, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KVM_CREATE_DEVICE, &cd));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, KVM_GET_API_VERSION, 0));
	/* The attribute numbers with another size are other ioctls. */
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IOW(KVMIO, 0xe1, __u64), 0));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, _IOW(KVMIO, 0xe3, __u32), 0));
	close(dev);
}

/*
 * kvm_device_ioctl_attr(): "if (!accessor) return -EPERM;" comes before
 * copy_from_user(); kvm-vfio has no get_attr, so KVM_GET_DEVICE_ATTR is
 * -EPERM even with a NULL or unmapped argument.
 */
TEST_F(device, get_attr_eperm)
{
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
	};
	int dev = create_vfio(self->vm);

	ASSERT_LE(0, dev);
	EXPECT_ERRNO(EPERM, ioctl(dev, KVM_GET_DEVICE_ATTR, &attr));
	EXPECT_ERRNO(EPERM, ioctl(dev, KVM_GET_DEVICE_ATTR, NULL));
	EXPECT_ERRNO(EPERM, ioctl(dev, KVM_GET_DEVICE_ATTR, unmapped_address()));
	close(dev);
}

/*
 * kvm_device_ioctl_attr(): set_attr and has_attr exist, so the argument is
 * copied in whole: NULL, unmapped or partly mapped is -EFAULT.
 */
TEST_F(device, set_has_attr_efault)
{
	char *page = map_guarded_page();
	int psz = getpagesize();
	void *unmapped = unmapped_address();
	struct kvm_device_attr *straddle;
	int dev = create_vfio(self->vm);

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, page);
	/* flags, group and attr readable; addr beyond the mapping. */
	straddle = (void *)(page + psz - 16);
	straddle->flags = 0;
	straddle->group = KVM_DEV_VFIO_FILE;
	straddle->attr = KVM_DEV_VFIO_FILE_ADD;

	EXPECT_ERRNO(EFAULT, ioctl(dev, KVM_SET_DEVICE_ATTR, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KVM_HAS_DEVICE_ATTR, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KVM_SET_DEVICE_ATTR, unmapped));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KVM_HAS_DEVICE_ATTR, unmapped));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KVM_SET_DEVICE_ATTR, straddle));
	EXPECT_ERRNO(EFAULT, ioctl(dev, KVM_HAS_DEVICE_ATTR, straddle));
	/* The same struct fully mapped is answered. */
	memmove(page, straddle, 16);
	EXPECT_RET(0, ioctl(dev, KVM_HAS_DEVICE_ATTR, page));
	close(dev);
	munmap(page, psz);
}

/*
 * kvm_device_mmap(): kvm-vfio has no ops->mmap, -ENODEV. The file lives on
 * the anon inode pseudo filesystem, which is SB_I_NOEXEC: do_mmap() refuses
 * PROT_EXEC with -EPERM (path_noexec()) before reaching the driver.
 */
TEST_F(device, mmap)
{
	int psz = getpagesize();
	int dev = create_vfio(self->vm);

	ASSERT_LE(0, dev);
	EXPECT_ERRNO(ENODEV, mmap(NULL, psz, PROT_READ, MAP_SHARED, dev, 0));
	EXPECT_ERRNO(ENODEV, mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0));
	EXPECT_ERRNO(ENODEV, mmap(NULL, psz, PROT_READ, MAP_PRIVATE, dev, 0));
	EXPECT_ERRNO(ENODEV, mmap(NULL, psz, PROT_READ, MAP_SHARED, dev, psz));
	EXPECT_ERRNO(EPERM, mmap(NULL, psz, PROT_READ | PROT_EXEC, MAP_SHARED, dev, 0));
	close(dev);
}

/*
 * kvm_device_fops has no read, write or llseek: vfs_read()/vfs_write() are
 * -EINVAL (open for both, no FMODE_CAN_READ/WRITE) and lseek() is -ESPIPE
 * (no FMODE_LSEEK, file_init_path()).
 */
TEST_F(device, read_write_lseek)
{
	int dev = create_vfio(self->vm);
	char buf[8] = { 0 };

	ASSERT_LE(0, dev);
	EXPECT_ERRNO(EINVAL, read(dev, buf, sizeof(buf)));
	EXPECT_ERRNO(EINVAL, write(dev, buf, sizeof(buf)));
	EXPECT_ERRNO(ESPIPE, lseek(dev, 0, SEEK_SET));
	EXPECT_ERRNO(ESPIPE, lseek(dev, 0, SEEK_CUR));
	close(dev);
}

/*
 * The device holds a reference to the VM (kvm_get_kvm() in
 * kvm_ioctl_create_device()), and dev->kvm->mm is still ours: after the VM
 * fd and the system fd are closed the device keeps answering; closing it
 * drops the last VM reference.
 */
TEST_F(device, outlives_vm_fd)
{
	int dev = create_vfio(self->vm);
	int p[2];

	ASSERT_LE(0, dev);
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(0, close(self->vm));
	self->vm = -1;
	EXPECT_RET(0, device_attr(dev, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
				  KVM_DEV_VFIO_FILE_ADD, 0));
	EXPECT_EQ(0, close(self->sys));
	self->sys = -1;
	EXPECT_RET(0, device_attr(dev, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
				  KVM_DEV_VFIO_FILE_DEL, 0));
	EXPECT_ERRNO(EINVAL, device_attr(dev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
					 KVM_DEV_VFIO_FILE_ADD, (unsigned long)&p[0]));
	EXPECT_ERRNO(EPERM, device_attr(dev, KVM_GET_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
					KVM_DEV_VFIO_FILE_ADD, 0));
	EXPECT_EQ(0, close(dev));
	EXPECT_ERRNO(EBADF, device_attr(dev, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
					KVM_DEV_VFIO_FILE_ADD, 0));
	close(p[0]);
	close(p[1]);
}

struct race {
	atomic_int fd;
	atomic_int started;
	int bad_ret;
	int bad_errno;
	unsigned long answered;
};

/* HAS_DEVICE_ATTR until the fd is gone; any answer but 0 or EBADF is bad. */
static void *race_has_attr(void *arg)
{
	struct race *r = arg;
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
	};
	unsigned long i;

	atomic_store(&r->started, 1);
	for (i = 0; i < 1000000; i++) {
		int ret = ioctl(atomic_load(&r->fd), KVM_HAS_DEVICE_ATTR, &attr);

		if (ret == 0) {
			r->answered++;
			continue;
		}
		if (ret == -1 && errno == EBADF)
			return NULL;
		r->bad_ret = ret;
		r->bad_errno = errno;
		return NULL;
	}
	r->bad_ret = -2;
	return NULL;
}

/*
 * close() racing HAS_DEVICE_ATTR on the same fd: the ioctl either holds
 * the file (0) or finds the fd gone (EBADF), never anything else. Nine
 * iterations in ten close a dup() of the device fd (the fd-table race);
 * every tenth closes the last fd, so kvm_device_release() runs once the
 * racing ioctl has dropped its reference, and the next VFIO device of the
 * VM can always be created. At least 100 iterations (10 releases) run
 * however slow the guest is (on real KVM each release waits for
 * synchronize_rcu()); past those, the loop stops after 2 s or 2000
 * iterations.
 */
TEST_F(device, close_races_has_attr)
{
	struct timespec t0, t;
	unsigned long answered = 0;
	int base, i, releases = 0;

	base = create_vfio(self->vm);
	ASSERT_LE(0, base);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++) {
		struct race r = { .bad_ret = 0 };
		bool last = i % 10 == 9;
		pthread_t th;
		int fd;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (i >= 100 && t.tv_sec - t0.tv_sec >= 2)
			last = true;
		fd = last ? base : dup(base);
		ASSERT_LE(0, fd);
		atomic_store(&r.fd, fd);
		ASSERT_EQ(0, pthread_create(&th, NULL, race_has_attr, &r));
		while (!atomic_load(&r.started))
			;
		if (i & 1)
			sched_yield();
		EXPECT_EQ(0, close(fd));
		ASSERT_EQ(0, pthread_join(th, NULL));
		EXPECT_EQ(0, r.bad_ret) TH_LOG("iteration %d: ret %d %s", i,
					       r.bad_ret, errno_name(r.bad_errno));
		answered += r.answered;
		if (!last)
			continue;
		releases++;
		if (i >= 100 && t.tv_sec - t0.tv_sec >= 2)
			break;
		base = create_vfio(self->vm);
		ASSERT_LE(0, base) TH_LOG("iteration %d: %s", i, strerror(errno));
	}
	if (i == 2000)
		close(base);
	else
		i++;
	TH_LOG("%d iterations, %d releases, %lu HAS answered before the close",
	       i, releases, answered);
	EXPECT_LE(10, releases);
}

/*
 * kvm_vfio_create(): "Only one VFIO device per VM", -EBUSY from ops->create,
 * so no fd is installed. TEST stops before ops->create and still says 0.
 * kvm_device_release() calls kvm_vfio_release() on the last close, after
 * which the VM can have a VFIO device again.
 */
TEST_F(device, one_vfio_per_vm)
{
	struct kvm_create_device cd = { .fd = FD_SENTINEL };
	int dev = create_vfio(self->vm);
	int before, dev2;

	ASSERT_LE(0, dev);
	before = count_fds();
	EXPECT_ERRNO(EBUSY, create_device(self->vm, KVM_DEV_TYPE_VFIO, 0, &cd));
	EXPECT_EQ(FD_SENTINEL, cd.fd);
	EXPECT_EQ(before, count_fds());
	EXPECT_RET(0, create_device(self->vm, KVM_DEV_TYPE_VFIO,
				    KVM_CREATE_DEVICE_TEST, &cd));
	EXPECT_EQ(FD_SENTINEL, cd.fd);
	EXPECT_EQ(0, close(dev));
	dev2 = create_vfio(self->vm);
	EXPECT_EQ(dev, dev2);
	EXPECT_ERRNO(EBUSY, create_device(self->vm, KVM_DEV_TYPE_VFIO, 0, &cd));
	close(dev2);
}

/*
 * Release happens on the last reference to the file, not on the first
 * close(): a dup()ed fd, or a forked child's copy, keeps the device.
 */
TEST_F(device, release_on_last_reference)
{
	struct kvm_create_device cd = { .fd = FD_SENTINEL };
	int dev = create_vfio(self->vm);
	int dup_fd, dev2;
	pid_t pid;

	ASSERT_LE(0, dev);
	dup_fd = dup(dev);
	ASSERT_LE(0, dup_fd);
	EXPECT_EQ(0, close(dev));
	EXPECT_ERRNO(EBUSY, create_device(self->vm, KVM_DEV_TYPE_VFIO, 0, &cd));
	EXPECT_RET(0, device_attr(dup_fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
				  KVM_DEV_VFIO_FILE_ADD, 0));
	/* A child that exits drops its copy only. */
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(0);
	ASSERT_LT(0, pid);
	waitpid(pid, NULL, 0);
	EXPECT_ERRNO(EBUSY, create_device(self->vm, KVM_DEV_TYPE_VFIO, 0, &cd));
	EXPECT_EQ(0, close(dup_fd));
	dev2 = create_vfio(self->vm);
	EXPECT_LE(0, dev2);
	close(dev2);
}

/* The one-per-VM rule walks this VM's device list only. */
TEST_F(device, vfio_in_second_vm)
{
	int vm2 = ioctl(self->sys, KVM_CREATE_VM, 0);
	int dev1 = create_vfio(self->vm);
	int dev2;

	ASSERT_LE(0, vm2);
	ASSERT_LE(0, dev1);
	dev2 = create_vfio(vm2);
	EXPECT_LE(0, dev2) TH_LOG("%s", strerror(errno));
	EXPECT_NE(dev1, dev2);
	EXPECT_EQ(0, close(dev2));
	EXPECT_EQ(0, close(vm2));
	EXPECT_RET(0, device_attr(dev1, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
				  KVM_DEV_VFIO_FILE_ADD, 0));
	close(dev1);
}

/*
 * The same type, flags and pointer cases give the same answer on both nodes
 * for every type of the table and a few beyond: the return value, the errno,
 * whether cd.fd was written and the name of the fd. Needs both nodes.
 */
TEST(same_answer_on_both_nodes)
{
	const char *paths[2] = { KVM_NODE, KVM_DEVCTL_NODE };
	int sys[2], vm[2], n;
	__u32 type, flags;

	for (n = 0; n < 2; n++) {
		sys[n] = open_node(paths[n]);
		if (n == 0 && kvm_absent(paths[n], sys[n]))
			SKIP(return, "no real KVM in this kernel");
		ASSERT_LE(0, sys[n]) TH_LOG("open %s: %s", paths[n], strerror(errno));
		vm[n] = ioctl(sys[n], KVM_CREATE_VM, 0);
		ASSERT_LE(0, vm[n]);
	}
	for (type = 0; type < KVM_DEV_TYPE_MAX + 4; type++) {
		for (flags = 0; flags <= KVM_CREATE_DEVICE_TEST; flags++) {
			struct kvm_create_device cd[2];
			struct sysret s[2];
			char name[2][128];

			for (n = 0; n < 2; n++) {
				cd[n] = (struct kvm_create_device){ .fd = FD_SENTINEL };
				s[n] = SYS(create_device(vm[n], type, flags, &cd[n]));
				name[n][0] = 0;
				if (s[n].ret == 0 && cd[n].fd != FD_SENTINEL) {
					fd_name(cd[n].fd, name[n], sizeof(name[n]));
					close(cd[n].fd);
				}
			}
			EXPECT_EQ(s[0].ret, s[1].ret) TH_LOG("type %u flags %u", type, flags);
			EXPECT_STREQ(errno_name(s[0].err), errno_name(s[1].err))
				TH_LOG("type %u flags %u", type, flags);
			EXPECT_EQ(cd[0].fd == FD_SENTINEL, cd[1].fd == FD_SENTINEL)
				TH_LOG("type %u flags %u", type, flags);
			EXPECT_STREQ(name[0], name[1]) TH_LOG("type %u flags %u", type, flags);
		}
	}
	for (n = 0; n < 2; n++) {
		close(vm[n]);
		close(sys[n]);
	}
}

TEST_HARNESS_MAIN
