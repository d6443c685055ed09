# SPDX-License-Identifier: BSD-3-Clause
# Crash and restart without losing the interface (issue 8, item 4):
#   peer netns [vb 10.0.0.2] --veth-- va <AF_XDP> vdnet <VDUSE> eth0 [ctr netns 10.0.0.1]
# 1. iperf3 (TCP, ctr -> peer) and a timestamped ping run; vdnet gets
#    SIGKILL; eth0 stays in ctr with its ifindex, /dev/vduse/vdn0 and the
#    state file stay;
# 2. vdnet started again with the same arguments takes the device over;
#    the ping answers again, the same iperf3 connection finishes; prints
#    outage_ms=... lost_packets=...;
# 3. SIGTERM then tears everything down (state file included);
# 4. after another SIGKILL, a restart asking for a different device is
#    refused and leaves the device alone; reattach=never replaces it.
# restart.sh cvq (with run.sh --cvq-module): the same with 2 queue pairs and
# a control queue (AF_PACKET port); after the takeover both pairs are still
# active and the control queue still answers (ethtool -L).
# restart.sh packed: the same on packed rings (resumed from the ring journal
# /run/vdnet/vdn0.rings); without the journal the restart is refused.
# restart.sh vhost: the VM path (bus=vhost) with DPDK's virtio-user in
# testpmd (txonly) as the client: after kill -9 and the takeover, frames
# from the same, still running client reach the peer again.
# restart.sh window: what happens to a request the kernel sends while no
# vdnet runs: answered by the next vdnet if it comes within msg_timeout;
# past it the device is broken, the restart says so, reattach=never helps.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
MODE=${1:-split}
MAC=02:00:00:00:00:30
LOG=/tmp/vdnet.log
SOCK=/run/vdnet.sock
STATE=/run/vdnet/vdn0.state
DEV="name=vdn0,port=net_af_xdp0,bus=virtio,netns=ctr,ifname=eth0,mac=$MAC"
eal() { echo "-l 0-1 $VM_EAL --vdev net_af_xdp0,iface=va --"; }
case $MODE in
split|window) ;;
vhost) DEV="name=vh0,port=net_af_xdp0,bus=vhost,mac=$MAC"; STATE=/run/vdnet/vh0.state ;;
packed) DEV="$DEV,packed=on" ;;
cvq)
	DEV="name=vdn0,port=net_af_packet0,bus=virtio,netns=ctr,ifname=eth0,mac=$MAC,queues=2"
	# 3 lcores (main + 2 workers) on the guest's 2 vCPUs
	eal() { echo "--lcores 0@0,1@1,2@1 $VM_EAL --vdev net_af_packet0,iface=va,qpairs=2 --"; }
	;;
