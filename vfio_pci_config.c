// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO PCI config-space virtualization.
 *
 * The user sees config space through a virtual copy (vconfig) merged with
 * the hardware.  What each byte does is data: every capability the core
 * understands has a table of fields, each saying which bits are served from
 * the virtual copy, which bits the user may write, which of the writable
 * hardware bits are write-1-to-clear, which the field's handler writes to
 * the hardware itself, and which handler runs when the field is written.
 * The tables are expanded into per-byte masks when the module loads.
 *
 * When a device is opened its capability chains are walked (loops, bad
 * pointers and overlaps end a chain where they start) and every byte of
 * config space is mapped to the capability that owns it.  One engine then
 * serves any access of 1, 2 or 4 bytes:
 *  - a read merges virtual bits from vconfig with hardware bits;
 *  - a write stores writable virtual bits in vconfig, read-modify-writes
 *    writable hardware bits, and then runs the handlers of the fields it
 *    touched, with their values before and after.
 *
 * Which bytes the user sees, and how (the rule the differential test
 * vfio_config_diff_test checks against Debian's vfio-pci):
 *  - The standard header and the capabilities with fields (PM, MSI, MSI-X,
 *    PCI Express, VPD, AF, PCI-X, AER, ATS, PRI, PASID, LTR): as their
 *    tables say.
 *  - Capabilities the core knows but lets nobody write (DSN, power
 *    budgeting, ACS, ARI, SR-IOV, L1 PM substates, PTM, bridge subsystem
 *    ID): read-only over their exact length, fixed by the spec or read
 *    from their own registers.
 *  - Vendor-defined capabilities (vendor-specific, VSEC, DVSEC): over the
 *    length their header gives, the headers are read-only and the vendor's
 *    registers go to the hardware both ways, as on the reference.
 *  - Unknown capabilities, with no table: exposed, read-only.  The header
 *    is virtual (so the chain can be rewritten) and the body reads the
 *    hardware and ignores writes.  Their length is unknown, so the
 *    read-only body reaches the next capability of the same space by
 *    address, or the end of that space.
 *  - A capability whose table is marked hidden (none is, today) is
 *    unlinked from the chain and its bytes read as zero; a hidden first
 *    extended capability is replaced by a null header that links to the
 *    next, and an extended space with no capability at all shows a
 *    read-only null header at 0x100.
 *  - Bytes that belong to no capability are device-specific registers and
 *    go to the hardware both ways, as on the reference, which passes them
 *    through (seen through sysfs).  The exceptions are listed in
 *    cfg_ro_regs: they read the hardware and ignore writes (Intel
 *    graphics' ASLS, the OpRegion's address).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_pci_priv.h"

struct vfio_pci_cfg_field;

typedef void (*vfio_pci_cfg_written_fn)(struct vfio_pci_core_device *vdev,
					unsigned int pos, u32 old, u32 new);

/**
 * struct vfio_pci_cfg_field - one register of a capability
 * @off: offset from the capability's start
 * @len: 1, 2 or 4 bytes
 * @virt: bits read from (and written to) the virtual copy
 * @write: bits the user may change
 * @w1c: writable hardware bits that clear on writing 1
 * @indirect: writable hardware bits the engine leaves to @written, which
 *	must write them itself (under whatever lock the bits need)
 * @written: runs after every write that touched the field, as a register
 *	write is an event even when it changes nothing; @old and @new are the
 *	field's value as the user sees it before and after the write
 * @memory: @written may take the BARs away from the user (memory decode,
 *	power state, reset), so a write touching the field holds memory_lock
 *	for write; other writes do not take it
 */
struct vfio_pci_cfg_field {
	u16			off;
	u8			len;
	u32			virt;
	u32			write;
	u32			w1c;
	u32			indirect;
	vfio_pci_cfg_written_fn	written;
	bool			memory;
};

/**
 * struct vfio_pci_cap_table - what the core knows about one capability
 * @name: for log messages
 * @fields: its registers, not including the capability header
 * @nr_fields: entries in @fields
 * @size: bytes the table covers, built at module load
 * @extent: bytes a capability may span beyond its last field; bytes no
 *	field describes read the hardware and take no writes, unless @raw
 * @raw: bytes past the header that no field describes are vendor-defined
 *	registers and go to the hardware both ways
 * @hidden: unlink it from the chain the user sees
 * @length: size of an instance at @pos when it varies; NULL: @size
 * @virt: per-byte virtual mask, built at module load
 * @write: per-byte writable mask, built at module load
 * @w1c: per-byte write-1-to-clear mask, built at module load
 * @indirect: per-byte mask of bits only the handler writes, built at load
 * @field: per byte, 1 + index of its field in @fields, or 0
 */
struct vfio_pci_cap_table {
	const char				*name;
	const struct vfio_pci_cfg_field		*fields;
	unsigned int				nr_fields;
	u16					size;
	u16					extent;
	bool					raw;
	bool					hidden;
	unsigned int	(*length)(struct pci_dev *pdev, unsigned int pos);
	u8					*virt;
	u8					*write;
	u8					*w1c;
	u8					*indirect;
	u8					*field;
};

/* A run of config space owned by one capability instance. */
struct vfio_pci_cfg_seg {
	u16					start;
	u16					len;
	const struct vfio_pci_cap_table		*table;
};

#define VFIO_PCI_CFG_MAX_SEGS	254
#define VFIO_PCI_CFG_NO_SEG	0xff
/* At most this many standard capabilities fit in 192 bytes. */
#define VFIO_PCI_CAP_TTL	48

/**
 * struct vfio_pci_cfg - a device's config-space state while it is open
 * @nr_segs: entries used in @segs
 * @bar_mask: writable address bits of each BAR and of the ROM BAR
 * @bar_flags: read-only low bits of each BAR
 * @segs: the capability instances found
 * @virt: per byte of config space, the bits read from the virtual copy
 * @write: per byte, the bits the user may change
 * @w1c: per byte, the writable hardware bits that clear on writing 1
 * @indirect: per byte, the bits only a field's handler writes
 * @memory: per byte, nonzero when a write to it takes memory_lock (its
 *	field's handler may take the BARs away)
 * @seg_of: per byte, the index in @segs that owns it or VFIO_PCI_CFG_NO_SEG;
 *	the storage behind the per-byte arrays above follows it
 *
 * Built when the device is opened and fixed until it is closed, so config
 * reads use it without a lock.
 */
struct vfio_pci_cfg {
	unsigned int			nr_segs;
	u32				bar_mask[PCI_STD_NUM_BARS + 1];
	u32				bar_flags[PCI_STD_NUM_BARS + 1];
	struct vfio_pci_cfg_seg		segs[VFIO_PCI_CFG_MAX_SEGS];
	u8				*virt;
	u8				*write;
	u8				*w1c;
	u8				*indirect;
	u8				*memory;
	u8				seg_of[];
};

#define FIELD_RO(o, l)		{ .off = (o), .len = (l), .virt = ~0U }
#define FIELD_HW_RO(o, l)	{ .off = (o), .len = (l) }
#define FIELD_VIRT_RW(o, l)	{ .off = (o), .len = (l), .virt = ~0U, .write = ~0U }

/* ------------------------------------------------------------------ */
/* handlers                                                            */

static u32 vconfig_get(struct vfio_pci_core_device *vdev, unsigned int pos,
		       unsigned int len)
{
	u32 val = 0;

	memcpy(&val, vdev->vconfig + pos, len);
	return le32_to_cpu((__force __le32)val);
}

/*
 * Changes to the virtual copy: under cfg_lock, and inside cfg_seq so that a
 * lockless reader never mixes bytes of two values.
 */
static void vconfig_set(struct vfio_pci_core_device *vdev, unsigned int pos,
			unsigned int len, u32 val)
{
	__le32 le = cpu_to_le32(val);

	write_seqcount_begin(&vdev->cfg_seq);
	memcpy(vdev->vconfig + pos, &le, len);
	write_seqcount_end(&vdev->cfg_seq);
}

/* vconfig_get() for a reader that does not hold cfg_lock. */
static u32 vconfig_read(struct vfio_pci_core_device *vdev, unsigned int pos,
			unsigned int len)
{
	unsigned int seq;
	u32 val;

	do {
		seq = read_seqcount_begin(&vdev->cfg_seq);
		val = vconfig_get(vdev, pos, len);
	} while (read_seqcount_retry(&vdev->cfg_seq, seq));
	return val;
}

/**
 * vfio_pci_memory_enabled - may the user's BAR accesses reach the device
 * @vdev: the device, open
 *
 * Return: true when the user's view of the command register has memory
 * decode on.  Callers hold memory_lock.
 */
bool vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev)
{
	return vconfig_get(vdev, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
}

/* Command bits whose user value reaches the hardware. */
#define VFIO_PCI_CMD_HW_BITS	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | \
				 PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | \
				 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)

