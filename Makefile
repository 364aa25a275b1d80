# SPDX-License-Identifier: GPL-2.0-only
#
# VFIO PCI drivers.
#
# In a kernel tree (as drivers/vfio/pci) only the Kbuild part below is read.
# Out of tree, "make" builds the modules against $(KDIR) and the other
# targets drive the test VM; see README.md.

ifneq ($(KERNELRELEASE),)

vfio-pci-core-y := vfio_pci_core.o vfio_pci_intrs.o vfio_pci_rdwr.o vfio_pci_config.o \
		  vfio_pci_reset.o vfio_pci_power.o vfio_pci_sriov.o vfio_pci_mig.o
vfio-pci-core-$(CONFIG_VFIO_PCI_ZDEV_KVM) += vfio_pci_zdev.o
obj-$(CONFIG_VFIO_PCI_CORE) += vfio-pci-core.o

vfio-pci-y := vfio_pci.o
vfio-pci-$(CONFIG_VFIO_PCI_IGD) += vfio_pci_igd.o
obj-$(CONFIG_VFIO_PCI) += vfio-pci.o

obj-$(CONFIG_VFIO_PCI_EDU) += edu/
obj-$(CONFIG_MLX5_VFIO_PCI) += mlx5/

else

# The running kernel's build tree when it has one, else the Debian 6.12
# headers the setup step installed (the release the meta package names).
VM_LIB := tools/testing/vm/lib.sh
DEB_KVER := $(shell . ./$(VM_LIB) && vm_kernel_release 2>/dev/null)
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(if $(DEB_KVER),/usr/src/linux-headers-$(DEB_KVER)))
# The kernel the test VM boots: always the Debian one, so the modules the
# VM loads are built against its headers whatever KDIR says.
VM_KDIR = /usr/src/linux-headers-$(DEB_KVER)

# Out of tree the kernel's own .config decides nothing about us: build every
# driver of this folder as a module, mlx5's where the kernel has mlx5_core.
OOT_CONFIG := CONFIG_VFIO_PCI_CORE=m CONFIG_VFIO_PCI=m CONFIG_VFIO_PCI_EDU=m \
	      $(if $(shell grep -s '^CONFIG_MLX5_CORE=[ym]' $(KDIR)/.config),CONFIG_MLX5_VFIO_PCI=m)

DRIVER ?= both
# The kernel make check boots: Debian's (stock) or the debug kernel (below).
KERNEL ?= stock
VM := tools/testing/vm/run.sh
SELFTESTS := tools/testing/selftests/vfio
# A variant driver built on our core, for vfio_variant_test, and vfio-pci
# with a test entry on its denylist, for vfio_module_params_test.
VARIANT := $(SELFTESTS)/variant
DENYTEST := $(SELFTESTS)/denylist
# vfio_pci_igd.c with its test cases, for vfio_igd_test.
IGDTEST := $(SELFTESTS)/igd
# The admin's bind tool, which vfio_bind_tool_test runs in the VM.
BIND_TOOL := tools/vfio-pci-bind
# vfio_bench and bench_compare (make bench; never part of make check).
BENCH := tools/testing/bench
BENCH_DIR ?= bench-results

.PHONY: all modules install uninstall clean setup tests check check-install fuzz stress demo bench \
	shell sparse kernel-doc vm-build cross-s390x debug-kernel check-debug

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(OOT_CONFIG) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(VARIANT) clean
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(DENYTEST) clean
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(IGDTEST) clean
	$(MAKE) -C $(SELFTESTS) clean
	$(MAKE) -C $(BIND_TOOL) clean
	$(MAKE) -C $(BENCH) clean

# Install into /lib/modules/<release>/updates, ahead of the kernel's own
# vfio-pci modules, and refresh modules.dep and modules.alias.
# INSTALL_MOD_PATH=DIR installs below DIR, as the kernel's modules_install.
KREL = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
DEPMOD = depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KREL)

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(OOT_CONFIG) INSTALL_MOD_DIR=updates \
		modules_install
	$(DEPMOD)

uninstall:
	rm -f $(INSTALL_MOD_PATH)/lib/modules/$(KREL)/updates/vfio-pci-core.ko* \
		$(INSTALL_MOD_PATH)/lib/modules/$(KREL)/updates/vfio-pci.ko* \
		$(INSTALL_MOD_PATH)/lib/modules/$(KREL)/updates/edu/edu-vfio-pci.ko* \
		$(INSTALL_MOD_PATH)/lib/modules/$(KREL)/updates/mlx5/mlx5-vfio-pci.ko*
	$(DEPMOD)

# Install every host package the build and the test VM need (idempotent).
setup:
	tools/testing/vm/setup.sh

tests:
	$(MAKE) -C $(SELFTESTS)

# W=1 and sparse over the whole folder; any warning is an error here.
sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(OOT_CONFIG) clean
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(OOT_CONFIG) W=1 C=2 modules 2>&1 | \
		tee .sparse.log
	@! grep -E 'warning:|error:' .sparse.log

