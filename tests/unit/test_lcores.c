/* SPDX-License-Identifier: BSD-3-Clause */
/* app/lcores.c: the lcores= list of --device is read in EAL's syntax, in
 * the order given, and every list vdnet cannot honour is refused with a
 * line saying what is wrong: bad syntax, duplicates, a count that does not
 * match queues=, the main lcore, an lcore the EAL does not run, one that
 * already serves another pair. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "lcores.h"

#define MAX_LCORE 128

static char err[256];

static int parse(const char *s, struct vdnet_lcore_map *m)
{
	err[0] = '\0';
	return vdnet_lcores_parse(s, MAX_LCORE, m, err, sizeof(err));
}

static bool has(const char *needle)
{
	bool ok = strstr(err, needle) != NULL;

	if (!ok)
		fprintf(stderr, "  error '%s' lacks '%s'\n", err, needle);
	return ok;
}

static void good_lists(void)
{
	struct vdnet_lcore_map m;
	char buf[64];

	CHECK_EQ(parse("3", &m), 0);
	CHECK_EQ(m.n, 1);
	CHECK_EQ(m.lcore[0], 3);

	/* order is kept: pair 0 on lcore 2, pair 1 on lcore 1 */
	CHECK_EQ(parse("2,1", &m), 0);
	CHECK_EQ(m.n, 2);
	CHECK_EQ(m.lcore[0], 2);
	CHECK_EQ(m.lcore[1], 1);

	CHECK_EQ(parse("2-3", &m), 0);
	CHECK_EQ(m.n, 2);
	CHECK_EQ(m.lcore[0], 2);
	CHECK_EQ(m.lcore[1], 3);

	CHECK_EQ(parse("6,2-4,1", &m), 0);
	CHECK_EQ(m.n, 5);
	CHECK_EQ(m.lcore[0], 6);
	CHECK_EQ(m.lcore[1], 2);
	CHECK_EQ(m.lcore[3], 4);
	CHECK_EQ(m.lcore[4], 1);
	CHECK_EQ(vdnet_lcores_format(&m, buf, sizeof(buf)), 0);
	CHECK(!strcmp(buf, "6,2,3,4,1"));
	CHECK_EQ(vdnet_lcores_format(&m, buf, 4), -ENOSPC);

	/* a one-lcore range, the last lcore there can be, decimal like -l */
	CHECK_EQ(parse("5-5", &m), 0);
	CHECK_EQ(m.n, 1);
	CHECK_EQ(parse("127", &m), 0);
	CHECK_EQ(m.lcore[0], 127);
	CHECK_EQ(parse("010", &m), 0);
	CHECK_EQ(m.lcore[0], 10);

	/* as many as a device has pairs */
	CHECK_EQ(parse("1-16", &m), 0);
	CHECK_EQ(m.n, VDNET_LCORES_MAX);
}

static void bad_lists(void)
{
	struct vdnet_lcore_map m;

	CHECK_EQ(parse("", &m), -EINVAL);
	CHECK(has("give the lcore of each queue pair"));
	CHECK_EQ(parse("a", &m), -EINVAL);
	CHECK(has("'a' is not an lcore id or a range"));
	CHECK_EQ(parse("2,x3", &m), -EINVAL);
	CHECK(has("'x3' is not an lcore id"));
	CHECK_EQ(parse("2-", &m), -EINVAL);
	CHECK(has("'2-' is not"));
	CHECK_EQ(parse("-2", &m), -EINVAL);
	CHECK_EQ(parse("2:3", &m), -EINVAL);
	CHECK(has("'2:3'"));
	CHECK_EQ(parse("0x2", &m), -EINVAL);
	CHECK_EQ(parse("2,,3", &m), -EINVAL);
	CHECK(has("empty item"));
	CHECK_EQ(parse("2,", &m), -EINVAL);
	CHECK(has("empty item"));
	CHECK_EQ(parse(" 2", &m), -EINVAL);
	CHECK_EQ(parse("(1,2)@3", &m), -EINVAL);

	CHECK_EQ(parse("3-2", &m), -EINVAL);
	CHECK(has("3-2 goes backwards (write 2-3"));

	CHECK_EQ(parse("128", &m), -EINVAL);
	CHECK(has("lcore 128 is past the last one there can be (127)"));
	CHECK_EQ(parse("120-200", &m), -EINVAL);
	CHECK(has("lcore 200"));
	CHECK_EQ(parse("99999999999999999999", &m), -EINVAL);

	CHECK_EQ(parse("1,1", &m), -EINVAL);
	CHECK(has("lcore 1 is listed twice"));
	CHECK_EQ(parse("1-3,2", &m), -EINVAL);
	CHECK(has("lcore 2 is listed twice"));

	CHECK_EQ(parse("1-17", &m), -EINVAL);
	CHECK(has("more than 16 lcores"));
}

