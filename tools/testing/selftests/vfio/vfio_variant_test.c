// SPDX-License-Identifier: GPL-2.0-only
/*
 * A variant driver built on our vfio-pci-core: variant/vfio-pci-test-variant.ko
 * takes QEMU's pci-testdev (1b36:0005) by driver_override and adds one
 * device-specific region with vfio_pci_core_register_dev_region() in its
 * open path; everything else is the core's.
 *
 * The cases run in order on one function and each leaves the state the next
 * expects: module loaded, function bound to the variant, device open, region
 * used, device reopened, then unbound, module unloaded and the function bound
 * back to vfio-pci (the runner's contract), whatever failed before.  A case
 * whose precondition failed earlier skips and names it; the earlier case
 * carries the failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_util.h"

#define PCI_VENDOR_ID_REDHAT	0x1b36
#define PCI_DEVICE_ID_TESTDEV	0x0005

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2
#define PCI_CLASS_REVISION	0x08

#define VFIO_PCI		"vfio-pci"
#define VARIANT_DRIVER		"vfio-pci-test-variant"
#define VARIANT_MODULE		"vfio_pci_test_variant"
/* Relative to the directory of this program. */
#define VARIANT_KO		"variant/vfio-pci-test-variant.ko"

/* What the variant registers (see variant/vfio_pci_test_variant.c). */
#define VARIANT_REGION_INDEX	VFIO_PCI_NUM_REGIONS
#define VARIANT_REGION_TYPE	((uint32_t)VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI_VENDOR_ID_REDHAT)
#define VARIANT_REGION_SUBTYPE	1
#define VARIANT_REGION_SIZE	4096

#define NODE_TIMEOUT_MS		5000

static struct {
	struct pci_func func;
	char ko[PATH_MAX];
	bool loaded;		/* by us, so ours to unload */
	bool bound;		/* to the variant */
	bool open;
	struct vfio_dev dev;
	struct vfio_region_info region;	/* the variant's, fixed part */
} t;

/* Skips the open case when an earlier one did not get us to @state. */
static bool needs(bool state, const char *what)
{
	if (!state)
		tap_case_skip("needs %s, which failed above", what);
	return !state;
}

static bool expect_driver(const char *want)
{
	char driver[64];

	if (!EXPECT_OK(pci_driver_name(t.func.bdf, driver, sizeof(driver)),
		       "reading the bound driver"))
		return false;
	return EXPECT_STREQ(driver, want, "bound driver");
}

static bool expect_group_node(void)
{
	int group = pci_iommu_group(t.func.bdf);

	if (!EXPECT_OK(group, "reading iommu_group"))
		return false;
	return tap_check(vfio_wait_group_node(group, true, NODE_TIMEOUT_MS) == 0,
			 "/dev/vfio/%d: expected it within %d ms, it did not appear",
			 group, NODE_TIMEOUT_MS);
}

/* The variant region's fixed info, or false with the case failed. */
static bool get_variant_region(struct vfio_region_info *info)
{
	return EXPECT_OK(vfio_device_get_region_info(t.dev.fd, VARIANT_REGION_INDEX,
						     info),
			 "VFIO_DEVICE_GET_REGION_INFO of index 9");
}

static bool expect_region_filled(const uint8_t *buf, size_t len, uint8_t (*want)(size_t),
				 const char *what)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != want(i))
			return tap_check(false, "%s: byte %zu: expected 0x%02x, got 0x%02x",
					 what, i, want(i), buf[i]);
	return true;
}

static uint8_t zero(size_t i)
{
	(void)i;
	return 0;
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + 0x5a);
}

static void close_dev(void)
{
	if (t.open)
		vfio_dev_close(&t.dev);
	t.open = false;
}

/* ---- cases -------------------------------------------------------------- */

static void module_loads(void)
{
	int ret;

	if (!tap_check(access(t.ko, R_OK) == 0,
		       "%s: not there; \"make vm-build\" builds it", t.ko))
		return;
	ret = module_load(t.ko, "");
	if (!EXPECT_OK(ret, "finit_module of the variant"))
		return;
	t.loaded = true;
	EXPECT_TRUE(module_loaded(VARIANT_MODULE), "/sys/module/" VARIANT_MODULE);
}

static void module_holds_core(void)
{
	if (needs(t.loaded, "the variant module"))
		return;
	EXPECT_TRUE(access("/sys/module/vfio_pci_core/holders/" VARIANT_MODULE,
			   F_OK) == 0,
		    "/sys/module/vfio_pci_core/holders/" VARIANT_MODULE);
}

