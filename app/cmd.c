/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands operators send to a running vdnet (over --socket today; the
 * interactive console will share this table).  Names follow testpmd where
 * it has one.  Every bad argument gets a one-line error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vdnet.h"

#define MAX_ARGS 8

struct cmd {
	const char *name;  /* first word(s) */
	const char *usage;
	int min_args, max_args; /* after the name */
	int (*fn)(struct vdnet *v, int argc, char **argv, FILE *out, char *err, size_t errlen);
};

static struct vdnet_stats_snap cmd_snap;

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

static struct vdnet_dev *find_dev(struct vdnet *v, const char *name)
{
	for (unsigned int i = 0; i < v->n_dev; i++)
		if (v->dev[i].net && !strcmp(v->dev[i].conf.name, name))
			return &v->dev[i];
	return NULL;
}

static int cmd_show_devices(struct vdnet *v, int argc, char **argv, FILE *out, char *err,
			    size_t errlen)
{
	(void)argc; (void)argv; (void)err; (void)errlen;
	fprintf(out, "%-16s %-8s %-17s %-5s %-4s %-6s %-7s %s\n", "NAME", "BUS", "MAC", "MTU", "LINK",
		"QUEUES", "STATUS", "ATTACHED");
	for (unsigned int i = 0; i < v->n_dev; i++) {
		struct vdnet_dev *d = &v->dev[i];
		struct vdn_net_info info;
		char mac[RTE_ETHER_ADDR_FMT_SIZE], q[16];

		if (!d->net)
			continue;
		vdn_net_info(d->net, &info);
		rte_ether_format_addr(mac, sizeof(mac), &info.mac);
		snprintf(q, sizeof(q), "%u/%u", info.active_queue_pairs, info.max_queue_pairs);
		fprintf(out, "%-16s %-8s %-17s %-5u %-4s %-6s 0x%02x    %s%s%s\n", d->conf.name,
			vdn_vdpa_bus_name(d->conf.bus), mac, info.mtu, info.link_up ? "up" : "down",
			q, info.status, d->netdev[0] ? d->netdev : d->vhost_path,
			d->conf.netns[0] ? "@" : "", d->conf.netns);
	}
	return 0;
}

static int cmd_show_stats(struct vdnet *v, int argc, char **argv, FILE *out, char *err,
			  size_t errlen)
{
	const char *name = argc ? argv[0] : NULL;

	if (name && !find_dev(v, name))
		return ERR("no device named '%s' (see: show devices)", name);
	vdnet_stats_print(out, v, name, &cmd_snap);
	return 0;
}

static int cmd_set_link(struct vdnet *v, int argc, char **argv, FILE *out, char *err,
			size_t errlen)
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
		return ERR("link state '%s': want up or down", argv[0]);
	d = find_dev(v, argv[1]);
	if (!d)
		return ERR("no device named '%s' (see: show devices)", argv[1]);
	rc = vdn_net_set_link(d->net, up);
	if (rc)
		return snprintf(err, errlen, "%s: cannot set link: %s", argv[1], strerror(-rc)), rc;
	fprintf(out, "%s: link %s\n", argv[1], up ? "up" : "down");
	return 0;
}

static int cmd_help(struct vdnet *v, int argc, char **argv, FILE *out, char *err, size_t errlen);

static const struct cmd cmds[] = {
	{ "help", "help", 0, 0, cmd_help },
	{ "show devices", "show devices", 0, 0, cmd_show_devices },
	{ "show stats", "show stats [NAME]", 0, 1, cmd_show_stats },
	{ "set link", "set link up|down NAME", 2, 2, cmd_set_link },
};

static int cmd_help(struct vdnet *v, int argc, char **argv, FILE *out, char *err, size_t errlen)
{
	(void)v; (void)argc; (void)argv; (void)err; (void)errlen;
	for (size_t i = 0; i < RTE_DIM(cmds); i++)
		fprintf(out, "  %s\n", cmds[i].usage);
	return 0;
}

int vdnet_cmd_run(struct vdnet *v, const char *line, FILE *out, char *err, size_t errlen)
{
	char buf[512], *argv[MAX_ARGS + 2], *save = NULL, *t;
	int argc = 0;

	if (strlen(line) >= sizeof(buf))
		return ERR("command too long");
	snprintf(buf, sizeof(buf), "%s", line);
	for (t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == MAX_ARGS + 2)
			return ERR("too many words");
		argv[argc++] = t;
	}
	if (!argc)
		return ERR("empty command (try: help)");
	for (size_t i = 0; i < RTE_DIM(cmds); i++) {
		char name[64];
		int words = 0, j;

		snprintf(name, sizeof(name), "%s", cmds[i].name);
		char *s2 = NULL;

		for (t = strtok_r(name, " ", &s2), j = 0; t; t = strtok_r(NULL, " ", &s2), j++) {
			if (j >= argc || strcmp(t, argv[j]))
				break;
			words++;
		}
		if (t)
			continue;
		int nargs = argc - words;

		if (nargs < cmds[i].min_args || nargs > cmds[i].max_args)
			return ERR("usage: %s", cmds[i].usage);
		return cmds[i].fn(v, nargs, argv + words, out, err, errlen);
	}
	return ERR("unknown command '%s' (try: help)", argv[0]);
}
