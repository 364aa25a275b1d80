// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device cdev and iommufd: a function opened through
 * /dev/vfio/devices/vfioN, bound to an iommufd (/dev/iommu) and attached to
 * an I/O address space, instead of through its group and a container.
 *
 * What it proves: the cdev node of every VFIO-bound function is the one its
 * sysfs vfio-dev entry names; the device refuses everything until
 * VFIO_DEVICE_BIND_IOMMUFD, which gives a devid, once; ATTACH to an IOAS;
 * edu's DMA engine reaches a buffer mapped in the IOAS and not one unmapped
 * from it; VFIO_DEVICE_GET_PCI_HOT_RESET_INFO reports devids (and the OWNED
 * and NOT_OWNED values) and VFIO_DEVICE_PCI_HOT_RESET takes the empty group
 * fd array when the whole reset domain is owned, and is refused when it is
 * not; DETACH blocks DMA; close and reopen; the group path and the cdev path
 * exclude each other.
 *
 * Both drivers: the cdev, bind and attach are the VFIO core's, but the
 * hot reset ioctls are vfio-pci's.  On a kernel without IOMMUFD or
 * VFIO_DEVICE_CDEV (Debian's 6.12 has neither) every case skips, saying so.
 *
 * Functions (zoo): edu 00:03.0 for the DMA cases; e1000e 01:00.0, alone
 * behind rp1, and the multifunction slot 03:00.0-1 behind rp3 (one IOMMU
 * group, one secondary bus reset) for the hot reset cases.  The case that
 * needs 03:00.1 outside vfio-pci unbinds it and binds it back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cdev_util.h"
#include "edu_util.h"
#include "irq_util.h"
#include "region_util.h"
#include "reset_util.h"
#include "vfio_util.h"

#define EDU_BDF		"0000:00:03.0"
#define LONE_BDF	"0000:01:00.0"
#define MF_BDF0		"0000:03:00.0"
#define MF_BDF1		"0000:03:00.1"

#define PAGE		4096
/* Below edu's 28-bit DMA mask; far from each other. */
#define SRC_IOVA	0x100000ULL
#define DST_IOVA	0x200000ULL
#define SENTINEL	0x5a

/* Why every case skips, when the kernel cannot open devices by cdev. */
static char unsupported[160];

static bool expect_all(const void *got, uint8_t want, size_t len,
		       const char *what)
{
	const uint8_t *g = got;
	size_t i;

	for (i = 0; i < len; i++)
		if (g[i] != want)
			return tap_check(false, "%s: byte 0x%zx: expected 0x%02x (untouched), got 0x%02x",
					 what, i, want, g[i]);
	return true;
}

/*
 * Whether the case may run on @bdf: it is in the zoo and bound to vfio-pci
 * (function_usable(): and $VFIO_TEST_DEVICE, if set, names it).  Skips the
 * case when not.
 */
static bool function_bound(const char *bdf)
{
	char driver[64];

	if (!pci_function_exists(bdf)) {
		tap_case_skip("no %s (zoo)", bdf);
		return false;
	}
	if (pci_driver_name(bdf, driver, sizeof(driver)) < 0 ||
	    strcmp(driver, "vfio-pci")) {
		tap_case_skip("%s is not bound to vfio-pci", bdf);
		return false;
	}
	return true;
}

static bool function_usable(const char *bdf)
{
	const char *want = getenv("VFIO_TEST_DEVICE");

	if (want && *want && !strstr(bdf, want)) {
		tap_case_skip("VFIO_TEST_DEVICE=%s is not %s", want, bdf);
		return false;
	}
	return function_bound(bdf);
}

/* The cdev of @bdf opened and bound to a fresh iommufd, nothing attached. */
struct bound {
	int fd;
	int iommufd;
	uint32_t devid;
};

static bool bind_fresh(struct bound *b, const char *bdf)
{
	b->fd = b->iommufd = -1;
	b->fd = vfio_cdev_open(bdf);
	if (!EXPECT_OK(b->fd, "opening the cdev"))
		return false;
	b->iommufd = iommufd_open();
	if (!EXPECT_OK(b->iommufd, "opening " IOMMUFD_NODE))
		return false;
	return EXPECT_OK(vfio_device_bind_iommufd(b->fd, b->iommufd, &b->devid),
			 "VFIO_DEVICE_BIND_IOMMUFD");
}

static void unbind_close(struct bound *b)
{
	if (b->fd >= 0)
		close(b->fd);
	if (b->iommufd >= 0)
		close(b->iommufd);
	b->fd = b->iommufd = -1;
}

/* ---- The cdev node and binding ----------------------------------------- */

static void cdev_nodes_match_sysfs(void)
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	unsigned int major, minor;
	char driver[64], path[64], what[128];
	struct stat st;
	int i, n, seen = 0;

	n = vfio_zoo_functions(funcs, ARRAY_SIZE(funcs));
	if (!EXPECT_GE(n, 0, "listing the zoo"))
		return;
	for (i = 0; i < n; i++) {
		const char *bdf = funcs[i].bdf;

		if (pci_driver_name(bdf, driver, sizeof(driver)) < 0 ||
		    strcmp(driver, "vfio-pci"))
			continue;
		seen++;
		snprintf(what, sizeof(what), "the vfio-dev cdev of %.16s", bdf);
		if (!EXPECT_OK(vfio_cdev_path(bdf, path, sizeof(path)), what))
			continue;
		snprintf(what, sizeof(what), "sysfs vfio-dev/.../dev of %.16s", bdf);
		if (!EXPECT_OK(vfio_cdev_sysfs_devt(bdf, &major, &minor), what))
			continue;
		snprintf(what, sizeof(what), "stat of %s", path);
		if (!EXPECT_OK(stat(path, &st) ? -errno : 0, what))
			continue;
		tap_diag("%s: %s %u:%u", bdf, path, major, minor);
		snprintf(what, sizeof(what), "%s is a character device", path);
		EXPECT_TRUE(S_ISCHR(st.st_mode), what);
		snprintf(what, sizeof(what), "%s: major as sysfs says", path);
		EXPECT_EQ(major(st.st_rdev), major, what);
		snprintf(what, sizeof(what), "%s: minor as sysfs says", path);
		EXPECT_EQ(minor(st.st_rdev), minor, what);
	}
	EXPECT_GE(seen, 1, "functions bound to vfio-pci");
}

