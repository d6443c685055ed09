/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the virtio_net_hdr <-> rte_mbuf mapping
 * (drivers/vduse_net/net_hdr.c) with a header and a frame from the input,
 * the frame split into an mbuf chain at input-chosen points.
 *
 * Each segment's data is an external buffer malloc()ed to its exact length,
 * so a read or write outside the frame is an ASan finding (mempool memory
 * would hide it).  Results are checked against a plain reference: what the
 * header asks for, a checksum computed over a linear copy, and no byte
 * changed but the checksum field.  If the mapping learns GSO, the GSO
 * branch of the oracle below is what to update.  The offload mapping
 * (net_offload.c) is held to what DPDK and virtio promise: a checksum left
 * to the port only with lengths that point at the field the header names,
 * a header towards the driver only with offsets inside the frame, and the
 * frame never touched.
 *
 * Input: struct fz_hdr, then the frame (at most FZ_MAX_FRAME bytes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fz_arena.h"
#include "fz_mbuf.h"
#include "net_private.h"

#define FZ_MAX_FRAME 9216
#define FZ_MAX_SEGS 5
#define UDP_CSUM_OFF 6

struct fz_hdr {
	struct virtio_net_hdr_v1 vh;
	uint8_t nsegs;              /* 1 + nsegs % FZ_MAX_SEGS segments */
	uint8_t seg[FZ_MAX_SEGS - 1]; /* lengths of all but the last */
	/* low 2 bits: L4 checksum status; bit 2: GUEST_CSUM; bits 3, 4: the
	 * port offloads TCP, UDP checksums; bit 5: RX_LRO (gso_size as MSS) */
	uint8_t rx_flags;
};
_Static_assert(sizeof(struct fz_hdr) == 18, "no padding: the layout is the input format");

static struct rte_mempool *mp;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { "fuzz_net_hdr", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			"--no-telemetry", "-l", "0", "--log-level", "lib.*:error", NULL };

	(void)argc;
	(void)argv;
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0)
		fz_fail(__FILE__, __LINE__, "EAL init (needs root)");
	/* no data room: every segment gets an external buffer */
	mp = rte_pktmbuf_pool_create("fz", 63, 0, 0, 0, SOCKET_ID_ANY);
	FZ_ASSERT(mp != NULL);
	return 0;
}

static struct rte_mbuf *chain_alloc(const struct fz_hdr *h, const uint8_t *frame, uint32_t len)
{
	unsigned int n = 1 + h->nsegs % FZ_MAX_SEGS;
	struct rte_mbuf *head = NULL;
	uint32_t at = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t take = i + 1 < n ? h->seg[i] : len - at;
		struct rte_mbuf *m;

		if (take > len - at)
			take = len - at;
		m = fz_ext_mbuf(mp, frame + at, (uint16_t)take);
		at += take;
		if (!head)
			head = m;
		else
			FZ_ASSERT(rte_pktmbuf_chain(head, m) == 0);
	}
	return head;
}

/* The reference: ones' complement sum over a linear copy, in memory order
 * relative to `start`, folded and inverted. */
