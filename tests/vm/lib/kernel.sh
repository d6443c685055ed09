# SPDX-License-Identifier: BSD-3-Clause
# Fetch and cache the Debian kernels the VM tests boot, and build the
# test-only vduse.ko whose CTRL_VQ gate is removed.  Sourced by run.sh.
#
# Everything lands under $VDN_CACHE (git-ignored).  Packages come from the
# Debian archive this machine already uses: we read the mirror URI out of the
# machine's own apt sources and keep a private apt state, so nothing on the
# host's apt configuration changes and no archive host is written here.

# alias -> Debian kernel release, the suite holding it, and its packages.
kernel_release() {
	case "$1" in
	6.12) echo "6.12.95+deb12-amd64" ;;
	7.3) echo "7.3.4+deb13-amd64" ;;
	*) return 1 ;;
	esac
}
kernel_suite() {
	case "$1" in
	6.12) echo bookworm-backports ;;
	7.3) echo trixie-backports ;;
	esac
}
# packages holding vmlinuz + modules for a kernel alias
kernel_packages() {
	case "$1" in
	6.12) echo "linux-image-$(kernel_release 6.12)-unsigned" ;;
	7.3) echo "linux-binary-$(kernel_release 7.3) linux-modules-$(kernel_release 7.3)" ;;
	esac
}

die() { echo "run.sh: error: $*" >&2; exit 2; }
note() { echo "run.sh: $*" >&2; }

# The Debian mirror URI this host already uses (deb822 or one-line format).
debian_mirror() {
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }')
	fi
	[ -n "$uri" ] || die "cannot find a Debian mirror in /etc/apt/sources.list*; add one (e.g. the one your Debian 12 install came with)"
	echo "$uri"
}

# Private apt state so `apt-get download` can see the backports suites.
APT_DIR=""
apt_private() {
	APT_DIR="$VDN_CACHE/apt"
	local stamp="$APT_DIR/updated"
	mkdir -p "$APT_DIR/sources" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	if [ ! -f "$stamp" ]; then
		cat >"$APT_DIR/sources/backports.sources" <<EOF
Types: deb
URIs: $(debian_mirror)
Suites: bookworm-backports trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
		note "updating private apt lists for the backports suites"
		apt_get update >"$APT_DIR/update.log" 2>&1 ||
			die "apt-get update for backports failed (see $APT_DIR/update.log); is the Debian mirror reachable?"
		touch "$stamp"
	fi
}
apt_get() {
	apt-get -q -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$APT_DIR/sources" \
		-o Dir::State::Lists="$APT_DIR/lists" \
		-o Dir::Cache="$APT_DIR/cache" \
		-o Dir::State::status=/dev/null "$@"
}

