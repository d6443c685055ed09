# SPDX-License-Identifier: BSD-3-Clause
# The control queue through the kernel's own virtio_net driver (issue 4):
#   peer netns [vb 10.0.0.2] --veth-- va <AF_PACKET x4> vdnet <VDUSE> eth0 [ctr 10.0.0.1]
# (AF_PACKET: its fanout spreads flows over the port's queues; DPDK 22.11's
# AF_XDP PMD needs "combined" channels, which a veth does not have.)
# With the test-only vduse.ko (run.sh --cvq-module): MAC change seen on the
# wire, VLAN filter (100 passes, 200 dropped and counted), promiscuous and
# multicast filtering, `ethtool -L` to 1, 2 and 4 queue pairs with traffic
# spread only over the active ones.  On the stock module the same setup
# runs in fallback mode: no control queue, 1 pair, traffic still passes.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
MAC=02:00:00:00:00:10
NEWMAC=02:00:00:00:00:22
OTHER=02:00:00:00:00:99
LOG=/tmp/vdnet.log
FR="$VDN_REPO/tests/vm/progs/frames.py"
SOCK=/run/vdnet.sock
CTL() { "$BUILD/app/vdnet" --connect "$SOCK" "$@"; }

# 5 lcores (main + 4 workers) on the guest's 2 vCPUs; --idle-sleep makes
# idle workers yield the CPU they share.
if [ "$VDN_CVQ" = 1 ]; then NQ=4; else NQ=1; fi
VDNET_ARGS=(--lcores 0@0,1@1,2@1,3@1,4@1 $VM_EAL --vdev "net_af_packet0,iface=va,qpairs=$NQ"
	-- --idle-sleep 50 --socket $SOCK
	--device name=vdn0,port=net_af_packet0,bus=virtio,netns=ctr,ifname=eth0,mac=$MAC,queues=4)

step "setup: netns peer + ctr (IPv6 off: no background chatter), veth va/vb with $NQ queue(s)"
load_modules
for ns in peer ctr; do
	make_netns $ns
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add va numtxqueues $NQ numrxqueues $NQ type veth peer name vb numtxqueues $NQ numrxqueues $NQ ||
	fail "ip link add va/vb"
# partial checksums and hw-inserted VLAN tags would not survive AF_XDP
ethtool -K va tx off >/dev/null 2>&1
sysctl -qw net.ipv6.conf.va.disable_ipv6=1
ethtool -K vb tx off txvlan off >/dev/null 2>&1
ip link set va up
ip link set vb netns peer
ip -n peer addr add 10.0.0.2/24 dev vb
ip -n peer link set vb up

step "start vdnet (queues=4)"
vdnet_start "$LOG" "${VDNET_ARGS[@]}"
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
wait_for 20 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 1" || fail "eth0 has no carrier"

# active pairs as the device reports them in `show stats`
active() { CTL show stats vdn0 | sed -n 's|.*, \([0-9]*\)/\([0-9]*\) queue pairs active.*|\1/\2|p'; }

if [ "$VDN_CVQ" != 1 ]; then
	step "stock vduse: fallback mode"
	grep -q "refused the control queue" "$LOG" || { cat "$LOG"; fail "no fallback log line"; }
	ok "vdnet said it runs without the control queue"
	expect_eq "active pairs" "$(active)" "1/1"
	ip netns exec ctr ethtool -L eth0 combined 2 2>/dev/null && fail "ethtool -L worked without MQ"
	ok "ethtool -L refused (no MQ)"
	out=$(ip netns exec ctr ping -c 10 -i 0.2 -W 2 10.0.0.2) || { echo "$out"; fail "ping failed"; }
	echo "$out" | grep -q " 0% packet loss" || fail "ping lost packets"
	ok "ping through 1 pair"
	vdnet_stop TERM
	echo PASS
	exit 0
fi

