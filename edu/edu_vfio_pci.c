// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu-vfio-pci: a variant driver for QEMU's "edu" teaching device (1234:11e8)
 * that adds live migration to what vfio-pci-core does for it.
 *
 * It is the worked example of Documentation/driver-api/vfio-pci-core.rst:
 * every vfio_device_ops entry is a core helper except the ioctl (edu has no
 * reset of its own, and a migrating device needs one, so the driver gives
 * it a soft reset), and migration is the core's helper filled with edu's
 * save, load and quiesce.
 *
 * edu's architectural state, all in BAR0: the liveness register (reads back
 * the complement of the last write), the factorial register and engine, the
 * status register's "interrupt when the factorial is done" bit, the
 * interrupt status bits, the DMA engine's source, destination, count and
 * command, and a 4 KiB buffer at device address 0x40000.  The buffer is not
 * readable through MMIO; only the DMA engine reaches it.  To save or load
 * it the driver borrows one page of the user's own DMA mapping, puts the
 * page's bytes aside, moves the buffer through it and puts the bytes back.
 * The CPU reaches that page through the user's VFIO container
 * (vfio_dma_rw()) or, when the device is bound to an iommufd, through an
 * iommufd access on the IOAS the user attached the device to.
 *
 * It binds only where driver_override names it.
 */
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "../vfio_pci_core.h"

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_FACTORIAL	0x08
#define EDU_REG_STATUS		0x20
#define  EDU_STATUS_COMPUTING	0x01
#define  EDU_STATUS_IRQFACT	0x80
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define  EDU_DMA_RUN		0x01
#define  EDU_DMA_TO_RAM		0x02
#define  EDU_DMA_IRQ		0x04

#define EDU_BUF_ADDR		0x40000
#define EDU_BUF_SIZE		SZ_4K
/*
 * QEMU's edu (7.2, at least) takes a transfer that reaches the buffer's
 * last byte for out of bounds and aborts the whole machine, so no transfer
 * reaches that byte: neither the user's nor the driver's.  What can be
 * observed of the buffer is the bytes before it.
 */
#define EDU_BUF_REACH		(EDU_BUF_SIZE - 1)
/* The DMA engine drives 28 address bits. */
#define EDU_DMA_LIMIT		SZ_256M
/* A factorial or a transfer takes well under this, even under TCG. */
#define EDU_IDLE_TIMEOUT_MS	2000

/**
 * struct edu_vfio_ident - the PRE_COPY record: what kind of edu this is
 * @id: the identification register
 * @bar0_size: BAR0's size
 */
struct edu_vfio_ident {
	__le32	id;
	__le32	bar0_size;
};

/**
 * struct edu_vfio_state - the final record: edu's whole state
 * @liveness: what the liveness register reads
 * @factorial: what the factorial register reads
 * @status: the status register's EDU_STATUS_IRQFACT bit
 * @irq_status: pending interrupt status bits
 * @dma_src: DMA source address
 * @dma_dst: DMA destination address
 * @dma_cnt: DMA byte count
 * @dma_cmd: DMA command, EDU_DMA_TO_RAM bit only (see edu_vfio_load_buffer())
 * @buffer: the DMA buffer (its last byte unreachable, see EDU_BUF_REACH)
 */
struct edu_vfio_state {
	__le32	liveness;
	__le32	factorial;
	__le32	status;
	__le32	irq_status;
	__le64	dma_src;
	__le64	dma_dst;
	__le64	dma_cnt;
	__le64	dma_cmd;
	u8	buffer[EDU_BUF_SIZE];
};

/**
 * struct edu_vfio_device - an edu owned by this driver
 * @core: the core's device; must stay first (vfio_alloc_device() checks)
 * @irq_status: interrupt status loaded in RESUMING, raised on the way out of
 *	STOP (a stopped device raises nothing)
 * @raise_pending: @irq_status waits to be raised
 *
 * @ioas_lock: protects @ioas_id and @ioas_valid; a leaf lock, taken in the
 *	iommufd attach/detach/unbind ops and when a transfer borrows a page
 * @ioas_id: the IOAS (or HW pagetable) the user attached the device to
 *	through iommufd
 * @ioas_valid: @ioas_id holds an attachment
 *
 * @irq_status and @raise_pending are used only from the migration ops and
 * the reset op, which the core serializes under its migration lock.
 */
