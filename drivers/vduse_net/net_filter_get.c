/* SPDX-License-Identifier: BSD-3-Clause */
/* The RX filter as its owner reports it (show device, telemetry): read from
 * the copy the datapath checks frames against, so the report is what
 * actually filters, and taking it never waits on the control thread. */
#include <errno.h>
#include <string.h>

#include "net_private.h"

_Static_assert(VDN_NET_FILTER_MACS == VDN_NET_MAC_TABLE_MAX, "MAC table sizes differ");
_Static_assert(sizeof(((struct vdn_net_filter_state *)0)->vlans) ==
	       sizeof(((struct vdn_net_rxfilter *)0)->vlans), "VLAN bitmap sizes differ");

int vdn_net_filter_get(const struct vdn_net_dev *dev, struct vdn_net_filter_state *st)
{
	struct vdn_net_rxfilter f;

	if (!dev || !st)
		return -EINVAL;
	vdn_net_filter_read(&dev->filter, &f);
	memset(st, 0, sizeof(*st));
	memcpy(st->mac.addr_bytes, f.mac, RTE_ETHER_ADDR_LEN);
	st->promisc = f.promisc;
	st->allmulti = f.allmulti;
	st->alluni = f.alluni;
	st->nomulti = f.nomulti;
	st->nouni = f.nouni;
	st->nobcast = f.nobcast;
	st->uni_overflow = f.uni_overflow;
	st->multi_overflow = f.multi_overflow;
	st->vlan_filter = f.vlan_filter;
	st->n_uni = RTE_MIN(f.n_uni, (uint16_t)VDN_NET_FILTER_MACS);
	st->n_multi = RTE_MIN(f.n_multi, (uint16_t)VDN_NET_FILTER_MACS);
	for (uint16_t i = 0; i < st->n_uni; i++)
		memcpy(st->uni[i].addr_bytes, f.uni[i], RTE_ETHER_ADDR_LEN);
	for (uint16_t i = 0; i < st->n_multi; i++)
		memcpy(st->multi[i].addr_bytes, f.multi[i], RTE_ETHER_ADDR_LEN);
	memcpy(st->vlans, f.vlans, sizeof(st->vlans));
	return 0;
}
