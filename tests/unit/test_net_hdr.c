/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_net_hdr <-> rte_mbuf mapping (drivers/vduse_net/net_hdr.c): the
 * driver leaves L4 checksums partial (pseudo-header sum in place, NEEDS_CSUM)
 * and the device must finish them; bad offsets are rejected, GSO refused;
 * verified checksums are passed to the driver as DATA_VALID.
 * Needs EAL for mbufs: runs with --no-huge --no-shconf (no hugepages, no shared files).
 */
#include <errno.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "check.h"
#include "net_private.h"

static struct rte_mempool *mp;

/* Build Ethernet/IPv4/L4 + payload; leave the L4 checksum as a virtio driver
 * does for NEEDS_CSUM: the folded pseudo-header sum, not inverted. */
static struct rte_mbuf *make_ipv4(uint8_t proto, uint16_t payload, struct virtio_net_hdr_v1 *h)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t l4len = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr);
	uint16_t len = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + l4len + payload;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);

	memset(p, 0, len);
	struct rte_ether_hdr *eth = (void *)p;
	struct rte_ipv4_hdr *ip = (void *)(eth + 1);
	uint8_t *l4 = (uint8_t *)(ip + 1);

	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	for (uint16_t i = 0; i < payload; i++)
		l4[l4len + i] = (uint8_t)(i * 7 + 3);
	uint16_t off;

	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (void *)l4;

		t->src_port = rte_cpu_to_be_16(1234);
		t->dst_port = rte_cpu_to_be_16(80);
		t->data_off = 5 << 4;
		t->cksum = rte_ipv4_phdr_cksum(ip, 0);
		off = offsetof(struct rte_tcp_hdr, cksum);
	} else {
		struct rte_udp_hdr *u = (void *)l4;

		u->src_port = rte_cpu_to_be_16(1234);
		u->dst_port = rte_cpu_to_be_16(53);
		u->dgram_len = rte_cpu_to_be_16(l4len + payload);
		u->dgram_cksum = rte_ipv4_phdr_cksum(ip, 0);
		off = offsetof(struct rte_udp_hdr, dgram_cksum);
	}
	memset(h, 0, sizeof(*h));
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = sizeof(*eth) + sizeof(*ip);
	h->csum_offset = off;
	return m;
}

/* 0 if the L4 checksum is valid: pseudo-header + segment sum to 0xffff. */
static int verify_ipv4(struct rte_mbuf *m)
{
	uint8_t buf[4096];

	/* a linear view: the data itself, or a copy in buf when chained */
	const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	const struct rte_ipv4_hdr *ip = (const void *)(p + sizeof(struct rte_ether_hdr));
	uint32_t l4len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip);
	uint32_t sum = rte_raw_cksum(ip + 1, l4len) + rte_ipv4_phdr_cksum(ip, 0);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff ? 0 : -1;
}

static void test_tcp_udp_complete(void)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	static const uint16_t sizes[] = { 0, 1, 2, 63, 1000, 1458 };

	for (size_t p = 0; p < RTE_DIM(protos); p++)
		for (size_t s = 0; s < RTE_DIM(sizes); s++) {
			struct virtio_net_hdr_v1 h;
			struct rte_mbuf *m = make_ipv4(protos[p], sizes[s], &h);
			uint64_t n = 0;

			CHECK(verify_ipv4(m) != 0); /* partial: not valid yet */
			CHECK_EQ(vdn_net_hdr_to_mbuf(&h, m, &n), 0);
			CHECK_EQ(n, 1);
			CHECK_EQ(verify_ipv4(m), 0);
			rte_pktmbuf_free(m);
		}
}

static void test_no_csum_untouched(void)
{
	struct virtio_net_hdr_v1 h;
	struct rte_mbuf *m = make_ipv4(IPPROTO_TCP, 100, &h);
	uint8_t before[256];
	uint64_t n = 0;

	memcpy(before, rte_pktmbuf_mtod(m, void *), m->data_len);
	h.flags = 0;
	CHECK_EQ(vdn_net_hdr_to_mbuf(&h, m, &n), 0);
	CHECK_EQ(n, 0);
	CHECK(memcmp(before, rte_pktmbuf_mtod(m, void *), m->data_len) == 0);
	rte_pktmbuf_free(m);
}

static void test_bad_offsets(void)
{
	struct virtio_net_hdr_v1 h;
	struct rte_mbuf *m = make_ipv4(IPPROTO_TCP, 10, &h);
	uint64_t n = 0;
	struct virtio_net_hdr_v1 bad = h;

	bad.csum_start = m->pkt_len; /* starts at the end */
	CHECK_EQ(vdn_net_hdr_to_mbuf(&bad, m, &n), -EINVAL);
	bad = h;
	bad.csum_offset = m->pkt_len - h.csum_start - 1; /* field runs past the end */
	CHECK_EQ(vdn_net_hdr_to_mbuf(&bad, m, &n), -EINVAL);
	bad = h;
	bad.csum_start = 0xffff;
	bad.csum_offset = 0xffff;
	CHECK_EQ(vdn_net_hdr_to_mbuf(&bad, m, &n), -EINVAL);
	CHECK_EQ(n, 0);
	bad = h;
	bad.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	bad.gso_size = 1448;
	CHECK_EQ(vdn_net_hdr_to_mbuf(&bad, m, &n), -EOPNOTSUPP);
	rte_pktmbuf_free(m);
}