struct edu_vfio_device {
	struct vfio_pci_core_device	core;
	u32				irq_status;
	bool				raise_pending;
	struct mutex			ioas_lock;
	u32				ioas_id;
	bool				ioas_valid;
};

static struct edu_vfio_device *to_edu(struct vfio_pci_core_device *vdev)
{
	return container_of(vdev, struct edu_vfio_device, core);
}

/* ---- BAR0 ------------------------------------------------------------- */

/*
 * Starts an access to BAR0: the core holds resets and decode changes off
 * until edu_bar_end().  Returns the mapping or an ERR_PTR.
 */
static void __iomem *edu_bar_begin(struct vfio_pci_core_device *vdev)
{
	void __iomem *bar;
	int ret;

	ret = vfio_pci_core_mem_begin(vdev);
	if (ret) {
		pci_warn(vdev->pdev, "edu: BAR0 is not accessible (memory decode off?)\n");
		return IOMEM_ERR_PTR(ret);
	}
	bar = vfio_pci_core_iomap(vdev, 0);
	if (IS_ERR(bar))
		vfio_pci_core_mem_end(vdev);
	return bar;
}

static void edu_bar_end(struct vfio_pci_core_device *vdev)
{
	vfio_pci_core_mem_end(vdev);
}

/* Waits until neither the factorial engine nor (@dma) the DMA engine runs. */
static int edu_wait_idle(struct vfio_pci_core_device *vdev, void __iomem *bar,
			 bool factorial, bool dma)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(EDU_IDLE_TIMEOUT_MS);

	for (;;) {
		bool busy = (factorial && (readl(bar + EDU_REG_STATUS) &
					   EDU_STATUS_COMPUTING)) ||
			    (dma && (readq(bar + EDU_REG_DMA_CMD) & EDU_DMA_RUN));

		if (!busy)
			return 0;
		if (time_after(jiffies, timeout)) {
			pci_warn(vdev->pdev, "edu: still busy after %d ms\n",
				 EDU_IDLE_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		usleep_range(1000, 2000);
	}
}

/* ---- the DMA buffer, through a borrowed page of the user's ------------- */

/**
 * struct edu_borrow - a page of the user's DMA mapping, lent for a transfer
 * @iova: its address, page aligned, below EDU_DMA_LIMIT
 * @saved: its bytes, put back by edu_borrow_end()
 * @command: the command register as it was, to put back bus mastering
 * @access: the iommufd access the CPU reads and writes the page through;
 *	NULL when the device is in a VFIO container
 */
struct edu_borrow {
	dma_addr_t		iova;
	u8			*saved;
	u16			command;
	struct iommufd_access	*access;
};

#if IS_ENABLED(CONFIG_IOMMUFD)
/*
 * The access only reads and writes, it pins nothing, so an unmap of the
 * user's has nothing to drop: a transfer to an unmapped page fails.
 */
static void edu_access_unmap(void *data, unsigned long iova,
			     unsigned long length)
{
}

static const struct iommufd_access_ops edu_access_ops = {
	.unmap	= edu_access_unmap,
};

/*
 * A device bound to an iommufd has no container for vfio_dma_rw(): the CPU
 * reaches the user's memory through an access of our own on the IOAS the
 * device is attached to.
 */
static int edu_access_begin(struct edu_vfio_device *edev, struct edu_borrow *b)
{
	struct pci_dev *pdev = edev->core.pdev;
	struct iommufd_ctx *ictx = vfio_iommufd_device_ictx(&edev->core.vdev);
	struct iommufd_access *access;
	bool attached;
	u32 pt_id, id;
	int ret;

	b->access = NULL;
	if (!ictx)
		return 0;

	mutex_lock(&edev->ioas_lock);
	attached = edev->ioas_valid;
	pt_id = edev->ioas_id;
	mutex_unlock(&edev->ioas_lock);
	if (!attached)
		return -ENOSPC;

	access = iommufd_access_create(ictx, &edu_access_ops, edev, &id);
	if (IS_ERR(access))
		return PTR_ERR(access);
	ret = iommufd_access_attach(access, pt_id);
	if (ret) {
		pci_warn(pdev, "edu: cannot reach the user's memory through iommufd object %u (%d): migration needs the device attached to an IOAS\n",
			 pt_id, ret);
		iommufd_access_destroy(access);
		return ret;
	}
	b->access = access;
	return 0;
}

static void edu_access_end(struct edu_borrow *b)
{
	if (!b->access)
		return;
	iommufd_access_detach(b->access);
	iommufd_access_destroy(b->access);
}
#else
static int edu_access_begin(struct edu_vfio_device *edev, struct edu_borrow *b)
{
	b->access = NULL;
	return 0;
}

static void edu_access_end(struct edu_borrow *b)
{
}
#endif

/* The CPU's way to the borrowed page: the container or the access. */
static int edu_user_rw(struct vfio_pci_core_device *vdev, struct edu_borrow *b,
		       dma_addr_t iova, void *data, size_t len, bool write)
{
	if (b->access)
		return iommufd_access_rw(b->access, iova, data, len,
					 write ? IOMMUFD_ACCESS_RW_WRITE :
						 IOMMUFD_ACCESS_RW_READ);
	return vfio_dma_rw(&vdev->vdev, iova, data, len, write);
}

/*
 * Finds a page the device may read and write: mapped in the device's IOMMU
 * domain below the engine's reach, and writable through the user's mapping.
 * Reaching the user's memory may fault, so neither this nor
 * edu_borrow_end() may be called within edu_bar_begin()/edu_bar_end().
 */
static int edu_borrow_begin(struct vfio_pci_core_device *vdev,
			    struct edu_borrow *b)
{
	struct pci_dev *pdev = vdev->pdev;
	struct iommu_domain *domain;
	dma_addr_t iova;
	int ret;

	domain = iommu_get_domain_for_dev(&pdev->dev);
	if (!domain)
		goto err_none;

	ret = edu_access_begin(to_edu(vdev), b);
	if (ret == -ENOSPC)
		goto err_none;
	if (ret)
		return ret;

	b->saved = kmalloc(EDU_BUF_SIZE, GFP_KERNEL);
	if (!b->saved) {
		edu_access_end(b);
		return -ENOMEM;
	}

	for (iova = 0; iova < EDU_DMA_LIMIT; iova += PAGE_SIZE) {
		if (!iommu_iova_to_phys(domain, iova))
			continue;
		if (edu_user_rw(vdev, b, iova, b->saved, EDU_BUF_SIZE, false))
			continue;
		/* Writing the same bytes back proves the page writable. */
		if (edu_user_rw(vdev, b, iova, b->saved, EDU_BUF_SIZE, true))
			continue;
		b->iova = iova;
		pci_read_config_word(pdev, PCI_COMMAND, &b->command);
		if (!(b->command & PCI_COMMAND_MASTER))
			pci_write_config_word(pdev, PCI_COMMAND,
					      b->command | PCI_COMMAND_MASTER);
		return 0;
	}
	kfree(b->saved);
	edu_access_end(b);
err_none:
	pci_warn(pdev, "edu: the DMA buffer needs a writable DMA mapping below 256 MiB to travel through\n");
	return -ENOSPC;
}

static int edu_borrow_end(struct vfio_pci_core_device *vdev,
			  struct edu_borrow *b)
{
	int ret;

	if (!(b->command & PCI_COMMAND_MASTER))
		pci_write_config_word(vdev->pdev, PCI_COMMAND, b->command);
	ret = edu_user_rw(vdev, b, b->iova, b->saved, EDU_BUF_SIZE, true);
	kfree(b->saved);
	edu_access_end(b);
	if (ret)
		pci_warn(vdev->pdev, "edu: could not give the borrowed page at %pad back: %d\n",
			 &b->iova, ret);
	return ret;
}

/* One transfer of the buffer, to RAM at @iova or from it. */
static int edu_dma(struct vfio_pci_core_device *vdev, void __iomem *bar,
		   dma_addr_t iova, bool to_ram)
{
	writeq(to_ram ? EDU_BUF_ADDR : iova, bar + EDU_REG_DMA_SRC);
	writeq(to_ram ? iova : EDU_BUF_ADDR, bar + EDU_REG_DMA_DST);
	writeq(EDU_BUF_REACH, bar + EDU_REG_DMA_CNT);
	writeq(EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0),
	       bar + EDU_REG_DMA_CMD);
	return edu_wait_idle(vdev, bar, false, true);
}

