// SPDX-License-Identifier: GPL-2.0-only
/*
 * Taking a device away from a user who is busy with it.
 *
 * A child process, the holder, opens a function through its group, maps
 * BAR0 and keeps touching it, keeps interrupts coming (edu raises its MSI or
 * INTx on demand, the e1000 behind rp5 its INTx through the Interrupt Cause
 * Set register) and has an eventfd on VFIO_PCI_REQ_IRQ_INDEX.  Then:
 *
 *  1. its function is unbound from vfio-pci through sysfs: the unbind must
 *     ask for the device (REQ eventfd) and wait while anything of the
 *     user's is left, the device fd or only a mapping of a BAR, complete
 *     once the holder lets go or is killed, and leave no interrupt behind;
 *     the function binds again through driver_override and works;
 *  2. the host hot-unplugs it (device_del through the host channel): the
 *     same request and wait, then the function is gone; the host plugs it
 *     back and it is bound to vfio-pci again for the programs after us;
 *  3. vfio_pci and vfio_pci_core are asked to unload while it is open: the
 *     VFIO core holds a reference on the bound driver's module for every
 *     open device, so the unload is refused and nothing changes for the
 *     user.  Nothing is unloaded for real: the runner loaded the lane's
 *     modules and unloads them itself after the last program.
 *
 * Until it is closed the device stays the user's: BAR0 through the mapping
 * and interrupts keep working while the removal waits (the REQ eventfd is
 * a request, not a revocation).  A mapping holds the device file, so with
 * every fd closed but a BAR still mapped the removal goes on waiting and
 * the mapping goes on working: no removal leaves a user with a mapping of
 * a device that is gone, to fault with SIGBUS.  (Both drivers measured so;
 * the mappings they do zap, on decode off, reset and low power, are
 * vfio_bar_mmap_test's.)
 *
 * Every wait on the kernel or the host ends after WAIT_MS with a failure
 * that says what did not happen.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edu_util.h"
#include "host_channel.h"
#include "irq_util.h"
#include "reset_util.h"
#include "vfio_util.h"

/* The longest we wait for the kernel, the host or the holder. */
#define WAIT_MS			60000
#define WAIT_S			(WAIT_MS / 1000)

#define UNBIND_PATH		"/sys/bus/pci/drivers/vfio-pci/unbind"

/* The zoo's hot-unpluggable function (rp5) and how the host plugs it back. */
#define UNPLUG_BDF		"0000:05:00.0"
#define UNPLUG_ID		"reqdev"
#define UNPLUG_ARGS		"e1000,id=reqdev,bus=rp5,romfile="

/* e1000 (8086:100e) BAR0 registers. */
#define E1000_ICR		0x00c0	/* cause read: reading clears it */
#define E1000_ICS		0x00c8	/* cause set: raises what IMS lets through */
#define E1000_IMS		0x00d0	/* mask set */
#define E1000_IMC		0x00d8	/* mask clear */
#define E1000_RDBAL		0x2800	/* a plain read/write register */
#define E1000_CAUSE		0x10	/* RXDMT0: nothing raises it here but us */

/* ---- What the holder drives ------------------------------------------- */

enum flow {
	FLOW_EDU_MSI,
	FLOW_EDU_INTX,
	FLOW_E1000_INTX,
};

static const char *const flow_names[] = {
	[FLOW_EDU_MSI]		= "edu MSI",
	[FLOW_EDU_INTX]		= "edu INTx",
	[FLOW_E1000_INTX]	= "e1000 INTx",
};

static bool flow_is_intx(enum flow flow)
{
	return flow != FLOW_EDU_MSI;
}

static uint32_t flow_irq_index(enum flow flow)
{
	return flow_is_intx(flow) ? VFIO_PCI_INTX_IRQ_INDEX : VFIO_PCI_MSI_IRQ_INDEX;
}

static uint32_t mmio_read(volatile void *bar, uint32_t off)
{
	return *(volatile uint32_t *)((volatile char *)bar + off);
}

static void mmio_write(volatile void *bar, uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)((volatile char *)bar + off) = val;
}

/* One write and read back through the mapping; whether the device answered. */
static bool flow_touch(enum flow flow, volatile void *bar, uint32_t seq)
{
	uint32_t val;

	if (flow == FLOW_E1000_INTX) {
		val = (seq * 0x01010100u) & ~0xfu;
		mmio_write(bar, E1000_RDBAL, val);
		return mmio_read(bar, E1000_RDBAL) == val;
	}
	val = 0x5a000000u | seq;
	mmio_write(bar, EDU_REG_LIVENESS, val);
	return mmio_read(bar, EDU_REG_LIVENESS) == ~val;
}

static void flow_raise(enum flow flow, volatile void *bar)
{
	if (flow == FLOW_E1000_INTX)
		mmio_write(bar, E1000_ICS, E1000_CAUSE);
	else
		mmio_write(bar, EDU_REG_IRQ_RAISE, 0x1);
}

/* Quiets the device's cause, which (INTx) lowers its line. */
static void flow_ack(enum flow flow, volatile void *bar)
{
	if (flow == FLOW_E1000_INTX)
		mmio_read(bar, E1000_ICR);
	else
		mmio_write(bar, EDU_REG_IRQ_ACK, ~0u);
}

/* ---- The holder: a child process that owns the device ------------------ */

/* Reports, child to parent. */
enum {
	REP_READY	= 'R',	/* open, mapped, interrupts and REQ on */
	REP_REQ		= 'Q',	/* the REQ eventfd fired (sent once) */
	REP_PONG	= 'P',	/* answer to CMD_PING */
	REP_FDS_CLOSED	= 'M',	/* every fd closed, the mapping kept */
	REP_TOUCHED	= 'T',	/* answer to CMD_TOUCH */
	REP_FROZEN	= 'F',	/* answer to CMD_FREEZE */
	REP_GONE	= 'C',	/* everything closed and unmapped; exiting */
	REP_ERROR	= 'E',	/* setup failed; exiting */
};

