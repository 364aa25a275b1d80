// SPDX-License-Identifier: GPL-2.0-only
/*
 * A config-space fuzzer.  Per function: N random reads and writes through
 * the config region, each at a random offset in config space (half of them
 * in the first 256 bytes, where the header and the standard capabilities
 * are), of 1, 2 or 4 bytes at any alignment, with random values.  Writes
 * that reset the function (Initiate FLR) or change its power state (PMCSR)
 * are real paths and stay in; only DMA is out of reach, since nothing here
 * touches a BAR before the fuzzing is over.
 *
 * What must hold, on both drivers (measured on the reference):
 * - an access inside config space transfers all its bytes, whatever its
 *   alignment; one reaching past the end gives EFAULT;
 * - the IDs and the class never change;
 * - after the device is closed and opened again, it still works: its IDs
 *   match sysfs and, with memory decode on, its first memory BAR answers
 *   (edu: the ID register through the region, liveness through mmap).
 *
 * VFIO_FUZZ_ITERATIONS sets N per function (default 20000, about 10 s per lane under TCG);
 * VFIO_FUZZ_SEED sets the seed (default fixed, so runs are comparable).  The
 * seed of each function is printed, with how to repeat its run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/pci_regs.h>

#include "vfio_util.h"

#define DEFAULT_ITERATIONS	20000
#define DEFAULT_SEED		0x5eedc0f1f0f0a55aULL
/* How often the IDs are read back during fuzzing, in accesses. */
#define ID_CHECK_INTERVAL	64
/* Diagnostics printed per kind of failure before going quiet. */
#define MAX_REPORTS		10

#define EDU_ID			0x00
#define EDU_ID_VALUE		0x010000ed
#define EDU_LIVENESS		0x04

static unsigned long long iterations = DEFAULT_ITERATIONS;
static unsigned long long seed = DEFAULT_SEED;

/* What the fuzzing of the current function saw, for the cases after it. */
static struct {
	char bdf[PCI_BDF_LEN];
	bool ran;
	unsigned long long done, reads, writes, past_end;
	unsigned long long id_checks, id_changes;
} stats;

static unsigned long long env_number(const char *name, unsigned long long def)
{
	const char *val = getenv(name);
	unsigned long long n;
	char *end;

	if (!val || !*val)
		return def;
	errno = 0;
	n = strtoull(val, &end, 0);
	if (errno || *end)
		tap_bail_out("%s=%s: expected a number", name, val);
	return n;
}

/* splitmix64: small, and the same sequence everywhere for a given seed. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Each function gets its own stream, so --device runs repeat a full run. */
static uint64_t function_seed(const char *bdf)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (*bdf)
		h = (h ^ (uint8_t)*bdf++) * 0x100000001b3ULL;
	return seed ^ h;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool read_ids(const char *bdf, uint32_t *ids, uint32_t *class_rev)
{
	return EXPECT_OK(pci_config_sysfs_read32(bdf, PCI_VENDOR_ID, ids),
			 "reading the IDs in sysfs config") &&
	       EXPECT_OK(pci_config_sysfs_read32(bdf, PCI_CLASS_REVISION, class_rev),
			 "reading class and revision in sysfs config");
}

/* Reads the IDs back through VFIO; false (and a report) if they moved. */
static bool ids_unchanged(struct vfio_dev *dev, uint32_t ids, uint32_t class_rev,
			  unsigned long long i)
{
	uint32_t got_ids = 0, got_class = 0;
	int r1, r2;

	r1 = vfio_config_read32(dev, PCI_VENDOR_ID, &got_ids);
	r2 = vfio_config_read32(dev, PCI_CLASS_REVISION, &got_class);
	if (!r1 && !r2 && got_ids == ids && got_class == class_rev)
		return true;
	if (stats.id_changes < MAX_REPORTS)
		tap_diag("after access %llu: IDs 0x%08x (%s) class/revision 0x%08x (%s), expected 0x%08x 0x%08x",
			 i, got_ids, tap_errno_name(-r1), got_class,
			 tap_errno_name(-r2), ids, class_rev);
	return false;
}