/*
 * What an unbound cdev answers to every ioctl but the bind, and to read()
 * and write(): the uAPI only says access is refused; EINVAL is what the
 * VFIO core gives (measured on the reference).
 */
#define BEFORE_BIND_ERRNO	EINVAL

static void device_refuses_access_before_bind(void)
{
	struct vfio_device_info info;
	struct vfio_region_info region;
	uint32_t pt_id = 1, val;
	int fd;

	if (!function_usable(EDU_BDF))
		return;
	fd = vfio_cdev_open(EDU_BDF);
	if (!EXPECT_OK(fd, "opening the cdev"))
		return;
	EXPECT_ERRNO(vfio_device_get_info(fd, &info), BEFORE_BIND_ERRNO,
		     "VFIO_DEVICE_GET_INFO before bind");
	EXPECT_ERRNO(vfio_device_get_region_info(fd, VFIO_PCI_CONFIG_REGION_INDEX,
						 &region), BEFORE_BIND_ERRNO,
		     "VFIO_DEVICE_GET_REGION_INFO before bind");
	EXPECT_ERRNO(vfio_ioctl(fd, VFIO_DEVICE_RESET, NULL), BEFORE_BIND_ERRNO,
		     "VFIO_DEVICE_RESET before bind");
	EXPECT_ERRNO(vfio_device_attach_pt(fd, &pt_id), BEFORE_BIND_ERRNO,
		     "VFIO_DEVICE_ATTACH_IOMMUFD_PT before bind");
	EXPECT_ERRNO(pread(fd, &val, sizeof(val), 0) < 0 ? -errno : 0,
		     BEFORE_BIND_ERRNO, "read() before bind");
	EXPECT_ERRNO(pwrite(fd, &val, sizeof(val), 0) < 0 ? -errno : 0,
		     BEFORE_BIND_ERRNO, "write() before bind");
	close(fd);
}

static void bind_gives_devid_and_access(void)
{
	struct vfio_device_info info;
	struct bound b;

	if (!function_usable(EDU_BDF))
		return;
	if (bind_fresh(&b, EDU_BDF)) {
		tap_diag("%s: devid %u", EDU_BDF, b.devid);
		/* The uAPI: a valid devid is > 0 (0 and -1 mean OWNED/NOT_OWNED). */
		EXPECT_NE(b.devid, VFIO_PCI_DEVID_OWNED, "devid");
		EXPECT_NE(b.devid, (uint32_t)VFIO_PCI_DEVID_NOT_OWNED, "devid");
		if (EXPECT_OK(vfio_device_get_info(b.fd, &info),
			      "VFIO_DEVICE_GET_INFO after bind")) {
			EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI,
				    "VFIO_DEVICE_FLAGS_PCI after bind");
			EXPECT_EQ(info.num_regions, VFIO_PCI_NUM_REGIONS,
				  "regions after bind");
		}
	}
	unbind_close(&b);
}

