/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Surviving our own crash: the state file kept on every change, and taking
 * over (or, with reattach=never, replacing) a VDUSE device that a vdnet
 * which died left behind.  The vdpa device, the kernel netdev and whatever
 * a container did with it stay as they are; only the port is opened again.
 *
 * The window: while no vdnet runs, the datapath stands still (the driver's
 * TX ring fills, then its queue stops) and any VDUSE request the kernel
 * sends (a driver reset, `vdpa dev del`, ...) waits for an answer.  If none
 * comes within the device's msg_timeout (30 s by default,
 * /sys/class/vduse/NAME/msg_timeout), the kernel marks the device broken
 * for good and it must be recreated (reattach=never).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_log.h>

#include <linux/virtio_config.h>

#include "state.h"
#include "vdn_vduse.h"
#include "vdnet.h"

static pthread_mutex_t save_lock = PTHREAD_MUTEX_INITIALIZER;

/* the ring journal: a word per virtqueue, for the most a device can have */
#define JOURNAL_WORDS (2 * VDN_NET_MAX_QUEUE_PAIRS + 1)
#define JOURNAL_SIZE (JOURNAL_WORDS * sizeof(uint64_t))

/* The keys that decide what the kernel sees.  Not lcores=: which lcore
 * polls a pair is the daemon's business, so a restart may map the pairs
 * anew (and port=, reattach= likewise stay out). */
static void spec_of(const struct vdnet_dev_conf *c, char *buf, size_t len)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE] = "auto";

	if (c->mac_set)
		rte_ether_format_addr(mac, sizeof(mac), &c->mac);
	snprintf(buf, len, "queues=%u,packed=%s,in_order=%s,bus=%s,mac=%s,mtu=%u,netns=%s,ifname=%s",
		 c->queues ? c->queues : 1, c->packed ? "on" : "off", c->in_order ? "on" : "off",
		 vdn_vdpa_bus_name(c->bus),
		 mac, c->mtu ? c->mtu : 1500, c->netns[0] ? c->netns : "-",
		 c->ifname[0] ? c->ifname : "-");
}

static void to_state(const struct vdnet_dev_conf *c, const struct vdn_net_saved *sv,
		     struct vdnet_state *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", c->name);
	spec_of(c, st->spec, sizeof(st->spec));
	st->features_offered = sv->features_offered;
	st->features_driver = sv->features_driver;
	st->status = sv->status;
	st->max_qp = sv->max_qp;
	st->active_qp = sv->active_qp;
	st->vq_size = sv->vq_size;
	st->cvq = sv->cvq;
	memcpy(st->mac, sv->mac, sizeof(st->mac));
	st->mtu = sv->mtu;
	st->link_up = sv->link_up;
}

static void from_state(const struct vdnet_state *st, struct vdn_net_saved *sv)
{
	memset(sv, 0, sizeof(*sv));
	sv->features_offered = st->features_offered;
	sv->features_driver = st->features_driver;
	sv->status = st->status;
	sv->max_qp = st->max_qp;
	sv->active_qp = st->active_qp;
	sv->vq_size = st->vq_size;
	sv->cvq = st->cvq;
	memcpy(sv->mac, st->mac, sizeof(sv->mac));
	sv->mtu = st->mtu;
	sv->link_up = st->link_up;
}

void vdnet_state_save(void *opaque, const struct vdn_net_saved *sv)
{
	const struct vdnet_dev *d = opaque;
	struct vdn_net_saved now;
	struct vdnet_state st;
	int rc;

	/* The control thread (driver status) and commands (set link/mac/mtu)
	 * both save.  One writer at a time keeps the temporary file whole, and
	 * taking the snapshot under the lock means the last file written is
	 * never older than the last change: a save that lost the race to the
	 * lock still writes what is true when it gets it. */
	pthread_mutex_lock(&save_lock);
	if (d->net) {
		vdn_net_saved_get(d->net, &now);
		sv = &now;
	}
	to_state(&d->conf, sv, &st);
	rc = vdnet_state_write(VDNET_STATE_DIR, &st);
	pthread_mutex_unlock(&save_lock);
	if (rc)
		LOG(WARNING, "device %s: cannot write %s/%s.state: %s; a restart after a crash "
		    "could not take the device over\n", d->conf.name, VDNET_STATE_DIR, d->conf.name,
		    strerror(-rc));
}

void vdnet_state_save_now(struct vdnet_dev *d)
{
	struct vdn_net_saved sv;

	vdn_net_saved_get(d->net, &sv);
	vdnet_state_save(d, &sv);
}

static void journal_path(const struct vdnet_dev *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.rings", VDNET_STATE_DIR, d->conf.name);
}

