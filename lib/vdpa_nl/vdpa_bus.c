/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vdpa bus as sysfs shows it: which bus driver holds a device, moving a
 * device between drivers, and what the driver made of it (a netdev or a
 * vhost-vdpa char device).  All paths hang off a sysfs root so the unit test
 * can use a fake tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdpa_internal.h"

/* Writing this to driver_override matches no driver: the device stays unbound. */
#define NO_DRIVER "none"
/* VDUSE_NAME_MAX: the longest name a vduse (hence vdpa) device can have */
#define NAME_MAX_LEN 256

static const char *const bus_names[] = {
	[VDN_VDPA_BUS_NONE] = "none",
	[VDN_VDPA_BUS_VIRTIO] = "virtio",
	[VDN_VDPA_BUS_VHOST] = "vhost",
};

static const char *const bus_drivers[] = {
	[VDN_VDPA_BUS_NONE] = NULL,
	[VDN_VDPA_BUS_VIRTIO] = "virtio_vdpa",
	[VDN_VDPA_BUS_VHOST] = "vhost_vdpa",
};

#define N_BUSES (sizeof(bus_names) / sizeof(bus_names[0]))

int vdn_vdpa_bus_parse(const char *s, enum vdn_vdpa_bus *bus)
{
	if (!s || !bus)
		return -EINVAL;
	for (size_t i = 0; i < N_BUSES; i++) {
		if (!strcmp(s, bus_names[i])) {
			*bus = (enum vdn_vdpa_bus)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *vdn_vdpa_bus_name(enum vdn_vdpa_bus bus)
{
	return (unsigned int)bus < N_BUSES ? bus_names[bus] : NULL;
}

int vdn_vdpa_name_check(const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strnlen(name, NAME_MAX_LEN);
	/* the name becomes a sysfs path component and a sysfs write: keep it plain */
	if (n == 0 || n == NAME_MAX_LEN || strchr(name, '/') || strchr(name, '\n') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

static int fmt(char *buf, size_t len, const char *f, const char *a, const char *b,
	       const char *c)
{
	int n = snprintf(buf, len, f, a, b, c);

	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

static int dev_dir(const char *sysfs, const char *name, char *buf, size_t len)
{
	struct stat st;
	int rc;

	if (vdn_vdpa_name_check(name))
		return -EINVAL;
	rc = fmt(buf, len, "%s/bus/vdpa/devices/%s%s", sysfs, name, "");
	if (rc)
		return rc;
	if (stat(buf, &st))
		return errno == ENOENT ? -ENODEV : -errno;
	return 0;
}

/* The bound driver's name, or "" when the device is unbound. */
static int current_driver(const char *sysfs, const char *name, char *drv, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int rc = dev_dir(sysfs, name, path, sizeof(path));

	if (rc)
		return rc;
	rc = fmt(path, sizeof(path), "%s/bus/vdpa/devices/%s/%s", sysfs, name, "driver");
	if (rc)
		return rc;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		drv[0] = '\0';
		return 0;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(drv, base);
	return 0;
}

int vdn_vdpa_dev_bus_at(const char *sysfs, const char *name, enum vdn_vdpa_bus *bus)
{
	char drv[NAME_MAX + 1];
	int rc;

	if (!bus)
		return -EINVAL;
	rc = current_driver(sysfs, name, drv, sizeof(drv));
	if (rc)
		return rc;
	if (!drv[0]) {
		*bus = VDN_VDPA_BUS_NONE;
		return 0;
	}
	for (size_t i = 0; i < N_BUSES; i++) {
		if (bus_drivers[i] && !strcmp(drv, bus_drivers[i])) {
			*bus = (enum vdn_vdpa_bus)i;
			return 0;
		}
	}
	return -ENXIO;
}

int vdn_vdpa_bus_driver_present_at(const char *sysfs, enum vdn_vdpa_bus bus)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if (!vdn_vdpa_bus_name(bus))
		return -EINVAL;
	if (!bus_drivers[bus])
		return 0;
	rc = fmt(path, sizeof(path), "%s/bus/vdpa/drivers/%s%s", sysfs, bus_drivers[bus], "");
	if (rc)
		return rc;
	if (stat(path, &st))
		return -errno; /* ENOENT: the bus driver's module is not loaded */
	return 0;
}

static int write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	/* O_TRUNC as `echo >` does: sysfs ignores it, plain files (tests) need it */
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* sysfs reports a failed bind/unbind as the write's errno */
	n = write(fd, s, len);
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

static int driver_write(const char *sysfs, const char *drv, const char *file,
			const char *name)
{
	char path[PATH_MAX];
	int rc = fmt(path, sizeof(path), "%s/bus/vdpa/drivers/%s/%s", sysfs, drv, file);

	return rc ? rc : write_str(path, name);
}

int vdn_vdpa_dev_set_bus_at(const char *sysfs, const char *name, enum vdn_vdpa_bus bus)
{
	char path[PATH_MAX], cur[NAME_MAX + 1];
	const char *want;
	int rc;

	if (!vdn_vdpa_bus_name(bus))
		return -EINVAL;
	want = bus_drivers[bus] ? bus_drivers[bus] : NO_DRIVER;
	rc = current_driver(sysfs, name, cur, sizeof(cur));
	if (rc)
		return rc;
	rc = vdn_vdpa_bus_driver_present_at(sysfs, bus);
	if (rc)
		return rc;
	/*
	 * The override goes first: once set, no other driver can grab the
	 * device between our unbind and bind (say, a bus module loading now).
	 */
	rc = fmt(path, sizeof(path), "%s/bus/vdpa/devices/%s/%s", sysfs, name,
		 "driver_override");
	if (!rc)
		rc = write_str(path, want);
	if (rc)
		return rc;
	if (!strcmp(cur, want))
		return 0;
	if (cur[0]) {
		rc = driver_write(sysfs, cur, "unbind", name);
		if (rc)
			return rc;
	}
	if (!bus_drivers[bus])
		return 0;
	/* bind probes synchronously and fails with the probe's errno */
	return driver_write(sysfs, want, "bind", name);
}

/* First entry of directory `dir` whose name starts with `prefix`. */
static int find_entry(const char *dir, const char *prefix, char *out, size_t len)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = -ENOENT;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, plen))
			continue;
		if (strlen(de->d_name) >= len) {
			rc = -ENAMETOOLONG;
			break;
		}
		strcpy(out, de->d_name);
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

int vdn_vdpa_netdev_at(const char *sysfs, const char *name, char *ifname, size_t len)
{
	char dir[PATH_MAX], vdev[NAME_MAX + 1], net[PATH_MAX], found[NAME_MAX + 1];
	int rc;

	if (!ifname || !len)
		return -EINVAL;
	rc = dev_dir(sysfs, name, dir, sizeof(dir));
	if (rc)
		return rc;
	/* virtio_vdpa registers a virtioN child; virtio_net hangs the netdev under it */
	rc = find_entry(dir, "virtio", vdev, sizeof(vdev));
	if (rc)
		return rc == -ENAMETOOLONG ? rc : -ENOENT;
	rc = fmt(net, sizeof(net), "%s/%s/%s", dir, vdev, "net");
	if (rc)
		return rc;
	rc = find_entry(net, "", found, sizeof(found));
	if (rc)
		return rc == -ENAMETOOLONG ? rc : -ENOENT;
	if (strlen(found) >= len)
		return -ERANGE;
	strcpy(ifname, found);
	return 0;
}

int vdn_vdpa_vhost_path_at(const char *sysfs, const char *name, char *path, size_t len)
{
	char dir[PATH_MAX], found[NAME_MAX + 1];
	int n, rc;

	if (!path || !len)
		return -EINVAL;
	rc = dev_dir(sysfs, name, dir, sizeof(dir));
	if (rc)
		return rc;
	rc = find_entry(dir, "vhost-vdpa-", found, sizeof(found));
	if (rc)
		return rc == -ENAMETOOLONG ? rc : -ENOENT;
	n = snprintf(path, len, "/dev/%s", found);
	return (n < 0 || (size_t)n >= len) ? -ERANGE : 0;
}

int vdn_vdpa_dev_bus(const char *name, enum vdn_vdpa_bus *bus)
{
	return vdn_vdpa_dev_bus_at("/sys", name, bus);
}

int vdn_vdpa_dev_set_bus(const char *name, enum vdn_vdpa_bus bus)
{
	return vdn_vdpa_dev_set_bus_at("/sys", name, bus);
}

int vdn_vdpa_netdev(const char *name, char *ifname, size_t len)
{
	return vdn_vdpa_netdev_at("/sys", name, ifname, len);
}

int vdn_vdpa_vhost_path(const char *name, char *path, size_t len)
{
	return vdn_vdpa_vhost_path_at("/sys", name, path, len);
}
