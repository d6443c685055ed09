/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vduse: one VDUSE device in userspace (/dev/vduse/control and
 * /dev/vduse/NAME): create/destroy, the control-message loop, IOTLB mapping,
 * virtqueue info, kick eventfds, interrupts, config space.
 *
 * The caller owns the event loop: it polls vdn_vduse_fd() and calls
 * vdn_vduse_handle() when readable (from one control thread).  Device-model
 * hooks run inside vdn_vduse_handle() and must return promptly: the kernel
 * marks the device broken if a message is not answered within msg_timeout.
 * No printing: errors are returned as -errno; a log callback may be set.
 *
 * Threads: vdn_vduse_xlate(), vdn_vduse_vq_irq(), vdn_vduse_status() and
 * vdn_vduse_driver_features() may be called from any thread (datapath);
 * everything else belongs to the control thread.
 */
#ifndef VDN_VDUSE_H
#define VDN_VDUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vdn_vduse_dev;

/* Where a packed virtqueue stands (VDUSE's vduse_vq_state_packed): ring
 * positions and the wrap counters that go with them. */
struct vdn_vduse_vq_packed {
	uint16_t last_avail_idx;
	bool avail_wrap;
	uint16_t last_used_idx;
	bool used_wrap;
};

/* What the device model is told.  All optional except where noted. */
struct vdn_vduse_ops {
	/* driver wrote `status` (DRIVER_OK starts, 0 resets); return 0 to accept,
	 * -errno to fail the message.  On 0 the datapath must have stopped
	 * using translated pointers and kick fds before this returns: the
	 * library then closes the kick fds and unmaps every IOTLB region
	 * (the driver frees and reallocates its rings after a reset). */
	int (*set_status)(void *opaque, uint8_t old_status, uint8_t status);
	/* The IOTLB drops [start, last] (VDUSE_UPDATE_IOTLB; vhost-vdpa sends
	 * [0, ~0] on every map change, also while the driver runs).  Called
	 * before the library retires the range: stop whatever keeps pointers
	 * into it across bursts (e.g. translated ring addresses). */
	void (*iotlb_invalidate)(void *opaque, uint64_t start, uint64_t last);
	/* After the range was retired (lookups into it miss and map the new
	 * regions): re-translate and restart what iotlb_invalidate stopped. */
	void (*iotlb_invalidated)(void *opaque, uint64_t start, uint64_t last);
	/* Return 0 once every datapath thread that may hold a translated
	 * pointer has passed a point where it holds none (e.g. a burst
	 * boundary) since the call began; the library then unmaps the retired
	 * regions.  Must be bounded (never wait on a thread that is not
	 * running bursts): return -ETIMEDOUT and the regions stay mapped until
	 * the next invalidation or reset.  Without it they stay mapped until
	 * reset.  Called from the control thread without library locks held. */
	int (*iotlb_quiesce)(void *opaque);
	/* VDUSE asks where vq `index` stands (split: next avail idx) */
	uint16_t (*get_vq_avail_idx)(void *opaque, uint32_t index);
	/* (API v1) the driver made vq `index` ready/not ready */
	void (*vq_ready)(void *opaque, uint32_t index, bool ready);
	/* as get_vq_avail_idx, once VIRTIO_F_RING_PACKED was negotiated (that
	 * hook is then not called).  Without it, VDUSE is told what the last
	 * vdn_vduse_vq_info() reported for the queue. */
	void (*get_vq_state_packed)(void *opaque, uint32_t index, struct vdn_vduse_vq_packed *st);
};

/* `level` is a syslog(3) priority: one of these. */
#define VDN_VDUSE_LOG_ERR 3
#define VDN_VDUSE_LOG_WARNING 4
#define VDN_VDUSE_LOG_INFO 6
#define VDN_VDUSE_LOG_DEBUG 7
typedef void (*vdn_vduse_log_fn)(void *opaque, int level, const char *msg);

struct vdn_vduse_opts {
	size_t sz;                 /* sizeof(struct vdn_vduse_opts) */
	const char *name;          /* /dev/vduse/NAME; also the vdpa device name */
	uint32_t device_id;        /* VIRTIO_ID_NET ... */
	uint32_t vendor_id;
	uint64_t features;         /* offered to the driver */
	uint32_t num_vqs;
	uint16_t max_vq_size;      /* VQ_SETUP max_size for every queue */
	const void *config;        /* initial config space */
	uint32_t config_size;
	const struct vdn_vduse_ops *ops;
	void *opaque;              /* passed to ops and log */
	vdn_vduse_log_fn log;
	/* vdn_vduse_attach() only: the status the driver last set, as the
	 * caller saved it (the kernel keeps it but offers no way to read it
	 * back); vdn_vduse_status() starts from it. */
	uint8_t attach_status;
};

/*
 * Create the VDUSE device and open its char device.
 * Errors: -ENOENT /dev/vduse/control missing (vduse module not loaded),
 * -EEXIST name taken, -EINVAL the kernel refused the config or features
 * (e.g. CTRL_VQ on stock kernels), -EPERM, -ENOMEM.
 */
int vdn_vduse_create(const struct vdn_vduse_opts *opts, struct vdn_vduse_dev **out);

