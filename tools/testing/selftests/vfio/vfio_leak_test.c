// SPDX-License-Identifier: GPL-2.0-only
/*
 * Leaks over many uses of a device.  One cycle is what a VFIO user does
 * from start to end: open the device through its group (container, group,
 * type1, device fd), enable its interrupts with eventfds (MSI-X where the
 * function has it, else MSI, else INTx with an unmask eventfd; the ERR and
 * REQ eventfds too) and fire one by software, turn memory decode on, mmap
 * every mmappable BAR and read its first word, add an ioeventfd (on edu it
 * is signalled and must write), enter and leave low power where the driver
 * offers it, disable the interrupts, unmap, close.
 *
 * Per lane (a function and an interrupt mode): a few warm-up cycles, a
 * measurement, N/2 cycles, a measurement, N/2 cycles, a measurement.  A
 * measurement drops the page cache, dentries and inodes, waits for RCU,
 * shrinks every slab cache (which puts the per-CPU slabs back on the node
 * lists, so /proc/slabinfo's active objects is then the exact count in
 * use) and reads: each cache's active objects and the bytes of the
 * unreclaimable ones, /proc/meminfo's Slab, SUnreclaim, VmallocUsed and
 * Percpu, the live vmalloc and ioremap areas (/proc/vmallocinfo) by
 * caller, the /proc/interrupts lines naming vfio, our open fds and where
 * they point, the refcnt of the VFIO PCI modules and the function's
 * runtime PM status.  The files it reads stay open for the whole run, so
 * that measuring creates no dentries and inodes of its own.
 *
 * Pass criteria, tolerant of noise and still failing on a leak of one small
 * object per cycle:
 * - A leak grows with every cycle, so it shows in both halves.  What the
 *   kernel allocates once (a kworker started meanwhile, a cache that took
 *   a new slab) shows in one half only.  So each figure judged is the
 *   smaller growth of the two halves.
 * - Per cache: growth below N/4 objects (half an object per cycle).  One
 *   object leaked per cycle adds N/2 to its cache in each half, whatever
 *   its size (8 bytes included), so it fails.  After the shrink, an idle
 *   guest's caches stay the same to the object (measured: six idle
 *   measurements in a row, one of them off by one kworker's task_struct).
 * - Unreclaimable slab bytes: growth below LEAK_BYTES_PER_CYCLE (16) bytes
 *   per cycle, which a leak of one kmalloc-32 object per cycle exceeds
 *   twice over; it also catches leaks spread thinly over many caches.
 *   lsm_inode_cache (inodes' LSM blobs, freed with the inode) is left out
 *   of the bytes like the inode caches, but its objects are judged.
 * - Live vmalloc areas: growth below N/4 (a leaked ioremap or vmalloc per
 *   cycle adds N/2).  The vmap_area cache is left out of the slab figures:
 *   a freed area waits on the lazy list, and its free neighbour may be a
 *   split block, until a purge tens of MiB later; so are kmemleak's own
 *   caches, which shadow every allocation.  VmallocUsed and Percpu
 *   move by pages; growth below 512 bytes a cycle over all N (room for a
 *   new kworker's stack; a page a cycle fails).
 * - Exact: the vfio lines of /proc/interrupts, the open fds (no vfio
 *   device, group or container, no anon inode left), the modules' refcnt
 *   and the runtime PM status are back to what they were after warm-up.
 * A measurement that fails is taken again after a longer wait (a late
 * kfree_rcu() batch, a slow grace period under TCG), up to twice: a leak
 * stays, noise goes.  The lane's figures and the caches that grew most in
 * each half are printed whatever the result.
 *
 * Tried with a kmalloc(8) leaked per ioeventfd in our driver: kmalloc-8
 * grew by 19 and 20 objects in the halves (KFENCE takes the odd one), and
 * both edu lanes failed.
 *
 * N is 40 by default (about 50 s under TCG; make check); VFIO_LEAK_CYCLES=N
 * sets it (make stress CYCLES=10000).  Lanes: the zoo's first edu (MSI,
 * and again with INTx), e1000e and nvme (MSI-X); with $VFIO_TEST_DEVICE,
 * that function's best mode and INTx.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "irq_util.h"
#include "region_util.h"
#include "reset_util.h"
#include "stress_util.h"

#define DEFAULT_CYCLES		40
#define MIN_CYCLES		8
#define WARMUP_CYCLES		3
/* Bytes per cycle of unreclaimable slab growth that fails a lane. */
#define LEAK_BYTES_PER_CYCLE	16
/* Page-granular figures (VmallocUsed, Percpu): bytes per cycle. */
#define LEAK_PAGES_BYTES_PER_CYCLE 512
/* Measurements taken again when one fails, and the waits before them. */
#define SETTLE_RETRIES		2
#define SETTLE_MS		1000
#define SETTLE_RETRY_MS		6000
#define LEAK_NUM_BARS		6
#define MAX_CACHES		1024
/* A task blocked this long in the kernel is reported (and fails the lane). */
#define HUNG_TASK_SECS		30
#define MAX_FDS			256
#define MAX_CALLERS		128
#define TOP_CACHES		5
/* Errors printed per lane before going quiet. */
#define MAX_REPORTS		5

/* ---- a measurement ------------------------------------------------------ */

/*
 * A slab cache as /proc/slabinfo names it (merged caches under their first
 * name), with its sysfs "shrink" file open for the whole run: measuring then
 * opens nothing in sysfs, so it creates no dentries and inodes (nor their
 * LSM blobs, which are not reclaimable) of its own.
 */
struct slab_cache {
	char name[64];
	int shrink_fd;
	long long size;		/* bytes one object takes (objsize) */
	bool reclaimable;
	bool judged;		/* counted in the bounds */
	bool in_bytes;		/* and in the unreclaimable bytes */
};

