/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz input as mbuf segments that own exactly their bytes (a malloc()ed
 * external buffer each), so ASan sees any read past a segment's end. */
#ifndef VDN_FZ_MBUF_H
#define VDN_FZ_MBUF_H

#include <stdint.h>

#include <rte_mbuf.h>

/* One segment from `mp` (a pool with no data room is enough) holding a copy
 * of p[0 .. len); freed with the mbuf.  Aborts the run when out of memory. */
struct rte_mbuf *fz_ext_mbuf(struct rte_mempool *mp, const uint8_t *p, uint16_t len);

#endif
