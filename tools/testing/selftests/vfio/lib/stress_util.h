/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the long-running robustness tests (leak, concurrency): their
 * numeric settings from the environment, and the guest's hung task
 * detector turned to a short timeout while they run.
 */
#ifndef VFIO_SELFTEST_STRESS_UTIL_H
#define VFIO_SELFTEST_STRESS_UTIL_H

/*
 * $@name as a number of at least @min, @def when unset or empty; bails out
 * (the run is misconfigured) on anything else.
 */
unsigned long stress_env_number(const char *name, unsigned long def,
				unsigned long min);

/*
 * Lowers kernel.hung_task_timeout_secs to @secs while this program runs
 * (when it is higher, or 0 for never), so that a task stuck in D state
 * makes the kernel log a hung task report, which fails the lane.  The old
 * value comes back at exit and on SIGTERM or SIGINT (the runner's timeout).
 * Says what it did as a TAP diagnostic.
 */
void stress_hung_task_timeout(unsigned int secs);

#endif /* VFIO_SELFTEST_STRESS_UTIL_H */
