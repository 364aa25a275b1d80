// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV for VFIO PCI functions: enabling VFs on a PF a VFIO driver owns,
 * and the VF token, a UUID the PF's user sets and a VF's user must present
 * so that VFs of a user-owned PF only go to someone that user trusts.
 *
 * The token rules, checked when a device fd is opened by name
 * ("BDF" or "BDF vf_token=UUID"):
 *  - a VF whose PF is bound to the same driver as the VF needs the PF's
 *    token while the PF is open by a user or once a token has been set;
 *  - a PF needs its own token while any of its VFs is open by a user;
 *  - a token given where one is needed must equal the PF's (-EACCES);
 *  - a token given to a function that is neither needs nor can check one
 *    (not SR-IOV, or a VF of a PF bound elsewhere) is refused (-EINVAL).
 */
#include <linux/device.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uuid.h>
#include <linux/vfio.h>

#include "vfio_pci_priv.h"

/**
 * struct vfio_pci_sriov - SR-IOV state of a PF
 * @lock: guards the members below; innermost of the core's locks
 * @token: the VF token
 * @token_set: the PF's user has set @token
 * @vf_users: VFs of this PF open by a user
 * @enabled: SR-IOV was enabled through sriov_configure (a runtime PM
 *	reference is held for it: VFs need their PF in D0)
 */
struct vfio_pci_sriov {
	struct mutex	lock;
	uuid_t		token;
	bool		token_set;
	unsigned int	vf_users;
	bool		enabled;
};

/* The core device of @vdev's PF when the PF is bound to the same driver. */
static struct vfio_pci_core_device *
vfio_pci_pf_vdev(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_core_device *pf;

	if (!pdev->is_virtfn || !pdev->driver)
		return NULL;
	pf = pci_iov_get_pf_drvdata(pdev, pdev->driver);
	if (IS_ERR(pf) || !pf->sriov)
		return NULL;
	return pf;
}

static int vfio_pci_parse_token(struct pci_dev *pdev, const char *opts,
				uuid_t *token)
{
	static const char key[] = "vf_token=";

	if (strncmp(opts, key, sizeof(key) - 1) ||
	    uuid_parse(opts + sizeof(key) - 1, token)) {
		pci_info_ratelimited(pdev, "cannot parse device options \"%s\"\n", opts);
		return -EINVAL;
	}
	return 0;
}

/* Checks @opts (NULL: none given) against the VF token rules above. */
int vfio_pci_check_vf_token(struct vfio_pci_core_device *vdev, const char *opts)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_core_device *pf = vfio_pci_pf_vdev(vdev);
	struct vfio_pci_sriov *sriov = pf ? pf->sriov : vdev->sriov;
	bool given = opts, needed, match = false;
	uuid_t token;
	int ret;

	if (given) {
		ret = vfio_pci_parse_token(pdev, opts, &token);
		if (ret)
			return ret;
	}
	if (!sriov) {
		if (!given)
			return 0;
		pci_info_ratelimited(pdev, "VF token given, but %s\n",
				     pdev->is_virtfn ? "the PF is not bound to this driver" :
						       "this is not an SR-IOV function");
		return -EINVAL;
	}

	mutex_lock(&sriov->lock);
	if (pf)
		needed = pf->vdev.open_count || sriov->token_set;
	else
		needed = sriov->vf_users;
	if (given)
		match = sriov->token_set && uuid_equal(&token, &sriov->token);
	mutex_unlock(&sriov->lock);

	if (needed && !given) {
		pci_info_ratelimited(pdev, "a VF token is needed to open this %s\n",
				     pf ? "VF" : "PF with VFs in use");
		return -EACCES;
	}
	if (given && !match) {
		pci_info_ratelimited(pdev, "wrong VF token\n");
		return -EACCES;
	}
	return 0;
}

/* A VF of a PF owned through this driver is being opened or closed. */
void vfio_pci_vf_open(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_core_device *pf = vfio_pci_pf_vdev(vdev);

	if (!pf)
		return;
	mutex_lock(&pf->sriov->lock);
	pf->sriov->vf_users++;
	mutex_unlock(&pf->sriov->lock);
	vdev->vf_counted = true;
}

void vfio_pci_vf_close(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_core_device *pf;

	if (!vdev->vf_counted)
		return;
	vdev->vf_counted = false;
	/* The PF cannot go away while a VF is bound: it removes its VFs first. */
	pf = vfio_pci_pf_vdev(vdev);
	if (WARN_ON_ONCE(!pf))
		return;
	mutex_lock(&pf->sriov->lock);
	pf->sriov->vf_users--;
	mutex_unlock(&pf->sriov->lock);
}

