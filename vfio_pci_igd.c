// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel IGD extensions of vfio-pci: the OpRegion and the host and LPC
 * bridge config spaces as read-only device-specific regions, which a VMM
 * needs to assign integrated graphics whole to a guest (the guest's
 * firmware and driver find the OpRegion through ASLS, and the driver reads
 * the bridges' ids and the memory controller's stolen-memory registers).
 *
 * Regions, all VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI_VENDOR_ID_INTEL and
 * read-only, added when an Intel VGA-class function is opened:
 *  - VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION: the OpRegion, followed by its
 *    raw VBT when the OpRegion keeps that outside (see below).  A snapshot
 *    taken at open: the user (QEMU) copies it into guest memory once anyway,
 *    and one buffer makes the appended VBT and the rewritten RVDA simple.
 *  - VFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG: config space of 00:00.0, the
 *    host bridge of the function's domain, read live.
 *  - VFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG: config space of 00:1f.0, the
 *    Intel ISA (LPC) bridge, read live.
 *
 * A function whose ASLS is 0 or all-ones has no OpRegion: it is not
 * integrated graphics (a discrete Intel card), and nothing is added
 * (-ENODEV).  A missing or unexpected bridge only leaves its region out:
 * the OpRegion is still useful without it.  An OpRegion that is there but
 * inconsistent fails the open, with the reason in the log: handing a guest
 * a half-read OpRegion is worse than refusing it.
 *
 * The OpRegion's layout (public Intel OpRegion specification), offsets in
 * bytes, values little-endian:
 *   0x000  signature, 16 bytes, "IntelGraphicsMem"
 *   0x010  SIZE, u32: size of the OpRegion in KiB (8 KiB in every version)
 *   0x014  OVER, u32: version; bits 31:24 major, 23:16 minor, 15:8 revision
 *   0x058  MBOX, u32: supported mailboxes; bit n is mailbox n + 1
 *   0x300  mailbox 3 (ASLE), from version 2.0 on holding
 *   0x3ba  RVDA, u64: where the raw VBT is when it does not fit mailbox 4;
 *          an absolute physical address in 2.0, relative to the OpRegion's
 *          start from 2.1 on
 *   0x3c2  RVDS, u32: the raw VBT's size in bytes
 *
 * The VBT outside the OpRegion is appended right after it, so the user sees
 * one contiguous region, and RVDA is rewritten to the OpRegion's size,
 * relative; a 2.0 OpRegion's version becomes 2.1, the first version whose
 * RVDA is relative, so a reader does not take it for an address.
 *
 * Not run on real IGD hardware: only on crafted OpRegions and q35's bridges
 * (tools/testing/selftests/vfio/igd).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>
#include <asm/processor.h>

#include "vfio_pci_igd.h"

#define OPREGION_SIGNATURE	"IntelGraphicsMem"
#define OPREGION_SIZE_OFF	0x10
#define OPREGION_VERSION_OFF	0x14
#define OPREGION_MBOX_OFF	0x58
#define OPREGION_MBOX_ASLE	BIT(2)		/* mailbox 3 */
#define OPREGION_RVDA_OFF	0x3ba
#define OPREGION_RVDS_OFF	0x3c2

/* PCI config register holding the OpRegion's physical address. */
#define IGD_ASLS		0xfc

/* Every version defines 8 KiB: header and mailboxes 1 to 5. */
#define OPREGION_MIN_SIZE	SZ_8K
/*
 * A SIZE field above this is taken for garbage: nothing larger has been
 * defined, and it bounds what a corrupt field makes us map and copy.
 */
#define OPREGION_MAX_SIZE	SZ_64K
/*
 * Raw VBTs are some KiB (RVDS exists because they outgrew mailbox 4's
 * 6 KiB).  1 MiB is room for a hundred of them, and bounds the buffer a
 * corrupt RVDS makes every open allocate.
 */
#define OPREGION_VBT_MAX_SIZE	SZ_1M