static void count(void)
{
	struct vdnet_lcore_map m;

	CHECK_EQ(parse("2,1", &m), 0);
	CHECK_EQ(vdnet_lcores_match(&m, 2, err, sizeof(err)), 0);
	CHECK_EQ(vdnet_lcores_match(&m, 1, err, sizeof(err)), -EINVAL);
	CHECK(has("names 2 lcores for 1 queue pair (queues=1)"));
	CHECK_EQ(vdnet_lcores_match(&m, 4, err, sizeof(err)), -EINVAL);
	CHECK(has("names 2 lcores for 4 queue pairs (queues=4)"));
	CHECK(has("exactly one lcore per queue pair"));
}

/* An EAL of -l 0-3 (0 the main lcore) where lcore 3 serves "dev b". */
static enum vdnet_lcore_role fake_eal(void *opaque, unsigned int lc, char *who, size_t wholen)
{
	int *calls = opaque;

	(*calls)++;
	if (lc == 0)
		return VDNET_LCORE_MAIN;
	if (lc > 3)
		return VDNET_LCORE_OFF;
	if (lc == 3) {
		snprintf(who, wholen, "device b queue pair 0");
		return VDNET_LCORE_BUSY;
	}
	return VDNET_LCORE_FREE;
}

static int check(const char *list, unsigned int pairs, int *calls)
{
	struct vdnet_lcore_map m;

	*calls = 0;
	CHECK_EQ(parse(list, &m), 0);
	err[0] = '\0';
	return vdnet_lcores_check(&m, pairs, fake_eal, calls, err, sizeof(err));
}

static void roles(void)
{
	int calls;

	CHECK_EQ(check("2,1", 2, &calls), 0);
	CHECK_EQ(calls, 2);
	CHECK_EQ(check("0", 1, &calls), -EINVAL);
	CHECK(has("lcore 0 (for queue pair 0) is the main lcore"));
	CHECK(has("pick a worker lcore"));
	CHECK_EQ(check("1,7", 2, &calls), -EINVAL);
	CHECK(has("lcore 7 (for queue pair 1) is not one of EAL's lcores"));
	CHECK(has("add it to -l/-c"));
	CHECK_EQ(check("2,3", 2, &calls), -EBUSY);
	CHECK(has("lcore 3 (for queue pair 1) already serves device b queue pair 0"));
	CHECK(has("see: show lcores"));

	/* the kernel gave fewer pairs than asked: only theirs are checked */
	CHECK_EQ(check("1,7", 1, &calls), 0);
	CHECK_EQ(calls, 1);
	/* and more pairs than lcores named is refused without asking */
	CHECK_EQ(check("1", 2, &calls), -EINVAL);
	CHECK_EQ(calls, 0);
	CHECK(has("names 1 lcore for 2 queue pairs"));
}

int main(void)
{
	RUN(good_lists);
	RUN(bad_lists);
	RUN(count);
	RUN(roles);
	return check_report();
}
