/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control queue's command logic (drivers/vduse_net/net_cvq_cmd.c) and
 * RX filter (net_filter.c) driven through a driver-side ring in plain
 * memory (vring_driver.c): every command's effect on what the RX path lets
 * through, and every malformed request answered (or returned) without
 * touching the state.
 */
#include <endian.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_net.h>

#include "check.h"
#include "net_ctrl.h"
#include "vring_driver.h"

#define BIT(b) (1ULL << (b))
#define ALL_FEATURES                                                                     \
	(BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) | BIT(VIRTIO_NET_F_CTRL_VLAN) | \
	 BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) | BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | BIT(VIRTIO_NET_F_MQ))
#define NO_ACK 0xee /* what the ack byte holds until the device writes it */

static const uint8_t MAC[6] = { 0x02, 0, 0, 0, 0, 0x10 };
static const uint8_t OTHER[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
static const uint8_t MCAST2[6] = { 0x01, 0x00, 0x5e, 0x7f, 0x00, 0x01 };

struct fx {
	struct arena a;
	struct drv_ring d;
	struct vdn_vq vr;
	struct vdn_net_ctrl c;
	uint64_t req, ack;  /* request / ack buffers in the arena */
	unsigned int changed;
};

static struct fx F;

static void fx_init(uint64_t features)
{
	struct vdn_vring_cfg cfg;

	arena_fini(&F.a);
	memset(&F, 0, sizeof(F));
	if (arena_init(&F.a) || drv_init(&F.d, &F.a, 128, 0)) {
		CHECK(!"fixture setup");
		return;
	}
	drv_cfg(&F.d, &cfg);
	CHECK_EQ(vdn_vq_init(&F.vr, &cfg), 0);
	F.req = arena_alloc(&F.a, 3 * VDN_NET_CVQ_MAX_CMD, 8);
	F.ack = arena_alloc(&F.a, 64, 8);
	vdn_net_ctrl_reset(&F.c, features, MAC, 4);
}

/* Serve what is queued, then return (used len, ack byte) of one chain. */
static void serve_one(uint32_t *len, uint8_t *ack)
{
	uint32_t id;
	bool more;

	F.changed = 0;
	CHECK_EQ(vdn_net_cvq_serve(&F.vr, &F.c, 32, &F.changed, &more), 1);
	CHECK(!more);
	vdn_vq_flush(&F.vr);
	CHECK(drv_get_used(&F.d, &id, len));
	*ack = *(uint8_t *)arena_ptr(&F.a, F.ack);
}

/* The usual driver layout: header, data, ack in three descriptors. */
static uint8_t cmd(uint8_t class, uint8_t c, const void *data, uint32_t len)
{
	uint8_t *p = arena_ptr(&F.a, F.req);
	struct drv_seg s[3];
	unsigned int n = 0;
	uint32_t used;
	uint8_t ack;

	p[0] = class;
	p[1] = c;
	if (len)
		memcpy(p + 16, data, len);
	*(uint8_t *)arena_ptr(&F.a, F.ack) = NO_ACK;
	s[n++] = (struct drv_seg){ F.req, 2, false };
	if (len)
		s[n++] = (struct drv_seg){ F.req + 16, len, false };
	s[n++] = (struct drv_seg){ F.ack, 1, true };
	CHECK(drv_add(&F.d, s, n) >= 0);
	serve_one(&used, &ack);
	CHECK_EQ(used, 1);
	return ack;
}

static uint8_t on_off(uint8_t c, uint8_t v)
{
	return cmd(VIRTIO_NET_CTRL_RX, c, &v, 1);
}

static uint8_t vlan(uint8_t c, uint16_t vid)
{
	uint16_t le = htole16(vid);

	return cmd(VIRTIO_NET_CTRL_VLAN, c, &le, 2);
}

static uint8_t pairs(uint16_t n)
{
	uint16_t le = htole16(n);

	return cmd(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &le, 2);
}

/* Build a MAC table request body; returns its length. */
static uint32_t table(uint8_t *b, uint32_t nu, const uint8_t (*u)[6], uint32_t nm,
		      const uint8_t (*m)[6])
{
	uint32_t off = 0, le;

	le = htole32(nu);
	memcpy(b, &le, 4);
	off = 4;
	for (uint32_t i = 0; i < nu; i++, off += 6)
		memcpy(b + off, u[i], 6);
	le = htole32(nm);
	memcpy(b + off, &le, 4);
	off += 4;
	for (uint32_t i = 0; i < nm; i++, off += 6)
		memcpy(b + off, m[i], 6);
	return off;
}

/* Does a frame to `dst` (VLAN-tagged with `vid` >= 0) pass the filter, as
 * the datapath sees it after publication? */
static bool passes(const uint8_t *dst, int vid)
{
	static struct vdn_net_filter_pub pub;
	uint8_t fr[64] = { 0 };
	uint32_t len = 60;

	memcpy(fr, dst, 6);
	memcpy(fr + 6, OTHER, 6);
	if (vid >= 0) {
		fr[12] = 0x81;
		fr[13] = 0x00;
		fr[14] = (uint8_t)(vid >> 8);
		fr[15] = (uint8_t)vid;
		fr[16] = 0x08;
	} else {
		fr[12] = 0x08;
	}
	vdn_net_filter_publish(&pub, &F.c.f);
	CHECK_EQ(atomic_load(&pub.seq) & 1, 0);
	bool a = vdn_net_filter_check(&pub, fr, len);

	/* the published copy and the control state must agree */
	CHECK_EQ(a, vdn_net_rxfilter_pass(&F.c.f, fr, len));
	/* and what a reporter reads is exactly the state */
	struct vdn_net_rxfilter copy;

	vdn_net_filter_read(&pub, &copy);
	CHECK(!memcmp(&copy, &F.c.f, sizeof(copy)));
	return a;
}

static void test_reset_state(void)
{
	fx_init(ALL_FEATURES);
	/* nothing filtered before the driver sets an RX mode */
	CHECK(passes(OTHER, -1));
	CHECK(passes(MAC, 200));
	CHECK(F.c.f.vlan_filter);
	CHECK_EQ(F.c.active_qp, 1);
	fx_init(BIT(VIRTIO_NET_F_CTRL_VQ));
	CHECK(!F.c.f.vlan_filter);
}

static void test_rx_mode(void)
{
	fx_init(ALL_FEATURES);
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 0), VIRTIO_NET_OK);
	CHECK(F.changed & VDN_NET_CTRL_CH_FILTER);
	CHECK(passes(MAC, -1));
	CHECK(!passes(OTHER, -1));
	CHECK(passes(BCAST, -1));
	CHECK(!passes(MCAST, -1));
	/* any non-zero byte enables (the uAPI's definition) */
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 7), VIRTIO_NET_OK);
	CHECK(passes(OTHER, -1));
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 0), VIRTIO_NET_OK);

	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_ALLMULTI, 1), VIRTIO_NET_OK);
	CHECK(passes(MCAST, -1));
	CHECK(!passes(OTHER, -1));
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_ALLMULTI, 0), VIRTIO_NET_OK);
	CHECK(!passes(MCAST, -1));

	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_ALLUNI, 1), VIRTIO_NET_OK);
	CHECK(passes(OTHER, -1));
	CHECK(!passes(MCAST, -1));
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_ALLUNI, 0), VIRTIO_NET_OK);

	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_NOBCAST, 1), VIRTIO_NET_OK);
	CHECK(!passes(BCAST, -1));
	CHECK(passes(MAC, -1));
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_NOBCAST, 0), VIRTIO_NET_OK);
	CHECK(passes(BCAST, -1));

	/* NOMULTI beats ALLMULTI, NOUNI beats the device's own address */
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_ALLMULTI, 1), VIRTIO_NET_OK);
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_NOMULTI, 1), VIRTIO_NET_OK);
	CHECK(!passes(MCAST, -1));
	CHECK(passes(BCAST, -1));
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_NOUNI, 1), VIRTIO_NET_OK);
	CHECK(!passes(MAC, -1));
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_NOUNI, 0), VIRTIO_NET_OK);
	CHECK(passes(MAC, -1));

	/* malformed: no data, two bytes, unknown command */
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, NULL, 0), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, "\1\1", 2), VIRTIO_NET_ERR);
	CHECK_EQ(on_off(6, 1), VIRTIO_NET_ERR);
	CHECK_EQ(F.changed, 0);
	CHECK(!passes(OTHER, -1));

	/* the extra modes exist only with CTRL_RX_EXTRA, the rest only with CTRL_RX */
	fx_init(ALL_FEATURES & ~BIT(VIRTIO_NET_F_CTRL_RX_EXTRA));
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_ALLMULTI, 1), VIRTIO_NET_OK);
	for (uint8_t c = VIRTIO_NET_CTRL_RX_ALLUNI; c <= VIRTIO_NET_CTRL_RX_NOBCAST; c++)
		CHECK_EQ(on_off(c, 1), VIRTIO_NET_ERR);
	fx_init(ALL_FEATURES & ~BIT(VIRTIO_NET_F_CTRL_RX));
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 0), VIRTIO_NET_ERR);
	CHECK(passes(OTHER, -1));
}

