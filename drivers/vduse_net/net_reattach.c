/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crash-restart: taking over a VDUSE device a dead process left behind.
 *
 * What survives the process, and where from:
 * - the kernel keeps the device, its vdpa binding, the driver's acked
 *   features, every queue's size/addresses/readiness (VDUSE_VQ_GET_INFO),
 *   the IOTLB (fds fetched again on demand) and the config space; requests
 *   it sent meanwhile wait (up to msg_timeout) and are read again;
 * - VQ_GET_INFO's avail index is what the kernel was told when the queue
 *   was set up (0 for virtio_vdpa), not the device's progress, and the
 *   status cannot be read back at all: those come from struct
 *   vdn_net_saved, which the owner keeps on every change;
 * - the device's progress on a split ring is in the driver's memory: the
 *   used index counts the chains completed.  This device completes chains
 *   in the order it pops them, so every avail entry from the used index on
 *   was either never popped or popped and not completed: resuming there
 *   loses no descriptor, at worst a TX frame goes out twice.  (A chain
 *   whose head was out of range gets no used entry; after such a chain the
 *   used index lags by one and a completed chain would be completed again.
 *   Only a driver that already broke the rules can get there.)
 * - a packed ring has no index, and its descriptor flags cannot say where
 *   the device stood (a chain of several descriptors gets only its first
 *   slot rewritten), so the device keeps a journal word per ring in memory
 *   the owner maps from a file (opts->journal): lib/vring's
 *   vdn_vring_packed_recover() reads it against the ring.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "net_private.h"

#define BIT(b) (1ULL << (b))

void vdn_net_saved_get(const struct vdn_net_dev *dev, struct vdn_net_saved *st)
{
	memset(st, 0, sizeof(*st));
	st->features_offered = dev->features;
	st->status = dev->status;
	/* lib/vduse forgets the features only after the reset is answered */
	st->features_driver = dev->status ? tp_driver_features(dev) : 0;
	st->max_qp = dev->max_qp;
	st->active_qp = atomic_load(&dev->active_qp);
	st->vq_size = dev->vq_size;
	st->cvq = dev->cvq_ok;
	memcpy(st->mac, dev->cfg.mac, sizeof(st->mac));
	st->mtu = rte_le_to_cpu_16(dev->cfg.mtu);
	st->link_up = vdn_net_link(dev);
}

void vdn_net_state_changed(struct vdn_net_dev *dev)
{
	struct vdn_net_saved st;

	if (!dev->save || dev->resuming)
		return;
	vdn_net_saved_get(dev, &st);
	dev->save(dev->save_opaque, &st);
}

/* A packed ring: from the journal the dead process kept (net_queue.c
 * hands the ring the same word, so it goes on from there). */
static int resume_packed(struct vdn_net_dev *dev, uint32_t index, struct vdn_vring_cfg *cfg)
{
	struct vdn_vq_state st;
	int rc;

	if (!cfg->journal) {
		vdn_net_logf(dev, RTE_LOG_ERR, "vq %u: packed ring and no journal to resume it from",
			     index);
		return -EOPNOTSUPP;
	}
	rc = vdn_vring_packed_recover(cfg, __atomic_load_n(cfg->journal, __ATOMIC_ACQUIRE), &st);
	if (rc < 0) {
		vdn_net_logf(dev, RTE_LOG_ERR, "vq %u: cannot resume the packed ring from its "
			     "journal: %s", index, rc == -ENODATA ? "never written" : strerror(-rc));
		return rc == -ENODATA ? -EOPNOTSUPP : rc;
	}
	vdn_net_logf(dev, RTE_LOG_INFO, "vq %u: resuming the packed ring at %u, wrap %d", index,
		     st.last_used_idx, st.used_wrap);
	cfg->last_avail_idx = st.last_avail_idx;
	cfg->avail_wrap = st.avail_wrap;
	cfg->last_used_idx = st.last_used_idx;
	cfg->used_wrap = st.used_wrap;
	return 0;
}

int vdn_net_resume_pos(struct vdn_net_dev *dev, uint32_t index, struct vdn_vring_cfg *cfg)
{
	uint64_t ulen = sizeof(struct vring_used), alen = sizeof(struct vring_avail);
	const struct vring_used *used;
	const struct vring_avail *avail;

	if (cfg->packed)
		return resume_packed(dev, index, cfg);
	used = cfg->xlate(cfg->xlate_ctx, cfg->used_iova, &ulen, VDN_ACCESS_READ);
	avail = cfg->xlate(cfg->xlate_ctx, cfg->avail_iova, &alen, VDN_ACCESS_READ);
	if (!used || !avail || ulen < sizeof(*used) || alen < sizeof(*avail)) {
		vdn_net_logf(dev, RTE_LOG_ERR, "vq %u: cannot read the ring to resume it", index);
		return -EFAULT;
	}
	/* VERSION_1 only: the ring is little-endian */
	uint16_t u = rte_le_to_cpu_16(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE));
	uint16_t a = rte_le_to_cpu_16(__atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE));

	if ((uint16_t)(a - u) > cfg->num) {
		vdn_net_logf(dev, RTE_LOG_ERR, "vq %u: used index %u and avail index %u are more "
			     "than the ring (%u) apart: cannot resume", index, u, a, cfg->num);
		return -EIO;
	}
	vdn_net_logf(dev, RTE_LOG_INFO, "vq %u: resuming at %u (%u chain(s) outstanding)", index, u,
		     (uint16_t)(a - u));
	cfg->last_avail_idx = u;
	return 0;
}

