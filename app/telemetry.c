/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK telemetry endpoints, read with dpdk-telemetry.py:
 *   /vdnet/devices        names of the devices served
 *   /vdnet/device,NAME    its configuration and state
 *   /vdnet/stats,NAME     its counters and rates, totals and per queue pair
 *                         (with the pair's lcore)
 *   /vdnet/filter,NAME    the RX filter the driver programmed (CVQ state) */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "cmd.h"

static struct vdnet *tv;

static int tel_devices(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd; (void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	vdnet_cmd_lock();
	for (unsigned int i = 0; i < tv->n_dev; i++)
		if (tv->dev[i].net)
			rte_tel_data_add_array_string(d, tv->dev[i].conf.name);
	vdnet_cmd_unlock();
	return 0;
}

/* The device named by the endpoint's parameter, with the command lock held
 * on success (the caller unlocks). */
static int lock_dev(const char *params, struct vdnet_dev **dev)
{
	if (!params || !*params)
		return -EINVAL;
	vdnet_cmd_lock();
	*dev = vdnet_cmd_dev(tv, params);
	if (!*dev) {
		vdnet_cmd_unlock();
		return -ENODEV;
	}
	return 0;
}

static int tel_device(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vdn_net_info info;
	struct vdnet_dev *dev;
	struct rte_tel_data *lcores;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], port[RTE_ETH_NAME_MAX_LEN] = "", map[96];
	int rc;

	(void)cmd;
	rc = lock_dev(params, &dev);
	if (rc)
		return rc;
	vdn_net_info(dev->net, &info);
	rte_ether_format_addr(mac, sizeof(mac), &info.mac);
	rte_eth_dev_get_name_by_port(dev->port_id, port);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", dev->conf.name);
	rte_tel_data_add_dict_string(d, "bus", vdn_vdpa_bus_name(dev->conf.bus));
	rte_tel_data_add_dict_string(d, "netdev", dev->netdev);
	rte_tel_data_add_dict_string(d, "netns", dev->conf.netns);
	rte_tel_data_add_dict_string(d, "vhost", dev->vhost_path);
	rte_tel_data_add_dict_string(d, "port", port);
	rte_tel_data_add_dict_int(d, "port_id", dev->port_id);
	rte_tel_data_add_dict_string(d, "mac", mac);
	rte_tel_data_add_dict_int(d, "mtu", info.mtu);
	rte_tel_data_add_dict_string(d, "link", info.link_up ? "up" : "down");
	rte_tel_data_add_dict_int(d, "status", info.status);
	rte_tel_data_add_dict_int(d, "queue_pairs", info.active_queue_pairs);
	rte_tel_data_add_dict_int(d, "max_queue_pairs", info.max_queue_pairs);
	rte_tel_data_add_dict_int(d, "rx_queues_set", atomic_load(&dev->rx_queues));
	rte_tel_data_add_dict_int(d, "cvq", info.cvq);
	rte_tel_data_add_dict_u64(d, "features_offered", info.features_offered);
	rte_tel_data_add_dict_u64(d, "features_negotiated", info.features_driver);
	rte_tel_data_add_dict_string(d, "datapath",
				     atomic_load(&tv->dp_stopped) ? "stopped" : "running");
	vdnet_lcores_format(&dev->conf.lcores, map, sizeof(map));
	rte_tel_data_add_dict_string(d, "lcores_map", map);
	lcores = rte_tel_data_alloc();
	if (lcores) {
		rte_tel_data_start_array(lcores, RTE_TEL_INT_VAL);
		/* the lcore of each queue pair, -1 none */
		for (uint16_t q = 0; q < info.max_queue_pairs; q++) {
			int lc = vdnet_fwd_lcore(tv, dev, q);

			rte_tel_data_add_array_int(lcores, lc < 0 ? -1 : lc);
		}
		rte_tel_data_add_dict_container(d, "lcores", lcores, 0);
	}
	vdnet_cmd_unlock();
	return 0;
}

static void add_counters(struct rte_tel_data *d, const struct vdn_net_q_stats *s,
			 const struct vdnet_rates *r, uint64_t handoff)
{
	char key[64];

	rte_tel_data_add_dict_u64(d, "rx_pps", (uint64_t)(r->rx_pps + 0.5));
	rte_tel_data_add_dict_u64(d, "rx_bps", (uint64_t)(r->rx_bps + 0.5));
	rte_tel_data_add_dict_u64(d, "tx_pps", (uint64_t)(r->tx_pps + 0.5));
	rte_tel_data_add_dict_u64(d, "tx_bps", (uint64_t)(r->tx_bps + 0.5));
	rte_tel_data_add_dict_u64(d, "gso_segs", s->gso_segs);
	rte_tel_data_add_dict_u64(d, "gro_frames", s->gro_frames);
	rte_tel_data_add_dict_u64(d, "gro_segs", s->gro_segs);
	rte_tel_data_add_dict_u64(d, "tso_out", s->tso_out);
	rte_tel_data_add_dict_u64(d, "csum_out", s->csum_out);
	rte_tel_data_add_dict_u64(d, "lro_in", s->lro_in);
	rte_tel_data_add_dict_u64(d, "rx_packets", s->rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", s->rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", s->tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", s->tx_bytes);
	rte_tel_data_add_dict_u64(d, "irqs", s->irqs);
	rte_tel_data_add_dict_u64(d, "sw_csum", s->sw_csum);
	for (int why = 0; why < VDN_NET_DROP__COUNT; why++) {
		snprintf(key, sizeof(key), "drop_%s", vdn_net_drop_str(why));
		for (char *k = key; *k; k++)
			if (*k == '-')
				*k = '_';
		rte_tel_data_add_dict_u64(d, key, s->drop[why]);
	}
	rte_tel_data_add_dict_u64(d, "drop_handoff_full", handoff);
	for (int e = 0; e < VDN_VRING_E__COUNT; e++) {
		snprintf(key, sizeof(key), "chain_err_%s", vdn_vring_err_str(e));
		for (char *k = key; *k; k++)
			if (*k == '-')
				*k = '_';
		rte_tel_data_add_dict_u64(d, key, s->chain_err[e]);
	}
	rte_tel_data_add_dict_u64(d, "vq_broken", s->vq_broken);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vdn_net_q_stats s, tot = { 0 };
	struct vdnet_rates r, rtot = { 0 };
	struct vdn_net_info info;
	struct vdnet_dev *dev;
	uint64_t ho, hotot = 0;
	unsigned int i;
	int rc, lc;

	(void)cmd;
	rc = lock_dev(params, &dev);
	if (rc)
		return rc;
	i = vdnet_cmd_dev_index(tv, dev);
	vdn_net_info(dev->net, &info);
	rte_tel_data_start_dict(d);
	for (uint16_t q = 0; q < info.max_queue_pairs; q++) {
		struct rte_tel_data *qd;
		char key[16];

		if (vdnet_stats_get(tv, i, q, &s) || vdnet_stats_rates(tv, i, q, &r))
			continue;
		ho = vdnet_stats_handoff(tv, i, q);
		hotot += ho;
		vdnet_stats_add(&tot, &s);
		vdnet_rates_add(&rtot, &r);
		qd = rte_tel_data_alloc();
		if (!qd)
			continue;
		rte_tel_data_start_dict(qd);
		add_counters(qd, &s, &r, ho);
		lc = vdnet_fwd_lcore(tv, dev, q);
		rte_tel_data_add_dict_int(qd, "lcore", lc < 0 ? -1 : lc);
		snprintf(key, sizeof(key), "qp%u", q);
		rte_tel_data_add_dict_container(d, key, qd, 0);
	}
	add_counters(d, &tot, &rtot, hotot);
	vdnet_cmd_unlock();
	return 0;
}

/* Telemetry caps an array's entries: the first of a long VLAN table, and
 * its length beside it. */
#define TEL_MAX_VLANS 256

static struct rte_tel_data *mac_array(const struct rte_ether_addr *t, uint16_t n)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	if (!a)
		return NULL;
	rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
	for (uint16_t i = 0; i < n; i++) {
		rte_ether_format_addr(mac, sizeof(mac), &t[i]);
		rte_tel_data_add_array_string(a, mac);
	}
	return a;
}

static int tel_filter(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vdn_net_filter_state fs;
	struct rte_tel_data *a;
	struct vdn_net_info info;
	struct vdnet_dev *dev;
	const char *name;
	int rc, on, n = 0;

	(void)cmd;
	rc = lock_dev(params, &dev);
	if (rc)
		return rc;
	vdn_net_info(dev->net, &info);
	vdn_net_filter_get(dev->net, &fs);
	vdnet_cmd_unlock();
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "cvq", info.cvq);
	for (unsigned int k = 0; (on = vdnet_rx_mode(&fs, k, &name)) >= 0; k++)
		rte_tel_data_add_dict_int(d, name, on);
	rte_tel_data_add_dict_int(d, "uni_overflow", fs.uni_overflow);
	rte_tel_data_add_dict_int(d, "multi_overflow", fs.multi_overflow);
	rte_tel_data_add_dict_int(d, "vlan_filter", fs.vlan_filter);
	a = mac_array(fs.uni, fs.n_uni);
	if (a)
		rte_tel_data_add_dict_container(d, "mac_unicast", a, 0);
	a = mac_array(fs.multi, fs.n_multi);
	if (a)
		rte_tel_data_add_dict_container(d, "mac_multicast", a, 0);
	a = rte_tel_data_alloc();
	if (a)
		rte_tel_data_start_array(a, RTE_TEL_INT_VAL);
	for (unsigned int id = 0; id < 4096; id++)
		if (fs.vlans[id / 64] & (1ULL << (id % 64)) && n++ < TEL_MAX_VLANS && a)
			rte_tel_data_add_array_int(a, (int)id);
	if (a)
		rte_tel_data_add_dict_container(d, "vlans", a, 0);
	rte_tel_data_add_dict_int(d, "vlan_count", n);
	return 0;
}

int vdnet_telemetry_init(struct vdnet *v)
{
	int rc;

	tv = v;
	rc = rte_telemetry_register_cmd("/vdnet/devices", tel_devices,
					"Names of the vduse-net devices vdnet serves. Takes no parameters");
	if (!rc)
		rc = rte_telemetry_register_cmd("/vdnet/device", tel_device,
						"A device's configuration and state. Parameters: NAME");
	if (!rc)
		rc = rte_telemetry_register_cmd("/vdnet/stats", tel_stats,
						"A device's counters and rates, total and per queue "
						"pair. Parameters: NAME");
	if (!rc)
		rc = rte_telemetry_register_cmd("/vdnet/filter", tel_filter,
						"A device's RX filter as its driver programmed it "
						"over the control queue. Parameters: NAME");
	return rc;
}
