/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fuzzer's IOVA space: IOVA = offset into one malloc()ed block, cut into
 * fixed segments that each carry an access permission taken from the input.
 * Segments without permission are ASan-poisoned, so a ring that reads past
 * what xlate handed it is a finding, not a silent pass; writes the device
 * made to read-only segments are caught afterwards by fz_arena_ro_intact().
 */
#ifndef VDN_FZ_ARENA_H
#define VDN_FZ_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdn_vring.h"

#define FZ_ARENA_SIZE 16384u
#define FZ_SEG 256u
#define FZ_NSEG (FZ_ARENA_SIZE / FZ_SEG)
/* bytes of input that hold the segment permissions, 2 bits each */
#define FZ_PERM_BYTES (FZ_NSEG / 4)

struct fz_arena {
	uint8_t *mem;              /* FZ_ARENA_SIZE bytes, exactly (ASan bounds) */
	uint8_t *ref;              /* what the driver wrote, to spot device writes */
	uint8_t perm[FZ_NSEG];     /* VDN_ACCESS_* bits; 0 = not mapped */
	unsigned int split_from;   /* segments from here on are one mapping each */
};

/* perm_bytes: FZ_PERM_BYTES bytes, or NULL for all read/write.  Segments
 * from split_from on are separate mappings (FZ_NSEG: none are); neighbours
 * below it with equal permissions form one mapping.  image: the initial
 * contents (zero-padded).  Returns 0 or -ENOMEM. */
int fz_arena_init(struct fz_arena *a, const uint8_t *perm_bytes, unsigned int split_from,
		  const uint8_t *image, size_t image_len);
void fz_arena_fini(struct fz_arena *a);
void *fz_arena_xlate(void *ctx, uint64_t iova, uint64_t *len, int access);
/* The driver side writing its own memory (updates the reference copy too);
 * false if [off, off + len) is outside the arena. */
bool fz_arena_drv_write(struct fz_arena *a, uint64_t off, const void *p, size_t len);
/* Does [p, p + len) lie inside one mapping allowing `access`? */
bool fz_arena_covers(const struct fz_arena *a, const void *p, uint64_t len, int access);
/* Are all segments the device may not write unchanged since the driver
 * last wrote them? */
bool fz_arena_ro_intact(const struct fz_arena *a);

/* Abort with a message: a broken invariant is a finding for libFuzzer. */
#define FZ_ASSERT(cond)                                                                  \
	do {                                                                             \
		if (!(cond))                                                             \
			fz_fail(__FILE__, __LINE__, #cond);                              \
	} while (0)
void fz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