/*
 * The command register reads the hardware, except INTx-disable, which is the
 * user's: the core masks INTx in the hardware behind the user's back.  The
 * handler writes the hardware itself, under irqlock, because the INTx
 * handler flips INTx-disable there too; vconfig mirrors what the hardware
 * took, which is what the BAR access checks look at.
 */
static void cfg_command_written(struct vfio_pci_core_device *vdev,
				unsigned int pos, u32 old, u32 new)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 hw;

	/* Memory decode going off: no mapping may keep reaching the BARs. */
	if ((old & PCI_COMMAND_MEMORY) && !(new & PCI_COMMAND_MEMORY))
		vfio_pci_zap_bars(vdev);

	spin_lock_irq(&vdev->irqlock);
	pci_read_config_word(pdev, PCI_COMMAND, &hw);
	hw &= ~VFIO_PCI_CMD_HW_BITS;
	hw |= new & VFIO_PCI_CMD_HW_BITS;
	/* INTx the core masked stays masked whatever the user says. */
	if (vdev->pci_2_3 && vdev->intx_masked)
		hw |= PCI_COMMAND_INTX_DISABLE;
	pci_write_config_word(pdev, PCI_COMMAND, hw);
	pci_read_config_word(pdev, PCI_COMMAND, &hw);
	spin_unlock_irq(&vdev->irqlock);

	vconfig_set(vdev, pos, 2, (hw & ~PCI_COMMAND_INTX_DISABLE) |
				  (new & PCI_COMMAND_INTX_DISABLE));
}

/*
 * MSI is enabled through SET_IRQS, never through config space: the enable
 * bit only takes a 1 while SET_IRQS has MSI on, and the queue size never
 * exceeds what the function can do.  The rest of the low byte is the
 * user's to scribble on, as in the reference; nothing here reaches the
 * hardware, which the interrupt code programs.
 */
static void cfg_msi_flags_written(struct vfio_pci_core_device *vdev,
				  unsigned int pos, u32 old, u32 new)
{
	u16 hw, qmax;

	if (vdev->irq_type != VFIO_PCI_MSI_IRQ_INDEX)
		new &= ~PCI_MSI_FLAGS_ENABLE;

	pci_read_config_word(vdev->pdev, pos, &hw);
	qmax = (hw & PCI_MSI_FLAGS_QMASK) >> 1;
	if (FIELD_GET(PCI_MSI_FLAGS_QSIZE, new) > qmax) {
		new &= ~PCI_MSI_FLAGS_QSIZE;
		new |= FIELD_PREP(PCI_MSI_FLAGS_QSIZE, qmax);
	}
	vconfig_set(vdev, pos, 2, new);
}

static void cfg_bar_written(struct vfio_pci_core_device *vdev,
			    unsigned int pos, u32 old, u32 new)
{
	unsigned int i = pos == PCI_ROM_ADDRESS ? PCI_STD_NUM_BARS :
			 (pos - PCI_BASE_ADDRESS_0) / 4;
	u32 keep = vdev->cfg->bar_mask[i];

	if (i == PCI_STD_NUM_BARS && keep)
		keep |= PCI_ROM_ADDRESS_ENABLE;
	vconfig_set(vdev, pos, 4, (new & keep) | vdev->cfg->bar_flags[i]);
}

/* PMCSR PowerState field values, in order: D0, D1, D2, D3hot. */
static const pci_power_t pm_field_state[] = { PCI_D0, PCI_D1, PCI_D2, PCI_D3hot };

static u32 pm_state_field(pci_power_t state)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(pm_field_state); i++)
		if (pm_field_state[i] == state)
			return i;
	return 3;	/* D3cold and unknown read as D3hot */
}

static void cfg_pm_written(struct vfio_pci_core_device *vdev,
			   unsigned int pos, u32 old, u32 new)
{
	struct pci_dev *pdev = vdev->pdev;
	u32 field = new & PCI_PM_CTRL_STATE_MASK;
	pci_power_t state = pm_field_state[field];
	int ret;

	if (field == (old & PCI_PM_CTRL_STATE_MASK))
		return;

	if (state != PCI_D0) {
		vfio_pci_zap_bars(vdev);
		pci_save_state(pdev);
	}

	ret = pci_set_power_state(pdev, state);
	if (ret)
		pci_info_ratelimited(pdev, "user's power state change to D%u failed: %d\n",
				     field, ret);
	else if (state == PCI_D0 && !(new & PCI_PM_CTRL_NO_SOFT_RESET))
		pci_restore_state(pdev);

	/* Show the state the function is really in. */
	field = pm_state_field(pdev->current_state);
	vconfig_set(vdev, pos, 2, (new & ~PCI_PM_CTRL_STATE_MASK) | field);
	vdev->power_low = field != 0;
}

static void cfg_devctl_written(struct vfio_pci_core_device *vdev,
			       unsigned int pos, u32 old, u32 new)
{
	struct pci_dev *pdev = vdev->pdev;

	if (!(new & PCI_EXP_DEVCTL_BCR_FLR))
		return;

	/* The request bit always reads back as zero. */
	vconfig_set(vdev, pos, 2, new & ~PCI_EXP_DEVCTL_BCR_FLR);
	if (!(pdev->devcap & PCI_EXP_DEVCAP_FLR))
		return;

	vfio_pci_zap_bars(vdev);
	if (pci_try_reset_function(pdev))
		pci_info_ratelimited(pdev, "user-requested FLR failed\n");
}

/*
 * VPD goes through the PCI core's VPD access: writing the address with the
 * flag clear reads four bytes into the data register and sets the flag;
 * writing it with the flag set writes the data register and clears it.
 */
static void cfg_vpd_written(struct vfio_pci_core_device *vdev,
			    unsigned int pos, u32 old, u32 new)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int addr = new & PCI_VPD_ADDR_MASK;
	unsigned int data = pos - PCI_VPD_ADDR + PCI_VPD_DATA;
	__le32 buf;
	ssize_t ret;

	if (new & PCI_VPD_ADDR_F) {
		buf = cpu_to_le32(vconfig_get(vdev, data, 4));
		ret = pci_write_vpd(pdev, addr, sizeof(buf), &buf);
		new &= ~PCI_VPD_ADDR_F;
	} else {
		ret = pci_read_vpd(pdev, addr, sizeof(buf), &buf);
		if (ret == sizeof(buf))
			vconfig_set(vdev, data, 4, le32_to_cpu(buf));
		new |= PCI_VPD_ADDR_F;
	}
	if (ret != sizeof(buf))
		pci_info_ratelimited(pdev, "user's VPD access at 0x%x failed: %zd\n",
				     addr, ret);
	vconfig_set(vdev, pos, 2, new);
}

/* Advanced Features FLR: reset through the PCI core, like a PCIe FLR. */
static void cfg_af_written(struct vfio_pci_core_device *vdev,
			   unsigned int pos, u32 old, u32 new)
{
	struct pci_dev *pdev = vdev->pdev;
	u8 cap;

	if (!(new & PCI_AF_CTRL_FLR))
		return;
	vconfig_set(vdev, pos, 1, new & ~PCI_AF_CTRL_FLR);

	cap = vdev->vconfig[pos - PCI_AF_CTRL + PCI_AF_CAP];
	if (!(cap & PCI_AF_CAP_TP) || !(cap & PCI_AF_CAP_FLR))
		return;

	vfio_pci_zap_bars(vdev);
	if (pci_try_reset_function(pdev))
		pci_info_ratelimited(pdev, "user-requested AF FLR failed\n");
}

/* ------------------------------------------------------------------ */
/* the tables                                                          */

