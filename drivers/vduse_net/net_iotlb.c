/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOTLB changes while the driver runs (control thread).  vhost-vdpa hands
 * VDUSE a whole new map on every change (memory hot-plug, a client that
 * remaps) and VDUSE then invalidates [0, ~0]: the IOVAs the driver
 * programmed stay valid, only what they translate to changes.  So a queue
 * keeps its place: the rings it holds translated are stopped, re-translated
 * against the new map and started again, and lib/vduse unmaps the old
 * regions once every datapath lcore has left the burst it was in.
 *
 * Quiescent points: an lcore holds translated pointers only inside a burst,
 * between vq_enter() (busy = 1, seq_cst) and vq_leave() (gen++, busy = 0).
 * A queue that is not busy, or whose gen moved, has no burst left that
 * began before the regions were retired.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>

#include "net_private.h"

/* Far above one burst of work (even under TCG), far below VDUSE's message
 * timeout; on expiry the old regions just stay mapped a little longer. */
#define QUIESCE_MAX_NS (200ull * 1000 * 1000)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool overlaps(uint64_t a, uint64_t len, uint64_t start, uint64_t last)
{
	return len && a <= last && a + (len - 1) >= start;
}

/* Does any area of vq `index`'s ring lie in [start, last]?  Sizes cover the
 * event words whether negotiated or not: a spurious stop costs nothing. */
static bool ring_in_range(const struct vdn_vduse_vq_info *vi, uint64_t start, uint64_t last)
{
	uint64_t n = vi->num;

	if (vi->packed)
		return overlaps(vi->desc_iova, 16 * n, start, last) ||
		       overlaps(vi->avail_iova, 4, start, last) ||
		       overlaps(vi->used_iova, 4, start, last);
	return overlaps(vi->desc_iova, 16 * n, start, last) ||
	       overlaps(vi->avail_iova, 6 + 2 * n, start, last) ||
	       overlaps(vi->used_iova, 6 + 8 * n, start, last);
}

static int remap_ring(struct vdn_net_dev *dev, uint32_t index, struct vdn_vq *ring)
{
	struct vdn_vduse_vq_info vi;
	vdn_vring_xlate_fn xlate;
	void *xlate_ctx;
	int rc = vdn_net_tp_vq_info(dev, index, &vi, &xlate, &xlate_ctx);

	if (rc < 0)
		return rc;
	struct vdn_vring_cfg cfg = {
		.num = vi.num,
		.desc_iova = vi.desc_iova,
		.avail_iova = vi.avail_iova,
		.used_iova = vi.used_iova,
		.xlate = xlate,
		.xlate_ctx = xlate_ctx,
		.packed = vi.packed,
	};
	return vdn_vq_remap(ring, &cfg);
}

static void stop_if_in_range(struct vdn_net_dev *dev, struct vdn_net_vq *vq, uint64_t start,
			     uint64_t last)
{
	struct vdn_vduse_vq_info vi;
	vdn_vring_xlate_fn xlate;
	void *xlate_ctx;

	vq->remap = false;
	if (atomic_load(&vq->state) != VQ_RUNNING)
		return;
	if (vdn_net_tp_vq_info(dev, vq->index, &vi, &xlate, &xlate_ctx) == 0 &&
	    !ring_in_range(&vi, start, last))
		return;
	/* as vdn_net_queues_stop(): the lcore finishes at most the burst it
	 * is in, then sees STOPPED */
	atomic_store(&vq->state, VQ_STOPPED);
	while (atomic_load(&vq->busy))
		sched_yield();
	vq->remap = true;
}

void vdn_net_iotlb_invalidate(void *opaque, uint64_t start, uint64_t last)
{
	struct vdn_net_dev *dev = opaque;

	for (uint16_t i = 0; i < dev->max_qp; i++) {
		stop_if_in_range(dev, &dev->qp[i].rx, start, last);
		stop_if_in_range(dev, &dev->qp[i].tx, start, last);
	}
}

static void restart(struct vdn_net_dev *dev, struct vdn_net_vq *vq)
{
	if (!vq->remap)
		return;
	vq->remap = false;
	int rc = remap_ring(dev, vq->index, &vq->ring);
	if (rc < 0) {
		/* the driver moved memory from under its own ring: the queue
		 * stays stopped until it resets the device */
		vdn_net_logf(dev, RTE_LOG_ERR, "vq %u: ring no longer translates after an "
			     "IOTLB update: %s; queue stopped", vq->index, strerror(-rc));
		return;
	}
	atomic_store(&vq->state, VQ_RUNNING);
}

void vdn_net_iotlb_invalidated(void *opaque, uint64_t start, uint64_t last)
{
	struct vdn_net_dev *dev = opaque;

	(void)start;
	(void)last;
	for (uint16_t i = 0; i < dev->max_qp; i++) {
		restart(dev, &dev->qp[i].rx);
		restart(dev, &dev->qp[i].tx);
	}
	/* the control queue runs on this thread: nothing to stop */
	if (dev->cvq.running) {
		int rc = remap_ring(dev, vdn_net_cvq_index(dev), &dev->cvq.ring);

		if (rc < 0) {
			vdn_net_logf(dev, RTE_LOG_ERR, "control queue: ring no longer translates "
				     "after an IOTLB update: %s; stopped", strerror(-rc));
			vdn_net_cvq_stop(dev);
		}
	}
}

static int wait_burst(const struct vdn_net_vq *vq, uint64_t deadline)
{
	if (!atomic_load(&vq->busy))
		return 0;
	uint32_t g = atomic_load(&vq->gen);
	while (atomic_load(&vq->busy) && atomic_load(&vq->gen) == g) {
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		sched_yield();
	}
	return 0;
}

int vdn_net_iotlb_quiesce(void *opaque)
{
	struct vdn_net_dev *dev = opaque;
	uint64_t deadline = now_ns() + QUIESCE_MAX_NS;

	for (uint16_t i = 0; i < dev->max_qp; i++) {
		if (wait_burst(&dev->qp[i].rx, deadline) || wait_burst(&dev->qp[i].tx, deadline))
			return -ETIMEDOUT;
	}
	return 0;
}
