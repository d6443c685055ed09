/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdpa_nl_test: drive lib/vdpa_nl against the real kernel (inside the test
 * VM).  The device under it is a bare VDUSE net device made with raw ioctls
 * plus a thread that says OK to every control message: a fixture, not our
 * VDUSE library, so only lib/vdpa_nl is under test.
 *
 *   vdpa_nl_test [--hold FILE]
 *
 * Expects, made by tests/vm/vdpa_nl.sh: modules vduse virtio_vdpa vhost_vdpa
 * virtio_net loaded, netns "ctr", "rootns" naming the root netns, and in
 * the root netns the dummies "eth0", "vdnx" and "vdnup" (up).  Prints "OK ..." per passed check, "READY" once the
 * vdpa netdev sits in ctr as eth0 (then waits for FILE with --hold), and
 * exits 1 on the first FAIL (after tearing down), 2 on setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/vduse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "vdn_vdpa.h"

#define DEV "vdnnl0"
#define MAC "02:00:00:00:00:77"

struct fixture {
	int ctl, fd, stop[2];
	pthread_t thr;
	unsigned long answered;
};

/* Answer every control message OK: enough for virtio_net to probe and for
 * the resets that unbinding and deleting send. */
static void *responder(void *arg)
{
	struct fixture *fx = arg;
	struct pollfd p[2] = { { .fd = fx->fd, .events = POLLIN },
			       { .fd = fx->stop[0], .events = POLLIN } };

	for (;;) {
		struct vduse_dev_request req;
		struct vduse_dev_response resp;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(fx->fd, &req, sizeof(req)) != sizeof(req))
			continue;
		memset(&resp, 0, sizeof(resp));
		resp.request_id = req.request_id;
		resp.result = VDUSE_REQ_RESULT_OK;
		if (req.type == VDUSE_GET_VQ_STATE) {
			resp.vq_state.index = req.vq_state.index;
			resp.vq_state.split.avail_index = 0;
		}
		if (write(fx->fd, &resp, sizeof(resp)) == sizeof(resp))
			fx->answered++;
	}
	return NULL;
}

static int fixture_up(struct fixture *fx)
{
	struct virtio_net_config cfg = {
		.mac = { 0x02, 0, 0, 0, 0, 0x77 },
		.status = VIRTIO_NET_S_LINK_UP,
		.max_virtqueue_pairs = 1,
		.mtu = 1500,
	};
	size_t sz = sizeof(struct vduse_dev_config) + sizeof(cfg);
	struct vduse_dev_config *dc = calloc(1, sz);
	uint64_t api = 0;

	if (!dc)
		return -1;
	snprintf(dc->name, sizeof(dc->name), "%s", DEV);
	dc->device_id = VIRTIO_ID_NET;
	dc->features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
		       (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
		       (1ULL << VIRTIO_NET_F_MTU);
	dc->vq_num = 2;
	dc->vq_align = 4096;
	dc->config_size = sizeof(cfg);
	memcpy(dc->config, &cfg, sizeof(cfg));

	fx->ctl = open("/dev/vduse/control", O_RDWR);
	if (fx->ctl < 0 || ioctl(fx->ctl, VDUSE_SET_API_VERSION, &api) ||
	    ioctl(fx->ctl, VDUSE_CREATE_DEV, dc)) {
		perror("vduse create");
		free(dc);
		return -1;
	}
	free(dc);
	fx->fd = open("/dev/vduse/" DEV, O_RDWR);
	if (fx->fd < 0) {
		perror("open /dev/vduse/" DEV);
		return -1;
	}
	for (uint32_t i = 0; i < 2; i++) {
		struct vduse_vq_config vq = { .index = i, .max_size = 256 };

		if (ioctl(fx->fd, VDUSE_VQ_SETUP, &vq)) {
			perror("VDUSE_VQ_SETUP");
			return -1;
		}
	}
	if (pipe(fx->stop) || pthread_create(&fx->thr, NULL, responder, fx)) {
		perror("responder");
		return -1;
	}
	return 0;
}

static void fixture_down(struct fixture *fx)
{
	char name[] = DEV;

	if (write(fx->stop[1], "x", 1) != 1)
		perror("stop responder");
	pthread_join(fx->thr, NULL);
	close(fx->fd);
	/* destroying needs the vdpa device gone and the device fd closed */
	if (ioctl(fx->ctl, VDUSE_DESTROY_DEV, name))
		perror("VDUSE_DESTROY_DEV");
	close(fx->ctl);
}

static int failed;

#define EXPECT(what, got, want)                                                    \
	do {                                                                       \
		long long _g = (long long)(got), _w = (long long)(want);           \
		if (_g != _w) {                                                    \
			printf("FAIL %s: got %lld (%s), want %lld\n", what, _g,    \
			       _g < 0 ? strerror((int)-_g) : "-", _w);            \
			failed = 1;                                                \
			goto out;                                                  \
		}                                                                  \
		printf("OK %s\n", what);                                           \
	} while (0)

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int rc = -1;

	if (!f)
		return -1;
	if (fgets(buf, (int)len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		rc = 0;
	}
	fclose(f);
	return rc;
}

/* 1 if /sys/class/net/IF has our MAC, 0 if another, -1 if no such netdev */
static int has_mac(const char *ifname)
{
	char path[128], addr[64];

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	if (read_line(path, addr, sizeof(addr)))
		return -1;
	return !strcmp(addr, MAC);
}

static int is_chardev(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISCHR(st.st_mode);
}

static int wait_netdev(char *ifname, size_t len)
{
	int rc = -ENOENT;

	for (int i = 0; i < 100 && rc == -ENOENT; i++) {
		rc = vdn_vdpa_netdev(DEV, ifname, len);
		if (rc == -ENOENT)
			usleep(100 * 1000);
	}
	return rc;
}

static int wait_file(const char *path, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (!access(path, F_OK))
			return 0;
		usleep(100 * 1000);
	}
	return -ETIMEDOUT;
}

