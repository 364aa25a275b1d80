// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for the VFIO PCI selftests; see vfio_util.h.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cdev_util.h"
#include "vfio_util.h"

#define PCI_DEVICES_DIR	"/sys/bus/pci/devices"

/* ---- The driver under test --------------------------------------------- */

enum vfio_test_driver vfio_test_driver(void)
{
	const char *env = getenv("VFIO_TEST_DRIVER");

	if (!env || !*env || !strcmp(env, "ours"))
		return VFIO_TEST_DRIVER_OURS;
	if (!strcmp(env, "reference"))
		return VFIO_TEST_DRIVER_REFERENCE;
	tap_bail_out("VFIO_TEST_DRIVER=%s: expected ours or reference", env);
}

const char *vfio_test_driver_name(void)
{
	return vfio_test_driver() == VFIO_TEST_DRIVER_OURS ? "ours" : "reference";
}

void vfio_test_require_ours(const char *why)
{
	if (vfio_test_driver() == VFIO_TEST_DRIVER_REFERENCE)
		tap_skip_all("ours only: %s", why);
}

bool vfio_test_case_ours_only(const char *why)
{
	if (vfio_test_driver() == VFIO_TEST_DRIVER_OURS)
		return false;
	tap_case_skip("ours only: %s", why);
	return true;
}

/* ---- sysfs -------------------------------------------------------------- */

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

static int write_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		n = -errno;
	else if ((size_t)n != len)
		n = -EIO;
	else
		n = 0;
	close(fd);
	return n;
}

static int sysfs_path(char *path, size_t len, const char *bdf, const char *attr)
{
	int n = snprintf(path, len, PCI_DEVICES_DIR "/%s/%s", bdf, attr);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pci_sysfs_read(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	int ret;

	ret = sysfs_path(path, sizeof(path), bdf, attr);
	return ret ? ret : read_file(path, buf, len);
}

int pci_sysfs_write(const char *bdf, const char *attr, const char *val)
{
	char path[PATH_MAX];
	int ret;

	ret = sysfs_path(path, sizeof(path), bdf, attr);
	return ret ? ret : write_file(path, val);
}

static int link_basename(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return strlen(buf);
}

int pci_driver_name(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	int ret;

	ret = sysfs_path(path, sizeof(path), bdf, "driver");
	if (ret)
		return ret;
	ret = link_basename(path, buf, len);
	if (ret == -ENOENT && len) {
		buf[0] = '\0';
		return 0;
	}
	return ret;
}

int pci_iommu_group(const char *bdf)
{
	char path[PATH_MAX], name[32], *end;
	long group;
	int ret;

	ret = sysfs_path(path, sizeof(path), bdf, "iommu_group");
	if (ret)
		return ret;
	ret = link_basename(path, name, sizeof(name));
	if (ret < 0)
		return ret;
	group = strtol(name, &end, 10);
	if (*end || group < 0 || group > INT_MAX)
		return -EINVAL;
	return group;
}

int vfio_group_size(int group)
{
	char path[64];
	struct dirent *de;
	int count = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			count++;
	closedir(dir);
	return count;
}

static int read_hex(const char *bdf, const char *attr, unsigned long *val)
{
	char buf[32], *end;
	int ret;

	ret = pci_sysfs_read(bdf, attr, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtoul(buf, &end, 16);
	return errno || *end ? -EINVAL : 0;
}

/* $VFIO_TEST_DEVICE, or NULL when unset or empty. */
static const char *test_device(void)
{
	const char *bdf = getenv("VFIO_TEST_DEVICE");

	return bdf && *bdf ? bdf : NULL;
}

/* Matches $VFIO_TEST_DEVICE, given with or without the PCI domain. */
static bool selected(const char *bdf)
{
	const char *want = test_device();

	if (!want)
		return true;
	if (!strcmp(bdf, want))
		return true;
	return !strncmp(bdf, "0000:", 5) && !strcmp(bdf + 5, want);
}

static const struct {
	uint16_t vendor;
	uint16_t device;
	const char *kind;
} zoo[] = {
	{ 0x1234, 0x1111, "vga" },
	{ 0x1234, 0x11e8, "edu" },
	{ 0x8086, 0x10d3, "e1000e" },
	{ 0x1b36, 0x0010, "nvme" },
	{ 0x1b36, 0x0005, "pci-testdev" },
};

static const char *zoo_kind(uint16_t vendor, uint16_t device)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zoo); i++)
		if (zoo[i].vendor == vendor && zoo[i].device == device)
			return zoo[i].kind;
	return NULL;
}

