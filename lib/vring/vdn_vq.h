/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vring: the device side of packed virtqueues (virtio 1.1+, 2.8), and
 * struct vdn_vq, one front over split and packed so a device model need not
 * care which layout the driver negotiated.
 *
 * Packed rings keep every promise vdn_vring.h makes for split ones: same
 * xlate callback, same struct vdn_chain (out segments, then in), same reject
 * reasons and counters, malformed chains returned as used with length 0,
 * staged used entries published by one flush.  Where the layouts differ:
 *
 * - A chain's buffer id is the id of its last descriptor; chain->head
 *   carries it.  Ids must be < num and not already in flight (the driver
 *   looks its state up by id); anything else is VDN_VRING_E_HEAD_RANGE.
 * - Every descriptor of a chain must be marked available for the current
 *   lap, not just the first (so a chain can never reach descriptors we
 *   still hold): NEXT into one that is not is VDN_VRING_E_NEXT_RANGE, a
 *   chain longer than the ring VDN_VRING_E_LOOP.  Such a chain has no buffer
 *   id, so, like a split head out of range, the descriptors offered are
 *   consumed and counted but nothing is pushed.  Every other malformed chain
 *   is pushed (id, length 0), since the driver needs its descriptors back.
 * - Indirect tables are read in order, len / 16 entries: only WRITE means
 *   anything in them (2.8.19); NEXT, INDIRECT and ids there are ignored.
 *   The WRITE flag of the descriptor pointing at a table is ignored too.
 * - Used entries go into the descriptor ring.  The flags of the first
 *   entry of a burst are stored last, with release, at flush: the driver
 *   sees the whole burst at once or nothing of it.
 * - Kicks and interrupts use the event suppression structures (2.8.10):
 *   RING_EVENT_FLAGS_ENABLE / DISABLE, and DESC with EVENT_IDX.
 *
 * Neither layout requires VIRTIO_F_IN_ORDER: completions may come in any
 * order.  With cfg->in_order the ring puts them back in pop order (and may
 * batch them, cfg->in_order_batch); see struct vdn_vring_cfg.
 */
#ifndef VDN_VQ_H
#define VDN_VQ_H

#include <stdbool.h>
#include <stdint.h>

#include "vdn_vring.h"

/* Largest packed queue (2.8: up to 2^15 entries). */
#define VDN_VRING_PACKED_MAX_NUM 32768
/* How many of the latest pops an unpop can reach back over (packed). */
#define VDN_VRING_PACKED_UNPOP_MAX 256
/* Completions a packed ring keeps off the ring until flush (or until this
 * many wait): see used_stage() in vring_packed.c. */
#define VDN_VRING_PACKED_SHADOW 64

/* Device state of a packed ring; callers allocate it (about 66 KiB: a
 * per-id descriptor count for every possible id).  Fields are private. */
struct vdn_vring_packed {
	uint16_t num;
	uint16_t avail_pos;      /* next descriptor to read */
	uint16_t used_pos;       /* next used slot, staged entries included */
	uint16_t pub_pos;        /* used slot after the last flush */
	uint16_t batch_pos;      /* slot of the first staged entry */
	uint16_t batch_flags;    /* its flags, stored last by flush */
	uint16_t batch_n;        /* staged entries */
	uint16_t hist_head;      /* pops recorded in hist[] (mod UNPOP_MAX) */
	uint16_t hist_n;         /* valid entries in hist[] */
	uint16_t sh_n;           /* completions in sh[], not yet in the ring */
	bool avail_wrap;
	bool used_wrap;
	bool pub_wrap;
	bool signalled_valid;
	bool event_idx;
	bool indirect;
	bool notify_enabled;
	uint32_t batch_desc;     /* descriptors the staged entries give back */
	uint32_t unsignalled;    /* descriptors published since the last decision */
	void *desc;              /* struct vring_packed_desc[num] */
	void *drv_event;         /* driver event suppression (read) */
	void *dev_event;         /* device event suppression (written) */
	vdn_vring_xlate_fn xlate;
	void *xlate_ctx;
	uint64_t *journal;       /* cfg->journal */
	struct vdn_vring_stats stats;
	struct vdn_vring_order order;
	struct {
		uint32_t len;
		uint16_t id;
		uint16_t ndesc;
	} sh[VDN_VRING_PACKED_SHADOW];
	struct {
		uint16_t id;     /* UINT16_MAX: the pop had no valid id */
		uint16_t ndesc;
	} hist[VDN_VRING_PACKED_UNPOP_MAX];
	uint16_t id_ndesc[VDN_VRING_PACKED_MAX_NUM]; /* 0 = id not in flight */
};

