/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal state of a vduse_net device, shared by the files of this driver. */
#ifndef VDN_NET_PRIVATE_H
#define VDN_NET_PRIVATE_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#include "net_ctrl.h"
#include "vdn_net.h"
#include "vdn_net_transport.h"
#include "vdn_vduse.h"
#include "vdn_vq.h"

/* VERSION_1 devices always use the 12-byte header (num_buffers included). */
#define VDN_NET_HDR_LEN sizeof(struct virtio_net_hdr_v1)

/* Chains the TX dequeue pops, prefetches and copies as one batch (net_tx.c). */
#define VDN_NET_TX_BATCH 32
/* Packets a TX burst can leave waiting: a batch, or a TSO frame cut in one
 * go straight from the driver's buffers (at most this many segments). */
#define VDN_NET_TX_BACKLOG 64

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
	bool broken_seen;     /* datapath: the ring's breakage was reported */
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

struct vdn_net_gro_cfg {
	bool v4, v6;        /* GUEST_TSO4 / GUEST_TSO6 (with GUEST_CSUM) */
	uint16_t max_segs;  /* at most VDN_NET_GRO_MAX_SEGS */
};

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
	/* Packets taken from the ring that did not fit the caller's burst (a
	 * batch behind a super-frame's segments, or the segments of a frame
	 * cut in one go): already copied and handed back to the driver, so
	 * they wait here, in order.  Datapath-owned; freed with gso.m. */
	struct {
		struct rte_mbuf *m[VDN_NET_TX_BACKLOG];
		struct virtio_net_hdr_v1 hdr[VDN_NET_TX_BACKLOG]; /* of super-frames */
		uint64_t super; /* bit i: m[i] is a super-frame still to cut */
		uint8_t head, n;
	} ovf;
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
	/* NULL: VDUSE (vd), called directly; else vdn_net_create_on()'s */
	const struct vdn_net_transport_ops *tp;
	void *tp_ctx;
	uint64_t features;       /* offered */
	bool cvq_ok;             /* CTRL_VQ accepted by the kernel */
	bool mrg_rxbuf, event_idx, indirect, guest_csum; /* negotiated, at DRIVER_OK */
	bool in_order;
	bool host_tso4, host_tso6;                        /* likewise */
	struct vdn_net_gro_cfg gro; /* what the driver can take merged, at DRIVER_OK */
	_Atomic bool gro_on;        /* vdn_net_set_gro(): merge when it can */
	uint16_t max_qp;
	/* Pairs the driver has: max_qp with MQ negotiated, else 1 -- and the
	 * control queue follows them (index 2 without MQ, virtio 5.1.2); set
	 * at DRIVER_OK, max_qp before any driver. */
	uint16_t drv_qp;
	_Atomic uint16_t active_qp;
	uint16_t vq_size;
	uint8_t status;
	struct virtio_net_config cfg;
	/* vdn_net_set_port_offloads(); read by the datapath (relaxed) */
	uint64_t port_tx_offloads, port_rx_offloads;
	struct vdn_net_filter_pub filter; /* RX filter, as the datapath reads it */
	vdn_net_log_fn log;
	void *log_opaque;
	vdn_net_save_fn save;
	void *save_opaque;
	bool resuming;           /* vdn_net_attach: rings resume where the device stood */
	uint64_t *journal;       /* opts->journal: per virtqueue, for packed rings */
	uint32_t journal_len;
	struct vdn_net_cvq cvq;
	struct vdn_net_qp qp[VDN_NET_MAX_QUEUE_PAIRS];
};

/* The transport, VDUSE's or the caller's (vdn_net_transport.h). */
static inline uint64_t tp_driver_features(const struct vdn_net_dev *dev)
{
	return dev->tp ? dev->tp->driver_features(dev->tp_ctx) : vdn_vduse_driver_features(dev->vd);
}

static inline int tp_vq_irq(struct vdn_net_dev *dev, uint32_t index)
{
	return dev->tp ? dev->tp->vq_irq(dev->tp_ctx, index) : vdn_vduse_vq_irq(dev->vd, index);
}

static inline int tp_vq_kickfd(struct vdn_net_dev *dev, uint32_t index)
{
	if (!dev->tp)
		return vdn_vduse_vq_kickfd(dev->vd, index);
	return dev->tp->vq_kickfd ? dev->tp->vq_kickfd(dev->tp_ctx, index) : -ENOTSUP;
}

