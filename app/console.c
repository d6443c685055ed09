/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * -i: an interactive console on the main lcore (librte_cmdline: line
 * editing, history, tab completion), and --cmdfile FILE.  Both run the
 * command table of app/cmd*.c.
 *
 * librte_cmdline wants one instruction per command shape; our table is
 * data (usage strings), so the console has a single instruction whose
 * tokens are generated on the fly: token k is "the k-th word".  Parsing
 * word k notes whether the line goes on, so the generator knows when to
 * stop, and what the words so far were, so completion of word k can offer
 * the table's k-th words of the commands that fit.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_socket.h>

#include "cmd.h"

#define MAX_WORDS 16
#define WORD_SZ 512 /* MAX_WORDS of them fill cmdline's 8 KiB result buffer */
#define MAX_CANDS 64

struct word_tok {
	struct cmdline_token_hdr hdr;
	unsigned int idx;
};

static struct vdnet *cv;
static struct cmdline *cl;
static cmdline_parse_inst_t *inst;
static cmdline_parse_ctx_t ctx[2];
static struct word_tok toks[MAX_WORDS];
static bool console_json, ended;

/* the words parsed so far on this line, and whether more follow */
static char seen[MAX_WORDS][WORD_SZ];
static unsigned int line_words;

static char cands[MAX_CANDS][WORD_SZ];
static unsigned int n_cands;

static bool end_of_line(char ch)
{
	return ch == '\n' || ch == '\r' || ch == '#';
}

static int parse_word(cmdline_parse_token_hdr_t *hdr, const char *buf, void *res,
		      unsigned int ressize)
{
	const struct word_tok *t = (const struct word_tok *)hdr;
	size_t len;
	const char *p;

	/* the last token takes the rest of the line: the dispatcher counts words */
	if (t->idx == MAX_WORDS - 1)
		len = strcspn(buf, "\r\n#");
	else
		for (len = 0; !cmdline_isendoftoken(buf[len]); len++)
			;
	if (len == 0 || len >= WORD_SZ)
		return -1;
	memcpy(seen[t->idx], buf, len);
	seen[t->idx][len] = '\0';
	if (res && ressize >= WORD_SZ)
		memcpy(res, seen[t->idx], len + 1);
	for (p = buf + len; *p == ' ' || *p == '\t'; p++)
		;
	/* completion buffers end in '\0' without a newline: the line goes on */
	line_words = end_of_line(*p) ? t->idx + 1 : t->idx + 2;
	return (int)len;
}

/* Does a line's word fit this usage word ("show", "up|down", "NAME", "[NAME]")? */
static bool word_fits(const char *usage_word, const char *w)
{
	char pat[64], *save = NULL, *alt;

	snprintf(pat, sizeof(pat), "%s", usage_word + (usage_word[0] == '['));
	pat[strcspn(pat, "]")] = '\0';
	for (const char *s = pat; *s; s++)
		if (isupper((unsigned char)*s))
			return true; /* a placeholder takes anything */
	for (alt = strtok_r(pat, "|", &save); alt; alt = strtok_r(NULL, "|", &save))
		if (!strcmp(alt, w))
			return true;
	return false;
}

static void add_cand(const char *s)
{
	for (unsigned int i = 0; i < n_cands; i++)
		if (!strcmp(cands[i], s))
			return;
	if (n_cands < MAX_CANDS)
		snprintf(cands[n_cands++], WORD_SZ, "%s", s);
}

