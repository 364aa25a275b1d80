// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_IOEVENTFD: an eventfd bound to a write of a given size and
 * value at a BAR offset; every signal of the eventfd performs that write
 * in the kernel.
 *
 * The device shows that the write happened: edu's liveness register
 * (0x04) reads back the complement of the last 4-byte write, its DMA
 * source (0x80) keeps an 8-byte write, pci-testdev selects the test named
 * by a write of any width to offset 0 of either BAR, and e1000e's IOADDR
 * (I/O BAR offset 0) keeps what is written.
 *
 * Reference behaviour these cases encode (Debian 6.12 vfio-pci, measured):
 * - exactly one size flag (8, 16, 32 or 64 bits) and nothing else, else
 *   EINVAL; argsz below the end of .fd: EINVAL;
 * - the written range must lie inside a BAR the function has, else
 *   EINVAL; unaligned offsets inside it are accepted;
 * - offset, size and data identify one: the same again gives EEXIST (even
 *   with another eventfd), another data at the same offset is a second
 *   one; removal is fd -1 with the same three, ENODEV when none matches;
 * - a closed fd gives EBADF, an fd that is not an eventfd EINVAL, an fd
 *   below -1 EINVAL;
 * - at most 1000 per device, then ENOSPC;
 * - a signal while memory decode is off does not write (and is not kept
 *   for later); VFIO_DEVICE_RESET keeps them; closing the device releases
 *   them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "region_util.h"

#define BAR0		VFIO_PCI_BAR0_REGION_INDEX
#define SIZE32		VFIO_DEVICE_IOEVENTFD_32
#define WAIT_MS		3000	/* generous: the VM runs under TCG on a busy host */
/* How long a write that should not happen is given to happen anyway. */
#define QUIET_MS	100
#define IOEVENTFD_MAX	1000

/* pci-testdev */
#define TESTDEV_NAME	0x10

/* e1000e I/O window */
#define E1000_IOADDR	0x00
#define E1000_RDBAL	0x2800

static bool is_edu(const struct pci_func *f)
{
	return func_is_kind(f, "edu");
}

static bool is_testdev(const struct pci_func *f)
{
	return func_is_kind(f, "pci-testdev");
}

static bool is_e1000e(const struct pci_func *f)
{
	return func_is_kind(f, "e1000e");
}

static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	return EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device");
}

static int new_eventfd(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);

	EXPECT_OK(efd < 0 ? -errno : efd, "eventfd()");
	return efd;
}

static uint64_t bar_offset(struct vfio_dev *dev, uint32_t bar, uint64_t off)
{
	return region_file_offset(dev, bar, off);
}

static void quiet_wait(void)
{
	const struct timespec ts = { .tv_nsec = QUIET_MS * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Signals @efd and waits for edu's liveness to read ~@value. */
static bool expect_liveness_after_signal(struct vfio_dev *dev, int efd,
					 uint32_t value, const char *when)
{
	uint32_t last = 0;
	int ret;

	if (!EXPECT_OK(eventfd_signal_once(efd), "signalling the eventfd"))
		return false;
	ret = region_wait_value32(dev, BAR0, EDU_LIVENESS, ~value, WAIT_MS, &last);
	if (ret == -ETIMEDOUT)
		return tap_check(false,
				 "liveness %s: expected 0x%08x (the ioeventfd wrote 0x%08x) within %d ms, got 0x%08x",
				 when, ~value, value, WAIT_MS, last);
	return EXPECT_OK(ret, "reading liveness");
}

/* Signals @efd, waits a little, and expects liveness still ~@value. */
static void expect_no_write_after_signal(struct vfio_dev *dev, int efd,
					 uint32_t value, const char *when)
{
	uint64_t val;

	if (!EXPECT_OK(eventfd_signal_once(efd), "signalling the eventfd"))
		return;
	quiet_wait();
	if (EXPECT_OK(region_read_le(dev, BAR0, EDU_LIVENESS, 4, &val), "reading liveness"))
		tap_check((uint32_t)val == (uint32_t)~value,
			  "liveness %s: expected 0x%08x (no write), got 0x%08llx",
			  when, ~value, (unsigned long long)val);
}

/* ---- Signals become device writes ---------------------------------------- */

static void edu_signal_writes_liveness(const struct pci_func *f)
{
	const uint32_t value = 0xfeed0001, other = 0x0ddba11;
	uint64_t off;
	struct vfio_dev dev;
	int efd;

	if (!open_dev(&dev, f))
		return;
	efd = new_eventfd();
	if (efd < 0)
		goto out;
	off = bar_offset(&dev, BAR0, EDU_LIVENESS);
	if (!EXPECT_OK(region_write_le(&dev, BAR0, EDU_LIVENESS, 4, other),
		       "write of liveness") ||
	    !EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, efd),
		       "VFIO_DEVICE_IOEVENTFD: 4 bytes at BAR0 0x04"))
		goto close_efd;
	/* Twice, with another write in between: every signal writes. */
	if (expect_liveness_after_signal(&dev, efd, value, "after the first signal") &&
	    EXPECT_OK(region_write_le(&dev, BAR0, EDU_LIVENESS, 4, other),
		      "write of liveness between the signals"))
		expect_liveness_after_signal(&dev, efd, value, "after the second signal");
	if (!EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, -1),
		       "removing it with fd -1"))
		goto close_efd;
	if (EXPECT_OK(region_write_le(&dev, BAR0, EDU_LIVENESS, 4, other),
		      "write of liveness after removal"))
		expect_no_write_after_signal(&dev, efd, other, "after a signal once removed");
