#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demonstration that `make run` shows, run in the guest from /opt.
set -e
say() { printf '\n$ %s\n' "$*"; "$@"; }

echo "kvm-devctl demonstration: $(uname -sr), $(nproc) vCPUs"
echo "The module registered its node when it was loaded:"
say grep kvm_devctl /proc/modules
say ls -l /dev/kvm-devctl /dev/kvm
echo
echo "Both nodes, queried through the rust-vmm kvm-ioctls client:"
say ./kvm-devctl --node /dev/kvm-devctl info
say ./kvm-devctl --node /dev/kvm info
