/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vring's packed rings (and the struct vdn_vq front) against a
 * driver-side packed ring in plain memory (vring_driver.c).  As for split,
 * buffers live in a guarded arena, so a read outside what xlate returned
 * faults the test instead of passing.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vdn_vq.h"
#include "vring_driver.h"

#define EV_ENABLE VRING_PACKED_EVENT_FLAG_ENABLE
#define EV_DISABLE VRING_PACKED_EVENT_FLAG_DISABLE
#define EV_DESC VRING_PACKED_EVENT_FLAG_DESC
#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)

struct fx {
	struct arena a;
	struct drv_packed d;
	struct vdn_vq vq;
	struct vdn_chain c;
};

static bool fx_init(struct fx *f, uint16_t num, bool event_idx, bool indirect, uint16_t pos,
		    bool wrap)
{
	struct vdn_vring_cfg cfg;

	memset(f, 0, sizeof(*f));
	if (arena_init(&f->a) || pdrv_init(&f->d, &f->a, num, pos, wrap)) {
		CHECK(!"fixture setup");
		return false;
	}
	pdrv_cfg(&f->d, &cfg);
	cfg.event_idx = event_idx;
	cfg.indirect = indirect;
	CHECK_EQ(vdn_vq_init(&f->vq, &cfg), 0);
	CHECK(f->vq.packed);
	return true;
}

static const struct vdn_vring_stats *st(const struct fx *f)
{
	return vdn_vq_stats(&f->vq);
}

static uint64_t buf(struct fx *f, uint32_t len)
{
	return arena_alloc(&f->a, len, 8);
}

static void fill(struct fx *f, uint64_t iova, uint32_t len, uint8_t seed)
{
	arena_fill(&f->a, iova, len, seed);
}

/* Every segment must lie inside one mapping that grants its access. */
static void check_chain_in_arena(struct fx *f)
{
	CHECK(arena_covers_chain(&f->a, &f->c));
}

static uint16_t next_id(const struct fx *f)
{
	return f->d.free_ids[f->d.nids - 1];
}

/* Both sides agree on where the ring stands. */
static void check_positions(struct fx *f)
{
	struct vdn_vq_state s;

	vdn_vq_get_state(&f->vq, &s);
	CHECK_EQ(s.last_avail_idx, f->d.next_avail);
	CHECK_EQ(s.avail_wrap, f->d.avail_wrap);
	CHECK_EQ(s.last_used_idx, f->d.last_used);
	CHECK_EQ(s.used_wrap, f->d.used_wrap);
}

static void give_back(struct fx *f)
{
	uint32_t id, len;

	vdn_vq_push(&f->vq, f->c.head, 0);
	vdn_vq_flush(&f->vq);
	CHECK(pdrv_get_used(&f->d, &id, &len));
	CHECK_EQ(id, f->c.head);
	CHECK_EQ(len, 0);
}

/* One well-formed chain, 1 out + 2 in, all the way round with content. */
static void expect_good(struct fx *f)
{
	uint64_t out = buf(f, 24), in1 = buf(f, 10), in2 = buf(f, 30);
	struct drv_seg segs[] = { { out, 24, false }, { in1, 10, true }, { in2, 30, true } };
	uint8_t got[24], reply[40];
	uint32_t id, len;
	int head;

	fill(f, out, 24, 0x31);
	head = pdrv_add(&f->d, segs, 3);
	CHECK(head >= 0);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	CHECK_EQ(f->c.head, head);
	CHECK_EQ(f->c.n_out, 1);
	CHECK_EQ(f->c.n_in, 2);
	CHECK_EQ(f->c.out_len, 24);
	CHECK_EQ(f->c.in_len, 40);
	check_chain_in_arena(f);
	CHECK_EQ(vdn_iov_to_buf(f->c.iov, f->c.n_out, 0, got, sizeof(got)), 24);
	CHECK(!memcmp(got, arena_ptr(&f->a, out), 24));
	for (int i = 0; i < 40; i++)
		reply[i] = (uint8_t)(0xa0 ^ i);
	CHECK_EQ(vdn_iov_from_buf(f->c.iov + f->c.n_out, f->c.n_in, 0, reply, 40), 40);
	vdn_vq_push(&f->vq, f->c.head, 40);
	vdn_vq_flush(&f->vq);
	CHECK(pdrv_get_used(&f->d, &id, &len));
	CHECK_EQ(id, head);
	CHECK_EQ(len, 40);
	CHECK(!memcmp(arena_ptr(&f->a, in1), reply, 10));
	CHECK(!memcmp(arena_ptr(&f->a, in2), reply + 10, 30));
	check_positions(f);
}

/*
 * Pop a malformed chain: counted under `why` only, handed back as used with
 * length 0 (id >= 0) or not at all (id < 0), and the queue still works.
 */
static void expect_reject_(struct fx *f, enum vdn_vring_err why, int id, const char *what,
			   int line)
{
	struct vdn_vring_stats before = *st(f);
	int fails = check_failures;
	uint32_t got = 0, len = 0;

	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), -EBADMSG);
	CHECK_EQ(f->c.n_out + f->c.n_in, 0);
	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		CHECK_EQ(st(f)->bad[r] - before.bad[r], r == (int)why);
	CHECK_EQ(st(f)->popped, before.popped);
	vdn_vq_flush(&f->vq);
	if (id >= 0) {
		CHECK(pdrv_get_used(&f->d, &got, &len));
		CHECK_EQ(got, id);
		CHECK_EQ(len, 0);
	}
	CHECK(!pdrv_get_used(&f->d, &got, &len));
	expect_good(f);
	if (check_failures != fails)
		fprintf(stderr, "  ... in case '%s' (line %d)\n", what, line);
}
#define expect_reject(f, why, id, what) expect_reject_(f, why, id, what, __LINE__)

