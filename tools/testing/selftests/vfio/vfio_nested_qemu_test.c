// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU as a VFIO client: inside the test VM, a nested QEMU is given the edu
 * function with -device vfio-pci,host=BDF, and the test looks at the device
 * through that QEMU's eyes.  No nested guest is booted (TCG inside TCG
 * takes over a minute): QEMU's qtest protocol on its stdio lets the test
 * issue port and memory accesses as the guest's CPU would, with the CPU
 * itself never started (-S).  Debian's QEMU has no qtest accelerator, but
 * the qtest chardev works with TCG.
 *
 * So every answer below travelled: qtest -> QEMU's PCI host bridge ->
 * QEMU's vfio-pci device -> the VFIO device fd -> the driver under test ->
 * the function.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "irq_util.h"

#define QEMU			"qemu-system-x86_64"
/* Where the function sits on the nested machine's bus 0: slot 4. */
#define NESTED_DEVFN		(4 << 3)
#define NESTED_CFG_ADDR(off)	(0x80000000u | NESTED_DEVFN << 8 | (off))
/* Where the test places BAR0 in the nested machine's PCI hole. */
#define NESTED_BAR0		0xc0000000u
/* QEMU's start (vfio-pci realize, DMA mapping of guest RAM) under TCG. */
#define QEMU_START_MS		120000
#define QEMU_REPLY_MS		30000

struct qemu {
	pid_t pid;
	int in;		/* its stdin: qtest commands */
	int out;	/* its stdout: qtest replies */
	int err;	/* its stderr */
	char buf[4096];
	size_t len;
};

static bool find_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char dir[4096], file[4200];
	const char *p, *end;

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(dir, sizeof(dir), "%.*s", (int)(end - p), p);
		snprintf(file, sizeof(file), "%s/%s", dir, prog);
		if (!access(file, X_OK))
			return true;
	}
	return false;
}

static int qemu_start(struct qemu *q, const char *bdf)
{
	int in[2], out[2], err[2];
	char device[64];

	snprintf(device, sizeof(device), "vfio-pci,host=%s,addr=%u.0", bdf,
		 NESTED_DEVFN >> 3);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	q->pid = fork();
	if (q->pid < 0)
		return -errno;
	if (!q->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execlp(QEMU, QEMU, "-accel", "tcg", "-S", "-M", "q35", "-m", "64M",
		       "-nodefaults", "-no-user-config", "-display", "none",
		       "-qtest", "stdio", "-qtest-log", "/dev/null",
		       "-device", device, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	q->in = in[1];
	q->out = out[0];
	q->err = err[0];
	q->len = 0;
	fcntl(q->err, F_SETFL, O_NONBLOCK);
	return 0;
}

/* One reply line into @line (without the newline); 0 or -errno. */
static int qemu_read_line(struct qemu *q, char *line, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = q->out, .events = POLLIN };
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			size_t l = nl - q->buf;

			snprintf(line, size, "%.*s", (int)l, q->buf);
			memmove(q->buf, nl + 1, q->len - l - 1);
			q->len -= l + 1;
			return 0;
		}
		if (q->len == sizeof(q->buf))
			return -E2BIG;
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ETIMEDOUT;
		n = read(q->out, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n <= 0)
			return n ? -errno : -EPIPE;	/* QEMU went away */
		q->len += n;
	}
}

/*
 * Sends a qtest command and reads its reply; *value gets the number after
 * "OK " when there is one.  Returns 0, -EIO for a "FAIL" reply, or -errno.
 */
