// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the arm64 reference guest (scripts/vm-run-ref): a static aarch64
 * program, since no aarch64 busybox is installed. It mounts devtmpfs, proc,
 * sysfs, tmpfs and debugfs, runs the commands listed in /etc/vm-run/cmd as
 * root in /opt with their output on /dev/hvc0 (a virtio console, apart from
 * the kernel console on ttyAMA0), and reports on /dev/hvc0:
 *
 *	@@VMRUN-START@@
 *	@@VMRUN-CMD <i>@@          before command i (0, 1, ...)
 *	@@VMRUN-CMDEXIT <i> <rc>@@ after it: its exit status, 128+N for signal N
 *	@@VMRUN-EXIT <rc>@@        the first non-zero status, else 0
 *	@@VMRUN-DONE@@
 *
 * then reboots, which ends QEMU (-no-reboot). /etc/vm-run/cmd holds each
 * command's arguments NUL-terminated, and an empty argument ends a command.
 * A command without a '/' is looked up in /opt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 64

static int out = -1;

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(out >= 0 ? out : 2, buf, n) < 0)
		return;
}

static void stop(void)
{
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void mnt(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY)
		fprintf(stderr, "init-ref: mount %s on %s: %s\n", type, dst, strerror(errno));
}

/* Runs argv in /opt with stdout and stderr on out; returns its status. */
static int run(char **argv)
{
	char path[256];
	int status;
	pid_t pid;

	if (strchr(argv[0], '/'))
		snprintf(path, sizeof(path), "%s", argv[0]);
	else
		snprintf(path, sizeof(path), "/opt/%s", argv[0]);
	pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		if (chdir("/opt") || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execv(path, argv);
		dprintf(2, "init-ref: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 127;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int main(void)
{
	static char cmd[16384];
	char *argv[MAX_ARGS + 1];
	int argc = 0, ncmd = 0, rc = 0, fd;
	ssize_t len, i, start;

	mnt("devtmpfs", "/dev", "devtmpfs");
	mnt("proc", "/proc", "proc");
	mnt("sysfs", "/sys", "sysfs");
	mnt("tmpfs", "/tmp", "tmpfs");
	mnt("debugfs", "/sys/kernel/debug", "debugfs");
	setenv("PATH", "/opt", 1);
	setenv("HOME", "/", 1);

	out = open("/dev/hvc0", O_WRONLY | O_NOCTTY);
	if (out < 0) {
		fprintf(stderr, "init-ref: open /dev/hvc0: %s\n", strerror(errno));
		stop();
	}
	fd = open("/etc/vm-run/cmd", O_RDONLY);
	len = fd < 0 ? -1 : read(fd, cmd, sizeof(cmd) - 1);
	if (len <= 0) {
		say("@@VMRUN-FAIL cannot read /etc/vm-run/cmd@@\n");
		stop();
	}
	cmd[len] = 0;

	say("@@VMRUN-START@@\n");
	for (i = 0, start = 0; i < len; i++) {
		if (cmd[i])
			continue;
		if (i > start) {	/* one argument */
			if (argc == MAX_ARGS) {
				say("@@VMRUN-FAIL too many arguments@@\n");
				stop();
			}
			argv[argc++] = &cmd[start];
		} else if (argc) {	/* an empty argument ends the command */
			int r;

			argv[argc] = NULL;
			say("@@VMRUN-CMD %d@@\n", ncmd);
			r = run(argv);
			say("@@VMRUN-CMDEXIT %d %d@@\n", ncmd, r);
			if (r && !rc)
				rc = r;
			ncmd++;
			argc = 0;
		}
		start = i + 1;
	}
	say("@@VMRUN-EXIT %d@@\n", rc);
	say("@@VMRUN-DONE@@\n");
	stop();
	return 0;
}
