/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive coalescing towards the driver (GUEST_TSO4/6): consecutive TCP
 * segments of one flow in one enqueue burst become one virtio packet with a
 * GSO header, so the driver pays its per-packet costs (bounce buffer, skb,
 * GRO) once per run instead of once per MTU-sized frame.  Nothing is built
 * in mbufs: the plan says which packets go together and what the merged
 * headers are, and vdn_net_gro_to_iov() copies headers + payloads straight
 * into the driver's buffers.
 *
 * The merge rules are Linux's (inet_gro_receive, ipv6_gro_receive,
 * tcp_gro_receive) where they matter to the receiving stack, narrowed where
 * that is simpler and still safe:
 *  - Ethernet without VLAN tag, then IPv4 without options (ihl 5, DF set,
 *    no fragment, header checksum good, total length = frame) or IPv6
 *    without extension headers (payload length = frame), then TCP;
 *  - every byte of the headers equal to the first segment's except the IP
 *    lengths, the IPv4 id and checksum, the TCP sequence number, flags and
 *    checksum: same addresses, ports, TOS/TTL/flow label, ACK number,
 *    window, TCP options (timestamps included: Linux compares them too);
 *  - flags ACK only, PSH allowed on the last segment (it ends the run);
 *    anything else (SYN/FIN/RST/URG/CWR/ECE) goes alone;
 *  - sequence numbers consecutive, every payload the first one's size
 *    (gso_size) except a shorter last one;
 *  - the L4 checksum known good: the port said so, or it is verified here.
 *    The merged frame claims it (NEEDS_CSUM, as Linux's own GRO leaves a
 *    CHECKSUM_PARTIAL skb), so a segment with a bad or unverified checksum
 *    is never merged: it goes alone and the driver drops it.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "net_private.h"

#define IP4_OFF RTE_ETHER_HDR_LEN
#define IP4_HLEN ((uint32_t)sizeof(struct rte_ipv4_hdr))
#define IP6_HLEN ((uint32_t)sizeof(struct rte_ipv6_hdr))
#define TCP_HLEN ((uint32_t)sizeof(struct rte_tcp_hdr))
#define TCP_CSUM_OFF ((uint16_t)offsetof(struct rte_tcp_hdr, cksum))
#define TCP_FLAGS_OFF 13

/* One TCP segment as parsed. */
struct seg {
	const uint8_t *h;      /* its headers, contiguous: in the mbuf or tmp */
	uint8_t tmp[VDN_NET_GRO_MAX_HDR];
	uint32_t l4, hdr_len;  /* offsets: TCP header, payload */
	uint32_t payload;
	uint32_t seq;
	uint8_t flags;
	bool v6;
};

/* Is `m` a TCP segment that may take part in a merge?  Fills `s`. */
static bool parse(const struct vdn_net_gro_cfg *cfg, const struct rte_mbuf *m, struct seg *s)
{
	uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(s->tmp));
	const uint8_t *h;
	uint16_t et;

	/* a TSO frame or a partial checksum from the port goes with its own
	 * header (net_rxtx.c) */
	if (m->ol_flags & (RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_LRO) ||
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE)
		return false;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
	    (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return false;
	if (len < IP4_OFF + IP4_HLEN + TCP_HLEN)
		return false;
	h = rte_pktmbuf_read(m, 0, len, s->tmp);
	if (!h)
		return false;
	memcpy(&et, h + 12, 2);
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && cfg->v4) {
		const struct rte_ipv4_hdr *ip = (const void *)(h + IP4_OFF);

		if (ip->version_ihl != 0x45 || ip->next_proto_id != IPPROTO_TCP ||
		    rte_be_to_cpu_16(ip->total_length) != m->pkt_len - IP4_OFF ||
		    ip->fragment_offset != rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) ||
		    rte_raw_cksum(ip, IP4_HLEN) != 0xffff)
			return false;
		s->v6 = false;
		s->l4 = IP4_OFF + IP4_HLEN;
	} else if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) && cfg->v6) {
		const struct rte_ipv6_hdr *ip = (const void *)(h + IP4_OFF);

		if (len < IP4_OFF + IP6_HLEN + TCP_HLEN || (h[IP4_OFF] >> 4) != 6 ||
		    ip->proto != IPPROTO_TCP ||
		    rte_be_to_cpu_16(ip->payload_len) != m->pkt_len - IP4_OFF - IP6_HLEN)
			return false;
		s->v6 = true;
		s->l4 = IP4_OFF + IP6_HLEN;
	} else {
		return false;
	}

	const struct rte_tcp_hdr *th = (const void *)(h + s->l4);
	uint32_t thl = (uint32_t)(th->data_off >> 4) * 4;

	if (thl < TCP_HLEN || s->l4 + thl > len || s->l4 + thl >= m->pkt_len)
		return false; /* no payload: nothing to merge */
	s->flags = th->tcp_flags;
	if ((s->flags & ~(RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG)) || !(s->flags & RTE_TCP_ACK_FLAG))
		return false;
	s->h = h;
	s->hdr_len = s->l4 + thl;
	s->payload = m->pkt_len - s->hdr_len;
	s->seq = rte_be_to_cpu_32(th->sent_seq);
	return true;
}

