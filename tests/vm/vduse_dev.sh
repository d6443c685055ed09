# SPDX-License-Identifier: BSD-3-Clause
# lib/vduse against the real kernel: a VDUSE virtio-net device served by
# vduse_dev_test is bound with virtio_vdpa; the kernel's virtio_net must reach
# DRIVER_OK, its rings must translate, TX traffic must kick; `vdpa dev del`
# must reset it (kick fd closed, rings unmapped) and a second `vdpa dev add`
# must bring it up again; destroy while bound must say EBUSY (the test
# re-attaches), and after the last `vdpa dev del` SIGTERM must destroy it.
#   tests/vm/run.sh tests/vm/vduse_dev.sh PATH/TO/vduse_dev_test
. "$VDN_REPO/tests/vm/lib/helpers.sh"
PROG=${1:?usage: vduse_dev.sh PATH/TO/vduse_dev_test}
NAME=vdntest
MAC=02:00:00:00:00:42
OUT=/tmp/vduse_dev_test.out

step "kernel $(uname -r): start $PROG"
load_modules
export VDN_VDUSE_TEST_LOG=1
# not under timeout(1): it would forward our SIGTERMs to the whole group,
# and this test counts them
"$PROG" "$NAME" >"$OUT" 2>&1 &
PID=$!
(sleep 150; kill -KILL $PID) 2>/dev/null &
WATCHDOG=$!
trap 'kill $PID $WATCHDOG 2>/dev/null; vdpa dev del $NAME 2>/dev/null' EXIT
out_has() { grep -q -- "$1" "$OUT"; }
out_count() { [ "$(grep -c -- "$1" "$OUT")" -ge "$2" ]; }
show_fail() {
	echo "--- program output:"; cat "$OUT"
	echo "--- kernel log:"; dmesg | tail -n 30
	fail "$*"
}
wait_out() { wait_for "$2" out_has "$1" || show_fail "no '$1' within $2 s"; }

wait_out '^READY' 20
out_has '^FAIL' && show_fail "setup checks failed"
[ -c /dev/vduse/$NAME ] || show_fail "/dev/vduse/$NAME missing"
ok "device created, error contract checked"

netdev_of() { ls /sys/bus/vdpa/devices/$NAME/virtio*/net/ 2>/dev/null | head -n1; }
# bind_dev N: add the vdpa device and wait for virtio_net to bring it up
bind_dev() {
	vdpa dev add name $NAME mgmtdev vduse || show_fail "vdpa dev add failed"
	wait_for 30 sh -c "ls /sys/bus/vdpa/devices/$NAME/virtio*/net/ 2>/dev/null | grep -q ." ||
		show_fail "no virtio netdev under /sys/bus/vdpa/devices/$NAME"
	IF=$(netdev_of)
	expect_eq "MAC of $IF" "$(cat /sys/class/net/$IF/address)" "$MAC"
	expect_eq "MTU of $IF" "$(cat /sys/class/net/$IF/mtu)" 1500
	wait_out "^OK status DRIVER_OK #$1" 20
	wait_for 20 out_count '^OK tx kick fd ' "$1" || show_fail "no tx kick fd for binding $1"
}
# unbind_dev N: delete it; the driver must reset the device
unbind_dev() {
	local t0=$SECONDS
	vdpa dev del $NAME || show_fail "vdpa dev del failed"
	[ $((SECONDS - t0)) -lt 10 ] || show_fail "vdpa dev del took $((SECONDS - t0)) s (message timeout?)"
	wait_out "^OK reset after DRIVER_OK #$1" 20
	[ -e /sys/bus/vdpa/devices/$NAME ] && show_fail "vdpa device still there"
	ok "driver reset the device"
}

step "bind to the vdpa bus (virtio_vdpa)"
bind_dev 1

step "traffic on $IF"
ip addr add 10.9.9.1/24 dev "$IF"
ip link set "$IF" up || show_fail "ip link set $IF up"
wait_for 10 sh -c "cat /sys/class/net/$IF/carrier | grep -qx 1" || show_fail "$IF has no carrier"
ping -c 2 -W1 -I "$IF" 10.9.9.9 >/dev/null 2>&1
wait_out '^OK tx avail idx moved' 20
ok "TX kicked and the avail index moved"
out_has '^FAIL' && show_fail "checks failed while serving"

step "unbind: reset drops kick fds and mappings"
unbind_dev 1
wait_out '^OK reset unmapped the rings' 10
out_has '^FAIL' && show_fail "reset cleanup checks failed"

step "bind again"
bind_dev 2

step "destroy while bound"
kill -TERM $PID
wait_out '^OK re-attached' 20

step "unbind the re-attached device"
unbind_dev 2

step "destroy"
kill -TERM $PID
wait $PID
RC=$?
kill $WATCHDOG 2>/dev/null
trap - EXIT
cat "$OUT"
expect_eq "exit code" "$RC" 0
[ -e /dev/vduse/$NAME ] && fail "/dev/vduse/$NAME left behind"
grep -q '^PASS' "$OUT" || fail "program did not PASS"
ok "/dev/vduse/$NAME destroyed"
echo "PASS"
