/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vring: the device side of a virtio split virtqueue (virtio 1.x, 2.7).
 *
 * Pure C: no DPDK, no syscalls, no allocation.  The driver's ring memory is
 * reached only through an address translation callback, so the same code
 * runs on VDUSE IOTLB mappings and, in unit tests, on plain memory.
 * Everything a driver writes is untrusted: a malformed chain is rejected,
 * counted by reason, and returned to the driver as used with length 0 so the
 * queue keeps moving; the ring never reads outside what translate() returns.
 *
 * Packed rings (2.8) sit beside this behind the same chain/iov types; see
 * vdn_vq.h for them and for struct vdn_vq, the front over both layouts.
 */
#ifndef VDN_VRING_H
#define VDN_VRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Access a device needs to a buffer: it reads driver->device ("out")
 * buffers and writes device->driver ("in") buffers. */
#define VDN_ACCESS_READ 1
#define VDN_ACCESS_WRITE 2

/*
 * Translate [iova, iova + *len) to a host pointer the device may access with
 * `access`.  Returns NULL if the start is not mapped (or lacks the access).
 * May shorten *len to the contiguous part; the ring then asks again for the
 * rest, so a descriptor may span several mappings.
 */
typedef void *(*vdn_vring_xlate_fn)(void *ctx, uint64_t iova, uint64_t *len, int access);

/* Most segments one chain may translate to; longer chains are rejected. */
#define VDN_VRING_MAX_IOV 64

/* Avail entries a split ring reads ahead per pass (struct vdn_vring). */
#define VDN_VRING_AVAIL_CACHE 32

struct vdn_iov {
	void *base;
	uint32_t len;
};

/* One popped descriptor chain: out (device-readable) segments first, then in. */
struct vdn_chain {
	uint16_t head;     /* id to hand back to push(): split head, packed buffer id */
	uint16_t n_out;    /* iov[0 .. n_out) readable */
	uint16_t n_in;     /* iov[n_out .. n_out + n_in) writable */
	uint32_t out_len;  /* total bytes readable */
	uint32_t in_len;   /* total bytes writable */
	uint8_t why;       /* pop() returned -EBADMSG: the enum vdn_vring_err */
	struct vdn_iov iov[VDN_VRING_MAX_IOV];
};

/* Why a chain was rejected (index into vdn_vring_stats.bad[]). */
enum vdn_vring_err {
	VDN_VRING_E_HEAD_RANGE,   /* head index >= queue size (packed: buffer id
	                           * >= queue size, or already in flight) */
	VDN_VRING_E_NEXT_RANGE,   /* next index >= queue size (packed: NEXT into
	                           * a descriptor the driver has not made available) */
	VDN_VRING_E_LOOP,         /* chain longer than the queue (a loop) */
	VDN_VRING_E_XLATE,        /* address not mapped / no access */
	VDN_VRING_E_ZERO_LEN,     /* zero-length descriptor */
	VDN_VRING_E_ORDER,        /* readable descriptor after a writable one */
	VDN_VRING_E_INDIRECT,     /* bad indirect table: size, nesting, not negotiated */
	VDN_VRING_E_TOO_MANY_IOV, /* more segments than VDN_VRING_MAX_IOV */
	VDN_VRING_E_AVAIL_IDX,    /* avail idx moved more than the queue size */
	VDN_VRING_E_LEN,          /* chain's total in or out length > UINT32_MAX */
	VDN_VRING_E__COUNT
};

struct vdn_vring_stats {
	uint64_t popped;             /* good chains handed out */
	uint64_t bad[VDN_VRING_E__COUNT];
	uint64_t notifies;           /* times need_notify() said yes */
};

/*
 * What the driver programmed, as VDUSE's VQ_GET_INFO reports it.  For a
 * packed ring (packed = true, VIRTIO_F_RING_PACKED negotiated) the three
 * areas are: desc_iova = descriptor ring, avail_iova = driver event
 * suppression, used_iova = device event suppression; the resume point is
 * last_avail_idx + avail_wrap and last_used_idx + used_wrap (VDUSE's
 * vduse_vq_state_packed).  Both wrap counters are 1 (true) on a fresh
 * queue.  VIRTIO_F_IN_ORDER is not required by either layout; with it
 * (in_order) the ring completes chains in pop order itself.
 */
