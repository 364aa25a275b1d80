// SPDX-License-Identifier: GPL-2.0-only
/*
 * BAR regions through read() and write() on the device fd.
 *
 * The devices' own registers prove that an access reached them and with
 * which width:
 * - edu BAR0: 0x00 reads 0x010000ed, 0x04 reads back the complement of the
 *   last 4-byte write, 0x80/0x88 hold 8-byte DMA addresses.  QEMU's edu
 *   accepts only 4-byte accesses below 0x80 (4 and 8 above): a narrower
 *   access reads 0 and a write of it is dropped, an 8-byte read below
 *   0x80 reads all ones.  So a driver that widened or narrowed an access
 *   shows it.
 * - pci-testdev: writing a test number to offset 0 (any width) selects the
 *   test whose header (name at 0x10) the BAR then reads back; BAR0 is memory ("mmio-*"), BAR1 I/O ports
 *   ("portio-*").
 * - e1000e: BAR0 holds the registers (RDBAL 0x2800 / RDBAH 0x2804 keep what
 *   is written, low 4 bits of RDBAL cleared; a 1- or 2-byte read returns
 *   the low bytes of the register holding it); the I/O BAR is the IOADDR
 *   (0x00) / IODATA (0x04) window onto the same registers.
 *
 * Reference behaviour these cases encode (Debian 6.12 vfio-pci, measured):
 * - an access is done as naturally aligned pieces of the largest width
 *   that fits (up to 8 bytes on memory BARs);
 * - an access that starts at or beyond the end of the region gives
 *   EINVAL; one that starts inside and runs past the end is cut short
 *   (returns the bytes up to the end);
 * - read or write of a BAR the function does not have gives EINVAL.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "region_util.h"

#define BAR0		VFIO_PCI_BAR0_REGION_INDEX
#define LONG_LEN	64

/* pci-testdev */
#define TESTDEV_NAME	0x10
#define TESTDEV_TESTS	3
static const char *const testdev_tests[TESTDEV_TESTS] = {
	"no-eventfd", "wildcard-eventfd", "datamatch-eventfd",
};

/* e1000e */
#define E1000_STATUS	0x0008
#define E1000_RDBAL	0x2800
#define E1000_RDBAH	0x2804
#define E1000_IOADDR	0x00
#define E1000_IODATA	0x04

static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device");
}

static bool is_edu(const struct pci_func *f)
{
	return func_is_kind(f, "edu");
}

static bool is_testdev(const struct pci_func *f)
{
	return func_is_kind(f, "pci-testdev");
}

static bool is_e1000e(const struct pci_func *f)
{
	return func_is_kind(f, "e1000e");
}

static bool expect_read(struct vfio_dev *dev, uint32_t index, uint64_t off,
			unsigned int width, uint64_t *val)
{
	char what[96];

	snprintf(what, sizeof(what), "%u-byte read of %s at 0x%llx", width,
		 vfio_region_name(index), (unsigned long long)off);
	return EXPECT_OK(region_read_le(dev, index, off, width, val), what);
}

static bool expect_write(struct vfio_dev *dev, uint32_t index, uint64_t off,
			 unsigned int width, uint64_t val)
{
	char what[96];

	snprintf(what, sizeof(what), "%u-byte write of 0x%llx to %s at 0x%llx",
		 width, (unsigned long long)val, vfio_region_name(index),
		 (unsigned long long)off);
	return EXPECT_OK(region_write_le(dev, index, off, width, val), what);
}

/* ---- edu ------------------------------------------------------------------ */

static void edu_id_read(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint64_t val;

	if (!open_dev(&dev, f))
		return;
	if (expect_read(&dev, BAR0, EDU_ID, 4, &val))
		EXPECT_EQ_HEX(val, EDU_ID_VALUE, "edu id register");
	vfio_dev_close(&dev);
}

static void edu_liveness_write(const struct pci_func *f)
{
	static const uint32_t values[] = { 0x12345678, 0x0, 0xa5a5f00f };
	struct vfio_dev dev;
	uint64_t val;
	size_t i;

	if (!open_dev(&dev, f))
		return;
	for (i = 0; i < ARRAY_SIZE(values); i++) {
		if (!expect_write(&dev, BAR0, EDU_LIVENESS, 4, values[i]) ||
		    !expect_read(&dev, BAR0, EDU_LIVENESS, 4, &val))
			break;
		tap_check((uint32_t)val == (uint32_t)~values[i],
			  "liveness after writing 0x%08x: expected 0x%08x, got 0x%08llx",
			  values[i], ~values[i], (unsigned long long)val);
	}
	vfio_dev_close(&dev);
}