/* A bound fd, bound again to any iommufd (the reference: EINVAL). */
#define REBIND_ERRNO		EINVAL

static void second_bind_refused(void)
{
	struct vfio_device_info info;
	struct bound b;
	uint32_t devid;
	int other;

	if (!function_usable(EDU_BDF))
		return;
	if (!bind_fresh(&b, EDU_BDF))
		goto out;
	EXPECT_ERRNO(vfio_device_bind_iommufd(b.fd, b.iommufd, &devid), REBIND_ERRNO,
		     "a second VFIO_DEVICE_BIND_IOMMUFD to the same iommufd");
	other = iommufd_open();
	if (EXPECT_OK(other, "opening another iommufd")) {
		EXPECT_ERRNO(vfio_device_bind_iommufd(b.fd, other, &devid),
			     REBIND_ERRNO,
			     "a second VFIO_DEVICE_BIND_IOMMUFD to another iommufd");
		close(other);
	}
	/* The first bond is still there. */
	EXPECT_OK(vfio_device_get_info(b.fd, &info),
		  "VFIO_DEVICE_GET_INFO after the refused binds");
out:
	unbind_close(&b);
}

/*
 * A second open of a cdev whose device is bound succeeds, but it cannot
 * bind too, to the same iommufd or another (the reference: EINVAL).
 */
#define SECOND_FD_BIND_ERRNO	EINVAL

static void second_fd_cannot_bind(void)
{
	struct bound b, c;

	if (!function_usable(EDU_BDF))
		return;
	c.fd = c.iommufd = -1;
	if (!bind_fresh(&b, EDU_BDF))
		goto out;
	c.fd = vfio_cdev_open(EDU_BDF);
	if (!EXPECT_OK(c.fd, "a second open of the bound device's cdev"))
		goto out;
	EXPECT_ERRNO(vfio_device_bind_iommufd(c.fd, b.iommufd, &c.devid),
		     SECOND_FD_BIND_ERRNO,
		     "VFIO_DEVICE_BIND_IOMMUFD of a second fd, same iommufd");
	c.iommufd = iommufd_open();
	if (EXPECT_OK(c.iommufd, "opening another iommufd"))
		EXPECT_ERRNO(vfio_device_bind_iommufd(c.fd, c.iommufd, &c.devid),
			     SECOND_FD_BIND_ERRNO,
			     "VFIO_DEVICE_BIND_IOMMUFD of a second fd, another iommufd");
out:
	unbind_close(&c);
	unbind_close(&b);
}

static void attach_to_ioas(void)
{
	uint32_t ioas, pt_id;
	struct bound b;

	if (!function_usable(EDU_BDF))
		return;
	if (!bind_fresh(&b, EDU_BDF))
		goto out;
	if (!EXPECT_OK(iommufd_ioas_alloc(b.iommufd, &ioas), "IOMMU_IOAS_ALLOC"))
		goto out;
	pt_id = ioas + 1000;
	EXPECT_ERRNO(vfio_device_attach_pt(b.fd, &pt_id), ENOENT,
		     "VFIO_DEVICE_ATTACH_IOMMUFD_PT to an id that does not exist");
	pt_id = ioas;
	if (EXPECT_OK(vfio_device_attach_pt(b.fd, &pt_id),
		      "VFIO_DEVICE_ATTACH_IOMMUFD_PT to the IOAS"))
		tap_diag("%s: IOAS %u, attached pt_id %u", EDU_BDF, ioas, pt_id);
	EXPECT_OK(vfio_device_detach_pt(b.fd), "VFIO_DEVICE_DETACH_IOMMUFD_PT");
out:
	unbind_close(&b);
}

/* ---- DMA through the IOAS ---------------------------------------------- */

/* edu opened by cdev, with a source and a destination page in its IOAS. */
struct dma_setup {
	struct vfio_dev dev;
	struct vfio_dma_buf src, dst;
};

