// SPDX-License-Identifier: GPL-2.0-only
/*
 * Opening a device: container, group, IOMMU type, device fds, and which of
 * them runs the driver's open_device/close_device.  All of it is the group
 * path's, so VFIO_TEST_CDEV does not change it (vfio_cdev_test has the cdev's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vfio_util.h"

#define PCI_CAP_ID_PM		0x01
/* How long sysfs may lag behind: runtime suspend is asynchronous. */
#define STATE_TIMEOUT_MS	3000
/* Long enough for an asynchronous runtime suspend to have happened. */
#define SETTLE_MS		300

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool expect_vendor_via(int fd, struct vfio_dev *dev,
			      const struct pci_func *f, const char *which)
{
	uint16_t vendor = 0;
	char what[64];

	snprintf(what, sizeof(what), "config read of the vendor ID via %s", which);
	if (!EXPECT_OK(vfio_region_pread(fd, &dev->regions[VFIO_PCI_CONFIG_REGION_INDEX],
					 0, &vendor, sizeof(vendor)), what))
		return false;
	snprintf(what, sizeof(what), "vendor ID via %s", which);
	return EXPECT_EQ_HEX(vendor, f->vendor, what);
}

/* The whole path spelled out once, with every step checked. */
static void full_open_path_works(const struct pci_func *f)
{
	struct vfio_device_info info;
	int container, group_fd, fd, group;
	uint32_t flags;

	group = pci_iommu_group(f->bdf);
	if (!EXPECT_OK(group, "reading iommu_group"))
		return;
	container = open("/dev/vfio/vfio", O_RDWR);
	if (!EXPECT_OK(container < 0 ? -errno : container, "open /dev/vfio/vfio"))
		return;
	EXPECT_EQ(ioctl(container, VFIO_GET_API_VERSION), VFIO_API_VERSION,
		  "VFIO_GET_API_VERSION");
	EXPECT_EQ(ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1,
		  "VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)");

	group_fd = vfio_group_open(group);
	if (!EXPECT_OK(group_fd, "open /dev/vfio/N"))
		goto out_container;
	if (EXPECT_OK(vfio_group_status(group_fd, &flags), "VFIO_GROUP_GET_STATUS"))
		EXPECT_EQ_HEX(flags, VFIO_GROUP_FLAGS_VIABLE,
			      "group flags before SET_CONTAINER");
	if (!EXPECT_OK(vfio_group_set_container(group_fd, container),
		       "VFIO_GROUP_SET_CONTAINER"))
		goto out_group;
	if (EXPECT_OK(vfio_group_status(group_fd, &flags), "VFIO_GROUP_GET_STATUS"))
		EXPECT_EQ_HEX(flags, VFIO_GROUP_FLAGS_VIABLE |
				     VFIO_GROUP_FLAGS_CONTAINER_SET,
			      "group flags after SET_CONTAINER");
	if (!EXPECT_OK(vfio_container_set_iommu(container, VFIO_TYPE1v2_IOMMU),
		       "VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU)"))
		goto out_group;

	fd = vfio_group_get_device_fd(group_fd, f->bdf);
	if (!EXPECT_OK(fd, "VFIO_GROUP_GET_DEVICE_FD"))
		goto out_group;
	if (EXPECT_OK(vfio_device_get_info(fd, &info), "VFIO_DEVICE_GET_INFO"))
		EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI,
			    "VFIO_DEVICE_FLAGS_PCI in the device flags");
	close(fd);
out_group:
	close(group_fd);
out_container:
	close(container);
}

static void second_group_open_is_ebusy(const struct pci_func *f)
{
	struct vfio_dev dev;
	int ret;

	if (!EXPECT_OK(vfio_dev_open_group(&dev, f->bdf), "opening the device"))
		return;
	ret = vfio_group_open(dev.group);
	EXPECT_ERRNO(ret, EBUSY, "second open of /dev/vfio/N");
	if (ret >= 0)
		close(ret);
	vfio_dev_close(&dev);
}

static void second_device_fd_is_new_and_works(const struct pci_func *f)
{
	struct vfio_device_info info;
	struct vfio_dev dev;
	int fd2;

	if (!EXPECT_OK(vfio_dev_open_group(&dev, f->bdf), "opening the device"))
		return;
	fd2 = vfio_group_get_device_fd(dev.group_fd, f->bdf);
	if (!EXPECT_OK(fd2, "second VFIO_GROUP_GET_DEVICE_FD"))
		goto out;
	EXPECT_NE(fd2, dev.fd, "second device fd");
	if (EXPECT_OK(vfio_device_get_info(fd2, &info),
		      "VFIO_DEVICE_GET_INFO on the second fd"))
		EXPECT_EQ(info.num_regions, dev.info.num_regions,
			  "num_regions via the second fd");
	expect_vendor_via(fd2, &dev, f, "the second fd");
	expect_vendor_via(dev.fd, &dev, f, "the first fd");
	close(fd2);
out:
	vfio_dev_close(&dev);
}

