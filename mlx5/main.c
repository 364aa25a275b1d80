// SPDX-License-Identifier: GPL-2.0-only
/*
 * mlx5-vfio-pci: VFIO for ConnectX virtual functions, with live migration.
 *
 * Everything a VFIO user sees of the device is vfio-pci-core's; this driver
 * adds the migration device state (STOP_COPY and P2P, no PRE_COPY) through
 * the core's migration helper.  The VF's state lives in the adapter and is
 * moved by the PF: SUSPEND_VHCA and RESUME_VHCA stop and start the VF's two
 * halves (the initiator issues requests and DMA, the responder serves
 * them), SAVE_VHCA_STATE and LOAD_VHCA_STATE copy its state out and in.
 *
 * Migration is offered only for a VF whose PF is driven by mlx5_core and
 * reports the migration capability; any other function the admin binds
 * here is a plain VFIO device.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>

#include "cmd.h"

static struct mlx5vf_device *to_mlx5vf(struct vfio_pci_core_device *vdev)
{
	return container_of(vdev, struct mlx5vf_device, core);
}

/* ---- migration ops: the core's state machine onto the VHCA commands ---- */

static int mlx5vf_suspend_initiator(struct mlx5vf_device *mvdev)
{
	int ret;

	if (mvdev->initiator_suspended)
		return 0;
	ret = mlx5vf_cmd_suspend(mvdev,
				 MLX5_SUSPEND_VHCA_IN_OP_MOD_SUSPEND_INITIATOR);
	if (!ret)
		mvdev->initiator_suspended = true;
	return ret;
}

static int mlx5vf_resume_initiator(struct mlx5vf_device *mvdev)
{
	int ret;

	if (!mvdev->initiator_suspended)
		return 0;
	ret = mlx5vf_cmd_resume(mvdev,
				MLX5_RESUME_VHCA_IN_OP_MOD_RESUME_INITIATOR);
	if (!ret)
		mvdev->initiator_suspended = false;
	return ret;
}

/* RUNNING -> RUNNING_P2P: the VF stops issuing, still answers peers. */
static int mlx5vf_p2p_stop(struct vfio_pci_core_device *vdev)
{
	return mlx5vf_suspend_initiator(to_mlx5vf(vdev));
}

static int mlx5vf_p2p_start(struct vfio_pci_core_device *vdev)
{
	return mlx5vf_resume_initiator(to_mlx5vf(vdev));
}

/*
 * -> STOP: initiator first, so nothing the VF still sends lands on a
 * responder that no longer answers; a RUNNING -> STOP arc does both.
 */
static int mlx5vf_stop(struct vfio_pci_core_device *vdev)
{
	struct mlx5vf_device *mvdev = to_mlx5vf(vdev);
	bool took_initiator = !mvdev->initiator_suspended;
	int ret;

	ret = mlx5vf_suspend_initiator(mvdev);
	if (ret)
		return ret;

	if (!mvdev->responder_suspended) {
		ret = mlx5vf_cmd_suspend(mvdev,
				MLX5_SUSPEND_VHCA_IN_OP_MOD_SUSPEND_RESPONDER);
		if (ret)
			goto err_resume_initiator;
		mvdev->responder_suspended = true;
	}
	mvdev->stop_took_initiator = took_initiator;
	return 0;

err_resume_initiator:
	if (took_initiator)
		mlx5vf_resume_initiator(mvdev);
	return ret;
}

/*
 * STOP -> RUNNING_P2P (the responder) or RUNNING (both, when ->stop took
 * the initiator too): the reverse order of mlx5vf_stop().
 */
static int mlx5vf_start(struct vfio_pci_core_device *vdev)
{
	struct mlx5vf_device *mvdev = to_mlx5vf(vdev);
	int ret;

	if (mvdev->responder_suspended) {
		ret = mlx5vf_cmd_resume(mvdev,
				MLX5_RESUME_VHCA_IN_OP_MOD_RESUME_RESPONDER);
		if (ret)
			return ret;
		mvdev->responder_suspended = false;
	}

	if (!mvdev->stop_took_initiator)
		return 0;
	ret = mlx5vf_resume_initiator(mvdev);
	if (!ret)
		mvdev->stop_took_initiator = false;
	return ret;
}

