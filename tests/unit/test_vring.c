/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vring against a driver-side split ring in plain memory (vring_driver.c).
 * Buffers live in a guarded arena, so any read the ring makes outside what
 * its xlate callback returned faults the test rather than passing silently.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vdn_vring.h"
#include "vring_driver.h"

struct fx {
	struct arena a;
	struct drv_ring d;
	struct vdn_vring vr;
	struct vdn_chain c;
};

static bool fx_init(struct fx *f, uint16_t num, bool event_idx, bool indirect, uint16_t start)
{
	struct vdn_vring_cfg cfg;

	memset(f, 0, sizeof(*f));
	if (arena_init(&f->a) || drv_init(&f->d, &f->a, num, start)) {
		CHECK(!"fixture setup");
		return false;
	}
	drv_cfg(&f->d, &cfg);
	cfg.event_idx = event_idx;
	cfg.indirect = indirect;
	CHECK_EQ(vdn_vring_init(&f->vr, &cfg), 0);
	return true;
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

/* Return the chain just popped, empty, and check the driver gets it. */
static void give_back(struct fx *f)
{
	uint32_t id, len;

	vdn_vring_push(&f->vr, f->c.head, 0);
	vdn_vring_flush(&f->vr);
	CHECK(drv_get_used(&f->d, &id, &len));
	CHECK_EQ(id, f->c.head);
	CHECK_EQ(len, 0);
}

/* One well-formed chain, 1 out + 2 in, all the way round with content. */
static void expect_good(struct fx *f)
{
	uint64_t out = buf(f, 24), in1 = buf(f, 10), in2 = buf(f, 30);
	struct drv_seg segs[] = { { out, 24, false }, { in1, 10, true }, { in2, 30, true } };
	uint8_t got[24], want[24], reply[40];
	uint32_t id, len;
	int head;

	fill(f, out, 24, 0x31);
	memcpy(want, arena_ptr(&f->a, out), 24);
	head = drv_add(&f->d, segs, 3);
	CHECK(head >= 0);
	CHECK_EQ(vdn_vring_pop(&f->vr, &f->c), 1);
	CHECK_EQ(f->c.head, head);
	CHECK_EQ(f->c.n_out, 1);
	CHECK_EQ(f->c.n_in, 2);
	CHECK_EQ(f->c.out_len, 24);
	CHECK_EQ(f->c.in_len, 40);
	check_chain_in_arena(f);
	CHECK_EQ(vdn_iov_to_buf(f->c.iov, f->c.n_out, 0, got, sizeof(got)), 24);
	CHECK(!memcmp(got, want, 24));
	for (int i = 0; i < 40; i++)
		reply[i] = (uint8_t)(0xa0 ^ i);
	CHECK_EQ(vdn_iov_from_buf(f->c.iov + f->c.n_out, f->c.n_in, 0, reply, 40), 40);
	vdn_vring_push(&f->vr, f->c.head, 40);
	vdn_vring_flush(&f->vr);
	CHECK(drv_get_used(&f->d, &id, &len));
	CHECK_EQ(id, head);
	CHECK_EQ(len, 40);
	CHECK(!memcmp(arena_ptr(&f->a, in1), reply, 10));
	CHECK(!memcmp(arena_ptr(&f->a, in2), reply + 10, 30));
}

/*
 * Pop a malformed chain and check it was counted under `why` only, came
 * back as used with length 0 (head >= 0) or not at all (head < 0), and
 * that the queue still works afterwards.
 */
static void expect_reject_(struct fx *f, enum vdn_vring_err why, int head, const char *what,
			   int line)
{
	struct vdn_vring_stats before = f->vr.stats;
	uint16_t used_before = drv_used_idx(&f->d);
	int fails = check_failures;
	uint32_t id = 0, len = 0;

	CHECK_EQ(vdn_vring_pop(&f->vr, &f->c), -EBADMSG);
	CHECK_EQ(f->c.n_out + f->c.n_in, 0);
	CHECK_EQ(f->c.why, why);
	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		CHECK_EQ(f->vr.stats.bad[r] - before.bad[r], r == (int)why);
	CHECK_EQ(f->vr.stats.popped, before.popped);
	vdn_vring_flush(&f->vr);
	if (head >= 0) {
		CHECK(drv_get_used(&f->d, &id, &len));
		CHECK_EQ(id, head);
		CHECK_EQ(len, 0);
	} else {
		CHECK_EQ(drv_used_idx(&f->d), used_before);
	}
	CHECK(!drv_get_used(&f->d, &id, &len));
	expect_good(f);
	if (check_failures != fails)
		fprintf(stderr, "  ... in case '%s' (line %d)\n", what, line);
}
#define expect_reject(f, why, head, what) expect_reject_(f, why, head, what, __LINE__)

static void test_init(void)
{
	struct arena a;
	struct drv_ring d;
	struct vdn_vring vr;
	struct vdn_vring_cfg cfg, c;

	if (arena_init(&a) || drv_init(&d, &a, 8, 0)) {
		CHECK(!"fixture setup");
		return;
	}
	drv_cfg(&d, &cfg);

	c = cfg, c.num = 0;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EINVAL);
	c = cfg, c.num = 12;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EINVAL);
	c = cfg, c.num = 65535;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EINVAL);
	c = cfg, c.xlate = NULL;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EINVAL);
	c = cfg, c.desc_iova += 8;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EINVAL);
	c = cfg, c.avail_iova += 1;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EINVAL);
	c = cfg, c.used_iova += 2;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EINVAL);

	/* unmapped, past the end, wrapping, read-only used, split area */
	arena_set(&a, ARENA_PLAY_PAGE, 1, 0, 0);
	c = cfg, c.desc_iova = ARENA_PLAY_IOVA;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EFAULT);
	c = cfg, c.desc_iova = ARENA_SIZE - 64;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EFAULT);
	c = cfg, c.avail_iova = UINT64_MAX - 7;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EFAULT);
	arena_set(&a, ARENA_PLAY_PAGE + 1, 1, VDN_ACCESS_READ, 0);
	c = cfg, c.used_iova = ARENA_PLAY_IOVA + ARENA_PAGE;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EFAULT);
	arena_set(&a, ARENA_PLAY_PAGE + 2, 1, ARENA_RW, 7);
	arena_set(&a, ARENA_PLAY_PAGE + 3, 1, ARENA_RW, 8);
	c = cfg, c.avail_iova = ARENA_PLAY_IOVA + 3 * ARENA_PAGE - 8;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EFAULT);
	/* the event word makes the used area 2 bytes longer: it must map too */
	c = cfg, c.used_iova = ARENA_PLAY_IOVA + 3 * ARENA_PAGE - (4 + 8 * 8);
	CHECK_EQ(vdn_vring_init(&vr, &c), 0);
	c.event_idx = true;
	CHECK_EQ(vdn_vring_init(&vr, &c), -EFAULT);

	/* largest queue */
	c = cfg;
	c.num = 32768;
	c.desc_iova = arena_alloc(&a, 16ull * 32768, 16);
	c.avail_iova = arena_alloc(&a, 6 + 2ull * 32768, 2);
	c.used_iova = arena_alloc(&a, 6 + 8ull * 32768, 4);
	c.event_idx = true;
	CHECK_EQ(vdn_vring_init(&vr, &c), 0);
	CHECK_EQ(vr.mask, 32767);

	/* kicks start enabled whatever the memory said */
	d.used->flags = htole16(VRING_USED_F_NO_NOTIFY);
	CHECK_EQ(vdn_vring_init(&vr, &cfg), 0);
	CHECK_EQ(drv_used_flags(&d), 0);
	drv_set_avail_event(&d, 1234);
	c = cfg, c.event_idx = true, c.last_avail_idx = 77;
	CHECK_EQ(vdn_vring_init(&vr, &c), 0);
	CHECK_EQ(drv_avail_event(&d), 77);
	CHECK_EQ(vdn_vring_last_avail(&vr), 77);
	arena_fini(&a);
}

