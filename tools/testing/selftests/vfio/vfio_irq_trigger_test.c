// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_SET_IRQS ACTION_TRIGGER: eventfds per vector, the software
 * triggers (DATA_NONE, DATA_BOOL) of every vector of every index, changing
 * and detaching one vector's eventfd while the others stay, disabling,
 * MSI-X vectors added after enable, switching INTx -> MSI -> MSI-X, and
 * what closing the device leaves behind.
 *
 * Software triggers signal the eventfd from the driver, so they prove the
 * vector's bookkeeping; /proc/interrupts and the enable bits the PCI core
 * sees in the capabilities prove what the function itself was given.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "irq_util.h"

/* nvme has 65 MSI-X vectors */
#define MAX_VECTORS	128

static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device");
}

static int irq_count(struct vfio_dev *dev, uint32_t index)
{
	struct vfio_irq_info info;
	int ret = vfio_device_get_irq_info(dev->fd, index, &info);

	/* GET_IRQ_INFO ERR is EINVAL on conventional PCI: no vectors. */
	if (ret == -EINVAL && index == VFIO_PCI_ERR_IRQ_INDEX)
		return 0;
	if (ret < 0)
		return ret;
	return info.count > MAX_VECTORS ? MAX_VECTORS : (int)info.count;
}

/* The name this index's vectors carry in /proc/interrupts, if any. */
static const char *proc_name(uint32_t index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return "vfio-intx(";
	case VFIO_PCI_MSI_IRQ_INDEX:
		return "vfio-msi[";
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return "vfio-msix[";
	default:
		return NULL;
	}
}

/*
 * Checks that exactly the eventfds with want[i] set were signalled; the
 * ones that should fire get IRQ_WAIT_MS, the others are read at once
 * afterwards (a software trigger signals before the ioctl returns).
 */
static bool expect_fired(const int *efds, const bool *want, int n,
			 const char *what)
{
	bool ok = true;
	long long got;
	int i;

	for (i = 0; i < n; i++) {
		got = want[i] ? irq_eventfd_wait(efds[i], IRQ_WAIT_MS)
			      : irq_eventfd_take(efds[i]);
		if (want[i] ? got <= 0 : got != 0)
			ok = tap_check(false, "%s: vector %d expected %s, eventfd read %lld",
				       what, i, want[i] ? "a signal" : "no signal", got);
	}
	return ok;
}