#define IGD_HOST_BRIDGE_DEVFN	PCI_DEVFN(0, 0)
#define IGD_LPC_BRIDGE_DEVFN	PCI_DEVFN(0x1f, 0)

#define IGD_REGION_TYPE		(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI_VENDOR_ID_INTEL)

/* ------------------------------------------------------------------ */
/* OpRegion validation, on a plain buffer                              */

static int opregion_refuse(struct vfio_pci_igd_layout *layout, int err,
			   const char *why)
{
	layout->why = why;
	return err;
}

/*
 * Where the VBT is, from RVDA/RVDS of a 2.0+ OpRegion; layout->vbt_* stay 0
 * when it names none.
 */
static int opregion_find_vbt(const void *opregion, phys_addr_t opregion_pa,
			     struct vfio_pci_igd_layout *layout)
{
	u64 rvda = get_unaligned_le64(opregion + OPREGION_RVDA_OFF);
	u32 rvds = get_unaligned_le32(opregion + OPREGION_RVDS_OFF);
	u64 opregion_end, vbt_pa, vbt_end;

	if (!rvda && !rvds)
		return 0;
	if (!rvda)
		return opregion_refuse(layout, -EINVAL, "RVDS set without RVDA");
	if (!rvds)
		return opregion_refuse(layout, -EINVAL, "RVDA set with an RVDS of 0");
	if (rvds > OPREGION_VBT_MAX_SIZE)
		return opregion_refuse(layout, -E2BIG, "RVDS above 1 MiB");

	if (check_add_overflow((u64)opregion_pa, (u64)layout->opregion_size, &opregion_end))
		return opregion_refuse(layout, -EOVERFLOW, "OpRegion ends past 2^64");

	if (layout->major == 2 && layout->minor == 0) {
		/* 2.0: an absolute address; the VBT may be anywhere but in us. */
		vbt_pa = rvda;
		if (check_add_overflow(vbt_pa, (u64)rvds, &vbt_end))
			return opregion_refuse(layout, -EOVERFLOW, "RVDA + RVDS overflows");
		if (vbt_pa < opregion_end && vbt_end > opregion_pa)
			return opregion_refuse(layout, -EINVAL,
					       "absolute RVDA points inside the OpRegion");
	} else {
		/* 2.1 on: relative to the OpRegion's start, so after its end. */
		if (rvda < layout->opregion_size)
			return opregion_refuse(layout, -EINVAL,
					       "relative RVDA points inside the OpRegion");
		if (check_add_overflow((u64)opregion_pa, rvda, &vbt_pa) ||
		    check_add_overflow(vbt_pa, (u64)rvds, &vbt_end))
			return opregion_refuse(layout, -EOVERFLOW,
					       "OpRegion + RVDA + RVDS overflows");
	}

	if (vbt_end > BIT_ULL(boot_cpu_data.x86_phys_bits))
		return opregion_refuse(layout, -ERANGE,
				       "VBT beyond the CPU's physical address space");

	layout->vbt_pa = vbt_pa;
	layout->vbt_size = rvds;
	return 0;
}

/**
 * vfio_pci_igd_opregion_check - validate an OpRegion and locate its VBT
 * @opregion: the OpRegion's first @len bytes
 * @len: bytes readable at @opregion; at least the 8 KiB every version has
 * @opregion_pa: physical address the OpRegion was read from (ASLS)
 * @layout: filled with what the OpRegion says about itself; on failure
 *	only @layout->why (a phrase for the log line) is meaningful
 *
 * Checks the signature, that the version is set, that the size field is
 * between 8 and 64 KiB, and, for a 2.0 or later OpRegion that advertises
 * mailbox 3, that RVDA and RVDS name a raw VBT of at most 1 MiB that lies
 * wholly outside the OpRegion and within the CPU's physical address space
 * (RVDA absolute in 2.0, relative to @opregion_pa from 2.1 on).  Reads only
 * the first 8 KiB; a caller that copies @layout->opregion_size bytes must
 * have them mapped.  Touches nothing but @opregion and @layout, so it runs
 * on crafted buffers as well.
 *
 * Return: 0; -EINVAL for a buffer that is no OpRegion or is inconsistent,
 * -E2BIG for a size above its bound, -EOVERFLOW when the VBT's address
 * overflows 64 bits, -ERANGE when it lies beyond the physical address space.
 */
