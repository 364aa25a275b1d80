// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for the region tests; see region_util.h.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "region_util.h"

/* ---- Region access that keeps short transfers ---------------------------- */

uint64_t region_file_offset(const struct vfio_dev *dev, uint32_t index,
			    uint64_t off)
{
	return dev->regions[index].offset + off;
}

ssize_t region_pread_raw(struct vfio_dev *dev, uint32_t index, uint64_t off,
			 void *buf, size_t len)
{
	ssize_t n;

	if (index >= ARRAY_SIZE(dev->regions))
		return -EINVAL;
	n = pread(dev->fd, buf, len, region_file_offset(dev, index, off));
	return n < 0 ? -errno : n;
}

ssize_t region_pwrite_raw(struct vfio_dev *dev, uint32_t index, uint64_t off,
			  const void *buf, size_t len)
{
	ssize_t n;

	if (index >= ARRAY_SIZE(dev->regions))
		return -EINVAL;
	n = pwrite(dev->fd, buf, len, region_file_offset(dev, index, off));
	return n < 0 ? -errno : n;
}

int region_read_le(struct vfio_dev *dev, uint32_t index, uint64_t off,
		   unsigned int width, uint64_t *val)
{
	uint8_t bytes[8] = { 0 };
	ssize_t n;
	uint64_t le;

	if (width != 1 && width != 2 && width != 4 && width != 8)
		return -EINVAL;
	n = region_pread_raw(dev, index, off, bytes, width);
	if (n < 0)
		return n;
	if ((size_t)n != width)
		return -EIO;
	memcpy(&le, bytes, sizeof(le));
	*val = le64toh(le);
	return 0;
}

int region_write_le(struct vfio_dev *dev, uint32_t index, uint64_t off,
		    unsigned int width, uint64_t val)
{
	uint64_t le = htole64(val);
	ssize_t n;

	if (width != 1 && width != 2 && width != 4 && width != 8)
		return -EINVAL;
	/* Little-endian: the low @width bytes come first. */
	n = region_pwrite_raw(dev, index, off, &le, width);
	if (n < 0)
		return n;
	return (size_t)n == width ? 0 : -EIO;
}

/* ---- Decode and mappings ------------------------------------------------- */

int vfio_command(struct vfio_dev *dev, uint16_t *cmd)
{
	return vfio_config_read16(dev, PCI_COMMAND, cmd);
}

int vfio_set_memory_decode(struct vfio_dev *dev, bool on)
{
	uint16_t cmd;
	int ret;

	ret = vfio_command(dev, &cmd);
	if (ret)
		return ret;
	if (on)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MEMORY;
	return vfio_config_write16(dev, PCI_COMMAND, cmd);
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

/*
 * The access itself is done by @access on @addr; a SIGBUS it raises jumps
 * back here.  The handler is in place only around the one access.
 */
static bool guarded(void (*access)(volatile void *addr, uint32_t *val),
		    volatile void *addr, uint32_t *val)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile bool ok = true;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1))
		ok = false;
	else
		access(addr, val);
	sigaction(SIGBUS, &old, NULL);
	return ok;
}

static void do_read32(volatile void *addr, uint32_t *val)
{
	*val = le32toh(*(volatile uint32_t *)addr);
}

static void do_write32(volatile void *addr, uint32_t *val)
{
	*(volatile uint32_t *)addr = htole32(*val);
}

bool mmio_read32_guarded(const volatile void *addr, uint32_t *val)
{
	uint32_t v;

	if (!guarded(do_read32, (volatile void *)addr, &v))
		return false;
	*val = v;
	return true;
}

bool mmio_write32_guarded(volatile void *addr, uint32_t val)
{
	return guarded(do_write32, addr, &val);
}

