/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vring's packed ring in bursts: completions are kept off the ring and
 * written back to back at the flush (VDN_VRING_PACKED_SHADOW of them at
 * most, then they go to the ring early, still unpublished).  That must be
 * invisible to the driver: the same chains, ids, lengths and order as one
 * entry at a time, wherever the burst starts (any slot, not just every
 * fourth), across the end of the ring, with chains of mixed lengths, with a
 * driver that publishes one descriptor at a time, and with more completions
 * than the ring keeps off it.  Pops are checked along the way: each goes by
 * what its descriptor says when it is popped.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vdn_vq.h"
#include "vring_driver.h"

#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)

/* RUN() with arguments, named with them */
#define RUN_ARGS(fn, ...)                                                          \
	do {                                                                       \
		int _before = check_failures;                                      \
		fn(__VA_ARGS__);                                                   \
		printf("%s %s(%s)\n", check_failures == _before ? "ok  " : "FAIL", \
		       #fn, #__VA_ARGS__);                                         \
	} while (0)

struct fx {
	struct arena a;
	struct drv_packed d;
	struct vdn_vq vq;
	struct vdn_chain c;
};

static struct fx *fx_new(uint16_t num, uint16_t pos, bool wrap, bool in_order, bool batch)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vdn_vring_cfg cfg;

	if (!f) {
		CHECK(!"calloc");
		return NULL;
	}
	if (arena_init(&f->a) || pdrv_init(&f->d, &f->a, num, pos, wrap)) {
		CHECK(!"fixture setup");
		free(f);
		return NULL;
	}
	pdrv_cfg(&f->d, &cfg);
	f->d.in_order = in_order;
	cfg.in_order = in_order;
	cfg.in_order_batch = batch;
	if (vdn_vq_init(&f->vq, &cfg) != 0) {
		CHECK(!"vdn_vq_init");
		arena_fini(&f->a);
		free(f);
		return NULL;
	}
	return f;
}

static void fx_free(struct fx *f)
{
	arena_fini(&f->a);
	free(f);
}

/* A chain of ndesc descriptors, readable or writable, 32 bytes each. */
static int add(struct fx *f, unsigned int ndesc, bool write)
{
	struct drv_seg segs[4];

	for (unsigned int k = 0; k < ndesc; k++) {
		segs[k].iova = arena_alloc(&f->a, 32, 8);
		segs[k].len = 32;
		segs[k].write = write;
	}
	return pdrv_add(&f->d, segs, ndesc);
}

/* Chain lengths in a pattern that puts heads on every slot modulo 4. */
static unsigned int shape(unsigned int i)
{
	static const unsigned int s[] = { 1, 1, 2, 1, 3, 1, 1, 4, 2 };

	return s[i % (sizeof(s) / sizeof(s[0]))];
}

static void check_positions(struct fx *f)
{
	struct vdn_vq_state s;

	vdn_vq_get_state(&f->vq, &s);
	CHECK_EQ(s.last_avail_idx, f->d.next_avail);
	CHECK_EQ(s.avail_wrap, f->d.avail_wrap);
	CHECK_EQ(s.last_used_idx, f->d.last_used);
	CHECK_EQ(s.used_wrap, f->d.used_wrap);
}

/*
 * Many laps of bursts of mixed chains, completed in a scrambled order with
 * distinct lengths: the driver gets exactly what was pushed, in push
 * order, and nothing before the flush.  Bursts are longer than the
 * completions the ring keeps off it (VDN_VRING_PACKED_SHADOW), so some
 * entries reach the ring before the flush: still unseen by the driver.
 */
