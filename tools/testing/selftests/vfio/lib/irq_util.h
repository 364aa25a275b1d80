/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the interrupt selftests: eventfds, VFIO_DEVICE_SET_IRQS in
 * its data/action combinations, the command register, and files the
 * reference lane leaves for ours.  The edu device's registers are in
 * edu_util.h.
 *
 * Like vfio_util.h, everything that can fail returns a negative errno.
 */
#ifndef VFIO_SELFTEST_IRQ_UTIL_H
#define VFIO_SELFTEST_IRQ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

#include "edu_util.h"
#include "vfio_util.h"

/* How long an interrupt that should come may take under TCG-in-TCG. */
#define IRQ_WAIT_MS		2000
/* How long we watch for an interrupt that must not come. */
#define IRQ_QUIET_MS		300

/* ---- eventfds ----------------------------------------------------------- */

/* A non-blocking eventfd, or -errno. */
int irq_eventfd(void);
/* Opens @n eventfds into @fds; on failure closes what it opened. */
int irq_eventfds(int *fds, unsigned int n);
void irq_eventfds_close(int *fds, unsigned int n);
/*
 * Waits up to @timeout_ms for @efd to be signalled and reads (resets) its
 * counter: the count (> 0), 0 on timeout, or -errno.
 */
long long irq_eventfd_wait(int efd, int timeout_ms);
/* The counter without waiting (0 when not signalled), resetting it. */
long long irq_eventfd_take(int efd);
/*
 * Inside an open case: @efd signalled within IRQ_WAIT_MS, or quiet for
 * IRQ_QUIET_MS; a failure names @what.  Returns whether it held.
 */
bool irq_expect_signal(int efd, const char *what);
bool irq_expect_quiet(int efd, const char *what);

/* ---- VFIO_DEVICE_SET_IRQS ---------------------------------------------- */

/*
 * SET_IRQS with @data_len bytes of data and argsz exactly covering them.
 * Returns 0 or -errno.
 */
int irq_set(int device_fd, uint32_t index, uint32_t flags, uint32_t start,
	    uint32_t count, const void *data, size_t data_len);
/* As irq_set(), but argsz is @argsz whatever the data (for argsz cases). */
int irq_set_argsz(int device_fd, uint32_t argsz, uint32_t index,
		  uint32_t flags, uint32_t start, uint32_t count,
		  const void *data, size_t data_len);

/* ACTION_TRIGGER | DATA_EVENTFD for vectors start..start+count-1. */
int irq_set_eventfds(int device_fd, uint32_t index, uint32_t start,
		     uint32_t count, const int32_t *fds);
static inline int irq_set_eventfd(int device_fd, uint32_t index,
				  uint32_t vector, int32_t fd)
{
	return irq_set_eventfds(device_fd, index, vector, 1, &fd);
}
/* ACTION_TRIGGER | DATA_NONE: count 0 disables, else a software trigger. */
int irq_trigger_none(int device_fd, uint32_t index, uint32_t start,
		     uint32_t count);
/* ACTION_TRIGGER | DATA_BOOL with one byte per vector. */
int irq_trigger_bool(int device_fd, uint32_t index, uint32_t start,
		     uint32_t count, const uint8_t *vals);
static inline int irq_disable(int device_fd, uint32_t index)
{
	return irq_trigger_none(device_fd, index, 0, 0);
}
/* ACTION_MASK or ACTION_UNMASK | DATA_NONE on vector 0 of @index. */
int irq_mask(int device_fd, uint32_t index);
int irq_unmask(int device_fd, uint32_t index);
/* ACTION_UNMASK | DATA_EVENTFD: unmask whenever @fd is signalled; -1 stops. */
int irq_unmask_eventfd(int device_fd, uint32_t index, int32_t fd);

/* ---- config space and /proc/interrupts --------------------------------- */

/* Sets @bits in the command register through the device's config region. */
int irq_command_set(struct vfio_dev *dev, uint16_t bits);
/* Memory decode and bus master: what a device needs to raise MSI. */
int irq_enable_decode_and_master(struct vfio_dev *dev);

/* Lines of /proc/interrupts that name @bdf and contain @what ("vfio-msix["). */
int irq_proc_count(const char *bdf, const char *what);

/* Enable bits of the MSI and MSI-X capabilities as the PCI core sees them. */
int irq_msi_enabled(const char *bdf);
int irq_msix_enabled(const char *bdf);

/* ---- running cases on devices of some kinds ------------------------- */

struct irq_test_case {
	const char *name;	/* the behaviour it proves */
	const char *kinds;	/* "e1000e nvme": zoo kinds it runs on; NULL: all */
	void (*run)(const struct pci_func *f);
};

/*
 * Plans one result per (case, zoo function of a matching kind), then runs
 * them device by device as "<name> <BDF>" (see vfio_run_cases()).  A
 * program whose kinds are all absent (e.g. with $VFIO_TEST_DEVICE) skips
 * as a whole, saying which kinds it needed.
 */
void irq_run_cases(const struct irq_test_case *cases, size_t count)
	__attribute__((noreturn));

/* ---- what the reference lane measured ---------------------------------- */

/*
 * The reference lane runs first; a test records there what the reference
 * did (one "key value" line each) in $VFIO_TEST_ARTIFACTS/<file> and our
 * lane compares.  irq_artifact_get() returns -ENOENT when the reference did
 * not run in this VM (then a case skips saying so).
 */
int irq_artifact_put(const char *file, const char *key, long long value);
int irq_artifact_get(const char *file, const char *key, long long *value);

#endif /* VFIO_SELFTEST_IRQ_UTIL_H */