/*
 * The variant's only id is override-only: with driver_override cleared a
 * probe leaves pci-testdev without a driver (no other driver has its id).
 */
static void no_bind_without_override(void)
{
	if (needs(t.loaded, "the variant module"))
		return;
	if (!EXPECT_OK(pci_set_driver_override(t.func.bdf, NULL),
		       "clearing driver_override"))
		return;
	if (!EXPECT_OK(pci_unbind(t.func.bdf), "unbinding from vfio-pci"))
		return;
	if (!EXPECT_OK(pci_probe(t.func.bdf), "drivers_probe"))
		return;
	expect_driver("");
}

static void binds_by_override(void)
{
	if (needs(t.loaded, "the variant module"))
		return;
	if (!EXPECT_OK(pci_bind(t.func.bdf, VARIANT_DRIVER),
		       "driver_override + unbind + drivers_probe"))
		return;
	if (!expect_driver(VARIANT_DRIVER))
		return;
	t.bound = true;
	expect_group_node();
}

static void opens_through_group(void)
{
	if (needs(t.bound, "pci-testdev bound to the variant"))
		return;
	if (!EXPECT_OK(vfio_dev_open(&t.dev, t.func.bdf),
		       "container + group + device fd"))
		return;
	t.open = true;
	tap_check(t.dev.info.flags & VFIO_DEVICE_FLAGS_PCI,
		  "device flags: expected VFIO_DEVICE_FLAGS_PCI, got 0x%x",
		  t.dev.info.flags);
}

static void num_regions_counts_variant_region(void)
{
	if (needs(t.open, "the open device"))
		return;
	EXPECT_EQ(t.dev.info.num_regions, VFIO_PCI_NUM_REGIONS + 1,
		  "num_regions (the nine fixed ones and the variant's)");
}

static int check_type_cap(const struct vfio_region_info *info)
{
	const struct vfio_region_info_cap_type *cap;
	const struct vfio_info_cap_header *hdr;

	hdr = vfio_region_info_cap_find(info, VFIO_REGION_INFO_CAP_TYPE);
	if (!tap_check(hdr, "no VFIO_REGION_INFO_CAP_TYPE in the capability chain"))
		return -1;
	cap = (const void *)hdr;
	EXPECT_EQ(hdr->version, 1, "type capability version");
	EXPECT_EQ_HEX(cap->type, VARIANT_REGION_TYPE, "region type");
	EXPECT_EQ(cap->subtype, VARIANT_REGION_SUBTYPE, "region subtype");
	return 0;
}

static void region_info_has_type_cap(void)
{
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	struct vfio_region_info *info;
	unsigned int i;

	if (needs(t.open, "the open device"))
		return;
	if (!EXPECT_OK(vfio_device_get_region_info_caps(t.dev.fd, VARIANT_REGION_INDEX,
							&info),
		       "VFIO_DEVICE_GET_REGION_INFO of index 9 with capabilities"))
		return;
	EXPECT_EQ(info->index, VARIANT_REGION_INDEX, "index");
	EXPECT_EQ(info->size, VARIANT_REGION_SIZE, "size");
	EXPECT_EQ_HEX(info->flags, rw | VFIO_REGION_INFO_FLAG_CAPS,
		      "flags (read, write, caps; no mmap)");
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++)
		tap_check(!t.dev.regions[i].size ||
			  t.dev.regions[i].offset != info->offset,
			  "offset 0x%llx: shared with %s",
			  (unsigned long long)info->offset, vfio_region_name(i));
	if (info->flags & VFIO_REGION_INFO_FLAG_CAPS)
		check_type_cap(info);
	memcpy(&t.region, info, sizeof(t.region));
	t.region.argsz = sizeof(t.region);
	free(info);
}

static void region_starts_zeroed(void)
{
	uint8_t buf[VARIANT_REGION_SIZE];

	if (needs(t.open && t.region.size, "the variant region's info"))
		return;
	if (!EXPECT_OK(vfio_region_pread(t.dev.fd, &t.region, 0, buf, sizeof(buf)),
		       "reading the whole region"))
		return;
	expect_region_filled(buf, sizeof(buf), zero, "fresh region");
}

