/* SPDX-License-Identifier: BSD-3-Clause */
/* What the two burst directions (net_rxtx.c: to the driver, net_tx.c: from
 * it) share: the per-burst hand-over of a virtqueue with the control thread,
 * and how a broken ring or a rejected chain is accounted. */
#ifndef VDN_NET_DATAPATH_H
#define VDN_NET_DATAPATH_H

#include <rte_branch_prediction.h>

#include "net_private.h"

/* Datapath side of the vq hand-over (see struct vdn_net_vq). */
static inline bool vq_enter(struct vdn_net_vq *vq)
{
	atomic_store(&vq->busy, 1);
	if (likely(atomic_load(&vq->state) == VQ_RUNNING))
		return true;
	atomic_store_explicit(&vq->busy, 0, memory_order_release);
	return false;
}

static inline void vq_leave(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct vdn_net_vq *vq)
{
	vdn_vq_flush(&vq->ring);
	if (vdn_vq_need_notify(&vq->ring) && tp_vq_irq(dev, vq->index) == 0)
		q->st.irqs++;
	/* a quiescent point for IOTLB unmapping (net_iotlb.c); single writer */
	atomic_store_explicit(&vq->gen, atomic_load_explicit(&vq->gen, memory_order_relaxed) + 1,
			      memory_order_release);
	atomic_store_explicit(&vq->busy, 0, memory_order_release);
}

/* The ring stopped on a corrupt avail index: count it and say so, once per
 * breakage (net_datapath.c). */
void vdn_net_vq_broken(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct vdn_net_vq *vq);

static inline void vq_broken(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct vdn_net_vq *vq)
{
	vdn_net_vq_broken(dev, q, vq);
}

/* A chain lib/vring rejected (and already handed back). */
static inline void bad_chain(struct vdn_net_qp *q, const struct vdn_chain *c)
{
	q->st.chain_err[c->why < VDN_VRING_E__COUNT ? c->why : 0]++;
}

#endif
