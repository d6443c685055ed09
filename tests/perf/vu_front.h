/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal vhost-user frontend (the driver's side of the protocol, QEMU's
 * part), for the benchmark only: it hands a vhost-user backend (DPDK's
 * net_vhost) one memory region and the rings of one queue pair, so that our
 * driver harness (bench_driver) can drive DPDK's vhost library the way
 * dev_bench drives our device model.  Blocking, one connection, no protocol
 * features (the rings start enabled on SET_VRING_KICK), no IOMMU, no
 * logging, no replies but GET_FEATURES'.
 */
#ifndef VDN_VU_FRONT_H
#define VDN_VU_FRONT_H

#include <stdbool.h>
#include <stdint.h>

struct vu_front {
	int sock;
};

/* One vring as the backend sees it: addresses are the frontend's virtual
 * addresses (no IOMMU), desc/driver/device areas (avail/used for split,
 * the two event areas for packed). */
struct vu_front_vring {
	uint16_t num;
	bool packed;
	const void *desc, *driver, *device;
	int kick, call; /* eventfds, kept by the caller */
};

/* Connect to a backend listening on the unix socket path.
 * Errors: -ENAMETOOLONG, or what socket()/connect() fail with. */
int vu_front_connect(struct vu_front *f, const char *path);
/* Close the connection (the backend then tears the device down). */
void vu_front_close(struct vu_front *f);
/* GET_FEATURES: the virtio (and vhost-user) features the backend offers.
 * Errors: -EPROTO on a malformed reply, -ECONNRESET, or I/O errors. */
int vu_front_get_features(struct vu_front *f, uint64_t *features);
/* SET_OWNER. Errors: I/O errors. */
int vu_front_set_owner(struct vu_front *f);
/* SET_FEATURES. Errors: I/O errors. */
int vu_front_set_features(struct vu_front *f, uint64_t features);
/* SET_MEM_TABLE with one region: the whole of fd (size bytes, mapped
 * MAP_SHARED at addr in this process) at guest physical address 0, so
 * that descriptor addresses are offsets into fd.  Errors: I/O errors. */
int vu_front_set_mem(struct vu_front *f, int fd, uint64_t size, const void *addr);
/* SET_VRING_NUM, _BASE (index 0, wrap counters set), _ADDR, _CALL and
 * _KICK for vring index (0: the driver's RX queue, 1: its TX queue).
 * Errors: -EINVAL (index or num out of range), I/O errors. */
int vu_front_vring(struct vu_front *f, unsigned int index, const struct vu_front_vring *v);

#endif
