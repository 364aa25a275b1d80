/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO PCI core: the library a VFIO PCI driver is built from.
 *
 * A driver embeds struct vfio_pci_core_device (its first member is the
 * struct vfio_device), allocates it with vfio_alloc_device() naming an
 * ops table whose ->init is vfio_pci_core_init_dev() and whose ->release
 * is vfio_pci_core_release_dev(), and fills the other entries with the
 * vfio_pci_core_*() helpers or with wrappers around them.  See
 * Documentation/driver-api/vfio-pci-core.rst.
 */
#ifndef VFIO_PCI_CORE_H
#define VFIO_PCI_CORE_H

#include <linux/interrupt.h>
#include <linux/irqbypass.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/vfio.h>

struct vfio_pci_core_device;
struct vfio_pci_region;
struct vfio_pci_cfg;
struct vfio_pci_irq_ctx;
struct vfio_pci_sriov;
struct vfio_pci_mig;
struct vfio_pci_mig_stream;

/*
 * Each region lives at its own window of the device fd: the region index
 * sits in the bits above VFIO_PCI_OFFSET_SHIFT of the file offset, and
 * VFIO_DEVICE_GET_REGION_INFO reports the window's start.
 */
#define VFIO_PCI_OFFSET_SHIFT	40
#define VFIO_PCI_OFFSET_TO_INDEX(off)	((off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_INDEX_TO_OFFSET(index)	((u64)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_MASK	((1ULL << VFIO_PCI_OFFSET_SHIFT) - 1)

/**
 * struct vfio_pci_regops - how a device-specific region is accessed
 * @rw: read or write @count bytes of @region at @ppos (the file offset,
 *	region index included); returns the bytes done or a negative errno.
 * @release: free @region's data when the device is closed; may be NULL.
 * @mmap: map the region into @vma; NULL when the region cannot be mapped.
 * @add_capability: add region-info capabilities beyond the region type.
 */
struct vfio_pci_regops {
	ssize_t	(*rw)(struct vfio_pci_core_device *vdev,
		      struct vfio_pci_region *region, char __user *buf,
		      size_t count, loff_t *ppos, bool iswrite);
	void	(*release)(struct vfio_pci_core_device *vdev,
			   struct vfio_pci_region *region);
	int	(*mmap)(struct vfio_pci_core_device *vdev,
			struct vfio_pci_region *region,
			struct vm_area_struct *vma);
	int	(*add_capability)(struct vfio_pci_core_device *vdev,
				  struct vfio_pci_region *region,
				  struct vfio_info_cap *caps);
};

/**
 * struct vfio_pci_region - a device-specific region after the fixed ones
 * @type: VFIO_REGION_TYPE_* (vendor type: PCI_VENDOR_ID | VFIO_REGION_TYPE_PCI_VENDOR_TYPE)
 * @subtype: meaning depends on @type
 * @ops: access methods
 * @data: owner's data, passed back through @ops
 * @size: bytes
 * @flags: VFIO_REGION_INFO_FLAG_*
 */
struct vfio_pci_region {
	u32				type;
	u32				subtype;
	const struct vfio_pci_regops	*ops;
	void				*data;
	size_t				size;
	u32				flags;
};

/**
 * struct vfio_pci_core_device - a PCI function owned by a VFIO PCI driver
 * @vdev: the VFIO core's device; must stay the first member
 * @pdev: the PCI function
 *
 * Everything after @pdev belongs to the core.  A driver reads it only
 * through vfio_pci_core_*() helpers and never writes it.
 *
 * Locking, outermost first:
 *  - the device set's lock (vdev.dev_set->lock) serializes open and
 *    close of the first and last user of any device in the set, resets
 *    that span the set, and power transitions;
 *  - @igate serializes interrupt setup and teardown (SET_IRQS, close);
 *  - @notify_lock guards the ERR and REQ eventfds (@err_trigger,
 *    @req_trigger), innermost: it is taken under igate to change them and
 *    alone to signal them, from the AER core (which holds pci_bus_sem
 *    while it calls error_detected) and from the VFIO core's release
 *    request.  igate is no good there: it nests outside memory_lock,
 *    which a hot reset holds while the PCI core takes pci_bus_sem;
 *  - @memory_lock (rw semaphore) guards "may userspace touch device
 *    memory now": held for read around every BAR/ROM access, mmap fault
 *    and ioeventfd write, held for write while memory decode is turned
 *    off, during resets and while the function is in a low power state;
 *  - @cfg_lock serializes config-space writes (the virtual copy, the
 *    read-modify-write of hardware registers and the fields' handlers);
 *    reads do not take it;
 *  - @cfg_seq (a sequence count whose writers hold cfg_lock) is bumped
 *    around every change to the virtual copy; config reads retry their
 *    copy of virtual bits against it;
 *  - @irqlock (spinlock, irq-safe) guards the INTx masked state and the
 *    INTx trigger against the interrupt handler, and the hardware command
 *    register's INTx-disable bit against config writes;
 *  - @ioeventfds_lock guards the ioeventfd list; taken outside memory_lock
 *    (an ioeventfd's own write takes memory_lock for read, without it).
 *  - @pm_lock guards the user's low power request (@pm_engaged and its
 *    wake-up eventfd).  It is taken by the runtime PM resume callback, so
 *    nothing that holds it may wait for a runtime resume; it nests
 *    outside memory_lock.
 *  - the SR-IOV state of a PF (@sriov) has a mutex of its own, innermost.
 *  - the migration state (@mig, only for drivers that call
 *    vfio_pci_core_mig_init()) has a mutex that nests outside memory_lock
 *    and the mm's lock (the data fd copies to and from user memory under
 *    it).  Resets run with memory_lock held and the PCI device locked, so
 *    they never wait for it: vfio_pci_core_mig_reset() leaves the reset to
 *    whoever holds it, to be done before it is released.
 */
