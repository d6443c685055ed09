/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands that change a device or the daemon: link, MAC, MTU, log level. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static struct vdnet_dev *dev_arg(struct vdnet_cmd_ctx *c, const char *name)
{
	struct vdnet_dev *d = vdnet_cmd_dev(c->v, name);

	if (!d)
		vdnet_cmd_fail(c, "no device named '%s' (see: show devices)", name);
	return d;
}

static int cmd_set_link(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdnet_dev *d;
	bool up;
	int rc;

	(void)argc;
	if (!strcmp(argv[0], "up"))
		up = true;
	else if (!strcmp(argv[0], "down"))
		up = false;
	else
		return vdnet_cmd_fail(c, "link state '%s': want up or down", argv[0]);
	d = dev_arg(c, argv[1]);
	if (!d)
		return -EINVAL;
	rc = vdn_net_set_link(d->net, up);
	if (rc) {
		snprintf(c->err, c->errlen, "%s: cannot set link: %s", argv[1], strerror(-rc));
		return rc;
	}
	fprintf(c->out, "%s: link %s\n", argv[1], up ? "up" : "down");
	return 0;
}

static int cmd_set_gro(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdnet_dev *d;

	(void)argc;
	d = dev_arg(c, argv[0]);
	if (!d)
		return -EINVAL;
	if (strcmp(argv[1], "on") && strcmp(argv[1], "off"))
		return vdnet_cmd_fail(c, "gro '%s': want on or off", argv[1]);
	vdn_net_set_gro(d->net, !strcmp(argv[1], "on"));
	fprintf(c->out, "%s: gro %s\n", argv[0], argv[1]);
	return 0;
}

static int cmd_set_mac(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct rte_ether_addr mac;
	struct vdnet_dev *d;
	int rc;

	(void)argc;
	d = dev_arg(c, argv[0]);
	if (!d)
		return -EINVAL;
	if (rte_ether_unformat_addr(argv[1], &mac) < 0)
		return vdnet_cmd_fail(c, "mac '%s': not a MAC address (want xx:xx:xx:xx:xx:xx)",
				      argv[1]);
	if (!rte_is_unicast_ether_addr(&mac) || rte_is_zero_ether_addr(&mac))
		return vdnet_cmd_fail(c, "mac '%s': must be a non-zero unicast address", argv[1]);
	/* virtio_net reads the config MAC only when it probes: a live netdev
	 * is told through its owner's interface, as `ip link set address` */
	if (d->netdev[0]) {
		rc = vdnet_netdev_set_mac(d, &mac);
		if (rc) {
			snprintf(c->err, c->errlen, "%s: netdev %s refused the MAC: %s", argv[0],
				 d->netdev, strerror(-rc));
			return rc;
		}
	}
	rc = vdn_net_set_mac(d->net, &mac);
	if (rc) {
		snprintf(c->err, c->errlen, "%s: cannot set the MAC in config space: %s", argv[0],
			 strerror(-rc));
		return rc;
	}
	fprintf(c->out, "%s: mac %s%s%s%s\n", argv[0], argv[1], d->netdev[0] ? " (netdev " : "",
		d->netdev, d->netdev[0] ? " too)" : " (the driver reads it when it next probes)");
	return 0;
}

static int cmd_set_mtu(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdn_net_info info;
	struct vdnet_dev *d;
	unsigned long mtu;
	char *end;
	int rc;

	(void)argc;
	d = dev_arg(c, argv[0]);
	if (!d)
		return -EINVAL;
	errno = 0;
	mtu = strtoul(argv[1], &end, 10);
	if (!isdigit((unsigned char)argv[1][0]) || *end || errno || mtu < 68 || mtu > 9000)
		return vdnet_cmd_fail(c, "mtu '%s': want a number from 68 to 9000", argv[1]);
	vdn_net_info(d->net, &info);
	/* the device accepts the larger frames before the netdev sends them */
	rc = vdn_net_set_mtu(d->net, mtu);
	if (rc) {
		snprintf(c->err, c->errlen, "%s: cannot set the MTU: %s", argv[0], strerror(-rc));
		return rc;
	}
	if (d->netdev[0]) {
		rc = vdnet_netdev_set_mtu(d, mtu);
		if (rc) {
			vdn_net_set_mtu(d->net, info.mtu);
			snprintf(c->err, c->errlen, "%s: netdev %s refused MTU %lu: %s%s", argv[0],
				 d->netdev, mtu, strerror(-rc),
				 rc == -EINVAL ? " (virtio_net's maximum is the MTU it probed with)" : "");
			return rc;
		}
	}
	fprintf(c->out, "%s: mtu %lu%s%s%s\n", argv[0], mtu, d->netdev[0] ? " (netdev " : "",
		d->netdev, d->netdev[0] ? " too)" : " (the driver reads it when it next probes)");
	return 0;
}