static void test_basic(void)
{
	struct fx f;
	uint32_t id, len;
	uint8_t tmp[64];

	if (!fx_init(&f, 16, false, false, 0))
		return;
	CHECK_EQ(vdn_vring_avail_count(&f.vr), 0);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 0);

	/* out-only, single */
	uint64_t o = buf(&f, 100);
	fill(&f, o, 100, 5);
	int h = drv_add(&f.d, &(struct drv_seg){ o, 100, false }, 1);
	CHECK_EQ(vdn_vring_avail_count(&f.vr), 1);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out, 1);
	CHECK_EQ(f.c.n_in, 0);
	CHECK_EQ(f.c.out_len, 100);
	CHECK_EQ(f.c.in_len, 0);
	CHECK(f.c.iov[0].base == arena_ptr(&f.a, o));
	CHECK_EQ(f.c.iov[0].len, 100);
	CHECK_EQ(vdn_vring_avail_count(&f.vr), 0);

	/* in-only, chained across three descriptors */
	uint64_t i1 = buf(&f, 8), i2 = buf(&f, 16), i3 = buf(&f, 4);
	struct drv_seg in[] = { { i1, 8, true }, { i2, 16, true }, { i3, 4, true } };
	int h2 = drv_add(&f.d, in, 3);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.head, h2);
	CHECK_EQ(f.c.n_out, 0);
	CHECK_EQ(f.c.n_in, 3);
	CHECK_EQ(f.c.in_len, 28);
	CHECK(f.c.iov[1].base == arena_ptr(&f.a, i2));
	check_chain_in_arena(&f);
	for (int i = 0; i < 28; i++)
		tmp[i] = (uint8_t)(200 + i);
	CHECK_EQ(vdn_iov_from_buf(f.c.iov, f.c.n_in, 0, tmp, 28), 28);

	/* completions in a different order than pops; published at flush */
	vdn_vring_push(&f.vr, (uint16_t)h2, 28);
	vdn_vring_push(&f.vr, (uint16_t)h, 0);
	CHECK(!drv_get_used(&f.d, &id, &len));
	vdn_vring_flush(&f.vr);
	CHECK_EQ(drv_used_idx(&f.d), 2);
	CHECK(drv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, h2);
	CHECK_EQ(len, 28);
	CHECK(drv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, h);
	CHECK_EQ(len, 0);
	CHECK(!drv_get_used(&f.d, &id, &len));
	CHECK(!memcmp(arena_ptr(&f.a, i2), tmp + 8, 16));
	CHECK_EQ(*(uint8_t *)arena_ptr(&f.a, i3), 224);

	/* mixed, with content round trip */
	expect_good(&f);
	CHECK_EQ(f.vr.stats.popped, 3);
	CHECK_EQ(vring_bad_total(&f.vr.stats), 0);
	arena_fini(&f.a);
}

static void test_iov_copy(void)
{
	uint8_t a[3] = { 1, 2, 3 }, b[1] = { 4 }, c[5] = { 5, 6, 7, 8, 9 };
	struct vdn_iov iov[] = { { a, 3 }, { b, 1 }, { c, 5 } };
	uint8_t out[16], in[9] = { 10, 11, 12, 13, 14, 15, 16, 17, 18 };

	memset(out, 0, sizeof(out));
	CHECK_EQ(vdn_iov_to_buf(iov, 3, 0, out, sizeof(out)), 9);
	for (int i = 0; i < 9; i++)
		CHECK_EQ(out[i], i + 1);
	CHECK_EQ(vdn_iov_to_buf(iov, 3, 2, out, 3), 3);
	CHECK_EQ(out[0], 3);
	CHECK_EQ(out[1], 4);
	CHECK_EQ(out[2], 5);
	CHECK_EQ(vdn_iov_to_buf(iov, 3, 4, out, 100), 5);
	CHECK_EQ(out[0], 5);
	CHECK_EQ(vdn_iov_to_buf(iov, 3, 9, out, 4), 0);
	CHECK_EQ(vdn_iov_to_buf(iov, 3, 50, out, 4), 0);
	CHECK_EQ(vdn_iov_to_buf(iov, 0, 0, out, 4), 0);
	CHECK_EQ(vdn_iov_to_buf(iov, 3, 1, out, 0), 0);

	CHECK_EQ(vdn_iov_from_buf(iov, 3, 3, in, 4), 4);
	CHECK_EQ(a[2], 3);
	CHECK_EQ(b[0], 10);
	CHECK_EQ(c[0], 11);
	CHECK_EQ(c[2], 13);
	CHECK_EQ(c[3], 8);
	CHECK_EQ(vdn_iov_from_buf(iov, 3, 7, in, 9), 2);
	CHECK_EQ(c[3], 10);
	CHECK_EQ(c[4], 11);
}

/* >65536 chains through a small queue so every 16-bit index wraps, with
 * batches of varying size and chains of varying length. */
