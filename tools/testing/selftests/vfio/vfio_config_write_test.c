// SPDX-License-Identifier: GPL-2.0-only
/*
 * Config-space writes through the config region, field by field: what sticks
 * in what the user reads back, what is dropped, and what reaches the device.
 * The device side is what the PCI core reads through sysfs "config"; device
 * behaviour (BAR access, power state, reset) is checked where a field has one.
 *
 * Reference behaviour these cases encode (Debian 6.12 vfio-pci, QEMU zoo,
 * measured by running it):
 * - IDs, class, revision, header type, capability pointer, interrupt pin,
 *   capability IDs and next pointers, PMC and DevCap ignore writes;
 * - command: every write goes to the device and the user reads back what the
 *   device kept (QEMU keeps I/O, memory, master, SERR, INTx disable); memory
 *   decode off makes BAR access through the region fail with EIO, while I/O
 *   decode off does not stop I/O BAR access;
 * - status and PCIe DevSta: writing ones sets nothing;
 * - cache line size goes to the device; the latency timer reads as the
 *   device holds it;
 * - interrupt line is virtual: it sticks, the device keeps its value, and a
 *   new open starts again from the device's value;
 * - PMCSR power state changes go through the PCI core (sysfs power_state and
 *   the device's PMCSR follow); BAR access fails with EIO in D3hot; after a
 *   close in D3hot the function is back in D0 and usable;
 * - MSI enable / vector count never reach the device; MSI address and data
 *   stick for the user without reaching it; MSI-X enable and function mask
 *   writes neither stick nor reach the device (SET_IRQS owns them);
 * - PCIe DevCtl: payload size and read request size are virtual, the other
 *   bits read as the device holds them, Initiate FLR resets the function and
 *   its config space comes back;
 * - config space that no capability claims is passed through to the device;
 * - zero-length accesses return 0 anywhere; any access reaching past the end
 *   of config space gives EFAULT; accesses of any alignment and of 3 or 8
 *   bytes inside it succeed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "vfio_util.h"

#define EDU_ID			0x00
#define EDU_ID_VALUE		0x010000ed
#define EDU_LIVENESS		0x04

/* NVMe controller configuration register (BAR0) and fields safe to set. */
#define NVME_REG_CC		0x14
#define NVME_CC_QUEUE_SIZES	0x00460000	/* IOCQES 4, IOSQES 6; EN stays 0 */

/* PMCSR power state field values. */
#define PMCSR_D0		0
#define PMCSR_D3HOT		3

#define DEVCTL_VIRTUAL	(PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_READRQ)

/*
 * One open per device serves all its cases (every open and close resets the
 * function, which is slow under TCG); cases put back what they change.  The
 * few that are about closing close it for real with vfio_shared_dev_close().
 */
static bool open_dev(struct vfio_dev *dev, const struct pci_func *f)
{
	struct vfio_dev *shared;

	if (!EXPECT_OK(vfio_shared_dev_open(f->bdf, &shared), "opening the device"))
		return false;
	*dev = *shared;
	return true;
}

/* The end of a case: the device stays open for the next one. */
static void put_dev(struct vfio_dev *dev)
{
	(void)dev;
}

/* ---- Reading a field through VFIO and from the device ------------------ */

static int cfg_read(struct vfio_dev *dev, uint32_t off, int len, uint32_t *val)
{
	uint16_t v16;
	uint8_t v8;
	int ret;

	switch (len) {
	case 1:
		ret = vfio_config_read8(dev, off, &v8);
		*val = v8;
		return ret;
	case 2:
		ret = vfio_config_read16(dev, off, &v16);
		*val = v16;
		return ret;
	default:
		return vfio_config_read32(dev, off, val);
	}
}

static int hw_read(const char *bdf, uint32_t off, int len, uint32_t *val)
{
	uint16_t v16;
	uint8_t v8;
	int ret;

	switch (len) {
	case 1:
		ret = pci_config_sysfs_read8(bdf, off, &v8);
		*val = v8;
		return ret;
	case 2:
		ret = pci_config_sysfs_read16(bdf, off, &v16);
		*val = v16;
		return ret;
	default:
		return pci_config_sysfs_read32(bdf, off, val);
	}
}

static int cfg_write(struct vfio_dev *dev, uint32_t off, int len, uint32_t val)
{
	switch (len) {
	case 1:
		return vfio_config_write8(dev, off, val);
	case 2:
		return vfio_config_write16(dev, off, val);
	default:
		return vfio_config_write32(dev, off, val);
	}
}

/* Expects the user to read @want from @len bytes at @off. */
static bool expect_cfg(struct vfio_dev *dev, uint32_t off, int len,
		       uint32_t want, const char *name)
{
	char what[128];
	uint32_t got;

	snprintf(what, sizeof(what), "%s (%d bytes at 0x%03x) read through VFIO",
		 name, len, off);
	if (!EXPECT_OK(cfg_read(dev, off, len, &got), what))
		return false;
	return EXPECT_EQ_HEX(got, want, what);
}

/* Expects the device to hold @want in @len bytes at @off. */
static bool expect_hw(const char *bdf, uint32_t off, int len, uint32_t want,
		      const char *name)
{
	char what[128];
	uint32_t got;

	snprintf(what, sizeof(what), "%s (%d bytes at 0x%03x) in sysfs config",
		 name, len, off);
	if (!EXPECT_OK(hw_read(bdf, off, len, &got), what))
		return false;
	return EXPECT_EQ_HEX(got, want, what);
}

static bool write_cfg(struct vfio_dev *dev, uint32_t off, int len, uint32_t val)
{
	char what[96];

	snprintf(what, sizeof(what), "%d-byte write of 0x%x at 0x%03x", len, val, off);
	return EXPECT_OK(cfg_write(dev, off, len, val), what);
}

static bool read_hw(const char *bdf, uint32_t off, int len, uint32_t *val)
{
	char what[64];

	snprintf(what, sizeof(what), "reading %d bytes at 0x%03x of sysfs config",
		 len, off);
	return EXPECT_OK(hw_read(bdf, off, len, val), what);
}

static bool read_cfg(struct vfio_dev *dev, uint32_t off, int len, uint32_t *val)
{
	char what[64];

	snprintf(what, sizeof(what), "reading %d bytes at 0x%03x through VFIO",
		 len, off);
	return EXPECT_OK(cfg_read(dev, off, len, val), what);
}

