// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test cases for the IGD extension, compiled into one unit with the
 * repository's vfio_pci_igd.c so they reach its static helpers.  QEMU
 * emulates no IGD, so the cases cover what can be covered without one:
 *  - vfio_pci_igd_opregion_check() on crafted buffers, valid and broken;
 *  - the OpRegion region built from crafted OpRegions placed in RAM (the
 *    appended VBT, the rewritten RVDA and version, read-only access);
 *  - the bridge regions on q35's real host bridge (00:00.0) and LPC bridge
 *    (00:1f.0), read through the region's rw op and compared with
 *    pci_read_config_byte(), and their reference counting.
 * Regions are registered on a zeroed vfio_pci_core_device that only has
 * its pdev set: vfio_pci_core_register_dev_region() needs nothing else.
 *
 * Everything runs when the module is loaded, in the loading process (whose
 * address space gives the rw ops a user buffer).  The results are KTAP-like
 * lines, "1..N" then "ok N name" or "not ok N name # why", in
 * /sys/module/vfio_pci_igd_test/parameters/results; vfio_igd_test turns
 * each into a TAP case.  Loading always succeeds so the results can be read.
 */
#include "vfio_pci_igd.c"

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#define RESULTS_SIZE	(PAGE_SIZE - 16)	/* room for the plan line */
#define TEST_PA		0x7f000000ULL		/* where crafted buffers "are" */

static char results[RESULTS_SIZE];
static size_t results_len;
static unsigned int nr_cases;
static char failure[160];	/* the open case's first failed check */

static int results_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "1..%u\n%s", nr_cases, results);
}

static const struct kernel_param_ops results_ops = {
	.get = results_get,
};
module_param_cb(results, &results_ops, NULL, 0444);
MODULE_PARM_DESC(results, "The test cases' results, one line each");

static __printf(2, 3) bool check(bool cond, const char *fmt, ...)
{
	va_list args;

	if (cond || failure[0])
		return cond;
	va_start(args, fmt);
	vscnprintf(failure, sizeof(failure), fmt, args);
	va_end(args);
	return false;
}

static void run_case(const char *name, void (*fn)(const void *arg), const void *arg)
{
	failure[0] = '\0';
	fn(arg);
	nr_cases++;
	if (failure[0])
		results_len += scnprintf(results + results_len, RESULTS_SIZE - results_len,
					 "not ok %u %s # %s\n", nr_cases, name, failure);
	else
		results_len += scnprintf(results + results_len, RESULTS_SIZE - results_len,
					 "ok %u %s\n", nr_cases, name);
}

/* ------------------------------------------------------------------ */
/* the checker on crafted buffers                                      */

struct craft {
	bool		bad_signature;
	u32		size_kib;
	u8		major, minor;
	u32		mbox;
	u64		rvda;
	u32		rvds;
};

#define MBOX_3		OPREGION_MBOX_ASLE

static void craft_opregion(u8 *buf, const struct craft *c)
{
	memset(buf, 0, SZ_8K);
	memcpy(buf, c->bad_signature ? "IntelGraphicsMEM" : OPREGION_SIGNATURE, 16);
	put_unaligned_le32(c->size_kib, buf + OPREGION_SIZE_OFF);
	put_unaligned_le32((u32)c->major << 24 | (u32)c->minor << 16,
			   buf + OPREGION_VERSION_OFF);
	put_unaligned_le32(c->mbox, buf + OPREGION_MBOX_OFF);
	put_unaligned_le64(c->rvda, buf + OPREGION_RVDA_OFF);
	put_unaligned_le32(c->rvds, buf + OPREGION_RVDS_OFF);
}

struct check_case {
	const char	*name;
	struct craft	craft;
	size_t		len;		/* 0: 8 KiB */
	int		ret;
	u64		vbt_pa;
	size_t		vbt_size;
};

