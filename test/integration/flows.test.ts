// Flows mode on the real kernel: per-flow packets and bytes counted in an LRU
// hash, read and cleared every interval. Checked against packets mode running
// on the same traffic, and against known totals; a tiny table shows eviction
// accounted for, never hidden.
import {execFileSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {FlowRecord, PacketRecord} from '../../src/sidecar/records.js'
import {inNetns, SIDECAR, startSidecar, type SidecarRun} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'
import {assertSchema} from '../helpers/integration-schema.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const KNOCK = fileURLToPath(new URL('../helpers/tcp-knock.mjs', import.meta.url))
const EXCHANGE = fileURLToPath(new URL('../helpers/tcp-flags-exchange.py', import.meta.url))
const fl = suite('flows mode')
const ctx = {} as {ns: {name: string; remove(): void}; flows: SidecarRun; packets: SidecarRun; udp: {sport: number; dport: number; n: number; size: number}[]; tcp: {addr: string; client: number; server: number}[]}

const key = (r: PacketRecord | FlowRecord) => `${r.dir} ${r.family} ${r.proto} ${r.src} ${r.sport ?? ''} > ${r.dst} ${r.dport ?? ''}`
const flowsOf = (run: SidecarRun) => run.records.filter((r): r is FlowRecord => r.type === 'flow')

/** Per key: [packets, bytes]. */
function totals(items: {k: string; packets: number; bytes: number}[]): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>()
  for (const {k, packets, bytes} of items) {
    const [p, b] = m.get(k) ?? [0, 0]
    m.set(k, [p + packets, b + bytes])
  }
  return m
}

fl.before(async () => {
  preflight()
  const ns = (ctx.ns = makeNetns('flows'))
  const flows = await startSidecar(['-i', 'lo', '--mode', 'flows', '--interval', '200'], ns.name)
  const packets = await startSidecar(['-i', 'lo', '--stats-interval', '0'], ns.name)
  ctx.udp = []
  for (const [n, size] of [[1000, 100], [300, 200], [7, 300]]) ctx.udp.push({...sendUdpFrom(ns.name, '127.0.0.1', 'sink', n, size), n, size})
  sendUdpFrom(ns.name, '::1', 'sink', 20, 50)
  execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, KNOCK, '127.0.0.1', '9', '4'])
  ctx.tcp = ['127.0.0.1', '::1'].map((addr) => ({addr, ...JSON.parse(execFileSync('ip', ['netns', 'exec', ns.name, '/usr/bin/python3', EXCHANGE, addr], {encoding: 'utf8'}))}))
  ctx.packets = await packets.finish()
  ctx.flows = await flows.finish()
})

fl.after(() => ctx.ns?.remove())

fl('flows mode :: records match the schema; no packet records; the final stats count the flows', () => {
  assert.is(ctx.flows.code, 0)
  assertSchema(ctx.flows.records)
  assert.is(ctx.flows.packets.length, 0)
  assert.is(ctx.flows.final.flows, flowsOf(ctx.flows).length)
  assert.is(ctx.flows.final.emitted, 0)
})

fl('flows mode :: 1000, 300 and 7 datagrams: exact packets and bytes per flow', () => {
  const byKey = totals(flowsOf(ctx.flows).map((f) => ({k: key(f), packets: f.packets, bytes: f.bytes})))
  for (const {sport, dport, n, size} of ctx.udp) {
    const k = `in 4 udp 127.0.0.1 ${sport} > 127.0.0.1 ${dport}`
    assert.equal(byKey.get(k), [n, n * (14 + 20 + 8 + size)], k)
  }
})

fl('flows mode :: every flow agrees with packets mode on the same traffic', () => {
  const fromPackets = totals(ctx.packets.packets.map((p) => ({k: key(p), packets: 1, bytes: p.len})))
  const fromFlows = totals(flowsOf(ctx.flows).map((f) => ({k: key(f), packets: f.packets, bytes: f.bytes})))
  assert.equal([...fromFlows.entries()].sort(), [...fromPackets.entries()].sort())
  assert.ok(fromFlows.size >= 3 + 1 + 2, `${fromFlows.size} flows`) // UDP x3, UDP over IPv6, SYNs and RSTs
})

/** Per key: the union of the flag letters, in the packet record's order. */
function flagUnion(items: {k: string; flags?: string}[]): Map<string, string> {
  const m = new Map<string, string>()
  for (const {k, flags} of items) if (flags !== undefined) m.set(k, [...'FSRPAUEC'].filter((c) => (m.get(k) ?? '').includes(c) || flags.includes(c)).join(''))
  return m
}

