# SPDX-License-Identifier: BSD-3-Clause
# Devices added and removed at runtime while another keeps forwarding,
# `set queues`, the control queue's state in `show device`, rates in JSON:
#   peer  [vb 10.0.0.2] --veth-- va <AF_XDP>      vdnet vdn0 -> eth0 [ctr  10.0.0.1]
#   peer2 [vd 10.0.1.2] --veth-- vc <AF_PACKET>   vdnet vdn1 -> eth0 [ctr2 10.0.1.1]  (console)
#   peer3 [vg 10.0.2.2] --veth-- ve <AF_PACKET>   vdnet vdn2 -> eth0 [ctr3 10.0.2.1]  (--socket)
# With the test-only vduse.ko (run.sh --cvq-module) vdn1 has a control
# queue and 2 queue pairs: its driver's MAC/VLAN/RX-mode state shows up in
# `show device`, and `set queues` narrows the spreading to 1 pair.  On the
# stock module vdn1 has no control queue and 1 pair, and says so.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
MAC0=02:00:00:00:00:10
MAC1=02:00:00:00:01:10
MAC2=02:00:00:00:02:10
SOCK=/run/vdnet.sock
PANE=/tmp/pane.log
TELEMETRY=/var/run/dpdk/vdnet-test/dpdk_telemetry.v2
. "$VDN_REPO/tests/vm/lib/console.sh"

# vdn1's pairs: one worker lcore each, plus one for vdn0; all on the guest's
# 2 vCPUs (--idle-sleep lets idle workers yield)
if [ "$VDN_CVQ" = 1 ]; then NQ=2; LCORES=0@0,1@1,2@1,3@1; else NQ=1; LCORES=0@0,1@1,2@1; fi
VDNET_ARGS=(--lcores $LCORES $VM_EAL --vdev net_af_xdp0,iface=va
	--vdev net_af_packet1,iface=vc,qpairs=$NQ --vdev net_af_packet2,iface=ve
	-- --idle-sleep 50 --socket $SOCK
	--device name=vdn0,port=net_af_xdp0,bus=virtio,netns=ctr,ifname=eth0,mac=$MAC0)
SPEC1=name=vdn1,port=net_af_packet1,bus=virtio,netns=ctr2,ifname=eth0,mac=$MAC1,queues=2
SPEC2=name=vdn2,port=net_af_packet2,bus=virtio,netns=ctr3,ifname=eth0,mac=$MAC2

ping_in() { ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }
# up_in NS ADDR: the device's netdev in NS gets ADDR and carrier
up_in() {
	wait_for_iface eth0 "$1"
	ip -n "$1" addr add "$2" dev eth0
	ip -n "$1" link set eth0 up
	wait_for 20 sh -c "ip netns exec $1 cat /sys/class/net/eth0/carrier | grep -qx 1" ||
		fail "eth0 in $1 has no carrier"
}
# gone NAME NS: no vdpa device, no VDUSE device, no netdev left
gone() {
	vdpa dev show "$1" >/dev/null 2>&1 && fail "vdpa device $1 still exists"
	[ -e "/dev/vduse/$1" ] && fail "/dev/vduse/$1 still exists"
	ip -n "$2" link show eth0 >/dev/null 2>&1 && fail "eth0 still in $2"
	ok "$1: vdpa device, /dev/vduse/$1 and the netdev in $2 are gone"
}

step "setup: three peers and three containers"
load_modules
modprobe macvlan || fail "modprobe macvlan"
for ns in peer peer2 peer3 ctr ctr2 ctr3; do
	make_netns $ns
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
make_veth va vb peer 10.0.0.2/24
ip link add vc numtxqueues $NQ numrxqueues $NQ type veth peer name vd numtxqueues $NQ numrxqueues $NQ ||
	fail "ip link add vc/vd"
ethtool -K vc tx off >/dev/null 2>&1
ethtool -K vd tx off txvlan off >/dev/null 2>&1
ip link set vc up
ip link set vd netns peer2
ip -n peer2 addr add 10.0.1.2/24 dev vd
ip -n peer2 link set vd up
make_veth ve vg peer3 10.0.2.2/24

