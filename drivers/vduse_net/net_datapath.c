/* SPDX-License-Identifier: BSD-3-Clause */
/* The cold end of the datapath shared by both directions. */
#include <rte_log.h>

#include "net_datapath.h"

/*
 * The ring stopped on a corrupt avail index (lib/vring latches it until the
 * driver resets the device).  Said once per breakage, from the datapath:
 * one log call in the life of a driver.  VDUSE gives a device no way to set
 * NEEDS_RESET in the status (only the driver writes it), so the log line
 * and the counter are what the operator gets.
 */
void vdn_net_vq_broken(struct vdn_net_dev *dev, struct vdn_net_qp *q, struct vdn_net_vq *vq)
{
	struct vdn_vq_state st;

	if (vq->broken_seen)
		return;
	vq->broken_seen = true;
	q->st.vq_broken++;
	q->st.chain_err[VDN_VRING_E_AVAIL_IDX]++; /* as lib/vring counts it: once */
	vdn_vq_get_state(&vq->ring, &st);
	/* short enough for vdn_net_logf()'s 256 bytes with the device name */
	vdn_net_logf(dev, RTE_LOG_ERR,
		     "vq %u (%s, pair %u): avail index corrupt (over %u outstanding after %u): queue "
		     "stopped until the driver resets the device (VM: reload its virtio_net; "
		     "container: vdpa dev del + add)",
		     vq->index, vq->index & 1 ? "tx" : "rx", vq->index / 2, vq->ring.split.num,
		     st.last_avail_idx);
}
