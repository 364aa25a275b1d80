// SPDX-License-Identifier: GPL-2.0-only
/*
 * INTx with and without PCI 2.3 masking, on edu.
 *
 * By default a function that supports it has its INTx masked at the
 * function: while the user has not acknowledged an interrupt (automask),
 * the command register's INTx Disable bit is set in the hardware.  With
 * vfio_pci's nointxmask=Y (read when a device is opened) the line is taken
 * exclusively and masked at the interrupt controller instead: the device's
 * command register is never touched, and delivery, automask and unmask
 * work all the same.  Ours applies a write at run time to the devices opened
 * after it; the reference only reads the parameter when vfio_pci loads, and
 * the test checks each for what it does.
 */
#include <stdio.h>
#include <unistd.h>

#include "irq_util.h"
#include "reset_util.h"

#define CMD_INTX_DISABLE	0x0400

static bool hw_intx_disabled(const struct pci_func *f, bool *set)
{
	uint16_t cmd = 0;

	if (!EXPECT_OK(pci_config_sysfs_read(f->bdf, PCI_COMMAND, &cmd, sizeof(cmd)),
		       "reading the command register through sysfs"))
		return false;
	*set = cmd & CMD_INTX_DISABLE;
	return true;
}

static void expect_hw_intx_disable(const struct pci_func *f, bool want, const char *when)
{
	bool set;

	if (hw_intx_disabled(f, &set))
		tap_check(set == want, "%s: INTx Disable in the device's command register %s, expected %s",
			  when, set ? "set" : "clear", want ? "set" : "clear");
}

static bool set_nointxmask(const char *val)
{
	char what[64];

	snprintf(what, sizeof(what), "writing %s to vfio_pci's nointxmask", val);
	return EXPECT_OK(module_param_write("vfio_pci", "nointxmask", val), what);
}

/*
 * Opens edu with INTx on an eventfd, raises, and checks the automask
 * cycle; @masked_at_function says where the mask is expected.
 */
static void intx_cycle(const struct pci_func *f, bool masked_at_function)
{
	struct vfio_dev dev;
	int efd;

	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	efd = irq_eventfd();
	if (!EXPECT_OK(irq_enable_decode_and_master(&dev), "memory decode and bus master") ||
	    !EXPECT_OK(efd, "eventfd") ||
	    !EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, efd), "enabling INTx"))
		goto out;
	expect_hw_intx_disable(f, false, "INTx enabled, nothing raised");
	if (!EXPECT_OK(edu_raise(&dev, 0x1), "raising bit 0") ||
	    !irq_expect_signal(efd, "INTx raised by the device"))
		goto out_disable;
	expect_hw_intx_disable(f, masked_at_function, "automasked after delivery");
	EXPECT_OK(edu_ack(&dev, 0x1), "acknowledging bit 0");
	EXPECT_OK(edu_raise(&dev, 0x2), "raising bit 1");
	irq_expect_quiet(efd, "second raise while automasked");
	EXPECT_OK(irq_unmask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "unmask");
	irq_expect_signal(efd, "the pending INTx after the unmask");
	EXPECT_OK(edu_ack(&dev, 0x2), "acknowledging bit 1");
	EXPECT_OK(irq_unmask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "unmask");
	irq_expect_quiet(efd, "after acknowledging and unmasking");
	expect_hw_intx_disable(f, false, "unmasked, nothing pending");
out_disable:
	edu_ack(&dev, ~0u);
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "disabling INTx");
out:
	if (efd >= 0)
		close(efd);
	vfio_dev_close(&dev);
}

static void pci23_masks_at_function(const struct pci_func *f)
{
	if (set_nointxmask("N"))
		intx_cycle(f, true);
}

/*
 * Ours applies a run-time write to the next open.  The reference takes the
 * value only when vfio_pci loads (measured: after writing Y it still masks
 * at the function), so there the write is expected to change nothing.
 */
static void nointxmask_masks_at_controller(const struct pci_func *f)
{
	bool ours = vfio_test_driver() == VFIO_TEST_DRIVER_OURS;

	if (!ours)
		tap_diag("reference: nointxmask is read when vfio_pci loads; a write at run time changes nothing");
	if (set_nointxmask("Y"))
		intx_cycle(f, !ours);
	set_nointxmask("N");
}

static const struct irq_test_case cases[] = {
	{ "edu_intx_pci23_automask_sets_intx_disable_in_device", "edu",
	  pci23_masks_at_function },
	{ "edu_intx_nointxmask_written_at_run_time_masks_at_controller_next_open", "edu",
	  nointxmask_masks_at_controller },
};

int main(void)
{
	irq_run_cases(cases, ARRAY_SIZE(cases));
}
