// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap of BAR regions: what may be mapped, what a mapping reaches, and how
 * it is revoked while memory decode is off and around a reset.
 *
 * Reference behaviour these cases encode (Debian 6.12 vfio-pci, measured):
 * - MAP_PRIVATE, a range past the end of the BAR, and any region without
 *   the MMAP flag (config, ROM, VGA, I/O BARs, absent BARs) give EINVAL;
 *   a length that is not a page multiple is fine (mmap rounds it up), an
 *   offset that is not page aligned is refused by mmap itself (EINVAL);
 * - every memory BAR that starts on a page boundary has the MMAP flag,
 *   sub-page ones included (the rest of the page is reserved for it);
 * - the BAR holding the MSI-X table maps whole and says so with the
 *   MSIX_MAPPABLE capability (no sparse-mmap capability);
 * - memory decode off: touching a mapping gets SIGBUS and read()/write()
 *   give EIO; decode on again and both work again; mmap itself is allowed
 *   with decode off (only its faults are refused);
 * - a mapping keeps working after the device fds are closed, and the
 *   device can be opened again once it is unmapped;
 * - VFIO_DEVICE_RESET restores the command register as it was before the
 *   reset, decode bit included, so a mapping works right after a reset
 *   with decode on, and stays revoked after a reset with decode off until
 *   decode is turned on; a device without VFIO_DEVICE_FLAGS_RESET gives
 *   EINVAL;
 * - read() and write() of config space and of a BAR complete when the
 *   user's buffer is a mapping of the device's own BAR that the call is
 *   the first to touch (the copy faults the mapping in).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "region_util.h"

#define BAR0		VFIO_PCI_BAR0_REGION_INDEX
/* A register both through the mapping and read() after a reset. */
#define RESET_PROBE_OFF	0x08	/* e1000e STATUS, nvme VS */

static size_t page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static uint64_t page_align(uint64_t len)
{
	return (len + page_size() - 1) & ~(uint64_t)(page_size() - 1);
}

static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device");
}

static bool is_edu(const struct pci_func *f)
{
	return func_is_kind(f, "edu");
}

static bool is_reset_kind(const struct pci_func *f)
{
	return func_is_kind(f, "e1000e") || func_is_kind(f, "nvme");
}

static bool has_msix(const struct pci_func *f)
{
	return pci_find_capability(f->bdf, PCI_CAP_ID_MSIX) > 0;
}

static bool map_edu_bar0(struct vfio_dev *dev, volatile uint32_t **regs)
{
	void *p;

	if (!EXPECT_OK(vfio_region_mmap(dev, BAR0, 0, page_size(),
					PROT_READ | PROT_WRITE, &p),
		       "mmap of the first page of BAR0"))
		return false;
	*regs = p;
	return true;
}

/* ---- What a mapping reaches ---------------------------------------------- */

static void edu_mapping_reaches_device(const struct pci_func *f)
{
	static const uint32_t values[] = { 0xdeadbeef, 0x00ff00ff };
	volatile uint32_t *regs;
	struct vfio_dev dev;
	uint64_t via_read;
	uint32_t val;
	size_t i;

	if (!open_dev(&dev, f))
		return;
	if (!map_edu_bar0(&dev, &regs))
		goto out;
	if (EXPECT_TRUE(mmio_read32_guarded(&regs[EDU_ID / 4], &val),
			"read of the id register through the mapping"))
		EXPECT_EQ_HEX(val, EDU_ID_VALUE, "id register through the mapping");
	for (i = 0; i < ARRAY_SIZE(values); i++) {
		if (!EXPECT_TRUE(mmio_write32_guarded(&regs[EDU_LIVENESS / 4], values[i]),
				 "write of liveness through the mapping") ||
		    !EXPECT_TRUE(mmio_read32_guarded(&regs[EDU_LIVENESS / 4], &val),
				 "read of liveness through the mapping"))
			break;
		tap_check(val == ~values[i],
			  "liveness after writing 0x%08x through the mapping: expected 0x%08x, got 0x%08x",
			  values[i], ~values[i], val);
		/* The same register through read(): one device, two paths. */
		if (EXPECT_OK(region_read_le(&dev, BAR0, EDU_LIVENESS, 4, &via_read),
			      "read() of liveness"))
			EXPECT_EQ_HEX(via_read, ~values[i], "liveness through read()");
	}
	munmap((void *)regs, page_size());
out:
	vfio_dev_close(&dev);
}

