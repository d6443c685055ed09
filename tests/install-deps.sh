#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what vduse-net needs to build, test and run its demo on Debian 12.
# Idempotent: when everything is present it changes nothing and needs no network.
set -eu

PKGS=(
	# build
	build-essential meson ninja-build pkg-config
	libdpdk-dev libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libbpf-dev libxdp-dev
	# DPDK runtime PMDs (af_xdp, null, ring ...) and dpdk-testpmd for tests
	dpdk dpdk-dev
	# the test VM: QEMU (TCG), its initramfs, kernel package handling
	qemu-system-x86 busybox-static kmod cpio xz-utils zstd file
	# building the test-only vduse.ko (tests/vm/run.sh --cvq-module)
	make gcc bc flex bison dwarves libelf-dev libssl-dev
	# tools the VM scenarios drive
	iproute2 ethtool iperf3 tcpdump tmux procps iputils-ping
	# tests/fuzz: libFuzzer and the sanitizer runtimes
	clang libclang-rt-14-dev
)

[ "$(id -u)" = 0 ] || { echo "install-deps.sh: run as root (apt-get)" >&2; exit 2; }

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps.sh: all ${#PKGS[@]} packages present"
	exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
