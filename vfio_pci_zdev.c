// SPDX-License-Identifier: GPL-2.0-only
/*
 * s390 zPCI extensions of the VFIO PCI core: the zPCI capabilities of
 * VFIO_DEVICE_GET_INFO and the registration of the function with the KVM
 * that its user runs.  Built for s390 only (CONFIG_VFIO_PCI_ZDEV_KVM).
 *
 * A guest on s390 does not see a PCI function through config space alone:
 * the machine describes each function (DMA window, function handle, group
 * limits) through CLP, and the VMM has to hand that description on.  The
 * host read it into struct zpci_dev when it found the function, so the
 * capabilities here are copies of that, in the uAPI's layout.
 */
#include <linux/kvm_host.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/vfio_zdev.h>
#include <asm/pci.h>
#include <asm/pci_clp.h>
#include <asm/pci_io.h>

#include "vfio_pci_priv.h"

/*
 * The uAPI numbers the versions of these capabilities only in comments
 * ("End of version N"); these are the versions whose every field we fill.
 */
#define VFIO_ZPCI_BASE_VERSION	2	/* with fh */
#define VFIO_ZPCI_GROUP_VERSION	2	/* with reserved and imaxstbl */
#define VFIO_ZPCI_UTIL_VERSION	1
#define VFIO_ZPCI_PFIP_VERSION	1