/* Writes @val and expects the user and the device to see the old value. */
static void expect_read_only(struct vfio_dev *dev, uint32_t off, int len,
			     uint32_t val, const char *name)
{
	uint32_t before_user, before_hw;
	char what[96];

	if (!read_cfg(dev, off, len, &before_user) ||
	    !read_hw(dev->bdf, off, len, &before_hw) ||
	    !write_cfg(dev, off, len, val))
		return;
	snprintf(what, sizeof(what), "%s after writing 0x%x", name, val);
	expect_cfg(dev, off, len, before_user, what);
	expect_hw(dev->bdf, off, len, before_hw, what);
}

static int std_capability(struct vfio_dev *dev, uint8_t id, const char *name)
{
	int pos = pci_find_capability(dev->bdf, id);

	if (!EXPECT_OK(pos, "walking the capability list in sysfs config"))
		return -1;
	if (!pos) {
		tap_case_skip("no %s capability", name);
		return -1;
	}
	return pos;
}

static bool power_state_is(const char *bdf, const char *want, const char *when)
{
	char what[96], state[32];

	snprintf(what, sizeof(what), "sysfs power_state %s", when);
	if (!EXPECT_OK(pci_power_state(bdf, state, sizeof(state)), what))
		return false;
	return EXPECT_STREQ(state, want, what);
}

/* A 4-byte read at offset 0 of @bar through its region: 0 or -errno. */
static int bar_probe_read(struct vfio_dev *dev, int bar)
{
	uint32_t val;

	return vfio_bar_read32(dev, bar, 0, &val);
}

static int memory_bar_or_skip(const struct pci_func *f)
{
	int bar = pci_first_bar_with(f->bdf, PCI_RES_MEM);

	if (bar == -ENOENT)
		tap_case_skip("no memory BAR");
	else
		EXPECT_OK(bar, "reading sysfs resource");
	return bar;
}

/* ---- Identity and header ------------------------------------------------ */

static void ids_read_only(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t off;

	if (!open_dev(&dev, f))
		return;
	expect_read_only(&dev, PCI_VENDOR_ID, 4, 0x12345678, "vendor and device ID");
	expect_read_only(&dev, PCI_VENDOR_ID, 4, 0, "vendor and device ID");
	expect_read_only(&dev, PCI_DEVICE_ID, 2, 0xffff, "device ID");
	expect_read_only(&dev, PCI_REVISION_ID, 4, 0xffffffff, "revision and class");
	expect_read_only(&dev, PCI_REVISION_ID, 4, 0, "revision and class");
	for (off = PCI_REVISION_ID; off <= PCI_CLASS_DEVICE + 1; off++)
		expect_read_only(&dev, off, 1, 0x5a, "revision/class byte");
	put_dev(&dev);
}

static void header_type_read_only(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	expect_read_only(&dev, PCI_HEADER_TYPE, 1, 0xff, "header type");
	expect_read_only(&dev, PCI_HEADER_TYPE, 1, 0x01, "header type");
	put_dev(&dev);
}

static void cacheline_size_reaches_device(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t orig;
	uint8_t val;

	if (!open_dev(&dev, f))
		return;
	if (!read_hw(f->bdf, PCI_CACHE_LINE_SIZE, 1, &orig))
		goto out;
	/* 64 bytes, in dwords; something else if that is already there. */
	val = orig == 0x10 ? 0x20 : 0x10;
	if (write_cfg(&dev, PCI_CACHE_LINE_SIZE, 1, val)) {
		expect_cfg(&dev, PCI_CACHE_LINE_SIZE, 1, val, "cache line size");
		expect_hw(f->bdf, PCI_CACHE_LINE_SIZE, 1, val, "cache line size");
	}
	write_cfg(&dev, PCI_CACHE_LINE_SIZE, 1, orig);
out:
	put_dev(&dev);
}

static void latency_timer_reads_as_device(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t orig, hw;

	if (!open_dev(&dev, f))
		return;
	if (!read_hw(f->bdf, PCI_LATENCY_TIMER, 1, &orig))
		goto out;
	if (write_cfg(&dev, PCI_LATENCY_TIMER, 1, 0x40) &&
	    read_hw(f->bdf, PCI_LATENCY_TIMER, 1, &hw))
		expect_cfg(&dev, PCI_LATENCY_TIMER, 1, hw,
			   "latency timer after writing 0x40 (what the device holds)");
	write_cfg(&dev, PCI_LATENCY_TIMER, 1, orig);
out:
	put_dev(&dev);
}

/* ---- Command and status ------------------------------------------------- */

static const struct {
	uint16_t bit;
	const char *name;
} cmd_bits[] = {
	{ PCI_COMMAND_IO, "I/O space" },
	{ PCI_COMMAND_MEMORY, "memory space" },
	{ PCI_COMMAND_MASTER, "bus master" },
	{ PCI_COMMAND_SERR, "SERR#" },
	{ PCI_COMMAND_INTX_DISABLE, "INTx disable" },
};

static void command_bits_reach_device(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t orig, val;
	char what[96];
	size_t i;

	if (!open_dev(&dev, f))
		return;
	if (!read_cfg(&dev, PCI_COMMAND, 2, &orig))
		goto out;
	for (i = 0; i < ARRAY_SIZE(cmd_bits); i++) {
		val = orig | cmd_bits[i].bit;
		snprintf(what, sizeof(what), "command with %s set", cmd_bits[i].name);
		if (write_cfg(&dev, PCI_COMMAND, 2, val)) {
			expect_cfg(&dev, PCI_COMMAND, 2, val, what);
			expect_hw(f->bdf, PCI_COMMAND, 2, val, what);
		}
		val = orig & ~cmd_bits[i].bit;
		snprintf(what, sizeof(what), "command with %s clear", cmd_bits[i].name);
		if (write_cfg(&dev, PCI_COMMAND, 2, val)) {
			expect_cfg(&dev, PCI_COMMAND, 2, val, what);
			expect_hw(f->bdf, PCI_COMMAND, 2, val, what);
		}
	}
	write_cfg(&dev, PCI_COMMAND, 2, orig);
out:
	put_dev(&dev);
}

/*
 * Bits the device does not implement (special cycles, MWI, VGA snoop, parity
 * response, stepping, fast back-to-back, reserved) must not read back as set
 * when the device dropped them.
 */
