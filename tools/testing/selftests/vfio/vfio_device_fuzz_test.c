// SPDX-License-Identifier: GPL-2.0-only
/*
 * A seeded fuzzer of the VFIO device fd, on every function of the test
 * VM's device zoo: every device ioctl, and unknown ones in VFIO's range,
 * with random and boundary argsz, flags, indexes, starts and counts,
 * offsets and fds (eventfds, fds of the wrong kind, closed numbers);
 * read/write/pread/pwrite of every region index and of indexes past the
 * last, at and around both ends of each region; mmap of every region with
 * random offsets, lengths, protections and flags.
 *
 * What must hold, on both drivers (their errnos may differ):
 * - each call succeeds or fails with a documented errno (allowed_errnos[];
 *   IOEVENTFD may also answer EEXIST, its uAPI's word for a duplicate);
 * - the kernel writes nothing past argsz into an ioctl's argument, and
 *   nothing at all into one that only carries data in; a successful
 *   GET_*_INFO is well formed and agrees with what it said at open;
 * - read and write never move more than asked, nor past a region's end,
 *   and never touch the bytes after the buffer;
 * - mmap succeeds only for a shared mapping inside an mmappable region;
 *   what it maps reads without SIGBUS while memory decode is on, raises
 *   SIGBUS in low power, and unmaps;
 * - all three mixed, with mappings kept across calls (resets, low power,
 *   interrupt setup) and used as read/write buffers: a kept mapping reads
 *   whenever the function is not in low power;
 * - after every batch of calls, with interrupts and low power undone, the
 *   device answers GET_INFO and its IDs, through VFIO and in the hardware,
 *   match sysfs; at the end it closes with no interrupt and no fd left
 *   behind, reopens, and says and does what it did before;
 * - the kernel log gets no line the runner fails a lane on.
 *
 * The emulated hardware is kept out of what is not the driver's to handle:
 * in-range BAR writes go only to pci-testdev and to edu registers that
 * start nothing (never its DMA command, status or interrupt raise); every
 * other function, and config space (the config fuzzer's ground), gets
 * writes only where the driver must refuse them.  An ioeventfd aimed
 * anywhere else is armed with an eventfd that nothing ever signals.  Bus
 * master stays off, so nothing can DMA.  Resets are real and slow under
 * TCG, so each function gets only a few that reach the hardware.
 *
 * VFIO_DEVICE_FUZZ_ITERATIONS: calls per function in each fuzz case
 * (default DEFAULT_ITERATIONS: the whole zoo in 15-18 s per lane under
 * TCG on a quiet host, 30-40 s with two other VMs running).
 *
 * VFIO_FUZZ_SEED: the run seed (default: a new one each run, which the
 * second lane of a VM run takes over from the first, so both drivers get
 * the same calls).  Each function's seed comes from the run seed and its
 * BDF and is printed, so VFIO_FUZZ_SEED=<run seed> VFIO_TEST_DEVICE=<BDF>
 * replays one function.  Before the random calls, each function gets the
 * fixed ones that once found a bug.
 *
 * VFIO_TEST_TIMEOUT (the runner's limit, 180 s by default): the fuzzing
 * stops early, with what it did said, so that the program ends in time.
 * VFIO_DEVICE_FUZZ_VERBOSE=1 names the first call of each kind to get each
 * result (success or an errno), for comparing the lanes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cdev_util.h"
#include "irq_util.h"
#include "region_util.h"

#ifndef offsetofend
#define offsetofend(t, m)	(offsetof(t, m) + sizeof(((t *)0)->m))
#endif

/* Features newer than the uAPI header the selftests build against. */
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE	9
#endif
#ifndef VFIO_DEVICE_FEATURE_BUS_MASTER
#define VFIO_DEVICE_FEATURE_BUS_MASTER		10
#endif
#define FEATURE_LAST_KNOWN	VFIO_DEVICE_FEATURE_BUS_MASTER

#define PCI_VENDOR_ID		0x00	/* config space: vendor, then device ID */

#define DEFAULT_ITERATIONS	1000
#define DEFAULT_TIMEOUT		180	/* the runner's, when it does not say */
#define BATCH			50	/* calls between checks that the device works */
#define MAX_REPORTS		10	/* diagnostics per case before only counting */
#define SLOW_CALL		0.5	/* seconds: a call that takes longer is named */
#define MIN_CASE_TIME		1.0	/* seconds each fuzz case gets at least */
#define SANE_PERCENT		35	/* ioctls that are well formed */
/* Where the first lane of a VM run leaves its run seed for the second. */
#define SEED_ARTIFACT		"device_fuzz_seed"

#define PAGE			4096UL
#define ONE_MIB			(1UL << 20)
/* Valid memory for arguments and buffers, then one unmapped page. */
#define ARENA_SIZE		(2 * ONE_MIB)
/* Bytes after a buffer or argsz that must come back untouched. */
#define GUARD_WINDOW		256
/* Bytes of an ioctl's argument compared before and after the call. */
#define SNAP_MAX		(16 * 1024)
/* Where an ioctl's side buffers go (DMA logging ranges and bitmap). */
#define SIDE_OFFSET		(SNAP_MAX + PAGE)
/* Both drivers put region N at file offset N << 40. */
#define REGION_SHIFT		40
#define REGION_MASK		((1ULL << REGION_SHIFT) - 1)
#define MAX_REGIONS		16
#define MAX_AREAS		8

#define EFDS			4	/* eventfds per pool */
#define MAX_LIVE		4	/* mappings the mixed case keeps */

/* Errnos the uAPI and the kernel around it document for these calls. */
static const int allowed_errnos[] = {
	EINVAL, EFAULT, ENOTTY, EBADF, ENODEV, ENOSPC, EBUSY, EPERM, ENOMEM,
	EIO, ENXIO, EOPNOTSUPP, EAGAIN, E2BIG, EOVERFLOW, ERANGE, ENOENT, EACCES,
};

/* Kernel log lines tools/testing/vm/guest.sh fails a lane on. */
static const char *const bad_log[] = {
	"WARNING:", "BUG:", "Oops", "KFENCE:", "general protection",
	"soft lockup", "hard LOCKUP", "hung_task", "blocked for more than",
	"UBSAN:", "list_add corruption", "list_del corruption", "refcount_t:",
	"Kernel panic", "Call Trace:",
};

/* ---- Settings, randomness, time -------------------------------------------- */

static unsigned long long iterations = DEFAULT_ITERATIONS;
/* VFIO_DEVICE_FUZZ_VERBOSE: name the first call of each kind to get each result. */
static bool verbose;
static unsigned long long run_seed;
static double fuzz_end;		/* when all fuzzing must have stopped */

static unsigned long long env_number(const char *name, unsigned long long def)
{
	const char *val = getenv(name);
	unsigned long long n;
	char *end;

	if (!val || !*val)
		return def;
	errno = 0;
	n = strtoull(val, &end, 0);
	if (errno || *end)
		tap_bail_out("%s=%s: expected a number", name, val);
	return n;
}

struct rng {
	uint64_t s;
};

/* splitmix64: the same stream everywhere for a given seed. */
static uint64_t rnd64(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd64(r) % n) : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return rnd(r, 100) < percent;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A function's seed: the run seed and the BDF, so one can be replayed. */
static uint64_t function_seed(const char *bdf)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	struct rng r;

	while (*bdf)
		h = (h ^ (uint8_t)*bdf++) * 0x100000001b3ULL;
	r.s = run_seed ^ h;
	return rnd64(&r);
}

/* ---- Memory handed to the kernel ------------------------------------------- */

/* ARENA_SIZE bytes of valid memory; @unmapped is the page right after it. */
static uint8_t *arena;
static uint8_t *unmapped;
static uint8_t snap[SNAP_MAX];

static void arena_init(void)
{
	uint8_t *p = mmap(NULL, ARENA_SIZE + PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		tap_bail_out("mmap of the argument arena: %s", tap_errno_name(errno));
	if (mprotect(p + ARENA_SIZE, PAGE, PROT_NONE))
		tap_bail_out("mprotect of the guard page: %s", tap_errno_name(errno));
	arena = p;
	unmapped = p + ARENA_SIZE;
}

/* ---- The function under fuzzing -------------------------------------------- */

enum op {
	OP_GET_INFO, OP_REGION_INFO, OP_IRQ_INFO, OP_SET_IRQS, OP_RESET,
	OP_HOT_RESET_INFO, OP_HOT_RESET, OP_IOEVENTFD, OP_FEATURE, OP_UNKNOWN,
	OP_READ, OP_WRITE, OP_MMAP, NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"GET_INFO", "GET_REGION_INFO", "GET_IRQ_INFO", "SET_IRQS", "RESET",
	"GET_PCI_HOT_RESET_INFO", "PCI_HOT_RESET", "IOEVENTFD", "FEATURE",
	"unknown", "read", "write", "mmap",
};

/* How often each ioctl is drawn, out of the sum. */
static const unsigned int ioctl_weight[OP_UNKNOWN + 1] = {
	[OP_GET_INFO] = 6, [OP_REGION_INFO] = 10, [OP_IRQ_INFO] = 8,
	[OP_SET_IRQS] = 30, [OP_RESET] = 2, [OP_HOT_RESET_INFO] = 6,
	[OP_HOT_RESET] = 6, [OP_IOEVENTFD] = 12, [OP_FEATURE] = 14,
	[OP_UNKNOWN] = 6,
};

/* Kinds of fd a call may be given. */
enum fd_kind {
	FDK_IRQ,	/* an eventfd for interrupts: may be signalled */
	FDK_QUIET,	/* an eventfd for ioeventfds anywhere: never signalled */
	FDK_LIVE,	/* an eventfd for ioeventfds on writable registers */
	FDK_GROUP, FDK_MINUS1, FDK_MINUS2, FDK_INT_MIN, FDK_HUGE, FDK_CLOSED,
	FDK_PIPE, FDK_FILE, FDK_NULL, FDK_DEVICE, FDK_CONTAINER,
};

/* A BAR range where writes start nothing in the device. */
struct window {
	int bar;		/* -1: every BAR */
	uint64_t start, end;
};

/*
 * edu: liveness (reads back the complement), the interrupt acknowledge
 * (only lowers), the DMA source/destination/count (plain storage until a
 * DMA command starts the engine), and everything from 0x100 on, where edu
 * has no register and drops writes.  Not the factorial (its completion may
 * raise an interrupt), status, interrupt raise or DMA command.
 */
static const struct window edu_windows[] = {
	{ 0, 0x04, 0x08 },
	{ 0, 0x64, 0x68 },
	{ 0, 0x80, 0x98 },
	{ 0, 0x100, UINT64_MAX },
};

/* pci-testdev exists to be written: its registers only count the writes. */
static const struct window testdev_windows[] = {
	{ -1, 0, UINT64_MAX },
};

/* The legacy VGA ranges inside the VGA region. */
static const struct {
	uint64_t start, end;
} vga_windows[] = {
	{ 0xa0000, 0xc0000 }, { 0x3b0, 0x3bc }, { 0x3c0, 0x3e0 },
};

struct region_view {
	int ret;			/* GET_REGION_INFO at open: 0 or -errno */
	struct vfio_region_info info;	/* flags as reported with capabilities */
	uint32_t caps_argsz;		/* argsz the capabilities need, else 0 */
	unsigned int nr_areas;		/* sparse mmap areas; 0: all of it */
	struct {
		uint64_t offset, size;
	} areas[MAX_AREAS];
};

struct stats {
	unsigned long long calls, ok, bad, checks, sigbus, resets, hot_resets;
	unsigned long long left_out;	/* inputs the reference cannot take */
	/* read/write with the buffer in a live mapping: made, moved bytes */
	unsigned long long own_buffer, own_buffer_ok;
	unsigned long long per_op[NR_OPS], per_op_ok[NR_OPS];
	unsigned long long err[150];
	/* Which results each kind of call got already (bit 0: success). */
	uint8_t seen[NR_OPS][150 / 8 + 1];
	bool stopped;
};

struct fuzz_dev {
	const struct pci_func *f;
	struct vfio_dev dev;
	bool open;
	uint64_t seed;
	uint32_t ids;			/* vendor | device << 16 */
	unsigned int segment, bus, devfn;

	/* What the device said at open, for the consistency checks. */
	struct vfio_device_info info;
	uint32_t num_regions;
	struct region_view regions[MAX_REGIONS];
	struct {
		int ret;
		struct vfio_irq_info info;
	} irqs[VFIO_PCI_NUM_IRQS];
	int hot_reset_count;		/* functions a hot reset reaches, or -errno */
	int msix_bar, pba_bar;		/* -1 without MSI-X */
	bool bar_is_io[VFIO_PCI_BAR5_REGION_INDEX + 1];
	uint32_t msix_offset, msix_size, pba_offset;
	/* Regions at index << 40, so the fuzzer knows where a write lands. */
	bool usual_layout;
	const struct window *windows;
	size_t nr_windows;
	uint32_t mmappable[MAX_REGIONS];
	unsigned int nr_mmappable;

	int irq_efd[EFDS], quiet_efd[EFDS], live_efd[EFDS];
	int pipe_fd[2], file_fd, null_fd;
	int closed_fd;			/* a free number, made before each call */
	int fds_before;			/* our open fds before the device was */

	unsigned int resets_left, hot_resets_left;
	int low_power_left;		/* calls until a forced exit; -1: none */

	/* This call is well formed: only values the uAPI allows, valid memory. */
	bool sane;
	/* The mixed case keeps some mappings alive across calls. */
	bool keep_maps;
	unsigned int nr_live;
	struct {
		uint8_t *map;
		uint64_t pos, len, bytes;	/* file offset, mapped, the region's */
		char desc[200];
	} live[MAX_LIVE];
	struct stats st;
	char last[256];			/* the last call, for slow-call notes */
};

/* ---- Results ---------------------------------------------------------------- */

static void TAP_PRINTF(2, 3) report(struct fuzz_dev *d, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	d->st.bad++;
	if (d->st.bad > MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tap_check(false, "call %llu: %s", d->st.calls, msg);
	if (d->st.bad == MAX_REPORTS)
		tap_diag("(further failures of this case are only counted)");
}

static bool errno_allowed(int err, int extra)
{
	size_t i;

	if (extra && err == extra)
		return true;
	for (i = 0; i < ARRAY_SIZE(allowed_errnos); i++)
		if (allowed_errnos[i] == err)
			return true;
	return false;
}

/* Counts one call's result (>= 0 or -errno) and checks its errno. */
static void count_result(struct fuzz_dev *d, enum op op, long long ret,
			 int extra, const char *desc)
{
	d->st.calls++;
	d->st.per_op[op]++;
	snprintf(d->last, sizeof(d->last), "%s", desc);
	if (verbose) {
		unsigned int bit = ret >= 0 ? 0 : -ret < 150 ? -ret : 149;

		if (!(d->st.seen[op][bit / 8] & 1u << (bit % 8)))
			tap_diag("first %s of %s: %s", ret >= 0 ? "success" : tap_errno_name(-ret),
				 op_names[op], desc);
		d->st.seen[op][bit / 8] |= 1u << (bit % 8);
	}
	if (ret >= 0) {
		d->st.ok++;
		d->st.per_op_ok[op]++;
		return;
	}
	if (-ret < (long long)ARRAY_SIZE(d->st.err))
		d->st.err[-ret]++;
	if (!errno_allowed(-ret, extra))
		report(d, "%s: %s, not a documented errno", desc,
		       tap_errno_name(-ret));
}

static void print_stats(struct fuzz_dev *d, const char *what, double secs)
{
	char line[1024] = "";
	size_t len = 0, i;

	for (i = 0; i < NR_OPS; i++)
		if (d->st.per_op[i])
			len += snprintf(line + len, sizeof(line) - len, " %s %llu/%llu",
					op_names[i], d->st.per_op_ok[i], d->st.per_op[i]);
	tap_diag("%s: %llu calls in %.1f s (succeeded/made):%s", what, d->st.calls,
		 secs, line);
	len = 0;
	for (i = 0; i < ARRAY_SIZE(d->st.err); i++)
		if (d->st.err[i] && len < sizeof(line))
			len += snprintf(line + len, sizeof(line) - len, " %s %llu",
					tap_errno_name(i), d->st.err[i]);
	tap_diag("%s: %llu succeeded, errnos:%s; %llu device checks, %llu SIGBUS, %llu resets, %llu hot resets",
		 what, d->st.ok, len ? line : " none", d->st.checks,
		 d->st.sigbus, d->st.resets, d->st.hot_resets);
}

/* ---- The kernel log ----------------------------------------------------------- */

static int kmsg_fd = -1;

static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0)
		tap_diag("/dev/kmsg: %s; only the runner checks the kernel log",
			 tap_errno_name(errno));
	else
		lseek(kmsg_fd, 0, SEEK_END);
}

