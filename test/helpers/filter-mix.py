#!/usr/bin/env python3
"""Sends a mix of frames for the filter tests, built with scapy, on an interface
through an AF_PACKET socket: every family pcap-filter(7) has a primitive for.

Usage: filter-mix.py IFACE DST_MAC ether|raw|marker [LENGTH_BASE]
With DST_MAC 'tun', IFACE is a tun device: the packets are written to it, and
arrive on it as though from the network.
  ether: Ethernet frames (IPv4/IPv6 TCP, UDP, ICMP, ICMPv6, SCTP, ESP, AH, GRE,
         IGMP, PIM, VRRP; IPv6 extension headers; fragments; ARP, RARP; 802.1Q
         and QinQ; LLC/STP, IPX, SNAP; MPLS, PPPoE; broadcast and multicast;
         60 to 9000 bytes), then a marker frame (ethertype 0x88b5).
  raw:   IPv4 packets alone, for a device without a link-layer header (ipip).
  marker: one IPv4 packet (UDP to port 7777) on such a device, to know the rest arrived.
Every frame has its own length (LENGTH_BASE and up), so a length names a frame.
The receiving host owns none of the addresses: nothing answers.
Prints one JSON object: how many frames were sent and their lengths."""
import json
import socket
import sys

from scapy.all import (AH, ARP, ESP, GRE, ICMP, IP, LLC, SNAP, STP, TCP, UDP, Dot1AD, Dot1Q, Dot3,
                       Ether, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NS, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                       Raw, raw)
from scapy.contrib.igmp import IGMP
from scapy.contrib.mpls import MPLS
from scapy.layers.ppp import PPP, PPPoE
from scapy.layers.sctp import SCTP, SCTPChunkInit

iface, dst_mac, kind = sys.argv[1:4]
base = int(sys.argv[4]) if len(sys.argv) > 4 else 60

S4, D4, D4B = '198.51.100.7', '203.0.113.9', '203.0.113.10'
S6, D6 = '2001:db8:1::7', '2001:db8:2::9'
BCAST = 'ff:ff:ff:ff:ff:ff'


def ip_mix():
    """IPv4 packets (no link layer): transport, protocol and fragment variety."""
    out = []
    for sport, dport, flags in [(40000, 80, 'S'), (80, 40000, 'SA'), (40001, 443, 'A'), (40001, 443, 'PA'),
                                (40002, 22, 'FA'), (22, 40002, 'R'), (40003, 8080, 'S'), (40004, 53, 'S'),
                                (40005, 1500, 'SE'), (40006, 2000, 'U')]:
        out.append(IP(src=S4, dst=D4) / TCP(sport=sport, dport=dport, flags=flags) / Raw(b'tcp'))
    for sport, dport in [(40010, 53), (53, 40010), (40011, 5353), (123, 123), (40012, 1999), (40013, 2001),
                         (40014, 33434), (67, 68)]:
        out.append(IP(src=S4, dst=D4B) / UDP(sport=sport, dport=dport) / Raw(b'udp'))
    out.append(IP(src=S4, dst=D4, options=b'\x94\x04\x00\x00') / UDP(sport=40015, dport=53) / Raw(b'opts'))
    for t, c in [(8, 0), (0, 0), (3, 3), (11, 0)]:
        out.append(IP(src=S4, dst=D4) / ICMP(type=t, code=c) / Raw(b'icmp'))
    out.append(IP(src=S4, dst=D4) / SCTP(sport=2905, dport=2905) / SCTPChunkInit())
    out.append(IP(src=S4, dst=D4) / ESP(spi=0x1000, seq=1) / Raw(b'esp'))
    out.append(IP(src=S4, dst=D4) / AH(spi=0x2000, seq=1, nh=6) / TCP(sport=40020, dport=80, flags='S'))
    out.append(IP(src=S4, dst=D4) / GRE() / IP(src='10.1.1.1', dst='10.1.1.2') / UDP(sport=1, dport=2))
    out.append(IP(src=S4, dst='224.0.0.22', ttl=1) / IGMP(type=0x16, gaddr='239.1.2.3'))
    out.append(IP(src=S4, dst='224.0.0.13', proto=103) / Raw(b'\x20\x00\x00\x00pim'))
    out.append(IP(src=S4, dst='224.0.0.18', proto=112) / Raw(b'\x21\x01\x64\x01vrrp'))
    out.append(IP(src='127.0.0.1', dst=D4) / UDP(sport=40030, dport=7) / Raw(b'localhost'))
    # a first fragment with ports, and a later one without
    out.append(IP(src=S4, dst=D4, id=77, flags='MF', frag=0) / UDP(sport=40040, dport=53, len=1000) / Raw(b'f' * 32))
    out.append(IP(src=S4, dst=D4, id=77, frag=5, proto=17) / Raw(b'g' * 32))
    out.append(IP(src='0.0.0.0', dst='255.255.255.255') / UDP(sport=68, dport=67) / Raw(b'dhcp'))
    out.append(IP(src=S4, dst='239.1.2.3') / UDP(sport=40050, dport=5000) / Raw(b'mcast'))
    return out


