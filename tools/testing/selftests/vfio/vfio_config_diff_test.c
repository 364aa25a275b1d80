// SPDX-License-Identifier: GPL-2.0-only
/*
 * Config space through our driver, byte for byte against the reference.
 *
 * Every function of the zoo is opened and its whole config region is dumped
 * right after open.  Then a fixed script of writes runs, and the region is
 * dumped again at checkpoints along the way:
 *
 *  - probes at each width (1, 2 and 4 bytes): every aligned piece of config
 *    space gets all ones, then zeros, then its old value back; what reads
 *    back after the ones and after the zeros is recorded as two dumps, so
 *    the dumps show the write masks, not only the final state;
 *  - writes that straddle fields and registers, at odd offsets and lengths;
 *  - command register toggles, BAR and ROM sizing;
 *  - PM, MSI, MSI-X, PCI Express and AER control writes, an FLR where the
 *    function has one;
 *  - INTx, MSI and MSI-X switched on and off through SET_IRQS, with the
 *    control bits written while they are on;
 *  - everything written back as it was at open.
 *
 * Nothing in the script lets the function start DMA: bus mastering may be
 * switched on, but no device register is ever programmed.
 *
 * The reference lane (run first) stores its dumps under
 * $VFIO_TEST_ARTIFACTS/reference/<bdf>.cfg.  Our lane records the same,
 * stores it under .../ours/<bdf>.cfg for a human to diff, and compares with
 * the reference's byte by byte.  A difference fails unless the table of
 * justified differences below explains it; each justified difference is
 * printed with its reason.
 *
 * Every dump comes with the hardware's view from sysfs ("<checkpoint>@hw"),
 * so a register one driver passes through and the other keeps virtual
 * shows even when the device reads back the same either way.
 *
 * Capability offsets the script uses come from sysfs (what the PCI core
 * reads from the hardware), so both lanes run exactly the same writes
 * whatever each driver shows.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio_util.h"

#define CFG_MAX			4096
#define CFG_STD			256
#define MAX_CHECKPOINTS		192
#define NAME_LEN		48
#define ERRORS_LEN		256
/* The hardware as sysfs shows it before open: recorded, never compared. */
#define HW_BEFORE_OPEN		"hardware_before_open"
/* A byte whose read failed. */
#define UNREADABLE		0x100

/* Config-space layout (include/uapi/linux/pci_regs.h values). */
#define PCI_COMMAND		0x04
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		0x06
#define PCI_STATUS_CAP_LIST	0x10
#define PCI_BASE_ADDRESS_0	0x10
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_CAP_ID_PM		0x01
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_EXP		0x10
#define PCI_CAP_ID_MSIX		0x11
#define PCI_PM_CTRL		4
#define PCI_MSI_FLAGS		2
#define PCI_MSI_FLAGS_ENABLE	0x0001
#define PCI_MSI_FLAGS_64BIT	0x0080
#define PCI_MSI_ADDRESS_LO	4
#define PCI_MSIX_FLAGS		2
#define PCI_EXP_FLAGS		2
#define PCI_EXP_DEVCAP		4
#define PCI_EXP_DEVCAP_FLR	0x10000000
#define PCI_EXP_DEVCTL		8
#define PCI_EXP_DEVCTL_FLR	0x8000
#define PCI_EXP_DEVSTA		10
#define PCI_EXP_LNKCTL		16
#define PCI_EXP_DEVCTL2		40
#define PCI_EXP_LNKCTL2		48
#define PCI_EXT_CAP_ID_ERR	0x01
#define PCI_ERR_CAP_END		0x48	/* through the TLP prefix log */

/* One dump: a value per byte, UNREADABLE where the read failed. */
struct checkpoint {
	char name[NAME_LEN];
	uint16_t byte[CFG_MAX];
	/* Writes that failed since the previous checkpoint. */
	char errors[ERRORS_LEN];
};

struct recording {
	unsigned int size;
	unsigned int nr;
	struct checkpoint cp[MAX_CHECKPOINTS];
};

/* The state of one run of the script on one function. */
struct script {
	const struct pci_func *f;
	struct vfio_dev *dev;
	struct recording *rec;
	unsigned int size;
	/* sysfs config: what reached the hardware. */
	int sysfs_fd;
	/* The hardware's view from sysfs, for capability offsets. */
	uint8_t hw[CFG_MAX];
	char errors[ERRORS_LEN];
	/* Problems of the recording itself, for the recording's case. */
	unsigned int read_failures;
	unsigned int overflow;
	/* 1- and 2-byte reads that disagreed with the 4-byte dump. */
	unsigned int width_mismatches;
	char width_first[128];
};

static unsigned int hw_find_cap(const struct script *s, uint8_t id);
static unsigned int hw_find_ecap(const struct script *s, uint16_t id);

/* ---- justified differences ---------------------------------------------- */

/* Offsets relative to a capability: a standard id, or ECAP(id). */
#define ECAP(id)	(0x1000 | (id))

struct justified {
	const char *kind;	/* device kind, NULL: any */
	const char *checkpoint;	/* checkpoint name prefix, NULL: any */
	int cap;		/* 0: absolute offsets; else the capability */
	uint16_t start, end;	/* inclusive */
	const char *reason;
};

/*
 * Where ours deliberately reads differently from the reference.  Keep it
 * short: every entry is a decision someone can argue with.
 */
static const struct justified justified[] = {
	{ .cap = PCI_CAP_ID_MSI, .start = PCI_MSI_FLAGS, .end = PCI_MSI_FLAGS,
	  .checkpoint = "msi_irq_on_flags_disable@hw",
	  .reason = "hardware MSI enable: a config write clearing the enable bit "
		    "while SET_IRQS has MSI on only changes the user's view on ours; "
		    "the reference also clears it in the device, behind the "
		    "interrupt code that still counts on it" },
};