struct vfio_pci_core_device {
	struct vfio_device		vdev;
	struct pci_dev			*pdev;

	/* private: to the core */
	void __iomem			*barmap[PCI_STD_NUM_BARS];
	bool				bar_mmap_ok[PCI_STD_NUM_BARS];
	struct resource			*bar_pad[PCI_STD_NUM_BARS];
	struct vfio_pci_cfg		*cfg;
	struct pci_saved_state		*pci_saved_state;
	struct vfio_pci_region		*region;
	unsigned int			num_regions;

	struct mutex			igate;
	spinlock_t			irqlock;
	int				irq_type;
	struct vfio_pci_irq_ctx		**irq_ctx;
	unsigned int			num_ctx;
	unsigned int			nvec_alloc;
	bool				intx_masked;
	struct mutex			notify_lock;
	struct eventfd_ctx		*err_trigger;
	struct eventfd_ctx		*req_trigger;

	int				msix_bar;
	u32				msix_offset;
	u32				msix_size;

	struct rw_semaphore		memory_lock;
	struct mutex			cfg_lock;
	seqcount_mutex_t		cfg_seq;
	struct mutex			ioeventfds_lock;
	struct list_head		ioeventfds_list;
	unsigned int			ioeventfds_nr;

	bool				is_open;
	bool				reset_works;
	bool				pci_2_3;
	bool				nointx;
	bool				has_vga;
	bool				has_dyn_msix;
	bool				idle_d3;
	bool				power_low;
	u8				*vconfig;

	struct mutex			pm_lock;
	bool				pm_engaged;
	bool				pm_intx_masked;
	struct eventfd_ctx		*pm_wake_trigger;

	struct vfio_pci_sriov		*sriov;
	struct notifier_block		sriov_nb;
	bool				vf_counted;
	bool				needs_reset;

	struct vfio_pci_mig		*mig;
};

/* ->init/->release of the driver's vfio_device_ops */
int vfio_pci_core_init_dev(struct vfio_device *core_vdev);
void vfio_pci_core_release_dev(struct vfio_device *core_vdev);

/* probe/remove */
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev);
void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev);

/* the open path: enable, the driver's own setup, finish-enable */
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev);
int __must_check vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_close_device(struct vfio_device *core_vdev);

/* file operations of the device fd */
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg);
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags,
				void __user *arg, size_t argsz);
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf,
			   size_t count, loff_t *ppos);
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev,
			    const char __user *buf, size_t count, loff_t *ppos);
int vfio_pci_core_mmap(struct vfio_device *core_vdev,
		       struct vm_area_struct *vma);
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count);
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf);

/* device-specific regions */
int vfio_pci_core_register_dev_region(struct vfio_pci_core_device *vdev,
				      unsigned int type, unsigned int subtype,
				      const struct vfio_pci_regops *ops,
				      size_t size, u32 flags, void *data);

/* helpers for drivers that access the device themselves */
int vfio_pci_core_setup_barmap(struct vfio_pci_core_device *vdev, int bar);
void __iomem *vfio_pci_core_iomap(struct vfio_pci_core_device *vdev, int bar);
int vfio_pci_core_mem_begin(struct vfio_pci_core_device *vdev);
void vfio_pci_core_mem_end(struct vfio_pci_core_device *vdev);

/**
 * enum vfio_pci_mig_record - the kinds of record in a migration stream
 * @VFIO_PCI_MIG_PRECOPY: saved while the device runs (PRE_COPY states);
 *	the destination may use it early, for example to check that it is
 *	compatible, and must not depend on it alone
 * @VFIO_PCI_MIG_FINAL: saved on entering STOP_COPY with the device stopped;
 *	exactly one ends every complete stream
 */
enum vfio_pci_mig_record {
	VFIO_PCI_MIG_PRECOPY = 1,
	VFIO_PCI_MIG_FINAL = 2,
};

