/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split ring setup, avail index checks, used ring publishing and
 * notification suppression (virtio 1.x 2.7.7 - 2.7.10).
 */
#include <errno.h>
#include <string.h>

#include "vring_private.h"

void *vdn_vring_map_area(const struct vdn_vring_cfg *cfg, uint64_t iova, uint64_t size, int access,
			 uintptr_t align)
{
	uint64_t len = size;
	void *p;

	if (iova + (size - 1) < iova)
		return NULL;
	p = cfg->xlate(cfg->xlate_ctx, iova, &len, access);
	if (!p || len < size || (uintptr_t)p % align)
		return NULL;
	return p;
}

static int map_areas(const struct vdn_vring_cfg *cfg, uint16_t num, uint64_t ev, void **desc,
		     void **avail, void **used)
{
	*desc = vdn_vring_map_area(cfg, cfg->desc_iova, DESC_SIZE * num, VDN_ACCESS_READ, 1);
	*avail = vdn_vring_map_area(cfg, cfg->avail_iova, AVAIL_HDR + 2ull * num + ev,
				    VDN_ACCESS_READ, 2);
	/* The device only ever writes the used area. */
	*used = vdn_vring_map_area(cfg, cfg->used_iova,
				   USED_HDR + sizeof(struct vring_used_elem) * num + ev,
				   VDN_ACCESS_WRITE, 4);
	return *desc && *avail && *used ? 0 : -EFAULT;
}

int vdn_vring_remap(struct vdn_vring *vr, const struct vdn_vring_cfg *cfg)
{
	void *d, *a, *u;

	if (!vr || !cfg || cfg->packed || cfg->num != vr->num || !cfg->xlate)
		return -EINVAL;
	if (cfg->desc_iova % 16 || cfg->avail_iova % 2 || cfg->used_iova % 4)
		return -EINVAL;
	if (map_areas(cfg, vr->num, vr->event_idx ? EVENT_SIZE : 0, &d, &a, &u))
		return -EFAULT;
	vr->desc = d;
	vr->avail = a;
	vr->used = u;
	vr->xlate = cfg->xlate;
	vr->xlate_ctx = cfg->xlate_ctx;
	return 0;
}

int vdn_vring_init(struct vdn_vring *vr, const struct vdn_vring_cfg *cfg)
{
	uint64_t ev;
	uint16_t num;

	if (!vr || !cfg || cfg->packed)
		return -EINVAL;
	ev = cfg->event_idx ? EVENT_SIZE : 0;
	num = cfg->num;
	if (!cfg->xlate || num == 0 || num > 32768 || (num & (num - 1)))
		return -EINVAL;
	if (cfg->desc_iova % 16 || cfg->avail_iova % 2 || cfg->used_iova % 4)
		return -EINVAL;

	memset(vr, 0, sizeof(*vr));
	if (map_areas(cfg, num, ev, &vr->desc, &vr->avail, &vr->used))
		return -EFAULT;

	vr->num = num;
	vr->mask = num - 1;
	vr->event_idx = cfg->event_idx;
	vr->indirect = cfg->indirect;
	vr->xlate = cfg->xlate;
	vr->xlate_ctx = cfg->xlate_ctx;
	vr->last_avail_idx = cfg->last_avail_idx;
	vr->avail_idx = cfg->last_avail_idx;
	vr->shadow_used_idx = cfg->last_avail_idx;
	vr->used_idx = cfg->last_avail_idx;
	order_init(&vr->order, cfg->in_order, cfg->in_order_batch);
	/* Whatever a previous owner left in used->flags / avail_event could
	 * suppress the driver's first kick; start from a known state. */
	vdn_vring_set_notify(vr, true);
	return 0;
}

int vdn_vring_avail_count(struct vdn_vring *vr)
{
	/* Acquire: ring entries read after this must be at least as new. */
	uint16_t idx, n, outstanding;

	if (vr->broken)
		return -EIO;
	idx = le16_load(&ring_avail(vr)->idx, __ATOMIC_ACQUIRE);
	n = idx - vr->last_avail_idx;
	/* Measured from the used side, not from what we popped: chains in
	 * flight still hold their heads, so a driver offering the same head
	 * again would otherwise get more than num chains accepted. */
	outstanding = idx - vr->shadow_used_idx - vr->skipped;
	if (n > vr->num || outstanding > vr->num) {
		/* No later index can be trusted either: a driver that lost
		 * count of its ring (or lies about it) must reset the device,
		 * and latching keeps a polling datapath from re-counting this
		 * every burst. */
		vr->stats.bad[VDN_VRING_E_AVAIL_IDX]++;
		vr->broken = true;
		return -EIO;
	}
	vr->avail_idx = idx;
	return n;
}

