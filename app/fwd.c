/* SPDX-License-Identifier: BSD-3-Clause */
/* Datapath lcores: each serves one (device, queue pair), moving bursts
 * between the port's queue and the device's virtqueues. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "vdnet.h"

#define BURST 32
/* empty polls before --idle-sleep kicks in: keeps latency low under load */
#define IDLE_SPINS 256

struct fwd_task {
	struct vdnet *v;
	struct vdnet_dev *d;
	uint16_t qp;
	uint64_t port_tx_drops;
	uint64_t busy_cycles, idle_cycles; /* written by the lcore only */
	bool used;
	struct rte_ring *handoff;   /* packets other lcores pass to this pair */
	uint64_t handoff_drops;     /* a target's hand-off ring was full */
};

static struct fwd_task tasks[RTE_MAX_LCORE];

/*
 * RX spreading over the active queue pairs.  The driver may use fewer
 * pairs than the port has queues (VQ_PAIRS_SET, `ethtool -L`), and nothing
 * may be placed on a pair it dropped.  Only a pair's own lcore ever
 * enqueues into it (the burst API is lock-free), so the lcore of a pair
 * q >= active passes what the port gives it on queue q, flow by flow
 * (software hash), to the lcore of an active pair through that lcore's
 * multi-producer/single-consumer ring.  Chosen over restricting the port's
 * RSS redirection table to the active queues: it works on every port,
 * including AF_XDP and veth (no RETA), and costs nothing while all pairs
 * are active; a RETA update would only make the hand-off rarer.
 * Packets already in a ring when the count changes are passed on again,
 * never enqueued into a pair that left.
 */
#define HANDOFF_SIZE 1024
static struct fwd_task *pair_task[VDNET_MAX_DEVICES][VDN_NET_MAX_QUEUE_PAIRS];

/* Flow hash: the port's RSS hash if it gave one, else L3 addresses and
 * L4 ports, so one flow always lands on one pair (no reordering). */
static uint32_t flow_hash(const struct rte_mbuf *m)
{
	uint8_t buf[RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN + sizeof(struct rte_ipv6_hdr) + 4];
	uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(buf)), off = RTE_ETHER_HDR_LEN;
	const uint8_t *p;
	uint16_t type;
	uint8_t proto;
	uint32_t h;

	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return m->hash.rss;
	p = rte_pktmbuf_read(m, 0, len, buf);
	if (!p || len < RTE_ETHER_HDR_LEN)
		return 0;
	type = (uint16_t)(p[12] << 8 | p[13]);
	if (type == RTE_ETHER_TYPE_VLAN && len >= off + RTE_VLAN_HLEN) {
		type = (uint16_t)(p[16] << 8 | p[17]);
		off += RTE_VLAN_HLEN;
	}
	if (type == RTE_ETHER_TYPE_IPV4 && len >= off + sizeof(struct rte_ipv4_hdr)) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + off);
		uint32_t ihl = (ip->version_ihl & 0xf) * 4u;

		h = rte_jhash_2words(ip->src_addr, ip->dst_addr, ip->next_proto_id);
		proto = ip->next_proto_id;
		off += ihl;
		/* later fragments carry no ports: keep a datagram's pieces together */
		if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG |
							   RTE_IPV4_HDR_OFFSET_MASK))
			return h;
	} else if (type == RTE_ETHER_TYPE_IPV6 && len >= off + sizeof(struct rte_ipv6_hdr)) {
		const struct rte_ipv6_hdr *ip = (const void *)(p + off);

		h = rte_jhash(ip->src_addr, 32, ip->proto);
		proto = ip->proto;
		off += sizeof(*ip);
	} else {
		return rte_jhash(p, 12, type); /* by MAC addresses */
	}
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && len >= off + 4) {
		uint32_t ports;

		memcpy(&ports, p + off, 4);
		h = rte_jhash_1word(ports, h);
	}
	return h;
}

/* Pass packets to the lcores of active pairs; frees what does not fit. */
static void handoff(struct fwd_task *t, struct rte_mbuf **pkts, uint16_t n, uint16_t active)
{
	struct fwd_task **pt = pair_task[t->d - t->v->dev];

	for (uint16_t i = 0; i < n; i++) {
		struct fwd_task *to = pt[flow_hash(pkts[i]) % active];

		if (!to || !to->handoff || rte_ring_mp_enqueue(to->handoff, pkts[i])) {
			t->handoff_drops++;
			rte_pktmbuf_free(pkts[i]);
		}
	}
}

static void to_device(struct fwd_task *t, struct rte_mbuf **pkts, uint16_t n, uint16_t active)
{
	if (t->qp < active) {
		vdn_net_enqueue_burst(t->d->net, t->qp, pkts, n);
		rte_pktmbuf_free_bulk(pkts, n);
	} else {
		handoff(t, pkts, n, active);
	}
}

