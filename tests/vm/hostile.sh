# SPDX-License-Identifier: BSD-3-Clause
# A hostile driver next to a well-behaved one (issue 8, items 1 and 3):
#   peer netns [vb 10.0.0.2] --veth-- va <AF_XDP> vdnet <VDUSE> eth0 [ctr 10.0.0.1]   good
#   wire netns [hb]          --veth-- ha <AF_XDP> vdnet <VDUSE/vhost-vdpa> hostile_vhost  evil
# hostile_vhost (tests/vm/progs) opens /dev/vhost-vdpa-N as a malicious VMM
# would and feeds malformed rings (loops, bad indexes, huge lengths, unmapped
# addresses, bad indirect tables, write flags on TX), garbage control
# commands when the device has a control queue (run with --cvq-module),
# status writes out of order and a ring outside the map, and finally a
# corrupt avail index, then resets the device.  Meanwhile the
# container device must keep forwarding ping and TCP without loss.  After:
# vdnet is still up, counted every kind of attack for the evil device (and
# the broken queue once, with one log line), nothing for the good one, and
# frames the client sent legitimately between attacks reached the wire.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
LOG=/tmp/vdnet.log
SOCK=/run/vdnet.sock
CLIENT=${1:-$BUILD/tests/vm/hostile_vhost}
[ -x "$CLIENT" ] || fail "no hostile client at $CLIENT"
VDNET="$BUILD/app/vdnet"

trap 'rc=$?; [ $rc = 0 ] || { echo "--- vdnet log (tail)"; tail -40 "$LOG"; }' EXIT
json_get() { python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

step "setup: netns peer + ctr + wire, veth va/vb and ha/hb"
load_modules
make_netns peer
make_netns ctr
make_netns wire
sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
make_veth va vb peer 10.0.0.2/24
make_veth ha hb wire

step "start vdnet: container device good, vhost-vdpa device evil"
# three lcores on two CPUs: main + one per device (idle ones sleep)
vdnet_start "$LOG" --lcores 0@0,1@1,2@0 $VM_EAL --log-level=vdnet:debug \
	--vdev net_af_xdp0,iface=va --vdev net_af_xdp1,iface=ha -- --idle-sleep 20 \
	--device name=good,port=net_af_xdp0,bus=virtio,netns=ctr,ifname=eth0,mac=02:00:00:00:00:10 \
	--device name=evil,port=net_af_xdp1,bus=vhost,mac=02:00:00:00:00:66 \
	--socket "$SOCK"
VHOST=$(sed -n 's/.*device evil: \(\/dev\/vhost-vdpa-[0-9]*\).*/\1/p' "$LOG" | head -1)
[ -c "$VHOST" ] || fail "vdnet named no vhost-vdpa device for evil (got '$VHOST')"
ok "evil is $VHOST"
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
wait_for 20 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 1" || fail "eth0 has no carrier"
ip netns exec ctr ping -c 3 -i 0.2 -W 2 10.0.0.2 >/dev/null || fail "good device: no ping before the attack"
ok "good device forwards"

step "attack: hostile client on $VHOST while the container pings and runs iperf3"
ip netns exec peer iperf3 -s -D -1 -p 5201 >/dev/null
# frames for the evil device's RX queue, all through the attack
ip netns exec wire python3 -c '
import socket, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("hb", 0))
f = b"\xff" * 6 + bytes.fromhex("020000000077") + b"\x88\xb6" + bytes(50)
end = time.time() + 600
while time.time() < end:
    s.send(f)
    time.sleep(0.02)
' &
FEED=$!
rm -f /tmp/hb.pcap /tmp/tcpdump.err
ip netns exec wire tcpdump -i hb -Q in -U -w /tmp/hb.pcap ether proto 0x88b5 2>/tmp/tcpdump.err &
CAP=$!
wait_for 30 grep -q "listening on" /tmp/tcpdump.err || fail "tcpdump did not start"
ip netns exec ctr ping -c 200 -i 0.05 -W 5 10.0.0.2 >/tmp/ping.txt 2>&1 &
PING=$!
ip netns exec ctr iperf3 -c 10.0.0.2 -p 5201 -t 8 -f m >/tmp/iperf.txt 2>&1 &
IPERF=$!
"$CLIENT" "$VHOST" | tee /tmp/hostile.txt
CRC=${PIPESTATUS[0]}
wait $PING; PRC=$?
wait $IPERF; IRC=$?
sleep 1
kill $FEED $CAP 2>/dev/null
wait $CAP 2>/dev/null
[ "$CRC" = 0 ] || fail "the hostile client saw the device misbehave (exit $CRC; see above)"
ok "every check of the hostile client passed"

