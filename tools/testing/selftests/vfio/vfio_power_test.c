// SPDX-License-Identifier: GPL-2.0-only
/*
 * Power management of functions bound to vfio-pci: the D-state sysfs shows
 * when idle and when open, PMCSR writes through the config region, and the
 * low-power device features (LOW_POWER_ENTRY, ..._WITH_WAKEUP, ..._EXIT).
 *
 * Only functions with the PCI PM capability (e1000e, nvme) can leave D0;
 * the others skip.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reset_util.h"

/* Runtime suspend is asynchronous: how long sysfs may lag behind. */
#define STATE_TIMEOUT_MS	3000

static bool has_pm(const struct pci_func *f)
{
	int pm = pci_find_capability(f->bdf, PCI_CAP_ID_PM);

	if (pm < 0) {
		EXPECT_OK(pm, "looking for the PM capability in sysfs config");
		return false;
	}
	if (!pm)
		tap_case_skip("%s has no PCI PM capability: always D0", f->bdf);
	return pm > 0;
}

static bool idle_d3_disabled(void)
{
	char val[8] = "";

	module_param_read("vfio_pci", "disable_idle_d3", val, sizeof(val));
	return val[0] == 'Y';
}

static bool expect_state(const struct pci_func *f, const char *want,
			 int timeout_ms, const char *when)
{
	char got[32] = "", what[96];
	int ret;

	ret = pci_wait_attr(f->bdf, "power_state", want, timeout_ms, got,
			    sizeof(got));
	snprintf(what, sizeof(what), "power_state %s", when);
	if (ret == -ETIMEDOUT)
		return tap_check(false, "%s: expected \"%s\", got \"%s\"", what,
				 want, got);
	return EXPECT_OK(ret, what);
}

static void idle_d3hot_open_d0(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!has_pm(f))
		return;
	expect_state(f, idle_d3_disabled() ? "D0" : "D3hot", STATE_TIMEOUT_MS,
		     "of the bound, idle function");
	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	expect_state(f, "D0", 0, "while the device is open");
	vfio_dev_close(&dev);
}

/*
 * The user moves the function to D3hot and back by writing PMCSR through
 * the config region; the PCI core's view (sysfs) follows, and the command
 * register the user set survives the round trip.
 */
static void pmcsr_write_moves_state(const struct pci_func *f)
{
	uint16_t pmcsr, cmd, cmd_after;
	struct vfio_dev dev;
	int pm;

	if (!has_pm(f))
		return;
	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	pm = vfio_find_capability(&dev, PCI_CAP_ID_PM);
	if (!EXPECT_GE(pm, 0x40, "PM capability through the config region"))
		goto out;
	if (!EXPECT_OK(vfio_config_read16(&dev, PCI_COMMAND, &cmd), "reading command") ||
	    !EXPECT_OK(vfio_config_write16(&dev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY),
		       "enabling memory decode") ||
	    !EXPECT_OK(vfio_config_read16(&dev, PCI_COMMAND, &cmd), "reading command"))
		goto out;
	if (!EXPECT_OK(vfio_config_read16(&dev, pm + PCI_PM_CTRL, &pmcsr), "reading PMCSR"))
		goto out;
	EXPECT_EQ(pmcsr & PCI_PM_CTRL_STATE_MASK, 0, "PMCSR state while open");

	if (!EXPECT_OK(vfio_config_write16(&dev, pm + PCI_PM_CTRL,
					   (pmcsr & ~PCI_PM_CTRL_STATE_MASK) | 3),
		       "writing D3hot to PMCSR"))
		goto out;
	expect_state(f, "D3hot", STATE_TIMEOUT_MS, "after writing D3hot to PMCSR");
	if (EXPECT_OK(vfio_config_read16(&dev, pm + PCI_PM_CTRL, &pmcsr),
		      "reading PMCSR in D3hot"))
		EXPECT_EQ(pmcsr & PCI_PM_CTRL_STATE_MASK, 3, "PMCSR state after writing D3hot");

	if (!EXPECT_OK(vfio_config_write16(&dev, pm + PCI_PM_CTRL,
					   pmcsr & ~PCI_PM_CTRL_STATE_MASK),
		       "writing D0 to PMCSR"))
		goto out;
	expect_state(f, "D0", STATE_TIMEOUT_MS, "after writing D0 to PMCSR");
	if (EXPECT_OK(vfio_config_read16(&dev, pm + PCI_PM_CTRL, &pmcsr),
		      "reading PMCSR back in D0"))
		EXPECT_EQ(pmcsr & PCI_PM_CTRL_STATE_MASK, 0, "PMCSR state after writing D0");
	if (EXPECT_OK(vfio_config_read16(&dev, PCI_COMMAND, &cmd_after),
		      "reading command after D3hot->D0"))
		EXPECT_EQ_HEX(cmd_after, cmd, "command register after D3hot->D0");
out:
	vfio_dev_close(&dev);
}

