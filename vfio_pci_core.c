// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO PCI core: turns a PCI function into a vfio_device.
 *
 * This file holds the device's life cycle (probe-time registration, the
 * open and close of its first and last user), the device fd's ioctls and
 * the dispatch of read/write/mmap to the region code.  Config space,
 * region I/O and interrupts live in files of their own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/aer.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pfn_t.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio_pci_priv.h"

bool vfio_pci_nointxmask;
bool vfio_pci_disable_vga;
bool vfio_pci_disable_idle_d3;

/**
 * vfio_pci_core_set_params - hand the driver's module parameters to the core
 * @nointxmask: never use PCI 2.3 INTx masking; take INTx exclusively
 * @is_disable_vga: do not offer the legacy VGA region
 * @is_disable_idle_d3: keep functions in D0 while nobody uses them
 *
 * The core has no module parameters of its own.  A driver calls this before
 * it registers its pci_driver, and again whenever a writable parameter
 * changes; devices probed later follow the new values.
 */
void vfio_pci_core_set_params(bool nointxmask, bool is_disable_vga,
			      bool is_disable_idle_d3)
{
	vfio_pci_nointxmask = nointxmask;
	vfio_pci_disable_vga = is_disable_vga;
	vfio_pci_disable_idle_d3 = is_disable_idle_d3;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_set_params);

static bool vfio_pci_vga_enabled(struct pci_dev *pdev)
{
	return IS_ENABLED(CONFIG_VFIO_PCI_VGA) && !vfio_pci_disable_vga &&
	       vfio_pci_is_vga(pdev);
}

/*
 * Memory BARs that start on a page may be mapped.  A BAR smaller than a
 * page is mapped as a whole page, so the rest of that page is reserved in
 * the BAR's parent window first: nothing else may ever be placed there.
 * Without the reservation the BAR is not mapped.
 */
static void vfio_pci_probe_mmaps(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		struct resource *res = pci_resource_n(pdev, bar);
		resource_size_t len = pci_resource_len(pdev, bar);
		struct resource *pad;

		vdev->bar_mmap_ok[bar] = false;
		if (!IS_ENABLED(CONFIG_VFIO_PCI_MMAP) || !len ||
		    !(res->flags & IORESOURCE_MEM) || !PAGE_ALIGNED(res->start))
			continue;
		if (len >= PAGE_SIZE) {
			vdev->bar_mmap_ok[bar] = true;
			continue;
		}

		pad = kzalloc(sizeof(*pad), GFP_KERNEL_ACCOUNT);
		if (!pad)
			continue;
		pad->name = "vfio sub-page BAR reservation";
		pad->start = res->start + len;
		pad->end = res->start + PAGE_SIZE - 1;
		pad->flags = IORESOURCE_MEM;
		if (!res->parent || request_resource(res->parent, pad)) {
			kfree(pad);
			continue;
		}
		vdev->bar_pad[bar] = pad;
		vdev->bar_mmap_ok[bar] = true;
	}
}

static void vfio_pci_release_mmap_pads(struct vfio_pci_core_device *vdev)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!vdev->bar_pad[bar])
			continue;
		release_resource(vdev->bar_pad[bar]);
		kfree(vdev->bar_pad[bar]);
		vdev->bar_pad[bar] = NULL;
	}
}

/* Where the MSI-X table sits, so region I/O and mmap can keep off it. */
static void vfio_pci_find_msix(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;
	u32 table;

	vdev->msix_bar = -1;
	if (!pdev->msix_cap)
		return;

	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &table);
	vdev->msix_bar = table & PCI_MSIX_TABLE_BIR;
	vdev->msix_offset = table & PCI_MSIX_TABLE_OFFSET;
	vdev->msix_size = ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * PCI_MSIX_ENTRY_SIZE;
}

