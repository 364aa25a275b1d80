// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_GET_REGION_INFO against what sysfs says about the function.
 *
 * Reference behaviour these cases encode (Debian 6.12 vfio-pci, QEMU zoo):
 * - a BAR that does not exist reports size 0 and flags 0;
 * - BARs that exist are READ|WRITE; memory BARs are MMAP (sub-page ones too
 *   when page-aligned: pci-testdev's 4 KiB BAR0 and VGA's 4 KiB BAR2), I/O
 *   BARs never; the BAR holding the MSI-X table adds CAPS;
 * - ROM is READ only, sized like sysfs "rom" (VGA: the 128 KiB shadow ROM),
 *   and size 0 / flags 0 when there is none;
 * - config is READ|WRITE, 256 bytes conventional, 4096 PCIe;
 * - the VGA region (index 8) exists only on VGA-class functions: size
 *   0xc0000, READ|WRITE; on every other function it gives EINVAL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio_util.h"

#define PCI_CAP_ID_EXP		0x10
#define PCI_CLASS_VGA		0x0300	/* base << 8 | sub */
#define VGA_REGION_SIZE		0xc0000
#define RW			(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)

static bool is_vga(const struct pci_func *f)
{
	return f->class >> 8 == PCI_CLASS_VGA;
}

static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device");
}

static bool read_resources(const struct pci_func *f,
			   struct pci_resource res[PCI_SYSFS_RESOURCES])
{
	int n = pci_resources(f->bdf, res);

	if (!EXPECT_OK(n, "reading sysfs resource"))
		return false;
	return EXPECT_GE(n, PCI_ROM_LINE + 1, "lines in sysfs resource");
}

static void every_index_succeeds(const struct pci_func *f)
{
	struct vfio_region_info info;
	struct vfio_dev dev;
	char what[64];
	uint32_t i;

	if (!open_dev(&dev, f))
		return;
	for (i = 0; i < dev.info.num_regions; i++) {
		/* Checked by vga_region_only_on_vga. */
		if (i == VFIO_PCI_VGA_REGION_INDEX && !is_vga(f))
			continue;
		snprintf(what, sizeof(what), "GET_REGION_INFO of %s",
			 vfio_region_name(i));
		if (EXPECT_OK(vfio_device_get_region_info(dev.fd, i, &info), what))
			EXPECT_EQ(info.index, i, "index echoed back");
	}
	vfio_dev_close(&dev);
}

static void bar_sizes_match_sysfs(const struct pci_func *f)
{
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	struct vfio_dev dev;
	char what[64];
	int bar;

	if (!read_resources(f, res) || !open_dev(&dev, f))
		return;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX; bar++) {
		snprintf(what, sizeof(what), "%s size (sysfs resource line %d)",
			 vfio_region_name(bar), bar);
		EXPECT_EQ_HEX(dev.regions[bar].size, pci_resource_size(&res[bar]), what);
	}
	vfio_dev_close(&dev);
}

static void bar_flags_make_sense(const struct pci_func *f)
{
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	long page = sysconf(_SC_PAGESIZE);
	struct vfio_dev dev;
	int bar;

	if (!read_resources(f, res) || !open_dev(&dev, f))
		return;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX; bar++) {
		uint32_t flags = dev.regions[bar].flags;
		uint64_t size = pci_resource_size(&res[bar]);
		const char *name = vfio_region_name(bar);

		if (!size) {
			tap_check(flags == 0, "%s absent: expected flags 0, got 0x%x",
				  name, flags);
			continue;
		}
		tap_check((flags & RW) == RW,
			  "%s: expected READ|WRITE (0x%x) set, got flags 0x%x",
			  name, RW, flags);
		if (res[bar].flags & PCI_RES_IO)
			tap_check(!(flags & VFIO_REGION_INFO_FLAG_MMAP),
				  "%s is I/O ports: expected no MMAP, got flags 0x%x",
				  name, flags);
		else if (size >= (uint64_t)page)
			tap_check(flags & VFIO_REGION_INFO_FLAG_MMAP,
				  "%s is memory of 0x%llx bytes: expected MMAP, got flags 0x%x",
				  name, (unsigned long long)size, flags);
	}
	vfio_dev_close(&dev);
}