/* Reports the lines printed since the last call that would fail the lane. */
static void kmsg_check(struct fuzz_dev *d)
{
	char rec[4096], *msg, *nl;
	ssize_t n;
	size_t i;

	if (kmsg_fd < 0)
		return;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		for (i = 0; i < ARRAY_SIZE(bad_log); i++)
			if (strstr(msg, bad_log[i]))
				break;
		if (i < ARRAY_SIZE(bad_log) ||
		    (strstr(msg, "rcu_") && strstr(msg, "stall")))
			report(d, "kernel log: %s", msg);
	}
}

/* ---- Regions: where things are and what may be written ----------------------- */

static bool region_known(const struct fuzz_dev *d, uint32_t index)
{
	return index < d->num_regions && index < MAX_REGIONS &&
	       !d->regions[index].ret;
}

static uint64_t region_size(const struct fuzz_dev *d, uint32_t index)
{
	return region_known(d, index) ? d->regions[index].info.size : 0;
}

/* The file offset of @index: as reported, or where the layout puts it. */
static uint64_t region_base(const struct fuzz_dev *d, uint32_t index)
{
	if (region_known(d, index))
		return d->regions[index].info.offset;
	return (uint64_t)index << REGION_SHIFT;
}

static void decode_pos(uint64_t pos, uint32_t *index, uint64_t *off)
{
	*index = pos >> REGION_SHIFT;
	*off = pos & REGION_MASK;
}

/* The most bytes an access at file offset @pos may move. */
static uint64_t access_limit(const struct fuzz_dev *d, uint64_t pos)
{
	uint64_t off, size;
	uint32_t index;
	size_t i;

	if ((int64_t)pos < 0)
		return 0;
	if (!d->usual_layout)
		return UINT64_MAX;
	decode_pos(pos, &index, &off);
	if (!region_known(d, index))
		return 0;
	if (index == VFIO_PCI_VGA_REGION_INDEX) {
		for (i = 0; i < ARRAY_SIZE(vga_windows); i++)
			if (off >= vga_windows[i].start && off < vga_windows[i].end)
				return vga_windows[i].end - off;
		return 0;
	}
	size = region_size(d, index);
	return off < size ? size - off : 0;
}

static bool bar_range_writable(const struct fuzz_dev *d, uint32_t bar,
			       uint64_t start, uint64_t end)
{
	size_t i;

	for (i = 0; i < d->nr_windows; i++) {
		const struct window *w = &d->windows[i];

		if ((w->bar < 0 || (uint32_t)w->bar == bar) &&
		    start >= w->start && end <= w->end)
			return true;
	}
	return false;
}

/*
 * May a write of @len bytes at file offset @pos be made?  Yes where the
 * driver must refuse it (no such region, the ROM, past the end) or where it
 * reaches the device only in a window of this function; no for any other
 * byte inside a region.
 */
static bool write_allowed(const struct fuzz_dev *d, uint64_t pos, uint64_t len)
{
	uint64_t off, end, size;
	uint32_t index;
	size_t i;

	if (!len || (int64_t)pos < 0)
		return true;		/* nothing moves, or the VFS refuses it */
	if (!d->usual_layout)
		return false;
	decode_pos(pos, &index, &off);
	if (index >= d->num_regions)
		return true;
	if (index >= MAX_REGIONS)
		return false;
	if (d->regions[index].ret || index == VFIO_PCI_ROM_REGION_INDEX)
		return true;
	end = off + len < off ? UINT64_MAX : off + len;
	if (index == VFIO_PCI_VGA_REGION_INDEX) {
		for (i = 0; i < ARRAY_SIZE(vga_windows); i++)
			if (off < vga_windows[i].end && end > vga_windows[i].start)
				return false;
		return true;
	}
	size = region_size(d, index);
	if (off >= size)
		return true;
	if (index > VFIO_PCI_BAR5_REGION_INDEX)
		return false;		/* config space, device-specific regions */
	return bar_range_writable(d, index, off, end < size ? end : size);
}

/* ---- fds ------------------------------------------------------------------------ */

static int fd_of(struct fuzz_dev *d, struct rng *r, enum fd_kind kind)
{
	switch (kind) {
	case FDK_IRQ:
		return d->irq_efd[rnd(r, EFDS)];
	case FDK_QUIET:
		return d->quiet_efd[rnd(r, EFDS)];
	case FDK_LIVE:
		return d->live_efd[rnd(r, EFDS)];
	case FDK_GROUP:
		return d->dev.group_fd;
	case FDK_MINUS1:
		return -1;
	case FDK_MINUS2:
		return -2;
	case FDK_INT_MIN:
		return INT_MIN;
	case FDK_HUGE:
		return chance(r, 50) ? INT_MAX : 100000 + (int)rnd(r, 1000000);
	case FDK_CLOSED:
		return d->closed_fd;
	case FDK_PIPE:
		return d->pipe_fd[rnd(r, 2)];
	case FDK_FILE:
		return d->file_fd;
	case FDK_NULL:
		return d->null_fd;
	case FDK_DEVICE:
		return d->dev.fd;
	case FDK_CONTAINER:
		return d->dev.container_fd;
	}
	return -1;
}

/* An fd for a call: @good (the right kind) about half of the time. */
static int pick_fd(struct fuzz_dev *d, struct rng *r, enum fd_kind good)
{
	static const enum fd_kind others[] = {
		FDK_MINUS1, FDK_MINUS1, FDK_MINUS2, FDK_INT_MIN, FDK_HUGE,
		FDK_CLOSED, FDK_CLOSED, FDK_PIPE, FDK_FILE, FDK_NULL,
		FDK_DEVICE, FDK_GROUP, FDK_CONTAINER,
	};
	enum fd_kind kind = good;

	if (chance(r, 50))
		kind = others[rnd(r, ARRAY_SIZE(others))];
	return fd_of(d, r, kind);
}

static bool fd_in(int fd, const int *pool)
{
	int i;

	for (i = 0; i < EFDS; i++)
		if (pool[i] == fd)
			return true;
	return false;
}