/**
 * vfio_pci_core_enable - bring the function up for its first user
 * @vdev: the device
 *
 * Powers the function up, enables it, resets it where a reset method
 * exists, saves its config state (restored when the last user closes) and
 * builds the virtual config space.  Called from ->open_device; a driver
 * that sets up more calls vfio_pci_core_disable() if its own setup fails,
 * else vfio_pci_core_finish_enable().
 *
 * Return: 0 or a negative errno, with nothing left enabled.
 */
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	ret = pm_runtime_resume_and_get(&pdev->dev);
	if (ret) {
		pci_warn(pdev, "cannot power up for use: %d\n", ret);
		return ret;
	}

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_pm_put;

	/* A fresh user gets a freshly reset function where that is possible. */
	ret = pci_try_reset_function(pdev);
	if (ret == -EAGAIN)
		goto err_disable;
	vdev->reset_works = !ret;

	/* The user turns bus mastering on when it is ready for DMA. */
	pci_clear_master(pdev);

	pci_save_state(pdev);
	vdev->pci_saved_state = pci_store_saved_state(pdev);
	if (!vdev->pci_saved_state)
		pci_dbg(pdev, "could not save config state; close will not restore it\n");

	vdev->nointx = false;
	vdev->pci_2_3 = false;
	if (!vfio_pci_nointxmask && pdev->irq && !pdev->is_virtfn)
		vdev->pci_2_3 = pci_intx_mask_supported(pdev);

	/* Do not hand over INTx left disabled by whoever had the device. */
	if (vdev->pci_2_3)
		pci_intx(pdev, 1);

	vdev->power_low = false;
	ret = vfio_pci_config_init(vdev);
	if (ret)
		goto err_free_state;

	vfio_pci_find_msix(vdev);
	vdev->has_dyn_msix = pci_msix_can_alloc_dyn(pdev);
	vdev->has_vga = vfio_pci_vga_enabled(pdev);
	vfio_pci_probe_mmaps(vdev);
	vfio_pci_vf_open(vdev);
	vdev->is_open = true;

	return 0;

err_free_state:
	kfree(vdev->pci_saved_state);
	vdev->pci_saved_state = NULL;
err_disable:
	pci_disable_device(pdev);
err_pm_put:
	pm_runtime_put(&pdev->dev);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_enable);

/**
 * vfio_pci_core_finish_enable - last step of the open path
 * @vdev: the device, enabled by vfio_pci_core_enable()
 *
 * Runs after the driver's own setup succeeded.  On s390 it registers a zPCI
 * function with its user's KVM, which can fail; the driver then undoes its
 * own setup and calls vfio_pci_core_disable(), as for a failure of its own.
 *
 * Return: 0 or a negative errno, with nothing of this step left behind.
 */
int vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev)
{
	return vfio_pci_zdev_open_device(vdev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_finish_enable);

static void vfio_pci_release_regions(struct vfio_pci_core_device *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->num_regions; i++)
		if (vdev->region[i].ops->release)
			vdev->region[i].ops->release(vdev, &vdev->region[i]);
	kfree(vdev->region);
	vdev->region = NULL;
	vdev->num_regions = 0;
}

/*
 * Put the function back as it was before its user had it: reset it when
 * nobody else holds the device lock (an unbind in progress does), then load
 * the config state saved at open.  Returns whether the function was reset;
 * if not, its device set is reset once nobody uses any of it.
 */
static bool vfio_pci_reset_and_restore(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	bool reset = false;

	if (vdev->pci_saved_state) {
		pci_load_and_free_saved_state(pdev, &vdev->pci_saved_state);
	} else {
		pci_warn(pdev, "no saved config state, device left as the user had it\n");
		return false;
	}

	if (vdev->reset_works && device_trylock(&pdev->dev)) {
		if (pci_cfg_access_trylock(pdev)) {
			if (__pci_reset_function_locked(pdev))
				pci_dbg(pdev, "reset on release failed\n");
			else
				reset = true;
			pci_cfg_access_unlock(pdev);
		}
		device_unlock(&pdev->dev);
	}

	pci_restore_state(pdev);
	return reset;
}