static void test_init(void)
{
	struct arena a;
	struct drv_packed d;
	static struct vdn_vq vq;
	struct vdn_vring_cfg cfg, c;
	struct vdn_vq_state s;

	if (arena_init(&a) || pdrv_init(&d, &a, 8, 0, true)) {
		CHECK(!"fixture setup");
		return;
	}
	pdrv_cfg(&d, &cfg);

	c = cfg, c.num = 0;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EINVAL);
	c = cfg, c.num = 32769;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EINVAL);
	c = cfg, c.xlate = NULL;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EINVAL);
	c = cfg, c.last_avail_idx = 8;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EINVAL);
	c = cfg, c.last_used_idx = 8;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EINVAL);
	c = cfg, c.desc_iova += 8;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EINVAL);
	c = cfg, c.avail_iova += 2;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EINVAL);
	c = cfg, c.used_iova += 2;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EINVAL);
	CHECK_EQ(vdn_vq_init(NULL, &cfg), -EINVAL);
	CHECK_EQ(vdn_vq_init(&vq, NULL), -EINVAL);
	/* each API refuses the other layout */
	CHECK_EQ(vdn_vring_init(&vq.split, &cfg), -EINVAL);
	c = cfg, c.packed = false;
	CHECK_EQ(vdn_vring_packed_init(&vq.pk, &c), -EINVAL);

	/* the ring is written too, so read-only is as bad as unmapped */
	arena_set(&a, ARENA_PLAY_PAGE, 1, 0, 0);
	arena_set(&a, ARENA_PLAY_PAGE + 1, 1, VDN_ACCESS_READ, 1);
	arena_set(&a, ARENA_PLAY_PAGE + 2, 1, VDN_ACCESS_WRITE, 2);
	c = cfg, c.desc_iova = ARENA_PLAY_IOVA;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EFAULT);
	c = cfg, c.desc_iova = ARENA_PLAY_IOVA + ARENA_PAGE;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EFAULT);
	c = cfg, c.desc_iova = ARENA_SIZE - 64;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EFAULT);
	c = cfg, c.desc_iova = UINT64_MAX - 15;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EFAULT);
	c = cfg, c.avail_iova = ARENA_PLAY_IOVA;
	CHECK_EQ(vdn_vq_init(&vq, &c), -EFAULT);
	c = cfg, c.avail_iova = ARENA_PLAY_IOVA + 2 * ARENA_PAGE; /* write-only */
	CHECK_EQ(vdn_vq_init(&vq, &c), -EFAULT);
	c = cfg, c.used_iova = ARENA_PLAY_IOVA + ARENA_PAGE; /* read-only */
	CHECK_EQ(vdn_vq_init(&vq, &c), -EFAULT);
	c = cfg, c.used_iova = ARENA_PLAY_IOVA + 2 * ARENA_PAGE;
	CHECK_EQ(vdn_vq_init(&vq, &c), 0);
	/* the ring may end exactly where its mapping does */
	c = cfg, c.desc_iova = ARENA_PLAY_IOVA + 3 * ARENA_PAGE - 16 * 8;
	arena_set(&a, ARENA_PLAY_PAGE + 3, 1, ARENA_RW, 3);
	CHECK_EQ(vdn_vq_init(&vq, &c), -EFAULT);
	c.desc_iova = ARENA_PLAY_IOVA + 4 * ARENA_PAGE - 16 * 8;
	CHECK_EQ(vdn_vq_init(&vq, &c), 0);

	/* any size up to 2^15, not only powers of two */
	c = cfg, c.num = 13;
	CHECK_EQ(vdn_vq_init(&vq, &c), 0);
	c = cfg, c.num = 1;
	CHECK_EQ(vdn_vq_init(&vq, &c), 0);
	c = cfg;
	c.num = 32768;
	c.desc_iova = arena_alloc(&a, 16ull * 32768, 16);
	c.last_avail_idx = 32767;
	c.last_used_idx = 32767;
	CHECK_EQ(vdn_vq_init(&vq, &c), 0);

	/* resume state, and kicks start enabled whatever the memory said */
	d.dev_ev->flags = htole16(EV_DISABLE);
	c = cfg, c.last_avail_idx = 5, c.avail_wrap = false, c.last_used_idx = 3, c.used_wrap = true;
	CHECK_EQ(vdn_vq_init(&vq, &c), 0);
	CHECK(vq.packed);
	CHECK_EQ(pdrv_dev_flags(&d), EV_ENABLE);
	vdn_vq_get_state(&vq, &s);
	CHECK_EQ(s.last_avail_idx, 5);
	CHECK(!s.avail_wrap);
	CHECK_EQ(s.last_used_idx, 3);
	CHECK(s.used_wrap);
	CHECK_EQ(vdn_vq_last_avail(&vq), 5);
	c.event_idx = true;
	CHECK_EQ(vdn_vq_init(&vq, &c), 0);
	CHECK_EQ(pdrv_dev_flags(&d), EV_DESC);
	CHECK_EQ(pdrv_dev_off_wrap(&d), 5);
	c.avail_wrap = true;
	CHECK_EQ(vdn_vq_init(&vq, &c), 0);
	CHECK_EQ(pdrv_dev_off_wrap(&d), 0x8005);
	arena_fini(&a);
}

static void test_basic(void)
{
	struct fx f;
	uint32_t id, len;
	uint8_t tmp[64];

	if (!fx_init(&f, 16, false, false, 0, true))
		return;
	CHECK_EQ(vdn_vq_avail_count(&f.vq), 0);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 0);

	/* out-only, single */
	uint64_t o = buf(&f, 100);
	fill(&f, o, 100, 5);
	int h = pdrv_add(&f.d, &(struct drv_seg){ o, 100, false }, 1);
	CHECK_EQ(vdn_vq_avail_count(&f.vq), 1);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out, 1);
	CHECK_EQ(f.c.n_in, 0);
	CHECK_EQ(f.c.out_len, 100);
	CHECK_EQ(f.c.in_len, 0);
	CHECK(f.c.iov[0].base == arena_ptr(&f.a, o));
	CHECK_EQ(vdn_vq_avail_count(&f.vq), 0);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 0);

	/* in-only, three descriptors */
	uint64_t i1 = buf(&f, 8), i2 = buf(&f, 16), i3 = buf(&f, 4);
	struct drv_seg in[] = { { i1, 8, true }, { i2, 16, true }, { i3, 4, true } };
	int h2 = pdrv_add(&f.d, in, 3);
	CHECK_EQ(vdn_vq_avail_count(&f.vq), 3); /* descriptors, not chains */
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, h2);
	CHECK_EQ(f.c.n_out, 0);
	CHECK_EQ(f.c.n_in, 3);
	CHECK_EQ(f.c.in_len, 28);
	CHECK(f.c.iov[1].base == arena_ptr(&f.a, i2));
	check_chain_in_arena(&f);
	for (int i = 0; i < 28; i++)
		tmp[i] = (uint8_t)(200 + i);
	CHECK_EQ(vdn_iov_from_buf(f.c.iov, f.c.n_in, 0, tmp, 28), 28);

	/* completed out of order; nothing visible before the flush */
	vdn_vq_push(&f.vq, (uint16_t)h2, 28);
	vdn_vq_push(&f.vq, (uint16_t)h, 0);
	CHECK(!pdrv_get_used(&f.d, &id, &len));
	vdn_vq_flush(&f.vq);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, h2);
	CHECK_EQ(len, 28);
	/* the driver skips the three slots h2's chain held, then finds h */
	CHECK_EQ(f.d.last_used, 3);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, h);
	CHECK_EQ(len, 0);
	CHECK(!pdrv_get_used(&f.d, &id, &len));
	CHECK(!memcmp(arena_ptr(&f.a, i2), tmp + 8, 16));
	/* WRITE marks a used entry whose length counts bytes written */
	CHECK_EQ(le16toh(f.d.desc[0].flags), PK_AVAIL | PK_USED | VRING_DESC_F_WRITE);
	CHECK_EQ(le16toh(f.d.desc[3].flags), PK_AVAIL | PK_USED);
	check_positions(&f);

	expect_good(&f);
	CHECK_EQ(st(&f)->popped, 3);
	CHECK_EQ(vring_bad_total(st(&f)), 0);
	arena_fini(&f.a);
}

/*
 * More than 70000 chains through a small ring, so the wrap counters flip
 * thousands of times: batches of 1..6, chains of 1..3 descriptors or
 * indirect, completed in order and in reverse.
 */
