/* SPDX-License-Identifier: BSD-3-Clause */
/* The DPDK port behind a device: resolve it, give it one RX/TX queue per
 * device queue pair, and an mbuf pool on its NUMA socket. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vdnet.h"

#define NB_MBUF 8191
#define MBUF_CACHE 256
#define RING_SIZE 512
/* what the device model can leave to the port (vdn_net.h); chained mbufs
 * carry the TSO frames it hands over whole */
#define TX_OFFLOADS (RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
		     RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | \
		     RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
#define RX_OFFLOADS (RTE_ETH_RX_OFFLOAD_TCP_LRO | RTE_ETH_RX_OFFLOAD_TCP_CKSUM | \
		     RTE_ETH_RX_OFFLOAD_UDP_CKSUM)

static struct rte_mempool *pools[RTE_MAX_NUMA_NODES];

static struct rte_mempool *socket_pool(int socket)
{
	char name[32];

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	if (pools[socket])
		return pools[socket];
	snprintf(name, sizeof(name), "vdnet_mbuf_s%d", socket);
	pools[socket] = rte_pktmbuf_pool_create(name, NB_MBUF, MBUF_CACHE, 0,
						RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	return pools[socket];
}

int vdnet_port_resolve(const char *spec, uint16_t *port)
{
	char *end;
	unsigned long id = strtoul(spec, &end, 10);

	if (*spec && !*end) {
		if (id >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(id))
			return -ENODEV;
		*port = id;
		return 0;
	}
	return rte_eth_dev_get_port_by_name(spec, port) ? -ENODEV : 0;
}

static void list_ports(void)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t p;
	int n = 0;

	RTE_ETH_FOREACH_DEV(p) {
		if (rte_eth_dev_get_name_by_port(p, name) == 0) {
			LOG(ERR, "  port %u: %s\n", p, name);
			n++;
		}
	}
	if (!n)
		LOG(ERR, "  no ports at all: add one with EAL's --vdev (e.g. --vdev net_af_xdp0,iface=eth1) "
		    "or bind a NIC\n");
}

int vdnet_port_setup(struct vdnet_dev *d)
{
	struct vdn_net_info info;
	struct rte_eth_dev_info di;
	struct rte_eth_conf pc;
	uint16_t nrx = RING_SIZE, ntx = RING_SIZE, q;
	int rc, socket;

	if (vdnet_port_resolve(d->conf.port, &d->port_id)) {
		LOG(ERR, "device %s: no such port '%s'; ports known:\n", d->conf.name, d->conf.port);
		list_ports();
		return -ENODEV;
	}
	vdn_net_info(d->net, &info);
	rc = rte_eth_dev_info_get(d->port_id, &di);
	if (rc)
		return rc;
	if (info.max_queue_pairs > di.max_rx_queues || info.max_queue_pairs > di.max_tx_queues) {
		LOG(ERR, "device %s: port %s has %u rx / %u tx queues, %u needed "
		    "(for af_xdp add queue_count=N to --vdev)\n", d->conf.name, d->conf.port,
		    di.max_rx_queues, di.max_tx_queues, info.max_queue_pairs);
		return -EINVAL;
	}
	socket = rte_eth_dev_socket_id(d->port_id);
	d->mp = socket_pool(socket);
	if (!d->mp) {
		LOG(ERR, "cannot create the mbuf pool on socket %d: %s\n", socket,
		    rte_strerror(rte_errno));
		return -ENOMEM;
	}

	memset(&pc, 0, sizeof(pc));
	if (info.max_queue_pairs > 1 && di.flow_type_rss_offloads) {
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf = di.flow_type_rss_offloads &
						 (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	/* whatever of segmentation and checksumming the port can do, the
	 * device leaves to it (vdn_net_set_port_offloads) */
	pc.txmode.offloads = di.tx_offload_capa & TX_OFFLOADS;
	/* and what it can hand in whole or unfinished, the device passes on
	 * (or finishes for a driver that cannot take it) */
	pc.rxmode.offloads = di.rx_offload_capa & RX_OFFLOADS;
	if (pc.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO)
		pc.rxmode.max_lro_pkt_size = di.max_lro_pkt_size;
	rc = rte_eth_dev_configure(d->port_id, info.max_queue_pairs, info.max_queue_pairs, &pc);
	if (rc) {
		LOG(ERR, "port %s: configure failed: %s\n", d->conf.port, strerror(-rc));
		return rc;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(d->port_id, &nrx, &ntx);
	for (q = 0; q < info.max_queue_pairs; q++) {
		rc = rte_eth_rx_queue_setup(d->port_id, q, nrx, socket, NULL, d->mp);
		if (!rc)
			rc = rte_eth_tx_queue_setup(d->port_id, q, ntx, socket, NULL);
		if (rc) {
			LOG(ERR, "port %s: queue %u setup failed: %s\n", d->conf.port, q, strerror(-rc));
			return rc;
		}
	}
	rc = vdn_net_set_port_offloads(d->net, pc.txmode.offloads, pc.rxmode.offloads);
	if (rc)
		return rc;
	d->port_tx_offloads = pc.txmode.offloads;
	d->port_rx_offloads = pc.rxmode.offloads;
	if (pc.txmode.offloads)
		LOG(INFO, "device %s: port %s takes tx offloads 0x%" PRIx64 " (tso %s, tcp csum %s, "
		    "udp csum %s)\n", d->conf.name, d->conf.port, pc.txmode.offloads,
		    pc.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO ? "yes" : "no",
		    pc.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM ? "yes" : "no",
		    pc.txmode.offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM ? "yes" : "no");
	if (pc.rxmode.offloads)
		LOG(INFO, "device %s: port %s gives rx offloads 0x%" PRIx64 " (lro %s, tcp csum %s, "
		    "udp csum %s)\n", d->conf.name, d->conf.port, pc.rxmode.offloads,
		    pc.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO ? "yes" : "no",
		    pc.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM ? "yes" : "no",
		    pc.rxmode.offloads & RTE_ETH_RX_OFFLOAD_UDP_CKSUM ? "yes" : "no");
	rc = rte_eth_dev_start(d->port_id);
	if (rc) {
		LOG(ERR, "port %s: start failed: %s\n", d->conf.port, strerror(-rc));
		return rc;
	}
	/* frames for the device's MAC (and whatever the driver joins) must reach us */
	rte_eth_promiscuous_enable(d->port_id);
	return 0;
}

void vdnet_port_close(struct vdnet_dev *d)
{
	rte_eth_dev_stop(d->port_id);
	rte_eth_dev_close(d->port_id);
}