/*
 * The command register cannot be written without starting a transfer, so
 * its direction bit is carried by making the last transfer go that way; its
 * interrupt bit is not, as setting it would raise an interrupt.  It matters
 * to no later transfer: each writes the whole register.
 */
static int edu_load_buffer(struct vfio_pci_core_device *vdev,
			   void __iomem *bar, dma_addr_t iova, u64 cmd)
{
	int ret = edu_dma(vdev, bar, iova, false);

	if (!ret && (cmd & EDU_DMA_TO_RAM))
		ret = edu_dma(vdev, bar, iova, true);
	return ret;
}

/* ---- registers -------------------------------------------------------- */

/*
 * The factorial register can only be given an argument, and reads the
 * result (32 bits, wrapping) once computed.  Puts @result there by finding
 * the argument that gives it: n! wraps to 0 from n = 34 on.
 */
static int edu_set_factorial(struct vfio_pci_core_device *vdev,
			     void __iomem *bar, u32 result)
{
	u32 fact = 1, n;

	for (n = 0; n <= 34; n++) {
		if (n)
			fact *= n;
		if (fact == result)
			break;
	}
	if (n > 34) {
		dev_warn_ratelimited(&vdev->pdev->dev, "edu: %#x is no factorial the device computes\n",
				     result);
		return -EINVAL;
	}
	writel(n, bar + EDU_REG_FACTORIAL);
	return edu_wait_idle(vdev, bar, true, false);
}

