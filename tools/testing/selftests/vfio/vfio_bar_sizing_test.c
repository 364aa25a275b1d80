// SPDX-License-Identifier: GPL-2.0-only
/*
 * BAR sizing through the config region, the way a guest's firmware or OS
 * does it: write all ones to a BAR, read back the size mask, write the old
 * value back.  The expected masks come from what the PCI core publishes in
 * sysfs "resource", the type bits from the device's own BARs.
 *
 * Reference behaviour these cases encode (Debian 6.12 vfio-pci, QEMU zoo,
 * measured by running it):
 * - BARs are virtual: all ones reads back ~(size - 1) with the type bits
 *   (I/O; memory 32/64-bit and prefetchable), the upper dword of a 64-bit BAR
 *   reads the upper half of the mask, an unimplemented BAR reads 0; the
 *   device's BARs never change; the original value reads back once written;
 * - byte and word writes size a BAR like dword writes;
 * - the ROM BAR reads ~(size - 1) plus the enable bit as written, 0 when the
 *   function has no ROM;
 * - the BAR regions keep working while the config BARs hold sizing masks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "vfio_util.h"

#define EDU_ID_VALUE		0x010000ed
#define NUM_BARS		6
/* Flags bit of a sysfs resource line: the ROM is a shadow copy in RAM. */
#define PCI_RES_ROM_SHADOW	0x00000002

struct bar_layout {
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	/* Expected read-back after writing all ones, per BAR dword. */
	uint32_t mask[NUM_BARS];
	/* Type bits (low bits) of each BAR dword; 0 where none or upper half. */
	uint32_t type[NUM_BARS];
	bool implemented[NUM_BARS];
	bool upper_half[NUM_BARS];
};

static uint32_t bar_off(int bar)
{
	return PCI_BASE_ADDRESS_0 + 4 * bar;
}

/* From sysfs resource: what each BAR dword must read after all ones. */
static bool read_layout(const struct pci_func *f, struct bar_layout *l)
{
	int n, bar;

	memset(l, 0, sizeof(*l));
	n = pci_resources(f->bdf, l->res);
	if (!EXPECT_OK(n, "reading sysfs resource") ||
	    !EXPECT_GE(n, PCI_ROM_LINE + 1, "lines in sysfs resource"))
		return false;
	for (bar = 0; bar < NUM_BARS; bar++) {
		const struct pci_resource *r = &l->res[bar];
		uint64_t size = pci_resource_size(r), mask = ~(size - 1);

		if (l->upper_half[bar] || !size)
			continue;
		l->implemented[bar] = true;
		if (r->flags & PCI_RES_IO) {
			l->type[bar] = PCI_BASE_ADDRESS_SPACE_IO;
			l->mask[bar] = ((uint32_t)mask & PCI_BASE_ADDRESS_IO_MASK) |
				       l->type[bar];
			continue;
		}
		if (r->flags & PCI_RES_PREFETCH)
			l->type[bar] |= PCI_BASE_ADDRESS_MEM_PREFETCH;
		if (r->flags & PCI_RES_MEM_64) {
			l->type[bar] |= PCI_BASE_ADDRESS_MEM_TYPE_64;
			if (!tap_check(bar + 1 < NUM_BARS,
				       "BAR%d is 64-bit: expected a BAR after it", bar))
				return false;
			l->upper_half[bar + 1] = true;
			l->mask[bar + 1] = mask >> 32;
		}
		l->mask[bar] = ((uint32_t)mask & PCI_BASE_ADDRESS_MEM_MASK) |
			       l->type[bar];
	}
	return true;
}

static bool open_dev(struct vfio_dev **dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_shared_dev_open(f->bdf, dev), "opening the device");
}

static bool read_bars(struct vfio_dev *dev, uint32_t vals[NUM_BARS])
{
	char what[64];
	int bar;

	for (bar = 0; bar < NUM_BARS; bar++) {
		snprintf(what, sizeof(what), "reading BAR%d through VFIO", bar);
		if (!EXPECT_OK(vfio_config_read32(dev, bar_off(bar), &vals[bar]), what))
			return false;
	}
	return true;
}

static bool read_hw_bars(const char *bdf, uint32_t vals[NUM_BARS])
{
	return EXPECT_OK(pci_config_sysfs_read(bdf, PCI_BASE_ADDRESS_0, vals,
					       4 * NUM_BARS),
			 "reading the BARs in sysfs config");
}