close_efd:
	close(efd);
out:
	vfio_dev_close(&dev);
}

static void edu_signal_writes_8_bytes(const struct pci_func *f)
{
	const uint64_t value = 0x0011223344556677ULL;
	struct vfio_dev dev;
	uint64_t off, val;
	uint32_t last = 0;
	int efd, ret;

	if (!open_dev(&dev, f))
		return;
	efd = new_eventfd();
	if (efd < 0)
		goto out;
	off = bar_offset(&dev, BAR0, EDU_DMA_SRC);
	if (!EXPECT_OK(region_write_le(&dev, BAR0, EDU_DMA_SRC, 8, 0), "clearing DMA src") ||
	    !EXPECT_OK(vfio_ioeventfd(dev.fd, VFIO_DEVICE_IOEVENTFD_64, off, value, efd),
		       "VFIO_DEVICE_IOEVENTFD: 8 bytes at BAR0 0x80") ||
	    !EXPECT_OK(eventfd_signal_once(efd), "signalling the eventfd"))
		goto remove;
	ret = region_wait_value32(&dev, BAR0, EDU_DMA_SRC, (uint32_t)value, WAIT_MS, &last);
	if (!tap_check(!ret, "DMA src low half: expected 0x%08x within %d ms, got 0x%08x (%s)",
		       (uint32_t)value, WAIT_MS, last, tap_errno_name(-ret)))
		goto remove;
	if (EXPECT_OK(region_read_le(&dev, BAR0, EDU_DMA_SRC, 8, &val), "8-byte read of DMA src"))
		EXPECT_EQ_HEX(val, value, "DMA src after the signal (both halves)");
remove:
	EXPECT_OK(vfio_ioeventfd(dev.fd, VFIO_DEVICE_IOEVENTFD_64, off, value, -1),
		  "removing it");
	region_write_le(&dev, BAR0, EDU_DMA_SRC, 8, 0);
	close(efd);
out:
	vfio_dev_close(&dev);
}

static bool testdev_expect_name(struct vfio_dev *dev, uint32_t bar,
				const char *want)
{
	char name[32] = "";
	int waited;

	/* The write is done by the kernel, maybe a little after the signal. */
	for (waited = 0; waited <= WAIT_MS; waited += QUIET_MS / 10) {
		if (region_pread_raw(dev, bar, TESTDEV_NAME, name, sizeof(name)) !=
		    sizeof(name))
			return tap_check(false, "reading the test name of %s",
					 vfio_region_name(bar));
		name[sizeof(name) - 1] = '\0';
		if (!strcmp(name, want))
			return true;
		usleep(QUIET_MS * 100);
	}
	return tap_check(false, "%s test name after the signal: expected \"%s\", got \"%s\"",
			 vfio_region_name(bar), want, name);
}

