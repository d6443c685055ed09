#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# README quick start (1): install, build, and run the main job — vdnet
# serving a container's network interface — inside a kernel with VDUSE.
# The host kernel is used directly if it has VDUSE; otherwise the demo runs
# in the project's test VM (tests/vm/run.sh, Debian's 6.12 kernel in QEMU).
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
"$REPO/tests/install-deps.sh"
[ -f build/build.ninja ] || meson setup build
ninja -C build
if modprobe -q vduse 2>/dev/null && [ -c /dev/vduse/control ]; then
	echo "demo: this kernel has VDUSE: running on the host"
	export VDN_REPO="$REPO" VDN_IN_VM=1 # the scenario's helpers work on a host too
	exec bash "$REPO/examples/container/demo-in-vm.sh"
fi
echo "demo: this kernel has no VDUSE: running in the test VM (Debian 6.12 kernel, QEMU TCG)"
exec "$REPO/tests/vm/run.sh" --timeout 300 "$REPO/examples/container/demo-in-vm.sh"