static void write_bars(struct vfio_dev *dev, const uint32_t vals[NUM_BARS])
{
	char what[64];
	int bar;

	for (bar = 0; bar < NUM_BARS; bar++) {
		snprintf(what, sizeof(what), "writing 0x%08x to BAR%d", vals[bar], bar);
		EXPECT_OK(vfio_config_write32(dev, bar_off(bar), vals[bar]), what);
	}
}

static void write_all_ones(struct vfio_dev *dev)
{
	const uint32_t ones[NUM_BARS] = {
		~0u, ~0u, ~0u, ~0u, ~0u, ~0u,
	};

	write_bars(dev, ones);
}

static void expect_bar(struct vfio_dev *dev, int bar, uint32_t want,
		       const char *when)
{
	char what[96];
	uint32_t got;

	snprintf(what, sizeof(what), "BAR%d %s", bar, when);
	if (EXPECT_OK(vfio_config_read32(dev, bar_off(bar), &got), what))
		EXPECT_EQ_HEX(got, want, what);
}

static void sizing_masks(const struct pci_func *f)
{
	uint32_t orig[NUM_BARS];
	struct bar_layout l;
	struct vfio_dev *dev;
	int bar;

	if (!read_layout(f, &l) || !open_dev(&dev, f) || !read_bars(dev, orig))
		return;
	write_all_ones(dev);
	for (bar = 0; bar < NUM_BARS; bar++) {
		uint64_t size = pci_resource_size(&l.res[bar]);
		char when[96];

		if (l.upper_half[bar])
			snprintf(when, sizeof(when),
				 "after all ones (upper half of 64-bit BAR%d)", bar - 1);
		else if (!l.implemented[bar])
			snprintf(when, sizeof(when), "after all ones (unimplemented)");
		else
			snprintf(when, sizeof(when),
				 "after all ones (%s, 0x%llx bytes%s%s)",
				 l.type[bar] & PCI_BASE_ADDRESS_SPACE_IO ? "I/O" : "memory",
				 (unsigned long long)size,
				 l.type[bar] & PCI_BASE_ADDRESS_MEM_TYPE_64 ? ", 64-bit" : "",
				 l.type[bar] & PCI_BASE_ADDRESS_MEM_PREFETCH ? ", prefetchable" : "");
		expect_bar(dev, bar, l.mask[bar], when);
	}
	write_bars(dev, orig);
}

static void restores_original(const struct pci_func *f)
{
	uint32_t orig[NUM_BARS];
	struct vfio_dev *dev;
	int bar;

	if (!open_dev(&dev, f) || !read_bars(dev, orig))
		return;
	write_all_ones(dev);
	write_bars(dev, orig);
	for (bar = 0; bar < NUM_BARS; bar++)
		expect_bar(dev, bar, orig[bar], "after sizing and writing the old value back");
}

static void type_bits_match_device(const struct pci_func *f)
{
	uint32_t hw[NUM_BARS], orig[NUM_BARS], got;
	const uint32_t zero[NUM_BARS] = { 0 };
	struct bar_layout l;
	struct vfio_dev *dev;
	char what[96];
	int bar;

	if (!read_layout(f, &l) || !read_hw_bars(f->bdf, hw) ||
	    !open_dev(&dev, f) || !read_bars(dev, orig))
		return;
	for (bar = 0; bar < NUM_BARS; bar++) {
		uint32_t bits = l.type[bar] & PCI_BASE_ADDRESS_SPACE_IO ? 0x3 : 0xf;

		if (!l.implemented[bar])
			continue;
		snprintf(what, sizeof(what), "type bits of BAR%d in sysfs config", bar);
		EXPECT_EQ_HEX(hw[bar] & bits, l.type[bar], what);
	}
	write_bars(dev, zero);
	for (bar = 0; bar < NUM_BARS; bar++) {
		snprintf(what, sizeof(what), "BAR%d after writing 0 (type bits only)", bar);
		if (EXPECT_OK(vfio_config_read32(dev, bar_off(bar), &got), what))
			EXPECT_EQ_HEX(got, l.type[bar], what);
	}
	write_bars(dev, orig);
}

