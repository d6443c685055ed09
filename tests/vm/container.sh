# SPDX-License-Identifier: BSD-3-Clause
# The container path end to end, through the kernel's own virtio_net driver:
#   peer netns [vb 10.0.0.2] --veth-- va <AF_XDP> vdnet <VDUSE> eth0 [ctr netns 10.0.0.1]
# ping, TCP both ways (iperf3 + checksummed transfers, IPv4 and IPv6), segments towards
# the container coalesced into GUEST_TSO frames (gro_frames grows, no
# checksum or frame errors in the guest), link toggling from the daemon
# seen as carrier in the container, clean teardown, restart.
# Argument `packed` (or VDN_PACKED=1): the device also offers packed rings,
# which virtio_net then takes; without it they must not even be offered.
# Argument `inorder` (after `packed` if both): the device also offers
# VIRTIO_F_IN_ORDER; whether virtio_net takes it is the kernel's business
# (it is reported), everything else must hold either way.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
MAC=02:00:00:00:00:10
LOG=/tmp/vdnet.log
PACKED=0 DEV_EXTRA="" INORDER=0
if [ "${1:-}" = packed ] || [ "${VDN_PACKED:-0}" = 1 ]; then
	PACKED=1 DEV_EXTRA=",packed=on"
fi
if [ "${1:-}" = inorder ] || [ "${2:-}" = inorder ]; then
	INORDER=1 DEV_EXTRA="$DEV_EXTRA,in_order=on"
fi
VDNET_ARGS=(-l 0-1 $VM_EAL --vdev net_af_xdp0,iface=va -- --idle-sleep 20
	--device name=vdn0,port=net_af_xdp0,bus=virtio,netns=ctr,ifname=eth0,mac=$MAC$DEV_EXTRA
	--socket /run/vdnet.sock)

step "setup: netns peer + ctr, veth va/vb"
load_modules
make_netns peer
make_netns ctr
make_veth va vb peer 10.0.0.2/24

step "start vdnet"
vdnet_start "$LOG" "${VDNET_ARGS[@]}"
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
expect_eq "eth0 MAC in ctr" "$(ip netns exec ctr cat /sys/class/net/eth0/address)" "$MAC"
ip netns exec ctr ethtool -k eth0 | grep -qx "tcp-segmentation-offload: on" || fail "eth0 has no TSO (HOST_TSO4/6 not negotiated)"
wait_for 20 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 1" || fail "eth0 has no carrier"

step "ring layout: RING_PACKED (bit 34) negotiated iff packed=on"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show device vdn0 >/tmp/show-dev.txt || fail "show device failed"
offered=$(awk '$1 == "features" && $2 == "offered" {print $3}' /tmp/show-dev.txt)
negotiated=$(awk '$1 == "features" && $2 == "negotiated" {print $3}' /tmp/show-dev.txt)
[ -n "$offered" ] && [ -n "$negotiated" ] || { cat /tmp/show-dev.txt; fail "show device printed no features"; }
expect_eq "RING_PACKED offered" "$(((offered >> 34) & 1))" "$PACKED"
expect_eq "RING_PACKED negotiated" "$(((negotiated >> 34) & 1))" "$PACKED"
expect_eq "IN_ORDER offered" "$(((offered >> 35) & 1))" "$INORDER"
if [ $INORDER = 1 ]; then
	ok "IN_ORDER negotiated by this kernel's virtio_net: $(((negotiated >> 35) & 1))"
fi
ok "features negotiated $negotiated"
# GRO towards the driver needs GUEST_CSUM (1) and GUEST_TSO4 (7)
expect_eq "GUEST_CSUM + GUEST_TSO4 negotiated" "$(((negotiated >> 1) & 1))$(((negotiated >> 7) & 1))" 11

