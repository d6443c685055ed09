/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: lib/vring's device side of a split ring over ring memory
 * the input describes in full: descriptor table, avail ring, buffers and
 * which parts of the IOVA space are mapped, then a sequence of device (and
 * driver) operations.  Findings: any ASan/UBSan report, a chain whose
 * segments leave the mappings that allow the access, a device write to
 * read-only memory, a used index that disagrees with what was pushed, a pop
 * loop that does not end.
 *
 * Input: struct fz_hdr, hdr.nops operation bytes, then the arena image.
 * The ring layout is chosen by fz_hdr.type; 0 = split, the only one: packed
 * rings differ in more than layout (ids, laps, refills) and have their own
 * target, fuzz_vring_packed.c.
 */
#include <errno.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "fz_arena.h"

struct fz_hdr {
	uint8_t type_log2num;    /* low 4 bits: log2(num) % 9; high 4: layout */
	uint8_t flags;           /* FZ_F_* */
	uint8_t last_avail[2];   /* le16 */
	uint8_t desc_off[2];     /* le16 offsets into the arena */
	uint8_t avail_off[2];
	uint8_t used_off[2];
	uint8_t perm[FZ_PERM_BYTES];
	uint8_t nops;
} __attribute__((packed));

#define FZ_F_EVENT_IDX 1u
#define FZ_F_INDIRECT 2u
#define FZ_F_SPLIT_MAPS 4u
#define FZ_F_IN_ORDER 8u        /* VIRTIO_F_IN_ORDER */
#define FZ_F_IN_ORDER_BATCH 16u /* ... with zero-length runs batched */

enum fz_op { OP_POP, OP_PUSH, OP_FLUSH, OP_UNPOP, OP_NOTIFY, OP_SET_NOTIFY, OP_KICK, OP_COUNT };

#define MAX_PENDING 512

