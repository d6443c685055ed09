/* SPDX-License-Identifier: BSD-3-Clause */
/* The datapath towards the driver: rte_mbuf bursts into its RX queues
 * (the other direction is net_tx.c).
 * Runs on datapath lcores; no locks, no allocation but mbufs, and at most
 * one syscall per burst (the interrupt, when the driver wants one). */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "net_datapath.h"

/* More merged buffers than this for one packet means the driver posts
 * absurdly small buffers: drop rather than walk the whole ring. */
#define MAX_MRG_BUFS 64

/* The driver's RX filter (net_filter.c) sees the Ethernet header and,
 * when there is one, the 802.1Q tag (also when the port stripped it). */
static inline bool rx_filter_pass(const struct vdn_net_dev *dev, const struct rte_mbuf *m)
{
	uint8_t tmp[RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN];
	uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(tmp));
	const uint8_t *p = rte_pktmbuf_read(m, 0, len, tmp);

	if (unlikely(p && (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) &&
		     len >= RTE_ETHER_HDR_LEN)) {
		uint16_t tpid = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		uint16_t tci = rte_cpu_to_be_16(m->vlan_tci);

		memmove(tmp, p, 2 * RTE_ETHER_ADDR_LEN);
		memcpy(tmp + 12, &tpid, 2);
		memcpy(tmp + 14, &tci, 2);
		p = tmp;
		len = 16;
	}
	return p && vdn_net_filter_check(&dev->filter, p, len);
}

/* Copy `len` bytes of mbuf `m` from offset `moff` into the iovs at `ioff`. */
static inline uint32_t mbuf_to_iov(const struct rte_mbuf *m, uint32_t moff, const struct vdn_iov *iov,
				   unsigned int n, uint32_t ioff, uint32_t len)
{
	uint32_t done = 0;

	while (m && moff >= m->data_len) {
		moff -= m->data_len;
		m = m->next;
	}
	for (; m && done < len; m = m->next, moff = 0) {
		uint32_t take = RTE_MIN(len - done, (uint32_t)m->data_len - moff);
		size_t c = vdn_iov_from_buf(iov, n, ioff + done,
					    rte_pktmbuf_mtod_offset(m, const void *, moff), take);
		done += c;
		if (c < take)
			break;
	}
	return done;
}

/* net_gro.c's way to the same copy; the plain path keeps it inlined */
uint32_t vdn_net_mbuf_to_iov(const struct rte_mbuf *m, uint32_t moff, const struct vdn_iov *iov,
			     unsigned int n, uint32_t ioff, uint32_t len)
{
	return mbuf_to_iov(m, moff, iov, n, ioff, len);
}

/* A malformed RX chain was consumed (and handed back empty).  Buffers
 * already taken for this packet cannot be rewound past it, so they go back
 * empty too and the packet is dropped. */
static int reject_packet(struct vdn_net_qp *q, const uint16_t *heads, uint16_t nb)
{
	q->st.drop[VDN_NET_DROP_BAD_CHAIN]++;
	for (uint16_t i = 0; i < nb; i++)
		vdn_vq_push(&q->rx.ring, heads[i], 0);
	return nb ? VDN_NET_DROP_BAD_CHAIN + 1 : 0;
}

/* Place one packet -- or, with `g`, the frame merged from pkts[0 ..
 * g->nb_segs) (net_gro.c) -- into the driver's RX buffers, with the header
 * `oh` when given (a frame the port handed in offloaded), else one from the
 * mbuf's checksum flags.  Returns 0, or a
 * vdn_net_drop reason + 1 (buffers not used are rewound, none is lost).  A
 * merged frame that needs more than MAX_MRG_BUFS buffers is TOO_BIG: its
 * segments still fit one by one. */
static int enqueue_one(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct rte_mbuf *const *pkts,
		       const struct vdn_net_gro_frame *g, const struct virtio_net_hdr_v1 *oh,
		       struct vdn_chain *first, struct vdn_chain *cur)
{
	struct vdn_vq *r = &q->rx.ring;
	const struct rte_mbuf *m = pkts[0];
	uint16_t heads[MAX_MRG_BUFS];
	uint32_t lens[MAX_MRG_BUFS];
	uint32_t need = VDN_NET_HDR_LEN + (g ? g->len : m->pkt_len), pos = 0;
	uint16_t nb = 0;
	int why;

