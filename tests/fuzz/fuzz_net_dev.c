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
 * This file: the transport, the driver's rings and the ops; the frames
 * posted and enqueued are made in fz_net_frames.c, what comes out is
 * checked in fz_net_check.c.
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
#include "fz_net.h"

#define DRIVER_OK                                                                          \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |  \
	 VIRTIO_CONFIG_S_DRIVER_OK)

static const unsigned int pool_n[NPOOLS] = { 4095, 4, 24 };
struct rte_mempool *fz_net_pools[NPOOLS], *fz_net_src_mp;
struct fz_net_state fz_net;
/* source MAC of fz_net_post_many()'s frames */
const uint8_t fz_net_marker[6] = { 0xfe, 'f', 'z', 's', 'e', 'q' };
/* source MAC of fz_net_build_tcp()'s intact TSO frames, their number in the
 * destination's bytes 1-4 */
const uint8_t fz_net_tso_marker[6] = { 0xfe, 'f', 'z', 't', 's', 'o' };
/* frame bytes not taken from the input (filled once: per-byte loops cost
 * a coverage callback each) */
uint8_t fz_net_pattern[MAX_FRAME + 256];
/* FZ_NET_DEV_TRACE set: each op and what it did, to read a finding by */
bool fz_net_trace;

/* The whole arena is one read/write mapping, or (the input says) mappings
 * of `chunk` bytes each above the rings, so buffers and tables split into
 * pieces.  Not arena_xlate(): its page walk would be most of the time. */