static void test_mac_table(void)
{
	static uint8_t many[VDN_NET_MAC_TABLE_MAX + 1][6];
	uint8_t b[1024];
	uint32_t n;
	uint32_t huge = htole32(0xffffffffu);

	fx_init(ALL_FEATURES);
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 0), VIRTIO_NET_OK);
	n = table(b, 1, &OTHER, 1, &MCAST);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, n), VIRTIO_NET_OK);
	CHECK(F.changed & VDN_NET_CTRL_CH_FILTER);
	CHECK(passes(OTHER, -1));
	CHECK(passes(MCAST, -1));
	CHECK(!passes(MCAST2, -1));
	CHECK(passes(MAC, -1)); /* the primary address needs no entry */

	/* malformed tables change nothing */
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, 3), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, n - 1), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, n - 6), VIRTIO_NET_ERR);
	b[n] = 0;
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, n + 1), VIRTIO_NET_ERR);
	/* first count only: the multicast count is missing */
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, 10), VIRTIO_NET_ERR);
	/* a count far longer than the buffer (and overflowing 32 bits times 6) */
	memcpy(b, &huge, 4);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, n), VIRTIO_NET_ERR);
	n = table(b, 0, NULL, 0, NULL);
	memcpy(b + 4, &huge, 4);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, n), VIRTIO_NET_ERR);
	CHECK_EQ(F.changed, 0);
	CHECK(passes(OTHER, -1));
	CHECK(passes(MCAST, -1));

	/* empty tables */
	n = table(b, 0, NULL, 0, NULL);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, n), VIRTIO_NET_OK);
	CHECK(!passes(OTHER, -1));
	CHECK(!passes(MCAST, -1));

	/* more entries than kept: that kind is then accepted wholesale */
	for (unsigned int i = 0; i <= VDN_NET_MAC_TABLE_MAX; i++) {
		many[i][0] = 0x01;
		many[i][5] = (uint8_t)i;
	}
	n = table(b, 0, NULL, VDN_NET_MAC_TABLE_MAX + 1, (const uint8_t (*)[6])many);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, n), VIRTIO_NET_OK);
	CHECK(passes(MCAST2, -1));
	CHECK(!passes(OTHER, -1));

	/* TABLE_SET belongs to CTRL_RX */
	fx_init(ALL_FEATURES & ~BIT(VIRTIO_NET_F_CTRL_RX));
	n = table(b, 0, NULL, 0, NULL);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, b, n), VIRTIO_NET_ERR);
}

