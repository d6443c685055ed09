/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: lib/vring's packed rings through the vdn_vq front
 * (packed = true), over ring memory the input describes in full: the
 * descriptor ring, both event suppression areas, buffers, indirect tables
 * and which parts of the IOVA space are mapped, then a sequence of device
 * operations and driver refills.  Findings: any ASan/UBSan report, a chain
 * whose segments leave the mappings that allow the access, a buffer id
 * handed out twice while in flight or >= num, a device write to read-only
 * memory, counters that disagree with what pop returned.
 *
 * Input: struct fz_hdr, hdr.nops operation bytes, then the arena image.
 */
#include <errno.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "fz_arena.h"
#include "vdn_vq.h"

struct fz_hdr {
	uint8_t num;            /* queue size: 1 + num */
	uint8_t flags;          /* FZ_F_* */
	uint8_t avail_pos[2];   /* le16, taken modulo the size */
	uint8_t desc_off[2];    /* le16 offsets into the arena */
	uint8_t drv_off[2];
	uint8_t dev_off[2];
	uint8_t perm[FZ_PERM_BYTES];
	uint8_t nops;
} __attribute__((packed));

#define FZ_F_EVENT_IDX 1u
#define FZ_F_INDIRECT 2u
#define FZ_F_SPLIT_MAPS 4u
#define FZ_F_AVAIL_WRAP 8u /* resume on the driver's second lap */
#define FZ_F_IN_ORDER 16u       /* VIRTIO_F_IN_ORDER */
#define FZ_F_IN_ORDER_BATCH 32u /* ... with zero-length runs batched */

enum fz_op { OP_POP, OP_PUSH, OP_FLUSH, OP_UNPOP, OP_NOTIFY, OP_SET_NOTIFY, OP_MARK, OP_COUNT };

#define MAX_PENDING 256
#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)