# filtered: the device's filter drops summed over its queue pairs
filtered() { CTL show stats vdn0 | grep -o 'filtered=[0-9]*' | awk -F= '{s += $2} END {print s + 0}'; }
# deliver DST [VID]: 20 frames from the peer to DST; prints how many eth0
# in the container saw.
deliver() {
	: >/tmp/count.txt
	# a frame that passes arrives well within 4 s even under TCG; the
	# counter stops early once all 20 are in
	ip netns exec ctr python3 "$FR" count eth0 4 20 >/tmp/count.txt &
	local rp=$!
	wait_for 20 grep -q ready /tmp/count.txt || echo "counter did not start" >&2
	ip netns exec peer python3 "$FR" send vb "$1" 20 ${2:-} || echo "sending frames failed" >&2
	wait $rp
	tail -n 1 /tmp/count.txt
}
# expect_pass WHAT DST [VID] / expect_drop WHAT DST [VID]
expect_pass() {
	local got
	got=$(deliver "$2" ${3:-})
	[ "$got" -ge 20 ] || { CTL show stats vdn0; CTL show device vdn0 | tail -n 5; tail -n 20 "$LOG"
		fail "$1: container saw $got of 20 frames, want all"; }
	ok "$1: passes (20/20)"
}
expect_drop() {
	local before got
	before=$(filtered)
	got=$(deliver "$2" ${3:-})
	local d=$(($(filtered) - before))
	[ "$got" = 0 ] || fail "$1: container saw $got frames, want none"
	[ "$d" -ge 20 ] || fail "$1: device counted $d filtered drops, want >= 20"
	ok "$1: dropped by the device filter ($d counted)"
}

step "control queue in use"
grep -q "refused the control queue" "$LOG" && { cat "$LOG"; fail "the cvq module refused CTRL_VQ"; }
out=$(ip netns exec ctr ping -c 5 -i 0.2 -W 2 10.0.0.2) || { echo "$out"; cat "$LOG"; fail "ping failed"; }
ok "ping"
expect_drop "unicast to another MAC" $OTHER
expect_pass "unicast to the device MAC" $MAC
expect_pass "broadcast" ff:ff:ff:ff:ff:ff