static void test_mac_addr(void)
{
	static const uint8_t zero[6];

	fx_init(ALL_FEATURES);
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 0), VIRTIO_NET_OK);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, OTHER, 6), VIRTIO_NET_OK);
	CHECK_EQ(F.changed, VDN_NET_CTRL_CH_FILTER | VDN_NET_CTRL_CH_MAC);
	CHECK(!memcmp(F.c.f.mac, OTHER, 6));
	CHECK(passes(OTHER, -1));
	CHECK(!passes(MAC, -1));

	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, MCAST, 6), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, zero, 6), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, MAC, 5), VIRTIO_NET_ERR);
	static const uint8_t mac7[7] = { 0x02, 0, 0, 0, 0, 0x10, 0 };

	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac7, 7), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, 2, MAC, 6), VIRTIO_NET_ERR);
	CHECK_EQ(F.changed, 0);
	CHECK(!memcmp(F.c.f.mac, OTHER, 6));

	fx_init(ALL_FEATURES & ~BIT(VIRTIO_NET_F_CTRL_MAC_ADDR));
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, OTHER, 6), VIRTIO_NET_ERR);
	CHECK(!memcmp(F.c.f.mac, MAC, 6));
}

static void test_vlan(void)
{
	fx_init(ALL_FEATURES);
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 0), VIRTIO_NET_OK);
	/* the table starts empty: tagged frames are dropped, untagged pass */
	CHECK(!passes(MAC, 100));
	CHECK(passes(MAC, -1));
	CHECK_EQ(vlan(VIRTIO_NET_CTRL_VLAN_ADD, 100), VIRTIO_NET_OK);
	CHECK(passes(MAC, 100));
	CHECK(passes(BCAST, 100));
	CHECK(!passes(MAC, 200));
	CHECK(!passes(OTHER, 100)); /* the VLAN passes, the address does not */
	CHECK_EQ(vlan(VIRTIO_NET_CTRL_VLAN_ADD, 0), VIRTIO_NET_OK);
	CHECK_EQ(vlan(VIRTIO_NET_CTRL_VLAN_ADD, 4095), VIRTIO_NET_OK);
	CHECK(passes(MAC, 0));
	CHECK(passes(MAC, 4095));
	CHECK_EQ(vlan(VIRTIO_NET_CTRL_VLAN_DEL, 100), VIRTIO_NET_OK);
	CHECK(!passes(MAC, 100));
	CHECK(passes(MAC, 4095));
	/* deleting what is not there is fine */
	CHECK_EQ(vlan(VIRTIO_NET_CTRL_VLAN_DEL, 100), VIRTIO_NET_OK);

	CHECK_EQ(vlan(VIRTIO_NET_CTRL_VLAN_ADD, 4096), VIRTIO_NET_ERR);
	CHECK_EQ(vlan(2, 100), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, "\144", 1), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, "\144\0\0", 3), VIRTIO_NET_ERR);
	CHECK_EQ(F.changed, 0);
	CHECK(!passes(MAC, 100));
	/* promiscuous passes tagged frames too */
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 1), VIRTIO_NET_OK);
	CHECK(passes(MAC, 200));

	/* without CTRL_VLAN: no commands, and no VLAN filtering */
	fx_init(ALL_FEATURES & ~BIT(VIRTIO_NET_F_CTRL_VLAN));
	CHECK_EQ(vlan(VIRTIO_NET_CTRL_VLAN_ADD, 100), VIRTIO_NET_ERR);
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 0), VIRTIO_NET_OK);
	CHECK(passes(MAC, 200));
}