int main(int argc, char **argv)
{
	const char *hold = NULL;
	struct fixture fx = { .ctl = -1, .fd = -1 };
	struct vdn_vdpa *nl = NULL;
	enum vdn_vdpa_bus bus;
	char ifname[IFNAMSIZ], path[64], flags[32];

	if (argc == 3 && !strcmp(argv[1], "--hold")) {
		hold = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--hold FILE]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fixture_up(&fx))
		return 2;

	EXPECT("open", vdn_vdpa_open(&nl), 0);
	EXPECT("exists before add", vdn_vdpa_dev_exists(nl, DEV), 0);

	/* vhost: the char device appears synchronously with the bind */
	EXPECT("add bus=vhost", vdn_vdpa_dev_add(nl, DEV, "vduse", VDN_VDPA_BUS_VHOST), 0);
	EXPECT("exists after add", vdn_vdpa_dev_exists(nl, DEV), 1);
	EXPECT("dev_bus", vdn_vdpa_dev_bus(DEV, &bus), 0);
	EXPECT("bus is vhost", bus, VDN_VDPA_BUS_VHOST);
	EXPECT("vhost_path", vdn_vdpa_vhost_path(DEV, path, sizeof(path)), 0);
	EXPECT("vhost path is /dev/vhost-vdpa-N", strncmp(path, "/dev/vhost-vdpa-", 16), 0);
	EXPECT("vhost path is a char device", is_chardev(path), 1);
	printf("   (%s)\n", path);
	EXPECT("no netdev on vhost", vdn_vdpa_netdev(DEV, ifname, sizeof(ifname)), -ENOENT);
	EXPECT("add again", vdn_vdpa_dev_add(nl, DEV, "vduse", VDN_VDPA_BUS_VHOST), -EEXIST);

	/* switch buses on the live device */
	EXPECT("set_bus vhost->virtio", vdn_vdpa_dev_set_bus(DEV, VDN_VDPA_BUS_VIRTIO), 0);
	EXPECT("dev_bus", vdn_vdpa_dev_bus(DEV, &bus), 0);
	EXPECT("bus is virtio", bus, VDN_VDPA_BUS_VIRTIO);
	EXPECT("netdev appears", wait_netdev(ifname, sizeof(ifname)), 0);
	printf("   (%s)\n", ifname);
	EXPECT("netdev has the device's MAC", has_mac(ifname), 1);
	EXPECT("no vhost dev on virtio", vdn_vdpa_vhost_path(DEV, path, sizeof(path)), -ENOENT);
	EXPECT("set_bus virtio->vhost", vdn_vdpa_dev_set_bus(DEV, VDN_VDPA_BUS_VHOST), 0);
	EXPECT("netdev gone", vdn_vdpa_netdev(DEV, ifname, sizeof(ifname)), -ENOENT);
	EXPECT("vhost_path again", vdn_vdpa_vhost_path(DEV, path, sizeof(path)), 0);
	EXPECT("vhost char device again", is_chardev(path), 1);
	EXPECT("set_bus none", vdn_vdpa_dev_set_bus(DEV, VDN_VDPA_BUS_NONE), 0);
	EXPECT("dev_bus", vdn_vdpa_dev_bus(DEV, &bus), 0);
	EXPECT("bus is none", bus, VDN_VDPA_BUS_NONE);
	EXPECT("unbound: no vhost dev", vdn_vdpa_vhost_path(DEV, path, sizeof(path)), -ENOENT);

	EXPECT("del", vdn_vdpa_dev_del(nl, DEV), 0);
	EXPECT("exists after del", vdn_vdpa_dev_exists(nl, DEV), 0);
	EXPECT("del again", vdn_vdpa_dev_del(nl, DEV), -ENODEV);
	EXPECT("dev_bus of deleted", vdn_vdpa_dev_bus(DEV, &bus), -ENODEV);
	EXPECT("set_bus of deleted", vdn_vdpa_dev_set_bus(DEV, VDN_VDPA_BUS_VIRTIO), -ENODEV);

	/* virtio: a container's netdev, renamed and moved in one step */
	EXPECT("add bus=virtio", vdn_vdpa_dev_add(nl, DEV, "vduse", VDN_VDPA_BUS_VIRTIO), 0);
	EXPECT("dev_bus", vdn_vdpa_dev_bus(DEV, &bus), 0);
	EXPECT("bus is virtio", bus, VDN_VDPA_BUS_VIRTIO);
	EXPECT("netdev appears", wait_netdev(ifname, sizeof(ifname)), 0);
	printf("   (%s)\n", ifname);
	EXPECT("netdev has the device's MAC", has_mac(ifname), 1);
	EXPECT("place: no such netdev", vdn_netdev_place("nosuchif0", "x", NULL), -ENOENT);
	EXPECT("place: no such netns", vdn_netdev_place(ifname, "eth0", "nosuchns"), -ENOENT);
	EXPECT("rename onto a taken name", vdn_netdev_place("vdnx", "eth0", NULL), -EEXIST);
	EXPECT("root eth0 is not ours", has_mac("eth0"), 0);
	EXPECT("place as eth0 in ctr", vdn_netdev_place(ifname, "eth0", "ctr"), 0);
	EXPECT("gone from the root netns", has_mac(ifname), -1);
	EXPECT("root eth0 untouched", has_mac("eth0"), 0);
	EXPECT("move onto a name taken in ctr", vdn_netdev_place("vdnx", "eth0", "ctr"), -EEXIST);
	EXPECT("vdnx still in root", has_mac("vdnx"), 0);
	EXPECT("rename an up netdev", vdn_netdev_place("vdnup", "vdnup2", NULL), 0);
	EXPECT("old name gone", has_mac("vdnup"), -1);
	EXPECT("flags readable", read_line("/sys/class/net/vdnup2/flags", flags, sizeof(flags)), 0);
	EXPECT("still up after rename", strtoul(flags, NULL, 16) & IFF_UP, IFF_UP);
	/* "rootns" names our own netns: no move, just the rename */
	EXPECT("place into the own netns", vdn_netdev_place("vdnx", "vdnx2", "rootns"), 0);
	EXPECT("renamed in place", has_mac("vdnx2"), 0);

	printf("READY\n");
	if (hold)
		EXPECT("hold released", wait_file(hold, 60), 0);

	EXPECT("add with mgmtdev nosuch", vdn_vdpa_dev_add(nl, DEV, "nosuch", VDN_VDPA_BUS_VIRTIO), -ENODEV);
	EXPECT("add a vduse device that does not exist",
	       vdn_vdpa_dev_add(nl, "vdnnope", "vduse", VDN_VDPA_BUS_VIRTIO), -EINVAL);
	EXPECT("exists(vdnnope)", vdn_vdpa_dev_exists(nl, "vdnnope"), 0);
	/* the netdev is in ctr now: the switch must pull it from there too */
	EXPECT("set_bus virtio->vhost (netdev in ctr)", vdn_vdpa_dev_set_bus(DEV, VDN_VDPA_BUS_VHOST), 0);
	EXPECT("vhost_path", vdn_vdpa_vhost_path(DEV, path, sizeof(path)), 0);
	EXPECT("set_bus vhost->virtio", vdn_vdpa_dev_set_bus(DEV, VDN_VDPA_BUS_VIRTIO), 0);
	EXPECT("netdev back in root", wait_netdev(ifname, sizeof(ifname)), 0);
	EXPECT("with the device's MAC", has_mac(ifname), 1);
	/* deleting while virtio_net holds it: the kernel resets the device */
	EXPECT("del (bound to virtio)", vdn_vdpa_dev_del(nl, DEV), 0);
	EXPECT("exists after del", vdn_vdpa_dev_exists(nl, DEV), 0);
	EXPECT("netdev gone with it", has_mac(ifname), -1);
out:
	if (failed && nl)
		vdn_vdpa_dev_del(nl, DEV);
	vdn_vdpa_close(nl);
	fixture_down(&fx);
	printf("%s responder answered %lu control messages\n", fx.answered ? "OK" : "FAIL",
	       fx.answered);
	return failed || !fx.answered ? 1 : 0;
}