static const struct justified *justification(const struct script *s,
					     const char *checkpoint,
					     unsigned int off)
{
	const struct justified *j;

	for (j = justified; j < justified + ARRAY_SIZE(justified); j++) {
		unsigned int base = 0;

		if (!j->reason)
			continue;
		if (j->kind && strcmp(j->kind, s->f->kind))
			continue;
		if (j->checkpoint &&
		    strncmp(checkpoint, j->checkpoint, strlen(j->checkpoint)))
			continue;
		if (j->cap) {
			base = j->cap & 0x1000 ? hw_find_ecap(s, j->cap & 0xfff) :
						 hw_find_cap(s, j->cap);
			if (!base)
				continue;
		}
		if (off >= base + j->start && off <= base + j->end)
			return j;
	}
	return NULL;
}

/* ---- the hardware's capability layout, from sysfs ---------------------- */

static unsigned int hw_find_cap(const struct script *s, uint8_t id)
{
	unsigned int pos, ttl = 48;

	if (!(s->hw[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return 0;
	pos = s->hw[PCI_CAPABILITY_LIST] & ~3u;
	while (pos >= 0x40 && pos < CFG_STD - 1 && ttl--) {
		if (s->hw[pos] == id)
			return pos;
		pos = s->hw[pos + 1] & ~3u;
	}
	return 0;
}

static uint32_t hw_dword(const struct script *s, unsigned int pos)
{
	return s->hw[pos] | s->hw[pos + 1] << 8 | s->hw[pos + 2] << 16 |
	       (uint32_t)s->hw[pos + 3] << 24;
}

static unsigned int hw_find_ecap(const struct script *s, uint16_t id)
{
	unsigned int pos = CFG_STD, ttl = (CFG_MAX - CFG_STD) / 8;

	if (s->size <= CFG_STD)
		return 0;
	while (pos >= CFG_STD && pos <= s->size - 4 && ttl--) {
		uint32_t hdr = hw_dword(s, pos);

		if (!hdr || hdr == ~0u)
			return 0;
		if ((hdr & 0xffff) == id)
			return pos;
		pos = (hdr >> 20) & ~3u;
	}
	return 0;
}

/* ---- recording --------------------------------------------------------- */

static void note_error(char *errors, const char *fmt, ...)
{
	size_t used = strlen(errors);
	va_list ap;

	if (used >= ERRORS_LEN - 1)
		return;
	if (used)
		errors[used++] = ' ';
	va_start(ap, fmt);
	vsnprintf(errors + used, ERRORS_LEN - used, fmt, ap);
	va_end(ap);
}

static const struct vfio_region_info *config_region(const struct script *s)
{
	return &s->dev->regions[VFIO_PCI_CONFIG_REGION_INDEX];
}

/* A write of 1 to 8 bytes at once, as one pwrite(), value little-endian. */
static void cfg_write(struct script *s, unsigned int off, unsigned int len,
		      uint64_t val)
{
	uint8_t buf[8];
	unsigned int i;
	int ret;

	if (off + len > s->size)
		return;
	for (i = 0; i < len; i++)
		buf[i] = val >> (8 * i);
	ret = vfio_region_pwrite(s->dev->fd, config_region(s), off, buf, len);
	if (ret < 0)
		note_error(s->errors, "write%u@0x%x:%s", len, off,
			   tap_errno_name(-ret));
}

/* A read of 1, 2 or 4 bytes; -errno or 0. */
static int cfg_read(struct script *s, unsigned int off, unsigned int len,
		    uint32_t *val)
{
	uint8_t buf[4] = { 0 };
	int ret;

	ret = vfio_region_pread(s->dev->fd, config_region(s), off, buf, len);
	*val = buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24;
	return ret;
}

static void store(uint16_t *bytes, unsigned int len, int ret, uint32_t val)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		bytes[i] = ret < 0 ? UNREADABLE : (val >> (8 * i)) & 0xff;
}

static struct checkpoint *new_checkpoint(struct script *s, const char *fmt, ...)
{
	struct recording *rec = s->rec;
	struct checkpoint *cp;
	va_list ap;

	if (rec->nr >= MAX_CHECKPOINTS) {
		s->overflow++;
		return NULL;
	}
	cp = &rec->cp[rec->nr++];
	memset(cp, 0, sizeof(*cp));
	va_start(ap, fmt);
	vsnprintf(cp->name, sizeof(cp->name), fmt, ap);
	va_end(ap);
	strcpy(cp->errors, s->errors);
	s->errors[0] = '\0';
	return cp;
}

/* @len bytes of the hardware's view at @off into @bytes. */
static void hw_read(struct script *s, unsigned int off, unsigned int len,
		    uint16_t *bytes)
{
	uint8_t buf[CFG_MAX];
	unsigned int i;
	ssize_t n;

	n = pread(s->sysfs_fd, buf, len, off);
	if (n != (ssize_t)len)
		s->read_failures++;
	for (i = 0; i < len; i++)
		bytes[i] = n == (ssize_t)len ? buf[i] : UNREADABLE;
}

/*
 * The whole region by 4-byte reads, then what the hardware holds as
 * "<name>@hw": a byte the driver virtualizes shows there as the write
 * never reaching the device.
 */
static struct checkpoint *checkpoint(struct script *s, const char *name)
{
	struct checkpoint *cp = new_checkpoint(s, "%s", name), *hw;
	unsigned int off;

	if (!cp)
		return NULL;
	for (off = 0; off < s->size; off += 4) {
		uint32_t val;
		int ret = cfg_read(s, off, 4, &val);

		if (ret < 0)
			s->read_failures++;
		store(&cp->byte[off], 4, ret, val);
	}
	hw = new_checkpoint(s, "%s@hw", name);
	if (hw)
		hw_read(s, 0, s->size, hw->byte);
	return cp;
}

/* Every byte and aligned word read again, against a 4-byte dump. */
static void check_widths(struct script *s, const struct checkpoint *cp)
{
	unsigned int off, len, i;

	if (!cp)
		return;
	for (len = 1; len <= 2; len++) {
		for (off = 0; off < s->size; off += len) {
			uint32_t val;
			int ret = cfg_read(s, off, len, &val);

			for (i = 0; i < len; i++) {
				unsigned int want = cp->byte[off + i];
				unsigned int got = ret < 0 ? UNREADABLE :
						   (val >> (8 * i)) & 0xff;

				if (got == want)
					continue;
				if (!s->width_mismatches++)
					snprintf(s->width_first, sizeof(s->width_first),
						 "%s: %u-byte read at 0x%x gave 0x%x at 0x%x, 4-byte read 0x%x",
						 cp->name, len, off, got, off + i, want);
			}
		}
	}
}

/*
 * All ones, then zeros, then the old value into every aligned piece of
 * @len bytes; the two dumps hold what read back after the ones and after
 * the zeros.
 */
static void probe(struct script *s, unsigned int len)
{
	struct checkpoint *ones, *zeros, *hw_ones, *hw_zeros;
	uint64_t all = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
	unsigned int off;

	ones = new_checkpoint(s, "probe%u_ones", len);
	zeros = new_checkpoint(s, "probe%u_zeros", len);
	hw_ones = new_checkpoint(s, "probe%u_ones@hw", len);
	hw_zeros = new_checkpoint(s, "probe%u_zeros@hw", len);
	if (!ones || !zeros || !hw_ones || !hw_zeros)
		return;
	for (off = 0; off < s->size; off += len) {
		uint32_t old, val;
		int ret;

		ret = cfg_read(s, off, len, &old);
		if (ret < 0) {
			s->read_failures++;
			store(&ones->byte[off], len, ret, 0);
			store(&zeros->byte[off], len, ret, 0);
			continue;
		}
		cfg_write(s, off, len, all);
		ret = cfg_read(s, off, len, &val);
		store(&ones->byte[off], len, ret, val);
		hw_read(s, off, len, &hw_ones->byte[off]);
		cfg_write(s, off, len, 0);
		ret = cfg_read(s, off, len, &val);
		store(&zeros->byte[off], len, ret, val);
		hw_read(s, off, len, &hw_zeros->byte[off]);
		cfg_write(s, off, len, old);
	}
	/* Failed writes of the probe belong to its dumps. */
	strcpy(ones->errors, s->errors);
	s->errors[0] = '\0';
}

/* ---- the script -------------------------------------------------------- */

static uint32_t read_or_zero(struct script *s, unsigned int off, unsigned int len)
{
	uint32_t val;

	if (cfg_read(s, off, len, &val) < 0) {
		s->read_failures++;
		return 0;
	}
	return val;
}

static void straddling_writes(struct script *s)
{
	static const uint8_t caps[] = {
		PCI_CAP_ID_PM, PCI_CAP_ID_MSI, PCI_CAP_ID_EXP, PCI_CAP_ID_MSIX,
	};
	unsigned int i, pos;

	/* Command high byte and status low byte, by one unaligned write. */
	cfg_write(s, 0x03, 2, 0xffff);
	/* Status (write-1-to-clear) and revision/class. */
	cfg_write(s, 0x06, 4, 0xffffffff);
	/* Cache line, latency, header type and BIST in three pieces. */
	cfg_write(s, 0x0c, 3, 0xffffff);
	cfg_write(s, 0x0f, 1, 0xff);
	/* Interrupt line and pin, and the capability pointer's neighbours. */
	cfg_write(s, 0x3b, 3, 0x5a5a5a);
	cfg_write(s, 0x33, 2, 0xffff);
	checkpoint(s, "straddle_header");

	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		pos = hw_find_cap(s, caps[i]);
		if (!pos)
			continue;
		/* Next pointer plus the first byte of the capability's register. */
		cfg_write(s, pos + 1, 2, 0xffff);
		/* The register's high byte and the next one's low byte. */
		cfg_write(s, pos + 3, 2, 0x0000);
		/* Header and register as one 8-byte write. */
		cfg_write(s, pos, 8, 0x00000000ffffffffull);
	}
	checkpoint(s, "straddle_caps");
}

static void command_toggles(struct script *s)
{
	static const uint16_t values[] = { 0x0000, 0x0003, 0x0407, 0xffff, 0x0000 };
	uint32_t old = read_or_zero(s, PCI_COMMAND, 2);
	char name[NAME_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		cfg_write(s, PCI_COMMAND, 2, values[i]);
		snprintf(name, sizeof(name), "command_%04x", values[i]);
		checkpoint(s, name);
	}
	cfg_write(s, PCI_COMMAND, 2, old);
	checkpoint(s, "command_restored");
}

static void bar_sizing(struct script *s)
{
	uint32_t old[7];
	unsigned int i, off;

	for (i = 0; i < 7; i++) {
		off = i < 6 ? PCI_BASE_ADDRESS_0 + 4 * i : PCI_ROM_ADDRESS;
		old[i] = read_or_zero(s, off, 4);
		cfg_write(s, off, 4, 0xffffffff);
	}
	checkpoint(s, "bars_sized");
	for (i = 0; i < 7; i++) {
		off = i < 6 ? PCI_BASE_ADDRESS_0 + 4 * i : PCI_ROM_ADDRESS;
		cfg_write(s, off, 4, 0x12345679);
	}
	checkpoint(s, "bars_pattern");
	for (i = 0; i < 7; i++) {
		off = i < 6 ? PCI_BASE_ADDRESS_0 + 4 * i : PCI_ROM_ADDRESS;
		cfg_write(s, off, 4, old[i]);
	}
	checkpoint(s, "bars_restored");
}

static void pm_writes(struct script *s)
{
	unsigned int pos = hw_find_cap(s, PCI_CAP_ID_PM);

	if (!pos)
		return;
	cfg_write(s, pos + PCI_PM_CTRL, 2, 0x0003);	/* D3hot */
	checkpoint(s, "pm_d3hot");
	cfg_write(s, pos + PCI_PM_CTRL, 2, 0x0000);
	checkpoint(s, "pm_d0");
	cfg_write(s, pos + PCI_PM_CTRL, 2, 0x0001);	/* D1, rarely supported */
	checkpoint(s, "pm_d1");
	cfg_write(s, pos + PCI_PM_CTRL, 2, 0x0000);
	/* PME status (write 1 to clear), PME enable, data select 0xf. */
	cfg_write(s, pos + PCI_PM_CTRL, 2, 0x9e00);
	checkpoint(s, "pm_pme_data_select");
	cfg_write(s, pos + PCI_PM_CTRL, 2, 0x0000);
	checkpoint(s, "pm_cleared");
}

static void msi_writes(struct script *s)
{
	static const uint16_t flags[] = { 0xffff, 0x0000, 0x0070, 0x0001, 0x0000 };
	unsigned int pos = hw_find_cap(s, PCI_CAP_ID_MSI), i;
	char name[NAME_LEN];
	bool is64;

	if (!pos)
		return;
	is64 = s->hw[pos + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_64BIT;
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		cfg_write(s, pos + PCI_MSI_FLAGS, 2, flags[i]);
		snprintf(name, sizeof(name), "msi_flags_%04x", flags[i]);
		checkpoint(s, name);
	}
	/* Address, upper address, data, then whatever follows. */
	cfg_write(s, pos + PCI_MSI_ADDRESS_LO, 4, 0xfee01237);
	cfg_write(s, pos + 8, 4, is64 ? 0xffffffff : 0x0000abcd);
	cfg_write(s, pos + 12, 4, is64 ? 0xffffabcd : 0xffffffff);
	cfg_write(s, pos + 16, 4, 0xffffffff);
	checkpoint(s, "msi_message");
}

static void msix_writes(struct script *s)
{
	static const uint16_t flags[] = { 0xffff, 0x0000, 0x4000, 0x0000 };
	unsigned int pos = hw_find_cap(s, PCI_CAP_ID_MSIX), i;
	char name[NAME_LEN];

	if (!pos)
		return;
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		cfg_write(s, pos + PCI_MSIX_FLAGS, 2, flags[i]);
		snprintf(name, sizeof(name), "msix_flags_%04x", flags[i]);
		checkpoint(s, name);
	}
	/* Table and PBA locations are read-only. */
	cfg_write(s, pos + 4, 4, 0xffffffff);
	cfg_write(s, pos + 8, 4, 0x00000000);
	checkpoint(s, "msix_table_pba");
}

