/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOTLB: mmap the regions VDUSE hands out (VDUSE_IOTLB_GET_FD) and translate
 * IOVAs for datapath threads.
 *
 * Why a fixed slot array and not a lock or a swapped table: xlate runs per
 * descriptor on every datapath thread, so readers must not write shared
 * cache lines (a rwlock's reader count would bounce between cores) and must
 * never block behind the control thread.  Readers only load slot states
 * with acquire ordering; all changes happen under iotlb_lock, which only the
 * control thread and the rare miss take.  A slot is filled while FREE and
 * published by storing LIVE; an invalidation flips it to DEAD but leaves the
 * memory mapped, so a reader that raced it still dereferences valid memory.
 * Slots go back to FREE (and are unmapped) only at reset/destroy, when the
 * device model has stopped its datapath.  The price: at most IOTLB_SLOTS
 * regions may be mapped between two resets; a miss beyond that fails.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vduse_internal.h"

int vdn_vduse_iotlb_init(struct iotlb *t)
{
	memset(t, 0, sizeof(*t));
	return -pthread_mutex_init(&t->lock, NULL);
}

void vdn_vduse_iotlb_fini(struct iotlb *t)
{
	pthread_mutex_destroy(&t->lock);
}

static struct iotlb_slot *find_live(struct iotlb *t, uint64_t iova)
{
	uint32_t n = atomic_load_explicit(&t->used, memory_order_acquire);

	for (uint32_t i = 0; i < n; i++) {
		struct iotlb_slot *s = &t->slot[i];

		if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_LIVE)
			continue;
		if (iova >= s->start && iova <= s->last)
			return s;
	}
	return NULL;
}

static int perm_prot(uint8_t perm)
{
	int prot = 0;

	if (perm & VDUSE_ACCESS_RO)
		prot |= PROT_READ;
	if (perm & VDUSE_ACCESS_WO)
		prot |= PROT_WRITE;
	return prot;
}

/*
 * Map the region containing `start` and publish it.  Caller holds the lock.
 * Returns the slot, or NULL with *err set (-EINVAL: `start` is not mapped,
 * -ENOSPC: table full).  `last` only widens the kernel's search so it says
 * "hole" the same way for both callers.
 */
static struct iotlb_slot *map_region(struct vdn_vduse_dev *dev, uint64_t start, uint64_t last,
				     int *err)
{
	struct iotlb *t = &dev->iotlb;
	uint32_t n = atomic_load_explicit(&t->used, memory_order_relaxed);
	struct vduse_iotlb_entry e = { .start = start, .last = last };

	if (n >= IOTLB_SLOTS) {
		*err = -ENOSPC;
		vdn_vduse_logf(dev, VDN_VDUSE_LOG_ERR,
			       "%s: IOTLB table full (%u regions mapped since reset)", dev->name, n);
		return NULL;
	}
	int fd = ioctl(dev->fd, VDUSE_IOTLB_GET_FD, &e);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (e.start > start) {
		close(fd);
		*err = -EINVAL;
		return NULL;
	}
	if (e.last < e.start || e.last - e.start >= SIZE_MAX || !perm_prot(e.perm)) {
		close(fd);
		*err = -EFBIG;
		return NULL;
	}
	size_t len = (size_t)(e.last - e.start) + 1;
	void *p = mmap(NULL, len, perm_prot(e.perm), MAP_SHARED, fd, (off_t)e.offset);
	*err = p == MAP_FAILED ? -errno : 0;
	close(fd);
	if (*err) {
		vdn_vduse_logf(dev, VDN_VDUSE_LOG_ERR,
			       "%s: mmap IOVA [%#llx, %#llx] perm %u: %s", dev->name,
			       (unsigned long long)e.start, (unsigned long long)e.last, e.perm,
			       strerror(-*err));
		return NULL;
	}
	struct iotlb_slot *s = &t->slot[n];
	s->start = e.start;
	s->last = e.last;
	s->perm = e.perm;
	s->base = p;
	s->map_len = len;
	atomic_store_explicit(&s->state, SLOT_LIVE, memory_order_release);
	atomic_store_explicit(&t->used, n + 1, memory_order_release);
	vdn_vduse_logf(dev, VDN_VDUSE_LOG_DEBUG, "%s: mapped IOVA [%#llx, %#llx] perm %u",
		       dev->name, (unsigned long long)e.start, (unsigned long long)e.last, e.perm);
	return s;
}