/* Gives every vector of @index an eventfd; 0 or -errno. */
static int enable_all(struct vfio_dev *dev, uint32_t index, int *efds, int n)
{
	int32_t fds[MAX_VECTORS];
	int i, ret;

	ret = irq_eventfds(efds, n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		fds[i] = efds[i];
	ret = irq_set_eventfds(dev->fd, index, 0, n, fds);
	if (ret)
		irq_eventfds_close(efds, n);
	return ret;
}

/* Undoes enable_all(): disable, or detach the ERR/REQ eventfd. */
static int disable_all(struct vfio_dev *dev, uint32_t index)
{
	if (index >= VFIO_PCI_ERR_IRQ_INDEX)
		return irq_set_eventfd(dev->fd, index, 0, -1);
	return irq_disable(dev->fd, index);
}

/* ---- software triggers on every vector of every index ----------------- */

static void trigger_each_index(const struct pci_func *f, bool use_bool)
{
	int efds[MAX_VECTORS];
	bool want[MAX_VECTORS];
	uint8_t vals[MAX_VECTORS];
	struct vfio_dev dev;
	uint32_t index;
	char what[96];
	int n, v, tested = 0;

	if (!open_dev(&dev, f))
		return;
	for (index = 0; index < VFIO_PCI_NUM_IRQS; index++) {
		n = irq_count(&dev, index);
		if (!EXPECT_OK(n, "GET_IRQ_INFO") || !n)
			continue;
		if (!EXPECT_OK(enable_all(&dev, index, efds, n), "eventfds on every vector"))
			continue;
		tested++;
		for (v = 0; v < n && !tap_case_failed(); v++) {
			snprintf(what, sizeof(what), "%s trigger of %s vector %d alone",
				 use_bool ? "DATA_BOOL" : "DATA_NONE",
				 vfio_irq_name(index), v);
			if (use_bool) {
				/* A whole array, only vector v true. */
				memset(vals, 0, n);
				vals[v] = 1;
				if (!EXPECT_OK(irq_trigger_bool(dev.fd, index, 0, n, vals), what))
					break;
			} else if (!EXPECT_OK(irq_trigger_none(dev.fd, index, v, 1), what)) {
				break;
			}
			memset(want, 0, sizeof(want));
			want[v] = true;
			expect_fired(efds, want, n, what);
		}
		/* All at once, and for DATA_BOOL every other one. */
		for (v = 0; v < n; v++) {
			vals[v] = use_bool ? !(v & 1) : 1;
			want[v] = vals[v];
		}
		snprintf(what, sizeof(what), "trigger of %d %s vectors at once",
			 n, vfio_irq_name(index));
		if (use_bool ? EXPECT_OK(irq_trigger_bool(dev.fd, index, 0, n, vals), what)
			     : EXPECT_OK(irq_trigger_none(dev.fd, index, 0, n), what))
			expect_fired(efds, want, n, what);
		EXPECT_OK(disable_all(&dev, index), "disabling again");
		irq_eventfds_close(efds, n);
	}
	vfio_dev_close(&dev);
	if (!tested)
		tap_case_skip("the function offers no interrupt");
}

static void trigger_none_each_vector(const struct pci_func *f)
{
	trigger_each_index(f, false);
}

static void trigger_bool_each_vector(const struct pci_func *f)
{
	trigger_each_index(f, true);
}

/* ---- one vector's eventfd -------------------------------------------- */

/* The MSI-X index when the function has one, else MSI; count in *n. */
static uint32_t msi_index(struct vfio_dev *dev, int *n)
{
	*n = irq_count(dev, VFIO_PCI_MSIX_IRQ_INDEX);
	if (*n > 0)
		return VFIO_PCI_MSIX_IRQ_INDEX;
	*n = irq_count(dev, VFIO_PCI_MSI_IRQ_INDEX);
	return VFIO_PCI_MSI_IRQ_INDEX;
}

static void change_eventfd_without_disable(const struct pci_func *f, uint32_t index)
{
	int efds[MAX_VECTORS], other = -1, n, last, before;
	bool want[MAX_VECTORS] = { false };
	struct vfio_dev dev;
	const char *name = proc_name(index);

	if (!open_dev(&dev, f))
		return;
	n = irq_count(&dev, index);
	if (n <= 0) {
		tap_case_skip("the function has no %s", vfio_irq_name(index));
		goto out_close;
	}
	if (!EXPECT_OK(enable_all(&dev, index, efds, n), "eventfds on every vector"))
		goto out_close;
	before = irq_proc_count(f->bdf, name);
	EXPECT_EQ(before, n, "vectors in /proc/interrupts after enable");

	last = n - 1;
	other = irq_eventfd();
	if (!EXPECT_OK(other, "eventfd"))
		goto out_disable;
	if (!EXPECT_OK(irq_set_eventfd(dev.fd, index, last, other),
		       "giving the last vector another eventfd, without disabling"))
		goto out_disable;
	EXPECT_EQ(irq_proc_count(f->bdf, name), n,
		  "vectors in /proc/interrupts after the change");

	EXPECT_OK(irq_trigger_none(dev.fd, index, last, 1), "triggering the last vector");
	EXPECT_TRUE(irq_eventfd_wait(other, IRQ_WAIT_MS) == 1,
		    "the new eventfd was signalled");
	expect_fired(efds, want, n, "old eventfds after the last vector fired");

	EXPECT_OK(irq_trigger_none(dev.fd, index, 0, 1), "triggering vector 0");
	want[0] = true;
	if (last)
		expect_fired(efds, want, n, "vector 0 after the change");
	else
		EXPECT_TRUE(irq_eventfd_wait(other, IRQ_WAIT_MS) == 1,
			    "vector 0 is the changed one");
out_disable:
	EXPECT_OK(irq_disable(dev.fd, index), "disabling");
	irq_eventfds_close(efds, n);
	if (other >= 0)
		close(other);
out_close:
	vfio_dev_close(&dev);
}

static void msi_change_eventfd(const struct pci_func *f)
{
	change_eventfd_without_disable(f, VFIO_PCI_MSI_IRQ_INDEX);
}

static void msix_change_eventfd(const struct pci_func *f)
{
	change_eventfd_without_disable(f, VFIO_PCI_MSIX_IRQ_INDEX);
}

/*
 * fd -1 takes the eventfd off one vector: its Linux irq is freed (gone
 * from /proc/interrupts), a trigger of it signals nothing, the others go on.
 */
static void msi_minus_1_detaches(const struct pci_func *f)
{
	bool want[MAX_VECTORS] = { false };
	int efds[MAX_VECTORS], n, v;
	struct vfio_dev dev;
	uint32_t index;

	if (!open_dev(&dev, f))
		return;
	index = msi_index(&dev, &n);
	if (n <= 0) {
		tap_case_skip("the function has neither MSI nor MSI-X");
		goto out_close;
	}
	if (!EXPECT_OK(enable_all(&dev, index, efds, n), "eventfds on every vector"))
		goto out_close;
	v = n > 1 ? 1 : 0;
	if (!EXPECT_OK(irq_set_eventfd(dev.fd, index, v, -1), "fd -1 on one vector"))
		goto out_disable;
	EXPECT_EQ(irq_proc_count(f->bdf, proc_name(index)), n - 1,
		  "vectors left in /proc/interrupts");
	EXPECT_OK(irq_trigger_none(dev.fd, index, v, 1),
		  "triggering the detached vector (no eventfd: nothing to signal)");
	if (n > 1) {
		EXPECT_OK(irq_trigger_none(dev.fd, index, 0, 1), "triggering vector 0");
		want[0] = true;
	}
	expect_fired(efds, want, n, "after detaching one vector");
	EXPECT_EQ(index == VFIO_PCI_MSIX_IRQ_INDEX ? irq_msix_enabled(f->bdf)
						   : irq_msi_enabled(f->bdf), 1,
		  "capability still enabled in the function");
out_disable:
	EXPECT_OK(irq_disable(dev.fd, index), "disabling");
	irq_eventfds_close(efds, n);
out_close:
	vfio_dev_close(&dev);
}

/* count 0 + DATA_NONE disables: vectors freed, the capability off. */
static void msi_count_0_disables(const struct pci_func *f)
{
	int efds[MAX_VECTORS], n, on;
	struct vfio_dev dev;
	uint32_t index;

	if (!open_dev(&dev, f))
		return;
	index = msi_index(&dev, &n);
	if (n <= 0) {
		tap_case_skip("the function has neither MSI nor MSI-X");
		goto out_close;
	}
	if (!EXPECT_OK(enable_all(&dev, index, efds, n), "eventfds on every vector"))
		goto out_close;
	on = index == VFIO_PCI_MSIX_IRQ_INDEX ? irq_msix_enabled(f->bdf)
					       : irq_msi_enabled(f->bdf);
	EXPECT_EQ(on, 1, "capability enabled while in use");
	EXPECT_OK(irq_disable(dev.fd, index), "count 0 + DATA_NONE");
	on = index == VFIO_PCI_MSIX_IRQ_INDEX ? irq_msix_enabled(f->bdf)
					       : irq_msi_enabled(f->bdf);
	EXPECT_EQ(on, 0, "capability enabled after disable");
	EXPECT_EQ(irq_proc_count(f->bdf, proc_name(index)), 0,
		  "vectors in /proc/interrupts after disable");
	EXPECT_ERRNO(irq_trigger_none(dev.fd, index, 0, 1), EINVAL,
		     "software trigger after disable");
	EXPECT_EQ(irq_eventfd_take(efds[0]), 0, "vector 0's eventfd after disable");
	irq_eventfds_close(efds, n);
out_close:
	vfio_dev_close(&dev);
}

/*
 * MSI-X enabled with one vector, then vectors 1..3 added with start = 1:
 * where the PCI core can grow an enabled MSI-X (the index lacks NORESIZE)
 * they are added without disturbing vector 0; where it cannot, the request
 * is refused.
 */
static void msix_add_vectors_after_enable(const struct pci_func *f)
{
	bool want[4] = { false };
	struct vfio_irq_info info;
	struct vfio_dev dev;
	int efds[4] = { -1, -1, -1, -1 };
	int32_t fds[3];
	int ret, v;

	if (!open_dev(&dev, f))
		return;
	if (!EXPECT_OK(vfio_device_get_irq_info(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX, &info),
		       "GET_IRQ_INFO MSI-X"))
		goto out_close;
	if (info.count < 4) {
		tap_case_skip("the function has %u MSI-X vectors, the case needs 4",
			      info.count);
		goto out_close;
	}
	if (!EXPECT_OK(irq_eventfds(efds, 4), "eventfds"))
		goto out_close;
	if (!EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, efds[0]),
		       "enabling MSI-X with vector 0"))
		goto out_close;
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-msix["), 1, "vectors after enable");

	for (v = 0; v < 3; v++)
		fds[v] = efds[v + 1];
	ret = irq_set_eventfds(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX, 1, 3, fds);
	if (info.flags & VFIO_IRQ_INFO_NORESIZE) {
		EXPECT_ERRNO(ret, EINVAL, "adding vectors 1..3 to a NORESIZE MSI-X");
		want[0] = true;
		EXPECT_OK(irq_trigger_none(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1),
			  "triggering vector 0");
		expect_fired(efds, want, 1, "vector 0 after the refused add");
		goto out_disable;
	}
	if (!EXPECT_OK(ret, "adding vectors 1..3 with start = 1"))
		goto out_disable;
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-msix["), 4, "vectors after the add");
	EXPECT_EQ(irq_msix_enabled(f->bdf), 1, "MSI-X still enabled");
	for (v = 0; v < 4; v++) {
		char what[64];

		snprintf(what, sizeof(what), "triggering vector %d after the add", v);
		memset(want, 0, sizeof(want));
		want[v] = true;
		if (EXPECT_OK(irq_trigger_none(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX, v, 1), what))
			expect_fired(efds, want, 4, what);
	}
out_disable:
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX), "disabling");
out_close:
	irq_eventfds_close(efds, 4);
	vfio_dev_close(&dev);
}

