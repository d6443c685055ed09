/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crash-restart of a packed ring (vdn_vring_packed_recover): the device
 * process dies at every point of a push/flush cycle (completions pushed,
 * written into the ring one by one with vdn_vring_packed_stage_out() as a
 * flush writes them, published), a new ring is set up
 * from the journal word it left and the ring memory, and then
 * - the driver gets back exactly the chains the dead device completed
 *   (staged ones included, unless the last was perhaps half written), each
 *   once, and
 * - the new device pops exactly the chains that were not completed, in
 *   order, then the driver's new ones: no chain lost, none completed twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vdn_vq.h"
#include "vring_driver.h"

struct jfx {
	struct arena a;
	struct drv_packed d;
	struct vdn_vq vq;
	struct vdn_chain c;
	uint64_t j;      /* the journal word, where a file mapping would be */
	uint64_t buf;
};

static struct jfx *jfx_new(uint16_t num, uint16_t pos, bool wrap)
{
	struct jfx *f = calloc(1, sizeof(*f));
	struct vdn_vring_cfg cfg;

	if (!f || arena_init(&f->a) || pdrv_init(&f->d, &f->a, num, pos, wrap)) {
		CHECK(!"fixture setup");
		free(f);
		return NULL;
	}
	f->buf = arena_alloc(&f->a, 4096, 8);
	pdrv_cfg(&f->d, &cfg);
	cfg.journal = &f->j;
	CHECK_EQ(vdn_vq_init(&f->vq, &cfg), 0);
	CHECK(f->j != 0);
	return f;
}

static void jfx_free(struct jfx *f)
{
	if (!f)
		return;
	arena_fini(&f->a);
	free(f);
}

/* Offer a chain of n descriptors (the last device-writable); its id. */
static int offer(struct jfx *f, unsigned int n)
{
	struct drv_seg s[3];

	for (unsigned int i = 0; i < n; i++)
		s[i] = (struct drv_seg){ f->buf + 64 * i, 64, i == n - 1 };
	return pdrv_add(&f->d, s, n);
}

static int pop(struct jfx *f)
{
	int rc = vdn_vq_pop(&f->vq, &f->c);

	return rc == 1 ? f->c.head : -1;
}

/* The device died: a new one starts from `word` and the ring memory. */
static void restart(struct jfx *f, uint64_t word)
{
	struct vdn_vring_cfg cfg;
	struct vdn_vq_state s;

	memset(&f->vq, 0xa5, sizeof(f->vq)); /* nothing of the old one survives */
	pdrv_cfg(&f->d, &cfg);
	CHECK_EQ(vdn_vring_packed_recover(&cfg, word, &s), 0);
	cfg.last_avail_idx = s.last_avail_idx;
	cfg.avail_wrap = s.avail_wrap;
	cfg.last_used_idx = s.last_used_idx;
	cfg.used_wrap = s.used_wrap;
	cfg.journal = &f->j;
	CHECK_EQ(vdn_vq_init(&f->vq, &cfg), 0);
}

/* The driver sees exactly these completions (ids, -1 ends: expect_used(f, -1)
 * is none at all), then none. */
static void expect_used_(struct jfx *f, const int *ids, int line)
{
	uint32_t id, len;
	int fails = check_failures;

	for (; *ids >= 0; ids++) {
		CHECK(pdrv_get_used(&f->d, &id, &len));
		CHECK_EQ(id, *ids);
	}
	CHECK(!pdrv_get_used(&f->d, &id, &len));
	if (check_failures != fails)
		fprintf(stderr, "  ... completions checked at line %d\n", line);
}
#define expect_used(f, ...) expect_used_(f, (const int[]){ __VA_ARGS__, -1 }, __LINE__)

/* The new device pops exactly these chains (ids, -1 ends), then none. */
static void expect_pops_(struct jfx *f, const int *ids, int line)
{
	int fails = check_failures;

	for (; *ids >= 0; ids++)
		CHECK_EQ(pop(f), *ids);
	CHECK_EQ(pop(f), -1);
	if (check_failures != fails)
		fprintf(stderr, "  ... pops checked at line %d\n", line);
}
#define expect_pops(f, ...) expect_pops_(f, (const int[]){ __VA_ARGS__, -1 }, __LINE__)

/* After the restart the ring keeps working: everything popped so far is
 * completed, in order, and the driver sees it, then a new chain goes round. */
static void finish(struct jfx *f, const int *popped, int n)
{
	for (int i = 0; i < n; i++)
		vdn_vq_push(&f->vq, (uint16_t)popped[i], 1);
	vdn_vq_flush(&f->vq);
	uint32_t id, len;
	for (int i = 0; i < n; i++) {
		CHECK(pdrv_get_used(&f->d, &id, &len));
		CHECK_EQ(id, popped[i]);
	}
	int k = offer(f, 2);
	CHECK(k >= 0);
	CHECK_EQ(pop(f), k);
	vdn_vq_push(&f->vq, (uint16_t)k, 0);
	vdn_vq_flush(&f->vq);
	CHECK(pdrv_get_used(&f->d, &id, &len));
	CHECK_EQ(id, k);
	CHECK(!pdrv_get_used(&f->d, &id, &len));
}

