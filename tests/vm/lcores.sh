# SPDX-License-Identifier: BSD-3-Clause
# --device lcores=: queue pairs on the lcores the map names, in its order.
#   peer [vb 10.0.0.2] --veth (2 queues)-- va <AF_PACKET, 2 qpairs> vdnet vdn0 -> eth0 [ctr 10.0.0.1]
# 1. bad maps on the command line stop vdnet before any device exists;
# 2. queues=2,lcores=2,1: pair 0 on lcore 2, pair 1 on lcore 1 (show lcores,
#    show device JSON, telemetry), both pairs carry traffic, the hand-off
#    drop counter is shown per pair;
# 3. `add device` with a bad map is refused with its reason while vdn0 keeps
#    forwarding; a good map (the spare lcore 3) is taken;
# 4. kill -9, restart with lcores=1,2: the device is taken over (lcores= is
#    not part of the takeover match) and the pairs swap lcores.
# Two queue pairs need the test vduse.ko (run.sh --cvq-module); on the stock
# module the device has one pair, served by the map's first lcore.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
MAC=02:00:00:00:00:40
LOG=/tmp/vdnet.log
SOCK=/run/vdnet.sock
PANE=/tmp/pane.log
TELEMETRY=/var/run/dpdk/vdnet-test/dpdk_telemetry.v2
. "$VDN_REPO/tests/vm/lib/console.sh"

if [ "$VDN_CVQ" = 1 ]; then NQ=2; else NQ=1; fi
# lcores 0-3 (-l 0-3) on the guest's 2 vCPUs; 3 stays spare for add device.
# The port has as many queues as the device gets pairs: a queue no pair
# polls would swallow its share of the peer's frames.
EAL=(--lcores 0@0,1@1,2@1,3@1 $VM_EAL --vdev net_af_packet0,iface=va,qpairs=$NQ
	--vdev net_af_packet1,iface=vx --)
DEV=name=vdn0,port=net_af_packet0,bus=virtio,netns=ctr,ifname=eth0,mac=$MAC,queues=2

ping_peer() { ip netns exec ctr ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; }
# the device's lcores as show device --json and telemetry report them
dev_lcores() { CTL show device vdn0 --json | json_get 'j["lcores"]'; }
tel_lcores() { telemetry /vdnet/device,vdn0 | json_get 'j["/vdnet/device"]["lcores"]'; }
# lcores_are "2 1": pair i on the i-th lcore, in show lcores (text and JSON)
lcores_are() {
	local q=0 lc want
	for lc in $1; do
		CTL show lcores | grep -Eq "^$lc +vdn0 +$q +0 .* datapath, by lcores=$" ||
			{ CTL show lcores; fail "show lcores: pair $q is not on lcore $lc"; }
		q=$((q + 1))
	done
	want=$(echo "$1" | sed 's/ /, /g')
	expect_eq "show device vdn0 --json lcores" "$(dev_lcores)" "[$want]"
	expect_eq "telemetry /vdnet/device lcores" "$(tel_lcores)" "[$want]"
	want=$(q=0; for lc in $1; do printf '%s(%s, %s)' "${sep-}" $q $lc; sep=", "; q=$((q + 1)); done)
	expect_eq "show lcores --json: (pair, lcore), placed by lcores=" \
		"$(CTL show lcores --json | json_get 'sorted((e["qp"], e["lcore"]) for e in j["lcores"] if e["device"] == "vdn0" and e["mapped"])')" \
		"[$want]"
}

step "setup: peer netns, a veth with a queue per pair, a spare veth for add device"
load_modules
make_netns peer
make_netns ctr
ip link add va numtxqueues $NQ numrxqueues $NQ type veth peer name vb numtxqueues $NQ numrxqueues $NQ ||
	fail "ip link add va/vb"
ethtool -K va tx off >/dev/null 2>&1
ethtool -K vb tx off >/dev/null 2>&1
ip link set va up
ip link set vb netns peer
ip -n peer addr add 10.0.0.2/24 dev vb
ip -n peer link set vb up
make_veth vx vy

