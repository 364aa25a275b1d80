// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_GET_IRQ_INFO on every function of the zoo: the count of each
 * index follows from the function's own config space (interrupt pin, MSI
 * and MSI-X capabilities, PCIe capability), read through sysfs, i.e. from
 * the PCI core and not from the driver under test; the flags are what the
 * uAPI says each index carries.  The reference lane also records what it
 * reported, and our lane must report the same.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "irq_util.h"

#define ARTIFACT	"vfio_irq_info_test.ref"

static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device");
}

/* Expected count from sysfs config; -errno if it cannot be read. */
static int expected_count(const char *bdf, uint32_t index)
{
	uint16_t flags;
	uint8_t pin;
	int pos, ret;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		ret = pci_config_sysfs_read(bdf, PCI_INTERRUPT_PIN, &pin, 1);
		return ret < 0 ? ret : !!pin;
	case VFIO_PCI_MSI_IRQ_INDEX:
		pos = pci_find_capability(bdf, PCI_CAP_ID_MSI);
		if (pos <= 0)
			return pos;
		ret = pci_config_sysfs_read(bdf, pos + PCI_MSI_FLAGS, &flags, 2);
		return ret < 0 ? ret : 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	case VFIO_PCI_MSIX_IRQ_INDEX:
		pos = pci_find_capability(bdf, PCI_CAP_ID_MSIX);
		if (pos <= 0)
			return pos;
		ret = pci_config_sysfs_read(bdf, pos + PCI_MSIX_FLAGS, &flags, 2);
		return ret < 0 ? ret : (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	case VFIO_PCI_ERR_IRQ_INDEX:
		pos = pci_find_capability(bdf, PCI_CAP_ID_EXP);
		return pos < 0 ? pos : !!pos;
	default:
		return 1;
	}
}

static void check_index(const struct pci_func *f, uint32_t index,
			uint32_t want_flags)
{
	struct vfio_irq_info info;
	struct vfio_dev dev;
	int want;

	want = expected_count(f->bdf, index);
	if (!EXPECT_OK(want, "reading the capability through sysfs"))
		return;
	if (!open_dev(&dev, f))
		return;
	if (EXPECT_OK(vfio_device_get_irq_info(dev.fd, index, &info),
		      "VFIO_DEVICE_GET_IRQ_INFO")) {
		EXPECT_EQ(info.index, index, "index");
		EXPECT_EQ(info.count, want, "count");
		EXPECT_EQ_HEX(info.flags, want_flags, "flags");
	}
	vfio_dev_close(&dev);
}

static void intx(const struct pci_func *f)
{
	check_index(f, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_INFO_EVENTFD |
		    VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED);
}

