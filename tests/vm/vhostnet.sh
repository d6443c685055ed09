# SPDX-License-Identifier: BSD-3-Clause
# A port that takes offloads: the container's interface served by vdnet
# whose port is DPDK's virtio_user on the kernel's vhost-net (DPDK's
# "exception path"), the tap it creates moved into a peer netns:
#   peer netns [tapvn 10.0.0.2] <vhost-net> virtio_user vdnet <VDUSE> eth0 [ctr 10.0.0.1]
# The port offers TSO and TCP/UDP checksum offload, so TSO frames from the
# container's virtio_net must go to it whole (tso_out grows, gso_segs does
# not) and partial checksums must be left to it (csum_out grows); the
# peer's TSO frames, handed in as LRO, must reach the container's driver as
# GSO frames (lro_in grows); TCP both ways, IPv4 and IPv6, must arrive intact, with
# no checksum errors at either end.
# Offload that silently fell back to software fails here.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
MAC=02:00:00:00:00:10
LOG=/tmp/vdnet.log

step "setup: vhost_net + tun, netns peer + ctr, vdnet on virtio_user/vhost-net"
load_modules vhost_net tun
[ -c /dev/vhost-net ] || fail "/dev/vhost-net missing after modprobe vhost_net"
make_netns peer
make_netns ctr
vdnet_start "$LOG" -l 0-1 $VM_EAL --vdev net_virtio_user0,path=/dev/vhost-net,iface=tapvn,queue_size=1024 \
	-- --idle-sleep 20 \
	--device name=vdn0,port=net_virtio_user0,bus=virtio,netns=ctr,ifname=eth0,mac=$MAC \
	--socket /run/vdnet.sock
grep "tx offloads" "$LOG" || { cat "$LOG"; fail "vdnet enabled no tx offloads on the virtio_user port"; }
grep -q "tso yes, tcp csum yes" "$LOG" || fail "the virtio_user port offers no TSO/TCP checksum offload"
grep "rx offloads" "$LOG" && grep -q "lro yes, tcp csum yes" "$LOG" ||
	fail "vdnet enabled no LRO / rx checksum offload on the virtio_user port"
ip link set tapvn netns peer || fail "cannot move tapvn into netns peer"
ip -n peer addr add 10.0.0.2/24 dev tapvn
ip -n peer link set tapvn up
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
ip netns exec ctr ethtool -k eth0 | grep -qx "tcp-segmentation-offload: on" || fail "eth0 has no TSO"
wait_for 30 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || { cat "$LOG"; fail "no ping through vdnet"; }
ok "ping through virtio_user/vhost-net"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show port vdn0 >/tmp/port.txt || fail "show port failed"
grep -E "offloads tx .*TCP_TSO.* rx .*TCP_LRO" /tmp/port.txt || { cat /tmp/port.txt; fail "show port lists no TSO/LRO"; }

json_get() { python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }
# counter NAME: the device's total of counter NAME, so far
counter() {
	"$BUILD/app/vdnet" --connect /run/vdnet.sock show stats vdn0 --json |
		json_get "j[\"devices\"][0][\"total\"][\"$1\"]"
}
# csum_errors NS: TCP and UDP checksum errors the stack in NS counted
csum_errors() {
	ip netns exec "$1" awk '$1 == "Tcp:" || $1 == "Udp:" { if (!h[$1]) { for (i = 1; i <= NF; i++)
		c[$1, $i] = i; h[$1] = 1 } else s += $c[$1, "InCsumErrors"] } END { print s + 0 }' /proc/net/snmp
}

step "TCP ctr -> peer: TSO frames go to the port whole"
ip netns exec peer iperf3 -s -D -p 5201 >/dev/null || fail "iperf3 server"
wait_listen peer 5201
t0=$(counter tso_out) s0=$(counter gso_segs)
ip netns exec ctr timeout 30 iperf3 -c 10.0.0.2 -p 5201 -t 2 -f m >/tmp/iperf-tx.txt ||
	{ cat /tmp/iperf-tx.txt; fail "iperf3 ctr->peer failed"; }
