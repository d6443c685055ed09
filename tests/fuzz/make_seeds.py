#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the fuzzers' seed corpus (tests/fuzz/corpus/<target>/): a few small,
well-formed inputs (and a few classic malformed ones) in each target's input
format, so fuzzing starts from the interesting shapes.  Rerun after changing
an input format:  tests/fuzz/make_seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
NEXT, WRITE, INDIRECT = 1, 2, 4


def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


# --- vring: fz_hdr, ops, arena image ---------------------------------------
def vring(log2num, flags, last_avail, desc, avail, used, perm, ops, descs, heads,
          avail_idx=None, extra=()):
    num = 1 << log2num
    img = bytearray(8192)
    for i, (addr, ln, fl, nx) in descs.items():
        struct.pack_into('<QIHH', img, desc + 16 * i, addr, ln, fl, nx)
    for at, blob in extra:
        img[at:at + len(blob)] = blob
    idx = last_avail + len(heads) if avail_idx is None else avail_idx
    struct.pack_into('<HH', img, avail, 0, idx & 0xffff)
    for k, h in enumerate(heads):
        struct.pack_into('<H', img, avail + 4 + 2 * ((last_avail + k) % num), h)
    struct.pack_into('<HH', img, used, 0, last_avail)
    hdr = struct.pack('<BBHHHH16sB', log2num, flags, last_avail, desc, avail, used,
                      perm, len(ops))
    # trim trailing zeros: the arena is zero-padded anyway
    return hdr + bytes(ops) + bytes(img).rstrip(b'\0')


POP, PUSH, FLUSH, UNPOP, NOTIFY, SETN, KICK, COUNT = range(8)
RW = b'\xff' * 16
ops = [COUNT, POP, POP, PUSH | 8, FLUSH, NOTIFY, POP, UNPOP | 8, POP, PUSH, PUSH, FLUSH,
       NOTIFY, SETN, SETN | 8, KICK | 8, POP, FLUSH]
table = struct.pack('<QIHHQIHH', 1200, 32, NEXT, 1, 2300, 100, WRITE, 0)
good = {0: (1024, 64, NEXT, 1), 1: (2048, 128, WRITE, 0),
        2: (3072, len(table), INDIRECT, 0), 3: (4000, 10, 0, 0)}
d = os.path.join(HERE, 'corpus', 'vring')
put(f'{d}/split-basic', vring(3, 0, 0, 0, 256, 512, RW, ops, good, [0, 2, 3],
                              extra=[(3072, table)]))
put(f'{d}/split-event-indirect', vring(3, 3, 65534, 0, 256, 512, RW, ops, good, [0, 2, 3],
                                       extra=[(3072, table)]))
# segments 8..15 (2048..4095) write-only, 4..7 read-only; every segment its own mapping
perm = bytes([0xff, 0x55, 0xaa, 0xaa]) + b'\xff' * 12
put(f'{d}/split-maps', vring(3, 7, 0, 0, 256, 512, perm, ops,
                             {0: (1024, 600, NEXT, 1), 1: (2048, 1500, WRITE, 0)}, [0]))
put(f'{d}/loop', vring(2, 0, 0, 0, 256, 512, RW, ops,
                       {0: (1024, 8, NEXT, 1), 1: (1040, 8, NEXT, 0)}, [0, 1]))
put(f'{d}/head-range', vring(2, 0, 0, 0, 256, 512, RW, ops, {0: (1024, 8, 0, 0)}, [7, 0]))
put(f'{d}/avail-jump', vring(2, 0, 0, 0, 256, 512, RW, ops, {0: (1024, 8, 0, 0)}, [0],
                             avail_idx=40))
# each ring area ends where an unmapped (poisoned) segment starts, so one
# entry too far is an ASan report: desc 0..255 | hole | avail ..1023 | hole |
# used ..1535 | hole | buffers from 1792
edge_perm = bytes([0xf3, 0xcf, 0xf3]) + b'\xff' * 13
edge = {i: (1792 + 64 * i, 64, NEXT if i < 15 else 0, i + 1) for i in range(16)}
put(f'{d}/edges', vring(4, 0, 0, 0, 1024 - 36, 1536 - 132, edge_perm, ops, edge, [0, 15]))
# IN_ORDER (flag 8), batched (16): pushes out of pop order, a reject among them
put(f'{d}/in-order', vring(3, 8 | 16, 0, 0, 256, 512, RW, ops, good, [3, 0, 2, 3],
                           extra=[(3072, table)]))
