/* SPDX-License-Identifier: BSD-3-Clause */
/* virtio_net_hdr <-> rte_mbuf offload mapping.
 *
 * From the driver (its TX): NEEDS_CSUM means the driver left the L4 checksum
 * partial: the pseudo-header sum sits at csum_start + csum_offset and the
 * device must sum from csum_start to the end.  Ports that cannot (AF_XDP
 * on a veth) expect finished frames, so we complete it in software; those
 * that can are left to do it (net_offload.c).
 * Everything in the header is untrusted and bounds-checked.
 *
 * To the driver (its RX): a checksum the port verified is passed on as
 * DATA_VALID when the driver negotiated GUEST_CSUM. */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net_private.h"

/* Offset of the checksum field in a UDP header: a zero result there means
 * "no checksum", so a computed 0 is sent as 0xffff (RFC 768). */
#define UDP_CSUM_OFF 6

static void mbuf_write16(struct rte_mbuf *m, uint32_t off, uint16_t v)
{
	uint8_t b[2];

	memcpy(b, &v, sizeof(v));
	for (unsigned int i = 0; i < 2; i++) {
		uint32_t o = off + i;
		struct rte_mbuf *s = m;

		while (s && o >= s->data_len) {
			o -= s->data_len;
			s = s->next;
		}
		if (s)
			*rte_pktmbuf_mtod_offset(s, uint8_t *, o) = b[i];
	}
}

/* Folded ones' complement sum of native 16-bit words, as rte_raw_cksum()
 * gives it, but loading 8 bytes at a time: a quarter of the loads of
 * DPDK's 16-bit loop, which is what this costs when it runs emulated (the
 * in-VM benchmarks run vdnet under TCG, where every load is a soft-TLB
 * lookup).  The sum of 32-bit words folds to the sum of their 16-bit
 * halves, so the result is the same. */
static uint16_t raw_cksum(const void *buf, uint32_t len)
{
	const uint8_t *p = buf;
	uint64_t sum = 0, v;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v, p, 8);
		sum += (v & 0xffffffff) + (v >> 32);
	}
	if (len) {
		v = 0;
		memcpy(&v, p, len); /* a last odd byte is the low one, as rte_raw_cksum */
		sum += (v & 0xffffffff) + (v >> 32);
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Ones' complement sum of [off, off + len) over a chain.  DPDK 22.11's
 * rte_raw_cksum_mbuf() truncates a segment's sum before byte-swapping it
 * when a segment boundary falls on an odd offset, so it is wrong for such
 * chains; reduce each segment first, then swap. */
uint16_t vdn_net_mbuf_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint32_t sum = 0, done = 0;

	for (; m && done < len; m = m->next) {
		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		uint32_t take = RTE_MIN(len - done, (uint32_t)m->data_len - off);
		uint16_t part = raw_cksum(rte_pktmbuf_mtod_offset(m, const void *, off), take);

		if (done & 1)
			part = rte_bswap16(part);
		sum += part;
		done += take;
		off = 0;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int vdn_net_hdr_to_mbuf(const struct virtio_net_hdr_v1 *hdr, struct rte_mbuf *m, uint64_t *sw_csum)
{
	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return -EOPNOTSUPP; /* net_gso.c cuts TSO frames; UFO/USO are not offered */
	if (!(hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;

	uint32_t start = rte_le_to_cpu_16(hdr->csum_start);
	uint32_t off = rte_le_to_cpu_16(hdr->csum_offset);
	uint16_t sum;

	if (start + off + 2 > m->pkt_len || start >= m->pkt_len)
		return -EINVAL;
	sum = (uint16_t)~vdn_net_mbuf_cksum(m, start, m->pkt_len - start);
	if (sum == 0 && off == UDP_CSUM_OFF)
		sum = 0xffff;
	mbuf_write16(m, start + off, sum);
	(*sw_csum)++;
	return 0;
}

void vdn_net_hdr_from_mbuf(const struct rte_mbuf *m, struct virtio_net_hdr_v1 *hdr, bool guest_csum)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->flags = vdn_net_rx_flags(m, guest_csum);
}