static void mapped_bars_map_whole(const struct pci_func *f)
{
	struct vfio_dev dev;
	char what[96];
	uint32_t bar, val;
	int mapped = 0;
	void *p;

	if (!open_dev(&dev, f))
		return;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX; bar++) {
		const struct vfio_region_info *r = &dev.regions[bar];
		uint64_t len = page_align(r->size);

		if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
			continue;
		mapped++;
		snprintf(what, sizeof(what), "mmap of all 0x%llx bytes of %s",
			 (unsigned long long)r->size, vfio_region_name(bar));
		if (!EXPECT_OK(vfio_region_mmap(&dev, bar, 0, len, PROT_READ, &p), what))
			continue;
		snprintf(what, sizeof(what), "read of the first word of %s through the mapping",
			 vfio_region_name(bar));
		EXPECT_TRUE(mmio_read32_guarded(p, &val), what);
		munmap(p, len);
	}
	vfio_dev_close(&dev);
	if (!mapped && !tap_case_failed())
		tap_case_skip("no BAR of this function has the MMAP flag");
}

static void page_aligned_memory_bars_mmap(const struct pci_func *f)
{
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	struct vfio_dev dev;
	int n = pci_resources(f->bdf, res), bars = 0;
	uint32_t bar;
	void *p;

	if (!EXPECT_OK(n, "reading sysfs resource") || !open_dev(&dev, f))
		return;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX && (int)bar < n; bar++) {
		const struct vfio_region_info *r = &dev.regions[bar];

		if (!pci_bar_is_memory(&res[bar]) || res[bar].start % page_size())
			continue;
		bars++;
		if (!tap_check(r->flags & VFIO_REGION_INFO_FLAG_MMAP,
			       "memory %s of 0x%llx bytes at 0x%llx (page aligned): expected the MMAP flag, got flags 0x%x",
			       vfio_region_name(bar),
			       (unsigned long long)pci_resource_size(&res[bar]),
			       (unsigned long long)res[bar].start, r->flags))
			continue;
		/* A sub-page BAR maps as one page, like the reference allows. */
		if (!tap_check(!vfio_region_mmap(&dev, bar, 0, page_size(), PROT_READ, &p),
			       "mmap of one page of %s (0x%llx bytes): %s",
			       vfio_region_name(bar), (unsigned long long)r->size,
			       strerror(errno)))
			continue;
		munmap(p, page_size());
	}
	vfio_dev_close(&dev);
	if (!bars && !tap_case_failed())
		tap_case_skip("no page-aligned memory BAR");
}

/* ---- What may not be mapped ---------------------------------------------- */

static void edu_map_private_einval(const struct pci_func *f)
{
	struct vfio_dev dev;
	void *p;

	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(region_mmap_flags(&dev, BAR0, 0, page_size(), PROT_READ,
				       MAP_PRIVATE, &p),
		     EINVAL, "mmap of BAR0 read-only with MAP_PRIVATE");
	EXPECT_ERRNO(region_mmap_flags(&dev, BAR0, 0, page_size(),
				       PROT_READ | PROT_WRITE, MAP_PRIVATE, &p),
		     EINVAL, "mmap of BAR0 read-write with MAP_PRIVATE");
	vfio_dev_close(&dev);
}

static void edu_map_past_end_einval(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint64_t size;
	void *p;

	if (!open_dev(&dev, f))
		return;
	size = dev.regions[BAR0].size;
	EXPECT_ERRNO(vfio_region_mmap(&dev, BAR0, 0, size + page_size(), PROT_READ, &p),
		     EINVAL, "mmap of BAR0 size + one page from 0");
	EXPECT_ERRNO(vfio_region_mmap(&dev, BAR0, size, page_size(), PROT_READ, &p),
		     EINVAL, "mmap of one page at BAR0's size");
	EXPECT_ERRNO(vfio_region_mmap(&dev, BAR0, size - page_size(), 2 * page_size(),
				      PROT_READ, &p),
		     EINVAL, "mmap of two pages from BAR0's last page");
	/* The last page itself is fine. */
	if (EXPECT_OK(vfio_region_mmap(&dev, BAR0, size - page_size(), page_size(),
				       PROT_READ, &p),
		      "mmap of BAR0's last page"))
		munmap(p, page_size());
	vfio_dev_close(&dev);
}