struct vdn_vring_cfg {
	uint16_t num;            /* queue size: split a power of two, packed any;
	                          * <= 32768 */
	uint64_t desc_iova;      /* descriptor table / ring */
	uint64_t avail_iova;     /* driver area */
	uint64_t used_iova;      /* device area */
	bool event_idx;          /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;           /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint16_t last_avail_idx; /* where to resume (0 on a fresh queue) */
	vdn_vring_xlate_fn xlate;
	void *xlate_ctx;
	bool packed;             /* packed layout; only vdn_vq_init() takes it */
	bool avail_wrap;         /* packed: driver ring wrap counter at last_avail_idx */
	uint16_t last_used_idx;  /* packed: next used position (0 on a fresh queue) */
	bool used_wrap;          /* packed: device ring wrap counter at last_used_idx */
	/* packed, optional: a word the ring keeps its progress in, in memory
	 * that outlives the process (a shared file mapping), so that the next
	 * process can resume exactly (vdn_vring_packed_recover) */
	uint64_t *journal;
	/* VIRTIO_F_IN_ORDER negotiated: used entries go out in the order the
	 * chains were popped, whatever order the caller pushes them in (a
	 * push is held until every chain popped before it is pushed; a
	 * rejected chain waits its turn too).  At most VDN_VRING_ORDER_MAX
	 * chains may be in flight: pop then reports an empty ring. */
	bool in_order;
	/* With in_order: a run of zero-length completions staged in one
	 * flush is written as ONE used entry carrying the run's last id
	 * (split: used idx still moves by the run's length; packed: the
	 * ring position skips the run's descriptors), as 2.7.9 / 2.8.20
	 * allow.  Only for queues whose driver ignores used lengths (a
	 * virtio-net TX queue): a skipped entry's length is never written.
	 * Ignored on a packed ring given a journal. */
	bool in_order_batch;
};

/* Most chains an in-order ring keeps in flight (popped, not yet used). */
#define VDN_VRING_ORDER_MAX 256

/* The pop order of chains in flight on an in-order ring; private. */
struct vdn_vring_order {
	bool on;
	bool batch;
	bool run;                 /* the last entry written this flush is a
	                           * zero-length one a later one may replace */
	uint16_t run_pos;         /* where it is (split: used idx; packed: slot) */
	uint16_t first;           /* slot of the oldest chain in flight */
	uint16_t n;               /* chains in flight */
	uint16_t id[VDN_VRING_ORDER_MAX];
	uint32_t len[VDN_VRING_ORDER_MAX];
	bool done[VDN_VRING_ORDER_MAX];
};

/* The ring state.  Callers allocate it (no allocation inside); fields are
 * private to lib/vring. */
struct vdn_vring {
	uint16_t num;
	uint16_t mask;
	uint16_t last_avail_idx;  /* next avail entry to consume */
	uint16_t shadow_used_idx; /* used idx incl. entries not yet published */
	uint16_t used_idx;        /* used idx last published by flush */
	uint16_t avail_idx;       /* avail idx last read (and checked) */
	uint16_t signalled_used;  /* used idx at the last notification decision */
	uint16_t skipped;         /* avail entries consumed with no used entry
	                           * (head out of range), so never in flight */
	bool signalled_valid;
	bool event_idx;
	bool indirect;
	bool notify_enabled;
	bool broken;              /* avail idx was corrupt: nothing more is read
	                           * until the next vdn_vring_init() */
	void *desc;               /* struct vring_desc[num] */
	void *avail;              /* struct vring_avail + ring[num] + used_event */
	void *used;               /* struct vring_used + ring[num] + avail_event */
	vdn_vring_xlate_fn xlate;
	void *xlate_ctx;
	struct vdn_vring_stats stats;
	struct vdn_vring_order order;
	/* Heads of avail entries [ac_pos, ac_pos + ac_n), read in one pass:
	 * the driver keeps writing the line they share, so reading them one
	 * pop at a time would miss on it again and again.  Entries between
	 * last_avail_idx and the avail idx read are the device's to read and
	 * stay as they are until used, so the copy stays right across unpop. */
	uint16_t ac_pos;
	uint16_t ac_n;
	uint16_t ac_head[VDN_VRING_AVAIL_CACHE];
};

/*
 * Set up a ring from the addresses the driver programmed.  The three ring
 * areas must translate as whole contiguous blocks (used_event/avail_event
 * included only with EVENT_IDX).  The used index resumes at last_avail_idx
 * (a stopped queue has completed everything it popped), and kicks start
 * enabled: used->flags or avail_event is written accordingly.
 * Returns 0, -EINVAL on a bad size, a NULL xlate, cfg->packed, or an area not
 * aligned as 2.7 requires (desc 16, avail 2, used 4), -EFAULT if an area does not
 * translate (or translates to a host pointer too misaligned to access).
 */