/* Where a queue stands, for VDUSE GET_VQ_STATE (vduse_vq_state_packed). */
struct vdn_vq_state {
	uint16_t last_avail_idx; /* split: the avail index; packed: ring position */
	bool avail_wrap;         /* packed only */
	uint16_t last_used_idx;  /* split: published used idx; packed: position */
	bool used_wrap;          /* packed only */
};

/*
 * Set up a packed ring (cfg->packed must be set; see struct vdn_vring_cfg
 * for what the three addresses mean).  Resumes at last_avail_idx/avail_wrap
 * and last_used_idx/used_wrap; kicks start enabled (device event flags
 * written).  Returns 0; -EINVAL on a bad size, a resume position >= num, a
 * NULL xlate, !cfg->packed, or an area misaligned (ring 16, event areas 4,
 * 2.8.10.1); -EFAULT if an area does not translate with the access it needs
 * (ring read+write, driver area read, device area write).
 */
int vdn_vring_packed_init(struct vdn_vring_packed *vp, const struct vdn_vring_cfg *cfg);

/* As vdn_vring_remap(), for a packed ring (cfg->packed must be set). */
int vdn_vring_packed_remap(struct vdn_vring_packed *vp, const struct vdn_vring_cfg *cfg);

/* Descriptors (not chains) the driver has made available in a row from our
 * position, at most num: 0 means empty.  Never fails. */
int vdn_vring_packed_avail_count(struct vdn_vring_packed *vp);

/* As vdn_vring_pop(): 1, 0 if empty, -EBADMSG (see the header comment for
 * which rejects are pushed).  Never -EIO: a packed ring has no index to
 * corrupt. */
int vdn_vring_packed_pop(struct vdn_vring_packed *vp, struct vdn_chain *c);

/* As vdn_vring_unpop(); n is also capped at VDN_VRING_PACKED_UNPOP_MAX. */
void vdn_vring_packed_unpop(struct vdn_vring_packed *vp, uint16_t n);

/* Stage a used entry for buffer id.  An id not in flight (never popped, or
 * pushed already) is ignored: the ring cannot know how many descriptors it
 * would give back. */
void vdn_vring_packed_push(struct vdn_vring_packed *vp, uint16_t id, uint32_t len);

/* Publish the staged entries: they are written into the ring (see
 * vdn_vring_packed_stage_out), then one release store of the first entry's
 * flags. */
void vdn_vring_packed_flush(struct vdn_vring_packed *vp);

/*
 * Write the completions pushed since the last flush into the ring, still
 * unpublished (the driver sees none of them before the flush): what a
 * flush does first, and what a push does itself once
 * VDN_VRING_PACKED_SHADOW completions wait.  Pushes are kept off the ring
 * because the driver polls the slot the next used entry goes to: entries
 * written one per push, between packet copies, would each move that cache
 * line back and forth.  Callers need not call this; it lets a test stop
 * between the writes a flush makes.  Never fails.
 */
void vdn_vring_packed_stage_out(struct vdn_vring_packed *vp);

/* As vdn_vring_need_notify(), from the driver event suppression area. */
bool vdn_vring_packed_need_notify(struct vdn_vring_packed *vp);

/* As vdn_vring_set_notify(): writes the device event suppression area
 * (DESC at our position with EVENT_IDX, else ENABLE; DISABLE). */
void vdn_vring_packed_set_notify(struct vdn_vring_packed *vp, bool enable);

void vdn_vring_packed_state(const struct vdn_vring_packed *vp, struct vdn_vq_state *st);

