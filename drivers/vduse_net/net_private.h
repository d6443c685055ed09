/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal state of a vduse_net device, shared by the files of this driver. */
#ifndef VDN_NET_PRIVATE_H
#define VDN_NET_PRIVATE_H

#include <stdatomic.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#include "net_ctrl.h"
#include "vdn_net.h"
#include "vdn_vduse.h"
#include "vdn_vq.h"

/* VERSION_1 devices always use the 12-byte header (num_buffers included). */
#define VDN_NET_HDR_LEN sizeof(struct virtio_net_hdr_v1)

enum vq_state { VQ_STOPPED, VQ_RUNNING };

/*
 * One virtqueue.  The ring is owned by the datapath lcore while RUNNING and
 * by the control thread while STOPPED.  Hand-over: the datapath raises
 * `busy` then re-checks `state`; the control thread drops `state` then waits
 * for `busy` to clear (at most one burst).  Both sides use seq_cst, so
 * neither can miss the other's store.
 */
struct vdn_net_vq {
	struct vdn_vq ring;
	_Atomic int state;
	_Atomic int busy;
	_Atomic uint32_t gen;  /* bursts finished: quiescent points (net_iotlb.c) */
	uint32_t index;
	bool remap;            /* stopped by an IOTLB update (control thread) */
};

/* How a TCP GSO super-frame from the driver is cut (net_gso.c). */
struct vdn_net_gso {
	uint32_t l3_off;   /* Ethernet (+ VLAN tags) */
	uint32_t l4_off;   /* + IP header */
	uint32_t hdr_len;  /* + TCP header: what every segment repeats */
	uint32_t payload;  /* TCP payload of the super-frame */
	uint16_t mss;      /* gso_size: payload per segment, the last may be short */
	uint16_t nb_segs;
	bool ipv6;
};

/* Largest GSO super-frame a chain may carry: 64 KiB in the L3 length field
 * (IPv6's excludes its own header) behind up to two VLAN tags. */
#define VDN_NET_GSO_MAX_FRAME (RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN + 40 + 65535)

struct vdn_net_qp {
	struct vdn_net_vq rx; /* driver's receive queue: we enqueue into it */
	struct vdn_net_vq tx; /* driver's transmit queue: we dequeue from it */
	struct vdn_net_q_stats st;
	uint32_t max_pkt;     /* largest frame accepted from the driver */
	/* A super-frame being segmented: it can yield more segments than one
	 * burst takes, or than the pool has right now, so the rest is handed
	 * out first on the next dequeue.  Datapath-owned like tx; freed by
	 * vdn_net_queues_stop() once tx is stopped. */
	struct {
		struct rte_mbuf *m;
		struct vdn_net_gso g;
		uint16_t next;    /* first segment not handed out yet */
	} gso;
} __attribute__((aligned(64)));

struct vdn_net_cvq {
	struct vdn_vq ring;
	int kickfd;           /* -1 when not running */
	bool running;
	struct vdn_net_ctrl ctrl; /* control thread only */
};

struct vdn_net_dev {
	char name[64];
	struct vdn_vduse_dev *vd;
	uint64_t features;       /* offered */
	bool cvq_ok;             /* CTRL_VQ accepted by the kernel */
	bool mrg_rxbuf, event_idx, indirect, guest_csum; /* negotiated, at DRIVER_OK */
	bool host_tso4, host_tso6;                        /* likewise */
	uint16_t max_qp;
	_Atomic uint16_t active_qp;
	uint16_t vq_size;
	uint8_t status;
	struct virtio_net_config cfg;
	uint64_t port_tx_offloads;
	struct vdn_net_filter_pub filter; /* RX filter, as the datapath reads it */
	vdn_net_log_fn log;
	void *log_opaque;
	struct vdn_net_cvq cvq;
	struct vdn_net_qp qp[VDN_NET_MAX_QUEUE_PAIRS];
};

void vdn_net_logf(const struct vdn_net_dev *dev, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* net_queue.c: start/stop rings on driver status changes (control thread) */
int vdn_net_vq_setup(struct vdn_net_dev *dev, uint32_t index, struct vdn_vq *ring, bool *ready);
int vdn_net_queues_start(struct vdn_net_dev *dev);
void vdn_net_queues_stop(struct vdn_net_dev *dev);

/* net_iotlb.c: lib/vduse IOTLB hooks (control thread) */
void vdn_net_iotlb_invalidate(void *opaque, uint64_t start, uint64_t last);
void vdn_net_iotlb_invalidated(void *opaque, uint64_t start, uint64_t last);
int vdn_net_iotlb_quiesce(void *opaque);

/* net_cvq.c: control virtqueue (control thread); init = the state before
 * any driver: nothing filtered */
void vdn_net_cvq_init(struct vdn_net_dev *dev);
int vdn_net_cvq_start(struct vdn_net_dev *dev);
void vdn_net_cvq_stop(struct vdn_net_dev *dev);
int vdn_net_cvq_poll(struct vdn_net_dev *dev);

/* net_hdr.c: virtio_net_hdr <-> rte_mbuf offload mapping */
int vdn_net_hdr_to_mbuf(const struct virtio_net_hdr_v1 *hdr, struct rte_mbuf *m, uint64_t *sw_csum);
void vdn_net_hdr_from_mbuf(const struct rte_mbuf *m, struct virtio_net_hdr_v1 *hdr, bool guest_csum);
/* Folded (not inverted) ones' complement sum of [off, off + len) of a chain. */
uint16_t vdn_net_mbuf_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len);

/* net_gso.c: TCP segmentation in software, for HOST_TSO4/6; pure mbufs.
 *
 * Validate a GSO super-frame against its virtio_net_hdr and fill `g`.  The
 * headers are read from the packet itself (Ethernet, up to two VLAN tags,
 * IPv4 or IPv6 without extension headers, TCP); hdr_len is only the
 * driver's hint (Linux sends its linear length) and must lie in the packet.
 * Returns the number of segments, or -EOPNOTSUPP not TCPV4/TCPV6 (UDP,
 * USO, tunnels), -EINVAL malformed (no NEEDS_CSUM, csum_start/offset not
 * the TCP checksum, gso_size 0, headers not as the type says, truncated,
 * no payload, IPv4 fragment), -E2BIG a segment would exceed `max_frame`
 * or the super-frame 64 KiB of L3 length. */
int vdn_net_gso_parse(const struct virtio_net_hdr_v1 *hdr, const struct rte_mbuf *m,
		      uint32_t max_frame, struct vdn_net_gso *g);
/* Make segments first .. first + n - 1 (clamped to g->nb_segs) of `m` into
 * out[], each a finished frame (IP lengths/id/checksum, TCP seq/flags and
 * checksum) from `mp`, chained only if the data room is too small.
 * Returns how many were made: fewer than asked means `mp` ran dry, and the
 * rest can be asked for again.  -EMSGSIZE: mp's mbufs cannot hold the
 * headers. */
int vdn_net_gso_segment(const struct rte_mbuf *m, const struct vdn_net_gso *g, uint16_t first,
			struct rte_mempool *mp, struct rte_mbuf **out, uint16_t n);


#endif
