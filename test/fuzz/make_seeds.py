#!/usr/bin/env python3
"""test/fuzz/make_seeds.py - writes the seed corpora of the harnesses whose input is a small
binary script rather than a protocol message captured elsewhere: fuzz_allowedips (insert /
remove / remove-by-owner / lookup operations, see its header) and fuzz_udp_input (a mode
byte, then a datagram or an inner packet, see its header). Run from the repo root; the
output is committed, so the fuzzers start from inputs that reach deep code at once.
The genuine-* seeds of fuzz_udp_input (handshake and data messages that only the devices
can make) come from the harness itself:
    UWG_FUZZ_WRITE_SEEDS=test/fuzz/corpus/fuzz_udp_input build/fuzz/test/fuzz_udp_input"""
import os
import struct

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')


def write(harness, name, data):
    d = os.path.join(root, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def icmp_echo(ident, seq, data=b'uwg-seed'):
    m = struct.pack('!BBHHH', 8, 0, 0, ident, seq) + data
    return m[:2] + struct.pack('!H', csum(m)) + m[4:]


def ipv6(src, dst, nh, payload):
    return struct.pack('!IHBB16s16s', 6 << 28, len(payload), nh, 64, bytes(src), bytes(dst)) + payload


A4, B4 = [10, 0, 0, 1], [10, 0, 0, 2]
A6, B6 = [0xfd] + [0] * 14 + [1], [0xfd] + [0] * 14 + [2]

# fuzz_udp_input: mode byte (bits 0-1 delivery, 2-3 clock step, 4-7 index choice)
write('fuzz_udp_input', 'enc-icmp4', bytes([2]) + ipv4(A4, B4, 1, icmp_echo(1, 1)))
write('fuzz_udp_input', 'enc-icmp4-badsrc', bytes([2]) + ipv4([10, 0, 0, 9], B4, 1, icmp_echo(1, 2)))
write('fuzz_udp_input', 'enc-icmp6', bytes([2]) + ipv6(A6, B6, 58, bytes([128, 0, 0, 0, 0, 1, 0, 1]) + b'seed'))
write('fuzz_udp_input', 'enc-udp4', bytes([2 | 4]) + ipv4(A4, B4, 17, struct.pack('!HHHH', 1000, 2000, 12, 0) + b'data'))
write('fuzz_udp_input', 'enc-keepalive', bytes([2]))
write('fuzz_udp_input', 'enc-truncated-ip', bytes([2]) + ipv4(A4, B4, 1, icmp_echo(1, 3))[:18])
write('fuzz_udp_input', 'data-live-index', bytes([1]) + struct.pack('<IIQ', 4, 0, 0) + b'\0' * 32)
write('fuzz_udp_input', 'data-live-index-late', bytes([1 | 12 | 16]) + struct.pack('<IIQ', 4, 0, 7) + b'\0' * 16)
write('fuzz_udp_input', 'initiation', bytes([0]) + struct.pack('<II', 1, 0x11223344) + b'\0' * 140)
write('fuzz_udp_input', 'response', bytes([1]) + struct.pack('<III', 2, 0x55667788, 0) + b'\0' * 80)
write('fuzz_udp_input', 'cookie-reply', bytes([1]) + struct.pack('<II', 3, 0) + b'\0' * 56)
write('fuzz_udp_input', 'stranger-data', bytes([3]) + struct.pack('<IIQ', 4, 1, 0) + b'\0' * 16)
write('fuzz_udp_input', 'bad-type', bytes([0]) + struct.pack('<I', 9) + b'\0' * 28)

# fuzz_allowedips: op byte (bit 0 v6, bits 1-2 owner, bits 3-7 kind: <12 insert, <22 remove,
# <23 remove by owner, else lookup), address bytes, cidr byte
def op(kind, owner, v6, addr, cidr=None):
    b = bytes([(kind << 3) | (owner << 1) | v6]) + bytes(addr)
    return b + (bytes([cidr]) if cidr is not None else b'')


write('fuzz_allowedips', 'nested-v4', op(0, 0, 0, [10, 0, 0, 0], 8) + op(0, 1, 0, [10, 1, 0, 0], 16) +
      op(0, 2, 0, [10, 1, 2, 3], 32) + op(23, 0, 0, [10, 1, 2, 3], 32) + op(23, 0, 0, [10, 9, 9, 9], 32))
write('fuzz_allowedips', 'nested-v6', op(0, 0, 1, [0xfd] + [0] * 15, 8) +
      op(0, 1, 1, [0xfd, 0, 0, 1] + [0] * 12, 64) + op(0, 2, 1, A6, 128) + op(23, 0, 1, A6, 128))
write('fuzz_allowedips', 'default-routes', op(0, 0, 0, [0] * 4, 0) + op(0, 1, 1, [0] * 16, 0) +
      op(23, 0, 0, [203, 0, 114, 1], 32) + op(23, 0, 1, B6, 128))
write('fuzz_allowedips', 'remove', op(0, 0, 0, [192, 168, 0, 0], 16) + op(0, 0, 0, [192, 168, 1, 0], 24) +
      op(12, 0, 0, [192, 168, 1, 0], 24) + op(23, 0, 0, [192, 168, 1, 1], 32))
write('fuzz_allowedips', 'remove-owner', op(0, 1, 0, [10, 0, 0, 0], 24) + op(0, 1, 1, A6, 128) +
      op(0, 2, 0, [10, 0, 1, 0], 24) + op(22, 1, 0, [0] * 4, 0) + op(23, 0, 0, [10, 0, 0, 5], 32))
write('fuzz_allowedips', 'overwrite-owner', op(0, 0, 0, [10, 0, 0, 0], 24) + op(0, 3, 0, [10, 0, 0, 0], 24) +
      op(23, 0, 0, [10, 0, 0, 7], 32))
write('fuzz_allowedips', 'unmasked-host-bits', op(0, 0, 0, [10, 1, 2, 3], 8) + op(0, 0, 1, A6, 17) +
      op(23, 0, 0, [10, 200, 0, 1], 32))