static void pcie_writes(struct script *s)
{
	unsigned int pos = hw_find_cap(s, PCI_CAP_ID_EXP);
	uint32_t devctl, lnkctl, devctl2;
	bool v2;

	if (!pos)
		return;
	v2 = (s->hw[pos + PCI_EXP_FLAGS] & 0xf) > 1;
	devctl = read_or_zero(s, pos + PCI_EXP_DEVCTL, 2);
	lnkctl = read_or_zero(s, pos + PCI_EXP_LNKCTL, 2);

	cfg_write(s, pos + PCI_EXP_DEVCTL, 2, 0x7fff);
	checkpoint(s, "pcie_devctl_7fff");
	cfg_write(s, pos + PCI_EXP_DEVCTL, 2, 0x0000);
	checkpoint(s, "pcie_devctl_0000");
	cfg_write(s, pos + PCI_EXP_DEVCTL, 2, devctl);
	/* Status is write-1-to-clear. */
	cfg_write(s, pos + PCI_EXP_DEVSTA, 2, 0xffff);
	checkpoint(s, "pcie_devsta_ffff");
	cfg_write(s, pos + PCI_EXP_LNKCTL, 2, 0xffef);	/* not Link Disable */
	checkpoint(s, "pcie_lnkctl_ffef");
	cfg_write(s, pos + PCI_EXP_LNKCTL, 2, lnkctl);
	if (v2) {
		devctl2 = read_or_zero(s, pos + PCI_EXP_DEVCTL2, 2);
		cfg_write(s, pos + PCI_EXP_DEVCTL2, 2, 0xffff);
		cfg_write(s, pos + PCI_EXP_LNKCTL2, 2, 0x0000);
		checkpoint(s, "pcie_v2_controls");
		cfg_write(s, pos + PCI_EXP_DEVCTL2, 2, devctl2);
	}
	checkpoint(s, "pcie_restored");

	/* A function level reset, only where the function has one. */
	if (hw_dword(s, pos + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR) {
		cfg_write(s, pos + PCI_EXP_DEVCTL, 2, devctl | PCI_EXP_DEVCTL_FLR);
		checkpoint(s, "pcie_flr");
	}
}

static void aer_writes(struct script *s)
{
	unsigned int pos = hw_find_ecap(s, PCI_EXT_CAP_ID_ERR), off;
	uint32_t old[PCI_ERR_CAP_END / 4];

	if (!pos)
		return;
	for (off = 4; off < PCI_ERR_CAP_END && pos + off < s->size; off += 4) {
		old[off / 4] = read_or_zero(s, pos + off, 4);
		cfg_write(s, pos + off, 4, 0xffffffff);
	}
	checkpoint(s, "aer_ones");
	for (off = 4; off < PCI_ERR_CAP_END && pos + off < s->size; off += 4)
		cfg_write(s, pos + off, 4, 0);
	checkpoint(s, "aer_zeros");
	for (off = 4; off < PCI_ERR_CAP_END && pos + off < s->size; off += 4)
		cfg_write(s, pos + off, 4, old[off / 4]);
	checkpoint(s, "aer_restored");
}

/* ---- interrupts: what config space shows while SET_IRQS runs them ----- */

static void set_irqs(struct script *s, uint32_t index, uint32_t flags, int efd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} arg = { 0 };
	int ret;

	arg.set.argsz = sizeof(arg.set);
	arg.set.flags = flags;
	arg.set.index = index;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		arg.set.argsz += sizeof(arg.fd);
		arg.set.count = 1;
		arg.fd = efd;
	} else if (!(flags & VFIO_IRQ_SET_ACTION_TRIGGER)) {
		arg.set.count = 1;	/* mask or unmask */
	}
	ret = vfio_ioctl(s->dev->fd, VFIO_DEVICE_SET_IRQS, &arg);
	if (ret < 0)
		note_error(s->errors, "set_irqs%u/0x%x:%s", index, flags,
			   tap_errno_name(-ret));
}

