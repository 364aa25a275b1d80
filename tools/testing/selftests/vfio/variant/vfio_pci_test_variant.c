// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-test-variant: a variant driver for QEMU's pci-testdev (1b36:0005),
 * built on vfio-pci-core's exports the way a vendor driver is, for the
 * selftests only (vfio_variant_test).
 *
 * Everything but one thing is the core's: each open adds a 4 KiB scratch
 * RAM region of a Red Hat vendor type after the nine fixed regions, which
 * userspace reads and writes through the device fd.  It is zeroed on every
 * open and freed by the region's release op on close, so a test can see that
 * the core released it.
 *
 * It binds only where driver_override names it.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio_pci_core.h"

#define PCI_DEVICE_ID_REDHAT_TEST	0x0005

#define TEST_VARIANT_REGION_TYPE \
	(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI_VENDOR_ID_REDHAT)
#define TEST_VARIANT_REGION_SUBTYPE	1
#define TEST_VARIANT_REGION_SIZE	SZ_4K

/**
 * struct test_variant_device - pci-testdev owned by this driver
 * @core: the core's device; must stay first (vfio_alloc_device() checks)
 * @scratch: the scratch region's memory while the device is open, else NULL
 *
 * @scratch is set in the open path and cleared by the region's release op,
 * both under the device set's lock, so the next open can tell whether the
 * core released the region; read/write use the region's own data.
 */
struct test_variant_device {
	struct vfio_pci_core_device	core;
	u8				*scratch;
};

static struct test_variant_device *
to_test_variant(struct vfio_pci_core_device *vdev)
{
	return container_of(vdev, struct test_variant_device, core);
}

/*
 * Concurrent accesses by the user race only with each other on the user's
 * own bytes; the buffer lives until close, after the last read or write.
 */
static ssize_t test_variant_scratch_rw(struct vfio_pci_core_device *vdev,
				       struct vfio_pci_region *region,
				       char __user *buf, size_t count,
				       loff_t *ppos, bool iswrite)
{
	u8 *scratch = region->data;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	unsigned long left;

	if (pos >= TEST_VARIANT_REGION_SIZE)
		return -EINVAL;
	count = min_t(size_t, count, TEST_VARIANT_REGION_SIZE - pos);

	if (iswrite)
		left = copy_from_user(scratch + pos, buf, count);
	else
		left = copy_to_user(buf, scratch + pos, count);
	if (left)
		return -EFAULT;

	*ppos += count;
	return count;
}

static void test_variant_scratch_release(struct vfio_pci_core_device *vdev,
					 struct vfio_pci_region *region)
{
	kfree(region->data);
	to_test_variant(vdev)->scratch = NULL;
}

static const struct vfio_pci_regops test_variant_scratch_ops = {
	.rw		= test_variant_scratch_rw,
	.release	= test_variant_scratch_release,
};

static int test_variant_add_scratch(struct test_variant_device *tvdev)
{
	u8 *scratch;
	int ret;

	scratch = kzalloc(TEST_VARIANT_REGION_SIZE, GFP_KERNEL_ACCOUNT);
	if (!scratch)
		return -ENOMEM;

	ret = vfio_pci_core_register_dev_region(&tvdev->core,
						TEST_VARIANT_REGION_TYPE,
						TEST_VARIANT_REGION_SUBTYPE,
						&test_variant_scratch_ops,
						TEST_VARIANT_REGION_SIZE,
						VFIO_REGION_INFO_FLAG_READ |
						VFIO_REGION_INFO_FLAG_WRITE,
						scratch);
	if (ret) {
		kfree(scratch);
		return ret;
	}

	tvdev->scratch = scratch;
	return 0;
}

static int test_variant_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct test_variant_device *tvdev = to_test_variant(vdev);
	int ret;

	/* The core calls the release op of every region on close. */
	if (WARN_ON_ONCE(tvdev->scratch))
		return -EBUSY;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	ret = test_variant_add_scratch(tvdev);
	if (ret)
		goto err_disable;

	ret = vfio_pci_core_finish_enable(vdev);
	if (ret)
		goto err_disable;
	return 0;

err_disable:
	vfio_pci_core_disable(vdev);
	return ret;
}

static const struct vfio_device_ops test_variant_ops = {
	.name		= "vfio-pci-test-variant",
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= test_variant_open_device,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

static int test_variant_probe(struct pci_dev *pdev,
			      const struct pci_device_id *id)
{
	struct test_variant_device *tvdev;
	int ret;

	tvdev = vfio_alloc_device(test_variant_device, core.vdev, &pdev->dev,
				  &test_variant_ops);
	if (IS_ERR(tvdev))
		return PTR_ERR(tvdev);

	ret = vfio_pci_core_register_device(&tvdev->core);
	if (ret)
		goto err_put;
	return 0;

err_put:
	vfio_put_device(&tvdev->core.vdev);
	return ret;
}

static void test_variant_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

/* pci-testdev, and only when driver_override names us. */
static const struct pci_device_id test_variant_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_REDHAT,
					  PCI_DEVICE_ID_REDHAT_TEST) },
	{}
};
MODULE_DEVICE_TABLE(pci, test_variant_table);

static struct pci_driver test_variant_driver = {
	.name			= "vfio-pci-test-variant",
	.id_table		= test_variant_table,
	.probe			= test_variant_probe,
	.remove			= test_variant_remove,
	.err_handler		= &vfio_pci_core_err_handlers,
	.driver_managed_dma	= true,
	.driver.pm		= &vfio_pci_core_pm_ops,
};
module_pci_driver(test_variant_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO variant driver for QEMU's pci-testdev, for the VFIO PCI selftests");
