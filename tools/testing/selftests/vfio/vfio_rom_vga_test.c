// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ROM region (index 6) and the VGA region (index 8).
 *
 * Reference behaviour these cases encode (Debian 6.12 vfio-pci, measured):
 * - ROM: sized like sysfs "rom", read-only (a write gives EINVAL), its
 *   bytes are the option ROM sysfs shows; a read at or past the end gives
 *   EINVAL, one across the end is cut short; a function without a ROM has
 *   a ROM region of size 0 whose read gives EINVAL.  With memory decode
 *   off a read fails: ENOMEM (the reference finds no ROM image to map),
 *   EIO for the boot VGA's shadow ROM (it maps, the access is refused).
 * - VGA, on VGA-class functions only: 0xc0000 bytes, READ|WRITE, of which
 *   only the legacy ranges answer: memory 0xa0000-0xbffff and the ports
 *   0x3b0-0x3bb and 0x3c0-0x3df, at their own addresses.  An access that
 *   starts outside them gives EINVAL, one that runs out of them is cut
 *   short at their end.  On every other function the region does not
 *   exist: its info and its read give EINVAL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "region_util.h"

#define ROM		VFIO_PCI_ROM_REGION_INDEX
#define VGA		VFIO_PCI_VGA_REGION_INDEX
#define VGA_SIZE	0xc0000
#define VGA_MEM		0xa0000
#define VGA_MEM_END	0xc0000
#define VGA_TEXT	0xb8000	/* colour text buffer inside VGA memory */
#define VGA_SEQ_INDEX	0x3c4
#define VGA_GC_INDEX	0x3ce
#define VGA_CRTC_INDEX	0x3d4

static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device");
}

static bool has_rom(const struct pci_func *f)
{
	return pci_rom_size(f->bdf) > 0;
}

static bool has_no_rom(const struct pci_func *f)
{
	return pci_rom_size(f->bdf) == 0;
}

static bool is_not_vga(const struct pci_func *f)
{
	return !func_is_vga(f);
}

/* ---- ROM ------------------------------------------------------------------ */

static void rom_equals_sysfs(const struct pci_func *f)
{
	long long size = pci_rom_size(f->bdf);
	uint8_t *sysfs = NULL, *region = NULL;
	struct vfio_dev dev;
	ssize_t n_sysfs, n_region;
	size_t i;

	if (!EXPECT_GE(size, 1, "size of sysfs rom"))
		return;
	sysfs = calloc(1, size);
	region = calloc(1, size);
	if (!EXPECT_TRUE(sysfs && region, "allocating two ROM buffers"))
		goto out_free;
	/* sysfs first: it enables and disables ROM decode around its read. */
	n_sysfs = pci_sysfs_rom_read(f->bdf, sysfs, size);
	if (!EXPECT_GE(n_sysfs, 1, "bytes read from sysfs rom"))
		goto out_free;
	if (!open_dev(&dev, f))
		goto out_free;
	if (!EXPECT_EQ_HEX(dev.regions[ROM].size, size, "ROM region size (sysfs rom size)"))
		goto out_close;
	n_region = region_pread_raw(&dev, ROM, 0, region, size);
	if (!EXPECT_EQ(n_region, size, "bytes read from the whole ROM region"))
		goto out_close;
	/* sysfs stops at the end of the images it found; compare that much. */
	tap_diag("%s: ROM 0x%llx bytes, sysfs rom gave 0x%zx, first bytes %02x %02x",
		 f->bdf, size, (size_t)n_sysfs, region[0], region[1]);
	EXPECT_EQ_HEX(region[0] | region[1] << 8, 0xaa55, "ROM signature 0xaa55");
	for (i = 0; i < (size_t)n_sysfs; i++)
		if (!tap_check(region[i] == sysfs[i],
			       "ROM byte 0x%zx: region 0x%02x, sysfs rom 0x%02x",
			       i, region[i], sysfs[i]))
			break;
out_close:
	vfio_dev_close(&dev);
out_free:
	free(sysfs);
	free(region);
}