#define IRQ_ON	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define IRQ_OFF	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)

/*
 * INTx on, masked by the core, a command write while masked, unmasked and
 * off: INTx-disable is the user's view, whatever the core does in the
 * hardware.  No device register is programmed, so nothing fires.
 */
static void intx_irqs(struct script *s)
{
	uint32_t cmd;
	int efd;

	if (!s->hw[PCI_INTERRUPT_PIN])
		return;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return;
	cmd = read_or_zero(s, PCI_COMMAND, 2);
	set_irqs(s, VFIO_PCI_INTX_IRQ_INDEX, IRQ_ON, efd);
	checkpoint(s, "intx_on");
	set_irqs(s, VFIO_PCI_INTX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, -1);
	checkpoint(s, "intx_masked");
	cfg_write(s, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_INTX_DISABLE);
	checkpoint(s, "intx_masked_command_write");
	set_irqs(s, VFIO_PCI_INTX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, -1);
	checkpoint(s, "intx_unmasked");
	set_irqs(s, VFIO_PCI_INTX_IRQ_INDEX, IRQ_OFF, -1);
	checkpoint(s, "intx_off");
	cfg_write(s, PCI_COMMAND, 2, cmd);
	close(efd);
}

/*
 * MSI on through SET_IRQS, then the enable bit written both ways, then MSI
 * off and the enable bit written again.
 */
