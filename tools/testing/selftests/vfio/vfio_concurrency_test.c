// SPDX-License-Identifier: GPL-2.0-only
/*
 * Concurrency: one thread per operation per device, on several devices at
 * once, for a while; then every device must still work.
 *
 * The operations, each looping in its own thread on the device's one open
 * container, group and device fd:
 *   open_close     VFIO_GROUP_GET_DEVICE_FD for a second fd of the same
 *                  device, GET_INFO on it, close it
 *   set_irqs       eventfds on every vector of the function's best index
 *                  (MSI-X, else MSI, else INTx), a software trigger of
 *                  vector 0 that must have reached its eventfd when the
 *                  ioctl returns, disable
 *   reset          VFIO_DEVICE_RESET, where the device reports a reset
 *   hot_reset      VFIO_DEVICE_PCI_HOT_RESET, where every group the reset
 *                  reaches is one this program holds (01:00.0, alone
 *                  behind its root port)
 *   mmap_touch     mmap of a BAR, a read of its first word, munmap
 *   command        config writes of the command register: memory enable
 *                  and bus master off, then on (the value from before the
 *                  run is written back at the end)
 *   ioeventfd      VFIO_DEVICE_IOEVENTFD add and remove (signalled on edu,
 *                  whose liveness register takes the write harmlessly)
 *   low_power      LOW_POWER_ENTRY (every other time _WITH_WAKEUP), a
 *                  moment, LOW_POWER_EXIT; skipped when the driver refuses
 *                  the feature's probe
 *   reads          the IDs through the config region, which must always
 *                  match sysfs, and a read of a BAR's first word (edu:
 *                  its ID register, which must read right when it reads)
 *
 * Errors a racing operation may legitimately get, and nothing else (the
 * table accepted_errors[], printed at the start):
 *   reset, hot_reset: EAGAIN.  Both only try the locks a reset needs
 *     (pci_try_reset_function(), the bus reset's trylock of every function
 *     below the bridge) and give up while another reset holds them.
 *   hot_reset, reference only: EBUSY.  The reference only tries each
 *     device's memory lock (so as not to deadlock over a set) and gives up
 *     while a BAR access or mmap fault holds it; under this load it nearly
 *     always does (measured: every one of 250,000 tries in 30 s).  Ours
 *     waits for the locks, in the device set's order.
 *   mmap_touch, reference only: EBUSY from mmap.  Seen on the reference
 *     in make stress (edu, 300 s: 9 of 100,339 mmaps, next to the
 *     open/close, SET_IRQS, command, ioeventfd, low-power and read threads;
 *     never in 20 s runs); EBUSY is what the PCI core gives a second
 *     claimant of a BAR's resource, so likely two first users of the BAR
 *     racing to request it.  Not seen on ours, which is held to no EBUSY.
 *   mmap_touch: SIGBUS on the read.  Mappings are revoked, and faults
 *     refused, while memory decode is off (the command thread), a reset
 *     runs or the function is in low power.
 *   reads: EIO from the BAR read while memory decode is off.
 * Everything else (and a lost software trigger, wrong IDs, a wrong edu ID
 * register) fails the operation's case, with the first few reported.
 *
 * A watchdog thread looks at every thread's progress once a second; one
 * that has not finished an iteration for VFIO_STRESS_STALL_SECONDS (60)
 * fails its case, and the watchdog prints its last step and its kernel
 * stack.  The guest's hung task timeout is 30 s while this runs.
 *
 * Afterwards, for every device, on the fd that went through it all and
 * again after closing and reopening: GET_INFO, the IDs through config
 * space, a BAR read, and on edu an MSI and an INTx raised by the device
 * itself reaching their eventfds.
 *
 * Devices run in sets, one set at a time: the zoo's edu, e1000e and nvme
 * on the root bus, then the e1000e behind a root port (hot reset) with the
 * second edu.  VFIO_STRESS_SECONDS is each set's duration (default 20);
 * VFIO_STRESS_OPS=command,reads (say) runs only those operations, to narrow
 * down a failure.  Each operation must also have got through cleanly at
 * least once (the reference's hot reset excepted, see above).
 *
 * Every device is opened through its group and container whatever
 * VFIO_TEST_CDEV says: open_close is VFIO_GROUP_GET_DEVICE_FD and
 * hot_reset passes group fds; over the cdev a second fd of a bound device
 * cannot bind (EINVAL, vfio_cdev_test), so there is no second open to race.
 *
 * Under QEMU 7.2's multi-threaded TCG this load loses MMIO accesses (see
 * Documentation/testing.rst); the runner uses single-threaded TCG.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "irq_util.h"
#include "region_util.h"
#include "reset_util.h"
#include "stress_util.h"

#define DEFAULT_SECONDS		20
#define DEFAULT_STALL_SECONDS	60
#define HUNG_TASK_SECS		30
#define MAX_SET_DEVS		4
#define MAX_REPORTS		4
#define MAX_ERRNO		200
/* How long the low power thread leaves the function in low power. */
#define LOW_POWER_MS		20

