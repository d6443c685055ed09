#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Start a QEMU VM whose network card is a vduse-net device, through the
# kernel's vhost-vdpa.  Copy it and adapt it.
#
#   start-vm.sh [--mem MB] [--cpus N] [--accel kvm|tcg] [--dry-run] DEVICE [QEMU ARGS...]
#
# DEVICE is /dev/vhost-vdpa-N or the name given to vdnet (--device
# name=NAME,...,bus=vhost).  Everything after it goes to QEMU unchanged: the
# boot media (-drive file=disk.qcow2,if=virtio or -kernel/-initrd/-append),
# the console (-nographic, -serial ...).  --dry-run prints the command.
#
# Example, with vdnet serving the device vm0 on the uplink eth1:
#   vdnet -l 0-1 --vdev net_af_xdp0,iface=eth1 -- --device name=vm0,port=net_af_xdp0,bus=vhost &
#   examples/vm/start-vm.sh --mem 2048 vm0 -drive file=debian.qcow2,if=virtio -nographic
set -eu

usage() {
	sed -n '6p' "$0" | sed 's/^# *//' >&2
	exit 2
}

mem=1024 cpus=2 accel="" dry=0
while [ $# -gt 0 ]; do
	case "$1" in
	--mem) [ $# -ge 2 ] || usage; mem=$2; shift 2 ;;
	--cpus) [ $# -ge 2 ] || usage; cpus=$2; shift 2 ;;
	--accel) [ $# -ge 2 ] || usage; accel=$2; shift 2 ;;
	--dry-run) dry=1; shift ;;
	-h | --help) usage ;;
	-*) echo "start-vm.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
dev=$1; shift

# A vdpa device name: its vhost-vdpa char device hangs off it in sysfs.
if [ ! -c "$dev" ]; then
	found=""
	for d in /sys/bus/vdpa/devices/"$dev"/vhost-vdpa-*; do
		[ -e "$d" ] && found=/dev/$(basename "$d")
	done
	if [ -z "$found" ]; then
		echo "start-vm.sh: $dev is neither a vhost-vdpa char device nor a vdpa device bound to" \
			"vhost_vdpa (is vdnet running with bus=vhost? is vhost_vdpa loaded?)" >&2
		exit 1
	fi
	dev=$found
fi

# KVM when it works here, else TCG (slow, but any x86 host runs it).
if [ -z "$accel" ]; then
	accel=tcg
	[ -w /dev/kvm ] && accel=kvm
fi
case "$accel" in
kvm) cpu=host ;;
tcg) cpu=max; accel=tcg,thread=multi ;;
*) echo "start-vm.sh: --accel wants kvm or tcg" >&2; exit 2 ;;
esac

# vhost-vdpa passes VDUSE only shared, file-backed memory (anonymous memory
# is silently left out and the device would see nothing): guest RAM must be
# a shared memfd (or hugetlbfs: memory-backend-file,mem-path=/dev/hugepages,share=on).
cmd=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp "$cpus" -m "$mem"
	-object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -numa node,memdev=mem
	-netdev "vhost-vdpa,vhostdev=$dev,id=vdn0"
	# the MAC, MTU and link state come from the device (vdnet's mac=, mtu=)
	-device virtio-net-pci,netdev=vdn0,romfile=
	"$@")
if [ "$dry" = 1 ]; then
	printf '%q ' "${cmd[@]}"
	echo
	exit 0
fi
exec "${cmd[@]}"
