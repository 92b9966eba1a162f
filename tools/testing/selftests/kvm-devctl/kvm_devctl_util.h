/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kvm-devctl selftests.
 */
#ifndef KVM_DEVCTL_UTIL_H
#define KVM_DEVCTL_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

/* The node of the module as loaded by scripts/vm-run. */
#define KVM_DEVCTL_NODE "/dev/kvm-devctl"
/* Where scripts/vm-run puts the module in the guest. */
#define KVM_DEVCTL_KO "/lib/modules/kvm_devctl.ko"

/* Runs a shell command; returns its exit status, or -1 if it did not exit. */
static inline int run(const char *cmd)
{
	int status = system(cmd);

	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Loads the module with the given insmod arguments. */
static inline int module_load(const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "insmod " KVM_DEVCTL_KO " %s", args);
	return run(cmd);
}

/* Opens a node and returns its KVM_GET_API_VERSION, or -errno. */
static inline int api_version_of(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	return r;
}

#endif /* KVM_DEVCTL_UTIL_H */
