/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive coalescing towards the driver (drivers/vduse_net/net_gro.c), on
 * real frames as they come off a wire (full checksums):
 *  - the plan: runs of IPv4 and IPv6 TCP segments merged, the merged
 *    headers and virtio_net_hdr checked field by field, the frame copied
 *    into odd-sized iovs and its payload compared byte for byte with the
 *    segments', its checksum completed as the driver would and verified;
 *  - what must not merge: other flows, holes, flags, bad checksums (also
 *    the port's word), header differences, VLAN, IP options/fragments,
 *    padding, sizes, the 64 KiB and segment limits, a disabled family;
 *  - through the device (vdn_net_enqueue_burst on a test transport): a
 *    merged frame spanning MRG_RXBUF buffers, order and counters kept with
 *    unmergeable packets in between, no merge without GUEST_TSO or with gro
 *    off, and a run the buffers cannot take merged delivered one by one.
 * Needs EAL for mbufs: runs with --no-huge --no-shconf.
 */
#include <errno.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <linux/virtio_config.h>

#include "check.h"
#include "net_private.h"
#include "vring_driver.h"

#define MSS 1448
#define OPT_LEN 12 /* NOP NOP timestamp */
#define SEQ0 0xffffd000u /* wraps inside the runs */
#define MAXF 100

static struct rte_mempool *mp;

/* How to vary one segment from the default. */
struct seg_spec {
	bool v6, vlan;
	uint32_t seq;
	uint32_t payload;
	uint8_t flags;      /* 0: ACK */
	uint16_t sport;     /* 0: 40000 */
	uint8_t ttl;        /* 0: 64 */
	uint8_t ts_last;    /* last timestamp byte */
	uint16_t frag;      /* IPv4 fragment_offset field; 0xffff: DF */
	bool no_df;         /* fragment_offset 0 */
	bool ip_opt;        /* IPv4 with 4 bytes of options */
	bool bad_csum;
	uint32_t pad;       /* Ethernet padding after the IP packet */
};

struct frame {
	uint8_t b[2048];
	uint32_t len, l3, l4, hdr_len;
};

/* Ethernet [+ VLAN] + IPv4|IPv6 + TCP (timestamps) + payload, checksums
 * complete; the payload byte at TCP sequence s is (s * 7 + s / 253). */
static void make(struct frame *f, const struct seg_spec *s)
{
	uint8_t *p = f->b;
	uint32_t off = 12, ihl = s->ip_opt ? 24 : 20;
	uint16_t et = rte_cpu_to_be_16(s->v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);

	memset(f, 0, sizeof(*f));
	memcpy(p, (uint8_t[]){ 0x02, 0, 0, 0, 0, 0x10 }, 6);
	memcpy(p + 6, (uint8_t[]){ 0x02, 0, 0, 0, 0, 0x20 }, 6);
	if (s->vlan) {
		uint16_t tpid = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN), tci = rte_cpu_to_be_16(7);

		memcpy(p + off, &tpid, 2);
		memcpy(p + off + 2, &tci, 2);
		off += 4;
	}
	memcpy(p + off, &et, 2);
	f->l3 = off + 2;
	f->l4 = f->l3 + (s->v6 ? 40 : ihl);
	f->hdr_len = f->l4 + 20 + OPT_LEN;
	f->len = f->hdr_len + s->payload;

	struct rte_tcp_hdr *th = (void *)(p + f->l4);

	th->src_port = rte_cpu_to_be_16(s->sport ? s->sport : 40000);
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(s->seq);
	th->recv_ack = rte_cpu_to_be_32(0x1234567);
	th->data_off = (20 + OPT_LEN) / 4 << 4;
	th->tcp_flags = s->flags ? s->flags : RTE_TCP_ACK_FLAG;
	th->rx_win = rte_cpu_to_be_16(1000);
	uint8_t *o = (uint8_t *)(th + 1);

	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	for (int i = 4; i < OPT_LEN; i++)
		o[i] = (uint8_t)(0x30 + i);
	o[OPT_LEN - 1] = s->ts_last;
	for (uint32_t i = 0; i < s->payload; i++) {
		uint32_t q = s->seq + i;

		p[f->hdr_len + i] = (uint8_t)(q * 7 + q / 253);
	}

	uint32_t sum;

	if (s->v6) {
		struct rte_ipv6_hdr *ip = (void *)(p + f->l3);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | 0xabcde);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(f->len - f->l4));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = s->ttl ? s->ttl : 64;
		for (int i = 0; i < 16; i++) {
			ip->src_addr[i] = (uint8_t)(0xfd + i);
			ip->dst_addr[i] = (uint8_t)(0x20 + i);
		}
		sum = rte_ipv6_phdr_cksum(ip, 0);
	} else {
		struct rte_ipv4_hdr *ip = (void *)(p + f->l3);

		ip->version_ihl = (uint8_t)(0x40 | ihl / 4);
		ip->total_length = rte_cpu_to_be_16((uint16_t)(f->len - f->l3));
		ip->packet_id = rte_cpu_to_be_16((uint16_t)(s->seq / 100));
		ip->fragment_offset = rte_cpu_to_be_16(s->no_df ? 0 : s->frag == 0xffff ? RTE_IPV4_HDR_DF_FLAG
								  : s->frag);
		ip->time_to_live = s->ttl ? s->ttl : 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000002);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000001);
		if (s->ip_opt)
			memset(p + f->l3 + 20, 1, 4); /* NOPs */
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		sum = rte_ipv4_phdr_cksum(ip, 0);
	}
	sum += rte_raw_cksum(p + f->l4, f->len - f->l4);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	th->cksum = (uint16_t)~sum;
	if (th->cksum == 0)
		th->cksum = 0xffff;
	if (s->bad_csum)
		th->cksum ^= 0x0100;
	memset(p + f->len, 0, s->pad);
	f->len += s->pad;
}

