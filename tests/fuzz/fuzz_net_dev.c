/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the device model's datapath end to end, both burst
 * directions, on a transport of our own (vdn_net_transport.h).  The input
 * plays a misbehaving but memory-safe driver (tests/unit/vring_driver.c
 * rings in a guarded arena): it picks the features and ring layouts, posts
 * TX chains of any shape with arbitrary virtio_net_hdrs (and sometimes
 * well-formed TCP/IPv4/IPv6 TSO frames, so segmentation runs deep), posts
 * RX buffers, dequeues into small or dry pools, enqueues mbuf chains and
 * TCP flows (receive coalescing on or off), corrupts the avail index,
 * resets and restarts the device.
 *
 * Oracle: a used id is always one the driver has in flight (never twice,
 * never one it did not post), TX used lengths are 0, RX ones fit the
 * buffer; in-order rings complete in order and never beyond what was
 * published; every packet dequeued is a consistent mbuf chain (pkt_len,
 * nb_segs) no larger than the MTU allows; the counters match what the
 * bursts returned; marked frames and intact TSO frames' segments come out
 * whole, unchanged, in order, once; what RX buffers hold reads back as a
 * header as negotiated and the packet's bytes, across merged buffers (a
 * coalesced flow: right IP length, payload continuous, GSO header valid);
 * a ring is called broken only if the driver did corrupt its avail index;
 * after a final drain with a plentiful pool every TX chain posted since the
 * last start has come back once, unless the ring was latched broken; after
 * destroy every mbuf is back in its pool.
 *
 * Input: struct-less byte stream (see make_seeds.py, net_dev): a ring
 * configuration (read_cfg), two MTU bytes, then ops (one byte each, low
 * nibble the op, high nibble its flags, operands after it).  Reading past
 * the end yields zeros.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "fz_arena.h"
#include "vdn_net_transport.h"
#include "vring_driver.h"

#define DRIVER_OK                                                                          \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |  \
	 VIRTIO_CONFIG_S_DRIVER_OK)
#define HDR 12u
#define BIT(b) (1ULL << (b))

/* Driver memory: each ring has a fixed slot below BUF_BASE (so a restart
 * lays it out at the same place), buffers are bump-allocated above.  RX
 * buffers never start below BUF_BASE: what the device writes there must
 * not land on the driver's own rings. */
#define RING_SLOT 0x8000u
#define BUF_BASE 0x10000u
#define MAX_FRAME (HDR + 14 + 8 + 40 + 65535)
#define MAX_HELD 512
#define MAX_OPS 512
#define MAX_SEQ (MAX_OPS * 64)
/* A drain that never ends is a finding too. */
#define DRAIN_BURSTS 100000

enum { POOL_BIG, POOL_FEW, POOL_TINY, NPOOLS };
static const unsigned int pool_n[NPOOLS] = { 4095, 4, 24 };
static struct rte_mempool *pools[NPOOLS], *src_mp;
#define SRC_N 1024

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t u16(struct in *in)
{
	uint16_t lo = u8(in);

	return (uint16_t)(lo | u8(in) << 8);
}

static uint32_t u32(struct in *in)
{
	uint32_t lo = u16(in);

	return lo | (uint32_t)u16(in) << 16;
}

/* One ring as the driver sees it, plus what it has in flight. */
struct ring {
	bool packed, in_order;
	uint16_t num, start;
	bool start_wrap;
	struct drv_ring s;
	struct drv_packed k;
	uint8_t posted[DRV_MAX_NUM];
	uint32_t cap[DRV_MAX_NUM]; /* RX: writable bytes of the chain */
	unsigned int inflight;
	bool corrupt; /* avail idx corrupted (or heads past the ring) since the
	               * last start */
	bool broken;  /* the model said it stopped the ring on a corrupt index */
};

static struct fz {
	struct arena a;
	struct ring r[2]; /* vq 0: driver RX, vq 1: driver TX */
	uint64_t features;
	uint32_t chunk; /* mapping size; 0: one mapping */
	bool running;
	struct vdn_net_dev *dev;
	uint64_t hi; /* arena bytes below this may have been written */
	struct rte_mbuf *held[MAX_HELD];
	unsigned int nheld;
	uint64_t deq_total, enq_total;
	uint32_t max_pkt; /* largest frame any MTU set so far allows */
	uint32_t next_seq;
	int64_t last_seq; /* of the last marked frame out; -1: none yet */
	uint16_t seq_len[MAX_SEQ];
	/* marked TSO frames: how they are cut (mss 0: not a TSO frame) */
	struct {
		uint32_t pay, tcp_seq;
		uint16_t mss, hdr_len, l4;
	} tso[MAX_SEQ];
	uint16_t tso_left, tso_next; /* of the frame last seen */
	bool tracked; /* build_tcp() made a marked TSO frame */
	/* RX chains in flight, as posted, and the packet being read back */
	struct drv_seg rx_seg[DRV_MAX_NUM][3];
	uint8_t rx_nseg[DRV_MAX_NUM];
	uint16_t rx_left;  /* buffers of it still to come */
	uint32_t rx_len;   /* packet bytes read so far, into rx_pkt */
	struct virtio_net_hdr_v1 rx_vh;
	uint8_t rx_pkt[MAX_FRAME];
} F;