/* A completion, written into the ring: the point a flush reaches after
 * writing this entry (a flush writes the staged ones in push order). */
static void push(struct jfx *f, int id, uint32_t len)
{
	vdn_vq_push(&f->vq, (uint16_t)id, len);
	vdn_vring_packed_stage_out(&f->vq.pk);
}

/* Chains of 1, 2, 1, 3 descriptors offered and popped. */
static void four(struct jfx *f, int *id)
{
	static const unsigned int nd[4] = { 1, 2, 1, 3 };

	for (int i = 0; i < 4; i++)
		id[i] = offer(f, nd[i]);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pop(f), id[i]);
}

/* Died between bursts: what was flushed stays, the rest is redone. */
static void test_between_bursts(uint16_t pos, bool wrap)
{
	struct jfx *f = jfx_new(8, pos, wrap);
	int id[4];

	if (!f)
		return;
	four(f, id);
	push(f, id[0], 5);
	push(f, id[1], 6);
	vdn_vq_flush(&f->vq);
	restart(f, f->j);
	expect_used(f, id[0], id[1]);
	expect_pops(f, id[2], id[3]);
	finish(f, (int[]){ id[2], id[3] }, 2);
	jfx_free(f);
}

/* Died with two entries staged, the flush not done: they are published. */
static void test_staged(uint16_t pos, bool wrap)
{
	struct jfx *f = jfx_new(8, pos, wrap);
	int id[4];

	if (!f)
		return;
	four(f, id);
	push(f, id[0], 5);
	push(f, id[1], 6);
	expect_used(f, -1); /* nothing visible before the flush */
	restart(f, f->j);
	expect_used(f, id[0], id[1]);
	expect_pops(f, id[2], id[3]);
	finish(f, (int[]){ id[2], id[3] }, 2);
	jfx_free(f);
}

/* Died with completions pushed but not yet written into the ring (a
 * flush writes them): no trace of them, all chains are done again. */
static void test_not_written_yet(uint16_t pos, bool wrap)
{
	struct jfx *f = jfx_new(8, pos, wrap);
	struct vring_packed_desc ring[8];
	int id[4];

	if (!f)
		return;
	four(f, id);
	uint64_t word = f->j;

	memcpy(ring, f->d.desc, sizeof(ring));
	vdn_vq_push(&f->vq, (uint16_t)id[1], 5);
	vdn_vq_push(&f->vq, (uint16_t)id[0], 6);
	CHECK_EQ(f->j, word);
	CHECK(!memcmp(ring, f->d.desc, sizeof(ring)));
	restart(f, f->j);
	expect_used(f, -1);
	expect_pops(f, id[0], id[1], id[2], id[3]);
	finish(f, id, 4);

	/* a stage-out writes everything pushed so far; died with the last
	 * one not written yet: those written are published */
	four(f, id);
	push(f, id[0], 5);
	vdn_vq_push(&f->vq, (uint16_t)id[1], 6);
	push(f, id[2], 0);
	vdn_vq_push(&f->vq, (uint16_t)id[3], 7);
	restart(f, f->j);
	expect_used(f, id[0], id[1], id[2]);
	expect_pops(f, id[3]);
	finish(f, (int[]){ id[3] }, 1);
	jfx_free(f);
}

/* Died after a lone first entry of a batch (id and length perhaps written,
 * flags never): its chain is done again.  Its length field may have been
 * overwritten: an RX buffer (length > 0) comes back no longer than what
 * was written into it; a TX chain (completed with 0: a frame already
 * sent) is malformed now and handed back unprocessed. */
static void test_lone_first(uint16_t pos, bool wrap)
{
	struct jfx *f = jfx_new(8, pos, wrap);
	int id[4];

	if (!f)
		return;
	four(f, id);
	push(f, id[0], 40);
	restart(f, f->j);
	expect_used(f, -1);
	CHECK_EQ(pop(f), id[0]);
	CHECK_EQ(f->c.in_len, 40);
	expect_pops(f, id[1], id[2], id[3]);
	finish(f, id, 4);

	four(f, id);
	push(f, id[0], 0);
	restart(f, f->j);
	expect_used(f, -1);
	CHECK_EQ(vdn_vq_pop(&f->vq, &f->c), -EBADMSG);
	vdn_vq_flush(&f->vq);
	uint32_t got, len;
	CHECK(pdrv_get_used(&f->d, &got, &len));
	CHECK_EQ(got, id[0]);
	CHECK_EQ(len, 0);
	expect_pops(f, id[1], id[2], id[3]);
	finish(f, (int[]){ id[1], id[2], id[3] }, 3);
	jfx_free(f);
}

