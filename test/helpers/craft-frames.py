#!/usr/bin/env python3
"""Sends hand-built Ethernet frames on an interface through an AF_PACKET socket,
for shapes the test machine's kernel cannot make itself (it has no VLAN devices):
802.1Q and QinQ tags, IPv4 options, IPv6 extension headers, GRE, a non-IP frame.

Usage: craft-frames.py IFACE DST_MAC SRC_IP4 DST_IP4 SRC_IP6 DST_IP6 [NAME]
Sends every frame, or only NAME ('other' is a frame no host answers: a marker).
Prints one JSON object: the frames sent, by name, with their on-wire lengths."""
import json
import socket
import struct
import sys

iface, dst_mac, src4, dst4, src6, dst6 = sys.argv[1:7]
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))
src_mac = sock.getsockname()[4]
dst = bytes.fromhex(dst_mac.replace(':', ''))


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ipv4(proto, payload, options=b''):
    ihl = (20 + len(options)) // 4
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, 20 + len(options) + len(payload), 1, 0, 64, proto, 0,
                      socket.inet_aton(src4), socket.inet_aton(dst4)) + options
    return hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:] + payload


def ipv6(next_hdr, payload):
    return struct.pack('!IHBB16s16s', 6 << 28, len(payload), next_hdr, 64,
                       socket.inet_pton(socket.AF_INET6, src6), socket.inet_pton(socket.AF_INET6, dst6)) + payload


def udp(sport, dport, n):
    return struct.pack('!HHHH', sport, dport, 8 + n, 0) + b'u' * n


def eth(ethertype, payload, tags=()):
    frame = dst + src_mac
    for tpid, vid in tags:
        frame += struct.pack('!HH', tpid, vid)
    return frame + struct.pack('!H', ethertype) + payload


# IPv6: hop-by-hop (8 bytes, PadN) -> destination options (8 bytes) -> UDP
hop = struct.pack('!BB', 60, 0) + b'\x01\x04\0\0\0\0'
dstopt = struct.pack('!BB', 17, 0) + b'\x01\x04\0\0\0\0'
frames = {
    'vlan': eth(0x0800, ipv4(17, udp(5000, 7780, 20)), [(0x8100, 100)]),
    'qinq': eth(0x0800, ipv4(17, udp(5000, 7781, 20)), [(0x88a8, 200), (0x8100, 300)]),
    'ip6ext': eth(0x86dd, ipv6(0, hop + dstopt + udp(5000, 7782, 20))),
    'ip4opts': eth(0x0800, ipv4(17, udp(5000, 7783, 20), options=b'\x01\x01\x01\x00')),
    'gre': eth(0x0800, ipv4(47, struct.pack('!HH', 0, 0x0800) + ipv4(17, udp(1, 2, 4)))),
    'other': eth(0x88b5, b'\0' * 46),
}
only = sys.argv[7] if len(sys.argv) > 7 else None
sent = {}
for name, frame in frames.items():
    if only and name != only:
        continue
    sock.send(frame)
    sent[name] = len(frame)
print(json.dumps(sent))