put(f'{d}/nested-indirect', vring(2, 2, 0, 0, 256, 512, RW, ops, {0: (3072, 16, INDIRECT, 0)},
                                  [0], extra=[(3072, struct.pack('<QIHH', 3072, 16, INDIRECT, 0))]))

# --- net_hdr: virtio_net_hdr_v1, nsegs, seg[4], rx_flags, frame -------------
def csum16(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack(f'>{len(b) // 2}H', b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def ipv4(proto, payload):
    l4len = 20 if proto == 6 else 8
    total = 20 + l4len + len(payload)
    ip = bytearray(struct.pack('>BBHHHBBH4s4s', 0x45, 0, total, 0, 0, 64, proto, 0,
                               bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    struct.pack_into('>H', ip, 10, 0xffff - csum16(bytes(ip)))
    phdr = csum16(bytes(ip[12:20]) + struct.pack('>BBH', 0, proto, l4len + len(payload)))
    if proto == 6:
        l4 = struct.pack('>HHIIBBHHH', 1234, 80, 1, 0, 5 << 4, 0x18, 512, phdr, 0)
        off = 16
    else:
        l4 = struct.pack('>HHHH', 1234, 53, l4len + len(payload), phdr)
        off = 6
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0])
    return eth + bytes(ip) + l4 + payload, 34, off


def net_hdr(flags, gso, start, off, nsegs, segs, rx, frame, gso_size=0):
    h = struct.pack('<BBHHHHH', flags, gso, 0, gso_size, start, off, 0)
    return h + bytes([nsegs]) + bytes(segs) + bytes([rx]) + frame


d = os.path.join(HERE, 'corpus', 'net_hdr')
payload = bytes((i * 7 + 3) & 0xff for i in range(300))
f, st, off = ipv4(6, payload)
put(f'{d}/tcp', net_hdr(1, 0, st, off, 0, [0, 0, 0, 0], 6, f))
put(f'{d}/tcp-chain-odd', net_hdr(1, 0, st, off, 3, [35, 17, 1, 0], 5, f))
f, st, off = ipv4(17, payload[:33])
put(f'{d}/udp', net_hdr(1, 0, st, off, 1, [41, 0, 0, 0], 4, f))
put(f'{d}/udp-zero-len-seg', net_hdr(1, 0, st, off, 2, [0, 40, 0, 0], 2, f))
put(f'{d}/no-csum', net_hdr(0, 0, 0, 0, 0, [0, 0, 0, 0], 0, f))
put(f'{d}/gso', net_hdr(1, 1, st, off, 0, [0, 0, 0, 0], 0, f, gso_size=1448))
put(f'{d}/csum-past-end', net_hdr(1, 0, len(f) - 1, 0, 0, [0, 0, 0, 0], 0, f))

# --- cvq: features, max_qp, budget, nreq; requests; frames ------------------
def req(cls, cmd, data, shape=0):
    r = bytes([cls, cmd]) + data
    return struct.pack('<HB', len(r), shape) + r


mac1 = bytes([0x52, 0x54, 0, 0xaa, 0xbb, 0x01])
mcast = bytes([0x01, 0x00, 0x5e, 0, 0, 1])
reqs = [req(0, 0, b'\0'),                                              # promisc off
        req(1, 0, struct.pack('<I', 1) + mac1 + struct.pack('<I', 1) + mcast, shape=2),
        req(1, 1, bytes([0x52, 0x54, 0, 1, 2, 3]), shape=1),          # MAC_ADDR_SET
        req(2, 0, struct.pack('<H', 100), shape=3),                   # VLAN_ADD 100
        req(4, 0, struct.pack('<H', 2)),                              # VQ_PAIRS_SET 2
        req(0, 1, b'\1', shape=4),                                    # allmulti, no ack
        req(0, 3, b'\1', shape=8),                                    # zero-length ack
        req(9, 9, b'', shape=16)]                                     # ack first
bcast = b'\xff' * 6 + mac1 + b'\x08\x00' + b'\0' * 20
vlan = mac1 + mac1 + b'\x81\x00\x00\x64\x08\x00' + b'\0' * 20
uni = bytes([0x52, 0x54, 0, 1, 2, 3]) + mac1 + b'\x08\x00' + b'\0' * 10
frames = b''.join(bytes([len(x)]) + x for x in [bcast, vlan, uni, mcast + mac1 + b'\x08\x00'])
d = os.path.join(HERE, 'corpus', 'cvq')
put(f'{d}/all', bytes([0x3f, 4, 3, len(reqs)]) + b''.join(reqs) + frames)
put(f'{d}/no-features', bytes([0x01, 1, 0x81, len(reqs)]) + b''.join(reqs) + frames)
put(f'{d}/big-table', bytes([0x3f, 2, 15, 1]) +
    req(1, 0, struct.pack('<I', 70) + mac1 * 70 + struct.pack('<I', 0)) + frames)

# --- vring_packed: fz_hdr, ops, arena image ---------------------------------
PK_AVAIL, PK_USED = 1 << 7, 1 << 15


def packed(num, flags, pos, desc, drv, dev, perm, ops, descs, extra=()):
    """descs: {slot: (addr, len, id, flags)}; AVAIL/USED bits as given."""
    img = bytearray(8192)
    for i, (addr, ln, bid, fl) in descs.items():
        struct.pack_into('<QIHH', img, desc + 16 * i, addr, ln, bid, fl)
    for at, blob in extra:
        img[at:at + len(blob)] = blob
    hdr = struct.pack('<BBHHHH16sB', num - 1, flags, pos, desc, drv, dev, perm, len(ops))
    return hdr + bytes(ops) + bytes(img).rstrip(b'\0')


A = PK_AVAIL  # available on the first lap (wrap counter 1)
MARK = 6
pops = [COUNT, POP, POP, PUSH | 8, FLUSH, NOTIFY, POP, UNPOP | 8, POP, PUSH, PUSH, FLUSH,
        NOTIFY, SETN, SETN | 8, MARK, MARK | 8, MARK | 16, POP, POP, PUSH, FLUSH, NOTIFY]
ptable = struct.pack('<QIHHQIHH', 1200, 32, 0, 0, 2300, 100, 0, WRITE)
pgood = {0: (1024, 64, 0, A | NEXT), 1: (2048, 128, 5, A | WRITE),
         2: (3072, len(ptable), 1, A | INDIRECT), 3: (4000, 10, 2, A)}
d = os.path.join(HERE, 'corpus', 'vring_packed')
put(f'{d}/basic', packed(8, 2, 0, 0, 256, 260, RW, pops, pgood, extra=[(3072, ptable)]))
put(f'{d}/event-idx', packed(8, 3, 0, 0, 256, 260, RW, pops, pgood, extra=[(3072, ptable)]))
# a chain across the end of the ring: slots 6, 7 on lap 1, slot 0 on lap 2
put(f'{d}/wrap', packed(8, 0, 6, 0, 256, 260, RW, pops,
                        {6: (1024, 16, 0, A | NEXT), 7: (1040, 16, 0, A | NEXT),
                         0: (2048, 64, 3, PK_USED | WRITE)}))
put(f'{d}/second-lap', packed(8, 8, 0, 0, 256, 260, RW, pops,
                              {0: (1024, 16, 4, PK_USED), 1: (1040, 16, 5, PK_USED)}))
put(f'{d}/loop', packed(4, 0, 0, 0, 256, 260, RW, pops,
                        {i: (1024 + 16 * i, 16, 0, A | NEXT) for i in range(4)}))
put(f'{d}/id-range', packed(4, 0, 0, 0, 256, 260, RW, pops, {0: (1024, 8, 200, A)}))
put(f'{d}/dup-id', packed(4, 0, 0, 0, 256, 260, RW, [POP, POP, POP, PUSH, FLUSH, POP],
                          {0: (1024, 8, 1, A), 1: (1040, 8, 1, A), 2: (1056, 8, 2, A)}))
# IN_ORDER (flag 16), batched (32)
put(f'{d}/in-order', packed(8, 16 | 32 | 2, 0, 0, 256, 260, RW, pops, pgood,
                            extra=[(3072, ptable)]))
put(f'{d}/nested-indirect', packed(4, 2, 0, 0, 256, 260, RW, pops,
                                   {0: (3072, 16, 0, A | INDIRECT)},
                                   extra=[(3072, struct.pack('<QIHH', 3072, 16, 0, INDIRECT))]))
# ring, event areas and buffers in separate mappings, buffers read-only /
# write-only where their direction says
put(f'{d}/maps', packed(16, 7, 3, 0, 512, 516, perm, pops,
                        {3: (1024, 600, 9, A | NEXT), 4: (2048, 1500, 0, A | WRITE)}))

# --- gso: virtio_net_hdr_v1, nsegs, seg[4], max_frame, batch, spare, frame --
def tcp_frame(v6, payload, vlan=False, opts=b'', flags=0x18, frag=0):
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])
    if vlan:
        eth += b'\x81\x00\x00\x2a'
    eth += b'\x86\xdd' if v6 else b'\x08\x00'
    doff = (20 + len(opts)) // 4
    tcp = struct.pack('>HHIIBBHHH', 40000, 5201, 0xfffff000, 7, doff << 4, flags, 512, 0, 0) + opts
    l4len = len(tcp) + len(payload)
    if v6:
        ip = struct.pack('>IHBB16s16s', 6 << 28, l4len, 6, 64, bytes(15) + b'\1', bytes(15) + b'\2')
    else:
        ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + l4len, 0xfffe, frag, 64, 6, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return eth + ip + tcp + payload, len(eth) + len(ip)


