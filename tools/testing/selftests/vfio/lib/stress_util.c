// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for the robustness tests; see stress_util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stress_util.h"
#include "tap.h"

#define HUNG_TASK_TIMEOUT	"/proc/sys/kernel/hung_task_timeout_secs"

unsigned long stress_env_number(const char *name, unsigned long def,
				unsigned long min)
{
	const char *val = getenv(name);
	unsigned long n;
	char *end;

	if (!val || !*val)
		return def;
	errno = 0;
	n = strtoul(val, &end, 0);
	if (errno || *end || n < min)
		tap_bail_out("%s=%s: expected a number of at least %lu", name, val, min);
	return n;
}

/* What to write back, kept where a signal handler can reach it. */
static char old_timeout[24];
static size_t old_len;

static void restore_timeout(void)
{
	int fd;

	if (!old_len)
		return;
	fd = open(HUNG_TASK_TIMEOUT, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, old_timeout, old_len) < 0)
			old_len = 0;
		close(fd);
	}
	old_len = 0;
}

static void restore_and_die(int sig)
{
	restore_timeout();
	signal(sig, SIG_DFL);
	raise(sig);
}

void stress_hung_task_timeout(unsigned int secs)
{
	char val[24];
	unsigned long cur;
	ssize_t n;
	int fd;

	fd = open(HUNG_TASK_TIMEOUT, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		tap_diag("no %s (%s): no hung task detector to arm", HUNG_TASK_TIMEOUT,
			 strerror(errno));
		return;
	}
	n = read(fd, val, sizeof(val) - 1);
	if (n <= 0) {
		close(fd);
		return;
	}
	val[n] = '\0';
	cur = strtoul(val, NULL, 10);
	if (cur && cur <= secs) {
		tap_diag("hung_task_timeout_secs is %lu already", cur);
		close(fd);
		return;
	}
	memcpy(old_timeout, val, n);
	old_len = n;
	snprintf(val, sizeof(val), "%u", secs);
	if (pwrite(fd, val, strlen(val), 0) < 0) {
		tap_diag("setting hung_task_timeout_secs: %s", strerror(errno));
		old_len = 0;
	} else {
		tap_diag("hung_task_timeout_secs %lu -> %u while this program runs", cur, secs);
		atexit(restore_timeout);
		signal(SIGTERM, restore_and_die);
		signal(SIGINT, restore_and_die);
	}
	close(fd);
}