static uint8_t fb[MAX_FRAME];
/* source MAC of post_many()'s frames */
static const uint8_t marker[6] = { 0xfe, 'f', 'z', 's', 'e', 'q' };
/* source MAC of build_tcp()'s intact TSO frames, their number in the
 * destination's bytes 1-4 */
static const uint8_t tso_marker[6] = { 0xfe, 'f', 'z', 't', 's', 'o' };
/* frame bytes not taken from the input (filled once: per-byte loops cost
 * a coverage callback each) */
static uint8_t pattern[MAX_FRAME + 256];
/* FZ_NET_DEV_TRACE set: each op and what it did, to read a finding by */
static bool trace;

/* The whole arena is one read/write mapping, or (the input says) mappings
 * of `chunk` bytes each above the rings, so buffers and tables split into
 * pieces.  Not
 * arena_xlate(): its page walk would be most of the time spent. */
static void *fz_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	struct fz *f = ctx;
	uint64_t room;

	(void)access;
	if (iova >= ARENA_SIZE)
		return NULL;
	if (iova < BUF_BASE)
		room = BUF_BASE - iova; /* the rings: one mapping */
	else
		room = f->chunk ? f->chunk - iova % f->chunk : ARENA_SIZE - iova;
	if (*len > room)
		*len = room;
	return f->a.base + iova;
}

static int fz_vq_info(void *ctx, uint32_t index, struct vdn_net_vq_info *info)
{
	struct fz *f = ctx;
	const struct ring *r;

	if (index > 1)
		return 0;
	r = &f->r[index];
	info->num = r->num;
	info->ready = true;
	info->packed = r->packed;
	if (r->packed) {
		info->desc_iova = r->k.desc_iova;
		info->avail_iova = r->k.drv_ev_iova;
		info->used_iova = r->k.dev_ev_iova;
	} else {
		info->desc_iova = r->s.desc_iova;
		info->avail_iova = r->s.avail_iova;
		info->used_iova = r->s.used_iova;
	}
	/* where the ring was laid out, not where the driver has got to:
	 * chains posted before DRIVER_OK are the device's to take */
	info->last_avail_idx = info->last_used_idx = r->start;
	info->avail_wrap = info->used_wrap = r->start_wrap;
	return 0;
}

static uint64_t fz_features(void *ctx)
{
	return ((struct fz *)ctx)->features;
}

static int fz_irq(void *ctx, uint32_t index)
{
	(void)ctx;
	FZ_ASSERT(index < 2);
	return 0;
}

/* The one message the oracle needs: a ring latched broken, after which
 * nothing more is required of it. */
static void fz_log(void *opaque, int level, const char *msg)
{
	struct fz *f = opaque;
	int q = strstr(msg, "fz: vq 0 (rx") ? 0 : strstr(msg, "fz: vq 1 (tx") ? 1 : -1;

	(void)level;
	if (q < 0 || !strstr(msg, "avail index corrupt"))
		return;
	/* a driver that kept count is never called corrupt */
	FZ_ASSERT(f->r[q].corrupt);
	f->r[q].broken = true;
}