static void edu_8byte_round_trip(const struct pci_func *f)
{
	const uint64_t pattern = 0x0123456789abcdefULL;
	struct vfio_dev dev;
	uint64_t val;

	if (!open_dev(&dev, f))
		return;
	if (!expect_write(&dev, BAR0, EDU_DMA_SRC, 8, pattern))
		goto out;
	if (expect_read(&dev, BAR0, EDU_DMA_SRC, 8, &val))
		EXPECT_EQ_HEX(val, pattern, "8-byte read of DMA src after the 8-byte write");
	/* Both halves landed: the 4-byte read of the low half sees them. */
	if (expect_read(&dev, BAR0, EDU_DMA_SRC, 4, &val))
		EXPECT_EQ_HEX(val, pattern & 0xffffffff, "4-byte read of DMA src");
	/* And an 8-byte read below 0x80 stays 8 bytes wide: all ones. */
	if (expect_read(&dev, BAR0, EDU_ID, 8, &val))
		EXPECT_EQ_HEX(val, ~0ULL,
			      "8-byte read at 0x00 (edu answers 8-byte reads below 0x80 with all ones)");
	expect_write(&dev, BAR0, EDU_DMA_SRC, 8, 0);
out:
	vfio_dev_close(&dev);
}

static void edu_narrow_not_widened(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint64_t val;

	if (!open_dev(&dev, f))
		return;
	/* 1 and 2 bytes are invalid widths for edu: it reads 0 for them. */
	if (expect_read(&dev, BAR0, EDU_ID, 1, &val))
		EXPECT_EQ_HEX(val, 0, "1-byte read of the id register (edu: 0 unless widened)");
	if (expect_read(&dev, BAR0, EDU_ID, 2, &val))
		EXPECT_EQ_HEX(val, 0, "2-byte read of the id register (edu: 0 unless widened)");
	/* And drops such writes: liveness keeps the 4-byte write before. */
	if (!expect_write(&dev, BAR0, EDU_LIVENESS, 4, 0x11111111) ||
	    !expect_write(&dev, BAR0, EDU_LIVENESS, 1, 0x22) ||
	    !expect_write(&dev, BAR0, EDU_LIVENESS, 2, 0x3333))
		goto out;
	if (expect_read(&dev, BAR0, EDU_LIVENESS, 4, &val))
		EXPECT_EQ_HEX(val, (uint32_t)~0x11111111u,
			      "liveness after 1- and 2-byte writes (edu drops them unless widened)");
out:
	vfio_dev_close(&dev);
}

/*
 * The pieces a long access from @off is made of on the reference: at
 * each step the largest of 8, 4, 2, 1 that the position is aligned to and
 * that fits in what is left.
 */
static unsigned int piece_width(uint64_t pos, size_t left)
{
	unsigned int w;

	for (w = 8; w > 1; w /= 2)
		if (!(pos % w) && left >= w)
			break;
	return w;
}

static void edu_long_read_unaligned(const struct pci_func *f)
{
	const uint32_t live = 0x5aa5c33c;
	uint8_t whole[LONG_LEN], pieces[LONG_LEN];
	const uint64_t start = 1;
	struct vfio_dev dev;
	uint64_t pos, val;
	unsigned int w;
	ssize_t n;

	if (!open_dev(&dev, f))
		return;
	if (!expect_write(&dev, BAR0, EDU_LIVENESS, 4, live))
		goto out;
	n = region_pread_raw(&dev, BAR0, start, whole, sizeof(whole));
	if (!EXPECT_EQ(n, sizeof(whole), "64-byte read at BAR0 offset 1"))
		goto out;
	/* Bytes 3..6 of the buffer are the liveness register at 0x04. */
	memcpy(&val, whole + EDU_LIVENESS - start, 4);
	EXPECT_EQ_HEX(le32toh((uint32_t)val), (uint32_t)~live,
		      "liveness register inside the long read");
	for (pos = start; pos < start + sizeof(pieces); pos += w) {
		w = piece_width(pos, start + sizeof(pieces) - pos);
		if (!expect_read(&dev, BAR0, pos, w, &val))
			goto out;
		val = htole64(val);
		memcpy(pieces + (pos - start), &val, w);
	}
	for (pos = 0; pos < sizeof(whole); pos++)
		if (!tap_check(whole[pos] == pieces[pos],
			       "byte at 0x%llx: long read gave 0x%02x, naturally aligned pieces gave 0x%02x",
			       (unsigned long long)(start + pos), whole[pos],
			       pieces[pos]))
			break;
out:
	vfio_dev_close(&dev);
}

