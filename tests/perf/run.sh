#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Native ring benchmark: lib/vring's split and packed device side on one
# core against a driver on another (tests/perf/ring_bench.c).
#   tests/perf/run.sh [--quick] [ring_bench options...]
# Builds into $VDN_BUILD (default build/) if needed.  Ends with one
# `RESULT <layout> <size> <dir> mpps=... gbps=...` line per cell.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${VDN_BUILD:-$REPO/build}
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$REPO" >/dev/null || { echo "run.sh: meson setup failed" >&2; exit 2; }
fi
ninja -C "$BUILD" tests/perf/ring_bench >/dev/null || { echo "run.sh: build failed" >&2; exit 2; }
# The machine, so a table can be compared with another run's.
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: ${model:-unknown cpu}, $(nproc) cpus, kernel $(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (other work on these cores skews results)"
exec "$BUILD/tests/perf/ring_bench" "$@"