static int dot_filter(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/*
 * Walks all functions in BDF order; @want decides which are stored.  With
 * $VFIO_TEST_DEVICE set, that function is the only candidate.
 */
static int find_functions(bool (*want)(const struct pci_func *f, const void *arg),
			  const void *arg, struct pci_func *out, int max)
{
	struct dirent **names;
	int n, i, found = 0;

	n = scandir(PCI_DEVICES_DIR, &names, dot_filter, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		struct pci_func f = { 0 };
		unsigned long vendor, device, class;
		const char *bdf = names[i]->d_name;

		if (!selected(bdf) || strlen(bdf) >= sizeof(f.bdf))
			continue;
		if (read_hex(bdf, "vendor", &vendor) ||
		    read_hex(bdf, "device", &device) ||
		    read_hex(bdf, "class", &class))
			continue;
		strcpy(f.bdf, bdf);
		f.vendor = vendor;
		f.device = device;
		f.class = class;
		f.kind = zoo_kind(f.vendor, f.device);
		if (!f.kind)
			f.kind = "other";
		if (!want(&f, arg))
			continue;
		if (found < max)
			out[found] = f;
		found++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return found;
}

static bool match_ids(const struct pci_func *f, const void *arg)
{
	const uint16_t *ids = arg;

	return (ids[0] == 0xffff || ids[0] == f->vendor) &&
	       (ids[1] == 0xffff || ids[1] == f->device);
}

int pci_find_functions(uint16_t vendor, uint16_t device,
		       struct pci_func *out, int max)
{
	const uint16_t ids[2] = { vendor, device };

	return find_functions(match_ids, ids, out, max);
}

static bool match_zoo(const struct pci_func *f, const void *arg)
{
	(void)arg;
	/* A device named by $VFIO_TEST_DEVICE is tested even if not a zoo kind. */
	return strcmp(f->kind, "other") || test_device();
}

int vfio_zoo_functions(struct pci_func *out, int max)
{
	return find_functions(match_zoo, NULL, out, max);
}

int vfio_zoo_functions_or_skip(struct pci_func *out, int max)
{
	int n = vfio_zoo_functions(out, max);

	if (n < 0)
		tap_bail_out("listing PCI functions: %s", tap_errno_name(-n));
	if (n == 0)
		tap_skip_all("no device of the zoo present%s%s",
			     test_device() ? " matching " : "",
			     test_device() ?: "");
	return n < max ? n : max;
}

int pci_config_sysfs_read(const char *bdf, uint32_t off, void *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, ret;

	ret = sysfs_path(path, sizeof(path), bdf, "config");
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, off);
	ret = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return ret;
}

static long long file_size(const char *bdf, const char *attr)
{
	char path[PATH_MAX];
	struct stat st;
	int ret;

	ret = sysfs_path(path, sizeof(path), bdf, attr);
	if (ret)
		return ret;
	if (stat(path, &st))
		return -errno;
	return st.st_size;
}

long long pci_config_sysfs_size(const char *bdf)
{
	return file_size(bdf, "config");
}

int pci_find_capability(const char *bdf, uint8_t id)
{
	uint8_t cfg[256];
	unsigned int pos, hops;
	int ret;

	ret = pci_config_sysfs_read(bdf, 0, cfg, sizeof(cfg));
	if (ret)
		return ret;
	if (!(cfg[0x06] & 0x10))	/* Status: Capabilities List */
		return 0;
	/* 48 hops is more than a 256-byte space can hold: stops loops. */
	for (pos = cfg[0x34] & ~3u, hops = 0; pos >= 0x40 && hops < 48;
	     pos = cfg[pos + 1] & ~3u, hops++)
		if (cfg[pos] == id)
			return pos;
	return 0;
}

int pci_resources(const char *bdf, struct pci_resource res[PCI_SYSFS_RESOURCES])
{
	char path[PATH_MAX];
	unsigned long long start, end, flags;
	int ret, n = 0;
	FILE *f;

	ret = sysfs_path(path, sizeof(path), bdf, "resource");
	if (ret)
		return ret;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	memset(res, 0, sizeof(*res) * PCI_SYSFS_RESOURCES);
	while (n < PCI_SYSFS_RESOURCES &&
	       fscanf(f, "%llx %llx %llx", &start, &end, &flags) == 3) {
		res[n].start = start;
		res[n].end = end;
		res[n].flags = flags;
		n++;
	}
	fclose(f);
	return n;
}

uint64_t pci_resource_size(const struct pci_resource *res)
{
	/* Like the PCI core's pci_resource_len(): an end of 0 means unused. */
	return res->end ? res->end - res->start + 1 : 0;
}

long long pci_rom_size(const char *bdf)
{
	long long size = file_size(bdf, "rom");

	return size == -ENOENT ? 0 : size;
}

static int read_optional(const char *bdf, const char *attr, char *buf,
			 size_t len)
{
	int ret = pci_sysfs_read(bdf, attr, buf, len);

	if (ret == -ENOENT && len) {
		buf[0] = '\0';
		return 0;
	}
	return ret;
}

int pci_reset_method(const char *bdf, char *buf, size_t len)
{
	/* The PCI core hides the attribute of a function with no method. */
	return read_optional(bdf, "reset_method", buf, len);
}

int pci_power_state(const char *bdf, char *buf, size_t len)
{
	return pci_sysfs_read(bdf, "power_state", buf, len);
}

int pci_set_driver_override(const char *bdf, const char *driver)
{
	/* A lone newline is how sysfs is told to clear the override. */
	return pci_sysfs_write(bdf, "driver_override",
			       driver && *driver ? driver : "\n");
}

int pci_unbind(const char *bdf)
{
	char driver[64];
	int ret;

	ret = pci_driver_name(bdf, driver, sizeof(driver));
	if (ret <= 0)
		return ret;
	return pci_sysfs_write(bdf, "driver/unbind", bdf);
}

int pci_probe(const char *bdf)
{
	return write_file("/sys/bus/pci/drivers_probe", bdf);
}

int pci_bind(const char *bdf, const char *driver)
{
	const struct timespec pause = { .tv_nsec = 50 * 1000 * 1000 };
	char bound[64];
	int ret, waited;

	/*
	 * A function that has just appeared (hot-plug) may still be on its
	 * way to a native driver, which then gets there first: take it back
	 * and probe again.  Before the PCI core has finished adding it, its
	 * sysfs directory is there but no driver matches it yet, and a probe
	 * binds nothing: try again for a while (a loaded host stretches that
	 * window to seconds).
	 */
	for (waited = 0; ; waited += 50) {
		ret = pci_set_driver_override(bdf, driver);
		if (ret)
			return ret;
		ret = pci_unbind(bdf);
		if (ret)
			return ret;
		ret = pci_probe(bdf);
		if (ret)
			return ret;
		ret = pci_driver_name(bdf, bound, sizeof(bound));
		if (ret < 0)
			return ret;
		if (!strcmp(bound, driver))
			return 0;
		if (waited >= 10000)
			return -ENODEV;
		nanosleep(&pause, NULL);
	}
}

bool vfio_group_node_exists(int group)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	return access(path, F_OK) == 0;
}

