# SPDX-License-Identifier: BSD-3-Clause
# examples/l2fwd (the meson-built vdn_l2fwd) end to end:
#   peer netns [vb 10.0.0.2] --veth-- va <AF_XDP> vdn_l2fwd <VDUSE> eth0 [ctr netns 10.0.0.1]
# ping through it, then SIGTERM must leave no netdev and no VDUSE device.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
L2FWD=$BUILD/examples/vdn_l2fwd
LOG=/tmp/l2fwd.log
[ -x "$L2FWD" ] || fail "$L2FWD not built"

step "setup: netns peer + ctr, veth va/vb"
load_modules
make_netns peer
make_netns ctr
make_veth va vb peer 10.0.0.2/24

step "start vdn_l2fwd"
stdbuf -oL -eL "$L2FWD" -l 0-1 $VM_EAL --vdev net_af_xdp0,iface=va -- l2d0 net_af_xdp0 ctr eth0 \
	>"$LOG" 2>&1 &
PID=$!
wait_for 90 grep -q "l2fwd: forwarding" "$LOG" || { cat "$LOG"; fail "l2fwd not forwarding within 90s"; }
ok "l2fwd forwarding (pid $PID)"
grep "l2fwd: netdev" "$LOG"
[ -c /dev/vduse/l2d0 ] || fail "/dev/vduse/l2d0 missing while running"
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up

step "ping 5 packets from the container"
# the first ARP may race the link coming up: wait for one reply, then count
wait_for 20 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || { cat "$LOG"; fail "no ping reply at all"; }
out=$(ip netns exec ctr ping -c 5 -i 0.2 -W 2 10.0.0.2) || { echo "$out"; cat "$LOG"; fail "ping failed"; }
echo "$out" | tail -2
echo "$out" | grep -q " 0% packet loss" || fail "ping lost packets"

step "SIGTERM: clean teardown"
kill -TERM $PID
for i in $(seq 100); do kill -0 $PID 2>/dev/null || break; sleep 0.2; done
kill -0 $PID 2>/dev/null && { cat "$LOG"; fail "l2fwd did not exit within 20s of SIGTERM"; }
wait $PID
rc=$?
tail -3 "$LOG"
expect_eq "l2fwd exit status" "$rc" 0
grep -q "l2fwd: stopped cleanly" "$LOG" || fail "no 'stopped cleanly' in the log"
ip -n ctr link show eth0 >/dev/null 2>&1 && fail "eth0 still in ctr after l2fwd exited"
ok "eth0 gone from ctr"
expect_eq "vdpa dev show" "$(vdpa dev show)" ""
[ ! -e /dev/vduse/l2d0 ] || fail "/dev/vduse/l2d0 still exists"
ok "/dev/vduse/l2d0 gone"
echo PASS