static void msi(const struct pci_func *f)
{
	check_index(f, VFIO_PCI_MSI_IRQ_INDEX,
		    VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
}

/*
 * NORESIZE on MSI-X depends on whether the PCI core can add vectors to an
 * enabled MSI-X (the irq domain), which sysfs does not show: only the
 * eventfd bit and the absence of the INTx-only bits are fixed.
 */
static void msix(const struct pci_func *f)
{
	struct vfio_irq_info info;
	struct vfio_dev dev;
	int want;

	want = expected_count(f->bdf, VFIO_PCI_MSIX_IRQ_INDEX);
	if (!EXPECT_OK(want, "reading the MSI-X capability through sysfs"))
		return;
	if (!open_dev(&dev, f))
		return;
	if (EXPECT_OK(vfio_device_get_irq_info(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX, &info),
		      "VFIO_DEVICE_GET_IRQ_INFO")) {
		EXPECT_EQ(info.count, want, "count");
		EXPECT_EQ_HEX(info.flags & ~VFIO_IRQ_INFO_NORESIZE,
			      VFIO_IRQ_INFO_EVENTFD, "flags other than NORESIZE");
	}
	vfio_dev_close(&dev);
}

/* The ERR index exists on PCIe functions only; elsewhere it is EINVAL. */
static void err(const struct pci_func *f)
{
	struct vfio_irq_info info;
	struct vfio_dev dev;
	int pcie;

	pcie = expected_count(f->bdf, VFIO_PCI_ERR_IRQ_INDEX);
	if (!EXPECT_OK(pcie, "looking for the PCIe capability"))
		return;
	if (pcie) {
		check_index(f, VFIO_PCI_ERR_IRQ_INDEX,
			    VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
		return;
	}
	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(vfio_device_get_irq_info(dev.fd, VFIO_PCI_ERR_IRQ_INDEX, &info),
		     EINVAL, "GET_IRQ_INFO ERR on a conventional PCI function");
	vfio_dev_close(&dev);
}

static void req(const struct pci_func *f)
{
	check_index(f, VFIO_PCI_REQ_IRQ_INDEX,
		    VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
}

static void index_5_einval(const struct pci_func *f)
{
	struct vfio_irq_info info;
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(vfio_device_get_irq_info(dev.fd, VFIO_PCI_NUM_IRQS, &info),
		     EINVAL, "GET_IRQ_INFO index 5");
	EXPECT_ERRNO(vfio_device_get_irq_info(dev.fd, 0xffffffff, &info),
		     EINVAL, "GET_IRQ_INFO index 0xffffffff");
	vfio_dev_close(&dev);
}

static void argsz_short_einval(const struct pci_func *f)
{
	struct vfio_irq_info info = {
		.argsz = offsetof(struct vfio_irq_info, count),
		.index = VFIO_PCI_REQ_IRQ_INDEX,
	};
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(vfio_ioctl(dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &info), EINVAL,
		     "GET_IRQ_INFO with argsz ending before count");
	info.argsz = sizeof(info) + 64;
	EXPECT_OK(vfio_ioctl(dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &info),
		  "GET_IRQ_INFO with argsz longer than the struct");
	vfio_dev_close(&dev);
}

/*
 * The result of every index, as one number: count << 8 | flags, or the
 * negative errno.  The reference lane writes it down; ours compares.
 */
static long long irq_info_word(int fd, uint32_t index)
{
	struct vfio_irq_info info;
	int ret = vfio_device_get_irq_info(fd, index, &info);

	return ret < 0 ? ret : (long long)info.count << 8 | info.flags;
}

static void same_as_reference(const struct pci_func *f)
{
	struct vfio_dev dev;
	char key[64];
	long long got, want;
	uint32_t index;
	bool compared = false;

	if (!open_dev(&dev, f))
		return;
	for (index = 0; index < VFIO_PCI_NUM_IRQS; index++) {
		snprintf(key, sizeof(key), "%s/%s", f->bdf, vfio_irq_name(index));
		got = irq_info_word(dev.fd, index);
		if (vfio_test_driver() == VFIO_TEST_DRIVER_REFERENCE) {
			EXPECT_OK(irq_artifact_put(ARTIFACT, key, got),
				  "recording the reference's answer");
			continue;
		}
		if (irq_artifact_get(ARTIFACT, key, &want))
			continue;
		compared = true;
		if (got != want)
			tap_check(false, "%s: reference said %s0x%llx, we said %s0x%llx",
				  key, want < 0 ? "-" : "", want < 0 ? -want : want,
				  got < 0 ? "-" : "", got < 0 ? -got : got);
	}
	vfio_dev_close(&dev);
	if (vfio_test_driver() == VFIO_TEST_DRIVER_OURS && !compared)
		tap_case_skip("the reference lane did not run in this VM, nothing to compare");
}

static const struct vfio_test_case cases[] = {
	{ "irq_info_intx_count_is_interrupt_pin_maskable_automasked", intx },
	{ "irq_info_msi_count_is_capability_multiple_message_noresize", msi },
	{ "irq_info_msix_count_is_table_size", msix },
	{ "irq_info_err_on_pcie_only", err },
	{ "irq_info_req_is_one_eventfd", req },
	{ "irq_info_index_5_gives_einval", index_5_einval },
	{ "irq_info_argsz_short_gives_einval", argsz_short_einval },
	{ "irq_info_every_index_same_as_reference", same_as_reference },
};

int main(void)
{
	vfio_run_cases(cases, ARRAY_SIZE(cases), NULL);
}
