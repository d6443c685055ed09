#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the nested guest's initramfs: static busybox, virtio_net and its
# dependencies from a kernel module tree, and tests/vm/l2/init.
#
#   tests/vm/l2/mkinitramfs.sh MODULES_DIR KREL OUT.cpio.gz [HOST_BINARY...]
#
# MODULES_DIR holds KREL/ (e.g. /lib/modules).  About 1 MB; seconds to build.
# HOST_BINARY (e.g. /usr/sbin/ethtool, which busybox lacks) is copied with
# the shared libraries ldd names, at the same paths.
set -eu
[ $# -ge 3 ] || { sed -n '6p' "$0" | sed 's/^# *//' >&2; exit 2; }
mods=$1 krel=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
bb=$(command -v busybox) || { echo "busybox not found: apt-get install busybox-static" >&2; exit 2; }
# the initramfs has no libc
if ldd "$bb" >/dev/null 2>&1; then echo "$bb is not static: apt-get install busybox-static" >&2; exit 2; fi
dep="$mods/$krel/modules.dep"
[ -f "$dep" ] || { echo "no $dep" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/mods" "$tmp/proc" "$tmp/sys" "$tmp/dev"
cp "$bb" "$tmp/bin/busybox"
: >"$tmp/mods/order"
# modules.dep: "path/virtio_net.ko.xz: dep1 dep2": deps load first, last
# listed first
chain=$(awk -F': *' '$1 ~ /\/virtio_net\.ko(\.[a-z]+)?$/ {
	n = split($2, d, " "); for (i = n; i >= 1; i--) print d[i]; print $1; exit }' "$dep")
[ -n "$chain" ] || { echo "virtio_net is not a module of $krel (built in?)" >&2; exit 2; }
for f in $chain; do
	base=$(basename "$f"); base=${base%.xz}; base=${base%.zst}
	case "$f" in
	*.xz) xz -dc "$mods/$krel/$f" >"$tmp/mods/$base" ;;
	*.zst) zstd -qdc "$mods/$krel/$f" >"$tmp/mods/$base" ;;
	*) cp "$mods/$krel/$f" "$tmp/mods/$base" ;;
	esac
	echo "$base" >>"$tmp/mods/order"
done
for b in "$@"; do
	[ -x "$b" ] || { echo "no executable $b" >&2; exit 2; }
	for f in "$b" $(ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$tmp$(dirname "$f")"
		cp -L "$f" "$tmp$f"
	done
done
cp "$here/init" "$tmp/init"
chmod +x "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