/* Lookup-or-map under the lock; another thread may have mapped it first. */
static struct iotlb_slot *miss(struct vdn_vduse_dev *dev, uint64_t iova, int *err)
{
	struct iotlb *t = &dev->iotlb;

	pthread_mutex_lock(&t->lock);
	struct iotlb_slot *s = find_live(t, iova);
	if (!s)
		s = map_region(dev, iova, iova, err);
	pthread_mutex_unlock(&t->lock);
	return s;
}

void *vdn_vduse_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	struct vdn_vduse_dev *dev = ctx;
	struct iotlb_slot *s = find_live(&dev->iotlb, iova);
	int err;

	if (!s) {
		s = miss(dev, iova, &err);
		if (!s)
			return NULL;
	}
	/* VDN_ACCESS_READ/WRITE have the values of VDUSE_ACCESS_RO/WO */
	if (access & ~s->perm & VDUSE_ACCESS_RW)
		return NULL;
	/* map_region() refused regions whose size does not fit, so room + 1
	 * cannot wrap */
	uint64_t room = s->last - iova;
	if (*len && *len - 1 > room)
		*len = room + 1;
	return s->base + (iova - s->start);
}

int vdn_vduse_iotlb_prefault(struct vdn_vduse_dev *dev, uint64_t start, uint64_t last)
{
	struct iotlb *t = &dev->iotlb;
	int err = 0;

	if (start > last)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	for (uint64_t cur = start;;) {
		struct iotlb_slot *s = find_live(t, cur);

		if (!s)
			s = map_region(dev, cur, last, &err);
		if (!s)
			break;
		if (s->last >= last)
			break;
		cur = s->last + 1;
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

void vdn_vduse_iotlb_retire(struct vdn_vduse_dev *dev, uint64_t start, uint64_t last)
{
	struct iotlb *t = &dev->iotlb;

	pthread_mutex_lock(&t->lock);
	uint32_t n = atomic_load_explicit(&t->used, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++) {
		struct iotlb_slot *s = &t->slot[i];

		if (atomic_load_explicit(&s->state, memory_order_relaxed) != SLOT_LIVE)
			continue;
		if (s->last < start || s->start > last)
			continue;
		atomic_store_explicit(&s->state, SLOT_DEAD, memory_order_release);
		vdn_vduse_logf(dev, VDN_VDUSE_LOG_DEBUG, "%s: retired IOVA [%#llx, %#llx]",
			       dev->name, (unsigned long long)s->start,
			       (unsigned long long)s->last);
	}
	pthread_mutex_unlock(&t->lock);
}

void vdn_vduse_iotlb_unmap_all(struct vdn_vduse_dev *dev)
{
	struct iotlb *t = &dev->iotlb;

	pthread_mutex_lock(&t->lock);
	uint32_t n = atomic_load_explicit(&t->used, memory_order_relaxed);
	/* hide the slots before unmapping so a (misbehaving) late reader
	 * misses instead of using a stale pointer */
	atomic_store_explicit(&t->used, 0, memory_order_release);
	for (uint32_t i = 0; i < n; i++) {
		struct iotlb_slot *s = &t->slot[i];

		atomic_store_explicit(&s->state, SLOT_FREE, memory_order_release);
		if (s->base)
			munmap(s->base, s->map_len);
		s->base = NULL;
		s->map_len = 0;
	}
	pthread_mutex_unlock(&t->lock);
}
