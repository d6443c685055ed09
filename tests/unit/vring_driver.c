/* SPDX-License-Identifier: BSD-3-Clause */
/* The driver's half of a split ring and a fake IOVA space, for unit tests. */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vring_driver.h"

int arena_init(struct arena *a)
{
	memset(a, 0, sizeof(*a));
	a->map = mmap(NULL, ARENA_SIZE + 2 * ARENA_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		      0);
	if (a->map == MAP_FAILED)
		return -errno;
	a->base = a->map + ARENA_PAGE;
	if (mprotect(a->base, ARENA_SIZE, PROT_READ | PROT_WRITE))
		return -errno;
	memset(a->perm, ARENA_RW, sizeof(a->perm));
	/* keep IOVA 0 out of use so a zeroed descriptor never looks valid */
	a->brk = 64;
	return 0;
}

void arena_fini(struct arena *a)
{
	munmap(a->map, ARENA_SIZE + 2 * ARENA_PAGE);
	if (a->big)
		munmap(a->big, ARENA_BIG_SIZE);
}

int arena_enable_big(struct arena *a)
{
	a->big = mmap(NULL, ARENA_BIG_SIZE, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a->big == MAP_FAILED) {
		a->big = NULL;
		return -errno;
	}
	return 0;
}

uint64_t arena_alloc(struct arena *a, uint64_t size, uint64_t align)
{
	uint64_t at = (a->brk + align - 1) & ~(align - 1);

	if (at + size > ARENA_PLAY_IOVA)
		return UINT64_MAX;
	a->brk = at + size;
	return at;
}

void *arena_ptr(struct arena *a, uint64_t iova)
{
	return a->base + iova;
}

void arena_set(struct arena *a, unsigned int first, unsigned int n, int perm, uint16_t id)
{
	for (unsigned int p = first; p < first + n && p < ARENA_PAGES; p++) {
		a->perm[p] = (uint8_t)perm;
		a->id[p] = id;
	}
	mprotect(a->base + (uint64_t)first * ARENA_PAGE, (uint64_t)n * ARENA_PAGE,
		 perm ? PROT_READ | PROT_WRITE : PROT_NONE);
}

static bool page_ok(const struct arena *a, unsigned int p, uint16_t id, int access)
{
	return p < ARENA_PAGES && a->id[p] == id && (a->perm[p] & access) == access;
}

void *arena_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	struct arena *a = ctx;
	unsigned int first, end;
	uint64_t room;

	a->calls++;
	if (a->big && iova >= ARENA_BIG_IOVA && iova - ARENA_BIG_IOVA < ARENA_BIG_SIZE) {
		room = ARENA_BIG_SIZE - (iova - ARENA_BIG_IOVA);
		if (*len > room)
			*len = room;
		return a->big + (iova - ARENA_BIG_IOVA);
	}
	if (a->top && iova >= (uint64_t)0 - ARENA_PAGE) {
		room = (uint64_t)0 - iova;
		if (*len > room || a->greedy)
			*len = room;
		return a->base + ARENA_SIZE - room;
	}
	if (iova >= ARENA_SIZE)
		return NULL;
	first = (unsigned int)(iova / ARENA_PAGE);
	if ((a->perm[first] & access) != access || !a->perm[first])
		return NULL;
	for (end = first + 1; page_ok(a, end, a->id[first], access); end++)
		;
	room = (uint64_t)end * ARENA_PAGE - iova;
	if (*len > room || a->greedy)
		*len = room;
	return a->base + iova;
}

bool arena_covers(const struct arena *a, const void *p, uint64_t len, int access)
{
	const uint8_t *b = p;
	uint64_t off;

	if (a->big && b >= a->big && (uint64_t)(b - a->big) + len <= ARENA_BIG_SIZE)
		return true;
	if (b < a->base || len == 0)
		return false;
	off = (uint64_t)(b - a->base);
	if (off + len > ARENA_SIZE)
		return false;
	for (uint64_t pg = off / ARENA_PAGE; pg <= (off + len - 1) / ARENA_PAGE; pg++)
		if (!page_ok(a, (unsigned int)pg, a->id[off / ARENA_PAGE], access) || !a->perm[pg])
			return false;
	return true;
}

