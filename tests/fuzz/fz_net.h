/* SPDX-License-Identifier: BSD-3-Clause */
/* What the parts of fuzz_net_dev share: the driver's state, the input
 * reader, the frames' markers and pattern (see fuzz_net_dev.c). */
#ifndef VDN_FZ_NET_H
#define VDN_FZ_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <linux/virtio_net.h>

#include "vdn_net_transport.h"
#include "vring_driver.h"

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
extern struct rte_mempool *fz_net_pools[NPOOLS], *fz_net_src_mp;
#define SRC_N 1024

struct in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t u16(struct in *in)
{
	uint16_t lo = u8(in);

	return (uint16_t)(lo | u8(in) << 8);
}

static inline uint32_t u32(struct in *in)
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
	/* split: heads past the ring published since the start; they hold
	 * avail slots until the device passes them, which the driver cannot
	 * see, so they count against the ring for good */
	uint16_t bogus;
};

struct fz_net_state {
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
	bool tracked; /* fz_net_build_tcp() made a marked TSO frame */
	/* RX chains in flight, as posted, and the packet being read back */
	struct drv_seg rx_seg[DRV_MAX_NUM][3];
	uint8_t rx_nseg[DRV_MAX_NUM];
	uint16_t rx_left;  /* buffers of it still to come */
	uint32_t rx_len;   /* packet bytes read so far, into rx_pkt */
	struct virtio_net_hdr_v1 rx_vh;
	uint8_t rx_pkt[MAX_FRAME];
};
extern struct fz_net_state fz_net;

/* source MAC of fz_net_post_many()'s frames */
extern const uint8_t fz_net_marker[6];
/* source MAC of fz_net_build_tcp()'s intact TSO frames, their number in the
 * destination's bytes 1-4 */
extern const uint8_t fz_net_tso_marker[6];
/* frame bytes not taken from the input (filled once: per-byte loops cost
 * a coverage callback each) */
extern uint8_t fz_net_pattern[MAX_FRAME + 256];
/* FZ_NET_DEV_TRACE set: each op and what it did, to read a finding by */
extern bool fz_net_trace;

/* First TCP sequence number of fz_net_make_train()'s flows: a segment's
 * payload is the pattern from its sequence number's distance to this on. */
#define TRAIN_SEQ 0x10000000u

/* the driver's rings (fuzz_net_dev.c) */
int fz_net_post(int q, const struct drv_seg *segs, unsigned int n, uint64_t table);
uint64_t fz_net_balloc(uint64_t len, uint64_t align);

/* what the driver posts and the host enqueues (fz_net_frames.c) */
uint32_t fz_net_build_tcp(struct in *in, bool v6, bool gso);
uint32_t fz_net_build_raw(struct in *in, uint8_t flags);
void fz_net_post_tx(struct in *in, uint32_t len, uint8_t shape);
void fz_net_post_many(struct in *in, uint8_t flags);
void fz_net_post_rx(struct in *in);
struct rte_mbuf *fz_net_make_rx_pkt(struct in *in);
uint16_t fz_net_make_train(struct in *in, struct rte_mbuf **pkts, uint16_t max);

/* the oracle on what comes out (fz_net_check.c) */
void fz_net_check_pkt(const struct rte_mbuf *m);
void fz_net_check_seq(const struct rte_mbuf *m);
void fz_net_rx_check(uint32_t id, uint32_t len);

#endif
