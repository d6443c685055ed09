/* SPDX-License-Identifier: BSD-3-Clause */
/* The control virtqueue's VDUSE plumbing, on the control thread (never the
 * datapath): kick fd, acting on what commands changed (RX filter, config
 * space MAC, active queue pairs), the interrupt.  The command logic itself
 * is in net_cvq_cmd.c. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

#include "net_private.h"

/* Requests per call: a driver flooding the queue cannot keep the control
 * thread from its VDUSE messages (the kernel's msg_timeout), nor from the
 * other devices.  Leftovers re-arm the kick fd, so they are served on the
 * thread's next round, after everything else that is pending. */
#define CVQ_BUDGET 32

void vdn_net_cvq_init(struct vdn_net_dev *dev)
{
	vdn_net_ctrl_reset(&dev->cvq.ctrl, 0, dev->cfg.mac, dev->max_qp);
	vdn_net_filter_publish(&dev->filter, &dev->cvq.ctrl.f);
}

int vdn_net_cvq_start(struct vdn_net_dev *dev)
{
	struct vdn_net_cvq *cq = &dev->cvq;
	uint32_t index = vdn_net_cvq_index(dev);
	bool ready;
	int rc = vdn_net_vq_setup(dev, index, &cq->ring, &ready);

	if (rc < 0 || !ready)
		return rc;
	rc = tp_vq_kickfd(dev, index);
	if (rc < 0)
		return rc;
	cq->kickfd = rc;
	/* a new driver starts from the reset state: unfiltered, VLAN table empty */
	vdn_net_ctrl_reset(&cq->ctrl, tp_driver_features(dev), dev->cfg.mac,
			   dev->drv_qp);
	vdn_net_filter_publish(&dev->filter, &cq->ctrl.f);
	vdn_vq_set_notify(&cq->ring, true);
	cq->running = true;
	return 0;
}

void vdn_net_cvq_stop(struct vdn_net_dev *dev)
{
	/* the kick eventfd belongs to lib/vduse, which closes it on reset */
	dev->cvq.running = false;
	dev->cvq.kickfd = -1;
	/* no driver, no filter: whoever comes next without CTRL_RX sees all */
	vdn_net_ctrl_reset(&dev->cvq.ctrl, 0, dev->cfg.mac, dev->max_qp);
	vdn_net_filter_publish(&dev->filter, &dev->cvq.ctrl.f);
}

/* Fewer pairs: RX bursts already inside a pair that is leaving finish
 * before the ack (they saw the old count); later ones see the new count
 * and stay out (vdn_net_enqueue_burst).  Bounded by one burst. */
static void set_active(struct vdn_net_dev *dev, uint16_t n)
{
	uint16_t old = atomic_exchange(&dev->active_qp, n);

	for (uint16_t q = n; q < old; q++)
		while (atomic_load(&dev->qp[q].rx.busy))
			sched_yield();
	vdn_net_logf(dev, RTE_LOG_INFO, "driver set %u active queue pair(s) (was %u)", n, old);
}

static void apply_changes(struct vdn_net_dev *dev, unsigned int changed)
{
	const uint8_t *m = dev->cvq.ctrl.f.mac;

	if (changed & VDN_NET_CTRL_CH_FILTER)
		vdn_net_filter_publish(&dev->filter, &dev->cvq.ctrl.f);
	if (changed & VDN_NET_CTRL_CH_MAC) {
		memcpy(dev->cfg.mac, m, sizeof(dev->cfg.mac));
		/* the driver set it: it needs no config interrupt */
		if (tp_set_config(dev, 0, dev->cfg.mac, sizeof(dev->cfg.mac), false) < 0)
			vdn_net_logf(dev, RTE_LOG_WARNING, "cannot update the MAC in config space");
		vdn_net_logf(dev, RTE_LOG_INFO, "driver set MAC %02x:%02x:%02x:%02x:%02x:%02x", m[0],
			     m[1], m[2], m[3], m[4], m[5]);
	}
	if (changed & VDN_NET_CTRL_CH_QP)
		set_active(dev, dev->cvq.ctrl.active_qp);
	if (changed & (VDN_NET_CTRL_CH_QP | VDN_NET_CTRL_CH_MAC))
		vdn_net_state_changed(dev);
}

int vdn_net_cvq_poll(struct vdn_net_dev *dev)
{
	struct vdn_net_cvq *cq = &dev->cvq;
	unsigned int changed = 0;
	uint64_t kicks;
	bool more;
	int n;

	if (!cq->running)
		return 0;
	/* drain the kick counter first so a kick during the loop is not lost */
	if (read(cq->kickfd, &kicks, sizeof(kicks)) < 0 && errno != EAGAIN)
		return -errno;
	n = vdn_net_cvq_serve(&cq->ring, &cq->ctrl, CVQ_BUDGET, &changed, &more);
	if (n < 0) {
		vdn_net_logf(dev, RTE_LOG_ERR, "control queue: avail index corrupt; not served");
		cq->running = false;
		cq->kickfd = -1;
		return 0;
	}
	apply_changes(dev, changed);
	vdn_vq_flush(&cq->ring);
	if (n && vdn_vq_need_notify(&cq->ring))
		tp_vq_irq(dev, vdn_net_cvq_index(dev));
	if (more) {
		kicks = 1;
		/* cannot fail short of counter overflow, which is readable too */
		if (write(cq->kickfd, &kicks, sizeof(kicks)) < 0)
			vdn_net_logf(dev, RTE_LOG_DEBUG, "control queue: re-arm: %s", strerror(errno));
	}
	return n;
}