void arena_fill(struct arena *a, uint64_t iova, uint32_t len, uint8_t seed)
{
	uint8_t *p = arena_ptr(a, iova);

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

bool arena_covers_chain(const struct arena *a, const struct vdn_chain *c)
{
	for (unsigned int i = 0; i < c->n_out + c->n_in; i++)
		if (!arena_covers(a, c->iov[i].base, c->iov[i].len,
				  i < c->n_out ? VDN_ACCESS_READ : VDN_ACCESS_WRITE))
			return false;
	return true;
}

uint64_t vring_bad_total(const struct vdn_vring_stats *s)
{
	uint64_t n = 0;

	for (int i = 0; i < VDN_VRING_E__COUNT; i++)
		n += s->bad[i];
	return n;
}

int drv_init(struct drv_ring *r, struct arena *a, uint16_t num, uint16_t start)
{
	memset(r, 0, sizeof(*r));
	if (num > DRV_MAX_NUM)
		return -EINVAL;
	r->a = a;
	r->num = num;
	r->desc_iova = arena_alloc(a, 16ull * num, 16);
	r->avail_iova = arena_alloc(a, 4 + 2ull * num + 2, 2);
	r->used_iova = arena_alloc(a, 4 + 8ull * num + 2, 4);
	if (r->desc_iova == UINT64_MAX || r->avail_iova == UINT64_MAX ||
	    r->used_iova == UINT64_MAX)
		return -ENOMEM;
	r->desc = arena_ptr(a, r->desc_iova);
	r->avail = arena_ptr(a, r->avail_iova);
	r->used = arena_ptr(a, r->used_iova);
	r->avail_idx = start;
	r->last_used = start;
	r->batch_id = -1;
	r->avail->idx = htole16(start);
	r->used->idx = htole16(start);
	for (unsigned int i = 0; i < num; i++)
		r->free_stack[i] = (uint16_t)(num - 1 - i);
	r->nfree = num;
	return 0;
}

void drv_cfg(const struct drv_ring *r, struct vdn_vring_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->num = r->num;
	cfg->desc_iova = r->desc_iova;
	cfg->avail_iova = r->avail_iova;
	cfg->used_iova = r->used_iova;
	cfg->last_avail_idx = r->avail_idx;
	cfg->xlate = arena_xlate;
	cfg->xlate_ctx = r->a;
}

void drv_write_desc(void *table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	struct vring_desc *d = (struct vring_desc *)table + i;

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static void take(struct drv_ring *r, uint16_t i)
{
	for (unsigned int k = 0; k < r->nfree; k++) {
		if (r->free_stack[k] == i) {
			r->free_stack[k] = r->free_stack[--r->nfree];
			return;
		}
	}
}

void drv_set_desc(struct drv_ring *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		  uint16_t next)
{
	if (i < r->num)
		take(r, i);
	drv_write_desc(r->desc, i, addr, len, flags, next);
}

void drv_publish(struct drv_ring *r, uint16_t head)
{
	r->avail->ring[r->avail_idx & (r->num - 1)] = htole16(head);
	r->avail_idx++;
	if (r->in_order && r->ord_n < DRV_MAX_NUM)
		r->ord[(r->ord_first + r->ord_n++) % DRV_MAX_NUM] = head;
	__atomic_store_n(&r->avail->idx, htole16(r->avail_idx), __ATOMIC_RELEASE);
}

int drv_add(struct drv_ring *r, const struct drv_seg *segs, unsigned int n)
{
	uint16_t idx[DRV_MAX_NUM];

	if (n == 0 || n > r->nfree)
		return -1;
	for (unsigned int k = 0; k < n; k++)
		idx[k] = r->free_stack[--r->nfree];
	for (unsigned int k = 0; k < n; k++) {
		bool more = k + 1 < n;

		drv_write_desc(r->desc, idx[k], segs[k].iova, segs[k].len,
			       (uint16_t)((segs[k].write ? VRING_DESC_F_WRITE : 0) |
					  (more ? VRING_DESC_F_NEXT : 0)),
			       more ? idx[k + 1] : 0);
	}
	r->chain_n[idx[0]] = (uint16_t)n;
	drv_publish(r, idx[0]);
	return idx[0];
}

int drv_add_indirect(struct drv_ring *r, uint64_t table_iova, const struct drv_seg *segs,
		     unsigned int n)
{
	void *table = arena_ptr(r->a, table_iova);
	uint16_t head;

	if (r->nfree == 0)
		return -1;
	for (unsigned int k = 0; k < n; k++) {
		bool more = k + 1 < n;

		drv_write_desc(table, (uint16_t)k, segs[k].iova, segs[k].len,
			       (uint16_t)((segs[k].write ? VRING_DESC_F_WRITE : 0) |
					  (more ? VRING_DESC_F_NEXT : 0)),
			       (uint16_t)(more ? k + 1 : 0));
	}
	head = r->free_stack[--r->nfree];
	drv_write_desc(r->desc, head, table_iova, (uint32_t)(n * sizeof(struct vring_desc)),
		       VRING_DESC_F_INDIRECT, 0);
	r->chain_n[head] = 1;
	drv_publish(r, head);
	return head;
}

bool drv_get_used(struct drv_ring *r, uint32_t *id, uint32_t *len)
{
	uint16_t idx = le16toh(__atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE));
	struct vring_used_elem *e;
	uint16_t d;

	if (idx == r->last_used)
		return false;
	e = &r->used->ring[r->last_used & (r->num - 1)];
	*id = le32toh(e->id);
	*len = le32toh(e->len);
	r->last_used++;
	if (*id < r->num) {
		d = (uint16_t)*id;
		for (unsigned int k = r->chain_n[*id]; k; k--) {
			r->free_stack[r->nfree++] = d;
			d = le16toh(r->desc[d].next);
		}
		r->chain_n[*id] = 0;
	}
	return true;
}

bool drv_get_used_inorder(struct drv_ring *r, uint32_t *id, uint32_t *len, bool *skipped)
{
	uint16_t idx = le16toh(__atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE));
	uint16_t head, d;

	if (idx == r->last_used || r->ord_n == 0)
		return false;
	if (r->batch_id < 0) {
		struct vring_used_elem *e = &r->used->ring[r->last_used & (r->num - 1)];

		r->batch_id = (int32_t)le32toh(e->id);
		r->batch_len = le32toh(e->len);
	}
	head = r->ord[r->ord_first];
	r->ord_first = (uint16_t)((r->ord_first + 1) % DRV_MAX_NUM);
	r->ord_n--;
	r->last_used++;
	*id = head;
	*skipped = head != r->batch_id;
	*len = *skipped ? 0 : r->batch_len;
	if (!*skipped)
		r->batch_id = -1;
	if (head < r->num) {
		d = head;
		for (unsigned int k = r->chain_n[head]; k; k--) {
			r->free_stack[r->nfree++] = d;
			d = le16toh(r->desc[d].next);
		}
		r->chain_n[head] = 0;
	}
	return true;
}