int region_mmap_flags(struct vfio_dev *dev, uint32_t index, uint64_t off,
		      size_t len, int prot, int flags, void **out)
{
	void *p;

	if (index >= ARRAY_SIZE(dev->regions))
		return -EINVAL;
	p = mmap(NULL, len, prot, flags, dev->fd,
		 region_file_offset(dev, index, off));
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

bool pci_bar_is_memory(const struct pci_resource *res)
{
	return pci_resource_size(res) && (res->flags & PCI_RES_MEM);
}

bool pci_bar_is_io(const struct pci_resource *res)
{
	return pci_resource_size(res) && (res->flags & PCI_RES_IO);
}

int pci_msix_table_bar(const char *bdf, uint32_t *table_off, int *pba_bar,
		       uint32_t *pba_off)
{
	uint32_t table, pba;
	int cap, ret;

	cap = pci_find_capability(bdf, PCI_CAP_ID_MSIX);
	if (cap < 0)
		return cap;
	if (!cap)
		return -ENOENT;
	ret = pci_config_sysfs_read(bdf, cap + PCI_MSIX_TABLE, &table, 4);
	if (!ret)
		ret = pci_config_sysfs_read(bdf, cap + PCI_MSIX_PBA, &pba, 4);
	if (ret)
		return ret;
	table = le32toh(table);
	pba = le32toh(pba);
	*table_off = table & ~7u;
	*pba_bar = pba & 7;
	*pba_off = pba & ~7u;
	return table & 7;
}

/* ---- sysfs rom ------------------------------------------------------------ */

ssize_t pci_sysfs_rom_read(const char *bdf, void *buf, size_t len)
{
	char path[PATH_MAX];
	size_t done = 0;
	ssize_t n;
	int fd, ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/rom", bdf);
	/* The PCI core refuses to read the ROM until it is enabled. */
	ret = pci_sysfs_write(bdf, "rom", "1");
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto err_disable;
	}
	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0) {
			ret = -errno;
			goto err_close;
		}
		if (!n)
			break;
		done += n;
	}
	ret = done;

err_close:
	close(fd);
err_disable:
	pci_sysfs_write(bdf, "rom", "0");
	return ret;
}

/* ---- VFIO_DEVICE_IOEVENTFD ------------------------------------------------ */

int vfio_ioeventfd_argsz(int device_fd, uint32_t argsz, uint32_t flags,
			 uint64_t offset, uint64_t data, int32_t fd)
{
	struct vfio_device_ioeventfd ioeventfd = {
		.argsz = argsz,
		.flags = flags,
		.offset = offset,
		.data = data,
		.fd = fd,
	};

	return vfio_ioctl(device_fd, VFIO_DEVICE_IOEVENTFD, &ioeventfd);
}

int vfio_ioeventfd(int device_fd, uint32_t flags, uint64_t offset,
		   uint64_t data, int32_t fd)
{
	return vfio_ioeventfd_argsz(device_fd, sizeof(struct vfio_device_ioeventfd),
				    flags, offset, data, fd);
}

uint32_t vfio_ioeventfd_size_flag(unsigned int width)
{
	switch (width) {
	case 1:
		return VFIO_DEVICE_IOEVENTFD_8;
	case 2:
		return VFIO_DEVICE_IOEVENTFD_16;
	case 4:
		return VFIO_DEVICE_IOEVENTFD_32;
	case 8:
		return VFIO_DEVICE_IOEVENTFD_64;
	}
	return 0;
}

int eventfd_signal_once(int efd)
{
	uint64_t one = 1;
	ssize_t n = write(efd, &one, sizeof(one));

	if (n < 0)
		return -errno;
	return n == sizeof(one) ? 0 : -EIO;
}

int region_wait_value32(struct vfio_dev *dev, uint32_t index, uint64_t off,
			uint32_t want, int timeout_ms, uint32_t *last)
{
	const struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };
	uint64_t val = 0;
	int waited, ret;

	for (waited = 0; ; waited += 5) {
		ret = region_read_le(dev, index, off, 4, &val);
		if (ret)
			return ret;
		if ((uint32_t)val == want)
			return 0;
		if (waited >= timeout_ms)
			break;
		nanosleep(&tick, NULL);
	}
	if (last)
		*last = val;
	return -ETIMEDOUT;
}

/* ---- Cases that apply to some functions --------------------------------- */

bool func_is_kind(const struct pci_func *f, const char *kind)
{
	return !strcmp(f->kind, kind);
}

bool func_is_vga(const struct pci_func *f)
{
	return f->class >> 8 == PCI_CLASS_VGA;
}

static bool case_applies(const struct region_case *c, const struct pci_func *f)
{
	return !c->applies || c->applies(f);
}

static int by_bdf(const void *a, const void *b)
{
	return strcmp(((const struct pci_func *)a)->bdf,
		      ((const struct pci_func *)b)->bdf);
}