*) fail "unknown mode $MODE (split, packed, cvq, window, vhost)" ;;
esac
# vdnet_run DEVICE_SPEC: start vdnet serving that --device
vdnet_run() {
	vdnet_start "$LOG" $(eal) --idle-sleep 20 --device "$1" --socket $SOCK
}
ifindex() { ip -n ctr -o link show dev eth0 2>/dev/null | cut -d: -f1; }
state_key() { awk -v k="$1" '$1 == k { print $2 }' $STATE; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
active_is() { [ "$(active)" = "$1" ]; }
# active/max queue pairs as `show stats` reports them
active() {
	"$BUILD/app/vdnet" --connect $SOCK show stats vdn0 |
		sed -n 's|.*, \([0-9]*\)/\([0-9]*\) queue pairs active.*|\1/\2|p'
}

if [ $MODE = vhost ]; then
	step "setup: peer netns, veth va/vb; vdnet serving vh0 on vhost-vdpa; testpmd txonly on it"
	load_modules
	make_netns peer
	make_veth va vb peer
	vdnet_run "$DEV"
	VHOST=$(sed -n 's/.*device vh0: \(\/dev\/vhost-vdpa-[0-9]*\).*/\1/p' $LOG | head -1)
	[ -c "$VHOST" ] || { cat $LOG; fail "no vhost-vdpa char device"; }
	rm -f /tmp/tp.in
	mkfifo /tmp/tp.in
	# --no-huge: a shared memfd, which vhost-vdpa can hand to VDUSE
	stdbuf -oL -eL dpdk-testpmd -l 0-1 --no-huge -m 512 --no-pci --file-prefix client \
		--vdev "net_virtio_user0,path=$VHOST,queue_size=256" -- --forward-mode=txonly \
		--auto-start --total-num-mbufs=4096 --rxd=256 --txd=256 --burst=16 \
		</tmp/tp.in >/tmp/testpmd.out 2>&1 &
	TP_PID=$!
	exec 3>/tmp/tp.in
	# frames testpmd's txonly sent that vb received
	vb_rx() { ip netns exec peer cat /sys/class/net/vb/statistics/rx_packets; }
	a=$(vb_rx)
	wait_for 180 sh -c "[ \$(ip netns exec peer cat /sys/class/net/vb/statistics/rx_packets) -gt $((a + 1000)) ]" ||
		{ cat /tmp/testpmd.out; fail "testpmd's frames do not reach vb"; }
	ok "testpmd's frames reach vb"
	[ "$(state_key status)" = 0xf ] || { cat $STATE; fail "state file: driver status not 0xf"; }

	step "kill -9 vdnet; the client keeps running; vdnet takes over"
	kill -KILL "$VDNET_PID"
	wait "$VDNET_PID" 2>/dev/null
	VDNET_PID=""
	T_KILL=$(now_ms)
	sleep 1
	a=$(vb_rx); sleep 1; b=$(vb_rx)
	[ $((b - a)) -lt 50 ] || fail "$((b - a)) frames/s reach vb with vdnet dead"
	ok "no frames while vdnet is down ($((b - a)) in 1 s)"
	[ -c "$VHOST" ] || fail "$VHOST vanished with the daemon"
	kill -0 $TP_PID || fail "testpmd died with vdnet"
	vdnet_run "$DEV"
	grep -q "reattached" $LOG || { cat $LOG; fail "no takeover"; }
	grep -E "resuming at|reattached" $LOG
	a=$(vb_rx)
	wait_for 60 sh -c "[ \$(ip netns exec peer cat /sys/class/net/vb/statistics/rx_packets) -gt $((a + 1000)) ]" ||
		{ cat $LOG; fail "testpmd's frames do not reach vb after the takeover"; }
	ok "the same testpmd's frames reach vb again, $(($(now_ms) - T_KILL)) ms after the kill"
	kill -0 $TP_PID || fail "testpmd died"

	step "the client quits: the device resets; SIGTERM tears down"
	echo >&3
	exec 3>&-
	wait_for 60 sh -c "! kill -0 $TP_PID" || fail "testpmd did not quit"
	wait_for 20 grep -q "driver stopped" $LOG || { cat $LOG; fail "vdnet saw no reset when testpmd quit"; }
	ok "reset seen after the takeover"
	vdnet_stop TERM
	[ ! -e "$VHOST" ] || fail "$VHOST left behind"
	[ ! -e $STATE ] || fail "$STATE left behind"
	echo PASS
	exit 0
fi

step "setup: netns peer + ctr, veth va/vb, vdnet serving eth0 in ctr"
load_modules
make_netns peer
make_netns ctr
if [ $MODE = cvq ]; then
	ip link add va numtxqueues 2 numrxqueues 2 type veth peer name vb numtxqueues 2 \
		numrxqueues 2 || fail "ip link add va/vb"
	ethtool -K va tx off >/dev/null 2>&1
	ethtool -K vb tx off >/dev/null 2>&1
	ip link set va up
	ip link set vb netns peer
	ip -n peer addr add 10.0.0.2/24 dev vb
	ip -n peer link set vb up
else
	make_veth va vb peer 10.0.0.2/24
fi
vdnet_run "$DEV"
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
wait_for 30 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || { cat $LOG; fail "no ping through eth0"; }
ok "ping through eth0"
[ -f $STATE ] || fail "no state file $STATE"
cat $STATE
expect_eq "state file: driver status" "$(state_key status)" 0xf
IDX=$(ifindex)
[ -n "$IDX" ] || fail "no ifindex for eth0"

if [ $MODE = window ]; then
	step "a request sent while vdnet is down is answered by the next vdnet"
	kill -KILL "$VDNET_PID"
	wait "$VDNET_PID" 2>/dev/null
	VDNET_PID=""
	expect_eq "msg_timeout" "$(cat /sys/class/vduse/vdn0/msg_timeout)" 30
	# removing the vdpa device resets the driver: a SET_STATUS 0 nobody reads
	vdpa dev del vdn0 &
	DEL_PID=$!
	sleep 2
	kill -0 $DEL_PID 2>/dev/null || fail "vdpa dev del did not wait for an answer"
	ok "vdpa dev del waits for the device"
	vdnet_run "$DEV"
	grep -q "reattached" $LOG || { cat $LOG; fail "no takeover"; }
	wait_for 20 sh -c "! kill -0 $DEL_PID" || fail "vdpa dev del still waiting after the takeover"
	wait $DEL_PID || fail "vdpa dev del failed"
	wait_for 10 grep -q "driver stopped" $LOG || { cat $LOG; fail "vdnet did not see the reset"; }
	ok "the new vdnet answered the pending reset: $(grep -m1 'status 0xf -> 0' $LOG)"
	ip -n ctr link show eth0 >/dev/null 2>&1 && fail "eth0 still there after vdpa dev del"
	# virtio_dev_remove() sets ACKNOWLEDGE again after the reset
	st=$(state_key status)
	[ $((st & 4)) = 0 ] || fail "state file: driver status $st after the reset, still DRIVER_OK"
	ok "state file: driver status $st after the reset"
	vdnet_stop TERM
	[ ! -e /dev/vduse/vdn0 ] || fail "/dev/vduse/vdn0 left behind"
	[ ! -e $STATE ] || fail "$STATE left behind"

	step "past msg_timeout the device is broken: the restart says so"
	vdnet_run "$DEV"
	wait_for_iface eth0 ctr
	kill -KILL "$VDNET_PID"
	wait "$VDNET_PID" 2>/dev/null
	VDNET_PID=""
	echo 1 >/sys/class/vduse/vdn0/msg_timeout || fail "cannot set msg_timeout"
	t0=$(now_ms)
	vdpa dev del vdn0 || fail "vdpa dev del"
	ok "vdpa dev del returned after $(($(now_ms) - t0)) ms (msg_timeout 1 s)"
	"$BUILD/app/vdnet" $(eal) --device "$DEV" >$LOG 2>&1 && fail "vdnet took over a broken device"
	grep "marked it broken" $LOG || { cat $LOG; fail "no message about the broken device"; }
	[ -e /dev/vduse/vdn0 ] || fail "the refused start removed the device"
	step "reattach=never replaces the broken device"
	vdnet_run "$DEV,reattach=never"
	wait_for_iface eth0 ctr
	ip -n ctr addr add 10.0.0.1/24 dev eth0
	ip -n ctr link set eth0 up
	wait_for 30 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || fail "no ping through the new eth0"
	ok "ping through the new eth0"
	vdnet_stop TERM
	expect_eq "vdpa dev show" "$(vdpa dev show)" ""
	[ ! -e /dev/vduse/vdn0 ] || fail "/dev/vduse/vdn0 left behind"
	echo PASS
	exit 0
fi
if [ $MODE = packed ]; then
	negotiated=$("$BUILD/app/vdnet" --connect $SOCK show device vdn0 |
		awk '$1 == "features" && $2 == "negotiated" {print $3}')
	expect_eq "RING_PACKED negotiated" "$(((negotiated >> 34) & 1))" 1
	[ -f /run/vdnet/vdn0.rings ] || fail "no ring journal /run/vdnet/vdn0.rings"
fi
if [ $MODE = cvq ]; then
	grep -q "refused the control queue" $LOG && fail "the cvq module refused CTRL_VQ"
	# virtio_net turns on min(pairs, CPUs) = 2 by itself
	wait_for 10 active_is 2/2 || ip netns exec ctr ethtool -L eth0 combined 2 ||
		fail "ethtool -L eth0 combined 2"
	wait_for 10 active_is 2/2 || fail "not 2 active pairs: $(active)"
	expect_eq "active pairs before the kill" "$(active)" "2/2"
	expect_eq "state file: active_qp" "$(state_key active_qp)" 2
fi

step "traffic: iperf3 ctr -> peer and a timestamped ping, 50/s"
ip netns exec peer iperf3 -s -D -1 -p 5201 >/dev/null || fail "iperf3 server"
sleep 0.5
ip netns exec ctr iperf3 -c 10.0.0.2 -p 5201 -t 25 -f m >/tmp/iperf.txt 2>&1 &
IPERF_PID=$!
ip netns exec ctr ping -D -i 0.02 -W 1 10.0.0.2 >/tmp/ping.txt 2>&1 &
PING_PID=$!
sleep 4
kill -0 $IPERF_PID 2>/dev/null || { cat /tmp/iperf.txt; fail "iperf3 is not running"; }
from_driver() {
	"$BUILD/app/vdnet" --connect $SOCK show stats vdn0 |
		sed -n 's/.*from-driver \([0-9]*\) pkts.*/\1/p' | head -1
}
a=$(from_driver); sleep 1; b=$(from_driver)
[ -n "$a" ] && [ "$b" -gt "$a" ] || fail "no traffic from the driver before the kill ($a -> $b)"
ok "traffic flowing: $((b - a)) pkts/s from the driver"

step "kill -9 vdnet: the interface stays"
T_KILL=$(now_ms)
kill -KILL "$VDNET_PID"
wait "$VDNET_PID" 2>/dev/null
VDNET_PID=""
cp $LOG /tmp/vdnet-first.log
[ -e /dev/vduse/vdn0 ] || fail "/dev/vduse/vdn0 vanished with the daemon"
expect_eq "vdpa dev show" "$(vdpa dev show | awk '{print $1}')" "vdn0:"
expect_eq "eth0's ifindex in ctr after the kill" "$(ifindex)" "$IDX"
[ -f $STATE ] || fail "the state file vanished with the daemon"
# No pause before the restart: a TCG guest needs 2-10 s to start vdnet
# anyway, and a longer outage only risks the netdev's TX watchdog warning
# (5 s with its TX ring full), which would fail the run.

step "start vdnet again with the same arguments: it takes the device over"
vdnet_run "$DEV"
T_READY=$(now_ms)
grep -q "reattached to the existing VDUSE device" $LOG || { cat $LOG; fail "vdnet did not reattach"; }
grep -E "reattached|resuming|taken over" $LOG
expect_eq "eth0's ifindex after the restart" "$(ifindex)" "$IDX"
# the first reply after the restart
end=$((SECONDS + 20))
until awk -v t="$T_READY" '/bytes from/ { gsub(/[][]/, "", $1); if ($1 * 1000 >= t) f = 1 } END { exit !f }' /tmp/ping.txt; do
	[ $SECONDS -lt $end ] || { tail -5 /tmp/ping.txt; cat $LOG; fail "no ping reply within 20 s of the restart"; }
	sleep 0.2
done
ok "ping answers again ($(($(now_ms) - T_KILL)) ms after the kill, vdnet ready $((T_READY - T_KILL)) ms after it)"

if [ $MODE = cvq ]; then
	step "after the takeover: both pairs active, the control queue answers"
	expect_eq "active pairs after the takeover" "$(active)" "2/2"
	ip netns exec ctr ethtool -L eth0 combined 1 || fail "ethtool -L eth0 combined 1"
	wait_for 10 grep -q "driver set 1 active queue pair" $LOG || { cat $LOG; fail "the control queue did not answer after the takeover"; }
	expect_eq "active pairs after ethtool -L 1" "$(active)" "1/2"
	ip netns exec ctr ethtool -L eth0 combined 2 || fail "ethtool -L eth0 combined 2"
	wait_for 10 active_is 2/2 || fail "not 2 active pairs again: $(active)"
	ok "ethtool -L through the control queue after the takeover"
fi
step "the iperf3 connection survives and completes"
wait $IPERF_PID
rc=$?
cat /tmp/iperf.txt | grep -E "sender|receiver|error" || true
[ $rc = 0 ] || { cat /tmp/iperf.txt; fail "iperf3 failed (exit $rc): the connection did not survive"; }
mbps=$(awk '/receiver/ {for (i=1;i<=NF;i++) if ($i ~ /bits\/sec/) print $(i-1)}' /tmp/iperf.txt)
[ -n "$mbps" ] && awk -v m="$mbps" 'BEGIN{exit !(m > 0)}' || fail "iperf3 moved nothing"
ok "iperf3 completed over the same TCP connection: $mbps Mbit/s on average"

step "outage and loss"
kill -INT $PING_PID
wait $PING_PID 2>/dev/null
tail -3 /tmp/ping.txt
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' /tmp/ping.txt)
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' /tmp/ping.txt)
[ -n "$sent" ] && [ -n "$recv" ] || fail "no ping summary"
# the longest silence between two replies, around the kill
outage=$(awk '/bytes from/ { gsub(/[][]/, "", $1); t = $1 * 1000; if (p && t - p > m) m = t - p; p = t }
	END { printf "%d", m }' /tmp/ping.txt)
echo "outage_ms=$outage lost_packets=$((sent - recv)) (ping: $sent sent, $recv answered; vdnet down $((T_READY - T_KILL)) ms)"
[ "$recv" -gt 0 ] && [ "$outage" -gt 0 ] || fail "no outage measured"
[ $((sent - recv)) -lt "$sent" ] || fail "every ping was lost"

step "SIGTERM tears down cleanly"
vdnet_stop TERM
ip -n ctr link show eth0 >/dev/null 2>&1 && fail "eth0 still in ctr after vdnet exited"
expect_eq "vdpa dev show" "$(vdpa dev show)" ""
[ ! -e /dev/vduse/vdn0 ] || fail "/dev/vduse/vdn0 still exists"
[ ! -e $STATE ] || fail "$STATE left behind by a clean exit"
[ ! -e /run/vdnet/vdn0.rings ] || fail "/run/vdnet/vdn0.rings left behind by a clean exit"
ok "eth0, the vdpa and VDUSE devices, the state file and the ring journal are gone"

if [ $MODE = packed ]; then
	step "packed rings without their journal: the restart is refused, the device left alone"
	vdnet_run "$DEV"
	wait_for_iface eth0 ctr
	IDX=$(ifindex)
	kill -KILL "$VDNET_PID"
	wait "$VDNET_PID" 2>/dev/null
	VDNET_PID=""
	rm /run/vdnet/vdn0.rings || fail "no ring journal"
	"$BUILD/app/vdnet" $(eal) --device "$DEV" >$LOG 2>&1 && fail "vdnet took over packed rings without a journal"
	grep "packed rings" $LOG || { cat $LOG; fail "no message about the packed rings' journal"; }
	grep -q "reattach=never" $LOG || fail "the message does not say what to do"
	expect_eq "eth0's ifindex after the refused start" "$(ifindex)" "$IDX"
	vdnet_run "$DEV,reattach=never"
	vdnet_stop TERM
	[ ! -e /run/vdnet/vdn0.rings ] || fail "ring journal left behind"
fi

step "a restart that asks for another device is refused and leaves it alone"
vdnet_run "$DEV"
wait_for_iface eth0 ctr
IDX=$(ifindex)
kill -KILL "$VDNET_PID"
wait "$VDNET_PID" 2>/dev/null
VDNET_PID=""
: >$LOG
"$BUILD/app/vdnet" $(eal) --device "$DEV,mtu=1400" >$LOG 2>&1 && fail "vdnet started with a different mtu"
grep "asks for" $LOG || { cat $LOG; fail "no message about the mismatch"; }
grep -q "reattach=never" $LOG || fail "the message does not say what to do"
expect_eq "eth0's ifindex after the refused start" "$(ifindex)" "$IDX"
[ -e /dev/vduse/vdn0 ] || fail "the refused start removed the device"

step "reattach=never replaces the device"
t0=$(now_ms)
vdnet_run "$DEV,reattach=never"
ok "replaced in $(($(now_ms) - t0)) ms"
grep -q "reattach=never: removing the existing device" $LOG || { cat $LOG; fail "no replacement logged"; }
wait_for_iface eth0 ctr
[ "$(ifindex)" != "$IDX" ] || fail "eth0 kept its ifindex: the device was not replaced"
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
wait_for 30 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || fail "no ping through the new eth0"
ok "ping through the new eth0"
vdnet_stop TERM
expect_eq "vdpa dev show" "$(vdpa dev show)" ""
[ ! -e $STATE ] || fail "$STATE left behind"
echo PASS
