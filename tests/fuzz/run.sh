#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the libFuzzer targets with clang + ASan + UBSan and run each for a
# bounded time.  Fails on any finding (crash, sanitizer report, leak, hang,
# broken invariant) or if anything could not build or run.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     (default: 60 s, every target)
# The build goes to $VDN_FUZZ_BUILD (default build-fuzz); what the fuzzers
# learn accumulates in its corpus/ and findings land in its findings/.
# $VDN_FUZZ_ARGS: extra libFuzzer flags (e.g. -jobs=2, -seed=1).
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECS=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(vring vring_packed net_hdr gso cvq gro)
B=${VDN_FUZZ_BUILD:-$REPO/build-fuzz}
SEEDS=$REPO/tests/fuzz/corpus

die() { echo "fuzz: $*" >&2; exit 1; }
[[ "$SECS" =~ ^[0-9]+$ ]] && [ "$SECS" -gt 0 ] || die "SECONDS must be a positive integer"
command -v clang >/dev/null || die "clang not installed (tests/install-deps.sh)"

if [ ! -f "$B/build.ninja" ]; then
	mkdir -p "$(dirname "$B")"
	# fuzzer-no-link: coverage for libFuzzer in the libraries too;
	# no-sanitize-recover: a UBSan report must stop the run, not scroll by
	CC=clang meson setup "$B" "$REPO" -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >"$B.setup.log" 2>&1 ||
		{ cat "$B.setup.log" >&2; die "meson setup failed"; }
fi
ninja -C "$B" $(printf 'tests/fuzz/fuzz_%s ' "${TARGETS[@]}") >/dev/null ||
	{ ninja -C "$B" $(printf 'tests/fuzz/fuzz_%s ' "${TARGETS[@]}"); die "build failed"; }

# libFuzzer's own exit codes would read as a meson skip (77); every
# finding becomes a plain failure below.
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
rc=0
for t in "${TARGETS[@]}"; do
	exe=$B/tests/fuzz/fuzz_$t
	[ -x "$exe" ] || die "no fuzzer $exe"
	[ -d "$SEEDS/$t" ] || die "no seed corpus $SEEDS/$t"
	mkdir -p "$B/corpus/$t" "$B/findings/$t"
	before=$(ls "$B/findings/$t" | wc -l)
	echo "fuzz: $t for ${SECS}s"
	# new inputs go to the first directory; the checked-in seeds stay as they are
	# shellcheck disable=SC2086
	"$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$B/findings/$t/" ${VDN_FUZZ_ARGS:-} "$B/corpus/$t" "$SEEDS/$t" \
		>"$B/findings/$t.log" 2>&1
	st=$?
	after=$(ls "$B/findings/$t" | wc -l)
	grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done )' "$B/findings/$t.log"
	if [ $st -ne 0 ] || [ "$after" -ne "$before" ]; then
		tail -n 60 "$B/findings/$t.log"
		echo "fuzz: $t FAILED (exit $st); findings in $B/findings/$t/, log $B/findings/$t.log" >&2
		echo "fuzz: reproduce with $exe <finding>" >&2
		rc=1
	else
		echo "fuzz: $t ok"
	fi
done
exit $rc
