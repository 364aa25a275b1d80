// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_GET_INFO, and what the device fd says to ioctls it does not know.
 */
#include <errno.h>
#include <string.h>

#include "vfio_util.h"

/* Number the uAPI will not use soon: ';' type, far above VFIO_BASE + 17. */
#define VFIO_TEST_UNKNOWN_IOCTL	_IO(VFIO_TYPE, VFIO_BASE + 99)

/*
 * Each case opens the device itself; a failed open fails the case.
 */
static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device");
}

static void flags_include_pci(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	tap_check(dev.info.flags & VFIO_DEVICE_FLAGS_PCI,
		  "flags: expected VFIO_DEVICE_FLAGS_PCI (0x%x) set, got 0x%x",
		  VFIO_DEVICE_FLAGS_PCI, dev.info.flags);
	vfio_dev_close(&dev);
}

/*
 * VFIO_DEVICE_FLAGS_RESET means VFIO_DEVICE_RESET can work, which is the
 * PCI core having some reset method for the function: exactly when sysfs
 * reset_method is non-empty.  Measured on the reference (Debian 6.12):
 * edu, VGA and pci-testdev have no method and no flag; e1000e ("pm", and
 * "pm bus" behind a root port) and nvme ("flr") have both.
 */
static void reset_flag_iff_reset_method(const struct pci_func *f)
{
	char methods[128];
	struct vfio_dev dev;
	bool flag;

	if (!EXPECT_OK(pci_reset_method(f->bdf, methods, sizeof(methods)),
		       "reading reset_method"))
		return;
	if (!open_dev(&dev, f))
		return;
	flag = dev.info.flags & VFIO_DEVICE_FLAGS_RESET;
	tap_check(flag == (methods[0] != '\0'),
		  "VFIO_DEVICE_FLAGS_RESET: expected %s (reset_method \"%s\"), got %s",
		  methods[0] ? "set" : "clear", methods, flag ? "set" : "clear");
	vfio_dev_close(&dev);
}

static void num_regions_at_least_pci(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	EXPECT_GE(dev.info.num_regions, VFIO_PCI_NUM_REGIONS, "num_regions");
	vfio_dev_close(&dev);
}

static void num_irqs_is_pci(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	EXPECT_EQ(dev.info.num_irqs, VFIO_PCI_NUM_IRQS, "num_irqs");
	vfio_dev_close(&dev);
}

static void argsz_4_is_einval(const struct pci_func *f)
{
	struct vfio_device_info info = { .argsz = 4 };
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(vfio_ioctl(dev.fd, VFIO_DEVICE_GET_INFO, &info), EINVAL,
		     "VFIO_DEVICE_GET_INFO with argsz 4");
	vfio_dev_close(&dev);
}

static void unknown_ioctl_is_enotty(const struct pci_func *f)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(vfio_ioctl(dev.fd, VFIO_TEST_UNKNOWN_IOCTL, &info), ENOTTY,
		     "ioctl _IO(VFIO_TYPE, VFIO_BASE + 99) on the device fd");
	vfio_dev_close(&dev);
}

static const struct vfio_test_case cases[] = {
	{ "device_info_flags_include_pci", flags_include_pci },
	{ "device_info_reset_flag_iff_sysfs_reset_method", reset_flag_iff_reset_method },
	{ "device_info_num_regions_at_least_9", num_regions_at_least_pci },
	{ "device_info_num_irqs_is_5", num_irqs_is_pci },
	{ "device_info_argsz_4_gives_einval", argsz_4_is_einval },
	{ "unknown_device_ioctl_gives_enotty", unknown_ioctl_is_enotty },
};

int main(void)
{
	vfio_run_cases(cases, ARRAY_SIZE(cases), NULL);
}
