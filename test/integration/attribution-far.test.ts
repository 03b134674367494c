// Peers in another network namespace of this host whose sockets were opened before the
// capture started: a server in namespace B, listening before the sidecar starts in A, so
// no hook saw it bind; a client in A connects to it over the veth. The sidecar seeds B's
// sockets at start (sock_diag from a thread inside B), so the listener owns what the
// connections it accepts send, and every packet after the SYN names it as the peer
// (docs/attribution.md, "Peers in other namespaces").
import {execFileSync} from 'node:child_process'
import {mkdirSync, rmdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord, SidecarRecord} from '../../src/sidecar/records.js'
import {SIDECAR} from '../helpers/integration-capture.js'
import {cgroup2Root} from '../helpers/integration-cgroup.js'
import {makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'

const PEER = fileURLToPath(new URL('../helpers/owner-peer.py', import.meta.url))
const PORT = 46000 + (process.pid % 1000)

const far = suite('attribution-far')
const ctx = {} as {pair: VethPair; root: string; base: string; server: Proc; serverPid: number; clientPid: number; packets: PacketRecord[]}

const inNs = (ns: string, cmd: string, args: string[]): [string, string[]] => ['nsenter', [`--net=/run/netns/${ns}`, cmd, ...args]]

far.before(async () => {
  preflight(['ip', 'nsenter', 'python3'])
  ctx.root = cgroup2Root()
  ctx.base = `/sw-attrfar-${process.pid}`
  for (const sub of ['srv', 'cli']) mkdirSync(join(ctx.root, ctx.base, sub), {recursive: true})
  const pair = (ctx.pair = makeVethPair('af'))
  // namespace B's server, before the capture: its bind passed no hook of ours
  ctx.server = startProc(...inNs(pair.nsB, '/usr/bin/python3', [PEER, join(ctx.root, ctx.base, 'srv'), 'sw-farsrv', '0', 'server', String(PORT), pair.addrB]), {stdio: ['pipe', 'pipe', 'pipe']})
  ctx.serverPid = JSON.parse(await ctx.server.waitFor('stdout', (l) => l.includes('"ready"'))).ready
  const sidecar = startProc(...inNs(pair.nsA, SIDECAR, ['--stats-interval', '0', '-i', pair.ifA]))
  await sidecar.waitFor('stdout', (l) => l.includes('"type":"ready"'))
  const client = startProc(...inNs(pair.nsA, '/usr/bin/python3', [PEER, join(ctx.root, ctx.base, 'cli'), 'sw-farcli', '0', 'client', String(PORT), pair.addrB]), {stdio: ['pipe', 'pipe', 'pipe']})
  ctx.clientPid = JSON.parse(await client.waitFor('stdout', (l) => l.includes('"done"'), 10_000)).done
  await client.exited
  // a last datagram: once the capture has it, it has everything before it
  execFileSync(...inNs(pair.nsA, 'python3', ['-c', `import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'end', ('${pair.addrB}', ${PORT + 1}))`]))
  await sidecar.waitFor('stdout', (l) => l.includes(`"dport":${PORT + 1}`))
  const {code} = await sidecar.stop('SIGTERM')
  assert.is(code, 0, sidecar.stderr.join('\n'))
  ctx.packets = sidecar.stdout.filter(Boolean).map((l) => JSON.parse(l) as SidecarRecord).filter((r): r is PacketRecord => r.type === 'packet')
})

far.after(() => {
  ctx.server?.child.kill('SIGKILL')
  ctx.pair?.remove()
  for (const sub of ['srv', 'cli', '']) {
    try {
      rmdirSync(join(ctx.root, ctx.base, sub))
    } catch {
      // never made, or its process is still being reaped
    }
  }
})

far('attribution-far :: every TCP packet after the SYN names the far listener, started before the capture, as the peer', () => {
  const tcp = ctx.packets.filter((p) => p.proto === 'tcp' && (p.sport === PORT || p.dport === PORT))
  assert.ok(tcp.length >= 8, `the exchange makes 8+ packets; got ${tcp.length}`)
  for (const p of tcp) {
    assert.is(p.pid, ctx.clientPid, `owner of ${JSON.stringify(p)}`)
    assert.is(p.comm, 'sw-farcli')
  }
  // the SYN leaves before the listener's namespace has sent anything on this connection: a
  // documented limit (its peer is null, never another process)
  const [syn, ...rest] = tcp
  assert.is(syn.flags, 'S')
  assert.ok(syn.peer_pid === undefined || syn.peer_pid === ctx.serverPid, `the SYN's peer: ${syn.peer_pid}`)
  const named = rest.filter((p) => p.peer_pid === ctx.serverPid && p.peer_comm === 'sw-farsrv').length
  assert.is(named, rest.length, `${named} of ${rest.length} packets after the SYN name sw-farsrv; e.g. ${JSON.stringify(rest.find((p) => p.peer_pid !== ctx.serverPid))}`)
})

far('attribution-far :: the far server\'s UDP replies name it as the peer', () => {
  const replies = ctx.packets.filter((p) => p.proto === 'udp' && p.sport === PORT)
  assert.is(replies.length, 2, 'an unconnected and a connected exchange')
  for (const p of replies) {
    assert.is(p.pid, ctx.clientPid)
    assert.is(p.peer_pid, ctx.serverPid, JSON.stringify(p))
  }
})

far.run()
