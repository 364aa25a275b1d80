// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device-set reset on release, on the multifunction e1000 slot of the
 * zoo (03:00.0 and 03:00.1 behind rp3, one IOMMU group).
 *
 * Neither function has a reset of its own (no FLR, no PM reset, and a bus
 * reset reaches both), so what a user leaves in one of them stays until
 * the whole set is released: when the last function of the set is closed,
 * a bus reset clears both.  The register used is e1000's TDBAL (BAR0
 * 0x3800), which keeps what is written and is zero after a reset.
 * Both functions are opened through their one group fd, so the group path
 * is used whatever VFIO_TEST_CDEV says.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "region_util.h"
#include "reset_util.h"
#include "vfio_util.h"

#define MF_BDF0		"0000:03:00.0"
#define MF_BDF1		"0000:03:00.1"
#define E1000_TDBAL	0x3800
#define MARK		0x12345670u

static bool slot_present(void)
{
	const char *want = getenv("VFIO_TEST_DEVICE");

	if (want && *want && strcmp(want, MF_BDF0) && strcmp(want, MF_BDF1)) {
		tap_case_skip("VFIO_TEST_DEVICE=%s is not the slot %s/%s", want,
			      MF_BDF0, MF_BDF1);
		return false;
	}
	if (!pci_function_exists(MF_BDF0) || !pci_function_exists(MF_BDF1)) {
		tap_case_skip("no multifunction slot at %s/%s (zoo)", MF_BDF0, MF_BDF1);
		return false;
	}
	if (pci_iommu_group(MF_BDF0) != pci_iommu_group(MF_BDF1)) {
		tap_case_skip("%s and %s are in different groups", MF_BDF0, MF_BDF1);
		return false;
	}
	return true;
}

static bool read_tdbal(struct vfio_dev *dev, uint64_t *val)
{
	return EXPECT_OK(region_read_le(dev, VFIO_PCI_BAR0_REGION_INDEX, E1000_TDBAL, 4, val),
			 "reading TDBAL");
}

/* Opens @bdf and leaves MARK in its TDBAL. */
static bool open_and_mark(struct vfio_dev *dev, const char *bdf)
{
	uint64_t val = 0;

	if (!EXPECT_OK(vfio_dev_open_group(dev, bdf), bdf))
		return false;
	if (!EXPECT_OK(vfio_set_memory_decode(dev, true), "memory decode on") ||
	    !EXPECT_OK(region_write_le(dev, VFIO_PCI_BAR0_REGION_INDEX, E1000_TDBAL, 4, MARK),
		       "writing TDBAL") ||
	    !read_tdbal(dev, &val) || !EXPECT_EQ_HEX(val, MARK, "TDBAL after writing it")) {
		vfio_dev_close(dev);
		return false;
	}
	return true;
}

static void functions_have_no_reset_of_their_own(void)
{
	char method[64];

	if (!slot_present())
		return;
	EXPECT_OK(pci_reset_method(MF_BDF0, method, sizeof(method)), "reset_method");
	tap_diag("%s reset_method \"%s\"", MF_BDF0, method);
	EXPECT_TRUE(!strstr(method, "flr") && !strstr(method, "pm"),
		    "no FLR or PM reset on the function");
}

/* The open path does not reset it either: the mark survives close + open of
 * one function while the other keeps the set in use. */
static void no_reset_while_the_other_function_is_open(void)
{
	struct vfio_dev dev;
	uint64_t val = 0;
	int fd1;

	if (!slot_present())
		return;
	if (!open_and_mark(&dev, MF_BDF0))
		return;
	fd1 = vfio_group_get_device_fd(dev.group_fd, MF_BDF1);
	if (!EXPECT_OK(fd1, "opening " MF_BDF1 " from the same group"))
		goto out;
	/* Release 03:00.0 alone, then open it again. */
	close(dev.fd);
	dev.fd = vfio_group_get_device_fd(dev.group_fd, MF_BDF0);
	if (EXPECT_OK(dev.fd, "opening " MF_BDF0 " again") &&
	    EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on") &&
	    read_tdbal(&dev, &val))
		EXPECT_EQ_HEX(val, MARK, "TDBAL kept while " MF_BDF1 " is open");
	close(fd1);
out:
	vfio_dev_close(&dev);
}

static void release_of_the_last_function_resets_the_set(void)
{
	struct vfio_dev dev;
	uint64_t val = ~0ull;

	if (!slot_present())
		return;
	if (!open_and_mark(&dev, MF_BDF1))
		return;
	vfio_dev_close(&dev);
	if (!EXPECT_OK(vfio_dev_open_group(&dev, MF_BDF1), "opening " MF_BDF1 " again"))
		return;
	if (EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on") &&
	    read_tdbal(&dev, &val))
		EXPECT_EQ_HEX(val, 0, "TDBAL after the set was released (bus reset)");
	vfio_dev_close(&dev);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "slot_functions_have_no_flr_or_pm_reset " MF_BDF0,
	  functions_have_no_reset_of_their_own },
	{ "no_set_reset_while_other_function_open_register_kept " MF_BDF0,
	  no_reset_while_the_other_function_is_open },
	{ "release_of_last_function_bus_resets_set_register_cleared " MF_BDF1,
	  release_of_the_last_function_resets_the_set },
};

int main(void)
{
	size_t i;

	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tap_case_begin("%s", cases[i].name);
		cases[i].run();
		tap_case_end();
	}
	tap_finish();
}