static int mlx5vf_save(struct vfio_pci_core_device *vdev,
		       struct vfio_pci_mig_stream *stream,
		       enum vfio_pci_mig_record kind)
{
	/* Without PRE_COPY the core asks only for the final record. */
	if (kind != VFIO_PCI_MIG_FINAL)
		return -EINVAL;
	return mlx5vf_cmd_save(to_mlx5vf(vdev), stream);
}

static int mlx5vf_load(struct vfio_pci_core_device *vdev,
		       enum vfio_pci_mig_record kind, const void *data,
		       size_t len)
{
	if (kind != VFIO_PCI_MIG_FINAL)
		return -EINVAL;
	return mlx5vf_cmd_load(to_mlx5vf(vdev), data, len);
}

static int mlx5vf_data_size(struct vfio_pci_core_device *vdev, size_t *len)
{
	return mlx5vf_cmd_query_state_size(to_mlx5vf(vdev), len);
}

/*
 * A reset of the VF (FLR) or the close leaves its VHCA running again; what
 * the flags remembered of a suspension no longer holds.
 */
static void mlx5vf_reset(struct vfio_pci_core_device *vdev)
{
	struct mlx5vf_device *mvdev = to_mlx5vf(vdev);

	mvdev->initiator_suspended = false;
	mvdev->responder_suspended = false;
	mvdev->stop_took_initiator = false;
}

static const struct vfio_pci_mig_ops mlx5vf_mig_ops = {
	.p2p_stop	= mlx5vf_p2p_stop,
	.p2p_start	= mlx5vf_p2p_start,
	.stop		= mlx5vf_stop,
	.start		= mlx5vf_start,
	.save		= mlx5vf_save,
	.load		= mlx5vf_load,
	.data_size	= mlx5vf_data_size,
	.reset		= mlx5vf_reset,
	.max_record	= MLX5VF_MAX_RECORD,
};

/* ---- the PF's view of the VF -------------------------------------------- */

/*
 * The PF disables the VF's HCA (SR-IOV off, or the PF reloading): its
 * migration state is lost, and no command may reach it until the PF
 * enables it again.
 */
static int mlx5vf_pf_event(struct notifier_block *nb, unsigned long event,
			   void *data)
{
	struct mlx5vf_device *mvdev = container_of(nb, struct mlx5vf_device,
						   nb);

	switch (event) {
	case MLX5_PF_NOTIFY_DISABLE_VF:
		WRITE_ONCE(mvdev->mdev_detached, true);
		vfio_pci_core_mig_reset(&mvdev->core);
		break;
	case MLX5_PF_NOTIFY_ENABLE_VF:
		WRITE_ONCE(mvdev->mdev_detached, false);
		break;
	}
	return NOTIFY_OK;
}

/*
 * Whether the PF offers migration of this VF, and if so its vhca_id.
 * Returns 1 for yes, 0 for no (a plain VFIO device), or a negative errno.
 */
static int mlx5vf_probe_migration(struct mlx5vf_device *mvdev)
{
	struct pci_dev *pdev = mvdev->core.pdev;
	struct mlx5_core_dev *mdev;
	int ret;

	if (!pdev->is_virtfn)
		return 0;
	mvdev->vf_id = pci_iov_vf_id(pdev);
	if (mvdev->vf_id < 0)
		return 0;

	/* NULL unless the PF is bound to mlx5_core and up. */
	mdev = mlx5_vf_get_core_dev(pdev);
	if (!mdev)
		return 0;

	ret = 0;
	if (MLX5_CAP_GEN(mdev, migration)) {
		ret = mlx5vf_cmd_query_vhca_id(mdev, mvdev->vf_id,
					       &mvdev->vhca_id);
		if (!ret) {
			mvdev->mdev = mdev;
			ret = 1;
		}
	}
	mlx5_vf_put_core_dev(mdev);
	return ret;
}

