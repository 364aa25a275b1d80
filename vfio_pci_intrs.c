// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO PCI interrupts: INTx, MSI, MSI-X, and the error and request
 * notifications, as VFIO_DEVICE_SET_IRQS drives them.
 *
 * One interrupt mode (INTx, MSI or MSI-X) is active at a time; switching
 * means disabling the old one first.  Each vector has a context holding
 * the user's eventfd, its Linux irq and an irqbypass producer whose token
 * is the eventfd, so KVM can deliver the interrupt to a guest directly.
 *
 * INTx is level triggered and the user cannot see the line: the handler
 * masks the function (PCI 2.3 INTx disable, so the line can be shared) or
 * the irq (exclusive line), then signals; the user unmasks by ioctl or by
 * an unmask eventfd once it has serviced the device.
 *
 * Locking: callers of vfio_pci_set_irqs_ioctl() hold igate.  The INTx
 * masked state and the trigger the handler reads are guarded by irqlock,
 * which an eventfd's wakeup may take (the unmask eventfd's does): never
 * signal an eventfd while holding it.
 * Enabling or disabling MSI-X touches the vector table in a BAR, so it
 * runs with memory_lock held for write and memory decode forced on.
 * The ERR and REQ eventfds are changed under notify_lock (inside igate),
 * the lock their signallers take alone (see vfio_pci_core.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irqbypass.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio_pci_priv.h"

/**
 * struct vfio_pci_irq_ctx - one interrupt vector given to the user
 * @trigger: signalled when the vector fires
 * @unmask: INTx: eventfd whose signal unmasks
 * @mask: INTx: eventfd whose signal masks
 * @name: irq name shown in /proc/interrupts
 * @irq: Linux irq number
 * @dyn: MSI-X vector allocated after enable (@map holds it)
 * @map: the dynamically allocated vector
 * @producer: irqbypass producer, registered while @trigger is set
 */
struct vfio_pci_irq_ctx {
	struct eventfd_ctx		*trigger;
	struct virqfd			*unmask;
	struct virqfd			*mask;
	char				*name;
	int				irq;
	bool				dyn;
	struct msi_map			map;
	struct irq_bypass_producer	producer;
};

static bool irq_is(struct vfio_pci_core_device *vdev, unsigned int index)
{
	return vdev->irq_type == index;
}

static bool irq_none(struct vfio_pci_core_device *vdev)
{
	return vdev->irq_type == VFIO_PCI_NUM_IRQS;
}

/**
 * vfio_pci_irq_count - how many vectors an irq index offers
 * @vdev: the device
 * @index: VFIO_PCI_*_IRQ_INDEX
 *
 * Return: the count, 0 where the function lacks the mechanism.
 */
int vfio_pci_irq_count(struct vfio_pci_core_device *vdev, unsigned int index)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;
	int n;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (!IS_ENABLED(CONFIG_VFIO_PCI_INTX) || vdev->nointx ||
		    pdev->is_virtfn || !pdev->irq)
			return 0;
		return pdev->pin ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		if (!pdev->msi_cap)
			return 0;
		pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags);
		return 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	case VFIO_PCI_MSIX_IRQ_INDEX:
		n = pci_msix_vec_count(pdev);
		return n > 0 ? n : 0;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pci_is_pcie(pdev) ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

static int vfio_pci_alloc_ctx_array(struct vfio_pci_core_device *vdev,
				    unsigned int n)
{
	vdev->irq_ctx = kcalloc(n, sizeof(*vdev->irq_ctx), GFP_KERNEL_ACCOUNT);
	if (!vdev->irq_ctx)
		return -ENOMEM;
	vdev->num_ctx = n;
	return 0;
}

static void vfio_pci_free_ctx_array(struct vfio_pci_core_device *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->num_ctx; i++)
		kfree(vdev->irq_ctx[i]);
	kfree(vdev->irq_ctx);
	vdev->irq_ctx = NULL;
	vdev->num_ctx = 0;
	vdev->irq_type = VFIO_PCI_NUM_IRQS;
}

