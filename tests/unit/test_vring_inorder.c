/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VIRTIO_F_IN_ORDER on both layouts (vdn_vring_cfg.in_order): used entries
 * leave in pop order whatever order the device pushes them in (rejected
 * chains and unpops included), and with in_order_batch a run of zero-length
 * completions is written as one entry the way 2.7.9 / 2.8.20 describe.  The
 * driver side (vring_driver.c) consumes them like an in-order driver: one
 * used entry may stand for every buffer up to the one it names.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vdn_vq.h"
#include "vring_driver.h"

struct fx {
	bool packed;
	struct arena a;
	struct drv_ring d;
	struct drv_packed p;
	struct vdn_vq vq;
	struct vdn_chain c;
};

static struct fx *fx_new(bool packed, uint16_t num, bool in_order, bool batch)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vdn_vring_cfg cfg;
	int rc;

	if (!f) {
		CHECK(!"calloc");
		return NULL;
	}
	f->packed = packed;
	if (arena_init(&f->a) ||
	    (packed ? pdrv_init(&f->p, &f->a, num, 0, true) : drv_init(&f->d, &f->a, num, 0))) {
		CHECK(!"fixture setup");
		free(f);
		return NULL;
	}
	if (packed) {
		pdrv_cfg(&f->p, &cfg);
		f->p.in_order = true;
	} else {
		drv_cfg(&f->d, &cfg);
		f->d.in_order = true;
	}
	cfg.in_order = in_order;
	cfg.in_order_batch = batch;
	rc = vdn_vq_init(&f->vq, &cfg);
	CHECK_EQ(rc, 0);
	if (rc) {
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

/* A chain of ndesc writable descriptors of 64 bytes (or one zero-length,
 * malformed one).  Returns its id / head. */
static int add(struct fx *f, unsigned int ndesc, bool bad)
{
	struct drv_seg segs[4];

	for (unsigned int k = 0; k < ndesc; k++) {
		segs[k].iova = arena_alloc(&f->a, 64, 8);
		segs[k].len = bad ? 0 : 64;
		segs[k].write = true;
	}
	return f->packed ? pdrv_add(&f->p, segs, ndesc) : drv_add(&f->d, segs, ndesc);
}

static bool get(struct fx *f, uint32_t *id, uint32_t *len, bool *skipped)
{
	return f->packed ? pdrv_get_used_inorder(&f->p, id, len, skipped)
			 : drv_get_used_inorder(&f->d, id, len, skipped);
}

static void expect(struct fx *f, int id, uint32_t len, bool skipped)
{
	uint32_t gid = UINT32_MAX, glen = UINT32_MAX;
	bool gs = !skipped;

	CHECK(get(f, &gid, &glen, &gs));
	CHECK_EQ(gid, (uint32_t)id);
	CHECK_EQ(glen, len);
	CHECK_EQ(gs, skipped);
}

static void expect_none(struct fx *f)
{
	uint32_t id, len;
	bool s;

	CHECK(!get(f, &id, &len, &s));
}

/* Pushed out of order, completions still leave in pop order, each with
 * its own length, and nothing leaves before the oldest is pushed. */
static void test_reorder(bool packed)
{
	struct fx *f = fx_new(packed, 16, true, false);
	int id[3];

	if (!f)
		return;
	for (int i = 0; i < 3; i++)
		id[i] = add(f, (unsigned int)(1 + i), false);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
		CHECK_EQ(f->c.head, id[i]);
	}
	vdn_vq_push(&f->vq, (uint16_t)id[2], 30);
	vdn_vq_push(&f->vq, (uint16_t)id[1], 20);
	vdn_vq_flush(&f->vq);
	expect_none(f); /* the oldest is still in flight */
	vdn_vq_push(&f->vq, (uint16_t)id[0], 10);
	vdn_vq_flush(&f->vq);
	expect(f, id[0], 10, false);
	expect(f, id[1], 20, false);
	expect(f, id[2], 30, false);
	expect_none(f);
	fx_free(f);
}

/* A chain rejected while an earlier one is still being filled (an RX
 * packet over several buffers) waits for it instead of overtaking. */
static void test_reject_waits(bool packed)
{
	struct fx *f = fx_new(packed, 16, true, false);
	int a, b, c;

	if (!f)
		return;
	a = add(f, 1, false);
	b = add(f, 1, true);
	c = add(f, 2, false);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), -EBADMSG);
	CHECK_EQ(f->c.head, b);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	vdn_vq_flush(&f->vq);
	expect_none(f);
	vdn_vq_push(&f->vq, (uint16_t)a, 7);
	vdn_vq_push(&f->vq, (uint16_t)c, 9);
	vdn_vq_flush(&f->vq);
	expect(f, a, 7, false);
	expect(f, b, 0, false);
	expect(f, c, 9, false);
	expect_none(f);
	fx_free(f);
}