static int check_saved(const struct vdn_net_saved *s)
{
	if (!s->max_qp || s->max_qp > VDN_NET_MAX_QUEUE_PAIRS || !s->active_qp ||
	    s->active_qp > s->max_qp || !s->vq_size || (s->vq_size & (s->vq_size - 1)) ||
	    s->mtu < 68 || s->mtu > 9000)
		return -EINVAL;
	if (s->cvq != !!(s->features_offered & BIT(VIRTIO_NET_F_CTRL_VQ)))
		return -EINVAL;
	return 0;
}

static struct vdn_net_dev *dev_alloc(const struct vdn_net_opts *o, const struct vdn_net_saved *s)
{
	struct vdn_net_dev *dev = vdn_net_dev_alloc(o, s->max_qp, s->mtu, s->vq_size);

	if (!dev)
		return NULL;
	dev->features = s->features_offered;
	dev->cvq_ok = s->cvq;
	dev->status = s->status;
	/* the kernel still has this config space; ours must say the same */
	memcpy(dev->cfg.mac, s->mac, sizeof(dev->cfg.mac));
	dev->cfg.status = rte_cpu_to_le_16(s->link_up ? VIRTIO_NET_S_LINK_UP : 0);
	dev->cfg.max_virtqueue_pairs = rte_cpu_to_le_16(s->max_qp);
	dev->cfg.mtu = rte_cpu_to_le_16(s->mtu);
	vdn_net_cvq_init(dev);
	return dev;
}

/* The driver was running: start the queues where the device stood. */
static int resume(struct vdn_net_dev *dev, const struct vdn_net_saved *s)
{
	int rc;

	dev->resuming = true;
	rc = vdn_net_queues_start(dev);
	dev->resuming = false;
	if (rc < 0)
		return rc;
	/* the control queue's MAC/VLAN/RX-mode tables were the dead process's
	 * alone: the driver's filters are open until it sets them again */
	if (dev->cvq.running && s->active_qp > 1) {
		dev->cvq.ctrl.active_qp = s->active_qp;
		atomic_store(&dev->active_qp, s->active_qp);
	}
	return 0;
}

int vdn_net_attach(const struct vdn_net_opts *opts, const struct vdn_net_saved *saved,
		   struct vdn_net_dev **out)
{
	struct vdn_net_dev *dev;
	int rc;

	if (!opts || opts->sz < sizeof(*opts) || !out || !saved || !opts->name ||
	    !opts->name[0] || strlen(opts->name) >= sizeof(dev->name))
		return -EINVAL;
	rc = check_saved(saved);
	if (rc)
		return rc;
	if ((saved->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    (saved->features_driver & BIT(VIRTIO_F_RING_PACKED)) &&
	    (!opts->journal || opts->journal_len < 2u * saved->max_qp + (saved->cvq ? 1 : 0)))
		return -EOPNOTSUPP;
	dev = dev_alloc(opts, saved);
	if (!dev)
		return -ENOMEM;

	struct vdn_vduse_opts vo = {
		.sz = sizeof(vo),
		.name = dev->name,
		.device_id = VIRTIO_ID_NET,
		.features = dev->features,
		.num_vqs = 2u * dev->max_qp + (dev->cvq_ok ? 1 : 0),
		.max_vq_size = dev->vq_size,
		.config = &dev->cfg,
		.config_size = sizeof(dev->cfg),
		.ops = &vdn_net_vduse_ops,
		.opaque = dev,
		.log = vdn_net_vduse_log,
		.attach_status = saved->status,
	};
	rc = vdn_vduse_attach(&vo, &dev->vd);
	if (rc < 0) {
		rte_free(dev);
		return rc;
	}
	uint64_t kf = vdn_vduse_driver_features(dev->vd);

	if ((saved->status & VIRTIO_CONFIG_S_FEATURES_OK) && kf != saved->features_driver) {
		vdn_net_logf(dev, RTE_LOG_ERR, "the driver acked features 0x%" PRIx64 " but the saved "
			     "state says 0x%" PRIx64 ": not the device that state was saved for", kf,
			     saved->features_driver);
		rc = -ESTALE;
		goto fail;
	}
	if (saved->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		rc = resume(dev, saved);
		if (rc < 0)
			goto fail;
	}
	vdn_net_logf(dev, RTE_LOG_INFO, "taken over: driver status 0x%x, features 0x%" PRIx64
		     ", %u of %u queue pair(s) active", saved->status, kf,
		     atomic_load(&dev->active_qp), dev->max_qp);
	*out = dev;
	return 0;
fail:
	vdn_net_detach(dev);
	return rc;
}

void vdn_net_detach(struct vdn_net_dev *dev)
{
	if (!dev)
		return;
	vdn_net_queues_stop(dev);
	vdn_vduse_destroy(dev->vd, true);
	rte_free(dev);
}
