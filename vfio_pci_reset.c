// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO PCI hot reset: a secondary bus (or slot) reset that reaches every
 * function below the bus or in the slot.  Those functions form the
 * device's device set, and a user may reset them only when it owns them.
 * A user of the group interface proves it by passing an fd of the group of
 * every open function.  A user of the cdev interface passes no fds: its
 * proof is the iommufd it bound the calling device to, which must hold
 * every function of the set, or a device of its IOMMU group (the group is
 * then owned as a whole).  A reset that reaches SR-IOV VFs, or a PF with
 * VFs enabled, is refused whoever owns them.
 *
 * Locking: the device set's lock is held throughout; each function's
 * memory_lock is then taken for write (nested under the set's lock) and
 * its user mappings revoked, and every function is powered up, so that the
 * reset meets no user access and no suspended function.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio_pci_priv.h"

/* The slot whose reset reaches @pdev, NULL for the bus; -ENODEV for neither. */
static int vfio_pci_reset_scope(struct pci_dev *pdev, struct pci_slot **slot)
{
	*slot = NULL;
	if (pdev->slot && !pci_probe_reset_slot(pdev->slot)) {
		*slot = pdev->slot;
		return 0;
	}
	return pci_probe_reset_bus(pdev->bus) ? -ENODEV : 0;
}

/* Is @dev, or the bridge it sits below, a function of @slot? */
static bool vfio_pci_in_slot(struct pci_dev *dev, struct pci_slot *slot)
{
	while (dev->bus != slot->bus && dev->bus->self)
		dev = dev->bus->self;
	return dev->slot == slot;
}

struct vfio_pci_walk {
	struct pci_slot	*slot;
	int		(*fn)(struct pci_dev *dev, void *data);
	void		*data;
};

static int vfio_pci_walk_one(struct pci_dev *dev, void *arg)
{
	struct vfio_pci_walk *walk = arg;

	if (walk->slot && !vfio_pci_in_slot(dev, walk->slot))
		return 0;
	return walk->fn(dev, walk->data);
}

/* Call @fn for every function a hot reset of @pdev reaches. */
static int vfio_pci_for_each_affected(struct pci_dev *pdev, struct pci_slot *slot,
				      int (*fn)(struct pci_dev *, void *),
				      void *data)
{
	struct vfio_pci_walk walk = { .slot = slot, .fn = fn, .data = data };

	pci_walk_bus(slot ? slot->bus : pdev->bus, vfio_pci_walk_one, &walk);
	return 0;
}

/*
 * What a cdev user sees of @dev in a hot reset: the id @ictx gave it when
 * it is bound there, VFIO_PCI_DEVID_OWNED when @ictx holds another device
 * of its IOMMU group, else VFIO_PCI_DEVID_NOT_OWNED (also for a function
 * outside @dev_set, which no VFIO user owns).  @dev_set's lock is held.
 */
static s32 vfio_pci_cdev_devid(struct vfio_device_set *dev_set,
			       struct pci_dev *dev, struct iommufd_ctx *ictx)
{
	struct vfio_device *vd;
	s32 devid = VFIO_PCI_DEVID_NOT_OWNED;
	struct iommu_group *group;
	int id;

	vd = vfio_find_device_in_devset(dev_set, &dev->dev);
	if (!vd)
		return VFIO_PCI_DEVID_NOT_OWNED;
	id = vfio_iommufd_get_dev_id(vd, ictx);
	if (id > 0)
		return id;

	group = iommu_group_get(&dev->dev);
	if (!group)
		return VFIO_PCI_DEVID_NOT_OWNED;
#if IS_ENABLED(CONFIG_IOMMUFD)
	if (iommufd_ctx_has_group(ictx, group))
		devid = VFIO_PCI_DEVID_OWNED;
#endif
	iommu_group_put(group);
	return devid;
}

#if IS_ENABLED(CONFIG_IOMMUFD)
/* iommufd_ctx_has_group() is in the IOMMUFD namespace. */
MODULE_IMPORT_NS(IOMMUFD);
#endif

static int vfio_pci_count_one(struct pci_dev *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

struct vfio_pci_fill {
	struct vfio_pci_dependent_device	*devices;
	unsigned int				max;
	unsigned int				cur;
	int					ret;
	/* cdev callers: ids in @ictx instead of group ids */
	struct vfio_device_set			*dev_set;
	struct iommufd_ctx			*ictx;
	bool					all_owned;
};

static int vfio_pci_fill_one(struct pci_dev *dev, void *data)
{
	struct vfio_pci_fill *fill = data;
	struct iommu_group *group;

	if (fill->cur >= fill->max) {
		fill->ret = -EAGAIN;	/* the bus grew since we counted */
		return 1;
	}

	fill->devices[fill->cur] = (struct vfio_pci_dependent_device) {
		.segment = pci_domain_nr(dev->bus),
		.bus = dev->bus->number,
		.devfn = dev->devfn,
	};

	if (fill->ictx) {
		s32 devid = vfio_pci_cdev_devid(fill->dev_set, dev, fill->ictx);

		if (devid == VFIO_PCI_DEVID_NOT_OWNED)
			fill->all_owned = false;
		fill->devices[fill->cur].devid = devid;
	} else {
		group = iommu_group_get(&dev->dev);
		if (!group) {
			fill->ret = -EPERM;
			return 1;
		}
		fill->devices[fill->cur].group_id = iommu_group_id(group);
		iommu_group_put(group);
	}
	fill->cur++;
	return 0;
}

/**
 * vfio_pci_ioctl_hot_reset_info - VFIO_DEVICE_GET_PCI_HOT_RESET_INFO
 * @vdev: the device
 * @arg: user's struct vfio_pci_hot_reset_info
 *
 * A device opened through the group interface gets the group of every
 * function the reset reaches; one opened as a cdev gets their ids in its
 * iommufd (VFIO_PCI_HOT_RESET_FLAG_DEV_ID), and
 * VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED when that iommufd owns them all.
 *
 * Return: 0; -ENOSPC with the needed count filled in when the user's array
 * is short; -ENODEV when no hot reset reaches the device.
 */
int vfio_pci_ioctl_hot_reset_info(struct vfio_pci_core_device *vdev,
				  struct vfio_pci_hot_reset_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_pci_hot_reset_info, count);
	struct vfio_pci_hot_reset_info hdr;
	struct vfio_pci_fill fill = { };
	struct pci_slot *slot;
	unsigned int count = 0;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz)
		return -EINVAL;

	hdr.flags = 0;
	if (vfio_device_cdev_opened(&vdev->vdev)) {
		fill.ictx = vfio_iommufd_device_ictx(&vdev->vdev);
		if (!fill.ictx)
			return -EINVAL;
		fill.dev_set = vdev->vdev.dev_set;
		fill.all_owned = true;
		hdr.flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID;
	}
	ret = vfio_pci_reset_scope(vdev->pdev, &slot);
	if (ret)
		return ret;

	vfio_pci_for_each_affected(vdev->pdev, slot, vfio_pci_count_one, &count);

	if (hdr.argsz < sizeof(hdr) + count * sizeof(*fill.devices)) {
		hdr.count = count;
		return copy_to_user(arg, &hdr, minsz) ? -EFAULT : -ENOSPC;
	}

	fill.devices = kcalloc(count, sizeof(*fill.devices), GFP_KERNEL);
	if (!fill.devices)
		return -ENOMEM;
	fill.max = count;

	/* Who is bound where holds still under the set's lock. */
	if (fill.dev_set)
		mutex_lock(&fill.dev_set->lock);
	vfio_pci_for_each_affected(vdev->pdev, slot, vfio_pci_fill_one, &fill);
	if (fill.dev_set)
		mutex_unlock(&fill.dev_set->lock);
	ret = fill.ret;
	if (ret)
		goto out_free;

	if (fill.ictx && fill.all_owned)
		hdr.flags |= VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	hdr.count = fill.cur;
	if (copy_to_user(arg, &hdr, minsz) ||
	    copy_to_user(arg->devices, fill.devices,
			 fill.cur * sizeof(*fill.devices)))
		ret = -EFAULT;
out_free:
	kfree(fill.devices);
	return ret;
}

