/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datapath from the driver: its TX queues drained into rte_mbuf bursts.
 *
 * The buffers were written by the driver on another core, so almost every
 * first touch of a descriptor or a frame is a cache miss.  The common chain
 * (one readable descriptor holding header and frame, what virtio_net posts
 * for a linear skb) is therefore taken in batches: pop up to a burst of
 * them, prefetching each frame as its descriptor is decoded, take the mbufs
 * in one bulk allocation, and only then copy, so the misses overlap instead
 * of queueing up one packet after the other.  Anything else (several
 * descriptors, indirect tables, frames larger than one mbuf, malformed
 * chains) takes the general path one chain at a time.
 *
 * No locks, no allocation but mbufs, at most one syscall per burst.
 */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "net_datapath.h"

/* Where a burst's packets go: the caller's array, then q->ovf. */
struct tx_out {
	struct rte_mbuf **pkts;
	uint16_t n, cnt;
	struct rte_mempool *mp;
};

/* Hand out segments of the pending super-frame; it is freed once all are
 * out.  Fewer than asked with segments left means the pool ran dry. */
static void gso_drain(struct vdn_net_qp *q, struct tx_out *o)
{
	uint16_t n = o->n - o->cnt, left = q->gso.g.nb_segs - q->gso.next;
	struct rte_mbuf **pkts = o->pkts + o->cnt;
	int got = vdn_net_gso_segment(q->gso.m, &q->gso.g, q->gso.next, o->mp, pkts, n);

	if (got < 0) {
		/* this pool's mbufs cannot hold the headers: never will */
		q->st.drop[VDN_NET_DROP_TOO_BIG]++;
		got = 0;
		left = 0;
	} else if (got < RTE_MIN(n, left)) {
		q->st.drop[VDN_NET_DROP_NO_MBUF]++;
	}
	for (int i = 0; i < got; i++)
		q->st.tx_bytes += pkts[i]->pkt_len;
	q->st.tx_packets += got;
	q->st.gso_segs += got;
	q->gso.next += got;
	o->cnt += got;
	if (got == left) {
		rte_pktmbuf_free(q->gso.m);
		q->gso.m = NULL;
	}
}

static inline uint64_t port_tx(const struct vdn_net_dev *dev)
{
	return __atomic_load_n(&dev->port_tx_offloads, __ATOMIC_RELAXED);
}

/* Can the port segment TSO frames itself? Then they go to it whole. */
static inline bool port_tso(const struct vdn_net_dev *dev)
{
	const uint64_t need = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;

	return (port_tx(dev) & need) == need;
}

/* A partial checksum from the driver: left to the port if it can finish
 * it, else finished here.  -errno: a header we cannot honour. */
