/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands that show state: devices, one device, stats, ports, lcores;
 * each in a fixed text layout or as JSON (--json / format json). */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <linux/virtio_config.h>

#include "cmd.h"

static struct vdnet_fwd_info lcore_snap[RTE_MAX_LCORE]; /* load since the previous look */

static const char *const feature_names[64] = {
	[0] = "CSUM", [1] = "GUEST_CSUM", [2] = "CTRL_GUEST_OFFLOADS", [3] = "MTU", [5] = "MAC",
	[7] = "GUEST_TSO4", [8] = "GUEST_TSO6", [9] = "GUEST_ECN", [10] = "GUEST_UFO",
	[11] = "HOST_TSO4", [12] = "HOST_TSO6", [13] = "HOST_ECN", [14] = "HOST_UFO",
	[15] = "MRG_RXBUF", [16] = "STATUS", [17] = "CTRL_VQ", [18] = "CTRL_RX",
	[19] = "CTRL_VLAN", [20] = "CTRL_RX_EXTRA", [21] = "GUEST_ANNOUNCE", [22] = "MQ",
	[23] = "CTRL_MAC_ADDR", [28] = "INDIRECT_DESC", [29] = "EVENT_IDX", [32] = "VERSION_1",
	[33] = "ACCESS_PLATFORM", [34] = "RING_PACKED", [35] = "IN_ORDER",
	[36] = "ORDER_PLATFORM", [37] = "SR_IOV", [38] = "NOTIFICATION_DATA", [41] = "RING_RESET",
	[61] = "RSC_EXT", [62] = "STANDBY", [63] = "SPEED_DUPLEX",
};

const char *vdnet_feature_name(unsigned int bit)
{
	return bit < 64 && feature_names[bit] ? feature_names[bit] : "";
}

static void features_text(FILE *f, uint64_t feat)
{
	fprintf(f, "0x%016" PRIx64, feat);
	for (unsigned int b = 0; b < 64; b++)
		if (feat & (1ULL << b)) {
			if (feature_names[b])
				fprintf(f, " %s", feature_names[b]);
			else
				fprintf(f, " bit%u", b);
		}
	fputc('\n', f);
}

static void features_json(FILE *f, uint64_t feat)
{
	int n = 0;

	fprintf(f, "{\"bits\": \"0x%016" PRIx64 "\", \"names\": [", feat);
	for (unsigned int b = 0; b < 64; b++)
		if (feat & (1ULL << b)) {
			if (feature_names[b])
				fprintf(f, "%s\"%s\"", n++ ? ", " : "", feature_names[b]);
			else
				fprintf(f, "%s\"bit%u\"", n++ ? ", " : "", b);
		}
	fprintf(f, "]}");
}

static void status_text(FILE *f, uint8_t st)
{
	static const struct { uint8_t bit; const char *name; } bits[] = {
		{ VIRTIO_CONFIG_S_ACKNOWLEDGE, "ACKNOWLEDGE" }, { VIRTIO_CONFIG_S_DRIVER, "DRIVER" },
		{ VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK" },
		{ VIRTIO_CONFIG_S_DRIVER_OK, "DRIVER_OK" },
		{ VIRTIO_CONFIG_S_NEEDS_RESET, "NEEDS_RESET" }, { VIRTIO_CONFIG_S_FAILED, "FAILED" },
	};

	fprintf(f, "0x%02x", st);
	for (size_t i = 0; i < RTE_DIM(bits); i++)
		if (st & bits[i].bit)
			fprintf(f, " %s", bits[i].name);
	if (!st)
		fprintf(f, " (reset)");
	fputc('\n', f);
}

/* Pairs host -> driver traffic is spread over now (fwd.c's rule). */
static uint16_t rx_spread(const struct vdnet_dev *d, const struct vdn_net_info *info)
{
	uint16_t lim = atomic_load(&d->rx_queues);

	return lim && lim < info->active_queue_pairs ? lim : info->active_queue_pairs;
}

static const struct {
	const char *name;
	size_t off;
} rx_modes[] = {
	{ "promisc", offsetof(struct vdn_net_filter_state, promisc) },
	{ "allmulti", offsetof(struct vdn_net_filter_state, allmulti) },
	{ "alluni", offsetof(struct vdn_net_filter_state, alluni) },
	{ "nomulti", offsetof(struct vdn_net_filter_state, nomulti) },
	{ "nouni", offsetof(struct vdn_net_filter_state, nouni) },
	{ "nobcast", offsetof(struct vdn_net_filter_state, nobcast) },
};

int vdnet_rx_mode(const struct vdn_net_filter_state *fs, unsigned int k, const char **name)
{
	if (k >= RTE_DIM(rx_modes))
		return -1;
	*name = rx_modes[k].name;
	return *(const bool *)((const char *)fs + rx_modes[k].off);
}

static bool vlan_on(const struct vdn_net_filter_state *fs, unsigned int id)
{
	return fs->vlans[id / 64] & (1ULL << (id % 64));
}

static void macs_text(FILE *f, const struct rte_ether_addr *t, uint16_t n, bool overflow)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	for (uint16_t i = 0; i < n; i++) {
		rte_ether_format_addr(mac, sizeof(mac), &t[i]);
		fprintf(f, "%s%s", i ? " " : "", mac);
	}
	fprintf(f, "%s%s\n", n ? "" : "-", overflow ? " (overflow: all pass)" : "");
}