/* Puts registers back to what an edu reads after power-on. */
static int edu_soft_reset(struct vfio_pci_core_device *vdev)
{
	void __iomem *bar;
	int ret;

	bar = edu_bar_begin(vdev);
	if (IS_ERR(bar))
		return PTR_ERR(bar);

	ret = edu_wait_idle(vdev, bar, true, true);
	if (ret)
		goto out;
	writel(0, bar + EDU_REG_STATUS);
	writel(readl(bar + EDU_REG_IRQ_STATUS), bar + EDU_REG_IRQ_ACK);
	writel(~0U, bar + EDU_REG_LIVENESS);
	ret = edu_set_factorial(vdev, bar, 0);
	writeq(0, bar + EDU_REG_DMA_SRC);
	writeq(0, bar + EDU_REG_DMA_DST);
	writeq(0, bar + EDU_REG_DMA_CNT);
out:
	edu_bar_end(vdev);
	return ret;
}

/* ---- migration ops ------------------------------------------------------ */

/* P2P quiesced: edu cannot tell peer DMA from other DMA, so none runs. */
static int edu_mig_p2p_stop(struct vfio_pci_core_device *vdev)
{
	void __iomem *bar = edu_bar_begin(vdev);
	int ret;

	if (IS_ERR(bar))
		return PTR_ERR(bar);
	ret = edu_wait_idle(vdev, bar, false, true);
	edu_bar_end(vdev);
	return ret;
}

/* Stopped: nothing computes or moves, so nothing changes or interrupts. */
static int edu_mig_stop(struct vfio_pci_core_device *vdev)
{
	void __iomem *bar = edu_bar_begin(vdev);
	int ret;

	if (IS_ERR(bar))
		return PTR_ERR(bar);
	ret = edu_wait_idle(vdev, bar, true, true);
	edu_bar_end(vdev);
	return ret;
}

/* Running again; interrupts that were pending on the source fire here. */
static int edu_mig_start(struct vfio_pci_core_device *vdev)
{
	struct edu_vfio_device *edev = to_edu(vdev);
	void __iomem *bar;

	if (!edev->raise_pending)
		return 0;
	bar = edu_bar_begin(vdev);
	if (IS_ERR(bar))
		return PTR_ERR(bar);
	if (edev->irq_status)
		writel(edev->irq_status, bar + EDU_REG_IRQ_RAISE);
	edev->raise_pending = false;
	edu_bar_end(vdev);
	return 0;
}

static int edu_save_ident(struct vfio_pci_core_device *vdev,
			  struct vfio_pci_mig_stream *stream)
{
	struct edu_vfio_ident ident;
	void __iomem *bar = edu_bar_begin(vdev);

	if (IS_ERR(bar))
		return PTR_ERR(bar);
	ident.id = cpu_to_le32(readl(bar + EDU_REG_ID));
	ident.bar0_size = cpu_to_le32(pci_resource_len(vdev->pdev, 0));
	edu_bar_end(vdev);
	return vfio_pci_core_mig_add(stream, &ident, sizeof(ident));
}

