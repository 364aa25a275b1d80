// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_pci's module parameters and what binds when it loads.
 *
 * The parameters must have the reference's names and sysfs modes, live on
 * vfio_pci only, and the run-time writable ones must take a write.  Then
 * vfio_pci is reloaded several times: with no driver_override anywhere and
 * no "ids" nothing may bind; "ids" binds the functions it names (and only
 * those); a malformed entry is skipped.  On our lane the denylist is shown
 * with vfio-pci-denytest.ko, this folder's build of our vfio_pci.c with
 * pci-testdev on its denylist: refused at probe, bound with
 * disable_denylist=1.
 *
 * Every function bound to vfio-pci when the program starts is bound again
 * (by driver_override) when it ends, whatever happened in between.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "install_util.h"
#include "reset_util.h"
#include "vfio_util.h"

#define VFIO_PCI	"vfio-pci"
#define DRIVER_DIR	"/sys/bus/pci/drivers/" VFIO_PCI
#define PARAM_DIR	"/sys/module/vfio_pci/parameters"
#define MAX_BOUND	64

#define TESTDEV_IDS	"1b36:0005"
/* edu by class: vendor 1234, any device and subsystem, class 00ff00. */
#define EDU_BY_CLASS	"1234:ffffffff:ffffffff:ffffffff:00ff00:ffffff"

static struct {
	char bound[MAX_BOUND][PCI_BDF_LEN];	/* bound to vfio-pci at start */
	int nr_bound;
	char repo[PATH_MAX];
	bool loaded;				/* vfio_pci (or denytest) in */
} t;

/* ---- Loading and unloading ---------------------------------------------- */

static int run_cmd(const char *cmd)
{
	int status = system(cmd);

	if (status < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status) ? -EIO : 0;
}

/* vfio_pci of the lane under test, with @params. */
static int load_vfio_pci(const char *params)
{
	char path[PATH_MAX + 32], cmd[512];
	int ret;

	if (vfio_test_driver() == VFIO_TEST_DRIVER_OURS) {
		snprintf(path, sizeof(path), "%s/vfio-pci.ko", t.repo);
		ret = module_load(path, params);
	} else {
		snprintf(cmd, sizeof(cmd), "modprobe vfio_pci %s", params);
		ret = run_cmd(cmd);
	}
	if (!ret)
		t.loaded = true;
	return ret;
}

static int load_denytest(const char *params)
{
	char path[PATH_MAX + 64];
	int ret;

	snprintf(path, sizeof(path),
		 "%s/tools/testing/selftests/vfio/denylist/vfio-pci-denytest.ko", t.repo);
	ret = module_load(path, params);
	if (!ret)
		t.loaded = true;
	return ret;
}

/* Whichever module provides the vfio-pci driver now. */
static int unload_vfio_pci(void)
{
	int ret = 0;

	if (module_loaded("vfio_pci"))
		ret = module_unload("vfio_pci");
	if (!ret && module_loaded("vfio_pci_denytest"))
		ret = module_unload("vfio_pci_denytest");
	if (!ret)
		t.loaded = false;
	return ret;
}

/* ---- Who is bound -------------------------------------------------------- */

static bool is_bound_to_vfio(const char *bdf)
{
	char driver[64];

	return pci_driver_name(bdf, driver, sizeof(driver)) > 0 &&
	       !strcmp(driver, VFIO_PCI);
}

static int nr_bound_now(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(DRIVER_DIR);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strchr(de->d_name, ':'))
			n++;
	closedir(d);
	return n;
}

static void record_bound(void)
{
	struct dirent *de;
	DIR *d;

	d = opendir(DRIVER_DIR);
	if (!d)
		return;
	while ((de = readdir(d)) && t.nr_bound < MAX_BOUND)
		if (strchr(de->d_name, ':') && strlen(de->d_name) < PCI_BDF_LEN)
			memcpy(t.bound[t.nr_bound++], de->d_name, strlen(de->d_name) + 1);
	closedir(d);
}

/* Unbinds everything from vfio-pci and clears the overrides, then unloads. */
static bool release_all(void)
{
	bool ok = true;
	int i;

	for (i = 0; i < t.nr_bound; i++) {
		ok &= EXPECT_OK(pci_set_driver_override(t.bound[i], NULL),
				"clearing driver_override");
		if (is_bound_to_vfio(t.bound[i]))
			ok &= EXPECT_OK(pci_unbind(t.bound[i]), "unbinding from vfio-pci");
	}
	if (t.loaded || module_loaded("vfio_pci") || module_loaded("vfio_pci_denytest"))
		ok &= EXPECT_OK(unload_vfio_pci(), "unloading vfio_pci");
	return ok;
}

/*
 * Back to how the runner left things: our vfio_pci (or the reference's) in
 * and every recorded function bound to it by override.  Quiet: it is the
 * last case's work and the safety net after it.
 */
