/* SPDX-License-Identifier: BSD-3-Clause */
/* Bringing one device up (VDUSE device, port, vdpa device, netdev placed
 * into its netns) and down again, with an error a user can act on at each
 * step.  A device that fails leaves nothing behind. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>

#include "vdnet.h"

void vdnet_net_log(void *opaque, int level, const char *msg)
{
	(void)opaque;
	rte_log(level, vdnet_logtype, "vdnet: %s\n", msg);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int open_nl(struct vdnet *v)
{
	int rc;

	if (v->nl)
		return 0;
	rc = vdn_vdpa_open(&v->nl);
	if (rc == -ENOENT)
		LOG(ERR, "the kernel has no vdpa netlink family: load it (modprobe vdpa, and "
		    "virtio_vdpa or vhost_vdpa for the bus you want)\n");
	else if (rc)
		LOG(ERR, "cannot open the vdpa netlink family: %s\n", strerror(-rc));
	return rc;
}

/* virtio bus: wait for virtio_net's netdev, then rename/move it. */
static int place_netdev(struct vdnet_dev *d)
{
	const char *want = d->conf.ifname[0] ? d->conf.ifname : NULL;
	const char *ns = d->conf.netns[0] ? d->conf.netns : NULL;
	int rc = -ENOENT;

	for (int i = 0; i < 200 && rc == -ENOENT; i++) {
		rc = vdn_vdpa_netdev(d->conf.name, d->netdev, sizeof(d->netdev));
		if (rc == -ENOENT)
			sleep_ms(50);
	}
	if (rc) {
		LOG(ERR, "device %s: no netdev appeared on the virtio bus (%s); is virtio_net "
		    "loaded? (modprobe virtio_net)\n", d->conf.name, strerror(-rc));
		return rc;
	}
	if (!want && !ns)
		return 0;
	rc = vdn_netdev_place(d->netdev, want, ns);
	if (rc) {
		char hint[128] = "";

		if (rc == -ENOENT && ns)
			snprintf(hint, sizeof(hint), " (does the netns exist? ip netns add %s)", ns);
		else if (rc == -EEXIST)
			snprintf(hint, sizeof(hint), " (that name is taken there)");
		LOG(ERR, "device %s: cannot %s%s%s netdev %s%s%s: %s%s\n", d->conf.name,
		    want ? "rename" : "", want && ns ? " and " : "", ns ? "move" : "", d->netdev,
		    ns ? " into netns " : "", ns ? ns : "", strerror(-rc), hint);
		return rc;
	}
	if (want)
		snprintf(d->netdev, sizeof(d->netdev), "%s", want);
	return 0;
}

