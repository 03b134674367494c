// Ports that several sockets hold, as real servers hold them: SO_REUSEPORT groups of
// different processes (nginx, envoy and DNS servers run one listener per worker), a process
// whose threads each bind one, a group one member leaves (a handover restart), one port on
// two addresses held by two programs (a resolver on 127.0.0.53:53 beside another on
// 127.0.0.1:53), an IPv4 and a v6only IPv6 listener of two processes (Docker's proxy), and a
// dual-stack [::] listener with IPv4 clients. Each server answers with its own pid, so the
// test knows which process the kernel gave every connection and datagram to; every packet
// must name that one or nobody, never another (docs/attribution.md, "How it works", steps 3,
// 4 and 6). Servers start before the capture (the sidecar seeds them from the socket tables)
// and after it (its hooks see them bind). A second capture filters by name in the kernel:
// a shared port whose holders share a name keeps every packet.
import {mkdirSync, rmdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord, SidecarRecord} from '../../src/sidecar/records.js'
import {SIDECAR, inNetns} from '../helpers/integration-capture.js'
import {cgroup2Root} from '../helpers/integration-cgroup.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'

const PEER = fileURLToPath(new URL('../helpers/owner-peer.py', import.meta.url))
const BASE = 20000 // in a network namespace of the test's own: nothing else uses these
const END = BASE + 99 // a last datagram here: once a capture has it, it has everything before it
const CLIENT_PORTS = 40000 // the clients' local ports: 40000 + 200 a case

interface ServerSpec {
  addr: string
  /** share-role options: 'v6only', 'threads=N', 'fork' (a parent and its child, a socket each) */
  opts?: string[]
  uid?: number
  /** the cgroup and name of another server of this case: one program's workers */
  sameAs?: number
}

interface Case {
  name: string
  proto: 'tcp' | 'udp'
  servers: ServerSpec[]
  /** where the client sends (default: each server's address) */
  to?: string[]
  before: boolean
  /** processes the kernel chooses between after the tap share the port */
  shared: boolean
  /** server 0 leaves after a first round; a second round goes to the rest */
  handover?: boolean
  /** the name-filtered capture must keep every packet of this case */
  byName?: boolean
}

