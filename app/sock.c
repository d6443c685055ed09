/* SPDX-License-Identifier: BSD-3-Clause */
/* --socket PATH: the command set over a unix stream socket, one command per
 * connection, so vdnet can run under systemd and still be scripted:
 *   request:  one line
 *   reply:    the command's output, then "OK" or "ERR <reason>" as last line
 * and `vdnet --connect PATH CMD...`, its client. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "vdnet.h"

static int listen_fd = -1;
static pthread_t sock_thread;
static atomic_bool sock_stop;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void serve_one(struct vdnet *v, int fd)
{
	char line[512], err[256] = "";
	size_t n = 0;
	ssize_t r;

	/* a client that never finishes its line must not hold us forever */
	struct timeval tv = { 2, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n < sizeof(line) - 1 && (r = read(fd, line + n, sizeof(line) - 1 - n)) > 0) {
		n += r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';

	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return;
	int rc = vdnet_cmd_run(v, line, NULL, out, err, sizeof(err));

	if (rc)
		fprintf(out, "ERR %s\n", err[0] ? err : strerror(-rc));
	else
		fprintf(out, "OK\n");
	fclose(out);
	for (size_t off = 0; off < len;) {
		r = write(fd, buf + off, len - off);
		if (r <= 0)
			break;
		off += r;
	}
	free(buf);
}

static void *sock_main(void *arg)
{
	struct vdnet *v = arg;

	while (!atomic_load(&sock_stop)) {
		struct pollfd p = { .fd = listen_fd, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		serve_one(v, fd);
		close(fd);
	}
	return NULL;
}

int vdnet_sock_start(struct vdnet *v, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int rc;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	unlink(path); /* a stale socket from a previous run */
	if (bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) || listen(listen_fd, 8)) {
		rc = -errno;
		close(listen_fd);
		listen_fd = -1;
		return rc;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	rc = rte_ctrl_thread_create(&sock_thread, "vdnet-sock", NULL, sock_main, v);
	if (rc) {
		close(listen_fd);
		listen_fd = -1;
		unlink(path);
		return -rc;
	}
	return 0;
}

void vdnet_sock_stop(void)
{
	if (listen_fd < 0)
		return;
	atomic_store(&sock_stop, true);
	pthread_join(sock_thread, NULL);
	close(listen_fd);
	listen_fd = -1;
	unlink(sock_path);
}

int vdnet_connect(const char *path, int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[512] = "", buf[4096], *last;
	size_t n = 0, cap = 1 << 20;
	char *reply = malloc(cap);
	ssize_t r;
	int fd;

	if (!reply)
		return 2;
	for (int i = 0; i < argc; i++) {
		size_t used = strlen(line);

		snprintf(line + used, sizeof(line) - used, "%s%s", i ? " " : "", argv[i]);
	}
	if (strlen(path) >= sizeof(a.sun_path) || !argc) {
		fprintf(stderr, "vdnet --connect: usage: vdnet --connect PATH COMMAND...\n");
		free(reply);
		return 2;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "vdnet --connect: cannot connect to %s: %s (is vdnet running with "
			"--socket %s?)\n", path, strerror(errno), path);
		free(reply);
		if (fd >= 0)
			close(fd);
		return 2;
	}
	strcat(line, "\n");
	if (write(fd, line, strlen(line)) < 0) {
		fprintf(stderr, "vdnet --connect: write: %s\n", strerror(errno));
		close(fd);
		free(reply);
		return 2;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0 && n + r < cap) {
		memcpy(reply + n, buf, r);
		n += r;
	}
	close(fd);
	reply[n] = '\0';
	/* the status is the last line */
	while (n && reply[n - 1] == '\n')
		reply[--n] = '\0';
	last = strrchr(reply, '\n');
	last = last ? last + 1 : reply;
	fwrite(reply, 1, last - reply, stdout);
	int rc = 0;

	if (!strncmp(last, "ERR", 3)) {
		fprintf(stderr, "vdnet: %s\n", last[3] ? last + 4 : "error");
		rc = 1;
	} else if (strcmp(last, "OK")) {
		fprintf(stderr, "vdnet --connect: no status in the reply (daemon stopped?)\n");
		rc = 2;
	}
	free(reply);
	return rc;
}