static void edu_map_offsets(const struct pci_func *f)
{
	struct vfio_dev dev;
	void *p;

	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(vfio_region_mmap(&dev, BAR0, 100, page_size(), PROT_READ, &p),
		     EINVAL, "mmap of BAR0 at offset 100");
	/* A length short of a page is rounded up, not refused. */
	if (EXPECT_OK(vfio_region_mmap(&dev, BAR0, page_size(), 100, PROT_READ, &p),
		      "mmap of 100 bytes at BAR0 offset one page"))
		munmap(p, 100);
	vfio_dev_close(&dev);
}

static void unmappable_regions_einval(const struct pci_func *f)
{
	struct vfio_region_info info;
	struct vfio_dev dev;
	char what[96];
	uint32_t i;
	void *p;

	if (!open_dev(&dev, f))
		return;
	for (i = 0; i < dev.info.num_regions && i < VFIO_PCI_NUM_REGIONS; i++) {
		/* No info (VGA on a function that is not VGA): no offset to try. */
		if (vfio_device_get_region_info(dev.fd, i, &info) ||
		    (info.flags & VFIO_REGION_INFO_FLAG_MMAP))
			continue;
		snprintf(what, sizeof(what), "mmap of %s (size 0x%llx, flags 0x%x: no MMAP)",
			 vfio_region_name(i), (unsigned long long)info.size, info.flags);
		EXPECT_ERRNO(vfio_region_mmap(&dev, i, 0, page_size(), PROT_READ, &p),
			     EINVAL, what);
	}
	vfio_dev_close(&dev);
}

/* ---- Revocation ------------------------------------------------------------ */

/* Touching the mapping and read()/write() all fail as decode-off should. */
static void expect_revoked(struct vfio_dev *dev, uint32_t index,
			   volatile uint32_t *map, uint64_t off, const char *when)
{
	uint64_t val;
	uint32_t word;
	char what[128];

	snprintf(what, sizeof(what), "read through the mapping %s gets SIGBUS", when);
	EXPECT_TRUE(!mmio_read32_guarded(&map[off / 4], &word), what);
	snprintf(what, sizeof(what), "write through the mapping %s gets SIGBUS", when);
	EXPECT_TRUE(!mmio_write32_guarded(&map[off / 4], 0), what);
	snprintf(what, sizeof(what), "read() of %s %s", vfio_region_name(index), when);
	EXPECT_ERRNO(region_read_le(dev, index, off, 4, &val), EIO, what);
	snprintf(what, sizeof(what), "write() of %s %s", vfio_region_name(index), when);
	EXPECT_ERRNO(region_write_le(dev, index, off, 4, 0), EIO, what);
}

/* Reads @off through the mapping and through read(); they must agree. */
static bool expect_usable(struct vfio_dev *dev, uint32_t index,
			  volatile uint32_t *map, uint64_t off, const char *when)
{
	uint64_t via_read;
	uint32_t word;
	char what[128];

	snprintf(what, sizeof(what), "read through the mapping %s", when);
	if (!EXPECT_TRUE(mmio_read32_guarded(&map[off / 4], &word), what))
		return false;
	snprintf(what, sizeof(what), "read() of %s %s", vfio_region_name(index), when);
	if (!EXPECT_OK(region_read_le(dev, index, off, 4, &via_read), what))
		return false;
	snprintf(what, sizeof(what), "mapping and read() agree %s", when);
	return EXPECT_EQ_HEX(word, via_read, what);
}

