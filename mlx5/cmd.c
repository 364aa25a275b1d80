// SPDX-License-Identifier: GPL-2.0-only
/*
 * mlx5-vfio-pci: the VHCA migration commands of a ConnectX VF, sent through
 * its PF, and the DMA buffer SAVE_VHCA_STATE and LOAD_VHCA_STATE move the
 * state through.
 *
 * The buffer is pages of the kernel, mapped for DMA by the PF (the PF's
 * firmware does the transfer) and described to the device by an MTT memory
 * key on a protection domain allocated for the one command.  Nothing of it
 * outlives the command, so the PF holds no resource for a VF between
 * migration steps, and nothing has to be torn down when the PF disables it.
 */
#include <linux/dma-mapping.h>
#include <linux/mlx5/device.h>
#include <linux/mlx5/driver.h>
#include <linux/mlx5/mlx5_ifc.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "cmd.h"

/**
 * mlx5vf_mdev_get - the PF's core device, for one batch of commands
 * @mvdev: the VF
 *
 * Return: the PF's mlx5_core_dev, to be given back with mlx5vf_mdev_put()
 * when the batch is done, or NULL when the PF is not up or has disabled the
 * VF.
 */
struct mlx5_core_dev *mlx5vf_mdev_get(struct mlx5vf_device *mvdev)
{
	struct mlx5_core_dev *mdev;

	mdev = mlx5_vf_get_core_dev(mvdev->core.pdev);
	if (!mdev)
		return NULL;
	if (READ_ONCE(mvdev->mdev_detached)) {
		mlx5_vf_put_core_dev(mdev);
		return NULL;
	}
	return mdev;
}

/**
 * mlx5vf_mdev_put - end a batch of commands begun by mlx5vf_mdev_get()
 * @mdev: what mlx5vf_mdev_get() returned
 */
void mlx5vf_mdev_put(struct mlx5_core_dev *mdev)
{
	mlx5_vf_put_core_dev(mdev);
}

/**
 * mlx5vf_cmd_query_vhca_id - the vhca_id of one of the PF's VFs
 * @mdev: the PF
 * @vf_id: the VF's 0-based index
 * @vhca_id: set to the VF's vhca_id
 *
 * The PF reads the VF's current general capabilities as "other function";
 * functions are numbered from the PF's 0, so VF n is function n + 1.
 *
 * Return: 0 or a negative errno from the command.
 */
int mlx5vf_cmd_query_vhca_id(struct mlx5_core_dev *mdev, int vf_id,
			     u16 *vhca_id)
{
	u32 in[MLX5_ST_SZ_DW(query_hca_cap_in)] = {};
	int out_size = MLX5_ST_SZ_BYTES(query_hca_cap_out);
	void *out, *cap;
	int ret;

	out = kzalloc(out_size, GFP_KERNEL);
	if (!out)
		return -ENOMEM;

	MLX5_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	MLX5_SET(query_hca_cap_in, in, other_function, 1);
	MLX5_SET(query_hca_cap_in, in, function_id, vf_id + 1);
	MLX5_SET(query_hca_cap_in, in, op_mod,
		 MLX5_SET_HCA_CAP_OP_MOD_GENERAL_DEVICE << 1 |
		 HCA_CAP_OPMOD_GET_CUR);

	ret = mlx5_cmd_exec_inout(mdev, query_hca_cap, in, out);
	if (!ret) {
		cap = MLX5_ADDR_OF(query_hca_cap_out, out, capability);
		*vhca_id = MLX5_GET(cmd_hca_cap, cap, vhca_id);
	}

	kfree(out);
	return ret;
}

