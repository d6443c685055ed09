/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Popping a packed chain (virtio 1.1+, 2.8.5 - 2.8.7, 2.8.19): descriptors
 * follow each other in the ring, linked by NEXT, and the last one carries
 * the buffer id.  A malformed chain is still walked to its end, without
 * translating anything more, because its id and length decide what goes
 * back to the driver.  Bounded by the ring size and VDN_VRING_MAX_IOV.
 */
#include <errno.h>

#include "vring_packed_private.h"
#include "vring_walk.h"

struct pdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

static void pdesc_decode(const void *p, struct pdesc *d)
{
	struct vring_packed_desc raw;

	memcpy(&raw, p, sizeof(raw));
	d->addr = le64toh(raw.addr);
	d->len = le32toh(raw.len);
	d->id = le16toh(raw.id);
	d->flags = le16toh(raw.flags);
}

/* The table's entries are used in order; only their WRITE flag counts. */
static bool walk_indirect(struct walk *w, const struct pdesc *d, bool negotiated)
{
	struct table t;

	if (!vdn_vring_table_open(w, &t, negotiated, d->flags, d->addr, d->len))
		return false;
	for (uint32_t i = 0; i < t.entries; i++) {
		struct pdesc e;
		uint8_t raw[sizeof(struct vring_packed_desc)];

		if (!vdn_vring_table_read(w, &t, i, raw))
			return walk_fail(w, VDN_VRING_E_XLATE);
		pdesc_decode(raw, &e);
		if (!walk_buffer(w, e.addr, e.len, e.flags & VRING_DESC_F_WRITE))
			return false;
	}
	return true;
}

static void record(struct vdn_vring_packed *vp, uint16_t id, uint16_t ndesc)
{
	uint16_t slot = vp->hist_head++ % VDN_VRING_PACKED_UNPOP_MAX;

	vp->hist[slot].id = id;
	vp->hist[slot].ndesc = ndesc;
	if (vp->hist_n < VDN_VRING_PACKED_UNPOP_MAX)
		vp->hist_n++;
	if (vp->order.on && id != PK_NO_ID)
		order_add(&vp->order, id);
}

/*
 * The common chain, one direct descriptor whose buffer translates in one
 * piece, without the general walk.  Returns false, having changed nothing,
 * for anything else (the general path then takes it, errors included).
 */
static inline bool pop_single(struct vdn_vring_packed *vp, const struct vring_packed_desc *dsc,
			      uint16_t flags, struct vdn_chain *c)
{
	struct vring_packed_desc raw;
	bool wr = flags & VRING_DESC_F_WRITE;
	uint64_t addr, got;
	uint32_t len;
	uint16_t id;
	void *p;

	memcpy(&raw, dsc, sizeof(raw));
	addr = le64toh(raw.addr);
	len = le32toh(raw.len);
	id = le16toh(raw.id);
	if (id >= vp->num || vp->id_ndesc[id] || !len || addr + (len - 1) < addr)
		return false;
	got = len;
	p = vp->xlate(vp->xlate_ctx, addr, &got, wr ? VDN_ACCESS_WRITE : VDN_ACCESS_READ);
	if (!p || got < len)
		return false;
	c->head = id;
	c->iov[0].base = p;
	c->iov[0].len = len;
	c->n_out = !wr;
	c->n_in = wr;
	c->out_len = wr ? 0 : len;
	c->in_len = wr ? len : 0;
	vp->id_ndesc[id] = 1;
	record(vp, id, 1);
	pk_advance(&vp->avail_pos, &vp->avail_wrap, 1, vp->num);
	vp->stats.popped++;
	return true;
}

/* The general walk of an available chain whose first flags are `flags`.
 * Out of line so the one-descriptor path pays for none of its frame. */
