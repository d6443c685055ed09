# SPDX-License-Identifier: BSD-3-Clause
# IOTLB changes under traffic, from a real client: the nested QEMU guest of
# vhost_qemu.sh pings the peer while QEMU's monitor hot-plugs memory DIMMs
# (each a new shared memfd).  Every hot-plug makes QEMU's vhost-vdpa map the
# new region, and VDUSE then invalidates the whole IOTLB while the rings
# run.  vdnet must re-translate its rings, map the new regions, and really
# unmap the old mappings (no second mapping of the same memory piles up in
# its address space) without dropping valid traffic as malformed.  Once the
# guest has onlined the DIMMs it pings again, faster: its new buffers come
# from the hot-plugged memory, which vdnet must then map too.
#   peer netns [vb 10.0.0.2] --veth-- va <AF_XDP> vdnet <VDUSE/vhost-vdpa> QEMU [eth0 10.0.0.1]
#
#   vhost_hotplug.sh [VMLINUZ]   (default: the kernel run.sh booted, from .cache)
. "$VDN_REPO/tests/vm/lib/helpers.sh"
LOG=/tmp/vdnet.log
MAC=02:00:00:00:00:32
COUNT=40
# the RX ring holds 256 buffers posted at boot: only the ones the guest
# refills after those come from the DIMMs
COUNT2=320
DIMMS=3
# how much MemTotal must grow once the guest has onlined the DIMMs
MEMKB=$((DIMMS * 128 * 1024 * 9 / 10))
L2_CONSOLE=/tmp/l2-console.log
MON=/tmp/l2-mon
VMLINUZ=${1:-$VDN_REPO/.cache/kernel-$VDN_KERNEL/root/boot/vmlinuz-$VDN_KERNEL}
[ -f "$VMLINUZ" ] || fail "no kernel for the nested guest at $VMLINUZ (pass its path)"

QPID="" CATPID=""
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null
	[ -n "$CATPID" ] && kill "$CATPID" 2>/dev/null
}
trap 'rc=$?; cleanup; [ $rc = 0 ] || { echo "--- vdnet log (tail)"; tail -40 "$LOG";
	echo "--- monitor"; cat "$MON.log" 2>/dev/null | tr -d "\r" | tail -20;
	echo "--- nested guest console (tail)"; tail -30 "$L2_CONSOLE"; }' EXIT

# vdnet's mappings of guest memory (QEMU names its memfds after the
# backend type; DPDK's own --no-huge memory is /memfd:nohuge): one line
# per mapping, "OFFSET NAME INODE"
guest_maps() { awk '$6 ~ /^\/memfd:memory-backend/ { print $3, $6, $5 }' "/proc/$VDNET_PID/maps"; }

step "setup: netns peer, veth va/vb, vdnet with a vhost-vdpa device"
load_modules
make_netns peer
make_veth va vb peer 10.0.0.2/24
vdnet_start "$LOG" -l 0-1 $VM_EAL --log-level=vdnet:debug --vdev net_af_xdp0,iface=va -- \
	--idle-sleep 20 --device name=vh0,port=net_af_xdp0,bus=vhost,mac=$MAC --socket /run/vdnet.sock
VHOST=$(sed -n 's/.*device vh0: \(\/dev\/vhost-vdpa-[0-9]*\).*/\1/p' "$LOG" | head -1)
[ -c "$VHOST" ] || fail "vdnet did not name a vhost-vdpa char device"
ok "device vh0 is $VHOST"

step "nested guest initramfs"
"$VDN_REPO/tests/vm/l2/mkinitramfs.sh" /lib/modules "$VDN_KERNEL" /tmp/l2.cpio.gz ||
	fail "cannot build the nested guest's initramfs"

step "boot QEMU (TCG) with memory slots on $VHOST; the guest pings $COUNT times"
: >"$L2_CONSOLE"
rm -f "$MON.in" "$MON.out"
mkfifo "$MON.in" "$MON.out"
cat "$MON.out" >"$MON.log" &
CATPID=$!
# guest RAM in a shared memfd as examples/vm/start-vm.sh does, plus slots
# for DIMMs; memhp_default_state=online lets the guest use them too
# cx16=off, single-threaded TCG: nested TCG mis-emulates the guest kernel's
# cmpxchg16b now and then (SLUB oopses in early boot, flags garbage)
qemu-system-x86_64 -accel tcg,thread=single -cpu max,cx16=off -smp 1 \
	-m 256M,slots=$DIMMS,maxmem=$((256 + 128 * DIMMS))M \
	-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
	-netdev "vhost-vdpa,vhostdev=$VHOST,id=vdn0" -device virtio-net-pci,netdev=vdn0,romfile= \
	-nodefaults -no-reboot -display none \
	-chardev "pipe,id=mon,path=$MON" -mon chardev=mon,mode=readline \
	-kernel "$VMLINUZ" -initrd /tmp/l2.cpio.gz \
	-append "console=ttyS0 loglevel=4 panic=-1 memhp_default_state=online vdn.addr=10.0.0.1/24 vdn.peer=10.0.0.2 vdn.count=$COUNT vdn.interval=0.5 vdn.wait=120 vdn.memkb=$MEMKB vdn.count2=$COUNT2 vdn.interval2=0.05" \
	-serial "file:$L2_CONSOLE" >/tmp/l2-qemu.log 2>&1 &