struct fz_state {
	struct fz_arena a;
	struct vdn_vring vr;
	struct vdn_vring_cfg cfg;
	uint16_t pending[MAX_PENDING]; /* popped, not yet pushed (oldest first) */
	unsigned int npending;
	unsigned int unpoppable;       /* good pops since the last push/reject */
	uint64_t pushed;               /* by us */
	uint64_t rejected;             /* -EBADMSG from pop */
	uint16_t avail_idx;            /* the driver's avail->idx */
	bool used_clobbered;           /* the driver's in-buffers cover the used ring */
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void split_cfg(struct fz_state *s, const struct fz_hdr *h)
{
	s->cfg.num = (uint16_t)(1u << ((h->type_log2num & 15) % 9));
	s->cfg.desc_iova = le16(h->desc_off) % FZ_ARENA_SIZE;
	s->cfg.avail_iova = le16(h->avail_off) % FZ_ARENA_SIZE;
	s->cfg.used_iova = le16(h->used_off) % FZ_ARENA_SIZE;
}

static void (*const layouts[])(struct fz_state *, const struct fz_hdr *) = { split_cfg };

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Every segment of a good chain must lie in a mapping with the access its
 * direction needs; touch all of it so ASan sees every byte. */
static void check_chain(struct fz_state *s, const struct vdn_chain *c)
{
	static const uint8_t fill[64] = { 0xa5 };
	uint64_t out = 0, in = 0;
	volatile uint8_t sink = 0;

	FZ_ASSERT(c->head < s->vr.num);
	FZ_ASSERT((unsigned int)c->n_out + c->n_in <= VDN_VRING_MAX_IOV);
	for (unsigned int i = 0; i < (unsigned int)c->n_out + c->n_in; i++) {
		const struct vdn_iov *v = &c->iov[i];
		bool is_in = i >= c->n_out;

		FZ_ASSERT(v->len > 0);
		FZ_ASSERT(fz_arena_covers(&s->a, v->base, v->len,
					  is_in ? VDN_ACCESS_WRITE : VDN_ACCESS_READ));
		if (is_in && overlaps((uint64_t)((const uint8_t *)v->base - s->a.mem), v->len,
				      s->cfg.used_iova, 4 + 8ull * s->vr.num + 2))
			s->used_clobbered = true;
		if (is_in)
			in += v->len;
		else
			out += v->len;
		for (uint32_t k = 0; k < v->len; k++)
			sink ^= ((const uint8_t *)v->base)[k];
	}
	FZ_ASSERT(out == c->out_len && in == c->in_len);
	/* a device model writes its reply into the in part */
	FZ_ASSERT(vdn_iov_from_buf(c->iov + c->n_out, c->n_in, 0, fill,
				   c->in_len < sizeof(fill) ? c->in_len : sizeof(fill)) ==
		  (c->in_len < sizeof(fill) ? c->in_len : sizeof(fill)));
	(void)sink;
}

static void do_pop(struct fz_state *s)
{
	struct vdn_chain c;
	int rc = vdn_vring_pop(&s->vr, &c);

	FZ_ASSERT(rc == 0 || rc == 1 || rc == -EBADMSG || rc == -EIO);
	if (rc == -EBADMSG) {
		s->rejected++;
		s->unpoppable = 0;
	}
	if (rc != 1)
		return;
	check_chain(s, &c);
	if (s->npending == MAX_PENDING) {
		vdn_vring_push(&s->vr, c.head, 0);
		s->pushed++;
		s->unpoppable = 0;
		return;
	}
	s->pending[s->npending++] = c.head;
	s->unpoppable++;
}

static void do_push(struct fz_state *s, unsigned int arg)
{
	if (!s->npending)
		return;
	vdn_vring_push(&s->vr, s->pending[0], arg);
	memmove(s->pending, s->pending + 1, (s->npending - 1) * sizeof(s->pending[0]));
	s->npending--;
	s->pushed++;
	s->unpoppable = 0;
}

static void do_unpop(struct fz_state *s, unsigned int arg)
{
	unsigned int n = arg % (s->unpoppable + 1);

	if (n > s->npending)
		n = s->npending;
	vdn_vring_unpop(&s->vr, (uint16_t)n);
	s->npending -= n;
	s->unpoppable -= n;
}

/* The driver publishes `arg` more entries (the ring contents are the
 * input's; only the index moves). */
static void do_kick(struct fz_state *s, unsigned int arg)
{
	uint8_t idx[2];

	s->avail_idx = (uint16_t)(s->avail_idx + arg);
	idx[0] = (uint8_t)s->avail_idx;
	idx[1] = (uint8_t)(s->avail_idx >> 8);
	fz_arena_drv_write(&s->a, s->cfg.avail_iova + 2, idx, sizeof(idx));
}

static void run_op(struct fz_state *s, uint8_t op)
{
	unsigned int arg = op >> 3;

	switch ((enum fz_op)(op & 7)) {
	case OP_POP: do_pop(s); break;
	case OP_PUSH: do_push(s, arg * 97); break;
	case OP_FLUSH: vdn_vring_flush(&s->vr); break;
	case OP_UNPOP: do_unpop(s, arg); break;
	case OP_NOTIFY: (void)vdn_vring_need_notify(&s->vr); break;
	case OP_SET_NOTIFY: vdn_vring_set_notify(&s->vr, arg & 1); break;
	case OP_KICK: do_kick(s, arg); break;
	case OP_COUNT: {
		int n = vdn_vring_avail_count(&s->vr);

		FZ_ASSERT(n == -EIO || (n >= 0 && n <= s->vr.num));
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_state s; /* large; one input at a time */
	const struct fz_hdr *h = (const void *)data;
	const uint8_t *ops;
	unsigned int layout;
	uint16_t used_idx;
	uint64_t ev, used_len, returned;
	unsigned int drain_max;
	int rc;

	if (size < sizeof(*h) || size < sizeof(*h) + h->nops)
		return -1; /* not a valid input: keep it out of the corpus */
	layout = h->type_log2num >> 4;
	if (layout >= sizeof(layouts) / sizeof(layouts[0]))
		return -1;
	ops = data + sizeof(*h);
	memset(&s, 0, sizeof(s));
	if (fz_arena_init(&s.a, h->perm, h->flags & FZ_F_SPLIT_MAPS ? 0 : FZ_NSEG, ops + h->nops,
			  size - sizeof(*h) - h->nops))
		return 0;
	layouts[layout](&s, h);
	s.cfg.event_idx = h->flags & FZ_F_EVENT_IDX;
	s.cfg.indirect = h->flags & FZ_F_INDIRECT;
	s.cfg.in_order = h->flags & FZ_F_IN_ORDER;
	s.cfg.in_order_batch = h->flags & FZ_F_IN_ORDER_BATCH;
	s.cfg.last_avail_idx = le16(h->last_avail);
	s.cfg.xlate = fz_arena_xlate;
	s.cfg.xlate_ctx = &s.a;
	rc = vdn_vring_init(&s.vr, &s.cfg);
	FZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -EFAULT);
	if (rc) {
		FZ_ASSERT(fz_arena_ro_intact(&s.a));
		fz_arena_fini(&s.a);
		return 0;
	}
	s.avail_idx = le16(s.a.mem + s.cfg.avail_iova + 2);

	for (unsigned int i = 0; i < h->nops; i++)
		run_op(&s, ops[i]);

	/* Drain: with the avail index still, the ring must run dry within num
	 * pops past what it had already accepted (or report it corrupt).  What
	 * it accepted may exceed num: an index checked while chains were out,
	 * then unpop()ed, is not checked again (harmless: the ring only reads
	 * slots modulo num, the driver gets a head back twice). */
	drain_max = (uint16_t)(s.vr.avail_idx - s.vr.last_avail_idx) + s.vr.num;
	for (unsigned int i = 0;; i++) {
		struct vdn_chain c;

		FZ_ASSERT(i <= drain_max);
		rc = vdn_vring_pop(&s.vr, &c);
		if (rc == 0 || rc == -EIO)
			break;
		if (rc == -EBADMSG) {
			s.rejected++;
			continue;
		}
		check_chain(&s, &c);
		vdn_vring_push(&s.vr, c.head, 0);
		s.pushed++;
	}
	while (s.npending)
		do_push(&s, 0);
	vdn_vring_flush(&s.vr);
	/* everything was pushed: an in-order ring holds nothing back (the
	 * used idx check below then covers what it released) */
	FZ_ASSERT(s.vr.order.n == 0);

	/* Every chain went back exactly once, except heads out of range,
	 * which have no id to return.  Only checkable when nothing else
	 * shares the used area's memory (a hostile driver may make the device
	 * write packet data over its own used ring). */
	ev = s.cfg.event_idx ? 2 : 0;
	used_len = 4 + 8ull * s.vr.num + ev;
	returned = s.pushed + s.rejected - s.vr.stats.bad[VDN_VRING_E_HEAD_RANGE];
	if (returned && !s.used_clobbered &&
	    !overlaps(s.cfg.used_iova, used_len, s.cfg.desc_iova, 16ull * s.vr.num) &&
	    !overlaps(s.cfg.used_iova, used_len, s.cfg.avail_iova, 4 + 2ull * s.vr.num + ev)) {
		used_idx = le16(s.a.mem + s.cfg.used_iova + 2);
		FZ_ASSERT(used_idx == (uint16_t)(s.cfg.last_avail_idx + returned));
	}
	FZ_ASSERT(fz_arena_ro_intact(&s.a));
	fz_arena_fini(&s.a);
	return 0;
}
