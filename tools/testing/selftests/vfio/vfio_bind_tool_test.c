// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-bind (tools/vfio-pci-bind), the administrator's bind tool, run on
 * the zoo: list, bind and unbind with the driver remembered, --group on the
 * multifunction slot, --dry-run, the documented exit codes, and the choice
 * of a variant driver over vfio-pci by modules.alias (the test variant for
 * pci-testdev, edu-vfio-pci for edu, vfio-pci still for e1000e).
 *
 * The cases run in order and some leave state for the next one (00:04.0 on
 * e1000e, the slot 03:00 on e1000).  Whatever fails, the last case puts
 * every function the program touched back on vfio-pci by driver_override
 * (the runner's contract), undoes its changes under /lib/modules and /run
 * and unloads the host drivers it loaded.  /lib/modules is writable here:
 * the guest's root is a tmpfs overlay on the host's.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfio_util.h"

#define VFIO_PCI		"vfio-pci"
#define VARIANT_DRIVER		"vfio-pci-test-variant"
#define VARIANT_MODULE		"vfio_pci_test_variant"
#define VARIANT_ALIAS \
	"alias vfio_pci:v00001B36d00000005sv*sd*bc*sc*i* " VARIANT_MODULE
#define EDU_DRIVER		"edu-vfio-pci"
#define EDU_MODULE		"edu_vfio_pci"
#define EDU_ALIAS \
	"alias vfio_pci:v00001234d000011E8sv*sd*bc*sc*i* " EDU_MODULE
/* A module no one has: an alias naming it makes modprobe fail. */
#define MISSING_MODULE		"vfio_pci_bind_test_missing"

/* Relative to this program's directory. */
#define TOOL_PATH		"../../../vfio-pci-bind/vfio-pci-bind"
#define REPO_PATH		"../../../.."
#define VARIANT_KO		"variant/vfio-pci-test-variant.ko"
#define EDU_KO			REPO_PATH "/edu/edu-vfio-pci.ko"

#define STATE_DIR		"/run/vfio-pci-bind"
#define ALIAS_BACKUP		"modules.alias.vfio-bind-tool-test"

#define RUN_TIMEOUT_S		60
#define NODE_TIMEOUT_MS		2000
#define NOBODY			65534

/* The tool's exit codes (vfio-pci-bind.8). */
enum {
	EXIT_USAGE	= 2,
	EXIT_NODEV	= 3,
	EXIT_NOIOMMU	= 4,
	EXIT_BUSY	= 5,
	EXIT_NOTVIABLE	= 6,
	EXIT_MODULE	= 7,
	EXIT_PERM	= 8,
};

struct run_result {
	int status;		/* exit code, 128 + signal, -1: did not run */
	char out[32768];	/* stdout and stderr as they came */
};

static struct {
	char tool[PATH_MAX];
	char here[PATH_MAX];	/* this program's directory */
	char moddir[PATH_MAX];	/* /lib/modules/$(uname -r) */
	/* The functions the cases use; "" when absent or not selected. */
	char nic[PCI_BDF_LEN];	/* e1000e on the root bus */
	char mf[2][PCI_BDF_LEN];	/* the two e1000 functions of one group */
	char testdev[PCI_BDF_LEN];	/* pci-testdev */
	char edu[PCI_BDF_LEN];	/* the first edu */
	bool loaded_e1000e;	/* by us, so ours to unload */
	bool loaded_e1000;
	bool alias_changed;	/* modules.alias has our extra line */
	char release[65];	/* uname -r */
	char scratch[PATH_MAX];	/* the variant's module tree, "" when none */
	bool own_mount_ns;	/* unshare()d: mounts stay in this process */
	bool variant_installed;	/* its tree mounted over moddir */
} t;

static struct run_result r;

/* ---- running programs --------------------------------------------------- */

/*
 * Runs @argv (as @uid when not 0) with stdout and stderr into r.out, and
 * kills it after RUN_TIMEOUT_S.  Returns the exit status as r.status.
 */
static int run_argv(uid_t uid, char *const argv[])
{
	struct timespec start, now;
	struct pollfd pfd;
	size_t used = 0;
	int pipefd[2], status, devnull, left;
	char sink[512];
	ssize_t n;
	pid_t pid;

	r.status = -1;
	r.out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC))
		return r.status;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return r.status;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = RUN_TIMEOUT_S * 1000 - (int)((now.tv_sec - start.tv_sec) * 1000 +
						    (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			tap_diag("%s: still running after %d s; killed", argv[0],
				 RUN_TIMEOUT_S);
			kill(pid, SIGKILL);
			break;
		}
		if (used < sizeof(r.out) - 1)
			n = read(pipefd[0], r.out + used, sizeof(r.out) - 1 - used);
		else
			n = read(pipefd[0], sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (used < sizeof(r.out) - 1)
			used += n;
	}
	r.out[used] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return r.status;
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r.status;
}

