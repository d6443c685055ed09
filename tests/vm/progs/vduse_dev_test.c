/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vduse_dev_test: drives lib/vduse against the real kernel (tests/vm/vduse_dev.sh).
 *
 *   vduse_dev_test [NAME]       (default vdntest)
 *
 * Checks the error contract (attach to a missing device, duplicate create,
 * second open, refused features), creates a virtio-net device and serves its
 * control messages on a thread.  Once the driver sets DRIVER_OK it checks
 * both vqs (size, ready, whole rings translate) and registers a kick fd on
 * the TX queue (1); every kick is answered by completing the TX buffers via
 * the used ring and an interrupt.  A reset must close the kick fd and unmap
 * the rings; the device must come up again when re-added.  SIGTERM while
 * bound must fail with EBUSY (then the test re-attaches); SIGTERM after
 * `vdpa dev del` must destroy.
 * Prints "OK ..." / "FAIL ..." lines; exit 0 only if every check passed.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "vdn_vduse.h"

/* vdn_vduse_xlate() takes lib/vring's access bits (VDN_ACCESS_READ/WRITE) */
#define VDN_VDUSE_TEST_READ 1
#define VDN_VDUSE_TEST_WRITE 2

#define TX_VQ 1
#define NUM_VQS 2
#define VQ_SIZE 256

struct test {
	struct vdn_vduse_dev *dev;
	struct vdn_vduse_opts opts;
	int stop_fd;
	pthread_t thread;
	int failures;
	/* written by the control thread, read by main after join */
	bool bound;              /* DRIVER_OK seen and not reset since */
	int driver_ok_count, reset_count, resets_checked;
	bool reset_pending;      /* reset happened; check its cleanup */
	bool vqs_checked, tx_kick_seen, avail_moved;
	struct vdn_vduse_vq_info tx;
	int kickfd;
	int old_kickfd;          /* for the after-reset check */
	void *ring_page;         /* a mapped ring page, ditto */
	uint16_t last_avail, used_idx;
	uint16_t first_avail;
};

