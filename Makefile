# SPDX-License-Identifier: GPL-2.0
#
# kvm-devctl: the developer's entry points. The module itself is described by
# Kbuild; this file wraps kbuild with the cached custom kernel.
#
#   make                 build the module (FLAVOUR=debug by default)
#   make run             boot the default kernel and show the module at work
#   make check           build everything stale, boot the debug kernel, run every suite
#   make bench           boot the default kernel, benchmark against real KVM (not in check)
#   make stress          race stress on the debug kernel (DURATION=seconds, default 600)
#   make fuzz            ioctl fuzzer on the debug kernel (DURATION=seconds, SEED=n)
#   make golden          take the VGIC transcripts from real arm64 KVM (QEMU aarch64)
#   make fmt             rustfmt --check with the kernel's .rustfmt.toml
#   make clippy          build with CLIPPY=1 W=e
#   make uapi-check      compare <linux/kvm_arm_vgic.h> (rust/ patch 11) with arm64's values
#   make rust-analyzer   write rust-project.json
#   make kernel          build (or refresh) the cached kernel for FLAVOUR
#   make clean

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
FLAVOUR ?= debug
LLVM_SUFFIX := $(shell . $(REPO)/scripts/versions.sh && echo $$LLVM_SUFFIX)
KDIR ?= $(shell $(REPO)/scripts/build-kernel --dir $(FLAVOUR))
KSRC = $(KDIR)/source
BUILD := $(REPO)/build/$(FLAVOUR)
export LIBCLANG_PATH := /usr/lib/llvm$(LLVM_SUFFIX)/lib

KMAKE = $(MAKE) -C $(KDIR) M=$(REPO) MO=$(BUILD) LLVM=$(LLVM_SUFFIX)

.PHONY: all modules kernel clean check run bench stress fuzz golden fmt clippy uapi-check rust-analyzer \
	tests toolchain

all: modules

toolchain:
	$(REPO)/scripts/setup-toolchain

kernel:
	@$(REPO)/scripts/build-kernel $(FLAVOUR) >/dev/null

modules: kernel
	@mkdir -p $(BUILD)
	+$(KMAKE) modules

# Lint with and without the KUnit suites: code that only tests use must not
# hide a dead-code warning from the build that ships. Separate output
# directories leave the plain build alone.
clippy: kernel
	@mkdir -p $(BUILD)-clippy $(BUILD)-clippy-nokunit
	+$(MAKE) -C $(KDIR) M=$(REPO) MO=$(BUILD)-clippy LLVM=$(LLVM_SUFFIX) CLIPPY=1 W=e modules
	+$(MAKE) -C $(KDIR) M=$(REPO) MO=$(BUILD)-clippy-nokunit LLVM=$(LLVM_SUFFIX) \
		CLIPPY=1 W=e KVM_DEVCTL_KUNIT=0 modules

fmt: kernel
	rustfmt --check --edition 2021 --config-path $(KSRC)/.rustfmt.toml \
		$$(git -C $(REPO) ls-files '*.rs' | sed 's|^|$(REPO)/|')

uapi-check: kernel
	$(REPO)/scripts/check-uapi $(KDIR)

rust-analyzer: kernel
	+$(KMAKE) rust-analyzer

tests: kernel
	+$(MAKE) -C $(REPO)/tools KDIR=$(KDIR)

check:
	$(REPO)/scripts/check

run:
	$(REPO)/scripts/demo

bench:
	$(REPO)/scripts/bench

DURATION ?= 600
stress:
	$(REPO)/scripts/stress --duration $(DURATION)

fuzz:
	$(REPO)/scripts/fuzz --duration $(DURATION) $(if $(SEED),--seed $(SEED))

golden:
	$(REPO)/scripts/golden

clean:
	rm -rf $(REPO)/build
	+$(MAKE) -C $(REPO)/tools clean