static void test_wrap(void)
{
	enum { NUM = 16, BATCH = 5, OPS = 70000 };
	struct fx f;
	uint64_t out[BATCH], in[BATCH];
	int heads[BATCH];
	unsigned long done = 0, seq = 0;
	int bad = 0;

	if (!fx_init(&f, NUM, true, true, 0))
		return;
	uint64_t tables = arena_alloc(&f.a, BATCH * 3 * 16, 16);
	for (int k = 0; k < BATCH; k++) {
		out[k] = buf(&f, 8);
		in[k] = buf(&f, 8);
	}
	while (done < OPS) {
		int n = 1 + (int)(seq % BATCH);

		for (int k = 0; k < n; k++, seq++) {
			struct drv_seg s[3] = { { out[k], 4, false }, { out[k] + 4, 4, false },
						{ in[k], 8, true } };
			uint32_t v = (uint32_t)seq;

			memcpy(arena_ptr(&f.a, out[k]), &v, 4);
			memcpy((uint8_t *)arena_ptr(&f.a, out[k]) + 4, &v, 4);
			if (seq % 3 == 0)
				heads[k] = drv_add_indirect(&f.d, tables + k * 48, s, 3);
			else if (seq % 3 == 1)
				heads[k] = drv_add(&f.d, s, 3);
			else
				heads[k] = drv_add(&f.d, s + 1, 2);
			bad |= heads[k] < 0;
		}
		bad |= vdn_vring_avail_count(&f.vr) != n;
		for (int k = 0; k < n; k++) {
			uint32_t v[2];

			bad |= vdn_vring_pop(&f.vr, &f.c) != 1;
			bad |= f.c.head != heads[k] || f.c.in_len != 8;
			bad |= vdn_iov_to_buf(f.c.iov, f.c.n_out, 0, v, 8) != f.c.out_len;
			bad |= v[0] != (uint32_t)(seq - n + k);
			v[0] = ~v[0];
			vdn_iov_from_buf(f.c.iov + f.c.n_out, f.c.n_in, 0, v, 4);
			vdn_vring_push(&f.vr, f.c.head, 4);
		}
		bad |= vdn_vring_pop(&f.vr, &f.c) != 0;
		vdn_vring_flush(&f.vr);
		for (int k = 0; k < n; k++) {
			uint32_t id = 0, len = 0, v;

			bad |= !drv_get_used(&f.d, &id, &len);
			bad |= id != (uint32_t)heads[k] || len != 4;
			memcpy(&v, arena_ptr(&f.a, in[k]), 4);
			bad |= v != ~(uint32_t)(seq - n + k);
		}
		done += n;
		if (bad) {
			CHECK(!"wrap round trip");
			fprintf(stderr, "  ... at op %lu\n", done);
			break;
		}
	}
	CHECK_EQ(f.vr.stats.popped, done);
	CHECK_EQ(vdn_vring_last_avail(&f.vr), (uint16_t)done);
	CHECK_EQ(drv_used_idx(&f.d), (uint16_t)done);
	CHECK(done > 65536);
	CHECK_EQ(vring_bad_total(&f.vr.stats), 0);
	arena_fini(&f.a);
}

static void test_full_empty(void)
{
	enum { NUM = 4 };
	struct fx f;
	int heads[NUM];
	uint32_t id, len;

	if (!fx_init(&f, NUM, false, false, 65534))
		return;
	uint64_t b = buf(&f, 64);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 0);
	for (int k = 0; k < NUM; k++)
		heads[k] = drv_add(&f.d, &(struct drv_seg){ b + 16 * k, 16, true }, 1);
	CHECK_EQ(drv_add(&f.d, &(struct drv_seg){ b, 16, true }, 1), -1);
	/* exactly num outstanding is legal, not a corrupt index */
	CHECK_EQ(vdn_vring_avail_count(&f.vr), NUM);
	for (int k = 0; k < NUM; k++) {
		CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
		CHECK_EQ(f.c.head, heads[k]);
		CHECK(f.c.iov[0].base == arena_ptr(&f.a, b + 16 * k));
	}
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 0);
	CHECK_EQ(vdn_vring_avail_count(&f.vr), 0);
	for (int k = NUM - 1; k >= 0; k--)
		vdn_vring_push(&f.vr, (uint16_t)heads[k], (uint32_t)k);
	vdn_vring_flush(&f.vr);
	CHECK_EQ(drv_used_idx(&f.d), (uint16_t)(65534 + NUM));
	for (int k = NUM - 1; k >= 0; k--) {
		CHECK(drv_get_used(&f.d, &id, &len));
		CHECK_EQ(id, heads[k]);
		CHECK_EQ(len, k);
	}
	CHECK(!drv_get_used(&f.d, &id, &len));
	CHECK_EQ(vdn_vring_last_avail(&f.vr), 2);
	expect_good(&f);
	arena_fini(&f.a);
}

static void test_unpop(void)
{
	struct fx f;
	int heads[3];

	if (!fx_init(&f, 8, false, false, 65534))
		return;
	uint64_t b = buf(&f, 48);
	for (int k = 0; k < 3; k++)
		heads[k] = drv_add(&f.d, &(struct drv_seg){ b + 16 * k, 16, true }, 1);
	for (int k = 0; k < 3; k++)
		CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(vdn_vring_last_avail(&f.vr), 1);
	vdn_vring_unpop(&f.vr, 2); /* back across the wrap */
	CHECK_EQ(vdn_vring_last_avail(&f.vr), 65535);
	CHECK_EQ(f.vr.stats.popped, 1);
	CHECK_EQ(vdn_vring_avail_count(&f.vr), 2);
	for (int k = 1; k < 3; k++) {
		CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
		CHECK_EQ(f.c.head, heads[k]);
		CHECK(f.c.iov[0].base == arena_ptr(&f.a, b + 16 * k));
	}
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 0);
	CHECK_EQ(f.vr.stats.popped, 3);
	arena_fini(&f.a);
}