void drv_set_used_event(struct drv_ring *r, uint16_t v)
{
	r->avail->ring[r->num] = htole16(v);
}

uint16_t drv_avail_event(const struct drv_ring *r)
{
	uint16_t v;

	memcpy(&v, &r->used->ring[r->num], sizeof(v));
	return le16toh(v);
}

void drv_set_avail_flags(struct drv_ring *r, uint16_t flags)
{
	r->avail->flags = htole16(flags);
}

void drv_set_avail_event(struct drv_ring *r, uint16_t v)
{
	v = htole16(v);
	memcpy(&r->used->ring[r->num], &v, sizeof(v));
}

uint16_t drv_used_flags(const struct drv_ring *r)
{
	return le16toh(r->used->flags);
}

uint16_t drv_used_idx(const struct drv_ring *r)
{
	return le16toh(r->used->idx);
}

#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)

int pdrv_init(struct drv_packed *r, struct arena *a, uint16_t num, uint16_t pos, bool wrap)
{
	memset(r, 0, sizeof(*r));
	if (num == 0 || num > DRV_MAX_NUM || pos >= num)
		return -EINVAL;
	r->a = a;
	r->num = num;
	r->desc_iova = arena_alloc(a, 16ull * num, 16);
	r->drv_ev_iova = arena_alloc(a, 4, 4);
	r->dev_ev_iova = arena_alloc(a, 4, 4);
	if (r->desc_iova == UINT64_MAX || r->drv_ev_iova == UINT64_MAX ||
	    r->dev_ev_iova == UINT64_MAX)
		return -ENOMEM;
	r->desc = arena_ptr(a, r->desc_iova);
	r->drv_ev = arena_ptr(a, r->drv_ev_iova);
	r->dev_ev = arena_ptr(a, r->dev_ev_iova);
	/* A ring that has run before: every slot looks used for the lap
	 * before `wrap`, as the device would have left it. */
	for (unsigned int i = 0; i < num; i++) {
		bool lap = i < pos ? wrap : !wrap;

		r->desc[i].flags = htole16(lap ? PK_AVAIL | PK_USED : 0);
	}
	r->next_avail = pos;
	r->avail_wrap = wrap;
	r->last_used = pos;
	r->batch_id = -1;
	r->used_wrap = wrap;
	r->nfree = num;
	for (unsigned int i = 0; i < num; i++)
		r->free_ids[i] = (uint16_t)(num - 1 - i);
	r->nids = num;
	return 0;
}

