/* SPDX-License-Identifier: BSD-3-Clause */
/* Changing a device's kernel netdev (MAC, MTU) where it lives, possibly in
 * a container's netns.  A netlink socket belongs to the netns it was made
 * in, so a short-lived thread enters the netns just to open it: the caller's
 * own thread never changes namespace. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vdnet.h"

struct opener {
	const char *netns;
	int fd; /* the socket, or -errno */
};

static void *open_in_netns(void *arg)
{
	struct opener *o = arg;
	char path[128];
	int ns;

	if (o->netns[0]) {
		snprintf(path, sizeof(path), "/run/netns/%s", o->netns);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns < 0 || setns(ns, CLONE_NEWNET)) {
			o->fd = -errno;
			if (ns >= 0)
				close(ns);
			return NULL;
		}
		close(ns);
	}
	o->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (o->fd < 0)
		o->fd = -errno;
	return NULL;
}

static int rtnl_socket(const char *netns)
{
	struct opener o = { .netns = netns, .fd = -EIO };
	pthread_t t;
	int rc = pthread_create(&t, NULL, open_in_netns, &o);

	if (rc)
		return -rc;
	pthread_join(t, NULL);
	return o.fd;
}

static void put_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* RTM_SETLINK by name with one attribute; the kernel's answer as -errno. */
static int setlink(const struct vdnet_dev *d, unsigned short type, const void *data, size_t len)
{
	union {
		struct nlmsghdr h;
		char buf[1024];
	} req, ans;
	struct ifinfomsg *ifi;
	struct timeval tv = { 2, 0 };
	ssize_t n;
	int fd, rc;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	req.h.nlmsg_type = RTM_SETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.h.nlmsg_seq = 1;
	ifi = NLMSG_DATA(&req.h);
	ifi->ifi_family = AF_UNSPEC;
	put_attr(&req.h, IFLA_IFNAME, d->netdev, strlen(d->netdev) + 1);
	put_attr(&req.h, type, data, len);

	fd = rtnl_socket(d->conf.netns);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, &ans, sizeof(ans), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	rc = -EPROTO;
	if ((size_t)n >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) && ans.h.nlmsg_type == NLMSG_ERROR)
		rc = ((struct nlmsgerr *)NLMSG_DATA(&ans.h))->error;
out:
	close(fd);
	return rc;
}

int vdnet_netdev_set_mac(const struct vdnet_dev *d, const struct rte_ether_addr *mac)
{
	if (!d->netdev[0])
		return -ENODEV;
	return setlink(d, IFLA_ADDRESS, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
}

int vdnet_netdev_set_mtu(const struct vdnet_dev *d, uint16_t mtu)
{
	uint32_t v = mtu;

	if (!d->netdev[0])
		return -ENODEV;
	return setlink(d, IFLA_MTU, &v, sizeof(v));
}
