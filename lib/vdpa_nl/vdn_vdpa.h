/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vdpa_nl: the kernel's generic-netlink "vdpa" family (libnl-genl-3)
 * and the bus/netdev plumbing around a vdpa device: add/del/show, choose the
 * bus driver (virtio_vdpa -> kernel netdev, vhost_vdpa -> /dev/vhost-vdpa-N),
 * find the resulting netdev or char device, rename the netdev and move it
 * into a named netns (libnl-route-3).  Never shells out.  Returns -errno.
 *
 * Note: VDPA_CMD_DEV_NEW makes the kernel probe the device synchronously,
 * which sends VDUSE control messages: the VDUSE device's control loop must
 * already be running on another thread when vdn_vdpa_dev_add() is called.
 */
#ifndef VDN_VDPA_H
#define VDN_VDPA_H

#include <stddef.h>
#include <stdint.h>

struct vdn_vdpa;

enum vdn_vdpa_bus {
	VDN_VDPA_BUS_NONE,   /* leave it unbound */
	VDN_VDPA_BUS_VIRTIO, /* virtio_vdpa: kernel virtio_net netdev */
	VDN_VDPA_BUS_VHOST,  /* vhost_vdpa: /dev/vhost-vdpa-N for VMs */
};

/* Parse "virtio" | "vhost" | "none".  -EINVAL otherwise. */
int vdn_vdpa_bus_parse(const char *s, enum vdn_vdpa_bus *bus);
/* The name vdn_vdpa_bus_parse() accepts for `bus`; NULL if out of range. */
const char *vdn_vdpa_bus_name(enum vdn_vdpa_bus bus);

/* Open a netlink socket and resolve the family.  -ENOENT: the vdpa module
 * is not loaded (no "vdpa" genl family).  A handle is for one thread at a
 * time; the other functions need no handle. */
int vdn_vdpa_open(struct vdn_vdpa **out);
void vdn_vdpa_close(struct vdn_vdpa *nl);

/*
 * VDPA_CMD_DEV_NEW name=`name` mgmtdev=`mgmtdev` ("vduse"), then bind it to
 * `bus` (unbinding from whichever bus driver grabbed it first).
 * -EEXIST exists, -ENODEV no such management device, -ENOENT bus driver
 * module not loaded (checked before anything is created), -EINVAL also when
 * vduse has no ready device of that name.  If binding fails the new vdpa
 * device is deleted again and the binding's -errno returned.
 */
int vdn_vdpa_dev_add(struct vdn_vdpa *nl, const char *name, const char *mgmtdev,
		     enum vdn_vdpa_bus bus);

/* VDPA_CMD_DEV_DEL.  -ENODEV if absent. */
int vdn_vdpa_dev_del(struct vdn_vdpa *nl, const char *name);

/* 1 if the vdpa device exists, 0 if not, -errno on failure. */
int vdn_vdpa_dev_exists(struct vdn_vdpa *nl, const char *name);

/* Which bus driver holds vdpa device `name` now (BUS_NONE: unbound).
 * -ENODEV no such vdpa device, -ENXIO held by some other driver. */
int vdn_vdpa_dev_bus(const char *name, enum vdn_vdpa_bus *bus);

/*
 * Move vdpa device `name` to `bus`: pin it with sysfs driver_override, unbind
 * it from its current driver, bind it to the wanted one (BUS_NONE: leave it
 * unbound, pinned to no driver).  Unbinding from virtio_vdpa removes the
 * netdev and resets the device (VDUSE SET_STATUS 0).  -ENODEV no such vdpa
 * device, -ENOENT bus driver module not loaded (nothing changed), else the
 * -errno of the failing sysfs write (a bind reports the probe's error).
 */
int vdn_vdpa_dev_set_bus(const char *name, enum vdn_vdpa_bus bus);

/* The kernel netdev virtio_net made for vdpa device `name` (virtio bus).
 * -ENOENT if none (yet): poll.  -ENODEV no such vdpa device, -ERANGE `len`
 * too small. */
int vdn_vdpa_netdev(const char *name, char *ifname, size_t len);

/* "/dev/vhost-vdpa-N" for vdpa device `name` (vhost bus).  -ENOENT if none,
 * -ENODEV no such vdpa device, -ERANGE `len` too small. */
int vdn_vdpa_vhost_path(const char *name, char *path, size_t len);

/*
 * Rename netdev `ifname` to `newname` (if non-NULL) and move it into the
 * network namespace `netns` (a name under /run/netns, as `ip netns` makes;
 * NULL keeps it).  -ENOENT no such netdev or netns, -EEXIST name taken there.
 * Both happen in one request.  A device moved to another netns arrives
 * down there (the kernel closes it); a rename in place keeps its up state.
 */
int vdn_netdev_place(const char *ifname, const char *newname, const char *netns);

#endif
