# SPDX-License-Identifier: GPL-2.0
# The one place that pins what kvm-devctl builds against. Sourced by the
# scripts and read by the Makefile; changing a value here re-keys every cache.

# Debian's linux-source package (trixie-backports) and its exact version.
KERNEL_PKG=linux-source-7.3
KERNEL_PKG_VERSION=7.3.4-1~bpo13+1
KERNEL_SUITE=trixie-backports

# Toolchain.
LLVM_SUFFIX=-19
BINDGEN_VERSION=0.72.1

# Where builds are cached, outside the repository.
KVM_DEVCTL_CACHE=${KVM_DEVCTL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-devctl}
