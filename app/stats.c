/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-queue statistics: counters, and rates since the caller's last look
 * (each caller keeps its own snapshot, so --stats-period and the socket's
 * "show stats" do not disturb each other). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "vdnet.h"

static double rate(uint64_t now, uint64_t before, double dt)
{
	return dt > 0 ? (double)(now - before) / dt : 0;
}

int vdnet_stats_get(struct vdnet *v, unsigned int i, uint16_t qp, struct vdn_net_q_stats *s)
{
	const struct vdn_net_q_stats *b;
	int rc;

	if (i >= v->n_dev || !v->dev[i].net || qp >= VDN_NET_MAX_QUEUE_PAIRS)
		return -EINVAL;
	rc = vdn_net_qp_stats(v->dev[i].net, qp, s);
	if (rc)
		return rc;
	/* counters only grow, so the baseline never exceeds them */
	b = &v->stats_base[i][qp];
	s->rx_packets -= b->rx_packets;
	s->rx_bytes -= b->rx_bytes;
	s->tx_packets -= b->tx_packets;
	s->tx_bytes -= b->tx_bytes;
	for (int r = 0; r < VDN_NET_DROP__COUNT; r++)
		s->drop[r] -= b->drop[r];
	s->irqs -= b->irqs;
	s->sw_csum -= b->sw_csum;
	s->gso_segs -= b->gso_segs;
	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		s->chain_err[r] -= b->chain_err[r];
	s->vq_broken -= b->vq_broken;
	return 0;
}

void vdnet_stats_add(struct vdn_net_q_stats *tot, const struct vdn_net_q_stats *s)
{
	tot->rx_packets += s->rx_packets;
	tot->rx_bytes += s->rx_bytes;
	tot->tx_packets += s->tx_packets;
	tot->tx_bytes += s->tx_bytes;
	for (int r = 0; r < VDN_NET_DROP__COUNT; r++)
		tot->drop[r] += s->drop[r];
	tot->irqs += s->irqs;
	tot->sw_csum += s->sw_csum;
	tot->gso_segs += s->gso_segs;
	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		tot->chain_err[r] += s->chain_err[r];
	tot->vq_broken += s->vq_broken;
}

void vdnet_stats_clear(struct vdnet *v)
{
	for (unsigned int i = 0; i < v->n_dev; i++)
		for (uint16_t q = 0; v->dev[i].net && q < VDN_NET_MAX_QUEUE_PAIRS; q++)
			if (vdn_net_qp_stats(v->dev[i].net, q, &v->stats_base[i][q]))
				break;
}

static void dev_stats(FILE *f, struct vdnet *v, unsigned int i, struct vdn_net_q_stats *prev,
		      double dt)
{
	struct vdnet_dev *d = &v->dev[i];
	struct vdn_net_info info;

	vdn_net_info(d->net, &info);
	fprintf(f, "device %s: status 0x%02x link %s, %u/%u queue pairs active\n", d->conf.name,
		info.status, info.link_up ? "up" : "down", info.active_queue_pairs,
		info.max_queue_pairs);
	for (uint16_t q = 0; q < info.max_queue_pairs; q++) {
		struct vdn_net_q_stats s, *p = &prev[q];

		if (vdnet_stats_get(v, i, q, &s))
			continue;
		/* a `clear stats` since the last look: rates restart from zero */
		if (s.rx_packets < p->rx_packets || s.tx_packets < p->tx_packets)
			memset(p, 0, sizeof(*p));
		fprintf(f, "  qp %u  to-driver %" PRIu64 " pkts %" PRIu64 " B (%.0f pps %.2f Mbit/s)"
			"  from-driver %" PRIu64 " pkts %" PRIu64 " B (%.0f pps %.2f Mbit/s)"
			"  irqs %" PRIu64 "\n", q,
			s.rx_packets, s.rx_bytes, rate(s.rx_packets, p->rx_packets, dt),
			rate(s.rx_bytes, p->rx_bytes, dt) * 8 / 1e6,
			s.tx_packets, s.tx_bytes, rate(s.tx_packets, p->tx_packets, dt),
			rate(s.tx_bytes, p->tx_bytes, dt) * 8 / 1e6, s.irqs);
		fprintf(f, "        drops:");
		for (int r = 0; r < VDN_NET_DROP__COUNT; r++)
			fprintf(f, " %s=%" PRIu64, vdn_net_drop_str(r), s.drop[r]);
		fprintf(f, "  sw-csum=%" PRIu64 " gso-segs=%" PRIu64 "\n", s.sw_csum, s.gso_segs);
		if (s.drop[VDN_NET_DROP_BAD_CHAIN] || s.vq_broken) {
			fprintf(f, "        bad chains:");
			for (int r = 0; r < VDN_VRING_E__COUNT; r++)
				if (s.chain_err[r])
					fprintf(f, " %s=%" PRIu64, vdn_vring_err_str(r), s.chain_err[r]);
			fprintf(f, "  queues-broken=%" PRIu64 "\n", s.vq_broken);
		}
		*p = s;
	}
}

int vdnet_stats_print(FILE *f, struct vdnet *v, const char *name, struct vdnet_stats_snap *snap)
{
	uint64_t now = rte_get_timer_cycles();
	double dt = snap->tsc ? (double)(now - snap->tsc) / rte_get_timer_hz() : 0;
	int shown = 0;

	for (unsigned int i = 0; i < v->n_dev; i++) {
		struct vdnet_dev *d = &v->dev[i];

		if (!d->net || (name && strcmp(name, d->conf.name)))
			continue;
		dev_stats(f, v, i, snap->q[i], dt);
		shown++;
	}
	snap->tsc = now;
	fflush(f);
	return shown;
}
