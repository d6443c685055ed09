# SPDX-License-Identifier: BSD-3-Clause
# Shared pieces of VM scenario scripts (tests/vm/*.sh run inside the guest by
# tests/vm/run.sh).  Source it:  . "$VDN_REPO/tests/vm/lib/helpers.sh"
set -u

[ "${VDN_IN_VM:-}" = 1 ] || { echo "this scenario runs inside the test VM: tests/vm/run.sh $0" >&2; exit 2; }

BUILD=${VDN_BUILD:-$VDN_REPO/build}
STEP=0

fail() { echo "FAIL: $*" >&2; exit 1; }
# the time since the scenario began shows where its minutes go
step() { STEP=$((STEP + 1)); echo "--- [$STEP] $* (at ${SECONDS}s)"; }
ok() { echo "ok: $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	ok "$1 = '$3'"
}

# Modules a scenario needs; there is no udev in the guest, so load them all.
load_modules() {
	local m
	for m in vduse virtio_vdpa vhost_vdpa virtio_net veth 8021q "$@"; do
		modprobe "$m" || fail "modprobe $m failed"
	done
	[ -c /dev/vduse/control ] || fail "/dev/vduse/control missing after modprobe vduse"
}

# make_netns NS: a fresh network namespace with loopback up
make_netns() {
	ip netns add "$1" || fail "ip netns add $1"
	ip -n "$1" link set lo up
}

# make_veth A B [NS_B [ADDR_B]]: a veth pair, B optionally moved into NS_B
# and given ADDR_B.  B's TX checksum offload is turned off: a veth hands out
# frames with partial checksums, which an AF_XDP "wire" would carry as bad.
make_veth() {
	local a=$1 b=$2 ns=${3:-} addr=${4:-}
	ip link add "$a" type veth peer name "$b" || fail "ip link add $a/$b"
	ethtool -K "$b" tx off >/dev/null 2>&1
	ethtool -K "$a" tx off >/dev/null 2>&1
	ip link set "$a" up
	if [ -n "$ns" ]; then
		ip link set "$b" netns "$ns" || fail "move $b to $ns"
		[ -n "$addr" ] && ip -n "$ns" addr add "$addr" dev "$b"
		ip -n "$ns" link set "$b" up
	else
		[ -n "$addr" ] && ip addr add "$addr" dev "$b"
		ip link set "$b" up
	fi
}

# in_ns NS CMD...: run CMD in NS, or in the root namespace when NS is empty
in_ns() {
	local ns=$1; shift
	if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# wait_for SECONDS CMD...: poll CMD until it succeeds, fail after SECONDS
wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# wait_listen NS PORT: until a TCP server listens on PORT in NS (a server
# started in the background needs a moment; on a loaded host, more than a
# fixed sleep gives it)
wait_listen() {
	wait_for 30 sh -c "ip netns exec $1 ss -Hltn 'sport = :$2' | grep -q ." ||
		fail "nothing listens on TCP port $2 in netns $1 after 30s"
}

# wait_for_iface IFNAME [NS [SECONDS]]
wait_for_iface() {
	local ifname=$1 ns=${2:-} t=${3:-30}
	wait_for "$t" in_ns "$ns" ip link show dev "$ifname" ||
		fail "interface $ifname did not appear${ns:+ in netns $ns} within ${t}s"
}

# vdnet_start LOG VDNET_ARGS...: start the daemon in the background (its pid
# in VDNET_PID) and wait until it says it is serving; fail with its log if not.
VDNET_PID=""
vdnet_start() {
	local log=$1; shift
	: >"$log"
	stdbuf -oL -eL "$BUILD/app/vdnet" "$@" >"$log" 2>&1 &
	VDNET_PID=$!
	local end=$((SECONDS + 90))
	until grep -q "vdnet: ready" "$log"; do
		if ! kill -0 "$VDNET_PID" 2>/dev/null; then
			cat "$log" >&2
			fail "vdnet exited before it was ready"
		fi
		[ $SECONDS -lt $end ] || { cat "$log" >&2; fail "vdnet not ready within 90s"; }
		sleep 0.2
	done
	ok "vdnet serving (pid $VDNET_PID)"
}

# vdnet_stop [SIGNAL]: stop the daemon and wait; fails if it hangs > 20 s
# or exits non-zero.
vdnet_stop() {
	local sig=${1:-TERM} i
	[ -n "$VDNET_PID" ] || return 0
	kill -"$sig" "$VDNET_PID" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$VDNET_PID" 2>/dev/null || break
		sleep 0.2
	done
	kill -0 "$VDNET_PID" 2>/dev/null && fail "vdnet did not exit within 20s of SIG$sig"
	wait "$VDNET_PID"
	local rc=$?
	VDNET_PID=""
	[ "$rc" = 0 ] || fail "vdnet exited with status $rc after SIG$sig"
}

# EAL options for the test VM: no hugepages, small memory, no PCI scan.
VM_EAL="--no-huge -m 512 --no-pci --file-prefix vdnet-test"

# xfer FROM_NS TO_NS TO_ADDR PORT [BYTES]: BYTES (default 4 MiB) over TCP
# from FROM_NS to TO_NS must arrive with the sender's SHA-256
xfer() {
	local prog="$VDN_REPO/tests/vm/progs/tcp_xfer.py" rp s r
	ip netns exec "$2" python3 "$prog" recv "$4" >/tmp/recv.txt &
	rp=$!
	wait_listen "$2" "$4"
	s=$(ip netns exec "$1" python3 "$prog" send "$3" "$4" "${5:-4194304}") || fail "send $1->$2 failed"
	wait $rp || fail "receive in $2 failed"
	r=$(cat /tmp/recv.txt)
	expect_eq "$1->$2 bytes+sha256" "${r#recv }" "${s#send }"
}

# iperf_moved FILE...: each iperf3 -f m report must show data received
iperf_moved() {
	local f mbps
	for f in "$@"; do
		mbps=$(awk '/receiver/ {for (i=1;i<=NF;i++) if ($i ~ /bits\/sec/) print $(i-1)}' "$f")
		[ -n "$mbps" ] && awk -v m="$mbps" 'BEGIN{exit !(m > 0)}' || fail "no throughput in $f"
		ok "throughput $(basename "$f"): $mbps Mbit/s"
	done
}
