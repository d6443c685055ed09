/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dev_bench: the device model's datapath (drivers/vduse_net) at speed,
 * natively, on the transport seam (vdn_net_transport.h) instead of VDUSE.
 *
 * Driver side: tests/perf/bench_driver (one core) keeps a split or packed
 * ring in plain shared memory full of virtio_net_hdr-prefixed packets (tx)
 * or empty buffers (rx) and takes back what was used.  It is our lean
 * harness, not a real virtio driver: one descriptor per packet, no mbufs.
 * Device side: a DPDK lcore on another core doing what the daemon's
 * forwarding does, one queue pair, bursts of 32:
 *   tx: vdn_net_dequeue_burst() -> rte_eth_tx_burst() to a net_null port
 *   rx: rte_eth_rx_burst() from a net_null port (size=64|1518) ->
 *       vdn_net_enqueue_burst(), then the mbufs are freed
 * So a cell includes: vring pop/push, virtio_net_hdr handling, the packet
 * copy, mbuf alloc/free from a mempool and the null PMD's burst call.
 *
 * The device gets a ring journal as the daemon always gives it
 * (app/device.c, app/reattach.c: one word per virtqueue plus one, in a
 * shared mapping of a tmpfs file), so packed cells pay its word per
 * completion as vdnet does; --no-journal leaves it out, to compare.
 * After a packed run the journal word of the cell's ring must have been
 * written and say "all flushed", or the run fails.
 *
 * Cells {split, packed} x {64, 1518} B x {tx, rx}; runs of all cells are
 * interleaved and each reports min/median/max.  Packets carry sequence
 * numbers that the other side checks (tx: the device lcore, in the mbuf;
 * rx: the driver, in its buffer); any error, rejected chain or unexpected
 * drop fails the run, and a cell with a failed run prints no RESULT.
 *
 *   dev_bench [--quick] [--runs N] [--seconds S] [--queue-size N] [--burst N]
 *             [--in-order] [--no-journal] [--layout split|packed] [--size 64|1518]
 *             [--dir tx|rx]
 * One `RUN <layout> <size> <dir> mpps=X` line per run (for tests/perf/run.sh),
 * a table, then one `RESULT <layout> <size> <dir> mpps=...` line per cell.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "bench_driver.h"
#include "vdn_net_transport.h"

#define MAX_BURST 64
#define MAX_RUNS 100
#define MEM_SIZE (4u << 20)
#define NB_MBUF 8191
/* as app/reattach.c's JOURNAL_WORDS: every queue pair's two rings and the
 * control queue */
#define JOURNAL_WORDS (2 * VDN_NET_MAX_QUEUE_PAIRS + 1)
#define JOURNAL_SIZE (JOURNAL_WORDS * sizeof(uint64_t))
/* lib/vring/vring_packed_private.h's journal word: its tag, and the three
 * ring positions that are equal when nothing is staged */
#define JOURNAL_TAG(w) ((w) >> 56)
#define JOURNAL_FLUSHED(w) (((w) & 0xffff) == (((w) >> 16) & 0xffff) && \
			    ((w) & 0xffff) == (((w) >> 32) & 0xffff))

struct opts {
	const char *layout, *dir; /* NULL: all */
	unsigned int size;        /* 0: all */
	unsigned int runs;
	double seconds;
	uint16_t num;
	unsigned int burst;
	bool in_order;            /* offer and take VIRTIO_F_IN_ORDER */
	bool no_journal;          /* the device without the daemon's ring journal */
};

struct cell {
	bool packed;
	uint32_t size;
	bool rx;
	double mpps[MAX_RUNS];
	double idle[MAX_RUNS]; /* share of the device lcore's time finding nothing */
	double ns[MAX_RUNS];   /* its busy CPU time per packet */
	unsigned int n;
};