/* Died after the journal of a second push, before its entry: the first is
 * published, the second's chain done again. */
static void test_entry_not_written(uint16_t pos, bool wrap)
{
	struct jfx *f = jfx_new(8, pos, wrap);
	struct vring_packed_desc save;
	int id[4];

	if (!f)
		return;
	four(f, id);
	push(f, id[0], 5);
	uint16_t at = f->vq.pk.used_pos;
	save = f->d.desc[at];
	push(f, id[1], 6);
	f->d.desc[at] = save; /* the entry's one store never happened */
	restart(f, f->j);
	expect_used(f, id[0]);
	expect_pops(f, id[1], id[2], id[3]);
	finish(f, (int[]){ id[1], id[2], id[3] }, 3);
	jfx_free(f);
}

/* Died right after the flush published, before the journal said so. */
static void test_flushed_not_noted(uint16_t pos, bool wrap)
{
	struct jfx *f = jfx_new(8, pos, wrap);
	int id[4];

	if (!f)
		return;
	four(f, id);
	push(f, id[0], 5);
	uint64_t before = f->j;
	vdn_vq_flush(&f->vq);
	restart(f, before);
	expect_used(f, id[0]);
	expect_pops(f, id[1], id[2], id[3]);
	finish(f, (int[]){ id[1], id[2], id[3] }, 3);

	/* the same, with a batch of three, and the driver quick enough to
	 * take the entries and offer the slots again before the restart */
	four(f, id);
	push(f, id[0], 5);
	push(f, id[1], 0);
	push(f, id[2], 7);
	before = f->j;
	vdn_vq_flush(&f->vq);
	expect_used(f, id[0], id[1], id[2]);
	int again = offer(f, 1);
	CHECK(again >= 0);
	restart(f, before);
	expect_used(f, -1);
	expect_pops(f, id[3], again);
	finish(f, (int[]){ id[3], again }, 2);
	jfx_free(f);
}

/* Many laps of bursts, dying after every step of one: always consistent. */
static void test_laps(void)
{
	struct jfx *f = jfx_new(5, 0, true);

	if (!f)
		return;
	for (int round = 0; round < 40; round++) {
		int a = offer(f, 1 + round % 2), b = offer(f, 1);

		CHECK(a >= 0 && b >= 0);
		CHECK_EQ(pop(f), a);
		CHECK_EQ(pop(f), b);
		push(f, a, 1);
		if (round % 3 == 0) {
			/* die with `a` staged alone: both redone */
			restart(f, f->j);
			expect_used(f, -1);
			expect_pops(f, a, b);
			push(f, a, 1);
		}
		push(f, b, 1);
		if (round % 3 == 1) {
			/* die with both staged: both published */
			restart(f, f->j);
			expect_used(f, a, b);
			continue;
		}
		vdn_vq_flush(&f->vq);
		expect_used(f, a, b);
		if (round % 3 == 2)
			restart(f, f->j);
	}
	jfx_free(f);
}

static void test_bad_words(void)
{
	struct jfx *f = jfx_new(8, 0, true);
	struct vdn_vring_cfg cfg;
	struct vdn_vq_state s;

	if (!f)
		return;
	pdrv_cfg(&f->d, &cfg);
	/* zeroed memory: no journal was ever written there */
	CHECK_EQ(vdn_vring_packed_recover(&cfg, 0, &s), -ENODATA);
	/* a position past the ring (num 8) */
	uint64_t w = f->j;
	CHECK_EQ(vdn_vring_packed_recover(&cfg, (w & ~0xffffULL) | 9, &s), -EINVAL);
	CHECK_EQ(vdn_vring_packed_recover(&cfg, w | (9ULL << 32), &s), -EINVAL);
	/* a split ring has an index: no journal */
	cfg.packed = false;
	CHECK_EQ(vdn_vring_packed_recover(&cfg, w, &s), -EINVAL);
	cfg.packed = true;
	CHECK_EQ(vdn_vring_packed_recover(&cfg, w, &s), 0);
	CHECK_EQ(s.last_avail_idx, 0);
	CHECK(s.avail_wrap);
	jfx_free(f);
}

static void at_start(void)
{
	test_between_bursts(0, true);
	test_staged(0, true);
	test_not_written_yet(0, true);
	test_lone_first(0, true);
	test_entry_not_written(0, true);
	test_flushed_not_noted(0, true);
}

/* Starting at 6 of 8, the chains and entries cross the end of the ring. */
static void across_the_end(void)
{
	test_between_bursts(6, true);
	test_staged(6, true);
	test_not_written_yet(6, false);
	test_lone_first(6, true);
	test_entry_not_written(6, false);
	test_flushed_not_noted(6, false);
}

int main(void)
{
	RUN(at_start);
	RUN(across_the_end);
	RUN(test_laps);
	RUN(test_bad_words);
	return check_report();
}
