/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO device cdev (/dev/vfio/devices/vfioN) and iommufd (/dev/iommu):
 * finding a function's cdev, binding it to an iommufd, I/O address spaces
 * (IOAS), attaching and detaching, and mapping user memory at an IOVA.
 *
 * The tests are built against the system's <linux/vfio.h>, which on Debian
 * bookworm is Linux 6.1's: it has no iommufd.h and none of the cdev ioctls.
 * The few definitions the tests need are written out below from the Linux
 * 6.12 uAPI (include/uapi/linux/vfio.h and include/uapi/linux/iommufd.h,
 * which Debian ships in linux-headers-6.12.*-common), each guarded so a
 * system header that has them wins.  The ioctl numbers and layouts are ABI:
 * they are the same in every kernel that has them.
 *
 * Like vfio_util.h, everything that can fail returns a negative errno.
 */
#ifndef VFIO_SELFTEST_CDEV_UTIL_H
#define VFIO_SELFTEST_CDEV_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/vfio.h>

/* ---- uAPI: <linux/vfio.h> of Linux 6.6 and later ------------------------ */

#ifndef VFIO_DEVICE_BIND_IOMMUFD
/* VFIO_DEVICE_BIND_IOMMUFD - _IOR(VFIO_TYPE, VFIO_BASE + 18, ...) */
struct vfio_device_bind_iommufd {
	__u32	argsz;
	__u32	flags;		/* must be 0 */
	__s32	iommufd;
	__u32	out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
/* VFIO_DEVICE_ATTACH_IOMMUFD_PT - _IOW(VFIO_TYPE, VFIO_BASE + 19, ...) */
struct vfio_device_attach_iommufd_pt {
	__u32	argsz;
	__u32	flags;		/* must be 0 */
	__u32	pt_id;		/* in: IOAS or HWPT id; out: what was attached */
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)
#endif

#ifndef VFIO_DEVICE_DETACH_IOMMUFD_PT
/* VFIO_DEVICE_DETACH_IOMMUFD_PT - _IOW(VFIO_TYPE, VFIO_BASE + 20, ...) */
struct vfio_device_detach_iommufd_pt {
	__u32	argsz;
	__u32	flags;		/* must be 0 */
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 20)
#endif

/*
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on a cdev: the dependent devices carry
 * a devid (in the same 32 bits as group_id; read it with
 * vfio_dependent_devid()) and the info's flags say so.
 */
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID		(1 << 0)
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED	(1 << 1)
#endif
#ifndef VFIO_PCI_DEVID_OWNED
#define VFIO_PCI_DEVID_OWNED		0
#define VFIO_PCI_DEVID_NOT_OWNED	-1
#endif

/* ---- uAPI: <linux/iommufd.h> of Linux 6.2 and later --------------------- */

#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#else
#define IOMMUFD_TYPE	(';')

enum {
	IOMMUFD_CMD_DESTROY = 0x80,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
};

struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;	/* must be 0 */
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;	/* in with FIXED_IOVA, else out */
};
#define IOMMU_IOAS_MAP		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;	/* in: to unmap; out: unmapped */
};
#define IOMMU_IOAS_UNMAP	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)
#endif

/* ---- Finding the cdev --------------------------------------------------- */

#define VFIO_CDEV_DIR	"/dev/vfio/devices"
#define IOMMUFD_NODE	"/dev/iommu"

/*
 * Whether this kernel can open devices through their cdev: /dev/iommu and
 * the vfio-dev directory of the VFIO-bound function @bdf (any VFIO-bound
 * zoo function when NULL) must both be there.  When not, @why (if given)
 * says what is missing, as a skip reason.
 */
bool vfio_cdev_supported(const char *bdf, char *why, size_t len);

/*
 * The N of /sys/bus/pci/devices/@bdf/vfio-dev/vfioN: the function's device
 * cdev.  -ENOENT when the function has none (not bound to a VFIO driver,
 * or a kernel without VFIO_DEVICE_CDEV), -EEXIST when there are several.
 */
int vfio_cdev_index(const char *bdf);
/* "/dev/vfio/devices/vfioN" for @bdf; 0 or -errno. */
int vfio_cdev_path(const char *bdf, char *buf, size_t len);
/* sysfs vfio-dev/vfioN/dev of @bdf as major and minor; 0 or -errno. */
int vfio_cdev_sysfs_devt(const char *bdf, unsigned int *major,
			 unsigned int *minor);
/* open() of the function's cdev, O_RDWR; the fd or -errno. */
int vfio_cdev_open(const char *bdf);

/* ---- iommufd and the device ioctls of the cdev ------------------------- */

int iommufd_open(void);
int iommufd_ioas_alloc(int iommufd, uint32_t *ioas_id);
int iommufd_destroy(int iommufd, uint32_t id);
/*
 * IOMMU_IOAS_MAP of @len bytes at @va to exactly @iova (FIXED_IOVA) with
 * @flags (IOMMU_IOAS_MAP_READABLE / _WRITEABLE).
 */
int iommufd_ioas_map_fixed(int iommufd, uint32_t ioas_id, void *va,
			   uint64_t len, uint64_t iova, uint32_t flags);
/* IOMMU_IOAS_UNMAP; *unmapped (if given) gets the length the kernel gave. */
int iommufd_ioas_unmap(int iommufd, uint32_t ioas_id, uint64_t iova,
		       uint64_t len, uint64_t *unmapped);

/* VFIO_DEVICE_BIND_IOMMUFD; *devid gets the device's id in that iommufd. */
int vfio_device_bind_iommufd(int device_fd, int iommufd, uint32_t *devid);
/* VFIO_DEVICE_ATTACH_IOMMUFD_PT to *pt_id, which gets the attached id. */
int vfio_device_attach_pt(int device_fd, uint32_t *pt_id);
int vfio_device_detach_pt(int device_fd);

/* The devid of a dependent device of a cdev's hot reset info. */
static inline uint32_t
vfio_dependent_devid(const struct vfio_pci_dependent_device *d)
{
	return d->group_id;	/* a union of group_id and devid in 6.6+ */
}

#endif /* VFIO_SELFTEST_CDEV_UTIL_H */