static void test_mixed_bursts(uint16_t num, uint16_t pos, bool wrap)
{
	struct fx *f = fx_new(num, pos, wrap, false, false);
	unsigned int serial = 0;

	if (!f)
		return;
	for (int round = 0; round < 12; round++) {
		int ids[256], order[256];
		unsigned int n = 0;

		/* as many chains as fit */
		for (;;) {
			int id = add(f, shape(serial), round % 2);

			if (id < 0)
				break;
			ids[n++] = id;
			serial++;
		}
		CHECK(n > VDN_VRING_PACKED_SHADOW || num < 2 * VDN_VRING_PACKED_SHADOW);
		for (unsigned int i = 0; i < n; i++) {
			CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
			CHECK_EQ(f->c.head, ids[i]);
			CHECK_EQ(f->c.n_out + f->c.n_in, shape(serial - n + i));
		}
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 0);
		/* a scrambled completion order */
		for (unsigned int i = 0; i < n; i++)
			order[i] = (int)((i * 7 + (unsigned int)round) % n);
		for (unsigned int i = 0; i < n; i++) {
			bool seen = false;

			for (unsigned int j = 0; j < i; j++)
				seen |= order[j] == order[i];
			if (seen) /* 7 and n share a factor: fill in the gaps */
				for (order[i] = 0;; order[i]++) {
					bool dup = false;

					for (unsigned int j = 0; j < i; j++)
						dup |= order[j] == order[i];
					if (!dup)
						break;
				}
		}
		uint16_t first = f->d.last_used;
		uint16_t before = le16toh(f->d.desc[first].flags);

		for (unsigned int i = 0; i < n; i++)
			vdn_vq_push(&f->vq, (uint16_t)ids[order[i]], 1000u + (unsigned int)order[i]);
		/* a second push of an id already completed is ignored */
		vdn_vq_push(&f->vq, (uint16_t)ids[order[0]], 5);
		uint32_t id, len;

		CHECK_EQ(le16toh(f->d.desc[first].flags), before);
		CHECK(!pdrv_get_used(&f->d, &id, &len));
		vdn_vq_flush(&f->vq);
		for (unsigned int i = 0; i < n; i++) {
			CHECK(pdrv_get_used(&f->d, &id, &len));
			CHECK_EQ(id, (uint32_t)ids[order[i]]);
			CHECK_EQ(len, 1000u + (unsigned int)order[i]);
		}
		CHECK(!pdrv_get_used(&f->d, &id, &len));
		check_positions(f);
	}
	CHECK_EQ(vdn_vq_stats(&f->vq)->popped, serial);
	fx_free(f);
}

/* A driver that publishes one descriptor at a time, while the device pops
 * and completes: every pop sees what was published before it. */
static void test_one_at_a_time(uint16_t num, uint16_t pos, bool wrap)
{
	struct fx *f = fx_new(num, pos, wrap, false, false);
	int ids[8];
	uint32_t id, len;

	if (!f)
		return;
	for (int lap = 0; lap < 3 * num; lap++) {
		ids[0] = add(f, 1, true);
		CHECK(ids[0] >= 0);
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
		CHECK_EQ(f->c.head, ids[0]);
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 0);
		/* three published, then popped one at a time while a fourth
		 * and fifth come in */
		for (int k = 1; k < 4; k++)
			ids[k] = add(f, 1, true);
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
		CHECK_EQ(f->c.head, ids[1]);
		ids[4] = add(f, 1, true);
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
		CHECK_EQ(f->c.head, ids[2]);
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
		CHECK_EQ(f->c.head, ids[3]);
		ids[5] = add(f, 1, true);
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
		CHECK_EQ(f->c.head, ids[4]);
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
		CHECK_EQ(f->c.head, ids[5]);
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 0);
		for (int k = 0; k < 6; k++)
			vdn_vq_push(&f->vq, (uint16_t)ids[k], (uint32_t)k);
		vdn_vq_flush(&f->vq);
		for (int k = 0; k < 6; k++) {
			CHECK(pdrv_get_used(&f->d, &id, &len));
			CHECK_EQ(id, (uint32_t)ids[k]);
			CHECK_EQ(len, (uint32_t)k);
		}
		check_positions(f);
	}
	fx_free(f);
}

/* A chain whose first descriptor is not yet published, the rest already
 * marked (the driver writes the head's flags last): nothing of it is
 * popped until the head comes. */
static void test_head_last(uint16_t num, uint16_t pos, bool wrap)
{
	struct fx *f = fx_new(num, pos, wrap, false, false);
	uint64_t b = 0;
	int a;

	if (!f)
		return;
	b = arena_alloc(&f->a, 64, 8);
	a = add(f, 1, false);
	uint16_t nid = f->d.free_ids[f->d.nids - 1];
	/* the next chain: three descriptors, head held back */
	pdrv_put(&f->d, 0, b, 16, 0, VRING_DESC_F_NEXT);
	pdrv_put(&f->d, 1, b + 16, 16, 0, VRING_DESC_F_NEXT);
	pdrv_put(&f->d, 2, b + 32, 16, nid, 0);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(f->c.head, a);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 0);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 0);
	pdrv_commit(&f->d, 3, nid);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(f->c.head, nid);
	CHECK_EQ(f->c.n_out, 3);
	CHECK_EQ(f->c.out_len, 48);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 0);
	fx_free(f);
}

