#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run SCRIPT as root inside a real Linux kernel that has VDUSE.
#
#   tests/vm/run.sh [--kernel 6.12|7.3] [--cvq-module] [--mem MB] [--timeout S]
#                   SCRIPT [ARGS...]
#
# Boots a Debian backports kernel in QEMU (TCG: the host kernel has no VDUSE
# and its KVM cannot run stock kernels) with the host's root shared in
# read-only under a writable overlay, so the repository, the build and every
# host tool are at the same paths in the guest.  Prints the script's output
# as it runs and exits with its exit code; exits non-zero as well if the
# guest kernel logged an Oops/BUG/WARNING or the guest did not finish in time.
set -u

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)
VDN_CACHE=${VDN_CACHE:-$REPO/.cache}
# shellcheck source=lib/kernel.sh
. "$VM_DIR/lib/kernel.sh"

usage() {
	sed -n '4,5p' "$0" | sed 's/^# \{0,2\}//' >&2
	exit 2
}

KALIAS=6.12
CVQ=0
MEM=2048
TIMEOUT=600
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || usage; KALIAS=$2; shift 2 ;;
	--cvq-module) CVQ=1; shift ;;
	--mem) [ $# -ge 2 ] || usage; MEM=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; TIMEOUT=$2; shift 2 ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
case "$MEM" in '' | *[!0-9]*) die "--mem wants a number of MiB, got '$MEM'" ;; esac
case "$TIMEOUT" in '' | *[!0-9]*) die "--timeout wants a number of seconds, got '$TIMEOUT'" ;; esac
SCRIPT=$1; shift
[ -f "$SCRIPT" ] || die "no such script: $SCRIPT"
SCRIPT=$(cd "$(dirname "$SCRIPT")" && pwd)/$(basename "$SCRIPT")

[ "$(id -u)" = 0 ] || die "must run as root (9p passthrough of the host root needs it)"
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
for t in dpkg-deb depmod cpio gzip xz; do
	command -v $t >/dev/null || die "$t not found: run tests/install-deps.sh"
done

mkdir -p "$VDN_CACHE"
# one lock per cache: parallel runs must not build the same artefacts at once
exec 9>"$VDN_CACHE/.lock"
flock 9
ensure_kernel "$KALIAS"
ensure_initramfs
CVQ_KO=""
[ "$CVQ" = 1 ] && ensure_cvq_module "$KALIAS"
flock -u 9

RUN=$(mktemp -d "${TMPDIR:-/tmp}/vdn-vm.XXXXXX")
trap 'kill $QPID $TPID 2>/dev/null; rm -rf "$RUN"' EXIT
mkdir -p "$RUN/share"
: >"$RUN/share/out.log"

