/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state file /run/vdnet/NAME.state: what a vdnet started after a crash
 * needs to take the device over (see vdn_net_attach) and to check that it
 * is the device the command line describes.  Text, one "key value" a line,
 * a version on the first line and "end" on the last, so a file cut short
 * is told from a complete one.  Written to a temporary name and renamed
 * over the old one, so a reader sees the old file or the new, never a mix.
 * Plain C (no DPDK): the unit tests link it alone.
 */
#ifndef VDNET_STATE_H
#define VDNET_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VDNET_STATE_VERSION 1
#define VDNET_STATE_DIR "/run/vdnet"
/* largest file accepted: a valid one is well under 1 KiB */
#define VDNET_STATE_MAX 4096

struct vdnet_state {
	char name[32];
	/* the --device keys that decide what the kernel device is, in their
	 * command-line spelling (e.g. "queues=1,packed=off,bus=virtio"): a
	 * restart must ask for the same device */
	char spec[256];
	/* the device model's state (struct vdn_net_saved) */
	uint64_t features_offered, features_driver;
	uint8_t status;
	uint16_t max_qp, active_qp, vq_size;
	bool cvq;
	uint8_t mac[6];
	uint16_t mtu;
	bool link_up;
};

/* Render `s` into buf (NUL-terminated).  Returns the length, or -ENOSPC. */
int vdnet_state_format(const struct vdnet_state *s, char *buf, size_t len);

/*
 * Parse a state file's text.  Errors, each with one line in `err`:
 * -EPROTO not a state file or another version, -ENODATA cut short (no
 * "end"), -EINVAL a bad, unknown, repeated or missing key or value.
 */
int vdnet_state_parse(const char *text, struct vdnet_state *s, char *err, size_t errlen);

/* DIR/NAME.state, atomically (temporary file + rename).  -errno. */
int vdnet_state_write(const char *dir, const struct vdnet_state *s);

/* Read and parse DIR/NAME.state.  -ENOENT none; -EFBIG larger than
 * VDNET_STATE_MAX; the parse errors; other -errno from reading. */
int vdnet_state_read(const char *dir, const char *name, struct vdnet_state *s, char *err,
		     size_t errlen);

/* Remove DIR/NAME.state; 0 if there was none. */
int vdnet_state_remove(const char *dir, const char *name);

#endif
