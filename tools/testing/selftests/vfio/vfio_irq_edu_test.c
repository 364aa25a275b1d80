// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interrupts the device raises itself, on QEMU's edu: a write to its
 * raise register (0x60) sets bits in its interrupt status (0x24) and
 * asserts INTx, or sends its MSI when MSI is enabled; a write to the
 * acknowledge register (0x64) clears bits and deasserts INTx once none
 * are left.  INTx is level triggered, so the driver masks it when it
 * fires (AUTOMASKED) and the user unmasks it once the device is serviced.
 *
 * The client turns on memory decode (for the BAR) and bus master (MSI is
 * a memory write of the device) through the config region, as QEMU does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "edu_util.h"
#include "irq_util.h"

static bool open_edu(struct vfio_dev *dev, const struct pci_func *f)
{
	if (!EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device"))
		return false;
	if (!EXPECT_OK(irq_enable_decode_and_master(dev),
		       "memory decode and bus master through the config region")) {
		vfio_dev_close(dev);
		return false;
	}
	return true;
}

static bool raise_irq(struct vfio_dev *dev, uint32_t bits)
{
	char what[48];

	snprintf(what, sizeof(what), "writing 0x%x to the raise register", bits);
	return EXPECT_OK(edu_raise(dev, bits), what);
}

static bool ack_irq(struct vfio_dev *dev, uint32_t bits)
{
	char what[48];

	snprintf(what, sizeof(what), "writing 0x%x to the acknowledge register", bits);
	return EXPECT_OK(edu_ack(dev, bits), what);
}

static void expect_status(struct vfio_dev *dev, uint32_t want, const char *what)
{
	uint32_t bits = ~0u;

	if (EXPECT_OK(edu_irq_status(dev, &bits), "reading the irq status register"))
		EXPECT_EQ_HEX(bits, want, what);
}

/* Opens edu with INTx on eventfd *efd. */
static bool intx_setup(struct vfio_dev *dev, const struct pci_func *f, int *efd)
{
	*efd = -1;
	if (!open_edu(dev, f))
		return false;
	*efd = irq_eventfd();
	if (EXPECT_OK(*efd, "eventfd") &&
	    EXPECT_OK(irq_set_eventfd(dev->fd, VFIO_PCI_INTX_IRQ_INDEX, 0, *efd),
		      "enabling INTx"))
		return true;
	if (*efd >= 0)
		close(*efd);
	vfio_dev_close(dev);
	return false;
}

static void intx_teardown(struct vfio_dev *dev, int efd)
{
	edu_ack(dev, ~0u);
	EXPECT_OK(irq_disable(dev->fd, VFIO_PCI_INTX_IRQ_INDEX), "disabling INTx");
	close(efd);
	vfio_dev_close(dev);
}

static void intx_device_raise(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd;

	if (!intx_setup(&dev, f, &efd))
		return;
	irq_expect_quiet(efd, "before the device raised anything");
	if (raise_irq(&dev, 0x1))
		irq_expect_signal(efd, "INTx after the device raised it");
	expect_status(&dev, 0x1, "irq status after raising bit 0");
	intx_teardown(&dev, efd);
}

/* Acknowledging lowers the line: after unmask nothing fires again. */
static void intx_ack_path(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd;

	if (!intx_setup(&dev, f, &efd))
		return;
	if (!raise_irq(&dev, 0x3) || !irq_expect_signal(efd, "INTx after raising 0x3"))
		goto out;
	expect_status(&dev, 0x3, "irq status before acknowledging");
	ack_irq(&dev, 0x1);
	expect_status(&dev, 0x2, "irq status after acknowledging bit 0");
	ack_irq(&dev, 0x2);
	expect_status(&dev, 0x0, "irq status after acknowledging bit 1");
	EXPECT_OK(irq_unmask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "unmask");
	irq_expect_quiet(efd, "after acknowledging everything and unmasking");
	/* and the line works again */
	if (raise_irq(&dev, 0x4))
		irq_expect_signal(efd, "INTx raised again after the unmask");
out:
	intx_teardown(&dev, efd);
}

/*
 * Automask: after INTx fired, a new raise stays unseen until the user
 * unmasks; then the still-asserted line is delivered.
 */
static void intx_automask(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd;

	if (!intx_setup(&dev, f, &efd))
		return;
	if (!raise_irq(&dev, 0x1) || !irq_expect_signal(efd, "first INTx"))
		goto out;
	ack_irq(&dev, 0x1);
	raise_irq(&dev, 0x2);
	irq_expect_quiet(efd, "second raise while automasked");
	EXPECT_OK(irq_unmask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "unmask by ioctl");
	irq_expect_signal(efd, "the pending INTx after the unmask");
	ack_irq(&dev, 0x2);
	EXPECT_OK(irq_unmask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "unmask by ioctl");
	irq_expect_quiet(efd, "after acknowledging and unmasking");
out:
	intx_teardown(&dev, efd);
}

/* Unmask by eventfd, the way KVM's resampler does it; fd -1 stops it. */
static void intx_unmask_eventfd(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd, unmask;

	if (!intx_setup(&dev, f, &efd))
		return;
	unmask = irq_eventfd();
	if (!EXPECT_OK(unmask, "eventfd"))
		goto out;
	if (!EXPECT_OK(irq_unmask_eventfd(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, unmask),
		       "ACTION_UNMASK | DATA_EVENTFD"))
		goto out_close;
	if (!raise_irq(&dev, 0x1) || !irq_expect_signal(efd, "first INTx"))
		goto out_close;
	ack_irq(&dev, 0x1);
	raise_irq(&dev, 0x2);
	irq_expect_quiet(efd, "second raise while automasked");
	EXPECT_EQ(eventfd_write(unmask, 1), 0, "signalling the unmask eventfd");
	irq_expect_signal(efd, "the pending INTx after the unmask eventfd");
	ack_irq(&dev, 0x2);
	EXPECT_EQ(eventfd_write(unmask, 1), 0, "signalling the unmask eventfd");
	irq_expect_quiet(efd, "after acknowledging and unmasking by eventfd");

	/* Detached: signalling it no longer unmasks. */
	EXPECT_OK(irq_unmask_eventfd(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, -1),
		  "unmask eventfd fd -1");
	raise_irq(&dev, 0x4);
	irq_expect_signal(efd, "INTx after the unmask eventfd unmasked it");
	ack_irq(&dev, 0x4);
	raise_irq(&dev, 0x8);
	EXPECT_EQ(eventfd_write(unmask, 1), 0, "signalling the detached unmask eventfd");
	irq_expect_quiet(efd, "raise after signalling the detached unmask eventfd");
	EXPECT_OK(irq_unmask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "unmask by ioctl");
	irq_expect_signal(efd, "the pending INTx after the unmask ioctl");
out_close:
	close(unmask);
out:
	intx_teardown(&dev, efd);
}

/* ACTION_MASK holds a raise back until ACTION_UNMASK. */
static void intx_mask_ioctl(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd;

	if (!intx_setup(&dev, f, &efd))
		return;
	EXPECT_OK(irq_mask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "mask by ioctl");
	raise_irq(&dev, 0x1);
	irq_expect_quiet(efd, "raise while masked");
	EXPECT_OK(irq_unmask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "unmask by ioctl");
	irq_expect_signal(efd, "INTx after the unmask");
	intx_teardown(&dev, efd);
}

/*
 * A mask belongs to the enable it was set in: after mask, disable and a
 * new enable, the device's raise is delivered (measured on the reference).
 */
static void intx_mask_across_reenable(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd;

	if (!intx_setup(&dev, f, &efd))
		return;
	EXPECT_OK(irq_mask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "mask by ioctl");
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "disabling INTx");
	EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, efd), "enabling INTx again");
	raise_irq(&dev, 0x1);
	irq_expect_signal(efd, "raise after mask, disable and enable");
	intx_teardown(&dev, efd);
}

