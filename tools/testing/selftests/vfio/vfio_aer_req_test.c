// SPDX-License-Identifier: GPL-2.0-only
/*
 * The error and request interrupts, driven from outside: an AER error
 * injected into 06:00.0 by the host (QEMU's pcie_aer_inject_error through
 * the host channel) must reach the ERR eventfd; removing a device that is
 * open (unbind, or device_del of 05:00.0 on the host) must signal the REQ
 * eventfd, and the removal completes once the user closes the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host_channel.h"
#include "reset_util.h"

#define AER_BDF		"0000:06:00.0"	/* aerdev, behind rp6 */
#define AER_PORT	"0000:00:0f.0"	/* rp6 */
#define AER_ID		"aerdev"
/* Uncorrectable Completion Timeout: non-fatal by default severity. */
#define AER_STATUS	"0x4000"
#define UNBIND_BDF	"0000:00:08.0"	/* the second edu */
#define UNPLUG_BDF	"0000:05:00.0"
#define UNPLUG_ID	"reqdev"
#define UNPLUG_ARGS	"e1000,id=reqdev,bus=rp5,romfile="	/* as in the zoo */
#define PCI_BRIDGE_CONTROL	0x3e
#define PCI_BRIDGE_CTL_SERR	0x02
#define CHANNEL_TIMEOUT_MS	15000

static bool channel_or_skip(void)
{
	if (host_channel_dir())
		return true;
	tap_case_skip("no host channel ($VFIO_TEST_HOST_CHANNEL unset: not under tools/testing/vm/run.sh)");
	return false;
}

static bool host(const char *cmd)
{
	char reply[512], what[128];
	int ret;

	ret = host_channel_request(cmd, reply, sizeof(reply), CHANNEL_TIMEOUT_MS);
	tap_diag("host: %s -> %s%s", cmd, ret ? tap_errno_name(-ret) : "ok ", reply);
	snprintf(what, sizeof(what), "host channel: %s", cmd);
	return EXPECT_OK(ret, what);
}

static void irq_info_err_req(void)
{
	struct vfio_irq_info irq;
	struct vfio_dev dev;

	if (!EXPECT_OK(vfio_dev_open(&dev, AER_BDF), "opening " AER_BDF))
		return;
	if (EXPECT_OK(vfio_device_get_irq_info(dev.fd, VFIO_PCI_ERR_IRQ_INDEX, &irq),
		      "ERR irq info"))
		EXPECT_EQ(irq.count, 1, "ERR irq count of a PCIe function");
	if (EXPECT_OK(vfio_device_get_irq_info(dev.fd, VFIO_PCI_REQ_IRQ_INDEX, &irq),
		      "REQ irq info"))
		EXPECT_EQ(irq.count, 1, "REQ irq count");
	vfio_dev_close(&dev);
}

static int sysfs_config_rw16(const char *bdf, uint32_t off, uint16_t *val, bool write)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, val, 2, off) : pread(fd, val, 2, off);
	n = n < 0 ? -errno : n == 2 ? 0 : -EIO;
	close(fd);
	return n;
}

/*
 * QEMU forwards an error message only if the function enables reporting of
 * it (DevCtl, or SERR in the command register) and the root port forwards
 * system errors (Bridge Control SERR).  The user enables the former through
 * the config region; the port belongs to the guest's pcieport driver, whose
 * Bridge Control we set for the test and put back.
 */