static void wrap_run(uint16_t num, uint16_t pos, bool wrap)
{
	enum { BATCH = 6, OPS = 70001 };
	static struct fx f;
	uint64_t out[BATCH], in[BATCH];
	int ids[BATCH];
	unsigned long done = 0, seq = 0, batches = 0;
	int bad = 0;

	if (!fx_init(&f, num, true, true, pos, wrap))
		return;
	uint64_t tables = arena_alloc(&f.a, BATCH * 3 * 16, 16);
	for (int k = 0; k < BATCH; k++) {
		out[k] = buf(&f, 8);
		in[k] = buf(&f, 8);
	}
	while (done < OPS) {
		int n = 1 + (int)(batches % BATCH);
		bool reverse = batches & 1;

		for (int k = 0; k < n; k++, seq++) {
			struct drv_seg s[3] = { { out[k], 4, false }, { out[k] + 4, 4, false },
						{ in[k], 8, true } };
			uint32_t v = (uint32_t)seq;

			memcpy(arena_ptr(&f.a, out[k]), &v, 4);
			memcpy((uint8_t *)arena_ptr(&f.a, out[k]) + 4, &v, 4);
			if (seq % 4 == 0)
				ids[k] = pdrv_add_indirect(&f.d, tables + k * 48, s, 3);
			else if (seq % 4 == 1)
				ids[k] = pdrv_add(&f.d, s, 3);
			else if (seq % 4 == 2)
				ids[k] = pdrv_add(&f.d, s + 1, 2);
			else
				ids[k] = pdrv_add(&f.d, s + 2, 1);
			bad |= ids[k] < 0;
		}
		for (int k = 0; k < n; k++) {
			uint32_t v[2] = { 0, 0 };
			unsigned long sq = seq - n + k;

			bad |= vdn_vq_pop(&f.vq, &f.c) != 1;
			bad |= f.c.head != ids[k] || f.c.in_len != 8;
			bad |= f.c.out_len != (sq % 4 == 3 ? 0u : sq % 4 == 2 ? 4u : 8u);
			vdn_iov_to_buf(f.c.iov, f.c.n_out, 0, v, f.c.out_len);
			if (f.c.out_len)
				bad |= v[f.c.out_len == 8] != (uint32_t)sq;
			v[0] = ~(uint32_t)sq;
			vdn_iov_from_buf(f.c.iov + f.c.n_out, f.c.n_in, 0, v, 4);
		}
		bad |= vdn_vq_pop(&f.vq, &f.c) != 0;
		for (int k = 0; k < n; k++)
			vdn_vq_push(&f.vq, (uint16_t)ids[reverse ? n - 1 - k : k], 4);
		vdn_vq_flush(&f.vq);
		for (int k = 0; k < n; k++) {
			int j = reverse ? n - 1 - k : k;
			uint32_t id = 0, len = 0, v;

			bad |= !pdrv_get_used(&f.d, &id, &len);
			bad |= id != (uint32_t)ids[j] || len != 4;
			memcpy(&v, arena_ptr(&f.a, in[j]), 4);
			bad |= v != ~(uint32_t)(seq - n + j);
		}
		bad |= f.d.nfree != num;
		done += n;
		batches++;
		if (bad) {
			CHECK(!"wrap round trip");
			fprintf(stderr, "  ... num %u at op %lu\n", num, done);
			break;
		}
	}
	CHECK_EQ(st(&f)->popped, done);
	CHECK(done >= OPS);
	CHECK_EQ(vring_bad_total(st(&f)), 0);
	check_positions(&f);
	arena_fini(&f.a);
}

static void test_wrap(void)
{
	wrap_run(16, 0, true);
	wrap_run(13, 12, false); /* not a power of two; starts on the other lap */
}

static void test_full_ring(void)
{
	enum { NUM = 8 };
	struct fx f;
	int ids[3];
	uint32_t id, len;

	if (!fx_init(&f, NUM, false, false, 6, true))
		return;
	uint64_t b = buf(&f, 64);
	struct drv_seg s[3] = { { b, 8, true }, { b + 8, 8, true }, { b + 16, 8, true } };
	ids[0] = pdrv_add(&f.d, s, 3);
	ids[1] = pdrv_add(&f.d, s, 3);
	ids[2] = pdrv_add(&f.d, s, 2);
	CHECK_EQ(pdrv_add(&f.d, s, 1), -1);
	CHECK_EQ(vdn_vq_avail_count(&f.vq), NUM);
	for (int k = 0; k < 3; k++) {
		CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
		CHECK_EQ(f.c.head, ids[k]);
	}
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 0);
	CHECK_EQ(vdn_vq_avail_count(&f.vq), 0);
	vdn_vq_push(&f.vq, (uint16_t)ids[1], 1);
	vdn_vq_push(&f.vq, (uint16_t)ids[2], 2);
	vdn_vq_push(&f.vq, (uint16_t)ids[0], 3);
	vdn_vq_flush(&f.vq);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, ids[1]);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, ids[2]);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, ids[0]);
	CHECK_EQ(len, 3);
	CHECK(!pdrv_get_used(&f.d, &id, &len));
	check_positions(&f);
	expect_good(&f);
	arena_fini(&f.a);

	/* one chain through every slot of the ring is fine */
	if (!fx_init(&f, VDN_VRING_MAX_IOV, false, false, 10, false))
		return;
	b = buf(&f, VDN_VRING_MAX_IOV);
	uint16_t cid = next_id(&f);
	for (uint16_t k = 0; k < VDN_VRING_MAX_IOV; k++)
		pdrv_put(&f.d, k, b + k, 1, cid, k + 1 < VDN_VRING_MAX_IOV ? VRING_DESC_F_NEXT : 0);
	pdrv_commit(&f.d, VDN_VRING_MAX_IOV, cid);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, cid);
	CHECK_EQ(f.c.n_out, VDN_VRING_MAX_IOV);
	CHECK_EQ(f.c.out_len, VDN_VRING_MAX_IOV);
	give_back(&f);
	check_positions(&f);
	expect_good(&f);
	arena_fini(&f.a);
}

/* The driver must see nothing of a burst before the flush, then all of it. */
static void test_batch_publish(void)
{
	struct fx f;
	int ids[4];
	uint32_t id, len;

	if (!fx_init(&f, 8, false, false, 6, true))
		return;
	uint64_t b = buf(&f, 64);
	struct drv_seg s[2] = { { b, 8, false }, { b + 8, 8, true } };
	for (int k = 0; k < 4; k++)
		ids[k] = pdrv_add(&f.d, s, k == 1 ? 2 : 1);
	for (int k = 0; k < 4; k++)
		CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	uint16_t first = f.d.last_used;
	uint16_t before = le16toh(f.d.desc[first].flags);
	struct vring_packed_desc ring_before[8];

	memcpy(ring_before, f.d.desc, sizeof(ring_before));
	vdn_vq_push(&f.vq, (uint16_t)ids[2], 7);
	vdn_vq_push(&f.vq, (uint16_t)ids[0], 0);
	vdn_vq_push(&f.vq, (uint16_t)ids[1], 9);
	/* nothing of the burst is in the ring until the flush (the entries
	 * are written then, back to back), the first entry's flags least */
	CHECK_EQ(le16toh(f.d.desc[first].flags), before);
	CHECK(!pdrv_slot_used(&f.d, first));
	CHECK(!pdrv_get_used(&f.d, &id, &len));
	CHECK(!memcmp(f.d.desc, ring_before, sizeof(ring_before)));
	vdn_vq_flush(&f.vq);
	CHECK(pdrv_slot_used(&f.d, first));
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, ids[2]);
	CHECK_EQ(len, 7);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, ids[0]);
	CHECK_EQ(len, 0);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, ids[1]);
	CHECK_EQ(len, 9);
	CHECK(!pdrv_get_used(&f.d, &id, &len));
	/* a flush with nothing staged stores nothing */
	uint16_t snap = le16toh(f.d.desc[f.d.last_used].flags);
	vdn_vq_flush(&f.vq);
	CHECK_EQ(le16toh(f.d.desc[f.d.last_used].flags), snap);
	/* the burst crossed the end of the ring: the remaining one lands on
	 * the next lap */
	vdn_vq_push(&f.vq, (uint16_t)ids[3], 1);
	vdn_vq_flush(&f.vq);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, ids[3]);
	CHECK(!f.d.used_wrap);
	check_positions(&f);
	arena_fini(&f.a);
}

