/* SPDX-License-Identifier: BSD-3-Clause */
/* Packed ring internals (virtio 1.1+, 2.8): the AVAIL/USED flag bits against
 * the wrap counters, and positions that wrap at num (any size, not a power
 * of two). */
#ifndef VDN_VRING_PACKED_PRIVATE_H
#define VDN_VRING_PACKED_PRIVATE_H

#include "vdn_vq.h"
#include "vring_private.h"

#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)
#define PK_NO_ID UINT16_MAX

static inline struct vring_packed_desc *pk_ring(const struct vdn_vring_packed *vp)
{
	return vp->desc;
}

/* Available for the lap `wrap`: AVAIL equals it and USED does not (2.8.1). */
static inline bool pk_is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & PK_AVAIL) == wrap && !!(flags & PK_USED) != wrap;
}

/* Move a position forward by n <= num, flipping the wrap counter when it
 * passes the end of the ring. */
static inline void pk_advance(uint16_t *pos, bool *wrap, uint16_t n, uint16_t num)
{
	uint32_t p = (uint32_t)*pos + n;

	if (p >= num) {
		p -= num;
		*wrap = !*wrap;
	}
	*pos = (uint16_t)p;
}

static inline void pk_retreat(uint16_t *pos, bool *wrap, uint16_t n, uint16_t num)
{
	int32_t p = (int32_t)*pos - n;

	if (p < 0) {
		p += num;
		*wrap = !*wrap;
	}
	*pos = (uint16_t)p;
}

/* The journal word (vdn_vring_packed_recover): three ring positions, each
 * with its wrap counter in bit 15 (num <= 32768), and a tag that tells a
 * written word from zeroed memory.
 *   p0: the first staged entry (the published position)
 *   pk: where the last push writes its entry
 *   p1: after the last push (the used position, staged entries included) */
#define PK_JOURNAL_TAG 0x5aULL

static inline uint16_t pk_seq(uint16_t pos, bool wrap)
{
	return (uint16_t)(pos | (wrap ? 0x8000u : 0));
}

static inline uint64_t pk_journal_word(uint16_t p0, uint16_t pk, uint16_t p1)
{
	return (uint64_t)p0 | (uint64_t)pk << 16 | (uint64_t)p1 << 32 | PK_JOURNAL_TAG << 56;
}

#endif