/* Descriptors seen available by an earlier pop's check and then taken
 * back by the driver (no driver may; a hostile one can): the pop goes by
 * what the descriptor says when it is popped. */
static void test_taken_back(void)
{
	struct fx *f = fx_new(16, 5, true, false, false);
	int ids[4];

	if (!f)
		return;
	for (int k = 0; k < 4; k++)
		ids[k] = add(f, 1, true);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(f->c.head, ids[0]);
	/* slot 7 (the third) back to the driver's own lap marking */
	uint16_t fl = le16toh(f->d.desc[7].flags);

	f->d.desc[7].flags = htole16((uint16_t)(fl ^ (PK_AVAIL | PK_USED)));
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(f->c.head, ids[1]);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 0);
	f->d.desc[7].flags = htole16(fl);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(f->c.head, ids[2]);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(f->c.head, ids[3]);
	fx_free(f);
}

/* Unpop across the end of the ring and over chains of mixed lengths: the
 * same chains come again, and complete in one burst. */
static void test_unpop_mixed(void)
{
	struct fx *f = fx_new(12, 9, false, false, false);
	int ids[5];
	unsigned int len[5] = { 1, 3, 1, 2, 1 };

	if (!f)
		return;
	for (int k = 0; k < 5; k++)
		ids[k] = add(f, len[k], false);
	for (int k = 0; k < 4; k++)
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	vdn_vq_unpop(&f->vq, 3);
	for (int k = 1; k < 5; k++) {
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
		CHECK_EQ(f->c.head, ids[k]);
		CHECK_EQ(f->c.n_out, len[k]);
	}
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 0);
	for (int k = 0; k < 5; k++)
		vdn_vq_push(&f->vq, (uint16_t)ids[k], 0);
	vdn_vq_flush(&f->vq);
	for (int k = 0; k < 5; k++) {
		uint32_t id, l;

		CHECK(pdrv_get_used(&f->d, &id, &l));
		CHECK_EQ(id, (uint32_t)ids[k]);
	}
	check_positions(f);
	fx_free(f);
}

/* In order with batching (a TX queue), a run of zero-length completions
 * longer than what the ring keeps off it, then one with a length, then
 * another run: each run is one used descriptor naming its last id, the
 * length entry its own, however the pushes fell across the staging. */
static void test_in_order_runs(uint16_t pos, bool wrap)
{
	struct fx *f = fx_new(256, pos, wrap, true, true);
	int ids[200];
	unsigned int n = 0;
	uint32_t id, len;
	bool skipped;

	if (!f)
		return;
	for (unsigned int i = 0; i < 150; i++) {
		ids[n] = add(f, shape(i) > 2 ? 2 : shape(i), false);
		CHECK(ids[n] >= 0);
		n++;
	}
	for (unsigned int i = 0; i < n; i++)
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	/* pushed back to front: nothing leaves until the oldest is in */
	for (unsigned int i = n; i-- > 0;)
		vdn_vq_push(&f->vq, (uint16_t)ids[i], i == 100 ? 64 : 0);
	vdn_vq_flush(&f->vq);
	for (unsigned int i = 0; i < n; i++) {
		bool named = i == 99 || i == 100 || i == n - 1;

		CHECK(pdrv_get_used_inorder(&f->d, &id, &len, &skipped));
		CHECK_EQ(id, (uint32_t)ids[i]);
		CHECK_EQ(skipped, !named);
		CHECK_EQ(len, i == 100 ? 64u : 0u);
	}
	CHECK(!pdrv_get_used_inorder(&f->d, &id, &len, &skipped));
	check_positions(f);
	fx_free(f);
}

int main(void)
{
	/* bursts from every slot modulo 4 and both laps, rings of sizes
	 * that are and are not multiples of 4 */
	for (uint16_t pos = 0; pos < 4; pos++) {
		RUN_ARGS(test_mixed_bursts, 256, (uint16_t)(128 + pos), pos % 2);
		RUN_ARGS(test_mixed_bursts, 150, (uint16_t)(149 - pos), !(pos % 2));
		RUN_ARGS(test_one_at_a_time, 7, pos, pos % 2);
		RUN_ARGS(test_head_last, 5, (uint16_t)(pos + 1), pos % 2);
		RUN_ARGS(test_in_order_runs, (uint16_t)(250 + pos), pos % 2);
	}
	RUN_ARGS(test_mixed_bursts, 10, 9, true);
	RUN(test_taken_back);
	RUN(test_unpop_mixed);
	return check_report();
}
