/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device lifetime: create (/dev/vduse/control), attach, destroy, accessors.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vduse_internal.h"

#define CONTROL_PATH "/dev/vduse/control"

void vdn_vduse_logf(const struct vdn_vduse_dev *dev, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!dev->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dev->log(dev->opaque, level, msg);
}

/* Copies an options struct of any (older or newer) size the caller built. */
static int read_opts(const struct vdn_vduse_opts *in, struct vdn_vduse_opts *o)
{
	if (!in || in->sz < offsetof(struct vdn_vduse_opts, log) + sizeof(in->log))
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	memcpy(o, in, in->sz < sizeof(*o) ? in->sz : sizeof(*o));
	if (!o->name || !o->name[0] || strlen(o->name) >= VDUSE_NAME_MAX ||
	    strchr(o->name, '/') || !strcmp(o->name, ".") || !strcmp(o->name, ".."))
		return -EINVAL;
	if (!o->num_vqs || o->num_vqs > 0xffff || !o->max_vq_size)
		return -EINVAL;
	if (o->config_size && !o->config)
		return -EINVAL;
	return 0;
}

static int dev_alloc(const struct vdn_vduse_opts *o, struct vdn_vduse_dev **out)
{
	struct vdn_vduse_dev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return -ENOMEM;
	dev->vqs = calloc(o->num_vqs, sizeof(*dev->vqs));
	if (!dev->vqs) {
		free(dev);
		return -ENOMEM;
	}
	int ret = vdn_vduse_iotab_init(&dev->iotlb);
	if (ret) {
		free(dev->vqs);
		free(dev);
		return ret;
	}
	for (uint32_t i = 0; i < o->num_vqs; i++)
		dev->vqs[i].kickfd = -1;
	snprintf(dev->name, sizeof(dev->name), "%s", o->name);
	dev->fd = -1;
	dev->num_vqs = o->num_vqs;
	if (o->ops)
		dev->ops = *o->ops;
	dev->opaque = o->opaque;
	dev->log = o->log;
	*out = dev;
	return 0;
}

static void dev_free(struct vdn_vduse_dev *dev)
{
	vdn_vduse_vq_close_kickfds(dev);
	vdn_vduse_iotlb_unmap_all(dev);
	if (dev->fd >= 0)
		close(dev->fd);
	vdn_vduse_iotab_fini(&dev->iotlb);
	free(dev->vqs);
	free(dev);
}

