/* SPDX-License-Identifier: BSD-3-Clause */
/* See fz_mbuf.h. */
#include <stdlib.h>
#include <string.h>

#include "fz_arena.h"
#include "fz_mbuf.h"

static void free_ext(void *addr, void *opaque)
{
	free(addr);
	free(opaque);
}

struct rte_mbuf *fz_ext_mbuf(struct rte_mempool *mp, const uint8_t *p, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_mbuf_ext_shared_info *sh = malloc(sizeof(*sh));
	uint8_t *buf = malloc(len ? len : 1);

	FZ_ASSERT(m && sh && buf);
	memcpy(buf, p, len);
	sh->free_cb = free_ext;
	sh->fcb_opaque = sh;
	rte_mbuf_ext_refcnt_set(sh, 1);
	rte_pktmbuf_attach_extbuf(m, buf, RTE_BAD_IOVA, len ? len : 1, sh);
	m->data_len = len;
	m->pkt_len = len;
	return m;
}
