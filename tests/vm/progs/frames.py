#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw test frames, to see what a device's RX filter lets through.

  frames.py send IFACE DST_MAC COUNT [VLAN_ID]   COUNT frames to DST_MAC
  frames.py count IFACE SECONDS [STOP_AT]        frames of ours seen on IFACE
                                                 within SECONDS or until STOP_AT
                                                 (prints "ready" once listening)

Frames carry ethertype 0x88b5 (local experimental) and a marker, so the
counter ignores everything else on the link.  A packet socket does not
make the interface promiscuous: it sees what the device delivered."""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETHERTYPE = 0x88B5
MARK = b"vdn-cvq-test"


def send(ifname, dst, count, vid=None):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    src = s.getsockname()[4]
    hdr = bytes.fromhex(dst.replace(":", "")) + src
    if vid is not None:
        hdr += struct.pack("!HH", 0x8100, vid)
    hdr += struct.pack("!H", ETHERTYPE)
    for i in range(count):
        s.send((hdr + MARK + struct.pack("!I", i)).ljust(60, b"\0"))
        time.sleep(0.01)


def count(ifname, seconds, stop_at=None):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.settimeout(0.2)
    print("ready", flush=True)
    n, end = 0, time.time() + seconds
    while time.time() < end and n != stop_at:
        try:
            if MARK in s.recv(2048):
                n += 1
        except socket.timeout:
            pass
    print(n)


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]),
             int(sys.argv[5]) if len(sys.argv) > 5 else None)
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "count":
        count(sys.argv[2], float(sys.argv[3]),
              int(sys.argv[4]) if len(sys.argv) > 4 else None)
    else:
        sys.exit(__doc__)