/**
 * vfio_pci_core_disable - undo vfio_pci_core_enable()
 * @vdev: the device
 *
 * Tears down interrupts, mappings and regions, resets the function and
 * restores its saved state, and lets it go idle.  A function that could not
 * be reset on its own is reset with the rest of its device set (slot or bus
 * reset) once no function of the set is open any more.
 */
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	lockdep_assert_held(&vdev->vdev.dev_set->lock);
	vdev->is_open = false;

	/* A user's low power request ends with its use of the device. */
	vfio_pci_low_power_exit(vdev);
	vfio_pci_vf_close(vdev);

	/* No user mapping may outlive the user's access to the device. */
	vfio_pci_memory_lock_and_zap(vdev);
	pci_clear_master(pdev);
	/* A function the user left in a low D-state comes back to D0. */
	if (vdev->power_low) {
		pci_set_power_state(pdev, PCI_D0);
		vdev->power_low = false;
	}
	up_write(&vdev->memory_lock);

	vfio_pci_ioeventfds_release(vdev);
	vfio_pci_irqs_teardown(vdev);
	vfio_pci_release_regions(vdev);
	vfio_pci_unmap_bars(vdev);
	vfio_pci_release_mmap_pads(vdev);
	vfio_pci_config_free(vdev);

	pci_disable_device(pdev);
	vdev->needs_reset = !vfio_pci_reset_and_restore(vdev);

	pm_runtime_put(&pdev->dev);

	vfio_pci_dev_set_reset_on_release(vdev->vdev.dev_set);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_disable);

/**
 * vfio_pci_core_close_device - ->close_device for drivers built on the core
 * @core_vdev: the device, closed by its last user
 */
void vfio_pci_core_close_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	vfio_pci_mig_close(vdev);
	vfio_pci_zdev_close_device(vdev);
	vfio_pci_core_disable(vdev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_close_device);

/* ------------------------------------------------------------------ */
/* ioctls                                                              */

static int vfio_pci_ioctl_get_info(struct vfio_pci_core_device *vdev,
				   struct vfio_device_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_device_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	minsz = min_t(size_t, info.argsz, sizeof(info));

	/* Not copied in above, and copied out even without capabilities. */
	info.cap_offset = 0;
	info.flags = VFIO_DEVICE_FLAGS_PCI;
	if (vdev->reset_works)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_FIXED_REGIONS + vdev->num_regions;
	info.num_irqs = VFIO_PCI_NUM_IRQS;

	ret = vfio_pci_info_zdev_add_caps(vdev, &caps);
	if (ret && ret != -ENODEV) {
		pci_warn(vdev->pdev, "could not report zPCI capabilities\n");
		kfree(caps.buf);
		return ret;
	}

	if (caps.size) {
		info.flags |= VFIO_DEVICE_FLAGS_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
			info.cap_offset = 0;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + 1, caps.buf, caps.size)) {
				kfree(caps.buf);
				return -EFAULT;
			}
			info.cap_offset = sizeof(*arg);
		}
		kfree(caps.buf);
	}

	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int vfio_pci_add_msix_cap(struct vfio_pci_core_device *vdev,
				 struct vfio_info_cap *caps)
{
	struct vfio_info_cap_header header = {
		.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
		.version = 1,
	};

	return vfio_info_add_capability(caps, &header, sizeof(header));
}

static int vfio_pci_add_region_type_cap(struct vfio_pci_core_device *vdev,
					struct vfio_pci_region *region,
					struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_type cap_type = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
		.type = region->type,
		.subtype = region->subtype,
	};
	int ret;

	ret = vfio_info_add_capability(caps, &cap_type.header, sizeof(cap_type));
	if (ret || !region->ops->add_capability)
		return ret;

	return region->ops->add_capability(vdev, region, caps);
}

/* Fill @info (index already checked) and any capabilities into @caps. */
static int vfio_pci_region_info(struct vfio_pci_core_device *vdev,
				struct vfio_region_info *info,
				struct vfio_info_cap *caps)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int i;

	info->offset = VFIO_PCI_INDEX_TO_OFFSET(info->index);

	switch (info->index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info->size = pdev->cfg_size;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
		return 0;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		info->size = pci_resource_len(pdev, info->index);
		if (!info->size) {
			info->flags = 0;
			return 0;
		}
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
		if (vdev->bar_mmap_ok[info->index]) {
			info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
			if (info->index == vdev->msix_bar)
				return vfio_pci_add_msix_cap(vdev, caps);
		}
		return 0;
	case VFIO_PCI_ROM_REGION_INDEX:
		info->size = vfio_pci_rom_size(pdev);
		info->flags = info->size ? VFIO_REGION_INFO_FLAG_READ : 0;
		return 0;
	case VFIO_PCI_VGA_REGION_INDEX:
		if (!vdev->has_vga)
			return -EINVAL;
		info->size = VFIO_PCI_VGA_REGION_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
		return 0;
	default:
		i = info->index - VFIO_PCI_NUM_FIXED_REGIONS;
		info->size = vdev->region[i].size;
		info->flags = vdev->region[i].flags;
		return vfio_pci_add_region_type_cap(vdev, &vdev->region[i], caps);
	}
}

