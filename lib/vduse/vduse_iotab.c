/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The region table behind vdn_vduse_xlate(): pure data structure, no
 * syscalls (vduse_iotlb.c does the VDUSE and mmap side), so the unit suite
 * can drive it with plain memory.
 *
 * Why slots in lazily allocated chunks and not a sorted array swapped on
 * every change: a miss on a datapath thread adds a region, and a swapped
 * array would leave one retired copy per miss to free after a grace period.
 * Slots never move, so an add publishes one slot and nothing else.  Readers
 * load `used`, then each chunk pointer and slot state with acquire; chunk
 * pointers are published before `used` covers them and stay until fini.
 * A slot is written only while FREE (or DEAD with no reader left, see
 * iotab_reap) and published by the release store of LIVE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vduse_internal.h"

static struct iotlb_slot *slot_at(struct iotlb *t, uint32_t i)
{
	struct iotlb_slot *c =
		atomic_load_explicit(&t->chunk[i / IOTLB_CHUNK], memory_order_acquire);

	return &c[i % IOTLB_CHUNK];
}

int vdn_vduse_iotab_init(struct iotlb *t)
{
	memset(t, 0, sizeof(*t));
	return -pthread_mutex_init(&t->lock, NULL);
}

void vdn_vduse_iotab_fini(struct iotlb *t)
{
	for (uint32_t i = 0; i < IOTLB_CHUNKS; i++)
		free(atomic_load_explicit(&t->chunk[i], memory_order_relaxed));
	pthread_mutex_destroy(&t->lock);
}

struct iotlb_slot *vdn_vduse_iotab_find(struct iotlb *t, uint64_t iova)
{
	uint32_t n = atomic_load_explicit(&t->used, memory_order_acquire);

	for (uint32_t i = 0; i < n; i++) {
		struct iotlb_slot *s = slot_at(t, i);

		if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_LIVE)
			continue;
		if (iova >= s->start && iova <= s->last)
			return s;
	}
	return NULL;
}

struct iotlb_slot *vdn_vduse_iotab_add(struct iotlb *t, uint64_t start, uint64_t last,
					uint8_t perm, void *base, size_t map_len, int *err)
{
	uint32_t n = atomic_load_explicit(&t->used, memory_order_relaxed);
	struct iotlb_slot *s = NULL;
	uint32_t i;

	if (last < start) {
		*err = -EINVAL;
		return NULL;
	}
	/* reuse a reaped slot first: keeps the readers' scan short */
	i = n;
	if (t->live + t->dead < n) {
		for (i = 0; i < n; i++) {
			s = slot_at(t, i);
			if (atomic_load_explicit(&s->state, memory_order_relaxed) == SLOT_FREE)
				break;
		}
	}
	if (i == n) {
		if (n >= IOTLB_CHUNK * IOTLB_CHUNKS) {
			*err = -ENOSPC;
			return NULL;
		}
		if (n % IOTLB_CHUNK == 0 &&
		    !atomic_load_explicit(&t->chunk[n / IOTLB_CHUNK], memory_order_relaxed)) {
			struct iotlb_slot *c = calloc(IOTLB_CHUNK, sizeof(*c));

			if (!c) {
				*err = -ENOMEM;
				return NULL;
			}
			atomic_store_explicit(&t->chunk[n / IOTLB_CHUNK], c, memory_order_release);
		}
		s = slot_at(t, n);
	}
	s->start = start;
	s->last = last;
	s->perm = perm;
	s->base = base;
	s->map_len = map_len;
	atomic_store_explicit(&s->state, SLOT_LIVE, memory_order_release);
	if (i == n)
		atomic_store_explicit(&t->used, n + 1, memory_order_release);
	t->live++;
	*err = 0;
	return s;
}

uint32_t vdn_vduse_iotab_retire(struct iotlb *t, uint64_t start, uint64_t last)
{
	uint32_t n = atomic_load_explicit(&t->used, memory_order_relaxed), hit = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct iotlb_slot *s = slot_at(t, i);

		if (atomic_load_explicit(&s->state, memory_order_relaxed) != SLOT_LIVE)
			continue;
		if (s->last < start || s->start > last)
			continue;
		atomic_store_explicit(&s->state, SLOT_DEAD, memory_order_release);
		hit++;
	}
	t->live -= hit;
	t->dead += hit;
	return hit;
}

/* Slots above the last non-FREE one need no scanning; a reader that loaded
 * the old `used` only looks at FREE slots there. */
static void trim(struct iotlb *t)
{
	uint32_t n = atomic_load_explicit(&t->used, memory_order_relaxed);

	while (n && atomic_load_explicit(&slot_at(t, n - 1)->state, memory_order_relaxed) ==
			    SLOT_FREE)
		n--;
	atomic_store_explicit(&t->used, n, memory_order_release);
}

uint32_t vdn_vduse_iotab_reap(struct iotlb *t, void (*unmap)(void *base, size_t len))
{
	uint32_t n = atomic_load_explicit(&t->used, memory_order_relaxed), freed = 0;

	for (uint32_t i = 0; i < n && freed < t->dead; i++) {
		struct iotlb_slot *s = slot_at(t, i);

		if (atomic_load_explicit(&s->state, memory_order_relaxed) != SLOT_DEAD)
			continue;
		if (unmap && s->base)
			unmap(s->base, s->map_len);
		s->base = NULL;
		s->map_len = 0;
		atomic_store_explicit(&s->state, SLOT_FREE, memory_order_release);
		freed++;
	}
	t->dead -= freed;
	trim(t);
	return freed;
}

void vdn_vduse_iotab_clear(struct iotlb *t, void (*unmap)(void *base, size_t len))
{
	uint32_t n = atomic_load_explicit(&t->used, memory_order_relaxed);

	/* hide the slots first so a (misbehaving) late reader misses instead
	 * of using a stale pointer */
	atomic_store_explicit(&t->used, 0, memory_order_release);
	for (uint32_t i = 0; i < n; i++) {
		struct iotlb_slot *s = slot_at(t, i);

		atomic_store_explicit(&s->state, SLOT_FREE, memory_order_release);
		if (unmap && s->base)
			unmap(s->base, s->map_len);
		s->base = NULL;
		s->map_len = 0;
	}
	t->live = 0;
	t->dead = 0;
}