static struct slab_cache slabs[MAX_CACHES];
static int nslabs;
/* The cache a one-byte sysfs write allocates its buffer from. */
static int small_slab = -1;
static int slabinfo_fd = -1, drop_caches_fd = -1, meminfo_fd = -1,
	   vmallocinfo_fd = -1, interrupts_fd = -1;
static char procbuf[1 << 20];

struct caller {
	char name[48];
	int areas;
};

struct snapshot {
	long long objs[MAX_CACHES];
	long long unreclaimable;	/* bytes in the judged caches */
	long long slab_kb, sunreclaim_kb, vmalloc_kb, percpu_kb;
	int vmalloc_areas;		/* live ones, not the lazily freed */
	int vmalloc_unpurged;		/* freed, waiting for a purge */
	struct caller callers[MAX_CALLERS];
	int ncallers;
	int vfio_irqs;
	int nfds;
	char fds[MAX_FDS][104];
	int core_refs, pci_refs;
	char runtime[32];
};

static unsigned long cycles = DEFAULT_CYCLES;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_msec(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/*
 * The whole of an open proc file, read again from its start.  A seq_file
 * keeps its buffer between reads, so this allocates nothing once the
 * buffer has grown to the file's size.
 */
static ssize_t reread(int fd)
{
	size_t len = 0;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while (len < sizeof(procbuf) - 1) {
		n = read(fd, procbuf + len, sizeof(procbuf) - 1 - len);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		len += n;
	}
	procbuf[len] = '\0';
	return len;
}

/* Lines of /proc/slabinfo: name, active objects, total, objsize, ... */
static int parse_slabinfo_line(const char *line, char *name, long long *active,
			       long long *size)
{
	long long total;

	return sscanf(line, "%63s %lld %lld %lld", name, active, &total, size) == 4 &&
	       name[0] != '#' ? 0 : -EINVAL;
}

/*
 * One count of every cache: shrink them all (which flushes the per-CPU
 * slabs back to the node lists and frees empty slabs, so that "active
 * objects" becomes the exact number in use), then read /proc/slabinfo,
 * which allocates nothing.  Each write to "shrink" allocates a small
 * buffer, so the cache that buffer comes from is shrunk last.
 */
static int count_slabs(long long *objs)
{
	char *line, *save = NULL, name[64];
	long long active, size;
	ssize_t n;
	int i, j = 0;

	for (i = 0; i < nslabs; i++)
		if (i != small_slab)
			n = write(slabs[i].shrink_fd, "1", 1);
	if (small_slab >= 0)
		n = write(slabs[small_slab].shrink_fd, "1", 1);
	n = reread(slabinfo_fd);
	if (n < 0)
		return n;
	for (i = 0; i < nslabs; i++)
		objs[i] = -1;
	for (line = strtok_r(procbuf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (parse_slabinfo_line(line, name, &active, &size))
			continue;
		/* Same order as at setup, unless a cache came or went. */
		for (i = 0; i < nslabs; i++, j = (j + 1) % nslabs)
			if (!strcmp(slabs[j].name, name))
				break;
		if (i < nslabs)
			objs[j] = active;
	}
	return 0;
}

static void read_meminfo(struct snapshot *s)
{
	char *line, *save = NULL;
	long long val;
	char key[64];

	s->slab_kb = s->sunreclaim_kb = s->vmalloc_kb = s->percpu_kb = -1;
	if (reread(meminfo_fd) < 0)
		return;
	for (line = strtok_r(procbuf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%63[^:]: %lld", key, &val) != 2)
			continue;
		if (!strcmp(key, "Slab"))
			s->slab_kb = val;
		else if (!strcmp(key, "SUnreclaim"))
			s->sunreclaim_kb = val;
		else if (!strcmp(key, "VmallocUsed"))
			s->vmalloc_kb = val;
		else if (!strcmp(key, "Percpu"))
			s->percpu_kb = val;
	}
}

/*
 * Live vmalloc/ioremap areas per caller.  Lines marked "unpurged vm_area"
 * were freed and wait for the kernel's next lazy purge (a batch, when
 * enough has been freed); they are counted apart.
 */
static void read_vmallocinfo(struct snapshot *s)
{
	char *line, *save = NULL;
	int i;

	s->vmalloc_areas = s->vmalloc_unpurged = s->ncallers = 0;
	if (reread(vmallocinfo_fd) < 0)
		return;
	for (line = strtok_r(procbuf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char range[80], size[24], caller[48];

		if (strstr(line, "unpurged")) {
			s->vmalloc_unpurged++;
			continue;
		}
		if (sscanf(line, "%79s %23s %47s", range, size, caller) != 3)
			continue;
		s->vmalloc_areas++;
		*strchrnul(caller, '+') = '\0';
		for (i = 0; i < s->ncallers; i++)
			if (!strcmp(s->callers[i].name, caller))
				break;
		if (i == s->ncallers) {
			if (i == MAX_CALLERS)
				continue;
			snprintf(s->callers[i].name, sizeof(s->callers[i].name), "%s", caller);
			s->callers[i].areas = 0;
			s->ncallers++;
		}
		s->callers[i].areas++;
	}
}

static int count_vfio_irqs(void)
{
	char *line, *save = NULL;
	int n = 0;

	if (reread(interrupts_fd) < 0)
		return -1;
	for (line = strtok_r(procbuf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "vfio"))
			n++;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool pinned(int fd)
{
	int i;

	if (fd == slabinfo_fd || fd == drop_caches_fd || fd == meminfo_fd ||
	    fd == vmallocinfo_fd || fd == interrupts_fd)
		return true;
	for (i = 0; i < nslabs; i++)
		if (fd == slabs[i].shrink_fd)
			return true;
	return false;
}

/*
 * Our open fds other than the measurement's own, as "N -> target", sorted.
 * Probed with fcntl() rather than listed from /proc/self/fd: a listing
 * instantiates an inode for every entry.
 */
static void read_fds(struct snapshot *s)
{
	char path[64], target[80];
	long max = sysconf(_SC_OPEN_MAX);
	ssize_t n;
	int fd;

	s->nfds = 0;
	for (fd = 0; fd < max && fd < 65536 && s->nfds < MAX_FDS; fd++) {
		if (fcntl(fd, F_GETFD) < 0 || pinned(fd))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		snprintf(s->fds[s->nfds++], sizeof(s->fds[0]), "%d -> %s", fd, target);
	}
	qsort(s->fds, s->nfds, sizeof(s->fds[0]), cmp_str);
}

static int module_refs(const char *name)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	if (read_file(path, val, sizeof(val)))
		return -1;
	return atoi(val);
}

/* The runtime PM status, once it is not on its way somewhere. */
static void read_runtime_status(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	int waited;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/runtime_status", bdf);
	for (waited = 0; waited < 3000; waited += 50) {
		if (read_file(path, buf, len)) {
			snprintf(buf, len, "?");
			return;
		}
		if (strcmp(buf, "suspending") && strcmp(buf, "resuming"))
			return;
		sleep_msec(50);
	}
}

/*
 * Drop the page cache, dentries and inodes, give RCU and deferred frees
 * @wait_ms, count the slabs (twice, keeping each cache's smaller count:
 * any allocation between a cache's shrink and the count makes it count a
 * whole per-CPU slab as in use), then read the proc files kept open.  What
 * creates inodes (fds through /proc, sysfs attributes) comes last; the next
 * measurement's drop takes them away again.
 */
static void measure(struct snapshot *s, const char *bdf, int wait_ms)
{
	static long long again[MAX_CACHES];
	int i;

	if (pwrite(drop_caches_fd, "3", 1, 0) < 0)
		tap_diag("drop_caches: %s", tap_errno_name(errno));
	sleep_msec(wait_ms);
	if (count_slabs(s->objs) || count_slabs(again))
		tap_diag("reading /proc/slabinfo failed");
	s->unreclaimable = 0;
	for (i = 0; i < nslabs; i++) {
		if (again[i] < s->objs[i])
			s->objs[i] = again[i];
		if (slabs[i].in_bytes && s->objs[i] > 0)
			s->unreclaimable += s->objs[i] * slabs[i].size;
	}
	read_meminfo(s);
	read_vmallocinfo(s);
	s->vfio_irqs = count_vfio_irqs();
	read_fds(s);
	s->core_refs = module_refs("vfio_pci_core");
	s->pci_refs = module_refs("vfio_pci");
	if (*bdf)
		read_runtime_status(bdf, s->runtime, sizeof(s->runtime));
}

/* Opens everything measure() reads; skips the program when it cannot. */
static void measure_setup(void)
{
	static struct snapshot dry;
	char *line, *save = NULL;

	slabinfo_fd = open("/proc/slabinfo", O_RDONLY | O_CLOEXEC);
	drop_caches_fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	meminfo_fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	vmallocinfo_fd = open("/proc/vmallocinfo", O_RDONLY | O_CLOEXEC);
	interrupts_fd = open("/proc/interrupts", O_RDONLY | O_CLOEXEC);
	if (slabinfo_fd < 0 || drop_caches_fd < 0 || meminfo_fd < 0 ||
	    vmallocinfo_fd < 0 || interrupts_fd < 0)
		tap_skip_all("cannot open slabinfo, drop_caches, meminfo, vmallocinfo or interrupts under /proc: run as root");
	if (reread(slabinfo_fd) < 0)
		tap_skip_all("cannot read /proc/slabinfo");

	for (line = strtok_r(procbuf, "\n", &save); line && nslabs < MAX_CACHES;
	     line = strtok_r(NULL, "\n", &save)) {
		struct slab_cache *c = &slabs[nslabs];
		char path[PATH_MAX], val[16];
		long long active;

		if (parse_slabinfo_line(line, c->name, &active, &c->size))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", c->name);
		c->shrink_fd = open(path, O_WRONLY | O_CLOEXEC);
		if (c->shrink_fd < 0)
			tap_skip_all("cannot open %s: %s (SLUB with sysfs, as root)",
				     path, tap_errno_name(errno));
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/reclaim_account", c->name);
		c->reclaimable = !strncmp(c->name, "kmalloc-rcl-", 12) ||
				 (!read_file(path, val, sizeof(val)) && val[0] == '1');
		/*
		 * vmap_area objects describe the vmalloc address space, the
		 * free parts included: each ioremap a cycle does and undoes
		 * leaves its area on the lazy list and may split a free block,
		 * until the kernel's next lazy purge (tens of MiB later) puts
		 * them together again.  Live areas are judged exactly from
		 * /proc/vmallocinfo instead.
		 *
		 * kmemleak_object and kmemleak_scan_area (on a kernel with
		 * kmemleak, the debug lane's) are kmemleak's record of every
		 * other allocation, vmap_area's lazy ones included: counting
		 * them would count each object twice and the lazy areas
		 * after all (measured: +1 scan area and +1-4 objects per
		 * cycle on either driver, the reference failing).
		 */
		c->judged = !c->reclaimable && strcmp(c->name, "vmap_area") &&
			    strncmp(c->name, "kmemleak_", 9);
		/*
		 * lsm_inode_cache holds each inode's LSM blob and is freed
		 * with its inode, so it is as reclaimable as the inode caches
		 * (which are not counted in bytes) though not marked so.  Its
		 * bytes are left out; its objects are still judged, so one
		 * inode kept per cycle fails.  Measured on the debug lane:
		 * +4 inode_cache and +4 lsm_inode_cache objects (736 B, a
		 * 184 B blob) in the first 20 cycles, +10 inode_cache and +6
		 * proc_inode_cache in the second, none of them per cycle.
		 */
		c->in_bytes = c->judged && strcmp(c->name, "lsm_inode_cache");
		if (!strcmp(c->name, "kmalloc-8"))
			small_slab = nslabs;
		nslabs++;
	}
	if (!nslabs)
		tap_skip_all("no cache in /proc/slabinfo");
	/* The first reads size the seq_file buffers: not in any figure. */
	measure(&dry, "", 0);
}

static int caller_areas(const struct snapshot *s, const char *name)
{
	int i;

	for (i = 0; i < s->ncallers; i++)
		if (!strcmp(s->callers[i].name, name))
			return s->callers[i].areas;
	return 0;
}

/* ---- one cycle ------------------------------------------------------------ */

struct lane {
	struct pci_func f;
	uint32_t irq_index;	/* INTx, MSI or MSI-X */
	const char *mode;	/* "msix", "msi", "intx" */
	bool low_power;		/* the driver offers LOW_POWER_ENTRY */
	int ioevent_bar;	/* -1: no memory BAR outside the MSI-X table */
	uint64_t ioevent_off;
	bool is_edu;

	/* results */
	unsigned long done, failed;
	unsigned int reports;
	double secs;
	struct snapshot snap[3];
	bool measured;
};

static void lane_error(struct lane *l, unsigned long cycle, const char *step,
		       int err)
{
	if (l->reports++ < MAX_REPORTS)
		tap_diag("%s %s cycle %lu: %s: %s", l->f.bdf, l->mode, cycle, step,
			 tap_errno_name(-err));
}

#define STEP(l, cycle, expr, step)					\
	({								\
		int __r = (expr);					\
		if (__r < 0)						\
			lane_error((l), (cycle), (step), __r);		\
		__r >= 0;						\
	})

struct mapping {
	void *addr;
	size_t len;
};

/* Maps every mmappable BAR (each sparse area where there are some). */
static int map_bars(struct lane *l, struct vfio_dev *dev, unsigned long cycle,
		    struct mapping *maps, int max)
{
	long page = sysconf(_SC_PAGESIZE);
	int n = 0, bar;

	for (bar = 0; bar < LEAK_NUM_BARS; bar++) {
		struct vfio_region_info *info = NULL;
		const struct vfio_info_cap_header *cap;
		uint64_t offs[8], lens[8];
		int areas = 0, i;

		if (!(dev->regions[bar].flags & VFIO_REGION_INFO_FLAG_MMAP) ||
		    !dev->regions[bar].size)
			continue;
		if (!STEP(l, cycle, vfio_device_get_region_info_caps(dev->fd, bar, &info),
			  "region info with capabilities"))
			return -1;
		cap = vfio_region_info_cap_find(info, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
		if (cap) {
			const struct vfio_region_info_cap_sparse_mmap *sp = (const void *)cap;

			for (i = 0; i < (int)sp->nr_areas && areas < 8; i++) {
				if (!sp->areas[i].size)
					continue;
				offs[areas] = sp->areas[i].offset;
				lens[areas++] = sp->areas[i].size;
			}
		} else {
			offs[0] = 0;
			lens[0] = (info->size + page - 1) & ~(uint64_t)(page - 1);
			areas = 1;
		}
		free(info);
		for (i = 0; i < areas && n < max; i++) {
			uint32_t val;

			if (!STEP(l, cycle, vfio_region_mmap(dev, bar, offs[i], lens[i],
							     PROT_READ | PROT_WRITE,
							     &maps[n].addr), "mmap of a BAR"))
				return -1;
			maps[n].len = lens[i];
			n++;
			if (!mmio_read32_guarded(maps[n - 1].addr, &val)) {
				lane_error(l, cycle, "read through the mapping (SIGBUS)", -EIO);
				return -1;
			}
			if (l->is_edu && bar == 0 && offs[i] == 0 && val != EDU_ID_VALUE) {
				lane_error(l, cycle, "edu ID through the mapping", -EIO);
				return -1;
			}
		}
	}
	return n;
}

static void unmap_bars(struct mapping *maps, int n)
{
	while (n-- > 0)
		munmap(maps[n].addr, maps[n].len);
}

/* Interrupts on with eventfds, one software trigger that must arrive. */
static bool irqs_on(struct lane *l, struct vfio_dev *dev, unsigned long cycle,
		    int *efds, uint32_t nvec, int *unmask_fd, int *err_fd,
		    int *req_fd, bool has_err)
{
	if (!STEP(l, cycle, irq_eventfds(efds, nvec), "eventfds") ||
	    !STEP(l, cycle, irq_set_eventfds(dev->fd, l->irq_index, 0, nvec, efds),
		  "SET_IRQS eventfds"))
		return false;
	if (l->irq_index == VFIO_PCI_INTX_IRQ_INDEX) {
		*unmask_fd = irq_eventfd();
		if (!STEP(l, cycle, *unmask_fd, "unmask eventfd") ||
		    !STEP(l, cycle, irq_unmask_eventfd(dev->fd, l->irq_index, *unmask_fd),
			  "SET_IRQS unmask eventfd"))
			return false;
	}
	*req_fd = irq_eventfd();
	if (!STEP(l, cycle, *req_fd, "REQ eventfd") ||
	    !STEP(l, cycle, irq_set_eventfd(dev->fd, VFIO_PCI_REQ_IRQ_INDEX, 0, *req_fd),
		  "SET_IRQS REQ eventfd"))
		return false;
	if (has_err) {
		*err_fd = irq_eventfd();
		if (!STEP(l, cycle, *err_fd, "ERR eventfd") ||
		    !STEP(l, cycle, irq_set_eventfd(dev->fd, VFIO_PCI_ERR_IRQ_INDEX, 0,
						    *err_fd), "SET_IRQS ERR eventfd"))
			return false;
	}
	if (!STEP(l, cycle, irq_trigger_none(dev->fd, l->irq_index, 0, 1),
		  "software trigger of vector 0"))
		return false;
	if (irq_eventfd_wait(efds[0], IRQ_WAIT_MS) <= 0) {
		lane_error(l, cycle, "software trigger did not reach the eventfd", -ETIMEDOUT);
		return false;
	}
	return true;
}

static bool irqs_off(struct lane *l, struct vfio_dev *dev, unsigned long cycle,
		     bool has_err)
{
	bool ok = true;

	if (l->irq_index == VFIO_PCI_INTX_IRQ_INDEX)
		ok &= STEP(l, cycle, irq_unmask_eventfd(dev->fd, l->irq_index, -1),
			   "SET_IRQS unmask eventfd off");
	ok &= STEP(l, cycle, irq_disable(dev->fd, l->irq_index), "SET_IRQS disable");
	ok &= STEP(l, cycle, irq_set_eventfd(dev->fd, VFIO_PCI_REQ_IRQ_INDEX, 0, -1),
		   "SET_IRQS REQ eventfd off");
	if (has_err)
		ok &= STEP(l, cycle, irq_set_eventfd(dev->fd, VFIO_PCI_ERR_IRQ_INDEX, 0, -1),
			   "SET_IRQS ERR eventfd off");
	return ok;
}

static bool ioeventfd_add_remove(struct lane *l, struct vfio_dev *dev,
				 unsigned long cycle)
{
	uint64_t off = region_file_offset(dev, l->ioevent_bar, l->ioevent_off);
	uint32_t data = 0x1eac0000 | (cycle & 0xffff), last = 0;
	int efd = irq_eventfd();
	bool ok = false;
	int ret;

	if (!STEP(l, cycle, efd, "ioeventfd's eventfd"))
		return false;
	if (!STEP(l, cycle, vfio_ioeventfd(dev->fd, VFIO_DEVICE_IOEVENTFD_32, off,
					   data, efd), "VFIO_DEVICE_IOEVENTFD add"))
		goto out;
	/* On edu the write is harmless and visible: liveness reads ~data. */
	if (l->is_edu) {
		if (!STEP(l, cycle, eventfd_signal_once(efd), "signalling the ioeventfd"))
			goto out_remove;
		ret = region_wait_value32(dev, l->ioevent_bar, l->ioevent_off, ~data,
					  IRQ_WAIT_MS, &last);
		if (!STEP(l, cycle, ret, "the ioeventfd's write to edu liveness"))
			goto out_remove;
	}
	ok = true;
out_remove:
	ok &= STEP(l, cycle, vfio_ioeventfd(dev->fd, VFIO_DEVICE_IOEVENTFD_32, off,
					    data, -1), "VFIO_DEVICE_IOEVENTFD remove");
out:
	close(efd);
	return ok;
}

static bool low_power_round(struct lane *l, struct vfio_dev *dev,
			    unsigned long cycle)
{
	struct vfio_device_low_power_entry_with_wakeup entry = { 0 };
	int efd = irq_eventfd();
	bool ok;

	if (!STEP(l, cycle, efd, "wake-up eventfd"))
		return false;
	entry.wakeup_eventfd = efd;
	ok = STEP(l, cycle, vfio_device_feature(dev->fd, VFIO_DEVICE_FEATURE_SET |
				VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
				&entry, sizeof(entry)), "LOW_POWER_ENTRY_WITH_WAKEUP");
	ok &= STEP(l, cycle, vfio_device_feature(dev->fd, VFIO_DEVICE_FEATURE_SET |
				VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0),
		   "LOW_POWER_EXIT");
	ok &= STEP(l, cycle, vfio_device_feature(dev->fd, VFIO_DEVICE_FEATURE_SET |
				VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0),
		   "LOW_POWER_ENTRY");
	ok &= STEP(l, cycle, vfio_device_feature(dev->fd, VFIO_DEVICE_FEATURE_SET |
				VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0),
		   "LOW_POWER_EXIT");
	close(efd);
	return ok;
}

static bool one_cycle(struct lane *l, unsigned long cycle)
{
	int efds[2048], unmask_fd = -1, err_fd = -1, req_fd = -1;
	struct vfio_irq_info irq = { 0 }, err = { 0 };
	struct mapping maps[16];
	struct vfio_dev dev;
	bool ok = false, has_err;
	int nmaps = 0;
	uint32_t nvec;

	memset(efds, 0xff, sizeof(efds));
	if (!STEP(l, cycle, vfio_dev_open(&dev, l->f.bdf), "opening the device"))
		return false;
	if (!STEP(l, cycle, vfio_device_get_irq_info(dev.fd, l->irq_index, &irq),
		  "irq info"))
		goto out_close;
	has_err = !vfio_device_get_irq_info(dev.fd, VFIO_PCI_ERR_IRQ_INDEX, &err) &&
		  err.count;
	nvec = irq.count < ARRAY_SIZE(efds) ? irq.count : ARRAY_SIZE(efds);
	if (!nvec) {
		lane_error(l, cycle, "the interrupt index has no vectors", -ENODEV);
		goto out_close;
	}

	if (!irqs_on(l, &dev, cycle, efds, nvec, &unmask_fd, &err_fd, &req_fd, has_err))
		goto out_irqs;
	if (!STEP(l, cycle, vfio_set_memory_decode(&dev, true), "memory decode on"))
		goto out_irqs;
	nmaps = map_bars(l, &dev, cycle, maps, ARRAY_SIZE(maps));
	if (nmaps < 0) {
		nmaps = 0;
		goto out_irqs;
	}
	if (l->ioevent_bar >= 0 && !ioeventfd_add_remove(l, &dev, cycle))
		goto out_irqs;
	ok = true;
out_irqs:
	ok &= irqs_off(l, &dev, cycle, has_err);
	unmap_bars(maps, nmaps);
	/* After the unmap: low power entry revokes mappings anyway. */
	if (ok && l->low_power)
		ok = low_power_round(l, &dev, cycle);
	irq_eventfds_close(efds, nvec);
	if (unmask_fd >= 0)
		close(unmask_fd);
	if (err_fd >= 0)
		close(err_fd);
	if (req_fd >= 0)
		close(req_fd);
out_close:
	vfio_dev_close(&dev);
	return ok;
}

static void run_cycles(struct lane *l, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (!one_cycle(l, l->done))
			l->failed++;
		l->done++;
	}
}

/* ---- lanes ------------------------------------------------------------------ */

static bool lane_setup(struct lane *l, const struct pci_func *f, uint32_t index,
		       const char *mode)
{
	uint32_t table_off, pba_off, table_end = 0;
	struct vfio_dev dev;
	int bar, msix_bar, pba_bar;

	memset(l, 0, sizeof(*l));
	l->f = *f;
	l->irq_index = index;
	l->mode = mode;
	l->is_edu = !strcmp(f->kind, "edu");
	l->ioevent_bar = -1;
	if (vfio_dev_open(&dev, f->bdf))
		return false;
	l->low_power = vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_PROBE |
					   VFIO_DEVICE_FEATURE_SET |
					   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
					   NULL, 0) == 0;

	/* The ioeventfd: edu's liveness, else a BAR's first word off the table. */
	msix_bar = pci_msix_table_bar(f->bdf, &table_off, &pba_bar, &pba_off);
	if (msix_bar >= 0) {
		struct vfio_irq_info info = { 0 };

		vfio_device_get_irq_info(dev.fd, VFIO_PCI_MSIX_IRQ_INDEX, &info);
		table_end = table_off + info.count * 16;
	}
	for (bar = 0; bar < LEAK_NUM_BARS && l->ioevent_bar < 0; bar++) {
		struct pci_resource res[PCI_SYSFS_RESOURCES];
		uint64_t off = 0;

		if (pci_resources(f->bdf, res) <= bar || !pci_bar_is_memory(&res[bar]) ||
		    !(dev.regions[bar].flags & VFIO_REGION_INFO_FLAG_WRITE))
			continue;
		if (l->is_edu)
			off = EDU_LIVENESS;
		else if (bar == msix_bar && table_off < 4)
			off = (table_end + 7) & ~7u;
		else if (bar == pba_bar && pba_off < 4)
			continue;
		if (off + 4 > dev.regions[bar].size)
			continue;
		l->ioevent_bar = bar;
		l->ioevent_off = off;
	}
	vfio_dev_close(&dev);
	return true;
}

static void report_snapshot(const char *when, const struct snapshot *s)
{
	tap_diag("  %-6s unreclaimable slab %lld B; Slab %lld kB, SUnreclaim %lld kB, VmallocUsed %lld kB, Percpu %lld kB; vmalloc areas %d (+%d unpurged); vfio irq lines %d; fds %d; refcnt vfio_pci_core %d vfio_pci %d; runtime %s",
		 when, s->unreclaimable, s->slab_kb, s->sunreclaim_kb, s->vmalloc_kb,
		 s->percpu_kb, s->vmalloc_areas, s->vmalloc_unpurged, s->vfio_irqs,
		 s->nfds, s->core_refs, s->pci_refs, s->runtime);
}

/* The caches that grew most from @a to @b, by bytes; and vmalloc callers. */
static void report_growth(const struct snapshot *a, const struct snapshot *b,
			  const char *what)
{
	bool picked[MAX_CACHES] = { false };
	int k, i, shown = 0;

	for (k = 0; k < TOP_CACHES; k++) {
		long long best = 0;
		int best_i = -1;

		for (i = 0; i < nslabs; i++) {
			long long g = (b->objs[i] - a->objs[i]) * slabs[i].size;

			if (!picked[i] && g > best) {
				best = g;
				best_i = i;
			}
		}
		if (best_i < 0)
			break;
		picked[best_i] = true;
		tap_diag("  %s: %-24s %+lld objects of %lld B (%+lld B)%s", what,
			 slabs[best_i].name, b->objs[best_i] - a->objs[best_i],
			 slabs[best_i].size, best,
			 slabs[best_i].reclaimable ? " (reclaimable)" :
			 !slabs[best_i].judged ? " (not judged)" :
			 !slabs[best_i].in_bytes ? " (objects judged, bytes not)" : "");
		shown++;
	}
	for (i = 0; i < b->ncallers; i++) {
		int g = b->callers[i].areas - caller_areas(a, b->callers[i].name);

		if (g <= 0)
			continue;
		tap_diag("  %s: vmalloc areas of %s %+d", what, b->callers[i].name, g);
		shown++;
	}
	if (!shown)
		tap_diag("  %s: no cache and no vmalloc caller grew", what);
}

static long long min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

/*
 * Whether the lane passes the growth bounds: the smaller growth of the two
 * halves (see the top of the file).  @why gets the first reason it fails.
 */
static bool growth_ok(const struct lane *l, char *why, size_t len)
{
	const struct snapshot *s = l->snap;
	unsigned long half = cycles / 2;
	long long bytes, areas, vm, pc;
	int i;

	bytes = min_ll(s[1].unreclaimable - s[0].unreclaimable,
		       s[2].unreclaimable - s[1].unreclaimable);
	if (bytes >= (long long)(LEAK_BYTES_PER_CYCLE * half)) {
		snprintf(why, len, "unreclaimable slab grew by %lld B in each half of %lu cycles (bound %lu B)",
			 bytes, half, LEAK_BYTES_PER_CYCLE * half);
		return false;
	}
	for (i = 0; i < nslabs; i++) {
		long long g1 = s[1].objs[i] - s[0].objs[i];
		long long g2 = s[2].objs[i] - s[1].objs[i];

		if (!slabs[i].judged)
			continue;
		if (min_ll(g1, g2) >= (long long)(half / 2)) {
			snprintf(why, len, "cache %s grew by %lld and %lld objects in the halves of %lu cycles (bound %lu)",
				 slabs[i].name, g1, g2, half, half / 2);
			return false;
		}
	}
	areas = min_ll(s[1].vmalloc_areas - s[0].vmalloc_areas,
		       s[2].vmalloc_areas - s[1].vmalloc_areas);
	if (areas >= (long long)(half / 2)) {
		snprintf(why, len, "live vmalloc areas grew by %lld in each half (bound %lu)",
			 areas, half / 2);
		return false;
	}
	vm = (s[2].vmalloc_kb - s[0].vmalloc_kb) * 1024;
	pc = (s[2].percpu_kb - s[0].percpu_kb) * 1024;
	if (vm >= (long long)(LEAK_PAGES_BYTES_PER_CYCLE * cycles) ||
	    pc >= (long long)(LEAK_PAGES_BYTES_PER_CYCLE * cycles)) {
		snprintf(why, len, "VmallocUsed grew by %lld B, Percpu by %lld B over %lu cycles (bound %lu B each)",
			 vm, pc, cycles, LEAK_PAGES_BYTES_PER_CYCLE * cycles);
		return false;
	}
	return true;
}

static bool state_ok(const struct lane *l, char *why, size_t len)
{
	const struct snapshot *a = &l->snap[0], *b = &l->snap[2];

	if (b->vfio_irqs != a->vfio_irqs) {
		snprintf(why, len, "%d lines of /proc/interrupts name vfio, %d before",
			 b->vfio_irqs, a->vfio_irqs);
		return false;
	}
	if (b->core_refs != a->core_refs || b->pci_refs != a->pci_refs) {
		snprintf(why, len, "module refcnt vfio_pci_core %d vfio_pci %d, before %d %d",
			 b->core_refs, b->pci_refs, a->core_refs, a->pci_refs);
		return false;
	}
	if (strcmp(b->runtime, a->runtime)) {
		snprintf(why, len, "runtime PM status \"%s\", before \"%s\"",
			 b->runtime, a->runtime);
		return false;
	}
	return true;
}

/* Measures after @ms, again (longer) while the lane looks leaky. */
static void measure_point(struct lane *l, int idx)
{
	char why[256];
	int tries;

	for (tries = 0; ; tries++) {
		measure(&l->snap[idx], l->f.bdf, tries ? SETTLE_RETRY_MS : SETTLE_MS);
		if (idx < 2 || tries == SETTLE_RETRIES ||
		    (growth_ok(l, why, sizeof(why)) && state_ok(l, why, sizeof(why))))
			break;
		tap_diag("%s %s: %s; measuring again after %d ms", l->f.bdf, l->mode,
			 why, SETTLE_RETRY_MS);
	}
}

static void run_lane(struct lane *l)
{
	unsigned long half = cycles / 2;
	double start;

	tap_diag("%s (%s) %s: %d warm-up cycles, then %lu in two halves; ioeventfd %s%s",
		 l->f.bdf, l->f.kind, l->mode, WARMUP_CYCLES, half * 2,
		 l->ioevent_bar >= 0 ? "on a BAR" : "none (no memory BAR)",
		 l->low_power ? ", low power entry/exit" : "");
	run_cycles(l, WARMUP_CYCLES);
	measure_point(l, 0);
	start = now();
	run_cycles(l, half);
	l->secs = now() - start;
	measure_point(l, 1);
	start = now();
	run_cycles(l, half);
	l->secs += now() - start;
	measure_point(l, 2);
	l->measured = true;

	tap_diag("%s %s: %lu cycles in %.1f s (%.1f ms each), %lu failed", l->f.bdf,
		 l->mode, half * 2, l->secs, l->secs * 1000 / (half * 2), l->failed);
	report_snapshot("before", &l->snap[0]);
	report_snapshot("half", &l->snap[1]);
	report_snapshot("after", &l->snap[2]);
	report_growth(&l->snap[0], &l->snap[1], "first half");
	report_growth(&l->snap[1], &l->snap[2], "second half");
}

static void case_cycles(struct lane *l)
{
	tap_case_begin("leak_cycles_all_succeed %s %s", l->f.bdf, l->mode);
	tap_check(l->failed == 0, "%lu of %lu cycles (warm-up included) had a failed step",
		  l->failed, l->done);
	tap_case_end();
}

static void case_slab(struct lane *l)
{
	const struct snapshot *s = l->snap;
	unsigned long half = cycles / 2;
	long long g1 = s[1].unreclaimable - s[0].unreclaimable;
	long long g2 = s[2].unreclaimable - s[1].unreclaimable;
	char why[256];

	tap_case_begin("leak_slab_vmalloc_percpu_growth_below_bounds %s %s",
		       l->f.bdf, l->mode);
	tap_diag("unreclaimable slab: %+lld B then %+lld B over halves of %lu cycles: %+.1f B/cycle judged (the smaller), bound %d B/cycle",
		 g1, g2, half, (double)min_ll(g1, g2) / half, LEAK_BYTES_PER_CYCLE);
	tap_diag("one leaked kmalloc-32 object per cycle would add %lu B per half (bound %lu); any one object per cycle adds %lu objects to its cache per half (bound %lu)",
		 32 * half, LEAK_BYTES_PER_CYCLE * half, half, half / 2);
	tap_diag("Slab %+lld kB, SUnreclaim %+lld kB, VmallocUsed %+lld kB, Percpu %+lld kB, vmalloc areas %+d then %+d",
		 s[2].slab_kb - s[0].slab_kb, s[2].sunreclaim_kb - s[0].sunreclaim_kb,
		 s[2].vmalloc_kb - s[0].vmalloc_kb, s[2].percpu_kb - s[0].percpu_kb,
		 s[1].vmalloc_areas - s[0].vmalloc_areas,
		 s[2].vmalloc_areas - s[1].vmalloc_areas);
	if (l->done < WARMUP_CYCLES + cycles)
		tap_check(false, "only %lu cycles ran", l->done);
	else if (!growth_ok(l, why, sizeof(why)))
		tap_check(false, "%s", why);
	tap_case_end();
}

static void case_state(struct lane *l)
{
	const struct snapshot *a = &l->snap[0], *b = &l->snap[2];
	int i, j;
	char why[256];

	tap_case_begin("leak_irqs_fds_refs_power_back_to_baseline %s %s",
		       l->f.bdf, l->mode);
	if (!state_ok(l, why, sizeof(why)))
		tap_check(false, "%s", why);
	tap_check(b->nfds == a->nfds, "%d fds open, %d before the cycles", b->nfds, a->nfds);
	for (i = 0; i < b->nfds; i++) {
		const char *t = strstr(b->fds[i], " -> ");

		for (j = 0; j < a->nfds && strcmp(a->fds[j], b->fds[i]); j++)
			;
		if (j < a->nfds)
			continue;
		tap_check(!strstr(t, "vfio") && !strstr(t, "anon_inode"),
			  "left open after the cycles: fd %s", b->fds[i]);
	}
	tap_case_end();
}

static int pick(struct pci_func *funcs, int n, const char *kind)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(funcs[i].kind, kind))
			return i;
	return -1;
}

/* MSI-X, else MSI, else INTx; and INTx besides when the function has it. */
static int device_lanes(const struct pci_func *f, struct lane *lanes)
{
	static const uint32_t order[] = { VFIO_PCI_MSIX_IRQ_INDEX,
					  VFIO_PCI_MSI_IRQ_INDEX,
					  VFIO_PCI_INTX_IRQ_INDEX };
	static const char * const names[] = { "msix", "msi", "intx" };
	uint32_t count[ARRAY_SIZE(order)] = { 0 };
	struct vfio_irq_info info;
	struct vfio_dev dev;
	int nlanes = 0;
	size_t k;

	if (vfio_dev_open(&dev, f->bdf))
		return 0;
	for (k = 0; k < ARRAY_SIZE(order); k++)
		if (!vfio_device_get_irq_info(dev.fd, order[k], &info))
			count[k] = info.count;
	vfio_dev_close(&dev);
	for (k = 0; k < ARRAY_SIZE(order) && !nlanes; k++)
		if (count[k] && lane_setup(&lanes[nlanes], f, order[k], names[k]))
			nlanes++;
	if (nlanes && k < ARRAY_SIZE(order) && count[ARRAY_SIZE(order) - 1] &&
	    lane_setup(&lanes[nlanes], f, VFIO_PCI_INTX_IRQ_INDEX, "intx"))
		nlanes++;
	return nlanes;
}

int main(void)
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	static struct lane lanes[8];
	static const struct {
		const char *kind;
		uint32_t index;
		const char *mode;
	} plan[] = {
		{ "edu", VFIO_PCI_MSI_IRQ_INDEX, "msi" },
		{ "edu", VFIO_PCI_INTX_IRQ_INDEX, "intx" },
		{ "e1000e", VFIO_PCI_MSIX_IRQ_INDEX, "msix" },
		{ "nvme", VFIO_PCI_MSIX_IRQ_INDEX, "msix" },
	};
	int n, nlanes = 0, i;
	size_t p;

	cycles = stress_env_number("VFIO_LEAK_CYCLES", DEFAULT_CYCLES, MIN_CYCLES) & ~1UL;
	measure_setup();
	n = vfio_zoo_functions_or_skip(funcs, ARRAY_SIZE(funcs));

	if (getenv("VFIO_TEST_DEVICE") && *getenv("VFIO_TEST_DEVICE")) {
		/* That function: its best interrupt mode, and INTx as well. */
		for (i = 0; i < n && !nlanes; i++)
			nlanes = device_lanes(&funcs[i], lanes);
	} else {
		for (p = 0; p < ARRAY_SIZE(plan); p++) {
			i = pick(funcs, n, plan[p].kind);
			if (i >= 0 && lane_setup(&lanes[nlanes], &funcs[i], plan[p].index,
						 plan[p].mode))
				nlanes++;
		}
	}
	if (!nlanes)
		tap_skip_all("none of edu, e1000e, nvme (or $VFIO_TEST_DEVICE) could be opened");

	tap_plan(nlanes * 3);
	stress_hung_task_timeout(HUNG_TASK_SECS);
	tap_diag("%lu cycles per lane (VFIO_LEAK_CYCLES), %d warm-up; driver %s",
		 cycles, WARMUP_CYCLES, vfio_test_driver_name());
	for (i = 0; i < nlanes; i++) {
		run_lane(&lanes[i]);
		case_cycles(&lanes[i]);
		case_slab(&lanes[i]);
		case_state(&lanes[i]);
	}
	tap_finish();
}