static const struct vdn_net_transport_ops ops = {
	.xlate = fz_xlate,
	.vq_info = fz_vq_info,
	.driver_features = fz_features,
	.vq_irq = fz_irq,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { "fuzz_net_dev", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };

	(void)argc;
	(void)argv;
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0)
		fz_fail(__FILE__, __LINE__, "EAL init (needs root)");
	/* cache 0: the avail counts are exact, so a leak is visible */
	pools[POOL_BIG] = rte_pktmbuf_pool_create("fz_big", pool_n[POOL_BIG], 0, 0,
						  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	pools[POOL_FEW] = rte_pktmbuf_pool_create("fz_few", pool_n[POOL_FEW], 0, 0,
						  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	/* 128-byte data room: frames chain, long headers do not fit */
	pools[POOL_TINY] = rte_pktmbuf_pool_create("fz_tiny", pool_n[POOL_TINY], 0, 0,
						   RTE_PKTMBUF_HEADROOM + 128, SOCKET_ID_ANY);
	src_mp = rte_pktmbuf_pool_create("fz_src", SRC_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	FZ_ASSERT(pools[POOL_BIG] && pools[POOL_FEW] && pools[POOL_TINY] && src_mp);
	FZ_ASSERT(arena_init(&F.a) == 0);
	trace = getenv("FZ_NET_DEV_TRACE") != NULL;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

/* ---- the driver's rings ---------------------------------------------- */

/* Lay ring `q` out afresh in its slot: nothing in flight. */
static void ring_init(int q, uint8_t shape, uint8_t start)
{
	struct ring *r = &F.r[q];
	uint64_t brk = F.a.brk;
	uint64_t slot = 64 + (uint64_t)q * RING_SLOT;

	r->packed = F.features & BIT(VIRTIO_F_RING_PACKED);
	r->in_order = F.features & BIT(VIRTIO_F_IN_ORDER);
	r->num = (uint16_t)(2u << (shape & 7));
	/* a packed ring need not be a power of 2 */
	if (r->packed && (shape & 8) && r->num > 2)
		r->num--;
	memset(arena_ptr(&F.a, slot), 0, RING_SLOT - 64);
	F.a.brk = slot;
	if (r->packed) {
		r->start = start % r->num;
		r->start_wrap = !(start & 0x80);
		FZ_ASSERT(pdrv_init(&r->k, &F.a, r->num, r->start, r->start_wrap) == 0);
		r->k.in_order = r->in_order;
	} else {
		/* spread over 16 bits: starts near the wrap of the index */
		r->start = (uint16_t)(start * 257u);
		r->start_wrap = false;
		FZ_ASSERT(drv_init(&r->s, &F.a, r->num, r->start) == 0);
		r->s.in_order = r->in_order;
	}
	FZ_ASSERT(F.a.brk <= slot + RING_SLOT - 64);
	F.a.brk = brk;
	memset(r->posted, 0, sizeof(r->posted));
	r->inflight = 0;
	if (q == 0)
		F.rx_left = 0;
	r->corrupt = false;
	r->broken = false;
}

/* Features (masked by what is offered: a transport lets the driver ack no
 * more; bits 0-10 of the first word), the mapping size (bits 14-15) and
 * both rings (a byte each: log2(num) - 1, bit 3 a packed size one short of
 * a power of 2, the high nibble the start position), from 4 input bytes. */
static void read_cfg(struct in *in)
{
	static const unsigned int bits[] = {
		VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_CSUM,       VIRTIO_NET_F_HOST_TSO4,
		VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4,
		VIRTIO_NET_F_GUEST_TSO6, VIRTIO_F_RING_PACKED,   VIRTIO_F_IN_ORDER,
		VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC,
	};
	uint16_t w = u16(in);
	uint8_t rx = u8(in), tx = u8(in);
	struct vdn_net_info info;

	F.features = BIT(VIRTIO_F_VERSION_1);
	for (unsigned int i = 0; i < RTE_DIM(bits); i++)
		if (w & (1u << i))
			F.features |= BIT(bits[i]);
	FZ_ASSERT(vdn_net_info(F.dev, &info) == 0);
	F.features &= info.features_offered;
	/* new mappings come with a new driver: 512 B, 4 KiB or 32 KiB */
	F.chunk = w >> 14 ? 0x8000u >> (3 * (3 - (w >> 14))) : 0;
	ring_init(0, rx & 15, (uint8_t)(rx >> 4) * 17u);
	ring_init(1, tx & 15, (uint8_t)(tx >> 4) * 17u);
}

static void driver_ok(void)
{
	FZ_ASSERT(vdn_net_transport_status(F.dev, DRIVER_OK) == 0);
	F.running = true;
	FZ_ASSERT(vdn_net_qp_running(F.dev, 0));
}

static uint16_t nfree(const struct ring *r)
{
	if (r->packed)
		return r->k.nids ? r->k.nfree : 0;
	return r->s.nfree;
}

/* Take every used entry the device published and check it. */
/* First TCP sequence number of make_train()'s flows: a segment's payload
 * is the pattern from its sequence number's distance to this on. */
#define TRAIN_SEQ 0x10000000u

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A packet read back whole from the driver's RX buffers.  Either
 * make_rx_pkt()'s pattern past the destination MAC, with no GSO, or a
 * make_train() TCP segment, alone or coalesced (GUEST_TSO, when
 * negotiated): IP length right, payload the pattern from its sequence
 * number on, the GSO header as virtio asks.
 */
static void rx_verify(void)
{
	const struct virtio_net_hdr_v1 *vh = &F.rx_vh;
	const uint8_t *p = F.rx_pkt;
	uint32_t len = F.rx_len, l4, hl, off;
	uint16_t et = len >= RTE_ETHER_HDR_LEN ? (uint16_t)(p[12] << 8 | p[13]) : 0;
	bool v6 = et == RTE_ETHER_TYPE_IPV6;

	FZ_ASSERT(vh->flags == 0 || vh->flags == VIRTIO_NET_HDR_F_DATA_VALID ||
		  (vh->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && vh->gso_type));
	if (vh->flags == VIRTIO_NET_HDR_F_DATA_VALID)
		FZ_ASSERT(F.features & BIT(VIRTIO_NET_F_GUEST_CSUM));
	if (et != RTE_ETHER_TYPE_IPV4 && !v6) {
		FZ_ASSERT(vh->gso_type == VIRTIO_NET_HDR_GSO_NONE);
		FZ_ASSERT(len <= 6 || !memcmp(p + 6, pattern + 6, len - 6));
		return;
	}
	l4 = RTE_ETHER_HDR_LEN + (v6 ? 40 : 20);
	FZ_ASSERT(len >= l4 + 20);
	hl = l4 + (p[l4 + 12] >> 4) * 4u;
	FZ_ASSERT(len >= hl);
	off = be32(p + l4 + 4) - TRAIN_SEQ;
	FZ_ASSERT(off < sizeof(pattern) && len - hl <= sizeof(pattern) - off);
	FZ_ASSERT(!memcmp(p + hl, pattern + off, len - hl));
	if (v6)
		FZ_ASSERT((uint32_t)(p[18] << 8 | p[19]) == len - l4);
	else
		FZ_ASSERT((uint32_t)(p[16] << 8 | p[17]) == len - RTE_ETHER_HDR_LEN);
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return;
	FZ_ASSERT(vh->gso_type == (v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4));
	FZ_ASSERT(F.features & BIT(v6 ? VIRTIO_NET_F_GUEST_TSO6 : VIRTIO_NET_F_GUEST_TSO4));
	FZ_ASSERT(vh->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
	FZ_ASSERT(le16toh(vh->csum_start) == l4 && le16toh(vh->csum_offset) == 16);
	/* two segments at least, the first gso_size long */
	FZ_ASSERT(le16toh(vh->gso_size) > 0 && len - hl > le16toh(vh->gso_size));
}

/* An RX buffer the device used: the first of a packet starts with the
 * header (num_buffers 1 without MRG_RXBUF); the packet is checked once its
 * last buffer is in. */
static void rx_check(uint32_t id, uint32_t len)
{
	static uint8_t buf[MAX_FRAME];
	const uint8_t *data = buf;
	uint32_t got = 0, dlen;

	if (!len) {
		/* a rejected chain, or a dropped packet's buffers: never
		 * inside a packet that made it */
		FZ_ASSERT(!F.rx_left);
		return;
	}
	FZ_ASSERT(id < DRV_MAX_NUM && F.rx_nseg[id] <= 3 && len <= sizeof(buf));
	for (unsigned int i = 0; i < F.rx_nseg[id] && got < len; i++) {
		const struct drv_seg *sg = &F.rx_seg[id][i];
		uint32_t take = RTE_MIN(sg->len, len - got);

		FZ_ASSERT(sg->write);
		memcpy(buf + got, arena_ptr(&F.a, sg->iova), take);
		got += take;
	}
	FZ_ASSERT(got == len);
	if (!F.rx_left) {
		uint16_t nb;

		FZ_ASSERT(len >= HDR);
		memcpy(&F.rx_vh, buf, sizeof(F.rx_vh));
		nb = le16toh(F.rx_vh.num_buffers);
		FZ_ASSERT(nb >= 1 && (nb == 1 || (F.features & BIT(VIRTIO_NET_F_MRG_RXBUF))));
		F.rx_left = nb;
		F.rx_len = 0;
		data = buf + HDR;
	}
	dlen = len - (uint32_t)(data - buf);
	FZ_ASSERT(F.rx_len + dlen <= sizeof(F.rx_pkt));
	memcpy(F.rx_pkt + F.rx_len, data, dlen);
	F.rx_len += dlen;
	if (!--F.rx_left)
		rx_verify();
}

static void reap(int q)
{
	struct ring *r = &F.r[q];
	uint32_t id, len;
	bool skipped = false, ok;

	for (;;) {
		if (r->in_order)
			ok = r->packed ? pdrv_get_used_inorder(&r->k, &id, &len, &skipped)
				       : drv_get_used_inorder(&r->s, &id, &len, &skipped);
		else
			ok = r->packed ? pdrv_get_used(&r->k, &id, &len) : drv_get_used(&r->s, &id, &len);
		if (!ok)
			break;
		FZ_ASSERT(id < r->num && r->posted[id]);
		r->posted[id] = 0;
		r->inflight--;
		if (q == 1) {
			FZ_ASSERT(len == 0); /* the device writes no TX buffer */
		} else {
			FZ_ASSERT(len <= r->cap[id]);
			/* RX lengths matter: every buffer gets its own entry */
			FZ_ASSERT(!skipped);
			rx_check(id, len);
		}
	}
	/* a packet's buffers are published together */
	if (q == 0)
		FZ_ASSERT(!F.rx_left);
	if (r->in_order && !r->inflight) {
		/* nothing used beyond what was published, and the last
		 * entry named a buffer in its turn */
		if (r->packed) {
			FZ_ASSERT(!pdrv_slot_used(&r->k, r->k.last_used));
			FZ_ASSERT(r->k.batch_id < 0);
		} else {
			FZ_ASSERT(drv_used_idx(&r->s) == r->s.last_used);
			FZ_ASSERT(r->s.batch_id < 0);
		}
	}
}

/* Post a chain of n segments (through an indirect table at `table` if not
 * UINT64_MAX); reaps first if the ring is short.  Returns the id or -1. */
static int post(int q, const struct drv_seg *segs, unsigned int n, uint64_t table)
{
	struct ring *r = &F.r[q];
	unsigned int need = table != UINT64_MAX ? 1 : n;
	int id;

	if (nfree(r) < need)
		reap(q);
	if (nfree(r) < need)
		return -1;
	if (table != UINT64_MAX)
		id = r->packed ? pdrv_add_indirect(&r->k, table, segs, n)
			       : drv_add_indirect(&r->s, table, segs, n);
	else
		id = r->packed ? pdrv_add(&r->k, segs, n) : drv_add(&r->s, segs, n);
	if (trace) {
		fprintf(stderr, "  post %s id %d%s:", q ? "tx" : "rx", id,
			table != UINT64_MAX ? " indirect" : "");
		for (unsigned int i = 0; i < n; i++)
			fprintf(stderr, " %#" PRIx64 "+%u%s", segs[i].iova, segs[i].len,
				segs[i].write ? "w" : "");
		fprintf(stderr, "\n");
	}
	if (id < 0)
		return -1;
	FZ_ASSERT(id < r->num && !r->posted[id]);
	r->posted[id] = 1;
	r->inflight++;
	if (q == 0) {
		memcpy(F.rx_seg[id], segs, n * sizeof(*segs));
		F.rx_nseg[id] = (uint8_t)n;
	}
	r->cap[id] = 0;
	for (unsigned int i = 0; i < n; i++)
		if (segs[i].write)
			r->cap[id] += segs[i].len;
	return id;
}

static uint64_t balloc(uint64_t len, uint64_t align)
{
	uint64_t at = arena_alloc(&F.a, len ? len : 1, align);

	if (at != UINT64_MAX && at + len > F.hi)
		F.hi = at + len;
	return at;
}

/* ---- TX --------------------------------------------------------------- */

/* A well-formed TCP frame behind its virtio_net_hdr in fb: IPv4 or IPv6,
 * up to two VLAN tags, TCP options; TSO (gso set) or a partial checksum
 * only.  Returns its length (header included). */
static uint32_t build_tcp(struct in *in, bool v6, bool gso)
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
	F.tracked = gso && !(f & 0x40) && F.next_seq < MAX_SEQ;
	if (F.tracked) {
		uint32_t seq = F.next_seq++;

		memcpy(p + 1, &seq, 4);
		memcpy(p + 6, tso_marker, sizeof(tso_marker));
		F.tso[seq].pay = pay;
		F.tso[seq].mss = (uint16_t)mss;
		F.tso[seq].hdr_len = (uint16_t)(l4 + thl);
		F.tso[seq].l4 = (uint16_t)l4;
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
	if (F.tracked)
		F.tso[F.next_seq - 1].tcp_seq = rte_be_to_cpu_32(th->sent_seq);
	th->data_off = (uint8_t)((thl / 4) << 4);
	th->tcp_flags = (uint8_t)(RTE_TCP_ACK_FLAG | (u8(in) & 0xbf));
	th->rx_win = rte_cpu_to_be_16(512);
	th->cksum = v6 ? rte_ipv6_phdr_cksum((void *)(p + l3), 0) : rte_ipv4_phdr_cksum((void *)(p + l3), 0);
	memcpy(p + l4 + thl, pattern, pay);
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
static uint32_t build_raw(struct in *in, uint8_t flags)
{
	uint32_t len = flags & 1 ? u16(in) % MAX_FRAME : HDR + u16(in) % 1600;
	uint32_t from_in = RTE_MIN(len, HDR + 64u);

	for (uint32_t i = 0; i < from_in; i++)
		fb[i] = u8(in);
	/* only post_many() frames carry the marker, wherever a chain cut
	 * short or long might start its packet */
	for (uint32_t i = 0; i + sizeof(marker) <= from_in; i++)
		if (!memcmp(fb + i, marker, sizeof(marker)) ||
		    !memcmp(fb + i, tso_marker, sizeof(tso_marker)))
			fb[i] ^= 1;
	memcpy(fb + from_in, pattern + from_in, len - from_in);
	return len;
}

/* Cut fb[0, len) at `buf` into a chain as the input says, and post it. */
static void post_tx(struct in *in, uint32_t len, uint8_t shape)
{
	struct drv_seg segs[24];
	unsigned int n = 1 + (shape & 3);
	uint64_t buf = balloc(len, 8), table = UINT64_MAX;
	uint32_t off = 0;

	if (buf == UINT64_MAX)
		return;
	memcpy(arena_ptr(&F.a, buf), fb, len);
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
		 * not in another chain's buffer, which check_seq() could not
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
		table = balloc(16ull * n, 16);
		if (table == UINT64_MAX)
			return;
	}
	if (post(1, segs, n, table) < 0 || table == UINT64_MAX || !(shape & 8))
		return;
	/* a table entry the driver got wrong: its length, flags or next (its
	 * address stays: see case 3 above) */
	uint8_t at = u8(in);

	((uint8_t *)arena_ptr(&F.a, table))[16 * (at % n) + 8 + (at >> 5)] ^= u8(in);
}

/* Many common chains (one descriptor, header + a small frame) in a row,
 * so batches fill up.  Each is marked with a sequence number, and
 * check_seq() follows them out: whole, unchanged, in order, once. */
static void post_many(struct in *in, uint8_t flags)
{
	unsigned int k = 1 + u8(in) % 64;
	uint16_t flen = (uint16_t)(60 + u8(in) * (flags & 1 ? 5 : 1));

	for (unsigned int i = 0; i < k && F.next_seq < MAX_SEQ; i++) {
		uint32_t seq = F.next_seq++;

		memset(fb, 0, HDR);
		memset(fb + HDR, 0x02, 6);
		memcpy(fb + HDR + 6, marker, sizeof(marker));
		memcpy(fb + HDR + 12, &seq, 4);
		memcpy(fb + HDR + 16, pattern + seq % 251, flen - 16u);
		F.seq_len[seq] = flen;
		if (trace)
			fprintf(stderr, "  frame %u: %u bytes\n", seq, flen);
		/* bit 1: over several descriptors or an indirect table */
		post_tx(in, HDR + flen, flags & 2 ? u8(in) & 7 : 0);
	}
}

/* ---- RX --------------------------------------------------------------- */

static void post_rx(struct in *in)
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
			uint64_t at = balloc(RTE_MIN(len, 70000u), 8);

			if (at == UINT64_MAX)
				return;
			if (at + 70000 > F.hi)
				F.hi = RTE_MIN(at + 70000, (uint64_t)ARENA_SIZE);
			segs[i] = (struct drv_seg){ at, len, !(shape & 0x80) || i };
		}
		if (shape & 0x40) {
			table = balloc(16ull * n, 16);
			if (table == UINT64_MAX)
				return;
		}
		post(0, segs, n, table);
	}
}

/* ---- bursts ----------------------------------------------------------- */

static void check_pkt(const struct rte_mbuf *m)
{
	const struct rte_mbuf *s;
	uint32_t sum = 0;
	unsigned int n = 0;

	FZ_ASSERT(m != NULL);
	FZ_ASSERT(m->pool == pools[POOL_BIG] || m->pool == pools[POOL_FEW] ||
		  m->pool == pools[POOL_TINY]);
	for (s = m; s; s = s->next) {
		FZ_ASSERT(rte_mbuf_refcnt_read(s) == 1);
		FZ_ASSERT((uint32_t)s->data_off + s->data_len <= s->buf_len);
		sum += s->data_len;
		FZ_ASSERT(++n <= 4096);
	}
	FZ_ASSERT(m->pkt_len == sum);
	FZ_ASSERT(m->nb_segs == n);
	FZ_ASSERT(m->pkt_len >= RTE_ETHER_HDR_LEN && m->pkt_len <= F.max_pkt);
}

/* A segment of a marked TSO frame: in its turn (after everything posted
 * before the frame, before everything after it, the frame's segments in
 * order), with the right sequence number, length and payload. */
static void check_tso(const struct rte_mbuf *m, const uint8_t *p)
{
	uint32_t seq, tcp_seq, off;
	uint16_t k;

	memcpy(&seq, p + 1, 4);
	FZ_ASSERT(seq < F.next_seq && F.tso[seq].mss);
	if ((int64_t)seq != F.last_seq) {
		FZ_ASSERT((int64_t)seq > F.last_seq);
		FZ_ASSERT(!F.tso_left);
		F.last_seq = seq;
		F.tso_left = (uint16_t)((F.tso[seq].pay + F.tso[seq].mss - 1) / F.tso[seq].mss);
		F.tso_next = 0;
	}
	if (trace)
		fprintf(stderr, "  tso frame %u segment %u: %u bytes\n", seq, F.tso_next, m->pkt_len);
	FZ_ASSERT(F.tso_left > 0);
	k = F.tso_next++;
	F.tso_left--;
	off = (uint32_t)k * F.tso[seq].mss;
	FZ_ASSERT(m->pkt_len == F.tso[seq].hdr_len + RTE_MIN((uint32_t)F.tso[seq].mss,
							     F.tso[seq].pay - off));
	memcpy(&tcp_seq, p + F.tso[seq].l4 + 4, 4);
	FZ_ASSERT(rte_be_to_cpu_32(tcp_seq) == F.tso[seq].tcp_seq + off);
	FZ_ASSERT(!memcmp(p + F.tso[seq].hdr_len, pattern + off, m->pkt_len - F.tso[seq].hdr_len));
}

/* A marked frame (post_many) comes out as it went in, after the ones
 * posted before it. */
static void check_seq(const struct rte_mbuf *m)
{
	static uint8_t lin[MAX_FRAME];
	const uint8_t *p;
	uint32_t seq;

	if (m->pkt_len < 16)
		return;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, lin);
	FZ_ASSERT(p != NULL);
	if (!memcmp(p + 6, tso_marker, sizeof(tso_marker))) {
		check_tso(m, p);
		return;
	}
	if (memcmp(p + 6, marker, sizeof(marker)))
		return;
	/* nothing overtakes a super-frame's segments */
	FZ_ASSERT(!F.tso_left);
	memcpy(&seq, p + 12, 4);
	if (trace)
		fprintf(stderr, "  frame %u: %u bytes (posted %u)\n", seq, m->pkt_len,
			seq < F.next_seq ? F.seq_len[seq] : 0);
	FZ_ASSERT(seq < F.next_seq);
	FZ_ASSERT((int64_t)seq > F.last_seq);
	F.last_seq = seq;
	FZ_ASSERT(m->pkt_len == F.seq_len[seq]);
	FZ_ASSERT(p[0] == 0x02 && p[5] == 0x02);
	FZ_ASSERT(!memcmp(p + 16, pattern + seq % 251, m->pkt_len - 16));
}

