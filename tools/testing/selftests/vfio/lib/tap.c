// SPDX-License-Identifier: GPL-2.0-only
/*
 * TAP 13 output for the VFIO selftests; see tap.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static struct {
	unsigned int planned;
	unsigned int reported;
	unsigned int failed;
	bool case_open;
	bool case_failed;
	char case_name[256];
} tap;

void tap_plan(unsigned int count)
{
	/* Unbuffered ordering between our lines and any child's output. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", count);
	tap.planned = count;
}

void tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("TAP version 13\n1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(0);
}

void tap_bail_out(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

static void tap_vdiag(const char *fmt, va_list ap)
{
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdiag(fmt, ap);
	va_end(ap);
}

static void tap_line(bool ok, const char *name, const char *directive)
{
	tap.reported++;
	if (!ok)
		tap.failed++;
	printf("%sok %u %s%s%s\n", ok ? "" : "not ", tap.reported, name,
	       directive ? " # " : "", directive ? directive : "");
}

static void tap_vresult(bool ok, const char *fmt, va_list ap)
{
	char name[256];

	vsnprintf(name, sizeof(name), fmt, ap);
	tap_line(ok, name, NULL);
}

void tap_pass(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(true, fmt, ap);
	va_end(ap);
}

void tap_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(false, fmt, ap);
	va_end(ap);
}

void tap_case_begin(const char *fmt, ...)
{
	va_list ap;

	if (tap.case_open)
		tap_case_end();
	va_start(ap, fmt);
	vsnprintf(tap.case_name, sizeof(tap.case_name), fmt, ap);
	va_end(ap);
	tap.case_open = true;
	tap.case_failed = false;
}

bool tap_check(bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return true;
	va_start(ap, fmt);
	tap_vdiag(fmt, ap);
	va_end(ap);
	if (tap.case_open)
		tap.case_failed = true;
	else
		tap.failed++;
	return false;
}

bool tap_case_failed(void)
{
	return tap.case_open && tap.case_failed;
}

void tap_case_end(void)
{
	if (!tap.case_open)
		return;
	tap.case_open = false;
	tap_line(!tap.case_failed, tap.case_name, NULL);
}

void tap_case_skip(const char *fmt, ...)
{
	char reason[256], directive[270];
	va_list ap;

	if (!tap.case_open)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	tap.case_open = false;
	if (tap.case_failed) {
		/* A failed expectation is never hidden by a later skip. */
		tap_line(false, tap.case_name, NULL);
		return;
	}
	snprintf(directive, sizeof(directive), "SKIP %s", reason);
	tap_line(true, tap.case_name, directive);
}

void tap_finish(void)
{
	tap_case_end();
	if (tap.reported != tap.planned) {
		tap_diag("planned %u results, reported %u", tap.planned,
			 tap.reported);
		tap.failed++;
	}
	tap_diag("%u of %u failed", tap.failed, tap.reported);
	fflush(stdout);
	exit(tap.failed ? 1 : 0);
}

const char *tap_errno_name(int err)
{
	/* A few buffers, so one message can name two unknown errnos. */
	static char bufs[4][24];
	static unsigned int next;
	const char *name;
	char *buf;

	if (err == 0)
		return "0";
	name = strerrorname_np(err);
	if (name)
		return name;
	buf = bufs[next++ % 4];
	snprintf(buf, sizeof(bufs[0]), "E?(%d)", err);
	return buf;
}

bool tap_expect_eq(long long got, long long want, const char *what)
{
	return tap_check(got == want, "%s: expected %lld, got %lld",
			 what, want, got);
}

bool tap_expect_eq_hex(unsigned long long got, unsigned long long want,
		       const char *what)
{
	return tap_check(got == want, "%s: expected 0x%llx, got 0x%llx",
			 what, want, got);
}

bool tap_expect_ne(long long got, long long unwanted, const char *what)
{
	return tap_check(got != unwanted, "%s: expected anything but %lld, got it",
			 what, unwanted);
}

bool tap_expect_ge(long long got, long long min, const char *what)
{
	return tap_check(got >= min, "%s: expected >= %lld, got %lld",
			 what, min, got);
}

bool tap_expect_ok(long long ret, const char *what)
{
	return tap_check(ret >= 0, "%s: expected success, got %s",
			 what, tap_errno_name((int)-ret));
}

bool tap_expect_errno(long long ret, int err, const char *what)
{
	if (ret >= 0)
		return tap_check(false, "%s: expected %s, got success (%lld)",
				 what, tap_errno_name(err), ret);
	return tap_check(ret == -err, "%s: expected %s, got %s", what,
			 tap_errno_name(err), tap_errno_name((int)-ret));
}

bool tap_expect_streq(const char *got, const char *want, const char *what)
{
	return tap_check(strcmp(got, want) == 0,
			 "%s: expected \"%s\", got \"%s\"", what, want, got);
}

bool tap_expect_bytes(const void *got, const void *want, size_t len,
		      const char *what)
{
	const uint8_t *g = got, *w = want;
	size_t i;

	for (i = 0; i < len; i++)
		if (g[i] != w[i])
			return tap_check(false, "%s: byte 0x%zx: expected 0x%02x, got 0x%02x",
					 what, i, w[i], g[i]);
	return true;
}
