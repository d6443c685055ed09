/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lifecycle_test: create and destroy a VDUSE net device N times through the
 * product's own code (drivers/vduse_net + lib/vdpa_nl), each time bound to
 * virtio_vdpa so the kernel's virtio_net probes it and resets it again, and
 * check that nothing accumulates: open fds, threads, DPDK heap, libc heap,
 * RSS.  Runs inside the test VM (tests/vm/lifecycle.sh).
 *
 *   lifecycle_test CYCLES
 *
 * Exit 0 if every cycle worked and the counts match, 1 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include "vdn_net.h"
#include "vdn_vdpa.h"

#define NAME "vdnlc0"

struct ctl {
	struct vdn_net_dev *dev;
	atomic_bool stop;
	int failed;
	pthread_t thr;
};

/* The control thread: answers the device's VDUSE messages while the kernel
 * probes and resets it (vdpa dev add/del block on those answers). */
static void *ctl_main(void *arg)
{
	struct ctl *c = arg;

	while (!atomic_load(&c->stop)) {
		struct pollfd p[2];
		int fds[2], n = vdn_net_ctrl_fds(c->dev, fds, 2);

		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		if (poll(p, (nfds_t)n, 20) < 0 && errno != EINTR)
			break;
		if (vdn_net_ctrl_handle(c->dev) < 0) {
			c->failed = 1;
			break;
		}
	}
	return NULL;
}

struct counts {
	int fds, threads;
	size_t rte_heap;   /* bytes allocated from DPDK's heap */
	size_t libc_heap;  /* bytes in use in malloc's arenas */
	long rss_kb;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static long status_field(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static void measure(struct counts *c)
{
	struct rte_malloc_socket_stats st;
	struct mallinfo2 mi = mallinfo2();

	memset(&st, 0, sizeof(st));
	rte_malloc_get_socket_stats(0, &st);
	c->fds = count_fds();
	c->threads = (int)status_field("Threads:");
	c->rte_heap = st.heap_allocsz_bytes;
	c->libc_heap = mi.uordblks + mi.hblkhd;
	c->rss_kb = status_field("VmRSS:");
}

static int one_cycle(struct vdn_vdpa *nl, int i)
{
	struct vdn_net_opts o = { .sz = sizeof(o), .name = NAME, .link_up = true };
	struct ctl c = { 0 };
	char ifname[64];
	int rc, rc2;

	rc = vdn_net_create(&o, &c.dev);
	if (rc) {
		fprintf(stderr, "cycle %d: vdn_net_create: %s\n", i, strerror(-rc));
		return -1;
	}
	if (pthread_create(&c.thr, NULL, ctl_main, &c)) {
		vdn_net_destroy(c.dev);
		return -1;
	}
	rc = vdn_vdpa_dev_add(nl, NAME, "vduse", VDN_VDPA_BUS_VIRTIO);
	if (rc)
		fprintf(stderr, "cycle %d: vdpa dev add: %s\n", i, strerror(-rc));
	/* the kernel's virtio_net probed it: a netdev exists */
	for (int k = 0; !rc && k < 200; k++) {
		rc = vdn_vdpa_netdev(NAME, ifname, sizeof(ifname));
		if (rc != -ENOENT)
			break;
		usleep(10000);
	}
	if (rc)
		fprintf(stderr, "cycle %d: no netdev: %s\n", i, strerror(-rc));
	rc2 = vdn_vdpa_dev_del(nl, NAME);
	if (rc2 && rc2 != -ENODEV) {
		fprintf(stderr, "cycle %d: vdpa dev del: %s\n", i, strerror(-rc2));
		rc = rc ? rc : rc2;
	}
	atomic_store(&c.stop, true);
	pthread_join(c.thr, NULL);
	if (c.failed) {
		fprintf(stderr, "cycle %d: control channel failed\n", i);
		rc = rc ? rc : -EIO;
	}
	rc2 = vdn_net_destroy(c.dev);
	if (rc2) {
		fprintf(stderr, "cycle %d: vdn_net_destroy: %s\n", i, strerror(-rc2));
		rc = rc ? rc : rc2;
	}
	return rc ? -1 : 0;
}

static void show(const char *what, const struct counts *c)
{
	printf("%s: fds %d threads %d dpdk-heap %zu libc-heap %zu rss %ld kB\n", what, c->fds,
	       c->threads, c->rte_heap, c->libc_heap, c->rss_kb);
}

int main(int argc, char **argv)
{
	char *eal[] = { "lifecycle_test", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };
	int cycles = argc > 1 ? atoi(argv[1]) : 100, bad = 0;
	struct counts before, half, after;
	struct vdn_vdpa *nl;
	struct timespec t0, t1;

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 2;
	}
	if (vdn_vdpa_open(&nl)) {
		fprintf(stderr, "vdpa netlink family missing\n");
		return 2;
	}
	/* one warm-up cycle: first-use allocations (libnl caches, stdio
	 * buffers, thread stacks) are not leaks */
	if (one_cycle(nl, 0))
		return 1;
	measure(&before);
	show("before", &before);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 1; i <= cycles; i++) {
		if (one_cycle(nl, i)) {
			bad++;
			break;
		}
		if (i == cycles / 2)
			measure(&half);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	measure(&after);
	show("after", &after);
	printf("%d cycles in %.1f s\n", cycles,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (after.fds != before.fds) {
		fprintf(stderr, "FAIL: %d fds leaked\n", after.fds - before.fds);
		bad++;
	}
	if (after.threads != before.threads) {
		fprintf(stderr, "FAIL: %d threads left\n", after.threads - before.threads);
		bad++;
	}
	if (after.rte_heap != before.rte_heap) {
		fprintf(stderr, "FAIL: DPDK heap grew by %zu bytes\n", after.rte_heap - before.rte_heap);
		bad++;
	}
	/* Steady growth, not a level: malloc's per-size caches may settle
	 * during the first half; in the second half even 100 bytes a cycle
	 * add up past this. */
	show("half", &half);
	if (after.libc_heap > half.libc_heap + 4096) {
		fprintf(stderr, "FAIL: libc heap grew by %zu bytes over the last %d cycles\n",
			after.libc_heap - half.libc_heap, cycles - cycles / 2);
		bad++;
	}
	if (after.rss_kb > before.rss_kb + 4096) {
		fprintf(stderr, "FAIL: RSS grew by %ld kB\n", after.rss_kb - before.rss_kb);
		bad++;
	}
	vdn_vdpa_close(nl);
	rte_eal_cleanup();
	if (!bad)
		printf("OK: %d create/destroy cycles left nothing behind\n", cycles);
	return bad ? 1 : 0;
}
