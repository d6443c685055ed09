/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packed ring setup, used entries and their batched publishing, and event
 * suppression (virtio 1.1+, 2.8.10 - 2.8.11, 2.8.21 - 2.8.23).
 */
#include <errno.h>
#include <string.h>

#include "vring_packed_private.h"

#define EVENT_SIZE_PK sizeof(struct vring_packed_desc_event)
#define EVENT_FLAGS_MASK 0x3u
#define EVENT_WRAP (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

static int map_areas(const struct vdn_vring_cfg *cfg, uint16_t num, void **desc, void **drv,
		     void **dev)
{
	/* The device writes used entries into the ring it reads. */
	*desc = vdn_vring_map_area(cfg, cfg->desc_iova, sizeof(struct vring_packed_desc) * num,
				   VDN_ACCESS_READ | VDN_ACCESS_WRITE, 8);
	*drv = vdn_vring_map_area(cfg, cfg->avail_iova, EVENT_SIZE_PK, VDN_ACCESS_READ, 4);
	*dev = vdn_vring_map_area(cfg, cfg->used_iova, EVENT_SIZE_PK, VDN_ACCESS_WRITE, 4);
	return *desc && *drv && *dev ? 0 : -EFAULT;
}

int vdn_vring_packed_remap(struct vdn_vring_packed *vp, const struct vdn_vring_cfg *cfg)
{
	void *d, *drv, *dev;

	if (!vp || !cfg || !cfg->packed || cfg->num != vp->num || !cfg->xlate)
		return -EINVAL;
	if (cfg->desc_iova % 16 || cfg->avail_iova % 4 || cfg->used_iova % 4)
		return -EINVAL;
	if (map_areas(cfg, vp->num, &d, &drv, &dev))
		return -EFAULT;
	vp->desc = d;
	vp->drv_event = drv;
	vp->dev_event = dev;
	vp->xlate = cfg->xlate;
	vp->xlate_ctx = cfg->xlate_ctx;
	return 0;
}

int vdn_vring_packed_init(struct vdn_vring_packed *vp, const struct vdn_vring_cfg *cfg)
{
	uint16_t num;

	if (!vp || !cfg || !cfg->packed || !cfg->xlate)
		return -EINVAL;
	num = cfg->num;
	if (num == 0 || num > VDN_VRING_PACKED_MAX_NUM || cfg->last_avail_idx >= num ||
	    cfg->last_used_idx >= num)
		return -EINVAL;
	if (cfg->desc_iova % 16 || cfg->avail_iova % 4 || cfg->used_iova % 4)
		return -EINVAL;

	memset(vp, 0, sizeof(*vp));
	if (map_areas(cfg, num, &vp->desc, &vp->drv_event, &vp->dev_event))
		return -EFAULT;

	vp->num = num;
	vp->event_idx = cfg->event_idx;
	vp->indirect = cfg->indirect;
	vp->xlate = cfg->xlate;
	vp->xlate_ctx = cfg->xlate_ctx;
	vp->avail_pos = cfg->last_avail_idx;
	vp->avail_wrap = cfg->avail_wrap;
	vp->used_pos = cfg->last_used_idx;
	vp->used_wrap = cfg->used_wrap;
	vp->pub_pos = vp->used_pos;
	vp->pub_wrap = vp->used_wrap;
	vp->journal = cfg->journal;
	/* Recovery reads one entry per chain back from the ring. */
	order_init(&vp->order, cfg->in_order, cfg->in_order_batch && !cfg->journal);
	if (vp->journal) {
		uint16_t u = pk_seq(vp->used_pos, vp->used_wrap);

		__atomic_store_n(vp->journal, pk_journal_word(u, u, u), __ATOMIC_RELAXED);
	}
	/* A previous owner's DISABLE could suppress the driver's first kick. */
	vdn_vring_packed_set_notify(vp, true);
	return 0;
}

int vdn_vring_packed_avail_count(struct vdn_vring_packed *vp)
{
	const struct vring_packed_desc *ring = pk_ring(vp);
	uint16_t pos = vp->avail_pos;
	bool wrap = vp->avail_wrap;
	int n = 0;

	while (n < vp->num && pk_is_avail(le16_load(&ring[pos].flags, __ATOMIC_ACQUIRE), wrap)) {
		n++;
		pk_advance(&pos, &wrap, 1, vp->num);
	}
	return n;
}

/* A used entry that is not the first of a batch: len, id and flags in one
 * store (they are adjacent). */
static inline void entry_store_whole(struct vring_packed_desc *d, uint16_t id, uint32_t len,
				     uint16_t flags)
{
	uint64_t w = (uint64_t)len | (uint64_t)id << 32 | (uint64_t)flags << 48;

	__atomic_store_n((uint64_t *)&d->len, htole64(w), __ATOMIC_RELAXED);
}