static int edu_mig_save(struct vfio_pci_core_device *vdev,
			struct vfio_pci_mig_stream *stream,
			enum vfio_pci_mig_record kind)
{
	struct edu_vfio_device *edev = to_edu(vdev);
	struct edu_vfio_state *state;
	struct edu_borrow b;
	void __iomem *bar;
	int ret, end;

	if (kind == VFIO_PCI_MIG_PRECOPY)
		return edu_save_ident(vdev, stream);

	state = kzalloc(sizeof(*state), GFP_KERNEL);
	if (!state)
		return -ENOMEM;
	ret = edu_borrow_begin(vdev, &b);
	if (ret)
		goto out_free;
	bar = edu_bar_begin(vdev);
	if (IS_ERR(bar)) {
		ret = PTR_ERR(bar);
		goto out_return;
	}
	state->liveness = cpu_to_le32(readl(bar + EDU_REG_LIVENESS));
	state->factorial = cpu_to_le32(readl(bar + EDU_REG_FACTORIAL));
	state->status = cpu_to_le32(readl(bar + EDU_REG_STATUS) &
				    EDU_STATUS_IRQFACT);
	/* Loaded but not raised yet is pending all the same. */
	state->irq_status = cpu_to_le32(readl(bar + EDU_REG_IRQ_STATUS) |
					(edev->raise_pending ?
					 edev->irq_status : 0));
	state->dma_src = cpu_to_le64(readq(bar + EDU_REG_DMA_SRC));
	state->dma_dst = cpu_to_le64(readq(bar + EDU_REG_DMA_DST));
	state->dma_cnt = cpu_to_le64(readq(bar + EDU_REG_DMA_CNT));
	state->dma_cmd = cpu_to_le64(readq(bar + EDU_REG_DMA_CMD) &
				     EDU_DMA_TO_RAM);
	ret = edu_dma(vdev, bar, b.iova, true);
	/*
	 * Saving leaves the device as it was: the page now holds the buffer,
	 * so a transfer back from it puts the direction bit back unharmed.
	 */
	if (!ret && !(le64_to_cpu(state->dma_cmd) & EDU_DMA_TO_RAM))
		ret = edu_dma(vdev, bar, b.iova, false);
	/* The transfers used the registers: give them their values. */
	writeq(le64_to_cpu(state->dma_src), bar + EDU_REG_DMA_SRC);
	writeq(le64_to_cpu(state->dma_dst), bar + EDU_REG_DMA_DST);
	writeq(le64_to_cpu(state->dma_cnt), bar + EDU_REG_DMA_CNT);
	edu_bar_end(vdev);
	if (!ret)
		ret = edu_user_rw(vdev, &b, b.iova, state->buffer,
				  EDU_BUF_SIZE, false);
out_return:
	end = edu_borrow_end(vdev, &b);
	if (!ret)
		ret = end;
	if (!ret)
		ret = vfio_pci_core_mig_add(stream, state, sizeof(*state));
out_free:
	kfree(state);
	return ret;
}

static int edu_load_ident(struct vfio_pci_core_device *vdev,
			  const struct edu_vfio_ident *ident)
{
	void __iomem *bar = edu_bar_begin(vdev);
	u32 id;

	if (IS_ERR(bar))
		return PTR_ERR(bar);
	id = readl(bar + EDU_REG_ID);
	edu_bar_end(vdev);

	if (le32_to_cpu(ident->id) != id ||
	    le32_to_cpu(ident->bar0_size) != pci_resource_len(vdev->pdev, 0)) {
		dev_warn_ratelimited(&vdev->pdev->dev, "edu: stream from an edu with id %#x and a %u byte BAR0\n",
				     le32_to_cpu(ident->id),
				     le32_to_cpu(ident->bar0_size));
		return -EINVAL;
	}
	return 0;
}