static const struct check_case check_cases[] = {
	{ "opregion_v2_0_absolute_rvda_locates_vbt_after_opregion",
	  { .size_kib = 8, .major = 2, .minor = 0, .mbox = MBOX_3,
	    .rvda = TEST_PA + SZ_8K + SZ_4K, .rvds = 0x1800 },
	  .vbt_pa = TEST_PA + SZ_8K + SZ_4K, .vbt_size = 0x1800 },
	{ "opregion_v2_0_absolute_rvda_below_opregion_is_accepted",
	  { .size_kib = 8, .major = 2, .minor = 0, .mbox = MBOX_3,
	    .rvda = TEST_PA - SZ_64K, .rvds = SZ_4K },
	  .vbt_pa = TEST_PA - SZ_64K, .vbt_size = SZ_4K },
	{ "opregion_v2_1_relative_rvda_locates_vbt_right_after_opregion",
	  { .size_kib = 8, .major = 2, .minor = 1, .mbox = MBOX_3,
	    .rvda = SZ_8K, .rvds = 0x1234 },
	  .vbt_pa = TEST_PA + SZ_8K, .vbt_size = 0x1234 },
	{ "opregion_v3_0_without_rvda_has_no_vbt",
	  { .size_kib = 8, .major = 3, .minor = 0, .mbox = MBOX_3 } },
	{ "opregion_v3_1_relative_rvda_locates_vbt",
	  { .size_kib = 8, .major = 3, .minor = 1, .mbox = MBOX_3,
	    .rvda = SZ_16K, .rvds = SZ_8K },
	  .vbt_pa = TEST_PA + SZ_16K, .vbt_size = SZ_8K },
	{ "opregion_v1_0_ignores_rvda_fields",
	  { .size_kib = 8, .major = 1, .mbox = MBOX_3, .rvda = 0x100, .rvds = 0 } },
	{ "opregion_v2_1_without_mailbox_3_ignores_rvda_fields",
	  { .size_kib = 8, .major = 2, .minor = 1, .mbox = 0x3, .rvda = 0x100 } },
	{ "opregion_bad_signature_gives_einval",
	  { .bad_signature = true, .size_kib = 8, .major = 2, .minor = 1 },
	  .ret = -EINVAL },
	{ "opregion_buffer_shorter_than_8k_gives_einval",
	  { .size_kib = 8, .major = 2, .minor = 1 }, .len = SZ_8K - 1, .ret = -EINVAL },
	{ "opregion_size_field_below_8k_gives_einval",
	  { .size_kib = 4, .major = 2, .minor = 1 }, .ret = -EINVAL },
	{ "opregion_size_field_above_64k_gives_e2big",
	  { .size_kib = 65, .major = 2, .minor = 1 }, .ret = -E2BIG },
	{ "opregion_size_field_of_4g_kib_gives_e2big",
	  { .size_kib = U32_MAX, .major = 2, .minor = 1 }, .ret = -E2BIG },
	{ "opregion_version_0_gives_einval",
	  { .size_kib = 8 }, .ret = -EINVAL },
	{ "opregion_v2_0_absolute_rvda_inside_opregion_gives_einval",
	  { .size_kib = 8, .major = 2, .minor = 0, .mbox = MBOX_3,
	    .rvda = TEST_PA + 0x100, .rvds = SZ_4K }, .ret = -EINVAL },
	{ "opregion_v2_0_vbt_overlapping_opregion_start_gives_einval",
	  { .size_kib = 8, .major = 2, .minor = 0, .mbox = MBOX_3,
	    .rvda = TEST_PA - 0x100, .rvds = SZ_4K }, .ret = -EINVAL },
	{ "opregion_v2_1_relative_rvda_inside_header_gives_einval",
	  { .size_kib = 8, .major = 2, .minor = 1, .mbox = MBOX_3,
	    .rvda = 0x100, .rvds = SZ_4K }, .ret = -EINVAL },
	{ "opregion_16k_relative_rvda_at_8k_is_inside_and_gives_einval",
	  { .size_kib = 16, .major = 2, .minor = 1, .mbox = MBOX_3,
	    .rvda = SZ_8K, .rvds = SZ_4K }, .ret = -EINVAL },
	{ "opregion_rvda_beyond_physical_address_space_gives_erange",
	  { .size_kib = 8, .major = 2, .minor = 1, .mbox = MBOX_3,
	    .rvda = BIT_ULL(52), .rvds = SZ_4K }, .ret = -ERANGE },
	{ "opregion_v2_0_rvda_plus_rvds_overflowing_u64_gives_eoverflow",
	  { .size_kib = 8, .major = 2, .minor = 0, .mbox = MBOX_3,
	    .rvda = U64_MAX - 0x10, .rvds = SZ_4K }, .ret = -EOVERFLOW },
	{ "opregion_v2_1_relative_rvda_overflowing_u64_gives_eoverflow",
	  { .size_kib = 8, .major = 2, .minor = 1, .mbox = MBOX_3,
	    .rvda = U64_MAX - 0x100, .rvds = SZ_4K }, .ret = -EOVERFLOW },
	{ "opregion_rvda_with_rvds_0_gives_einval",
	  { .size_kib = 8, .major = 2, .minor = 1, .mbox = MBOX_3,
	    .rvda = SZ_8K }, .ret = -EINVAL },
	{ "opregion_rvds_without_rvda_gives_einval",
	  { .size_kib = 8, .major = 2, .minor = 1, .mbox = MBOX_3,
	    .rvds = SZ_4K }, .ret = -EINVAL },
	{ "opregion_rvds_above_1m_gives_e2big",
	  { .size_kib = 8, .major = 2, .minor = 1, .mbox = MBOX_3,
	    .rvda = SZ_8K, .rvds = SZ_1M + 1 }, .ret = -E2BIG },
};

