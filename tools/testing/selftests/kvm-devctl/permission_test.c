// SPDX-License-Identifier: GPL-2.0
/*
 * Who may use the nodes and the files they hand out.
 *
 * The node: /dev/kvm is the misc device KVM_MINOR (232) registered without
 * a mode (virt/kvm/kvm_main.c, kvm_dev), which devtmpfs creates as a
 * character device 0600 root:root (drivers/base/devtmpfs.c); kvm-devctl's
 * node is a misc device registered the same way. Opening either needs write
 * permission on the node (both are opened O_RDWR), so a process without
 * root's uid and capabilities gets EACCES from the VFS, before the driver
 * is reached. The check is at open only: an fd opened as root keeps
 * working after the process gave up root.
 *
 * The files: kvm_vm_ioctl(), kvm_vcpu_ioctl() and kvm_device_ioctl() start
 * with "kvm->mm != current->mm: -EIO". A VM, vCPU or device fd passed over a
 * UNIX socket (SCM_RIGHTS) to another process, one forked before the VM
 * existed or one that exec()ed (a new mm even for the same program), gets
 * EIO from every ioctl, before anything else is looked at; mmap() has no
 * such check in KVM (kvm_vcpu_mmap(), kvm_device_mmap()) and answers as it
 * would for the owner. When the receiver holds the last references, its
 * close() destroys the VM.
 *
 * The fd tests run against both /dev/kvm-devctl and the real /dev/kvm.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "kvm_devctl_util.h"

/* The misc character devices' major (include/linux/miscdevice.h). */
#define MISC_MAJOR 10
/* nobody:nogroup */
#define NOBODY 65534

static const char *const nodes[] = { KVM_DEVCTL_NODE, KVM_NODE };

/*
 * Both nodes are character devices of the misc major, mode 0600, owned by
 * root:root: the same as each other in everything but the minor.
 */
TEST(nodes_are_root_only_misc_devices)
{
	struct stat st[ARRAY_SIZE(nodes)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nodes); i++) {
		ASSERT_EQ(0, stat(nodes[i], &st[i])) TH_LOG("%s: %s", nodes[i], strerror(errno));
		EXPECT_TRUE(S_ISCHR(st[i].st_mode)) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(0600, st[i].st_mode & 07777) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(0, st[i].st_uid) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(0, st[i].st_gid) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(MISC_MAJOR, major(st[i].st_rdev)) TH_LOG("%s", nodes[i]);
	}
	EXPECT_EQ(st[0].st_mode, st[1].st_mode);
	EXPECT_EQ(st[0].st_uid, st[1].st_uid);
	EXPECT_EQ(st[0].st_gid, st[1].st_gid);
	EXPECT_NE(minor(st[0].st_rdev), minor(st[1].st_rdev));
}

/* What the unprivileged child saw, sent back over a pipe. */
struct unpriv_report {
	uid_t uid, euid;
	gid_t gid;
	int ngroups;
	struct sysret open_rdwr[2], open_rdonly[2], open_wronly[2];
	/* With an fd opened as root before setuid(). */
	struct sysret api_version[2], create_vm[2];
};

/*
 * A process that gave up root (setgroups(0), setgid(), setuid() to
 * nobody) gets EACCES opening either node, for every access mode; an fd it
 * opened while it was root still answers KVM_GET_API_VERSION and
 * KVM_CREATE_VM, on both nodes alike.
 */
