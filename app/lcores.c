/* SPDX-License-Identifier: BSD-3-Clause */
/* The lcores= list of --device: parsed, and checked against what the EAL
 * gave and what is already served (see lcores.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcores.h"

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

/* A decimal lcore id at *p (no sign, no base prefix: "010" is ten, as the
 * EAL reads -l); advances *p.  -1 if there is no digit or it is too big. */
static long lcore_id(const char **p)
{
	long v = 0;

	if (!isdigit((unsigned char)**p))
		return -1;
	for (; isdigit((unsigned char)**p); (*p)++) {
		v = v * 10 + (**p - '0');
		if (v > 1000000)
			return -1;
	}
	return v;
}

static int add(struct vdnet_lcore_map *m, long lc, const char *list, char *err, size_t errlen)
{
	for (uint16_t i = 0; i < m->n; i++)
		if (m->lcore[i] == lc)
			return BAD("lcores '%s': lcore %ld is listed twice (each queue pair needs "
				   "an lcore of its own)", list, lc);
	if (m->n == VDNET_LCORES_MAX)
		return BAD("lcores '%s': more than %d lcores (a device has at most %d queue "
			   "pairs)", list, VDNET_LCORES_MAX, VDNET_LCORES_MAX);
	m->lcore[m->n++] = (uint16_t)lc;
	return 0;
}

int vdnet_lcores_parse(const char *list, unsigned int max_lcore, struct vdnet_lcore_map *m,
		       char *err, size_t errlen)
{
	const char *p = list;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!*list)
		return BAD("lcores '': give the lcore of each queue pair, e.g. lcores=2,3 or "
			   "lcores=2-3");
	for (;;) {
		const char *item = p;
		long a, b;

		a = lcore_id(&p);
		b = a;
		if (a >= 0 && *p == '-') {
			p++;
			b = lcore_id(&p);
		}
		if (*item == ',' || !*item)
			return BAD("lcores '%s': an empty item (a comma too many?)", list);
		if (a < 0 || b < 0 || (*p && *p != ',')) {
			size_t len = strcspn(item, ",");

			return BAD("lcores '%s': '%.*s' is not an lcore id or a range A-B (e.g. "
				   "lcores=2,3 or lcores=2-3)", list, (int)len, item);
		}
		if (b < a)
			return BAD("lcores '%s': the range %ld-%ld goes backwards (write %ld-%ld; "
				   "list the lcores one by one for another order)", list, a, b, b, a);
		if (b >= (long)max_lcore)
			return BAD("lcores '%s': lcore %ld is past the last one there can be (%u)",
				   list, b, max_lcore - 1);
		for (long lc = a; lc <= b; lc++) {
			rc = add(m, lc, list, err, errlen);
			if (rc)
				return rc;
		}
		if (!*p)
			return 0;
		p++; /* the comma */
	}
}

int vdnet_lcores_format(const struct vdnet_lcore_map *m, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (uint16_t i = 0; i < m->n; i++) {
		int w = snprintf(buf + n, len - n, "%s%u", i ? "," : "", m->lcore[i]);

		if (w < 0 || (size_t)w >= len - n)
			return -ENOSPC;
		n += (size_t)w;
	}
	return 0;
}

int vdnet_lcores_match(const struct vdnet_lcore_map *m, unsigned int queues, char *err,
		       size_t errlen)
{
	if (m->n == queues)
		return 0;
	return BAD("lcores= names %u lcore%s for %u queue pair%s (queues=%u): give exactly one "
		   "lcore per queue pair, the i-th serves pair i", m->n, m->n == 1 ? "" : "s",
		   queues, queues == 1 ? "" : "s", queues);
}

int vdnet_lcores_check(const struct vdnet_lcore_map *m, unsigned int pairs,
		       vdnet_lcore_probe probe, void *opaque, char *err, size_t errlen)
{
	char who[96];

	if (m->n < pairs)
		return BAD("lcores= names %u lcore%s for %u queue pairs: give one per pair", m->n,
			   m->n == 1 ? "" : "s", pairs);
	for (unsigned int q = 0; q < pairs; q++) {
		unsigned int lc = m->lcore[q];

		who[0] = '\0';
		switch (probe(opaque, lc, who, sizeof(who))) {
		case VDNET_LCORE_FREE:
			break;
		case VDNET_LCORE_MAIN:
			return BAD("lcores=: lcore %u (for queue pair %u) is the main lcore, which "
				   "runs the console and statistics, not a datapath: pick a worker "
				   "lcore (any of EAL's -l/-c lcores but the main one)", lc, q);
		case VDNET_LCORE_OFF:
			return BAD("lcores=: lcore %u (for queue pair %u) is not one of EAL's lcores: "
				   "add it to -l/-c, or pick one of the worker lcores vdnet runs "
				   "(see: show lcores)", lc, q);
		case VDNET_LCORE_BUSY:
		default:
			snprintf(err, errlen, "lcores=: lcore %u (for queue pair %u) already serves "
				 "%s: pick a free worker lcore (see: show lcores), or del that "
				 "device first", lc, q, who[0] ? who : "another queue pair");
			return -EBUSY;
		}
	}
	return 0;
}
