/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device model on a caller-provided transport (vdn_net_transport.h):
 * option checks, DRIVER_OK starting exactly the rings the transport reports,
 * packets both ways through split and packed rings in plain memory,
 * interrupts and config writes reaching the transport, reset stopping the
 * datapath; malformed chains and a corrupt avail index counted and logged.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "check.h"
#include "vdn_net_transport.h"
#include "vring_driver.h"

#define DRIVER_OK                                                                          \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |  \
	 VIRTIO_CONFIG_S_DRIVER_OK)
#define HDR 12u

struct tp {
	struct arena a;
	bool packed;
	struct drv_ring split[4];   /* vq 0: driver RX, vq 1: driver TX, 2..3: see test */
	struct drv_packed pk[2];
	bool ready[4];
	int kickfd;
	uint64_t features;
	unsigned int info_calls, irqs[2], config_writes;
	uint32_t config_off;
	uint16_t config_val;
	bool config_notify;
};

static void *tp_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	return arena_xlate(&((struct tp *)ctx)->a, iova, len, access);
}

static int tp_vq_info(void *ctx, uint32_t index, struct vdn_net_vq_info *info)
{
	struct tp *t = ctx;
	struct vdn_vring_cfg cfg;

	t->info_calls++;
	if (index > 3)
		return -EINVAL;
	if (!t->ready[index])
		return 0;
	if (t->packed && index < 2)
		pdrv_cfg(&t->pk[index], &cfg);
	else
		drv_cfg(&t->split[index], &cfg);
	info->num = cfg.num;
	info->desc_iova = cfg.desc_iova;
	info->avail_iova = cfg.avail_iova;
	info->used_iova = cfg.used_iova;
	info->ready = true;
	info->packed = t->packed && index < 2;
	info->last_avail_idx = cfg.last_avail_idx;
	info->avail_wrap = cfg.avail_wrap;
	info->last_used_idx = cfg.last_used_idx;
	info->used_wrap = cfg.used_wrap;
	return 0;
}

static uint64_t tp_features(void *ctx)
{
	return ((struct tp *)ctx)->features;
}

static int tp_irq(void *ctx, uint32_t index)
{
	struct tp *t = ctx;

	if (index < 2)
		t->irqs[index]++;
	return 0;
}

static int tp_set_config(void *ctx, uint32_t off, const void *buf, uint32_t len, bool notify)
{
	struct tp *t = ctx;

	t->config_writes++;
	t->config_off = off;
	t->config_notify = notify;
	if (len == 2)
		memcpy(&t->config_val, buf, 2);
	return 0;
}

static int tp_kickfd(void *ctx, uint32_t index)
{
	(void)index;
	return ((struct tp *)ctx)->kickfd;
}

static const struct vdn_net_transport_ops ops = {
	.xlate = tp_xlate,
	.vq_info = tp_vq_info,
	.driver_features = tp_features,
	.vq_irq = tp_irq,
	.set_config = tp_set_config,
	.vq_kickfd = tp_kickfd,
};

static struct rte_mempool *mp;

static void base_opts(struct vdn_net_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->name = "t0";
	o->packed = true;
	o->features_off = 1ULL << VIRTIO_NET_F_CTRL_VQ;
}

static void test_create_checks(void)
{
	struct vdn_net_transport_ops bad = ops;
	struct vdn_net_opts o;
	struct vdn_net_dev *dev = NULL;
	struct tp t;

	memset(&t, 0, sizeof(t));
	base_opts(&o);
	CHECK_EQ(vdn_net_create_on(&o, NULL, &t, &dev), -EINVAL);
	bad.xlate = NULL;
	CHECK_EQ(vdn_net_create_on(&o, &bad, &t, &dev), -EINVAL);
	bad = ops;
	bad.vq_irq = NULL;
	CHECK_EQ(vdn_net_create_on(&o, &bad, &t, &dev), -EINVAL);
	/* a control queue needs a kick fd from the transport */
	bad = ops;
	bad.vq_kickfd = NULL;
	o.features_off = 0;
	CHECK_EQ(vdn_net_create_on(&o, &bad, &t, &dev), -EINVAL);
	base_opts(&o);
	o.mtu = 10;
	CHECK_EQ(vdn_net_create_on(&o, &ops, &t, &dev), -EINVAL);
	CHECK(dev == NULL);
}

static struct rte_mbuf *frame(uint32_t len, uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;

	if (!m)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i);
	p[0] = 0x02; /* unicast destination: no filter question */
	return m;
}

static int add(struct tp *t, int vq, const struct drv_seg *s)
{
	return t->packed ? pdrv_add(&t->pk[vq], s, 1) : drv_add(&t->split[vq], s, 1);
}

static bool used(struct tp *t, int vq, uint32_t *id, uint32_t *len)
{
	return t->packed ? pdrv_get_used(&t->pk[vq], id, len) : drv_get_used(&t->split[vq], id, len);
}

