/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control-message loop: the kernel queues requests on /dev/vduse/NAME
 * and blocks the virtio driver until each is answered, so everything here
 * must be quick and must never wait on the datapath.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "vduse_internal.h"

/* Status 0: the kernel resets its side right after we answer, and the
 * driver frees its rings; nothing mapped or registered may survive. */
static void reset(struct vdn_vduse_dev *dev)
{
	vdn_vduse_vq_close_kickfds(dev);
	vdn_vduse_iotlb_unmap_all(dev);
	for (uint32_t i = 0; i < dev->num_vqs; i++) {
		dev->vqs[i].last_avail = 0;
		memset(&dev->vqs[i].packed, 0, sizeof(dev->vqs[i].packed));
	}
	atomic_store(&dev->driver_features, 0);
}

static uint32_t set_status(struct vdn_vduse_dev *dev, uint8_t status)
{
	uint8_t old = atomic_load(&dev->status);

	/* the model reads the acked features while handling FEATURES_OK */
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		uint64_t f = 0;
		if (!ioctl(dev->fd, VDUSE_DEV_GET_FEATURES, &f))
			atomic_store(&dev->driver_features, f);
	}
	int ret = dev->ops.set_status ? dev->ops.set_status(dev->opaque, old, status) : 0;
	vdn_vduse_logf(dev, VDN_VDUSE_LOG_INFO, "%s: status %#x -> %#x%s", dev->name, old,
		       status, ret ? " refused" : "");
	if (status == 0) {
		/* the kernel resets whatever we answer */
		reset(dev);
		atomic_store(&dev->status, 0);
		return ret ? VDUSE_REQ_RESULT_FAILED : VDUSE_REQ_RESULT_OK;
	}
	if (ret)
		return VDUSE_REQ_RESULT_FAILED;
	atomic_store(&dev->status, status);
	return VDUSE_REQ_RESULT_OK;
}

static uint32_t get_vq_state(struct vdn_vduse_dev *dev, const struct vduse_vq_state *q,
			     struct vduse_dev_response *resp)
{
	if (q->index >= dev->num_vqs)
		return VDUSE_REQ_RESULT_FAILED;
	resp->vq_state.index = q->index;
	/* The kernel reads the union the same way it fills VQ_GET_INFO's. */
	if (atomic_load(&dev->driver_features) & (1ULL << VIRTIO_F_RING_PACKED)) {
		struct vdn_vduse_vq_packed st = dev->vqs[q->index].packed;

		if (dev->ops.get_vq_state_packed)
			dev->ops.get_vq_state_packed(dev->opaque, q->index, &st);
		resp->vq_state.packed.last_avail_idx = st.last_avail_idx;
		resp->vq_state.packed.last_avail_counter = st.avail_wrap;
		resp->vq_state.packed.last_used_idx = st.last_used_idx;
		resp->vq_state.packed.last_used_counter = st.used_wrap;
		return VDUSE_REQ_RESULT_OK;
	}
	uint16_t idx = dev->ops.get_vq_avail_idx ? dev->ops.get_vq_avail_idx(dev->opaque, q->index)
						 : dev->vqs[q->index].last_avail;
	resp->vq_state.split.avail_index = idx;
	return VDUSE_REQ_RESULT_OK;
}

/*
 * The kernel already switched to the new map when it asks (vhost-vdpa's
 * set_map replaces the whole IOTLB and invalidates [0, ~0]); our old
 * mappings still hold the pages they map, so nothing breaks while the
 * model stops what depends on the range, we retire and unmap it, and the
 * model re-translates (e.g. its rings) against the new map.
 */
static uint32_t update_iotlb(struct vdn_vduse_dev *dev, uint64_t start, uint64_t last)
{
	if (dev->ops.iotlb_invalidate)
		dev->ops.iotlb_invalidate(dev->opaque, start, last);
	vdn_vduse_iotlb_invalidate(dev, start, last);
	if (dev->ops.iotlb_invalidated)
		dev->ops.iotlb_invalidated(dev->opaque, start, last);
	return VDUSE_REQ_RESULT_OK;
}

static void answer(struct vdn_vduse_dev *dev, const struct vduse_dev_request *req,
		   struct vduse_dev_response *resp)
{
	switch (req->type) {
	case VDUSE_GET_VQ_STATE:
		resp->result = get_vq_state(dev, &req->vq_state, resp);
		break;
	case VDUSE_SET_STATUS:
		resp->result = set_status(dev, req->s.status);
		break;
	case VDUSE_UPDATE_IOTLB:
		resp->result = update_iotlb(dev, req->iova.start, req->iova.last);
		break;
	case VDUSE_SET_VQ_READY:
		/* only sent with API v1 + VDUSE_F_QUEUE_READY; harmless to know */
		if (req->vq_ready.num >= dev->num_vqs) {
			resp->result = VDUSE_REQ_RESULT_FAILED;
			break;
		}
		if (dev->ops.vq_ready)
			dev->ops.vq_ready(dev->opaque, req->vq_ready.num, req->vq_ready.ready);
		resp->result = VDUSE_REQ_RESULT_OK;
		break;
	default:
		vdn_vduse_logf(dev, VDN_VDUSE_LOG_WARNING, "%s: unknown request type %u", dev->name,
			       req->type);
		resp->result = VDUSE_REQ_RESULT_FAILED;
		break;
	}
}

/* No message pending: tell "nothing to do" from "device broken" (a message
 * timed out; the kernel then flags POLLERR and fails every request). */
static int idle_or_broken(const struct vdn_vduse_dev *dev)
{
	struct pollfd p = { .fd = dev->fd, .events = POLLIN };

	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)))
		return -EIO;
	return 0;
}

int vdn_vduse_handle(struct vdn_vduse_dev *dev)
{
	int handled = 0;

	for (;;) {
		struct vduse_dev_request req;
		ssize_t n = read(dev->fd, &req, sizeof(req));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return handled ? handled : idle_or_broken(dev);
			return -errno;
		}
		if ((size_t)n != sizeof(req))
			return -EIO;

		struct vduse_dev_response resp;
		memset(&resp, 0, sizeof(resp));
		resp.request_id = req.request_id;
		answer(dev, &req, &resp);
		handled++;

		while ((n = write(dev->fd, &resp, sizeof(resp))) < 0 && errno == EINTR)
			;
		if (n < 0) {
			/* ENOENT: the kernel gave up waiting (timeout); keep going */
			if (errno != ENOENT)
				return -errno;
			vdn_vduse_logf(dev, VDN_VDUSE_LOG_WARNING,
				       "%s: request %u answered too late", dev->name,
				       req.request_id);
		}
	}
}
