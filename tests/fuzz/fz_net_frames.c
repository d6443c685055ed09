/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_net_dev: the frames the driver posts on its TX queue and the RX
 * buffers it offers, from the input, and the packets the host enqueues. */
#include <endian.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fz_arena.h"
#include "fz_net.h"

/* the frame being built, header included */
static uint8_t fb[MAX_FRAME];

/* ---- TX --------------------------------------------------------------- */

/* A well-formed TCP frame behind its virtio_net_hdr in fb: IPv4 or IPv6,
 * up to two VLAN tags, TCP options; TSO (gso set) or a partial checksum
 * only.  Returns its length (header included). */
uint32_t fz_net_build_tcp(struct in *in, bool v6, bool gso)
{
	uint8_t f = u8(in);
	unsigned int vlans = f % 3, optlen = 4u * ((f >> 2) % 11);
	uint32_t l3 = 14 + 4 * vlans, l4 = l3 + (v6 ? 40 : 20), thl = 20 + optlen;
	uint32_t maxpay = 65535 - thl - (v6 ? 0 : 20), pay, mss;
	uint8_t *p = fb + HDR;
	struct virtio_net_hdr_v1 vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };

	if (gso) {
		pay = 1 + u16(in) % maxpay;
		mss = 1 + u16(in) % 9000;
		/* keep the segment count sane; tiny segments still happen */
		if (pay / mss > 512)
			mss = pay / 512 + 1;
	} else {
		pay = u16(in) % 1500;
		mss = 0;
	}
	memset(fb, 0, HDR + l4 + thl);
	memset(p, 0x02, 12);
	p[5] = u8(in);
	/* intact TSO frames are followed out (check_tso) */
	fz_net.tracked = gso && !(f & 0x40) && fz_net.next_seq < MAX_SEQ;
	if (fz_net.tracked) {
		uint32_t seq = fz_net.next_seq++;

		memcpy(p + 1, &seq, 4);
		memcpy(p + 6, fz_net_tso_marker, sizeof(fz_net_tso_marker));
		fz_net.tso[seq].pay = pay;
		fz_net.tso[seq].mss = (uint16_t)mss;
		fz_net.tso[seq].hdr_len = (uint16_t)(l4 + thl);
		fz_net.tso[seq].l4 = (uint16_t)l4;
	}
	for (unsigned int i = 0; i < vlans; i++) {
		p[12 + 4 * i] = 0x81;
		p[15 + 4 * i] = (uint8_t)(i + 1);
	}
	p[l3 - 2] = v6 ? 0x86 : 0x08;
	p[l3 - 1] = v6 ? 0xdd : 0x00;
	if (v6) {
		struct rte_ipv6_hdr *ip = (void *)(p + l3);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(thl + pay));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		ip->src_addr[15] = 1;
		ip->dst_addr[15] = 2;
	} else {
		struct rte_ipv4_hdr *ip = (void *)(p + l3);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + thl + pay));
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000001);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	struct rte_tcp_hdr *th = (void *)(p + l4);

	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(u32(in));
	if (fz_net.tracked)
		fz_net.tso[fz_net.next_seq - 1].tcp_seq = rte_be_to_cpu_32(th->sent_seq);
	th->data_off = (uint8_t)((thl / 4) << 4);
	th->tcp_flags = (uint8_t)(RTE_TCP_ACK_FLAG | (u8(in) & 0xbf));
	th->rx_win = rte_cpu_to_be_16(512);
	th->cksum = v6 ? rte_ipv6_phdr_cksum((void *)(p + l3), 0)
		       : rte_ipv4_phdr_cksum((void *)(p + l3), 0);
	memcpy(p + l4 + thl, fz_net_pattern, pay);
	if (gso) {
		vh.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
		if (f & 0x80)
			vh.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
		vh.gso_size = htole16((uint16_t)mss);
	}
	vh.hdr_len = htole16((uint16_t)(l4 + thl));
	vh.csum_start = htole16((uint16_t)l4);
	vh.csum_offset = htole16(16);
	memcpy(fb, &vh, sizeof(vh));
	/* now and then one byte of the headers is off */
	if (f & 0x40) {
		uint8_t at = u8(in);

		fb[at % (HDR + l4 + thl)] ^= u8(in);
	}
	return HDR + l4 + thl + pay;
}

/* Raw bytes: the header and the start of the frame from the input, the
 * rest a pattern. */
uint32_t fz_net_build_raw(struct in *in, uint8_t flags)
{
	uint32_t len = flags & 1 ? u16(in) % MAX_FRAME : HDR + u16(in) % 1600;
	uint32_t from_in = RTE_MIN(len, HDR + 64u);

	for (uint32_t i = 0; i < from_in; i++)
		fb[i] = u8(in);
	/* only fz_net_post_many() frames carry the marker, wherever a chain cut
	 * short or long might start its packet */
	for (uint32_t i = 0; i + sizeof(fz_net_marker) <= from_in; i++)
		if (!memcmp(fb + i, fz_net_marker, sizeof(fz_net_marker)) ||
		    !memcmp(fb + i, fz_net_tso_marker, sizeof(fz_net_tso_marker)))
			fb[i] ^= 1;
	memcpy(fb + from_in, fz_net_pattern + from_in, len - from_in);
	return len;
}

