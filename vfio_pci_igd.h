/* SPDX-License-Identifier: GPL-2.0-only */
/* Intel IGD extensions of vfio-pci. */
#ifndef VFIO_PCI_IGD_H
#define VFIO_PCI_IGD_H

#include "vfio_pci_core.h"

#ifdef CONFIG_VFIO_PCI_IGD
int vfio_pci_igd_init(struct vfio_pci_core_device *vdev);
#else
static inline int vfio_pci_igd_init(struct vfio_pci_core_device *vdev)
{
	return -ENODEV;
}
#endif

#endif /* VFIO_PCI_IGD_H */
