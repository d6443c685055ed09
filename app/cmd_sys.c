/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands about the daemon itself: help, format, start/stop, quit. */
#include <string.h>

#include "cmd.h"

static int help_line(const struct vdnet_cmd *cmd, void *arg)
{
	fprintf(arg, "  %-36s %s\n", cmd->usage, cmd->help);
	return 0;
}

static int cmd_help(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	(void)argc; (void)argv;
	vdnet_cmd_foreach(help_line, c->out);
	return 0;
}

static int cmd_format(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	(void)argc;
	if (!strcmp(argv[0], "json"))
		*c->session_json = true;
	else if (!strcmp(argv[0], "text"))
		*c->session_json = false;
	else
		return vdnet_cmd_fail(c, "format '%s': want json or text", argv[0]);
	fprintf(c->out, "show output: %s\n", argv[0]);
	return 0;
}

static int cmd_start(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	(void)argc; (void)argv;
	bool was = atomic_exchange(&c->v->dp_stopped, false);

	fprintf(c->out, "datapath %s\n", was ? "started" : "already running");
	return 0;
}

static int cmd_stop(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	(void)argc; (void)argv;
	bool was = atomic_exchange(&c->v->dp_stopped, true);

	fprintf(c->out, "datapath %s (packets wait in the rings until start)\n",
		was ? "already stopped" : "stopped");
	return 0;
}

static int cmd_quit(struct vdnet_cmd_ctx *c, int argc, char **argv)
{
	(void)argc; (void)argv;
	/* the same path as SIGTERM: the main lcore tears everything down */
	atomic_store(&c->v->quit, true);
	fprintf(c->out, "vdnet: shutting down\n");
	return 0;
}

const struct vdnet_cmd vdnet_cmds_sys[] = {
	{ "help", "help", "list the commands", 0, 0, 0, cmd_help },
	{ "format", "format json|text", "default output of show commands (this session)", 1, 1, 0,
	  cmd_format },
	{ "start", "start", "resume the datapath", 0, 0, 0, cmd_start },
	{ "stop", "stop", "pause the datapath (devices stay up)", 0, 0, 0, cmd_stop },
	{ "quit", "quit", "stop vdnet (like SIGTERM)", 0, 0, 0, cmd_quit },
};
const unsigned int vdnet_n_cmds_sys = RTE_DIM(vdnet_cmds_sys);