/* Commands, parent to child. */
enum {
	CMD_PING	= 'p',	/* a checked BAR touch and one interrupt */
	CMD_CLOSE_FDS	= 'm',	/* close every fd, keep the mapping */
	CMD_TOUCH	= 't',	/* a checked touch of the mapping alone */
	CMD_FREEZE	= 'f',	/* leave one interrupt taken but unserviced, stop */
	CMD_CLOSE_ALL	= 'c',	/* close and unmap everything, exit */
};

struct report {
	char kind;
	int err;		/* 0, or -errno of what failed (-EFAULT: SIGBUS) */
	unsigned int irqs;	/* interrupts taken so far */
	unsigned int touches;	/* BAR touches that read back right */
	unsigned int bad;	/* BAR touches that did not, or faulted */
	unsigned int sigbus;	/* of those, the ones that got SIGBUS */
	unsigned int reqs;	/* REQ signals seen */
	char what[128];		/* what failed */
};

struct holder {
	pid_t pid;
	int cmd_fd;		/* parent's end of the command pipe */
	int rep_fd;		/* parent's end of the report pipe */
	bool req_seen;		/* a REP_REQ came (it comes once) */
	struct report last;	/* the last report read */
};

struct holder_state {
	enum flow flow;
	struct vfio_dev dev;
	volatile void *bar;
	size_t bar_len;
	int irq_fd;
	int req_fd;
	int rep_fd;
	bool pending;		/* an interrupt raised and not taken yet */
	struct timespec raised;
	struct report rep;
};

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	(void)sig;
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	_exit(128 + SIGBUS);
}

static long long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000LL +
	       (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void holder_send(struct holder_state *s, char kind, int err,
			const char *what)
{
	s->rep.kind = kind;
	s->rep.err = err;
	snprintf(s->rep.what, sizeof(s->rep.what), "%s", what ? what : "");
	/* Smaller than PIPE_BUF: one write, never torn. */
	if (write(s->rep_fd, &s->rep, sizeof(s->rep)) != sizeof(s->rep))
		_exit(2);
}

static void holder_fail(struct holder_state *s, int err, const char *what)
{
	holder_send(s, REP_ERROR, err, what);
	_exit(1);
}

/* A touch of BAR0 through the mapping: 0, -EIO (wrong value), -EFAULT (SIGBUS). */
static int holder_touch(struct holder_state *s)
{
	static uint32_t seq;
	bool ok;

	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		s->rep.bad++;
		s->rep.sigbus++;
		return -EFAULT;
	}
	bus_armed = 1;
	ok = flow_touch(s->flow, s->bar, ++seq);
	bus_armed = 0;
	if (!ok) {
		s->rep.bad++;
		return -EIO;
	}
	s->rep.touches++;
	return 0;
}

static void holder_take_irq(struct holder_state *s)
{
	if (irq_eventfd_take(s->irq_fd) <= 0)
		return;
	s->rep.irqs++;
	s->pending = false;
	flow_ack(s->flow, s->bar);
	if (flow_is_intx(s->flow))
		irq_unmask(s->dev.fd, VFIO_PCI_INTX_IRQ_INDEX);
}

static void holder_raise(struct holder_state *s)
{
	/* One at a time; one that got lost (it should not) is raised again. */
	if (s->pending && ms_since(&s->raised) < IRQ_WAIT_MS)
		return;
	flow_raise(s->flow, s->bar);
	s->pending = true;
	clock_gettime(CLOCK_MONOTONIC, &s->raised);
}

static void holder_take_req(struct holder_state *s)
{
	long long n = irq_eventfd_take(s->req_fd);

	if (n <= 0)
		return;
	if (!s->rep.reqs)
		holder_send(s, REP_REQ, 0, NULL);
	s->rep.reqs += n;
}

/*
 * A touch that reads back right, one more interrupt taken, and no touch
 * since the start that went wrong.
 */
