// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-bind: hand PCI functions to a VFIO driver and give them back.
 *
 * The driver is chosen the way override-only match entries are meant to be
 * used: the function's modalias, with "pci:" turned into "vfio_pci:", is
 * matched against the vfio_pci: aliases of modules.alias, and the most
 * specific pattern wins; vfio_pci's catch-all is taken only when nothing
 * else matches.  Binding goes through driver_override, so only the chosen
 * driver can take the function, and the driver it had before is remembered
 * under /run so that unbind can give it back.
 *
 * Every change (a sysfs write, a modprobe, the state file) goes through one
 * of a few helpers that print it as a shell command under --dry-run and
 * --verbose.  See vfio-pci-bind.8 for the commands and the exit codes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PCI_BUS_DIR		"/sys/bus/pci"
#define PCI_DEVICES_DIR		PCI_BUS_DIR "/devices"
#define PCI_DRIVERS_DIR		PCI_BUS_DIR "/drivers"
#define PCI_DRIVERS_PROBE	PCI_BUS_DIR "/drivers_probe"
#define MODULES_DIR		"/sys/module"
#define STATE_DIR		"/run/vfio-pci-bind"

#define VFIO_ALIAS_PREFIX	"vfio_pci:"
#define GENERIC_MODULE		"vfio_pci"
#define GENERIC_DRIVER		"vfio-pci"
#define CORE_MODULE		"vfio_pci_core"

/* How long udev (or devtmpfs) gets to create /dev/vfio/N. */
#define NODE_WAIT_MS		2000

#define PCI_HEADER_TYPE		0x0e
#define PCI_CLASS_BRIDGE_PCI	0x0604

#define NAME_LEN		(NAME_MAX + 1)
#define BDF_LEN			32

#define PRINTF(a, b)		__attribute__((format(printf, a, b)))

/* Exit codes: keep vfio-pci-bind.8, README.md and usage() in step. */
enum status {
	ST_OK		= 0,
	ST_ERROR	= 1,	/* anything not listed below */
	ST_USAGE	= 2,
	ST_NODEV	= 3,	/* no such PCI function */
	ST_NOIOMMU	= 4,	/* the function has no IOMMU group */
	ST_BUSY		= 5,	/* its group is open, or the bind did not take */
	ST_NOTVIABLE	= 6,	/* --group: a function of the group stayed out */
	ST_MODULE	= 7,	/* no VFIO driver, or its module would not load */
	ST_PERM		= 8,	/* not root */
};

static struct {
	bool dry_run;
	bool group;
	bool verbose;
	bool quiet;
} opt;

static const char *prog = "vfio-pci-bind";

/* ---- messages ----------------------------------------------------------- */