static inline int tx_csum(const struct vdn_net_dev *dev, struct vdn_net_qp *q,
			  const struct virtio_net_hdr_v1 *hdr, struct rte_mbuf *m)
{
	uint64_t ptx = port_tx(dev);

	if ((ptx & (RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) &&
	    vdn_net_csum_offload(hdr, m, ptx) == 0) {
		q->st.csum_out++;
		return 0;
	}
	return vdn_net_hdr_to_mbuf(hdr, m, &q->st.sw_csum);
}

/* Take a TSO super-frame from the driver and hand it to a port that
 * segments, or out what fits of its segments. */
static void gso_begin(struct vdn_net_dev *dev, struct vdn_net_qp *q,
		      const struct virtio_net_hdr_v1 *hdr, struct rte_mbuf *m, struct tx_out *o)
{
	uint8_t type = hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	int rc;

	/* only what the driver negotiated (HOST_ECN is never offered, but
	 * the flag only asks us to keep CWR on the first segment) */
	if ((type == VIRTIO_NET_HDR_GSO_TCPV4 && !dev->host_tso4) ||
	    (type == VIRTIO_NET_HDR_GSO_TCPV6 && !dev->host_tso6))
		rc = -EOPNOTSUPP;
	else
		rc = vdn_net_gso_parse(hdr, m, __atomic_load_n(&q->max_pkt, __ATOMIC_RELAXED),
				       &q->gso.g);
	if (rc < 0) {
		rte_pktmbuf_free(m);
		q->st.drop[rc == -E2BIG ? VDN_NET_DROP_TOO_BIG : VDN_NET_DROP_BAD_HDR]++;
		return;
	}
	if (vdn_net_tso_offload(&q->gso.g, m, port_tx(dev)) == 0) {
		/* counted as the segments the port will make of it */
		q->st.tx_packets += q->gso.g.nb_segs;
		q->st.tx_bytes += m->pkt_len + (q->gso.g.nb_segs - 1u) * q->gso.g.hdr_len;
		q->st.tso_out++;
		o->pkts[o->cnt++] = m;
		return;
	}
	q->gso.m = m;
	q->gso.next = 0;
	gso_drain(q, o);
}

static inline bool backlog(const struct vdn_net_qp *q)
{
	return q->gso.m || q->ovf.n;
}

static inline void out_packet(struct vdn_net_qp *q, struct tx_out *o, struct rte_mbuf *m)
{
	q->st.tx_packets++;
	q->st.tx_bytes += m->pkt_len;
	o->pkts[o->cnt++] = m;
}

/* A packet taken from the ring, or (`hdr` set) a super-frame to cut: to
 * the caller if nothing is waiting before it, else behind what waits.
 * q->ovf has room: a batch (at most VDN_NET_TX_BATCH chains) or a cut
 * frame (at most VDN_NET_TX_BACKLOG segments) only starts with nothing
 * waiting. */
static void emit(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct tx_out *o,
		 struct rte_mbuf *m, const struct virtio_net_hdr_v1 *hdr)
{
	if (backlog(q) || o->cnt == o->n) {
		uint8_t i = q->ovf.n++;

		q->ovf.m[i] = m;
		if (hdr) {
			q->ovf.hdr[i] = *hdr;
			q->ovf.super |= 1ull << i;
		}
		return;
	}
	if (hdr)
		gso_begin(dev, q, hdr, m, o);
	else
		out_packet(q, o, m);
}

/* What waits from earlier bursts goes out first, in order. */
static void drain_backlog(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct tx_out *o)
{
	if (q->gso.m)
		gso_drain(q, o);
	while (!q->gso.m && q->ovf.head < q->ovf.n && o->cnt < o->n) {
		uint8_t i = q->ovf.head++;

		if (q->ovf.super & (1ull << i)) {
			q->ovf.super &= ~(1ull << i);
			gso_begin(dev, q, &q->ovf.hdr[i], q->ovf.m[i], o);
		} else {
			out_packet(q, o, q->ovf.m[i]);
		}
	}
	if (q->ovf.head == q->ovf.n)
		q->ovf.head = q->ovf.n = 0;
}

void vdn_net_tx_ovf_free(struct vdn_net_qp *q)
{
	for (uint8_t i = q->ovf.head; i < q->ovf.n; i++)
		rte_pktmbuf_free(q->ovf.m[i]);
	q->ovf.head = q->ovf.n = 0;
	q->ovf.super = 0;
}

/* A common chain popped by a batch: one readable buffer, header + frame. */
struct tx_slot {
	const uint8_t *buf;
	uint32_t len;
	uint16_t head;
};

/*
 * Turn a slot's bytes into a packet in `m`, whose data room holds the frame
 * (batchable() checked it), and give the chain back.  Returns false, `m`
 * unused, when the chain was dropped (and counted).
 */
static bool take_frame(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct tx_out *o,
		       const struct tx_slot *s, struct rte_mbuf *m)
{
	struct vdn_vq *r = &q->tx.ring;
	struct virtio_net_hdr_v1 hdr;
	uint32_t plen = s->len > VDN_NET_HDR_LEN ? s->len - VDN_NET_HDR_LEN : 0;
	bool gso;

	if (plen < RTE_ETHER_HDR_LEN) {
		q->st.drop[VDN_NET_DROP_BAD_HDR]++;
		vdn_vq_push(r, s->head, 0);
		return false;
	}
	memcpy(&hdr, s->buf, sizeof(hdr));
	rte_memcpy(rte_pktmbuf_mtod(m, void *), s->buf + VDN_NET_HDR_LEN, plen);
	/* the copy is ours: the driver may have its buffer back */
	vdn_vq_push(r, s->head, 0);
	gso = hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE;
	/* a TSO frame's limit applies to each of its segments */
	if (plen > (gso ? VDN_NET_GSO_MAX_FRAME : q->max_pkt)) {
		q->st.drop[VDN_NET_DROP_TOO_BIG]++;
		return false;
	}
	m->data_len = (uint16_t)plen;
	m->pkt_len = plen;
	if (gso) {
		emit(dev, q, o, m, &hdr);
		return true;
	}
	if (hdr.flags && tx_csum(dev, q, &hdr, m) < 0) {
		q->st.drop[VDN_NET_DROP_BAD_HDR]++;
		rte_pktmbuf_free(m);
		return true; /* m is gone */
	}
	emit(dev, q, o, m, NULL);
	return true;
}

/* One popped chain: is it the common shape a batch takes? */
static inline bool batchable(const struct vdn_chain *c, uint32_t room)
{
	return c->n_out == 1 && !c->n_in && c->out_len <= VDN_NET_HDR_LEN + room;
}

/* Frame bytes to prefetch: the header and the start of the frame. */
static inline void prefetch_frame(const struct vdn_chain *c)
{
	const uint8_t *p = c->iov[0].base;

	rte_prefetch0(p);
	if (c->iov[0].len > RTE_CACHE_LINE_SIZE)
		rte_prefetch0(p + RTE_CACHE_LINE_SIZE);
}

/* Pop a TX chain into `c`, accounted: 1 a chain; 0 none (the ring is empty
 * or broken, said once); -EBADMSG a malformed one, counted and already
 * handed back by lib/vring, so nothing popped before it can be rewound. */
static inline int tx_pop(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct vdn_chain *c)
{
	int rc = vdn_vq_pop(&q->tx.ring, c);

	if (rc == -EBADMSG) {
		q->st.drop[VDN_NET_DROP_BAD_CHAIN]++;
		bad_chain(q, c);
		return rc;
	}
	if (unlikely(rc == -EIO))
		vq_broken(dev, q, &q->tx);
	return rc > 0;
}

enum batch_end { BATCH_MORE, BATCH_STOP, BATCH_GENERAL };

/*
 * Pop, prefetch and copy a batch of common chains.  `c` is scratch and
 * holds, on BATCH_GENERAL, nothing: the chain that is not common was given
 * back (it was the last pop) for the general path to take.
 */
static enum batch_end tx_batch(struct vdn_net_dev *dev, struct vdn_net_qp *q,
			       struct tx_out *o, struct vdn_chain *c)
{
	struct vdn_vq *r = &q->tx.ring;
	struct rte_mbuf *mb[VDN_NET_TX_BATCH];
	struct tx_slot s[VDN_NET_TX_BATCH];
	uint32_t room = rte_pktmbuf_data_room_size(o->mp) - RTE_PKTMBUF_HEADROOM;
	unsigned int want = RTE_MIN(o->n - o->cnt, VDN_NET_TX_BATCH), got, k = 0, used = 0;
	enum batch_end end = BATCH_MORE;
	/* the first pop says whether there is anything, before any mbuf */
	int rc = tx_pop(dev, q, c);

	if (rc <= 0)
		return rc ? BATCH_MORE : BATCH_STOP;
	if (!batchable(c, room)) {
		vdn_vq_unpop(r, 1);
		return BATCH_GENERAL;
	}
	prefetch_frame(c);
	/* Every mbuf of the batch at once; short of that, as many as the
	 * pool has, down to one: the chains stay in the ring otherwise. */
	for (got = want; got; got /= 2)
		if (rte_pktmbuf_alloc_bulk(o->mp, mb, got) == 0)
			break;
	if (!got) {
		vdn_vq_unpop(r, 1);
		q->st.drop[VDN_NET_DROP_NO_MBUF]++;
		return BATCH_STOP;
	}
	s[k++] = (struct tx_slot){ .buf = c->iov[0].base, .len = c->iov[0].len, .head = c->head };
	while (k < got) {
		rc = tx_pop(dev, q, c);
		if (rc < 0)
			continue; /* nothing before it needs rewinding */
		if (rc == 0) {
			end = BATCH_STOP;
			break;
		}
		if (!batchable(c, room)) {
			vdn_vq_unpop(r, 1);
			end = BATCH_GENERAL;
			break;
		}
		prefetch_frame(c);
		s[k++] = (struct tx_slot){ .buf = c->iov[0].base, .len = c->iov[0].len, .head = c->head };
	}
	for (unsigned int i = 0; i < k; i++) {
		if (i + 1 < k)
			rte_prefetch0(rte_pktmbuf_mtod(mb[used + 1], void *));
		if (take_frame(dev, q, o, &s[i], mb[used]))
			used++;
	}
	if (used < got)
		rte_pktmbuf_free_bulk(mb + used, got - used);
	return end;
}

/* Build an mbuf (chain) holding the packet the chain carries after its
 * header (freed on failure). */
static struct rte_mbuf *chain_to_mbuf(const struct vdn_chain *c, uint32_t plen, struct rte_mempool *mp)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t off = 0;

	while (off < plen) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		uint32_t take = RTE_MIN(plen - off, (uint32_t)rte_pktmbuf_tailroom(m));

		vdn_iov_to_buf(c->iov, c->n_out, VDN_NET_HDR_LEN + off, rte_pktmbuf_mtod(m, void *), take);
		m->data_len = take;
		if (!head) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
		}
		last = m;
		off += take;
	}
	head->pkt_len = plen;
	return head;
}