	while (pos < need) {
		struct vdn_chain *c = nb == 0 ? first : cur;
		int rc = nb == MAX_MRG_BUFS ? 0 : vdn_vq_pop(r, c);

		if (rc == -EBADMSG) {
			/* lib/vring already returned that chain */
			bad_chain(q, c);
			if ((why = reject_packet(q, heads, nb)))
				return why;
			continue;
		}
		if (unlikely(rc == -EIO))
			vq_broken(dev, q, &q->rx);
		if (rc <= 0) {
			vdn_vq_unpop(r, nb);
			return (g && nb == MAX_MRG_BUFS ? VDN_NET_DROP_TOO_BIG : VDN_NET_DROP_NO_BUF) + 1;
		}
		/* RX buffers are write-only and must hold at least the header */
		if (c->n_out || c->in_len == 0 || (nb == 0 && c->in_len < VDN_NET_HDR_LEN)) {
			vdn_vq_push(r, c->head, 0);
			if ((why = reject_packet(q, heads, nb)))
				return why;
			continue;
		}
		if (!g && !oh && nb == 0 && c->n_in == 1 && c->in_len >= need && m->nb_segs == 1) {
			/* the common case, one buffer for a one-segment packet:
			 * header and data written in place, no iov walk */
			uint8_t *dst = c->iov[0].base;
			/* virtio_net_hdr_v1 as two stores straight into the
			 * buffer: flags, then zeros (no GSO, no checksum
			 * offsets), then num_buffers = 1 in the last 2 bytes */
			uint64_t w0 = rte_cpu_to_le_64(vdn_net_rx_flags(m, dev->guest_csum));
			uint32_t w1 = rte_cpu_to_le_32(1u << 16);

			RTE_BUILD_BUG_ON(VDN_NET_HDR_LEN != 12);
			memcpy(dst, &w0, sizeof(w0));
			memcpy(dst + 8, &w1, sizeof(w1));
			rte_memcpy(dst + VDN_NET_HDR_LEN, rte_pktmbuf_mtod(m, const void *), m->data_len);
			vdn_vq_push(r, c->head, need);
			return 0;
		}
		uint32_t room = c->in_len, at = 0;

		if (nb == 0) {
			at = VDN_NET_HDR_LEN;
			pos = VDN_NET_HDR_LEN;
			room -= VDN_NET_HDR_LEN;
		}
		uint32_t take = RTE_MIN(room, need - pos);

		if (g)
			vdn_net_gro_to_iov(g, pkts, pos - VDN_NET_HDR_LEN, c->iov + c->n_out, c->n_in,
					   at, take);
		else
			mbuf_to_iov(m, pos - VDN_NET_HDR_LEN, c->iov + c->n_out, c->n_in, at, take);
		pos += take;
		heads[nb] = c->head;
		lens[nb] = at + take;
		nb++;
		if (pos < need && !dev->mrg_rxbuf) {
			/* one buffer must hold it all without MRG_RXBUF */
			vdn_vq_unpop(r, nb);
			return VDN_NET_DROP_TOO_BIG + 1;
		}
	}

	struct virtio_net_hdr_v1 hdr;

	if (g)
		hdr = g->vh;
	else if (oh)
		hdr = *oh;
	else
		vdn_net_hdr_from_mbuf(m, &hdr, dev->guest_csum);
	hdr.num_buffers = rte_cpu_to_le_16(nb);
	vdn_iov_from_buf(first->iov + first->n_out, first->n_in, 0, &hdr, sizeof(hdr));
	for (uint16_t i = 0; i < nb; i++)
		vdn_vq_push(r, heads[i], lens[i]);
	return 0;
}

/* Try pkts[0 ..] as one merged frame (net_gro.c).  Returns how many
 * packets that took care of: delivered, or dropped with a malformed chain
 * (*lost set); 0 when pkts[0] must go alone, and then *alone says how many
 * must (a run the ring could not take merged goes as without GRO). */
static uint16_t enqueue_merged(struct vdn_net_dev *dev, struct vdn_net_qp *q,
			       struct rte_mbuf *const *pkts, uint16_t n, struct vdn_chain *first,
			       struct vdn_chain *cur, uint16_t *alone, bool *lost)
{
	struct vdn_net_gro_frame f;
	uint16_t k = vdn_net_gro_plan(&dev->gro, pkts, n, &f);
	int why;

	if (k < 2)
		return 0;
	why = enqueue_one(dev, q, pkts, &f, NULL, first, cur);
	if (why == VDN_NET_DROP_BAD_CHAIN + 1) {
		/* one chain counted by reject_packet(); the frame took k packets */
		q->st.drop[VDN_NET_DROP_BAD_CHAIN] += k - 1u;
		*lost = true;
		return k;
	}
	if (why) {
		*alone = k;
		return 0;
	}
	for (uint16_t i = 0; i < k; i++)
		q->st.rx_bytes += pkts[i]->pkt_len;
	q->st.rx_packets += k;
	q->st.gro_frames++;
	q->st.gro_segs += k;
	return k;
}

/* Did the port hand `m` in with an offload state the driver must be told
 * of: a TSO frame (LRO) or a partial checksum? */
static inline bool rx_offloaded(const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_RX_LRO) ||
	       (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE;
}

/* Segments of an LRO frame cut at a time for a driver without GUEST_TSO. */
#define RX_CUT 32

/* An LRO frame for a driver that cannot take it whole: its segments, cut
 * and checksummed in software, one by one.  Returns as enqueue_one(). */
static int enqueue_cut(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct rte_mbuf *m,
		       const struct virtio_net_hdr_v1 *oh, struct vdn_chain *first,
		       struct vdn_chain *cur)
{
	struct rte_mbuf *segs[RX_CUT];
	struct vdn_net_gso g;
	int n, why = 0;

