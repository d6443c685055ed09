/* SPDX-License-Identifier: BSD-3-Clause */
/* vduse_net device lifecycle: features, config space, VDUSE creation with
 * the CTRL_VQ fallback, driver status changes, link state. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "net_private.h"

#define BIT(b) (1ULL << (b))

/* What this model implements on every kernel. */
#define BASE_FEATURES                                                                      \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ACCESS_PLATFORM) | BIT(VIRTIO_NET_F_MAC) |  \
	 BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_MRG_RXBUF) |   \
	 BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_RING_F_EVENT_IDX) | \
	 BIT(VIRTIO_RING_F_INDIRECT_DESC) | HOST_TSO | GUEST_TSO)
/* HOST_TSO: net_gso.c segments in software.  GUEST_TSO only says the driver
 * may receive TSO frames; we send plain ones, so offering it costs nothing.
 * The spec makes each depend on its direction's checksum offload. */
#define HOST_TSO (BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6))
#define GUEST_TSO (BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6))
/* Only with a control queue, which stock kernels refuse for VDUSE (and
 * virtio_net refuses CTRL_RX/VLAN/MAC_ADDR/MQ without CTRL_VQ).  Not
 * offered: GUEST_ANNOUNCE (nothing here ever needs announcing, e.g. no
 * migration), CTRL_GUEST_OFFLOADS (no guest offload worth switching). */
#define CVQ_FEATURES                                                                       \
	(BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | BIT(VIRTIO_NET_F_CTRL_RX) | \
	 BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) | BIT(VIRTIO_NET_F_CTRL_VLAN))

void vdn_net_logf(const struct vdn_net_dev *dev, int level, const char *fmt, ...)
{
	char msg[256];
	int n;
	va_list ap;

	if (!dev->log)
		return;
	n = snprintf(msg, sizeof(msg), "%s: ", dev->name);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	dev->log(dev->log_opaque, level, msg);
}

void vdn_net_vduse_log(void *opaque, int level, const char *msg)
{
	const struct vdn_net_dev *dev = opaque;

	/* lib/vduse already names the device; its levels are syslog's, which
	 * rte_log's RTE_LOG_* match numerically minus one */
	if (dev->log)
		dev->log(dev->log_opaque, level + 1, msg);
}

static int on_status(void *opaque, uint8_t old, uint8_t status)
{
	struct vdn_net_dev *dev = opaque;
	bool was_ok = old & VIRTIO_CONFIG_S_DRIVER_OK;
	bool is_ok = status & VIRTIO_CONFIG_S_DRIVER_OK;

	dev->status = status;
	if (!was_ok && is_ok) {
		int rc = vdn_net_queues_start(dev);

		if (rc < 0) {
			vdn_net_logf(dev, RTE_LOG_ERR, "cannot start queues: %s", strerror(-rc));
			return rc;
		}
		vdn_net_logf(dev, RTE_LOG_INFO, "driver running: features 0x%" PRIx64 ", %u queue pair(s)%s",
			     tp_driver_features(dev), atomic_load(&dev->active_qp),
			     dev->cvq.running ? ", control queue" : "");
	} else if (was_ok && !is_ok) {
		vdn_net_queues_stop(dev);
		vdn_net_logf(dev, RTE_LOG_INFO, "driver stopped (status 0x%x)", status);
	} else if (status == 0) {
		vdn_net_queues_stop(dev);
	}
	vdn_net_state_changed(dev);
	return 0;
}

static const struct vdn_vq *vq_of(const struct vdn_net_dev *dev, uint32_t index)
{
	uint32_t qp = index / 2;

	if (dev->cvq_ok && index == vdn_net_cvq_index(dev))
		return &dev->cvq.ring;
	if (qp >= dev->drv_qp)
		return NULL;
	return index & 1 ? &dev->qp[qp].tx.ring : &dev->qp[qp].rx.ring;
}

static uint16_t on_get_vq_avail_idx(void *opaque, uint32_t index)
{
	const struct vdn_vq *vq = vq_of(opaque, index);

	return vq ? vdn_vq_last_avail(vq) : 0;
}

static void on_get_vq_state_packed(void *opaque, uint32_t index, struct vdn_vduse_vq_packed *st)
{
	const struct vdn_vq *vq = vq_of(opaque, index);
	struct vdn_vq_state s;

	/* A queue never started keeps what lib/vduse last read from the kernel. */
	if (!vq || !vq->packed)
		return;
	vdn_vq_get_state(vq, &s);
	st->last_avail_idx = s.last_avail_idx;
	st->avail_wrap = s.avail_wrap;
	st->last_used_idx = s.last_used_idx;
	st->used_wrap = s.used_wrap;
}