void pdrv_cfg(const struct drv_packed *r, struct vdn_vring_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->packed = true;
	cfg->num = r->num;
	cfg->desc_iova = r->desc_iova;
	cfg->avail_iova = r->drv_ev_iova;
	cfg->used_iova = r->dev_ev_iova;
	cfg->last_avail_idx = r->next_avail;
	cfg->avail_wrap = r->avail_wrap;
	cfg->last_used_idx = r->last_used;
	cfg->used_wrap = r->used_wrap;
	cfg->xlate = arena_xlate;
	cfg->xlate_ctx = r->a;
}

/* Slot next_avail + k and the lap it belongs to. */
static uint16_t slot_of(const struct drv_packed *r, uint16_t k, bool *wrap)
{
	uint32_t p = (uint32_t)r->next_avail + k;

	*wrap = r->avail_wrap;
	while (p >= r->num) {
		p -= r->num;
		*wrap = !*wrap;
	}
	return (uint16_t)p;
}

void pdrv_put_raw(struct drv_packed *r, uint16_t k, uint64_t addr, uint32_t len, uint16_t id,
		  uint16_t flags)
{
	bool wrap;
	struct vring_packed_desc *d = &r->desc[slot_of(r, k, &wrap)];

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->id = htole16(id);
	if (k == 0)
		r->head_flags = flags;
	else
		d->flags = htole16(flags);
}

void pdrv_put(struct drv_packed *r, uint16_t k, uint64_t addr, uint32_t len, uint16_t id,
	      uint16_t flags)
{
	bool wrap;

	slot_of(r, k, &wrap);
	pdrv_put_raw(r, k, addr, len, id, (uint16_t)(flags | (wrap ? PK_AVAIL : PK_USED)));
}

void pdrv_commit(struct drv_packed *r, uint16_t n, uint16_t id)
{
	struct vring_packed_desc *head = &r->desc[r->next_avail];

	for (unsigned int k = 0; k < r->nids; k++) {
		if (r->free_ids[k] == id) {
			r->free_ids[k] = r->free_ids[--r->nids];
			break;
		}
	}
	if (id < r->num)
		r->id_ndesc[id] = n;
	if (r->in_order && r->ord_n < DRV_MAX_NUM)
		r->ord[(r->ord_first + r->ord_n++) % DRV_MAX_NUM] = id;
	r->nfree = (uint16_t)(r->nfree - n);
	__atomic_store_n(&head->flags, htole16(r->head_flags), __ATOMIC_RELEASE);
	for (uint16_t k = 0; k < n; k++) {
		if (++r->next_avail == r->num) {
			r->next_avail = 0;
			r->avail_wrap = !r->avail_wrap;
		}
	}
}

int pdrv_add(struct drv_packed *r, const struct drv_seg *segs, unsigned int n)
{
	uint16_t id;

	if (n == 0 || n > r->nfree || r->nids == 0)
		return -1;
	id = r->free_ids[r->nids - 1];
	for (unsigned int k = 0; k < n; k++)
		pdrv_put(r, (uint16_t)k, segs[k].iova, segs[k].len, id,
			 (uint16_t)((segs[k].write ? VRING_DESC_F_WRITE : 0) |
				    (k + 1 < n ? VRING_DESC_F_NEXT : 0)));
	pdrv_commit(r, (uint16_t)n, id);
	return id;
}