static void test_mq(void)
{
	uint8_t rss[64] = { 0 };

	fx_init(ALL_FEATURES);
	CHECK_EQ(pairs(3), VIRTIO_NET_OK);
	CHECK_EQ(F.changed, VDN_NET_CTRL_CH_QP);
	CHECK_EQ(F.c.active_qp, 3);
	CHECK_EQ(pairs(3), VIRTIO_NET_OK);
	CHECK_EQ(F.changed, 0); /* no change, nothing for the datapath to do */
	CHECK_EQ(pairs(4), VIRTIO_NET_OK);
	CHECK_EQ(pairs(1), VIRTIO_NET_OK);
	CHECK_EQ(F.c.active_qp, 1);
	CHECK_EQ(pairs(0), VIRTIO_NET_ERR);
	CHECK_EQ(pairs(5), VIRTIO_NET_ERR);
	CHECK_EQ(pairs(0x8000), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, "\2", 1), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG, rss, sizeof(rss)),
		 VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_HASH_CONFIG, rss, sizeof(rss)),
		 VIRTIO_NET_ERR);
	CHECK_EQ(F.c.active_qp, 1);
	fx_init(ALL_FEATURES & ~BIT(VIRTIO_NET_F_MQ));
	CHECK_EQ(pairs(2), VIRTIO_NET_ERR);
	CHECK_EQ(F.c.active_qp, 1);
}

static void test_unknown(void)
{
	uint64_t off = htole64(0);

	fx_init(ALL_FEATURES);
	/* classes this device does not offer, and ones that do not exist */
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0),
		 VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8),
		 VIRTIO_NET_ERR);
	CHECK_EQ(cmd(VIRTIO_NET_CTRL_STATS, VIRTIO_NET_CTRL_STATS_QUERY, NULL, 0), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(99, 0, NULL, 0), VIRTIO_NET_ERR);
	CHECK_EQ(cmd(255, 255, "x", 1), VIRTIO_NET_ERR);
	CHECK_EQ(F.c.errors, 5);
	CHECK_EQ(F.c.commands, 5);
}