kernel-doc:
	@$(KDIR)/scripts/kernel-doc -none -Wall $(wildcard *.c *.h)

# The modules, vfio_pci_zdev.c included, cross-built for s390x against
# Debian's s390x headers (W=1, any warning fails); see
# Documentation/testing.rst.  Installs its compiler, caches the headers.
cross-s390x:
	tools/testing/cross/s390x-build.sh

# The VM targets run setup first, then a second make (which now sees the
# installed kernel) builds the modules for the VM's kernel and the tests.
VM_BUILD = $(MAKE) --no-print-directory vm-build

vm-build:
	@test -n "$(DEB_KVER)" || { echo "no Debian 6.12 kernel: run make setup"; exit 1; }
	$(MAKE) -C $(VM_KDIR) M=$(CURDIR) $(OOT_CONFIG) modules
	$(MAKE) -C $(VM_KDIR) M=$(CURDIR)/$(VARIANT) \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules
	$(MAKE) -C $(VM_KDIR) M=$(CURDIR)/$(DENYTEST) \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules
	$(MAKE) -C $(VM_KDIR) M=$(CURDIR)/$(IGDTEST) \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules
	$(MAKE) -C $(SELFTESTS)
	$(MAKE) -C $(BIND_TOOL)

# The s390x cross build (seconds once its cache is warm), then the full
# suite in the test VM, against ours and/or the reference
# (DRIVER=ours|reference|both).  TEST=name runs one test program (or a,b several),
# DEVICE=BDF restricts it to one function.  CDEV=1 has the tests open their
# devices through the device cdev and iommufd instead of group and container
# (VFIO_TEST_CDEV; needs KERNEL=debug: Debian's kernel has no cdev).
CDEV_ENV = $(if $(filter-out 0,$(CDEV)),--env VFIO_TEST_CDEV=1)
# The guest panics on the first WARN (panic_on_warn, which issue 11 asks
# of every robustness run), with the whole kernel log replayed on the
# console (panic_print=0x20): the run then fails as vm_finished and the
# programs after the WARN do not run.  CHECK_APPEND= keeps the guest going
# after a WARN (the lane's log check still fails it) to see what follows.
CHECK_APPEND ?= panic_on_warn=1 panic_print=0x20
check: setup
ifeq ($(KERNEL),debug)
	@$(MAKE) --no-print-directory check-debug
else ifeq ($(KERNEL),stock)
	@$(MAKE) --no-print-directory cross-s390x
	@$(VM_BUILD)
	$(VM) --driver $(DRIVER) $(if $(TEST),--test $(TEST)) \
		$(if $(DEVICE),--device $(DEVICE)) $(CDEV_ENV) \
		$(if $(CHECK_APPEND),--append "$(CHECK_APPEND)")
else
	@echo "KERNEL=$(KERNEL): stock or debug"; exit 2
endif

# ---- the debug kernel lane (Documentation/testing.rst) --------------------
# make check KERNEL=debug runs the suite on a kernel with KASAN, lockdep,
# kmemleak, UBSAN and the rest of debug-kernel/debug.config, built once per
# machine into the VM cache by debug-kernel.sh (30-50 min cold on 2 cores; "make
# debug-kernel" builds it alone).  Our modules are built for it in a copy
# of their sources beside that kernel (debug-modules.sh), one per work tree.
DEBUG_KERNEL := tools/testing/vm/debug-kernel.sh
DEBUG_MODULES := tools/testing/vm/debug-modules.sh
# kasan_multi_shot: KASAN reports every bad access, not only the first
# (which may be the reference's, in the lane before ours).  No
# panic_on_warn here (CHECK_APPEND is the stock lane's): this lane wants
# every report of the run, and its log checks fail the run on any.
# no5lvl: 4-level paging.  QEMU's -cpu max offers LA57; with it, an
# interrupt that lands while identify_cpu() has the boot CPU's feature bits
# cleared (before alternatives are patched) makes KASAN take the 5-level
# direct map (0xff11...) for wild accesses: two of ~6 boots on a loaded
# host stopped at 5 ms with "wild-memory-access in do_raw_spin_lock" from
# handle_edge_irq during identify_cpu.  No module of ours had loaded.
DEBUG_APPEND := kasan_multi_shot no5lvl
# Measured on the first full run (2 cores, TCG, another session's kernel
# build or VM beside it part of the time): boot to the first lane 152 s;
# the reference lane 2768 s, of which unbind/unload 140 s and the kmemleak
# scans 36 s; the longest programs vfio_leak_test 439 s, vfio_teardown_test
# 145 s, vfio_config_diff_test 113 s (Debian's kernel: 59, 12 and 25 s).
# So twice the longest program, and both lanes' time and half as much again.
DEBUG_TIMEOUT ?= 900
DEBUG_VM_TIMEOUT ?= 9000
# A guest not in userspace by then is killed and booted once more (empty:
# run.sh's default for a debug kernel).
DEBUG_BOOT_TIMEOUT ?=

debug-kernel:
	$(DEBUG_KERNEL)

