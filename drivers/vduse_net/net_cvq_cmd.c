/* SPDX-License-Identifier: BSD-3-Clause */
/* Control queue commands (virtio 1.x, 5.1.6.5): parse, check against the
 * negotiated features, apply to the control state, ack.  Everything in a
 * request is untrusted; a request that does not parse changes nothing and
 * is answered VIRTIO_NET_ERR, so the driver never waits for an answer. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "net_ctrl.h"

#define HAS(c, bit) (((c)->features >> (bit)) & 1)

static uint16_t get_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

void vdn_net_ctrl_reset(struct vdn_net_ctrl *c, uint64_t features, const uint8_t *mac,
			uint16_t max_qp)
{
	memset(&c->f, 0, sizeof(c->f));
	memcpy(c->f.mac, mac, VDN_NET_ETH_ALEN);
	/* until the driver sets an RX mode nothing is filtered (the driver may
	 * never send one: CTRL_RX is optional) */
	c->f.promisc = true;
	c->features = features;
	c->f.vlan_filter = HAS(c, VIRTIO_NET_F_CTRL_VLAN);
	c->max_qp = max_qp ? max_qp : 1;
	c->active_qp = 1;
}

static uint8_t cmd_rx(struct vdn_net_ctrl *c, uint8_t cmd, const uint8_t *d, uint32_t len,
		      unsigned int *changed)
{
	bool *flag;

	if (!HAS(c, VIRTIO_NET_F_CTRL_RX) || len != 1)
		return VIRTIO_NET_ERR;
	switch (cmd) {
	case VIRTIO_NET_CTRL_RX_PROMISC: flag = &c->f.promisc; break;
	case VIRTIO_NET_CTRL_RX_ALLMULTI: flag = &c->f.allmulti; break;
	case VIRTIO_NET_CTRL_RX_ALLUNI: flag = &c->f.alluni; break;
	case VIRTIO_NET_CTRL_RX_NOMULTI: flag = &c->f.nomulti; break;
	case VIRTIO_NET_CTRL_RX_NOUNI: flag = &c->f.nouni; break;
	case VIRTIO_NET_CTRL_RX_NOBCAST: flag = &c->f.nobcast; break;
	default: return VIRTIO_NET_ERR;
	}
	if (cmd > VIRTIO_NET_CTRL_RX_ALLMULTI && !HAS(c, VIRTIO_NET_F_CTRL_RX_EXTRA))
		return VIRTIO_NET_ERR;
	*flag = d[0] != 0; /* the uAPI: zero = disable, non-zero = enable */
	*changed |= VDN_NET_CTRL_CH_FILTER;
	return VIRTIO_NET_OK;
}

/* TABLE_SET: le32 n, n unicast MACs, le32 m, m multicast MACs, nothing more. */
static uint8_t mac_table_set(struct vdn_net_ctrl *c, const uint8_t *d, uint32_t len,
			     unsigned int *changed)
{
	uint64_t nu, nm, off;

	if (!HAS(c, VIRTIO_NET_F_CTRL_RX) || len < 4)
		return VIRTIO_NET_ERR;
	nu = get_le32(d);
	off = 4 + nu * VDN_NET_ETH_ALEN;
	if (off + 4 > len)
		return VIRTIO_NET_ERR;
	nm = get_le32(d + off);
	if (off + 4 + nm * VDN_NET_ETH_ALEN != len)
		return VIRTIO_NET_ERR;
	c->f.uni_overflow = nu > VDN_NET_MAC_TABLE_MAX;
	c->f.n_uni = c->f.uni_overflow ? 0 : (uint16_t)nu;
	memcpy(c->f.uni, d + 4, (size_t)c->f.n_uni * VDN_NET_ETH_ALEN);
	c->f.multi_overflow = nm > VDN_NET_MAC_TABLE_MAX;
	c->f.n_multi = c->f.multi_overflow ? 0 : (uint16_t)nm;
	memcpy(c->f.multi, d + off + 4, (size_t)c->f.n_multi * VDN_NET_ETH_ALEN);
	*changed |= VDN_NET_CTRL_CH_FILTER;
	return VIRTIO_NET_OK;
}

static uint8_t cmd_mac(struct vdn_net_ctrl *c, uint8_t cmd, const uint8_t *d, uint32_t len,
		       unsigned int *changed)
{
	static const uint8_t zero[VDN_NET_ETH_ALEN];

	if (cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET)
		return mac_table_set(c, d, len, changed);
	if (cmd != VIRTIO_NET_CTRL_MAC_ADDR_SET || !HAS(c, VIRTIO_NET_F_CTRL_MAC_ADDR) ||
	    len != VDN_NET_ETH_ALEN)
		return VIRTIO_NET_ERR;
	/* a station address is never multicast nor all-zero */
	if ((d[0] & 1) || !memcmp(d, zero, sizeof(zero)))
		return VIRTIO_NET_ERR;
	memcpy(c->f.mac, d, VDN_NET_ETH_ALEN);
	*changed |= VDN_NET_CTRL_CH_FILTER | VDN_NET_CTRL_CH_MAC;
	return VIRTIO_NET_OK;
}