static void run_layout(bool packed)
{
	static struct tp t;
	struct vdn_net_opts o;
	struct vdn_net_dev *dev;
	struct vdn_net_info info;
	struct vdn_net_q_stats st;
	struct rte_mbuf *pkts[4];
	uint32_t id, len;
	int rc;

	memset(&t, 0, sizeof(t));
	CHECK_EQ(arena_init(&t.a), 0);
	t.packed = packed;
	t.features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
		     (packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);
	for (int q = 0; q < 2; q++) {
		if (packed)
			CHECK_EQ(pdrv_init(&t.pk[q], &t.a, 64, 0, true), 0);
		else
			CHECK_EQ(drv_init(&t.split[q], &t.a, 64, 0), 0);
	}
	t.ready[0] = t.ready[1] = true;
	base_opts(&o);
	CHECK_EQ(vdn_net_create_on(&o, &ops, &t, &dev), 0);
	if (!dev)
		return;
	/* nothing runs before DRIVER_OK, and nothing was asked of the transport */
	CHECK(!vdn_net_qp_running(dev, 0));
	CHECK_EQ(t.info_calls, 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 0);
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);
	CHECK(vdn_net_qp_running(dev, 0));
	CHECK(t.info_calls >= 2);
	CHECK_EQ(vdn_net_info(dev, &info), 0);
	CHECK_EQ(info.status, DRIVER_OK);
	CHECK_EQ(info.features_driver, t.features);
	CHECK(info.features_offered & (1ULL << VIRTIO_F_RING_PACKED));

	/* driver TX -> host: header stripped, bytes intact, buffer returned */
	uint64_t buf = arena_alloc(&t.a, 2048, 64);
	uint8_t *p = arena_ptr(&t.a, buf);

	memset(p, 0, HDR);
	for (uint32_t i = 0; i < 60; i++)
		p[HDR + i] = (uint8_t)(0x40 + i);
	rc = add(&t, 1, &(struct drv_seg){ buf, HDR + 60, false });
	CHECK(rc >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 1);
	CHECK_EQ(pkts[0]->pkt_len, 60);
	CHECK(memcmp(rte_pktmbuf_mtod(pkts[0], uint8_t *), p + HDR, 60) == 0);
	rte_pktmbuf_free(pkts[0]);
	CHECK(used(&t, 1, &id, &len));
	CHECK_EQ(id, (uint32_t)rc);
	/* interrupts were left on by the driver: one per burst that used */
	CHECK_EQ(t.irqs[1], 1);

	/* host -> driver RX: header with num_buffers 1, then the frame */
	uint64_t rbuf = arena_alloc(&t.a, 2048, 64);
	uint8_t *rp = arena_ptr(&t.a, rbuf);

	rc = add(&t, 0, &(struct drv_seg){ rbuf, 2048, true });
	CHECK(rc >= 0);
	pkts[0] = frame(100, 7);
	pkts[1] = frame(100, 9); /* no second buffer: dropped, not written */
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pkts, 2), 1);
	rte_pktmbuf_free(pkts[0]);
	rte_pktmbuf_free(pkts[1]);
	CHECK(used(&t, 0, &id, &len));
	CHECK_EQ(id, (uint32_t)rc);
	CHECK_EQ(len, HDR + 100);
	CHECK_EQ(rp[10] | rp[11] << 8, 1); /* num_buffers */
	CHECK_EQ(rp[HDR + 1], 8);
	CHECK_EQ(t.irqs[0], 1);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.rx_packets, 1);
	CHECK_EQ(st.tx_packets, 1);
	CHECK_EQ(st.drop[VDN_NET_DROP_NO_BUF], 1);

	/* config writes go to the transport, with a config interrupt */
	CHECK_EQ(vdn_net_set_link(dev, true), 0);
	CHECK_EQ(t.config_writes, 1);
	CHECK_EQ(t.config_off, offsetof(struct virtio_net_config, status));
	CHECK_EQ(t.config_val, VIRTIO_NET_S_LINK_UP);
	CHECK(t.config_notify);

	/* reset: the datapath stops touching driver memory */
	CHECK_EQ(vdn_net_transport_status(dev, 0), 0);
	CHECK(!vdn_net_qp_running(dev, 0));
	rc = add(&t, 1, &(struct drv_seg){ buf, HDR + 60, false });
	CHECK(rc >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 0);
	CHECK(!used(&t, 1, &id, &len));

	CHECK_EQ(vdn_net_destroy(dev), 0);
	arena_fini(&t.a);
}

static void test_split(void)
{
	run_layout(false);
}

static void test_packed(void)
{
	run_layout(true);
}

/* Post a TX packet: header (zero) then 60 bytes from seed; len 0 posts a
 * zero-length descriptor, which the ring rejects. */
static int post_tx(struct tp *t, uint8_t seed, uint32_t len)
{
	uint64_t buf = arena_alloc(&t->a, 128, 64);
	uint8_t *p = arena_ptr(&t->a, buf);

	memset(p, 0, HDR);
	for (uint32_t i = 0; i < 60; i++)
		p[HDR + i] = (uint8_t)(seed + i);
	return add(t, 1, &(struct drv_seg){ buf, len, false });
}

static bool is_frame(const struct rte_mbuf *m, uint8_t seed)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	if (m->pkt_len != 60)
		return false;
	for (uint32_t i = 0; i < 60; i++)
		if (p[i] != (uint8_t)(seed + i))
			return false;
	return true;
}

/* The dequeue reads one chain ahead: a malformed chain right behind a good
 * one, a burst that ends early, and a pool that runs dry must still hand
 * out every good packet once, in order, and return every buffer once. */
