/* SPDX-License-Identifier: BSD-3-Clause */
/* Bringing virtqueues up when the driver sets DRIVER_OK and down on reset.
 * Runs on the control thread; see struct vdn_net_vq for the hand-over. */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <rte_log.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "net_private.h"

/* Program `ring` from what the driver wrote for vq `index`, split or
 * packed as negotiated. */
int vdn_net_vq_setup(struct vdn_net_dev *dev, uint32_t index, struct vdn_vq *ring, bool *ready)
{
	struct vdn_vduse_vq_info info;
	vdn_vring_xlate_fn xlate;
	void *xlate_ctx;
	int rc = vdn_net_tp_vq_info(dev, index, &info, &xlate, &xlate_ctx);

	if (rc < 0)
		return rc;
	*ready = info.ready;
	if (!info.ready)
		return 0;
	struct vdn_vring_cfg cfg = {
		.num = info.num,
		.desc_iova = info.desc_iova,
		.avail_iova = info.avail_iova,
		.used_iova = info.used_iova,
		.event_idx = dev->event_idx,
		.indirect = dev->indirect,
		.last_avail_idx = info.avail_idx,
		.xlate = xlate,
		.xlate_ctx = xlate_ctx,
		.packed = info.packed,
		.in_order = dev->in_order,
		/* TX lengths mean nothing to the driver (the device writes no
		 * TX buffer), so a burst of TX completions may be one entry;
		 * RX and control lengths must each be written */
		.in_order_batch = index % 2 == 1 && index < 2u * dev->max_qp,
	};
	if (info.packed) {
		const struct vdn_vduse_vq_packed *p = &info.packed_state;

		cfg.last_avail_idx = p->last_avail_idx;
		cfg.avail_wrap = p->avail_wrap;
		cfg.last_used_idx = p->last_used_idx;
		cfg.used_wrap = p->used_wrap;
		/* We only ever stop between bursts, with every popped chain
		 * pushed, so the used side stands where the avail side does
		 * (as for split rings).  Clients that leave the used half of
		 * VHOST_SET_VRING_BASE 0 (wrap counter 0 on a fresh ring)
		 * would otherwise get completions they cannot see. */
		if (cfg.last_used_idx != cfg.last_avail_idx || cfg.used_wrap != cfg.avail_wrap) {
			vdn_net_logf(dev, RTE_LOG_DEBUG,
				     "vq %u: used state %u/%d differs from avail %u/%d: resuming both at avail",
				     index, cfg.last_used_idx, cfg.used_wrap, cfg.last_avail_idx,
				     cfg.avail_wrap);
			cfg.last_used_idx = cfg.last_avail_idx;
			cfg.used_wrap = cfg.avail_wrap;
		}
	}
	if (info.packed && dev->journal && index < dev->journal_len)
		cfg.journal = &dev->journal[index];
	if (dev->resuming) {
		rc = vdn_net_resume_pos(dev, index, &cfg);
		if (rc < 0)
			return rc;
	}
	rc = vdn_vq_init(ring, &cfg);
	if (rc < 0)
		vdn_net_logf(dev, RTE_LOG_ERR, "vq %u: bad ring from the driver (num %u): %s", index,
			     info.num, strerror(-rc));
	return rc;
}

static void vq_stop(struct vdn_net_vq *vq)
{
	atomic_store(&vq->state, VQ_STOPPED);
	/* Wait out a burst in flight: bounded by one burst of work. */
	while (atomic_load(&vq->busy))
		sched_yield();
}

static int vq_start(struct vdn_net_dev *dev, struct vdn_net_vq *vq)
{
	bool ready;
	int rc = vdn_net_vq_setup(dev, vq->index, &vq->ring, &ready);

	if (rc < 0 || !ready)
		return rc;
	vq->broken_seen = false;
	/* Datapath lcores poll: kicks would only cost the driver exits. */
	vdn_vq_set_notify(&vq->ring, false);
	atomic_store(&vq->state, VQ_RUNNING);
	return 0;
}

int vdn_net_queues_start(struct vdn_net_dev *dev)
{
	uint64_t f = tp_driver_features(dev);
	int rc;

	dev->mrg_rxbuf = f & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	dev->event_idx = f & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	dev->indirect = f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	dev->in_order = f & (1ULL << VIRTIO_F_IN_ORDER);
	dev->guest_csum = f & (1ULL << VIRTIO_NET_F_GUEST_CSUM);
	dev->host_tso4 = f & (1ULL << VIRTIO_NET_F_HOST_TSO4);
	dev->host_tso6 = f & (1ULL << VIRTIO_NET_F_HOST_TSO6);
	/* a merged frame's checksum is left partial (NEEDS_CSUM): that takes
	 * GUEST_CSUM besides the TSO feature (virtio 5.1.6.4) */
	dev->gro.v4 = dev->guest_csum && (f & (1ULL << VIRTIO_NET_F_GUEST_TSO4));
	dev->gro.v6 = dev->guest_csum && (f & (1ULL << VIRTIO_NET_F_GUEST_TSO6));
	dev->gro.max_segs = VDN_NET_GRO_MAX_SEGS;
	/* Without MQ negotiated only the first pair exists for the driver,
	 * and vq 2 is its control queue, not a second pair's RX ring. */
	dev->drv_qp = (f & (1ULL << VIRTIO_NET_F_MQ)) ? dev->max_qp : 1;
	atomic_store(&dev->active_qp, 1);
	for (uint16_t i = 0; i < dev->drv_qp; i++) {
		rc = vq_start(dev, &dev->qp[i].rx);
		if (rc == 0)
			rc = vq_start(dev, &dev->qp[i].tx);
		if (rc < 0)
			goto fail;
	}
	if (dev->cvq_ok && (f & (1ULL << VIRTIO_NET_F_CTRL_VQ))) {
		rc = vdn_net_cvq_start(dev);
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	vdn_net_queues_stop(dev);
	return rc;
}

void vdn_net_queues_stop(struct vdn_net_dev *dev)
{
	for (uint16_t i = 0; i < dev->max_qp; i++) {
		vq_stop(&dev->qp[i].rx);
		vq_stop(&dev->qp[i].tx);
		/* tx is ours now: a half-segmented super-frame dies with the driver */
		rte_pktmbuf_free(dev->qp[i].gso.m);
		dev->qp[i].gso.m = NULL;
		vdn_net_tx_ovf_free(&dev->qp[i]);
	}
	vdn_net_cvq_stop(dev);
	atomic_store(&dev->active_qp, 1);
}

bool vdn_net_qp_running(const struct vdn_net_dev *dev, uint16_t qp)
{
	return qp < dev->max_qp && atomic_load(&dev->qp[qp].rx.state) == VQ_RUNNING &&
	       atomic_load(&dev->qp[qp].tx.state) == VQ_RUNNING;
}
