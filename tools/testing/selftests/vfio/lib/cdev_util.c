// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO device cdev and iommufd; see cdev_util.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cdev_util.h"
#include "vfio_util.h"

#define PCI_DEVICES_DIR	"/sys/bus/pci/devices"

int vfio_cdev_index(const char *bdf)
{
	char path[128];
	struct dirent *d;
	int index = -ENOENT;
	unsigned int n;
	char tail;
	DIR *dir;

	snprintf(path, sizeof(path), PCI_DEVICES_DIR "/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (sscanf(d->d_name, "vfio%u%c", &n, &tail) != 1)
			continue;
		if (index >= 0) {
			index = -EEXIST;
			break;
		}
		index = n;
	}
	closedir(dir);
	return index;
}

int vfio_cdev_path(const char *bdf, char *buf, size_t len)
{
	int index = vfio_cdev_index(bdf);

	if (index < 0)
		return index;
	if ((size_t)snprintf(buf, len, VFIO_CDEV_DIR "/vfio%d", index) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int vfio_cdev_sysfs_devt(const char *bdf, unsigned int *major,
			 unsigned int *minor)
{
	char attr[64], val[32];
	int index, ret;

	index = vfio_cdev_index(bdf);
	if (index < 0)
		return index;
	snprintf(attr, sizeof(attr), "vfio-dev/vfio%d/dev", index);
	ret = pci_sysfs_read(bdf, attr, val, sizeof(val));
	if (ret < 0)
		return ret;
	return sscanf(val, "%u:%u", major, minor) == 2 ? 0 : -EINVAL;
}

int vfio_cdev_open(const char *bdf)
{
	char path[64];
	int fd, ret;

	ret = vfio_cdev_path(bdf, path, sizeof(path));
	if (ret < 0)
		return ret;
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A function bound to vfio-pci, from the zoo (or $VFIO_TEST_DEVICE). */
static bool any_vfio_function(char bdf[PCI_BDF_LEN])
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	char driver[64];
	int i, n;

	n = vfio_zoo_functions(funcs, ARRAY_SIZE(funcs));
	for (i = 0; i < n; i++) {
		if (pci_driver_name(funcs[i].bdf, driver, sizeof(driver)) < 0 ||
		    strcmp(driver, "vfio-pci"))
			continue;
		memcpy(bdf, funcs[i].bdf, PCI_BDF_LEN);
		return true;
	}
	return false;
}

bool vfio_cdev_supported(const char *bdf, char *why, size_t len)
{
	char found[PCI_BDF_LEN], path[128];
	int ret;

	if (!why || !len) {
		why = path;
		len = sizeof(path);
	}
	if (access(IOMMUFD_NODE, F_OK)) {
		snprintf(why, len,
			 "kernel built without IOMMUFD/VFIO_DEVICE_CDEV: no %s",
			 IOMMUFD_NODE);
		return false;
	}
	if (!bdf) {
		if (!any_vfio_function(found)) {
			snprintf(why, len, "no zoo function bound to vfio-pci");
			return false;
		}
		bdf = found;
	}
	ret = vfio_cdev_index(bdf);
	if (ret == -ENOENT) {
		snprintf(why, len,
			 "kernel built without VFIO_DEVICE_CDEV: no vfio-dev cdev for %s",
			 bdf);
		return false;
	}
	if (ret < 0) {
		snprintf(why, len, "vfio-dev of %s: %s", bdf, strerror(-ret));
		return false;
	}
	return true;
}

/* ---- iommufd ------------------------------------------------------------ */

int iommufd_open(void)
{
	int fd = open(IOMMUFD_NODE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int iommufd_ioas_alloc(int iommufd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int ret;

	ret = vfio_ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc);
	if (ret < 0)
		return ret;
	*ioas_id = alloc.out_ioas_id;
	return 0;
}

int iommufd_destroy(int iommufd, uint32_t id)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = id };
	int ret = vfio_ioctl(iommufd, IOMMU_DESTROY, &destroy);

	return ret < 0 ? ret : 0;
}

int iommufd_ioas_map_fixed(int iommufd, uint32_t ioas_id, void *va,
			   uint64_t len, uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};
	int ret = vfio_ioctl(iommufd, IOMMU_IOAS_MAP, &map);

	return ret < 0 ? ret : 0;
}

int iommufd_ioas_unmap(int iommufd, uint32_t ioas_id, uint64_t iova,
		       uint64_t len, uint64_t *unmapped)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = len,
	};
	int ret = vfio_ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap);

	if (ret < 0)
		return ret;
	if (unmapped)
		*unmapped = unmap.length;
	return 0;
}

/* ---- The cdev's own ioctls --------------------------------------------- */

int vfio_device_bind_iommufd(int device_fd, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};
	int ret;

	ret = vfio_ioctl(device_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (ret < 0)
		return ret;
	*devid = bind.out_devid;
	return 0;
}

int vfio_device_attach_pt(int device_fd, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = *pt_id,
	};
	int ret;

	ret = vfio_ioctl(device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (ret < 0)
		return ret;
	*pt_id = attach.pt_id;
	return 0;
}

int vfio_device_detach_pt(int device_fd)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = sizeof(detach),
	};
	int ret = vfio_ioctl(device_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);

	return ret < 0 ? ret : 0;
}