static uint16_t dequeue(struct rte_mempool *mp, uint16_t n, bool hold)
{
	struct rte_mbuf *pkts[64];
	uint16_t got = vdn_net_dequeue_burst(F.dev, 0, mp, pkts, n);

	if (trace)
		fprintf(stderr, "  dequeue %u from %s: %u\n", n, mp->name, got);
	FZ_ASSERT(got <= n);
	F.deq_total += got;
	for (uint16_t i = 0; i < got; i++) {
		check_pkt(pkts[i]);
		check_seq(pkts[i]);
		if (hold && F.nheld < MAX_HELD)
			F.held[F.nheld++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	return got;
}

static void release_held(void)
{
	for (unsigned int i = 0; i < F.nheld; i++)
		rte_pktmbuf_free(F.held[i]);
	F.nheld = 0;
}

static struct rte_mbuf *make_rx_pkt(struct in *in)
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
		struct rte_mbuf *m = rte_pktmbuf_alloc(src_mp);

		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		uint32_t take = RTE_MIN(len - done, seg);

		take = RTE_MIN(take, (uint32_t)rte_pktmbuf_tailroom(m));
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)take);

		memcpy(p, pattern + done, take);
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
static uint16_t make_train(struct in *in, struct rte_mbuf **pkts, uint16_t max)
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
		m = rte_pktmbuf_alloc(src_mp);
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
		memcpy(p + hl, pattern + off, pay);
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

