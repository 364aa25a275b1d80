// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO PCI core: live migration (uAPI v2) for drivers that can save and load
 * their device's state.
 *
 * A driver describes its device with struct vfio_pci_mig_ops: how to quiesce
 * it (P2P, then fully), how to run it again, how to save its state into a
 * stream and how to load a stream back.  Everything else is here: the walk
 * through the state machine one arc at a time (the VFIO core's
 * vfio_mig_get_next_state() picks the path), the data fd and its buffering,
 * framing the driver's bytes into records this file can check before the
 * driver sees them, VFIO_MIG_GET_PRECOPY_INFO, the data size estimate, and
 * returning to RUNNING on a reset or close.
 *
 * The stream is a sequence of records, each a struct vfio_pci_mig_hdr and
 * the driver's bytes.  Zero or more VFIO_PCI_MIG_PRECOPY records come first
 * (read in PRE_COPY), one VFIO_PCI_MIG_FINAL record ends it (saved on
 * entering STOP_COPY).  The header names the PCI vendor and device the data
 * came from, so a stream from another kind of device is refused at its
 * first bytes.
 *
 * Locking: mig->lock serializes state changes, the data fds' read/write/
 * ioctl and the driver's ops.  It lives in a refcounted object a data fd
 * keeps, so a fd that outlives its device still has a lock to check that
 * its session is over.  Resets happen with memory_lock held for write and
 * the PCI device locked, while a state change may wait for memory_lock with
 * mig->lock held: a reset therefore never waits for mig->lock.  It marks the
 * reset pending and the holder of the lock carries it out before releasing
 * it (vfio_pci_mig_unlock()).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio_pci_priv.h"

#define VFIO_PCI_MIG_MAGIC	0x4d504656	/* "VFPM" */
#define VFIO_PCI_MIG_VERSION	1

#define VFIO_PCI_MIG_FLAGS \
	(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY)

/**
 * struct vfio_pci_mig_hdr - a record's header on the wire (little endian)
 * @magic: VFIO_PCI_MIG_MAGIC
 * @version: VFIO_PCI_MIG_VERSION
 * @kind: enum vfio_pci_mig_record
 * @vendor: PCI vendor id of the device saved
 * @device: PCI device id of the device saved
 * @reserved: zero
 * @len: bytes of driver data after the header
 */
struct vfio_pci_mig_hdr {
	__le32	magic;
	__le16	version;
	__le16	kind;
	__le16	vendor;
	__le16	device;
	__le32	reserved;
	__le64	len;
};

/* A piece of saved stream: filled once, then read from the front. */
struct vfio_pci_mig_chunk {
	struct list_head	node;
	size_t			len;
	u8			data[];
};

/**
 * struct vfio_pci_mig_stream - one data fd's session
 * @mig: the device's migration state (a reference)
 * @vdev: the device; valid while !@done
 * @done: the session is over: the state moved on, or reset, or close
 * @saving: a saving (read) session, else resuming (write)
 * @chunks: saving: unread bytes, oldest first
 * @pending: saving: what the driver's save op is adding, not yet framed
 * @head: saving: bytes of the first chunk already read
 * @avail: saving: unread bytes in @chunks
 * @precopy_left: saving: how many of @avail belong to PRE_COPY records
 * @final: saving: the final record is queued; an empty stream is its end
 * @hdr: resuming: the header being received
 * @hdr_got: resuming: bytes of @hdr received
 * @rec: resuming: the record's data being received
 * @rec_got: resuming: bytes of @rec received
 * @loaded_final: resuming: the final record was loaded, the stream is whole
 * @failed: resuming: a bad header or a record the driver refused; the
 *	session is spoilt
 *
 * Everything is guarded by @mig->lock.
 */
struct vfio_pci_mig_stream {
	struct vfio_pci_mig		*mig;
	struct vfio_pci_core_device	*vdev;
	bool				done;
	bool				saving;

	struct list_head		chunks;
	struct list_head		pending;
	size_t				head;
	size_t				avail;
	size_t				precopy_left;
	bool				final;

