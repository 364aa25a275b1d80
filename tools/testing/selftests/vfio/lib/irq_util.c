// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for the interrupt selftests; see irq_util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "irq_util.h"

/* ---- eventfds ----------------------------------------------------------- */

int irq_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int irq_eventfds(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		fds[i] = irq_eventfd();
		if (fds[i] < 0) {
			int err = fds[i];

			irq_eventfds_close(fds, i);
			return err;
		}
	}
	return 0;
}

void irq_eventfds_close(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

long long irq_eventfd_take(int efd)
{
	uint64_t count;

	if (read(efd, &count, sizeof(count)) == sizeof(count))
		return (long long)count;
	return errno == EAGAIN ? 0 : -errno;
}

bool irq_expect_signal(int efd, const char *what)
{
	long long got = irq_eventfd_wait(efd, IRQ_WAIT_MS);

	return tap_check(got > 0, "%s: expected the eventfd signalled within %d ms, read %lld",
			 what, IRQ_WAIT_MS, got);
}

bool irq_expect_quiet(int efd, const char *what)
{
	long long got = irq_eventfd_wait(efd, IRQ_QUIET_MS);

	return tap_check(got == 0, "%s: expected no signal for %d ms, read %lld",
			 what, IRQ_QUIET_MS, got);
}

long long irq_eventfd_wait(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (!ret)
		return 0;
	return irq_eventfd_take(efd);
}

/* ---- VFIO_DEVICE_SET_IRQS ---------------------------------------------- */

int irq_set_argsz(int device_fd, uint32_t argsz, uint32_t index,
		  uint32_t flags, uint32_t start, uint32_t count,
		  const void *data, size_t data_len)
{
	size_t size = sizeof(struct vfio_irq_set) + data_len;
	struct vfio_irq_set *set;
	int ret;

	/* Room for what argsz claims, so a long argsz reads our zeroes. */
	if (argsz > size)
		size = argsz;
	set = calloc(1, size);
	if (!set)
		return -ENOMEM;
	set->argsz = argsz;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (data_len)
		memcpy(set->data, data, data_len);
	ret = vfio_ioctl(device_fd, VFIO_DEVICE_SET_IRQS, set);
	free(set);
	return ret < 0 ? ret : 0;
}

int irq_set(int device_fd, uint32_t index, uint32_t flags, uint32_t start,
	    uint32_t count, const void *data, size_t data_len)
{
	return irq_set_argsz(device_fd, sizeof(struct vfio_irq_set) + data_len,
			     index, flags, start, count, data, data_len);
}

int irq_set_eventfds(int device_fd, uint32_t index, uint32_t start,
		     uint32_t count, const int32_t *fds)
{
	return irq_set(device_fd, index,
		       VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       start, count, fds, count * sizeof(*fds));
}

int irq_trigger_none(int device_fd, uint32_t index, uint32_t start,
		     uint32_t count)
{
	return irq_set(device_fd, index,
		       VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		       start, count, NULL, 0);
}

int irq_trigger_bool(int device_fd, uint32_t index, uint32_t start,
		     uint32_t count, const uint8_t *vals)
{
	return irq_set(device_fd, index,
		       VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
		       start, count, vals, count);
}

int irq_mask(int device_fd, uint32_t index)
{
	return irq_set(device_fd, index,
		       VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
		       0, 1, NULL, 0);
}

int irq_unmask(int device_fd, uint32_t index)
{
	return irq_set(device_fd, index,
		       VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		       0, 1, NULL, 0);
}

int irq_unmask_eventfd(int device_fd, uint32_t index, int32_t fd)
{
	return irq_set(device_fd, index,
		       VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
		       0, 1, &fd, sizeof(fd));
}

/* ---- config space and /proc/interrupts --------------------------------- */

int irq_command_set(struct vfio_dev *dev, uint16_t bits)
{
	uint16_t cmd;
	int ret;

	ret = vfio_config_read16(dev, PCI_COMMAND, &cmd);
	if (ret < 0)
		return ret;
	ret = vfio_config_write16(dev, PCI_COMMAND, cmd | bits);
	if (ret < 0)
		return ret;
	ret = vfio_config_read16(dev, PCI_COMMAND, &cmd);
	if (ret < 0)
		return ret;
	return (cmd & bits) == bits ? 0 : -EIO;
}

int irq_enable_decode_and_master(struct vfio_dev *dev)
{
	return irq_command_set(dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

int irq_proc_count(const char *bdf, const char *what)
{
	char line[1024];
	int n = 0;
	FILE *f;

	f = fopen("/proc/interrupts", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, bdf) && strstr(line, what))
			n++;
	fclose(f);
	return n;
}

/* The flags word of capability @id through sysfs config, or -errno. */
static int cap_flags(const char *bdf, uint8_t id, uint16_t *flags)
{
	int pos = pci_find_capability(bdf, id);
	int ret;

	if (pos <= 0)
		return pos ? pos : -ENODEV;
	ret = pci_config_sysfs_read(bdf, pos + 2, flags, sizeof(*flags));
	return ret < 0 ? ret : 0;
}

int irq_msi_enabled(const char *bdf)
{
	uint16_t flags;
	int ret = cap_flags(bdf, PCI_CAP_ID_MSI, &flags);

	return ret ? ret : !!(flags & PCI_MSI_FLAGS_ENABLE);
}

int irq_msix_enabled(const char *bdf)
{
	uint16_t flags;
	int ret = cap_flags(bdf, PCI_CAP_ID_MSIX, &flags);

	return ret ? ret : !!(flags & PCI_MSIX_FLAGS_ENABLE);
}

/* ---- running cases ------------------------------------------------------ */

static bool kind_matches(const char *kinds, const char *kind)
{
	size_t len = strlen(kind);
	const char *p = kinds;

	if (!kinds)
		return true;
	while ((p = strstr(p, kind))) {
		if ((p == kinds || p[-1] == ' ') && (p[len] == ' ' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

void irq_run_cases(const struct irq_test_case *cases, size_t count)
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	const char *driver = vfio_test_driver_name();
	unsigned int planned = 0;
	size_t c;
	int n, i;

	n = vfio_zoo_functions_or_skip(funcs, ARRAY_SIZE(funcs));
	if (n > (int)ARRAY_SIZE(funcs))
		n = ARRAY_SIZE(funcs);
	for (i = 0; i < n; i++)
		for (c = 0; c < count; c++)
			planned += kind_matches(cases[c].kinds, funcs[i].kind);
	if (!planned)
		tap_skip_all("no device of the kinds these cases need (%s...)",
			     cases[0].kinds ? cases[0].kinds : "any");
	tap_plan(planned);
	tap_diag("driver under test: %s", driver);
	for (i = 0; i < n; i++) {
		for (c = 0; c < count; c++) {
			if (!kind_matches(cases[c].kinds, funcs[i].kind))
				continue;
			tap_case_begin("%s %s", cases[c].name, funcs[i].bdf);
			cases[c].run(&funcs[i]);
			tap_case_end();
		}
	}
	tap_finish();
}

/* ---- artifacts ---------------------------------------------------------- */

static int artifact_path(const char *file, char *path, size_t len)
{
	const char *dir = getenv("VFIO_TEST_ARTIFACTS");

	if (!dir || !*dir)
		return -ENOENT;
	if ((size_t)snprintf(path, len, "%s/%s", dir, file) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int irq_artifact_put(const char *file, const char *key, long long value)
{
	char path[PATH_MAX];
	FILE *f;
	int ret;

	ret = artifact_path(file, path, sizeof(path));
	if (ret)
		return ret;
	f = fopen(path, "ae");
	if (!f)
		return -errno;
	fprintf(f, "%s %lld\n", key, value);
	return fclose(f) ? -errno : 0;
}

int irq_artifact_get(const char *file, const char *key, long long *value)
{
	char path[PATH_MAX], line[512], name[256];
	long long v;
	int ret = -ENOENT;
	FILE *f;

	if (artifact_path(file, path, sizeof(path)))
		return -ENOENT;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* The last line for @key wins. */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %lld", name, &v) == 2 && !strcmp(name, key)) {
			*value = v;
			ret = 0;
		}
	fclose(f);
	return ret;
}
