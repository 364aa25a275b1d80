// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel IGD extensions of vfio-pci: the OpRegion and the host and LPC
 * bridge config spaces as read-only device-specific regions.
 *
 * NOT YET IMPLEMENTED (tracked as the platform-extensions issue): no region
 * is added, so an Intel graphics function opens as a plain VGA function.
 * vfio_pci_igd_init() says so with -ENODEV, which the open path treats as
 * "nothing to set up".
 */
#include <linux/pci.h>

#include "vfio_pci_igd.h"

/**
 * vfio_pci_igd_init - add the IGD regions to an opening Intel VGA function
 * @vdev: the device, between vfio_pci_core_enable() and finish-enable
 *
 * Return: -ENODEV: nothing to set up (the regions are not implemented yet).
 */
int vfio_pci_igd_init(struct vfio_pci_core_device *vdev)
{
	return -ENODEV;
}
