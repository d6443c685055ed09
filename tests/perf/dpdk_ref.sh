#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The reference for dev_bench: DPDK's own vhost library (librte_vhost, via
# net_vhost) on the same shape, with DPDK's virtio_user driver on the other
# side of a vhost-user socket.  Two dpdk-testpmd processes, one core each:
#   device: net_vhost0 <-> net_null0 (size=N), io forwarding, on cpu B
#   driver: net_virtio_user0 (queue_size=256 [,packed_vq=1]) in txonly
#           (tx cell: driver -> device) or rxonly (rx cell), on cpu A
# Each testpmd has a main lcore that only sleeps and prints, pinned to its
# forwarding lcore's cpu.  Memory: --no-huge, which DPDK backs with a memfd
# that vhost-user can share, so no hugepages are needed.
# The rate is the vhost port's (tx cell: packets it dequeued; rx cell:
# packets it enqueued into the driver's ring), from testpmd's per-second
# stats, averaged over S one-second samples after one of warm-up; the
# forwarding totals of both processes must add up or there is no result.
#
# --our-driver VU_BENCH: the same device testpmd, but driven by OUR driver
# harness (tests/perf/vu_bench, bench_driver as a vhost-user frontend) on
# cpu A instead of virtio_user, with the features dev_bench's driver acks
# (VERSION_1, MRG_RXBUF [, RING_PACKED] [, IN_ORDER with --in-order]).  The
# rate is then vu_bench's own (packets its driver got back per second over
# S seconds, S may be fractional), as dev_bench measures ours; the check:
# vhost's totals lie between what the driver got back and what it posted,
# the null port forwarded all of it (tx), and vhost's byte count is SIZE bytes
# a packet (what it made of our descriptors).
#   dpdk_ref.sh [--seconds S] [--our-driver VU_BENCH [--in-order]] split|packed 64|1518 tx|rx
# $DPDK_REF_VU_ARGS: more virtio_user devargs (e.g. in_order=0).
# $DPDK_REF_NULL_SIZE: the null port's frame size if not the cell's (tests).
# Prints `RUN <layout> <size> <dir> mpps=X`; exit 77 without dpdk-testpmd,
# 1 when the run failed or did not check out.
set -u
secs=2 ourdrv= vu_args=()
while [ $# -gt 3 ]; do
	case "$1" in
	--seconds) secs=$2; shift 2 ;;
	--our-driver) ourdrv=$2; shift 2 ;;
	--in-order) vu_args+=(--in-order); shift ;;
	*) break ;;
	esac
done
layout=${1:?layout} size=${2:?size} dir=${3:?dir}
usage="usage: dpdk_ref.sh [--seconds S] [--our-driver VU_BENCH [--in-order]] split|packed 64|1518 tx|rx"
case "$layout/$size/$dir" in
split/64/tx|split/64/rx|split/1518/tx|split/1518/rx) ;;
packed/64/tx|packed/64/rx|packed/1518/tx|packed/1518/rx) ;;
*) echo "$usage" >&2; exit 2 ;;
esac
[ $# = 3 ] || { echo "$usage" >&2; exit 2; }
if [ -n "$ourdrv" ]; then
	[ -x "$ourdrv" ] || { echo "dpdk_ref.sh: --our-driver: $ourdrv is not an executable" >&2; exit 2; }
	case "$secs" in ''|*[!0-9.]*|.|*.*.*) echo "dpdk_ref.sh: --seconds takes a number > 0" >&2; exit 2 ;; esac
else
	[ ${#vu_args[@]} = 0 ] || { echo "dpdk_ref.sh: --in-order goes with --our-driver" >&2; exit 2; }
	case "$secs" in ''|*[!0-9]*|0) echo "dpdk_ref.sh: --seconds takes whole seconds >= 1" >&2; exit 2 ;; esac
fi
testpmd=$(command -v dpdk-testpmd) || { echo "dpdk_ref.sh: no dpdk-testpmd (package dpdk-dev)" >&2; exit 77; }

# the same two cpus dev_bench takes: the driver on the first, device the second
mapfile -t cpus < <(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2], sep="\n")')
[ "${#cpus[@]}" -ge 2 ] || { echo "dpdk_ref.sh: needs 2 cpus" >&2; exit 77; }
cpu_drv=${cpus[0]} cpu_dev=${cpus[1]}