static void unknown_name_is_enodev(const struct pci_func *f)
{
	struct pci_func others[VFIO_ZOO_MAX];
	struct vfio_dev dev;
	int i, n, ret;

	if (!EXPECT_OK(vfio_dev_open_group(&dev, f->bdf), "opening the device"))
		return;
	ret = vfio_group_get_device_fd(dev.group_fd, "vfio-test-no-such-device");
	EXPECT_ERRNO(ret, ENODEV, "VFIO_GROUP_GET_DEVICE_FD of a made-up name");
	if (ret >= 0)
		close(ret);

	/*
	 * A real function, but of another group (none to pick when
	 * $VFIO_TEST_DEVICE narrows the search to this one).
	 */
	n = pci_find_functions(0xffff, 0xffff, others, ARRAY_SIZE(others));
	for (i = 0; i < n && i < (int)ARRAY_SIZE(others); i++) {
		if (pci_iommu_group(others[i].bdf) == dev.group)
			continue;
		ret = vfio_group_get_device_fd(dev.group_fd, others[i].bdf);
		EXPECT_ERRNO(ret, ENODEV,
			     "VFIO_GROUP_GET_DEVICE_FD of a function in another group");
		if (ret >= 0)
			close(ret);
		break;
	}
	vfio_dev_close(&dev);
}

static void closing_first_fd_keeps_second(const struct pci_func *f)
{
	struct vfio_device_info info;
	struct vfio_dev dev;
	int fd2;

	if (!EXPECT_OK(vfio_dev_open_group(&dev, f->bdf), "opening the device"))
		return;
	fd2 = vfio_group_get_device_fd(dev.group_fd, f->bdf);
	if (!EXPECT_OK(fd2, "second VFIO_GROUP_GET_DEVICE_FD"))
		goto out;
	close(dev.fd);
	dev.fd = fd2;
	EXPECT_OK(vfio_device_get_info(fd2, &info),
		  "VFIO_DEVICE_GET_INFO on the second fd after closing the first");
	expect_vendor_via(fd2, &dev, f, "the second fd after closing the first");
out:
	vfio_dev_close(&dev);
}

/* Polls attribute @attr of the function until it reads @want or time is up. */
static bool expect_attr(const struct pci_func *f, const char *attr,
			const char *want, int timeout_ms, const char *when)
{
	char got[32];
	int waited, ret;

	for (waited = 0; ; waited += 10) {
		ret = pci_sysfs_read(f->bdf, attr, got, sizeof(got));
		if (ret < 0 || !strcmp(got, want) || waited >= timeout_ms)
			break;
		sleep_ms(10);
	}
	if (ret < 0)
		return tap_check(false, "reading %s %s: expected success, got %s",
				 attr, when, tap_errno_name(-ret));
	return tap_check(!strcmp(got, want), "%s %s: expected \"%s\", got \"%s\"",
			 attr, when, want, got);
}

/*
 * The driver's open_device runs for the first device fd only and its
 * close_device after the last fd closes.  Observables, both measured on the
 * reference:
 * - sysfs "enable" is the PCI core's enable count: open_device enables the
 *   function (0 -> 1) and close_device disables it (1 -> 0).  A second
 *   open_device would make it 2; an early close_device, 0.  This works on
 *   every function.  (The command register does not work: its memory bit
 *   stays set after close.)
 * - with the PCI PM capability (e1000e, nvme), "power_state" is D3hot while
 *   no fd is open (runtime PM) and D0 from open_device to close_device.
 *   Functions without PM always read D0.
 * Nothing here reads sysfs "config", which would itself wake the function.
 */
static void open_first_close_last(const struct pci_func *f)
{
	struct vfio_dev dev;
	int pm, fd2;

	pm = pci_find_capability(f->bdf, PCI_CAP_ID_PM);
	if (!EXPECT_OK(pm, "looking for the PM capability"))
		return;
	if (!pm)
		tap_diag("no PCI PM capability: checking \"enable\" only");
	expect_attr(f, "enable", "0", 0, "with no fd open");
	/* Looking for the capability woke the function: let it idle again. */
	if (pm)
		expect_attr(f, "power_state", "D3hot", STATE_TIMEOUT_MS,
			    "with no fd open");

	if (!EXPECT_OK(vfio_dev_open_group(&dev, f->bdf), "opening the device"))
		return;
	expect_attr(f, "enable", "1", 0, "with the first fd open");
	if (pm)
		expect_attr(f, "power_state", "D0", 0, "with the first fd open");

	fd2 = vfio_group_get_device_fd(dev.group_fd, f->bdf);
	if (!EXPECT_OK(fd2, "second VFIO_GROUP_GET_DEVICE_FD"))
		goto out;
	expect_attr(f, "enable", "1", 0, "with two fds open");
	if (pm)
		expect_attr(f, "power_state", "D0", 0, "with two fds open");

	close(dev.fd);
	dev.fd = fd2;
	sleep_ms(SETTLE_MS);
	expect_attr(f, "enable", "1", 0, "after closing the first of two fds");
	if (pm)
		expect_attr(f, "power_state", "D0", 0,
			    "after closing the first of two fds");
out:
	vfio_dev_close(&dev);
	expect_attr(f, "enable", "0", STATE_TIMEOUT_MS, "after closing the last fd");
	if (pm)
		expect_attr(f, "power_state", "D3hot", STATE_TIMEOUT_MS,
			    "after closing the last fd");
}

static const struct vfio_test_case cases[] = {
	{ "container_group_type1v2_get_device_fd_works", full_open_path_works },
	{ "second_group_open_while_open_gives_ebusy", second_group_open_is_ebusy },
	{ "second_get_device_fd_returns_new_fd", second_device_fd_is_new_and_works },
	{ "get_device_fd_name_not_in_group_gives_enodev", unknown_name_is_enodev },
	{ "closing_first_fd_keeps_second_working", closing_first_fd_keeps_second },
	{ "open_on_first_fd_close_after_last_fd", open_first_close_last },
};

int main(void)
{
	vfio_run_cases(cases, ARRAY_SIZE(cases), NULL);
}