/* 1- and 2-byte ioeventfds select another pci-testdev test each. */
static void testdev_narrow_writes(const struct pci_func *f, uint32_t bar,
				  const char *prefix)
{
	static const struct {
		unsigned int width;
		uint32_t test;
		const char *name;
	} binds[] = {
		{ 1, 1, "wildcard-eventfd" },
		{ 2, 2, "datamatch-eventfd" },
		{ 1, 0, "no-eventfd" },
	};
	int efd[ARRAY_SIZE(binds)];
	struct vfio_dev dev;
	char want[40];
	uint64_t off;
	size_t i, n = 0;

	if (!open_dev(&dev, f))
		return;
	off = bar_offset(&dev, bar, 0);
	for (n = 0; n < ARRAY_SIZE(binds); n++) {
		efd[n] = new_eventfd();
		if (efd[n] < 0)
			break;
		if (!EXPECT_OK(vfio_ioeventfd(dev.fd, vfio_ioeventfd_size_flag(binds[n].width),
					      off, binds[n].test, efd[n]),
			       "VFIO_DEVICE_IOEVENTFD at offset 0")) {
			close(efd[n]);
			break;
		}
	}
	for (i = 0; i < n && n == ARRAY_SIZE(binds); i++) {
		snprintf(want, sizeof(want), "%s%s", prefix, binds[i].name);
		if (!EXPECT_OK(eventfd_signal_once(efd[i]), "signalling the eventfd") ||
		    !testdev_expect_name(&dev, bar, want))
			break;
	}
	for (i = 0; i < n; i++) {
		EXPECT_OK(vfio_ioeventfd(dev.fd, vfio_ioeventfd_size_flag(binds[i].width),
					 off, binds[i].test, -1),
			  "removing it");
		close(efd[i]);
	}
	vfio_dev_close(&dev);
}

static void testdev_mem_narrow(const struct pci_func *f)
{
	testdev_narrow_writes(f, VFIO_PCI_BAR0_REGION_INDEX, "mmio-");
}

static void testdev_io_narrow(const struct pci_func *f)
{
	testdev_narrow_writes(f, VFIO_PCI_BAR1_REGION_INDEX, "portio-");
}

static int e1000e_io_bar(const struct pci_func *f)
{
	struct pci_resource res[PCI_SYSFS_RESOURCES];
	int n = pci_resources(f->bdf, res), bar;

	if (n < 0)
		return n;
	for (bar = 0; bar <= VFIO_PCI_BAR5_REGION_INDEX && bar < n; bar++)
		if (pci_bar_is_io(&res[bar]))
			return bar;
	return -ENOENT;
}

static void e1000e_io_bar_write(const struct pci_func *f)
{
	int bar = e1000e_io_bar(f), efd, ret;
	struct vfio_dev dev;
	uint32_t last = 0;
	uint64_t off;

	if (!EXPECT_OK(bar, "finding the I/O port BAR in sysfs resource") ||
	    !open_dev(&dev, f))
		return;
	efd = new_eventfd();
	if (efd < 0)
		goto out;
	off = bar_offset(&dev, bar, E1000_IOADDR);
	if (!EXPECT_OK(region_write_le(&dev, bar, E1000_IOADDR, 4, 0), "clearing IOADDR") ||
	    !EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, E1000_RDBAL, efd),
		       "VFIO_DEVICE_IOEVENTFD: 4 bytes at IOADDR of the I/O BAR") ||
	    !EXPECT_OK(eventfd_signal_once(efd), "signalling the eventfd"))
		goto remove;
	ret = region_wait_value32(&dev, bar, E1000_IOADDR, E1000_RDBAL, WAIT_MS, &last);
	tap_check(!ret, "IOADDR after the signal: expected 0x%x within %d ms, got 0x%x (%s)",
		  E1000_RDBAL, WAIT_MS, last, tap_errno_name(-ret));
remove:
	EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, E1000_RDBAL, -1), "removing it");
	region_write_le(&dev, bar, E1000_IOADDR, 4, 0);
	close(efd);
out:
	vfio_dev_close(&dev);
}

