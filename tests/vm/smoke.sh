# SPDX-License-Identifier: BSD-3-Clause
# Proves the test bed: the guest kernel has VDUSE and the vdpa bus, and the
# CTRL_VQ gate is what we believe it is on the module that is loaded:
# stock module -> CTRL_VQ(+MQ) refused with EINVAL; test-only module -> accepted.
#   tests/vm/run.sh [--cvq-module] tests/vm/smoke.sh PATH/TO/vduse_probe
. "$VDN_REPO/tests/vm/lib/helpers.sh"
PROBE=${1:?usage: smoke.sh PATH/TO/vduse_probe}

step "kernel $(uname -r), cvq module: $VDN_CVQ"
load_modules
ok "/dev/vduse/control exists"

step "vdpa management device"
mg=$(vdpa mgmtdev show) || fail "vdpa mgmtdev show failed"
echo "$mg"
echo "$mg" | grep -q '^vduse:' || fail "vdpa mgmtdev show does not list vduse"
echo "$mg" | grep -Eq 'supported_classes .*\bnet\b' || fail "vduse does not support class net"
ok "vduse listed with class net"

step "plain net device (1 queue pair, no control queue)"
expect_eq "create plain" "$("$PROBE" vdnprobe plain)" "result=ok"

step "net device with CTRL_VQ and CTRL_VQ+MQ"
if [ "$VDN_CVQ" = 1 ]; then want=result=ok; else want=result=EINVAL; fi
expect_eq "create cvq" "$("$PROBE" vdnprobe cvq)" "$want"
expect_eq "create cvq-mq" "$("$PROBE" vdnprobe cvq-mq)" "$want"
[ ! -e /dev/vduse/vdnprobe ] || fail "/dev/vduse/vdnprobe left behind"
echo "PASS"
