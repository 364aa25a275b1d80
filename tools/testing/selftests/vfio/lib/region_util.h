/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the region tests (issue 4): BAR/ROM/VGA read-write, mmap,
 * memory decode, the sysfs ROM, VFIO_DEVICE_IOEVENTFD, and a runner for
 * cases that apply only to some functions of the zoo.
 *
 * Like vfio_util.h, every helper that can fail returns a negative errno.
 */
#ifndef VFIO_SELFTEST_REGION_UTIL_H
#define VFIO_SELFTEST_REGION_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vfio_util.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_IO		0x0001
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_CAP_ID_MSIX		0x11
#define PCI_MSIX_TABLE		0x04	/* BIR in bits 2:0, offset above */
#define PCI_MSIX_PBA		0x08

#define PCI_CLASS_VGA		0x0300	/* base << 8 | sub */

#define IVSHMEM_VENDOR		0x1af4
#define IVSHMEM_DEVICE		0x1110

/* edu (QEMU's teaching device), BAR0. */
#define EDU_ID			0x00
#define EDU_ID_VALUE		0x010000ed
#define EDU_LIVENESS		0x04	/* reads back ~(last value written) */
#define EDU_DMA_SRC		0x80	/* 8 bytes, plain storage until a DMA */
#define EDU_DMA_DST		0x88

/* ---- Region access that keeps short transfers ---------------------------- */

/* The file offset of byte @off of region @index. */
uint64_t region_file_offset(const struct vfio_dev *dev, uint32_t index,
			    uint64_t off);
/* pread/pwrite: the count transferred (maybe short) or -errno. */
ssize_t region_pread_raw(struct vfio_dev *dev, uint32_t index, uint64_t off,
			 void *buf, size_t len);
ssize_t region_pwrite_raw(struct vfio_dev *dev, uint32_t index, uint64_t off,
			  const void *buf, size_t len);
/* One little-endian access of @width (1, 2, 4 or 8) bytes; 0 or -errno. */
int region_read_le(struct vfio_dev *dev, uint32_t index, uint64_t off,
		   unsigned int width, uint64_t *val);
int region_write_le(struct vfio_dev *dev, uint32_t index, uint64_t off,
		    unsigned int width, uint64_t val);

/* ---- Decode and mappings ------------------------------------------------- */

/* Sets or clears the Memory Space bit through the config region. */
int vfio_set_memory_decode(struct vfio_dev *dev, bool on);
int vfio_command(struct vfio_dev *dev, uint16_t *cmd);

/*
 * One 32-bit access through a mapping, surviving SIGBUS: returns false
 * (and leaves *val alone) if the access raised SIGBUS.
 */
bool mmio_read32_guarded(const volatile void *addr, uint32_t *val);
bool mmio_write32_guarded(volatile void *addr, uint32_t val);

/* mmap() of the region with explicit flags; MAP_FAILED-free: 0 or -errno. */
int region_mmap_flags(struct vfio_dev *dev, uint32_t index, uint64_t off,
		      size_t len, int prot, int flags, void **out);

/* True for a memory BAR (per sysfs), false for I/O ports or absent. */
bool pci_bar_is_memory(const struct pci_resource *res);
bool pci_bar_is_io(const struct pci_resource *res);

/* BAR index of the MSI-X table (and PBA), or -errno (-ENOENT: no MSI-X). */
int pci_msix_table_bar(const char *bdf, uint32_t *table_off, int *pba_bar,
		       uint32_t *pba_off);

/* ---- sysfs rom ------------------------------------------------------------ */

/*
 * Reads the function's option ROM through sysfs "rom": enables it with
 * "1", reads up to @len bytes, disables it with "0".  Returns the count
 * read or -errno.
 */
ssize_t pci_sysfs_rom_read(const char *bdf, void *buf, size_t len);

/* ---- VFIO_DEVICE_IOEVENTFD ------------------------------------------------ */

/* argsz = sizeof(struct vfio_device_ioeventfd); 0 or -errno. */
int vfio_ioeventfd(int device_fd, uint32_t flags, uint64_t offset,
		   uint64_t data, int32_t fd);
int vfio_ioeventfd_argsz(int device_fd, uint32_t argsz, uint32_t flags,
			 uint64_t offset, uint64_t data, int32_t fd);
/* VFIO_DEVICE_IOEVENTFD_{8,16,32,64} for a width of 1, 2, 4 or 8 bytes. */
uint32_t vfio_ioeventfd_size_flag(unsigned int width);
/* Adds one to the eventfd's counter; 0 or -errno. */
int eventfd_signal_once(int efd);

/*
 * Polls a 4-byte register through read() until it equals @want or
 * @timeout_ms passes (a signalled ioeventfd is written by a kernel thread,
 * maybe a little later).  Returns 0 when seen, -ETIMEDOUT (with *last set)
 * or -errno.
 */
int region_wait_value32(struct vfio_dev *dev, uint32_t index, uint64_t off,
			uint32_t want, int timeout_ms, uint32_t *last);

/* ---- Cases that apply to some functions --------------------------------- */

struct region_case {
	const char *name;		/* the behaviour it proves */
	/* NULL: every function; else whether this one is a candidate. */
	bool (*applies)(const struct pci_func *f);
	void (*run)(const struct pci_func *f);
};

/*
 * Every function of the zoo file (tools/testing/vm/zoo) with the kind
 * written there; without the file, what vfio_zoo_functions() knows plus
 * ivshmem-plain.  A function named by $VFIO_TEST_DEVICE is tested even if
 * no list names it.  In BDF order; the count stored, or -errno.
 */
int region_zoo_functions(struct pci_func *out, int max);

bool func_is_kind(const struct pci_func *f, const char *kind);
bool func_is_vga(const struct pci_func *f);

/*
 * For every function of the zoo (tools/testing/vm/zoo, with the kinds
 * written there; restricted by $VFIO_TEST_DEVICE) and every case
 * that applies to it, runs the case as "<name> <BDF>".  Plans exactly
 * those; skips the whole program (with @why_none) when there are none.
 */
void region_run_cases(const struct region_case *cases, size_t count,
		      const char *why_none) __attribute__((noreturn));

#endif /* VFIO_SELFTEST_REGION_UTIL_H */
