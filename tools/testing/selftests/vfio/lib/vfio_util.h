/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the VFIO PCI selftests: PCI functions through sysfs, the
 * container/group/device uAPI of <linux/vfio.h>, and which driver is under
 * test.
 *
 * Every helper that can fail returns a negative errno (never -1 with errno
 * set), so a test can check the exact error the kernel gave.
 */
#ifndef VFIO_SELFTEST_VFIO_UTIL_H
#define VFIO_SELFTEST_VFIO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* "0000:00:02.0" plus room for a longer domain. */
#define PCI_BDF_LEN		16
/* Lines in sysfs "resource": 6 BARs, the ROM, then bridge/IOV windows. */
#define PCI_SYSFS_RESOURCES	17
#define PCI_ROM_LINE		6

/* Flags of a sysfs "resource" line (include/linux/ioport.h values). */
#define PCI_RES_IO		0x00000100
#define PCI_RES_MEM		0x00000200
#define PCI_RES_PREFETCH	0x00002000
#define PCI_RES_MEM_64		0x00100000

/* ---- The driver under test --------------------------------------------- */

enum vfio_test_driver {
	VFIO_TEST_DRIVER_OURS,
	VFIO_TEST_DRIVER_REFERENCE,
};

/* From VFIO_TEST_DRIVER=ours|reference; ours when unset. */
enum vfio_test_driver vfio_test_driver(void);
const char *vfio_test_driver_name(void);
/* On the reference, skip the whole program: "1..0 # SKIP ours only: <why>". */
void vfio_test_require_ours(const char *why);
/*
 * Inside an open case: on the reference, skip it with "ours only: <why>" and
 * return true, so the caller moves on to the next case.
 */
bool vfio_test_case_ours_only(const char *why);

/* ---- PCI functions through sysfs ---------------------------------------- */

struct pci_func {
	char bdf[PCI_BDF_LEN];
	uint16_t vendor;
	uint16_t device;
	uint32_t class;		/* base << 16 | sub << 8 | prog-if */
	const char *kind;	/* "edu", "e1000e", ... or "other" */
};

/*
 * Functions matching vendor:device (0xffff matches any), in BDF order,
 * restricted to $VFIO_TEST_DEVICE when it is set.  Returns the count found
 * (at most max are stored) or -errno.
 */
int pci_find_functions(uint16_t vendor, uint16_t device,
		       struct pci_func *out, int max);
/* The functions of the test VM's device zoo, restricted the same way. */
int vfio_zoo_functions(struct pci_func *out, int max);
/* As vfio_zoo_functions(), but skips the whole program when there are none. */
int vfio_zoo_functions_or_skip(struct pci_func *out, int max);
#define VFIO_ZOO_MAX	32

/* Reads attribute @attr of the function; trailing newline removed. */
int pci_sysfs_read(const char *bdf, const char *attr, char *buf, size_t len);
int pci_sysfs_write(const char *bdf, const char *attr, const char *val);
/* Bound driver's name, "" when unbound.  Returns its length or -errno. */
int pci_driver_name(const char *bdf, char *buf, size_t len);
/* IOMMU group number or -errno. */
int pci_iommu_group(const char *bdf);
/* Number of functions in an IOMMU group, or -errno. */
int vfio_group_size(int group);

/* sysfs "config": what the PCI core reads, independent of any VFIO driver. */
int pci_config_sysfs_read(const char *bdf, uint32_t off, void *buf, size_t len);
long long pci_config_sysfs_size(const char *bdf);
/* Offset of standard capability @id, 0 when absent, or -errno. */
int pci_find_capability(const char *bdf, uint8_t id);

struct pci_resource {
	uint64_t start;
	uint64_t end;
	uint64_t flags;
};

/* Parses sysfs "resource"; returns the number of lines or -errno. */
int pci_resources(const char *bdf, struct pci_resource res[PCI_SYSFS_RESOURCES]);
uint64_t pci_resource_size(const struct pci_resource *res);
/* Size of the sysfs "rom" file, 0 when there is none. */
long long pci_rom_size(const char *bdf);

/* "" when the attribute is empty or missing (reset_method on no method). */
int pci_reset_method(const char *bdf, char *buf, size_t len);
int pci_power_state(const char *bdf, char *buf, size_t len);

/* NULL or "" clears the override. */
int pci_set_driver_override(const char *bdf, const char *driver);
/* Unbinds the current driver; succeeds when there is none. */
int pci_unbind(const char *bdf);
/* Writes the BDF to /sys/bus/pci/drivers_probe. */
int pci_probe(const char *bdf);
/*
 * driver_override = @driver, unbind, drivers_probe, up to three times (a
 * function just hot-plugged may be claimed by its native driver meanwhile);
 * -ENODEV if the function did not end up bound to @driver.
 */
