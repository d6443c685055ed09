/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-queue statistics: counters (less the `clear stats` baseline), and
 * rates over a sliding window of samples taken by the main lcore, shared
 * by every reader: --stats-period, `show stats` on any session, telemetry.
 * Reading rates never resets them, so two readers do not disturb each
 * other, and a device's first sample is taken when it starts forwarding,
 * so the first look already has a rate. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "vdnet.h"

/* Samples every SAMPLE_MS; the window is up to RATE_SAMPLES of them old. */
#define RATE_SAMPLES 5
#define SAMPLE_MS 500

struct sample {
	uint64_t tsc;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes; /* raw, not less clear */
};

struct window {
	struct sample s[RATE_SAMPLES];
	unsigned int n, next; /* samples held, slot of the next one */
};

static struct window win[VDNET_MAX_DEVICES][VDN_NET_MAX_QUEUE_PAIRS];

static void push(struct window *w, const struct vdn_net_q_stats *st, uint64_t now)
{
	w->s[w->next] = (struct sample){ now, st->rx_packets, st->rx_bytes, st->tx_packets,
					 st->tx_bytes };
	w->next = (w->next + 1) % RATE_SAMPLES;
	if (w->n < RATE_SAMPLES)
		w->n++;
}

void vdnet_stats_start(struct vdnet *v, unsigned int i)
{
	uint64_t now = rte_get_timer_cycles();
	struct vdn_net_q_stats st;

	if (i >= VDNET_MAX_DEVICES)
		return;
	memset(v->stats_base[i], 0, sizeof(v->stats_base[i]));
	memset(v->handoff_base[i], 0, sizeof(v->handoff_base[i]));
	memset(win[i], 0, sizeof(win[i]));
	for (uint16_t q = 0; v->dev[i].net && q < VDN_NET_MAX_QUEUE_PAIRS; q++) {
		if (vdn_net_qp_stats(v->dev[i].net, q, &st))
			break;
		push(&win[i][q], &st, now);
	}
}

void vdnet_stats_tick(struct vdnet *v)
{
	uint64_t now = rte_get_timer_cycles(), due = rte_get_timer_hz() * SAMPLE_MS / 1000;
	struct vdn_net_q_stats st;

	for (unsigned int i = 0; i < v->n_dev; i++)
		for (uint16_t q = 0; v->dev[i].net && q < VDN_NET_MAX_QUEUE_PAIRS; q++) {
			struct window *w = &win[i][q];
			const struct sample *last = &w->s[(w->next + RATE_SAMPLES - 1) % RATE_SAMPLES];

			if (vdn_net_qp_stats(v->dev[i].net, q, &st))
				break;
			if (!w->n || now - last->tsc >= due)
				push(w, &st, now);
		}
}

static double per_s(uint64_t now, uint64_t before, double dt)
{
	return dt > 0 && now >= before ? (double)(now - before) / dt : 0;
}

int vdnet_stats_rates(struct vdnet *v, unsigned int i, uint16_t qp, struct vdnet_rates *r)
{
	struct vdn_net_q_stats st;
	const struct window *w;
	const struct sample *old;
	double dt;
	int rc;

	memset(r, 0, sizeof(*r));
	if (i >= v->n_dev || !v->dev[i].net || qp >= VDN_NET_MAX_QUEUE_PAIRS)
		return -EINVAL;
	rc = vdn_net_qp_stats(v->dev[i].net, qp, &st);
	if (rc)
		return rc;
	w = &win[i][qp];
	if (!w->n)
		return 0;
	/* the oldest sample held: next is where it sits once the window is full */
	old = &w->s[w->n < RATE_SAMPLES ? 0 : w->next];
	dt = (double)(rte_get_timer_cycles() - old->tsc) / rte_get_timer_hz();
	if (dt < 0.001)
		return 0;
	r->rx_pps = per_s(st.rx_packets, old->rx_packets, dt);
	r->rx_bps = per_s(st.rx_bytes, old->rx_bytes, dt) * 8;
	r->tx_pps = per_s(st.tx_packets, old->tx_packets, dt);
	r->tx_bps = per_s(st.tx_bytes, old->tx_bytes, dt) * 8;
	return 0;
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
	s->gro_frames -= b->gro_frames;
	s->gro_segs -= b->gro_segs;
	s->tso_out -= b->tso_out;
	s->csum_out -= b->csum_out;
	s->lro_in -= b->lro_in;
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
	tot->gro_frames += s->gro_frames;
	tot->gro_segs += s->gro_segs;
	tot->tso_out += s->tso_out;
	tot->csum_out += s->csum_out;
	tot->lro_in += s->lro_in;
	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		tot->chain_err[r] += s->chain_err[r];
	tot->vq_broken += s->vq_broken;
}