static bool dma_open(struct dma_setup *s)
{
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;

	memset(&s->src, 0, sizeof(s->src));
	memset(&s->dst, 0, sizeof(s->dst));
	if (!EXPECT_OK(vfio_dev_open_cdev(&s->dev, EDU_BDF), "opening edu by cdev"))
		return false;
	return EXPECT_OK(vfio_dma_buf_map(&s->dev, &s->src, SRC_IOVA, PAGE, rw),
			 "IOMMU_IOAS_MAP of the source page") &&
	       EXPECT_OK(vfio_dma_buf_map(&s->dev, &s->dst, DST_IOVA, PAGE, rw),
			 "IOMMU_IOAS_MAP of the destination page") &&
	       EXPECT_OK(irq_command_set(&s->dev, PCI_COMMAND_MEMORY |
					 PCI_COMMAND_MASTER),
			 "memory decode and bus master on");
}

static void dma_close(struct dma_setup *s)
{
	if (s->dev.fd >= 0)
		vfio_dma_buf_free(&s->dev, &s->src);
	if (s->dev.fd >= 0)
		vfio_dma_buf_free(&s->dev, &s->dst);
	vfio_dev_close(&s->dev);
}

/* Pattern @seed from the source page into edu and out to the destination. */
static bool dma_round_trip(struct dma_setup *s, int seed, const char *when)
{
	char what[128];

	edu_fill_pattern(s->src.vaddr, PAGE, seed);
	memset(s->dst.vaddr, 0, PAGE);
	snprintf(what, sizeof(what), "DMA RAM->edu from IOVA 0x%llx %s",
		 SRC_IOVA, when);
	if (!EXPECT_OK(edu_dma(&s->dev, SRC_IOVA, 0, EDU_DMA_REACHABLE, false), what))
		return false;
	snprintf(what, sizeof(what), "DMA edu->RAM to IOVA 0x%llx %s",
		 DST_IOVA, when);
	if (!EXPECT_OK(edu_dma(&s->dev, DST_IOVA, 0, EDU_DMA_REACHABLE, true), what))
		return false;
	snprintf(what, sizeof(what), "the destination page %s", when);
	return tap_expect_bytes(s->dst.vaddr, s->src.vaddr, EDU_DMA_REACHABLE, what);
}

/* A DMA edu->RAM to DST_IOVA that must not reach the destination page. */
static void dma_must_not_land(struct dma_setup *s, const char *when)
{
	char what[128];

	memset(s->dst.vaddr, SENTINEL, PAGE);
	snprintf(what, sizeof(what), "DMA edu->RAM to IOVA 0x%llx %s",
		 DST_IOVA, when);
	/* The engine finishes either way; the IOMMU drops the writes. */
	if (!EXPECT_OK(edu_dma(&s->dev, DST_IOVA, 0, EDU_DMA_REACHABLE, true), what))
		return;
	snprintf(what, sizeof(what), "the destination page %s", when);
	expect_all(s->dst.vaddr, SENTINEL, PAGE, what);
}

static void edu_dma_through_ioas(void)
{
	struct dma_setup s;

	if (!function_usable(EDU_BDF))
		return;
	if (dma_open(&s))
		dma_round_trip(&s, 1, "mapped in the IOAS");
	dma_close(&s);
}

static void dma_to_unmapped_iova_does_not_land(void)
{
	uint64_t unmapped = 0;
	struct dma_setup s;

	if (!function_usable(EDU_BDF))
		return;
	if (!dma_open(&s) || !dma_round_trip(&s, 2, "before the unmap"))
		goto out;
	if (!EXPECT_OK(iommufd_ioas_unmap(s.dev.iommufd, s.dev.ioas_id, DST_IOVA,
					  PAGE, &unmapped),
		       "IOMMU_IOAS_UNMAP of the destination page"))
		goto out;
	s.dst.mapped = false;
	EXPECT_EQ(unmapped, PAGE, "bytes IOMMU_IOAS_UNMAP says it unmapped");
	dma_must_not_land(&s, "after its IOVA was unmapped");
	/* Mapped again, the same page takes the DMA: the engine is fine. */
	if (EXPECT_OK(iommufd_ioas_map_fixed(s.dev.iommufd, s.dev.ioas_id,
					     s.dst.vaddr, PAGE, DST_IOVA,
					     IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE),
		      "IOMMU_IOAS_MAP of the destination page again")) {
		s.dst.mapped = true;
		dma_round_trip(&s, 3, "after it was mapped again");
	}
out:
	dma_close(&s);
}