/* Chains that are not a well-formed request. */
static void test_malformed_chains(void)
{
	uint8_t *req, *ack;
	uint32_t len;
	uint8_t a;
	bool more;
	uint32_t id;

	fx_init(ALL_FEATURES);
	req = arena_ptr(&F.a, F.req);
	ack = arena_ptr(&F.a, F.ack);

	/* short header: one readable byte */
	req[0] = VIRTIO_NET_CTRL_RX;
	*ack = NO_ACK;
	CHECK(drv_add(&F.d, (struct drv_seg[]){ { F.req, 1, false }, { F.ack, 1, true } }, 2) >= 0);
	serve_one(&len, &a);
	CHECK_EQ(len, 1);
	CHECK_EQ(a, VIRTIO_NET_ERR);

	/* no readable part at all: only the ack buffer */
	*ack = NO_ACK;
	CHECK(drv_add(&F.d, (struct drv_seg[]){ { F.ack, 1, true } }, 1) >= 0);
	serve_one(&len, &a);
	CHECK_EQ(len, 1);
	CHECK_EQ(a, VIRTIO_NET_ERR);

	/* no ack buffer: given back unanswered, nothing applied */
	req[0] = VIRTIO_NET_CTRL_RX;
	req[1] = VIRTIO_NET_CTRL_RX_PROMISC;
	req[2] = 0;
	*ack = NO_ACK;
	CHECK(drv_add(&F.d, (struct drv_seg[]){ { F.req, 3, false } }, 1) >= 0);
	serve_one(&len, &a);
	CHECK_EQ(len, 0);
	CHECK_EQ(a, NO_ACK);
	CHECK(F.c.f.promisc);

	/* wrong directions: the ack (writable) before the request (readable) */
	*ack = NO_ACK;
	CHECK(drv_add(&F.d, (struct drv_seg[]){ { F.ack, 1, true }, { F.req, 3, false } }, 2) >= 0);
	serve_one(&len, &a);
	CHECK_EQ(len, 0);
	CHECK_EQ(a, NO_ACK);
	CHECK(F.c.f.promisc);

	/* wrong directions: the request in a writable buffer reads as no
	 * request; the ack goes to the first writable byte, as always */
	*ack = NO_ACK;
	CHECK(drv_add(&F.d, (struct drv_seg[]){ { F.req, 3, true }, { F.ack, 1, true } }, 2) >= 0);
	serve_one(&len, &a);
	CHECK_EQ(len, 1);
	CHECK_EQ(req[0], VIRTIO_NET_ERR);
	CHECK_EQ(a, NO_ACK);
	CHECK(F.c.f.promisc);
	req[0] = VIRTIO_NET_CTRL_RX;

	/* request longer than the device reads */
	*ack = NO_ACK;
	CHECK(drv_add(&F.d, (struct drv_seg[]){ { F.req, VDN_NET_CVQ_MAX_CMD + 1, false },
						{ F.ack, 1, true } }, 2) >= 0);
	serve_one(&len, &a);
	CHECK_EQ(a, VIRTIO_NET_ERR);

	/* the request split byte by byte over descriptors still parses; a
	 * bigger ack buffer gets exactly one byte */
	*ack = NO_ACK;
	CHECK(drv_add(&F.d, (struct drv_seg[]){ { F.req, 1, false }, { F.req + 1, 1, false },
						{ F.req + 2, 1, false }, { F.ack, 8, true } }, 4) >= 0);
	serve_one(&len, &a);
	CHECK_EQ(len, 1);
	CHECK_EQ(a, VIRTIO_NET_OK);
	CHECK(!F.c.f.promisc);

	/* a head index past the ring: consumed, nothing to answer, no crash */
	drv_publish(&F.d, 1000);
	F.changed = 0;
	CHECK_EQ(vdn_net_cvq_serve(&F.vr, &F.c, 32, &F.changed, &more), 1);
	vdn_vq_flush(&F.vr);
	CHECK(!drv_get_used(&F.d, &id, &len));
	/* and the queue still works afterwards */
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 1), VIRTIO_NET_OK);
	CHECK(F.c.f.promisc);
}