static int collect(const struct vdnet_cmd *cmd, void *arg)
{
	unsigned int k = *(unsigned int *)arg, n = 0;
	char usage[128], *w[MAX_WORDS], *save = NULL, *t, pat[64], *alt, *s2 = NULL;

	snprintf(usage, sizeof(usage), "%s", cmd->usage);
	for (t = strtok_r(usage, " ", &save); t && n < MAX_WORDS; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	if (k >= n)
		return 0;
	for (unsigned int j = 0; j < k; j++)
		if (!word_fits(w[j], seen[j]))
			return 0;
	snprintf(pat, sizeof(pat), "%s", w[k] + (w[k][0] == '['));
	pat[strcspn(pat, "]")] = '\0';
	if (strstr(pat, "NAME")) {
		for (unsigned int i = 0; i < cv->n_dev; i++)
			if (cv->dev[i].net)
				add_cand(cv->dev[i].conf.name);
		return 0;
	}
	for (const char *s = pat; *s; s++)
		if (isupper((unsigned char)*s))
			return 0; /* a value we cannot guess */
	for (alt = strtok_r(pat, "|", &s2); alt; alt = strtok_r(NULL, "|", &s2))
		add_cand(alt);
	return 0;
}

static int complete_nb(cmdline_parse_token_hdr_t *hdr)
{
	unsigned int k = ((const struct word_tok *)hdr)->idx;

	n_cands = 0;
	/* device names come from the table `add/del device` (from the control
	 * socket too) rewrites */
	vdnet_cmd_lock();
	vdnet_cmd_foreach(collect, &k);
	vdnet_cmd_unlock();
	return (int)n_cands;
}

static int complete_elt(cmdline_parse_token_hdr_t *hdr, int i, char *dst, unsigned int size)
{
	(void)hdr;
	if (i < 0 || (unsigned int)i >= n_cands)
		return -1;
	snprintf(dst, size, "%s", cands[i]);
	return 0;
}

static int word_help(cmdline_parse_token_hdr_t *hdr, char *dst, unsigned int size)
{
	(void)hdr;
	snprintf(dst, size, "word");
	return 0;
}

static struct cmdline_token_ops word_ops = {
	.parse = parse_word,
	.complete_get_nb = complete_nb,
	.complete_get_elt = complete_elt,
	.get_help = word_help,
};

/* Print a command's output, or its error, where the caller sees it. */
static int run_line(const char *line, bool *json, const char *where)
{
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc;

	if (!out)
		return -ENOMEM;
	rc = vdnet_cmd_run(cv, line, json, out, err, sizeof(err));
	fclose(out);
	fwrite(buf, 1, len, stdout);
	if (rc)
		printf("%serror: %s\n", where, err[0] ? err : strerror(-rc));
	fflush(stdout);
	free(buf);
	return rc;
}

/* Both the instruction's callback (cl set) and its token generator (cl NULL). */
static void on_inst(void *a, struct cmdline *c, void *b)
{
	if (!c) {
		unsigned int idx = (unsigned int)((cmdline_parse_token_hdr_t **)b - inst->tokens);

		*(cmdline_parse_token_hdr_t **)a =
			idx < MAX_WORDS && (idx == 0 || idx < line_words) ? &toks[idx].hdr : NULL;
		return;
	}
	char line[MAX_WORDS * WORD_SZ] = "";
	const char *res = a;

	for (unsigned int k = 0; k < MAX_WORDS && res[k * WORD_SZ]; k++) {
		size_t used = strlen(line);

		snprintf(line + used, sizeof(line) - used, "%s%s", k ? " " : "", res + k * WORD_SZ);
	}
	run_line(line, &console_json, "");
	if (atomic_load(&cv->quit))
		cmdline_quit(c);
}

int vdnet_console_open(struct vdnet *v)
{
	cv = v;
	/* tokens[] is a flexible array; generated tokens leave it empty */
	inst = calloc(1, sizeof(*inst) + 2 * sizeof(inst->tokens[0]));
	if (!inst)
		return -ENOMEM;
	inst->f = on_inst;
	inst->help_str = "a vdnet command (try: help)";
	for (unsigned int k = 0; k < MAX_WORDS; k++)
		toks[k] = (struct word_tok){ { &word_ops, k * WORD_SZ }, k };
	ctx[0] = inst;
	ctx[1] = NULL;
	cl = cmdline_stdin_new(ctx, "vdnet> ");
	if (!cl) {
		free(inst);
		inst = NULL;
		return -ENOMEM;
	}
	return 0;
}

int vdnet_console_poll(int ms)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[128];
	ssize_t n;

	if (!cl || ended)
		return -1;
	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	/* EOF on the terminal, ctrl-d on an empty line, or quit */
	if (n <= 0 || cmdline_in(cl, buf, (int)n) < 0)
		ended = true;
	return ended ? -1 : 0;
}

void vdnet_console_close(void)
{
	if (!cl)
		return;
	cmdline_stdin_exit(cl); /* gives the terminal its settings back */
	cl = NULL;
	free(inst);
	inst = NULL;
}

int vdnet_cmdfile_run(struct vdnet *v, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512], where[300];
	unsigned int ln = 0, ran = 0, failed = 0;
	bool json = false, skip = false;

	if (!f)
		return -errno;
	cv = v;
	while (fgets(line, sizeof(line), f) && !atomic_load(&v->quit)) {
		size_t len = strlen(line);
		bool whole = len && line[len - 1] == '\n';
		char *s = line;

		if (skip) { /* the tail of an over-long line */
			skip = !whole;
			continue;
		}
		ln++;
		if (!whole && !feof(f)) {
			printf("%s:%u: error: line too long (at most %zu characters)\n", path, ln,
			       sizeof(line) - 2);
			failed++;
			skip = true;
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		printf("vdnet> %s\n", s);
		snprintf(where, sizeof(where), "%s:%u: ", path, ln);
		ran++;
		if (run_line(s, &json, where))
			failed++;
	}
	fclose(f);
	printf("vdnet: --cmdfile %s: %u command(s), %u failed\n", path, ran, failed);
	fflush(stdout);
	return 0;
}