static void holder_ping(struct holder_state *s)
{
	unsigned int before = s->rep.irqs;
	struct timespec start;
	char what[128];

	holder_touch(s);
	if (s->rep.bad) {
		snprintf(what, sizeof(what),
			 "%u of %u touches of BAR0 through the mapping went wrong, %u with SIGBUS",
			 s->rep.bad, s->rep.bad + s->rep.touches, s->rep.sigbus);
		holder_send(s, REP_PONG, -EIO, what);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (s->rep.irqs == before && ms_since(&start) < IRQ_WAIT_MS) {
		struct pollfd pfd = { .fd = s->irq_fd, .events = POLLIN };

		holder_raise(s);
		poll(&pfd, 1, 10);
		holder_take_irq(s);
	}
	if (s->rep.irqs == before)
		holder_send(s, REP_PONG, -ETIMEDOUT, "no interrupt within IRQ_WAIT_MS of raising one");
	else
		holder_send(s, REP_PONG, 0, NULL);
}

/*
 * The state a user may die in: one interrupt taken but neither acknowledged
 * at the device nor (INTx) unmasked, so the line stays asserted and masked
 * by the driver.  Then nothing more, until the holder is killed.
 */
static void __attribute__((noreturn)) holder_freeze(struct holder_state *s)
{
	struct pollfd pfd = { .fd = s->irq_fd, .events = POLLIN };
	struct timespec start;
	long long got = 0;

	/* Service what is in flight, so the next one is ours to leave. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (s->pending && ms_since(&start) < IRQ_WAIT_MS) {
		poll(&pfd, 1, 10);
		holder_take_irq(s);
	}
	flow_raise(s->flow, s->bar);
	if (poll(&pfd, 1, IRQ_WAIT_MS) > 0)
		got = irq_eventfd_take(s->irq_fd);
	if (got > 0)
		s->rep.irqs++;
	holder_send(s, REP_FROZEN, got > 0 ? 0 : -ETIMEDOUT,
		    got > 0 ? NULL : "no interrupt within IRQ_WAIT_MS of raising one");
	for (;;)
		pause();
}

/* Every fd goes; the mapping keeps the device file, so the device, open. */
static void holder_close_fds(struct holder_state *s)
{
	vfio_dev_close(&s->dev);
	close(s->irq_fd);
	close(s->req_fd);
	s->irq_fd = s->req_fd = -1;
}

/*
 * With only the mapping left: answer touches until told to unmap.  Nothing
 * can raise or take an interrupt any more.
 */
static void holder_mapping_only(struct holder_state *s, int cmd_fd)
{
	char cmd;
	int ret;

	while (read(cmd_fd, &cmd, 1) == 1) {
		if (cmd == CMD_TOUCH) {
			ret = holder_touch(s);
			holder_send(s, REP_TOUCHED, ret, ret == -EFAULT ?
				    "SIGBUS touching BAR0 through the mapping" :
				    ret ? "BAR0 through the mapping read back a wrong value" :
				    NULL);
		} else if (cmd == CMD_CLOSE_ALL) {
			munmap((void *)s->bar, s->bar_len);
			holder_send(s, REP_GONE, 0, NULL);
			_exit(0);
		}
	}
	_exit(3);
}

static void holder_setup(struct holder_state *s, const char *bdf)
{
	void *bar;
	int ret;

	ret = vfio_dev_open(&s->dev, bdf);
	if (ret)
		holder_fail(s, ret, "opening the device through its group");
	ret = irq_enable_decode_and_master(&s->dev);
	if (ret)
		holder_fail(s, ret, "memory decode and bus master through the config region");
	s->bar_len = s->dev.regions[VFIO_PCI_BAR0_REGION_INDEX].size;
	ret = vfio_region_mmap(&s->dev, VFIO_PCI_BAR0_REGION_INDEX, 0, s->bar_len,
			       PROT_READ | PROT_WRITE, &bar);
	if (ret)
		holder_fail(s, ret, "mmap of BAR0");
	s->bar = bar;
	ret = holder_touch(s);
	if (ret)
		holder_fail(s, ret, "first touch of BAR0 through the mapping");

	/* Start from a quiet device: the last user may have left causes set. */
	flow_ack(s->flow, s->bar);
	if (s->flow == FLOW_E1000_INTX)
		mmio_write(s->bar, E1000_IMS, E1000_CAUSE);

	s->irq_fd = irq_eventfd();
	s->req_fd = irq_eventfd();
	if (s->irq_fd < 0 || s->req_fd < 0)
		holder_fail(s, -EMFILE, "eventfds");
	ret = irq_set_eventfd(s->dev.fd, flow_irq_index(s->flow), 0, s->irq_fd);
	if (ret)
		holder_fail(s, ret, "enabling the interrupt with an eventfd");
	ret = irq_set_eventfd(s->dev.fd, VFIO_PCI_REQ_IRQ_INDEX, 0, s->req_fd);
	if (ret)
		holder_fail(s, ret, "the REQ eventfd");
}

static void __attribute__((noreturn))
holder_main(const char *bdf, enum flow flow, int cmd_fd, int rep_fd)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	struct holder_state s = {
		.flow = flow, .irq_fd = -1, .req_fd = -1, .rep_fd = rep_fd,
	};
	struct pollfd pfd[3];
	char cmd;

	/* Never outlive the test, whatever happens to it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(4);
	sigaction(SIGBUS, &sa, NULL);

	holder_setup(&s, bdf);
	holder_send(&s, REP_READY, 0, NULL);

	/*
	 * Touch the BAR, keep one interrupt in flight, take REQ signals (and
	 * otherwise ignore them: closing is the parent's call), and obey.
	 */
	for (;;) {
		holder_touch(&s);
		holder_raise(&s);
		pfd[0] = (struct pollfd){ .fd = cmd_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s.req_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = s.irq_fd, .events = POLLIN };
		poll(pfd, 3, 10);
		holder_take_irq(&s);
		holder_take_req(&s);
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			continue;
		if (read(cmd_fd, &cmd, 1) != 1)
			_exit(5);	/* the parent is gone */
		switch (cmd) {
		case CMD_PING:
			holder_ping(&s);
			break;
		case CMD_FREEZE:
			holder_freeze(&s);	/* does not return */
		case CMD_CLOSE_FDS:
			holder_close_fds(&s);
			holder_send(&s, REP_FDS_CLOSED, 0, NULL);
			holder_mapping_only(&s, cmd_fd);
			break;
		case CMD_CLOSE_ALL:
			/* As a user would: no disable first, the driver tears down. */
			munmap((void *)s.bar, s.bar_len);
			holder_close_fds(&s);
			holder_send(&s, REP_GONE, 0, NULL);
			_exit(0);
		}
	}
}

static bool holder_start(struct holder *h, const char *bdf, enum flow flow)
{
	int cmd[2], rep[2];

	memset(h, 0, sizeof(*h));
	h->pid = -1;
	h->cmd_fd = h->rep_fd = -1;
	if (!EXPECT_OK(pipe(cmd) ? -errno : 0, "command pipe"))
		return false;
	if (!EXPECT_OK(pipe(rep) ? -errno : 0, "report pipe")) {
		close(cmd[0]);
		close(cmd[1]);
		return false;
	}
	fflush(stdout);
	h->pid = fork();
	if (h->pid == 0) {
		close(cmd[1]);
		close(rep[0]);
		holder_main(bdf, flow, cmd[0], rep[1]);
	}
	close(cmd[0]);
	close(rep[1]);
	h->cmd_fd = cmd[1];
	h->rep_fd = rep[0];
	if (!EXPECT_OK(h->pid < 0 ? -errno : 0, "fork of the holder")) {
		close(h->cmd_fd);
		close(h->rep_fd);
		return false;
	}
	return true;
}

/*
 * Waits for report @kind, noting a REQ report that comes on the way (the
 * holder sends it whenever it sees the signal).  A failure says what was
 * awaited (@what) and what came instead.
 */
static bool holder_wait(struct holder *h, char kind, const char *what)
{
	struct pollfd pfd = { .fd = h->rep_fd, .events = POLLIN };
	struct timespec start;
	long long left;
	ssize_t n;

	if (h->pid <= 0)
		return tap_check(false, "%s: the holder is not running", what);
	if (kind == REP_REQ && h->req_seen)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		left = WAIT_MS - ms_since(&start);
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return tap_check(false, "%s: nothing from the holder within %d s",
					 what, WAIT_S);
		n = read(h->rep_fd, &h->last, sizeof(h->last));
		if (n != sizeof(h->last))
			return tap_check(false, "%s: the holder died (read %zd)", what, n);
		if (h->last.kind == REP_REQ)
			h->req_seen = true;
		if (h->last.kind == kind)
			break;
		if (h->last.kind == REP_ERROR)
			return tap_check(false, "%s: the holder failed: %s: %s", what,
					 h->last.what, tap_errno_name(-h->last.err));
	}
	return tap_check(!h->last.err, "%s: %s: %s", what, h->last.what,
			 tap_errno_name(-h->last.err));
}