	struct vfio_pci_mig_hdr		hdr;
	size_t				hdr_got;
	u8				*rec;
	size_t				rec_got;
	bool				loaded_final;
	bool				failed;
};

/**
 * struct vfio_pci_mig - a device's migration state
 * @ref: the device's reference and one per data fd
 * @lock: see the top of this file
 * @vdev: the device, NULL once it is released
 * @ops: the driver's ops
 * @state: the current state of the uAPI's state machine
 * @session: the file of the data fd session in progress, or NULL
 * @reset_pending: a reset happened while someone held @lock
 */
struct vfio_pci_mig {
	struct kref			ref;
	struct mutex			lock;
	struct vfio_pci_core_device	*vdev;
	const struct vfio_pci_mig_ops	*ops;
	enum vfio_device_mig_state	state;
	struct file			*session;
	atomic_t			reset_pending;
};

static void vfio_pci_mig_free(struct kref *ref)
{
	struct vfio_pci_mig *mig = container_of(ref, struct vfio_pci_mig, ref);

	mutex_destroy(&mig->lock);
	kfree(mig);
}

static void vfio_pci_mig_put(struct vfio_pci_mig *mig)
{
	kref_put(&mig->ref, vfio_pci_mig_free);
}

static bool vfio_pci_mig_saving(enum vfio_device_mig_state state)
{
	return state == VFIO_DEVICE_STATE_PRE_COPY ||
	       state == VFIO_DEVICE_STATE_PRE_COPY_P2P ||
	       state == VFIO_DEVICE_STATE_STOP_COPY;
}

static bool vfio_pci_mig_precopy(enum vfio_device_mig_state state)
{
	return state == VFIO_DEVICE_STATE_PRE_COPY ||
	       state == VFIO_DEVICE_STATE_PRE_COPY_P2P;
}

/* ---- the saved stream ---------------------------------------------------- */

static void vfio_pci_mig_free_chunks(struct list_head *list)
{
	struct vfio_pci_mig_chunk *chunk, *next;

	list_for_each_entry_safe(chunk, next, list, node) {
		list_del(&chunk->node);
		kvfree(chunk);
	}
}

static struct vfio_pci_mig_chunk *vfio_pci_mig_chunk_new(const void *data,
							  size_t len)
{
	struct vfio_pci_mig_chunk *chunk;

	chunk = kvmalloc(struct_size(chunk, data, len), GFP_KERNEL_ACCOUNT);
	if (!chunk)
		return NULL;
	memcpy(chunk->data, data, len);
	chunk->len = len;
	return chunk;
}

/**
 * vfio_pci_core_mig_add - append saved device state to a migration stream
 * @stream: the stream the core passed to the driver's save op
 * @data: bytes to append
 * @len: how many
 *
 * Called only from within a &struct vfio_pci_mig_ops save op.  The bytes are
 * copied; the record they make up reaches the user only if the save op
 * returns 0.
 *
 * Return: 0, or -ENOMEM.
 */
int vfio_pci_core_mig_add(struct vfio_pci_mig_stream *stream,
			  const void *data, size_t len)
{
	struct vfio_pci_mig_chunk *chunk;

	lockdep_assert_held(&stream->mig->lock);
	if (!len)
		return 0;
	chunk = vfio_pci_mig_chunk_new(data, len);
	if (!chunk)
		return -ENOMEM;
	list_add_tail(&chunk->node, &stream->pending);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_mig_add);

/* Has the driver add a record of @kind and queues it behind its header. */
static int vfio_pci_mig_save_record(struct vfio_pci_mig_stream *stream,
				    enum vfio_pci_mig_record kind)
{
	struct vfio_pci_core_device *vdev = stream->vdev;
	struct vfio_pci_mig_chunk *chunk, *hdr_chunk;
	struct vfio_pci_mig_hdr hdr = {};
	size_t len = 0;
	int ret;

	ret = stream->mig->ops->save(vdev, stream, kind);
	if (ret)
		goto err_drop;

	list_for_each_entry(chunk, &stream->pending, node)
		len += chunk->len;