/*
 * The driver's buffers as a read-only mbuf chain over guest memory, for
 * net_gso.c's readers (rte_pktmbuf_read and walking ->next): nothing is
 * allocated, nothing may be freed, and it lives only inside this burst, as
 * the translations it holds do.  Returns false if the chain has more
 * pieces than `max`.
 */
static bool chain_view(const struct vdn_chain *c, uint32_t plen, struct rte_mbuf *v, unsigned int max)
{
	unsigned int k = 0;
	uint32_t skip = VDN_NET_HDR_LEN;

	for (unsigned int i = 0; i < c->n_out; i++) {
		const uint8_t *p = c->iov[i].base;
		uint32_t len = c->iov[i].len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		p += skip;
		len -= skip;
		skip = 0;
		while (len) {
			/* data_len is 16 bits */
			uint32_t take = RTE_MIN(len, (uint32_t)32768);

			if (k == max)
				return false;
			memset(&v[k], 0, sizeof(v[k]));
			v[k].buf_addr = (void *)(uintptr_t)p;
			v[k].buf_len = (uint16_t)take;
			v[k].data_len = (uint16_t)take;
			v[k].nb_segs = 1;
			if (k)
				v[k - 1].next = &v[k];
			k++;
			p += take;
			len -= take;
		}
	}
	if (!k)
		return false;
	v[0].pkt_len = plen;
	v[0].nb_segs = (uint16_t)k;
	return true;
}

