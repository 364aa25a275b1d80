// SPDX-License-Identifier: GPL-2.0-only
/*
 * Migration of QEMU's edu through edu/edu-vfio-pci.ko, a variant driver on
 * our vfio-pci-core: the VFIO_DEVICE_FEATURE_MIGRATION states, the data fd,
 * PRE_COPY, MIG_DATA_SIZE and reset, and round trips of the device's state
 * from one edu (A, the first in BDF order) to the other (B).
 *
 * The expectations come from the uAPI text of <linux/vfio.h> and from what
 * edu-vfio-pci promises to carry: liveness, factorial, status bit 7, irq
 * status (raised again on B when it runs), DMA src/dst/cnt, the direction
 * bit of the DMA command and the device's 4 KiB DMA buffer.  edu cannot
 * read its buffer out by MMIO, so the driver borrows a page of the user's
 * own DMA mapping (read+write, below edu's 28-bit mask) and puts its bytes
 * back: every container here maps one such buffer (struct vfio_dma_buf).
 * The zoo's QEMU (7.2) lets no DMA reach the buffer's last byte (see
 * EDU_DMA_REACHABLE), so the test compares its first 4095 bytes.
 *
 * The first case runs on both lanes: the lane's plain vfio-pci has no
 * migration for edu.  The rest is ours only.  The cases run in order and
 * share the module, the binding and the open devices; a case whose
 * precondition failed earlier skips and names it.  The last cases close
 * everything, unload the module and give both edus back to vfio-pci.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "edu_util.h"
#include "irq_util.h"
#include "reset_util.h"
#include "vfio_util.h"

/* What this program needs of the 6.2+ uAPI when the libc headers are older. */
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY		(1 << 2)
#define VFIO_DEVICE_STATE_PRE_COPY	6
#define VFIO_DEVICE_STATE_PRE_COPY_P2P	7
#endif
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
#endif
#ifndef VFIO_MIG_GET_PRECOPY_INFO
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};
#define VFIO_MIG_GET_PRECOPY_INFO	_IO(VFIO_TYPE, VFIO_BASE + 21)
#endif

#define ST_ERROR	0	/* VFIO_DEVICE_STATE_ERROR */
#define ST_STOP		1
#define ST_RUNNING	2
#define ST_STOP_COPY	3
#define ST_RESUMING	4
#define ST_RUNNING_P2P	5
#define ST_PRE_COPY	6
#define ST_PRE_COPY_P2P	7

#define VFIO_PCI		"vfio-pci"
#define EDU_DRIVER		"edu-vfio-pci"
#define EDU_MODULE		"edu_vfio_pci"
/* Relative to the directory of this program. */
#define EDU_KO			"../../../../edu/edu-vfio-pci.ko"
#define OURS_ONLY		"edu-vfio-pci is built on our vfio-pci-core"

#define NODE_TIMEOUT_MS		5000
/* The DMA buffer of each container: 4 pages at 1 MiB, below edu's mask. */
#define DMA_IOVA		0x100000ULL
#define DMA_SIZE		(4 * 4096)
#define PAGE			4096
#define STREAM_MAX		(256 * 1024)

enum { A, B };

struct edu_regs {
	uint32_t liveness;
	uint32_t factorial;
	uint32_t status;
	uint32_t irq_status;
	uint64_t dma_src;
	uint64_t dma_dst;
	uint64_t dma_cnt;
	uint64_t dma_cmd;
};

static struct {
	struct pci_func func[2];
	int nfuncs;
	char ko[PATH_MAX];
	bool loaded;		/* by us, so ours to unload */
	bool bound;		/* both edus to edu-vfio-pci */
	bool open;		/* both devices open, mapped, MSI on */
	struct vfio_dev dev[2];
	struct vfio_dma_buf dma[2];
	int msi[2];		/* MSI eventfds */
	uint64_t data_size;	/* MIG_DATA_SIZE of A */
	uint8_t stream[STREAM_MAX];	/* a complete stream of A */
	size_t stream_len;
} t;

static uint8_t scratch[STREAM_MAX];

static const char *const state_names[] = {
	"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P",
	"PRE_COPY", "PRE_COPY_P2P",
};

static const char *st_name(uint32_t s)
{
	return s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

static bool is_saving(uint32_t s)
{
	return s == ST_STOP_COPY || s == ST_PRE_COPY || s == ST_PRE_COPY_P2P;
}

static bool needs(bool state, const char *what)
{
	if (!state)
		tap_case_skip("needs %s, which failed above", what);
	return !state;
}

/* Ours only, and the devices open: the precondition of most cases. */
static bool needs_devices(void)
{
	if (vfio_test_case_ours_only(OURS_ONLY))
		return true;
	return needs(t.open, "both edus open under " EDU_DRIVER);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- the migration uAPI ------------------------------------------------- */

static int mig_get(struct vfio_dev *dev, uint32_t *state)
{
	struct vfio_device_feature_mig_state st = { .data_fd = -1 };
	int ret;

	ret = vfio_device_feature(dev->fd, VFIO_DEVICE_FEATURE_GET |
				  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
				  &st, sizeof(st));
	if (ret >= 0)
		*state = st.device_state;
	return ret;
}

/* SET_STATE; *data_fd is the new session's fd or -1. */
static int mig_set(struct vfio_dev *dev, uint32_t state, int *data_fd)
{
	struct vfio_device_feature_mig_state st = {
		.device_state = state,
		.data_fd = -1,
	};
	int ret;

	ret = vfio_device_feature_rw(dev->fd, VFIO_DEVICE_FEATURE_SET |
				     VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
				     &st, sizeof(st));
	*data_fd = ret >= 0 ? st.data_fd : -1;
	return ret;
}

static bool expect_state(struct vfio_dev *dev, uint32_t want, const char *when)
{
	uint32_t got = ~0u;
	char what[96];

	snprintf(what, sizeof(what), "GET MIG_DEVICE_STATE %s", when);
	if (!EXPECT_OK(mig_get(dev, &got), what))
		return false;
	return tap_check(got == want, "%s: expected %s, got %s (%u)", what,
			 st_name(want), st_name(got), got);
}

/*
 * SET_STATE to @state that must work, then GET must say so.  @fd (may be
 * NULL) receives the data fd; without @fd a returned fd is closed.
 */
static bool set_ok(struct vfio_dev *dev, uint32_t state, int *fd)
{
	char what[64];
	int data_fd;

	snprintf(what, sizeof(what), "SET_STATE %s", st_name(state));
	if (!EXPECT_OK(mig_set(dev, state, &data_fd), what))
		return false;
	if (fd)
		*fd = data_fd;
	else
		close_fd(&data_fd);
	snprintf(what, sizeof(what), "after SET_STATE %s", st_name(state));
	return expect_state(dev, state, what);
}

/* SET_STATE to a state that starts a session: the fd must come. */
static bool set_session(struct vfio_dev *dev, uint32_t state, int *fd)
{
	if (!set_ok(dev, state, fd))
		return false;
	return tap_check(*fd >= 0, "SET_STATE %s: expected a data_fd, got %d",
			 st_name(state), *fd);
}

static int precopy_info(int fd, struct vfio_precopy_info *info, uint32_t argsz)
{
	memset(info, 0, sizeof(*info));
	info->argsz = argsz;
	return vfio_ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, info);
}

static int data_size(struct vfio_dev *dev, uint64_t *len)
{
	struct vfio_device_feature_mig_data_size sz = { 0 };
	int ret;

	ret = vfio_device_feature(dev->fd, VFIO_DEVICE_FEATURE_GET |
				  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
				  &sz, sizeof(sz));
	if (ret >= 0)
		*len = sz.stop_copy_length;
	return ret;
}

/* One read() or write() as 0/count or -errno. */
static ssize_t fd_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

static ssize_t fd_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
}