/* The frame as an mbuf chain of `chunk`-byte pieces (0: one piece). */
static struct rte_mbuf *to_mbuf(const struct frame *f, uint32_t chunk)
{
	struct rte_mbuf *head = NULL;

	if (!chunk)
		chunk = f->len;
	for (uint32_t off = 0; off < f->len; off += chunk) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t take = RTE_MIN(chunk, f->len - off);

		if (!m)
			break;
		memcpy(rte_pktmbuf_append(m, (uint16_t)take), f->b + off, take);
		if (!head)
			head = m;
		else
			rte_pktmbuf_chain(head, m);
	}
	return head;
}

static struct frame fr[MAXF];
static struct rte_mbuf *pk[MAXF];

/* n segments of a flow: payload MSS each, the last `last` bytes (0: MSS) */
static void flow(unsigned int n, bool v6, uint32_t last, uint32_t chunk)
{
	uint32_t seq = SEQ0;

	for (unsigned int i = 0; i < n; i++) {
		struct seg_spec s = { .v6 = v6, .seq = seq, .frag = 0xffff };

		s.payload = (i + 1 == n && last) ? last : MSS;
		make(&fr[i], &s);
		pk[i] = to_mbuf(&fr[i], chunk);
		seq += s.payload;
	}
}

static void put(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		rte_pktmbuf_free(pk[i]);
		pk[i] = NULL;
	}
}

static const struct vdn_net_gro_cfg both = { .v4 = true, .v6 = true, .max_segs = 64 };

/* Copy the merged frame out through vdn_net_gro_to_iov() in pieces the
 * size of driver buffers, each split over three odd-sized iovs. */
static uint32_t flatten(const struct vdn_net_gro_frame *f, struct rte_mbuf *const *pkts,
			uint8_t *out, uint32_t piece)
{
	uint32_t off = 0;

	while (off < f->len) {
		uint32_t want = RTE_MIN(piece, f->len - off), a = want / 3, b = want / 5;
		struct vdn_iov iov[3] = {
			{ out + off, a }, { out + off + a, b }, { out + off + a + b, want - a - b }
		};
		uint32_t got = vdn_net_gro_to_iov(f, pkts, off, iov, 3, 0, want);

		CHECK_EQ(got, want);
		if (got != want)
			return off;
		off += got;
	}
	return off;
}

/* The merged frame against its segments pkts[0 .. k): headers, lengths,
 * flags, checksum as the driver completes it, payload byte for byte. */
