/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test doubles for lib/vring: a fake IOVA space and the driver's half of a
 * split or a packed ring, in plain memory.
 *
 * The arena is IOVA space where IOVA = offset into one mmap()ed block with
 * PROT_NONE guard pages on both sides.  Each page carries a permission (none
 * = a hole, mprotect()ed PROT_NONE too) and a mapping id; translation never
 * runs past a change of id, so tests can split a buffer across mappings.  A
 * ring that reads past what xlate handed it faults instead of passing.
 */
#ifndef VDN_TEST_VRING_DRIVER_H
#define VDN_TEST_VRING_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

#include "vdn_vq.h"

#define ARENA_PAGE 4096u
#define ARENA_PAGES 1024u
#define ARENA_SIZE ((uint64_t)ARENA_PAGE * ARENA_PAGES)
/* arena_alloc() stays below this page; the pages above are the tests' to
 * punch holes in, split or make read-only. */
#define ARENA_PLAY_PAGE 960u
#define ARENA_PLAY_IOVA ((uint64_t)ARENA_PLAY_PAGE * ARENA_PAGE)
/* Optional huge mapping (reserved PROT_NONE, never backed) for chains whose
 * lengths approach 4 GiB; the ring must never touch buffer bytes. */
#define ARENA_BIG_IOVA (1ull << 40)
#define ARENA_BIG_SIZE (1ull << 31)

#define ARENA_RW (VDN_ACCESS_READ | VDN_ACCESS_WRITE)

struct arena {
	uint8_t *map;  /* guard + arena + guard */
	uint8_t *base; /* IOVA 0 */
	uint8_t *big;  /* NULL unless arena_enable_big() */
	uint64_t brk;
	uint8_t perm[ARENA_PAGES];
	uint16_t id[ARENA_PAGES];
	unsigned long calls; /* xlate calls, to spot needless translations */
	bool greedy;         /* report the whole mapping, even past what was asked */
	bool top;            /* map the last IOVA page onto the arena's last page */
};

int arena_init(struct arena *a);
void arena_fini(struct arena *a);
int arena_enable_big(struct arena *a);
uint64_t arena_alloc(struct arena *a, uint64_t size, uint64_t align);
void *arena_ptr(struct arena *a, uint64_t iova);
/* Set pages [first, first + n) to perm (0 = hole) and mapping id. */
void arena_set(struct arena *a, unsigned int first, unsigned int n, int perm, uint16_t id);
void *arena_xlate(void *ctx, uint64_t iova, uint64_t *len, int access);
/* Does [p, p + len) lie inside one mapping of the arena that allows access? */
bool arena_covers(const struct arena *a, const void *p, uint64_t len, int access);
/* Write a pattern derived from seed over [iova, iova + len). */
void arena_fill(struct arena *a, uint64_t iova, uint32_t len, uint8_t seed);
/* Does every segment of c lie inside one mapping granting its access? */
bool arena_covers_chain(const struct arena *a, const struct vdn_chain *c);
/* Malformed chains counted, all reasons together. */
uint64_t vring_bad_total(const struct vdn_vring_stats *s);

#define DRV_MAX_NUM 1024

struct drv_seg {
	uint64_t iova;
	uint32_t len;
	bool write;
};

struct drv_ring {
	struct arena *a;
	uint16_t num;
	uint64_t desc_iova, avail_iova, used_iova;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx; /* next avail idx the driver publishes */
	uint16_t last_used; /* next used entry the driver reads */
	uint16_t nfree;
	uint16_t free_stack[DRV_MAX_NUM];
	uint16_t chain_n[DRV_MAX_NUM]; /* descs to free per head; 0 = raw */
	/* VIRTIO_F_IN_ORDER driver: heads in the order they were published
	 * (kept only when in_order is set), and the used entry being
	 * consumed: a device may write one entry for a batch (2.7.9). */
	bool in_order;
	uint16_t ord_first, ord_n;
	uint16_t ord[DRV_MAX_NUM];
	int32_t batch_id; /* -1: read the next used entry */
	uint32_t batch_len;
};

/* Lay out a ring (with event words) in the arena, indices starting at start. */
int drv_init(struct drv_ring *r, struct arena *a, uint16_t num, uint16_t start);
void drv_cfg(const struct drv_ring *r, struct vdn_vring_cfg *cfg);

/* Allocate descriptors for segs, chain them and make the head available.
 * Returns the head, or -1 if the driver has too few free descriptors. */
int drv_add(struct drv_ring *r, const struct drv_seg *segs, unsigned int n);
/* Write segs as an indirect table at table_iova and make one INDIRECT
 * descriptor pointing at it available.  Returns the head or -1. */
int drv_add_indirect(struct drv_ring *r, uint64_t table_iova, const struct drv_seg *segs,
		     unsigned int n);

/* Raw access for malformed chains: a descriptor slot (taken off the free
 * list so drv_add() never reuses it) and publishing any head value. */