/* Is the L4 checksum known good?  The port's word, else summed here. */
static bool csum_ok(const struct rte_mbuf *m, const struct seg *s)
{
	uint32_t sum;

	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	sum = s->v6 ? rte_ipv6_phdr_cksum((const void *)(s->h + IP4_OFF), 0)
		    : rte_ipv4_phdr_cksum((const void *)(s->h + IP4_OFF), 0);
	sum += vdn_net_mbuf_cksum(m, s->l4, m->pkt_len - s->l4);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Bytes [from, to) of both segments' headers are equal. */
static inline bool same(const struct seg *a, const struct seg *b, uint32_t from, uint32_t to)
{
	return memcmp(a->h + from, b->h + from, to - from) == 0;
}

/* Same flow and same headers apart from what a merge rewrites. */
static bool same_headers(const struct seg *a, const struct seg *b)
{
	uint32_t ip = IP4_OFF, l4 = a->l4;

	if (a->v6 != b->v6 || a->hdr_len != b->hdr_len || !same(a, b, 0, ip))
		return false;
	if (a->v6) {
		/* all but payload_len */
		if (!same(a, b, ip, ip + 4) || !same(a, b, ip + 6, l4))
			return false;
	} else {
		/* all but total_length, packet_id, hdr_checksum */
		if (!same(a, b, ip, ip + 2) || !same(a, b, ip + 6, ip + 10) ||
		    !same(a, b, ip + 12, l4))
			return false;
	}
	/* ports; ACK number, data offset; window; urgent pointer, options */
	return same(a, b, l4, l4 + 4) && same(a, b, l4 + 8, l4 + TCP_FLAGS_OFF) &&
	       same(a, b, l4 + 14, l4 + TCP_CSUM_OFF) && same(a, b, l4 + 18, a->hdr_len);
}

/* The merged frame's headers: the first segment's with the lengths of the
 * whole, the last segment's flags and the checksum left partial. */
static void build(const struct seg *first, uint8_t last_flags, uint32_t payload, uint16_t mss,
		  uint16_t nb, struct vdn_net_gro_frame *f)
{
	uint8_t *h = f->hdr;
	uint16_t phdr;

	memcpy(h, first->h, first->hdr_len);
	if (first->v6) {
		struct rte_ipv6_hdr *ip = (void *)(h + IP4_OFF);

		ip->payload_len = rte_cpu_to_be_16((uint16_t)(first->hdr_len - first->l4 + payload));
		phdr = rte_ipv6_phdr_cksum(ip, 0);
	} else {
		struct rte_ipv4_hdr *ip = (void *)(h + IP4_OFF);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(first->hdr_len - IP4_OFF + payload));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		phdr = rte_ipv4_phdr_cksum(ip, 0);
	}
	h[first->l4 + TCP_FLAGS_OFF] = last_flags;
	/* NEEDS_CSUM: the pseudo-header sum, as a partial checksum is left */
	memcpy(h + first->l4 + TCP_CSUM_OFF, &phdr, sizeof(phdr));

	memset(&f->vh, 0, sizeof(f->vh));
	f->vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	f->vh.gso_type = first->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	f->vh.gso_size = rte_cpu_to_le_16(mss);
	f->vh.hdr_len = rte_cpu_to_le_16((uint16_t)first->hdr_len);
	f->vh.csum_start = rte_cpu_to_le_16((uint16_t)first->l4);
	f->vh.csum_offset = rte_cpu_to_le_16(TCP_CSUM_OFF);
	f->hdr_len = first->hdr_len;
	f->len = first->hdr_len + payload;
	f->mss = mss;
	f->nb_segs = nb;
}