static void filter_text(FILE *f, const struct vdn_net_info *info,
			const struct vdn_net_filter_state *fs)
{
	const char *name;
	int n = 0;

	if (!info->cvq)
		fprintf(f, "  %-20s none: no control queue (the kernel refused CTRL_VQ), so the "
			"driver cannot program MAC/VLAN/RX-mode filters; nothing is filtered\n",
			"cvq state");
	fprintf(f, "  %-20s", "rx mode");
	for (unsigned int k = 0; k < RTE_DIM(rx_modes); k++)
		fprintf(f, " %s=%d", rx_modes[k].name, vdnet_rx_mode(fs, k, &name));
	fprintf(f, "\n  %-20s ", "mac table unicast");
	macs_text(f, fs->uni, fs->n_uni, fs->uni_overflow);
	fprintf(f, "  %-20s ", "mac table multicast");
	macs_text(f, fs->multi, fs->n_multi, fs->multi_overflow);
	fprintf(f, "  %-20s ", "vlan filter");
	if (!fs->vlan_filter) {
		fprintf(f, "off (CTRL_VLAN not negotiated: tagged frames pass)\n");
		return;
	}
	/* ranges keep a long table on one line */
	for (unsigned int id = 0; id < 4096; id++) {
		unsigned int end = id;

		if (!vlan_on(fs, id))
			continue;
		while (end + 1 < 4096 && vlan_on(fs, end + 1))
			end++;
		fprintf(f, "%s%u", n++ ? "," : "", id);
		if (end > id)
			fprintf(f, "-%u", end);
		id = end;
	}
	fprintf(f, "%s\n", n ? "" : "on, no VLAN ids (tagged frames dropped)");
}

static void macs_json(FILE *f, const struct rte_ether_addr *t, uint16_t n)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	fputc('[', f);
	for (uint16_t i = 0; i < n; i++) {
		rte_ether_format_addr(mac, sizeof(mac), &t[i]);
		fprintf(f, "%s\"%s\"", i ? ", " : "", mac);
	}
	fputc(']', f);
}

static void filter_json(FILE *f, const struct vdn_net_filter_state *fs)
{
	const char *name;
	int n = 0;

	fprintf(f, "{\"rx_mode\": {");
	for (unsigned int k = 0; k < RTE_DIM(rx_modes); k++) {
		int on = vdnet_rx_mode(fs, k, &name);

		fprintf(f, "%s\"%s\": %s", k ? ", " : "", name, on > 0 ? "true" : "false");
	}
	fprintf(f, "}, \"mac_unicast\": ");
	macs_json(f, fs->uni, fs->n_uni);
	fprintf(f, ", \"mac_multicast\": ");
	macs_json(f, fs->multi, fs->n_multi);
	fprintf(f, ", \"uni_overflow\": %s, \"multi_overflow\": %s, \"vlan_filter\": %s, "
		"\"vlans\": [", fs->uni_overflow ? "true" : "false",
		fs->multi_overflow ? "true" : "false", fs->vlan_filter ? "true" : "false");
	for (unsigned int id = 0; id < 4096; id++)
		if (vlan_on(fs, id))
			fprintf(f, "%s%u", n++ ? ", " : "", id);
	fprintf(f, "]}");
}

static const char *attached(const struct vdnet_dev *d)
{
	return d->netdev[0] ? d->netdev : d->vhost_path[0] ? d->vhost_path : "-";
}