static int vfio_pci_ioctl_get_region_info(struct vfio_pci_core_device *vdev,
					  struct vfio_region_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index >= VFIO_PCI_NUM_FIXED_REGIONS + vdev->num_regions)
		return -EINVAL;

	ret = vfio_pci_region_info(vdev, &info, &caps);
	if (ret)
		goto out_free;

	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
			info.cap_offset = 0;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + 1, caps.buf, caps.size)) {
				ret = -EFAULT;
				goto out_free;
			}
			info.cap_offset = sizeof(*arg);
		}
	}

	if (copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
out_free:
	kfree(caps.buf);
	return ret;
}

static int vfio_pci_ioctl_get_irq_info(struct vfio_pci_core_device *vdev,
				       struct vfio_irq_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX && !pci_is_pcie(vdev->pdev))
		return -EINVAL;

	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = vfio_pci_irq_count(vdev, info.index);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index != VFIO_PCI_MSIX_IRQ_INDEX || !vdev->has_dyn_msix)
		info.flags |= VFIO_IRQ_INFO_NORESIZE;

	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int vfio_pci_ioctl_set_irqs(struct vfio_pci_core_device *vdev,
				   struct vfio_irq_set __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int max, ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;

	max = hdr.index < VFIO_PCI_NUM_IRQS ? vfio_pci_irq_count(vdev, hdr.index) : 0;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, max, VFIO_PCI_NUM_IRQS,
						 &data_size);
	if (ret)
		return ret;

	if (data_size) {
		data = memdup_user(&arg->data, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	mutex_lock(&vdev->igate);
	ret = vfio_pci_set_irqs_ioctl(vdev, hdr.flags, hdr.index, hdr.start,
				      hdr.count, data);
	mutex_unlock(&vdev->igate);
	kfree(data);
	return ret;
}

static int vfio_pci_ioctl_ioeventfd(struct vfio_pci_core_device *vdev,
				    struct vfio_device_ioeventfd __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_ioeventfd, fd);
	struct vfio_device_ioeventfd ioeventfd;
	int count;

	if (copy_from_user(&ioeventfd, arg, minsz))
		return -EFAULT;
	if (ioeventfd.argsz < minsz)
		return -EINVAL;
	if (ioeventfd.flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK)
		return -EINVAL;

	count = ioeventfd.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
	if (hweight8(count) != 1 || ioeventfd.fd < -1)
		return -EINVAL;

	return vfio_pci_ioeventfd(vdev, ioeventfd.offset, ioeventfd.data,
				  count, ioeventfd.fd);
}

static int vfio_pci_ioctl_reset(struct vfio_pci_core_device *vdev)
{
	int ret;

	if (!vdev->reset_works)
		return -EINVAL;

	/* Mappings go away across the reset and fault back in after it. */
	vfio_pci_memory_lock_and_zap(vdev);
	ret = pci_try_reset_function(vdev->pdev);
	up_write(&vdev->memory_lock);

	return ret;
}

