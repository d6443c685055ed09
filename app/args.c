/* SPDX-License-Identifier: BSD-3-Clause */
/* vdnet's own options (after EAL's and "--").  Every bad value gets one
 * line naming the option and what was wrong. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdnet.h"

void vdnet_usage(const char *prog)
{
	printf("usage: %s [EAL options] -- --device name=NAME,port=PORT[,mac=MAC][,mtu=N][,queues=N]\n"
	       "                 [,bus=virtio|vhost|none][,netns=NS][,ifname=IF][,packed=on|off]\n"
	       "                 [,in_order=on|off][,gro=on|off][,reattach=auto|never]\n"
	       "                 [,lcores=LIST]\n"
	       "                 (repeatable)\n"
	       "                 [--stats-period SEC] [--idle-sleep USEC] [--socket PATH]\n"
	       "                 [-i|--interactive] [--cmdfile FILE]\n"
	       "       %s --connect PATH COMMAND...   (send one command to a running vdnet)\n"
	       "       %s --list-commands             (the console's commands)\n"
	       "  name     VDUSE/vdpa device name (letters, digits, '-', '_', '.')\n"
	       "  port     DPDK ethdev port id or device name (e.g. net_af_xdp0)\n"
	       "  mac      unicast MAC (default: random, locally administered)\n"
	       "  mtu      68..9000 (default 1500)\n"
	       "  queues   queue pairs, 1..%d (default 1); each needs a worker lcore\n"
	       "  bus      virtio: kernel netdev (default); vhost: /dev/vhost-vdpa-N; none\n"
	       "  netns    move the netdev into this netns (from `ip netns add`)\n"
	       "  ifname   rename the netdev\n"
	       "  packed   on: offer packed virtqueues (default off; drivers that can\n"
	       "           take them, like the kernel's virtio_net, then always do)\n"
	       "  in_order on: offer VIRTIO_F_IN_ORDER (default off): buffers are used\n"
	       "           in the order they were made available\n"
	       "  gro      off: do not coalesce TCP segments into TSO frames towards the\n"
	       "           driver (default on, when it negotiated GUEST_TSO4/6)\n"
	       "  reattach auto: if a vdnet that died left the device behind, take it over\n"
	       "           (its netdev stays); never: remove such a device, create anew\n"
	       "  lcores   the worker lcore of each queue pair, in pair order, EAL-style\n"
	       "           (2,1 or 2-3 or 2-3,6): one per pair, not the main lcore\n"
	       "           (default: the first free worker lcores)\n"
	       "  --stats-period SEC   print per-queue counters and rates every SEC seconds\n"
	       "  --idle-sleep USEC    sleep this long when a datapath lcore finds no work\n"
	       "                       (default 0: busy-poll; small values save CPU in VMs)\n"
	       "  --socket PATH        accept commands on this unix socket (see: help)\n"
	       "  -i, --interactive    a command console on the terminal (tab completes)\n"
	       "  --cmdfile FILE       run the commands in FILE once the datapath runs\n"
	       "  --help               this text\n",
	       prog, prog, prog, VDN_NET_MAX_QUEUE_PAIRS);
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

static int set_key(struct vdnet_dev_conf *d, const char *k, const char *v, char *err, size_t errlen)
{
	unsigned long n;

	if (!strcmp(k, "name")) {
		if (!valid_name(v, sizeof(d->name)))
			return BAD("name '%s': use 1-%zu letters, digits, '-', '_' or '.'", v,
				   sizeof(d->name) - 1);
		snprintf(d->name, sizeof(d->name), "%s", v);
	} else if (!strcmp(k, "port")) {
		if (!*v || strlen(v) >= sizeof(d->port))
			return BAD("port '%s': give a port id or an ethdev name", v);
		snprintf(d->port, sizeof(d->port), "%s", v);
	} else if (!strcmp(k, "mac")) {
		if (rte_ether_unformat_addr(v, &d->mac) < 0)
			return BAD("mac '%s': not a MAC address (want xx:xx:xx:xx:xx:xx)", v);
		if (!rte_is_unicast_ether_addr(&d->mac) || rte_is_zero_ether_addr(&d->mac))
			return BAD("mac '%s': must be a non-zero unicast address", v);
		d->mac_set = true;
	} else if (!strcmp(k, "mtu")) {
		if (parse_uint(v, 68, 9000, &n))
			return BAD("mtu '%s': want a number from 68 to 9000", v);
		d->mtu = n;
	} else if (!strcmp(k, "queues")) {
		if (parse_uint(v, 1, VDN_NET_MAX_QUEUE_PAIRS, &n))
			return BAD("queues '%s': want 1..%d", v, VDN_NET_MAX_QUEUE_PAIRS);
		d->queues = n;
	} else if (!strcmp(k, "bus")) {
		if (vdn_vdpa_bus_parse(v, &d->bus))
			return BAD("bus '%s': want virtio, vhost or none", v);
	} else if (!strcmp(k, "netns")) {
		if (!valid_name(v, sizeof(d->netns)))
			return BAD("netns '%s': not a valid namespace name", v);
		snprintf(d->netns, sizeof(d->netns), "%s", v);
	} else if (!strcmp(k, "ifname")) {
		if (!valid_name(v, sizeof(d->ifname)))
			return BAD("ifname '%s': want 1-%d letters, digits, '-', '_' or '.'", v,
				   IF_NAMESIZE - 1);
		snprintf(d->ifname, sizeof(d->ifname), "%s", v);
	} else if (!strcmp(k, "packed")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return BAD("packed '%s': want on or off", v);
		d->packed = !strcmp(v, "on");
	} else if (!strcmp(k, "in_order")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return BAD("in_order '%s': want on or off", v);
		d->in_order = !strcmp(v, "on");
	} else if (!strcmp(k, "gro")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return BAD("gro '%s': want on or off", v);
		d->no_gro = !strcmp(v, "off");
	} else if (!strcmp(k, "reattach")) {
		if (strcmp(v, "auto") && strcmp(v, "never"))
			return BAD("reattach '%s': want auto or never", v);
		d->reattach = !strcmp(v, "never") ? VDNET_REATTACH_NEVER : VDNET_REATTACH_AUTO;
	} else {
		return BAD("unknown key '%s' (known: name, port, mac, mtu, queues, bus, netns, ifname, "
			   "packed, in_order, gro, reattach, lcores)", k);
	}
	return 0;
}

_Static_assert(VDNET_LCORES_MAX == VDN_NET_MAX_QUEUE_PAIRS, "one lcore per queue pair");

/*
 * Keys are split at commas, and so is an lcore list: "lcores=2,1,queues=2"
 * is lcores=2,1 and queues=2.  Items without '=' right after lcores= carry
 * on its list (anywhere else they are an error).
 */
