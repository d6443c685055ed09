/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * l2fwd: the smallest complete program built on drivers/vduse_net.  It
 * forwards every frame between ONE vduse-net device (a virtio-net netdev to
 * the kernel) and ONE DPDK ethdev port, both ways:
 *
 *   port --rte_eth_rx_burst--> vdn_net_enqueue_burst --> the netdev receives
 *   the netdev sends --> vdn_net_dequeue_burst --rte_eth_tx_burst--> port
 *
 *   vdn_l2fwd [EAL options] -- NAME PORTNAME [NETNS [IFNAME]]
 *   e.g. vdn_l2fwd -l 0-1 --vdev net_af_xdp0,iface=eth1 -- l2d0 net_af_xdp0 ctr eth0
 *
 * Needs the vduse, vdpa, virtio_vdpa and virtio_net modules and two lcores
 * (the main one waits for a signal, a worker forwards).  The numbered steps
 * in main() are the whole recipe; app/vdnet does the same for many devices
 * and queue pairs, with stats and a command socket.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vdn_net.h"
#include "vdn_vdpa.h"

#define BURST 32
#define NB_MBUF 4095   /* port RX ring + mbufs in flight + per-lcore cache */
#define RING_SIZE 512
/* empty polls before the worker naps: low latency under load, no CPU burnt idle */
#define IDLE_SPINS 1024

static atomic_bool quit;

struct l2fwd {
	struct vdn_net_dev *net;
	uint16_t port;
	struct rte_mempool *mp;
	atomic_bool ctrl_stop;
	atomic_bool ctrl_failed;
};

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&quit, true); /* every loop below watches it */
}

/* The library never prints; it hands its messages to this callback. */
static void net_log(void *opaque, int level, const char *msg)
{
	(void)opaque;
	if (level <= (int)RTE_LOG_INFO)
		fprintf(stderr, "l2fwd: %s\n", msg);
}

/*
 * The control thread answers the kernel's VDUSE messages (features, status,
 * queue setup, IOTLB updates) and serves the control queue.  It must run
 * before the vdpa device is added -- adding it makes the kernel probe the
 * device and wait for answers -- and it must never wait on the datapath:
 * an unanswered message marks the device broken after msg_timeout.
 */
static void *ctrl_main(void *arg)
{
	struct l2fwd *f = arg;

	while (!atomic_load(&f->ctrl_stop)) {
		struct pollfd pfd[2];
		/* re-read the fds every round: the control queue's kick fd
		 * appears only once the driver has set that queue up */
		int fds[2], n = vdn_net_ctrl_fds(f->net, fds, 2);

		for (int i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		/* the timeout bounds how late a ctrl_stop request is noticed */
		if (poll(pfd, n, 100) < 0 && errno != EINTR)
			break;
		int rc = vdn_net_ctrl_handle(f->net);

		if (rc < 0) {
			fprintf(stderr, "l2fwd: control channel failed: %s\n", strerror(-rc));
			atomic_store(&f->ctrl_failed, true);
			atomic_store(&quit, true);
			break;
		}
	}
	return NULL;
}

/* The datapath: one worker lcore, queue pair 0 of the device, queue 0 of
 * the port.  Only burst calls here -- no syscalls, no locks. */
static int fwd_main(void *arg)
{
	struct l2fwd *f = arg;
	struct rte_mbuf *pkts[BURST];
	unsigned int idle = 0;

	while (!atomic_load_explicit(&quit, memory_order_relaxed)) {
		uint16_t n = rte_eth_rx_burst(f->port, 0, pkts, BURST);

		if (n) {
			/* enqueue copies into the driver's buffers; we still own
			 * the mbufs, whether they fitted or not */
			vdn_net_enqueue_burst(f->net, 0, pkts, n);
			rte_pktmbuf_free_bulk(pkts, n);
		}
		uint16_t m = vdn_net_dequeue_burst(f->net, 0, f->mp, pkts, BURST);

		if (m) {
			uint16_t s = rte_eth_tx_burst(f->port, 0, pkts, m);

			if (s < m) /* the port's ring is full: drop the rest */
				rte_pktmbuf_free_bulk(pkts + s, m - s);
		}
		if (n || m)
			idle = 0;
		else if (++idle > IDLE_SPINS)
			usleep(20);
	}
	return 0;
}

/* One RX and one TX queue, mbufs from f->mp, promiscuous: frames for the
 * netdev's MAC (and multicast it joins) must reach us. */
static int port_setup(struct l2fwd *f)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t nrx = RING_SIZE, ntx = RING_SIZE;
	int socket = rte_eth_dev_socket_id(f->port), rc;

	rc = rte_eth_dev_configure(f->port, 1, 1, &conf);
	if (!rc)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(f->port, &nrx, &ntx);
	if (!rc)
		rc = rte_eth_rx_queue_setup(f->port, 0, nrx, socket, NULL, f->mp);
	if (!rc)
		rc = rte_eth_tx_queue_setup(f->port, 0, ntx, socket, NULL);
	if (!rc)
		rc = rte_eth_dev_start(f->port);
	if (!rc)
		rte_eth_promiscuous_enable(f->port);
	return rc;
}

/* virtio_net creates the netdev asynchronously after the vdpa device is
 * bound: wait for it, then optionally rename it / move it into a netns. */