static const struct vfio_pci_cfg_field header_fields[] = {
	FIELD_RO(PCI_VENDOR_ID, 2),
	FIELD_RO(PCI_DEVICE_ID, 2),
	{ .off = PCI_COMMAND, .len = 2, .virt = PCI_COMMAND_INTX_DISABLE,
	  .write = VFIO_PCI_CMD_HW_BITS, .indirect = VFIO_PCI_CMD_HW_BITS,
	  .written = cfg_command_written, .memory = true },
	{ .off = PCI_STATUS, .len = 2, .virt = PCI_STATUS_CAP_LIST,
	  .write = 0xf900, .w1c = 0xf900 },
	FIELD_RO(PCI_CLASS_REVISION, 4),
	/* The cache line size is the device's, as on the reference. */
	{ .off = PCI_CACHE_LINE_SIZE, .len = 1, .write = ~0U },
	FIELD_RO(PCI_LATENCY_TIMER, 1),
	FIELD_RO(PCI_HEADER_TYPE, 1),
	FIELD_RO(PCI_BIST, 1),
#define BAR_FIELD(n) { .off = PCI_BASE_ADDRESS_0 + 4 * (n), .len = 4, \
		       .virt = ~0U, .write = ~0U, .written = cfg_bar_written }
	BAR_FIELD(0), BAR_FIELD(1), BAR_FIELD(2),
	BAR_FIELD(3), BAR_FIELD(4), BAR_FIELD(5),
#undef BAR_FIELD
	FIELD_RO(PCI_CARDBUS_CIS, 4),
	FIELD_RO(PCI_SUBSYSTEM_VENDOR_ID, 2),
	FIELD_RO(PCI_SUBSYSTEM_ID, 2),
	{ .off = PCI_ROM_ADDRESS, .len = 4, .virt = ~0U, .write = ~0U,
	  .written = cfg_bar_written },
	FIELD_RO(PCI_CAPABILITY_LIST, 1),
	FIELD_RO(0x35, 1), FIELD_RO(0x36, 2), FIELD_RO(0x38, 4),
	FIELD_VIRT_RW(PCI_INTERRUPT_LINE, 1),
	FIELD_RO(PCI_INTERRUPT_PIN, 1),
	FIELD_RO(PCI_MIN_GNT, 1),
	FIELD_RO(PCI_MAX_LAT, 1),
};

static const struct vfio_pci_cfg_field pm_fields[] = {
	FIELD_RO(PCI_PM_PMC, 2),
	/*
	 * The power state goes through the PCI core and then shows what the
	 * function really reached; the data selector reaches the function;
	 * PME enable is the host's.
	 */
	{ .off = PCI_PM_CTRL, .len = 2,
	  .virt = PCI_PM_CTRL_STATE_MASK,
	  .write = PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_DATA_SEL_MASK |
		   PCI_PM_CTRL_PME_STATUS,
	  .w1c = PCI_PM_CTRL_PME_STATUS,
	  .written = cfg_pm_written, .memory = true },
	FIELD_RO(PCI_PM_PPB_EXTENSIONS, 1),
	FIELD_RO(PCI_PM_DATA_REGISTER, 1),
};

/*
 * MSI: everything is virtual; the interrupt code programs the hardware
 * from what SET_IRQS asks, never from what the user writes here.
 */
#define MSI_FLAGS_FIELD \
	{ .off = PCI_MSI_FLAGS, .len = 2, .virt = ~0U, .write = 0x00ff, \
	  .written = cfg_msi_flags_written }

static const struct vfio_pci_cfg_field msi32_fields[] = {
	MSI_FLAGS_FIELD,
	FIELD_VIRT_RW(PCI_MSI_ADDRESS_LO, 4),
	FIELD_VIRT_RW(PCI_MSI_DATA_32, 2),
};

static const struct vfio_pci_cfg_field msi32_mask_fields[] = {
	MSI_FLAGS_FIELD,
	FIELD_VIRT_RW(PCI_MSI_ADDRESS_LO, 4),
	FIELD_VIRT_RW(PCI_MSI_DATA_32, 2),
	FIELD_RO(PCI_MSI_DATA_32 + 2, 2),
	FIELD_VIRT_RW(PCI_MSI_MASK_32, 4),
	FIELD_HW_RO(PCI_MSI_PENDING_32, 4),
};

static const struct vfio_pci_cfg_field msi64_fields[] = {
	MSI_FLAGS_FIELD,
	FIELD_VIRT_RW(PCI_MSI_ADDRESS_LO, 4),
	FIELD_VIRT_RW(PCI_MSI_ADDRESS_HI, 4),
	FIELD_VIRT_RW(PCI_MSI_DATA_64, 2),
};

static const struct vfio_pci_cfg_field msi64_mask_fields[] = {
	MSI_FLAGS_FIELD,
	FIELD_VIRT_RW(PCI_MSI_ADDRESS_LO, 4),
	FIELD_VIRT_RW(PCI_MSI_ADDRESS_HI, 4),
	FIELD_VIRT_RW(PCI_MSI_DATA_64, 2),
	FIELD_RO(PCI_MSI_DATA_64 + 2, 2),
	FIELD_VIRT_RW(PCI_MSI_MASK_64, 4),
	FIELD_HW_RO(PCI_MSI_PENDING_64, 4),
};

/* MSI-X: the control word shows the hardware; SET_IRQS alone changes it. */
static const struct vfio_pci_cfg_field msix_fields[] = {
	FIELD_HW_RO(PCI_MSIX_FLAGS, 2),
	FIELD_RO(PCI_MSIX_TABLE, 4),
	FIELD_RO(PCI_MSIX_PBA, 4),
};

/*
 * PCI Express: error-reporting enables, relaxed ordering, no-snoop and
 * extended tags reach the function; payload and read request sizes must
 * agree with the host's fabric settings and stay virtual.  Link, slot and
 * root controls belong to the host and take no writes.  FLR resets through
 * the PCI core.
 */
#define PCIE_DEVCTL_HW	(PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | \
			 PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE | \
			 PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_EXT_TAG | \
			 PCI_EXP_DEVCTL_PHANTOM | PCI_EXP_DEVCTL_AUX_PME | \
			 PCI_EXP_DEVCTL_NOSNOOP_EN)

static const struct vfio_pci_cfg_field pcie_fields[] = {
	FIELD_RO(PCI_EXP_FLAGS, 2),
	FIELD_HW_RO(PCI_EXP_DEVCAP, 4),
	{ .off = PCI_EXP_DEVCTL, .len = 2,
	  .virt = (u16)~PCIE_DEVCTL_HW,
	  .write = PCIE_DEVCTL_HW | PCI_EXP_DEVCTL_PAYLOAD |
		   PCI_EXP_DEVCTL_READRQ | PCI_EXP_DEVCTL_BCR_FLR,
	  .written = cfg_devctl_written, .memory = true },
	{ .off = PCI_EXP_DEVSTA, .len = 2, .write = 0x000f, .w1c = 0x000f },
	FIELD_HW_RO(PCI_EXP_LNKCAP, 4),
	FIELD_HW_RO(PCI_EXP_LNKCTL, 2),
	FIELD_HW_RO(PCI_EXP_LNKSTA, 2),
	FIELD_RO(PCI_EXP_SLTCAP, 4),
	FIELD_RO(PCI_EXP_SLTCTL, 2),
	FIELD_RO(PCI_EXP_SLTSTA, 2),
	FIELD_RO(PCI_EXP_RTCTL, 2),
	FIELD_RO(PCI_EXP_RTCAP, 2),
	FIELD_RO(PCI_EXP_RTSTA, 4),
	FIELD_HW_RO(PCI_EXP_DEVCAP2, 4),
	{ .off = PCI_EXP_DEVCTL2, .len = 2, .write = ~0U },
	FIELD_HW_RO(PCI_EXP_DEVSTA2, 2),
	FIELD_HW_RO(PCI_EXP_LNKCAP2, 4),
	FIELD_HW_RO(PCI_EXP_LNKCTL2, 2),
	FIELD_HW_RO(PCI_EXP_LNKSTA2, 2),
	FIELD_RO(PCI_EXP_SLTCAP2, 4),
	FIELD_RO(PCI_EXP_SLTCTL2, 2),
	FIELD_RO(PCI_EXP_SLTSTA2, 2),
};

static const struct vfio_pci_cfg_field vpd_fields[] = {
	{ .off = PCI_VPD_ADDR, .len = 2, .virt = ~0U, .write = ~0U,
	  .written = cfg_vpd_written },
	FIELD_VIRT_RW(PCI_VPD_DATA, 4),
};

static const struct vfio_pci_cfg_field af_fields[] = {
	FIELD_RO(PCI_AF_CAP, 1),
	{ .off = PCI_AF_CTRL, .len = 1, .virt = ~0U, .write = PCI_AF_CTRL_FLR,
	  .written = cfg_af_written, .memory = true },
	FIELD_HW_RO(PCI_AF_STATUS, 1),
};