static void run_ahead(bool packed)
{
	static struct tp t;
	struct rte_mempool *small = rte_pktmbuf_pool_create(packed ? "s1" : "s0", 3, 0, 0,
							     RTE_MBUF_DEFAULT_BUF_SIZE,
							     SOCKET_ID_ANY);
	struct vdn_net_opts o;
	struct vdn_net_dev *dev;
	struct vdn_net_q_stats st;
	struct rte_mbuf *pkts[8];
	unsigned int nused = 0;
	uint32_t id, len, ids[16];
	int h[8];

	CHECK(small != NULL);
	memset(&t, 0, sizeof(t));
	CHECK_EQ(arena_init(&t.a), 0);
	t.packed = packed;
	t.features = (1ULL << VIRTIO_F_VERSION_1) | (packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);
	if (packed)
		CHECK_EQ(pdrv_init(&t.pk[1], &t.a, 64, 0, true), 0);
	else
		CHECK_EQ(drv_init(&t.split[1], &t.a, 64, 0), 0);
	t.ready[1] = true;
	base_opts(&o);
	CHECK_EQ(vdn_net_create_on(&o, &ops, &t, &dev), 0);
	if (!dev || !small)
		return;
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);

	h[0] = post_tx(&t, 10, HDR + 60);
	h[1] = post_tx(&t, 20, 0); /* malformed */
	h[2] = post_tx(&t, 30, HDR + 60);
	h[3] = post_tx(&t, 40, HDR + 60);
	/* two asked: the bad one is dropped in between, the fourth stays */
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 2), 2);
	CHECK(is_frame(pkts[0], 10));
	CHECK(is_frame(pkts[1], 30));
	rte_pktmbuf_free_bulk(pkts, 2);
	while (nused < 16 && used(&t, 1, &id, &len))
		ids[nused++] = id;
	CHECK_EQ(nused, 3);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 8), 1);
	CHECK(is_frame(pkts[0], 40));
	rte_pktmbuf_free(pkts[0]);
	while (nused < 16 && used(&t, 1, &id, &len))
		ids[nused++] = id;
	CHECK_EQ(nused, 4);
	for (int i = 0; i < 4; i++) {
		unsigned int seen = 0;

		for (unsigned int k = 0; k < nused; k++)
			seen += ids[k] == (uint32_t)h[i];
		CHECK_EQ(seen, 1);
	}

	/* the pool holds 3: the 4th and 5th packets wait in the ring, then come */
	for (int i = 0; i < 5; i++)
		h[i] = post_tx(&t, (uint8_t)(50 + 10 * i), HDR + 60);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, small, pkts, 8), 3);
	for (int i = 0; i < 3; i++)
		CHECK(is_frame(pkts[i], (uint8_t)(50 + 10 * i)));
	rte_pktmbuf_free_bulk(pkts, 3);
	nused = 0;
	while (nused < 16 && used(&t, 1, &id, &len))
		ids[nused++] = id;
	CHECK_EQ(nused, 3);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, small, pkts, 8), 2);
	CHECK(is_frame(pkts[0], 80));
	CHECK(is_frame(pkts[1], 90));
	rte_pktmbuf_free_bulk(pkts, 2);
	while (nused < 16 && used(&t, 1, &id, &len))
		ids[nused++] = id;
	CHECK_EQ(nused, 5);
	for (int i = 0; i < 5; i++) {
		unsigned int seen = 0;

		for (unsigned int k = 0; k < nused; k++)
			seen += ids[k] == (uint32_t)h[i];
		CHECK_EQ(seen, 1);
	}
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, small, pkts, 8), 0);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.tx_packets, 8);
	CHECK_EQ(st.drop[VDN_NET_DROP_BAD_CHAIN], 1);
	CHECK(st.drop[VDN_NET_DROP_NO_MBUF] >= 1);
	CHECK_EQ(vdn_net_destroy(dev), 0);
	rte_mempool_free(small);
	arena_fini(&t.a);
}

static void test_ahead_split(void)
{
	run_ahead(false);
}

static void test_ahead_packed(void)
{
	run_ahead(true);
}

/* A TCP/IPv4 TSO frame: 54 bytes of headers, `segs` segments of `mss`
 * payload bytes, the checksum partial as virtio_net leaves it; posted in
 * one buffer, or (pieces > 1) as virtio_net posts an skb with fragments:
 * header + linear headers, then the payload in pieces - 1 descriptors. */
static int post_tso_mss(struct tp *t, uint16_t segs, uint16_t mss, unsigned int pieces)
{
	uint32_t payload = (uint32_t)mss * segs, flen = 54 + payload;
	uint64_t buf = arena_alloc(&t->a, HDR + flen, 64);
	uint8_t *p = arena_ptr(&t->a, buf);
	struct virtio_net_hdr_v1 vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = htole16(54),
		.gso_size = htole16(mss),
		.csum_start = htole16(34),
		.csum_offset = htole16(16),
	};
	struct rte_ipv4_hdr *ip = (void *)(p + HDR + 14);
	struct rte_tcp_hdr *th = (void *)(p + HDR + 34);
	struct drv_seg sg[8];

	memset(p, 0, HDR + 54);
	memcpy(p, &vh, sizeof(vh));
	memset(p + HDR, 0x02, 12);
	p[HDR + 12] = 0x08;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(flen - 14));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(1000);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG;
	th->rx_win = rte_cpu_to_be_16(512);
	th->cksum = rte_ipv4_phdr_cksum(ip, 0);
	for (uint32_t i = 0; i < payload; i++)
		p[HDR + 54 + i] = (uint8_t)(i * 7 + 3);
	if (pieces <= 1 || pieces > RTE_DIM(sg))
		return add(t, 1, &(struct drv_seg){ buf, HDR + flen, false });
	sg[0] = (struct drv_seg){ buf, HDR + 54, false };
	for (unsigned int i = 1, at = 0; i < pieces; i++) {
		uint32_t len = i + 1 < pieces ? payload / (pieces - 1) : payload - at;

		sg[i] = (struct drv_seg){ buf + HDR + 54 + at, len, false };
		at += len;
	}
	return t->packed ? pdrv_add(&t->pk[1], sg, pieces) : drv_add(&t->split[1], sg, pieces);
}

static int post_tso(struct tp *t, uint16_t segs)
{
	return post_tso_mss(t, segs, 100, 1);
}

