#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Native benchmark of the device model against DPDK's vhost library, side by
# side in one run (see doc/perf.rst), plus the in-VM benchmark with --vm.
#
#   tests/perf/run.sh [--quick] [--vm] [--in-order] [--runs N] [--seconds S] [--cell L S D]...
#
# --in-order: our device offers VIRTIO_F_IN_ORDER and our driver harness
# takes it (dev_bench --in-order, and vu_bench --in-order against DPDK's
# vhost), as DPDK's two sides always negotiate it.
# Per cell {split,packed} x {64,1518} x {tx,rx}:
#   ours: tests/perf/dev_bench, drivers/vduse_net on its native transport
#         (our lean driver harness on one core, the device model + net_null
#         on a DPDK lcore on the other)
#   dpdk: tests/perf/dpdk_ref.sh, DPDK 22.11's net_vhost (librte_vhost) +
#         net_null in one testpmd, its virtio_user driver in another, one
#         core each
#   dpdk/our-driver: tests/perf/dpdk_ref.sh --our-driver, the same testpmd
#         net_vhost + net_null driven by OUR driver harness (vu_bench, a
#         vhost-user frontend around bench_driver): the same driver as ours,
#         so ratio_ourdrv compares the two devices
# Runs are interleaved (a round = every cell of ours, then of DPDK's vhost
# behind our driver, then of DPDK's pair) so machine noise hits all alike;
# each cell reports min / median / max over the rounds and the ratios of the
# medians.  Then lib/vring alone
# (ring_bench) as extra tables: on two cores, and its path length on one
# (--cost, cycles per packet, steady on a busy machine).  Ends with one line
# per measured cell:
#   RESULT split 64 tx ours_mpps=9.100 dpdk_mpps=7.000 ratio=1.30 dpdk_ourdrv_mpps=8.000 ratio_ourdrv=1.14
# and, with --vm, whatever tests/perf/vm_bench.sh prints.  A cell whose run
# failed a sanity check has no RESULT line and the exit status is 1.
# Builds into $VDN_BUILD (default build/) if needed.  Take
# `flock /tmp/vdn-bench.lock` around it on a shared machine.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${VDN_BUILD:-$REPO/build}
runs=5 secs=2 ring_secs=1 vm=0 cells=() ours_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) runs=3 secs=1 ring_secs=0.2 ;;
	--vm) vm=1 ;;
	--in-order) ours_args+=(--in-order) ;;
	--runs) runs=$2; shift ;;
	--seconds) secs=$2; shift ;;
	--cell) cells+=("$2 $3 $4"); shift 3 ;;
	*) echo "usage: run.sh [--quick] [--vm] [--in-order] [--runs N] [--seconds S] [--cell split|packed 64|1518 tx|rx]..." >&2
	   exit 2 ;;
	esac
	shift
