# SPDX-License-Identifier: BSD-3-Clause
# In-VM end-to-end benchmark (runs inside the test VM; start it with
# tests/perf/vm_bench.sh).  The same iperf3 tests over two paths between a
# container netns "ctr" and a peer netns "peer":
#   vdnet: peer [vb] --veth-- va <AF_XDP> vdnet <VDUSE> eth0 [ctr]
#   nogro: the same with vdnet's coalescing towards the driver switched
#          off (`set gro vdn0 off` around each run), to show what it gains
#   vhostnet: peer [tapvn] <vhost-net> virtio_user vdnet <VDUSE> eth1 [ctr]
#          vdnet with a port that takes TSO and checksum offload (DPDK's
#          virtio_user on the kernel's vhost-net, its tap in peer): TSO
#          frames go to the port whole instead of being cut in software;
#          a vdnet of its own, stopped (SIGSTOP) while other paths run
#   veth:  peer [wb] --veth-- wa [ctr]           (the kernel alone)
#   mtu:   peer [xb] --veth-- xa [ctr]           (the kernel alone, without
#          checksum/segmentation offloads: every frame is MTU-sized, as
#          on the AF_XDP "wire" -- shown to explain the ratio, not judged)
# Cells: tcp (ctr -> peer), tcp_rev (peer -> ctr), udp (ctr -> peer, 1400 B
# datagrams, unlimited rate: what arrives counts).  Runs of both paths are
# interleaved so drifting load hits both alike; each cell reports
# min/median/max and the ratio of the medians.
#   vm_iperf.sh [REPS [SECONDS]]
. "$VDN_REPO/tests/vm/lib/helpers.sh"
REPS=${1:-3}
SECS=${2:-5}
LOG=/tmp/vdnet.log
LOG_VH=/tmp/vdnet-vh.log
OUT=/tmp/vmbench
mkdir -p "$OUT"

step "setup: netns peer + ctr; vdnet paths va/vb + eth0 and tapvn + eth1, plain veth path wa/wb"
load_modules vhost_net tun
make_netns peer
make_netns ctr
make_veth va vb peer 10.0.0.2/24
# The plain pair keeps the kernel's default offloads: that is what a
# container on a veth (the usual CNI set-up) gets.
ip link add wa type veth peer name wb || fail "ip link add wa/wb"
ip link set wa netns ctr && ip link set wb netns peer || fail "move wa/wb"
ip -n ctr addr add 10.1.0.1/24 dev wa && ip -n peer addr add 10.1.0.2/24 dev wb
ip -n ctr link set wa up && ip -n peer link set wb up
ip link add xa type veth peer name xb || fail "ip link add xa/xb"
for i in xa xb; do ethtool -K $i tx off tso off gso off gro off >/dev/null 2>&1; done
ip link set xa netns ctr && ip link set xb netns peer || fail "move xa/xb"
ip -n ctr addr add 10.2.0.1/24 dev xa && ip -n peer addr add 10.2.0.2/24 dev xb
ip -n ctr link set xa up && ip -n peer link set xb up

# Two vdnet processes, one a path, each with its worker on vCPU 1 (the
# guest has two, as before this path existed): while one path is measured
# the other process is stopped (SIGSTOP), so its worker takes no CPU from it
# -- otherwise the idle worker's wake-ups cost the measured one a third.
vdnet_start "$LOG" -l 0-1 $VM_EAL --vdev net_af_xdp0,iface=va -- --idle-sleep 20 \
	--device name=vdn0,port=net_af_xdp0,bus=virtio,netns=ctr,ifname=eth0,mac=02:00:00:00:00:10 \
	--socket /run/vdnet.sock
PID_XDP=$VDNET_PID
vdnet_start "$LOG_VH" -l 0-1 --no-huge -m 512 --no-pci --file-prefix vdnet-vh \
	--vdev net_virtio_user0,path=/dev/vhost-net,iface=tapvn,queue_size=1024 -- --idle-sleep 20 \
	--device name=vdn1,port=net_virtio_user0,bus=virtio,netns=ctr,ifname=eth1,mac=02:00:00:00:00:11 \
	--socket /run/vdnet-vh.sock
PID_VH=$VDNET_PID
grep -q "port net_virtio_user0 takes tx offloads.*tso yes" "$LOG_VH" || fail "virtio_user port without TSO"
ip link set tapvn netns peer || fail "move tapvn into peer"
ip -n peer addr add 10.3.0.2/24 dev tapvn && ip -n peer link set tapvn up
wait_for_iface eth0 ctr
wait_for_iface eth1 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
ip -n ctr addr add 10.3.0.1/24 dev eth1
ip -n ctr link set eth1 up
wait_for 30 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || fail "no ping through vdnet"
wait_for 10 ip netns exec ctr ping -c 1 -W 1 10.1.0.2 || fail "no ping over the plain veth"
wait_for 30 ip netns exec ctr ping -c 1 -W 1 10.3.0.2 || fail "no ping through vdnet's vhost-net port"
wait_for 10 ip netns exec ctr ping -c 1 -W 1 10.2.0.2 || fail "no ping over the offload-less veth"
ip netns exec peer iperf3 -s -D -p 5201 >/dev/null || fail "iperf3 server"
wait_listen peer 5201

vdnet_ctl() { "$BUILD/app/vdnet" --connect /run/vdnet.sock "$@"; }