const v4 = (n = 1): ServerSpec[] => Array.from({length: n}, () => ({addr: '127.0.0.1'}))
const CASES: Case[] = [
  {name: 'tcp reuseport, listening before the start', proto: 'tcp', servers: v4(2), before: true, shared: true},
  {name: 'tcp reuseport, listening after the start', proto: 'tcp', servers: v4(2), before: false, shared: true},
  {name: 'tcp reuseport on ::1', proto: 'tcp', servers: [{addr: '::1'}, {addr: '::1'}], before: false, shared: true},
  {name: 'udp reuseport, bound before the start', proto: 'udp', servers: v4(2), before: true, shared: true},
  {name: 'udp reuseport, bound after the start', proto: 'udp', servers: v4(2), before: false, shared: true},
  {name: 'tcp reuseport, one process, a socket per named thread', proto: 'tcp', servers: [{addr: '127.0.0.1', opts: ['threads=2']}], before: false, shared: false},
  {name: 'tcp reuseport handover: one server leaves, the other is named again (hooks)', proto: 'tcp', servers: v4(2), before: false, shared: true, handover: true},
  {name: 'tcp reuseport handover: one server leaves, the other is named again (seeded)', proto: 'tcp', servers: v4(2), before: true, shared: true, handover: true},
  {name: 'udp reuseport of one program\'s two workers, kept whole by a filter on its name', proto: 'udp', servers: [{addr: '127.0.0.1'}, {addr: '127.0.0.1', sameAs: 0}], before: false, shared: true, byName: true},
  {name: 'tcp reuseport of one program\'s two workers, kept whole by a filter on its name (seeded)', proto: 'tcp', servers: [{addr: '127.0.0.1'}, {addr: '127.0.0.1', sameAs: 0}], before: true, shared: true, byName: true},
  {name: 'udp, one port on two addresses, bound before', proto: 'udp', servers: [{addr: '127.0.0.1'}, {addr: '127.0.0.2'}], before: true, shared: false},
  {name: 'udp, one port on two addresses, bound after', proto: 'udp', servers: [{addr: '127.0.0.1'}, {addr: '127.0.0.2'}], before: false, shared: false},
  {name: 'tcp, one port on two addresses', proto: 'tcp', servers: [{addr: '127.0.0.1'}, {addr: '127.0.0.2'}], before: false, shared: false},
  {name: 'tcp, 0.0.0.0 and a v6only [::] of two processes (after)', proto: 'tcp', servers: [{addr: '0.0.0.0'}, {addr: '::', opts: ['v6only']}], to: ['127.0.0.1', '::1'], before: false, shared: false},
  {name: 'tcp, 0.0.0.0 and a v6only [::] of two processes (seeded)', proto: 'tcp', servers: [{addr: '0.0.0.0'}, {addr: '::', opts: ['v6only']}], to: ['127.0.0.1', '::1'], before: true, shared: false},
  {name: 'tcp dual-stack [::] listener, IPv4 clients, before', proto: 'tcp', servers: [{addr: '::'}], to: ['127.0.0.1'], before: true, shared: false},
  {name: 'tcp dual-stack [::] listener, IPv4 clients, after', proto: 'tcp', servers: [{addr: '::'}], to: ['127.0.0.1'], before: false, shared: false},
  {name: 'udp reuseport of a pre-forked server: the parent and its child a socket each', proto: 'udp', servers: [{addr: '127.0.0.1', opts: ['fork']}], before: false, shared: true},
  {name: 'tcp reuseport of two processes of another uid', proto: 'tcp', servers: [{addr: '127.0.0.1', uid: 65534}, {addr: '127.0.0.1', uid: 65534}], before: false, shared: true},
]
const ASKS = 24 // connections or client sockets per address asked, per round
const NAMED = 'sw-named' // the name of the byName cases' workers

interface Server {
  proc: Proc
  pid: number
  comm: string
  cgroup: string
  uid: number
}

interface Flow {
  server: number
  client: number
  round: number
}

const shared = suite('attribution-shared')
const ctx = {root: '', base: '', ns: {name: '', remove: () => {}}, servers: [] as Server[][], flows: [] as Map<number, Flow>[], packets: [] as PacketRecord[], named: [] as PacketRecord[], dirs: new Set<string>()}

async function start(cgroup: string, comm: string, role: string[], uid = 0): Promise<{proc: Proc; said: Record<string, unknown>}> {
  mkdirSync(join(ctx.root, cgroup), {recursive: true})
  ctx.dirs.add(cgroup)
  const proc = startProc(...inNetns(ctx.ns.name, '/usr/bin/python3', [PEER, join(ctx.root, cgroup), comm, String(uid), ...role]), {stdio: ['pipe', 'pipe', 'pipe']})
  const line = await proc.waitFor('stdout', (l) => l.includes('"ready"') || l.includes('"done"'), 15_000)
  return {proc, said: JSON.parse(line)}
}

async function startServers(i: number) {
  const c = CASES[i]
  ctx.servers[i] = []
  for (const [j, spec] of c.servers.entries()) {
    const first = ctx.servers[i][spec.sameAs ?? -1]
    const cgroup = first?.cgroup ?? `${ctx.base}/c${i}s${j}`
    const comm = c.byName ? NAMED : `sw-sh${i}-${j}`
    const {proc, said} = await start(cgroup, comm, ['share', c.proto, String(BASE + i), spec.addr, ...(spec.opts ?? [])], spec.uid)
    ctx.servers[i].push({proc, pid: said.ready as number, comm, cgroup, uid: spec.uid ?? 0})
    // a pre-forked server's child: the same name and cgroup, a pid of its own
    const child = proc.stdout.map((l) => JSON.parse(l) as {child?: number}).find((l) => l.child)?.child
    if (child) ctx.servers[i].push({proc, pid: child, comm, cgroup, uid: spec.uid ?? 0})
  }
}