/* The tool with the NULL-terminated arguments after @uid. */
static int tool_as(uid_t uid, ...)
{
	char *argv[16];
	va_list ap;
	int argc = 0;

	argv[argc++] = t.tool;
	va_start(ap, uid);
	while (argc < (int)ARRAY_SIZE(argv) - 1 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	return run_argv(uid, argv);
}

#define tool(...)	tool_as(0, __VA_ARGS__, (char *)NULL)

static int command(const char *prog, const char *arg)
{
	char *argv[] = { (char *)prog, (char *)arg, NULL };

	return run_argv(0, argv);
}

/* The last run's output as diagnostics, one line each, under a heading. */
static void diag_output(const char *heading)
{
	char *copy = strdup(r.out), *line, *save = NULL;

	tap_diag("%s (exit %d):", heading, r.status);
	if (!copy)
		return;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		tap_diag("  %s", line);
	free(copy);
}

static bool expect_status(int want, const char *what)
{
	if (tap_check(r.status == want, "%s: expected exit %d, got %d", what, want,
		      r.status))
		return true;
	diag_output("its output");
	return false;
}

static bool expect_output(const char *needle, const char *what)
{
	if (tap_check(strstr(r.out, needle) != NULL,
		      "%s: expected \"%s\" in the output, it is not there", what, needle))
		return true;
	diag_output("the output");
	return false;
}

/* ---- sysfs and files ---------------------------------------------------- */

static int write_path(const char *path, const char *val)
{
	int fd, ret = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(val))
		ret = -EIO;
	close(fd);
	return ret;
}

static void driver_of(const char *bdf, char *buf, size_t len)
{
	if (pci_driver_name(bdf, buf, len) < 0)
		snprintf(buf, len, "?");
}

static bool expect_driver(const char *bdf, const char *want)
{
	char driver[64], what[64];

	driver_of(bdf, driver, sizeof(driver));
	snprintf(what, sizeof(what), "%s: bound driver", bdf);
	return EXPECT_STREQ(driver, want, what);
}

/* driver_override, "" when unset (sysfs shows "(null)"). */
static void override_of(const char *bdf, char *buf, size_t len)
{
	if (pci_sysfs_read(bdf, "driver_override", buf, len) < 0 ||
	    !strcmp(buf, "(null)"))
		buf[0] = '\0';
}

static bool expect_override(const char *bdf, const char *want)
{
	char override[64], what[64];

	override_of(bdf, override, sizeof(override));
	snprintf(what, sizeof(what), "%s: driver_override", bdf);
	return EXPECT_STREQ(override, want, what);
}

/* First line of the tool's state file for @bdf, "" when there is none. */
static void state_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), STATE_DIR "/%s", bdf);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static bool expect_state(const char *bdf, const char *want)
{
	char state[64], what[96];

	state_of(bdf, state, sizeof(state));
	snprintf(what, sizeof(what), "%s: remembered driver in " STATE_DIR, bdf);
	return EXPECT_STREQ(state, want, what);
}

static void state_remove(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), STATE_DIR "/%s", bdf);
	unlink(path);
}

/* The tool printed /dev/vfio/N for @bdf's group, and the node is there. */
static bool expect_node_printed(const char *bdf)
{
	char node[32], line[34];
	int group = pci_iommu_group(bdf);

	if (!EXPECT_OK(group, "reading iommu_group"))
		return false;
	snprintf(node, sizeof(node), "/dev/vfio/%d", group);
	snprintf(line, sizeof(line), "%s\n", node);
	if (!expect_output(line, "the group's node on a line of its own"))
		return false;
	return tap_check(vfio_wait_group_node(group, true, NODE_TIMEOUT_MS) == 0,
			 "%s: printed, but it does not exist", node);
}

/*
 * Gives @bdf to the host driver @driver by hand, the way an admin would
 * without the tool: unbind, clear the override, load the module, bind.
 */
static bool give_to_host_driver(const char *bdf, const char *driver, bool *loaded)
{
	char path[PATH_MAX];
	int ret;

	if (!module_loaded(driver)) {
		command("modprobe", driver);
		if (!tap_check(r.status == 0, "modprobe %s: exit %d: %s", driver,
			       r.status, r.out))
			return false;
		*loaded = true;
	}
	if (!EXPECT_OK(pci_unbind(bdf), "unbinding from vfio-pci") ||
	    !EXPECT_OK(pci_set_driver_override(bdf, NULL), "clearing driver_override"))
		return false;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
	ret = write_path(path, bdf);
	if (!tap_check(ret == 0, "%s: %s", path, tap_errno_name(-ret)))
		return false;
	return expect_driver(bdf, driver);
}

/* ---- modules.alias ------------------------------------------------------ */

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out, ret = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			ret = -EIO;
			break;
		}
	if (n < 0)
		ret = -errno;
	close(in);
	if (close(out) && !ret)
		ret = -errno;
	return ret;
}

/* @dir/@name into @buf; paths here are short, so a cut one is a bug. */
static void join(char *buf, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		tap_bail_out("path too long: %s/%s", dir, name);
}

static void moddir_path(char *buf, size_t len, const char *name)
{
	join(buf, len, t.moddir, name);
}

/*
 * Appends an alias sending the vfio_pci: modalias of @ids ("v...d...") to
 * @module (the text file only: the tool reads it, modprobe does not), after
 * keeping a copy to put back.
 */
