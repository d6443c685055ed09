/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device model's IOTLB hooks (net_iotlb.c) on a test transport: an
 * invalidation stops exactly the rings in the range, and after it the rings
 * are translated again, so a driver whose ring memory now sits elsewhere
 * (same IOVAs) keeps going where it stood; an invalidation elsewhere leaves
 * the rings running; quiesce answers at once when no burst is in flight.
 */
#include <errno.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "check.h"
#include "net_private.h"
#include "vring_driver.h"

#define DRIVER_OK                                                                          \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |  \
	 VIRTIO_CONFIG_S_DRIVER_OK)
#define HDR 12u

/* Ring IOVAs [lo, hi) translate to arena IOVA `to` + offset once `moved`. */
struct tp {
	struct arena a;
	struct drv_ring r[2]; /* vq 0: driver RX, vq 1: driver TX */
	uint64_t lo, hi, to;
	bool moved;
};

static void *tp_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	struct tp *t = ctx;

	if (!t->moved || iova < t->lo || iova >= t->hi)
		return arena_xlate(&t->a, iova, len, access);
	if (*len > t->hi - iova)
		*len = t->hi - iova;
	return arena_xlate(&t->a, t->to + (iova - t->lo), len, access);
}

static int tp_vq_info(void *ctx, uint32_t index, struct vdn_net_vq_info *info)
{
	struct tp *t = ctx;
	struct vdn_vring_cfg cfg;

	if (index > 1)
		return -EINVAL;
	drv_cfg(&t->r[index], &cfg);
	info->num = cfg.num;
	info->desc_iova = cfg.desc_iova;
	info->avail_iova = cfg.avail_iova;
	info->used_iova = cfg.used_iova;
	info->ready = true;
	return 0;
}

static uint64_t tp_features(void *ctx)
{
	(void)ctx;
	return 1ULL << VIRTIO_F_VERSION_1;
}

static int tp_irq(void *ctx, uint32_t index)
{
	(void)ctx;
	(void)index;
	return 0;
}

static const struct vdn_net_transport_ops ops = {
	.xlate = tp_xlate,
	.vq_info = tp_vq_info,
	.driver_features = tp_features,
	.vq_irq = tp_irq,
};

static struct rte_mempool *mp;

/* One frame from the driver's TX ring must come out, with its bytes. */
static void tx_one(struct tp *t, struct vdn_net_dev *dev, uint8_t seed)
{
	uint64_t buf = arena_alloc(&t->a, 256, 64);
	uint8_t *p = arena_ptr(&t->a, buf);
	struct rte_mbuf *m[2];
	uint32_t id, len;

	memset(p, 0, HDR);
	for (uint32_t i = 0; i < 60; i++)
		p[HDR + i] = (uint8_t)(seed + i);
	int h = drv_add(&t->r[1], &(struct drv_seg){ buf, HDR + 60, false }, 1);
	CHECK(h >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, m, 2), 1);
	CHECK_EQ(m[0]->pkt_len, 60);
	CHECK_EQ(rte_pktmbuf_mtod(m[0], uint8_t *)[5], (uint8_t)(seed + 5));
	rte_pktmbuf_free(m[0]);
	CHECK(drv_get_used(&t->r[1], &id, &len));
	CHECK_EQ(id, (uint32_t)h);
}

static void test_invalidate_remap(void)
{
	static struct tp t;
	struct vdn_net_opts o = { .sz = sizeof(o), .name = "t0",
				  .features_off = 1ULL << VIRTIO_NET_F_CTRL_VQ };
	struct vdn_net_dev *dev;

	memset(&t, 0, sizeof(t));
	CHECK_EQ(arena_init(&t.a), 0);
	for (int q = 0; q < 2; q++)
		CHECK_EQ(drv_init(&t.r[q], &t.a, 64, 0), 0);
	/* drv_init lays the rings out one after the other */
	t.lo = t.r[0].desc_iova;
	t.hi = t.r[1].used_iova + 4 + 8 * 64 + 2;
	CHECK_EQ(vdn_net_create_on(&o, &ops, &t, &dev), 0);
	if (!dev)
		return;
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);
	CHECK(vdn_net_qp_running(dev, 0));
	tx_one(&t, dev, 1);
	tx_one(&t, dev, 2);

	/* a range no ring lies in: nothing stops */
	vdn_net_iotlb_invalidate(dev, t.hi + 0x10000, t.hi + 0x20000);
	CHECK(vdn_net_qp_running(dev, 0));
	CHECK_EQ(vdn_net_iotlb_quiesce(dev), 0);
	vdn_net_iotlb_invalidated(dev, t.hi + 0x10000, t.hi + 0x20000);
	CHECK(vdn_net_qp_running(dev, 0));
	tx_one(&t, dev, 3);

	/* the rings' memory moves: the device stops them ... */
	vdn_net_iotlb_invalidate(dev, 0, UINT64_MAX);
	CHECK(!vdn_net_qp_running(dev, 0));
	CHECK_EQ(vdn_net_iotlb_quiesce(dev), 0);
	uint64_t size = t.hi - t.lo;
	t.to = arena_alloc(&t.a, size + 64, 64);
	uint64_t delta = t.to - t.lo;
	memcpy(arena_ptr(&t.a, t.to), arena_ptr(&t.a, t.lo), size);
	memset(arena_ptr(&t.a, t.lo), 0xff, size);
	for (int q = 0; q < 2; q++) {
		t.r[q].desc = arena_ptr(&t.a, t.r[q].desc_iova + delta);
		t.r[q].avail = arena_ptr(&t.a, t.r[q].avail_iova + delta);
		t.r[q].used = arena_ptr(&t.a, t.r[q].used_iova + delta);
	}
	t.moved = true;
	/* ... and runs them on the new memory, from where they stood */
	vdn_net_iotlb_invalidated(dev, 0, UINT64_MAX);
	CHECK(vdn_net_qp_running(dev, 0));
	for (uint8_t i = 0; i < 70; i++) /* past the ring's end */
		tx_one(&t, dev, (uint8_t)(10 + i));
	struct vdn_net_q_stats st;
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.tx_packets, 73);
	CHECK_EQ(st.drop[VDN_NET_DROP_BAD_CHAIN], 0);

	/* a ring that no longer translates stays stopped */
	vdn_net_iotlb_invalidate(dev, 0, UINT64_MAX);
	t.to = ARENA_SIZE; /* outside the arena: xlate fails */
	vdn_net_iotlb_invalidated(dev, 0, UINT64_MAX);
	CHECK(!vdn_net_qp_running(dev, 0));
	CHECK_EQ(vdn_net_destroy(dev), 0);
	arena_fini(&t.a);
}

int main(void)
{
	char *eal[] = { "test_net_iotlb", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			"--log-level", "3", NULL };

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("t", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!mp) {
		fprintf(stderr, "no mbuf pool\n");
		return 1;
	}
	RUN(test_invalidate_remap);
	rte_eal_cleanup();
	return check_report();
}