# (each refusal costs an EAL start; the parser's other errors are the unit
# test's, and add device below shows them reach the user)
step "bad maps on the command line: vdnet stops before creating anything"
# refused MAP REGEX: vdnet with lcores=MAP exits non-zero saying REGEX
refused() {
	timeout 60 "$BUILD/app/vdnet" "${EAL[@]}" --device "$DEV,lcores=$1" >/tmp/bad.txt 2>&1 &&
		{ cat /tmp/bad.txt; fail "lcores=$1 was accepted"; }
	grep -Eq -- "$2" /tmp/bad.txt || { cat /tmp/bad.txt; fail "lcores=$1: no /$2/"; }
	[ -e /dev/vduse/vdn0 ] && fail "lcores=$1: /dev/vduse/vdn0 was created"
	ok "lcores=$1: $(grep -E -- "$2" /tmp/bad.txt)"
}
refused 0,1 "--device vdn0: lcores=: lcore 0 \(for queue pair 0\) is the main lcore"
refused 2 "lcores= names 1 lcore for 2 queue pairs \(queues=2\)"

step "vdnet with queues=2,lcores=2,1"
vdnet_start "$LOG" "${EAL[@]}" --idle-sleep 50 --socket $SOCK --device "$DEV,lcores=2,1"
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
wait_for 20 ping_peer || { cat $LOG; fail "no ping through vdn0"; }
ok "vdn0 pings its peer"
CTL show lcores
if [ $NQ = 2 ]; then
	grep -q "lcore 2 serves vdn0 queue pair 0 (port 0 queue 0) as lcores= asks" $LOG &&
		grep -q "lcore 1 serves vdn0 queue pair 1 (port 0 queue 1) as lcores= asks" $LOG ||
		{ cat $LOG; fail "the log does not say lcores 2 and 1 serve pairs 0 and 1"; }
	lcores_are "2 1"
	CTL show lcores | grep -Eq "^3 +- +.*idle: serves nothing" || fail "lcore 3 is not idle"
	CTL show device vdn0 | grep -Eq "lcores +qp0:2 qp1:1 \(as lcores= maps them\)" ||
		{ CTL show device vdn0; fail "show device: no lcores line"; }
else
	lcores_are "2"
	CTL show lcores | grep -Eq "^1 +- +.*idle: serves nothing" || fail "lcore 1 is not idle"
fi

if [ $NQ = 2 ]; then
	step "both pairs carry traffic: 8 flows from the peer over the port's 2 queues"
	qp_rx() { CTL show stats vdn0 --json | json_get "j['devices'][0]['queues'][$1]['rx_packets']"; }
	b0=$(qp_rx 0) b1=$(qp_rx 1)
	ip netns exec ctr iperf3 -s -D -1 -p 5300 >/dev/null
	wait_listen ctr 5300
	ip netns exec peer iperf3 -c 10.0.0.1 -p 5300 -P 8 -t 2 >/tmp/iperf.txt ||
		{ cat /tmp/iperf.txt; fail "iperf3 through vdn0"; }
	d0=$(($(qp_rx 0) - b0)) d1=$(($(qp_rx 1) - b1))
	[ "$d0" -gt 10 ] && [ "$d1" -gt 10 ] ||
		fail "pair 0 (lcore 2) got $d0 packets, pair 1 (lcore 1) got $d1: want both > 10"
	ok "pair 0 on lcore 2: $d0 packets to the driver; pair 1 on lcore 1: $d1"
fi

step "hand-off drops are shown per queue pair"
CTL show stats vdn0 >/tmp/stats.txt
[ "$(grep -Ec "drops:.* handoff-full=[0-9]+ " /tmp/stats.txt)" = $NQ ] ||
	{ cat /tmp/stats.txt; fail "show stats: not one handoff-full per pair"; }
ok "show stats: handoff-full on each of the $NQ pair(s)"
CTL show stats vdn0 --json >/tmp/stats.json
expect_eq "show stats --json: drops.handoff-full per pair and in the total" \
	"$(json_get 'len([q for q in j["devices"][0]["queues"] if q["drops"]["handoff-full"] >= 0]), j["devices"][0]["total"]["drops"]["handoff-full"] == sum(q["drops"]["handoff-full"] for q in j["devices"][0]["queues"])' </tmp/stats.json)" \
	"$NQ True"