static long vfio_pci_core_do_ioctl(struct vfio_pci_core_device *vdev,
				   unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vfio_pci_ioctl_get_info(vdev, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vfio_pci_ioctl_get_region_info(vdev, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vfio_pci_ioctl_get_irq_info(vdev, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return vfio_pci_ioctl_set_irqs(vdev, uarg);
	case VFIO_DEVICE_RESET:
		return vfio_pci_ioctl_reset(vdev);
	case VFIO_DEVICE_IOEVENTFD:
		return vfio_pci_ioctl_ioeventfd(vdev, uarg);
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return vfio_pci_ioctl_hot_reset_info(vdev, uarg);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return vfio_pci_ioctl_hot_reset(vdev, uarg);
	default:
		return -ENOTTY;
	}
}

/**
 * vfio_pci_core_ioctl - the device fd's ioctls
 * @core_vdev: the device
 * @cmd: VFIO_DEVICE_* ioctl number
 * @arg: user pointer to the ioctl's argument
 *
 * Return: 0 or a positive result on success, else a negative errno;
 * -ENOTTY for an ioctl the core does not implement.
 */
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	void __user *uarg = (void __user *)arg;
	bool pm_held;
	long ret;

	pm_held = vfio_pci_pm_access_begin(vdev);
	ret = vfio_pci_core_do_ioctl(vdev, cmd, uarg);
	vfio_pci_pm_access_end(vdev, pm_held);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_ioctl);

/**
 * vfio_pci_core_ioctl_feature - VFIO_DEVICE_FEATURE for the core's features
 * @device: the device
 * @flags: the feature number and VFIO_DEVICE_FEATURE_{GET,SET,PROBE}
 * @arg: user pointer to the feature's data
 * @argsz: size of the feature's data
 *
 * The core implements the low power features (LOW_POWER_ENTRY, _ENTRY_WITH_
 * WAKEUP, _EXIT) and, on an SR-IOV PF, PCI_VF_TOKEN.
 *
 * Return: 0 or a negative errno; -ENOTTY for a feature the core lacks.
 */
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags,
				void __user *arg, size_t argsz)
{
	struct vfio_pci_core_device *vdev =
		container_of(device, struct vfio_pci_core_device, vdev);

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return vfio_pci_feature_low_power(vdev, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
		return vfio_pci_feature_vf_token(vdev, flags, arg, argsz);
	default:
		return -ENOTTY;
	}
}
EXPORT_SYMBOL_GPL(vfio_pci_core_ioctl_feature);

/* ------------------------------------------------------------------ */
/* read, write, mmap                                                   */

static ssize_t vfio_pci_do_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			      size_t count, loff_t *ppos, bool iswrite)
{
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	struct vfio_pci_region *region;

	if (index >= VFIO_PCI_NUM_FIXED_REGIONS + vdev->num_regions)
		return -EINVAL;

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return vfio_pci_config_rw(vdev, buf, count, ppos, iswrite);
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		return vfio_pci_bar_rw(vdev, buf, count, ppos, iswrite);
	case VFIO_PCI_ROM_REGION_INDEX:
		if (iswrite)
			return -EINVAL;
		return vfio_pci_rom_read(vdev, buf, count, ppos);
	case VFIO_PCI_VGA_REGION_INDEX:
		if (!vdev->has_vga)
			return -EINVAL;
		return vfio_pci_vga_rw(vdev, buf, count, ppos, iswrite);
	default:
		region = &vdev->region[index - VFIO_PCI_NUM_FIXED_REGIONS];
		return region->ops->rw(vdev, region, buf, count, ppos, iswrite);
	}
}

static ssize_t vfio_pci_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			   size_t count, loff_t *ppos, bool iswrite)
{
	bool pm_held = vfio_pci_pm_access_begin(vdev);
	ssize_t ret = vfio_pci_do_rw(vdev, buf, count, ppos, iswrite);

	vfio_pci_pm_access_end(vdev, pm_held);
	return ret;
}

/**
 * vfio_pci_core_read - read() on the device fd
 * @core_vdev: the device
 * @buf: user buffer
 * @count: bytes wanted
 * @ppos: file offset: region index in the high bits, offset below
 *
 * Return: bytes read or a negative errno.
 */
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf,
			   size_t count, loff_t *ppos)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	if (!count)
		return 0;
	return vfio_pci_rw(vdev, buf, count, ppos, false);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_read);

/**
 * vfio_pci_core_write - write() on the device fd
 * @core_vdev: the device
 * @buf: user buffer
 * @count: bytes to write
 * @ppos: file offset: region index in the high bits, offset below
 *
 * Return: bytes written or a negative errno.
 */
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev,
			    const char __user *buf, size_t count, loff_t *ppos)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	if (!count)
		return 0;
	return vfio_pci_rw(vdev, (char __user *)buf, count, ppos, true);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_write);

/*
 * Mappings of BARs are filled in one page at a time on fault, so revoking
 * them is a single unmap of the device's address space: the fault handler
 * refuses to fill anything while memory_lock says the BARs are off limits.
 */
void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev)
{
	struct address_space *mapping = vdev->vdev.inode->i_mapping;

	unmap_mapping_range(mapping, 0, VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_ROM_REGION_INDEX),
			    true);
}

/* Take memory_lock for write and revoke every user mapping of the BARs. */
void vfio_pci_memory_lock_and_zap(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
	vfio_pci_zap_bars(vdev);
}

