/* SPDX-License-Identifier: BSD-3-Clause */
/* vdnet: the daemon serving vduse-net devices.  App-wide state lives here:
 * only app/ may hold mutable globals. */
#ifndef VDNET_H
#define VDNET_H

#include <net/if.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include "vdn_net.h"
#include "vdn_vdpa.h"

#include "lcores.h"

#define VDNET_MAX_DEVICES 16
#define VDNET_NAME_MAX 32

extern int vdnet_logtype;
#define LOG(level, ...) vdnet_log(RTE_LOG_##level, "vdnet: " __VA_ARGS__)
/* rte_log on vdnet's type; an error (ERR or worse) is also kept as this
 * thread's last error, so a command that failed deep down (add device) can
 * say why in its one-line reply. */
void vdnet_log(uint32_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* This thread's last logged error without its prefix, "" if none since
 * vdnet_log_clear_error(). */
const char *vdnet_log_last_error(void);
void vdnet_log_clear_error(void);

/* --device reattach=: what to do with a VDUSE device of the same name that
 * already exists (a vdnet that died left it behind). */
enum vdnet_reattach {
	VDNET_REATTACH_AUTO,  /* take it over if our state file describes it */
	VDNET_REATTACH_NEVER, /* remove it and create a new one */
};

/* One --device as given on the command line. */
struct vdnet_dev_conf {
	char name[VDNET_NAME_MAX];
	char port[64];
	struct rte_ether_addr mac;
	bool mac_set;
	uint16_t mtu;
	uint16_t queues;
	enum vdn_vdpa_bus bus;
	char netns[64];
	char ifname[IF_NAMESIZE];
	bool packed;               /* packed=on: offer VIRTIO_F_RING_PACKED */
	bool in_order;             /* in_order=on: offer VIRTIO_F_IN_ORDER */
	bool no_gro;               /* gro=off: no coalescing towards the driver */
	enum vdnet_reattach reattach;
	/* lcores=: lcores.lcore[i] serves queue pair i; n == 0: the first
	 * free workers do */
	struct vdnet_lcore_map lcores;
};

struct vdnet_conf {
	struct vdnet_dev_conf dev[VDNET_MAX_DEVICES];
	unsigned int n_dev;
	unsigned int stats_period; /* seconds, 0 = off */
	unsigned int idle_sleep_us; /* datapath sleep when idle, 0 = busy poll */
	char socket_path[108];      /* --socket, empty = none */
	bool interactive;           /* -i: console on the main lcore */
	char cmdfile[256];          /* --cmdfile, empty = none */
};

/* A device being served. */
struct vdnet_dev {
	struct vdnet_dev_conf conf;
	struct vdn_net_dev *net;
	uint16_t port_id;
	uint64_t port_tx_offloads, port_rx_offloads; /* enabled on the port (port.c) */
	struct rte_mempool *mp;
	bool vdpa_added;
	char netdev[IF_NAMESIZE]; /* kernel netdev once placed */
	char vhost_path[64];
	uint64_t *journal;        /* /run/vdnet/NAME.rings mapped (reattach.c) */
	atomic_bool failed;       /* the control loop gave up on it */
	/* `set queues`: pairs host -> driver traffic is spread over, never
	 * more than the driver's active ones; 0 = all of those */
	_Atomic uint16_t rx_queues;
};

struct vdnet {
	struct vdnet_conf conf;
	struct vdnet_dev dev[VDNET_MAX_DEVICES];
	unsigned int n_dev;
	struct vdn_vdpa *nl;
	atomic_bool quit;
	atomic_bool dp_stopped;    /* `stop`: datapath lcores idle */
	/* `clear stats`: counters at that moment, subtracted when shown */
	struct vdn_net_q_stats stats_base[VDNET_MAX_DEVICES][VDN_NET_MAX_QUEUE_PAIRS];
	uint64_t handoff_base[VDNET_MAX_DEVICES][VDN_NET_MAX_QUEUE_PAIRS];
};

/* args.c */
int vdnet_parse_args(int argc, char **argv, struct vdnet_conf *conf);
int vdnet_parse_device(const char *spec, struct vdnet_dev_conf *d, char *err, size_t errlen);
void vdnet_usage(const char *prog);

/* port.c */
int vdnet_port_setup(struct vdnet_dev *d);
/* A port id or ethdev name to a port id; -ENODEV if there is none. */
int vdnet_port_resolve(const char *spec, uint16_t *port);
void vdnet_port_close(struct vdnet_dev *d);

/* ctrl.c: the control thread serving every device's VDUSE messages */
int vdnet_ctrl_start(struct vdnet *v);
void vdnet_ctrl_stop(void);
void vdnet_ctrl_kick(void);
int vdnet_ctrl_add(struct vdnet_dev *d);
void vdnet_ctrl_del(struct vdnet_dev *d);

/* device.c */
int vdnet_device_up(struct vdnet *v, struct vdnet_dev *d);
void vdnet_device_down(struct vdnet *v, struct vdnet_dev *d);
/* the driver's log callback (vdn_net_opts.log) */
void vdnet_net_log(void *opaque, int level, const char *msg);

/* reattach.c: crash-restart.  If /dev/vduse/NAME exists: take it over
 * (returns 1, the device is served: port, control thread, netdev kept) or,
 * with reattach=never, remove it (returns 0); 0 if it does not exist (and
 * a leftover state file is removed); -errno, with a log line saying what
 * the operator can do, if it cannot be taken over. */
int vdnet_reattach(struct vdnet *v, struct vdnet_dev *d);
/* vdn_net_opts.save: write /run/vdnet/NAME.state (opaque = the vdnet_dev) */
void vdnet_state_save(void *opaque, const struct vdn_net_saved *st);
/* write it now from the device's current state */
void vdnet_state_save_now(struct vdnet_dev *d);
/* remove it and the ring journal (clean teardown; the device is gone) */
void vdnet_state_forget(struct vdnet_dev *d);
/* Map /run/vdnet/NAME.rings into d->journal (created and zeroed if
 * `create`, else the existing one): where packed rings keep their
 * progress for a takeover.  -errno (d->journal stays NULL). */
int vdnet_journal_open(struct vdnet_dev *d, bool create);
/* Unmap it (the device must no longer run); the file stays. */
void vdnet_journal_close(struct vdnet_dev *d);
/* its length in words (vdn_net_opts.journal_len) */
uint32_t vdnet_journal_words(void);

/* fwd.c: every worker lcore runs from vdnet_fwd_start() to
 * vdnet_fwd_stop() and serves at most one (device, queue pair) at a time;
 * devices are given lcores and taken off them while the others forward. */
int vdnet_fwd_start(struct vdnet *v);
void vdnet_fwd_stop(struct vdnet *v);
/* Give each queue pair of `d` a worker lcore, the one its lcores= map
 * names or else a free one (and reset its stats baseline).  -ENOSPC not
 * enough free lcores, -EBUSY already served or a mapped lcore serves
 * another pair, -EINVAL a mapped lcore is no worker, -ENOMEM hand-off
 * rings; each with a log line saying why. */
int vdnet_fwd_add(struct vdnet *v, struct vdnet_dev *d);
/* Could the first `pairs` queue pairs of a device configured as `c` be
 * given the lcores of its lcores= map now?  vdnet_lcores_check()'s errors,
 * why in `err`. */
int vdnet_fwd_check_map(const struct vdnet_dev_conf *c, unsigned int pairs, char *err,
			size_t errlen);
/* The lcore serving queue pair `qp` of `d`; -ENOENT none. */
int vdnet_fwd_lcore(struct vdnet *v, const struct vdnet_dev *d, uint16_t qp);
/* Frames the port gave queue pair `qp` of v->dev[di] (an inactive pair)
 * that could not be handed to an active pair's lcore, its ring full; since
 * the device was given its lcores (0 if it has none). */
uint64_t vdnet_fwd_handoff_drops(unsigned int di, uint16_t qp);
/* Take `d` off its lcores; on 0 no lcore touches it any more.
 * -ETIMEDOUT an lcore did not pass its quiescent point (d left alone). */
int vdnet_fwd_del(struct vdnet *v, struct vdnet_dev *d);
/* Worker lcores serving nothing. */
unsigned int vdnet_fwd_free_lcores(void);
struct vdnet_fwd_info {
	struct vdnet_dev *dev;
	uint16_t qp;
	uint64_t port_tx_drops;
	uint64_t handoff_drops;  /* see vdnet_fwd_handoff_drops(), raw */
	uint64_t busy_cycles, idle_cycles; /* TSC cycles with / without work */
};
/* What worker `lcore` serves; -ENOENT if it serves nothing. */
int vdnet_fwd_info(unsigned int lcore, struct vdnet_fwd_info *fi);

/* stats.c.  Rates come from a sliding window of samples the main lcore
 * takes (vdnet_stats_tick()), starting with a baseline when a device starts
 * forwarding, so every reader sees the same rates and the first look is
 * not zero.  All of it runs under the command lock. */
struct vdnet_rates {
	double rx_pps, rx_bps, tx_pps, tx_bps; /* rx: to the driver; bits/s */
};
/* Print device `name`'s stats (all devices if NULL); returns how many. */
int vdnet_stats_print(FILE *f, struct vdnet *v, const char *name);
/* Forget v->dev[i]'s history: zero baseline, first rate sample now. */
void vdnet_stats_start(struct vdnet *v, unsigned int i);
/* Take a rate sample where one is due (call every ~100 ms). */
void vdnet_stats_tick(struct vdnet *v);
/* Rates of queue pair `qp` of v->dev[i] over the window. */
int vdnet_stats_rates(struct vdnet *v, unsigned int i, uint16_t qp, struct vdnet_rates *r);
#define VDNET_DROP_HANDOFF "handoff-full"
/* Hand-off drops (vdnet_fwd_handoff_drops()) of queue pair `qp` of
 * v->dev[i] since the last vdnet_stats_clear(): shown as the drop reason
 * "handoff-full" beside the device model's reasons. */
uint64_t vdnet_stats_handoff(struct vdnet *v, unsigned int i, uint16_t qp);
/* Queue pair `qp` of v->dev[i] since the last vdnet_stats_clear(). */
int vdnet_stats_get(struct vdnet *v, unsigned int i, uint16_t qp, struct vdn_net_q_stats *s);
void vdnet_stats_clear(struct vdnet *v);
/* Add every counter of `s` into `tot` (device totals over queue pairs). */
void vdnet_stats_add(struct vdn_net_q_stats *tot, const struct vdn_net_q_stats *s);
void vdnet_rates_add(struct vdnet_rates *tot, const struct vdnet_rates *r);

/* cmd.c: the command set shared by the console, --cmdfile and the socket.
 * Runs one command line, writes its output to `out`; 0 or -errno, with a
 * one-line reason in `err`.  `json` (may be NULL) is the caller's session
 * default for `show` output; `format` changes it.  Commands are serialised. */
int vdnet_cmd_run(struct vdnet *v, const char *line, bool *json, FILE *out, char *err,
		  size_t errlen);
/* Print the usage line of every command, one a line (the doc check reads it). */
void vdnet_cmd_list(FILE *out);
/* The lock commands run under; whoever tears devices down holds it too. */
void vdnet_cmd_lock(void);
void vdnet_cmd_unlock(void);

/* console.c: -i and --cmdfile */
int vdnet_console_open(struct vdnet *v);
/* Serve console input for up to `ms`; -1 once the console has ended. */
int vdnet_console_poll(int ms);
void vdnet_console_close(void);
/* Run every line of `path`; 0, or -errno if it cannot be read.  Failed
 * commands are reported and skipped. */
int vdnet_cmdfile_run(struct vdnet *v, const char *path);

/* telemetry.c: /vdnet/... endpoints for dpdk-telemetry.py */
int vdnet_telemetry_init(struct vdnet *v);

/* netdev.c: the kernel netdev of a virtio-bus device, in its netns */
int vdnet_netdev_set_mac(const struct vdnet_dev *d, const struct rte_ether_addr *mac);
int vdnet_netdev_set_mtu(const struct vdnet_dev *d, uint16_t mtu);

/* sock.c: --socket PATH server and the --connect client */
int vdnet_sock_start(struct vdnet *v, const char *path);
void vdnet_sock_stop(void);
int vdnet_connect(const char *path, int argc, char **argv);

#endif