/* ------------------------------------------------------------------ */
/* INTx                                                                */

/*
 * Signal outside irqlock: the user may have made the trigger its unmask
 * eventfd as well, and that eventfd's wakeup takes irqlock.  The trigger
 * stays valid here: whoever replaces or frees it holds igate, as our
 * process-context callers do, and first waits for the irq handler
 * (synchronize_irq(), free_irq()) and the unmask thread.
 */
static void vfio_pci_intx_signal(void *opaque, void *unused)
{
	struct vfio_pci_core_device *vdev = opaque;
	struct eventfd_ctx *trigger = NULL;
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (irq_is(vdev, VFIO_PCI_INTX_IRQ_INDEX))
		trigger = vdev->irq_ctx[0]->trigger;
	spin_unlock_irqrestore(&vdev->irqlock, flags);

	if (trigger)
		eventfd_signal(trigger);
}

/*
 * The user's own INTx-disable bit in its view of the command register.
 * While it is set the driver neither lets INTx through at enable nor
 * unmasks, as the reference does; clearing it (a config write, which
 * reaches the hardware bit) lets a pending INTx in.  Read without
 * cfg_lock: a racing config write is ordered by the user, not by us.
 */
static bool vfio_pci_intx_user_disabled(struct vfio_pci_core_device *vdev)
{
	__le16 cmd;

	memcpy(&cmd, vdev->vconfig + PCI_COMMAND, sizeof(cmd));
	return le16_to_cpu(cmd) & PCI_COMMAND_INTX_DISABLE;
}

/* Mask the function's INTx; irqlock held. */
static void __vfio_pci_intx_mask(struct vfio_pci_core_device *vdev)
{
	if (vdev->intx_masked)
		return;
	if (vdev->pci_2_3)
		pci_intx(vdev->pdev, 0);
	else
		disable_irq_nosync(vdev->pdev->irq);
	vdev->intx_masked = true;
}

/**
 * vfio_pci_intx_mask - mask INTx on the user's behalf
 * @vdev: the device, INTx enabled
 */
void vfio_pci_intx_mask(struct vfio_pci_core_device *vdev)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	__vfio_pci_intx_mask(vdev);
	spin_unlock_irqrestore(&vdev->irqlock, flags);
}

/*
 * Unmask INTx.  Returns 1 when the function still asserts INTx: it stays
 * masked and the caller signals the user again.  Safe in atomic context
 * (the unmask eventfd calls it from its wakeup).
 */
static int vfio_pci_intx_unmask_handler(void *opaque, void *unused)
{
	struct vfio_pci_core_device *vdev = opaque;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (vdev->intx_masked && irq_is(vdev, VFIO_PCI_INTX_IRQ_INDEX) &&
	    !vfio_pci_intx_user_disabled(vdev)) {
		if (vdev->pci_2_3) {
			if (pci_check_and_unmask_intx(vdev->pdev))
				vdev->intx_masked = false;
			else
				ret = 1;
		} else {
			enable_irq(vdev->pdev->irq);
			vdev->intx_masked = false;
		}
	}
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	return ret;
}

/**
 * vfio_pci_intx_unmask - unmask INTx on the user's behalf
 * @vdev: the device, INTx enabled
 */
void vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev)
{
	if (vfio_pci_intx_unmask_handler(vdev, NULL) > 0)
		vfio_pci_intx_signal(vdev, NULL);
}