static void never_reach_device(const struct pci_func *f)
{
	uint32_t hw[NUM_BARS], orig[NUM_BARS], after[NUM_BARS];
	struct vfio_dev *dev;
	char what[96];
	int bar;

	if (!read_hw_bars(f->bdf, hw) || !open_dev(&dev, f) || !read_bars(dev, orig))
		return;
	write_all_ones(dev);
	if (read_hw_bars(f->bdf, after))
		for (bar = 0; bar < NUM_BARS; bar++) {
			snprintf(what, sizeof(what),
				 "BAR%d in sysfs config while sized through VFIO", bar);
			EXPECT_EQ_HEX(after[bar], hw[bar], what);
		}
	write_bars(dev, orig);
	if (read_hw_bars(f->bdf, after))
		for (bar = 0; bar < NUM_BARS; bar++) {
			snprintf(what, sizeof(what),
				 "BAR%d in sysfs config after the old value went back", bar);
			EXPECT_EQ_HEX(after[bar], hw[bar], what);
		}
}

static void sizing_by_bytes_and_words(const struct pci_func *f)
{
	uint32_t orig[NUM_BARS];
	struct bar_layout l;
	struct vfio_dev *dev;
	char what[96];
	int bar, i;

	if (!read_layout(f, &l) || !open_dev(&dev, f) || !read_bars(dev, orig))
		return;
	for (bar = 0; bar < NUM_BARS; bar++)
		for (i = 0; i < 4; i++) {
			snprintf(what, sizeof(what), "1-byte write of 0xff at 0x%02x",
				 bar_off(bar) + i);
			EXPECT_OK(vfio_config_write8(dev, bar_off(bar) + i, 0xff), what);
		}
	for (bar = 0; bar < NUM_BARS; bar++)
		expect_bar(dev, bar, l.mask[bar], "after 0xff to each of its bytes");
	write_bars(dev, orig);
	for (bar = 0; bar < NUM_BARS; bar++)
		for (i = 0; i < 4; i += 2) {
			snprintf(what, sizeof(what), "2-byte write of 0xffff at 0x%02x",
				 bar_off(bar) + i);
			EXPECT_OK(vfio_config_write16(dev, bar_off(bar) + i, 0xffff), what);
		}
	for (bar = 0; bar < NUM_BARS; bar++)
		expect_bar(dev, bar, l.mask[bar], "after 0xffff to each of its words");
	write_bars(dev, orig);
}

static void regions_work_while_sized(const struct pci_func *f)
{
	uint32_t orig[NUM_BARS], val;
	struct vfio_dev *dev;
	int bar;

	bar = pci_first_bar_with(f->bdf, PCI_RES_MEM);
	if (bar == -ENOENT) {
		tap_case_skip("no memory BAR");
		return;
	}
	if (!EXPECT_OK(bar, "reading sysfs resource") || !open_dev(&dev, f) ||
	    !read_bars(dev, orig))
		return;
	write_all_ones(dev);
	if (EXPECT_OK(vfio_config_update16(dev, PCI_COMMAND, 0, PCI_COMMAND_MEMORY),
		      "enabling memory decode") &&
	    EXPECT_OK(vfio_bar_read32(dev, bar, 0, &val),
		      "BAR read through the region while the BARs hold sizing masks") &&
	    !strcmp(f->kind, "edu"))
		EXPECT_EQ_HEX(val, EDU_ID_VALUE, "edu ID register");
	write_bars(dev, orig);
}

/* ---- Expansion ROM ------------------------------------------------------ */