int vdnet_parse_device(const char *spec, struct vdnet_dev_conf *d, char *err, size_t errlen)
{
	char buf[512], lcores[512] = "", *save = NULL, *kv;
	bool in_lcores = false, has_lcores = false;
	int rc;

	memset(d, 0, sizeof(*d));
	d->bus = VDN_VDPA_BUS_VIRTIO;
	if (strlen(spec) >= sizeof(buf))
		return BAD("device spec too long");
	snprintf(buf, sizeof(buf), "%s", spec);
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq && in_lcores) {
			size_t n = strlen(lcores);

			snprintf(lcores + n, sizeof(lcores) - n, ",%s", kv);
			continue;
		}
		if (!eq)
			return BAD("'%s' is not key=value", kv);
		*eq = '\0';
		in_lcores = !strcmp(kv, "lcores");
		if (in_lcores) {
			has_lcores = true;
			snprintf(lcores, sizeof(lcores), "%s", eq + 1);
			continue;
		}
		rc = set_key(d, kv, eq + 1, err, errlen);
		if (rc)
			return rc;
	}
	if (!d->name[0])
		return BAD("name= is required");
	if (!d->port[0])
		return BAD("port= is required");
	if ((d->netns[0] || d->ifname[0]) && d->bus != VDN_VDPA_BUS_VIRTIO)
		return BAD("netns=/ifname= need bus=virtio (there is no netdev otherwise)");
	if (has_lcores) {
		rc = vdnet_lcores_parse(lcores, RTE_MAX_LCORE, &d->lcores, err, errlen);
		if (!rc)
			rc = vdnet_lcores_match(&d->lcores, d->queues ? d->queues : 1, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int vdnet_parse_args(int argc, char **argv, struct vdnet_conf *conf)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "stats-period", required_argument, NULL, 's' },
		{ "idle-sleep", required_argument, NULL, 'I' },
		{ "socket", required_argument, NULL, 'S' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "cmdfile", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	unsigned long n;
	int c;

	memset(conf, 0, sizeof(*conf));
	optind = 1;
	while ((c = getopt_long(argc, argv, "hi", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (conf->n_dev == VDNET_MAX_DEVICES) {
				fprintf(stderr, "vdnet: at most %d --device\n", VDNET_MAX_DEVICES);
				return -EINVAL;
			}
			if (vdnet_parse_device(optarg, &conf->dev[conf->n_dev], err, sizeof(err))) {
				fprintf(stderr, "vdnet: --device %s: %s\n", optarg, err);
				return -EINVAL;
			}
			for (unsigned int i = 0; i < conf->n_dev; i++)
				if (!strcmp(conf->dev[i].name, conf->dev[conf->n_dev].name) ||
				    !strcmp(conf->dev[i].port, conf->dev[conf->n_dev].port)) {
					fprintf(stderr, "vdnet: --device %s: name or port already used by "
						"another --device\n", optarg);
					return -EINVAL;
				}
			conf->n_dev++;
			break;
		case 's':
			if (parse_uint(optarg, 0, 86400, &n)) {
				fprintf(stderr, "vdnet: --stats-period '%s': want seconds (0-86400)\n", optarg);
				return -EINVAL;
			}
			conf->stats_period = n;
			break;
		case 'I':
			if (parse_uint(optarg, 0, 100000, &n)) {
				fprintf(stderr, "vdnet: --idle-sleep '%s': want microseconds (0-100000)\n", optarg);
				return -EINVAL;
			}
			conf->idle_sleep_us = n;
			break;
		case 'S':
			if (!*optarg || strlen(optarg) >= sizeof(conf->socket_path)) {
				fprintf(stderr, "vdnet: --socket '%s': want a path shorter than %zu\n",
					optarg, sizeof(conf->socket_path));
				return -EINVAL;
			}
			snprintf(conf->socket_path, sizeof(conf->socket_path), "%s", optarg);
			break;
		case 'i':
			conf->interactive = true;
			break;
		case 'C':
			if (!*optarg || strlen(optarg) >= sizeof(conf->cmdfile)) {
				fprintf(stderr, "vdnet: --cmdfile '%s': want a path shorter than %zu\n",
					optarg, sizeof(conf->cmdfile));
				return -EINVAL;
			}
			snprintf(conf->cmdfile, sizeof(conf->cmdfile), "%s", optarg);
			break;
		case 'h':
			vdnet_usage(argv[0]);
			return 1;
		default:
			fprintf(stderr, "vdnet: try --help\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vdnet: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (conf->n_dev == 0) {
		fprintf(stderr, "vdnet: no --device given (try --help)\n");
		return -EINVAL;
	}
	return 0;
}