/* Without in_order the same sequence lets the reject overtake: the test
 * above would fail on a ring that ignored the option. */
static void test_reject_overtakes_without(void)
{
	struct fx *f = fx_new(false, 16, false, false);
	uint32_t id, len;
	int a, b;

	if (!f)
		return;
	a = add(f, 1, false);
	b = add(f, 1, true);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), -EBADMSG);
	vdn_vq_push(&f->vq, (uint16_t)a, 7);
	vdn_vq_flush(&f->vq);
	CHECK(drv_get_used(&f->d, &id, &len));
	CHECK_EQ(id, (uint32_t)b);
	fx_free(f);
}

/* Unpopped chains leave the order; popped again they rejoin at the end. */
static void test_unpop(bool packed)
{
	struct fx *f = fx_new(packed, 16, true, false);
	int id[3];

	if (!f)
		return;
	for (int i = 0; i < 3; i++)
		id[i] = add(f, 1, false);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	vdn_vq_unpop(&f->vq, 2);
	vdn_vq_push(&f->vq, (uint16_t)id[0], 1);
	vdn_vq_flush(&f->vq);
	expect(f, id[0], 1, false);
	expect_none(f);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(f->c.head, id[1]);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(f->c.head, id[2]);
	vdn_vq_push(&f->vq, (uint16_t)id[2], 3);
	vdn_vq_push(&f->vq, (uint16_t)id[1], 2);
	vdn_vq_flush(&f->vq);
	expect(f, id[1], 2, false);
	expect(f, id[2], 3, false);
	expect_none(f);
	fx_free(f);
}

/* Zero-length runs collapse into one entry naming the run's last chain;
 * a non-zero length ends a run, and so does a flush. */
static void test_batch_layout(bool packed)
{
	struct fx *f = fx_new(packed, 16, true, true);
	uint32_t lens[6] = { 0, 0, 5, 0, 0, 0 };
	int id[6];

	if (!f)
		return;
	for (int i = 0; i < 6; i++)
		id[i] = add(f, packed ? (unsigned int)(1 + i % 2) : 1, false);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	for (int i = 0; i < 5; i++)
		vdn_vq_push(&f->vq, (uint16_t)id[i], lens[i]);
	vdn_vq_flush(&f->vq);
	vdn_vq_push(&f->vq, (uint16_t)id[5], lens[5]);
	vdn_vq_flush(&f->vq);
	if (!packed) {
		/* entries at used idx 0 (run 0-1), 2, 3 (run 3-4), 5 */
		CHECK_EQ(drv_used_idx(&f->d), 6);
		CHECK_EQ(le32toh(f->d.used->ring[0].id), (uint32_t)id[1]);
		CHECK_EQ(le32toh(f->d.used->ring[2].id), (uint32_t)id[2]);
		CHECK_EQ(le32toh(f->d.used->ring[2].len), 5);
		CHECK_EQ(le32toh(f->d.used->ring[3].id), (uint32_t)id[4]);
		CHECK_EQ(le32toh(f->d.used->ring[5].id), (uint32_t)id[5]);
	} else {
		/* chains of 1,2,1,2,1,2 slots from 0, 1, 3, 4, 6, 7: entries
		 * at 0 (run 0-1), 3, 4 (run 3-4) and 7; the slots skipped are
		 * never marked used */
		CHECK(pdrv_slot_used(&f->p, 0));
		CHECK_EQ(le16toh(f->p.desc[0].id), id[1]);
		CHECK(!pdrv_slot_used(&f->p, 1));
		CHECK(!pdrv_slot_used(&f->p, 2));
		CHECK(pdrv_slot_used(&f->p, 3));
		CHECK_EQ(le16toh(f->p.desc[3].id), id[2]);
		CHECK_EQ(le32toh(f->p.desc[3].len), 5);
		CHECK(pdrv_slot_used(&f->p, 4));
		CHECK_EQ(le16toh(f->p.desc[4].id), id[4]);
		CHECK(!pdrv_slot_used(&f->p, 5));
		CHECK(!pdrv_slot_used(&f->p, 6));
		CHECK(pdrv_slot_used(&f->p, 7));
		CHECK_EQ(le16toh(f->p.desc[7].id), id[5]);
		CHECK(!pdrv_slot_used(&f->p, 8));
	}
	expect(f, id[0], 0, true);
	expect(f, id[1], 0, false);
	expect(f, id[2], 5, false);
	expect(f, id[3], 0, true);
	expect(f, id[4], 0, false);
	expect(f, id[5], 0, false);
	expect_none(f);
	fx_free(f);
}

