#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Give a network namespace (a container's) a vduse-net interface whose
# traffic leaves through an AF_XDP socket on UPLINK.  Copy and adapt.
#
#   vdnet-container.sh [--name NAME] [--mac MAC] [--ifname IF] [--socket PATH]
#                      UPLINK NETNS
#
# Runs vdnet in the foreground (Ctrl-C / SIGTERM removes the interface);
# put it under systemd or `&` as you like.  Needs a kernel with VDUSE
# (CONFIG_VDPA_USER, e.g. Debian's 6.12 backports kernel).  Extra EAL
# options via VDNET_EAL (e.g. "--no-huge -m 512" without hugepages).
set -eu
NAME=vdn0 MAC="" IFNAME=eth0 SOCK=/run/vdnet-$$.sock
VDNET=${VDNET:-$(dirname "$0")/../../build/app/vdnet}
while [ $# -gt 2 ]; do
	case "$1" in
	--name) NAME=$2; shift 2 ;;
	--mac) MAC=$2; shift 2 ;;
	--ifname) IFNAME=$2; shift 2 ;;
	--socket) SOCK=$2; shift 2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
[ $# -eq 2 ] || { sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
UPLINK=$1 NETNS=$2
[ -x "$VDNET" ] || { echo "vdnet not found at $VDNET (build it: meson setup build && ninja -C build, or set VDNET)" >&2; exit 2; }
ip link show "$UPLINK" >/dev/null 2>&1 || { echo "no interface $UPLINK" >&2; exit 2; }
for m in vduse vdpa virtio_vdpa virtio_net; do
	modprobe "$m" || { echo "cannot load $m: this kernel lacks VDUSE (CONFIG_VDPA_USER)" >&2; exit 2; }
done
[ -e "/run/netns/$NETNS" ] || ip netns add "$NETNS"
# the uplink carries the interface's frames: let it accept any MAC, and
# send finished checksums (AF_XDP forwards frames as they are)
ip link set "$UPLINK" up promisc on
ethtool -K "$UPLINK" tx off >/dev/null 2>&1 || true
dev="name=$NAME,port=net_af_xdp0,bus=virtio,netns=$NETNS,ifname=$IFNAME${MAC:+,mac=$MAC}"
# shellcheck disable=SC2086
exec "$VDNET" -l 0-1 ${VDNET_EAL:-} --vdev "net_af_xdp0,iface=$UPLINK" -- \
	--device "$dev" --socket "$SOCK" ${VDNET_OPTS:-}
