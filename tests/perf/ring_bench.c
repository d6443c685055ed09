/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_bench: lib/vring's device side at speed, natively (no kernel, no
 * DPDK).  A driver thread on one core keeps a ring in shared memory full and
 * takes back what was used; the device thread on another core pops chains
 * through struct vdn_vq, copies each packet out of the driver's buffer (tx,
 * like a TX dequeue into an mbuf) or into it (rx, like an RX enqueue),
 * pushes used entries and publishes them once per burst.
 *
 * Cells: {split, packed} x {64, 1518} B x {tx, rx}.  Each run measures one
 * cell for --seconds after a short warm-up; runs of all cells are
 * interleaved so drifting machine noise hits every cell alike, and each cell
 * reports min/median/max.  Packets carry sequence numbers that the other
 * side checks, and any rejected chain fails the run: a fast wrong ring does
 * not print a RESULT.
 *
 *   ring_bench [--cost] [--quick] [--runs N] [--seconds S] [--queue-size N] [--burst N]
 *              [--in-order] [--journal] [--layout split|packed] [--size 64|1518]
 *              [--dir tx|rx]
 * --journal gives packed rings a journal word as the daemon does (a word
 * per completion written at flush): its cost in --cost.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "bench_driver.h"

#define MAX_BURST 64
#define MAX_RUNS 100
#define MEM_SIZE (4u << 20)

struct opts {
	const char *layout, *dir; /* NULL: all */
	unsigned int size;        /* 0: all */
	unsigned int runs;
	double seconds;
	uint16_t num;
	unsigned int burst;
	bool cost;                /* --cost: single-core path length instead */
	bool in_order;            /* --in-order: VIRTIO_F_IN_ORDER rings */
	bool journal;             /* --journal: packed rings keep a journal word */
};

struct cell {
	bool packed;
	uint32_t size;
	bool rx;
	double mpps[MAX_RUNS];
	double dev_idle[MAX_RUNS]; /* share of the device's time spent finding nothing */
	double drv_idle[MAX_RUNS];
	unsigned int n;
};

struct run {
	const struct opts *o;
	const struct cell *cell;
	struct bench_mem m;
	struct bench_drv drv;
	_Alignas(64) uint64_t journal; /* its own line, as in the daemon's mapping */
	char journal_pad[56];
	struct vdn_vq *vq;
	int cpu_drv, cpu_dev;
	/* each thread's published counters on their own cache lines, so
	 * polling them costs the datapath nothing */
	_Alignas(64) int phase; /* 0 set up, 1 running, 2 stop */
	_Alignas(64) uint64_t dev_count; /* packets the device finished */
	uint64_t dev_cycles;             /* TSC cycles spent, and of those ... */
	uint64_t dev_idle;               /* ... in polls that found nothing */
	uint64_t dev_errors;
	_Alignas(64) uint64_t drv_cycles;
	uint64_t drv_idle;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static inline void relax(void)
{
	__builtin_ia32_pause();
}

static int phase(const struct run *r)
{
	return __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE);
}

/* IOVA = offset into the one shared block. */
static void *xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	const struct bench_mem *m = ctx;

	(void)access;
	if (iova >= m->size)
		return NULL;
	if (*len > m->size - iova)
		*len = m->size - iova;
	return m->base + iova;
}

/* One device burst: pop up to `burst` chains, copy each packet out of the
 * driver's buffer (tx, like a TX dequeue into an mbuf) or into it (rx),
 * push, publish once.  Returns the packets done. */
static unsigned int dev_burst(struct vdn_vq *vq, bool rx, uint32_t size, unsigned int burst,
			      uint8_t *mbufs, uint64_t *seq, uint64_t *errors)
{
	struct vdn_chain c;
	unsigned int n = 0;

	while (n < burst) {
		uint8_t *mb = mbufs + (size_t)n * BENCH_BUF_SIZE;
		uint32_t len = 0;
		uint64_t s;
		int rc = vdn_vq_pop(vq, &c);

		if (rc != 1) {
			*errors += rc < 0;
			break;
		}
		if (!rx) {
			/* TX dequeue: header stays, payload to the mbuf */
			if (vdn_iov_to_buf(c.iov, c.n_out, BENCH_HDR_LEN, mb, size) != size)
				(*errors)++;
			memcpy(&s, mb, sizeof(s));
			*errors += s != *seq;
		} else {
			/* RX enqueue: header + payload from the mbuf */
			memcpy(mb + BENCH_HDR_LEN, seq, sizeof(*seq));
			len = (uint32_t)vdn_iov_from_buf(c.iov + c.n_out, c.n_in, 0, mb,
							 BENCH_HDR_LEN + size);
			*errors += len != BENCH_HDR_LEN + size;
		}
		(*seq)++;
		vdn_vq_push(vq, c.head, len);
		n++;
	}
	if (n) {
		vdn_vq_flush(vq);
		(void)vdn_vq_need_notify(vq);
	}
	return n;
}