/* PCI-X: the command register is the user's to play with, virtually. */
static const struct vfio_pci_cfg_field pcix_fields[] = {
	FIELD_VIRT_RW(PCI_X_CMD, 2),
	FIELD_HW_RO(PCI_X_STATUS, 4),
	FIELD_HW_RO(PCI_X_ECC_CSR, 4),
	FIELD_HW_RO(PCI_X_ECC_CSR + 4, 4),
	FIELD_HW_RO(PCI_X_ECC_CSR + 8, 4),
	FIELD_HW_RO(PCI_X_ECC_CSR + 12, 4),
};

static unsigned int pcix_length(struct pci_dev *pdev, unsigned int pos)
{
	u16 cmd;

	pci_read_config_word(pdev, pos + PCI_X_CMD, &cmd);
	return (cmd & PCI_X_CMD_VERSION(3)) ? PCI_CAP_PCIX_SIZEOF_V1 :
					       PCI_CAP_PCIX_SIZEOF_V0;
}

/*
 * AER: the user clears the error status it handled (write 1 to clear) and
 * may set severities, the correctable mask and the ECRC and multiple-header
 * enables, all in the hardware; the uncorrectable mask, which decides what
 * reaches the host at all, stays the host's.  The logs and the root port
 * registers read the hardware and take no writes.
 */
#define AER_CAP_MHRE		0x00000400	/* multiple header recording enable */
#define AER_PREFIX_LOG		0x38		/* TLP prefix log, 16 bytes */
#define AER_SIZEOF		0x48

static const struct vfio_pci_cfg_field aer_fields[] = {
	{ .off = PCI_ERR_UNCOR_STATUS, .len = 4, .write = ~0U, .w1c = ~0U },
	FIELD_HW_RO(PCI_ERR_UNCOR_MASK, 4),
	{ .off = PCI_ERR_UNCOR_SEVER, .len = 4, .write = ~0U },
	{ .off = PCI_ERR_COR_STATUS, .len = 4, .write = ~0U, .w1c = ~0U },
	{ .off = PCI_ERR_COR_MASK, .len = 4, .write = ~0U },
	{ .off = PCI_ERR_CAP, .len = 4,
	  .write = PCI_ERR_CAP_ECRC_GENE | PCI_ERR_CAP_ECRC_CHKE | AER_CAP_MHRE },
	FIELD_HW_RO(PCI_ERR_HEADER_LOG, 16),
	FIELD_HW_RO(PCI_ERR_ROOT_COMMAND, 4),
	FIELD_HW_RO(PCI_ERR_ROOT_STATUS, 4),
	FIELD_HW_RO(PCI_ERR_ROOT_ERR_SRC, 4),
	FIELD_HW_RO(AER_PREFIX_LOG, AER_SIZEOF - AER_PREFIX_LOG),
};

/*
 * ATS, PRI and PASID are enabled by the host's IOMMU driver, never by the
 * user: their controls are virtual.
 */
static const struct vfio_pci_cfg_field ats_fields[] = {
	FIELD_RO(PCI_ATS_CAP, 2),
	FIELD_VIRT_RW(PCI_ATS_CTRL, 2),
};

static const struct vfio_pci_cfg_field pri_fields[] = {
	FIELD_VIRT_RW(PCI_PRI_CTRL, 2),
	FIELD_HW_RO(PCI_PRI_STATUS, 2),
	FIELD_RO(PCI_PRI_MAX_REQ, 4),
	FIELD_VIRT_RW(PCI_PRI_ALLOC_REQ, 4),
};

static const struct vfio_pci_cfg_field pasid_fields[] = {
	FIELD_RO(PCI_PASID_CAP, 2),
	FIELD_VIRT_RW(PCI_PASID_CTRL, 2),
};

/* LTR: latency the user reports changes no host policy; virtual. */
static const struct vfio_pci_cfg_field ltr_fields[] = {
	FIELD_VIRT_RW(PCI_LTR_MAX_SNOOP_LAT, 2),
	FIELD_VIRT_RW(PCI_LTR_MAX_NOSNOOP_LAT, 2),
};

static unsigned int pcie_length(struct pci_dev *pdev, unsigned int pos)
{
	u16 flags;

	pci_read_config_word(pdev, pos + PCI_EXP_FLAGS, &flags);
	return (flags & PCI_EXP_FLAGS_VERS) > 1 ? PCI_EXP_SLTSTA2 + 2 :
						  PCI_CAP_EXP_ENDPOINT_SIZEOF_V1;
}

/*
 * Lengths of capabilities the core has no fields for, so that their bodies
 * are read-only rather than device-specific bytes the user could write.
 */
static unsigned int vndr_length(struct pci_dev *pdev, unsigned int pos)
{
	u8 len;

	pci_read_config_byte(pdev, pos + PCI_CAP_FLAGS, &len);
	return max_t(unsigned int, len, PCI_CAP_FLAGS);
}

/* Access Control Services: 8 bytes and the egress control vector. */
#define ACS_SIZEOF		8
#define ACS_EGRESS_BITS(cap)	((((cap) >> 8) & 0xff) ?: 256)

static unsigned int acs_length(struct pci_dev *pdev, unsigned int pos)
{
	u16 cap;

	pci_read_config_word(pdev, pos + PCI_ACS_CAP, &cap);
	if (!(cap & PCI_ACS_EC))
		return ACS_SIZEOF;
	return ACS_SIZEOF + DIV_ROUND_UP(ACS_EGRESS_BITS(cap), 32) * 4;
}

/*
 * Vendor-defined capabilities: the vendor's registers reach the device, as
 * on the reference (a virtio function's PCI configuration access window
 * only works that way); their own headers, with the length, do not.
 */
static const struct vfio_pci_cfg_field vndr_fields[] = {
	FIELD_HW_RO(PCI_CAP_FLAGS, 1),
};

static const struct vfio_pci_cfg_field vsec_fields[] = {
	FIELD_HW_RO(PCI_VNDR_HEADER, 4),
};

static const struct vfio_pci_cfg_field dvsec_fields[] = {
	FIELD_HW_RO(PCI_DVSEC_HEADER1, 4),
	FIELD_HW_RO(PCI_DVSEC_HEADER2, 2),
};

/* Vendor-specific and designated vendor-specific: a length in header 1. */
static unsigned int vsec_length(struct pci_dev *pdev, unsigned int pos)
{
	u32 hdr;

	pci_read_config_dword(pdev, pos + PCI_VNDR_HEADER, &hdr);
	return max_t(unsigned int, PCI_VNDR_HEADER_LEN(hdr), PCI_VNDR_HEADER + 4);
}

/*
 * A capability the core does not know: read-only up to the next capability
 * of its space, by address, or to the end of that space.
 */
static unsigned int cap_to_next(struct pci_dev *pdev, unsigned int pos)
{
	unsigned int end = PCI_CFG_SPACE_SIZE, ttl = VFIO_PCI_CAP_TTL;
	u8 p;

	pci_read_config_byte(pdev, PCI_CAPABILITY_LIST, &p);
	while (p >= PCI_STD_HEADER_SIZEOF && ttl--) {
		p &= ~3;
		if (p > pos && p < end)
			end = p;
		pci_read_config_byte(pdev, p + PCI_CAP_LIST_NEXT, &p);
	}
	return end - pos;
}

static unsigned int ecap_to_next(struct pci_dev *pdev, unsigned int pos)
{
	unsigned int end = pdev->cfg_size, p = PCI_CFG_SPACE_SIZE;
	unsigned int ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;
	u32 hdr;

	while (p >= PCI_CFG_SPACE_SIZE && p <= pdev->cfg_size - 4 && ttl--) {
		if (pci_read_config_dword(pdev, p, &hdr) || !hdr || hdr == ~0U)
			break;
		if (p > pos && p < end)
			end = p;
		p = PCI_EXT_CAP_NEXT(hdr);
	}
	return end - pos;
}

#define TABLE(n, f) { .name = (n), .fields = (f), .nr_fields = ARRAY_SIZE(f) }
/* A capability with no writable register: its size, or its length(). */
#define RO_TABLE(n, sz)		{ .name = (n), .extent = (sz) }
#define RO_TABLE_LEN(n, sz, fn)	{ .name = (n), .extent = (sz), .length = (fn) }
/* Vendor-defined: its fields read-only, the rest the device's. */
#define RAW_TABLE(n, f, sz, fn)	{ .name = (n), .fields = (f), .nr_fields = ARRAY_SIZE(f), \
				  .extent = (sz), .length = (fn), .raw = true }