static void *fz_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	struct fz_net_state *f = ctx;
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
	struct fz_net_state *f = ctx;
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
	return ((struct fz_net_state *)ctx)->features;
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
	struct fz_net_state *f = opaque;
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
	fz_net_pools[POOL_BIG] = rte_pktmbuf_pool_create("fz_big", pool_n[POOL_BIG], 0, 0,
						  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	fz_net_pools[POOL_FEW] = rte_pktmbuf_pool_create("fz_few", pool_n[POOL_FEW], 0, 0,
						  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	/* 128-byte data room: frames chain, long headers do not fit */
	fz_net_pools[POOL_TINY] = rte_pktmbuf_pool_create("fz_tiny", pool_n[POOL_TINY], 0, 0,
						   RTE_PKTMBUF_HEADROOM + 128, SOCKET_ID_ANY);
	fz_net_src_mp = rte_pktmbuf_pool_create("fz_src", SRC_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	FZ_ASSERT(fz_net_pools[POOL_BIG] && fz_net_pools[POOL_FEW] && fz_net_pools[POOL_TINY] &&
		  fz_net_src_mp);
	FZ_ASSERT(arena_init(&fz_net.a) == 0);
	fz_net_trace = getenv("FZ_NET_DEV_TRACE") != NULL;
	for (size_t i = 0; i < sizeof(fz_net_pattern); i++)
		fz_net_pattern[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

/* ---- the driver's rings ---------------------------------------------- */

/* Lay ring `q` out afresh in its slot: nothing in flight. */
static void ring_init(int q, uint8_t shape, uint8_t start)
{
	struct ring *r = &fz_net.r[q];
	uint64_t brk = fz_net.a.brk;
	uint64_t slot = 64 + (uint64_t)q * RING_SLOT;

	r->packed = fz_net.features & BIT(VIRTIO_F_RING_PACKED);
	r->in_order = fz_net.features & BIT(VIRTIO_F_IN_ORDER);
	r->num = (uint16_t)(2u << (shape & 7));
	/* a packed ring need not be a power of 2 */
	if (r->packed && (shape & 8) && r->num > 2)
		r->num--;
	memset(arena_ptr(&fz_net.a, slot), 0, RING_SLOT - 64);
	fz_net.a.brk = slot;
	if (r->packed) {
		r->start = start % r->num;
		r->start_wrap = !(start & 0x80);
		FZ_ASSERT(pdrv_init(&r->k, &fz_net.a, r->num, r->start, r->start_wrap) == 0);
		r->k.in_order = r->in_order;
	} else {
		/* spread over 16 bits: starts near the wrap of the index */
		r->start = (uint16_t)(start * 257u);
		r->start_wrap = false;
		FZ_ASSERT(drv_init(&r->s, &fz_net.a, r->num, r->start) == 0);
		r->s.in_order = r->in_order;
	}
	FZ_ASSERT(fz_net.a.brk <= slot + RING_SLOT - 64);
	fz_net.a.brk = brk;
	memset(r->posted, 0, sizeof(r->posted));
	r->inflight = 0;
	if (q == 0)
		fz_net.rx_left = 0;
	r->corrupt = false;
	r->broken = false;
	r->bogus = 0;
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

	fz_net.features = BIT(VIRTIO_F_VERSION_1);
	for (unsigned int i = 0; i < RTE_DIM(bits); i++)
		if (w & (1u << i))
			fz_net.features |= BIT(bits[i]);
	FZ_ASSERT(vdn_net_info(fz_net.dev, &info) == 0);
	fz_net.features &= info.features_offered;
	/* new mappings come with a new driver: 512 B, 4 KiB or 32 KiB */
	fz_net.chunk = w >> 14 ? 0x8000u >> (3 * (3 - (w >> 14))) : 0;
	ring_init(0, rx & 15, (uint8_t)(rx >> 4) * 17u);
	ring_init(1, tx & 15, (uint8_t)(tx >> 4) * 17u);
}

static void driver_ok(void)
{
	FZ_ASSERT(vdn_net_transport_status(fz_net.dev, DRIVER_OK) == 0);
	fz_net.running = true;
	FZ_ASSERT(vdn_net_qp_running(fz_net.dev, 0));
}

static uint16_t nfree(const struct ring *r)
{
	if (r->packed)
		return r->k.nids ? r->k.nfree : 0;
	return r->s.nfree;
}

/* Room for a chain of `need` descriptors, and on a split ring an avail
 * slot for it: one per chain in flight or head past the ring. */
static bool room(const struct ring *r, unsigned int need)
{
	if (!r->packed && r->inflight + r->bogus >= r->num)
		return false;
	return nfree(r) >= need;
}

/* Take every used entry the device published and check it. */
static void reap(int q)
{
	struct ring *r = &fz_net.r[q];
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
			fz_net_rx_check(id, len);
		}
	}
	/* a packet's buffers are published together */
	if (q == 0)
		FZ_ASSERT(!fz_net.rx_left);
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
int fz_net_post(int q, const struct drv_seg *segs, unsigned int n, uint64_t table)
{
	struct ring *r = &fz_net.r[q];
	unsigned int need = table != UINT64_MAX ? 1 : n;
	int id;

	if (!room(r, need))
		reap(q);
	if (!room(r, need))
		return -1;
	if (table != UINT64_MAX)
		id = r->packed ? pdrv_add_indirect(&r->k, table, segs, n)
			       : drv_add_indirect(&r->s, table, segs, n);
	else
		id = r->packed ? pdrv_add(&r->k, segs, n) : drv_add(&r->s, segs, n);
	if (fz_net_trace) {
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
		memcpy(fz_net.rx_seg[id], segs, n * sizeof(*segs));
		fz_net.rx_nseg[id] = (uint8_t)n;
	}
	r->cap[id] = 0;
	for (unsigned int i = 0; i < n; i++)
		if (segs[i].write)
			r->cap[id] += segs[i].len;
	return id;
}

uint64_t fz_net_balloc(uint64_t len, uint64_t align)
{
	uint64_t at = arena_alloc(&fz_net.a, len ? len : 1, align);

	if (at != UINT64_MAX && at + len > fz_net.hi)
		fz_net.hi = at + len;
	return at;
}

/* ---- bursts ----------------------------------------------------------- */

static uint16_t dequeue(struct rte_mempool *mp, uint16_t n, bool hold)
{
	struct rte_mbuf *pkts[64];
	uint16_t got = vdn_net_dequeue_burst(fz_net.dev, 0, mp, pkts, n);

	if (fz_net_trace)
		fprintf(stderr, "  dequeue %u from %s: %u\n", n, mp->name, got);
	FZ_ASSERT(got <= n);
	fz_net.deq_total += got;
	for (uint16_t i = 0; i < got; i++) {
		fz_net_check_pkt(pkts[i]);
		fz_net_check_seq(pkts[i]);
		if (hold && fz_net.nheld < MAX_HELD)
			fz_net.held[fz_net.nheld++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	return got;
}

static void release_held(void)
{
	for (unsigned int i = 0; i < fz_net.nheld; i++)
		rte_pktmbuf_free(fz_net.held[i]);
	fz_net.nheld = 0;
}

static void enqueue(struct in *in, uint8_t flags)
{
	struct rte_mbuf *pkts[32];
	uint8_t b = u8(in);
	uint16_t n = 0, want = b == 0xff ? 0 : 1 + b % 32, done;

	/* bit 1: no receive coalescing from this burst on */
	vdn_net_set_gro(fz_net.dev, !(flags & 2));
	if (flags & 1 && want)
		n = fz_net_make_train(in, pkts, want);
	while (n < want && !(flags & 1)) {
		struct rte_mbuf *m = fz_net_make_rx_pkt(in);

		if (!m)
			break;
		pkts[n++] = m;
	}
	done = vdn_net_enqueue_burst(fz_net.dev, 0, pkts, n);
	if (fz_net_trace)
		fprintf(stderr, "  enqueue %u: %u\n", n, done);
	FZ_ASSERT(done <= n);
	fz_net.enq_total += done;
	/* enqueue copies: the packets are still ours */
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

/* ---- the misbehaviour ------------------------------------------------- */

static void corrupt(struct in *in, uint8_t flags)
{
	struct ring *r = &fz_net.r[flags & 1 ? 0 : 1]; /* TX unless bit 0 */
	uint16_t v = u16(in);

	/* a packed ring has no index to corrupt */
	if (r->packed)
		return;
	if ((flags & 4) && !r->in_order) {
		/* a head past the ring: consumed, never used (an in-order
		 * driver would wait for it forever); not over an entry the
		 * device may not have read yet */
		if (r->inflight + r->bogus >= r->num)
			return;
		r->bogus++;
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
		struct ring *r = &fz_net.r[q];
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

	FZ_ASSERT(vdn_net_set_mtu(fz_net.dev, mtu) == 0);
	fz_net.max_pkt = RTE_MAX(fz_net.max_pkt, mtu + 14u + 8u);
}

static void run(struct in *in)
{
	static struct rte_mempool **pool_pick[4] = {
		&fz_net_pools[POOL_BIG], &fz_net_pools[POOL_FEW],
		&fz_net_pools[POOL_TINY], &fz_net_pools[POOL_FEW],
	};
	struct vdn_net_opts o = {
		.sz = sizeof(o),
		.name = "fz",
		.packed = true,
		.in_order = true,
		.features_off = BIT(VIRTIO_NET_F_CTRL_VQ),
		.log = fz_log,
		.log_opaque = &fz_net,
	};
	struct vdn_net_q_stats st;
	uint16_t mtu;

	FZ_ASSERT(vdn_net_create_on(&o, &ops, &fz_net, &fz_net.dev) == 0);
	read_cfg(in);
	mtu = (uint16_t)(68 + u16(in) % 8933);
	FZ_ASSERT(vdn_net_set_mtu(fz_net.dev, mtu) == 0);
	fz_net.max_pkt = mtu + 14u + 8u;
	driver_ok();

	for (unsigned int k = 0; k < MAX_OPS && in->n; k++) {
		uint8_t op = u8(in), fl = op >> 4;

		if (fz_net_trace)
			fprintf(stderr, "op %u: %u flags %#x, %zu bytes left; tx in flight %u, rx %u\n", k,
				op & 15, fl, in->n, fz_net.r[1].inflight, fz_net.r[0].inflight);

		switch (op & 15) {
		case 0:
		case 1:
			fz_net_post_tx(in, fz_net_build_raw(in, fl), u8(in));
			break;
		case 2:
		{
			uint32_t len = fz_net_build_tcp(in, fl & 1, true);
			uint8_t shape = u8(in) & ~0x30;

			/* a marked frame's table stays intact */
			fz_net_post_tx(in, len, fz_net.tracked ? shape & ~8 : shape);
			break;
		}
		case 3:
			fz_net_post_rx(in);
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
				FZ_ASSERT(vdn_net_destroy(fz_net.dev) == 0);
				fz_net.dev = NULL;
				return;
			}
			FZ_ASSERT(vdn_net_transport_status(fz_net.dev, 0) == 0);
			fz_net.running = false;
			/* a super-frame half cut dies with the driver */
			fz_net.tso_left = 0;
			read_cfg(in);
			if (fl & 1)
				driver_ok();
			break;
		case 10:
			if (!fz_net.running)
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
			fz_net_post_tx(in, fz_net_build_tcp(in, fl & 1, false), (uint8_t)(u8(in) & ~0x30));
			break;
		default:
			fz_net_post_many(in, fl);
			break;
		}
	}

	/* the final drain: a pool that cannot run dry, bursts as big as any */
	release_held();
	if (!fz_net.running)
		driver_ok();
	unsigned int b;

	for (b = 0; b < DRAIN_BURSTS; b++) {
		reap(1);
		if (!dequeue(fz_net_pools[POOL_BIG], 64, false))
			break;
	}
	FZ_ASSERT(b < DRAIN_BURSTS);
	reap(0);
	reap(1);
	if (!fz_net.r[1].broken)
		FZ_ASSERT(fz_net.r[1].inflight == 0);
	FZ_ASSERT(vdn_net_qp_stats(fz_net.dev, 0, &st) == 0);
	if (fz_net_trace)
		fprintf(stderr, "end: tx %" PRIu64 " (%" PRIu64 " gso segments), rx %" PRIu64
			", bad chains %" PRIu64 ", bad hdr %" PRIu64 ", no mbuf %" PRIu64
			", too big %" PRIu64 ", broken %" PRIu64 ", gro %" PRIu64 "/%" PRIu64 "\n",
			st.tx_packets, st.gso_segs, st.rx_packets, st.drop[VDN_NET_DROP_BAD_CHAIN],
			st.drop[VDN_NET_DROP_BAD_HDR], st.drop[VDN_NET_DROP_NO_MBUF],
			st.drop[VDN_NET_DROP_TOO_BIG], st.vq_broken, st.gro_frames, st.gro_segs);
	FZ_ASSERT(st.tx_packets == fz_net.deq_total);
	FZ_ASSERT(st.rx_packets == fz_net.enq_total);
	FZ_ASSERT(vdn_net_destroy(fz_net.dev) == 0);
	fz_net.dev = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	uint64_t hi;

	fz_net.a.brk = BUF_BASE;
	fz_net.hi = BUF_BASE;
	fz_net.nheld = 0;
	fz_net.deq_total = fz_net.enq_total = 0;
	fz_net.next_seq = 0;
	fz_net.last_seq = -1;
	fz_net.tso_left = 0;
	fz_net.running = false;
	run(&in);
	for (int i = 0; i < NPOOLS; i++)
		FZ_ASSERT(rte_mempool_avail_count(fz_net_pools[i]) == pool_n[i]);
	FZ_ASSERT(rte_mempool_avail_count(fz_net_src_mp) == SRC_N);
	/* the next input starts from clean driver memory */
	hi = RTE_MAX(fz_net.hi, fz_net.a.brk);
	hi = RTE_MIN(hi, (uint64_t)ARENA_SIZE);
	memset(arena_ptr(&fz_net.a, 64), 0, hi - 64);
	return 0;
}