static int restore_all(void)
{
	int i, failed = 0;

	if (module_loaded("vfio_pci_denytest")) {
		for (i = 0; i < t.nr_bound; i++) {
			pci_set_driver_override(t.bound[i], NULL);
			if (is_bound_to_vfio(t.bound[i]))
				pci_unbind(t.bound[i]);
		}
		module_unload("vfio_pci_denytest");
	}
	if (!module_loaded("vfio_pci") && load_vfio_pci(""))
		return -1;
	for (i = 0; i < t.nr_bound; i++)
		if (!is_bound_to_vfio(t.bound[i]) && pci_bind(t.bound[i], VFIO_PCI))
			failed++;
	return failed;
}

/* The functions of the zoo with these ids, in t.bound order. */
static bool expect_binding(uint16_t vendor, uint16_t device, bool want)
{
	char id[16];
	bool ok = true;
	int i;

	for (i = 0; i < t.nr_bound; i++) {
		unsigned long v = 0, d = 0;

		if (pci_sysfs_read(t.bound[i], "vendor", id, sizeof(id)) >= 0)
			v = strtoul(id, NULL, 16);
		if (pci_sysfs_read(t.bound[i], "device", id, sizeof(id)) >= 0)
			d = strtoul(id, NULL, 16);
		if (v != vendor || (device != 0xffff && d != device))
			continue;
		ok &= tap_check(is_bound_to_vfio(t.bound[i]) == want,
				"%s (%04lx:%04lx): expected %s vfio-pci", t.bound[i], v, d,
				want ? "bound to" : "not bound to");
	}
	return ok;
}

static const char *find_bound(uint16_t vendor, uint16_t device)
{
	char id[16];
	int i;

	for (i = 0; i < t.nr_bound; i++) {
		if (pci_sysfs_read(t.bound[i], "vendor", id, sizeof(id)) < 0 ||
		    strtoul(id, NULL, 16) != vendor)
			continue;
		if (pci_sysfs_read(t.bound[i], "device", id, sizeof(id)) < 0 ||
		    strtoul(id, NULL, 16) != device)
			continue;
		return t.bound[i];
	}
	return NULL;
}

/* ---- Cases ---------------------------------------------------------------- */

static const struct {
	const char *name;
	mode_t mode;
} params[] = {
	{ "nointxmask", 0644 },
	{ "disable_vga", 0444 },
	{ "disable_idle_d3", 0644 },
	{ "enable_sriov", 0644 },
	{ "disable_denylist", 0444 },
};

static void params_have_reference_modes(void)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(params); i++) {
		snprintf(path, sizeof(path), PARAM_DIR "/%s", params[i].name);
		if (!tap_check(stat(path, &st) == 0, "%s: %s", path, strerror(errno)))
			continue;
		tap_check((st.st_mode & 0777) == params[i].mode, "%s: mode %03o, expected %03o",
			  path, st.st_mode & 0777, params[i].mode);
	}
	/* "ids" is read once at load: no sysfs file. */
	EXPECT_TRUE(access(PARAM_DIR "/ids", F_OK) != 0, "no sysfs file for ids");
}

static void core_has_no_params(void)
{
	EXPECT_TRUE(module_loaded("vfio_pci_core"), "vfio_pci_core loaded");
	EXPECT_TRUE(access("/sys/module/vfio_pci_core/parameters", F_OK) != 0,
		    "/sys/module/vfio_pci_core/parameters absent");
}

static void runtime_params_take_writes(void)
{
	static const char * const names[] = { "nointxmask", "disable_idle_d3" };
	char val[8];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!EXPECT_OK(module_param_write("vfio_pci", names[i], "Y"), names[i]))
			continue;
		if (EXPECT_OK(module_param_read("vfio_pci", names[i], val, sizeof(val)), names[i]))
			EXPECT_STREQ(val, "Y", "value read back after writing Y");
		EXPECT_OK(module_param_write("vfio_pci", names[i], "N"), names[i]);
		if (EXPECT_OK(module_param_read("vfio_pci", names[i], val, sizeof(val)), names[i]))
			EXPECT_STREQ(val, "N", "value read back after writing N");
	}
	EXPECT_ERRNO(module_param_write("vfio_pci", "disable_vga", "Y"), EACCES,
		     "writing the read-only disable_vga");
}

static void nothing_binds_without_override_or_ids(void)
{
	if (!release_all())
		return;
	if (!EXPECT_OK(load_vfio_pci(""), "loading vfio_pci without ids"))
		return;
	usleep(500 * 1000);
	EXPECT_EQ(nr_bound_now(), 0, "functions bound to vfio-pci");
	expect_binding(0x1b36, 0xffff, false);
}

static void ids_bind_named_functions_only(void)
{
	if (!release_all())
		return;
	if (!EXPECT_OK(load_vfio_pci("ids=" TESTDEV_IDS "," EDU_BY_CLASS),
		       "loading vfio_pci ids=" TESTDEV_IDS "," EDU_BY_CLASS))
		return;
	usleep(500 * 1000);
	expect_binding(0x1b36, 0x0005, true);	/* pci-testdev by vendor:device */
	expect_binding(0x1234, 0x11e8, true);	/* edu by class */
	expect_binding(0x8086, 0xffff, false);	/* Intel NICs: not named */
	expect_binding(0x1b36, 0x0010, false);	/* nvme: not named */
}

