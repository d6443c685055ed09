# SPDX-License-Identifier: BSD-3-Clause
# The VM path with DPDK's own virtio driver as the client:
#   peer netns [vb] --veth-- va <AF_XDP> vdnet <VDUSE/vhost-vdpa> testpmd (virtio-user)
# testpmd sends a counted number of frames that must all arrive on vb, the
# peer sends a counted number that testpmd must count exactly; split rings,
# then a client asking for packed rings (split if the device does not offer
# them), then a third client after the previous one
# quit, on hugepages: the device resets and serves it without vdnet restarting.
# Argument `packed`: the device offers packed rings (packed=on), so the
# second client must get them; the others still ask for split only.
# Argument `regions`: only one client, on hugepages, whose mbuf pool spans
# more 2 MiB files (IOTLB regions) than the old 128-slot table held, used
# in turn (no mempool cache, FIFO ring) so every region carries traffic.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
PACKED=0 DEV_EXTRA="" REGIONS=0
if [ "${1:-}" = packed ]; then
	PACKED=1 DEV_EXTRA=",packed=on"
fi
[ "${1:-}" = regions ] && REGIONS=1
LOG=/tmp/vdnet.log
N_TX=96   # testpmd -> peer: 6 bursts of 16
N_RX=50   # peer -> testpmd
TP_MAC=02:00:00:00:00:21

# on failure, what the daemon saw is the first thing to look at
trap 'rc=$?; [ $rc = 0 ] || { echo "--- vdnet log (tail)"; tail -40 "$LOG"; }' EXIT

step "setup: netns peer, veth va/vb, no IPv6 chatter on the wire"
load_modules
make_netns peer
# Frames the kernel sends on its own (IPv6 DAD, router solicitations, MLD)
# would spoil the exact counts: the wire carries only what the test sends.
sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
ip netns exec peer sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
make_veth va vb peer

step "start vdnet with a vhost-vdpa device"
vdnet_start "$LOG" -l 0-1 $VM_EAL --log-level=vdnet:debug --vdev net_af_xdp0,iface=va -- --idle-sleep 20 \
	--device name=vh0,port=net_af_xdp0,bus=vhost,mac=$TP_MAC$DEV_EXTRA --socket /run/vdnet.sock
VHOST=$(sed -n 's/.*device vh0: \(\/dev\/vhost-vdpa-[0-9]*\).*/\1/p' "$LOG" | head -1)
[ -n "$VHOST" ] || { cat "$LOG"; fail "vdnet did not name a vhost-vdpa char device"; }
[ -c "$VHOST" ] || fail "$VHOST is not a character device"
ok "device vh0 is $VHOST"

# --- a testpmd client driven through a fifo -------------------------------
TP_PID=""
TP_OUT=/tmp/testpmd.out
# tp_start EXTRA_VDEV_ARGS [EAL_MEM_ARGS [TESTPMD_ARGS]]: testpmd in
# interactive mode on $VHOST.  The default memory is --no-huge: a shared
# memfd, which vhost-vdpa can hand to VDUSE (anonymous memory it would
# silently skip).
tp_start() {
	local mem=${2:---no-huge -m 512} targs=${3:---total-num-mbufs=4096}
	rm -f /tmp/tp.in
	mkfifo /tmp/tp.in
	: >"$TP_OUT"
	# shellcheck disable=SC2086
	stdbuf -oL -eL dpdk-testpmd -l 0-1 $mem --no-pci --file-prefix client \
		--vdev "net_virtio_user0,path=$VHOST,queue_size=256$1" -- \
		-i $targs --rxd=256 --txd=256 --burst=16 \
		</tmp/tp.in >>"$TP_OUT" 2>&1 &
	TP_PID=$!
	exec 3>/tmp/tp.in
	# generous: TCG on a host shared with other work can be slow
	wait_for 180 grep -q "testpmd> " "$TP_OUT" || { cat "$TP_OUT"; fail "testpmd did not reach its prompt"; }
	# virtio-user reads the MAC from the device's config space
	grep -qi "Port 0: $TP_MAC" "$TP_OUT" ||
		{ cat "$TP_OUT"; fail "testpmd's port 0 does not have the device's MAC $TP_MAC"; }
	ok "testpmd up (pid $TP_PID)"
}
tp() { echo "$*" >&3; }
# tp_stat FIELD: FIELD's value in a fresh `show port stats 0`
tp_stat() {
	local n
	n=$(grep -c "Tx-pps" "$TP_OUT")
	tp "show port stats 0"
	wait_for 30 sh -c "[ \$(grep -c Tx-pps $TP_OUT) -gt $n ]" ||
		{ tail -20 "$TP_OUT"; fail "testpmd did not answer 'show port stats 0'"; }
	tac "$TP_OUT" | grep -m1 -o "$1: *[0-9]*" | awk '{print $2}'
}
tp_quit() {
	tp "quit"
	exec 3>&-
	local _
	for _ in $(seq 300); do
		kill -0 "$TP_PID" 2>/dev/null || break
		sleep 0.2
	done
	kill -0 "$TP_PID" 2>/dev/null && { tail -20 "$TP_OUT"; fail "testpmd did not quit"; }
	wait "$TP_PID" || { tail -20 "$TP_OUT"; fail "testpmd exited with status $?"; }
	TP_PID=""
	ok "testpmd quit"
}