static const size_t whole[] = { PAGE };

/*
 * Reads @fd into @buf from *len on, in reads of the sizes @sizes (cycled),
 * until read() returns 0 (returns 0) or fails (returns -errno: ENOMSG at
 * PRE_COPY's temporary end).  -EFBIG when @cap is reached.
 */
static int read_stream(int fd, uint8_t *buf, size_t cap, size_t *len,
		       const size_t *sizes, size_t nsizes)
{
	size_t i = 0, want;
	ssize_t n;

	for (;;) {
		want = sizes[i++ % nsizes];
		if (*len + want > cap)
			return -EFBIG;
		n = fd_read(fd, buf + *len, want);
		if (n <= 0)
			return n;
		*len += n;
	}
}

/* Writes all of @buf in writes of @sizes (cycled); 0 or -errno. */
static int write_stream(int fd, const uint8_t *buf, size_t len,
			const size_t *sizes, size_t nsizes)
{
	size_t off = 0, i = 0, want;
	ssize_t n;

	while (off < len) {
		want = sizes[i++ % nsizes];
		if (want > len - off)
			want = len - off;
		n = fd_write(fd, buf + off, want);
		if (n < 0)
			return n;
		if (n == 0)
			return -EIO;
		off += n;
	}
	return 0;
}

/* ---- edu state ---------------------------------------------------------- */

static bool read_regs(struct vfio_dev *dev, struct edu_regs *r)
{
	return EXPECT_OK(edu_read32(dev, EDU_REG_LIVENESS, &r->liveness), "reading liveness") &&
	       EXPECT_OK(edu_read32(dev, EDU_REG_FACTORIAL, &r->factorial), "reading factorial") &&
	       EXPECT_OK(edu_read32(dev, EDU_REG_STATUS, &r->status), "reading status") &&
	       EXPECT_OK(edu_irq_status(dev, &r->irq_status), "reading irq status") &&
	       EXPECT_OK(edu_read64(dev, EDU_REG_DMA_SRC, &r->dma_src), "reading DMA src") &&
	       EXPECT_OK(edu_read64(dev, EDU_REG_DMA_DST, &r->dma_dst), "reading DMA dst") &&
	       EXPECT_OK(edu_read64(dev, EDU_REG_DMA_CNT, &r->dma_cnt), "reading DMA cnt") &&
	       EXPECT_OK(edu_read64(dev, EDU_REG_DMA_CMD, &r->dma_cmd), "reading DMA cmd");
}

static void expect_regs(const struct edu_regs *got, const struct edu_regs *want)
{
	EXPECT_EQ_HEX(got->liveness, want->liveness, "liveness (0x04) on B");
	EXPECT_EQ_HEX(got->factorial, want->factorial, "factorial (0x08) on B");
	EXPECT_EQ_HEX(got->status & EDU_STATUS_IRQFACT, want->status & EDU_STATUS_IRQFACT,
		      "status bit 7 (0x20) on B");
	EXPECT_EQ_HEX(got->irq_status, want->irq_status, "irq status (0x24) on B");
	EXPECT_EQ_HEX(got->dma_src, want->dma_src, "DMA src (0x80) on B");
	EXPECT_EQ_HEX(got->dma_dst, want->dma_dst, "DMA dst (0x88) on B");
	EXPECT_EQ_HEX(got->dma_cnt, want->dma_cnt, "DMA cnt (0x90) on B");
	EXPECT_EQ_HEX(got->dma_cmd & EDU_DMA_TO_RAM, want->dma_cmd & EDU_DMA_TO_RAM,
		      "DMA cmd direction bit (0x98 bit 1) on B");
}

static uint8_t *dma_page(int which, int page)
{
	return (uint8_t *)t.dma[which].vaddr + page * PAGE;
}

/*
 * Puts a state of its own into A (@seed tells states apart): liveness,
 * 10! with status bit 7 off, a pattern DMAed into the buffer and back out
 * (so the last command's direction is device->RAM), src/dst/cnt left at
 * distinct values, irq bit 8 + @seed raised (MSI on A) and left unacked.
 * Then reads the registers into @saved.
 */
static bool prepare_a(int seed, struct edu_regs *saved)
{
	struct vfio_dev *a = &t.dev[A];
	uint32_t val, bit = 1u << (8 + seed);

	if (!EXPECT_OK(edu_ack(a, ~0u), "acknowledging every irq on A") ||
	    !EXPECT_OK(edu_write32(a, EDU_REG_LIVENESS, 0x5a5a0000u | seed),
		       "writing liveness on A") ||
	    !EXPECT_OK(edu_write32(a, EDU_REG_STATUS, 0), "clearing status bit 7 on A") ||
	    !EXPECT_OK(edu_factorial(a, 10, &val), "10! on A") ||
	    !EXPECT_EQ(val, 3628800, "10! on A"))
		return false;
	edu_fill_pattern(dma_page(A, 0), PAGE, seed);
	memset(dma_page(A, 1), 0, PAGE);
	if (!EXPECT_OK(edu_dma(a, DMA_IOVA, 0, EDU_DMA_REACHABLE, false),
		       "DMA of the pattern RAM->device on A") ||
	    !EXPECT_OK(edu_dma(a, DMA_IOVA + PAGE, 0, EDU_DMA_REACHABLE, true),
		       "DMA of the buffer device->RAM on A") ||
	    !tap_expect_bytes(dma_page(A, 1), dma_page(A, 0), EDU_DMA_REACHABLE,
			      "A's buffer DMAed back to RAM"))
		return false;
	if (!EXPECT_OK(edu_write64(a, EDU_REG_DMA_SRC, 0x11110000ull + seed), "DMA src on A") ||
	    !EXPECT_OK(edu_write64(a, EDU_REG_DMA_DST, 0x22220000ull + seed), "DMA dst on A") ||
	    !EXPECT_OK(edu_write64(a, EDU_REG_DMA_CNT, 0x333 + seed), "DMA cnt on A"))
		return false;
	irq_eventfd_take(t.msi[A]);
	if (!EXPECT_OK(edu_raise(a, bit), "raising an irq bit on A") ||
	    !irq_expect_signal(t.msi[A], "MSI of A's raise"))
		return false;
	if (!read_regs(a, saved))
		return false;
	/* What the checks on B rely on: every carried field set apart. */
	return EXPECT_EQ_HEX(saved->irq_status, bit, "irq status on A") &&
	       EXPECT_EQ_HEX(saved->dma_cmd & EDU_DMA_TO_RAM, EDU_DMA_TO_RAM,
			     "DMA cmd direction bit on A") &&
	       EXPECT_EQ_HEX(saved->liveness, ~(0x5a5a0000u | seed), "liveness on A");
}