static void malformed_ids_entry_skipped(void)
{
	if (!release_all())
		return;
	if (!EXPECT_OK(load_vfio_pci("ids=zz:yy," TESTDEV_IDS),
		       "loading vfio_pci ids=zz:yy," TESTDEV_IDS))
		return;
	usleep(500 * 1000);
	expect_binding(0x1b36, 0x0005, true);
	EXPECT_EQ(nr_bound_now(), 1, "functions bound to vfio-pci");
}

static void denylisted_refused_at_probe(void)
{
	const char *testdev = find_bound(0x1b36, 0x0005);
	char bind_path[] = DRIVER_DIR "/bind";
	int fd, ret;

	if (vfio_test_case_ours_only("vfio-pci-denytest.ko is our vfio_pci.c; the reference's denylist names only devices QEMU does not emulate"))
		return;
	if (!testdev) {
		tap_case_skip("no pci-testdev bound to vfio-pci at start");
		return;
	}
	if (!release_all())
		return;
	if (!EXPECT_OK(load_denytest(""), "loading vfio-pci-denytest.ko"))
		return;
	EXPECT_OK(pci_set_driver_override(testdev, VFIO_PCI), "driver_override vfio-pci");
	fd = open(bind_path, O_WRONLY | O_CLOEXEC);
	if (!EXPECT_GE(fd, 0, "opening the driver's bind file"))
		return;
	ret = write(fd, testdev, strlen(testdev)) < 0 ? -errno : 0;
	close(fd);
	EXPECT_ERRNO(ret, EINVAL, "bind of a denylisted function");
	EXPECT_TRUE(!is_bound_to_vfio(testdev), "pci-testdev not bound");
	EXPECT_ERRNO(pci_bind(testdev, VFIO_PCI), ENODEV,
		     "bind through driver_override and drivers_probe");
}

static void disable_denylist_binds_it(void)
{
	const char *testdev = find_bound(0x1b36, 0x0005);

	if (vfio_test_case_ours_only("vfio-pci-denytest.ko is our vfio_pci.c"))
		return;
	if (!testdev) {
		tap_case_skip("no pci-testdev bound to vfio-pci at start");
		return;
	}
	if (!release_all())
		return;
	if (!EXPECT_OK(load_denytest("disable_denylist=1"),
		       "loading vfio-pci-denytest.ko disable_denylist=1"))
		return;
	EXPECT_OK(pci_bind(testdev, VFIO_PCI), "binding pci-testdev");
	EXPECT_TRUE(is_bound_to_vfio(testdev), "pci-testdev bound");
	EXPECT_OK(pci_set_driver_override(testdev, NULL), "clearing driver_override");
	EXPECT_OK(pci_unbind(testdev), "unbinding pci-testdev");
}

static void everything_bound_again(void)
{
	int i;

	EXPECT_EQ(restore_all(), 0, "functions that failed to bind again");
	EXPECT_TRUE(module_loaded("vfio_pci"), "vfio_pci loaded");
	for (i = 0; i < t.nr_bound; i++)
		tap_check(is_bound_to_vfio(t.bound[i]), "%s bound to vfio-pci again",
			  t.bound[i]);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "params_have_the_reference_names_and_sysfs_modes", params_have_reference_modes },
	{ "vfio_pci_core_has_no_module_parameters", core_has_no_params },
	{ "nointxmask_disable_idle_d3_take_writes_disable_vga_read_only",
	  runtime_params_take_writes },
	{ "reload_without_override_or_ids_binds_nothing", nothing_binds_without_override_or_ids },
	{ "ids_binds_by_vendor_device_and_by_class_only_those", ids_bind_named_functions_only },
	{ "malformed_ids_entry_is_skipped_the_rest_binds", malformed_ids_entry_skipped },
	{ "denylisted_function_refused_at_probe_einval", denylisted_refused_at_probe },
	{ "disable_denylist_binds_denylisted_function", disable_denylist_binds_it },
	{ "every_function_bound_again_by_override", everything_bound_again },
};

int main(void)
{
	const char *want = getenv("VFIO_TEST_DEVICE");
	size_t i;
	int ret;

	if (want && *want)
		tap_skip_all("VFIO_TEST_DEVICE=%s: this program reloads vfio_pci, which unbinds every function",
			     want);
	if (!module_loaded("vfio_pci"))
		tap_skip_all("vfio_pci is not loaded");
	ret = install_find_repo(t.repo, sizeof(t.repo));
	if (ret)
		tap_bail_out("locating the repository: %s", tap_errno_name(-ret));
	t.loaded = true;
	record_bound();
	if (!t.nr_bound)
		tap_skip_all("no function bound to vfio-pci");

	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s; %d functions bound to vfio-pci",
		 vfio_test_driver_name(), t.nr_bound);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tap_case_begin("%s", cases[i].name);
		cases[i].run();
		tap_case_end();
	}
	if (restore_all())
		tap_diag("could not bind every function to vfio-pci again");
	tap_finish();
}