TEST(non_root_open_eacces)
{
	struct unpriv_report rep = { .ngroups = -1 };
	int p[2], status;
	size_t i;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fds[2];

		for (i = 0; i < ARRAY_SIZE(nodes); i++)
			fds[i] = open_node(nodes[i]);
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(2);
		rep.uid = getuid();
		rep.euid = geteuid();
		rep.gid = getgid();
		rep.ngroups = getgroups(0, NULL);
		for (i = 0; i < ARRAY_SIZE(nodes); i++) {
			int vm;

			rep.open_rdwr[i] = SYS(open(nodes[i], O_RDWR | O_CLOEXEC));
			rep.open_rdonly[i] = SYS(open(nodes[i], O_RDONLY | O_CLOEXEC));
			rep.open_wronly[i] = SYS(open(nodes[i], O_WRONLY | O_CLOEXEC));
			rep.api_version[i] = SYS(ioctl(fds[i], KVM_GET_API_VERSION, 0));
			rep.create_vm[i] = SYS(vm = ioctl(fds[i], KVM_CREATE_VM, 0));
			if (vm >= 0)
				close(vm);
		}
		if (write(p[1], &rep, sizeof(rep)) != sizeof(rep))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(sizeof(rep), read(p[0], &rep, sizeof(rep)));
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(NOBODY, rep.uid);
	EXPECT_EQ(NOBODY, rep.euid);
	EXPECT_EQ(NOBODY, rep.gid);
	EXPECT_EQ(0, rep.ngroups);
	for (i = 0; i < ARRAY_SIZE(nodes); i++) {
		struct sysret *opens[] = { &rep.open_rdwr[i], &rep.open_rdonly[i],
					   &rep.open_wronly[i] };
		size_t j;

		for (j = 0; j < ARRAY_SIZE(opens); j++) {
			EXPECT_EQ(-1, opens[j]->ret) TH_LOG("%s, open %zu", nodes[i], j);
			EXPECT_STREQ("EACCES", errno_name(opens[j]->err))
				TH_LOG("%s, open %zu", nodes[i], j);
		}
		EXPECT_EQ(KVM_API_VERSION, rep.api_version[i].ret) TH_LOG("%s", nodes[i]);
		EXPECT_LE(0, rep.create_vm[i].ret)
			TH_LOG("%s: KVM_CREATE_VM %s", nodes[i], errno_name(rep.create_vm[i].err));
	}
}

/* The fds a receiver gets, in this order. */
enum { RX_VM, RX_VCPU, RX_DEV, RX_FDS };

/* One call of the receiver's battery and its answer. */
struct answer {
	char what[40];
	int expect;		/* the errno expected, or 0 for success */
	long ret;
	int err;
};

#define MAX_ANSWERS 48

struct battery {
	int n;
	struct answer a[MAX_ANSWERS];
};

static void record(struct battery *b, const char *what, int expect, struct sysret s)
{
	struct answer *a;

	if (b->n == MAX_ANSWERS)
		return;
	a = &b->a[b->n++];
	snprintf(a->what, sizeof(a->what), "%s", what);
	a->expect = expect;
	a->ret = s.ret;
	a->err = s.err;
}

/*
 * Every ioctl of the VM, vCPU and device files, from a process that does
 * not own the VM: EIO. mmap() is not an ioctl and has no owner check.
 */
