// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binding a PCI function to vfio-pci and back, through sysfs only.
 *
 * The cases of one device run in order and each leaves the state the next
 * expects: bound, unbound, bound again, then the "nothing autobinds" check,
 * which ends by binding the device back.  Whatever happens, every device is
 * left bound to vfio-pci (the runner's contract) by restore_binding().
 */
#include <string.h>

#include "vfio_util.h"

#define VFIO_PCI	"vfio-pci"
#define NODE_TIMEOUT_MS	2000

static bool expect_driver(const struct pci_func *f, const char *want)
{
	char driver[64];
	int ret;

	ret = pci_driver_name(f->bdf, driver, sizeof(driver));
	if (!EXPECT_OK(ret, "reading the bound driver"))
		return false;
	return EXPECT_STREQ(driver, want, "bound driver");
}

static bool expect_group_node(int group, bool present)
{
	return tap_check(vfio_wait_group_node(group, present, NODE_TIMEOUT_MS) == 0,
			 "/dev/vfio/%d: expected it to %s within %d ms, it %s",
			 group, present ? "exist" : "be gone", NODE_TIMEOUT_MS,
			 present ? "does not" : "is still there");
}

static int group_or_fail(const struct pci_func *f)
{
	int group = pci_iommu_group(f->bdf);

	EXPECT_OK(group, "reading iommu_group");
	return group;
}

static void bound_with_group_node(const struct pci_func *f)
{
	int group = group_or_fail(f);

	expect_driver(f, VFIO_PCI);
	if (group >= 0)
		expect_group_node(group, true);
}

static void unbind_while_closed_removes_node(const struct pci_func *f)
{
	int group = group_or_fail(f);
	int members;

	if (group < 0)
		return;
	if (!EXPECT_OK(pci_unbind(f->bdf), "unbind"))
		return;
	expect_driver(f, "");
	/* The node belongs to the group: other members keep it alive. */
	members = vfio_group_size(group);
	if (members != 1) {
		tap_diag("group %d has %d functions: not checking its node",
			 group, members);
		return;
	}
	expect_group_node(group, false);
}

static void rebind_restores_node(const struct pci_func *f)
{
	int group = group_or_fail(f);

	if (!EXPECT_OK(pci_bind(f->bdf, VFIO_PCI),
		       "driver_override=vfio-pci + drivers_probe"))
		return;
	expect_driver(f, VFIO_PCI);
	if (group >= 0)
		expect_group_node(group, true);
}

/*
 * vfio-pci matches everything, but only through driver_override: with the
 * override empty, a probe of a driverless function must not pick it.
 */
static void empty_override_does_not_autobind(const struct pci_func *f)
{
	char driver[64];
	int ret;

	if (!EXPECT_OK(pci_unbind(f->bdf), "unbind"))
		return;
	if (!EXPECT_OK(pci_set_driver_override(f->bdf, ""),
		       "clearing driver_override"))
		goto restore;
	/* Whether this write fails when no driver matches is not the point. */
	ret = pci_probe(f->bdf);
	if (ret)
		tap_diag("drivers_probe with no override: %s", tap_errno_name(-ret));
	ret = pci_driver_name(f->bdf, driver, sizeof(driver));
	if (EXPECT_OK(ret, "reading the bound driver")) {
		tap_check(strcmp(driver, VFIO_PCI) != 0,
			  "bound driver: expected anything but vfio-pci, got it");
		if (*driver)
			tap_diag("another driver took the device: %s", driver);
	}
restore:
	EXPECT_OK(pci_bind(f->bdf, VFIO_PCI), "binding back to vfio-pci");
	expect_driver(f, VFIO_PCI);
}

static void restore_binding(const struct pci_func *f)
{
	char driver[64];
	int ret;

	if (pci_driver_name(f->bdf, driver, sizeof(driver)) >= 0 &&
	    !strcmp(driver, VFIO_PCI))
		return;
	ret = pci_bind(f->bdf, VFIO_PCI);
	tap_diag("%s was left unbound; binding it back: %s", f->bdf,
		 ret ? tap_errno_name(-ret) : "done");
}

static const struct vfio_test_case cases[] = {
	{ "bound_to_vfio_pci_and_group_node_exists", bound_with_group_node },
	{ "unbind_while_closed_removes_group_node", unbind_while_closed_removes_node },
	{ "rebind_via_driver_override_restores_group_node", rebind_restores_node },
	{ "empty_driver_override_is_not_autobound", empty_override_does_not_autobind },
};

int main(void)
{
	vfio_run_cases(cases, ARRAY_SIZE(cases), restore_binding);
}
