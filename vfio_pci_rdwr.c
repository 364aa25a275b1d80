// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO PCI region I/O: read() and write() of BARs, the option ROM and the
 * legacy VGA window.
 *
 * Every access is split into naturally aligned pieces of 8 (memory BARs
 * only), 4, 2 and 1 bytes.  User memory is copied through a small bounce
 * buffer outside memory_lock: a user buffer may itself be an mmap of this
 * device, and faulting it in takes memory_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/vgaarb.h>

#include "vfio_pci_priv.h"

#define VFIO_PCI_BOUNCE	64

/**
 * vfio_pci_core_setup_barmap - claim and map a BAR, once
 * @vdev: the device, open
 * @bar: BAR number
 *
 * Return: 0 or a negative errno.  The mapping lasts until the device is
 * closed.
 */
int vfio_pci_core_setup_barmap(struct vfio_pci_core_device *vdev, int bar)
{
	struct pci_dev *pdev = vdev->pdev;
	void __iomem *io;
	int ret;

	if (bar < 0 || bar >= PCI_STD_NUM_BARS || !pci_resource_len(pdev, bar))
		return -EINVAL;
	if (READ_ONCE(vdev->barmap[bar]))
		return 0;

	mutex_lock(&vdev->cfg_lock);
	if (vdev->barmap[bar]) {
		mutex_unlock(&vdev->cfg_lock);
		return 0;
	}

	ret = pci_request_selected_regions(pdev, 1 << bar, "vfio");
	if (ret)
		goto out_unlock;

	io = pci_iomap(pdev, bar, 0);
	if (!io) {
		pci_release_selected_regions(pdev, 1 << bar);
		ret = -ENOMEM;
		goto out_unlock;
	}
	/* Readers test the pointer without the lock. */
	smp_store_release(&vdev->barmap[bar], io);
out_unlock:
	mutex_unlock(&vdev->cfg_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_setup_barmap);

/**
 * vfio_pci_core_iomap - the kernel mapping of a BAR
 * @vdev: the device, open
 * @bar: BAR number
 *
 * Return: the BAR's mapping (made on first use), or an ERR_PTR.
 */
void __iomem *vfio_pci_core_iomap(struct vfio_pci_core_device *vdev, int bar)
{
	int ret = vfio_pci_core_setup_barmap(vdev, bar);

	return ret ? IOMEM_ERR_PTR(ret) : smp_load_acquire(&vdev->barmap[bar]);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_iomap);

/**
 * vfio_pci_unmap_bars - release every BAR mapped since open
 * @vdev: the device, closing
 */
void vfio_pci_unmap_bars(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!vdev->barmap[bar])
			continue;
		pci_iounmap(pdev, vdev->barmap[bar]);
		pci_release_selected_regions(pdev, 1 << bar);
		vdev->barmap[bar] = NULL;
	}
}

/*
 * Move @count bytes between @kbuf and @io + @off, in aligned pieces.  Bytes
 * in [@skip_start, @skip_end) are not touched: reads give 0xff, writes are
 * dropped.
 */
static void vfio_pci_io_copy(void __iomem *io, bool wide, u8 *kbuf,
			     u64 off, size_t count, u64 skip_start,
			     u64 skip_end, bool iswrite)
{
	size_t done = 0;

	while (done < count) {
		u64 pos = off + done;
		size_t left = count - done;
		size_t len = 1;

		if (wide && !(pos & 7) && left >= 8)
			len = 8;
		else if (!(pos & 3) && left >= 4)
			len = 4;
		else if (!(pos & 1) && left >= 2)
			len = 2;

		if (pos < skip_end && pos + len > skip_start) {
			len = 1;
			if (!iswrite)
				kbuf[done] = 0xff;
			done += len;
			continue;
		}

		switch (len) {
#ifdef CONFIG_64BIT
		case 8:
			if (iswrite)
				writeq(get_unaligned((u64 *)(kbuf + done)), io + pos);
			else
				put_unaligned(readq(io + pos), (u64 *)(kbuf + done));
			break;
#endif
		case 4:
			if (iswrite)
				iowrite32(get_unaligned((u32 *)(kbuf + done)), io + pos);
			else
				put_unaligned(ioread32(io + pos), (u32 *)(kbuf + done));
			break;
		case 2:
			if (iswrite)
				iowrite16(get_unaligned((u16 *)(kbuf + done)), io + pos);
			else
				put_unaligned(ioread16(io + pos), (u16 *)(kbuf + done));
			break;
		default:
			if (iswrite)
				iowrite8(kbuf[done], io + pos);
			else
				kbuf[done] = ioread8(io + pos);
			break;
		}
		done += len;
	}
}