static int edu_load_state(struct vfio_pci_core_device *vdev,
			  const struct edu_vfio_state *state)
{
	struct edu_vfio_device *edev = to_edu(vdev);
	struct edu_borrow b;
	void __iomem *bar;
	int ret, end;

	ret = edu_borrow_begin(vdev, &b);
	if (ret)
		return ret;
	ret = edu_user_rw(vdev, &b, b.iova, (void *)state->buffer,
			  EDU_BUF_SIZE, true);
	if (ret)
		goto out_return;
	bar = edu_bar_begin(vdev);
	if (IS_ERR(bar)) {
		ret = PTR_ERR(bar);
		goto out_return;
	}

	ret = edu_wait_idle(vdev, bar, true, true);
	if (ret)
		goto out;
	/* No interrupt when the factorial is put back. */
	writel(0, bar + EDU_REG_STATUS);
	ret = edu_set_factorial(vdev, bar, le32_to_cpu(state->factorial));
	if (ret)
		goto out;
	ret = edu_load_buffer(vdev, bar, b.iova, le64_to_cpu(state->dma_cmd));
	if (ret)
		goto out;
	writel(~le32_to_cpu(state->liveness), bar + EDU_REG_LIVENESS);
	writel(le32_to_cpu(state->status) & EDU_STATUS_IRQFACT,
	       bar + EDU_REG_STATUS);
	writeq(le64_to_cpu(state->dma_src), bar + EDU_REG_DMA_SRC);
	writeq(le64_to_cpu(state->dma_dst), bar + EDU_REG_DMA_DST);
	writeq(le64_to_cpu(state->dma_cnt), bar + EDU_REG_DMA_CNT);
	/* Status the device has now that the source did not. */
	writel(readl(bar + EDU_REG_IRQ_STATUS), bar + EDU_REG_IRQ_ACK);

	edev->irq_status = le32_to_cpu(state->irq_status);
	edev->raise_pending = true;
out:
	edu_bar_end(vdev);
out_return:
	end = edu_borrow_end(vdev, &b);
	return ret ? ret : end;
}

static int edu_mig_load(struct vfio_pci_core_device *vdev,
			enum vfio_pci_mig_record kind, const void *data,
			size_t len)
{
	if (kind == VFIO_PCI_MIG_PRECOPY) {
		if (len != sizeof(struct edu_vfio_ident))
			return -EINVAL;
		return edu_load_ident(vdev, data);
	}
	if (len != sizeof(struct edu_vfio_state))
		return -EINVAL;
	return edu_load_state(vdev, data);
}

static int edu_mig_data_size(struct vfio_pci_core_device *vdev, size_t *len)
{
	*len = sizeof(struct edu_vfio_state);
	return 0;
}

static void edu_mig_reset(struct vfio_pci_core_device *vdev)
{
	struct edu_vfio_device *edev = to_edu(vdev);

	edev->irq_status = 0;
	edev->raise_pending = false;
}

static const struct vfio_pci_mig_ops edu_mig_ops = {
	.p2p_stop	= edu_mig_p2p_stop,
	.stop		= edu_mig_stop,
	.start		= edu_mig_start,
	.save		= edu_mig_save,
	.load		= edu_mig_load,
	.data_size	= edu_mig_data_size,
	.reset		= edu_mig_reset,
	.max_record	= sizeof(struct edu_vfio_state),
};

/* ---- vfio_device_ops ---------------------------------------------------- */

static int edu_vfio_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	mutex_init(&to_edu(vdev)->ioas_lock);
	ret = vfio_pci_core_init_dev(core_vdev);
	if (ret)
		goto err_mutex;
	ret = vfio_pci_core_mig_init(vdev, &edu_mig_ops,
				     VFIO_MIGRATION_STOP_COPY |
				     VFIO_MIGRATION_P2P |
				     VFIO_MIGRATION_PRE_COPY);
	if (ret)
		goto err_release_core;
	return 0;

	/* The VFIO core calls ->release only after a successful ->init. */
err_release_core:
	vfio_pci_core_release_dev(core_vdev);
err_mutex:
	mutex_destroy(&to_edu(vdev)->ioas_lock);
	return ret;
}

static void edu_vfio_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	mutex_destroy(&to_edu(vdev)->ioas_lock);
	vfio_pci_core_release_dev(core_vdev);
}

#if IS_ENABLED(CONFIG_IOMMUFD)
/* The iommufd ops are the core's, noting where the device is attached. */
static void edu_vfio_set_ioas(struct vfio_device *core_vdev, bool valid,
			      u32 id)
{
	struct edu_vfio_device *edev =
		container_of(core_vdev, struct edu_vfio_device, core.vdev);

	mutex_lock(&edev->ioas_lock);
	edev->ioas_valid = valid;
	edev->ioas_id = id;
	mutex_unlock(&edev->ioas_lock);
}