async function ask(i: number, round: number) {
  const c = CASES[i]
  for (const [a, addr] of (c.to ?? [...new Set(c.servers.map((s) => s.addr))]).entries()) {
    // client ports of their own: case, round and address apart (ASKS < 50)
    const first = CLIENT_PORTS + i * 200 + round * 100 + a * 50
    const {proc, said} = await start(`${ctx.base}/cli`, 'sw-asker', ['ask', c.proto, String(BASE + i), addr, String(ASKS), String(first)])
    await proc.exited
    for (const [port, pid] of Object.entries(said.served as Record<string, number>)) {
      assert.not.ok(ctx.flows[i].has(Number(port)), `${c.name}: client port ${port} used twice`)
      ctx.flows[i].set(Number(port), {server: pid, client: said.done as number, round})
    }
  }
}

/** Sends a last datagram from a process named comm, waits for the capture to have it, stops it. */
async function endMarker(capture: Proc, comm: string) {
  const py = `import ctypes, socket; ctypes.CDLL(None).prctl(15, b'${comm}', 0, 0, 0); socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'end', ('127.0.0.1', ${END}))`
  const send = startProc(...inNetns(ctx.ns.name, '/usr/bin/python3', ['-c', py]))
  assert.is((await send.exited).code, 0, send.stderr.join('\n'))
  await capture.waitFor('stdout', (l) => l.includes(`"dport":${END}`))
  const {code} = await capture.stop('SIGTERM')
  assert.is(code, 0, capture.stderr.join('\n'))
  return capture.stdout.filter(Boolean).map((l) => JSON.parse(l) as SidecarRecord).filter((r): r is PacketRecord => r.type === 'packet')
}

// uvu does not print a failed hook's error: say it here
shared.before(async () => {
  try {
    await setUp()
  } catch (err) {
    console.error('attribution-shared: the setup failed:', err)
    throw err
  }
})

async function setUp() {
  preflight(['python3', 'nsenter', 'ip'])
  ctx.root = cgroup2Root()
  ctx.base = `/sw-attrshare-${process.pid}`
  ctx.ns = makeNetns('shr')
  for (const i of CASES.keys()) if (CASES[i].before) await startServers(i)
  const range = ['--filter', `portrange ${BASE}-${END}`]
  const all = startProc(...inNetns(ctx.ns.name, SIDECAR, ['--stats-interval', '0', '-i', 'lo', ...range]))
  const named = startProc(...inNetns(ctx.ns.name, SIDECAR, ['--stats-interval', '0', '-i', 'lo', '--comm', NAMED, '--filter', `portrange ${BASE}-${END}`]))
  try {
    await all.waitFor('stdout', (l) => l.includes('"type":"ready"'))
    await named.waitFor('stdout', (l) => l.includes('"type":"ready"'))
    for (const i of CASES.keys()) if (!CASES[i].before) await startServers(i)
    for (const [i, c] of CASES.entries()) {
      ctx.flows[i] = new Map()
      await ask(i, 0)
      // a reuseport group the kernel never spread over its servers would test nothing
      if (ctx.servers[i].length > 1 && c.shared) assert.is(new Set([...ctx.flows[i].values()].map((f) => f.server)).size, ctx.servers[i].length, `${c.name}: every server served`)
      if (c.handover) {
        const leaving = ctx.servers[i][0].proc
        leaving.child.stdin?.end()
        await leaving.exited
        await ask(i, 1)
      }
    }
  } catch (err) {
    await Promise.all([all.stop('SIGKILL'), named.stop('SIGKILL')])
    throw err
  }
  ctx.packets = await endMarker(all, 'sw-end')
  // the named capture's end marker passes its --comm filter: sent by a process of that name
  ctx.named = await endMarker(named, NAMED)
}

shared.after(async () => {
  for (const s of ctx.servers.flat()) {
    try {
      process.kill(s.pid, 'SIGKILL') // a forked child too
    } catch {
      // gone already
    }
    s.proc.child.kill('SIGKILL')
    await s.proc.exited
  }
  ctx.ns.remove()
  for (const dir of [...ctx.dirs].sort().reverse().concat(ctx.base)) {
    try {
      rmdirSync(join(ctx.root, dir))
    } catch {
      // never made, or already gone
    }
  }
})

