#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Move a known byte stream over TCP and print its SHA-256 on both ends, so a
test can prove data arrived intact (iperf3 only counts bytes).

  tcp_xfer.py recv PORT            -> prints "recv BYTES SHA256" after EOF
  tcp_xfer.py send HOST PORT BYTES -> prints "send BYTES SHA256"
(HOST an IPv4 or IPv6 address; recv listens on both.)
"""
import hashlib
import os
import socket
import sys


def recv(port):
    # IPv6 and, v4-mapped, IPv4 alike
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", port))
    srv.listen(1)
    srv.settimeout(60)
    conn, _ = srv.accept()
    conn.settimeout(60)
    h, n = hashlib.sha256(), 0
    while True:
        b = conn.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    print("recv", n, h.hexdigest(), flush=True)


def send(host, port, total):
    s = socket.create_connection((host, port), timeout=60)
    h, n = hashlib.sha256(), 0
    while n < total:
        b = os.urandom(min(65536, total - n))
        s.sendall(b)
        h.update(b)
        n += len(b)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # wait for the receiver to close: everything was read
    print("send", n, h.hexdigest(), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "recv":
        recv(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