static u8 crafted[SZ_8K];

static void run_check_case(const void *arg)
{
	const struct check_case *c = arg;
	struct vfio_pci_igd_layout layout;
	int ret;

	craft_opregion(crafted, &c->craft);
	ret = vfio_pci_igd_opregion_check(crafted, c->len ?: SZ_8K, TEST_PA, &layout);
	if (!check(ret == c->ret, "returned %d, expected %d (%s)", ret, c->ret, layout.why))
		return;
	if (ret) {
		check(layout.why && layout.why[0], "refused without a reason");
		return;
	}
	check(layout.opregion_size == (size_t)c->craft.size_kib * SZ_1K,
	      "opregion_size %zu", layout.opregion_size);
	check(layout.major == c->craft.major && layout.minor == c->craft.minor,
	      "version %u.%u", layout.major, layout.minor);
	check(layout.vbt_pa == c->vbt_pa, "vbt_pa %pa, expected 0x%llx",
	      &layout.vbt_pa, c->vbt_pa);
	check(layout.vbt_size == c->vbt_size, "vbt_size %zu, expected %zu",
	      layout.vbt_size, c->vbt_size);
}

/* ------------------------------------------------------------------ */
/* regions on a bare core device                                       */

static struct vfio_pci_core_device *fake_vdev(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);

	if (vdev)
		vdev->pdev = pdev;
	return vdev;
}

/* What the core does on close: release every region, then the array. */
static void fake_vdev_free(struct vfio_pci_core_device *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->num_regions; i++)
		if (vdev->region[i].ops->release)
			vdev->region[i].ops->release(vdev, &vdev->region[i]);
	kfree(vdev->region);
	kfree(vdev);
}

static void __user *ubuf;	/* SZ_64K of the loading process */
static u8 kbuf[SZ_64K];

/* Reads through the region's rw op into kbuf; bytes read or -errno. */
static ssize_t region_read(struct vfio_pci_core_device *vdev,
			   struct vfio_pci_region *r, u64 pos, size_t count)
{
	loff_t ppos = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_NUM_REGIONS) | pos;
	ssize_t ret;

	ret = r->ops->rw(vdev, r, ubuf, count, &ppos, false);
	if (ret > 0 && copy_from_user(kbuf, ubuf, ret))
		return -EFAULT;
	if (ret > 0)
		check(ppos == (VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_NUM_REGIONS) | pos) + ret,
		      "rw did not advance the offset by what it read");
	return ret;
}

static ssize_t region_write(struct vfio_pci_core_device *vdev,
			    struct vfio_pci_region *r, u64 pos, size_t count)
{
	loff_t ppos = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_NUM_REGIONS) | pos;

	return r->ops->rw(vdev, r, ubuf, count, &ppos, true);
}

/* ---- the OpRegion region, from crafted OpRegions in RAM ---- */

struct ram_case {
	const char	*name;
	u8		major, minor;
	size_t		rvda_gap;	/* relative: VBT this far after the OpRegion */
	bool		absolute;	/* 2.0: VBT in a separate allocation */
	u32		rvds;
	bool		broken;		/* RVDS without RVDA: the open must fail */
};