step "the good device kept forwarding"
tail -2 /tmp/ping.txt
[ "$PRC" = 0 ] && grep -q " 0% packet loss" /tmp/ping.txt || fail "ping from the container lost packets during the attack"
ok "200 pings during the attack, none lost"
grep -E "sender|receiver" /tmp/iperf.txt
[ "$IRC" = 0 ] || { cat /tmp/iperf.txt; fail "iperf3 failed during the attack"; }
mbps=$(awk '/receiver/ {for (i=1;i<=NF;i++) if ($i ~ /bits\/sec/) print $(i-1)}' /tmp/iperf.txt)
awk -v m="$mbps" 'BEGIN{exit !(m > 0)}' || fail "no TCP throughput during the attack"
ok "TCP during the attack: $mbps Mbit/s"

step "vdnet is up and counted the attack on evil only"
kill -0 "$VDNET_PID" || fail "vdnet died"
"$VDNET" --connect "$SOCK" show stats >/tmp/stats.txt || fail "vdnet does not answer"
cat /tmp/stats.txt
"$VDNET" --connect "$SOCK" show stats --json >/tmp/stats.json || fail "show stats --json failed"
ev() { json_get "[d for d in j['devices'] if d['name'] == 'evil'][0]['total']$1" </tmp/stats.json; }
gd() { json_get "[d for d in j['devices'] if d['name'] == 'good'][0]['total']$1" </tmp/stats.json; }
# what the client sent between attacks was forwarded, and nothing else:
# counted by the device, and on the evil device's wire (one summary line
# per frame: -q drops tcpdump's hex dump of the unknown ethertype)
sent=$(sed -n 's/^good-tx-frames //p' /tmp/hostile.txt)
took=$(ev "['tx_packets']")
got=$(tcpdump -r /tmp/hb.pcap -n -q "ether src 02:00:00:00:00:66" 2>/dev/null | grep -c "^[0-9]")
[ "$got" = "$sent" ] && [ "$took" = "$sent" ] || tcpdump -r /tmp/hb.pcap -n -e -x 2>/dev/null | head -80
expect_eq "evil: frames on its wire (hb)" "$got" "$sent"
expect_eq "evil: frames the device took from the driver" "$took" "$sent"
for r in loop next-range xlate zero-len order indirect too-many-iov head-range len avail-idx; do
	n=$(ev "['chain_errors']['$r']")
	[ "$n" -gt 0 ] 2>/dev/null || fail "evil: no '$r' chain error counted ($n)"
	ok "evil: chain error '$r' counted $n time(s)"
done
expect_eq "evil: queues broken" "$(ev "['vq_broken']")" 1
expect_eq "evil: bad-chain drops (one per malformed chain the client sent)" \
	"$(ev "['drops']['bad-chain']")" "$(sed -n 's/^bad-chains-sent //p' /tmp/hostile.txt)"
expect_eq "good: bad-chain drops" "$(gd "['drops']['bad-chain']")" 0
expect_eq "good: bad-header drops" "$(gd "['drops']['bad-header']")" 0
expect_eq "good: chain errors, all reasons" "$(json_get "sum([d for d in j['devices'] if d['name'] == 'good'][0]['total']['chain_errors'].values())" </tmp/stats.json)" 0
expect_eq "good: queues broken" "$(gd "['vq_broken']")" 0
expect_eq "log lines about the corrupt avail index" "$(grep -c "avail index corrupt" "$LOG")" 1
grep "avail index corrupt" "$LOG"
# the whole line: device, queue, what happened, what the operator does
grep -q "evil: vq 1 (tx, pair 0): avail index corrupt .*resets the device .*vdpa dev del + add)$" "$LOG" ||
	fail "the broken-queue log line does not name device, queue and remedy in full"
# recovery: the driver's reset stopped the broken queue's device, the next
# DRIVER_OK started it afresh
sed -n '/evil: vq 1 .*avail index corrupt/,$p' "$LOG" | grep -q "evil: driver stopped" ||
	fail "no reset of evil logged after the broken queue"
sed -n '/evil: vq 1 .*avail index corrupt/,$p' "$LOG" | grep -q "evil: driver running" ||
	fail "evil did not start again after the reset"
ok "evil: reset after the broken queue, then running again"

step "the good device still forwards; clean teardown"
ip netns exec ctr ping -c 5 -i 0.2 -W 2 10.0.0.2 >/dev/null || fail "good device: no ping after the attack"
ok "ping after the attack"
vdnet_stop TERM
echo PASS