/*
 * A: STOP, then STOP_COPY and the whole stream into @buf in reads of
 * @sizes, checking that A's mapping is unchanged by the save; A is left in
 * STOP.
 */
static bool save_a(uint8_t *buf, size_t *len, const size_t *sizes, size_t nsizes)
{
	uint8_t *before = malloc(DMA_SIZE);
	uint8_t extra;
	bool ok = false;
	int fd = -1, ret;

	if (!before)
		return tap_check(false, "out of memory");
	*len = 0;
	memcpy(before, t.dma[A].vaddr, DMA_SIZE);
	if (!set_ok(&t.dev[A], ST_STOP, NULL) ||
	    !set_session(&t.dev[A], ST_STOP_COPY, &fd))
		goto out;
	ret = read_stream(fd, buf, STREAM_MAX, len, sizes, nsizes);
	if (!EXPECT_EQ(ret, 0, "reading A's stream to its end (0: read returned 0)"))
		goto out;
	EXPECT_EQ(fd_read(fd, &extra, 1), 0, "read after the end of STOP_COPY (permanent EOF)");
	EXPECT_TRUE(*len > 0, "STOP_COPY stream length > 0");
	ok = tap_expect_bytes(t.dma[A].vaddr, before, DMA_SIZE,
			      "A's DMA mapping after STOP_COPY was read");
out:
	close_fd(&fd);
	free(before);
	return ok;
}

/*
 * B: STOP, RESUMING, @len bytes of @buf in writes of @sizes, STOP (B's
 * mapping unchanged, no interrupt while stopped), then RUNNING (through
 * RUNNING_P2P when @via_p2p) with the raised irq arriving on B's MSI
 * eventfd as B leaves STOP, and B's registers and buffer equal to A's.
 */
static void load_b_and_check(const uint8_t *buf, size_t len, const size_t *sizes,
			     size_t nsizes, const struct edu_regs *saved, int seed,
			     bool via_p2p)
{
	struct vfio_dev *b = &t.dev[B];
	struct edu_regs got;
	uint8_t *before = malloc(DMA_SIZE);
	uint32_t val;
	int fd = -1;

	if (!before) {
		tap_check(false, "out of memory");
		return;
	}
	edu_fill_pattern(t.dma[B].vaddr, DMA_SIZE, seed + 100);
	memcpy(before, t.dma[B].vaddr, DMA_SIZE);
	edu_ack(b, ~0u);
	if (!set_ok(b, ST_STOP, NULL) || !set_session(b, ST_RESUMING, &fd))
		goto out;
	if (!EXPECT_OK(write_stream(fd, buf, len, sizes, nsizes), "writing the stream to B"))
		goto out;
	irq_eventfd_take(t.msi[B]);
	if (!set_ok(b, ST_STOP, NULL))
		goto out;
	close_fd(&fd);
	tap_expect_bytes(t.dma[B].vaddr, before, DMA_SIZE, "B's DMA mapping after the load");
	irq_expect_quiet(t.msi[B], "B's MSI while B is in STOP");
	if (via_p2p) {
		if (!set_ok(b, ST_RUNNING_P2P, NULL))
			goto out;
		irq_expect_signal(t.msi[B],
				  "B's MSI for the pending irq status once RUNNING_P2P");
	}
	if (!set_ok(b, ST_RUNNING, NULL))
		goto out;
	if (!via_p2p)
		irq_expect_signal(t.msi[B],
				  "B's MSI for the pending irq status once RUNNING");
	if (read_regs(b, &got))
		expect_regs(&got, saved);
	if (EXPECT_OK(edu_factorial(b, 5, &val), "5! on B"))
		EXPECT_EQ(val, 120, "5! on B (the engine still works)");
	memset(dma_page(B, 1), 0, PAGE);
	edu_fill_pattern(before, PAGE, seed);
	if (EXPECT_OK(edu_dma(b, DMA_IOVA + PAGE, 0, EDU_DMA_REACHABLE, true),
		      "DMA of B's buffer device->RAM"))
		tap_expect_bytes(dma_page(B, 1), before, EDU_DMA_REACHABLE,
				 "B's buffer against A's pattern");
	EXPECT_OK(edu_ack(b, ~0u), "acknowledging B's irqs");
out:
	close_fd(&fd);
	free(before);
}

/* ---- setup -------------------------------------------------------------- */

static bool expect_driver(const char *bdf, const char *want)
{
	char driver[64];

	if (!EXPECT_OK(pci_driver_name(bdf, driver, sizeof(driver)),
		       "reading the bound driver"))
		return false;
	return EXPECT_STREQ(driver, want, "bound driver");
}

static bool open_one(int i)
{
	struct vfio_dev *dev = &t.dev[i];
	int ret;

	if (!EXPECT_OK(vfio_dev_open(dev, t.func[i].bdf), t.func[i].bdf))
		return false;
	ret = vfio_dma_buf_map(dev, &t.dma[i], DMA_IOVA, DMA_SIZE,
			       VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if (!EXPECT_OK(ret, "VFIO_IOMMU_MAP_DMA of 16 KiB at IOVA 1 MiB"))
		return false;
	if (!EXPECT_OK(irq_enable_decode_and_master(dev), "memory decode and bus master"))
		return false;
	t.msi[i] = irq_eventfd();
	if (!EXPECT_OK(t.msi[i], "eventfd"))
		return false;
	return EXPECT_OK(irq_set_eventfd(dev->fd, VFIO_PCI_MSI_IRQ_INDEX, 0, t.msi[i]),
			 "MSI on an eventfd");
}

static void close_one(int i)
{
	if (t.dev[i].fd >= 0) {
		edu_ack(&t.dev[i], ~0u);
		irq_disable(t.dev[i].fd, VFIO_PCI_MSI_IRQ_INDEX);
	}
	close_fd(&t.msi[i]);
	vfio_dma_buf_free(&t.dev[i], &t.dma[i]);
	if (t.dev[i].fd >= 0)
		vfio_dev_close(&t.dev[i]);
	t.dev[i].fd = t.dev[i].group_fd = t.dev[i].container_fd = -1;
}

/* ---- cases -------------------------------------------------------------- */

/* Both lanes: the lane's own vfio-pci, with A bound to it by the runner. */
static void plain_vfio_pci_has_no_migration(void)
{
	struct vfio_device_feature_migration mig = { 0 };
	struct vfio_device_feature_mig_state st = { 0 };
	struct vfio_dev dev;

	if (!expect_driver(t.func[A].bdf, VFIO_PCI))
		return;
	if (!EXPECT_OK(vfio_dev_open(&dev, t.func[A].bdf), "opening A under vfio-pci"))
		return;
	EXPECT_ERRNO(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_PROBE |
					 VFIO_DEVICE_FEATURE_MIGRATION, NULL, 0),
		     ENOTTY, "FEATURE PROBE MIGRATION");
	EXPECT_ERRNO(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_GET |
					 VFIO_DEVICE_FEATURE_MIGRATION, &mig, sizeof(mig)),
		     ENOTTY, "FEATURE GET MIGRATION");
	EXPECT_ERRNO(vfio_device_feature(dev.fd, VFIO_DEVICE_FEATURE_GET |
					 VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st)),
		     ENOTTY, "FEATURE GET MIG_DEVICE_STATE");
	vfio_dev_close(&dev);
}