static struct vfio_pci_cap_table header_table = TABLE("header", header_fields);
static struct vfio_pci_cap_table msi_tables[] = {
	TABLE("MSI", msi32_fields), TABLE("MSI", msi32_mask_fields),
	TABLE("MSI", msi64_fields), TABLE("MSI", msi64_mask_fields),
};

/* Standard capabilities, by id; an id without a table is exposed read-only. */
static struct vfio_pci_cap_table cap_tables[PCI_CAP_ID_MAX + 1] = {
	[PCI_CAP_ID_PM]		= TABLE("PM", pm_fields),
	[PCI_CAP_ID_MSIX]	= TABLE("MSI-X", msix_fields),
	[PCI_CAP_ID_EXP]	= { .name = "PCI Express", .fields = pcie_fields,
				    .nr_fields = ARRAY_SIZE(pcie_fields),
				    .length = pcie_length },
	[PCI_CAP_ID_VPD]	= TABLE("VPD", vpd_fields),
	[PCI_CAP_ID_AF]		= TABLE("AF", af_fields),
	[PCI_CAP_ID_PCIX]	= { .name = "PCI-X", .fields = pcix_fields,
				    .nr_fields = ARRAY_SIZE(pcix_fields),
				    .length = pcix_length },
	[PCI_CAP_ID_VNDR]	= RAW_TABLE("vendor-specific", vndr_fields, 0xff, vndr_length),
	[PCI_CAP_ID_SSVID]	= RO_TABLE("bridge subsystem", PCI_SSVID_DEVICE_ID + 2),
};

/* Extended capabilities, by id; an id without a table is exposed read-only. */
static struct vfio_pci_cap_table ecap_tables[PCI_EXT_CAP_ID_MAX + 1] = {
	[PCI_EXT_CAP_ID_ERR]	= TABLE("AER", aer_fields),
	[PCI_EXT_CAP_ID_ATS]	= TABLE("ATS", ats_fields),
	[PCI_EXT_CAP_ID_PRI]	= TABLE("PRI", pri_fields),
	[PCI_EXT_CAP_ID_PASID]	= TABLE("PASID", pasid_fields),
	[PCI_EXT_CAP_ID_LTR]	= TABLE("LTR", ltr_fields),
	[PCI_EXT_CAP_ID_DSN]	= RO_TABLE("DSN", PCI_EXT_CAP_DSN_SIZEOF),
	[PCI_EXT_CAP_ID_PWR]	= RO_TABLE("power budgeting", PCI_EXT_CAP_PWR_SIZEOF),
	[PCI_EXT_CAP_ID_ACS]	= RO_TABLE_LEN("ACS", ACS_SIZEOF + 32, acs_length),
	[PCI_EXT_CAP_ID_ARI]	= RO_TABLE("ARI", PCI_EXT_CAP_ARI_SIZEOF),
	[PCI_EXT_CAP_ID_SRIOV]	= RO_TABLE("SR-IOV", PCI_EXT_CAP_SRIOV_SIZEOF),
	[PCI_EXT_CAP_ID_L1SS]	= RO_TABLE("L1 PM substates", PCI_L1SS_CTL2 + 4),
	[PCI_EXT_CAP_ID_PTM]	= RO_TABLE("PTM", PCI_PTM_CTRL + 4),
	[PCI_EXT_CAP_ID_VNDR]	= RAW_TABLE("VSEC", vsec_fields,
					    PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE,
					    vsec_length),
	[PCI_EXT_CAP_ID_DVSEC]	= RAW_TABLE("DVSEC", dvsec_fields,
					    PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE,
					    vsec_length),
};

/*
 * Device-specific registers (bytes outside every capability) that read the
 * hardware but ignore writes, by vendor and class (base and sub-class).
 * Each is one dword, served by device_ro_table.
 */
static const struct vfio_pci_cfg_ro_reg {
	u16	vendor;
	u16	class;
	u16	pos;
} cfg_ro_regs[] = {
	/*
	 * Intel graphics: ASLS holds the OpRegion's host physical address.
	 * Users expect to read the real value (the guest's firmware finds the
	 * OpRegion there, or a VMM that copies it virtualizes ASLS itself);
	 * a write would move the pointer the host's firmware uses.
	 */
	{ PCI_VENDOR_ID_INTEL, PCI_CLASS_DISPLAY_VGA, 0xfc },
};

static struct vfio_pci_cap_table device_ro_table = RO_TABLE("device register", 4);

/* A capability the core has no table for: read-only up to the next one. */
static struct vfio_pci_cap_table unknown_cap_table =
	RO_TABLE_LEN("unknown", PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF, cap_to_next);
static struct vfio_pci_cap_table unknown_ecap_table =
	RO_TABLE_LEN("unknown extended", PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE,
		     ecap_to_next);

static int cap_table_build(struct vfio_pci_cap_table *t, unsigned int hdr)
{
	unsigned int i, b;

	/* The header (id and next pointer) is always virtual and read-only. */
	t->size = max_t(unsigned int, hdr, t->extent);
	for (i = 0; i < t->nr_fields; i++)
		t->size = max_t(unsigned int, t->size, t->fields[i].off + t->fields[i].len);

	t->virt = kcalloc(5, t->size, GFP_KERNEL);
	if (!t->virt)
		return -ENOMEM;
	t->write = t->virt + t->size;
	t->w1c = t->write + t->size;
	t->indirect = t->w1c + t->size;
	t->field = t->indirect + t->size;

	memset(t->virt, 0xff, hdr);
	if (t->raw)
		memset(t->write + hdr, 0xff, t->size - hdr);
	for (i = 0; i < t->nr_fields; i++) {
		const struct vfio_pci_cfg_field *f = &t->fields[i];

		for (b = 0; b < f->len; b++) {
			t->virt[f->off + b] = f->virt >> (8 * b);
			t->write[f->off + b] = f->write >> (8 * b);
			t->w1c[f->off + b] = f->w1c >> (8 * b);
			t->indirect[f->off + b] = f->indirect >> (8 * b);
			t->field[f->off + b] = i + 1;
		}
	}
	return 0;
}

static void cap_table_free(struct vfio_pci_cap_table *t)
{
	kfree(t->virt);
	t->virt = NULL;
}

static struct vfio_pci_cap_table *all_tables(unsigned int i, unsigned int *hdr)
{
	unsigned int n = 0;

	*hdr = 2;
	if (i == n++) {
		*hdr = 0;
		return &header_table;
	}
	if (i == n++) {
		*hdr = 0;
		return &device_ro_table;
	}
	if (i < n + ARRAY_SIZE(msi_tables))
		return &msi_tables[i - n];
	n += ARRAY_SIZE(msi_tables);
	if (i < n + ARRAY_SIZE(cap_tables))
		return &cap_tables[i - n];
	n += ARRAY_SIZE(cap_tables);
	if (i == n++)
		return &unknown_cap_table;
	*hdr = 4;
	if (i < n + ARRAY_SIZE(ecap_tables))
		return &ecap_tables[i - n];
	n += ARRAY_SIZE(ecap_tables);
	if (i == n++)
		return &unknown_ecap_table;
	return NULL;
}

/**
 * vfio_pci_cfg_tables_init - expand the capability tables into byte masks
 *
 * Return: 0 or -ENOMEM.
 */
int vfio_pci_cfg_tables_init(void)
{
	struct vfio_pci_cap_table *t;
	unsigned int i, hdr;
	int ret;

	for (i = 0; (t = all_tables(i, &hdr)); i++) {
		if (!t->name)
			continue;
		ret = cap_table_build(t, hdr);
		if (ret) {
			vfio_pci_cfg_tables_exit();
			return ret;
		}
	}
	return 0;
}

/** vfio_pci_cfg_tables_exit - free what vfio_pci_cfg_tables_init() built */
void vfio_pci_cfg_tables_exit(void)
{
	struct vfio_pci_cap_table *t;
	unsigned int i, hdr;

	for (i = 0; (t = all_tables(i, &hdr)); i++)
		cap_table_free(t);
}

/* ------------------------------------------------------------------ */
/* per-device layout                                                   */

static int cfg_add_seg(struct vfio_pci_core_device *vdev, unsigned int start,
		       unsigned int len, const struct vfio_pci_cap_table *t)
{
	struct vfio_pci_cfg *cfg = vdev->cfg;
	unsigned int i, end = start + len;

	if (cfg->nr_segs >= VFIO_PCI_CFG_MAX_SEGS || end > vdev->pdev->cfg_size)
		return -ENOSPC;
	for (i = start; i < end; i++)
		if (cfg->seg_of[i] != VFIO_PCI_CFG_NO_SEG)
			return -EEXIST;

	memset(cfg->seg_of + start, cfg->nr_segs, len);
	cfg->segs[cfg->nr_segs++] = (struct vfio_pci_cfg_seg) {
		.start = start, .len = len, .table = t,
	};
	if (t->hidden)
		memset(vdev->vconfig + start, 0, len);
	return 0;
}

