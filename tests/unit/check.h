/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tiny assertion helpers for the unit suite.  A failed CHECK prints where and
 * why and marks the test failed; the test keeps running so one run reports
 * every broken expectation.  Tests end with `return check_report();`.
 */
#ifndef VDN_TEST_CHECK_H
#define VDN_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                            \
	do {                                                                   \
		check_count++;                                                 \
		if (!(cond)) {                                                 \
			check_failures++;                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		check_count++;                                                 \
		if (_a != _b) {                                                \
			check_failures++;                                      \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s "    \
				"(%lld != %lld)\n", __FILE__, __LINE__, #a,    \
				#b, _a, _b);                                   \
		}                                                              \
	} while (0)

/* Run one test function and say which one, so a failure is easy to place. */
#define RUN(fn)                                                                \
	do {                                                                   \
		int _before = check_failures;                                  \
		fn();                                                          \
		printf("%s %s\n", check_failures == _before ? "ok  " : "FAIL", \
		       #fn);                                                   \
	} while (0)

static inline int check_report(void)
{
	printf("%d checks, %d failed\n", check_count, check_failures);
	/* a test that checked nothing proves nothing */
	return (check_failures || check_count == 0) ? 1 : 0;
}

#endif
