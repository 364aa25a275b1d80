// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running commands and asking kmod where modules resolve, for the tests of
 * the install paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "install_util.h"
#include "tap.h"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
/* From the selftests directory up to the repository. */
#define REPO_FROM_TESTS		"../../../.."
/* Output lines shown when a command fails. */
#define DIAG_LINES		30
#define MAX_ARGS		16

const char *const install_modules[2] = { "vfio_pci", "vfio_pci_core" };

static struct {
	char release[sizeof(((struct utsname *)0)->release)];
	char kdir[256];
	char moddir[256];
} inst;

/* ---- running commands ----------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *bigger;
	ssize_t n;

	if (!buf)
		return NULL;
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (len + 1 < cap)
			continue;
		bigger = realloc(buf, cap * 2);
		if (!bigger)
			break;
		buf = bigger;
		cap *= 2;
	}
	buf[len] = '\0';
	return buf;
}

/* Output goes to an unlinked temporary file, read back when it exits. */
static void run_argv(struct cmd *c, char *const argv[])
{
	char tmpl[] = "/tmp/vfio_install.XXXXXX";
	double start = now();
	int fd, status;
	pid_t pid;

	c->status = 0;
	c->out = NULL;
	fd = mkstemp(tmpl);
	if (fd < 0) {
		c->status = -errno;
		goto out;
	}
	unlink(tmpl);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		c->status = -errno;
		goto out_close;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			c->status = -errno;
			goto out_close;
		}
	}
	c->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	lseek(fd, 0, SEEK_SET);
	c->out = read_all(fd);
out_close:
	close(fd);
out:
	c->secs = now() - start;
	if (!c->out)
		c->out = strdup("");
}

void cmd_run(struct cmd *c, const char *arg0, ...)
{
	const char *argv[MAX_ARGS + 1];
	unsigned int n = 0;
	va_list ap;

	argv[n++] = arg0;
	va_start(ap, arg0);
	while (n < MAX_ARGS && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	run_argv(c, (char *const *)argv);
}

void cmd_free(struct cmd *c)
{
	free(c->out);
	c->out = NULL;
}

void cmd_diag_output(const char *what, const struct cmd *c)
{
	const char *p, *start = c->out + strlen(c->out);
	unsigned int lines = 0;

	/* Back up over the last DIAG_LINES line starts. */
	while (start > c->out) {
		if (start[-1] == '\n' && *start && ++lines == DIAG_LINES)
			break;
		start--;
	}
	tap_diag("%s printed%s:", what, start > c->out ? " (last lines)" : "");
	for (p = start; *p; ) {
		size_t len = strcspn(p, "\n");

		tap_diag("  %.*s", (int)len, p);
		p += len;
		if (*p)
			p++;
	}
}

bool expect_cmd_success(const char *what, const struct cmd *c)
{
	if (c->status == 0)
		return true;
	if (c->status < 0)
		tap_check(false, "%s: could not run: %s", what,
			  tap_errno_name(-c->status));
	else
		tap_check(false, "%s: expected exit 0, got %d", what, c->status);
	cmd_diag_output(what, c);
	return false;
}

/* ---- the system under test ------------------------------------------------ */

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int install_find_repo(char *buf, size_t len)
{
	char exe[PATH_MAX], path[PATH_MAX + sizeof(REPO_FROM_TESTS)];
	char real[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/" REPO_FROM_TESTS, dirname(exe));
	if (!realpath(path, real))
		return -errno;
	if ((size_t)snprintf(buf, len, "%s", real) >= len)
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s/dkms.conf", real);
	return exists(path) ? 0 : -ENOENT;
}

void install_init_or_skip(void)
{
	struct utsname uts;

	if (uname(&uts))
		tap_bail_out("uname: %s", strerror(errno));
	snprintf(inst.release, sizeof(inst.release), "%s", uts.release);
	snprintf(inst.kdir, sizeof(inst.kdir), "/usr/src/linux-headers-%s", inst.release);
	snprintf(inst.moddir, sizeof(inst.moddir), "/lib/modules/%s", inst.release);
	if (!exists(inst.kdir))
		tap_skip_all("no headers for the running kernel at %s", inst.kdir);
}

const char *install_release(void)
{
	return inst.release;
}

const char *install_kdir(void)
{
	return inst.kdir;
}

const char *install_moddir(void)
{
	return inst.moddir;
}

void install_require_time(unsigned int need, const char *prog)
{
	const char *limit = getenv("VFIO_TEST_TIMEOUT");

	if (limit && strtoul(limit, NULL, 10) < need)
		tap_skip_all("needs about %u s here (under TCG), the per-test timeout is %s s: run.sh --test %s --timeout %u",
			     need, limit, prog, need);
}

/* ---- where names resolve ---------------------------------------------------- */

/* vfio_pci -> vfio-pci: the file name of a module. */
static void module_file(const char *module, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "%s", module);
	for (i = 0; buf[i]; i++)
		if (buf[i] == '_')
			buf[i] = '-';
}

bool module_file_in(const char *dir, const char *module)
{
	char file[64], path[PATH_MAX];

	module_file(module, file, sizeof(file));
	snprintf(path, sizeof(path), "%s/%s/%s.ko.xz", inst.moddir, dir, file);
	if (exists(path))
		return true;
	snprintf(path, sizeof(path), "%s/%s/%s.ko", inst.moddir, dir, file);
	return exists(path);
}

bool expect_module_files(const char *dir, bool present)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(install_modules); i++) {
		char file[64];

		module_file(install_modules[i], file, sizeof(file));
		ok &= tap_check(module_file_in(dir, install_modules[i]) == present,
				"%s/%s/%s.ko(.xz): expected it %s, it is %s",
				inst.moddir, dir, file, present ? "there" : "gone",
				present ? "missing" : "still there");
	}
	return ok;
}

bool expect_resolves_to(const char *module, const char *dir)
{
	char file[64], want[PATH_MAX], what[128];
	struct cmd c;
	size_t len;
	bool ok;

	snprintf(what, sizeof(what), "modinfo -n %s", module);
	cmd_run(&c, "modinfo", "-n", module, NULL);
	ok = expect_cmd_success(what, &c);
	if (ok) {
		c.out[strcspn(c.out, "\n")] = '\0';
		module_file(module, file, sizeof(file));
		len = snprintf(want, sizeof(want), "%s/%s/%s.ko", inst.moddir, dir, file);
		ok = tap_check(!strncmp(c.out, want, len) &&
			       (!c.out[len] || !strcmp(c.out + len, ".xz")),
			       "%s: expected %s(.xz), got %s", what, want, c.out);
	}
	cmd_free(&c);
	return ok;
}

int module_index_count(const char *index, const char *needle)
{
	char path[PATH_MAX], line[4096];
	int count = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", inst.moddir, index);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		count += strstr(line, needle) != NULL;
	fclose(f);
	return count;
}
