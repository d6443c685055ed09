/* SPDX-License-Identifier: BSD-3-Clause */
/* app/state.c: the crash-restart state file round-trips, is replaced
 * atomically, and every damaged, cut-short or foreign file is refused with
 * an error that says why. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "state.h"

static char dir[64];

static struct vdnet_state sample(void)
{
	struct vdnet_state s = {
		.name = "vdn0",
		.spec = "queues=2,packed=off,bus=virtio,mac=02:00:00:00:00:10,mtu=1500,netns=ctr,ifname=eth0",
		.features_offered = 0x1300ff86bULL,
		.features_driver = 0x130000863ULL,
		.status = 0x0f,
		.max_qp = 2,
		.active_qp = 2,
		.vq_size = 256,
		.cvq = true,
		.mac = { 0x02, 0, 0, 0, 0, 0x10 },
		.mtu = 9000,
		.link_up = true,
	};
	return s;
}

static bool same(const struct vdnet_state *a, const struct vdnet_state *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->spec, b->spec) &&
	       a->features_offered == b->features_offered &&
	       a->features_driver == b->features_driver && a->status == b->status &&
	       a->max_qp == b->max_qp && a->active_qp == b->active_qp && a->vq_size == b->vq_size &&
	       a->cvq == b->cvq && !memcmp(a->mac, b->mac, 6) && a->mtu == b->mtu &&
	       a->link_up == b->link_up;
}

static void write_raw(const char *name, const char *text, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.state", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_round_trip(void)
{
	struct vdnet_state s = sample(), r;
	char err[256] = "";

	CHECK_EQ(vdnet_state_write(dir, &s), 0);
	CHECK_EQ(vdnet_state_read(dir, "vdn0", &r, err, sizeof(err)), 0);
	CHECK(same(&s, &r));
	/* a second write replaces the first and leaves no temporary behind */
	s.status = 0;
	s.features_driver = 0;
	s.link_up = false;
	CHECK_EQ(vdnet_state_write(dir, &s), 0);
	CHECK_EQ(vdnet_state_read(dir, "vdn0", &r, err, sizeof(err)), 0);
	CHECK(same(&s, &r));
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s/vdn0.state.tmp", dir);
	CHECK(access(tmp, F_OK) != 0);
	CHECK_EQ(vdnet_state_remove(dir, "vdn0"), 0);
	CHECK_EQ(vdnet_state_read(dir, "vdn0", &r, err, sizeof(err)), -ENOENT);
	/* removing what is not there is fine */
	CHECK_EQ(vdnet_state_remove(dir, "vdn0"), 0);
}

static void test_write_makes_dir(void)
{
	struct vdnet_state s = sample(), r;
	char sub[96], err[256];

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CHECK_EQ(vdnet_state_write(sub, &s), 0);
	CHECK_EQ(vdnet_state_read(sub, "vdn0", &r, err, sizeof(err)), 0);
	CHECK_EQ(vdnet_state_remove(sub, "vdn0"), 0);
	rmdir(sub);
}

/* Every prefix of a valid file that is not the whole file is refused. */
static void test_cut_short(void)
{
	struct vdnet_state s = sample(), r;
	char text[VDNET_STATE_MAX], err[256];
	int n = vdnet_state_format(&s, text, sizeof(text));
	int refused = 0;

	CHECK(n > 0);
	for (int len = 0; len < n; len++) {
		char cut[VDNET_STATE_MAX];

		memcpy(cut, text, len);
		cut[len] = '\0';
		int rc = vdnet_state_parse(cut, &r, err, sizeof(err));

		if (rc != 0)
			refused++;
		else
			fprintf(stderr, "accepted a prefix of %d bytes\n", len);
	}
	CHECK_EQ(refused, n);
	/* one cut right after the last key says so */
	char *end = strstr(text, "end\n");
	CHECK(end != NULL);
	if (end) {
		*end = '\0';
		CHECK_EQ(vdnet_state_parse(text, &r, err, sizeof(err)), -ENODATA);
		CHECK(strstr(err, "cut short") != NULL);
	}
	/* and through the file: an empty file (a crash before the first write
	 * cannot leave one, but a full disk can) */
	write_raw("short", "", 0);
	CHECK_EQ(vdnet_state_read(dir, "short", &r, err, sizeof(err)), -EPROTO);
}

static void test_version(void)
{
	struct vdnet_state s = sample(), r;
	char text[VDNET_STATE_MAX], err[256];
	int n = vdnet_state_format(&s, text, sizeof(text));

	CHECK(n > 0 && !strncmp(text, "vdnet-state 1\n", 14));
	text[12] = '2';
	CHECK_EQ(vdnet_state_parse(text, &r, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "version 2") != NULL);
	text[12] = '0';
	CHECK_EQ(vdnet_state_parse(text, &r, err, sizeof(err)), -EPROTO);
	CHECK_EQ(vdnet_state_parse("hello\n", &r, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "not a vdnet state file") != NULL);
	CHECK_EQ(vdnet_state_parse("vdnet-state x\nend\n", &r, err, sizeof(err)), -EPROTO);
}