static void rom_read_only(const struct pci_func *f)
{
	const uint8_t junk[4] = { 0x12, 0x34, 0x56, 0x78 };
	struct vfio_dev dev;
	uint64_t before, after;

	if (!open_dev(&dev, f))
		return;
	EXPECT_EQ_HEX(dev.regions[ROM].flags, VFIO_REGION_INFO_FLAG_READ,
		      "ROM region flags (READ only)");
	if (!EXPECT_OK(region_read_le(&dev, ROM, 0, 4, &before), "read of ROM at 0"))
		goto out;
	EXPECT_ERRNO(region_pwrite_raw(&dev, ROM, 0, junk, sizeof(junk)), EINVAL,
		     "write of the ROM region");
	EXPECT_ERRNO(region_pwrite_raw(&dev, ROM, 2, junk, 1), EINVAL,
		     "1-byte write of the ROM region");
	if (EXPECT_OK(region_read_le(&dev, ROM, 0, 4, &after), "read of ROM after the writes"))
		EXPECT_EQ_HEX(after, before, "ROM bytes 0-3 unchanged by the writes");
out:
	vfio_dev_close(&dev);
}

static void rom_end(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint8_t buf[8];
	uint64_t size;

	if (!open_dev(&dev, f))
		return;
	size = dev.regions[ROM].size;
	EXPECT_EQ(region_pread_raw(&dev, ROM, size - 4, buf, 4), 4,
		  "4-byte read of the ROM's last 4 bytes");
	EXPECT_EQ(region_pread_raw(&dev, ROM, size - 2, buf, 4), 2,
		  "4-byte read 2 bytes before the ROM's end (bytes returned)");
	EXPECT_ERRNO(region_pread_raw(&dev, ROM, size, buf, 4), EINVAL,
		     "read at the ROM's size");
	EXPECT_ERRNO(region_pread_raw(&dev, ROM, size + 4096, buf, 4), EINVAL,
		     "read a page past the ROM's end");
	vfio_dev_close(&dev);
}

