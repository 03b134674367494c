// `sockwatch summary` on the real kernel: known traffic gives exact rows, live
// (flows mode, counted in the kernel) and `capture --json | summary -r -`
// agree, and a flow table too small for the flood still adds up.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const KNOCK = fileURLToPath(new URL('../helpers/tcp-knock.mjs', import.meta.url))
const sum = suite('summary')
const ctx = {} as {ns: {name: string; remove(): void}; dir: string; live: Row[]; liveTotals: Totals; capture: string; udp: {dport: number; n: number; size: number}[]}

interface Row {type: 'row'; rank: number; packets: number; bytes: number; [key: string]: unknown}
interface Totals {type: 'totals'; packets: number; bytes: number; unattributed_packets: number; dropped: number | null}

const inNs = (args: string[]) => startProc('ip', ['netns', 'exec', ctx.ns.name, CLI, ...args])
const parse = (p: Proc | string) => (typeof p === 'string' ? p.split('\n') : p.stdout).filter(Boolean).map((l) => JSON.parse(l))
const rowsOf = (records: {type: string}[]) => records.filter((r): r is Row => r.type === 'row')
const totalsOf = (records: {type: string}[]) => records.filter((r): r is Totals => r.type === 'totals').at(-1)!
const keyOf = (r: Row) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !['rank', 'packets', 'bytes', 'share', 'first', 'last', 'type'].includes(k))))

/** summary -r on the saved capture. */
function summaryOf(by: string): {type: string}[] {
  const out = execFileSync(CLI, ['summary', '-r', join(ctx.dir, 'capture.ndjson'), '--json', '--by', by, '--top', '100'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  return parse(out)
}

sum.before(async () => {
  preflight()
  ctx.ns = makeNetns('sum')
  ctx.dir = mkdtempSync(join(tmpdir(), 'sockwatch-summary-'))
  const live = inNs(['summary', '-i', 'lo', '--json', '--by', 'flow', '--top', '100'])
  const capture = inNs(['capture', '-i', 'lo', '--json'])
  await live.waitFor('stderr', /^sockwatch: counting flows on lo/)
  await capture.waitFor('stderr', /^sockwatch: capturing on lo/)
  ctx.udp = []
  for (const [n, size] of [[1000, 100], [300, 200], [7, 300]]) ctx.udp.push({dport: sendUdpFrom(ctx.ns.name, '127.0.0.1', 'sink', n, size).dport, n, size})
  sendUdpFrom(ctx.ns.name, '::1', 'sink', 20, 50)
  execFileSync('ip', ['netns', 'exec', ctx.ns.name, process.execPath, KNOCK, '127.0.0.1', '9', '4'])
  await capture.waitFor('stdout', () => capture.stdout.filter(Boolean).length === 1307 + 20 + 8)
  assert.is((await capture.stop('SIGINT')).code, 0)
  assert.is((await live.stop('SIGINT')).code, 0, live.stderr.join('\n'))
  writeFileSync(join(ctx.dir, 'capture.ndjson'), capture.stdout.join('\n') + '\n')
  ctx.live = rowsOf(parse(live))
  ctx.liveTotals = totalsOf(parse(live))
})

sum.after(() => {
  ctx.ns?.remove()
  rmSync(ctx.dir, {recursive: true, force: true})
})

sum('summary :: live --by flow: 1000, 300 and 7 datagrams, exact packets and bytes', () => {
  for (const {dport, n, size} of ctx.udp) {
    const row = ctx.live.find((r) => r.dport === dport && r.proto === 'udp')
    assert.ok(row, `no row for port ${dport}`)
    assert.equal([row!.packets, row!.bytes], [n, n * (14 + 20 + 8 + size)])
  }
  assert.equal(ctx.live.slice(0, 3).map((r) => r.dport), ctx.udp.map((u) => u.dport)) // ranked by bytes
})

sum('summary :: live totals: every packet the kernel matched, nothing unattributed, nothing dropped', () => {
  const t = ctx.liveTotals
  assert.is(t.packets, 1307 + 20 + 8)
  assert.is(t.unattributed_packets, 0)
  assert.is(t.dropped, 0)
  assert.is(ctx.live.reduce((s, r) => s + r.packets, 0), t.packets)
})

sum('summary :: live and capture --json | summary -r - agree row for row', () => {
  const replayed = rowsOf(summaryOf('flow'))
  const asMap = (rows: Row[]) => new Map(rows.map((r) => [keyOf(r), [r.packets, r.bytes]]))
  assert.equal([...asMap(replayed).entries()].sort(), [...asMap(ctx.live).entries()].sort())
})

sum('summary :: --by dport and --by pair from the same traffic', () => {
  const dports = rowsOf(summaryOf('dport'))
  for (const {dport, n} of ctx.udp) assert.is(dports.find((r) => r.dport === dport)?.packets, n)
  const pairs = rowsOf(summaryOf('pair'))
  assert.equal(pairs.map((r) => [r.a, r.b, r.packets]).sort(), [['127.0.0.1', '127.0.0.1', 1307 + 8], ['::1', '::1', 20]].sort())
})

sum('summary :: a flood of flows beyond the kernel table: overflow reported, totals still add up', async () => {
  const live = inNs(['summary', '-i', 'lo', '--json', '--flow-entries', '64', '--top', '5'])
  await live.waitFor('stderr', /^sockwatch: counting flows on lo/)
  sendUdpFrom(ctx.ns.name, '127.0.0.1', 'sinks:500', 2, 10)
  assert.is((await live.stop('SIGINT')).code, 0)
  const records = parse(live)
  const t = totalsOf(records)
  const other = records.find((r: {type: string}) => r.type === 'other') as {packets: number}
  assert.is(t.packets, 1000)
  assert.ok(t.unattributed_packets > 0, 'a 64-entry table cannot hold 500 flows')
  assert.is(rowsOf(records).reduce((s, r) => s + r.packets, 0) + other.packets + t.unattributed_packets, t.packets)
  assert.match(live.stderr.join('\n'), /overflow: the flow table was full/)
})

sum.run()