static inline void used_write(struct vdn_vring_packed *vp, uint16_t id, uint32_t len,
			      uint16_t ndesc)
{
	struct vdn_vring_order *o = &vp->order;
	struct vring_packed_desc *d;
	uint16_t flags;

	if (o->batch) {
		if (!len && o->run) {
			/* One used descriptor for the run, carrying its last
			 * id; the driver works out from the id how far to
			 * skip (2.8.20). */
			le16_store(&pk_ring(vp)[o->run_pos].id, id, __ATOMIC_RELAXED);
			vp->batch_desc += ndesc;
			pk_advance(&vp->used_pos, &vp->used_wrap, ndesc, vp->num);
			return;
		}
		o->run = !len;
		o->run_pos = vp->used_pos;
	}
	d = &pk_ring(vp)[vp->used_pos];
	/* A used descriptor has AVAIL == USED == our wrap counter; WRITE says
	 * len counts bytes written (2.8.4). */
	flags = (uint16_t)((vp->used_wrap ? PK_AVAIL | PK_USED : 0) | (len ? VRING_DESC_F_WRITE : 0));
	if (vp->batch_n++ == 0) {
		le32_store(&d->len, len);
		le16_store(&d->id, id, __ATOMIC_RELAXED);
		vp->batch_pos = vp->used_pos;
		vp->batch_flags = flags;
	} else {
		/* The driver reads used entries in order and stops at the
		 * first one not marked used, so later entries may be marked
		 * now: the first one, stored at flush, releases them all.
		 * len, id and flags are adjacent: one 8-byte store, as the
		 * line is shared with the driver and every store costs. */
		entry_store_whole(d, id, len, flags);
	}
	vp->batch_desc += ndesc;
	pk_advance(&vp->used_pos, &vp->used_wrap, ndesc, vp->num);
}

/*
 * shadow_drain() on a ring with a journal (used_write() without one): each
 * entry as used_write() writes it, after its journal word.  The ring state
 * is kept in locals: the fence before each entry makes the compiler store
 * back and reload every field of vp it touches, locals it leaves in
 * registers.  A journal turns in-order batching off
 * (vdn_vring_packed_init), so there is no run to extend here.
 */
static void shadow_drain_journal(struct vdn_vring_packed *vp)
{
	struct vring_packed_desc *ring = pk_ring(vp);
	uint64_t *journal = vp->journal;
	const uint64_t p0 = pk_journal_word(pk_seq(vp->pub_pos, vp->pub_wrap), 0, 0);
	const uint16_t num = vp->num, n = vp->sh_n;
	uint16_t pos = vp->used_pos, batch_n = vp->batch_n;
	bool wrap = vp->used_wrap;
	uint32_t desc = 0;

	for (uint16_t i = 0; i < n; i++) {
		const uint32_t len = vp->sh[i].len;
		const uint16_t id = vp->sh[i].id, ndesc = vp->sh[i].ndesc;
		const uint16_t flags = (uint16_t)((wrap ? PK_AVAIL | PK_USED : 0) |
						  (len ? VRING_DESC_F_WRITE : 0));
		uint16_t after = pos;
		bool after_wrap = wrap;

		pk_advance(&after, &after_wrap, ndesc, num);
		/* before the entry: a word that claims an entry not (wholly)
		 * written is told apart by recovery; one that misses a
		 * written entry could not be */
		__atomic_store_n(journal, p0 | (uint64_t)pk_seq(pos, wrap) << 16 |
					  (uint64_t)pk_seq(after, after_wrap) << 32,
				 __ATOMIC_RELAXED);
		/* ... and the entry's stores stay after it */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		if (batch_n++ == 0) {
			le32_store(&ring[pos].len, len);
			le16_store(&ring[pos].id, id, __ATOMIC_RELAXED);
			vp->batch_pos = pos;
			vp->batch_flags = flags;
		} else {
			entry_store_whole(&ring[pos], id, len, flags);
		}
		desc += ndesc;
		pos = after;
		wrap = after_wrap;
	}
	vp->used_pos = pos;
	vp->used_wrap = wrap;
	vp->batch_n = batch_n;
	vp->batch_desc += desc;
	vp->sh_n = 0;
}

/* Write the completions kept in sh[] into the ring, in push order.  With
 * a journal, each entry is written as a push used to write it (journal
 * word, then the entry), so recovery sees what it always saw, later. */
static void shadow_drain(struct vdn_vring_packed *vp)
{
	if (vp->journal) {
		shadow_drain_journal(vp);
		return;
	}
	for (uint16_t i = 0; i < vp->sh_n; i++)
		used_write(vp, vp->sh[i].id, vp->sh[i].len, vp->sh[i].ndesc);
	vp->sh_n = 0;
}

void vdn_vring_packed_stage_out(struct vdn_vring_packed *vp)
{
	shadow_drain(vp);
}

/*
 * A completion, kept off the ring until flush.  The driver polls the slot
 * where our next used entry goes, so every store into that line while it
 * polls costs a transfer of the line; written back to back at flush, the
 * entries of a burst cost about one per line.  The id stops being in
 * flight now, as if its entry were written.
 */