static void test_push_unknown(void)
{
	struct fx f;
	uint32_t id, len;

	if (!fx_init(&f, 8, false, false, 0, true))
		return;
	/* never popped, out of range, pushed twice: all ignored */
	vdn_vq_push(&f.vq, 3, 10);
	vdn_vq_push(&f.vq, 8, 10);
	vdn_vq_push(&f.vq, 0xffff, 10);
	vdn_vq_flush(&f.vq);
	CHECK(!pdrv_get_used(&f.d, &id, &len));
	uint64_t b = buf(&f, 8);
	int h = pdrv_add(&f.d, &(struct drv_seg){ b, 8, true }, 1);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	vdn_vq_push(&f.vq, (uint16_t)h, 8);
	vdn_vq_push(&f.vq, (uint16_t)h, 8);
	vdn_vq_flush(&f.vq);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, h);
	CHECK(!pdrv_get_used(&f.d, &id, &len));
	check_positions(&f);
	expect_good(&f);
	arena_fini(&f.a);
}

static void test_unpop(void)
{
	struct fx f;
	int ids[3];
	uint32_t id, len;

	if (!fx_init(&f, 8, false, false, 5, false))
		return;
	uint64_t b = buf(&f, 48);
	struct drv_seg s[3] = { { b, 16, true }, { b + 16, 16, true }, { b + 32, 16, true } };
	ids[0] = pdrv_add(&f.d, s, 2);
	ids[1] = pdrv_add(&f.d, s, 1);
	ids[2] = pdrv_add(&f.d, s, 3);
	for (int k = 0; k < 3; k++)
		CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(vdn_vq_last_avail(&f.vq), 3);
	vdn_vq_unpop(&f.vq, 2); /* back across the wrap */
	CHECK_EQ(vdn_vq_last_avail(&f.vq), 7);
	CHECK_EQ(st(&f)->popped, 1);
	CHECK_EQ(vdn_vq_avail_count(&f.vq), 4);
	for (int k = 1; k < 3; k++) {
		/* the same ids again: unpop took them out of flight */
		CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
		CHECK_EQ(f.c.head, ids[k]);
		CHECK_EQ(f.c.n_in, k == 1 ? 1 : 3);
		CHECK(f.c.iov[0].base == arena_ptr(&f.a, b));
	}
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 0);
	CHECK_EQ(st(&f)->popped, 3);
	CHECK_EQ(vring_bad_total(st(&f)), 0);
	/* more than was popped: capped at what the ring remembers */
	vdn_vq_unpop(&f.vq, 5);
	CHECK_EQ(vdn_vq_last_avail(&f.vq), 5);
	CHECK_EQ(st(&f)->popped, 0);
	for (int k = 0; k < 3; k++) {
		CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
		CHECK_EQ(f.c.head, ids[k]);
		vdn_vq_push(&f.vq, f.c.head, 0);
	}
	vdn_vq_flush(&f.vq);
	for (int k = 0; k < 3; k++) {
		CHECK(pdrv_get_used(&f.d, &id, &len));
		CHECK_EQ(id, ids[k]);
	}
	check_positions(&f);
	arena_fini(&f.a);
}

static void test_indirect(void)
{
	struct fx f;

	if (!fx_init(&f, 16, false, true, 14, true))
		return;
	uint64_t o = buf(&f, 32), i = buf(&f, 64);
	uint64_t t = arena_alloc(&f.a, 80 * 16, 16);
	struct drv_seg s[] = { { o, 12, false }, { o + 12, 20, false }, { i, 64, true } };
	int h;

	fill(&f, o, 32, 9);
	h = pdrv_add_indirect(&f.d, t, s, 3);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out, 2);
	CHECK_EQ(f.c.n_in, 1);
	CHECK_EQ(f.c.out_len, 32);
	CHECK_EQ(f.c.in_len, 64);
	CHECK(f.c.iov[1].base == arena_ptr(&f.a, o + 12));
	check_chain_in_arena(&f);
	give_back(&f);

	/* in a table only WRITE counts: NEXT, INDIRECT and ids are ignored,
	 * and so is WRITE on the descriptor pointing at the table */
	pdrv_write_table(arena_ptr(&f.a, t), 0, o, 8, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT);
	pdrv_write_table(arena_ptr(&f.a, t), 1, i, 8, VRING_DESC_F_WRITE);
	((struct vring_packed_desc *)arena_ptr(&f.a, t))[1].id = htole16(0xbeef);
	uint16_t id = next_id(&f);
	pdrv_put(&f.d, 0, t, 32, id, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE);
	pdrv_commit(&f.d, 1, id);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, id);
	CHECK_EQ(f.c.n_out, 1);
	CHECK_EQ(f.c.n_in, 1);
	CHECK_EQ(f.c.out_len, 8);
	give_back(&f);

	/* direct descriptors may lead into a table that ends the chain */
	pdrv_write_table(arena_ptr(&f.a, t), 0, i, 64, VRING_DESC_F_WRITE);
	id = next_id(&f);
	pdrv_put(&f.d, 0, o, 32, 0x5555, VRING_DESC_F_NEXT);
	pdrv_put(&f.d, 1, t, 16, id, VRING_DESC_F_INDIRECT);
	pdrv_commit(&f.d, 2, id);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, id); /* the last descriptor's id */
	CHECK_EQ(f.c.n_out, 1);
	CHECK_EQ(f.c.n_in, 1);
	give_back(&f);
	check_positions(&f);

	/* a table straddling two mappings is read piecewise */
	uint64_t stt = ARENA_PLAY_IOVA + 2 * ARENA_PAGE - 40;
	arena_set(&f.a, ARENA_PLAY_PAGE + 1, 1, ARENA_RW, 3);
	arena_set(&f.a, ARENA_PLAY_PAGE + 2, 1, ARENA_RW, 4);
	h = pdrv_add_indirect(&f.d, stt, s, 3);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out + f.c.n_in, 3);
	CHECK_EQ(f.c.in_len, 64);
	give_back(&f);

	/* malformed tables come back as used with their id */
	static const uint32_t bad_len[] = { 0, 8, 24, 17 };
	for (unsigned int k = 0; k < 4; k++) {
		id = next_id(&f);
		pdrv_put(&f.d, 0, t, bad_len[k], id, VRING_DESC_F_INDIRECT);
		pdrv_commit(&f.d, 1, id);
		expect_reject(&f, VDN_VRING_E_INDIRECT, id, "indirect length");
	}

	pdrv_write_table(arena_ptr(&f.a, t), 0, i, 64, VRING_DESC_F_WRITE);
	id = next_id(&f);
	pdrv_put(&f.d, 0, t, 16, 0, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT);
	pdrv_put(&f.d, 1, i, 8, id, VRING_DESC_F_WRITE);
	pdrv_commit(&f.d, 2, id);
	expect_reject(&f, VDN_VRING_E_INDIRECT, id, "INDIRECT|NEXT");

	/* ... with NEXT in the middle of a longer chain */
	id = next_id(&f);
	pdrv_put(&f.d, 0, o, 8, 0, VRING_DESC_F_NEXT);
	pdrv_put(&f.d, 1, t, 16, 0, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT);
	pdrv_put(&f.d, 2, i, 8, id, VRING_DESC_F_WRITE);
	pdrv_commit(&f.d, 3, id);
	expect_reject(&f, VDN_VRING_E_INDIRECT, id, "indirect mid-chain");

	/* the table's second entry lies in a hole */
	arena_set(&f.a, ARENA_PLAY_PAGE + 4, 1, ARENA_RW, 0);
	arena_set(&f.a, ARENA_PLAY_PAGE + 5, 1, 0, 0);
	uint64_t ht = ARENA_PLAY_IOVA + 5 * ARENA_PAGE - 16;
	pdrv_write_table(arena_ptr(&f.a, ht), 0, o, 8, 0);
	id = next_id(&f);
	pdrv_put(&f.d, 0, ht, 32, id, VRING_DESC_F_INDIRECT);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_XLATE, id, "indirect table runs into a hole");
	id = next_id(&f);
	pdrv_put(&f.d, 0, ht + 16, 16, id, VRING_DESC_F_INDIRECT);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_XLATE, id, "indirect table in a hole");
	id = next_id(&f);
	pdrv_put(&f.d, 0, UINT64_MAX - 15, 32, id, VRING_DESC_F_INDIRECT);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_XLATE, id, "indirect table wraps IOVA space");
	/* a table entry pointing at a hole */
	pdrv_write_table(arena_ptr(&f.a, t), 0, o, 8, 0);
	pdrv_write_table(arena_ptr(&f.a, t), 1, ARENA_PLAY_IOVA + 5 * ARENA_PAGE, 8, 0);
	id = next_id(&f);
	pdrv_put(&f.d, 0, t, 32, id, VRING_DESC_F_INDIRECT);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_XLATE, id, "table entry in a hole");
	pdrv_write_table(arena_ptr(&f.a, t), 1, o, 0, 0);
	id = next_id(&f);
	pdrv_put(&f.d, 0, t, 32, id, VRING_DESC_F_INDIRECT);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_ZERO_LEN, id, "table entry of length 0");
	pdrv_write_table(arena_ptr(&f.a, t), 0, i, 8, VRING_DESC_F_WRITE);
	pdrv_write_table(arena_ptr(&f.a, t), 1, o, 8, 0);
	id = next_id(&f);
	pdrv_put(&f.d, 0, t, 32, id, VRING_DESC_F_INDIRECT);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_ORDER, id, "table: readable after writable");
	arena_fini(&f.a);

	/* not negotiated */
	if (!fx_init(&f, 16, false, false, 0, true))
		return;
	o = buf(&f, 32);
	t = arena_alloc(&f.a, 48, 16);
	h = pdrv_add_indirect(&f.d, t, (struct drv_seg[]){ { o, 32, false } }, 1);
	expect_reject(&f, VDN_VRING_E_INDIRECT, h, "indirect not negotiated");
	arena_fini(&f.a);
}