static inline void used_write(struct vdn_vring *vr, uint16_t head, uint32_t len)
{
	struct vdn_vring_order *o = &vr->order;
	struct vring_used_elem *e;

	if (o->batch) {
		if (!len && o->run) {
			/* One entry for the run, carrying its last id; the
			 * index still counts every chain (2.7.9). */
			e = &ring_used(vr)->ring[o->run_pos & vr->mask];
			le32_store(&e->id, head);
			vr->shadow_used_idx++;
			return;
		}
		o->run = !len;
		o->run_pos = vr->shadow_used_idx;
	}
	e = &ring_used(vr)->ring[vr->shadow_used_idx & vr->mask];
	le32_store(&e->id, head);
	le32_store(&e->len, len);
	vr->shadow_used_idx++;
}

void vdn_vring_push(struct vdn_vring *vr, uint16_t head, uint32_t len)
{
	if (vr->order.on) {
		if (!order_done(&vr->order, head, len))
			return;
		while (order_take(&vr->order, &head, &len))
			used_write(vr, head, len);
		return;
	}
	used_write(vr, head, len);
}

void vdn_vring_flush(struct vdn_vring *vr)
{
	/* A published entry is the driver's: no later chain may join it. */
	vr->order.run = false;
	if (vr->used_idx == vr->shadow_used_idx)
		return;
	/* Release: the driver must see the entries before the index. */
	le16_store(&ring_used(vr)->idx, vr->shadow_used_idx, __ATOMIC_RELEASE);
	vr->used_idx = vr->shadow_used_idx;
}

/* Wrap-safe "did we move past the driver's event index": true when
 * event lies in [old, new) modulo 2^16 (virtio 1.x 2.7.10). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool vdn_vring_need_notify(struct vdn_vring *vr)
{
	uint16_t old_idx = vr->signalled_used;
	uint16_t new_idx = vr->used_idx;
	bool valid = vr->signalled_valid;
	bool yes;

	if (valid && old_idx == new_idx)
		return false;
	/* Our used->idx store must be visible before we read the driver's
	 * suppression state, or we and the driver may both wait. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vr->event_idx) {
		uint16_t event = le16_load(used_event_ptr(vr), __ATOMIC_RELAXED);

		yes = !valid || need_event(event, new_idx, old_idx);
	} else {
		uint16_t flags = le16_load(&ring_avail(vr)->flags, __ATOMIC_RELAXED);

		yes = !(flags & VRING_AVAIL_F_NO_INTERRUPT);
	}
	vr->signalled_used = new_idx;
	vr->signalled_valid = true;
	if (yes)
		vr->stats.notifies++;
	return yes;
}

void vdn_vring_set_notify(struct vdn_vring *vr, bool enable)
{
	vr->notify_enabled = enable;
	if (vr->event_idx) {
		/* Disabling leaves the old avail_event: at most one more kick
		 * per index wrap, and no extra store on the datapath. */
		if (enable)
			le16_store(avail_event_ptr(vr), vr->last_avail_idx, __ATOMIC_RELAXED);
	} else {
		le16_store(&ring_used(vr)->flags, enable ? 0 : VRING_USED_F_NO_NOTIFY,
			   __ATOMIC_RELAXED);
	}
	/* Publish the enable before the caller re-reads avail->idx, so a
	 * buffer added meanwhile is either seen or kicked. */
	if (enable)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint16_t vdn_vring_last_avail(const struct vdn_vring *vr)
{
	return vr->last_avail_idx;
}

const char *vdn_vring_err_str(enum vdn_vring_err e)
{
	static const char *const names[VDN_VRING_E__COUNT] = {
		[VDN_VRING_E_HEAD_RANGE] = "head-range",
		[VDN_VRING_E_NEXT_RANGE] = "next-range",
		[VDN_VRING_E_LOOP] = "loop",
		[VDN_VRING_E_XLATE] = "xlate",
		[VDN_VRING_E_ZERO_LEN] = "zero-len",
		[VDN_VRING_E_ORDER] = "order",
		[VDN_VRING_E_INDIRECT] = "indirect",
		[VDN_VRING_E_TOO_MANY_IOV] = "too-many-iov",
		[VDN_VRING_E_AVAIL_IDX] = "avail-idx",
		[VDN_VRING_E_LEN] = "len",
	};

	if ((unsigned int)e >= VDN_VRING_E__COUNT)
		return "unknown";
	return names[e];
}