/*
 * One access of @count (1, 2, 4 or 8) bytes with @buf and @off aligned to
 * it: the value moves with a single get_user()/put_user(), outside
 * memory_lock like the batches below, and the device access is the batches'
 * own vfio_pci_io_copy() on it.
 */
static ssize_t vfio_pci_io_rw_one(struct vfio_pci_core_device *vdev,
				  void __iomem *io, char __user *buf, u64 off,
				  size_t count, bool iswrite,
				  bool (*may_access)(struct vfio_pci_core_device *))
{
	/* Each width at offset 0, as vfio_pci_io_copy() reads and writes it. */
	union {
		u64 q;
		u32 l;
		u16 w;
		u8 b;
	} v = {};
	int ret;

	if (iswrite) {
		switch (count) {
		case 8:
			ret = get_user(v.q, (u64 __user *)buf);
			break;
		case 4:
			ret = get_user(v.l, (u32 __user *)buf);
			break;
		case 2:
			ret = get_user(v.w, (u16 __user *)buf);
			break;
		default:
			ret = get_user(v.b, (u8 __user *)buf);
			break;
		}
		if (ret)
			return -EFAULT;
	}

	down_read(&vdev->memory_lock);
	if (!may_access(vdev)) {
		up_read(&vdev->memory_lock);
		return -EIO;
	}
	vfio_pci_io_copy(io, count == 8, (u8 *)&v, off, count, 0, 0, iswrite);
	up_read(&vdev->memory_lock);

	if (!iswrite) {
		switch (count) {
		case 8:
			ret = put_user(v.q, (u64 __user *)buf);
			break;
		case 4:
			ret = put_user(v.l, (u32 __user *)buf);
			break;
		case 2:
			ret = put_user(v.w, (u16 __user *)buf);
			break;
		default:
			ret = put_user(v.b, (u8 __user *)buf);
			break;
		}
		if (ret)
			return -EFAULT;
	}
	return count;
}

/*
 * Access @io in bounce-buffer batches; @may_access decides, under
 * memory_lock held for read, whether the device may be touched now.
 */
static ssize_t vfio_pci_io_rw(struct vfio_pci_core_device *vdev,
			      void __iomem *io, bool wide, char __user *buf,
			      u64 off, size_t count, u64 skip_start,
			      u64 skip_end, bool iswrite,
			      bool (*may_access)(struct vfio_pci_core_device *))
{
	u8 kbuf[VFIO_PCI_BOUNCE];
	size_t done = 0;

	/* A single aligned access that skips nothing: the common case. */
	if ((count == 1 || count == 2 || count == 4 ||
	     (count == 8 && wide && IS_ENABLED(CONFIG_64BIT))) &&
	    IS_ALIGNED(off, count) && IS_ALIGNED((unsigned long)buf, count) &&
	    (off >= skip_end || off + count <= skip_start))
		return vfio_pci_io_rw_one(vdev, io, buf, off, count, iswrite,
					  may_access);

	while (done < count) {
		/* Keep 8-byte alignment of the device offset across batches. */
		size_t len = min_t(size_t, count - done, VFIO_PCI_BOUNCE);

		/*
		 * A read of a whole large BAR is millions of trapped accesses
		 * where the device is emulated: a killed caller leaves now.
		 */
		if (done && fatal_signal_pending(current))
			return done;
		if (iswrite && copy_from_user(kbuf, buf + done, len))
			return done ? done : -EFAULT;

		down_read(&vdev->memory_lock);
		if (!may_access(vdev)) {
			up_read(&vdev->memory_lock);
			return done ? done : -EIO;
		}
		vfio_pci_io_copy(io, wide, kbuf, off + done, len, skip_start,
				 skip_end, iswrite);
		up_read(&vdev->memory_lock);

		if (!iswrite && copy_to_user(buf + done, kbuf, len))
			return done ? done : -EFAULT;
		done += len;
	}
	return done;
}

