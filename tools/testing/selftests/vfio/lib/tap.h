/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small TAP 13 writer in the style of kselftest.
 *
 * A test program states its plan, then runs cases.  A case is opened with
 * tap_case_begin(), collects failed expectations (each one prints a "#"
 * diagnostic saying what was expected and what came back), and is closed
 * with tap_case_end() (ok / not ok) or tap_case_skip().  tap_finish() exits
 * non-zero if any case failed or fewer results than planned were printed.
 */
#ifndef VFIO_SELFTEST_TAP_H
#define VFIO_SELFTEST_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

void tap_plan(unsigned int count);
void tap_skip_all(const char *fmt, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));
void tap_bail_out(const char *fmt, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));
void tap_diag(const char *fmt, ...) TAP_PRINTF(1, 2);

/* One-line results, for cases that need no expectations. */
void tap_pass(const char *fmt, ...) TAP_PRINTF(1, 2);
void tap_fail(const char *fmt, ...) TAP_PRINTF(1, 2);

/* Cases made of expectations. */
void tap_case_begin(const char *fmt, ...) TAP_PRINTF(1, 2);
bool tap_check(bool cond, const char *fmt, ...) TAP_PRINTF(2, 3);
bool tap_case_failed(void);
void tap_case_end(void);
void tap_case_skip(const char *fmt, ...) TAP_PRINTF(1, 2);

void tap_finish(void) __attribute__((noreturn));

/* "EBUSY" for EBUSY, "0" for 0, "E?(n)" for unknown numbers. */
const char *tap_errno_name(int err);

/*
 * Expectations.  Each prints what was expected and what came back when it
 * fails, marks the open case failed, and returns whether it held, so a case
 * can stop early:  if (!EXPECT_OK(fd, "open group")) goto out;
 */
bool tap_expect_eq(long long got, long long want, const char *what);
bool tap_expect_eq_hex(unsigned long long got, unsigned long long want,
		       const char *what);
bool tap_expect_ne(long long got, long long unwanted, const char *what);
bool tap_expect_ge(long long got, long long min, const char *what);
bool tap_expect_ok(long long ret, const char *what);
bool tap_expect_errno(long long ret, int err, const char *what);
bool tap_expect_streq(const char *got, const char *want, const char *what);
/* @len bytes at @got equal those at @want; names the first that differs. */
bool tap_expect_bytes(const void *got, const void *want, size_t len,
		      const char *what);

#define EXPECT_TRUE(cond, what)						\
	tap_check(!!(cond), "%s: expected %s, it was not", (what), #cond)
#define EXPECT_EQ(got, want, what)					\
	tap_expect_eq((long long)(got), (long long)(want), (what))
#define EXPECT_EQ_HEX(got, want, what)					\
	tap_expect_eq_hex((unsigned long long)(got),			\
			  (unsigned long long)(want), (what))
#define EXPECT_NE(got, unwanted, what)					\
	tap_expect_ne((long long)(got), (long long)(unwanted), (what))
#define EXPECT_GE(got, min, what)					\
	tap_expect_ge((long long)(got), (long long)(min), (what))
/* For helpers that return >= 0 on success and -errno on failure. */
#define EXPECT_OK(ret, what)	tap_expect_ok((long long)(ret), (what))
/* For helpers that return -errno: expects exactly -err. */
#define EXPECT_ERRNO(ret, err, what)					\
	tap_expect_errno((long long)(ret), (err), (what))
#define EXPECT_STREQ(got, want, what)	tap_expect_streq((got), (want), (what))

#endif /* VFIO_SELFTEST_TAP_H */