step "vdnet -i with one device (vdn0), spare lcores and ports"
console_start "${VDNET_ARGS[@]}"
up_in ctr 10.0.0.1/24
wait_for 20 ping_in ctr 10.0.0.2 || fail "no ping through vdn0"
ok "vdn0 pings its peer"
# vdn0 pings all along: adding and removing others must not disturb it
ip netns exec ctr ping -i 0.2 10.0.0.2 >/tmp/bg-ping.txt 2>&1 &
BG=$!
con "show lcores" "^2 +- +- +- +- +- +idle: serves nothing"

step "add device through the console"
CON_WAIT=60 con "add device $SPEC1" "vdn1: added on port net_af_packet1, netdev eth0 in netns ctr2"
up_in ctr2 10.0.1.1/24
wait_for 20 ping_in ctr2 10.0.1.2 || fail "no ping through vdn1"
ok "vdn1 pings its peer"
con "show devices" "vdn1 +virtio +$MAC1 +1500 +up +[12]/$NQ .*eth0@ctr2"
con "show lcores" "^2 +vdn1 +0 +1 "
[ $NQ = 2 ] && con "show lcores" "^3 +vdn1 +1 +1 "

step "rates in JSON: the first show stats already has them"
ip netns exec ctr2 ping -c 10 -i 0.1 10.0.1.2 >/dev/null || fail "ping through vdn1"
CTL show stats vdn1 --json >/tmp/st.json || fail "show stats vdn1 --json"
pps=$(json_get 'j["devices"][0]["total"]["tx_pps"]' </tmp/st.json)
bps=$(json_get 'j["devices"][0]["total"]["tx_bps"]' </tmp/st.json)
awk -v p="$pps" -v b="$bps" 'BEGIN { exit !(p > 0 && b > 0) }' ||
	{ cat /tmp/st.json; fail "first show stats: tx_pps $pps tx_bps $bps, want > 0"; }
ok "first show stats: from-driver $pps pps, $bps bit/s"
expect_eq "gso_segs and rx_pps per queue (json)" \
	"$(json_get '"gso_segs" in j["devices"][0]["queues"][0] and "rx_pps" in j["devices"][0]["queues"][0]' </tmp/st.json)" True
tel=$(telemetry /vdnet/stats,vdn1)
expect_eq "telemetry rates and gso_segs" \
	"$(echo "$tel" | json_get 'all(k in j["/vdnet/stats"] for k in ("tx_pps", "tx_bps", "rx_pps", "rx_bps", "gso_segs"))')" True
ip netns exec ctr2 ping -c 30 -i 0.1 10.0.1.2 >/dev/null &
P=$!
sleep 1
con "show stats vdn1" "from-driver [1-9][0-9]* pkts [0-9]+ B \([1-9][0-9]* pps"
wait $P

step "runtime errors: one line each, nothing disturbed"
con "add device $SPEC2" "error: add device vdn2: no free lcore"
con "add device name=vdn0,port=net_af_packet2" "error: add device vdn0: the name is taken"
con "add device name=vdn9,port=net_af_xdp0" "error: add device vdn9: port net_af_xdp0 is in use by device vdn0"
con "add device name=vdn9,port=net_nope" "error: add device vdn9: no port 'net_nope' \(ports: 0 net_af_xdp0, 1 net_af_packet1, 2 net_af_packet2\)"
con "add device name=vdn9" "error: device 'name=vdn9': port= is required"
con "add device bogus" "error: device 'bogus': 'bogus' is not key=value"
con "add device name=vdn9,port=2,queues=99" "error: device .*queues '99': want 1..16"
con "add device" "error: missing argument \(usage: add device SPEC\)"
con "del device nosuch" "error: no device named 'nosuch'"
con "del device vdn0 vdn1" "error: unexpected argument 'vdn1'"
con "set queues vdn1 0" "error: queues '0': want 1..$NQ"
con "set queues vdn1 abc" "error: queues 'abc': want 1..$NQ"
con "set queues vdn1 $((NQ + 1))" "error: queues '$((NQ + 1))': want 1..$NQ"
con "set queues nosuch 1" "error: no device named 'nosuch'"
"$BUILD/app/vdnet" --connect $SOCK add device name=vdn9,port=net_af_xdp0 2>/tmp/err.txt &&
	fail "--connect add device on a used port exited 0"