static void edu_decode_off_revokes(const struct pci_func *f)
{
	const uint32_t live = 0x600dcafe;
	volatile uint32_t *regs;
	struct vfio_dev dev;
	uint32_t val;

	if (!open_dev(&dev, f))
		return;
	if (!map_edu_bar0(&dev, &regs))
		goto out;
	/* Fault the page in first: revocation has to take it down. */
	if (!expect_usable(&dev, BAR0, regs, EDU_ID, "before decode off"))
		goto unmap;
	if (!EXPECT_OK(vfio_set_memory_decode(&dev, false), "memory decode off"))
		goto unmap;
	expect_revoked(&dev, BAR0, regs, EDU_LIVENESS, "with memory decode off");
	if (!EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on again"))
		goto unmap;
	if (expect_usable(&dev, BAR0, regs, EDU_ID, "with decode on again") &&
	    mmio_read32_guarded(&regs[EDU_ID / 4], &val))
		EXPECT_EQ_HEX(val, EDU_ID_VALUE, "id register with decode on again");
	if (EXPECT_TRUE(mmio_write32_guarded(&regs[EDU_LIVENESS / 4], live),
			"write through the mapping with decode on again") &&
	    EXPECT_TRUE(mmio_read32_guarded(&regs[EDU_LIVENESS / 4], &val),
			"read of liveness with decode on again"))
		EXPECT_EQ_HEX(val, ~live, "liveness with decode on again");
unmap:
	munmap((void *)regs, page_size());
out:
	vfio_dev_close(&dev);
}

static void edu_mapped_while_decode_off(const struct pci_func *f)
{
	volatile uint32_t *regs;
	struct vfio_dev dev;
	uint32_t val;

	if (!open_dev(&dev, f))
		return;
	if (!EXPECT_OK(vfio_set_memory_decode(&dev, false), "memory decode off"))
		goto out;
	/* mmap itself is allowed; only the faults are refused. */
	if (!map_edu_bar0(&dev, &regs))
		goto decode_on;
	EXPECT_TRUE(!mmio_read32_guarded(&regs[EDU_ID / 4], &val),
		    "first touch of a mapping made with decode off gets SIGBUS");
	if (EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on") &&
	    EXPECT_TRUE(mmio_read32_guarded(&regs[EDU_ID / 4], &val),
			"touch with decode on"))
		EXPECT_EQ_HEX(val, EDU_ID_VALUE, "id register through the mapping");
	munmap((void *)regs, page_size());
decode_on:
	vfio_set_memory_decode(&dev, true);
out:
	vfio_dev_close(&dev);
}

/*
 * A mapping holds the device file: closing the fds does not take the
 * device away from under it, and unmapping it lets the device go.
 */
static void edu_mapping_outlives_fd(const struct pci_func *f)
{
	const uint32_t live = 0x0f1e2d3c;
	volatile uint32_t *regs;
	struct vfio_dev dev;
	uint32_t val;

	if (!open_dev(&dev, f))
		return;
	if (!map_edu_bar0(&dev, &regs)) {
		vfio_dev_close(&dev);
		return;
	}
	vfio_dev_close(&dev);
	if (EXPECT_TRUE(mmio_read32_guarded(&regs[EDU_ID / 4], &val),
			"read through the mapping after closing the device fd"))
		EXPECT_EQ_HEX(val, EDU_ID_VALUE, "id register after the close");
	if (EXPECT_TRUE(mmio_write32_guarded(&regs[EDU_LIVENESS / 4], live),
			"write through the mapping after the close") &&
	    EXPECT_TRUE(mmio_read32_guarded(&regs[EDU_LIVENESS / 4], &val),
			"read of liveness after the close"))
		EXPECT_EQ_HEX(val, ~live, "liveness after the close");
	munmap((void *)regs, page_size());
	if (EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device again after munmap"))
		vfio_dev_close(&dev);
}

static bool open_resettable(struct vfio_dev *dev, const struct pci_func *f)
{
	if (!open_dev(dev, f))
		return false;
	if (!(dev->info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		tap_case_skip("no VFIO_DEVICE_FLAGS_RESET (flags 0x%x)", dev->info.flags);
		vfio_dev_close(dev);
		return false;
	}
	return true;
}

static void reset_keeps_mapping(const struct pci_func *f)
{
	volatile uint32_t *map;
	struct vfio_dev dev;
	uint16_t before, after;
	void *p;

	if (!open_resettable(&dev, f))
		return;
	if (!EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on") ||
	    !EXPECT_OK(vfio_command(&dev, &before), "command register before reset") ||
	    !EXPECT_OK(vfio_region_mmap(&dev, BAR0, 0, page_size(),
					PROT_READ | PROT_WRITE, &p),
		       "mmap of the first page of BAR0"))
		goto out;
	map = p;
	if (!expect_usable(&dev, BAR0, map, RESET_PROBE_OFF, "before the reset"))
		goto unmap;
	if (!EXPECT_OK(vfio_ioctl(dev.fd, VFIO_DEVICE_RESET, NULL), "VFIO_DEVICE_RESET"))
		goto unmap;
	if (EXPECT_OK(vfio_command(&dev, &after), "command register after reset"))
		EXPECT_EQ_HEX(after, before, "command register after reset (restored)");
	expect_usable(&dev, BAR0, map, RESET_PROBE_OFF, "after the reset");
unmap:
	munmap((void *)map, page_size());
out:
	vfio_dev_close(&dev);
}

static void reset_with_decode_off(const struct pci_func *f)
{
	volatile uint32_t *map;
	struct vfio_dev dev;
	uint32_t word;
	uint64_t val;
	uint16_t cmd;
	void *p;

	if (!open_resettable(&dev, f))
		return;
	if (!EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on") ||
	    !EXPECT_OK(vfio_region_mmap(&dev, BAR0, 0, page_size(),
					PROT_READ | PROT_WRITE, &p),
		       "mmap of the first page of BAR0"))
		goto out;
	map = p;
	if (!expect_usable(&dev, BAR0, map, RESET_PROBE_OFF, "before the reset") ||
	    !EXPECT_OK(vfio_set_memory_decode(&dev, false), "memory decode off"))
		goto unmap;
	if (!EXPECT_OK(vfio_ioctl(dev.fd, VFIO_DEVICE_RESET, NULL), "VFIO_DEVICE_RESET"))
		goto decode_on;
	if (EXPECT_OK(vfio_command(&dev, &cmd), "command register after reset"))
		tap_check(!(cmd & PCI_COMMAND_MEMORY),
			  "command register after a reset with decode off: expected Memory Space clear, got 0x%04x",
			  cmd);
	/* Reads only: a write to a live register of a NIC is no probe. */
	EXPECT_TRUE(!mmio_read32_guarded(&map[RESET_PROBE_OFF / 4], &word),
		    "read through the mapping after reset, decode still off, gets SIGBUS");
	EXPECT_ERRNO(region_read_le(&dev, BAR0, RESET_PROBE_OFF, 4, &val), EIO,
		     "read() after reset, decode still off");
decode_on:
	if (EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on again"))
		expect_usable(&dev, BAR0, map, RESET_PROBE_OFF, "after reset and decode on");
unmap:
	munmap((void *)map, page_size());
out:
	vfio_dev_close(&dev);
}

static void edu_reset_einval(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	tap_check(!(dev.info.flags & VFIO_DEVICE_FLAGS_RESET),
		  "edu has no reset method: expected no VFIO_DEVICE_FLAGS_RESET, got flags 0x%x",
		  dev.info.flags);
	EXPECT_ERRNO(vfio_ioctl(dev.fd, VFIO_DEVICE_RESET, NULL), EINVAL,
		     "VFIO_DEVICE_RESET on a function without a reset");
	vfio_dev_close(&dev);
}

/* ---- MSI-X --------------------------------------------------------------- */

struct cap_seen {
	bool msix_mappable;
	bool sparse;
};

static int note_cap(const struct vfio_info_cap_header *cap, void *arg)
{
	struct cap_seen *seen = arg;

	if (cap->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE)
		seen->msix_mappable = true;
	if (cap->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP)
		seen->sparse = true;
	return 0;
}

static bool region_caps(struct vfio_dev *dev, uint32_t index, struct cap_seen *seen)
{
	struct vfio_region_info *info;
	int walked;

	memset(seen, 0, sizeof(*seen));
	if (!EXPECT_OK(vfio_device_get_region_info_caps(dev->fd, index, &info),
		       "GET_REGION_INFO with capabilities"))
		return false;
	walked = vfio_info_cap_walk(info, info->argsz, sizeof(*info),
				    (info->flags & VFIO_REGION_INFO_FLAG_CAPS) ?
				    info->cap_offset : 0, note_cap, seen);
	free(info);
	return EXPECT_OK(walked, "walking the capability chain");
}

static void msix_bar_mappable(const struct pci_func *f)
{
	uint32_t table_off, pba_off, bar, word;
	int table_bar, pba_bar;
	struct cap_seen seen;
	struct vfio_dev dev;
	char what[128];
	void *p;

	table_bar = pci_msix_table_bar(f->bdf, &table_off, &pba_bar, &pba_off);
	if (!EXPECT_OK(table_bar, "reading the MSI-X capability from sysfs config"))
		return;
	tap_diag("%s: MSI-X table in BAR%d at 0x%x, PBA in BAR%d at 0x%x", f->bdf,
		 table_bar, table_off, pba_bar, pba_off);
	if (!open_dev(&dev, f))
		return;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX; bar++) {
		const struct vfio_region_info *r = &dev.regions[bar];
		const char *name = vfio_region_name(bar);

		if (!r->size || !region_caps(&dev, bar, &seen))
			continue;
		if ((int)bar != table_bar) {
			tap_check(!seen.msix_mappable,
				  "%s does not hold the MSI-X table: expected no MSIX_MAPPABLE capability",
				  name);
			continue;
		}
		tap_check((r->flags & (VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS)) ==
			  (VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS),
			  "%s holds the MSI-X table: expected MMAP|CAPS, got flags 0x%x",
			  name, r->flags);
		tap_check(seen.msix_mappable,
			  "%s holds the MSI-X table: expected the MSIX_MAPPABLE capability",
			  name);
		tap_check(!seen.sparse,
			  "%s holds the MSI-X table: expected no sparse-mmap capability (whole BAR mappable)",
			  name);
		snprintf(what, sizeof(what), "mmap of the page of %s holding the MSI-X table",
			 name);
		if (!EXPECT_OK(vfio_region_mmap(&dev, bar, table_off & ~(page_size() - 1),
						page_size(), PROT_READ, &p), what))
			continue;
		EXPECT_TRUE(mmio_read32_guarded((char *)p + (table_off & (page_size() - 1)),
						&word),
			    "read of MSI-X table entry 0 through the mapping");
		munmap(p, page_size());
	}
	vfio_dev_close(&dev);
}

/* ---- The user's buffer is a mapping of the device itself ----------------- */

#define OWN_MAPPING_TIMEOUT_MS	20000

/*
 * Runs @op in a child, whose first touch of the (inherited, never touched)
 * mapping is the kernel's copy to or from it.  A driver that copies while
 * holding the lock its own fault handler takes never returns: say so
 * instead of hanging (the child is then stuck for good, and so is the
 * device; the cases after this one fail).
 */
static bool run_in_child(int (*op)(struct vfio_dev *, volatile uint32_t *),
			 struct vfio_dev *dev, volatile uint32_t *map,
			 const char *what)
{
	int status, waited;
	pid_t pid, done;

	pid = fork();
	if (pid < 0)
		return EXPECT_OK(-errno, "fork");
	if (!pid)
		_exit(op(dev, map) ? 1 : 0);
	for (waited = 0; waited < OWN_MAPPING_TIMEOUT_MS; waited += 50) {
		done = waitpid(pid, &status, WNOHANG);
		if (done == pid)
			return tap_check(WIFEXITED(status) && !WEXITSTATUS(status),
					 "%s: the call failed (child status 0x%x)",
					 what, status);
		usleep(50 * 1000);
	}
	tap_check(false, "%s: no return in %d s: deadlock on the device's own mapping",
		  what, OWN_MAPPING_TIMEOUT_MS / 1000);
	return false;
}

/*
 * ivshmem's BAR2 is RAM: any access width works and keeps what was written,
 * so the three copies below can be checked byte for byte.
 */
#define SHM_BAR		VFIO_PCI_BAR2_REGION_INDEX
#define SHM_SRC		0x00	/* a value the user put there with write() */
#define SHM_IDS		0x10	/* the config read lands here */
#define SHM_DST		0x20	/* the BAR write lands here */
#define SHM_SRC_VALUE	0x5aa5c33c
#define CFG_INT_LINE	0x3c	/* virtual in both drivers, takes any byte */

static bool is_ivshmem(const struct pci_func *f)
{
	return func_is_kind(f, "ivshmem");
}

/* Config write of the interrupt line from the mapping. */
static int config_write_from_mapping(struct vfio_dev *dev, volatile uint32_t *shm)
{
	ssize_t n = pwrite(dev->fd, (const void *)&shm[SHM_SRC / 4], 1,
			   region_file_offset(dev, VFIO_PCI_CONFIG_REGION_INDEX,
					      CFG_INT_LINE));

	return n == 1 ? 0 : -1;
}

/* Config read of the IDs into the mapping. */
static int config_read_into_mapping(struct vfio_dev *dev, volatile uint32_t *shm)
{
	ssize_t n = pread(dev->fd, (void *)&shm[SHM_IDS / 4], 4,
			  region_file_offset(dev, VFIO_PCI_CONFIG_REGION_INDEX, 0));

	return n == 4 ? 0 : -1;
}

/* BAR write from the mapping to another word of the same BAR. */
static int bar_write_from_mapping(struct vfio_dev *dev, volatile uint32_t *shm)
{
	ssize_t n = pwrite(dev->fd, (const void *)&shm[SHM_SRC / 4], 4,
			   region_file_offset(dev, SHM_BAR, SHM_DST));

	return n == 4 ? 0 : -1;
}

static void shm_rw_with_buffer_in_own_mapping(const struct pci_func *f)
{
	volatile uint32_t *shm;
	struct vfio_dev dev;
	uint64_t val, ids;
	void *p;

	if (!open_dev(&dev, f))
		return;
	/* The parent never touches the mapping: each child faults it in. */
	if (!EXPECT_OK(region_write_le(&dev, SHM_BAR, SHM_SRC, 4, SHM_SRC_VALUE),
		       "write() of the source word") ||
	    !EXPECT_OK(vfio_region_mmap(&dev, SHM_BAR, 0, page_size(),
					PROT_READ | PROT_WRITE, &p),
		       "mmap of the first page of BAR2"))
		goto out;
	shm = p;
	if (run_in_child(config_write_from_mapping, &dev, shm,
			 "config write of the interrupt line from the BAR2 mapping") &&
	    EXPECT_OK(region_read_le(&dev, VFIO_PCI_CONFIG_REGION_INDEX,
				     CFG_INT_LINE, 1, &val),
		      "config read of the interrupt line"))
		EXPECT_EQ_HEX(val, SHM_SRC_VALUE & 0xff,
			      "interrupt line written from the mapping");
	if (run_in_child(config_read_into_mapping, &dev, shm,
			 "config read of the IDs into the BAR2 mapping") &&
	    EXPECT_OK(region_read_le(&dev, VFIO_PCI_CONFIG_REGION_INDEX, 0, 4, &ids),
		      "config read of the IDs") &&
	    EXPECT_OK(region_read_le(&dev, SHM_BAR, SHM_IDS, 4, &val),
		      "read() of the word the IDs were read into"))
		EXPECT_EQ_HEX(val, ids, "IDs read into the mapping");
	if (run_in_child(bar_write_from_mapping, &dev, shm,
			 "BAR2 write from the BAR2 mapping") &&
	    EXPECT_OK(region_read_le(&dev, SHM_BAR, SHM_DST, 4, &val),
		      "read() of the destination word"))
		EXPECT_EQ_HEX(val, SHM_SRC_VALUE, "word written from the mapping");
	munmap(p, page_size());
out:
	vfio_dev_close(&dev);
}

static const struct region_case cases[] = {
	{ "edu_bar0_mapping_reads_id_and_writes_reach_liveness", is_edu,
	  edu_mapping_reaches_device },
	{ "mmap_flagged_bars_map_whole_and_read", NULL, mapped_bars_map_whole },
	{ "page_aligned_memory_bars_have_mmap_flag_and_map", NULL,
	  page_aligned_memory_bars_mmap },
	{ "mmap_map_private_gives_einval", is_edu, edu_map_private_einval },
	{ "mmap_past_bar_end_gives_einval", is_edu, edu_map_past_end_einval },
	{ "mmap_unaligned_offset_einval_short_length_rounds_up", is_edu,
	  edu_map_offsets },
	{ "mmap_of_region_without_mmap_flag_gives_einval", NULL,
	  unmappable_regions_einval },
	{ "edu_decode_off_mapping_sigbus_rw_eio_decode_on_restores", is_edu,
	  edu_decode_off_revokes },
	{ "edu_mapping_made_with_decode_off_sigbus_until_decode_on", is_edu,
	  edu_mapped_while_decode_off },
	{ "edu_mapping_works_after_device_fd_close_device_freed_on_munmap", is_edu,
	  edu_mapping_outlives_fd },
	{ "reset_restores_command_and_mapping_works_after", is_reset_kind,
	  reset_keeps_mapping },
	{ "reset_with_decode_off_stays_revoked_until_decode_on", is_reset_kind,
	  reset_with_decode_off },
	{ "reset_without_reset_flag_gives_einval", is_edu, edu_reset_einval },
	{ "msix_table_bar_has_msix_mappable_cap_and_maps", has_msix,
	  msix_bar_mappable },
	{ "config_and_bar_rw_with_buffer_in_own_bar_mapping_complete", is_ivshmem,
	  shm_rw_with_buffer_in_own_mapping },
};

int main(void)
{
	region_run_cases(cases, ARRAY_SIZE(cases),
			 "no function of the zoo present (or none matching VFIO_TEST_DEVICE)");
}