int vfio_pci_feature_vf_token(struct vfio_pci_core_device *vdev, u32 flags,
			      void __user *arg, size_t argsz)
{
	struct vfio_pci_sriov *sriov = vdev->sriov;
	uuid_t token;
	int ret;

	if (!sriov)
		return -ENOTTY;
	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				 sizeof(token));
	if (ret != 1)
		return ret;
	if (copy_from_user(&token, arg, sizeof(token)))
		return -EFAULT;

	mutex_lock(&sriov->lock);
	uuid_copy(&sriov->token, &token);
	sriov->token_set = true;
	mutex_unlock(&sriov->lock);
	return 0;
}

/*
 * A VF that appears under a PF owned through a VFIO driver is offered to
 * that driver only, never to whatever host driver would match it.
 */
static int vfio_pci_sriov_notify(struct notifier_block *nb,
				 unsigned long action, void *data)
{
	struct vfio_pci_core_device *vdev =
		container_of(nb, struct vfio_pci_core_device, sriov_nb);
	struct pci_dev *pdev = to_pci_dev(data);
	const char *name;
	int ret;

	if (action != BUS_NOTIFY_ADD_DEVICE || !pdev->is_virtfn ||
	    pci_physfn(pdev) != vdev->pdev || !vdev->pdev->driver)
		return NOTIFY_DONE;

	name = vdev->pdev->driver->name;
	ret = device_set_driver_override(&pdev->dev, name);
	if (ret)
		pci_warn(pdev, "cannot reserve the VF for %s: %d\n", name, ret);
	else
		pci_info(pdev, "VF reserved for %s\n", name);
	return NOTIFY_OK;
}

int vfio_pci_sriov_init(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_sriov *sriov;
	int ret;

	if (!vdev->pdev->is_physfn)
		return 0;
	sriov = kzalloc(sizeof(*sriov), GFP_KERNEL);
	if (!sriov)
		return -ENOMEM;
	mutex_init(&sriov->lock);
	vdev->sriov = sriov;

	vdev->sriov_nb.notifier_call = vfio_pci_sriov_notify;
	ret = bus_register_notifier(&pci_bus_type, &vdev->sriov_nb);
	if (ret) {
		vdev->sriov = NULL;
		mutex_destroy(&sriov->lock);
		kfree(sriov);
	}
	return ret;
}

/* Disables the VFs (their users are asked to let go first) and frees. */
void vfio_pci_sriov_exit(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_sriov *sriov = vdev->sriov;

	if (!sriov)
		return;
	if (sriov->enabled) {
		pci_disable_sriov(vdev->pdev);
		sriov->enabled = false;
		pm_runtime_put(&vdev->pdev->dev);
	}
	bus_unregister_notifier(&pci_bus_type, &vdev->sriov_nb);
	vdev->sriov = NULL;
	mutex_destroy(&sriov->lock);
	kfree(sriov);
}

/**
 * vfio_pci_core_sriov_configure - change the number of VFs of a PF
 * @vdev: the PF
 * @nr_virtfn: VFs wanted; 0 disables SR-IOV
 *
 * New VFs get this driver in their driver_override, so they bind to it (or
 * to nothing) and never to a host driver behind the PF user's back.
 * Disabling is refused while a user has one of the VFs open.
 *
 * Return: the number of VFs enabled, 0 when disabled, or a negative errno.
 */
int vfio_pci_core_sriov_configure(struct vfio_pci_core_device *vdev,
				  int nr_virtfn)
{
	struct vfio_pci_sriov *sriov = vdev->sriov;
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	if (!sriov)
		return -ENODEV;

	if (!nr_virtfn) {
		mutex_lock(&sriov->lock);
		if (sriov->vf_users) {
			mutex_unlock(&sriov->lock);
			pci_info(pdev, "not disabling SR-IOV: %u VFs are open\n",
				 sriov->vf_users);
			return -EBUSY;
		}
		mutex_unlock(&sriov->lock);
		if (sriov->enabled) {
			pci_disable_sriov(pdev);
			sriov->enabled = false;
			pm_runtime_put(&pdev->dev);
		}
		return 0;
	}

	if (sriov->enabled)
		return -EBUSY;
	ret = pm_runtime_resume_and_get(&pdev->dev);
	if (ret)
		return ret;
	ret = pci_enable_sriov(pdev, nr_virtfn);
	if (ret) {
		pm_runtime_put(&pdev->dev);
		return ret;
	}
	sriov->enabled = true;
	return nr_virtfn;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_sriov_configure);