static void detach_blocks_dma(void)
{
	struct dma_setup s;
	uint32_t pt_id;

	if (!function_usable(EDU_BDF))
		return;
	if (!dma_open(&s) || !dma_round_trip(&s, 4, "before the detach"))
		goto out;
	if (!EXPECT_OK(vfio_device_detach_pt(s.dev.fd), "VFIO_DEVICE_DETACH_IOMMUFD_PT"))
		goto out;
	dma_must_not_land(&s, "while the device is detached");
	pt_id = s.dev.ioas_id;
	if (EXPECT_OK(vfio_device_attach_pt(s.dev.fd, &pt_id),
		      "VFIO_DEVICE_ATTACH_IOMMUFD_PT to the IOAS again"))
		dma_round_trip(&s, 5, "after attaching again");
out:
	dma_close(&s);
}

static void close_and_reopen(void)
{
	uint32_t id = 0, first_devid;
	struct vfio_dev dev;
	int i;

	if (!function_usable(EDU_BDF))
		return;
	for (i = 0; i < 3; i++) {
		if (!EXPECT_OK(vfio_dev_open_cdev(&dev, EDU_BDF),
			       i ? "opening edu by cdev again" : "opening edu by cdev"))
			return;
		if (!i)
			first_devid = dev.devid;
		else
			tap_diag("open %d: devid %u (first %u)", i + 1, dev.devid,
				 first_devid);
		if (EXPECT_OK(vfio_set_memory_decode(&dev, true), "memory decode on") &&
		    EXPECT_OK(edu_read32(&dev, EDU_REG_ID, &id), "reading edu's ID"))
			EXPECT_EQ_HEX(id, EDU_ID_VALUE, "edu's ID register");
		vfio_dev_close(&dev);
	}
}

/* ---- The group path and the cdev exclude each other -------------------- */

/*
 * The reference: the group node's open gives EBUSY while the device is
 * bound through its cdev, and the cdev's bind gives EBUSY while the group
 * path has the device.
 */
#define EXCLUSION_ERRNO		EBUSY

/*
 * The group path step by step on @bdf: the first error, with the step that
 * gave it in *step; 0 (and the device fd closed again) if it all worked.
 */
static int group_path_first_error(const char *bdf, const char **step)
{
	int container, group, fd, ret;

	*step = "opening the container";
	container = vfio_container_open();
	if (container < 0)
		return container;
	*step = "opening the group";
	group = vfio_group_open(pci_iommu_group(bdf));
	ret = group;
	if (group < 0)
		goto out_container;
	*step = "VFIO_GROUP_SET_CONTAINER";
	ret = vfio_group_set_container(group, container);
	if (ret < 0)
		goto out_group;
	*step = "VFIO_SET_IOMMU";
	ret = vfio_container_set_iommu(container, VFIO_TYPE1v2_IOMMU);
	if (ret < 0)
		goto out_group;
	*step = "VFIO_GROUP_GET_DEVICE_FD";
	fd = vfio_group_get_device_fd(group, bdf);
	ret = fd < 0 ? fd : 0;
	if (fd >= 0)
		close(fd);
out_group:
	close(group);
out_container:
	close(container);
	return ret;
}

static void group_open_refused_while_cdev_bound(void)
{
	struct vfio_dev dev;
	const char *step;
	char what[128];
	int ret;

	if (!function_usable(EDU_BDF))
		return;
	if (!EXPECT_OK(vfio_dev_open_cdev(&dev, EDU_BDF), "opening edu by cdev"))
		return;
	ret = group_path_first_error(EDU_BDF, &step);
	tap_diag("group path while the cdev is bound: %s at %s",
		 tap_errno_name(-ret), step);
	snprintf(what, sizeof(what), "the group path while the cdev is bound (%s)",
		 step);
	EXPECT_ERRNO(ret, EXCLUSION_ERRNO, what);
	vfio_dev_close(&dev);
	/* And once the cdev is closed, the group path works again. */
	EXPECT_OK(group_path_first_error(EDU_BDF, &step),
		  "the group path after the cdev was closed");
}

static void cdev_bind_refused_while_group_open(void)
{
	struct vfio_dev dev;
	struct bound b = { .fd = -1, .iommufd = -1 };

	if (!function_usable(EDU_BDF))
		return;
	if (!EXPECT_OK(vfio_dev_open_group(&dev, EDU_BDF), "opening edu by its group"))
		return;
	b.fd = vfio_cdev_open(EDU_BDF);
	if (b.fd < 0) {
		tap_diag("cdev open while the group path has the device: %s",
			 tap_errno_name(-b.fd));
		EXPECT_ERRNO(b.fd, EXCLUSION_ERRNO,
			     "opening the cdev while the group path has the device");
		goto out;
	}
	b.iommufd = iommufd_open();
	if (EXPECT_OK(b.iommufd, "opening " IOMMUFD_NODE))
		EXPECT_ERRNO(vfio_device_bind_iommufd(b.fd, b.iommufd, &b.devid),
			     EXCLUSION_ERRNO,
			     "VFIO_DEVICE_BIND_IOMMUFD while the group path has the device");
out:
	unbind_close(&b);
	vfio_dev_close(&dev);
	/* Once the group path let go, the cdev binds. */
	if (EXPECT_OK(vfio_dev_open_cdev(&dev, EDU_BDF),
		      "opening edu by cdev after the group was closed"))
		vfio_dev_close(&dev);
}