struct vfio_pci_member_check {
	struct vfio_device_set	*dev_set;
	struct iommufd_ctx	*ictx;	/* cdev caller: each must be owned */
	int			ret;
};

/*
 * Every function the reset reaches must be in the set.  None may be an
 * SR-IOV VF or a PF with VFs enabled: the reset clears VF Enable under the
 * VFs' feet, whoever owns them.
 */
static int vfio_pci_check_member(struct pci_dev *dev, void *data)
{
	struct vfio_pci_member_check *check = data;

	if (dev->is_virtfn || pci_num_vf(dev)) {
		check->ret = -EBUSY;
		return 1;
	}
	if (!vfio_find_device_in_devset(check->dev_set, &dev->dev)) {
		check->ret = -EINVAL;
		return 1;
	}
	if (check->ictx && vfio_pci_cdev_devid(check->dev_set, dev, check->ictx) ==
			   VFIO_PCI_DEVID_NOT_OWNED) {
		check->ret = -EPERM;
		return 1;
	}
	return 0;
}

static bool vfio_pci_owned(struct vfio_pci_core_device *vdev,
			   struct file **files, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (vfio_file_has_dev(files[i], &vdev->vdev))
			return true;
	return false;
}

/*
 * Reset the whole set.  A group caller (@ictx NULL) must hold every open
 * member in one of @files' groups; a cdev caller's @ictx must own every
 * member, open or not.
 */