static void command_reads_as_device(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t orig, hw, val;
	char what[96];
	int bit;

	if (!open_dev(&dev, f))
		return;
	if (!read_cfg(&dev, PCI_COMMAND, 2, &orig))
		goto out;
	for (bit = -2; bit < 16; bit++) {
		/* -2: all ones, -1: all zeroes, then one bit at a time. */
		val = bit == -2 ? 0xffff : bit == -1 ? 0 : 1u << bit;
		if (!write_cfg(&dev, PCI_COMMAND, 2, val) ||
		    !read_hw(f->bdf, PCI_COMMAND, 2, &hw))
			continue;
		snprintf(what, sizeof(what),
			 "command after writing 0x%04x (the device kept 0x%04x)",
			 val, hw);
		expect_cfg(&dev, PCI_COMMAND, 2, hw, what);
	}
	write_cfg(&dev, PCI_COMMAND, 2, orig);
out:
	put_dev(&dev);
}

static void memory_off_fails_bar_access(const struct pci_func *f)
{
	bool edu = !strcmp(f->kind, "edu");
	struct vfio_dev dev;
	uint32_t orig, id;
	int bar;

	bar = memory_bar_or_skip(f);
	if (bar < 0 || !open_dev(&dev, f))
		return;
	if (!read_cfg(&dev, PCI_COMMAND, 2, &orig))
		goto out;
	if (write_cfg(&dev, PCI_COMMAND, 2, orig & ~PCI_COMMAND_MEMORY)) {
		EXPECT_ERRNO(bar_probe_read(&dev, bar), EIO,
			     "BAR read through the region with memory decode off");
		/* Only edu's liveness register is safe to write blindly. */
		if (edu)
			EXPECT_ERRNO(vfio_bar_write32(&dev, bar, EDU_LIVENESS, 1), EIO,
				     "BAR write through the region with memory decode off");
	}
	if (write_cfg(&dev, PCI_COMMAND, 2, orig | PCI_COMMAND_MEMORY)) {
		if (EXPECT_OK(vfio_bar_read32(&dev, bar, 0, &id),
			      "BAR read with memory decode back on") && edu)
			EXPECT_EQ_HEX(id, EDU_ID_VALUE, "edu ID register");
	}
	write_cfg(&dev, PCI_COMMAND, 2, orig);
out:
	put_dev(&dev);
}

static void io_off_keeps_bar_access(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t orig;
	int bar;

	bar = pci_first_bar_with(f->bdf, PCI_RES_IO);
	if (bar == -ENOENT) {
		tap_case_skip("no I/O BAR");
		return;
	}
	if (!EXPECT_OK(bar, "reading sysfs resource") || !open_dev(&dev, f))
		return;
	if (!read_cfg(&dev, PCI_COMMAND, 2, &orig))
		goto out;
	/* Unlike memory decode, I/O decode does not gate region access. */
	if (write_cfg(&dev, PCI_COMMAND, 2, orig & ~PCI_COMMAND_IO))
		EXPECT_OK(bar_probe_read(&dev, bar),
			  "I/O BAR read through the region with I/O decode off");
	if (write_cfg(&dev, PCI_COMMAND, 2, orig | PCI_COMMAND_IO))
		EXPECT_OK(bar_probe_read(&dev, bar),
			  "I/O BAR read with I/O decode back on");
	write_cfg(&dev, PCI_COMMAND, 2, orig);
out:
	put_dev(&dev);
}

/*
 * Status is write-1-to-clear; no zoo device can be made to raise an error
 * bit, so what this proves is the other half: ones set nothing, and the
 * read-only bits (capability list, DEVSEL timing...) stay as they are.
 */
static void status_ones_set_nothing(const struct pci_func *f)
{
	/* Follows the interrupt line, which may move on its own. */
	const uint32_t stable = ~(uint32_t)PCI_STATUS_INTERRUPT & 0xffff;
	uint32_t user, hw, after;
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	if (!read_cfg(&dev, PCI_STATUS, 2, &user) ||
	    !read_hw(f->bdf, PCI_STATUS, 2, &hw) ||
	    !write_cfg(&dev, PCI_STATUS, 2, 0xffff))
		goto out;
	if (read_cfg(&dev, PCI_STATUS, 2, &after))
		EXPECT_EQ_HEX(after & stable, user & stable,
			      "status read through VFIO after writing 0xffff");
	if (read_hw(f->bdf, PCI_STATUS, 2, &after))
		EXPECT_EQ_HEX(after & stable, hw & stable,
			      "status in sysfs config after writing 0xffff");
	if (write_cfg(&dev, PCI_STATUS, 2, 0) && read_cfg(&dev, PCI_STATUS, 2, &after))
		EXPECT_EQ_HEX(after & stable, user & stable,
			      "status read through VFIO after writing 0");
out:
	put_dev(&dev);
}

static void command_status_dword_write(const struct pci_func *f)
{
	const uint32_t stable = ~(uint32_t)PCI_STATUS_INTERRUPT & 0xffff;
	uint32_t cmd, status, val, after;
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	if (!read_cfg(&dev, PCI_COMMAND, 2, &cmd) ||
	    !read_cfg(&dev, PCI_STATUS, 2, &status))
		goto out;
	val = cmd ^ PCI_COMMAND_INTX_DISABLE;
	if (write_cfg(&dev, PCI_COMMAND, 4, 0xffff0000 | val)) {
		expect_cfg(&dev, PCI_COMMAND, 2, val,
			   "command half of a 4-byte write at 0x04");
		expect_hw(f->bdf, PCI_COMMAND, 2, val,
			  "command half of a 4-byte write at 0x04");
		if (read_cfg(&dev, PCI_STATUS, 2, &after))
			EXPECT_EQ_HEX(after & stable, status & stable,
				      "status half of a 4-byte write at 0x04 (ones)");
	}
	write_cfg(&dev, PCI_COMMAND, 2, cmd);
out:
	put_dev(&dev);
}