/**
 * struct vfio_pci_mig_ops - what a migrating driver supplies to the core
 * @p2p_stop: RUNNING -> RUNNING_P2P: finish and stop initiating peer to peer
 *	DMA (all DMA if the device cannot tell).  Only with VFIO_MIGRATION_P2P;
 *	may be NULL when the device needs nothing for it.
 * @p2p_start: RUNNING_P2P -> RUNNING, the undo of @p2p_stop; may be NULL.
 * @stop: RUNNING_P2P (or RUNNING) -> STOP: the device stops; from here on
 *	it raises no interrupt, does no DMA and changes no state of its own.
 *	Required.
 * @start: STOP -> RUNNING_P2P (or RUNNING): the device runs again.  After a
 *	load this is where state with side effects (pending interrupts) is
 *	put back.  Required.
 * @save: append the device's state to @stream with vfio_pci_core_mig_add():
 *	a @kind VFIO_PCI_MIG_PRECOPY record while the device runs (on entering
 *	PRE_COPY, and again whenever @precopy_dirty says there is more), or the
 *	VFIO_PCI_MIG_FINAL record once stopped (entering STOP_COPY).  Required.
 * @load: take one complete record of @kind, @len bytes at @data, written by
 *	the user in RESUMING; the device is stopped.  Return -EINVAL for data
 *	the driver cannot use.  Required.
 * @load_finish: RESUMING -> STOP, after a complete stream: check the loaded
 *	state as a whole.  An error fails the arc and leaves the device in
 *	ERROR.  May be NULL.
 * @data_size: estimate of the bytes the VFIO_PCI_MIG_FINAL record will
 *	take (VFIO_DEVICE_FEATURE_MIG_DATA_SIZE).  Required.
 * @precopy_dirty: bytes of state changed since the last PRE_COPY save, for
 *	VFIO_MIG_GET_PRECOPY_INFO's dirty_bytes; NULL reports 0.
 * @reset: the device was reset (by the user, the PCI core or the driver)
 *	or closed: forget any state kept for a migration.  May be NULL.
 * @max_record: the largest record @load accepts; a stream announcing a
 *	larger one is refused before any of it is buffered.
 *
 * The core calls every op with the device's migration lock held, so they
 * never run concurrently with each other.  Ops that touch the device's
 * memory BARs bracket the access with vfio_pci_core_mem_begin() and
 * vfio_pci_core_mem_end().
 */
struct vfio_pci_mig_ops {
	int	(*p2p_stop)(struct vfio_pci_core_device *vdev);
	int	(*p2p_start)(struct vfio_pci_core_device *vdev);
	int	(*stop)(struct vfio_pci_core_device *vdev);
	int	(*start)(struct vfio_pci_core_device *vdev);
	int	(*save)(struct vfio_pci_core_device *vdev,
			struct vfio_pci_mig_stream *stream,
			enum vfio_pci_mig_record kind);
	int	(*load)(struct vfio_pci_core_device *vdev,
			enum vfio_pci_mig_record kind, const void *data,
			size_t len);
	int	(*load_finish)(struct vfio_pci_core_device *vdev);
	int	(*data_size)(struct vfio_pci_core_device *vdev, size_t *len);
	u64	(*precopy_dirty)(struct vfio_pci_core_device *vdev);
	void	(*reset)(struct vfio_pci_core_device *vdev);
	size_t	max_record;
};

/* migration (vfio_pci_mig.c): set up from ->init, before registration */
int vfio_pci_core_mig_init(struct vfio_pci_core_device *vdev,
			   const struct vfio_pci_mig_ops *ops, u32 flags);
int vfio_pci_core_mig_add(struct vfio_pci_mig_stream *stream,
			  const void *data, size_t len);
void vfio_pci_core_mig_reset(struct vfio_pci_core_device *vdev);

/* driver-level plumbing */
void vfio_pci_core_set_params(bool nointxmask, bool is_disable_vga,
			      bool is_disable_idle_d3);

/**
 * DOC: vfio_pci_core_err_handlers
 *
 * The pci_error_handlers a driver built on the core points its
 * pci_driver.err_handler at: error_detected is
 * vfio_pci_core_aer_err_detected(), and reset_done ends any migration in
 * progress (vfio_pci_core_mig_reset()).  A driver with handlers of its own
 * calls both from its own.
 */
extern const struct pci_error_handlers vfio_pci_core_err_handlers;

/**
 * DOC: vfio_pci_core_pm_ops
 *
 * The dev_pm_ops a driver built on the core points its pci_driver.driver.pm
 * at.  They let a function nobody has open suspend at runtime (the PCI core
 * puts it in D3hot) and bring it back when it is opened.
 */
extern const struct dev_pm_ops vfio_pci_core_pm_ops;
int vfio_pci_core_sriov_configure(struct vfio_pci_core_device *vdev,
				  int nr_virtfn);
pci_ers_result_t vfio_pci_core_aer_err_detected(struct pci_dev *pdev,
						pci_channel_state_t state);

#endif /* VFIO_PCI_CORE_H */