	hdr.magic = cpu_to_le32(VFIO_PCI_MIG_MAGIC);
	hdr.version = cpu_to_le16(VFIO_PCI_MIG_VERSION);
	hdr.kind = cpu_to_le16(kind);
	hdr.vendor = cpu_to_le16(vdev->pdev->vendor);
	hdr.device = cpu_to_le16(vdev->pdev->device);
	hdr.len = cpu_to_le64(len);
	hdr_chunk = vfio_pci_mig_chunk_new(&hdr, sizeof(hdr));
	if (!hdr_chunk) {
		ret = -ENOMEM;
		goto err_drop;
	}

	list_add_tail(&hdr_chunk->node, &stream->chunks);
	list_splice_tail_init(&stream->pending, &stream->chunks);
	stream->avail += sizeof(hdr) + len;
	if (kind == VFIO_PCI_MIG_PRECOPY)
		stream->precopy_left += sizeof(hdr) + len;
	else
		stream->final = true;
	return 0;

err_drop:
	vfio_pci_mig_free_chunks(&stream->pending);
	pci_warn(vdev->pdev, "migration: saving the device's state failed: %d\n",
		 ret);
	return ret;
}

static u64 vfio_pci_mig_dirty(struct vfio_pci_mig_stream *stream)
{
	const struct vfio_pci_mig_ops *ops = stream->mig->ops;

	return ops->precopy_dirty ? ops->precopy_dirty(stream->vdev) : 0;
}

static ssize_t vfio_pci_mig_read(struct file *filp, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct vfio_pci_mig_stream *stream = filp->private_data;
	struct vfio_pci_mig *mig = stream->mig;
	ssize_t done = 0;
	int ret = 0;

	mutex_lock(&mig->lock);
	if (stream->done) {
		ret = -ENODEV;
		goto out;
	}

	/* In PRE_COPY, state the device changed since is saved on demand. */
	if (!stream->avail && !stream->final && vfio_pci_mig_dirty(stream)) {
		ret = vfio_pci_mig_save_record(stream, VFIO_PCI_MIG_PRECOPY);
		if (ret)
			goto out;
	}
	if (!stream->avail) {
		/* A temporary end in PRE_COPY, the real end in STOP_COPY. */
		ret = stream->final ? 0 : -ENOMSG;
		goto out;
	}

	while (done < count && stream->avail) {
		struct vfio_pci_mig_chunk *chunk =
			list_first_entry(&stream->chunks,
					 struct vfio_pci_mig_chunk, node);
		size_t len = min(count - done, chunk->len - stream->head);

		if (copy_to_user(buf + done, chunk->data + stream->head, len)) {
			ret = -EFAULT;
			break;
		}
		done += len;
		stream->head += len;
		stream->avail -= len;
		stream->precopy_left -= min(stream->precopy_left, len);
		if (stream->head == chunk->len) {
			list_del(&chunk->node);
			kvfree(chunk);
			stream->head = 0;
		}
	}
out:
	vfio_pci_mig_unlock(mig);
	return done ? done : ret;
}

/* ---- the stream being loaded --------------------------------------------- */

static int vfio_pci_mig_check_hdr(struct vfio_pci_mig_stream *stream)
{
	const struct vfio_pci_mig_hdr *hdr = &stream->hdr;
	struct pci_dev *pdev = stream->vdev->pdev;
	u16 kind = le16_to_cpu(hdr->kind);
	u64 len = le64_to_cpu(hdr->len);

	if (le32_to_cpu(hdr->magic) != VFIO_PCI_MIG_MAGIC ||
	    le16_to_cpu(hdr->version) != VFIO_PCI_MIG_VERSION ||
	    (kind != VFIO_PCI_MIG_PRECOPY && kind != VFIO_PCI_MIG_FINAL) ||
	    hdr->reserved) {
		dev_warn_ratelimited(&pdev->dev, "migration: not a migration stream of this driver\n");
		return -EINVAL;
	}
	if (le16_to_cpu(hdr->vendor) != pdev->vendor ||
	    le16_to_cpu(hdr->device) != pdev->device) {
		dev_warn_ratelimited(&pdev->dev, "migration: stream saved from a %04x:%04x, not a %04x:%04x\n",
				     le16_to_cpu(hdr->vendor),
				     le16_to_cpu(hdr->device), pdev->vendor,
				     pdev->device);
		return -EINVAL;
	}
	if (len > stream->mig->ops->max_record) {
		dev_warn_ratelimited(&pdev->dev, "migration: record of %llu bytes, more than the %zu the driver takes\n",
				     len, stream->mig->ops->max_record);
		return -EINVAL;
	}
	return 0;
}

