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
#include "vdn_vring.h"

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
	struct vdn_vring ring;
	_Atomic int state;
	_Atomic int busy;
	uint32_t index;
};

struct vdn_net_qp {
	struct vdn_net_vq rx; /* driver's receive queue: we enqueue into it */
	struct vdn_net_vq tx; /* driver's transmit queue: we dequeue from it */
	struct vdn_net_q_stats st;
	uint32_t max_pkt;     /* largest frame accepted from the driver */
} __attribute__((aligned(64)));

struct vdn_net_cvq {
	struct vdn_vring ring;
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
int vdn_net_vq_setup(struct vdn_net_dev *dev, uint32_t index, struct vdn_vring *ring, bool *ready);
int vdn_net_queues_start(struct vdn_net_dev *dev);
void vdn_net_queues_stop(struct vdn_net_dev *dev);

/* net_cvq.c: control virtqueue (control thread); init = the state before
 * any driver: nothing filtered */
void vdn_net_cvq_init(struct vdn_net_dev *dev);
int vdn_net_cvq_start(struct vdn_net_dev *dev);
void vdn_net_cvq_stop(struct vdn_net_dev *dev);
int vdn_net_cvq_poll(struct vdn_net_dev *dev);

/* net_hdr.c: virtio_net_hdr <-> rte_mbuf offload mapping */
int vdn_net_hdr_to_mbuf(const struct virtio_net_hdr_v1 *hdr, struct rte_mbuf *m, uint64_t *sw_csum);
void vdn_net_hdr_from_mbuf(const struct rte_mbuf *m, struct virtio_net_hdr_v1 *hdr, bool guest_csum);


#endif