/*
 * Fills the user's mapping of a BAR with one entry of 2^@order pages: a
 * PTE, or a PMD/PUD where the architecture maps PFNs that large and the
 * user address, the BAR address and the VMA all line up.  The entry is
 * inserted only while memory_lock (held for read) says the user may touch
 * the device; otherwise the access gets SIGBUS.  A huge request that does
 * not fit falls back to smaller entries.
 */
static vm_fault_t vfio_pci_mmap_huge_fault(struct vm_fault *vmf,
					  unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vfio_pci_core_device *vdev = vma->vm_private_data;
	unsigned long size = PAGE_SIZE << order;
	unsigned long addr = ALIGN_DOWN(vmf->address, size);
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	int bar = VFIO_PCI_OFFSET_TO_INDEX(off);
	unsigned long pfn;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	/* The BAR page that backs @addr. */
	pfn = ((pci_resource_start(vdev->pdev, bar) + (off & VFIO_PCI_OFFSET_MASK))
	       >> PAGE_SHIFT) + ((addr - vma->vm_start) >> PAGE_SHIFT);

	if (order && (addr < vma->vm_start || addr + size > vma->vm_end ||
		      !IS_ALIGNED(pfn, 1UL << order)))
		return VM_FAULT_FALLBACK;

	down_read(&vdev->memory_lock);
	if (!vfio_pci_memory_enabled(vdev) || vdev->power_low ||
	    READ_ONCE(vdev->pm_engaged))
		goto out;

	switch (order) {
	case 0:
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
		break;
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	case PMD_ORDER:
		ret = vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					 vmf->flags & FAULT_FLAG_WRITE);
		break;
#endif
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
	case PUD_ORDER:
		ret = vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					 vmf->flags & FAULT_FLAG_WRITE);
		break;
#endif
	default:
		ret = VM_FAULT_FALLBACK;
	}
out:
	up_read(&vdev->memory_lock);
	return ret;
}

static vm_fault_t vfio_pci_mmap_fault(struct vm_fault *vmf)
{
	return vfio_pci_mmap_huge_fault(vmf, 0);
}

static const struct vm_operations_struct vfio_pci_mmap_ops = {
	.fault = vfio_pci_mmap_fault,
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
	.huge_fault = vfio_pci_mmap_huge_fault,
#endif
};

/**
 * vfio_pci_core_mmap - mmap() on the device fd
 * @core_vdev: the device
 * @vma: the new mapping; its offset selects the region
 *
 * Memory BARs that start on a page can be mapped, shared, in whole pages;
 * a BAR smaller than a page is mapped as its page.
 * Pages are filled in on fault and revoked whenever the user may not touch
 * the device's memory (decode off, reset, low power).
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_core_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(off);
	u64 start = off & VFIO_PCI_OFFSET_MASK;
	u64 len = vma->vm_end - vma->vm_start;
	int ret;

	if (index >= VFIO_PCI_NUM_FIXED_REGIONS + vdev->num_regions)
		return -EINVAL;
	if (index >= VFIO_PCI_NUM_FIXED_REGIONS) {
		struct vfio_pci_region *region =
			&vdev->region[index - VFIO_PCI_NUM_FIXED_REGIONS];

		if (!region->ops->mmap || !(region->flags & VFIO_REGION_INFO_FLAG_MMAP))
			return -EINVAL;
		return region->ops->mmap(vdev, region, vma);
	}
	if (index > VFIO_PCI_BAR5_REGION_INDEX || !vdev->bar_mmap_ok[index])
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (start + len > PAGE_ALIGN(pci_resource_len(vdev->pdev, index)) ||
	    start + len < start)
		return -EINVAL;

	ret = vfio_pci_core_setup_barmap(vdev, index);
	if (ret)
		return ret;

	vma->vm_private_data = vdev;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &vfio_pci_mmap_ops;

	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_mmap);

/**
 * vfio_pci_core_request - ask the user to release the device
 * @core_vdev: the device
 * @count: how many times the VFIO core has asked so far
 *
 * Signals the REQ eventfd when the user registered one.
 */
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct pci_dev *pdev = vdev->pdev;

	mutex_lock(&vdev->notify_lock);
	if (vdev->req_trigger) {
		if (!(count % 10))
			pci_notice_ratelimited(pdev, "asking the user to release the device (%u)\n",
					       count);
		eventfd_signal(vdev->req_trigger);
	} else if (!count) {
		pci_warn(pdev, "no request channel registered; waiting for the user to release the device\n");
	}
	mutex_unlock(&vdev->notify_lock);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_request);