def ether_mix(src_mac):
    eth = lambda dst=dst_mac, **kw: Ether(src=src_mac, dst=dst, **kw)  # noqa: E731
    mcast4 = lambda ip: '01:00:5e:%02x:%02x:%02x' % tuple(int(x) for x in ip.split('.')[1:])  # noqa: E731
    out = []
    for p in ip_mix():
        if p[IP].dst == '255.255.255.255':
            out.append(eth(BCAST) / p)
        elif p[IP].dst.startswith('2') and int(p[IP].dst.split('.')[0]) >= 224:
            out.append(eth(mcast4(p[IP].dst)) / p)
        else:
            out.append(eth() / p)
    # IPv6: transports, extension headers, fragments, multicast
    out += [
        eth() / IPv6(src=S6, dst=D6) / TCP(sport=40100, dport=443, flags='S'),
        eth() / IPv6(src=S6, dst=D6) / TCP(sport=443, dport=40100, flags='SA'),
        eth() / IPv6(src=S6, dst=D6) / UDP(sport=40101, dport=53) / Raw(b'dns6'),
        eth() / IPv6(src=S6, dst=D6) / ICMPv6EchoRequest(),
        eth() / IPv6(src=S6, dst=D6) / ICMPv6EchoReply(),
        eth('33:33:ff:00:00:09') / IPv6(src=S6, dst='ff02::1:ff00:9') / ICMPv6ND_NS(tgt=D6),
        eth('33:33:00:00:00:fb') / IPv6(src=S6, dst='ff02::fb') / UDP(sport=5353, dport=5353) / Raw(b'mdns'),
        eth() / IPv6(src=S6, dst=D6) / IPv6ExtHdrHopByHop() / UDP(sport=40102, dport=5353),
        eth() / IPv6(src=S6, dst=D6) / IPv6ExtHdrRouting() / TCP(sport=40103, dport=80, flags='S'),
        eth() / IPv6(src=S6, dst=D6) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP(sport=40104, dport=53),
        eth() / IPv6(src=S6, dst=D6) / IPv6ExtHdrFragment(id=9, m=1, offset=0) / UDP(sport=40105, dport=53, len=800),
        eth() / IPv6(src=S6, dst=D6) / IPv6ExtHdrFragment(id=9, m=0, offset=20, nh=17) / Raw(b'h' * 24),
        eth() / IPv6(src=S6, dst=D6) / SCTP(sport=2905, dport=2906) / SCTPChunkInit(),
        eth() / IPv6(src='::1', dst=D6) / UDP(sport=40106, dport=9) / Raw(b'lo6'),
    ]
    # ARP and RARP
    out += [
        eth(BCAST) / ARP(op=1, hwsrc=src_mac, psrc=S4, pdst=D4),
        eth() / ARP(op=2, hwsrc=src_mac, psrc=S4, hwdst=dst_mac, pdst=D4),
        eth(BCAST, type=0x8035) / ARP(op=3, hwsrc=src_mac, hwdst=src_mac),
    ]
    # 802.1Q, QinQ (802.1ad outer, and 802.1Q twice), a priority tag
    out += [
        eth() / Dot1Q(vlan=100) / IP(src=S4, dst=D4) / UDP(sport=40200, dport=53),
        eth() / Dot1Q(vlan=200, prio=5) / IP(src=S4, dst=D4) / TCP(sport=40201, dport=80, flags='S'),
        eth(BCAST) / Dot1Q(vlan=100) / ARP(op=1, hwsrc=src_mac, psrc=S4, pdst=D4),
        eth() / Dot1Q(vlan=300) / IPv6(src=S6, dst=D6) / UDP(sport=40202, dport=5353),
        eth() / Dot1AD(vlan=10) / Dot1Q(vlan=100) / IP(src=S4, dst=D4) / UDP(sport=40203, dport=53),
        eth() / Dot1Q(vlan=20) / Dot1Q(vlan=200) / IP(src=S4, dst=D4) / TCP(sport=40204, dport=443, flags='S'),
        eth() / Dot1Q(vlan=0, prio=6) / IP(src=S4, dst=D4) / ICMP(),
        eth() / Dot1Q(vlan=4000) / IP(src=S4, dst=D4B) / UDP(sport=40205, dport=123),
    ]
    # 802.3 with LLC: STP, IPX, SNAP
    out += [
        Dot3(src=src_mac, dst='01:80:c2:00:00:00') / LLC(dsap=0x42, ssap=0x42, ctrl=3) / STP(),
        Dot3(src=src_mac, dst=BCAST) / LLC(dsap=0xe0, ssap=0xe0, ctrl=3) / Raw(b'\xff\xff\x00\x20ipx'),
        Dot3(src=src_mac, dst=dst_mac) / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0, code=0x0800) / IP(src=S4, dst=D4),
    ]
    # MPLS, PPPoE session and discovery
    out += [
        eth(type=0x8847) / MPLS(label=16, s=1, ttl=64) / IP(src=S4, dst=D4) / UDP(sport=40300, dport=53),
        eth(type=0x8864) / PPPoE(sessionid=1) / PPP(proto=0x0021) / IP(src=S4, dst=D4) / UDP(sport=40301, dport=53),
        eth(BCAST, type=0x8863) / PPPoE(code=0x09, sessionid=0),
    ]
    # Geneve and VXLAN carrying Ethernet
    inner = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02') / IP(src='10.2.2.1', dst='10.2.2.2') / TCP(sport=1, dport=2)
    out += [
        eth() / IP(src=S4, dst=D4) / UDP(sport=40400, dport=6081) / Raw(b'\x00\x00\x65\x58\x00\x00\x01\x00') / inner,
        eth() / IP(src=S4, dst=D4) / UDP(sport=40401, dport=4789) / Raw(b'\x08\x00\x00\x00\x00\x00\x01\x00') / inner,
    ]
    # multicast and broadcast at the link layer only, and an unknown ethertype
    out += [
        eth('01:00:0c:cc:cc:cc', type=0x2000) / Raw(b'cdp'),
        eth(BCAST, type=0x88cc) / Raw(b'lldp'),
    ]
    return out