static bool alias_to_module(const char *ids, const char *module)
{
	char alias[PATH_MAX], backup[PATH_MAX], line[128];
	FILE *f;
	int ret;

	moddir_path(alias, sizeof(alias), "modules.alias");
	moddir_path(backup, sizeof(backup), ALIAS_BACKUP);
	if (!t.alias_changed) {
		ret = copy_file(alias, backup);
		if (!tap_check(!ret, "copying %s: %s", alias, tap_errno_name(-ret)))
			return false;
	}
	t.alias_changed = true;
	snprintf(line, sizeof(line), "alias vfio_pci:%ssv*sd*bc*sc*i* %s\n", ids,
		 module);
	f = fopen(alias, "ae");
	if (!tap_check(f != NULL, "opening %s: %s", alias, strerror(errno)))
		return false;
	fputs(line, f);
	return tap_check(fclose(f) == 0, "writing %s: %s", alias, strerror(errno));
}

static void alias_restore(void)
{
	char alias[PATH_MAX], backup[PATH_MAX];

	if (!t.alias_changed)
		return;
	moddir_path(alias, sizeof(alias), "modules.alias");
	moddir_path(backup, sizeof(backup), ALIAS_BACKUP);
	if (tap_check(rename(backup, alias) == 0, "putting %s back: %s", alias,
		      strerror(errno)))
		t.alias_changed = false;
}

/* ---- the zoo functions -------------------------------------------------- */

static void find_zoo(void)
{
	struct pci_func f[8];
	int n, i, j;

	if (pci_find_functions(0x8086, 0x10d3, f, ARRAY_SIZE(f)) > 0)
		strcpy(t.nic, f[0].bdf);
	if (pci_find_functions(0x1b36, 0x0005, f, ARRAY_SIZE(f)) > 0)
		strcpy(t.testdev, f[0].bdf);
	if (pci_find_functions(0x1234, 0x11e8, f, ARRAY_SIZE(f)) > 0)
		strcpy(t.edu, f[0].bdf);
	/* 8086:100e is in the zoo three times; two share an IOMMU group. */
	n = pci_find_functions(0x8086, 0x100e, f, ARRAY_SIZE(f));
	n = n < (int)ARRAY_SIZE(f) ? n : (int)ARRAY_SIZE(f);
	for (i = 0; i < n && !t.mf[0][0]; i++)
		for (j = i + 1; j < n; j++)
			if (pci_iommu_group(f[i].bdf) >= 0 &&
			    pci_iommu_group(f[i].bdf) == pci_iommu_group(f[j].bdf)) {
				strcpy(t.mf[0], f[i].bdf);
				strcpy(t.mf[1], f[j].bdf);
				break;
			}
}

/* Skips the open case when @bdf is not there; true when it skipped. */
static bool needs(const char *bdf, const char *what)
{
	if (*bdf)
		return false;
	tap_case_skip("no %s in this VM%s%s", what,
		      getenv("VFIO_TEST_DEVICE") ? " matching VFIO_TEST_DEVICE=" : "",
		      getenv("VFIO_TEST_DEVICE") ?: "");
	return true;
}

/* ---- cases -------------------------------------------------------------- */

static void help_exits_0_and_names_every_exit_code(void)
{
	tool("--help");
	expect_status(0, "--help");
	expect_output("usage:", "--help");
	expect_output("8 not root", "--help");
	tool("frob");
	expect_status(EXIT_USAGE, "an unknown command");
	tool("bind", "00:04");
	expect_status(EXIT_USAGE, "a malformed BDF");
	tool("bind");
	expect_status(EXIT_USAGE, "bind without a BDF");
}

struct list_line {
	char bdf[32], ids[16], subsys[16], class[16], group[16], driver[64], vfio[64];
};

static bool list_find(const char *bdf, struct list_line *l)
{
	char *copy = strdup(r.out), *line, *save = NULL;
	bool found = false;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save))
		found = sscanf(line, "%31s %15s %15s %15s %15s %63s %63s", l->bdf,
			       l->ids, l->subsys, l->class, l->group, l->driver,
			       l->vfio) == 7 && !strcmp(l->bdf, bdf);
	free(copy);
	return found;
}

static unsigned long sysfs_hex(const char *bdf, const char *attr)
{
	char buf[32];

	if (pci_sysfs_read(bdf, attr, buf, sizeof(buf)) < 0)
		return ~0ul;
	return strtoul(buf, NULL, 16);
}

static bool is_bridge(const char *bdf)
{
	uint8_t type;

	return pci_config_sysfs_read8(bdf, 0x0e, &type) == 0 &&
	       ((type & 0x7f) == 1 || (type & 0x7f) == 2);
}