static bool holder_command(struct holder *h, char cmd, char answer,
			   const char *what)
{
	if (h->pid <= 0)
		return tap_check(false, "%s: the holder is not running", what);
	if (write(h->cmd_fd, &cmd, 1) != 1)
		return tap_check(false, "%s: the holder does not take commands: %s",
				 what, tap_errno_name(errno));
	return holder_wait(h, answer, what);
}

/* Waits up to @timeout_ms for @pid: its pid, 0 when it is still there, or -errno. */
static pid_t wait_child(pid_t pid, int *status, int timeout_ms)
{
	struct timespec start;
	pid_t ret;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!(ret = waitpid(pid, status, WNOHANG)) &&
	       ms_since(&start) < timeout_ms)
		sleep_ms(20);
	return ret < 0 ? -errno : ret;
}

static bool still_running(pid_t pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) == 0;
}

/* Ends the holder however far it got. */
static void holder_stop(struct holder *h)
{
	int status;

	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, &status, 0);
	}
	if (h->cmd_fd >= 0)
		close(h->cmd_fd);
	if (h->rep_fd >= 0)
		close(h->rep_fd);
	h->pid = -1;
	h->cmd_fd = h->rep_fd = -1;
}

/* After REP_GONE: the holder exits by itself. */
static bool holder_reap(struct holder *h, const char *what)
{
	int status;
	pid_t ret = wait_child(h->pid, &status, WAIT_MS);
	bool ok;

	ok = tap_check(ret == h->pid && WIFEXITED(status) && !WEXITSTATUS(status),
		       "%s: expected the holder to exit 0 within %d s: %s", what,
		       WAIT_S, ret == h->pid ? "exited otherwise" : "still there");
	if (ret == h->pid)
		h->pid = -1;
	holder_stop(h);
	return ok;
}

/* ---- Unbinding, in a child of its own: the write blocks --------------- */

static pid_t unbind_start(const char *bdf)
{
	pid_t pid;
	int fd;

	fflush(stdout);
	pid = fork();
	if (pid)
		return pid < 0 ? -errno : pid;
	fd = open(UNBIND_PATH, O_WRONLY);
	if (fd < 0)
		_exit(100);
	_exit(write(fd, bdf, strlen(bdf)) == (ssize_t)strlen(bdf) ? 0 : 101);
}

/* The unbind ended within WAIT_MS, and well. */
static bool unbind_finished(pid_t *pid)
{
	int status = 0;
	pid_t ret;

	if (*pid <= 0)
		return tap_check(false, "the unbind was never started");
	ret = wait_child(*pid, &status, WAIT_MS);
	if (!tap_check(ret == *pid, "the unbind did not return within %d s of the last close",
		       WAIT_S))
		return false;
	*pid = -1;
	return tap_check(WIFEXITED(status) && !WEXITSTATUS(status),
			 "the write to %s failed (child status 0x%x)", UNBIND_PATH, status);
}

/*
 * An unbind that did not end when it should have is stuck in the kernel:
 * show where, and leave it.
 */
static void unbind_forget(pid_t *pid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stack", *pid);
	f = fopen(path, "re");
	if (f) {
		tap_diag("the unbinding task %d is stuck at:", *pid);
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			tap_diag("  %s", line);
		}
		fclose(f);
	}
	*pid = -1;
}

/* ---- Checks of the system's side ------------------------------------- */

static int vfio_irq_lines(const char *bdf)
{
	return irq_proc_count(bdf, "vfio");
}

static void expect_irq_lines(const char *bdf, int want, const char *when)
{
	char what[160];

	snprintf(what, sizeof(what), "vfio lines naming %s in /proc/interrupts %s",
		 bdf, when);
	EXPECT_EQ(vfio_irq_lines(bdf), want, what);
}

static void expect_driver(const char *bdf, const char *want, const char *when)
{
	char drv[64] = "?", what[128];
	int ret;

	ret = pci_driver_name(bdf, drv, sizeof(drv));
	snprintf(what, sizeof(what), "driver of %s %s", bdf, when);
	if (EXPECT_OK(ret, what))
		EXPECT_STREQ(drv, want, what);
}

/* What the function's INTx looks like with no driver (for the log). */
static void log_intx_state(const char *bdf, const char *when)
{
	uint16_t cmd = 0, status = 0;

	pci_config_sysfs_read16(bdf, PCI_COMMAND, &cmd);
	pci_config_sysfs_read16(bdf, 0x06, &status);
	tap_diag("%s %s: command 0x%04x (INTx disable %s), INTx status %s", bdf,
		 when, cmd, cmd & 0x400 ? "set" : "clear",
		 status & 0x8 ? "asserted" : "clear");
}

/*
 * driver_override and drivers_probe, as an administrator binds (unbind does
 * not clear the override, but we do not rely on that).
 */
static bool rebind(const char *bdf)
{
	if (!EXPECT_OK(pci_set_driver_override(bdf, "vfio-pci"), "driver_override = vfio-pci") ||
	    !EXPECT_OK(pci_probe(bdf), "drivers_probe"))
		return false;
	expect_driver(bdf, "vfio-pci", "after drivers_probe");
	return EXPECT_OK(vfio_wait_group_node(pci_iommu_group(bdf), true, 5000),
			 "its /dev/vfio node back");
}