static void e1000e_survives_reset(const struct pci_func *f)
{
	int bar = e1000e_io_bar(f), efd, ret;
	struct vfio_dev dev;
	uint32_t last = 0;
	uint64_t off;

	if (!EXPECT_OK(bar, "finding the I/O port BAR in sysfs resource") ||
	    !open_dev(&dev, f))
		return;
	if (!(dev.info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		tap_case_skip("no VFIO_DEVICE_FLAGS_RESET (flags 0x%x)", dev.info.flags);
		goto out;
	}
	efd = new_eventfd();
	if (efd < 0)
		goto out;
	off = bar_offset(&dev, bar, E1000_IOADDR);
	if (!EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, E1000_RDBAL, efd),
		       "VFIO_DEVICE_IOEVENTFD: 4 bytes at IOADDR of the I/O BAR"))
		goto close_efd;
	if (!EXPECT_OK(vfio_ioctl(dev.fd, VFIO_DEVICE_RESET, NULL), "VFIO_DEVICE_RESET") ||
	    !EXPECT_OK(region_write_le(&dev, bar, E1000_IOADDR, 4, 0), "clearing IOADDR") ||
	    !EXPECT_OK(eventfd_signal_once(efd), "signalling the eventfd after the reset"))
		goto remove;
	ret = region_wait_value32(&dev, bar, E1000_IOADDR, E1000_RDBAL, WAIT_MS, &last);
	tap_check(!ret, "IOADDR after a signal following the reset: expected 0x%x within %d ms, got 0x%x (%s)",
		  E1000_RDBAL, WAIT_MS, last, tap_errno_name(-ret));
remove:
	EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, E1000_RDBAL, -1),
		  "removing it after the reset");
	region_write_le(&dev, bar, E1000_IOADDR, 4, 0);
close_efd:
	close(efd);
out:
	vfio_dev_close(&dev);
}

/* ---- Lifetime -------------------------------------------------------------- */

static void edu_decode_off_drops(const struct pci_func *f)
{
	const uint32_t value = 0xabcd0123, before = 0x5555aaaa;
	struct vfio_dev dev;
	uint64_t off, val;
	int efd;

	if (!open_dev(&dev, f))
		return;
	efd = new_eventfd();
	if (efd < 0)
		goto out;
	off = bar_offset(&dev, BAR0, EDU_LIVENESS);
	if (!EXPECT_OK(region_write_le(&dev, BAR0, EDU_LIVENESS, 4, before),
		       "write of liveness") ||
	    !EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, efd),
		       "VFIO_DEVICE_IOEVENTFD: 4 bytes at BAR0 0x04"))
		goto close_efd;
	if (!EXPECT_OK(vfio_set_memory_decode(&dev, false), "memory decode off"))
		goto remove;
	EXPECT_OK(eventfd_signal_once(efd), "signalling with decode off");
	quiet_wait();
	if (!EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on again"))
		goto remove;
	/* Not written then, and not kept to be written now. */
	quiet_wait();
	if (EXPECT_OK(region_read_le(&dev, BAR0, EDU_LIVENESS, 4, &val), "reading liveness"))
		tap_check((uint32_t)val == (uint32_t)~before,
			  "liveness after a signal with decode off, then decode on: expected 0x%08x (no write), got 0x%08llx",
			  ~before, (unsigned long long)val);
	/* It still works once decode is on. */
	expect_liveness_after_signal(&dev, efd, value, "after a signal with decode on again");
remove:
	EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, -1), "removing it");
close_efd:
	close(efd);
out:
	vfio_dev_close(&dev);
}

static void edu_released_on_close(const struct pci_func *f)
{
	const uint32_t value = 0x1234abcd, other = 0x77777777;
	struct vfio_dev dev;
	uint64_t off;
	int efd;

	if (!open_dev(&dev, f))
		return;
	efd = new_eventfd();
	if (efd < 0) {
		vfio_dev_close(&dev);
		return;
	}
	off = bar_offset(&dev, BAR0, EDU_LIVENESS);
	if (!EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, efd),
		       "VFIO_DEVICE_IOEVENTFD: 4 bytes at BAR0 0x04")) {
		vfio_dev_close(&dev);
		goto close_efd;
	}
	/* Closed with the ioeventfd still bound. */
	vfio_dev_close(&dev);
	if (!open_dev(&dev, f))
		goto close_efd;
	/* The old eventfd no longer writes. */
	if (EXPECT_OK(region_write_le(&dev, BAR0, EDU_LIVENESS, 4, other),
		      "write of liveness after reopening"))
		expect_no_write_after_signal(&dev, efd, other,
					     "after signalling an eventfd bound before the close");
	/* And the same binding can be made again. */
	if (EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, efd),
		      "the same VFIO_DEVICE_IOEVENTFD after reopening")) {
		expect_liveness_after_signal(&dev, efd, value, "after binding it again");
		EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, -1), "removing it");
	}
	vfio_dev_close(&dev);