/* ---- Hot reset on the cdev --------------------------------------------- */

struct expected_dep {
	const char *bdf;
	uint32_t devid;
};

/*
 * The info of @fd must have the cdev's flags (@owned: DEV_ID_OWNED too)
 * and list exactly @want, each with its devid.
 */
static void expect_devid_info(int fd, const struct expected_dep *want, int n,
			      bool owned)
{
	struct vfio_pci_hot_reset_info *info;
	char bdf[PCI_BDF_LEN], what[128];
	uint32_t i;
	int j;

	if (!EXPECT_OK(vfio_hot_reset_info(fd, &info),
		       "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO"))
		return;
	tap_diag("hot reset info: flags 0x%x, %u devices", info->flags, info->count);
	EXPECT_TRUE(info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID,
		    "VFIO_PCI_HOT_RESET_FLAG_DEV_ID on a cdev");
	if (owned)
		EXPECT_TRUE(info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED,
			    "VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED: all owned");
	else
		EXPECT_TRUE(!(info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED),
			    "no VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED: one not owned");
	EXPECT_EQ(info->count, n, "affected devices");
	for (i = 0; i < info->count; i++) {
		vfio_dependent_bdf(&info->devices[i], bdf, sizeof(bdf));
		tap_diag("  %s devid %d", bdf,
			 (int)vfio_dependent_devid(&info->devices[i]));
		for (j = 0; j < n; j++)
			if (!strcmp(want[j].bdf, bdf))
				break;
		snprintf(what, sizeof(what), "%s is one of the affected", bdf);
		if (!EXPECT_TRUE(j < n, what))
			continue;
		snprintf(what, sizeof(what), "devid of %s", bdf);
		EXPECT_EQ((int32_t)vfio_dependent_devid(&info->devices[i]),
			  (int32_t)want[j].devid, what);
	}
	free(info);
}

static bool mf_usable(void)
{
	const char *want = getenv("VFIO_TEST_DEVICE");

	if (want && *want && !strstr(MF_BDF0, want) && !strstr(MF_BDF1, want)) {
		tap_case_skip("VFIO_TEST_DEVICE=%s is not the slot %s/%s", want,
			      MF_BDF0, MF_BDF1);
		return false;
	}
	return function_bound(MF_BDF0) && function_bound(MF_BDF1);
}

/* Still a PCI function that answers with its IDs through the cdev. */
static void expect_device_answers(struct vfio_dev *dev, const char *when)
{
	uint32_t ids = 0, sysfs = 0;
	char what[128];

	snprintf(what, sizeof(what), "vendor/device through the config region %s",
		 when);
	if (EXPECT_OK(vfio_config_read32(dev, 0, &ids), what) &&
	    EXPECT_OK(pci_config_sysfs_read32(dev->bdf, 0, &sysfs),
		      "vendor/device through sysfs"))
		EXPECT_EQ_HEX(ids, sysfs, what);
}

static void lone_info_gives_own_devid(void)
{
	struct expected_dep want[1] = { { LONE_BDF, 0 } };
	struct vfio_dev dev;

	if (!function_usable(LONE_BDF))
		return;
	if (!EXPECT_OK(vfio_dev_open_cdev(&dev, LONE_BDF), "opening " LONE_BDF " by cdev"))
		return;
	want[0].devid = dev.devid;
	tap_diag("%s: devid %u", LONE_BDF, dev.devid);
	expect_devid_info(dev.fd, want, 1, true);
	vfio_dev_close(&dev);
}

static void lone_hot_reset_with_no_group_fds(void)
{
	struct vfio_dev dev;

	if (!function_usable(LONE_BDF))
		return;
	if (!EXPECT_OK(vfio_dev_open_cdev(&dev, LONE_BDF), "opening " LONE_BDF " by cdev"))
		return;
	if (EXPECT_OK(vfio_hot_reset(dev.fd, NULL, 0),
		      "VFIO_DEVICE_PCI_HOT_RESET with an empty group fd array"))
		expect_device_answers(&dev, "after the hot reset");
	vfio_dev_close(&dev);
}