const struct vdn_vduse_ops vdn_net_vduse_ops = {
	.set_status = on_status,
	.get_vq_avail_idx = on_get_vq_avail_idx,
	.get_vq_state_packed = on_get_vq_state_packed,
	.iotlb_invalidate = vdn_net_iotlb_invalidate,
	.iotlb_invalidated = vdn_net_iotlb_invalidated,
	.iotlb_quiesce = vdn_net_iotlb_quiesce,
};

struct vdn_net_dev *vdn_net_dev_alloc(const struct vdn_net_opts *o, uint16_t qps, uint16_t mtu,
				      uint16_t vq_size)
{
	/* About 2.2 MB: each of the 2 * VDN_NET_MAX_QUEUE_PAIRS + 1 queues is
	 * a struct vdn_vq (~66 KB, the packed per-id counts), so it lives in
	 * DPDK memory from the start rather than on any stack. */
	struct vdn_net_dev *dev = rte_zmalloc("vdn_net_dev", sizeof(*dev), 64);

	if (!dev)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "%s", o->name);
	dev->log = o->log;
	dev->log_opaque = o->log_opaque;
	dev->save = o->save;
	dev->save_opaque = o->save_opaque;
	dev->journal = o->journal;
	dev->journal_len = o->journal_len;
	dev->port_tx_offloads = o->port_tx_offloads;
	atomic_store(&dev->gro_on, !o->no_gro);
	dev->max_qp = qps;
	dev->drv_qp = qps;
	atomic_store(&dev->active_qp, 1);
	dev->vq_size = vq_size;
	dev->cvq.kickfd = -1;
	for (uint16_t i = 0; i < qps; i++) {
		dev->qp[i].rx.index = 2u * i;
		dev->qp[i].tx.index = 2u * i + 1;
		dev->qp[i].max_pkt = mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN;
	}
	return dev;
}

static int create_vduse(struct vdn_net_dev *dev, uint64_t features)
{
	uint32_t vqs = 2u * dev->max_qp + ((features & BIT(VIRTIO_NET_F_CTRL_VQ)) ? 1 : 0);
	struct vdn_vduse_opts vo = {
		.sz = sizeof(vo),
		.name = dev->name,
		.device_id = VIRTIO_ID_NET,
		.features = features,
		.num_vqs = vqs,
		.max_vq_size = dev->vq_size,
		.config = &dev->cfg,
		.config_size = sizeof(dev->cfg),
		.ops = &vdn_net_vduse_ops,
		.opaque = dev,
		.log = vdn_net_vduse_log,
	};
	return vdn_vduse_create(&vo, &dev->vd);
}