int vfio_pci_igd_opregion_check(const void *opregion, size_t len,
				phys_addr_t opregion_pa,
				struct vfio_pci_igd_layout *layout)
{
	u32 size_kib, version;

	*layout = (struct vfio_pci_igd_layout){ .why = "" };
	if (len < OPREGION_MIN_SIZE)
		return opregion_refuse(layout, -EINVAL, "shorter than 8 KiB");
	if (memcmp(opregion, OPREGION_SIGNATURE, strlen(OPREGION_SIGNATURE)))
		return opregion_refuse(layout, -EINVAL, "no IntelGraphicsMem signature");

	size_kib = get_unaligned_le32(opregion + OPREGION_SIZE_OFF);
	if (size_kib < OPREGION_MIN_SIZE / SZ_1K)
		return opregion_refuse(layout, -EINVAL, "size field below 8 KiB");
	if (size_kib > OPREGION_MAX_SIZE / SZ_1K)
		return opregion_refuse(layout, -E2BIG, "size field above 64 KiB");
	layout->opregion_size = (size_t)size_kib * SZ_1K;

	version = get_unaligned_le32(opregion + OPREGION_VERSION_OFF);
	layout->major = version >> 24;
	layout->minor = version >> 16;
	if (!layout->major)
		return opregion_refuse(layout, -EINVAL, "version 0");

	/* Before 2.0, or without mailbox 3, RVDA and RVDS are not defined. */
	if (layout->major < 2 ||
	    !(get_unaligned_le32(opregion + OPREGION_MBOX_OFF) & OPREGION_MBOX_ASLE))
		return 0;
	return opregion_find_vbt(opregion, opregion_pa, layout);
}

/* ------------------------------------------------------------------ */
/* the OpRegion region                                                 */

/* The user's copy: the OpRegion, then the VBT, @size bytes in all. */
struct igd_opregion_copy {
	size_t	size;
	u8	data[];
};