/* Segment k of a post_tso_mss() frame: its length, sequence number, payload. */
static bool is_seg_mss(const struct rte_mbuf *m, uint16_t k, uint16_t mss)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_tcp_hdr *th = (const void *)(p + 34);

	if (m->pkt_len != 54u + mss || m->nb_segs != 1 ||
	    rte_be_to_cpu_32(th->sent_seq) != 1000u + (uint32_t)mss * k)
		return false;
	for (uint32_t i = 0; i < mss; i++)
		if (p[54 + i] != (uint8_t)(((uint32_t)mss * k + i) * 7 + 3))
			return false;
	return true;
}

static bool is_segment(const struct rte_mbuf *m, uint16_t k)
{
	return is_seg_mss(m, k, 100);
}

/* A device whose driver took CSUM + HOST_TSO4, only its TX ring (vq 1)
 * set up, started; NULL (and a failed check) if it could not be. */
static struct vdn_net_dev *tso_tx_dev(struct tp *t, bool packed)
{
	struct vdn_net_dev *dev = NULL;
	struct vdn_net_opts o;

	memset(t, 0, sizeof(*t));
	CHECK_EQ(arena_init(&t->a), 0);
	t->packed = packed;
	t->features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_CSUM) |
		      (1ULL << VIRTIO_NET_F_HOST_TSO4) | (packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);
	if (packed)
		CHECK_EQ(pdrv_init(&t->pk[1], &t->a, 64, 0, true), 0);
	else
		CHECK_EQ(drv_init(&t->split[1], &t->a, 64, 0), 0);
	t->ready[1] = true;
	base_opts(&o);
	CHECK_EQ(vdn_net_create_on(&o, &ops, t, &dev), 0);
	return dev;
}

/* A TSO frame in a batch whose segments overflow the caller's burst: the
 * chains batched behind it are already copied and handed back, so they wait
 * in the device and come out after the last segment, in order; a reset
 * drops what waits without leaking an mbuf. */
static void run_backlog(bool packed)
{
	static struct tp t;
	struct vdn_net_dev *dev;
	struct vdn_net_q_stats st;
	struct rte_mbuf *pkts[4];
	unsigned int free0 = rte_mempool_avail_count(mp), nused = 0;
	uint32_t id, len;

	dev = tso_tx_dev(&t, packed);
	if (!dev)
		return;
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);

	CHECK(post_tso(&t, 3) >= 0);
	for (int i = 0; i < 3; i++)
		CHECK(post_tx(&t, (uint8_t)(10 * (i + 1)), HDR + 60) >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 2), 2);
	CHECK(is_segment(pkts[0], 0));
	CHECK(is_segment(pkts[1], 1));
	rte_pktmbuf_free_bulk(pkts, 2);
	/* the batch was as long as the burst: both chains are back, copied */
	while (nused < 8 && used(&t, 1, &id, &len))
		nused++;
	CHECK_EQ(nused, 2);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 2), 2);
	CHECK(is_segment(pkts[0], 2));
	CHECK(is_frame(pkts[1], 10));
	rte_pktmbuf_free_bulk(pkts, 2);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 2);
	CHECK(is_frame(pkts[0], 20));
	CHECK(is_frame(pkts[1], 30));
	rte_pktmbuf_free_bulk(pkts, 2);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 0);
	while (nused < 8 && used(&t, 1, &id, &len))
		nused++;
	CHECK_EQ(nused, 4);

	/* a super-frame waiting behind another one's segments */
	CHECK(post_tso(&t, 3) >= 0);
	CHECK(post_tso(&t, 2) >= 0);
	CHECK(post_tx(&t, 40, HDR + 60) >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 2), 2);
	CHECK(is_segment(pkts[0], 0));
	CHECK(is_segment(pkts[1], 1));
	rte_pktmbuf_free_bulk(pkts, 2);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 8), 4);
	CHECK(is_segment(pkts[0], 2));
	CHECK(is_segment(pkts[1], 0));
	CHECK(is_segment(pkts[2], 1));
	CHECK(is_frame(pkts[3], 40));
	rte_pktmbuf_free_bulk(pkts, 4);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.tx_packets, 12);
	CHECK_EQ(st.gso_segs, 8);

	/* and the same left waiting when the driver resets */
	CHECK(post_tso(&t, 3) >= 0);
	CHECK(post_tso(&t, 2) >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 2), 2);
	rte_pktmbuf_free_bulk(pkts, 2);
	CHECK_EQ(vdn_net_transport_status(dev, 0), 0);
	CHECK_EQ(vdn_net_destroy(dev), 0);
	CHECK_EQ(rte_mempool_avail_count(mp), free0);
	arena_fini(&t.a);
}

/* TSO frames in several descriptors are cut straight from the driver's
 * buffers: all segments at once, the surplus waiting in order; a frame of
 * more segments than the backlog holds takes the copying path; a pool that
 * cannot hold every segment leaves the frame in the ring until it can. */