/* Hands a complete record to the driver. */
static int vfio_pci_mig_load_record(struct vfio_pci_mig_stream *stream)
{
	enum vfio_pci_mig_record kind = le16_to_cpu(stream->hdr.kind);
	size_t len = le64_to_cpu(stream->hdr.len);
	int ret;

	ret = stream->mig->ops->load(stream->vdev, kind, stream->rec, len);
	kvfree(stream->rec);
	stream->rec = NULL;
	stream->rec_got = 0;
	stream->hdr_got = 0;
	if (ret) {
		dev_warn_ratelimited(&stream->vdev->pdev->dev,
				     "migration: the driver refused a record: %d\n",
				     ret);
		/* The device may be half loaded. */
		stream->failed = true;
		return ret;
	}
	if (kind == VFIO_PCI_MIG_FINAL)
		stream->loaded_final = true;
	return 0;
}

/* Takes up to @count bytes of the stream; returns how many or an errno. */
static ssize_t vfio_pci_mig_take(struct vfio_pci_mig_stream *stream,
				 const char __user *buf, size_t count)
{
	size_t want, len;
	int ret;

	if (stream->hdr_got < sizeof(stream->hdr)) {
		len = min(count, sizeof(stream->hdr) - stream->hdr_got);
		if (copy_from_user((u8 *)&stream->hdr + stream->hdr_got, buf,
				   len))
			return -EFAULT;
		stream->hdr_got += len;
		if (stream->hdr_got < sizeof(stream->hdr))
			return len;

		ret = vfio_pci_mig_check_hdr(stream);
		if (ret) {
			stream->failed = true;
			return ret;
		}
		want = le64_to_cpu(stream->hdr.len);
		if (!want) {
			ret = vfio_pci_mig_load_record(stream);
			return ret ? ret : len;
		}
		stream->rec = kvmalloc(want, GFP_KERNEL_ACCOUNT);
		if (!stream->rec) {
			stream->failed = true;
			return -ENOMEM;
		}
		return len;
	}

	want = le64_to_cpu(stream->hdr.len);
	len = min(count, want - stream->rec_got);
	if (copy_from_user(stream->rec + stream->rec_got, buf, len))
		return -EFAULT;
	stream->rec_got += len;
	if (stream->rec_got == want) {
		ret = vfio_pci_mig_load_record(stream);
		if (ret)
			return ret;
	}
	return len;
}

static ssize_t vfio_pci_mig_write(struct file *filp, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct vfio_pci_mig_stream *stream = filp->private_data;
	struct vfio_pci_mig *mig = stream->mig;
	ssize_t done = 0, ret = 0;

	mutex_lock(&mig->lock);
	if (stream->done) {
		ret = -ENODEV;
		goto out;
	}
	if (stream->failed) {
		ret = -EINVAL;
		goto out;
	}
	if (stream->loaded_final && count) {
		dev_warn_ratelimited(&stream->vdev->pdev->dev,
				     "migration: %zu bytes written past the end of the stream\n",
				     count);
		ret = -ENOSPC;
		goto out;
	}

	while (done < count && !stream->loaded_final) {
		ret = vfio_pci_mig_take(stream, buf + done, count - done);
		if (ret < 0)
			break;
		done += ret;
		ret = 0;
	}
	/* Bytes after the final record, in the same write. */
	if (!ret && done < count)
		ret = -ENOSPC;
out:
	vfio_pci_mig_unlock(mig);
	return done ? done : ret;
}

/* ---- the data fd ---------------------------------------------------------- */