static void test_malformed(void)
{
	struct fx f;
	uint16_t id;

	if (!fx_init(&f, 32, false, false, 30, true))
		return;
	uint64_t o = buf(&f, 64), i = buf(&f, 64);

	/* ids the driver cannot look up: nothing to hand back */
	pdrv_put(&f.d, 0, o, 8, 32, 0);
	pdrv_commit(&f.d, 1, 32);
	expect_reject(&f, VDN_VRING_E_HEAD_RANGE, -1, "id == num");
	pdrv_put(&f.d, 0, o, 8, 0, VRING_DESC_F_NEXT);
	pdrv_put(&f.d, 1, o, 8, 0xffff, 0);
	pdrv_commit(&f.d, 2, 0xffff);
	expect_reject(&f, VDN_VRING_E_HEAD_RANGE, -1, "id 0xffff");
	check_positions(&f);

	/* an id already in flight */
	uint64_t b = buf(&f, 8);
	int h = pdrv_add(&f.d, &(struct drv_seg){ b, 8, false }, 1);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	pdrv_put(&f.d, 0, o, 8, (uint16_t)h, 0);
	pdrv_commit(&f.d, 1, (uint16_t)h);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), -EBADMSG);
	CHECK_EQ(st(&f)->bad[VDN_VRING_E_HEAD_RANGE], 3);
	vdn_vq_push(&f.vq, (uint16_t)h, 0); /* the first one still completes */
	vdn_vq_flush(&f.vq);
	uint32_t gid, glen;
	CHECK(pdrv_get_used(&f.d, &gid, &glen));
	CHECK_EQ(gid, h);
	CHECK(!pdrv_get_used(&f.d, &gid, &glen));
	expect_good(&f);

	/* NEXT into a slot the driver has not marked available (this lap):
	 * only the head was offered, so only the head is consumed */
	id = next_id(&f);
	pdrv_put(&f.d, 0, o, 8, id, VRING_DESC_F_NEXT);
	pdrv_put_raw(&f.d, 1, o, 8, id, 0);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_NEXT_RANGE, -1, "next slot not available");
	id = next_id(&f);
	pdrv_put(&f.d, 0, o, 8, id, VRING_DESC_F_NEXT);
	pdrv_put_raw(&f.d, 1, o, 8, id, PK_AVAIL | PK_USED); /* looks used */
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_NEXT_RANGE, -1, "next slot marked used");
	/* the wrong lap's marking, on a chain crossing the end of the ring */
	while (f.d.next_avail != 31)
		expect_good(&f);
	id = next_id(&f);
	pdrv_put(&f.d, 0, o, 8, id, VRING_DESC_F_NEXT);
	pdrv_put_raw(&f.d, 1, o, 8, id, f.d.avail_wrap ? PK_AVAIL : PK_USED);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_NEXT_RANGE, -1, "next slot marked for the old lap");
	check_positions(&f);

	/* everything else comes back with its id, whatever position in the
	 * chain is broken, and the driver skips all its slots */
	id = next_id(&f);
	pdrv_put(&f.d, 0, 0, 0, id, 0);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_ZERO_LEN, id, "zero-length head");
	id = next_id(&f);
	pdrv_put(&f.d, 0, o, 8, 0, VRING_DESC_F_NEXT);
	pdrv_put(&f.d, 1, o, 0, 0, VRING_DESC_F_NEXT);
	pdrv_put(&f.d, 2, i, 8, id, VRING_DESC_F_WRITE);
	pdrv_commit(&f.d, 3, id);
	expect_reject(&f, VDN_VRING_E_ZERO_LEN, id, "zero-length middle");
	id = next_id(&f);
	pdrv_put(&f.d, 0, o, 8, 0, VRING_DESC_F_NEXT);
	pdrv_put(&f.d, 1, i, 0, id, VRING_DESC_F_WRITE);
	pdrv_commit(&f.d, 2, id);
	expect_reject(&f, VDN_VRING_E_ZERO_LEN, id, "zero-length tail");

	id = next_id(&f);
	pdrv_put(&f.d, 0, i, 8, 0, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
	pdrv_put(&f.d, 1, o, 8, id, 0);
	pdrv_commit(&f.d, 2, id);
	expect_reject(&f, VDN_VRING_E_ORDER, id, "readable after writable");

	/* xlate misses: hole, running into a hole, past the arena, wrapping,
	 * write to read-only */
	arena_set(&f.a, ARENA_PLAY_PAGE, 1, 0, 0);
	arena_set(&f.a, ARENA_PLAY_PAGE + 1, 1, VDN_ACCESS_READ, 1);
	static const struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		const char *what;
	} miss[] = {
		{ ARENA_PLAY_IOVA + 100, 8, 0, "buffer in a hole" },
		{ ARENA_PLAY_IOVA - 8, 16, 0, "buffer runs into a hole" },
		{ ARENA_SIZE, 8, 0, "buffer past the arena" },
		{ UINT64_MAX - 3, 8, 0, "buffer wraps IOVA space" },
		{ ARENA_PLAY_IOVA + ARENA_PAGE, 8, VRING_DESC_F_WRITE, "writable buffer read-only" },
	};
	for (unsigned int k = 0; k < sizeof(miss) / sizeof(miss[0]); k++) {
		id = next_id(&f);
		pdrv_put(&f.d, 0, o, 8, 0, VRING_DESC_F_NEXT);
		pdrv_put(&f.d, 1, miss[k].addr, miss[k].len, id, miss[k].flags);
		pdrv_commit(&f.d, 2, id);
		expect_reject(&f, VDN_VRING_E_XLATE, id, miss[k].what);
	}
	/* reading the read-only region is fine */
	id = next_id(&f);
	pdrv_put(&f.d, 0, ARENA_PLAY_IOVA + ARENA_PAGE, 8, id, 0);
	pdrv_commit(&f.d, 1, id);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	check_chain_in_arena(&f);
	give_back(&f);
	CHECK_EQ(vring_bad_total(st(&f)), 3 + 3 + 3 + 1 + 5 + 0);
	check_positions(&f);
	arena_fini(&f.a);

	/* a chain longer than the ring: NEXT on every slot */
	if (!fx_init(&f, 16, false, false, 9, true))
		return;
	o = buf(&f, 8);
	id = next_id(&f);
	for (uint16_t k = 0; k < 16; k++)
		pdrv_put(&f.d, k, o, 8, id, VRING_DESC_F_NEXT);
	pdrv_commit(&f.d, 16, id);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), -EBADMSG);
	CHECK_EQ(st(&f)->bad[VDN_VRING_E_LOOP], 1);
	CHECK_EQ(vring_bad_total(st(&f)), 1);
	vdn_vq_flush(&f.vq);
	CHECK(!pdrv_get_used(&f.d, &gid, &glen));
	/* the whole lap was consumed; nothing is read twice */
	CHECK_EQ(vdn_vq_last_avail(&f.vq), 9);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 0);
	CHECK_EQ(vdn_vq_avail_count(&f.vq), 0);
	arena_fini(&f.a);
}