static void run_cut(bool packed)
{
	static struct tp t;
	struct rte_mempool *small = rte_pktmbuf_pool_create(packed ? "c1" : "c0", 20, 0, 0,
							     RTE_MBUF_DEFAULT_BUF_SIZE,
							     SOCKET_ID_ANY);
	struct vdn_net_dev *dev;
	struct vdn_net_q_stats st;
	struct rte_mbuf *pkts[128];
	unsigned int free0 = rte_mempool_avail_count(mp), nused = 0, got;
	uint32_t id, len;
	uint16_t k;

	CHECK(small != NULL);
	dev = tso_tx_dev(&t, packed);
	if (!dev || !small)
		return;
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);

	/* 45 segments of 1448 in 4 descriptors, then a plain frame; 8 asked */
	CHECK(post_tso_mss(&t, 45, 1448, 4) >= 0);
	CHECK(post_tx(&t, 10, HDR + 60) >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 8), 8);
	for (k = 0; k < 8; k++)
		CHECK(is_seg_mss(pkts[k], k, 1448));
	rte_pktmbuf_free_bulk(pkts, 8);
	/* cut in one go: the frame's buffers are back already, and all its
	 * segments made (the copying path makes them as the bursts ask) */
	while (nused < 8 && used(&t, 1, &id, &len))
		nused++;
	CHECK_EQ(nused, 1);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.gso_segs, 45);
	got = vdn_net_dequeue_burst(dev, 0, mp, pkts, 128);
	CHECK_EQ(got, 38);
	for (k = 0; k < 37 && k < got; k++)
		CHECK(is_seg_mss(pkts[k], (uint16_t)(8 + k), 1448));
	if (got == 38)
		CHECK(is_frame(pkts[37], 10));
	rte_pktmbuf_free_bulk(pkts, got);

	/* 100 segments: more than one go holds, copied and cut as it drains */
	CHECK(post_tso_mss(&t, 100, 100, 3) >= 0);
	got = vdn_net_dequeue_burst(dev, 0, mp, pkts, 128);
	CHECK_EQ(got, 100);
	for (k = 0; k < 100 && k < got; k++)
		CHECK(is_seg_mss(pkts[k], k, 100));
	rte_pktmbuf_free_bulk(pkts, got);

	/* a pool of 20 cannot take 45 segments at once: the frame waits */
	CHECK(post_tso_mss(&t, 45, 1448, 2) >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, small, pkts, 64), 0);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK(st.drop[VDN_NET_DROP_NO_MBUF] >= 1);
	got = vdn_net_dequeue_burst(dev, 0, mp, pkts, 64);
	CHECK_EQ(got, 45);
	for (k = 0; k < 45 && k < got; k++)
		CHECK(is_seg_mss(pkts[k], k, 1448));
	rte_pktmbuf_free_bulk(pkts, got);
	nused = 0;
	while (nused < 8 && used(&t, 1, &id, &len))
		nused++;
	CHECK_EQ(nused, 3);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.gso_segs, 190);
	CHECK_EQ(st.tx_packets, 191);
	CHECK_EQ(rte_mempool_avail_count(small), 20);
	CHECK_EQ(vdn_net_destroy(dev), 0);
	CHECK_EQ(rte_mempool_avail_count(mp), free0);
	rte_mempool_free(small);
	arena_fini(&t.a);
}

/*
 * A batch whose first chain is a TSO frame filling the burst with its
 * segments, so the chains batched behind it wait in the device, and whose
 * last pop is a frame in two descriptors the batch leaves to the general
 * path: that frame must wait in the ring, not be cut into a backlog that is
 * not empty (which has room for one frame's segments only when nothing else
 * waits).  Everything comes out once, in order, whole.
 */
static void run_batch_then_cut(bool packed)
{
	static struct tp t;
	struct vdn_net_dev *dev;
	struct vdn_net_q_stats st;
	struct rte_mbuf *pkts[64];
	unsigned int free0 = rte_mempool_avail_count(mp), nused = 0, got;
	uint32_t id, len;
	uint16_t k;

	dev = tso_tx_dev(&t, packed);
	if (!dev)
		return;
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);

	CHECK(post_tso(&t, 19) >= 0); /* one buffer: batched, fills the burst */
	CHECK(post_tso(&t, 3) >= 0);  /* batched, waits uncut */
	for (int i = 0; i < 16; i++)
		CHECK(post_tx(&t, (uint8_t)(10 + i), HDR + 60) >= 0);
	CHECK(post_tso_mss(&t, 64, 100, 2) >= 0); /* 64 segments, 2 descriptors */
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 19), 19);
	for (k = 0; k < 19; k++)
		CHECK(is_segment(pkts[k], k));
	rte_pktmbuf_free_bulk(pkts, 19);
	got = vdn_net_dequeue_burst(dev, 0, mp, pkts, 64);
	CHECK_EQ(got, 64);
	if (got == 64) {
		for (k = 0; k < 3; k++)
			CHECK(is_segment(pkts[k], k));
		for (k = 0; k < 16; k++)
			CHECK(is_frame(pkts[3 + k], (uint8_t)(10 + k)));
		for (k = 0; k < 45; k++)
			CHECK(is_segment(pkts[19 + k], k));
	}
	rte_pktmbuf_free_bulk(pkts, got);
	got = vdn_net_dequeue_burst(dev, 0, mp, pkts, 64);
	CHECK_EQ(got, 19);
	for (k = 0; k < 19 && k < got; k++)
		CHECK(is_segment(pkts[k], (uint16_t)(45 + k)));
	rte_pktmbuf_free_bulk(pkts, got);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 64), 0);
	while (nused < 32 && used(&t, 1, &id, &len))
		nused++;
	CHECK_EQ(nused, 19);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.tx_packets, 102);
	CHECK_EQ(vdn_net_destroy(dev), 0);
	CHECK_EQ(rte_mempool_avail_count(mp), free0);
	arena_fini(&t.a);
}

static void test_batch_then_cut_split(void)
{
	run_batch_then_cut(false);
}

static void test_batch_then_cut_packed(void)
{
	run_batch_then_cut(true);
}

static void test_cut_split(void)
{
	run_cut(false);
}

static void test_cut_packed(void)
{
	run_cut(true);
}

/* A TSO frame of post_tso_mss() handed over whole: one packet with DPDK's
 * TSO fields, the bytes as the driver sent them but for the checksum. */