/**
 * mlx5vf_cmd_suspend - SUSPEND_VHCA of one half of the VF
 * @mvdev: the VF
 * @op_mod: MLX5_SUSPEND_VHCA_IN_OP_MOD_SUSPEND_INITIATOR (the VF stops
 *	issuing requests, its DMA and peer to peer traffic) or
 *	MLX5_SUSPEND_VHCA_IN_OP_MOD_SUSPEND_RESPONDER (it stops serving them;
 *	with both halves suspended its state no longer changes)
 *
 * Return: 0, -ENOTCONN when the PF is gone, or the command's errno.
 */
int mlx5vf_cmd_suspend(struct mlx5vf_device *mvdev, u16 op_mod)
{
	u32 in[MLX5_ST_SZ_DW(suspend_vhca_in)] = {};
	struct mlx5_core_dev *mdev;
	int ret;

	mdev = mlx5vf_mdev_get(mvdev);
	if (!mdev)
		return -ENOTCONN;

	MLX5_SET(suspend_vhca_in, in, opcode, MLX5_CMD_OP_SUSPEND_VHCA);
	MLX5_SET(suspend_vhca_in, in, op_mod, op_mod);
	MLX5_SET(suspend_vhca_in, in, vhca_id, mvdev->vhca_id);
	ret = mlx5_cmd_exec_in(mdev, suspend_vhca, in);

	mlx5vf_mdev_put(mdev);
	return ret;
}

/**
 * mlx5vf_cmd_resume - RESUME_VHCA of one half of the VF
 * @mvdev: the VF
 * @op_mod: MLX5_RESUME_VHCA_IN_OP_MOD_RESUME_RESPONDER or
 *	MLX5_RESUME_VHCA_IN_OP_MOD_RESUME_INITIATOR
 *
 * Return: 0, -ENOTCONN when the PF is gone, or the command's errno.
 */
int mlx5vf_cmd_resume(struct mlx5vf_device *mvdev, u16 op_mod)
{
	u32 in[MLX5_ST_SZ_DW(resume_vhca_in)] = {};
	struct mlx5_core_dev *mdev;
	int ret;

	mdev = mlx5vf_mdev_get(mvdev);
	if (!mdev)
		return -ENOTCONN;

	MLX5_SET(resume_vhca_in, in, opcode, MLX5_CMD_OP_RESUME_VHCA);
	MLX5_SET(resume_vhca_in, in, op_mod, op_mod);
	MLX5_SET(resume_vhca_in, in, vhca_id, mvdev->vhca_id);
	ret = mlx5_cmd_exec_in(mdev, resume_vhca, in);

	mlx5vf_mdev_put(mdev);
	return ret;
}

static int mlx5vf_query_size(struct mlx5_core_dev *mdev, u16 vhca_id,
			     size_t *len)
{
	u32 out[MLX5_ST_SZ_DW(query_vhca_migration_state_out)] = {};
	u32 in[MLX5_ST_SZ_DW(query_vhca_migration_state_in)] = {};
	int ret;

	MLX5_SET(query_vhca_migration_state_in, in, opcode,
		 MLX5_CMD_OP_QUERY_VHCA_MIGRATION_STATE);
	MLX5_SET(query_vhca_migration_state_in, in, vhca_id, vhca_id);
	ret = mlx5_cmd_exec_inout(mdev, query_vhca_migration_state, in, out);
	if (ret)
		return ret;

	*len = MLX5_GET(query_vhca_migration_state_out, out,
			required_umem_size);
	return 0;
}

/**
 * mlx5vf_cmd_query_state_size - bytes SAVE_VHCA_STATE needs for the VF now
 * @mvdev: the VF
 * @len: set to QUERY_VHCA_MIGRATION_STATE's required_umem_size
 *
 * Return: 0, -ENOTCONN when the PF is gone, or the command's errno.
 */
int mlx5vf_cmd_query_state_size(struct mlx5vf_device *mvdev, size_t *len)
{
	struct mlx5_core_dev *mdev;
	int ret;

	mdev = mlx5vf_mdev_get(mvdev);
	if (!mdev)
		return -ENOTCONN;
	ret = mlx5vf_query_size(mdev, mvdev->vhca_id, len);
	mlx5vf_mdev_put(mdev);
	return ret;
}