void drv_set_desc(struct drv_ring *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		  uint16_t next);
void drv_write_desc(void *table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next);
void drv_publish(struct drv_ring *r, uint16_t head);

/* Take the next used entry; frees the chain's descriptors.  False if none. */
bool drv_get_used(struct drv_ring *r, uint32_t *id, uint32_t *len);
/* In-order driver (r->in_order set before publishing): take the next
 * buffer in publish order once the used idx has passed it.  Its length is
 * the used entry's if the entry names it; a buffer the device skipped (a
 * batch's entry names a later one) comes back with *skipped and len 0.
 * False if none, or if the device used more than was published. */
bool drv_get_used_inorder(struct drv_ring *r, uint32_t *id, uint32_t *len, bool *skipped);

void drv_set_used_event(struct drv_ring *r, uint16_t v);
uint16_t drv_avail_event(const struct drv_ring *r);
void drv_set_avail_event(struct drv_ring *r, uint16_t v);
void drv_set_avail_flags(struct drv_ring *r, uint16_t flags);
uint16_t drv_used_flags(const struct drv_ring *r);
uint16_t drv_used_idx(const struct drv_ring *r);

/*
 * The driver's half of a packed ring (2.8), written the way Linux's
 * virtio_ring does it: a chain's descriptors follow each other from
 * next_avail, each marked available for its own lap, the buffer id in the
 * last one, and the first one's flags stored last with release.
 */
struct drv_packed {
	struct arena *a;
	uint16_t num;
	uint64_t desc_iova, drv_ev_iova, dev_ev_iova;
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *drv_ev; /* we write: interrupts */
	struct vring_packed_desc_event *dev_ev; /* device writes: kicks */
	uint16_t next_avail;
	bool avail_wrap;
	uint16_t last_used;
	bool used_wrap;
	uint16_t nfree;                  /* free descriptor slots */
	uint16_t nids;
	uint16_t free_ids[DRV_MAX_NUM];
	uint16_t id_ndesc[DRV_MAX_NUM];  /* slots per id in flight; 0 = free */
	uint16_t head_flags;             /* held back until pdrv_commit() */
	/* as struct drv_ring's, for ids (2.8.20) */
	bool in_order;
	uint16_t ord_first, ord_n;
	uint16_t ord[DRV_MAX_NUM];
	int32_t batch_id;
	uint32_t batch_len;
};

/* Lay out a packed ring in the arena; both sides start at (pos, wrap). */
int pdrv_init(struct drv_packed *r, struct arena *a, uint16_t num, uint16_t pos, bool wrap);
void pdrv_cfg(const struct drv_packed *r, struct vdn_vring_cfg *cfg);

/* A chain of n descriptors from segs, id from the free list.  Returns the
 * id, or -1 if too few slots or ids are free. */
int pdrv_add(struct drv_packed *r, const struct drv_seg *segs, unsigned int n);
/* One INDIRECT descriptor whose table at table_iova holds segs. */
int pdrv_add_indirect(struct drv_packed *r, uint64_t table_iova, const struct drv_seg *segs,
		      unsigned int n);

/* Raw chains for malformed cases: pdrv_put() writes slot next_avail + k
 * marked available for that slot's lap (k = 0: the flags wait for commit);
 * pdrv_put_raw() writes flags exactly as given.  pdrv_commit() publishes n
 * slots under id (taken off the free list if it is on it). */
void pdrv_put(struct drv_packed *r, uint16_t k, uint64_t addr, uint32_t len, uint16_t id,
	      uint16_t flags);
void pdrv_put_raw(struct drv_packed *r, uint16_t k, uint64_t addr, uint32_t len, uint16_t id,
		  uint16_t flags);
void pdrv_commit(struct drv_packed *r, uint16_t n, uint16_t id);
/* Write an indirect table entry (packed layout). */
void pdrv_write_table(void *table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags);

/* Take the next used entry, skipping the slots its id held.  False if the
 * driver sees none. */
bool pdrv_get_used(struct drv_packed *r, uint32_t *id, uint32_t *len);
/* As drv_get_used_inorder(): one used descriptor may stand for a batch;
 * the driver skips the slots of every id up to the one it names. */
bool pdrv_get_used_inorder(struct drv_packed *r, uint32_t *id, uint32_t *len, bool *skipped);
/* Is the slot marked used for the driver's current used lap? */
bool pdrv_slot_used(const struct drv_packed *r, uint16_t pos);

/* Driver event suppression: flags and the (offset, wrap) for DESC. */
void pdrv_set_event(struct drv_packed *r, uint16_t flags, uint16_t off, bool wrap);
/* Device event suppression as the device left it. */
uint16_t pdrv_dev_flags(const struct drv_packed *r);
uint16_t pdrv_dev_off_wrap(const struct drv_packed *r);

#endif
