#!/usr/bin/python3
"""Sends one frame of each shape the kernel parser must decode as tshark does,
through an AF_PACKET socket on IFACE, for test/integration/decode-oracle.test.ts.

Usage: craft-shapes.py IFACE DIR DST_MAC SRC_IP4 DST_IP4 SRC_IP6 DST_IP6
DIR (0..255) goes into every source MAC, 02:5e:DIR:00:00:NN (NN: the shape's
number), which no host uses: the test finds each frame by it, in the oracle's
capture and in sockwatch's records. Prints one JSON object a line per frame
sent: {"name", "smac", "len"}.

Frames of 4 KB and more are sent as they are, through send(): the kernel
builds them with the headers in paged data, the shape defect 1 of issue 14
is about (headers outside the skb's linear area)."""
import json
import socket
import struct
import sys

from scapy.all import (ARP, GRE, ICMP, IP, LLC, SNAP, SCTP, TCP, UDP, Dot1AD, Dot1Q, Dot3, Ether, ICMPv6DestUnreach,
                       ICMPv6EchoRequest, ICMPv6MLReport, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RS, IPerror, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, UDPerror,
                       TCPerror, IPerror6, UDPerror as UDPerr6, conf)

conf.verb = 0
iface, direction, dst_mac, src4, dst4, src6, dst6 = sys.argv[1:8]
direction = int(direction)
BCAST = 'ff:ff:ff:ff:ff:ff'


def smac(n):
    return '02:5e:%02x:00:00:%02x' % (direction, n)


def fix(pkt):
    """Bytes of a scapy packet, lengths and checksums filled in."""
    return bytes(pkt)


def set16(frame, at, value):
    return frame[:at] + struct.pack('!H', value) + frame[at + 2:]


def raw_eth(n, ethertype, payload, dst=None):
    return bytes.fromhex((dst or dst_mac).replace(':', '')) + bytes.fromhex(smac(n).replace(':', '')) + \
        struct.pack('!H', ethertype) + payload


def ext_chain(count, last):
    """count IPv6 destination-options headers, then `last`."""
    chain = None
    for _ in range(count):
        h = IPv6ExtHdrDestOpt()
        chain = h if chain is None else chain / h
    return chain / last if chain is not None else last


