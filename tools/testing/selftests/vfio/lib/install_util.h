/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the tests of the install paths (make install, DKMS): running
 * a command with its output captured, and asking kmod where a module name
 * resolves in /lib/modules/<running release>.
 */
#ifndef VFIO_SELFTEST_INSTALL_UTIL_H
#define VFIO_SELFTEST_INSTALL_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Below /lib/modules/<release>. */
#define MODDIR_UPDATES		"updates"
#define MODDIR_DKMS		"updates/dkms"
#define MODDIR_KERNEL		"kernel/drivers/vfio/pci"

/* The only alias vfio-pci may have: its driver_override-only entry. */
#define VFIO_PCI_OVERRIDE_ALIAS	"vfio_pci:v*d*sv*sd*bc*sc*i*"

/* Both modules, by module name (vfio_pci), not file name (vfio-pci). */
extern const char *const install_modules[2];

struct cmd {
	int status;	/* exit code, 128 + signal, or -errno if it never ran */
	char *out;	/* stdout and stderr, NUL-terminated, never NULL */
	double secs;	/* wall time */
};

/*
 * Runs a program (searched in $PATH) with a NULL-terminated argument list,
 * stdin from /dev/null, stdout and stderr captured into c->out.
 */
void cmd_run(struct cmd *c, const char *arg0, ...) __attribute__((sentinel));
void cmd_free(struct cmd *c);
/* The last lines of what the command printed, as "#" diagnostics. */
void cmd_diag_output(const char *what, const struct cmd *c);
/* Exit 0, or fail the open case with the status and show the output. */
bool expect_cmd_success(const char *what, const struct cmd *c);

/* The repository this program was built in (it holds dkms.conf), or -errno. */
int install_find_repo(char *buf, size_t len);

/*
 * uname -r, /usr/src/linux-headers-<release> and /lib/modules/<release>;
 * skips the whole program when the headers are not there.
 */
void install_init_or_skip(void);
const char *install_release(void);
const char *install_kdir(void);
const char *install_moddir(void);

/* Whether moddir/@dir holds @module as .ko or .ko.xz. */
bool module_file_in(const char *dir, const char *module);
/* Both modules there (or both gone): the open case fails on each that is not. */
bool expect_module_files(const char *dir, bool present);
/* modinfo -n @module is moddir/@dir/<file>.ko(.xz), not deeper. */
bool expect_resolves_to(const char *module, const char *dir);
/* Lines of moddir/@index (modules.dep, ...) containing @needle, or -errno. */
int module_index_count(const char *index, const char *needle);

/*
 * When $VFIO_TEST_TIMEOUT (the runner's per-program limit) is below @need
 * seconds, skips the whole program saying so: a program killed half-way
 * would leave its modules installed for the programs after it.
 */
void install_require_time(unsigned int need, const char *prog);

#endif /* VFIO_SELFTEST_INSTALL_UTIL_H */