/**
 * vfio_pci_core_match - does a VFIO_GROUP_GET_DEVICE_FD name pick this device
 * @core_vdev: the device
 * @buf: the name the user gave
 *
 * Return: 1 on a match, 0 if the name is another device's, a negative errno
 * when it names this device with options that are not valid for it.
 */
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	const char *name = pci_name(vdev->pdev);
	size_t len = strlen(name);

	int ret;

	if (strncmp(buf, name, len))
		return 0;
	if (buf[len] && buf[len] != ' ')
		return 0;

	/* The only option a name may carry is an SR-IOV VF token. */
	ret = vfio_pci_check_vf_token(vdev, buf[len] ? buf + len + 1 : NULL);
	return ret ? ret : 1;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_match);

/**
 * vfio_pci_core_register_dev_region - add a device-specific region
 * @vdev: the device, between vfio_pci_core_enable() and the end of open
 * @type: VFIO_REGION_TYPE_* of the region
 * @subtype: subtype within @type
 * @ops: access methods
 * @size: bytes
 * @flags: VFIO_REGION_INFO_FLAG_*
 * @data: passed back through @ops
 *
 * The region gets the next index after the fixed ones and is reported with
 * a VFIO_REGION_INFO_CAP_TYPE capability.  It is released (through
 * @ops->release) when the device is closed.
 *
 * Return: 0 or -ENOMEM.
 */
int vfio_pci_core_register_dev_region(struct vfio_pci_core_device *vdev,
				      unsigned int type, unsigned int subtype,
				      const struct vfio_pci_regops *ops,
				      size_t size, u32 flags, void *data)
{
	struct vfio_pci_region *region;

	region = krealloc_array(vdev->region, vdev->num_regions + 1,
				sizeof(*region), GFP_KERNEL_ACCOUNT);
	if (!region)
		return -ENOMEM;

	vdev->region = region;
	vdev->region[vdev->num_regions] = (struct vfio_pci_region) {
		.type = type,
		.subtype = subtype,
		.ops = ops,
		.size = size,
		.flags = flags,
		.data = data,
	};
	vdev->num_regions++;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_register_dev_region);

/* ------------------------------------------------------------------ */
/* life cycle                                                          */

/**
 * vfio_pci_core_init_dev - ->init of a driver built on the core
 * @core_vdev: the device, just allocated by vfio_alloc_device()
 *
 * Return: 0.
 */
int vfio_pci_core_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	vdev->pdev = to_pci_dev(core_vdev->dev);
	vdev->irq_type = VFIO_PCI_NUM_IRQS;
	vdev->msix_bar = -1;
	mutex_init(&vdev->igate);
	mutex_init(&vdev->notify_lock);
	spin_lock_init(&vdev->irqlock);
	init_rwsem(&vdev->memory_lock);
	mutex_init(&vdev->cfg_lock);
	seqcount_mutex_init(&vdev->cfg_seq, &vdev->cfg_lock);
	mutex_init(&vdev->ioeventfds_lock);
	INIT_LIST_HEAD(&vdev->ioeventfds_list);
	mutex_init(&vdev->pm_lock);

	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_init_dev);

/**
 * vfio_pci_core_release_dev - ->release of a driver built on the core
 * @core_vdev: the device, on its last reference
 */
void vfio_pci_core_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	vfio_pci_mig_release(vdev);
	mutex_destroy(&vdev->notify_lock);
	mutex_destroy(&vdev->igate);
	mutex_destroy(&vdev->cfg_lock);
	mutex_destroy(&vdev->ioeventfds_lock);
	mutex_destroy(&vdev->pm_lock);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_release_dev);

/*
 * Functions that a reset can only reach together share a device set: one
 * alone on a root bus is its own set, functions of a slot with a working
 * slot reset share the slot, anything else shares its bus.
 */
static int vfio_pci_assign_set(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	if (pci_is_root_bus(pdev->bus))
		return vfio_assign_device_set(&vdev->vdev, vdev);
	if (pdev->slot && !pci_probe_reset_slot(pdev->slot))
		return vfio_assign_device_set(&vdev->vdev, pdev->slot);
	return vfio_assign_device_set(&vdev->vdev, pdev->bus);
}

