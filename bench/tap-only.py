#!/usr/bin/env python3
"""A packet socket on lo whose classic BPF filter returns 0, for make bench.

It queues nothing and runs no eBPF program: what it costs the sender is the
price of an AF_PACKET tap on lo alone (the kernel clones each packet for it and
runs the filter), the floor under any socket-filter capture tool. It prints
"tap-only: ready on lo" on stderr once attached, then waits for SIGINT or
SIGTERM, at most --max-seconds (default 600).
"""
import argparse
import ctypes
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26
BPF_RET_K = 0x06  # BPF_RET | BPF_K


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--interface", default="lo")
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        # protocol 0: nothing arrives before the filter is on; bind turns it on
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        insns = ctypes.create_string_buffer(struct.pack("HBBI", BPF_RET_K, 0, 0, 0))
        fprog = struct.pack("HL", 1, ctypes.addressof(insns))
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
        sock.bind((args.interface, ETH_P_ALL))
    except OSError as e:
        print(f"tap-only: opening a packet socket on {args.interface} failed: {e.strerror}; "
              "this needs root (CAP_NET_RAW)", file=sys.stderr)
        return 1
    print(f"tap-only: ready on {args.interface}", file=sys.stderr, flush=True)
    signal.sigtimedwait({signal.SIGINT, signal.SIGTERM}, args.max_seconds)
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