/* "lcores": the lcore of each queue pair (-1: none); "lcores_map": the
 * lcores= list ("" without one), which may name more than the kernel
 * granted pairs. */
static void lcores_json(FILE *f, struct vdnet *v, struct vdnet_dev *d,
			const struct vdn_net_info *info)
{
	char map[96];

	fprintf(f, ", \"lcores\": [");
	for (uint16_t q = 0; q < info->max_queue_pairs; q++) {
		int lc = vdnet_fwd_lcore(v, d, q);

		fprintf(f, "%s%d", q ? ", " : "", lc < 0 ? -1 : lc);
	}
	vdnet_lcores_format(&d->conf.lcores, map, sizeof(map));
	fprintf(f, "], \"lcores_map\": ");
	vdnet_json_str(f, map);
}

static void lcores_text(FILE *f, struct vdnet *v, struct vdnet_dev *d,
			const struct vdn_net_info *info)
{
	fprintf(f, "  %-20s", "lcores");
	for (uint16_t q = 0; q < info->max_queue_pairs; q++) {
		int lc = vdnet_fwd_lcore(v, d, q);

		if (lc < 0)
			fprintf(f, " qp%u:-", q);
		else
			fprintf(f, " qp%u:%d", q, lc);
	}
	fprintf(f, " (%s)\n", d->conf.lcores.n ? "as lcores= maps them" :
		"the first free workers: no lcores=");
}

static void dev_json(FILE *f, struct vdnet *v, struct vdnet_dev *d, bool full)
{
	struct vdn_net_info info;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], port[RTE_ETH_NAME_MAX_LEN] = "";

	vdn_net_info(d->net, &info);
	rte_ether_format_addr(mac, sizeof(mac), &info.mac);
	rte_eth_dev_get_name_by_port(d->port_id, port);
	fprintf(f, "{\"name\": ");
	vdnet_json_str(f, d->conf.name);
	fprintf(f, ", \"bus\": \"%s\", \"mac\": \"%s\", \"mtu\": %u, \"link\": \"%s\", "
		"\"status\": %u, \"queue_pairs\": %u, \"max_queue_pairs\": %u, \"netdev\": ",
		vdn_vdpa_bus_name(d->conf.bus), mac, info.mtu, info.link_up ? "up" : "down",
		info.status, info.active_queue_pairs, info.max_queue_pairs);
	vdnet_json_str(f, d->netdev);
	fprintf(f, ", \"netns\": ");
	vdnet_json_str(f, d->conf.netns);
	fprintf(f, ", \"vhost\": ");
	vdnet_json_str(f, d->vhost_path);
	fprintf(f, ", \"port\": ");
	vdnet_json_str(f, port);
	fprintf(f, ", \"port_id\": %u", d->port_id);
	if (full) {
		struct vdn_net_filter_state fs;

		fprintf(f, ", \"rx_queues\": %u, \"rx_queues_set\": %u, \"cvq\": %s, "
			"\"failed\": %s, \"datapath\": \"%s\", \"features_offered\": ",
			rx_spread(d, &info), atomic_load(&d->rx_queues), info.cvq ? "true" : "false",
			atomic_load(&d->failed) ? "true" : "false",
			atomic_load(&v->dp_stopped) ? "stopped" : "running");
		features_json(f, info.features_offered);
		fprintf(f, ", \"features_negotiated\": ");
		features_json(f, info.features_driver);
		vdn_net_filter_get(d->net, &fs);
		fprintf(f, ", \"filter\": ");
		filter_json(f, &fs);
		lcores_json(f, v, d, &info);
	}
	fprintf(f, "}");
}

