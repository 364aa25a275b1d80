/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the reset, power, SR-IOV and error/request tests: hot reset
 * info and hot reset, device features, eventfd triggers, and waiting on
 * sysfs.  Like vfio_util.h, everything returns 0/positive or -errno.
 */
#ifndef VFIO_SELFTEST_RESET_UTIL_H
#define VFIO_SELFTEST_RESET_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vfio.h>

#include "vfio_util.h"

/* Config-space registers the tests look at (PCI spec values). */
#define PCI_COMMAND		0x04
#define PCI_COMMAND_IO		0x0001
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x4
#define PCI_COMMAND_SERR	0x100
#define PCI_BASE_ADDRESS_0	0x10
#define PCI_CAP_ID_PM		0x01
#define PCI_CAP_ID_EXP		0x10
#define PCI_PM_CTRL		4		/* PMCSR, from the PM cap */
#define PCI_PM_CTRL_STATE_MASK	0x3
#define PCI_EXP_DEVCTL		8		/* from the PCIe cap */
#define PCI_EXP_DEVCTL_CERE	0x1
#define PCI_EXP_DEVCTL_NFERE	0x2
#define PCI_EXP_DEVCTL_FERE	0x4
#define PCI_EXP_DEVCTL_URRE	0x8
#define PCI_EXT_CAP_ID_ERR	0x01		/* AER */
#define PCI_EXT_CAP_ID_SRIOV	0x10

void sleep_ms(int ms);

/*
 * The functions on the same bus as @bdf, whatever $VFIO_TEST_DEVICE says,
 * in BDF order.  Returns how many there are (at most @max stored) or -errno.
 */
int pci_bus_bdfs(const char *bdf, char (*out)[PCI_BDF_LEN], int max);
/* /sys/module/@module/parameters/@param, read (newline removed) or written. */
int module_param_read(const char *module, const char *param, char *buf,
		      size_t len);
int module_param_write(const char *module, const char *param, const char *val);

/* Whether the function exists in sysfs. */
bool pci_function_exists(const char *bdf);

/*
 * Polls sysfs attribute @attr of @bdf until it reads @want, for at most
 * @timeout_ms.  Returns 0 when it did, -ETIMEDOUT (with the last value in
 * @got) when not, or the read's -errno.
 */
int pci_wait_attr(const char *bdf, const char *attr, const char *want,
		  int timeout_ms, char *got, size_t len);

/* Offset of extended capability @id found through the config region; 0 if none. */
int vfio_find_ext_capability(struct vfio_dev *dev, uint16_t id);
/* Offset of standard capability @id found through the config region; 0 if none. */
int vfio_find_capability(struct vfio_dev *dev, uint8_t id);

/*
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, asking again with the room the kernel
 * said it needs.  *out is malloc()ed; free() it.
 */
int vfio_hot_reset_info(int device_fd, struct vfio_pci_hot_reset_info **out);
/* VFIO_DEVICE_PCI_HOT_RESET with @count group fds. */
int vfio_hot_reset(int device_fd, const int32_t *group_fds, uint32_t count);
/* "0000:03:00.1" for a dependent device. */
void vfio_dependent_bdf(const struct vfio_pci_dependent_device *d,
			char *buf, size_t len);

/*
 * VFIO_DEVICE_FEATURE: @flags is the feature number ORed with GET, SET or
 * PROBE; @data (may be NULL) of @len bytes follows the header.  After a
 * GET that succeeded, @data holds what the kernel left there; a SET leaves
 * @data alone (it may be read-only).
 */
int vfio_device_feature(int device_fd, uint32_t flags, void *data, size_t len);
/* The same, but any call that succeeded, SET included, copies the answer
 * back (MIG_DEVICE_STATE's SET returns its data_fd). */
int vfio_device_feature_rw(int device_fd, uint32_t flags, void *data,
			   size_t len);

/* VFIO_DEVICE_SET_IRQS: one eventfd as the trigger of @index, -1 to remove. */
int vfio_irq_set_eventfd(int device_fd, uint32_t index, int efd);
/* A non-blocking eventfd, or -errno. */
int eventfd_new(void);
/* Waits up to @timeout_ms for @efd to fire; its count, or -ETIMEDOUT. */
long long eventfd_wait(int efd, int timeout_ms);

#endif /* VFIO_SELFTEST_RESET_UTIL_H */