/** The packets of case i, each with what it must name: on loopback the tap's copy is the
 * received one, so its owner is the receiver and its peer the sender. */
function expectations(i: number, packets: PacketRecord[]) {
  const c = CASES[i]
  const port = BASE + i
  const byPid = new Map(ctx.servers[i].map((s) => [s.pid, s]))
  const seen = new Set<number>()
  // (a pre-forked child's datagram to port 9, which shows a hook it took its socket, is not a flow)
  return packets.filter((p) => p.proto === c.proto && (p.dport === port || p.sport === port) && p.dport !== 9).map((p) => {
    const toServer = p.dport === port
    const clientPort = toServer ? p.sport : p.dport
    const flow = ctx.flows[i].get(clientPort)
    const server = byPid.get(flow?.server ?? -1)
    const first = toServer && !seen.has(clientPort)
    if (toServer) seen.add(clientPort)
    // what reaches a port shared by several processes first (a SYN; a flow's first
    // datagram) has no owner yet, unless the round after a handover left one holder
    const sharedNow = c.shared && !(c.handover && flow?.round === 1)
    const mayBeNull = sharedNow && toServer && (c.proto === 'udp' ? first : p.flags === 'S')
    return {p, flow, server, toServer, mayBeNull}
  })
}

for (const [i, c] of CASES.entries()) {
  shared(`attribution-shared :: ${c.name}: every packet names the process the kernel gave it to${c.shared ? ', or nobody for what reaches the shared port first' : ''}; never another`, () => {
    const wrong: string[] = []
    const unnamed: string[] = []
    let expectedNull = 0
    const rows = expectations(i, ctx.packets)
    for (const {p, flow, server, toServer, mayBeNull} of rows) {
      if (!flow || !server) {
        wrong.push(`no server of this case served client port ${toServer ? p.sport : p.dport}: ${JSON.stringify(p)}`)
        continue
      }
      const threads = (c.servers[0].opts ?? []).some((o) => o.startsWith('threads='))
      const owner = toServer ? {pid: server.pid, comm: server.comm, cgroup: server.cgroup, uid: server.uid} : {pid: flow.client, comm: 'sw-asker', cgroup: `${ctx.base}/cli`, uid: 0}
      const peer = toServer ? {pid: flow.client, comm: 'sw-asker'} : {pid: server.pid, comm: server.comm}
      // a thread names the socket it bound: its own name, the process's pid
      const commOk = (got: string | null | undefined, want: string) => got === want || (threads && typeof got === 'string' && got.startsWith(want.slice(0, 11)))
      if (mayBeNull) expectedNull++
      if (p.pid === null) {
        if (!mayBeNull) unnamed.push(JSON.stringify(p))
      } else if (p.pid !== owner.pid || !commOk(p.comm, owner.comm) || p.cgroup !== owner.cgroup || p.uid !== owner.uid) {
        wrong.push(`owner: ${JSON.stringify(p)}, expected ${JSON.stringify(owner)}`)
      } else if (mayBeNull) {
        wrong.push(`a packet to the shared port before any server answered named an owner: ${JSON.stringify(p)}`)
      }
      if (p.peer_pid !== peer.pid || !commOk(p.peer_comm, peer.comm)) wrong.push(`peer: ${JSON.stringify(p)}, expected ${JSON.stringify(peer)}`)
    }
    const flows = new Set(rows.map((r) => (r.toServer ? r.p.sport : r.p.dport)))
    assert.is(flows.size, ctx.flows[i].size, `${flows.size} flows of ${ctx.flows[i].size} captured`)
    assert.equal(wrong.slice(0, 3), [], `${wrong.length} of ${rows.length} packets name the wrong process`)
    assert.equal(unnamed.slice(0, 3), [], `${unnamed.length} of ${rows.length} packets name nobody`)
    if (c.shared) assert.ok(expectedNull >= ASKS, `${expectedNull} packets reached the shared port first`)
    if (c.byName) {
      // the kernel's --comm filter: every packet, the first ones included (they name the workers' common name, pid null)
      const line = (p: PacketRecord) => `${p.sport}>${p.dport} ${p.flags ?? ''} ${p.len}`
      assert.equal(expectations(i, ctx.named).map((r) => line(r.p)), rows.map((r) => line(r.p)), 'the --comm capture kept exactly this case\'s packets')
    }
  })
}