static void test_indirect(void)
{
	struct fx f;

	if (!fx_init(&f, 16, false, true, 0))
		return;
	uint64_t o = buf(&f, 32), i = buf(&f, 64);
	uint64_t t = arena_alloc(&f.a, 80 * 16, 16);
	struct drv_seg s[] = { { o, 12, false }, { o + 12, 20, false }, { i, 64, true } };
	int h;

	fill(&f, o, 32, 9);
	h = drv_add_indirect(&f.d, t, s, 3);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out, 2);
	CHECK_EQ(f.c.n_in, 1);
	CHECK_EQ(f.c.out_len, 32);
	CHECK_EQ(f.c.in_len, 64);
	CHECK(f.c.iov[1].base == arena_ptr(&f.a, o + 12));
	check_chain_in_arena(&f);
	give_back(&f);

	/* direct descriptors may lead into a table that ends the chain */
	drv_write_desc(arena_ptr(&f.a, t), 0, i, 64, VRING_DESC_F_WRITE, 0);
	drv_set_desc(&f.d, 10, o, 32, VRING_DESC_F_NEXT, 11);
	drv_set_desc(&f.d, 11, t, 16, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 10);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.n_out, 1);
	CHECK_EQ(f.c.n_in, 1);
	CHECK_EQ(f.c.head, 10);
	give_back(&f);

	/* a table straddling two mappings is read piecewise */
	uint64_t st = ARENA_PLAY_IOVA + 2 * ARENA_PAGE - 40;
	arena_set(&f.a, ARENA_PLAY_PAGE + 1, 1, ARENA_RW, 3);
	arena_set(&f.a, ARENA_PLAY_PAGE + 2, 1, ARENA_RW, 4);
	h = drv_add_indirect(&f.d, st, s, 3);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out + f.c.n_in, 3);
	CHECK_EQ(f.c.in_len, 64);
	give_back(&f);

	/* malformed tables */
	h = drv_add_indirect(&f.d, t, s, 3);
	drv_write_desc(arena_ptr(&f.a, t), 1, t, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 2);
	expect_reject(&f, VDN_VRING_E_INDIRECT, h, "nested indirect");

	static const uint32_t bad_len[] = { 0, 8, 24, 17 };
	for (unsigned int k = 0; k < 4; k++) {
		drv_set_desc(&f.d, 12, t, bad_len[k], VRING_DESC_F_INDIRECT, 0);
		drv_publish(&f.d, 12);
		expect_reject(&f, VDN_VRING_E_INDIRECT, 12, "indirect length");
	}

	drv_write_desc(arena_ptr(&f.a, t), 0, i, 64, VRING_DESC_F_WRITE, 0);
	drv_set_desc(&f.d, 12, t, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 13);
	drv_set_desc(&f.d, 13, i, 8, VRING_DESC_F_WRITE, 0);
	drv_publish(&f.d, 12);
	expect_reject(&f, VDN_VRING_E_INDIRECT, 12, "INDIRECT|NEXT");

	drv_write_desc(arena_ptr(&f.a, t), 0, o, 8, VRING_DESC_F_NEXT, 3);
	drv_set_desc(&f.d, 12, t, 48, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 12);
	expect_reject(&f, VDN_VRING_E_NEXT_RANGE, 12, "indirect next >= table size");

	drv_write_desc(arena_ptr(&f.a, t), 0, o, 8, VRING_DESC_F_NEXT, 1);
	drv_write_desc(arena_ptr(&f.a, t), 1, o, 8, VRING_DESC_F_NEXT, 0);
	drv_set_desc(&f.d, 12, t, 32, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 12);
	expect_reject(&f, VDN_VRING_E_LOOP, 12, "indirect loop");

	/* the table's second entry lies in a hole */
	arena_set(&f.a, ARENA_PLAY_PAGE + 4, 1, ARENA_RW, 0);
	arena_set(&f.a, ARENA_PLAY_PAGE + 5, 1, 0, 0);
	uint64_t ht = ARENA_PLAY_IOVA + 5 * ARENA_PAGE - 16;
	drv_write_desc(arena_ptr(&f.a, ht), 0, o, 8, VRING_DESC_F_NEXT, 1);
	drv_set_desc(&f.d, 12, ht, 32, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 12);
	expect_reject(&f, VDN_VRING_E_XLATE, 12, "indirect table runs into a hole");
	drv_set_desc(&f.d, 12, ht + 16, 16, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 12);
	expect_reject(&f, VDN_VRING_E_XLATE, 12, "indirect table in a hole");
	/* the walk would end in the mapped part, but the table is one buffer:
	 * its tail in a hole is an address outside the map like any other */
	drv_write_desc(arena_ptr(&f.a, ht), 0, o, 8, 0, 0);
	drv_set_desc(&f.d, 12, ht, 32, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 12);
	expect_reject(&f, VDN_VRING_E_XLATE, 12, "indirect table's unused tail in a hole");
	drv_set_desc(&f.d, 12, ht, 16, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 12);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.out_len, 8);
	give_back(&f);
	/* more entries than a 16-bit next can reach */
	drv_write_desc(arena_ptr(&f.a, t), 0, o, 8, 0, 0);
	drv_set_desc(&f.d, 12, t, 16u * 65537, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 12);
	expect_reject(&f, VDN_VRING_E_INDIRECT, 12, "indirect table of 65537 entries");
	drv_set_desc(&f.d, 12, UINT64_MAX - 15, 32, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 12);
	expect_reject(&f, VDN_VRING_E_XLATE, 12, "indirect table wraps IOVA space");
	arena_fini(&f.a);

	/* not negotiated */
	if (!fx_init(&f, 16, false, false, 0))
		return;
	o = buf(&f, 32);
	t = arena_alloc(&f.a, 48, 16);
	h = drv_add_indirect(&f.d, t, (struct drv_seg[]){ { o, 32, false } }, 1);
	expect_reject(&f, VDN_VRING_E_INDIRECT, h, "indirect not negotiated");
	arena_fini(&f.a);
}

