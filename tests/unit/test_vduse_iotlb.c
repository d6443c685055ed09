/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOTLB region table (vduse_iotab.c) and the invalidation sequence of
 * lib/vduse, without a kernel: regions are anonymous mmaps put straight into
 * the table, and UPDATE_IOTLB requests come over a SOCK_SEQPACKET pair as in
 * test_vduse_msg.c.  The stress test runs reader threads with the datapath's
 * burst protocol (busy flag + generation) against a writer that maps,
 * retires and unmaps regions: a use after unmap crashes the test, a slot
 * reused under a reader shows up as a wrong tag.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "vduse_internal.h"

#define PAGE 4096u

static int unmaps;
static void count_unmap(void *base, size_t len)
{
	(void)base;
	(void)len;
	unmaps++;
}

static void real_unmap(void *base, size_t len)
{
	munmap(base, len);
}

/* mapped at all?  mincore fails with ENOMEM on an unmapped page */
static bool mapped(void *p)
{
	unsigned char v;

	return mincore(p, PAGE, &v) == 0;
}

static void test_map_find_retire(void)
{
	struct iotlb t;
	static uint8_t mem[3][64];
	int err;

	CHECK_EQ(vdn_vduse_iotab_init(&t), 0);
	CHECK(vdn_vduse_iotab_add(&t, 0x1000, 0x1fff, VDUSE_ACCESS_RW, mem[0], 64, &err));
	CHECK(vdn_vduse_iotab_add(&t, 0x4000, 0x7fff, VDUSE_ACCESS_RO, mem[1], 64, &err));
	CHECK(vdn_vduse_iotab_add(&t, 0x8000, 0x8fff, VDUSE_ACCESS_RW, mem[2], 64, &err));
	CHECK(!vdn_vduse_iotab_add(&t, 0x9000, 0x8fff, 0, mem[2], 64, &err));
	CHECK_EQ(err, -EINVAL);
	CHECK(!vdn_vduse_iotab_find(&t, 0xfff));
	CHECK(vdn_vduse_iotab_find(&t, 0x1000)->base == mem[0]);
	CHECK(vdn_vduse_iotab_find(&t, 0x1fff)->base == mem[0]);
	CHECK(!vdn_vduse_iotab_find(&t, 0x2000));
	CHECK(vdn_vduse_iotab_find(&t, 0x7fff)->base == mem[1]);
	CHECK_EQ(vdn_vduse_iotab_find(&t, 0x4000)->perm, VDUSE_ACCESS_RO);

	/* a range touching a region's last byte retires all of it; neighbours stay */
	CHECK_EQ(vdn_vduse_iotab_retire(&t, 0x7fff, 0x7fff), 1);
	CHECK(!vdn_vduse_iotab_find(&t, 0x4000));
	CHECK(vdn_vduse_iotab_find(&t, 0x8000));
	CHECK(vdn_vduse_iotab_find(&t, 0x1000));
	CHECK_EQ(vdn_vduse_iotab_retire(&t, 0x2000, 0x3fff), 0); /* hole */
	CHECK_EQ(vdn_vduse_iotab_retire(&t, 0x7fff, 0x7fff), 0); /* already dead */
	CHECK_EQ(t.live, 2);
	CHECK_EQ(t.dead, 1);

	/* reap unmaps exactly the dead one; its slot is reused, the table does
	 * not grow */
	unmaps = 0;
	uint32_t used = atomic_load(&t.used);
	CHECK_EQ(vdn_vduse_iotab_reap(&t, count_unmap), 1);
	CHECK_EQ(unmaps, 1);
	CHECK_EQ(t.dead, 0);
	CHECK(vdn_vduse_iotab_add(&t, 0x4000, 0x5fff, VDUSE_ACCESS_RW, mem[1], 64, &err));
	CHECK_EQ(atomic_load(&t.used), used);
	CHECK_EQ(vdn_vduse_iotab_find(&t, 0x5fff)->perm, VDUSE_ACCESS_RW);
	CHECK(!vdn_vduse_iotab_find(&t, 0x6000));

	/* everything, then the table is empty and scans nothing */
	CHECK_EQ(vdn_vduse_iotab_retire(&t, 0, UINT64_MAX), 3);
	CHECK(!vdn_vduse_iotab_find(&t, 0x1000));
	unmaps = 0;
	CHECK_EQ(vdn_vduse_iotab_reap(&t, count_unmap), 3);
	CHECK_EQ(unmaps, 3);
	CHECK_EQ(atomic_load(&t.used), 0);
	vdn_vduse_iotab_fini(&t);
}