static const struct vfio_pci_cap_table *cap_table_for(struct pci_dev *pdev,
						      u8 id, unsigned int pos,
						      unsigned int *len)
{
	const struct vfio_pci_cap_table *t;
	u16 flags;

	if (id == PCI_CAP_ID_MSI) {
		pci_read_config_word(pdev, pos + PCI_MSI_FLAGS, &flags);
		t = &msi_tables[!!(flags & PCI_MSI_FLAGS_MASKBIT) +
				2 * !!(flags & PCI_MSI_FLAGS_64BIT)];
	} else if (id <= PCI_CAP_ID_MAX && cap_tables[id].name) {
		t = &cap_tables[id];
	} else {
		t = &unknown_cap_table;
	}

	*len = t->length ? min_t(unsigned int, t->length(pdev, pos), t->size) : t->size;
	return t;
}

/*
 * Walk the standard chain.  Each visible capability's next pointer in
 * vconfig is rewritten to the next visible one; a malformed link ends the
 * chain the user sees at the last good capability.
 */
static void cfg_walk_caps(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int link = PCI_CAPABILITY_LIST, pos, len, hops = 0;
	const struct vfio_pci_cap_table *t;
	u8 *vc = vdev->vconfig;

	if (!(vconfig_get(vdev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) {
		vc[PCI_CAPABILITY_LIST] = 0;
		return;
	}

	pos = vc[PCI_CAPABILITY_LIST] & ~3;
	vc[PCI_CAPABILITY_LIST] = 0;
	while (pos && hops++ < VFIO_PCI_CAP_TTL) {
		unsigned int next;

		if (pos < PCI_STD_HEADER_SIZEOF || pos > PCI_CFG_SPACE_SIZE - 4) {
			pci_info(pdev, "capability pointer 0x%x out of range, chain ends\n", pos);
			break;
		}
		next = vc[pos + PCI_CAP_LIST_NEXT] & ~3;

		t = cap_table_for(pdev, vc[pos + PCI_CAP_LIST_ID], pos, &len);
		len = min_t(unsigned int, len, PCI_CFG_SPACE_SIZE - pos);
		if (cfg_add_seg(vdev, pos, len, t)) {
			pci_info(pdev, "capability 0x%02x at 0x%x overlaps another, chain ends\n",
				 vc[pos + PCI_CAP_LIST_ID], pos);
			break;
		}

		if (!t->hidden) {
			vc[link] = pos;
			link = pos + PCI_CAP_LIST_NEXT;
			vc[link] = 0;
		}
		pos = next;
	}

	if (!vc[PCI_CAPABILITY_LIST])
		vconfig_set(vdev, PCI_STATUS, 2,
			    vconfig_get(vdev, PCI_STATUS, 2) & ~PCI_STATUS_CAP_LIST);
}

static void cfg_walk_ecaps(struct vfio_pci_core_device *vdev)
{
	const unsigned int max_hops = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;
	unsigned int pos = PCI_CFG_SPACE_SIZE, link = 0, first = 0, hops = 0;
	struct pci_dev *pdev = vdev->pdev;

	if (pdev->cfg_size <= PCI_CFG_SPACE_SIZE)
		return;

	while (pos && hops++ < max_hops) {
		const struct vfio_pci_cap_table *t = &unknown_ecap_table;
		unsigned int len, next;
		u32 hdr;

		if (pos < PCI_CFG_SPACE_SIZE || pos > pdev->cfg_size - 4 || (pos & 3)) {
			pci_info(pdev, "extended capability pointer 0x%x out of range, chain ends\n",
				 pos);
			break;
		}
		hdr = vconfig_get(vdev, pos, 4);
		if (!hdr || hdr == ~0U)
			break;
		if (PCI_EXT_CAP_ID(hdr) <= PCI_EXT_CAP_ID_MAX &&
		    ecap_tables[PCI_EXT_CAP_ID(hdr)].name)
			t = &ecap_tables[PCI_EXT_CAP_ID(hdr)];

		/* A table may describe more than this instance has room for. */
		next = PCI_EXT_CAP_NEXT(hdr);
		len = t->length ? min_t(unsigned int, t->length(pdev, pos), t->size) :
				  t->size;
		len = min(len, pdev->cfg_size - pos);
		if (next > pos)
			len = min(len, next - pos);
		if (cfg_add_seg(vdev, pos, len, t)) {
			pci_info(pdev, "extended capability at 0x%x overlaps another, chain ends\n",
				 pos);
			break;
		}

		if (!t->hidden) {
			if (link)
				vconfig_set(vdev, link, 4,
					    (vconfig_get(vdev, link, 4) & 0xfffff) | (pos << 20));
			else
				first = pos;
			link = pos;
			vconfig_set(vdev, pos, 4, hdr & 0xfffff);
		}
		pos = next;
	}

	/*
	 * A chain must start at 0x100: stand a read-only null header in for a
	 * hidden first capability, or for an empty chain.
	 */
	if (first == PCI_CFG_SPACE_SIZE)
		return;
	if (vdev->cfg->seg_of[PCI_CFG_SPACE_SIZE] == VFIO_PCI_CFG_NO_SEG &&
	    cfg_add_seg(vdev, PCI_CFG_SPACE_SIZE, 4, &unknown_ecap_table))
		return;
	vconfig_set(vdev, PCI_CFG_SPACE_SIZE, 4, first << 20);
}

/*
 * The read-only device registers of this function, where no capability
 * already owns the bytes (then the capability's rules stand).
 */
static void cfg_protect_device_regs(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cfg_ro_regs); i++) {
		const struct vfio_pci_cfg_ro_reg *r = &cfg_ro_regs[i];

		if (pdev->vendor == r->vendor && pdev->class >> 8 == r->class)
			cfg_add_seg(vdev, r->pos, device_ro_table.extent, &device_ro_table);
	}
}

/* Writable address bits and fixed low bits of each BAR and the ROM BAR. */
static void cfg_init_bars(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_cfg *cfg = vdev->cfg;
	struct pci_dev *pdev = vdev->pdev;
	struct resource *res;
	unsigned int i;
	u64 mask;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		unsigned int pos = PCI_BASE_ADDRESS_0 + 4 * i;
		u32 hw = vconfig_get(vdev, pos, 4);

		res = pci_resource_n(pdev, i);
		if (!pci_resource_len(pdev, i)) {
			vconfig_set(vdev, pos, 4, 0);
			continue;
		}

		mask = ~(u64)(pci_resource_len(pdev, i) - 1);
		if (res->flags & IORESOURCE_IO) {
			cfg->bar_mask[i] = (u32)mask & PCI_BASE_ADDRESS_IO_MASK;
			cfg->bar_flags[i] = hw & ~PCI_BASE_ADDRESS_IO_MASK;
			continue;
		}

		cfg->bar_mask[i] = (u32)mask & PCI_BASE_ADDRESS_MEM_MASK;
		cfg->bar_flags[i] = hw & ~PCI_BASE_ADDRESS_MEM_MASK;
		if ((hw & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 &&
		    i + 1 < PCI_STD_NUM_BARS) {
			i++;
			cfg->bar_mask[i] = mask >> 32;
			cfg->bar_flags[i] = 0;
		}
	}

	/* A shadowed boot ROM sizes as the shadow the ROM region serves. */
	mask = vfio_pci_rom_size(pdev);
	if (mask) {
		cfg->bar_mask[PCI_STD_NUM_BARS] = (u32)~(mask - 1) & PCI_ROM_ADDRESS_MASK;
		cfg->bar_flags[PCI_STD_NUM_BARS] = 0;
	} else {
		vconfig_set(vdev, PCI_ROM_ADDRESS, 4, 0);
	}
}

/*
 * The field that byte @pos belongs to, and in @start where the field begins;
 * NULL for bytes no field describes and for hidden capabilities.
 */
static const struct vfio_pci_cfg_field *
cfg_field_at(struct vfio_pci_core_device *vdev, unsigned int pos,
	     unsigned int *start)
{
	struct vfio_pci_cfg *cfg = vdev->cfg;
	const struct vfio_pci_cap_table *t;
	const struct vfio_pci_cfg_field *f;
	u8 s = cfg->seg_of[pos];
	unsigned int off;

	if (s == VFIO_PCI_CFG_NO_SEG)
		return NULL;
	t = cfg->segs[s].table;
	off = pos - cfg->segs[s].start;
	if (t->hidden || off >= t->size || !t->field[off])
		return NULL;
	f = &t->fields[t->field[off] - 1];
	*start = cfg->segs[s].start + f->off;
	return f;
}