	if (!m->pool || vdn_net_gso_parse(oh, m, VDN_NET_GSO_MAX_FRAME, &g) < 0)
		return VDN_NET_DROP_TOO_BIG + 1;
	for (uint16_t at = 0; at < g.nb_segs && !why; at += (uint16_t)n) {
		n = vdn_net_gso_segment(m, &g, at, m->pool, segs, RX_CUT);
		if (n <= 0)
			return VDN_NET_DROP_TOO_BIG + 1;
		for (int k = 0; k < n; k++) {
			if (!why && !(why = enqueue_one(dev, q, &segs[k], NULL, NULL, first, cur))) {
				q->st.rx_packets++;
				q->st.rx_bytes += segs[k]->pkt_len;
			}
			rte_pktmbuf_free(segs[k]);
		}
	}
	return why;
}

/* A frame the port handed in offloaded (rx_offloaded()): to a driver that
 * negotiated what it needs with the matching header; else finished here
 * -- checksum completed, TSO frame cut -- so the driver never gets what it
 * cannot take.  Counts its own rx_packets/bytes; returns as enqueue_one(). */
static int enqueue_offloaded(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct rte_mbuf *m,
			     struct vdn_chain *first, struct vdn_chain *cur)
{
	struct virtio_net_hdr_v1 oh;
	int rc = vdn_net_rx_offload_hdr(m, &oh), why;
	bool tso;

	if (rc < 0)
		return VDN_NET_DROP_BAD_HDR + 1;
	tso = oh.gso_type != VIRTIO_NET_HDR_GSO_NONE;
	if (dev->guest_csum && (!tso || (oh.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ? dev->gro.v4
										: dev->gro.v6))) {
		why = enqueue_one(dev, q, &m, NULL, &oh, first, cur);
		if (!why) {
			q->st.rx_packets++;
			q->st.rx_bytes += m->pkt_len;
			q->st.lro_in += tso;
		}
		return why;
	}
	if (tso)
		return enqueue_cut(dev, q, m, &oh, first, cur);
	/* the caller's mbuf, finished in place: what it holds is then the
	 * frame as it should have been all along */
	if (vdn_net_hdr_to_mbuf(&oh, m, &q->st.sw_csum) < 0)
		return VDN_NET_DROP_BAD_HDR + 1;
	why = enqueue_one(dev, q, &m, NULL, NULL, first, cur);
	if (!why) {
		q->st.rx_packets++;
		q->st.rx_bytes += m->pkt_len;
	}
	return why;
}

uint16_t vdn_net_enqueue_burst(struct vdn_net_dev *dev, uint16_t qp, struct rte_mbuf **pkts,
			       uint16_t n)
{
	struct vdn_chain first, cur;
	struct vdn_net_qp *q;
	uint16_t i, done = 0, alone = 0;
	bool gro;

	if (unlikely(qp >= dev->max_qp))
		return 0;
	q = &dev->qp[qp];
	if (unlikely(!vq_enter(&q->rx))) {
		q->st.drop[VDN_NET_DROP_NOT_READY] += n;
		return 0;
	}
	/* checked inside the busy window: see set_active() in net_cvq.c */
	if (unlikely(qp >= atomic_load(&dev->active_qp))) {
		q->st.drop[VDN_NET_DROP_NOT_READY] += n;
		atomic_store_explicit(&q->rx.busy, 0, memory_order_release);
		return 0;
	}
	gro = (dev->gro.v4 || dev->gro.v6) && atomic_load_explicit(&dev->gro_on, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		if (unlikely(!rx_filter_pass(dev, pkts[i]))) {
			q->st.drop[VDN_NET_DROP_FILTERED]++;
			continue;
		}
		int why;

		if (unlikely(rx_offloaded(pkts[i]))) {
			if (alone)
				alone--;
			why = enqueue_offloaded(dev, q, pkts[i], &first, &cur);
			if (!why) {
				done++;
				continue;
			}
			goto dropped;
		}
		/* a merged run shares pkts[i]'s Ethernet header and so its
		 * filter verdict */
		if (gro && alone == 0 && i + 1 < n) {
			bool lost = false;
			uint16_t k = enqueue_merged(dev, q, pkts + i, n - i, &first, &cur, &alone,
						    &lost);

			if (k) {
				done += lost ? 0 : k;
				i += k - 1;
				continue;
			}
		}
		if (alone)
			alone--;

		why = enqueue_one(dev, q, pkts + i, NULL, NULL, &first, &cur);
dropped:
		if (why) {
			if (why - 1 != VDN_NET_DROP_BAD_CHAIN) /* counted per chain */
				q->st.drop[why - 1]++;
			if (why - 1 == VDN_NET_DROP_NO_BUF) {
				/* ring empty: the rest cannot fit either */
				q->st.drop[VDN_NET_DROP_NO_BUF] += n - i - 1;
				break;
			}
			continue;
		}
		q->st.rx_packets++;
		q->st.rx_bytes += pkts[i]->pkt_len;
		done++;
	}
	vq_leave(dev, q, &q->rx);
	return done;
}