static int open_control(void)
{
	int fd = open(CONTROL_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* Version 0 is what 6.12 speaks; newer kernels still accept it and
	 * then send no v1-only messages. */
	uint64_t api = 0;
	if (ioctl(fd, VDUSE_SET_API_VERSION, &api)) {
		int ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int vdn_vduse_destroy_name(const char *name)
{
	char buf[VDUSE_NAME_MAX] = { 0 };
	int fd = open_control();

	if (fd < 0)
		return fd;
	snprintf(buf, sizeof(buf), "%s", name);
	int ret = ioctl(fd, VDUSE_DESTROY_DEV, buf) ? -errno : 0;
	close(fd);
	/* the kernel says EINVAL for an unknown name */
	return ret == -EINVAL ? -ENODEV : ret;
}

/*
 * Opens /dev/vduse/NAME.  devtmpfs creates the node synchronously, but
 * allow a short grace in case a helper (udev, mdev) is slower.
 */
static int open_dev_node(struct vdn_vduse_dev *dev, int tries)
{
	char path[sizeof("/dev/vduse/") + VDUSE_NAME_MAX];

	snprintf(path, sizeof(path), "/dev/vduse/%s", dev->name);
	for (int i = 0;; i++) {
		dev->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (dev->fd >= 0)
			return 0;
		if (errno != ENOENT || i + 1 >= tries)
			return errno == ENOENT ? -ENODEV : -errno;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
}

/* Every queue needs a max size before `vdpa dev add` accepts the device. */
static int setup_vqs(struct vdn_vduse_dev *dev, uint16_t max_size)
{
	for (uint32_t i = 0; i < dev->num_vqs; i++) {
		struct vduse_vq_config vc = { .index = i, .max_size = max_size };

		if (ioctl(dev->fd, VDUSE_VQ_SETUP, &vc)) {
			int ret = -errno;
			vdn_vduse_logf(dev, VDN_VDUSE_LOG_ERR, "%s: VQ_SETUP %u: %s", dev->name,
				       i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int create_dev(const struct vdn_vduse_opts *o)
{
	struct vduse_dev_config *dc = calloc(1, sizeof(*dc) + o->config_size);

	if (!dc)
		return -ENOMEM;
	snprintf(dc->name, sizeof(dc->name), "%s", o->name);
	dc->vendor_id = o->vendor_id;
	dc->device_id = o->device_id;
	dc->features = o->features;
	dc->vq_num = o->num_vqs;
	long page = sysconf(_SC_PAGESIZE);
	dc->vq_align = page > 0 ? (uint32_t)page : 4096;
	dc->config_size = o->config_size;
	if (o->config_size)
		memcpy(dc->config, o->config, o->config_size);

	int ret = open_control();
	if (ret >= 0) {
		int cfd = ret;
		ret = ioctl(cfd, VDUSE_CREATE_DEV, dc) ? -errno : 0;
		close(cfd);
	}
	free(dc);
	return ret;
}

int vdn_vduse_create(const struct vdn_vduse_opts *opts, struct vdn_vduse_dev **out)
{
	struct vdn_vduse_opts o;
	struct vdn_vduse_dev *dev;
	int ret = read_opts(opts, &o);

	if (ret || !out)
		return ret ? ret : -EINVAL;
	ret = dev_alloc(&o, &dev);
	if (ret)
		return ret;
	ret = create_dev(&o);
	if (ret) {
		/* debug only: the caller turns the errno into advice (and an
		 * EINVAL may just mean "retry without CTRL_VQ") */
		vdn_vduse_logf(dev, VDN_VDUSE_LOG_DEBUG, "%s: VDUSE_CREATE_DEV: %s", dev->name,
			       strerror(-ret));
		dev_free(dev);
		return ret;
	}
	ret = open_dev_node(dev, 50);
	if (!ret)
		ret = setup_vqs(dev, o.max_vq_size);
	if (ret) {
		if (dev->fd >= 0) {
			close(dev->fd);
			dev->fd = -1;
		}
		vdn_vduse_destroy_name(dev->name);
		dev_free(dev);
		return ret;
	}
	vdn_vduse_logf(dev, VDN_VDUSE_LOG_INFO, "%s: created, %u vqs", dev->name, dev->num_vqs);
	*out = dev;
	return 0;
}

int vdn_vduse_attach(const struct vdn_vduse_opts *opts, struct vdn_vduse_dev **out)
{
	struct vdn_vduse_opts o;
	struct vdn_vduse_dev *dev;
	int ret = read_opts(opts, &o);

	if (ret || !out)
		return ret ? ret : -EINVAL;
	if (access(CONTROL_PATH, F_OK))
		return -ENOENT;
	ret = dev_alloc(&o, &dev);
	if (ret)
		return ret;
	ret = open_dev_node(dev, 1);
	/* A request that timed out while nobody listened broke the device for
	 * good: the kernel fails every later one, so serving it is pointless. */
	if (!ret) {
		struct pollfd p = { .fd = dev->fd, .events = POLLIN };

		if (poll(&p, 1, 0) > 0 && (p.revents & POLLERR))
			ret = -EIO;
	}
	/* Re-announcing the queue sizes is harmless and lets a process that
	 * died between create and VQ_SETUP finish the job. */
	if (!ret)
		ret = setup_vqs(dev, o.max_vq_size);
	if (ret) {
		dev_free(dev);
		return ret;
	}
	/* The kernel keeps what the driver acked across our restart; the
	 * status it does not report, so the caller says what it saved. */
	uint64_t f = 0;
	if (!ioctl(dev->fd, VDUSE_DEV_GET_FEATURES, &f))
		atomic_store(&dev->driver_features, f);
	atomic_store(&dev->status, o.attach_status);
	vdn_vduse_logf(dev, VDN_VDUSE_LOG_INFO, "%s: attached", dev->name);
	*out = dev;
	return 0;
}

int vdn_vduse_wrap_fd(const struct vdn_vduse_opts *opts, int fd, struct vdn_vduse_dev **out)
{
	struct vdn_vduse_opts o;
	struct vdn_vduse_dev *dev;
	int ret = read_opts(opts, &o);

	if (ret || !out || fd < 0)
		return ret ? ret : -EINVAL;
	ret = dev_alloc(&o, &dev);
	if (ret)
		return ret;
	dev->fd = fd;
	*out = dev;
	return 0;
}

int vdn_vduse_destroy(struct vdn_vduse_dev *dev, bool keep)
{
	if (!dev)
		return -EINVAL;
	char name[VDUSE_NAME_MAX];

	snprintf(name, sizeof(name), "%s", dev->name);
	/* The kernel refuses to destroy a device whose char dev is open. */
	dev_free(dev);
	return keep ? 0 : vdn_vduse_destroy_name(name);
}

int vdn_vduse_fd(const struct vdn_vduse_dev *dev)
{
	return dev->fd;
}

uint64_t vdn_vduse_driver_features(const struct vdn_vduse_dev *dev)
{
	return atomic_load_explicit(&dev->driver_features, memory_order_relaxed);
}

uint8_t vdn_vduse_status(const struct vdn_vduse_dev *dev)
{
	return atomic_load_explicit(&dev->status, memory_order_acquire);
}

const char *vdn_vduse_name(const struct vdn_vduse_dev *dev)
{
	return dev->name;
}