static void edu_long_write_unaligned(const struct pci_func *f)
{
	const uint32_t live = 0x13572468;
	uint8_t buf[LONG_LEN] = { 0 }, dma[0x17];
	uint64_t src, dst, want_src, want_dst;
	struct vfio_dev dev;
	uint64_t val;
	size_t i;

	if (!open_dev(&dev, f))
		return;
	/*
	 * 64 zero bytes from offset 1 but the liveness register: the 8-byte
	 * pieces from 0x08 fall below 0x80, where edu ignores them.
	 */
	val = htole32(live);
	memcpy(buf + EDU_LIVENESS - 1, &val, 4);
	if (!EXPECT_EQ(region_pwrite_raw(&dev, BAR0, 1, buf, sizeof(buf)),
		       sizeof(buf), "64-byte write at BAR0 offset 1"))
		goto out;
	if (expect_read(&dev, BAR0, EDU_LIVENESS, 4, &val))
		EXPECT_EQ_HEX(val, (uint32_t)~live,
			      "liveness after the long write");
	/* 0x79..0x8f: 1, 2, 4 bytes to nothing, then DMA src and dst. */
	for (i = 0; i < sizeof(dma); i++)
		dma[i] = 0xa0 + i;
	if (!EXPECT_EQ(region_pwrite_raw(&dev, BAR0, 0x79, dma, sizeof(dma)),
		       sizeof(dma), "23-byte write at BAR0 offset 0x79"))
		goto out;
	memcpy(&want_src, dma + (EDU_DMA_SRC - 0x79), 8);
	memcpy(&want_dst, dma + (EDU_DMA_DST - 0x79), 8);
	if (expect_read(&dev, BAR0, EDU_DMA_SRC, 8, &src))
		EXPECT_EQ_HEX(src, le64toh(want_src), "DMA src after the long write");
	if (expect_read(&dev, BAR0, EDU_DMA_DST, 8, &dst))
		EXPECT_EQ_HEX(dst, le64toh(want_dst), "DMA dst after the long write");
	expect_write(&dev, BAR0, EDU_DMA_SRC, 8, 0);
	expect_write(&dev, BAR0, EDU_DMA_DST, 8, 0);
out:
	vfio_dev_close(&dev);
}

static void absent_bar_einval(const struct pci_func *f)
{
	uint32_t bar, absent = 0;
	struct vfio_dev dev;
	uint8_t buf[4] = { 0 };
	char what[64];

	if (!open_dev(&dev, f))
		return;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX; bar++) {
		if (dev.regions[bar].size)
			continue;
		absent++;
		snprintf(what, sizeof(what), "read of absent %s", vfio_region_name(bar));
		EXPECT_ERRNO(region_pread_raw(&dev, bar, 0, buf, 4), EINVAL, what);
		snprintf(what, sizeof(what), "write of absent %s", vfio_region_name(bar));
		EXPECT_ERRNO(region_pwrite_raw(&dev, bar, 0, buf, 4), EINVAL, what);
	}
	vfio_dev_close(&dev);
	if (!absent && !tap_case_failed())
		tap_case_skip("the function has all six BARs");
}

/* ---- Every BAR of every function ----------------------------------------- */

static void every_bar_reads_at_0(const struct pci_func *f)
{
	static const unsigned int widths[] = { 1, 2, 4, 8 };
	struct vfio_dev dev;
	uint32_t bar;
	uint64_t val;
	size_t w;
	int bars = 0;

	if (!open_dev(&dev, f))
		return;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX; bar++) {
		if (!dev.regions[bar].size)
			continue;
		bars++;
		for (w = 0; w < ARRAY_SIZE(widths); w++)
			if (widths[w] <= dev.regions[bar].size)
				expect_read(&dev, bar, 0, widths[w], &val);
	}
	EXPECT_GE(bars, 1, "BARs the function has");
	vfio_dev_close(&dev);
}