static uint16_t ref_csum(const uint8_t *p, uint32_t len)
{
	uint64_t sum = 0;
	uint32_t i;
	uint16_t w;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (i < len) {
		uint8_t last[2] = { p[i], 0 };

		memcpy(&w, last, 2);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void check_to_mbuf(const struct fz_hdr *h, const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m = chain_alloc(h, frame, len);
	uint8_t *after = malloc(len ? len : 1);
	uint32_t start = h->vh.csum_start, off = h->vh.csum_offset;
	uint64_t n = 0;
	int rc;

	FZ_ASSERT(after);
	rc = vdn_net_hdr_to_mbuf(&h->vh, m, &n);
	FZ_ASSERT(m->pkt_len == len);
	if (len) {
		/* a pointer into a single segment, or the chain copied to after */
		const uint8_t *v = rte_pktmbuf_read(m, 0, len, after);

		FZ_ASSERT(v != NULL);
		if (v != after)
			memcpy(after, v, len);
	}
	if (h->vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		FZ_ASSERT(rc == -EOPNOTSUPP && n == 0);
		FZ_ASSERT(!memcmp(after, frame, len));
	} else if (!(h->vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		FZ_ASSERT(rc == 0 && n == 0);
		FZ_ASSERT(!memcmp(after, frame, len));
	} else if (start >= len || start + off + 2 > len) {
		FZ_ASSERT(rc == -EINVAL && n == 0);
		FZ_ASSERT(!memcmp(after, frame, len));
	} else {
		uint16_t want = ref_csum(frame + start, len - start), got;

		if (want == 0 && off == UDP_CSUM_OFF)
			want = 0xffff;
		FZ_ASSERT(rc == 0 && n == 1);
		memcpy(&got, after + start + off, 2);
		FZ_ASSERT(got == want);
		FZ_ASSERT(!memcmp(after, frame, start + off));
		FZ_ASSERT(!memcmp(after + start + off + 2, frame + start + off + 2,
				  len - start - off - 2));
	}
	free(after);
	rte_pktmbuf_free(m);
}

static void check_from_mbuf(const struct fz_hdr *h, const uint8_t *frame, uint32_t len)
{
	static const uint64_t l4[] = { RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_BAD,
				       RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_NONE };
	struct rte_mbuf *m = chain_alloc(h, frame, len);
	bool guest_csum = h->rx_flags & 4;
	struct virtio_net_hdr_v1 vh;
	struct virtio_net_hdr_v1 zero;

	memset(&vh, 0x5a, sizeof(vh)); /* must be fully written */
	memset(&zero, 0, sizeof(zero));
	m->ol_flags |= l4[h->rx_flags & 3];
	vdn_net_hdr_from_mbuf(m, &vh, guest_csum);
	FZ_ASSERT(vh.flags == (guest_csum && (h->rx_flags & 3) == 2 ? VIRTIO_NET_HDR_F_DATA_VALID : 0));
	vh.flags = 0;
	FZ_ASSERT(!memcmp(&vh, &zero, sizeof(vh)));
	rte_pktmbuf_free(m);
}

/* The frame as the chain holds it now. */
static void chain_bytes(struct rte_mbuf *m, uint8_t *out, uint32_t len)
{
	const uint8_t *v = len ? rte_pktmbuf_read(m, 0, len, out) : out;

	FZ_ASSERT(v != NULL);
	if (v != out)
		memcpy(out, v, len);
}

static void check_csum_offload(const struct fz_hdr *h, const uint8_t *frame, uint32_t len)
{
	uint64_t port = (h->rx_flags & 8 ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM : 0) |
			(h->rx_flags & 16 ? RTE_ETH_TX_OFFLOAD_UDP_CKSUM : 0);
	struct rte_mbuf *m = chain_alloc(h, frame, len);
	uint64_t before = m->ol_flags;
	uint8_t *after = malloc(len ? len : 1);
	uint32_t start = h->vh.csum_start, off = h->vh.csum_offset;
	int rc = vdn_net_csum_offload(&h->vh, m, port);

	FZ_ASSERT(after);
	chain_bytes(m, after, len);
	FZ_ASSERT(m->pkt_len == len && !memcmp(after, frame, len));
	if (rc == 0) {
		uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;

		FZ_ASSERT((h->vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
			  h->vh.gso_type == VIRTIO_NET_HDR_GSO_NONE);
		FZ_ASSERT((off == 16 && l4 == RTE_MBUF_F_TX_TCP_CKSUM &&
			   (port & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) ||
			  (off == UDP_CSUM_OFF && l4 == RTE_MBUF_F_TX_UDP_CKSUM &&
			   (port & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)));
		FZ_ASSERT(m->l2_len + m->l3_len == start && start + off + 2 <= m->data_len);
		FZ_ASSERT(m->l2_len >= RTE_ETHER_HDR_LEN && m->l3_len >= 20);
		FZ_ASSERT(!!(m->ol_flags & RTE_MBUF_F_TX_IPV4) + !!(m->ol_flags & RTE_MBUF_F_TX_IPV6) == 1);
		/* the ethertype right before the IP header says which */
		uint16_t et = (uint16_t)(frame[m->l2_len - 2] << 8 | frame[m->l2_len - 1]);

		FZ_ASSERT(et == (m->ol_flags & RTE_MBUF_F_TX_IPV4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6));
	} else {
		FZ_ASSERT(rc == -ENOTSUP && m->ol_flags == before);
	}
	free(after);
	rte_pktmbuf_free(m);
}

static void check_rx_offload(const struct fz_hdr *h, const uint8_t *frame, uint32_t len)
{
	static const uint64_t l4[] = { RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_BAD,
				       RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_NONE };
	struct rte_mbuf *m = chain_alloc(h, frame, len);
	bool lro = h->rx_flags & 32, none = (h->rx_flags & 3) == 3;
	uint8_t *after = malloc(len ? len : 1);
	struct virtio_net_hdr_v1 vh;
	int rc;

	FZ_ASSERT(after);
	m->ol_flags |= l4[h->rx_flags & 3] | (lro ? RTE_MBUF_F_RX_LRO : 0);
	m->tso_segsz = h->vh.gso_size;
	rc = vdn_net_rx_offload_hdr(m, &vh);
	chain_bytes(m, after, len);
	FZ_ASSERT(!memcmp(after, frame, len)); /* external buffers are never written */
	if (!lro && !none) {
		FZ_ASSERT(rc == 0);
	} else if (rc == 1) {
		uint32_t start = vh.csum_start, off = vh.csum_offset;

		FZ_ASSERT(vh.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && vh.num_buffers == 0);
		FZ_ASSERT((off == 16 || off == UDP_CSUM_OFF) && start + off + 2 <= len);
		FZ_ASSERT(start >= RTE_ETHER_HDR_LEN + 20);
		if (lro) {
			FZ_ASSERT(none); /* a GOOD one would need its field written */
			FZ_ASSERT(vh.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ||
				  vh.gso_type == VIRTIO_NET_HDR_GSO_TCPV6);
			FZ_ASSERT(off == 16 && vh.gso_size == m->tso_segsz && vh.gso_size);
			FZ_ASSERT(vh.hdr_len >= start + 20 && vh.hdr_len <= len);
		} else {
			FZ_ASSERT(vh.gso_type == VIRTIO_NET_HDR_GSO_NONE && !vh.gso_size && !vh.hdr_len);
		}
	} else {
		FZ_ASSERT(rc == -EINVAL);
	}
	free(after);
	rte_pktmbuf_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_hdr h;
	unsigned int free_before = rte_mempool_avail_count(mp);

	if (size < sizeof(h) || size - sizeof(h) > FZ_MAX_FRAME)
		return -1;
	memcpy(&h, data, sizeof(h));
	check_to_mbuf(&h, data + sizeof(h), (uint32_t)(size - sizeof(h)));
	check_from_mbuf(&h, data + sizeof(h), (uint32_t)(size - sizeof(h)));
	check_csum_offload(&h, data + sizeof(h), (uint32_t)(size - sizeof(h)));
	check_rx_offload(&h, data + sizeof(h), (uint32_t)(size - sizeof(h)));
	FZ_ASSERT(rte_mempool_avail_count(mp) == free_before);
	return 0;
}