/* Replace `key`'s whole line with `line` (NULL: delete it) and parse. */
static int parse_edited(const char *key, const char *line, char *err, size_t errlen)
{
	struct vdnet_state s = sample(), r;
	char text[VDNET_STATE_MAX], out[VDNET_STATE_MAX + 256];
	char want[64];

	vdnet_state_format(&s, text, sizeof(text));
	snprintf(want, sizeof(want), "\n%s ", key);
	char *at = strstr(text, want);
	if (!at)
		return 12345;
	at++;
	char *nl = strchr(at, '\n');
	snprintf(out, sizeof(out), "%.*s%s%s%s", (int)(at - text), text, line ? line : "",
		 line ? "\n" : "", nl + 1);
	return vdnet_state_parse(out, &r, err, errlen);
}

static void test_corrupt(void)
{
	char err[256];

	CHECK_EQ(parse_edited("status", NULL, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'status' is missing") != NULL);
	CHECK_EQ(parse_edited("status", "status 0x100", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "bad value") != NULL);
	CHECK_EQ(parse_edited("status", "status -1", err, sizeof(err)), -EINVAL);
	CHECK_EQ(parse_edited("max_qp", "max_qp 2x", err, sizeof(err)), -EINVAL);
	CHECK_EQ(parse_edited("max_qp", "max_qp ", err, sizeof(err)), -EINVAL);
	CHECK_EQ(parse_edited("cvq", "cvq 2", err, sizeof(err)), -EINVAL);
	CHECK_EQ(parse_edited("mac", "mac 02:00:00:00:00", err, sizeof(err)), -EINVAL);
	CHECK_EQ(parse_edited("mac", "mac 02:00:00:00:00:10:11", err, sizeof(err)), -EINVAL);
	CHECK_EQ(parse_edited("mac", "mac 02:00:00:00:00:1g", err, sizeof(err)), -EINVAL);
	CHECK_EQ(parse_edited("mtu", "mtu 1500\nmtu 1500", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "given twice") != NULL);
	CHECK_EQ(parse_edited("mtu", "mtu 1500\ncolour blue", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "unknown key 'colour'") != NULL);
	CHECK_EQ(parse_edited("mtu", "mtu1500", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not 'key value'") != NULL);
	CHECK_EQ(parse_edited("name", "name ", err, sizeof(err)), -EINVAL);
	/* the unedited text parses: the edits above are what was refused */
	CHECK_EQ(parse_edited("mtu", "mtu 1500", err, sizeof(err)), 0);

	struct vdnet_state r;
	/* text after end (two files' worth appended) */
	struct vdnet_state s = sample();
	char text[VDNET_STATE_MAX], two[2 * VDNET_STATE_MAX];
	int n = vdnet_state_format(&s, text, sizeof(text));
	snprintf(two, sizeof(two), "%s%s", text, text);
	CHECK_EQ(vdnet_state_parse(two, &r, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "after 'end'") != NULL);
	/* binary garbage and NULs in a file */
	char bin[64];
	memcpy(bin, text, sizeof(bin));
	bin[20] = '\0';
	write_raw("nul", bin, sizeof(bin));
	CHECK_EQ(vdnet_state_read(dir, "nul", &r, err, sizeof(err)), -EPROTO);
	/* a huge file */
	char *big = malloc(VDNET_STATE_MAX + 100);
	CHECK(big != NULL);
	if (big) {
		memset(big, 'x', VDNET_STATE_MAX + 100);
		write_raw("big", big, VDNET_STATE_MAX + 100);
		CHECK_EQ(vdnet_state_read(dir, "big", &r, err, sizeof(err)), -EFBIG);
		free(big);
	}
	/* another device's state under this name */
	write_raw("other", text, n);
	CHECK_EQ(vdnet_state_read(dir, "other", &r, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "state of device 'vdn0'") != NULL);
}

static void test_format_space(void)
{
	struct vdnet_state s = sample();
	char small[32];

	CHECK_EQ(vdnet_state_format(&s, small, sizeof(small)), -ENOSPC);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vdn-state-test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_round_trip);
	RUN(test_write_makes_dir);
	RUN(test_cut_short);
	RUN(test_version);
	RUN(test_corrupt);
	RUN(test_format_space);
	const char *left[] = { "short", "nul", "big", "other" };
	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++)
		vdnet_state_remove(dir, left[i]);
	if (rmdir(dir))
		fprintf(stderr, "leftover files in %s\n", dir);
	return check_report();
}