/* Port queue -> device (directly or via another pair's lcore), and what
 * other lcores handed to this pair.  Returns the packets moved. */
static uint16_t rx_side(struct fwd_task *t, struct rte_mbuf **pkts)
{
	uint16_t active = vdn_net_active_qp(t->d->net);
	uint16_t n = rte_eth_rx_burst(t->d->port_id, t->qp, pkts, BURST), h = 0;

	if (n)
		to_device(t, pkts, n, active);
	if (t->handoff) {
		h = (uint16_t)rte_ring_sc_dequeue_burst(t->handoff, (void **)pkts, BURST, NULL);
		if (h)
			to_device(t, pkts, h, active);
	}
	return n + h;
}

static int fwd_main(void *arg)
{
	struct fwd_task *t = arg;
	struct vdnet_dev *d = t->d;
	struct rte_mbuf *pkts[BURST];
	unsigned int idle = 0;
	uint16_t n, m, s;
	uint64_t now, last = rte_rdtsc();

	while (!atomic_load_explicit(&t->v->quit, memory_order_relaxed)) {
		if (atomic_load_explicit(&t->v->dp_stopped, memory_order_relaxed)) {
			/* `stop`: the rings are left alone; latency does not matter */
			usleep(1000);
			now = rte_rdtsc();
			t->idle_cycles += now - last;
			last = now;
			continue;
		}
		n = rx_side(t, pkts);
		m = vdn_net_dequeue_burst(d->net, t->qp, d->mp, pkts, BURST);
		if (m) {
			s = rte_eth_tx_burst(d->port_id, t->qp, pkts, m);
			if (s < m) {
				t->port_tx_drops += m - s;
				rte_pktmbuf_free_bulk(pkts + s, m - s);
			}
		}
		if (n | m) {
			idle = 0;
		} else if (t->v->conf.idle_sleep_us && ++idle > IDLE_SPINS) {
			usleep(t->v->conf.idle_sleep_us);
		}
		now = rte_rdtsc();
		if (n | m)
			t->busy_cycles += now - last;
		else
			t->idle_cycles += now - last;
		last = now;
	}
	return 0;
}

int vdnet_fwd_start(struct vdnet *v)
{
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);

	for (unsigned int i = 0; i < v->n_dev; i++) {
		struct vdnet_dev *d = &v->dev[i];
		struct vdn_net_info info;

		if (!d->net)
			continue;
		vdn_net_info(d->net, &info);
		/* every pair's hand-off ring exists before any lcore runs */
		for (uint16_t q = 0, lc = lcore; q < info.max_queue_pairs && info.max_queue_pairs > 1;
		     q++, lc = rte_get_next_lcore(lc, 1, 0)) {
			char name[RTE_RING_NAMESIZE];

			if (lc >= RTE_MAX_LCORE)
				return -ENOSPC;
			snprintf(name, sizeof(name), "vdnet_ho_%u_%u", i, q);
			tasks[lc].handoff = rte_ring_create(name, HANDOFF_SIZE,
							    rte_eth_dev_socket_id(d->port_id),
							    RING_F_SC_DEQ);
			if (!tasks[lc].handoff)
				return -rte_errno;
			pair_task[i][q] = &tasks[lc];
		}
		for (uint16_t q = 0; q < info.max_queue_pairs; q++) {
			if (lcore >= RTE_MAX_LCORE)
				return -ENOSPC; /* checked at start-up; cannot happen */
			tasks[lcore] = (struct fwd_task){ .v = v, .d = d, .qp = q, .used = true,
							  .handoff = tasks[lcore].handoff };
			int rc = rte_eal_remote_launch(fwd_main, &tasks[lcore], lcore);

			if (rc)
				return rc;
			LOG(INFO, "lcore %u serves %s queue pair %u (port %u queue %u)\n", lcore,
			    d->conf.name, q, d->port_id, q);
			lcore = rte_get_next_lcore(lcore, 1, 0);
		}
	}
	return 0;
}

void vdnet_fwd_stop(struct vdnet *v)
{
	atomic_store(&v->quit, true);
	rte_eal_mp_wait_lcore();
	for (unsigned int lc = 0; lc < RTE_MAX_LCORE; lc++) {
		struct rte_mbuf *m;

		while (tasks[lc].handoff && rte_ring_sc_dequeue(tasks[lc].handoff, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(tasks[lc].handoff);
		tasks[lc].handoff = NULL;
	}
}

int vdnet_fwd_info(unsigned int lcore, struct vdnet_fwd_info *fi)
{
	const struct fwd_task *t;

	if (lcore >= RTE_MAX_LCORE || !tasks[lcore].used)
		return -ENOENT;
	t = &tasks[lcore];
	fi->dev = t->d;
	fi->qp = t->qp;
	fi->port_tx_drops = t->port_tx_drops;
	fi->busy_cycles = t->busy_cycles;
	fi->idle_cycles = t->idle_cycles;
	return 0;
}