expect_eq "telemetry /vdnet/stats: drop_handoff_full and lcore of qp0" \
	"$(telemetry /vdnet/stats,vdn0 | json_get '("drop_handoff_full" in j["/vdnet/stats"], j["/vdnet/stats"]["qp0"]["lcore"], "drop_handoff_full" in j["/vdnet/stats"]["qp0"])')" \
	"(True, 2, True)"
CTL show lcores | grep -Eq "^LCORE +DEVICE +QP +PORT +LOAD% +HANDOFF-FULL +ROLE" || fail "show lcores: no HANDOFF-FULL column"
expect_eq "show lcores --json: drops.handoff-full on each pair" \
	"$(CTL show lcores --json | json_get 'sum(1 for e in j["lcores"] if e["drops"]["handoff-full"] >= 0)')" $NQ

step "add device with a bad map: refused, vdn0 keeps forwarding"
# add_refused MAP REGEX
add_refused() {
	CTL add device "name=vdn1,port=net_af_packet1,bus=none,$1" >/dev/null 2>/tmp/err.txt &&
		fail "add device with $1 was accepted"
	grep -Eq -- "$2" /tmp/err.txt || { cat /tmp/err.txt; fail "add device $1: no /$2/"; }
	[ -e /dev/vduse/vdn1 ] && fail "add device $1: /dev/vduse/vdn1 was created"
	ok "$1: $(cat /tmp/err.txt)"
}
add_refused lcores=0 "add device vdn1: lcores=: lcore 0 \(for queue pair 0\) is the main lcore"
add_refused lcores=1,1 "lcores '1,1': lcore 1 is listed twice"
add_refused lcores=2 "add device vdn1: lcores=: lcore 2 \(for queue pair 0\) already serves device vdn0 queue pair 0: pick a free worker lcore"
add_refused lcores=9 "lcore 9 \(for queue pair 0\) is not one of EAL's lcores: add it to -l/-c"
add_refused queues=2,lcores=3 "lcores= names 1 lcore for 2 queue pairs"
add_refused lcores=3-2 "the range 3-2 goes backwards"
wait_for 10 ping_peer || fail "vdn0 stopped pinging after the refused adds"
ok "vdn0 still pings"
[ $NQ = 2 ] && lcores_are "2 1"

step "add device with a good map: the spare lcore 3"
CTL add device name=vdn1,port=net_af_packet1,bus=none,lcores=3 >/tmp/add.txt ||
	{ cat /tmp/add.txt; fail "add device vdn1 lcores=3"; }
CTL show lcores | grep -Eq "^3 +vdn1 +0 .*by lcores=$" || { CTL show lcores; fail "vdn1 is not on lcore 3"; }
ok "vdn1 on lcore 3"
CTL del device vdn1 >/dev/null || fail "del device vdn1"
CTL show lcores | grep -Eq "^3 +- +.*idle" || fail "lcore 3 not idle after del device"

step "kill -9, restart with lcores=1,2: taken over, the pairs swap lcores"
kill -KILL "$VDNET_PID"
wait "$VDNET_PID" 2>/dev/null
VDNET_PID=""
[ -e /dev/vduse/vdn0 ] || fail "/dev/vduse/vdn0 vanished with the daemon"
vdnet_start "$LOG" "${EAL[@]}" --idle-sleep 50 --socket $SOCK --device "$DEV,lcores=1,2"
grep -q "reattached to the existing VDUSE device" $LOG || { cat $LOG; fail "vdnet did not take vdn0 over"; }
ok "taken over with another map"
wait_for 20 ping_peer || { cat $LOG; fail "no ping after the takeover"; }
ok "vdn0 pings again"
if [ $NQ = 2 ]; then lcores_are "1 2"; else lcores_are "1"; fi

step "stop"
vdnet_stop TERM
[ -e /dev/vduse/vdn0 ] && fail "/dev/vduse/vdn0 left after a clean stop"
echo "scenario took ${SECONDS}s"
echo PASS
