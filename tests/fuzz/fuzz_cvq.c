/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the control queue's command handling
 * (drivers/vduse_net/net_cvq_cmd.c) and the RX filter it programs
 * (net_filter.c).  The input is a list of requests; the harness plays a
 * driver that lays each out as a descriptor chain (split across several
 * readable descriptors, with or without an ack byte, sometimes misordered)
 * and lets vdn_net_cvq_serve() answer them, then runs frames through the
 * resulting filter.
 *
 * Findings besides ASan/UBSan: an ack other than OK/ERR or in the wrong
 * place, state changed by a request answered ERR, state that differs from
 * applying the same bytes directly (the chain flattening), table counts
 * beyond their bounds, active pairs outside [1, max], a filter whose
 * published copy disagrees with the original, a broadcast/promiscuous
 * decision contrary to the flags.
 *
 * Input: struct fz_hdr; nreq x (struct fz_req, len bytes); then frames,
 * each one length byte and that many bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "fz_arena.h"
#include "net_ctrl.h"

struct fz_hdr {
	uint8_t features; /* bit i: feats[i] negotiated */
	uint8_t max_qp;
	uint8_t budget;
	uint8_t nreq;
} __attribute__((packed));

struct fz_req {
	uint8_t len[2]; /* le16 */
	uint8_t shape;  /* SH_* */
} __attribute__((packed));

#define SH_NSPLIT 3u    /* 1 + (shape & 3) readable descriptors */
#define SH_NO_ACK 4u    /* no writable descriptor: answered with len 0 */
#define SH_ACK_ZERO 8u  /* zero-length ack descriptor: lib/vring rejects */
#define SH_ACK_FIRST 16u /* ack before the request: lib/vring rejects */

static const unsigned int feats[] = { VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_RX,
				      VIRTIO_NET_F_CTRL_VLAN, VIRTIO_NET_F_CTRL_RX_EXTRA,
				      VIRTIO_NET_F_MQ, VIRTIO_NET_F_CTRL_MAC_ADDR };

#define NUM 64u
#define DESC_IOVA 0u
#define AVAIL_IOVA 1024u
#define USED_IOVA 1280u
#define DATA_IOVA 2048u

struct laid {
	bool valid;   /* lib/vring accepts the chain */
	bool ack;     /* has a writable byte */
	uint64_t ack_iova;
	uint32_t off; /* request bytes in the input */
	uint32_t len;
};