static ssize_t igd_opregion_rw(struct vfio_pci_core_device *vdev,
			       struct vfio_pci_region *region, char __user *buf,
			       size_t count, loff_t *ppos, bool iswrite)
{
	struct igd_opregion_copy *copy = region->data;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;

	if (iswrite || pos >= copy->size)
		return -EINVAL;
	count = min_t(size_t, count, copy->size - pos);
	if (copy_to_user(buf, copy->data + pos, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

static void igd_opregion_release(struct vfio_pci_core_device *vdev,
				 struct vfio_pci_region *region)
{
	kvfree(region->data);
	region->data = NULL;
}

static const struct vfio_pci_regops igd_opregion_ops = {
	.rw		= igd_opregion_rw,
	.release	= igd_opregion_release,
};

/* Maps @len bytes at @pa and validates them; the caller unmaps. */
static void *igd_opregion_map(struct pci_dev *pdev, phys_addr_t pa, size_t len,
			      struct vfio_pci_igd_layout *layout)
{
	void *opregion;
	int ret;

	opregion = memremap(pa, len, MEMREMAP_WB);
	if (!opregion) {
		pci_warn(pdev, "cannot map the OpRegion at %pa\n", &pa);
		return ERR_PTR(-ENOMEM);
	}
	ret = vfio_pci_igd_opregion_check(opregion, len, pa, layout);
	if (ret) {
		pci_warn(pdev, "OpRegion at %pa refused: %s\n", &pa, layout->why);
		memunmap(opregion);
		return ERR_PTR(ret);
	}
	return opregion;
}

/*
 * Copies the OpRegion and its outside VBT into one buffer, the VBT right
 * after the OpRegion, and points RVDA there, relative.
 */
static struct igd_opregion_copy *igd_opregion_copy(struct pci_dev *pdev, phys_addr_t pa)
{
	struct vfio_pci_igd_layout layout;
	struct igd_opregion_copy *copy;
	void *opregion, *vbt;
	int ret = 0;

	opregion = igd_opregion_map(pdev, pa, OPREGION_MIN_SIZE, &layout);
	if (IS_ERR(opregion))
		return ERR_CAST(opregion);
	if (layout.opregion_size > OPREGION_MIN_SIZE) {
		memunmap(opregion);
		/* Checked again: it is firmware's memory, and may have moved. */
		opregion = igd_opregion_map(pdev, pa, layout.opregion_size, &layout);
		if (IS_ERR(opregion))
			return ERR_CAST(opregion);
	}

	/* Both sizes are bounded far below overflowing. */
	copy = kvzalloc(struct_size(copy, data, layout.opregion_size + layout.vbt_size),
			GFP_KERNEL_ACCOUNT);
	if (!copy) {
		ret = -ENOMEM;
		goto out_unmap;
	}
	copy->size = layout.opregion_size + layout.vbt_size;
	memcpy(copy->data, opregion, layout.opregion_size);

	if (layout.vbt_size) {
		vbt = memremap(layout.vbt_pa, layout.vbt_size, MEMREMAP_WB);
		if (!vbt) {
			pci_warn(pdev, "cannot map the VBT at %pa\n", &layout.vbt_pa);
			ret = -ENOMEM;
			goto out_free;
		}
		memcpy(copy->data + layout.opregion_size, vbt, layout.vbt_size);
		memunmap(vbt);

		put_unaligned_le64(layout.opregion_size, copy->data + OPREGION_RVDA_OFF);
		if (layout.major == 2 && layout.minor == 0)
			copy->data[OPREGION_VERSION_OFF + 2] = 1;
	}
	pci_info(pdev, "OpRegion %u.%u at %pa, %zu bytes, VBT of %zu bytes%s\n",
		 layout.major, layout.minor, &pa, layout.opregion_size, layout.vbt_size,
		 layout.vbt_size ? " appended" : "");
	goto out_unmap;

out_free:
	kvfree(copy);
	copy = NULL;
out_unmap:
	memunmap(opregion);
	return ret ? ERR_PTR(ret) : copy;
}

static int igd_register_opregion(struct vfio_pci_core_device *vdev, u32 asls)
{
	struct igd_opregion_copy *copy;
	int ret;

	copy = igd_opregion_copy(vdev->pdev, asls);
	if (IS_ERR(copy))
		return PTR_ERR(copy);

	ret = vfio_pci_core_register_dev_region(vdev, IGD_REGION_TYPE,
						VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION,
						&igd_opregion_ops, copy->size,
						VFIO_REGION_INFO_FLAG_READ, copy);
	if (ret)
		kvfree(copy);
	return ret;
}

/* ------------------------------------------------------------------ */
/* the bridge regions                                                  */

/*
 * The region's data is the bridge (a reference held), its size the
 * bridge's config space size.  Reads go to the bridge as sysfs's do, in
 * the widest naturally aligned accesses that fit.
 */
static ssize_t igd_bridge_rw(struct vfio_pci_core_device *vdev,
			     struct vfio_pci_region *region, char __user *buf,
			     size_t count, loff_t *ppos, bool iswrite)
{
	struct pci_dev *bridge = region->data;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	size_t done = 0;
	int ret = 0;

	if (iswrite || pos >= region->size)
		return -EINVAL;
	count = min_t(size_t, count, region->size - pos);

	while (done < count) {
		unsigned int off = pos + done;
		size_t left = count - done, n;
		u8 le[4];
		u32 dword;
		u16 word;

		if (!(off & 3) && left >= 4) {
			ret = pci_user_read_config_dword(bridge, off, &dword);
			put_unaligned_le32(dword, le);
			n = 4;
		} else if (!(off & 1) && left >= 2) {
			ret = pci_user_read_config_word(bridge, off, &word);
			put_unaligned_le16(word, le);
			n = 2;
		} else {
			ret = pci_user_read_config_byte(bridge, off, le);
			n = 1;
		}
		/* pci_user_read_config_*() give errnos already. */
		if (ret)
			break;
		if (copy_to_user(buf + done, le, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
	}

	if (!done)
		return ret;
	*ppos += done;
	return done;
}

static void igd_bridge_release(struct vfio_pci_core_device *vdev,
			       struct vfio_pci_region *region)
{
	pci_dev_put(region->data);
	region->data = NULL;
}

static const struct vfio_pci_regops igd_bridge_ops = {
	.rw		= igd_bridge_rw,
	.release	= igd_bridge_release,
};

/*
 * The Intel function at @devfn on bus 0 of @pdev's domain, with a
 * reference, if its class is @class (base and sub-class); else NULL.
 */
static struct pci_dev *igd_get_bridge(struct pci_dev *pdev, unsigned int devfn,
				      unsigned int class)
{
	struct pci_dev *bridge;

	bridge = pci_get_domain_bus_and_slot(pci_domain_nr(pdev->bus), 0, devfn);
	if (bridge && (bridge->vendor != PCI_VENDOR_ID_INTEL ||
		       bridge->class >> 8 != class)) {
		pci_dev_put(bridge);
		bridge = NULL;
	}
	return bridge;
}

/* A bridge that is missing or not what we expect only leaves its region out. */
static int igd_register_bridge(struct vfio_pci_core_device *vdev, unsigned int devfn,
			       unsigned int class, u32 subtype, const char *what)
{
	struct pci_dev *bridge;
	int ret;

	bridge = igd_get_bridge(vdev->pdev, devfn, class);
	if (!bridge) {
		pci_info(vdev->pdev, "no Intel %s at 00:%02x.%x, its region is left out\n",
			 what, PCI_SLOT(devfn), PCI_FUNC(devfn));
		return 0;
	}

	ret = vfio_pci_core_register_dev_region(vdev, IGD_REGION_TYPE, subtype,
						&igd_bridge_ops, bridge->cfg_size,
						VFIO_REGION_INFO_FLAG_READ, bridge);
	if (ret)
		pci_dev_put(bridge);
	return ret;
}

/* ------------------------------------------------------------------ */

/**
 * vfio_pci_igd_init - add the IGD regions to an opening Intel VGA function
 * @vdev: the device, between vfio_pci_core_enable() and finish-enable
 *
 * For an Intel VGA-class function with an OpRegion (ASLS neither 0 nor
 * all-ones): the OpRegion region, then the host and LPC bridge regions
 * (each left out when its bridge is missing).  Regions added before a
 * failure are released with the others when the open is undone.
 *
 * Return: 0; -ENODEV when the function is no IGD (nothing added); another
 * negative errno when the OpRegion is refused or memory runs out.
 */
int vfio_pci_igd_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u32 asls;
	int ret;

	if (pdev->vendor != PCI_VENDOR_ID_INTEL ||
	    pdev->class >> 8 != PCI_CLASS_DISPLAY_VGA)
		return -ENODEV;

	ret = pci_read_config_dword(pdev, IGD_ASLS, &asls);
	if (ret)
		return pcibios_err_to_errno(ret);
	if (!asls || asls == ~0U)
		return -ENODEV;

	ret = igd_register_opregion(vdev, asls);
	if (ret)
		return ret;
	ret = igd_register_bridge(vdev, IGD_HOST_BRIDGE_DEVFN, PCI_CLASS_BRIDGE_HOST,
				  VFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG, "host bridge");
	if (ret)
		return ret;
	return igd_register_bridge(vdev, IGD_LPC_BRIDGE_DEVFN, PCI_CLASS_BRIDGE_ISA,
				   VFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG, "LPC bridge");
}