# Each shape: a function of its number n that returns the frame's bytes.
def shapes():
    E = lambda n, dst=None: Ether(src=smac(n), dst=dst or dst_mac)  # noqa: E731
    ip4 = lambda **kw: IP(src=src4, dst=dst4, **kw)  # noqa: E731
    ip6 = lambda **kw: IPv6(src=src6, dst=dst6, **kw)  # noqa: E731
    s = {}
    # plain shapes, as the existing veth tests have them
    s['udp4'] = lambda n: fix(E(n) / ip4() / UDP(sport=41000, dport=31000) / Raw(b'u' * 100))
    s['tcp4-syn'] = lambda n: fix(E(n) / ip4() / TCP(sport=40000, dport=31080, flags='S', options=[('MSS', 1460)]))
    s['tcp4-data'] = lambda n: fix(E(n) / ip4() / TCP(sport=40000, dport=31080, flags='PA') / Raw(b't' * 2000))
    s['tcp4-fin'] = lambda n: fix(E(n) / ip4() / TCP(sport=40000, dport=31080, flags='FA'))
    s['icmp4-echo'] = lambda n: fix(E(n) / ip4() / ICMP(type=8, id=1, seq=1) / Raw(b'p' * 56))
    s['icmp4-reply'] = lambda n: fix(E(n) / ip4() / ICMP(type=0, id=1, seq=1) / Raw(b'p' * 56))
    s['icmp4-port-unreach'] = lambda n: fix(E(n) / ip4() / ICMP(type=3, code=3) / IPerror(src=dst4, dst=src4) / UDPerror(sport=6000, dport=7777) / Raw(b'q' * 4))
    s['icmp4-host-unreach'] = lambda n: fix(E(n) / ip4() / ICMP(type=3, code=1) / IPerror(src=dst4, dst='198.51.100.9') / TCPerror(sport=6000, dport=31443))
    s['icmp4-time-exceeded'] = lambda n: fix(E(n) / ip4() / ICMP(type=11, code=0) / IPerror(src=dst4, dst='198.51.100.7', ttl=1) / UDPerror(sport=6000, dport=33434))
    s['arp-request'] = lambda n: fix(E(n, BCAST) / ARP(op=1, hwsrc=smac(n), psrc=src4, pdst=dst4))
    s['arp-reply'] = lambda n: fix(E(n) / ARP(op=2, hwsrc=smac(n), psrc=src4, hwdst=dst_mac, pdst=dst4))
    s['arp-padded'] = lambda n: fix(E(n, BCAST) / ARP(op=1, hwsrc=smac(n), psrc=src4, pdst=dst4) / Raw(b'\0' * 18))
    s['udp6'] = lambda n: fix(E(n) / ip6() / UDP(sport=41000, dport=31001) / Raw(b'u' * 100))
    s['tcp6'] = lambda n: fix(E(n) / ip6() / TCP(sport=40000, dport=31443, flags='SA'))
    s['icmp6-echo'] = lambda n: fix(E(n) / ip6() / ICMPv6EchoRequest(id=1, seq=1, data=b'p' * 56))
    s['icmp6-port-unreach'] = lambda n: fix(E(n) / ip6() / ICMPv6DestUnreach(code=4) / IPerror6(src=dst6, dst=src6) / UDPerr6(sport=6000, dport=7778))
    s['mld-report'] = lambda n: fix(E(n, '33:33:00:00:00:16') / IPv6(src=src6, dst='ff02::16', hlim=1) / IPv6ExtHdrHopByHop(options=[]) / ICMPv6MLReport())
    s['ndp-ns'] = lambda n: fix(E(n) / ip6(hlim=255) / ICMPv6ND_NS(tgt=dst6))
    s['ndp-na'] = lambda n: fix(E(n) / ip6(hlim=255) / ICMPv6ND_NA(tgt=src6, R=0, S=1, O=1))
    s['ndp-rs'] = lambda n: fix(E(n, '33:33:00:00:00:02') / IPv6(src=src6, dst='ff02::2', hlim=255) / ICMPv6ND_RS())
    s['vlan1'] = lambda n: fix(E(n) / Dot1Q(vlan=100) / ip4() / UDP(sport=41000, dport=31002) / Raw(b'v' * 20))
    s['qinq'] = lambda n: fix(E(n) / Dot1AD(vlan=200) / Dot1Q(vlan=300) / ip4() / UDP(sport=41000, dport=31003) / Raw(b'v' * 20))
    s['vlan3'] = lambda n: fix(E(n) / Dot1AD(vlan=10) / Dot1Q(vlan=20) / Dot1Q(vlan=30) / ip4() / UDP(sport=41000, dport=31004) / Raw(b'v' * 20))
    s['vlan5-ip6'] = lambda n: fix(E(n) / Dot1AD(vlan=11) / Dot1Q(vlan=21) / Dot1Q(vlan=31) / Dot1Q(vlan=41) / Dot1Q(vlan=51) / ip6() / UDP(sport=41000, dport=31005) / Raw(b'v' * 20))
    s['ip4-options'] = lambda n: fix(E(n) / ip4(options=b'\x01\x01\x01\x00') / UDP(sport=41000, dport=31006) / Raw(b'o' * 20))
    s['gre'] = lambda n: fix(E(n) / ip4() / GRE() / IP(src='10.1.1.1', dst='10.1.1.2') / UDP(sport=1, dport=2) / Raw(b'g' * 4))
    s['ipip'] = lambda n: fix(E(n) / ip4(proto=4) / IP(src='10.1.1.1', dst='10.1.1.2') / UDP(sport=1, dport=2))
    s['sctp'] = lambda n: fix(E(n) / ip4() / SCTP(sport=3868, dport=3868))
    s['ethertype-other'] = lambda n: raw_eth(n, 0x88b5, b'\0' * 46)
    s['lldp'] = lambda n: raw_eth(n, 0x88cc, bytes.fromhex('0207046e6e6e6e6e6e04070300000000000006020078') + b'\0' * 20, '01:80:c2:00:00:0e')
    # 802.3 length frames: STP (DSAP/SSAP 0x42), SNAP (CDP), raw IPX (0xffff)
    s['llc-stp'] = lambda n: fix(Dot3(src=smac(n), dst='01:80:c2:00:00:00') / LLC(dsap=0x42, ssap=0x42, ctrl=3) / Raw(b'\0' * 35))
    s['llc-snap'] = lambda n: fix(Dot3(src=smac(n), dst='01:00:0c:cc:cc:cc') / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0x00000c, code=0x2000) / Raw(b'\x02\xb4' + b'\0' * 30))
    s['llc-ipx-raw'] = lambda n: fix(Dot3(src=smac(n), dst=BCAST) / Raw(b'\xff\xff' + b'\0' * 40))
    # defect 2: transport headers outside the datagram, padding, lying lengths
    s['ip4-totlen20-padding'] = lambda n: set16(fix(E(n) / ip4(proto=6) / Raw(bytes.fromhex('dead beef' .replace(' ', '')) + b'\0' * 16)), 16, 20)
    s['ip4-totlen-65535'] = lambda n: set16(fix(E(n) / ip4() / UDP(sport=41000, dport=31007) / Raw(b'x' * 4)), 16, 65535)
    s['udp4-eth-padding'] = lambda n: fix(E(n) / ip4() / UDP(sport=41000, dport=31008) / Raw(b'p' * 2)) + b'\xaa' * 16
    s['ip4-totlen-short-tcp'] = lambda n: set16(fix(E(n) / ip4() / TCP(sport=40001, dport=31081, flags='S')), 16, 20 + 10)
    # defect 3: a TCP header of 4..13 bytes: ports, no flags
    s['tcp4-tiny-first-frag'] = lambda n: fix(E(n) / ip4(proto=6, flags='MF', frag=0) / Raw(struct.pack('!HHI', 40002, 31082, 1)))
    s['tcp4-13-bytes'] = lambda n: fix(E(n) / ip4(proto=6) / Raw(bytes(TCP(sport=40003, dport=31083, flags='S'))[:13]))
    s['ip4-later-frag'] = lambda n: fix(E(n) / ip4(proto=17, frag=185) / Raw(b'f' * 40))
    s['ip4-first-frag'] = lambda n: fix(E(n) / ip4(flags='MF') / UDP(sport=41000, dport=31009, len=1000) / Raw(b'f' * 40))
    s['ip6-first-frag'] = lambda n: fix(E(n) / ip6() / IPv6ExtHdrFragment(m=1, offset=0, id=7) / UDP(sport=41000, dport=31010, len=1000) / Raw(b'f' * 40))
    s['ip6-later-frag'] = lambda n: fix(E(n) / ip6() / IPv6ExtHdrFragment(nh=17, m=0, offset=100, id=7) / Raw(b'f' * 40))
    # defect 5: long extension-header chains
    s['ip6-ext9-udp'] = lambda n: fix(E(n) / ip6() / ext_chain(9, UDP(sport=41000, dport=31011) / Raw(b'e' * 8)))
    s['ip6-ext16-udp'] = lambda n: fix(E(n) / ip6() / ext_chain(16, UDP(sport=41000, dport=31012) / Raw(b'e' * 8)))
    s['ip6-ext17-udp'] = lambda n: fix(E(n) / ip6() / ext_chain(17, UDP(sport=41000, dport=31013) / Raw(b'e' * 8)))
    s['ip6-hop-route-dst-tcp'] = lambda n: fix(E(n) / ip6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(addresses=[]) / IPv6ExtHdrDestOpt() / TCP(sport=40004, dport=31084, flags='S'))
    s['ip6-ext-truncated'] = lambda n: set16(fix(E(n) / ip6() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / UDP(sport=41000, dport=31014)), 18, 12)
    s['vlan9'] = lambda n: fix(E(n) / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / Dot1Q(vlan=4) / Dot1Q(vlan=5) / Dot1Q(vlan=6) / Dot1Q(vlan=7) / Dot1Q(vlan=8) / Dot1Q(vlan=9) / ip4() / UDP(sport=41000, dport=31015))
    # defect 6: malformed, not truncated
    s['ip4-version6'] = lambda n: raw_eth(n, 0x0800, b'\x60' + fix(ip4() / UDP(sport=41000, dport=31016))[1:])
    s['ip6-version0'] = lambda n: raw_eth(n, 0x86dd, b'\x00' + fix(ip6() / UDP(sport=41000, dport=31017))[1:])
    s['ip4-ihl4'] = lambda n: raw_eth(n, 0x0800, b'\x44' + fix(ip4() / UDP(sport=41000, dport=31018))[1:])
    s['ip4-totlen-below-ihl'] = lambda n: set16(fix(E(n) / ip4() / UDP(sport=41000, dport=31019)), 16, 10)
    s['tcp4-doff3'] = lambda n: fix(E(n) / ip4() / TCP(sport=40005, dport=31085, flags='S', dataofs=3))
    s['frame-truncated-ip'] = lambda n: raw_eth(n, 0x0800, fix(ip4() / UDP(sport=41000, dport=31020))[:12])
    # defect 1: headers in paged data (packet-socket frames of 4 KB and more)
    s['udp4-4070'] = lambda n: fix(E(n) / ip4() / UDP(sport=41000, dport=31021) / Raw(b'j' * (4070 - 42)))
    s['udp4-4080'] = lambda n: fix(E(n) / ip4() / UDP(sport=41000, dport=31022) / Raw(b'j' * (4080 - 42)))
    s['udp6-9000'] = lambda n: fix(E(n) / ip6() / UDP(sport=41000, dport=31023) / Raw(b'j' * (9000 - 62)))
    s['tcp4-8000-vlan'] = lambda n: fix(E(n) / Dot1Q(vlan=42) / ip4() / TCP(sport=40006, dport=31086, flags='PA') / Raw(b'j' * (8000 - 58)))
    # the last frame of a run, sent alone: once the oracle has it, it has every frame before it
    s['marker'] = lambda n: fix(E(n) / ip4() / UDP(sport=41000, dport=31999))
    return s


def main():
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    only = set(sys.argv[8:])
    for n, (name, build) in enumerate(shapes().items(), start=1):
        if (only and name not in only) or (not only and name == 'marker'):
            continue
        frame = build(n)
        sock.send(frame)
        print(json.dumps({'name': name, 'smac': smac(n), 'len': len(frame)}), flush=True)


main()