static void rom_decode_off(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint64_t val;
	int ret;

	if (!open_dev(&dev, f))
		return;
	if (!EXPECT_OK(vfio_set_memory_decode(&dev, false), "memory decode off"))
		goto out;
	/*
	 * The reference maps the ROM first: the boot VGA's shadow copy in RAM
	 * maps, and then the access is refused for decode off (EIO); a real
	 * ROM BAR shows no image with decode off, so mapping it fails (ENOMEM).
	 */
	ret = region_read_le(&dev, ROM, 0, 4, &val);
	if (func_is_vga(f))
		EXPECT_ERRNO(ret, EIO,
			     "read of the boot VGA's (shadow) ROM with memory decode off");
	else
		EXPECT_ERRNO(ret, ENOMEM,
			     "read of the ROM with memory decode off (reference: no ROM image to map)");
	if (!EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on again"))
		goto out;
	if (EXPECT_OK(region_read_le(&dev, ROM, 0, 2, &val), "read of the ROM with decode on again"))
		EXPECT_EQ_HEX(val, 0xaa55, "ROM signature with decode on again");
out:
	vfio_dev_close(&dev);
}

static void rom_absent(const struct pci_func *f)
{
	struct vfio_region_info info;
	struct vfio_dev dev;
	uint8_t buf[4];

	if (!open_dev(&dev, f))
		return;
	if (EXPECT_OK(vfio_device_get_region_info(dev.fd, ROM, &info),
		      "GET_REGION_INFO of the ROM region")) {
		EXPECT_EQ(info.size, 0, "ROM region size of a function without a ROM");
		EXPECT_EQ_HEX(info.flags, 0, "ROM region flags of a function without a ROM");
	}
	EXPECT_ERRNO(region_pread_raw(&dev, ROM, 0, buf, sizeof(buf)), EINVAL,
		     "read of the ROM region of a function without a ROM");
	vfio_dev_close(&dev);
}

/* ---- VGA ------------------------------------------------------------------ */

static void vga_info(const struct pci_func *f)
{
	struct vfio_region_info info;
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	if (EXPECT_OK(vfio_device_get_region_info(dev.fd, VGA, &info),
		      "GET_REGION_INFO of the VGA region")) {
		EXPECT_EQ_HEX(info.size, VGA_SIZE, "VGA region size");
		EXPECT_EQ_HEX(info.flags,
			      VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
			      "VGA region flags (READ|WRITE, no MMAP)");
	}
	vfio_dev_close(&dev);
}

static void vga_memory(const struct pci_func *f)
{
	const uint64_t pattern = 0x1f421f41 | (uint64_t)0x2e5a2e59 << 32;
	uint64_t saved, val;
	struct vfio_dev dev;
	uint8_t buf[64];

	if (!open_dev(&dev, f))
		return;
	EXPECT_EQ(region_pread_raw(&dev, VGA, VGA_MEM, buf, sizeof(buf)), sizeof(buf),
		  "64-byte read at 0xa0000");
	EXPECT_EQ(region_pread_raw(&dev, VGA, VGA_MEM_END - 4, buf, 4), 4,
		  "4-byte read at 0xbfffc");
	/* The text buffer is plain memory in text mode: a write sticks. */
	if (!EXPECT_OK(region_read_le(&dev, VGA, VGA_TEXT, 8, &saved),
		       "8-byte read of the text buffer at 0xb8000"))
		goto out;
	if (EXPECT_OK(region_write_le(&dev, VGA, VGA_TEXT, 8, pattern),
		      "8-byte write to the text buffer") &&
	    EXPECT_OK(region_read_le(&dev, VGA, VGA_TEXT, 8, &val),
		      "read of the text buffer after the write"))
		EXPECT_EQ_HEX(val, pattern, "text buffer after the write");
	if (EXPECT_OK(region_write_le(&dev, VGA, VGA_TEXT + 2, 2, 0x0758),
		      "2-byte write to the text buffer at 0xb8002") &&
	    EXPECT_OK(region_read_le(&dev, VGA, VGA_TEXT, 4, &val),
		      "read of the text buffer after the 2-byte write"))
		EXPECT_EQ_HEX(val, 0x07581f41, "text buffer after the 2-byte write");
	EXPECT_OK(region_write_le(&dev, VGA, VGA_TEXT, 8, saved), "restoring the text buffer");
out:
	vfio_dev_close(&dev);
}

/* Writes an index register and reads it back, then restores it. */
static void vga_index_round_trip(struct vfio_dev *dev, uint32_t port,
				 uint8_t index)
{
	uint64_t saved, val;
	char what[96];

	snprintf(what, sizeof(what), "1-byte read of port 0x%x", port);
	if (!EXPECT_OK(region_read_le(dev, VGA, port, 1, &saved), what))
		return;
	snprintf(what, sizeof(what), "1-byte write of 0x%x to port 0x%x", index, port);
	if (!EXPECT_OK(region_write_le(dev, VGA, port, 1, index), what))
		return;
	snprintf(what, sizeof(what), "port 0x%x read back", port);
	if (EXPECT_OK(region_read_le(dev, VGA, port, 1, &val), what))
		EXPECT_EQ_HEX(val, index, what);
	region_write_le(dev, VGA, port, 1, saved);
}

static void vga_ports(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint64_t val;
	uint32_t port;
	char what[64];

	if (!open_dev(&dev, f))
		return;
	for (port = 0x3b0; port <= 0x3df; port++) {
		if (port == 0x3bc)
			port = 0x3c0;
		snprintf(what, sizeof(what), "1-byte read of port 0x%x", port);
		EXPECT_OK(region_read_le(&dev, VGA, port, 1, &val), what);
	}
	vga_index_round_trip(&dev, VGA_SEQ_INDEX, 0x02);
	vga_index_round_trip(&dev, VGA_GC_INDEX, 0x06);
	vga_index_round_trip(&dev, VGA_CRTC_INDEX, 0x0e);
	vfio_dev_close(&dev);
}

static void vga_outside_ranges(const struct pci_func *f)
{
	static const struct {
		uint64_t off;
		size_t len;
		ssize_t want;	/* bytes, or -errno */
	} probes[] = {
		{ 0x0, 4, -EINVAL },
		{ 0x3af, 1, -EINVAL },
		{ 0x3bc, 1, -EINVAL },
		{ 0x3bf, 1, -EINVAL },
		{ 0x3e0, 1, -EINVAL },
		{ 0x400, 4, -EINVAL },
		{ VGA_MEM - 4, 4, -EINVAL },
		{ VGA_MEM_END, 4, -EINVAL },
		{ VGA_MEM_END + 0x1000, 4, -EINVAL },
		/* Starting inside a range and running out of it. */
		{ 0x3b0, 16, 12 },
		{ 0x3bb, 2, 1 },
		{ 0x3dc, 8, 4 },
		{ VGA_MEM_END - 2, 4, 2 },
	};
	struct vfio_dev dev;
	uint8_t buf[16];
	char what[96];
	ssize_t got;
	size_t i;

	if (!open_dev(&dev, f))
		return;
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		got = region_pread_raw(&dev, VGA, probes[i].off, buf, probes[i].len);
		snprintf(what, sizeof(what), "%zu-byte read of the VGA region at 0x%llx",
			 probes[i].len, (unsigned long long)probes[i].off);
		if (probes[i].want < 0)
			EXPECT_ERRNO(got, -probes[i].want, what);
		else
			EXPECT_EQ(got, probes[i].want, what);
	}
	/* Writes are checked by the same ranges. */
	memset(buf, 0, sizeof(buf));
	EXPECT_ERRNO(region_pwrite_raw(&dev, VGA, 0x3e0, buf, 1), EINVAL,
		     "1-byte write of the VGA region at 0x3e0");
	EXPECT_ERRNO(region_pwrite_raw(&dev, VGA, VGA_MEM_END, buf, 4), EINVAL,
		     "4-byte write of the VGA region at 0xc0000");
	vfio_dev_close(&dev);
}