static long vfio_pci_mig_precopy_info(struct vfio_pci_mig_stream *stream,
				      void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vfio_precopy_info info;
	struct vfio_pci_mig *mig = stream->mig;
	long ret = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	mutex_lock(&mig->lock);
	if (stream->done) {
		ret = -ENODEV;
		goto out;
	}
	if (!stream->saving || !vfio_pci_mig_precopy(mig->state)) {
		ret = -EINVAL;
		goto out;
	}
	info.flags = 0;
	info.initial_bytes = stream->precopy_left;
	info.dirty_bytes = vfio_pci_mig_dirty(stream);
out:
	vfio_pci_mig_unlock(mig);
	if (!ret && copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
	return ret;
}

static long vfio_pci_mig_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	return vfio_pci_mig_precopy_info(filp->private_data,
					 (void __user *)arg);
}

static __poll_t vfio_pci_mig_poll(struct file *filp, poll_table *wait)
{
	struct vfio_pci_mig_stream *stream = filp->private_data;
	__poll_t mask = 0;

	mutex_lock(&stream->mig->lock);
	if (stream->done)
		mask = EPOLLERR | EPOLLHUP;
	else if (!stream->saving)
		mask = EPOLLOUT | EPOLLWRNORM;
	else if (stream->avail || stream->final)
		mask = EPOLLIN | EPOLLRDNORM;
	vfio_pci_mig_unlock(stream->mig);
	return mask;
}

/* Called once the core and the user have both let go of the fd. */
static int vfio_pci_mig_fd_release(struct inode *inode, struct file *filp)
{
	struct vfio_pci_mig_stream *stream = filp->private_data;

	vfio_pci_mig_free_chunks(&stream->chunks);
	kvfree(stream->rec);
	vfio_pci_mig_put(stream->mig);
	kfree(stream);
	return 0;
}

static const struct file_operations vfio_pci_mig_fops = {
	.owner		= THIS_MODULE,
	.read		= vfio_pci_mig_read,
	.write		= vfio_pci_mig_write,
	.poll		= vfio_pci_mig_poll,
	.unlocked_ioctl	= vfio_pci_mig_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= vfio_pci_mig_fd_release,
};

static struct file *vfio_pci_mig_session_new(struct vfio_pci_core_device *vdev,
					     bool saving)
{
	struct vfio_pci_mig *mig = vdev->mig;
	struct vfio_pci_mig_stream *stream;
	struct file *filp;

	stream = kzalloc(sizeof(*stream), GFP_KERNEL_ACCOUNT);
	if (!stream)
		return ERR_PTR(-ENOMEM);
	stream->mig = mig;
	stream->vdev = vdev;
	stream->saving = saving;
	INIT_LIST_HEAD(&stream->chunks);
	INIT_LIST_HEAD(&stream->pending);

	filp = anon_inode_getfile("[vfio-pci-mig]", &vfio_pci_mig_fops, stream,
				  saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		kfree(stream);
		return filp;
	}
	kref_get(&mig->ref);
	stream_open(filp->f_inode, filp);
	mig->session = filp;
	return filp;
}

/* Ends the session in progress: its fd reads and writes -ENODEV from now. */
static void vfio_pci_mig_session_end(struct vfio_pci_mig *mig)
{
	struct vfio_pci_mig_stream *stream;

	if (!mig->session)
		return;
	stream = mig->session->private_data;
	stream->done = true;
	stream->vdev = NULL;
	vfio_pci_mig_free_chunks(&stream->chunks);
	stream->avail = 0;
	stream->precopy_left = 0;
	kvfree(stream->rec);
	stream->rec = NULL;
	fput(mig->session);
	mig->session = NULL;
}

/* ---- the state machine ------------------------------------------------- */

/* How far the device runs: 2 fully, 1 P2P quiesced, 0 stopped. */
static int vfio_pci_mig_level(enum vfio_device_mig_state state)
{
	switch (state) {
	case VFIO_DEVICE_STATE_RUNNING:
	case VFIO_DEVICE_STATE_PRE_COPY:
		return 2;
	case VFIO_DEVICE_STATE_RUNNING_P2P:
	case VFIO_DEVICE_STATE_PRE_COPY_P2P:
		return 1;
	default:
		return 0;
	}
}

