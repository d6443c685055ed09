/* SPDX-License-Identifier: BSD-3-Clause */
/* A minimal vhost-user frontend for the benchmark (see the header).  The
 * message layouts are those of QEMU's docs/interop/vhost-user.rst, in the
 * host's byte order. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/vhost_types.h>

#include "vu_front.h"

enum {
	REQ_GET_FEATURES = 1,
	REQ_SET_FEATURES = 2,
	REQ_SET_OWNER = 3,
	REQ_SET_MEM_TABLE = 5,
	REQ_SET_VRING_NUM = 8,
	REQ_SET_VRING_ADDR = 9,
	REQ_SET_VRING_BASE = 10,
	REQ_SET_VRING_KICK = 12,
	REQ_SET_VRING_CALL = 13,
};

#define HDR_VERSION 0x1u
#define HDR_REPLY (1u << 2)
/* the backend allocates vrings on demand, up to its limit; a net device
 * with one queue pair needs two */
#define MAX_VRING 2u

struct hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* of the payload that follows */
};

/* a vhost-user memory region: the kernel's vhost_memory_region but for
 * the last field, an offset into the fd that goes with it */
struct mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct mem_region region[1];
};

_Static_assert(sizeof(struct hdr) == 12, "vhost-user header");
_Static_assert(sizeof(struct vhost_vring_addr) == 40, "vring address payload");
_Static_assert(sizeof(struct mem_table) == 40, "memory table with one region");

int vu_front_connect(struct vu_front *f, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int rc;

	f->sock = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->sock < 0)
		return -errno;
	if (connect(f->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(f->sock);
		f->sock = -1;
		return rc;
	}
	return 0;
}

void vu_front_close(struct vu_front *f)
{
	if (f->sock >= 0)
		close(f->sock);
	f->sock = -1;
}

/* One message, with at most one fd riding along (SCM_RIGHTS). */
static int send_msg(struct vu_front *f, uint32_t req, const void *payload, uint32_t size, int fd)
{
	struct hdr h = { .request = req, .flags = HDR_VERSION, .size = size };
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(f->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* a unix stream socket takes a message this small whole or not at all */
	return (size_t)n == sizeof(h) + size ? 0 : -EIO;
}

static int recv_all(struct vu_front *f, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(f->sock, (char *)buf + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

int vu_front_get_features(struct vu_front *f, uint64_t *features)
{
	struct hdr h;
	int rc = send_msg(f, REQ_GET_FEATURES, NULL, 0, -1);

	if (rc == 0)
		rc = recv_all(f, &h, sizeof(h));
	if (rc < 0)
		return rc;
	if (h.request != REQ_GET_FEATURES || !(h.flags & HDR_REPLY) || h.size != sizeof(*features))
		return -EPROTO;
	return recv_all(f, features, sizeof(*features));
}

int vu_front_set_owner(struct vu_front *f)
{
	return send_msg(f, REQ_SET_OWNER, NULL, 0, -1);
}

int vu_front_set_features(struct vu_front *f, uint64_t features)
{
	return send_msg(f, REQ_SET_FEATURES, &features, sizeof(features), -1);
}

int vu_front_set_mem(struct vu_front *f, int fd, uint64_t size, const void *addr)
{
	struct mem_table t = {
		.nregions = 1,
		.region[0] = {
			.guest_phys_addr = 0,
			.memory_size = size,
			.userspace_addr = (uint64_t)(uintptr_t)addr,
			.mmap_offset = 0,
		},
	};

	return send_msg(f, REQ_SET_MEM_TABLE, &t, sizeof(t), fd);
}

int vu_front_vring(struct vu_front *f, unsigned int index, const struct vu_front_vring *v)
{
	struct vhost_vring_state st = { .index = index, .num = v->num };
	struct vhost_vring_addr a = {
		.index = index,
		.desc_user_addr = (uint64_t)(uintptr_t)v->desc,
		.avail_user_addr = (uint64_t)(uintptr_t)v->driver,
		.used_user_addr = (uint64_t)(uintptr_t)v->device,
	};
	/* kick and call: the vring index, the fd rides along (bit 8, "no
	 * fd", stays clear) */
	uint64_t file = index;
	int rc;

	if (index >= MAX_VRING || v->num == 0 || v->num > 32768)
		return -EINVAL;
	rc = send_msg(f, REQ_SET_VRING_NUM, &st, sizeof(st), -1);
	if (rc < 0)
		return rc;
	/* where the device starts: 0, and for packed rings the wrap
	 * counter (bit 15) at 1, as a fresh ring has it */
	st.num = v->packed ? 1u << 15 : 0;
	rc = send_msg(f, REQ_SET_VRING_BASE, &st, sizeof(st), -1);
	if (rc == 0)
		rc = send_msg(f, REQ_SET_VRING_ADDR, &a, sizeof(a), -1);
	if (rc == 0)
		rc = send_msg(f, REQ_SET_VRING_CALL, &file, sizeof(file), v->call);
	/* last: without protocol features the kick starts the ring */
	if (rc == 0)
		rc = send_msg(f, REQ_SET_VRING_KICK, &file, sizeof(file), v->kick);
	return rc;
}