static void test_malformed(void)
{
	struct fx f;
	uint32_t id, len;

	if (!fx_init(&f, 16, false, false, 0))
		return;
	uint64_t o = buf(&f, 64), i = buf(&f, 64);

	drv_publish(&f.d, 16);
	expect_reject(&f, VDN_VRING_E_HEAD_RANGE, -1, "head == num");
	drv_publish(&f.d, 0xffff);
	expect_reject(&f, VDN_VRING_E_HEAD_RANGE, -1, "head 0xffff");

	drv_set_desc(&f.d, 15, o, 8, VRING_DESC_F_NEXT, 16);
	drv_publish(&f.d, 15);
	expect_reject(&f, VDN_VRING_E_NEXT_RANGE, 15, "next == num");

	drv_set_desc(&f.d, 15, o, 8, VRING_DESC_F_NEXT, 14);
	drv_set_desc(&f.d, 14, o, 8, VRING_DESC_F_NEXT, 15);
	drv_publish(&f.d, 15);
	expect_reject(&f, VDN_VRING_E_LOOP, 15, "loop a->b->a");

	drv_set_desc(&f.d, 15, o, 8, VRING_DESC_F_NEXT, 15);
	drv_publish(&f.d, 15);
	expect_reject(&f, VDN_VRING_E_LOOP, 15, "self loop");

	drv_set_desc(&f.d, 15, o, 8, 0, 0);
	drv_set_desc(&f.d, 14, 0, 0, VRING_DESC_F_NEXT, 15);
	drv_publish(&f.d, 14);
	expect_reject(&f, VDN_VRING_E_ZERO_LEN, 14, "zero-length head");
	drv_set_desc(&f.d, 14, o, 8, VRING_DESC_F_NEXT, 15);
	drv_set_desc(&f.d, 15, o, 0, VRING_DESC_F_WRITE, 0);
	drv_publish(&f.d, 14);
	expect_reject(&f, VDN_VRING_E_ZERO_LEN, 14, "zero-length tail");

	drv_set_desc(&f.d, 14, i, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 15);
	drv_set_desc(&f.d, 15, o, 8, 0, 0);
	drv_publish(&f.d, 14);
	expect_reject(&f, VDN_VRING_E_ORDER, 14, "readable after writable");

	/* xlate misses: hole, past the arena, wrapping, write to read-only */
	arena_set(&f.a, ARENA_PLAY_PAGE, 1, 0, 0);
	arena_set(&f.a, ARENA_PLAY_PAGE + 1, 1, VDN_ACCESS_READ, 1);
	drv_set_desc(&f.d, 14, o, 8, VRING_DESC_F_NEXT, 15);
	drv_set_desc(&f.d, 15, ARENA_PLAY_IOVA + 100, 8, 0, 0);
	drv_publish(&f.d, 14);
	expect_reject(&f, VDN_VRING_E_XLATE, 14, "buffer in a hole");
	drv_set_desc(&f.d, 15, ARENA_PLAY_IOVA - 8, 16, 0, 0);
	drv_publish(&f.d, 14);
	expect_reject(&f, VDN_VRING_E_XLATE, 14, "buffer runs into a hole");
	drv_set_desc(&f.d, 15, ARENA_SIZE, 8, 0, 0);
	drv_publish(&f.d, 15);
	expect_reject(&f, VDN_VRING_E_XLATE, 15, "buffer past the arena");
	drv_set_desc(&f.d, 15, UINT64_MAX - 3, 8, 0, 0);
	drv_publish(&f.d, 15);
	expect_reject(&f, VDN_VRING_E_XLATE, 15, "buffer wraps IOVA space");
	drv_set_desc(&f.d, 15, ARENA_PLAY_IOVA + ARENA_PAGE, 8, VRING_DESC_F_WRITE, 0);
	drv_publish(&f.d, 15);
	expect_reject(&f, VDN_VRING_E_XLATE, 15, "writable buffer read-only");
	/* reading that region is fine */
	drv_set_desc(&f.d, 15, ARENA_PLAY_IOVA + ARENA_PAGE, 8, 0, 0);
	drv_publish(&f.d, 15);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	check_chain_in_arena(&f);
	give_back(&f);
	arena_fini(&f.a);

	/*
	 * A chain through every descriptor is fine; one step more is a loop.
	 * With num == VDN_VRING_MAX_IOV the bound is pinned exactly: one
	 * step too many would first fail as too-many-iov.  Same for a table.
	 */
	enum { N = VDN_VRING_MAX_IOV };
	if (!fx_init(&f, N, false, true, 0))
		return;
	o = buf(&f, N);
	uint64_t t = arena_alloc(&f.a, 16 * N, 16);
	for (uint16_t k = 0; k < N; k++)
		drv_set_desc(&f.d, k, o, 1, k < N - 1 ? VRING_DESC_F_NEXT : 0, (uint16_t)(k + 1));
	drv_publish(&f.d, 0);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.n_out, N);
	CHECK_EQ(f.c.out_len, N);
	vdn_vring_push(&f.vr, 0, 0);
	drv_set_desc(&f.d, N - 1, o, 1, VRING_DESC_F_NEXT, 0);
	drv_publish(&f.d, 0);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), -EBADMSG);
	CHECK_EQ(f.vr.stats.bad[VDN_VRING_E_LOOP], 1);
	for (uint16_t k = 0; k < N; k++)
		drv_write_desc(arena_ptr(&f.a, t), k, o, 1, VRING_DESC_F_NEXT, (uint16_t)((k + 1) % N));
	drv_set_desc(&f.d, 0, t, 16 * N, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 0);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), -EBADMSG);
	CHECK_EQ(f.vr.stats.bad[VDN_VRING_E_LOOP], 2);
	CHECK_EQ(vring_bad_total(&f.vr.stats), 2);
	vdn_vring_flush(&f.vr);
	for (int k = 0; k < 3; k++) {
		CHECK(drv_get_used(&f.d, &id, &len));
		CHECK_EQ(id, 0);
		CHECK_EQ(len, 0);
	}
	/* free the raw slots again for the good chain */
	for (uint16_t k = 0; k < N; k++)
		f.d.free_stack[k] = k;
	f.d.nfree = N;
	expect_good(&f);
	arena_fini(&f.a);
}

static void test_span_mappings(void)
{
	struct fx f;
	uint32_t id, len;

	if (!fx_init(&f, 8, false, false, 0))
		return;
	/* three adjacent mappings; one 600-byte buffer crosses both seams */
	arena_set(&f.a, ARENA_PLAY_PAGE, 1, ARENA_RW, 1);
	arena_set(&f.a, ARENA_PLAY_PAGE + 1, 1, ARENA_RW, 2);
	arena_set(&f.a, ARENA_PLAY_PAGE + 2, 1, ARENA_RW, 3);
	uint64_t o = ARENA_PLAY_IOVA + ARENA_PAGE - 100;
	uint64_t in = ARENA_PLAY_IOVA + 2 * ARENA_PAGE - 30;
	struct drv_seg s[] = { { o, 200, false }, { in, 60, true } };
	uint8_t got[200], reply[60];

	fill(&f, o, 200, 3);
	int h = drv_add(&f.d, s, 2);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out, 2);
	CHECK_EQ(f.c.n_in, 2);
	CHECK_EQ(f.c.iov[0].len, 100);
	CHECK_EQ(f.c.iov[1].len, 100);
	CHECK_EQ(f.c.iov[2].len, 30);
	CHECK_EQ(f.c.iov[3].len, 30);
	CHECK(f.c.iov[1].base == arena_ptr(&f.a, ARENA_PLAY_IOVA + ARENA_PAGE));
	CHECK_EQ(f.c.out_len, 200);
	CHECK_EQ(f.c.in_len, 60);
	check_chain_in_arena(&f);
	CHECK_EQ(vdn_iov_to_buf(f.c.iov, f.c.n_out, 0, got, 200), 200);
	CHECK(!memcmp(got, arena_ptr(&f.a, o), 200));
	for (int k = 0; k < 60; k++)
		reply[k] = (uint8_t)(k * 3);
	CHECK_EQ(vdn_iov_from_buf(f.c.iov + 2, 2, 0, reply, 60), 60);
	CHECK(!memcmp(arena_ptr(&f.a, in), reply, 60));
	vdn_vring_push(&f.vr, f.c.head, 60);
	vdn_vring_flush(&f.vr);
	CHECK(drv_get_used(&f.d, &id, &len));
	CHECK_EQ(len, 60);
	arena_fini(&f.a);
}