static int count_open_fds(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void fds_close(struct fuzz_dev *d)
{
	int i;

	for (i = 0; i < EFDS; i++) {
		close_fd(&d->irq_efd[i]);
		close_fd(&d->quiet_efd[i]);
		close_fd(&d->live_efd[i]);
	}
	close_fd(&d->pipe_fd[0]);
	close_fd(&d->pipe_fd[1]);
	close_fd(&d->file_fd);
	close_fd(&d->null_fd);
}

static int fds_open(struct fuzz_dev *d)
{
	int i;

	for (i = 0; i < EFDS; i++) {
		d->irq_efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		d->quiet_efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		d->live_efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->irq_efd[i] < 0 || d->quiet_efd[i] < 0 || d->live_efd[i] < 0)
			return -errno;
	}
	if (pipe2(d->pipe_fd, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	d->file_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	d->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (d->file_fd < 0 || d->null_fd < 0)
		return -errno;
	return 0;
}

/* A number no file is open on, for this call: the lowest free one. */
static void make_closed_fd(struct fuzz_dev *d)
{
	d->closed_fd = dup(d->null_fd);
	if (d->closed_fd >= 0)
		close(d->closed_fd);
	else
		d->closed_fd = 1000000;
}

/* The reference oopses on IOEVENTFD offsets with bit 63 set: see fixed_ioeventfds(). */
static bool reference_oopses_on(uint64_t ioeventfd_offset)
{
	return (int64_t)ioeventfd_offset < 0 &&
	       vfio_test_driver() == VFIO_TEST_DRIVER_REFERENCE;
}

/* ---- Putting the device back in a known state, and checking it works -------- */

static int feature_set(struct fuzz_dev *d, uint32_t feature)
{
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return vfio_ioctl(d->dev.fd, VFIO_DEVICE_FEATURE, &feat);
}

/* Interrupts off, low power left; what is not on answers an error. */
static void quiesce(struct fuzz_dev *d)
{
	int32_t none = -1;
	uint32_t i;

	feature_set(d, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);
	d->low_power_left = -1;
	for (i = VFIO_PCI_INTX_IRQ_INDEX; i <= VFIO_PCI_MSIX_IRQ_INDEX; i++)
		irq_disable(d->dev.fd, i);
	irq_set_eventfds(d->dev.fd, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &none);
	irq_set_eventfds(d->dev.fd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &none);
}

static bool is_edu(const struct fuzz_dev *d)
{
	return d->f->vendor == EDU_VENDOR && d->f->device == EDU_DEVICE;
}

/* After a batch: undo interrupts and low power, then the device must answer. */
static void check_works(struct fuzz_dev *d, const char *when)
{
	struct vfio_device_info info;
	uint32_t ids = 0, hw = 0, id = 0;
	int ret;

	d->st.checks++;
	quiesce(d);
	ret = vfio_device_get_info(d->dev.fd, &info);
	if (ret)
		report(d, "%s: GET_INFO gave %s", when, tap_errno_name(-ret));
	else if (info.num_regions != d->info.num_regions ||
		 info.num_irqs != d->info.num_irqs ||
		 info.flags != d->info.flags)
		report(d, "%s: GET_INFO says flags 0x%x, %u regions, %u irqs; at open 0x%x, %u, %u",
		       when, info.flags, info.num_regions, info.num_irqs,
		       d->info.flags, d->info.num_regions, d->info.num_irqs);
	ret = vfio_config_read32(&d->dev, PCI_VENDOR_ID, &ids);
	if (ret || ids != d->ids)
		report(d, "%s: IDs through the config region 0x%08x (%s), sysfs says 0x%08x",
		       when, ids, tap_errno_name(-ret), d->ids);
	ret = pci_config_sysfs_read32(d->f->bdf, PCI_VENDOR_ID, &hw);
	if (ret || hw != d->ids)
		report(d, "%s: IDs in the hardware (sysfs config) 0x%08x (%s), expected 0x%08x",
		       when, hw, tap_errno_name(-ret), d->ids);
	if (is_edu(d)) {
		ret = vfio_bar_read32(&d->dev, 0, EDU_REG_ID, &id);
		if (ret || id != EDU_ID_VALUE)
			report(d, "%s: edu ID register 0x%08x (%s), expected 0x%08x",
			       when, id, tap_errno_name(-ret), EDU_ID_VALUE);
	}
}

/* ---- ioctls: the common part ------------------------------------------------------ */

enum arg_place { ARG_ARENA, ARG_UNMAPPED, ARG_STRADDLE, ARG_NULL };

/*
 * Runs ioctl @cmd with its argument, @len bytes built at the start of the
 * arena.  Mostly it is passed there; sometimes it is an unmapped page, a
 * header that runs into one, or NULL (EFAULT cases).  In the arena, the
 * bytes after the built part up to argsz and a guard window after that
 * hold a pattern; afterwards nothing from argsz on may have changed, nor
 * anything at all when @output is false.  Returns 0/positive or -errno,
 * and whether the argument was in the arena.
 */
static long run_ioctl(struct fuzz_dev *d, struct rng *r, enum op op,
		      unsigned long cmd, size_t len, uint32_t argsz, bool output,
		      int extra, const char *desc, bool *in_arena)
{
	enum arg_place place = ARG_ARENA;
	size_t snap_len, from, i, k;
	uint8_t fill = 0xa5 ^ (uint8_t)rnd(r, 256);
	void *arg = arena;
	long ret;

	switch (d->sane ? 3 : rnd(r, 40)) {
	case 0:
		place = ARG_UNMAPPED;
		arg = unmapped;
		break;
	case 1:
		if (len > 1) {
			place = ARG_STRADDLE;
			k = 1 + rnd(r, len < 16 ? len - 1 : 15);
			memmove(unmapped - k, arena, k);
			arg = unmapped - k;
		}
		break;
	case 2:
		place = ARG_NULL;
		arg = NULL;
		break;
	}

	snap_len = len > argsz ? len : argsz;
	snap_len = snap_len > SNAP_MAX - GUARD_WINDOW ? SNAP_MAX : snap_len + GUARD_WINDOW;
	if (place == ARG_ARENA) {
		if (snap_len > len)
			memset(arena + len, fill, snap_len - len);
		memcpy(snap, arena, snap_len);
	}

	ret = ioctl(d->dev.fd, cmd, arg);
	if (ret < 0)
		ret = -errno;
	count_result(d, op, ret, extra, desc);
	*in_arena = place == ARG_ARENA;
	if (ret > 0)
		report(d, "%s: returned %ld, expected 0 or -1", desc, ret);
	if (place != ARG_ARENA)
		return ret;

	from = output ? (argsz < snap_len ? argsz : snap_len) : 0;
	for (i = from; i < snap_len; i++)
		if (arena[i] != snap[i])
			break;
	if (i < snap_len)
		report(d, "%s (%s): byte %zu of the argument changed from 0x%02x to 0x%02x; %s",
		       desc, ret < 0 ? tap_errno_name(-ret) : "ok", i, snap[i],
		       arena[i], output ? "it is past argsz" :
		       "the call only takes data in");
	return ret;
}

/* argsz: the boundaries around @minsz and @natural, a page, huge ones. */
static uint32_t pick_argsz(struct rng *r, uint32_t minsz, uint32_t natural)
{
	switch (rnd(r, 16)) {
	case 0:
		return 0;
	case 1:
		return minsz - 1;
	case 2:
		return minsz;
	case 3:
		return minsz + 1;
	case 4:
		return natural - 1;
	case 5:
		return natural + 1 + rnd(r, 64);
	case 6:
		return PAGE;
	case 7:
		return 1 + rnd(r, 65536);
	case 8:
		return 1u << (20 + rnd(r, 12));		/* past the arena, often */
	case 9:
		return UINT32_MAX;
	case 10:
		return (uint32_t)rnd64(r);
	default:
		return natural;
	}
}

/* The argsz of this call: exactly @natural when it is well formed. */
static uint32_t call_argsz(struct fuzz_dev *d, struct rng *r, uint32_t minsz,
			   uint32_t natural)
{
	return d->sane ? natural : pick_argsz(r, minsz, natural);
}

/* A flags word the call defines none of: zero, or anything. */
static uint32_t pick_flags_word(struct fuzz_dev *d, struct rng *r)
{
	return d->sane || chance(r, 70) ? 0 : (uint32_t)rnd64(r);
}

static uint32_t pick_index(struct rng *r, uint32_t n)
{
	switch (rnd(r, 12)) {
	case 0:
		return n;
	case 1:
		return n + 1 + rnd(r, 16);
	case 2:
		return UINT32_MAX;
	case 3:
		return (uint32_t)rnd64(r);
	case 4:
		return VFIO_PCI_NUM_REGIONS;
	default:
		return rnd(r, n ? n : 1);
	}
}

/* ---- ioctls: one each --------------------------------------------------------------- */

static int count_caps(const struct vfio_info_cap_header *cap, void *arg)
{
	(void)cap;
	(void)arg;
	return 0;
}

/* Capabilities after @fixed bytes of an info answer that asked for @argsz. */
static void check_caps(struct fuzz_dev *d, const char *desc, uint32_t argsz,
		       uint32_t out_argsz, uint32_t cap_offset, size_t fixed)
{
	uint32_t room = argsz < ARENA_SIZE ? argsz : ARENA_SIZE;

	if (!cap_offset) {
		if (out_argsz <= argsz)
			report(d, "%s: CAPS flag with no capability, but argsz %u was not raised (now %u)",
			       desc, argsz, out_argsz);
		return;
	}
	if (vfio_info_cap_walk(arena, room, fixed, cap_offset, count_caps, NULL) <= 0)
		report(d, "%s: capability chain from offset %u does not fit argsz %u",
		       desc, cap_offset, argsz);
}

static void op_get_info(struct fuzz_dev *d, struct rng *r)
{
	const uint32_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	const uint32_t known = VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI |
			       VFIO_DEVICE_FLAGS_CAPS;
	struct vfio_device_info *in = (void *)arena, out;
	uint32_t argsz, cap_in;
	char desc[160];
	bool in_arena;
	long ret;

	in->argsz = argsz = call_argsz(d, r, minsz, sizeof(*in));
	in->flags = pick_flags_word(d, r);
	in->num_regions = (uint32_t)rnd64(r);
	in->num_irqs = (uint32_t)rnd64(r);
	in->cap_offset = cap_in = pick_flags_word(d, r);
	snprintf(desc, sizeof(desc), "GET_INFO argsz %u", argsz);
	ret = run_ioctl(d, r, OP_GET_INFO, VFIO_DEVICE_GET_INFO, sizeof(*in),
			argsz, true, 0, desc, &in_arena);
	if (ret || !in_arena)
		return;
	if (argsz < minsz) {
		report(d, "%s: succeeded below the %u bytes of its fields", desc, minsz);
		return;
	}
	memcpy(&out, arena, sizeof(out));
	if (!(out.flags & VFIO_DEVICE_FLAGS_PCI) || (out.flags & ~known) ||
	    (out.flags & VFIO_DEVICE_FLAGS_RESET) != (d->info.flags & VFIO_DEVICE_FLAGS_RESET))
		report(d, "%s: flags 0x%x (at open 0x%x)", desc, out.flags, d->info.flags);
	if (out.num_regions != d->info.num_regions || out.num_irqs != d->info.num_irqs)
		report(d, "%s: %u regions, %u irqs; at open %u, %u", desc,
		       out.num_regions, out.num_irqs, d->info.num_regions,
		       d->info.num_irqs);
	if (!(out.flags & VFIO_DEVICE_FLAGS_CAPS)) {
		if (out.argsz != argsz)
			report(d, "%s: argsz changed to %u without capabilities", desc, out.argsz);
		/* Zero, or left as it was: anything else came from the kernel's stack. */
		if (argsz >= sizeof(out) && out.cap_offset && out.cap_offset != cap_in)
			report(d, "%s: cap_offset %u without CAPS (passed in %u)",
			       desc, out.cap_offset, cap_in);
	} else if (argsz >= sizeof(out)) {
		check_caps(d, desc, argsz, out.argsz, out.cap_offset, sizeof(out));
	}
}

static void op_region_info(struct fuzz_dev *d, struct rng *r)
{
	const uint32_t minsz = offsetofend(struct vfio_region_info, offset);
	const uint32_t known = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			       VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS;
	struct vfio_region_info *in = (void *)arena, out;
	const struct region_view *v;
	uint32_t argsz, index, natural = sizeof(*in);
	char desc[160];
	bool in_arena;
	long ret;

	index = d->sane ? rnd(r, d->num_regions) : pick_index(r, d->num_regions);
	if (region_known(d, index) && d->regions[index].caps_argsz)
		natural = d->regions[index].caps_argsz;
	in->argsz = argsz = call_argsz(d, r, minsz, natural);
	in->flags = pick_flags_word(d, r);
	in->index = index;
	in->cap_offset = pick_flags_word(d, r);
	in->size = rnd64(r);
	in->offset = rnd64(r);
	snprintf(desc, sizeof(desc), "GET_REGION_INFO argsz %u index %u", argsz, index);
	ret = run_ioctl(d, r, OP_REGION_INFO, VFIO_DEVICE_GET_REGION_INFO,
			sizeof(*in), argsz, true, 0, desc, &in_arena);
	if (ret || !in_arena)
		return;
	if (argsz < minsz) {
		report(d, "%s: succeeded below the %u bytes of its fields", desc, minsz);
		return;
	}
	if (index >= d->num_regions) {
		report(d, "%s: succeeded for an index past the %u regions", desc,
		       d->num_regions);
		return;
	}
	if (index >= MAX_REGIONS)
		return;
	v = &d->regions[index];
	if (v->ret) {
		report(d, "%s: succeeded, but gave %s at open", desc, tap_errno_name(-v->ret));
		return;
	}
	memcpy(&out, arena, sizeof(out));
	if (out.index != index || out.size != v->info.size ||
	    out.offset != v->info.offset || out.flags != v->info.flags ||
	    (out.flags & ~known))
		report(d, "%s: index %u size 0x%llx offset 0x%llx flags 0x%x; at open size 0x%llx offset 0x%llx flags 0x%x",
		       desc, out.index, (unsigned long long)out.size,
		       (unsigned long long)out.offset, out.flags,
		       (unsigned long long)v->info.size,
		       (unsigned long long)v->info.offset, v->info.flags);
	if (out.flags & VFIO_REGION_INFO_FLAG_CAPS)
		check_caps(d, desc, argsz, out.argsz, out.cap_offset, sizeof(out));
	else if (out.argsz != argsz)
		report(d, "%s: argsz changed to %u without capabilities", desc, out.argsz);
}

static void op_irq_info(struct fuzz_dev *d, struct rng *r)
{
	const uint32_t minsz = offsetofend(struct vfio_irq_info, count);
	const uint32_t known = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			       VFIO_IRQ_INFO_AUTOMASKED | VFIO_IRQ_INFO_NORESIZE;
	struct vfio_irq_info *in = (void *)arena, out;
	uint32_t argsz, index;
	char desc[160];
	bool in_arena;
	long ret;

	index = d->sane ? rnd(r, VFIO_PCI_NUM_IRQS) : pick_index(r, VFIO_PCI_NUM_IRQS);
	in->argsz = argsz = call_argsz(d, r, minsz, sizeof(*in));
	in->flags = pick_flags_word(d, r);
	in->index = index;
	in->count = (uint32_t)rnd64(r);
	snprintf(desc, sizeof(desc), "GET_IRQ_INFO argsz %u index %u", argsz, index);
	ret = run_ioctl(d, r, OP_IRQ_INFO, VFIO_DEVICE_GET_IRQ_INFO, sizeof(*in),
			argsz, true, 0, desc, &in_arena);
	if (ret || !in_arena)
		return;
	if (argsz < minsz) {
		report(d, "%s: succeeded below the %u bytes of its fields", desc, minsz);
		return;
	}
	if (index >= d->info.num_irqs || index >= VFIO_PCI_NUM_IRQS) {
		report(d, "%s: succeeded for an index past the %u irq indexes", desc,
		       d->info.num_irqs);
		return;
	}
	if (d->irqs[index].ret) {
		report(d, "%s: succeeded, but gave %s at open", desc,
		       tap_errno_name(-d->irqs[index].ret));
		return;
	}
	memcpy(&out, arena, sizeof(out));
	if (out.index != index || out.count != d->irqs[index].info.count ||
	    out.flags != d->irqs[index].info.flags || (out.flags & ~known))
		report(d, "%s: index %u count %u flags 0x%x; at open count %u flags 0x%x",
		       desc, out.index, out.count, out.flags,
		       d->irqs[index].info.count, d->irqs[index].info.flags);
}

static uint32_t pick_irq_flags(struct rng *r)
{
	static const uint32_t data[] = {
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
		VFIO_IRQ_SET_DATA_EVENTFD,
	};
	static const uint32_t action[] = {
		VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
		VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_TRIGGER,
	};
	uint32_t d1 = data[rnd(r, 3)], a1 = action[rnd(r, 4)];

	switch (rnd(r, 12)) {
	case 0:
		return 0;
	case 1:
		return (uint32_t)rnd64(r);
	case 2:
		return d1 | data[rnd(r, 3)] | a1;
	case 3:
		return d1 | a1 | action[rnd(r, 4)];
	case 4:
		return d1 | a1 | 1u << (6 + rnd(r, 26));
	case 5:
		return d1;
	default:
		return d1 | a1;
	}
}

static uint32_t pick_start(struct rng *r, uint32_t max)
{
	switch (rnd(r, 12)) {
	case 0:
		return 1;
	case 1:
		return max ? max - 1 : 0;
	case 2:
		return max;
	case 3:
		return max + 1;
	case 4:
	case 5:
		return rnd(r, max + 1);
	case 6:
		return 0x80000000u;
	case 7:
		return UINT32_MAX;
	default:
		return 0;
	}
}

static uint32_t pick_count(struct rng *r, uint32_t max, uint32_t start)
{
	switch (rnd(r, 14)) {
	case 0:
		return 0;
	case 1:
		return max;
	case 2:
		return max + 1;
	case 3:
		return max > start ? max - start : 0;
	case 4:
		return rnd(r, max + 2);
	case 5:
		return UINT32_MAX;
	case 6:
		return UINT32_MAX - start + 1;	/* start + count wraps to 0 */
	case 7:
		return 0x40000000u;
	default:
		return 1;
	}
}

/* A request the uAPI allows, on an index the device has vectors on. */
static void sane_irq_set(struct fuzz_dev *d, struct rng *r, uint32_t *index,
			 uint32_t *max, uint32_t *flags, uint32_t *start,
			 uint32_t *count)
{
	static const uint32_t data[] = {
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
		VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_EVENTFD,
	};
	uint32_t action = VFIO_IRQ_SET_ACTION_TRIGGER;
	unsigned int tries;

	*max = 0;
	for (tries = 0; tries < 8 && !*max; tries++) {
		*index = rnd(r, VFIO_PCI_NUM_IRQS);
		if (!d->irqs[*index].ret)
			*max = d->irqs[*index].info.count;
	}
	if (!*max) {
		*index = VFIO_PCI_REQ_IRQ_INDEX;
		*max = 1;
	}
	if (*index == VFIO_PCI_INTX_IRQ_INDEX && chance(r, 40))
		action = chance(r, 50) ? VFIO_IRQ_SET_ACTION_MASK : VFIO_IRQ_SET_ACTION_UNMASK;
	*flags = data[rnd(r, ARRAY_SIZE(data))] | action;
	if (*flags == (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER) &&
	    chance(r, 30)) {
		*start = *count = 0;	/* disable the index */
		return;
	}
	*start = rnd(r, *max);
	*count = 1 + rnd(r, *max - *start);
}

static void op_set_irqs(struct fuzz_dev *d, struct rng *r)
{
	const uint32_t minsz = offsetofend(struct vfio_irq_set, count);
	const size_t room = SNAP_MAX - GUARD_WINDOW - sizeof(struct vfio_irq_set);
	struct vfio_irq_set *in = (void *)arena;
	uint32_t index, max = 0, flags, start, count, argsz, i, entries = 0;
	uint32_t data_type, elem = 0;
	char desc[256], fds[64] = "";
	int32_t *fdv = (int32_t *)in->data;
	bool in_arena, one_kind;
	enum fd_kind kind;

	index = chance(r, 85) ? rnd(r, VFIO_PCI_NUM_IRQS) : pick_index(r, VFIO_PCI_NUM_IRQS);
	if (index < VFIO_PCI_NUM_IRQS && !d->irqs[index].ret)
		max = d->irqs[index].info.count;
	flags = pick_irq_flags(r);
	start = pick_start(r, max);
	count = pick_count(r, max, start);
	if (d->sane)
		sane_irq_set(d, r, &index, &max, &flags, &start, &count);

	/* Data as the uAPI sizes it, when exactly one data type is given. */
	data_type = flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	if (data_type == VFIO_IRQ_SET_DATA_BOOL)
		elem = 1;
	else if (data_type == VFIO_IRQ_SET_DATA_EVENTFD)
		elem = sizeof(int32_t);
	if (elem)
		entries = count < room / elem ? count : room / elem;
	if (elem == 1) {
		for (i = 0; i < entries; i++)
			in->data[i] = d->sane || chance(r, 80) ? (uint8_t)rnd(r, 2) :
				      (uint8_t)rnd64(r);
	} else if (elem) {
		one_kind = chance(r, 50);
		for (i = 0; i < entries; i++) {
			kind = FDK_IRQ;
			if (one_kind && i)
				fdv[i] = fdv[0];
			else if (d->sane)
				fdv[i] = chance(r, 85) ? fd_of(d, r, kind) : -1;
			else
				fdv[i] = pick_fd(d, r, kind);
		}
		for (i = 0; i < entries && i < 4; i++)
			snprintf(fds + strlen(fds), sizeof(fds) - strlen(fds),
				 "%s%d", i ? "," : " fds ", fdv[i]);
	}
	in->argsz = argsz = call_argsz(d, r, minsz, minsz + entries * elem);
	in->flags = flags;
	in->index = index;
	in->start = start;
	in->count = count;
	snprintf(desc, sizeof(desc),
		 "SET_IRQS argsz %u flags 0x%x index %u start %u count %u%s%s",
		 argsz, flags, index, start, count, fds, entries > 4 ? ",..." : "");
	run_ioctl(d, r, OP_SET_IRQS, VFIO_DEVICE_SET_IRQS, minsz + entries * elem,
		  argsz, false, 0, desc, &in_arena);
}

static void op_unknown(struct fuzz_dev *d, struct rng *r);

static void op_reset(struct fuzz_dev *d, struct rng *r)
{
	bool in_arena;
	long ret;

	/* Each one reaches the hardware, whatever its argument. */
	if (!d->resets_left) {
		op_unknown(d, r);
		return;
	}
	d->resets_left--;
	memset(arena, (int)rnd(r, 256), 64);
	ret = run_ioctl(d, r, OP_RESET, VFIO_DEVICE_RESET, 64, 64, false, 0,
			"RESET", &in_arena);
	if (!ret) {
		d->st.resets++;
		if (!(d->info.flags & VFIO_DEVICE_FLAGS_RESET))
			report(d, "RESET succeeded, but GET_INFO has no RESET flag");
	}
}

static void op_hot_reset_info(struct fuzz_dev *d, struct rng *r)
{
	const uint32_t minsz = offsetofend(struct vfio_pci_hot_reset_info, count);
	const size_t entry = sizeof(struct vfio_pci_dependent_device);
	struct vfio_pci_hot_reset_info *in = (void *)arena, out;
	uint32_t argsz, n = d->hot_reset_count > 0 ? d->hot_reset_count : 1, i;
	const struct vfio_pci_dependent_device *dev;
	/* Over the cdev (VFIO_TEST_CDEV) the devices come with devids. */
	const char *id_name = d->dev.cdev ? "devid" : "group";
	uint32_t id = d->dev.cdev ? d->dev.devid : (uint32_t)d->dev.group;
	char desc[160];
	bool in_arena, self = false;
	long ret;

	in->argsz = argsz = call_argsz(d, r, minsz, minsz + n * entry);
	in->flags = pick_flags_word(d, r);
	in->count = chance(r, 50) ? 0 : (uint32_t)rnd64(r);
	snprintf(desc, sizeof(desc), "GET_PCI_HOT_RESET_INFO argsz %u", argsz);
	ret = run_ioctl(d, r, OP_HOT_RESET_INFO, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
			sizeof(*in), argsz, true, 0, desc, &in_arena);
	if (!in_arena || (ret && ret != -ENOSPC))
		return;
	if (argsz < minsz) {
		report(d, "%s: %s below the %u bytes of its header", desc,
		       ret ? "ENOSPC" : "succeeded", minsz);
		return;
	}
	memcpy(&out, arena, sizeof(out));
	if (d->hot_reset_count < 0) {
		report(d, "%s: %s, but %s at open", desc, ret ? "ENOSPC" : "succeeded",
		       tap_errno_name(-d->hot_reset_count));
		return;
	}
	if (out.count != (uint32_t)d->hot_reset_count)
		report(d, "%s: count %u, at open %d", desc, out.count, d->hot_reset_count);
	if (ret) {
		if (minsz + (uint64_t)out.count * entry <= argsz)
			report(d, "%s: ENOSPC, though %u devices fit", desc, out.count);
		return;
	}
	if (minsz + (uint64_t)out.count * entry > argsz) {
		report(d, "%s: %u devices do not fit", desc, out.count);
		return;
	}
	if (!!(out.flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID) != d->dev.cdev) {
		report(d, "%s: flags 0x%x, though the device's ids are %ss", desc,
		       out.flags, id_name);
		return;
	}
	/* group_id and devid share their 32 bits. */
	for (i = 0; i < out.count; i++) {
		dev = (const void *)(arena + minsz + i * entry);
		if (dev->segment == d->segment && dev->bus == d->bus &&
		    dev->devfn == d->devfn)
			self = vfio_dependent_devid(dev) == id;
	}
	if (!self)
		report(d, "%s: the device itself (%s %u) is not among the %u listed",
		       desc, id_name, id, out.count);
}

static void op_hot_reset(struct fuzz_dev *d, struct rng *r)
{
	const uint32_t minsz = offsetofend(struct vfio_pci_hot_reset, count);
	struct vfio_pci_hot_reset *in = (void *)arena;
	uint32_t affected = d->hot_reset_count > 0 ? d->hot_reset_count : 1;
	uint32_t count, entries, argsz, flags, i;
	char desc[200], fds[64] = "";
	bool in_arena, all_groups = true;
	long ret;

	switch (d->sane ? 9 : rnd(r, 10)) {
	case 0:
		count = 0;
		break;
	case 1:
		count = affected;
		break;
	case 2:
		count = affected + 1;
		break;
	case 3:
		count = 2 + rnd(r, 8);
		break;
	case 4:
		count = chance(r, 50) ? UINT32_MAX : 0x40000000u;
		break;
	default:
		count = 1;
	}
	/* Over the cdev the real form is the empty array. */
	if (d->sane)
		count = d->dev.cdev ? 0 : 1 + rnd(r, affected);
	entries = count < 1024 ? count : 1024;
	for (i = 0; i < entries; i++) {
		in->group_fds[i] = d->sane ? d->dev.group_fd : pick_fd(d, r, FDK_GROUP);
		all_groups &= in->group_fds[i] == d->dev.group_fd;
	}
	flags = d->sane || chance(r, 85) ? 0 : (uint32_t)rnd64(r);

	/*
	 * Only our group's fds (over the cdev: no fds at all) can make it
	 * real; those are rationed, and past the ration the call gets one
	 * fd of -1 instead.
	 */
	if (d->hot_reset_count > 0 && !flags &&
	    (d->dev.cdev ? !count : count && entries == count && all_groups)) {
		if (d->hot_resets_left) {
			d->hot_resets_left--;
		} else {
			if (!count)
				count = entries = 1;
			in->group_fds[0] = -1;
		}
	}
	argsz = call_argsz(d, r, minsz, minsz + entries * sizeof(int32_t));
	for (i = 0; i < entries && i < 4; i++)
		snprintf(fds + strlen(fds), sizeof(fds) - strlen(fds), "%s%d",
			 i ? "," : " fds ", in->group_fds[i]);
	in->argsz = argsz;
	in->flags = flags;
	in->count = count;
	snprintf(desc, sizeof(desc), "PCI_HOT_RESET argsz %u flags 0x%x count %u%s%s",
		 argsz, flags, count, fds, entries > 4 ? ",..." : "");
	ret = run_ioctl(d, r, OP_HOT_RESET, VFIO_DEVICE_PCI_HOT_RESET,
			minsz + entries * sizeof(int32_t), argsz, false, 0, desc,
			&in_arena);
	if (!ret)
		d->st.hot_resets++;
}

/* An offset into a region of @size: its ends, around them, and far off. */
static uint64_t pick_offset(struct rng *r, uint64_t size)
{
	uint64_t last = size ? size - 1 : 0;

	switch (rnd(r, 18)) {
	case 0:
		return 1 + rnd(r, 3);
	case 1:
	case 2:
		return size ? rnd64(r) % size : 0;
	case 3:
		return size ? (rnd64(r) % size) & ~3ULL : 0;
	case 4:
		return size ? (rnd64(r) % size) & ~7ULL : 0;
	case 5:
		return last;
	case 6:
		return size >= 2 ? size - 2 : 0;
	case 7:
		return size >= 4 ? size - 4 : 0;
	case 8:
		return size >= 8 ? size - 8 : 0;
	case 9:
	case 10:
		return size;
	case 11:
		return size + 1;
	case 12:
		return size + rnd(r, PAGE);
	case 13:
		return REGION_MASK;
	case 14:
		return rnd64(r) & REGION_MASK;
	default:
		return 0;
	}
}

static uint32_t pick_region(struct fuzz_dev *d, struct rng *r)
{
	switch (rnd(r, 16)) {
	case 0:
		return d->num_regions;
	case 1:
		return d->num_regions + 1 + rnd(r, 8);
	case 2:
		return rnd(r, 1u << 24);	/* an index no file offset reaches */
	default:
		return rnd(r, d->num_regions);
	}
}

/* A register of a BAR the device has, aligned; a few of them more often. */
static void sane_ioeventfd(struct fuzz_dev *d, struct rng *r, uint32_t *width,
			   uint32_t *index, uint64_t *off)
{
	unsigned int tries;
	uint64_t size = 0;

	*width = 1u << rnd(r, 4);
	for (tries = 0; tries < 8 && size < *width; tries++) {
		*index = rnd(r, VFIO_PCI_BAR5_REGION_INDEX + 1);
		size = region_size(d, *index);
	}
	if (size < *width) {
		*off = 0;
		return;
	}
	*off = chance(r, 50) ? rnd(r, 4) : rnd64(r) % (size / *width);
	*off *= *width;
	if (*off + *width > size)
		*off = 0;
}

static void op_ioeventfd(struct fuzz_dev *d, struct rng *r)
{
	const uint32_t minsz = offsetofend(struct vfio_device_ioeventfd, fd);
	struct vfio_device_ioeventfd *in = (void *)arena;
	uint32_t flags, argsz, width = 0, index;
	uint64_t pos, off;
	enum fd_kind good = FDK_QUIET;
	char desc[200];
	bool in_arena;
	int fd;
	long ret;

	switch (rnd(r, 10)) {
	case 0:
		flags = 0;
		break;
	case 1:
		flags = VFIO_DEVICE_IOEVENTFD_8 | VFIO_DEVICE_IOEVENTFD_32;
		break;
	case 2:
		flags = (uint32_t)rnd64(r);
		break;
	case 3:
		flags = VFIO_DEVICE_IOEVENTFD_32 | 1u << (4 + rnd(r, 28));
		break;
	default:
		width = 1u << rnd(r, 4);
		flags = vfio_ioeventfd_size_flag(width);
	}
	index = chance(r, 75) ? rnd(r, VFIO_PCI_BAR5_REGION_INDEX + 1) : pick_region(d, r);
	off = pick_offset(r, region_size(d, index));
	if (width && chance(r, 60))
		off &= ~(uint64_t)(width - 1);
	pos = chance(r, 5) ? rnd64(r) : region_base(d, index) + off;
	if (d->sane) {
		sane_ioeventfd(d, r, &width, &index, &off);
		flags = vfio_ioeventfd_size_flag(width);
		pos = region_base(d, index) + off;
	}
	if (reference_oopses_on(pos)) {
		d->st.left_out++;
		pos &= ~(1ULL << 63);
	}

	/* Signalled only when it can only write where writing is harmless. */
	if (width && index <= VFIO_PCI_BAR5_REGION_INDEX && pos == region_base(d, index) + off &&
	    off + width <= region_size(d, index) && write_allowed(d, pos, width))
		good = FDK_LIVE;
	if (d->sane)
		fd = chance(r, 80) ? fd_of(d, r, good) : -1;
	else
		fd = pick_fd(d, r, good);

	in->argsz = argsz = call_argsz(d, r, minsz, sizeof(*in));
	in->flags = flags;
	in->offset = pos;
	/* Few values when well formed, so that duplicates and removals happen. */
	in->data = d->sane ? rnd(r, 3) : chance(r, 20) ? 0 : rnd64(r);
	in->fd = fd;
	snprintf(desc, sizeof(desc), "IOEVENTFD argsz %u flags 0x%x offset 0x%llx data 0x%llx fd %d",
		 argsz, flags, (unsigned long long)pos,
		 (unsigned long long)in->data, fd);
	/* EEXIST: the same offset, data and size are registered already. */
	ret = run_ioctl(d, r, OP_IOEVENTFD, VFIO_DEVICE_IOEVENTFD, sizeof(*in),
			argsz, false, EEXIST, desc, &in_arena);
	if (!ret && good == FDK_LIVE && fd_in(fd, d->live_efd))
		eventfd_signal_once(fd);
}

/*
 * Offsets the first run of this fuzzer found every IOEVENTFD must refuse
 * (bit 63 set): both drivers took them as a negative BAR index and read
 * past pdev->resource[].  Ours is fixed; they are tried on every function,
 * whatever the seed.
 */
static const uint64_t ioeventfd_bad_offsets[] = {
	1ULL << 63, UINT64_MAX, 1ULL << 63 | 4, 0xffffff0000000000ULL,
	0x8000010000000000ULL,
};

/*
 * An 8-byte ioeventfd on a port BAR, signalled: ours wrote it with writeq()
 * to the port's iomap cookie and oopsed (found by this fuzzer on
 * pci-testdev).  Tried on each port BAR of a function whose BARs may be
 * written, on both drivers: ports take it as two 4-byte writes.
 */
static void fixed_port_ioeventfds(struct fuzz_dev *d)
{
	uint32_t bar;
	char desc[128];
	int ret;

	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX; bar++) {
		if (!d->bar_is_io[bar] || region_size(d, bar) < 8 ||
		    !write_allowed(d, region_base(d, bar), 8))
			continue;
		snprintf(desc, sizeof(desc), "IOEVENTFD of 8 bytes at the start of port BAR%u", bar);
		ret = vfio_ioeventfd(d->dev.fd, VFIO_DEVICE_IOEVENTFD_64,
				     region_base(d, bar), 0, d->live_efd[0]);
		count_result(d, OP_IOEVENTFD, ret, EEXIST, desc);
		if (ret)
			continue;
		eventfd_signal_once(d->live_efd[0]);
		ret = vfio_ioeventfd(d->dev.fd, VFIO_DEVICE_IOEVENTFD_64,
				     region_base(d, bar), 0, -1);
		count_result(d, OP_IOEVENTFD, ret, 0, "removing it");
		if (ret)
			report(d, "removing the 8-byte ioeventfd of BAR%u: %s", bar,
			       tap_errno_name(-ret));
	}
}

/*
 * One eventfd as INTx trigger and unmask eventfd, then a loopback trigger:
 * ours signalled the trigger under the lock the unmask wakeup takes and
 * locked up the CPU (found by this fuzzer on pci-testdev).
 */
static void fixed_intx_same_eventfd(struct fuzz_dev *d)
{
	const uint32_t intx = VFIO_PCI_INTX_IRQ_INDEX;
	int efd = d->irq_efd[0], ret;
	uint8_t one = 1;

	if (d->irqs[intx].ret || !d->irqs[intx].info.count)
		return;
	ret = irq_set_eventfd(d->dev.fd, intx, 0, efd);
	count_result(d, OP_SET_IRQS, ret, 0, "SET_IRQS INTx trigger eventfd");
	if (ret)
		return;
	ret = irq_unmask_eventfd(d->dev.fd, intx, efd);
	count_result(d, OP_SET_IRQS, ret, 0, "SET_IRQS INTx unmask on the trigger's eventfd");
	ret = irq_trigger_none(d->dev.fd, intx, 0, 1);
	count_result(d, OP_SET_IRQS, ret, 0, "SET_IRQS INTx loopback trigger (DATA_NONE)");
	ret = irq_trigger_bool(d->dev.fd, intx, 0, 1, &one);
	count_result(d, OP_SET_IRQS, ret, 0, "SET_IRQS INTx loopback trigger (DATA_BOOL)");
	ret = irq_unmask(d->dev.fd, intx);
	count_result(d, OP_SET_IRQS, ret, 0, "SET_IRQS INTx unmask");
	ret = irq_disable(d->dev.fd, intx);
	count_result(d, OP_SET_IRQS, ret, 0, "SET_IRQS INTx disable");
	if (ret)
		report(d, "disabling INTx after the loopback: %s", tap_errno_name(-ret));
	irq_eventfd_take(efd);
}

static void fixed_ioeventfds(struct fuzz_dev *d)
{
	char desc[128];
	size_t i;
	int ret;

	fixed_port_ioeventfds(d);
	if (vfio_test_driver() == VFIO_TEST_DRIVER_REFERENCE) {
		tap_diag("IOEVENTFD offsets with bit 63 left out: the reference oopses on them");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(ioeventfd_bad_offsets); i++) {
		snprintf(desc, sizeof(desc), "IOEVENTFD at offset 0x%llx",
			 (unsigned long long)ioeventfd_bad_offsets[i]);
		ret = vfio_ioeventfd(d->dev.fd, VFIO_DEVICE_IOEVENTFD_32,
				     ioeventfd_bad_offsets[i], 0, d->quiet_efd[0]);
		count_result(d, OP_IOEVENTFD, ret, EEXIST, desc);
		if (!ret)
			report(d, "%s: succeeded", desc);
	}
}

static uint32_t pick_feature_flags(struct rng *r, uint32_t feature)
{
	static const uint32_t ops[] = {
		VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_GET,
		VFIO_DEVICE_FEATURE_PROBE,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
		VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, 0,
	};
	uint32_t flags = feature | ops[rnd(r, ARRAY_SIZE(ops))];

	if (chance(r, 8))
		flags |= 1u << (19 + rnd(r, 13));
	return flags;
}

static void op_feature(struct fuzz_dev *d, struct rng *r)
{
	const uint32_t minsz = offsetofend(struct vfio_device_feature, flags);
	struct vfio_device_feature *in = (void *)arena;
	uint8_t *data = in->data;
	uint32_t feature, flags, argsz, len, i;
	uint64_t side = (uintptr_t)(chance(r, 90) ? arena + SIDE_OFFSET : unmapped);
	int32_t fd = 0;
	char desc[200];
	bool in_arena, setting;
	long ret;

	switch (rnd(r, 10)) {
	case 0:
		feature = FEATURE_LAST_KNOWN + 1 + rnd(r, VFIO_DEVICE_FEATURE_MASK - FEATURE_LAST_KNOWN);
		break;
	case 1:
	case 2:
		/* The ones vfio-pci itself has, more often. */
		feature = VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY + rnd(r, 3);
		break;
	default:
		feature = rnd(r, FEATURE_LAST_KNOWN + 1);
	}
	flags = pick_feature_flags(r, feature);
	if (d->sane) {
		static const uint32_t sane_features[] = {
			VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
			VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
			VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
			VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
			VFIO_DEVICE_FEATURE_MIGRATION,
			VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		};

		feature = sane_features[rnd(r, ARRAY_SIZE(sane_features))];
		flags = feature | (feature == VFIO_DEVICE_FEATURE_MIGRATION ||
				   feature == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE ?
				   VFIO_DEVICE_FEATURE_GET : VFIO_DEVICE_FEATURE_SET);
		if (chance(r, 20))
			flags |= VFIO_DEVICE_FEATURE_PROBE;
	}

	len = rnd(r, 64);
	for (i = 0; i < 64; i++)
		data[i] = (uint8_t)rnd64(r);
	switch (feature) {
	case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
		len = 16;
		break;
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
		len = 8;
		break;
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
		len = sizeof(struct vfio_device_feature_mig_state);
		((struct vfio_device_feature_mig_state *)data)->device_state = rnd(r, 10);
		fd = pick_fd(d, r, FDK_IRQ);
		((struct vfio_device_feature_mig_state *)data)->data_fd = fd;
		break;
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		len = sizeof(struct vfio_device_low_power_entry_with_wakeup);
		fd = d->sane ? fd_of(d, r, FDK_IRQ) : pick_fd(d, r, FDK_IRQ);
		((struct vfio_device_low_power_entry_with_wakeup *)data)->wakeup_eventfd = fd;
		((struct vfio_device_low_power_entry_with_wakeup *)data)->reserved =
			d->sane || chance(r, 80) ? 0 : (uint32_t)rnd64(r);
		break;
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
		len = sizeof(struct vfio_device_feature_dma_logging_control);
		((struct vfio_device_feature_dma_logging_control *)data)->page_size =
			chance(r, 50) ? PAGE : rnd64(r);
		((struct vfio_device_feature_dma_logging_control *)data)->num_ranges = rnd(r, 5);
		((struct vfio_device_feature_dma_logging_control *)data)->ranges = side;
		break;
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		len = sizeof(struct vfio_device_feature_dma_logging_report);
		((struct vfio_device_feature_dma_logging_report *)data)->page_size = PAGE;
		((struct vfio_device_feature_dma_logging_report *)data)->bitmap = side;
		break;
	case VFIO_DEVICE_FEATURE_BUS_MASTER:
		len = 4;
		*(uint32_t *)data = chance(r, 80) ? rnd(r, 2) : (uint32_t)rnd64(r);
		break;
	}
	in->argsz = argsz = call_argsz(d, r, minsz, minsz + len);
	in->flags = flags;
	snprintf(desc, sizeof(desc), "FEATURE argsz %u flags 0x%x (feature %u) fd %d",
		 argsz, flags, feature, fd);
	ret = run_ioctl(d, r, OP_FEATURE, VFIO_DEVICE_FEATURE, minsz + 64, argsz,
			flags & VFIO_DEVICE_FEATURE_GET, 0, desc, &in_arena);
	if (ret)
		return;
	setting = (flags & (VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE)) ==
		  VFIO_DEVICE_FEATURE_SET;
	if (setting && (feature == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY ||
			feature == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP))
		d->low_power_left = 1 + rnd(r, 4);
	else if (setting && feature == VFIO_DEVICE_FEATURE_LOW_POWER_EXIT)
		d->low_power_left = -1;
}

static bool known_device_ioctl(unsigned long cmd)
{
	static const unsigned long known[] = {
		VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO,
		VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET,
		VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, VFIO_DEVICE_PCI_HOT_RESET,
		VFIO_DEVICE_IOEVENTFD, VFIO_DEVICE_FEATURE,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (known[i] == cmd)
			return true;
	return false;
}

/* A number in VFIO's range that no device ioctl has: it must fail. */
static void op_unknown(struct fuzz_dev *d, struct rng *r)
{
	unsigned long cmd;
	char desc[80];
	bool in_arena;
	long ret;
	uint32_t i;

	do {
		switch (rnd(r, 4)) {
		case 0:	/* container, group, GFX, iommufd and migration numbers */
			cmd = _IO(VFIO_TYPE, VFIO_BASE + rnd(r, 40));
			break;
		case 1:	/* a device ioctl's number with a direction and size */
			cmd = _IOC(1 + rnd(r, 3), VFIO_TYPE, VFIO_BASE + 7 + rnd(r, 11),
				   1 + rnd(r, _IOC_SIZEMASK));
			break;
		case 2:
			cmd = _IOC(rnd(r, 4), VFIO_TYPE, rnd(r, 256), rnd(r, _IOC_SIZEMASK + 1));
			break;
		default:
			cmd = _IO(VFIO_TYPE, rnd(r, 256));
		}
	} while (known_device_ioctl(cmd));
	for (i = 0; i < PAGE; i++)
		arena[i] = (uint8_t)rnd64(r);
	snprintf(desc, sizeof(desc), "ioctl 0x%lx (unknown)", cmd);
	ret = run_ioctl(d, r, OP_UNKNOWN, cmd, PAGE, PAGE, false, 0, desc, &in_arena);
	if (!ret)
		report(d, "%s: succeeded", desc);
}

static void force_low_power_exit(struct fuzz_dev *d)
{
	int ret = feature_set(d, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);

	count_result(d, OP_FEATURE, ret, 0, "FEATURE SET LOW_POWER_EXIT");
	d->low_power_left = -1;
}

static void one_ioctl(struct fuzz_dev *d, struct rng *r)
{
	unsigned int total = 0, pick;
	enum op op;

	for (op = 0; op <= OP_UNKNOWN; op++)
		total += ioctl_weight[op];
	pick = rnd(r, total);
	for (op = 0; pick >= ioctl_weight[op]; op++)
		pick -= ioctl_weight[op];
	/* Nothing may open a file between this and the call. */
	make_closed_fd(d);
	d->sane = chance(r, SANE_PERCENT);

	switch (op) {
	case OP_GET_INFO:
		op_get_info(d, r);
		break;
	case OP_REGION_INFO:
		op_region_info(d, r);
		break;
	case OP_IRQ_INFO:
		op_irq_info(d, r);
		break;
	case OP_SET_IRQS:
		op_set_irqs(d, r);
		break;
	case OP_RESET:
		op_reset(d, r);
		break;
	case OP_HOT_RESET_INFO:
		op_hot_reset_info(d, r);
		break;
	case OP_HOT_RESET:
		op_hot_reset(d, r);
		break;
	case OP_IOEVENTFD:
		op_ioeventfd(d, r);
		break;
	case OP_FEATURE:
		op_feature(d, r);
		break;
	default:
		op_unknown(d, r);
	}
	d->sane = false;
}

/* ---- read and write -------------------------------------------------------------- */

static size_t pick_len(struct rng *r)
{
	static const size_t lens[] = { 0, 1, 2, 3, 4, 7, 8, PAGE, ONE_MIB };

	switch (rnd(r, 14)) {
	case 0:
		return 1 + rnd(r, 64);
	case 1:
		return 1 + rnd(r, PAGE);
	default:
		return lens[rnd(r, ARRAY_SIZE(lens))];
	}
}

/* The device fd's file position, as /proc says. */
static long long file_pos(int fd)
{
	char path[64], line[128];
	long long pos = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "pos: %lld", &pos) == 1)
			break;
	fclose(f);
	return pos;
}