check-debug: setup
	$(MAKE) -C $(SELFTESTS)
	$(MAKE) -C $(BIND_TOOL)
	dir=$$($(DEBUG_KERNEL)) && \
	mods=$$dir/ours-$$(echo '$(CURDIR)' | sha256sum | cut -c1-12) && \
	$(DEBUG_MODULES) $$dir/linux $$mods && \
	$(VM) --kernel-dir $$dir --modules $$mods --append "$(DEBUG_APPEND)" \
		--timeout $(DEBUG_TIMEOUT) --vm-timeout $(DEBUG_VM_TIMEOUT) \
		$(if $(DEBUG_BOOT_TIMEOUT),--boot-timeout $(DEBUG_BOOT_TIMEOUT)) \
		--driver $(DRIVER) $(if $(TEST),--test $(TEST)) \
		$(if $(DEVICE),--device $(DEVICE)) $(CDEV_ENV)

# The installer tests (make install, DKMS) on ours: 10+ minutes of depmod
# and a module build under TCG, kept out of make check for CI's time.
check-install: setup
	@$(VM_BUILD)
	$(VM) --driver ours --test vfio_install_test,vfio_dkms_test

# The config-space fuzzer at full length (make check runs a short one).
FUZZ_ITERATIONS ?= 1000000
fuzz: setup
	@$(VM_BUILD)
	$(VM) --driver $(if $(filter both,$(DRIVER)),ours,$(DRIVER)) \
		--test vfio_config_fuzz_test --timeout 5400 --vm-timeout 6000 \
		--env VFIO_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) $(if $(DEVICE),--device $(DEVICE))

# The robustness tests at length (make check runs them short), in one VM
# on DRIVER's lanes: vfio_leak_test for CYCLES cycles per lane,
# vfio_concurrency_test for DURATION seconds per device set (two sets),
# the config fuzzer for STRESS_FUZZ_ITERATIONS accesses per function and
# the device fuzzer for STRESS_DEVICE_FUZZ_ITERATIONS calls per function
# and case (10000: two to three minutes a lane).
# The guest panics on the first WARN (the whole log is then replayed on
# the console) and reports a task blocked for 30 s.  The limits follow the
# settings: about a second per leak cycle over all its lanes, as measured
# under TCG, with room for a loaded host.
DURATION ?= 600
CYCLES ?= 10000
STRESS_FUZZ_ITERATIONS ?= 200000
STRESS_DEVICE_FUZZ_ITERATIONS ?= 10000
STRESS_LANES = $(words $(if $(filter both,$(DRIVER)),ours reference,$(DRIVER)))
STRESS_PROG_TIMEOUT = $(shell echo $$(( ($(CYCLES) * 3 / 2 > 2 * $(DURATION) ? \
			$(CYCLES) * 3 / 2 : 2 * $(DURATION)) + 900 )))
STRESS_VM_TIMEOUT = $(shell echo $$(( $(STRESS_LANES) * ($(CYCLES) * 3 / 2 + \
			2 * $(DURATION) + 2400) + 600 )))
stress: setup
	@$(VM_BUILD)
	$(VM) --driver $(DRIVER) \
		--test vfio_leak_test,vfio_concurrency_test,vfio_config_fuzz_test,vfio_device_fuzz_test \
		--env VFIO_LEAK_CYCLES=$(CYCLES) --env VFIO_STRESS_SECONDS=$(DURATION) \
		--env VFIO_FUZZ_ITERATIONS=$(STRESS_FUZZ_ITERATIONS) \
		--env VFIO_DEVICE_FUZZ_ITERATIONS=$(STRESS_DEVICE_FUZZ_ITERATIONS) \
		--env VFIO_HUNG_TASK_SECS=30 --append "panic_on_warn=1 panic_print=0x20" \
		--timeout $(STRESS_PROG_TIMEOUT) --vm-timeout $(STRESS_VM_TIMEOUT) \
		$(if $(DEVICE),--device $(DEVICE))

demo: setup
	@$(VM_BUILD)
	$(VM) --demo

# Figures, not tests: vfio_bench in the reference lane, then ours (or only
# DRIVER's), then the side-by-side table; the lanes' CSV files and the
# joined $(BENCH_DIR)/bench-results.csv stay in $(BENCH_DIR).
bench: setup
	@$(VM_BUILD)
	$(MAKE) -C $(BENCH)
	rc=0; $(VM) --driver $(DRIVER) --bench $(BENCH_DIR) --timeout 420 \
		$(if $(PROFILE),--profile $(PROFILE)) \
		--vm-timeout 1200 || rc=$$?; \
	$(BENCH)/bench_compare $(BENCH_DIR)/ours.csv $(BENCH_DIR)/reference.csv \
		$(BENCH_DIR)/bench-results.csv && \
		echo "bench: $(BENCH_DIR)/bench-results.csv"; exit $$rc

# An interactive shell in the test VM with our modules loaded.
shell: setup
	@$(VM_BUILD)
	$(VM) --shell --driver $(if $(filter both,$(DRIVER)),ours,$(DRIVER))

endif
