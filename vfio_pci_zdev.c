// SPDX-License-Identifier: GPL-2.0-only
/*
 * s390 zPCI extensions of the VFIO PCI core: zPCI capabilities in
 * VFIO_DEVICE_GET_INFO and the KVM registration hooks.  Built for s390
 * only (CONFIG_VFIO_PCI_ZDEV_KVM).
 *
 * NOT YET IMPLEMENTED (tracked as the platform-extensions issue): no
 * capability is reported and KVM is not told about the device.
 */
#include "vfio_pci_priv.h"

int vfio_pci_info_zdev_add_caps(struct vfio_pci_core_device *vdev,
				struct vfio_info_cap *caps)
{
	return -ENODEV;
}

int vfio_pci_zdev_open_device(struct vfio_pci_core_device *vdev)
{
	return 0;
}

void vfio_pci_zdev_close_device(struct vfio_pci_core_device *vdev)
{
}
