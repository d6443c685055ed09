/* SPDX-License-Identifier: BSD-3-Clause */
/* The RX filter (host -> driver) the control queue programs, and how the
 * datapath reads it without locks.  Order of the checks follows QEMU's
 * virtio-net, the de-facto reference the kernel driver is tested against:
 * promiscuous passes everything, then the VLAN filter, then broadcast,
 * multicast and unicast rules. */
#include <string.h>

#include "net_ctrl.h"

#define ETH_HDR 14
#define ETH_P_8021Q_HI 0x81
#define ETH_P_8021Q_LO 0x00

static bool in_table(const uint8_t (*t)[VDN_NET_ETH_ALEN], uint16_t n, const uint8_t *a)
{
	for (uint16_t i = 0; i < n; i++)
		if (!memcmp(t[i], a, VDN_NET_ETH_ALEN))
			return true;
	return false;
}

bool vdn_net_rxfilter_pass(const struct vdn_net_rxfilter *f, const uint8_t *frame, uint32_t len)
{
	static const uint8_t bcast[VDN_NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t *dst = frame;

	if (f->promisc)
		return true;
	if (len < ETH_HDR)
		return false;
	if (f->vlan_filter && frame[12] == ETH_P_8021Q_HI && frame[13] == ETH_P_8021Q_LO) {
		uint16_t vid;

		if (len < ETH_HDR + 4)
			return false;
		vid = (uint16_t)(((frame[14] << 8) | frame[15]) & 0xfff);
		if (!(f->vlans[vid / 64] & (1ULL << (vid % 64))))
			return false;
	}
	if (dst[0] & 1) {
		if (!memcmp(dst, bcast, sizeof(bcast)))
			return !f->nobcast;
		if (f->nomulti)
			return false;
		if (f->allmulti || f->multi_overflow)
			return true;
		return in_table(f->multi, f->n_multi, dst);
	}
	if (f->nouni)
		return false;
	if (f->alluni || f->uni_overflow || !memcmp(dst, f->mac, VDN_NET_ETH_ALEN))
		return true;
	return in_table(f->uni, f->n_uni, dst);
}

void vdn_net_filter_publish(struct vdn_net_filter_pub *p, const struct vdn_net_rxfilter *f)
{
	uint32_t s = atomic_load_explicit(&p->seq, memory_order_relaxed);

	atomic_store_explicit(&p->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(&p->f, f, sizeof(*f));
	atomic_store_explicit(&p->seq, s + 2, memory_order_release);
}

bool vdn_net_filter_check(const struct vdn_net_filter_pub *p, const uint8_t *frame, uint32_t len)
{
	uint32_t s1, s2;
	bool pass;

	do {
		s1 = atomic_load_explicit(&p->seq, memory_order_acquire);
		if (s1 & 1)
			continue; /* a publication is a memcpy away from done */
		/* the fast case, and the only one before CTRL_RX is used */
		pass = p->f.promisc || vdn_net_rxfilter_pass(&p->f, frame, len);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&p->seq, memory_order_relaxed);
		if (s1 == s2)
			return pass;
	} while (1);
}

void vdn_net_filter_read(const struct vdn_net_filter_pub *p, struct vdn_net_rxfilter *out)
{
	uint32_t s1, s2;

	do {
		s1 = atomic_load_explicit(&p->seq, memory_order_acquire);
		if (s1 & 1)
			continue;
		memcpy(out, &p->f, sizeof(*out));
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&p->seq, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
}
