/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio-net control queue's command logic and the RX filter it
 * programs, kept apart from VDUSE and DPDK: pure C over lib/vring, so the
 * unit suite drives it with a driver-side ring in plain memory.
 *
 *   net_cvq_cmd.c  chain validation, command parsing, state changes, acks
 *   net_filter.c   the RX filter check and its lock-free publication
 *   net_cvq.c      the VDUSE plumbing (kick fd, config space, interrupts)
 */
#ifndef VDN_NET_CTRL_H
#define VDN_NET_CTRL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vdn_vq.h"

#define VDN_NET_ETH_ALEN 6
/* Entries kept per MAC table; a longer table (legal) sets the overflow
 * flag, which accepts all frames of that kind, as QEMU does: never drop
 * what the driver asked for. */
#define VDN_NET_MAC_TABLE_MAX 64
#define VDN_NET_VLAN_WORDS (4096 / 64)
/* Largest request (header + data) the device reads; a MAC table of ~1300
 * entries fits.  Longer requests get VIRTIO_NET_ERR. */
#define VDN_NET_CVQ_MAX_CMD 8192

/* What the RX path (host -> driver) lets through. */
struct vdn_net_rxfilter {
	uint8_t mac[VDN_NET_ETH_ALEN]; /* the device's primary address */
	bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
	bool uni_overflow, multi_overflow;
	bool vlan_filter; /* CTRL_VLAN negotiated: tagged frames are checked */
	uint16_t n_uni, n_multi;
	uint8_t uni[VDN_NET_MAC_TABLE_MAX][VDN_NET_ETH_ALEN];
	uint8_t multi[VDN_NET_MAC_TABLE_MAX][VDN_NET_ETH_ALEN];
	uint64_t vlans[VDN_NET_VLAN_WORDS];
};

/* The device's control state as commands change it. */
struct vdn_net_ctrl {
	struct vdn_net_rxfilter f;
	uint64_t features;   /* negotiated: decides which commands exist */
	uint16_t max_qp;
	uint16_t active_qp;
	uint64_t commands;   /* requests answered (any ack) */
	uint64_t errors;     /* VIRTIO_NET_ERR acks and rejected chains */
	uint8_t buf[VDN_NET_CVQ_MAX_CMD]; /* scratch: one request, flattened */
};

/* What a command changed, for the plumbing to act on. */
#define VDN_NET_CTRL_CH_FILTER 1u /* republish the RX filter */
#define VDN_NET_CTRL_CH_MAC 2u    /* primary MAC: update config space */
#define VDN_NET_CTRL_CH_QP 4u     /* active queue pairs */

/*
 * State right after a reset: promiscuous (nothing filtered until the
 * driver asks), empty tables, empty VLAN filter, one active pair.
 */
void vdn_net_ctrl_reset(struct vdn_net_ctrl *c, uint64_t features, const uint8_t *mac,
			uint16_t max_qp);

/*
 * Apply one request (virtio_net_ctrl_hdr + data, flattened) to `c`.
 * Returns the ack: VIRTIO_NET_OK, or VIRTIO_NET_ERR for a short header,
 * an unknown class/command, a command whose feature was not negotiated,
 * or data of the wrong size or value (state is then unchanged).
 * ORs VDN_NET_CTRL_CH_* into *changed.
 */
uint8_t vdn_net_ctrl_apply(struct vdn_net_ctrl *c, const uint8_t *req, uint32_t len,
			   unsigned int *changed);

/*
 * Serve up to `budget` requests from the control queue `vr`: each readable
 * part is the request, the first writable byte receives the ack.  A chain
 * with no writable byte is returned unanswered (len 0); a malformed chain
 * was already returned by lib/vring.  Used entries are only staged: the
 * caller acts on *changed first and then calls vdn_vq_flush(), so the
 * driver sees an ack only once its effect holds (the spec wants e.g. no RX
 * on a dropped queue pair after VQ_PAIRS_SET is used).  Sets *more if the
 * budget ran out with requests possibly left.
 * Returns the number of chains consumed, or -EIO if the ring is corrupt.
 */
int vdn_net_cvq_serve(struct vdn_vq *vr, struct vdn_net_ctrl *c, unsigned int budget,
		      unsigned int *changed, bool *more);

/*
 * Does the filter let `frame` (its first `len` bytes: at least the
 * Ethernet header, plus the VLAN tag when there is one) through?
 * Frames shorter than an Ethernet header do not pass.
 */
bool vdn_net_rxfilter_pass(const struct vdn_net_rxfilter *f, const uint8_t *frame, uint32_t len);

/*
 * The filter as the datapath reads it: one writer (the control thread)
 * publishes whole copies under a sequence count, any number of datapath
 * lcores check frames against it without locks; a check that overlaps a
 * publication retries.
 */
struct vdn_net_filter_pub {
	_Atomic uint32_t seq; /* odd while a copy is being written */
	struct vdn_net_rxfilter f;
};

void vdn_net_filter_publish(struct vdn_net_filter_pub *p, const struct vdn_net_rxfilter *f);
bool vdn_net_filter_check(const struct vdn_net_filter_pub *p, const uint8_t *frame, uint32_t len);
/* A whole published copy, consistent, into `out` (for reporting). */
void vdn_net_filter_read(const struct vdn_net_filter_pub *p, struct vdn_net_rxfilter *out);

#endif