close_efd:
	close(efd);
}

/* ---- Errors ---------------------------------------------------------------- */

static void edu_duplicates(const struct pci_func *f)
{
	const uint32_t value = 0xcafe0000;
	struct vfio_dev dev;
	int efd, efd2;
	uint64_t off;

	if (!open_dev(&dev, f))
		return;
	efd = new_eventfd();
	efd2 = new_eventfd();
	if (efd < 0 || efd2 < 0)
		goto close_efds;
	off = bar_offset(&dev, BAR0, EDU_LIVENESS);
	if (!EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, efd), "first binding"))
		goto close_efds;
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, SIZE32, off, value, efd), EEXIST,
		     "the same binding again");
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, SIZE32, off, value, efd2), EEXIST,
		     "the same offset, size and data with another eventfd");
	if (EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value + 1, efd),
		      "the same offset and size with other data"))
		EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value + 1, -1),
			  "removing the one with other data");
	if (EXPECT_OK(vfio_ioeventfd(dev.fd, VFIO_DEVICE_IOEVENTFD_16, off, value, efd),
		      "the same offset and data with another size"))
		EXPECT_OK(vfio_ioeventfd(dev.fd, VFIO_DEVICE_IOEVENTFD_16, off, value, -1),
			  "removing the one with another size");
	EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, -1), "removing the first");
close_efds:
	if (efd >= 0)
		close(efd);
	if (efd2 >= 0)
		close(efd2);
	vfio_dev_close(&dev);
}

static void edu_remove_nonexistent(const struct pci_func *f)
{
	const uint32_t value = 0x600d;
	struct vfio_dev dev;
	uint64_t off;
	int efd;

	if (!open_dev(&dev, f))
		return;
	off = bar_offset(&dev, BAR0, 0x1c);
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, SIZE32, off, value, -1), ENODEV,
		     "removing one that was never added");
	efd = new_eventfd();
	if (efd < 0)
		goto out;
	if (!EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, efd), "adding one"))
		goto close_efd;
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, VFIO_DEVICE_IOEVENTFD_16, off, value, -1),
		     ENODEV, "removing it with another size");
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, SIZE32, off, value + 1, -1), ENODEV,
		     "removing it with other data");
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, SIZE32, off + 4, value, -1), ENODEV,
		     "removing it at another offset");
	EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off, value, -1), "removing it");
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, SIZE32, off, value, -1), ENODEV,
		     "removing it a second time");
close_efd:
	close(efd);
out:
	vfio_dev_close(&dev);
}

static void edu_bad_flags(const struct pci_func *f)
{
	static const uint32_t flags[] = {
		0,
		VFIO_DEVICE_IOEVENTFD_8 | VFIO_DEVICE_IOEVENTFD_16,
		VFIO_DEVICE_IOEVENTFD_32 | VFIO_DEVICE_IOEVENTFD_64,
		VFIO_DEVICE_IOEVENTFD_SIZE_MASK,
		0x10,
		VFIO_DEVICE_IOEVENTFD_32 | 0x100,
		VFIO_DEVICE_IOEVENTFD_32 | 0x80000000,
	};
	struct vfio_dev dev;
	char what[64];
	uint64_t off;
	size_t i;
	int efd;

	if (!open_dev(&dev, f))
		return;
	efd = new_eventfd();
	if (efd < 0)
		goto out;
	off = bar_offset(&dev, BAR0, 0x40);
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		snprintf(what, sizeof(what), "VFIO_DEVICE_IOEVENTFD with flags 0x%x", flags[i]);
		if (!EXPECT_ERRNO(vfio_ioeventfd(dev.fd, flags[i], off, 1, efd), EINVAL, what))
			vfio_ioeventfd(dev.fd, flags[i], off, 1, -1);
	}
	close(efd);