/*
 * Crash-restart.  A packed ring has no index that counts completions, and
 * its descriptor flags cannot say where the device stood (only the first
 * slot of a completed chain is rewritten), so a ring given cfg->journal
 * keeps its used position there: one 64-bit store per used entry written
 * (before the entry, at flush or stage-out) and per flush.  From that word
 * and the ring, this works out where a device that died resumes:
 * completions it had written to the ring are published (the first entry's
 * flags, which the flush would have stored, are written now), except a
 * last one that may be half written, whose chain is processed again, as
 * are the chains popped but not completed or whose completions were not
 * written yet.  Fills st (avail = used = the resume point) for
 * vdn_vring_packed_init().  Exact only if the device completed chains in
 * the order it popped them (vduse_net does).
 * Returns 0; -ENODATA `word` is not a journal (never written); -EINVAL bad
 * cfg or a position >= num; -EFAULT the ring does not translate.
 */
int vdn_vring_packed_recover(const struct vdn_vring_cfg *cfg, uint64_t word,
			     struct vdn_vq_state *st);

/*
 * The front.  Same argument shapes as the vdn_vring_* split API, so a device
 * model moves over by renaming vdn_vring_X(&ring, ...) to vdn_vq_X(&vq, ...).
 * The layout never changes while a queue runs, so the dispatch branch is
 * always predicted.
 */
struct vdn_vq {
	bool packed;
	union {
		struct vdn_vring split;
		struct vdn_vring_packed pk;
	};
};

/* vdn_vring_init() or vdn_vring_packed_init() by cfg->packed; same errors. */
int vdn_vq_init(struct vdn_vq *vq, const struct vdn_vring_cfg *cfg);

/* vdn_vring_remap() or vdn_vring_packed_remap(); -EINVAL also if
 * cfg->packed is not the ring's layout. */
int vdn_vq_remap(struct vdn_vq *vq, const struct vdn_vring_cfg *cfg);

/* Split and packed positions in VDUSE's terms. */
void vdn_vq_get_state(const struct vdn_vq *vq, struct vdn_vq_state *st);

static inline int vdn_vq_avail_count(struct vdn_vq *vq)
{
	return vq->packed ? vdn_vring_packed_avail_count(&vq->pk) : vdn_vring_avail_count(&vq->split);
}

static inline int vdn_vq_pop(struct vdn_vq *vq, struct vdn_chain *c)
{
	return vq->packed ? vdn_vring_packed_pop(&vq->pk, c) : vdn_vring_pop(&vq->split, c);
}

static inline void vdn_vq_unpop(struct vdn_vq *vq, uint16_t n)
{
	if (vq->packed)
		vdn_vring_packed_unpop(&vq->pk, n);
	else
		vdn_vring_unpop(&vq->split, n);
}

static inline void vdn_vq_push(struct vdn_vq *vq, uint16_t id, uint32_t len)
{
	if (vq->packed)
		vdn_vring_packed_push(&vq->pk, id, len);
	else
		vdn_vring_push(&vq->split, id, len);
}

static inline void vdn_vq_flush(struct vdn_vq *vq)
{
	if (vq->packed)
		vdn_vring_packed_flush(&vq->pk);
	else
		vdn_vring_flush(&vq->split);
}

static inline bool vdn_vq_need_notify(struct vdn_vq *vq)
{
	return vq->packed ? vdn_vring_packed_need_notify(&vq->pk) : vdn_vring_need_notify(&vq->split);
}

static inline void vdn_vq_set_notify(struct vdn_vq *vq, bool enable)
{
	if (vq->packed)
		vdn_vring_packed_set_notify(&vq->pk, enable);
	else
		vdn_vring_set_notify(&vq->split, enable);
}

/* The avail position alone (packed: without its wrap counter; use
 * vdn_vq_get_state() to answer GET_VQ_STATE for a packed ring). */
static inline uint16_t vdn_vq_last_avail(const struct vdn_vq *vq)
{
	return vq->packed ? vq->pk.avail_pos : vdn_vring_last_avail(&vq->split);
}

/* A packed ring has no index to corrupt: only split rings break. */
static inline bool vdn_vq_broken(const struct vdn_vq *vq)
{
	return !vq->packed && vdn_vring_broken(&vq->split);
}

static inline const struct vdn_vring_stats *vdn_vq_stats(const struct vdn_vq *vq)
{
	return vq->packed ? &vq->pk.stats : &vq->split.stats;
}

#endif