static void run_battery(const int fd[RX_FDS], struct battery *b)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	struct kvm_create_device cd_test = {
		.type = KVM_DEV_TYPE_VFIO, .flags = KVM_CREATE_DEVICE_TEST,
	};
	__s32 null_fd = open("/dev/null", O_RDWR | O_CLOEXEC), bad_fd = -1;
	struct kvm_device_attr add = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
		.addr = (unsigned long)&null_fd,
	};
	struct kvm_device_attr add_bad = add, del = add, get = add;
	struct kvm_device_attr sys_attr = { .group = 1 };
	size_t page = getpagesize();
	struct {
		const char *what;
		int fd;
		unsigned long req;
		unsigned long arg;
	} calls[] = {
		{ "VM KVM_CREATE_VCPU 1", fd[RX_VM], KVM_CREATE_VCPU, 1 },
		{ "VM KVM_CREATE_VCPU 0 (exists)", fd[RX_VM], KVM_CREATE_VCPU, 0 },
		{ "VM KVM_CREATE_DEVICE", fd[RX_VM], KVM_CREATE_DEVICE, (unsigned long)&cd },
		{ "VM KVM_CREATE_DEVICE TEST", fd[RX_VM], KVM_CREATE_DEVICE,
		  (unsigned long)&cd_test },
		{ "VM KVM_CREATE_DEVICE NULL", fd[RX_VM], KVM_CREATE_DEVICE, 0 },
		{ "VM KVM_CHECK_EXTENSION", fd[RX_VM], KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL },
		{ "VM KVM_GET_API_VERSION", fd[RX_VM], KVM_GET_API_VERSION, 0 },
		{ "VM KVM_CREATE_VM", fd[RX_VM], KVM_CREATE_VM, 0 },
		{ "VM KVM_GET_VCPU_MMAP_SIZE", fd[RX_VM], KVM_GET_VCPU_MMAP_SIZE, 0 },
		{ "VM KVM_HAS_DEVICE_ATTR", fd[RX_VM], KVM_HAS_DEVICE_ATTR,
		  (unsigned long)&sys_attr },
		{ "VM KVM_RUN", fd[RX_VM], KVM_RUN, 0 },
		{ "VM unknown KVMIO 0xff", fd[RX_VM], _IO(KVMIO, 0xff), 0 },
		{ "VM non-KVM ioctl", fd[RX_VM], _IO('x', 1), 0 },
		{ "VM FIONREAD", fd[RX_VM], FIONREAD, (unsigned long)&bad_fd },
		{ "vCPU KVM_RUN", fd[RX_VCPU], KVM_RUN, 0 },
		{ "vCPU KVM_GET_REGS", fd[RX_VCPU], KVM_GET_REGS, 0 },
		{ "vCPU KVM_CREATE_DEVICE", fd[RX_VCPU], KVM_CREATE_DEVICE, (unsigned long)&cd },
		{ "vCPU unknown KVMIO 0xff", fd[RX_VCPU], _IO(KVMIO, 0xff), 0 },
		{ "vCPU non-KVM ioctl", fd[RX_VCPU], _IO('x', 1), 0 },
		{ "device SET ADD /dev/null", fd[RX_DEV], KVM_SET_DEVICE_ATTR,
		  (unsigned long)&add },
		{ "device SET ADD -1", fd[RX_DEV], KVM_SET_DEVICE_ATTR, (unsigned long)&add_bad },
		{ "device SET DEL", fd[RX_DEV], KVM_SET_DEVICE_ATTR, (unsigned long)&del },
		{ "device GET", fd[RX_DEV], KVM_GET_DEVICE_ATTR, (unsigned long)&get },
		{ "device HAS", fd[RX_DEV], KVM_HAS_DEVICE_ATTR, (unsigned long)&add },
		{ "device HAS NULL", fd[RX_DEV], KVM_HAS_DEVICE_ATTR, 0 },
		{ "device KVM_CREATE_DEVICE", fd[RX_DEV], KVM_CREATE_DEVICE, (unsigned long)&cd },
		{ "device unknown KVMIO 0xff", fd[RX_DEV], _IO(KVMIO, 0xff), 0 },
		{ "device non-KVM ioctl", fd[RX_DEV], _IO('x', 1), 0 },
	};
	struct sysret s;
	size_t i;
	void *map;

	add_bad.addr = (unsigned long)&bad_fd;
	del.attr = KVM_DEV_VFIO_FILE_DEL;
	for (i = 0; i < ARRAY_SIZE(calls); i++)
		record(b, calls[i].what, EIO, SYS(ioctl(calls[i].fd, calls[i].req, calls[i].arg)));

	/* mmap(): the three pages of the vCPU file map, the device has none. */
	map = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd[RX_VCPU], 0);
	s = (struct sysret){ .ret = map == MAP_FAILED ? -1 : 0,
			     .err = map == MAP_FAILED ? errno : 0 };
	record(b, "vCPU mmap 3 pages", 0, s);
	if (map != MAP_FAILED)
		munmap(map, 3 * page);
	map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd[RX_DEV], 0);
	s = (struct sysret){ .ret = map == MAP_FAILED ? -1 : 0,
			     .err = map == MAP_FAILED ? errno : 0 };
	record(b, "device mmap", ENODEV, s);
	if (map != MAP_FAILED)
		munmap(map, page);
	close(null_fd);
}

/* Sends n fds with SCM_RIGHTS and one byte of data. */
static int send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * RX_FDS)] = { 0 };
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = CMSG_SPACE(sizeof(int) * n),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Receives RX_FDS fds sent by send_fds(); 0 or -1. */
static int recv_fds(int sock, int *fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * RX_FDS)];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int) * RX_FDS))
		return -1;
	memcpy(fds, CMSG_DATA(c), sizeof(int) * RX_FDS);
	return 0;
}

/*
 * The receiver, forked or exec()ed: takes the fds, runs the battery, sends
 * the answers, and on the go-ahead closes the fds (the last references) and
 * says so. Returns its exit status.
 */
static int receiver(int sock)
{
	struct battery b = { .n = 0 };
	int fd[RX_FDS], i;
	char go;

	if (recv_fds(sock, fd))
		return 10;
	run_battery(fd, &b);
	if (write(sock, &b, sizeof(b)) != sizeof(b))
		return 11;
	if (read(sock, &go, 1) != 1)
		return 12;
	for (i = 0; i < RX_FDS; i++)
		if (close(fd[i]))
			return 13;
	if (write(sock, "C", 1) != 1)
		return 14;
	return 0;
}

