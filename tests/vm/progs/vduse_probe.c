/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vduse_probe: ask the running kernel to create (then destroy) a VDUSE
 * virtio-net device with a given feature set, and say whether it accepted.
 * The VM smoke test uses it to prove what the stock module refuses (CTRL_VQ)
 * and what the test-only module accepts.  Talks to /dev/vduse/control with
 * raw ioctls on purpose: it tests the kernel, not our library.
 *
 *   vduse_probe NAME plain|cvq|cvq-mq|mq
 *   prints "result=ok" or "result=<ERRNO NAME>"; exit 0 either way once the
 *   kernel answered, 2 on usage or setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vduse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

static const char *errno_name(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case EEXIST: return "EEXIST";
	case EPERM: return "EPERM";
	case ENOMEM: return "ENOMEM";
	case ENOTTY: return "ENOTTY";
	default: return strerror(e);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s NAME plain|cvq|cvq-mq|mq\n", argv[0]);
		return 2;
	}
	uint64_t features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
			    (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
			    (1ULL << VIRTIO_NET_F_MTU);
	uint32_t vqs = 2, pairs = 1;
	const char *set = argv[2];

	if (!strcmp(set, "cvq")) {
		features |= 1ULL << VIRTIO_NET_F_CTRL_VQ;
		vqs = 3;
	} else if (!strcmp(set, "cvq-mq")) {
		features |= (1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_MQ);
		pairs = 2;
		vqs = 2 * pairs + 1;
	} else if (!strcmp(set, "mq")) {
		features |= 1ULL << VIRTIO_NET_F_MQ;
		pairs = 2;
		vqs = 2 * pairs;
	} else if (strcmp(set, "plain")) {
		fprintf(stderr, "unknown feature set '%s'\n", set);
		return 2;
	}

	struct virtio_net_config cfg = {
		.mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
		.status = VIRTIO_NET_S_LINK_UP,
		.max_virtqueue_pairs = pairs,
		.mtu = 1500,
	};
	size_t sz = sizeof(struct vduse_dev_config) + sizeof(cfg);
	struct vduse_dev_config *dc = calloc(1, sz);
	if (!dc)
		return 2;
	snprintf(dc->name, sizeof(dc->name), "%s", argv[1]);
	dc->device_id = VIRTIO_ID_NET;
	dc->vendor_id = 0;
	dc->features = features;
	dc->vq_num = vqs;
	dc->vq_align = 4096;
	dc->config_size = sizeof(cfg);
	memcpy(dc->config, &cfg, sizeof(cfg));

	int fd = open("/dev/vduse/control", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "cannot open /dev/vduse/control: %s (modprobe vduse?)\n",
			strerror(errno));
		return 2;
	}
	uint64_t api = 0;
	if (ioctl(fd, VDUSE_SET_API_VERSION, &api)) {
		fprintf(stderr, "VDUSE_SET_API_VERSION 0: %s\n", strerror(errno));
		return 2;
	}
	if (ioctl(fd, VDUSE_CREATE_DEV, dc)) {
		printf("result=%s\n", errno_name(errno));
	} else {
		printf("result=ok\n");
		if (ioctl(fd, VDUSE_DESTROY_DEV, dc->name))
			fprintf(stderr, "VDUSE_DESTROY_DEV: %s\n", strerror(errno));
	}
	free(dc);
	close(fd);
	return 0;
}
