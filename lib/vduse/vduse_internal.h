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
 * IOTLB regions the process has mmap()ed (vduse_iotab.c).  Readers
 * (datapath threads) scan slots lock-free; writers (control thread, misses)
 * hold `lock`.  Slots live in chunks allocated on first use, so the table
 * grows to IOTLB_CHUNK * IOTLB_CHUNKS regions without ever moving a slot.
 * A slot's fields are written only while it is FREE and published by the
 * release-store of state = LIVE, so a reader that acquires LIVE sees them
 * whole.  Invalidation flips LIVE -> DEAD; a DEAD slot is unmapped and
 * becomes FREE (reusable) only after the device model confirmed that no
 * datapath thread can still hold a pointer into it (ops.iotlb_quiesce), or
 * at reset/destroy.
 */
#define IOTLB_CHUNK 64
#define IOTLB_CHUNKS 512

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
	/* slots [0, used) may be non-FREE */
	_Atomic uint32_t used;
	uint32_t live, dead;  /* under lock */
	struct iotlb_slot *_Atomic chunk[IOTLB_CHUNKS];
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

/* vduse_iotab.c: the table alone, no syscalls.  Everything but find
 * needs t->lock held.  unmap may be NULL (tests). */
int vdn_vduse_iotab_init(struct iotlb *t);
void vdn_vduse_iotab_fini(struct iotlb *t);
/* Lock-free: the LIVE slot holding iova, or NULL. */
struct iotlb_slot *vdn_vduse_iotab_find(struct iotlb *t, uint64_t iova);
/* Publish a LIVE slot; NULL with *err -EINVAL (last < start), -ENOSPC
 * (table full), -ENOMEM. */
struct iotlb_slot *vdn_vduse_iotab_add(struct iotlb *t, uint64_t start, uint64_t last,
				       uint8_t perm, void *base, size_t map_len, int *err);
/* LIVE slots overlapping [start, last] become DEAD (readers skip them,
 * memory stays mapped).  Returns how many. */
uint32_t vdn_vduse_iotab_retire(struct iotlb *t, uint64_t start, uint64_t last);
/* Unmap every DEAD slot and make it FREE: only once no reader can hold a
 * pointer into one.  Returns how many. */
uint32_t vdn_vduse_iotab_reap(struct iotlb *t, void (*unmap)(void *base, size_t len));
/* Every slot FREE and unmapped (reset, destroy). */
void vdn_vduse_iotab_clear(struct iotlb *t, void (*unmap)(void *base, size_t len));

/* vduse_iotlb.c */
/* Retire mappings overlapping [start, last]; unmap them at once if the
 * model confirms a quiescent point, else at the next try or reset. */
void vdn_vduse_iotlb_invalidate(struct vdn_vduse_dev *dev, uint64_t start, uint64_t last);
/* Unmap retired regions if the model confirms a quiescent point. */
void vdn_vduse_iotlb_reclaim(struct vdn_vduse_dev *dev);
/* Unmap every region; only when no datapath can be using them. */
void vdn_vduse_iotlb_unmap_all(struct vdn_vduse_dev *dev);

/* vduse_vq.c */
void vdn_vduse_vq_close_kickfds(struct vdn_vduse_dev *dev);

#endif