struct fz_state {
	struct fz_arena a;
	struct vdn_vq vr;
	struct vdn_net_ctrl ctrl, ref;
	struct laid req[NUM];
	unsigned int nreq;
	uint64_t brk;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_desc(struct fz_state *s, unsigned int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct vring_desc d = { htole64(addr), htole32(len), htole16(flags), htole16(next) };

	fz_arena_drv_write(&s->a, DESC_IOVA + i * sizeof(d), &d, sizeof(d));
}

/* Lay one request out as a chain; false when the arena is full. */
static bool lay_out(struct fz_state *s, const uint8_t *data, uint32_t off, uint32_t len,
		    uint8_t shape)
{
	unsigned int slot = s->nreq, head = slot * 6 % NUM, d = head;
	unsigned int nsplit = 1 + (shape & SH_NSPLIT);
	struct laid *l = &s->req[slot];
	uint64_t data_iova = s->brk, ack_iova = s->brk + len;
	uint16_t avail_idx;
	uint8_t e[2];

	/* six descriptors a chain, NUM / 6 chains: slots never share one */
	if (slot >= NUM / 6 || ack_iova + 1 > FZ_ARENA_SIZE)
		return false;
	s->brk = ack_iova + 1;
	fz_arena_drv_write(&s->a, data_iova, data + off, len);
	*l = (struct laid){ .off = off, .len = len, .ack_iova = ack_iova };
	l->ack = !(shape & (SH_NO_ACK | SH_ACK_ZERO | SH_ACK_FIRST));
	l->valid = !(shape & (SH_ACK_ZERO | SH_ACK_FIRST)) && len > 0;
	if (shape & SH_ACK_FIRST) {
		put_desc(s, d, ack_iova, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, (uint16_t)(d + 1));
		d++;
	}
	for (unsigned int k = 0; k < nsplit; k++) {
		uint32_t a = len * k / nsplit, b = len * (k + 1) / nsplit;
		bool last = k + 1 == nsplit && (shape & (SH_NO_ACK | SH_ACK_FIRST));

		if (a == b && k + 1 < nsplit)
			continue; /* keep zero-length descriptors to the last one */
		put_desc(s, d, data_iova + a, b - a, last ? 0 : VRING_DESC_F_NEXT, (uint16_t)(d + 1));
		d++;
	}
	if (!(shape & (SH_NO_ACK | SH_ACK_FIRST)))
		put_desc(s, d, ack_iova, shape & SH_ACK_ZERO ? 0 : 1, VRING_DESC_F_WRITE, 0);
	/* publish */
	e[0] = (uint8_t)head;
	e[1] = 0;
	fz_arena_drv_write(&s->a, AVAIL_IOVA + 4 + 2 * (slot % NUM), e, 2);
	avail_idx = (uint16_t)(slot + 1);
	e[0] = (uint8_t)avail_idx;
	e[1] = (uint8_t)(avail_idx >> 8);
	fz_arena_drv_write(&s->a, AVAIL_IOVA + 2, e, 2);
	s->nreq++;
	return true;
}

static void check_state(const struct vdn_net_ctrl *c)
{
	FZ_ASSERT(c->f.n_uni <= VDN_NET_MAC_TABLE_MAX && c->f.n_multi <= VDN_NET_MAC_TABLE_MAX);
	FZ_ASSERT(!c->f.uni_overflow || c->f.n_uni == 0);
	FZ_ASSERT(!c->f.multi_overflow || c->f.n_multi == 0);
	FZ_ASSERT(c->active_qp >= 1 && c->active_qp <= c->max_qp);
}

/* The reference: apply the request's bytes directly; an ERR must leave
 * the state as it was. */
static uint8_t ref_apply(struct fz_state *s, const uint8_t *req, uint32_t len)
{
	struct vdn_net_rxfilter before = s->ref.f;
	uint16_t qp = s->ref.active_qp;
	unsigned int changed = 0;
	uint8_t ack = len <= VDN_NET_CVQ_MAX_CMD ? vdn_net_ctrl_apply(&s->ref, req, len, &changed)
						 : VIRTIO_NET_ERR;

	FZ_ASSERT(ack == VIRTIO_NET_OK || ack == VIRTIO_NET_ERR);
	if (ack != VIRTIO_NET_OK) {
		FZ_ASSERT(!memcmp(&before, &s->ref.f, sizeof(before)));
		FZ_ASSERT(qp == s->ref.active_qp);
	}
	if ((changed & VDN_NET_CTRL_CH_QP))
		FZ_ASSERT(qp != s->ref.active_qp);
	check_state(&s->ref);
	return ack;
}

static void check_frames(struct fz_state *s, const uint8_t *p, size_t n)
{
	static const uint8_t bcast[VDN_NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct vdn_net_filter_pub *pub = calloc(1, sizeof(*pub));

	FZ_ASSERT(pub);
	vdn_net_filter_publish(pub, &s->ctrl.f);
	while (n) {
		uint32_t len = p[0] < n - 1 ? p[0] : (uint32_t)(n - 1);
		uint8_t *frame = malloc(len ? len : 1); /* exact size for ASan */
		bool pass;

		FZ_ASSERT(frame);
		memcpy(frame, p + 1, len);
		pass = vdn_net_rxfilter_pass(&s->ctrl.f, frame, len);
		FZ_ASSERT(pass == vdn_net_filter_check(pub, frame, len));
		if (s->ctrl.f.promisc)
			FZ_ASSERT(pass);
		else if (len < 14)
			FZ_ASSERT(!pass);
		else if (!memcmp(frame, bcast, sizeof(bcast)) &&
			 !(frame[12] == 0x81 && frame[13] == 0 && s->ctrl.f.vlan_filter))
			FZ_ASSERT(pass == !s->ctrl.f.nobcast);
		free(frame);
		p += 1 + len;
		n -= 1 + len;
	}
	free(pub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[VDN_NET_ETH_ALEN] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	static struct fz_state s;
	struct fz_hdr h;
	struct vdn_vring_cfg cfg = { .num = NUM, .desc_iova = DESC_IOVA, .avail_iova = AVAIL_IOVA,
				     .used_iova = USED_IOVA, .xlate = fz_arena_xlate };
	uint64_t features = 0, answered = 0;
	size_t at = sizeof(h);

	if (size < sizeof(h))
		return -1;
	memcpy(&h, data, sizeof(h));
	memset(&s, 0, sizeof(s));
	FZ_ASSERT(fz_arena_init(&s.a, NULL, h.budget & 0x80 ? DATA_IOVA / FZ_SEG : FZ_NSEG, NULL, 0) == 0);
	s.brk = DATA_IOVA;
	for (unsigned int i = 0; i < sizeof(feats) / sizeof(feats[0]); i++)
		if (h.features >> i & 1)
			features |= 1ull << feats[i];
	vdn_net_ctrl_reset(&s.ctrl, features, mac, h.max_qp);
	vdn_net_ctrl_reset(&s.ref, features, mac, h.max_qp);
	check_state(&s.ctrl);

	for (unsigned int i = 0; i < h.nreq; i++) {
		struct fz_req r;
		uint32_t len;

		if (size - at < sizeof(r))
			break;
		memcpy(&r, data + at, sizeof(r));
		at += sizeof(r);
		len = le16(r.len);
		if (len > size - at)
			len = (uint32_t)(size - at);
		if (!lay_out(&s, data, (uint32_t)at, len, r.shape))
			break;
		at += len;
	}

	cfg.xlate_ctx = &s.a;
	FZ_ASSERT(vdn_vq_init(&s.vr, &cfg) == 0);
	for (unsigned int round = 0;; round++) {
		unsigned int changed = 0, budget = 1 + (h.budget & 0x7f) % 16;
		bool more;
		int n = vdn_net_cvq_serve(&s.vr, &s.ctrl, budget, &changed, &more);

		/* the ring is well formed: every chain is consumed, none lost */
		FZ_ASSERT(n >= 0 && (unsigned int)n <= budget);
		FZ_ASSERT(round <= s.nreq);
		vdn_vq_flush(&s.vr);
		check_state(&s.ctrl);
		if (!more)
			break;
	}
	FZ_ASSERT(le16(s.a.mem + USED_IOVA + 2) == s.nreq);

	for (unsigned int i = 0; i < s.nreq; i++) {
		const struct laid *l = &s.req[i];
		const uint8_t *used = s.a.mem + USED_IOVA + 4 + 8 * i;
		uint32_t used_len = (uint32_t)(used[4] | used[5] << 8 | used[6] << 16 |
					       (uint32_t)used[7] << 24);

		FZ_ASSERT(used[0] == i * 6 % NUM && !used[1] && !used[2] && !used[3]);

		if (!l->valid) {
			FZ_ASSERT(used_len == 0);
			continue;
		}
		if (!l->ack) {
			FZ_ASSERT(used_len == 0);
			continue;
		}
		FZ_ASSERT(used_len == 1);
		FZ_ASSERT(s.a.mem[l->ack_iova] == ref_apply(&s, data + l->off, l->len));
		answered++;
	}
	FZ_ASSERT(s.ctrl.commands == answered);
	FZ_ASSERT(!memcmp(&s.ctrl.f, &s.ref.f, sizeof(s.ref.f)));
	FZ_ASSERT(s.ctrl.active_qp == s.ref.active_qp);

	check_frames(&s, data + at, size - at);
	fz_arena_fini(&s.a);
	return 0;
}