/* The uAPI: on a cdev the group fd array must be empty. */
static void lone_hot_reset_with_group_fds_refused(void)
{
	struct vfio_dev dev;
	int32_t fds[1];

	if (!function_usable(LONE_BDF))
		return;
	if (!EXPECT_OK(vfio_dev_open_cdev(&dev, LONE_BDF), "opening " LONE_BDF " by cdev"))
		return;
	fds[0] = dev.iommufd;
	EXPECT_ERRNO(vfio_hot_reset(dev.fd, fds, 1), EINVAL,
		     "VFIO_DEVICE_PCI_HOT_RESET on a cdev with one fd in the array");
	vfio_dev_close(&dev);
}

/*
 * Only 03:00.0 bound: 03:00.1, in the same IOMMU group and bound to
 * vfio-pci, is owned implicitly (VFIO_PCI_DEVID_OWNED); bound too, it
 * shows its own devid.  Either way the whole slot is owned and the empty
 * fd array resets it.
 */
static void mf_info_and_reset_owned(void)
{
	struct expected_dep want[2] = { { MF_BDF0, 0 }, { MF_BDF1, 0 } };
	bool same_group;
	struct vfio_dev dev;
	struct bound b1 = { .fd = -1, .iommufd = -1 };

	if (!mf_usable())
		return;
	same_group = pci_iommu_group(MF_BDF0) == pci_iommu_group(MF_BDF1);
	if (!same_group) {
		tap_case_skip("%s and %s are in different IOMMU groups here",
			      MF_BDF0, MF_BDF1);
		return;
	}
	if (!EXPECT_OK(vfio_dev_open_cdev(&dev, MF_BDF0), "opening " MF_BDF0 " by cdev"))
		return;
	want[0].devid = dev.devid;
	want[1].devid = VFIO_PCI_DEVID_OWNED;
	tap_diag("only %s bound (devid %u):", MF_BDF0, dev.devid);
	expect_devid_info(dev.fd, want, 2, true);
	if (EXPECT_OK(vfio_hot_reset(dev.fd, NULL, 0),
		      "hot reset of the slot, empty fd array, one function bound"))
		expect_device_answers(&dev, "after the slot reset");

	b1.fd = vfio_cdev_open(MF_BDF1);
	if (!EXPECT_OK(b1.fd, "opening " MF_BDF1 "'s cdev"))
		goto out;
	if (!EXPECT_OK(vfio_device_bind_iommufd(b1.fd, dev.iommufd, &b1.devid),
		       "binding " MF_BDF1 " to the same iommufd"))
		goto out;
	want[1].devid = b1.devid;
	tap_diag("both bound (devids %u, %u):", dev.devid, b1.devid);
	expect_devid_info(dev.fd, want, 2, true);
	EXPECT_OK(vfio_hot_reset(b1.fd, NULL, 0),
		  "hot reset of the slot, empty fd array, through " MF_BDF1);
	expect_device_answers(&dev, "after the second slot reset");
out:
	unbind_close(&b1);
	vfio_dev_close(&dev);
}

/*
 * 03:00.1 in the group, but bound to another iommufd: refused at its bind,
 * as the group's DMA already belongs to the first iommufd (the reference:
 * EPERM).
 */
#define SIBLING_OTHER_IOMMUFD_ERRNO	EPERM

static void mf_sibling_cannot_bind_another_iommufd(void)
{
	struct bound b1 = { .fd = -1, .iommufd = -1 };
	struct vfio_dev dev;

	if (!mf_usable())
		return;
	if (pci_iommu_group(MF_BDF0) != pci_iommu_group(MF_BDF1)) {
		tap_case_skip("%s and %s are in different IOMMU groups here",
			      MF_BDF0, MF_BDF1);
		return;
	}
	if (!EXPECT_OK(vfio_dev_open_cdev(&dev, MF_BDF0), "opening " MF_BDF0 " by cdev"))
		return;
	b1.fd = vfio_cdev_open(MF_BDF1);
	b1.iommufd = iommufd_open();
	if (EXPECT_OK(b1.fd, "opening " MF_BDF1 "'s cdev") &&
	    EXPECT_OK(b1.iommufd, "opening another iommufd"))
		EXPECT_ERRNO(vfio_device_bind_iommufd(b1.fd, b1.iommufd, &b1.devid),
			     SIBLING_OTHER_IOMMUFD_ERRNO,
			     "binding " MF_BDF1 " to another iommufd than its group sibling");
	unbind_close(&b1);
	vfio_dev_close(&dev);
}

