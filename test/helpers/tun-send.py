#!/usr/bin/python3
"""Makes a tun device (no link-layer header), brings it up, and once a line
arrives on stdin writes IPv4 datagrams into it, which the kernel receives on
the device; for test/integration/decode-tun.test.ts.

Usage: tun-send.py NAME   (prints "ready" when the device is up; on each
"send" line on stdin writes the datagrams and prints "sent N"; exits at EOF)"""
import fcntl
import os
import struct
import subprocess
import sys

from scapy.all import IP, UDP, TCP, Raw

TUNSETIFF = 0x400454ca
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
name = sys.argv[1]
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
subprocess.run(['ip', 'addr', 'add', '10.14.0.1/24', 'dev', name], check=True)
subprocess.run(['ip', 'link', 'set', name, 'up'], check=True)
print('ready', flush=True)
# sources: an ordinary one, and one whose first bytes read as the IPv4 ethertype (0x0800)
# where an Ethernet header would have its type field
frames = [IP(src='10.14.0.2', dst='10.14.0.1') / UDP(sport=1111, dport=2222) / Raw(b'x' * 10),
          IP(src='8.0.8.0', dst='10.14.0.1') / UDP(sport=1112, dport=2223) / Raw(b'x' * 10),
          IP(src='10.14.0.3', dst='10.14.0.1') / TCP(sport=1113, dport=2224, flags='S')]
for line in sys.stdin:
    for f in frames:
        os.write(fd, bytes(f))
    print('sent %d' % len(frames), flush=True)