static int edu_vfio_attach_ioas(struct vfio_device *core_vdev, u32 *pt_id)
{
	u32 id = *pt_id;
	int ret;

	ret = vfio_iommufd_physical_attach_ioas(core_vdev, pt_id);
	if (!ret)
		edu_vfio_set_ioas(core_vdev, true, id);
	return ret;
}

static void edu_vfio_detach_ioas(struct vfio_device *core_vdev)
{
	edu_vfio_set_ioas(core_vdev, false, 0);
	vfio_iommufd_physical_detach_ioas(core_vdev);
}

static void edu_vfio_unbind_iommufd(struct vfio_device *core_vdev)
{
	edu_vfio_set_ioas(core_vdev, false, 0);
	vfio_iommufd_physical_unbind(core_vdev);
}

/* iommufd_access_*() are in the IOMMUFD namespace. */
MODULE_IMPORT_NS(IOMMUFD);
#else
#define edu_vfio_attach_ioas	vfio_iommufd_physical_attach_ioas
#define edu_vfio_detach_ioas	vfio_iommufd_physical_detach_ioas
#define edu_vfio_unbind_iommufd	vfio_iommufd_physical_unbind
#endif

static int edu_vfio_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	ret = vfio_pci_core_finish_enable(vdev);
	if (ret)
		vfio_pci_core_disable(vdev);
	return ret;
}

static int edu_vfio_reset(struct vfio_pci_core_device *vdev)
{
	int ret = edu_soft_reset(vdev);

	if (!ret)
		vfio_pci_core_mig_reset(vdev);
	return ret;
}

/* edu has no reset the PCI core knows; report and do the driver's own. */
static long edu_vfio_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			   unsigned long arg)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct vfio_device_info __user *uinfo = (void __user *)arg;
	u32 flags;
	long ret;

	if (cmd == VFIO_DEVICE_RESET)
		return edu_vfio_reset(vdev);

	ret = vfio_pci_core_ioctl(core_vdev, cmd, arg);
	if (ret || cmd != VFIO_DEVICE_GET_INFO)
		return ret;
	if (get_user(flags, &uinfo->flags))
		return -EFAULT;
	return put_user(flags | VFIO_DEVICE_FLAGS_RESET, &uinfo->flags);
}

static const struct vfio_device_ops edu_vfio_ops = {
	.name		= "edu-vfio-pci",
	.init		= edu_vfio_init_dev,
	.release	= edu_vfio_release_dev,
	.open_device	= edu_vfio_open_device,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= edu_vfio_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= edu_vfio_unbind_iommufd,
	.attach_ioas	= edu_vfio_attach_ioas,
	.detach_ioas	= edu_vfio_detach_ioas,
};

/* ---- pci_driver --------------------------------------------------------- */

static int edu_vfio_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_vfio_device *edev;
	int ret;

	/* driver_override reaches probe for any device; only edu migrates. */
	if (pdev->vendor != EDU_VENDOR_ID || pdev->device != EDU_DEVICE_ID) {
		pci_info(pdev, "edu-vfio-pci: not an edu (%04x:%04x)\n",
			 pdev->vendor, pdev->device);
		return -ENODEV;
	}

	edev = vfio_alloc_device(edu_vfio_device, core.vdev, &pdev->dev,
				 &edu_vfio_ops);
	if (IS_ERR(edev))
		return PTR_ERR(edev);

	ret = vfio_pci_core_register_device(&edev->core);
	if (ret)
		goto err_put;
	return 0;

err_put:
	vfio_put_device(&edev->core.vdev);
	return ret;
}

static void edu_vfio_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static const struct pci_device_id edu_vfio_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, edu_vfio_table);

static struct pci_driver edu_vfio_driver = {
	.name			= "edu-vfio-pci",
	.id_table		= edu_vfio_table,
	.probe			= edu_vfio_probe,
	.remove			= edu_vfio_remove,
	.err_handler		= &vfio_pci_core_err_handlers,
	.driver_managed_dma	= true,
	.driver.pm		= &vfio_pci_core_pm_ops,
};
module_pci_driver(edu_vfio_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO variant driver with live migration for QEMU's edu device");