/* Far past the old 128-slot limit, to the end of the table. */
static void test_many_regions(void)
{
	struct iotlb t;
	const uint32_t max = IOTLB_CHUNK * IOTLB_CHUNKS;
	int err = 0, bad = 0;

	CHECK_EQ(vdn_vduse_iotab_init(&t), 0);
	for (uint32_t i = 0; i < max; i++) {
		uint64_t s = (uint64_t)i * 2 * PAGE; /* with holes between */

		if (!vdn_vduse_iotab_add(&t, s, s + PAGE - 1, VDUSE_ACCESS_RW,
					 (void *)(uintptr_t)(i + 1), 1, &err))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK(!vdn_vduse_iotab_add(&t, 1ull << 40, (1ull << 40) + 1, 1, NULL, 1, &err));
	CHECK_EQ(err, -ENOSPC);
	/* a sample across every chunk, and the holes */
	for (uint32_t i = 0; i < max; i += 97) {
		struct iotlb_slot *s = vdn_vduse_iotab_find(&t, (uint64_t)i * 2 * PAGE + 5);

		if (!s || s->base != (void *)(uintptr_t)(i + 1))
			bad++;
		if (vdn_vduse_iotab_find(&t, (uint64_t)i * 2 * PAGE + PAGE))
			bad++;
	}
	CHECK(vdn_vduse_iotab_find(&t, (uint64_t)(max - 1) * 2 * PAGE));
	CHECK_EQ(bad, 0);
	/* drop every other region: room again, and the freed slots are used first */
	CHECK_EQ(vdn_vduse_iotab_retire(&t, 0, (uint64_t)max * PAGE - 1), max / 2);
	CHECK_EQ(vdn_vduse_iotab_reap(&t, NULL), max / 2);
	CHECK_EQ(atomic_load(&t.used), max);
	CHECK(vdn_vduse_iotab_add(&t, 1ull << 40, (1ull << 40) + 1, 1, NULL, 1, &err));
	CHECK(vdn_vduse_iotab_find(&t, 1ull << 40));
	CHECK_EQ(atomic_load(&t.used), max);
	vdn_vduse_iotab_clear(&t, NULL);
	CHECK_EQ(atomic_load(&t.used), 0);
	CHECK(!vdn_vduse_iotab_find(&t, 1ull << 40));
	vdn_vduse_iotab_fini(&t);
}

/* ---- concurrent readers against a writer ---- */

#define READERS 2
#define REGIONS 4          /* IOVA windows the writer cycles through */
#define ROUNDS 3000

struct reader {
	pthread_t th;
	_Atomic int busy;
	_Atomic uint32_t gen;
	unsigned int seed;
	long lookups, hits, wrong;
};

struct stress {
	struct iotlb t;
	struct reader r[READERS];
	_Atomic bool stop;
};

static struct stress *g_st;

static void *reader_loop(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&g_st->stop)) {
		/* the datapath's burst: busy up (seq_cst), lookups, use, busy down */
		atomic_store(&r->busy, 1);
		for (int k = 0; k < 4; k++) {
			uint32_t w = rand_r(&r->seed) % REGIONS;
			uint64_t iova = (uint64_t)w << 20;
			struct iotlb_slot *s = vdn_vduse_iotab_find(&g_st->t, iova + 8);

			r->lookups++;
			if (!s)
				continue;
			r->hits++;
			const volatile uint64_t *p = (const volatile uint64_t *)(s->base + 8);
			/* a few reads spread over the burst: the mapping must
			 * stay valid, and stay the region we found */
			for (int j = 0; j < 16; j++) {
				if ((p[0] >> 32) != w)
					r->wrong++;
				sched_yield();
			}
		}
		atomic_store_explicit(&r->gen, atomic_load_explicit(&r->gen, memory_order_relaxed) + 1,
				      memory_order_release);
		atomic_store_explicit(&r->busy, 0, memory_order_release);
	}
	return NULL;
}

/* The control thread's side: wait until every reader that was in a burst
 * has left it. */
static void quiesce(struct stress *st)
{
	atomic_thread_fence(memory_order_seq_cst);
	for (int i = 0; i < READERS; i++) {
		struct reader *r = &st->r[i];

		if (!atomic_load(&r->busy))
			continue;
		uint32_t g = atomic_load(&r->gen);
		while (atomic_load(&r->busy) && atomic_load(&r->gen) == g)
			sched_yield();
	}
}