/* The power state, as the PCI core and VFIO see it. */
static void report_power(struct vfio_dev *dev)
{
	uint16_t user = 0, hw = 0;
	char state[32] = "?";
	int pm;

	pci_power_state(dev->bdf, state, sizeof(state));
	pm = pci_find_capability(dev->bdf, PCI_CAP_ID_PM);
	if (pm > 0) {
		vfio_config_read16(dev, pm + PCI_PM_CTRL, &user);
		pci_config_sysfs_read16(dev->bdf, pm + PCI_PM_CTRL, &hw);
	}
	tap_diag("power_state %s, PMCSR through VFIO 0x%04x, in sysfs config 0x%04x%s",
		 state, user, hw, pm > 0 ? "" : " (no PM capability)");
}

static void fuzz(const struct pci_func *f)
{
	unsigned long long i, bad = 0;
	uint32_t ids, class_rev, size, low;
	struct vfio_dev dev;
	uint64_t state;
	double start, secs;

	memset(&stats, 0, sizeof(stats));
	strcpy(stats.bdf, f->bdf);
	if (!read_ids(f->bdf, &ids, &class_rev) ||
	    !EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	size = dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].size;
	low = size < PCI_CFG_SPACE_SIZE ? size : PCI_CFG_SPACE_SIZE;
	state = function_seed(f->bdf);
	tap_diag("%s: seed 0x%llx (VFIO_FUZZ_SEED=0x%llx VFIO_TEST_DEVICE=%s repeats it), %llu accesses, config size 0x%x",
		 f->bdf, (unsigned long long)state, seed, f->bdf, iterations, size);
	if (!EXPECT_GE(size, PCI_CFG_SPACE_SIZE, "config region size"))
		goto out;

	stats.ran = true;
	start = now();
	for (i = 0; i < iterations; i++) {
		uint64_t r = next_random(&state), v = next_random(&state);
		static const unsigned int lens[] = { 1, 2, 4 };
		bool write = (r & 0xff) < 154;	/* 60% writes */
		unsigned int len = lens[(r >> 8) % 3];
		uint32_t off = (r >> 16) & 1 ? (r >> 17) % low : (r >> 17) % size;
		uint32_t val;
		int ret, want;

		/* Boundary values are where permission masks go wrong. */
		switch ((v >> 32) & 7) {
		case 0:
			val = 0;
			break;
		case 1:
			val = ~0u;
			break;
		default:
			val = v;
		}
		ret = vfio_config_access(&dev, write, off, &val, len);
		want = off + len <= size ? (int)len : -EFAULT;
		if (write)
			stats.writes++;
		else
			stats.reads++;
		if (want < 0)
			stats.past_end++;
		if (ret != want) {
			if (bad < MAX_REPORTS)
				tap_diag("access %llu: %u-byte %s at 0x%03x (value 0x%08x): expected %s, got %s",
					 i, len, write ? "write" : "read", off, val,
					 want < 0 ? "EFAULT" : "all bytes",
					 ret < 0 ? tap_errno_name(-ret) : "a short count");
			bad++;
		}
		if (i % ID_CHECK_INTERVAL == ID_CHECK_INTERVAL - 1) {
			stats.id_checks++;
			if (!ids_unchanged(&dev, ids, class_rev, i))
				stats.id_changes++;
		}
	}
	secs = now() - start;
	stats.done = i;
	report_power(&dev);
	tap_diag("%s: %llu accesses (%llu reads, %llu writes, %llu past the end) in %.2f s: %.0f/s",
		 f->bdf, stats.done, stats.reads, stats.writes, stats.past_end,
		 secs, secs > 0 ? stats.done / secs : 0.0);
	tap_check(bad == 0,
		  "%llu of %llu accesses did not return all bytes inside config space or EFAULT past its end",
		  bad, stats.done);
out:
	vfio_dev_close(&dev);
}

