// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_demo - a small VFIO client.
 *
 * Opens one PCI function through VFIO (container, group, device), prints what
 * the driver reports about it, and, on QEMU's edu device, maps BAR0 and talks
 * to the device directly from userspace.
 *
 *   vfio_demo [BDF]        (default: the first edu device, 1234:11e8)
 *
 * The function must already be bound to vfio-pci and the caller must be
 * allowed to open /dev/vfio/N.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_util.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_ID			0x010000ed

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2

static void print_flags(uint32_t flags, const char *const names[], int count)
{
	int bit, any = 0;

	for (bit = 0; bit < count; bit++) {
		if (!(flags & (1u << bit)) || !names[bit])
			continue;
		printf("%s%s", any ? " " : "", names[bit]);
		any = 1;
	}
	if (!any)
		printf("-");
}

static void print_device(struct vfio_dev *dev)
{
	static const char *const flag_names[] = {
		"RESET", "PCI", "PLATFORM", "AMBA", "CCW", "AP", "FSL_MC", "CAPS",
	};

	printf("device: flags 0x%x (", dev->info.flags);
	print_flags(dev->info.flags, flag_names, ARRAY_SIZE(flag_names));
	printf("), %u regions, %u irq indexes\n",
	       dev->info.num_regions, dev->info.num_irqs);
}

static void print_regions(struct vfio_dev *dev)
{
	static const char *const flag_names[] = { "READ", "WRITE", "MMAP", "CAPS" };
	struct vfio_region_info info;
	uint32_t i;
	int ret;

	printf("regions:\n");
	for (i = 0; i < dev->info.num_regions; i++) {
		printf("  %-2u %-7s", i, vfio_region_name(i));
		ret = vfio_device_get_region_info(dev->fd, i, &info);
		if (ret < 0) {
			printf(" (no info: %s)\n", strerror(-ret));
			continue;
		}
		printf(" size 0x%-9llx offset 0x%-12llx flags ",
		       (unsigned long long)info.size,
		       (unsigned long long)info.offset);
		print_flags(info.flags, flag_names, ARRAY_SIZE(flag_names));
		printf("\n");
	}
}

static void print_irqs(struct vfio_dev *dev)
{
	static const char *const flag_names[] = {
		"EVENTFD", "MASKABLE", "AUTOMASKED", "NORESIZE",
	};
	struct vfio_irq_info info;
	uint32_t i;
	int ret;

	printf("irq indexes:\n");
	for (i = 0; i < dev->info.num_irqs; i++) {
		printf("  %-2u %-5s", i, vfio_irq_name(i));
		ret = vfio_device_get_irq_info(dev->fd, i, &info);
		if (ret < 0) {
			printf(" (no info: %s)\n", strerror(-ret));
			continue;
		}
		printf(" count %-4u flags ", info.count);
		print_flags(info.flags, flag_names, ARRAY_SIZE(flag_names));
		printf("\n");
	}
}

static int print_config_ids(struct vfio_dev *dev, uint16_t *vendor,
			    uint16_t *device)
{
	uint32_t class_rev;
	int ret;

	ret = vfio_config_read16(dev, 0x00, vendor);
	if (!ret)
		ret = vfio_config_read16(dev, 0x02, device);
	if (!ret)
		ret = vfio_config_read32(dev, 0x08, &class_rev);
	if (ret) {
		fprintf(stderr, "config read: %s\n", strerror(-ret));
		return ret;
	}
	printf("config: vendor 0x%04x device 0x%04x class 0x%06x revision 0x%02x\n",
	       *vendor, *device, class_rev >> 8, class_rev & 0xff);
	return 0;
}

/* Memory decode must be on before BAR0 can be touched. */
static int enable_memory(struct vfio_dev *dev)
{
	uint16_t cmd;
	int ret;

	ret = vfio_config_read16(dev, PCI_COMMAND, &cmd);
	if (ret || (cmd & PCI_COMMAND_MEMORY))
		return ret;
	return vfio_config_write16(dev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
}

static int edu_demo(struct vfio_dev *dev)
{
	const struct vfio_region_info *bar0 = &dev->regions[VFIO_PCI_BAR0_REGION_INDEX];
	uint32_t written = 0x12345678, id, live;
	volatile uint32_t *regs;
	void *map;
	int ret;

	if (!(bar0->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		fprintf(stderr, "edu: BAR0 is not mmap-able (flags 0x%x)\n",
			bar0->flags);
		return -ENOTSUP;
	}
	ret = enable_memory(dev);
	if (ret) {
		fprintf(stderr, "edu: enabling memory decode: %s\n", strerror(-ret));
		return ret;
	}
	ret = vfio_region_mmap(dev, VFIO_PCI_BAR0_REGION_INDEX, 0, bar0->size,
			       PROT_READ | PROT_WRITE, &map);
	if (ret) {
		fprintf(stderr, "edu: mmap of BAR0: %s\n", strerror(-ret));
		return ret;
	}
	regs = map;
	id = regs[EDU_REG_ID / 4];
	printf("edu: BAR0 mapped at %p (0x%llx bytes)\n", map,
	       (unsigned long long)bar0->size);
	printf("edu: id register 0x%08x (expected 0x%08x)\n", id, EDU_ID);
	regs[EDU_REG_LIVENESS / 4] = written;
	live = regs[EDU_REG_LIVENESS / 4];
	printf("edu: liveness: wrote 0x%08x, read 0x%08x (expected 0x%08x)\n",
	       written, live, ~written);
	munmap(map, bar0->size);
	return id == EDU_ID && live == ~written ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	struct pci_func edu;
	struct vfio_dev dev;
	uint16_t vendor, device;
	const char *bdf;
	int ret;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [BDF]   (default: the first edu device)\n",
			argv[0]);
		return 2;
	}
	if (argc == 2) {
		bdf = argv[1];
	} else {
		ret = pci_find_functions(EDU_VENDOR, EDU_DEVICE, &edu, 1);
		if (ret <= 0) {
			fprintf(stderr, "no edu device (%04x:%04x) found\n",
				EDU_VENDOR, EDU_DEVICE);
			return 1;
		}
		bdf = edu.bdf;
	}

	ret = vfio_dev_open(&dev, bdf);
	if (ret) {
		fprintf(stderr, "opening %s through VFIO: %s\n", bdf, strerror(-ret));
		return 1;
	}
	printf("%s: IOMMU group %d, device fd %d\n", bdf, dev.group, dev.fd);
	print_device(&dev);
	print_regions(&dev);
	print_irqs(&dev);
	ret = print_config_ids(&dev, &vendor, &device);
	if (!ret && vendor == EDU_VENDOR && device == EDU_DEVICE)
		ret = edu_demo(&dev);
	vfio_dev_close(&dev);
	printf("%s\n", ret ? "FAILED" : "done");
	return ret ? 1 : 0;
}