int vfio_wait_group_node(int group, bool present, int timeout_ms)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; ; waited += 10) {
		if (vfio_group_node_exists(group) == present)
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
}

/* ---- The VFIO uAPI ------------------------------------------------------ */

int vfio_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

int vfio_container_open(void)
{
	int fd, ret;

	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, VFIO_GET_API_VERSION);
	if (ret != VFIO_API_VERSION) {
		ret = ret < 0 ? -errno : -EPROTO;
		goto err_close;
	}
	ret = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
	if (ret <= 0) {
		ret = ret < 0 ? -errno : -ENOTSUP;
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return ret;
}

int vfio_container_set_iommu(int container_fd, int type)
{
	int ret = ioctl(container_fd, VFIO_SET_IOMMU, type);

	return ret < 0 ? -errno : ret;
}

int vfio_group_open(int group)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int vfio_group_status(int group_fd, uint32_t *flags)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int ret;

	ret = vfio_ioctl(group_fd, VFIO_GROUP_GET_STATUS, &status);
	if (ret < 0)
		return ret;
	*flags = status.flags;
	return 0;
}

int vfio_group_set_container(int group_fd, int container_fd)
{
	return vfio_ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd);
}

int vfio_group_get_device_fd(int group_fd, const char *name)
{
	return vfio_ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, (void *)name);
}

int vfio_device_get_info(int device_fd, struct vfio_device_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return vfio_ioctl(device_fd, VFIO_DEVICE_GET_INFO, info);
}

