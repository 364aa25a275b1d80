// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci: the generic VFIO driver for PCI functions.
 *
 * It binds only where an administrator asks: a function whose
 * driver_override says "vfio-pci", or one whose ids are listed in the
 * "ids" parameter, and never to a function of its denylist unless told
 * so.  Everything it does is the core's; the only code of its own is the
 * module parameters, the denylist, the SR-IOV gate and the IGD setup step
 * in the open path.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/vfio.h>

#include "vfio_pci_core.h"
#include "vfio_pci_igd.h"

static char ids[1024] __initdata;
module_param_string(ids, ids, sizeof(ids), 0);
MODULE_PARM_DESC(ids, "Also bind these devices without driver_override: \"vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]\", comma-separated, hexadecimal");

static bool nointxmask;
static bool disable_vga;
static bool disable_idle_d3;

/* The core keeps its own copy; tell it whenever one of these changes. */
static int vfio_pci_param_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	if (!ret)
		vfio_pci_core_set_params(nointxmask, disable_vga, disable_idle_d3);
	return ret;
}

static const struct kernel_param_ops vfio_pci_param_ops = {
	.set = vfio_pci_param_set,
	.get = param_get_bool,
};

module_param_cb(nointxmask, &vfio_pci_param_ops, &nointxmask, 0644);
MODULE_PARM_DESC(nointxmask, "Take INTx exclusively instead of masking it at the function (PCI 2.3); for functions whose masking is broken. Applies to devices opened afterwards.");

#ifdef CONFIG_VFIO_PCI_VGA
module_param_cb(disable_vga, &vfio_pci_param_ops, &disable_vga, 0444);
MODULE_PARM_DESC(disable_vga, "Do not offer the legacy VGA region of VGA-class functions");
#endif

module_param_cb(disable_idle_d3, &vfio_pci_param_ops, &disable_idle_d3, 0644);
MODULE_PARM_DESC(disable_idle_d3, "Keep functions in D0 while nobody has them open. Applies to devices bound afterwards.");

static bool disable_denylist;
module_param(disable_denylist, bool, 0444);
MODULE_PARM_DESC(disable_denylist, "Bind functions of the denylist too (Intel QuickAssist C3xxx, C62x, DH895xCC), at your own risk");

static bool enable_sriov;
#ifdef CONFIG_PCI_IOV
module_param(enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov, "Allow sriov_numvfs on physical functions bound to vfio-pci");
#endif

static int vfio_pci_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	ret = vfio_pci_igd_init(vdev);
	if (ret && ret != -ENODEV) {
		pci_warn(vdev->pdev, "cannot set up Intel graphics regions: %d\n", ret);
		goto err_disable;
	}

	/* The IGD regions go with the others in vfio_pci_core_disable(). */
	ret = vfio_pci_core_finish_enable(vdev);
	if (ret)
		goto err_disable;
	return 0;

err_disable:
	vfio_pci_core_disable(vdev);
	return ret;
}

static const struct vfio_device_ops vfio_pci_ops = {
	.name		= "vfio-pci",
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vfio_pci_open_device,
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

/*
 * Functions with errata that make them unsafe to hand to a user: the Intel
 * QuickAssist physical and virtual functions the reference refuses too.
 */
static const struct pci_device_id vfio_pci_denylist[] = {
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC_VF) },
#ifdef VFIO_PCI_DENYLIST_TEST
	/*
	 * The selftests' build of this file (selftests/vfio/denylist) adds
	 * pci-testdev: QEMU emulates none of the functions above.
	 */
	{ PCI_VDEVICE(REDHAT, 0x0005) },
#endif
	{}
};

static bool vfio_pci_denied(struct pci_dev *pdev)
{
	if (!pci_match_id(vfio_pci_denylist, pdev))
		return false;
	if (disable_denylist) {
		pci_warn(pdev, "binding a function of the denylist: disable_denylist is set\n");
		return false;
	}
	pci_warn(pdev, "not binding: %04x:%04x is on the denylist (disable_denylist=1 overrides)\n",
		 pdev->vendor, pdev->device);
	return true;
}

static int vfio_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	if (vfio_pci_denied(pdev))
		return -EINVAL;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &vfio_pci_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	ret = vfio_pci_core_register_device(vdev);
	if (ret)
		goto err_put;
	return 0;

err_put:
	vfio_put_device(&vdev->vdev);
	return ret;
}

static void vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static int vfio_pci_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (!enable_sriov)
		return -ENOENT;
	return vfio_pci_core_sriov_configure(vdev, nr_virtfn);
}

/* Any function, but only when driver_override names us. */
static const struct pci_device_id vfio_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vfio_pci_table);

static struct pci_driver vfio_pci_driver = {
	.name			= "vfio-pci",
	.id_table		= vfio_pci_table,
	.probe			= vfio_pci_probe,
	.remove			= vfio_pci_remove,
	.sriov_configure	= vfio_pci_sriov_configure,
	.err_handler		= &vfio_pci_core_err_handlers,
	.driver_managed_dma	= true,
	.driver.pm		= &vfio_pci_core_pm_ops,
};

/* Turn each "ids" entry into a dynamic id; a bad entry is logged and skipped. */
static void __init vfio_pci_add_ids(void)
{
	char *p = ids, *id;

	while ((id = strsep(&p, ","))) {
		unsigned int vendor, device, subvendor = PCI_ANY_ID,
			     subdevice = PCI_ANY_ID, class = 0, class_mask = 0;
		int fields, ret;

		if (!*id)
			continue;

		fields = sscanf(id, "%x:%x:%x:%x:%x:%x", &vendor, &device,
				&subvendor, &subdevice, &class, &class_mask);
		if (fields < 2) {
			pr_warn("ignoring malformed id \"%s\"\n", id);
			continue;
		}

		ret = pci_add_dynid(&vfio_pci_driver, vendor, device, subvendor,
				    subdevice, class, class_mask, 0);
		if (ret)
			pr_warn("cannot add id %04x:%04x: %d\n", vendor, device, ret);
		else
			pr_info("binding %04x:%04x sub %04x:%04x class %#08x/%#08x\n",
				vendor, device, subvendor, subdevice, class, class_mask);
	}
}

static int __init vfio_pci_init(void)
{
	int ret;

	vfio_pci_core_set_params(nointxmask, disable_vga, disable_idle_d3);

	ret = pci_register_driver(&vfio_pci_driver);
	if (ret)
		return ret;

	vfio_pci_add_ids();
	return 0;
}
module_init(vfio_pci_init);

static void __exit vfio_pci_exit(void)
{
	pci_unregister_driver(&vfio_pci_driver);
}
module_exit(vfio_pci_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO driver for PCI functions an administrator hands over");
