#!/usr/bin/python3
"""Writes a pcap of the packet forms text output words that craft-shapes.py does not
send (ICMP and ICMPv6 types and codes, GRE, SCTP, other IP protocols, ARP opcodes), for
test/integration/text-parity.test.ts: both text formatters read the same file.

Usage: craft-text-forms.py OUT.pcap"""
import sys

from scapy.all import (ARP, GRE, ICMP, IP, SCTP, TCP, UDP, Ether, ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6PacketTooBig,
                       ICMPv6ParamProblem, ICMPv6TimeExceeded, ICMPv6Unknown, IPerror, IPv6, IPerror6, Raw, UDPerror,
                       TCPerror, wrpcap)

E = Ether(src='02:5e:aa:00:00:01', dst='02:5e:bb:00:00:02')
A4, B4 = '198.51.100.1', '198.51.100.2'
A6, B6 = '2001:db8::a', '2001:db8::b'
forms = []
for code in range(0, 6):  # net, host, protocol, port, need to frag, other
    forms.append(E / IP(src=A4, dst=B4) / ICMP(type=3, code=code) / IPerror(src=B4, dst='203.0.113.9', proto=17) / UDPerror(sport=5, dport=7777))
forms.append(E / IP(src=A4, dst=B4) / ICMP(type=3, code=3) / IPerror(src=B4, dst='203.0.113.9', proto=6) / TCPerror(sport=5, dport=443))
forms.append(E / IP(src=A4, dst=B4) / ICMP(type=3, code=2) / IPerror(src=B4, dst='203.0.113.9', proto=47))
forms.append(E / IP(src=A4, dst=B4) / ICMP(type=5, code=1, gw='192.0.2.99') / IPerror(src=B4, dst='203.0.113.5', proto=17) / UDPerror(sport=1, dport=2))
forms.append(E / IP(src=A4, dst=B4) / ICMP(type=11, code=1) / IPerror(src=B4, dst='203.0.113.7', proto=17) / UDPerror(sport=1, dport=2))
forms.append(E / IP(src=A4, dst=B4) / ICMP(type=11, code=0) / IPerror(src=B4, dst='203.0.113.7', proto=17) / UDPerror(sport=1, dport=2))
for t in (12, 13, 42):
    forms.append(E / IP(src=A4, dst=B4) / ICMP(type=t) / Raw(b'x' * 8))
forms.append(E / IP(src=A4, dst=B4) / ICMP(type=0, id=7, seq=1) / Raw(b'abc'))
forms.append(E / IP(src=A4, dst=B4) / GRE() / IP(src='10.0.0.1', dst='10.0.0.2') / UDP(sport=1, dport=2))
forms.append(E / IP(src=A4, dst=B4) / SCTP(sport=3868, dport=3868))
for proto in (2, 50, 51, 89, 103, 112, 200):
    forms.append(E / IP(src=A4, dst=B4, proto=proto) / Raw(b'\x00' * 24))
forms.append(E / IP(src=A4, dst=B4) / TCP(sport=1, dport=2, flags='FSRPAUEC') / Raw(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
forms.append(E / IP(src=A4, dst=B4) / TCP(sport=1, dport=2, flags=0))
forms.append(E / IPv6(src=A6, dst=B6) / ICMPv6PacketTooBig(mtu=1280) / IPerror6(src=B6, dst=A6) / UDPerror(sport=1, dport=2))
forms.append(E / IPv6(src=A6, dst=B6) / ICMPv6TimeExceeded() / IPerror6(src=B6, dst=A6) / UDPerror(sport=1, dport=2))
forms.append(E / IPv6(src=A6, dst=B6) / ICMPv6ParamProblem() / IPerror6(src=B6, dst=A6) / UDPerror(sport=1, dport=2))
for code in (0, 1, 2, 3, 4, 9):
    forms.append(E / IPv6(src=A6, dst=B6) / ICMPv6DestUnreach(code=code) / IPerror6(src=B6, dst='2001:db8::99') / UDPerror(sport=1, dport=53))
forms.append(E / IPv6(src=A6, dst=B6) / ICMPv6EchoReply(id=1, seq=2))
forms.append(E / IPv6(src=A6, dst=B6) / ICMPv6Unknown(type=200))
forms.append(E / IPv6(src=A6, dst=B6, nh=132) / SCTP(sport=1, dport=2))
forms.append(E / ARP(op=3, hwsrc='02:5e:aa:00:00:01', psrc=A4, pdst=B4))
forms.append(E / ARP(op=2, hwsrc='02:5e:aa:00:00:01', psrc=A4, pdst=B4))
forms.append(Ether(src='02:5e:aa:00:00:01', dst='ff:ff:ff:ff:ff:ff', type=0x88cc) / Raw(b'\x02\x07' + b'\x00' * 40))
forms.append(Ether(src='02:5e:aa:00:00:01', dst='ff:ff:ff:ff:ff:ff', type=0x8863) / Raw(b'\x11\x09' + b'\x00' * 40))
wrpcap(sys.argv[1], forms)
print(len(forms))