step "ping 20 packets from the container"
out=$(ip netns exec ctr ping -c 20 -i 0.2 -W 2 10.0.0.2) || { echo "$out"; cat "$LOG"; fail "ping failed"; }
echo "$out" | tail -2
echo "$out" | grep -q " 0% packet loss" || fail "ping lost packets"
peer_mac=$(ip -n peer neigh show 10.0.0.1 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
expect_eq "MAC the peer sees for 10.0.0.1" "$peer_mac" "$MAC"

json_get() { python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }
# gro_frames: TSO frames the device merged towards the driver, so far
gro_frames() {
	"$BUILD/app/vdnet" --connect /run/vdnet.sock show stats vdn0 --json |
		json_get 'j["devices"][0]["total"]["gro_frames"]'
}
# the guest's view of what it received: TCP checksum errors, frame/length errors
guest_rx_errors() {
	local tcp
	tcp=$(ip netns exec ctr awk '$1 == "Tcp:" { if (!n) { for (i = 1; i <= NF; i++) c[$i] = i; n = 1 }
		else print $c["InCsumErrors"] }' /proc/net/snmp)
	local d=/sys/class/net/eth0/statistics
	echo "tcp_in_csum_errors=$tcp rx_errors=$(ip netns exec ctr cat $d/rx_errors)" \
		"rx_frame_errors=$(ip netns exec ctr cat $d/rx_frame_errors)" \
		"rx_length_errors=$(ip netns exec ctr cat $d/rx_length_errors)"
}

step "TCP: iperf3 both directions"
ip netns exec peer iperf3 -s -D -1 -p 5201 >/dev/null
wait_listen peer 5201
ip netns exec ctr iperf3 -c 10.0.0.2 -p 5201 -t 3 -f m >/tmp/iperf-tx.txt || { cat /tmp/iperf-tx.txt; fail "iperf3 ctr->peer failed"; }
grep -E "sender|receiver" /tmp/iperf-tx.txt
ip netns exec peer iperf3 -s -D -1 -p 5202 >/dev/null
wait_listen peer 5202
g0=$(gro_frames)
ip netns exec ctr iperf3 -c 10.0.0.2 -p 5202 -t 3 -R -f m >/tmp/iperf-rx.txt || { cat /tmp/iperf-rx.txt; fail "iperf3 peer->ctr failed"; }
grep -E "sender|receiver" /tmp/iperf-rx.txt
g1=$(gro_frames)
[ -n "$g0" ] && [ -n "$g1" ] && [ "$g1" -gt "$g0" ] || fail "peer->ctr: no TSO frames merged towards the driver (gro_frames $g0 -> $g1)"
ok "peer->ctr: $((g1 - g0)) TSO frames merged towards the driver"
iperf_moved /tmp/iperf-tx.txt /tmp/iperf-rx.txt

step "TCP: 4 MiB each way arrive intact (SHA-256 on both ends)"
xfer ctr peer 10.0.0.2 7001
g0=$(gro_frames)
xfer peer ctr 10.0.0.1 7002
g1=$(gro_frames)
[ "$g1" -gt "$g0" ] || fail "peer->ctr transfer: no TSO frames merged (gro_frames $g0 -> $g1)"
ok "peer->ctr transfer went (partly) as $((g1 - g0)) merged TSO frames"

step "IPv6: the same transfer peer->ctr, merged as GUEST_TSO6 frames"
ip -n ctr addr add fd00::1/64 dev eth0 nodad
ip -n peer addr add fd00::2/64 dev vb nodad
wait_for 20 ip netns exec ctr ping -6 -c 1 -W 1 fd00::2 || fail "no IPv6 ping through vdnet"
g0=$(gro_frames)
xfer peer ctr fd00::1 7004
g1=$(gro_frames)
[ "$g1" -gt "$g0" ] || fail "IPv6 peer->ctr transfer: no TSO frames merged (gro_frames $g0 -> $g1)"
ok "IPv6 peer->ctr transfer went (partly) as $((g1 - g0)) merged TSO frames"

step "the guest took every merged frame: no checksum, frame or length errors"
errs=$(guest_rx_errors)
expect_eq "guest receive errors" "$errs" "tcp_in_csum_errors=0 rx_errors=0 rx_frame_errors=0 rx_length_errors=0"
dmesg | grep -i "bad gso" && fail "virtio_net complained about a GSO header"
ok "no 'bad gso' from virtio_net"

step "gro off at run time: the same transfer arrives intact, nothing merged"
"$BUILD/app/vdnet" --connect /run/vdnet.sock set gro vdn0 off || fail "set gro off failed"
g0=$(gro_frames)
xfer peer ctr 10.0.0.1 7003
expect_eq "gro_frames with gro off" "$(gro_frames)" "$g0"
"$BUILD/app/vdnet" --connect /run/vdnet.sock set gro vdn0 on || fail "set gro on failed"

step "link down/up from the daemon is the container's carrier"
"$BUILD/app/vdnet" --connect /run/vdnet.sock set link down vdn0 || fail "set link down failed"
wait_for 10 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 0" || fail "carrier still up after link down"
ok "carrier 0 after link down"
"$BUILD/app/vdnet" --connect /run/vdnet.sock set link up vdn0 || fail "set link up failed"
wait_for 10 sh -c "ip netns exec ctr cat /sys/class/net/eth0/carrier | grep -qx 1" || fail "carrier still down after link up"
ok "carrier 1 after link up"
ip netns exec ctr ping -c 3 -W 2 10.0.0.2 >/dev/null || fail "no traffic after link up"
ok "traffic after link up"

step "stats"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show stats vdn0 | tee /tmp/stats.txt
grep -Eq "to-driver [1-9][0-9]* pkts" /tmp/stats.txt || fail "stats show no packets to the driver"
grep -Eq "from-driver [1-9][0-9]* pkts" /tmp/stats.txt || fail "stats show no packets from the driver"
grep -Eq "gso-segs=[1-9]" /tmp/stats.txt || fail "stats show no TSO frames segmented"
grep -Eq "gro-frames=[1-9][0-9]* gro-segs=[1-9]" /tmp/stats.txt || fail "stats show no TSO frames merged"

step "SIGTERM tears everything down"
vdnet_stop TERM
ip -n ctr link show eth0 >/dev/null 2>&1 && fail "eth0 still in ctr after vdnet exited"
ok "eth0 gone from ctr"
expect_eq "vdpa dev show" "$(vdpa dev show)" ""
[ ! -e /dev/vduse/vdn0 ] || fail "/dev/vduse/vdn0 still exists"
ok "/dev/vduse/vdn0 gone"

step "starting again works"
vdnet_start "$LOG" "${VDNET_ARGS[@]}"
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
wait_for 20 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || fail "no ping after restart"
ok "ping after restart"
vdnet_stop TERM
echo PASS