int vfio_device_get_region_info(int device_fd, uint32_t index,
				struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return vfio_ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, info);
}

int vfio_device_get_region_info_caps(int device_fd, uint32_t index,
				     struct vfio_region_info **out)
{
	struct vfio_region_info *info, *bigger;
	uint32_t argsz;
	int ret;

	info = calloc(1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	ret = vfio_device_get_region_info(device_fd, index, info);
	if (ret < 0)
		goto err_free;
	/* The kernel raises argsz when the capabilities did not fit. */
	argsz = info->argsz;
	if (argsz > sizeof(*info)) {
		bigger = realloc(info, argsz);
		if (!bigger) {
			ret = -ENOMEM;
			goto err_free;
		}
		info = bigger;
		memset(info, 0, argsz);
		info->argsz = argsz;
		info->index = index;
		ret = vfio_ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, info);
		if (ret < 0)
			goto err_free;
	}
	*out = info;
	return 0;

err_free:
	free(info);
	return ret;
}

int vfio_device_get_irq_info(int device_fd, uint32_t index,
			     struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return vfio_ioctl(device_fd, VFIO_DEVICE_GET_IRQ_INFO, info);
}

int vfio_info_cap_walk(const void *info, uint32_t argsz, size_t fixed_size,
		       uint32_t first,
		       int (*fn)(const struct vfio_info_cap_header *cap,
				 void *arg),
		       void *arg)
{
	const struct vfio_info_cap_header *cap;
	uint64_t off = first, min = fixed_size;
	int count = 0;

	while (off) {
		/* Forward only: a chain that loops is malformed. */
		if (off < min || off + sizeof(*cap) > argsz)
			return -EINVAL;
		cap = (const void *)((const char *)info + off);
		count++;
		if (fn && fn(cap, arg))
			break;
		min = off + sizeof(*cap);
		off = cap->next;
	}
	return count;
}

struct cap_search {
	uint16_t id;
	const struct vfio_info_cap_header *found;
};

static int cap_is_wanted(const struct vfio_info_cap_header *cap, void *arg)
{
	struct cap_search *search = arg;

	if (cap->id != search->id)
		return 0;
	search->found = cap;
	return 1;
}

const struct vfio_info_cap_header *
vfio_region_info_cap_find(const struct vfio_region_info *info, uint16_t id)
{
	struct cap_search search = { .id = id };

	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return NULL;
	if (vfio_info_cap_walk(info, info->argsz, sizeof(*info),
			       info->cap_offset, cap_is_wanted, &search) < 0)
		return NULL;
	return search.found;
}

bool vfio_test_cdev(void)
{
	const char *env = getenv("VFIO_TEST_CDEV");

	return env && *env && strcmp(env, "0");
}

/* A closed vfio_dev for @bdf: every fd -1, no cdev. */
static int dev_init(struct vfio_dev *dev, const char *bdf)
{
	memset(dev, 0, sizeof(*dev));
	dev->container_fd = dev->group_fd = dev->fd = dev->iommufd = -1;
	if (strlen(bdf) >= sizeof(dev->bdf))
		return -ENAMETOOLONG;
	strcpy(dev->bdf, bdf);
	return 0;
}

/* Device info and the fixed part of every region's, on an open dev->fd. */
static int dev_read_info(struct vfio_dev *dev)
{
	uint32_t i;
	int ret;

	ret = vfio_device_get_info(dev->fd, &dev->info);
	if (ret < 0)
		return ret;
	for (i = 0; i < dev->info.num_regions && i < ARRAY_SIZE(dev->regions); i++)
		if (vfio_device_get_region_info(dev->fd, i, &dev->regions[i]) < 0)
			memset(&dev->regions[i], 0, sizeof(dev->regions[i]));
	return 0;
}

int vfio_dev_open(struct vfio_dev *dev, const char *bdf)
{
	if (vfio_test_cdev())
		return vfio_dev_open_cdev(dev, bdf);
	return vfio_dev_open_group(dev, bdf);
}

