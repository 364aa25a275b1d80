/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Declarations shared by the files of vfio-pci-core.ko only.  Nothing here
 * is for drivers built on the core: their interface is vfio_pci_core.h.
 */
#ifndef VFIO_PCI_PRIV_H
#define VFIO_PCI_PRIV_H

#include "vfio_pci_core.h"

/* The fixed regions and irq indexes, as the uAPI numbers them. */
#define VFIO_PCI_NUM_FIXED_REGIONS	VFIO_PCI_NUM_REGIONS

/* Legacy VGA: memory 0xa0000-0xbffff and ports 0x3b0-0x3bb, 0x3c0-0x3df. */
#define VFIO_PCI_VGA_REGION_SIZE	0xc0000

/* module parameters handed over by vfio_pci_core_set_params() */
extern bool vfio_pci_nointxmask;
extern bool vfio_pci_disable_vga;
extern bool vfio_pci_disable_idle_d3;

/* vfio_pci_config.c */
int vfio_pci_cfg_tables_init(void);
void vfio_pci_cfg_tables_exit(void);
int vfio_pci_config_init(struct vfio_pci_core_device *vdev);
void vfio_pci_config_free(struct vfio_pci_core_device *vdev);
ssize_t vfio_pci_config_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			   size_t count, loff_t *ppos, bool iswrite);
bool vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev);

/* vfio_pci_rdwr.c */
u64 vfio_pci_rom_size(struct pci_dev *pdev);
ssize_t vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite);
ssize_t vfio_pci_rom_read(struct vfio_pci_core_device *vdev, char __user *buf,
			  size_t count, loff_t *ppos);
ssize_t vfio_pci_vga_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite);
void vfio_pci_unmap_bars(struct vfio_pci_core_device *vdev);
int vfio_pci_ioeventfd(struct vfio_pci_core_device *vdev, u64 offset,
		       u64 data, int count, int fd);
void vfio_pci_ioeventfds_release(struct vfio_pci_core_device *vdev);

/* vfio_pci_intrs.c */
int vfio_pci_irq_count(struct vfio_pci_core_device *vdev, unsigned int index);
int vfio_pci_set_irqs_ioctl(struct vfio_pci_core_device *vdev, u32 flags,
			    unsigned int index, unsigned int start,
			    unsigned int count, void *data);
void vfio_pci_irqs_teardown(struct vfio_pci_core_device *vdev);
void vfio_pci_intx_mask(struct vfio_pci_core_device *vdev);
void vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev);

/* vfio_pci_reset.c */
int vfio_pci_ioctl_hot_reset_info(struct vfio_pci_core_device *vdev,
				  struct vfio_pci_hot_reset_info __user *arg);
int vfio_pci_ioctl_hot_reset(struct vfio_pci_core_device *vdev,
			     struct vfio_pci_hot_reset __user *arg);
void vfio_pci_dev_set_reset_on_release(struct vfio_device_set *dev_set);

/* vfio_pci_mig.c */
void vfio_pci_mig_unlock(struct vfio_pci_mig *mig);
void vfio_pci_mig_close(struct vfio_pci_core_device *vdev);
void vfio_pci_mig_release(struct vfio_pci_core_device *vdev);

/* vfio_pci_power.c */
bool vfio_pci_pm_access_begin(struct vfio_pci_core_device *vdev);
void vfio_pci_pm_access_end(struct vfio_pci_core_device *vdev, bool held);
void vfio_pci_low_power_exit(struct vfio_pci_core_device *vdev);
int vfio_pci_feature_low_power(struct vfio_pci_core_device *vdev, u32 flags,
			       void __user *arg, size_t argsz);

/* vfio_pci_sriov.c */
int vfio_pci_sriov_init(struct vfio_pci_core_device *vdev);
void vfio_pci_sriov_exit(struct vfio_pci_core_device *vdev);
int vfio_pci_check_vf_token(struct vfio_pci_core_device *vdev, const char *opts);
void vfio_pci_vf_open(struct vfio_pci_core_device *vdev);
void vfio_pci_vf_close(struct vfio_pci_core_device *vdev);
int vfio_pci_feature_vf_token(struct vfio_pci_core_device *vdev, u32 flags,
			      void __user *arg, size_t argsz);

/* vfio_pci_core.c */
void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev);
void vfio_pci_memory_lock_and_zap(struct vfio_pci_core_device *vdev);

static inline bool vfio_pci_is_vga(struct pci_dev *pdev)
{
	return (pdev->class >> 8) == PCI_CLASS_DISPLAY_VGA;
}

#ifdef CONFIG_VFIO_PCI_ZDEV_KVM
int vfio_pci_info_zdev_add_caps(struct vfio_pci_core_device *vdev,
				struct vfio_info_cap *caps);
int vfio_pci_zdev_open_device(struct vfio_pci_core_device *vdev);
void vfio_pci_zdev_close_device(struct vfio_pci_core_device *vdev);
#else
static inline int vfio_pci_info_zdev_add_caps(struct vfio_pci_core_device *vdev,
					      struct vfio_info_cap *caps)
{
	return -ENODEV;
}

static inline int vfio_pci_zdev_open_device(struct vfio_pci_core_device *vdev)
{
	return 0;
}

static inline void vfio_pci_zdev_close_device(struct vfio_pci_core_device *vdev)
{
}
#endif

#endif /* VFIO_PCI_PRIV_H */