static int cmd_show_devices(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdnet *v = c->v;
	int n = 0;

	(void)argc; (void)argv;
	if (c->json) {
		fprintf(c->out, "{\"devices\": [");
		for (unsigned int i = 0; i < v->n_dev; i++) {
			if (!v->dev[i].net)
				continue;
			fprintf(c->out, "%s", n++ ? ", " : "");
			dev_json(c->out, v, &v->dev[i], false);
		}
		fprintf(c->out, "]}\n");
		return 0;
	}
	fprintf(c->out, "%-16s %-8s %-17s %-5s %-4s %-6s %-7s %s\n", "NAME", "BUS", "MAC", "MTU",
		"LINK", "QUEUES", "STATUS", "ATTACHED");
	for (unsigned int i = 0; i < v->n_dev; i++) {
		struct vdnet_dev *d = &v->dev[i];
		struct vdn_net_info info;
		char mac[RTE_ETHER_ADDR_FMT_SIZE], q[16];

		if (!d->net)
			continue;
		vdn_net_info(d->net, &info);
		rte_ether_format_addr(mac, sizeof(mac), &info.mac);
		snprintf(q, sizeof(q), "%u/%u", info.active_queue_pairs, info.max_queue_pairs);
		fprintf(c->out, "%-16s %-8s %-17s %-5u %-4s %-6s 0x%02x    %s%s%s\n", d->conf.name,
			vdn_vdpa_bus_name(d->conf.bus), mac, info.mtu, info.link_up ? "up" : "down",
			q, info.status, attached(d), d->conf.netns[0] ? "@" : "", d->conf.netns);
	}
	return 0;
}

static int cmd_show_device(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdnet_dev *d = vdnet_cmd_dev(c->v, argv[0]);
	char mac[RTE_ETHER_ADDR_FMT_SIZE], port[RTE_ETH_NAME_MAX_LEN] = "?";
	struct vdn_net_filter_state fs;
	struct vdn_net_info info;
	uint16_t lim;
	FILE *f = c->out;

	(void)argc;
	if (!d)
		return vdnet_cmd_fail(c, "no device named '%s' (see: show devices)", argv[0]);
	if (c->json) {
		dev_json(f, c->v, d, true);
		fputc('\n', f);
		return 0;
	}
	vdn_net_info(d->net, &info);
	rte_ether_format_addr(mac, sizeof(mac), &info.mac);
	rte_eth_dev_get_name_by_port(d->port_id, port);
	fprintf(f, "device %s\n", d->conf.name);
	fprintf(f, "  %-20s %s\n", "bus", vdn_vdpa_bus_name(d->conf.bus));
	fprintf(f, "  %-20s %s%s%s\n", "netdev", d->netdev[0] ? d->netdev : "-",
		d->conf.netns[0] ? " in netns " : "", d->conf.netns);
	fprintf(f, "  %-20s %s\n", "vhost-vdpa", d->vhost_path[0] ? d->vhost_path : "-");
	fprintf(f, "  %-20s %s (port %u)\n", "port", port, d->port_id);
	fprintf(f, "  %-20s ", "status");
	status_text(f, info.status);
	fprintf(f, "  %-20s %s\n", "link", info.link_up ? "up" : "down");
	fprintf(f, "  %-20s %s\n", "mac", mac);
	fprintf(f, "  %-20s %u\n", "mtu", info.mtu);
	fprintf(f, "  %-20s %u active, %u max\n", "queue pairs", info.active_queue_pairs,
		info.max_queue_pairs);
	lim = atomic_load(&d->rx_queues);
	fprintf(f, "  %-20s %u (set queues: %s%.0u; driver's active pairs: %u)\n", "rx queues",
		rx_spread(d, &info), lim ? "" : "all", lim, info.active_queue_pairs);
	lcores_text(f, c->v, d, &info);
	fprintf(f, "  %-20s %s\n", "control queue",
		info.cvq ? "yes" : "no (the kernel refused it)");
	fprintf(f, "  %-20s %s\n", "control channel",
		atomic_load(&d->failed) ? "FAILED (no longer served)" : "ok");
	fprintf(f, "  %-20s %s\n", "datapath",
		atomic_load(&c->v->dp_stopped) ? "stopped" : "running");
	fprintf(f, "  %-20s ", "features offered");
	features_text(f, info.features_offered);
	fprintf(f, "  %-20s ", "features negotiated");
	features_text(f, info.features_driver);
	vdn_net_filter_get(d->net, &fs);
	filter_text(f, &info, &fs);
	return 0;
}

/* Why chains were malformed (lib/vring's reasons) and broken queues. */
static void chain_json(FILE *f, const struct vdn_net_q_stats *s)
{
	fprintf(f, "\"chain_errors\": {");
	for (int r = 0; r < VDN_VRING_E__COUNT; r++)
		fprintf(f, "%s\"%s\": %" PRIu64, r ? ", " : "", vdn_vring_err_str(r), s->chain_err[r]);
	fprintf(f, "}, \"vq_broken\": %" PRIu64, s->vq_broken);
}