static bool is_tso_whole(const struct rte_mbuf *m, uint16_t segs, uint16_t mss)
{
	static uint8_t buf[70000];
	uint32_t payload = (uint32_t)segs * mss;
	const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);

	if (!p || m->pkt_len != 54 + payload || m->tso_segsz != mss || m->l2_len != 14 ||
	    m->l3_len != 20 || m->l4_len != 20 ||
	    (m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK) != (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4))
		return false;
	for (uint32_t i = 0; i < payload; i++)
		if (p[54 + i] != (uint8_t)(i * 7 + 3))
			return false;
	return true;
}

/* With a port that segments, TSO frames leave the device whole, from the
 * batched path (one buffer) and the general one (several descriptors), and
 * are counted as the segments the port makes; without, they are cut again. */
static void run_tso_to_port(bool packed)
{
	static struct tp t;
	struct vdn_net_dev *dev;
	struct vdn_net_q_stats st;
	struct rte_mbuf *pkts[8];
	unsigned int free0 = rte_mempool_avail_count(mp);

	dev = tso_tx_dev(&t, packed);
	if (!dev)
		return;
	CHECK_EQ(vdn_net_set_port_offloads(dev, RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
						RTE_ETH_TX_OFFLOAD_MULTI_SEGS, 0), 0);
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);
	CHECK(post_tso(&t, 3) >= 0);
	CHECK(post_tso_mss(&t, 40, 1400, 4) >= 0);
	CHECK(post_tx(&t, 10, HDR + 60) >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 8), 3);
	CHECK(is_tso_whole(pkts[0], 3, 100));
	CHECK(is_tso_whole(pkts[1], 40, 1400));
	CHECK(pkts[1]->nb_segs > 1);
	CHECK(is_frame(pkts[2], 10));
	rte_pktmbuf_free_bulk(pkts, 3);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.tso_out, 2);
	CHECK_EQ(st.gso_segs, 0);
	CHECK_EQ(st.tx_packets, 3 + 40 + 1);
	CHECK_EQ(st.tx_bytes, 3 * 154 + 40 * 1454 + 60);

	/* the port lost the offload: software again */
	CHECK_EQ(vdn_net_set_port_offloads(dev, RTE_ETH_TX_OFFLOAD_TCP_CKSUM, 0), 0);
	CHECK(post_tso(&t, 3) >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 8), 3);
	for (int i = 0; i < 3; i++)
		CHECK(is_segment(pkts[i], (uint16_t)i));
	rte_pktmbuf_free_bulk(pkts, 3);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.tso_out, 2);
	CHECK_EQ(st.gso_segs, 3);
	CHECK_EQ(vdn_net_transport_status(dev, 0), 0);
	CHECK_EQ(vdn_net_destroy(dev), 0);
	CHECK_EQ(rte_mempool_avail_count(mp), free0);
	arena_fini(&t.a);
}

static void test_tso_to_port_split(void)
{
	run_tso_to_port(false);
}

static void test_tso_to_port_packed(void)
{
	run_tso_to_port(true);
}

static void test_backlog_split(void)
{
	run_backlog(false);
}

static void test_backlog_packed(void)
{
	run_backlog(true);
}

/* A transport that reports only one ring ready starts only that one. */
static void test_partial_ready(void)
{
	static struct tp t;
	struct vdn_net_opts o;
	struct vdn_net_dev *dev;
	struct rte_mbuf *pkts[2];

	memset(&t, 0, sizeof(t));
	CHECK_EQ(arena_init(&t.a), 0);
	t.features = 1ULL << VIRTIO_F_VERSION_1;
	CHECK_EQ(drv_init(&t.split[1], &t.a, 64, 0), 0);
	t.ready[1] = true;
	base_opts(&o);
	CHECK_EQ(vdn_net_create_on(&o, &ops, &t, &dev), 0);
	if (!dev)
		return;
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);
	CHECK(!vdn_net_qp_running(dev, 0)); /* RX ring not there */
	pkts[0] = frame(64, 1);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pkts, 1), 0);
	rte_pktmbuf_free(pkts[0]);
	CHECK_EQ(vdn_net_destroy(dev), 0);
	arena_fini(&t.a);
}

/*
 * A device offering 2 pairs + CTRL_VQ + MQ, and a driver that takes CTRL_VQ
 * but not MQ: it has one pair, and vq 2 is its control queue (virtio 5.1.2),
 * not the second pair's RX ring.  A command there is executed and acked.
 */
static void test_cvq_without_mq(void)
{
	static struct tp t;
	struct vdn_net_opts o;
	struct vdn_net_dev *dev;
	uint32_t id, len;

	memset(&t, 0, sizeof(t));
	CHECK_EQ(arena_init(&t.a), 0);
	t.kickfd = eventfd(0, EFD_NONBLOCK);
	CHECK(t.kickfd >= 0);
	t.features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_CTRL_VQ) |
		     (1ULL << VIRTIO_NET_F_CTRL_RX);
	for (int q = 0; q < 3; q++) {
		CHECK_EQ(drv_init(&t.split[q], &t.a, 64, 0), 0);
		t.ready[q] = true;
	}
	base_opts(&o);
	o.packed = false;
	o.features_off = 0;
	o.queue_pairs = 2;
	CHECK_EQ(vdn_net_create_on(&o, &ops, &t, &dev), 0);
	if (!dev)
		return;
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);
	CHECK(vdn_net_qp_running(dev, 0));
	CHECK(!vdn_net_qp_running(dev, 1)); /* the driver has no second pair */

	/* VIRTIO_NET_CTRL_RX_PROMISC on, on vq 2: header, data, ack */
	uint64_t cmd = arena_alloc(&t.a, 64, 8);
	uint8_t *c = arena_ptr(&t.a, cmd);

	c[0] = VIRTIO_NET_CTRL_RX;
	c[1] = VIRTIO_NET_CTRL_RX_PROMISC;
	c[2] = 1;
	c[3] = 0xee; /* ack, to be overwritten */
	int head = drv_add(&t.split[2], (struct drv_seg[]){ { cmd, 2, false }, { cmd + 2, 1, false },
							   { cmd + 3, 1, true } }, 3);
	CHECK(head >= 0);
	CHECK(eventfd_write(t.kickfd, 1) == 0);
	CHECK(vdn_net_ctrl_handle(dev) >= 0);
	CHECK(drv_get_used(&t.split[2], &id, &len));
	CHECK_EQ(id, (uint32_t)head);
	CHECK_EQ(c[3], VIRTIO_NET_OK);

	CHECK_EQ(vdn_net_transport_status(dev, 0), 0);
	CHECK_EQ(vdn_net_destroy(dev), 0);
	close(t.kickfd);
	arena_fini(&t.a);
}

