/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lean driver sides of a split and a packed ring for the ring benchmark, in
 * one block of shared memory where IOVA = offset.  Unlike the unit tests'
 * driver (tests/unit/vring_driver.c) these are built for speed: one
 * descriptor per packet, buffer i always at the same place, a free list of
 * ids, and one publishing store per burst, as Linux's virtio_ring does.
 */
#ifndef VDN_BENCH_DRIVER_H
#define VDN_BENCH_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

#include "vdn_vq.h"

#define BENCH_MAX_NUM 1024
#define BENCH_BUF_SIZE 2048u
#define BENCH_HDR_LEN 12u /* virtio_net_hdr_mrg_rxbuf, as with VERSION_1 */

struct bench_mem {
	uint8_t *base;
	uint64_t size;
	uint64_t buf_iova; /* buffer i at buf_iova + i * BENCH_BUF_SIZE */
};

struct bench_drv {
	bool packed;
	bool rx;           /* post device-writable buffers */
	uint16_t num;
	uint32_t pkt_len;  /* payload bytes per packet */
	uint32_t post_len; /* descriptor length */
	struct bench_mem *m;
	uint64_t area[3];  /* the three ring areas' IOVAs */
	/* split */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx, last_used_idx;
	/* packed */
	struct vring_packed_desc *pdesc;
	uint16_t next_avail, last_used;
	bool avail_wrap, used_wrap;
	/* both */
	uint16_t nfree;
	uint16_t free_ids[BENCH_MAX_NUM];
	uint64_t seq_post; /* sequence stamped into / expected from buffers */
	uint64_t seq_done;
	uint64_t errors;
	/* VIRTIO_F_IN_ORDER taken: buffers come back in the order posted, and
	 * one used entry may stand for every buffer up to the one it names
	 * (ids posted, oldest at ord_head) */
	bool in_order;
	uint16_t ord_head, ord_n;
	uint16_t ord[BENCH_MAX_NUM];
	/* Not 0: the device cannot stamp sequence numbers (DPDK's vhost fed
	 * by its null port, vu_bench).  RX buffers must come back with the
	 * right length, num_buffers 1 and without BENCH_RX_MARK, which one in
	 * rx_mark_every (a power of 2) posted buffers holds for the device's
	 * copy to overwrite (no sequence check).  The write is one that
	 * dev_bench's driver does not do, hence the choice; measured, marking
	 * every buffer did not slow vu_bench down (doc/perf.rst). */
	uint16_t rx_mark_every;
};

#define BENCH_RX_MARK 0x5a17c0de5a17c0deull

/* Carve rings and num buffers out of m (zeroed), driver state ready. */
int bench_drv_init(struct bench_drv *d, struct bench_mem *m, bool packed, bool rx, uint16_t num,
		   uint32_t pkt_len);
/* The device's configuration for this ring (no EVENT_IDX, no INDIRECT;
 * IN_ORDER if d->in_order is set, batching TX completions). */
void bench_drv_cfg(const struct bench_drv *d, struct vdn_vring_cfg *cfg, vdn_vring_xlate_fn xl);
/* Make up to max free buffers available, one publish; returns how many. */
unsigned int bench_drv_post(struct bench_drv *d, unsigned int max);
/* Take back what the device used; RX buffers are checked (length, seq). */
unsigned int bench_drv_reclaim(struct bench_drv *d);

static inline uint8_t *bench_buf(const struct bench_mem *m, uint16_t id)
{
	return m->base + m->buf_iova + (uint64_t)id * BENCH_BUF_SIZE;
}

#endif