grep -E "sender|receiver" /tmp/iperf-tx.txt
t1=$(counter tso_out) s1=$(counter gso_segs)
[ -n "$t1" ] && [ "$t1" -gt "$t0" ] || fail "no TSO frames handed to the port (tso_out $t0 -> $t1)"
expect_eq "segments cut in software (gso_segs)" "$s1" "$s0"
ok "ctr->peer: $((t1 - t0)) TSO frames handed to the port, none cut in software"

step "TCP peer -> ctr: the peer's TSO frames reach the driver whole (lro_in), ACK checksums left to the port"
c0=$(counter csum_out) l0=$(counter lro_in)
ip netns exec ctr timeout 30 iperf3 -c 10.0.0.2 -p 5201 -t 2 -R -f m >/tmp/iperf-rx.txt ||
	{ cat /tmp/iperf-rx.txt; fail "iperf3 peer->ctr failed"; }
grep -E "sender|receiver" /tmp/iperf-rx.txt
c1=$(counter csum_out) l1=$(counter lro_in)
[ "$c1" -gt "$c0" ] || fail "no checksums left to the port (csum_out $c0 -> $c1)"
[ "$l1" -gt "$l0" ] || fail "no LRO frames from the port passed to the driver (lro_in $l0 -> $l1)"
ok "peer->ctr: $((l1 - l0)) LRO frames passed on as GSO, $((c1 - c0)) checksums left to the port"
iperf_moved /tmp/iperf-tx.txt /tmp/iperf-rx.txt

step "4 MiB each way arrive intact (SHA-256 on both ends)"
t0=$(counter tso_out)
xfer ctr peer 10.0.0.2 7001
t1=$(counter tso_out)
[ "$t1" -gt "$t0" ] || fail "the transfer went without TSO to the port (tso_out $t0 -> $t1)"
l0=$(counter lro_in)
xfer peer ctr 10.0.0.1 7002
l1=$(counter lro_in)
[ "$l1" -gt "$l0" ] || fail "the transfer to ctr went without LRO frames (lro_in $l0 -> $l1)"

step "IPv6: 2 MiB each way, as TCPV6 TSO frames to the port and LRO frames from it"
ip -n ctr addr add fd00::1/64 dev eth0 nodad
ip -n peer addr add fd00::2/64 dev tapvn nodad
wait_for 20 ip netns exec ctr ping -6 -c 1 -W 1 fd00::2 || fail "no IPv6 ping through vdnet"
t0=$(counter tso_out) l0=$(counter lro_in)
xfer ctr peer fd00::2 7003 2097152
xfer peer ctr fd00::1 7004 2097152
t1=$(counter tso_out) l1=$(counter lro_in)
[ "$t1" -gt "$t0" ] || fail "IPv6: no TSO frames to the port (tso_out $t0 -> $t1)"
[ "$l1" -gt "$l0" ] || fail "IPv6: no LRO frames to the driver (lro_in $l0 -> $l1)"
ok "IPv6: $((t1 - t0)) TSO frames out, $((l1 - l0)) LRO frames in"

step "UDP ctr -> peer: partial checksums finished by the port arrive valid"
c0=$(counter csum_out)
ip netns exec peer timeout 20 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.0.0.2", 7010)); s.settimeout(10)
for i in range(20):
    d = s.recv(2000)
    assert d == bytes((i + k) % 256 for k in range(1000)), "datagram %d corrupt" % i
print("udp ok")' >/tmp/udp.txt &
up=$!
sleep 1
ip netns exec ctr python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(bytes((i + k) % 256 for k in range(1000)), ("10.0.0.2", 7010)); time.sleep(0.01)'
wait $up || fail "UDP datagrams did not all arrive intact: $(cat /tmp/udp.txt)"
c1=$(counter csum_out)
[ "$c1" -ge $((c0 + 20)) ] || fail "UDP checksums not left to the port (csum_out $c0 -> $c1)"
ok "20 UDP datagrams, checksums finished by the port"

step "no checksum errors at either end"
expect_eq "peer checksum errors" "$(csum_errors peer)" 0
expect_eq "ctr checksum errors" "$(csum_errors ctr)" 0
dmesg | grep -i "bad gso" && fail "virtio_net complained about a GSO header"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show stats vdn0 | grep -E "tso-out|drops"
vdnet_stop TERM
echo PASS