static int cmd_set_queues(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	struct vdn_net_info info;
	struct vdnet_dev *d;
	unsigned long n;
	char *end;

	(void)argc;
	d = dev_arg(c, argv[0]);
	if (!d)
		return -EINVAL;
	vdn_net_info(d->net, &info);
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (!isdigit((unsigned char)argv[1][0]) || *end || errno || n < 1 ||
	    n > info.max_queue_pairs)
		return vdnet_cmd_fail(c, "queues '%s': want 1..%u, %s's queue pairs%s", argv[1],
				      info.max_queue_pairs, argv[0],
				      info.cvq ? "" : " (no control queue on this kernel, so no MQ)");
	/* the lcores read it per burst; a pair left out hands its port queue's
	 * packets to the pairs still in (fwd.c) */
	atomic_store(&d->rx_queues, (uint16_t)n);
	fprintf(c->out, "%s: host->driver traffic spread over %lu queue pair(s)%s\n", argv[0], n,
		n > info.active_queue_pairs ? " once the driver uses that many" : "");
	return 0;
}

static const char *const level_names[] = {
	[RTE_LOG_EMERG] = "emerg", [RTE_LOG_ALERT] = "alert", [RTE_LOG_CRIT] = "crit",
	[RTE_LOG_ERR] = "err",     [RTE_LOG_WARNING] = "warning", [RTE_LOG_NOTICE] = "notice",
	[RTE_LOG_INFO] = "info",   [RTE_LOG_DEBUG] = "debug",
};

static int parse_level(const char *s)
{
	char *end;
	long n;

	for (int l = (int)RTE_LOG_EMERG; l <= (int)RTE_LOG_DEBUG; l++)
		if (!strcmp(s, level_names[l]))
			return l;
	if (!strcmp(s, "error"))
		return RTE_LOG_ERR;
	n = strtol(s, &end, 10);
	if (*s && !*end && n >= (long)RTE_LOG_EMERG && n <= (long)RTE_LOG_DEBUG)
		return n;
	return -1;
}

/* How many registered log types `pattern` matches (rte_log has no lookup). */
static int count_types(const char *pattern)
{
	char *buf = NULL, *line, *save = NULL, name[128];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = 0;

	if (!f)
		return -ENOMEM;
	rte_log_dump(f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "id %*u: %127[^,],", name) == 1 && !fnmatch(pattern, name, 0))
			n++;
	free(buf);
	return n;
}

static int cmd_set_log(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	int level = parse_level(argv[0]);

	if (level < 0)
		return vdnet_cmd_fail(c, "log level '%s': want emerg, alert, crit, err, warning, "
				      "notice, info, debug or 1-8", argv[0]);
	if (argc == 2) {
		int n = count_types(argv[1]);

		if (n <= 0)
			return vdnet_cmd_fail(c, "log type '%s': no such type (e.g. vdnet, lib.eal, "
					      "pmd.net.af_xdp; * and ? match)", argv[1]);
		rte_log_set_level_pattern(argv[1], level);
		fprintf(c->out, "log level %s for %d type(s) matching %s\n", level_names[level], n,
			argv[1]);
		return 0;
	}
	/* per-type levels filter too: raise both, or "debug" would show nothing */
	rte_log_set_global_level(level);
	rte_log_set_level_pattern("*", level);
	fprintf(c->out, "log level %s for every type\n", level_names[level]);
	return 0;
}

const struct vdnet_cmd vdnet_cmds_set[] = {
	{ "set link", "set link up|down NAME", "link state in config space; the netdev's carrier "
	  "follows", 2, 2, 0, cmd_set_link },
	{ "set mac", "set mac NAME MAC", "the device's MAC (and its netdev's)", 2, 2, 0, cmd_set_mac },
	{ "set mtu", "set mtu NAME N", "the device's MTU, 68-9000 (and its netdev's)", 2, 2, 0,
	  cmd_set_mtu },
	{ "set queues", "set queues NAME N", "spread host->driver traffic over N queue pairs (at "
	  "most the driver's active ones)", 2, 2, 0, cmd_set_queues },
	{ "set gro", "set gro NAME on|off", "coalesce TCP segments into TSO frames towards the "
	  "driver (when it negotiated GUEST_TSO4/6)", 2, 2, 0, cmd_set_gro },
	{ "set log", "set log LEVEL [TYPE]", "log level, of every type or those matching TYPE", 1, 2,
	  0, cmd_set_log },
};
const unsigned int vdnet_n_cmds_set = RTE_DIM(vdnet_cmds_set);