def gso(v6, mss, frame, l4, gso_type=None, flags=1, start=None, off=16, nsegs=0,
        segs=(0, 0, 0, 0), max_frame=42, batch=3):
    t = gso_type if gso_type is not None else (4 if v6 else 1)
    h = struct.pack('<BBHHHHH', flags, t, l4 + 32, mss, l4 if start is None else start, off, 0)
    return h + bytes([nsegs]) + bytes(segs) + bytes([max_frame, batch, 0]) + frame


d = os.path.join(HERE, 'corpus', 'gso')
pl = bytes((i * 13 + 1) & 0xff for i in range(3000))
ts = b'\x01\x01\x08\x0a' + bytes(8)
f, l4 = tcp_frame(False, pl, opts=ts, flags=0x99)  # FIN PSH ACK CWR
put(f'{d}/v4', gso(False, 1448, f, l4))
put(f'{d}/v4-chain', gso(False, 500, f, l4, nsegs=4, segs=(3, 5, 40, 1), batch=0x85))
f6, l46 = tcp_frame(True, pl, vlan=True, opts=ts)
put(f'{d}/v6-vlan', gso(True, 1000, f6, l46, nsegs=2, segs=(4, 0, 0, 0)))
put(f'{d}/v4-small-pool', gso(False, 1448, f, l4, batch=0x8f))
put(f'{d}/v4-frag', gso(False, 1448, tcp_frame(False, pl, frag=0x2000)[0], l4))
put(f'{d}/v4-bad-csum-start', gso(False, 1448, f, l4, start=l4 + 1))
put(f'{d}/v4-too-big', gso(False, 9000, f, l4, max_frame=40))
put(f'{d}/udp', gso(False, 1448, f, l4, gso_type=3))