enum op {
	OP_OPEN_CLOSE,
	OP_SET_IRQS,
	OP_RESET,
	OP_HOT_RESET,
	OP_MMAP_TOUCH,
	OP_COMMAND,
	OP_IOEVENTFD,
	OP_LOW_POWER,
	OP_READS,
	NUM_OPS,
};

static const char * const op_names[NUM_OPS] = {
	[OP_OPEN_CLOSE] = "open_close",
	[OP_SET_IRQS] = "set_irqs",
	[OP_RESET] = "reset",
	[OP_HOT_RESET] = "hot_reset",
	[OP_MMAP_TOUCH] = "mmap_touch",
	[OP_COMMAND] = "command",
	[OP_IOEVENTFD] = "ioeventfd",
	[OP_LOW_POWER] = "low_power",
	[OP_READS] = "reads",
};

/* An error an operation may get while it races the others. */
struct accepted {
	enum op op;
	int err;
	bool reference_only;
	const char *why;
};

static const struct accepted accepted_errors[] = {
	{ OP_RESET, EAGAIN, false,
	  "VFIO_DEVICE_RESET only tries the function's reset locks and another reset holds them" },
	{ OP_HOT_RESET, EAGAIN, false,
	  "the bus reset only tries to lock every function below the bridge and a reset holds one" },
	{ OP_HOT_RESET, EBUSY, true,
	  "the reference only tries each device's memory lock and a BAR access or fault holds it" },
	{ OP_MMAP_TOUCH, EBUSY, true,
	  "the reference's mmap now and then gives EBUSY under load (a race over the BAR's resource?)" },
	{ OP_READS, EIO, false,
	  "BAR access is refused while memory decode is off (command thread)" },
};

struct sdev;

/* One thread: one operation on one device. */
struct worker {
	struct sdev *d;
	enum op op;
	pthread_t thread;
	bool started;
	_Atomic pid_t tid;
	_Atomic unsigned long iterations;
	unsigned long failed_calls;	/* calls that returned an error */
	unsigned long clean;		/* iterations with no error, no SIGBUS */
	_Atomic long long last_ns;	/* end of the last iteration */
	_Atomic(const char *) step;	/* what it is doing now */
	_Atomic bool done;
	bool stalled;
	char skip[160];			/* why it did not run */
	unsigned long errs[MAX_ERRNO];	/* accepted errors, by errno */
	unsigned long unexpected;
	unsigned long sigbus;
	char reports[MAX_REPORTS][200];
	unsigned int nreports;
};

struct sdev {
	struct pci_func f;
	struct vfio_dev dev;
	bool open;
	bool is_edu;
	uint32_t irq_index;
	uint32_t nvec;
	const char *irq_name;
	int mmap_bar;
	uint64_t mmap_off, mmap_len;
	int bar;			/* for reads and the ioeventfd */
	uint64_t bar_off;
	uint64_t ioevent_off;
	uint32_t ids;			/* vendor | device << 16, from sysfs */
	uint16_t cmd_before;
	int32_t hot_groups[8];		/* group fds the hot reset needs */
	uint32_t nhot;
	struct worker w[NUM_OPS];
};

static atomic_bool stop;
static unsigned long seconds, stall_seconds;

/* ---- time, steps, errors -------------------------------------------------- */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms_(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void step(struct worker *w, const char *what)
{
	atomic_store(&w->step, what);
}

static void progress(struct worker *w)
{
	atomic_fetch_add(&w->iterations, 1);
	atomic_store(&w->last_ns, now_ns());
}

static bool accepted(const struct worker *w, int err)
{
	bool reference = vfio_test_driver() == VFIO_TEST_DRIVER_REFERENCE;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(accepted_errors); i++)
		if (accepted_errors[i].op == w->op && accepted_errors[i].err == err &&
		    (!accepted_errors[i].reference_only || reference))
			return true;
	return false;
}

static void report(struct worker *w, const char *fmt, ...) TAP_PRINTF(2, 3);

