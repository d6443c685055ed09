/* SPDX-License-Identifier: BSD-3-Clause */
/* The fuzzers' IOVA space (fz_arena.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "fz_arena.h"

#define RW (VDN_ACCESS_READ | VDN_ACCESS_WRITE)

void fz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

int fz_arena_init(struct fz_arena *a, const uint8_t *perm_bytes, unsigned int split_from,
		  const uint8_t *image, size_t image_len)
{
	memset(a, 0, sizeof(*a));
	a->mem = calloc(1, FZ_ARENA_SIZE);
	a->ref = calloc(1, FZ_ARENA_SIZE);
	if (!a->mem || !a->ref) {
		fz_arena_fini(a);
		return -ENOMEM;
	}
	if (image_len > FZ_ARENA_SIZE)
		image_len = FZ_ARENA_SIZE;
	if (image_len) {
		memcpy(a->mem, image, image_len);
		memcpy(a->ref, image, image_len);
	}
	a->split_from = split_from;
	for (unsigned int s = 0; s < FZ_NSEG; s++) {
		a->perm[s] = perm_bytes ? (perm_bytes[s / 4] >> (2 * (s % 4))) & RW : RW;
		if (!a->perm[s])
			ASAN_POISON_MEMORY_REGION(a->mem + s * FZ_SEG, FZ_SEG);
	}
	return 0;
}

void fz_arena_fini(struct fz_arena *a)
{
	if (a->mem)
		ASAN_UNPOISON_MEMORY_REGION(a->mem, FZ_ARENA_SIZE);
	free(a->mem);
	free(a->ref);
	a->mem = a->ref = NULL;
}

static bool same_mapping(const struct fz_arena *a, unsigned int s, unsigned int t, int access)
{
	return t < a->split_from && t < FZ_NSEG && a->perm[t] == a->perm[s] &&
	       (a->perm[t] & access) == access;
}

void *fz_arena_xlate(void *ctx, uint64_t iova, uint64_t *len, int access)
{
	struct fz_arena *a = ctx;
	unsigned int s, end;
	uint64_t room;

	if (iova >= FZ_ARENA_SIZE)
		return NULL;
	s = (unsigned int)(iova / FZ_SEG);
	if (!a->perm[s] || (a->perm[s] & access) != access)
		return NULL;
	for (end = s + 1; same_mapping(a, s, end, access); end++)
		;
	room = (uint64_t)end * FZ_SEG - iova;
	if (*len > room)
		*len = room;
	return a->mem + iova;
}

bool fz_arena_drv_write(struct fz_arena *a, uint64_t off, const void *p, size_t len)
{
	if (off > FZ_ARENA_SIZE || len > FZ_ARENA_SIZE - off)
		return false;
	/* the driver owns all of its memory, mapped for the device or not */
	for (size_t i = 0; i < len; i++) {
		unsigned int s = (unsigned int)((off + i) / FZ_SEG);

		if (!a->perm[s])
			continue;
		a->mem[off + i] = ((const uint8_t *)p)[i];
		a->ref[off + i] = ((const uint8_t *)p)[i];
	}
	return true;
}

bool fz_arena_covers(const struct fz_arena *a, const void *p, uint64_t len, int access)
{
	const uint8_t *b = p;
	uint64_t off;
	unsigned int s;

	if (b < a->mem || len == 0)
		return false;
	off = (uint64_t)(b - a->mem);
	if (off >= FZ_ARENA_SIZE || len > FZ_ARENA_SIZE - off)
		return false;
	s = (unsigned int)(off / FZ_SEG);
	if ((a->perm[s] & access) != access || !a->perm[s])
		return false;
	for (unsigned int t = s + 1; t <= (off + len - 1) / FZ_SEG; t++)
		if (!same_mapping(a, s, t, access))
			return false;
	return true;
}

bool fz_arena_ro_intact(const struct fz_arena *a)
{
	for (unsigned int s = 0; s < FZ_NSEG; s++)
		if (a->perm[s] && !(a->perm[s] & VDN_ACCESS_WRITE) &&
		    memcmp(a->mem + s * FZ_SEG, a->ref + s * FZ_SEG, FZ_SEG))
			return false;
	return true;
}
