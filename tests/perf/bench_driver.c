/* SPDX-License-Identifier: BSD-3-Clause */
/* Driver sides of split and packed rings for ring_bench (see the header). */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "bench_driver.h"

#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)
#define LINE 64u

static uint64_t carve(uint64_t *brk, uint64_t size)
{
	uint64_t at = (*brk + LINE - 1) & ~(uint64_t)(LINE - 1);

	*brk = at + size;
	return at;
}

int bench_drv_init(struct bench_drv *d, struct bench_mem *m, bool packed, bool rx, uint16_t num,
		   uint32_t pkt_len)
{
	/* IOVA 0 stays unused so a zeroed descriptor never points anywhere */
	uint64_t brk = 4096;

	if (num == 0 || num > BENCH_MAX_NUM || (!packed && (num & (num - 1))))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	memset(m->base, 0, m->size);
	d->packed = packed;
	d->rx = rx;
	d->num = num;
	d->m = m;
	d->pkt_len = pkt_len;
	d->post_len = rx ? BENCH_BUF_SIZE : BENCH_HDR_LEN + pkt_len;
	/* each area on its own cache lines: the driver writes one, the
	 * device the other */
	if (packed) {
		d->area[0] = carve(&brk, 16ull * num);
		d->area[1] = carve(&brk, 4);
		d->area[2] = carve(&brk, 4);
	} else {
		d->area[0] = carve(&brk, 16ull * num);
		d->area[1] = carve(&brk, 4 + 2ull * num + 2);
		d->area[2] = carve(&brk, 4 + 8ull * num + 2);
	}
	m->buf_iova = carve(&brk, 0);
	if (m->buf_iova + (uint64_t)num * BENCH_BUF_SIZE > m->size)
		return -ENOMEM;
	if (packed) {
		struct vring_packed_desc_event *ev = (void *)(m->base + d->area[1]);

		d->pdesc = (void *)(m->base + d->area[0]);
		/* polling on both sides: no interrupts wanted */
		ev->flags = htole16(VRING_PACKED_EVENT_FLAG_DISABLE);
		d->avail_wrap = true;
		d->used_wrap = true;
	} else {
		d->desc = (void *)(m->base + d->area[0]);
		d->avail = (void *)(m->base + d->area[1]);
		d->used = (void *)(m->base + d->area[2]);
		d->avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	}
	for (unsigned int i = 0; i < num; i++)
		d->free_ids[i] = (uint16_t)i;
	d->nfree = num;
	return 0;
}

void bench_drv_cfg(const struct bench_drv *d, struct vdn_vring_cfg *cfg, vdn_vring_xlate_fn xl)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->packed = d->packed;
	cfg->num = d->num;
	cfg->desc_iova = d->area[0];
	cfg->avail_iova = d->area[1];
	cfg->used_iova = d->area[2];
	cfg->avail_wrap = true;
	cfg->used_wrap = true;
	cfg->xlate = xl;
	cfg->xlate_ctx = d->m;
	/* in order, TX completions (length 0) batched as vduse_net does */
	cfg->in_order = d->in_order;
	cfg->in_order_batch = d->in_order && !d->rx;
}

/* TX buffers carry a sequence number the device checks after its copy. */
static void stamp(struct bench_drv *d, uint16_t id)
{
	static const uint64_t mark = BENCH_RX_MARK;

	if (!d->rx)
		memcpy(bench_buf(d->m, id) + BENCH_HDR_LEN, &d->seq_post, sizeof(d->seq_post));
	else if (d->rx_mark_every && !(d->seq_post & (d->rx_mark_every - 1u)))
		memcpy(bench_buf(d->m, id) + BENCH_HDR_LEN, &mark, sizeof(mark));
	d->seq_post++;
	if (d->in_order)
		d->ord[(d->ord_head + d->ord_n++) % BENCH_MAX_NUM] = id;
}

static unsigned int post_split(struct bench_drv *d, unsigned int n)
{
	uint16_t flags = htole16(d->rx ? VRING_DESC_F_WRITE : 0);

	for (unsigned int k = 0; k < n; k++) {
		uint16_t id = d->free_ids[--d->nfree];
		struct vring_desc *e = &d->desc[id];

		stamp(d, id);
		e->addr = htole64(d->m->buf_iova + (uint64_t)id * BENCH_BUF_SIZE);
		e->len = htole32(d->post_len);
		e->flags = flags;
		d->avail->ring[(uint16_t)(d->avail_idx + k) & (d->num - 1)] = htole16(id);
	}
	d->avail_idx = (uint16_t)(d->avail_idx + n);
	__atomic_store_n(&d->avail->idx, htole16(d->avail_idx), __ATOMIC_RELEASE);
	return n;
}

static unsigned int post_packed(struct bench_drv *d, unsigned int n)
{
	uint16_t first = d->next_avail, first_flags = 0;

	for (unsigned int k = 0; k < n; k++) {
		uint16_t id = d->free_ids[--d->nfree];
		struct vring_packed_desc *e = &d->pdesc[d->next_avail];
		uint16_t flags = (uint16_t)((d->avail_wrap ? PK_AVAIL : PK_USED) |
					    (d->rx ? VRING_DESC_F_WRITE : 0));

		stamp(d, id);
		e->addr = htole64(d->m->buf_iova + (uint64_t)id * BENCH_BUF_SIZE);
		e->len = htole32(d->post_len);
		e->id = htole16(id);
		/* the burst's first flags go last, so the device sees all of
		 * it or none */
		if (k == 0)
			first_flags = flags;
		else
			__atomic_store_n(&e->flags, htole16(flags), __ATOMIC_RELAXED);
		if (++d->next_avail == d->num) {
			d->next_avail = 0;
			d->avail_wrap = !d->avail_wrap;
		}
	}
	if (n)
		__atomic_store_n(&d->pdesc[first].flags, htole16(first_flags), __ATOMIC_RELEASE);
	return n;
}

