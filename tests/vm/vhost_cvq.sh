# SPDX-License-Identifier: BSD-3-Clause
# The control queue through vhost-vdpa (needs run.sh --cvq-module): the
# nested QEMU guest of vhost_qemu.sh, on a device with 2 queue pairs, pings
# the peer, asks for 2 pairs (`ethtool -L eth0 combined 2`), takes a new MAC
# (`ip link set eth0 address`) and pings again.  Both commands travel the
# guest's control virtqueue, which QEMU passes through to vdnet; vdnet must
# act on them as in the container path (tests/vm/cvq.sh): 2/2 pairs active,
# the new MAC in its config space and on the wire.
#   peer netns [vb 10.0.0.2] --veth-- va <AF_PACKET x2> vdnet <VDUSE/vhost-vdpa> QEMU [eth0 10.0.0.1]
#
#   vhost_cvq.sh [VMLINUZ]   (default: the kernel run.sh booted, from .cache)
. "$VDN_REPO/tests/vm/lib/helpers.sh"
LOG=/tmp/vdnet.log
MAC=02:00:00:00:00:33
NEWMAC=02:00:00:00:00:44
COUNT=5
SOCK=/run/vdnet.sock
L2_CONSOLE=/tmp/l2-console.log
VMLINUZ=${1:-$VDN_REPO/.cache/kernel-$VDN_KERNEL/root/boot/vmlinuz-$VDN_KERNEL}
[ -f "$VMLINUZ" ] || fail "no kernel for the nested guest at $VMLINUZ (pass its path)"
[ "$VDN_CVQ" = 1 ] || fail "needs the test-only vduse module: run.sh --cvq-module"
CTL() { "$BUILD/app/vdnet" --connect "$SOCK" "$@"; }

trap 'rc=$?; [ $rc = 0 ] || { echo "--- vdnet log (tail)"; tail -30 "$LOG";
	echo "--- nested guest console (tail)"; tail -30 "$L2_CONSOLE"; }' EXIT

step "setup: netns peer, veth va/vb with 2 queues, vdnet with a 2-pair vhost-vdpa device"
load_modules
make_netns peer
ip link add va numtxqueues 2 numrxqueues 2 type veth peer name vb numtxqueues 2 numrxqueues 2 ||
	fail "ip link add va/vb"
ethtool -K va tx off >/dev/null 2>&1
ethtool -K vb tx off >/dev/null 2>&1
ip link set va up
ip link set vb netns peer
ip -n peer addr add 10.0.0.2/24 dev vb
ip -n peer link set vb up
# AF_PACKET: two port queues for two pairs (see cvq.sh)
vdnet_start "$LOG" --lcores 0@0,1@1,2@1 $VM_EAL --vdev net_af_packet0,iface=va,qpairs=2 -- \
	--idle-sleep 20 --socket $SOCK \
	--device name=vh0,port=net_af_packet0,bus=vhost,mac=$MAC,queues=2
grep -q "refused the control queue" "$LOG" && fail "the cvq module refused CTRL_VQ"
VHOST=$(sed -n 's/.*device vh0: \(\/dev\/vhost-vdpa-[0-9]*\).*/\1/p' "$LOG" | head -1)
[ -c "$VHOST" ] || fail "vdnet did not name a vhost-vdpa char device"
ok "device vh0 is $VHOST, with a control queue"

step "nested guest initramfs, with ethtool"
"$VDN_REPO/tests/vm/l2/mkinitramfs.sh" /lib/modules "$VDN_KERNEL" /tmp/l2.cpio.gz \
	"$(command -v ethtool)" || fail "cannot build the nested guest's initramfs"
ok "$(du -k /tmp/l2.cpio.gz | cut -f1) KiB"

step "boot QEMU (TCG) on $VHOST: ping, ethtool -L 2, MAC $NEWMAC, ping"
: >"$L2_CONSOLE"
start=$SECONDS
# mq=on offers the device's pairs to the guest; 2 pairs + config + cvq vectors
# -cpu again (the last one counts): nested TCG mis-emulates the guest
# kernel's cmpxchg16b now and then (SLUB oopses in early boot)
timeout 480 "$VDN_REPO/examples/vm/start-vm.sh" --accel tcg --cpus 1 --mem 256 vh0 \
	-nodefaults -no-reboot -display none \
	-cpu max,cx16=off \
	-global virtio-net-pci.mq=on -global virtio-net-pci.vectors=6 \
	-kernel "$VMLINUZ" -initrd /tmp/l2.cpio.gz \
	-append "console=ttyS0 loglevel=4 panic=-1 vdn.addr=10.0.0.1/24 vdn.peer=10.0.0.2 vdn.count=$COUNT vdn.interval=0.5 vdn.newmac=$NEWMAC" \
	-serial "file:$L2_CONSOLE" >/tmp/l2-qemu.log 2>&1 &
qpid=$!
# while the guest runs (a reset at its end puts the device back to 1 pair)
two_pairs() { CTL show stats vh0 | grep -q ", 2/2 queue pairs active"; }
seen2=0
while kill -0 $qpid 2>/dev/null; do
	two_pairs && { seen2=1; break; }
	sleep 0.5
done
wait $qpid
qrc=$?
echo "nested guest ran $((SECONDS - start)) s"
grep -a "VDN-L2" "$L2_CONSOLE"
[ "$qrc" = 124 ] && fail "the nested guest did not finish within 480 s"
[ "$qrc" = 0 ] || { cat /tmp/l2-qemu.log; fail "QEMU exited with status $qrc"; }
res=$(grep -a "VDN-L2-RESULT:" "$L2_CONSOLE" | tail -1 | tr -d "\r")
[ -n "$res" ] || fail "the nested guest printed no result"
expect_eq "nested guest result" "${res#*VDN-L2-RESULT: }" \
	"PING sent=$COUNT received=$COUNT combined=2 mac=$NEWMAC PING sent=$COUNT received=$COUNT"

step "vdnet acted on the guest's control queue"
grep -q "driver set MAC $NEWMAC" "$LOG" || fail "the device did not get ADDR_SET $NEWMAC"
ok "device got ADDR_SET $NEWMAC"
expect_eq "vdpa config mac" "$(vdpa dev config show vh0 | grep -o 'mac [0-9a-f:]*' | cut -d' ' -f2)" "$NEWMAC"
grep -q "vh0: driver set 2 active queue pair(s) (was 1)" "$LOG" || fail "the device did not get MQ_VQ_PAIRS_SET 2"
[ "$seen2" = 1 ] || fail "vdnet never reported 2/2 queue pairs active while the guest ran"
ok "device got MQ_VQ_PAIRS_SET 2 and ran 2/2 pairs"
peer_mac=$(ip -n peer neigh show 10.0.0.1 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
expect_eq "MAC the peer last saw for 10.0.0.1" "$peer_mac" "$NEWMAC"
CTL show stats vh0 | tee /tmp/stats.txt
grep -q "bad-chain=[1-9]" /tmp/stats.txt && fail "chains dropped as malformed"
kill -0 "$VDNET_PID" || fail "vdnet died"
vdnet_stop TERM
echo PASS