/*
 * What the capability tables say about byte @pos, into the per-byte masks:
 * done once when the device is opened, so an access only loads its masks.
 */
static void cfg_build_byte(struct vfio_pci_cfg *cfg, unsigned int pos)
{
	u8 s = cfg->seg_of[pos];
	const struct vfio_pci_cap_table *t;
	unsigned int off;

	if (s == VFIO_PCI_CFG_NO_SEG) {
		/* Device-specific: the hardware's, both ways. */
		cfg->write[pos] = 0xff;
		return;
	}

	t = cfg->segs[s].table;
	off = pos - cfg->segs[s].start;
	if (t->hidden) {
		cfg->virt[pos] = 0xff;
		return;
	}
	if (off >= t->size)
		return;
	cfg->virt[pos] = t->virt[off];
	cfg->write[pos] = t->write[off];
	cfg->w1c[pos] = t->w1c[off];
	cfg->indirect[pos] = t->indirect[off];
}

static void cfg_build_masks(struct vfio_pci_core_device *vdev)
{
	const struct vfio_pci_cfg_field *f;
	unsigned int pos, start;

	for (pos = 0; pos < vdev->pdev->cfg_size; pos++) {
		cfg_build_byte(vdev->cfg, pos);
		f = cfg_field_at(vdev, pos, &start);
		vdev->cfg->memory[pos] = f && f->memory;
	}
}

static int cfg_init_locked(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_cfg *cfg;
	unsigned int pos;
	int ret;

	vdev->vconfig = kzalloc(pdev->cfg_size, GFP_KERNEL_ACCOUNT);
	if (!vdev->vconfig)
		return -ENOMEM;

	/* seg_of, then the five per-byte arrays. */
	cfg = kzalloc(struct_size(cfg, seg_of, 6 * pdev->cfg_size), GFP_KERNEL_ACCOUNT);
	if (!cfg) {
		ret = -ENOMEM;
		goto err_free_vconfig;
	}
	vdev->cfg = cfg;
	memset(cfg->seg_of, VFIO_PCI_CFG_NO_SEG, pdev->cfg_size);
	cfg->virt = cfg->seg_of + pdev->cfg_size;
	cfg->write = cfg->virt + pdev->cfg_size;
	cfg->w1c = cfg->write + pdev->cfg_size;
	cfg->indirect = cfg->w1c + pdev->cfg_size;
	cfg->memory = cfg->indirect + pdev->cfg_size;

	for (pos = 0; pos < pdev->cfg_size; pos += 4) {
		u32 val;

		ret = pci_read_config_dword(pdev, pos, &val);
		if (ret) {
			ret = pcibios_err_to_errno(ret);
			goto err_free_cfg;
		}
		vconfig_set(vdev, pos, 4, val);
	}

	ret = cfg_add_seg(vdev, 0, PCI_STD_HEADER_SIZEOF, &header_table);
	if (ret)
		goto err_free_cfg;

	cfg_init_bars(vdev);
	cfg_walk_caps(vdev);
	cfg_walk_ecaps(vdev);
	cfg_protect_device_regs(vdev);
	cfg_build_masks(vdev);
	/* Whatever an earlier user left, this one starts from the real state. */
	vdev->power_low = pm_state_field(pdev->current_state) != 0;
	return 0;

err_free_cfg:
	kfree(cfg);
	vdev->cfg = NULL;
err_free_vconfig:
	kfree(vdev->vconfig);
	vdev->vconfig = NULL;
	return ret;
}

/**
 * vfio_pci_config_init - build the virtual config space of an opening device
 * @vdev: the device, enabled
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_config_init(struct vfio_pci_core_device *vdev)
{
	int ret;

	/* No one else can reach it yet: the lock is cfg_seq's writers' rule. */
	mutex_lock(&vdev->cfg_lock);
	ret = cfg_init_locked(vdev);
	mutex_unlock(&vdev->cfg_lock);
	return ret;
}

/**
 * vfio_pci_config_free - drop the virtual config space of a closing device
 * @vdev: the device
 */
void vfio_pci_config_free(struct vfio_pci_core_device *vdev)
{
	kfree(vdev->cfg);
	vdev->cfg = NULL;
	kfree(vdev->vconfig);
	vdev->vconfig = NULL;
}

/* ------------------------------------------------------------------ */
/* the engine                                                          */

struct cfg_masks {
	u32 virt, write, w1c, indirect;
};

/*
 * @len little-endian bytes at @p: @len is 1, 2 or 4 and the offset is a
 * multiple of it, and each mask array starts 8-byte aligned.
 */
static u32 cfg_mask_get(const u8 *p, unsigned int len)
{
	switch (len) {
	case 4:
		return le32_to_cpup((const __le32 *)p);
	case 2:
		return le16_to_cpup((const __le16 *)p);
	default:
		return *p;
	}
}

static void cfg_gather_masks(struct vfio_pci_core_device *vdev,
			     unsigned int pos, unsigned int len,
			     struct cfg_masks *m)
{
	const struct vfio_pci_cfg *cfg = vdev->cfg;

	m->virt = cfg_mask_get(cfg->virt + pos, len);
	m->write = cfg_mask_get(cfg->write + pos, len);
	m->w1c = cfg_mask_get(cfg->w1c + pos, len);
	m->indirect = cfg_mask_get(cfg->indirect + pos, len);
}

static int cfg_hw_read(struct pci_dev *pdev, unsigned int pos,
		       unsigned int len, u32 *val)
{
	int ret;

	switch (len) {
	case 4:
		ret = pci_user_read_config_dword(pdev, pos, val);
		break;
	case 2: {
		u16 v;

		ret = pci_user_read_config_word(pdev, pos, &v);
		*val = v;
		break;
	}
	default: {
		u8 v;

		ret = pci_user_read_config_byte(pdev, pos, &v);
		*val = v;
		break;
	}
	}
	return pcibios_err_to_errno(ret);
}

static int cfg_hw_write(struct pci_dev *pdev, unsigned int pos,
			unsigned int len, u32 val)
{
	int ret;

	switch (len) {
	case 4:
		ret = pci_user_write_config_dword(pdev, pos, val);
		break;
	case 2:
		ret = pci_user_write_config_word(pdev, pos, val);
		break;
	default:
		ret = pci_user_write_config_byte(pdev, pos, val);
		break;
	}
	return pcibios_err_to_errno(ret);
}

static int cfg_read_chunk(struct vfio_pci_core_device *vdev, unsigned int pos,
			  unsigned int len, u32 *val)
{
	u32 full = len == 4 ? ~0U : (1U << (8 * len)) - 1;
	struct cfg_masks m;
	u32 hw = 0;
	int ret;

	cfg_gather_masks(vdev, pos, len, &m);
	if ((m.virt & full) != full) {
		ret = cfg_hw_read(vdev->pdev, pos, len, &hw);
		if (ret)
			return ret;
	}
	/* The hardware was read once: only the virtual copy is retried. */
	if (m.virt)
		*val = (vconfig_read(vdev, pos, len) & m.virt) | (hw & ~m.virt & full);
	else
		*val = hw & full;
	return 0;
}

/* A field with a handler that a write touched: its value before and after. */
struct cfg_touched {
	unsigned int pos;
	const struct vfio_pci_cfg_field *f;
	u32 old;
	u32 new;
};

/*
 * The value a field shows the user after a write of @val at @pos: the bytes
 * the write covers take its writable bits, the rest keep @old.
 */
static u32 cfg_field_after(const struct cfg_touched *t, unsigned int pos,
			   unsigned int len, u32 val, u32 write)
{
	u32 new = t->old;
	unsigned int b;

	for (b = 0; b < len; b++) {
		unsigned int fb = pos + b - t->pos;
		u32 mask = ((write >> (8 * b)) & 0xff) << (8 * fb);

		if (pos + b < t->pos || fb >= t->f->len)
			continue;
		new = (new & ~mask) | ((((val >> (8 * b)) & 0xff) << (8 * fb)) & mask);
	}
	return new;
}

