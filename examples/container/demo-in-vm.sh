# SPDX-License-Identifier: BSD-3-Clause
# The README demo, inside a kernel with VDUSE (run by examples/demo.sh):
# a "container" netns gets a vduse-net eth0 served by vdnet, whose uplink is
# a veth to a peer netns; then ping and iperf3 through it.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
LOG=/tmp/vdnet-demo.log

step "a peer host (netns peer, 10.0.0.2) behind veth va/vb"
load_modules
make_netns peer
make_veth va vb peer 10.0.0.2/24

step "vdnet gives netns 'ctr' a vduse-net eth0 (examples/container/vdnet-container.sh)"
VDNET_EAL="$VM_EAL" VDNET_OPTS="--idle-sleep 20" \
	stdbuf -oL "$VDN_REPO/examples/container/vdnet-container.sh" --socket /run/vdnet.sock \
	--mac 02:00:00:00:00:10 va ctr >"$LOG" 2>&1 &
VDNET_PID=$!
wait_for 90 grep -q "vdnet: ready" "$LOG" || { cat "$LOG"; fail "vdnet did not start"; }
grep "vdnet:" "$LOG"
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
echo "# ip -n ctr -br link show eth0; ethtool -i eth0"
ip -n ctr -br link show eth0
ip netns exec ctr ethtool -i eth0 | head -2

step "ping from the container"
wait_for 20 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || fail "no ping"
ip netns exec ctr ping -c 5 -i 0.2 10.0.0.2 | tail -3

step "iperf3 through the device (TCG-emulated CPU: numbers are only indicative)"
ip netns exec peer iperf3 -s -D -1 >/dev/null
sleep 0.5
ip netns exec ctr iperf3 -c 10.0.0.2 -t 3 -f m | grep -E "sender|receiver" || fail "iperf3 failed"

step "the daemon's view"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show devices
"$BUILD/app/vdnet" --connect /run/vdnet.sock show stats
vdnet_stop TERM
echo "demo done: vdnet served a container interface and shut down cleanly"