/* Whatever happened, @bdf ends bound to vfio-pci (for the next program). */
static void leave_bound(const char *bdf)
{
	char drv[64] = "";

	if (pci_function_exists(bdf) && pci_driver_name(bdf, drv, sizeof(drv)) >= 0 &&
	    strcmp(drv, "vfio-pci"))
		EXPECT_OK(pci_bind(bdf, "vfio-pci"), "binding it back to vfio-pci");
}

/*
 * A fresh user of the function after it came back: open, the BAR answers
 * (edu's ID register, or the e1000 register we write), and the device's
 * own interrupt arrives on @flow's index.
 */
static void expect_usable(const char *bdf, enum flow flow)
{
	struct vfio_dev dev;
	uint32_t val = 0;
	int efd;

	if (!EXPECT_OK(vfio_dev_open(&dev, bdf), "opening it again"))
		return;
	EXPECT_OK(irq_enable_decode_and_master(&dev), "memory decode and bus master");
	if (flow == FLOW_E1000_INTX) {
		if (EXPECT_OK(vfio_bar_write32(&dev, 0, E1000_RDBAL, 0x12345670), "BAR0 write") &&
		    EXPECT_OK(vfio_bar_read32(&dev, 0, E1000_RDBAL, &val), "BAR0 read"))
			EXPECT_EQ_HEX(val, 0x12345670, "e1000 RDBAL read back through BAR0");
		vfio_bar_read32(&dev, 0, E1000_ICR, &val);
		vfio_bar_write32(&dev, 0, E1000_IMS, E1000_CAUSE);
	} else {
		if (EXPECT_OK(edu_read32(&dev, EDU_REG_ID, &val), "BAR0 read"))
			EXPECT_EQ_HEX(val, EDU_ID_VALUE, "edu ID register through BAR0");
		edu_ack(&dev, ~0u);
	}

	efd = irq_eventfd();
	if (EXPECT_OK(efd, "eventfd") &&
	    EXPECT_OK(irq_set_eventfd(dev.fd, flow_irq_index(flow), 0, efd),
		      "enabling the interrupt")) {
		if (flow == FLOW_E1000_INTX)
			EXPECT_OK(vfio_bar_write32(&dev, 0, E1000_ICS, E1000_CAUSE),
				  "raising a cause through ICS");
		else
			EXPECT_OK(edu_raise(&dev, 0x1), "raising edu's interrupt");
		irq_expect_signal(efd, flow_names[flow]);
		if (flow == FLOW_E1000_INTX) {
			vfio_bar_read32(&dev, 0, E1000_ICR, &val);
			vfio_bar_write32(&dev, 0, E1000_IMC, ~0u);
		} else {
			edu_ack(&dev, ~0u);
		}
		EXPECT_OK(irq_disable(dev.fd, flow_irq_index(flow)), "disabling it");
	}
	if (efd >= 0)
		close(efd);
	vfio_dev_close(&dev);
}

/*
 * Starts a holder on @bdf and waits until it has taken interrupts; checks
 * that /proc/interrupts shows its vectors, so that the later "back to the
 * baseline" can fail.
 */
static bool holder_running(struct holder *h, const char *bdf, enum flow flow,
			   int baseline)
{
	if (!holder_start(h, bdf, flow))
		return false;
	if (!holder_wait(h, REP_READY, "the holder opening, mapping BAR0, enabling interrupts and REQ") ||
	    !holder_command(h, CMD_PING, REP_PONG, "the holder's first interrupt")) {
		holder_stop(h);
		return false;
	}
	tap_diag("holder on %s (%s): %u interrupts, %u BAR touches so far", bdf,
		 flow_names[flow], h->last.irqs, h->last.touches);
	EXPECT_EQ(h->last.reqs, 0, "REQ signals before anyone asked for the device");
	EXPECT_GE(vfio_irq_lines(bdf), baseline + 1,
		  "vfio lines in /proc/interrupts while the holder has interrupts on");
	return true;
}

/* ---- What the cases of one scenario pass along ----------------------- */

static struct {
	struct holder h;
	pid_t unbind;		/* the unbinding child, while it runs */
	int baseline;		/* vfio lines in /proc/interrupts before the holder */
	int group;
	int refs;		/* vfio_pci's refcnt before the holder */
	bool broken;		/* an earlier case left nothing to go on */
	bool stuck;		/* a removal never completed: binding would block */
} sc;

static void scenario_begin(const char *bdf)
{
	memset(&sc, 0, sizeof(sc));
	sc.h.pid = sc.unbind = -1;
	sc.h.cmd_fd = sc.h.rep_fd = -1;
	sc.baseline = vfio_irq_lines(bdf);
	sc.group = pci_iommu_group(bdf);
	sc.broken = true;
}

/*
 * Ends the holder and, if an unbind was started, waits for it: with the
 * holder gone nothing may keep it waiting.  True when no unbind is left.
 */
static bool scenario_release(void)
{
	holder_stop(&sc.h);
	if (sc.unbind <= 0)
		return true;
	if (!unbind_finished(&sc.unbind)) {
		unbind_forget(&sc.unbind);
		return false;
	}
	return true;
}

/* ---- Scenario 1: sysfs unbind ----------------------------------------- */

/* Starts the unbind and waits for the holder to see the REQ signal. */
static bool unbind_and_wait_for_req(const char *bdf)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	sc.unbind = unbind_start(bdf);
	if (!EXPECT_OK(sc.unbind, "fork of the unbinding child"))
		return false;
	if (!holder_wait(&sc.h, REP_REQ, "the REQ eventfd after the unbind began"))
		return false;
	tap_diag("REQ %lld ms after the unbind began; the holder had taken %u interrupts",
		 ms_since(&start), sc.h.last.irqs);
	return true;
}

/* Holder with edu MSI, unbind, the REQ signal, the unbind waiting. */
static void unbind_signals_req_and_waits(const char *bdf)
{
	scenario_begin(bdf);
	if (!holder_running(&sc.h, bdf, FLOW_EDU_MSI, sc.baseline))
		return;
	if (!unbind_and_wait_for_req(bdf))
		return;
	EXPECT_TRUE(still_running(sc.unbind), "the unbind waiting while the device is open");
	sc.broken = false;
}