def jumbo(size):
    """A UDP packet of `size` bytes on the wire."""
    udp = UDP(sport=40500 + size % 100, dport=9)
    if kind == 'ether':
        return raw(Ether(src='02:00:00:00:00:03', dst=dst_mac) / IP(src=S4, dst=D4) / udp / Raw(b'j' * (size - 42)))
    return raw(IP(src=S4, dst=D4) / udp / Raw(b'j' * (size - 28)))


def grown(f, want):
    """The frame at `want` bytes: an Ethernet trailer, or (raw IP) a longer IP packet."""
    if want == len(f):
        return f
    if kind == 'ether':
        return f + b'\0' * (want - len(f))  # the IP length stays as it was
    pkt = IP(f)
    pkt.len = want
    pkt.chksum = None
    return raw(pkt)[:len(f)] + b'\0' * (want - len(f)) if pkt.frag or pkt.flags.MF or not pkt.haslayer(UDP) \
        else raw(IP(src=pkt.src, dst=pkt.dst) / UDP(sport=pkt[UDP].sport, dport=pkt[UDP].dport) /
                 Raw(bytes(pkt[UDP].payload) + b'\0' * (want - len(f))))


class Tun:
    """A tun device's file: what is written to it arrives on the device."""
    def __init__(self, name):
        import fcntl
        import os
        import struct
        self.fd = os.open('/dev/net/tun', os.O_RDWR)
        fcntl.ioctl(self.fd, 0x400454ca, struct.pack('16sH', name.encode(), 0x0001 | 0x1000))  # TUNSETIFF: IFF_TUN | IFF_NO_PI
        self.os = os

    def send(self, data):
        self.os.write(self.fd, data)

    def getsockname(self):
        return (iface, 0, 0, 0, b'')


if dst_mac == 'tun':
    sock = Tun(iface)
else:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    # without a link layer the socket's protocol is the packets' (a tunnel takes only IPv4)
    sock.bind((iface, 0 if kind == 'ether' else 0x0800))
if kind == 'marker':
    sock.send(raw(IP(src=S4, dst=D4) / UDP(sport=7777, dport=7777) / Raw(b'marker')))
    print(json.dumps({'sent': 1}))
    sys.exit(0)
mix = ether_mix(sock.getsockname()[4].hex(':') or '00:00:00:00:00:00') if kind == 'ether' else ip_mix()
frames = [raw(p) for p in mix] + [jumbo(n) for n in ((1500, 4000, 9000) if kind == 'ether' else (1400, 3000))]
lengths, used = [], set()
for f in frames:
    want = max(len(f), base)
    while want in used:
        want += 1
    used.add(want)
    f = grown(f, want)
    sock.send(f)
    lengths.append(len(f))
print(json.dumps({'sent': len(lengths), 'lengths': lengths}))