/* Every line against sysfs, and every function in sysfs on a line. */
static void list_shows_every_function_with_group_and_driver(void)
{
	char want[64], driver[64];
	struct dirent **names;
	struct list_line l;
	int i, n, group, lines = 0;
	const char *p;

	tool("list");
	if (!expect_status(0, "list"))
		return;
	diag_output("vfio-pci-bind list");
	for (p = r.out; (p = strchr(p, '\n')); p++)
		lines++;
	n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort);
	if (!EXPECT_GE(n, 1, "scandir /sys/bus/pci/devices"))
		return;
	/* A header, then one line per function ("." and ".." are no functions). */
	EXPECT_EQ(lines, n - 2 + 1, "lines of output");
	for (i = 0; i < n; i++) {
		const char *bdf = names[i]->d_name;

		if (bdf[0] == '.')
			continue;
		if (!tap_check(list_find(bdf, &l), "%s: not listed", bdf))
			continue;
		snprintf(want, sizeof(want), "%04lx:%04lx", sysfs_hex(bdf, "vendor"),
			 sysfs_hex(bdf, "device"));
		EXPECT_STREQ(l.ids, want, bdf);
		snprintf(want, sizeof(want), "%04lx:%04lx",
			 sysfs_hex(bdf, "subsystem_vendor"),
			 sysfs_hex(bdf, "subsystem_device"));
		EXPECT_STREQ(l.subsys, want, bdf);
		snprintf(want, sizeof(want), "%06lx", sysfs_hex(bdf, "class"));
		EXPECT_STREQ(l.class, want, bdf);
		group = pci_iommu_group(bdf);
		if (group >= 0)
			snprintf(want, sizeof(want), "%d", group);
		else
			snprintf(want, sizeof(want), "none");
		EXPECT_STREQ(l.group, want, bdf);
		driver_of(bdf, driver, sizeof(driver));
		EXPECT_STREQ(l.driver, *driver ? driver : "-", bdf);
		/* Debian's modules.alias has vfio_pci's catch-all. */
		EXPECT_STREQ(l.vfio, is_bridge(bdf) ? "-" : "vfio_pci", bdf);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void bind_e1000e_to_vfio_pci_prints_dev_vfio_path(void)
{
	if (needs(t.nic, "e1000e (8086:10d3)"))
		return;
	if (!give_to_host_driver(t.nic, "e1000e", &t.loaded_e1000e))
		return;
	tool("bind", t.nic);
	diag_output("vfio-pci-bind bind");
	if (!expect_status(0, "bind"))
		return;
	expect_driver(t.nic, VFIO_PCI);
	expect_override(t.nic, VFIO_PCI);
	expect_node_printed(t.nic);
	expect_state(t.nic, "e1000e");
}

static void unbind_of_open_device_exits_5_in_use(void)
{
	struct vfio_dev dev;
	int ret;

	if (needs(t.nic, "e1000e (8086:10d3)"))
		return;
	ret = vfio_dev_open(&dev, t.nic);
	if (!EXPECT_OK(ret, "opening the device through its group"))
		return;
	tool("unbind", t.nic);
	vfio_dev_close(&dev);
	expect_status(EXIT_BUSY, "unbind while the group is open");
	expect_output("in use", "unbind while the group is open");
	expect_driver(t.nic, VFIO_PCI);
}

static void unbind_restores_e1000e(void)
{
	char line[64];

	if (needs(t.nic, "e1000e (8086:10d3)"))
		return;
	tool("unbind", t.nic);
	diag_output("vfio-pci-bind unbind");
	if (!expect_status(0, "unbind"))
		return;
	snprintf(line, sizeof(line), "%s: e1000e\n", t.nic);
	expect_output(line, "unbind names the driver it ended on");
	expect_driver(t.nic, "e1000e");
	expect_override(t.nic, "");
	expect_state(t.nic, "");
}

static void dry_run_changes_nothing(void)
{
	char line[128];

	if (needs(t.nic, "e1000e (8086:10d3)"))
		return;
	/* The last case left it on e1000e; a dry bind must leave it there. */
	tool("--dry-run", "bind", t.nic);
	diag_output("vfio-pci-bind --dry-run bind");
	expect_status(0, "--dry-run bind");
	snprintf(line, sizeof(line),
		 "echo vfio-pci > /sys/bus/pci/devices/%s/driver_override", t.nic);
	expect_output(line, "--dry-run bind");
	snprintf(line, sizeof(line), "echo %s > /sys/bus/pci/devices/%s/driver/unbind",
		 t.nic, t.nic);
	expect_output(line, "--dry-run bind");
	snprintf(line, sizeof(line), "echo %s > /sys/bus/pci/drivers_probe", t.nic);
	expect_output(line, "--dry-run bind");
	expect_driver(t.nic, "e1000e");
	expect_override(t.nic, "");
	expect_state(t.nic, "");

	if (!*t.testdev)
		return;
	/* And a dry unbind leaves a function on vfio-pci. */
	tool("-n", "unbind", t.testdev);
	expect_status(0, "--dry-run unbind");
	snprintf(line, sizeof(line), "echo %s > /sys/bus/pci/devices/%s/driver/unbind",
		 t.testdev, t.testdev);
	expect_output(line, "--dry-run unbind");
	expect_driver(t.testdev, VFIO_PCI);
	expect_override(t.testdev, VFIO_PCI);
}

static void bind_with_unloadable_module_exits_7_keeps_e1000e(void)
{
	if (needs(t.nic, "e1000e (8086:10d3)"))
		return;
	if (!alias_to_module("v00008086d000010D3", MISSING_MODULE))
		return;
	tool("bind", t.nic);
	alias_restore();
	expect_status(EXIT_MODULE, "bind with the chosen module missing");
	expect_output("modprobe " MISSING_MODULE, "bind with the chosen module missing");
	expect_driver(t.nic, "e1000e");
	expect_override(t.nic, "");
	expect_state(t.nic, "");
}

/*
 * The chosen driver must really take the function.  Here modules.alias
 * sends e1000e's device to virtio_pci (built in).  driver_override makes
 * the PCI core call its probe whatever its id table says, and the probe
 * refuses device ids outside virtio's range with -ENODEV, touching nothing.
 * (A driver that tries to drive the device instead, such as e1000, can
 * WARN.)  The tool must say so and give the function back to e1000e.
 */
static void bind_that_does_not_take_exits_5_and_gives_it_back(void)
{
	if (needs(t.nic, "e1000e (8086:10d3)"))
		return;
	if (!tap_check(access("/sys/bus/pci/drivers/virtio-pci/module", F_OK) == 0,
		       "no virtio-pci driver with a module link to choose"))
		return;
	if (!alias_to_module("v00008086d000010D3", "virtio_pci"))
		return;
	tool("bind", t.nic);
	alias_restore();
	diag_output("vfio-pci-bind bind (to a driver that will not take it)");
	expect_status(EXIT_BUSY, "bind to a driver that does not take the function");
	expect_output("did not take", "bind to a driver that does not take the function");
	expect_driver(t.nic, "e1000e");
	expect_override(t.nic, "");
	expect_state(t.nic, "");
}

static void no_such_device_exits_3(void)
{
	const char *bdf = "0000:00:1f.7";

	if (!tap_check(access("/sys/bus/pci/devices/0000:00:1f.7", F_OK) != 0,
		       "%s exists: pick another absent address", bdf))
		return;
	tool("bind", bdf);
	expect_status(EXIT_NODEV, "bind of an absent function");
	tool("unbind", bdf);
	expect_status(EXIT_NODEV, "unbind of an absent function");
	tool("bind", "--group", bdf);
	expect_status(EXIT_NODEV, "bind --group of an absent function");
}

static void function_without_iommu_group_exits_4(void)
{
	char path[PATH_MAX], bdf[PCI_BDF_LEN] = "";
	struct dirent *de;
	DIR *dir;

	dir = opendir("/sys/bus/pci/devices");
	if (!EXPECT_TRUE(dir, "opendir /sys/bus/pci/devices"))
		return;
	while (!*bdf && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(bdf))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
			 de->d_name);
		if (access(path, F_OK))
			strcpy(bdf, de->d_name);
	}
	closedir(dir);
	if (!*bdf) {
		tap_case_skip("every PCI function here has an IOMMU group (the emulated intel-iommu gives each one), so there is none to try");
		return;
	}
	/* A dry run: should the check be missing, nothing changes. */
	tool("--dry-run", "bind", bdf);
	expect_status(EXIT_NOIOMMU, "bind of a function with no IOMMU group");
}

