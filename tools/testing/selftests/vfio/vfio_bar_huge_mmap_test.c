// SPDX-License-Identifier: GPL-2.0-only
/*
 * Large BARs are mapped with huge entries.
 *
 * The zoo's ivshmem-plain function has a 1 GiB 64-bit prefetchable BAR
 * (BAR2).  Map it at a 1 GiB aligned user address, touch every 4 KiB page
 * and count the page faults this process took (getrusage minor faults).
 * With 4 KiB entries that is 262,144 faults; with PMD entries 512, with a
 * PUD entry one.  The case passes when the whole BAR took at most one fault
 * per 2 MiB, which only huge entries can give.  The time it took is printed
 * as a figure, never checked.
 *
 * A second case proves that huge entries are revoked like small ones:
 * memory decode off, a touch anywhere in the BAR gets SIGBUS; decode on,
 * the data written before is still there.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vfio_util.h"

#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110
#define IVSHMEM_BAR	VFIO_PCI_BAR2_REGION_INDEX
#define SZ_2M		(2ULL << 20)
#define SZ_1G		(1ULL << 30)
#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2

static sigjmp_buf bus_error_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_error_jmp, 1);
}

/* Reads one word; false if the read raised SIGBUS. */
static bool touch(volatile uint64_t *p, uint64_t *val)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool ok = true;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_error_jmp, 1))
		ok = false;
	else
		*val = *p;
	sigaction(SIGBUS, &old, NULL);
	return ok;
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Maps @len bytes of the BAR at a user address aligned to @align. */
static void *map_aligned(struct vfio_dev *dev, size_t len, size_t align)
{
	uint8_t *area, *start;
	void *p;

	area = mmap(NULL, len + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	start = (uint8_t *)(((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1));
	p = mmap(start, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 dev->fd, dev->regions[IVSHMEM_BAR].offset);
	if (p == MAP_FAILED) {
		tap_diag("mmap of BAR2: %s", strerror(errno));
		munmap(area, len + align);
		return NULL;
	}
	/* Give back the slack on both sides. */
	if (start > area)
		munmap(area, start - area);
	munmap(start + len, area + len + align - (start + len));
	return p;
}

static int set_memory(struct vfio_dev *dev, bool on)
{
	uint16_t cmd;
	int ret = vfio_config_read16(dev, PCI_COMMAND, &cmd);

	if (ret)
		return ret;
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	return vfio_config_write16(dev, PCI_COMMAND, cmd);
}

/* Maps BAR2 afresh and reads a word of every page; false on SIGBUS. */
static bool touch_pass(struct vfio_dev *dev, uint64_t size, long *faults,
		       double *secs)
{
	volatile uint64_t *p;
	uint64_t off, v;
	long before;
	double t0;
	bool ok = true;

	p = map_aligned(dev, size, SZ_1G);
	if (!EXPECT_TRUE(p != NULL, "1 GiB aligned mmap of BAR2"))
		return false;
	before = minor_faults();
	t0 = now();
	for (off = 0; off < size; off += 4096) {
		if (!touch(p + off / 8, &v)) {
			ok = tap_check(false, "SIGBUS at BAR offset 0x%llx",
				       (unsigned long long)off);
			break;
		}
	}
	*secs = now() - t0;
	*faults = minor_faults() - before;
	munmap((void *)p, size);
	return ok;
}

static void case_touch_every_page(struct vfio_dev *dev)
{
	uint64_t size = dev->regions[IVSHMEM_BAR].size;
	long faults;
	double secs;
	int pass;

	tap_case_begin("huge_bar_touch_every_page_takes_at_most_one_fault_per_2m %s",
		       dev->bdf);
	if (!EXPECT_GE(size, SZ_1G, "BAR2 size"))
		goto out;
	if (!EXPECT_OK(set_memory(dev, true), "memory decode on"))
		goto out;
	/*
	 * The first pass also makes QEMU allocate the BAR's backing memory on
	 * the host, so only the second one is a figure worth comparing.
	 */
	for (pass = 1; pass <= 2; pass++) {
		if (!touch_pass(dev, size, &faults, &secs))
			goto out;
		tap_diag("%s: pass %d: touched %llu pages of BAR2 in %.3f s with %ld page faults",
			 vfio_test_driver_name(), pass,
			 (unsigned long long)(size / 4096), secs, faults);
		EXPECT_TRUE(faults <= (long)(size / SZ_2M), "faults <= one per 2 MiB");
	}
out:
	tap_case_end();
}

static void case_revoked_and_restored(struct vfio_dev *dev)
{
	uint64_t size = dev->regions[IVSHMEM_BAR].size, v = 0;
	const uint64_t pattern = 0x5a5aa5a5c3c33c3cULL;
	volatile uint64_t *p;

	tap_case_begin("huge_bar_mapping_sigbus_with_memory_off_and_back_after %s",
		       dev->bdf);
	if (!EXPECT_OK(set_memory(dev, true), "memory decode on"))
		goto out;
	p = map_aligned(dev, size, SZ_1G);
	if (!EXPECT_TRUE(p != NULL, "1 GiB aligned mmap of BAR2"))
		goto out;
	p[size / 16] = pattern;		/* halfway in: a huge entry now */
	if (!EXPECT_OK(set_memory(dev, false), "memory decode off"))
		goto unmap;
	EXPECT_TRUE(!touch(p, &v), "touch at offset 0 with decode off gets SIGBUS");
	EXPECT_TRUE(!touch(p + size / 16, &v),
		    "touch halfway with decode off gets SIGBUS");
	if (!EXPECT_OK(set_memory(dev, true), "memory decode on again"))
		goto unmap;
	if (EXPECT_TRUE(touch(p + size / 16, &v), "touch with decode on again"))
		EXPECT_EQ_HEX(v, pattern, "word written before decode went off");
unmap:
	munmap((void *)p, size);
out:
	tap_case_end();
}

int main(void)
{
	struct pci_func f[4];
	struct vfio_dev dev;
	int n;

	n = pci_find_functions(IVSHMEM_VENDOR, IVSHMEM_DEVICE, f, 4);
	if (n <= 0)
		tap_skip_all("no ivshmem-plain function (1af4:1110) in the zoo");
	tap_plan(2);
	tap_diag("driver under test: %s", vfio_test_driver_name());
	if (vfio_dev_open(&dev, f[0].bdf)) {
		tap_fail("huge_bar_touch_every_page_takes_at_most_one_fault_per_2m %s: open failed",
			 f[0].bdf);
		tap_fail("huge_bar_mapping_sigbus_with_memory_off_and_back_after %s: open failed",
			 f[0].bdf);
		tap_finish();
	}
	case_touch_every_page(&dev);
	case_revoked_and_restored(&dev);
	vfio_dev_close(&dev);
	tap_finish();
}