struct run {
	const struct opts *o;
	const struct cell *cell;
	struct bench_mem m;
	struct bench_drv drv;
	struct vdn_net_dev *dev;
	uint64_t *journal;        /* JOURNAL_WORDS, or NULL with --no-journal */
	struct rte_mempool *mp;
	uint16_t port[2]; /* net_null with 64 and 1518 B packets */
	int cpu_drv;
	uint64_t irqs;    /* the transport's "interrupts": a counter */
	_Alignas(64) int phase; /* 0 set up, 1 running, 2 stop */
	_Alignas(64) uint64_t dev_count;
	uint64_t dev_cycles;              /* TSC cycles in the loop, and of those ... */
	uint64_t dev_idle;                /* ... in polls that found nothing */
	uint64_t dev_errors;
	clockid_t dev_clock;              /* the device lcore's CPU-time clock */
	_Alignas(64) int dev_clock_ok;
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

static int phase(const struct run *r)
{
	return __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE);
}

/* ---- the transport: plays the kernel's part for one queue pair ---- */

static void *tp_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	const struct run *r = ctx;

	(void)access;
	if (iova >= r->m.size)
		return NULL;
	if (*len > r->m.size - iova)
		*len = r->m.size - iova;
	return r->m.base + iova;
}

static int tp_vq_info(void *ctx, uint32_t index, struct vdn_net_vq_info *info)
{
	const struct run *r = ctx;
	const struct bench_drv *d = &r->drv;

	/* only the ring of the cell's direction exists: vq 0 is the driver's
	 * RX queue, vq 1 its TX queue */
	if (index != (d->rx ? 0u : 1u))
		return 0;
	info->num = d->num;
	info->desc_iova = d->area[0];
	info->avail_iova = d->area[1];
	info->used_iova = d->area[2];
	info->ready = true;
	info->packed = d->packed;
	info->avail_wrap = info->used_wrap = true;
	return 0;
}

/* What a virtio_net driver without offloads acks (as DPDK's virtio_user
 * with its defaults would, minus what the bench driver does not do). */