fl('flows mode :: TCP flags: a known connection spread over two CPUs ORs to FSPA (client) and FSA (server); refused SYNs to S and RA', () => {
  const flags = flagUnion(flowsOf(ctx.flows).map((f) => ({k: key(f), flags: f.flags})))
  for (const {addr, client, server} of ctx.tcp) {
    const fam = addr.includes(':') ? 6 : 4
    assert.is(flags.get(`in ${fam} tcp ${addr} ${client} > ${addr} ${server}`), 'FSPA', `${addr} client side`)
    assert.is(flags.get(`in ${fam} tcp ${addr} ${server} > ${addr} ${client}`), 'FSA', `${addr} server side`)
  }
  const knocks = flowsOf(ctx.flows).filter((f) => f.proto === 'tcp' && (f.dport === 9 || f.sport === 9))
  assert.is(knocks.length, 8) // 4 SYNs, 4 RSTs
  for (const f of knocks) assert.is(f.flags, f.dport === 9 ? 'S' : 'RA')
  assert.ok(flowsOf(ctx.flows).filter((f) => f.proto !== 'tcp').every((f) => f.flags === undefined), 'flags on a flow that is not TCP')
})

fl('flows mode :: TCP flags: each TCP flow ORs the flags its packets carry in packets mode', () => {
  const fromPackets = flagUnion(ctx.packets.packets.map((p) => ({k: key(p), flags: p.flags})))
  const fromFlows = flagUnion(flowsOf(ctx.flows).map((f) => ({k: key(f), flags: f.flags})))
  assert.equal([...fromFlows.entries()].sort(), [...fromPackets.entries()].sort())
  assert.ok(fromFlows.size >= 8 + 4, `${fromFlows.size} TCP flows`)
})

fl('flows mode :: nothing unattributed with room in the table: flows add up to matched', () => {
  const flows = flowsOf(ctx.flows)
  const {matched, matched_bytes: bytes} = ctx.flows.final
  assert.is(flows.reduce((s, f) => s + f.packets, 0), matched)
  assert.is(flows.reduce((s, f) => s + f.bytes, 0), bytes)
  assert.is(matched, ctx.packets.final.matched)
})

fl('flows mode :: a table too small for the flood: evicted flows show as matched minus what was read', async () => {
  const sidecar = await startSidecar(['-i', 'lo', '--mode', 'flows', '--interval', '5000', '--flow-entries', '64'], ctx.ns.name)
  sendUdpFrom(ctx.ns.name, '127.0.0.1', 'sinks:500', 2, 10) // 500 flows of 2 packets into 64 entries
  const run = await sidecar.finish()
  const read = flowsOf(run).reduce((s, f) => s + f.packets, 0)
  assert.is(run.final.matched, 1000)
  assert.ok(read < run.final.matched, `read ${read} of ${run.final.matched}: nothing was evicted?`)
  assert.ok(flowsOf(run).length <= 64 * 2, `${flowsOf(run).length} flows read from a 64-entry table`)
  console.log(`    64-entry table: ${read} of ${run.final.matched} packets read as flows, ${run.final.matched - read} unattributed`)
})

// A final report bigger than the writer's buffer goes out in turns. Into a regular file each
// flush empties the buffer at once and nothing waits on stdout, so the next turn must not
// wait for a wake-up that never comes (the sidecar slept in epoll_wait until the SIGKILL).
fl('flows mode :: 5000 flows in the final report, stdout a file: every flow written, the sidecar exits at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockwatch-flows-'))
  const out = join(dir, 'flows.ndjson')
  const fd = openSync(out, 'w')
  try {
    const proc = startProc(...inNetns(ctx.ns.name, SIDECAR, ['-i', 'lo', '--flows', '--no-packets', '--interval', '600000', '--stats-interval', '0']), {stdio: ['ignore', fd, 'pipe']})
    for (let i = 0; i < 400 && !readFileSync(out, 'utf8').includes('"type":"ready"'); i++) await new Promise((r) => setTimeout(r, 25))
    const {sport} = sendUdpFrom(ctx.ns.name, '127.0.0.1', 'sinks:5000', 1, 10)
    const t0 = Date.now()
    const {code, signal} = await proc.stop('SIGTERM', 10_000)
    assert.equal({code, signal}, {code: 0, signal: null}, `stopped in ${Date.now() - t0} ms; stderr: ${proc.stderr.join(' | ')}`)
    const records = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as {type: string; sport?: number; final?: boolean})
    assert.is(records.filter((r) => r.type === 'flow' && r.sport === sport).length, 5000)
    assert.is(records.at(-1)!.type, 'stats')
    assert.is(records.at(-1)!.final, true)
  } finally {
    closeSync(fd)
    rmSync(dir, {recursive: true, force: true})
  }
})

fl.run()