# measure PATH CELL REP: one iperf3 run; its receiver-side Gbit/s into a file
measure() {
	local path=$1 cell=$2 rep=$3 dst args=()
	case $path in vdnet | nogro) dst=10.0.0.2 ;; veth) dst=10.1.0.2 ;; mtu) dst=10.2.0.2 ;;
	vhostnet) dst=10.3.0.2 ;; esac
	case $cell in
	tcp) ;;
	tcp_rev) args=(-R) ;;
	udp) args=(-u -b 0 -l 1400) ;;
	esac
	local j="$OUT/$path-$cell-$rep.json"
	[ "$path" = nogro ] && { vdnet_ctl set gro vdn0 off >/dev/null || fail "set gro off"; }
	# the vhost-net path's vdnet runs only for its own runs; the AF_XDP
	# one as it always did (also during the kernel-only paths)
	if [ "$path" = vhostnet ]; then
		kill -CONT "$PID_VH" && kill -STOP "$PID_XDP"
	else
		kill -STOP "$PID_VH" && kill -CONT "$PID_XDP"
	fi || fail "cannot stop/continue a vdnet"
	ip netns exec ctr timeout $((SECS + 20)) iperf3 -c "$dst" -p 5201 -t "$SECS" -J "${args[@]}" >"$j" ||
		{ cat "$j"; fail "iperf3 $cell over $path failed"; }
	[ "$path" = nogro ] && { vdnet_ctl set gro vdn0 on >/dev/null || fail "set gro on"; }
	kill -CONT "$PID_VH" "$PID_XDP"
	# the receiver's view: bytes that arrived (UDP loss excluded)
	python3 - "$j" "$cell" <<'EOF' >"$OUT/$path-$cell-$rep.gbps" || fail "no result in $j"
import json, sys
r = json.load(open(sys.argv[1]))["end"]
s = r["sum_received"] if "sum_received" in r else r["sum"]
bps = s["bits_per_second"]
if sys.argv[2] == "udp":
    # iperf3's UDP sum is the sender's rate; scale by what was not lost
    lost = s.get("lost_percent", 0.0)
    bps = bps * (100.0 - lost) / 100.0
print("%.3f" % (bps / 1e9))
EOF
	printf '  %-8s %-8s run %d: %s Gbit/s\n' "$path" "$cell" "$rep" "$(cat "$OUT/$path-$cell-$rep.gbps")"
}

step "measure: $REPS run(s) of ${SECS}s per cell and path, interleaved"
CELLS="tcp tcp_rev udp"
for rep in $(seq "$REPS"); do
	for cell in $CELLS; do
		measure vdnet "$cell" "$rep"
		measure nogro "$cell" "$rep"
		measure vhostnet "$cell" "$rep"
		measure veth "$cell" "$rep"
		measure mtu "$cell" "$rep"
	done
done
kill -CONT "$PID_VH" "$PID_XDP"
kill -0 "$PID_XDP" && kill -0 "$PID_VH" || fail "vdnet died during the benchmark"

# stats NAME: "min median max" of the runs' Gbit/s
stats() {
	cat "$OUT"/$1-*.gbps | sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) exit 1
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f %.3f %.3f\n", v[1], m, v[NR] }'
}

echo
echo "in-VM iperf3 (QEMU TCG guest, 2 vCPUs; Gbit/s at the receiver, min/median/max of $REPS x ${SECS}s)"
printf '%-8s %-24s %-24s %-6s %-24s %-24s %-6s %s\n' cell "vdnet (min/med/max)" "plain veth" ratio \
	"vdnet gro off" "vdnet vhost-net port" ratio "veth w/o offloads"
results=()
for cell in $CELLS; do
	read -r a_min a_med a_max < <(stats "vdnet-$cell") || fail "no vdnet results for $cell"
	read -r b_min b_med b_max < <(stats "veth-$cell") || fail "no veth results for $cell"
	read -r c_min c_med c_max < <(stats "mtu-$cell") || fail "no offload-less veth results for $cell"
	read -r d_min d_med d_max < <(stats "nogro-$cell") || fail "no gro-off results for $cell"
	read -r e_min e_med e_max < <(stats "vhostnet-$cell") || fail "no vhost-net port results for $cell"
	awk -v a="$a_med" 'BEGIN { exit !(a > 0) }' || fail "$cell through vdnet moved nothing"
	awk -v a="$e_med" 'BEGIN { exit !(a > 0) }' || fail "$cell through vdnet's vhost-net port moved nothing"
	ratio=$(awk -v a="$a_med" -v b="$b_med" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	ratio_v=$(awk -v a="$e_med" -v b="$b_med" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	printf '%-8s %-24s %-24s %-6s %-24s %-24s %-6s %s\n' "$cell" "$a_min/$a_med/$a_max" \
		"$b_min/$b_med/$b_max" "$ratio" "$d_min/$d_med/$d_max" "$e_min/$e_med/$e_max" "$ratio_v" \
		"$c_min/$c_med/$c_max"
	results+=("RESULT vm $cell ours_gbps=$a_med veth_gbps=$b_med ratio=$ratio nogro_gbps=$d_med vhostnet_gbps=$e_med ratio_vhostnet=$ratio_v")
done
echo
echo "vdnet's counters after the runs (drops explain a low ratio):"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show stats vdn0 || fail "show stats failed"
"$BUILD/app/vdnet" --connect /run/vdnet-vh.sock show stats vdn1 || fail "show stats failed"
# the vhost-net path must really have handed TSO frames to its port
tso=$("$BUILD/app/vdnet" --connect /run/vdnet-vh.sock show stats vdn1 --json |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["devices"][0]["total"]["tso_out"])')
[ "${tso:-0}" -gt 0 ] || fail "the vhost-net path handed no TSO frames to its port (tso_out ${tso:-?})"
vdnet_stop TERM
VDNET_PID=$PID_XDP
vdnet_stop TERM
echo
printf '%s\n' "${results[@]}"
echo PASS