int vdnet_journal_open(struct vdnet_dev *d, bool create)
{
	char path[128];
	int fd, rc = 0;

	journal_path(d, path, sizeof(path));
	if (create && mkdir(VDNET_STATE_DIR, 0755) && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0644);
	if (fd < 0)
		return -errno;
	/* truncating to 0 first zeroes what a previous device left */
	if (create && ftruncate(fd, JOURNAL_SIZE))
		rc = -errno;
	struct stat sb;
	if (!rc && (fstat(fd, &sb) || sb.st_size != JOURNAL_SIZE))
		rc = -EINVAL;
	void *p = rc ? MAP_FAILED : mmap(NULL, JOURNAL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!rc && p == MAP_FAILED)
		rc = -errno;
	close(fd);
	if (rc)
		return rc;
	d->journal = p;
	return 0;
}

void vdnet_journal_close(struct vdnet_dev *d)
{
	if (d->journal)
		munmap(d->journal, JOURNAL_SIZE);
	d->journal = NULL;
}

void vdnet_state_forget(struct vdnet_dev *d)
{
	char path[128];

	vdnet_journal_close(d);
	journal_path(d, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		LOG(WARNING, "device %s: cannot remove %s: %s\n", d->conf.name, path,
		    strerror(errno));
	pthread_mutex_lock(&save_lock);
	int rc = vdnet_state_remove(VDNET_STATE_DIR, d->conf.name);
	pthread_mutex_unlock(&save_lock);
	if (rc)
		LOG(WARNING, "device %s: cannot remove %s/%s.state: %s\n", d->conf.name,
		    VDNET_STATE_DIR, d->conf.name, strerror(-rc));
}

/* (declared in vdnet.h; JOURNAL_WORDS is what device.c passes too) */
uint32_t vdnet_journal_words(void)
{
	return JOURNAL_WORDS;
}

/* reattach=never found a device: serve its requests while the vdpa
 * device goes (a reset nobody answers would hold `vdpa dev del` up for
 * msg_timeout and break the device), then destroy it. */
struct drain {
	struct vdn_vduse_dev *vd;
	atomic_bool stop;
};

static void *drain_main(void *arg)
{
	struct drain *dr = arg;

	while (!atomic_load(&dr->stop)) {
		struct pollfd p = { .fd = vdn_vduse_fd(dr->vd), .events = POLLIN };

		if (poll(&p, 1, 50) > 0 && vdn_vduse_handle(dr->vd) < 0)
			break;
	}
	return NULL;
}

static int replace_old(struct vdnet *v, struct vdnet_dev *d)
{
	const char *name = d->conf.name;
	struct vdn_vduse_opts vo = {
		.sz = sizeof(vo), .name = name, .num_vqs = 1, .max_vq_size = 256,
	};
	struct drain dr = { 0 };
	pthread_t t;
	int rc = vdn_vduse_attach(&vo, &dr.vd);

	if (rc == -EBUSY) {
		LOG(ERR, "device %s: /dev/vduse/%s is served by another process (another vdnet?); "
		    "not touching it\n", name, name);
		return rc;
	}
	bool draining = !rc && !pthread_create(&t, NULL, drain_main, &dr);

	LOG(WARNING, "device %s: reattach=never: removing the existing device (its netdev "
	    "goes away and comes back new)\n", name);
	if (!v->nl)
		rc = vdn_vdpa_open(&v->nl);
	if (v->nl) {
		rc = vdn_vdpa_dev_del(v->nl, name);
		if (rc && rc != -ENODEV)
			LOG(WARNING, "device %s: vdpa dev del: %s\n", name, strerror(-rc));
	}
	if (draining) {
		atomic_store(&dr.stop, true);
		pthread_join(t, NULL);
	}
	rc = dr.vd ? vdn_vduse_destroy(dr.vd, false) : vdn_vduse_destroy_name(name);
	vdnet_state_forget(d);
	if (rc && rc != -ENODEV) {
		LOG(ERR, "device %s: cannot destroy the existing VDUSE device: %s\n", name,
		    strerror(-rc));
		return rc;
	}
	return 0;
}

static int take_over(struct vdnet *v, struct vdnet_dev *d, const struct vdnet_state *st)
{
	struct vdn_net_saved sv;
	struct vdn_net_opts o = {
		.sz = sizeof(o),
		.name = d->conf.name,
		.log = vdnet_net_log,
		.save = vdnet_state_save,
		.save_opaque = d,
	};
	const char *name = d->conf.name;
	int rc;

	from_state(st, &sv);
	/* split rings need no journal: without one, only packed ones fail */
	if (vdnet_journal_open(d, false) == 0) {
		o.journal = d->journal;
		o.journal_len = JOURNAL_WORDS;
	}
	rc = vdn_net_attach(&o, &sv, &d->net);
	if (rc) {
		const char *why =
			rc == -EBUSY ? "another process serves it (another vdnet running?)" :
			rc == -EIO ? "the kernel marked it broken: a request went unanswered for "
				     "longer than its msg_timeout while no vdnet ran; start with "
				     "reattach=never to recreate it" :
			rc == -EOPNOTSUPP ? "its driver uses packed rings and their journal "
					    "(" VDNET_STATE_DIR "/NAME.rings) is missing or was never "
					    "written; start with reattach=never to recreate it" :
			rc == -ESTALE ? "the state file does not describe it; start with "
					"reattach=never to recreate it" :
					"";
		LOG(ERR, "device %s: cannot take over the existing VDUSE device: %s%s%s\n", name,
		    strerror(-rc), *why ? "; " : "", why);
		vdnet_journal_close(d);
		return rc;
	}
	rc = vdnet_port_setup(d);
	if (rc)
		goto fail_net;
	rc = vdnet_ctrl_add(d);
	if (rc)
		goto fail_port;
	d->vdpa_added = d->conf.bus != VDN_VDPA_BUS_NONE;
	if (d->conf.bus != VDN_VDPA_BUS_NONE && !v->nl && (rc = vdn_vdpa_open(&v->nl)))
		LOG(WARNING, "device %s: no vdpa netlink (%s): teardown cannot remove the vdpa "
		    "device\n", name, strerror(-rc));
	if (d->conf.bus == VDN_VDPA_BUS_VIRTIO) {
		if (d->conf.ifname[0])
			snprintf(d->netdev, sizeof(d->netdev), "%s", d->conf.ifname);
		else if (vdn_vdpa_netdev(name, d->netdev, sizeof(d->netdev)))
			snprintf(d->netdev, sizeof(d->netdev), "?");
	} else if (d->conf.bus == VDN_VDPA_BUS_VHOST) {
		vdn_vdpa_vhost_path(name, d->vhost_path, sizeof(d->vhost_path));
	}
	LOG(INFO, "device %s: reattached to the existing VDUSE device (driver status 0x%x%s); "
	    "%s%s%s kept\n", name, sv.status,
	    sv.status & VIRTIO_CONFIG_S_DRIVER_OK ? ", running" : "",
	    d->conf.bus == VDN_VDPA_BUS_VIRTIO ? "netdev " : "the vdpa device",
	    d->conf.bus == VDN_VDPA_BUS_VIRTIO ? d->netdev : "",
	    d->conf.netns[0] ? " (netns)" : "");
	/* The dead vdnet may have been tearing down, or an admin removed it
	 * meanwhile (a pending `vdpa dev del` completes as soon as the
	 * control thread answers its reset): serve it as bus=none would. */
	if (d->vdpa_added && v->nl && vdn_vdpa_dev_exists(v->nl, name) == 0) {
		LOG(WARNING, "device %s: its vdpa device is gone; the VDUSE device waits for "
		    "`vdpa dev add name %s mgmtdev vduse`\n", name, name);
		d->vdpa_added = false;
	}
	return 1;

fail_port:
	vdnet_port_close(d);
fail_net:
	/* keep the device: a later attempt can still take it over */
	vdn_net_detach(d->net);
	d->net = NULL;
	vdnet_journal_close(d);
	return rc;
}

int vdnet_reattach(struct vdnet *v, struct vdnet_dev *d)
{
	const char *name = d->conf.name;
	char path[64], err[256], spec[256];
	struct vdnet_state st;
	int rc;

	snprintf(path, sizeof(path), "/dev/vduse/%s", name);
	if (access(path, F_OK)) {
		/* no device: whatever state file there is describes nothing */
		vdnet_state_forget(d);
		return 0;
	}
	/* VDUSE lets one process at a time open the device: EBUSY means it is
	 * served right now, and neither a takeover nor a replacement may touch
	 * it.  An open that succeeds is closed at once (the kernel re-queues
	 * nothing it would not re-queue after a crash). */
	rc = open(path, O_RDWR | O_CLOEXEC);
	if (rc < 0 && errno == EBUSY) {
		LOG(ERR, "device %s: a VDUSE device with that name already exists and another "
		    "process serves it (/dev/vduse/%s is open: another vdnet?)\n", name, name);
		return -EEXIST;
	}
	if (rc >= 0)
		close(rc);
	if (d->conf.reattach == VDNET_REATTACH_NEVER)
		return replace_old(v, d);
	rc = vdnet_state_read(VDNET_STATE_DIR, name, &st, err, sizeof(err));
	if (rc == -ENOENT) {
		LOG(ERR, "device %s: /dev/vduse/%s exists but %s/%s.state does not: it was not left "
		    "by a vdnet that died (another vdnet may be serving it); if it is stale, start "
		    "with reattach=never to remove and recreate it\n", name, name, VDNET_STATE_DIR,
		    name);
		return -EEXIST;
	}
	if (rc) {
		LOG(ERR, "device %s: /dev/vduse/%s exists but its state file is unusable: %s; start "
		    "with reattach=never to remove and recreate it\n", name, name, err);
		return rc;
	}
	spec_of(&d->conf, spec, sizeof(spec));
	if (strcmp(spec, st.spec)) {
		LOG(ERR, "device %s: the existing device was set up with '%s' but --device now "
		    "asks for '%s': start vdnet with the original options, or with reattach=never "
		    "to remove and recreate it (its netdev is recreated)\n", name, st.spec, spec);
		return -ESTALE;
	}
	return take_over(v, d, &st);
}