static void every_bar_end_is_checked(const struct pci_func *f)
{
	uint8_t buf[8] = { 0 };
	struct vfio_dev dev;
	char what[96];
	uint32_t bar;

	if (!open_dev(&dev, f))
		return;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX; bar++) {
		uint64_t size = dev.regions[bar].size;
		const char *name = vfio_region_name(bar);

		if (!size)
			continue;
		snprintf(what, sizeof(what), "4-byte read of %s at its size 0x%llx",
			 name, (unsigned long long)size);
		EXPECT_ERRNO(region_pread_raw(&dev, bar, size, buf, 4), EINVAL, what);
		snprintf(what, sizeof(what), "4-byte write of %s at its size", name);
		EXPECT_ERRNO(region_pwrite_raw(&dev, bar, size, buf, 4), EINVAL, what);
		snprintf(what, sizeof(what), "read of %s a page past its end", name);
		EXPECT_ERRNO(region_pread_raw(&dev, bar, size + 4096, buf, 4),
			     EINVAL, what);
		/* Starting 2 bytes before the end: cut short to those 2. */
		snprintf(what, sizeof(what),
			 "4-byte read of %s 2 bytes before its end (bytes returned)",
			 name);
		EXPECT_EQ(region_pread_raw(&dev, bar, size - 2, buf, 4), 2, what);
	}
	vfio_dev_close(&dev);
}

/* ---- pci-testdev ---------------------------------------------------------- */

static void testdev_select(const struct pci_func *f, uint32_t bar,
			   const char *prefix)
{
	char name[32], want[40];
	struct vfio_dev dev;
	unsigned int width;
	uint32_t test;
	ssize_t n;

	if (!open_dev(&dev, f))
		return;
	if (!EXPECT_TRUE(dev.regions[bar].size >= TESTDEV_NAME + sizeof(name),
			 "BAR big enough for the test header"))
		goto out;
	/* Each width selects another test, so each write has to land. */
	for (width = 1, test = 1; width <= 4; width *= 2, test = (test + 1) % TESTDEV_TESTS) {
		if (!expect_write(&dev, bar, 0, width, test))
			break;
		n = region_pread_raw(&dev, bar, TESTDEV_NAME, name, sizeof(name));
		if (!EXPECT_EQ(n, sizeof(name), "read of the test name"))
			break;
		name[sizeof(name) - 1] = '\0';
		snprintf(want, sizeof(want), "%s%s", prefix, testdev_tests[test]);
		EXPECT_STREQ(name, want, "test name after selecting it");
	}
	expect_write(&dev, bar, 0, 4, 0);
out:
	vfio_dev_close(&dev);
}

static void testdev_mem_select(const struct pci_func *f)
{
	testdev_select(f, VFIO_PCI_BAR0_REGION_INDEX, "mmio-");
}

static void testdev_io_select(const struct pci_func *f)
{
	testdev_select(f, VFIO_PCI_BAR1_REGION_INDEX, "portio-");
}

/* ---- e1000e --------------------------------------------------------------- */

static int e1000e_io_bar(const struct pci_func *f)
{
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	int n = pci_resources(f->bdf, res), bar;

	if (n < 0)
		return n;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX && bar < n; bar++)
		if (pci_bar_is_io(&res[bar]))
			return bar;
	return -ENOENT;
}

static void e1000e_mem_widths(const struct pci_func *f)
{
	const uint32_t lo = 0x12345670, hi = 0x9abcdef0;
	struct vfio_dev dev;
	uint64_t val;

	if (!open_dev(&dev, f))
		return;
	if (!expect_write(&dev, BAR0, E1000_RDBAL, 4, lo) ||
	    !expect_write(&dev, BAR0, E1000_RDBAH, 4, hi))
		goto restore;
	if (expect_read(&dev, BAR0, E1000_RDBAL, 8, &val))
		EXPECT_EQ_HEX(val, (uint64_t)hi << 32 | lo, "8-byte read of RDBAL/RDBAH");
	/*
	 * QEMU's e1000e answers a narrow read with the low bytes of the
	 * register that holds it, whatever the byte offset: a driver that
	 * widened the access and picked the byte lane would see lo >> 16.
	 */
	if (expect_read(&dev, BAR0, E1000_RDBAL + 2, 2, &val))
		EXPECT_EQ_HEX(val, lo & 0xffff,
			      "2-byte read at RDBAL + 2 (e1000e: low 16 bits of RDBAL)");
	if (expect_read(&dev, BAR0, E1000_RDBAL + 1, 1, &val))
		EXPECT_EQ_HEX(val, lo & 0xff,
			      "1-byte read at RDBAL + 1 (e1000e: low 8 bits of RDBAL)");
	/* An 8-byte write lands in both registers. */
	if (expect_write(&dev, BAR0, E1000_RDBAL, 8, 0x0000000100000020ULL) &&
	    expect_read(&dev, BAR0, E1000_RDBAH, 4, &val))
		EXPECT_EQ_HEX(val, 1, "RDBAH after an 8-byte write of RDBAL/RDBAH");
	if (expect_read(&dev, BAR0, E1000_RDBAL, 4, &val))
		EXPECT_EQ_HEX(val, 0x20, "RDBAL after an 8-byte write of RDBAL/RDBAH");
restore:
	expect_write(&dev, BAR0, E1000_RDBAL, 8, 0);
	vfio_dev_close(&dev);
}