static void check_merged(const struct vdn_net_gro_frame *f, unsigned int k, bool v6, uint8_t flags)
{
	static uint8_t out[70000];
	const struct frame *a = &fr[0];
	uint32_t payload = 0;

	for (unsigned int i = 0; i < k; i++)
		payload += fr[i].len - fr[i].hdr_len;
	CHECK_EQ(f->nb_segs, k);
	CHECK_EQ(f->hdr_len, a->hdr_len);
	CHECK_EQ(f->len, a->hdr_len + payload);
	CHECK_EQ(f->mss, MSS);
	CHECK_EQ(f->vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(f->vh.gso_type, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(rte_le_to_cpu_16(f->vh.gso_size), MSS);
	CHECK_EQ(rte_le_to_cpu_16(f->vh.hdr_len), a->hdr_len);
	CHECK_EQ(rte_le_to_cpu_16(f->vh.csum_start), a->l4);
	CHECK_EQ(rte_le_to_cpu_16(f->vh.csum_offset), 16);
	CHECK_EQ(f->vh.num_buffers, 0);
	CHECK_EQ(flatten(f, pk, out, 1531), f->len);
	/* beyond the frame: nothing */
	struct vdn_iov iov = { out, 16 };

	CHECK_EQ(vdn_net_gro_to_iov(f, pk, f->len, &iov, 1, 0, 16), 0);

	/* headers: the first segment's but for lengths, IPv4 checksum, flags,
	 * TCP checksum */
	uint8_t want[VDN_NET_GRO_MAX_HDR];

	memcpy(want, a->b, a->hdr_len);
	if (v6) {
		uint16_t pl = rte_cpu_to_be_16((uint16_t)(f->len - a->l4));

		memcpy(want + a->l3 + 4, &pl, 2);
	} else {
		uint16_t tl = rte_cpu_to_be_16((uint16_t)(f->len - a->l3));
		const struct rte_ipv4_hdr *ip = (const void *)(out + a->l3);

		memcpy(want + a->l3 + 2, &tl, 2);
		memcpy(want + a->l3 + 10, &ip->hdr_checksum, 2);
		CHECK_EQ(rte_raw_cksum(ip, 20), 0xffff);
	}
	want[a->l4 + 13] = flags;
	memcpy(want + a->l4 + 16, out + a->l4 + 16, 2);
	CHECK(memcmp(out, want, a->hdr_len) == 0);

	/* NEEDS_CSUM: the field holds the pseudo-header sum; completing it
	 * over csum_start.. gives a checksum that verifies */
	uint16_t c = (uint16_t)~rte_raw_cksum(out + a->l4, f->len - a->l4);
	uint32_t sum;

	memcpy(out + a->l4 + 16, &c, 2);
	sum = rte_raw_cksum(out + a->l4, f->len - a->l4);
	sum += v6 ? rte_ipv6_phdr_cksum((const void *)(out + a->l3), 0)
		  : rte_ipv4_phdr_cksum((const void *)(out + a->l3), 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	CHECK_EQ(sum, 0xffff);

	/* payloads, concatenated */
	uint32_t at = a->hdr_len;
	bool same = true;

	for (unsigned int i = 0; i < k; i++) {
		uint32_t pl = fr[i].len - fr[i].hdr_len;

		same &= memcmp(out + at, fr[i].b + fr[i].hdr_len, pl) == 0;
		at += pl;
	}
	CHECK(same);
}

/* Segment i of the default flow replaced by one built from `s` (seq and
 * payload as the flow has them unless the spec sets them). */
static void replace(unsigned int i, struct seg_spec s)
{
	if (!s.seq)
		s.seq = SEQ0 + i * MSS;
	if (!s.payload)
		s.payload = MSS;
	if (!s.frag)
		s.frag = 0xffff;
	rte_pktmbuf_free(pk[i]);
	make(&fr[i], &s);
	pk[i] = to_mbuf(&fr[i], 0);
}

/* Segment i made an IPv4 packet of another protocol (header still valid). */
static void not_tcp(unsigned int i)
{
	struct rte_ipv4_hdr *ip = (void *)(fr[i].b + fr[i].l3);

	ip->next_proto_id = IPPROTO_UDP;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_pktmbuf_free(pk[i]);
	pk[i] = to_mbuf(&fr[i], 0);
}

static void test_merge_v4(void)
{
	struct vdn_net_gro_frame f;

	/* five full segments: one frame */
	flow(5, false, 0, 0);
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 5, &f), 5);
	check_merged(&f, 5, false, RTE_TCP_ACK_FLAG);
	put(5);
	/* a short last one ends it, its PSH kept */
	flow(4, false, 333, 0);
	replace(3, (struct seg_spec){ .payload = 333, .flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG });
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 4, &f), 4);
	check_merged(&f, 4, false, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
	put(4);
	/* chained mbufs with boundaries inside the headers and at odd offsets */
	flow(6, false, 1001, 37);
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 6, &f), 6);
	check_merged(&f, 6, false, RTE_TCP_ACK_FLAG);
	put(6);
	/* a single packet never is a frame */
	flow(1, false, 0, 0);
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 1, &f), 1);
	put(1);
}

