/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vdpa_nl without a kernel: bus names, device-name checks, and the sysfs
 * walks (driver, netdev, vhost char device, bus switching) against a fake
 * /sys tree laid out the way the vdpa bus lays out the real one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "vdpa_internal.h"

static char root[PATH_MAX];

static void mk(const char *rel)
{
	char p[PATH_MAX * 2], *s;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void touch(const char *rel)
{
	char p[PATH_MAX * 2];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

static void link_driver(const char *dev, const char *drv)
{
	char p[PATH_MAX * 2], t[PATH_MAX];

	snprintf(p, sizeof(p), "%s/bus/vdpa/devices/%s/driver", root, dev);
	snprintf(t, sizeof(t), "../../../../bus/vdpa/drivers/%s", drv);
	unlink(p);
	CHECK_EQ(symlink(t, p), 0);
}

static void slurp(const char *rel, char *buf, size_t len)
{
	char p[PATH_MAX * 2];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	buf[0] = '\0';
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static void test_bus_names(void)
{
	enum vdn_vdpa_bus b = VDN_VDPA_BUS_NONE;

	CHECK_EQ(vdn_vdpa_bus_parse("virtio", &b), 0);
	CHECK_EQ(b, VDN_VDPA_BUS_VIRTIO);
	CHECK_EQ(vdn_vdpa_bus_parse("vhost", &b), 0);
	CHECK_EQ(b, VDN_VDPA_BUS_VHOST);
	CHECK_EQ(vdn_vdpa_bus_parse("none", &b), 0);
	CHECK_EQ(b, VDN_VDPA_BUS_NONE);
	b = VDN_VDPA_BUS_VHOST;
	CHECK_EQ(vdn_vdpa_bus_parse("Virtio", &b), -EINVAL);
	CHECK_EQ(vdn_vdpa_bus_parse("", &b), -EINVAL);
	CHECK_EQ(vdn_vdpa_bus_parse("virtio_vdpa", &b), -EINVAL);
	CHECK_EQ(vdn_vdpa_bus_parse(NULL, &b), -EINVAL);
	CHECK_EQ(vdn_vdpa_bus_parse("vhost", NULL), -EINVAL);
	CHECK_EQ(b, VDN_VDPA_BUS_VHOST); /* untouched on failure */

	for (int i = VDN_VDPA_BUS_NONE; i <= VDN_VDPA_BUS_VHOST; i++) {
		const char *n = vdn_vdpa_bus_name((enum vdn_vdpa_bus)i);

		CHECK(n != NULL);
		CHECK_EQ(vdn_vdpa_bus_parse(n, &b), 0);
		CHECK_EQ(b, i);
	}
	CHECK(vdn_vdpa_bus_name((enum vdn_vdpa_bus)3) == NULL);
	CHECK(vdn_vdpa_bus_name((enum vdn_vdpa_bus)-1) == NULL);
}

static void test_name_check(void)
{
	char longname[300];

	CHECK_EQ(vdn_vdpa_name_check("vdn0"), 0);
	CHECK_EQ(vdn_vdpa_name_check("a.b-c_d"), 0);
	CHECK_EQ(vdn_vdpa_name_check(""), -EINVAL);
	CHECK_EQ(vdn_vdpa_name_check(NULL), -EINVAL);
	CHECK_EQ(vdn_vdpa_name_check("."), -EINVAL);
	CHECK_EQ(vdn_vdpa_name_check(".."), -EINVAL);
	CHECK_EQ(vdn_vdpa_name_check("../vdn0"), -EINVAL);
	CHECK_EQ(vdn_vdpa_name_check("vdn0\n"), -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_EQ(vdn_vdpa_name_check(longname), -EINVAL);
	longname[255] = '\0';
	CHECK_EQ(vdn_vdpa_name_check(longname), 0);
}

static void test_lookups(void)
{
	enum vdn_vdpa_bus b = VDN_VDPA_BUS_VHOST;
	char buf[64];

	mk("bus/vdpa/drivers/virtio_vdpa");
	mk("bus/vdpa/drivers/vhost_vdpa");
	mk("bus/vdpa/drivers/mlx5_vnet");
	mk("bus/vdpa/devices/v0/power");
	mk("bus/vdpa/devices/v0/virtio7/net/enp0s9");
	mk("bus/vdpa/devices/v1/vhost-vdpa-3");
	mk("bus/vdpa/devices/v2/virtio8");
	mk("bus/vdpa/devices/v3");
	link_driver("v0", "virtio_vdpa");
	link_driver("v1", "vhost_vdpa");
	link_driver("v3", "mlx5_vnet");

	CHECK_EQ(vdn_vdpa_dev_bus_at(root, "v0", &b), 0);
	CHECK_EQ(b, VDN_VDPA_BUS_VIRTIO);
	CHECK_EQ(vdn_vdpa_dev_bus_at(root, "v1", &b), 0);
	CHECK_EQ(b, VDN_VDPA_BUS_VHOST);
	CHECK_EQ(vdn_vdpa_dev_bus_at(root, "v2", &b), 0);
	CHECK_EQ(b, VDN_VDPA_BUS_NONE);
	CHECK_EQ(vdn_vdpa_dev_bus_at(root, "v3", &b), -ENXIO);
	CHECK_EQ(vdn_vdpa_dev_bus_at(root, "nosuch", &b), -ENODEV);
	CHECK_EQ(vdn_vdpa_dev_bus_at(root, "../v0", &b), -EINVAL);

	CHECK_EQ(vdn_vdpa_netdev_at(root, "v0", buf, sizeof(buf)), 0);
	CHECK(!strcmp(buf, "enp0s9"));
	CHECK_EQ(vdn_vdpa_netdev_at(root, "v0", buf, 6), -ERANGE);
	CHECK_EQ(vdn_vdpa_netdev_at(root, "v0", buf, 7), 0);
	/* bound but virtio_net not there yet: the caller polls on -ENOENT */
	CHECK_EQ(vdn_vdpa_netdev_at(root, "v2", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(vdn_vdpa_netdev_at(root, "v1", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(vdn_vdpa_netdev_at(root, "nosuch", buf, sizeof(buf)), -ENODEV);

	CHECK_EQ(vdn_vdpa_vhost_path_at(root, "v1", buf, sizeof(buf)), 0);
	CHECK(!strcmp(buf, "/dev/vhost-vdpa-3"));
	CHECK_EQ(vdn_vdpa_vhost_path_at(root, "v1", buf, 17), -ERANGE);
	CHECK_EQ(vdn_vdpa_vhost_path_at(root, "v0", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(vdn_vdpa_vhost_path_at(root, "nosuch", buf, sizeof(buf)), -ENODEV);
}

/* The kernel's files are attribute files; regular files record what was written. */
static void test_set_bus(void)
{
	char buf[64];

	mk("bus/vdpa/drivers/virtio_vdpa");
	mk("bus/vdpa/drivers/vhost_vdpa");
	mk("bus/vdpa/devices/s0");
	touch("bus/vdpa/devices/s0/driver_override");
	touch("bus/vdpa/drivers/virtio_vdpa/bind");
	touch("bus/vdpa/drivers/virtio_vdpa/unbind");
	touch("bus/vdpa/drivers/vhost_vdpa/bind");
	touch("bus/vdpa/drivers/vhost_vdpa/unbind");
	link_driver("s0", "virtio_vdpa");

	CHECK_EQ(vdn_vdpa_dev_set_bus_at(root, "s0", VDN_VDPA_BUS_VHOST), 0);
	slurp("bus/vdpa/devices/s0/driver_override", buf, sizeof(buf));
	CHECK(!strcmp(buf, "vhost_vdpa"));
	slurp("bus/vdpa/drivers/virtio_vdpa/unbind", buf, sizeof(buf));
	CHECK(!strcmp(buf, "s0"));
	slurp("bus/vdpa/drivers/vhost_vdpa/bind", buf, sizeof(buf));
	CHECK(!strcmp(buf, "s0"));

	/* already on the wanted driver: pin it, but no unbind/bind */
	touch("bus/vdpa/drivers/virtio_vdpa/unbind");
	touch("bus/vdpa/drivers/virtio_vdpa/bind");
	CHECK_EQ(vdn_vdpa_dev_set_bus_at(root, "s0", VDN_VDPA_BUS_VIRTIO), 0);
	slurp("bus/vdpa/devices/s0/driver_override", buf, sizeof(buf));
	CHECK(!strcmp(buf, "virtio_vdpa"));
	slurp("bus/vdpa/drivers/virtio_vdpa/unbind", buf, sizeof(buf));
	CHECK(!strcmp(buf, ""));
	slurp("bus/vdpa/drivers/virtio_vdpa/bind", buf, sizeof(buf));
	CHECK(!strcmp(buf, ""));

	/* none: unbind, pin to a driver name that matches nothing */
	CHECK_EQ(vdn_vdpa_dev_set_bus_at(root, "s0", VDN_VDPA_BUS_NONE), 0);
	slurp("bus/vdpa/devices/s0/driver_override", buf, sizeof(buf));
	CHECK(!strcmp(buf, "none"));
	slurp("bus/vdpa/drivers/virtio_vdpa/unbind", buf, sizeof(buf));
	CHECK(!strcmp(buf, "s0"));

	/* wanted driver's module not loaded: -ENOENT and nothing touched */
	char p[PATH_MAX * 2];
	touch("bus/vdpa/devices/s0/driver_override");
	touch("bus/vdpa/drivers/virtio_vdpa/unbind");
	snprintf(p, sizeof(p), "%s/bus/vdpa/drivers/vhost_vdpa/bind", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/bus/vdpa/drivers/vhost_vdpa/unbind", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/bus/vdpa/drivers/vhost_vdpa", root);
	CHECK_EQ(rmdir(p), 0);
	CHECK_EQ(vdn_vdpa_bus_driver_present_at(root, VDN_VDPA_BUS_VHOST), -ENOENT);
	CHECK_EQ(vdn_vdpa_bus_driver_present_at(root, VDN_VDPA_BUS_VIRTIO), 0);
	CHECK_EQ(vdn_vdpa_bus_driver_present_at(root, VDN_VDPA_BUS_NONE), 0);
	CHECK_EQ(vdn_vdpa_dev_set_bus_at(root, "s0", VDN_VDPA_BUS_VHOST), -ENOENT);
	slurp("bus/vdpa/devices/s0/driver_override", buf, sizeof(buf));
	CHECK(!strcmp(buf, ""));
	slurp("bus/vdpa/drivers/virtio_vdpa/unbind", buf, sizeof(buf));
	CHECK(!strcmp(buf, ""));

	CHECK_EQ(vdn_vdpa_dev_set_bus_at(root, "nosuch", VDN_VDPA_BUS_VIRTIO), -ENODEV);
	CHECK_EQ(vdn_vdpa_dev_set_bus_at(root, "s0", (enum vdn_vdpa_bus)7), -EINVAL);
}

int main(void)
{
	char cmd[PATH_MAX + 16];
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/vdn-vdpa-sysfs.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_bus_names);
	RUN(test_name_check);
	RUN(test_lookups);
	RUN(test_set_bus);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return check_report();
}
