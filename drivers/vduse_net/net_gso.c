/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP segmentation offload done in software.
 *
 * With HOST_TSO4/6 the driver hands over TCP super-frames of up to 64 KiB
 * and expects the device to cut them into MSS-sized segments.  Ports that
 * cannot segment themselves (AF_XDP on a veth; those that can get the frame
 * whole, net_offload.c) take only finished MTU-sized frames, so every
 * segment leaves here complete: headers repeated and fixed up, both
 * checksums computed.  Everything in the super-frame is untrusted: header
 * lengths come from the packet, never from the driver's hdr_len hint, and
 * anything but Ethernet/VLAN + IPv4|IPv6 (no extension headers) + TCP is
 * refused.  Pure mbuf in, mbufs out: no VDUSE, so it is unit-tested alone. */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "net_private.h"

/* Ethernet + 2 VLAN tags + IPv4 with options (60) + TCP with options (60):
 * the most any segment repeats. */
#define MAX_HDR (RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN + 60 + 60)
#define IPV6_HDR_LEN 40
#define TCP_CSUM_OFF 16
#define IPV4_MF_OFF_MASK 0x3fff /* MF flag + fragment offset */

static uint16_t be16_at(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

/* Returns the IP header length, or -EINVAL. */
static int parse_l3(const uint8_t *p, uint32_t len, bool ipv6)
{
	if (ipv6) {
		const struct rte_ipv6_hdr *ip = (const void *)p;

		if (len < IPV6_HDR_LEN || (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
			return -EINVAL;
		/* an extension header would sit between IP and TCP */
		return ip->proto == IPPROTO_TCP ? IPV6_HDR_LEN : -EINVAL;
	}
	const struct rte_ipv4_hdr *ip = (const void *)p;
	uint32_t ihl;

	if (len < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return -EINVAL;
	ihl = (ip->version_ihl & 0xf) * 4u;
	/* a fragment cannot be segmented: its TCP header may not even be here */
	if (ihl < sizeof(*ip) || ihl > len || ip->next_proto_id != IPPROTO_TCP ||
	    (rte_be_to_cpu_16(ip->fragment_offset) & IPV4_MF_OFF_MASK))
		return -EINVAL;
	return (int)ihl;
}

int vdn_net_gso_parse(const struct virtio_net_hdr_v1 *hdr, const struct rte_mbuf *m,
		      uint32_t max_frame, struct vdn_net_gso *g)
{
	uint8_t type = hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	uint16_t mss = rte_le_to_cpu_16(hdr->gso_size);
	uint8_t tmp[MAX_HDR];
	uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(tmp)), off = RTE_ETHER_HDR_LEN, l3_len;
	const uint8_t *p;
	uint16_t et;
	int rc;

	if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6)
		return -EOPNOTSUPP;
	if (!(hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || mss == 0 ||
	    rte_le_to_cpu_16(hdr->hdr_len) > m->pkt_len || len < RTE_ETHER_HDR_LEN)
		return -EINVAL;
	p = rte_pktmbuf_read(m, 0, len, tmp);
	if (!p)
		return -EINVAL;
	et = be16_at(p + 2 * RTE_ETHER_ADDR_LEN);
	for (int tags = 0; tags < 2 && (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ);
	     tags++) {
		if (off + RTE_VLAN_HLEN > len)
			return -EINVAL;
		et = be16_at(p + off + 2);
		off += RTE_VLAN_HLEN;
	}
	g->ipv6 = type == VIRTIO_NET_HDR_GSO_TCPV6;
	if (et != (g->ipv6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4))
		return -EINVAL;
	rc = parse_l3(p + off, len - off, g->ipv6);
	if (rc < 0)
		return rc;
	l3_len = (uint32_t)rc;
	g->l3_off = off;
	g->l4_off = off + l3_len;
	if (g->l4_off + sizeof(struct rte_tcp_hdr) > len)
		return -EINVAL;

	const struct rte_tcp_hdr *th = (const void *)(p + g->l4_off);
	uint32_t doff = (th->data_off >> 4) * 4u;

	g->hdr_len = g->l4_off + doff;
	/* hdr_len <= MAX_HDR, so inside the packet means inside what we read;
	 * a super-frame without payload has nothing to segment */
	if (doff < sizeof(*th) || g->hdr_len >= m->pkt_len)
		return -EINVAL;
	if (rte_le_to_cpu_16(hdr->csum_start) != g->l4_off ||
	    rte_le_to_cpu_16(hdr->csum_offset) != TCP_CSUM_OFF)
		return -EINVAL;
	g->payload = m->pkt_len - g->hdr_len;
	g->mss = mss;
	if (m->pkt_len - g->l3_off - (g->ipv6 ? IPV6_HDR_LEN : 0) > UINT16_MAX ||
	    g->hdr_len + RTE_MIN((uint32_t)mss, g->payload) > max_frame)
		return -E2BIG;
	g->nb_segs = (uint16_t)((g->payload + mss - 1) / mss);
	return g->nb_segs;
}

/* Copy [off, off + len) of chain `m` to `dst`. */
static void mbuf_copy_out(const struct rte_mbuf *m, uint32_t off, uint8_t *dst, uint32_t len)
{
	while (m && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	for (; m && len; m = m->next, off = 0) {
		uint32_t take = RTE_MIN(len, (uint32_t)m->data_len - off);

		memcpy(dst, rte_pktmbuf_mtod_offset(m, const uint8_t *, off), take);
		dst += take;
		len -= take;
	}
}

/* The segment's data: headers, then `plen` payload bytes from `poff`,
 * spilling into more mbufs only when the data room runs out. */
static struct rte_mbuf *build(const struct rte_mbuf *m, const struct vdn_net_gso *g,
			      const uint8_t *hdrs, uint32_t poff, uint32_t plen,
			      struct rte_mempool *mp)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(mp), *last = head;
	uint32_t done = 0;

	if (!head)
		return NULL;
	memcpy(rte_pktmbuf_mtod(head, uint8_t *), hdrs, g->hdr_len);
	head->data_len = (uint16_t)g->hdr_len;
	while (done < plen) {
		uint32_t room = rte_pktmbuf_tailroom(last);

		if (room == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(mp);

			if (!n) {
				rte_pktmbuf_free(head);
				return NULL;
			}
			last->next = n;
			head->nb_segs++;
			last = n;
			continue;
		}
		uint32_t take = RTE_MIN(room, plen - done);

		mbuf_copy_out(m, g->hdr_len + poff + done,
			      rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len), take);
		last->data_len += take;
		done += take;
	}
	head->pkt_len = g->hdr_len + plen;
	return head;
}

/* Per-segment header fields; all headers are in the first mbuf. */
static void fix_headers(struct rte_mbuf *s, const struct vdn_net_gso *g, uint16_t i,
			uint32_t poff, uint32_t plen)
{
	uint8_t *p = rte_pktmbuf_mtod(s, uint8_t *);
	struct rte_tcp_hdr *th = (void *)(p + g->l4_off);
	uint32_t l4len = g->hdr_len - g->l4_off + plen;
	uint32_t sum;

	if (g->ipv6) {
		struct rte_ipv6_hdr *ip = (void *)(p + g->l3_off);

		ip->payload_len = rte_cpu_to_be_16((uint16_t)l4len);
		sum = rte_ipv6_phdr_cksum(ip, 0);
	} else {
		struct rte_ipv4_hdr *ip = (void *)(p + g->l3_off);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(g->hdr_len - g->l3_off + plen));
		ip->packet_id = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->packet_id) + i));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		sum = rte_ipv4_phdr_cksum(ip, 0);
	}
	th->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + poff);
	/* as if the sender had sent them one by one: the end-of-data flags
	 * belong to the last segment, the congestion signal to the first */
	if (i + 1 < g->nb_segs)
		th->tcp_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
	if (i > 0)
		th->tcp_flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
	th->cksum = 0;
	sum += vdn_net_mbuf_cksum(s, g->l4_off, l4len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	th->cksum = (uint16_t)~sum;
}

int vdn_net_gso_segment(const struct rte_mbuf *m, const struct vdn_net_gso *g, uint16_t first,
			struct rte_mempool *mp, struct rte_mbuf **out, uint16_t n)
{
	uint8_t tmp[MAX_HDR];
	const uint8_t *hdrs;
	uint16_t k = 0;

	if (rte_pktmbuf_data_room_size(mp) < RTE_PKTMBUF_HEADROOM + g->hdr_len)
		return -EMSGSIZE;
	hdrs = rte_pktmbuf_read(m, 0, g->hdr_len, tmp);
	if (!hdrs)
		return -EINVAL;
	for (; k < n && first + k < g->nb_segs; k++) {
		uint16_t i = first + k;
		uint32_t poff = (uint32_t)i * g->mss;
		uint32_t plen = RTE_MIN((uint32_t)g->mss, g->payload - poff);
		struct rte_mbuf *s = build(m, g, hdrs, poff, plen, mp);

		if (!s)
			break;
		fix_headers(s, g, i, poff, plen);
		out[k] = s;
	}
	return k;
}