static void test_merge_v6(void)
{
	struct vdn_net_gro_frame f;

	flow(7, true, 100, 0);
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 7, &f), 7);
	check_merged(&f, 7, true, RTE_TCP_ACK_FLAG);
	put(7);
	flow(3, true, 0, 61);
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 3, &f), 3);
	check_merged(&f, 3, true, RTE_TCP_ACK_FLAG);
	put(3);
	/* families as negotiated */
	const struct vdn_net_gro_cfg v4only = { .v4 = true, .max_segs = 64 };
	const struct vdn_net_gro_cfg v6only = { .v6 = true, .max_segs = 64 };

	flow(3, true, 0, 0);
	CHECK_EQ(vdn_net_gro_plan(&v4only, pk, 3, &f), 1);
	CHECK_EQ(vdn_net_gro_plan(&v6only, pk, 3, &f), 3);
	put(3);
	flow(3, false, 0, 0);
	CHECK_EQ(vdn_net_gro_plan(&v6only, pk, 3, &f), 1);
	put(3);
}

/* 6-segment flow with segment 3 replaced: how many merge from 0 */
static uint16_t with_third(struct seg_spec s)
{
	struct vdn_net_gro_frame f;
	uint16_t k;

	flow(6, s.v6, 0, 0);
	replace(3, s);
	k = vdn_net_gro_plan(&both, pk, 6, &f);
	put(6);
	return k;
}

static void test_no_merge_across(void)
{
	/* other flow, hole, retransmission */
	CHECK_EQ(with_third((struct seg_spec){ .sport = 40001 }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .seq = SEQ0 + 4 * MSS }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .seq = SEQ0 + 1 * MSS }), 3);
	/* header fields Linux's GRO compares */
	CHECK_EQ(with_third((struct seg_spec){ .ttl = 63 }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .ts_last = 9 }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .v6 = true, .ttl = 1 }), 3);
	/* larger than the first: never; shorter: ends the run, included */
	CHECK_EQ(with_third((struct seg_spec){ .payload = MSS + 1 }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .payload = 500 }), 4);
	/* flags: PSH ends the run, included; the rest go alone */
	CHECK_EQ(with_third((struct seg_spec){ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG }), 4);
	CHECK_EQ(with_third((struct seg_spec){ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_URG_FLAG }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_CWR_FLAG }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_ECE_FLAG }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .flags = RTE_TCP_SYN_FLAG }), 3);
	/* IP: no DF, a fragment, options, a VLAN tag, padding */
	CHECK_EQ(with_third((struct seg_spec){ .no_df = true }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .frag = 1 }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .frag = RTE_IPV4_HDR_DF_FLAG | RTE_IPV4_HDR_MF_FLAG }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .ip_opt = true }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .vlan = true }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .pad = 4 }), 3);
	/* checksums */
	CHECK_EQ(with_third((struct seg_spec){ .bad_csum = true }), 3);
	CHECK_EQ(with_third((struct seg_spec){ .v6 = true, .bad_csum = true }), 3);
}

static void test_first_alone(void)
{
	struct vdn_net_gro_frame f;
	const struct seg_spec bad[] = {
		{ .bad_csum = true },
		{ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG },
		{ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG },
		{ .no_df = true },
		{ .frag = RTE_IPV4_HDR_DF_FLAG | 8 }, /* a later fragment */
		{ .ip_opt = true },
		{ .vlan = true },
		{ .pad = 6 },
	};

	for (unsigned int b = 0; b < RTE_DIM(bad); b++) {
		flow(4, false, 0, 0);
		replace(0, bad[b]);
		CHECK_EQ(vdn_net_gro_plan(&both, pk, 4, &f), 1);
		/* the rest still merge, from the next packet on */
		CHECK_EQ(vdn_net_gro_plan(&both, pk + 1, 3, &f), 3);
		put(4);
	}
	/* a pure ACK (no payload) and a non-TCP packet */
	flow(3, false, 0, 0);
	rte_pktmbuf_free(pk[0]);
	make(&fr[0], &(struct seg_spec){ .seq = SEQ0, .payload = 0, .frag = 0xffff });
	pk[0] = to_mbuf(&fr[0], 0);
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 3, &f), 1);
	not_tcp(1);
	CHECK_EQ(vdn_net_gro_plan(&both, pk + 1, 2, &f), 1);
	put(3);

	/* the port's word: BAD is never merged, GOOD is believed */
	flow(3, false, 0, 0);
	pk[1]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 3, &f), 1);
	pk[1]->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
	pk[0]->ol_flags |= RTE_MBUF_F_RX_VLAN_STRIPPED;
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 3, &f), 1);
	pk[0]->ol_flags &= ~RTE_MBUF_F_RX_VLAN_STRIPPED;
	put(3);
	flow(3, false, 0, 0);
	rte_pktmbuf_mtod_offset(pk[2], uint8_t *, fr[2].l4 + 16)[0] ^= 0x40;
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 3, &f), 2);
	pk[2]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 3, &f), 3);
	put(3);
}

