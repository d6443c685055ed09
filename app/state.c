/* SPDX-License-Identifier: BSD-3-Clause */
/* The state file: format, parse, atomic write, read (see state.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

#define MAGIC "vdnet-state"

int vdnet_state_format(const struct vdnet_state *s, char *buf, size_t len)
{
	const uint8_t *m = s->mac;
	int n = snprintf(buf, len,
			 MAGIC " %d\n"
			 "name %s\n"
			 "spec %s\n"
			 "features_offered 0x%" PRIx64 "\n"
			 "features_driver 0x%" PRIx64 "\n"
			 "status 0x%x\n"
			 "max_qp %u\n"
			 "active_qp %u\n"
			 "vq_size %u\n"
			 "cvq %d\n"
			 "mac %02x:%02x:%02x:%02x:%02x:%02x\n"
			 "mtu %u\n"
			 "link_up %d\n"
			 "end\n",
			 VDNET_STATE_VERSION, s->name, s->spec, s->features_offered,
			 s->features_driver, s->status, s->max_qp, s->active_qp, s->vq_size, s->cvq,
			 m[0], m[1], m[2], m[3], m[4], m[5], s->mtu, s->link_up);

	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static int bad(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int num(const char *v, uint64_t max, uint64_t *out)
{
	char *end;

	if (!*v || *v == '-' || *v == ' ')
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 0);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

enum key {
	K_NAME, K_SPEC, K_FOFF, K_FDRV, K_STATUS, K_MAXQP, K_ACTQP, K_VQSIZE, K_CVQ, K_MAC, K_MTU,
	K_LINK, K__COUNT
};
static const char *const keys[K__COUNT] = {
	"name", "spec", "features_offered", "features_driver", "status", "max_qp", "active_qp",
	"vq_size", "cvq", "mac", "mtu", "link_up",
};
static const uint64_t max_of[K__COUNT] = {
	[K_FOFF] = UINT64_MAX, [K_FDRV] = UINT64_MAX, [K_STATUS] = 0xff, [K_MAXQP] = 0xffff,
	[K_ACTQP] = 0xffff, [K_VQSIZE] = 0xffff, [K_CVQ] = 1, [K_MTU] = 0xffff, [K_LINK] = 1,
};

static int set_str(char *dst, size_t size, const char *v)
{
	if (!*v || strlen(v) >= size)
		return -EINVAL;
	snprintf(dst, size, "%s", v);
	return 0;
}

static int set_key(struct vdnet_state *s, enum key k, const char *v)
{
	uint64_t x = 0;
	unsigned int m[6];
	char tail;

	switch (k) {
	case K_NAME:
		return set_str(s->name, sizeof(s->name), v);
	case K_SPEC:
		return set_str(s->spec, sizeof(s->spec), v);
	case K_MAC:
		if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
			   &tail) != 6 || strlen(v) != 17)
			return -EINVAL;
		for (int i = 0; i < 6; i++)
			s->mac[i] = m[i];
		return 0;
	default:
		break;
	}
	if (num(v, max_of[k], &x))
		return -EINVAL;
	switch (k) {
	case K_FOFF: s->features_offered = x; break;
	case K_FDRV: s->features_driver = x; break;
	case K_STATUS: s->status = x; break;
	case K_MAXQP: s->max_qp = x; break;
	case K_ACTQP: s->active_qp = x; break;
	case K_VQSIZE: s->vq_size = x; break;
	case K_CVQ: s->cvq = x; break;
	case K_MTU: s->mtu = x; break;
	case K_LINK: s->link_up = x; break;
	default: return -EINVAL;
	}
	return 0;
}

/* Next line of *p (without its newline) into line; false at the end. */
static bool next_line(const char **p, char *line, size_t size, bool *too_long)
{
	const char *s = *p, *nl;
	size_t n;

	if (!*s)
		return false;
	nl = strchr(s, '\n');
	n = nl ? (size_t)(nl - s) : strlen(s);
	*too_long = n >= size;
	snprintf(line, size, "%.*s", (int)(n < size ? n : size - 1), s);
	*p = nl ? nl + 1 : s + n;
	return true;
}

