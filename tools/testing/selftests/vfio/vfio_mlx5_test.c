// SPDX-License-Identifier: GPL-2.0-only
/*
 * mlx5-vfio-pci (mlx5/mlx5-vfio-pci.ko) against our vfio-pci-core, without
 * ConnectX hardware: the module loads on top of mlx5_core and our core, it
 * publishes only its override-only alias for the ConnectX VF, binds nothing
 * by itself, and a function that is no mlx5 VF (pci-testdev) bound to it by
 * driver_override is a plain VFIO device: it opens, its config space reads
 * as in sysfs, and it has no migration feature.
 *
 * The cases run in order on one function and each leaves the state the next
 * expects; the last ones unbind, unload the module, give the function back
 * to vfio-pci (the runner's contract) and unload mlx5_core if this program
 * loaded it, whatever failed before.  A case whose precondition failed
 * earlier skips and names it; the earlier case carries the failure.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "install_util.h"
#include "reset_util.h"
#include "vfio_util.h"

#define PCI_VENDOR_ID_REDHAT	0x1b36
#define PCI_DEVICE_ID_TESTDEV	0x0005

#define PCI_CLASS_REVISION	0x08

#define VFIO_PCI		"vfio-pci"
#define MLX5_DRIVER		"mlx5-vfio-pci"
#define MLX5_MODULE		"mlx5_vfio_pci"
#define MLX5_CORE		"mlx5_core"
/* Relative to the directory of this program: the repository's mlx5/. */
#define MLX5_KO			"../../../../mlx5/mlx5-vfio-pci.ko"
/* The ConnectX VF, override-only: modpost's "vfio_pci:" form. */
#define MLX5_ALIAS		"vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"

#define NODE_TIMEOUT_MS		5000

