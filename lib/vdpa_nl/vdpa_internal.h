/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of lib/vdpa_nl shared between its files (and its unit test).
 * Not installed, not part of the public API.
 */
#ifndef VDN_VDPA_INTERNAL_H
#define VDN_VDPA_INTERNAL_H

#include <stddef.h>

#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "vdn_vdpa.h"

/*
 * Send `msg` (not freed) and read until the kernel's ack, handing every
 * reply message to `on_reply` (may be NULL).  Returns 0 or the kernel's own
 * -errno from the NLMSG_ERROR, which libnl would otherwise squash into its
 * NLE_* codes (ENODEV and ENOENT both become NLE_OBJ_NOTFOUND there).
 */
int vdn_vdpa_nl_transact(struct nl_sock *sk, struct nl_msg *msg,
			 nl_recvmsg_msg_cb_t on_reply, void *arg);

/* A libnl -NLE_* code as the nearest -errno, for failures that never
 * reached the kernel (no memory, socket errors, truncated messages). */
int vdn_vdpa_nle_errno(int nle);

/* 0 if `name` is usable as a vdpa device name and a sysfs path component. */
int vdn_vdpa_name_check(const char *name);

/*
 * The sysfs side of the library, rooted at `sysfs` ("/sys" in production)
 * so the unit test can point it at a fake tree.
 */
int vdn_vdpa_dev_bus_at(const char *sysfs, const char *name, enum vdn_vdpa_bus *bus);
int vdn_vdpa_dev_set_bus_at(const char *sysfs, const char *name, enum vdn_vdpa_bus bus);
int vdn_vdpa_bus_driver_present_at(const char *sysfs, enum vdn_vdpa_bus bus);
int vdn_vdpa_netdev_at(const char *sysfs, const char *name, char *ifname, size_t len);
int vdn_vdpa_vhost_path_at(const char *sysfs, const char *name, char *path, size_t len);

#endif