/* xlate() answers the ring must not trust blindly, as for split */
static void test_xlate_quirks(void)
{
	struct fx f;
	uint16_t id;

	if (!fx_init(&f, 8, false, true, 0, true))
		return;
	f.a.greedy = true;
	uint64_t o = buf(&f, 64);
	struct drv_seg s[] = { { o, 10, false }, { o + 10, 6, true } };
	int h = pdrv_add(&f.d, s, 2);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.iov[0].len, 10);
	CHECK_EQ(f.c.iov[1].len, 6);
	CHECK_EQ(f.c.out_len, 10);
	CHECK_EQ(f.c.in_len, 6);
	give_back(&f);
	f.a.greedy = false;

	f.a.top = true;
	id = next_id(&f);
	pdrv_put(&f.d, 0, (uint64_t)0 - 16, 16, id, 0);
	pdrv_commit(&f.d, 1, id);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK(f.c.iov[0].base == arena_ptr(&f.a, ARENA_SIZE - 16));
	give_back(&f);
	id = next_id(&f);
	pdrv_put(&f.d, 0, (uint64_t)0 - 8, 16, id, 0);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_XLATE, id, "buffer wraps past 2^64 into IOVA 0");
	pdrv_write_table(arena_ptr(&f.a, ARENA_SIZE - 32), 0, o, 8, 0);
	pdrv_write_table(arena_ptr(&f.a, ARENA_SIZE - 32), 1, o, 8, 0);
	id = next_id(&f);
	pdrv_put(&f.d, 0, (uint64_t)0 - 32, 32, id, VRING_DESC_F_INDIRECT);
	pdrv_commit(&f.d, 1, id);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.out_len, 16);
	give_back(&f);
	id = next_id(&f);
	pdrv_put(&f.d, 0, (uint64_t)0 - 16, 32, id, VRING_DESC_F_INDIRECT);
	pdrv_commit(&f.d, 1, id);
	expect_reject(&f, VDN_VRING_E_XLATE, id, "indirect table wraps past 2^64");
	arena_fini(&f.a);
}

static void test_too_many_iov(void)
{
	struct fx f;
	struct drv_seg s[VDN_VRING_MAX_IOV + 1];

	if (!fx_init(&f, 64, false, true, 40, false))
		return;
	uint64_t b = buf(&f, 8 * (VDN_VRING_MAX_IOV + 1));
	uint64_t t = arena_alloc(&f.a, 16 * (VDN_VRING_MAX_IOV + 1), 16);
	for (int k = 0; k <= VDN_VRING_MAX_IOV; k++)
		s[k] = (struct drv_seg){ b + 8 * k, 8, k >= 10 };

	int h = pdrv_add_indirect(&f.d, t, s, VDN_VRING_MAX_IOV);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out, 10);
	CHECK_EQ(f.c.n_in, VDN_VRING_MAX_IOV - 10);
	give_back(&f);

	h = pdrv_add_indirect(&f.d, t, s, VDN_VRING_MAX_IOV + 1);
	expect_reject(&f, VDN_VRING_E_TOO_MANY_IOV, h, "65 indirect entries");

	/* 33 direct descriptors, each split in two by a mapping seam */
	for (unsigned int p = 0; p < 33; p++)
		arena_set(&f.a, ARENA_PLAY_PAGE + p, 1, ARENA_RW, (uint16_t)(p + 1));
	for (uint16_t k = 0; k < 33; k++)
		s[k] = (struct drv_seg){ ARENA_PLAY_IOVA + (k + 1) * ARENA_PAGE - 4, 8, false };
	h = pdrv_add(&f.d, s, 33);
	expect_reject(&f, VDN_VRING_E_TOO_MANY_IOV, h, "33 split descriptors");
	h = pdrv_add(&f.d, s, 32);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out, VDN_VRING_MAX_IOV);
	check_chain_in_arena(&f);
	give_back(&f);
	check_positions(&f);
	arena_fini(&f.a);
}

static void test_len_overflow(void)
{
	struct fx f;

	if (!fx_init(&f, 8, false, false, 0, true))
		return;
	if (arena_enable_big(&f.a)) {
		CHECK(!"reserve 2 GiB of address space");
		arena_fini(&f.a);
		return;
	}
	struct drv_seg fits[] = { { ARENA_BIG_IOVA, 0x80000000u, false },
				  { ARENA_BIG_IOVA, 0x7fffffffu, false },
				  { ARENA_BIG_IOVA, 0x80000000u, true } };
	int h = pdrv_add(&f.d, fits, 3);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.out_len, 0xffffffffu);
	CHECK_EQ(f.c.in_len, 0x80000000u);
	give_back(&f);

	struct drv_seg over[] = { { ARENA_BIG_IOVA, 0x80000000u, true },
				  { ARENA_BIG_IOVA, 0x80000000u, true } };
	h = pdrv_add(&f.d, over, 2);
	expect_reject(&f, VDN_VRING_E_LEN, h, "in length over 4 GiB");
	arena_fini(&f.a);
}