static int vfio_pci_mig_run_op(struct vfio_pci_core_device *vdev,
			       int (*op)(struct vfio_pci_core_device *vdev))
{
	return op ? op(vdev) : 0;
}

/* Moves the device one level down (@down) or up from @level. */
static int vfio_pci_mig_step_level(struct vfio_pci_core_device *vdev,
				   int level, bool down)
{
	const struct vfio_pci_mig_ops *ops = vdev->mig->ops;

	if (down)
		return vfio_pci_mig_run_op(vdev, level == 2 ? ops->p2p_stop :
						 ops->stop);
	return vfio_pci_mig_run_op(vdev, level == 0 ? ops->start :
					 ops->p2p_start);
}

/* Runs the device at the level of @to, from that of @from. */
/* Returns -EIO only when it cannot get back to @from either. */
static int vfio_pci_mig_set_level(struct vfio_pci_core_device *vdev,
				  enum vfio_device_mig_state from,
				  enum vfio_device_mig_state to)
{
	int level = vfio_pci_mig_level(from), target = vfio_pci_mig_level(to);
	int ret;

	while (level != target) {
		bool down = target < level;

		ret = vfio_pci_mig_step_level(vdev, level, down);
		if (ret) {
			pci_warn(vdev->pdev, "migration: %s the device failed: %d\n",
				 down ? "quiescing" : "resuming", ret);
			/* Back to where the arc started. */
			while (level != vfio_pci_mig_level(from)) {
				if (vfio_pci_mig_step_level(vdev, level, !down))
					return -EIO;
				level += down ? 1 : -1;
			}
			return ret == -EIO ? -EAGAIN : ret;
		}
		level += down ? -1 : 1;
	}
	return 0;
}

/* The device could not be brought back to a known state. */
static struct file *vfio_pci_mig_broken(struct vfio_pci_mig *mig)
{
	vfio_pci_mig_session_end(mig);
	mig->state = VFIO_DEVICE_STATE_ERROR;
	return ERR_PTR(-EIO);
}

/* RESUMING -> STOP: the stream must be whole, the driver must agree. */
static int vfio_pci_mig_finish_load(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_mig *mig = vdev->mig;
	struct vfio_pci_mig_stream *stream = mig->session->private_data;
	int ret;

	if (stream->failed) {
		pci_warn(vdev->pdev, "migration: leaving RESUMING after a refused record\n");
		vfio_pci_mig_broken(mig);
		return -EIO;
	}
	if (!stream->loaded_final || stream->hdr_got) {
		pci_warn(vdev->pdev, "migration: leaving RESUMING with an incomplete stream\n");
		return -EINVAL;
	}
	if (mig->ops->load_finish) {
		ret = mig->ops->load_finish(vdev);
		if (ret) {
			pci_warn(vdev->pdev, "migration: the loaded state is not usable: %d\n",
				 ret);
			vfio_pci_mig_broken(mig);
			return -EIO;
		}
	}
	return 0;
}

/*
 * One arc of the state machine, @next one step from the current state.
 * Returns the new session's file, NULL, or an error; an arc that fails
 * half done leaves the device in ERROR.
 */
static struct file *vfio_pci_mig_arc(struct vfio_pci_core_device *vdev,
				     enum vfio_device_mig_state next)
{
	struct vfio_pci_mig *mig = vdev->mig;
	enum vfio_device_mig_state cur = mig->state;
	struct vfio_pci_mig_stream *stream;
	struct file *filp = NULL;
	int ret;

	if (cur == VFIO_DEVICE_STATE_RESUMING) {
		ret = vfio_pci_mig_finish_load(vdev);
		if (ret)
			return ERR_PTR(ret);
		vfio_pci_mig_session_end(mig);
	}
	if (vfio_pci_mig_saving(cur) && !vfio_pci_mig_saving(next))
		vfio_pci_mig_session_end(mig);

	ret = vfio_pci_mig_set_level(vdev, cur, next);
	if (ret == -EIO)
		return vfio_pci_mig_broken(mig);
	if (ret)
		return ERR_PTR(ret);