struct logbook {
	unsigned int n;
	char last[256];
};

static void log_cb(void *opaque, int level, const char *msg)
{
	struct logbook *lb = opaque;

	(void)level;
	if (strstr(msg, "avail index corrupt")) {
		lb->n++;
		snprintf(lb->last, sizeof(lb->last), "%s", msg);
	}
}

/* A TX frame of 60 bytes behind a zeroed header, at a fresh buffer. */
static int tx_frame(struct tp *t)
{
	uint64_t b = arena_alloc(&t->a, 128, 64);

	memset(arena_ptr(&t->a, b), 0, HDR + 60);
	return drv_add(&t->split[1], &(struct drv_seg){ b, HDR + 60, false }, 1);
}

/*
 * Malformed chains counted by reason; a corrupt avail index stops the queue,
 * is counted and logged once however often the datapath polls, and a driver
 * reset (fresh rings, DRIVER_OK) brings the queue back.
 */
static void test_broken_queue(void)
{
	static struct tp t;
	static struct logbook lb;
	struct vdn_net_opts o;
	struct vdn_net_dev *dev;
	struct vdn_net_q_stats st;
	struct rte_mbuf *pkts[4];
	uint32_t id, len;
	int h;

	memset(&t, 0, sizeof(t));
	memset(&lb, 0, sizeof(lb));
	CHECK_EQ(arena_init(&t.a), 0);
	t.features = 1ULL << VIRTIO_F_VERSION_1;
	for (int q = 0; q < 2; q++)
		CHECK_EQ(drv_init(&t.split[q], &t.a, 64, 0), 0);
	t.ready[0] = t.ready[1] = true;
	base_opts(&o);
	o.log = log_cb;
	o.log_opaque = &lb;
	CHECK_EQ(vdn_net_create_on(&o, &ops, &t, &dev), 0);
	if (!dev)
		return;
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);

	/* a zero-length descriptor: lib/vring's reason, and a bad-chain drop */
	uint64_t b = arena_alloc(&t.a, 256, 64);
	h = drv_add(&t.split[1], &(struct drv_seg){ b, 0, false }, 1);
	CHECK(h >= 0);
	/* a writable buffer on the transmit queue: the model's own refusal */
	memset(arena_ptr(&t.a, b), 0, HDR + 60);
	h = drv_add(&t.split[1], (struct drv_seg[]){ { b, HDR + 60, false }, { b + 128, 64, true } }, 2);
	CHECK(h >= 0);
	CHECK(tx_frame(&t) >= 0);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 1);
	rte_pktmbuf_free(pkts[0]);
	for (int k = 0; k < 3; k++)
		CHECK(drv_get_used(&t.split[1], &id, &len));
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.drop[VDN_NET_DROP_BAD_CHAIN], 2);
	CHECK_EQ(st.chain_err[VDN_VRING_E_ZERO_LEN], 1);
	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		if (r != VDN_VRING_E_ZERO_LEN)
			CHECK_EQ(st.chain_err[r], 0);
	CHECK_EQ(st.vq_broken, 0);

	/* the driver claims 100 more entries than a 64-entry ring holds */
	CHECK(tx_frame(&t) >= 0);
	t.split[1].avail->idx = htole16((uint16_t)(le16toh(t.split[1].avail->idx) + 100));
	for (int k = 0; k < 5; k++)
		CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 0);
	CHECK(!drv_get_used(&t.split[1], &id, &len));
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.vq_broken, 1);
	CHECK_EQ(st.chain_err[VDN_VRING_E_AVAIL_IDX], 1);
	CHECK_EQ(lb.n, 1);
	CHECK(strstr(lb.last, "t0: vq 1 (tx, pair 0): avail index corrupt") != NULL);
	CHECK(strstr(lb.last, "resets the device") != NULL);
	/* a sane index again is not believed: the frame stays unconsumed */
	t.split[1].avail->idx = htole16((uint16_t)(le16toh(t.split[1].avail->idx) - 100));
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 0);
	CHECK(!drv_get_used(&t.split[1], &id, &len));
	/* RX goes on: it is another ring */
	uint64_t rb = arena_alloc(&t.a, 2048, 64);
	CHECK(drv_add(&t.split[0], &(struct drv_seg){ rb, 2048, true }, 1) >= 0);
	pkts[0] = frame(64, 3);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pkts, 1), 1);
	rte_pktmbuf_free(pkts[0]);

	/* the driver resets and starts over on fresh rings */
	CHECK_EQ(vdn_net_transport_status(dev, 0), 0);
	CHECK_EQ(drv_init(&t.split[1], &t.a, 64, 0), 0);
	CHECK_EQ(drv_init(&t.split[0], &t.a, 64, 0), 0);
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);
	h = tx_frame(&t);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 1);
	rte_pktmbuf_free(pkts[0]);
	CHECK(drv_get_used(&t.split[1], &id, &len));
	CHECK_EQ(id, (uint32_t)h);
	/* counters keep the history; a new breakage is said again */
	t.split[1].avail->idx = htole16((uint16_t)(le16toh(t.split[1].avail->idx) - 1));
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 4), 0);
	CHECK_EQ(vdn_net_qp_stats(dev, 0, &st), 0);
	CHECK_EQ(st.vq_broken, 2);
	CHECK_EQ(lb.n, 2);
	CHECK_EQ(vdn_net_destroy(dev), 0);
	arena_fini(&t.a);
}

