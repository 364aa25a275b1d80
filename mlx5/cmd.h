/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mlx5-vfio-pci: the device side of a ConnectX VF's live migration.  Every
 * command goes to the PF's mlx5_core_dev and names the VF by its vhca_id.
 */
#ifndef MLX5_VFIO_CMD_H
#define MLX5_VFIO_CMD_H

#include <linux/mlx5/driver.h>
#include <linux/notifier.h>
#include <linux/sizes.h>
#include <linux/types.h>

#include "vfio_pci_core.h"

/**
 * struct mlx5vf_device - a ConnectX VF owned by mlx5-vfio-pci
 * @core: the core's device; must stay first (vfio_alloc_device() checks)
 * @migratable: migration was set up in ->init: the PF reported the
 *	capability, @vf_id and @vhca_id are valid and @nb is registered
 * @mdev: the PF's core device, kept only to unregister @nb; commands take
 *	it afresh with mlx5_vf_get_core_dev() every time
 * @vf_id: the VF's index on its PF (0-based, as the SR-IOV notifier counts)
 * @vhca_id: the VF's id in the commands, read from its HCA capabilities
 * @mdev_detached: the PF disabled the VF (MLX5_PF_NOTIFY_DISABLE_VF) and has
 *	not enabled it again; set by @nb, read without a lock by every command
 *	(a command racing with the event either finishes on the still living
 *	PF or fails)
 * @nb: the PF's SR-IOV blocking notifier for this VF
 * @initiator_suspended: SUSPEND_VHCA of the initiator half is in force
 * @responder_suspended: SUSPEND_VHCA of the responder half is in force
 * @stop_took_initiator: the initiator was suspended by ->stop itself (a
 *	RUNNING -> STOP arc), so ->start resumes it too
 *
 * The three suspend flags are changed only by the migration ops, which the
 * core serializes under its migration lock.
 */
struct mlx5vf_device {
	struct vfio_pci_core_device	core;
	bool				migratable;
	struct mlx5_core_dev		*mdev;
	int				vf_id;
	u16				vhca_id;
	bool				mdev_detached;
	struct notifier_block		nb;
	bool				initiator_suspended;
	bool				responder_suspended;
	bool				stop_took_initiator;
};

/*
 * The largest state record saved or loaded.  The commands' size fields take
 * up to 4 GiB; the cap bounds what a user can make the kernel buffer (the
 * core's copy of the record and the device's DMA buffer, both in RAM).
 */
#define MLX5VF_MAX_RECORD	SZ_512M

struct mlx5_core_dev *mlx5vf_mdev_get(struct mlx5vf_device *mvdev);
void mlx5vf_mdev_put(struct mlx5_core_dev *mdev);

int mlx5vf_cmd_query_vhca_id(struct mlx5_core_dev *mdev, int vf_id,
			     u16 *vhca_id);
int mlx5vf_cmd_suspend(struct mlx5vf_device *mvdev, u16 op_mod);
int mlx5vf_cmd_resume(struct mlx5vf_device *mvdev, u16 op_mod);
int mlx5vf_cmd_query_state_size(struct mlx5vf_device *mvdev, size_t *len);
int mlx5vf_cmd_save(struct mlx5vf_device *mvdev,
		    struct vfio_pci_mig_stream *stream);
int mlx5vf_cmd_load(struct mlx5vf_device *mvdev, const void *data,
		    size_t len);

#endif /* MLX5_VFIO_CMD_H */
