// SPDX-License-Identifier: GPL-2.0-only
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cdev_util.h"
#include "edu_util.h"

/* The factorial thread and the DMA timer (100 ms) under TCG-in-TCG. */
#define EDU_WAIT_MS		3000

int edu_read32(struct vfio_dev *dev, uint32_t off, uint32_t *val)
{
	return vfio_bar_read32(dev, 0, off, val);
}

int edu_write32(struct vfio_dev *dev, uint32_t off, uint32_t val)
{
	return vfio_bar_write32(dev, 0, off, val);
}

int edu_read64(struct vfio_dev *dev, uint32_t off, uint64_t *val)
{
	uint64_t le;
	int ret;

	ret = vfio_region_read(dev, VFIO_PCI_BAR0_REGION_INDEX, off, &le, 8);
	if (!ret)
		*val = le64toh(le);
	return ret;
}

int edu_write64(struct vfio_dev *dev, uint32_t off, uint64_t val)
{
	uint64_t le = htole64(val);

	return vfio_region_write(dev, VFIO_PCI_BAR0_REGION_INDEX, off, &le, 8);
}

int edu_raise(struct vfio_dev *dev, uint32_t bits)
{
	return edu_write32(dev, EDU_REG_IRQ_RAISE, bits);
}

int edu_ack(struct vfio_dev *dev, uint32_t bits)
{
	return edu_write32(dev, EDU_REG_IRQ_ACK, bits);
}

int edu_irq_status(struct vfio_dev *dev, uint32_t *bits)
{
	return edu_read32(dev, EDU_REG_IRQ_STATUS, bits);
}

/* Polls @off until none of @busy is set, for at most EDU_WAIT_MS. */
static int edu_wait_idle(struct vfio_dev *dev, uint32_t off, uint32_t busy)
{
	const struct timespec tick = { 0, 2 * 1000 * 1000 };
	uint32_t val;
	int i, ret;

	for (i = 0; i < EDU_WAIT_MS / 2; i++) {
		ret = edu_read32(dev, off, &val);
		if (ret)
			return ret;
		if (!(val & busy))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

int edu_factorial(struct vfio_dev *dev, uint32_t n, uint32_t *result)
{
	int ret;

	ret = edu_write32(dev, EDU_REG_FACTORIAL, n);
	if (!ret)
		ret = edu_wait_idle(dev, EDU_REG_STATUS, EDU_STATUS_BUSY);
	if (!ret)
		ret = edu_read32(dev, EDU_REG_FACTORIAL, result);
	return ret;
}

int edu_dma(struct vfio_dev *dev, uint64_t iova, uint32_t buf_off,
	    uint32_t len, bool to_ram)
{
	uint64_t dev_addr = EDU_DMA_BUF_ADDR + buf_off;
	int ret;

	if (!len || buf_off >= EDU_DMA_REACHABLE || len > EDU_DMA_REACHABLE - buf_off)
		return -ERANGE;
	ret = edu_write64(dev, EDU_REG_DMA_SRC, to_ram ? dev_addr : iova);
	if (!ret)
		ret = edu_write64(dev, EDU_REG_DMA_DST, to_ram ? iova : dev_addr);
	if (!ret)
		ret = edu_write64(dev, EDU_REG_DMA_CNT, len);
	if (!ret)
		ret = edu_write64(dev, EDU_REG_DMA_CMD,
				  EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	if (!ret)
		ret = edu_wait_idle(dev, EDU_REG_DMA_CMD, EDU_DMA_START);
	return ret;
}

/* VFIO_DMA_MAP_FLAG_READ / _WRITE as the IOMMU_IOAS_MAP_* that mean the same. */
static uint32_t ioas_map_flags(uint32_t vfio_flags)
{
	uint32_t flags = 0;

	if (vfio_flags & VFIO_DMA_MAP_FLAG_READ)
		flags |= IOMMU_IOAS_MAP_READABLE;
	if (vfio_flags & VFIO_DMA_MAP_FLAG_WRITE)
		flags |= IOMMU_IOAS_MAP_WRITEABLE;
	return flags;
}

int vfio_dma_buf_map(struct vfio_dev *dev, struct vfio_dma_buf *buf,
		     uint64_t iova, size_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int ret;

	memset(buf, 0, sizeof(*buf));
	buf->vaddr = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf->vaddr == MAP_FAILED) {
		buf->vaddr = NULL;
		return -errno;
	}
	buf->iova = iova;
	buf->size = size;
	if (dev->cdev) {
		ret = iommufd_ioas_map_fixed(dev->iommufd, dev->ioas_id,
					     buf->vaddr, size, iova,
					     ioas_map_flags(flags));
	} else {
		map.vaddr = (uintptr_t)buf->vaddr;
		ret = vfio_ioctl(dev->container_fd, VFIO_IOMMU_MAP_DMA, &map);
	}
	if (ret < 0)
		return ret;
	buf->mapped = true;
	return 0;
}

int vfio_dma_unmap(int container_fd, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};
	int ret = vfio_ioctl(container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

	return ret < 0 ? ret : 0;
}

int vfio_dev_dma_unmap(struct vfio_dev *dev, uint64_t iova, uint64_t size)
{
	if (dev->cdev)
		return iommufd_ioas_unmap(dev->iommufd, dev->ioas_id, iova, size,
					  NULL);
	return vfio_dma_unmap(dev->container_fd, iova, size);
}

void vfio_dma_buf_free(struct vfio_dev *dev, struct vfio_dma_buf *buf)
{
	if (buf->mapped && (dev->cdev || dev->container_fd >= 0))
		vfio_dev_dma_unmap(dev, buf->iova, buf->size);
	buf->mapped = false;
	if (buf->vaddr)
		munmap(buf->vaddr, buf->size);
	buf->vaddr = NULL;
}

void edu_fill_pattern(void *buf, size_t len, int seed)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed * 17 + (i >> 8) + 1);
}
