#!/bin/busybox sh
# SPDX-License-Identifier: BSD-3-Clause
# /init of the test VM's initramfs (busybox only).  Mounts the host's root
# (9p, read-only) under a tmpfs-backed overlay so the guest can write
# anywhere, mounts the kernel's module tree and the results share, chroots
# and runs the job run.sh prepared, then records its exit code and powers off.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
	echo "vdn-init: $*" >/dev/console
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# run.sh boots with maxcpus=1: multi-threaded TCG races with the kernel's
# live text patching (a vCPU running a stale translation hits the int3 of a
# static key another vCPU finished flipping: "Oops: int3"), and boot flips
# many keys.  One vCPU boots; the others come online only now.
for c in /sys/devices/system/cpu/cpu[1-9]*/online; do
	[ -e "$c" ] && echo 1 >"$c"
done

for m in $(cat /mods/order); do
	insmod "/mods/$m" || fail "insmod $m failed"
done

P9="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p /mnt/lower /mnt/rw /mnt/root
mount -t 9p -o "$P9,ro" hostroot /mnt/lower || fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay overlay \
	-o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work /mnt/root ||
	fail "cannot mount the overlay root"

R=/mnt/root
# `ip netns exec` makes / rslave: that needs / to be a mount point of its own
mount --bind $R $R
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm $R/dev/hugepages
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts
ln -sf pts/ptmx $R/dev/ptmx 2>/dev/null
mount -t tmpfs tmpfs $R/dev/shm
mount -t hugetlbfs hugetlbfs $R/dev/hugepages
ln -sfn /proc/self/fd $R/dev/fd
mount -t bpf bpf $R/sys/fs/bpf
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
mount -t tmpfs tmpfs $R/run
mkdir -p $R/lib/modules $R/run/vdn
mount -t 9p -o "$P9,ro" modules $R/lib/modules || fail "cannot mount the module tree"
mount -t 9p -o "$P9" results $R/run/vdn || fail "cannot mount the results share"

: >$R/run/vdn/started
chroot $R /bin/sh /run/vdn/job.sh >$R/run/vdn/out.log 2>&1 </dev/null
echo $? >$R/run/vdn/rc
chroot $R dmesg >$R/run/vdn/dmesg.log 2>&1
sync
umount $R/run/vdn
poweroff -f