static void config_size_matches_sysfs(const struct pci_func *f)
{
	long long sysfs_size = pci_config_sysfs_size(f->bdf);
	int pcie = pci_find_capability(f->bdf, PCI_CAP_ID_EXP);
	struct vfio_dev dev;
	uint64_t size;

	if (!EXPECT_OK(sysfs_size, "size of sysfs config") ||
	    !EXPECT_OK(pcie, "looking for the PCIe capability") ||
	    !open_dev(&dev, f))
		return;
	size = dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].size;
	EXPECT_EQ(size, sysfs_size, "config region size (sysfs config size)");
	EXPECT_EQ(size, pcie ? 4096 : 256,
		  pcie ? "config region size of a PCIe function"
		       : "config region size of a conventional function");
	vfio_dev_close(&dev);
}

static void config_flags_read_write(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	EXPECT_EQ_HEX(dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].flags, RW,
		      "config region flags (READ|WRITE, no MMAP)");
	vfio_dev_close(&dev);
}

static void rom_matches_sysfs_read_only(const struct pci_func *f)
{
	long long rom = pci_rom_size(f->bdf);
	const struct vfio_region_info *info;
	struct vfio_dev dev;

	if (!EXPECT_OK(rom, "size of sysfs rom") || !open_dev(&dev, f))
		return;
	info = &dev.regions[VFIO_PCI_ROM_REGION_INDEX];
	EXPECT_EQ_HEX(info->size, rom, "ROM region size (sysfs rom size, 0 if none)");
	EXPECT_EQ_HEX(info->flags, rom ? VFIO_REGION_INFO_FLAG_READ : 0,
		      rom ? "ROM region flags (READ only)"
			  : "flags of an absent ROM");
	vfio_dev_close(&dev);
}

static void vga_region_only_on_vga(const struct pci_func *f)
{
	struct vfio_region_info info;
	struct vfio_dev dev;
	int ret;

	if (!open_dev(&dev, f))
		return;
	ret = vfio_device_get_region_info(dev.fd, VFIO_PCI_VGA_REGION_INDEX, &info);
	if (is_vga(f)) {
		if (EXPECT_OK(ret, "GET_REGION_INFO of VGA on a VGA-class function")) {
			EXPECT_EQ_HEX(info.size, VGA_REGION_SIZE, "VGA region size");
			EXPECT_EQ_HEX(info.flags, RW, "VGA region flags");
		}
	} else {
		EXPECT_ERRNO(ret, EINVAL,
			     "GET_REGION_INFO of VGA on a function that is not VGA");
	}
	vfio_dev_close(&dev);
}

static void index_42_is_einval(const struct pci_func *f)
{
	struct vfio_region_info info;
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(vfio_device_get_region_info(dev.fd, 42, &info), EINVAL,
		     "GET_REGION_INFO of index 42");
	vfio_dev_close(&dev);
}