/* Progress and explanations: stderr, so stdout carries only results. */
static void PRINTF(1, 2) note(const char *fmt, ...)
{
	va_list ap;

	if (opt.quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void PRINTF(1, 2) warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Prints an error and returns @st, so callers can "return fail(...)". */
static int PRINTF(2, 3) fail(enum status st, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return st;
}

/*
 * A change about to be made, as the shell command that makes it: the whole
 * output of a dry run (stdout, so it can be saved and run), and with
 * --verbose a trace on stderr.
 */
static void PRINTF(1, 2) trace(const char *fmt, ...)
{
	FILE *out = opt.dry_run ? stdout : stderr;
	va_list ap;

	if (!opt.dry_run && !opt.verbose)
		return;
	if (!opt.dry_run)
		fputs("+ ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static enum status errno_status(int err)
{
	return err == EACCES || err == EPERM ? ST_PERM : ST_ERROR;
}

/* ---- files -------------------------------------------------------------- */

/* Paths are built from validated BDFs and sysfs names: they always fit. */
static void PRINTF(3, 4) path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		fail(ST_ERROR, "path too long: %s...", buf);
		exit(ST_ERROR);
	}
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The whole (small) file, trailing newlines removed; length or -errno. */
static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return n;
}

/* The last component of a symlink's target; -ENOENT when there is none. */
static int link_name(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

/* A sysfs write, or under --dry-run only its trace.  0 or -errno. */
static int sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	/* "\n" is how driver_override is cleared: "echo > file". */
	if (!strcmp(val, "\n"))
		trace("echo > %s", path);
	else
		trace("echo %s > %s", val, path);
	if (opt.dry_run)
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	err = n < 0 ? errno : (size_t)n != len ? EIO : 0;
	close(fd);
	return -err;
}

static void dev_path(char *buf, size_t len, const char *bdf, const char *attr)
{
	path_fmt(buf, len, PCI_DEVICES_DIR "/%s/%s", bdf, attr);
}

static int dev_write(const char *bdf, const char *attr, const char *val)
{
	char path[PATH_MAX];

	dev_path(path, sizeof(path), bdf, attr);
	return sysfs_write(path, val);
}

/* ---- modules and drivers ------------------------------------------------ */

/* modprobe's own spelling: '-' and '_' are the same in module names. */
static void module_name_norm(char *name)
{
	for (; *name; name++)
		if (*name == '-')
			*name = '_';
}

static bool module_present(const char *module)
{
	char path[PATH_MAX];

	path_fmt(path, sizeof(path), MODULES_DIR "/%s", module);
	return exists(path);
}

/* Runs "modprobe @module" (traced); its exit status, or -errno. */
static int modprobe(const char *module)
{
	int status;
	pid_t pid;

	trace("modprobe %s", module);
	if (opt.dry_run)
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("modprobe", "modprobe", module, (char *)NULL);
		fprintf(stderr, "%s: cannot run modprobe: %s\n", prog,
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool driver_registered(const char *driver)
{
	char path[PATH_MAX];

	path_fmt(path, sizeof(path), PCI_DRIVERS_DIR "/%s", driver);
	return exists(path);
}

/* The module a PCI driver lives in; -ENOENT for one built in without one. */
static int driver_module(const char *driver, char *buf, size_t len)
{
	char path[PATH_MAX];

	path_fmt(path, sizeof(path), PCI_DRIVERS_DIR "/%s/module", driver);
	return link_name(path, buf, len);
}

static int no_dots(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* The (first, by name) PCI driver that @module registers; 0 or -ENOENT. */
static int module_driver(const char *module, char *buf, size_t len)
{
	char owner[NAME_LEN];
	struct dirent **names;
	int i, n, ret = -ENOENT;

	n = scandir(PCI_DRIVERS_DIR, &names, no_dots, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		if (ret && !driver_module(names[i]->d_name, owner, sizeof(owner)) &&
		    !strcmp(owner, module) && strlen(names[i]->d_name) < len) {
			strcpy(buf, names[i]->d_name);
			ret = 0;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

/*
 * A VFIO driver is vfio-pci or a module built on vfio_pci_core (it holds
 * the core).  A variant built into the kernel has no holders link; its
 * name says what it is (mlx5_vfio_pci, hisi_acc_vfio_pci, ...).
 */
static bool is_vfio_driver(const char *driver)
{
	char module[NAME_LEN], path[PATH_MAX];

	if (!*driver)
		return false;
	if (!strcmp(driver, GENERIC_DRIVER))
		return true;
	if (!driver_module(driver, module, sizeof(module))) {
		path_fmt(path, sizeof(path), MODULES_DIR "/" CORE_MODULE "/holders/%s",
			 module);
		if (exists(path))
			return true;
	}
	return strstr(driver, "vfio") != NULL;
}

/* ---- PCI functions ------------------------------------------------------ */

struct pci_fn {
	char bdf[BDF_LEN];
	char driver[NAME_LEN];		/* "" when unbound */
	char override[NAME_LEN];	/* "" when not set */
	char modalias[256];
	char vfio_alias[256 + 8];	/* modalias as vfio_pci:..., or "" */
	unsigned int vendor, device, subvendor, subdevice, class;
	int group;			/* -1: no IOMMU group */
	bool bridge;
};

/*
 * "0000:03:00.0" or "03:00.0" into the kernel's spelling; false when it is
 * no BDF at all.
 */
static bool bdf_parse(const char *arg, char *out, size_t len)
{
	unsigned int domain = 0, bus, dev, fn;
	int end = -1, n;

	if (sscanf(arg, "%x:%x:%x.%x%n", &domain, &bus, &dev, &fn, &end) != 4 ||
	    (size_t)end != strlen(arg)) {
		domain = 0;
		end = -1;
		if (sscanf(arg, "%x:%x.%x%n", &bus, &dev, &fn, &end) != 3 ||
		    (size_t)end != strlen(arg))
			return false;
	}
	if (bus > 0xff || dev > 0x1f || fn > 7 || !isxdigit((unsigned char)arg[0]))
		return false;
	n = snprintf(out, len, "%04x:%02x:%02x.%x", domain, bus, dev, fn);
	return n > 0 && (size_t)n < len;
}

static int read_hex_attr(const char *bdf, const char *attr, unsigned int *val)
{
	char path[PATH_MAX], buf[32], *end;
	int ret;

	dev_path(path, sizeof(path), bdf, attr);
	ret = read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	*val = strtoul(buf, &end, 16);
	return *end ? -EINVAL : 0;
}

/* Header type 1 (PCI-PCI) or 2 (CardBus): vfio-pci takes neither. */
static bool is_bridge(const char *bdf, unsigned int class)
{
	char path[PATH_MAX];
	unsigned char type;
	int fd;
	ssize_t n;

	dev_path(path, sizeof(path), bdf, "config");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = pread(fd, &type, 1, PCI_HEADER_TYPE);
		close(fd);
		if (n == 1)
			return (type & 0x7f) == 1 || (type & 0x7f) == 2;
	}
	return class >> 8 == PCI_CLASS_BRIDGE_PCI;
}

/* Everything the commands look at; -ENODEV when there is no such function. */
static int fn_load(const char *bdf, struct pci_fn *fn)
{
	char path[PATH_MAX], name[NAME_LEN], *end;
	int ret;

	memset(fn, 0, sizeof(*fn));
	fn->group = -1;
	if (strlen(bdf) >= sizeof(fn->bdf))
		return -ENODEV;
	strcpy(fn->bdf, bdf);
	dev_path(path, sizeof(path), bdf, "");
	if (!exists(path))
		return -ENODEV;

	if (read_hex_attr(bdf, "vendor", &fn->vendor) ||
	    read_hex_attr(bdf, "device", &fn->device) ||
	    read_hex_attr(bdf, "class", &fn->class))
		return -ENODEV;
	/* Older kernels and some virtual functions may lack these two. */
	read_hex_attr(bdf, "subsystem_vendor", &fn->subvendor);
	read_hex_attr(bdf, "subsystem_device", &fn->subdevice);

	dev_path(path, sizeof(path), bdf, "modalias");
	if (read_file(path, fn->modalias, sizeof(fn->modalias)) < 0)
		fn->modalias[0] = '\0';
	/* What a VFIO driver's override-only entries are published under. */
	if (!strncmp(fn->modalias, "pci:", 4))
		snprintf(fn->vfio_alias, sizeof(fn->vfio_alias), VFIO_ALIAS_PREFIX "%s",
			 fn->modalias + 4);

	dev_path(path, sizeof(path), bdf, "driver");
	ret = link_name(path, fn->driver, sizeof(fn->driver));
	if (ret)
		fn->driver[0] = '\0';

	dev_path(path, sizeof(path), bdf, "driver_override");
	if (read_file(path, fn->override, sizeof(fn->override)) < 0 ||
	    !strcmp(fn->override, "(null)"))
		fn->override[0] = '\0';

	dev_path(path, sizeof(path), bdf, "iommu_group");
	if (!link_name(path, name, sizeof(name))) {
		long group = strtol(name, &end, 10);

		if (!*end && group >= 0 && group <= INT_MAX)
			fn->group = group;
	}
	fn->bridge = is_bridge(bdf, fn->class);
	return 0;
}

static void group_node(int group, char *buf, size_t len)
{
	path_fmt(buf, len, "/dev/vfio/%d", group);
}

/* The functions of IOMMU group @group, sorted; count or -errno. */
static int group_functions(int group, struct dirent ***names)
{
	char path[PATH_MAX];
	int n;

	path_fmt(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	n = scandir(path, names, no_dots, alphasort);
	return n < 0 ? -errno : n;
}

static void free_names(struct dirent **names, int n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* ---- choosing the VFIO driver ------------------------------------------- */

struct vfio_alias {
	char *pattern;
	char *module;
};

static struct {
	bool loaded;
	char path[PATH_MAX];
	struct vfio_alias *v;
	size_t count;
} aliases;

/* The vfio_pci: lines of the running kernel's modules.alias, read once. */
static void aliases_load(void)
{
	char *line = NULL, *pattern, *module;
	struct utsname uts;
	size_t cap = 0, room = 0;
	FILE *f;

	if (aliases.loaded)
		return;
	aliases.loaded = true;
	if (uname(&uts))
		return;
	path_fmt(aliases.path, sizeof(aliases.path),
		 "/lib/modules/%s/modules.alias", uts.release);
	f = fopen(aliases.path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "alias %ms %ms", &pattern, &module) != 2)
			continue;
		if (strncmp(pattern, VFIO_ALIAS_PREFIX, strlen(VFIO_ALIAS_PREFIX))) {
			free(pattern);
			free(module);
			continue;
		}
		if (aliases.count == room) {
			struct vfio_alias *v;

			room = room ? 2 * room : 16;
			v = realloc(aliases.v, room * sizeof(*v));
			if (!v) {
				free(pattern);
				free(module);
				break;
			}
			aliases.v = v;
		}
		module_name_norm(module);
		aliases.v[aliases.count].pattern = pattern;
		aliases.v[aliases.count].module = module;
		aliases.count++;
	}
	free(line);
	fclose(f);
}

/* How specific a pattern is: its characters that are no wildcard. */
static unsigned int specificity(const char *pattern)
{
	unsigned int n = 0;

	for (; *pattern; pattern++)
		if (!strchr("*?[]", *pattern))
			n++;
	return n;
}

struct choice {
	char module[NAME_LEN];	/* "" for a registered driver of no module */
	char driver[NAME_LEN];	/* "" while the module is not loaded */
	const char *pattern;	/* the modules.alias entry; NULL: fallback */
};

/*
 * The best VFIO driver for @fn: the most specific vfio_pci: alias that
 * matches its modalias, vfio_pci's catch-all only when no other does; with
 * no match at all (modules insmod'ed, not installed), a vfio-pci driver
 * already registered.  0, or -ENOENT when there is nothing to choose.
 */
static int choose(const struct pci_fn *fn, struct choice *c)
{
	const struct vfio_alias *best = NULL, *generic = NULL;
	unsigned int best_score = 0;
	size_t i;

	memset(c, 0, sizeof(*c));
	aliases_load();
	for (i = 0; *fn->vfio_alias && i < aliases.count; i++) {
		const struct vfio_alias *a = &aliases.v[i];
		unsigned int score;

		if (fnmatch(a->pattern, fn->vfio_alias, 0))
			continue;
		if (!strcmp(a->module, GENERIC_MODULE)) {
			generic = generic ?: a;
			continue;
		}
		score = specificity(a->pattern);
		if (!best || score > best_score) {
			best = a;
			best_score = score;
		}
	}
	best = best ?: generic;
	if (best) {
		snprintf(c->module, sizeof(c->module), "%s", best->module);
		c->pattern = best->pattern;
		if (module_driver(c->module, c->driver, sizeof(c->driver)))
			c->driver[0] = '\0';
		return 0;
	}
	if (!driver_registered(GENERIC_DRIVER))
		return -ENOENT;
	strcpy(c->driver, GENERIC_DRIVER);
	if (driver_module(c->driver, c->module, sizeof(c->module)))
		c->module[0] = '\0';
	return 0;
}

/* Says which driver was chosen and why. */
static void explain_choice(const struct pci_fn *fn, const struct choice *c)
{
	if (c->pattern)
		note("%s: using %s (modules.alias: %s)", fn->bdf, c->module,
		     c->pattern);
	else
		note("%s: no vfio_pci: alias in %s matches; using the registered driver %s",
		     fn->bdf, aliases.path[0] ? aliases.path : "modules.alias",
		     c->driver);
}

/*
 * Loads the chosen module when it is not loaded yet and finds its PCI
 * driver.  Under --dry-run an unloaded module's driver is assumed to be
 * named after it ("vfio_pci" -> "vfio-pci"), which holds for the VFIO ones.
 */
static int load_choice(const struct pci_fn *fn, struct choice *c)
{
	int ret;
	char *p;

	if (*c->driver)
		return ST_OK;
	if (!module_present(c->module)) {
		ret = modprobe(c->module);
		if (ret)
			return fail(ST_MODULE, "%s: modprobe %s failed (%s %d)", fn->bdf,
				    c->module, ret < 0 ? "error" : "exit",
				    ret < 0 ? -ret : ret);
	}
	if (!module_driver(c->module, c->driver, sizeof(c->driver)))
		return ST_OK;
	if (!opt.dry_run)
		return fail(ST_MODULE, "%s: module %s is loaded but registers no PCI driver",
			    fn->bdf, c->module);
	snprintf(c->driver, sizeof(c->driver), "%s", c->module);
	for (p = c->driver; *p; p++)
		if (*p == '_')
			*p = '-';
	note("%s: assuming %s registers the PCI driver %s", fn->bdf, c->module,
	     c->driver);
	return ST_OK;
}

/* ---- who has the group open --------------------------------------------- */

/*
 * The first process with @node open: its pid (and name in @comm), 0 for
 * none.  Processes we may not look into (not root) are not seen.
 */
static pid_t node_user(const char *node, char *comm, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct dirent *p, *f;
	pid_t found = 0;
	DIR *proc, *fds;
	ssize_t n;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!found && (p = readdir(proc))) {
		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		path_fmt(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!found && (f = readdir(fds))) {
			if (f->d_name[0] == '.')
				continue;
			path_fmt(path, sizeof(path), "/proc/%s/fd/%s", p->d_name,
				 f->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			if (!strcmp(target, node))
				found = atoi(p->d_name);
		}
		closedir(fds);
	}
	closedir(proc);
	if (found) {
		path_fmt(path, sizeof(path), "/proc/%d/comm", found);
		if (read_file(path, comm, len) < 0)
			snprintf(comm, len, "?");
	}
	return found;
}

/*
 * Unbinding a VFIO driver from a function whose group (or, with iommufd,
 * whose device node) is open blocks until the user lets go: refuse first.
 */
static int check_not_in_use(const struct pci_fn *fn)
{
	char nodes[2][PATH_MAX], path[PATH_MAX], comm[64];
	struct dirent **names;
	int i, n, count = 0;
	pid_t pid;

	if (fn->group >= 0)
		group_node(fn->group, nodes[count++], sizeof(nodes[0]));
	dev_path(path, sizeof(path), fn->bdf, "vfio-dev");
	n = scandir(path, &names, no_dots, alphasort);
	if (n > 0)
		path_fmt(nodes[count++], sizeof(nodes[0]), "/dev/vfio/devices/%s",
			 names[0]->d_name);
	if (n >= 0)
		free_names(names, n);
	for (i = 0; i < count; i++) {
		pid = node_user(nodes[i], comm, sizeof(comm));
		if (pid)
			return fail(ST_BUSY, "%s: in use: %s is open by pid %d (%s)",
				    fn->bdf, nodes[i], (int)pid, comm);
	}
	return ST_OK;
}

/* ---- remembering the driver a function had ------------------------------ */

static void state_path(const char *bdf, char *buf, size_t len)
{
	path_fmt(buf, len, STATE_DIR "/%s", bdf);
}

/* Line 1 the driver, line 2 its module when it has one. */
static int state_write(const struct pci_fn *fn)
{
	char path[PATH_MAX], module[NAME_LEN] = "";
	FILE *f;

	state_path(fn->bdf, path, sizeof(path));
	driver_module(fn->driver, module, sizeof(module));
	trace("mkdir -p %s", STATE_DIR);
	trace("printf '%%s\\n' %s %s > %s", fn->driver, module, path);
	if (opt.dry_run)
		return 0;
	if (mkdir(STATE_DIR, 0755) && errno != EEXIST)
		return -errno;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s\n%s%s", fn->driver, module, *module ? "\n" : "");
	if (fclose(f))
		return -errno;
	return 0;
}

/*
 * The remembered driver and module (@driver and @module hold NAME_LEN bytes);
 * both "" when none is remembered or the file is not ours.
 */
static void state_read(const char *bdf, char *driver, char *module)
{
	char path[PATH_MAX], buf[2 * NAME_LEN + 2], *second;

	driver[0] = module[0] = '\0';
	state_path(bdf, path, sizeof(path));
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	second = strchr(buf, '\n');
	if (second)
		*second++ = '\0';
	else
		second = buf + strlen(buf);
	second[strcspn(second, "\n")] = '\0';
	if (strlen(buf) >= NAME_LEN || strlen(second) >= NAME_LEN)
		return;
	strcpy(driver, buf);
	strcpy(module, second);
}

static void state_remove(const char *bdf)
{
	char path[PATH_MAX];

	state_path(bdf, path, sizeof(path));
	if (!exists(path))
		return;
	trace("rm -f %s", path);
	if (!opt.dry_run && unlink(path) && errno != ENOENT)
		warn("%s: cannot remove %s: %s", bdf, path, strerror(errno));
}

/*
 * ---- what this run did -------------------------------------------------
 *
 * The groups to check for viability at the end: those a function was bound
 * in, and with --group every group named.  A failed bind that was undone
 * leaves its group as it was, and is no news.
 */

#define MAX_GROUPS	256
#define MAX_TAKEN	1024

static struct {
	int groups[MAX_GROUPS];
	int ngroups;
	char taken[MAX_TAKEN][BDF_LEN];	/* bound by us (or would be) */
	int ntaken;
	int nodes[MAX_GROUPS];		/* groups whose node to print */
	int nnodes;
} run;

static bool int_in(const int *set, int n, int val)
{
	while (n--)
		if (set[n] == val)
			return true;
	return false;
}

static void group_touched(int group)
{
	if (group >= 0 && run.ngroups < MAX_GROUPS &&
	    !int_in(run.groups, run.ngroups, group))
		run.groups[run.ngroups++] = group;
}

static void taken_add(const char *bdf)
{
	if (run.ntaken < MAX_TAKEN)
		strcpy(run.taken[run.ntaken++], bdf);
}

static bool taken(const char *bdf)
{
	int i;

	for (i = 0; i < run.ntaken; i++)
		if (!strcmp(run.taken[i], bdf))
			return true;
	return false;
}

/* ---- bind --------------------------------------------------------------- */

/* A group whose /dev/vfio/N is printed once every function is bound. */
static void node_wanted(int group)
{
	if (run.nnodes < MAX_GROUPS && !int_in(run.nodes, run.nnodes, group))
		run.nodes[run.nnodes++] = group;
}

/*
 * Prints /dev/vfio/N of every group bound to, after waiting for it to
 * appear: that is the path QEMU, DPDK or any VFIO user opens.
 */
static void print_nodes(void)
{
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	char node[64];
	int i, waited;

	for (i = 0; i < run.nnodes; i++) {
		group_node(run.nodes[i], node, sizeof(node));
		if (opt.dry_run) {
			note("would give %s", node);
			continue;
		}
		for (waited = 0; !exists(node) && waited < NODE_WAIT_MS; waited += 20)
			nanosleep(&tick, NULL);
		if (!exists(node))
			warn("%s did not appear within %d ms (no devtmpfs or udev?)",
			     node, NODE_WAIT_MS);
		printf("%s\n", node);
	}
}

/*
 * A bind that did not take: back to the override and the driver the
 * function had, as far as that goes.
 */
static void give_back(const struct pci_fn *before)
{
	char path[PATH_MAX], now[NAME_LEN] = "";

	dev_write(before->bdf, "driver_override",
		  *before->override ? before->override : "\n");
	dev_path(path, sizeof(path), before->bdf, "driver");
	link_name(path, now, sizeof(now));
	if (!strcmp(now, before->driver))
		return;
	if (*now)
		dev_write(before->bdf, "driver/unbind", before->bdf);
	if (*before->driver) {
		path_fmt(path, sizeof(path), PCI_DRIVERS_DIR "/%s/bind", before->driver);
		if (sysfs_write(path, before->bdf))
			warn("%s: could not give it back to %s", before->bdf,
			     before->driver);
		else
			note("%s: gave it back to %s", before->bdf, before->driver);
	}
}

static int bind_fn(const char *bdf)
{
	char path[PATH_MAX], now[NAME_LEN] = "";
	bool remembered = false;
	struct pci_fn fn;
	struct choice c;
	int ret;

	if (fn_load(bdf, &fn))
		return fail(ST_NODEV, "%s: no such PCI function", bdf);
	if (fn.group < 0)
		return fail(ST_NOIOMMU, "%s: no IOMMU group: is the IOMMU on (intel_iommu=on, amd_iommu=on)?",
			    bdf);
	if (fn.bridge)
		return fail(ST_ERROR, "%s: a PCI bridge; VFIO drivers take endpoints only",
			    bdf);
	if (choose(&fn, &c))
		return fail(ST_MODULE, "%s: no VFIO driver: no vfio_pci: alias in %s matches %s, and no %s driver is registered",
			    bdf, aliases.path[0] ? aliases.path : "modules.alias",
			    *fn.vfio_alias ? fn.vfio_alias : "its modalias",
			    GENERIC_DRIVER);
	explain_choice(&fn, &c);
	if (*c.driver && !strcmp(fn.driver, c.driver)) {
		note("%s: already bound to %s", bdf, c.driver);
		taken_add(bdf);
		group_touched(fn.group);
		node_wanted(fn.group);
		return ST_OK;
	}
	if (is_vfio_driver(fn.driver)) {
		ret = check_not_in_use(&fn);
		if (ret)
			return ret;
	}
	ret = load_choice(&fn, &c);
	if (ret)
		return ret;

	/* A VFIO driver is never what a function goes back to. */
	if (*fn.driver && !is_vfio_driver(fn.driver)) {
		ret = state_write(&fn);
		if (ret)
			return fail(errno_status(-ret), "%s: cannot remember %s in %s: %s",
				    bdf, fn.driver, STATE_DIR, strerror(-ret));
		remembered = true;
	}
	/* The override first: from here on only the chosen driver may take it. */
	ret = dev_write(bdf, "driver_override", c.driver);
	if (ret) {
		ret = fail(errno_status(-ret), "%s: writing driver_override: %s", bdf,
			   strerror(-ret));
		goto err_forget;
	}
	if (*fn.driver) {
		ret = dev_write(bdf, "driver/unbind", bdf);
		if (ret) {
			ret = fail(errno_status(-ret), "%s: unbinding %s: %s", bdf,
				   fn.driver, strerror(-ret));
			goto err_override;
		}
	}
	ret = sysfs_write(PCI_DRIVERS_PROBE, bdf);
	if (ret)
		note("%s: drivers_probe: %s", bdf, strerror(-ret));
	if (!opt.dry_run) {
		dev_path(path, sizeof(path), bdf, "driver");
		link_name(path, now, sizeof(now));
		if (strcmp(now, c.driver)) {
			ret = fail(ST_BUSY, "%s: the bind did not take: %s did not take it (%s; see dmesg)",
				   bdf, c.driver, *now ? now : "no driver");
			goto err_give_back;
		}
	}
	note("%s: %s -> %s", bdf, *fn.driver ? fn.driver : "no driver", c.driver);
	taken_add(bdf);
	group_touched(fn.group);
	node_wanted(fn.group);
	return ST_OK;

err_give_back:
	/* Restores the override too: the old driver cannot bind before that. */
	give_back(&fn);
	goto err_forget;
err_override:
	dev_write(bdf, "driver_override", *fn.override ? fn.override : "\n");
err_forget:
	if (remembered)
		state_remove(bdf);
	return ret;
}

/*
 * A group is viable when every endpoint in it is bound to a VFIO driver,
 * to pci-stub or to nothing; bridges may keep pcieport.  Warns naming the
 * functions that are in the way.
 */
static bool group_viable(int group)
{
	struct dirent **names;
	struct pci_fn fn;
	bool viable = true;
	int i, n;

	n = group_functions(group, &names);
	if (n < 0)
		return true;
	for (i = 0; i < n; i++) {
		if (fn_load(names[i]->d_name, &fn) || fn.bridge || !*fn.driver ||
		    taken(fn.bdf) || is_vfio_driver(fn.driver) ||
		    !strcmp(fn.driver, "pci-stub"))
			continue;
		if (viable)
			warn("IOMMU group %d is not viable: no VFIO user can open it while these functions keep their drivers (bind them too; --group does):",
			     group);
		fprintf(stderr, "  %s is bound to %s\n", fn.bdf, fn.driver);
		viable = false;
	}
	free_names(names, n);
	return viable;
}

/* ---- unbind ------------------------------------------------------------- */

/* Gives @bdf to @driver, loading @module (or the driver's name) if needed. */
static int bind_to_driver(const char *bdf, const char *driver, const char *module)
{
	char path[PATH_MAX], now[NAME_LEN] = "";
	int ret;

	if (!driver_registered(driver)) {
		ret = modprobe(*module ? module : driver);
		if (ret)
			warn("%s: modprobe %s failed (%d)", bdf, *module ? module : driver,
			     ret);
		/* Loading it may have probed the function already. */
		dev_path(path, sizeof(path), bdf, "driver");
		if (!opt.dry_run && !link_name(path, now, sizeof(now)) &&
		    !strcmp(now, driver))
			return 0;
		if (!opt.dry_run && !driver_registered(driver))
			return -ENOENT;
	}
	path_fmt(path, sizeof(path), PCI_DRIVERS_DIR "/%s/bind", driver);
	return sysfs_write(path, bdf);
}

static int unbind_fn(const char *bdf)
{
	char path[PATH_MAX], old[NAME_LEN], module[NAME_LEN], now[NAME_LEN] = "";
	struct pci_fn fn;
	bool vfio;
	int ret;

	if (fn_load(bdf, &fn))
		return fail(ST_NODEV, "%s: no such PCI function", bdf);
	vfio = is_vfio_driver(fn.driver);
	if (*fn.driver && !vfio) {
		note("%s: not bound to a VFIO driver; left on %s", bdf, fn.driver);
		printf("%s: %s\n", bdf, fn.driver);
		return ST_OK;
	}
	if (vfio) {
		ret = check_not_in_use(&fn);
		if (ret)
			return ret;
		ret = dev_write(bdf, "driver/unbind", bdf);
		if (ret)
			return fail(errno_status(-ret), "%s: unbinding %s: %s", bdf,
				    fn.driver, strerror(-ret));
	}
	if (*fn.override || vfio) {
		ret = dev_write(bdf, "driver_override", "\n");
		if (ret)
			return fail(errno_status(-ret), "%s: clearing driver_override: %s",
				    bdf, strerror(-ret));
	}

	state_read(bdf, old, module);
	if (*old) {
		ret = bind_to_driver(bdf, old, module);
		if (ret) {
			warn("%s: %s would not take it back (%s); asking the kernel",
			     bdf, old, strerror(-ret));
			sysfs_write(PCI_DRIVERS_PROBE, bdf);
		}
	} else {
		/* No driver wanting it is no error: then it stays unbound. */
		sysfs_write(PCI_DRIVERS_PROBE, bdf);
	}
	state_remove(bdf);

	if (opt.dry_run) {
		note("%s: would go back to %s", bdf, *old ? old : "the kernel's choice");
		return ST_OK;
	}
	dev_path(path, sizeof(path), bdf, "driver");
	link_name(path, now, sizeof(now));
	printf("%s: %s\n", bdf, *now ? now : "no driver");
	if (*old && strcmp(now, old))
		return fail(ST_ERROR, "%s: the remembered driver %s did not take it back",
			    bdf, old);
	return ST_OK;
}

/* ---- list --------------------------------------------------------------- */

static void list_fn(const struct pci_fn *fn, bool *fallback)
{
	char group[16], vfio[NAME_LEN + 2];
	struct choice c;

	if (fn->group >= 0)
		snprintf(group, sizeof(group), "%d", fn->group);
	else
		strcpy(group, "none");
	if (fn->bridge)
		strcpy(vfio, "- (bridge)");
	else if (choose(fn, &c))
		strcpy(vfio, "none");
	else if (c.pattern)
		snprintf(vfio, sizeof(vfio), "%s", c.module);
	else {
		snprintf(vfio, sizeof(vfio), "%s*", c.driver);
		*fallback = true;
	}
	printf("%-12s  %04x:%04x  %04x:%04x  %06x  %-5s  %-16s  %s\n", fn->bdf,
	       fn->vendor, fn->device, fn->subvendor, fn->subdevice, fn->class,
	       group, *fn->driver ? fn->driver : "-", vfio);
}

static int cmd_list(char **bdfs, int count)
{
	struct dirent **names = NULL;
	bool fallback = false;
	int i, n, st = ST_OK;
	struct pci_fn fn;

	printf("%-12s  %-9s  %-9s  %-6s  %-5s  %-16s  %s\n", "BDF", "ID",
	       "SUBSYSTEM", "CLASS", "GROUP", "DRIVER", "VFIO DRIVER");
	if (count) {
		for (i = 0; i < count; i++) {
			if (fn_load(bdfs[i], &fn)) {
				st = st ?: fail(ST_NODEV, "%s: no such PCI function", bdfs[i]);
				continue;
			}
			list_fn(&fn, &fallback);
		}
	} else {
		n = scandir(PCI_DEVICES_DIR, &names, no_dots, alphasort);
		if (n < 0)
			return fail(ST_ERROR, "%s: %s", PCI_DEVICES_DIR, strerror(errno));
		for (i = 0; i < n; i++)
			if (!fn_load(names[i]->d_name, &fn))
				list_fn(&fn, &fallback);
		free_names(names, n);
	}
	if (fallback)
		printf("* no vfio_pci: alias in %s matches: the registered driver\n",
		       aliases.path[0] ? aliases.path : "modules.alias");
	return st;
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
"usage: %s [options] list [BDF...]\n"
"       %s [options] bind [--group] BDF...\n"
"       %s [options] unbind [--group] BDF...\n"
"\n"
"  list    every PCI function: ids, class, IOMMU group, driver, and the VFIO\n"
"          driver bind would choose\n"
"  bind    hand each function to its most specific VFIO driver (by the\n"
"          vfio_pci: aliases of modules.alias), remembering the driver it\n"
"          had, check the IOMMU group is viable, and print /dev/vfio/N\n"
"  unbind  take each function from its VFIO driver and give it back to the\n"
"          driver it had (or, with none remembered, to the kernel's choice)\n"
"\n"
"options:\n"
"  -g, --group    every function of each BDF's IOMMU group (bridges skipped)\n"
"  -n, --dry-run  print the modprobe calls and sysfs writes; change nothing\n"
"  -v, --verbose  print each modprobe call and sysfs write as it is made\n"
"  -q, --quiet    print only results, warnings and errors\n"
"  -h, --help     this text\n"
"\n"
"BDF: 0000:03:00.0, or 03:00.0 in PCI domain 0\n"
"\n"
"exit status: 0 done; 1 other error; 2 usage; 3 no such device; 4 no IOMMU\n"
"group; 5 device in use, or the bind did not take; 6 IOMMU group not viable\n"
"(--group); 7 no VFIO driver, or its module would not load; 8 not root\n",
		prog, prog, prog);
}

/* Adds @bdf to the work list unless it is on it already. */
static int work_add(char ***work, int *count, const char *bdf)
{
	char **w;
	int i;

	for (i = 0; i < *count; i++)
		if (!strcmp((*work)[i], bdf))
			return 0;
	w = realloc(*work, (*count + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	*work = w;
	w[*count] = strdup(bdf);
	if (!w[*count])
		return -ENOMEM;
	(*count)++;
	return 0;
}

/*
 * The functions a command acts on: the BDFs given or, with --group, every
 * function of their IOMMU groups but bridges; each once, in order.
 */
static int expand(char **bdfs, int nbdfs, char ***work, int *count)
{
	struct dirent **names;
	struct pci_fn fn, member;
	int i, j, n, st = ST_OK;

	for (i = 0; i < nbdfs; i++) {
		if (!opt.group) {
			if (work_add(work, count, bdfs[i]))
				return fail(ST_ERROR, "out of memory");
			continue;
		}
		if (fn_load(bdfs[i], &fn)) {
			st = st ?: fail(ST_NODEV, "%s: no such PCI function", bdfs[i]);
			continue;
		}
		if (fn.group < 0) {
			st = st ?: fail(ST_NOIOMMU, "%s: no IOMMU group: is the IOMMU on?",
					bdfs[i]);
			continue;
		}
		group_touched(fn.group);
		n = group_functions(fn.group, &names);
		if (n < 0) {
			st = st ?: fail(ST_ERROR, "IOMMU group %d: %s", fn.group,
					strerror(-n));
			continue;
		}
		for (j = 0; j < n; j++) {
			if (fn_load(names[j]->d_name, &member))
				continue;
			if (member.bridge) {
				note("%s: a bridge in IOMMU group %d; left on %s", member.bdf,
				     fn.group, *member.driver ? member.driver : "no driver");
				continue;
			}
			if (work_add(work, count, member.bdf))
				return fail(ST_ERROR, "out of memory");
		}
		free_names(names, n);
	}
	return st;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "group",	no_argument, NULL, 'g' },
		{ "dry-run",	no_argument, NULL, 'n' },
		{ "verbose",	no_argument, NULL, 'v' },
		{ "quiet",	no_argument, NULL, 'q' },
		{ "help",	no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **bdfs, **work = NULL;
	int c, i, nbdfs, count = 0, st, ret;
	const char *cmd;

	/* Results on stdout and progress on stderr stay in order in a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "gnvqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'g':
			opt.group = true;
			break;
		case 'n':
			opt.dry_run = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return ST_OK;
		default:
			usage(stderr);
			return ST_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return ST_USAGE;
	}
	cmd = argv[optind++];
	nbdfs = argc - optind;
	bdfs = calloc(nbdfs + 1, sizeof(*bdfs));
	if (!bdfs)
		return fail(ST_ERROR, "out of memory");
	for (i = 0; i < nbdfs; i++) {
		bdfs[i] = malloc(BDF_LEN);
		if (!bdfs[i])
			return fail(ST_ERROR, "out of memory");
		if (!bdf_parse(argv[optind + i], bdfs[i], BDF_LEN))
			return fail(ST_USAGE, "%s: not a PCI address (0000:03:00.0 or 03:00.0)",
				    argv[optind + i]);
	}

	if (!strcmp(cmd, "list")) {
		if (opt.group)
			return fail(ST_USAGE, "list takes no --group");
		return cmd_list(bdfs, nbdfs);
	}
	if (strcmp(cmd, "bind") && strcmp(cmd, "unbind")) {
		fail(ST_USAGE, "unknown command \"%s\"", cmd);
		usage(stderr);
		return ST_USAGE;
	}
	if (!nbdfs)
		return fail(ST_USAGE, "%s needs at least one BDF", cmd);
	if (!opt.dry_run && access(PCI_DRIVERS_PROBE, W_OK))
		return fail(ST_PERM, "%s needs root: cannot write %s (%s)", cmd,
			    PCI_DRIVERS_PROBE, strerror(errno));

	st = expand(bdfs, nbdfs, &work, &count);
	for (i = 0; i < count; i++) {
		ret = !strcmp(cmd, "bind") ? bind_fn(work[i]) : unbind_fn(work[i]);
		/* With --group, any function left out makes the group unusable. */
		if (ret && opt.group && !strcmp(cmd, "bind"))
			ret = ST_NOTVIABLE;
		st = st ?: ret;
	}
	if (!strcmp(cmd, "bind")) {
		for (i = 0; i < run.ngroups; i++)
			if (!group_viable(run.groups[i]) && opt.group)
				st = st ?: ST_NOTVIABLE;
		print_nodes();
	}
	return st;
}