FIXTURE(pass) {
	int sys;
	struct objects base;
};

NODE_VARIANTS(pass);

FIXTURE_SETUP(pass)
{
	NODE_OPEN(variant->path, self->sys);
	ASSERT_EQ(0, live_objects(variant->path, &self->base));
}

FIXTURE_TEARDOWN(pass)
{
	if (self->sys >= 0)
		close(self->sys);
}

/*
 * Creates a VM with vCPU 0 and a kvm-vfio device, sends the three fds to
 * the receiver at the other end of sock, closes its own copies, and checks
 * the receiver's answers and that its close destroyed everything.
 */
static void pass_to_receiver(struct __test_metadata *_metadata, const char *path, int sys,
			     const struct objects *base, int sock, pid_t pid)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	struct battery b = { .n = 0 };
	struct objects o, held;
	int fd[RX_FDS], i, status;
	char buf[64], c;

	fd[RX_VM] = ioctl(sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, fd[RX_VM]);
	fd[RX_VCPU] = ioctl(fd[RX_VM], KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, fd[RX_VCPU]);
	ASSERT_EQ(0, ioctl(fd[RX_VM], KVM_CREATE_DEVICE, &cd));
	fd[RX_DEV] = cd.fd;
	ASSERT_EQ(0, live_objects(path, &held));
	ASSERT_EQ(0, send_fds(sock, fd, RX_FDS));
	for (i = 0; i < RX_FDS; i++)
		EXPECT_EQ(0, close(fd[i]));

	ASSERT_EQ(sizeof(b), read(sock, &b, sizeof(b)));
	ASSERT_LT(0, b.n);
	for (i = 0; i < b.n; i++) {
		struct answer *a = &b.a[i];

		if (a->expect) {
			EXPECT_EQ(-1, a->ret) TH_LOG("%s", a->what);
			EXPECT_STREQ(errno_name(a->expect), errno_name(a->err)) TH_LOG("%s", a->what);
		} else {
			EXPECT_EQ(0, a->ret) TH_LOG("%s: %s", a->what, errno_name(a->err));
		}
	}
	/* The receiver's fds keep everything alive. */
	ASSERT_EQ(0, live_objects(path, &o));
	EXPECT_TRUE(objects_equal(&held, &o)) TH_LOG("%s", objects_str(&o, buf, sizeof(buf)));
	EXPECT_EQ(base->vms + 1, o.vms);
	ASSERT_EQ(1, write(sock, "G", 1));
	ASSERT_EQ(1, read(sock, &c, 1));
	EXPECT_EQ('C', c);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("status %#x", status);
	/* Its close dropped the last references: the VM is destroyed. */
	ASSERT_EQ(0, live_objects(path, &o));
	EXPECT_TRUE(objects_equal(base, &o)) TH_LOG("%s", objects_str(&o, buf, sizeof(buf)));
}

/* The receiver was forked before the VM existed. */
TEST_F(pass, scm_rights_to_process_forked_before)
{
	int sv[2];
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		close(self->sys);
		_exit(receiver(sv[1]));
	}
	close(sv[1]);
	pass_to_receiver(_metadata, variant->path, self->sys, &self->base, sv[0], pid);
	close(sv[0]);
}

/* The receiver is this program exec()ed anew (argv[1] "--receiver", argv[2] its socket). */
TEST_F(pass, scm_rights_to_exec_ed_process)
{
	char exe[4096], sockarg[16];
	ssize_t n;
	int sv[2];
	pid_t pid;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = 0;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Only the socket crosses the exec: everything else is O_CLOEXEC. */
		if (fcntl(sv[1], F_SETFD, 0))
			_exit(20);
		snprintf(sockarg, sizeof(sockarg), "%d", sv[1]);
		execl(exe, exe, "--receiver", sockarg, (char *)NULL);
		_exit(21);
	}
	close(sv[1]);
	pass_to_receiver(_metadata, variant->path, self->sys, &self->base, sv[0], pid);
	close(sv[0]);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--receiver"))
		return receiver(atoi(argv[2]));
	return test_harness_run(argc, argv);
}