static void rom_sizing(const struct pci_func *f)
{
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	uint32_t orig, hw, after, mask;
	const struct pci_resource *rom = &res[PCI_ROM_LINE];
	struct vfio_dev *dev;
	uint64_t size;
	int n;

	n = pci_resources(f->bdf, res);
	if (!EXPECT_OK(n, "reading sysfs resource") ||
	    !EXPECT_GE(n, PCI_ROM_LINE + 1, "lines in sysfs resource"))
		return;
	size = pci_resource_size(rom);
	if (!size) {
		tap_case_skip("no expansion ROM");
		return;
	}
	if (!EXPECT_OK(pci_config_sysfs_read32(f->bdf, PCI_ROM_ADDRESS, &hw),
		       "reading the ROM BAR in sysfs config") ||
	    !open_dev(&dev, f) ||
	    !EXPECT_OK(vfio_config_read32(dev, PCI_ROM_ADDRESS, &orig),
		       "reading the ROM BAR through VFIO"))
		return;

	if (!EXPECT_OK(vfio_config_write32(dev, PCI_ROM_ADDRESS, ~0u),
		       "writing all ones to the ROM BAR") ||
	    !EXPECT_OK(vfio_config_read32(dev, PCI_ROM_ADDRESS, &mask),
		       "reading the ROM BAR after all ones"))
		goto restore;
	if (rom->flags & PCI_RES_ROM_SHADOW) {
		/* sysfs describes the shadow copy in RAM, not the ROM BAR. */
		uint32_t addr = mask & PCI_ROM_ADDRESS_MASK;

		tap_diag("ROM is shadowed (resource flags 0x%llx): checking the mask's shape, not its size",
			 (unsigned long long)rom->flags);
		tap_check(addr && !((~addr + 1) & ~addr & PCI_ROM_ADDRESS_MASK),
			  "ROM BAR after all ones: expected a contiguous size mask, got 0x%08x",
			  mask);
		EXPECT_EQ_HEX(mask & ~PCI_ROM_ADDRESS_MASK, PCI_ROM_ADDRESS_ENABLE,
			      "ROM BAR low bits after all ones (the enable bit)");
		size = ~addr + 1;
	} else {
		EXPECT_EQ_HEX(mask, ((uint32_t)~(size - 1) & PCI_ROM_ADDRESS_MASK) |
				    PCI_ROM_ADDRESS_ENABLE,
			      "ROM BAR after all ones (size mask and the enable bit)");
	}
	if (EXPECT_OK(vfio_config_write32(dev, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK),
		      "writing the address mask without enable to the ROM BAR") &&
	    EXPECT_OK(vfio_config_read32(dev, PCI_ROM_ADDRESS, &after),
		      "reading the ROM BAR"))
		EXPECT_EQ_HEX(after, (uint32_t)~(size - 1) & PCI_ROM_ADDRESS_MASK,
			      "ROM BAR after 0xfffff800 (size mask, enable clear)");
	if (EXPECT_OK(pci_config_sysfs_read32(f->bdf, PCI_ROM_ADDRESS, &after),
		      "reading the ROM BAR in sysfs config"))
		EXPECT_EQ_HEX(after, hw, "ROM BAR in sysfs config while sized");
restore:
	if (EXPECT_OK(vfio_config_write32(dev, PCI_ROM_ADDRESS, orig),
		      "writing the old ROM BAR value back") &&
	    EXPECT_OK(vfio_config_read32(dev, PCI_ROM_ADDRESS, &after),
		      "reading the ROM BAR"))
		EXPECT_EQ_HEX(after, orig, "ROM BAR after the old value went back");
}

static void absent_rom_reads_zero(const struct pci_func *f)
{
	const uint32_t writes[] = { ~0u, PCI_ROM_ADDRESS_MASK, PCI_ROM_ADDRESS_ENABLE };
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	struct vfio_dev *dev;
	char what[64];
	uint32_t got;
	size_t i;
	int n;

	n = pci_resources(f->bdf, res);
	if (!EXPECT_OK(n, "reading sysfs resource") ||
	    !EXPECT_GE(n, PCI_ROM_LINE + 1, "lines in sysfs resource"))
		return;
	if (pci_resource_size(&res[PCI_ROM_LINE])) {
		tap_case_skip("the function has an expansion ROM");
		return;
	}
	if (!open_dev(&dev, f))
		return;
	for (i = 0; i < ARRAY_SIZE(writes); i++) {
		snprintf(what, sizeof(what), "ROM BAR after writing 0x%08x", writes[i]);
		if (EXPECT_OK(vfio_config_write32(dev, PCI_ROM_ADDRESS, writes[i]), what) &&
		    EXPECT_OK(vfio_config_read32(dev, PCI_ROM_ADDRESS, &got), what))
			EXPECT_EQ_HEX(got, 0, what);
	}
}

static const struct vfio_test_case cases[] = {
	{ "bar_all_ones_reads_size_mask_and_type_of_sysfs_resource", sizing_masks },
	{ "bar_old_value_reads_back_after_sizing", restores_original },
	{ "bar_type_bits_match_device_and_survive_writing_zero", type_bits_match_device },
	{ "bar_sizing_writes_never_reach_device", never_reach_device },
	{ "bar_sizing_by_bytes_and_words_matches_dword_sizing", sizing_by_bytes_and_words },
	{ "bar_region_works_while_bars_hold_sizing_masks", regions_work_while_sized },
	{ "rom_bar_sizing_reads_size_mask_and_enable_bit", rom_sizing },
	{ "rom_bar_of_function_without_rom_reads_zero", absent_rom_reads_zero },
};

int main(void)
{
	vfio_run_cases(cases, ARRAY_SIZE(cases), vfio_shared_dev_release);
}