# --- gro: packets, cfg, piece, chunk; per packet len16 ctl poke_off poke_val;
# header length, header, payload bytes ------------------------------------------
def gro(n, hdr, lens, ctls, cfg=3 | (62 << 2), piece=190, chunk=0, pokes=None):
    spec = b''
    for i in range(n):
        po, pv = (pokes or {}).get(i, (0, 0))
        spec += struct.pack('>HBBB', lens[i], ctls[i], po, pv)
    return bytes([n - 2, cfg, piece, chunk]) + spec + bytes([len(hdr)]) + hdr + pl[:1500]


d = os.path.join(HERE, 'corpus', 'gro')
FIX = 1 | 2 | 4 | 8  # lengths, seq, IPv4 header checksum, TCP checksum
h4 = tcp_frame(False, b'', opts=ts, flags=0x10, frag=0x4000)[0]
h6 = tcp_frame(True, b'', opts=ts, flags=0x10)[0]
put(f'{d}/v4-run', gro(6, h4, [1448] * 5 + [700], [FIX] * 5 + [FIX | 64]))
put(f'{d}/v6-run-chained', gro(5, h6, [1000] * 5, [FIX] * 5, chunk=7))
put(f'{d}/v4-poked', gro(4, h4, [1448] * 4, [FIX] * 2 + [FIX | 128] + [FIX], pokes={2: (9, 0x40)}))
put(f'{d}/v4-port-good', gro(4, h4, [1448] * 4, [FIX & ~8 | 16] * 4))
put(f'{d}/v4-hole', gro(4, h4, [1448] * 4, [FIX, FIX, FIX & ~2, FIX]))
