/* SPDX-License-Identifier: BSD-3-Clause */
/* Datapath lcores: each serves one (device, queue pair), moving bursts
 * between the port's queue and the device's virtqueues. */
#include <errno.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vdnet.h"

#define BURST 32
/* empty polls before --idle-sleep kicks in: keeps latency low under load */
#define IDLE_SPINS 256

struct fwd_task {
	struct vdnet *v;
	struct vdnet_dev *d;
	uint16_t qp;
	uint64_t port_tx_drops;
};

static struct fwd_task tasks[RTE_MAX_LCORE];

static int fwd_main(void *arg)
{
	struct fwd_task *t = arg;
	struct vdnet_dev *d = t->d;
	struct rte_mbuf *pkts[BURST];
	unsigned int idle = 0;
	uint16_t n, m, s;

	while (!atomic_load_explicit(&t->v->quit, memory_order_relaxed)) {
		n = rte_eth_rx_burst(d->port_id, t->qp, pkts, BURST);
		if (n) {
			vdn_net_enqueue_burst(d->net, t->qp, pkts, n);
			rte_pktmbuf_free_bulk(pkts, n);
		}
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
		for (uint16_t q = 0; q < info.max_queue_pairs; q++) {
			if (lcore >= RTE_MAX_LCORE)
				return -ENOSPC; /* checked at start-up; cannot happen */
			tasks[lcore] = (struct fwd_task){ .v = v, .d = d, .qp = q };
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
}