static irqreturn_t vfio_pci_intx_handler(int irq, void *dev_id)
{
	struct vfio_pci_core_device *vdev = dev_id;
	struct eventfd_ctx *trigger = NULL;
	irqreturn_t ret = IRQ_NONE;
	unsigned long flags;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (!vdev->pci_2_3) {
		disable_irq_nosync(irq);
		vdev->intx_masked = true;
		ret = IRQ_HANDLED;
	} else if (!vdev->intx_masked && pci_check_and_mask_intx(vdev->pdev)) {
		vdev->intx_masked = true;
		ret = IRQ_HANDLED;
	}
	if (ret == IRQ_HANDLED)
		trigger = vdev->irq_ctx[0]->trigger;
	spin_unlock_irqrestore(&vdev->irqlock, flags);

	/* Outside irqlock, as in vfio_pci_intx_signal(). */
	if (trigger)
		eventfd_signal(trigger);
	return ret;
}

static int vfio_pci_intx_enable(struct vfio_pci_core_device *vdev,
				struct eventfd_ctx *trigger)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_irq_ctx *ctx;
	unsigned long irqflags = 0;
	int ret;

	if (!vfio_pci_irq_count(vdev, VFIO_PCI_INTX_IRQ_INDEX))
		return -ENODEV;

	ret = vfio_pci_alloc_ctx_array(vdev, 1);
	if (ret)
		return ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx) {
		ret = -ENOMEM;
		goto err_free_array;
	}
	vdev->irq_ctx[0] = ctx;
	ctx->name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-intx(%s)", pci_name(pdev));
	if (!ctx->name) {
		ret = -ENOMEM;
		goto err_free_array;
	}
	ctx->trigger = trigger;
	ctx->irq = pdev->irq;

	/*
	 * Unmasked (a disable forgets the mask) unless the user's command
	 * register says INTx-disable: with PCI 2.3 the function stays
	 * disabled until the user clears the bit; an exclusive line starts
	 * masked, for the user to unmask once it cleared the bit.
	 */
	if (vdev->pci_2_3) {
		pci_intx(pdev, !vdev->intx_masked && !vfio_pci_intx_user_disabled(vdev));
		irqflags = IRQF_SHARED;
	} else if (vdev->intx_masked || vfio_pci_intx_user_disabled(vdev)) {
		vdev->intx_masked = true;
		irqflags = IRQF_NO_AUTOEN;
	}

	vdev->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
	ret = request_irq(pdev->irq, vfio_pci_intx_handler, irqflags, ctx->name, vdev);
	if (ret) {
		pci_info(pdev, "cannot get INTx irq %d: %d\n", pdev->irq, ret);
		goto err_free_name;
	}
	return 0;

err_free_name:
	kfree(ctx->name);
err_free_array:
	vfio_pci_free_ctx_array(vdev);
	return ret;
}

static void vfio_pci_intx_disable(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx = vdev->irq_ctx[0];
	struct pci_dev *pdev = vdev->pdev;

	vfio_virqfd_disable(&ctx->unmask);
	vfio_virqfd_disable(&ctx->mask);
	/* Freeing the last action shuts the line down and resets its depth. */
	free_irq(pdev->irq, vdev);
	if (ctx->trigger)
		eventfd_ctx_put(ctx->trigger);
	kfree(ctx->name);
	vfio_pci_free_ctx_array(vdev);
	/*
	 * The mask belongs to this enable: the next enable starts unmasked,
	 * as with the reference (it clears PCI 2.3 INTx-disable itself).
	 */
	vdev->intx_masked = false;
}

