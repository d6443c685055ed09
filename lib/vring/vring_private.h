/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vring internals: typed views of the ring areas and the little-endian,
 * ordered accessors every read or write of driver-shared memory goes through.
 * Virtio 1.x rings are little-endian whatever the host; spelling the
 * conversion out keeps that visible even though it compiles away on x86.
 */
#ifndef VDN_VRING_PRIVATE_H
#define VDN_VRING_PRIVATE_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "vdn_vring.h"

/* Fixed sizes of the split ring areas (virtio 1.x 2.7): header, ring[num],
 * and the trailing event word that exists only with EVENT_IDX. */
#define DESC_SIZE sizeof(struct vring_desc)
#define AVAIL_HDR sizeof(struct vring_avail)
#define USED_HDR sizeof(struct vring_used)
#define EVENT_SIZE sizeof(uint16_t)

static inline struct vring_avail *ring_avail(const struct vdn_vring *vr)
{
	return vr->avail;
}

static inline struct vring_used *ring_used(const struct vdn_vring *vr)
{
	return vr->used;
}

/* Shared 16-bit fields are read atomically so a concurrent driver store is
 * never torn, and with acquire where later reads depend on the value. */
static inline uint16_t le16_load(const void *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, order));
}

static inline void le16_store(void *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)p, htole16(v), order);
}

static inline void le32_store(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

/* used_event lives after avail->ring[num]; avail_event after used->ring[num]. */
static inline void *used_event_ptr(const struct vdn_vring *vr)
{
	return (uint8_t *)vr->avail + AVAIL_HDR + sizeof(uint16_t) * vr->num;
}

static inline void *avail_event_ptr(const struct vdn_vring *vr)
{
	return (uint8_t *)vr->used + USED_HDR + sizeof(struct vring_used_elem) * vr->num;
}

/* Map one ring area as a single contiguous block with the alignment the
 * accessors need on the host side; NULL if it does not. */
void *vdn_vring_map_area(const struct vdn_vring_cfg *cfg, uint64_t iova, uint64_t size, int access,
			 uintptr_t align);

/* A descriptor decoded to host order: it is copied out of shared memory once
 * so the driver cannot change it between our checks and our use. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static inline void desc_decode(const void *p, struct desc *d)
{
	struct vring_desc raw;

	memcpy(&raw, p, sizeof(raw));
	d->addr = le64toh(raw.addr);
	d->len = le32toh(raw.len);
	d->flags = le16toh(raw.flags);
	d->next = le16toh(raw.next);
}

/*
 * In-order rings (VIRTIO_F_IN_ORDER): the chains in flight in pop order.
 * The driver reads used entries assuming that order, so a push that comes
 * early (a rejected chain after good ones still being filled, say) is held
 * until everything popped before it is pushed too.
 */
static inline void order_init(struct vdn_vring_order *o, bool on, bool batch)
{
	memset(o, 0, sizeof(*o));
	o->on = on;
	o->batch = on && batch;
}

static inline bool order_full(const struct vdn_vring_order *o)
{
	return o->on && o->n == VDN_VRING_ORDER_MAX;
}

static inline void order_add(struct vdn_vring_order *o, uint16_t id)
{
	uint16_t s = (uint16_t)((o->first + o->n) % VDN_VRING_ORDER_MAX);

	o->id[s] = id;
	o->done[s] = false;
	o->n++;
}

/* Forget the n latest pops (unpop). */
static inline void order_drop(struct vdn_vring_order *o, uint16_t n)
{
	o->n = (uint16_t)(n < o->n ? o->n - n : 0);
}

/* Mark the oldest not yet pushed chain with this id as pushed.  False if
 * no such chain is in flight. */
static inline bool order_done(struct vdn_vring_order *o, uint16_t id, uint32_t len)
{
	for (uint16_t k = 0; k < o->n; k++) {
		uint16_t s = (uint16_t)((o->first + k) % VDN_VRING_ORDER_MAX);

		if (o->id[s] == id && !o->done[s]) {
			o->done[s] = true;
			o->len[s] = len;
			return true;
		}
	}
	return false;
}

/* Take the oldest chain in flight if it has been pushed. */
static inline bool order_take(struct vdn_vring_order *o, uint16_t *id, uint32_t *len)
{
	uint16_t s = o->first;

	if (!o->n || !o->done[s])
		return false;
	*id = o->id[s];
	*len = o->len[s];
	o->first = (uint16_t)((s + 1) % VDN_VRING_ORDER_MAX);
	o->n--;
	return true;
}

#endif