static void device_works_while_unbind_waits(const char *bdf)
{
	(void)bdf;
	if (sc.broken) {
		tap_case_skip("the unbind did not ask for the device");
		return;
	}
	if (holder_command(&sc.h, CMD_PING, REP_PONG,
			   "a BAR touch through the mapping and an MSI after the REQ"))
		tap_diag("after the REQ: %u interrupts, %u touches, %u REQ signals",
			 sc.h.last.irqs, sc.h.last.touches, sc.h.last.reqs);
	EXPECT_TRUE(still_running(sc.unbind), "the unbind waiting while the device is open");
}

/*
 * The mapping holds the device file, so closing every fd is not a release:
 * the unbind goes on waiting and the mapping goes on working.
 */
static void unbind_waits_for_the_mapping(const char *bdf)
{
	(void)bdf;
	if (sc.broken) {
		tap_case_skip("the unbind did not ask for the device");
		return;
	}
	if (!holder_command(&sc.h, CMD_CLOSE_FDS, REP_FDS_CLOSED,
			    "closing the device, group, container and eventfds"))
		return;
	holder_command(&sc.h, CMD_TOUCH, REP_TOUCHED,
		       "BAR0 through the mapping with every fd closed");
	EXPECT_TRUE(still_running(sc.unbind),
		    "the unbind waiting while a mapping of BAR0 is left");
}

static void unbind_completes_after_munmap(const char *bdf)
{
	bool skip = sc.broken;

	if (!skip && holder_command(&sc.h, CMD_CLOSE_ALL, REP_GONE, "the holder unmapping BAR0"))
		holder_reap(&sc.h, "the holder after unmapping");
	/* Whatever went wrong, the holder goes now, which must end the unbind. */
	sc.broken = !scenario_release();
	if (sc.broken || skip) {
		tap_case_skip("the unbind did not ask for the device");
		return;
	}
	expect_driver(bdf, "", "after the unbind");
	expect_irq_lines(bdf, sc.baseline, "after the unbind (the baseline before the holder)");
	EXPECT_OK(vfio_wait_group_node(sc.group, false, 5000), "its /dev/vfio node gone");
}

static void rebound_device_works(const char *bdf, enum flow flow)
{
	if (sc.broken) {
		/* Still bind it back: the next programs need it. */
		leave_bound(bdf);
		tap_case_skip("the unbind before did not complete");
		return;
	}
	if (rebind(bdf))
		expect_usable(bdf, flow);
	expect_irq_lines(bdf, sc.baseline, "after the new user closed");
	leave_bound(bdf);
}

static void rebound_works_msi(const char *bdf)
{
	rebound_device_works(bdf, FLOW_EDU_MSI);
}

/* Holder with edu INTx that takes the REQ and carries on regardless. */
static void unbind_waits_for_ignoring_user(const char *bdf)
{
	scenario_begin(bdf);
	if (!holder_running(&sc.h, bdf, FLOW_EDU_INTX, sc.baseline))
		return;
	if (!unbind_and_wait_for_req(bdf))
		return;
	sc.broken = false;
	holder_command(&sc.h, CMD_PING, REP_PONG,
		       "a BAR touch and an INTx after the ignored REQ");
	EXPECT_TRUE(still_running(sc.unbind), "the unbind waiting while the REQ is ignored");
}

/*
 * The VFIO core asks again (every 10 s in 6.12) for as long as the removal
 * waits; every request must reach the user, who keeps using the device.
 */
static void req_repeated_while_ignored(const char *bdf)
{
	struct timespec start;

	(void)bdf;
	if (sc.broken) {
		tap_case_skip("the unbind did not ask for the device");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (holder_command(&sc.h, CMD_PING, REP_PONG,
			      "a BAR touch and an INTx while the REQ is ignored") &&
	       sc.h.last.reqs < 2 && ms_since(&start) < WAIT_MS)
		sleep_ms(500);
	tap_check(sc.h.last.reqs >= 2,
		  "expected a second REQ signal within %d s while the unbind waits, saw %u",
		  WAIT_S, sc.h.last.reqs);
	EXPECT_TRUE(still_running(sc.unbind), "the unbind waiting while the REQ is ignored");
}

static void kill_completes_unbind(const char *bdf)
{
	bool skip = sc.broken;
	int status = 0;

	if (!skip) {
		holder_command(&sc.h, CMD_FREEZE, REP_FROZEN,
			       "an INTx taken and left unacknowledged and masked");
		EXPECT_OK(kill(sc.h.pid, SIGKILL) ? -errno : 0, "SIGKILL to the holder");
		if (EXPECT_EQ(wait_child(sc.h.pid, &status, WAIT_MS), sc.h.pid,
			      "the killed holder reaped"))
			sc.h.pid = -1;
	}
	sc.broken = !scenario_release();
	if (sc.broken || skip) {
		tap_case_skip("the unbind did not ask for the device");
		return;
	}
	expect_driver(bdf, "", "after the unbind");
	expect_irq_lines(bdf, sc.baseline, "after the killed holder's unbind");
	log_intx_state(bdf, "after the killed holder's unbind");
}

static void rebound_works_intx(const char *bdf)
{
	rebound_device_works(bdf, FLOW_EDU_INTX);
}

/* ---- Scenario 2: hot-unplug through the host ------------------------- */

static bool host(const char *cmd, char *reply, size_t len)
{
	char what[128];
	int ret;

	ret = host_channel_request(cmd, reply, len, 15000);
	tap_diag("host: %s -> %s%s", cmd, ret ? tap_errno_name(-ret) : "ok ", reply);
	snprintf(what, sizeof(what), "host channel: %s", cmd);
	return EXPECT_OK(ret, what);
}

static bool wait_present(const char *bdf, bool present, int timeout_ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (pci_function_exists(bdf) != present) {
		if (ms_since(&start) >= timeout_ms)
			return false;
		sleep_ms(50);
	}
	return true;
}

/*
 * device_add once the unplugged one is gone on the host too: the guest sees
 * the function go before QEMU lets go of the id, so a "Duplicate ID" answer
 * means try again.
 */
static bool plug_back(void)
{
	struct timespec start;
	char reply[512];

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (!host("device_add " UNPLUG_ARGS, reply, sizeof(reply)))
			return false;
		if (!strstr(reply, "Duplicate"))
			break;
		if (!tap_check(ms_since(&start) < WAIT_MS,
			       "the host still has " UNPLUG_ID " %d s after the guest removed it",
			       WAIT_S))
			return false;
		sleep_ms(500);
	}
	if (!tap_check(!*reply, "device_add: the monitor said \"%s\"", reply))
		return false;
	return EXPECT_TRUE(wait_present(UNPLUG_BDF, true, WAIT_MS),
			   "the function back within 60 s of device_add");
}