static void enqueue(struct in *in, uint8_t flags)
{
	struct rte_mbuf *pkts[32];
	uint8_t b = u8(in);
	uint16_t n = 0, want = b == 0xff ? 0 : 1 + b % 32, done;

	/* bit 1: no receive coalescing from this burst on */
	vdn_net_set_gro(F.dev, !(flags & 2));
	if (flags & 1 && want)
		n = make_train(in, pkts, want);
	while (n < want && !(flags & 1)) {
		struct rte_mbuf *m = make_rx_pkt(in);

		if (!m)
			break;
		pkts[n++] = m;
	}
	done = vdn_net_enqueue_burst(F.dev, 0, pkts, n);
	if (trace)
		fprintf(stderr, "  enqueue %u: %u\n", n, done);
	FZ_ASSERT(done <= n);
	F.enq_total += done;
	/* enqueue copies: the packets are still ours */
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

/* ---- the misbehaviour ------------------------------------------------- */

static void corrupt(struct in *in, uint8_t flags)
{
	struct ring *r = &F.r[flags & 1 ? 0 : 1]; /* TX unless bit 0 */
	uint16_t v = u16(in);

	/* a packed ring has no index to corrupt */
	if (r->packed)
		return;
	if ((flags & 4) && !r->in_order) {
		/* a head past the ring: consumed, never used (an in-order
		 * driver would wait for it forever) */
		drv_publish(&r->s, (uint16_t)(r->num + v % (65536u - r->num)));
		/* the index may now run more than a ring ahead */
		r->corrupt = true;
		return;
	}
	if (flags & 2) {
		/* back to the truth: a latched ring must not believe it */
		__atomic_store_n(&r->s.avail->idx, htole16(r->s.avail_idx), __ATOMIC_RELEASE);
		return;
	}
	/* always more than a ring's worth ahead of anything the device has
	 * seen, so it is caught before any entry past the truth is used */
	v = (uint16_t)(r->num + 1 + v % (65536u - 2u * r->num - 1));
	__atomic_store_n(&r->s.avail->idx, htole16((uint16_t)(r->s.avail_idx + v)), __ATOMIC_RELEASE);
	r->corrupt = true;
}

static void events(struct in *in)
{
	for (int q = 0; q < 2; q++) {
		struct ring *r = &F.r[q];
		uint16_t v = u16(in);

		if (r->packed)
			pdrv_set_event(&r->k, v % 3, (uint16_t)((v >> 2) % r->num), v & 0x8000);
		else {
			drv_set_used_event(&r->s, v);
			drv_set_avail_flags(&r->s, v & 1);
		}
	}
}

static void set_mtu(struct in *in)
{
	uint16_t mtu = (uint16_t)(68 + u16(in) % 8933);

	FZ_ASSERT(vdn_net_set_mtu(F.dev, mtu) == 0);
	F.max_pkt = RTE_MAX(F.max_pkt, mtu + 14u + 8u);
}

static void run(struct in *in)
{
	static struct rte_mempool **pool_pick[4] = {
		&pools[POOL_BIG], &pools[POOL_FEW], &pools[POOL_TINY], &pools[POOL_FEW],
	};
	struct vdn_net_opts o = {
		.sz = sizeof(o),
		.name = "fz",
		.packed = true,
		.in_order = true,
		.features_off = BIT(VIRTIO_NET_F_CTRL_VQ),
		.log = fz_log,
		.log_opaque = &F,
	};
	struct vdn_net_q_stats st;
	uint16_t mtu;

	FZ_ASSERT(vdn_net_create_on(&o, &ops, &F, &F.dev) == 0);
	read_cfg(in);
	mtu = (uint16_t)(68 + u16(in) % 8933);
	FZ_ASSERT(vdn_net_set_mtu(F.dev, mtu) == 0);
	F.max_pkt = mtu + 14u + 8u;
	driver_ok();

	for (unsigned int k = 0; k < MAX_OPS && in->n; k++) {
		uint8_t op = u8(in), fl = op >> 4;

		if (trace)
			fprintf(stderr, "op %u: %u flags %#x, %zu bytes left; tx in flight %u, rx %u\n", k,
				op & 15, fl, in->n, F.r[1].inflight, F.r[0].inflight);

		switch (op & 15) {
		case 0:
		case 1:
			post_tx(in, build_raw(in, fl), u8(in));
			break;
		case 2:
		{
			uint32_t len = build_tcp(in, fl & 1, true);
			uint8_t shape = u8(in) & ~0x30;

			/* a marked frame's table stays intact */
			post_tx(in, len, F.tracked ? shape & ~8 : shape);
			break;
		}
		case 3:
			post_rx(in);
			break;
		case 4:
		case 5:
		{
			uint8_t b = u8(in);

			/* 0xff: a burst of none */
			dequeue(*pool_pick[fl & 3], b == 0xff ? 0 : (uint16_t)(1 + b % 64), fl & 4);
			break;
		}
		case 6:
			enqueue(in, fl);
			break;
		case 7:
			reap(0);
			reap(1);
			break;
		case 8:
			corrupt(in, fl);
			break;
		case 9:
			if (fl & 2) {
				/* destroyed as it stands: what waits in the
				 * device (a super-frame, q->ovf) must not leak */
				release_held();
				FZ_ASSERT(vdn_net_destroy(F.dev) == 0);
				F.dev = NULL;
				return;
			}
			FZ_ASSERT(vdn_net_transport_status(F.dev, 0) == 0);
			F.running = false;
			/* a super-frame half cut dies with the driver */
			F.tso_left = 0;
			read_cfg(in);
			if (fl & 1)
				driver_ok();
			break;
		case 10:
			if (!F.running)
				driver_ok();
			break;
		case 11:
			release_held();
			break;
		case 12:
			set_mtu(in);
			break;
		case 13:
			events(in);
			break;
		case 14:
			post_tx(in, build_tcp(in, fl & 1, false), (uint8_t)(u8(in) & ~0x30));
			break;
		default:
			post_many(in, fl);
			break;
		}
	}

	/* the final drain: a pool that cannot run dry, bursts as big as any */
	release_held();
	if (!F.running)
		driver_ok();
	unsigned int b;

	for (b = 0; b < DRAIN_BURSTS; b++) {
		reap(1);
		if (!dequeue(pools[POOL_BIG], 64, false))
			break;
	}
	FZ_ASSERT(b < DRAIN_BURSTS);
	reap(0);
	reap(1);
	if (!F.r[1].broken)
		FZ_ASSERT(F.r[1].inflight == 0);
	FZ_ASSERT(vdn_net_qp_stats(F.dev, 0, &st) == 0);
	if (trace)
		fprintf(stderr, "end: tx %" PRIu64 " (%" PRIu64 " gso segments), rx %" PRIu64
			", bad chains %" PRIu64 ", bad hdr %" PRIu64 ", no mbuf %" PRIu64
			", too big %" PRIu64 ", broken %" PRIu64 ", gro %" PRIu64 "/%" PRIu64 "\n",
			st.tx_packets, st.gso_segs, st.rx_packets, st.drop[VDN_NET_DROP_BAD_CHAIN],
			st.drop[VDN_NET_DROP_BAD_HDR], st.drop[VDN_NET_DROP_NO_MBUF],
			st.drop[VDN_NET_DROP_TOO_BIG], st.vq_broken, st.gro_frames, st.gro_segs);
	FZ_ASSERT(st.tx_packets == F.deq_total);
	FZ_ASSERT(st.rx_packets == F.enq_total);
	FZ_ASSERT(vdn_net_destroy(F.dev) == 0);
	F.dev = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	uint64_t hi;

	F.a.brk = BUF_BASE;
	F.hi = BUF_BASE;
	F.nheld = 0;
	F.deq_total = F.enq_total = 0;
	F.next_seq = 0;
	F.last_seq = -1;
	F.tso_left = 0;
	F.running = false;
	run(&in);
	for (int i = 0; i < NPOOLS; i++)
		FZ_ASSERT(rte_mempool_avail_count(pools[i]) == pool_n[i]);
	FZ_ASSERT(rte_mempool_avail_count(src_mp) == SRC_N);
	/* the next input starts from clean driver memory */
	hi = RTE_MAX(F.hi, F.a.brk);
	hi = RTE_MIN(hi, (uint64_t)ARENA_SIZE);
	memset(arena_ptr(&F.a, 64), 0, hi - 64);
	return 0;
}