int pci_bind(const char *bdf, const char *driver);

bool vfio_group_node_exists(int group);
/* Waits until /dev/vfio/@group exists (or is gone); 0 or -ETIMEDOUT. */
int vfio_wait_group_node(int group, bool present, int timeout_ms);

/* ---- Kernel modules ----------------------------------------------------- */

/*
 * @rel (a module built next to the tests, say) as a path from the directory
 * of the running test program; 0 or -errno.
 */
int vfio_test_path(const char *rel, char *buf, size_t len);
/* finit_module() of the .ko at @path with @params ("" for none); 0 or -errno. */
int module_load(const char *path, const char *params);
/* delete_module() without waiting for users to go; 0 or -errno. */
int module_unload(const char *name);
/* Whether /sys/module/@name exists (loaded, or built in with parameters). */
bool module_loaded(const char *name);

/* ---- The VFIO uAPI ------------------------------------------------------ */

/*
 * Opens /dev/vfio/vfio and checks VFIO_GET_API_VERSION and the
 * VFIO_TYPE1v2_IOMMU extension (-ENOTSUP / -EPROTO when missing).
 */
int vfio_container_open(void);
int vfio_container_set_iommu(int container_fd, int type);
int vfio_group_open(int group);
int vfio_group_status(int group_fd, uint32_t *flags);
int vfio_group_set_container(int group_fd, int container_fd);
int vfio_group_get_device_fd(int group_fd, const char *name);

/* ioctl() returning its result or -errno. */
int vfio_ioctl(int fd, unsigned long request, void *arg);

int vfio_device_get_info(int device_fd, struct vfio_device_info *info);
/* The fixed part only (argsz = sizeof(*info)). */
int vfio_device_get_region_info(int device_fd, uint32_t index,
				struct vfio_region_info *info);
/*
 * With capabilities: queries, then re-queries with the argsz the kernel
 * asked for.  *out is malloc()ed; free() it.
 */
int vfio_device_get_region_info_caps(int device_fd, uint32_t index,
				     struct vfio_region_info **out);
int vfio_device_get_irq_info(int device_fd, uint32_t index,
			     struct vfio_irq_info *info);

/*
 * Walks the capability chain of a VFIO info struct of @argsz bytes whose
 * first capability is at @first (0: none), calling @fn on each until it
 * returns non-zero.  Returns the number of capabilities visited, or -EINVAL
 * for a malformed chain (out of bounds, not moving forward, or pointing
 * into the fixed part of @fixed_size bytes).
 */
int vfio_info_cap_walk(const void *info, uint32_t argsz, size_t fixed_size,
		       uint32_t first,
		       int (*fn)(const struct vfio_info_cap_header *cap,
				 void *arg),
		       void *arg);
const struct vfio_info_cap_header *
vfio_region_info_cap_find(const struct vfio_region_info *info, uint16_t id);

/* Everything a test needs to talk to one device. */
struct vfio_dev {
	char bdf[PCI_BDF_LEN];
	int group;
	int container_fd;
	int group_fd;
	int fd;
	struct vfio_device_info info;
	/* Fixed part per index; size 0, flags 0 where the query failed. */
	struct vfio_region_info regions[VFIO_PCI_NUM_REGIONS];
	/*
	 * Opened through the device cdev (container_fd and group_fd are -1):
	 * the iommufd it is bound to, its devid there and the IOAS it is
	 * attached to.  The rest is only valid when cdev is true, so a
	 * vfio_dev set up by hand with the three fds at -1 stays a group one.
	 */
	bool cdev;
	int iommufd;
	uint32_t devid;
	uint32_t ioas_id;
};

/*
 * Container + group + VFIO_TYPE1v2_IOMMU + device fd, then device and
 * region info.  On failure everything is closed again.
 *
 * With VFIO_TEST_CDEV=1 in the environment it is vfio_dev_open_cdev()
 * instead, so the tests that only use the device fd (and DMA through
 * vfio_dma_buf_map()) run unchanged over the cdev path.
 */
int vfio_dev_open(struct vfio_dev *dev, const char *bdf);
/* Group + container, whatever VFIO_TEST_CDEV says. */
int vfio_dev_open_group(struct vfio_dev *dev, const char *bdf);
/*
 * /dev/vfio/devices/vfioN + /dev/iommu + VFIO_DEVICE_BIND_IOMMUFD + a new
 * IOAS + VFIO_DEVICE_ATTACH_IOMMUFD_PT, then device and region info.
 */
int vfio_dev_open_cdev(struct vfio_dev *dev, const char *bdf);
/* Whether VFIO_TEST_CDEV asks vfio_dev_open() for the cdev path. */
bool vfio_test_cdev(void);
void vfio_dev_close(struct vfio_dev *dev);

