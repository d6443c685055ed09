/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software TCP segmentation (drivers/vduse_net/net_gso.c): IPv4 and IPv6 TCP
 * super-frames as a virtio driver sends them with HOST_TSO (checksum partial,
 * NEEDS_CSUM, gso_size) are cut into finished segments: each checked field by
 * field against the original, both checksums verified independently, the
 * payloads concatenated back; malformed headers refused.
 * Needs EAL for mbufs: runs with --no-huge --no-shconf.
 */
#include <errno.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "check.h"
#include "net_private.h"

#define MAX_SEGS 128
#define MTU_FRAME (1500 + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN) /* what the device allows */
#define TCP_OPT_LEN 12 /* NOP NOP timestamp, as Linux sends */
#define SEQ0 0xfffff000u /* wraps within the first super-frame */
#define ID0 0xfffe       /* IPv4 id wraps too */

static struct rte_mempool *mp;

struct frame {
	uint8_t buf[70000];
	uint32_t len, l3, l4, hdr_len;
	struct virtio_net_hdr_v1 vh;
};

/* Ethernet [+ VLAN] + IPv4|IPv6 + TCP with options + payload, checksum
 * partial as a virtio driver leaves it for NEEDS_CSUM. */
static void make_frame(struct frame *f, bool v6, bool vlan, uint32_t payload, uint16_t mss,
		       uint8_t flags)
{
	uint8_t *p = f->buf;
	uint32_t off = 2 * RTE_ETHER_ADDR_LEN;
	uint16_t et = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);

	memset(f, 0, sizeof(*f));
	memset(p, 0x02, 6);
	memset(p + 6, 0x04, 6);
	if (vlan) {
		uint16_t tpid = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN), tci = rte_cpu_to_be_16(42);

		memcpy(p + off, &tpid, 2);
		memcpy(p + off + 2, &tci, 2);
		off += RTE_VLAN_HLEN;
	}
	memcpy(p + off, &et, 2);
	f->l3 = off + 2;
	f->l4 = f->l3 + (v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr));
	f->hdr_len = f->l4 + sizeof(struct rte_tcp_hdr) + TCP_OPT_LEN;
	f->len = f->hdr_len + payload;

	struct rte_tcp_hdr *th = (void *)(p + f->l4);

	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(SEQ0);
	th->recv_ack = rte_cpu_to_be_32(77);
	th->data_off = (uint8_t)(((sizeof(*th) + TCP_OPT_LEN) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(512);
	uint8_t *opt = (uint8_t *)(th + 1);

	opt[0] = 1;
	opt[1] = 1;
	opt[2] = 8;
	opt[3] = 10;
	for (int i = 4; i < TCP_OPT_LEN; i++)
		opt[i] = (uint8_t)(0x10 + i);
	for (uint32_t i = 0; i < payload; i++)
		p[f->hdr_len + i] = (uint8_t)(i * 13 + i / 251);

	if (v6) {
		struct rte_ipv6_hdr *ip = (void *)(p + f->l3);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | 0x12345);
		/* Linux leaves the super-frame's own length here: never trusted */
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(f->len - f->l4));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		for (int i = 0; i < 16; i++) {
			ip->src_addr[i] = (uint8_t)(0xfd + i);
			ip->dst_addr[i] = (uint8_t)(0xa0 + i);
		}
		th->cksum = rte_ipv6_phdr_cksum(ip, 0);
	} else {
		struct rte_ipv4_hdr *ip = (void *)(p + f->l3);

		ip->version_ihl = 0x45;
		ip->type_of_service = 0x02; /* ECT(0) */
		ip->total_length = rte_cpu_to_be_16((uint16_t)(f->len - f->l3));
		ip->packet_id = rte_cpu_to_be_16(ID0);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000001);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->cksum = rte_ipv4_phdr_cksum(ip, 0);
	}
	f->vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	f->vh.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	f->vh.gso_size = rte_cpu_to_le_16(mss);
	f->vh.hdr_len = rte_cpu_to_le_16((uint16_t)f->hdr_len);
	f->vh.csum_start = rte_cpu_to_le_16((uint16_t)f->l4);
	f->vh.csum_offset = rte_cpu_to_le_16(offsetof(struct rte_tcp_hdr, cksum));
}