/* Complete n chains of `ndesc` descriptors each, published in one flush. */
static void complete(struct fx *f, int n, uint16_t ndesc)
{
	uint64_t b = buf(f, 8);
	struct drv_seg s[3] = { { b, 8, true }, { b, 8, true }, { b, 8, true } };
	uint32_t id, len;
	int ids[16];

	for (int k = 0; k < n; k++)
		ids[k] = pdrv_add(&f->d, s, ndesc);
	for (int k = 0; k < n; k++)
		CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), 1);
	for (int k = 0; k < n; k++)
		vdn_vq_push(&f->vq, (uint16_t)ids[k], 8);
	vdn_vq_flush(&f->vq);
	while (pdrv_get_used(&f->d, &id, &len))
		;
}

/* Used position as one number: offset plus num on the wrap-1 lap. */
static unsigned int lin(const struct fx *f)
{
	return f->d.last_used + (f->d.used_wrap ? f->d.num : 0);
}

static void test_notify_desc(void)
{
	struct fx f;

	if (!fx_init(&f, 8, true, false, 0, true))
		return;
	pdrv_set_event(&f.d, EV_DESC, 6, false);
	/* the first decision cannot know what the driver saw: notify */
	complete(&f, 1, 1); /* used at 1, lap 1 */
	CHECK(vdn_vq_need_notify(&f.vq));
	CHECK(!vdn_vq_need_notify(&f.vq)); /* nothing new */
	pdrv_set_event(&f.d, EV_DESC, 4, true); /* once slot 4 is used */
	for (int k = 2; k <= 4; k++) {
		complete(&f, 1, 1);
		CHECK(!vdn_vq_need_notify(&f.vq));
	}
	complete(&f, 1, 1); /* slot 4 written */
	CHECK_EQ(lin(&f), 13);
	CHECK(vdn_vq_need_notify(&f.vq));
	complete(&f, 1, 1);
	CHECK(!vdn_vq_need_notify(&f.vq));
	/* a burst over the end of the ring and the event */
	pdrv_set_event(&f.d, EV_DESC, 7, true);
	complete(&f, 3, 1); /* 6 -> 1 on lap 0 */
	CHECK(!f.d.used_wrap);
	CHECK(vdn_vq_need_notify(&f.vq));
	/* an event behind us is not re-armed by more completions */
	complete(&f, 2, 1);
	CHECK(!vdn_vq_need_notify(&f.vq));
	/* the same offset on the wrong lap is a different event */
	pdrv_set_event(&f.d, EV_DESC, 4, true); /* lap 1: far ahead */
	complete(&f, 2, 1);                     /* 3 -> 5 on lap 0 */
	CHECK(!vdn_vq_need_notify(&f.vq));
	pdrv_set_event(&f.d, EV_DESC, 6, false);
	complete(&f, 1, 1); /* 5 -> 6 */
	CHECK(!vdn_vq_need_notify(&f.vq));
	complete(&f, 1, 1); /* 6 -> 7 */
	CHECK(vdn_vq_need_notify(&f.vq));
	/* an event inside the slots a multi-descriptor chain gave back */
	pdrv_set_event(&f.d, EV_DESC, 0, true);
	complete(&f, 1, 3); /* 7 -> 2 on lap 1, crossing slot 0 */
	CHECK(vdn_vq_need_notify(&f.vq));
	CHECK_EQ(f.vq.pk.stats.notifies, 5);
	/* pushed but not flushed: the driver cannot see it yet */
	pdrv_set_event(&f.d, EV_DESC, 2, true);
	uint64_t b = buf(&f, 8);
	int h = pdrv_add(&f.d, &(struct drv_seg){ b, 8, true }, 1);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	vdn_vq_push(&f.vq, (uint16_t)h, 0);
	CHECK(!vdn_vq_need_notify(&f.vq));
	vdn_vq_flush(&f.vq);
	CHECK(vdn_vq_need_notify(&f.vq));
	uint32_t id, len;
	CHECK(pdrv_get_used(&f.d, &id, &len));
	/* DISABLE and ENABLE override the event */
	pdrv_set_event(&f.d, EV_DISABLE, 3, true);
	complete(&f, 2, 1);
	CHECK(!vdn_vq_need_notify(&f.vq));
	pdrv_set_event(&f.d, EV_ENABLE, 0, false);
	complete(&f, 1, 1);
	CHECK(vdn_vq_need_notify(&f.vq));
	CHECK(!vdn_vq_need_notify(&f.vq));
	/* an offset past the ring cannot be placed: notify rather than hang */
	pdrv_set_event(&f.d, EV_DESC, 8, false);
	complete(&f, 1, 1);
	CHECK(vdn_vq_need_notify(&f.vq));
	/* two whole laps without a decision cross every event */
	pdrv_set_event(&f.d, EV_DESC, (uint16_t)(f.d.last_used), f.d.used_wrap);
	for (int k = 0; k < 8; k++)
		complete(&f, 2, 1);
	CHECK(vdn_vq_need_notify(&f.vq));
	/* ... while one lap may legitimately miss it: it is behind us */
	pdrv_set_event(&f.d, EV_DESC, (uint16_t)((f.d.last_used + 7) % 8),
		       (f.d.last_used + 7 >= 8) != f.d.used_wrap);
	CHECK(!vdn_vq_need_notify(&f.vq));
	complete(&f, 1, 1);
	CHECK(!vdn_vq_need_notify(&f.vq));
	arena_fini(&f.a);

	/* without EVENT_IDX, DESC means nothing more than ENABLE */
	if (!fx_init(&f, 8, false, false, 3, false))
		return;
	complete(&f, 1, 1);
	pdrv_set_event(&f.d, EV_DESC, 7, true);
	CHECK(vdn_vq_need_notify(&f.vq));
	complete(&f, 1, 1);
	CHECK(vdn_vq_need_notify(&f.vq));
	pdrv_set_event(&f.d, EV_DISABLE, 0, false);
	complete(&f, 1, 1);
	CHECK(!vdn_vq_need_notify(&f.vq));
	CHECK_EQ(f.vq.pk.stats.notifies, 2);
	arena_fini(&f.a);
}