static void test_limits(void)
{
	struct vdn_net_gro_frame f;
	const struct vdn_net_gro_cfg four = { .v4 = true, .v6 = true, .max_segs = 4 };
	/* IPv4: 20 + 32 bytes of headers in the 16-bit total length */
	uint16_t fit4 = (uint16_t)((65535 - 52) / MSS);
	uint16_t fit6 = (uint16_t)((65535 - 32) / MSS);

	flow(MAXF, false, 0, 0);
	CHECK_EQ(vdn_net_gro_plan(&four, pk, MAXF, &f), 4);
	CHECK_EQ(vdn_net_gro_plan(&both, pk, MAXF, &f), fit4);
	check_merged(&f, fit4, false, RTE_TCP_ACK_FLAG);
	CHECK(f.len - RTE_ETHER_HDR_LEN <= 65535);
	/* the burst's end ends a run */
	CHECK_EQ(vdn_net_gro_plan(&both, pk, 9, &f), 9);
	put(MAXF);
	flow(MAXF, true, 0, 0);
	CHECK_EQ(vdn_net_gro_plan(&both, pk, MAXF, &f), fit6);
	check_merged(&f, fit6, true, RTE_TCP_ACK_FLAG);
	put(MAXF);
}

/* vdn_net_mbuf_cksum() (the sum net_gro.c verifies with, 8 bytes a load)
 * against DPDK's 16-bit rte_raw_cksum() on a flat copy: every length up to
 * 200 at every start offset up to 7, whole and chained at odd points. */
static void test_cksum(void)
{
	struct frame fl;
	bool same = true;

	for (uint32_t i = 0; i < sizeof(fl.b); i++)
		fl.b[i] = (uint8_t)(i * 151 + (i >> 3) * 7 + 0xa5);
	memset(fl.b + 300, 0xff, 300); /* carries everywhere */
	for (uint32_t chunk = 0; chunk <= 13; chunk += 13) {
		fl.len = 600;
		struct rte_mbuf *m = to_mbuf(&fl, chunk);

		for (uint32_t off = 0; off < 8; off++)
			for (uint32_t len = 0; len <= 200; len++) {
				same &= vdn_net_mbuf_cksum(m, off, len) == rte_raw_cksum(fl.b + off, len);
				same &= vdn_net_mbuf_cksum(m, 300 + off, len) ==
					rte_raw_cksum(fl.b + 300 + off, len);
			}
		rte_pktmbuf_free(m);
	}
	CHECK(same);
}

/* ---- through the device, on a transport of the test's own ---- */

#define DRIVER_OK                                                                          \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |  \
	 VIRTIO_CONFIG_S_DRIVER_OK)
#define HDR 12u
#define RING 256

struct tp {
	struct arena a;
	struct drv_ring r[2];
	uint64_t features;
};

static void *tp_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	return arena_xlate(&((struct tp *)ctx)->a, iova, len, access);
}

static int tp_vq_info(void *ctx, uint32_t index, struct vdn_net_vq_info *info)
{
	struct tp *t = ctx;
	struct vdn_vring_cfg cfg;

	if (index > 1)
		return 0;
	drv_cfg(&t->r[index], &cfg);
	memset(info, 0, sizeof(*info));
	info->num = cfg.num;
	info->desc_iova = cfg.desc_iova;
	info->avail_iova = cfg.avail_iova;
	info->used_iova = cfg.used_iova;
	info->ready = true;
	return 0;
}

static uint64_t tp_features(void *ctx)
{
	return ((struct tp *)ctx)->features;
}

static int tp_irq(void *ctx, uint32_t index)
{
	(void)ctx;
	(void)index;
	return 0;
}

static const struct vdn_net_transport_ops tp_ops = {
	.xlate = tp_xlate,
	.vq_info = tp_vq_info,
	.driver_features = tp_features,
	.vq_irq = tp_irq,
};

