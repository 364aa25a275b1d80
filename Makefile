# SPDX-License-Identifier: GPL-2.0-only
#
# VFIO PCI drivers.
#
# In a kernel tree (as drivers/vfio/pci) only the Kbuild part below is read.
# Out of tree, "make" builds the modules against $(KDIR) and the other
# targets drive the test VM; see README.md.

ifneq ($(KERNELRELEASE),)

vfio-pci-core-y := vfio_pci_core.o vfio_pci_intrs.o vfio_pci_rdwr.o vfio_pci_config.o \
		  vfio_pci_reset.o
vfio-pci-core-$(CONFIG_VFIO_PCI_ZDEV_KVM) += vfio_pci_zdev.o
obj-$(CONFIG_VFIO_PCI_CORE) += vfio-pci-core.o

vfio-pci-y := vfio_pci.o
vfio-pci-$(CONFIG_VFIO_PCI_IGD) += vfio_pci_igd.o
obj-$(CONFIG_VFIO_PCI) += vfio-pci.o

obj-$(CONFIG_MLX5_VFIO_PCI) += mlx5/

else

# Newest Debian 6.12 headers the setup step installed, unless the running
# kernel has a build tree of its own.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(lastword $(sort $(wildcard /usr/src/linux-headers-6.12*-amd64))))
# The kernel image the test VM boots: the one matching KDIR.
KVER ?= $(patsubst linux-headers-%,%,$(notdir $(KDIR)))

# Out of tree the kernel's own .config decides nothing about us: build every
# driver of this folder as a module.
OOT_CONFIG := CONFIG_VFIO_PCI_CORE=m CONFIG_VFIO_PCI=m

DRIVER ?= both
VM := tools/testing/vm/run.sh
SELFTESTS := tools/testing/selftests/vfio

.PHONY: all modules clean setup tests check demo shell sparse kernel-doc

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(OOT_CONFIG) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C $(SELFTESTS) clean

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

# The full suite in the test VM, against ours and/or the reference
# (DRIVER=ours|reference|both).  TEST=name runs one test program.
check: setup modules tests
	$(VM) --driver $(DRIVER) $(if $(TEST),--test $(TEST)) \
		$(if $(DEVICE),--device $(DEVICE))

demo: setup modules tests
	$(VM) --demo

# An interactive shell in the test VM with our modules built.
shell: setup modules tests
	$(VM) --shell --driver $(if $(filter both,$(DRIVER)),ours,$(DRIVER))

endif
