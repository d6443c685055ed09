/* SPDX-License-Identifier: BSD-3-Clause */
/* Offloads left to the backend port (vdn_net_set_port_offloads), from the
 * driver's virtio_net_hdr to DPDK's mbuf offload fields.
 *
 * A port that can segment and checksum (a NIC, DPDK's virtio_user on the
 * kernel's vhost-net) saves the device the software work of net_gso.c and
 * net_hdr.c, and lets the peer receive whole TSO frames.  DPDK's contract
 * for such mbufs (rte_mbuf_core.h, rte_net_intel_cksum_prepare()): l2_len,
 * l3_len (and l4_len, tso_segsz for TSO) filled, RTE_MBUF_F_TX_IPV4/IPV6
 * set, the headers in the first segment, and the L4 checksum field holding
 * the pseudo-header sum -- with the L4 length for a plain checksum (what a
 * virtio driver leaves there for NEEDS_CSUM), without it for TSO.  Anything
 * this cannot describe goes the software way instead: it is never an
 * error. */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "net_private.h"

#define IPV6_HDR_LEN 40
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
#define IPV4_MF_OFF_MASK 0x3fff

int vdn_net_tso_offload(const struct vdn_net_gso *g, struct rte_mbuf *m, uint64_t port_tx)
{
	const uint64_t need = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	uint8_t *p;
	uint16_t phdr;

	if ((port_tx & need) != need ||
	    (m->nb_segs > 1 && !(port_tx & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)))
		return -ENOTSUP;
	/* the port reads (and we rewrite) the headers in place */
	if (m->data_len < g->hdr_len || RTE_MBUF_HAS_EXTBUF(m))
		return -ENOTSUP;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	m->l2_len = g->l3_off;
	m->l3_len = g->l4_off - g->l3_off;
	m->l4_len = g->hdr_len - g->l4_off;
	m->tso_segsz = g->mss;
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	if (g->ipv6) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV6;
		phdr = rte_ipv6_phdr_cksum((const void *)(p + g->l3_off), RTE_MBUF_F_TX_TCP_SEG);
	} else {
		struct rte_ipv4_hdr *ip = (void *)(p + g->l3_off);

		m->ol_flags |= RTE_MBUF_F_TX_IPV4;
		/* without the port's help the super-frame's own header
		 * checksum stays: whoever segments rewrites it per segment */
		if (port_tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
			m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
			ip->hdr_checksum = 0;
		}
		phdr = rte_ipv4_phdr_cksum(ip, RTE_MBUF_F_TX_TCP_SEG);
	}
	/* the driver's sum includes the super-frame's length; DPDK's has none */
	memcpy(p + g->l4_off + TCP_CSUM_OFF, &phdr, sizeof(phdr));
	return 0;
}

/* The Ethernet header and up to two VLAN tags of the `len` bytes at `p`:
 * returns where the L3 header starts, with its ethertype in *et; -EINVAL if
 * the tags run past `len`. */
static int l2_skip(const uint8_t *p, uint32_t len, uint16_t *et)
{
	uint32_t l2 = RTE_ETHER_HDR_LEN;
	uint16_t t;

	if (len < RTE_ETHER_HDR_LEN)
		return -EINVAL;
	memcpy(&t, p + 2 * RTE_ETHER_ADDR_LEN, sizeof(t));
	t = rte_be_to_cpu_16(t);
	for (int tags = 0; tags < 2 && (t == RTE_ETHER_TYPE_VLAN || t == RTE_ETHER_TYPE_QINQ);
	     tags++) {
		if (l2 + RTE_VLAN_HLEN > len)
			return -EINVAL;
		memcpy(&t, p + l2 + 2, sizeof(t));
		t = rte_be_to_cpu_16(t);
		l2 += RTE_VLAN_HLEN;
	}
	*et = t;
	return (int)l2;
}

