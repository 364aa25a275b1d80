// SPDX-License-Identifier: GPL-2.0-only
/*
 * "make install" and "make uninstall", as an administrator runs them: the
 * first puts both modules into /lib/modules/<release>/updates, where depmod
 * ranks them ahead of the kernel's own, the second takes them out again.
 * After each the test asks kmod where the names resolve (modinfo -n), what
 * modules.alias says about them, and what a device's uevent would load
 * (modprobe -R of its modalias).  vfio_dkms_test does the same for DKMS.
 *
 * It never loads or unloads a module: the lane's modules stay loaded and
 * bound to the zoo.  It changes only files (in the guest's tmpfs overlay)
 * and the module indexes, and takes out what it put in whatever failed, so
 * the programs after it find the names resolving to the kernel's modules.
 *
 * The cases run in order and each leaves the state the next expects; a case
 * whose precondition failed earlier skips and names it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "install_util.h"
#include "vfio_util.h"

/*
 * Measured in the test VM under TCG: 130-280 s with the host's load, nearly
 * all of it two runs of depmod over the whole module tree (50-180 s each,
 * read over 9p) and the no-op Kbuild pass of make install.
 */
#define NEEDS_SECONDS		420
#define MAX_FUNCS		64

static struct {
	char repo[PATH_MAX];
	bool installed;		/* make install ran: updates/ may hold ours */
	bool install_ok;	/* and put both there */
	bool uninstalled;	/* make uninstall took them out again */
} t;

/* Skips the open case when an earlier one did not get us to @state. */
static bool needs(bool state, const char *what)
{
	if (!state)
		tap_case_skip("needs %s, which failed above", what);
	return !state;
}

static void make(struct cmd *c, const char *target)
{
	char kdir[300];

	snprintf(kdir, sizeof(kdir), "KDIR=%s", install_kdir());
	cmd_run(c, "make", "-C", t.repo, target, kdir, NULL);
}

static void make_install(void)
{
	struct cmd c;

	if (!tap_check(!module_file_in(MODDIR_UPDATES, "vfio_pci") &&
		       !module_file_in(MODDIR_UPDATES, "vfio_pci_core"),
		       "%s/" MODDIR_UPDATES " already holds vfio-pci modules: left over from before",
		       install_moddir()))
		return;
	t.installed = true;
	make(&c, "install");
	tap_diag("make install took %.1f s", c.secs);
	if (expect_cmd_success("make install", &c))
		t.install_ok = expect_module_files(MODDIR_UPDATES, true);
	cmd_free(&c);
}

static void resolves_to_updates(void)
{
	size_t i;

	if (needs(t.install_ok, "make install"))
		return;
	for (i = 0; i < ARRAY_SIZE(install_modules); i++)
		expect_resolves_to(install_modules[i], MODDIR_UPDATES);
}

/*
 * Ours asks for no autoloading: vfio-pci's only id is override-only, which
 * file2alias writes as "vfio_pci:...", and the core has no ids at all.
 */
static void alias_only_override(void)
{
	char path[PATH_MAX], line[4096], pattern[1024], module[256];
	int vfio_pci = 0, wildcard = 0;
	FILE *f;

	if (needs(t.install_ok, "make install"))
		return;
	snprintf(path, sizeof(path), "%s/modules.alias", install_moddir());
	f = fopen(path, "re");
	if (!tap_check(f, "%s: %s", path, strerror(errno)))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "alias %1023s %255s", pattern, module) != 2)
			continue;
		if (strcmp(module, "vfio_pci") && strcmp(module, "vfio_pci_core"))
			continue;
		tap_check(!strncmp(pattern, "vfio_pci:", 9),
			  "modules.alias: expected only \"alias vfio_pci:...\" for %s, got \"alias %s %s\"",
			  module, pattern, module);
		if (!strcmp(module, "vfio_pci")) {
			vfio_pci++;
			wildcard += !strcmp(pattern, VFIO_PCI_OVERRIDE_ALIAS);
		}
	}
	fclose(f);
	EXPECT_EQ(vfio_pci, 1, "modules.alias lines for vfio_pci");
	EXPECT_EQ(wildcard, 1,
		  "modules.alias lines \"alias " VFIO_PCI_OVERRIDE_ALIAS " vfio_pci\"");
}

/* What udev would load for each function: modprobe -R of its modalias. */
static void no_function_autoloads_vfio(void)
{
	struct pci_func funcs[MAX_FUNCS];
	int n, i, resolved = 0;

	if (needs(t.install_ok, "make install"))
		return;
	n = pci_find_functions(0xffff, 0xffff, funcs, MAX_FUNCS);
	if (!EXPECT_GE(n, 1, "PCI functions in /sys/bus/pci/devices"))
		return;
	if (n > MAX_FUNCS) {
		tap_diag("%d functions, checking the first %d", n, MAX_FUNCS);
		n = MAX_FUNCS;
	}
	for (i = 0; i < n; i++) {
		char modalias[256];
		const char *p;
		struct cmd c;

		if (!EXPECT_OK(pci_sysfs_read(funcs[i].bdf, "modalias", modalias,
					      sizeof(modalias)), "reading modalias"))
			continue;
		/* Exit 1 and an error when no module has an alias for it. */
		cmd_run(&c, "modprobe", "-R", modalias, NULL);
		if (c.status == 0 && c.out[0]) {
			resolved++;
			for (p = c.out; *p; p += strcspn(p, "\n"), p += !!*p)
				tap_check(strncmp(p, "vfio", 4),
					  "%s (%s): modprobe -R %s names %.*s",
					  funcs[i].bdf, funcs[i].kind, modalias,
					  (int)strcspn(p, "\n"), p);
		}
		cmd_free(&c);
	}
	tap_diag("%d functions, %d of them with a module to autoload", n, resolved);
}

static void make_uninstall(void)
{
	struct cmd c;
	size_t i;

	make(&c, "uninstall");
	tap_diag("make uninstall took %.1f s", c.secs);
	if (expect_cmd_success("make uninstall", &c) &&
	    expect_module_files(MODDIR_UPDATES, false)) {
		t.uninstalled = true;
		for (i = 0; i < ARRAY_SIZE(install_modules); i++)
			expect_resolves_to(install_modules[i], MODDIR_KERNEL);
	}
	cmd_free(&c);
}

/* Outside a case, a failure here still makes the program fail. */
static void clean_up(void)
{
	struct cmd c;

	if (!t.installed || t.uninstalled)
		return;
	make(&c, "uninstall");
	tap_check(c.status == 0, "cleaning up: make uninstall exited %d", c.status);
	cmd_free(&c);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "make_install_puts_both_modules_in_updates", make_install },
	{ "modprobe_resolves_vfio_pci_to_updates_after_depmod", resolves_to_updates },
	{ "modules_alias_has_only_vfio_pci_prefixed_entries_for_ours", alias_only_override },
	{ "no_zoo_function_resolves_to_a_vfio_module", no_function_autoloads_vfio },
	{ "make_uninstall_gives_back_the_kernels_modules", make_uninstall },
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
	install_require_time(NEEDS_SECONDS, "vfio_install_test");

	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	tap_diag("make -C %s install KDIR=%s", t.repo, install_kdir());
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tap_case_begin("%s", cases[i].name);
		cases[i].run();
		tap_case_end();
	}
	clean_up();
	tap_finish();
}
