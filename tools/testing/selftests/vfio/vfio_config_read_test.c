// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reads of the identity registers through the config region, at every access
 * width, against the values the PCI core publishes in sysfs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "vfio_util.h"

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_CLASS_DEVICE	0x0a	/* sub class, then base class */

struct ids {
	uint16_t vendor;
	uint16_t device;
	uint8_t revision;
	uint32_t class;		/* base << 16 | sub << 8 | prog-if */
};

static bool sysfs_ids(const struct pci_func *f, struct ids *ids)
{
	char buf[32];
	int ret;

	ret = pci_sysfs_read(f->bdf, "revision", buf, sizeof(buf));
	if (!EXPECT_OK(ret, "reading sysfs revision"))
		return false;
	ids->vendor = f->vendor;
	ids->device = f->device;
	ids->revision = strtoul(buf, NULL, 16);
	ids->class = f->class;
	return true;
}

static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device");
}

static void expect_byte(struct vfio_dev *dev, uint32_t off, uint8_t want,
			const char *name)
{
	char what[64];
	uint8_t got;

	snprintf(what, sizeof(what), "1-byte read of %s at 0x%02x", name, off);
	if (EXPECT_OK(vfio_config_read8(dev, off, &got), what))
		EXPECT_EQ_HEX(got, want, what);
}

static void expect_word(struct vfio_dev *dev, uint32_t off, uint16_t want,
			const char *name)
{
	char what[64];
	uint16_t got;

	snprintf(what, sizeof(what), "2-byte read of %s at 0x%02x", name, off);
	if (EXPECT_OK(vfio_config_read16(dev, off, &got), what))
		EXPECT_EQ_HEX(got, want, what);
}

static void expect_dword(struct vfio_dev *dev, uint32_t off, uint32_t want,
			 const char *name)
{
	char what[64];
	uint32_t got;

	snprintf(what, sizeof(what), "4-byte read of %s at 0x%02x", name, off);
	if (EXPECT_OK(vfio_config_read32(dev, off, &got), what))
		EXPECT_EQ_HEX(got, want, what);
}

static void ids_by_bytes(const struct pci_func *f)
{
	struct vfio_dev dev;
	struct ids ids;

	if (!sysfs_ids(f, &ids) || !open_dev(&dev, f))
		return;
	expect_byte(&dev, PCI_VENDOR_ID, ids.vendor & 0xff, "vendor low");
	expect_byte(&dev, PCI_VENDOR_ID + 1, ids.vendor >> 8, "vendor high");
	expect_byte(&dev, PCI_DEVICE_ID, ids.device & 0xff, "device low");
	expect_byte(&dev, PCI_DEVICE_ID + 1, ids.device >> 8, "device high");
	expect_byte(&dev, PCI_REVISION_ID, ids.revision, "revision");
	expect_byte(&dev, PCI_CLASS_PROG, ids.class & 0xff, "prog-if");
	expect_byte(&dev, PCI_CLASS_DEVICE, (ids.class >> 8) & 0xff, "sub class");
	expect_byte(&dev, PCI_CLASS_DEVICE + 1, ids.class >> 16, "base class");
	vfio_dev_close(&dev);
}

static void ids_by_words(const struct pci_func *f)
{
	struct vfio_dev dev;
	struct ids ids;

	if (!sysfs_ids(f, &ids) || !open_dev(&dev, f))
		return;
	expect_word(&dev, PCI_VENDOR_ID, ids.vendor, "vendor");
	expect_word(&dev, PCI_DEVICE_ID, ids.device, "device");
	expect_word(&dev, PCI_REVISION_ID, ids.revision | (ids.class & 0xff) << 8,
		    "revision, prog-if");
	expect_word(&dev, PCI_CLASS_DEVICE, ids.class >> 8, "class");
	vfio_dev_close(&dev);
}

static void ids_by_dwords(const struct pci_func *f)
{
	struct vfio_dev dev;
	struct ids ids;

	if (!sysfs_ids(f, &ids) || !open_dev(&dev, f))
		return;
	expect_dword(&dev, PCI_VENDOR_ID, ids.vendor | (uint32_t)ids.device << 16,
		     "vendor, device");
	expect_dword(&dev, PCI_REVISION_ID, ids.revision | ids.class << 8,
		     "revision, class");
	vfio_dev_close(&dev);
}

static const struct vfio_test_case cases[] = {
	{ "config_ids_by_1_byte_reads_match_sysfs", ids_by_bytes },
	{ "config_ids_by_2_byte_reads_match_sysfs", ids_by_words },
	{ "config_ids_by_4_byte_reads_match_sysfs", ids_by_dwords },
};

int main(void)
{
	vfio_run_cases(cases, ARRAY_SIZE(cases), NULL);
}