static void not_root_exits_8(void)
{
	if (needs(t.nic, "e1000e (8086:10d3)"))
		return;
	tool_as(NOBODY, "bind", t.nic, (char *)NULL);
	if (r.status == 126 || r.status == 127) {
		tap_case_skip("could not run the tool as uid %d (exit %d)", NOBODY,
			      r.status);
		return;
	}
	expect_status(EXIT_PERM, "bind as nobody");
	expect_driver(t.nic, "e1000e");
	/* Looking is for everyone. */
	tool_as(NOBODY, "list", t.nic, (char *)NULL);
	expect_status(0, "list as nobody");
}

static bool mf_to_e1000(void)
{
	return give_to_host_driver(t.mf[0], "e1000", &t.loaded_e1000) &&
	       give_to_host_driver(t.mf[1], "e1000", &t.loaded_e1000);
}

static void bind_group_binds_both_functions_of_the_multifunction_slot(void)
{
	const char *p;
	int i, nodes = 0;

	if (needs(t.mf[0], "pair of 8086:100e functions in one IOMMU group"))
		return;
	if (!mf_to_e1000())
		return;
	tool("list");
	diag_output("vfio-pci-bind list");
	tool("bind", "--group", t.mf[0]);
	diag_output("vfio-pci-bind bind --group");
	if (!expect_status(0, "bind --group"))
		return;
	for (i = 0; i < 2; i++) {
		expect_driver(t.mf[i], VFIO_PCI);
		expect_override(t.mf[i], VFIO_PCI);
		expect_state(t.mf[i], "e1000");
	}
	expect_node_printed(t.mf[0]);
	for (p = r.out; (p = strstr(p, "/dev/vfio/")); p++)
		nodes++;
	EXPECT_EQ(nodes, 1, "/dev/vfio/N lines for one group");
	tap_check(!strstr(r.out, "not viable"), "bind --group warned the group is not viable");
}

static void unbind_group_gives_both_back_to_e1000(void)
{
	char line[64];
	int i;

	if (needs(t.mf[0], "pair of 8086:100e functions in one IOMMU group"))
		return;
	tool("unbind", "--group", t.mf[1]);
	diag_output("vfio-pci-bind unbind --group");
	if (!expect_status(0, "unbind --group"))
		return;
	for (i = 0; i < 2; i++) {
		snprintf(line, sizeof(line), "%s: e1000\n", t.mf[i]);
		expect_output(line, "unbind --group");
		expect_driver(t.mf[i], "e1000");
		expect_override(t.mf[i], "");
		expect_state(t.mf[i], "");
	}
}