#define GUEST_TSO                                                                            \
	((1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) |             \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO6))

static struct tp t;

static struct vdn_net_dev *dev_up(uint64_t features, bool no_gro)
{
	struct vdn_net_opts o = { .sz = sizeof(o), .name = "g0", .no_gro = no_gro,
				  .features_off = 1ULL << VIRTIO_NET_F_CTRL_VQ };
	struct vdn_net_dev *dev = NULL;

	memset(&t, 0, sizeof(t));
	CHECK_EQ(arena_init(&t.a), 0);
	t.features = (1ULL << VIRTIO_F_VERSION_1) | features;
	CHECK_EQ(drv_init(&t.r[0], &t.a, RING, 0), 0);
	CHECK_EQ(drv_init(&t.r[1], &t.a, RING, 0), 0);
	CHECK_EQ(vdn_net_create_on(&o, &tp_ops, &t, &dev), 0);
	if (dev)
		CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);
	return dev;
}

static void dev_down(struct vdn_net_dev *dev)
{
	if (dev)
		CHECK_EQ(vdn_net_destroy(dev), 0);
	arena_fini(&t.a);
}

static uint64_t bufs[RING];

static void post(unsigned int n, uint32_t size)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t iova = arena_alloc(&t.a, size, 64);
		int id = drv_add(&t.r[0], &(struct drv_seg){ iova, size, true }, 1);

		CHECK(id >= 0 && id < RING);
		if (id >= 0 && id < RING)
			bufs[id] = iova;
	}
}

/* The next packet the driver receives (its buffers joined as virtio_net
 * does with MRG_RXBUF): the frame into out, its header into vh. */
static bool receive(struct virtio_net_hdr_v1 *vh, uint8_t *out, uint32_t *len)
{
	uint32_t id, l, at = 0;

	if (!drv_get_used(&t.r[0], &id, &l))
		return false;
	memcpy(vh, arena_ptr(&t.a, bufs[id]), HDR);
	memcpy(out, (uint8_t *)arena_ptr(&t.a, bufs[id]) + HDR, l - HDR);
	at = l - HDR;
	for (uint16_t b = 1; b < rte_le_to_cpu_16(vh->num_buffers); b++) {
		if (!drv_get_used(&t.r[0], &id, &l))
			return false;
		memcpy(out + at, arena_ptr(&t.a, bufs[id]), l);
		at += l;
	}
	*len = at;
	return true;
}

