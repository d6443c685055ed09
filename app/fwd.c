/* SPDX-License-Identifier: BSD-3-Clause */
/* Datapath lcores: each serves one (device, queue pair), moving bursts
 * between the port's queue and the device's virtqueues. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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

/*
 * A task is one (device, queue pair); an lcore serves at most one task at a
 * time.  Every worker lcore runs fwd_main() from start to exit and picks up
 * whatever its slot points to, so devices join and leave at runtime while
 * the other lcores keep forwarding: assigning is one pointer store into an
 * idle slot; taking a task away is a pointer store plus a quiescent
 * handshake (the lcore's epoch must advance twice: the loop iteration that
 * may have read the old pointer has ended), after which nothing on that
 * lcore touches the device any more.
 */
struct fwd_task {
	struct vdnet *v;
	struct vdnet_dev *d;
	unsigned int di;            /* index of d in v->dev */
	uint16_t qp;
	unsigned int lcore;
	uint64_t port_tx_drops;     /* written by the serving lcore only */
	struct rte_ring *handoff;   /* packets other lcores pass to this pair */
	uint64_t handoff_drops;     /* a target's hand-off ring was full */
};

struct lcore_slot {
	_Atomic(struct fwd_task *) task; /* written under fwd_lock, read by the lcore */
	_Atomic uint64_t epoch;          /* loop iterations the lcore completed */
	uint64_t busy_cycles, idle_cycles; /* TSC cycles with / without work */
};

static struct fwd_task tasks[VDNET_MAX_DEVICES][VDN_NET_MAX_QUEUE_PAIRS];
static struct lcore_slot slots[RTE_MAX_LCORE];
static pthread_mutex_t fwd_lock = PTHREAD_MUTEX_INITIALIZER;
static bool launched;

/*
 * RX spreading over the active queue pairs.  The driver may use fewer
 * pairs than the port has queues (VQ_PAIRS_SET, `ethtool -L`), and nothing
 * may be placed on a pair it dropped; `set queues` narrows the spreading
 * further.  Only a pair's own lcore ever enqueues into it (the burst API is
 * lock-free), so the lcore of a pair q >= active passes what the port gives
 * it on queue q, flow by flow (software hash), to the lcore of an active
 * pair through that pair's multi-producer/single-consumer ring.  Chosen
 * over restricting the port's RSS redirection table to the active queues:
 * it works on every port, including AF_XDP and veth (no RETA), and costs
 * nothing while all pairs are active; a RETA update would only make the
 * hand-off rarer.  Packets already in a ring when the count changes are
 * passed on again, never enqueued into a pair that left.  A device's rings
 * live exactly as long as its tasks; only its own lcores use them.
 */