/* 0x03..0x04: the high byte of the device ID, then the low byte of command. */
static void unaligned_word_over_id_and_command(const struct pci_func *f)
{
	uint32_t cmd, ids, val;
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	if (!read_cfg(&dev, PCI_COMMAND, 2, &cmd) ||
	    !read_cfg(&dev, PCI_VENDOR_ID, 4, &ids))
		goto out;
	val = (cmd ^ PCI_COMMAND_MASTER) & 0xff;
	if (write_cfg(&dev, PCI_DEVICE_ID + 1, 2, val << 8 | (~ids >> 24 & 0xff))) {
		expect_cfg(&dev, PCI_VENDOR_ID, 4, ids,
			   "IDs after a 2-byte write at 0x03");
		expect_cfg(&dev, PCI_COMMAND, 2, (cmd & 0xff00) | val,
			   "command after a 2-byte write at 0x03");
		expect_hw(f->bdf, PCI_COMMAND, 2, (cmd & 0xff00) | val,
			  "command after a 2-byte write at 0x03");
	}
	write_cfg(&dev, PCI_COMMAND, 2, cmd);
out:
	put_dev(&dev);
}

/* ---- Interrupt line and pin, capability pointers ------------------------ */

static void interrupt_line_virtual(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t hw, val;

	if (!open_dev(&dev, f))
		return;
	if (!read_hw(f->bdf, PCI_INTERRUPT_LINE, 1, &hw))
		goto out;
	val = hw == 0x55 ? 0xaa : 0x55;
	if (write_cfg(&dev, PCI_INTERRUPT_LINE, 1, val)) {
		expect_cfg(&dev, PCI_INTERRUPT_LINE, 1, val, "interrupt line");
		expect_hw(f->bdf, PCI_INTERRUPT_LINE, 1, hw,
			  "interrupt line (unchanged)");
	}
out:
	put_dev(&dev);
}

static void interrupt_line_reset_on_open(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t hw;

	if (!open_dev(&dev, f))
		return;
	if (!read_hw(f->bdf, PCI_INTERRUPT_LINE, 1, &hw) ||
	    !write_cfg(&dev, PCI_INTERRUPT_LINE, 1, hw ^ 0xff)) {
		put_dev(&dev);
		return;
	}
	vfio_shared_dev_close();
	if (!open_dev(&dev, f))
		return;
	expect_cfg(&dev, PCI_INTERRUPT_LINE, 1, hw,
		   "interrupt line after close and open (the device's value)");
	put_dev(&dev);
}

static void interrupt_pin_read_only(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	expect_read_only(&dev, PCI_INTERRUPT_PIN, 1, 0x00, "interrupt pin");
	expect_read_only(&dev, PCI_INTERRUPT_PIN, 1, 0x03, "interrupt pin");
	expect_read_only(&dev, PCI_INTERRUPT_PIN, 1, 0xff, "interrupt pin");
	put_dev(&dev);
}

static void line_pin_word_write(const struct pci_func *f)
{
	uint32_t line, pin, hw_line;
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	if (!read_cfg(&dev, PCI_INTERRUPT_PIN, 1, &pin) ||
	    !read_hw(f->bdf, PCI_INTERRUPT_LINE, 1, &hw_line))
		goto out;
	line = hw_line == 0x77 ? 0x66 : 0x77;
	if (write_cfg(&dev, PCI_INTERRUPT_LINE, 2, (pin ^ 0x07) << 8 | line)) {
		expect_cfg(&dev, PCI_INTERRUPT_LINE, 1, line,
			   "line half of a 2-byte write at 0x3c");
		expect_cfg(&dev, PCI_INTERRUPT_PIN, 1, pin,
			   "pin half of a 2-byte write at 0x3c (unchanged)");
		expect_hw(f->bdf, PCI_INTERRUPT_LINE, 2, pin << 8 | hw_line,
			  "line and pin after a 2-byte write at 0x3c (unchanged)");
	}
out:
	put_dev(&dev);
}

static void capability_pointer_read_only(const struct pci_func *f)
{
	struct vfio_dev dev;

	if (!open_dev(&dev, f))
		return;
	expect_read_only(&dev, PCI_CAPABILITY_LIST, 1, 0x00, "capability pointer");
	expect_read_only(&dev, PCI_CAPABILITY_LIST, 1, 0xfc, "capability pointer");
	put_dev(&dev);
}

static void capability_headers_read_only(const struct pci_func *f)
{
	unsigned int pos, hops, count = 0;
	struct vfio_dev dev;
	uint8_t cfg[256];
	char name[64];

	if (!EXPECT_OK(pci_config_sysfs_read(f->bdf, 0, cfg, sizeof(cfg)),
		       "reading sysfs config") || !open_dev(&dev, f))
		return;
	if (cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST) {
		for (pos = cfg[PCI_CAPABILITY_LIST] & ~3u, hops = 0;
		     pos >= 0x40 && hops < 48; pos = cfg[pos + 1] & ~3u, hops++) {
			snprintf(name, sizeof(name), "capability 0x%02x ID and next",
				 cfg[pos]);
			expect_read_only(&dev, pos, 2, 0x0000, name);
			expect_read_only(&dev, pos, 2, 0xffff, name);
			count++;
		}
	}
	put_dev(&dev);
	if (!count && !tap_case_failed())
		tap_case_skip("no capabilities");
}

/* ---- Power management --------------------------------------------------- */

/* PMCSR with the power state replaced; PME status (write-1-to-clear) left alone. */
static uint32_t pmcsr_with_state(uint32_t pmcsr, uint32_t state)
{
	return (pmcsr & ~(PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_STATUS)) | state;
}

static void pmcsr_d3hot_and_d0(const struct pci_func *f)
{
	uint32_t pmcsr, cmd, val;
	struct vfio_dev dev;
	int pm, bar;

	bar = memory_bar_or_skip(f);
	if (bar < 0 || !open_dev(&dev, f))
		return;
	pm = std_capability(&dev, PCI_CAP_ID_PM, "power management");
	if (pm < 0)
		goto out;
	if (!read_cfg(&dev, pm + PCI_PM_CTRL, 2, &pmcsr) ||
	    !read_hw(f->bdf, PCI_COMMAND, 2, &cmd))
		goto out;

	val = pmcsr_with_state(pmcsr, PMCSR_D3HOT);
	if (write_cfg(&dev, pm + PCI_PM_CTRL, 2, val)) {
		expect_cfg(&dev, pm + PCI_PM_CTRL, 2, val, "PMCSR after writing D3hot");
		expect_hw(f->bdf, pm + PCI_PM_CTRL, 2, val, "PMCSR after writing D3hot");
		power_state_is(f->bdf, "D3hot", "after writing D3hot to PMCSR");
		EXPECT_ERRNO(bar_probe_read(&dev, bar), EIO,
			     "BAR read through the region in D3hot");
	}
	val = pmcsr_with_state(pmcsr, PMCSR_D0);
	if (write_cfg(&dev, pm + PCI_PM_CTRL, 2, val)) {
		expect_cfg(&dev, pm + PCI_PM_CTRL, 2, val, "PMCSR after writing D0");
		expect_hw(f->bdf, pm + PCI_PM_CTRL, 2, val, "PMCSR after writing D0");
		power_state_is(f->bdf, "D0", "after writing D0 to PMCSR");
		expect_hw(f->bdf, PCI_COMMAND, 2, cmd,
			  "command after D3hot and back (restored)");
		EXPECT_OK(bar_probe_read(&dev, bar), "BAR read back in D0");
	}
out:
	put_dev(&dev);
}

