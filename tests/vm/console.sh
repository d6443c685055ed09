# SPDX-License-Identifier: BSD-3-Clause
# The operator's console, driven for real through a pty (tmux), the same
# commands over --socket, the /vdnet telemetry endpoints, and --cmdfile:
#   peer netns [vb 10.0.0.2] --veth-- va <AF_XDP> vdnet <VDUSE> eth0 [ctr netns 10.0.0.1]
. "$VDN_REPO/tests/vm/lib/helpers.sh"
MAC=02:00:00:00:00:10
MAC2=02:00:00:00:00:22
SOCK=/run/vdnet.sock
PANE=/tmp/pane.log
VDNET="$BUILD/app/vdnet"
VDNET_ARGS=(-l 0-1 $VM_EAL --vdev net_af_xdp0,iface=va -- --idle-sleep 20
	--device name=vdn0,port=net_af_xdp0,bus=virtio,netns=ctr,ifname=eth0,mac=$MAC
	--socket $SOCK)
TELEMETRY=/var/run/dpdk/vdnet-test/dpdk_telemetry.v2

. "$VDN_REPO/tests/vm/lib/console.sh"

carrier() { ip netns exec ctr cat /sys/class/net/eth0/carrier 2>/dev/null; }
ping_ok() { ip netns exec ctr ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; }

step "setup: netns peer + ctr, veth va/vb"
load_modules
make_netns peer
make_netns ctr
make_veth va vb peer 10.0.0.2/24

step "vdnet -i in a pty (tmux)"
console_start "${VDNET_ARGS[@]}"
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
wait_for 20 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 1" || fail "eth0 has no carrier"
wait_for 20 ping_ok || fail "no ping through the device"
ok "ping through the device"

step "show commands in the console"
con "help" "set mac NAME MAC"
con "show devices" "vdn0 +virtio +$MAC +1500 +up +1/1"
con "show device vdn0" "features negotiated +0x[0-9a-f]+ .*VERSION_1"
con "show device vdn0" "status +0x0f ACKNOWLEDGE DRIVER FEATURES_OK DRIVER_OK"
con "show device vdn0" "netdev +eth0 in netns ctr"
con "show lcores" "^1 +vdn0 +0 +0 +[0-9.]+ +0 +datapath"
con "show port vdn0" "port 0 net_af_xdp0 \(driver net_af_xdp\).*used by vdn0"
con "show devices --json" '^\{"devices": \[\{"name": "vdn0"'

step "tab completion"
tmux send-keys -t c -l "sh"
keys Tab "ow "
tmux send-keys -t c -l "dev"
keys Tab "ice"
tmux send-keys -t c -l " v"
keys Tab "dn0"
keys Enter "mtu +1500"
ok "sh<Tab>dev<Tab> v<Tab> completed to 'show device vdn0'"

step "link down/up from the console is the container's carrier"
con "set link down vdn0" "vdn0: link down"
wait_for 10 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 0" || fail "carrier still 1 after link down"
ok "carrier 0"
con "set link up vdn0" "vdn0: link up"
wait_for 10 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 1" || fail "carrier still 0 after link up"
ok "carrier 1"