static void region_round_trips(void)
{
	uint8_t buf[VARIANT_REGION_SIZE], back[VARIANT_REGION_SIZE];
	const uint8_t word[4] = { 0xde, 0xad, 0xbe, 0xef };
	size_t i;

	if (needs(t.open && t.region.size, "the variant region's info"))
		return;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	if (!EXPECT_OK(vfio_region_pwrite(t.dev.fd, &t.region, 0, buf, sizeof(buf)),
		       "writing the whole region"))
		return;
	if (!EXPECT_OK(vfio_region_pread(t.dev.fd, &t.region, 0, back, sizeof(back)),
		       "reading the whole region"))
		return;
	if (!expect_region_filled(back, sizeof(back), pattern, "region after a full write"))
		return;

	/* An access inside the region lands at its offset, nowhere else. */
	if (!EXPECT_OK(vfio_region_pwrite(t.dev.fd, &t.region, 0x800, word, sizeof(word)),
		       "writing 4 bytes at 0x800"))
		return;
	memcpy(buf + 0x800, word, sizeof(word));
	if (!EXPECT_OK(vfio_region_pread(t.dev.fd, &t.region, 0, back, sizeof(back)),
		       "reading the whole region"))
		return;
	for (i = 0; i < sizeof(buf); i++)
		if (!tap_check(back[i] == buf[i],
			       "after writing 4 bytes at 0x800: byte 0x%zx: expected 0x%02x, got 0x%02x",
			       i, buf[i], back[i]))
			break;
}

static void region_end_is_einval(void)
{
	uint8_t buf[4];

	if (needs(t.open && t.region.size, "the variant region's info"))
		return;
	EXPECT_ERRNO(vfio_region_pread(t.dev.fd, &t.region, VARIANT_REGION_SIZE,
				       buf, sizeof(buf)),
		     EINVAL, "reading 4 bytes at the region's size");
	EXPECT_ERRNO(vfio_region_pwrite(t.dev.fd, &t.region, VARIANT_REGION_SIZE,
					buf, sizeof(buf)),
		     EINVAL, "writing 4 bytes at the region's size");
}

/* The core's config virtualization answers for the variant too. */
static void config_reads_match_sysfs(void)
{
	uint32_t got, want;
	const uint32_t offs[] = { 0, PCI_CLASS_REVISION };
	size_t i;

	if (needs(t.open, "the open device"))
		return;
	EXPECT_EQ(t.dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].size,
		  pci_config_sysfs_size(t.func.bdf), "config region size");
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		if (!EXPECT_OK(vfio_config_read32(&t.dev, offs[i], &got),
			       "config read through VFIO") ||
		    !EXPECT_OK(pci_config_sysfs_read32(t.func.bdf, offs[i], &want),
			       "config read through sysfs"))
			return;
		tap_check(got == want, "config 0x%02x: expected 0x%08x (sysfs), got 0x%08x",
			  offs[i], want, got);
	}
}

/* BAR access and mmap are the core's: both see the same registers. */
static void bar0_mmap_matches_read(void)
{
	const struct vfio_region_info *bar0 = &t.dev.regions[VFIO_PCI_BAR0_REGION_INDEX];
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	volatile uint32_t *map;
	uint32_t regs[4];
	void *p;
	size_t i;

	if (needs(t.open, "the open device"))
		return;
	if (!EXPECT_GE(pci_resources(t.func.bdf, res), 1, "parsing sysfs resource"))
		return;
	EXPECT_EQ(bar0->size, pci_resource_size(&res[0]), "BAR0 size");
	if (!tap_check(bar0->flags & VFIO_REGION_INFO_FLAG_MMAP,
		       "BAR0 flags 0x%x: expected VFIO_REGION_INFO_FLAG_MMAP",
		       bar0->flags))
		return;
	if (!EXPECT_OK(vfio_config_update16(&t.dev, PCI_COMMAND, 0, PCI_COMMAND_MEMORY),
		       "turning memory decode on"))
		return;
	if (!EXPECT_OK(vfio_region_read(&t.dev, VFIO_PCI_BAR0_REGION_INDEX, 0,
					regs, sizeof(regs)),
		       "reading 16 bytes of BAR0"))
		return;
	if (!EXPECT_OK(vfio_region_mmap(&t.dev, VFIO_PCI_BAR0_REGION_INDEX, 0,
					bar0->size, PROT_READ, &p),
		       "mmap of BAR0"))
		return;
	map = p;
	for (i = 0; i < ARRAY_SIZE(regs); i++)
		tap_check(map[i] == regs[i],
			  "BAR0 0x%zx: read gave 0x%08x, the mapping 0x%08x",
			  i * 4, regs[i], map[i]);
	munmap(p, bar0->size);
}

/*
 * On close the core calls the region's release op (the variant refuses to
 * open again if it did not); the next open registers a fresh region at the
 * same index, so nothing written before is there.
 */
