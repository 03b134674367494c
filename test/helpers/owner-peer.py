#!/usr/bin/python3
"""A process with a known pid, name, uid and cgroup for the attribution tests.

owner-peer.py CGROUP_DIR NAME UID ROLE ARGS...: joins the cgroup (writes its pid to
cgroup.procs), names itself (prctl PR_SET_NAME), drops to UID, then plays ROLE and
prints one JSON line per event on stdout: {"ready":…}, {"ports":[…]}, {"done":…}.
Roles:
  server PORT ADDR...      TCP listeners and UDP sockets on PORT at each ADDR; echoes; runs until stdin closes
  client PORT ADDR...      per ADDR: a TCP exchange, an unconnected and a connected UDP exchange
  hold PORT ADDR           opens a TCP connection, says ready, then on each stdin line does one exchange
  burst PORT ADDR N        N short TCP connections, one exchange each
  exit-mid PORT ADDR       sends, then exits without closing (the kernel closes the socket)
  sink PORT ADDR           a UDP socket on PORT that only receives (no hook sees it send); runs until stdin closes
  share PROTO PORT ADDR [OPT...]  one TCP listener or UDP socket on ADDR:PORT with SO_REUSEPORT (other processes
                           may hold the same one); answers each connection or datagram with its own pid; until stdin
                           closes. OPT: v6only; threads=N (a socket a thread, each thread named NAME-tI); fork (two
                           sockets, then a child keeps the second, says {"child":pid} and sends a datagram from it)
  bindonly PORT ADDR       a TCP socket bound to ADDR:PORT, never listening; until stdin closes
  fill N FIRST ADDR        N UDP sockets bound to ADDR:FIRST, FIRST+1, ...; until stdin closes
  refused PORT ADDR N      N TCP connections to a port nobody listens on, each refused
  ask PROTO PORT ADDR N FIRST  N connections (TCP) or datagrams from N sockets (UDP), from local ports FIRST,
                           FIRST+1, ...; prints {"served":{port:pid}}: which server's pid answered each local port
"""
import ctypes, json, os, selectors, socket, sys

cgroup, name, uid, role, *args = sys.argv[1:]
with open(os.path.join(cgroup, 'cgroup.procs'), 'w') as f:
    f.write(str(os.getpid()))
ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)
if int(uid) != 0:
    os.setgid(int(uid))
    os.setuid(int(uid))


def say(**kv):
    print(json.dumps(kv), flush=True)


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def serve(sel, handle):
    """Calls handle(key) for each ready socket registered in sel, until stdin closes."""
    sel.register(sys.stdin, selectors.EVENT_READ, 'stdin')
    while True:
        for key, _ in sel.select():
            if key.data != 'stdin':
                handle(key)
            elif not sys.stdin.readline():
                sys.exit(0)


def exchange_tcp(port, addr):
    c = socket.create_connection((addr, port), timeout=5)
    local = c.getsockname()[1]
    c.sendall(b'ping')
    assert c.recv(16) == b'ping'
    c.close()
    return local


if role == 'server':
    port, addrs = int(args[0]), args[1:]
    sel = selectors.DefaultSelector()
    for a in addrs:
        t = socket.socket(family(a), socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((a, port))
        t.listen(1024)
        sel.register(t, selectors.EVENT_READ, 'listen')
        u = socket.socket(family(a), socket.SOCK_DGRAM)
        u.bind((a, port))
        sel.register(u, selectors.EVENT_READ, 'udp')
    say(ready=os.getpid())

    def echo(key):
        s = key.fileobj
        if key.data == 'listen':
            conn, _ = s.accept()
            sel.register(conn, selectors.EVENT_READ, 'conn')
        elif key.data == 'udp':
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)
        else:
            data = s.recv(2048)
            if data:
                s.sendall(data)
            else:
                sel.unregister(s)
                s.close()
    serve(sel, echo)
elif role == 'client':
    port, addrs = int(args[0]), args[1:]
    ports = []
    for a in addrs:
        ports.append(exchange_tcp(port, a))
        u = socket.socket(family(a), socket.SOCK_DGRAM)
        u.settimeout(5)
        u.sendto(b'udp1', (a, port))
        assert u.recvfrom(16)[0] == b'udp1'
        ports.append(u.getsockname()[1])
        u.close()
        u = socket.socket(family(a), socket.SOCK_DGRAM)
        u.settimeout(5)
        u.connect((a, port))
        u.send(b'udp2')
        assert u.recv(16) == b'udp2'
        ports.append(u.getsockname()[1])
        u.close()
    say(ports=ports, done=os.getpid())
