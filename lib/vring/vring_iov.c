/* SPDX-License-Identifier: BSD-3-Clause */
/* Copies between flat buffers and a chain's segments, e.g. for headers that
 * a driver may split across descriptors at any byte. */
#include <string.h>

#include "vdn_vring.h"

size_t vdn_iov_to_buf(const struct vdn_iov *iov, unsigned int n, size_t off, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t chunk;

		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		chunk = iov[i].len - off;
		if (chunk > len - done)
			chunk = len - done;
		memcpy((char *)buf + done, (const char *)iov[i].base + off, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

size_t vdn_iov_from_buf(const struct vdn_iov *iov, unsigned int n, size_t off, const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t chunk;

		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		chunk = iov[i].len - off;
		if (chunk > len - done)
			chunk = len - done;
		memcpy((char *)iov[i].base + off, (const char *)buf + done, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}