static inline void used_stage(struct vdn_vring_packed *vp, uint16_t id, uint32_t len)
{
	uint16_t i = vp->sh_n;

	if (i == VDN_VRING_PACKED_SHADOW) {
		shadow_drain(vp);
		i = 0;
	}
	vp->sh[i].len = len;
	vp->sh[i].id = id;
	vp->sh[i].ndesc = vp->id_ndesc[id];
	vp->id_ndesc[id] = 0;
	vp->sh_n = (uint16_t)(i + 1);
}

void vdn_vring_packed_push(struct vdn_vring_packed *vp, uint16_t id, uint32_t len)
{
	if (id >= vp->num || !vp->id_ndesc[id])
		return;
	if (vp->order.on) {
		if (!order_done(&vp->order, id, len))
			return;
		while (order_take(&vp->order, &id, &len))
			used_stage(vp, id, len);
		return;
	}
	used_stage(vp, id, len);
}

void vdn_vring_packed_flush(struct vdn_vring_packed *vp)
{
	uint32_t moved;

	shadow_drain(vp);
	/* A published entry is the driver's: no later chain may join it. */
	vp->order.run = false;
	if (!vp->batch_n)
		return;
	/* Release: ids, lengths and the later entries' flags before this. */
	le16_store(&pk_ring(vp)[vp->batch_pos].flags, vp->batch_flags, __ATOMIC_RELEASE);
	vp->pub_pos = vp->used_pos;
	vp->pub_wrap = vp->used_wrap;
	if (vp->journal) {
		uint16_t u = pk_seq(vp->used_pos, vp->used_wrap);

		__atomic_store_n(vp->journal, pk_journal_word(u, u, u), __ATOMIC_RELEASE);
	}
	moved = vp->unsignalled + vp->batch_desc;
	/* Past two laps every event position has been crossed; cap there so
	 * the counter cannot wrap however long nobody asks. */
	vp->unsignalled = moved > 2u * vp->num ? 2u * vp->num : moved;
	vp->batch_n = 0;
	vp->batch_desc = 0;
}

/*
 * Did the last `moved` published descriptors cross the driver's event
 * position?  Positions plus wrap counters form a sequence modulo 2 * num;
 * the event is crossed when it lies in [new - moved, new).
 */
static bool event_crossed(const struct vdn_vring_packed *vp, uint16_t off_wrap, uint32_t moved)
{
	uint32_t two = 2u * vp->num;
	uint32_t off = off_wrap & ~EVENT_WRAP;
	uint32_t event, now, dist;

	if (off >= vp->num || moved >= two)
		return true; /* an event we cannot place must not lose interrupts */
	event = off + ((off_wrap & EVENT_WRAP) ? vp->num : 0);
	now = vp->pub_pos + (vp->pub_wrap ? vp->num : 0);
	dist = now + two - event - 1;
	if (dist >= two)
		dist -= two;
	return dist < moved;
}

bool vdn_vring_packed_need_notify(struct vdn_vring_packed *vp)
{
	const struct vring_packed_desc_event *ev = vp->drv_event;
	uint32_t moved = vp->unsignalled;
	bool valid = vp->signalled_valid;
	uint16_t flags;
	bool yes;

	if (valid && !moved)
		return false;
	/* Our flags store must be visible before we read the driver's
	 * suppression state, or we and the driver may both wait. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Acquire: the driver writes off_wrap before switching to DESC. */
	flags = le16_load(&ev->flags, __ATOMIC_ACQUIRE) & EVENT_FLAGS_MASK;
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		yes = false;
	else if (flags == VRING_PACKED_EVENT_FLAG_DESC && vp->event_idx)
		yes = !valid || event_crossed(vp, le16_load(&ev->off_wrap, __ATOMIC_RELAXED), moved);
	else
		yes = true; /* ENABLE; DESC without EVENT_IDX; reserved value */
	vp->unsignalled = 0;
	vp->signalled_valid = true;
	if (yes)
		vp->stats.notifies++;
	return yes;
}

void vdn_vring_packed_set_notify(struct vdn_vring_packed *vp, bool enable)
{
	uint16_t flags = !enable       ? VRING_PACKED_EVENT_FLAG_DISABLE
			 : vp->event_idx ? VRING_PACKED_EVENT_FLAG_DESC
					 : VRING_PACKED_EVENT_FLAG_ENABLE;
	uint32_t off_wrap = vp->avail_pos | (vp->avail_wrap ? EVENT_WRAP : 0);

	vp->notify_enabled = enable;
	/* One store for off_wrap and flags: a driver reading both (Linux
	 * reads them as one 32-bit word) never sees a torn pair. */
	__atomic_store_n((uint32_t *)vp->dev_event, htole32(off_wrap | (uint32_t)flags << 16),
			 __ATOMIC_RELAXED);
	/* Publish the enable before the caller re-checks for buffers, so one
	 * added meanwhile is either seen or kicked. */
	if (enable)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void vdn_vring_packed_state(const struct vdn_vring_packed *vp, struct vdn_vq_state *st)
{
	st->last_avail_idx = vp->avail_pos;
	st->avail_wrap = vp->avail_wrap;
	st->last_used_idx = vp->pub_pos;
	st->used_wrap = vp->pub_wrap;
}
