/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtqueues and config space: ring addresses, kick eventfds, interrupts,
 * config updates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "vduse_internal.h"

int vdn_vduse_vq_info(struct vdn_vduse_dev *dev, uint32_t index, struct vdn_vduse_vq_info *info)
{
	struct vduse_vq_info vi = { .index = index };

	if (index >= dev->num_vqs || !info)
		return -EINVAL;
	if (ioctl(dev->fd, VDUSE_VQ_GET_INFO, &vi))
		return -errno;
	info->index = index;
	info->num = vi.num;
	info->desc_iova = vi.desc_addr;
	info->avail_iova = vi.driver_addr;
	info->used_iova = vi.device_addr;
	info->ready = vi.ready;
	/* The kernel fills the union by the features the driver acked. */
	info->packed = vdn_vduse_driver_features(dev) & (1ULL << VIRTIO_F_RING_PACKED);
	if (info->packed) {
		info->packed_state = (struct vdn_vduse_vq_packed){
			.last_avail_idx = vi.packed.last_avail_idx,
			.avail_wrap = vi.packed.last_avail_counter,
			.last_used_idx = vi.packed.last_used_idx,
			.used_wrap = vi.packed.last_used_counter,
		};
		info->avail_idx = vi.packed.last_avail_idx;
	} else {
		memset(&info->packed_state, 0, sizeof(info->packed_state));
		info->avail_idx = vi.split.avail_index;
	}
	/* GET_VQ_STATE falls back to this when the model has no hook */
	dev->vqs[index].last_avail = info->avail_idx;
	dev->vqs[index].packed = info->packed_state;
	return 0;
}

int vdn_vduse_vq_kickfd(struct vdn_vduse_dev *dev, uint32_t index)
{
	if (index >= dev->num_vqs)
		return -EINVAL;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return -errno;
	struct vduse_vq_eventfd ve = { .index = index, .fd = efd };
	if (ioctl(dev->fd, VDUSE_VQ_SETUP_KICKFD, &ve)) {
		int ret = -errno;
		close(efd);
		return ret;
	}
	/* the kernel now holds its own reference to the old one, if any */
	if (dev->vqs[index].kickfd >= 0)
		close(dev->vqs[index].kickfd);
	dev->vqs[index].kickfd = efd;
	return efd;
}

void vdn_vduse_vq_close_kickfds(struct vdn_vduse_dev *dev)
{
	for (uint32_t i = 0; i < dev->num_vqs; i++) {
		if (dev->vqs[i].kickfd < 0)
			continue;
		close(dev->vqs[i].kickfd);
		dev->vqs[i].kickfd = -1;
	}
}

int vdn_vduse_vq_irq(struct vdn_vduse_dev *dev, uint32_t index)
{
	if (index >= dev->num_vqs)
		return -EINVAL;
	return ioctl(dev->fd, VDUSE_VQ_INJECT_IRQ, &index) ? -errno : 0;
}

int vdn_vduse_set_config(struct vdn_vduse_dev *dev, uint32_t offset, const void *buf,
			 uint32_t len, bool notify)
{
	if (!len || !buf)
		return -EINVAL;
	struct vduse_config_data *cd = malloc(sizeof(*cd) + len);
	if (!cd)
		return -ENOMEM;
	cd->offset = offset;
	cd->length = len;
	memcpy(cd->buffer, buf, len);
	int ret = ioctl(dev->fd, VDUSE_DEV_SET_CONFIG, cd) ? -errno : 0;
	free(cd);
	/* the kernel refuses interrupts before DRIVER_OK; a driver that is
	 * not there yet reads the new bytes when it probes */
	bool driver_ok = atomic_load(&dev->status) & VIRTIO_CONFIG_S_DRIVER_OK;
	if (!ret && notify && driver_ok && ioctl(dev->fd, VDUSE_DEV_INJECT_CONFIG_IRQ))
		ret = -errno;
	return ret;
}