/* Cut fb[0, len) at `buf` into a chain as the input says, and post it. */
void fz_net_post_tx(struct in *in, uint32_t len, uint8_t shape)
{
	struct drv_seg segs[24];
	unsigned int n = 1 + (shape & 3);
	uint64_t buf = fz_net_balloc(len, 8), table = UINT64_MAX;
	uint32_t off = 0;

	if (buf == UINT64_MAX)
		return;
	memcpy(arena_ptr(&fz_net.a, buf), fb, len);
	if (n == 4)
		n = 1 + u8(in) % RTE_DIM(segs);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t take = i + 1 == n ? len - off : (uint32_t)((uint64_t)(len - off) * u8(in) / 255);

		segs[i] = (struct drv_seg){ buf + off, take, false };
		off += take;
	}
	switch ((shape >> 4) & 3) {
	case 1: /* one writable descriptor: a driver bug on a TX queue */
		segs[u8(in) % n].write = true;
		break;
	case 2: /* one length off: 0, or well past the buffer or the arena */
	{
		uint8_t k = u8(in), how = u8(in);

		segs[k % n].len = how < 64 ? 0 : how < 128 ? segs[k % n].len + u16(in) : u32(in);
		break;
	}
	case 3: /* one address in the rings, in unused memory or past the arena;
		 * not in another chain's buffer, which fz_net_check_seq() could not
		 * tell from that chain's own packet */
	{
		uint8_t k = u8(in);
		uint32_t v = u32(in);

		segs[k % n].iova = v & 1 ? v % BUF_BASE
					  : ARENA_PLAY_IOVA + v % (2 * ARENA_SIZE - ARENA_PLAY_IOVA);
		break;
	}
	}
	if (shape & 4) {
		table = fz_net_balloc(16ull * n, 16);
		if (table == UINT64_MAX)
			return;
	}
	if (fz_net_post(1, segs, n, table) < 0 || table == UINT64_MAX || !(shape & 8))
		return;
	/* a table entry the driver got wrong: its length, flags or next (its
	 * address stays: see case 3 above) */
	uint8_t at = u8(in);

	((uint8_t *)arena_ptr(&fz_net.a, table))[16 * (at % n) + 8 + (at >> 5)] ^= u8(in);
}

/* Many common chains (one descriptor, header + a small frame) in a row,
 * so batches fill up.  Each is marked with a sequence number, and
 * fz_net_check_seq() follows them out: whole, unchanged, in order, once. */
void fz_net_post_many(struct in *in, uint8_t flags)
{
	unsigned int k = 1 + u8(in) % 64;
	uint16_t flen = (uint16_t)(60 + u8(in) * (flags & 1 ? 5 : 1));

	for (unsigned int i = 0; i < k && fz_net.next_seq < MAX_SEQ; i++) {
		uint32_t seq = fz_net.next_seq++;

		memset(fb, 0, HDR);
		memset(fb + HDR, 0x02, 6);
		memcpy(fb + HDR + 6, fz_net_marker, sizeof(fz_net_marker));
		memcpy(fb + HDR + 12, &seq, 4);
		memcpy(fb + HDR + 16, fz_net_pattern + seq % 251, flen - 16u);
		fz_net.seq_len[seq] = flen;
		if (fz_net_trace)
			fprintf(stderr, "  frame %u: %u bytes\n", seq, flen);
		/* bit 1: over several descriptors or an indirect table */
		fz_net_post_tx(in, HDR + flen, flags & 2 ? u8(in) & 7 : 0);
	}
}

/* ---- RX --------------------------------------------------------------- */

void fz_net_post_rx(struct in *in)
{
	unsigned int k = 1 + u8(in) % 8;

	for (unsigned int b = 0; b < k; b++) {
		uint8_t shape = u8(in);
		unsigned int n = 1 + shape % 3;
		struct drv_seg segs[3];
		uint64_t table = UINT64_MAX;

		for (unsigned int i = 0; i < n; i++) {
			uint8_t how = u8(in);
			uint32_t len = how < 100 ? 1 + how : how < 200 ? 1526 + 8 * (how - 100)
				     : how < 240 ? 65562u : how < 250 ? 0 : 0x1000000u * how;
			/* huge lengths claim more than is allocated: the
			 * device writes at most a packet's worth */
			uint64_t at = fz_net_balloc(RTE_MIN(len, 70000u), 8);

			if (at == UINT64_MAX)
				return;
			if (at + 70000 > fz_net.hi)
				fz_net.hi = RTE_MIN(at + 70000, (uint64_t)ARENA_SIZE);
			segs[i] = (struct drv_seg){ at, len, !(shape & 0x80) || i };
		}
		if (shape & 0x40) {
			table = fz_net_balloc(16ull * n, 16);
			if (table == UINT64_MAX)
				return;
		}
		fz_net_post(0, segs, n, table);
	}
}