QPID=$!
exec 7>"$MON.in"
mon() { echo "$*" >&7; }
start=$SECONDS
replies() { grep -ac "bytes from 10.0.0.2" "$L2_CONSOLE"; }
got_replies() { [ "$(replies)" -ge "$1" ]; }
wait_for 400 got_replies 3 || fail "the nested guest got no ping replies within 400 s"
ok "guest pinging after $((SECONDS - start)) s"

step "hot-plug $DIMMS DIMMs while the guest pings"
before=$(guest_maps | sort)
echo "$before" | sed 's/^/  mapped: /'
n0=$(echo "$before" | grep -c .)
[ "$n0" -ge 1 ] || fail "vdnet has no mapping of the guest's memfd"
inval0=$(grep -c "vh0: invalidate IOVA" "$LOG")
for i in $(seq "$DIMMS"); do
	r=$(replies)
	mon "object_add memory-backend-memfd,id=hp$i,size=128M,share=on"
	mon "device_add pc-dimm,id=dimm$i,memdev=hp$i"
	# traffic keeps flowing after each change
	wait_for 60 got_replies $((r + 2)) || fail "no ping replies after hot-plugging DIMM $i"
	ok "DIMM $i plugged, replies continue ($(replies) so far)"
done
mon "info memory-devices"
wait_for 20 grep -aq "\"dimm$DIMMS\"" "$MON.log" || fail "QEMU does not list dimm$DIMMS"
ok "QEMU lists $DIMMS DIMMs"
inval=$(($(grep -c "vh0: invalidate IOVA" "$LOG") - inval0))
[ "$inval" -ge "$DIMMS" ] || fail "vdnet saw $inval IOTLB invalidations for $DIMMS hot-plugs"
ok "$inval IOTLB invalidations while the driver ran"

step "the guest uses the new memory: vdnet maps it, old mappings are gone"
online() { grep -aq "VDN-L2: memory" "$L2_CONSOLE"; }
wait_for 120 online || fail "the guest did not online the DIMMs (MemTotal grew < $MEMKB kB)"
grep -a "VDN-L2: memory" "$L2_CONSOLE" | tail -1
wait_for 300 got_replies $((COUNT + COUNT2 - 10)) ||
	fail "ping replies stopped after the DIMMs came online ($(replies))"
after=$(guest_maps | sort)
echo "$after" | sed 's/^/  mapped: /'
dups=$(echo "$after" | uniq -d)
[ -z "$dups" ] || fail "mapped more than once (retired mappings not unmapped): $dups"
n1=$(echo "$after" | grep -c .)
[ "$n1" -le $((n0 + DIMMS)) ] ||
	fail "$n1 mappings after $DIMMS hot-plugs, from $n0: retired regions pile up"
files=$(echo "$after" | awk '{print $3}' | sort -u | grep -c .)
[ "$files" -ge 2 ] || fail "vdnet maps no hot-plugged DIMM (only $files memfd)"
grep -Eq "vh0: unmapped [1-9][0-9]* retired region" "$LOG" ||
	fail "vdnet never unmapped a retired region"
if grep -q "stay mapped for now" "$LOG"; then
	grep "stay mapped for now" "$LOG" | tail -3
	fail "the datapath was not quiescent within the bound"
fi
ok "$n1 mappings of $files memfds (from $n0 of 1), each once"

step "the guest finishes: every ping answered"
wait "$QPID"
qrc=$?
QPID=""
echo "nested guest ran $((SECONDS - start)) s"
[ "$qrc" = 0 ] || { cat /tmp/l2-qemu.log; fail "QEMU exited with status $qrc"; }
res=$(grep -a "VDN-L2-RESULT:" "$L2_CONSOLE" | tail -1 | tr -d "\r")
[ -n "$res" ] || fail "the nested guest printed no result"
expect_eq "nested guest result" "${res#*VDN-L2-RESULT: }" \
	"PING sent=$COUNT received=$COUNT, after hot-plug sent=$COUNT2 received=$COUNT2"
grep -q "IOTLB update.*queue stopped\|ring no longer translates" "$LOG" &&
	fail "a ring did not survive an IOTLB update"

step "no valid frame was dropped as malformed"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show stats vh0 --json | tee /tmp/stats.json
grep -q '"total":.*"bad-chain": 0' /tmp/stats.json || fail "chains dropped as malformed"
grep -q '"total":.*"bad-header": 0' /tmp/stats.json || fail "frames dropped for bad headers"
grep -Eq '"total": \{"rx_packets": [1-9]' /tmp/stats.json || fail "no packets to the guest"
kill -0 "$VDNET_PID" || fail "vdnet died"
vdnet_stop TERM
echo PASS