static bool vfio_pci_mem_ok(struct vfio_pci_core_device *vdev)
{
	return vfio_pci_memory_enabled(vdev) && !vdev->power_low;
}

static bool vfio_pci_always_ok(struct vfio_pci_core_device *vdev)
{
	return !vdev->power_low;
}

/**
 * vfio_pci_core_mem_begin - start an access of the driver's own to BAR memory
 * @vdev: the device, open
 *
 * For a driver that reads or writes its device's memory BARs itself (through
 * vfio_pci_core_iomap()): holds off resets, memory decode changes and low
 * power entry until vfio_pci_core_mem_end(), and tells whether the memory
 * answers now.  Must not be called with it already held.
 *
 * Return: 0 with the access begun, or -EIO (the user turned memory decode
 * off, or the function is in low power) with nothing held.
 */
int vfio_pci_core_mem_begin(struct vfio_pci_core_device *vdev)
{
	down_read(&vdev->memory_lock);
	if (!vfio_pci_mem_ok(vdev)) {
		up_read(&vdev->memory_lock);
		return -EIO;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_mem_begin);

/**
 * vfio_pci_core_mem_end - end an access begun by vfio_pci_core_mem_begin()
 * @vdev: the device
 */
void vfio_pci_core_mem_end(struct vfio_pci_core_device *vdev)
{
	up_read(&vdev->memory_lock);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_mem_end);

/**
 * vfio_pci_bar_rw - read() or write() on a BAR region
 * @vdev: the device, open
 * @buf: user buffer
 * @count: bytes
 * @ppos: file offset (region index in the high bits)
 * @iswrite: direction
 *
 * The MSI-X table is left to the interrupt code: reads of it give 0xff and
 * writes to it are dropped.  Memory BAR accesses fail with -EIO while the
 * user has memory decode off; any access fails while the function is in
 * low power.  I/O port BARs do not depend on I/O decode: with decode off a
 * port access reaches nothing.
 *
 * Return: bytes done or a negative errno.
 */
ssize_t vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite)
{
	int bar = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct pci_dev *pdev = vdev->pdev;
	u64 size = pci_resource_len(pdev, bar);
	u64 skip_start = 0, skip_end = 0;
	bool is_mem = pci_resource_flags(pdev, bar) & IORESOURCE_MEM;
	void __iomem *io;
	ssize_t done;

	if (!size || pos >= size)
		return -EINVAL;
	count = min_t(u64, count, size - pos);

	io = vfio_pci_core_iomap(vdev, bar);
	if (IS_ERR(io))
		return PTR_ERR(io);

	if (bar == vdev->msix_bar) {
		skip_start = vdev->msix_offset;
		skip_end = vdev->msix_offset + vdev->msix_size;
	}

	done = vfio_pci_io_rw(vdev, io, is_mem, buf, pos, count, skip_start,
			      skip_end, iswrite,
			      is_mem ? vfio_pci_mem_ok : vfio_pci_always_ok);
	if (done > 0)
		*ppos += done;
	return done;
}

/**
 * vfio_pci_rom_size - size of the ROM region
 * @pdev: the function
 *
 * Return: the ROM BAR's size, 128 KiB for a shadowed boot-VGA ROM, or 0.
 */
u64 vfio_pci_rom_size(struct pci_dev *pdev)
{
	if (pci_resource_flags(pdev, PCI_ROM_RESOURCE) & IORESOURCE_ROM_SHADOW)
		return 0x20000;
	return pci_resource_len(pdev, PCI_ROM_RESOURCE);
}

