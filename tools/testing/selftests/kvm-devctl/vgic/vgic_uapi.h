/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arm64 UAPI the VGIC transcript programs use: KVM_DEV_ARM_VGIC_*,
 * KVM_VGIC_*_ADDR_TYPE_*, KVM_ARM_PREFERRED_TARGET, KVM_ARM_VCPU_INIT,
 * struct kvm_vcpu_init, KVM_ARM_SET_DEVICE_ADDR's id layout, ...
 *
 * Every arm64-only constant the programs use comes through this header.
 * On aarch64 they are the real kernel's (<linux/kvm.h> includes
 * <asm/kvm.h>); built against the 7.3 headers that scripts/build-ref-kernel
 * installs, since Debian's arm64-cross libc headers are older.
 *
 * On x86 the same constants will come from kvm-devctl's own UAPI header
 * (issue 4: defined once, for the module through bindgen and for these
 * programs), which does not exist yet.
 */
#ifndef VGIC_UAPI_H
#define VGIC_UAPI_H

#if defined(__aarch64__)
#include <linux/kvm.h>
#else
#error "vgic_uapi.h: the arm64 VGIC UAPI for this architecture is not written yet"
#endif

#endif /* VGIC_UAPI_H */