/* xlate() answers the ring must not trust blindly */
static void test_xlate_quirks(void)
{
	struct fx f;

	if (!fx_init(&f, 8, false, true, 0))
		return;
	f.a.greedy = true;
	uint64_t o = buf(&f, 64), t = arena_alloc(&f.a, 64, 16);
	struct drv_seg s[] = { { o, 10, false }, { o + 10, 6, true } };
	int h = drv_add(&f.d, s, 2);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out + f.c.n_in, 2);
	CHECK_EQ(f.c.iov[0].len, 10);
	CHECK_EQ(f.c.iov[1].len, 6);
	CHECK_EQ(f.c.out_len, 10);
	CHECK_EQ(f.c.in_len, 6);
	give_back(&f);
	/* a table followed by more descriptor-like bytes */
	drv_write_desc(arena_ptr(&f.a, t), 2, o, 50, VRING_DESC_F_WRITE, 0);
	h = drv_add_indirect(&f.d, t, s, 2);
	drv_write_desc(arena_ptr(&f.a, t), 1, o + 10, 6, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	expect_reject(&f, VDN_VRING_E_NEXT_RANGE, h, "greedy xlate, next past the table");
	f.a.greedy = false;

	/* a buffer may end at 2^64 but not run past it */
	f.a.top = true;
	drv_set_desc(&f.d, 7, (uint64_t)0 - 16, 16, 0, 0);
	drv_publish(&f.d, 7);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.n_out, 1);
	CHECK(f.c.iov[0].base == arena_ptr(&f.a, ARENA_SIZE - 16));
	check_chain_in_arena(&f);
	give_back(&f);
	drv_set_desc(&f.d, 7, (uint64_t)0 - 8, 16, 0, 0);
	drv_publish(&f.d, 7);
	expect_reject(&f, VDN_VRING_E_XLATE, 7, "buffer wraps past 2^64 into IOVA 0");
	drv_write_desc(arena_ptr(&f.a, ARENA_SIZE - 32), 0, o, 8, 0, 0);
	drv_set_desc(&f.d, 7, (uint64_t)0 - 32, 32, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 7);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.out_len, 8);
	give_back(&f);
	drv_set_desc(&f.d, 7, (uint64_t)0 - 16, 32, VRING_DESC_F_INDIRECT, 0);
	drv_publish(&f.d, 7);
	expect_reject(&f, VDN_VRING_E_XLATE, 7, "indirect table wraps past 2^64");
	arena_fini(&f.a);
}

static void test_too_many_iov(void)
{
	struct fx f;
	struct drv_seg s[VDN_VRING_MAX_IOV + 1];

	if (!fx_init(&f, 64, false, true, 0))
		return;
	uint64_t b = buf(&f, 8 * (VDN_VRING_MAX_IOV + 1));
	uint64_t t = arena_alloc(&f.a, 16 * (VDN_VRING_MAX_IOV + 1), 16);
	for (int k = 0; k <= VDN_VRING_MAX_IOV; k++)
		s[k] = (struct drv_seg){ b + 8 * k, 8, k >= 10 };

	int h = drv_add_indirect(&f.d, t, s, VDN_VRING_MAX_IOV);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.n_out, 10);
	CHECK_EQ(f.c.n_in, VDN_VRING_MAX_IOV - 10);
	give_back(&f);

	h = drv_add_indirect(&f.d, t, s, VDN_VRING_MAX_IOV + 1);
	expect_reject(&f, VDN_VRING_E_TOO_MANY_IOV, h, "65 indirect entries");

	/* 33 direct descriptors, each split in two by a mapping seam */
	for (unsigned int p = 0; p < 33; p++)
		arena_set(&f.a, ARENA_PLAY_PAGE + p, 1, ARENA_RW, (uint16_t)(p + 1));
	for (uint16_t k = 0; k < 33; k++)
		s[k] = (struct drv_seg){ ARENA_PLAY_IOVA + (k + 1) * ARENA_PAGE - 4, 8, false };
	h = drv_add(&f.d, s, 33);
	expect_reject(&f, VDN_VRING_E_TOO_MANY_IOV, h, "33 split descriptors");
	h = drv_add(&f.d, s, 32);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.n_out, VDN_VRING_MAX_IOV);
	check_chain_in_arena(&f);
	arena_fini(&f.a);
}

static void test_len_overflow(void)
{
	struct fx f;

	if (!fx_init(&f, 8, false, false, 0))
		return;
	if (arena_enable_big(&f.a)) {
		CHECK(!"reserve 2 GiB of address space");
		arena_fini(&f.a);
		return;
	}
	struct drv_seg fits[] = { { ARENA_BIG_IOVA, 0x80000000u, false },
				  { ARENA_BIG_IOVA, 0x7fffffffu, false },
				  { ARENA_BIG_IOVA, 0x80000000u, true } };
	int h = drv_add(&f.d, fits, 3);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.head, h);
	CHECK_EQ(f.c.out_len, 0xffffffffu);
	CHECK_EQ(f.c.in_len, 0x80000000u);
	give_back(&f);

	struct drv_seg over[] = { { ARENA_BIG_IOVA, 0x80000000u, true },
				  { ARENA_BIG_IOVA, 0x80000000u, true } };
	h = drv_add(&f.d, over, 2);
	expect_reject(&f, VDN_VRING_E_LEN, h, "in length over 4 GiB");
	arena_fini(&f.a);
}

/* What a driver reset does to a broken ring: the driver starts over on
 * fresh ring memory and the device re-initialises from it. */
static void reset_and_check(struct fx *f, uint16_t num)
{
	struct vdn_vring_cfg cfg;

	if (drv_init(&f->d, &f->a, num, 0)) {
		CHECK(!"driver ring re-init");
		return;
	}
	drv_cfg(&f->d, &cfg);
	CHECK_EQ(vdn_vring_init(&f->vr, &cfg), 0);
	CHECK(!vdn_vring_broken(&f->vr));
	CHECK_EQ(vring_bad_total(&f->vr.stats), 0);
	expect_good(f);
	CHECK_EQ(f->vr.stats.popped, 1);
}

static void test_avail_idx_jump(void)
{
	struct fx f;

	if (!fx_init(&f, 8, false, false, 100))
		return;
	expect_good(&f);
	CHECK(!vdn_vring_broken(&f.vr));
	/* the driver claims num + 1 new entries */
	f.d.avail->idx = htole16(101 + 9);
	CHECK_EQ(vdn_vring_avail_count(&f.vr), -EIO);
	CHECK(vdn_vring_broken(&f.vr));
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), -EIO);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), -EIO);
	/* counted once, not once per poll */
	CHECK_EQ(f.vr.stats.bad[VDN_VRING_E_AVAIL_IDX], 1);
	CHECK_EQ(vdn_vring_last_avail(&f.vr), 101);
	vdn_vring_flush(&f.vr);
	CHECK_EQ(drv_used_idx(&f.d), 101);
	/* a sane index later does not revive it: nothing the driver says
	 * about this ring can be trusted until it resets the device */
	f.d.avail->idx = htole16(101);
	CHECK_EQ(vdn_vring_avail_count(&f.vr), -EIO);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), -EIO);
	CHECK_EQ(vdn_vring_last_avail(&f.vr), 101);
	CHECK_EQ(f.vr.stats.bad[VDN_VRING_E_AVAIL_IDX], 1);
	CHECK_EQ(vring_bad_total(&f.vr.stats), 1);
	reset_and_check(&f, 8);
	arena_fini(&f.a);
}

/* Backwards is as corrupt as too far forwards. */
static void test_avail_idx_backwards(void)
{
	struct fx f;

	if (!fx_init(&f, 8, false, false, 0))
		return;
	expect_good(&f);
	expect_good(&f);
	f.d.avail->idx = htole16(1);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), -EIO);
	CHECK(vdn_vring_broken(&f.vr));
	CHECK_EQ(f.vr.stats.bad[VDN_VRING_E_AVAIL_IDX], 1);
	reset_and_check(&f, 8);
	arena_fini(&f.a);
}