static void reopened_region_is_fresh(void)
{
	struct vfio_region_info info;
	uint8_t buf[VARIANT_REGION_SIZE];

	if (needs(t.open && t.region.size, "the variant region's info"))
		return;
	close_dev();
	if (!EXPECT_OK(vfio_dev_open(&t.dev, t.func.bdf), "reopening the device"))
		return;
	t.open = true;
	EXPECT_EQ(t.dev.info.num_regions, VFIO_PCI_NUM_REGIONS + 1,
		  "num_regions after reopening");
	if (!get_variant_region(&info))
		return;
	EXPECT_EQ(info.size, VARIANT_REGION_SIZE, "size after reopening");
	if (!EXPECT_OK(vfio_region_pread(t.dev.fd, &info, 0, buf, sizeof(buf)),
		       "reading the whole region"))
		return;
	expect_region_filled(buf, sizeof(buf), zero, "region after reopening");
}

/* Every module reference an open took is dropped by close and unbind. */
static void unloads_after_unbind(void)
{
	char driver[64];

	close_dev();
	if (needs(t.loaded, "the variant module"))
		return;
	/* Whatever the earlier cases managed, the variant must let go first. */
	if (pci_driver_name(t.func.bdf, driver, sizeof(driver)) >= 0 &&
	    !strcmp(driver, VARIANT_DRIVER))
		EXPECT_OK(pci_unbind(t.func.bdf), "unbinding from the variant");
	t.bound = false;
	if (!EXPECT_OK(module_unload(VARIANT_MODULE), "delete_module of the variant"))
		return;
	t.loaded = false;
	EXPECT_TRUE(!module_loaded(VARIANT_MODULE), "/sys/module/" VARIANT_MODULE " gone");
}

static void rebinds_to_vfio_pci(void)
{
	if (!EXPECT_OK(pci_bind(t.func.bdf, VFIO_PCI),
		       "driver_override + unbind + drivers_probe"))
		return;
	if (expect_driver(VFIO_PCI))
		expect_group_node();
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "variant_module_loads_against_our_core", module_loads },
	{ "variant_module_holds_vfio_pci_core", module_holds_core },
	{ "variant_does_not_bind_without_driver_override", no_bind_without_override },
	{ "driver_override_binds_pci_testdev_to_variant", binds_by_override },
	{ "variant_device_opens_through_its_group", opens_through_group },
	{ "device_info_num_regions_is_9_plus_variant_region", num_regions_counts_variant_region },
	{ "variant_region_info_has_vendor_type_capability", region_info_has_type_cap },
	{ "variant_region_starts_zeroed", region_starts_zeroed },
	{ "variant_region_reads_back_what_was_written", region_round_trips },
	{ "variant_region_access_at_its_end_gives_einval", region_end_is_einval },
	{ "config_reads_under_variant_match_sysfs", config_reads_match_sysfs },
	{ "bar0_mmap_under_variant_matches_bar0_read", bar0_mmap_matches_read },
	{ "reopened_variant_region_is_released_and_fresh", reopened_region_is_fresh },
	{ "variant_module_unloads_after_unbind", unloads_after_unbind },
	{ "pci_testdev_rebinds_to_vfio_pci", rebinds_to_vfio_pci },
};


int main(void)
{
	char driver[64];
	size_t i;
	int ret;

	vfio_test_require_ours("the test variant driver links against our core");

	ret = pci_find_functions(PCI_VENDOR_ID_REDHAT, PCI_DEVICE_ID_TESTDEV, &t.func, 1);
	if (ret < 0)
		tap_bail_out("listing PCI functions: %s", tap_errno_name(-ret));
	if (ret == 0)
		tap_skip_all("no pci-testdev (1b36:0005)%s%s",
			     getenv("VFIO_TEST_DEVICE") ? " matching " : "",
			     getenv("VFIO_TEST_DEVICE") ?: "");
	ret = vfio_test_path(VARIANT_KO, t.ko, sizeof(t.ko));
	if (ret)
		tap_bail_out("locating the variant module: %s", tap_errno_name(-ret));
	t.dev.fd = t.dev.group_fd = t.dev.container_fd = -1;

	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	if (pci_driver_name(t.func.bdf, driver, sizeof(driver)) >= 0)
		tap_diag("device %s (pci-testdev), bound to \"%s\"; variant %s",
			 t.func.bdf, driver, t.ko);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tap_case_begin("%s %s", cases[i].name, t.func.bdf);
		cases[i].run();
		tap_case_end();
	}
	tap_finish();
}