int vdn_vring_init(struct vdn_vring *vr, const struct vdn_vring_cfg *cfg);

/*
 * Translate the three ring areas again (cfg's addresses and xlate; num
 * must be the ring's), keeping positions, in-flight chains, notification
 * state and counters: for when the IOVA-to-memory translation changed
 * under a stopped ring (IOTLB update) while the driver kept the queue.
 * Returns 0; -EINVAL num differs, packed, NULL xlate, or misaligned;
 * -EFAULT an area does not translate (the ring is left unchanged).
 */
int vdn_vring_remap(struct vdn_vring *vr, const struct vdn_vring_cfg *cfg);

/*
 * Number of chains the driver has made available and we have not popped.
 * Returns -EIO if avail idx claims more than num chains outstanding: not
 * yet popped, popped but not yet pushed, or given back by unpop, together
 * (a driver cannot have more with num distinct heads).  The ring is then
 * broken for good: VDN_VRING_E_AVAIL_IDX is counted once, and this and
 * vdn_vring_pop() return -EIO without reading the ring again until the
 * next vdn_vring_init() (the driver resetting the device).  Chains popped
 * before may still be pushed and flushed.
 */
int vdn_vring_avail_count(struct vdn_vring *vr);

/*
 * Pop the next available chain into *c.
 * Returns 1 with *c filled, 0 if the ring is empty, or -EBADMSG if the chain
 * was malformed: it has already been counted and pushed as used with length 0
 * (published on the next vdn_vring_flush()), so the caller just goes on;
 * c->why says why (the counter that was bumped).
 * A head index >= num is the one exception: there is no valid id to hand
 * back, so the avail entry is consumed and counted but nothing is pushed.
 * An INDIRECT descriptor must end the chain (no NEXT); direct descriptors
 * may precede it.
 * -EIO: avail idx is corrupt (see vdn_vring_avail_count()): the ring is
 * broken until re-initialised; nothing more is consumed, and the caller
 * should have the driver reset the device.
 * In order (cfg->in_order): also 0 while VDN_VRING_ORDER_MAX chains are in
 * flight, and a rejected chain's used entry waits for the chains before it.
 */
int vdn_vring_pop(struct vdn_vring *vr, struct vdn_chain *c);

/* Has the ring seen a corrupt avail idx since vdn_vring_init()? */
static inline bool vdn_vring_broken(const struct vdn_vring *vr)
{
	return vr->broken;
}

/*
 * Give back the last n chains popped, unused and not pushed, so the next
 * pops return them again (e.g. a packet that does not fit yet).  n must not
 * reach back past a chain pop() rejected: that one was already pushed.
 */
void vdn_vring_unpop(struct vdn_vring *vr, uint16_t n);

/* Hand a chain back as used, `len` bytes written into its in-buffers.
 * Staged: the driver sees it after vdn_vring_flush().  In order: held
 * until every chain popped before it is pushed too; a head not in flight
 * is ignored. */
void vdn_vring_push(struct vdn_vring *vr, uint16_t head, uint32_t len);

/* Publish staged used entries (one index store, after a write barrier). */
void vdn_vring_flush(struct vdn_vring *vr);

/*
 * After a flush: does the driver want an interrupt?  Honours
 * VRING_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX.  Says no if
 * nothing was published since the previous decision; the first decision
 * after init says yes whenever the driver allows it (with EVENT_IDX: always),
 * since we cannot know what the driver last saw.
 */
bool vdn_vring_need_notify(struct vdn_vring *vr);

/*
 * Ask the driver for kicks (enable) or not.  With EVENT_IDX this writes
 * avail_event; otherwise VRING_USED_F_NO_NOTIFY.  After enabling, callers
 * must re-check vdn_vring_avail_count() to close the race with the driver.
 */
void vdn_vring_set_notify(struct vdn_vring *vr, bool enable);

/* Next avail index to process: what VDUSE GET_VQ_STATE reports. */
uint16_t vdn_vring_last_avail(const struct vdn_vring *vr);

/* Copy helpers over an iov array: used by device models for headers. */
size_t vdn_iov_to_buf(const struct vdn_iov *iov, unsigned int n, size_t off, void *buf, size_t len);
size_t vdn_iov_from_buf(const struct vdn_iov *iov, unsigned int n, size_t off, const void *buf, size_t len);

/* Short stable name of a reject reason ("loop", "xlate", ...); "unknown"
 * out of range. */
const char *vdn_vring_err_str(enum vdn_vring_err e);

#endif