static int cfg_find_handlers(struct vfio_pci_core_device *vdev,
			     unsigned int pos, unsigned int len, u32 val,
			     const struct cfg_masks *m, struct cfg_touched *out)
{
	unsigned int b, n = 0;
	int ret;

	for (b = 0; b < len; b++) {
		const struct vfio_pci_cfg_field *f;
		unsigned int start;

		f = cfg_field_at(vdev, pos + b, &start);
		if (!f)
			continue;
		/* The field's other bytes in this write have nothing new. */
		b = start + f->len - pos - 1;
		if (!f->written)
			continue;
		out[n] = (struct cfg_touched) { .pos = start, .f = f };
		ret = cfg_read_chunk(vdev, start, f->len, &out[n].old);
		if (ret)
			return ret;
		out[n].new = cfg_field_after(&out[n], pos, len, val, m->write);
		n++;
	}
	return n;
}

/* Read-modify-write of the writable hardware bits @hwwr. */
static int cfg_hw_update(struct pci_dev *pdev, unsigned int pos,
			 unsigned int len, u32 val, u32 hwwr, u32 w1c)
{
	u32 hw;
	int ret;

	ret = cfg_hw_read(pdev, pos, len, &hw);
	if (ret)
		return ret;
	/* Write-1-to-clear bits are only ever written as the user wrote them. */
	hw &= ~(hwwr | w1c);
	return cfg_hw_write(pdev, pos, len, hw | (val & hwwr));
}

static int cfg_write_chunk(struct vfio_pci_core_device *vdev, unsigned int pos,
			   unsigned int len, u32 val)
{
	struct cfg_touched touched[4];
	struct cfg_masks m;
	u32 vwr, hwwr;
	unsigned int b;
	int i, n, ret;

	cfg_gather_masks(vdev, pos, len, &m);
	if (!m.write)
		return 0;

	n = cfg_find_handlers(vdev, pos, len, val, &m, touched);
	if (n < 0)
		return n;

	vwr = m.write & m.virt;
	if (vwr)
		vconfig_set(vdev, pos, len,
			    (vconfig_get(vdev, pos, len) & ~vwr) | (val & vwr));

	/*
	 * Bits a handler writes under its own lock must not be written back
	 * by a read-modify-write here either: with such bits in the chunk,
	 * update the other bytes one at a time.
	 */
	hwwr = m.write & ~m.virt & ~m.indirect;
	if (hwwr && !m.indirect) {
		ret = cfg_hw_update(vdev->pdev, pos, len, val, hwwr, m.w1c);
		if (ret)
			return ret;
	} else if (hwwr) {
		for (b = 0; b < len; b++) {
			u32 bw = (hwwr >> (8 * b)) & 0xff;

			if (!bw)
				continue;
			ret = cfg_hw_update(vdev->pdev, pos + b, 1, val >> (8 * b),
					    bw, (m.w1c >> (8 * b)) & 0xff);
			if (ret)
				return ret;
		}
	}

	for (i = 0; i < n; i++)
		touched[i].f->written(vdev, touched[i].pos, touched[i].old,
				      touched[i].new);
	return 0;
}

/* Does a write of @len bytes at @pos touch a field that needs memory_lock? */
static bool cfg_write_takes_memory(struct vfio_pci_core_device *vdev,
				   unsigned int pos, unsigned int len)
{
	return memchr_inv(vdev->cfg->memory + pos, 0, len);
}

/* The naturally aligned piece of at most 4 bytes that starts at @pos. */
static unsigned int cfg_piece_len(unsigned int pos, size_t left)
{
	if (!(pos & 3) && left >= 4)
		return 4;
	if (!(pos & 1) && left >= 2)
		return 2;
	return 1;
}

/*
 * One piece from or to the user.  A piece the user's buffer holds aligned
 * moves with one access of its width; the general copy, with its bounce
 * and object checks, is for the rest.  Either way it is a single piece
 * (1, 2 or 4 bytes), little-endian as config space is.
 */
static int cfg_get_piece(const char __user *p, unsigned int len, u32 *val)
{
	__le32 le32 = 0;
	__le16 le16;
	u8 byte;

	if (!IS_ALIGNED((unsigned long)p, len)) {
		if (copy_from_user(&le32, p, len))
			return -EFAULT;
		*val = le32_to_cpu(le32);
		return 0;
	}
	switch (len) {
	case 4:
		if (get_user(le32, (const __le32 __user *)p))
			return -EFAULT;
		*val = le32_to_cpu(le32);
		break;
	case 2:
		if (get_user(le16, (const __le16 __user *)p))
			return -EFAULT;
		*val = le16_to_cpu(le16);
		break;
	default:
		if (get_user(byte, (const u8 __user *)p))
			return -EFAULT;
		*val = byte;
		break;
	}
	return 0;
}

static int cfg_put_piece(char __user *p, unsigned int len, u32 val)
{
	__le32 le32 = cpu_to_le32(val);

	if (!IS_ALIGNED((unsigned long)p, len))
		return copy_to_user(p, &le32, len) ? -EFAULT : 0;
	switch (len) {
	case 4:
		return put_user(le32, (__le32 __user *)p);
	case 2:
		return put_user(cpu_to_le16(val), (__le16 __user *)p);
	default:
		return put_user((u8)val, (u8 __user *)p);
	}
}

/* Bytes of a write copied in and applied under one hold of the locks. */
#define VFIO_PCI_CFG_WRITE_BATCH	64

static ssize_t cfg_write(struct vfio_pci_core_device *vdev,
			 const char __user *buf, size_t count, unsigned int pos)
{
	u8 kbuf[VFIO_PCI_CFG_WRITE_BATCH];
	size_t done = 0;
	int ret = 0;

	while (done < count && !ret) {
		/* Batches end 4-byte aligned: the pieces are as for one batch. */
		unsigned int n = min_t(size_t, count - done,
				       sizeof(kbuf) - (pos & 3));
		unsigned int i = 0, len;
		bool memory;

		/*
		 * Copied in before any lock is taken: @buf may be a mapping of
		 * this device's BARs, whose fault handler takes memory_lock.
		 */
		if (n == cfg_piece_len(pos, n)) {
			u32 val;
			__le32 le;

			if (cfg_get_piece(buf + done, n, &val))
				return done ? done : -EFAULT;
			le = cpu_to_le32(val);
			memcpy(kbuf, &le, sizeof(le));
		} else if (copy_from_user(kbuf, buf + done, n)) {
			return done ? done : -EFAULT;
		}

		memory = cfg_write_takes_memory(vdev, pos, n);
		if (memory)
			down_write(&vdev->memory_lock);
		mutex_lock(&vdev->cfg_lock);
		while (i < n) {
			__le32 le = 0;

			len = cfg_piece_len(pos + i, n - i);
			memcpy(&le, kbuf + i, len);
			ret = cfg_write_chunk(vdev, pos + i, len, le32_to_cpu(le));
			if (ret)
				break;
			i += len;
		}
		mutex_unlock(&vdev->cfg_lock);
		if (memory)
			up_write(&vdev->memory_lock);

		pos += i;
		done += i;
	}
	return done ? done : ret;
}

static ssize_t cfg_read(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, unsigned int pos)
{
	size_t done = 0;
	int ret = 0;

	while (done < count) {
		unsigned int len = cfg_piece_len(pos, count - done);
		u32 val;

		ret = cfg_read_chunk(vdev, pos, len, &val);
		if (ret)
			break;
		ret = cfg_put_piece(buf + done, len, val);
		if (ret)
			break;
		pos += len;
		done += len;
	}
	return done ? done : ret;
}

/**
 * vfio_pci_config_rw - read or write the config region
 * @vdev: the device, open
 * @buf: user buffer
 * @count: bytes
 * @ppos: file offset within the config region's window
 * @iswrite: direction
 *
 * The access is split into naturally aligned pieces of 4, 2 and 1 bytes.
 * Writes run under cfg_lock, in batches copied in from the user first; a
 * batch that touches a field able to take the BARs away (command, power
 * state, function reset) also holds memory_lock for write.  Reads take no
 * lock: the layout is fixed while the device is open, the hardware's bits
 * come from the PCI core's accessors, and the virtual copy is read under
 * cfg_seq.
 *
 * Return: bytes done, or a negative errno if none were.
 */
ssize_t vfio_pci_config_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			   size_t count, loff_t *ppos, bool iswrite)
{
	unsigned int size = vdev->pdev->cfg_size;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t done;

	if (pos >= size || count > size - pos)
		return -EFAULT;

	if (iswrite)
		done = cfg_write(vdev, buf, count, pos);
	else
		done = cfg_read(vdev, buf, count, pos);
	if (done > 0)
		*ppos += done;
	return done;
}