#define HANDOFF_SIZE 1024

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
	struct fwd_task *pt = tasks[t->di];

	for (uint16_t i = 0; i < n; i++) {
		struct fwd_task *to = &pt[flow_hash(pkts[i]) % active];

		if (!to->handoff || rte_ring_mp_enqueue(to->handoff, pkts[i])) {
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

/* Pairs host -> driver traffic is spread over: the driver's active ones,
 * narrowed by `set queues`. */
static uint16_t spread(const struct vdnet_dev *d)
{
	uint16_t active = vdn_net_active_qp(d->net);
	uint16_t lim = atomic_load_explicit(&d->rx_queues, memory_order_relaxed);

	return lim && lim < active ? lim : active;
}

/* Port queue -> device (directly or via another pair's lcore), and what
 * other lcores handed to this pair.  Returns the packets moved. */
static uint16_t rx_side(struct fwd_task *t, struct rte_mbuf **pkts)
{
	uint16_t active = spread(t->d);
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

/* One round of task `t`; returns whether it moved anything. */
static bool serve(struct fwd_task *t, struct rte_mbuf **pkts)
{
	struct vdnet_dev *d = t->d;
	uint16_t n, m, s;

	n = rx_side(t, pkts);
	m = vdn_net_dequeue_burst(d->net, t->qp, d->mp, pkts, BURST);
	if (m) {
		s = rte_eth_tx_burst(d->port_id, t->qp, pkts, m);
		if (s < m) {
			t->port_tx_drops += m - s;
			rte_pktmbuf_free_bulk(pkts + s, m - s);
		}
	}
	return n | m;
}

static int fwd_main(void *arg)
{
	struct vdnet *v = arg;
	struct lcore_slot *sl = &slots[rte_lcore_id()];
	struct rte_mbuf *pkts[BURST];
	unsigned int idle = 0;
	uint64_t now, last = rte_rdtsc();

	while (!atomic_load_explicit(&v->quit, memory_order_relaxed)) {
		struct fwd_task *t = atomic_load(&sl->task);
		bool worked = false;

		if (!t || atomic_load_explicit(&v->dp_stopped, memory_order_relaxed)) {
			/* no task, or `stop`: the rings are left alone; latency
			 * does not matter */
			usleep(1000);
		} else if ((worked = serve(t, pkts))) {
			idle = 0;
		} else if (v->conf.idle_sleep_us && ++idle > IDLE_SPINS) {
			usleep(v->conf.idle_sleep_us);
		}
		now = rte_rdtsc();
		if (worked)
			sl->busy_cycles += now - last;
		else
			sl->idle_cycles += now - last;
		last = now;
		/* the quiescent point: `t` is not used past here */
		atomic_fetch_add(&sl->epoch, 1);
	}
	return 0;
}

static unsigned int free_lcores(void)
{
	unsigned int lc, n = 0;

	RTE_LCORE_FOREACH_WORKER(lc)
		if (!atomic_load(&slots[lc].task))
			n++;
	return n;
}

unsigned int vdnet_fwd_free_lcores(void)
{
	unsigned int n;

	pthread_mutex_lock(&fwd_lock);
	n = free_lcores();
	pthread_mutex_unlock(&fwd_lock);
	return n;
}

/* Wait until lcore `lc` has passed its quiescent point twice. */
static int quiesce(unsigned int lc)
{
	uint64_t e0 = atomic_load(&slots[lc].epoch);

	if (!launched || rte_eal_get_lcore_state(lc) != RUNNING)
		return 0;
	for (int i = 0; i < 20000; i++) {
		struct timespec ts = { 0, 100000L };

		if (atomic_load(&slots[lc].epoch) - e0 >= 2)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static void free_rings(unsigned int di)
{
	for (uint16_t q = 0; q < VDN_NET_MAX_QUEUE_PAIRS; q++) {
		struct fwd_task *t = &tasks[di][q];
		struct rte_mbuf *m;

		while (t->handoff && rte_ring_sc_dequeue(t->handoff, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(t->handoff);
		t->handoff = NULL;
	}
}

/* Take the tasks of device `di` off their lcores; 0 once none uses it. */
static int unassign(unsigned int di)
{
	int rc = 0;

	for (uint16_t q = 0; q < VDN_NET_MAX_QUEUE_PAIRS; q++) {
		struct fwd_task *t = &tasks[di][q];

		if (!t->d)
			continue;
		atomic_store(&slots[t->lcore].task, NULL);
	}
	for (uint16_t q = 0; q < VDN_NET_MAX_QUEUE_PAIRS; q++) {
		struct fwd_task *t = &tasks[di][q];

		if (!t->d)
			continue;
		if (quiesce(t->lcore)) {
			LOG(ERR, "lcore %u did not let go of %s queue pair %u\n", t->lcore,
			    t->d->conf.name, q);
			rc = -ETIMEDOUT;
			continue;
		}
		LOG(INFO, "lcore %u no longer serves %s queue pair %u\n", t->lcore, t->d->conf.name, q);
		t->d = NULL;
	}
	return rc;
}

/* vdnet_lcores_check()'s view of the running EAL, under fwd_lock. */
static enum vdnet_lcore_role probe(void *opaque, unsigned int lc, char *who, size_t wholen)
{
	const struct fwd_task *t;

	(void)opaque;
	if (lc >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lc))
		return VDNET_LCORE_OFF;
	if (lc == rte_get_main_lcore())
		return VDNET_LCORE_MAIN;
	t = atomic_load(&slots[lc].task);
	if (!t)
		return VDNET_LCORE_FREE;
	snprintf(who, wholen, "device %s queue pair %u", t->d->conf.name, t->qp);
	return VDNET_LCORE_BUSY;
}

int vdnet_fwd_check_map(const struct vdnet_dev_conf *c, unsigned int pairs, char *err,
			size_t errlen)
{
	int rc;

	pthread_mutex_lock(&fwd_lock);
	rc = vdnet_lcores_check(&c->lcores, pairs, probe, NULL, err, errlen);
	pthread_mutex_unlock(&fwd_lock);
	return rc;
}

/* The lcore of each of the `pairs` queue pairs of `d` into picked[]:
 * its lcores= map, or the first free workers. */
static int pick(const struct vdnet_dev *d, uint16_t pairs, unsigned int *picked)
{
	char why[256];
	unsigned int lc;
	uint16_t q = 0;
	int rc;

	if (d->conf.lcores.n) {
		rc = vdnet_lcores_check(&d->conf.lcores, pairs, probe, NULL, why, sizeof(why));
		if (rc) {
			LOG(ERR, "device %s: %s\n", d->conf.name, why);
			return rc;
		}
		for (q = 0; q < pairs; q++)
			picked[q] = d->conf.lcores.lcore[q];
		return 0;
	}
	RTE_LCORE_FOREACH_WORKER(lc)
		if (q < pairs && !atomic_load(&slots[lc].task))
			picked[q++] = lc;
	if (q < pairs) {
		LOG(ERR, "device %s: no free lcore: %u queue pair(s) need %u, %u free (give EAL "
		    "more lcores, e.g. -l 0-N, or del a device)\n", d->conf.name, pairs, pairs, q);
		return -ENOSPC;
	}
	return 0;
}

int vdnet_fwd_add(struct vdnet *v, struct vdnet_dev *d)
{
	unsigned int di = (unsigned int)(d - v->dev), picked[VDN_NET_MAX_QUEUE_PAIRS];
	struct vdn_net_info info;
	uint16_t q;
	int rc = 0;

	if (di >= VDNET_MAX_DEVICES || !d->net)
		return -EINVAL;
	vdn_net_info(d->net, &info);
	pthread_mutex_lock(&fwd_lock);
	for (uint16_t i = 0; i < VDN_NET_MAX_QUEUE_PAIRS; i++)
		if (tasks[di][i].d) {
			rc = -EBUSY;
			goto out;
		}
	/* the kernel may have given fewer pairs than queues= asked (no MQ):
	 * those are served by the first lcores of the map */
	rc = pick(d, info.max_queue_pairs, picked);
	if (rc)
		goto out;
	/* every pair's hand-off ring exists before any of its lcores runs */
	for (q = 0; q < info.max_queue_pairs && info.max_queue_pairs > 1; q++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "vdnet_ho_%u_%u", di, q);
		tasks[di][q].handoff = rte_ring_create(name, HANDOFF_SIZE,
						       rte_eth_dev_socket_id(d->port_id),
						       RING_F_SC_DEQ);
		if (!tasks[di][q].handoff) {
			rc = -rte_errno;
			LOG(ERR, "device %s: cannot create hand-off ring %s: %s\n", d->conf.name,
			    name, rte_strerror(rte_errno));
			free_rings(di);
			goto out;
		}
	}
	for (q = 0; q < info.max_queue_pairs; q++) {
		struct fwd_task *t = &tasks[di][q];

		*t = (struct fwd_task){ .v = v, .d = d, .di = di, .qp = q, .lcore = picked[q],
					.handoff = t->handoff };
		atomic_store(&slots[picked[q]].task, t);
		LOG(INFO, "lcore %u serves %s queue pair %u (port %u queue %u)%s\n", picked[q],
		    d->conf.name, q, d->port_id, q, d->conf.lcores.n ? " as lcores= asks" : "");
	}
	vdnet_stats_start(v, di);
out:
	pthread_mutex_unlock(&fwd_lock);
	return rc;
}

int vdnet_fwd_del(struct vdnet *v, struct vdnet_dev *d)
{
	unsigned int di = (unsigned int)(d - v->dev);
	int rc;

	if (di >= VDNET_MAX_DEVICES)
		return -EINVAL;
	pthread_mutex_lock(&fwd_lock);
	rc = unassign(di);
	if (!rc)
		free_rings(di);
	pthread_mutex_unlock(&fwd_lock);
	return rc;
}

int vdnet_fwd_start(struct vdnet *v)
{
	unsigned int lc;
	int rc;

	/* devices with an lcores= map first: one without must not take the
	 * lcores a later one asks for */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned int i = 0; i < v->n_dev; i++) {
			bool mapped = v->dev[i].conf.lcores.n > 0;

			if (!v->dev[i].net || mapped != (pass == 0))
				continue;
			rc = vdnet_fwd_add(v, &v->dev[i]);
			if (rc)
				return rc;
		}
	/* idle workers too: they take devices added at runtime */
	RTE_LCORE_FOREACH_WORKER(lc) {
		rc = rte_eal_remote_launch(fwd_main, v, lc);
		if (rc)
			return rc;
		launched = true;
	}
	return 0;
}

void vdnet_fwd_stop(struct vdnet *v)
{
	atomic_store(&v->quit, true);
	rte_eal_mp_wait_lcore();
	pthread_mutex_lock(&fwd_lock);
	launched = false;
	for (unsigned int di = 0; di < VDNET_MAX_DEVICES; di++) {
		unassign(di);
		free_rings(di);
	}
	pthread_mutex_unlock(&fwd_lock);
}

int vdnet_fwd_info(unsigned int lcore, struct vdnet_fwd_info *fi)
{
	const struct fwd_task *t;
	int rc = -ENOENT;

	if (lcore >= RTE_MAX_LCORE)
		return -ENOENT;
	pthread_mutex_lock(&fwd_lock);
	t = atomic_load(&slots[lcore].task);
	if (t) {
		fi->dev = t->d;
		fi->qp = t->qp;
		fi->port_tx_drops = t->port_tx_drops;
		fi->handoff_drops = t->handoff_drops;
		fi->busy_cycles = slots[lcore].busy_cycles;
		fi->idle_cycles = slots[lcore].idle_cycles;
		rc = 0;
	}
	pthread_mutex_unlock(&fwd_lock);
	return rc;
}

int vdnet_fwd_lcore(struct vdnet *v, const struct vdnet_dev *d, uint16_t qp)
{
	unsigned int di = (unsigned int)(d - v->dev);
	int lc = -ENOENT;

	if (di >= VDNET_MAX_DEVICES || qp >= VDN_NET_MAX_QUEUE_PAIRS)
		return -EINVAL;
	pthread_mutex_lock(&fwd_lock);
	if (tasks[di][qp].d == d)
		lc = (int)tasks[di][qp].lcore;
	pthread_mutex_unlock(&fwd_lock);
	return lc;
}

uint64_t vdnet_fwd_handoff_drops(unsigned int di, uint16_t qp)
{
	uint64_t n = 0;

	if (di >= VDNET_MAX_DEVICES || qp >= VDN_NET_MAX_QUEUE_PAIRS)
		return 0;
	pthread_mutex_lock(&fwd_lock);
	if (tasks[di][qp].d)
		n = tasks[di][qp].handoff_drops;
	pthread_mutex_unlock(&fwd_lock);
	return n;
}
