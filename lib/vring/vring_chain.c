/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Popping a descriptor chain (virtio 1.x 2.7.5, 2.7.13): walk direct and
 * indirect descriptors, translate their buffers, and reject anything
 * malformed without reading past what the driver's mappings allow.  Every
 * walk is bounded: by the queue size for the direct chain, by the table size
 * for an indirect one, and by VDN_VRING_MAX_IOV segments overall.
 */
#include <errno.h>

#include "vring_private.h"
#include "vring_walk.h"

/* Slow path for a table entry beyond the first mapping: gather its bytes
 * piece by piece, as a table may span mappings like any buffer. */
static bool copy_in(struct walk *w, uint64_t iova, void *dst, uint64_t size)
{
	uint8_t *out = dst;

	while (size) {
		uint64_t len = size;
		const void *p = w->xlate(w->xlate_ctx, iova, &len, VDN_ACCESS_READ);

		if (!p || !len)
			return false;
		if (len > size)
			len = size;
		memcpy(out, p, len);
		out += len;
		iova += len;
		size -= len;
	}
	return true;
}

bool vdn_vring_table_read(struct walk *w, const struct table *t, uint32_t i, void *raw)
{
	uint64_t off = (uint64_t)i * DESC_SIZE;

	if (off + DESC_SIZE <= t->win_len) {
		memcpy(raw, t->win + off, DESC_SIZE);
		return true;
	}
	return copy_in(w, t->iova + off, raw, DESC_SIZE);
}

bool vdn_vring_table_open(struct walk *w, struct table *t, bool negotiated, uint16_t flags,
			  uint64_t addr, uint32_t len)
{
	t->iova = addr;
	t->entries = len / DESC_SIZE;
	/* The spec forbids INDIRECT with NEXT: the table ends the chain. */
	if (!negotiated || (flags & VRING_DESC_F_NEXT))
		return walk_fail(w, VDN_VRING_E_INDIRECT);
	if (!len || len % DESC_SIZE)
		return walk_fail(w, VDN_VRING_E_INDIRECT);
	/* next is 16 bits: a split table can reach no further, and a
	 * packed one is read in order, so nothing longer is meaningful */
	if (t->entries > 65536)
		return walk_fail(w, VDN_VRING_E_INDIRECT);
	if (addr + (len - 1) < addr)
		return walk_fail(w, VDN_VRING_E_XLATE);
	t->win_len = len;
	t->win = w->xlate(w->xlate_ctx, addr, &t->win_len, VDN_ACCESS_READ);
	if (!t->win || !t->win_len)
		return walk_fail(w, VDN_VRING_E_XLATE);
	if (t->win_len > len)
		t->win_len = len;
	/* The table is a buffer the device reads: all of it must be mapped,
	 * as for any other buffer, not just the entries a walk reaches.
	 * Usually one translation covers it and this loop never runs. */
	for (uint64_t at = t->win_len; at < len;) {
		uint64_t piece = len - at;

		if (!w->xlate(w->xlate_ctx, addr + at, &piece, VDN_ACCESS_READ) || !piece)
			return walk_fail(w, VDN_VRING_E_XLATE);
		at += piece;
	}
	return true;
}

static bool add_buffer(struct walk *w, const struct desc *d)
{
	return walk_buffer(w, d->addr, d->len, d->flags & VRING_DESC_F_WRITE);
}

static bool walk_indirect(struct walk *w, const struct desc *d, bool negotiated)
{
	struct table t;
	uint32_t i = 0;

	if (!vdn_vring_table_open(w, &t, negotiated, d->flags, d->addr, d->len))
		return false;
	for (uint32_t steps = 1;; steps++) {
		struct vring_desc raw;
		struct desc e;

		if (steps > t.entries)
			return walk_fail(w, VDN_VRING_E_LOOP);
		if (!vdn_vring_table_read(w, &t, i, &raw))
			return walk_fail(w, VDN_VRING_E_XLATE);
		desc_decode(&raw, &e);
		if (e.flags & VRING_DESC_F_INDIRECT)
			return walk_fail(w, VDN_VRING_E_INDIRECT);
		if (!add_buffer(w, &e))
			return false;
		if (!(e.flags & VRING_DESC_F_NEXT))
			return true;
		i = e.next;
		if (i >= t.entries)
			return walk_fail(w, VDN_VRING_E_NEXT_RANGE);
	}
}