/*
 * In the mixed case, sometimes a buffer inside one of the device's own
 * live mappings: write() only reads it, read() writes the device's memory
 * through it, so only where that memory may be written.  @len shrinks to
 * what the mapping has.  NULL when there is none to use.
 */
static uint8_t *live_buffer(struct fuzz_dev *d, struct rng *r, bool is_write,
			    size_t *len)
{
	uint64_t at;
	unsigned int i;

	if (!d->nr_live)
		return NULL;
	i = rnd(r, d->nr_live);
	at = rnd64(r) % d->live[i].bytes;
	if (*len > d->live[i].bytes - at)
		*len = d->live[i].bytes - at;
	if (!is_write && !write_allowed(d, d->live[i].pos + at, *len))
		return NULL;
	return d->live[i].map + at;
}

/* Offsets where a region's inside changes: VGA windows, the MSI-X table. */
static uint64_t pick_edge(struct fuzz_dev *d, struct rng *r, uint32_t index,
			  uint64_t off)
{
	uint64_t edges[8];
	unsigned int n = 0, i;

	if (index == VFIO_PCI_VGA_REGION_INDEX) {
		i = rnd(r, ARRAY_SIZE(vga_windows));
		edges[n++] = vga_windows[i].start;
		edges[n++] = vga_windows[i].start - 1;
		edges[n++] = vga_windows[i].end;
		edges[n++] = vga_windows[i].end - 1;
	} else if (d->msix_size && index == (uint32_t)d->msix_bar) {
		edges[n++] = d->msix_offset;
		edges[n++] = d->msix_offset ? d->msix_offset - 1 : 0;
		edges[n++] = d->msix_offset + d->msix_size;
		edges[n++] = d->msix_offset + d->msix_size - 4;
	}
	if (index == (uint32_t)d->pba_bar && d->msix_size)
		edges[n++] = d->pba_offset;
	return n ? edges[rnd(r, n)] - rnd(r, 3) : off;
}

