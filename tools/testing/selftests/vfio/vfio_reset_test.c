// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resets: VFIO_DEVICE_RESET by every reset method the PCI core lists for a
 * function (forced one at a time through sysfs "reset_method"), with the
 * config state the user sees restored after; a function with no method;
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO and VFIO_DEVICE_PCI_HOT_RESET for a
 * function alone behind a root port and for a multifunction slot.
 *
 * Each method exercised is printed as "# reset-method <BDF> <method>: ...".
 * The hot reset cases prove the group form (group ids, group fds), so they
 * open through the group whatever VFIO_TEST_CDEV says; vfio_cdev_test has
 * the cdev form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reset_util.h"

/* A function alone behind rp1 (zoo), and the multifunction slot behind rp3. */
#define LONE_BDF	"0000:01:00.0"
#define MF_BDF0		"0000:03:00.0"
#define MF_BDF1		"0000:03:00.1"
/* An edu: a group of its own the caller can own. */
#define OTHER_BDF	"0000:00:03.0"
#define MAX_METHODS	8

/* What the user sees of the config space that a reset must not lose. */
struct config_view {
	uint16_t command;
	uint32_t bars[6];
};

static bool read_view(struct vfio_dev *dev, struct config_view *v)
{
	int i;

	if (!EXPECT_OK(vfio_config_read16(dev, PCI_COMMAND, &v->command),
		       "reading the command register"))
		return false;
	for (i = 0; i < 6; i++)
		if (!EXPECT_OK(vfio_config_read32(dev, PCI_BASE_ADDRESS_0 + 4 * i,
						  &v->bars[i]), "reading a BAR"))
			return false;
	return true;
}

static bool expect_view(struct vfio_dev *dev, const struct config_view *want,
			const char *when)
{
	struct config_view got;
	char what[96];
	bool ok = true;
	int i;

	if (!read_view(dev, &got))
		return false;
	snprintf(what, sizeof(what), "command register %s", when);
	ok &= EXPECT_EQ_HEX(got.command, want->command, what);
	for (i = 0; i < 6; i++) {
		snprintf(what, sizeof(what), "BAR%d through the config region %s",
			 i, when);
		ok &= EXPECT_EQ_HEX(got.bars[i], want->bars[i], what);
	}
	return ok;
}

/* Splits sysfs reset_method ("flr bus") into words. */
static int split_methods(char *list, char *methods[MAX_METHODS])
{
	char *save, *m;
	int n = 0;

	for (m = strtok_r(list, " ", &save); m && n < MAX_METHODS;
	     m = strtok_r(NULL, " ", &save))
		methods[n++] = m;
	return n;
}

/*
 * Memory decode and bus mastering on, so the command register is not what
 * a reset leaves behind; then every listed method, alone, must reset and
 * give the user back the same view.
 */
static void reset_by_each_method(const struct pci_func *f)
{
	char list[128], *methods[MAX_METHODS], what[96];
	struct config_view before;
	struct vfio_dev dev;
	uint16_t cmd;
	int i, n, ret;

	if (!EXPECT_OK(pci_reset_method(f->bdf, list, sizeof(list)),
		       "reading sysfs reset_method"))
		return;
	n = split_methods(list, methods);
	if (!n) {
		tap_diag("reset-method %s: none", f->bdf);
		tap_case_skip("%s has no reset method (covered by the no-method case)",
			      f->bdf);
		return;
	}
	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	EXPECT_TRUE(dev.info.flags & VFIO_DEVICE_FLAGS_RESET,
		    "VFIO_DEVICE_FLAGS_RESET with a reset method");
	if (!EXPECT_OK(vfio_config_read16(&dev, PCI_COMMAND, &cmd), "reading command"))
		goto out;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (!EXPECT_OK(vfio_config_write16(&dev, PCI_COMMAND, cmd),
		       "setting memory decode and bus master"))
		goto out;
	if (!read_view(&dev, &before))
		goto out;

	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "writing reset_method \"%s\"", methods[i]);
		if (!EXPECT_OK(pci_sysfs_write(f->bdf, "reset_method", methods[i]), what))
			continue;
		ret = vfio_ioctl(dev.fd, VFIO_DEVICE_RESET, NULL);
		snprintf(what, sizeof(what), "VFIO_DEVICE_RESET by %s", methods[i]);
		tap_diag("reset-method %s %s: %s", f->bdf, methods[i],
			 ret < 0 ? tap_errno_name(-ret) : "done");
		if (!EXPECT_OK(ret, what))
			continue;
		snprintf(what, sizeof(what), "after a reset by %s", methods[i]);
		expect_view(&dev, &before, what);
	}