/*
 * After the last close the function is the driver's again: back in D0,
 * unless runtime PM has since put the idle function to sleep by itself
 * (both drivers do, without disable_idle_d3, a moment after the close, so
 * a loaded host sees it before the check).  runtime_status tells the two
 * apart: "suspended" is runtime PM's D3hot, "active" the user's left over.
 */
static void closed_in_d0_or_runtime_suspended(const char *bdf)
{
	char state[32], rpm[32];

	if (!EXPECT_OK(pci_power_state(bdf, state, sizeof(state)),
		       "sysfs power_state after closing the device in D3hot"))
		return;
	if (!strcmp(state, "D3hot") &&
	    pci_sysfs_read(bdf, "power/runtime_status", rpm, sizeof(rpm)) > 0 &&
	    !strcmp(rpm, "suspended")) {
		tap_diag("%s: D3hot after the close, runtime PM's own (runtime_status suspended)",
			 bdf);
		return;
	}
	EXPECT_STREQ(state, "D0", "sysfs power_state after closing the device in D3hot");
}

static void close_in_d3hot(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t pmcsr;
	int pm, bar;

	bar = memory_bar_or_skip(f);
	if (bar < 0 || !open_dev(&dev, f))
		return;
	pm = std_capability(&dev, PCI_CAP_ID_PM, "power management");
	if (pm < 0 || !read_cfg(&dev, pm + PCI_PM_CTRL, 2, &pmcsr) ||
	    !write_cfg(&dev, pm + PCI_PM_CTRL, 2, pmcsr_with_state(pmcsr, PMCSR_D3HOT)) ||
	    !power_state_is(f->bdf, "D3hot", "after writing D3hot to PMCSR")) {
		put_dev(&dev);
		return;
	}
	vfio_shared_dev_close();
	closed_in_d0_or_runtime_suspended(f->bdf);
	if (!open_dev(&dev, f))
		return;
	power_state_is(f->bdf, "D0", "after opening it again");
	EXPECT_OK(vfio_config_update16(&dev, PCI_COMMAND, 0, PCI_COMMAND_MEMORY),
		  "enabling memory decode");
	if (EXPECT_OK(bar_probe_read(&dev, bar),
		      "BAR read after closing in D3hot and opening again")) {
		put_dev(&dev);
		return;
	}
	/*
	 * Failed: do not hand a function the driver still thinks is asleep
	 * to the next program.  A D3hot-D0 cycle through PMCSR wakes it.
	 */
	vfio_config_write16(&dev, pm + PCI_PM_CTRL, pmcsr_with_state(pmcsr, PMCSR_D3HOT));
	vfio_config_write16(&dev, pm + PCI_PM_CTRL, pmcsr_with_state(pmcsr, PMCSR_D0));
	tap_diag("recovery by D3hot and D0 through PMCSR: BAR read %s",
		 tap_errno_name(-bar_probe_read(&dev, bar)));
	put_dev(&dev);
}

static void pmc_read_only(const struct pci_func *f)
{
	struct vfio_dev dev;
	int pm;

	if (!open_dev(&dev, f))
		return;
	pm = std_capability(&dev, PCI_CAP_ID_PM, "power management");
	if (pm >= 0) {
		expect_read_only(&dev, pm + PCI_PM_PMC, 2, 0xffff, "PMC");
		expect_read_only(&dev, pm + PCI_PM_PMC, 2, 0x0000, "PMC");
	}
	put_dev(&dev);
}

/* ---- MSI and MSI-X ------------------------------------------------------ */

static void msi_enable_not_in_device(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t flags;
	int msi;

	if (!open_dev(&dev, f))
		return;
	msi = std_capability(&dev, PCI_CAP_ID_MSI, "MSI");
	if (msi < 0 || !read_hw(f->bdf, msi + PCI_MSI_FLAGS, 2, &flags))
		goto out;
	/*
	 * What the user reads back differs: the reference drops the enable
	 * bit, ours keeps it.  Neither may enable MSI in the device without
	 * VFIO_DEVICE_SET_IRQS.
	 */
	if (write_cfg(&dev, msi + PCI_MSI_FLAGS, 2,
		      flags | PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE))
		expect_hw(f->bdf, msi + PCI_MSI_FLAGS, 2, flags,
			  "MSI flags after writing enable and 32 vectors");
	write_cfg(&dev, msi + PCI_MSI_FLAGS, 2, flags);
	expect_hw(f->bdf, msi + PCI_MSI_FLAGS, 2, flags,
		  "MSI flags after writing them back");
out:
	put_dev(&dev);
}

static void msi_address_data_virtual(const struct pci_func *f)
{
	uint32_t flags, addr, data, data_off;
	struct vfio_dev dev;
	int msi;

	if (!open_dev(&dev, f))
		return;
	msi = std_capability(&dev, PCI_CAP_ID_MSI, "MSI");
	if (msi < 0 || !read_hw(f->bdf, msi + PCI_MSI_FLAGS, 2, &flags))
		goto out;
	data_off = msi + (flags & PCI_MSI_FLAGS_64BIT ? PCI_MSI_DATA_64
						       : PCI_MSI_DATA_32);
	if (!read_hw(f->bdf, msi + PCI_MSI_ADDRESS_LO, 4, &addr) ||
	    !read_hw(f->bdf, data_off, 2, &data))
		goto out;
	if (write_cfg(&dev, msi + PCI_MSI_ADDRESS_LO, 4, 0xfee01000)) {
		expect_cfg(&dev, msi + PCI_MSI_ADDRESS_LO, 4, 0xfee01000,
			   "MSI address");
		expect_hw(f->bdf, msi + PCI_MSI_ADDRESS_LO, 4, addr,
			  "MSI address (unchanged)");
	}
	if (write_cfg(&dev, data_off, 2, data ^ 0x4321)) {
		expect_cfg(&dev, data_off, 2, data ^ 0x4321, "MSI data");
		expect_hw(f->bdf, data_off, 2, data, "MSI data (unchanged)");
	}
out:
	put_dev(&dev);
}