/* The frame as an mbuf chain of `chunk`-byte pieces (odd sizes put
 * boundaries inside headers and at odd offsets). */
static struct rte_mbuf *to_mbuf(const struct frame *f, uint32_t chunk)
{
	struct rte_mbuf *head = NULL;

	for (uint32_t off = 0; off < f->len; off += chunk) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t take = RTE_MIN(chunk, f->len - off);

		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		memcpy(rte_pktmbuf_append(m, (uint16_t)take), f->buf + off, take);
		if (!head)
			head = m;
		else if (rte_pktmbuf_chain(head, m) < 0) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
	}
	return head;
}

static uint32_t fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

/* The TCP checksum over pseudo-header + segment, from the lengths in the
 * segment's own IP header: 0 when it is right. */
static int verify_tcp(const uint8_t *p, uint32_t l3, bool v6, uint32_t len)
{
	uint32_t sum;

	if (v6) {
		const struct rte_ipv6_hdr *ip = (const void *)(p + l3);
		uint32_t l4len = rte_be_to_cpu_16(ip->payload_len);

		if (l3 + sizeof(*ip) + l4len != len)
			return -1;
		sum = rte_raw_cksum(ip + 1, l4len) + rte_ipv6_phdr_cksum(ip, 0);
	} else {
		const struct rte_ipv4_hdr *ip = (const void *)(p + l3);
		uint32_t l4len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip);

		if (l3 + sizeof(*ip) + l4len != len)
			return -1;
		sum = rte_raw_cksum(ip + 1, l4len) + rte_ipv4_phdr_cksum(ip, 0);
	}
	return fold(sum) == 0xffff ? 0 : -1;
}

/* Check every segment against the original; returns the payload rebuilt. */
static void check_segments(const struct frame *f, bool v6, uint16_t mss, struct rte_mbuf **segs,
			   int n, uint8_t *rebuilt)
{
	uint32_t payload = f->len - f->hdr_len, at = 0;
	const struct rte_tcp_hdr *oth = (const void *)(f->buf + f->l4);
	uint8_t lin[16384];

	CHECK_EQ(n, (payload + mss - 1) / mss);
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *s = segs[i];
		uint32_t plen = RTE_MIN((uint32_t)mss, payload - at);

		CHECK_EQ(s->pkt_len, f->hdr_len + plen);
		CHECK(s->pkt_len <= sizeof(lin));
		if (s->pkt_len > sizeof(lin))
			continue;
		const uint8_t *p = rte_pktmbuf_read(s, 0, s->pkt_len, lin);
		const struct rte_tcp_hdr *th = (const void *)(p + f->l4);

		/* L2 and everything in TCP but seq/flags/cksum as sent */
		CHECK(memcmp(p, f->buf, f->l3) == 0);
		CHECK(memcmp(th, oth, 4) == 0);
		CHECK(memcmp(&th->recv_ack, &oth->recv_ack, 5) == 0); /* ack, data_off */
		CHECK(memcmp(&th->rx_win, &oth->rx_win, 2) == 0);
		CHECK(memcmp(th + 1, oth + 1, TCP_OPT_LEN) == 0);
		CHECK_EQ(rte_be_to_cpu_32(th->sent_seq), (uint32_t)(SEQ0 + at));

		uint8_t want = oth->tcp_flags;

		if (i + 1 < n)
			want &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		if (i > 0)
			want &= (uint8_t)~RTE_TCP_CWR_FLAG;
		CHECK_EQ(th->tcp_flags, want);
		if (v6) {
			const struct rte_ipv6_hdr *ip = (const void *)(p + f->l3);
			const struct rte_ipv6_hdr *oip = (const void *)(f->buf + f->l3);

			CHECK_EQ(rte_be_to_cpu_16(ip->payload_len), f->hdr_len - f->l4 + plen);
			CHECK(ip->vtc_flow == oip->vtc_flow && ip->proto == oip->proto &&
			      ip->hop_limits == oip->hop_limits);
			CHECK(memcmp(ip->src_addr, oip->src_addr, 32) == 0);
		} else {
			const struct rte_ipv4_hdr *ip = (const void *)(p + f->l3);
			const struct rte_ipv4_hdr *oip = (const void *)(f->buf + f->l3);

			CHECK_EQ(rte_be_to_cpu_16(ip->total_length), f->hdr_len - f->l3 + plen);
			CHECK_EQ(rte_be_to_cpu_16(ip->packet_id), (uint16_t)(ID0 + i));
			CHECK(ip->fragment_offset == oip->fragment_offset &&
			      ip->type_of_service == oip->type_of_service &&
			      ip->src_addr == oip->src_addr && ip->dst_addr == oip->dst_addr);
			CHECK_EQ(rte_raw_cksum(ip, sizeof(*ip)), 0xffff); /* header checksum valid */
		}
		CHECK_EQ(verify_tcp(p, f->l3, v6, s->pkt_len), 0);
		memcpy(rebuilt + at, p + f->hdr_len, plen);
		at += plen;
	}
}

