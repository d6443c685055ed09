/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_net_dev's oracle on what the device hands out: packets dequeued
 * from the TX queue and what it wrote into the RX buffers. */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fz_arena.h"
#include "fz_net.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A packet read back whole from the driver's RX buffers.  Either
 * fz_net_make_rx_pkt()'s pattern past the destination MAC, with no GSO, or a
 * fz_net_make_train() TCP segment, alone or coalesced (GUEST_TSO, when
 * negotiated): IP length right, payload the pattern from its sequence
 * number on, the GSO header as virtio asks.
 */
static void rx_verify(void)
{
	const struct virtio_net_hdr_v1 *vh = &fz_net.rx_vh;
	const uint8_t *p = fz_net.rx_pkt;
	uint32_t len = fz_net.rx_len, l4, hl, off;
	uint16_t et = len >= RTE_ETHER_HDR_LEN ? (uint16_t)(p[12] << 8 | p[13]) : 0;
	bool v6 = et == RTE_ETHER_TYPE_IPV6;

	FZ_ASSERT(vh->flags == 0 || vh->flags == VIRTIO_NET_HDR_F_DATA_VALID ||
		  (vh->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && vh->gso_type));
	if (vh->flags == VIRTIO_NET_HDR_F_DATA_VALID)
		FZ_ASSERT(fz_net.features & BIT(VIRTIO_NET_F_GUEST_CSUM));
	if (et != RTE_ETHER_TYPE_IPV4 && !v6) {
		FZ_ASSERT(vh->gso_type == VIRTIO_NET_HDR_GSO_NONE);
		FZ_ASSERT(len <= 6 || !memcmp(p + 6, fz_net_pattern + 6, len - 6));
		return;
	}
	l4 = RTE_ETHER_HDR_LEN + (v6 ? 40 : 20);
	FZ_ASSERT(len >= l4 + 20);
	hl = l4 + (p[l4 + 12] >> 4) * 4u;
	FZ_ASSERT(len >= hl);
	off = be32(p + l4 + 4) - TRAIN_SEQ;
	FZ_ASSERT(off < sizeof(fz_net_pattern) && len - hl <= sizeof(fz_net_pattern) - off);
	FZ_ASSERT(!memcmp(p + hl, fz_net_pattern + off, len - hl));
	if (v6)
		FZ_ASSERT((uint32_t)(p[18] << 8 | p[19]) == len - l4);
	else
		FZ_ASSERT((uint32_t)(p[16] << 8 | p[17]) == len - RTE_ETHER_HDR_LEN);
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return;
	FZ_ASSERT(vh->gso_type == (v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4));
	FZ_ASSERT(fz_net.features & BIT(v6 ? VIRTIO_NET_F_GUEST_TSO6 : VIRTIO_NET_F_GUEST_TSO4));
	FZ_ASSERT(vh->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
	FZ_ASSERT(le16toh(vh->csum_start) == l4 && le16toh(vh->csum_offset) == 16);
	/* two segments at least, the first gso_size long */
	FZ_ASSERT(le16toh(vh->gso_size) > 0 && len - hl > le16toh(vh->gso_size));
}

/* An RX buffer the device used: the first of a packet starts with the
 * header (num_buffers 1 without MRG_RXBUF); the packet is checked once its
 * last buffer is in. */
void fz_net_rx_check(uint32_t id, uint32_t len)
{
	static uint8_t buf[MAX_FRAME];
	const uint8_t *data = buf;
	uint32_t got = 0, dlen;

	if (!len) {
		/* a rejected chain, or a dropped packet's buffers: never
		 * inside a packet that made it */
		FZ_ASSERT(!fz_net.rx_left);
		return;
	}
	FZ_ASSERT(id < DRV_MAX_NUM && fz_net.rx_nseg[id] <= 3 && len <= sizeof(buf));
	for (unsigned int i = 0; i < fz_net.rx_nseg[id] && got < len; i++) {
		const struct drv_seg *sg = &fz_net.rx_seg[id][i];
		uint32_t take = RTE_MIN(sg->len, len - got);

		FZ_ASSERT(sg->write);
		memcpy(buf + got, arena_ptr(&fz_net.a, sg->iova), take);
		got += take;
	}
	FZ_ASSERT(got == len);
	if (!fz_net.rx_left) {
		uint16_t nb;

		FZ_ASSERT(len >= HDR);
		memcpy(&fz_net.rx_vh, buf, sizeof(fz_net.rx_vh));
		nb = le16toh(fz_net.rx_vh.num_buffers);
		FZ_ASSERT(nb >= 1 && (nb == 1 || (fz_net.features & BIT(VIRTIO_NET_F_MRG_RXBUF))));
		fz_net.rx_left = nb;
		fz_net.rx_len = 0;
		data = buf + HDR;
	}
	dlen = len - (uint32_t)(data - buf);
	FZ_ASSERT(fz_net.rx_len + dlen <= sizeof(fz_net.rx_pkt));
	memcpy(fz_net.rx_pkt + fz_net.rx_len, data, dlen);
	fz_net.rx_len += dlen;
	if (!--fz_net.rx_left)
		rx_verify();
}

void fz_net_check_pkt(const struct rte_mbuf *m)
{
	const struct rte_mbuf *s;
	uint32_t sum = 0;
	unsigned int n = 0;

	FZ_ASSERT(m != NULL);
	FZ_ASSERT(m->pool == fz_net_pools[POOL_BIG] || m->pool == fz_net_pools[POOL_FEW] ||
		  m->pool == fz_net_pools[POOL_TINY]);
	for (s = m; s; s = s->next) {
		FZ_ASSERT(rte_mbuf_refcnt_read(s) == 1);
		FZ_ASSERT((uint32_t)s->data_off + s->data_len <= s->buf_len);
		sum += s->data_len;
		FZ_ASSERT(++n <= 4096);
	}
	FZ_ASSERT(m->pkt_len == sum);
	FZ_ASSERT(m->nb_segs == n);
	FZ_ASSERT(m->pkt_len >= RTE_ETHER_HDR_LEN && m->pkt_len <= fz_net.max_pkt);
}

/* A segment of a marked TSO frame: in its turn (after everything posted
 * before the frame, before everything after it, the frame's segments in
 * order), with the right sequence number, length and payload. */
static void check_tso(const struct rte_mbuf *m, const uint8_t *p)
{
	uint32_t seq, tcp_seq, off;
	uint16_t k;

	memcpy(&seq, p + 1, 4);
	FZ_ASSERT(seq < fz_net.next_seq && fz_net.tso[seq].mss);
	if ((int64_t)seq != fz_net.last_seq) {
		FZ_ASSERT((int64_t)seq > fz_net.last_seq);
		FZ_ASSERT(!fz_net.tso_left);
		fz_net.last_seq = seq;
		fz_net.tso_left = (uint16_t)((fz_net.tso[seq].pay + fz_net.tso[seq].mss - 1) /
					     fz_net.tso[seq].mss);
		fz_net.tso_next = 0;
	}
	if (fz_net_trace)
		fprintf(stderr, "  tso frame %u segment %u: %u bytes\n", seq, fz_net.tso_next, m->pkt_len);
	FZ_ASSERT(fz_net.tso_left > 0);
	k = fz_net.tso_next++;
	fz_net.tso_left--;
	off = (uint32_t)k * fz_net.tso[seq].mss;
	FZ_ASSERT(m->pkt_len == fz_net.tso[seq].hdr_len + RTE_MIN((uint32_t)fz_net.tso[seq].mss,
							     fz_net.tso[seq].pay - off));
	memcpy(&tcp_seq, p + fz_net.tso[seq].l4 + 4, 4);
	FZ_ASSERT(rte_be_to_cpu_32(tcp_seq) == fz_net.tso[seq].tcp_seq + off);
	FZ_ASSERT(!memcmp(p + fz_net.tso[seq].hdr_len, fz_net_pattern + off,
			  m->pkt_len - fz_net.tso[seq].hdr_len));
}

/* A marked frame (post_many) comes out as it went in, after the ones
 * posted before it. */
void fz_net_check_seq(const struct rte_mbuf *m)
{
	static uint8_t lin[MAX_FRAME];
	const uint8_t *p;
	uint32_t seq;

	if (m->pkt_len < 16)
		return;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, lin);
	FZ_ASSERT(p != NULL);
	if (!memcmp(p + 6, fz_net_tso_marker, sizeof(fz_net_tso_marker))) {
		check_tso(m, p);
		return;
	}
	if (memcmp(p + 6, fz_net_marker, sizeof(fz_net_marker)))
		return;
	/* nothing overtakes a super-frame's segments */
	FZ_ASSERT(!fz_net.tso_left);
	memcpy(&seq, p + 12, 4);
	if (fz_net_trace)
		fprintf(stderr, "  frame %u: %u bytes (posted %u)\n", seq, m->pkt_len,
			seq < fz_net.next_seq ? fz_net.seq_len[seq] : 0);
	FZ_ASSERT(seq < fz_net.next_seq);
	FZ_ASSERT((int64_t)seq > fz_net.last_seq);
	fz_net.last_seq = seq;
	FZ_ASSERT(m->pkt_len == fz_net.seq_len[seq]);
	FZ_ASSERT(p[0] == 0x02 && p[5] == 0x02);
	FZ_ASSERT(!memcmp(p + 16, fz_net_pattern + seq % 251, m->pkt_len - 16));
}