static int vfio_pci_dev_set_hot_reset(struct vfio_pci_core_device *vdev,
				      struct pci_slot *slot,
				      struct file **files, unsigned int count,
				      struct iommufd_ctx *ictx)
{
	struct vfio_device_set *dev_set = vdev->vdev.dev_set;
	struct vfio_pci_member_check check = { .dev_set = dev_set, .ictx = ictx };
	struct vfio_pci_core_device *cur, *failed = NULL;
	int ret;

	mutex_lock(&dev_set->lock);

	vfio_pci_for_each_affected(vdev->pdev, slot, vfio_pci_check_member, &check);
	if (check.ret) {
		pci_info_ratelimited(vdev->pdev, "hot reset refused: %s\n",
				     check.ret == -EBUSY ?
				     "it reaches SR-IOV virtual functions" :
				     check.ret == -EPERM ?
				     "it reaches a function this iommufd does not own" :
				     "it reaches a function not bound to a VFIO PCI driver");
		ret = -EINVAL;
		goto out_unlock;
	}

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		if (!ictx && cur->is_open && !vfio_pci_owned(cur, files, count)) {
			pci_info_ratelimited(vdev->pdev,
					     "hot reset refused: caller does not own %s\n",
					     pci_name(cur->pdev));
			ret = -EINVAL;
			goto out_unlock;
		}
	}

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		ret = pm_runtime_resume_and_get(&cur->pdev->dev);
		if (ret) {
			failed = cur;
			goto out_pm_put;
		}
	}

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		down_write_nest_lock(&cur->memory_lock, &dev_set->lock);
		vfio_pci_zap_bars(cur);
	}

	ret = pci_reset_bus(vdev->pdev);

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		if (!ret)
			cur->needs_reset = false;
		up_write(&cur->memory_lock);
	}

out_pm_put:
	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		if (cur == failed)
			break;
		pm_runtime_put(&cur->pdev->dev);
	}
out_unlock:
	mutex_unlock(&dev_set->lock);
	return ret;
}

/**
 * vfio_pci_ioctl_hot_reset - VFIO_DEVICE_PCI_HOT_RESET
 * @vdev: the device
 * @arg: user's struct vfio_pci_hot_reset with its group fds
 *
 * A device opened through the group interface proves ownership with group
 * fds; one opened as a cdev passes none (@arg's count 0) and is judged by
 * its iommufd, see vfio_pci_ioctl_hot_reset_info().
 *
 * Return: 0 or a negative errno: -EINVAL when the fds (or the iommufd) do
 * not prove ownership of the functions the reset reaches, or for the
 * other interface's form.
 */