static void free_all(struct rte_mbuf **segs, int n)
{
	for (int i = 0; i < n; i++)
		rte_pktmbuf_free(segs[i]);
}

/* One super-frame, segmented in pieces of `step` segments per call. */
static void run_case(bool v6, bool vlan, uint32_t payload, uint16_t mss, uint16_t step,
		     uint32_t chunk)
{
	static struct frame f;
	static uint8_t rebuilt[70000];
	struct rte_mbuf *segs[MAX_SEGS];
	struct vdn_net_gso g;
	int n = 0;

	make_frame(&f, v6, vlan, payload, mss,
		   RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG | RTE_TCP_CWR_FLAG);
	struct rte_mbuf *m = to_mbuf(&f, chunk);

	CHECK(m != NULL);
	if (!m)
		return;
	int nb = vdn_net_gso_parse(&f.vh, m, 9000 + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN, &g);

	CHECK_EQ(nb, (payload + mss - 1) / mss);
	CHECK_EQ(g.hdr_len, f.hdr_len);
	CHECK_EQ(g.l3_off, f.l3);
	CHECK_EQ(g.l4_off, f.l4);
	if (nb <= 0 || nb > MAX_SEGS) {
		rte_pktmbuf_free(m);
		return;
	}
	while (n < nb) {
		int got = vdn_net_gso_segment(m, &g, (uint16_t)n, mp, segs + n, step);

		int want = RTE_MIN((int)step, nb - n);

		CHECK_EQ(got, want);
		if (got <= 0)
			break;
		n += got;
	}
	/* asking past the end makes nothing */
	CHECK_EQ(vdn_net_gso_segment(m, &g, (uint16_t)nb, mp, segs, 4), 0);
	check_segments(&f, v6, mss, segs, n, rebuilt);
	CHECK(memcmp(rebuilt, f.buf + f.hdr_len, payload) == 0);
	uint32_t room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;

	/* one mbuf per segment whenever it fits (always at MTU 1500) */
	for (int i = 0; i < n; i++)
		CHECK_EQ(segs[i]->nb_segs, (segs[i]->pkt_len + room - 1) / room);
	free_all(segs, n);
	rte_pktmbuf_free(m);
}

static void test_ipv4_sizes(void)
{
	run_case(false, false, 1448 * 45, 1448, 32, 1900);    /* exact multiple, 64 KiB class */
	run_case(false, false, 1448 * 10 + 77, 1448, 4, 1333); /* remainder; odd chunking */
	run_case(false, false, 1000, 1448, 8, 1900);          /* a single, short segment */
	run_case(false, false, 1448, 1448, 1, 517);           /* a single, full segment */
	run_case(false, true, 65495 - 44 - 4, 1448, 64, 1900); /* VLAN, max IPv4 length */
	run_case(false, false, 20000, 536, 64, 1899);          /* small MSS: many segments */
}

static void test_ipv6_sizes(void)
{
	run_case(true, false, 1428 * 45, 1428, 32, 1900);
	run_case(true, false, 1428 * 7 + 1, 1428, 3, 1777);
	run_case(true, false, 1, 1428, 1, 1900);
	run_case(true, true, 65535 - 32, 1428, 50, 1900); /* VLAN, max payload_len */
}

/* MTU 9000: a segment outgrows one mbuf and is chained, still correct. */
static void test_jumbo_chained(void)
{
	run_case(false, false, 8948 * 3 + 5, 8948, 16, 1900);
	run_case(true, false, 8928 * 2, 8928, 16, 1900);
}