static const struct ram_case ram_cases[] = {
	{ "opregion_region_v2_0_appends_vbt_and_becomes_v2_1_relative",
	  2, 0, 0, true, 0x1800 },
	{ "opregion_region_v2_1_vbt_after_gap_is_appended_and_rvda_rewritten",
	  2, 1, SZ_4K, false, 0x1234 },
	{ "opregion_region_v3_0_without_vbt_is_the_opregion_as_is",
	  3, 0, 0, false, 0 },
	{ "opregion_region_refused_opregion_fails_and_adds_no_region",
	  2, 1, 0, false, SZ_4K, true },
};

static u8 vbt_byte(size_t i)
{
	return (u8)(i * 13 + 0x5a);
}

static void run_ram_case(const void *arg)
{
	const struct ram_case *c = arg;
	size_t alloc = SZ_8K + (c->absolute ? 0 : c->rvda_gap + c->rvds);
	struct vfio_pci_core_device *vdev;
	struct vfio_pci_region *r;
	u8 *op, *vbt = NULL;
	phys_addr_t pa;
	size_t i, want;
	ssize_t n;
	int ret;

	/* ASLS is 32 bits: keep the crafted OpRegion below 4 GiB. */
	op = alloc_pages_exact(alloc, GFP_KERNEL | GFP_DMA32 | __GFP_ZERO);
	if (c->absolute)
		vbt = alloc_pages_exact(c->rvds, GFP_KERNEL | __GFP_ZERO);
	vdev = fake_vdev(NULL);
	if (!check(op && vdev && (!c->absolute || vbt), "out of memory"))
		goto out_free;
	vdev->pdev = pci_get_domain_bus_and_slot(0, 0, IGD_HOST_BRIDGE_DEVFN);
	if (!check(vdev->pdev, "no 0000:00:00.0 to log against"))
		goto out_free;
	pa = virt_to_phys(op);

	craft_opregion(op, &(struct craft){ .size_kib = 8, .major = c->major,
					    .minor = c->minor, .mbox = MBOX_3 });
	for (i = 0x100; i < SZ_8K; i++)	/* mailbox contents to compare */
		if (i < OPREGION_RVDA_OFF || i >= OPREGION_RVDS_OFF + 4)
			op[i] = (u8)(i ^ 0xa5);
	if (c->rvds) {
		u8 *dst = c->absolute ? vbt : op + SZ_8K + c->rvda_gap;

		for (i = 0; i < c->rvds; i++)
			dst[i] = vbt_byte(i);
		put_unaligned_le64(c->absolute ? virt_to_phys(vbt) : SZ_8K + c->rvda_gap,
				   op + OPREGION_RVDA_OFF);
		put_unaligned_le32(c->rvds, op + OPREGION_RVDS_OFF);
	}
	if (c->broken)
		put_unaligned_le64(0, op + OPREGION_RVDA_OFF);

	ret = igd_register_opregion(vdev, pa);
	if (c->broken) {
		check(ret == -EINVAL, "register returned %d, expected -EINVAL", ret);
		check(vdev->num_regions == 0, "%u regions added", vdev->num_regions);
		goto out_free;
	}
	if (!check(ret == 0 && vdev->num_regions == 1, "register returned %d, %u regions",
		   ret, vdev->num_regions))
		goto out_free;

	r = &vdev->region[0];
	want = SZ_8K + c->rvds;
	check(r->type == (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI_VENDOR_ID_INTEL) &&
	      r->subtype == VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION,
	      "type 0x%x subtype %u", r->type, r->subtype);
	check(r->size == want, "size %zu, expected %zu", r->size, want);
	check(r->flags == VFIO_REGION_INFO_FLAG_READ, "flags 0x%x, expected read only",
	      r->flags);

	n = region_read(vdev, r, 0, SZ_64K);
	if (!check(n == want, "read returned %zd, expected %zu", n, want))
		goto out_free;
	for (i = 0; i < SZ_8K; i++) {
		u8 expect = op[i];

		if (c->rvds && i >= OPREGION_RVDA_OFF && i < OPREGION_RVDA_OFF + 8)
			expect = (u8)((u64)SZ_8K >> (8 * (i - OPREGION_RVDA_OFF)));
		if (c->absolute && i == OPREGION_VERSION_OFF + 2)
			expect = 1;
		if (!check(kbuf[i] == expect, "OpRegion byte 0x%zx: 0x%02x, expected 0x%02x",
			   i, kbuf[i], expect))
			break;
	}
	for (i = 0; i < c->rvds; i++)
		if (!check(kbuf[SZ_8K + i] == vbt_byte(i), "VBT byte 0x%zx: 0x%02x, expected 0x%02x",
			   i, kbuf[SZ_8K + i], vbt_byte(i)))
			break;

	n = region_read(vdev, r, want - 2, 16);
	check(n == 2, "read across the end returned %zd, expected 2", n);
	n = region_read(vdev, r, want, 4);
	check(n == -EINVAL, "read at the end returned %zd, expected -EINVAL", n);
	n = region_write(vdev, r, 0, 4);
	check(n == -EINVAL, "write returned %zd, expected -EINVAL", n);

out_free:
	if (vdev) {
		pci_dev_put(vdev->pdev);
		fake_vdev_free(vdev);
	}
	if (vbt)
		free_pages_exact(vbt, c->rvds);
	if (op)
		free_pages_exact(op, alloc);
}