static void module_loads(void)
{
	if (vfio_test_case_ours_only(OURS_ONLY))
		return;
	if (!tap_check(access(t.ko, R_OK) == 0,
		       "%s: not there; \"make vm-build\" builds it", t.ko))
		return;
	if (!EXPECT_OK(module_load(t.ko, ""), "finit_module of edu-vfio-pci"))
		return;
	t.loaded = true;
	EXPECT_TRUE(access("/sys/module/vfio_pci_core/holders/" EDU_MODULE, F_OK) == 0,
		    "/sys/module/vfio_pci_core/holders/" EDU_MODULE);
}

static void binds_and_opens(void)
{
	int i, group;

	if (vfio_test_case_ours_only(OURS_ONLY) || needs(t.loaded, "the module"))
		return;
	if (t.nfuncs < 2) {
		tap_case_skip("needs two edu functions, found %d%s", t.nfuncs,
			      getenv("VFIO_TEST_DEVICE") ? " matching VFIO_TEST_DEVICE" : "");
		return;
	}
	for (i = A; i <= B; i++) {
		if (!EXPECT_OK(pci_bind(t.func[i].bdf, EDU_DRIVER),
			       "driver_override + unbind + drivers_probe") ||
		    !expect_driver(t.func[i].bdf, EDU_DRIVER))
			return;
		group = pci_iommu_group(t.func[i].bdf);
		if (!EXPECT_OK(group, "iommu_group") ||
		    !EXPECT_OK(vfio_wait_group_node(group, true, NODE_TIMEOUT_MS),
			       "waiting for /dev/vfio/<group>"))
			return;
	}
	t.bound = true;
	for (i = A; i <= B; i++)
		if (!open_one(i))
			return;
	t.open = true;
}

static void migration_flags(void)
{
	const uint32_t want = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
			      VFIO_MIGRATION_PRE_COPY;
	struct vfio_device_feature_migration mig = { 0 };
	int i;

	if (needs_devices())
		return;
	for (i = A; i <= B; i++) {
		EXPECT_OK(vfio_device_feature(t.dev[i].fd, VFIO_DEVICE_FEATURE_PROBE |
					      VFIO_DEVICE_FEATURE_MIGRATION, NULL, 0),
			  "FEATURE PROBE MIGRATION");
		if (EXPECT_OK(vfio_device_feature(t.dev[i].fd, VFIO_DEVICE_FEATURE_GET |
						  VFIO_DEVICE_FEATURE_MIGRATION,
						  &mig, sizeof(mig)),
			      "FEATURE GET MIGRATION"))
			EXPECT_EQ_HEX(mig.flags, want, "migration flags");
		expect_state(&t.dev[i], ST_RUNNING, "after open");
	}
}

static void reset_flag(void)
{
	int i;

	if (needs_devices())
		return;
	for (i = A; i <= B; i++)
		tap_check(t.dev[i].info.flags & VFIO_DEVICE_FLAGS_RESET,
			  "%s: device flags 0x%x: expected VFIO_DEVICE_FLAGS_RESET",
			  t.func[i].bdf, t.dev[i].info.flags);
}

/* Entering STOP_COPY with no writable mapping below 256 MiB: ENOSPC. */
static void stop_copy_needs_mapping(void)
{
	static const struct {
		uint64_t iova;
		uint32_t flags;
		const char *what;
	} maps[] = {
		{ 0, 0, "no DMA mapping at all" },
		{ EDU_DMA_LIMIT, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		  "only a read+write mapping at 256 MiB" },
		{ DMA_IOVA, VFIO_DMA_MAP_FLAG_READ, "only a device-read-only mapping at 1 MiB" },
	};
	struct vfio_dev *a = &t.dev[A];
	struct vfio_dma_buf other = { 0 };
	uint32_t state = ~0u;
	char what[128];
	size_t i;
	int fd;

	if (needs_devices())
		return;
	vfio_dma_buf_free(a, &t.dma[A]);
	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		if (maps[i].flags &&
		    !EXPECT_OK(vfio_dma_buf_map(a, &other, maps[i].iova, DMA_SIZE, maps[i].flags),
			       maps[i].what))
			break;
		snprintf(what, sizeof(what), "SET_STATE STOP_COPY with %s", maps[i].what);
		EXPECT_ERRNO(mig_set(a, ST_STOP_COPY, &fd), ENOSPC, what);
		close_fd(&fd);
		if (EXPECT_OK(mig_get(a, &state), "GET after the refused STOP_COPY"))
			tap_check(state == ST_RUNNING || state == ST_STOP,
				  "state after the refused STOP_COPY: expected RUNNING or STOP "
				  "(on its path), got %s (%u)", st_name(state), state);
		set_ok(a, ST_RUNNING, NULL);
		vfio_dma_buf_free(a, &other);
	}
	if (!EXPECT_OK(vfio_dma_buf_map(a, &t.dma[A], DMA_IOVA, DMA_SIZE,
					VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE),
		       "mapping A's buffer again"))
		t.open = false;
}

static void stop_copy_stream(void)
{
	struct edu_regs saved;

	if (needs_devices())
		return;
	if (EXPECT_OK(data_size(&t.dev[A], &t.data_size), "GET MIG_DATA_SIZE in RUNNING"))
		EXPECT_TRUE(t.data_size > 0, "stop_copy_length > 0");
	if (!prepare_a(0, &saved))
		return;
	if (!save_a(t.stream, &t.stream_len, whole, 1)) {
		t.stream_len = 0;
		return;
	}
	tap_diag("STOP_COPY stream of A: %zu bytes, MIG_DATA_SIZE %llu", t.stream_len,
		 (unsigned long long)t.data_size);
	if (t.data_size)
		tap_check(t.stream_len <= 2 * t.data_size,
			  "stream of %zu bytes: expected at most 2 x stop_copy_length %llu",
			  t.stream_len, (unsigned long long)t.data_size);
	set_ok(&t.dev[A], ST_RUNNING, NULL);
}

