# SPDX-License-Identifier: BSD-3-Clause
# vdnet's errors: each bad start-up exits non-zero with a message that says
# what is wrong (and what to do), and leaves no VDUSE or vdpa device behind.
# A second vdnet reusing a running device's name fails without disturbing
# the first one.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
VDNET=$BUILD/app/vdnet
# the failing runs share one EAL prefix, the healthy daemon has its own
ERR_EAL="--no-huge -m 256 --no-pci --file-prefix vdnet-err"
NULLPORT=(-l 0-1 $ERR_EAL --vdev net_null0 --)
OUT=""

# vduse_devs: VDUSE devices now present (without the control node)
vduse_devs() { ls /dev/vduse 2>/dev/null | grep -vx control | tr '\n' ' '; }
# vdpa_devs: vdpa device names now present
vdpa_devs() { vdpa dev show 2>/dev/null | awk '/^[^ \t]/ {sub(":", "", $1); print $1}' | tr '\n' ' '; }

# left_behind WHAT [DEVS]: exactly DEVS (names, space-terminated) remain
left_behind() {
	local want=${2:-}
	expect_eq "$1: VDUSE devices left" "$(vduse_devs)" "$want"
	expect_eq "$1: vdpa devices left" "$(vdpa_devs)" "$want"
}

# expect_error WHAT PATTERN VDNET_ARGS...: vdnet exits non-zero and says
# something matching PATTERN (ERE); its output stays in $OUT for also_says
expect_error() {
	local what=$1 pat=$2 rc
	shift 2
	OUT=$(timeout 60 "$VDNET" "$@" 2>&1)
	rc=$?
	[ $rc -ne 124 ] || { echo "$OUT"; fail "$what: vdnet hung"; }
	[ $rc -ne 0 ] || { echo "$OUT"; fail "$what: vdnet exited 0"; }
	echo "$OUT" | grep -Eq -- "$pat" || { echo "$OUT"; fail "$what: nothing matching /$pat/"; }
	ok "$what: exit $rc: $(echo "$OUT" | grep -E -- "$pat" | head -1)"
}
also_says() {
	echo "$OUT" | grep -Eq -- "$2" || { echo "$OUT"; fail "$1: nothing matching /$2/"; }
	ok "$1: also: $(echo "$OUT" | grep -E -- "$2" | head -1)"
}

step "vduse module not loaded"
grep -q '^vduse ' /proc/modules && fail "precondition: vduse is already loaded"
[ ! -e /dev/vduse/control ] || fail "precondition: /dev/vduse/control exists"
expect_error "no vduse" "load the vduse module.*modprobe vduse" \
	"${NULLPORT[@]}" --device name=vdn0,port=net_null0
also_says "no vduse" "no device could be set up"
[ ! -e /dev/vduse ] || fail "no vduse: /dev/vduse appeared"
ok "no vduse: nothing created"

load_modules

step "bad --device values are named, before anything is created"
dev="name=vdn0,port=net_null0"
expect_error "mac=zz" "mac 'zz': not a MAC address" "${NULLPORT[@]}" --device $dev,mac=zz
expect_error "multicast mac" "mac '01:00:5e:00:00:01': must be a non-zero unicast" \
	"${NULLPORT[@]}" --device $dev,mac=01:00:5e:00:00:01
expect_error "mtu=20" "mtu '20': want a number from 68 to 9000" "${NULLPORT[@]}" --device $dev,mtu=20
expect_error "mtu=70000" "mtu '70000': want a number from 68 to 9000" \
	"${NULLPORT[@]}" --device $dev,mtu=70000
for q in 0 17 two; do
	expect_error "queues=$q" "queues '$q': want 1\.\.16" "${NULLPORT[@]}" --device $dev,queues=$q
done
expect_error "unknown key" "unknown key 'colour' \(known: name, port" \
	"${NULLPORT[@]}" --device $dev,colour=red
expect_error "missing port=" "port= is required" "${NULLPORT[@]}" --device name=vdn0
expect_error "missing name=" "name= is required" "${NULLPORT[@]}" --device port=net_null0
left_behind "bad values"

step "not enough lcores"
expect_error "-l 0, queues=1" "not enough lcores: 1 queue pair\(s\) need 1 worker" \
	-l 0 $ERR_EAL --vdev net_null0 -- --device $dev
expect_error "-l 0-1, queues=2" "not enough lcores: 2 queue pair\(s\) need 2 worker.*-l 0-2" \
	"${NULLPORT[@]}" --device $dev,queues=2
left_behind "lcores"

step "unknown port: named, and the known ports listed"
expect_error "port=net_nosuch" "no such port 'net_nosuch'" "${NULLPORT[@]}" --device name=vdn0,port=net_nosuch
also_says "port=net_nosuch" "ports known"
also_says "port=net_nosuch" "port 0: net_null0"
left_behind "unknown port"

step "netns that does not exist"
[ ! -e /run/netns/nosuch ] || fail "precondition: netns nosuch exists"
expect_error "netns=nosuch" "nosuch.*does the netns exist" \
	"${NULLPORT[@]}" --device $dev,netns=nosuch,ifname=eth0
left_behind "missing netns"
ip link show eth0 >/dev/null 2>&1 && fail "missing netns: an eth0 was left in the root netns"
[ -z "$(ls /sys/bus/vdpa/devices 2>/dev/null)" ] || fail "missing netns: vdpa bus not empty"
ok "missing netns: no netdev, vdpa bus empty"

step "name already taken: the second vdnet fails, the first keeps serving"
make_netns peer
make_netns ctr
make_veth va vb peer 10.0.0.2/24
vdnet_start /tmp/vdnet.log -l 0-1 $VM_EAL --vdev net_af_xdp0,iface=va -- --idle-sleep 20 \
	--device name=vdn0,port=net_af_xdp0,netns=ctr,ifname=eth0
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
wait_for 20 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || fail "the first vdnet does not pass traffic"
ok "first vdnet passes traffic"
expect_error "name taken" "device vdn0: a VDUSE device with that name already exists" \
	"${NULLPORT[@]}" --device name=vdn0,port=net_null0,netns=ctr,ifname=eth1
kill -0 "$VDNET_PID" || fail "the first vdnet died"
# the same spec, so a takeover would be allowed if the first were dead, and
# reattach=never, which would replace a dead one: both must leave it alone
expect_error "name taken, same spec" "another process serves it" \
	"${NULLPORT[@]}" --device name=vdn0,port=net_null0,netns=ctr,ifname=eth0
expect_error "name taken, reattach=never" "another process serves it" \
	"${NULLPORT[@]}" --device name=vdn0,port=net_null0,netns=ctr,ifname=eth0,reattach=never
kill -0 "$VDNET_PID" || fail "the first vdnet died"
left_behind "name taken" "vdn0 "
out=$(ip netns exec ctr ping -c 5 -i 0.2 -W 2 10.0.0.2) || { echo "$out"; fail "ping through the first vdnet failed"; }
echo "$out" | grep -q " 0% packet loss" || { echo "$out"; fail "ping lost packets"; }
ok "the first vdnet still serves: $(echo "$out" | grep 'packet loss')"
vdnet_stop TERM
left_behind "after stopping the first"
echo PASS