out:
	/* "default" puts back every method the function supports. */
	EXPECT_OK(pci_sysfs_write(f->bdf, "reset_method", "default"),
		  "restoring reset_method");
	vfio_dev_close(&dev);
}

static void no_method_no_flag_and_refused(const struct pci_func *f)
{
	char list[128];
	struct vfio_dev dev;

	if (!EXPECT_OK(pci_reset_method(f->bdf, list, sizeof(list)),
		       "reading sysfs reset_method"))
		return;
	if (list[0]) {
		tap_case_skip("%s has reset methods (%s)", f->bdf, list);
		return;
	}
	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	EXPECT_TRUE(!(dev.info.flags & VFIO_DEVICE_FLAGS_RESET),
		    "no VFIO_DEVICE_FLAGS_RESET without a reset method");
	EXPECT_ERRNO(vfio_ioctl(dev.fd, VFIO_DEVICE_RESET, NULL), EINVAL,
		     "VFIO_DEVICE_RESET with no reset method");
	vfio_dev_close(&dev);
}

/* ---- Hot reset ---------------------------------------------------------- */

/* The info must list exactly the functions of the bus, each with its group. */
static void expect_info_is_bus(int device_fd, const char *bdf)
{
	struct vfio_pci_hot_reset_info *info;
	char funcs[16][PCI_BDF_LEN];
	char got[PCI_BDF_LEN], what[96];
	uint32_t i;
	int n, j;

	n = pci_bus_bdfs(bdf, funcs, ARRAY_SIZE(funcs));
	if (!EXPECT_GE(n, 1, "functions on the bus"))
		return;
	if (!EXPECT_OK(vfio_hot_reset_info(device_fd, &info),
		       "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO"))
		return;
	EXPECT_EQ(info->count, n, "affected devices (the functions on the bus)");
	EXPECT_EQ_HEX(info->flags, 0, "hot reset info flags (group ids, not dev ids)");
	for (i = 0; i < info->count; i++) {
		vfio_dependent_bdf(&info->devices[i], got, sizeof(got));
		tap_diag("hot-reset-info %s: %s group %u", bdf, got,
			 info->devices[i].group_id);
		for (j = 0; j < n; j++)
			if (!strcmp(funcs[j], got))
				break;
		snprintf(what, sizeof(what), "%s in the info is on the bus", got);
		if (!EXPECT_TRUE(j < n, what))
			continue;
		snprintf(what, sizeof(what), "group id of %s", got);
		EXPECT_EQ(info->devices[i].group_id, pci_iommu_group(got), what);
	}
	free(info);
}

static void lone_info_lists_it_with_group(void)
{
	struct vfio_dev dev;

	if (!EXPECT_OK(vfio_dev_open_group(&dev, LONE_BDF), "opening " LONE_BDF))
		return;
	expect_info_is_bus(dev.fd, LONE_BDF);
	vfio_dev_close(&dev);
}