{
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "export HOME=/root TERM=dumb LC_ALL=C.UTF-8"
	printf 'export VDN_REPO=%q VDN_KERNEL=%q VDN_CVQ=%q VDN_IN_VM=1\n' "$REPO" "$KREL" "$CVQ"
	# which build the scenario uses (helpers.sh: $VDN_BUILD, default build/)
	[ -n "${VDN_BUILD:-}" ] && printf 'export VDN_BUILD=%q\n' "$(cd "$VDN_BUILD" && pwd)"
	echo "hostname vdn-vm; ip link set lo up"
	# Multi-threaded TCG races with the kernel's live text patching: a
	# static key flipped while another vCPU runs through it was seen to
	# oops on a stale int3 (netif_rx_internal, netstamp_needed_key, when
	# ping enabled socket timestamps under AF_XDP traffic).  Holding that
	# key on for the whole run (29: SO_TIMESTAMP) means ping never flips it.
	echo "python3 -c 'import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, 29, 1); time.sleep(1e6)' </dev/null >/dev/null 2>&1 &"
	if [ -n "$CVQ_KO" ]; then
		echo "modprobe vhost_iotlb && modprobe vdpa && insmod $(printf %q "$CVQ_KO") ||"
		echo "  { echo 'run.sh: loading the test-only vduse.ko failed' >&2; exit 2; }"
	fi
	printf 'cd %q\n' "$PWD"
	printf 'exec bash %q' "$SCRIPT"
	[ $# -gt 0 ] && printf ' %q' "$@"  # none: no empty argument
	echo
} >"$RUN/share/job.sh"

# Onlining the second vCPU late makes the kernel calibrate its delay loop,
# which under TCG fails slowly (about 1.5 s a boot).  Its preset: loops per
# jiffy = TSC ticks per jiffy (TCG's TSC is the host's; Debian's HZ is 250).
mhz=$(sed -n 's/^cpu MHz[[:space:]]*: *\([0-9]*\).*/\1/p' /proc/cpuinfo | head -1)
LPJ=${mhz:+ lpj=$((mhz * 1000000 / 250))}

# boot: run the guest once; sets timed_out
boot() {
	: >"$RUN/console.log"
	"$QEMU" -accel tcg,thread=multi -cpu max -smp 2 -m "$MEM" \
		-nodefaults -no-reboot -display none \
		-kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 loglevel=4 panic=-1 maxcpus=1$LPJ rdinit=/init" \
		-serial "file:$RUN/console.log" \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap" \
		-virtfs "local,path=$KMODS,mount_tag=modules,security_model=passthrough,readonly=on" \
		-virtfs "local,path=$RUN/share,mount_tag=results,security_model=passthrough" \
		-device virtio-rng-pci \
		>"$RUN/qemu.log" 2>&1 &
	QPID=$!
	tail -n +1 -f --pid=$QPID "$RUN/share/out.log" &
	TPID=$!

	timed_out=0
	local start=$SECONDS
	while kill -0 $QPID 2>/dev/null; do
		if [ $((SECONDS - start)) -ge "$TIMEOUT" ]; then
			timed_out=1
			kill $QPID
			break
		fi
		sleep 0.2
	done
	wait $QPID 2>/dev/null
	wait $TPID 2>/dev/null
}

# Multi-threaded TCG races with the kernel's live text patching: a vCPU can
# run a stale translation holding the int3 of a static key another vCPU has
# finished flipping, and the kernel oopses ("Oops: int3").  init.sh brings
# the second vCPU up only after boot, which removes most of it; should the
# guest still die that way before the job began (init.sh marks the start),
# nothing of the test ran, so the harness boots again (at most twice more).
for attempt in 1 2 3; do
	boot
	[ "$timed_out" = 0 ] && [ ! -e "$RUN/share/started" ] && [ ! -s "$RUN/share/rc" ] &&
		grep -aq 'Oops: int3' "$RUN/console.log" && [ "$attempt" -lt 3 ] || break
	echo "run.sh: the guest kernel oopsed on a stale int3 before the job started" \
		"(QEMU multi-threaded TCG vs. live text patching, an emulator race); booting again" >&2
	cp "$RUN/console.log" "$RUN/share/console-boot$attempt.log"
done

rc=0
if [ "$timed_out" = 1 ]; then
	echo "run.sh: FAIL: the guest did not finish within ${TIMEOUT}s (--timeout)" >&2
	rc=124
elif [ ! -s "$RUN/share/rc" ]; then
	echo "run.sh: FAIL: the guest stopped without a result; its console says:" >&2
	tail -n 40 "$RUN/console.log" >&2
	tail -n 5 "$RUN/qemu.log" >&2
	rc=125
else
	rc=$(cat "$RUN/share/rc")
fi

# The kernel's own complaints fail the run even if the script passed.
bad='Oops|BUG:|WARNING:|Kernel panic|general protection fault|UBSAN:|KASAN:|Call Trace:'
if grep -aEq "$bad" "$RUN/console.log" "$RUN/share/dmesg.log" 2>/dev/null; then
	echo "run.sh: FAIL: the guest kernel logged an error:" >&2
	grep -ahE -A12 "$bad" "$RUN/share/dmesg.log" "$RUN/console.log" 2>/dev/null | head -60 >&2
	[ "$rc" = 0 ] && rc=3
fi
if [ -n "${VDN_VM_KEEP_LOGS:-}" ]; then
	mkdir -p "$VDN_VM_KEEP_LOGS"
	cp "$RUN/console.log" "$RUN/share/"*.log "$VDN_VM_KEEP_LOGS/" 2>/dev/null
fi
exit "$rc"