static void ids_stay(const struct pci_func *f)
{
	if (!stats.ran || strcmp(stats.bdf, f->bdf)) {
		tap_case_skip("the fuzzing of this function did not run");
		return;
	}
	tap_check(stats.id_checks == iterations / ID_CHECK_INTERVAL,
		  "expected %llu ID checks during fuzzing, made %llu",
		  iterations / ID_CHECK_INTERVAL, stats.id_checks);
	EXPECT_EQ(stats.id_changes, 0, "ID checks that found IDs or class changed");
}

static void edu_works(struct vfio_dev *dev, int bar)
{
	volatile uint32_t *regs;
	uint32_t id;
	void *map;

	if (EXPECT_OK(vfio_bar_read32(dev, bar, EDU_ID, &id),
		      "edu ID register through the region"))
		EXPECT_EQ_HEX(id, EDU_ID_VALUE, "edu ID register through the region");
	if (!EXPECT_OK(vfio_region_mmap(dev, VFIO_PCI_BAR0_REGION_INDEX + bar, 0,
					dev->regions[bar].size,
					PROT_READ | PROT_WRITE, &map),
		       "mmap of edu BAR0"))
		return;
	regs = map;
	EXPECT_EQ_HEX(regs[EDU_ID / 4], EDU_ID_VALUE, "edu ID register through mmap");
	regs[EDU_LIVENESS / 4] = 0x12345678;
	EXPECT_EQ_HEX(regs[EDU_LIVENESS / 4], ~0x12345678u,
		      "edu liveness register through mmap (the complement)");
	munmap(map, dev->regions[bar].size);
}

static void works_after_reopen(const struct pci_func *f)
{
	uint32_t ids, class_rev, got;
	struct vfio_dev dev;
	int bar;

	if (!read_ids(f->bdf, &ids, &class_rev))
		return;
	EXPECT_EQ_HEX(ids, f->vendor | (uint32_t)f->device << 16,
		      "IDs in sysfs config against sysfs vendor and device");
	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device again"))
		return;
	if (EXPECT_OK(vfio_config_read32(&dev, PCI_VENDOR_ID, &got), "reading the IDs"))
		EXPECT_EQ_HEX(got, ids, "IDs through VFIO after reopening");
	if (EXPECT_OK(vfio_config_read32(&dev, PCI_CLASS_REVISION, &got),
		      "reading class and revision"))
		EXPECT_EQ_HEX(got, class_rev, "class and revision through VFIO after reopening");

	bar = pci_first_bar_with(f->bdf, PCI_RES_MEM);
	if (bar == -ENOENT) {
		tap_diag("no memory BAR: the IDs are all there is to check");
		goto out;
	}
	if (!EXPECT_OK(bar, "reading sysfs resource") ||
	    !EXPECT_OK(vfio_config_update16(&dev, PCI_COMMAND, 0, PCI_COMMAND_MEMORY),
		       "enabling memory decode"))
		goto out;
	if (!strcmp(f->kind, "edu"))
		edu_works(&dev, bar);
	else if (!EXPECT_OK(vfio_bar_read32(&dev, bar, 0, &got),
			    "read at offset 0 of the first memory BAR"))
		report_power(&dev);
out:
	vfio_dev_close(&dev);
}

static const struct vfio_test_case cases[] = {
	{ "config_fuzz_accesses_return_all_bytes_or_efault_past_end", fuzz },
	{ "config_fuzz_leaves_ids_and_class_unchanged", ids_stay },
	{ "config_fuzz_leaves_device_working_after_reopen", works_after_reopen },
};

int main(void)
{
	iterations = env_number("VFIO_FUZZ_ITERATIONS", DEFAULT_ITERATIONS);
	seed = env_number("VFIO_FUZZ_SEED", DEFAULT_SEED);
	vfio_run_cases(cases, ARRAY_SIZE(cases), NULL);
}