static struct {
	struct pci_func func;
	char ko[PATH_MAX];
	bool core_loaded;	/* mlx5_core there, by us or before us */
	bool core_ours;		/* loaded by us, so ours to unload */
	bool loaded;		/* mlx5-vfio-pci, by us */
	bool bound;		/* the function, to mlx5-vfio-pci */
	bool open;
	struct vfio_dev dev;
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

static void close_dev(void)
{
	if (t.open)
		vfio_dev_close(&t.dev);
	t.open = false;
}

/* ---- cases -------------------------------------------------------------- */

static void mlx5_core_loads(void)
{
	struct cmd c;

	if (module_loaded(MLX5_CORE)) {
		t.core_loaded = true;
		tap_diag("mlx5_core was loaded already; it stays");
		return;
	}
	cmd_run(&c, "modprobe", MLX5_CORE, NULL);
	if (expect_cmd_success("modprobe " MLX5_CORE, &c)) {
		t.core_ours = true;
		t.core_loaded = EXPECT_TRUE(module_loaded(MLX5_CORE),
					    "/sys/module/" MLX5_CORE);
	}
	cmd_free(&c);
}

static void module_loads(void)
{
	if (needs(t.core_loaded, "mlx5_core"))
		return;
	if (!tap_check(access(t.ko, R_OK) == 0,
		       "%s: not there; \"make vm-build\" builds it", t.ko))
		return;
	if (!EXPECT_OK(module_load(t.ko, ""), "finit_module of mlx5-vfio-pci"))
		return;
	t.loaded = true;
	EXPECT_TRUE(module_loaded(MLX5_MODULE), "/sys/module/" MLX5_MODULE);
}

/* It links against our core and mlx5_core, not against Debian's vfio-pci-core. */
static void module_holds_core_and_mlx5_core(void)
{
	if (needs(t.loaded, "the mlx5-vfio-pci module"))
		return;
	EXPECT_TRUE(access("/sys/module/vfio_pci_core/holders/" MLX5_MODULE,
			   F_OK) == 0,
		    "/sys/module/vfio_pci_core/holders/" MLX5_MODULE);
	EXPECT_TRUE(access("/sys/module/" MLX5_CORE "/holders/" MLX5_MODULE,
			   F_OK) == 0,
		    "/sys/module/" MLX5_CORE "/holders/" MLX5_MODULE);
}

/* Exactly one alias, the override-only one; no "pci:" entry to autoload. */
static void alias_is_override_only(void)
{
	struct cmd c;
	size_t len;

	if (!tap_check(access(t.ko, R_OK) == 0, "%s: not there", t.ko))
		return;
	cmd_run(&c, "modinfo", "-F", "alias", t.ko, NULL);
	if (expect_cmd_success("modinfo -F alias", &c)) {
		len = strlen(c.out);
		if (len && c.out[len - 1] == '\n')
			c.out[len - 1] = '\0';
		EXPECT_STREQ(c.out, MLX5_ALIAS, "the module's aliases");
	}
	cmd_free(&c);
}

/*
 * The only id is the ConnectX VF's and it is override-only: pci-testdev
 * stays without a driver when probed with driver_override cleared.
 */
static void no_bind_without_override(void)
{
	if (needs(t.loaded, "the mlx5-vfio-pci module"))
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
	if (needs(t.loaded, "the mlx5-vfio-pci module"))
		return;
	if (!EXPECT_OK(pci_bind(t.func.bdf, MLX5_DRIVER),
		       "driver_override + unbind + drivers_probe"))
		return;
	if (!expect_driver(MLX5_DRIVER))
		return;
	t.bound = true;
	expect_group_node();
}

static void opens_through_group(void)
{
	if (needs(t.bound, "pci-testdev bound to mlx5-vfio-pci"))
		return;
	if (!EXPECT_OK(vfio_dev_open(&t.dev, t.func.bdf),
		       "container + group + device fd"))
		return;
	t.open = true;
	tap_check(t.dev.info.flags & VFIO_DEVICE_FLAGS_PCI,
		  "device flags: expected VFIO_DEVICE_FLAGS_PCI, got 0x%x",
		  t.dev.info.flags);
	EXPECT_EQ(t.dev.info.num_regions, VFIO_PCI_NUM_REGIONS,
		  "num_regions (the nine fixed ones, nothing of the driver's)");
}

/* No mlx5 VF, no migration: the VFIO core answers for a device without it. */
static void no_migration_feature(void)
{
	struct vfio_device_feature_migration mig = { 0 };
	struct vfio_device_feature_mig_state state = { 0 };

	if (needs(t.open, "the open device"))
		return;
	EXPECT_ERRNO(vfio_device_feature(t.dev.fd, VFIO_DEVICE_FEATURE_PROBE |
					 VFIO_DEVICE_FEATURE_GET |
					 VFIO_DEVICE_FEATURE_MIGRATION,
					 &mig, sizeof(mig)),
		     ENOTTY, "PROBE|GET of VFIO_DEVICE_FEATURE_MIGRATION");
	EXPECT_ERRNO(vfio_device_feature(t.dev.fd, VFIO_DEVICE_FEATURE_GET |
					 VFIO_DEVICE_FEATURE_MIGRATION,
					 &mig, sizeof(mig)),
		     ENOTTY, "GET of VFIO_DEVICE_FEATURE_MIGRATION");
	EXPECT_ERRNO(vfio_device_feature(t.dev.fd, VFIO_DEVICE_FEATURE_PROBE |
					 VFIO_DEVICE_FEATURE_GET |
					 VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
					 &state, sizeof(state)),
		     ENOTTY, "PROBE|GET of VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE");
}

/* The core's config virtualization answers for mlx5-vfio-pci too. */
static void config_reads_match_sysfs(void)
{
	const uint32_t offs[] = { 0, PCI_CLASS_REVISION };
	uint32_t got, want;
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

/* Every module reference an open took is dropped by close and unbind. */
static void unloads_after_unbind(void)
{
	char driver[64];

	close_dev();
	if (needs(t.loaded, "the mlx5-vfio-pci module"))
		return;
	/* Whatever the earlier cases managed, the driver must let go first. */
	if (pci_driver_name(t.func.bdf, driver, sizeof(driver)) >= 0 &&
	    !strcmp(driver, MLX5_DRIVER))
		EXPECT_OK(pci_unbind(t.func.bdf), "unbinding from mlx5-vfio-pci");
	t.bound = false;
	if (!EXPECT_OK(module_unload(MLX5_MODULE), "delete_module of mlx5-vfio-pci"))
		return;
	t.loaded = false;
	EXPECT_TRUE(!module_loaded(MLX5_MODULE), "/sys/module/" MLX5_MODULE " gone");
}

static void rebinds_to_vfio_pci(void)
{
	if (!EXPECT_OK(pci_bind(t.func.bdf, VFIO_PCI),
		       "driver_override + unbind + drivers_probe"))
		return;
	if (expect_driver(VFIO_PCI))
		expect_group_node();
}

static void mlx5_core_unloads(void)
{
	struct cmd c;

	if (!t.core_ours) {
		tap_case_skip("mlx5_core was not loaded by this program");
		return;
	}
	if (needs(!t.loaded, "mlx5-vfio-pci unloaded"))
		return;
	cmd_run(&c, "modprobe", "-r", MLX5_CORE, NULL);
	if (expect_cmd_success("modprobe -r " MLX5_CORE, &c))
		EXPECT_TRUE(!module_loaded(MLX5_CORE), "/sys/module/" MLX5_CORE " gone");
	cmd_free(&c);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "mlx5_core_loads", mlx5_core_loads },
	{ "mlx5_vfio_pci_loads_against_our_core", module_loads },
	{ "mlx5_vfio_pci_holds_vfio_pci_core_and_mlx5_core", module_holds_core_and_mlx5_core },
	{ "mlx5_vfio_pci_alias_is_override_only_connectx_vf", alias_is_override_only },
	{ "mlx5_vfio_pci_does_not_bind_without_driver_override", no_bind_without_override },
	{ "driver_override_binds_pci_testdev_to_mlx5_vfio_pci", binds_by_override },
	{ "non_mlx5_device_opens_through_its_group", opens_through_group },
	{ "non_mlx5_device_has_no_migration_feature", no_migration_feature },
	{ "config_reads_under_mlx5_vfio_pci_match_sysfs", config_reads_match_sysfs },
	{ "mlx5_vfio_pci_unloads_after_unbind", unloads_after_unbind },
	{ "pci_testdev_rebinds_to_vfio_pci", rebinds_to_vfio_pci },
	{ "mlx5_core_unloads_if_loaded_here", mlx5_core_unloads },
};


int main(void)
{
	char driver[64];
	size_t i;
	int ret;

	vfio_test_require_ours("mlx5-vfio-pci links against our core");

	ret = pci_find_functions(PCI_VENDOR_ID_REDHAT, PCI_DEVICE_ID_TESTDEV, &t.func, 1);
	if (ret < 0)
		tap_bail_out("listing PCI functions: %s", tap_errno_name(-ret));
	if (ret == 0)
		tap_skip_all("no pci-testdev (1b36:0005)%s%s",
			     getenv("VFIO_TEST_DEVICE") ? " matching " : "",
			     getenv("VFIO_TEST_DEVICE") ?: "");
	ret = vfio_test_path(MLX5_KO, t.ko, sizeof(t.ko));
	if (ret)
		tap_bail_out("locating mlx5-vfio-pci.ko: %s", tap_errno_name(-ret));
	t.dev.fd = t.dev.group_fd = t.dev.container_fd = -1;

	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	if (pci_driver_name(t.func.bdf, driver, sizeof(driver)) >= 0)
		tap_diag("device %s (pci-testdev), bound to \"%s\"; module %s",
			 t.func.bdf, driver, t.ko);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tap_case_begin("%s %s", cases[i].name, t.func.bdf);
		cases[i].run();
		tap_case_end();
	}
	tap_finish();
}