/* Gets A from RUNNING to @state; a RESUMING fd stays in *fd unwritten. */
static bool reach(uint32_t state, int *fd)
{
	*fd = -1;
	if (state == ST_RUNNING)
		return expect_state(&t.dev[A], ST_RUNNING, "before the arc");
	return set_ok(&t.dev[A], state, fd);
}

/* From wherever A is, back to RUNNING; a RESUMING A is fed t.stream first. */
static bool back_to_running(int resuming_fd)
{
	uint32_t state = ~0u;

	if (!EXPECT_OK(mig_get(&t.dev[A], &state), "GET"))
		return false;
	if (state == ST_RESUMING &&
	    !EXPECT_OK(write_stream(resuming_fd, t.stream, t.stream_len, whole, 1),
		       "writing A's stream in RESUMING"))
		return false;
	return set_ok(&t.dev[A], ST_RUNNING, NULL);
}

static bool needs_stream(void)
{
	if (needs_devices())
		return true;
	return needs(t.stream_len > 0, "a STOP_COPY stream of A");
}

static void data_size_in_every_state(void)
{
	static const uint32_t states[] = {
		ST_RUNNING, ST_STOP, ST_STOP_COPY, ST_RESUMING, ST_RUNNING_P2P,
		ST_PRE_COPY, ST_PRE_COPY_P2P,
	};
	uint64_t len = 0;
	char what[64];
	size_t i;
	int fd;

	if (needs_stream())
		return;
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		if (!reach(states[i], &fd))
			break;
		snprintf(what, sizeof(what), "GET MIG_DATA_SIZE in %s", st_name(states[i]));
		if (EXPECT_OK(data_size(&t.dev[A], &len), what))
			tap_check(len > 0, "%s: stop_copy_length 0", what);
		if (!back_to_running(fd)) {
			close_fd(&fd);
			break;
		}
		close_fd(&fd);
	}
}

static void fd_directions(void)
{
	uint8_t byte = 0;
	int fd;

	if (needs_stream())
		return;
	if (set_session(&t.dev[A], ST_STOP_COPY, &fd)) {
		EXPECT_ERRNO(fd_write(fd, &byte, 1), EBADF, "write on the saving fd");
		close_fd(&fd);
		set_ok(&t.dev[A], ST_RUNNING, NULL);
	}
	if (set_session(&t.dev[A], ST_RESUMING, &fd)) {
		EXPECT_ERRNO(fd_read(fd, &byte, 1), EBADF, "read on the resuming fd");
		back_to_running(fd);
		close_fd(&fd);
	}
}

/* Every (from, to) of the 7 states, as the uAPI defines them. */
static void every_arc(void)
{
	static const uint32_t states[] = {
		ST_RUNNING, ST_STOP, ST_STOP_COPY, ST_RESUMING, ST_RUNNING_P2P,
		ST_PRE_COPY, ST_PRE_COPY_P2P,
	};
	unsigned int checked = 0, held = 0;
	size_t i, j;
	uint32_t from, to, got = ~0u;
	bool refused, new_session;
	char what[96];
	int fd_from, fd_to, ret;

	if (needs_stream())
		return;
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		for (j = 0; j < ARRAY_SIZE(states); j++) {
			bool ok = true;

			from = states[i];
			to = states[j];
			fd_to = -1;
			if (!reach(from, &fd_from))
				goto fatal;
			if (from == ST_RESUMING && to != ST_RESUMING &&
			    !EXPECT_OK(write_stream(fd_from, t.stream, t.stream_len, whole, 1),
				       "writing A's stream in RESUMING"))
				goto fatal;
			checked++;
			refused = from == ST_STOP_COPY &&
				  (to == ST_PRE_COPY || to == ST_PRE_COPY_P2P);
			new_session = (to == ST_RESUMING && from != ST_RESUMING) ||
				      (is_saving(to) && !is_saving(from));
			snprintf(what, sizeof(what), "SET_STATE %s -> %s", st_name(from),
				 st_name(to));
			ret = mig_set(&t.dev[A], to, &fd_to);
			if (refused) {
				ok &= EXPECT_ERRNO(ret, EINVAL, what);
				ok &= expect_state(&t.dev[A], from, "after the refused arc");
			} else {
				ok &= EXPECT_OK(ret, what);
				if (ret >= 0 && EXPECT_OK(mig_get(&t.dev[A], &got), "GET"))
					ok &= tap_check(got == to, "%s: GET gave %s", what,
							st_name(got));
				if (ret >= 0)
					ok &= tap_check((fd_to >= 0) == new_session,
							"%s: data_fd %d, expected %s", what, fd_to,
							new_session ? "a new fd" : "-1");
			}
			held += ok;
			if (!back_to_running(to == ST_RESUMING && from == ST_RESUMING ?
					     fd_from : fd_to))
				goto fatal;
			close_fd(&fd_from);
			close_fd(&fd_to);
			continue;
fatal:
			close_fd(&fd_from);
			close_fd(&fd_to);
			tap_diag("stopped at %s -> %s: A could not be brought there or back",
				 st_name(from), st_name(to));
			goto out;
		}
	}
out:
	tap_diag("state arcs checked: %u of %zu, %u as the uAPI says", checked,
		 ARRAY_SIZE(states) * ARRAY_SIZE(states), held);
	EXPECT_EQ(checked, ARRAY_SIZE(states) * ARRAY_SIZE(states), "arcs checked");
}

static void invalid_states(void)
{
	const uint32_t bad[] = { ST_ERROR, 8, 9, 0xffffffff };
	char what[64];
	size_t i;
	int fd;

	if (needs_devices())
		return;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(what, sizeof(what), "SET_STATE %u", bad[i]);
		EXPECT_ERRNO(mig_set(&t.dev[A], bad[i], &fd), EINVAL, what);
		close_fd(&fd);
		expect_state(&t.dev[A], ST_RUNNING, "after the refused state");
	}
}

static void round_trip_stop_copy(void)
{
	struct edu_regs saved;
	size_t len = 0;

	if (needs_devices())
		return;
	if (!prepare_a(1, &saved) || !save_a(scratch, &len, whole, 1))
		goto out;
	load_b_and_check(scratch, len, whole, 1, &saved, 1, false);
out:
	set_ok(&t.dev[A], ST_RUNNING, NULL);
}

