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

struct walk {
	struct vdn_vring *vr;
	struct vdn_chain *c;
	unsigned int n;   /* segments filled */
	uint64_t out_len; /* 64-bit so the UINT32_MAX check cannot wrap */
	uint64_t in_len;
	enum vdn_vring_err why;
};

static bool fail(struct walk *w, enum vdn_vring_err why)
{
	w->why = why;
	return false;
}

/* Translate one buffer descriptor into segments, splitting it wherever
 * xlate() ends a mapping. */
static bool add_buffer(struct walk *w, const struct desc *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	int access = writable ? VDN_ACCESS_WRITE : VDN_ACCESS_READ;
	uint64_t *total = writable ? &w->in_len : &w->out_len;
	uint64_t iova = d->addr;
	uint64_t left = d->len;

	if (!left)
		return fail(w, VDN_VRING_E_ZERO_LEN);
	if (!writable && w->c->n_in)
		return fail(w, VDN_VRING_E_ORDER);
	if (iova + (left - 1) < iova) /* may end at 2^64, not beyond */
		return fail(w, VDN_VRING_E_XLATE);
	*total += left;
	if (*total > UINT32_MAX)
		return fail(w, VDN_VRING_E_LEN);

	while (left) {
		uint64_t len = left;
		void *p;

		if (w->n == VDN_VRING_MAX_IOV)
			return fail(w, VDN_VRING_E_TOO_MANY_IOV);
		p = w->vr->xlate(w->vr->xlate_ctx, iova, &len, access);
		if (!p || !len)
			return fail(w, VDN_VRING_E_XLATE);
		if (len > left)
			len = left;
		w->c->iov[w->n].base = p;
		w->c->iov[w->n].len = (uint32_t)len;
		w->n++;
		if (writable)
			w->c->n_in++;
		else
			w->c->n_out++;
		iova += len;
		left -= len;
	}
	return true;
}

/* An indirect table, and the part of it one translation reached. */
struct table {
	uint64_t iova;
	uint32_t entries;
	const uint8_t *win;
	uint64_t win_len;
};

/* Slow path for a table entry beyond the first mapping: gather its bytes
 * piece by piece, as a table may span mappings like any buffer. */
static bool copy_in(struct walk *w, uint64_t iova, void *dst, uint64_t size)
{
	uint8_t *out = dst;

	while (size) {
		uint64_t len = size;
		const void *p = w->vr->xlate(w->vr->xlate_ctx, iova, &len, VDN_ACCESS_READ);

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

static bool table_entry(struct walk *w, const struct table *t, uint32_t i, struct desc *d)
{
	uint64_t off = (uint64_t)i * DESC_SIZE;
	struct vring_desc raw;

	if (off + DESC_SIZE <= t->win_len) {
		desc_decode(t->win + off, d);
		return true;
	}
	if (!copy_in(w, t->iova + off, &raw, sizeof(raw)))
		return false;
	desc_decode(&raw, d);
	return true;
}

static bool walk_indirect(struct walk *w, const struct desc *d)
{
	struct table t = { .iova = d->addr, .entries = d->len / DESC_SIZE };
	uint32_t i = 0;

	/* The spec forbids INDIRECT with NEXT: the table ends the chain. */
	if (!w->vr->indirect || (d->flags & VRING_DESC_F_NEXT))
		return fail(w, VDN_VRING_E_INDIRECT);
	if (!d->len || d->len % DESC_SIZE)
		return fail(w, VDN_VRING_E_INDIRECT);
	if (d->addr + (d->len - 1) < d->addr)
		return fail(w, VDN_VRING_E_XLATE);
	t.win_len = d->len;
	t.win = w->vr->xlate(w->vr->xlate_ctx, t.iova, &t.win_len, VDN_ACCESS_READ);
	if (!t.win)
		return fail(w, VDN_VRING_E_XLATE);
	if (t.win_len > d->len)
		t.win_len = d->len;

	for (uint32_t steps = 1;; steps++) {
		struct desc e;

		if (steps > t.entries)
			return fail(w, VDN_VRING_E_LOOP);
		if (!table_entry(w, &t, i, &e))
			return fail(w, VDN_VRING_E_XLATE);
		if (e.flags & VRING_DESC_F_INDIRECT)
			return fail(w, VDN_VRING_E_INDIRECT);
		if (!add_buffer(w, &e))
			return false;
		if (!(e.flags & VRING_DESC_F_NEXT))
			return true;
		i = e.next;
		if (i >= t.entries)
			return fail(w, VDN_VRING_E_NEXT_RANGE);
	}
}

static bool walk_chain(struct walk *w, uint16_t head)
{
	const struct vring_desc *table = w->vr->desc;
	uint16_t i = head;

	for (uint32_t steps = 1;; steps++) {
		struct desc d;

		if (steps > w->vr->num)
			return fail(w, VDN_VRING_E_LOOP);
		desc_decode(&table[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return walk_indirect(w, &d);
		if (!add_buffer(w, &d))
			return false;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return true;
		i = d.next;
		if (i >= w->vr->num)
			return fail(w, VDN_VRING_E_NEXT_RANGE);
	}
}

int vdn_vring_pop(struct vdn_vring *vr, struct vdn_chain *c)
{
	struct walk w = { .vr = vr, .c = c };
	uint16_t head;

	/* Re-read avail->idx only once the entries seen last time are used
	 * up: it is the one cache line the driver keeps writing. */
	if (vr->avail_idx == vr->last_avail_idx) {
		int n = vdn_vring_avail_count(vr);

		if (n <= 0)
			return n;
	}
	head = le16_load(&ring_avail(vr)->ring[vr->last_avail_idx & vr->mask], __ATOMIC_RELAXED);
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
		return -EBADMSG;
	}
	if (!walk_chain(&w, head)) {
		vr->stats.bad[w.why]++;
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

void vdn_vring_unpop(struct vdn_vring *vr, uint16_t n)
{
	/* The avail entries are still the driver's until we push them, and
	 * the cached avail idx stays ahead of the rewound position. */
	vr->last_avail_idx -= n;
	vr->stats.popped -= n;
}