out:
	vfio_dev_close(&dev);
}

static void edu_offsets(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint64_t size, bar0;
	char what[96];
	size_t i;
	int efd;

	if (!open_dev(&dev, f))
		return;
	efd = new_eventfd();
	if (efd < 0)
		goto out;
	size = dev.regions[BAR0].size;
	bar0 = bar_offset(&dev, BAR0, 0);
	{
		const struct {
			uint32_t flags;
			uint64_t off;
			const char *what;
		} bad[] = {
			{ SIZE32, bar0 + size, "4 bytes at BAR0's size" },
			{ SIZE32, bar0 + size - 2, "4 bytes across BAR0's end" },
			{ VFIO_DEVICE_IOEVENTFD_64, bar0 + size - 4, "8 bytes across BAR0's end" },
			{ SIZE32, bar0 + size + 0x10000, "4 bytes past BAR0's end" },
			{ SIZE32, bar_offset(&dev, VFIO_PCI_BAR1_REGION_INDEX, 0),
			  "4 bytes in BAR1, which edu does not have" },
			{ SIZE32, bar_offset(&dev, VFIO_PCI_ROM_REGION_INDEX, 0),
			  "4 bytes in the ROM region" },
			{ SIZE32, bar_offset(&dev, VFIO_PCI_CONFIG_REGION_INDEX, 0),
			  "4 bytes in the config region" },
			{ SIZE32, 9ULL << 40, "4 bytes at index 9 << 40, no region" },
		};
		const struct {
			uint32_t flags;
			uint64_t off;
			const char *what;
		} good[] = {
			{ SIZE32, bar0 + size - 4, "4 bytes ending at BAR0's end" },
			{ VFIO_DEVICE_IOEVENTFD_64, bar0 + size - 8, "8 bytes ending at BAR0's end" },
			{ SIZE32, bar0 + 0x42, "4 bytes at the unaligned BAR0 offset 0x42" },
			{ VFIO_DEVICE_IOEVENTFD_16, bar0 + 0x41, "2 bytes at the odd BAR0 offset 0x41" },
		};

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			snprintf(what, sizeof(what), "VFIO_DEVICE_IOEVENTFD of %s", bad[i].what);
			if (!EXPECT_ERRNO(vfio_ioeventfd(dev.fd, bad[i].flags, bad[i].off, 1, efd),
					  EINVAL, what))
				vfio_ioeventfd(dev.fd, bad[i].flags, bad[i].off, 1, -1);
		}
		for (i = 0; i < ARRAY_SIZE(good); i++) {
			snprintf(what, sizeof(what), "VFIO_DEVICE_IOEVENTFD of %s", good[i].what);
			if (EXPECT_OK(vfio_ioeventfd(dev.fd, good[i].flags, good[i].off, 1, efd), what))
				EXPECT_OK(vfio_ioeventfd(dev.fd, good[i].flags, good[i].off, 1, -1),
					  "removing it");
		}
	}
	close(efd);
out:
	vfio_dev_close(&dev);
}

static void edu_bad_fd_argsz(const struct pci_func *f)
{
	struct vfio_device_ioeventfd probe;
	struct vfio_dev dev;
	int efd, null_fd, closed_fd;
	uint64_t off;
	uint32_t minsz = (char *)&probe.fd + sizeof(probe.fd) - (char *)&probe;

	if (!open_dev(&dev, f))
		return;
	efd = new_eventfd();
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	closed_fd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0 || !EXPECT_OK(null_fd < 0 || closed_fd < 0 ? -errno : 0,
				  "opening /dev/null and a second eventfd"))
		goto out;
	/* A number that was an fd a moment ago and is none now. */
	close(closed_fd);
	off = bar_offset(&dev, BAR0, 0x50);
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, SIZE32, off, 1, closed_fd), EBADF,
		     "VFIO_DEVICE_IOEVENTFD with an fd that is not open");
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, SIZE32, off + 4, 1, null_fd), EINVAL,
		     "VFIO_DEVICE_IOEVENTFD with an fd that is not an eventfd");
	EXPECT_ERRNO(vfio_ioeventfd(dev.fd, SIZE32, off + 8, 1, -2), EINVAL,
		     "VFIO_DEVICE_IOEVENTFD with fd -2");
	EXPECT_ERRNO(vfio_ioeventfd_argsz(dev.fd, minsz - 1, SIZE32, off + 12, 1, efd),
		     EINVAL, "VFIO_DEVICE_IOEVENTFD with argsz one short of .fd's end");
	if (EXPECT_OK(vfio_ioeventfd_argsz(dev.fd, minsz, SIZE32, off + 12, 1, efd),
		      "VFIO_DEVICE_IOEVENTFD with argsz at .fd's end"))
		EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, off + 12, 1, -1), "removing it");