void vdnet_rates_add(struct vdnet_rates *tot, const struct vdnet_rates *r)
{
	tot->rx_pps += r->rx_pps;
	tot->rx_bps += r->rx_bps;
	tot->tx_pps += r->tx_pps;
	tot->tx_bps += r->tx_bps;
}

uint64_t vdnet_stats_handoff(struct vdnet *v, unsigned int i, uint16_t qp)
{
	uint64_t n;

	if (i >= VDNET_MAX_DEVICES || qp >= VDN_NET_MAX_QUEUE_PAIRS)
		return 0;
	n = vdnet_fwd_handoff_drops(i, qp);
	/* a pair whose lcore let go counts nothing any more */
	return n >= v->handoff_base[i][qp] ? n - v->handoff_base[i][qp] : 0;
}

void vdnet_stats_clear(struct vdnet *v)
{
	for (unsigned int i = 0; i < v->n_dev; i++) {
		for (uint16_t q = 0; q < VDN_NET_MAX_QUEUE_PAIRS; q++)
			v->handoff_base[i][q] = vdnet_fwd_handoff_drops(i, q);
		for (uint16_t q = 0; v->dev[i].net && q < VDN_NET_MAX_QUEUE_PAIRS; q++)
			if (vdn_net_qp_stats(v->dev[i].net, q, &v->stats_base[i][q]))
				break;
	}
}

static void dev_stats(FILE *f, struct vdnet *v, unsigned int i)
{
	struct vdnet_dev *d = &v->dev[i];
	struct vdn_net_info info;

	vdn_net_info(d->net, &info);
	fprintf(f, "device %s: status 0x%02x link %s, %u/%u queue pairs active\n", d->conf.name,
		info.status, info.link_up ? "up" : "down", info.active_queue_pairs,
		info.max_queue_pairs);
	for (uint16_t q = 0; q < info.max_queue_pairs; q++) {
		struct vdn_net_q_stats s;
		struct vdnet_rates r;

		if (vdnet_stats_get(v, i, q, &s) || vdnet_stats_rates(v, i, q, &r))
			continue;
		fprintf(f, "  qp %u  to-driver %" PRIu64 " pkts %" PRIu64 " B (%.0f pps %.2f Mbit/s)"
			"  from-driver %" PRIu64 " pkts %" PRIu64 " B (%.0f pps %.2f Mbit/s)"
			"  irqs %" PRIu64 "\n", q, s.rx_packets, s.rx_bytes, r.rx_pps, r.rx_bps / 1e6,
			s.tx_packets, s.tx_bytes, r.tx_pps, r.tx_bps / 1e6, s.irqs);
		fprintf(f, "        drops:");
		for (int k = 0; k < VDN_NET_DROP__COUNT; k++)
			fprintf(f, " %s=%" PRIu64, vdn_net_drop_str(k), s.drop[k]);
		fprintf(f, " %s=%" PRIu64, VDNET_DROP_HANDOFF, vdnet_stats_handoff(v, i, q));
		fprintf(f, "  sw-csum=%" PRIu64 " gso-segs=%" PRIu64 " gro-frames=%" PRIu64
			" gro-segs=%" PRIu64 " tso-out=%" PRIu64 " csum-out=%" PRIu64 " lro-in=%" PRIu64
			"\n", s.sw_csum, s.gso_segs, s.gro_frames, s.gro_segs, s.tso_out, s.csum_out,
			s.lro_in);
		if (s.drop[VDN_NET_DROP_BAD_CHAIN] || s.vq_broken) {
			fprintf(f, "        bad chains:");
			for (int e = 0; e < VDN_VRING_E__COUNT; e++)
				if (s.chain_err[e])
					fprintf(f, " %s=%" PRIu64, vdn_vring_err_str(e), s.chain_err[e]);
			fprintf(f, "  queues-broken=%" PRIu64 "\n", s.vq_broken);
		}
	}
}

int vdnet_stats_print(FILE *f, struct vdnet *v, const char *name)
{
	int shown = 0;

	for (unsigned int i = 0; i < v->n_dev; i++) {
		struct vdnet_dev *d = &v->dev[i];

		if (!d->net || (name && strcmp(name, d->conf.name)))
			continue;
		dev_stats(f, v, i);
		shown++;
	}
	fflush(f);
	return shown;
}