static void *device_main(void *arg)
{
	struct run *r = arg;
	struct vdn_vq *vq = r->vq;
	const uint32_t size = r->cell->size;
	const bool rx = r->cell->rx;
	const unsigned int burst = r->o->burst;
	/* the "mbufs": a small pool reused burst after burst, as a mempool
	 * cache hands the same ones out again */
	uint8_t *mbufs = aligned_alloc(64, (size_t)MAX_BURST * BENCH_BUF_SIZE);
	uint64_t count = 0, seq = 0, errors = 0, start, idle = 0;

	pin(r->cpu_dev);
	if (!mbufs) {
		__atomic_store_n(&r->dev_errors, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	memset(mbufs, 0x5a, (size_t)MAX_BURST * BENCH_BUF_SIZE);
	while (phase(r) == 0)
		relax();
	start = __rdtsc();
	while (phase(r) == 1) {
		uint64_t t = __rdtsc();
		unsigned int n = dev_burst(vq, rx, size, burst, mbufs, &seq, &errors);

		if (n) {
			count += n;
		} else {
			relax();
			idle += __rdtsc() - t;
		}
		__atomic_store_n(&r->dev_idle, idle, __ATOMIC_RELAXED);
		__atomic_store_n(&r->dev_cycles, __rdtsc() - start, __ATOMIC_RELAXED);
		__atomic_store_n(&r->dev_count, count, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&r->dev_errors, errors, __ATOMIC_RELAXED);
	free(mbufs);
	return NULL;
}

static void *driver_main(void *arg)
{
	struct run *r = arg;
	unsigned int burst = r->o->burst;
	uint64_t start, idle = 0;

	pin(r->cpu_drv);
	while (phase(r) == 0)
		relax();
	start = __rdtsc();
	while (phase(r) == 1) {
		uint64_t t = __rdtsc();
		unsigned int got = bench_drv_reclaim(&r->drv);
		unsigned int put = bench_drv_post(&r->drv, burst);

		if (!got && !put) {
			relax();
			idle += __rdtsc() - t;
		}
		__atomic_store_n(&r->drv_idle, idle, __ATOMIC_RELAXED);
		__atomic_store_n(&r->drv_cycles, __rdtsc() - start, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Idle share of a thread's time between two samples of its counters. */
static double idle_share(uint64_t i0, uint64_t c0, uint64_t i1, uint64_t c1)
{
	return c1 > c0 ? (double)(i1 - i0) / (double)(c1 - c0) : 1.0;
}

/* One run of one cell: packets per second in *mpps and each side's idle
 * share in idle[0] (device) and idle[1] (driver); negative errno on error. */
static int run_once(struct run *r, double *mpps, double idle[2])
{
	struct vdn_vring_cfg cfg;
	pthread_t td, tv;
	uint64_t c0, c1, di0, di1, dc0, dc1, ri0, ri1, rc0, rc1, bad = 0;
	double t0, t1, warm = r->o->seconds * 0.2;
	const struct vdn_vring_stats *st;
	int rc;

	rc = bench_drv_init(&r->drv, &r->m, r->cell->packed, r->cell->rx, r->o->num,
			    r->cell->size);
	r->drv.in_order = r->o->in_order;
	if (rc < 0)
		return rc;
	bench_drv_cfg(&r->drv, &cfg, xlate);
	if (r->o->journal)
		cfg.journal = &r->journal;
	rc = vdn_vq_init(r->vq, &cfg);
	if (rc < 0)
		return rc;
	/* both sides poll, as the datapath lcores do */
	vdn_vq_set_notify(r->vq, false);
	r->phase = 0;
	r->dev_count = r->dev_cycles = r->dev_idle = r->dev_errors = 0;
	r->drv_cycles = r->drv_idle = 0;
	if (pthread_create(&tv, NULL, device_main, r))
		return -EAGAIN;
	if (pthread_create(&td, NULL, driver_main, r)) {
		__atomic_store_n(&r->phase, 2, __ATOMIC_RELEASE);
		pthread_join(tv, NULL);
		return -EAGAIN;
	}
	__atomic_store_n(&r->phase, 1, __ATOMIC_RELEASE);
	sleep_s(warm < 0.1 ? warm : 0.1);
	c0 = __atomic_load_n(&r->dev_count, __ATOMIC_ACQUIRE);
	di0 = __atomic_load_n(&r->dev_idle, __ATOMIC_RELAXED);
	dc0 = __atomic_load_n(&r->dev_cycles, __ATOMIC_RELAXED);
	ri0 = __atomic_load_n(&r->drv_idle, __ATOMIC_RELAXED);
	rc0 = __atomic_load_n(&r->drv_cycles, __ATOMIC_RELAXED);
	t0 = now();
	sleep_s(r->o->seconds);
	c1 = __atomic_load_n(&r->dev_count, __ATOMIC_ACQUIRE);
	/* on a crowded machine a short window can pass with neither thread
	 * scheduled: wait (up to 10 s) for a packet before calling it broken */
	for (int i = 0; i < 200 && c1 == c0; i++) {
		sleep_s(0.05);
		c1 = __atomic_load_n(&r->dev_count, __ATOMIC_ACQUIRE);
	}
	di1 = __atomic_load_n(&r->dev_idle, __ATOMIC_RELAXED);
	dc1 = __atomic_load_n(&r->dev_cycles, __ATOMIC_RELAXED);
	ri1 = __atomic_load_n(&r->drv_idle, __ATOMIC_RELAXED);
	rc1 = __atomic_load_n(&r->drv_cycles, __ATOMIC_RELAXED);
	t1 = now();
	__atomic_store_n(&r->phase, 2, __ATOMIC_RELEASE);
	pthread_join(td, NULL);
	pthread_join(tv, NULL);

	st = vdn_vq_stats(r->vq);
	for (int i = 0; i < VDN_VRING_E__COUNT; i++)
		bad += st->bad[i];
	if (r->dev_errors || r->drv.errors || bad || c1 <= c0) {
		fprintf(stderr, "ring_bench: %s %u %s: errors device %llu driver %llu, rejected %llu, "
				"packets %llu\n",
			r->cell->packed ? "packed" : "split", r->cell->size, r->cell->rx ? "rx" : "tx",
			(unsigned long long)r->dev_errors, (unsigned long long)r->drv.errors,
			(unsigned long long)bad, (unsigned long long)(c1 - c0));
		return -EIO;
	}
	*mpps = (double)(c1 - c0) / (t1 - t0) / 1e6;
	idle[0] = idle_share(di0, dc0, di1, dc1);
	idle[1] = idle_share(ri0, rc0, ri1, rc1);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define COST_BURSTS 20000

/*
 * --cost: the driver and the device take turns on one core, so every line
 * is hot in its cache and nothing else runs in between; TSC cycles per
 * packet of the device's bursts alone, min and median over COST_BURSTS
 * bursts.  That is what the ring code itself costs, without the cross-core
 * traffic that dominates the two-core runs, and it hardly moves when the
 * machine is busy: the tool for comparing code changes on a shared box.
 */
static int cost_cell(struct run *r, double *min, double *med)
{
	static double samples[COST_BURSTS];
	const struct cell *cl = r->cell;
	struct vdn_vring_cfg cfg;
	uint8_t *mbufs = aligned_alloc(64, (size_t)MAX_BURST * BENCH_BUF_SIZE);
	uint64_t seq = 0, errors = 0, bad = 0;
	const struct vdn_vring_stats *st;
	unsigned int k = 0;
	int rc;

	if (!mbufs)
		return -ENOMEM;
	memset(mbufs, 0x5a, (size_t)MAX_BURST * BENCH_BUF_SIZE);
	rc = bench_drv_init(&r->drv, &r->m, cl->packed, cl->rx, r->o->num, cl->size);
	r->drv.in_order = r->o->in_order;
	if (rc == 0) {
		bench_drv_cfg(&r->drv, &cfg, xlate);
		if (r->o->journal)
			cfg.journal = &r->journal;
		rc = vdn_vq_init(r->vq, &cfg);
	}
	if (rc < 0) {
		free(mbufs);
		return rc;
	}
	vdn_vq_set_notify(r->vq, false);
	for (int i = -COST_BURSTS / 10; i < COST_BURSTS; i++) {
		uint64_t t0, t1;
		unsigned int n;

		bench_drv_post(&r->drv, r->o->burst);
		_mm_lfence();
		t0 = __rdtsc();
		_mm_lfence();
		n = dev_burst(r->vq, cl->rx, cl->size, r->o->burst, mbufs, &seq, &errors);
		_mm_lfence();
		t1 = __rdtsc();
		bench_drv_reclaim(&r->drv);
		if (i >= 0 && n)
			samples[k++] = (double)(t1 - t0) / n;
	}
	free(mbufs);
	st = vdn_vq_stats(r->vq);
	for (int i = 0; i < VDN_VRING_E__COUNT; i++)
		bad += st->bad[i];
	if (errors || r->drv.errors || bad || k < COST_BURSTS) {
		fprintf(stderr, "ring_bench: --cost %s %u %s: errors device %llu driver %llu, "
				"rejected %llu\n", cl->packed ? "packed" : "split", cl->size,
			cl->rx ? "rx" : "tx", (unsigned long long)errors,
			(unsigned long long)r->drv.errors, (unsigned long long)bad);
		return -EIO;
	}
	qsort(samples, k, sizeof(double), cmp_double);
	*min = samples[0];
	*med = samples[k / 2];
	return 0;
}

/* Two CPUs we may run on: the driver gets the first, the device the second. */
static void pick_cpus(int *drv, int *dev)
{
	cpu_set_t set;
	int found = 0;

	*drv = *dev = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int c = 0; c < CPU_SETSIZE && found < 2; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (found++ == 0)
			*drv = c;
		else
			*dev = c;
	}
	if (found < 2)
		*drv = *dev = -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: ring_bench [--cost] [--quick] [--runs N] [--seconds S] [--queue-size N] "
			"[--burst N] [--in-order] [--journal] [--layout split|packed] [--size 64|1518] [--dir tx|rx]\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .runs = 5, .seconds = 1.0, .num = 256, .burst = 32 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--cost")) {
			o->cost = true;
		} else if (!strcmp(a, "--in-order")) {
			o->in_order = true;
		} else if (!strcmp(a, "--journal")) {
			o->journal = true;
		} else if (!strcmp(a, "--quick")) {
			o->runs = 3;
			o->seconds = 0.2;
		} else if (!strcmp(a, "--runs") && v) {
			o->runs = (unsigned int)atoi(v), i++;
		} else if (!strcmp(a, "--seconds") && v) {
			o->seconds = atof(v), i++;
		} else if (!strcmp(a, "--queue-size") && v) {
			o->num = (uint16_t)atoi(v), i++;
		} else if (!strcmp(a, "--burst") && v) {
			o->burst = (unsigned int)atoi(v), i++;
		} else if (!strcmp(a, "--layout") && v && (!strcmp(v, "split") || !strcmp(v, "packed"))) {
			o->layout = v, i++;
		} else if (!strcmp(a, "--dir") && v && (!strcmp(v, "tx") || !strcmp(v, "rx"))) {
			o->dir = v, i++;
		} else if (!strcmp(a, "--size") && v && (atoi(v) == 64 || atoi(v) == 1518)) {
			o->size = (unsigned int)atoi(v), i++;
		} else {
			return usage();
		}
	}
	if (o->runs < 1 || o->runs > MAX_RUNS || !(o->seconds > 0) || o->burst < 1 ||
	    o->burst > MAX_BURST || o->num < 2 || o->num > BENCH_MAX_NUM || (o->num & (o->num - 1)))
		return usage();
	return 0;
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 64, 1518 };
	struct cell cells[8];
	unsigned int ncell = 0;
	struct opts o;
	struct run r;
	int failed = 0;

	if (parse(argc, argv, &o))
		return 2;
	for (int p = 0; p < 2; p++) {
		for (int s = 0; s < 2; s++) {
			for (int d = 0; d < 2; d++) {
				if ((o.layout && strcmp(o.layout, p ? "packed" : "split")) ||
				    (o.dir && strcmp(o.dir, d ? "rx" : "tx")) ||
				    (o.size && o.size != sizes[s]))
					continue;
				cells[ncell++] = (struct cell){ .packed = p, .size = sizes[s], .rx = d };
			}
		}
	}

	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.m.size = MEM_SIZE;
	r.m.base = aligned_alloc(4096, MEM_SIZE);
	r.vq = aligned_alloc(64, sizeof(*r.vq));
	if (!r.m.base || !r.vq) {
		fprintf(stderr, "ring_bench: out of memory\n");
		return 1;
	}
	pick_cpus(&r.cpu_drv, &r.cpu_dev);
	if (o.cost) {
		printf("ring_bench --cost: one core, queue %u, burst %u, %u bursts per cell; TSC "
		       "cycles per packet of the device's bursts\n%-7s %5s %-3s  %8s %8s\n", o.num,
		       o.burst, COST_BURSTS, "layout", "size", "dir", "min", "median");
		for (unsigned int k = 0; k < ncell; k++) {
			struct cell *c = &cells[k];
			double mn, md;

			r.cell = c;
			if (cost_cell(&r, &mn, &md) < 0) {
				failed = 1;
				continue;
			}
			printf("%-7s %5u %-3s  %8.1f %8.1f\n", c->packed ? "packed" : "split", c->size,
			       c->rx ? "rx" : "tx", mn, md);
		}
		free(r.vq);
		free(r.m.base);
		return failed;
	}
	printf("ring_bench: queue %u, burst %u, %u runs x %.2f s per cell; ", o.num, o.burst, o.runs,
	       o.seconds);
	if (r.cpu_dev >= 0)
		printf("driver on cpu %d, device on cpu %d\n", r.cpu_drv, r.cpu_dev);
	else
		printf("fewer than 2 cpus: threads not pinned, numbers meaningless\n");
	fflush(stdout);

	for (unsigned int run = 0; run < o.runs; run++) {
		for (unsigned int k = 0; k < ncell; k++) {
			struct cell *c = &cells[k];
			double mpps, idle[2];

			r.cell = c;
			if (run_once(&r, &mpps, idle) < 0) {
				failed = 1;
				continue;
			}
			c->dev_idle[c->n] = idle[0];
			c->drv_idle[c->n] = idle[1];
			c->mpps[c->n++] = mpps;
		}
	}

	/* idle: share of each thread's time spent polling an empty ring, mean
	 * over the runs.  A busy device and an idle driver mean lib/vring set
	 * the pace; the other way round the numbers say little about it, and
	 * both idle means the threads were not really running side by side. */
	printf("%-7s %5s %-3s  %-26s  %-27s  %s\n", "layout", "size", "dir",
	       "Mpps min / median / max", "Gbit/s min / median / max", "idle dev/drv");
	for (unsigned int k = 0; k < ncell; k++) {
		struct cell *c = &cells[k];
		double g = c->size * 8.0 / 1e3; /* Mpps -> Gbit/s of payload */
		double dev = 0, drv = 0;

		if (c->n == 0)
			continue;
		for (unsigned int i = 0; i < c->n; i++) {
			dev += c->dev_idle[i] / c->n;
			drv += c->drv_idle[i] / c->n;
		}
		qsort(c->mpps, c->n, sizeof(double), cmp_double);
		printf("%-7s %5u %-3s  %7.2f / %7.2f / %7.2f   %7.2f / %7.2f / %7.2f   %3.0f%% / %3.0f%%\n",
		       c->packed ? "packed" : "split", c->size, c->rx ? "rx" : "tx", c->mpps[0],
		       c->mpps[c->n / 2], c->mpps[c->n - 1], c->mpps[0] * g, c->mpps[c->n / 2] * g,
		       c->mpps[c->n - 1] * g, dev * 100, drv * 100);
	}
	for (unsigned int k = 0; k < ncell; k++) {
		struct cell *c = &cells[k];
		double g = c->size * 8.0 / 1e3;

		if (c->n != o.runs)
			continue; /* a cell with a failed run has no result */
		printf("RESULT %s %u %s mpps=%.3f gbps=%.3f mpps_min=%.3f mpps_max=%.3f\n",
		       c->packed ? "packed" : "split", c->size, c->rx ? "rx" : "tx", c->mpps[c->n / 2],
		       c->mpps[c->n / 2] * g, c->mpps[0], c->mpps[c->n - 1]);
	}
	free(r.vq);
	free(r.m.base);
	return failed;
}
