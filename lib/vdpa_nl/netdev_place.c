/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Give a netdev its final name and namespace (libnl-route-3).
 *
 * Rename and move travel in one request, so the new name only has to be
 * free in the target namespace ("eth0" may well exist in the root one).
 * The kernel is not all-or-nothing about it, though: it moves the device
 * under its old name when that is free there and renames it afterwards, so
 * a failing rename leaves the device moved but unnamed.  Hence the check
 * for the name in the target first, and a move back should it fail anyway.
 * Looking into the target needs a socket created there: a netlink socket
 * stays in the netns it was made in, so this thread enters the target just
 * long enough to create one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "vdpa_internal.h"

/* Apply `changes` to `orig` and wait for the kernel's verdict. */
static int link_change(struct nl_sock *sk, struct rtnl_link *orig,
		       struct rtnl_link *changes)
{
	struct nl_msg *msg;
	int rc = rtnl_link_build_change_request(orig, changes, 0, &msg);

	if (rc < 0)
		return vdn_vdpa_nle_errno(rc);
	rc = vdn_vdpa_nl_transact(sk, msg, NULL, NULL);
	nlmsg_free(msg);
	return rc;
}

static int set_up(struct nl_sock *sk, struct rtnl_link *orig, int up)
{
	struct rtnl_link *changes = rtnl_link_alloc();
	int rc;

	if (!changes)
		return -ENOMEM;
	if (up)
		rtnl_link_set_flags(changes, IFF_UP);
	else
		rtnl_link_unset_flags(changes, IFF_UP);
	rc = link_change(sk, orig, changes);
	rtnl_link_put(changes);
	return rc;
}

static int open_netns(const char *netns)
{
	char path[PATH_MAX];
	int n, fd;

	if (!*netns || strchr(netns, '/') || !strcmp(netns, ".") || !strcmp(netns, ".."))
		return -EINVAL;
	n = snprintf(path, sizeof(path), "/run/netns/%s", netns);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Rename within the current namespace: the kernel refuses to rename a
 * running device, so take it down for the rename and bring it back. */
static int rename_here(struct nl_sock *sk, struct rtnl_link *link,
		       struct rtnl_link *changes)
{
	int was_up = !!(rtnl_link_get_flags(link) & IFF_UP);
	int rc;

	if (was_up) {
		rc = set_up(sk, link, 0);
		if (rc)
			return rc;
	}
	rc = link_change(sk, link, changes);
	if (was_up) {
		/* the ifindex is unchanged, so `link` still addresses the device */
		int up = set_up(sk, link, 1);

		if (!rc)
			rc = up;
	}
	return rc;
}

static int route_socket(struct nl_sock **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (!sk)
		return -ENOMEM;
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(sk);
		return vdn_vdpa_nle_errno(rc);
	}
	*out = sk;
	return 0;
}

/* A route socket in netns `nsfd`, made without leaving this thread there. */
static int socket_in_ns(int nsfd, struct nl_sock **out)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int rc;

	if (self < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET)) {
		rc = -errno;
		close(self);
		return rc;
	}
	rc = route_socket(out);
	if (setns(self, CLONE_NEWNET)) {
		/* the thread is stuck in the target netns: the caller must hear of it */
		int e = -errno;

		if (!rc)
			nl_socket_free(*out);
		rc = e;
	}
	close(self);
	return rc;
}

/* 1 if `nsfd` is this thread's own netns: then a "move" is a plain rename. */
static int is_own_ns(int nsfd)
{
	struct stat a, b;

	return !fstat(nsfd, &a) && !stat("/proc/thread-self/ns/net", &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* 0 if nothing called `name` exists where `sk` looks, -EEXIST if it does. */
static int name_free(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, name, &l);

	if (rc >= 0) {
		rtnl_link_put(l);
		return -EEXIST;
	}
	return (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) ? 0 : vdn_vdpa_nle_errno(rc);
}

/*
 * The combined request failed.  If the kernel had already moved the device
 * (under its old name `ifname`), send it home from the target netns.
 */
static void undo_move(struct nl_sock *sk, struct nl_sock *tsk, int ifindex,
		      const char *ifname, int was_up)
{
	struct rtnl_link *here = NULL, *there = NULL, *changes = NULL;
	int home;

	if (rtnl_link_get_kernel(sk, ifindex, NULL, &here) >= 0) {
		rtnl_link_put(here); /* still here: nothing moved */
		return;
	}
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return;
	changes = rtnl_link_alloc();
	if (changes && rtnl_link_get_kernel(tsk, 0, ifname, &there) >= 0) {
		rtnl_link_set_ns_fd(changes, home);
		if (!link_change(tsk, there, changes) && was_up &&
		    rtnl_link_get_kernel(sk, 0, ifname, &here) >= 0) {
			set_up(sk, here, 1);
			rtnl_link_put(here);
		}
		rtnl_link_put(there);
	}
	if (changes)
		rtnl_link_put(changes);
	close(home);
}

/* Move `link` into netns `nsfd`, named `newname` there (NULL: same name). */
static int move(struct nl_sock *sk, struct rtnl_link *link, const char *newname,
		int nsfd)
{
	const char *ifname = rtnl_link_get_name(link);
	struct rtnl_link *changes;
	struct nl_sock *tsk = NULL;
	int rc = socket_in_ns(nsfd, &tsk);

	if (rc)
		return rc;
	rc = name_free(tsk, newname ? newname : ifname);
	if (rc)
		goto out;
	changes = rtnl_link_alloc();
	if (!changes) {
		rc = -ENOMEM;
		goto out;
	}
	if (newname)
		rtnl_link_set_name(changes, newname);
	/* moving closes the device anyway; it arrives down in the netns */
	rtnl_link_set_ns_fd(changes, nsfd);
	rc = link_change(sk, link, changes);
	rtnl_link_put(changes);
	if (rc)
		undo_move(sk, tsk, rtnl_link_get_ifindex(link), ifname,
			  !!(rtnl_link_get_flags(link) & IFF_UP));
out:
	nl_socket_free(tsk);
	return rc;
}

int vdn_netdev_place(const char *ifname, const char *newname, const char *netns)
{
	struct rtnl_link *link = NULL, *changes = NULL;
	struct nl_sock *sk = NULL;
	int nsfd = -1;
	int rc;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ ||
	    (newname && (!*newname || strlen(newname) >= IFNAMSIZ || strchr(newname, '/'))))
		return -EINVAL;
	rc = route_socket(&sk);
	if (rc)
		return rc;
	rc = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (rc < 0) {
		/* the kernel's ENODEV, as NLE_NODEV (or NLE_OBJ_NOTFOUND in
		 * other libnl versions); the contract says -ENOENT */
		rc = (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) ? -ENOENT :
								      vdn_vdpa_nle_errno(rc);
		link = NULL;
		goto out;
	}
	if (netns) {
		nsfd = open_netns(netns);
		if (nsfd < 0) {
			rc = nsfd;
			goto out;
		}
		if (!is_own_ns(nsfd)) {
			rc = move(sk, link, newname, nsfd);
			goto out;
		}
	}
	if (!newname || !strcmp(newname, ifname)) {
		rc = 0;
		goto out;
	}
	changes = rtnl_link_alloc();
	if (!changes) {
		rc = -ENOMEM;
		goto out;
	}
	rtnl_link_set_name(changes, newname);
	rc = rename_here(sk, link, changes);
out:
	if (nsfd >= 0)
		close(nsfd);
	if (changes)
		rtnl_link_put(changes);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}