static int zpci_base_cap(struct zpci_dev *zdev, struct vfio_info_cap *caps)
{
	struct vfio_device_info_cap_zpci_base cap = {
		.header.id = VFIO_DEVICE_INFO_CAP_ZPCI_BASE,
		.header.version = VFIO_ZPCI_BASE_VERSION,
		.start_dma = zdev->start_dma,
		.end_dma = zdev->end_dma,
		.pchid = zdev->pchid,
		.vfn = zdev->vfn,
		.fmb_length = zdev->fmb_length,
		.pft = zdev->pft,
		.gid = zdev->pfgid,
		.fh = zdev->fh,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

static int zpci_group_cap(struct zpci_dev *zdev, struct vfio_info_cap *caps)
{
	struct vfio_device_info_cap_zpci_group cap = {
		.header.id = VFIO_DEVICE_INFO_CAP_ZPCI_GROUP,
		.header.version = VFIO_ZPCI_GROUP_VERSION,
		.dasm = zdev->dma_mask,
		.msi_addr = zdev->msi_addr,
		.flags = zdev->tlb_refresh ? VFIO_DEVICE_INFO_ZPCI_FLAG_REFRESH : 0,
		.mui = zdev->fmb_update,
		/* CLP reports the MSI count in 16 bits; zpci_dev widens it. */
		.noi = min_t(unsigned int, zdev->max_msi, U16_MAX),
		/*
		 * A store block the guest's PCISTB makes outside interpretation
		 * reaches the function through the host, whose store blocks
		 * are at most ZPCI_MAX_WRITE_SIZE; an interpreted one goes
		 * straight to the function, up to the limit the machine gave
		 * for its group.  zpci_dev carries only that one limit.
		 */
		.maxstbl = min_t(u16, zdev->maxstbl, ZPCI_MAX_WRITE_SIZE),
		.version = zdev->version,
		/* uAPI padding: zpci_dev has nothing for it, stays zero. */
		.reserved = 0,
		.imaxstbl = zdev->maxstbl,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

/*
 * The utility string and the function path are byte strings of a length
 * CLP fixes; both capabilities are a length followed by the bytes.
 */
static int zpci_util_cap(struct zpci_dev *zdev, struct vfio_info_cap *caps)
{
	struct vfio_device_info_cap_zpci_util *cap;
	size_t size = struct_size(cap, util_str, CLP_UTIL_STR_LEN);
	int ret;

	cap = kzalloc(size, GFP_KERNEL);
	if (!cap)
		return -ENOMEM;

	cap->header.id = VFIO_DEVICE_INFO_CAP_ZPCI_UTIL;
	cap->header.version = VFIO_ZPCI_UTIL_VERSION;
	cap->size = CLP_UTIL_STR_LEN;
	memcpy(cap->util_str, zdev->util_str, CLP_UTIL_STR_LEN);

	ret = vfio_info_add_capability(caps, &cap->header, size);
	kfree(cap);
	return ret;
}

static int zpci_pfip_cap(struct zpci_dev *zdev, struct vfio_info_cap *caps)
{
	struct vfio_device_info_cap_zpci_pfip *cap;
	size_t size = struct_size(cap, pfip, CLP_PFIP_NR_SEGMENTS);
	int ret;

	cap = kzalloc(size, GFP_KERNEL);
	if (!cap)
		return -ENOMEM;

	cap->header.id = VFIO_DEVICE_INFO_CAP_ZPCI_PFIP;
	cap->header.version = VFIO_ZPCI_PFIP_VERSION;
	cap->size = CLP_PFIP_NR_SEGMENTS;
	memcpy(cap->pfip, zdev->pfip, CLP_PFIP_NR_SEGMENTS);

	ret = vfio_info_add_capability(caps, &cap->header, size);
	kfree(cap);
	return ret;
}

/**
 * vfio_pci_info_zdev_add_caps - add the zPCI capabilities to GET_INFO
 * @vdev: the device
 * @caps: the capability chain VFIO_DEVICE_GET_INFO returns
 *
 * Adds the base, group, utility string and function path capabilities,
 * copied from what the machine told the host about the function.  The
 * utility string is left out when the machine gave the function none, as
 * a string of zeroes would read as one.
 *
 * Return: 0; -ENODEV if the function is not a zPCI function, which the
 * caller takes as "no capabilities"; else the errno of adding one (the
 * chain may then hold the ones added before, for the caller to free).
 */
int vfio_pci_info_zdev_add_caps(struct vfio_pci_core_device *vdev,
				struct vfio_info_cap *caps)
{
	struct zpci_dev *zdev = to_zpci(vdev->pdev);
	int ret;

	if (!zdev)
		return -ENODEV;

	ret = zpci_base_cap(zdev, caps);
	if (ret)
		return ret;

	ret = zpci_group_cap(zdev, caps);
	if (ret)
		return ret;

	if (zdev->util_str_avail) {
		ret = zpci_util_cap(zdev, caps);
		if (ret)
			return ret;
	}

	return zpci_pfip_cap(zdev, caps);
}

/*
 * The hooks are filled in by the s390 KVM module while it is loaded; a
 * device whose user has a KVM keeps that KVM, and so the module, alive.
 */
static bool vfio_pci_zdev_has_kvm(struct vfio_pci_core_device *vdev,
				  struct zpci_dev *zdev)
{
	return zdev && vdev->vdev.kvm && zpci_kvm_hook.kvm_register &&
	       zpci_kvm_hook.kvm_unregister;
}

/**
 * vfio_pci_zdev_open_device - register a zPCI function with its user's KVM
 * @vdev: the device, enabled by vfio_pci_core_enable()
 *
 * When the user that opens the device runs a KVM guest, tells KVM about the
 * function so that the guest's zPCI instructions on it can be interpreted
 * by the machine instead of being intercepted.  A user without a KVM, or a
 * function that is not a zPCI function, needs nothing.
 *
 * Return: 0 or the errno of the KVM registration, which fails the open.
 */
int vfio_pci_zdev_open_device(struct vfio_pci_core_device *vdev)
{
	struct zpci_dev *zdev = to_zpci(vdev->pdev);

	if (!vfio_pci_zdev_has_kvm(vdev, zdev))
		return 0;

	return zpci_kvm_hook.kvm_register(zdev, vdev->vdev.kvm);
}

/**
 * vfio_pci_zdev_close_device - undo vfio_pci_zdev_open_device()
 * @vdev: the device, closed by its last user
 *
 * Unregisters the function from the KVM it was registered with at open;
 * the VFIO core keeps vdev->vdev.kvm unchanged between open and close.
 */
void vfio_pci_zdev_close_device(struct vfio_pci_core_device *vdev)
{
	struct zpci_dev *zdev = to_zpci(vdev->pdev);

	if (!vfio_pci_zdev_has_kvm(vdev, zdev))
		return;

	zpci_kvm_hook.kvm_unregister(zdev);
}