/*
 * 03:00.1 taken away from vfio-pci (left without a driver): it is in the
 * reset domain but in no VFIO device set, so not owned (the only way to
 * have a function of this slot not owned here: bound to vfio-pci, the
 * sibling is owned through the shared group, and it cannot bind to another
 * iommufd), and the empty fd array cannot prove otherwise (the reference:
 * EINVAL).
 */
#define NOT_OWNED_RESET_ERRNO	EINVAL

static void mf_reset_refused_with_sibling_not_owned(void)
{
	struct expected_dep want[2] = {
		{ MF_BDF0, 0 }, { MF_BDF1, (uint32_t)VFIO_PCI_DEVID_NOT_OWNED },
	};
	struct vfio_dev dev;

	if (!mf_usable())
		return;
	if (!EXPECT_OK(pci_unbind(MF_BDF1), "unbinding " MF_BDF1 " from vfio-pci"))
		goto rebind;
	if (!EXPECT_OK(vfio_dev_open_cdev(&dev, MF_BDF0), "opening " MF_BDF0 " by cdev"))
		goto rebind;
	want[0].devid = dev.devid;
	expect_devid_info(dev.fd, want, 2, false);
	EXPECT_ERRNO(vfio_hot_reset(dev.fd, NULL, 0), NOT_OWNED_RESET_ERRNO,
		     "hot reset of the slot with " MF_BDF1 " not owned");
	expect_device_answers(&dev, "after the refused reset");
	vfio_dev_close(&dev);
rebind:
	EXPECT_OK(pci_bind(MF_BDF1, "vfio-pci"), "binding " MF_BDF1 " back to vfio-pci");
}

/* ---- Running ------------------------------------------------------------ */

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "cdev_node_of_every_vfio_function_matches_sysfs",
	  cdev_nodes_match_sysfs },
	{ "device_ioctls_and_io_before_bind_give_einval " EDU_BDF,
	  device_refuses_access_before_bind },
	{ "bind_iommufd_gives_devid_and_device_access " EDU_BDF,
	  bind_gives_devid_and_access },
	{ "second_bind_on_same_fd_gives_einval " EDU_BDF,
	  second_bind_refused },
	{ "second_fd_of_bound_device_bind_gives_einval " EDU_BDF,
	  second_fd_cannot_bind },
	{ "attach_to_ioas_works_and_unknown_id_gives_enoent " EDU_BDF,
	  attach_to_ioas },
	{ "edu_dma_round_trip_through_ioas_mapping " EDU_BDF,
	  edu_dma_through_ioas },
	{ "edu_dma_to_unmapped_iova_does_not_reach_memory " EDU_BDF,
	  dma_to_unmapped_iova_does_not_land },
	{ "detach_blocks_dma_and_attach_restores_it " EDU_BDF,
	  detach_blocks_dma },
	{ "close_and_reopen_by_cdev_works " EDU_BDF,
	  close_and_reopen },
	{ "group_path_gives_ebusy_while_cdev_bound " EDU_BDF,
	  group_open_refused_while_cdev_bound },
	{ "cdev_bind_gives_ebusy_while_group_path_open " EDU_BDF,
	  cdev_bind_refused_while_group_open },
	{ "hot_reset_info_on_cdev_gives_own_devid " LONE_BDF,
	  lone_info_gives_own_devid },
	{ "hot_reset_on_cdev_with_empty_fd_array_works " LONE_BDF,
	  lone_hot_reset_with_no_group_fds },
	{ "hot_reset_on_cdev_with_group_fds_gives_einval " LONE_BDF,
	  lone_hot_reset_with_group_fds_refused },
	{ "hot_reset_of_slot_owned_by_iommufd_devids_and_empty_array_reset " MF_BDF0,
	  mf_info_and_reset_owned },
	{ "group_sibling_bind_to_another_iommufd_gives_eperm " MF_BDF1,
	  mf_sibling_cannot_bind_another_iommufd },
	{ "hot_reset_of_slot_with_sibling_not_owned_gives_einval " MF_BDF0,
	  mf_reset_refused_with_sibling_not_owned },
};

int main(void)
{
	bool supported;
	size_t i;

	supported = vfio_cdev_supported(NULL, unsupported, sizeof(unsupported));
	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tap_case_begin("%s", cases[i].name);
		if (supported)
			cases[i].run();
		else
			tap_case_skip("%s", unsupported);
		tap_case_end();
	}
	tap_finish();
}
