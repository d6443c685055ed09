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

int vdn_net_csum_offload(const struct virtio_net_hdr_v1 *hdr, struct rte_mbuf *m, uint64_t port_tx)
{
	uint32_t start = rte_le_to_cpu_16(hdr->csum_start);
	uint32_t off = rte_le_to_cpu_16(hdr->csum_offset);
	uint32_t l2 = RTE_ETHER_HDR_LEN;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t et;
	uint8_t proto;
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
	if (start + off + 2 > m->data_len || m->data_len < RTE_ETHER_HDR_LEN)
		return -ENOTSUP;
	memcpy(&et, p + 2 * RTE_ETHER_ADDR_LEN, sizeof(et));
	et = rte_be_to_cpu_16(et);
	for (int tags = 0; tags < 2 && (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ);
	     tags++) {
		if (l2 + RTE_VLAN_HLEN > m->data_len)
			return -ENOTSUP;
		memcpy(&et, p + l2 + 2, sizeof(et));
		et = rte_be_to_cpu_16(et);
		l2 += RTE_VLAN_HLEN;
	}
	if (et == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + l2);

		/* the L4 header must start right after the IP header the port
		 * will be told about, and be what the offset says it is */
		if (l2 + sizeof(*ip) > m->data_len || (ip->version_ihl >> 4) != 4 ||
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