/**
 * struct mlx5vf_buf - kernel pages the PF's firmware reads or writes
 * @mdev: the PF, which maps the pages and owns @pdn and @mkey
 * @pages: @npages pages
 * @dma: their bus addresses as the PF sees them
 * @npages: number of pages
 * @vaddr: the pages mapped contiguously for the CPU
 * @dir: DMA_FROM_DEVICE (save) or DMA_TO_DEVICE (load)
 * @pdn: the protection domain of @mkey
 * @mkey: an MTT memory key spanning the pages from device address 0
 */
struct mlx5vf_buf {
	struct mlx5_core_dev		*mdev;
	struct page			**pages;
	dma_addr_t			*dma;
	unsigned int			npages;
	void				*vaddr;
	enum dma_data_direction		dir;
	u32				pdn;
	u32				mkey;
};

static void mlx5vf_free_pages(struct mlx5vf_buf *buf, unsigned int n)
{
	while (n--)
		__free_page(buf->pages[n]);
}

static void mlx5vf_unmap_pages(struct mlx5vf_buf *buf, unsigned int n)
{
	while (n--)
		dma_unmap_page(buf->mdev->device, buf->dma[n], PAGE_SIZE,
			       buf->dir);
}

/* The CPU reads what the device wrote through the pages. */
static void mlx5vf_sync_for_cpu(struct mlx5vf_buf *buf)
{
	unsigned int i;

	for (i = 0; i < buf->npages; i++)
		dma_sync_single_for_cpu(buf->mdev->device, buf->dma[i],
					PAGE_SIZE, buf->dir);
	invalidate_kernel_vmap_range(buf->vaddr, buf->npages << PAGE_SHIFT);
}

/* The device reads what the CPU wrote through the vmap alias. */
static void mlx5vf_sync_for_device(struct mlx5vf_buf *buf)
{
	unsigned int i;

	flush_kernel_vmap_range(buf->vaddr, buf->npages << PAGE_SHIFT);
	for (i = 0; i < buf->npages; i++)
		dma_sync_single_for_device(buf->mdev->device, buf->dma[i],
					   PAGE_SIZE, buf->dir);
}

static int mlx5vf_create_mkey(struct mlx5vf_buf *buf)
{
	unsigned int octwords = DIV_ROUND_UP(buf->npages, 2);
	size_t inlen = MLX5_ST_SZ_BYTES(create_mkey_in) +
		       octwords * 2 * sizeof(__be64);
	__be64 *mtt;
	unsigned int i;
	void *in, *mkc;
	int ret;

	in = kvzalloc(inlen, GFP_KERNEL);
	if (!in)
		return -ENOMEM;

	MLX5_SET(create_mkey_in, in, translations_octword_actual_size,
		 octwords);
	mtt = (__be64 *)MLX5_ADDR_OF(create_mkey_in, in, klm_pas_mtt);
	for (i = 0; i < buf->npages; i++)
		mtt[i] = cpu_to_be64(buf->dma[i] | MLX5_MTT_PERM_RW);

	mkc = MLX5_ADDR_OF(create_mkey_in, in, memory_key_mkey_entry);
	MLX5_SET(mkc, mkc, access_mode_1_0, MLX5_MKC_ACCESS_MODE_MTT);
	MLX5_SET(mkc, mkc, lr, 1);
	MLX5_SET(mkc, mkc, lw, 1);
	MLX5_SET(mkc, mkc, rr, 1);
	MLX5_SET(mkc, mkc, rw, 1);
	MLX5_SET(mkc, mkc, pd, buf->pdn);
	MLX5_SET(mkc, mkc, qpn, 0xffffff);
	MLX5_SET(mkc, mkc, log_page_size, PAGE_SHIFT);
	MLX5_SET(mkc, mkc, translations_octword_size, octwords);
	MLX5_SET64(mkc, mkc, start_addr, 0);
	MLX5_SET64(mkc, mkc, len, (u64)buf->npages << PAGE_SHIFT);

	ret = mlx5_core_create_mkey(buf->mdev, &buf->mkey, in, inlen);
	kvfree(in);
	return ret;
}

