// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Intel IGD extension of vfio-pci.  QEMU emulates no integrated
 * graphics, so:
 * - on both lanes, functions that are not IGD open without any IGD region:
 *   QEMU's VGA (1234:1111, VGA class but not Intel) and the e1000e
 *   (8086:10d3, Intel but not VGA) report exactly the 9 fixed regions (the
 *   VGA one included) and no index 9;
 * - on ours, igd/vfio-pci-igd-test.ko (our vfio_pci_igd.c with test cases
 *   in the same unit) checks the OpRegion validation on crafted buffers, the
 *   OpRegion region on crafted OpRegions in RAM and the bridge regions on
 *   q35's 00:00.0 and 00:1f.0; each of its results becomes a case here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio_util.h"

#define IGD_MODULE	"vfio_pci_igd_test"
#define IGD_KO		"igd/vfio-pci-igd-test.ko"
#define IGD_RESULTS	"/sys/module/" IGD_MODULE "/parameters/results"

#define PCI_VENDOR_ID_INTEL	0x8086

static char results[8192];

/* "1..N" then one line per case; returns N, or -errno. */
static int load_and_read_results(const char *ko, bool *loaded)
{
	unsigned int n;
	ssize_t len;
	int fd, ret;

	*loaded = false;
	ret = module_load(ko, "");
	if (ret)
		return ret;
	*loaded = true;
	fd = open(IGD_RESULTS, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = read(fd, results, sizeof(results) - 1);
	ret = len < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	results[len] = '\0';
	if (sscanf(results, "1..%u", &n) != 1)
		return -EPROTO;
	return n;
}


/* Each "ok N name" / "not ok N name # why" line as a case; returns how many. */
static unsigned int report_module_cases(void)
{
	char *line, *save = NULL;
	unsigned int count = 0;

	for (line = strtok_r(results, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		bool ok = !strncmp(line, "ok ", 3);
		char *name, *why;

		if (!ok && strncmp(line, "not ok ", 7))
			continue;	/* the plan line */
		name = strchr(line + (ok ? 3 : 7), ' ');
		name = name ? name + 1 : line;
		why = strstr(name, " # ");
		if (why) {
			*why = '\0';
			why += 3;
		}
		tap_case_begin("%s", name);
		if (!ok)
			tap_check(false, "%s", why ? why : "the module says not ok");
		tap_case_end();
		count++;
	}
	return count;
}

/* Exactly the fixed regions, the VGA one sized when @vga. */
static void opens_without_igd_regions(uint16_t vendor, uint16_t device, bool vga,
				      const char *name)
{
	struct vfio_region_info info;
	struct pci_func f;
	struct vfio_dev dev;
	int ret;

	ret = pci_find_functions(vendor, device, &f, 1);
	if (ret <= 0) {
		tap_case_begin("%s", name);
		tap_case_skip("no %04x:%04x function%s", vendor, device,
			      ret < 0 ? ": listing failed" : "");
		return;
	}
	tap_case_begin("%s %s", name, f.bdf);
	if (!EXPECT_OK(vfio_dev_open(&dev, f.bdf), "opening the device"))
		goto out;
	EXPECT_EQ(dev.info.num_regions, VFIO_PCI_NUM_REGIONS,
		  "num_regions (9 fixed, no IGD region)");
	if (vga)
		EXPECT_TRUE(dev.regions[VFIO_PCI_VGA_REGION_INDEX].size > 0,
			    "the VGA region is there");
	EXPECT_ERRNO(vfio_device_get_region_info(dev.fd, VFIO_PCI_NUM_REGIONS, &info),
		     EINVAL, "GET_REGION_INFO of index 9");
	vfio_dev_close(&dev);
out:
	tap_case_end();
}

int main(void)
{
	bool ours = vfio_test_driver() == VFIO_TEST_DRIVER_OURS;
	char ko[PATH_MAX];
	bool loaded = false;
	int n = 0, ret;

	tap_diag("driver under test: %s", vfio_test_driver_name());
	if (ours) {
		ret = vfio_test_path(IGD_KO, ko, sizeof(ko));
		if (ret)
			tap_bail_out("locating the IGD test module: %s", tap_errno_name(-ret));
		if (module_loaded(IGD_MODULE))
			module_unload(IGD_MODULE);	/* left by an earlier run */
		n = load_and_read_results(ko, &loaded);
		/* load, the module's cases, all reported, unload, two devices */
		tap_plan(1 + (n > 0 ? n : 0) + 2 + 2);

		tap_case_begin("igd_test_module_loads_and_reports_its_plan");
		EXPECT_OK(n, "loading " IGD_KO " and reading its results");
		tap_case_end();
		if (n > 0) {
			unsigned int got = report_module_cases();

			tap_case_begin("igd_test_module_reported_every_planned_case");
			EXPECT_EQ(got, n, "results after the plan line");
			tap_case_end();
		} else {
			tap_case_begin("igd_test_module_reported_every_planned_case");
			tap_case_skip("needs the module's results, which failed above");
		}

		tap_case_begin("igd_test_module_unloads");
		if (loaded)
			EXPECT_OK(module_unload(IGD_MODULE), "unloading " IGD_MODULE);
		else
			tap_case_skip("the module did not load");
		if (loaded)
			tap_case_end();
	} else {
		tap_plan(1 + 2);
		tap_case_begin("igd_test_module_cases");
		vfio_test_case_ours_only("the test module is built from our vfio_pci_igd.c");
	}

	opens_without_igd_regions(0x1234, 0x1111, true,
				  "non_intel_vga_opens_with_9_regions_and_no_igd_region");
	opens_without_igd_regions(PCI_VENDOR_ID_INTEL, 0x10d3, false,
				  "intel_non_vga_opens_with_9_regions_and_no_igd_region");
	tap_finish();
}