static int place_netdev(const char *name, const char *netns, const char *ifname)
{
	char dev[IF_NAMESIZE];
	int rc = -ENOENT;

	for (int i = 0; i < 200 && rc == -ENOENT; i++) {
		rc = vdn_vdpa_netdev(name, dev, sizeof(dev));
		if (rc == -ENOENT)
			usleep(50 * 1000);
	}
	if (rc) {
		fprintf(stderr, "l2fwd: no netdev (is virtio_net loaded?): %s\n", strerror(-rc));
		return rc;
	}
	if (netns && (rc = vdn_netdev_place(dev, ifname, netns)))
		fprintf(stderr, "l2fwd: moving %s to netns %s: %s\n", dev, netns, strerror(-rc));
	else
		printf("l2fwd: netdev %s%s%s\n", netns && ifname ? ifname : dev,
		       netns ? " in netns " : "", netns ? netns : "");
	return rc;
}

int main(int argc, char **argv)
{
	struct l2fwd f = { 0 };
	struct vdn_net_opts o = { .sz = sizeof(o), .queue_pairs = 1, .link_up = true, .log = net_log };
	struct vdn_vdpa *nl = NULL;
	pthread_t ctrl;
	bool ctrl_running = false, vdpa_added = false;
	const char *name, *portname, *netns, *ifname;
	unsigned int worker;
	int n, rc, ret = 1; /* ret: the exit status, 0 only after a clean run */

	/* 1. EAL, then our own arguments after "--" */
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "l2fwd: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: vdn_l2fwd [EAL options] -- NAME PORTNAME [NETNS [IFNAME]]\n");
		goto out_eal;
	}
	name = argv[1], portname = argv[2];
	netns = argc > 3 ? argv[3] : NULL, ifname = argc > 4 ? argv[4] : NULL;
	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE) {
		fprintf(stderr, "l2fwd: need a worker lcore besides the main one (e.g. -l 0-1)\n");
		goto out_eal;
	}
	if (rte_eth_dev_get_port_by_name(portname, &f.port)) {
		fprintf(stderr, "l2fwd: no port '%s' (add one with EAL's --vdev)\n", portname);
		goto out_eal;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* 2. the VDUSE device: appears as /dev/vduse/NAME, not yet on any bus */
	o.name = name;
	rc = vdn_net_create(&o, &f.net);
	if (rc) {
		fprintf(stderr, "l2fwd: creating VDUSE device %s: %s%s\n", name, strerror(-rc),
			rc == -ENOENT ? " (load the vduse module: modprobe vduse)" :
			rc == -EEXIST ? " (the name is taken)" : "");
		goto out_eal;
	}

	/* 3. the port, with an mbuf pool on its NUMA socket; dequeue_burst
	 * allocates from the same pool */
	f.mp = rte_pktmbuf_pool_create("l2fwd_mbufs", NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_eth_dev_socket_id(f.port));
	if (!f.mp || port_setup(&f)) {
		fprintf(stderr, "l2fwd: setting up port %s failed\n", portname);
		goto out_net;
	}

	/* 4. the control thread, before the kernel starts talking to the device */
	if (pthread_create(&ctrl, NULL, ctrl_main, &f)) {
		fprintf(stderr, "l2fwd: cannot start the control thread\n");
		goto out_port;
	}
	ctrl_running = true;

	/* 5. put the device on the virtio bus: the kernel's virtio_net driver
	 * makes a netdev of it; move that into NETNS if asked */
	rc = vdn_vdpa_open(&nl);
	if (!rc && !(rc = vdn_vdpa_dev_add(nl, name, "vduse", VDN_VDPA_BUS_VIRTIO)))
		vdpa_added = true;
	if (rc) {
		fprintf(stderr, "l2fwd: vdpa dev add: %s (modprobe virtio_vdpa?)\n", strerror(-rc));
		goto out_teardown;
	}
	if (place_netdev(name, netns, ifname))
		goto out_teardown;

	/* 6. forward on the worker lcore until SIGINT/SIGTERM */
	if (rte_eal_remote_launch(fwd_main, &f, worker)) {
		fprintf(stderr, "l2fwd: cannot launch lcore %u\n", worker);
		goto out_teardown;
	}
	printf("l2fwd: forwarding %s <-> %s on lcore %u; Ctrl-C to stop\n", name, portname, worker);
	fflush(stdout);
	while (!atomic_load(&quit))
		usleep(100 * 1000);
	ret = atomic_load(&f.ctrl_failed) ? 1 : 0;

	/* 7. teardown, in reverse: the datapath stops first; deleting the vdpa
	 * device resets it through the control thread, so that still runs;
	 * the VDUSE device can be destroyed once nothing polls its fd */
out_teardown:
	atomic_store(&quit, true);
	rte_eal_mp_wait_lcore();
	if (vdpa_added && vdn_vdpa_dev_del(nl, name))
		ret = 1;
	if (nl)
		vdn_vdpa_close(nl);
	atomic_store(&f.ctrl_stop, true);
	if (ctrl_running)
		pthread_join(ctrl, NULL);
out_port:
	rte_eth_dev_stop(f.port);
	rte_eth_dev_close(f.port);
out_net:
	if (vdn_net_destroy(f.net))
		ret = 1;
out_eal:
	rte_eal_cleanup();
	printf("l2fwd: %s\n", ret ? "failed" : "stopped cleanly");
	return ret;
}