/*
 * Pages for @len bytes, mapped for the CPU and for the PF, behind a memory
 * key of their own.  Undone by mlx5vf_buf_free().
 */
static int mlx5vf_buf_alloc(struct mlx5vf_buf *buf, struct mlx5_core_dev *mdev,
			    size_t len, enum dma_data_direction dir)
{
	unsigned int i, mapped;
	int ret;

	buf->mdev = mdev;
	buf->dir = dir;
	buf->npages = DIV_ROUND_UP(len, PAGE_SIZE);

	buf->pages = kvcalloc(buf->npages, sizeof(*buf->pages),
			      GFP_KERNEL_ACCOUNT);
	if (!buf->pages)
		return -ENOMEM;
	buf->dma = kvcalloc(buf->npages, sizeof(*buf->dma), GFP_KERNEL_ACCOUNT);
	if (!buf->dma) {
		ret = -ENOMEM;
		goto err_free_array;
	}

	for (i = 0; i < buf->npages; i++) {
		buf->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!buf->pages[i]) {
			ret = -ENOMEM;
			goto err_free_pages;
		}
	}

	buf->vaddr = vmap(buf->pages, buf->npages, VM_MAP, PAGE_KERNEL);
	if (!buf->vaddr) {
		ret = -ENOMEM;
		goto err_free_pages;
	}

	for (mapped = 0; mapped < buf->npages; mapped++) {
		buf->dma[mapped] = dma_map_page(mdev->device,
						buf->pages[mapped], 0,
						PAGE_SIZE, dir);
		ret = dma_mapping_error(mdev->device, buf->dma[mapped]);
		if (ret)
			goto err_unmap;
	}

	ret = mlx5_core_alloc_pd(mdev, &buf->pdn);
	if (ret)
		goto err_unmap;

	ret = mlx5vf_create_mkey(buf);
	if (ret)
		goto err_dealloc_pd;
	return 0;

err_dealloc_pd:
	mlx5_core_dealloc_pd(mdev, buf->pdn);
err_unmap:
	mlx5vf_unmap_pages(buf, mapped);
	vunmap(buf->vaddr);
err_free_pages:
	mlx5vf_free_pages(buf, i);
	kvfree(buf->dma);
err_free_array:
	kvfree(buf->pages);
	return ret;
}

static void mlx5vf_buf_free(struct mlx5vf_buf *buf)
{
	mlx5_core_destroy_mkey(buf->mdev, buf->mkey);
	mlx5_core_dealloc_pd(buf->mdev, buf->pdn);
	mlx5vf_unmap_pages(buf, buf->npages);
	vunmap(buf->vaddr);
	mlx5vf_free_pages(buf, buf->npages);
	kvfree(buf->dma);
	kvfree(buf->pages);
}

/**
 * mlx5vf_cmd_save - SAVE_VHCA_STATE of the suspended VF into @stream
 * @mvdev: the VF, both halves suspended
 * @stream: the core's stream; gets one record of the image's bytes
 *
 * Sizes the buffer with QUERY_VHCA_MIGRATION_STATE, has the PF write the
 * image into it and appends the actual_image_size bytes it reports.
 *
 * Return: 0; -ENOTCONN when the PF is gone; -E2BIG for an image larger
 * than MLX5VF_MAX_RECORD; -EIO when the device reports an empty image
 * or one larger than the buffer; or the errno of a command or an allocation.
 */