/* pread/pwrite at @off inside a region; a short transfer is -EIO. */
int vfio_region_pread(int device_fd, const struct vfio_region_info *region,
		      uint64_t off, void *buf, size_t len);
int vfio_region_pwrite(int device_fd, const struct vfio_region_info *region,
		       uint64_t off, const void *buf, size_t len);
int vfio_region_read(struct vfio_dev *dev, uint32_t index, uint64_t off,
		     void *buf, size_t len);
int vfio_region_write(struct vfio_dev *dev, uint32_t index, uint64_t off,
		      const void *buf, size_t len);
/* mmap of @len bytes at @off inside a region; *out set on success. */
int vfio_region_mmap(struct vfio_dev *dev, uint32_t index, uint64_t off,
		     size_t len, int prot, void **out);

/* Config space through the config region, little-endian values. */
int vfio_config_read8(struct vfio_dev *dev, uint32_t off, uint8_t *val);
int vfio_config_read16(struct vfio_dev *dev, uint32_t off, uint16_t *val);
int vfio_config_read32(struct vfio_dev *dev, uint32_t off, uint32_t *val);
int vfio_config_write8(struct vfio_dev *dev, uint32_t off, uint8_t val);
int vfio_config_write16(struct vfio_dev *dev, uint32_t off, uint16_t val);
int vfio_config_write32(struct vfio_dev *dev, uint32_t off, uint32_t val);

/* BAR access, little-endian values. */
int vfio_bar_read32(struct vfio_dev *dev, int bar, uint64_t off, uint32_t *val);
int vfio_bar_write32(struct vfio_dev *dev, int bar, uint64_t off, uint32_t val);

/* Names for messages: "BAR0".."BAR5", "ROM", "CONFIG", "VGA", "region 9". */
const char *vfio_region_name(uint32_t index);
const char *vfio_irq_name(uint32_t index);

/* ---- Running cases over the zoo ---------------------------------------- */

struct vfio_test_case {
	const char *name;	/* the behaviour it proves */
	void (*run)(const struct pci_func *f);
};

/*
 * Plans count x devices results, then for each device of the zoo (in BDF
 * order) runs every case as "<name> <BDF>": the case is open while run()
 * executes, so run() uses EXPECT_*() and may tap_case_skip().  Then
 * @after_device (if any) runs once per device, e.g. to restore a binding.
 * Exits with tap_finish().
 */
void vfio_run_cases(const struct vfio_test_case *cases, size_t count,
		    void (*after_device)(const struct pci_func *f))
	__attribute__((noreturn));

/* ---- Config-space writes: what sticks and what reaches the hardware ----- */

/* sysfs config at @off, little-endian: what the PCI core reads from the device. */
int pci_config_sysfs_read8(const char *bdf, uint32_t off, uint8_t *val);
int pci_config_sysfs_read16(const char *bdf, uint32_t off, uint16_t *val);
int pci_config_sysfs_read32(const char *bdf, uint32_t off, uint32_t *val);

/*
 * One pread (@write false) or pwrite of @len bytes at @off in the config
 * region.  Returns the byte count the kernel gave (a short transfer stays
 * short) or -errno, so a test sees exactly what the driver answered.
 */
int vfio_config_access(struct vfio_dev *dev, bool write, uint32_t off,
		       void *buf, size_t len);

/* Read-modify-write of a 16-bit config register: clears @clear, sets @set. */
int vfio_config_update16(struct vfio_dev *dev, uint32_t off, uint16_t clear,
			 uint16_t set);

/*
 * Lowest BAR (0-5) whose sysfs resource has all of @flags (PCI_RES_MEM,
 * PCI_RES_IO, ...) and a non-zero size, or -ENOENT.
 */
int pci_first_bar_with(const char *bdf, uint64_t flags);

/*
 * Walks the extended capability list from 0x100 in sysfs config, storing
 * up to @max offsets.  Returns how many capabilities there are (0 for a
 * conventional function or an empty list) or -errno.
 */
int pci_ext_capabilities(const char *bdf, uint16_t *offsets, int max);

/*
 * One open device shared by the cases a program runs on a function, for
 * programs where opening and closing per case (each resets the function,
 * slow under TCG) would dominate.  vfio_shared_dev_open() opens @bdf on first
 * use, closing another function's device, and returns the open one in *out;
 * vfio_shared_dev_close() really closes it.  Pass vfio_shared_dev_release as
 * the after_device of vfio_run_cases() so no device stays open.
 */
int vfio_shared_dev_open(const char *bdf, struct vfio_dev **out);
void vfio_shared_dev_close(void);
void vfio_shared_dev_release(const struct pci_func *f);

#endif /* VFIO_SELFTEST_VFIO_UTIL_H */