static inline int tp_set_config(struct vdn_net_dev *dev, uint32_t off, const void *buf, uint32_t len,
				bool notify)
{
	if (!dev->tp)
		return vdn_vduse_set_config(dev->vd, off, buf, len, notify);
	return dev->tp->set_config ? dev->tp->set_config(dev->tp_ctx, off, buf, len, notify) : 0;
}

/* vdn_vduse_vq_info() through either transport, plus the translation
 * callback the ring must use. */
int vdn_net_tp_vq_info(struct vdn_net_dev *dev, uint32_t index, struct vdn_vduse_vq_info *info,
		       vdn_vring_xlate_fn *xlate, void **xlate_ctx);

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

/* net_dev.c: a zeroed device with the options, the given pair count,
 * MTU and ring size set (shared by creation and takeover); NULL: no memory */
struct vdn_net_dev *vdn_net_dev_alloc(const struct vdn_net_opts *o, uint16_t qps, uint16_t mtu,
				      uint16_t vq_size);

/* net_dev.c: what lib/vduse calls into (also for vdn_net_attach) */
extern const struct vdn_vduse_ops vdn_net_vduse_ops;
void vdn_net_vduse_log(void *opaque, int level, const char *msg);

/* net_reattach.c: tell the owner the saved state changed (opts->save) */
void vdn_net_state_changed(struct vdn_net_dev *dev);
/* While resuming, where ring `index` stands, from the driver's memory:
 * sets cfg's resume position.  -EOPNOTSUPP packed, -EFAULT unreadable,
 * -EIO the indexes are inconsistent. */
int vdn_net_resume_pos(struct vdn_net_dev *dev, uint32_t index, struct vdn_vring_cfg *cfg);
/* The control queue's index for the driver that is there now. */
static inline uint32_t vdn_net_cvq_index(const struct vdn_net_dev *dev)
{
	return 2u * dev->drv_qp;
}

/* net_cvq.c: control virtqueue (control thread); init = the state before
 * any driver: nothing filtered */
void vdn_net_cvq_init(struct vdn_net_dev *dev);
int vdn_net_cvq_start(struct vdn_net_dev *dev);
void vdn_net_cvq_stop(struct vdn_net_dev *dev);
int vdn_net_cvq_poll(struct vdn_net_dev *dev);

/* net_hdr.c: virtio_net_hdr <-> rte_mbuf offload mapping */
int vdn_net_hdr_to_mbuf(const struct virtio_net_hdr_v1 *hdr, struct rte_mbuf *m, uint64_t *sw_csum);
void vdn_net_hdr_from_mbuf(const struct rte_mbuf *m, struct virtio_net_hdr_v1 *hdr, bool guest_csum);

/* The flags of a packet's header towards the driver: a checksum the port
 * verified is passed on as DATA_VALID when the driver takes GUEST_CSUM. */
static inline uint8_t vdn_net_rx_flags(const struct rte_mbuf *m, bool guest_csum)
{
	return guest_csum && (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD
		       ? VIRTIO_NET_HDR_F_DATA_VALID
		       : 0;
}
/* Folded (not inverted) ones' complement sum of [off, off + len) of a chain. */
uint16_t vdn_net_mbuf_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len);

/* Drop what a TX batch left waiting (net_tx.c); tx must be stopped. */
void vdn_net_tx_ovf_free(struct vdn_net_qp *q);

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

/* net_offload.c: what the port finishes (vdn_net_set_port_offloads).
 *
 * Describe the TSO super-frame `m` (parsed into `g` by vdn_net_gso_parse)
 * to a port with RTE_ETH_TX_OFFLOAD_TCP_TSO and TCP_CKSUM in `port_tx`:
 * RTE_MBUF_F_TX_TCP_SEG, lengths, tso_segsz, and DPDK's pseudo-header sum
 * (without length) in the TCP checksum.  -ENOTSUP: the port cannot (nor
 * take chained mbufs, when `m` is one), or the headers are not in the
 * first segment; `m` is untouched, cut it in
 * software. */