static int mlx5vf_init_migration(struct mlx5vf_device *mvdev)
{
	int ret;

	ret = mlx5vf_probe_migration(mvdev);
	if (ret <= 0)
		return ret;

	mvdev->nb.notifier_call = mlx5vf_pf_event;
	ret = mlx5_sriov_blocking_notifier_register(mvdev->mdev, mvdev->vf_id,
						    &mvdev->nb);
	if (ret)
		return ret;

	ret = vfio_pci_core_mig_init(&mvdev->core, &mlx5vf_mig_ops,
				     VFIO_MIGRATION_STOP_COPY |
				     VFIO_MIGRATION_P2P);
	if (ret)
		goto err_unregister;

	mvdev->migratable = true;
	return 0;

err_unregister:
	mlx5_sriov_blocking_notifier_unregister(mvdev->mdev, mvdev->vf_id,
						&mvdev->nb);
	return ret;
}

/* ---- vfio_device_ops and the pci_driver ---------------------------------- */

static int mlx5vf_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct mlx5vf_device *mvdev = to_mlx5vf(vdev);
	int ret;

	ret = vfio_pci_core_init_dev(core_vdev);
	if (ret)
		return ret;

	ret = mlx5vf_init_migration(mvdev);
	if (ret)
		goto err_release_core;

	pci_dbg(vdev->pdev, "migration %s\n",
		mvdev->migratable ? "offered" : "not offered");
	return 0;

err_release_core:
	vfio_pci_core_release_dev(core_vdev);
	return ret;
}

static void mlx5vf_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct mlx5vf_device *mvdev = to_mlx5vf(vdev);

	/* Before the core frees the migration state the notifier resets. */
	if (mvdev->migratable)
		mlx5_sriov_blocking_notifier_unregister(mvdev->mdev,
							mvdev->vf_id,
							&mvdev->nb);
	vfio_pci_core_release_dev(core_vdev);
}

static int mlx5vf_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	/* The VF needs no setup of its own: its state is the adapter's. */
	ret = vfio_pci_core_finish_enable(vdev);
	if (ret)
		vfio_pci_core_disable(vdev);
	return ret;
}

static const struct vfio_device_ops mlx5vf_ops = {
	.name		= "mlx5-vfio-pci",
	.init		= mlx5vf_init_dev,
	.release	= mlx5vf_release_dev,
	.open_device	= mlx5vf_open_device,
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

static int mlx5vf_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct mlx5vf_device *mvdev;
	int ret;

	mvdev = vfio_alloc_device(mlx5vf_device, core.vdev, &pdev->dev,
				  &mlx5vf_ops);
	if (IS_ERR(mvdev))
		return PTR_ERR(mvdev);

	ret = vfio_pci_core_register_device(&mvdev->core);
	if (ret)
		goto err_put;
	return 0;

err_put:
	vfio_put_device(&mvdev->core.vdev);
	return ret;
}

static void mlx5vf_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

/*
 * 0x101e is the VF of every ConnectX generation that has VHCA migration
 * (ConnectX-6 Dx and later all present it).  Older VF ids belong to
 * adapters without the capability, which vfio-pci serves as well.  Only
 * driver_override binds.
 */
static const struct pci_device_id mlx5vf_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_MELLANOX, 0x101e) },
	{}
};
MODULE_DEVICE_TABLE(pci, mlx5vf_pci_table);

static struct pci_driver mlx5vf_pci_driver = {
	.name			= "mlx5-vfio-pci",
	.id_table		= mlx5vf_pci_table,
	.probe			= mlx5vf_probe,
	.remove			= mlx5vf_remove,
	.err_handler		= &vfio_pci_core_err_handlers,
	.driver_managed_dma	= true,
	.driver.pm		= &vfio_pci_core_pm_ops,
};
module_pci_driver(mlx5vf_pci_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI driver for ConnectX virtual functions, with live migration");
