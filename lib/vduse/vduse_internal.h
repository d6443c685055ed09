/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vduse internals shared by its source files; not installed, not for
 * callers of the library.
 */
#ifndef VDN_VDUSE_INTERNAL_H
#define VDN_VDUSE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <linux/vduse.h>

#include "vdn_vduse.h"

/*
 * IOTLB regions the process has mmap()ed.  Readers (datapath threads) scan
 * slots lock-free; writers (control thread, misses) hold iotlb_lock.
 * A slot's fields are written only while it is FREE and published by the
 * release-store of state = LIVE, so a reader that acquires LIVE sees them
 * whole.  Invalidation only flips LIVE -> DEAD and keeps the memory mapped;
 * DEAD slots are unmapped and recycled only at device reset or destroy,
 * when the device model has stopped its datapath (set_status(0) returned).
 */
#define IOTLB_SLOTS 128

enum slot_state { SLOT_FREE, SLOT_LIVE, SLOT_DEAD };

struct iotlb_slot {
	_Atomic uint32_t state;
	uint8_t perm;       /* VDUSE_ACCESS_* */
	uint64_t start;
	uint64_t last;
	uint8_t *base;      /* mapping of [start, last] */
	size_t map_len;
};

struct iotlb {
	pthread_mutex_t lock;
	/* slots [0, used) may be non-FREE; only grows between resets */
	_Atomic uint32_t used;
	struct iotlb_slot slot[IOTLB_SLOTS];
};

struct vq_state {
	int kickfd;          /* -1 when none */
	uint16_t last_avail; /* from the last VDUSE_VQ_GET_INFO */
	struct vdn_vduse_vq_packed packed; /* likewise, for packed rings */
};

struct vdn_vduse_dev {
	char name[VDUSE_NAME_MAX];
	int fd;                      /* /dev/vduse/NAME */
	uint32_t num_vqs;
	struct vdn_vduse_ops ops;    /* copied: callers may free theirs */
	void *opaque;
	vdn_vduse_log_fn log;
	_Atomic uint8_t status;
	_Atomic uint64_t driver_features;
	struct vq_state *vqs;
	struct iotlb iotlb;
};

/* vduse_dev.c */
/* A handle around an already open char device `fd` (taken over); for unit
 * tests that play the kernel's side of the message protocol. */
int vdn_vduse_wrap_fd(const struct vdn_vduse_opts *opts, int fd, struct vdn_vduse_dev **out);
void vdn_vduse_logf(const struct vdn_vduse_dev *dev, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vduse_iotlb.c */
int vdn_vduse_iotlb_init(struct iotlb *t);
/* Retire mappings overlapping [start, last] (still mapped until reset). */
void vdn_vduse_iotlb_retire(struct vdn_vduse_dev *dev, uint64_t start, uint64_t last);
/* Unmap every region; only when no datapath can be using them. */
void vdn_vduse_iotlb_unmap_all(struct vdn_vduse_dev *dev);
void vdn_vduse_iotlb_fini(struct iotlb *t);

/* vduse_vq.c */
void vdn_vduse_vq_close_kickfds(struct vdn_vduse_dev *dev);

#endif