/* The pool runs dry mid-way: what was made is kept, the rest follows later. */
static void test_pool_dry(void)
{
	static struct frame f;
	struct rte_mempool *small = rte_pktmbuf_pool_create("small", 5, 0, 0,
							     RTE_MBUF_DEFAULT_BUF_SIZE,
							     SOCKET_ID_ANY);
	struct rte_mbuf *segs[16];
	struct vdn_net_gso g;

	CHECK(small != NULL);
	if (!small)
		return;
	make_frame(&f, false, false, 1448 * 8, 1448, RTE_TCP_ACK_FLAG);
	struct rte_mbuf *m = to_mbuf(&f, 1900);

	CHECK_EQ(vdn_net_gso_parse(&f.vh, m, MTU_FRAME, &g), 8);
	CHECK_EQ(vdn_net_gso_segment(m, &g, 0, small, segs, 8), 5);
	CHECK_EQ(vdn_net_gso_segment(m, &g, 5, small, segs + 5, 3), 0);
	free_all(segs, 2);
	CHECK_EQ(vdn_net_gso_segment(m, &g, 5, small, segs + 5, 3), 2);
	free_all(segs + 2, 5);
	CHECK_EQ(vdn_net_gso_segment(m, &g, 7, small, segs + 7, 3), 1);
	/* the last one is the last: FIN/PSH rules keyed on index, not on call */
	CHECK_EQ(rte_pktmbuf_pkt_len(segs[7]), f.hdr_len + 1448);
	free_all(segs + 7, 1);
	rte_pktmbuf_free(m);
	rte_mempool_free(small);
}

/* Mutate a good IPv4 (or IPv6) super-frame one way at a time. */
static int parse_mut(bool v6, void (*mut)(struct frame *), uint32_t max_frame)
{
	static struct frame f;
	struct vdn_net_gso g;

	/* the MSS of a 1500-byte MTU with timestamps */
	uint16_t mss = v6 ? 1428 : 1448;

	make_frame(&f, v6, false, mss * 3u, mss, RTE_TCP_ACK_FLAG);
	if (mut)
		mut(&f);
	struct rte_mbuf *m = to_mbuf(&f, 1900);
	int rc = m ? vdn_net_gso_parse(&f.vh, m, max_frame, &g) : -ENOMEM;

	rte_pktmbuf_free(m);
	return rc;
}

static void m_mss0(struct frame *f) { f->vh.gso_size = 0; }
static void m_start(struct frame *f) { f->vh.csum_start = rte_cpu_to_le_16(f->l4 + 1); }
static void m_start_ip(struct frame *f) { f->vh.csum_start = rte_cpu_to_le_16(f->l3); }
static void m_offset(struct frame *f) { f->vh.csum_offset = 6; }
static void m_no_csum(struct frame *f) { f->vh.flags = 0; }
static void m_hdrlen(struct frame *f) { f->vh.hdr_len = rte_cpu_to_le_16(f->len + 1); }
static void m_type2(struct frame *f) { f->vh.gso_type = 2; }
static void m_udp(struct frame *f) { f->vh.gso_type = VIRTIO_NET_HDR_GSO_UDP; }
static void m_uso(struct frame *f) { f->vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4; }
static void m_tunnel(struct frame *f) { f->vh.gso_type |= VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4; }
static void m_v6type(struct frame *f) { f->vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6; }
static void m_ecn(struct frame *f) { f->vh.gso_type |= VIRTIO_NET_HDR_GSO_ECN; }
static void m_ethertype(struct frame *f) { f->buf[12] = 0x88; f->buf[13] = 0xcc; }
static void m_doff(struct frame *f) { f->buf[f->l4 + 12] = 4 << 4; }
static void m_proto_udp(struct frame *f)
{
	f->buf[f->l3 + (f->l4 - f->l3 == 40 ? 6 : 9)] = IPPROTO_UDP;
}
static void m_ihl(struct frame *f) { f->buf[f->l3] = 0x44; }
static void m_ipver(struct frame *f) { f->buf[f->l3] ^= 0xf0; }
static void m_frag(struct frame *f) { f->buf[f->l3 + 6] |= 0x20; } /* MF */
static void m_v6ext(struct frame *f) { f->buf[f->l3 + 6] = 0; }    /* hop-by-hop */
static void m_nopayload(struct frame *f) { f->len = f->hdr_len; }
static void m_truncated(struct frame *f) { f->len = f->l4 + 10; }
static void m_hint_small(struct frame *f) { f->vh.hdr_len = 0; }
static void m_hint_linear(struct frame *f) { f->vh.hdr_len = rte_cpu_to_le_16(f->len); }
static void m_huge(struct frame *f)
{
	/* IPv4 total length cannot hold this: beyond the 64 KiB GSO limit */
	f->len = f->hdr_len + 65536;
}