static void e1000e_io_window(const struct pci_func *f)
{
	const uint32_t pattern = 0x0badcaf0;
	uint64_t addr, data, status;
	struct vfio_dev dev;
	int bar = e1000e_io_bar(f);

	if (!EXPECT_OK(bar, "finding the I/O port BAR in sysfs resource"))
		return;
	if (!open_dev(&dev, f))
		return;
	tap_diag("%s: I/O port BAR is %s, 0x%llx bytes", f->bdf,
		 vfio_region_name(bar), (unsigned long long)dev.regions[bar].size);
	/* Read: IOADDR = STATUS, IODATA shows what BAR0 shows there. */
	if (!expect_write(&dev, bar, E1000_IOADDR, 4, E1000_STATUS))
		goto out;
	if (expect_read(&dev, bar, E1000_IOADDR, 4, &addr))
		EXPECT_EQ_HEX(addr, E1000_STATUS, "IOADDR read back");
	if (expect_read(&dev, bar, E1000_IOADDR, 1, &addr))
		EXPECT_EQ_HEX(addr, E1000_STATUS, "1-byte read of IOADDR");
	if (expect_read(&dev, bar, E1000_IOADDR, 2, &addr))
		EXPECT_EQ_HEX(addr, E1000_STATUS, "2-byte read of IOADDR");
	if (expect_read(&dev, bar, E1000_IODATA, 4, &data) &&
	    expect_read(&dev, BAR0, E1000_STATUS, 4, &status))
		EXPECT_EQ_HEX(data, status, "IODATA with IOADDR = STATUS (BAR0 STATUS)");
	/* One 8-byte read is IOADDR then IODATA. */
	if (expect_read(&dev, bar, E1000_IOADDR, 8, &data))
		EXPECT_EQ_HEX(data, status << 32 | E1000_STATUS,
			      "8-byte read of the I/O window (IODATA:IOADDR)");
	/* Write: through IODATA into RDBAL, seen through BAR0. */
	if (expect_write(&dev, bar, E1000_IOADDR, 4, E1000_RDBAL) &&
	    expect_write(&dev, bar, E1000_IODATA, 4, pattern) &&
	    expect_read(&dev, BAR0, E1000_RDBAL, 4, &data))
		EXPECT_EQ_HEX(data, pattern, "BAR0 RDBAL after writing it through the I/O window");
	expect_write(&dev, bar, E1000_IODATA, 4, 0);
	expect_write(&dev, bar, E1000_IOADDR, 4, 0);
out:
	vfio_dev_close(&dev);
}

static const struct region_case cases[] = {
	{ "edu_bar0_read_id_register_gives_010000ed", is_edu, edu_id_read },
	{ "edu_bar0_write_reaches_device_liveness_reads_complement", is_edu,
	  edu_liveness_write },
	{ "edu_bar0_8byte_write_and_read_round_trip_dma_src", is_edu,
	  edu_8byte_round_trip },
	{ "edu_bar0_1_and_2_byte_accesses_are_not_widened", is_edu,
	  edu_narrow_not_widened },
	{ "edu_bar0_long_read_at_odd_offset_equals_aligned_pieces", is_edu,
	  edu_long_read_unaligned },
	{ "edu_bar0_long_write_at_odd_offset_reaches_registers", is_edu,
	  edu_long_write_unaligned },
	{ "absent_bar_read_write_give_einval", NULL, absent_bar_einval },
	{ "every_bar_reads_1_2_4_8_bytes_at_offset_0", NULL, every_bar_reads_at_0 },
	{ "bar_access_at_end_gives_einval_across_end_is_short", NULL,
	  every_bar_end_is_checked },
	{ "testdev_mem_bar0_1_2_4_byte_writes_select_test", is_testdev,
	  testdev_mem_select },
	{ "testdev_io_bar1_1_2_4_byte_writes_select_test", is_testdev,
	  testdev_io_select },
	{ "e1000e_mem_bar0_1_2_4_8_byte_accesses_hit_rdbal_rdbah", is_e1000e,
	  e1000e_mem_widths },
	{ "e1000e_io_bar_window_reads_and_writes_registers", is_e1000e,
	  e1000e_io_window },
};

int main(void)
{
	region_run_cases(cases, ARRAY_SIZE(cases),
			 "no function of the zoo present (or none matching VFIO_TEST_DEVICE)");
}