/* At most VDN_VRING_ORDER_MAX chains in flight: pop reports empty beyond,
 * and goes on once the oldest is used. */
static void test_window_full(bool packed)
{
	struct fx *f = fx_new(packed, 512, true, false);
	int first = -1;

	if (!f)
		return;
	for (int i = 0; i < VDN_VRING_ORDER_MAX + 1; i++) {
		int id = add(f, 1, false);

		if (i == 0)
			first = id;
	}
	for (int i = 0; i < VDN_VRING_ORDER_MAX; i++)
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 0);
	vdn_vq_push(&f->vq, (uint16_t)first, 1);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	fx_free(f);
}

/*
 * Many laps: bursts of random size, chains of random length (packed), some
 * malformed, pushed in a shuffled order with random zero / non-zero
 * lengths, with and without batching.  The in-order driver must get every
 * buffer back in publish order with the length pushed for it, and a
 * buffer may only be skipped if it was completed with length 0.
 */
static void test_stress(bool packed, bool batch)
{
	struct fx *f = fx_new(packed, 64, true, batch);
	uint32_t want_len[DRV_MAX_NUM];
	uint16_t order[32];
	uint32_t lens[32];
	bool bad[32];
	unsigned int seed = 12345, got_total = 0, skipped_total = 0;

	if (!f)
		return;
	for (int round = 0; round < 3000; round++) {
		unsigned int n = 1 + rand_r(&seed) % 12, popped = 0;
		int pubs[32];

		for (unsigned int i = 0; i < n; i++) {
			bool malformed = rand_r(&seed) % 16 == 0;

			pubs[i] = add(f, packed ? 1 + rand_r(&seed) % 3 : 1, malformed);
			if (pubs[i] < 0) {
				n = i;
				break;
			}
		}
		for (;;) {
			int rc = vdn_vq_pop(&f->vq, &f->c);

			if (rc == 0)
				break;
			CHECK_EQ(f->c.head, pubs[popped]);
			bad[popped] = rc == -EBADMSG;
			if (bad[popped]) {
				want_len[f->c.head] = 0;
				popped++;
				continue;
			}
			CHECK_EQ(rc, 1);
			lens[popped] = rand_r(&seed) % 2 ? 0 : 1 + rand_r(&seed) % 64;
			want_len[f->c.head] = lens[popped];
			popped++;
		}
		CHECK_EQ(popped, n);
		/* shuffle the good ones' push order: pop pushed the others */
		unsigned int ng = 0;

		for (unsigned int i = 0; i < popped; i++)
			if (!bad[i])
				order[ng++] = (uint16_t)i;
		for (unsigned int i = ng; i > 1; i--) {
			unsigned int j = rand_r(&seed) % i;
			uint16_t t = order[i - 1];

			order[i - 1] = order[j];
			order[j] = t;
		}
		for (unsigned int i = 0; i < ng; i++) {
			unsigned int k = order[i];

			vdn_vq_push(&f->vq, (uint16_t)pubs[k], lens[k]);
			if (rand_r(&seed) % 4 == 0)
				vdn_vq_flush(&f->vq);
		}
		vdn_vq_flush(&f->vq);
		for (unsigned int i = 0; i < n; i++) {
			uint32_t id = UINT32_MAX, len = UINT32_MAX;
			bool s = true;

			CHECK(get(f, &id, &len, &s));
			CHECK_EQ(id, (uint32_t)pubs[i]);
			if (s) {
				CHECK(batch);
				CHECK_EQ(want_len[id], 0);
				skipped_total++;
			} else {
				CHECK_EQ(len, want_len[id]);
			}
			got_total++;
		}
		expect_none(f);
	}
	CHECK(got_total > 10000);
	if (batch)
		CHECK(skipped_total > 1000);
	else
		CHECK_EQ(skipped_total, 0);
	fx_free(f);
}

static void test_split(void)
{
	test_reorder(false);
	test_reject_waits(false);
	test_reject_overtakes_without();
	test_unpop(false);
	test_batch_layout(false);
	test_window_full(false);
	test_stress(false, false);
	test_stress(false, true);
}

static void test_packed(void)
{
	test_reorder(true);
	test_reject_waits(true);
	test_unpop(true);
	test_batch_layout(true);
	test_window_full(true);
	test_stress(true, false);
	test_stress(true, true);
}

int main(void)
{
	RUN(test_split);
	RUN(test_packed);
	return check_report();
}
