/* SPDX-License-Identifier: BSD-3-Clause */
/* Virtqueue info through either transport: VDUSE's, called directly, or
 * the caller's (vdn_net_transport.h), converted to the same shape so the
 * queue code has one path. */
#include <string.h>

#include "net_private.h"

int vdn_net_tp_vq_info(struct vdn_net_dev *dev, uint32_t index, struct vdn_vduse_vq_info *info,
		       vdn_vring_xlate_fn *xlate, void **xlate_ctx)
{
	struct vdn_net_vq_info ti;
	int rc;

	if (!dev->tp) {
		*xlate = vdn_vduse_xlate;
		*xlate_ctx = dev->vd;
		return vdn_vduse_vq_info(dev->vd, index, info);
	}
	memset(&ti, 0, sizeof(ti));
	rc = dev->tp->vq_info(dev->tp_ctx, index, &ti);
	if (rc < 0)
		return rc;
	memset(info, 0, sizeof(*info));
	info->index = index;
	info->num = ti.num;
	info->desc_iova = ti.desc_iova;
	info->avail_iova = ti.avail_iova;
	info->used_iova = ti.used_iova;
	info->avail_idx = ti.last_avail_idx;
	info->ready = ti.ready;
	info->packed = ti.packed;
	info->packed_state.last_avail_idx = ti.last_avail_idx;
	info->packed_state.avail_wrap = ti.avail_wrap;
	info->packed_state.last_used_idx = ti.last_used_idx;
	info->packed_state.used_wrap = ti.used_wrap;
	*xlate = dev->tp->xlate;
	*xlate_ctx = dev->tp_ctx;
	return 0;
}