grep -q "port net_af_xdp0 is in use by device vdn0" /tmp/err.txt || { cat /tmp/err.txt; fail "no reason over the socket"; }
ok "over the socket: $(cat /tmp/err.txt)"
wait_for 10 ping_in ctr2 10.0.1.2 || fail "vdn1 stopped pinging after the errors"
con "show devices" "vdn1 +virtio"
ok "still serving both"

step "set queues"
if [ $NQ = 2 ]; then
	con "show device vdn1" "rx queues +2 \(set queues: all; driver's active pairs: 2\)"
	con "set queues vdn1 1" "vdn1: host->driver traffic spread over 1 queue pair"
	con "show device vdn1" "rx queues +1 \(set queues: 1; driver's active pairs: 2\)"
	expect_eq "rx_queues (json)" "$(CTL show device vdn1 --json | json_get '(j["rx_queues"], j["rx_queues_set"])')" "(1, 1)"
	# 8 flows from the peer: the port spreads them over both of its
	# queues; with 1 pair set, none may reach the driver's pair 1
	qp_rx() { CTL show stats vdn1 --json | json_get "j['devices'][0]['queues'][$1]['rx_packets']"; }
	b0=$(qp_rx 0) b1=$(qp_rx 1)
	ip netns exec ctr2 iperf3 -s -D -1 -p 5300 >/dev/null
	sleep 0.5
	ip netns exec peer2 iperf3 -c 10.0.1.1 -p 5300 -P 8 -t 2 >/tmp/iperf.txt || { cat /tmp/iperf.txt; fail "iperf3 through vdn1"; }
	d0=$(($(qp_rx 0) - b0)) d1=$(($(qp_rx 1) - b1))
	[ "$d1" = 0 ] || fail "set queues 1: $d1 packets reached pair 1"
	[ "$d0" -gt 100 ] || fail "set queues 1: only $d0 packets reached pair 0"
	ok "set queues 1: 8 flows, $d0 packets to pair 0, none to pair 1"
	con "set queues vdn1 2" "spread over 2 queue pair"
	con "show device vdn1" "rx queues +2 \(set queues: 2; driver's active pairs: 2\)"
else
	con "set queues vdn1 1" "vdn1: host->driver traffic spread over 1 queue pair"
	con "show device vdn1" "rx queues +1 \(set queues: 1; driver's active pairs: 1\)"
fi

step "control queue state in show device"
if [ $NQ = 2 ]; then
	con "show device vdn1" "control queue +yes"
	ip -n ctr2 link set eth0 promisc on
	wait_for 10 sh -c "'$BUILD/app/vdnet' --connect $SOCK show device vdn1 | grep -q 'promisc=1'" || fail "promisc on not shown"
	con "show device vdn1" "rx mode +promisc=1 allmulti=0 alluni=0 nomulti=0 nouni=0 nobcast=0"
	ip -n ctr2 link set eth0 promisc off
	ip -n ctr2 maddr add 01:00:5e:01:02:03 dev eth0 || fail "ip maddr add"
	ip -n ctr2 link add mv0 link eth0 address 02:00:00:00:05:05 type macvlan mode bridge || fail "add macvlan"
	ip -n ctr2 link set mv0 up
	ip -n ctr2 link add link eth0 name eth0.100 type vlan id 100 || fail "add eth0.100"
	ip -n ctr2 link add link eth0 name eth0.200 type vlan id 200 || fail "add eth0.200"
	ip -n ctr2 link set eth0.100 up
	wait_for 10 sh -c "'$BUILD/app/vdnet' --connect $SOCK show device vdn1 | grep -Eq 'vlan filter +(0,)?100,200'" ||
		{ CTL show device vdn1; fail "VLANs 100 and 200 not in the filter"; }
	con "show device vdn1" "rx mode +promisc=0"
	con "show device vdn1" "mac table unicast +.*02:00:00:00:05:05"
	con "show device vdn1" "mac table multicast +.*01:00:5E:01:02:03"
	con "show device vdn1" "vlan filter +(0,)?100,200"
	CTL show device vdn1 --json >/tmp/dev.json
	expect_eq "json filter" "$(json_get '(j["filter"]["vlans"][-2:], "01:00:5E:01:02:03" in j["filter"]["mac_multicast"], "02:00:00:00:05:05" in j["filter"]["mac_unicast"], j["filter"]["rx_mode"]["promisc"])' </tmp/dev.json)" \
		"([100, 200], True, True, False)"
	expect_eq "telemetry /vdnet/filter" "$(telemetry /vdnet/filter,vdn1 | json_get '(j["/vdnet/filter"]["cvq"], j["/vdnet/filter"]["vlans"][-2:], j["/vdnet/filter"]["promisc"])')" "(1, [100, 200], 0)"
	ip -n ctr2 link del eth0.200
	wait_for 10 sh -c "'$BUILD/app/vdnet' --connect $SOCK show device vdn1 | grep -Eq 'vlan filter +(0,)?100$'" ||
		{ CTL show device vdn1; fail "VLAN 200 still in the filter after its removal"; }
	ok "VLAN 200 left the filter with eth0.200"