int vdn_net_tso_offload(const struct vdn_net_gso *g, struct rte_mbuf *m, uint64_t port_tx);
/* Leave a NEEDS_CSUM frame's partial TCP/UDP checksum to a port with
 * RTE_ETH_TX_OFFLOAD_TCP_CKSUM/UDP_CKSUM: RTE_MBUF_F_TX_{TCP,UDP}_CKSUM,
 * IPV4/IPV6, l2_len, l3_len.  Only for Ethernet (+ up to 2 VLAN tags) +
 * IPv4 / IPv6 without extension headers + the L4 header the offset names,
 * csum_start right behind the IP header, all in the first segment.
 * -ENOTSUP otherwise (no GSO, no NEEDS_CSUM, the port cannot, another
 * shape); `m` is untouched, finish it with vdn_net_hdr_to_mbuf(). */
int vdn_net_csum_offload(const struct virtio_net_hdr_v1 *hdr, struct rte_mbuf *m, uint64_t port_tx);
/* Towards the driver: the header a frame the port handed in needs --
 * RTE_MBUF_F_RX_LRO (a TSO frame: NEEDS_CSUM + GSO TCPV4/6, gso_size from
 * tso_segsz, hdr_len) or RTE_MBUF_F_RX_L4_CKSUM_NONE (a partial TCP/UDP
 * checksum: NEEDS_CSUM, csum_start/offset).  Returns 1 `hdr` filled, 0
 * neither flag (the plain path), -EINVAL headers other than Ethernet (+ 2
 * VLAN tags) + IPv4|IPv6 (no extension headers) + TCP|UDP, or an LRO frame
 * that is not TCP or has no tso_segsz, or whose checksum the port neither
 * left partial (NONE) nor verified (GOOD).  An LRO frame flagged GOOD gets
 * the pseudo-header sum written into its TCP checksum field (in the first
 * segment, else -EINVAL), which a GSO header says is there. */
int vdn_net_rx_offload_hdr(struct rte_mbuf *m, struct virtio_net_hdr_v1 *hdr);

/* net_gro.c: TCP segments coalesced into GUEST_TSO4/6 frames towards the
 * driver (host -> driver); pure, over mbufs and iovs. */

/* Segments one frame may take (Linux: 64 KiB and MAX_SKB_FRAGS bound its
 * own GRO; the 64 KiB L3 length bounds ours before this does at MTU 1500). */
#define VDN_NET_GRO_MAX_SEGS 64
/* Ethernet + IPv6 + TCP with the longest options */
#define VDN_NET_GRO_MAX_HDR (RTE_ETHER_HDR_LEN + 40 + 60)

/* One merged frame: hdr[0, hdr_len), then each segment's payload. */
struct vdn_net_gro_frame {
	struct virtio_net_hdr_v1 vh;  /* num_buffers left 0 for the caller */
	uint32_t hdr_len;             /* Ethernet + IP + TCP, as every segment has */
	uint32_t len;                 /* of the whole frame, without vh */
	uint16_t mss;                 /* payload of every segment but the last */
	uint16_t nb_segs;             /* >= 2 */
	uint8_t hdr[VDN_NET_GRO_MAX_HDR];
};

/* How many packets from pkts[0] go to the driver as one frame: >= 2 with
 * `f` filled, or 1 (pkts[0] goes as it is; `f` untouched).  The merge rules
 * are in net_gro.c's head comment. */
uint16_t vdn_net_gro_plan(const struct vdn_net_gro_cfg *cfg, struct rte_mbuf *const *pkts,
			  uint16_t n, struct vdn_net_gro_frame *f);
/* Copy bytes [off, off + len) of the merged frame `f` (made of
 * pkts[0 .. f->nb_segs)) into the iovs at `ioff`.  Returns the bytes
 * copied: fewer than `len` when the iovs or the frame end first. */
uint32_t vdn_net_gro_to_iov(const struct vdn_net_gro_frame *f, struct rte_mbuf *const *pkts,
			    uint32_t off, const struct vdn_iov *iov, unsigned int n, uint32_t ioff,
			    uint32_t len);

/* net_rxtx.c: copy `len` bytes of mbuf `m` from offset `moff` into the
 * iovs at `ioff`; returns the bytes copied. */
uint32_t vdn_net_mbuf_to_iov(const struct rte_mbuf *m, uint32_t moff, const struct vdn_iov *iov,
			     unsigned int n, uint32_t ioff, uint32_t len);

#endif