/**
 * vfio_pci_rom_read - read() on the ROM region
 * @vdev: the device, open
 * @buf: user buffer
 * @count: bytes
 * @ppos: file offset (region index in the high bits)
 *
 * ROM decode is on only during the read.  Bytes past the ROM image the PCI
 * core finds read as 0xff.
 *
 * Return: bytes read or a negative errno.
 */
ssize_t vfio_pci_rom_read(struct vfio_pci_core_device *vdev, char __user *buf,
			  size_t count, loff_t *ppos)
{
	struct pci_dev *pdev = vdev->pdev;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	u8 kbuf[VFIO_PCI_BOUNCE];
	void __iomem *rom;
	size_t done = 0;
	size_t rom_size;
	u64 region_size;
	int ret = 0;

	region_size = vfio_pci_rom_size(pdev);
	if (!region_size || pos >= region_size)
		return -EINVAL;
	count = min_t(u64, count, region_size - pos);

	/*
	 * Never touch a function the user put in D3hot.  Otherwise map first,
	 * as the reference does: a ROM BAR shows no image with memory decode
	 * off (-ENOMEM), while the boot VGA's shadow copy in RAM maps and is
	 * then refused (-EIO).  Map once per read: each mapping walks the ROM
	 * image's headers and turns ROM decode on and off again, milliseconds
	 * per bounce buffer where config space and ROM reads trap.
	 */
	down_read(&vdev->memory_lock);
	if (vdev->power_low) {
		up_read(&vdev->memory_lock);
		return -EIO;
	}
	rom = pci_map_rom(pdev, &rom_size);
	up_read(&vdev->memory_lock);
	if (!rom)
		return -ENOMEM;

	while (done < count) {
		size_t len = min_t(size_t, count - done, VFIO_PCI_BOUNCE);
		u64 at = pos + done;

		if (done && fatal_signal_pending(current))
			break;
		/* The user may turn decode off or go to D3hot between batches. */
		down_read(&vdev->memory_lock);
		if (vdev->power_low || !vfio_pci_memory_enabled(vdev)) {
			up_read(&vdev->memory_lock);
			ret = -EIO;
			break;
		}
		memset(kbuf, 0xff, len);
		if (at < rom_size)
			memcpy_fromio(kbuf, rom + at, min_t(u64, len, rom_size - at));
		up_read(&vdev->memory_lock);

		if (copy_to_user(buf + done, kbuf, len)) {
			ret = -EFAULT;
			break;
		}
		done += len;
	}

	down_read(&vdev->memory_lock);
	pci_unmap_rom(pdev, rom);
	up_read(&vdev->memory_lock);

	if (done)
		*ppos += done;
	return done ? done : ret;
}

/**
 * vfio_pci_vga_rw - read() or write() on the legacy VGA region
 * @vdev: the device, open, VGA class, VGA support on
 * @buf: user buffer
 * @count: bytes
 * @ppos: file offset; within the region it is the legacy address
 * @iswrite: direction
 *
 * The region mirrors legacy VGA: memory 0xa0000-0xbffff, ports 0x3b0-0x3bb
 * and 0x3c0-0x3df.  Each access owns the VGA resources through the VGA
 * arbiter for its duration.
 *
 * Return: bytes done or a negative errno.
 */
ssize_t vfio_pci_vga_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite)
{
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	unsigned int rsrc;
	u64 base, end;
	void __iomem *io;
	bool is_mem;
	ssize_t done;
	int ret;

	if (pos >= 0xa0000 && pos < 0xc0000) {
		base = 0xa0000;
		end = 0xc0000;
		is_mem = true;
	} else if (pos >= 0x3b0 && pos < 0x3bc) {
		base = 0x3b0;
		end = 0x3bc;
		is_mem = false;
	} else if (pos >= 0x3c0 && pos < 0x3e0) {
		base = 0x3c0;
		end = 0x3e0;
		is_mem = false;
	} else {
		return -EINVAL;
	}
	count = min_t(u64, count, end - pos);

	if (is_mem) {
		io = ioremap(base, end - base);
		rsrc = VGA_RSRC_LEGACY_MEM;
	} else {
		io = ioport_map(base, end - base);
		rsrc = VGA_RSRC_LEGACY_IO;
	}
	if (!io)
		return -ENOMEM;

	ret = vga_get_interruptible(vdev->pdev, rsrc);
	if (ret) {
		done = ret;
		goto out_unmap;
	}
	done = vfio_pci_io_rw(vdev, io, false, buf, pos - base, count, 0, 0,
			      iswrite, vfio_pci_always_ok);
	vga_put(vdev->pdev, rsrc);
	if (done > 0)
		*ppos += done;

out_unmap:
	if (is_mem)
		iounmap(io);
	else
		ioport_unmap(io);
	return done;
}