/**
 * vfio_pci_core_register_device - make the function available to userspace
 * @vdev: the device, allocated with vfio_alloc_device()
 *
 * Called from the driver's probe.  Puts the function in its device set,
 * lets it go idle (D3hot) until it is opened unless idle D3 is disabled,
 * and registers it with the VFIO core.
 *
 * Return: 0 or a negative errno, with nothing registered.
 */
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct device *dev = &pdev->dev;
	int ret;

	/* Only type 0 (normal) headers are virtualized by the config code. */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;

	if (WARN_ON(vdev->vdev.mig_ops && (!vdev->vdev.mig_ops->migration_get_state ||
					   !vdev->vdev.mig_ops->migration_set_state ||
					   !(vdev->vdev.migration_flags & VFIO_MIGRATION_STOP_COPY))))
		return -EINVAL;

	ret = vfio_pci_assign_set(vdev);
	if (ret)
		return ret;
	dev_set_drvdata(dev, vdev);

	ret = vfio_pci_sriov_init(vdev);
	if (ret)
		return ret;

	/*
	 * The PCI core holds a runtime PM reference across probe; dropping it
	 * lets the idle function suspend.  With idle D3 disabled we keep it.
	 */
	vdev->idle_d3 = !vfio_pci_disable_idle_d3;
	if (vdev->idle_d3) {
		pm_runtime_allow(dev);
		pm_runtime_put(dev);
	}

	ret = vfio_register_group_dev(&vdev->vdev);
	if (ret)
		goto err_pm;

	return 0;

err_pm:
	if (vdev->idle_d3) {
		pm_runtime_get_noresume(dev);
		pm_runtime_forbid(dev);
	}
	vfio_pci_sriov_exit(vdev);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_register_device);

/**
 * vfio_pci_core_unregister_device - undo vfio_pci_core_register_device()
 * @vdev: the device
 *
 * Called from the driver's remove.  Disables SR-IOV on a PF, then waits
 * until every user has closed the device (asking them through the request
 * channel).
 */
void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev)
{
	struct device *dev = &vdev->pdev->dev;

	/* VFs first: their users are asked to let go before the PF's are. */
	vfio_pci_sriov_exit(vdev);
	vfio_unregister_group_dev(&vdev->vdev);

	if (vdev->idle_d3) {
		pm_runtime_get_noresume(dev);
		pm_runtime_forbid(dev);
	}
}
EXPORT_SYMBOL_GPL(vfio_pci_core_unregister_device);

/* ------------------------------------------------------------------ */
/* errors                                                              */

/**
 * vfio_pci_core_aer_err_detected - the AER error_detected handler
 * @pdev: the function that saw an error
 * @state: the channel state the PCI core reports
 *
 * Tells the user through the ERR eventfd and asks the AER core to leave
 * recovery to the user.
 *
 * Return: PCI_ERS_RESULT_CAN_RECOVER.
 */
pci_ers_result_t vfio_pci_core_aer_err_detected(struct pci_dev *pdev,
						pci_channel_state_t state)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	mutex_lock(&vdev->notify_lock);
	if (vdev->err_trigger)
		eventfd_signal(vdev->err_trigger);
	mutex_unlock(&vdev->notify_lock);

	return PCI_ERS_RESULT_CAN_RECOVER;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_aer_err_detected);

/*
 * Whoever reset the function (the user through the core, the PCI core on
 * its own, or an admin through sysfs), its migration state is gone with it.
 */
static void vfio_pci_core_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (vdev)
		vfio_pci_core_mig_reset(vdev);
}

/* Documented in vfio_pci_core.h. */
const struct pci_error_handlers vfio_pci_core_err_handlers = {
	.error_detected = vfio_pci_core_aer_err_detected,
	.reset_done = vfio_pci_core_reset_done,
};
EXPORT_SYMBOL_GPL(vfio_pci_core_err_handlers);

static int __init vfio_pci_core_init(void)
{
	return vfio_pci_cfg_tables_init();
}

static void __exit vfio_pci_core_exit(void)
{
	vfio_pci_cfg_tables_exit();
}

module_init(vfio_pci_core_init);
module_exit(vfio_pci_core_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI core: the library VFIO PCI drivers are built from");