/** A sidecar of the test's namespace, ready. */
async function capture(args: string[]) {
  const proc = startProc(...inNetns(ctx.ns.name, SIDECAR, ['--stats-interval', '0', '-i', 'lo', ...args]))
  await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
  return proc
}

shared('attribution-shared :: a quiet port keeps its holders through socket churn that fills the owner maps (--owner-entries 64)', async () => {
  const port = BASE + 60
  const cap = await capture(['--owner-entries', '64', '--filter', `udp port ${port} or udp port ${END}`])
  const a = await start(`${ctx.base}/churn-a`, 'sw-churn-a', ['share', 'udp', String(port), '127.0.0.1'])
  const echo = await start(`${ctx.base}/churn-e`, 'sw-echo', ['server', String(BASE + 61), '127.0.0.1'])
  // 3000 connections, each a cookie entry and two tuple entries: far past the 64 of each map
  const burst = await start(`${ctx.base}/cli`, 'sw-burst', ['burst', String(BASE + 61), '127.0.0.1', '3000'])
  await burst.proc.exited
  const b = await start(`${ctx.base}/churn-b`, 'sw-churn-b', ['share', 'udp', String(port), '127.0.0.1'])
  const asker = await start(`${ctx.base}/cli`, 'sw-asker', ['ask', 'udp', String(port), '127.0.0.1', String(ASKS), String(CLIENT_PORTS + 6000)])
  await asker.proc.exited
  const packets = await endMarker(cap, 'sw-end')
  for (const x of [a, echo, b]) x.proc.child.kill('SIGKILL')
  const served = new Map(Object.entries(asker.said.served as Record<string, number>).map(([p, pid]) => [Number(p), pid]))
  assert.is(new Set(served.values()).size, 2, 'both servers served')
  const mine = packets.filter((p) => p.dport === port || p.sport === port)
  assert.is(mine.length, 4 * ASKS, 'two datagrams and two replies a client')
  // a request names its server or nobody (the first of a flow, to the shared port); a reply
  // names its server as the peer: the server bound before the churn kept its port in its
  // socket's storage when its entries were evicted
  const wrong = mine.filter((p) => {
    const pid = served.get(p.dport === port ? p.sport : p.dport)
    return p.dport === port ? p.pid !== null && p.pid !== pid : p.peer_pid !== undefined && p.peer_pid !== pid
  })
  assert.equal(wrong.map((p) => JSON.stringify(p)).slice(0, 3), [], `${wrong.length} of ${mine.length} name the wrong server`)
  const unnamed = mine.filter((p) => p.sport === port && p.peer_pid === undefined)
  assert.equal(unnamed.map((p) => JSON.stringify(p)).slice(0, 3), [], `${unnamed.length} of ${2 * ASKS} replies name no server`)
})

shared('attribution-shared :: a port the full ports map had no room for names nobody for a holder that binds it later, never that one alone', async () => {
  const port = BASE + 80
  // --owner-entries 256: 64 bound ports at most; 100 bound first fill them
  const cap = await capture(['--owner-entries', '256', '--filter', `udp port ${port} or udp port ${END}`])
  const fill = await start(`${ctx.base}/fill`, 'sw-fill', ['fill', '100', String(BASE + 100), '127.0.0.1'])
  const a = await start(`${ctx.base}/refused-a`, 'sw-refused-a', ['share', 'udp', String(port), '127.0.0.1'])
  fill.proc.child.stdin?.end() // its 100 ports freed: room again
  await fill.proc.exited
  const b = await start(`${ctx.base}/refused-b`, 'sw-refused-b', ['share', 'udp', String(port), '127.0.0.1'])
  const asker = await start(`${ctx.base}/cli`, 'sw-asker', ['ask', 'udp', String(port), '127.0.0.1', String(ASKS), String(CLIENT_PORTS + 7000)])
  await asker.proc.exited
  const packets = await endMarker(cap, 'sw-end')
  for (const x of [a, b]) x.proc.child.kill('SIGKILL')
  const served = new Map(Object.entries(asker.said.served as Record<string, number>).map(([p, pid]) => [Number(p), pid]))
  assert.is(new Set(served.values()).size, 2, 'both servers served')
  const requests = packets.filter((p) => p.dport === port)
  assert.is(requests.length, 2 * ASKS)
  const wrong = requests.filter((p) => p.pid !== null && p.pid !== served.get(p.sport))
  assert.equal(wrong.map((p) => JSON.stringify(p)).slice(0, 3), [], `${wrong.length} of ${requests.length} requests name the wrong server`)
})