/* ------------------------------------------------------------------ */
/* ioeventfd                                                           */

/* Register limit per device; one more gives -ENOSPC. */
#define VFIO_PCI_IOEVENTFD_MAX	1000

/**
 * struct vfio_pci_ioeventfd - a BAR write the kernel does on an eventfd signal
 * @node: in the device's ioeventfds_list
 * @vdev: the device
 * @virqfd: the eventfd watch
 * @addr: kernel address of the register
 * @data: value written
 * @pos: the register's offset in the BAR
 * @bar: BAR number
 * @count: access size in bytes
 * @is_mem: memory BAR (decode checked through the command register)
 */
struct vfio_pci_ioeventfd {
	struct list_head		node;
	struct vfio_pci_core_device	*vdev;
	struct virqfd			*virqfd;
	void __iomem			*addr;
	u64				data;
	u64				pos;
	int				bar;
	int				count;
	bool				is_mem;
};

static void vfio_pci_ioeventfd_do_write(struct vfio_pci_ioeventfd *ioeventfd)
{
	switch (ioeventfd->count) {
	case 1:
		iowrite8(ioeventfd->data, ioeventfd->addr);
		break;
	case 2:
		iowrite16(ioeventfd->data, ioeventfd->addr);
		break;
	case 4:
		iowrite32(ioeventfd->data, ioeventfd->addr);
		break;
#ifdef CONFIG_64BIT
	case 8:
		/*
		 * @addr of a port BAR is an iomap cookie, not memory, and ports
		 * have no 8-byte access: two 4-byte writes, low half first, as
		 * read() and write() split it.
		 */
		if (ioeventfd->is_mem) {
			writeq(ioeventfd->data, ioeventfd->addr);
		} else {
			iowrite32(lower_32_bits(ioeventfd->data), ioeventfd->addr);
			iowrite32(upper_32_bits(ioeventfd->data), ioeventfd->addr + 4);
		}
		break;
#endif
	}
}

static bool vfio_pci_ioeventfd_may_write(struct vfio_pci_ioeventfd *ioeventfd)
{
	struct vfio_pci_core_device *vdev = ioeventfd->vdev;

	return ioeventfd->is_mem ? vfio_pci_mem_ok(vdev) : vfio_pci_always_ok(vdev);
}

/*
 * Called from the eventfd's wakeup, in atomic context: write now if
 * memory_lock can be had without sleeping, else hand over to the thread.
 */
static int vfio_pci_ioeventfd_handler(void *opaque, void *unused)
{
	struct vfio_pci_ioeventfd *ioeventfd = opaque;
	struct vfio_pci_core_device *vdev = ioeventfd->vdev;

	if (!down_read_trylock(&vdev->memory_lock))
		return 1;
	if (vfio_pci_ioeventfd_may_write(ioeventfd))
		vfio_pci_ioeventfd_do_write(ioeventfd);
	up_read(&vdev->memory_lock);
	return 0;
}

static void vfio_pci_ioeventfd_thread(void *opaque, void *unused)
{
	struct vfio_pci_ioeventfd *ioeventfd = opaque;
	struct vfio_pci_core_device *vdev = ioeventfd->vdev;

	down_read(&vdev->memory_lock);
	if (vfio_pci_ioeventfd_may_write(ioeventfd))
		vfio_pci_ioeventfd_do_write(ioeventfd);
	up_read(&vdev->memory_lock);
}