static void msi_irqs(struct script *s)
{
	unsigned int pos = hw_find_cap(s, PCI_CAP_ID_MSI);
	uint32_t flags;
	int efd;

	if (!pos)
		return;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return;
	flags = read_or_zero(s, pos + PCI_MSI_FLAGS, 2);
	set_irqs(s, VFIO_PCI_MSI_IRQ_INDEX, IRQ_ON, efd);
	checkpoint(s, "msi_irq_on");
	cfg_write(s, pos + PCI_MSI_FLAGS, 2, flags | PCI_MSI_FLAGS_ENABLE);
	checkpoint(s, "msi_irq_on_flags_enable");
	cfg_write(s, pos + PCI_MSI_FLAGS, 2, flags & ~PCI_MSI_FLAGS_ENABLE);
	checkpoint(s, "msi_irq_on_flags_disable");
	cfg_write(s, pos + PCI_MSI_FLAGS, 2, flags | PCI_MSI_FLAGS_ENABLE);
	set_irqs(s, VFIO_PCI_MSI_IRQ_INDEX, IRQ_OFF, -1);
	checkpoint(s, "msi_irq_off");
	cfg_write(s, pos + PCI_MSI_FLAGS, 2, flags | PCI_MSI_FLAGS_ENABLE);
	checkpoint(s, "msi_irq_off_flags_enable");
	cfg_write(s, pos + PCI_MSI_FLAGS, 2, flags);
	close(efd);
}

/* MSI-X on through SET_IRQS, its control word written, then off. */
static void msix_irqs(struct script *s)
{
	unsigned int pos = hw_find_cap(s, PCI_CAP_ID_MSIX);
	int efd;

	if (!pos)
		return;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return;
	set_irqs(s, VFIO_PCI_MSIX_IRQ_INDEX, IRQ_ON, efd);
	checkpoint(s, "msix_irq_on");
	cfg_write(s, pos + PCI_MSIX_FLAGS, 2, 0x0000);
	checkpoint(s, "msix_irq_on_flags_0000");
	set_irqs(s, VFIO_PCI_MSIX_IRQ_INDEX, IRQ_OFF, -1);
	checkpoint(s, "msix_irq_off");
	close(efd);
}

/* Every extended capability header, written as ones and as zeros. */
static void ecap_header_writes(struct script *s)
{
	unsigned int pos = CFG_STD, ttl = (CFG_MAX - CFG_STD) / 8;

	if (s->size <= CFG_STD)
		return;
	while (pos >= CFG_STD && pos <= s->size - 4 && ttl--) {
		uint32_t hdr = hw_dword(s, pos);

		cfg_write(s, pos, 4, 0xffffffff);
		cfg_write(s, pos + 2, 2, 0x0000);
		if (!hdr || hdr == ~0u)
			break;
		pos = (hdr >> 20) & ~3u;
	}
	checkpoint(s, "ecap_headers");
}

/*
 * Everything back as it was at open, so that the hardware holds no trace of
 * the script for the next test (or the next lane).
 */
static void restore(struct script *s, const struct checkpoint *first)
{
	unsigned int off, b;
	uint32_t val;

	if (!first)
		return;
	for (off = 0; off < s->size; off += 4) {
		for (val = 0, b = 0; b < 4; b++)
			val |= (uint32_t)(first->byte[off + b] & 0xff) << (8 * b);
		cfg_write(s, off, 4, val);
	}
	checkpoint(s, "restored");
}

