/* SPDX-License-Identifier: BSD-3-Clause */
/* The control virtqueue, served on the control thread (never the datapath).
 * Every request gets an ack; malformed or unknown ones get VIRTIO_NET_ERR.
 * This is the base the full CVQ (RX mode, VLAN and MAC filters) builds on. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_log.h>

#include "net_private.h"

/* Largest command we accept (a MAC table of 256 entries fits). */
#define CVQ_MAX_CMD 2048

int vdn_net_cvq_start(struct vdn_net_dev *dev)
{
	struct vdn_net_cvq *cq = &dev->cvq;
	uint32_t index = 2u * dev->max_qp;
	bool ready;
	int rc = vdn_net_vq_setup(dev, index, &cq->ring, &ready);

	if (rc < 0 || !ready)
		return rc;
	rc = vdn_vduse_vq_kickfd(dev->vd, index);
	if (rc < 0)
		return rc;
	cq->kickfd = rc;
	vdn_vring_set_notify(&cq->ring, true);
	cq->running = true;
	return 0;
}

void vdn_net_cvq_stop(struct vdn_net_dev *dev)
{
	/* the kick eventfd belongs to lib/vduse, which closes it on reset */
	dev->cvq.running = false;
	dev->cvq.kickfd = -1;
}

static uint8_t cmd_mq(struct vdn_net_dev *dev, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	uint16_t n;

	if (cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || len != sizeof(n) ||
	    !(vdn_vduse_driver_features(dev->vd) & (1ULL << VIRTIO_NET_F_MQ)))
		return VIRTIO_NET_ERR;
	memcpy(&n, d, sizeof(n));
	n = rte_le_to_cpu_16(n);
	if (n < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || n > dev->max_qp)
		return VIRTIO_NET_ERR;
	atomic_store(&dev->active_qp, n);
	vdn_net_logf(dev, RTE_LOG_INFO, "driver set %u active queue pair(s)", n);
	return VIRTIO_NET_OK;
}

static uint8_t cmd_mac(struct vdn_net_dev *dev, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	if (cmd != VIRTIO_NET_CTRL_MAC_ADDR_SET || len != RTE_ETHER_ADDR_LEN)
		return VIRTIO_NET_ERR;
	memcpy(dev->cfg.mac, d, RTE_ETHER_ADDR_LEN);
	if (vdn_vduse_set_config(dev->vd, 0, dev->cfg.mac, RTE_ETHER_ADDR_LEN, false) < 0)
		return VIRTIO_NET_ERR;
	vdn_net_logf(dev, RTE_LOG_INFO, "driver set MAC %02x:%02x:%02x:%02x:%02x:%02x", d[0], d[1],
		     d[2], d[3], d[4], d[5]);
	return VIRTIO_NET_OK;
}

static uint8_t handle(struct vdn_net_dev *dev, const uint8_t *buf, uint32_t len)
{
	struct virtio_net_ctrl_hdr h;

	if (len < sizeof(h))
		return VIRTIO_NET_ERR;
	memcpy(&h, buf, sizeof(h));
	buf += sizeof(h);
	len -= sizeof(h);
	switch (h.class) {
	case VIRTIO_NET_CTRL_MQ:
		return cmd_mq(dev, h.cmd, buf, len);
	case VIRTIO_NET_CTRL_MAC:
		return cmd_mac(dev, h.cmd, buf, len);
	case VIRTIO_NET_CTRL_ANNOUNCE:
		return h.cmd == VIRTIO_NET_CTRL_ANNOUNCE_ACK && len == 0 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
	default:
		return VIRTIO_NET_ERR;
	}
}

int vdn_net_cvq_poll(struct vdn_net_dev *dev)
{
	struct vdn_net_cvq *cq = &dev->cvq;
	uint8_t buf[CVQ_MAX_CMD];
	struct vdn_chain c;
	uint64_t kicks;
	int n = 0, rc;

	if (!cq->running)
		return 0;
	/* drain the kick counter first so a kick during the loop is not lost */
	if (read(cq->kickfd, &kicks, sizeof(kicks)) < 0 && errno != EAGAIN)
		return -errno;
	while ((rc = vdn_vring_pop(&cq->ring, &c)) != 0) {
		uint8_t ack = VIRTIO_NET_ERR;

		if (rc == -EBADMSG) {
			cq->errors++;
			continue;
		}
		if (rc < 0)
			break;
		if (c.n_in == 0 || c.in_len < 1) {
			/* nowhere to put the ack: give the chain back */
			cq->errors++;
			vdn_vring_push(&cq->ring, c.head, 0);
			continue;
		}
		if (c.out_len <= sizeof(buf)) {
			vdn_iov_to_buf(c.iov, c.n_out, 0, buf, c.out_len);
			ack = handle(dev, buf, c.out_len);
		}
		if (ack != VIRTIO_NET_OK)
			cq->errors++;
		cq->commands++;
		vdn_iov_from_buf(c.iov + c.n_out, c.n_in, 0, &ack, 1);
		vdn_vring_push(&cq->ring, c.head, 1);
		n++;
	}
	vdn_vring_flush(&cq->ring);
	if (n && vdn_vring_need_notify(&cq->ring))
		vdn_vduse_vq_irq(dev->vd, 2u * dev->max_qp);
	return n;
}