int vdnet_state_parse(const char *text, struct vdnet_state *s, char *err, size_t errlen)
{
	char line[320];
	bool too_long, ended = false;
	unsigned int seen = 0, lineno = 1;
	const char *p = text;
	int ver;
	char tail;

	memset(s, 0, sizeof(*s));
	if (!next_line(&p, line, sizeof(line), &too_long) || too_long ||
	    strncmp(line, MAGIC " ", sizeof(MAGIC)))
		return bad(err, errlen, -EPROTO, "not a vdnet state file (no '" MAGIC "' line)");
	if (sscanf(line + sizeof(MAGIC), "%d%c", &ver, &tail) != 1)
		return bad(err, errlen, -EPROTO, "bad version line '%s'", line);
	if (ver != VDNET_STATE_VERSION)
		return bad(err, errlen, -EPROTO, "state file version %d; this vdnet reads version %d",
			   ver, VDNET_STATE_VERSION);
	while (next_line(&p, line, sizeof(line), &too_long)) {
		lineno++;
		if (ended)
			return bad(err, errlen, -EINVAL, "line %u: text after 'end'", lineno);
		if (too_long)
			return bad(err, errlen, -EINVAL, "line %u: too long", lineno);
		if (!strcmp(line, "end")) {
			/* a file cut right after "end" lacks its newline */
			if (p[-1] != '\n')
				return bad(err, errlen, -ENODATA, "cut short: 'end' has no newline");
			ended = true;
			continue;
		}
		char *sp = strchr(line, ' ');
		if (!sp)
			return bad(err, errlen, -EINVAL, "line %u: '%s' is not 'key value'", lineno, line);
		*sp = '\0';
		int k;
		for (k = 0; k < K__COUNT && strcmp(line, keys[k]); k++)
			;
		if (k == K__COUNT)
			return bad(err, errlen, -EINVAL, "line %u: unknown key '%s'", lineno, line);
		if (seen & (1u << k))
			return bad(err, errlen, -EINVAL, "line %u: '%s' given twice", lineno, line);
		if (set_key(s, k, sp + 1))
			return bad(err, errlen, -EINVAL, "line %u: bad value '%s' for %s", lineno,
				   sp + 1, line);
		seen |= 1u << k;
	}
	if (!ended)
		return bad(err, errlen, -ENODATA, "cut short: no 'end' line");
	for (int k = 0; k < K__COUNT; k++)
		if (!(seen & (1u << k)))
			return bad(err, errlen, -EINVAL, "'%s' is missing", keys[k]);
	return 0;
}

static int path_of(char *buf, size_t len, const char *dir, const char *name, const char *suffix)
{
	int n = snprintf(buf, len, "%s/%s.state%s", dir, name, suffix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vdnet_state_write(const char *dir, const struct vdnet_state *s)
{
	char text[VDNET_STATE_MAX], path[512], tmp[520];
	int n = vdnet_state_format(s, text, sizeof(text)), fd, rc = 0;

	if (n < 0)
		return n;
	if (path_of(path, sizeof(path), dir, s->name, "") ||
	    path_of(tmp, sizeof(tmp), dir, s->name, ".tmp"))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (ssize_t off = 0; off < n && !rc;) {
		ssize_t w = write(fd, text + off, n - off);

		if (w < 0 && errno != EINTR)
			rc = -errno;
		else if (w > 0)
			off += w;
	}
	/* durable before it replaces the old one (a no-op on tmpfs) */
	if (!rc && fdatasync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int vdnet_state_read(const char *dir, const char *name, struct vdnet_state *s, char *err,
		     size_t errlen)
{
	char path[512], text[VDNET_STATE_MAX + 1];
	size_t n = 0;
	int fd, rc;

	if (path_of(path, sizeof(path), dir, name, ""))
		return bad(err, errlen, -ENAMETOOLONG, "path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return bad(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	for (;;) {
		ssize_t r = read(fd, text + n, sizeof(text) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			close(fd);
			return bad(err, errlen, rc, "%s: %s", path, strerror(-rc));
		}
		if (r == 0)
			break;
		n += r;
		if (n == sizeof(text) - 1) {
			close(fd);
			return bad(err, errlen, -EFBIG, "%s: larger than %d bytes", path,
				   VDNET_STATE_MAX);
		}
	}
	close(fd);
	text[n] = '\0';
	if (memchr(text, '\0', n))
		return bad(err, errlen, -EPROTO, "%s: not a text file", path);
	rc = vdnet_state_parse(text, s, err, errlen);
	if (rc)
		return rc;
	if (strcmp(s->name, name))
		return bad(err, errlen, -EINVAL, "%s: is the state of device '%s'", path, s->name);
	return 0;
}

int vdnet_state_remove(const char *dir, const char *name)
{
	char path[512];

	if (path_of(path, sizeof(path), dir, name, ""))
		return -ENAMETOOLONG;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}