static void aer_error_reaches_err_eventfd(void)
{
	uint16_t devctl, hw_devctl = 0, bctl = 0, cmd;
	bool bctl_changed = false;
	struct vfio_dev dev;
	long long fired;
	int efd, exp;

	if (!channel_or_skip())
		return;
	efd = eventfd_new();
	if (!EXPECT_OK(efd, "eventfd"))
		return;
	if (!EXPECT_OK(vfio_dev_open(&dev, AER_BDF), "opening " AER_BDF))
		goto out_efd;
	if (!EXPECT_OK(vfio_irq_set_eventfd(dev.fd, VFIO_PCI_ERR_IRQ_INDEX, efd),
		       "setting the ERR eventfd"))
		goto out;

	exp = vfio_find_capability(&dev, PCI_CAP_ID_EXP);
	if (!EXPECT_GE(exp, 0x40, "PCIe capability through the config region"))
		goto out;
	if (!EXPECT_OK(vfio_config_read16(&dev, exp + PCI_EXP_DEVCTL, &devctl),
		       "reading DevCtl"))
		goto out;
	devctl |= PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
		  PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE;
	if (!EXPECT_OK(vfio_config_write16(&dev, exp + PCI_EXP_DEVCTL, devctl),
		       "enabling error reporting in DevCtl"))
		goto out;
	if (EXPECT_OK(vfio_config_read16(&dev, PCI_COMMAND, &cmd), "reading command"))
		EXPECT_OK(vfio_config_write16(&dev, PCI_COMMAND, cmd | PCI_COMMAND_SERR),
			  "enabling SERR in the command register");
	sysfs_config_rw16(AER_BDF, exp + PCI_EXP_DEVCTL, &hw_devctl, false);
	tap_diag("DevCtl of %s: 0x%04x written, 0x%04x in the device", AER_BDF,
		 devctl, hw_devctl);

	if (EXPECT_OK(sysfs_config_rw16(AER_PORT, PCI_BRIDGE_CONTROL, &bctl, false),
		      "reading the root port's Bridge Control") &&
	    !(bctl & PCI_BRIDGE_CTL_SERR)) {
		uint16_t set = bctl | PCI_BRIDGE_CTL_SERR;

		bctl_changed = EXPECT_OK(sysfs_config_rw16(AER_PORT, PCI_BRIDGE_CONTROL,
							   &set, true),
					 "setting SERR in the root port's Bridge Control");
	}

	if (!host("pcie_aer_inject_error " AER_ID " " AER_STATUS))
		goto out_port;
	fired = eventfd_wait(efd, 10000);
	if (fired == -ETIMEDOUT) {
		/* The device's own view: did the error get logged at all? */
		uint16_t uesta = 0;
		int aer = 0x100;

		sysfs_config_rw16(AER_BDF, aer + 4, &uesta, false);
		tap_check(false, "ERR eventfd: nothing in 10 s after an uncorrectable "
			  "non-fatal error (UESta low word 0x%04x, DevCtl 0x%04x, "
			  "root port Bridge Control 0x%04x)", uesta, hw_devctl,
			  bctl | (bctl_changed ? PCI_BRIDGE_CTL_SERR : 0));
	} else {
		EXPECT_GE(fired, 1, "ERR eventfd count after the injected error");
	}
out_port:
	if (bctl_changed)
		EXPECT_OK(sysfs_config_rw16(AER_PORT, PCI_BRIDGE_CONTROL, &bctl, true),
			  "restoring the root port's Bridge Control");
out:
	vfio_dev_close(&dev);
out_efd:
	close(efd);
}

/* Unbinding in a child: the write blocks until the user lets go. */
static void unbind_of_open_device_signals_req(void)
{
	struct vfio_dev dev;
	long long fired;
	int efd, status;
	pid_t child;

	if (!pci_function_exists(UNBIND_BDF)) {
		tap_case_skip("no %s", UNBIND_BDF);
		return;
	}
	efd = eventfd_new();
	if (!EXPECT_OK(efd, "eventfd"))
		return;
	if (!EXPECT_OK(vfio_dev_open(&dev, UNBIND_BDF), "opening " UNBIND_BDF))
		goto out_efd;
	if (!EXPECT_OK(vfio_irq_set_eventfd(dev.fd, VFIO_PCI_REQ_IRQ_INDEX, efd),
		       "setting the REQ eventfd"))
		goto out;
	child = fork();
	if (child == 0) {
		/* The child's copies of the fds would keep the device open. */
		vfio_dev_close(&dev);
		close(efd);
		_exit(pci_unbind(UNBIND_BDF) ? 1 : 0);
	}
	if (!EXPECT_OK(child, "fork"))
		goto out;
	fired = eventfd_wait(efd, 10000);
	EXPECT_GE(fired, 1, "REQ eventfd count while unbind waits");
	EXPECT_EQ(waitpid(child, &status, WNOHANG), 0,
		  "unbind still waiting while the device is open");
	vfio_dev_close(&dev);
	if (EXPECT_EQ(waitpid(child, &status, 0), child, "waiting for unbind"))
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "unbind completes after close");
	EXPECT_OK(pci_bind(UNBIND_BDF, "vfio-pci"), "binding " UNBIND_BDF " back");
	EXPECT_OK(vfio_wait_group_node(pci_iommu_group(UNBIND_BDF), true, 2000),
		  "its /dev/vfio node back");
	close(efd);
	return;