/* ---- the bridge regions, on q35's bridges ---- */

struct bridge_case {
	const char	*name;
	unsigned int	devfn;
	unsigned int	class;
	u32		subtype;
};

static const struct bridge_case bridge_cases[] = {
	{ "host_bridge_region_reads_00_00_0_config_as_pci_read_config",
	  IGD_HOST_BRIDGE_DEVFN, PCI_CLASS_BRIDGE_HOST, VFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG },
	{ "lpc_bridge_region_reads_00_1f_0_config_as_pci_read_config",
	  IGD_LPC_BRIDGE_DEVFN, PCI_CLASS_BRIDGE_ISA, VFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG },
};

static bool compare_config(struct pci_dev *bridge, u64 pos, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++) {
		u8 byte = 0;

		pci_read_config_byte(bridge, pos + i, &byte);
		if (!check(kbuf[i] == byte, "%s: byte 0x%llx: 0x%02x, pci_read_config 0x%02x",
			   what, pos + i, kbuf[i], byte))
			return false;
	}
	return true;
}

static void run_bridge_case(const void *arg)
{
	const struct bridge_case *c = arg;
	struct vfio_pci_core_device *vdev = NULL;
	struct pci_dev *bridge;
	struct vfio_pci_region *r;
	unsigned int refs;
	ssize_t n;
	int ret;

	bridge = pci_get_domain_bus_and_slot(0, 0, c->devfn);
	if (!check(bridge, "no Intel function of class 0x%04x at 00:%02x.%x",
		   c->class, PCI_SLOT(c->devfn), PCI_FUNC(c->devfn)))
		return;
	vdev = fake_vdev(bridge);
	if (!check(vdev, "out of memory"))
		goto out_put;

	refs = kref_read(&bridge->dev.kobj.kref);
	ret = igd_register_bridge(vdev, c->devfn, c->class, c->subtype, "bridge");
	if (!check(ret == 0 && vdev->num_regions == 1, "register returned %d, %u regions",
		   ret, vdev->num_regions))
		goto out_free;
	r = &vdev->region[0];
	check(r->data == bridge, "the region holds another pci_dev");
	check(kref_read(&bridge->dev.kobj.kref) == refs + 1,
	      "register took %d references, expected 1",
	      (int)kref_read(&bridge->dev.kobj.kref) - (int)refs);
	check(r->type == (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI_VENDOR_ID_INTEL) &&
	      r->subtype == c->subtype, "type 0x%x subtype %u", r->type, r->subtype);
	check(r->size == bridge->cfg_size, "size %zu, cfg_size %d", r->size, bridge->cfg_size);
	check(r->flags == VFIO_REGION_INFO_FLAG_READ, "flags 0x%x, expected read only",
	      r->flags);

	n = region_read(vdev, r, 0, r->size);
	if (check(n == r->size, "whole read returned %zd, expected %zu", n, r->size))
		compare_config(bridge, 0, n, "whole read");
	n = region_read(vdev, r, 1, 7);		/* a byte, a word, a dword */
	if (check(n == 7, "read of 7 at 1 returned %zd", n))
		compare_config(bridge, 1, n, "unaligned read");
	n = region_read(vdev, r, r->size - 2, 16);
	if (check(n == 2, "read across the end returned %zd, expected 2", n))
		compare_config(bridge, r->size - 2, n, "read across the end");
	n = region_read(vdev, r, r->size, 4);
	check(n == -EINVAL, "read at the end returned %zd, expected -EINVAL", n);
	n = region_write(vdev, r, PCI_COMMAND, 2);
	check(n == -EINVAL, "write returned %zd, expected -EINVAL", n);

	fake_vdev_free(vdev);
	vdev = NULL;
	check(kref_read(&bridge->dev.kobj.kref) == refs,
	      "release left %d references behind",
	      (int)kref_read(&bridge->dev.kobj.kref) - (int)refs);
out_free:
	if (vdev)
		fake_vdev_free(vdev);
out_put:
	pci_dev_put(bridge);
}