static int vfio_pci_set_intx_trigger(struct vfio_pci_core_device *vdev,
				     unsigned int index, unsigned int start,
				     unsigned int count, u32 flags, void *data)
{
	struct eventfd_ctx *trigger = NULL, *old;
	unsigned long irqflags;
	s32 fd;

	if (irq_is(vdev, index) && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		vfio_pci_intx_disable(vdev);
		return 0;
	}

	/* INTx is one vector: everything else names exactly that one. */
	if ((!irq_none(vdev) && !irq_is(vdev, index)) || start || count != 1)
		return -EINVAL;

	if (!(flags & VFIO_IRQ_SET_DATA_EVENTFD)) {
		if (!irq_is(vdev, index))
			return -EINVAL;
		if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(u8 *)data)
			vfio_pci_intx_signal(vdev, NULL);
		return 0;
	}

	/*
	 * A negative fd detaches the eventfd but leaves INTx the device's
	 * mode (enabling it without one if need be), as the reference does;
	 * only count 0 + DATA_NONE disables.
	 */
	fd = *(s32 *)data;
	if (fd >= 0) {
		trigger = eventfd_ctx_fdget(fd);
		if (IS_ERR(trigger))
			return PTR_ERR(trigger);
	}

	if (!irq_is(vdev, index)) {
		int ret = vfio_pci_intx_enable(vdev, trigger);

		if (ret && trigger)
			eventfd_ctx_put(trigger);
		return ret;
	}

	/* Already enabled: swap the eventfd; no handler may still use the old. */
	spin_lock_irqsave(&vdev->irqlock, irqflags);
	old = vdev->irq_ctx[0]->trigger;
	vdev->irq_ctx[0]->trigger = trigger;
	spin_unlock_irqrestore(&vdev->irqlock, irqflags);
	synchronize_irq(vdev->pdev->irq);
	vfio_virqfd_flush_thread(&vdev->irq_ctx[0]->unmask);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

static int vfio_pci_set_intx_unmask(struct vfio_pci_core_device *vdev,
				    unsigned int index, unsigned int start,
				    unsigned int count, u32 flags, void *data)
{
	struct vfio_pci_irq_ctx *ctx;
	s32 fd;

	if (!irq_is(vdev, index) || start || count != 1)
		return -EINVAL;
	ctx = vdev->irq_ctx[0];

	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		vfio_pci_intx_unmask(vdev);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(u8 *)data)
			vfio_pci_intx_unmask(vdev);
	} else {
		/* Any negative fd stops unmasking by eventfd. */
		fd = *(s32 *)data;
		if (fd >= 0)
			return vfio_virqfd_enable(vdev, vfio_pci_intx_unmask_handler,
						  vfio_pci_intx_signal, NULL,
						  &ctx->unmask, fd);
		vfio_virqfd_disable(&ctx->unmask);
	}
	return 0;
}

