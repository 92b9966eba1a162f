// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin that counts the instructions a guest executes, for the
 * instruction-count table of make bench (scripts/bench).
 *
 * Per vCPU, it counts the instructions executed at kernel addresses (the
 * upper half) and the translation blocks (TBs) they ran in, and the
 * instructions executed at user addresses. Whenever the guest executes the
 * marker instruction, nopl 0x4b56444d(%rax), which bench -m puts around
 * each measured loop, it writes the counters of that vCPU to QEMU's log
 * (-d plugin -D FILE):
 *
 *   insn-mark <vcpu> <kernel insns> <kernel TBs> <user insns>
 *
 * tools/bench/insns.py turns the marks into instructions per operation. A
 * count of instructions does not depend on how busy the host is, unlike the
 * times of an emulated guest; the TBs executed per operation approximate
 * the control transfers that QEMU handles one by one.
 *
 * Written against the plugin API of QEMU 7.2 (QEMU_PLUGIN_VERSION 1, the
 * Debian bookworm package that scripts/setup-toolchain installs). Its
 * header is not packaged, so the few functions used are declared here.
 *
 *   gcc -shared -fPIC -O2 -o insn_plugin.so insn_plugin.c
 *   qemu-system-x86_64 -plugin ./insn_plugin.so -d plugin -D insn.log ...
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_VCPUS 64
#define KERNEL_START 0xffff800000000000ull

/* Each vCPU thread writes only its own slot. */
static uint64_t kernel_insns[MAX_VCPUS], kernel_tbs[MAX_VCPUS], user_insns[MAX_VCPUS];

static const unsigned char marker[] = { 0x0f, 0x1f, 0x80, 0x4d, 0x44, 0x56, 0x4b };

static void exec_kernel(unsigned int vcpu, void *n)
{
	if (vcpu < MAX_VCPUS) {
		kernel_insns[vcpu] += (uintptr_t)n;
		kernel_tbs[vcpu]++;
	}
}

static void exec_user(unsigned int vcpu, void *n)
{
	if (vcpu < MAX_VCPUS)
		user_insns[vcpu] += (uintptr_t)n;
}

static void exec_marker(unsigned int vcpu, void *unused)
{
	char buf[128];

	(void)unused;
	if (vcpu >= MAX_VCPUS)
		return;
	snprintf(buf, sizeof(buf), "insn-mark %u %llu %llu %llu\n", vcpu,
		 (unsigned long long)kernel_insns[vcpu], (unsigned long long)kernel_tbs[vcpu],
		 (unsigned long long)user_insns[vcpu]);
	qemu_plugin_outs(buf);
}

static void translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	if (qemu_plugin_tb_vaddr(tb) >= KERNEL_START) {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, exec_kernel, QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)n);
		return;
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, exec_user, QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)n);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (qemu_plugin_insn_size(insn) == sizeof(marker) &&
		    !memcmp(qemu_plugin_insn_data(insn), marker, sizeof(marker)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, exec_marker,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
	(void)info;
	(void)argc;
	(void)argv;
	qemu_plugin_register_vcpu_tb_trans_cb(id, translate);
	return 0;
}
