/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Asking the host side of the test VM for what only it can do: inject an AER
 * error, hot-unplug or re-plug a device, through QEMU's monitor.  The runner
 * shares a directory with the guest ($VFIO_TEST_HOST_CHANNEL) and answers
 * each request file there (tools/testing/vm/host-channel.sh).
 */
#ifndef VFIO_SELFTEST_HOST_CHANNEL_H
#define VFIO_SELFTEST_HOST_CHANNEL_H

#include <stddef.h>

/* The channel directory, or NULL when the test does not run under the VM. */
const char *host_channel_dir(void);

/*
 * Sends one HMP command (an allowed one: see host-channel.sh) and waits up to
 * @timeout_ms for the answer.  What the monitor printed goes to @reply.
 * Returns 0 when the host ran it, -ENOTCONN with no channel, -EPERM when the
 * host refused it, -EIO when the monitor did not answer, -ETIMEDOUT when no
 * answer came (the reply, if any, names the reason).
 */
int host_channel_request(const char *cmd, char *reply, size_t len,
			 int timeout_ms);

#endif /* VFIO_SELFTEST_HOST_CHANNEL_H */
