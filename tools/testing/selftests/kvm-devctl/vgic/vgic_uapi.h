/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arm64 UAPI the VGIC transcript programs use: KVM_DEV_ARM_VGIC_*,
 * KVM_VGIC_*_ADDR_TYPE_*, KVM_ARM_PREFERRED_TARGET, KVM_ARM_VCPU_INIT,
 * struct kvm_vcpu_init, KVM_ARM_SET_DEVICE_ADDR's id layout, ...
 *
 * They come from <linux/kvm_arm_vgic.h> (rust/ patch 11 of kvm-devctl's
 * kernel), the one definition that the module (through bindgen) and these
 * programs share: on aarch64 it is arm64's own <asm/kvm.h>, elsewhere the
 * same names and values, which `make uapi-check` compares with arm64's.
 * Build against the installed headers of the pinned 7.3 kernel (Debian's
 * arm64-cross libc headers are older).
 */
#ifndef VGIC_UAPI_H
#define VGIC_UAPI_H

#include <linux/kvm_arm_vgic.h>

#endif /* VGIC_UAPI_H */