int vfio_dev_open_cdev(struct vfio_dev *dev, const char *bdf)
{
	uint32_t pt_id;
	int ret;

	ret = dev_init(dev, bdf);
	if (ret < 0)
		return ret;
	ret = pci_iommu_group(bdf);
	if (ret < 0)
		return ret;
	dev->group = ret;

	ret = vfio_cdev_open(bdf);
	if (ret < 0)
		return ret;
	dev->fd = ret;

	ret = iommufd_open();
	if (ret < 0)
		goto err_close_device;
	dev->iommufd = ret;

	ret = vfio_device_bind_iommufd(dev->fd, dev->iommufd, &dev->devid);
	if (ret < 0)
		goto err_close_iommufd;
	ret = iommufd_ioas_alloc(dev->iommufd, &dev->ioas_id);
	if (ret < 0)
		goto err_close_iommufd;
	/* The attached id may be a HWPT made for the IOAS: keep the IOAS's. */
	pt_id = dev->ioas_id;
	ret = vfio_device_attach_pt(dev->fd, &pt_id);
	if (ret < 0)
		goto err_close_iommufd;

	ret = dev_read_info(dev);
	if (ret < 0)
		goto err_close_iommufd;
	dev->cdev = true;
	return 0;

	/*
	 * The bound device holds the iommufd context, so the order of the two
	 * closes does not matter; closing the device fd detaches and unbinds.
	 */
err_close_iommufd:
	close(dev->iommufd);
	dev->iommufd = -1;
err_close_device:
	close(dev->fd);
	dev->fd = -1;
	return ret;
}

int vfio_dev_open_group(struct vfio_dev *dev, const char *bdf)
{
	uint32_t flags;
	int ret;

	ret = dev_init(dev, bdf);
	if (ret < 0)
		return ret;

	ret = pci_iommu_group(bdf);
	if (ret < 0)
		return ret;
	dev->group = ret;

	ret = vfio_container_open();
	if (ret < 0)
		return ret;
	dev->container_fd = ret;

	ret = vfio_group_open(dev->group);
	if (ret < 0)
		goto err_close_container;
	dev->group_fd = ret;

	ret = vfio_group_status(dev->group_fd, &flags);
	if (ret < 0)
		goto err_close_group;
	/* Some function of the group is bound to a driver other than VFIO's. */
	if (!(flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = -EPERM;
		goto err_close_group;
	}

	ret = vfio_group_set_container(dev->group_fd, dev->container_fd);
	if (ret < 0)
		goto err_close_group;
	ret = vfio_container_set_iommu(dev->container_fd, VFIO_TYPE1v2_IOMMU);
	if (ret < 0)
		goto err_close_group;

	ret = vfio_group_get_device_fd(dev->group_fd, bdf);
	if (ret < 0)
		goto err_close_group;
	dev->fd = ret;

	ret = dev_read_info(dev);
	if (ret < 0)
		goto err_close_device;
	return 0;

err_close_device:
	close(dev->fd);
	dev->fd = -1;
err_close_group:
	/* Closing the last group fd also detaches it from the container. */
	close(dev->group_fd);
	dev->group_fd = -1;
err_close_container:
	close(dev->container_fd);
	dev->container_fd = -1;
	return ret;
}

void vfio_dev_close(struct vfio_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->group_fd >= 0)
		close(dev->group_fd);
	if (dev->container_fd >= 0)
		close(dev->container_fd);
	/* After the device fd, whose close unbinds it from the iommufd. */
	if (dev->cdev && dev->iommufd >= 0)
		close(dev->iommufd);
	dev->fd = dev->group_fd = dev->container_fd = -1;
	dev->iommufd = -1;
	dev->cdev = false;
}

