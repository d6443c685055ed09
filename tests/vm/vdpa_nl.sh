# SPDX-License-Identifier: BSD-3-Clause
# lib/vdpa_nl against the real kernel: vdpa dev add/del/show over genl, bus
# switching through sysfs, netdev/vhost lookup, and the one-step rename+move
# of the netdev into a netns (as "eth0", while the root netns has an "eth0").
# The program asserts from the library's side; this script cross-checks with
# iproute2 while the program holds, and checks nothing is left at the end.
#   tests/vm/run.sh tests/vm/vdpa_nl.sh PATH/TO/vdpa_nl_test
. "$VDN_REPO/tests/vm/lib/helpers.sh"
PROG=${1:?usage: vdpa_nl.sh PATH/TO/vdpa_nl_test}
MAC=02:00:00:00:00:77

step "kernel $(uname -r): modules and fixtures"
load_modules dummy
make_netns ctr
ip netns attach rootns 1 || fail "ip netns attach rootns 1"
ip link add eth0 type dummy || fail "dummy eth0"
ip link add vdnx type dummy || fail "dummy vdnx"
ip link add vdnup type dummy || fail "dummy vdnup"
ip link set vdnup up
[ -z "$(vdpa dev show)" ] || fail "vdpa devices exist before the test"
ok "netns ctr and rootns (= root), dummies eth0 vdnx vdnup in the root netns"

step "vdpa_nl_test"
hold=/tmp/vdpa_nl.hold log=/tmp/vdpa_nl.log
rm -f "$hold"
"$PROG" --hold "$hold" >"$log" 2>&1 &
pid=$!
end=$((SECONDS + 120))
until grep -q '^READY$' "$log"; do
	if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $end ]; then
		cat "$log"
		kill "$pid" 2>/dev/null
		fail "vdpa_nl_test stopped before READY"
	fi
	sleep 0.2
done

step "cross-check with iproute2 while the device is placed"
ctr=$(ip -n ctr link show eth0) || { touch "$hold"; wait "$pid"; cat "$log"; fail "no eth0 in ctr"; }
echo "$ctr"
echo "$ctr" | grep -q "link/ether $MAC" || { touch "$hold"; wait "$pid"; cat "$log"; fail "ctr eth0 lacks $MAC"; }
ok "ctr has eth0 with $MAC"
ip link show eth0 | grep -q "link/ether $MAC" && { touch "$hold"; wait "$pid"; fail "root eth0 has the vdpa MAC"; }
ip -d link show eth0 | grep -q dummy || { touch "$hold"; wait "$pid"; fail "root eth0 is not the dummy"; }
ok "root eth0 is still the dummy"
vdpa dev show | grep -q '^vdnnl0:' || { touch "$hold"; wait "$pid"; fail "vdpa dev show lacks vdnnl0"; }
ok "vdpa dev show lists vdnnl0"
ip link show vdnup2 | grep -q '[<,]UP[,>]' || { touch "$hold"; wait "$pid"; fail "vdnup2 not up"; }
ok "renamed vdnup2 is up"

touch "$hold"
wait "$pid"
rc=$?
cat "$log"
[ "$rc" = 0 ] || fail "vdpa_nl_test exited $rc"
grep -q '^FAIL' "$log" && fail "vdpa_nl_test reported a FAIL"

step "nothing left behind"
left=$(vdpa dev show)
[ -z "$left" ] || fail "vdpa dev show not empty: $left"
ok "vdpa dev show is empty"
ip -n ctr link show eth0 >/dev/null 2>&1 && fail "ctr eth0 outlived its vdpa device"
ok "ctr eth0 went with the device"
[ ! -e /dev/vduse/vdnnl0 ] || fail "/dev/vduse/vdnnl0 left behind"
ok "VDUSE device destroyed"
echo "PASS"