static void test_concurrent_readers(void)
{
	struct stress *st = calloc(1, sizeof(*st));
	int err, fails = 0;

	g_st = st;
	CHECK_EQ(vdn_vduse_iotab_init(&st->t), 0);
	for (int i = 0; i < READERS; i++) {
		st->r[i].seed = 17u + i;
		CHECK_EQ(pthread_create(&st->r[i].th, NULL, reader_loop, &st->r[i]), 0);
	}
	for (uint32_t round = 0; round < ROUNDS; round++) {
		uint32_t w = round % REGIONS;
		uint64_t start = (uint64_t)w << 20;
		uint64_t *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED) {
			fails++;
			break;
		}
		m[1] = ((uint64_t)w << 32) | round;
		pthread_mutex_lock(&st->t.lock);
		/* the window's previous mapping goes (an overlapping update),
		 * sometimes a neighbour too */
		vdn_vduse_iotab_retire(&st->t, start, start + PAGE - 1);
		if (round % 7 == 0)
			vdn_vduse_iotab_retire(&st->t, start + (1u << 20), start + (1u << 20));
		if (!vdn_vduse_iotab_add(&st->t, start, start + PAGE - 1, VDUSE_ACCESS_RW, m, PAGE,
					 &err))
			fails++;
		pthread_mutex_unlock(&st->t.lock);
		quiesce(st);
		pthread_mutex_lock(&st->t.lock);
		vdn_vduse_iotab_reap(&st->t, real_unmap);
		pthread_mutex_unlock(&st->t.lock);
	}
	atomic_store(&st->stop, true);
	/* every window ends with its last round's mapping, and only that */
	for (uint32_t w = 0; w < REGIONS; w++) {
		struct iotlb_slot *s = vdn_vduse_iotab_find(&st->t, ((uint64_t)w << 20) + 8);
		uint32_t last = ROUNDS - REGIONS + w;

		if (!s || ((const uint64_t *)s->base)[1] != (((uint64_t)w << 32) | last))
			fails++;
	}
	long lookups = 0, hits = 0, wrong = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(st->r[i].th, NULL);
		lookups += st->r[i].lookups;
		hits += st->r[i].hits;
		wrong += st->r[i].wrong;
	}
	CHECK_EQ(fails, 0);
	CHECK_EQ(wrong, 0);
	CHECK(lookups > 0);
	CHECK(hits > 0);
	/* never more slots than windows live at once (+ the ones being swapped) */
	CHECK(atomic_load(&st->t.used) <= REGIONS + 2);
	CHECK(st->t.live <= REGIONS);
	printf("  %ld lookups, %ld hits under %d remaps\n", lookups, hits, ROUNDS);
	vdn_vduse_iotab_clear(&st->t, real_unmap);
	vdn_vduse_iotab_fini(&st->t);
	free(st);
}

/* ---- the invalidation sequence through the message loop ---- */

struct model {
	char calls[16];          /* 'i'nvalidate, 'q'uiesce, 'd'one, in order */
	int n;
	int quiesce_rc;
	uint64_t start, last;
};

static void push(struct model *m, char c)
{
	if (m->n < (int)sizeof(m->calls) - 1)
		m->calls[m->n++] = c;
}

static void m_inval(void *o, uint64_t start, uint64_t last)
{
	struct model *m = o;

	push(m, 'i');
	m->start = start;
	m->last = last;
}

static void m_done(void *o, uint64_t start, uint64_t last)
{
	struct model *m = o;

	push(m, 'd');
	if (start != m->start || last != m->last)
		push(m, '!');
}

static int m_quiesce(void *o)
{
	struct model *m = o;

	push(m, 'q');
	return m->quiesce_rc;
}

static const struct vdn_vduse_ops ops = {
	.iotlb_invalidate = m_inval,
	.iotlb_invalidated = m_done,
	.iotlb_quiesce = m_quiesce,
};

static void update(struct vdn_vduse_dev *dev, int kfd, uint64_t start, uint64_t last)
{
	struct vduse_dev_request req = {
		.type = VDUSE_UPDATE_IOTLB, .request_id = 5, .iova = { .start = start, .last = last },
	};
	struct vduse_dev_response resp;

	CHECK_EQ(write(kfd, &req, sizeof(req)), sizeof(req));
	CHECK_EQ(vdn_vduse_handle(dev), 1);
	CHECK_EQ(read(kfd, &resp, sizeof(resp)), sizeof(resp));
	CHECK_EQ(resp.result, VDUSE_REQ_RESULT_OK);
}