static void check(struct test *t, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(struct test *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "OK" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		t->failures++;
}

static void log_cb(void *opaque, int level, const char *msg)
{
	(void)opaque;
	printf("lib[%d]: %s\n", level, msg);
}

static int on_status(void *opaque, uint8_t old, uint8_t status)
{
	struct test *t = opaque;

	printf("status %#x -> %#x\n", old, status);
	if (status == 0 && t->bound) {
		/* the library closes our kick fd after this returns */
		t->old_kickfd = t->kickfd;
		t->kickfd = -1;
		t->bound = false;
		t->reset_pending = true;
		check(t, true, "reset after DRIVER_OK #%d", ++t->reset_count);
	}
	return 0;
}

static const struct vdn_vduse_ops ops = { .set_status = on_status };

/* A pointer to `size` contiguous bytes at iova, or NULL. */
static void *at(struct test *t, uint64_t iova, uint64_t size, int access)
{
	uint64_t len = size;
	void *p = vdn_vduse_xlate(t->dev, iova, &len, access);

	return p && len >= size ? p : NULL;
}

/* Walk [iova, iova + size) through xlate, following region boundaries. */
static bool area_translates(struct test *t, uint64_t iova, uint64_t size, int access)
{
	while (size) {
		uint64_t len = size;

		if (!vdn_vduse_xlate(t->dev, iova, &len, access) || !len || len > size)
			return false;
		iova += len;
		size -= len;
	}
	return true;
}

static uint16_t read_le16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static void check_vqs(struct test *t)
{
	for (uint32_t i = 0; i < NUM_VQS; i++) {
		struct vdn_vduse_vq_info vi;
		int ret = vdn_vduse_vq_info(t->dev, i, &vi);

		check(t, !ret, "vq %u info (%s)", i, strerror(-ret));
		if (ret)
			return;
		check(t, vi.num > 0 && vi.num <= VQ_SIZE && vi.ready,
		      "vq %u num %u ready %d desc %#llx avail %#llx used %#llx", i, vi.num, vi.ready,
		      (unsigned long long)vi.desc_iova, (unsigned long long)vi.avail_iova,
		      (unsigned long long)vi.used_iova);
		uint64_t dsz = 16ull * vi.num, asz = 6 + 2ull * vi.num, usz = 6 + 8ull * vi.num;
		ret = vdn_vduse_iotlb_prefault(t->dev, vi.desc_iova, vi.desc_iova + dsz - 1);
		check(t, !ret, "vq %u prefault desc area (%s)", i, strerror(-ret));
		check(t, area_translates(t, vi.desc_iova, dsz, VDN_VDUSE_TEST_READ) &&
			 area_translates(t, vi.avail_iova, asz, VDN_VDUSE_TEST_READ) &&
			 area_translates(t, vi.used_iova, usz, VDN_VDUSE_TEST_READ | VDN_VDUSE_TEST_WRITE),
		      "vq %u ring areas translate", i);
		if (i == TX_VQ) {
			t->tx = vi;
			t->ring_page = at(t, vi.desc_iova & ~4095ull, 4096, VDN_VDUSE_TEST_READ);
		}
	}
	uint64_t len = 64;
	check(t, !vdn_vduse_xlate(t->dev, 0xfff0000000000000ull, &len, VDN_VDUSE_TEST_READ),
	      "xlate refuses an unmapped IOVA");
	const uint16_t *ai = at(t, t->tx.avail_iova + 2, 2, VDN_VDUSE_TEST_READ);
	if (ai) {
		t->first_avail = t->last_avail = read_le16(ai);
		t->used_idx = t->last_avail; /* nothing was completed before */
	}
	check(t, ai != NULL, "tx avail idx readable (%u)", t->last_avail);
	/* link status rewritten unchanged: exercises the config interrupt */
	uint16_t link = htole16(VIRTIO_NET_S_LINK_UP);
	int ret = vdn_vduse_set_config(t->dev, offsetof(struct virtio_net_config, status), &link,
				       sizeof(link), true);
	check(t, !ret, "set_config + config irq after DRIVER_OK (%s)", strerror(-ret));
	t->kickfd = vdn_vduse_vq_kickfd(t->dev, TX_VQ);
	check(t, t->kickfd >= 0, "tx kick fd %d", t->kickfd);
	t->vqs_checked = true;
}

/* Complete every new TX chain with length 0 and interrupt the driver. */
static void serve_tx(struct test *t)
{
	uint64_t n;

	if (read(t->kickfd, &n, sizeof(n)) != sizeof(n))
		return;
	if (!t->tx_kick_seen)
		check(t, true, "tx kick fd fired");
	t->tx_kick_seen = true;
	const void *ai = at(t, t->tx.avail_iova + 2, 2, VDN_VDUSE_TEST_READ);
	if (!ai) {
		check(t, false, "tx avail idx no longer translates");
		return;
	}
	uint16_t avail = read_le16(ai), num = (uint16_t)t->tx.num;
	if (avail != t->last_avail && !t->avail_moved) {
		check(t, true, "tx avail idx moved %u -> %u", t->first_avail, avail);
		t->avail_moved = true;
	}
	for (; t->last_avail != avail; t->last_avail++) {
		const uint16_t *ring = at(t, t->tx.avail_iova + 4 + 2ull * (t->last_avail % num), 2,
					  VDN_VDUSE_TEST_READ);
		uint32_t *elem = at(t, t->tx.used_iova + 4 + 8ull * (t->used_idx % num), 8,
				    VDN_VDUSE_TEST_WRITE);
		if (!ring || !elem) {
			check(t, false, "tx ring entry %u does not translate", t->last_avail);
			return;
		}
		elem[0] = htole32(read_le16(ring));
		elem[1] = 0;
		t->used_idx++;
	}
	uint16_t *ui = at(t, t->tx.used_iova + 2, 2, VDN_VDUSE_TEST_WRITE);
	if (!ui)
		return;
	__atomic_store_n(ui, htole16(t->used_idx), __ATOMIC_RELEASE);
	int ret = vdn_vduse_vq_irq(t->dev, TX_VQ);
	if (ret)
		check(t, false, "tx irq (%s)", strerror(-ret));
}

/* The reset must have dropped what the old driver instance used. */
static void check_after_reset(struct test *t)
{
	t->reset_pending = false;
	if (t->old_kickfd < 0)
		return; /* kick fd and mappings went with a destroyed handle */
	t->resets_checked++;
	check(t, t->old_kickfd >= 0 && fcntl(t->old_kickfd, F_GETFD) < 0 && errno == EBADF,
	      "reset closed the kick fd %d", t->old_kickfd);
	/* msync says ENOMEM for an address range that is not mapped */
	check(t, t->ring_page && msync(t->ring_page, 4096, MS_ASYNC) < 0 && errno == ENOMEM,
	      "reset unmapped the rings");
	t->old_kickfd = -1;
	t->ring_page = NULL;
}

static void *control_loop(void *arg)
{
	struct test *t = arg;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = vdn_vduse_fd(t->dev), .events = POLLIN },
			{ .fd = t->stop_fd, .events = POLLIN },
			{ .fd = t->kickfd, .events = POLLIN },
		};
		if (poll(p, t->kickfd >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			check(t, false, "poll: %s", strerror(errno));
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		if (p[0].revents) {
			int n = vdn_vduse_handle(t->dev);
			if (n < 0) {
				check(t, false, "vdn_vduse_handle: %s", strerror(-n));
				return NULL;
			}
		}
		uint8_t st = vdn_vduse_status(t->dev);
		if ((st & VIRTIO_CONFIG_S_DRIVER_OK) && !t->bound) {
			t->bound = true;
			check(t, true, "status DRIVER_OK #%d, features %#llx", ++t->driver_ok_count,
			      (unsigned long long)vdn_vduse_driver_features(t->dev));
			check_vqs(t);
		}
		if (t->kickfd >= 0 && p[2].revents && (st & VIRTIO_CONFIG_S_DRIVER_OK))
			serve_tx(t);
		if (t->reset_pending)
			check_after_reset(t);
	}
}