static void test_malformed(void)
{
	for (int v6 = 0; v6 < 2; v6++) {
		CHECK_EQ(parse_mut(v6, NULL, MTU_FRAME), 3);
		CHECK_EQ(parse_mut(v6, m_mss0, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_start, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_start_ip, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_offset, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_no_csum, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_hdrlen, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_type2, MTU_FRAME), -EOPNOTSUPP);
		CHECK_EQ(parse_mut(v6, m_udp, MTU_FRAME), -EOPNOTSUPP);
		CHECK_EQ(parse_mut(v6, m_uso, MTU_FRAME), -EOPNOTSUPP);
		CHECK_EQ(parse_mut(v6, m_tunnel, MTU_FRAME), -EOPNOTSUPP);
		CHECK_EQ(parse_mut(v6, m_ecn, MTU_FRAME), 3); /* ECN is fine */
		CHECK_EQ(parse_mut(v6, m_ethertype, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_doff, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_proto_udp, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_ipver, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_nopayload, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_truncated, MTU_FRAME), -EINVAL);
		CHECK_EQ(parse_mut(v6, m_hint_small, MTU_FRAME), 3); /* hdr_len is a hint */
		CHECK_EQ(parse_mut(v6, m_hint_linear, MTU_FRAME), 3);
		/* MSS + headers exceed the frame of a 1400-byte MTU, or by one byte */
		CHECK_EQ(parse_mut(v6, NULL, 1400 + RTE_ETHER_HDR_LEN), -E2BIG);
		CHECK_EQ(parse_mut(v6, NULL, 1500 + RTE_ETHER_HDR_LEN - 1), -E2BIG);
		CHECK_EQ(parse_mut(v6, NULL, 1500 + RTE_ETHER_HDR_LEN), 3);
	}
	CHECK_EQ(parse_mut(false, m_v6type, MTU_FRAME), -EINVAL); /* TCPV6 on IPv4 */
	CHECK_EQ(parse_mut(false, m_ihl, MTU_FRAME), -EINVAL);
	CHECK_EQ(parse_mut(false, m_frag, MTU_FRAME), -EINVAL);
	CHECK_EQ(parse_mut(true, m_v6ext, MTU_FRAME), -EINVAL);
	CHECK_EQ(parse_mut(false, m_huge, MTU_FRAME), -E2BIG);
}

/* The net_hdr path still refuses GSO: only the TSO path takes it. */
static void test_hdr_path_refuses(void)
{
	static struct frame f;
	uint64_t n = 0;

	make_frame(&f, false, false, 3000, 1448, RTE_TCP_ACK_FLAG);
	struct rte_mbuf *m = to_mbuf(&f, 1900);

	CHECK_EQ(vdn_net_hdr_to_mbuf(&f.vh, m, &n), -EOPNOTSUPP);
	rte_pktmbuf_free(m);
}

#define PORT_TSO (RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
		  RTE_ETH_TX_OFFLOAD_MULTI_SEGS)

/* The frame's bytes, but for the TCP checksum field, as built. */
static void check_unchanged_but_csum(const struct frame *f, struct rte_mbuf *m)
{
	static uint8_t got[70000];
	const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, got);
	uint32_t cs = f->l4 + offsetof(struct rte_tcp_hdr, cksum);

	CHECK_EQ(m->pkt_len, f->len);
	CHECK(p && memcmp(p, f->buf, cs) == 0 && memcmp(p + cs + 2, f->buf + cs + 2, f->len - cs - 2) == 0);
}

