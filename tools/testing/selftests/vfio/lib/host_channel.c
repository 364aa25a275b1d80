// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest side of the host channel; see host_channel.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host_channel.h"

/* The host polls every 100 ms; so do we (over 9p nothing notifies). */
#define POLL_MS	50

const char *host_channel_dir(void)
{
	const char *dir = getenv("VFIO_TEST_HOST_CHANNEL");

	if (!dir || !*dir || access(dir, W_OK))
		return NULL;
	return dir;
}

static int write_whole(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		n = -errno;
	else
		n = (size_t)n == len ? 0 : -EIO;
	if (close(fd) && !n)
		n = -errno;
	return n;
}

static int read_whole(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n < 0 ? n : 0;
}

int host_channel_request(const char *cmd, char *reply, size_t len,
			 int timeout_ms)
{
	const struct timespec tick = { .tv_nsec = POLL_MS * 1000000L };
	char tmp[PATH_MAX + 8], req[PATH_MAX], rep[PATH_MAX], text[4096];
	static unsigned int seq;
	const char *dir = host_channel_dir();
	int ret, waited;
	bool ok;

	if (len)
		reply[0] = '\0';
	if (!dir)
		return -ENOTCONN;
	if (strchr(cmd, '\n'))
		return -EINVAL;
	snprintf(req, sizeof(req), "%s/%d-%u.req", dir, getpid(), seq);
	snprintf(tmp, sizeof(tmp), "%s.tmp", req);
	snprintf(rep, sizeof(rep), "%s/%d-%u.reply", dir, getpid(), seq);
	seq++;

	/* Written whole, then renamed: the host never sees half a request. */
	snprintf(text, sizeof(text), "%s\n", cmd);
	ret = write_whole(tmp, text);
	if (!ret && rename(tmp, req))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}

	for (waited = 0; access(rep, F_OK); waited += POLL_MS) {
		if (waited >= timeout_ms) {
			/* Withdraw it, unless the host took it already. */
			unlink(req);
			return -ETIMEDOUT;
		}
		nanosleep(&tick, NULL);
	}
	ret = read_whole(rep, text, sizeof(text));
	unlink(rep);
	if (ret)
		return ret;

	ok = !strncmp(text, "ok\n", 3);
	/* Refusals and errors say why on their first line. */
	if (!ok)
		text[strcspn(text, "\n")] = '\0';
	if (len) {
		size_t n;

		snprintf(reply, len, "%s", ok ? text + 3 : text);
		n = strlen(reply);
		while (n && reply[n - 1] == '\n')
			reply[--n] = '\0';
	}
	if (ok)
		return 0;
	if (!strncmp(text, "refused:", 8))
		return -EPERM;
	return -EIO;
}
