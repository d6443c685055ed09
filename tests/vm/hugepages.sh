# SPDX-License-Identifier: BSD-3-Clause
# vdnet on hugepages (the way it runs in production; the other scenarios use
# --no-huge): 2 MiB pages reserved in the guest, EAL without --no-huge, the
# container gets traffic through the device, and the daemon's memory really
# came from hugetlbfs (HugePages_Free drops while it runs).
#   peer netns [vb 10.0.0.2] --veth-- va <AF_XDP> vdnet <VDUSE> eth0 [ctr netns 10.0.0.1]
# Needs guest memory for the 600 MiB of pages: run.sh --mem 2048.
. "$VDN_REPO/tests/vm/lib/helpers.sh"
PAGES=300
LOG=/tmp/vdnet-huge.log
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }

step "reserve $PAGES hugepages of 2 MiB"
grep -q " /dev/hugepages hugetlbfs " /proc/mounts || fail "hugetlbfs is not mounted at /dev/hugepages"
expect_eq "Hugepagesize" "$(meminfo Hugepagesize)" 2048
echo $PAGES >/proc/sys/vm/nr_hugepages
expect_eq "HugePages_Total" "$(meminfo HugePages_Total)" $PAGES
free_before=$(meminfo HugePages_Free)
expect_eq "HugePages_Free before vdnet" "$free_before" $PAGES

step "setup: netns peer + ctr, veth va/vb"
load_modules
make_netns peer
make_netns ctr
make_veth va vb peer 10.0.0.2/24

step "start vdnet with hugepages (no --no-huge)"
vdnet_start "$LOG" -l 0-1 --no-pci --file-prefix vdnet-huge -m 256 --vdev net_af_xdp0,iface=va -- \
	--idle-sleep 20 --device name=vdh0,port=net_af_xdp0,netns=ctr,ifname=eth0
grep -q "no-huge\|No free 2048 kB hugepages" "$LOG" && { cat "$LOG"; fail "EAL did not use hugepages"; }
free_running=$(meminfo HugePages_Free)
used=$((free_before - free_running))
ls /dev/hugepages | grep -q "^vdnet-huge" || { ls -l /dev/hugepages; fail "no vdnet-huge files in /dev/hugepages"; }
# -m 256 is 128 pages, all taken at start-up
[ "$used" -ge 128 ] || fail "only $used hugepages in use while vdnet runs (HugePages_Free $free_before -> $free_running)"
ok "vdnet uses $used hugepages ($((used * 2)) MiB; HugePages_Free $free_before -> $free_running)"

step "traffic through the device"
wait_for_iface eth0 ctr
ip -n ctr addr add 10.0.0.1/24 dev eth0
ip -n ctr link set eth0 up
wait_for 20 ip netns exec ctr ping -c 1 -W 1 10.0.0.2 || { cat "$LOG"; fail "no ping reply at all"; }
out=$(ip netns exec ctr ping -c 10 -i 0.2 -W 2 10.0.0.2) || { echo "$out"; cat "$LOG"; fail "ping failed"; }
echo "$out" | tail -2
echo "$out" | grep -q " 0% packet loss" || fail "ping lost packets"
ip netns exec peer iperf3 -s -D -1 -p 5201 >/dev/null
wait_listen peer 5201
ip netns exec ctr iperf3 -c 10.0.0.2 -p 5201 -t 2 -f m >/tmp/iperf.txt || { cat /tmp/iperf.txt; fail "iperf3 failed"; }
grep -E "receiver" /tmp/iperf.txt

step "SIGTERM tears everything down"
vdnet_stop TERM
ip -n ctr link show eth0 >/dev/null 2>&1 && fail "eth0 still in ctr after vdnet exited"
expect_eq "vdpa dev show" "$(vdpa dev show)" ""
[ ! -e /dev/vduse/vdh0 ] || fail "/dev/vduse/vdh0 still exists"
ok "device gone; HugePages_Free after exit: $(meminfo HugePages_Free)"
echo PASS