static void test_device(void)
{
	static uint8_t out[70000];
	struct virtio_net_hdr_v1 vh;
	struct vdn_net_q_stats st;
	struct vdn_net_dev *dev;
	uint32_t len;

	/* 8 segments, then a UDP-ish stranger, then 3 more of the flow: two
	 * frames and the stranger between them, in order */
	dev = dev_up(GUEST_TSO | (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	post(64, 1526);
	flow(12, false, 700, 0);
	not_tcp(8);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pk, 12), 12);
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(rte_le_to_cpu_16(vh.gso_size), MSS);
	CHECK_EQ(len, fr[0].hdr_len + 8 * MSS);
	CHECK(rte_le_to_cpu_16(vh.num_buffers) > 1);
	bool same = true;

	for (int i = 0; i < 8; i++)
		same &= memcmp(out + fr[0].hdr_len + i * MSS, fr[i].b + fr[i].hdr_len, MSS) == 0;
	CHECK(same);
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_EQ(len, fr[8].len);
	CHECK(memcmp(out, fr[8].b, len) == 0);
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(len, fr[9].hdr_len + 2 * MSS + 700);
	CHECK(memcmp(out + fr[9].hdr_len + 2 * MSS, fr[11].b + fr[11].hdr_len, 700) == 0);
	CHECK(!receive(&vh, out, &len));
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.rx_packets, 12);
	CHECK_EQ(st.gro_frames, 2);
	CHECK_EQ(st.gro_segs, 11);
	/* switched off at run time: one by one */
	vdn_net_set_gro(dev, false);
	CHECK(!vdn_net_gro(dev));
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pk, 3), 3);
	for (int i = 0; i < 3; i++) {
		CHECK(receive(&vh, out, &len));
		CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		CHECK_EQ(len, fr[i].len);
	}
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.gro_frames, 2);
	put(12);
	dev_down(dev);

	/* not negotiated (no GUEST_TSO4, or no GUEST_CSUM), or gro off from
	 * the start: never a GSO frame */
	const uint64_t feats[] = { (1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO6),
				   GUEST_TSO & ~(1ULL << VIRTIO_NET_F_GUEST_CSUM), GUEST_TSO };

	for (unsigned int c = 0; c < RTE_DIM(feats); c++) {
		dev = dev_up(feats[c] | (1ULL << VIRTIO_NET_F_MRG_RXBUF), c == 2);
		post(8, 2048);
		flow(4, false, 0, 0);
		CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pk, 4), 4);
		for (int i = 0; i < 4; i++) {
			CHECK(receive(&vh, out, &len));
			CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		}
		CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
		CHECK_EQ(st.gro_frames, 0);
		put(4);
		dev_down(dev);
	}

	/* without MRG_RXBUF a frame must fit one buffer: MTU-sized buffers
	 * cannot take it, so the segments go one by one, none lost */
	dev = dev_up(GUEST_TSO, false);
	post(5, 1600);
	flow(5, true, 0, 0);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pk, 5), 5);
	for (int i = 0; i < 5; i++) {
		CHECK(receive(&vh, out, &len));
		CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		CHECK_EQ(len, fr[i].len);
		CHECK(memcmp(out, fr[i].b, len) == 0);
	}
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.gro_frames, 0);
	CHECK_EQ(st.drop[VDN_NET_DROP_TOO_BIG], 0);
	/* big buffers (Linux's big_packets): merged into one */
	post(2, 65536 + 128);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pk, 5), 5);
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	CHECK_EQ(len, fr[0].hdr_len + 5 * MSS);
	put(5);
	dev_down(dev);

	/* with MRG_RXBUF but fewer buffers than the frame needs: as many
	 * segments as fit go alone, the rest are dropped for want of buffers
	 * as without GRO */
	dev = dev_up(GUEST_TSO | (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	post(3, 1600);
	flow(6, false, 0, 0);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pk, 6), 3);
	for (int i = 0; i < 3; i++) {
		CHECK(receive(&vh, out, &len));
		CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		CHECK_EQ(len, fr[i].len);
	}
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.drop[VDN_NET_DROP_NO_BUF], 3);
	CHECK_EQ(st.rx_packets, 3);
	put(6);
	dev_down(dev);
}

/* A frame as virtio_user hands in what the kernel sent it offloaded: the
 * TCP checksum left partial (the pseudo-header sum) and flagged NONE, and
 * for a TSO frame RX_LRO with the MSS in tso_segsz (0: not LRO). */
static struct rte_mbuf *offloaded(struct frame *f, bool v6, uint32_t payload, uint16_t mss)
{
	struct seg_spec s = { .v6 = v6, .seq = SEQ0, .frag = 0xffff, .payload = payload };
	struct rte_mbuf *m;
	uint16_t sum;

	make(f, &s);
	sum = v6 ? rte_ipv6_phdr_cksum((const void *)(f->b + f->l3), 0)
		 : rte_ipv4_phdr_cksum((const void *)(f->b + f->l3), 0);
	memcpy(f->b + f->l4 + 16, &sum, 2);
	m = to_mbuf(f, 700);
	if (m) {
		m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE | (mss ? RTE_MBUF_F_RX_LRO : 0);
		m->tso_segsz = mss;
	}
	return m;
}

/* A received TCP/IPv4 segment's checksum is complete and right. */
static bool tcp4_ok(const uint8_t *p, uint32_t len)
{
	const struct rte_ipv4_hdr *ip = (const void *)(p + 14);
	uint32_t sum = rte_ipv4_phdr_cksum(ip, 0) + rte_raw_cksum(p + 34, len - 34);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return rte_be_to_cpu_16(ip->total_length) == len - 14 && sum == 0xffff;
}

/* Frames the port hands in offloaded: to a driver with GUEST_TSO/CSUM with
 * the matching header, bytes as they came; to one without, finished here:
 * an LRO frame cut into checksummed segments, a partial checksum completed. */
