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

#define VDNET_MAX_DEVICES 16
#define VDNET_NAME_MAX 32

extern int vdnet_logtype;
#define LOG(level, ...) rte_log(RTE_LOG_##level, vdnet_logtype, "vdnet: " __VA_ARGS__)

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
	enum vdnet_reattach reattach;
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
	struct rte_mempool *mp;
	bool vdpa_added;
	char netdev[IF_NAMESIZE]; /* kernel netdev once placed */
	char vhost_path[64];
	atomic_bool failed;       /* the control loop gave up on it */
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
};

/* args.c */
int vdnet_parse_args(int argc, char **argv, struct vdnet_conf *conf);
int vdnet_parse_device(const char *spec, struct vdnet_dev_conf *d, char *err, size_t errlen);
void vdnet_usage(const char *prog);

/* port.c */
int vdnet_port_setup(struct vdnet_dev *d);
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
/* remove it (clean teardown) */
void vdnet_state_forget(const struct vdnet_dev *d);

/* fwd.c */
int vdnet_fwd_start(struct vdnet *v);
void vdnet_fwd_stop(struct vdnet *v);
struct vdnet_fwd_info {
	struct vdnet_dev *dev;
	uint16_t qp;
	uint64_t port_tx_drops;
	uint64_t busy_cycles, idle_cycles; /* TSC cycles with / without work */
};
/* What worker `lcore` serves; -ENOENT if it serves nothing. */
int vdnet_fwd_info(unsigned int lcore, struct vdnet_fwd_info *fi);

/* stats.c */
struct vdnet_stats_snap {
	uint64_t tsc; /* 0: no earlier look, no rates yet */
	struct vdn_net_q_stats q[VDNET_MAX_DEVICES][VDN_NET_MAX_QUEUE_PAIRS];
};
/* Print device `name`'s stats (all devices if NULL); returns how many. */
int vdnet_stats_print(FILE *f, struct vdnet *v, const char *name, struct vdnet_stats_snap *snap);
/* Queue pair `qp` of v->dev[i] since the last vdnet_stats_clear(). */
int vdnet_stats_get(struct vdnet *v, unsigned int i, uint16_t qp, struct vdn_net_q_stats *s);
void vdnet_stats_clear(struct vdnet *v);
/* Add every counter of `s` into `tot` (device totals over queue pairs). */
void vdnet_stats_add(struct vdn_net_q_stats *tot, const struct vdn_net_q_stats *s);

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