done
case "$runs/$secs" in *[!0-9/]*|0/*|*/0) echo "run.sh: --runs and --seconds take whole numbers >= 1" >&2; exit 2 ;; esac
if [ ${#cells[@]} = 0 ]; then
	for l in split packed; do for s in 64 1518; do for d in tx rx; do
		cells+=("$l $s $d")
	done; done; done
fi

command -v dpdk-testpmd >/dev/null ||
	{ echo "run.sh: the comparison needs dpdk-testpmd (package dpdk-dev)" >&2; exit 77; }
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$REPO" >/dev/null || { echo "run.sh: meson setup failed" >&2; exit 2; }
fi
ninja -C "$BUILD" tests/perf/ring_bench tests/perf/dev_bench tests/perf/vu_bench >/dev/null ||
	{ echo "run.sh: build failed" >&2; exit 2; }

# The machine, so a table can be compared with another run's.
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: ${model:-unknown cpu}, $(nproc) cpus, kernel $(uname -r)," \
	"DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?')"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on these cores skews results)"
echo "$runs rounds, $secs s per cell and side; ours = dev_bench (drivers/vduse_net + net_null," \
	"our driver harness), dpdk = testpmd net_vhost + net_null vs testpmd virtio_user," \
	"dpdk/our-driver = the same net_vhost testpmd vs our driver harness (vu_bench)"

log=$(mktemp /tmp/vdn-perf.XXXXXX)
trap 'rm -f "$log" "$log.res"' EXIT
fail=0
for ((r = 1; r <= runs; r++)); do
	for c in "${cells[@]}"; do
		set -- $c
		"$BUILD/tests/perf/dev_bench" --runs 1 --seconds "$secs" --layout "$1" --size "$2" \
			--dir "$3" ${ours_args[@]+"${ours_args[@]}"} 2>&1 | sed -n 's/^RUN /ours /p; /^dev_bench: .*: /p' >>"$log" || fail=1
	done
	for c in "${cells[@]}"; do
		"$REPO/tests/perf/dpdk_ref.sh" --seconds "$secs" --our-driver "$BUILD/tests/perf/vu_bench" \
			${ours_args[@]+"${ours_args[@]}"} $c 2>&1 |
			sed -n 's/^RUN /ourdrv /p; /^dpdk_ref.sh: /p; /^vu_bench: /p' >>"$log"
	done
	for c in "${cells[@]}"; do
		"$REPO/tests/perf/dpdk_ref.sh" --seconds "$secs" $c 2>&1 |
			sed -n 's/^RUN /dpdk /p; /^dpdk_ref.sh: /p' >>"$log"
	done
	echo "round $r/$runs done (load $(cut -d' ' -f1 /proc/loadavg))"
done
# failures, as the tools reported them
grep -v '^ours \|^dpdk \|^ourdrv ' "$log"

# Table and RESULT lines: min/median/max Mpps per side, Gbit/s of the
# medians (frame bytes x 8), ratio of the medians; idle = share of our
# device lcore's time in polls that found nothing (mean over the rounds:
# high means our driver harness or the machine set the pace, not the device);
# ns/pkt = its CPU time per packet outside those polls (median), which other
# work time-slicing the core does not inflate; dpdk/our-drv = DPDK's vhost
# behind our driver harness, ratio = ours / that (the fair one for the
# device).
list=$(printf '%s,' "${cells[@]}")
awk -v runs="$runs" -v list="${list%,}" -v resfile="$log.res" '
	BEGIN { nc = split(list, order, ",") }
	{ split($5, kv, "="); key = $2 " " $3 " " $4; v[$1, key, ++n[$1, key]] = kv[2]
	  if (split($6, iv, "=") == 2 && iv[1] == "dev_idle") idle[key] += iv[2]
	  if (split($7, iv, "=") == 2 && iv[1] == "dev_ns") v["ns", key, ++n["ns", key]] = iv[2] }
	function stat(side, key, out,   m, i, j, t, a) {
		m = n[side, key]
		for (i = 1; i <= m; i++) a[i] = v[side, key, i]
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		out["min"] = a[1]; out["med"] = a[int(m / 2) + 1]; out["max"] = a[m]
		return m
	}
	END {
		printf "%-7s %5s %-3s | %-24s %7s %4s %6s | %-24s %7s | %6s | %-24s %6s\n", "layout",
		       "size", "dir", "ours Mpps min/med/max", "Gbit/s", "idle", "ns/pkt",
		       "dpdk Mpps min/med/max", "Gbit/s", "ratio", "dpdk/our-drv min/med/max", "ratio"
		for (k = 1; k <= nc; k++) {
			key = order[k]; split(key, f, " ")
			no = stat("ours", key, o); nd = stat("dpdk", key, d); nu = stat("ourdrv", key, u)
			so = no ? sprintf("%6.2f /%6.2f /%6.2f", o["min"], o["med"], o["max"]) : "failed"
			sd = nd ? sprintf("%6.2f /%6.2f /%6.2f", d["min"], d["med"], d["max"]) : "failed"
			go = no ? sprintf("%7.2f", o["med"] * f[2] * 8 / 1e3) : "-"
			gd = nd ? sprintf("%7.2f", d["med"] * f[2] * 8 / 1e3) : "-"
			rt = no && nd && d["med"] > 0 ? sprintf("%6.2f", o["med"] / d["med"]) : "-"
			su = nu ? sprintf("%6.2f /%6.2f /%6.2f", u["min"], u["med"], u["max"]) : "failed"
			ru = no && nu && u["med"] > 0 ? sprintf("%6.2f", o["med"] / u["med"]) : "-"
			id = no ? sprintf("%3.0f%%", idle[key] / no * 100) : "-"
			ns = stat("ns", key, c) ? sprintf("%6.1f", c["med"]) : "-"
			printf "%-7s %5s %-3s | %-24s %7s %4s %6s | %-24s %7s | %6s | %-24s %6s%s\n", f[1],
			       f[2], f[3], so, go, id, ns, sd, gd, rt, su, ru,
			       (no < runs || nd < runs || nu < runs) ? "  (runs failed)" : ""
			if (no == runs && nd == runs && nu == runs && d["med"] > 0 && u["med"] > 0)
				res[k] = sprintf("RESULT %s ours_mpps=%.3f dpdk_mpps=%.3f ratio=%.2f " \
						 "dpdk_ourdrv_mpps=%.3f ratio_ourdrv=%.2f", key, o["med"],
						 d["med"], o["med"] / d["med"], u["med"], o["med"] / u["med"])
		}
		printf "" > resfile
		for (k = 1; k <= nc; k++) if (k in res) { print res[k] > resfile } else bad = 1
		exit bad
	}' "$log" || fail=1

echo
echo "lib/vring alone (ring_bench: our driver harness vs lib/vring's device side, copies into plain buffers, no mbufs, no PMD):"
"$BUILD/tests/perf/ring_bench" --runs "$runs" --seconds "$ring_secs" | grep -v '^RESULT ' ||
	echo "(ring_bench failed)"
echo
echo "lib/vring path length (ring_bench --cost: driver and device in turns on one core, all hot in cache):"
"$BUILD/tests/perf/ring_bench" --cost || echo "(ring_bench --cost failed)"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$vm" = 1 ]; then
	if [ -x "$REPO/tests/perf/vm_bench.sh" ]; then
		"$REPO/tests/perf/vm_bench.sh" || fail=1
	else
		echo "run.sh: --vm: tests/perf/vm_bench.sh is not there yet" >&2
		fail=1
	fi
fi
# RESULT lines last, so scripts find them at the end
cat "$log.res"
exit $fail