/* A port that segments gets the super-frame whole, described as DPDK
 * wants it: TX_TCP_SEG, IPV4/IPV6, l2/l3/l4 lengths, tso_segsz, and the
 * pseudo-header sum without the length in the TCP checksum -- which plus
 * the L4 length is the driver's own sum again (what virtio_user adds back
 * for the kernel). */
static void test_tso_offload(void)
{
	static struct frame f;

	for (int v6 = 0; v6 < 2; v6++)
		for (int vlan = 0; vlan < 2; vlan++) {
			struct vdn_net_gso g;

			make_frame(&f, v6, vlan, 30000, 1400, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
			struct rte_mbuf *m = to_mbuf(&f, 2000);

			CHECK(m && m->nb_segs > 1);
			if (!m)
				continue;
			CHECK_EQ(vdn_net_gso_parse(&f.vh, m, MTU_FRAME, &g), 22);
			CHECK_EQ(vdn_net_tso_offload(&g, m, PORT_TSO), 0);
			CHECK_EQ(m->l2_len, f.l3);
			CHECK_EQ(m->l3_len, f.l4 - f.l3);
			CHECK_EQ(m->l4_len, f.hdr_len - f.l4);
			CHECK_EQ(m->tso_segsz, 1400);
			CHECK_EQ(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK,
				 RTE_MBUF_F_TX_TCP_SEG | (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4));
			check_unchanged_but_csum(&f, m);

			const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
			uint16_t cs, want, l4len = (uint16_t)(f.len - f.l4);

			memcpy(&cs, p + f.l4 + offsetof(struct rte_tcp_hdr, cksum), 2);
			want = v6 ? rte_ipv6_phdr_cksum((const void *)(f.buf + f.l3), RTE_MBUF_F_TX_TCP_SEG)
				  : rte_ipv4_phdr_cksum((const void *)(f.buf + f.l3), RTE_MBUF_F_TX_TCP_SEG);
			CHECK_EQ(cs, want);
			uint16_t drv;

			memcpy(&drv, f.buf + f.l4 + offsetof(struct rte_tcp_hdr, cksum), 2);
			CHECK_EQ(fold((uint32_t)cs + rte_cpu_to_be_16(l4len)), drv);
			rte_pktmbuf_free(m);
		}
}

/* What the port cannot take, or cannot be described to it, stays as it was
 * for the software path; a port that checksums IPv4 headers is asked to. */
static void test_tso_offload_refused(void)
{
	static struct frame f;
	struct vdn_net_gso g;
	struct rte_mbuf *m;

	make_frame(&f, false, false, 20000, 1448, RTE_TCP_ACK_FLAG);
	m = to_mbuf(&f, 2000);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(vdn_net_gso_parse(&f.vh, m, MTU_FRAME, &g) > 0);
	CHECK_EQ(vdn_net_tso_offload(&g, m, 0), -ENOTSUP);
	CHECK_EQ(vdn_net_tso_offload(&g, m, RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_MULTI_SEGS),
		 -ENOTSUP);
	CHECK_EQ(vdn_net_tso_offload(&g, m, RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS),
		 -ENOTSUP);
	/* chained, and the port takes only one segment per packet */
	CHECK_EQ(vdn_net_tso_offload(&g, m, PORT_TSO & ~RTE_ETH_TX_OFFLOAD_MULTI_SEGS), -ENOTSUP);
	CHECK_EQ(m->ol_flags, 0);
	check_unchanged_but_csum(&f, m);
	CHECK_EQ(memcmp(rte_pktmbuf_mtod(m, uint8_t *) + f.l4 + 16, f.buf + f.l4 + 16, 2), 0);
	rte_pktmbuf_free(m);

	/* headers split over segments: the port reads them from the first */
	m = to_mbuf(&f, 40);
	CHECK(m && vdn_net_gso_parse(&f.vh, m, MTU_FRAME, &g) > 0);
	CHECK_EQ(vdn_net_tso_offload(&g, m, PORT_TSO), -ENOTSUP);
	CHECK_EQ(m->ol_flags, 0);
	rte_pktmbuf_free(m);

	/* one segment, IPv4 header checksum offered too */
	make_frame(&f, false, false, 600, 200, RTE_TCP_ACK_FLAG);
	m = to_mbuf(&f, 2000);
	CHECK(m && m->nb_segs == 1 && vdn_net_gso_parse(&f.vh, m, MTU_FRAME, &g) == 3);
	CHECK_EQ(vdn_net_tso_offload(&g, m, RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
					    RTE_ETH_TX_OFFLOAD_IPV4_CKSUM), 0);
	CHECK_EQ(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK,
		 RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
	CHECK_EQ(((const struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + f.l3))->hdr_checksum, 0);
	rte_pktmbuf_free(m);
}

/* A partial TCP checksum (no GSO) left to the port: flags and lengths for
 * IPv4, IPv6 and behind a VLAN tag; the driver's pseudo-header sum (with
 * length, DPDK's contract for a plain L4 checksum) stays in place. */
static void test_csum_offload_tcp(void)
{
	static struct frame f;

	for (int v6 = 0; v6 < 2; v6++)
		for (int vlan = 0; vlan < 2; vlan++) {
			make_frame(&f, v6, vlan, 1000, 1448, RTE_TCP_ACK_FLAG);
			f.vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
			f.vh.gso_size = 0;
			struct rte_mbuf *m = to_mbuf(&f, 2000);

			CHECK(m != NULL);
			if (!m)
				continue;
			CHECK_EQ(vdn_net_csum_offload(&f.vh, m, RTE_ETH_TX_OFFLOAD_UDP_CKSUM), -ENOTSUP);
			CHECK_EQ(m->ol_flags, 0);
			CHECK_EQ(vdn_net_csum_offload(&f.vh, m, RTE_ETH_TX_OFFLOAD_TCP_CKSUM), 0);
			CHECK_EQ(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK,
				 RTE_MBUF_F_TX_TCP_CKSUM | (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4));
			CHECK_EQ(m->l2_len, f.l3);
			CHECK_EQ(m->l3_len, f.l4 - f.l3);
			CHECK_EQ(memcmp(rte_pktmbuf_mtod(m, uint8_t *), f.buf, f.len), 0);
			rte_pktmbuf_free(m);
		}
	/* a GSO header is the TSO path's, never a plain checksum */
	make_frame(&f, false, false, 3000, 1448, RTE_TCP_ACK_FLAG);
	struct rte_mbuf *m = to_mbuf(&f, 2000);

	CHECK_EQ(vdn_net_csum_offload(&f.vh, m, RTE_ETH_TX_OFFLOAD_TCP_CKSUM), -ENOTSUP);
	rte_pktmbuf_free(m);
	/* an IPv6 extension header: left to software */
	make_frame(&f, true, false, 1000, 1448, RTE_TCP_ACK_FLAG);
	f.vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	f.buf[f.l3 + 6] = 0; /* hop-by-hop */
	m = to_mbuf(&f, 2000);
	CHECK_EQ(vdn_net_csum_offload(&f.vh, m, RTE_ETH_TX_OFFLOAD_TCP_CKSUM), -ENOTSUP);
	rte_pktmbuf_free(m);
	/* headers split: the checksum field is not in the first segment */
	make_frame(&f, false, false, 1000, 1448, RTE_TCP_ACK_FLAG);
	f.vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	m = to_mbuf(&f, 40);
	CHECK_EQ(vdn_net_csum_offload(&f.vh, m, RTE_ETH_TX_OFFLOAD_TCP_CKSUM), -ENOTSUP);
	CHECK_EQ(m->ol_flags, 0);
	rte_pktmbuf_free(m);
}

int main(void)
{
	char *eal[] = { "test_gso", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed (this test needs root for EAL)\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("t", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL);
	if (!mp)
		return check_report();
	RUN(test_ipv4_sizes);
	RUN(test_ipv6_sizes);
	RUN(test_jumbo_chained);
	RUN(test_pool_dry);
	RUN(test_malformed);
	RUN(test_hdr_path_refuses);
	RUN(test_tso_offload);
	RUN(test_tso_offload_refused);
	RUN(test_csum_offload_tcp);
	/* every mbuf back: nothing leaked on any path */
	CHECK_EQ(rte_mempool_avail_count(mp), 1023);
	rte_eal_cleanup();
	return check_report();
}