static void one_rw(struct fuzz_dev *d, struct rng *r)
{
	bool is_write = chance(r, 45), positional = chance(r, 75);
	uint32_t index = pick_region(d, r);
	uint64_t size = region_size(d, index), off = pick_offset(r, size), pos, limit;
	size_t len = pick_len(r), i, check;
	uint8_t fill = (uint8_t)rnd64(r), *buf;
	bool in_arena = true, own = false;
	long long cur;
	char desc[160];
	ssize_t ret;

	if (chance(r, 25))
		off = pick_edge(d, r, index, off);
	pos = region_base(d, index) + off;
	if (!positional) {
		/* read()/write() at the file position: moved there if lseek can. */
		if (lseek(d->dev.fd, (off_t)pos, SEEK_SET) != (off_t)pos) {
			cur = file_pos(d->dev.fd);
			if (cur < 0)
				positional = true;
			else
				pos = cur;
		}
	}
	if (is_write && !write_allowed(d, pos, len)) {
		/* Not here: past the region's end, where the driver must refuse. */
		off = size + (chance(r, 50) ? rnd(r, 8) : rnd64(r) % (REGION_MASK - size + 1));
		if (positional)
			pos = region_base(d, index) + off;
		if (!positional || !write_allowed(d, pos, len))
			is_write = false;
	}

	switch (rnd(r, 24)) {
	case 0:
		buf = unmapped;
		in_arena = false;
		break;
	case 1:
		buf = unmapped - (len > 1 ? 1 + rnd(r, len - 1) : 0);
		in_arena = false;
		break;
	case 2:
	case 3:
		buf = live_buffer(d, r, is_write, &len);
		if (buf) {
			in_arena = false;
			own = true;
			break;
		}
		/* fall through */
	default:
		buf = arena + rnd(r, 64);
	}
	check = len < PAGE ? len : PAGE;
	if (in_arena) {
		if (is_write) {
			uint64_t word = rnd64(r);

			for (i = 0; i + 8 <= len; i += 8)
				memcpy(buf + i, &word, 8);
			for (; i < len; i++)
				buf[i] = (uint8_t)rnd64(r);
			memcpy(snap, buf, check);
		}
		memset(buf + len, fill, GUARD_WINDOW);
	}

	snprintf(desc, sizeof(desc), "%s%s of %zu bytes at 0x%llx%s",
		 positional ? "p" : "", is_write ? "write" : "read", len,
		 (unsigned long long)pos, in_arena ? "" :
		 buf >= arena && buf < unmapped + PAGE ? " (unmapped buffer)" :
		 " (buffer in the device's own mapping)");
	if (positional)
		ret = is_write ? pwrite(d->dev.fd, buf, len, (off_t)pos) :
			      pread(d->dev.fd, buf, len, (off_t)pos);
	else
		ret = is_write ? write(d->dev.fd, buf, len) : read(d->dev.fd, buf, len);
	count_result(d, is_write ? OP_WRITE : OP_READ, ret < 0 ? -errno : ret, 0, desc);
	d->st.own_buffer += own;
	d->st.own_buffer_ok += own && ret > 0;
	if (ret < 0)
		return;
	limit = access_limit(d, pos);
	if ((size_t)ret > len)
		report(d, "%s: %zd bytes, more than asked", desc, ret);
	else if ((uint64_t)ret > limit)
		report(d, "%s: %zd bytes, past the region's end (%llu left there)",
		       desc, ret, (unsigned long long)limit);
	if (!in_arena)
		return;
	for (i = 0; i < GUARD_WINDOW; i++)
		if (buf[len + i] != fill)
			break;
	if (i < GUARD_WINDOW)
		report(d, "%s: byte %zu after the buffer changed", desc, i);
	if (is_write && memcmp(buf, snap, check))
		report(d, "%s: the kernel changed the bytes it was given", desc);
}

