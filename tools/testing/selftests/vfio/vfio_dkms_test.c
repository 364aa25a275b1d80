// SPDX-License-Identifier: GPL-2.0-only
/*
 * DKMS, as an administrator uses it with the repository's dkms.conf: add,
 * build and install for the running kernel put both modules into
 * /lib/modules/<release>/updates/dkms, where the names then resolve, and
 * remove gives the kernel's own modules back.  vfio_install_test does the
 * same for make install.
 *
 * As there, no module is loaded or unloaded, and whatever failed the program
 * removes what it added (the DKMS tree, the source copy in /usr/src and the
 * installed files) before it ends.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install_util.h"
#include "vfio_util.h"

#define DKMS_NAME		"vfio-pci"
#define DKMS_VERSION		"1.0"
#define DKMS_MODULE		DKMS_NAME "/" DKMS_VERSION
/* What dkms add copies the repository to; dkms remove leaves it there. */
#define DKMS_SOURCE		"/usr/src/" DKMS_NAME "-" DKMS_VERSION
#define DKMS_TREE		"/var/lib/dkms/" DKMS_NAME
#define DKMS_BUILD_LOG		DKMS_TREE "/" DKMS_VERSION "/build/make.log"
/*
 * Our modules carry no version (design.md), nor do the kernel's: DKMS
 * then refuses to put ours in their place unless this file asks it to.
 */
#define DKMS_FORCE_DIR		"/usr/share/dkms/modules_to_force_install"
#define DKMS_FORCE_FILE		DKMS_FORCE_DIR "/" DKMS_NAME
#define DKMS_FORCE_LINE		DKMS_NAME "_version-override"

/*
 * Measured in the test VM under TCG: 240-380 s with the host's load; the
 * build 100-200 s, install and remove 50-80 s each (a depmod over the whole
 * module tree).
 */
#define NEEDS_SECONDS		600

static struct {
	char repo[PATH_MAX];
	bool added;		/* DKMS_TREE and DKMS_SOURCE may be ours */
} t;

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The version override an admin installs along with dkms.conf (README). */
static bool write_force_file(void)
{
	FILE *f;

	mkdir("/usr/share/dkms", 0755);
	mkdir(DKMS_FORCE_DIR, 0755);
	f = fopen(DKMS_FORCE_FILE, "we");
	if (!f)
		return false;
	fprintf(f, "%s\n", DKMS_FORCE_LINE);
	return fclose(f) == 0;
}

/* One timed DKMS command, added to *total; fails the case if it fails. */
static bool dkms(const char *what, double *total, const char *action,
		 const char *arg)
{
	struct cmd c;
	bool ok;

	if (!strcmp(action, "add"))
		cmd_run(&c, "dkms", "add", arg, NULL);
	else if (!strcmp(action, "remove"))
		cmd_run(&c, "dkms", "remove", DKMS_MODULE, "--all", NULL);
	else
		cmd_run(&c, "dkms", action, DKMS_MODULE, "-k", arg, NULL);
	tap_diag("%s took %.1f s", what, c.secs);
	*total += c.secs;
	ok = expect_cmd_success(what, &c);
	cmd_free(&c);
	return ok;
}

static void expect_status_installed(void)
{
	struct cmd c;
	char want[128];

	cmd_run(&c, "dkms", "status", DKMS_MODULE, "-k", install_release(), NULL);
	snprintf(want, sizeof(want), DKMS_MODULE ", %s, ", install_release());
	if (expect_cmd_success("dkms status", &c) &&
	    !tap_check(strstr(c.out, want) && strstr(c.out, ": installed"),
		       "dkms status: expected \"%s...: installed\"", want))
		cmd_diag_output("dkms status", &c);
	cmd_free(&c);
}

/* dkms build only says where the compiler's complaints went. */
static void show_build_log(void)
{
	struct cmd c;

	cmd_run(&c, "cat", DKMS_BUILD_LOG, NULL);
	cmd_diag_output(DKMS_BUILD_LOG, &c);
	cmd_free(&c);
}

static void dkms_install(void)
{
	const char *rel = install_release();
	double secs = 0;
	size_t i;

	if (!tap_check(!module_file_in(MODDIR_UPDATES, "vfio_pci") &&
		       !module_file_in(MODDIR_UPDATES, "vfio_pci_core"),
		       "%s/" MODDIR_UPDATES " holds vfio-pci modules (make install?): they would shadow DKMS's",
		       install_moddir()))
		return;
	if (!tap_check(!exists(DKMS_SOURCE) && !exists(DKMS_TREE),
		       "%s or %s already there: left over from before",
		       DKMS_SOURCE, DKMS_TREE))
		return;
	t.added = true;
	if (!EXPECT_TRUE(write_force_file(), "writing " DKMS_FORCE_FILE))
		return;
	if (!dkms("dkms add", &secs, "add", t.repo))
		return;
	if (!dkms("dkms build", &secs, "build", rel)) {
		show_build_log();
		return;
	}
	if (!dkms("dkms install", &secs, "install", rel))
		return;
	tap_diag("dkms add + build + install took %.1f s", secs);
	if (!expect_module_files(MODDIR_DKMS, true))
		return;
	for (i = 0; i < ARRAY_SIZE(install_modules); i++)
		expect_resolves_to(install_modules[i], MODDIR_DKMS);
	expect_status_installed();
}

