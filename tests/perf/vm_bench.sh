#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# In-VM end-to-end benchmark: iperf3 TCP/UDP between a container interface
# served by vdnet (AF_XDP on veth; and a second one whose port is DPDK's
# virtio_user on vhost-net, which takes TSO) and a peer netns, against the
# same tests over a plain veth pair in the same VM (tests/perf/vm_iperf.sh,
# booted by tests/vm/run.sh).  Ends with `RESULT vm <cell> ours_gbps=…
# veth_gbps=… ratio=… nogro_gbps=… vhostnet_gbps=… ratio_vhostnet=…` lines
# (nogro: vdnet with `set gro off`; vhostnet: the virtio_user port).
#   tests/perf/vm_bench.sh [--quick] [--reps N] [--seconds S] [--kernel 6.12|7.3]
# Builds into $VDN_BUILD (default build/) if needed.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${VDN_BUILD:-$REPO/build}
REPS=3 SECS=5 KERNEL=6.12
usage() { echo "usage: $0 [--quick] [--reps N] [--seconds S] [--kernel 6.12|7.3]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) REPS=1 SECS=2 ;;
	--reps) REPS=${2:-}; shift ;;
	--seconds) SECS=${2:-}; shift ;;
	--kernel) KERNEL=${2:-}; shift ;;
	*) usage ;;
	esac
	shift
done
[[ $REPS =~ ^[1-9][0-9]?$ && $SECS =~ ^[1-9][0-9]?$ ]] || { echo "vm_bench.sh: --reps and --seconds take 1..99" >&2; exit 2; }
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$REPO" >/dev/null || { echo "vm_bench.sh: meson setup failed" >&2; exit 2; }
fi
ninja -C "$BUILD" app/vdnet >/dev/null || { echo "vm_bench.sh: build failed" >&2; exit 2; }
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "host: ${model:-unknown cpu}, $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); guest: kernel $KERNEL under QEMU TCG"
# 15 iperf3 runs per rep plus boot and set-up
timeout=$((120 + REPS * 15 * (SECS + 15)))
VDN_BUILD=$BUILD exec "$REPO/tests/vm/run.sh" --kernel "$KERNEL" --timeout "$timeout" \
	"$REPO/tests/perf/vm_iperf.sh" "$REPS" "$SECS"
