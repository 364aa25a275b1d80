/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's edu (1234:11e8), the teaching device the zoo has twice: its
 * registers in BAR0, its interrupt raise/acknowledge, the factorial engine
 * and the DMA engine, and a DMA mapping for it (type1 container or IOAS).
 *
 * Like vfio_util.h, everything that can fail returns a negative errno.
 */
#ifndef VFIO_SELFTEST_EDU_UTIL_H
#define VFIO_SELFTEST_EDU_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio_util.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_ID_VALUE		0x010000ed

/* BAR0 registers (QEMU hw/misc/edu.c as documented in its spec). */
#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04	/* reads back ~(last write) */
#define EDU_REG_FACTORIAL	0x08	/* write n, read n! when not busy */
#define EDU_REG_STATUS		0x20
#define EDU_STATUS_BUSY		0x01	/* factorial computing */
#define EDU_STATUS_IRQFACT	0x80	/* interrupt when the factorial is done */
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
/* The DMA registers are 64 bits wide; the device takes 4 or 8 byte access. */
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2	/* direction: 0 RAM->device, 1 device->RAM */
#define EDU_DMA_IRQ		0x4	/* interrupt when done */

/* The device's own DMA buffer, at this address on its side of the engine. */
#define EDU_DMA_BUF_ADDR	0x40000
#define EDU_DMA_BUF_SIZE	4096
/*
 * QEMU 7.2's edu (the zoo's) checks a DMA's end as if it were one more byte
 * of the buffer, so a DMA that reaches the buffer's last byte (0x40fff) is
 * "out of bounds" and its hw_error() aborts QEMU, the whole test VM.  Only
 * the first 4095 bytes are reachable; edu_dma() refuses the rest (-ERANGE).
 */
#define EDU_DMA_REACHABLE	(EDU_DMA_BUF_SIZE - 1)
/* Its DMA mask is 28 bits: every IOVA it touches must be below this. */
#define EDU_DMA_LIMIT		(1ULL << 28)

int edu_read32(struct vfio_dev *dev, uint32_t off, uint32_t *val);
int edu_write32(struct vfio_dev *dev, uint32_t off, uint32_t val);
int edu_read64(struct vfio_dev *dev, uint32_t off, uint64_t *val);
int edu_write64(struct vfio_dev *dev, uint32_t off, uint64_t val);

int edu_raise(struct vfio_dev *dev, uint32_t bits);
int edu_ack(struct vfio_dev *dev, uint32_t bits);
int edu_irq_status(struct vfio_dev *dev, uint32_t *bits);

/* Writes @n to the factorial register, waits for it (-ETIMEDOUT), reads n!. */
int edu_factorial(struct vfio_dev *dev, uint32_t n, uint32_t *result);

/*
 * One DMA of @len bytes between IOVA @iova and the device buffer at
 * @buf_off, @to_ram choosing the direction, waiting until the engine is
 * idle again (-ETIMEDOUT).  Bus master must be on.  -ERANGE for a range
 * beyond EDU_DMA_REACHABLE, which would kill the VM.
 */
/*
 * Fills @len bytes with a pattern of @seed: no byte repeats its neighbour's
 * value and no two seeds give the same bytes, so a DMA that moved the wrong
 * bytes, or none, shows.
 */
void edu_fill_pattern(void *buf, size_t len, int seed);

int edu_dma(struct vfio_dev *dev, uint64_t iova, uint32_t buf_off,
	    uint32_t len, bool to_ram);

/*
 * Anonymous memory mapped for the device at @iova: into its container
 * (VFIO_IOMMU_MAP_DMA), or into its IOAS (IOMMU_IOAS_MAP at a fixed IOVA)
 * when it was opened through the cdev.
 */
struct vfio_dma_buf {
	void *vaddr;
	uint64_t iova;
	size_t size;
	bool mapped;
};

/*
 * mmap()s @size bytes and VFIO_IOMMU_MAP_DMA's them at @iova with @flags
 * (VFIO_DMA_MAP_FLAG_READ | _WRITE).  The memory is there (and must be
 * freed with vfio_dma_buf_free()) even when the map fails.
 */
int vfio_dma_buf_map(struct vfio_dev *dev, struct vfio_dma_buf *buf,
		     uint64_t iova, size_t size, uint32_t flags);
/* Unmaps (when mapped) and munmap()s; safe on a zeroed or freed buffer. */
void vfio_dma_buf_free(struct vfio_dev *dev, struct vfio_dma_buf *buf);
int vfio_dma_unmap(int container_fd, uint64_t iova, uint64_t size);
/* Either path's unmap of [@iova, @iova + @size) for @dev. */
int vfio_dev_dma_unmap(struct vfio_dev *dev, uint64_t iova, uint64_t size);

#endif /* VFIO_SELFTEST_EDU_UTIL_H */