	if (next == VFIO_DEVICE_STATE_RESUMING) {
		filp = vfio_pci_mig_session_new(vdev, false);
		if (IS_ERR(filp))
			return filp;
	} else if (vfio_pci_mig_saving(next)) {
		enum vfio_pci_mig_record kind = vfio_pci_mig_precopy(next) ?
			VFIO_PCI_MIG_PRECOPY : VFIO_PCI_MIG_FINAL;
		bool new = !vfio_pci_mig_saving(cur);

		if (new) {
			filp = vfio_pci_mig_session_new(vdev, true);
			if (IS_ERR(filp))
				return filp;
		}
		stream = mig->session->private_data;
		/* PRE_COPY <-> PRE_COPY_P2P saves nothing new. */
		ret = (new || kind == VFIO_PCI_MIG_FINAL) ?
			vfio_pci_mig_save_record(stream, kind) : 0;
		if (ret) {
			if (new)
				vfio_pci_mig_session_end(mig);
			if (vfio_pci_mig_set_level(vdev, next, cur))
				return vfio_pci_mig_broken(mig);
			return ERR_PTR(ret);
		}
	}

	mig->state = next;
	/* The user gets one reference, the session keeps the other. */
	return filp ? get_file(filp) : NULL;
}

static struct file *
vfio_pci_mig_set_state(struct vfio_device *core_vdev,
		       enum vfio_device_mig_state new_state)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct vfio_pci_mig *mig = vdev->mig;
	enum vfio_device_mig_state next;
	struct file *filp = NULL;
	int ret;

	/* Only a failed arc leads to ERROR; the user cannot ask for it. */
	if (new_state == VFIO_DEVICE_STATE_ERROR)
		return ERR_PTR(-EINVAL);

	mutex_lock(&mig->lock);
	while (mig->state != new_state) {
		ret = vfio_mig_get_next_state(core_vdev, mig->state, new_state,
					      &next);
		if (ret) {
			filp = ERR_PTR(ret);
			break;
		}
		/* Only the last arc of a path can start a session. */
		filp = vfio_pci_mig_arc(vdev, next);
		if (IS_ERR(filp))
			break;
	}
	vfio_pci_mig_unlock(mig);
	return filp;
}

static int vfio_pci_mig_get_state(struct vfio_device *core_vdev,
				  enum vfio_device_mig_state *state)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	mutex_lock(&vdev->mig->lock);
	*state = vdev->mig->state;
	vfio_pci_mig_unlock(vdev->mig);
	return 0;
}

static int vfio_pci_mig_get_data_size(struct vfio_device *core_vdev,
				      unsigned long *stop_copy_length)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	size_t len = 0;
	int ret;

	mutex_lock(&vdev->mig->lock);
	ret = vdev->mig->ops->data_size(vdev, &len);
	vfio_pci_mig_unlock(vdev->mig);
	if (!ret)
		*stop_copy_length = len + sizeof(struct vfio_pci_mig_hdr);
	return ret;
}

static const struct vfio_migration_ops vfio_pci_mig_vfio_ops = {
	.migration_set_state		= vfio_pci_mig_set_state,
	.migration_get_state		= vfio_pci_mig_get_state,
	.migration_get_data_size	= vfio_pci_mig_get_data_size,
};

/* ---- resets, close, life cycle ------------------------------------------ */

/* Back to RUNNING with no session: the device was reset or closed. */
static void vfio_pci_mig_to_running(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_mig *mig = vdev->mig;

	vfio_pci_mig_session_end(mig);
	mig->state = VFIO_DEVICE_STATE_RUNNING;
	if (mig->ops->reset)
		mig->ops->reset(vdev);
}

/**
 * vfio_pci_mig_unlock - release a device's migration lock
 * @mig: the device's migration state, locked
 *
 * A reset that happened while the lock was held is carried out first; one
 * that comes in while it is being released is caught by trying the lock
 * again.
 */
void vfio_pci_mig_unlock(struct vfio_pci_mig *mig)
{
	for (;;) {
		if (atomic_xchg(&mig->reset_pending, 0) && mig->vdev)
			vfio_pci_mig_to_running(mig->vdev);
		mutex_unlock(&mig->lock);
		if (!atomic_read(&mig->reset_pending) ||
		    !mutex_trylock(&mig->lock))
			return;
	}
}

