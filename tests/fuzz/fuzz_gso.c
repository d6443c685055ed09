/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: software TCP segmentation (drivers/vduse_net/net_gso.c),
 * vdn_net_gso_parse() then vdn_net_gso_segment() in input-chosen batches,
 * over a super-frame from the input split into an mbuf chain at
 * input-chosen points.  Each input segment is an external buffer malloc()ed
 * to its exact length, so reading outside the frame is an ASan finding.
 *
 * Oracle, for every segment made: headers equal the super-frame's but for
 * the fields segmentation must change (IP lengths, IPv4 id and checksum,
 * TCP sequence number, FIN/PSH/CWR, TCP checksum), the payload is the
 * right slice of the original, the frame fits max_frame, the IPv4 header
 * checksum and the TCP checksum verify independently; parse results are
 * consistent (offsets ordered, nb_segs = ceil(payload / mss)); a pool that
 * runs dry only shortens a batch; every mbuf goes back to its pool.
 *
 * Input: struct fz_hdr, then the frame (at most FZ_MAX_FRAME bytes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fz_arena.h"
#include "fz_mbuf.h"
#include "net_private.h"

#define FZ_MAX_FRAME 70000
#define FZ_MAX_SEGS 5
#define FZ_POOL 96 /* small: a batch may run it dry */

struct fz_hdr {
	struct virtio_net_hdr_v1 vh;
	uint8_t nsegs;                 /* 1 + nsegs % FZ_MAX_SEGS input segments */
	uint8_t seg[FZ_MAX_SEGS - 1];  /* lengths of all but the last, x 16 */
	uint8_t max_frame;             /* 64 + 36 * max_frame bytes */
	uint8_t batch;                 /* 1 + batch % 16 segments per call; bit 7:
	                                * the pool with small mbufs */
	uint8_t spare;                 /* unused: the header has no padding */
};
_Static_assert(sizeof(struct fz_hdr) == 20, "no padding: the layout is the input format");

static struct rte_mempool *in_mp, *big_mp, *small_mp;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { "fuzz_gso", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };

	(void)argc;
	(void)argv;
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0)
		fz_fail(__FILE__, __LINE__, "EAL init (needs root)");
	/* input segments: no data room, each gets an exact external buffer */
	in_mp = rte_pktmbuf_pool_create("fz_in", 63, 0, 0, 0, SOCKET_ID_ANY);
	big_mp = rte_pktmbuf_pool_create("fz_big", FZ_POOL, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	/* 200-byte data room: segments chain, and long headers do not fit */
	small_mp = rte_pktmbuf_pool_create("fz_small", FZ_POOL, 0, 0, RTE_PKTMBUF_HEADROOM + 200,
					   SOCKET_ID_ANY);
	FZ_ASSERT(in_mp && big_mp && small_mp);
	return 0;
}

/* Split at input-chosen points; a segment holds at most 65535 bytes, so
 * the last ones take what is left in such pieces. */
static struct rte_mbuf *chain_alloc(const struct fz_hdr *h, const uint8_t *frame, uint32_t len)
{
	unsigned int n = 1 + h->nsegs % FZ_MAX_SEGS;
	struct rte_mbuf *head = NULL;
	uint32_t at = 0;

