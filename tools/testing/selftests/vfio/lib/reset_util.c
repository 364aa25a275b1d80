// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for the reset, power, SR-IOV and error/request tests; see
 * reset_util.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "reset_util.h"

void sleep_ms(int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	nanosleep(&ts, NULL);
}

static int not_dot(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

int pci_bus_bdfs(const char *bdf, char (*out)[PCI_BDF_LEN], int max)
{
	/* "0000:03:" - domain and bus. */
	const char *colon = strrchr(bdf, ':');
	struct dirent **names;
	size_t prefix;
	int i, n, found = 0;

	if (!colon)
		return -EINVAL;
	prefix = colon - bdf + 1;
	n = scandir("/sys/bus/pci/devices", &names, not_dot, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (!strncmp(name, bdf, prefix) && strlen(name) < PCI_BDF_LEN) {
			if (found < max)
				strcpy(out[found], name);
			found++;
		}
		free(names[i]);
	}
	free(names);
	return found;
}

static int param_path(char *path, size_t len, const char *module,
		      const char *param)
{
	int n = snprintf(path, len, "/sys/module/%s/parameters/%s", module, param);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int module_param_read(const char *module, const char *param, char *buf,
		      size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	if (param_path(path, sizeof(path), module, param) || !len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

int module_param_write(const char *module, const char *param, const char *val)
{
	char path[256];
	ssize_t n;
	int fd;

	if (param_path(path, sizeof(path), module, param))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : (size_t)n == strlen(val) ? 0 : -EIO;
	close(fd);
	return n;
}

bool pci_function_exists(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return access(path, F_OK) == 0;
}

int pci_wait_attr(const char *bdf, const char *attr, const char *want,
		  int timeout_ms, char *got, size_t len)
{
	int waited, ret;

	for (waited = 0; ; waited += 10) {
		ret = pci_sysfs_read(bdf, attr, got, len);
		if (ret < 0)
			return ret;
		if (!strcmp(got, want))
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		sleep_ms(10);
	}
}

int vfio_find_capability(struct vfio_dev *dev, uint8_t id)
{
	uint8_t pos, cap[2];
	uint16_t status;
	int ret, hops;

	ret = vfio_config_read16(dev, 0x06, &status);
	if (ret)
		return ret;
	if (!(status & 0x10))
		return 0;
	ret = vfio_config_read8(dev, 0x34, &pos);
	if (ret)
		return ret;
	for (hops = 0; pos >= 0x40 && hops < 48; hops++) {
		ret = vfio_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX,
				       pos & ~3u, cap, sizeof(cap));
		if (ret)
			return ret;
		if (cap[0] == id)
			return pos & ~3u;
		pos = cap[1];
	}
	return 0;
}

int vfio_find_ext_capability(struct vfio_dev *dev, uint16_t id)
{
	uint32_t pos = 0x100, header;
	int ret, hops;

	for (hops = 0; pos >= 0x100 && hops < 480; hops++) {
		ret = vfio_config_read32(dev, pos, &header);
		if (ret)
			return ret;
		if (!header)
			return 0;
		if ((header & 0xffff) == id)
			return pos;
		pos = (header >> 20) & ~3u;
	}
	return 0;
}

int vfio_hot_reset_info(int device_fd, struct vfio_pci_hot_reset_info **out)
{
	struct vfio_pci_hot_reset_info *info, *bigger;
	size_t size = sizeof(*info);
	int ret;

	info = calloc(1, size);
	if (!info)
		return -ENOMEM;
	info->argsz = size;
	ret = vfio_ioctl(device_fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info);
	if (ret == -ENOSPC) {
		/* The kernel filled in count: how many devices to make room for. */
		size += info->count * sizeof(info->devices[0]);
		bigger = realloc(info, size);
		if (!bigger) {
			free(info);
			return -ENOMEM;
		}
		info = bigger;
		memset(info, 0, size);
		info->argsz = size;
		ret = vfio_ioctl(device_fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
				 info);
	}
	if (ret < 0) {
		free(info);
		return ret;
	}
	*out = info;
	return 0;
}

int vfio_hot_reset(int device_fd, const int32_t *group_fds, uint32_t count)
{
	struct vfio_pci_hot_reset *reset;
	size_t size = sizeof(*reset) + count * sizeof(int32_t);
	int ret;

	reset = calloc(1, size);
	if (!reset)
		return -ENOMEM;
	reset->argsz = size;
	reset->count = count;
	if (count)
		memcpy(reset->group_fds, group_fds, count * sizeof(int32_t));
	ret = vfio_ioctl(device_fd, VFIO_DEVICE_PCI_HOT_RESET, reset);
	free(reset);
	return ret;
}

void vfio_dependent_bdf(const struct vfio_pci_dependent_device *d,
			char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", d->segment, d->bus,
		 (d->devfn >> 3) & 0x1f, d->devfn & 7);
}

static int device_feature(int device_fd, uint32_t flags, void *data,
			  size_t len, bool answer)
{
	struct vfio_device_feature *feature;
	int ret;

	feature = calloc(1, sizeof(*feature) + len);
	if (!feature)
		return -ENOMEM;
	feature->argsz = sizeof(*feature) + len;
	feature->flags = flags;
	if (len)
		memcpy(feature->data, data, len);
	ret = vfio_ioctl(device_fd, VFIO_DEVICE_FEATURE, feature);
	if (ret >= 0 && len && answer)
		memcpy(data, feature->data, len);
	free(feature);
	return ret;
}

int vfio_device_feature(int device_fd, uint32_t flags, void *data, size_t len)
{
	return device_feature(device_fd, flags, data, len,
			      flags & VFIO_DEVICE_FEATURE_GET);
}

int vfio_device_feature_rw(int device_fd, uint32_t flags, void *data,
			   size_t len)
{
	return device_feature(device_fd, flags, data, len, true);
}

int vfio_irq_set_eventfd(int device_fd, uint32_t index, int efd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = {
		.set = {
			.argsz = sizeof(irq),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = index,
			.start = 0,
			.count = 1,
		},
		.fd = efd,
	};

	return vfio_ioctl(device_fd, VFIO_DEVICE_SET_IRQS, &irq);
}

int eventfd_new(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

long long eventfd_wait(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	if (read(efd, &count, sizeof(count)) != sizeof(count))
		return -errno;
	return count;
}
