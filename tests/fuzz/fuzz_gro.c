/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: receive coalescing (drivers/vduse_net/net_gro.c),
 * vdn_net_gro_plan() then vdn_net_gro_to_iov() in input-chosen pieces,
 * over a burst of packets built from one input-chosen header: each gets
 * its own payload and, as the input says, its lengths, sequence number and
 * checksums made consistent (so that merges happen) and a byte poked
 * afterwards (so that they must not).  Each mbuf segment is an external
 * buffer malloc()ed to its exact length: reading outside a packet is an
 * ASan finding.
 *
 * Oracle, whenever a run of k >= 2 is planned: every packet in it carries
 * a TCP checksum that verifies (checked here independently) unless the
 * port vouched for it, consecutive sequence numbers, the same header bytes
 * as the first but for the fields a merge rewrites, ACK (+PSH last only);
 * all but the last are gso_size long, the last no longer; the frame's L3
 * length fits 16 bits; the copy out is exactly header + payloads, byte for
 * byte, and nothing past the frame; completing the partial checksum over
 * it verifies.
 *
 * Input: 4 bytes (packets, cfg, piece, chunk), 5 per packet (length,
 * control, poke offset and value), the header length and header, then
 * payload bytes (cycled).
 */
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "fz_arena.h"
#include "fz_mbuf.h"
#include "net_private.h"

#define MAXP 16
#define MAX_PAYLOAD 2000
#define PKT_MAX (128 + MAX_PAYLOAD)

enum { FIX_LEN = 1, FIX_SEQ = 2, FIX_IPSUM = 4, FIX_TCPSUM = 8, PORT_GOOD = 16, PORT_BAD = 32,
       PUSH = 64, POKE = 128 };

static struct rte_mempool *in_mp;
static uint8_t pkt[MAXP][PKT_MAX];
static uint32_t plen[MAXP];
static uint8_t out[MAXP * PKT_MAX + 64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { "fuzz_gro", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };

	(void)argc;
	(void)argv;
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0)
		fz_fail(__FILE__, __LINE__, "EAL init (needs root)");
	in_mp = rte_pktmbuf_pool_create("fz_in", 1023, 0, 0, 0, SOCKET_ID_ANY);
	FZ_ASSERT(in_mp);
	return 0;
}

static struct rte_mbuf *to_mbuf(const uint8_t *p, uint32_t len, uint32_t chunk)
{
	struct rte_mbuf *head = NULL;