/* A head already in flight offered again: counted from what we popped the
 * window still had room, but the driver cannot have more than num chains
 * outstanding, so the index is corrupt.  Chains popped before stay the
 * device's to complete. */
static void test_avail_idx_in_flight(void)
{
	enum { NUM = 4 };
	struct fx f;
	int heads[NUM];
	uint32_t id, len;

	if (!fx_init(&f, NUM, false, false, 65533))
		return;
	uint64_t b = buf(&f, 16 * NUM);
	for (int k = 0; k < NUM; k++)
		heads[k] = drv_add(&f.d, &(struct drv_seg){ b + 16 * k, 16, true }, 1);
	for (int k = 0; k < NUM; k++)
		CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	/* two of them given back: still outstanding, just not popped */
	vdn_vring_unpop(&f.vr, 2);
	CHECK_EQ(vdn_vring_avail_count(&f.vr), 2);
	CHECK(!vdn_vring_broken(&f.vr));
	drv_publish(&f.d, (uint16_t)heads[0]);
	CHECK_EQ(vdn_vring_avail_count(&f.vr), -EIO);
	CHECK(vdn_vring_broken(&f.vr));
	CHECK_EQ(f.vr.stats.bad[VDN_VRING_E_AVAIL_IDX], 1);
	/* not even the entries read before are handed out any more */
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), -EIO);
	CHECK_EQ(vdn_vring_last_avail(&f.vr), (uint16_t)(65533 + 2));
	/* what was popped can still be completed */
	vdn_vring_push(&f.vr, (uint16_t)heads[0], 7);
	vdn_vring_push(&f.vr, (uint16_t)heads[1], 0);
	vdn_vring_flush(&f.vr);
	CHECK_EQ(drv_used_idx(&f.d), (uint16_t)(65533 + 2));
	CHECK(drv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, heads[0]);
	CHECK_EQ(len, 7);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), -EIO);
	CHECK_EQ(f.vr.stats.bad[VDN_VRING_E_AVAIL_IDX], 1);
	CHECK_EQ(vring_bad_total(&f.vr.stats), 1);
	reset_and_check(&f, NUM);
	arena_fini(&f.a);
}

/* Push and publish n used entries (ids need not be real for notify tests). */
static void complete(struct fx *f, int n)
{
	while (n--)
		vdn_vring_push(&f->vr, 0, 0);
	vdn_vring_flush(&f->vr);
}

static void test_notify_event_idx(void)
{
	struct fx f;

	if (!fx_init(&f, 8, true, false, 0))
		return;
	drv_set_used_event(&f.d, 40);
	/* the first decision cannot know what the driver saw: notify */
	complete(&f, 1);
	CHECK(vdn_vring_need_notify(&f.vr));
	/* nothing new published */
	CHECK(!vdn_vring_need_notify(&f.vr));
	drv_set_used_event(&f.d, 4); /* interrupt once entry 4 is used */
	for (int k = 2; k <= 4; k++) {
		complete(&f, 1);
		CHECK(!vdn_vring_need_notify(&f.vr));
	}
	complete(&f, 1); /* used idx 5: entry 4 now used */
	CHECK(vdn_vring_need_notify(&f.vr));
	complete(&f, 1);
	CHECK(!vdn_vring_need_notify(&f.vr));
	/* a batch jumping over the event */
	drv_set_used_event(&f.d, 7);
	complete(&f, 3);
	CHECK(vdn_vring_need_notify(&f.vr));
	/* an event behind us is not re-armed by more completions */
	complete(&f, 2);
	CHECK(!vdn_vring_need_notify(&f.vr));
	CHECK_EQ(f.vr.stats.notifies, 3);
	/* pushed but not flushed: the driver cannot see it yet */
	drv_set_used_event(&f.d, 11);
	vdn_vring_push(&f.vr, 0, 0);
	CHECK(!vdn_vring_need_notify(&f.vr));
	vdn_vring_flush(&f.vr);
	CHECK(vdn_vring_need_notify(&f.vr));
	arena_fini(&f.a);

	/* across the 16-bit wrap */
	if (!fx_init(&f, 8, true, false, 65530))
		return;
	drv_set_used_event(&f.d, 65530);
	complete(&f, 1); /* 65531 */
	CHECK(vdn_vring_need_notify(&f.vr));
	drv_set_used_event(&f.d, 65535);
	complete(&f, 2); /* 65533 */
	CHECK(!vdn_vring_need_notify(&f.vr));
	complete(&f, 2); /* 65535 */
	CHECK(!vdn_vring_need_notify(&f.vr));
	complete(&f, 1); /* 0 */
	CHECK(vdn_vring_need_notify(&f.vr));
	CHECK_EQ(drv_used_idx(&f.d), 0);
	drv_set_used_event(&f.d, 2);
	complete(&f, 5); /* 5 */
	CHECK(vdn_vring_need_notify(&f.vr));
	drv_set_used_event(&f.d, 65534); /* stale, from before the wrap */
	complete(&f, 1);
	CHECK(!vdn_vring_need_notify(&f.vr));
	/* a batch crossing the wrap and the event */
	arena_fini(&f.a);
	if (!fx_init(&f, 8, true, false, 65532))
		return;
	complete(&f, 1); /* 65533, first decision */
	CHECK(vdn_vring_need_notify(&f.vr));
	drv_set_used_event(&f.d, 65535);
	complete(&f, 4); /* 65533 -> 1 */
	CHECK(vdn_vring_need_notify(&f.vr));
	drv_set_used_event(&f.d, 0);
	complete(&f, 4); /* 1 -> 5: event 0 already passed */
	CHECK(!vdn_vring_need_notify(&f.vr));
	/* with EVENT_IDX the flags word is ignored */
	drv_set_avail_flags(&f.d, VRING_AVAIL_F_NO_INTERRUPT);
	drv_set_used_event(&f.d, 5);
	complete(&f, 1);
	CHECK(vdn_vring_need_notify(&f.vr));
	arena_fini(&f.a);
}

static void test_notify_flags(void)
{
	struct fx f;

	if (!fx_init(&f, 8, false, false, 65535))
		return;
	drv_set_avail_flags(&f.d, VRING_AVAIL_F_NO_INTERRUPT);
	complete(&f, 1);
	CHECK(!vdn_vring_need_notify(&f.vr));
	drv_set_avail_flags(&f.d, 0);
	complete(&f, 1);
	CHECK(vdn_vring_need_notify(&f.vr));
	CHECK(!vdn_vring_need_notify(&f.vr));
	complete(&f, 3);
	CHECK(vdn_vring_need_notify(&f.vr));
	drv_set_avail_flags(&f.d, VRING_AVAIL_F_NO_INTERRUPT);
	complete(&f, 2);
	CHECK(!vdn_vring_need_notify(&f.vr));
	/* used_event means nothing without EVENT_IDX */
	drv_set_avail_flags(&f.d, 0);
	drv_set_used_event(&f.d, 1000);
	complete(&f, 1);
	CHECK(vdn_vring_need_notify(&f.vr));
	CHECK_EQ(f.vr.stats.notifies, 3);
	CHECK_EQ(drv_used_idx(&f.d), 7);
	arena_fini(&f.a);
}