/* Chained mbufs, split at every offset around the L4 header: odd splits
 * (which DPDK 22.11's rte_raw_cksum_mbuf gets wrong) and a split between
 * the two checksum bytes. */
static void test_chained(void)
{
	for (uint32_t d = 0; d < 40; d++) {
		struct virtio_net_hdr_v1 h;
		struct rte_mbuf *m = make_ipv4(d & 1 ? IPPROTO_UDP : IPPROTO_TCP, 1200, &h);
		struct rte_mbuf *a = rte_pktmbuf_alloc(mp), *b = rte_pktmbuf_alloc(mp);
		uint32_t split = h.csum_start + d;
		uint64_t n = 0;

		memcpy(rte_pktmbuf_append(a, split), rte_pktmbuf_mtod(m, void *), split);
		memcpy(rte_pktmbuf_append(b, m->pkt_len - split),
		       rte_pktmbuf_mtod_offset(m, void *, split), m->pkt_len - split);
		CHECK_EQ(rte_pktmbuf_chain(a, b), 0);
		CHECK_EQ(vdn_net_hdr_to_mbuf(&h, a, &n), 0);
		CHECK_EQ(verify_ipv4(a), 0);
		rte_pktmbuf_free(a);
		rte_pktmbuf_free(m);
	}
}

static void test_to_driver_flags(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct virtio_net_hdr_v1 h;

	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	vdn_net_hdr_from_mbuf(m, &h, true);
	CHECK_EQ(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	CHECK_EQ(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	vdn_net_hdr_from_mbuf(m, &h, false); /* GUEST_CSUM not negotiated */
	CHECK_EQ(h.flags, 0);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	vdn_net_hdr_from_mbuf(m, &h, true);
	CHECK_EQ(h.flags, 0);
	m->ol_flags = 0;
	vdn_net_hdr_from_mbuf(m, &h, true);
	CHECK_EQ(h.flags, 0);
	rte_pktmbuf_free(m);
}

/* A partial UDP checksum left to a port that finishes UDP checksums, and
 * only to one; shapes the port cannot be told about stay for software. */
static void test_csum_offload_udp(void)
{
	struct virtio_net_hdr_v1 h, bad;
	struct rte_mbuf *m = make_ipv4(IPPROTO_UDP, 300, &h);
	uint8_t before[512];

	memcpy(before, rte_pktmbuf_mtod(m, void *), m->data_len);
	CHECK_EQ(vdn_net_csum_offload(&h, m, 0), -ENOTSUP);
	CHECK_EQ(vdn_net_csum_offload(&h, m, RTE_ETH_TX_OFFLOAD_TCP_CKSUM), -ENOTSUP);
	bad = h;
	bad.flags = 0;
	CHECK_EQ(vdn_net_csum_offload(&bad, m, RTE_ETH_TX_OFFLOAD_UDP_CKSUM), -ENOTSUP);
	bad = h;
	bad.csum_start++; /* not right behind the IP header */
	CHECK_EQ(vdn_net_csum_offload(&bad, m, RTE_ETH_TX_OFFLOAD_UDP_CKSUM), -ENOTSUP);
	bad = h;
	bad.csum_offset = 16; /* TCP's field in a UDP datagram */
	CHECK_EQ(vdn_net_csum_offload(&bad, m, RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
					       RTE_ETH_TX_OFFLOAD_TCP_CKSUM), -ENOTSUP);
	CHECK_EQ(m->ol_flags, 0);
	CHECK_EQ(vdn_net_csum_offload(&h, m, RTE_ETH_TX_OFFLOAD_UDP_CKSUM), 0);
	CHECK_EQ(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV4);
	CHECK_EQ(m->l2_len, sizeof(struct rte_ether_hdr));
	CHECK_EQ(m->l3_len, sizeof(struct rte_ipv4_hdr));
	/* the pseudo-header sum stays for the port to finish */
	CHECK_EQ(memcmp(rte_pktmbuf_mtod(m, void *), before, m->data_len), 0);
	rte_pktmbuf_free(m);

	/* not IP at all */
	m = make_ipv4(IPPROTO_UDP, 300, &h);
	rte_pktmbuf_mtod(m, uint8_t *)[12] = 0x88;
	CHECK_EQ(vdn_net_csum_offload(&h, m, RTE_ETH_TX_OFFLOAD_UDP_CKSUM), -ENOTSUP);
	rte_pktmbuf_free(m);
}

int main(void)
{
	char *eal[] = { "test_net_hdr", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed (this test needs root for EAL)\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("t", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL);
	if (!mp)
		return check_report();
	RUN(test_tcp_udp_complete);
	RUN(test_no_csum_untouched);
	RUN(test_bad_offsets);
	RUN(test_chained);
	RUN(test_to_driver_flags);
	RUN(test_csum_offload_udp);
	rte_eal_cleanup();
	return check_report();
}
