/* SPDX-License-Identifier: BSD-3-Clause */
/* Devices added and removed at runtime, while the others keep forwarding.
 * A command runs under the command lock, so device slots, the stats
 * windows and the telemetry readers never see a device half made; the
 * datapath lcores are handed a device only once it is complete (fwd.c) and
 * let go of it before anything is torn down. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "cmd.h"

/* "0 net_af_xdp0, 1 net_af_packet1" for an error line */
static void port_list(char *buf, size_t len)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t n = 0;
	uint16_t p;

	buf[0] = '\0';
	RTE_ETH_FOREACH_DEV(p) {
		if (rte_eth_dev_get_name_by_port(p, name) || n >= len)
			continue;
		n += snprintf(buf + n, len - n, "%s%u %s", n ? ", " : "", p, name);
	}
	if (!n)
		snprintf(buf, len, "none");
}

static struct vdnet_dev *free_slot(struct vdnet *v)
{
	for (unsigned int i = 0; i < v->n_dev; i++)
		if (!v->dev[i].net)
			return &v->dev[i];
	if (v->n_dev == VDNET_MAX_DEVICES)
		return NULL;
	return &v->dev[v->n_dev];
}

/* The reason the last step failed, as logged, or strerror. */
static int failed(struct vdnet_cmd_ctx *c, const char *name, const char *what, int rc)
{
	const char *why = vdnet_log_last_error();

	snprintf(c->err, c->errlen, "add device %s: %s: %s", name, what,
		 why[0] ? why : strerror(-rc));
	return rc;
}

static int cmd_add_device(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdnet *v = c->v;
	struct vdnet_dev_conf conf;
	struct vdnet_dev *d;
	char why[256], ports[256];
	uint16_t port;
	int rc;

	(void)argc;
	if (vdnet_parse_device(argv[0], &conf, why, sizeof(why)))
		return vdnet_cmd_fail(c, "device '%s': %s", argv[0], why);
	if (vdnet_cmd_dev(v, conf.name))
		return vdnet_cmd_fail(c, "add device %s: the name is taken (see: show devices)",
				      conf.name);
	if (vdnet_port_resolve(conf.port, &port)) {
		port_list(ports, sizeof(ports));
		return vdnet_cmd_fail(c, "add device %s: no port '%s' (ports: %s)", conf.name,
				      conf.port, ports);
	}
	for (unsigned int i = 0; i < v->n_dev; i++)
		if (v->dev[i].net && v->dev[i].port_id == port)
			return vdnet_cmd_fail(c, "add device %s: port %s is in use by device %s",
					      conf.name, conf.port, v->dev[i].conf.name);
	d = free_slot(v);
	if (!d)
		return vdnet_cmd_fail(c, "add device %s: too many devices (at most %d)", conf.name,
				      VDNET_MAX_DEVICES);
	/* the count is known only once the kernel took or refused MQ: the rest
	 * is checked after creation, this saves the kernel a device in vain */
	if (conf.lcores.n &&
	    vdnet_fwd_check_map(&conf, conf.queues ? conf.queues : 1, why, sizeof(why)))
		return vdnet_cmd_fail(c, "add device %s: %s", conf.name, why);
	if (!conf.lcores.n && !vdnet_fwd_free_lcores())
		return vdnet_cmd_fail(c, "add device %s: no free lcore (every worker serves a "
				      "queue pair; start vdnet with more, e.g. -l 0-N, or del a "
				      "device)", conf.name);

	memset(d, 0, sizeof(*d));
	d->conf = conf;
	if (d == &v->dev[v->n_dev])
		v->n_dev++;
	vdnet_log_clear_error();
	rc = vdnet_device_up(v, d);
	if (rc)
		return failed(c, conf.name, "cannot bring it up", rc);
	rc = vdnet_fwd_add(v, d);
	if (rc) {
		failed(c, conf.name, "cannot forward", rc);
		vdnet_device_down(v, d);
		return rc;
	}
	fprintf(c->out, "%s: added on port %s, %s%s%s%s\n", conf.name, conf.port,
		d->netdev[0] ? "netdev " : d->vhost_path[0] ? "" : "no vdpa device (bus=none)",
		d->netdev[0] ? d->netdev : d->vhost_path, d->conf.netns[0] ? " in netns " : "",
		d->conf.netns);
	return 0;
}

static int cmd_del_device(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdnet_dev *d = vdnet_cmd_dev(c->v, argv[0]);
	int rc;

	(void)argc;
	if (!d)
		return vdnet_cmd_fail(c, "no device named '%s' (see: show devices)", argv[0]);
	rc = vdnet_fwd_del(c->v, d);
	if (rc) {
		snprintf(c->err, c->errlen, "del device %s: a datapath lcore did not let go of it; "
			 "left as it was", argv[0]);
		return rc;
	}
	/* vdpa dev del (the kernel resets it through the control thread),
	 * VDUSE destroy, port close */
	vdnet_device_down(c->v, d);
	fprintf(c->out, "%s: removed\n", argv[0]);
	return 0;
}

const struct vdnet_cmd vdnet_cmds_dev[] = {
	{ "add device", "add device SPEC", "a new device at runtime; SPEC as for --device: "
	  "name=NAME,port=PORT[,mac=MAC][,mtu=N][,queues=N][,bus=B][,netns=NS][,ifname=IF]"
	  "[,lcores=LIST]",
	  1, 1, 0, cmd_add_device },
	{ "del device", "del device NAME", "stop forwarding for a device and remove it (vdpa "
	  "device, VDUSE device, port)", 1, 1, 0, cmd_del_device },
};
const unsigned int vdnet_n_cmds_dev = RTE_DIM(vdnet_cmds_dev);