step "change the MAC"
con "set mac vdn0 $MAC2" "vdn0: mac $MAC2 \(netdev eth0 too\)"
expect_eq "eth0 MAC in ctr" "$(ip netns exec ctr cat /sys/class/net/eth0/address)" "$MAC2"
con "show device vdn0" "mac +$MAC2"
ip -n peer neigh flush dev vb
wait_for 20 ping_ok || fail "no ping after the MAC change"
peer_mac=$(ip -n peer neigh show 10.0.0.1 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
expect_eq "MAC the peer sees for 10.0.0.1" "$peer_mac" "$MAC2"

step "change the MTU"
con "set mtu vdn0 1400" "vdn0: mtu 1400 \(netdev eth0 too\)"
expect_eq "eth0 MTU in ctr" "$(ip netns exec ctr cat /sys/class/net/eth0/mtu)" 1400
con "set mtu vdn0 9000" "error: vdn0: netdev eth0 refused MTU 9000"
con "show device vdn0" "mtu +1400"

step "stats move with traffic"
con "clear stats" "stats cleared"
before=$("$VDNET" --connect $SOCK show stats vdn0 --json | json_get 'j["devices"][0]["total"]["tx_packets"]')
ip netns exec ctr ping -c 20 -i 0.1 -W 2 10.0.0.2 >/dev/null || fail "ping failed"
after=$("$VDNET" --connect $SOCK show stats vdn0 --json | json_get 'j["devices"][0]["total"]["tx_packets"]')
[ "$before" -lt 20 ] || fail "after clear stats the device already counted $before packets"
[ "$after" -ge $((before + 20)) ] || fail "20 pings moved from-driver packets only $before -> $after"
ok "from-driver packets $before -> $after after 20 pings"
con "show stats vdn0" "from-driver [1-9][0-9]* pkts"
con "show port 0" "tx [1-9][0-9]* pkts"

step "stop/start the datapath"
con "stop" "datapath stopped"
ping_ok && fail "ping answered while the datapath was stopped"
ok "no traffic while stopped"
con "show lcores" "datapath \(stopped\)"
con "start" "datapath started"
wait_for 10 ping_ok || fail "no ping after start"
ok "traffic after start"

step "malformed commands give one-line errors; the daemon keeps serving"
con "bogus" "error: unknown command 'bogus' \(try: help\)"
con "show nothing" "error: unknown command 'show nothing'"
con "set link sideways vdn0" "error: link state 'sideways': want up or down"
con "set link up" "error: missing argument \(usage: set link up\|down NAME\)"
con "set link up nosuch" "error: no device named 'nosuch'"
con "set mac vdn0 zz:00" "error: mac 'zz:00': not a MAC address"
con "set mac vdn0 01:00:5e:00:00:01" "error: mac '01:00:5e:00:00:01': must be a non-zero unicast"
con "set mtu vdn0 12abc" "error: mtu '12abc': want a number from 68 to 9000"
con "show device vdn0 extra" "error: unexpected argument 'extra'"
con "show device vdn0 --yaml" "error: unknown option '--yaml'"
con "show port 99" "error: no port or device '99'"
con "set log loud" "error: log level 'loud'"
con "set log debug no.such.type" "error: log type 'no.such.type': no such type"
con "set log info vdnet" "log level info for 1 type\(s\) matching vdnet"
con "format yaml" "error: format 'yaml': want json or text"
con "$(printf 'x%.0s' $(seq 300))" "error: unknown command 'xxxxxxxx"
con "format json" "show output: json"
con "show device vdn0" '"features_negotiated": \{"bits": "0x'
con "format text" "show output: text"
con "show devices" "vdn0 +virtio +$MAC2 +1400 +up"
wait_for 10 ping_ok || fail "no ping after the malformed commands"
ok "still serving"

step "the same over --socket"
"$VDNET" --connect $SOCK show device vdn0 >/tmp/dev.txt || fail "--connect show device failed"
grep -Eq "mac +$MAC2" /tmp/dev.txt || { cat /tmp/dev.txt; fail "show device over the socket"; }
"$VDNET" --connect $SOCK bogus 2>/tmp/err.txt && fail "--connect bogus exited 0"
grep -q "unknown command 'bogus'" /tmp/err.txt || { cat /tmp/err.txt; fail "no error text over the socket"; }
ok "--connect bogus: exit 1, $(cat /tmp/err.txt)"
"$VDNET" --connect $SOCK set mac vdn0 nonsense 2>/dev/null && fail "--connect set mac nonsense exited 0"
"$VDNET" --connect $SOCK set link down vdn0 >/dev/null || fail "--connect set link down"
wait_for 10 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 0" || fail "carrier 1 after link down over the socket"
"$VDNET" --connect $SOCK set link up vdn0 >/dev/null || fail "--connect set link up"
wait_for 10 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 1" || fail "carrier 0 after link up over the socket"
ok "carrier follows set link over the socket"
"$VDNET" --connect $SOCK set mac vdn0 $MAC >/dev/null || fail "--connect set mac"
expect_eq "eth0 MAC after set mac over the socket" "$(ip netns exec ctr cat /sys/class/net/eth0/address)" "$MAC"
expect_eq "lcore 1 serves (json)" "$("$VDNET" --connect $SOCK show lcores --json | json_get 'j["lcores"][0]["device"]')" vdn0
expect_eq "port name (json)" "$("$VDNET" --connect $SOCK show port net_af_xdp0 --json | json_get 'j["name"]')" net_af_xdp0
expect_eq "negotiated VERSION_1 (json)" "$("$VDNET" --connect $SOCK show device vdn0 --json | json_get '"VERSION_1" in j["features_negotiated"]["names"]')" True

step "telemetry: /vdnet endpoints"
[ -S "$TELEMETRY" ] || fail "no telemetry socket at $TELEMETRY"
expect_eq "/vdnet/devices" "$(telemetry /vdnet/devices | json_get 'j["/vdnet/devices"]')" "['vdn0']"
expect_eq "/vdnet/device,vdn0 mac" "$(telemetry /vdnet/device,vdn0 | json_get 'j["/vdnet/device"]["mac"]')" "$MAC"
tx=$(telemetry /vdnet/stats,vdn0 | json_get 'j["/vdnet/stats"]["tx_packets"]')
[ "$tx" -ge 20 ] || fail "/vdnet/stats,vdn0 tx_packets = $tx, want >= 20"
ok "/vdnet/stats,vdn0 tx_packets = $tx"
expect_eq "/vdnet/stats,vdn0 qp0 present" "$(telemetry /vdnet/stats,vdn0 | json_get '"qp0" in j["/vdnet/stats"]')" True
expect_eq "/vdnet/device,nosuch" "$(telemetry /vdnet/device,nosuch | json_get 'j["/vdnet/device"]')" None

step "quit from the console stops vdnet cleanly"
CON_WAIT=40 con "quit" "vdnet-exit=0"
ip -n ctr link show eth0 >/dev/null 2>&1 && fail "eth0 still in ctr after quit"
expect_eq "vdpa dev show" "$(vdpa dev show)" ""
ok "device gone"
tmux kill-server

step "--cmdfile"
cat >/tmp/cmds.txt <<EOF
# a comment, then commands
show devices
bogus command
set link down vdn0
show device vdn0
EOF
vdnet_start /tmp/vdnet-cmdfile.log "${VDNET_ARGS[@]}" --cmdfile /tmp/cmds.txt
wait_for 20 grep -q "cmdfile /tmp/cmds.txt: 4 command(s), 1 failed" /tmp/vdnet-cmdfile.log ||
	{ cat /tmp/vdnet-cmdfile.log; fail "--cmdfile did not finish"; }
grep -q "/tmp/cmds.txt:3: error: unknown command 'bogus'" /tmp/vdnet-cmdfile.log || fail "no file:line error"
grep -Eq "^  link +down" /tmp/vdnet-cmdfile.log || fail "set link down from the file had no effect"
ok "--cmdfile ran, reported the bad line, and applied set link"
vdnet_stop TERM
echo PASS