static void test_set_notify(void)
{
	struct fx f;

	if (!fx_init(&f, 8, false, false, 0, true))
		return;
	CHECK_EQ(pdrv_dev_flags(&f.d), EV_ENABLE);
	vdn_vq_set_notify(&f.vq, false);
	CHECK_EQ(pdrv_dev_flags(&f.d), EV_DISABLE);
	/* the re-check after enabling sees a buffer added while disabled */
	uint64_t b = buf(&f, 8);
	pdrv_add(&f.d, &(struct drv_seg){ b, 8, false }, 1);
	vdn_vq_set_notify(&f.vq, true);
	CHECK_EQ(pdrv_dev_flags(&f.d), EV_ENABLE);
	CHECK_EQ(vdn_vq_avail_count(&f.vq), 1);
	arena_fini(&f.a);

	if (!fx_init(&f, 8, true, false, 6, true))
		return;
	CHECK_EQ(pdrv_dev_flags(&f.d), EV_DESC);
	CHECK_EQ(pdrv_dev_off_wrap(&f.d), 0x8006);
	b = buf(&f, 8);
	for (int k = 0; k < 3; k++)
		pdrv_add(&f.d, &(struct drv_seg){ b, 8, false }, 1);
	for (int k = 0; k < 3; k++)
		CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	vdn_vq_set_notify(&f.vq, false);
	CHECK_EQ(pdrv_dev_flags(&f.d), EV_DISABLE);
	vdn_vq_set_notify(&f.vq, true);
	/* kick me when slot 1 of the next lap is made available */
	CHECK_EQ(pdrv_dev_flags(&f.d), EV_DESC);
	CHECK_EQ(pdrv_dev_off_wrap(&f.d), 1);
	arena_fini(&f.a);
}

/* The front over a split ring: the same calls reach vdn_vring_*. */
static void test_front_split(void)
{
	struct arena a;
	struct drv_ring d;
	static struct vdn_vq vq;
	struct vdn_vring_cfg cfg;
	struct vdn_chain c;
	struct vdn_vq_state s;
	uint32_t id, len;

	if (arena_init(&a) || drv_init(&d, &a, 8, 65534)) {
		CHECK(!"fixture setup");
		return;
	}
	drv_cfg(&d, &cfg);
	cfg.event_idx = true;
	CHECK_EQ(vdn_vq_init(&vq, &cfg), 0);
	CHECK(!vq.packed);
	CHECK_EQ(drv_avail_event(&d), 65534);
	uint64_t b = arena_alloc(&a, 64, 8);
	int h[3];
	for (int k = 0; k < 3; k++)
		h[k] = drv_add(&d, &(struct drv_seg){ b + 16 * k, 16, true }, 1);
	CHECK_EQ(vdn_vq_avail_count(&vq), 3);
	for (int k = 0; k < 3; k++)
		CHECK_EQ(vdn_vq_pop(&vq, &c), 1);
	vdn_vq_unpop(&vq, 2);
	CHECK_EQ(vdn_vq_last_avail(&vq), 65535);
	for (int k = 1; k < 3; k++) {
		CHECK_EQ(vdn_vq_pop(&vq, &c), 1);
		CHECK_EQ(c.head, h[k]);
	}
	CHECK_EQ(vdn_vq_pop(&vq, &c), 0);
	for (int k = 0; k < 3; k++)
		vdn_vq_push(&vq, (uint16_t)h[k], (uint32_t)k);
	CHECK(!drv_get_used(&d, &id, &len));
	vdn_vq_flush(&vq);
	CHECK(vdn_vq_need_notify(&vq));
	CHECK(!vdn_vq_need_notify(&vq));
	for (int k = 0; k < 3; k++) {
		CHECK(drv_get_used(&d, &id, &len));
		CHECK_EQ(id, h[k]);
		CHECK_EQ(len, k);
	}
	vdn_vq_set_notify(&vq, true);
	CHECK_EQ(drv_avail_event(&d), 1);
	vdn_vq_get_state(&vq, &s);
	CHECK_EQ(s.last_avail_idx, 1);
	CHECK_EQ(s.last_used_idx, 1);
	CHECK(!s.avail_wrap && !s.used_wrap);
	CHECK_EQ(vdn_vq_stats(&vq)->popped, 3);
	CHECK(vdn_vq_stats(&vq) == &vq.split.stats);
	arena_fini(&a);
}

/* An IOTLB update moves what the ring's IOVAs translate to (see
 * test_vring.c's test_remap): after vdn_vq_remap the ring works on the new
 * memory from where it stood, wrap counters and an id in flight included. */
struct moved {
	struct arena *a;
	uint64_t lo, hi, to;
	bool on;
};

static void *moved_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	struct moved *m = ctx;

	if (!m->on || iova < m->lo || iova >= m->hi)
		return arena_xlate(m->a, iova, len, access);
	if (*len > m->hi - iova)
		*len = m->hi - iova;
	return arena_xlate(m->a, m->to + (iova - m->lo), len, access);
}

static void test_remap(void)
{
	struct fx f;
	struct vdn_vring_cfg cfg, c;
	struct moved mv;
	uint32_t id, len;

	if (!fx_init(&f, 8, true, false, 0, true))
		return;
	mv = (struct moved){ .a = &f.a, .lo = f.d.desc_iova, .hi = f.d.dev_ev_iova + 4 };
	pdrv_cfg(&f.d, &cfg);
	cfg.event_idx = true;
	cfg.xlate = moved_xlate;
	cfg.xlate_ctx = &mv;
	CHECK_EQ(vdn_vq_init(&f.vq, &cfg), 0);
	for (int i = 0; i < 5; i++)
		expect_good(&f);
	uint64_t o = buf(&f, 32);
	int h = pdrv_add(&f.d, &(struct drv_seg){ o, 32, false }, 1);
	CHECK_EQ(vdn_vq_pop(&f.vq, &f.c), 1);
	CHECK_EQ(f.c.head, h);

	c = cfg, c.packed = false;
	CHECK_EQ(vdn_vq_remap(&f.vq, &c), -EINVAL);
	c = cfg, c.num = 16;
	CHECK_EQ(vdn_vq_remap(&f.vq, &c), -EINVAL);
	arena_set(&f.a, ARENA_PLAY_PAGE, 1, 0, 0);
	c = cfg, c.used_iova = ARENA_PLAY_IOVA;
	CHECK_EQ(vdn_vq_remap(&f.vq, &c), -EFAULT);

	uint64_t size = mv.hi - mv.lo;
	mv.to = arena_alloc(&f.a, size + 64, 64);
	uint64_t delta = mv.to - mv.lo;
	memcpy(arena_ptr(&f.a, mv.to), arena_ptr(&f.a, mv.lo), size);
	memset(arena_ptr(&f.a, mv.lo), 0xff, size);
	f.d.desc = arena_ptr(&f.a, f.d.desc_iova + delta);
	f.d.drv_ev = arena_ptr(&f.a, f.d.drv_ev_iova + delta);
	f.d.dev_ev = arena_ptr(&f.a, f.d.dev_ev_iova + delta);
	mv.on = true;
	CHECK_EQ(vdn_vq_remap(&f.vq, &cfg), 0);

	uint64_t popped = st(&f)->popped;
	vdn_vq_push(&f.vq, (uint16_t)h, 0);
	vdn_vq_flush(&f.vq);
	CHECK(pdrv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, h);
	for (int i = 0; i < 20; i++) /* laps on the copy */
		expect_good(&f);
	check_positions(&f);
	CHECK_EQ(st(&f)->popped, popped + 20);
	CHECK_EQ(vring_bad_total(st(&f)), 0);
	arena_fini(&f.a);
}

int main(void)
{
	RUN(test_remap);
	RUN(test_init);
	RUN(test_basic);
	RUN(test_wrap);
	RUN(test_full_ring);
	RUN(test_batch_publish);
	RUN(test_push_unknown);
	RUN(test_unpop);
	RUN(test_indirect);
	RUN(test_malformed);
	RUN(test_xlate_quirks);
	RUN(test_too_many_iov);
	RUN(test_len_overflow);
	RUN(test_notify_desc);
	RUN(test_set_notify);
	RUN(test_front_split);
	return check_report();
}