# capture_txonly CMD...: run CMD while capturing on vb; prints how many of
# testpmd's txonly frames (UDP 198.18.0.1 -> 198.18.0.2, from $TP_MAC) arrived.
# Waits for $N_TX of them (the host may be busy), then a little longer so
# extra frames would be counted too.
txonly_count() {
	tcpdump -r /tmp/vb.pcap -n "ether src $TP_MAC and udp and src host 198.18.0.1 and dst host 198.18.0.2" 2>/dev/null | wc -l
}
capture_txonly() {
	rm -f /tmp/vb.pcap /tmp/tcpdump.err
	ip netns exec peer tcpdump -i vb -Q in -U -w /tmp/vb.pcap 2>/tmp/tcpdump.err &
	local cap=$!
	wait_for 30 grep -q "listening on" /tmp/tcpdump.err || fail "tcpdump did not start"
	"$@"
	wait_for 30 sh -c "[ \$(tcpdump -r /tmp/vb.pcap -n 'ether src $TP_MAC and udp' 2>/dev/null | wc -l) -ge $N_TX ]"
	sleep 1
	kill -INT $cap
	wait $cap
	txonly_count
}

# send_from_peer N: N broadcast frames of an experimental ethertype from vb
send_from_peer() {
	ip netns exec peer python3 -c '
import socket, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("vb", 0))
src = bytes.fromhex("020000000099")
for i in range(n):
    s.send(b"\xff" * 6 + src + b"\x88\xb5" + i.to_bytes(4, "big") + bytes(56))
' "$1"
}

# exchange LABEL: both directions with exact counts on the running testpmd
exchange() {
	local label=$1 got rx0 rx1 tx1
	tp "set fwd rxonly"
	tp "set burst 16"
	got=$(capture_txonly tp "start tx_first $((N_TX / 16))")
	tx1=$(tp_stat TX-packets)
	expect_eq "$label: testpmd TX-packets" "$tx1" "$N_TX"
	expect_eq "$label: txonly frames that reached vb" "$got" "$N_TX"

	rx0=$(tp_stat RX-packets)
	send_from_peer "$N_RX"
	local end=$((SECONDS + 30))
	while rx1=$(tp_stat RX-packets); [ $((rx1 - rx0)) -lt "$N_RX" ] && [ $SECONDS -lt $end ]; do
		sleep 0.5
	done
	sleep 1
	rx1=$(tp_stat RX-packets)
	expect_eq "$label: frames testpmd received from the peer" "$((rx1 - rx0))" "$N_RX"
	tp "stop"
}