static uint8_t cmd_vlan(struct vdn_net_ctrl *c, uint8_t cmd, const uint8_t *d, uint32_t len,
			unsigned int *changed)
{
	uint16_t vid;
	uint64_t bit;

	if (!HAS(c, VIRTIO_NET_F_CTRL_VLAN) || len != 2)
		return VIRTIO_NET_ERR;
	vid = get_le16(d);
	if (vid >= 4096)
		return VIRTIO_NET_ERR;
	bit = 1ULL << (vid % 64);
	if (cmd == VIRTIO_NET_CTRL_VLAN_ADD)
		c->f.vlans[vid / 64] |= bit;
	else if (cmd == VIRTIO_NET_CTRL_VLAN_DEL)
		c->f.vlans[vid / 64] &= ~bit;
	else
		return VIRTIO_NET_ERR;
	*changed |= VDN_NET_CTRL_CH_FILTER;
	return VIRTIO_NET_OK;
}

static uint8_t cmd_mq(struct vdn_net_ctrl *c, uint8_t cmd, const uint8_t *d, uint32_t len,
		      unsigned int *changed)
{
	uint16_t n;

	/* RSS_CONFIG / HASH_CONFIG need features this device does not offer */
	if (cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || !HAS(c, VIRTIO_NET_F_MQ) || len != 2)
		return VIRTIO_NET_ERR;
	n = get_le16(d);
	if (n < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || n > c->max_qp)
		return VIRTIO_NET_ERR;
	if (n != c->active_qp)
		*changed |= VDN_NET_CTRL_CH_QP;
	c->active_qp = n;
	return VIRTIO_NET_OK;
}

uint8_t vdn_net_ctrl_apply(struct vdn_net_ctrl *c, const uint8_t *req, uint32_t len,
			   unsigned int *changed)
{
	struct virtio_net_ctrl_hdr h;

	if (len < sizeof(h))
		return VIRTIO_NET_ERR;
	memcpy(&h, req, sizeof(h));
	req += sizeof(h);
	len -= sizeof(h);
	switch (h.class) {
	case VIRTIO_NET_CTRL_RX:
		return cmd_rx(c, h.cmd, req, len, changed);
	case VIRTIO_NET_CTRL_MAC:
		return cmd_mac(c, h.cmd, req, len, changed);
	case VIRTIO_NET_CTRL_VLAN:
		return cmd_vlan(c, h.cmd, req, len, changed);
	case VIRTIO_NET_CTRL_MQ:
		return cmd_mq(c, h.cmd, req, len, changed);
	default:
		/* ANNOUNCE, GUEST_OFFLOADS, NOTF_COAL, STATS: not offered */
		return VIRTIO_NET_ERR;
	}
}

int vdn_net_cvq_serve(struct vdn_vq *vr, struct vdn_net_ctrl *c, unsigned int budget,
		      unsigned int *changed, bool *more)
{
	struct vdn_chain ch;
	unsigned int n = 0;
	int rc = 0;

	*more = false;
	while (n < budget && (rc = vdn_vq_pop(vr, &ch)) != 0) {
		uint8_t ack = VIRTIO_NET_ERR;

		if (rc == -EBADMSG) {
			/* lib/vring returned it with len 0: the driver sees no ack */
			c->errors++;
			n++;
			continue;
		}
		if (rc < 0)
			break;
		n++;
		if (ch.in_len == 0) {
			/* nowhere to put an ack: give it back unanswered */
			c->errors++;
			vdn_vq_push(vr, ch.head, 0);
			continue;
		}
		if (ch.out_len <= sizeof(c->buf)) {
			vdn_iov_to_buf(ch.iov, ch.n_out, 0, c->buf, ch.out_len);
			ack = vdn_net_ctrl_apply(c, c->buf, ch.out_len, changed);
		}
		if (ack != VIRTIO_NET_OK)
			c->errors++;
		c->commands++;
		vdn_iov_from_buf(ch.iov + ch.n_out, ch.n_in, 0, &ack, 1);
		vdn_vq_push(vr, ch.head, 1);
	}
	if (rc == -EIO)
		return -EIO;
	*more = n == budget;
	return (int)n;
}
