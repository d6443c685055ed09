/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vu_bench: DPDK's vhost library behind OUR driver harness.  dev_bench puts
 * our device model behind tests/perf/bench_driver; dpdk_ref.sh puts DPDK's
 * vhost (net_vhost in a testpmd) behind DPDK's virtio_user driver.  This is
 * the third pairing, which makes the device comparison fair: the same lean
 * driver harness, the same features, in front of DPDK's vhost.
 *
 * It connects as vhost-user frontend (vu_front.c) to the socket of a
 * dpdk-testpmd running net_vhost0 <-> net_null0 in io forwarding (started by
 * tests/perf/dpdk_ref.sh --our-driver), hands it one memfd holding the
 * driver's rings and buffers (IOVA = offset into the memfd = guest physical
 * address), sets up one queue pair (vring 0: the driver's RX queue, vhost
 * enqueues into it; vring 1: its TX queue, vhost dequeues from it) and runs
 * dev_bench's driver loop on the cell's ring from the first CPU it may use:
 * post a burst, take back what was used.  The other vring of the pair exists
 * (vhost wants both before it starts) but stays empty.
 *
 * The rate is the packets the driver got back per second over --seconds,
 * after the first packet and a warm-up, as dev_bench counts (there the
 * device's count; in steady state the two are the same).  Checks: every
 * buffer comes back once and in range; RX buffers come back with the right
 * length, num_buffers 1 and the device's data over the mark the driver left
 * in the buffers it posted (all of them, or one in --mark-every N) (DPDK's
 * null port carries no sequence numbers, so no sequence check on RX; on TX
 * the length check is dpdk_ref.sh's, from vhost's byte count).
 * Any error: no RUN line, exit 1.
 *
 *   vu_bench --socket PATH --layout split|packed --size 64|1518 --dir tx|rx
 *            [--seconds S] [--queue-size N] [--burst N] [--in-order] [--mark-every N]
 * Prints `RUN <layout> <size> <dir> mpps=X` and `TOTAL posted=P returned=R`
 * (for dpdk_ref.sh's check against testpmd's forwarding totals).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "bench_driver.h"
#include "vu_front.h"

#define MAX_BURST 64
#define MEM_SIZE (4u << 20)
/* after the driver's memory: the rings of the pair's idle vring */
#define IDLE_SIZE (64u << 10)

struct opts {
	const char *sock;
	bool packed, rx, in_order;
	uint32_t size;
	double seconds;
	uint16_t num;
	unsigned int burst;
	uint16_t mark_every; /* RX buffers posted holding the mark: one in N */
};

struct run {
	const struct opts *o;
	struct bench_mem m;
	struct bench_drv drv;
	_Alignas(64) int phase; /* 0 set up, 1 running, 2 stop */
	_Alignas(64) uint64_t count; /* packets the driver got back */
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

/* dev_bench's driver_main, minus the pinning (the whole process is on the
 * driver's cpu), plus publishing the count for the main thread. */
static void *driver_main(void *arg)
{
	struct run *r = arg;
	unsigned int burst = r->o->burst;

	while (phase(r) == 0)
		_mm_pause();
	while (phase(r) == 1) {
		unsigned int got = bench_drv_reclaim(&r->drv);
		unsigned int put = bench_drv_post(&r->drv, burst);

		if (got)
			__atomic_store_n(&r->count, r->drv.seq_done, __ATOMIC_RELAXED);
		if (!got && !put)
			_mm_pause();
	}
	return NULL;
}

/* The idle vring of the pair at offset off of the memfd: nothing
 * available, no interrupts wanted. */
static void idle_vring(uint8_t *base, uint64_t off, const struct opts *o,
		       struct vu_front_vring *v)
{
	uint8_t *p = base + off;

	memset(p, 0, IDLE_SIZE);
	v->num = o->num;
	v->packed = o->packed;
	v->desc = p;
	if (o->packed) {
		struct vring_packed_desc_event *drv = (void *)(p + 16u * o->num);

		drv->flags = htole16(VRING_PACKED_EVENT_FLAG_DISABLE);
		v->driver = drv;
		v->device = p + 16u * o->num + 64;
	} else {
		struct vring_avail *avail = (void *)(p + 16u * o->num);

		avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
		v->driver = avail;
		/* used ring 4-byte aligned, on its own line */
		v->device = p + ((16u * o->num + 6 + 2u * o->num + 63) & ~63u);
	}
}

/* Negotiate as dev_bench's driver acks, and set up both vrings. */
static int front_setup(struct vu_front *f, struct run *r, int memfd, uint64_t memsz,
		       const int efd[4])
{
	const struct opts *o = r->o;
	const struct bench_drv *d = &r->drv;
	uint64_t want = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
			(o->packed ? 1ULL << VIRTIO_F_RING_PACKED : 0) |
			(o->in_order ? 1ULL << VIRTIO_F_IN_ORDER : 0);
	struct vu_front_vring cell = {
		.num = d->num,
		.packed = d->packed,
		.desc = r->m.base + d->area[0],
		.driver = r->m.base + d->area[1],
		.device = r->m.base + d->area[2],
	}, idle;
	unsigned int ci = o->rx ? 0 : 1;
	uint64_t offered;
	int rc;

	rc = vu_front_get_features(f, &offered);
	if (rc < 0)
		return rc;
	if ((offered & want) != want) {
		fprintf(stderr, "vu_bench: the backend offers %#llx, lacks %#llx\n",
			(unsigned long long)offered, (unsigned long long)(want & ~offered));
		return -ENOTSUP;
	}
	idle_vring(r->m.base, MEM_SIZE, o, &idle);
	cell.kick = efd[0];
	cell.call = efd[1];
	idle.kick = efd[2];
	idle.call = efd[3];
	rc = vu_front_set_owner(f);
	if (rc == 0)
		rc = vu_front_set_features(f, want);
	if (rc == 0)
		rc = vu_front_set_mem(f, memfd, memsz, r->m.base);
	if (rc == 0)
		rc = vu_front_vring(f, ci, &cell);
	if (rc == 0)
		rc = vu_front_vring(f, 1 - ci, &idle);
	return rc;
}

/* The backend answers nothing we asked now: anything readable on the
 * socket (an error, a close) means it dropped us. */
static bool dropped(const struct vu_front *f)
{
	struct pollfd p = { .fd = f->sock, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: vu_bench --socket PATH --layout split|packed --size 64|1518 "
			"--dir tx|rx [--seconds S] [--queue-size N] [--burst N] [--in-order] "
			"[--mark-every N]\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	int have = 0;

	*o = (struct opts){ .seconds = 1.0, .num = 256, .burst = 32, .mark_every = 1 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--socket") && v) {
			o->sock = v, i++;
		} else if (!strcmp(a, "--seconds") && v) {
			o->seconds = atof(v), i++;
		} else if (!strcmp(a, "--queue-size") && v) {
			o->num = (uint16_t)atoi(v), i++;
		} else if (!strcmp(a, "--burst") && v) {
			o->burst = (unsigned int)atoi(v), i++;
		} else if (!strcmp(a, "--in-order")) {
			o->in_order = true;
		} else if (!strcmp(a, "--mark-every") && v) {
			o->mark_every = (uint16_t)atoi(v), i++;
		} else if (!strcmp(a, "--layout") && v && (!strcmp(v, "split") || !strcmp(v, "packed"))) {
			o->packed = !strcmp(v, "packed"), i++, have |= 1;
		} else if (!strcmp(a, "--dir") && v && (!strcmp(v, "tx") || !strcmp(v, "rx"))) {
			o->rx = !strcmp(v, "rx"), i++, have |= 2;
		} else if (!strcmp(a, "--size") && v && (atoi(v) == 64 || atoi(v) == 1518)) {
			o->size = (uint32_t)atoi(v), i++, have |= 4;
		} else {
			return usage();
		}
	}
	if (!o->sock || have != 7 || !(o->seconds > 0) || o->burst < 1 || o->burst > MAX_BURST ||
	    o->num < 2 || o->num > BENCH_MAX_NUM || (o->num & (o->num - 1)) || !o->mark_every ||
	    (o->mark_every & (o->mark_every - 1)) ||
	    16u * o->num + 128 + 8u * o->num > IDLE_SIZE)
		return usage();
	return 0;
}

/* The driver runs on the first cpu we may use, as dev_bench's does. */
static int pin_first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		CPU_ZERO(&set);
		CPU_SET(c, &set);
		return sched_setaffinity(0, sizeof(set), &set) ? -errno : c;
	}
	return -ENODEV;
}