/* ---- modes ------------------------------------------------------------- */

static void mode_switch(const struct pci_func *f)
{
	int a = -1, b = -1, c[MAX_VECTORS], nmsix = 0;
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	if (irq_count(&dev, VFIO_PCI_INTX_IRQ_INDEX) <= 0 ||
	    irq_count(&dev, VFIO_PCI_MSI_IRQ_INDEX) <= 0 ||
	    irq_count(&dev, VFIO_PCI_MSIX_IRQ_INDEX) <= 0) {
		tap_case_skip("the function lacks one of INTx, MSI, MSI-X");
		goto out_close;
	}
	a = irq_eventfd();
	b = irq_eventfd();
	if (!EXPECT_OK(a, "eventfd") || !EXPECT_OK(b, "eventfd"))
		goto out_close;

	/* INTx */
	if (!EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, a), "enabling INTx"))
		goto out_close;
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-intx("), 1, "INTx handlers with INTx on");
	EXPECT_ERRNO(irq_set_eventfd(dev.fd, VFIO_PCI_MSI_IRQ_INDEX, 0, b), EINVAL,
		     "enabling MSI while INTx is on");
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "disabling INTx");
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-intx("), 0, "INTx handlers after disable");

	/* -> MSI */
	if (!EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_MSI_IRQ_INDEX, 0, b), "enabling MSI"))
		goto out_close;
	EXPECT_EQ(irq_msi_enabled(f->bdf), 1, "MSI enable bit with MSI on");
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-msi["), 1, "MSI handlers with MSI on");
	EXPECT_ERRNO(irq_trigger_none(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1), EINVAL,
		     "software trigger of INTx while MSI is on");
	EXPECT_OK(irq_trigger_none(dev.fd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1), "MSI trigger");
	EXPECT_EQ(irq_eventfd_wait(b, IRQ_WAIT_MS), 1, "MSI eventfd");
	EXPECT_EQ(irq_eventfd_take(a), 0, "the old INTx eventfd");
	EXPECT_ERRNO(irq_set_eventfd(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, a), EINVAL,
		     "enabling MSI-X while MSI is on");
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_MSI_IRQ_INDEX), "disabling MSI");
	EXPECT_EQ(irq_msi_enabled(f->bdf), 0, "MSI enable bit after disable");

	/* -> MSI-X */
	nmsix = irq_count(&dev, VFIO_PCI_MSIX_IRQ_INDEX);
	if (!EXPECT_OK(enable_all(&dev, VFIO_PCI_MSIX_IRQ_INDEX, c, nmsix), "enabling MSI-X")) {
		nmsix = 0;
		goto out_close;
	}
	EXPECT_EQ(irq_msix_enabled(f->bdf), 1, "MSI-X enable bit with MSI-X on");
	EXPECT_EQ(irq_msi_enabled(f->bdf), 0, "MSI enable bit with MSI-X on");
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-msi["), 0, "MSI handlers with MSI-X on");
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-msix["), nmsix, "MSI-X handlers");
	EXPECT_ERRNO(irq_trigger_none(dev.fd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1), EINVAL,
		     "software trigger of MSI while MSI-X is on");
	EXPECT_EQ(irq_eventfd_take(b), 0, "the old MSI eventfd");
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX), "disabling MSI-X");
	EXPECT_EQ(irq_msix_enabled(f->bdf), 0, "MSI-X enable bit after disable");
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-"), 0, "vfio handlers after disable");

	/* and back to INTx */
	EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, a), "INTx again");
	EXPECT_OK(irq_trigger_none(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1), "INTx trigger");
	EXPECT_EQ(irq_eventfd_wait(a, IRQ_WAIT_MS), 1, "INTx eventfd");
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "disabling INTx");
out_close:
	irq_eventfds_close(c, nmsix);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	vfio_dev_close(&dev);
}