/*
 * The user's own INTx-disable bit in the command register, set before INTx
 * is enabled, holds the device's INTx back and an unmask does not override
 * it; once the user clears it the pending INTx arrives.  Measured on the
 * reference: held, held, delivered.
 */
static void intx_user_disable_bit(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint16_t cmd;
	int efd = -1;

	if (!open_edu(&dev, f))
		return;
	if (!EXPECT_OK(vfio_config_read16(&dev, PCI_COMMAND, &cmd), "reading the command register") ||
	    !EXPECT_OK(vfio_config_write16(&dev, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE),
		       "setting INTx disable in the command register"))
		goto out;
	efd = irq_eventfd();
	if (!EXPECT_OK(efd, "eventfd") ||
	    !EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, efd), "enabling INTx"))
		goto out;
	raise_irq(&dev, 0x1);
	irq_expect_quiet(efd, "raise with the user's INTx-disable bit set");
	EXPECT_OK(irq_unmask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "unmask by ioctl");
	irq_expect_quiet(efd, "unmask with the user's INTx-disable bit set");
	EXPECT_OK(vfio_config_write16(&dev, PCI_COMMAND, cmd & ~PCI_COMMAND_INTX_DISABLE),
		  "clearing INTx disable in the command register");
	EXPECT_OK(irq_unmask(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "unmask by ioctl");
	irq_expect_signal(efd, "the pending raise once the bit is clear");
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "disabling INTx");
out:
	edu_ack(&dev, ~0u);
	if (efd >= 0)
		close(efd);
	vfio_dev_close(&dev);
}