static void counters_json(FILE *f, const struct vdn_net_q_stats *s, const struct vdnet_rates *r,
			  uint64_t handoff)
{
	fprintf(f, "\"rx_packets\": %" PRIu64 ", \"rx_bytes\": %" PRIu64 ", \"tx_packets\": %"
		PRIu64 ", \"tx_bytes\": %" PRIu64 ", \"rx_pps\": %.0f, \"rx_bps\": %.0f, "
		"\"tx_pps\": %.0f, \"tx_bps\": %.0f, \"irqs\": %" PRIu64 ", \"sw_csum\": %" PRIu64
		", \"gso_segs\": %" PRIu64 ", \"gro_frames\": %" PRIu64 ", \"gro_segs\": %" PRIu64
		", \"tso_out\": %" PRIu64 ", \"csum_out\": %" PRIu64 ", \"lro_in\": %" PRIu64
		", \"drops\": {", s->rx_packets, s->rx_bytes, s->tx_packets, s->tx_bytes, r->rx_pps,
		r->rx_bps, r->tx_pps, r->tx_bps, s->irqs, s->sw_csum, s->gso_segs, s->gro_frames,
		s->gro_segs, s->tso_out, s->csum_out, s->lro_in);
	for (int k = 0; k < VDN_NET_DROP__COUNT; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "", vdn_net_drop_str(k), s->drop[k]);
	fprintf(f, ", \"%s\": %" PRIu64 "}", VDNET_DROP_HANDOFF, handoff);
}

static void stats_json(FILE *f, struct vdnet *v, unsigned int i)
{
	struct vdnet_dev *d = &v->dev[i];
	struct vdn_net_q_stats s, tot = { 0 };
	struct vdnet_rates r, rtot = { 0 };
	struct vdn_net_info info;
	uint64_t ho, hotot = 0;

	vdn_net_info(d->net, &info);
	fprintf(f, "{\"name\": ");
	vdnet_json_str(f, d->conf.name);
	fprintf(f, ", \"queues\": [");
	for (uint16_t q = 0; q < info.max_queue_pairs; q++) {
		if (vdnet_stats_get(v, i, q, &s) || vdnet_stats_rates(v, i, q, &r))
			continue;
		ho = vdnet_stats_handoff(v, i, q);
		hotot += ho;
		fprintf(f, "%s{\"qp\": %u, ", q ? ", " : "", q);
		counters_json(f, &s, &r, ho);
		fprintf(f, ", ");
		chain_json(f, &s);
		fprintf(f, "}");
		vdnet_stats_add(&tot, &s);
		vdnet_rates_add(&rtot, &r);
	}
	fprintf(f, "], \"total\": {");
	counters_json(f, &tot, &rtot, hotot);
	fprintf(f, ", ");
	chain_json(f, &tot);
	fprintf(f, "}}");
}

static int cmd_show_stats(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdnet *v = c->v;
	const char *name = argc ? argv[0] : NULL;
	int n = 0;

	if (name && !vdnet_cmd_dev(v, name))
		return vdnet_cmd_fail(c, "no device named '%s' (see: show devices)", name);
	if (!c->json) {
		vdnet_stats_print(c->out, v, name);
		return 0;
	}
	fprintf(c->out, "{\"devices\": [");
	for (unsigned int i = 0; i < v->n_dev; i++) {
		if (!v->dev[i].net || (name && strcmp(name, v->dev[i].conf.name)))
			continue;
		fprintf(c->out, "%s", n++ ? ", " : "");
		stats_json(c->out, v, i);
	}
	fprintf(c->out, "]}\n");
	return 0;
}

static int cmd_clear_stats(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdnet *v = c->v;

	(void)argc; (void)argv;
	vdnet_stats_clear(v);
	for (unsigned int i = 0; i < v->n_dev; i++)
		if (v->dev[i].net)
			rte_eth_stats_reset(v->dev[i].port_id);
	fprintf(c->out, "stats cleared (devices and their ports)\n");
	return 0;
}

static int resolve_port(struct vdnet *v, const char *s, uint16_t *port)
{
	struct vdnet_dev *d = vdnet_cmd_dev(v, s);
	char *end;
	unsigned long id;

	if (d) {
		*port = d->port_id;
		return 0;
	}
	id = strtoul(s, &end, 10);
	if (*s && !*end)
		return id < RTE_MAX_ETHPORTS && rte_eth_dev_is_valid_port(id) ?
		       (*port = id, 0) : -ENODEV;
	return rte_eth_dev_get_port_by_name(s, port) ? -ENODEV : 0;
}

