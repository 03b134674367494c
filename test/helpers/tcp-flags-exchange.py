#!/usr/bin/python3
"""One TCP connection whose flags are known, spread over two CPUs.

tcp-flags-exchange.py ADDR: on CPU_A, a listener on ADDR and a client that
connects (the handshake: S, SA, A); then, moved to CPU_B, the client sends data (PA) and
shuts its side (FA); the server reads to the end, sends nothing and closes (A, FA). So the
client's flow carries S, A, P, F and the server's S, A, F, each from packets handled on both
CPUs (loopback handles a packet on the CPU that sends it). CPU_A and CPU_B are the first two
this process may run on; fewer than two is an error, since the test is about summing CPUs. Prints one JSON line:
{"client": PORT, "server": PORT, "cpus": [CPU_A, CPU_B]}. Bounded: every socket call times
out after 5 s.
"""
import json, os, socket, sys

addr = sys.argv[1]
cpus = sorted(os.sched_getaffinity(0))
if len(cpus) < 2:
    sys.exit(f'tcp-flags-exchange.py: needs two CPUs, may run on {cpus}')
cpu_a, cpu_b = cpus[:2]
fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
socket.setdefaulttimeout(5)

os.sched_setaffinity(0, {cpu_a})
server = socket.socket(fam, socket.SOCK_STREAM)
server.bind((addr, 0))
server.listen(1)
client = socket.create_connection((addr, server.getsockname()[1]))
conn, _ = server.accept()

os.sched_setaffinity(0, {cpu_b})  # returns once this task runs on CPU_B
client.sendall(b'x' * 100)
client.shutdown(socket.SHUT_WR)
got = b''
while True:
    chunk = conn.recv(4096)
    if not chunk:
        break
    got += chunk
assert got == b'x' * 100, len(got)
conn.close()
assert client.recv(4096) == b''  # the server's FIN
ports = {'client': client.getsockname()[1], 'server': server.getsockname()[1], 'cpus': [cpu_a, cpu_b]}
client.close()
server.close()
print(json.dumps(ports), flush=True)