/* Wait up to max_s for the count to pass c; false if it did not (or the
 * backend dropped us). */
static bool wait_count(struct run *r, const struct vu_front *f, uint64_t c, double max_s,
		       uint64_t *now_c)
{
	for (double t = 0; t < max_s; t += 0.05) {
		*now_c = __atomic_load_n(&r->count, __ATOMIC_RELAXED);
		if (*now_c > c || dropped(f))
			return *now_c > c;
		sleep_s(0.05);
	}
	*now_c = __atomic_load_n(&r->count, __ATOMIC_RELAXED);
	return *now_c > c;
}

/* Interrupts (call eventfd signals) vhost sent since the last look. */
static uint64_t calls(int fd)
{
	uint64_t n = 0;

	return read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n) ? n : 0;
}

static int bench(struct run *r, struct vu_front *f, const int efd[4])
{
	const struct opts *o = r->o;
	double warm = o->seconds * 0.2, t0 = 0, t1 = 0;
	uint64_t c0 = 0, c1 = 0, irqs;
	pthread_t td;
	bool ok;

	if (pthread_create(&td, NULL, driver_main, r))
		return -EAGAIN;
	__atomic_store_n(&r->phase, 1, __ATOMIC_RELEASE);
	/* vhost starts once both vrings are there; on a crowded machine its
	 * testpmd may take a while to get scheduled */
	ok = wait_count(r, f, 0, 10, &c0);
	if (ok) {
		sleep_s(warm < 0.1 ? warm : 0.1);
		c0 = __atomic_load_n(&r->count, __ATOMIC_RELAXED);
		t0 = now();
		sleep_s(o->seconds);
		c1 = __atomic_load_n(&r->count, __ATOMIC_RELAXED);
		/* as dev_bench: a short window may pass unscheduled */
		if (c1 == c0)
			ok = wait_count(r, f, c0, 10, &c1);
		t1 = now();
	}
	__atomic_store_n(&r->phase, 2, __ATOMIC_RELEASE);
	pthread_join(td, NULL);
	if (dropped(f)) {
		fprintf(stderr, "vu_bench: the backend closed the connection\n");
		return -ECONNRESET;
	}
	/* the driver switched interrupts off on both vrings, as dev_bench's
	 * does, which fails a run on any */
	irqs = calls(efd[1]) + calls(efd[3]);
	if (!ok || r->drv.errors || irqs) {
		fprintf(stderr, "vu_bench: %s %u %s: driver errors %llu, interrupts %llu, packets back %llu\n",
			o->packed ? "packed" : "split", o->size, o->rx ? "rx" : "tx",
			(unsigned long long)r->drv.errors, (unsigned long long)irqs,
			(unsigned long long)r->drv.seq_done);
		return -EIO;
	}
	printf("RUN %s %u %s mpps=%.3f\n", o->packed ? "packed" : "split", o->size,
	       o->rx ? "rx" : "tx", (double)(c1 - c0) / (t1 - t0) / 1e6);
	printf("TOTAL posted=%llu returned=%llu\n", (unsigned long long)r->drv.seq_post,
	       (unsigned long long)r->drv.seq_done);
	return 0;
}