int mlx5vf_cmd_save(struct mlx5vf_device *mvdev,
		    struct vfio_pci_mig_stream *stream)
{
	u32 out[MLX5_ST_SZ_DW(save_vhca_state_out)] = {};
	u32 in[MLX5_ST_SZ_DW(save_vhca_state_in)] = {};
	struct mlx5_core_dev *mdev;
	struct mlx5vf_buf buf;
	size_t len, image;
	int ret;

	mdev = mlx5vf_mdev_get(mvdev);
	if (!mdev)
		return -ENOTCONN;

	ret = mlx5vf_query_size(mdev, mvdev->vhca_id, &len);
	if (ret)
		goto out_put;
	if (!len || len > MLX5VF_MAX_RECORD) {
		ret = len ? -E2BIG : -EIO;
		goto out_put;
	}

	ret = mlx5vf_buf_alloc(&buf, mdev, len, DMA_FROM_DEVICE);
	if (ret)
		goto out_put;

	MLX5_SET(save_vhca_state_in, in, opcode, MLX5_CMD_OP_SAVE_VHCA_STATE);
	MLX5_SET(save_vhca_state_in, in, vhca_id, mvdev->vhca_id);
	MLX5_SET64(save_vhca_state_in, in, va, 0);
	MLX5_SET(save_vhca_state_in, in, mkey, buf.mkey);
	MLX5_SET(save_vhca_state_in, in, size, (u64)buf.npages << PAGE_SHIFT);
	ret = mlx5_cmd_exec_inout(mdev, save_vhca_state, in, out);
	if (ret)
		goto out_free;

	image = MLX5_GET(save_vhca_state_out, out, actual_image_size);
	if (!image || image > (size_t)buf.npages << PAGE_SHIFT) {
		ret = -EIO;
		goto out_free;
	}

	mlx5vf_sync_for_cpu(&buf);
	ret = vfio_pci_core_mig_add(stream, buf.vaddr, image);

out_free:
	mlx5vf_buf_free(&buf);
out_put:
	mlx5vf_mdev_put(mdev);
	return ret;
}

/**
 * mlx5vf_cmd_load - LOAD_VHCA_STATE of one saved image into the VF
 * @mvdev: the VF, both halves suspended
 * @data: the image, as mlx5vf_cmd_save() put it in a stream
 * @len: its bytes, at most MLX5VF_MAX_RECORD
 *
 * Return: 0, -ENOTCONN when the PF is gone, -EINVAL for an empty or
 * oversized image, or the errno of the command (which refuses an image it
 * cannot use) or of an allocation.
 */
int mlx5vf_cmd_load(struct mlx5vf_device *mvdev, const void *data,
		    size_t len)
{
	u32 in[MLX5_ST_SZ_DW(load_vhca_state_in)] = {};
	struct mlx5_core_dev *mdev;
	struct mlx5vf_buf buf;
	int ret;

	if (!len || len > MLX5VF_MAX_RECORD)
		return -EINVAL;

	mdev = mlx5vf_mdev_get(mvdev);
	if (!mdev)
		return -ENOTCONN;

	ret = mlx5vf_buf_alloc(&buf, mdev, len, DMA_TO_DEVICE);
	if (ret)
		goto out_put;
	memcpy(buf.vaddr, data, len);
	mlx5vf_sync_for_device(&buf);

	MLX5_SET(load_vhca_state_in, in, opcode, MLX5_CMD_OP_LOAD_VHCA_STATE);
	MLX5_SET(load_vhca_state_in, in, vhca_id, mvdev->vhca_id);
	MLX5_SET64(load_vhca_state_in, in, va, 0);
	MLX5_SET(load_vhca_state_in, in, mkey, buf.mkey);
	MLX5_SET(load_vhca_state_in, in, size, len);
	ret = mlx5_cmd_exec_in(mdev, load_vhca_state, in);

	mlx5vf_buf_free(&buf);
out_put:
	mlx5vf_mdev_put(mdev);
	return ret;
}