/* A flood of requests is served in budgets; every one is answered. */
static void test_budget(void)
{
	uint8_t *req;
	unsigned int acked = 0;
	uint32_t id, len;
	bool more;

	fx_init(ALL_FEATURES);
	req = arena_ptr(&F.a, F.req);
	req[0] = VIRTIO_NET_CTRL_RX;
	req[1] = VIRTIO_NET_CTRL_RX_ALLMULTI;
	req[2] = 1;
	for (int i = 0; i < 40; i++)
		CHECK(drv_add(&F.d, (struct drv_seg[]){ { F.req, 3, false },
							{ F.ack + (uint64_t)i, 1, true } }, 2) >= 0);
	CHECK_EQ(vdn_net_cvq_serve(&F.vr, &F.c, 32, &F.changed, &more), 32);
	CHECK(more);
	vdn_vq_flush(&F.vr);
	CHECK_EQ(vdn_net_cvq_serve(&F.vr, &F.c, 32, &F.changed, &more), 8);
	CHECK(!more);
	vdn_vq_flush(&F.vr);
	while (drv_get_used(&F.d, &id, &len))
		acked += len == 1;
	CHECK_EQ(acked, 40);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(((uint8_t *)arena_ptr(&F.a, F.ack))[i], VIRTIO_NET_OK);
	CHECK_EQ(F.c.commands, 40);
}

static void test_short_frames(void)
{
	uint8_t fr[18] = { 0x02, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0x81, 0x00, 0, 100 };

	fx_init(ALL_FEATURES);
	CHECK_EQ(on_off(VIRTIO_NET_CTRL_RX_PROMISC, 0), VIRTIO_NET_OK);
	CHECK_EQ(vlan(VIRTIO_NET_CTRL_VLAN_ADD, 100), VIRTIO_NET_OK);
	CHECK(vdn_net_rxfilter_pass(&F.c.f, fr, 18));
	CHECK(!vdn_net_rxfilter_pass(&F.c.f, fr, 13));  /* no full Ethernet header */
	CHECK(!vdn_net_rxfilter_pass(&F.c.f, fr, 15));  /* tag cut short */
}

/* A reader racing a writer that alternates two very different filters must
 * always get one of them whole, never a mix; it runs until it has read each
 * many times, so the race is really run. */
static struct {
	struct vdn_net_filter_pub pub;
	struct vdn_net_rxfilter a, b;
	atomic_bool stop;
} R;

static void *publisher(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; !atomic_load(&R.stop); i++)
		vdn_net_filter_publish(&R.pub, i & 1 ? &R.b : &R.a);
	return NULL;
}

static void test_filter_read_races(void)
{
	struct vdn_net_rxfilter copy;
	unsigned int mixed = 0, of_a = 0, of_b = 0;
	struct timespec t0, now;
	pthread_t t;

	memset(&R.a, 0, sizeof(R.a));
	R.a.promisc = true;
	memset(&R.b, 0xa5, sizeof(R.b));
	R.b.promisc = false;
	R.b.n_uni = R.b.n_multi = VDN_NET_MAC_TABLE_MAX;
	vdn_net_filter_publish(&R.pub, &R.a);
	CHECK_EQ(pthread_create(&t, NULL, publisher, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		vdn_net_filter_read(&R.pub, &copy);
		if (!memcmp(&copy, &R.a, sizeof(copy)))
			of_a++;
		else if (!memcmp(&copy, &R.b, sizeof(copy)))
			of_b++;
		else
			mixed++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((of_a < 1000 || of_b < 1000) && now.tv_sec - t0.tv_sec < 20);
	atomic_store(&R.stop, true);
	pthread_join(t, NULL);
	CHECK_EQ(mixed, 0u);
	CHECK(of_a >= 1000 && of_b >= 1000);
	printf("  %u reads of one filter, %u of the other, none mixed\n", of_a, of_b);
}

int main(void)
{
	if (arena_init(&F.a)) {
		CHECK(!"arena");
		return check_report();
	}
	RUN(test_reset_state);
	RUN(test_rx_mode);
	RUN(test_mac_table);
	RUN(test_mac_addr);
	RUN(test_vlan);
	RUN(test_mq);
	RUN(test_unknown);
	RUN(test_malformed_chains);
	RUN(test_budget);
	RUN(test_short_frames);
	RUN(test_filter_read_races);
	arena_fini(&F.a);
	return check_report();
}