struct rte_mbuf *fz_net_make_rx_pkt(struct in *in)
{
	uint8_t how = u8(in);
	uint32_t len, seg = how & 0x20 ? 1 + u8(in) * 8u : 2048;
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t done = 0;

	switch (how & 3) {
	case 0: len = u8(in) % 80; break;
	case 1: len = 60 + u16(in) % 1455; break;
	case 2: len = u16(in) % 9100; break;
	default: len = u16(in); break;
	}
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(fz_net_src_mp);

		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		uint32_t take = RTE_MIN(len - done, seg);

		take = RTE_MIN(take, (uint32_t)rte_pktmbuf_tailroom(m));
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)take);

		memcpy(p, fz_net_pattern + done, take);
		if (!head) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += take;
		}
		last = m;
		done += take;
	} while (done < len);
	if (len) {
		/* the destination: unicast, multicast or broadcast */
		uint8_t d = u8(in);
		uint8_t *p = rte_pktmbuf_mtod(head, uint8_t *);

		memset(p, d & 1 ? 0xff : 0x02, RTE_MIN(head->data_len, 6u));
	}
	if (how & 0x40)
		head->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	if (how & 0x80) {
		head->ol_flags |= RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_VLAN;
		head->vlan_tci = 5;
	}
	return head;
}

/*
 * A TCP flow's segments in a row, the kind receive coalescing merges:
 * IPv4 (DF, no options) or IPv6, ACK, timestamps or not, payload the
 * pattern from the sequence number on (rx_verify).  Per segment the input
 * may leave a hole before it, add flags, shorten it, break its IPv4 header
 * checksum, or leave its TCP checksum wrong without the port vouching.
 */
uint16_t fz_net_make_train(struct in *in, struct rte_mbuf **pkts, uint16_t max)
{
	uint8_t f = u8(in);
	bool v6 = f & 1;
	uint32_t l4 = RTE_ETHER_HDR_LEN + (v6 ? 40 : 20), thl = f & 2 ? 32 : 20, hl = l4 + thl;
	uint16_t want = (uint16_t)(1 + u8(in) % max), mss = (uint16_t)(1 + u16(in) % 1460), n = 0;
	uint32_t off = 0;

	while (n < want) {
		uint8_t mut = u8(in);
		uint32_t pay = mut & 4 ? 1u + u8(in) % mss : mss;
		struct rte_mbuf *m;
		uint8_t *p;

		if (mut & 1)
			off += 1 + u8(in) * 8u;
		if (off + pay > 60000)
			break;
		m = rte_pktmbuf_alloc(fz_net_src_mp);
		if (!m)
			break;
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + pay));
		memset(p, 0, hl);
		memset(p, 0x02, 12);
		p[11] = 0x01;
		p[12] = v6 ? 0x86 : 0x08;
		p[13] = v6 ? 0xdd : 0x00;
		if (v6) {
			struct rte_ipv6_hdr *ip = (void *)(p + RTE_ETHER_HDR_LEN);

			ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
			ip->payload_len = rte_cpu_to_be_16((uint16_t)(thl + pay));
			ip->proto = IPPROTO_TCP;
			ip->hop_limits = 64;
			ip->src_addr[15] = 1;
			ip->dst_addr[15] = 2;
		} else {
			struct rte_ipv4_hdr *ip = (void *)(p + RTE_ETHER_HDR_LEN);

			ip->version_ihl = 0x45;
			ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + thl + pay));
			ip->packet_id = rte_cpu_to_be_16(n);
			ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
			ip->time_to_live = 64;
			ip->next_proto_id = IPPROTO_TCP;
			ip->src_addr = rte_cpu_to_be_32(0x0a000002);
			ip->dst_addr = rte_cpu_to_be_32(0x0a000001);
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			if (mut & 0x10)
				ip->hdr_checksum ^= 1;
		}
		struct rte_tcp_hdr *th = (void *)(p + l4);

		th->src_port = rte_cpu_to_be_16(5201);
		th->dst_port = rte_cpu_to_be_16(40000);
		th->sent_seq = rte_cpu_to_be_32(TRAIN_SEQ + off);
		th->recv_ack = rte_cpu_to_be_32(77);
		th->data_off = (uint8_t)((thl / 4) << 4);
		th->tcp_flags = (uint8_t)(RTE_TCP_ACK_FLAG | (mut & 2 ? u8(in) & 0x3f : 0));
		th->rx_win = rte_cpu_to_be_16(512);
		if (thl > 20) {
			/* NOP NOP timestamps */
			p[l4 + 20] = 1;
			p[l4 + 21] = 1;
			p[l4 + 22] = 8;
			p[l4 + 23] = 10;
		}
		memcpy(p + hl, fz_net_pattern + off, pay);
		if (!(mut & 8))
			m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		else if (mut & 0x20)
			/* no word from the port, but a right checksum */
			th->cksum = v6 ? rte_ipv6_udptcp_cksum((void *)(p + RTE_ETHER_HDR_LEN), th)
				       : rte_ipv4_udptcp_cksum((void *)(p + RTE_ETHER_HDR_LEN), th);
		pkts[n++] = m;
		off += pay;
	}
	return n;
}