void pdrv_write_table(void *table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags)
{
	struct vring_packed_desc *d = (struct vring_packed_desc *)table + i;

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->id = 0;
	d->flags = htole16(flags);
}

int pdrv_add_indirect(struct drv_packed *r, uint64_t table_iova, const struct drv_seg *segs,
		      unsigned int n)
{
	void *table = arena_ptr(r->a, table_iova);
	uint16_t id;

	if (r->nfree == 0 || r->nids == 0)
		return -1;
	for (unsigned int k = 0; k < n; k++)
		pdrv_write_table(table, (uint16_t)k, segs[k].iova, segs[k].len,
				 segs[k].write ? VRING_DESC_F_WRITE : 0);
	id = r->free_ids[r->nids - 1];
	pdrv_put(r, 0, table_iova, (uint32_t)(n * sizeof(struct vring_packed_desc)), id,
		 VRING_DESC_F_INDIRECT);
	pdrv_commit(r, 1, id);
	return id;
}

bool pdrv_slot_used(const struct drv_packed *r, uint16_t pos)
{
	uint16_t f = le16toh(__atomic_load_n(&r->desc[pos].flags, __ATOMIC_ACQUIRE));
	bool a = f & PK_AVAIL, u = f & PK_USED;

	return a == r->used_wrap && u == r->used_wrap;
}

bool pdrv_get_used(struct drv_packed *r, uint32_t *id, uint32_t *len)
{
	struct vring_packed_desc *d = &r->desc[r->last_used];
	uint16_t n;

	if (!pdrv_slot_used(r, r->last_used))
		return false;
	*id = le16toh(d->id);
	*len = le32toh(d->len);
	/* An id we never gave out: nothing to skip by; step one slot so a
	 * broken device cannot wedge the test. */
	n = *id < r->num && r->id_ndesc[*id] ? r->id_ndesc[*id] : 1;
	if (*id < r->num && r->id_ndesc[*id]) {
		r->id_ndesc[*id] = 0;
		r->free_ids[r->nids++] = (uint16_t)*id;
	}
	r->nfree = (uint16_t)(r->nfree + n);
	for (uint16_t k = 0; k < n; k++) {
		if (++r->last_used == r->num) {
			r->last_used = 0;
			r->used_wrap = !r->used_wrap;
		}
	}
	return true;
}

bool pdrv_get_used_inorder(struct drv_packed *r, uint32_t *id, uint32_t *len, bool *skipped)
{
	uint16_t n, want;

	if (r->ord_n == 0)
		return false;
	if (r->batch_id < 0) {
		struct vring_packed_desc *d = &r->desc[r->last_used];

		if (!pdrv_slot_used(r, r->last_used))
			return false;
		r->batch_id = le16toh(d->id);
		r->batch_len = le32toh(d->len);
	}
	want = r->ord[r->ord_first];
	r->ord_first = (uint16_t)((r->ord_first + 1) % DRV_MAX_NUM);
	r->ord_n--;
	*id = want;
	*skipped = want != r->batch_id;
	*len = *skipped ? 0 : r->batch_len;
	if (!*skipped)
		r->batch_id = -1;
	n = want < r->num && r->id_ndesc[want] ? r->id_ndesc[want] : 1;
	if (want < r->num && r->id_ndesc[want]) {
		r->id_ndesc[want] = 0;
		r->free_ids[r->nids++] = want;
	}
	r->nfree = (uint16_t)(r->nfree + n);
	for (uint16_t k = 0; k < n; k++) {
		if (++r->last_used == r->num) {
			r->last_used = 0;
			r->used_wrap = !r->used_wrap;
		}
	}
	return true;
}

void pdrv_set_event(struct drv_packed *r, uint16_t flags, uint16_t off, bool wrap)
{
	r->drv_ev->off_wrap = htole16((uint16_t)(off | (wrap ? 1u << VRING_PACKED_EVENT_F_WRAP_CTR : 0)));
	__atomic_store_n(&r->drv_ev->flags, htole16(flags), __ATOMIC_RELEASE);
}

uint16_t pdrv_dev_flags(const struct drv_packed *r)
{
	return le16toh(r->dev_ev->flags);
}

uint16_t pdrv_dev_off_wrap(const struct drv_packed *r)
{
	return le16toh(r->dev_ev->off_wrap);
}