	for (uint32_t at = 0; at < len || !head; at += chunk) {
		uint32_t take = len - at < chunk ? len - at : chunk;
		struct rte_mbuf *m = fz_ext_mbuf(in_mp, p + at, (uint16_t)take);

		if (!head)
			head = m;
		else
			FZ_ASSERT(rte_pktmbuf_chain(head, m) == 0);
	}
	return head;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint64_t sum16(const uint8_t *p, uint32_t len)
{
	uint64_t s = 0;
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (i < len)
		s += (uint32_t)p[i] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Where IP and TCP start, if the frame looks like IPv4/IPv6 + TCP within
 * `len` bytes (by our own reading, not net_gro.c's). */
static bool layout(const uint8_t *p, uint32_t len, bool *v6, uint32_t *l4, uint32_t *hdr_len)
{
	if (len < 14 + 20)
		return false;
	if (get16(p + 12) == 0x0800 && (p[14] >> 4) == 4 && p[14 + 9] == 6) {
		*v6 = false;
		*l4 = 14 + (p[14] & 15) * 4u;
	} else if (get16(p + 12) == 0x86dd && len >= 54 && p[14 + 6] == 6) {
		*v6 = true;
		*l4 = 54;
	} else {
		return false;
	}
	if (*l4 < 34 || *l4 + 20 > len)
		return false;
	*hdr_len = *l4 + (p[*l4 + 12] >> 4) * 4u;
	return *hdr_len >= *l4 + 20 && *hdr_len <= len;
}

/* The TCP checksum of a flat packet over its pseudo-header, lengths from
 * the frame itself: 0xffff when it verifies. */
static uint16_t tcp_sum(const uint8_t *p, uint32_t len, bool v6, uint32_t l4)
{
	uint64_t s = sum16(p + l4, len - l4) + 6 + (len - l4);

	s += v6 ? sum16(p + 22, 32) : sum16(p + 26, 8);
	return fold(s);
}

static void make(const uint8_t *hdr, uint32_t hlen, const uint8_t *pay, size_t npay, uint32_t i,
		 uint32_t len, uint8_t ctl, uint32_t *seq)
{
	uint8_t *p = pkt[i];
	bool v6;
	uint32_t l4, hl;

	memcpy(p, hdr, hlen);
	for (uint32_t j = 0; j < len; j++)
		p[hlen + j] = npay ? pay[(j + i * 7) % npay] : (uint8_t)j;
	plen[i] = hlen + len;
	if (!layout(p, plen[i], &v6, &l4, &hl))
		return;
	if (ctl & FIX_LEN) {
		if (v6)
			put16(p + 18, (uint16_t)(plen[i] - 54));
		else
			put16(p + 16, (uint16_t)(plen[i] - 14));
	}
	if (ctl & PUSH)
		p[l4 + 13] |= 0x08;
	if (ctl & FIX_SEQ)
		put32(p + l4 + 4, *seq);
	*seq = get32(p + l4 + 4) + (plen[i] - hl);
	if ((ctl & FIX_IPSUM) && !v6) {
		put16(p + 24, 0);
		put16(p + 24, (uint16_t)~fold(sum16(p + 14, l4 - 14)));
	}
	if (ctl & FIX_TCPSUM) {
		put16(p + l4 + 16, 0);
		put16(p + l4 + 16, (uint16_t)~tcp_sum(p, plen[i], v6, l4));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m[MAXP];
	struct vdn_net_gro_frame f;
	struct vdn_net_gro_cfg cfg;
	uint8_t ctl[MAXP];
	uint32_t n, piece, chunk, hlen, seq = 0;
	const uint8_t *in = data;

	if (size < 4)
		return 0;
	n = 2 + in[0] % (MAXP - 1);
	cfg.v4 = in[1] & 1;
	cfg.v6 = in[1] & 2;
	if (!cfg.v4 && !cfg.v6)
		cfg.v4 = cfg.v6 = true;
	cfg.max_segs = (uint16_t)(2 + (in[1] >> 2) % 63);
	piece = 1 + in[2] * 8u;
	chunk = in[3] ? 64 + in[3] * 4u : PKT_MAX;
	in += 4;
	size -= 4;
	if (size < n * 5 + 1)
		return 0;

	const uint8_t *spec = in;

	in += n * 5;
	size -= n * 5;
	hlen = in[0] % 129;
	in++;
	size--;
	if (size < hlen)
		return 0;

	const uint8_t *hdr = in, *pay = in + hlen;
	size_t npay = size - hlen;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *s = spec + i * 5;
		uint32_t len = get16(s) % (MAX_PAYLOAD + 1);

		ctl[i] = s[2];
		make(hdr, hlen, pay, npay, i, len, ctl[i], &seq);
		if ((ctl[i] & POKE) && plen[i])
			pkt[i][s[3] * 11u % plen[i]] ^= s[4];
		m[i] = to_mbuf(pkt[i], plen[i], chunk);
		if (ctl[i] & PORT_GOOD)
			m[i]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		if (ctl[i] & PORT_BAD)
			m[i]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	}

	uint16_t k = vdn_net_gro_plan(&cfg, m, (uint16_t)n, &f);

	FZ_ASSERT(k >= 1 && k <= n && k <= cfg.max_segs);
	if (k >= 2) {
		bool v6;
		uint32_t l4, hl, payload = 0;

		FZ_ASSERT(f.nb_segs == k);
		FZ_ASSERT(layout(pkt[0], plen[0], &v6, &l4, &hl));
		FZ_ASSERT(f.hdr_len == hl && l4 == (v6 ? 54u : 34u));
		FZ_ASSERT(f.vh.gso_type == (v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4));
		FZ_ASSERT(v6 ? cfg.v6 : cfg.v4);
		FZ_ASSERT(f.vh.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && f.vh.csum_start == l4 &&
			  f.vh.csum_offset == 16 && f.vh.hdr_len == hl && f.vh.gso_size == f.mss);
		FZ_ASSERT(f.mss == plen[0] - hl);
		for (uint32_t i = 0; i < k; i++) {
			uint32_t pl = plen[i] - hl;

			FZ_ASSERT(plen[i] > hl && pl <= f.mss);
			FZ_ASSERT(i + 1 == k || pl == f.mss);
			FZ_ASSERT(!(m[i]->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED));
			FZ_ASSERT((ctl[i] & PORT_GOOD) || tcp_sum(pkt[i], plen[i], v6, l4) == 0xffff);
			FZ_ASSERT((m[i]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) !=
				  RTE_MBUF_F_RX_L4_CKSUM_BAD);
			FZ_ASSERT(get32(pkt[i] + l4 + 4) == get32(pkt[0] + l4 + 4) + payload);
			FZ_ASSERT(pkt[i][l4 + 13] == 0x10 || (i + 1 == k && pkt[i][l4 + 13] == 0x18));
			/* the header bytes a merge keeps are the first's */
			for (uint32_t b = 0; b < hl; b++) {
				bool rewritten = v6 ? (b == 18 || b == 19)
						    : (b >= 16 && b <= 19) || b == 24 || b == 25;

				rewritten |= b == l4 + 4 || b == l4 + 5 || b == l4 + 6 || b == l4 + 7 ||
					     b == l4 + 13 || b == l4 + 16 || b == l4 + 17;
				FZ_ASSERT(rewritten || pkt[i][b] == pkt[0][b]);
			}
			payload += pl;
		}
		FZ_ASSERT(f.len == hl + payload && f.len - (v6 ? 54 : 14) <= 65535);

		/* copy out in pieces, each over two iovs */
		for (uint32_t off = 0; off < f.len; off += piece) {
			uint32_t want = f.len - off < piece ? f.len - off : piece, a = want / 2;
			struct vdn_iov iov[2] = { { out + off, a }, { out + off + a, want - a } };

			FZ_ASSERT(vdn_net_gro_to_iov(&f, m, off, iov, 2, 0, want) == want);
		}
		struct vdn_iov tail = { out + f.len, 64 };

		FZ_ASSERT(vdn_net_gro_to_iov(&f, m, f.len, &tail, 1, 0, 64) == 0);
		for (uint32_t i = 0, at = hl; i < k; i++) {
			FZ_ASSERT(memcmp(out + at, pkt[i] + hl, plen[i] - hl) == 0);
			at += plen[i] - hl;
		}
		/* lengths, flags as the last segment's, checksum completed */
		FZ_ASSERT(get16(out + (v6 ? 18 : 16)) == f.len - (v6 ? 54 : 14));
		FZ_ASSERT(v6 || fold(sum16(out + 14, 20)) == 0xffff);
		FZ_ASSERT(out[l4 + 13] == pkt[k - 1][l4 + 13]);
		put16(out + l4 + 16, (uint16_t)~fold(sum16(out + l4, f.len - l4)));
		FZ_ASSERT(tcp_sum(out, f.len, v6, l4) == 0xffff);
	}
	for (uint32_t i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
	return 0;
}
