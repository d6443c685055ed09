/* SPDX-License-Identifier: BSD-3-Clause */
/* struct vdn_vq: the parts of the split/packed front too rare to inline. */
#include <errno.h>
#include <string.h>

#include "vdn_vq.h"

int vdn_vq_init(struct vdn_vq *vq, const struct vdn_vring_cfg *cfg)
{
	if (!vq || !cfg)
		return -EINVAL;
	vq->packed = cfg->packed;
	return cfg->packed ? vdn_vring_packed_init(&vq->pk, cfg) : vdn_vring_init(&vq->split, cfg);
}

int vdn_vq_remap(struct vdn_vq *vq, const struct vdn_vring_cfg *cfg)
{
	if (!vq || !cfg || cfg->packed != vq->packed)
		return -EINVAL;
	return vq->packed ? vdn_vring_packed_remap(&vq->pk, cfg) : vdn_vring_remap(&vq->split, cfg);
}

void vdn_vq_get_state(const struct vdn_vq *vq, struct vdn_vq_state *st)
{
	if (vq->packed) {
		vdn_vring_packed_state(&vq->pk, st);
		return;
	}
	memset(st, 0, sizeof(*st));
	st->last_avail_idx = vq->split.last_avail_idx;
	st->last_used_idx = vq->split.used_idx;
}