/**
 * vfio_pci_core_mig_reset - the device was reset: migration is back to RUNNING
 * @vdev: the device
 *
 * The core calls this for every reset the PCI core reports (the function,
 * slot and bus resets of VFIO_DEVICE_RESET and VFIO_DEVICE_PCI_HOT_RESET
 * included) through vfio_pci_core_err_handlers; a driver calls it after a
 * reset of its own making.  Any data fd session ends, the state becomes
 * RUNNING and the driver's reset op runs, now or, when the migration lock is
 * held, before its holder releases it.  Safe to call with memory_lock held
 * and the PCI device locked.  Nothing to do for a device without migration.
 */
void vfio_pci_core_mig_reset(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_mig *mig = vdev->mig;

	if (!mig)
		return;
	atomic_set(&mig->reset_pending, 1);
	if (!mutex_trylock(&mig->lock))
		return;
	if (atomic_xchg(&mig->reset_pending, 0))
		vfio_pci_mig_to_running(vdev);
	vfio_pci_mig_unlock(mig);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_mig_reset);

/**
 * vfio_pci_mig_close - the user closed the device
 * @vdev: the device
 *
 * Ends any session; the next open starts in RUNNING.
 */
void vfio_pci_mig_close(struct vfio_pci_core_device *vdev)
{
	if (!vdev->mig)
		return;
	mutex_lock(&vdev->mig->lock);
	atomic_set(&vdev->mig->reset_pending, 0);
	vfio_pci_mig_to_running(vdev);
	vfio_pci_mig_unlock(vdev->mig);
}

/**
 * vfio_pci_core_mig_init - give a device live migration through the core
 * @vdev: the device, from the driver's ->init after vfio_pci_core_init_dev()
 * @ops: the driver's migration ops; stop, start, save, load and data_size
 *	are required
 * @flags: VFIO_MIGRATION_STOP_COPY, with VFIO_MIGRATION_P2P and
 *	VFIO_MIGRATION_PRE_COPY as the device supports them
 *
 * Must run before the device is registered: the VFIO core reads the
 * migration flags when it is.  The core then serves
 * VFIO_DEVICE_FEATURE_MIGRATION, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE and
 * VFIO_DEVICE_FEATURE_MIG_DATA_SIZE for the device by calling @ops.  What
 * this allocates is freed by vfio_pci_core_release_dev().
 *
 * Return: 0, -EINVAL for incomplete ops or unknown flags, -ENOMEM.
 */
int vfio_pci_core_mig_init(struct vfio_pci_core_device *vdev,
			   const struct vfio_pci_mig_ops *ops, u32 flags)
{
	struct vfio_pci_mig *mig;

	if (!ops->stop || !ops->start || !ops->save || !ops->load ||
	    !ops->data_size || !(flags & VFIO_MIGRATION_STOP_COPY) ||
	    (flags & ~VFIO_PCI_MIG_FLAGS) || vdev->mig)
		return -EINVAL;

	mig = kzalloc(sizeof(*mig), GFP_KERNEL);
	if (!mig)
		return -ENOMEM;
	kref_init(&mig->ref);
	mutex_init(&mig->lock);
	mig->vdev = vdev;
	mig->ops = ops;
	mig->state = VFIO_DEVICE_STATE_RUNNING;

	vdev->mig = mig;
	vdev->vdev.mig_ops = &vfio_pci_mig_vfio_ops;
	vdev->vdev.migration_flags = flags;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_mig_init);

/**
 * vfio_pci_mig_release - drop the device's hold on its migration state
 * @vdev: the device, on its last reference
 */
void vfio_pci_mig_release(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_mig *mig = vdev->mig;

	if (!mig)
		return;
	mutex_lock(&mig->lock);
	atomic_set(&mig->reset_pending, 0);
	mig->vdev = NULL;
	mutex_unlock(&mig->lock);
	vfio_pci_mig_put(mig);
	vdev->mig = NULL;
}