static int qtest(struct qemu *q, int timeout_ms, uint64_t *value, const char *fmt, ...)
{
	char cmd[256], line[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	strcat(cmd, "\n");
	if (write(q->in, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -errno;
	/* Asynchronous "IRQ raise/lower" lines come only with irq_intercept. */
	ret = qemu_read_line(q, line, sizeof(line), timeout_ms);
	if (ret)
		return ret;
	if (strncmp(line, "OK", 2)) {
		tap_diag("qtest \"%.*s\": %s", (int)strlen(cmd) - 1, cmd, line);
		return -EIO;
	}
	if (value)
		*value = strtoull(line + 2, NULL, 0);
	return 0;
}

static int cfg_read32(struct qemu *q, unsigned int off, uint32_t *val)
{
	uint64_t v;
	int ret;

	ret = qtest(q, QEMU_REPLY_MS, NULL, "outl 0xcf8 0x%x", NESTED_CFG_ADDR(off));
	if (!ret)
		ret = qtest(q, QEMU_REPLY_MS, &v, "inl 0xcfc");
	if (!ret)
		*val = v;
	return ret;
}

static int cfg_write(struct qemu *q, unsigned int off, const char *size, uint32_t val)
{
	int ret = qtest(q, QEMU_REPLY_MS, NULL, "outl 0xcf8 0x%x", NESTED_CFG_ADDR(off & ~3u));

	return ret ? ret : qtest(q, QEMU_REPLY_MS, NULL, "out%s 0x%x 0x%x", size,
				 0xcfc + (off & 3), val);
}

/* What QEMU said on stderr, as diagnostics. */
static void qemu_dump_stderr(struct qemu *q)
{
	char buf[2048];
	ssize_t n;
	char *line, *save;

	n = read(q->err, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		tap_diag("qemu: %s", line);
}

static int qemu_stop(struct qemu *q)
{
	int status, i;

	close(q->in);
	kill(q->pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(q->pid, &status, WNOHANG) == q->pid)
			break;
		usleep(50 * 1000);
	}
	if (i == 200) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, &status, 0);
	}
	qemu_dump_stderr(q);
	close(q->out);
	close(q->err);
	return i == 200 ? -ETIMEDOUT : 0;
}

int main(void)
{
	struct pci_func edu;
	uint32_t want, got;
	const char *driver = vfio_test_driver_name();
	struct vfio_dev dev;
	struct qemu q;
	uint64_t v;
	int n, ret;
	bool up;

	n = pci_find_functions(0x1234, 0x11e8, &edu, 1);
	if (n <= 0)
		tap_skip_all("no edu function to give the nested QEMU");
	if (!find_in_path(QEMU))
		tap_skip_all("%s is not installed", QEMU);

	tap_plan(6);
	tap_diag("driver under test: %s; nested QEMU gets %s", driver, edu.bdf);

	tap_case_begin("nested_qemu_starts_with_vfio_pci_device %s", edu.bdf);
	ret = qemu_start(&q, edu.bdf);
	up = EXPECT_OK(ret, "starting QEMU");
	/* The first reply comes once QEMU realized vfio-pci and is running. */
	if (up)
		up = EXPECT_OK(qtest(&q, QEMU_START_MS, NULL, "outl 0xcf8 0x%x", NESTED_CFG_ADDR(0)),
			       "the first qtest reply");
	tap_case_end();

	tap_case_begin("nested_config_vendor_device_through_vfio %s", edu.bdf);
	if (!up) {
		tap_case_skip("QEMU did not come up");
	} else if (EXPECT_OK(cfg_read32(&q, PCI_VENDOR_ID, &got), "config dword 0")) {
		want = (uint32_t)edu.device << 16 | edu.vendor;
		EXPECT_EQ_HEX(got, want, "vendor/device seen by the nested machine");
	}
	tap_case_end();

	tap_case_begin("nested_config_class_revision_same_as_sysfs %s", edu.bdf);
	if (!up) {
		tap_case_skip("QEMU did not come up");
	} else if (EXPECT_OK(pci_config_sysfs_read(edu.bdf, PCI_CLASS_REVISION, &want, 4),
			     "sysfs config dword 8") &&
		   EXPECT_OK(cfg_read32(&q, PCI_CLASS_REVISION, &got), "config dword 8")) {
		EXPECT_EQ_HEX(got, want, "class/revision seen by the nested machine");
	}
	tap_case_end();

	tap_case_begin("nested_bar0_id_register_through_vfio %s", edu.bdf);
	if (!up) {
		tap_case_skip("QEMU did not come up");
	} else if (EXPECT_OK(cfg_write(&q, PCI_BASE_ADDRESS_0, "l", NESTED_BAR0), "BAR0") &&
		   EXPECT_OK(cfg_write(&q, PCI_COMMAND, "w",
				       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
			     "memory decode and bus master") &&
		   EXPECT_OK(qtest(&q, QEMU_REPLY_MS, &v, "readl 0x%x", NESTED_BAR0 + EDU_REG_ID),
			     "readl of the ID register")) {
		EXPECT_EQ_HEX(v, 0x010000ed, "edu ID register seen by the nested machine");
	}
	tap_case_end();

	tap_case_begin("nested_bar0_liveness_write_read_through_vfio %s", edu.bdf);
	if (!up) {
		tap_case_skip("QEMU did not come up");
	} else if (EXPECT_OK(qtest(&q, QEMU_REPLY_MS, NULL, "writel 0x%x 0x12345678",
				   NESTED_BAR0 + 0x04), "writel of the liveness register") &&
		   EXPECT_OK(qtest(&q, QEMU_REPLY_MS, &v, "readl 0x%x", NESTED_BAR0 + 0x04),
			     "readl of the liveness register")) {
		EXPECT_EQ_HEX(v, ~0x12345678u, "liveness: the complement of what was written");
	}
	tap_case_end();

	tap_case_begin("nested_qemu_exit_releases_the_device %s", edu.bdf);
	if (ret)
		tap_case_skip("QEMU did not start");
	else
		EXPECT_OK(qemu_stop(&q), "QEMU exiting on SIGTERM");
	if (!tap_case_failed() && ret == 0) {
		if (EXPECT_OK(vfio_dev_open(&dev, edu.bdf), "opening the device after QEMU"))
			vfio_dev_close(&dev);
	}
	tap_case_end();

	tap_finish();
}
