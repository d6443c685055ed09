/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's generic-netlink "vdpa" family: device add, delete, lookup.
 * One handle owns one socket; use a handle from one thread at a time.
 */
#include <errno.h>
#include <stdlib.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/vdpa.h>

#include "vdpa_internal.h"

struct vdn_vdpa {
	struct nl_sock *sk;
	int family;
};

int vdn_vdpa_open(struct vdn_vdpa **out)
{
	struct vdn_vdpa *nl;
	int rc;

	if (!out)
		return -EINVAL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	rc = genl_connect(nl->sk);
	if (rc < 0) {
		rc = vdn_vdpa_nle_errno(rc);
		goto fail;
	}
	rc = genl_ctrl_resolve(nl->sk, VDPA_GENL_NAME);
	if (rc < 0) {
		/* the family exists only while the vdpa module is loaded */
		rc = rc == -NLE_OBJ_NOTFOUND ? -ENOENT : vdn_vdpa_nle_errno(rc);
		goto fail;
	}
	nl->family = rc;
	*out = nl;
	return 0;
fail:
	nl_socket_free(nl->sk);
	free(nl);
	return rc;
}

void vdn_vdpa_close(struct vdn_vdpa *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

/* A request for `cmd` naming device `name`; NULL only on allocation failure. */
static struct nl_msg *request(struct vdn_vdpa *nl, uint8_t cmd, const char *name)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, 0, cmd,
			 VDPA_GENL_VERSION) ||
	    nla_put_string(msg, VDPA_ATTR_DEV_NAME, name) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int dev_new(struct vdn_vdpa *nl, const char *name, const char *mgmtdev)
{
	struct nl_msg *msg = request(nl, VDPA_CMD_DEV_NEW, name);
	int rc;

	if (!msg)
		return -ENOMEM;
	/* vduse's management device has no bus, so no VDPA_ATTR_MGMTDEV_BUS_NAME */
	if (nla_put_string(msg, VDPA_ATTR_MGMTDEV_DEV_NAME, mgmtdev) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	rc = vdn_vdpa_nl_transact(nl->sk, msg, NULL, NULL);
	nlmsg_free(msg);
	return rc;
}

int vdn_vdpa_dev_add(struct vdn_vdpa *nl, const char *name, const char *mgmtdev,
		     enum vdn_vdpa_bus bus)
{
	int rc;

	if (!nl || !mgmtdev || !*mgmtdev || vdn_vdpa_name_check(name) ||
	    !vdn_vdpa_bus_name(bus))
		return -EINVAL;
	/* refuse before creating anything the caller would have to undo */
	rc = vdn_vdpa_bus_driver_present_at("/sys", bus);
	if (rc)
		return rc;
	rc = dev_new(nl, name, mgmtdev);
	if (rc)
		return rc;
	rc = vdn_vdpa_dev_set_bus(name, bus);
	if (rc) {
		/* a device on the wrong bus is worse than none: undo the add */
		vdn_vdpa_dev_del(nl, name);
		return rc;
	}
	return 0;
}

int vdn_vdpa_dev_del(struct vdn_vdpa *nl, const char *name)
{
	struct nl_msg *msg;
	int rc;

	if (!nl || vdn_vdpa_name_check(name))
		return -EINVAL;
	msg = request(nl, VDPA_CMD_DEV_DEL, name);
	if (!msg)
		return -ENOMEM;
	rc = vdn_vdpa_nl_transact(nl->sk, msg, NULL, NULL);
	nlmsg_free(msg);
	return rc;
}

int vdn_vdpa_dev_exists(struct vdn_vdpa *nl, const char *name)
{
	struct nl_msg *msg;
	int rc;

	if (!nl || vdn_vdpa_name_check(name))
		return -EINVAL;
	msg = request(nl, VDPA_CMD_DEV_GET, name);
	if (!msg)
		return -ENOMEM;
	/* the reply's attributes are not needed: getting one at all is the answer */
	rc = vdn_vdpa_nl_transact(nl->sk, msg, NULL, NULL);
	nlmsg_free(msg);
	if (rc == -ENODEV)
		return 0;
	return rc ? rc : 1;
}