uint16_t vdn_net_gro_plan(const struct vdn_net_gro_cfg *cfg, struct rte_mbuf *const *pkts,
			  uint16_t n, struct vdn_net_gro_frame *f)
{
	struct seg first, next;
	uint16_t lim = RTE_MIN(cfg->max_segs, (uint16_t)VDN_NET_GRO_MAX_SEGS);
	uint16_t max = RTE_MIN(n, lim);
	uint32_t payload, l3_fixed, seq_next;
	uint8_t last_flags;
	uint16_t k;

	if (max < 2 || !parse(cfg, pkts[0], &first) || (first.flags & RTE_TCP_PSH_FLAG) ||
	    first.payload > UINT16_MAX)
		return 1;
	/* the merged frame's L3 length field (IPv6's leaves out its own
	 * header) must hold the headers and all payloads */
	l3_fixed = first.hdr_len - (first.v6 ? first.l4 : IP4_OFF);
	payload = first.payload;
	last_flags = first.flags;
	seq_next = first.seq + first.payload;
	for (k = 1; k < max; k++) {
		if (!parse(cfg, pkts[k], &next) || !same_headers(&first, &next) ||
		    next.seq != seq_next || next.payload > first.payload ||
		    l3_fixed + payload + next.payload > UINT16_MAX)
			break;
		/* checksums last, the only costly test; the first's only once
		 * there is something to merge it with */
		if (k == 1 && !csum_ok(pkts[0], &first))
			return 1;
		if (!csum_ok(pkts[k], &next))
			break;
		payload += next.payload;
		last_flags = next.flags;
		seq_next += next.payload;
		/* a short or pushed segment ends the run (Linux flushes it) */
		if (next.payload < first.payload || (next.flags & RTE_TCP_PSH_FLAG)) {
			k++;
			break;
		}
	}
	if (k < 2)
		return 1;
	build(&first, last_flags, payload, (uint16_t)first.payload, k, f);
	return k;
}

uint32_t vdn_net_gro_to_iov(const struct vdn_net_gro_frame *f, struct rte_mbuf *const *pkts,
			    uint32_t off, const struct vdn_iov *iov, unsigned int n, uint32_t ioff,
			    uint32_t len)
{
	uint32_t done = 0;

	if (off < f->hdr_len) {
		uint32_t take = RTE_MIN(len, f->hdr_len - off);

		done = (uint32_t)vdn_iov_from_buf(iov, n, ioff, f->hdr + off, take);
		if (done < take)
			return done;
	}
	while (done < len) {
		uint32_t pos = off + done - f->hdr_len;
		uint32_t j = pos / f->mss, in = pos % f->mss;

		if (j >= f->nb_segs)
			break;

		const struct rte_mbuf *m = pkts[j];
		uint32_t seg_len = m->pkt_len - f->hdr_len;

		if (in >= seg_len)
			break; /* past the short last segment: beyond the frame */

		uint32_t take = RTE_MIN(len - done, seg_len - in);
		uint32_t c = vdn_net_mbuf_to_iov(m, f->hdr_len + in, iov, n, ioff + done, take);

		done += c;
		if (c < take)
			break;
	}
	return done;
}