/* Something that must not happen; the first few are kept for the case. */
static void report(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	w->unexpected++;
	if (w->nreports == MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(w->reports[w->nreports++], sizeof(w->reports[0]), fmt, ap);
	va_end(ap);
}

/*
 * The result of one call: 0 and positive pass; an accepted errno is
 * counted; anything else is reported.  Returns whether it succeeded.
 */
static bool check(struct worker *w, int ret, const char *what)
{
	if (ret >= 0)
		return true;
	w->failed_calls++;
	if (accepted(w, -ret)) {
		if (-ret < MAX_ERRNO)
			w->errs[-ret]++;
	} else {
		report(w, "%s: %s", what, tap_errno_name(-ret));
	}
	return false;
}

/* ---- SIGBUS from a revoked mapping, per thread ---------------------------- */

static __thread sigjmp_buf sigbus_jmp;
static __thread volatile sig_atomic_t sigbus_armed;

static void on_sigbus(int sig)
{
	if (sigbus_armed) {
		sigbus_armed = 0;
		siglongjmp(sigbus_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* One read through a mapping: false if it raised SIGBUS. */
static bool touch(volatile uint32_t *p, uint32_t *val)
{
	if (sigsetjmp(sigbus_jmp, 1))
		return false;
	sigbus_armed = 1;
	*val = *p;
	sigbus_armed = 0;
	return true;
}

/* ---- the operations ------------------------------------------------------- */

static void op_open_close(struct worker *w)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int fd;

	step(w, "VFIO_GROUP_GET_DEVICE_FD");
	fd = vfio_group_get_device_fd(w->d->dev.group_fd, w->d->f.bdf);
	if (!check(w, fd, "VFIO_GROUP_GET_DEVICE_FD"))
		return;
	step(w, "VFIO_DEVICE_GET_INFO on the second fd");
	check(w, vfio_device_get_info(fd, &info), "VFIO_DEVICE_GET_INFO on the second fd");
	step(w, "close of the second fd");
	close(fd);
}

static void op_set_irqs(struct worker *w)
{
	struct sdev *d = w->d;
	int efds[2048], ret;
	long long got;

	ret = irq_eventfds(efds, d->nvec);
	if (ret) {
		report(w, "eventfd(): %s", tap_errno_name(-ret));
		return;
	}
	step(w, "SET_IRQS eventfds");
	if (check(w, irq_set_eventfds(d->dev.fd, d->irq_index, 0, d->nvec, efds),
		  "SET_IRQS eventfds")) {
		step(w, "SET_IRQS software trigger");
		if (check(w, irq_trigger_none(d->dev.fd, d->irq_index, 0, 1),
			  "SET_IRQS software trigger")) {
			got = irq_eventfd_take(efds[0]);
			if (got <= 0)
				report(w, "software trigger of %s vector 0: eventfd read %lld",
				       d->irq_name, got);
		}
		step(w, "SET_IRQS disable");
		check(w, irq_disable(d->dev.fd, d->irq_index), "SET_IRQS disable");
	}
	irq_eventfds_close(efds, d->nvec);
}

static void op_reset(struct worker *w)
{
	step(w, "VFIO_DEVICE_RESET");
	check(w, vfio_ioctl(w->d->dev.fd, VFIO_DEVICE_RESET, NULL), "VFIO_DEVICE_RESET");
}

static void op_hot_reset(struct worker *w)
{
	step(w, "VFIO_DEVICE_PCI_HOT_RESET");
	check(w, vfio_hot_reset(w->d->dev.fd, w->d->hot_groups, w->d->nhot),
	      "VFIO_DEVICE_PCI_HOT_RESET");
}

static void op_mmap_touch(struct worker *w)
{
	struct sdev *d = w->d;
	uint32_t val;
	void *map;

	step(w, "mmap");
	if (!check(w, vfio_region_mmap(&d->dev, d->mmap_bar, d->mmap_off, d->mmap_len,
				       PROT_READ | PROT_WRITE, &map), "mmap"))
		return;
	step(w, "read through the mapping");
	if (!touch(map, &val))
		w->sigbus++;
	else if (d->is_edu && d->mmap_bar == 0 && !d->mmap_off && val != EDU_ID_VALUE)
		report(w, "edu ID register through the mapping: 0x%08x", val);
	step(w, "munmap");
	munmap(map, d->mmap_len);
}

static void op_command(struct worker *w)
{
	struct sdev *d = w->d;
	uint16_t cmd;

	step(w, "config read of the command register");
	if (!check(w, vfio_config_read16(&d->dev, PCI_COMMAND, &cmd), "command read"))
		return;
	step(w, "command write: memory and bus master off");
	check(w, vfio_config_write16(&d->dev, PCI_COMMAND,
				     cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)),
	      "command write (off)");
	step(w, "command write: memory and bus master on");
	check(w, vfio_config_write16(&d->dev, PCI_COMMAND,
				     cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
	      "command write (on)");
}

static void op_ioeventfd(struct worker *w)
{
	struct sdev *d = w->d;
	uint32_t data = 0x10e00000 | (atomic_load(&w->iterations) & 0xffff);
	int efd = irq_eventfd();

	if (efd < 0) {
		report(w, "eventfd(): %s", tap_errno_name(-efd));
		return;
	}
	step(w, "VFIO_DEVICE_IOEVENTFD add");
	if (check(w, vfio_ioeventfd(d->dev.fd, VFIO_DEVICE_IOEVENTFD_32, d->ioevent_off,
				    data, efd), "VFIO_DEVICE_IOEVENTFD add")) {
		if (d->is_edu)
			eventfd_signal_once(efd);
		step(w, "VFIO_DEVICE_IOEVENTFD remove");
		check(w, vfio_ioeventfd(d->dev.fd, VFIO_DEVICE_IOEVENTFD_32, d->ioevent_off,
					data, -1), "VFIO_DEVICE_IOEVENTFD remove");
	}
	close(efd);
}

static void op_low_power(struct worker *w)
{
	struct vfio_device_low_power_entry_with_wakeup entry = { 0 };
	bool wakeup = atomic_load(&w->iterations) & 1;
	int fd = w->d->dev.fd, efd = -1;
	bool in;

	if (wakeup) {
		efd = irq_eventfd();
		if (efd < 0) {
			report(w, "eventfd(): %s", tap_errno_name(-efd));
			return;
		}
		entry.wakeup_eventfd = efd;
		step(w, "LOW_POWER_ENTRY_WITH_WAKEUP");
		in = check(w, vfio_device_feature(fd, VFIO_DEVICE_FEATURE_SET |
					VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
					&entry, sizeof(entry)), "LOW_POWER_ENTRY_WITH_WAKEUP");
	} else {
		step(w, "LOW_POWER_ENTRY");
		in = check(w, vfio_device_feature(fd, VFIO_DEVICE_FEATURE_SET |
					VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0),
			   "LOW_POWER_ENTRY");
	}
	if (in) {
		step(w, "in low power");
		sleep_ms_(LOW_POWER_MS);
	}
	step(w, "LOW_POWER_EXIT");
	check(w, vfio_device_feature(fd, VFIO_DEVICE_FEATURE_SET |
				     VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0),
	      "LOW_POWER_EXIT");
	if (efd >= 0)
		close(efd);
}

static void op_reads(struct worker *w)
{
	struct sdev *d = w->d;
	uint32_t val;

	step(w, "config read of the IDs");
	if (check(w, vfio_config_read32(&d->dev, 0, &val), "config read of the IDs") &&
	    val != d->ids)
		report(w, "IDs through the config region 0x%08x, sysfs says 0x%08x",
		       val, d->ids);
	if (d->bar < 0)
		return;
	step(w, "BAR read");
	if (check(w, vfio_bar_read32(&d->dev, d->bar, d->bar_off, &val), "BAR read") &&
	    d->is_edu && val != EDU_ID_VALUE) {
		uint16_t hw = 0;
		char pm[32] = "?";

		/* What the PCI core sees just after, for the report. */
		pci_config_sysfs_read16(d->f.bdf, PCI_COMMAND, &hw);
		pci_sysfs_read(d->f.bdf, "power/runtime_status", pm, sizeof(pm));
		report(w, "edu ID register read through the region: 0x%08x (just after: command 0x%04x in sysfs config, runtime %s)",
		       val, hw, pm);
	}
}

static void (*const op_fns[NUM_OPS])(struct worker *w) = {
	[OP_OPEN_CLOSE] = op_open_close,
	[OP_SET_IRQS] = op_set_irqs,
	[OP_RESET] = op_reset,
	[OP_HOT_RESET] = op_hot_reset,
	[OP_MMAP_TOUCH] = op_mmap_touch,
	[OP_COMMAND] = op_command,
	[OP_IOEVENTFD] = op_ioeventfd,
	[OP_LOW_POWER] = op_low_power,
	[OP_READS] = op_reads,
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	while (!atomic_load(&stop)) {
		unsigned long failed = w->failed_calls, sigbus = w->sigbus;

		op_fns[w->op](w);
		if (w->failed_calls == failed && w->sigbus == sigbus)
			w->clean++;
		progress(w);
	}
	step(w, "finished");
	atomic_store(&w->done, true);
	return NULL;
}

/* ---- the watchdog ------------------------------------------------------------ */

struct set {
	struct sdev *devs[MAX_SET_DEVS];
	int n;
	_Atomic bool over;		/* every worker joined or given up */
};

static void print_stack(pid_t tid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	f = fopen(path, "re");
	if (!f) {
		tap_diag("    (no kernel stack: %s)", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		tap_diag("    %s", line);
	}
	fclose(f);
}

/*
 * Once a second: a worker that has not finished an iteration for the
 * stall limit is stuck; say which, doing what, and where in the kernel.
 */
static void *watchdog_main(void *arg)
{
	struct set *set = arg;
	int i, k;

	while (!atomic_load(&set->over)) {
		long long t = now_ns();

		for (i = 0; i < set->n; i++) {
			for (k = 0; k < NUM_OPS; k++) {
				struct worker *w = &set->devs[i]->w[k];
				long long idle = t - atomic_load(&w->last_ns);

				if (!w->started || atomic_load(&w->done) || w->stalled ||
				    idle < (long long)stall_seconds * 1000000000LL)
					continue;
				w->stalled = true;
				tap_diag("STUCK: %s %s (tid %d) made no progress for %lld s after %lu iterations; last step: %s; its kernel stack:",
					 w->d->f.bdf, op_names[w->op], atomic_load(&w->tid),
					 idle / 1000000000LL, atomic_load(&w->iterations),
					 atomic_load(&w->step));
				print_stack(atomic_load(&w->tid));
			}
		}
		sleep_ms_(1000);
	}
	return NULL;
}

/* ---- devices ------------------------------------------------------------------ */

/* Whether every group the hot reset reaches is one of @set's. */
static void setup_hot_reset(struct sdev *d, struct set *set)
{
	struct worker *w = &d->w[OP_HOT_RESET];
	struct vfio_pci_hot_reset_info *info = NULL;
	uint32_t i;
	int ret, j;

	ret = vfio_hot_reset_info(d->dev.fd, &info);
	if (ret) {
		snprintf(w->skip, sizeof(w->skip),
			 "no bus or slot reset to share: GET_PCI_HOT_RESET_INFO gives %s",
			 tap_errno_name(-ret));
		return;
	}
	for (i = 0; i < info->count; i++) {
		char bdf[PCI_BDF_LEN];
		bool held = false;

		vfio_dependent_bdf(&info->devices[i], bdf, sizeof(bdf));
		for (j = 0; j < set->n; j++)
			if ((uint32_t)set->devs[j]->dev.group == info->devices[i].group_id)
				held = true;
		if (!held) {
			snprintf(w->skip, sizeof(w->skip),
				 "the hot reset reaches %s (group %u), which this program does not hold",
				 bdf, info->devices[i].group_id);
			free(info);
			return;
		}
	}
	d->nhot = 0;
	for (j = 0; j < set->n; j++)
		for (i = 0; i < info->count; i++)
			if ((uint32_t)set->devs[j]->dev.group == info->devices[i].group_id &&
			    d->nhot < ARRAY_SIZE(d->hot_groups)) {
				d->hot_groups[d->nhot++] = set->devs[j]->dev.group_fd;
				break;
			}
	free(info);
}

static void setup_irqs(struct sdev *d)
{
	static const uint32_t order[] = { VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX,
					  VFIO_PCI_INTX_IRQ_INDEX };
	struct vfio_irq_info info;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(order); k++) {
		if (vfio_device_get_irq_info(d->dev.fd, order[k], &info) || !info.count)
			continue;
		d->irq_index = order[k];
		d->nvec = info.count < 2048 ? info.count : 2048;
		d->irq_name = vfio_irq_name(order[k]);
		return;
	}
	snprintf(d->w[OP_SET_IRQS].skip, sizeof(d->w[0].skip),
		 "the function has no INTx, MSI or MSI-X");
}

/* A memory BAR to map, read and put the ioeventfd on, off the MSI-X table. */
static void setup_bars(struct sdev *d)
{
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	uint32_t table_off = 0, pba_off = 0, table_end = 0;
	int bar, msix_bar, pba_bar = -1, nres;
	long page = sysconf(_SC_PAGESIZE);

	d->mmap_bar = d->bar = -1;
	msix_bar = pci_msix_table_bar(d->f.bdf, &table_off, &pba_bar, &pba_off);
	if (msix_bar >= 0) {
		struct vfio_irq_info info = { 0 };

		vfio_device_get_irq_info(d->dev.fd, VFIO_PCI_MSIX_IRQ_INDEX, &info);
		table_end = table_off + info.count * 16;
	}
	nres = pci_resources(d->f.bdf, res);
	for (bar = 0; bar < 6 && bar < nres; bar++) {
		const struct vfio_region_info *r = &d->dev.regions[bar];
		uint64_t off = d->is_edu ? EDU_LIVENESS : 0;

		if (!pci_bar_is_memory(&res[bar]) || !r->size)
			continue;
		if (d->mmap_bar < 0 && (r->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
			struct vfio_region_info *caps = NULL;
			const struct vfio_info_cap_header *cap = NULL;

			if (!vfio_device_get_region_info_caps(d->dev.fd, bar, &caps))
				cap = vfio_region_info_cap_find(caps,
						VFIO_REGION_INFO_CAP_SPARSE_MMAP);
			d->mmap_bar = bar;
			d->mmap_off = 0;
			d->mmap_len = (r->size + page - 1) & ~(uint64_t)(page - 1);
			if (cap) {
				const struct vfio_region_info_cap_sparse_mmap *sp =
					(const void *)cap;

				if (sp->nr_areas && sp->areas[0].size) {
					d->mmap_off = sp->areas[0].offset;
					d->mmap_len = sp->areas[0].size;
				} else {
					d->mmap_bar = -1;
				}
			}
			free(caps);
		}
		if (d->bar >= 0 || !(r->flags & VFIO_REGION_INFO_FLAG_WRITE))
			continue;
		if (bar == msix_bar && table_off < off + 4)
			off = (table_end + 7) & ~7u;
		if (bar == pba_bar && pba_off < off + 4)
			continue;
		if (off + 4 > r->size)
			continue;
		d->bar = bar;
		d->bar_off = d->is_edu ? EDU_ID : off;
		d->ioevent_off = region_file_offset(&d->dev, bar, off);
	}
	if (d->mmap_bar < 0)
		snprintf(d->w[OP_MMAP_TOUCH].skip, sizeof(d->w[0].skip),
			 "no mmappable memory BAR");
	if (d->bar < 0)
		snprintf(d->w[OP_IOEVENTFD].skip, sizeof(d->w[0].skip),
			 "no writable memory BAR outside the MSI-X table and PBA");
}

static int setup_dev(struct sdev *d)
{
	uint32_t ids;
	int ret;

	d->is_edu = !strcmp(d->f.kind, "edu");
	ret = pci_config_sysfs_read32(d->f.bdf, 0, &ids);
	if (ret)
		return ret;
	d->ids = ids;
	ret = vfio_dev_open_group(&d->dev, d->f.bdf);
	if (ret)
		return ret;
	d->open = true;
	ret = vfio_config_read16(&d->dev, PCI_COMMAND, &d->cmd_before);
	if (ret)
		return ret;
	setup_irqs(d);
	setup_bars(d);
	if (!(d->dev.info.flags & VFIO_DEVICE_FLAGS_RESET))
		snprintf(d->w[OP_RESET].skip, sizeof(d->w[0].skip),
			 "the device reports no reset (VFIO_DEVICE_FLAGS_RESET clear)");
	ret = vfio_device_feature(d->dev.fd, VFIO_DEVICE_FEATURE_PROBE |
				  VFIO_DEVICE_FEATURE_SET |
				  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0);
	if (ret)
		snprintf(d->w[OP_LOW_POWER].skip, sizeof(d->w[0].skip),
			 "the driver refuses the probe of LOW_POWER_ENTRY: %s",
			 tap_errno_name(-ret));
	if (getenv("VFIO_STRESS_OPS") && *getenv("VFIO_STRESS_OPS")) {
		char list[256];
		enum op op;

		snprintf(list, sizeof(list), ",%s,", getenv("VFIO_STRESS_OPS"));
		for (op = 0; op < NUM_OPS; op++) {
			char want[32];

			snprintf(want, sizeof(want), ",%s,", op_names[op]);
			if (!strstr(list, want) && !d->w[op].skip[0])
				snprintf(d->w[op].skip, sizeof(d->w[0].skip),
					 "not in VFIO_STRESS_OPS");
		}
	}
	/* Decode and bus master on to start with; the command thread toggles. */
	return vfio_config_write16(&d->dev, PCI_COMMAND,
				   d->cmd_before | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* ---- a set -------------------------------------------------------------------- */

static void run_set(struct set *set, const char *name)
{
	pthread_t watchdog;
	struct timespec deadline;
	long long start;
	int i, k, running = 0;

	for (i = 0; i < set->n; i++)
		if (set->devs[i]->open)
			setup_hot_reset(set->devs[i], set);

	atomic_store(&stop, false);
	atomic_store(&set->over, false);
	start = now_ns();
	for (i = 0; i < set->n; i++) {
		for (k = 0; k < NUM_OPS; k++) {
			struct worker *w = &set->devs[i]->w[k];

			w->d = set->devs[i];
			w->op = k;
			if (!set->devs[i]->open || w->skip[0])
				continue;
			atomic_store(&w->last_ns, start);
			atomic_store(&w->step, "starting");
			if (pthread_create(&w->thread, NULL, worker_main, w)) {
				snprintf(w->skip, sizeof(w->skip), "pthread_create failed");
				continue;
			}
			w->started = true;
			running++;
		}
	}
	tap_diag("set %s: %d threads on %d devices for %lu s", name, running, set->n,
		 seconds);
	pthread_create(&watchdog, NULL, watchdog_main, set);

	sleep_ms_(seconds * 1000);
	atomic_store(&stop, true);
	/* Every thread ends its iteration; a stuck one is left where it is. */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += stall_seconds + 5;
	for (i = 0; i < set->n; i++) {
		for (k = 0; k < NUM_OPS; k++) {
			struct worker *w = &set->devs[i]->w[k];

			if (!w->started)
				continue;
			if (pthread_timedjoin_np(w->thread, NULL, &deadline)) {
				w->stalled = true;
				tap_diag("STUCK: %s %s (tid %d) did not end its iteration within %lu s of the stop; last step: %s",
					 w->d->f.bdf, op_names[k], atomic_load(&w->tid),
					 stall_seconds + 5, atomic_load(&w->step));
				print_stack(atomic_load(&w->tid));
			}
		}
	}
	atomic_store(&set->over, true);
	pthread_join(watchdog, NULL);
	tap_diag("set %s: ran %.1f s", name, (now_ns() - start) / 1e9);
}

static bool set_stuck(const struct set *set)
{
	int i, k;

	for (i = 0; i < set->n; i++)
		for (k = 0; k < NUM_OPS; k++)
			if (set->devs[i]->w[k].stalled && !atomic_load(&set->devs[i]->w[k].done))
				return true;
	return false;
}

/* ---- the cases ------------------------------------------------------------------ */

static void case_op(struct sdev *d, enum op op)
{
	struct worker *w = &d->w[op];
	char errs[256] = "";
	size_t len = 0;
	unsigned int i;

	tap_case_begin("concurrent_%s_progresses_with_only_accepted_errors %s",
		       op_names[op], d->f.bdf);
	if (!d->open) {
		tap_check(false, "the device could not be opened");
		tap_case_end();
		return;
	}
	if (w->skip[0]) {
		tap_case_skip("%s", w->skip);
		return;
	}
	for (i = 0; i < MAX_ERRNO; i++)
		if (w->errs[i] && len < sizeof(errs))
			len += snprintf(errs + len, sizeof(errs) - len, " %s x%lu",
					tap_errno_name(i), w->errs[i]);
	tap_diag("%lu iterations in %lu s, %lu of them clean, %lu failed calls; accepted errors:%s",
		 atomic_load(&w->iterations), seconds, w->clean, w->failed_calls,
		 len ? errs : " none");
	if (op == OP_MMAP_TOUCH)
		tap_diag("SIGBUS on %lu of the reads through the mapping", w->sigbus);
	for (i = 0; i < w->nreports; i++)
		tap_check(false, "%s", w->reports[i]);
	if (w->unexpected > w->nreports)
		tap_check(false, "and %lu more unexpected results", w->unexpected - w->nreports);
	tap_check(!w->stalled, "the thread stalled (see STUCK above)");
	tap_check(atomic_load(&w->iterations) > 0, "not one iteration finished");
	/* The reference's hot reset gives up on any contention: EBUSY always. */
	if (op == OP_HOT_RESET && vfio_test_driver() == VFIO_TEST_DRIVER_REFERENCE &&
	    !w->clean)
		tap_diag("no hot reset got through the contention (the reference's trylocks)");
	else
		tap_check(w->clean > 0, "not one iteration went through without an error or SIGBUS");
	tap_case_end();
}

/* edu raises @index's interrupt itself; its eventfd must see it. */
static void edu_irq_works(struct sdev *d, uint32_t index)
{
	const char *name = vfio_irq_name(index);
	char what[96];
	int efd;

	efd = irq_eventfd();
	if (!EXPECT_OK(efd, "eventfd()"))
		return;
	snprintf(what, sizeof(what), "%s eventfd", name);
	if (!EXPECT_OK(irq_set_eventfd(d->dev.fd, index, 0, efd), what))
		goto out;
	if (index == VFIO_PCI_INTX_IRQ_INDEX)
		EXPECT_OK(vfio_config_update16(&d->dev, PCI_COMMAND, 0x400, 0),
			  "clearing INTx disable");
	snprintf(what, sizeof(what), "edu raising its %s", name);
	if (EXPECT_OK(edu_raise(&d->dev, 1), what))
		irq_expect_signal(efd, what);
	EXPECT_OK(edu_ack(&d->dev, 1), "acknowledging edu's interrupt");
	if (index == VFIO_PCI_INTX_IRQ_INDEX)
		EXPECT_OK(irq_unmask(d->dev.fd, index), "unmasking INTx");
	EXPECT_OK(irq_disable(d->dev.fd, index), "disabling the interrupt");
out:
	close(efd);
}

/* What every user of the device needs to work, on @d's open fd. */
static void usable(struct sdev *d)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint32_t val;

	EXPECT_OK(vfio_device_get_info(d->dev.fd, &info), "VFIO_DEVICE_GET_INFO");
	if (EXPECT_OK(vfio_config_read32(&d->dev, 0, &val), "config read of the IDs"))
		EXPECT_EQ_HEX(val, d->ids, "IDs through the config region against sysfs");
	if (!EXPECT_OK(vfio_config_write16(&d->dev, PCI_COMMAND,
					   d->cmd_before | PCI_COMMAND_MEMORY |
					   PCI_COMMAND_MASTER),
		       "memory decode and bus master on"))
		return;
	if (d->bar >= 0 && EXPECT_OK(vfio_bar_read32(&d->dev, d->bar, d->bar_off, &val),
				     "BAR read") && d->is_edu)
		EXPECT_EQ_HEX(val, EDU_ID_VALUE, "edu ID register");
	if (d->is_edu) {
		edu_irq_works(d, VFIO_PCI_MSI_IRQ_INDEX);
		edu_irq_works(d, VFIO_PCI_INTX_IRQ_INDEX);
	}
}

static void case_usable_after(struct sdev *d, bool stuck)
{
	tap_case_begin("device_usable_on_the_same_fd_after_concurrency %s", d->f.bdf);
	if (!d->open) {
		tap_check(false, "the device could not be opened");
	} else if (stuck) {
		tap_check(false, "a thread of this set is stuck in the kernel: not touching the devices");
	} else {
		/* Whatever the threads left: out of low power, decode back. */
		vfio_device_feature(d->dev.fd, VFIO_DEVICE_FEATURE_SET |
				    VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0);
		usable(d);
		EXPECT_OK(vfio_config_write16(&d->dev, PCI_COMMAND, d->cmd_before),
			  "restoring the command register");
	}
	tap_case_end();
}

static void case_usable_reopened(struct sdev *d, bool stuck)
{
	int lines;

	tap_case_begin("device_usable_after_close_and_reopen %s", d->f.bdf);
	if (stuck) {
		tap_check(false, "a thread of this set is stuck in the kernel: not touching the devices");
		tap_case_end();
		return;
	}
	if (d->open) {
		vfio_dev_close(&d->dev);
		d->open = false;
	}
	lines = irq_proc_count(d->f.bdf, "vfio");
	EXPECT_EQ(lines, 0, "lines of /proc/interrupts naming vfio and the function after close");
	if (EXPECT_OK(vfio_dev_open_group(&d->dev, d->f.bdf), "opening the device again")) {
		usable(d);
		vfio_dev_close(&d->dev);
	}
	tap_case_end();
}

/* ---- main ----------------------------------------------------------------------- */

static int find(const struct pci_func *funcs, int n, const char *kind, int nth,
		const char *bus_prefix)
{
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(funcs[i].kind, kind))
			continue;
		if (bus_prefix && strncmp(funcs[i].bdf, bus_prefix, strlen(bus_prefix)))
			continue;
		if (!nth--)
			return i;
	}
	return -1;
}

static void print_accepted(void)
{
	size_t i;

	tap_diag("accepted errors (anything else fails the operation's case):");
	for (i = 0; i < ARRAY_SIZE(accepted_errors); i++)
		tap_diag("  %s: %s%s: %s", op_names[accepted_errors[i].op],
			 tap_errno_name(accepted_errors[i].err),
			 accepted_errors[i].reference_only ? " (reference only)" : "",
			 accepted_errors[i].why);
	tap_diag("  mmap_touch: SIGBUS on the read (counted): mappings are revoked while decode is off, in reset or in low power");
}

int main(void)
{
	static struct sdev devs[2 * MAX_SET_DEVS];
	static struct set sets[2];
	static const char * const set_names[] = { "root-bus", "behind-root-port" };
	struct pci_func funcs[VFIO_ZOO_MAX];
	int n, i, s, ndevs = 0, nsets = 0;
	struct sigaction sa = { .sa_handler = on_sigbus };

	seconds = stress_env_number("VFIO_STRESS_SECONDS", DEFAULT_SECONDS, 1);
	stall_seconds = stress_env_number("VFIO_STRESS_STALL_SECONDS",
					  DEFAULT_STALL_SECONDS, 5);
	n = vfio_zoo_functions_or_skip(funcs, ARRAY_SIZE(funcs));

	if (getenv("VFIO_TEST_DEVICE") && *getenv("VFIO_TEST_DEVICE")) {
		devs[0].f = funcs[0];
		sets[0].devs[0] = &devs[0];
		sets[0].n = 1;
		ndevs = nsets = 1;
	} else {
		/* The root bus's edu, e1000e, nvme; then 01:00.0 and the second edu. */
		const struct { int set; const char *kind; int nth; const char *bus; } pick[] = {
			{ 0, "edu", 0, "0000:00:" },
			{ 0, "e1000e", 0, "0000:00:" },
			{ 0, "nvme", 0, "0000:00:" },
			{ 1, "e1000e", 0, "0000:01:" },
			{ 1, "edu", 1, "0000:00:" },
		};
		size_t p;

		for (p = 0; p < ARRAY_SIZE(pick); p++) {
			struct set *set = &sets[pick[p].set];

			i = find(funcs, n, pick[p].kind, pick[p].nth, pick[p].bus);
			if (i < 0)
				continue;
			devs[ndevs].f = funcs[i];
			set->devs[set->n++] = &devs[ndevs++];
			if (pick[p].set + 1 > nsets)
				nsets = pick[p].set + 1;
		}
	}
	if (!ndevs)
		tap_skip_all("none of the zoo's edu, e1000e, nvme present");

	tap_plan(ndevs * (NUM_OPS + 2));
	tap_diag("%lu s per set (VFIO_STRESS_SECONDS), a thread stalls after %lu s; driver %s",
		 seconds, stall_seconds, vfio_test_driver_name());
	print_accepted();
	stress_hung_task_timeout(HUNG_TASK_SECS);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);

	for (s = 0; s < nsets; s++) {
		struct set *set = &sets[s];
		bool stuck;

		if (!set->n)
			continue;
		for (i = 0; i < set->n; i++) {
			struct sdev *d = set->devs[i];
			int ret = setup_dev(d);

			tap_diag("%s (%s): %s", d->f.bdf, d->f.kind,
				 ret ? tap_errno_name(-ret) : "open");
			if (ret && d->open) {
				vfio_dev_close(&d->dev);
				d->open = false;
			}
		}
		run_set(set, set_names[s]);
		stuck = set_stuck(set);
		for (i = 0; i < set->n; i++) {
			enum op op;

			for (op = 0; op < NUM_OPS; op++)
				case_op(set->devs[i], op);
			case_usable_after(set->devs[i], stuck);
			case_usable_reopened(set->devs[i], stuck);
		}
		if (stuck)
			tap_bail_out("threads stuck in the kernel; later sets would only pile up behind them");
	}
	tap_finish();
}