static int start_loop(struct test *t)
{
	uint64_t drain;

	(void)!read(t->stop_fd, &drain, sizeof(drain));
	int ret = pthread_create(&t->thread, NULL, control_loop, t);
	if (ret)
		check(t, false, "pthread_create: %s", strerror(ret));
	return -ret;
}

static void stop_loop(struct test *t)
{
	uint64_t one = 1;

	(void)!write(t->stop_fd, &one, sizeof(one));
	pthread_join(t->thread, NULL);
}

/* The error contract, before and around the real device. */
static void check_errors(struct test *t)
{
	struct vdn_vduse_dev *d = NULL;
	int ret = vdn_vduse_attach(&t->opts, &d);

	check(t, ret == -ENODEV, "attach to missing device -> ENODEV (%s)", strerror(-ret));
	struct vdn_vduse_opts bad = t->opts;
	bad.name = "vdnbadfeat";
	bad.features &= ~(1ULL << VIRTIO_F_ACCESS_PLATFORM);
	ret = vdn_vduse_create(&bad, &d);
	check(t, ret == -EINVAL, "create without ACCESS_PLATFORM -> EINVAL (%s)", strerror(-ret));
	bad = t->opts;
	bad.sz = 8;
	ret = vdn_vduse_create(&bad, &d);
	check(t, ret == -EINVAL, "create with truncated opts -> EINVAL (%s)", strerror(-ret));
}