# Download packages (by name) into DIR and unpack them all into DIR/root.
fetch_debs() {
	local dir=$1; shift
	mkdir -p "$dir/debs" "$dir/root"
	apt_private
	(cd "$dir/debs" && apt_get download "$@" >"$dir/download.log" 2>&1) || {
		# a stale list can name a version the mirror no longer has: refresh once
		rm -f "$APT_DIR/updated"; apt_private
		(cd "$dir/debs" && apt_get download "$@" >"$dir/download.log" 2>&1) ||
			die "could not download $* (see $dir/download.log)"
	}
	local d
	for d in "$dir"/debs/*.deb; do
		dpkg-deb -x "$d" "$dir/root" || die "cannot unpack $d"
	done
}

# ensure_kernel ALIAS: sets KDIR, KREL, VMLINUZ, KMODS (dir containing lib/modules/KREL)
ensure_kernel() {
	local alias=$1
	KREL=$(kernel_release "$alias") || die "unknown kernel '$alias' (use 6.12 or 7.3)"
	KDIR="$VDN_CACHE/kernel-$KREL"
	if [ ! -f "$KDIR/ready" ]; then
		rm -rf "$KDIR"
		note "fetching Debian kernel $KREL ($(kernel_suite "$alias")), once"
		# shellcheck disable=SC2046
		fetch_debs "$KDIR" $(kernel_packages "$alias")
		[ -d "$KDIR/root/lib/modules/$KREL" ] || [ -d "$KDIR/root/usr/lib/modules/$KREL" ] ||
			die "kernel package for $KREL has no modules tree"
		# merged-/usr packages put modules under usr/lib
		if [ -d "$KDIR/root/usr/lib/modules/$KREL" ] && [ ! -d "$KDIR/root/lib/modules/$KREL" ]; then
			mkdir -p "$KDIR/root/lib/modules"
			mv "$KDIR/root/usr/lib/modules/$KREL" "$KDIR/root/lib/modules/"
		fi
		depmod -b "$KDIR/root" "$KREL" || die "depmod failed for $KREL"
		touch "$KDIR/ready"
	fi
	VMLINUZ=$(ls "$KDIR"/root/boot/vmlinuz-"$KREL" "$KDIR"/root/usr/lib/linux/vmlinuz-"$KREL" 2>/dev/null | head -1)
	[ -n "$VMLINUZ" ] || VMLINUZ=$(find "$KDIR/root" -name "vmlinuz*" | head -1)
	[ -f "$VMLINUZ" ] || die "no vmlinuz in the $KREL packages"
	KMODS="$KDIR/root/lib/modules"
	for f in "$KMODS/$KREL/kernel/drivers/vdpa/vdpa_user/vduse.ko"*; do
		[ -e "$f" ] && return 0
	done
	die "kernel $KREL has no vduse module: wrong kernel"
}

# Files a module needs, in load order (deps first), from modules.dep.
module_chain() {
	local krel=$1 mod=$2
	awk -v m="/$mod.ko" -F': *' '
		index($1, m) && (substr($1, length($1) - length(m) - 2) ~ m) {
			n = split($2, d, " ")
			for (i = n; i >= 1; i--) print d[i]
			print $1; exit
		}' "$KMODS/$krel/modules.dep"
}

# ensure_initramfs: busybox + the modules needed to mount the host root.
ensure_initramfs() {
	INITRD="$KDIR/initramfs.cpio.gz"
	local init_src="$VM_DIR/lib/init.sh"
	if [ -f "$INITRD" ] && [ "$INITRD" -nt "$init_src" ]; then return 0; fi
	local bb
	bb=$(command -v busybox) || die "busybox not found: apt-get install busybox-static"
	# the initramfs has no libc: only the static build works there
	! ldd "$bb" >/dev/null 2>&1 || die "$bb is not static: apt-get install busybox-static"
	local tmp m f
	tmp=$(mktemp -d)
	mkdir -p "$tmp/bin" "$tmp/mods" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/mnt"
	cp "$bb" "$tmp/bin/busybox"
	: >"$tmp/mods/order"
	for m in netfs 9pnet 9pnet_virtio 9p overlay; do
		for f in $(module_chain "$KREL" "$m"); do
			local base
			base=$(basename "$f"); base=${base%.xz}; base=${base%.zst}
			[ -f "$tmp/mods/$base" ] && continue
			case "$f" in
			*.xz) xz -dc "$KMODS/$KREL/$f" >"$tmp/mods/$base" ;;
			*.zst) zstd -qdc "$KMODS/$KREL/$f" >"$tmp/mods/$base" ;;
			*) cp "$KMODS/$KREL/$f" "$tmp/mods/$base" ;;
			esac
			echo "$base" >>"$tmp/mods/order"
		done
	done
	# a module built into this kernel has no entry: that is fine
	cp "$init_src" "$tmp/init"
	chmod +x "$tmp/init"
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD.tmp" || die "cannot build initramfs"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$tmp"
}

# ensure_cvq_module: the test-only vduse.ko with the CTRL_VQ gate removed.
# Sets CVQ_KO.  Only for the 6.12 kernel (the one platform.md verified).
ensure_cvq_module() {
	local alias=$1
	[ "$alias" = 6.12 ] || die "--cvq-module is only built for --kernel 6.12"
	local dir="$VDN_CACHE/cvq-$KREL"
	CVQ_KO="$dir/build/vduse.ko"
	[ -f "$CVQ_KO" ] && return 0
	rm -rf "$dir"
	note "building the test-only vduse.ko (CTRL_VQ gate removed) for $KREL, once"
	command -v pahole >/dev/null || die "pahole not found: apt-get install dwarves"
	local kver=${KREL%-amd64}
	fetch_debs "$dir" linux-source-6.12 "linux-headers-$KREL" "linux-headers-$kver-common" \
		"linux-kbuild-$kver"
	local tarball
	tarball=$(ls "$dir"/root/usr/src/linux-source-6.12.tar.* 2>/dev/null | head -1)
	[ -n "$tarball" ] || die "linux-source-6.12 has no source tarball"
	mkdir -p "$dir/build"
	tar -xf "$tarball" -C "$dir/build" --strip-components=4 --wildcards '*/drivers/vdpa/vdpa_user/*' ||
		die "cannot extract drivers/vdpa/vdpa_user from $tarball"
	patch_cvq_gate "$dir/build/vduse_dev.c"
	# the headers package includes its common half by absolute path: rebase it
	local hdr="$dir/root/usr/src/linux-headers-$KREL"
	[ -f "$hdr/Makefile" ] || die "headers for $KREL missing"
	sed -i "s|/usr/src/|$dir/root/usr/src/|" "$hdr/Makefile"
	make -C "$hdr" M="$dir/build" CONFIG_VDPA_USER=m modules >"$dir/build.log" 2>&1 ||
		{ tail -20 "$dir/build.log" >&2; die "building vduse.ko failed (log: $dir/build.log)"; }
	[ -f "$CVQ_KO" ] || die "vduse.ko was not produced (log: $dir/build.log)"
}

# Neutralise the CTRL_VQ clause of features_is_valid(): its condition
# "(config->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))" becomes "(0)", so the
# "return false" under it can never run.  Fail loudly if the source changed.
patch_cvq_gate() {
	local src=$1 n
	n=$(grep -c '(config->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))' "$src")
	[ "$n" = 1 ] || die "$src: expected one CTRL_VQ gate in features_is_valid(), found $n (source changed?)"
	sed -i 's/(config->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))/(0)/' "$src"
}
