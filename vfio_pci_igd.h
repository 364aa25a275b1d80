/* SPDX-License-Identifier: GPL-2.0-only */
/* Intel IGD extensions of vfio-pci. */
#ifndef VFIO_PCI_IGD_H
#define VFIO_PCI_IGD_H

#include "vfio_pci_core.h"

/**
 * struct vfio_pci_igd_layout - what a valid OpRegion says about itself
 * @opregion_size: bytes of the OpRegion proper (its size field)
 * @major: OpRegion major version
 * @minor: OpRegion minor version
 * @vbt_pa: physical address of the raw VBT outside the OpRegion; 0 when
 *	the OpRegion names none
 * @vbt_size: bytes of that VBT; 0 when there is none
 * @why: when the check failed, what was wrong, for the log line
 */
struct vfio_pci_igd_layout {
	size_t		opregion_size;
	u8		major;
	u8		minor;
	phys_addr_t	vbt_pa;
	size_t		vbt_size;
	const char	*why;
};

#ifdef CONFIG_VFIO_PCI_IGD
int vfio_pci_igd_opregion_check(const void *opregion, size_t len,
				phys_addr_t opregion_pa,
				struct vfio_pci_igd_layout *layout);
int vfio_pci_igd_init(struct vfio_pci_core_device *vdev);
#else
static inline int vfio_pci_igd_init(struct vfio_pci_core_device *vdev)
{
	return -ENODEV;
}
#endif

#endif /* VFIO_PCI_IGD_H */
