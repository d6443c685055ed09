/* SPDX-License-Identifier: BSD-3-Clause */
/* The command table's shape, shared by app/cmd_<area>.c (each declares the
 * commands of its area next to the code they drive) and app/console.c
 * (tab completion reads the usage strings). */
#ifndef VDNET_CMD_H
#define VDNET_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "vdnet.h"

struct vdnet_cmd_ctx {
	struct vdnet *v;
	FILE *out;
	bool json;       /* this command's output as JSON */
	bool *session_json; /* the caller's default, for `format` */
	char *err;
	size_t errlen;
};

#define VDNET_CMD_JSON 1u /* takes a trailing --json */

struct vdnet_cmd {
	const char *name;  /* the fixed words */
	const char *usage; /* name + arguments: UPPER placeholders, a|b choices, [optional] */
	const char *help;  /* one line */
	int min_args, max_args; /* after the name, --json not counted */
	unsigned int flags;
	int (*fn)(struct vdnet_cmd_ctx *c, int argc, char **argv);
};

extern const struct vdnet_cmd vdnet_cmds_show[], vdnet_cmds_set[], vdnet_cmds_sys[],
	vdnet_cmds_dev[];
extern const unsigned int vdnet_n_cmds_show, vdnet_n_cmds_set, vdnet_n_cmds_sys,
	vdnet_n_cmds_dev;

/* Every command in help order: calls fn for each until it returns non-zero. */
int vdnet_cmd_foreach(int (*fn)(const struct vdnet_cmd *cmd, void *arg), void *arg);

/* A serving device by name, or NULL. */
struct vdnet_dev *vdnet_cmd_dev(struct vdnet *v, const char *name);
/* Index of the device in v->dev. */
unsigned int vdnet_cmd_dev_index(struct vdnet *v, const struct vdnet_dev *d);

/* Fill c->err and return -EINVAL. */
int vdnet_cmd_fail(struct vdnet_cmd_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* JSON string (names here are plain, but quote what must be quoted). */
void vdnet_json_str(FILE *f, const char *s);

/* RX mode flag k of the filter: 1 on, 0 off (its name in *name), -1 past
 * the last. */
int vdnet_rx_mode(const struct vdn_net_filter_state *fs, unsigned int k, const char **name);

/* Virtio-net feature bit names, "" for unknown bits. */
const char *vdnet_feature_name(unsigned int bit);

#endif
