// Ports that several sockets hold, as real servers hold them: SO_REUSEPORT groups of
// different processes (nginx, envoy and DNS servers run one listener per worker), one port on
// two addresses held by two programs (a resolver on 127.0.0.53:53 beside another on
// 127.0.0.1:53), and a dual-stack [::] listener with IPv4 clients. Each server answers with
// its own pid, so the test knows which process the kernel gave every connection and
// datagram to; every packet must name that one or nobody (docs/attribution.md, "Ports
// several sockets hold"). Servers start before the capture (the sidecar seeds them from the
// socket tables) and after it (its hooks see them bind).
import {mkdirSync, rmdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord, SidecarRecord} from '../../src/sidecar/records.js'
import {SIDECAR} from '../helpers/integration-capture.js'
import {cgroup2Root} from '../helpers/integration-cgroup.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'

const PEER = fileURLToPath(new URL('../helpers/owner-peer.py', import.meta.url))
const BASE = 41000 + (process.pid % 1500) * 10 // this run's ports: BASE .. BASE+9
const END = BASE + 9 // a last datagram here: once the capture has it, it has everything before it

interface Case {
  name: string
  proto: 'tcp' | 'udp'
  /** one server per address, each its own process; equal addresses make a SO_REUSEPORT group */
  servers: string[]
  /** where the client sends (default: each server's address) */
  to?: string[]
  before: boolean
  /** the port is shared by processes the kernel chooses between after the tap */
  shared: boolean
}

const CASES: Case[] = [
  {name: 'tcp reuseport, listening before the start', proto: 'tcp', servers: ['127.0.0.1', '127.0.0.1'], before: true, shared: true},
  {name: 'tcp reuseport, listening after the start', proto: 'tcp', servers: ['127.0.0.1', '127.0.0.1'], before: false, shared: true},
  {name: 'tcp reuseport on ::1', proto: 'tcp', servers: ['::1', '::1'], before: false, shared: true},
  {name: 'udp reuseport, bound before the start', proto: 'udp', servers: ['127.0.0.1', '127.0.0.1'], before: true, shared: true},
  {name: 'udp reuseport, bound after the start', proto: 'udp', servers: ['127.0.0.1', '127.0.0.1'], before: false, shared: true},
  {name: 'udp, one port on two addresses, bound before', proto: 'udp', servers: ['127.0.0.1', '127.0.0.2'], before: true, shared: false},
  {name: 'udp, one port on two addresses, bound after', proto: 'udp', servers: ['127.0.0.1', '127.0.0.2'], before: false, shared: false},
  {name: 'tcp, one port on two addresses', proto: 'tcp', servers: ['127.0.0.1', '127.0.0.2'], before: false, shared: false},
  {name: 'tcp dual-stack [::] listener, IPv4 clients, before', proto: 'tcp', servers: ['::'], to: ['127.0.0.1'], before: true, shared: false},
]
const ASKS = 24 // connections or client sockets per address asked

interface Server {
  proc: Proc
  pid: number
  comm: string
  cgroup: string
}

const shared = suite('attribution-shared')
const ctx = {root: '', base: '', servers: [] as Server[][], served: [] as Map<number, {server: number; client: number}>[], client: {cgroup: ''}, packets: [] as PacketRecord[]}

async function start(cgroup: string, comm: string, role: string[]): Promise<{proc: Proc; said: Record<string, unknown>}> {
  mkdirSync(join(ctx.root, cgroup), {recursive: true})
  const proc = startProc('/usr/bin/python3', [PEER, join(ctx.root, cgroup), comm, '0', ...role], {stdio: ['pipe', 'pipe', 'pipe']})
  const line = await proc.waitFor('stdout', (l) => l.includes('"ready"') || l.includes('"done"'), 15_000)
  return {proc, said: JSON.parse(line)}
}

async function startServers(i: number) {
  const c = CASES[i]
  ctx.servers[i] = []
  for (const [j, addr] of c.servers.entries()) {
    const cgroup = `${ctx.base}/c${i}s${j}`
    const comm = `sw-sh${i}-${j}`
    const {proc, said} = await start(cgroup, comm, ['share', c.proto, String(BASE + i), addr])
    ctx.servers[i].push({proc, pid: said.ready as number, comm, cgroup})
  }
}