static void round_trip_pre_copy(void)
{
	struct vfio_precopy_info info, prev;
	struct edu_regs saved;
	uint8_t *before = malloc(DMA_SIZE);
	size_t len = 0, pre;
	uint64_t initial;
	ssize_t n;
	int fd = -1, fd2;

	if (needs_devices() || !before)
		goto out;
	if (!prepare_a(2, &saved))
		goto out;
	memcpy(before, t.dma[A].vaddr, DMA_SIZE);
	if (!set_session(&t.dev[A], ST_PRE_COPY, &fd))
		goto out;
	if (!EXPECT_OK(precopy_info(fd, &info, sizeof(info)), "PRECOPY_INFO in PRE_COPY"))
		goto out;
	EXPECT_EQ(info.dirty_bytes, 0, "dirty_bytes at PRE_COPY's start");
	if (!tap_check(info.initial_bytes > 0, "initial_bytes at PRE_COPY's start: 0"))
		goto out;
	initial = info.initial_bytes;
	/* Reads of 100 bytes: initial_bytes shrinks with each, to 0. */
	for (;;) {
		prev = info;
		if (len + 100 > STREAM_MAX) {
			tap_check(false, "precopy data beyond %d bytes", STREAM_MAX);
			goto out;
		}
		n = fd_read(fd, scratch + len, 100);
		if (n <= 0)
			break;
		len += n;
		if (!EXPECT_OK(precopy_info(fd, &info, sizeof(info)), "PRECOPY_INFO while reading"))
			goto out;
		if (!tap_check(info.initial_bytes < prev.initial_bytes,
			       "initial_bytes after reading %zu bytes: %llu, before it %llu",
			       len, (unsigned long long)info.initial_bytes,
			       (unsigned long long)prev.initial_bytes))
			goto out;
	}
	EXPECT_ERRNO(n, ENOMSG, "read at PRE_COPY's temporary end");
	EXPECT_EQ(info.initial_bytes, 0, "initial_bytes at the temporary end");
	EXPECT_EQ(info.dirty_bytes, 0, "dirty_bytes at the temporary end");
	EXPECT_EQ(len, initial, "precopy bytes read against initial_bytes at the start");
	pre = len;
	if (!set_ok(&t.dev[A], ST_PRE_COPY_P2P, &fd2) ||
	    !EXPECT_EQ(fd2, -1, "data_fd of PRE_COPY -> PRE_COPY_P2P"))
		goto out;
	EXPECT_ERRNO(fd_read(fd, scratch + len, 100), ENOMSG,
		     "read in PRE_COPY_P2P at the temporary end");
	if (!set_ok(&t.dev[A], ST_STOP_COPY, &fd2) ||
	    !EXPECT_EQ(fd2, -1, "data_fd of PRE_COPY_P2P -> STOP_COPY (same session)"))
		goto out;
	if (!EXPECT_EQ(read_stream(fd, scratch, STREAM_MAX, &len, whole, 1), 0,
		       "reading the rest of the stream in STOP_COPY to its end"))
		goto out;
	tap_expect_bytes(t.dma[A].vaddr, before, DMA_SIZE, "A's DMA mapping after the save");
	tap_diag("PRE_COPY stream of A: %zu precopy bytes + %zu in STOP_COPY", pre, len - pre);
	if (t.data_size)
		tap_check(len <= 2 * t.data_size,
			  "stream of %zu bytes: expected at most 2 x stop_copy_length %llu",
			  len, (unsigned long long)t.data_size);
	close_fd(&fd);
	if (!set_ok(&t.dev[A], ST_STOP, NULL))
		goto out;
	load_b_and_check(scratch, len, whole, 1, &saved, 2, false);
out:
	close_fd(&fd);
	free(before);
	if (t.open)
		set_ok(&t.dev[A], ST_RUNNING, NULL);
}

static void precopy_info_einval(void)
{
	struct vfio_precopy_info info;
	int fd, fd2;

	if (needs_stream())
		return;
	if (set_session(&t.dev[A], ST_PRE_COPY, &fd)) {
		EXPECT_ERRNO(precopy_info(fd, &info, sizeof(info) - 1), EINVAL,
			     "PRECOPY_INFO with argsz one byte short");
		EXPECT_ERRNO(precopy_info(fd, &info, 8), EINVAL, "PRECOPY_INFO with argsz 8");
		if (set_ok(&t.dev[A], ST_STOP_COPY, &fd2))
			EXPECT_ERRNO(precopy_info(fd, &info, sizeof(info)), EINVAL,
				     "PRECOPY_INFO in STOP_COPY reached from PRE_COPY");
		close_fd(&fd2);
		close_fd(&fd);
		set_ok(&t.dev[A], ST_RUNNING, NULL);
	}
	if (set_session(&t.dev[A], ST_STOP_COPY, &fd)) {
		EXPECT_ERRNO(precopy_info(fd, &info, sizeof(info)), EINVAL,
			     "PRECOPY_INFO in STOP_COPY");
		close_fd(&fd);
		set_ok(&t.dev[A], ST_RUNNING, NULL);
	}
	if (set_session(&t.dev[A], ST_RESUMING, &fd)) {
		EXPECT_ERRNO(precopy_info(fd, &info, sizeof(info)), EINVAL,
			     "PRECOPY_INFO on a resuming fd");
		back_to_running(fd);
		close_fd(&fd);
	}
}

/*
 * Reads and writes of any size: the concatenation is the stream.  B runs
 * again through RUNNING_P2P here, where its pending interrupt must come.
 */
static void odd_sizes(void)
{
	static const size_t rsizes[] = { 1, 3, 7, 61, 509, 4093, 2 };
	static const size_t wsizes[] = { 5, 1, 4099, 13, 2 };
	struct edu_regs saved;
	size_t len = 0;

	if (needs_devices())
		return;
	if (!prepare_a(3, &saved) ||
	    !save_a(scratch, &len, rsizes, ARRAY_SIZE(rsizes)))
		goto out;
	load_b_and_check(scratch, len, wsizes, ARRAY_SIZE(wsizes), &saved, 3, true);
out:
	set_ok(&t.dev[A], ST_RUNNING, NULL);
}

static void old_fd_enodev(void)
{
	uint8_t byte = 0;
	int fd;

	if (needs_stream())
		return;
	/* STOP_COPY -> STOP ends the saving session. */
	if (set_session(&t.dev[A], ST_STOP_COPY, &fd)) {
		EXPECT_EQ(fd_read(fd, &byte, 1), 1, "one byte of the STOP_COPY stream");
		if (set_ok(&t.dev[A], ST_STOP, NULL))
			EXPECT_ERRNO(fd_read(fd, &byte, 1), ENODEV,
				     "read on the saving fd after STOP_COPY -> STOP");
		close_fd(&fd);
		set_ok(&t.dev[A], ST_RUNNING, NULL);
	}
	/* PRE_COPY -> RUNNING too. */
	if (set_session(&t.dev[A], ST_PRE_COPY, &fd)) {
		if (set_ok(&t.dev[A], ST_RUNNING, NULL))
			EXPECT_ERRNO(fd_read(fd, &byte, 1), ENODEV,
				     "read on the saving fd after PRE_COPY -> RUNNING");
		close_fd(&fd);
	}
	/* RESUMING -> STOP ends the resuming session. */
	if (set_session(&t.dev[A], ST_RESUMING, &fd)) {
		if (EXPECT_OK(write_stream(fd, t.stream, t.stream_len, whole, 1),
			      "writing A's stream") &&
		    set_ok(&t.dev[A], ST_STOP, NULL))
			EXPECT_ERRNO(fd_write(fd, &byte, 1), ENODEV,
				     "write on the resuming fd after RESUMING -> STOP");
		close_fd(&fd);
		set_ok(&t.dev[A], ST_RUNNING, NULL);
	}
}