/*
 * Attach to an existing VDUSE device named opts->name without creating it
 * (crash-restart).  The kernel kept everything the driver set up (features,
 * ring addresses, IOTLB); requests it sent while nobody listened, and the
 * one a dead process had read but not answered, are read again.  IOTLB fds
 * are fetched again lazily by vdn_vduse_xlate(); kick fds must be set up
 * again.  opts->num_vqs must match the device (-EINVAL otherwise, at least
 * when it is larger).  Errors: -ENOENT no /dev/vduse/control, -ENODEV no
 * such device, -EBUSY another process has it open, -EIO the kernel marked
 * it broken (a request went unanswered for longer than its msg_timeout),
 * -EINVAL, -ENOMEM.
 */
int vdn_vduse_attach(const struct vdn_vduse_opts *opts, struct vdn_vduse_dev **out);

/* VDUSE_DESTROY_DEV by name, for a device nobody serves.  -ENODEV no such
 * device, -EBUSY still bound to vdpa or its char device open, -ENOENT no
 * /dev/vduse/control. */
int vdn_vduse_destroy_name(const char *name);

/* Close the char device, unmap everything and destroy the VDUSE device
 * (unless `keep` is true).  Returns 0 or -errno (-EBUSY: still bound to vdpa,
 * -ENODEV: already gone).  `dev` is freed in every case. */
int vdn_vduse_destroy(struct vdn_vduse_dev *dev, bool keep);

/* fd to poll for control messages (POLLIN). */
int vdn_vduse_fd(const struct vdn_vduse_dev *dev);

/* Read and answer every pending control message.  Returns the number
 * handled, 0 if none, -errno if the char device failed. */
int vdn_vduse_handle(struct vdn_vduse_dev *dev);

/* Features the driver acked (valid once FEATURES_OK was set). */
uint64_t vdn_vduse_driver_features(const struct vdn_vduse_dev *dev);
uint8_t vdn_vduse_status(const struct vdn_vduse_dev *dev);
const char *vdn_vduse_name(const struct vdn_vduse_dev *dev);

struct vdn_vduse_vq_info {
	uint32_t index;
	uint32_t num;
	uint64_t desc_iova, avail_iova, used_iova;
	uint16_t avail_idx;  /* where the ring resumes (split; packed: = packed.last_avail_idx) */
	bool ready;
	bool packed;         /* VIRTIO_F_RING_PACKED negotiated: packed_state is valid */
	struct vdn_vduse_vq_packed packed_state; /* where a packed ring resumes */
};

/* VDUSE_VQ_GET_INFO.  -EINVAL bad index. */
int vdn_vduse_vq_info(struct vdn_vduse_dev *dev, uint32_t index, struct vdn_vduse_vq_info *info);

/*
 * Create an eventfd, register it as vq `index`'s kick fd and return it
 * (owned by the library; closed on reset/destroy).  -errno on failure.
 */
int vdn_vduse_vq_kickfd(struct vdn_vduse_dev *dev, uint32_t index);

/* Interrupt the driver for vq `index` (VDUSE_VQ_INJECT_IRQ).
 * -EINVAL bad index or the driver has not set DRIVER_OK. */
int vdn_vduse_vq_irq(struct vdn_vduse_dev *dev, uint32_t index);

/* Update config space bytes [offset, offset+len) and, if `notify`, raise a
 * config interrupt (skipped before DRIVER_OK: the driver reads the config
 * when it probes).  -EINVAL range outside the config space or len 0. */
int vdn_vduse_set_config(struct vdn_vduse_dev *dev, uint32_t offset, const void *buf,
			 uint32_t len, bool notify);

/*
 * Translate an IOVA range: a vdn_vring_xlate_fn-compatible callback with
 * ctx = the dev.  A miss maps the region on demand (VDUSE_IOTLB_GET_FD +
 * mmap); lookups stop finding a region once an invalidation covers it, and
 * its memory is unmapped only after ops.iotlb_quiesce confirmed that no
 * datapath thread can still use a pointer into it (else at reset).  The
 * datapath must therefore not keep translated pointers across the
 * quiescent points it reports.  `access` is a mask of VDN_ACCESS_READ (1)
 * / VDN_ACCESS_WRITE (2).  NULL if iova is not mapped, the region lacks the
 * access, or the region table is full (32768 regions).  Lock-free on a hit.
 */
void *vdn_vduse_xlate(void *dev, uint64_t iova, uint64_t *len, int access);

/* Map every region the kernel reports for [start, last] now (call from the
 * control thread before starting a datapath, so it rarely misses).
 * -EINVAL start > last or part of the range is not mapped (stops at the
 * hole), -ENOSPC the region table is full, -ENOMEM, or the mmap error. */
int vdn_vduse_iotlb_prefault(struct vdn_vduse_dev *dev, uint64_t start, uint64_t last);

/* How many regions are mapped and usable (`live`) and how many are
 * invalidated but still mapped, waiting for a quiescent point (`retired`).
 * -EINVAL NULL argument. */
int vdn_vduse_iotlb_stats(struct vdn_vduse_dev *dev, uint32_t *live, uint32_t *retired);

#endif