elif role == 'hold':
    port, addr = int(args[0]), args[1]
    c = socket.create_connection((addr, port), timeout=5)
    say(ready=os.getpid(), ports=[c.getsockname()[1]])
    for line in sys.stdin:
        c.sendall(b'held')
        assert c.recv(16) == b'held'
        say(exchanged=1)
    c.close()
elif role == 'burst':
    port, addr, n = int(args[0]), args[1], int(args[2])
    ports = [exchange_tcp(port, addr) for _ in range(n)]
    say(ports=ports, done=os.getpid())
elif role == 'exit-mid':
    port, addr = int(args[0]), args[1]
    c = socket.create_connection((addr, port), timeout=5)
    c.sendall(b'bye')
    assert c.recv(16) == b'bye'
    say(ports=[c.getsockname()[1]], done=os.getpid())
    os._exit(0)
elif role in ('sink', 'bindonly'):
    # a bound socket that only waits: a UDP one receives, a TCP one never listens
    port, addr = int(args[0]), args[1]
    b = socket.socket(family(addr), socket.SOCK_DGRAM if role == 'sink' else socket.SOCK_STREAM)
    b.bind((addr, port))
    say(ready=os.getpid())
    sys.stdin.read()
elif role == 'share':
    import threading
    proto, port, addr, *opts = args[0], int(args[1]), args[2], *args[3:]
    threads = int(next((o.split('=')[1] for o in opts if o.startswith('threads=')), '0'))

    def bound():
        s = socket.socket(family(addr), socket.SOCK_STREAM if proto == 'tcp' else socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if 'v6only' in opts:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        if proto == 'tcp':
            s.listen(1024)
        return s

    socks = []
    if 'fork' in opts:
        socks = [bound(), bound()]
        child = os.fork()
        if child == 0:
            socks = socks[1:]
            socks[0].sendto(b'worker', (addr, 9))  # a hook sees the child use it (nobody listens on 9)
        else:
            socks = socks[:1]
            say(child=child)
    elif threads:
        # one socket a thread, each bound by a thread with a name of its own (as envoy's workers)
        def worker(i):
            ctypes.CDLL(None).prctl(15, f'{name[:11]}-t{i}'.encode(), 0, 0, 0)
            socks.append(bound())
        for i in range(threads):
            t = threading.Thread(target=worker, args=(i,))
            t.start()
            t.join()
    else:
        socks.append(bound())
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ, 'sock')
    me = str(os.getpid()).encode()
    if 'fork' not in opts or child:
        say(ready=os.getpid())

    def answer(key):
        s = key.fileobj
        if proto == 'tcp':
            conn, _ = s.accept()
            conn.settimeout(5)
            conn.sendall(me)
            conn.recv(16)  # the client's "bye", then its FIN
            conn.close()
        else:
            data, peer = s.recvfrom(2048)
            s.sendto(me, peer)
    serve(sel, answer)
elif role == 'ask':
    proto, port, addr, n, first = args[0], int(args[1]), args[2], int(args[3]), int(args[4])
    served, held = {}, []
    for i in range(n):
        # a local port of its own for each: none is used twice, within a run or across runs
        local = ('::' if family(addr) == socket.AF_INET6 else '0.0.0.0', first + i)
        if proto == 'tcp':
            c = socket.create_connection((addr, port), timeout=5, source_address=local)
            pid = int(c.recv(16))
            c.sendall(b'bye')
            c.recv(16)  # the server's FIN: the exchange is over
        else:
            c = socket.socket(family(addr), socket.SOCK_DGRAM)
            c.settimeout(5)
            c.bind(local)
            c.sendto(b'who', (addr, port))
            pid = int(c.recv(16))
            c.sendto(b'again', (addr, port))  # a second datagram of the same flow
            assert int(c.recv(16)) == pid
        served[c.getsockname()[1]] = pid
        held.append(c)  # open until the end: no local port is used twice
    say(served=served, done=os.getpid())
    for c in held:
        c.close()
elif role == 'refused':
    port, addr, n = int(args[0]), args[1], int(args[2])
    for _ in range(n):
        try:
            socket.create_connection((addr, port), timeout=5).close()
            raise SystemExit(f'port {port} accepted a connection')
        except ConnectionRefusedError:
            pass
    say(done=os.getpid())
elif role == 'fill':
    n, first, addr = int(args[0]), int(args[1]), args[2]
    held = []
    for i in range(n):
        u = socket.socket(family(addr), socket.SOCK_DGRAM)
        u.bind((addr, first + i))
        held.append(u)
    say(ready=os.getpid())
    sys.stdin.read()