static void msix_enable_mask_do_not_stick(const struct pci_func *f)
{
	struct vfio_dev dev;
	uint32_t flags;
	int msix;

	if (!open_dev(&dev, f))
		return;
	msix = std_capability(&dev, PCI_CAP_ID_MSIX, "MSI-X");
	if (msix < 0 || !read_hw(f->bdf, msix + PCI_MSIX_FLAGS, 2, &flags))
		goto out;
	if (write_cfg(&dev, msix + PCI_MSIX_FLAGS, 2,
		      flags | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)) {
		expect_cfg(&dev, msix + PCI_MSIX_FLAGS, 2, flags,
			   "MSI-X flags after writing enable and mask all");
		expect_hw(f->bdf, msix + PCI_MSIX_FLAGS, 2, flags,
			  "MSI-X flags after writing enable and mask all");
	}
	expect_read_only(&dev, msix + PCI_MSIX_TABLE, 4, 0xffffffff,
			 "MSI-X table offset/BIR");
	expect_read_only(&dev, msix + PCI_MSIX_PBA, 4, 0xffffffff,
			 "MSI-X PBA offset/BIR");
	write_cfg(&dev, msix + PCI_MSIX_FLAGS, 2, flags);
out:
	put_dev(&dev);
}

/* ---- PCI Express -------------------------------------------------------- */

static void devctl_size_fields_virtual(const struct pci_func *f)
{
	uint32_t user, hw, val;
	struct vfio_dev dev;
	int exp;

	if (!open_dev(&dev, f))
		return;
	exp = std_capability(&dev, PCI_CAP_ID_EXP, "PCI Express");
	if (exp < 0 || !read_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, &user) ||
	    !read_hw(f->bdf, exp + PCI_EXP_DEVCTL, 2, &hw))
		goto out;
	/* Payload 256 bytes, read requests 512 bytes, unless already there. */
	val = (user & ~DEVCTL_VIRTUAL) |
	      ((user & PCI_EXP_DEVCTL_PAYLOAD) == PCI_EXP_DEVCTL_PAYLOAD_256B ?
	       PCI_EXP_DEVCTL_PAYLOAD_512B : PCI_EXP_DEVCTL_PAYLOAD_256B) |
	      ((user & PCI_EXP_DEVCTL_READRQ) == PCI_EXP_DEVCTL_READRQ_512B ?
	       PCI_EXP_DEVCTL_READRQ_1024B : PCI_EXP_DEVCTL_READRQ_512B);
	if (write_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, val)) {
		expect_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, val,
			   "DevCtl with new payload and read request sizes");
		expect_hw(f->bdf, exp + PCI_EXP_DEVCTL, 2, hw,
			  "DevCtl after a payload/read request size write (unchanged)");
	}
	write_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, user);
out:
	put_dev(&dev);
}

static void devctl_other_bits_read_as_device(const struct pci_func *f)
{
	uint32_t orig, val, user, hw;
	struct vfio_dev dev;
	char what[96];
	int exp, bit;

	if (!open_dev(&dev, f))
		return;
	exp = std_capability(&dev, PCI_CAP_ID_EXP, "PCI Express");
	if (exp < 0 || !read_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, &orig))
		goto out;
	for (bit = 0; bit < 15; bit++) {
		/* Bit 15 starts an FLR: pcie_devctl_flr_* covers it. */
		if ((1u << bit) & DEVCTL_VIRTUAL)
			continue;
		val = orig ^ (1u << bit);
		if (!write_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, val) ||
		    !read_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, &user) ||
		    !read_hw(f->bdf, exp + PCI_EXP_DEVCTL, 2, &hw))
			continue;
		snprintf(what, sizeof(what),
			 "DevCtl bits outside the size fields after writing 0x%04x",
			 val);
		EXPECT_EQ_HEX(user & ~DEVCTL_VIRTUAL, hw & ~DEVCTL_VIRTUAL, what);
	}
	write_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, orig);
out:
	put_dev(&dev);
}

static void devctl_flr_resets_function(const struct pci_func *f)
{
	bool nvme = !strcmp(f->kind, "nvme");
	uint32_t devcap, devctl, cmd, cc;
	struct vfio_dev dev;
	int exp;

	if (!open_dev(&dev, f))
		return;
	exp = std_capability(&dev, PCI_CAP_ID_EXP, "PCI Express");
	if (exp < 0 || !read_hw(f->bdf, exp + PCI_EXP_DEVCAP, 4, &devcap))
		goto out;
	if (!(devcap & PCI_EXP_DEVCAP_FLR)) {
		tap_case_skip("DevCap does not offer function level reset");
		goto out;
	}
	if (!read_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, &devctl) ||
	    !read_hw(f->bdf, PCI_COMMAND, 2, &cmd))
		goto out;
	/* A register the reset must clear; on NVMe, CC without enabling it. */
	if (nvme) {
		if (!EXPECT_OK(vfio_config_update16(&dev, PCI_COMMAND, 0,
						    PCI_COMMAND_MEMORY),
			       "enabling memory decode") ||
		    !EXPECT_OK(vfio_bar_write32(&dev, 0, NVME_REG_CC,
						NVME_CC_QUEUE_SIZES),
			       "writing NVMe CC queue entry sizes") ||
		    !EXPECT_OK(vfio_bar_read32(&dev, 0, NVME_REG_CC, &cc),
			       "reading NVMe CC") ||
		    !EXPECT_EQ_HEX(cc, NVME_CC_QUEUE_SIZES, "NVMe CC before FLR"))
			goto out;
		if (!read_hw(f->bdf, PCI_COMMAND, 2, &cmd))
			goto out;
	}
	if (!write_cfg(&dev, exp + PCI_EXP_DEVCTL, 2,
		       devctl | PCI_EXP_DEVCTL_BCR_FLR))
		goto out;
	expect_cfg(&dev, exp + PCI_EXP_DEVCTL, 2, devctl,
		   "DevCtl after Initiate FLR (the bit reads 0)");
	expect_hw(f->bdf, PCI_COMMAND, 2, cmd, "command after FLR (restored)");
	if (nvme && EXPECT_OK(vfio_bar_read32(&dev, 0, NVME_REG_CC, &cc),
			      "reading NVMe CC after FLR"))
		EXPECT_EQ_HEX(cc, 0, "NVMe CC after FLR (reset value)");