shared('attribution-shared :: a SYN-ACK sent as a SYN cookie (no socket of its own) names its listener', async () => {
  // every SYN answered with a cookie: net.ipv4.tcp_syncookies is the namespace's own
  const saved = ctx.ns.name
  const cookies = makeNetns('shc')
  ctx.ns = {...ctx.ns, name: cookies.name}
  try {
    const set = startProc('nsenter', [`--net=/run/netns/${cookies.name}`, 'sysctl', '-qw', 'net.ipv4.tcp_syncookies=2'])
    assert.is((await set.exited).code, 0, set.stderr.join('\n'))
    const port = BASE + 90
    const cap = await capture(['--filter', `tcp port ${port} or udp port ${END}`])
    const server = await start(`${ctx.base}/cookie-srv`, 'sw-cookie-srv', ['share', 'tcp', String(port), '127.0.0.1'])
    const asker = await start(`${ctx.base}/cli`, 'sw-asker', ['ask', 'tcp', String(port), '127.0.0.1', '5', String(CLIENT_PORTS + 8000)])
    await asker.proc.exited
    const packets = await endMarker(cap, 'sw-end')
    server.proc.child.kill('SIGKILL')
    const synAcks = packets.filter((p) => p.sport === port && p.flags === 'SA')
    assert.is(synAcks.length, 5)
    for (const p of synAcks) assert.is(p.peer_pid, server.said.ready, JSON.stringify(p))
  } finally {
    cookies.remove()
    ctx.ns = {...ctx.ns, name: saved}
  }
})

shared('attribution-shared :: resets the kernel sends for ports nobody listens on name no process', async () => {
  const bound = BASE + 70 // bound by a process that never listens
  const closed = BASE + 71 // bound by nobody
  const cap = await capture(['--filter', `tcp port ${bound} or tcp port ${closed} or udp port ${END}`])
  const binder = await start(`${ctx.base}/binder`, 'sw-binder', ['bindonly', String(bound), '127.0.0.1'])
  const refused = []
  for (const port of [bound, closed]) {
    const r = await start(`${ctx.base}/cli`, 'sw-refused', ['refused', String(port), '127.0.0.1', '5'])
    await r.proc.exited
    refused.push(r.said.done as number)
  }
  const packets = await endMarker(cap, 'sw-end')
  binder.proc.child.kill('SIGKILL')
  const resets = packets.filter((p) => p.proto === 'tcp' && p.flags?.includes('R'))
  assert.is(resets.length, 10, 'a reset for each refused connection')
  for (const p of resets) {
    // on loopback the reset's copy is the client's to receive: its owner the client, its sender the kernel
    assert.ok(refused.includes(p.pid as number), JSON.stringify(p))
    assert.is(p.peer_pid, undefined, `a reset named a sender: ${JSON.stringify(p)}`)
  }
})

shared('attribution-shared :: the --comm capture keeps nothing of the cases whose processes have other names', () => {
  const others = ctx.named.filter((p) => p.dport !== END && !CASES.some((c, i) => c.byName && (p.sport === BASE + i || p.dport === BASE + i)))
  assert.equal(others.slice(0, 3), [])
  assert.ok(ctx.named.length > ASKS * 4, `${ctx.named.length} packets kept`)
})

shared.run()