/* The offloads in `bits` by DPDK's names, comma-separated ("" none). */
static void offload_names(char *buf, size_t len, uint64_t bits, bool tx)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned int b = 0; b < 64 && at < len; b++) {
		uint64_t f = 1ULL << b;

		if (bits & f)
			at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "," : "",
					       tx ? rte_eth_dev_tx_offload_name(f)
						  : rte_eth_dev_rx_offload_name(f));
	}
}

static int cmd_show_port(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	char name[RTE_ETH_NAME_MAX_LEN] = "?", users[128] = "", txo[256], rxo[256];
	uint64_t txb = 0, rxb = 0;
	struct rte_eth_dev_info di;
	struct rte_eth_stats st;
	struct rte_eth_link link;
	struct vdnet_fwd_info fi;
	uint64_t tx_full = 0;
	uint16_t port;
	unsigned int lc;
	int rc;

	(void)argc;
	if (resolve_port(c->v, argv[0], &port))
		return vdnet_cmd_fail(c, "no port or device '%s' (a port id, an ethdev name such as "
				      "net_af_xdp0, or a device name)", argv[0]);
	rte_eth_dev_get_name_by_port(port, name);
	rc = rte_eth_dev_info_get(port, &di);
	if (!rc)
		rc = rte_eth_stats_get(port, &st);
	if (rc) {
		snprintf(c->err, c->errlen, "port %u: cannot read it: %s", port, strerror(-rc));
		return rc;
	}
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(port, &link);
	RTE_LCORE_FOREACH_WORKER(lc)
		if (!vdnet_fwd_info(lc, &fi) && fi.dev->port_id == port)
			tx_full += fi.port_tx_drops;
	for (unsigned int i = 0; i < c->v->n_dev; i++)
		if (c->v->dev[i].net && c->v->dev[i].port_id == port) {
			size_t u = strlen(users);

			snprintf(users + u, sizeof(users) - u, "%s%s", u ? "," : "",
				 c->v->dev[i].conf.name);
			txb |= c->v->dev[i].port_tx_offloads;
			rxb |= c->v->dev[i].port_rx_offloads;
		}
	offload_names(txo, sizeof(txo), txb, true);
	offload_names(rxo, sizeof(rxo), rxb, false);
	if (c->json) {
		fprintf(c->out, "{\"port_id\": %u, \"name\": ", port);
		vdnet_json_str(c->out, name);
		fprintf(c->out, ", \"driver\": ");
		vdnet_json_str(c->out, di.driver_name ? di.driver_name : "");
		fprintf(c->out, ", \"link\": \"%s\", \"speed_mbps\": %u, \"devices\": ",
			link.link_status ? "up" : "down", link.link_speed);
		vdnet_json_str(c->out, users);
		fprintf(c->out, ", \"tx_offloads\": ");
		vdnet_json_str(c->out, txo);
		fprintf(c->out, ", \"rx_offloads\": ");
		vdnet_json_str(c->out, rxo);
		fprintf(c->out, ", \"rx_packets\": %" PRIu64 ", \"rx_bytes\": %" PRIu64
			", \"rx_missed\": %" PRIu64 ", \"rx_errors\": %" PRIu64
			", \"rx_nombuf\": %" PRIu64 ", \"tx_packets\": %" PRIu64
			", \"tx_bytes\": %" PRIu64 ", \"tx_errors\": %" PRIu64
			", \"tx_full_drops\": %" PRIu64 "}\n", st.ipackets, st.ibytes, st.imissed,
			st.ierrors, st.rx_nombuf, st.opackets, st.obytes, st.oerrors, tx_full);
		return 0;
	}
	fprintf(c->out, "port %u %s (driver %s) link %s %u Mbps, used by %s\n", port, name,
		di.driver_name ? di.driver_name : "?", link.link_status ? "up" : "down",
		link.link_speed, users[0] ? users : "-");
	fprintf(c->out, "  rx %" PRIu64 " pkts %" PRIu64 " B  missed %" PRIu64 "  errors %" PRIu64
		"  no-mbuf %" PRIu64 "\n", st.ipackets, st.ibytes, st.imissed, st.ierrors,
		st.rx_nombuf);
	fprintf(c->out, "  tx %" PRIu64 " pkts %" PRIu64 " B  errors %" PRIu64
		"  dropped-tx-full %" PRIu64 "\n", st.opackets, st.obytes, st.oerrors, tx_full);
	fprintf(c->out, "  offloads tx %s  rx %s\n", txo[0] ? txo : "-", rxo[0] ? rxo : "-");
	return 0;
}