tmp=$(mktemp -d /tmp/vdn-dpdkref.XXXXXX)
dev_pid= drv_pid=
cleanup() {
	[ -n "$drv_pid" ] && kill -INT "$drv_pid" 2>/dev/null
	[ -n "$dev_pid" ] && kill -INT "$dev_pid" 2>/dev/null
	for p in $drv_pid $dev_pid; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${DPDK_REF_KEEP:-}" ] && cp -r "$tmp" "$DPDK_REF_KEEP"
	rm -rf "$tmp" "/var/run/dpdk/vdnref-dev-$$" "/var/run/dpdk/vdnref-drv-$$"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

stop() { # pid
	kill -INT "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
}
total() { # log port RX|TX: the port's final forwarding total
	awk -v port="$2" -v key="$3-packets:" '
		/Forward statistics for port/ { p = $6; next }
		/Accumulated forward statistics/ { p = -1 }
		p == port && $1 == key { v = $2 }
		END { print v + 0 }' "$1"
}
# testpmd prints every port's stats once a second (line-buffered through
# stdbuf): the number of periods printed so far
blocks() { grep -c 'NIC statistics for port 0' "$1"; }

eal=(--no-huge -m 512 --no-pci --log-level 4)
pmd=(--nb-cores=1 --total-num-mbufs=8192 --stats-period=1)
# tx cell: the null port's rx is switched off so the reverse stream of io
# forwarding (null -> vhost) costs the device no more than an empty poll,
# as the rx cell's reverse stream (vhost -> null) does with a driver that
# never transmits
# $DPDK_REF_NULL_SIZE: another frame size for the null port than the
# cell's, for tests that the checks catch a wrong length
nullarg="net_null0,size=${DPDK_REF_NULL_SIZE:-$size}"
[ "$dir" = tx ] && nullarg="$nullarg,no-rx=1"
vuarg="net_virtio_user0,path=$tmp/vhost.sock,queue_size=256"
[ "$layout" = packed ] && vuarg="$vuarg,packed_vq=1"
# e.g. DPDK_REF_VU_ARGS=in_order=0: the features our device offers
[ -n "${DPDK_REF_VU_ARGS:-}" ] && vuarg="$vuarg,$DPDK_REF_VU_ARGS"
mode=rxonly
[ "$dir" = tx ] && mode=txonly

stdbuf -oL "$testpmd" --lcores "0@$cpu_dev,1@$cpu_dev" "${eal[@]}" --file-prefix "vdnref-dev-$$" \
	--vdev "net_vhost0,iface=$tmp/vhost.sock,queues=1" --vdev "$nullarg" \
	-- --forward-mode=io "${pmd[@]}" >"$tmp/dev.log" 2>&1 </dev/null &
dev_pid=$!
for _ in $(seq 100); do
	[ -S "$tmp/vhost.sock" ] && break
	kill -0 "$dev_pid" 2>/dev/null || break
	sleep 0.1
done
[ -S "$tmp/vhost.sock" ] || { echo "dpdk_ref.sh: vhost testpmd did not start:" >&2; tail -5 "$tmp/dev.log" >&2; exit 1; }

if [ -n "$ourdrv" ]; then
	taskset -c "$cpu_drv" "$ourdrv" --socket "$tmp/vhost.sock" --layout "$layout" --size "$size" \
		--dir "$dir" --seconds "$secs" ${vu_args[@]+"${vu_args[@]}"} >"$tmp/drv.log" 2>&1 </dev/null
	rc=$?
	# the driver is gone (and vhost with it): one whole stats period
	# after that, the device's counters are final
	n=$(blocks "$tmp/dev.log")
	for _ in $(seq 50); do
		[ "$(blocks "$tmp/dev.log")" -ge $((n + 2)) ] && break
		kill -0 "$dev_pid" 2>/dev/null || break
		sleep 0.1
	done
	stop "$dev_pid"
	if [ "$rc" != 0 ]; then
		echo "dpdk_ref.sh: $layout $size $dir: vu_bench failed (exit $rc):" >&2
		tail -5 "$tmp/drv.log" >&2
		exit 1
	fi
	posted=$(sed -n 's/^TOTAL posted=\([0-9]*\) .*/\1/p' "$tmp/drv.log")
	back=$(sed -n 's/^TOTAL .* returned=\([0-9]*\)$/\1/p' "$tmp/drv.log")
	# the vhost port's packets and bytes in its last stats period
	key=TX
	[ "$dir" = tx ] && key=RX
	read -r pk by < <(awk -v key="$key-packets:" '
		/NIC statistics for port/ { p = $6 }
		p == 0 && $1 == key { pk = $2; by = $6 }
		END { if (pk == "") pk = by = 0; print pk, by }' "$tmp/dev.log")
	vh=$(total "$tmp/dev.log" 0 "$key")
	fwd=$vh
	[ "$dir" = tx ] && fwd=$(total "$tmp/dev.log" 1 TX)
	ok=$([ -n "$posted" ] && [ -n "$back" ] && [ "$back" -gt 0 ] && [ "$back" -le "$vh" ] &&
		[ "$vh" -le "$posted" ] && [ "$fwd" = "$vh" ] && [ "$pk" = "$vh" ] &&
		[ "$by" = $((pk * size)) ] && echo 1)
	if [ "$ok" != 1 ] || ! grep -q '^RUN ' "$tmp/drv.log"; then
		echo "dpdk_ref.sh: $layout $size $dir (our driver): does not check out: driver posted" \
			"${posted:-?}, got back ${back:-?}; vhost $vh (last period $pk packets, $by bytes)," \
			"forwarded $fwd" >&2
		exit 1
	fi
	grep '^RUN ' "$tmp/drv.log"
	exit 0
fi
stdbuf -oL "$testpmd" --lcores "0@$cpu_drv,1@$cpu_drv" "${eal[@]}" --file-prefix "vdnref-drv-$$" \
	--vdev "$vuarg" -- --forward-mode=$mode --txpkts="$size" "${pmd[@]}" \
	>"$tmp/drv.log" 2>&1 </dev/null &
drv_pid=$!

# Count the device's periods from when the driver is forwarding (its first
# print), skip one, and average the next `secs`: the last of them is
# complete once the period after it has begun.
alive() { kill -0 "$dev_pid" 2>/dev/null && kill -0 "$drv_pid" 2>/dev/null; }
for _ in $(seq 300); do
	[ "$(blocks "$tmp/drv.log")" -ge 1 ] && break
	alive || break
	sleep 0.1
done
base=$(blocks "$tmp/dev.log")
lo=$((base + 2)) hi=$((base + secs + 1))
for _ in $(seq $(((secs + 4) * 20))); do
	[ "$(blocks "$tmp/dev.log")" -gt "$hi" ] && break
	alive || break
	sleep 0.1
done
if [ "$(blocks "$tmp/drv.log")" -lt 1 ] || [ "$(blocks "$tmp/dev.log")" -le "$hi" ]; then
	echo "dpdk_ref.sh: $layout $size $dir: testpmd stopped early or never forwarded:" >&2
	tail -5 "$tmp/dev.log" "$tmp/drv.log" >&2
	exit 1
fi
# mean Rx-pps or Tx-pps of port p over the device's periods lo..hi
rate() { # log port Rx|Tx lo hi
	awk -v port="$2" -v key="$3-pps:" -v lo="$4" -v hi="$5" '
		/NIC statistics for port/ { p = $6; if (p == port) k++ }
		p == port && $1 == key && k >= lo && k <= hi { s += $2; n++ }
		END { if (n) printf "%.0f\n", s / n; else print 0 }' "$1"
}
if [ "$dir" = tx ]; then
	vhost=$(rate "$tmp/dev.log" 0 Rx $lo $hi)
else
	vhost=$(rate "$tmp/dev.log" 0 Tx $lo $hi)
fi
# Stop the driver, then the device (it drains what is in flight), and
# check testpmd's forwarding totals: every packet the vhost port took from
# the driver reached the null port, and the driver sent them all but for
# those still in its ring when it went away (tx cell); every one the vhost
# port delivered reached the driver, but for those in flight when it
# stopped (rx cell).
stop "$drv_pid"
sleep 0.3
stop "$dev_pid"
if [ "$dir" = tx ]; then
	sent=$(total "$tmp/drv.log" 0 TX) got=$(total "$tmp/dev.log" 0 RX) fwd=$(total "$tmp/dev.log" 1 TX)
	ok=$([ "$got" -gt 0 ] && [ "$got" -le "$sent" ] && [ $((sent - got)) -le 512 ] &&
		[ "$fwd" = "$got" ] && echo 1)
else
	sent=$(total "$tmp/dev.log" 0 TX) got=$(total "$tmp/drv.log" 0 RX) fwd=$sent
	# in flight when the driver stopped: its ring and what testpmd held
	ok=$([ "$got" -gt 0 ] && [ "$got" -le "$sent" ] && [ $((sent - got)) -le 4096 ] && echo 1)
fi
if [ "$ok" != 1 ] || [ "$vhost" = 0 ]; then
	echo "dpdk_ref.sh: $layout $size $dir: does not check out: vhost $vhost pps;" \
		"totals: sent $sent, received $got, forwarded $fwd" >&2
	exit 1
fi
awk -v l="$layout" -v s="$size" -v d="$dir" -v v="$vhost" \
	'BEGIN { printf "RUN %s %s %s mpps=%.3f\n", l, s, d, v / 1e6 }'