static bool channel_ready(void)
{
	if (!host_channel_dir()) {
		tap_case_skip("no host channel ($VFIO_TEST_HOST_CHANNEL unset: not under tools/testing/vm/run.sh)");
		return false;
	}
	if (!pci_function_exists(UNPLUG_BDF)) {
		tap_case_skip("no %s (the zoo's %s)", UNPLUG_BDF, UNPLUG_ID);
		return false;
	}
	return true;
}

static void device_del_signals_req_and_waits(const char *bdf)
{
	char reply[512];

	scenario_begin(bdf);
	if (!channel_ready())
		return;
	if (!holder_running(&sc.h, bdf, FLOW_E1000_INTX, sc.baseline))
		return;
	if (!host("device_del " UNPLUG_ID, reply, sizeof(reply)))
		return;
	sc.broken = false;
	if (!holder_wait(&sc.h, REP_REQ, "the REQ eventfd after device_del"))
		return;
	EXPECT_TRUE(pci_function_exists(bdf), "the function still there while it is open");
	holder_command(&sc.h, CMD_PING, REP_PONG,
		       "a BAR touch through the mapping and an INTx while the removal waits");
	EXPECT_TRUE(pci_function_exists(bdf), "the function still there while it is open");
}

static void device_del_completes_after_close(const char *bdf)
{
	bool ok = false;

	if (sc.broken) {
		holder_stop(&sc.h);
		tap_case_skip("no device_del was sent");
		return;
	}
	if (holder_command(&sc.h, CMD_CLOSE_ALL, REP_GONE, "the holder closing everything"))
		ok = holder_reap(&sc.h, "the holder after closing");
	holder_stop(&sc.h);
	if (!EXPECT_TRUE(wait_present(bdf, false, WAIT_MS),
			 "the function gone within 60 s of the last close")) {
		sc.stuck = true;
		return;
	}
	if (ok)
		expect_irq_lines(bdf, sc.baseline, "after the removal");
}

/* Restores the zoo whatever the cases before did: plugged and bound. */
static void device_add_brings_it_back(const char *bdf)
{
	if (!host_channel_dir()) {
		tap_case_skip("no host channel ($VFIO_TEST_HOST_CHANNEL unset: not under tools/testing/vm/run.sh)");
		return;
	}
	if (sc.stuck) {
		tap_case_skip("the removal before never completed: a bind would wait for it");
		return;
	}
	if (!pci_function_exists(bdf) && !plug_back())
		return;
	if (!EXPECT_OK(pci_bind(bdf, "vfio-pci"), "binding it to vfio-pci") ||
	    !EXPECT_OK(vfio_wait_group_node(pci_iommu_group(bdf), true, 5000),
		       "its /dev/vfio node"))
		return;
	expect_usable(bdf, FLOW_E1000_INTX);
	expect_irq_lines(bdf, 0, "after the new user closed");
}

/* ---- Scenario 3: module unload while open ---------------------------- */

static int module_refcnt(const char *name)
{
	char path[128], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return atoi(buf);
}

static bool module_holds(const char *name, const char *holder)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/module/%s/holders/%s", name, holder);
	return access(path, F_OK) == 0;
}

/*
 * Only reached if an unload we expected to be refused went through: load
 * the lane's modules as guest.sh's load_lane does and bind the zoo again,
 * so the programs after us still have a driver.
 */
static void reload_lane(void)
{
	char path[4096], zoo[4096], line[512], bdf[64];
	FILE *f;

	tap_diag("a vfio module went away: loading the lane's modules again");
	if (vfio_test_driver() == VFIO_TEST_DRIVER_OURS) {
		if (!module_loaded("vfio_pci_core") &&
		    !vfio_test_path("../../../../vfio-pci-core.ko", path, sizeof(path)))
			EXPECT_OK(module_load(path, ""), "insmod vfio-pci-core.ko");
		if (!module_loaded("vfio_pci") &&
		    !vfio_test_path("../../../../vfio-pci.ko", path, sizeof(path)))
			EXPECT_OK(module_load(path, ""), "insmod vfio-pci.ko");
	} else {
		EXPECT_EQ(system("modprobe vfio-pci"), 0, "modprobe vfio-pci");
	}
	if (vfio_test_path("../../vm/zoo", zoo, sizeof(zoo)))
		return;
	f = fopen(zoo, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && sscanf(line, "%63s", bdf) == 1 &&
		    strcmp(bdf, "-") && pci_function_exists(bdf))
			EXPECT_OK(pci_bind(bdf, "vfio-pci"), bdf);
	fclose(f);
}

/*
 * delete_module(@name) while the holder has the device open: refused with
 * -EWOULDBLOCK, the module still there, the function still bound, and the
 * holder's device still working.
 */
static void expect_unload_refused(const char *bdf, const char *name)
{
	char what[128];
	int ret;

	ret = module_unload(name);
	snprintf(what, sizeof(what), "delete_module(%s) while the device is open", name);
	EXPECT_ERRNO(ret, EWOULDBLOCK, what);
	if (!tap_check(module_loaded(name), "%s unloaded by delete_module", name)) {
		reload_lane();
		return;
	}
	expect_driver(bdf, "vfio-pci", "after the refused unload");
	if (holder_command(&sc.h, CMD_PING, REP_PONG,
			   "a BAR touch and an MSI after the refused unload"))
		EXPECT_EQ(sc.h.last.reqs, 0,
			  "REQ signals: a refused unload asks the user for nothing");
}