static void run_wrong_bridge_case(const void *arg)
{
	struct pci_dev *host = pci_get_domain_bus_and_slot(0, 0, IGD_HOST_BRIDGE_DEVFN);
	struct vfio_pci_core_device *vdev;
	struct pci_dev *b;
	int ret;

	if (!check(host, "no 0000:00:00.0"))
		return;
	b = igd_get_bridge(host, IGD_HOST_BRIDGE_DEVFN, PCI_CLASS_BRIDGE_ISA);
	check(!b, "00:00.0 was taken for an ISA bridge");
	pci_dev_put(b);
	b = igd_get_bridge(host, PCI_DEVFN(0x1f, 7), PCI_CLASS_BRIDGE_ISA);
	check(!b, "an absent 00:1f.7 was found");
	pci_dev_put(b);

	vdev = fake_vdev(host);
	if (check(vdev, "out of memory")) {
		ret = igd_register_bridge(vdev, PCI_DEVFN(0x1f, 7), PCI_CLASS_BRIDGE_ISA,
					  VFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG, "LPC bridge");
		check(ret == 0, "register of a missing bridge returned %d, expected 0", ret);
		check(vdev->num_regions == 0, "%u regions added for a missing bridge",
		      vdev->num_regions);
		fake_vdev_free(vdev);
	}
	pci_dev_put(host);
}

static void run_not_igd_case(const void *arg)
{
	struct pci_dev *host = pci_get_domain_bus_and_slot(0, 0, IGD_HOST_BRIDGE_DEVFN);
	struct vfio_pci_core_device *vdev;
	int ret;

	if (!check(host, "no 0000:00:00.0"))
		return;
	vdev = fake_vdev(host);
	if (check(vdev, "out of memory")) {
		ret = vfio_pci_igd_init(vdev);
		check(ret == -ENODEV, "init on Intel's host bridge returned %d, expected -ENODEV",
		      ret);
		check(vdev->num_regions == 0, "%u regions added", vdev->num_regions);
		fake_vdev_free(vdev);
	}
	pci_dev_put(host);
}

/* ------------------------------------------------------------------ */

static int __init igd_selftest_init(void)
{
	unsigned long addr;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(check_cases); i++)
		run_case(check_cases[i].name, run_check_case, &check_cases[i]);

	addr = vm_mmap(NULL, 0, SZ_64K, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(addr)) {
		results_len += scnprintf(results + results_len, RESULTS_SIZE - results_len,
					 "not ok %u user_buffer_for_rw_ops # vm_mmap: %ld\n",
					 ++nr_cases, (long)addr);
		return 0;
	}
	ubuf = (void __user *)addr;

	for (i = 0; i < ARRAY_SIZE(ram_cases); i++)
		run_case(ram_cases[i].name, run_ram_case, &ram_cases[i]);
	for (i = 0; i < ARRAY_SIZE(bridge_cases); i++)
		run_case(bridge_cases[i].name, run_bridge_case, &bridge_cases[i]);
	run_case("missing_or_wrong_class_bridge_is_left_out_without_error",
		 run_wrong_bridge_case, NULL);
	run_case("igd_init_on_a_non_vga_intel_function_gives_enodev",
		 run_not_igd_case, NULL);

	vm_munmap(addr, SZ_64K);
	ubuf = NULL;
	return 0;
}

static void __exit igd_selftest_exit(void)
{
}

module_init(igd_selftest_init);
module_exit(igd_selftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test cases of vfio-pci's IGD extension, for vfio_igd_test");