/*
 * fd -1 on the INTx trigger takes the eventfd away, but INTx stays the
 * device's mode: MSI still cannot be enabled until INTx is disabled.
 */
static void intx_minus_1_keeps_intx(const struct pci_func *f)
{
	struct vfio_dev dev;
	int a = -1;

	if (!open_dev(&dev, f))
		return;
	if (irq_count(&dev, VFIO_PCI_INTX_IRQ_INDEX) <= 0 ||
	    irq_count(&dev, VFIO_PCI_MSI_IRQ_INDEX) <= 0) {
		tap_case_skip("the function lacks INTx or MSI");
		goto out;
	}
	a = irq_eventfd();
	if (!EXPECT_OK(a, "eventfd") ||
	    !EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, a), "enabling INTx"))
		goto out;
	EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, -1), "INTx fd -1");
	EXPECT_OK(irq_trigger_none(dev.fd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1),
		  "INTx software trigger with no eventfd");
	EXPECT_EQ(irq_eventfd_take(a), 0, "the detached eventfd");
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-intx("), 1, "INTx handler after fd -1");
	EXPECT_ERRNO(irq_set_eventfd(dev.fd, VFIO_PCI_MSI_IRQ_INDEX, 0, a), EINVAL,
		     "enabling MSI after INTx fd -1");
	EXPECT_OK(irq_disable(dev.fd, VFIO_PCI_INTX_IRQ_INDEX), "disabling INTx");
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-intx("), 0, "INTx handler after disable");
out:
	if (a >= 0)
		close(a);
	vfio_dev_close(&dev);
}

/* ERR and REQ: an eventfd is accepted, fd -1 detaches it. */
static void err_req_eventfd(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t index;
	int efd, n;
	char what[64];

	if (!open_dev(&dev, f))
		return;
	for (index = VFIO_PCI_ERR_IRQ_INDEX; index <= VFIO_PCI_REQ_IRQ_INDEX; index++) {
		n = irq_count(&dev, index);
		if (!n) {
			efd = irq_eventfd();
			snprintf(what, sizeof(what), "%s eventfd on a function without it",
				 vfio_irq_name(index));
			EXPECT_ERRNO(irq_set_eventfd(dev.fd, index, 0, efd), EINVAL, what);
			close(efd);
			continue;
		}
		efd = irq_eventfd();
		if (!EXPECT_OK(efd, "eventfd"))
			break;
		snprintf(what, sizeof(what), "%s eventfd", vfio_irq_name(index));
		EXPECT_OK(irq_set_eventfd(dev.fd, index, 0, efd), what);
		EXPECT_OK(irq_trigger_none(dev.fd, index, 0, 1), what);
		EXPECT_EQ(irq_eventfd_wait(efd, IRQ_WAIT_MS), 1, what);
		snprintf(what, sizeof(what), "%s fd -1", vfio_irq_name(index));
		EXPECT_OK(irq_set_eventfd(dev.fd, index, 0, -1), what);
		snprintf(what, sizeof(what), "%s trigger after fd -1", vfio_irq_name(index));
		EXPECT_ERRNO(irq_trigger_none(dev.fd, index, 0, 1), EINVAL, what);
		EXPECT_EQ(irq_eventfd_take(efd), 0, what);
		close(efd);
	}
	vfio_dev_close(&dev);
}

/* Closing the device with vectors enabled frees them all. */
static void close_frees_interrupts(const struct pci_func *f)
{
	int efds[MAX_VECTORS], n = 0;
	struct vfio_dev dev;
	uint32_t index;

	if (!open_dev(&dev, f))
		return;
	index = msi_index(&dev, &n);
	if (n <= 0) {
		tap_case_skip("the function has neither MSI nor MSI-X");
		vfio_dev_close(&dev);
		return;
	}
	if (!EXPECT_OK(enable_all(&dev, index, efds, n), "eventfds on every vector")) {
		vfio_dev_close(&dev);
		return;
	}
	EXPECT_EQ(irq_proc_count(f->bdf, proc_name(index)), n, "vectors while open");
	vfio_dev_close(&dev);
	EXPECT_EQ(irq_proc_count(f->bdf, "vfio-"), 0, "vfio handlers after close");
	EXPECT_EQ(irq_msi_enabled(f->bdf) > 0 || irq_msix_enabled(f->bdf) > 0, 0,
		  "MSI or MSI-X enabled after close");
	irq_eventfds_close(efds, n);
}

static const struct irq_test_case cases[] = {
	{ "software_trigger_data_none_fires_each_vector_alone", "edu e1000e nvme",
	  trigger_none_each_vector },
	{ "software_trigger_data_bool_fires_only_true_vectors", "edu e1000e nvme",
	  trigger_bool_each_vector },
	{ "msi_eventfd_change_without_disable", "edu e1000e", msi_change_eventfd },
	{ "msix_eventfd_change_without_disable", "e1000e nvme", msix_change_eventfd },
	{ "msi_fd_minus_1_detaches_one_vector", "e1000e nvme", msi_minus_1_detaches },
	{ "msi_count_0_data_none_disables", "edu e1000e nvme", msi_count_0_disables },
	{ "msix_vectors_added_after_enable_keep_vector_0", "e1000e nvme",
	  msix_add_vectors_after_enable },
	{ "mode_switch_intx_msi_msix_frees_the_old_mode", "e1000e", mode_switch },
	{ "intx_fd_minus_1_detaches_but_keeps_intx_mode", "edu e1000e",
	  intx_minus_1_keeps_intx },
	{ "err_req_eventfd_accepted_signalled_detached", "edu e1000e nvme",
	  err_req_eventfd },
	{ "close_frees_every_vector", "e1000e nvme", close_frees_interrupts },
};

int main(void)
{
	irq_run_cases(cases, ARRAY_SIZE(cases));
}