out:
	put_dev(&dev);
}

static void devsta_ones_set_nothing(const struct pci_func *f)
{
	/* Transactions pending may move on its own. */
	const uint32_t stable = ~(uint32_t)PCI_EXP_DEVSTA_TRPND & 0xffff;
	uint32_t user, hw, after;
	struct vfio_dev dev;
	int exp;

	if (!open_dev(&dev, f))
		return;
	exp = std_capability(&dev, PCI_CAP_ID_EXP, "PCI Express");
	if (exp < 0 || !read_cfg(&dev, exp + PCI_EXP_DEVSTA, 2, &user) ||
	    !read_hw(f->bdf, exp + PCI_EXP_DEVSTA, 2, &hw) ||
	    !write_cfg(&dev, exp + PCI_EXP_DEVSTA, 2, 0xffff))
		goto out;
	if (read_cfg(&dev, exp + PCI_EXP_DEVSTA, 2, &after))
		EXPECT_EQ_HEX(after & stable, user & stable,
			      "DevSta read through VFIO after writing 0xffff");
	if (read_hw(f->bdf, exp + PCI_EXP_DEVSTA, 2, &after))
		EXPECT_EQ_HEX(after & stable, hw & stable,
			      "DevSta in sysfs config after writing 0xffff");
out:
	put_dev(&dev);
}

/* ---- Config space no capability claims ---------------------------------- */

/*
 * Length of a standard capability, or 0 when this test does not know it
 * (then nothing after it can be called unclaimed).
 */
static unsigned int capability_length(const uint8_t *cfg, unsigned int pos)
{
	uint16_t flags = cfg[pos + 2] | cfg[pos + 3] << 8;
	unsigned int len;

	switch (cfg[pos]) {
	case PCI_CAP_ID_PM:
		return PCI_PM_SIZEOF;
	case PCI_CAP_ID_MSIX:
		return PCI_CAP_MSIX_SIZEOF;
	case PCI_CAP_ID_MSI:
		len = flags & PCI_MSI_FLAGS_64BIT ? PCI_MSI_DATA_64 + 2
						  : PCI_MSI_DATA_32 + 2;
		if (flags & PCI_MSI_FLAGS_MASKBIT)
			len += 10;
		return len;
	case PCI_CAP_ID_EXP:
		return (flags & PCI_EXP_FLAGS_VERS) > 1 ? PCI_CAP_EXP_ENDPOINT_SIZEOF_V2
							: PCI_CAP_EXP_ENDPOINT_SIZEOF_V1;
	case PCI_CAP_ID_VNDR:
		return cfg[pos + 2];
	default:
		return 0;
	}
}

/* End of the last standard capability, 0x40 with none, 0 when unknown. */
static unsigned int capabilities_end(const uint8_t *cfg)
{
	unsigned int pos, hops, len, end = PCI_STD_HEADER_SIZEOF;

	if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return end;
	for (pos = cfg[PCI_CAPABILITY_LIST] & ~3u, hops = 0;
	     pos >= 0x40 && hops < 48; pos = cfg[pos + 1] & ~3u, hops++) {
		len = capability_length(cfg, pos);
		if (!len)
			return 0;
		if (pos + len > end)
			end = pos + len;
	}
	return end;
}

static void unclaimed_dword_reaches_device(struct vfio_dev *dev, uint32_t off,
					   const char *where)
{
	const uint32_t pattern = 0x5aa5c33c;
	uint32_t orig;
	char what[96];

	if (!read_hw(dev->bdf, off, 4, &orig) ||
	    !write_cfg(dev, off, 4, pattern))
		return;
	snprintf(what, sizeof(what), "%s after writing 0x%08x", where, pattern);
	expect_cfg(dev, off, 4, pattern, what);
	expect_hw(dev->bdf, off, 4, pattern, what);
	write_cfg(dev, off, 4, orig);
}

static void unclaimed_space_passes_through(const struct pci_func *f)
{
	uint16_t ext[64];
	struct vfio_dev dev;
	uint8_t cfg[256];
	unsigned int end;
	int n, i, tried = 0;

	if (!EXPECT_OK(pci_config_sysfs_read(f->bdf, 0, cfg, sizeof(cfg)),
		       "reading sysfs config") || !open_dev(&dev, f))
		return;
	end = capabilities_end(cfg);
	if (end && end <= 0xfc) {
		unclaimed_dword_reaches_device(&dev, 0xfc,
					       "unclaimed dword 0xfc of standard space");
		tried++;
	}
	n = pci_ext_capabilities(f->bdf, ext, ARRAY_SIZE(ext));
	if (!EXPECT_OK(n, "walking the extended capabilities"))
		goto out;
	if (dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].size > PCI_CFG_SPACE_SIZE) {
		/* No zoo capability is longer than 0x100 bytes. */
		for (i = 0; i < n && i < (int)ARRAY_SIZE(ext); i++)
			if (ext[i] >= 0xf00)
				break;
		if (i == n) {
			unclaimed_dword_reaches_device(&dev, 0xffc,
						       "unclaimed dword 0xffc of extended space");
			tried++;
		}
	}
out:
	put_dev(&dev);
	if (!tried && !tap_case_failed())
		tap_case_skip("no dword known to be outside every capability");
}

/* ---- Access sizes and ranges -------------------------------------------- */

static void zero_length_returns_zero(const struct pci_func *f)
{
	uint32_t buf = 0, offs[4];
	struct vfio_dev dev;
	char what[64];
	size_t i;

	if (!open_dev(&dev, f))
		return;
	offs[0] = 0;
	offs[1] = PCI_INTERRUPT_LINE;
	offs[2] = dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].size;
	offs[3] = 0x10000;
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		uint32_t off = offs[i];

		snprintf(what, sizeof(what), "0-byte read at 0x%x", off);
		EXPECT_EQ(vfio_config_access(&dev, false, off, &buf, 0), 0, what);
		snprintf(what, sizeof(what), "0-byte write at 0x%x", off);
		EXPECT_EQ(vfio_config_access(&dev, true, off, &buf, 0), 0, what);
	}
	put_dev(&dev);
}