step "MAC change: ip link set dev eth0 address $NEWMAC"
ip -n ctr link set dev eth0 address $NEWMAC || fail "MAC change refused"
wait_for 10 grep -q "driver set MAC $NEWMAC" "$LOG" || fail "the device did not get ADDR_SET"
ok "device got ADDR_SET $NEWMAC"
expect_eq "vdpa config mac" "$(vdpa dev config show vdn0 | grep -o 'mac [0-9a-f:]*' | cut -d' ' -f2)" "$NEWMAC"
ip -n peer neigh flush dev vb
ip netns exec ctr ping -c 3 -W 2 10.0.0.2 >/dev/null || fail "no ping after the MAC change"
peer_mac=$(ip -n peer neigh show 10.0.0.1 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
expect_eq "MAC the peer sees for 10.0.0.1" "$peer_mac" "$NEWMAC"
expect_pass "unicast to the new MAC" $NEWMAC
expect_drop "unicast to the old MAC" $MAC

step "promiscuous on/off"
ip -n ctr link set eth0 promisc on
expect_pass "promisc on: unicast to another MAC" $OTHER
ip -n ctr link set eth0 promisc off
expect_drop "promisc off: unicast to another MAC" $OTHER

step "multicast: join, leave, allmulticast"
expect_drop "group not joined" 01:00:5e:01:02:03
ip -n ctr maddr add 01:00:5e:01:02:03 dev eth0 || fail "ip maddr add"
expect_pass "group joined" 01:00:5e:01:02:03
expect_drop "another group" 01:00:5e:05:06:07
ip -n ctr maddr del 01:00:5e:01:02:03 dev eth0 || fail "ip maddr del"
expect_drop "group left" 01:00:5e:01:02:03
ip -n ctr link set eth0 allmulticast on
expect_pass "allmulticast on: any group" 01:00:5e:05:06:07
ip -n ctr link set eth0 allmulticast off
expect_drop "allmulticast off" 01:00:5e:05:06:07

step "VLAN filter: 100 added, 200 not"
ip -n ctr link add link eth0 name eth0.100 type vlan id 100 || fail "add eth0.100"
ip -n ctr addr add 10.0.100.1/24 dev eth0.100
ip -n ctr link set eth0.100 up
for vid in 100 200; do
	ip -n peer link add link vb name vb.$vid type vlan id $vid || fail "add vb.$vid"
	ip -n peer addr add 10.0.$vid.2/24 dev vb.$vid
	ip -n peer link set vb.$vid up
done
out=$(ip netns exec ctr ping -c 5 -i 0.2 -W 2 10.0.100.2) || { echo "$out"; fail "no ping over VLAN 100"; }
ok "ping over VLAN 100"
expect_pass "VLAN 100 frames" $NEWMAC 100
expect_drop "VLAN 200 frames" $NEWMAC 200
before=$(filtered)
ip netns exec peer ping -c 3 -W 1 10.0.200.1 >/dev/null 2>&1 && fail "ping over VLAN 200 answered"
d=$(($(filtered) - before))
[ "$d" -ge 1 ] || fail "VLAN 200 ARP: device counted $d filtered drops, want some"
ok "VLAN 200 traffic from the peer dropped by the device ($d counted)"
ip -n ctr link del eth0.100
expect_drop "VLAN 100 after eth0.100 is gone" $NEWMAC 100
expect_pass "untagged still passes" $NEWMAC

step "multiqueue: ethtool -L eth0 combined N"
# to-driver packets per queue pair
qp_rx() { CTL show stats vdn0 | sed -n 's|^ *qp \([0-9]*\) *to-driver \([0-9]*\) pkts.*|\1 \2|p'; }
for n in 1 2 4; do
	ip netns exec ctr ethtool -L eth0 combined $n || fail "ethtool -L eth0 combined $n"
	wait_for 10 sh -c "'$BUILD/app/vdnet' --connect $SOCK show stats vdn0 | grep -q ', $n/4 queue pairs active'" ||
		{ CTL show stats vdn0; fail "device does not report $n/4 active pairs"; }
	ok "device reports $n/4 queue pairs active"
	qp_rx >/tmp/qp-before.txt
	ip netns exec ctr iperf3 -s -D -1 -p 5300 >/dev/null
	wait_listen ctr 5300
	ip netns exec peer iperf3 -c 10.0.0.1 -p 5300 -P 8 -t 3 -f m >/tmp/iperf.txt ||
		{ cat /tmp/iperf.txt; cat "$LOG"; fail "iperf3 with $n pair(s) failed"; }
	mbps=$(awk '/SUM.*receiver/ {for (i=1;i<=NF;i++) if ($i ~ /bits\/sec/) print $(i-1)}' /tmp/iperf.txt)
	[ -n "$mbps" ] && awk -v m="$mbps" 'BEGIN{exit !(m > 0)}' || { cat /tmp/iperf.txt; fail "no throughput with $n pair(s)"; }
	qp_rx >/tmp/qp-after.txt
	used=0
	while read -r q after; do
		b=$(awk -v q="$q" '$1 == q {print $2}' /tmp/qp-before.txt)
		delta=$((after - b))
		echo "  qp $q: $delta packets to the driver"
		if [ "$q" -ge $n ]; then
			[ "$delta" = 0 ] || fail "$delta packets went to inactive pair $q (active $n)"
		elif [ "$delta" -gt 50 ]; then
			used=$((used + 1))
		fi
	done </tmp/qp-after.txt
	if [ $n -gt 1 ]; then
		[ $used -ge 2 ] || fail "8 flows used only $used of $n active pairs"
	fi
	ok "$n pair(s): $mbps Mbit/s over 8 flows, $used pair(s) carried them, none beyond $n"
done

step "stats and teardown"
CTL show stats vdn0
vdnet_stop TERM
echo "scenario took ${SECONDS}s"
echo PASS