int vdnet_device_up(struct vdnet *v, struct vdnet_dev *d)
{
	struct vdn_net_opts o = {
		.sz = sizeof(o),
		.name = d->conf.name,
		.mac = d->conf.mac,
		.mac_set = d->conf.mac_set,
		.mtu = d->conf.mtu,
		.queue_pairs = d->conf.queues,
		.link_up = true,
		.log = vdnet_net_log,
		.packed = d->conf.packed,
		.in_order = d->conf.in_order,
		.no_gro = d->conf.no_gro,
		.save = vdnet_state_save,
		.save_opaque = d,
	};
	int rc = vdnet_reattach(v, d);

	if (rc)
		return rc < 0 ? rc : 0;
	rc = vdnet_journal_open(d, true);
	if (rc)
		LOG(WARNING, "device %s: no ring journal (%s): a restart after a crash could not "
		    "take over packed rings\n", d->conf.name, strerror(-rc));
	o.journal = d->journal;
	o.journal_len = d->journal ? vdnet_journal_words() : 0;
	rc = vdn_net_create(&o, &d->net);
	if (rc)
		vdnet_state_forget(d); /* the journal */
	if (rc == -ENOENT) {
		LOG(ERR, "device %s: /dev/vduse/control is missing: load the vduse module "
		    "(modprobe vduse; the kernel needs CONFIG_VDPA_USER)\n", d->conf.name);
		return rc;
	}
	if (rc == -EEXIST) {
		LOG(ERR, "device %s: a VDUSE device with that name already exists (another "
		    "vdnet running, or a stale one: vdpa dev del %s)\n", d->conf.name, d->conf.name);
		return rc;
	}
	if (rc) {
		LOG(ERR, "device %s: cannot create the VDUSE device: %s\n", d->conf.name, strerror(-rc));
		return rc;
	}
	/* from now on a crash leaves a device the next start can take over */
	vdnet_state_save_now(d);
	rc = vdnet_port_setup(d);
	if (rc)
		goto fail_net;
	rc = vdnet_ctrl_add(d);
	if (rc)
		goto fail_port;
	if (d->conf.bus == VDN_VDPA_BUS_NONE) {
		LOG(INFO, "device %s: VDUSE device ready at /dev/vduse/%s; not adding a vdpa device "
		    "(bus=none)\n", d->conf.name, d->conf.name);
		return 0;
	}
	rc = open_nl(v);
	if (rc)
		goto fail_ctrl;
	rc = vdn_vdpa_dev_add(v->nl, d->conf.name, "vduse", d->conf.bus);
	if (rc) {
		LOG(ERR, "device %s: vdpa dev add failed: %s%s\n", d->conf.name, strerror(-rc),
		    rc == -ENOENT ? " (load the bus driver: modprobe virtio_vdpa or vhost_vdpa)" :
		    rc == -EEXIST ? " (a vdpa device with that name exists)" : "");
		goto fail_ctrl;
	}
	d->vdpa_added = true;
	if (d->conf.bus == VDN_VDPA_BUS_VIRTIO) {
		rc = place_netdev(d);
		if (rc)
			goto fail_vdpa;
		LOG(INFO, "device %s: kernel netdev %s%s%s\n", d->conf.name, d->netdev,
		    d->conf.netns[0] ? " in netns " : "", d->conf.netns);
	} else {
		rc = -ENOENT;
		for (int i = 0; i < 100 && rc == -ENOENT; i++) {
			rc = vdn_vdpa_vhost_path(d->conf.name, d->vhost_path, sizeof(d->vhost_path));
			if (rc == -ENOENT)
				sleep_ms(50);
		}
		if (rc) {
			LOG(ERR, "device %s: no vhost-vdpa char device appeared: %s\n", d->conf.name,
			    strerror(-rc));
			goto fail_vdpa;
		}
		LOG(INFO, "device %s: %s\n", d->conf.name, d->vhost_path);
	}
	return 0;

fail_vdpa:
	vdn_vdpa_dev_del(v->nl, d->conf.name);
	d->vdpa_added = false;
fail_ctrl:
	vdnet_ctrl_del(d);
fail_port:
	vdnet_port_close(d);
fail_net:
	vdn_net_destroy(d->net);
	d->net = NULL;
	vdnet_state_forget(d);
	return rc;
}

void vdnet_device_down(struct vdnet *v, struct vdnet_dev *d)
{
	int rc;

	if (!d->net)
		return;
	if (d->vdpa_added) {
		/* the kernel resets the device through the control thread here */
		rc = vdn_vdpa_dev_del(v->nl, d->conf.name);
		if (rc && rc != -ENODEV)
			LOG(WARNING, "device %s: vdpa dev del: %s\n", d->conf.name, strerror(-rc));
		d->vdpa_added = false;
	}
	vdnet_ctrl_del(d);
	rc = vdn_net_destroy(d->net);
	if (rc)
		LOG(WARNING, "device %s: destroying the VDUSE device: %s\n", d->conf.name, strerror(-rc));
	d->net = NULL;
	vdnet_state_forget(d);
	vdnet_port_close(d);
	LOG(INFO, "device %s: removed\n", d->conf.name);
}