/* ---- mmap ------------------------------------------------------------------------- */

static bool in_sparse_area(const struct region_view *v, uint64_t off, uint64_t len)
{
	unsigned int i;

	if (!v->nr_areas)
		return true;
	for (i = 0; i < v->nr_areas; i++)
		if (off >= v->areas[i].offset &&
		    off + len <= v->areas[i].offset + v->areas[i].size)
			return true;
	return false;
}

static bool memory_decode_on(struct fuzz_dev *d)
{
	uint16_t cmd = 0;

	return !vfio_config_read16(&d->dev, PCI_COMMAND, &cmd) &&
	       (cmd & PCI_COMMAND_MEMORY);
}

/*
 * Reads a word at @n spots of the mapping's first @bytes.  Returns how many
 * raised SIGBUS.
 */
static unsigned int touch(struct rng *r, const uint8_t *map, uint64_t bytes,
			  unsigned int n)
{
	unsigned int i, faults = 0;
	uint64_t at;
	uint32_t val;

	if (bytes < 4)
		return 0;
	for (i = 0; i < n; i++) {
		if (i == 0)
			at = 0;
		else if (i == 1)
			at = (bytes - 4) & ~3ULL;
		else
			at = (rnd64(r) % (bytes - 3)) & ~3ULL;
		if (!mmio_read32_guarded(map + at, &val))
			faults++;
	}
	return faults;
}

/* The mapping must read now; @when says after what. */
static void expect_readable(struct fuzz_dev *d, struct rng *r, const char *desc,
			    const uint8_t *map, uint64_t bytes, const char *when)
{
	unsigned int faults = touch(r, map, bytes, 2);

	d->st.sigbus += faults;
	if (faults && memory_decode_on(d))
		report(d, "%s: %u reads raised SIGBUS %s, memory decode on", desc,
		       faults, when);
}