static int cmd_show_lcores(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdnet_fwd_info fi;
	unsigned int lc;
	int n = 0;

	(void)argc; (void)argv;
	if (c->json)
		fprintf(c->out, "{\"main\": %u, \"lcores\": [", rte_get_main_lcore());
	else
		fprintf(c->out, "%-6s %-16s %-3s %-6s %-6s %-12s %s\n", "LCORE", "DEVICE", "QP",
			"PORT", "LOAD%", "HANDOFF-FULL", "ROLE");
	if (!c->json)
		fprintf(c->out, "%-6u %-16s %-3s %-6s %-6s %-12s %s\n", rte_get_main_lcore(), "-",
			"-", "-", "-", "-", "main: console, stats");
	RTE_LCORE_FOREACH_WORKER(lc) {
		struct vdnet_fwd_info *p = &lcore_snap[lc];
		double load = 0;
		uint64_t busy, idle, ho;
		unsigned int di;

		if (vdnet_fwd_info(lc, &fi)) {
			if (!c->json)
				fprintf(c->out, "%-6u %-16s %-3s %-6s %-6s %-12s %s\n", lc, "-", "-",
					"-", "-", "-", "idle: serves nothing");
			continue;
		}
		busy = fi.busy_cycles - p->busy_cycles;
		idle = fi.idle_cycles - p->idle_cycles;
		if (busy + idle)
			load = 100.0 * busy / (busy + idle);
		*p = fi;
		/* since `clear stats`, as `show stats` counts it */
		di = vdnet_cmd_dev_index(c->v, fi.dev);
		ho = vdnet_stats_handoff(c->v, di, fi.qp);
		if (c->json) {
			fprintf(c->out, "%s{\"lcore\": %u, \"device\": ", n++ ? ", " : "", lc);
			vdnet_json_str(c->out, fi.dev->conf.name);
			fprintf(c->out, ", \"qp\": %u, \"port_id\": %u, \"load_pct\": %.1f, "
				"\"busy_cycles\": %" PRIu64 ", \"idle_cycles\": %" PRIu64 ", "
				"\"mapped\": %s, \"drops\": {\"%s\": %" PRIu64 "}}", fi.qp,
				fi.dev->port_id, load, fi.busy_cycles, fi.idle_cycles,
				fi.dev->conf.lcores.n ? "true" : "false", VDNET_DROP_HANDOFF, ho);
		} else {
			fprintf(c->out, "%-6u %-16s %-3u %-6u %-6.1f %-12" PRIu64 " %s%s\n", lc,
				fi.dev->conf.name, fi.qp, fi.dev->port_id, load, ho,
				atomic_load(&c->v->dp_stopped) ? "datapath (stopped)" : "datapath",
				fi.dev->conf.lcores.n ? ", by lcores=" : "");
		}
	}
	if (c->json)
		fprintf(c->out, "]}\n");
	return 0;
}

const struct vdnet_cmd vdnet_cmds_show[] = {
	{ "show devices", "show devices [--json]", "one line per device", 0, 0, VDNET_CMD_JSON,
	  cmd_show_devices },
	{ "show device", "show device NAME [--json]", "features, status, queues, MAC, MTU, bus, "
	  "netdev or vhost path, CVQ filter state", 1, 1, VDNET_CMD_JSON, cmd_show_device },
	{ "show stats", "show stats [NAME] [--json]", "per queue counters, drops by reason, rates "
	  "over the last seconds", 0, 1, VDNET_CMD_JSON, cmd_show_stats },
	{ "show port", "show port NAME|ID [--json]", "the DPDK port's counters (by device, port "
	  "name or id)", 1, 1, VDNET_CMD_JSON, cmd_show_port },
	{ "show lcores", "show lcores [--json]", "which lcore serves which queue, load since the "
	  "previous look", 0, 0, VDNET_CMD_JSON, cmd_show_lcores },
	{ "clear stats", "clear stats", "zero the device and port counters", 0, 0, 0,
	  cmd_clear_stats },
};
const unsigned int vdnet_n_cmds_show = RTE_DIM(vdnet_cmds_show);