static bool msi_setup(struct vfio_dev *dev, const struct pci_func *f, int *efd)
{
	*efd = -1;
	if (!open_edu(dev, f))
		return false;
	*efd = irq_eventfd();
	if (EXPECT_OK(*efd, "eventfd") &&
	    EXPECT_OK(irq_set_eventfd(dev->fd, VFIO_PCI_MSI_IRQ_INDEX, 0, *efd),
		      "enabling MSI"))
		return true;
	if (*efd >= 0)
		close(*efd);
	vfio_dev_close(dev);
	return false;
}

static void msi_teardown(struct vfio_dev *dev, int efd)
{
	edu_ack(dev, ~0u);
	EXPECT_OK(irq_disable(dev->fd, VFIO_PCI_MSI_IRQ_INDEX), "disabling MSI");
	close(efd);
	vfio_dev_close(dev);
}

/* MSI is edge: every raise is delivered, no unmask needed. */
static void msi_device_raise(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd;

	if (!msi_setup(&dev, f, &efd))
		return;
	EXPECT_EQ(irq_msi_enabled(f->bdf), 1, "MSI enable bit in the capability");
	if (raise_irq(&dev, 0x1))
		irq_expect_signal(efd, "MSI after the device raised it");
	ack_irq(&dev, 0x1);
	if (raise_irq(&dev, 0x2))
		irq_expect_signal(efd, "a second MSI, with no unmask");
	ack_irq(&dev, 0x2);
	irq_expect_quiet(efd, "after acknowledging");
	msi_teardown(&dev, efd);
}

/* A new eventfd on the live vector gets the device's next MSI. */
static void msi_change_eventfd(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd, other;

	if (!msi_setup(&dev, f, &efd))
		return;
	other = irq_eventfd();
	if (!EXPECT_OK(other, "eventfd"))
		goto out;
	if (EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_MSI_IRQ_INDEX, 0, other),
		      "new eventfd on vector 0 without disabling")) {
		raise_irq(&dev, 0x1);
		irq_expect_signal(other, "the new eventfd");
		EXPECT_EQ(irq_eventfd_take(efd), 0, "the old eventfd");
		ack_irq(&dev, 0x1);
	}
	close(other);
out:
	msi_teardown(&dev, efd);
}

/* INTx -> MSI: the INTx eventfd hears nothing of the device any more. */
static void intx_to_msi(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd, msi = -1;

	if (!intx_setup(&dev, f, &efd))
		return;
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-intx("), 1, "INTx handler while on");
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "disabling INTx");
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-intx("), 0, "INTx handler after disable");
	msi = irq_eventfd();
	if (!EXPECT_OK(msi, "eventfd") ||
	    !EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_MSI_IRQ_INDEX, 0, msi), "enabling MSI"))
		goto out;
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-msi["), 1, "MSI handler");
	raise_irq(&dev, 0x1);
	irq_expect_signal(msi, "MSI eventfd");
	EXPECT_EQ(irq_eventfd_take(efd), 0, "the old INTx eventfd");
	ack_irq(&dev, 0x1);
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_MSI_IRQ_INDEX), "disabling MSI");
	/* with nothing enabled, the device's raise reaches nobody */
	raise_irq(&dev, 0x2);
	irq_expect_quiet(msi, "MSI eventfd with interrupts disabled");
	EXPECT_EQ(irq_eventfd_take(efd), 0, "INTx eventfd with interrupts disabled");
out:
	edu_ack(&dev, ~0u);
	if (msi >= 0)
		close(msi);
	close(efd);
	vfio_dev_close(&dev);
}

static const struct irq_test_case cases[] = {
	{ "edu_intx_raised_by_device_reaches_eventfd", "edu", intx_device_raise },
	{ "edu_intx_acknowledge_lowers_the_line", "edu", intx_ack_path },
	{ "edu_intx_automask_holds_second_raise_until_unmask", "edu", intx_automask },
	{ "edu_intx_unmask_eventfd_unmasks_and_detaches", "edu", intx_unmask_eventfd },
	{ "edu_intx_mask_ioctl_holds_raise_until_unmask", "edu", intx_mask_ioctl },
	{ "edu_intx_mask_across_disable_enable_as_reference", "edu", intx_mask_across_reenable },
	{ "edu_intx_command_intx_disable_bit_as_reference", "edu", intx_user_disable_bit },
	{ "edu_msi_raised_by_device_reaches_eventfd", "edu", msi_device_raise },
	{ "edu_msi_eventfd_change_without_disable", "edu", msi_change_eventfd },
	{ "edu_intx_to_msi_leaves_intx_eventfd_quiet", "edu", intx_to_msi },
};

int main(void)
{
	irq_run_cases(cases, ARRAY_SIZE(cases));
}
