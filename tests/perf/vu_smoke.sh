#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# DPDK's vhost behind our driver harness (dpdk_ref.sh --our-driver vu_bench)
# still runs: one very short run in each layout, size and direction (four
# cells that cover all of them, each run starts a testpmd), plus one with
# IN_ORDER; each must print its RUN line with a rate above zero (dpdk_ref.sh
# prints none for a run that failed vu_bench's or its own checks).  And one
# run with frames of the wrong size must fail.  Speed is not judged here.
#   vu_smoke.sh PATH/TO/vu_bench
set -u
vu=$1
ref=$(dirname "$0")/dpdk_ref.sh
command -v dpdk-testpmd >/dev/null || { echo "SKIP: no dpdk-testpmd"; exit 77; }
[ "$(nproc)" -ge 2 ] || { echo "SKIP: needs 2 cpus"; exit 77; }
n=0
for cell in "split 64 tx" "split 1518 rx" "packed 64 rx" "packed 1518 tx"; do
	set -- $cell
	layout=$1 size=$2 dir=$3
	out=$("$ref" --seconds 0.1 --our-driver "$vu" "$layout" "$size" "$dir" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" = 0 ] || { echo "FAIL: $layout $size $dir: dpdk_ref.sh exited $rc"; exit 1; }
	echo "$out" | grep -Eq "^RUN $layout $size $dir mpps=[0-9]+\.[0-9]+$" || {
		echo "FAIL: no RUN line for $layout $size $dir"; exit 1; }
	echo "$out" | grep -q ' mpps=0\.000$' && {
		echo "FAIL: nothing moved: $layout $size $dir"; exit 1; }
	n=$((n + 1))
done
# and once with IN_ORDER, which takes other paths on both sides
out=$("$ref" --seconds 0.1 --our-driver "$vu" --in-order packed 64 tx 2>&1)
echo "$out"
echo "$out" | grep -Eq '^RUN packed 64 tx mpps=[0-9]+\.[0-9]+$' || { echo "FAIL: --in-order"; exit 1; }
# the checks bite: vhost delivers 64 B frames where the driver expects
# 1518 B ones, so the run must fail and print no RUN line
out=$(DPDK_REF_NULL_SIZE=64 "$ref" --seconds 0.1 --our-driver "$vu" split 1518 rx 2>&1)
rc=$?
echo "$out"
{ [ "$rc" = 1 ] && ! echo "$out" | grep -q '^RUN '; } ||
	{ echo "FAIL: wrong RX lengths went unnoticed (exit $rc)"; exit 1; }
echo "ok: $n cells and one in order; wrong lengths caught"