/* Recovers A with VFIO_DEVICE_RESET after a case left it RESUMING. */
static void reset_a(void)
{
	EXPECT_OK(vfio_ioctl(t.dev[A].fd, VFIO_DEVICE_RESET, NULL), "VFIO_DEVICE_RESET of A");
	expect_state(&t.dev[A], ST_RUNNING, "after VFIO_DEVICE_RESET");
	irq_enable_decode_and_master(&t.dev[A]);
}

static void write_past_end_enospc(void)
{
	uint8_t byte = 0;
	int fd;

	if (needs_stream())
		return;
	if (!set_session(&t.dev[A], ST_RESUMING, &fd))
		return;
	if (EXPECT_OK(write_stream(fd, t.stream, t.stream_len, whole, 1),
		      "writing A's whole stream")) {
		EXPECT_ERRNO(fd_write(fd, &byte, 1), ENOSPC,
			     "writing one byte after the final record");
		/* The stream it took is complete: the load goes on. */
		set_ok(&t.dev[A], ST_STOP, NULL);
	}
	close_fd(&fd);
	if (!set_ok(&t.dev[A], ST_RUNNING, NULL))
		reset_a();
}

static void garbage_header_einval(void)
{
	uint32_t x = 0x2545f491;
	size_t i;
	int fd;

	if (needs_stream())
		return;
	if (!set_session(&t.dev[A], ST_RESUMING, &fd))
		return;
	memcpy(scratch, t.stream, t.stream_len);
	for (i = 0; i < 24 && i < t.stream_len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		scratch[i] = (uint8_t)x;
	}
	EXPECT_ERRNO(fd_write(fd, scratch, t.stream_len), EINVAL,
		     "writing the stream with its first 24 bytes random");
	close_fd(&fd);
	reset_a();
}

static void truncated_einval(void)
{
	int fd, dummy;

	if (needs_stream())
		return;
	if (!set_session(&t.dev[A], ST_RESUMING, &fd))
		return;
	if (EXPECT_OK(write_stream(fd, t.stream, t.stream_len / 2, whole, 1),
		      "writing half of A's stream")) {
		EXPECT_ERRNO(mig_set(&t.dev[A], ST_STOP, &dummy), EINVAL,
			     "SET_STATE RESUMING -> STOP with half a stream");
		close_fd(&dummy);
		expect_state(&t.dev[A], ST_RESUMING, "after the refused load");
	}
	close_fd(&fd);
	reset_a();
}

static void close_mid_stream(void)
{
	uint8_t buf[16];
	int fd;

	if (needs_stream())
		return;
	if (set_session(&t.dev[A], ST_STOP_COPY, &fd)) {
		EXPECT_EQ(fd_read(fd, buf, sizeof(buf)), sizeof(buf),
			  "16 bytes of the STOP_COPY stream");
		close_fd(&fd);
		set_ok(&t.dev[A], ST_STOP, NULL);
		set_ok(&t.dev[A], ST_RUNNING, NULL);
	}
	if (set_session(&t.dev[A], ST_PRE_COPY, &fd)) {
		EXPECT_EQ(fd_read(fd, buf, sizeof(buf)), sizeof(buf),
			  "16 bytes of the PRE_COPY stream");
		close_fd(&fd);
		set_ok(&t.dev[A], ST_RUNNING, NULL);
		/* and a new session starts from the beginning */
		if (set_session(&t.dev[A], ST_STOP_COPY, &fd)) {
			size_t len = 0;

			EXPECT_EQ(read_stream(fd, scratch, STREAM_MAX, &len, whole, 1), 0,
				  "a whole STOP_COPY stream after the closed sessions");
			close_fd(&fd);
			set_ok(&t.dev[A], ST_RUNNING, NULL);
		}
	}
}

static void source_keeps_working(void)
{
	struct vfio_dev *a = &t.dev[A];
	struct edu_regs saved;
	uint32_t val;
	size_t len = 0;

	if (needs_devices())
		return;
	if (!prepare_a(4, &saved) || !save_a(scratch, &len, whole, 1))
		return;
	if (!set_ok(a, ST_RUNNING, NULL))
		return;
	if (EXPECT_OK(edu_write32(a, EDU_REG_LIVENESS, 0x0f0f0f0f), "liveness write") &&
	    EXPECT_OK(edu_read32(a, EDU_REG_LIVENESS, &val), "liveness read"))
		EXPECT_EQ_HEX(val, 0xf0f0f0f0, "liveness on A after the migration");
	if (EXPECT_OK(edu_factorial(a, 6, &val), "6! on A"))
		EXPECT_EQ(val, 720, "6! on A after the migration");
	edu_fill_pattern(dma_page(A, 0), PAGE, 5);
	memset(dma_page(A, 1), 0, PAGE);
	if (EXPECT_OK(edu_dma(a, DMA_IOVA, 0, EDU_DMA_REACHABLE, false),
		      "DMA RAM->device on A") &&
	    EXPECT_OK(edu_dma(a, DMA_IOVA + PAGE, 0, EDU_DMA_REACHABLE, true),
		      "DMA device->RAM on A"))
		tap_expect_bytes(dma_page(A, 1), dma_page(A, 0), EDU_DMA_REACHABLE,
				 "A's DMA round trip");
	irq_eventfd_take(t.msi[A]);
	EXPECT_OK(edu_ack(a, ~0u), "acknowledging A's irqs");
	if (EXPECT_OK(edu_raise(a, 0x1), "raising irq bit 0 on A"))
		irq_expect_signal(t.msi[A], "MSI of A after the migration");
	edu_ack(a, ~0u);
}

static void reset_in_running(void)
{
	struct vfio_dev *a = &t.dev[A];
	struct edu_regs saved, got;

	if (needs_devices())
		return;
	if (!prepare_a(5, &saved))
		return;
	if (!EXPECT_OK(vfio_ioctl(a->fd, VFIO_DEVICE_RESET, NULL), "VFIO_DEVICE_RESET"))
		return;
	expect_state(a, ST_RUNNING, "after the reset");
	if (!EXPECT_OK(irq_enable_decode_and_master(a), "memory decode and bus master") ||
	    !read_regs(a, &got))
		return;
	EXPECT_EQ_HEX(got.liveness, 0, "liveness after reset");
	EXPECT_EQ_HEX(got.factorial, 0, "factorial after reset");
	EXPECT_EQ_HEX(got.status, 0, "status after reset");
	EXPECT_EQ_HEX(got.irq_status, 0, "irq status after reset");
	EXPECT_EQ_HEX(got.dma_src, 0, "DMA src after reset");
	EXPECT_EQ_HEX(got.dma_dst, 0, "DMA dst after reset");
	EXPECT_EQ_HEX(got.dma_cnt, 0, "DMA cnt after reset");
	memset(dma_page(A, 1), 0, PAGE);
	if (EXPECT_OK(edu_dma(a, DMA_IOVA + PAGE, 0, EDU_DMA_REACHABLE, true),
		      "DMA device->RAM after reset"))
		tap_expect_bytes(dma_page(A, 1), dma_page(A, 0), EDU_DMA_REACHABLE,
				 "the DMA buffer kept across the reset");
}

