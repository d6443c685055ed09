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
};

struct vdnet_conf {
	struct vdnet_dev_conf dev[VDNET_MAX_DEVICES];
	unsigned int n_dev;
	unsigned int stats_period; /* seconds, 0 = off */
	unsigned int idle_sleep_us; /* datapath sleep when idle, 0 = busy poll */
	char socket_path[108];      /* --socket, empty = none */
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

/* fwd.c */
int vdnet_fwd_start(struct vdnet *v);
void vdnet_fwd_stop(struct vdnet *v);

/* stats.c */
struct vdnet_stats_snap {
	uint64_t tsc; /* 0: no earlier look, no rates yet */
	struct vdn_net_q_stats q[VDNET_MAX_DEVICES][VDN_NET_MAX_QUEUE_PAIRS];
};
/* Print device `name`'s stats (all devices if NULL); returns how many. */
int vdnet_stats_print(FILE *f, struct vdnet *v, const char *name, struct vdnet_stats_snap *snap);

/* cmd.c: the command set shared by the socket (and the console to come).
 * Runs one command line, writes its output to `out`; 0 or -errno, with a
 * one-line reason in `err`. */
int vdnet_cmd_run(struct vdnet *v, const char *line, FILE *out, char *err, size_t errlen);

/* sock.c: --socket PATH server and the --connect client */
int vdnet_sock_start(struct vdnet *v, const char *path);
void vdnet_sock_stop(void);
int vdnet_connect(const char *path, int argc, char **argv);

#endif
