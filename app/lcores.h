/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --device ...,lcores=LIST: which worker lcore serves which queue pair.
 * LIST is EAL-style ("3", "2,1", "2-3", "2-3,6"); its i-th lcore serves
 * queue pair i, so it names exactly one lcore per pair.  Whether an lcore
 * may be used (an EAL worker, not serving something else) is asked of the
 * caller through a probe, so the rules are the same at start-up and for
 * `add device`, and a unit test can play the EAL.
 * Plain C (no DPDK): the unit tests link it alone.
 */
#ifndef VDNET_LCORES_H
#define VDNET_LCORES_H

#include <stddef.h>
#include <stdint.h>

/* the most queue pairs a device has (VDN_NET_MAX_QUEUE_PAIRS) */
#define VDNET_LCORES_MAX 16

struct vdnet_lcore_map {
	uint16_t n; /* 0: no lcores=, the first free workers serve the pairs */
	uint16_t lcore[VDNET_LCORES_MAX];
};

/*
 * Parse LIST into `m` (in its order; ranges ascend).  Lcore ids must be
 * below `max_lcore`.  -EINVAL with one line in `err` for: an empty list or
 * item, something not a number or A-B, a range going backwards, an id of
 * `max_lcore` or more, an lcore listed twice, more than VDNET_LCORES_MAX.
 */
int vdnet_lcores_parse(const char *list, unsigned int max_lcore, struct vdnet_lcore_map *m,
		       char *err, size_t errlen);

/* `m` rendered as a comma list ("2,1"; "" if empty).  -ENOSPC if it does
 * not fit (buf then holds a truncated list). */
int vdnet_lcores_format(const struct vdnet_lcore_map *m, char *buf, size_t len);

/* -EINVAL (and why in `err`) unless `m` names one lcore per queue pair. */
int vdnet_lcores_match(const struct vdnet_lcore_map *m, unsigned int queues, char *err,
		       size_t errlen);

enum vdnet_lcore_role {
	VDNET_LCORE_FREE,  /* a worker lcore serving nothing: usable */
	VDNET_LCORE_MAIN,  /* EAL's main lcore: runs control, not a datapath */
	VDNET_LCORE_OFF,   /* not one of EAL's lcores (-l/-c) */
	VDNET_LCORE_BUSY,  /* a worker that already serves a queue pair */
};

/* What `lcore` is; for VDNET_LCORE_BUSY, what it serves in `who` (e.g.
 * "device a queue pair 0"). */
typedef enum vdnet_lcore_role (*vdnet_lcore_probe)(void *opaque, unsigned int lcore, char *who,
						   size_t wholen);

/*
 * Check that the first `pairs` lcores of `m` are free workers, asking
 * `probe`.  Errors (why and what to do in `err`): -EINVAL `m` has fewer
 * than `pairs` lcores, or one is the main lcore or not an EAL lcore;
 * -EBUSY one serves another queue pair.
 */
int vdnet_lcores_check(const struct vdnet_lcore_map *m, unsigned int pairs,
		       vdnet_lcore_probe probe, void *opaque, char *err, size_t errlen);

#endif