static int vfio_pci_set_intx_mask(struct vfio_pci_core_device *vdev,
				  unsigned int index, unsigned int start,
				  unsigned int count, u32 flags, void *data)
{
	if (!irq_is(vdev, index) || start || count != 1)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		vfio_pci_intx_mask(vdev);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(u8 *)data)
			vfio_pci_intx_mask(vdev);
	} else {
		/* Masking by eventfd is not offered, as in the reference. */
		return -ENOTTY;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* MSI and MSI-X                                                       */

static irqreturn_t vfio_pci_msi_handler(int irq, void *arg)
{
	eventfd_signal(arg);
	return IRQ_HANDLED;
}

/*
 * The PCI core reads and writes the MSI-X table in a BAR: with the user's
 * memory decode off that would go nowhere, so turn it on for the duration.
 */
static u16 vfio_pci_memory_lock_and_enable(struct vfio_pci_core_device *vdev)
{
	u16 cmd;

	down_write(&vdev->memory_lock);
	pci_read_config_word(vdev->pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(vdev->pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	return cmd;
}

static void vfio_pci_memory_unlock_and_restore(struct vfio_pci_core_device *vdev,
					       u16 cmd)
{
	pci_write_config_word(vdev->pdev, PCI_COMMAND, cmd);
	up_write(&vdev->memory_lock);
}

static int vfio_pci_msi_enable(struct vfio_pci_core_device *vdev,
			       unsigned int nvec, bool msix)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int index = msix ? VFIO_PCI_MSIX_IRQ_INDEX : VFIO_PCI_MSI_IRQ_INDEX;
	unsigned int max = vfio_pci_irq_count(vdev, index);
	u16 cmd;
	int ret;

	/* Zero vectors is a range error, as pci_alloc_irq_vectors() says. */
	if (!nvec)
		return -ERANGE;
	if (nvec > max)
		return -EINVAL;

	/* MSI-X vectors may be added later: room for all of them. */
	ret = vfio_pci_alloc_ctx_array(vdev, msix ? max : nvec);
	if (ret)
		return ret;

	cmd = vfio_pci_memory_lock_and_enable(vdev);
	ret = pci_alloc_irq_vectors(pdev, nvec, nvec, msix ? PCI_IRQ_MSIX : PCI_IRQ_MSI);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	if (ret < 0) {
		pci_info(pdev, "cannot enable %u %s vectors: %d\n", nvec,
			 msix ? "MSI-X" : "MSI", ret);
		vfio_pci_free_ctx_array(vdev);
		return ret;
	}

	vdev->nvec_alloc = nvec;
	vdev->irq_type = index;
	return 0;
}

static void vfio_pci_msi_vector_release(struct vfio_pci_core_device *vdev,
					struct vfio_pci_irq_ctx *ctx)
{
	if (!ctx->trigger)
		return;
	irq_bypass_unregister_producer(&ctx->producer);
	free_irq(ctx->irq, ctx->trigger);
	eventfd_ctx_put(ctx->trigger);
	ctx->trigger = NULL;
	kfree(ctx->name);
	ctx->name = NULL;
}

/* Make sure vector @i exists in the function, allocating it if it can. */
static int vfio_pci_msi_vector_get(struct vfio_pci_core_device *vdev,
				   struct vfio_pci_irq_ctx *ctx, unsigned int i,
				   bool msix)
{
	struct msi_map map;
	u16 cmd;

	if (i < vdev->nvec_alloc) {
		ctx->irq = pci_irq_vector(vdev->pdev, i);
		return ctx->irq < 0 ? ctx->irq : 0;
	}
	if (ctx->dyn)
		return 0;
	if (!msix || !vdev->has_dyn_msix)
		return -EINVAL;

	cmd = vfio_pci_memory_lock_and_enable(vdev);
	map = pci_msix_alloc_irq_at(vdev->pdev, i, NULL);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	if (map.index < 0)
		return map.index;

	ctx->dyn = true;
	ctx->map = map;
	ctx->irq = map.virq;
	return 0;
}

static int vfio_pci_msi_vector_set(struct vfio_pci_core_device *vdev,
				   unsigned int i, s32 fd, bool msix)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_irq_ctx *ctx;
	struct eventfd_ctx *trigger;
	int ret;

	/* MSI has only the vectors enabled; MSI-X has room for its table. */
	if (i >= vdev->num_ctx)
		return -EINVAL;
	ctx = vdev->irq_ctx[i];
	if (ctx)
		vfio_pci_msi_vector_release(vdev, ctx);
	/* Any negative fd detaches, as the reference does. */
	if (fd < 0)
		return 0;

	if (!ctx) {
		ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
		if (!ctx)
			return -ENOMEM;
		vdev->irq_ctx[i] = ctx;
	}

	ret = vfio_pci_msi_vector_get(vdev, ctx, i, msix);
	if (ret)
		return ret;

	trigger = eventfd_ctx_fdget(fd);
	if (IS_ERR(trigger))
		return PTR_ERR(trigger);

	ctx->name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-msi%s[%u](%s)",
			      msix ? "x" : "", i, pci_name(pdev));
	if (!ctx->name) {
		ret = -ENOMEM;
		goto err_put;
	}

	/*
	 * The user may have rewritten the vector table through a mapping of
	 * its BAR; put back the message the kernel set up for this irq.
	 */
	if (msix) {
		struct msi_msg msg;
		u16 cmd;

		cmd = vfio_pci_memory_lock_and_enable(vdev);
		get_cached_msi_msg(ctx->irq, &msg);
		pci_write_msi_msg(ctx->irq, &msg);
		vfio_pci_memory_unlock_and_restore(vdev, cmd);
	}

	ret = request_irq(ctx->irq, vfio_pci_msi_handler, 0, ctx->name, trigger);
	if (ret)
		goto err_free_name;

	ctx->producer.token = trigger;
	ctx->producer.irq = ctx->irq;
	ret = irq_bypass_register_producer(&ctx->producer);
	if (ret) {
		pci_info(pdev, "irq bypass producer for irq %d not registered: %d\n",
			 ctx->irq, ret);
		ctx->producer.token = NULL;
	}
	ctx->trigger = trigger;
	return 0;

err_free_name:
	kfree(ctx->name);
	ctx->name = NULL;
err_put:
	eventfd_ctx_put(trigger);
	return ret;
}

