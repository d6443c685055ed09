# SPDX-License-Identifier: BSD-3-Clause
# The VM path with QEMU as the client: a nested guest (TCG, tiny busybox
# initramfs, the same Debian kernel) whose virtio-net-pci NIC is the
# vduse-net device through vhost-vdpa (started by examples/vm/start-vm.sh,
# guest RAM in a shared memfd):
#   peer netns [vb 10.0.0.2] --veth-- va <AF_XDP> vdnet <VDUSE/vhost-vdpa> QEMU [eth0 10.0.0.1]
# The guest pings the peer and reports on its serial console; the peer must
# have learnt the device's MAC; vdnet must have counted traffic both ways and
# must survive the VM going away (the device is reset, not vdnet).
#
#   vhost_qemu.sh [VMLINUZ]   (default: the kernel run.sh booted, from .cache)
. "$VDN_REPO/tests/vm/lib/helpers.sh"
LOG=/tmp/vdnet.log
MAC=02:00:00:00:00:31
COUNT=5
L2_CONSOLE=/tmp/l2-console.log
VMLINUZ=${1:-$VDN_REPO/.cache/kernel-$VDN_KERNEL/root/boot/vmlinuz-$VDN_KERNEL}
[ -f "$VMLINUZ" ] || fail "no kernel for the nested guest at $VMLINUZ (pass its path)"

trap 'rc=$?; [ $rc = 0 ] || { echo "--- vdnet log (tail)"; tail -30 "$LOG";
	echo "--- nested guest console (tail)"; tail -30 "$L2_CONSOLE"; }' EXIT

step "setup: netns peer, veth va/vb, vdnet with a vhost-vdpa device"
load_modules
make_netns peer
make_veth va vb peer 10.0.0.2/24
vdnet_start "$LOG" -l 0-1 $VM_EAL --vdev net_af_xdp0,iface=va -- --idle-sleep 20 \
	--device name=vh0,port=net_af_xdp0,bus=vhost,mac=$MAC --socket /run/vdnet.sock
VHOST=$(sed -n 's/.*device vh0: \(\/dev\/vhost-vdpa-[0-9]*\).*/\1/p' "$LOG" | head -1)
[ -c "$VHOST" ] || fail "vdnet did not name a vhost-vdpa char device"
ok "device vh0 is $VHOST"

step "nested guest initramfs (busybox + virtio_net from /lib/modules/$VDN_KERNEL)"
"$VDN_REPO/tests/vm/l2/mkinitramfs.sh" /lib/modules "$VDN_KERNEL" /tmp/l2.cpio.gz ||
	fail "cannot build the nested guest's initramfs"
ok "$(du -k /tmp/l2.cpio.gz | cut -f1) KiB"

step "boot QEMU (TCG) on $VHOST; the guest pings 10.0.0.2 $COUNT times"
: >"$L2_CONSOLE"
resets=$(grep -c "vh0: status 0x[0-9a-f]* -> 0$" "$LOG")
start=$SECONDS
# through the example users copy (which puts guest RAM in a shared memfd,
# the only kind vhost-vdpa hands VDUSE), naming the device as vdnet knows it
# -cpu again (the last one counts): nested TCG mis-emulates the guest
# kernel's cmpxchg16b now and then (SLUB oopses in early boot)
timeout 480 "$VDN_REPO/examples/vm/start-vm.sh" --accel tcg --cpus 1 --mem 256 vh0 \
	-nodefaults -no-reboot -display none \
	-cpu max,cx16=off \
	-kernel "$VMLINUZ" -initrd /tmp/l2.cpio.gz \
	-append "console=ttyS0 loglevel=4 panic=-1 vdn.addr=10.0.0.1/24 vdn.peer=10.0.0.2 vdn.count=$COUNT" \
	-serial "file:$L2_CONSOLE" >/tmp/l2-qemu.log 2>&1
qrc=$?
echo "nested guest ran $((SECONDS - start)) s"
grep "VDN-L2" "$L2_CONSOLE"
[ "$qrc" = 124 ] && fail "the nested guest did not finish within 480 s"
[ "$qrc" = 0 ] || { cat /tmp/l2-qemu.log; fail "QEMU exited with status $qrc"; }
res=$(grep -a "VDN-L2-RESULT:" "$L2_CONSOLE" | tail -1 | tr -d "\r")
[ -n "$res" ] || fail "the nested guest printed no result"
expect_eq "nested guest result" "${res#*VDN-L2-RESULT: }" "PING sent=$COUNT received=$COUNT"
grep -aq "VDN-L2: eth0 mac $MAC" "$L2_CONSOLE" || fail "the guest's NIC does not have the device's MAC $MAC"
ok "the guest's eth0 has the device's MAC"

step "the peer saw the guest, vdnet counted both ways"
peer_mac=$(ip -n peer neigh show 10.0.0.1 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
expect_eq "MAC the peer sees for 10.0.0.1" "$peer_mac" "$MAC"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show stats vh0 | tee /tmp/stats.txt
grep -Eq "to-driver [1-9][0-9]* pkts" /tmp/stats.txt || fail "stats show no packets to the guest"
grep -Eq "from-driver [1-9][0-9]* pkts" /tmp/stats.txt || fail "stats show no packets from the guest"

step "the VM is gone: the device was reset, vdnet still serves"
reset_seen() { [ "$(grep -c "vh0: status 0x[0-9a-f]* -> 0$" "$LOG")" -gt "$resets" ]; }
wait_for 10 reset_seen || fail "vdnet saw no reset after QEMU exited"
ok "device reset"
kill -0 "$VDNET_PID" || fail "vdnet died"
"$BUILD/app/vdnet" --connect /run/vdnet.sock show devices | grep -q "vh0.*$VHOST" ||
	fail "vdnet no longer lists vh0 on $VHOST"
ok "vh0 still on $VHOST"
vdnet_stop TERM
echo PASS