static void check_duplicates(struct test *t)
{
	struct vdn_vduse_dev *d = NULL;
	int ret = vdn_vduse_create(&t->opts, &d);

	check(t, ret == -EEXIST, "second create -> EEXIST (%s)", strerror(-ret));
	ret = vdn_vduse_attach(&t->opts, &d);
	check(t, ret == -EBUSY, "attach while open -> EBUSY (%s)", strerror(-ret));
}

int main(int argc, char **argv)
{
	struct virtio_net_config cfg = {
		.mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x42 },
		.status = htole16(VIRTIO_NET_S_LINK_UP),
		.max_virtqueue_pairs = htole16(1),
		.mtu = htole16(1500),
	};
	struct test t = { .kickfd = -1, .old_kickfd = -1 };
	sigset_t sigs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t.opts = (struct vdn_vduse_opts){
		.sz = sizeof(t.opts),
		.name = argc > 1 ? argv[1] : "vdntest",
		.device_id = VIRTIO_ID_NET,
		.features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
			    (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
			    (1ULL << VIRTIO_NET_F_MTU),
		.num_vqs = NUM_VQS,
		.max_vq_size = VQ_SIZE,
		.config = &cfg,
		.config_size = sizeof(cfg),
		.ops = &ops,
		.opaque = &t,
		.log = getenv("VDN_VDUSE_TEST_LOG") ? log_cb : NULL,
	};
	/* signals are taken with sigwait in main; threads inherit the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	t.stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t.stop_fd < 0)
		return 2;

	check_errors(&t);
	int ret = vdn_vduse_create(&t.opts, &t.dev);
	if (ret == -ENOENT)
		printf("FAIL create: /dev/vduse/control missing: load the vduse module\n");
	check(&t, !ret, "created %s (%s)", t.opts.name, strerror(-ret));
	if (ret)
		return 1;
	check_duplicates(&t);
	/* the config space reads back through the driver; a no-op update
	 * with a config interrupt must be accepted before binding too */
	ret = vdn_vduse_set_config(t.dev, 0, &cfg, sizeof(cfg), true);
	check(&t, !ret, "set_config before binding (%s)", strerror(-ret));
	ret = vdn_vduse_set_config(t.dev, sizeof(cfg), &cfg, 1, false);
	check(&t, ret == -EINVAL, "set_config past the end -> EINVAL (%s)", strerror(-ret));
	ret = vdn_vduse_vq_irq(t.dev, TX_VQ);
	check(&t, ret == -EINVAL, "irq before DRIVER_OK -> EINVAL (%s)", strerror(-ret));
	printf("READY\n");
	if (start_loop(&t))
		return 1;

	for (bool busy_seen = false;;) {
		int sig;
		sigwait(&sigs, &sig);
		stop_loop(&t);
		bool bound = vdn_vduse_status(t.dev) != 0;
		ret = vdn_vduse_destroy(t.dev, false);
		t.dev = NULL;
		t.kickfd = -1; /* closed by destroy */
		if (ret == -EBUSY && !busy_seen) {
			busy_seen = true;
			check(&t, bound, "destroy while bound -> EBUSY");
			ret = vdn_vduse_attach(&t.opts, &t.dev);
			check(&t, !ret, "re-attached after EBUSY (%s)", strerror(-ret));
			if (ret || start_loop(&t))
				return 1;
			continue;
		}
		check(&t, !ret, "destroyed (%s)", strerror(-ret));
		break;
	}
	check(&t, t.driver_ok_count == 2, "saw DRIVER_OK twice (%d)", t.driver_ok_count);
	check(&t, t.vqs_checked, "checked vqs");
	check(&t, t.tx_kick_seen && t.avail_moved, "saw a tx kick with new buffers");
	check(&t, t.reset_count == 2 && t.resets_checked == 1,
	      "saw two resets (%d), checked the cleanup of the first (%d)", t.reset_count,
	      t.resets_checked);
	printf("%s %d failure(s)\n", t.failures ? "FAIL" : "PASS", t.failures);
	return t.failures ? 1 : 0;
}
