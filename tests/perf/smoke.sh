#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A native benchmark (ring_bench or dev_bench) still runs: one short run per
# cell, each must end in a RESULT line with a packet rate above zero (the
# benchmarks print none for a cell that failed their own checks).  Speed is
# not judged here.  dev_bench runs twice: as it measures by default, with
# the daemon's ring journal (it fails a packed run whose journal word was not
# written), and with --no-journal.
#   smoke.sh PATH/TO/BENCH
set -u
bench=$1
name=$(basename "$bench")

# one_pass [ARGS...]: all 8 cells with ARGS.  A cell that moved nothing
# gets one more pass ten times as long: a benchmark thread pinned to a core
# something else holds (another VM, a build) can starve for a 50 ms cell;
# a datapath that is broken moves nothing in 500 ms either.
one_pass() {
	try_pass 0.05 "$@" && return 0
	echo "note: a cell moved nothing in 50 ms; once more with 500 ms cells"
	try_pass 0.5 "$@" || { echo "FAIL: a cell moved nothing in 500 ms either"; exit 1; }
}

# try_pass SECONDS [ARGS...]: exits on a failure, returns 1 if a cell moved
# nothing
try_pass() {
	secs=$1
	shift
	out=$("$bench" --runs 1 --seconds "$secs" "$@")
	rc=$?
	echo "$out"
	[ "$rc" = 77 ] && { echo "SKIP: $name cannot run here"; exit 77; }
	[ "$rc" = 0 ] || { echo "FAIL: $name $* exited $rc"; exit 1; }
	for layout in split packed; do
		for size in 64 1518; do
			for dir in tx rx; do
				line=$(echo "$out" | grep "^RESULT $layout $size $dir ") || {
					echo "FAIL: $* no RESULT for $layout $size $dir"; exit 1; }
				echo "$line" | grep -Eq ' mpps=[0-9]+\.[0-9]+ gbps=[0-9]+\.[0-9]+' || {
					echo "FAIL: malformed: $line"; exit 1; }
				echo "$line" | grep -q ' mpps=0\.000 ' && {
					echo "nothing moved: $line"; return 1; }
			done
		done
	done
	n=$(echo "$out" | grep -c '^RESULT ')
	[ "$n" = 8 ] || { echo "FAIL: $* $n RESULT lines, want 8"; exit 1; }
	echo "ok: 8 cells $*"
}

if [ "$name" = dev_bench ]; then
	one_pass
	echo "$out" | grep -q 'ring journal on' || { echo "FAIL: dev_bench ran without its journal"; exit 1; }
	one_pass --no-journal
	echo "$out" | grep -q 'ring journal off' || { echo "FAIL: --no-journal kept the journal"; exit 1; }
else
	one_pass
fi