static __attribute__((noinline)) int pop_walk(struct vdn_vring_packed *vp, struct vdn_chain *c,
					      uint16_t flags)
{
	const struct vring_packed_desc *ring = pk_ring(vp);
	struct walk w = { .xlate = vp->xlate, .xlate_ctx = vp->xlate_ctx, .c = c };
	uint16_t pos = vp->avail_pos, n = 0, id = PK_NO_ID;
	bool wrap = vp->avail_wrap, ok = true, ended = false;

	c->n_out = 0;
	c->n_in = 0;
	c->out_len = 0;
	c->in_len = 0;
	for (;;) {
		struct pdesc d;

		pdesc_decode(&ring[pos], &d);
		if (n == 0)
			d.flags = flags; /* the value we checked, not a re-read */
		else if (!pk_is_avail(d.flags, wrap))
			break; /* NEXT into a descriptor the driver does not offer */
		n++;
		pk_advance(&pos, &wrap, 1, vp->num);
		if (ok) {
			if (d.flags & VRING_DESC_F_INDIRECT)
				ok = walk_indirect(&w, &d, vp->indirect);
			else
				ok = walk_buffer(&w, d.addr, d.len, d.flags & VRING_DESC_F_WRITE);
		}
		if (!(d.flags & VRING_DESC_F_NEXT)) {
			id = d.id;
			ended = true;
			break;
		}
		if (n == vp->num)
			break;
	}
	vp->avail_pos = pos;
	vp->avail_wrap = wrap;
	c->head = id;

	if (!ended || id >= vp->num || vp->id_ndesc[id]) {
		/* No id we can return: what was offered is consumed so the
		 * queue moves on; the driver's accounting is broken anyway. */
		enum vdn_vring_err why = ended		? VDN_VRING_E_HEAD_RANGE
					 : n == vp->num ? VDN_VRING_E_LOOP
							: VDN_VRING_E_NEXT_RANGE;

		vp->stats.bad[why]++;
		c->why = (uint8_t)why;
		record(vp, PK_NO_ID, n);
		c->n_out = 0;
		c->n_in = 0;
		return -EBADMSG;
	}
	vp->id_ndesc[id] = n;
	record(vp, id, n);
	if (!ok) {
		vp->stats.bad[w.why]++;
		c->why = (uint8_t)w.why;
		c->n_out = 0;
		c->n_in = 0;
		vdn_vring_packed_push(vp, id, 0);
		return -EBADMSG;
	}
	c->out_len = (uint32_t)w.out_len;
	c->in_len = (uint32_t)w.in_len;
	vp->stats.popped++;
	return 1;
}

int vdn_vring_packed_pop(struct vdn_vring_packed *vp, struct vdn_chain *c)
{
	const struct vring_packed_desc *d = &pk_ring(vp)[vp->avail_pos];
	/* Acquire: the driver stores the first descriptor's flags last. */
	uint16_t flags;

	/* An in-order ring tracks a bounded number of chains in flight. */
	if (__builtin_expect(order_full(&vp->order), 0))
		return 0;
	flags = le16_load(&d->flags, __ATOMIC_ACQUIRE);
	if (!pk_is_avail(flags, vp->avail_wrap))
		return 0;
	if (!(flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) &&
	    __builtin_expect(pop_single(vp, d, flags, c), 1))
		return 1;
	return pop_walk(vp, c, flags);
}

void vdn_vring_packed_unpop(struct vdn_vring_packed *vp, uint16_t n)
{
	if (n > vp->hist_n)
		n = vp->hist_n;
	/* The descriptors stay the driver's until we push them: rewinding
	 * our position makes the next pops read them again. */
	for (uint16_t k = 0; k < n; k++) {
		uint16_t slot = --vp->hist_head % VDN_VRING_PACKED_UNPOP_MAX;

		pk_retreat(&vp->avail_pos, &vp->avail_wrap, vp->hist[slot].ndesc, vp->num);
		if (vp->hist[slot].id != PK_NO_ID) {
			vp->id_ndesc[vp->hist[slot].id] = 0;
			if (vp->order.on)
				order_drop(&vp->order, 1);
		}
	}
	vp->hist_n -= n;
	vp->stats.popped -= n;
}