/* While mapped: low power must revoke the mapping, its end give it back. */
static void disturb_mapping(struct fuzz_dev *d, struct rng *r, const char *desc,
			    const uint8_t *map, uint64_t bytes)
{
	unsigned int faults;
	int ret;

	if (chance(r, 50) && d->resets_left && (d->info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		d->resets_left--;
		ret = vfio_ioctl(d->dev.fd, VFIO_DEVICE_RESET, NULL);
		count_result(d, OP_RESET, ret, 0, "RESET while mapped");
		if (!ret) {
			d->st.resets++;
			expect_readable(d, r, desc, map, bytes, "after a RESET");
		}
		return;
	}
	ret = feature_set(d, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY);
	count_result(d, OP_FEATURE, ret, 0, "FEATURE SET LOW_POWER_ENTRY while mapped");
	if (ret)
		return;
	faults = touch(r, map, bytes, 1);
	d->st.sigbus += faults;
	if (!faults)
		report(d, "%s: still readable in low power", desc);
	force_low_power_exit(d);
	expect_readable(d, r, desc, map, bytes, "after LOW_POWER_EXIT");
}

/* Keeps the mapping for the calls after; NULL: nothing left to unmap. */
static uint8_t *keep_mapping(struct fuzz_dev *d, const char *desc, uint8_t *map,
			     uint64_t pos, uint64_t len, uint64_t bytes)
{
	d->live[d->nr_live].map = map;
	d->live[d->nr_live].pos = pos;
	d->live[d->nr_live].len = len;
	d->live[d->nr_live].bytes = bytes;
	snprintf(d->live[d->nr_live].desc, sizeof(d->live[0].desc), "%s", desc);
	d->nr_live++;
	return NULL;
}

static void one_mmap(struct fuzz_dev *d, struct rng *r)
{
	static const int prots[] = {
		PROT_READ, PROT_READ, PROT_READ | PROT_WRITE,
		PROT_READ | PROT_WRITE, PROT_WRITE, PROT_NONE,
		PROT_READ | PROT_EXEC, PROT_EXEC,
	};
	static const int flagses[] = {
		MAP_SHARED, MAP_SHARED, MAP_SHARED, MAP_SHARED, MAP_PRIVATE,
		MAP_SHARED_VALIDATE, MAP_SHARED_VALIDATE | MAP_SYNC,
		MAP_SHARED | MAP_POPULATE, MAP_SHARED | MAP_NORESERVE,
		MAP_SHARED | MAP_LOCKED, MAP_SHARED | MAP_HUGETLB,
	};
	uint32_t index, dec_index;
	uint64_t size, off, len, pos, dec_off, page_size, bytes;
	const struct region_view *v;
	int prot, flags;
	char desc[200];
	uint8_t *map;
	unsigned int faults;

	if (d->nr_mmappable && chance(r, 60))
		index = d->mmappable[rnd(r, d->nr_mmappable)];
	else
		index = pick_region(d, r);
	size = region_size(d, index);
	page_size = (size + PAGE - 1) & ~(PAGE - 1);
	switch (rnd(r, 10)) {
	case 0:
		off = page_size ? (rnd64(r) % page_size) & ~(PAGE - 1) : 0;
		break;
	case 1:
		off = page_size;
		break;
	case 2:
		off = page_size + PAGE;
		break;
	case 3:
		off = 1 + rnd(r, PAGE - 1);	/* not page aligned */
		break;
	case 4:
		off = REGION_MASK + 1 - PAGE;
		break;
	default:
		off = 0;
	}
	switch (rnd(r, 12)) {
	case 0:
		len = 0;
		break;
	case 1:
		len = 1 + rnd(r, PAGE);
		break;
	case 2:
		len = page_size > off ? page_size - off : PAGE;
		break;
	case 3:
		len = page_size + PAGE;
		break;
	case 4:
		len = 2 * page_size + PAGE;
		break;
	case 5:
		len = 1ULL << (30 + rnd(r, 11));
		break;
	case 6:
	case 7:
		len = page_size > off ? 1 + rnd64(r) % (page_size - off) : PAGE;
		break;
	default:
		len = PAGE;
	}
	prot = prots[rnd(r, ARRAY_SIZE(prots))];
	flags = flagses[rnd(r, ARRAY_SIZE(flagses))];
	/* The kernel's overcommit check refuses (and logs) huge private ones first. */
	if (flags == MAP_PRIVATE && len > ONE_MIB)
		len = PAGE;
	pos = region_base(d, index) + off;
	snprintf(desc, sizeof(desc), "mmap of 0x%llx bytes at 0x%llx prot 0x%x flags 0x%x",
		 (unsigned long long)len, (unsigned long long)pos, prot, flags);

	map = mmap(NULL, len, prot, flags, d->dev.fd, (off_t)pos);
	count_result(d, OP_MMAP, map == MAP_FAILED ? -errno : 0, 0, desc);
	if (map == MAP_FAILED)
		return;

	/* What the kernel just agreed to must be a shared piece of an mmappable region. */
	len = (len + PAGE - 1) & ~(PAGE - 1);
	decode_pos(pos, &dec_index, &dec_off);
	v = region_known(d, dec_index) ? &d->regions[dec_index] : NULL;
	if (!d->usual_layout) {
		bytes = 0;
	} else if (!v || !(v->info.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		report(d, "%s: succeeded on a region that is not mmappable", desc);
		bytes = 0;
	} else if (dec_off + len < dec_off ||
		   dec_off + len > ((v->info.size + PAGE - 1) & ~(PAGE - 1)) ||
		   !in_sparse_area(v, dec_off, len)) {
		report(d, "%s: succeeded past the region's 0x%llx bytes or its mmap areas",
		       desc, (unsigned long long)v->info.size);
		bytes = 0;
	} else {
		if (!(flags & MAP_SHARED))
			report(d, "%s: a private mapping of a device region succeeded", desc);
		if (((prot & PROT_WRITE) && !(v->info.flags & VFIO_REGION_INFO_FLAG_WRITE)) ||
		    ((prot & PROT_READ) && !(v->info.flags & VFIO_REGION_INFO_FLAG_READ)))
			report(d, "%s: more access than the region's flags 0x%x give",
			       desc, v->info.flags);
		/* Only the region's own bytes: a sub-page BAR's page has more. */
		bytes = v->info.size - dec_off < len ? v->info.size - dec_off : len;
	}

	if ((prot & PROT_READ) && bytes) {
		faults = touch(r, map, bytes, 4);
		d->st.sigbus += faults;
		if (faults && d->low_power_left < 0 && memory_decode_on(d))
			report(d, "%s: %u of 4 reads raised SIGBUS, memory decode on",
			       desc, faults);
		else if (!faults && d->keep_maps && d->nr_live < MAX_LIVE)
			map = keep_mapping(d, desc, map, pos, len, bytes);
		else if (!faults && d->low_power_left < 0 && chance(r, 10))
			disturb_mapping(d, r, desc, map, bytes);
	}
	if (map && munmap(map, len))
		report(d, "%s: munmap gave %s", desc, tap_errno_name(errno));
}

/*
 * After each call of the mixed case: a kept mapping reads, unless the
 * function may be in low power (then SIGBUS is what must come, or nothing
 * if the wake-up variant already ended it) or memory decode is off.
 */
static void touch_live(struct fuzz_dev *d, struct rng *r)
{
	unsigned int i, faults;

	for (i = 0; i < d->nr_live; i++) {
		faults = touch(r, d->live[i].map, d->live[i].bytes, 1);
		d->st.sigbus += faults;
		if (faults && d->low_power_left < 0 && memory_decode_on(d))
			report(d, "%s, kept: reading it after \"%s\" raised SIGBUS, memory decode on",
			       d->live[i].desc, d->last);
	}
}

static void unmap_live(struct fuzz_dev *d)
{
	while (d->nr_live) {
		d->nr_live--;
		if (munmap(d->live[d->nr_live].map, d->live[d->nr_live].len))
			report(d, "%s: munmap gave %s", d->live[d->nr_live].desc,
			       tap_errno_name(errno));
	}
}

/* ---- All of it at once -------------------------------------------------------- */

/*
 * Ioctls, region access and mmaps interleaved, with up to MAX_LIVE
 * mappings kept across calls: resets, hot resets, low power and MSI-X
 * enabling must leave them readable (or revoked while in low power), and
 * read/write must work through them.
 */
/*
 * read() into, or write() from, a buffer inside one of the device's own
 * live mappings, at a target that works: faulting the buffer in takes the
 * lock the access takes.  read() writes device memory through the buffer,
 * write() writes the bytes it read through it back onto themselves: both
 * only where this function's memory may be written.
 */
static void own_buffer_rw(struct fuzz_dev *d, struct rng *r)
{
	uint64_t cfg = region_size(d, VFIO_PCI_CONFIG_REGION_INDEX), at, len, pos;
	bool is_write = chance(r, 50);
	unsigned int i;
	char desc[160];
	uint8_t *buf;
	ssize_t ret;

	if (!d->nr_live)
		return;
	i = rnd(r, d->nr_live);
	at = rnd64(r) % d->live[i].bytes;
	len = d->live[i].bytes - at < PAGE ? d->live[i].bytes - at : PAGE;
	len = 1 + rnd64(r) % len;
	buf = d->live[i].map + at;
	pos = d->live[i].pos + at;
	if (!write_allowed(d, pos, len))
		return;
	if (!is_write && cfg && chance(r, 50)) {
		if (len > cfg)
			len = cfg;
		pos = region_base(d, VFIO_PCI_CONFIG_REGION_INDEX) + rnd64(r) % (cfg - len + 1);
	}
	snprintf(desc, sizeof(desc), "p%s of %llu bytes at 0x%llx, the buffer at 0x%llx in its mapping",
		 is_write ? "write" : "read", (unsigned long long)len,
		 (unsigned long long)pos, (unsigned long long)(d->live[i].pos + at));
	ret = is_write ? pwrite(d->dev.fd, buf, len, (off_t)pos) :
			 pread(d->dev.fd, buf, len, (off_t)pos);
	count_result(d, is_write ? OP_WRITE : OP_READ, ret < 0 ? -errno : ret, 0, desc);
	d->st.own_buffer++;
	d->st.own_buffer_ok += ret > 0;
	if (ret > (ssize_t)len)
		report(d, "%s: %zd bytes, more than asked", desc, ret);
}

static void one_mixed(struct fuzz_dev *d, struct rng *r)
{
	unsigned int kind = rnd(r, 10);

	if (kind < 5)
		one_ioctl(d, r);
	else if (kind < 6)
		one_rw(d, r);
	else if (kind < 7)
		own_buffer_rw(d, r);
	else
		one_mmap(d, r);
	touch_live(d, r);
}

/* ---- Opening, the cases, closing ----------------------------------------------- */

static void view_region(struct fuzz_dev *d, uint32_t index)
{
	struct region_view *v = &d->regions[index];
	const struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_region_info *info;
	unsigned int i;

	v->ret = vfio_device_get_region_info_caps(d->dev.fd, index, &info);
	if (v->ret)
		return;
	v->info = *info;
	v->info.argsz = sizeof(v->info);
	if (info->flags & VFIO_REGION_INFO_FLAG_CAPS)
		v->caps_argsz = info->argsz;
	sparse = (const void *)vfio_region_info_cap_find(info, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	if (sparse) {
		v->nr_areas = sparse->nr_areas < MAX_AREAS ? sparse->nr_areas : MAX_AREAS;
		for (i = 0; i < v->nr_areas; i++) {
			v->areas[i].offset = sparse->areas[i].offset;
			v->areas[i].size = sparse->areas[i].size;
		}
		/* A sparse region with no area maps nothing; one past MAX_AREAS is not checked. */
		if (!sparse->nr_areas)
			v->info.flags &= ~VFIO_REGION_INFO_FLAG_MMAP;
	}
	free(info);
	if ((v->info.flags & VFIO_REGION_INFO_FLAG_MMAP) && d->nr_mmappable < MAX_REGIONS)
		d->mmappable[d->nr_mmappable++] = index;
	if (v->info.offset != (uint64_t)index << REGION_SHIFT)
		d->usual_layout = false;
}

/* Opens the device and records what it says, for the checks later. */
static int fuzz_open(struct fuzz_dev *d)
{
	struct vfio_pci_hot_reset_info hdr = { .argsz = sizeof(hdr) };
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	uint32_t i;
	int ret;

	d->fds_before = count_open_fds();
	ret = fds_open(d);
	if (ret)
		return ret;
	ret = vfio_dev_open(&d->dev, d->f->bdf);
	if (ret)
		return ret;
	d->open = true;
	d->info = d->dev.info;
	d->num_regions = d->info.num_regions;
	d->usual_layout = true;
	for (i = 0; i < d->num_regions && i < MAX_REGIONS; i++)
		view_region(d, i);
	if (d->num_regions > MAX_REGIONS)
		tap_diag("%u regions; the fuzzer knows the first %u and writes to no other",
			 d->num_regions, MAX_REGIONS);
	if (!d->usual_layout)
		tap_diag("regions are not at index << 40: writes go only past the last region");
	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++)
		d->irqs[i].ret = vfio_device_get_irq_info(d->dev.fd, i, &d->irqs[i].info);
	ret = vfio_ioctl(d->dev.fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hdr);
	d->hot_reset_count = ret == -ENOSPC || !ret ? (int)hdr.count : ret;
	if (pci_resources(d->f->bdf, res) > VFIO_PCI_BAR5_REGION_INDEX)
		for (i = 0; i <= VFIO_PCI_BAR5_REGION_INDEX; i++)
			d->bar_is_io[i] = pci_bar_is_io(&res[i]);
	d->msix_bar = d->pba_bar = -1;
	ret = pci_msix_table_bar(d->f->bdf, &d->msix_offset, &d->pba_bar, &d->pba_offset);
	if (ret >= 0 && !d->irqs[VFIO_PCI_MSIX_IRQ_INDEX].ret) {
		d->msix_bar = ret;
		d->msix_size = d->irqs[VFIO_PCI_MSIX_IRQ_INDEX].info.count * 16;
	}
	return 0;
}

static void fuzz_close(struct fuzz_dev *d)
{
	if (d->open) {
		quiesce(d);
		vfio_dev_close(&d->dev);
		d->open = false;
	}
	fds_close(d);
}

enum fuzz_case { CASE_IOCTL, CASE_RW, CASE_MMAP, CASE_MIXED, NR_FUZZ_CASES };

static const char *const case_names[] = {
	[CASE_IOCTL] = "ioctl_fuzz_returns_only_documented_errnos_and_device_still_works",
	[CASE_RW] = "region_rw_fuzz_moves_at_most_what_was_asked_and_device_still_works",
	[CASE_MMAP] = "mmap_fuzz_maps_only_mmappable_ranges_and_device_still_works",
	[CASE_MIXED] = "mixed_fuzz_keeps_live_mappings_readable_outside_low_power_and_device_still_works",
};

static const char *const case_labels[] = {
	[CASE_IOCTL] = "ioctls", [CASE_RW] = "read/write", [CASE_MMAP] = "mmap",
	[CASE_MIXED] = "mixed",
};

#define REOPEN_CASE "device_reopens_and_works_with_no_irq_or_fd_left_after_fuzzing"

/* Share of a function's time each fuzz case gets, in percent. */
static const unsigned int case_share[] = { 30, 25, 20, 25 };

static void fuzz_case(struct fuzz_dev *d, enum fuzz_case c, double deadline)
{
	struct rng stream = { d->seed ^ (0x1000193ULL * (c + 1)) }, op;
	unsigned long long i;
	char when[64];
	double start = now(), t;

	memset(&d->st, 0, sizeof(d->st));
	d->keep_maps = c == CASE_MIXED;
	if (c == CASE_IOCTL) {
		fixed_intx_same_eventfd(d);
		fixed_ioeventfds(d);
	}
	for (i = 0; i < iterations; i++) {
		if (now() > deadline) {
			d->st.stopped = true;
			break;
		}
		/* Each call draws from its own seed: a replay does not drift. */
		op.s = rnd64(&stream);
		t = now();
		switch (c) {
		case CASE_IOCTL:
			one_ioctl(d, &op);
			break;
		case CASE_RW:
			one_rw(d, &op);
			break;
		case CASE_MMAP:
			one_mmap(d, &op);
			break;
		default:
			one_mixed(d, &op);
		}
		t = now() - t;
		if (t > SLOW_CALL)
			tap_diag("slow: %.1f s for call %llu, ending with %s", t,
				 d->st.calls, d->last);
		if (d->low_power_left > 0 && !--d->low_power_left)
			force_low_power_exit(d);
		if (i % BATCH == BATCH - 1) {
			snprintf(when, sizeof(when), "after call %llu", d->st.calls);
			check_works(d, when);
		}
	}
	if (i % BATCH) {
		snprintf(when, sizeof(when), "after call %llu", d->st.calls);
		check_works(d, when);
	}
	touch_live(d, &stream);
	unmap_live(d);
	d->keep_maps = false;
	kmsg_check(d);
	print_stats(d, case_labels[c], now() - start);
	if (d->st.stopped)
		tap_diag("stopped after %llu of %llu iterations to end within VFIO_TEST_TIMEOUT",
			 i, iterations);
	if (d->st.own_buffer)
		tap_diag("%llu reads/writes had their buffer in the device's own mapping, %llu moved bytes",
			 d->st.own_buffer, d->st.own_buffer_ok);
	if (d->st.left_out)
		tap_diag("%llu IOEVENTFD offsets had bit 63 cleared (the reference oopses on them)",
			 d->st.left_out);
	tap_check(!d->st.bad, "%llu of %llu calls misbehaved", d->st.bad, d->st.calls);
}

/* Closed: nothing of ours left.  Reopened: the same answers, and it works. */
static void reopen_case(struct fuzz_dev *d)
{
	struct vfio_region_info info;
	struct vfio_irq_info irq;
	char driver[64] = "";
	uint32_t ids = 0, id = 0, i;
	int ret, left, bar;

	memset(&d->st, 0, sizeof(d->st));
	fuzz_close(d);
	left = count_open_fds() - d->fds_before;
	if (left > 0)
		report(d, "%d fds more open than before the device was", left);
	ret = irq_proc_count(d->f->bdf, "vfio");
	if (ret)
		report(d, "/proc/interrupts: %d vfio interrupts of %s left after close (%s)",
		       ret, d->f->bdf, ret < 0 ? tap_errno_name(-ret) : "");
	pci_driver_name(d->f->bdf, driver, sizeof(driver));
	if (strcmp(driver, "vfio-pci"))
		report(d, "bound to \"%s\", not vfio-pci", driver);

	ret = vfio_dev_open(&d->dev, d->f->bdf);
	if (ret) {
		report(d, "opening it again: %s", tap_errno_name(-ret));
		goto out;
	}
	d->open = true;
	if (d->dev.info.flags != d->info.flags ||
	    d->dev.info.num_regions != d->info.num_regions ||
	    d->dev.info.num_irqs != d->info.num_irqs)
		report(d, "GET_INFO: flags 0x%x, %u regions, %u irqs; first open 0x%x, %u, %u",
		       d->dev.info.flags, d->dev.info.num_regions, d->dev.info.num_irqs,
		       d->info.flags, d->info.num_regions, d->info.num_irqs);
	for (i = 0; i < d->num_regions && i < MAX_REGIONS; i++) {
		ret = vfio_device_get_region_info(d->dev.fd, i, &info);
		if (ret != d->regions[i].ret ||
		    (!ret && (info.size != d->regions[i].info.size ||
			      info.offset != d->regions[i].info.offset)))
			report(d, "region %u: %s, size 0x%llx; first open %s, 0x%llx", i,
			       tap_errno_name(-ret), (unsigned long long)info.size,
			       tap_errno_name(-d->regions[i].ret),
			       (unsigned long long)d->regions[i].info.size);
	}
	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		ret = vfio_device_get_irq_info(d->dev.fd, i, &irq);
		if (ret != d->irqs[i].ret ||
		    (!ret && (irq.count != d->irqs[i].info.count ||
			      irq.flags != d->irqs[i].info.flags)))
			report(d, "irq index %u: %s, count %u flags 0x%x; first open %s, %u, 0x%x",
			       i, tap_errno_name(-ret), irq.count, irq.flags,
			       tap_errno_name(-d->irqs[i].ret), d->irqs[i].info.count,
			       d->irqs[i].info.flags);
	}
	ret = vfio_config_read32(&d->dev, PCI_VENDOR_ID, &ids);
	if (ret || ids != d->ids)
		report(d, "IDs 0x%08x (%s), sysfs says 0x%08x", ids, tap_errno_name(-ret), d->ids);
	bar = pci_first_bar_with(d->f->bdf, PCI_RES_MEM);
	if (bar >= 0) {
		ret = vfio_bar_read32(&d->dev, bar, is_edu(d) ? EDU_REG_ID : 0, &id);
		if (ret)
			report(d, "reading BAR%d: %s", bar, tap_errno_name(-ret));
		else if (is_edu(d) && id != EDU_ID_VALUE)
			report(d, "edu ID register 0x%08x, expected 0x%08x", id, EDU_ID_VALUE);
	}
out:
	fuzz_close(d);
	kmsg_check(d);
	tap_check(!d->st.bad, "%llu checks failed", d->st.bad);
}

static void fuzz_function(const struct pci_func *f, int left)
{
	struct fuzz_dev d;
	double start = now(), slice, deadline;
	unsigned int c, share_left = 100;
	unsigned int s, b, fn, dv;
	int ret, i;

	memset(&d, 0, sizeof(d));
	d.f = f;
	d.low_power_left = -1;
	d.closed_fd = -1;
	d.pipe_fd[0] = d.pipe_fd[1] = d.file_fd = d.null_fd = -1;
	for (i = 0; i < EFDS; i++)
		d.irq_efd[i] = d.quiet_efd[i] = d.live_efd[i] = -1;
	d.ids = f->vendor | (uint32_t)f->device << 16;
	if (sscanf(f->bdf, "%x:%x:%x.%x", &s, &b, &dv, &fn) == 4) {
		d.segment = s;
		d.bus = b;
		d.devfn = dv << 3 | fn;
	}
	if (is_edu(&d)) {
		d.windows = edu_windows;
		d.nr_windows = ARRAY_SIZE(edu_windows);
	} else if (func_is_kind(f, "pci-testdev")) {
		d.windows = testdev_windows;
		d.nr_windows = ARRAY_SIZE(testdev_windows);
	}
	/* Real resets are slow under TCG: a few per function, more on long runs. */
	d.resets_left = 1 + iterations / 1000;
	d.hot_resets_left = 1 + iterations / 2000;
	d.seed = function_seed(f->bdf);
	tap_diag("seed %llu for %s (%s): VFIO_FUZZ_SEED=%llu VFIO_TEST_DEVICE=%s replays it",
		 (unsigned long long)d.seed, f->bdf, f->kind, run_seed, f->bdf);

	/* This function's fair share of the time that is left. */
	slice = (fuzz_end - start) / left;
	ret = fuzz_open(&d);
	for (c = 0; c < NR_FUZZ_CASES; c++) {
		tap_case_begin("%s %s", case_names[c], f->bdf);
		if (!EXPECT_OK(ret, "opening the device and reading its info"))
			continue;
		deadline = now() + (start + slice - now()) * case_share[c] / share_left;
		share_left -= case_share[c];
		/* A case that ran long must not leave the next none at all. */
		if (deadline < now() + MIN_CASE_TIME)
			deadline = now() + MIN_CASE_TIME;
		if (deadline > fuzz_end)
			deadline = fuzz_end;
		fuzz_case(&d, c, deadline);
		tap_case_end();
	}
	tap_case_begin("%s %s", REOPEN_CASE, f->bdf);
	if (EXPECT_OK(ret, "opening the device and reading its info"))
		reopen_case(&d);
	else
		fuzz_close(&d);
	tap_case_end();
	tap_diag("%s: %.1f s", f->bdf, now() - start);
}

/*
 * The run seed: VFIO_FUZZ_SEED; else the one the other lane of this VM run
 * drew, so both drivers get the same calls; else a new one.  Says which.
 */
static const char *pick_run_seed(void)
{
	const char *env = getenv("VFIO_FUZZ_SEED");
	long long shared;

	if (env && *env) {
		run_seed = env_number("VFIO_FUZZ_SEED", 0);
		return "from VFIO_FUZZ_SEED";
	}
	if (!irq_artifact_get(SEED_ARTIFACT, "seed", &shared)) {
		run_seed = shared;
		return "the other lane's";
	}
	if (getrandom(&run_seed, sizeof(run_seed), 0) != sizeof(run_seed))
		run_seed = (unsigned long long)time(NULL) ^ (unsigned long long)getpid() << 32;
	irq_artifact_put(SEED_ARTIFACT, "seed", (long long)run_seed);
	return "new";
}

int main(void)
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	const char *driver = vfio_test_driver_name();
	unsigned long long timeout;
	double start = now(), reserve;
	const char *seed_from;
	int n, i;

	iterations = env_number("VFIO_DEVICE_FUZZ_ITERATIONS", DEFAULT_ITERATIONS);
	verbose = env_number("VFIO_DEVICE_FUZZ_VERBOSE", 0);
	seed_from = pick_run_seed();
	timeout = env_number("VFIO_TEST_TIMEOUT", DEFAULT_TIMEOUT);

	n = region_zoo_functions(funcs, ARRAY_SIZE(funcs));
	if (n < 0)
		tap_bail_out("listing the zoo's functions: %s", tap_errno_name(-n));
	if (!n)
		tap_skip_all("no function of the zoo present%s", getenv("VFIO_TEST_DEVICE") ?
			     " matching VFIO_TEST_DEVICE" : "");
	tap_plan(n * (NR_FUZZ_CASES + 1));
	tap_diag("driver under test: %s", driver);
	tap_diag("run seed %llu (%s; VFIO_FUZZ_SEED=%llu repeats the run), %llu calls per function and case",
		 run_seed, seed_from, run_seed, iterations);

	/*
	 * Each function's share is cut from the time left, so what the
	 * reserve must cover is the last close and reopen (a few seconds
	 * under TCG), calls that overrun their case's end, and the exit.
	 */
	reserve = 20 + 1.0 * n;
	if (reserve > timeout / 2.0)
		reserve = timeout / 2.0;
	fuzz_end = start + timeout - reserve;

	arena_init();
	kmsg_open();
	for (i = 0; i < n; i++)
		fuzz_function(&funcs[i], n - i);
	tap_diag("all functions: %.1f s", now() - start);
	tap_finish();
}