static void test_device_offloaded(void)
{
	static uint8_t out[70000];
	static struct frame lro4, lro6, part;
	struct virtio_net_hdr_v1 vh;
	struct vdn_net_q_stats st;
	struct vdn_net_dev *dev;
	struct rte_mbuf *m[3];
	uint32_t len;

	dev = dev_up(GUEST_TSO | (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	post(16, 1526);
	m[0] = offloaded(&lro4, false, 1500, 500);
	m[1] = offloaded(&lro6, true, 1800, 600);
	m[2] = offloaded(&part, false, 300, 0);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, m, 3), 3);
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(rte_le_to_cpu_16(vh.gso_size), 500);
	CHECK_EQ(rte_le_to_cpu_16(vh.hdr_len), lro4.hdr_len);
	CHECK_EQ(rte_le_to_cpu_16(vh.csum_start), lro4.l4);
	CHECK_EQ(rte_le_to_cpu_16(vh.csum_offset), 16);
	CHECK(len == lro4.len && memcmp(out, lro4.b, len) == 0);
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	CHECK_EQ(rte_le_to_cpu_16(vh.gso_size), 600);
	CHECK_EQ(rte_le_to_cpu_16(vh.csum_start), lro6.l4);
	CHECK(len == lro6.len && memcmp(out, lro6.b, len) == 0);
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_EQ(rte_le_to_cpu_16(vh.csum_start), part.l4);
	CHECK(len == part.len && memcmp(out, part.b, len) == 0);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.lro_in, 2);
	CHECK_EQ(st.rx_packets, 3);
	CHECK_EQ(st.sw_csum, 0);
	rte_pktmbuf_free_bulk(m, 3);
	dev_down(dev);

	/* GUEST_CSUM without GUEST_TSO4: the IPv4 TSO frame is cut, the
	 * partial checksum still goes partial */
	dev = dev_up((1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
		     (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	post(16, 1526);
	m[0] = offloaded(&lro4, false, 1500, 500);
	m[1] = offloaded(&part, false, 300, 0);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, m, 2), 2);
	for (uint32_t k = 0; k < 3; k++) {
		CHECK(receive(&vh, out, &len));
		CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		CHECK_EQ(len, lro4.hdr_len + 500);
		CHECK(tcp4_ok(out, len));
		CHECK_EQ(rte_be_to_cpu_32(((const struct rte_tcp_hdr *)(out + lro4.l4))->sent_seq),
			 SEQ0 + 500 * k);
		CHECK_EQ(memcmp(out + lro4.hdr_len, lro4.b + lro4.hdr_len + 500 * k, 500), 0);
	}
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK(!receive(&vh, out, &len));
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.lro_in, 0);
	CHECK_EQ(st.rx_packets, 4);
	rte_pktmbuf_free_bulk(m, 2);
	dev_down(dev);

	/* no GUEST_CSUM at all: the partial checksum is completed here */
	dev = dev_up(1ULL << VIRTIO_NET_F_MRG_RXBUF, false);
	post(16, 1526);
	m[0] = offloaded(&part, false, 300, 0);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, m, 1), 1);
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.flags, 0);
	CHECK(len == part.len && tcp4_ok(out, len));
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.sw_csum, 1);
	rte_pktmbuf_free(m[0]);
	dev_down(dev);

	/* a NIC's LRO frame, checksum finished and verified (GOOD): the GSO
	 * header says partial, so the pseudo-header sum is put in its place;
	 * one flagged neither NONE nor GOOD cannot be vouched for: dropped */
	dev = dev_up(GUEST_TSO | (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	post(16, 1526);
	make(&lro4, &(struct seg_spec){ .seq = SEQ0, .frag = 0xffff, .payload = 1500 });
	m[0] = to_mbuf(&lro4, 0);
	m[0]->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	m[0]->tso_segsz = 500;
	m[1] = to_mbuf(&lro4, 0);
	m[1]->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN;
	m[1]->tso_segsz = 500;
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, m, 2), 1);
	CHECK(receive(&vh, out, &len));
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	uint16_t ph = rte_ipv4_phdr_cksum((const void *)(lro4.b + lro4.l3), 0);

	CHECK(len == lro4.len && memcmp(out + lro4.l4 + 16, &ph, 2) == 0);
	CHECK(!receive(&vh, out, &len));
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.drop[VDN_NET_DROP_BAD_HDR], 1);
	rte_pktmbuf_free_bulk(m, 2);
	dev_down(dev);
	/* every mbuf the cutting took went back */
	CHECK_EQ(rte_mempool_avail_count(mp), 2047);
}

int main(void)
{
	char *eal[] = { "test_gro", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed (this test needs root for EAL)\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("t", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL);
	if (!mp)
		return check_report();
	RUN(test_merge_v4);
	RUN(test_merge_v6);
	RUN(test_no_merge_across);
	RUN(test_first_alone);
	RUN(test_limits);
	RUN(test_cksum);
	RUN(test_device);
	RUN(test_device_offloaded);
	rte_eal_cleanup();
	return check_report();
}
