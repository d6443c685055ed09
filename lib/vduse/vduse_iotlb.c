/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOTLB: mmap the regions VDUSE hands out (VDUSE_IOTLB_GET_FD) and translate
 * IOVAs for datapath threads; the table itself is vduse_iotab.c.
 *
 * Why no lock for readers: xlate runs per descriptor on every datapath
 * thread, so readers must not write shared cache lines (a rwlock's reader
 * count would bounce between cores) and must never block behind the control
 * thread.  Changes happen under the table lock, which only the control
 * thread and the rare miss take.
 *
 * Why unmapping waits for the model: an invalidation retires a region at
 * once (new lookups miss), but a datapath thread may be in the middle of a
 * burst with a pointer it translated before.  Only the device model knows
 * its threads, so it tells us when every one of them has passed a burst
 * boundary since the retire (ops.iotlb_quiesce, bounded).  Until then the
 * memory stays mapped; without that hook it stays mapped until reset.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vduse_internal.h"

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
	struct vduse_iotlb_entry e = { .start = start, .last = last };

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
	struct iotlb_slot *s = vdn_vduse_iotab_add(t, e.start, e.last, e.perm, p, len, err);
	if (!s) {
		munmap(p, len);
		vdn_vduse_logf(dev, VDN_VDUSE_LOG_ERR, "%s: IOTLB table: %s (%u regions mapped)",
			       dev->name, strerror(-*err), t->live + t->dead);
		return NULL;
	}
	vdn_vduse_logf(dev, VDN_VDUSE_LOG_DEBUG, "%s: mapped IOVA [%#llx, %#llx] perm %u",
		       dev->name, (unsigned long long)e.start, (unsigned long long)e.last, e.perm);
	return s;
}

/* Lookup-or-map under the lock; another thread may have mapped it first. */
static struct iotlb_slot *miss(struct vdn_vduse_dev *dev, uint64_t iova, int *err)
{
	struct iotlb *t = &dev->iotlb;

	pthread_mutex_lock(&t->lock);
	struct iotlb_slot *s = vdn_vduse_iotab_find(t, iova);
	if (!s)
		s = map_region(dev, iova, iova, err);
	pthread_mutex_unlock(&t->lock);
	return s;
}

void *vdn_vduse_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	struct vdn_vduse_dev *dev = ctx;
	struct iotlb_slot *s = vdn_vduse_iotab_find(&dev->iotlb, iova);
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
		struct iotlb_slot *s = vdn_vduse_iotab_find(t, cur);

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

static void unmap_region(void *base, size_t len)
{
	munmap(base, len);
}

/*
 * Only the control thread retires, and this runs on it: every slot DEAD
 * when quiesce starts was retired before it, so a quiescent point reached
 * after the fence covers all of them.  The lock is dropped meanwhile: a
 * datapath thread may need it for a miss inside the very burst we wait for.
 */
void vdn_vduse_iotlb_reclaim(struct vdn_vduse_dev *dev)
{
	struct iotlb *t = &dev->iotlb;

	pthread_mutex_lock(&t->lock);
	uint32_t dead = t->dead;
	pthread_mutex_unlock(&t->lock);
	if (!dead || !dev->ops.iotlb_quiesce)
		return;
	/* Pairs with the datapath's seq_cst "busy" store before its lookups:
	 * either it sees the DEAD states, or we see it busy and wait. */
	atomic_thread_fence(memory_order_seq_cst);
	int rc = dev->ops.iotlb_quiesce(dev->opaque);
	if (rc) {
		vdn_vduse_logf(dev, VDN_VDUSE_LOG_WARNING,
			       "%s: datapath not quiescent (%s): %u retired region(s) stay mapped "
			       "for now", dev->name, strerror(-rc), dead);
		return;
	}
	pthread_mutex_lock(&t->lock);
	uint32_t n = vdn_vduse_iotab_reap(t, unmap_region);
	uint32_t live = t->live;
	pthread_mutex_unlock(&t->lock);
	vdn_vduse_logf(dev, VDN_VDUSE_LOG_DEBUG, "%s: unmapped %u retired region(s), %u live",
		       dev->name, n, live);
}

void vdn_vduse_iotlb_invalidate(struct vdn_vduse_dev *dev, uint64_t start, uint64_t last)
{
	struct iotlb *t = &dev->iotlb;

	pthread_mutex_lock(&t->lock);
	uint32_t n = vdn_vduse_iotab_retire(t, start, last);
	pthread_mutex_unlock(&t->lock);
	vdn_vduse_logf(dev, VDN_VDUSE_LOG_DEBUG, "%s: invalidate IOVA [%#llx, %#llx]: %u region(s)",
		       dev->name, (unsigned long long)start, (unsigned long long)last, n);
	vdn_vduse_iotlb_reclaim(dev);
}

void vdn_vduse_iotlb_unmap_all(struct vdn_vduse_dev *dev)
{
	struct iotlb *t = &dev->iotlb;

	pthread_mutex_lock(&t->lock);
	vdn_vduse_iotab_clear(t, unmap_region);
	pthread_mutex_unlock(&t->lock);
}

int vdn_vduse_iotlb_stats(struct vdn_vduse_dev *dev, uint32_t *live, uint32_t *retired)
{
	struct iotlb *t = &dev->iotlb;

	if (!live || !retired)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	*live = t->live;
	*retired = t->dead;
	pthread_mutex_unlock(&t->lock);
	return 0;
}
