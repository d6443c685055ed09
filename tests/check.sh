#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The project's test command (README.rst, .ci/run): install dependencies,
# build, run every suite.  Exits non-zero if anything failed or could not run.
#   tests/check.sh [SUITE...]      (default: unit perf-smoke vm fuzz; vm-extra
#                                  holds variants CI leaves out, run on request)
# 'unit' also runs the unit suite under ASan+UBSan in $BUILD-asan.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
BUILD=${VDN_BUILD:-build}
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit perf-smoke vm fuzz)

"$REPO/tests/install-deps.sh" || { echo "check.sh: installing dependencies failed" >&2; exit 2; }
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" || { echo "check.sh: meson setup failed" >&2; exit 2; }
fi
ninja -C "$BUILD" || { echo "check.sh: build failed" >&2; exit 2; }

start=$SECONDS
args=()
for s in "${suites[@]}"; do args+=(--suite "$s"); done
# one invocation, so meson's log holds every result; VM tests run one at a
# time anyway (each TCG guest uses both cores)
meson test -C "$BUILD" "${args[@]}" --print-errorlogs --num-processes 1
logs=("$BUILD/meson-logs/testlog.json")

if [[ " ${suites[*]} " == *" unit "* ]]; then
	ASAN=${VDN_ASAN_BUILD:-$BUILD-asan}
	[ -f "$ASAN/build.ninja" ] ||
		meson setup "$ASAN" -Db_sanitize=address,undefined -Db_lundef=false ||
		{ echo "check.sh: meson setup of $ASAN failed" >&2; exit 2; }
	ninja -C "$ASAN" || { echo "check.sh: sanitizer build failed" >&2; exit 2; }
	# UBSan only prints unless told to stop; LeakSanitizer stays on (the
	# EAL-using tests clean up).  examples/l2fwd's Makefile links the
	# sanitized libraries, so it needs the sanitizer runtimes too.
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 LDFLAGS=-fsanitize=address,undefined \
		meson test -C "$ASAN" --suite unit --print-errorlogs
	logs+=("$ASAN/meson-logs/testlog.json")
fi

# Count from meson's own JSON logs so the summary is what actually ran.
read -r passed failed skipped < <(python3 - "${logs[@]}" <<'PY'
import json, sys
p = f = s = 0
for line in (l for name in sys.argv[1:] for l in open(name)):
    r = json.loads(line)["result"]
    if r == "OK": p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
) || { echo "check.sh: no test log" >&2; exit 2; }
echo "check.sh: suites ${suites[*]} took $((SECONDS - start))s"
# A skip is not a pass: nothing in these suites is allowed to skip.
echo "$passed passed, $((failed + skipped)) failed"
[ "$passed" -gt 0 ] && [ "$failed" = 0 ] && [ "$skipped" = 0 ]