static void rmmod_vfio_pci_refused_while_open(const char *bdf)
{
	int refs;

	scenario_begin(bdf);
	sc.refs = module_refcnt("vfio_pci");
	if (!EXPECT_GE(sc.refs, 0, "/sys/module/vfio_pci/refcnt"))
		return;
	if (!holder_running(&sc.h, bdf, FLOW_EDU_MSI, sc.baseline))
		return;
	sc.broken = false;
	refs = module_refcnt("vfio_pci");
	/* Without the reference an unload would go through and unbind the zoo. */
	if (!EXPECT_GE(refs, sc.refs + 1, "vfio_pci's refcnt with the device open"))
		return;
	expect_unload_refused(bdf, "vfio_pci");
}

static void rmmod_vfio_pci_core_refused(const char *bdf)
{
	if (sc.broken) {
		tap_case_skip("the holder never ran");
		return;
	}
	if (!EXPECT_TRUE(module_holds("vfio_pci_core", "vfio_pci"),
			 "vfio_pci listed among vfio_pci_core's holders"))
		return;
	expect_unload_refused(bdf, "vfio_pci_core");
}

static void module_reference_dropped_after_close(const char *bdf)
{
	bool ok = false;

	if (sc.h.pid > 0 &&
	    holder_command(&sc.h, CMD_CLOSE_ALL, REP_GONE, "the holder closing everything"))
		ok = holder_reap(&sc.h, "the holder after closing");
	holder_stop(&sc.h);
	if (!ok) {
		if (!sc.broken)
			return;
		tap_case_skip("the holder never ran");
		return;
	}
	EXPECT_EQ(module_refcnt("vfio_pci"), sc.refs,
		  "vfio_pci's refcnt after the close (as before the open)");
	EXPECT_TRUE(module_loaded("vfio_pci") && module_loaded("vfio_pci_core"),
		    "both modules still loaded: this program unloads nothing");
	expect_driver(bdf, "vfio-pci", "after the close");
	expect_irq_lines(bdf, sc.baseline, "after the close");
}

/* ---- The plan ----------------------------------------------------------- */

enum target {
	EDU_FIRST,	/* the unbind scenarios */
	EDU_LAST,	/* the unload scenario (the same edu if there is one) */
	UNPLUG,
};

static const struct {
	const char *name;
	enum target target;
	void (*run)(const char *bdf);
} cases[] = {
	{ "unbind_of_open_device_signals_req_and_waits_for_close",
	  EDU_FIRST, unbind_signals_req_and_waits },
	{ "bar_mapping_and_msi_keep_working_while_unbind_waits",
	  EDU_FIRST, device_works_while_unbind_waits },
	{ "unbind_still_waits_while_only_a_bar_mapping_is_left",
	  EDU_FIRST, unbind_waits_for_the_mapping },
	{ "unbind_completes_after_munmap_leaving_no_driver_and_no_vfio_irqs",
	  EDU_FIRST, unbind_completes_after_munmap },
	{ "rebound_by_driver_override_opens_reads_bar_and_raises_msi",
	  EDU_FIRST, rebound_works_msi },
	{ "unbind_keeps_waiting_while_user_ignores_req_with_intx_flowing",
	  EDU_FIRST, unbind_waits_for_ignoring_user },
	{ "req_signalled_again_while_the_user_keeps_ignoring_it",
	  EDU_FIRST, req_repeated_while_ignored },
	{ "killing_the_user_completes_unbind_without_leftover_irqs",
	  EDU_FIRST, kill_completes_unbind },
	{ "rebound_after_kill_opens_reads_bar_and_raises_intx",
	  EDU_FIRST, rebound_works_intx },
	{ "device_del_of_open_device_signals_req_and_waits_for_close",
	  UNPLUG, device_del_signals_req_and_waits },
	{ "device_del_completes_after_close_without_leftover_irqs",
	  UNPLUG, device_del_completes_after_close },
	{ "device_add_after_unplug_binds_to_vfio_pci_and_works",
	  UNPLUG, device_add_brings_it_back },
	{ "rmmod_vfio_pci_refused_with_ewouldblock_while_device_open",
	  EDU_LAST, rmmod_vfio_pci_refused_while_open },
	{ "rmmod_vfio_pci_core_refused_while_vfio_pci_holds_it",
	  EDU_LAST, rmmod_vfio_pci_core_refused },
	{ "module_reference_dropped_after_close_and_modules_stay_loaded",
	  EDU_LAST, module_reference_dropped_after_close },
};

int main(void)
{
	const char *want = getenv("VFIO_TEST_DEVICE");
	struct pci_func edus[8];
	const char *bdf[3] = { NULL, NULL, NULL };
	int n;
	size_t c;

	n = pci_find_functions(EDU_VENDOR, EDU_DEVICE, edus, ARRAY_SIZE(edus));
	if (n > (int)ARRAY_SIZE(edus))
		n = ARRAY_SIZE(edus);
	if (n > 0) {
		bdf[EDU_FIRST] = edus[0].bdf;
		bdf[EDU_LAST] = edus[n - 1].bdf;
	}
	if ((!want || !*want || !strcmp(want, UNPLUG_BDF)))
		bdf[UNPLUG] = UNPLUG_BDF;
	if (!bdf[EDU_FIRST] && !bdf[UNPLUG])
		tap_skip_all("no edu function and not %s%s%s", UNPLUG_BDF,
			     want && *want ? ": VFIO_TEST_DEVICE=" : "",
			     want && *want ? want : "");

	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		const char *b = bdf[cases[c].target];

		tap_case_begin("%s%s%s", cases[c].name, b ? " " : "", b ? b : "");
		if (!b)
			tap_case_skip(cases[c].target == UNPLUG ?
				      "VFIO_TEST_DEVICE names another function than " UNPLUG_BDF :
				      "no edu function (VFIO_TEST_DEVICE)");
		else
			cases[c].run(b);
		tap_case_end();
	}
	tap_finish();
}