static void vfio_pci_msi_disable(struct vfio_pci_core_device *vdev)
{
	unsigned int i;
	u16 cmd;

	for (i = 0; i < vdev->num_ctx; i++)
		if (vdev->irq_ctx[i])
			vfio_pci_msi_vector_release(vdev, vdev->irq_ctx[i]);

	cmd = vfio_pci_memory_lock_and_enable(vdev);
	pci_free_irq_vectors(vdev->pdev);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);

	vdev->nvec_alloc = 0;
	vfio_pci_free_ctx_array(vdev);
}

static int vfio_pci_set_msi_trigger(struct vfio_pci_core_device *vdev,
				    unsigned int index, unsigned int start,
				    unsigned int count, u32 flags, void *data)
{
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	unsigned int i;
	int ret;

	if (irq_is(vdev, index) && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		vfio_pci_msi_disable(vdev);
		return 0;
	}

	if (!irq_none(vdev) && !irq_is(vdev, index))
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		s32 *fds = data;
		bool enabled_here = false;

		if (irq_none(vdev)) {
			ret = vfio_pci_msi_enable(vdev, start + count, msix);
			if (ret)
				return ret;
			enabled_here = true;
		}

		for (i = 0; i < count; i++) {
			ret = vfio_pci_msi_vector_set(vdev, start + i, fds[i], msix);
			if (ret)
				goto err_unwind;
		}
		return 0;

err_unwind:
		while (i--)
			vfio_pci_msi_vector_set(vdev, start + i, -1, msix);
		if (enabled_here)
			vfio_pci_msi_disable(vdev);
		return ret;
	}

	if (!irq_is(vdev, index))
		return -EINVAL;

	for (i = start; i < start + count; i++) {
		struct vfio_pci_irq_ctx *ctx = i < vdev->num_ctx ? vdev->irq_ctx[i] : NULL;

		if (!ctx || !ctx->trigger)
			continue;
		if ((flags & VFIO_IRQ_SET_DATA_NONE) || ((u8 *)data)[i - start])
			eventfd_signal(ctx->trigger);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* error and request notification                                      */

static int vfio_pci_set_notify(struct eventfd_ctx **pctx, unsigned int count,
			       u32 flags, void *data)
{
	struct eventfd_ctx *ctx;
	s32 fd;

	/* DATA_NONE needs an eventfd: count 0 detaches it, else signals it. */
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (!*pctx)
			return -EINVAL;
		if (count) {
			eventfd_signal(*pctx);
		} else {
			eventfd_ctx_put(*pctx);
			*pctx = NULL;
		}
		return 0;
	}

	/* The data is one entry; count 0 brought none. */
	if (!count)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(u8 *)data && *pctx)
			eventfd_signal(*pctx);
		return 0;
	}

	fd = *(s32 *)data;
	if (fd < -1)
		return -EINVAL;
	ctx = NULL;
	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	if (*pctx)
		eventfd_ctx_put(*pctx);
	*pctx = ctx;
	return 0;
}