int main(int argc, char **argv)
{
	static struct run r;
	struct opts o;
	struct vu_front f = { .sock = -1 };
	uint64_t memsz = MEM_SIZE + IDLE_SIZE;
	int efd[4], memfd, rc;
	void *map;

	if (parse(argc, argv, &o))
		return 2;
	r.o = &o;
	rc = pin_first_cpu();
	if (rc < 0) {
		fprintf(stderr, "vu_bench: cannot pin to a cpu: %s\n", strerror(-rc));
		return 1;
	}
	/* the rings and buffers, shared with vhost through the fd */
	memfd = memfd_create("vu_bench", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)memsz) < 0) {
		perror("vu_bench: memfd");
		return 1;
	}
	map = mmap(NULL, memsz, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (map == MAP_FAILED) {
		perror("vu_bench: mmap");
		return 1;
	}
	r.m.base = map;
	r.m.size = MEM_SIZE;
	rc = bench_drv_init(&r.drv, &r.m, o.packed, o.rx, o.num, o.size);
	if (rc < 0) {
		fprintf(stderr, "vu_bench: bench_drv_init: %s\n", strerror(-rc));
		return 1;
	}
	r.drv.in_order = o.in_order;
	r.drv.rx_mark_every = o.mark_every;
	for (int i = 0; i < 4; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd[i] < 0) {
			perror("vu_bench: eventfd");
			return 1;
		}
	}
	/* the backend creates its socket before it listens on it: a refused
	 * connection may just be early */
	for (int i = 0; i < 200; i++) {
		rc = vu_front_connect(&f, o.sock);
		if (rc != -ECONNREFUSED && rc != -ENOENT)
			break;
		sleep_s(0.05);
	}
	if (rc == 0)
		rc = front_setup(&f, &r, memfd, memsz, efd);
	if (rc < 0) {
		fprintf(stderr, "vu_bench: vhost-user setup on %s: %s\n", o.sock, strerror(-rc));
		return 1;
	}
	rc = bench(&r, &f, efd);
	vu_front_close(&f);
	return rc < 0 ? 1 : 0;
}