static void bind_one_function_of_shared_group_warns_not_viable(void)
{
	char line[64];

	if (needs(t.mf[0], "pair of 8086:100e functions in one IOMMU group"))
		return;
	tool("bind", t.mf[0]);
	diag_output("vfio-pci-bind bind (one function of two)");
	expect_status(0, "bind of one function");
	expect_output("not viable", "bind of one function");
	snprintf(line, sizeof(line), "%s is bound to e1000", t.mf[1]);
	expect_output(line, "the warning names the other function");
	expect_driver(t.mf[0], VFIO_PCI);
	expect_driver(t.mf[1], "e1000");
}

static void bind_group_with_unloadable_module_exits_6_not_viable(void)
{
	if (needs(t.mf[0], "pair of 8086:100e functions in one IOMMU group"))
		return;
	if (!alias_to_module("v00008086d0000100E", MISSING_MODULE))
		return;
	tool("bind", "--group", t.mf[0]);
	alias_restore();
	diag_output("vfio-pci-bind bind --group (module missing)");
	expect_status(EXIT_NOTVIABLE, "bind --group with the chosen module missing");
	expect_output("not viable", "bind --group with the chosen module missing");
	expect_driver(t.mf[0], VFIO_PCI);
	expect_driver(t.mf[1], "e1000");

	/* With the alias gone, the same command completes the group. */
	tool("bind", "--group", t.mf[0]);
	expect_status(0, "bind --group again");
	expect_driver(t.mf[1], VFIO_PCI);
}

/* ---- the variant, installed where depmod and modprobe find it ----------- */

/*
 * depmod over Debian's whole module tree takes more than a minute under
 * TCG, and it would run twice (in and out).  So the variant and our two
 * modules go under updates/ of a module tree of the test's own, depmod
 * indexes just that, and the tree is bind-mounted over
 * /lib/modules/$(uname -r) in a mount namespace of this program: the tool
 * and the modprobe it runs (its children) see it, nothing else does, and it
 * is gone with the mount or with this process.  edu-vfio-pci goes there too
 * when it is built; the case that needs it fails when it is not.
 */
static const char *const installed_kos[][2] = {
	{ VARIANT_KO, "vfio-pci-test-variant.ko" },
	{ REPO_PATH "/vfio-pci.ko", "vfio-pci.ko" },
	{ REPO_PATH "/vfio-pci-core.ko", "vfio-pci-core.ko" },
	{ EDU_KO, "edu-vfio-pci.ko" },
};

/* What depmod and modprobe read about built-in modules, kept as it is. */
static const char *const kept_indexes[] = {
	"modules.order", "modules.builtin", "modules.builtin.modinfo",
};

static bool mkdir_in(char *path, size_t len, const char *dir, const char *name)
{
	join(path, len, dir, name);
	return tap_check(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s",
			 path, strerror(errno));
}

static bool tree_populate(const char *tree)
{
	char dir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	size_t i;
	int ret;

	if (!mkdir_in(dir, sizeof(dir), tree, "updates"))
		return false;
	for (i = 0; i < ARRAY_SIZE(installed_kos); i++) {
		join(from, sizeof(from), t.here, installed_kos[i][0]);
		join(to, sizeof(to), dir, installed_kos[i][1]);
		if (!strcmp(installed_kos[i][0], EDU_KO) && access(from, F_OK))
			continue;
		ret = copy_file(from, to);
		if (!tap_check(!ret, "copying %s to %s: %s", from, to, tap_errno_name(-ret)))
			return false;
	}
	for (i = 0; i < ARRAY_SIZE(kept_indexes); i++) {
		moddir_path(from, sizeof(from), kept_indexes[i]);
		join(to, sizeof(to), tree, kept_indexes[i]);
		if (access(from, F_OK) == 0)
			copy_file(from, to);
	}
	return true;
}

static bool variant_install(void)
{
	char lib[PATH_MAX], modules[PATH_MAX], tree[PATH_MAX];
	char *argv[] = { "depmod", "-b", t.scratch, t.release, NULL };

	strcpy(t.scratch, "/tmp/vfio-bind-tool-test.XXXXXX");
	if (!tap_check(mkdtemp(t.scratch) != NULL, "mkdtemp: %s", strerror(errno))) {
		t.scratch[0] = '\0';
		return false;
	}
	if (!mkdir_in(lib, sizeof(lib), t.scratch, "lib") ||
	    !mkdir_in(modules, sizeof(modules), lib, "modules") ||
	    !mkdir_in(tree, sizeof(tree), modules, t.release) ||
	    !tree_populate(tree))
		return false;
	run_argv(0, argv);
	if (!tap_check(r.status == 0, "depmod -b %s %s: exit %d: %s", t.scratch,
		       t.release, r.status, r.out))
		return false;
	if (!t.own_mount_ns) {
		if (!tap_check(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s",
			       strerror(errno)))
			return false;
		t.own_mount_ns = true;
		/* Nothing mounted here may reach the runner's namespace. */
		if (!tap_check(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0,
			       "making / private: %s", strerror(errno)))
			return false;
	}
	if (!tap_check(mount(tree, t.moddir, NULL, MS_BIND, NULL) == 0,
		       "bind-mounting %s over %s: %s", tree, t.moddir, strerror(errno)))
		return false;
	t.variant_installed = true;
	return true;
}