static void vfio_pci_ioeventfd_free(struct vfio_pci_core_device *vdev,
				    struct vfio_pci_ioeventfd *ioeventfd)
{
	vfio_virqfd_disable(&ioeventfd->virqfd);
	list_del(&ioeventfd->node);
	vdev->ioeventfds_nr--;
	kfree(ioeventfd);
}

/**
 * vfio_pci_ioeventfd - add or remove an ioeventfd
 * @vdev: the device, open
 * @offset: file offset of the register (BAR region index in the high bits)
 * @data: value to write
 * @count: access size: 1, 2, 4 or 8 bytes
 * @fd: eventfd; -1 removes the ioeventfd with the same offset, data and size
 *
 * Return: 0; -EEXIST for a duplicate, -ENODEV when removing one that does
 * not exist, -ENOSPC past the per-device limit, -EINVAL for a bad register.
 */
int vfio_pci_ioeventfd(struct vfio_pci_core_device *vdev, u64 offset,
		       u64 data, int count, int fd)
{
	struct pci_dev *pdev = vdev->pdev;
	u64 pos = offset & VFIO_PCI_OFFSET_MASK;
	int bar = VFIO_PCI_OFFSET_TO_INDEX(offset);
	struct vfio_pci_ioeventfd *ioeventfd;
	void __iomem *io;
	int ret;

	if (bar > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	if (pos + count > pci_resource_len(pdev, bar) || pos + count < pos)
		return -EINVAL;
	/* The vector table is the interrupt code's. */
	if (bar == vdev->msix_bar && pos + count > vdev->msix_offset &&
	    pos < (u64)vdev->msix_offset + vdev->msix_size)
		return -EINVAL;
#ifndef CONFIG_64BIT
	if (count == 8)
		return -EINVAL;
#endif

	mutex_lock(&vdev->ioeventfds_lock);

	list_for_each_entry(ioeventfd, &vdev->ioeventfds_list, node) {
		if (ioeventfd->bar == bar && ioeventfd->pos == pos &&
		    ioeventfd->data == data && ioeventfd->count == count) {
			if (fd == -1) {
				vfio_pci_ioeventfd_free(vdev, ioeventfd);
				ret = 0;
			} else {
				ret = -EEXIST;
			}
			goto out_unlock;
		}
	}

	if (fd < 0) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (vdev->ioeventfds_nr >= VFIO_PCI_IOEVENTFD_MAX) {
		ret = -ENOSPC;
		goto out_unlock;
	}

	io = vfio_pci_core_iomap(vdev, bar);
	if (IS_ERR(io)) {
		ret = PTR_ERR(io);
		goto out_unlock;
	}

	ioeventfd = kzalloc(sizeof(*ioeventfd), GFP_KERNEL_ACCOUNT);
	if (!ioeventfd) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ioeventfd->vdev = vdev;
	ioeventfd->addr = io + pos;
	ioeventfd->data = data;
	ioeventfd->pos = pos;
	ioeventfd->bar = bar;
	ioeventfd->count = count;
	ioeventfd->is_mem = pci_resource_flags(pdev, bar) & IORESOURCE_MEM;

	ret = vfio_virqfd_enable(ioeventfd, vfio_pci_ioeventfd_handler,
				 vfio_pci_ioeventfd_thread, NULL,
				 &ioeventfd->virqfd, fd);
	if (ret) {
		kfree(ioeventfd);
		goto out_unlock;
	}

	list_add(&ioeventfd->node, &vdev->ioeventfds_list);
	vdev->ioeventfds_nr++;
out_unlock:
	mutex_unlock(&vdev->ioeventfds_lock);
	return ret;
}

/**
 * vfio_pci_ioeventfds_release - remove every ioeventfd of a closing device
 * @vdev: the device
 */
void vfio_pci_ioeventfds_release(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_ioeventfd *ioeventfd, *tmp;

	mutex_lock(&vdev->ioeventfds_lock);
	list_for_each_entry_safe(ioeventfd, tmp, &vdev->ioeventfds_list, node)
		vfio_pci_ioeventfd_free(vdev, ioeventfd);
	mutex_unlock(&vdev->ioeventfds_lock);
}