int vfio_pci_ioctl_hot_reset(struct vfio_pci_core_device *vdev,
			     struct vfio_pci_hot_reset __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_pci_hot_reset, count);
	struct vfio_pci_hot_reset hdr;
	struct iommufd_ctx *ictx = NULL;
	struct file **files = NULL;
	struct pci_slot *slot;
	unsigned int affected = 0, i;
	s32 *fds = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz || hdr.flags)
		return -EINVAL;

	/* The empty array is the cdev form, and the only one it has. */
	if (vfio_device_cdev_opened(&vdev->vdev)) {
		ictx = vfio_iommufd_device_ictx(&vdev->vdev);
		if (hdr.count || !ictx)
			return -EINVAL;
	} else if (!hdr.count) {
		return -EINVAL;
	}

	ret = vfio_pci_reset_scope(vdev->pdev, &slot);
	if (ret)
		return ret;
	if (ictx)
		return vfio_pci_dev_set_hot_reset(vdev, slot, NULL, 0, ictx);

	vfio_pci_for_each_affected(vdev->pdev, slot, vfio_pci_count_one, &affected);

	/* No more groups than functions, and the array must be all there. */
	if (hdr.count > affected ||
	    hdr.argsz - minsz < (size_t)hdr.count * sizeof(*fds))
		return -EINVAL;

	fds = memdup_array_user(arg->group_fds, hdr.count, sizeof(*fds));
	if (IS_ERR(fds))
		return PTR_ERR(fds);

	files = kcalloc(hdr.count, sizeof(*files), GFP_KERNEL);
	if (!files) {
		ret = -ENOMEM;
		goto out_free;
	}

	for (i = 0; i < hdr.count; i++) {
		files[i] = fget(fds[i]);
		if (!files[i]) {
			ret = -EBADF;
			goto out_put;
		}
		if (!vfio_file_is_group(files[i])) {
			fput(files[i]);
			files[i] = NULL;
			ret = -EINVAL;
			goto out_put;
		}
	}

	ret = vfio_pci_dev_set_hot_reset(vdev, slot, files, hdr.count, NULL);

out_put:
	for (i = 0; i < hdr.count && files[i]; i++)
		fput(files[i]);
out_free:
	kfree(files);
	kfree(fds);
	return ret;
}

/**
 * vfio_pci_dev_set_reset_on_release - reset a device set nobody uses
 * @dev_set: the set of a device its last user just closed; lock held
 *
 * A function without a reset of its own is left as its user had it when
 * closed.  Once no function of the set is open, a slot or bus reset
 * reaches all of them; do it if one of them needs it and the reset touches
 * nothing outside the set.
 */
void vfio_pci_dev_set_reset_on_release(struct vfio_device_set *dev_set)
{
	struct vfio_pci_member_check check = { .dev_set = dev_set };
	struct vfio_pci_core_device *cur, *pick = NULL, *failed = NULL;
	struct pci_slot *slot;
	int ret;

	lockdep_assert_held(&dev_set->lock);

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		if (cur->is_open)
			return;
		if (cur->needs_reset)
			pick = cur;
	}
	if (!pick || vfio_pci_reset_scope(pick->pdev, &slot))
		return;

	vfio_pci_for_each_affected(pick->pdev, slot, vfio_pci_check_member, &check);
	if (check.ret)
		return;

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		if (pm_runtime_resume_and_get(&cur->pdev->dev)) {
			failed = cur;
			goto out_pm_put;
		}
	}

	ret = pci_reset_bus(pick->pdev);
	if (ret) {
		pci_dbg(pick->pdev, "%s reset on release failed: %d\n",
			slot ? "slot" : "bus", ret);
	} else {
		pci_info(pick->pdev, "%s reset on release of its device set\n",
			 slot ? "slot" : "bus");
		list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list)
			cur->needs_reset = false;
	}

out_pm_put:
	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		if (cur == failed)
			break;
		pm_runtime_put(&cur->pdev->dev);
	}
}
