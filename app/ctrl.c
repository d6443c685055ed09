/* SPDX-License-Identifier: BSD-3-Clause */
/* The control thread: answers every device's VDUSE messages and serves its
 * control queue.  It never waits on datapath lcores, so the kernel's
 * msg_timeout cannot fire because traffic is heavy.  Devices join and leave
 * while it runs: the list is guarded by `lock`, which the thread holds only
 * while handling (never while polling), so removal never races a handler. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "vdnet.h"

#define MAX_FDS (VDNET_MAX_DEVICES * 2 + 1)

static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct vdnet_dev *served[VDNET_MAX_DEVICES];
static int wake_fd = -1;
static atomic_bool stopping;
static atomic_uint loops; /* completed poll rounds */
static bool started;

void vdnet_ctrl_kick(void)
{
	uint64_t one = 1;

	if (wake_fd >= 0 && write(wake_fd, &one, sizeof(one)) < 0)
		LOG(WARNING, "cannot wake the control thread: %s\n", strerror(errno));
}

int vdnet_ctrl_add(struct vdnet_dev *d)
{
	int rc = -ENOSPC;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < VDNET_MAX_DEVICES; i++)
		if (!served[i]) {
			served[i] = d;
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&lock);
	vdnet_ctrl_kick();
	return rc;
}

void vdnet_ctrl_del(struct vdnet_dev *d)
{
	unsigned int seen;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < VDNET_MAX_DEVICES; i++)
		if (served[i] == d)
			served[i] = NULL;
	seen = atomic_load(&loops);
	pthread_mutex_unlock(&lock);
	/* A poll() in progress holds a reference to the device's fds, and the
	 * kernel refuses to destroy a VDUSE device whose char device is still
	 * referenced: wait until the thread has polled again without them. */
	if (!started)
		return;
	vdnet_ctrl_kick();
	for (int i = 0; i < 1000 && atomic_load(&loops) - seen < 2; i++) {
		struct timespec ts = { 0, 1000000L };

		nanosleep(&ts, NULL);
	}
}

static void *ctrl_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&stopping)) {
		struct pollfd pfd[MAX_FDS];
		int n = 0, fds[2];

		pfd[n++] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
		pthread_mutex_lock(&lock);
		for (int i = 0; i < VDNET_MAX_DEVICES; i++) {
			if (!served[i] || atomic_load(&served[i]->failed))
				continue;
			int k = vdn_net_ctrl_fds(served[i]->net, fds, 2);

			for (int j = 0; j < k; j++)
				pfd[n++] = (struct pollfd){ .fd = fds[j], .events = POLLIN };
		}
		pthread_mutex_unlock(&lock);

		/* the timeout bounds how long a new device's fds go unwatched */
		if (poll(pfd, n, 100) < 0 && errno != EINTR) {
			LOG(ERR, "control thread: poll: %s\n", strerror(errno));
			continue;
		}
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				LOG(WARNING, "control thread: wake fd: %s\n", strerror(errno));
		}
		/* handling is cheap when nothing is pending: do every device */
		pthread_mutex_lock(&lock);
		for (int i = 0; i < VDNET_MAX_DEVICES; i++) {
			struct vdnet_dev *d = served[i];

			if (!d || atomic_load(&d->failed))
				continue;
			int rc = vdn_net_ctrl_handle(d->net);

			if (rc < 0) {
				/* one broken device must not take the others down */
				atomic_store(&d->failed, true);
				LOG(ERR, "device %s: control channel failed (%s); it is no longer "
				    "served, the other devices are unaffected\n", d->conf.name,
				    strerror(-rc));
			}
		}
		atomic_fetch_add(&loops, 1);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int vdnet_ctrl_start(struct vdnet *v)
{
	int rc;

	(void)v;
	if (started)
		return 0;
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wake_fd < 0)
		return -errno;
	rc = rte_ctrl_thread_create(&thread, "vdnet-ctrl", NULL, ctrl_main, NULL);
	if (rc) {
		close(wake_fd);
		wake_fd = -1;
		return -rc;
	}
	started = true;
	return 0;
}

void vdnet_ctrl_stop(void)
{
	if (!started)
		return;
	atomic_store(&stopping, true);
	vdnet_ctrl_kick();
	pthread_join(thread, NULL);
	close(wake_fd);
	wake_fd = -1;
	started = false;
}