static bool walk_chain(struct walk *w, const struct vdn_vring *vr, uint16_t head)
{
	const struct vring_desc *table = vr->desc;
	uint16_t i = head;

	for (uint32_t steps = 1;; steps++) {
		struct desc d;

		if (steps > vr->num)
			return walk_fail(w, VDN_VRING_E_LOOP);
		desc_decode(&table[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return walk_indirect(w, &d, vr->indirect);
		if (!add_buffer(w, &d))
			return false;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return true;
		i = d.next;
		if (i >= vr->num)
			return walk_fail(w, VDN_VRING_E_NEXT_RANGE);
	}
}

/*
 * The common chain, one direct descriptor whose buffer translates in one
 * piece, without the general walk.  Returns false, having changed nothing,
 * for anything else (the general path then takes it, errors included).
 */
static inline bool pop_single(const struct vdn_vring *vr, uint16_t head, struct vdn_chain *c)
{
	struct desc d;
	uint64_t got;
	bool wr;
	void *p;

	desc_decode(&((const struct vring_desc *)vr->desc)[head], &d);
	if ((d.flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) || !d.len ||
	    d.addr + (d.len - 1) < d.addr)
		return false;
	wr = d.flags & VRING_DESC_F_WRITE;
	got = d.len;
	p = vr->xlate(vr->xlate_ctx, d.addr, &got, wr ? VDN_ACCESS_WRITE : VDN_ACCESS_READ);
	if (!p || got < d.len)
		return false;
	c->iov[0].base = p;
	c->iov[0].len = d.len;
	c->n_out = !wr;
	c->n_in = wr;
	c->out_len = wr ? 0 : d.len;
	c->in_len = wr ? d.len : 0;
	return true;
}

/* The general walk of the chain at `head`, already taken off the avail
 * ring.  Out of line so the one-descriptor path pays for none of its frame. */
static __attribute__((noinline)) int pop_walk(struct vdn_vring *vr, struct vdn_chain *c,
					      uint16_t head)
{
	struct walk w = { .xlate = vr->xlate, .xlate_ctx = vr->xlate_ctx, .c = c };

	if (!walk_chain(&w, vr, head)) {
		vr->stats.bad[w.why]++;
		c->why = (uint8_t)w.why;
		c->n_out = 0;
		c->n_in = 0;
		vdn_vring_push(vr, head, 0);
		return -EBADMSG;
	}
	c->out_len = (uint32_t)w.out_len;
	c->in_len = (uint32_t)w.in_len;
	vr->stats.popped++;
	return 1;
}

/* Copy the next avail entries (up to what the avail idx read allows) and
 * start loading their descriptors: the driver wrote both from another core,
 * so their misses overlap here rather than one per pop. */
static void avail_fill(struct vdn_vring *vr)
{
	uint16_t n = vr->avail_idx - vr->last_avail_idx;

	if (n > VDN_VRING_AVAIL_CACHE)
		n = VDN_VRING_AVAIL_CACHE;
	vr->ac_pos = vr->last_avail_idx;
	vr->ac_n = n;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t h = le16_load(&ring_avail(vr)->ring[(uint16_t)(vr->ac_pos + i) & vr->mask],
				       __ATOMIC_RELAXED);

		vr->ac_head[i] = h;
		if (h < vr->num)
			__builtin_prefetch((const struct vring_desc *)vr->desc + h);
	}
}

int vdn_vring_pop(struct vdn_vring *vr, struct vdn_chain *c)
{
	uint16_t head, off;

	/* An in-order ring tracks a bounded number of chains in flight. */
	if (__builtin_expect(order_full(&vr->order), 0))
		return 0;
	/* Re-read avail->idx only once the entries seen last time are used
	 * up: it is the one cache line the driver keeps writing. */
	if (vr->avail_idx == vr->last_avail_idx || vr->broken) {
		int n = vdn_vring_avail_count(vr);

		if (n <= 0)
			return n;
	}
	off = vr->last_avail_idx - vr->ac_pos;
	if (off >= vr->ac_n) {
		avail_fill(vr);
		off = 0;
	}
	head = vr->ac_head[off];
	vr->last_avail_idx++;

	c->head = head;
	c->n_out = 0;
	c->n_in = 0;
	c->out_len = 0;
	c->in_len = 0;
	if (head >= vr->num) {
		/* No valid id to return: consuming the entry keeps the queue
		 * moving; the driver's accounting is broken either way. */
		vr->stats.bad[VDN_VRING_E_HEAD_RANGE]++;
		c->why = VDN_VRING_E_HEAD_RANGE;
		vr->skipped++;
		return -EBADMSG;
	}
	if (vr->order.on)
		order_add(&vr->order, head);
	if (__builtin_expect(pop_single(vr, head, c), 1)) {
		vr->stats.popped++;
		return 1;
	}
	return pop_walk(vr, c, head);
}

void vdn_vring_unpop(struct vdn_vring *vr, uint16_t n)
{
	/* The avail entries are still the driver's until we push them, and
	 * the cached avail idx stays ahead of the rewound position. */
	vr->last_avail_idx -= n;
	vr->stats.popped -= n;
	if (vr->order.on)
		order_drop(&vr->order, n);
}
