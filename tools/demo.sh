#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demonstration that `make run` shows, run in the guest from /opt.
set -e
say() { printf '\n$ %s\n' "$*"; "$@"; }
# Like say, but a failure is reported and remembered instead of ending the
# demonstration, so that both nodes are always shown side by side.
failed=0
show() {
	printf '\n$ %s\n' "$*"
	"$@" || { rc=$?; echo "(exit status $rc)"; failed=1; }
}

echo "kvm-devctl demonstration: $(uname -sr), $(nproc) vCPUs"
echo "The module registered its node when it was loaded:"
say grep kvm_devctl /proc/modules
say ls -l /dev/kvm-devctl /dev/kvm-devctl-arm64 /dev/kvm
echo
echo "Both nodes, queried through the rust-vmm kvm-ioctls client:"
say ./kvm-devctl --node /dev/kvm-devctl info
say ./kvm-devctl --node /dev/kvm info

echo
echo "The device types each node supports (KVM_CREATE_DEVICE with KVM_CREATE_DEVICE_TEST):"
show ./kvm-devctl --node /dev/kvm-devctl probe
show ./kvm-devctl --node /dev/kvm probe

echo
echo "A VM, a vCPU and a kvm-vfio device, driven by a script (demo.kvmdev);"
echo "each 'expect' asserts the errno that the kernel source gives:"
[ -f demo.kvmdev ] || echo "(demo.kvmdev is missing: scripts/demo must --add tools/demo.kvmdev)"
show ./kvm-devctl --node /dev/kvm-devctl run demo.kvmdev
show ./kvm-devctl --node /dev/kvm run demo.kvmdev

echo
echo "The arm64 node: a GICv3 and an ITS set up as QEMU's virt board sets them up,"
echo "LPIs mapped by ITS commands in guest memory, then migrated: save, restore into"
echo "a new VM with a copy of guest memory, save again, compare (demo-gic.kvmdev;"
echo "each 'expect' asserts what real arm64 KVM gives, golden/vgic_v3.txt and vgic_its.txt):"
[ -f demo-gic.kvmdev ] || echo "(demo-gic.kvmdev is missing: scripts/demo must --add tools/demo-gic.kvmdev)"
show ./kvm-devctl --node /dev/kvm-devctl-arm64 probe
show ./kvm-devctl --node /dev/kvm-devctl-arm64 run demo-gic.kvmdev
exit $failed