struct fz_state {
	struct fz_arena a;
	struct vdn_vq vq;
	struct vdn_vring_cfg cfg;
	uint16_t pending[MAX_PENDING]; /* ids popped, not yet pushed */
	bool in_flight[VDN_VRING_PACKED_MAX_NUM];
	unsigned int npending;
	unsigned int since_push;       /* pops unpop() may still reach */
	uint64_t good, rejected;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void check_chain(struct fz_state *s, const struct vdn_chain *c)
{
	static const uint8_t fill[64] = { 0x5a };
	uint64_t out = 0, in = 0;
	volatile uint8_t sink = 0;

	FZ_ASSERT(c->head < s->cfg.num);
	FZ_ASSERT((unsigned int)c->n_out + c->n_in <= VDN_VRING_MAX_IOV);
	for (unsigned int i = 0; i < (unsigned int)c->n_out + c->n_in; i++) {
		const struct vdn_iov *v = &c->iov[i];
		bool is_in = i >= c->n_out;

		FZ_ASSERT(v->len > 0);
		FZ_ASSERT(fz_arena_covers(&s->a, v->base, v->len,
					  is_in ? VDN_ACCESS_WRITE : VDN_ACCESS_READ));
		if (is_in)
			in += v->len;
		else
			out += v->len;
		for (uint32_t k = 0; k < v->len; k++)
			sink ^= ((const uint8_t *)v->base)[k];
	}
	FZ_ASSERT(out == c->out_len && in == c->in_len);
	FZ_ASSERT(vdn_iov_from_buf(c->iov + c->n_out, c->n_in, 0, fill,
				   c->in_len < sizeof(fill) ? c->in_len : sizeof(fill)) ==
		  (c->in_len < sizeof(fill) ? c->in_len : sizeof(fill)));
	(void)sink;
}

static void push_first(struct fz_state *s, uint32_t len)
{
	uint16_t id = s->pending[0];

	vdn_vq_push(&s->vq, id, len);
	s->in_flight[id] = false;
	memmove(s->pending, s->pending + 1, (s->npending - 1) * sizeof(s->pending[0]));
	s->npending--;
	s->since_push = 0;
}

static void do_pop(struct fz_state *s)
{
	struct vdn_chain c;
	uint64_t bad_before = 0, bad_after = 0;
	const struct vdn_vring_stats *st = vdn_vq_stats(&s->vq);
	int rc;

	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		bad_before += st->bad[r];
	rc = vdn_vq_pop(&s->vq, &c);
	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		bad_after += st->bad[r];
	FZ_ASSERT(rc == 0 || rc == 1 || rc == -EBADMSG);
	FZ_ASSERT(bad_after == bad_before + (rc == -EBADMSG));
	FZ_ASSERT(!vdn_vq_broken(&s->vq));
	if (rc == -EBADMSG) {
		FZ_ASSERT(c.why < VDN_VRING_E__COUNT && c.why != VDN_VRING_E_AVAIL_IDX);
		FZ_ASSERT(c.n_out == 0 && c.n_in == 0);
		s->rejected++;
		/* a rejected chain with an id went back already; either way
		 * unpop must not reach past it */
		s->since_push = 0;
		return;
	}
	if (rc != 1)
		return;
	check_chain(s, &c);
	/* the device never hands out an id the driver has not got back */
	FZ_ASSERT(!s->in_flight[c.head]);
	s->good++;
	if (s->npending == MAX_PENDING) {
		vdn_vq_push(&s->vq, c.head, 0);
		s->since_push = 0;
		return;
	}
	s->in_flight[c.head] = true;
	s->pending[s->npending++] = c.head;
	s->since_push++;
}

static void do_unpop(struct fz_state *s, unsigned int arg)
{
	unsigned int n = arg % (s->since_push + 1);

	if (n > s->npending)
		n = s->npending;
	if (n > VDN_VRING_PACKED_UNPOP_MAX)
		n = VDN_VRING_PACKED_UNPOP_MAX;
	vdn_vq_unpop(&s->vq, (uint16_t)n);
	for (unsigned int k = 0; k < n; k++)
		s->in_flight[s->pending[--s->npending]] = false;
	s->since_push -= n;
	s->good -= n;
}

/* The driver makes the descriptor `arg` places after the device's position
 * available for the lap it is on there (a refill), other bits kept. */
static void do_mark(struct fz_state *s, unsigned int arg)
{
	struct vdn_vq_state st;
	uint32_t pos;
	bool wrap;
	uint8_t fl[2];
	uint16_t flags;
	uint64_t at;

	vdn_vq_get_state(&s->vq, &st);
	pos = st.last_avail_idx + arg % s->cfg.num;
	wrap = st.avail_wrap;
	if (pos >= s->cfg.num) {
		pos -= s->cfg.num;
		wrap = !wrap;
	}
	at = s->cfg.desc_iova + 16ull * pos + 14;
	if (at + 2 > FZ_ARENA_SIZE)
		return;
	flags = le16(s->a.mem + at) & (uint16_t)~(PK_AVAIL | PK_USED);
	flags |= wrap ? PK_AVAIL : PK_USED;
	fl[0] = (uint8_t)flags;
	fl[1] = (uint8_t)(flags >> 8);
	fz_arena_drv_write(&s->a, at, fl, sizeof(fl));
}

static void run_op(struct fz_state *s, uint8_t op)
{
	unsigned int arg = op >> 3;

	switch ((enum fz_op)(op & 7)) {
	case OP_POP: do_pop(s); break;
	case OP_PUSH:
		if (s->npending)
			push_first(s, arg * 97);
		break;
	case OP_FLUSH: vdn_vq_flush(&s->vq); break;
	case OP_UNPOP: do_unpop(s, arg); break;
	case OP_NOTIFY: (void)vdn_vq_need_notify(&s->vq); break;
	case OP_SET_NOTIFY: vdn_vq_set_notify(&s->vq, arg & 1); break;
	case OP_MARK: do_mark(s, arg); break;
	case OP_COUNT: {
		int n = vdn_vq_avail_count(&s->vq);

		FZ_ASSERT(n >= 0 && n <= s->cfg.num);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_state s; /* large; one input at a time */
	const struct fz_hdr *h = (const void *)data;
	const struct vdn_vring_stats *st;
	const uint8_t *ops;
	uint64_t bad = 0;
	int rc;

	if (size < sizeof(*h) || size < sizeof(*h) + h->nops)
		return -1; /* not a valid input: keep it out of the corpus */
	ops = data + sizeof(*h);
	memset(&s, 0, sizeof(s));
	if (fz_arena_init(&s.a, h->perm, h->flags & FZ_F_SPLIT_MAPS ? 0 : FZ_NSEG, ops + h->nops,
			  size - sizeof(*h) - h->nops))
		return 0;
	s.cfg.packed = true;
	s.cfg.num = (uint16_t)(1 + h->num);
	s.cfg.desc_iova = le16(h->desc_off) % FZ_ARENA_SIZE;
	s.cfg.avail_iova = le16(h->drv_off) % FZ_ARENA_SIZE;
	s.cfg.used_iova = le16(h->dev_off) % FZ_ARENA_SIZE;
	s.cfg.event_idx = h->flags & FZ_F_EVENT_IDX;
	s.cfg.indirect = h->flags & FZ_F_INDIRECT;
	s.cfg.in_order = h->flags & FZ_F_IN_ORDER;
	s.cfg.in_order_batch = h->flags & FZ_F_IN_ORDER_BATCH;
	s.cfg.last_avail_idx = le16(h->avail_pos) % s.cfg.num;
	s.cfg.avail_wrap = !(h->flags & FZ_F_AVAIL_WRAP);
	/* as vdn_net_vq_setup() resumes: used where avail stands */
	s.cfg.last_used_idx = s.cfg.last_avail_idx;
	s.cfg.used_wrap = s.cfg.avail_wrap;
	s.cfg.xlate = fz_arena_xlate;
	s.cfg.xlate_ctx = &s.a;
	rc = vdn_vq_init(&s.vq, &s.cfg);
	FZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -EFAULT);
	if (rc) {
		FZ_ASSERT(fz_arena_ro_intact(&s.a));
		fz_arena_fini(&s.a);
		return 0;
	}
	FZ_ASSERT(s.vq.packed);

	for (unsigned int i = 0; i < h->nops; i++)
		run_op(&s, ops[i]);

	/* Drain.  Unlike a split ring's fixed index, descriptors the device
	 * consumed without writing a used entry over them (chains with no
	 * valid id) look available again two laps later, so a ring the driver
	 * never touches again need not run dry: bounded, not asserted empty. */
	for (unsigned int i = 0; i < 4u * s.cfg.num + 4; i++) {
		struct vdn_chain c;

		rc = vdn_vq_pop(&s.vq, &c);
		FZ_ASSERT(rc == 0 || rc == 1 || rc == -EBADMSG);
		if (rc == 0)
			break;
		if (rc == -EBADMSG) {
			s.rejected++;
			continue;
		}
		check_chain(&s, &c);
		FZ_ASSERT(!s.in_flight[c.head]);
		s.good++;
		vdn_vq_push(&s.vq, c.head, 0);
	}
	while (s.npending)
		push_first(&s, 0);
	vdn_vq_flush(&s.vq);
	/* everything was pushed: an in-order ring holds nothing back */
	FZ_ASSERT(s.vq.pk.order.n == 0);
	(void)vdn_vq_need_notify(&s.vq);

	/* the counters say what pop said */
	st = vdn_vq_stats(&s.vq);
	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		bad += st->bad[r];
	FZ_ASSERT(st->popped == s.good);
	FZ_ASSERT(bad == s.rejected);
	FZ_ASSERT(st->bad[VDN_VRING_E_AVAIL_IDX] == 0);
	FZ_ASSERT(fz_arena_ro_intact(&s.a));
	fz_arena_fini(&s.a);
	return 0;
}