static void low_power_probe(const struct pci_func *f)
{
	static const uint32_t features[] = {
		VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
		VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
		VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
	};
	struct vfio_dev dev;
	char what[96];
	size_t i;

	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	for (i = 0; i < ARRAY_SIZE(features); i++) {
		snprintf(what, sizeof(what), "PROBE|SET of low-power feature %u",
			 features[i]);
		EXPECT_OK(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_PROBE |
					      VFIO_DEVICE_FEATURE_SET | features[i],
					      NULL, 0), what);
		snprintf(what, sizeof(what), "PROBE|GET of low-power feature %u",
			 features[i]);
		EXPECT_ERRNO(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_PROBE |
						 VFIO_DEVICE_FEATURE_GET | features[i],
						 NULL, 0), EINVAL, what);
	}
	vfio_dev_close(&dev);
}

static void low_power_entry_exit(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!has_pm(f))
		return;
	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	if (!EXPECT_OK(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_SET |
					   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
					   NULL, 0), "SET LOW_POWER_ENTRY"))
		goto out;
	expect_state(f, "D3hot", STATE_TIMEOUT_MS, "after LOW_POWER_ENTRY");
	EXPECT_OK(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_SET |
				      VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0),
		  "SET LOW_POWER_EXIT");
	expect_state(f, "D0", STATE_TIMEOUT_MS, "after LOW_POWER_EXIT");
out:
	vfio_dev_close(&dev);
}

/*
 * With a wakeup eventfd the host tells the user when the device left low
 * power; LOW_POWER_EXIT after entry is such a wakeup.
 */
static void low_power_wakeup_eventfd(const struct pci_func *f)
{
	struct vfio_device_low_power_entry_with_wakeup entry = { 0 };
	struct vfio_dev dev;
	long long fired;
	int efd;

	if (!has_pm(f))
		return;
	efd = eventfd_new();
	if (!EXPECT_OK(efd, "eventfd"))
		return;
	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		goto out_efd;
	entry.wakeup_eventfd = efd;
	if (!EXPECT_OK(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_SET |
					   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
					   &entry, sizeof(entry)),
		       "SET LOW_POWER_ENTRY_WITH_WAKEUP"))
		goto out;
	expect_state(f, "D3hot", STATE_TIMEOUT_MS, "after LOW_POWER_ENTRY_WITH_WAKEUP");
	EXPECT_EQ(eventfd_wait(efd, 0), -ETIMEDOUT, "wakeup eventfd while in low power");
	EXPECT_OK(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_SET |
				      VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0),
		  "SET LOW_POWER_EXIT");
	expect_state(f, "D0", STATE_TIMEOUT_MS, "after LOW_POWER_EXIT");
	fired = eventfd_wait(efd, 1000);
	tap_diag("wakeup eventfd after LOW_POWER_EXIT: %lld", fired);
	EXPECT_GE(fired, 1, "wakeup eventfd count after LOW_POWER_EXIT");
out:
	vfio_dev_close(&dev);
out_efd:
	close(efd);
}

static void low_power_wakeup_bad_eventfd(const struct pci_func *f)
{
	struct vfio_device_low_power_entry_with_wakeup entry = {
		.wakeup_eventfd = -1,
	};
	struct vfio_dev dev;

	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	EXPECT_ERRNO(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_SET |
					 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
					 &entry, sizeof(entry)), EINVAL,
		     "LOW_POWER_ENTRY_WITH_WAKEUP with eventfd -1");
	EXPECT_ERRNO(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_SET |
					 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
					 &entry, sizeof(entry) - 1), EINVAL,
		     "LOW_POWER_ENTRY_WITH_WAKEUP with a short argsz");
	vfio_dev_close(&dev);
}

static const struct vfio_test_case cases[] = {
	{ "idle_bound_function_d3hot_and_d0_while_open", idle_d3hot_open_d0 },
	{ "pmcsr_write_through_config_moves_d_state", pmcsr_write_moves_state },
	{ "low_power_features_probe_set_only", low_power_probe },
	{ "low_power_entry_d3hot_and_exit_d0", low_power_entry_exit },
	{ "low_power_entry_with_wakeup_signals_on_exit", low_power_wakeup_eventfd },
	{ "low_power_entry_with_wakeup_bad_eventfd_refused", low_power_wakeup_bad_eventfd },
};

int main(void)
{
	vfio_run_cases(cases, ARRAY_SIZE(cases), NULL);
}