static uint64_t tp_driver_features(void *ctx)
{
	const struct run *r = ctx;

	return (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
	       (r->drv.packed ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
	       (r->o->in_order ? 1ULL << VIRTIO_F_IN_ORDER : 0);
}

static int tp_vq_irq(void *ctx, uint32_t index)
{
	struct run *r = ctx;

	(void)index;
	r->irqs++;
	return 0;
}

static const struct vdn_net_transport_ops bench_tp = {
	.xlate = tp_xlate,
	.vq_info = tp_vq_info,
	.driver_features = tp_driver_features,
	.vq_irq = tp_vq_irq,
};

/* ---- the two sides ---- */

static int device_main(void *arg)
{
	struct run *r = arg;
	const bool rx = r->cell->rx;
	const uint32_t size = r->cell->size;
	const uint16_t port = r->port[size == 64 ? 0 : 1];
	const uint16_t burst = (uint16_t)r->o->burst;
	struct rte_mbuf *pkts[MAX_BURST];
	uint64_t count = 0, seq = 0, errors = 0, start, idle = 0;

	if (pthread_getcpuclockid(pthread_self(), &r->dev_clock) == 0)
		__atomic_store_n(&r->dev_clock_ok, 1, __ATOMIC_RELEASE);
	while (phase(r) == 0)
		rte_pause();
	start = rte_rdtsc();
	while (phase(r) == 1) {
		uint64_t t = rte_rdtsc();
		uint16_t n, k;

		if (!rx) {
			n = vdn_net_dequeue_burst(r->dev, 0, r->mp, pkts, burst);
			for (k = 0; k < n; k++) {
				uint64_t s;

				memcpy(&s, rte_pktmbuf_mtod(pkts[k], void *), sizeof(s));
				errors += s != seq + k || pkts[k]->pkt_len != size;
			}
			k = rte_eth_tx_burst(port, 0, pkts, n);
			if (k < n)
				rte_pktmbuf_free_bulk(pkts + k, n - k);
		} else {
			n = rte_eth_rx_burst(port, 0, pkts, burst);
			/* the null PMD leaves the data as it was; the driver
			 * checks these */
			for (k = 0; k < n; k++) {
				uint64_t s = seq + k;

				memcpy(rte_pktmbuf_mtod(pkts[k], void *), &s, sizeof(s));
			}
			/* a full ring takes a prefix of the burst */
			k = vdn_net_enqueue_burst(r->dev, 0, pkts, n);
			rte_pktmbuf_free_bulk(pkts, n);
			n = k;
		}
		if (!n)
			idle += rte_rdtsc() - t;
		seq += n;
		count += n;
		__atomic_store_n(&r->dev_idle, idle, __ATOMIC_RELAXED);
		__atomic_store_n(&r->dev_cycles, rte_rdtsc() - start, __ATOMIC_RELAXED);
		__atomic_store_n(&r->dev_count, count, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&r->dev_errors, errors, __ATOMIC_RELAXED);
	return 0;
}

static void *driver_main(void *arg)
{
	struct run *r = arg;
	unsigned int burst = r->o->burst;
	cpu_set_t set;

	if (r->cpu_drv >= 0) {
		CPU_ZERO(&set);
		CPU_SET(r->cpu_drv, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	while (phase(r) == 0)
		rte_pause();
	while (phase(r) == 1) {
		unsigned int got = bench_drv_reclaim(&r->drv);
		unsigned int put = bench_drv_post(&r->drv, burst);

		if (!got && !put)
			rte_pause();
	}
	return NULL;
}

#define DRIVER_OK_STATUS                                                                   \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |  \
	 VIRTIO_CONFIG_S_DRIVER_OK)

/* CPU time of the device lcore in seconds, or -1. */
static double dev_cpu(const struct run *r)
{
	struct timespec ts;

	if (!__atomic_load_n(&r->dev_clock_ok, __ATOMIC_ACQUIRE) ||
	    clock_gettime(r->dev_clock, &ts))
		return -1;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One run of one cell: packets per second in *mpps, the device lcore's
 * idle share in *idle and its busy CPU time per packet in *ns (robust to
 * the lcore being descheduled on a shared machine; 0 if unknown). */
static int run_once(struct run *r, unsigned int dev_lcore, double *mpps, double *idle, double *ns)
{
	struct vdn_net_q_stats st0, st;
	uint64_t c0, c1, i0, i1, y0, y1, drops = 0;
	double t0, t1, cpu0, cpu1, warm = r->o->seconds * 0.2;
	pthread_t td;
	int rc;

	rc = bench_drv_init(&r->drv, &r->m, r->cell->packed, r->cell->rx, r->o->num,
			    r->cell->size);
	if (rc < 0)
		return rc;
	/* zeroed, so a word read after the run was written by this run */
	if (r->journal)
		memset(r->journal, 0, JOURNAL_SIZE);
	r->drv.in_order = r->o->in_order;
	rc = vdn_net_transport_status(r->dev, DRIVER_OK_STATUS);
	if (rc < 0)
		return rc;
	vdn_net_qp_stats(r->dev, 0, &st0);
	r->phase = 0;
	r->dev_clock_ok = 0;
	r->dev_count = r->dev_cycles = r->dev_idle = r->dev_errors = r->irqs = 0;
	if (rte_eal_remote_launch(device_main, r, dev_lcore)) {
		vdn_net_transport_status(r->dev, 0);
		return -EAGAIN;
	}
	if (pthread_create(&td, NULL, driver_main, r)) {
		__atomic_store_n(&r->phase, 2, __ATOMIC_RELEASE);
		rte_eal_wait_lcore(dev_lcore);
		vdn_net_transport_status(r->dev, 0);
		return -EAGAIN;
	}
	__atomic_store_n(&r->phase, 1, __ATOMIC_RELEASE);
	sleep_s(warm < 0.1 ? warm : 0.1);
	c0 = __atomic_load_n(&r->dev_count, __ATOMIC_ACQUIRE);
	i0 = __atomic_load_n(&r->dev_idle, __ATOMIC_RELAXED);
	y0 = __atomic_load_n(&r->dev_cycles, __ATOMIC_RELAXED);
	cpu0 = dev_cpu(r);
	t0 = now();
	sleep_s(r->o->seconds);
	c1 = __atomic_load_n(&r->dev_count, __ATOMIC_ACQUIRE);
	/* on a crowded machine a short window can pass with neither thread
	 * scheduled: wait (up to 10 s) for a packet before calling it broken */
	for (int i = 0; i < 200 && c1 == c0; i++) {
		sleep_s(0.05);
		c1 = __atomic_load_n(&r->dev_count, __ATOMIC_ACQUIRE);
	}
	i1 = __atomic_load_n(&r->dev_idle, __ATOMIC_RELAXED);
	y1 = __atomic_load_n(&r->dev_cycles, __ATOMIC_RELAXED);
	cpu1 = dev_cpu(r);
	t1 = now();
	__atomic_store_n(&r->phase, 2, __ATOMIC_RELEASE);
	pthread_join(td, NULL);
	rte_eal_wait_lcore(dev_lcore);
	vdn_net_qp_stats(r->dev, 0, &st);
	/* the journal word of the cell's ring (vq 0 rx, vq 1 tx), before the
	 * reset: the device stopped after a flush, so nothing is staged */
	uint64_t jw = r->journal ? __atomic_load_n(&r->journal[r->cell->rx ? 0 : 1],
						   __ATOMIC_ACQUIRE) : 0;
	/* reset: the next run starts with a fresh driver */
	vdn_net_transport_status(r->dev, 0);
	if (r->journal && r->cell->packed && (JOURNAL_TAG(jw) != 0x5a || !JOURNAL_FLUSHED(jw))) {
		fprintf(stderr, "dev_bench: packed %u %s: the ring journal was not kept "
				"(word %#llx)\n", r->cell->size, r->cell->rx ? "rx" : "tx",
			(unsigned long long)jw);
		return -EIO;
	}

	for (int i = 0; i < VDN_NET_DROP__COUNT; i++) {
		/* expected: rx finding the ring full (the null port never
		 * stops) and tx finding the pool empty (the packet stays) */
		if ((i == VDN_NET_DROP_NO_BUF && r->cell->rx) ||
		    (i == VDN_NET_DROP_NO_MBUF && !r->cell->rx))
			continue;
		drops += st.drop[i] - st0.drop[i];
	}
	if (r->dev_errors || r->drv.errors || drops || r->irqs || c1 <= c0) {
		fprintf(stderr, "dev_bench: %s %u %s: errors device %llu driver %llu, drops %llu, "
				"irqs %llu, packets %llu\n",
			r->cell->packed ? "packed" : "split", r->cell->size, r->cell->rx ? "rx" : "tx",
			(unsigned long long)r->dev_errors, (unsigned long long)r->drv.errors,
			(unsigned long long)drops, (unsigned long long)r->irqs,
			(unsigned long long)(c1 - c0));
		return -EIO;
	}
	*mpps = (double)(c1 - c0) / (t1 - t0) / 1e6;
	*idle = y1 > y0 ? (double)(i1 - i0) / (double)(y1 - y0) : 1.0;
	*ns = 0;
	/* preemption hits busy and idle polls alike, so the idle share of
	 * wall time is also that of CPU time */
	if (cpu0 >= 0 && cpu1 > cpu0)
		*ns = (cpu1 - cpu0) * (1.0 - *idle) / (double)(c1 - c0) * 1e9;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Two CPUs we may run on: the driver gets the first, the device the second. */
static int pick_cpus(int *drv, int *dev)
{
	cpu_set_t set;
	int found = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int c = 0; c < CPU_SETSIZE && found < 2; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (found++ == 0)
			*drv = c;
		else
			*dev = c;
	}
	return found < 2 ? -1 : 0;
}

static int usage(FILE *f)
{
	fprintf(f, "usage: dev_bench [--quick] [--runs N] [--seconds S] [--queue-size N] "
			"[--burst N] [--in-order] [--no-journal] [--layout split|packed] "
			"[--size 64|1518] [--dir tx|rx]\n"
			"The device has the ring journal the daemon always gives it (a word per "
			"packed\ncompletion, for crash recovery); --no-journal runs it without.\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .runs = 5, .seconds = 1.0, .num = 256, .burst = 32 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(a, "--quick")) {
			o->runs = 3;
			o->seconds = 0.2;
		} else if (!strcmp(a, "--runs") && v) {
			o->runs = (unsigned int)atoi(v), i++;
		} else if (!strcmp(a, "--seconds") && v) {
			o->seconds = atof(v), i++;
		} else if (!strcmp(a, "--queue-size") && v) {
			o->num = (uint16_t)atoi(v), i++;
		} else if (!strcmp(a, "--in-order")) {
			o->in_order = true;
		} else if (!strcmp(a, "--no-journal")) {
			o->no_journal = true;
		} else if (!strcmp(a, "--burst") && v) {
			o->burst = (unsigned int)atoi(v), i++;
		} else if (!strcmp(a, "--layout") && v && (!strcmp(v, "split") || !strcmp(v, "packed"))) {
			o->layout = v, i++;
		} else if (!strcmp(a, "--dir") && v && (!strcmp(v, "tx") || !strcmp(v, "rx"))) {
			o->dir = v, i++;
		} else if (!strcmp(a, "--size") && v && (atoi(v) == 64 || atoi(v) == 1518)) {
			o->size = (unsigned int)atoi(v), i++;
		} else {
			return usage(stderr);
		}
	}
	if (o->runs < 1 || o->runs > MAX_RUNS || !(o->seconds > 0) || o->burst < 1 ||
	    o->burst > MAX_BURST || o->num < 2 || o->num > BENCH_MAX_NUM || (o->num & (o->num - 1)))
		return usage(stderr);
	return 0;
}

static void log_stderr(void *opaque, int level, const char *msg)
{
	(void)opaque;
	if (level <= (int)RTE_LOG_WARNING)
		fprintf(stderr, "dev_bench: %s\n", msg);
}

static int port_setup(const char *name, struct rte_mempool *mp, uint16_t *port)
{
	struct rte_eth_conf conf;
	int rc = rte_eth_dev_get_port_by_name(name, port);

	memset(&conf, 0, sizeof(conf));
	if (rc == 0)
		rc = rte_eth_dev_configure(*port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(*port, 0, 512, SOCKET_ID_ANY, NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(*port, 0, 512, SOCKET_ID_ANY, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(*port);
	return rc;
}

/* EAL: main lcore on the driver's cpu (it only sleeps), lcore 1 = device. */
static int eal_init(int cpu_drv, int cpu_dev)
{
	char lcores[64];
	char *argv[] = {
		"dev_bench", "--lcores", lcores, "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--log-level", "4", "--vdev", "net_null0,size=64", "--vdev", "net_null1,size=1518",
	};

	snprintf(lcores, sizeof(lcores), "0@%d,1@%d", cpu_drv, cpu_dev);
	return rte_eal_init((int)RTE_DIM(argv), argv);
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 64, 1518 };
	struct cell cells[8];
	unsigned int ncell = 0;
	struct opts o;
	static struct run r;
	struct vdn_net_opts no;
	int failed = 0, cpu_dev = -1, rc;

	rc = parse(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	for (int p = 0; p < 2; p++)
		for (int s = 0; s < 2; s++)
			for (int d = 0; d < 2; d++) {
				if ((o.layout && strcmp(o.layout, p ? "packed" : "split")) ||
				    (o.dir && strcmp(o.dir, d ? "rx" : "tx")) ||
				    (o.size && o.size != sizes[s]))
					continue;
				cells[ncell++] = (struct cell){ .packed = p, .size = sizes[s], .rx = d };
			}

	r.o = &o;
	r.cpu_drv = -1;
	if (pick_cpus(&r.cpu_drv, &cpu_dev) < 0) {
		fprintf(stderr, "dev_bench: needs 2 cpus\n");
		return 77;
	}
	if (eal_init(r.cpu_drv, cpu_dev) < 0) {
		fprintf(stderr, "dev_bench: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	r.m.size = MEM_SIZE;
	r.m.base = aligned_alloc(4096, MEM_SIZE);
	r.mp = rte_pktmbuf_pool_create("bench", NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	/* The daemon maps a file in /run/vdnet (tmpfs) MAP_SHARED: shmem
	 * pages, as a shared anonymous mapping has. */
	if (!o.no_journal) {
		void *j = mmap(NULL, JOURNAL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			       -1, 0);

		r.journal = j == MAP_FAILED ? NULL : j;
	}
	if (!r.m.base || !r.mp || (!o.no_journal && !r.journal)) {
		fprintf(stderr, "dev_bench: out of memory\n");
		return 1;
	}
	if (port_setup("net_null0", r.mp, &r.port[0]) < 0 ||
	    port_setup("net_null1", r.mp, &r.port[1]) < 0) {
		fprintf(stderr, "dev_bench: cannot set up the net_null ports\n");
		return 1;
	}
	memset(&no, 0, sizeof(no));
	no.sz = sizeof(no);
	no.name = "bench";
	no.vq_size = o.num;
	no.link_up = true;
	no.packed = true; /* offered; each run's driver takes it or not */
	no.in_order = o.in_order;
	no.features_off = 1ULL << VIRTIO_NET_F_CTRL_VQ;
	no.log = log_stderr;
	no.journal = r.journal;
	no.journal_len = r.journal ? JOURNAL_WORDS : 0;
	rc = vdn_net_create_on(&no, &bench_tp, &r, &r.dev);
	if (rc < 0) {
		fprintf(stderr, "dev_bench: vdn_net_create_on: %s\n", strerror(-rc));
		return 1;
	}

	printf("dev_bench: drivers/vduse_net on a native transport; queue %u, burst %u, %u runs x "
	       "%.2f s per cell; driver on cpu %d, device lcore on cpu %d; ring journal %s\n",
	       o.num, o.burst, o.runs, o.seconds, r.cpu_drv, cpu_dev,
	       r.journal ? "on (as the daemon)" : "off (--no-journal)");
	fflush(stdout);
	for (unsigned int run = 0; run < o.runs; run++) {
		for (unsigned int k = 0; k < ncell; k++) {
			struct cell *c = &cells[k];
			double mpps, idle, ns;

			r.cell = c;
			if (run_once(&r, 1, &mpps, &idle, &ns) < 0) {
				failed = 1;
				continue;
			}
			c->idle[c->n] = idle;
			c->ns[c->n] = ns;
			c->mpps[c->n++] = mpps;
			printf("RUN %s %u %s mpps=%.3f dev_idle=%.2f dev_ns=%.1f\n",
			       c->packed ? "packed" : "split", c->size, c->rx ? "rx" : "tx", mpps, idle,
			       ns);
			fflush(stdout);
		}
	}

	/* idle: the device lcore's time in polls that found nothing (mean
	 * over the runs).  Near 0: the device set the pace; high: the driver
	 * harness (or the machine) did.  ns/pkt: the device lcore's CPU time
	 * per packet outside those polls, which time slicing by other work on
	 * the machine does not inflate (cache pollution still does). */
	printf("%-7s %5s %-3s  %-26s  %-27s  %-8s  %s\n", "layout", "size", "dir",
	       "Mpps min / median / max", "Gbit/s min / median / max", "dev idle",
	       "dev ns/pkt (median)");
	for (unsigned int k = 0; k < ncell; k++) {
		struct cell *c = &cells[k];
		double g = c->size * 8.0 / 1e3; /* Mpps -> Gbit/s of frames */

		double idle = 0;

		if (c->n == 0)
			continue;
		for (unsigned int i = 0; i < c->n; i++)
			idle += c->idle[i] / c->n;
		qsort(c->mpps, c->n, sizeof(double), cmp_double);
		qsort(c->ns, c->n, sizeof(double), cmp_double);
		printf("%-7s %5u %-3s  %7.2f / %7.2f / %7.2f   %7.2f / %7.2f / %7.2f   %7.0f%%  %6.1f\n",
		       c->packed ? "packed" : "split", c->size, c->rx ? "rx" : "tx", c->mpps[0],
		       c->mpps[c->n / 2], c->mpps[c->n - 1], c->mpps[0] * g, c->mpps[c->n / 2] * g,
		       c->mpps[c->n - 1] * g, idle * 100, c->ns[c->n / 2]);
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
	vdn_net_destroy(r.dev);
	rte_eth_dev_stop(r.port[0]);
	rte_eth_dev_stop(r.port[1]);
	rte_eal_cleanup();
	free(r.m.base);
	if (r.journal)
		munmap(r.journal, JOURNAL_SIZE);
	return failed;
}