static void vga_absent(const struct pci_func *f)
{
	struct vfio_region_info info;
	struct vfio_dev dev;
	uint8_t buf[4];

	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(vfio_device_get_region_info(dev.fd, VGA, &info), EINVAL,
		     "GET_REGION_INFO of VGA on a function that is not VGA");
	/*
	 * Without info there is no offset to read at but the layout both
	 * drivers use for every other region: index << 40 (checked here
	 * against BAR1's offset first, so the guess is not silent).
	 */
	if (!EXPECT_EQ_HEX(dev.regions[VFIO_PCI_BAR1_REGION_INDEX].offset, 1ULL << 40,
			   "BAR1 region offset (index << 40 layout)"))
		goto out;
	EXPECT_ERRNO(pread(dev.fd, buf, 1, (uint64_t)VGA << 40) < 0 ? -errno : 0,
		     EINVAL, "read at the VGA region's offset on a function that is not VGA");
out:
	vfio_dev_close(&dev);
}

static const struct region_case cases[] = {
	{ "rom_region_bytes_equal_sysfs_rom", has_rom, rom_equals_sysfs },
	{ "rom_region_read_only_write_gives_einval", has_rom, rom_read_only },
	{ "rom_region_read_at_end_einval_across_end_short", has_rom, rom_end },
	{ "rom_region_read_with_decode_off_fails_back_with_decode_on", has_rom,
	  rom_decode_off },
	{ "rom_region_without_rom_size_0_read_gives_einval", has_no_rom, rom_absent },
	{ "vga_region_info_size_c0000_read_write", func_is_vga, vga_info },
	{ "vga_region_legacy_memory_reads_and_text_buffer_round_trips",
	  func_is_vga, vga_memory },
	{ "vga_region_ports_3b0_3bb_3c0_3df_read_and_index_round_trips",
	  func_is_vga, vga_ports },
	{ "vga_region_outside_legacy_ranges_einval_across_end_short",
	  func_is_vga, vga_outside_ranges },
	{ "vga_region_absent_on_non_vga_info_and_read_give_einval", is_not_vga,
	  vga_absent },
};

int main(void)
{
	region_run_cases(cases, ARRAY_SIZE(cases),
			 "no function of the zoo present (or none matching VFIO_TEST_DEVICE)");
}
