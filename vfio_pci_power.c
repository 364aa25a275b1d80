// SPDX-License-Identifier: GPL-2.0-only
/*
 * Power management of a VFIO PCI function: the runtime PM callbacks and the
 * user's low power request (VFIO_DEVICE_FEATURE_LOW_POWER_*).
 *
 * An open device holds one runtime PM usage reference, taken at enable.
 * LOW_POWER_ENTRY hands that reference back, so the PCI core may suspend
 * the function (D3hot) once it is idle; LOW_POWER_EXIT takes it again.  In
 * between, user mappings of the BARs are revoked and faults get SIGBUS,
 * while every read/write/ioctl on the device fd holds the function in D0
 * (waking it if need be) for the length of the access
 * (vfio_pci_pm_access_begin/end).  With a wake-up eventfd the
 * first resume ends the request: the eventfd is signalled and the reference
 * is taken back, as if the user had called LOW_POWER_EXIT.
 */
#include <linux/eventfd.h>
#include <linux/pm_runtime.h>
#include <linux/vfio.h>

#include "vfio_pci_priv.h"

static int vfio_pci_runtime_suspend(struct device *dev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(dev);

	/*
	 * A function in D3hot must not leave its INTx line asserted for the
	 * user's handler to find; mask it for the duration.
	 */
	mutex_lock(&vdev->igate);
	if (vdev->irq_type == VFIO_PCI_INTX_IRQ_INDEX && !vdev->intx_masked &&
	    !vdev->pm_intx_masked) {
		vfio_pci_intx_mask(vdev);
		vdev->pm_intx_masked = true;
	}
	mutex_unlock(&vdev->igate);
	/* The PCI core saves state and picks the D-state after this. */
	return 0;
}

static int vfio_pci_runtime_resume(struct device *dev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(dev);

	mutex_lock(&vdev->igate);
	if (vdev->pm_intx_masked) {
		vfio_pci_intx_unmask(vdev);
		vdev->pm_intx_masked = false;
	}
	mutex_unlock(&vdev->igate);

	mutex_lock(&vdev->pm_lock);
	if (vdev->pm_engaged && vdev->pm_wake_trigger) {
		/* Single shot: this wake-up ends the user's request. */
		eventfd_signal(vdev->pm_wake_trigger);
		eventfd_ctx_put(vdev->pm_wake_trigger);
		vdev->pm_wake_trigger = NULL;
		pm_runtime_get_noresume(dev);
		WRITE_ONCE(vdev->pm_engaged, false);
	}
	mutex_unlock(&vdev->pm_lock);
	return 0;
}

/*
 * Documented in vfio_pci_core.h.  RUNTIME_PM_OPS, not SET_RUNTIME_PM_OPS:
 * the callbacks stay referenced on a kernel without CONFIG_PM (s390's
 * default configs), where the PM core never calls them.
 */
const struct dev_pm_ops vfio_pci_core_pm_ops = {
	RUNTIME_PM_OPS(vfio_pci_runtime_suspend, vfio_pci_runtime_resume, NULL)
};
EXPORT_SYMBOL_GPL(vfio_pci_core_pm_ops);

/*
 * Hold the function in D0 for one access by the user: a reference of the
 * access's own, whether or not the user asked for low power.  Taken only
 * while pm_engaged was seen set, it missed an entry or exit racing the
 * access, and the suspend or resume then ran in the middle of it: the PCI
 * core saves config space at suspend and restores it at resume, so a
 * command register write landing in between was undone by the restore
 * of the older copy (memory decode off in the hardware while the user's
 * view, which the BAR access checks trust, said on).
 * Returns whether vfio_pci_pm_access_end() must drop the reference.
 */
bool vfio_pci_pm_access_begin(struct vfio_pci_core_device *vdev)
{
	return !pm_runtime_resume_and_get(&vdev->pdev->dev);
}

void vfio_pci_pm_access_end(struct vfio_pci_core_device *vdev, bool held)
{
	if (held)
		pm_runtime_put(&vdev->pdev->dev);
}

static int vfio_pci_low_power_enter(struct vfio_pci_core_device *vdev,
				    struct eventfd_ctx *wake)
{
	struct pci_dev *pdev = vdev->pdev;

	mutex_lock(&vdev->pm_lock);
	if (vdev->pm_engaged) {
		mutex_unlock(&vdev->pm_lock);
		pci_info_ratelimited(pdev, "low power entry while already entered\n");
		return -EINVAL;
	}
	/* Revoke mappings first: no fault may reach a suspended function. */
	vfio_pci_memory_lock_and_zap(vdev);
	WRITE_ONCE(vdev->pm_engaged, true);
	up_write(&vdev->memory_lock);
	vdev->pm_wake_trigger = wake;
	mutex_unlock(&vdev->pm_lock);

	/* The open-time reference: the function may now suspend when idle. */
	pm_runtime_put(&pdev->dev);
	return 0;
}

/*
 * Ends the user's low power request, if any; the function is in D0 after.
 * pm_engaged goes only once the function is back: until then the mmap
 * fault handler, which takes no reference of its own, keeps refusing.
 */
void vfio_pci_low_power_exit(struct vfio_pci_core_device *vdev)
{
	struct device *dev = &vdev->pdev->dev;
	struct eventfd_ctx *wake;

	mutex_lock(&vdev->pm_lock);
	if (!vdev->pm_engaged) {
		mutex_unlock(&vdev->pm_lock);
		return;
	}
	/* The user's own exit is no wake-up to tell it about. */
	wake = vdev->pm_wake_trigger;
	vdev->pm_wake_trigger = NULL;
	mutex_unlock(&vdev->pm_lock);
	if (wake)
		eventfd_ctx_put(wake);

	/* Outside pm_lock: the resume callback takes it. */
	if (pm_runtime_resume_and_get(dev) < 0) {
		pci_warn(vdev->pdev, "could not resume from low power\n");
		pm_runtime_get_noresume(dev);
	}

	mutex_lock(&vdev->pm_lock);
	if (vdev->pm_engaged)
		/* The reference just taken is the open-time one again. */
		WRITE_ONCE(vdev->pm_engaged, false);
	else
		/* A racing exit took the open-time reference back first. */
		pm_runtime_put_noidle(dev);
	mutex_unlock(&vdev->pm_lock);
}

int vfio_pci_feature_low_power(struct vfio_pci_core_device *vdev, u32 flags,
			       void __user *arg, size_t argsz)
{
	struct vfio_device_low_power_entry_with_wakeup entry;
	u32 feature = flags & VFIO_DEVICE_FEATURE_MASK;
	struct eventfd_ctx *wake = NULL;
	size_t minsz = 0;
	int ret;

	if (feature == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP)
		minsz = sizeof(entry);
	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, minsz);
	if (ret != 1)
		return ret;

	switch (feature) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
		return vfio_pci_low_power_enter(vdev, NULL);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		if (copy_from_user(&entry, arg, sizeof(entry)))
			return -EFAULT;
		if (entry.reserved || entry.wakeup_eventfd < 0)
			return -EINVAL;
		wake = eventfd_ctx_fdget(entry.wakeup_eventfd);
		if (IS_ERR(wake))
			return PTR_ERR(wake);
		ret = vfio_pci_low_power_enter(vdev, wake);
		if (ret)
			eventfd_ctx_put(wake);
		return ret;
	default:	/* VFIO_DEVICE_FEATURE_LOW_POWER_EXIT */
		vfio_pci_low_power_exit(vdev);
		return 0;
	}
}