static void short_argsz_is_einval(const struct pci_func *f)
{
	struct vfio_region_info info = {
		/* One byte short of the fixed part, which ends at .offset. */
		.argsz = sizeof(info) - 1,
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	EXPECT_ERRNO(vfio_ioctl(dev.fd, VFIO_DEVICE_GET_REGION_INFO, &info), EINVAL,
		     "GET_REGION_INFO with argsz sizeof(struct vfio_region_info) - 1");
	vfio_dev_close(&dev);
}

static void offsets_do_not_overlap(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t i, j, n;

	if (!open_dev(&dev, f))
		return;
	n = dev.info.num_regions < VFIO_PCI_NUM_REGIONS ? dev.info.num_regions
							 : VFIO_PCI_NUM_REGIONS;
	for (i = 0; i < n; i++) {
		const struct vfio_region_info *a = &dev.regions[i];

		for (j = i + 1; j < n; j++) {
			const struct vfio_region_info *b = &dev.regions[j];

			if (!a->size || !b->size)
				continue;
			tap_check(a->offset + a->size <= b->offset ||
				  b->offset + b->size <= a->offset,
				  "%s [0x%llx, +0x%llx) and %s [0x%llx, +0x%llx): expected disjoint, they overlap",
				  vfio_region_name(i), (unsigned long long)a->offset,
				  (unsigned long long)a->size, vfio_region_name(j),
				  (unsigned long long)b->offset,
				  (unsigned long long)b->size);
		}
	}
	vfio_dev_close(&dev);
}

static int print_cap(const struct vfio_info_cap_header *cap, void *arg)
{
	tap_diag("%s: capability id %u version %u", (const char *)arg, cap->id,
		 cap->version);
	return 0;
}

/*
 * A region with CAPS set asks for more argsz than the fixed part on the
 * first query; the re-query returns a chain that stays inside argsz.
 */
static void cap_chains_well_formed(const struct pci_func *f)
{
	struct vfio_region_info *full;
	struct vfio_dev dev;
	int regions_with_caps = 0, walked;
	uint32_t i;

	if (!open_dev(&dev, f))
		return;
	for (i = 0; i < dev.info.num_regions && i < VFIO_PCI_NUM_REGIONS; i++) {
		const struct vfio_region_info *fixed = &dev.regions[i];
		const char *name = vfio_region_name(i);

		if (!(fixed->flags & VFIO_REGION_INFO_FLAG_CAPS))
			continue;
		regions_with_caps++;
		tap_check(fixed->argsz > sizeof(*fixed),
			  "%s has CAPS: expected argsz > %zu after the first query, got %u",
			  name, sizeof(*fixed), fixed->argsz);
		if (!EXPECT_OK(vfio_device_get_region_info_caps(dev.fd, i, &full),
			       "GET_REGION_INFO with room for capabilities"))
			continue;
		tap_check(full->cap_offset >= sizeof(*full),
			  "%s: expected cap_offset >= %zu, got %u", name,
			  sizeof(*full), full->cap_offset);
		walked = vfio_info_cap_walk(full, full->argsz, sizeof(*full),
					    full->cap_offset, print_cap,
					    (void *)name);
		tap_check(walked >= 1,
			  "%s: expected a well-formed chain of >= 1 capability, walker said %d",
			  name, walked);
		free(full);
	}
	vfio_dev_close(&dev);
	if (!regions_with_caps && !tap_case_failed())
		tap_case_skip("no region of this device has capabilities");
}

static const struct vfio_test_case cases[] = {
	{ "region_info_succeeds_for_every_index", every_index_succeeds },
	{ "bar_region_size_matches_sysfs_resource", bar_sizes_match_sysfs },
	{ "bar_region_flags_read_write_mmap_on_memory", bar_flags_make_sense },
	{ "config_region_size_matches_sysfs_config", config_size_matches_sysfs },
	{ "config_region_flags_read_write_without_mmap", config_flags_read_write },
	{ "rom_region_size_matches_sysfs_rom_read_only", rom_matches_sysfs_read_only },
	{ "vga_region_only_on_vga_class_function", vga_region_only_on_vga },
	{ "region_info_index_42_gives_einval", index_42_is_einval },
	{ "region_info_argsz_below_minimum_gives_einval", short_argsz_is_einval },
	{ "region_offsets_do_not_overlap", offsets_do_not_overlap },
	{ "region_capability_chains_are_well_formed", cap_chains_well_formed },
};

int main(void)
{
	vfio_run_cases(cases, ARRAY_SIZE(cases), NULL);
}