static void run_script(struct script *s)
{
	struct checkpoint *first, *last;

	first = checkpoint(s, "after_open");
	check_widths(s, first);
	probe(s, 1);
	probe(s, 2);
	probe(s, 4);
	checkpoint(s, "after_probes");
	straddling_writes(s);
	command_toggles(s);
	bar_sizing(s);
	pm_writes(s);
	msi_writes(s);
	msix_writes(s);
	pcie_writes(s);
	aer_writes(s);
	ecap_header_writes(s);
	intx_irqs(s);
	msi_irqs(s);
	msix_irqs(s);
	last = checkpoint(s, "final");
	check_widths(s, last);
	restore(s, first);
}

/* ---- dump files -------------------------------------------------------- */

static const char *artifacts(void)
{
	const char *dir = getenv("VFIO_TEST_ARTIFACTS");

	return dir && *dir ? dir : NULL;
}

static int dump_path(char *path, size_t len, const char *lane, const char *bdf,
		     const char *suffix)
{
	int n = snprintf(path, len, "%s/%s/%s%s", artifacts(), lane, bdf, suffix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_dump(const struct recording *rec, const char *lane,
		      const char *bdf)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	unsigned int i, off, b;
	FILE *out;

	if (dump_path(path, sizeof(path), lane, "", "") ||
	    dump_path(tmp, sizeof(tmp), lane, bdf, ".cfg.tmp"))
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	dump_path(path, sizeof(path), lane, bdf, ".cfg");
	out = fopen(tmp, "w");
	if (!out)
		return -errno;
	fprintf(out, "# config region of %s through the %s driver\n", bdf, lane);
	fprintf(out, "size %u\n", rec->size);
	for (i = 0; i < rec->nr; i++) {
		const struct checkpoint *cp = &rec->cp[i];

		fprintf(out, "checkpoint %s\n", cp->name);
		if (cp->errors[0])
			fprintf(out, "errors %s\n", cp->errors);
		for (off = 0; off < rec->size; off += 16) {
			fprintf(out, "%03x:", off);
			for (b = 0; b < 16; b++) {
				if (cp->byte[off + b] == UNREADABLE)
					fputs(" ??", out);
				else
					fprintf(out, " %02x", cp->byte[off + b]);
			}
			fputc('\n', out);
		}
	}
	fputs("end\n", out);
	if (fclose(out))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}

/* Parses a dump written by write_dump(); -ENOENT when there is none. */
static int read_dump(struct recording *rec, const char *lane, const char *bdf)
{
	struct checkpoint *cp = NULL;
	char path[PATH_MAX], line[ERRORS_LEN + 64];
	bool ended = false;
	int ret = -EBADMSG;
	FILE *in;

	if (dump_path(path, sizeof(path), lane, bdf, ".cfg"))
		return -ENAMETOOLONG;
	in = fopen(path, "r");
	if (!in)
		return -errno;
	memset(rec, 0, sizeof(*rec));
	while (fgets(line, sizeof(line), in)) {
		unsigned int off, b;
		char *p, *end;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		if (!strncmp(line, "size ", 5)) {
			rec->size = strtoul(line + 5, NULL, 0);
			if (rec->size > CFG_MAX)
				goto out;
		} else if (!strncmp(line, "checkpoint ", 11)) {
			if (rec->nr >= MAX_CHECKPOINTS)
				goto out;
			cp = &rec->cp[rec->nr++];
			snprintf(cp->name, sizeof(cp->name), "%.*s",
				 NAME_LEN - 1, line + 11);
		} else if (!strncmp(line, "errors ", 7) && cp) {
			snprintf(cp->errors, sizeof(cp->errors), "%.*s",
				 ERRORS_LEN - 1, line + 7);
		} else if (!strcmp(line, "end")) {
			ended = true;
			break;
		} else {
			off = strtoul(line, &end, 16);
			if (!cp || *end != ':' || off % 16 || off + 16 > rec->size)
				goto out;
			p = end + 1;
			for (b = 0; b < 16; b++) {
				while (*p == ' ')
					p++;
				if (!strncmp(p, "??", 2)) {
					cp->byte[off + b] = UNREADABLE;
					p += 2;
					continue;
				}
				cp->byte[off + b] = strtoul(p, &end, 16);
				if (end == p)
					goto out;
				p = end;
			}
		}
	}
	ret = ended && rec->size ? 0 : -EBADMSG;
out:
	fclose(in);
	return ret;
}

/* ---- comparing --------------------------------------------------------- */

/*
 * A run of neighbouring bytes that differ in some checkpoint and share one
 * justification (or none), reported once however many checkpoints show it.
 */
struct diff_run {
	const struct justified *j;
	unsigned int start, end;
	unsigned int count;
	char first[NAME_LEN];
	char ours[64], ref[64];
};

#define MAX_DIFF_RUNS	128

struct compare {
	const struct script *s;
	unsigned int nr_runs;
	unsigned int lost;	/* runs beyond MAX_DIFF_RUNS */
	unsigned int unjustified;
	struct diff_run runs[MAX_DIFF_RUNS];
};

static void fmt_bytes(char *buf, size_t len, const uint16_t *bytes,
		      unsigned int n)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < n && used + 4 < len; i++) {
		if (bytes[i] == UNREADABLE)
			used += snprintf(buf + used, len - used, "%s??", i ? " " : "");
		else
			used += snprintf(buf + used, len - used, "%s%02x",
					 i ? " " : "", bytes[i]);
	}
}