unsigned int bench_drv_post(struct bench_drv *d, unsigned int max)
{
	unsigned int n = d->nfree < max ? d->nfree : max;

	if (!n)
		return 0;
	return d->packed ? post_packed(d, n) : post_split(d, n);
}

/* An RX buffer from a device that cannot stamp: its copy overwrote the
 * mark, and the header says one buffer. */
static bool rx_marked_ok(const struct bench_drv *d, uint16_t id, uint32_t len)
{
	const uint8_t *b = bench_buf(d->m, id);
	uint64_t v;
	uint16_t nbuf;

	memcpy(&v, b + BENCH_HDR_LEN, sizeof(v));
	memcpy(&nbuf, b + offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers), sizeof(nbuf));
	return len == BENCH_HDR_LEN + d->pkt_len && v != BENCH_RX_MARK && le16toh(nbuf) == 1;
}

static void done(struct bench_drv *d, uint16_t id, uint32_t len)
{
	/* out of range, or every buffer is already back: a second return */
	if (id >= d->num || d->nfree >= d->num) {
		d->errors++;
		return;
	}
	if (d->rx && d->rx_mark_every) {
		if (!rx_marked_ok(d, id, len))
			d->errors++;
	} else if (d->rx) {
		uint64_t seq;

		memcpy(&seq, bench_buf(d->m, id) + BENCH_HDR_LEN, sizeof(seq));
		if (len != BENCH_HDR_LEN + d->pkt_len || seq != d->seq_done)
			d->errors++;
	}
	d->seq_done++;
	d->free_ids[d->nfree++] = id;
}

static unsigned int reclaim_split(struct bench_drv *d)
{
	uint16_t idx = le16toh(__atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE));
	unsigned int n = 0;

	while (d->last_used_idx != idx) {
		const struct vring_used_elem *e = &d->used->ring[d->last_used_idx & (d->num - 1)];

		done(d, (uint16_t)le32toh(e->id), le32toh(e->len));
		d->last_used_idx++;
		n++;
	}
	return n;
}

static uint16_t ord_pop(struct bench_drv *d)
{
	uint16_t id = d->ord[d->ord_head];

	d->ord_head = (uint16_t)((d->ord_head + 1) % BENCH_MAX_NUM);
	d->ord_n--;
	return id;
}

/* In order, like DPDK's virtio driver: the used idx says how many buffers
 * are back, in the order posted; only RX reads each entry's length (the
 * device writes every RX entry; TX ones may share one). */
static unsigned int reclaim_split_in_order(struct bench_drv *d)
{
	uint16_t idx = le16toh(__atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE));
	unsigned int n = 0;

	while (d->last_used_idx != idx && d->ord_n) {
		const struct vring_used_elem *e = &d->used->ring[d->last_used_idx & (d->num - 1)];
		uint16_t id = ord_pop(d);

		if (d->rx && le32toh(e->id) != id)
			d->errors++;
		done(d, id, d->rx ? le32toh(e->len) : 0);
		d->last_used_idx++;
		n++;
	}
	return n;
}

/* One used descriptor names the last buffer of a batch: everything posted
 * up to it is back (one descriptor each, so the next entry is as many
 * slots on). */
static unsigned int reclaim_packed_in_order(struct bench_drv *d)
{
	unsigned int n = 0;

	for (;;) {
		const struct vring_packed_desc *e = &d->pdesc[d->last_used];
		uint16_t f = le16toh(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE));
		uint16_t last, id;
		uint32_t len;

		if (!!(f & PK_AVAIL) != d->used_wrap || !!(f & PK_USED) != d->used_wrap)
			return n;
		last = le16toh(e->id);
		len = le32toh(e->len);
		do {
			if (!d->ord_n) {
				d->errors++;
				return n;
			}
			id = ord_pop(d);
			done(d, id, id == last ? len : 0);
			if (d->rx && id != last)
				d->errors++; /* RX entries are never batched */
			if (++d->last_used == d->num) {
				d->last_used = 0;
				d->used_wrap = !d->used_wrap;
			}
			n++;
		} while (id != last);
	}
}

static unsigned int reclaim_packed(struct bench_drv *d)
{
	unsigned int n = 0;

	for (;;) {
		const struct vring_packed_desc *e = &d->pdesc[d->last_used];
		uint16_t f = le16toh(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE));

		if (!!(f & PK_AVAIL) != d->used_wrap || !!(f & PK_USED) != d->used_wrap)
			return n;
		done(d, le16toh(e->id), le32toh(e->len));
		/* one descriptor per buffer: the next used entry is next door */
		if (++d->last_used == d->num) {
			d->last_used = 0;
			d->used_wrap = !d->used_wrap;
		}
		n++;
	}
}

unsigned int bench_drv_reclaim(struct bench_drv *d)
{
	if (d->in_order)
		return d->packed ? reclaim_packed_in_order(d) : reclaim_split_in_order(d);
	return d->packed ? reclaim_packed(d) : reclaim_split(d);
}