int vdn_net_csum_offload(const struct virtio_net_hdr_v1 *hdr, struct rte_mbuf *m, uint64_t port_tx)
{
	uint32_t start = rte_le_to_cpu_16(hdr->csum_start);
	uint32_t off = rte_le_to_cpu_16(hdr->csum_offset);
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t l2;
	uint16_t et;
	uint8_t proto;
	int rc;
	uint64_t flags;

	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE || !(hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return -ENOTSUP;
	if (off == TCP_CSUM_OFF && (port_tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM))
		proto = IPPROTO_TCP;
	else if (off == UDP_CSUM_OFF && (port_tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM))
		proto = IPPROTO_UDP;
	else
		return -ENOTSUP;
	/* everything up to the checksum field in the first segment */
	if (start + off + 2 > m->data_len)
		return -ENOTSUP;
	rc = l2_skip(p, m->data_len, &et);
	if (rc < 0)
		return -ENOTSUP;
	l2 = (uint32_t)rc;
	if (et == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + l2);

		/* the L4 header must start right after the IP header the port
		 * will be told about, and be what the offset says it is */
		if (l2 + sizeof(*ip) > m->data_len || (ip->version_ihl >> 4) != 4 ||
		    (ip->version_ihl & 0xf) < 5 ||
		    start != l2 + (ip->version_ihl & 0xf) * 4u || ip->next_proto_id != proto ||
		    (rte_be_to_cpu_16(ip->fragment_offset) & IPV4_MF_OFF_MASK))
			return -ENOTSUP;
		flags = RTE_MBUF_F_TX_IPV4;
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip = (const void *)(p + l2);

		/* extension headers: left to software */
		if (l2 + IPV6_HDR_LEN > m->data_len || start != l2 + IPV6_HDR_LEN ||
		    (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || ip->proto != proto)
			return -ENOTSUP;
		flags = RTE_MBUF_F_TX_IPV6;
	} else {
		return -ENOTSUP;
	}
	m->l2_len = l2;
	m->l3_len = start - l2;
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	m->ol_flags |= flags | (proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
	return 0;
}

/* Returns the L4 offset of Ethernet (+ up to 2 VLAN tags) + IPv4|IPv6 (no
 * extension headers) + TCP|UDP read from `h` (`len` bytes), with *proto,
 * *ipv6, *l3 (the IP header's offset) and *hdr_len (the L4 header's end) set; -EINVAL for anything else. */
static int parse_l4(const uint8_t *h, uint32_t len, uint8_t *proto, bool *ipv6, uint32_t *l3,
		    uint32_t *hdr_len)
{
	uint32_t off, l4;
	uint16_t et;
	int rc = l2_skip(h, len, &et);

	if (rc < 0)
		return rc;
	off = (uint32_t)rc;
	if (et == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const void *)(h + off);

		if (off + sizeof(*ip) > len || (ip->version_ihl >> 4) != 4 ||
		    (ip->version_ihl & 0xf) < 5 ||
		    (rte_be_to_cpu_16(ip->fragment_offset) & IPV4_MF_OFF_MASK))
			return -EINVAL;
		l4 = off + (ip->version_ihl & 0xf) * 4u;
		*proto = ip->next_proto_id;
		*ipv6 = false;
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip = (const void *)(h + off);

		if (off + IPV6_HDR_LEN > len || (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
			return -EINVAL;
		l4 = off + IPV6_HDR_LEN;
		*proto = ip->proto;
		*ipv6 = true;
	} else {
		return -EINVAL;
	}
	*l3 = off;
	if (*proto == IPPROTO_TCP) {
		if (l4 + sizeof(struct rte_tcp_hdr) > len)
			return -EINVAL;
		*hdr_len = l4 + (h[l4 + 12] >> 4) * 4u;
		if (*hdr_len < l4 + sizeof(struct rte_tcp_hdr))
			return -EINVAL;
	} else if (*proto == IPPROTO_UDP) {
		if (l4 + 8 > len)
			return -EINVAL;
		*hdr_len = l4 + 8;
	} else {
		return -EINVAL;
	}
	return (int)l4;
}

/* An LRO frame whose checksum the port finished (a NIC's LRO) rather than
 * left partial (virtio_user's, flagged NONE): a GSO header says partial,
 * so the field must hold the pseudo-header sum, as Linux leaves it. */
static int lro_make_partial(struct rte_mbuf *m, uint32_t l3, uint32_t l4, bool ipv6)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t sum;

	if (m->data_len < l4 + sizeof(struct rte_tcp_hdr) || RTE_MBUF_HAS_EXTBUF(m))
		return -EINVAL;
	sum = ipv6 ? rte_ipv6_phdr_cksum((const void *)(p + l3), 0)
		   : rte_ipv4_phdr_cksum((const void *)(p + l3), 0);
	memcpy(p + l4 + TCP_CSUM_OFF, &sum, sizeof(sum));
	return 0;
}

int vdn_net_rx_offload_hdr(struct rte_mbuf *m, struct virtio_net_hdr_v1 *hdr)
{
	/* Ethernet + 2 tags + IPv4 with options + TCP with options */
	uint8_t tmp[RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN + 60 + 60];
	uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(tmp)), hdr_len, l3;
	bool lro = m->ol_flags & RTE_MBUF_F_RX_LRO, ipv6;
	const uint8_t *h;
	uint8_t proto;
	int l4;

	if (!lro && (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE)
		return 0;
	h = rte_pktmbuf_read(m, 0, len, tmp);
	if (!h)
		return -EINVAL;
	l4 = parse_l4(h, len, &proto, &ipv6, &l3, &hdr_len);
	if (l4 < 0 || hdr_len > m->pkt_len || (lro && (proto != IPPROTO_TCP || !m->tso_segsz)))
		return -EINVAL;
	if (lro && (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE) {
		if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
		    lro_make_partial(m, l3, (uint32_t)l4, ipv6) < 0)
			return -EINVAL;
	}
	memset(hdr, 0, sizeof(*hdr));
	/* a partial checksum, as the port's NONE says: the pseudo-header sum
	 * is in place, the data was never corrupted on the way */
	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->csum_start = rte_cpu_to_le_16((uint16_t)l4);
	hdr->csum_offset = rte_cpu_to_le_16(proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF);
	if (lro) {
		hdr->gso_type = ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
		hdr->gso_size = rte_cpu_to_le_16(m->tso_segsz);
		hdr->hdr_len = rte_cpu_to_le_16((uint16_t)hdr_len);
	}
	return 1;
}