shared.before(async () => {
  preflight(['python3'])
  ctx.root = cgroup2Root()
  ctx.base = `/sw-attrshare-${process.pid}`
  for (const i of CASES.keys()) if (CASES[i].before) await startServers(i)
  const sidecar = startProc(SIDECAR, ['--stats-interval', '0', '-i', 'lo', '--filter', `portrange ${BASE}-${END}`])
  try {
    await sidecar.waitFor('stdout', (l) => l.includes('"type":"ready"'))
    for (const i of CASES.keys()) if (!CASES[i].before) await startServers(i)
    ctx.client.cgroup = `${ctx.base}/cli`
    for (const [i, c] of CASES.entries()) {
      ctx.served[i] = new Map()
      for (const addr of c.to ?? [...new Set(c.servers)]) {
        const {proc, said} = await start(ctx.client.cgroup, 'sw-asker', ['ask', c.proto, String(BASE + i), addr, String(ASKS)])
        await proc.exited
        for (const [port, pid] of Object.entries(said.served as Record<string, number>)) ctx.served[i].set(Number(port), {server: pid, client: said.done as number})
      }
      // a reuseport group the kernel never spread over both servers would test nothing
      if (c.servers.length > 1) assert.is(new Set([...ctx.served[i].values()].map((v) => v.server)).size, c.servers.length, `${c.name}: every server served`)
    }
  } catch (err) {
    await sidecar.stop('SIGKILL')
    throw err
  }
  // the end marker, from this process: a datagram nobody answers
  const {createSocket} = await import('node:dgram')
  const sock = createSocket('udp4')
  await new Promise<void>((resolve, reject) => sock.send('end', END, '127.0.0.1', (err) => (err ? reject(err) : resolve())))
  sock.close()
  await sidecar.waitFor('stdout', (l) => l.includes(`"dport":${END}`))
  const {code} = await sidecar.stop('SIGTERM')
  assert.is(code, 0, sidecar.stderr.join('\n'))
  ctx.packets = sidecar.stdout.filter(Boolean).map((l) => JSON.parse(l) as SidecarRecord).filter((r): r is PacketRecord => r.type === 'packet')
})

shared.after(async () => {
  for (const s of ctx.servers.flat()) {
    s.proc.child.kill('SIGKILL')
    await s.proc.exited
  }
  for (const [i, c] of CASES.entries()) {
    for (const j of c.servers.keys()) {
      try {
        rmdirSync(join(ctx.root, `${ctx.base}/c${i}s${j}`))
      } catch {
        // never made
      }
    }
  }
  for (const dir of [`${ctx.base}/cli`, ctx.base]) {
    try {
      rmdirSync(join(ctx.root, dir))
    } catch {
      // never made
    }
  }
})

for (const [i, c] of CASES.entries()) {
  shared(`attribution-shared :: ${c.name}: every packet names the process the kernel gave it to, or nobody, never another${c.shared ? '; nobody only for what reaches the shared port before a server answered' : '; always'}`, () => {
    const port = BASE + i
    const mine = ctx.packets.filter((p) => p.proto === c.proto && (p.dport === port || p.sport === port))
    const byPid = new Map(ctx.servers[i].map((s) => [s.pid, s]))
    const seenFlows = new Set<number>()
    const wrong: string[] = []
    const unnamed: string[] = []
    let expectedNull = 0
    for (const p of mine) {
      const toServer = p.dport === port
      const clientPort = toServer ? p.sport : p.dport
      const {server: serverPid = -1, client = -1} = ctx.served[i].get(clientPort) ?? {}
      const server = byPid.get(serverPid)
      if (!server) {
        wrong.push(`no server served client port ${clientPort}: ${JSON.stringify(p)}`)
        continue
      }
      // on loopback the tap's copy is the received one: its owner is the receiver, its peer the sender
      const owner = toServer ? {pid: server.pid, comm: server.comm, cgroup: server.cgroup} : {pid: client, comm: 'sw-asker', cgroup: ctx.client.cgroup}
      const peer = toServer ? {pid: client, comm: 'sw-asker'} : {pid: server.pid, comm: server.comm}
      // what reaches a shared port first (a SYN; a flow's first datagram) has no owner yet
      const first = toServer && !seenFlows.has(clientPort)
      if (toServer) seenFlows.add(clientPort)
      const mayBeNull = c.shared && toServer && (c.proto === 'udp' ? first : p.flags === 'S')
      if (mayBeNull) expectedNull++
      if (p.pid === null) {
        if (!mayBeNull) unnamed.push(JSON.stringify(p))
      } else if (p.pid !== owner.pid || p.comm !== owner.comm || p.cgroup !== owner.cgroup || p.uid !== 0) {
        wrong.push(`owner: ${JSON.stringify(p)}, expected ${JSON.stringify(owner)}`)
      } else if (mayBeNull) {
        wrong.push(`a packet to the shared port before any server answered named an owner: ${JSON.stringify(p)}`)
      }
      if (p.peer_pid !== peer.pid || p.peer_comm !== peer.comm) wrong.push(`peer: ${JSON.stringify(p)}, expected ${JSON.stringify(peer)}`)
    }
    const asked = ASKS * (c.to ?? [...new Set(c.servers)]).length
    assert.is(seenFlows.size, asked, `${seenFlows.size} flows of ${asked} captured`)
    assert.equal(wrong.slice(0, 3), [], `${wrong.length} of ${mine.length} packets name the wrong process`)
    assert.equal(unnamed.slice(0, 3), [], `${unnamed.length} of ${mine.length} packets name nobody`)
    if (c.shared) assert.ok(expectedNull >= asked, `${expectedNull} packets reached the shared port first`)
  })
}

shared.run()