static int create(const struct vdn_net_opts *opts, const struct vdn_net_transport_ops *ops,
		  void *ctx, struct vdn_net_dev **out)
{
	struct vdn_net_dev *dev;
	uint64_t features;
	uint16_t mtu, qps;
	int rc;

	if (!opts || opts->sz < sizeof(*opts) || !out || !opts->name || !opts->name[0] ||
	    strlen(opts->name) >= sizeof(dev->name))
		return -EINVAL;
	mtu = opts->mtu ? opts->mtu : 1500;
	qps = opts->queue_pairs ? opts->queue_pairs : 1;
	if (mtu < 68 || mtu > 9000 || qps > VDN_NET_MAX_QUEUE_PAIRS)
		return -EINVAL;
	if (opts->vq_size && (opts->vq_size & (opts->vq_size - 1)))
		return -EINVAL;

	dev = vdn_net_dev_alloc(opts, qps, mtu, opts->vq_size ? opts->vq_size : 256);
	if (!dev)
		return -ENOMEM;

	if (opts->mac_set) {
		memcpy(dev->cfg.mac, opts->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	} else {
		struct rte_ether_addr a;

		rte_eth_random_addr(a.addr_bytes);
		memcpy(dev->cfg.mac, a.addr_bytes, RTE_ETHER_ADDR_LEN);
	}
	dev->cfg.status = rte_cpu_to_le_16(opts->link_up ? VIRTIO_NET_S_LINK_UP : 0);
	dev->cfg.max_virtqueue_pairs = rte_cpu_to_le_16(qps);
	dev->cfg.mtu = rte_cpu_to_le_16(mtu);

	features = BASE_FEATURES | CVQ_FEATURES;
	if (opts->packed)
		features |= BIT(VIRTIO_F_RING_PACKED);
	if (opts->in_order)
		features |= BIT(VIRTIO_F_IN_ORDER);
	features &= ~opts->features_off;
	if (!(features & BIT(VIRTIO_NET_F_CSUM)))
		features &= ~HOST_TSO;
	if (!(features & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		features &= ~GUEST_TSO;
	if (qps > 1)
		features |= BIT(VIRTIO_NET_F_MQ);
	rc = -EINVAL;
	if (ops) {
		/* the caller's transport takes what we offer */
		dev->tp = ops;
		dev->tp_ctx = ctx;
		rc = 0;
	} else if (features & BIT(VIRTIO_NET_F_CTRL_VQ)) {
		rc = create_vduse(dev, features);
	}
	if (rc == -EINVAL) {
		/* Stock kernels refuse CTRL_VQ for VDUSE net; without it the
		 * kernel's virtio_net driver uses a single queue pair. */
		if (features & BIT(VIRTIO_NET_F_CTRL_VQ))
			vdn_net_logf(dev, RTE_LOG_WARNING,
				     "the kernel refused the control queue (stock VDUSE gates CTRL_VQ "
				     "for net devices): running without it, 1 queue pair (%u asked); "
				     "MAC/VLAN/RX-mode changes from the driver are unavailable", qps);
		features &= ~(CVQ_FEATURES | BIT(VIRTIO_NET_F_MQ));
		dev->max_qp = 1;
		dev->drv_qp = 1;
		dev->cfg.max_virtqueue_pairs = rte_cpu_to_le_16(1);
		rc = create_vduse(dev, features);
	} else if (rc == 0) {
		dev->cvq_ok = features & BIT(VIRTIO_NET_F_CTRL_VQ);
	}
	if (rc < 0) {
		rte_free(dev);
		return rc;
	}
	dev->features = features;
	vdn_net_cvq_init(dev);
	*out = dev;
	return 0;
}

int vdn_net_create(const struct vdn_net_opts *opts, struct vdn_net_dev **out)
{
	return create(opts, NULL, NULL, out);
}

int vdn_net_create_on(const struct vdn_net_opts *opts, const struct vdn_net_transport_ops *ops,
		      void *ctx, struct vdn_net_dev **out)
{
	if (!ops || !ops->xlate || !ops->vq_info || !ops->driver_features || !ops->vq_irq)
		return -EINVAL;
	if (!ops->vq_kickfd && opts && opts->sz >= sizeof(*opts) &&
	    !(opts->features_off & BIT(VIRTIO_NET_F_CTRL_VQ)))
		return -EINVAL;
	return create(opts, ops, ctx, out);
}

int vdn_net_transport_status(struct vdn_net_dev *dev, uint8_t status)
{
	if (!dev->tp)
		return -EINVAL;
	return on_status(dev, dev->status, status);
}

int vdn_net_destroy(struct vdn_net_dev *dev)
{
	int rc;

	if (!dev)
		return 0;
	vdn_net_queues_stop(dev);
	rc = dev->tp ? 0 : vdn_vduse_destroy(dev->vd, false);
	rte_free(dev);
	return rc;
}

const char *vdn_net_name(const struct vdn_net_dev *dev)
{
	return dev->name;
}

int vdn_net_ctrl_fds(struct vdn_net_dev *dev, int *fds, int max)
{
	int n = 0;

	if (!dev->tp && n < max)
		fds[n++] = vdn_vduse_fd(dev->vd);
	if (dev->cvq.kickfd >= 0 && n < max)
		fds[n++] = dev->cvq.kickfd;
	return n;
}

int vdn_net_ctrl_handle(struct vdn_net_dev *dev)
{
	int rc = dev->tp ? 0 : vdn_vduse_handle(dev->vd);

	if (rc < 0)
		return rc;
	if (dev->cvq.running)
		vdn_net_cvq_poll(dev);
	return rc;
}

int vdn_net_set_link(struct vdn_net_dev *dev, bool up)
{
	uint16_t st = rte_cpu_to_le_16(up ? VIRTIO_NET_S_LINK_UP : 0);

	if (dev->cfg.status == st)
		return 0;
	dev->cfg.status = st;
	vdn_net_state_changed(dev);
	return tp_set_config(dev, offsetof(struct virtio_net_config, status), &st, sizeof(st),
			     true);
}

int vdn_net_set_mac(struct vdn_net_dev *dev, const struct rte_ether_addr *mac)
{
	if (!rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return -EINVAL;
	memcpy(dev->cfg.mac, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	vdn_net_state_changed(dev);
	return tp_set_config(dev, offsetof(struct virtio_net_config, mac), dev->cfg.mac,
			     RTE_ETHER_ADDR_LEN, true);
}

void vdn_net_set_gro(struct vdn_net_dev *dev, bool on)
{
	/* read once per burst: a burst in flight finishes as it began */
	atomic_store_explicit(&dev->gro_on, on, memory_order_relaxed);
}

bool vdn_net_gro(const struct vdn_net_dev *dev)
{
	return atomic_load_explicit(&dev->gro_on, memory_order_relaxed);
}

int vdn_net_set_port_offloads(struct vdn_net_dev *dev, uint64_t tx, uint64_t rx)
{
	if (!dev)
		return -EINVAL;
	/* each read on its own per frame: a mix of old and new is harmless,
	 * as every path checks the one flag it uses */
	__atomic_store_n(&dev->port_tx_offloads, tx, __ATOMIC_RELAXED);
	__atomic_store_n(&dev->port_rx_offloads, rx, __ATOMIC_RELAXED);
	return 0;
}

int vdn_net_set_mtu(struct vdn_net_dev *dev, uint16_t mtu)
{
	uint16_t le = rte_cpu_to_le_16(mtu);

	if (mtu < 68 || mtu > 9000)
		return -EINVAL;
	/* read by the datapath lcores without a lock: a frame checked against
	 * the old or the new limit is fine either way */
	for (uint16_t i = 0; i < dev->max_qp; i++)
		__atomic_store_n(&dev->qp[i].max_pkt, mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN,
				 __ATOMIC_RELAXED);
	dev->cfg.mtu = le;
	vdn_net_state_changed(dev);
	return tp_set_config(dev, offsetof(struct virtio_net_config, mtu), &le, sizeof(le),
			     false);
}

bool vdn_net_link(const struct vdn_net_dev *dev)
{
	return rte_le_to_cpu_16(dev->cfg.status) & VIRTIO_NET_S_LINK_UP;
}

int vdn_net_info(const struct vdn_net_dev *dev, struct vdn_net_info *info)
{
	memset(info, 0, sizeof(*info));
	info->features_offered = dev->features;
	info->features_driver = tp_driver_features(dev);
	info->status = dev->tp ? dev->status : vdn_vduse_status(dev->vd);
	info->max_queue_pairs = dev->max_qp;
	info->active_queue_pairs = atomic_load(&dev->active_qp);
	info->cvq = dev->cvq_ok;
	memcpy(info->mac.addr_bytes, dev->cfg.mac, RTE_ETHER_ADDR_LEN);
	info->mtu = rte_le_to_cpu_16(dev->cfg.mtu);
	info->link_up = vdn_net_link(dev);
	return 0;
}

uint16_t vdn_net_active_qp(const struct vdn_net_dev *dev)
{
	return atomic_load_explicit(&dev->active_qp, memory_order_relaxed);
}

int vdn_net_qp_stats(const struct vdn_net_dev *dev, uint16_t qp, struct vdn_net_q_stats *st)
{
	if (qp >= dev->max_qp)
		return -EINVAL;
	/* counters are single-writer u64s: a torn read is impossible on x86-64 */
	*st = dev->qp[qp].st;
	return 0;
}

const char *vdn_net_drop_str(enum vdn_net_drop d)
{
	static const char *const names[VDN_NET_DROP__COUNT] = {
		[VDN_NET_DROP_NO_BUF] = "no-buffer",
		[VDN_NET_DROP_BAD_CHAIN] = "bad-chain",
		[VDN_NET_DROP_BAD_HDR] = "bad-header",
		[VDN_NET_DROP_NO_MBUF] = "no-mbuf",
		[VDN_NET_DROP_TOO_BIG] = "too-big",
		[VDN_NET_DROP_NOT_READY] = "not-ready",
		[VDN_NET_DROP_FILTERED] = "filtered",
	};
	return (unsigned int)d < VDN_NET_DROP__COUNT ? names[d] : "?";
}