	for (unsigned int i = 0; i < n || at < len; i++) {
		uint32_t take = i + 1 < n ? h->seg[i] * 16u : len - at;
		struct rte_mbuf *m;

		if (take > len - at)
			take = len - at;
		if (take > UINT16_MAX)
			take = UINT16_MAX;
		m = fz_ext_mbuf(in_mp, frame + at, (uint16_t)take);
		at += take;
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

/* Ones' complement sum of big-endian words, unfolded. */
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

/* One segment against the super-frame `f`. */
static void check_segment(const struct vdn_net_gso *g, const uint8_t *f, struct rte_mbuf *s,
			  uint16_t i, uint32_t max_frame, uint8_t *lin)
{
	uint32_t poff = (uint32_t)i * g->mss;
	uint32_t plen = g->payload - poff < g->mss ? g->payload - poff : g->mss;
	uint32_t len = g->hdr_len + plen, l4len = len - g->l4_off;
	const uint8_t *p;
	const uint8_t *oth = f + g->l4_off, *th;
	uint8_t flags, want_flags;
	uint64_t ps;

	FZ_ASSERT(s->pkt_len == len);
	FZ_ASSERT(len <= max_frame);
	FZ_ASSERT(rte_pktmbuf_data_len(s) >= g->hdr_len); /* headers in the first mbuf */
	p = rte_pktmbuf_read(s, 0, len, lin);
	FZ_ASSERT(p);
	/* L2 (+ VLAN) untouched, payload the right slice */
	FZ_ASSERT(!memcmp(p, f, g->l3_off));
	FZ_ASSERT(!memcmp(p + g->hdr_len, f + g->hdr_len + poff, plen));

	if (g->ipv6) {
		const uint8_t *ip = p + g->l3_off, *oip = f + g->l3_off;

		FZ_ASSERT(!memcmp(ip, oip, 4) && !memcmp(ip + 6, oip + 6, 34));
		FZ_ASSERT(get16(ip + 4) == l4len);
		ps = sum16(ip + 8, 32) + IPPROTO_TCP + l4len;
	} else {
		const uint8_t *ip = p + g->l3_off, *oip = f + g->l3_off;
		uint32_t ihl = g->l4_off - g->l3_off;

		FZ_ASSERT(!memcmp(ip, oip, 2) && !memcmp(ip + 6, oip + 6, 4) &&
			  !memcmp(ip + 12, oip + 12, ihl - 12));
		FZ_ASSERT(get16(ip + 2) == len - g->l3_off);
		FZ_ASSERT(get16(ip + 4) == (uint16_t)(get16(oip + 4) + i));
		FZ_ASSERT(fold(sum16(ip, ihl)) == 0xffff);
		ps = sum16(ip + 12, 8) + IPPROTO_TCP + l4len;
	}
	th = p + g->l4_off;
	FZ_ASSERT(!memcmp(th, oth, 4));                       /* ports */
	FZ_ASSERT(get32(th + 4) == get32(oth + 4) + poff);     /* seq */
	FZ_ASSERT(!memcmp(th + 8, oth + 8, 5));               /* ack, data offset */
	FZ_ASSERT(!memcmp(th + 14, oth + 14, 2));             /* window */
	FZ_ASSERT(!memcmp(th + 18, oth + 18, g->hdr_len - g->l4_off - 18)); /* urg, options */
	flags = th[13];
	want_flags = oth[13];
	if (i + 1 < g->nb_segs)
		want_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
	if (i > 0)
		want_flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
	FZ_ASSERT(flags == want_flags);
	FZ_ASSERT(fold(ps + sum16(th, l4len)) == 0xffff);
}

static void run(const struct fz_hdr *h, const uint8_t *frame, uint32_t len)
{
	static struct rte_mbuf *out[16];
	static uint8_t lin[FZ_MAX_FRAME];
	struct rte_mempool *mp = h->batch & 0x80 ? small_mp : big_mp;
	uint32_t max_frame = 64 + 36u * h->max_frame;
	uint16_t batch = (uint16_t)(1 + (h->batch & 0x7f) % 16);
	struct rte_mbuf *m = chain_alloc(h, frame, len);
	struct vdn_net_gso g;
	uint16_t first = 0;
	int rc;

	memset(&g, 0x5a, sizeof(g));
	rc = vdn_net_gso_parse(&h->vh, m, max_frame, &g);
	FZ_ASSERT(rc > 0 || rc == -EOPNOTSUPP || rc == -EINVAL || rc == -E2BIG);
	FZ_ASSERT(m->pkt_len == len);
	if (rc <= 0)
		goto out;
	FZ_ASSERT(rc == g.nb_segs);
	FZ_ASSERT(g.l3_off >= RTE_ETHER_HDR_LEN && g.l3_off < g.l4_off && g.l4_off < g.hdr_len);
	FZ_ASSERT(g.hdr_len < len && g.payload == len - g.hdr_len && g.mss > 0);
	FZ_ASSERT(g.nb_segs == (g.payload + g.mss - 1) / g.mss);
	FZ_ASSERT(g.ipv6 == ((h->vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV6));
	FZ_ASSERT(g.hdr_len + (g.payload < g.mss ? g.payload : g.mss) <= max_frame);
	/* the checker reads the original linearly */
	{
		static uint8_t orig[FZ_MAX_FRAME];
		const uint8_t *o = rte_pktmbuf_read(m, 0, len, orig);

		if (o != orig)
			memcpy(orig, o, len);
		while (first < g.nb_segs) {
			int k = vdn_net_gso_segment(m, &g, first, mp, out, batch);
			uint16_t want = g.nb_segs - first < batch ? g.nb_segs - first : batch;

			if (k == -EMSGSIZE) {
				FZ_ASSERT(mp == small_mp && g.hdr_len > 200);
				break;
			}
			FZ_ASSERT(k >= 0 && k <= want);
			/* a segment needs at most ceil(frame / 200) mbufs, and the
			 * pool is full between calls: the first always fits */
			FZ_ASSERT(k > 0);
			for (int j = 0; j < k; j++) {
				check_segment(&g, orig, out[j], (uint16_t)(first + j), max_frame, lin);
				rte_pktmbuf_free(out[j]);
			}
			first = (uint16_t)(first + k);
		}
	}
out:
	rte_pktmbuf_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_hdr h;

	if (size < sizeof(h) || size - sizeof(h) > FZ_MAX_FRAME)
		return -1;
	memcpy(&h, data, sizeof(h));
	run(&h, data + sizeof(h), (uint32_t)(size - sizeof(h)));
	FZ_ASSERT(rte_mempool_avail_count(big_mp) == FZ_POOL);
	FZ_ASSERT(rte_mempool_avail_count(small_mp) == FZ_POOL);
	FZ_ASSERT(rte_mempool_avail_count(in_mp) == 63);
	return 0;
}
