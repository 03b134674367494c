// Kernel filtering against tcpdump: one mix of real traffic between two
// namespaces, one sidecar per expression running its clauses in the kernel,
// and tcpdump's own filter engine over an unfiltered capture of the same
// traffic. For every expression the packets must agree flow by flow.
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {compileFilter, encodeClauses} from '../../src/filter/index.js'
import type {PacketRecord} from '../../src/sidecar/records.js'
import {startSidecar, startTcpdump, type SidecarRun} from '../helpers/integration-capture.js'
import {macOf, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {ping, sendUdpFrom} from '../helpers/integration-traffic.js'

const KNOCK = fileURLToPath(new URL('../helpers/tcp-knock.mjs', import.meta.url))
const CRAFT = fileURLToPath(new URL('../helpers/craft-frames.py', import.meta.url))

// Every expression compiles exactly: the kernel alone decides.
const EXPRESSIONS = [
  'udp',
  'tcp',
  'icmp',
  'icmp6',
  'ip6',
  'ip and udp',
  'port 53',
  'udp and not port 53',
  'portrange 1000-2000',
  'dst port 8080 or src port 8080',
  'host 192.0.2.2',
  'src host 2001:db8::2',
  'net 192.0.2.0/24 and not icmp',
  'dst net 2001:db8::/64 and udp',
  'udp and (port 53 or port 5353)',
  'udp and port 53 or icmp',
  'not (udp or tcp)',
  'ip6 and port 53 or ip and dst port 8080',
  'tcp and dst port 9443',
  'proto 17 and not dst portrange 5000-9000',
]

// Link-layer and IPv6 housekeeping the kernel sends on its own schedule, not
// part of the traffic under test (and MLD hides behind a hop-by-hop header,
// which tcpdump's icmp6 does not look through).
const NOISE_TCPDUMP = '(not ip and not ip6) or (ip6 and ip6[6] == 0) or (icmp6 and ip6[40] >= 130)'
const noise = (p: PacketRecord) => p.family === 0 || (p.proto === 'icmp6' && (p.icmp_type ?? 0) >= 130)

const PROTO: Record<string, number> = {tcp: 6, udp: 17, icmp: 1, icmp6: 58}

/** A tcpdump filter selecting exactly this packet's flow (and ICMP type). */
function flowFilter(p: PacketRecord): string {
  const fam = p.family === 6 ? 'ip6' : 'ip'
  let f = `${fam} proto ${typeof p.proto === 'number' ? p.proto : PROTO[p.proto]} and src host ${p.src} and dst host ${p.dst}`
  if (p.sport !== undefined) f += ` and src port ${p.sport} and dst port ${p.dport}`
  if (p.icmp_type !== undefined) f += p.family === 6 ? ` and ip6[40] == ${p.icmp_type}` : ` and icmp[0] == ${p.icmp_type}`
  return f
}

const flowKey = (p: PacketRecord) => `${p.family} ${p.proto} ${p.src} ${p.sport} > ${p.dst} ${p.dport} ${p.icmp_type ?? ''}`

const ft = suite('filters against tcpdump')
const ctx = {} as {pair: VethPair; runs: Map<string, SidecarRun>; all: SidecarRun; oracle: {count(f: string): number; dispose(): void}}

ft.before(async () => {
  preflight()
  const pair = (ctx.pair = makeVethPair('f'))
  const tcpdump = await startTcpdump(pair.ifA, '', pair.nsA)
  const all = await startSidecar(['-i', pair.ifA, '--stats-interval', '0'], pair.nsA)
  const filtered = await Promise.all(EXPRESSIONS.map(async (expr) => {
    const compiled = compileFilter([expr])
    assert.ok(compiled.exact, `'${expr}' should compile exactly`)
    const clauses = encodeClauses(compiled.clauses).flatMap((c) => ['--clause', c])
    return [expr, await startSidecar(['-i', pair.ifA, '--stats-interval', '0', ...clauses], pair.nsA)] as const
  }))

  // the mix: UDP v4/v6 to several ports, refused TCP, ICMP both families, and A talking out
  for (const [port, n] of [[53, 5], [5353, 3], [8080, 4], [1500, 2]]) sendUdpFrom(pair.nsB, pair.addrA, port, n, 100)
  for (const [port, n] of [[53, 3], [1234, 2]]) sendUdpFrom(pair.nsB, pair.addr6A, port, n, 80)
  execFileSync('ip', ['netns', 'exec', pair.nsB, process.execPath, KNOCK, pair.addrA, '9443', '3'])
  ping(pair.addrA, 3, pair.nsB)
  ping(pair.addr6A, 2, pair.nsB)
  sendUdpFrom(pair.nsA, pair.addrB, 7000, 4, 60)

  ctx.runs = new Map()
  for (const [expr, sidecar] of filtered) ctx.runs.set(expr, await sidecar.finish())
  ctx.all = await all.finish()
  // the marker: a frame no host answers, so nothing follows it
  const marker = () => execFileSync('ip', ['netns', 'exec', pair.nsB, 'python3', CRAFT, pair.ifB, macOf(pair.nsA, pair.ifA),
    pair.addrB, pair.addrA, pair.addr6B, pair.addr6A, 'other'])
  ctx.oracle = await tcpdump.finish(marker, (l) => l.includes('0x88b5'))
})

ft.after(() => {
  ctx.oracle?.dispose()
  ctx.pair?.remove()
})

ft('filters against tcpdump :: the unfiltered capture saw the whole mix', () => {
  const traffic = ctx.all.packets.filter((p) => !noise(p))
  assert.ok(traffic.length >= 40, `only ${traffic.length} packets`)
  assert.is(ctx.oracle.count(`not (${NOISE_TCPDUMP})`), traffic.length)
})

for (const expr of EXPRESSIONS) {
  ft(`filters against tcpdump :: '${expr}' gives exactly tcpdump's packets, filtered in the kernel`, () => {
    const run = ctx.runs.get(expr)!
    assert.is(run.code, 0)
    const ours = run.packets.filter((p) => !noise(p))
    // the same packets as tcpdump's filter engine, flow by flow, and no flow of its we lack
    const theirs = ctx.oracle.count(`(${expr}) and not (${NOISE_TCPDUMP})`)
    assert.is(ours.length, theirs, `${expr}: ours ${ours.length}, tcpdump ${theirs}`)
    const flows = new Map<string, PacketRecord[]>()
    for (const p of ours) flows.set(flowKey(p), [...(flows.get(flowKey(p)) ?? []), p])
    for (const [key, packets] of flows) {
      assert.is(ctx.oracle.count(`(${expr}) and ${flowFilter(packets[0])}`), packets.length, `${expr}: flow ${key}`)
    }
    // filtered in the kernel: everything was seen, only matches crossed into user space
    assert.is(run.final.matched, run.packets.length)
    assert.is(run.final.emitted, run.packets.length)
    assert.ok(run.final.seen >= ctx.all.packets.filter((p) => !noise(p)).length, `${expr}: saw only ${run.final.seen}`)
    assert.ok(run.final.seen > run.final.matched, `${expr}: seen ${run.final.seen}, matched ${run.final.matched}`)
  })
}

ft('filters against tcpdump :: in and out select by direction in the kernel', async () => {
  const inbound = ctx.all.packets.filter((p) => p.dir === 'in')
  const outbound = ctx.all.packets.filter((p) => p.dir === 'out')
  assert.ok(inbound.length > 0 && outbound.length > 0)
  const clauses = (expr: string) => encodeClauses(compileFilter([expr]).clauses)
  assert.equal(clauses('in'), ['dir=in'])
  assert.equal(clauses('out and udp'), ['dir=out,proto=17'])
})

ft.run()