int vfio_region_pread(int device_fd, const struct vfio_region_info *region,
		      uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread(device_fd, buf, len, region->offset + off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_region_pwrite(int device_fd, const struct vfio_region_info *region,
		       uint64_t off, const void *buf, size_t len)
{
	ssize_t n = pwrite(device_fd, buf, len, region->offset + off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static const struct vfio_region_info *region(struct vfio_dev *dev,
					     uint32_t index)
{
	return index < ARRAY_SIZE(dev->regions) ? &dev->regions[index] : NULL;
}

int vfio_region_read(struct vfio_dev *dev, uint32_t index, uint64_t off,
		     void *buf, size_t len)
{
	const struct vfio_region_info *r = region(dev, index);

	return r ? vfio_region_pread(dev->fd, r, off, buf, len) : -EINVAL;
}

int vfio_region_write(struct vfio_dev *dev, uint32_t index, uint64_t off,
		      const void *buf, size_t len)
{
	const struct vfio_region_info *r = region(dev, index);

	return r ? vfio_region_pwrite(dev->fd, r, off, buf, len) : -EINVAL;
}

int vfio_region_mmap(struct vfio_dev *dev, uint32_t index, uint64_t off,
		     size_t len, int prot, void **out)
{
	const struct vfio_region_info *r = region(dev, index);
	void *p;

	if (!r)
		return -EINVAL;
	p = mmap(NULL, len, prot, MAP_SHARED, dev->fd, r->offset + off);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

int vfio_config_read8(struct vfio_dev *dev, uint32_t off, uint8_t *val)
{
	return vfio_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, val, 1);
}

int vfio_config_read16(struct vfio_dev *dev, uint32_t off, uint16_t *val)
{
	uint16_t le;
	int ret;

	ret = vfio_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &le, 2);
	if (!ret)
		*val = le16toh(le);
	return ret;
}

int vfio_config_read32(struct vfio_dev *dev, uint32_t off, uint32_t *val)
{
	uint32_t le;
	int ret;

	ret = vfio_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &le, 4);
	if (!ret)
		*val = le32toh(le);
	return ret;
}

int vfio_config_write8(struct vfio_dev *dev, uint32_t off, uint8_t val)
{
	return vfio_region_write(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &val, 1);
}

int vfio_config_write16(struct vfio_dev *dev, uint32_t off, uint16_t val)
{
	uint16_t le = htole16(val);

	return vfio_region_write(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &le, 2);
}

int vfio_config_write32(struct vfio_dev *dev, uint32_t off, uint32_t val)
{
	uint32_t le = htole32(val);

	return vfio_region_write(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &le, 4);
}

int vfio_bar_read32(struct vfio_dev *dev, int bar, uint64_t off, uint32_t *val)
{
	uint32_t le;
	int ret;

	if (bar < 0 || bar > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	ret = vfio_region_read(dev, VFIO_PCI_BAR0_REGION_INDEX + bar, off, &le, 4);
	if (!ret)
		*val = le32toh(le);
	return ret;
}

int vfio_bar_write32(struct vfio_dev *dev, int bar, uint64_t off, uint32_t val)
{
	uint32_t le = htole32(val);

	if (bar < 0 || bar > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	return vfio_region_write(dev, VFIO_PCI_BAR0_REGION_INDEX + bar, off, &le, 4);
}

const char *vfio_region_name(uint32_t index)
{
	static const char *const names[] = {
		[VFIO_PCI_BAR0_REGION_INDEX] = "BAR0",
		[VFIO_PCI_BAR1_REGION_INDEX] = "BAR1",
		[VFIO_PCI_BAR2_REGION_INDEX] = "BAR2",
		[VFIO_PCI_BAR3_REGION_INDEX] = "BAR3",
		[VFIO_PCI_BAR4_REGION_INDEX] = "BAR4",
		[VFIO_PCI_BAR5_REGION_INDEX] = "BAR5",
		[VFIO_PCI_ROM_REGION_INDEX] = "ROM",
		[VFIO_PCI_CONFIG_REGION_INDEX] = "CONFIG",
		[VFIO_PCI_VGA_REGION_INDEX] = "VGA",
	};
	static char buf[24];

	if (index < ARRAY_SIZE(names))
		return names[index];
	snprintf(buf, sizeof(buf), "region %u", index);
	return buf;
}

const char *vfio_irq_name(uint32_t index)
{
	static const char *const names[] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = "INTX",
		[VFIO_PCI_MSI_IRQ_INDEX] = "MSI",
		[VFIO_PCI_MSIX_IRQ_INDEX] = "MSIX",
		[VFIO_PCI_ERR_IRQ_INDEX] = "ERR",
		[VFIO_PCI_REQ_IRQ_INDEX] = "REQ",
	};
	static char buf[24];

	if (index < ARRAY_SIZE(names))
		return names[index];
	snprintf(buf, sizeof(buf), "irq %u", index);
	return buf;
}

/* ---- Running cases over the zoo ---------------------------------------- */

void vfio_run_cases(const struct vfio_test_case *cases, size_t count,
		    void (*after_device)(const struct pci_func *f))
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	int n, i;
	size_t c;
	/* A bad VFIO_TEST_DRIVER bails out even where there is nothing to test. */
	const char *driver = vfio_test_driver_name();

	n = vfio_zoo_functions_or_skip(funcs, ARRAY_SIZE(funcs));
	tap_plan(n * count);
	tap_diag("driver under test: %s", driver);
	for (i = 0; i < n; i++)
		tap_diag("device %s %04x:%04x class %06x (%s)", funcs[i].bdf,
			 funcs[i].vendor, funcs[i].device, funcs[i].class,
			 funcs[i].kind);
	for (i = 0; i < n; i++) {
		for (c = 0; c < count; c++) {
			tap_case_begin("%s %s", cases[c].name, funcs[i].bdf);
			cases[c].run(&funcs[i]);
			tap_case_end();
		}
		if (after_device)
			after_device(&funcs[i]);
	}
	tap_finish();
}

/* ---- Config-space writes: what sticks and what reaches the hardware ----- */

int pci_config_sysfs_read8(const char *bdf, uint32_t off, uint8_t *val)
{
	return pci_config_sysfs_read(bdf, off, val, 1);
}

int pci_config_sysfs_read16(const char *bdf, uint32_t off, uint16_t *val)
{
	uint16_t le;
	int ret;

	ret = pci_config_sysfs_read(bdf, off, &le, 2);
	if (!ret)
		*val = le16toh(le);
	return ret;
}

int pci_config_sysfs_read32(const char *bdf, uint32_t off, uint32_t *val)
{
	uint32_t le;
	int ret;

	ret = pci_config_sysfs_read(bdf, off, &le, 4);
	if (!ret)
		*val = le32toh(le);
	return ret;
}

int vfio_config_access(struct vfio_dev *dev, bool write, uint32_t off,
		       void *buf, size_t len)
{
	const struct vfio_region_info *r =
		&dev->regions[VFIO_PCI_CONFIG_REGION_INDEX];
	ssize_t n;

	if (write)
		n = pwrite(dev->fd, buf, len, r->offset + off);
	else
		n = pread(dev->fd, buf, len, r->offset + off);
	return n < 0 ? -errno : (int)n;
}

int vfio_config_update16(struct vfio_dev *dev, uint32_t off, uint16_t clear,
			 uint16_t set)
{
	uint16_t val;
	int ret;

	ret = vfio_config_read16(dev, off, &val);
	if (ret)
		return ret;
	return vfio_config_write16(dev, off, (val & ~clear) | set);
}

int pci_first_bar_with(const char *bdf, uint64_t flags)
{
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	int n, bar;

	n = pci_resources(bdf, res);
	if (n < 0)
		return n;
	for (bar = 0; bar < 6 && bar < n; bar++)
		if ((res[bar].flags & flags) == flags && pci_resource_size(&res[bar]))
			return bar;
	return -ENOENT;
}

int pci_ext_capabilities(const char *bdf, uint16_t *offsets, int max)
{
	unsigned int pos = 0x100, hops;
	long long size = pci_config_sysfs_size(bdf);
	uint32_t hdr;
	int ret, count = 0;

	if (size < 0)
		return size;
	if (size <= 0x100)
		return 0;
	/* Each header takes 4 of 3840 bytes: more hops than that is a loop. */
	for (hops = 0; pos >= 0x100 && hops < 960; hops++) {
		ret = pci_config_sysfs_read32(bdf, pos, &hdr);
		if (ret)
			return ret;
		if (!hdr || hdr == 0xffffffff)
			break;
		if (count < max)
			offsets[count] = pos;
		count++;
		pos = (hdr >> 20) & ~3u;
	}
	return count;
}

static struct vfio_dev shared_dev = {
	.fd = -1, .group_fd = -1, .container_fd = -1, .iommufd = -1,
};

int vfio_shared_dev_open(const char *bdf, struct vfio_dev **out)
{
	int ret;

	if (shared_dev.fd >= 0 && strcmp(shared_dev.bdf, bdf))
		vfio_shared_dev_close();
	if (shared_dev.fd < 0) {
		ret = vfio_dev_open(&shared_dev, bdf);
		if (ret)
			return ret;
	}
	*out = &shared_dev;
	return 0;
}

void vfio_shared_dev_close(void)
{
	vfio_dev_close(&shared_dev);
}

void vfio_shared_dev_release(const struct pci_func *f)
{
	(void)f;
	vfio_shared_dev_close();
}

/* ---- Kernel modules ----------------------------------------------------- */

int vfio_test_path(const char *rel, char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	if ((size_t)snprintf(buf, len, "%s/%s", dirname(exe), rel) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int module_load(const char *path, const char *params)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

int module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) < 0 ? -errno : 0;
}

bool module_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}
