// SPDX-License-Identifier: GPL-2.0-only
/*
 * The REQ index: when the kernel wants a device back (here: an unbind from
 * vfio-pci while a user holds it open) the driver signals the user's REQ
 * eventfd and the unbind waits until the user closes the device.
 *
 * A child process does the unbind, since it blocks.  The device is bound
 * back to vfio-pci afterwards, as the next program expects.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "irq_util.h"

#define REQ_WAIT_MS	10000

static void req_on_unbind(const struct pci_func *f)
{
	char drv[64] = "";
	struct vfio_dev dev;
	int efd, status, group;
	long long got;
	pid_t child, done;

	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	group = dev.group;
	efd = irq_eventfd();
	if (!EXPECT_OK(efd, "eventfd") ||
	    !EXPECT_OK(irq_set_eventfd(dev.fd, VFIO_PCI_REQ_IRQ_INDEX, 0, efd),
		       "REQ eventfd")) {
		vfio_dev_close(&dev);
		return;
	}

	fflush(stdout);
	child = fork();
	if (child < 0) {
		EXPECT_OK(-errno, "fork");
		vfio_dev_close(&dev);
		close(efd);
		return;
	}
	if (!child) {
		/* The child's copies would keep the device open. */
		close(dev.fd);
		close(dev.group_fd);
		close(dev.container_fd);
		_exit(pci_unbind(f->bdf) ? 1 : 0);
	}

	got = irq_eventfd_wait(efd, REQ_WAIT_MS);
	tap_check(got > 0, "REQ eventfd within %d ms of the unbind: read %lld",
		  REQ_WAIT_MS, got);
	done = waitpid(child, &status, WNOHANG);
	EXPECT_EQ(done, 0, "the unbind still waiting while the device is open");

	vfio_dev_close(&dev);
	close(efd);
	done = waitpid(child, &status, 0);
	if (EXPECT_EQ(done, child, "the unbinding child exits after the close"))
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "the unbind succeeded");
	pci_driver_name(f->bdf, drv, sizeof(drv));
	EXPECT_STREQ(drv, "", "driver after the unbind");

	/* Leave it as we found it. */
	EXPECT_OK(pci_bind(f->bdf, "vfio-pci"), "binding back to vfio-pci");
	EXPECT_OK(vfio_wait_group_node(group, true, 5000), "/dev/vfio/N back");
}

/* Without a REQ eventfd the unbind simply waits for the close. */
static void unbind_waits_without_req(const struct pci_func *f)
{
	struct vfio_dev dev;
	int status, group;
	pid_t child, done;

	if (!EXPECT_OK(vfio_dev_open(&dev, f->bdf), "opening the device"))
		return;
	group = dev.group;
	fflush(stdout);
	child = fork();
	if (child < 0) {
		EXPECT_OK(-errno, "fork");
		vfio_dev_close(&dev);
		return;
	}
	if (!child) {
		/* The child's copies would keep the device open. */
		close(dev.fd);
		close(dev.group_fd);
		close(dev.container_fd);
		_exit(pci_unbind(f->bdf) ? 1 : 0);
	}
	usleep(500 * 1000);
	done = waitpid(child, &status, WNOHANG);
	EXPECT_EQ(done, 0, "the unbind still waiting after 500 ms with the device open");
	vfio_dev_close(&dev);
	done = waitpid(child, &status, 0);
	if (EXPECT_EQ(done, child, "the unbinding child exits after the close"))
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "the unbind succeeded");
	EXPECT_OK(pci_bind(f->bdf, "vfio-pci"), "binding back to vfio-pci");
	EXPECT_OK(vfio_wait_group_node(group, true, 5000), "/dev/vfio/N back");
}

static const struct irq_test_case cases[] = {
	{ "req_eventfd_signalled_when_unbind_asks_for_the_device", "edu nvme",
	  req_on_unbind },
	{ "unbind_without_req_eventfd_waits_for_close", "edu", unbind_waits_without_req },
};

int main(void)
{
	irq_run_cases(cases, ARRAY_SIZE(cases));
}