static void test_set_notify(void)
{
	struct fx f;

	if (!fx_init(&f, 8, false, false, 0))
		return;
	CHECK_EQ(drv_used_flags(&f.d), 0);
	vdn_vring_set_notify(&f.vr, false);
	CHECK_EQ(drv_used_flags(&f.d), VRING_USED_F_NO_NOTIFY);
	/* the re-check after enabling sees a buffer added while disabled */
	uint64_t b = buf(&f, 8);
	drv_add(&f.d, &(struct drv_seg){ b, 8, false }, 1);
	vdn_vring_set_notify(&f.vr, true);
	CHECK_EQ(drv_used_flags(&f.d), 0);
	CHECK_EQ(vdn_vring_avail_count(&f.vr), 1);
	CHECK_EQ(drv_avail_event(&f.d), 0);
	arena_fini(&f.a);

	if (!fx_init(&f, 8, true, false, 300))
		return;
	CHECK_EQ(drv_avail_event(&f.d), 300);
	b = buf(&f, 8);
	for (int k = 0; k < 3; k++)
		drv_add(&f.d, &(struct drv_seg){ b, 8, false }, 1);
	for (int k = 0; k < 3; k++)
		CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	vdn_vring_set_notify(&f.vr, false);
	CHECK_EQ(drv_avail_event(&f.d), 300);
	vdn_vring_set_notify(&f.vr, true);
	CHECK_EQ(drv_avail_event(&f.d), 303);
	/* flags are the driver-visible knob only without EVENT_IDX */
	CHECK_EQ(drv_used_flags(&f.d), 0);
	arena_fini(&f.a);
}

static void test_err_str(void)
{
	static const char *const want[VDN_VRING_E__COUNT] = {
		"head-range", "next-range", "loop",         "xlate",     "zero-len",
		"order",      "indirect",   "too-many-iov", "avail-idx", "len",
	};

	for (int i = 0; i < VDN_VRING_E__COUNT; i++)
		CHECK(!strcmp(vdn_vring_err_str((enum vdn_vring_err)i), want[i]));
	CHECK(!strcmp(vdn_vring_err_str(VDN_VRING_E__COUNT), "unknown"));
	CHECK(!strcmp(vdn_vring_err_str((enum vdn_vring_err)-1), "unknown"));
}

/* An IOTLB update: the ring's IOVAs now translate to other memory (here a
 * copy, which the driver writes from now on).  After remap the ring must
 * use the new memory, keep its positions, in-flight chains and counters. */
struct moved {
	struct arena *a;
	uint64_t lo, hi;  /* [lo, hi) of IOVA translated elsewhere */
	uint64_t to;      /* ... to arena IOVA to + (iova - lo) */
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

	if (!fx_init(&f, 16, true, false, 0))
		return;
	mv = (struct moved){ .a = &f.a, .lo = f.d.desc_iova,
			     .hi = f.d.used_iova + 4 + 8 * 16 + 2 };
	drv_cfg(&f.d, &cfg);
	cfg.event_idx = true;
	cfg.xlate = moved_xlate;
	cfg.xlate_ctx = &mv;
	CHECK_EQ(vdn_vring_init(&f.vr, &cfg), 0);
	expect_good(&f);
	expect_good(&f);
	/* one chain stays in flight across the remap */
	uint64_t o = buf(&f, 32);
	int h = drv_add(&f.d, &(struct drv_seg){ o, 32, false }, 1);
	CHECK_EQ(vdn_vring_pop(&f.vr, &f.c), 1);
	CHECK_EQ(f.c.head, h);

	/* bad arguments leave the ring as it was */
	c = cfg, c.num = 8;
	CHECK_EQ(vdn_vring_remap(&f.vr, &c), -EINVAL);
	c = cfg, c.packed = true;
	CHECK_EQ(vdn_vring_remap(&f.vr, &c), -EINVAL);
	c = cfg, c.used_iova += 2;
	CHECK_EQ(vdn_vring_remap(&f.vr, &c), -EINVAL);
	arena_set(&f.a, ARENA_PLAY_PAGE, 1, 0, 0);
	c = cfg, c.used_iova = ARENA_PLAY_IOVA;
	CHECK_EQ(vdn_vring_remap(&f.vr, &c), -EFAULT);

	/* move: copy the ring, the driver continues on the copy, the old
	 * memory turns to garbage */
	uint64_t size = mv.hi - mv.lo;
	mv.to = arena_alloc(&f.a, size + 64, 64);
	uint64_t delta = mv.to - mv.lo;
	memcpy(arena_ptr(&f.a, mv.to), arena_ptr(&f.a, mv.lo), size);
	memset(arena_ptr(&f.a, mv.lo), 0xff, size);
	f.d.desc = arena_ptr(&f.a, f.d.desc_iova + delta);
	f.d.avail = arena_ptr(&f.a, f.d.avail_iova + delta);
	f.d.used = arena_ptr(&f.a, f.d.used_iova + delta);
	mv.on = true;
	CHECK_EQ(vdn_vring_remap(&f.vr, &cfg), 0);

	uint64_t popped = f.vr.stats.popped;
	vdn_vring_push(&f.vr, (uint16_t)h, 0);
	vdn_vring_flush(&f.vr);
	CHECK(drv_get_used(&f.d, &id, &len));
	CHECK_EQ(id, h);
	CHECK_EQ(drv_used_idx(&f.d), 3);
	for (int i = 0; i < 20; i++) /* past the ring's end: wraps on the copy */
		expect_good(&f);
	CHECK_EQ(f.vr.stats.popped, popped + 20);
	CHECK_EQ(vring_bad_total(&f.vr.stats), 0);
	arena_fini(&f.a);
}

int main(void)
{
	RUN(test_remap);
	RUN(test_init);
	RUN(test_basic);
	RUN(test_iov_copy);
	RUN(test_wrap);
	RUN(test_full_empty);
	RUN(test_unpop);
	RUN(test_indirect);
	RUN(test_malformed);
	RUN(test_span_mappings);
	RUN(test_xlate_quirks);
	RUN(test_too_many_iov);
	RUN(test_len_overflow);
	RUN(test_avail_idx_jump);
	RUN(test_avail_idx_backwards);
	RUN(test_avail_idx_in_flight);
	RUN(test_notify_event_idx);
	RUN(test_notify_flags);
	RUN(test_set_notify);
	RUN(test_err_str);
	return check_report();
}
