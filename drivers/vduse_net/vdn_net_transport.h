/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device model on a caller-provided transport instead of VDUSE.
 *
 * vdn_net_create() puts the model on VDUSE, where the kernel plays the
 * transport: it translates driver addresses, reports the virtqueues, takes
 * interrupts and config writes, and tells the model about status changes.
 * vdn_net_create_on() lets the caller play that part, so the model runs
 * with no kernel at all: benchmarks (tests/perf) and tests drive it with a
 * driver in plain memory.  The datapath is the same code either way.
 *
 * The transport reports status changes with vdn_net_transport_status(),
 * from the thread that owns the device's control plane; there is no fd to
 * poll (vdn_net_ctrl_fds() returns none of its own) but vdn_net_ctrl_handle()
 * still serves the control queue if there is one.
 */
#ifndef VDN_NET_TRANSPORT_H
#define VDN_NET_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "vdn_net.h"
#include "vdn_vring.h"

/* Where the driver put virtqueue `index` and where it resumes. */
struct vdn_net_vq_info {
	uint32_t num;
	uint64_t desc_iova, avail_iova, used_iova; /* packed: ring, driver, device areas */
	bool ready;
	bool packed;
	uint16_t last_avail_idx;                   /* split: next avail index */
	bool avail_wrap;                           /* packed only, from here on */
	uint16_t last_used_idx;
	bool used_wrap;
};

/* What the model asks of the transport; `ctx` is vdn_net_create_on()'s. */
struct vdn_net_transport_ops {
	/* driver address -> pointer (lib/vring's contract); called per
	 * descriptor on datapath lcores, so it must be lock-free */
	vdn_vring_xlate_fn xlate;
	/* vq `index` as the driver set it up; -errno fails the start */
	int (*vq_info)(void *ctx, uint32_t index, struct vdn_net_vq_info *info);
	/* features the driver acked; read on DRIVER_OK and by vdn_net_info() */
	uint64_t (*driver_features)(void *ctx);
	/* interrupt the driver for vq `index`; 0 if delivered.  Datapath,
	 * at most once per burst. */
	int (*vq_irq)(void *ctx, uint32_t index);
	/* the model changed config space bytes [off, off + len); `notify`:
	 * raise a config interrupt.  Optional. */
	int (*set_config)(void *ctx, uint32_t off, const void *buf, uint32_t len, bool notify);
	/* an eventfd the driver's kicks of vq `index` land on; only the
	 * control queue asks.  Required when CTRL_VQ is offered. */
	int (*vq_kickfd)(void *ctx, uint32_t index);
};

/*
 * Create a device model on `ops` (which must outlive it).  Options as for
 * vdn_net_create() but `name` only names the device in logs; everything
 * offered is accepted (no CTRL_VQ fallback): leave CTRL_VQ out with
 * features_off unless ops->vq_kickfd is set.  The transport reads what is
 * offered with vdn_net_info().  vdn_net_destroy() frees the model only.
 * Errors: -EINVAL bad options or ops (xlate, vq_info, driver_features or
 * vq_irq missing; vq_kickfd missing with CTRL_VQ offered), -ENOMEM.
 */
int vdn_net_create_on(const struct vdn_net_opts *opts, const struct vdn_net_transport_ops *ops,
		      void *ctx, struct vdn_net_dev **out);

/*
 * The driver wrote `status` (DRIVER_OK starts the queues, leaving it or 0
 * stops them).  Once it returns after a stop, the datapath no longer
 * touches driver memory.  Returns 0, or -errno from starting the queues
 * (then they stay stopped).  -EINVAL: not a vdn_net_create_on() device.
 */
int vdn_net_transport_status(struct vdn_net_dev *dev, uint8_t status);

#endif