static void past_end_gives_efault(const struct pci_func *f)
{
	static uint8_t big[2 * PCI_CFG_SPACE_EXP_SIZE];
	const struct {
		bool write;
		int64_t off;	/* <= 0: from the end of config space */
		size_t len;
	} cases[] = {
		{ false, 0, 1 }, { false, -2, 4 }, { false, -1, 2 },
		{ false, -3, 4 }, { false, 0x10000, 4 },
		{ true, 0, 4 }, { true, -2, 4 }, { true, -1, 2 }, { true, 0, 1 },
	};
	struct vfio_dev dev;
	uint32_t size, off;
	char what[96];
	size_t i;

	if (!open_dev(&dev, f))
		return;
	size = dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].size;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		off = cases[i].off > 0 ? cases[i].off : size + cases[i].off;
		snprintf(what, sizeof(what), "%zu-byte %s at 0x%x (config size 0x%x)",
			 cases[i].len, cases[i].write ? "write" : "read", off, size);
		memset(big, 0, sizeof(big));
		EXPECT_ERRNO(vfio_config_access(&dev, cases[i].write, off, big,
						cases[i].len), EFAULT, what);
	}
	snprintf(what, sizeof(what), "read of 0x%x bytes at 0 (config size 0x%x)",
		 size + 1, size);
	EXPECT_ERRNO(vfio_config_access(&dev, false, 0, big, size + 1), EFAULT, what);
	put_dev(&dev);
}

static void any_alignment_reads_match(const struct pci_func *f)
{
	const struct { uint32_t off, len; } reads[] = {
		{ 1, 2 }, { 3, 2 }, { 1, 4 }, { 2, 4 }, { 3, 4 }, { 0, 3 },
		{ 5, 3 }, { 0, 8 }, { 2, 8 }, { 0, 12 },
	};
	uint8_t dump[PCI_CFG_SPACE_EXP_SIZE], buf[16];
	struct vfio_dev dev;
	uint64_t size;
	char what[96];
	size_t i;

	if (!open_dev(&dev, f))
		return;
	size = dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].size;
	if (!tap_check(size >= 16 && size <= sizeof(dump),
		       "config region size: expected 16 to %zu bytes, got %llu",
		       sizeof(dump), (unsigned long long)size))
		goto out;
	if (!EXPECT_EQ(vfio_config_access(&dev, false, 0, dump, size), size,
		       "one read of the whole config space"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(reads); i++) {
		snprintf(what, sizeof(what), "%u-byte read at 0x%x", reads[i].len,
			 reads[i].off);
		memset(buf, 0, sizeof(buf));
		if (!EXPECT_EQ(vfio_config_access(&dev, false, reads[i].off, buf,
						  reads[i].len), reads[i].len, what))
			continue;
		tap_check(!memcmp(buf, dump + reads[i].off, reads[i].len),
			  "%s: expected the bytes of the whole-space read, got others",
			  what);
	}
out:
	put_dev(&dev);
}

static const struct vfio_test_case cases[] = {
	{ "ids_class_and_revision_are_read_only", ids_read_only },
	{ "header_type_is_read_only", header_type_read_only },
	{ "cacheline_size_write_reaches_device", cacheline_size_reaches_device },
	{ "latency_timer_reads_as_device_holds_it", latency_timer_reads_as_device },
	{ "command_io_memory_master_serr_intx_bits_reach_device", command_bits_reach_device },
	{ "command_reads_back_what_device_kept", command_reads_as_device },
	{ "command_memory_off_makes_bar_read_fail", memory_off_fails_bar_access },
	{ "command_io_off_does_not_gate_io_bar_access", io_off_keeps_bar_access },
	{ "status_write_of_ones_sets_no_bit", status_ones_set_nothing },
	{ "command_status_dword_write_changes_command_only", command_status_dword_write },
	{ "unaligned_word_over_device_id_and_command_changes_command_only",
	  unaligned_word_over_id_and_command },
	{ "interrupt_line_sticks_without_reaching_device", interrupt_line_virtual },
	{ "interrupt_line_restarts_from_device_value_on_open", interrupt_line_reset_on_open },
	{ "interrupt_pin_is_read_only", interrupt_pin_read_only },
	{ "line_pin_word_write_changes_line_only", line_pin_word_write },
	{ "capability_pointer_is_read_only", capability_pointer_read_only },
	{ "capability_ids_and_next_pointers_are_read_only", capability_headers_read_only },
	{ "pmcsr_d3hot_and_d0_reach_device", pmcsr_d3hot_and_d0 },
	{ "pm_capabilities_register_is_read_only", pmc_read_only },
	{ "msi_enable_and_vector_count_do_not_reach_device", msi_enable_not_in_device },
	{ "msi_address_and_data_stick_without_reaching_device", msi_address_data_virtual },
	{ "msix_enable_and_mask_all_writes_do_not_stick", msix_enable_mask_do_not_stick },
	{ "pcie_devctl_payload_and_read_request_sizes_are_virtual", devctl_size_fields_virtual },
	{ "pcie_devctl_other_bits_read_as_device_holds_them", devctl_other_bits_read_as_device },
	{ "pcie_devctl_flr_bit_resets_function_and_restores_config", devctl_flr_resets_function },
	{ "pcie_devsta_write_of_ones_sets_no_bit", devsta_ones_set_nothing },
	{ "unclaimed_config_space_writes_reach_device", unclaimed_space_passes_through },
	{ "zero_length_access_returns_zero_anywhere", zero_length_returns_zero },
	{ "access_past_config_end_gives_efault", past_end_gives_efault },
	{ "reads_of_any_alignment_and_length_match_whole_space_read", any_alignment_reads_match },
	/* Last: on failure it leaves the function in a state worth a note. */
	{ "close_in_d3hot_leaves_function_in_d0_and_usable", close_in_d3hot },
};

int main(void)
{
	vfio_run_cases(cases, ARRAY_SIZE(cases), vfio_shared_dev_release);
}