static bool used_in_order(struct tp *t, int vq, uint32_t *id, uint32_t *len, bool *skipped)
{
	return t->packed ? pdrv_get_used_inorder(&t->pk[vq], id, len, skipped)
			 : drv_get_used_inorder(&t->split[vq], id, len, skipped);
}

/*
 * VIRTIO_F_IN_ORDER offered (in_order) and taken: TX buffers come back in
 * the order posted, a malformed one in its turn although the ring rejects
 * it while the chain before it is still being copied, and a burst's
 * zero-length TX completions share one used entry.  RX entries are each
 * written: a packet over several buffers whose second is malformed gives
 * both back, in order, each with its own entry.
 */
static void run_in_order(bool packed)
{
	static struct tp t;
	struct vdn_net_opts o;
	struct vdn_net_dev *dev;
	struct rte_mbuf *pkts[8];
	uint32_t id, len;
	bool skipped;
	unsigned int nskip = 0;
	int h[4], r[3];

	memset(&t, 0, sizeof(t));
	CHECK_EQ(arena_init(&t.a), 0);
	t.packed = packed;
	t.features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
		     (1ULL << VIRTIO_F_IN_ORDER) | (packed ? 1ULL << VIRTIO_F_RING_PACKED : 0);
	for (int q = 0; q < 2; q++) {
		if (packed) {
			CHECK_EQ(pdrv_init(&t.pk[q], &t.a, 64, 0, true), 0);
			t.pk[q].in_order = true;
		} else {
			CHECK_EQ(drv_init(&t.split[q], &t.a, 64, 0), 0);
			t.split[q].in_order = true;
		}
		t.ready[q] = true;
	}
	base_opts(&o);
	o.in_order = true;
	CHECK_EQ(vdn_net_create_on(&o, &ops, &t, &dev), 0);
	if (!dev)
		return;
	CHECK_EQ(vdn_net_transport_status(dev, DRIVER_OK), 0);

	/* TX */
	h[0] = post_tx(&t, 10, HDR + 60);
	h[1] = post_tx(&t, 20, 0); /* malformed */
	h[2] = post_tx(&t, 30, HDR + 60);
	h[3] = post_tx(&t, 40, HDR + 60);
	CHECK_EQ(vdn_net_dequeue_burst(dev, 0, mp, pkts, 8), 3);
	CHECK(is_frame(pkts[0], 10));
	CHECK(is_frame(pkts[1], 30));
	CHECK(is_frame(pkts[2], 40));
	rte_pktmbuf_free_bulk(pkts, 3);
	for (int i = 0; i < 4; i++) {
		CHECK(used_in_order(&t, 1, &id, &len, &skipped));
		CHECK_EQ(id, (uint32_t)h[i]);
		CHECK_EQ(len, 0);
		nskip += skipped;
	}
	CHECK(!used_in_order(&t, 1, &id, &len, &skipped));
	/* one burst: one used entry, naming the last buffer */
	CHECK_EQ(nskip, 3);
	CHECK(!skipped);
	if (!packed)
		CHECK_EQ(le32toh(t.split[1].used->ring[0].id), (uint32_t)h[3]);

	/* RX: a 200-byte packet over 64-byte buffers, the second malformed */
	for (int i = 0; i < 3; i++) {
		uint64_t buf = arena_alloc(&t.a, 64, 64);

		r[i] = add(&t, 0, &(struct drv_seg){ buf, i == 1 ? 0 : 64, true });
	}
	pkts[0] = frame(200, 7);
	CHECK(pkts[0] != NULL);
	CHECK_EQ(vdn_net_enqueue_burst(dev, 0, pkts, 1), 0);
	rte_pktmbuf_free(pkts[0]);
	for (int i = 0; i < 2; i++) {
		CHECK(used_in_order(&t, 0, &id, &len, &skipped));
		CHECK_EQ(id, (uint32_t)r[i]);
		CHECK_EQ(len, 0);
		CHECK(!skipped);
	}
	CHECK(!used_in_order(&t, 0, &id, &len, &skipped));
	CHECK_EQ(vdn_net_destroy(dev), 0);
	arena_fini(&t.a);
}

static void test_in_order_split(void)
{
	run_in_order(false);
}

static void test_in_order_packed(void)
{
	run_in_order(true);
}

int main(void)
{
	char *eal[] = { "test_net_transport", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
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
	RUN(test_create_checks);
	RUN(test_split);
	RUN(test_packed);
	RUN(test_partial_ready);
	RUN(test_cvq_without_mq);
	RUN(test_ahead_split);
	RUN(test_ahead_packed);
	RUN(test_broken_queue);
	RUN(test_backlog_split);
	RUN(test_backlog_packed);
	RUN(test_batch_then_cut_split);
	RUN(test_batch_then_cut_packed);
	RUN(test_cut_split);
	RUN(test_cut_packed);
	RUN(test_tso_to_port_split);
	RUN(test_tso_to_port_packed);
	RUN(test_in_order_split);
	RUN(test_in_order_packed);
	rte_eal_cleanup();
	return check_report();
}