static bool remove_source(void)
{
	struct cmd c;
	bool ok;

	cmd_run(&c, "rm", "-rf", DKMS_SOURCE, NULL);
	ok = expect_cmd_success("rm -rf " DKMS_SOURCE, &c);
	cmd_free(&c);
	return ok;
}

static void dkms_remove(void)
{
	double secs = 0;
	bool removed;
	struct cmd c;
	size_t i;

	if (!t.added) {
		tap_case_skip("needs dkms add, which failed above");
		return;
	}
	removed = dkms("dkms remove", &secs, "remove", NULL);
	EXPECT_OK(unlink(DKMS_FORCE_FILE) ? -errno : 0, "removing " DKMS_FORCE_FILE);
	if (!remove_source() || !removed)
		return;
	if (!EXPECT_TRUE(!exists(DKMS_TREE), DKMS_TREE " removed"))
		return;
	t.added = false;
	expect_module_files(MODDIR_DKMS, false);
	for (i = 0; i < ARRAY_SIZE(install_modules); i++)
		expect_resolves_to(install_modules[i], MODDIR_KERNEL);
	EXPECT_EQ(module_index_count("modules.dep", MODDIR_DKMS "/"), 0,
		  "modules.dep lines naming " MODDIR_DKMS "/");
	EXPECT_EQ(module_index_count("modules.alias", VFIO_PCI_OVERRIDE_ALIAS " vfio_pci"),
		  1, "modules.alias lines for the kernel's vfio_pci");
	cmd_run(&c, "dkms", "status", DKMS_NAME, NULL);
	if (!tap_check(c.status == 0 && !strstr(c.out, DKMS_NAME),
		       "dkms status %s: expected exit 0 and nothing about it, got exit %d",
		       DKMS_NAME, c.status))
		cmd_diag_output("dkms status", &c);
	cmd_free(&c);
}

/* DKMS's files of ours, gone by hand when dkms remove did not take them. */
static void remove_installed_files(void)
{
	static const char *const files[] = {
		"vfio-pci.ko", "vfio-pci.ko.xz", "vfio-pci-core.ko", "vfio-pci-core.ko.xz",
	};
	char paths[ARRAY_SIZE(files)][PATH_MAX];
	struct cmd c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++)
		snprintf(paths[i], PATH_MAX, "%s/" MODDIR_DKMS "/%s", install_moddir(),
			 files[i]);
	cmd_run(&c, "rm", "-f", paths[0], paths[1], paths[2], paths[3], NULL);
	tap_check(c.status == 0, "cleaning up: rm -f %s/" MODDIR_DKMS "/vfio-pci* exited %d",
		  install_moddir(), c.status);
	cmd_free(&c);
	cmd_run(&c, "depmod", install_release(), NULL);
	tap_check(c.status == 0, "cleaning up: depmod exited %d", c.status);
	cmd_free(&c);
}

/* Outside a case, a failure here still makes the program fail. */
static void clean_up(void)
{
	struct cmd c;

	if (!t.added)
		return;
	if (exists(DKMS_TREE)) {
		cmd_run(&c, "dkms", "remove", DKMS_MODULE, "--all", NULL);
		tap_check(c.status == 0, "cleaning up: dkms remove exited %d", c.status);
		cmd_free(&c);
	}
	cmd_run(&c, "rm", "-rf", DKMS_SOURCE, DKMS_TREE, DKMS_FORCE_FILE, NULL);
	tap_check(c.status == 0, "cleaning up: rm -rf %s %s exited %d", DKMS_SOURCE,
		  DKMS_TREE, c.status);
	cmd_free(&c);
	if (module_file_in(MODDIR_DKMS, "vfio_pci") ||
	    module_file_in(MODDIR_DKMS, "vfio_pci_core"))
		remove_installed_files();
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "dkms_install_builds_and_installs_for_the_running_kernel", dkms_install },
	{ "dkms_remove_gives_back_the_kernels_modules", dkms_remove },
};

int main(void)
{
	size_t i;
	int ret;

	vfio_test_require_ours("it installs our modules into the running system");
	ret = install_find_repo(t.repo, sizeof(t.repo));
	if (ret)
		tap_bail_out("locating the repository (with dkms.conf) from /proc/self/exe: %s",
			     tap_errno_name(-ret));
	install_init_or_skip();
	install_require_time(NEEDS_SECONDS, "vfio_dkms_test");

	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	tap_diag("dkms add %s, then build and install for %s", t.repo,
		 install_release());
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tap_case_begin("%s", cases[i].name);
		cases[i].run();
		tap_case_end();
	}
	clean_up();
	tap_finish();
}