static bool file_has_line(const char *path, const char *want)
{
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		found = !strcmp(line, want);
	}
	free(line);
	fclose(f);
	return found;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Undoes variant_install() and what the case did with the variant. */
static void variant_uninstall(void)
{
	char path[PATH_MAX], driver[64];

	if (*t.testdev) {
		driver_of(t.testdev, driver, sizeof(driver));
		if (!strcmp(driver, VARIANT_DRIVER))
			EXPECT_OK(pci_unbind(t.testdev), "unbinding from the variant");
	}
	if (module_loaded(VARIANT_MODULE))
		EXPECT_OK(module_unload(VARIANT_MODULE), "delete_module of " VARIANT_MODULE);
	if (*t.edu) {
		driver_of(t.edu, driver, sizeof(driver));
		if (!strcmp(driver, EDU_DRIVER))
			EXPECT_OK(pci_unbind(t.edu), "unbinding edu from " EDU_DRIVER);
	}
	if (module_loaded(EDU_MODULE))
		EXPECT_OK(module_unload(EDU_MODULE), "delete_module of " EDU_MODULE);
	if (t.variant_installed &&
	    tap_check(umount2(t.moddir, MNT_DETACH) == 0, "unmounting %s: %s",
		      t.moddir, strerror(errno)))
		t.variant_installed = false;
	if (*t.scratch) {
		nftw(t.scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		t.scratch[0] = '\0';
	}
	moddir_path(path, sizeof(path), "modules.alias");
	tap_check(!file_has_line(path, VARIANT_ALIAS),
		  "%s still has the variant's alias", path);
}

static void picks_variant_driver_over_vfio_pci(void)
{
	char path[PATH_MAX], line[64];
	struct list_line l;

	if (vfio_test_case_ours_only("the test variant driver links against our core"))
		return;
	if (needs(t.testdev, "pci-testdev (1b36:0005)"))
		return;
	if (!variant_install())
		goto out;
	moddir_path(path, sizeof(path), "modules.alias");
	if (!tap_check(file_has_line(path, VARIANT_ALIAS),
		       "%s: no line \"%s\" after depmod", path, VARIANT_ALIAS))
		goto out;

	tool("list", t.testdev);
	if (expect_status(0, "list") &&
	    tap_check(list_find(t.testdev, &l), "%s: not listed", t.testdev))
		EXPECT_STREQ(l.vfio, VARIANT_MODULE, "list's VFIO driver for pci-testdev");

	tool("bind", t.testdev);
	diag_output("vfio-pci-bind bind (pci-testdev)");
	if (!expect_status(0, "bind"))
		goto out;
	expect_output("using " VARIANT_MODULE, "bind names the module it chose");
	expect_driver(t.testdev, VARIANT_DRIVER);
	expect_override(t.testdev, VARIANT_DRIVER);
	expect_node_printed(t.testdev);
	/* It came from vfio-pci: nothing to give back to. */
	expect_state(t.testdev, "");

	tool("unbind", t.testdev);
	expect_status(0, "unbind");
	snprintf(line, sizeof(line), "%s: no driver\n", t.testdev);
	expect_output(line, "unbind of a function no host driver wants");
	expect_driver(t.testdev, "");
out:
	variant_uninstall();
	EXPECT_OK(pci_bind(t.testdev, VFIO_PCI), "binding pci-testdev back to vfio-pci");
}

/*
 * With edu-vfio-pci installed, the tool binds edu to it by modules.alias,
 * and an e1000e, which no variant claims, still to vfio_pci.
 */
static void picks_edu_vfio_pci_for_edu_and_vfio_pci_for_e1000e(void)
{
	char path[PATH_MAX], ko[PATH_MAX], driver[64];

	if (vfio_test_case_ours_only("edu-vfio-pci links against our core"))
		return;
	if (needs(t.edu, "edu (1234:11e8)") || needs(t.nic, "e1000e (8086:10d3)"))
		return;
	join(ko, sizeof(ko), t.here, EDU_KO);
	if (!tap_check(access(ko, R_OK) == 0, "%s: not there; \"make vm-build\" builds it",
		       ko))
		return;
	if (!variant_install())
		goto out;
	moddir_path(path, sizeof(path), "modules.alias");
	if (!tap_check(file_has_line(path, EDU_ALIAS),
		       "%s: no line \"%s\" after depmod", path, EDU_ALIAS))
		goto out;

	tool("bind", t.edu);
	diag_output("vfio-pci-bind bind (edu)");
	if (expect_status(0, "bind of edu")) {
		expect_output("using " EDU_MODULE, "bind names the module it chose for edu");
		expect_driver(t.edu, EDU_DRIVER);
		expect_override(t.edu, EDU_DRIVER);
		expect_node_printed(t.edu);
	}

	driver_of(t.nic, driver, sizeof(driver));
	if (strcmp(driver, "e1000e") &&
	    !give_to_host_driver(t.nic, "e1000e", &t.loaded_e1000e))
		goto out;
	tool("bind", t.nic);
	diag_output("vfio-pci-bind bind (e1000e, edu-vfio-pci installed)");
	if (expect_status(0, "bind of e1000e")) {
		expect_output("using vfio_pci ", "bind names vfio_pci for e1000e");
		expect_driver(t.nic, VFIO_PCI);
		expect_override(t.nic, VFIO_PCI);
	}
out:
	variant_uninstall();
	EXPECT_OK(pci_bind(t.edu, VFIO_PCI), "binding edu back to vfio-pci");
	expect_driver(t.edu, VFIO_PCI);
	EXPECT_OK(pci_bind(t.nic, VFIO_PCI), "binding e1000e back to vfio-pci");
	state_remove(t.nic);
}

/* The runner's contract, whatever happened above. */
static void zoo_left_bound_to_vfio_pci(void)
{
	const char *touched[] = { t.nic, t.mf[0], t.mf[1], t.testdev, t.edu };
	size_t i;

	alias_restore();
	if (t.variant_installed || *t.scratch || module_loaded(VARIANT_MODULE) ||
	    module_loaded(EDU_MODULE))
		variant_uninstall();
	for (i = 0; i < ARRAY_SIZE(touched); i++) {
		if (!*touched[i])
			continue;
		EXPECT_OK(pci_bind(touched[i], VFIO_PCI), touched[i]);
		expect_driver(touched[i], VFIO_PCI);
		expect_override(touched[i], VFIO_PCI);
		state_remove(touched[i]);
	}
	rmdir(STATE_DIR);
	if (t.loaded_e1000e)
		EXPECT_OK(module_unload("e1000e"), "unloading e1000e, which we loaded");
	if (t.loaded_e1000)
		EXPECT_OK(module_unload("e1000"), "unloading e1000, which we loaded");
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "help_exits_0_and_names_every_exit_code", help_exits_0_and_names_every_exit_code },
	{ "list_shows_every_function_with_group_and_driver",
	  list_shows_every_function_with_group_and_driver },
	{ "bind_e1000e_to_vfio_pci_prints_dev_vfio_path",
	  bind_e1000e_to_vfio_pci_prints_dev_vfio_path },
	{ "unbind_of_open_device_exits_5_in_use", unbind_of_open_device_exits_5_in_use },
	{ "unbind_restores_e1000e", unbind_restores_e1000e },
	{ "dry_run_changes_nothing", dry_run_changes_nothing },
	{ "bind_with_unloadable_module_exits_7_keeps_e1000e",
	  bind_with_unloadable_module_exits_7_keeps_e1000e },
	{ "bind_that_does_not_take_exits_5_and_gives_it_back",
	  bind_that_does_not_take_exits_5_and_gives_it_back },
	{ "no_such_device_exits_3", no_such_device_exits_3 },
	{ "function_without_iommu_group_exits_4", function_without_iommu_group_exits_4 },
	{ "not_root_exits_8", not_root_exits_8 },
	{ "bind_group_binds_both_functions_of_the_multifunction_slot",
	  bind_group_binds_both_functions_of_the_multifunction_slot },
	{ "unbind_group_gives_both_back_to_e1000", unbind_group_gives_both_back_to_e1000 },
	{ "bind_one_function_of_shared_group_warns_not_viable",
	  bind_one_function_of_shared_group_warns_not_viable },
	{ "bind_group_with_unloadable_module_exits_6_not_viable",
	  bind_group_with_unloadable_module_exits_6_not_viable },
	{ "picks_variant_driver_over_vfio_pci", picks_variant_driver_over_vfio_pci },
	{ "picks_edu_vfio_pci_for_edu_and_vfio_pci_for_e1000e",
	  picks_edu_vfio_pci_for_edu_and_vfio_pci_for_e1000e },
	{ "zoo_left_bound_to_vfio_pci", zoo_left_bound_to_vfio_pci },
};

int main(void)
{
	struct utsname uts;
	char exe[PATH_MAX];
	ssize_t n;
	size_t i;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		tap_bail_out("readlink /proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	snprintf(t.here, sizeof(t.here), "%s", dirname(exe));
	join(t.tool, sizeof(t.tool), t.here, TOOL_PATH);
	if (access(t.tool, X_OK))
		tap_bail_out("%s: not built (\"make vm-build\" builds it)", t.tool);
	if (uname(&uts))
		tap_bail_out("uname: %s", strerror(errno));
	snprintf(t.release, sizeof(t.release), "%s", uts.release);
	snprintf(t.moddir, sizeof(t.moddir), "/lib/modules/%s", t.release);
	find_zoo();

	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s; tool %s", vfio_test_driver_name(), t.tool);
	tap_diag("functions: e1000e %s, slot %s + %s, pci-testdev %s, edu %s",
		 *t.nic ? t.nic : "-", *t.mf[0] ? t.mf[0] : "-",
		 *t.mf[1] ? t.mf[1] : "-", *t.testdev ? t.testdev : "-",
		 *t.edu ? t.edu : "-");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tap_case_begin("%s", cases[i].name);
		cases[i].run();
		tap_case_end();
	}
	tap_finish();
}
