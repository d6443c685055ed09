#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# examples/l2fwd/Makefile builds against a meson build dir's static libraries,
# the way a user's own program would:  l2fwd_make.sh SRCDIR BUILDDIR
set -u
src=$1 build=$2
bin=$build/examples-make/vdn_l2fwd
command -v make >/dev/null || { echo "SKIP: no make"; exit 77; }
command -v pkg-config >/dev/null || { echo "SKIP: no pkg-config"; exit 77; }
# start from nothing so a stale binary cannot pass the test
rm -f "$bin"
make -C "$src/examples/l2fwd" BUILD="$build" || { echo "FAIL: make failed"; exit 1; }
[ -x "$bin" ] || { echo "FAIL: $bin was not produced"; exit 1; }
# it must really contain the device model and the vdpa code, statically
for sym in vdn_net_create vdn_net_enqueue_burst vdn_vdpa_dev_add vdn_netdev_place; do
	nm "$bin" | grep -q " T $sym\$" || { echo "FAIL: $bin lacks $sym"; exit 1; }
done
echo "ok: $bin"