static void reset_mid_session(void)
{
	static const uint32_t states[] = { ST_STOP_COPY, ST_PRE_COPY, ST_RESUMING };
	uint8_t byte = 0;
	char what[96];
	ssize_t n;
	size_t i;
	int fd;

	if (needs_stream())
		return;
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		if (!set_session(&t.dev[A], states[i], &fd))
			break;
		if (states[i] == ST_RESUMING)
			EXPECT_OK(write_stream(fd, t.stream, t.stream_len / 2, whole, 1),
				  "writing half of A's stream");
		else
			EXPECT_EQ(fd_read(fd, &byte, 1), 1, "one byte of the stream");
		snprintf(what, sizeof(what), "VFIO_DEVICE_RESET in %s", st_name(states[i]));
		if (EXPECT_OK(vfio_ioctl(t.dev[A].fd, VFIO_DEVICE_RESET, NULL), what)) {
			expect_state(&t.dev[A], ST_RUNNING, what);
			n = states[i] == ST_RESUMING ? fd_write(fd, &byte, 1) :
						       fd_read(fd, &byte, 1);
			snprintf(what, sizeof(what), "%s on the old fd after the reset in %s",
				 states[i] == ST_RESUMING ? "write" : "read",
				 st_name(states[i]));
			EXPECT_ERRNO(n, ENODEV, what);
		}
		close_fd(&fd);
		irq_enable_decode_and_master(&t.dev[A]);
		if (!set_ok(&t.dev[A], ST_RUNNING, NULL))
			break;
	}
}

static void unloads_and_gives_back(void)
{
	char driver[64];
	int i;

	if (vfio_test_case_ours_only(OURS_ONLY))
		return;
	for (i = A; i <= B; i++)
		close_one(i);
	t.open = false;
	for (i = A; i < t.nfuncs && i <= B; i++)
		if (pci_driver_name(t.func[i].bdf, driver, sizeof(driver)) >= 0 &&
		    !strcmp(driver, EDU_DRIVER))
			EXPECT_OK(pci_unbind(t.func[i].bdf), "unbinding from edu-vfio-pci");
	t.bound = false;
	if (t.loaded && EXPECT_OK(module_unload(EDU_MODULE), "delete_module of edu_vfio_pci"))
		t.loaded = false;
	for (i = A; i < t.nfuncs && i <= B; i++) {
		if (EXPECT_OK(pci_bind(t.func[i].bdf, VFIO_PCI), "binding back to vfio-pci"))
			expect_driver(t.func[i].bdf, VFIO_PCI);
	}
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "plain_vfio_pci_edu_migration_feature_gives_enotty",
	  plain_vfio_pci_has_no_migration },
	{ "edu_vfio_pci_module_loads_against_our_core", module_loads },
	{ "driver_override_binds_both_edus_to_edu_vfio_pci_and_they_open", binds_and_opens },
	{ "migration_flags_are_stop_copy_p2p_pre_copy_state_running", migration_flags },
	{ "device_info_reports_reset", reset_flag },
	{ "stop_copy_without_writable_mapping_below_256m_gives_enospc",
	  stop_copy_needs_mapping },
	{ "stop_copy_stream_reads_to_eof_fits_2x_data_size_mapping_unchanged",
	  stop_copy_stream },
	{ "mig_data_size_is_positive_in_every_state", data_size_in_every_state },
	{ "saving_fd_write_gives_ebadf_resuming_fd_read_gives_ebadf", fd_directions },
	{ "every_arc_of_7_states_gets_to_except_stop_copy_to_pre_copy_einval", every_arc },
	{ "set_state_error_or_8_and_above_gives_einval", invalid_states },
	{ "stop_copy_round_trip_a_to_b_carries_registers_buffer_and_irq",
	  round_trip_stop_copy },
	{ "pre_copy_round_trip_a_to_b_precopy_info_shrinks_same_fd_to_stop_copy",
	  round_trip_pre_copy },
	{ "precopy_info_gives_einval_short_argsz_stop_copy_and_resuming_fd",
	  precopy_info_einval },
	{ "odd_read_and_write_sizes_carry_the_stream_irq_comes_in_running_p2p",
	  odd_sizes },
	{ "old_data_fd_gives_enodev_once_its_session_ended", old_fd_enodev },
	{ "write_after_final_record_gives_enospc", write_past_end_enospc },
	{ "garbage_stream_header_write_gives_einval", garbage_header_einval },
	{ "truncated_stream_resuming_to_stop_gives_einval_stays_resuming",
	  truncated_einval },
	{ "closing_data_fd_mid_stream_next_set_state_works", close_mid_stream },
	{ "source_keeps_working_after_stop_copy_stop_running", source_keeps_working },
	{ "reset_soft_resets_registers_keeps_buffer_state_running", reset_in_running },
	{ "reset_in_stop_copy_pre_copy_resuming_gives_running_old_fd_enodev",
	  reset_mid_session },
	{ "edus_back_on_vfio_pci_and_module_unloads", unloads_and_gives_back },
};


int main(void)
{
	size_t i;
	int ret;

	ret = pci_find_functions(EDU_VENDOR, EDU_DEVICE, t.func, 2);
	if (ret < 0)
		tap_bail_out("listing PCI functions: %s", tap_errno_name(-ret));
	if (ret == 0)
		tap_skip_all("no edu (1234:11e8)%s%s",
			     getenv("VFIO_TEST_DEVICE") ? " matching " : "",
			     getenv("VFIO_TEST_DEVICE") ?: "");
	t.nfuncs = ret;
	ret = vfio_test_path(EDU_KO, t.ko, sizeof(t.ko));
	if (ret)
		tap_bail_out("locating edu-vfio-pci.ko: %s", tap_errno_name(-ret));
	for (i = A; i <= B; i++) {
		t.dev[i].fd = t.dev[i].group_fd = t.dev[i].container_fd = -1;
		t.msi[i] = -1;
	}

	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s; A %s, B %s; module %s", vfio_test_driver_name(),
		 t.func[A].bdf, t.nfuncs > 1 ? t.func[B].bdf : "-", t.ko);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tap_case_begin("%s", cases[i].name);
		cases[i].run();
		tap_case_end();
	}
	tap_finish();
}