static int vfio_pci_set_err_trigger(struct vfio_pci_core_device *vdev,
				    unsigned int index, unsigned int start,
				    unsigned int count, u32 flags, void *data)
{
	int ret;

	mutex_lock(&vdev->notify_lock);
	ret = vfio_pci_set_notify(&vdev->err_trigger, count, flags, data);
	mutex_unlock(&vdev->notify_lock);
	return ret;
}

static int vfio_pci_set_req_trigger(struct vfio_pci_core_device *vdev,
				    unsigned int index, unsigned int start,
				    unsigned int count, u32 flags, void *data)
{
	int ret;

	mutex_lock(&vdev->notify_lock);
	ret = vfio_pci_set_notify(&vdev->req_trigger, count, flags, data);
	mutex_unlock(&vdev->notify_lock);
	return ret;
}

typedef int (*vfio_pci_set_irqs_fn)(struct vfio_pci_core_device *vdev,
				    unsigned int index, unsigned int start,
				    unsigned int count, u32 flags, void *data);

/* Who handles an action on an index; an empty slot is -ENOTTY. */
static const vfio_pci_set_irqs_fn set_irqs_fns[VFIO_PCI_NUM_IRQS][3] = {
	[VFIO_PCI_INTX_IRQ_INDEX] = {
		[0] = vfio_pci_set_intx_mask,
		[1] = vfio_pci_set_intx_unmask,
		[2] = vfio_pci_set_intx_trigger,
	},
	[VFIO_PCI_MSI_IRQ_INDEX] = { [2] = vfio_pci_set_msi_trigger },
	[VFIO_PCI_MSIX_IRQ_INDEX] = { [2] = vfio_pci_set_msi_trigger },
	[VFIO_PCI_ERR_IRQ_INDEX] = { [2] = vfio_pci_set_err_trigger },
	[VFIO_PCI_REQ_IRQ_INDEX] = { [2] = vfio_pci_set_req_trigger },
};

/**
 * vfio_pci_set_irqs_ioctl - carry out a validated VFIO_DEVICE_SET_IRQS
 * @vdev: the device; igate held
 * @flags: one data type and one action
 * @index: irq index, below VFIO_PCI_NUM_IRQS
 * @start: first vector
 * @count: number of vectors
 * @data: @count entries of the data type, or NULL for DATA_NONE
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_set_irqs_ioctl(struct vfio_pci_core_device *vdev, u32 flags,
			    unsigned int index, unsigned int start,
			    unsigned int count, void *data)
{
	vfio_pci_set_irqs_fn fn;
	unsigned int action;

	lockdep_assert_held(&vdev->igate);

	/* No action, or several, is no handler at all: -ENOTTY. */
	switch (flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) {
	case VFIO_IRQ_SET_ACTION_MASK:
		action = 0;
		break;
	case VFIO_IRQ_SET_ACTION_UNMASK:
		action = 1;
		break;
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		action = 2;
		break;
	default:
		return -ENOTTY;
	}

	fn = set_irqs_fns[index][action];
	if (!fn)
		return -ENOTTY;
	return fn(vdev, index, start, count, flags, data);
}

/**
 * vfio_pci_irqs_teardown - free every interrupt resource of a closing device
 * @vdev: the device
 */
void vfio_pci_irqs_teardown(struct vfio_pci_core_device *vdev)
{
	mutex_lock(&vdev->igate);
	if (irq_is(vdev, VFIO_PCI_INTX_IRQ_INDEX))
		vfio_pci_intx_disable(vdev);
	else if (!irq_none(vdev))
		vfio_pci_msi_disable(vdev);
	vdev->intx_masked = false;

	mutex_lock(&vdev->notify_lock);
	if (vdev->err_trigger)
		eventfd_ctx_put(vdev->err_trigger);
	vdev->err_trigger = NULL;
	if (vdev->req_trigger)
		eventfd_ctx_put(vdev->req_trigger);
	vdev->req_trigger = NULL;
	mutex_unlock(&vdev->notify_lock);
	mutex_unlock(&vdev->igate);
}
