/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Filling a struct vdn_chain from descriptors, shared by the split and packed
 * walkers: both layouts describe buffers the same way (address, length,
 * WRITE flag) and must be checked the same way.
 */
#ifndef VDN_VRING_WALK_H
#define VDN_VRING_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

#include "vdn_vring.h"

struct walk {
	vdn_vring_xlate_fn xlate;
	void *xlate_ctx;
	struct vdn_chain *c;
	unsigned int n;   /* segments filled */
	uint64_t out_len; /* 64-bit so the UINT32_MAX check cannot wrap */
	uint64_t in_len;
	enum vdn_vring_err why;
};

static inline bool walk_fail(struct walk *w, enum vdn_vring_err why)
{
	w->why = why;
	return false;
}

/* Translate one buffer into segments, splitting it wherever xlate() ends a
 * mapping.  Inline: it is the per-descriptor hot path of both layouts. */
static inline bool walk_buffer(struct walk *w, uint64_t iova, uint32_t buf_len, bool writable)
{
	int access = writable ? VDN_ACCESS_WRITE : VDN_ACCESS_READ;
	uint64_t *total = writable ? &w->in_len : &w->out_len;
	uint64_t left = buf_len;

	if (!left)
		return walk_fail(w, VDN_VRING_E_ZERO_LEN);
	if (!writable && w->c->n_in)
		return walk_fail(w, VDN_VRING_E_ORDER);
	if (iova + (left - 1) < iova) /* may end at 2^64, not beyond */
		return walk_fail(w, VDN_VRING_E_XLATE);
	*total += left;
	if (*total > UINT32_MAX)
		return walk_fail(w, VDN_VRING_E_LEN);

	while (left) {
		uint64_t len = left;
		void *p;

		if (w->n == VDN_VRING_MAX_IOV)
			return walk_fail(w, VDN_VRING_E_TOO_MANY_IOV);
		p = w->xlate(w->xlate_ctx, iova, &len, access);
		if (!p || !len)
			return walk_fail(w, VDN_VRING_E_XLATE);
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

/*
 * Check an indirect descriptor (address, byte length) and translate the
 * start of its table.  INDIRECT with NEXT, a table not negotiated, empty,
 * not a whole number of descriptors or of more than 65536, and tables that
 * wrap or are not mapped in full are rejected; entries past the first
 * mapping are read by table_read().
 */
bool vdn_vring_table_open(struct walk *w, struct table *t, bool negotiated, uint16_t flags,
			  uint64_t addr, uint32_t len);

/* Copy table entry i (16 bytes, raw) into *raw; false if it does not map. */
bool vdn_vring_table_read(struct walk *w, const struct table *t, uint32_t i, void *raw);

#endif
