/* SPDX-License-Identifier: BSD-3-Clause */
/* The command dispatcher shared by the console, --cmdfile and --socket.
 * The commands themselves live in app/cmd_<area>.c; names follow testpmd
 * where it has one.  Every bad argument gets a one-line error. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

#define MAX_WORDS 12

static pthread_mutex_t cmd_lock = PTHREAD_MUTEX_INITIALIZER;

void vdnet_cmd_lock(void)
{
	pthread_mutex_lock(&cmd_lock);
}

void vdnet_cmd_unlock(void)
{
	pthread_mutex_unlock(&cmd_lock);
}

int vdnet_cmd_foreach(int (*fn)(const struct vdnet_cmd *cmd, void *arg), void *arg)
{
	static const struct {
		const struct vdnet_cmd *tab;
		const unsigned int *n;
	} areas[] = {
		{ vdnet_cmds_sys, &vdnet_n_cmds_sys },
		{ vdnet_cmds_show, &vdnet_n_cmds_show },
		{ vdnet_cmds_set, &vdnet_n_cmds_set },
		{ vdnet_cmds_dev, &vdnet_n_cmds_dev },
	};
	int rc;

	for (size_t a = 0; a < RTE_DIM(areas); a++)
		for (unsigned int i = 0; i < *areas[a].n; i++) {
			rc = fn(&areas[a].tab[i], arg);
			if (rc)
				return rc;
		}
	return 0;
}

int vdnet_cmd_fail(struct vdnet_cmd_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

struct vdnet_dev *vdnet_cmd_dev(struct vdnet *v, const char *name)
{
	for (unsigned int i = 0; i < v->n_dev; i++)
		if (v->dev[i].net && !strcmp(v->dev[i].conf.name, name))
			return &v->dev[i];
	return NULL;
}

unsigned int vdnet_cmd_dev_index(struct vdnet *v, const struct vdnet_dev *d)
{
	return (unsigned int)(d - v->dev);
}

void vdnet_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static int print_usage(const struct vdnet_cmd *cmd, void *arg)
{
	fprintf(arg, "%s\n", cmd->usage);
	return 0;
}

void vdnet_cmd_list(FILE *out)
{
	vdnet_cmd_foreach(print_usage, out);
}

struct match {
	int argc;
	char **argv;
	const struct vdnet_cmd *cmd;
	int words;       /* name words matched */
	int best_words;  /* for "usage:" on a partial match */
	const struct vdnet_cmd *best;
};

/* How many of the command's name words lead argv; -1 on a mismatch. */
static int name_words(const char *name, int argc, char **argv)
{
	char buf[64], *save = NULL, *t;
	int j = 0;

	snprintf(buf, sizeof(buf), "%s", name);
	for (t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save), j++)
		if (j >= argc || strcmp(t, argv[j]))
			return j ? -j - 1 : -1;
	return j;
}

static int try_cmd(const struct vdnet_cmd *cmd, void *arg)
{
	struct match *m = arg;
	int w = name_words(cmd->name, m->argc, m->argv);

	if (w > 0) {
		m->cmd = cmd;
		m->words = w;
		return 1;
	}
	/* "set" alone, or "show foo": remember which family was meant */
	if (-w - 1 > m->best_words) {
		m->best_words = -w - 1;
		m->best = cmd;
	}
	return 0;
}

static int run_locked(struct vdnet_cmd_ctx *c, const char *line)
{
	char buf[512], *argv[MAX_WORDS], *save = NULL, *t;
	struct match m = { 0 };
	int argc = 0;

	if (strlen(line) >= sizeof(buf))
		return vdnet_cmd_fail(c, "command too long (at most %zu characters)", sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", line);
	for (t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == MAX_WORDS)
			return vdnet_cmd_fail(c, "too many words (at most %d)", MAX_WORDS);
		argv[argc++] = t;
	}
	if (!argc)
		return vdnet_cmd_fail(c, "empty command (try: help)");
	m.argc = argc;
	m.argv = argv;
	vdnet_cmd_foreach(try_cmd, &m);
	if (!m.cmd) {
		if (m.best)
			return vdnet_cmd_fail(c, "unknown command '%s %s' (try: help)", argv[0],
					      argc > 1 ? argv[1] : "");
		return vdnet_cmd_fail(c, "unknown command '%s' (try: help)", argv[0]);
	}
	int nargs = argc - m.words;
	char **args = argv + m.words;

	if ((m.cmd->flags & VDNET_CMD_JSON) && nargs && !strcmp(args[nargs - 1], "--json")) {
		c->json = true;
		nargs--;
	}
	for (int i = 0; i < nargs; i++)
		if (!strncmp(args[i], "--", 2))
			return vdnet_cmd_fail(c, "unknown option '%s' (usage: %s)", args[i],
					      m.cmd->usage);
	if (nargs < m.cmd->min_args)
		return vdnet_cmd_fail(c, "missing argument (usage: %s)", m.cmd->usage);
	if (nargs > m.cmd->max_args)
		return vdnet_cmd_fail(c, "unexpected argument '%s' (usage: %s)",
				      args[m.cmd->max_args], m.cmd->usage);
	return m.cmd->fn(c, nargs, args);
}

int vdnet_cmd_run(struct vdnet *v, const char *line, bool *json, FILE *out, char *err,
		  size_t errlen)
{
	bool dflt = false;
	struct vdnet_cmd_ctx c = {
		.v = v,
		.out = out,
		.session_json = json ? json : &dflt,
		.err = err,
		.errlen = errlen,
	};
	int rc;

	c.json = *c.session_json;
	err[0] = '\0';
	pthread_mutex_lock(&cmd_lock);
	rc = run_locked(&c, line);
	pthread_mutex_unlock(&cmd_lock);
	fflush(out);
	return rc;
}