static void note_run(struct compare *c, const struct justified *j,
		     const struct checkpoint *ours, const struct checkpoint *ref,
		     unsigned int start, unsigned int end)
{
	struct diff_run *r;
	unsigned int i;

	if (!j)
		c->unjustified++;
	for (i = 0; i < c->nr_runs; i++) {
		r = &c->runs[i];
		if (r->j == j && r->start == start && r->end == end) {
			r->count++;
			return;
		}
	}
	if (c->nr_runs == MAX_DIFF_RUNS) {
		c->lost++;
		return;
	}
	r = &c->runs[c->nr_runs++];
	*r = (struct diff_run) { .j = j, .start = start, .end = end, .count = 1 };
	snprintf(r->first, sizeof(r->first), "%s", ours->name);
	fmt_bytes(r->ours, sizeof(r->ours), &ours->byte[start], end - start + 1);
	fmt_bytes(r->ref, sizeof(r->ref), &ref->byte[start], end - start + 1);
}

static void compare_checkpoint(struct compare *c, const struct checkpoint *ours,
			       const struct checkpoint *ref, unsigned int size)
{
	unsigned int off = 0, end;

	if (strcmp(ours->errors, ref->errors)) {
		c->unjustified++;
		tap_diag("%s: failed writes differ: ours \"%s\", reference \"%s\"",
			 ours->name, ours->errors, ref->errors);
	}
	while (off < size) {
		const struct justified *j;

		if (ours->byte[off] == ref->byte[off]) {
			off++;
			continue;
		}
		j = justification(c->s, ours->name, off);
		end = off;
		while (end + 1 < size && end + 1 - off < 16 &&
		       ours->byte[end + 1] != ref->byte[end + 1] &&
		       justification(c->s, ours->name, end + 1) == j)
			end++;
		note_run(c, j, ours, ref, off, end);
		off = end + 1;
	}
}

static void compare_finish(struct compare *c)
{
	unsigned int i;

	for (i = 0; i < c->nr_runs; i++) {
		const struct diff_run *r = &c->runs[i];
		char where[96];

		snprintf(where, sizeof(where), "0x%03x..0x%03x in %u checkpoint%s (first %s)",
			 r->start, r->end, r->count, r->count == 1 ? "" : "s",
			 r->first);
		if (r->j)
			tap_diag("justified: %s: ours %s, reference %s: %s",
				 where, r->ours, r->ref, r->j->reason);
		else
			tap_diag("%s: ours %s, reference %s", where, r->ours, r->ref);
	}
	if (c->lost)
		tap_diag("... and %u more runs of differing bytes", c->lost);
	tap_check(!c->unjustified, "%u unjustified difference%s from the reference",
		  c->unjustified, c->unjustified == 1 ? "" : "s");
}

static const struct checkpoint *find_checkpoint(const struct recording *rec,
						const char *name)
{
	unsigned int i;

	for (i = 0; i < rec->nr; i++)
		if (!strcmp(rec->cp[i].name, name))
			return &rec->cp[i];
	return NULL;
}

/* The after_open case covers after_open and after_open@hw. */
static bool compared(const char *name)
{
	return strncmp(name, "hardware_", 9) && strncmp(name, "after_open", 10);
}

static void compare_after_open(const struct script *s,
			       const struct recording *ours,
			       const struct recording *ref)
{
	static const char * const names[] = { "after_open", "after_open@hw" };
	struct compare c = { .s = s };
	unsigned int i;

	if (!EXPECT_EQ(ours->size, ref->size, "config region size"))
		return;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		const struct checkpoint *o = find_checkpoint(ours, names[i]);
		const struct checkpoint *r = find_checkpoint(ref, names[i]);

		if (!EXPECT_TRUE(o && r, "both recorded the dumps after open"))
			return;
		compare_checkpoint(&c, o, r, ours->size);
	}
	compare_finish(&c);
}

static void compare_after_writes(const struct script *s,
				 const struct recording *ours,
				 const struct recording *ref)
{
	struct compare c = { .s = s };
	unsigned int i;

	if (!EXPECT_EQ(ours->size, ref->size, "config region size") ||
	    !EXPECT_EQ(ours->nr, ref->nr, "number of checkpoints"))
		return;
	for (i = 0; i < ours->nr; i++) {
		if (!EXPECT_STREQ(ours->cp[i].name, ref->cp[i].name,
				  "checkpoint name"))
			return;
		if (compared(ours->cp[i].name))
			compare_checkpoint(&c, &ours->cp[i], &ref->cp[i], ours->size);
	}
	compare_finish(&c);
}

/*
 * Device-specific config bytes live in the hardware on both drivers, so what
 * an earlier lane or test left there shows in the next one.  Before opening,
 * put back what the hardware held when the reference lane opened the
 * function, beyond the standard header, and say so.
 */
#define ALIGN_NAMED	8

static void align_hardware(const struct pci_func *f, const struct recording *ref)
{
	const struct checkpoint *want = find_checkpoint(ref, HW_BEFORE_OPEN);
	uint8_t now[CFG_MAX];
	char path[PATH_MAX];
	unsigned int off, put = 0, failed = 0;
	long long size;
	int fd;

	size = pci_config_sysfs_size(f->bdf);
	if (!want || size != ref->size || size > CFG_MAX ||
	    pci_config_sysfs_read(f->bdf, 0, now, size))
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", f->bdf);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (off = 0x40; off < size; off++) {
		uint8_t val = want->byte[off];
		bool ok;

		if (want->byte[off] == UNREADABLE || now[off] == val)
			continue;
		ok = pwrite(fd, &val, 1, off) == 1;
		if (ok)
			put++;
		else
			failed++;
		/* The first few by name; a whole scratch area only counted. */
		if (put + failed <= ALIGN_NAMED)
			tap_diag("hardware byte 0x%03x was 0x%02x before open, 0x%02x in the reference lane: %s",
				 off, now[off], val, ok ? "put back" : "could not put it back");
	}
	close(fd);
	if (put + failed > ALIGN_NAMED)
		tap_diag("%u hardware bytes differed from the reference lane's before open: %u put back, %u could not be",
			 put + failed, put, failed);
}

/* ---- per function ------------------------------------------------------ */