out:
	vfio_dev_close(&dev);
out_efd:
	close(efd);
}

static bool wait_present(const char *bdf, bool present, int timeout_ms)
{
	int waited;

	for (waited = 0; pci_function_exists(bdf) != present; waited += 100) {
		if (waited >= timeout_ms)
			return false;
		sleep_ms(100);
	}
	return true;
}

static void device_del_of_open_device_signals_req(void)
{
	struct vfio_dev dev;
	long long fired;
	int efd;

	if (!channel_or_skip())
		return;
	if (!pci_function_exists(UNPLUG_BDF)) {
		tap_case_skip("no %s (zoo)", UNPLUG_BDF);
		return;
	}
	efd = eventfd_new();
	if (!EXPECT_OK(efd, "eventfd"))
		return;
	if (!EXPECT_OK(vfio_dev_open(&dev, UNPLUG_BDF), "opening " UNPLUG_BDF))
		goto out_efd;
	if (!EXPECT_OK(vfio_irq_set_eventfd(dev.fd, VFIO_PCI_REQ_IRQ_INDEX, efd),
		       "setting the REQ eventfd"))
		goto out;
	if (!host("device_del " UNPLUG_ID))
		goto out;
	fired = eventfd_wait(efd, 20000);
	EXPECT_GE(fired, 1, "REQ eventfd count after device_del");
	EXPECT_TRUE(pci_function_exists(UNPLUG_BDF),
		    "the function still there while its user holds it");
	vfio_dev_close(&dev);
	EXPECT_TRUE(wait_present(UNPLUG_BDF, false, 20000),
		    "the function gone within 20 s of close");
	close(efd);
	return;
out:
	vfio_dev_close(&dev);
out_efd:
	close(efd);
}

/* Puts the zoo back whatever the case before did: plugged and bound. */
static void device_add_brings_it_back(void)
{
	if (!channel_or_skip())
		return;
	if (!pci_function_exists(UNPLUG_BDF)) {
		if (!host("device_add " UNPLUG_ARGS))
			return;
		if (!EXPECT_TRUE(wait_present(UNPLUG_BDF, true, 20000),
				 "the function back within 20 s of device_add"))
			return;
	}
	EXPECT_OK(pci_bind(UNPLUG_BDF, "vfio-pci"), "binding " UNPLUG_BDF " to vfio-pci");
	EXPECT_OK(vfio_wait_group_node(pci_iommu_group(UNPLUG_BDF), true, 2000),
		  "its /dev/vfio node");
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "err_and_req_irq_count_one " AER_BDF, irq_info_err_req },
	{ "aer_uncorrectable_error_signals_err_eventfd " AER_BDF,
	  aer_error_reaches_err_eventfd },
	{ "unbind_of_open_device_signals_req_and_waits_for_close " UNBIND_BDF,
	  unbind_of_open_device_signals_req },
	{ "device_del_of_open_device_signals_req_removed_after_close " UNPLUG_BDF,
	  device_del_of_open_device_signals_req },
	{ "device_add_after_unplug_binds_again " UNPLUG_BDF,
	  device_add_brings_it_back },
};

int main(void)
{
	const char *want = getenv("VFIO_TEST_DEVICE");
	size_t c;

	if (want && *want)
		tap_skip_all("VFIO_TEST_DEVICE=%s: this program works on %s, %s and %s together",
			     want, AER_BDF, UNBIND_BDF, UNPLUG_BDF);
	if (!pci_function_exists(AER_BDF))
		tap_skip_all("no %s (zoo)", AER_BDF);
	tap_plan(ARRAY_SIZE(cases));
	tap_diag("driver under test: %s", vfio_test_driver_name());
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		tap_case_begin("%s", cases[c].name);
		cases[c].run();
		tap_case_end();
	}
	tap_finish();
}