static void *add_region(struct vdn_vduse_dev *dev, uint64_t start)
{
	int err;
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	CHECK(vdn_vduse_iotab_add(&dev->iotlb, start, start + PAGE - 1, VDUSE_ACCESS_RW, p, PAGE,
				  &err));
	return p;
}

static void test_invalidate_sequence(void)
{
	struct model m = { 0 };
	struct vdn_vduse_dev *dev;
	uint32_t live, dead;
	uint64_t len = 8;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct vdn_vduse_opts o = {
		.sz = sizeof(o), .name = "unit", .num_vqs = 2, .max_vq_size = 256,
		.ops = &ops, .opaque = &m,
	};
	CHECK_EQ(vdn_vduse_wrap_fd(&o, sv[0], &dev), 0);
	uint8_t *a = add_region(dev, 0x10000);
	uint8_t *b = add_region(dev, 0x20000);
	a[3] = 0x5a;
	CHECK(vdn_vduse_xlate(dev, 0x10003, &len, 1) == a + 3);

	/* quiescent: the covered region is gone at once, the other stays */
	update(dev, sv[1], 0x10000, 0x10fff);
	CHECK(!strcmp(m.calls, "iqd"));
	CHECK(!mapped(a));
	CHECK(mapped(b));
	CHECK_EQ(vdn_vduse_iotlb_stats(dev, &live, &dead), 0);
	CHECK_EQ(live, 1);
	CHECK_EQ(dead, 0);
	CHECK(vdn_vduse_xlate(dev, 0x20000, &len, 2) == b);

	/* not quiescent: retired (lookups miss) but still mapped */
	m.n = 0;
	memset(m.calls, 0, sizeof(m.calls));
	m.quiesce_rc = -ETIMEDOUT;
	update(dev, sv[1], 0, UINT64_MAX);
	CHECK(!strcmp(m.calls, "iqd"));
	CHECK(mapped(b));
	CHECK_EQ(vdn_vduse_iotlb_stats(dev, &live, &dead), 0);
	CHECK_EQ(live, 0);
	CHECK_EQ(dead, 1);
	/* the "kernel" has nothing to hand out, so the lookup fails cleanly */
	CHECK(vdn_vduse_xlate(dev, 0x20000, &len, 2) == NULL);

	/* the next invalidation, quiescent, takes the leftovers too */
	uint8_t *c = add_region(dev, 0x30000);
	m.quiesce_rc = 0;
	update(dev, sv[1], 0x90000, 0x90fff); /* covers nothing new */
	CHECK(!mapped(b));
	CHECK(mapped(c));
	CHECK_EQ(vdn_vduse_iotlb_stats(dev, &live, &dead), 0);
	CHECK_EQ(live, 1);
	CHECK_EQ(dead, 0);
	CHECK_EQ(vdn_vduse_iotlb_stats(dev, NULL, &dead), -EINVAL);

	/* destroy unmaps what is left */
	CHECK_EQ(vdn_vduse_destroy(dev, true), 0);
	CHECK(!mapped(c));
	close(sv[1]);
}

/* Without a quiesce hook nothing is unmapped before reset (the old,
 * conservative behaviour). */
static void test_no_quiesce_hook(void)
{
	struct vdn_vduse_dev *dev;
	uint32_t live, dead;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct vdn_vduse_opts o = { .sz = sizeof(o), .name = "unit", .num_vqs = 1, .max_vq_size = 8 };
	CHECK_EQ(vdn_vduse_wrap_fd(&o, sv[0], &dev), 0);
	uint8_t *a = add_region(dev, 0x10000);
	update(dev, sv[1], 0, UINT64_MAX);
	CHECK(mapped(a));
	CHECK_EQ(vdn_vduse_iotlb_stats(dev, &live, &dead), 0);
	CHECK_EQ(dead, 1);
	struct vduse_dev_request req = { .type = VDUSE_SET_STATUS, .request_id = 9 };
	struct vduse_dev_response resp;
	CHECK_EQ(write(sv[1], &req, sizeof(req)), sizeof(req));
	CHECK_EQ(vdn_vduse_handle(dev), 1);
	CHECK_EQ(read(sv[1], &resp, sizeof(resp)), sizeof(resp));
	CHECK(!mapped(a)); /* reset */
	CHECK_EQ(vdn_vduse_destroy(dev, true), 0);
	close(sv[1]);
}

int main(void)
{
	RUN(test_map_find_retire);
	RUN(test_many_regions);
	RUN(test_concurrent_readers);
	RUN(test_invalidate_sequence);
	RUN(test_no_quiesce_hook);
	return check_report();
}