/* Pieces of a chain a TSO frame is cut from in place: Linux posts its
 * linear part and up to 17 page fragments. */
#define VIEW_MAX 24

enum cut { CUT_DONE, CUT_NO_MBUF, CUT_COPY };

/*
 * Cut a TSO frame into its segments straight from the driver's buffers,
 * all in this burst, saving the copy into a super-frame mbuf.  CUT_COPY:
 * not cut (too many segments or pieces for one go), take the copying path;
 * CUT_NO_MBUF: the pool cannot hold them all now, nothing was taken.
 * Malformed frames are dropped here (CUT_DONE).
 */
static enum cut cut_in_place(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct tx_out *o,
			     const struct vdn_chain *c, uint32_t plen,
			     const struct virtio_net_hdr_v1 *hdr)
{
	struct rte_mbuf view[VIEW_MAX], *segs[VDN_NET_TX_BACKLOG];
	uint8_t type = hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	struct vdn_net_gso g;
	int rc, got;

	if (!chain_view(c, plen, view, VIEW_MAX))
		return CUT_COPY;
	if ((type == VIRTIO_NET_HDR_GSO_TCPV4 && !dev->host_tso4) ||
	    (type == VIRTIO_NET_HDR_GSO_TCPV6 && !dev->host_tso6))
		rc = -EOPNOTSUPP;
	else
		rc = vdn_net_gso_parse(hdr, view, __atomic_load_n(&q->max_pkt, __ATOMIC_RELAXED),
				       &g);
	if (rc < 0) {
		q->st.drop[rc == -E2BIG ? VDN_NET_DROP_TOO_BIG : VDN_NET_DROP_BAD_HDR]++;
		return CUT_DONE;
	}
	if (g.nb_segs > VDN_NET_TX_BACKLOG)
		return CUT_COPY;
	got = vdn_net_gso_segment(view, &g, 0, o->mp, segs, g.nb_segs);
	if (got < 0) {
		/* this pool's mbufs cannot hold the headers: never will */
		q->st.drop[VDN_NET_DROP_TOO_BIG]++;
		return CUT_DONE;
	}
	if (got < g.nb_segs) {
		rte_pktmbuf_free_bulk(segs, (unsigned int)got);
		return CUT_NO_MBUF;
	}
	q->st.gso_segs += got;
	for (int i = 0; i < got; i++)
		emit(dev, q, o, segs[i], NULL);
	return CUT_DONE;
}