if [ $REGIONS = 1 ]; then
	# 150000 mbufs of ~2.3 KiB: about 170 hugepage files, one IOTLB region each
	NMBUF=150000
	step "one client on hugepages, $NMBUF mbufs used in turn"
	echo 400 >/proc/sys/vm/nr_hugepages
	expect_eq "2 MiB hugepages reserved" "$(cat /proc/sys/vm/nr_hugepages)" 400
	maps=$(grep -c "vh0: mapped IOVA" "$LOG")
	tp_start "" "--huge-dir /dev/hugepages --iova-mode=va" "--total-num-mbufs=$NMBUF --mbcache=0"
	tp "set fwd txonly"
	tp "start"
	sent() { [ "$(tp_stat TX-packets)" -ge $((NMBUF + NMBUF / 4)) ]; }
	wait_for 400 sent || fail "testpmd sent only $(tp_stat TX-packets) frames"
	tp "stop"
	regions=$(($(grep -c "vh0: mapped IOVA" "$LOG") - maps))
	echo "vdnet mapped $regions IOTLB regions"
	[ "$regions" -gt 128 ] || fail "only $regions regions mapped: the pool did not spread as planned"
	"$BUILD/app/vdnet" --connect /run/vdnet.sock show stats vh0 --json >/tmp/stats.json
	cat /tmp/stats.json
	grep -q '"total":.*"bad-chain": 0' /tmp/stats.json || fail "chains dropped as malformed"
	grep -q "IOTLB table" "$LOG" && fail "vdnet's IOTLB table overflowed"
	from=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"][0]["total"]["tx_packets"])' /tmp/stats.json)
	[ "$from" -ge "$NMBUF" ] || fail "vdnet took only $from frames from the client"
	ok "$regions regions mapped, $from frames from the client, none malformed"
	tp_quit
	vdnet_stop TERM
	echo PASS
	exit 0
fi

step "client 1: split rings, $N_TX frames out, $N_RX in"
tp_start ""
exchange "split"
grep -q "vh0: driver running" "$LOG" || { cat "$LOG"; fail "vdnet did not log the driver starting"; }
tp_quit
wait_for 10 grep -q "vh0: driver stopped\|status 0x[0-9a-f]* -> 0\b" "$LOG" ||
	{ cat "$LOG"; fail "vdnet saw no reset when testpmd quit"; }
ok "device reset when the client quit"

step "client 2: asks for packed rings (split unless the device offers them)"
tp_start ",packed_vq=1"
exchange "packed asked"
tp_quit
feat=$(grep -o "vh0: driver running: features 0x[0-9a-f]*" "$LOG" | tail -1 | awk '{print $NF}')
[ -n "$feat" ] || fail "vdnet logged no negotiated features"
# The counts above are exact either way; the layout that carried them is
# RING_PACKED (bit 34) exactly when the device offered it.
expect_eq "RING_PACKED negotiated by the packed_vq=1 client" "$(((feat >> 34) & 1))" "$PACKED"
if [ $PACKED = 1 ]; then
	ok "packed rings carried the exact counts (features $feat)"
else
	ok "no RING_PACKED offered: the client fell back to split rings (features $feat)"
fi

step "client 3: a fresh testpmd on hugepages after the previous one quit, same vdnet"
# A different memory layout from the previous clients: one hugetlbfs file per
# 2 MiB page, each its own IOTLB region, allocated while testpmd starts up.
echo 128 >/proc/sys/vm/nr_hugepages
expect_eq "2 MiB hugepages reserved" "$(cat /proc/sys/vm/nr_hugepages)" 128
kill -0 "$VDNET_PID" || fail "vdnet died"
starts=$(grep -c "vh0: driver running" "$LOG")
maps=$(grep -c "vh0: mapped IOVA" "$LOG")
# IOVA as VA: in PA mode DPDK 22.11's virtio-user hands the device ring
# addresses it never mapped (the device refuses DRIVER_OK; see README)
tp_start "" "--huge-dir /dev/hugepages --iova-mode=va"
exchange "reconnect"
# rings and mbufs span several 2 MiB files: one IOTLB region each
regions=$(($(grep -c "vh0: mapped IOVA" "$LOG") - maps))
[ "$regions" -ge 2 ] || fail "expected several IOTLB regions for a hugepage client, vdnet mapped $regions"
ok "vdnet mapped $regions IOTLB regions of the hugepage client on demand"
expect_eq "driver starts seen by vdnet" "$(grep -c 'vh0: driver running' "$LOG")" "$((starts + 1))"
tp_quit

step "vdnet still serving, then clean teardown"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show devices || fail "vdnet not answering"
vdnet_stop TERM
[ ! -e "$VHOST" ] || fail "$VHOST still exists after vdnet exited"
ok "$VHOST gone"
echo PASS