static void lone_hot_reset_with_own_group_works(void)
{
	struct config_view before;
	struct vfio_dev dev;
	int32_t fds[1];

	if (!EXPECT_OK(vfio_dev_open_group(&dev, LONE_BDF), "opening " LONE_BDF))
		return;
	if (read_view(&dev, &before)) {
		fds[0] = dev.group_fd;
		if (EXPECT_OK(vfio_hot_reset(dev.fd, fds, 1),
			      "VFIO_DEVICE_PCI_HOT_RESET with the device's group"))
			expect_view(&dev, &before, "after the hot reset");
		tap_diag("reset-method %s bus (hot reset): done", LONE_BDF);
	}
	vfio_dev_close(&dev);
}

static void lone_hot_reset_without_groups_refused(void)
{
	struct vfio_dev dev;

	if (!EXPECT_OK(vfio_dev_open_group(&dev, LONE_BDF), "opening " LONE_BDF))
		return;
	EXPECT_ERRNO(vfio_hot_reset(dev.fd, NULL, 0), EINVAL,
		     "VFIO_DEVICE_PCI_HOT_RESET with no group");
	vfio_dev_close(&dev);
}

/* Another group the caller does own, but not the one the reset affects. */
static void lone_hot_reset_with_wrong_group_refused(void)
{
	struct vfio_dev dev, other;
	int32_t fds[1];

	if (!pci_function_exists(OTHER_BDF)) {
		tap_case_skip("no %s to own a second group", OTHER_BDF);
		return;
	}
	if (!EXPECT_OK(vfio_dev_open_group(&dev, LONE_BDF), "opening " LONE_BDF))
		return;
	if (!EXPECT_OK(vfio_dev_open_group(&other, OTHER_BDF), "opening " OTHER_BDF))
		goto out;
	fds[0] = other.group_fd;
	EXPECT_ERRNO(vfio_hot_reset(dev.fd, fds, 1), EINVAL,
		     "VFIO_DEVICE_PCI_HOT_RESET with another device's group");
	fds[0] = dev.container_fd;
	EXPECT_ERRNO(vfio_hot_reset(dev.fd, fds, 1), EINVAL,
		     "VFIO_DEVICE_PCI_HOT_RESET with a container fd as the group");
	fds[0] = -1;
	EXPECT_ERRNO(vfio_hot_reset(dev.fd, fds, 1), EBADF,
		     "VFIO_DEVICE_PCI_HOT_RESET with fd -1");
	vfio_dev_close(&other);
out:
	vfio_dev_close(&dev);
}

/* ---- The multifunction slot --------------------------------------------- */

static bool mf_present(void)
{
	if (!pci_function_exists(MF_BDF0) || !pci_function_exists(MF_BDF1)) {
		tap_case_skip("no multifunction slot at %s/%s (zoo)", MF_BDF0, MF_BDF1);
		return false;
	}
	return true;
}

static void mf_info_lists_both_functions(void)
{
	struct vfio_dev dev;

	if (!mf_present())
		return;
	if (!EXPECT_OK(vfio_dev_open_group(&dev, MF_BDF0), "opening " MF_BDF0))
		return;
	expect_info_is_bus(dev.fd, MF_BDF0);
	/* Measured: without ACS on the functions they share one IOMMU group. */
	tap_diag("groups: %s in %d, %s in %d", MF_BDF0, pci_iommu_group(MF_BDF0),
		 MF_BDF1, pci_iommu_group(MF_BDF1));
	vfio_dev_close(&dev);
}

static void mf_hot_reset_refused_without_groups(void)
{
	struct vfio_dev dev;

	if (!mf_present())
		return;
	if (!EXPECT_OK(vfio_dev_open_group(&dev, MF_BDF0), "opening " MF_BDF0))
		return;
	EXPECT_ERRNO(vfio_hot_reset(dev.fd, NULL, 0), EINVAL,
		     "hot reset of the slot with no group");
	vfio_dev_close(&dev);
}

/*
 * Both functions open through the one group fd that owns them, both reset
 * by the bus reset, and both keep the view their user had.
 */