/*
 * Any other chain, one at a time.  Returns false when the burst must end:
 * the ring is empty or broken, or the pool is (the chain then stays in the
 * ring for the next burst).
 */
static bool tx_general(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct tx_out *o,
		       struct vdn_chain *c)
{
	struct vdn_vq *r = &q->tx.ring;
	struct virtio_net_hdr_v1 hdr;
	int rc = tx_pop(dev, q, c);

	if (rc <= 0)
		return rc < 0;
	/* transmit buffers are the device's to read only: a writable one is
	 * a driver bug, and sending what is readable of such a chain would
	 * put half-packets on the wire */
	if (unlikely(c->n_in)) {
		q->st.drop[VDN_NET_DROP_BAD_CHAIN]++;
		vdn_vq_push(r, c->head, 0);
		return true;
	}
	uint32_t plen = c->out_len > VDN_NET_HDR_LEN ? c->out_len - VDN_NET_HDR_LEN : 0;

	if (plen < RTE_ETHER_HDR_LEN) {
		q->st.drop[VDN_NET_DROP_BAD_HDR]++;
		vdn_vq_push(r, c->head, 0);
		return true;
	}
	vdn_iov_to_buf(c->iov, c->n_out, 0, &hdr, sizeof(hdr));

	bool gso = hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE;

	if (plen > (gso ? VDN_NET_GSO_MAX_FRAME : q->max_pkt)) {
		q->st.drop[VDN_NET_DROP_TOO_BIG]++;
		vdn_vq_push(r, c->head, 0);
		return true;
	}
	/* a port that segments takes the frame whole: copy it into a chain */
	if (gso && !port_tso(dev)) {
		enum cut cut = cut_in_place(dev, q, o, c, plen, &hdr);

		if (cut == CUT_NO_MBUF) {
			/* as below: the frame waits in the ring for the pool */
			vdn_vq_unpop(r, 1);
			q->st.drop[VDN_NET_DROP_NO_MBUF]++;
			return false;
		}
		if (cut == CUT_DONE) {
			vdn_vq_push(r, c->head, 0);
			return true;
		}
	}
	struct rte_mbuf *m = chain_to_mbuf(c, plen, o->mp);

	if (!m) {
		/* leave the packet in the ring: the pool refills as the port
		 * transmits, and we retry on the next burst */
		vdn_vq_unpop(r, 1);
		q->st.drop[VDN_NET_DROP_NO_MBUF]++;
		return false;
	}
	vdn_vq_push(r, c->head, 0);
	if (gso) {
		emit(dev, q, o, m, &hdr);
		return true;
	}
	if (tx_csum(dev, q, &hdr, m) < 0) {
		rte_pktmbuf_free(m);
		q->st.drop[VDN_NET_DROP_BAD_HDR]++;
		return true;
	}
	emit(dev, q, o, m, NULL);
	return true;
}

uint16_t vdn_net_dequeue_burst(struct vdn_net_dev *dev, uint16_t qp, struct rte_mempool *mp,
			       struct rte_mbuf **pkts, uint16_t n)
{
	struct tx_out o = { .pkts = pkts, .n = n, .mp = mp };
	struct vdn_chain c;
	struct vdn_net_qp *q;

	if (unlikely(qp >= dev->max_qp))
		return 0;
	q = &dev->qp[qp];
	if (unlikely(!vq_enter(&q->tx)))
		return 0;
	drain_backlog(dev, q, &o);
	/* with something still waiting, the burst or the pool is full */
	while (o.cnt < n && !backlog(q)) {
		enum batch_end end = tx_batch(dev, q, &o, &c);

		if (end == BATCH_STOP)
			break;
		/* the chain the batch stopped at waits in the ring while the
		 * batch's packets fill the burst or wait: q->ovf has room for
		 * what tx_general() emits only when nothing waits */
		if (end == BATCH_GENERAL && (o.cnt == n || backlog(q)))
			break;
		if (end == BATCH_GENERAL && !tx_general(dev, q, &o, &c))
			break;
	}
	vq_leave(dev, q, &q->tx);
	return o.cnt;
}