else
	con "show device vdn1" "control queue +no \(the kernel refused it\)"
	con "show device vdn1" "cvq state +none: no control queue"
	con "show device vdn1" "rx mode +promisc=1 allmulti=0"
	con "show device vdn1" "vlan filter +off"
	expect_eq "json filter without cvq" "$(CTL show device vdn1 --json | json_get '(j["cvq"], j["filter"]["rx_mode"]["promisc"], j["filter"]["vlans"])')" "(False, True, [])"
	expect_eq "telemetry /vdnet/filter" "$(telemetry /vdnet/filter,vdn1 | json_get 'j["/vdnet/filter"]["cvq"]')" 0
fi

step "del device through the console"
CON_WAIT=60 con "del device vdn1" "vdn1: removed"
gone vdn1 ctr2
con "show devices" "vdn0 +virtio"
con "show lcores" "^2 +- +- +- +- +- +idle: serves nothing"
con "show device vdn1" "error: no device named 'vdn1'"
# its port was closed and released with it
con "add device $SPEC1" "error: add device vdn1: no port 'net_af_packet1'"
wait_for 10 ping_in ctr 10.0.0.2 || fail "vdn0 stopped pinging"

step "add and del through --socket"
"$BUILD/app/vdnet" --connect $SOCK add device $SPEC2 >/tmp/add.txt || { cat /tmp/add.txt; fail "--connect add device"; }
grep -q "vdn2: added on port net_af_packet2, netdev eth0 in netns ctr3" /tmp/add.txt || { cat /tmp/add.txt; fail "add reply"; }
up_in ctr3 10.0.2.1/24
wait_for 20 ping_in ctr3 10.0.2.2 || fail "no ping through vdn2"
ok "vdn2 (added over the socket) pings its peer"
expect_eq "/vdnet/devices" "$(telemetry /vdnet/devices | json_get 'j["/vdnet/devices"]')" "['vdn0', 'vdn2']"
"$BUILD/app/vdnet" --connect $SOCK del device vdn2 >/dev/null || fail "--connect del device"
gone vdn2 ctr3
"$BUILD/app/vdnet" --connect $SOCK del device vdn2 2>/dev/null && fail "second del device vdn2 exited 0"
ok "del of a deleted device fails"

step "vdn0 kept pinging all along"
kill -INT $BG
wait $BG
tail -n 3 /tmp/bg-ping.txt
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' /tmp/bg-ping.txt)
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' /tmp/bg-ping.txt)
[ -n "$sent" ] && [ "$sent" -ge 20 ] || fail "background ping sent only '$sent'"
[ "$got" -ge $((sent - 1)) ] || fail "vdn0 lost $((sent - got)) of $sent pings while devices came and went"
ok "vdn0: $got of $sent pings answered while vdn1 and vdn2 came and went"

step "quit"
CON_WAIT=40 con "quit" "vdnet-exit=0"
gone vdn0 ctr
tmux kill-server
echo "scenario took ${SECONDS}s"
echo PASS
