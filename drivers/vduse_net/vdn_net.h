/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/vduse_net: a virtio-net device model on VDUSE whose datapath is a
 * burst API on rte_mbuf, in the spirit of rte_vhost_{enqueue,dequeue}_burst:
 *
 *   vdn_net_enqueue_burst()  host -> driver  (fills the driver's RX queue)
 *   vdn_net_dequeue_burst()  driver -> host  (drains the driver's TX queue)
 *
 * One device = one VDUSE device.  The owner runs a control thread that polls
 * vdn_net_ctrl_fds() and calls vdn_net_ctrl_handle(); datapath lcores call
 * the burst functions for their queue pair.  Burst functions never block and
 * make no syscalls except one interrupt injection per burst when the driver
 * asked for one.  Several devices per process are fine: no globals.
 */
#ifndef VDN_NET_H
#define VDN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vdn_vring.h"

struct vdn_net_dev;

#define VDN_NET_MAX_QUEUE_PAIRS 16

typedef void (*vdn_net_log_fn)(void *opaque, int level, const char *msg);

/*
 * What a restarted process needs besides what the kernel reports to take a
 * running device over (vdn_net_attach).  VDUSE reports the acked features
 * and each queue's addresses, size and readiness, but not the status, and
 * nothing of the device's own progress or config space.
 */
struct vdn_net_saved {
	uint64_t features_offered; /* at creation: fixes the number of queues */
	uint64_t features_driver;  /* acked by the driver (0 before FEATURES_OK) */
	uint8_t status;            /* as last accepted from the driver */
	uint16_t max_qp;           /* device queue pairs (1 if CTRL_VQ was refused) */
	uint16_t active_qp;        /* pairs the driver uses (VQ_PAIRS_SET) */
	uint16_t vq_size;          /* max queue size announced */
	bool cvq;                  /* the kernel accepted a control queue */
	uint8_t mac[6];            /* config space as last written */
	uint16_t mtu;
	bool link_up;
};
/* Called (control thread, or whoever calls vdn_net_set_*) whenever the
 * saved state changed, before the change is acknowledged to the driver, so
 * that what is saved is never behind what the kernel believes.  Must be
 * quick: it delays the kernel's request. */
typedef void (*vdn_net_save_fn)(void *opaque, const struct vdn_net_saved *st);

struct vdn_net_opts {
	size_t sz;                   /* sizeof(struct vdn_net_opts) */
	const char *name;            /* VDUSE + vdpa device name */
	struct rte_ether_addr mac;
	bool mac_set;                /* false: a random locally administered MAC */
	uint16_t mtu;                /* 68..9000; 0 = 1500 */
	uint16_t queue_pairs;        /* 1..VDN_NET_MAX_QUEUE_PAIRS; 0 = 1 */
	uint16_t vq_size;            /* 0 = 256 */
	uint64_t features_off;       /* virtio feature bits not to offer */
	bool link_up;                /* initial link state (config status) */
	/* the device model asks the backend port for offloads it can do;
	 * whatever it cannot, the model does in software */
	uint64_t port_tx_offloads;   /* RTE_ETH_TX_OFFLOAD_* of the port */
	vdn_net_log_fn log;          /* levels are RTE_LOG_* */
	void *log_opaque;
	/* offer VIRTIO_F_RING_PACKED; a driver that takes it gets packed
	 * rings (the kernel's virtio_net always does) */
	bool packed;
	vdn_net_save_fn save;        /* optional: keep state for vdn_net_attach */
	void *save_opaque;
	/* optional: one 64-bit word per virtqueue (2 * queue_pairs + 1, the
	 * control queue last) in memory that outlives the process (a shared
	 * file mapping).  Packed rings keep their progress there (see
	 * vdn_vring_packed_recover), which lets vdn_net_attach() take a
	 * packed-ring device over.  Must stay mapped until the device is
	 * destroyed or detached. */
	uint64_t *journal;
	uint32_t journal_len;        /* words */
	/* offer VIRTIO_F_IN_ORDER: completions leave in the order the driver
	 * made buffers available, and a TX burst's may share one used entry */
	bool in_order;
	/* do not coalesce TCP segments into GUEST_TSO frames towards the
	 * driver (vdn_net_set_gro() switches it at run time) */
	bool no_gro;
};

/*
 * Create the VDUSE device.  Offers CTRL_VQ (+MQ when queue_pairs > 1); if
 * the kernel refuses that with -EINVAL (stock kernels gate CTRL_VQ for
 * VDUSE net devices), retries without and logs one line saying so.
 * Errors: -ENOENT no /dev/vduse/control (vduse module not loaded),
 * -EEXIST name taken, -EINVAL bad options, -ENOMEM.
 */
int vdn_net_create(const struct vdn_net_opts *opts, struct vdn_net_dev **out);

/* Tear down (the vdpa device must be gone first).  Returns 0 or -errno. */
int vdn_net_destroy(struct vdn_net_dev *dev);

/*
 * Take over the existing VDUSE device opts->name that a process which died
 * left behind (crash-restart), instead of creating one: the driver and its
 * netdev never notice beyond a pause.  `saved` is what opts->save last got;
 * opts->mac/mtu/queue_pairs/packed are ignored (the device keeps what it
 * was created with).  If the driver was running, the queues are started
 * again where the device really stood: for a split ring at the used index
 * in the driver's memory, so a chain popped but not completed is processed
 * again (TX: sent twice; RX: written again) and none is lost; for a packed
 * ring from the journal opts->journal kept (the same memory the dead
 * process had), completions it had staged are published first.
 * Errors: as vdn_vduse_attach() (-ENODEV no such device, -EBUSY served by
 * another process, -EIO broken by a timed-out request), -ESTALE `saved`
 * does not match the device (acked features differ), -EOPNOTSUPP the
 * driver negotiated packed rings and opts->journal is missing or holds no
 * journal for a queue,
 * -EINVAL bad arguments, -EFAULT/-EIO a ring cannot be read or is corrupt.
 */
int vdn_net_attach(const struct vdn_net_opts *opts, const struct vdn_net_saved *saved,
		   struct vdn_net_dev **out);

/* Stop serving without destroying the VDUSE device (its driver and netdev
 * stay; vdn_net_attach() can take it over again).  `dev` is freed. */
void vdn_net_detach(struct vdn_net_dev *dev);

/* The state vdn_net_attach() needs, now. */
void vdn_net_saved_get(const struct vdn_net_dev *dev, struct vdn_net_saved *st);

const char *vdn_net_name(const struct vdn_net_dev *dev);

/* Control plane: fds to poll (POLLIN) and the handler to call when any is
 * readable (or periodically).  Fills up to `max` fds, returns how many. */
int vdn_net_ctrl_fds(struct vdn_net_dev *dev, int *fds, int max);
int vdn_net_ctrl_handle(struct vdn_net_dev *dev);

/* Datapath, for queue pair `qp`.  Return the number of packets moved.
 * enqueue copies the packets (the caller still owns and frees them); a
 * packet the port handed in with a partial checksum may be finished in
 * place first, and an LRO frame's TCP checksum field set to the
 * pseudo-header sum (vdn_net_set_port_offloads), so they must be writable.
 * dequeue allocates mbufs from `mp` (the caller owns what it gets). */
uint16_t vdn_net_enqueue_burst(struct vdn_net_dev *dev, uint16_t qp, struct rte_mbuf **pkts,
			       uint16_t n);
uint16_t vdn_net_dequeue_burst(struct vdn_net_dev *dev, uint16_t qp, struct rte_mempool *mp,
			       struct rte_mbuf **pkts, uint16_t n);

/* Queue pairs the driver uses now (1 until it sends VQ_PAIRS_SET); cheap
 * enough to call per burst.  Enqueueing into a pair >= this drops. */
uint16_t vdn_net_active_qp(const struct vdn_net_dev *dev);

/* Is the driver running (DRIVER_OK and the queue pair's rings set up)? */
bool vdn_net_qp_running(const struct vdn_net_dev *dev, uint16_t qp);

/* Link state in config space; raises a config interrupt on change. */
int vdn_net_set_link(struct vdn_net_dev *dev, bool up);
bool vdn_net_link(const struct vdn_net_dev *dev);

/* MAC address in config space; raises a config interrupt.  The kernel's
 * virtio_net reads it only when it probes, so a live netdev keeps its
 * address until its owner changes it too.  -EINVAL not a unicast address. */
int vdn_net_set_mac(struct vdn_net_dev *dev, const struct rte_ether_addr *mac);

/* Coalesce consecutive TCP segments of a flow within one enqueue burst
 * into one GUEST_TSO4/6 frame (when the driver negotiated it with
 * GUEST_CSUM); on unless opts->no_gro.  Takes effect from the next burst. */
void vdn_net_set_gro(struct vdn_net_dev *dev, bool on);
bool vdn_net_gro(const struct vdn_net_dev *dev);

/*
 * What the backend port can finish for the device (RTE_ETH_TX_OFFLOAD_* it
 * has enabled in its txmode, RTE_ETH_RX_OFFLOAD_* in its rxmode).  With
 * TCP_TSO (and TCP_CKSUM) a TSO frame from the driver goes to the port as
 * one mbuf with RTE_MBUF_F_TX_TCP_SEG instead of being cut in software;
 * with TCP_CKSUM/UDP_CKSUM a partial checksum goes as
 * RTE_MBUF_F_TX_{TCP,UDP}_CKSUM.  With TCP_LRO the port may hand in frames
 * flagged RTE_MBUF_F_RX_LRO, which reach a driver that negotiated
 * GUEST_TSO4/6 as GSO frames and are cut in software for one that did not.
 * Takes effect from the next burst.  -EINVAL dev NULL.
 */
int vdn_net_set_port_offloads(struct vdn_net_dev *dev, uint64_t tx, uint64_t rx);

/* MTU in config space (the driver's maximum at its next probe) and the
 * largest frame the device accepts from the driver from now on.
 * -EINVAL outside 68..9000. */
int vdn_net_set_mtu(struct vdn_net_dev *dev, uint16_t mtu);

/* Why packets were dropped (index into vdn_net_q_stats.drop[]). */
enum vdn_net_drop {
	VDN_NET_DROP_NO_BUF,     /* RX: the driver gave no (big enough) buffers */
	VDN_NET_DROP_BAD_CHAIN,  /* malformed descriptor chain */
	VDN_NET_DROP_BAD_HDR,    /* TX: virtio_net_hdr we cannot honour */
	VDN_NET_DROP_NO_MBUF,    /* TX: mbuf pool empty */
	VDN_NET_DROP_TOO_BIG,    /* larger than the device accepts */
	VDN_NET_DROP_NOT_READY,  /* driver not running (or the pair is not active) */
	VDN_NET_DROP_FILTERED,   /* RX: refused by the driver's MAC/VLAN/RX-mode filter */
	VDN_NET_DROP__COUNT
};
const char *vdn_net_drop_str(enum vdn_net_drop d);

struct vdn_net_q_stats {
	uint64_t rx_packets, rx_bytes; /* to the driver (its RX queue), as the caller
	                                * handed them: merged frames count per segment */
	uint64_t tx_packets, tx_bytes; /* from the driver (its TX queue), as handed
	                                * to the caller: TSO frames count per segment */
	uint64_t drop[VDN_NET_DROP__COUNT];
	uint64_t irqs;                 /* interrupts injected */
	uint64_t sw_csum;              /* checksums completed in software */
	uint64_t gso_segs;             /* TX: segments cut from TSO frames in software */
	uint64_t gro_frames;           /* RX: TSO frames merged from TCP segments */
	uint64_t gro_segs;             /* RX: the segments in them (in rx_packets too) */
	/* offloads the port took (vdn_net_set_port_offloads) */
	uint64_t tso_out;              /* TX: TSO frames handed to the port whole */
	uint64_t csum_out;             /* TX: partial checksums left to the port */
	uint64_t lro_in;               /* RX: the port's LRO frames passed on as GSO */
	/* malformed chains by what was wrong with them (enum vdn_vring_err,
	 * names from vdn_vring_err_str()); each is also a bad-chain drop,
	 * except avail-idx, which counts broken queues like vq_broken */
	uint64_t chain_err[VDN_VRING_E__COUNT];
	/* times a queue of the pair stopped on a corrupt avail index: it stays
	 * stopped until the driver resets the device */
	uint64_t vq_broken;
};
/* Snapshot of a queue pair's counters (written only by its lcore). */
int vdn_net_qp_stats(const struct vdn_net_dev *dev, uint16_t qp, struct vdn_net_q_stats *st);

struct vdn_net_info {
	uint64_t features_offered, features_driver;
	uint8_t status;
	uint16_t max_queue_pairs, active_queue_pairs;
	bool cvq;          /* the kernel accepted a control queue */
	struct rte_ether_addr mac;
	uint16_t mtu;
	bool link_up;
};
int vdn_net_info(const struct vdn_net_dev *dev, struct vdn_net_info *info);

/* Entries a MAC table keeps (the control queue's limit; more set overflow). */
#define VDN_NET_FILTER_MACS 64

/* The RX filter (host -> driver) as the driver last programmed it through
 * the control queue.  Without a control queue, or before the driver used
 * it, nothing is filtered (promisc set, tables empty). */
struct vdn_net_filter_state {
	struct rte_ether_addr mac;              /* primary address */
	bool promisc, allmulti, alluni;         /* VIRTIO_NET_CTRL_RX_* modes */
	bool nomulti, nouni, nobcast;
	bool uni_overflow, multi_overflow;      /* table longer than kept: all pass */
	bool vlan_filter;                       /* CTRL_VLAN negotiated: tags checked */
	uint16_t n_uni, n_multi;
	struct rte_ether_addr uni[VDN_NET_FILTER_MACS], multi[VDN_NET_FILTER_MACS];
	uint64_t vlans[4096 / 64];              /* bit v: VLAN id v passes */
};

/* A consistent snapshot of the filter, from any thread, without locks
 * (the datapath's own lock-free view).  -EINVAL dev or st NULL. */
int vdn_net_filter_get(const struct vdn_net_dev *dev, struct vdn_net_filter_state *st);

#endif
