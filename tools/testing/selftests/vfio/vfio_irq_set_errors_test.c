// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_SET_IRQS requests that must fail, and the ones at the edge
 * that must not: header fields (index, flags, start/count, argsz), data
 * that is not what the flags say, actions an index does not offer, and
 * requests that do not fit the interrupt mode the device is in.
 *
 * The expected errno of each row was measured on the reference (Debian
 * 6.12's vfio-pci); both drivers must give it.  Each row starts from a
 * device with no interrupts enabled, or with the mode in its "pre" column
 * enabled (one vector, an eventfd of its own), and everything is disabled
 * again afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "irq_util.h"

/* start/count stand-ins, replaced by the index's count on the device */
#define V_MAX		0xfffff000u	/* the count */
#define V_MAX1		0xfffff001u	/* the count + 1 */

/* fd stand-ins */
#define FD_NEW		-1000		/* a fresh eventfd */
#define FD_DEV		-1001		/* the device fd: not an eventfd */
#define FD_CLOSED	-1002		/* a number no file is open on */

#define NONE_TRIG	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define BOOL_TRIG	(VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER)
#define EFD_TRIG	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)

#define MINSZ		offsetofend(struct vfio_irq_set, count)
#ifndef offsetofend
#define offsetofend(t, m)	(offsetof(t, m) + sizeof(((t *)0)->m))
#endif

enum pre { PRE_NONE, PRE_INTX, PRE_MSI, PRE_MSIX };
enum need { NEED_NOTHING, NEED_INDEX, NEED_NO_INDEX };

struct row {
	const char *name;
	enum pre pre;
	uint32_t index;
	uint32_t flags;
	uint32_t start;
	uint32_t count;
	int fd;			/* EVENTFD data: every entry is this */
	int argsz;		/* 0: exactly the header and data */
	enum need need;		/* does @index need vectors on the device */
	int want;		/* errno, 0 for success */
};

static const struct row rows[] = {
	/* the header */
	{ "set_irqs_index_5_gives_einval", PRE_NONE, VFIO_PCI_NUM_IRQS,
	  NONE_TRIG, 0, 0, 0, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_index_u32_max_gives_einval", PRE_NONE, 0xffffffff,
	  NONE_TRIG, 0, 0, 0, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_unknown_flag_bit_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  NONE_TRIG | (1u << 6), 0, 1, 0, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_data_none_and_bool_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  NONE_TRIG | VFIO_IRQ_SET_DATA_BOOL, 0, 1, 0, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_data_bool_and_eventfd_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  BOOL_TRIG | VFIO_IRQ_SET_DATA_EVENTFD, 0, 1, FD_NEW, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_no_data_type_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, 0, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_two_actions_gives_enotty", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  NONE_TRIG | VFIO_IRQ_SET_ACTION_MASK, 0, 1, 0, 0, NEED_NOTHING, ENOTTY },
	{ "set_irqs_no_action_gives_enotty", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE, 0, 1, 0, 0, NEED_NOTHING, ENOTTY },
	{ "set_irqs_argsz_short_of_header_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  NONE_TRIG, 0, 0, 0, MINSZ - 1, NEED_NOTHING, EINVAL },
	{ "set_irqs_argsz_short_of_eventfd_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_NEW, MINSZ + 3, NEED_NOTHING, EINVAL },
	{ "set_irqs_argsz_short_of_bools_gives_einval", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  BOOL_TRIG, 0, 2, 0, MINSZ + 1, NEED_INDEX, EINVAL },
	{ "set_irqs_argsz_longer_than_data_is_accepted", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_NEW, MINSZ + 64, NEED_NOTHING, 0 },

	/* start and count */
	{ "set_irqs_start_at_count_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  NONE_TRIG, V_MAX, 1, 0, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_msix_count_above_table_gives_einval", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  EFD_TRIG, 0, V_MAX1, -1, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msi_count_above_capability_gives_einval", PRE_NONE, VFIO_PCI_MSI_IRQ_INDEX,
	  EFD_TRIG, 0, V_MAX1, -1, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_start_plus_count_overflow_gives_einval", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  NONE_TRIG, 1, 0xffffffff, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_start_u32_max_gives_einval", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  NONE_TRIG, 0xffffffff, 2, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_err_on_conventional_pci_gives_einval", PRE_NONE, VFIO_PCI_ERR_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_NEW, 0, NEED_NO_INDEX, EINVAL },
	{ "set_irqs_intx_without_pin_gives_einval", PRE_NONE, VFIO_PCI_INTX_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_NEW, 0, NEED_NO_INDEX, EINVAL },

	/* the data */
	{ "set_irqs_eventfd_not_an_eventfd_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_DEV, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_eventfd_closed_fd_gives_ebadf", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_CLOSED, 0, NEED_NOTHING, EBADF },
	{ "set_irqs_msix_eventfd_closed_fd_gives_ebadf", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_CLOSED, 0, NEED_INDEX, EBADF },
	{ "set_irqs_intx_eventfd_closed_fd_gives_ebadf", PRE_NONE, VFIO_PCI_INTX_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_CLOSED, 0, NEED_INDEX, EBADF },
	{ "set_irqs_req_eventfd_minus_2_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  EFD_TRIG, 0, 1, -2, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_msix_eventfd_minus_2_is_accepted", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  EFD_TRIG, 0, 1, -2, 0, NEED_INDEX, 0 },
	{ "set_irqs_intx_eventfd_minus_2_is_accepted", PRE_NONE, VFIO_PCI_INTX_IRQ_INDEX,
	  EFD_TRIG, 0, 1, -2, 0, NEED_INDEX, 0 },
	{ "set_irqs_intx_unmask_eventfd_minus_2_is_accepted", PRE_INTX, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, -2, 0,
	  NEED_INDEX, 0 },

	/* count 0 with data, on every index */
	{ "set_irqs_intx_bool_count_0_gives_einval", PRE_NONE, VFIO_PCI_INTX_IRQ_INDEX,
	  BOOL_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msi_bool_count_0_gives_einval", PRE_NONE, VFIO_PCI_MSI_IRQ_INDEX,
	  BOOL_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msix_bool_count_0_gives_einval", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  BOOL_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_err_bool_count_0_gives_einval", PRE_NONE, VFIO_PCI_ERR_IRQ_INDEX,
	  BOOL_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_req_bool_count_0_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  BOOL_TRIG, 0, 0, 0, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_intx_eventfd_count_0_gives_einval", PRE_NONE, VFIO_PCI_INTX_IRQ_INDEX,
	  EFD_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msi_eventfd_count_0_while_disabled_gives_erange", PRE_NONE, VFIO_PCI_MSI_IRQ_INDEX,
	  EFD_TRIG, 0, 0, 0, 0, NEED_INDEX, ERANGE },
	{ "set_irqs_msix_eventfd_count_0_while_disabled_gives_erange", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  EFD_TRIG, 0, 0, 0, 0, NEED_INDEX, ERANGE },
	{ "set_irqs_err_eventfd_count_0_gives_einval", PRE_NONE, VFIO_PCI_ERR_IRQ_INDEX,
	  EFD_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_req_eventfd_count_0_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  EFD_TRIG, 0, 0, 0, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_intx_unmask_bool_count_0_gives_einval", PRE_INTX, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_intx_mask_bool_count_0_gives_einval", PRE_INTX, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_intx_unmask_eventfd_count_0_gives_einval", PRE_INTX, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_intx_unmask_none_count_0_gives_einval", PRE_INTX, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_intx_mask_none_count_0_gives_einval", PRE_INTX, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 0, 0, 0, NEED_INDEX, EINVAL },

	/* actions an index does not offer, or not in this mode */
	{ "set_irqs_msi_mask_gives_enotty", PRE_MSI, VFIO_PCI_MSI_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 1, 0, 0, NEED_INDEX, ENOTTY },
	{ "set_irqs_msix_unmask_gives_enotty", PRE_MSIX, VFIO_PCI_MSIX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, 0, 0, NEED_INDEX, ENOTTY },
	{ "set_irqs_err_mask_gives_enotty", PRE_NONE, VFIO_PCI_ERR_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 1, 0, 0, NEED_INDEX, ENOTTY },
	{ "set_irqs_req_unmask_gives_enotty", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, 0, 0, NEED_NOTHING, ENOTTY },
	{ "set_irqs_intx_mask_eventfd_gives_enotty", PRE_INTX, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK, 0, 1, FD_NEW, 0, NEED_INDEX, ENOTTY },
	{ "set_irqs_intx_mask_while_disabled_gives_einval", PRE_NONE, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 1, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_intx_unmask_while_disabled_gives_einval", PRE_NONE, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_intx_unmask_while_msi_gives_einval", PRE_MSI, VFIO_PCI_INTX_IRQ_INDEX,
	  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, 0, 0, NEED_INDEX, EINVAL },

	/* software triggers of what is not enabled */
	{ "set_irqs_intx_trigger_while_disabled_gives_einval", PRE_NONE, VFIO_PCI_INTX_IRQ_INDEX,
	  NONE_TRIG, 0, 1, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msi_trigger_while_disabled_gives_einval", PRE_NONE, VFIO_PCI_MSI_IRQ_INDEX,
	  NONE_TRIG, 0, 1, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msix_trigger_while_disabled_gives_einval", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  NONE_TRIG, 0, 1, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_err_trigger_without_eventfd_gives_einval", PRE_NONE, VFIO_PCI_ERR_IRQ_INDEX,
	  NONE_TRIG, 0, 1, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_req_trigger_without_eventfd_gives_einval", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  NONE_TRIG, 0, 1, 0, 0, NEED_NOTHING, EINVAL },
	{ "set_irqs_req_bool_without_eventfd_is_accepted", PRE_NONE, VFIO_PCI_REQ_IRQ_INDEX,
	  BOOL_TRIG, 0, 1, 0, 0, NEED_NOTHING, 0 },

	/* disabling what is not enabled */
	{ "set_irqs_intx_disable_while_disabled_gives_einval", PRE_NONE, VFIO_PCI_INTX_IRQ_INDEX,
	  NONE_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msi_disable_while_disabled_gives_einval", PRE_NONE, VFIO_PCI_MSI_IRQ_INDEX,
	  NONE_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msix_disable_while_disabled_gives_einval", PRE_NONE, VFIO_PCI_MSIX_IRQ_INDEX,
	  NONE_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msi_disable_while_intx_gives_einval", PRE_INTX, VFIO_PCI_MSI_IRQ_INDEX,
	  NONE_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_intx_disable_while_msix_gives_einval", PRE_MSIX, VFIO_PCI_INTX_IRQ_INDEX,
	  NONE_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_err_disable_without_eventfd_gives_einval", PRE_NONE, VFIO_PCI_ERR_IRQ_INDEX,
	  NONE_TRIG, 0, 0, 0, 0, NEED_INDEX, EINVAL },

	/* another mode is enabled */
	{ "set_irqs_msi_while_intx_gives_einval", PRE_INTX, VFIO_PCI_MSI_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_NEW, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msix_while_msi_gives_einval", PRE_MSI, VFIO_PCI_MSIX_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_NEW, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_intx_while_msix_gives_einval", PRE_MSIX, VFIO_PCI_INTX_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_NEW, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msi_while_msix_gives_einval", PRE_MSIX, VFIO_PCI_MSI_IRQ_INDEX,
	  EFD_TRIG, 0, 1, FD_NEW, 0, NEED_INDEX, EINVAL },
	{ "set_irqs_msi_trigger_while_msix_gives_einval", PRE_MSIX, VFIO_PCI_MSI_IRQ_INDEX,
	  NONE_TRIG, 0, 1, 0, 0, NEED_INDEX, EINVAL },
};

/* Vectors each index has on the device; -errno where info fails. */
static int index_count(int fd, uint32_t index)
{
	struct vfio_irq_info info;
	int ret;

	if (index >= VFIO_PCI_NUM_IRQS)
		return 0;
	ret = vfio_device_get_irq_info(fd, index, &info);
	if (ret == -EINVAL && index == VFIO_PCI_ERR_IRQ_INDEX)
		return 0;
	return ret < 0 ? ret : (int)info.count;
}

static uint32_t resolve(uint32_t v, int count)
{
	if (v == V_MAX)
		return count;
	if (v == V_MAX1)
		return count + 1;
	return v;
}

static const uint32_t pre_index[] = {
	[PRE_INTX] = VFIO_PCI_INTX_IRQ_INDEX,
	[PRE_MSI] = VFIO_PCI_MSI_IRQ_INDEX,
	[PRE_MSIX] = VFIO_PCI_MSIX_IRQ_INDEX,
};

static const char *const pre_name[] = {
	[PRE_INTX] = "INTx", [PRE_MSI] = "MSI", [PRE_MSIX] = "MSI-X",
};

/* Everything off, whatever the row left; errors do not matter here. */
static void reset_irqs(int fd)
{
	int32_t none = -1;
	uint32_t i;

	for (i = VFIO_PCI_INTX_IRQ_INDEX; i <= VFIO_PCI_MSIX_IRQ_INDEX; i++)
		irq_disable(fd, i);
	irq_set_eventfds(fd, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &none);
	irq_set_eventfds(fd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &none);
}

static void run_row(struct vfio_dev *dev, const struct row *r)
{
	int count, efd = -1, pre_efd = -1, ret;
	uint32_t start, n, entry, i;
	size_t data_len = 0;
	uint8_t data[64 * 4];
	int32_t fd;

	count = index_count(dev->fd, r->index);
	if (!EXPECT_OK(count, "GET_IRQ_INFO of the row's index"))
		return;
	if (r->need == NEED_INDEX && !count) {
		tap_case_skip("the function has no %s vectors", vfio_irq_name(r->index));
		return;
	}
	if (r->need == NEED_NO_INDEX && count) {
		tap_case_skip("the function has %s vectors; the row is about functions without",
			      vfio_irq_name(r->index));
		return;
	}

	if (r->pre != PRE_NONE) {
		ret = index_count(dev->fd, pre_index[r->pre]);
		if (ret <= 0) {
			tap_case_skip("the function has no %s to enable first", pre_name[r->pre]);
			return;
		}
		pre_efd = irq_eventfd();
		if (!EXPECT_OK(pre_efd, "eventfd"))
			return;
		if (!EXPECT_OK(irq_set_eventfd(dev->fd, pre_index[r->pre], 0, pre_efd),
			       "enabling the mode the row starts from"))
			goto out;
	}

	start = resolve(r->start, count);
	n = resolve(r->count, count);
	if (r->flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		fd = r->fd;
		if (fd == FD_NEW) {
			efd = irq_eventfd();
			if (!EXPECT_OK(efd, "eventfd"))
				goto out;
			fd = efd;
		} else if (fd == FD_DEV) {
			fd = dev->fd;
		} else if (fd == FD_CLOSED) {
			fd = 1000;
			close(fd);
		}
		entry = sizeof(fd);
		for (i = 0; i < n && (i + 1) * entry <= sizeof(data); i++)
			memcpy(data + i * entry, &fd, entry);
		data_len = i * entry;
	} else if (r->flags & VFIO_IRQ_SET_DATA_BOOL) {
		data_len = n < sizeof(data) ? n : sizeof(data);
		memset(data, 1, data_len);
	}

	if (r->argsz)
		ret = irq_set_argsz(dev->fd, r->argsz, r->index, r->flags, start, n,
				    data, data_len);
	else
		ret = irq_set(dev->fd, r->index, r->flags, start, n, data, data_len);
	tap_check(ret == -r->want,
		  "SET_IRQS index %u flags 0x%x start %u count %u: expected %s, got %s",
		  r->index, r->flags, start, n, tap_errno_name(r->want),
		  tap_errno_name(-ret));
out:
	reset_irqs(dev->fd);
	if (efd >= 0)
		close(efd);
	if (pre_efd >= 0)
		close(pre_efd);
}

/* The rows depend on what a function offers: one function of each kind. */
static int first_of_each_kind(struct pci_func *funcs, int n)
{
	int i, j, kept = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < kept; j++)
			if (!strcmp(funcs[j].kind, funcs[i].kind))
				break;
		if (j == kept)
			funcs[kept++] = funcs[i];
	}
	return kept;
}

int main(void)
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	struct vfio_dev dev;
	const char *driver = vfio_test_driver_name();
	int n, i, ret;
	size_t r;

	n = vfio_zoo_functions_or_skip(funcs, ARRAY_SIZE(funcs));
	if (n > (int)ARRAY_SIZE(funcs))
		n = ARRAY_SIZE(funcs);
	n = first_of_each_kind(funcs, n);
	tap_plan(n * ARRAY_SIZE(rows));
	tap_diag("driver under test: %s", driver);
	for (i = 0; i < n; i++) {
		/* One open per function; each row cleans up after itself. */
		ret = vfio_dev_open(&dev, funcs[i].bdf);
		for (r = 0; r < ARRAY_SIZE(rows); r++) {
			tap_case_begin("%s %s", rows[r].name, funcs[i].bdf);
			if (!EXPECT_OK(ret, "opening the device"))
				continue;
			run_row(&dev, &rows[r]);
		}
		if (ret >= 0)
			vfio_dev_close(&dev);
	}
	tap_finish();
}