out:
	if (efd >= 0)
		close(efd);
	if (null_fd >= 0)
		close(null_fd);
	vfio_dev_close(&dev);
}

static void edu_limit(const struct pci_func *f)
{
	struct vfio_dev dev;
	int efd, ret = 0, added;
	uint64_t bar0;
	int i;

	if (!open_dev(&dev, f))
		return;
	efd = new_eventfd();
	if (efd < 0)
		goto out;
	bar0 = bar_offset(&dev, BAR0, 0x100);
	/* Offsets repeat, data does not: each one is distinct. */
	for (added = 0; added < IOEVENTFD_MAX + 1; added++) {
		ret = vfio_ioeventfd(dev.fd, SIZE32, bar0 + 4 * (added % 64), added, efd);
		if (ret)
			break;
	}
	tap_check(added == IOEVENTFD_MAX,
		  "ioeventfds one device takes: expected %d, got %d (then %s)",
		  IOEVENTFD_MAX, added, tap_errno_name(-ret));
	if (added == IOEVENTFD_MAX)
		EXPECT_ERRNO(ret, ENOSPC, "one more than the limit");
	for (i = 0; i < added; i++)
		if (!EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, bar0 + 4 * (i % 64), i, -1),
			       "removing one"))
			break;
	/* Room again once removed. */
	if (EXPECT_OK(vfio_ioeventfd(dev.fd, SIZE32, bar0, 0, efd), "adding one after removing all"))
		vfio_ioeventfd(dev.fd, SIZE32, bar0, 0, -1);
	close(efd);
out:
	vfio_dev_close(&dev);
}

static const struct region_case cases[] = {
	{ "ioeventfd_signal_writes_4_bytes_to_edu_liveness_until_removed", is_edu,
	  edu_signal_writes_liveness },
	{ "ioeventfd_signal_writes_8_bytes_to_edu_dma_src", is_edu,
	  edu_signal_writes_8_bytes },
	{ "ioeventfd_signal_with_decode_off_is_dropped", is_edu, edu_decode_off_drops },
	{ "ioeventfd_released_when_device_closed", is_edu, edu_released_on_close },
	{ "ioeventfd_duplicate_gives_eexist_other_data_or_size_allowed", is_edu,
	  edu_duplicates },
	{ "ioeventfd_remove_nonexistent_gives_enodev", is_edu, edu_remove_nonexistent },
	{ "ioeventfd_bad_size_flags_give_einval", is_edu, edu_bad_flags },
	{ "ioeventfd_range_outside_a_bar_gives_einval", is_edu, edu_offsets },
	{ "ioeventfd_bad_fd_ebadf_or_einval_short_argsz_einval", is_edu,
	  edu_bad_fd_argsz },
	{ "ioeventfd_limit_1000_per_device_then_enospc", is_edu, edu_limit },
	{ "ioeventfd_1_2_byte_writes_select_testdev_mem_test", is_testdev,
	  testdev_mem_narrow },
	{ "ioeventfd_1_2_byte_writes_select_testdev_io_test", is_testdev,
	  testdev_io_narrow },
	{ "ioeventfd_on_e1000e_io_bar_writes_ioaddr", is_e1000e, e1000e_io_bar_write },
	{ "ioeventfd_survives_device_reset", is_e1000e, e1000e_survives_reset },
};

int main(void)
{
	region_run_cases(cases, ARRAY_SIZE(cases),
			 "no edu, pci-testdev or e1000e function present (or none matching VFIO_TEST_DEVICE)");
}