/* Kinds for the functions read from the zoo file; they live as long as we do. */
static char zoo_kinds[VFIO_ZOO_MAX][64];

/*
 * The runner's list of the zoo, tools/testing/vm/zoo, found from where
 * this program lives (tools/testing/selftests/vfio): "<bdf> <kind> ...".
 * Returns how many present functions it named, or -errno (-ENOENT when
 * there is no such file, e.g. when run outside the repository).
 */
static int zoo_file_functions(struct pci_func *out, int max)
{
	struct pci_func all[VFIO_ZOO_MAX * 2];
	char exe[PATH_MAX], path[PATH_MAX + 32], line[512], bdf[64], kind[64];
	int n_all, n = 0, i;
	ssize_t len;
	char *slash;
	FILE *zoo;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return -errno;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/../../vm/zoo", exe);
	zoo = fopen(path, "re");
	if (!zoo)
		return -errno;
	/* Every present function, restricted by $VFIO_TEST_DEVICE. */
	n_all = pci_find_functions(0xffff, 0xffff, all, ARRAY_SIZE(all));
	if (n_all < 0) {
		fclose(zoo);
		return n_all;
	}
	if (n_all > (int)ARRAY_SIZE(all))
		n_all = ARRAY_SIZE(all);
	while (n < max && fgets(line, sizeof(line), zoo)) {
		if (line[0] == '#' || sscanf(line, "%63s %63s", bdf, kind) != 2 ||
		    !strcmp(bdf, "-"))
			continue;
		for (i = 0; i < n_all; i++) {
			if (strcmp(all[i].bdf, bdf))
				continue;
			snprintf(zoo_kinds[n], sizeof(zoo_kinds[n]), "%s", kind);
			out[n] = all[i];
			out[n].kind = zoo_kinds[n];
			n++;
			break;
		}
	}
	fclose(zoo);
	return n;
}

static bool listed(const struct pci_func *funcs, int n, const char *bdf)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(funcs[i].bdf, bdf))
			return true;
	return false;
}

/* Documented in region_util.h. */
int region_zoo_functions(struct pci_func *out, int max)
{
	struct pci_func extra[VFIO_ZOO_MAX];
	int n, m, i;

	n = zoo_file_functions(out, max);
	if (n == -ENOENT)
		n = 0;
	else if (n < 0)
		return n;
	m = vfio_zoo_functions(extra, ARRAY_SIZE(extra));
	if (m < 0)
		return m;
	if (m > (int)ARRAY_SIZE(extra))
		m = ARRAY_SIZE(extra);
	for (i = 0; i < m && n < max; i++)
		if (!listed(out, n, extra[i].bdf))
			out[n++] = extra[i];
	m = pci_find_functions(IVSHMEM_VENDOR, IVSHMEM_DEVICE, extra,
			       ARRAY_SIZE(extra));
	if (m < 0)
		return m;
	if (m > (int)ARRAY_SIZE(extra))
		m = ARRAY_SIZE(extra);
	for (i = 0; i < m && n < max; i++) {
		if (listed(out, n, extra[i].bdf))
			continue;
		out[n] = extra[i];
		out[n++].kind = "ivshmem";
	}
	qsort(out, n, sizeof(*out), by_bdf);
	return n;
}

void region_run_cases(const struct region_case *cases, size_t count,
		      const char *why_none)
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	unsigned int planned = 0;
	const char *driver = vfio_test_driver_name();
	int n, i;
	size_t c;

	n = region_zoo_functions(funcs, ARRAY_SIZE(funcs));
	if (n < 0)
		tap_bail_out("listing PCI functions: %s", tap_errno_name(-n));
	for (i = 0; i < n; i++)
		for (c = 0; c < count; c++)
			planned += case_applies(&cases[c], &funcs[i]);
	if (!planned)
		tap_skip_all("%s", why_none);
	tap_plan(planned);
	tap_diag("driver under test: %s", driver);
	for (i = 0; i < n; i++) {
		for (c = 0; c < count; c++) {
			if (!case_applies(&cases[c], &funcs[i]))
				continue;
			tap_case_begin("%s %s", cases[c].name, funcs[i].bdf);
			cases[c].run(&funcs[i]);
			tap_case_end();
		}
	}
	tap_finish();
}