static struct recording ours_rec, ref_rec;

/* What the PCI core reads from the hardware, before the driver opens it. */
static bool snapshot_hardware(struct script *s)
{
	long long size = pci_config_sysfs_size(s->f->bdf);
	struct checkpoint *cp;
	uint8_t buf[CFG_MAX];
	unsigned int i;

	if (!EXPECT_TRUE(size == CFG_STD || size == CFG_MAX,
			 "sysfs config of 256 or 4096 bytes") ||
	    !EXPECT_OK(pci_config_sysfs_read(s->f->bdf, 0, buf, size),
		       "reading sysfs config"))
		return false;
	cp = new_checkpoint(s, HW_BEFORE_OPEN);
	if (!cp)
		return false;
	for (i = 0; i < size; i++)
		cp->byte[i] = buf[i];
	return true;
}

/* Opens the function and runs the script; false (case failed) if it could not. */
static bool record(struct script *s, struct vfio_dev *dev,
		   const struct pci_func *f)
{
	char path[PATH_MAX];
	int ret;

	memset(s, 0, sizeof(*s));
	memset(&ours_rec, 0, sizeof(ours_rec));
	s->f = f;
	s->dev = dev;
	s->rec = &ours_rec;

	if (!snapshot_hardware(s))
		return false;
	if (!EXPECT_OK(vfio_dev_open(dev, f->bdf), "opening the device"))
		return false;
	s->size = dev->regions[VFIO_PCI_CONFIG_REGION_INDEX].size;
	if (!EXPECT_TRUE(s->size == CFG_STD || s->size == CFG_MAX,
			 "config region of 256 or 4096 bytes")) {
		vfio_dev_close(dev);
		return false;
	}
	ours_rec.size = s->size;
	ret = pci_config_sysfs_read(f->bdf, 0, s->hw, s->size);
	if (!EXPECT_OK(ret, "reading sysfs config")) {
		vfio_dev_close(dev);
		return false;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", f->bdf);
	s->sysfs_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!EXPECT_OK(s->sysfs_fd < 0 ? -errno : 0, "opening sysfs config")) {
		vfio_dev_close(dev);
		return false;
	}
	run_script(s);
	close(s->sysfs_fd);
	vfio_dev_close(dev);
	return true;
}

static void widths_case(const struct script *s, bool recorded)
{
	if (!recorded)
		return;
	if (s->width_mismatches)
		tap_check(false, "%u bytes read differently by 1/2-byte reads; first: %s",
			  s->width_mismatches, s->width_first);
}

static void recording_ok(const struct script *s)
{
	EXPECT_EQ(s->read_failures, 0, "failed 4-byte reads while recording");
	EXPECT_EQ(s->overflow, 0, "checkpoints beyond the recording's room");
}

static void reference_lane(const struct pci_func *f)
{
	struct vfio_dev dev;
	struct script s;
	bool recorded;

	tap_case_begin("config_reads_agree_across_widths %s", f->bdf);
	recorded = record(&s, &dev, f);
	widths_case(&s, recorded);
	tap_case_end();

	tap_case_begin("reference_config_dump_recorded %s", f->bdf);
	if (!recorded) {
		tap_check(false, "no recording: the device did not open");
	} else {
		recording_ok(&s);
		EXPECT_OK(write_dump(&ours_rec, "reference", f->bdf),
			  "writing the reference dump");
	}
	tap_case_end();
}

static void ours_lane(const struct pci_func *f)
{
	struct vfio_dev dev;
	struct script s;
	bool recorded;
	int ret;

	ret = artifacts() ? read_dump(&ref_rec, "reference", f->bdf) : -ENOENT;
	if (!ret)
		align_hardware(f, &ref_rec);

	tap_case_begin("config_reads_agree_across_widths %s", f->bdf);
	recorded = record(&s, &dev, f);
	widths_case(&s, recorded);
	if (recorded)
		recording_ok(&s);
	if (recorded && artifacts())
		EXPECT_OK(write_dump(&ours_rec, "ours", f->bdf), "writing our dump");
	tap_case_end();

	tap_case_begin("config_matches_reference_after_open %s", f->bdf);
	if (ret == -ENOENT) {
		tap_case_skip("no reference dump: run with DRIVER=both");
	} else if (EXPECT_OK(ret, "reading the reference dump") &&
		   EXPECT_TRUE(recorded, "our recording exists")) {
		compare_after_open(&s, &ours_rec, &ref_rec);
	}
	tap_case_end();

	tap_case_begin("config_matches_reference_after_writes %s", f->bdf);
	if (ret == -ENOENT) {
		tap_case_skip("no reference dump: run with DRIVER=both");
	} else if (EXPECT_OK(ret, "reading the reference dump") &&
		   EXPECT_TRUE(recorded, "our recording exists")) {
		compare_after_writes(&s, &ours_rec, &ref_rec);
	}
	tap_case_end();
}

int main(void)
{
	struct pci_func funcs[VFIO_ZOO_MAX];
	bool reference = vfio_test_driver() == VFIO_TEST_DRIVER_REFERENCE;
	int n, i;

	if (reference && !artifacts())
		tap_skip_all("VFIO_TEST_ARTIFACTS unset: nowhere to record the reference (run through tools/testing/vm/run.sh)");
	n = vfio_zoo_functions_or_skip(funcs, ARRAY_SIZE(funcs));
	tap_plan(n * (reference ? 2 : 3));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	if (artifacts())
		tap_diag("dumps in %s/{reference,ours}/<bdf>.cfg", artifacts());
	for (i = 0; i < n; i++) {
		tap_diag("device %s (%s)", funcs[i].bdf, funcs[i].kind);
		if (reference)
			reference_lane(&funcs[i]);
		else
			ours_lane(&funcs[i]);
	}
	tap_finish();
}