static void mf_hot_reset_with_group_resets_both(void)
{
	struct config_view before0, before1;
	struct vfio_dev dev;
	int32_t fds[1];
	int fd1;

	if (!mf_present())
		return;
	if (pci_iommu_group(MF_BDF0) != pci_iommu_group(MF_BDF1)) {
		tap_diag("the slot's functions are in two groups: opening both");
	}
	if (!EXPECT_OK(vfio_dev_open_group(&dev, MF_BDF0), "opening " MF_BDF0))
		return;
	fd1 = vfio_group_get_device_fd(dev.group_fd, MF_BDF1);
	if (fd1 == -ENODEV) {
		tap_case_skip("%s is in another group than %s", MF_BDF1, MF_BDF0);
		goto out;
	}
	if (!EXPECT_OK(fd1, "opening " MF_BDF1 " from the same group"))
		goto out;
	if (!read_view(&dev, &before0))
		goto out_fd1;
	/* The second function's view, through its own fd. */
	{
		struct vfio_dev dev1 = dev;

		dev1.fd = fd1;
		if (!read_view(&dev1, &before1))
			goto out_fd1;
		fds[0] = dev.group_fd;
		if (EXPECT_OK(vfio_hot_reset(dev.fd, fds, 1),
			      "hot reset of the slot with its group, via function 0")) {
			expect_view(&dev, &before0, "of function 0 after the slot reset");
			expect_view(&dev1, &before1, "of function 1 after the slot reset");
		}
		EXPECT_OK(vfio_hot_reset(fd1, fds, 1),
			  "hot reset of the slot with its group, via function 1");
	}
	tap_diag("reset-method %s %s bus (slot hot reset): done", MF_BDF0, MF_BDF1);
out_fd1:
	close(fd1);
out:
	vfio_dev_close(&dev);
}

/* ---- Running ------------------------------------------------------------ */

static const struct {
	const char *name;
	void (*run)(void);
} fixed[] = {
	{ "hot_reset_info_lists_lone_function_with_group " LONE_BDF,
	  lone_info_lists_it_with_group },
	{ "hot_reset_with_own_group_works_and_keeps_config " LONE_BDF,
	  lone_hot_reset_with_own_group_works },
	{ "hot_reset_with_no_group_gives_einval " LONE_BDF,
	  lone_hot_reset_without_groups_refused },
	{ "hot_reset_with_wrong_group_or_fd_refused " LONE_BDF,
	  lone_hot_reset_with_wrong_group_refused },
	{ "hot_reset_info_lists_both_functions_of_slot " MF_BDF0,
	  mf_info_lists_both_functions },
	{ "hot_reset_of_slot_with_no_group_gives_einval " MF_BDF0,
	  mf_hot_reset_refused_without_groups },
	{ "hot_reset_of_slot_with_its_group_keeps_both_configs " MF_BDF0,
	  mf_hot_reset_with_group_resets_both },
};

int main(void)
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	const char *want = getenv("VFIO_TEST_DEVICE");
	bool lone = !want || !*want || strstr(LONE_BDF, want) ||
		    strstr(MF_BDF0, want);
	int i, n;
	size_t c;

	n = vfio_zoo_functions_or_skip(funcs, ARRAY_SIZE(funcs));
	tap_plan(2 * n + (lone ? ARRAY_SIZE(fixed) : 0));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	for (i = 0; i < n; i++) {
		tap_case_begin("device_reset_by_each_method_keeps_config %s",
			       funcs[i].bdf);
		reset_by_each_method(&funcs[i]);
		tap_case_end();
		tap_case_begin("no_reset_method_no_flag_and_reset_gives_einval %s",
			       funcs[i].bdf);
		no_method_no_flag_and_refused(&funcs[i]);
		tap_case_end();
	}
	for (c = 0; lone && c < ARRAY_SIZE(fixed); c++) {
		tap_case_begin("%s", fixed[c].name);
		fixed[c].run();
		tap_case_end();
	}
	tap_finish();
}
