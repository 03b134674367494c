// A saved `capture --json` carries its completeness: the last line is the final
// stats record, valid against the schema, and `summary -r` / `capture -r` report
// the drops it records: none on a quiet loopback, exactly the kernel's count when
// a 4 KiB ring overflows under a flood.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {StatsRecord} from '../../src/sidecar/records.js'
import {CLI} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {assertSchema} from '../helpers/integration-schema.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const KNOCK = fileURLToPath(new URL('../helpers/tcp-knock.mjs', import.meta.url))
const saved = suite('saved-stats')
let ns: {name: string; remove(): void}
let dir: string
const FLOOD = 20_000

saved.before(() => {
  preflight(['ip'])
  ns = makeNetns('stats')
  dir = mkdtempSync(join(tmpdir(), 'sockwatch-saved-stats-'))
})

saved.after(() => {
  ns?.remove()
  rmSync(dir, {recursive: true, force: true})
})

/** `capture --json` on the namespace's lo, started once it says it is capturing. */
async function startCapture(args: string[] = []): Promise<Proc> {
  const proc = startProc('ip', ['netns', 'exec', ns.name, CLI, 'capture', '-i', 'lo', '--json', ...args])
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  return proc
}

/** The capture's stdout saved to a file; its records; the closing line's numbers. */
function save(proc: Proc, name: string) {
  const path = join(dir, name)
  writeFileSync(path, proc.stdout.filter(Boolean).join('\n') + '\n')
  const records = proc.stdout.filter(Boolean).map((l) => JSON.parse(l))
  const closing = proc.stderr.map((l) => /^(\d+) packets captured, (\d+) dropped$/.exec(l)).find(Boolean)
  assert.ok(closing, proc.stderr.join('\n'))
  return {path, records, captured: Number(closing![1]), dropped: Number(closing![2])}
}

/** summary -r FILE --json: the totals object and the closing line. */
function summaryOf(path: string): {totals: {packets: number; dropped: number | null}; closing: string} {
  const run = spawnSync(CLI, ['summary', '-r', path, '--json'], {encoding: 'utf8'})
  assert.is(run.status, 0, run.stderr)
  return {totals: JSON.parse(run.stdout.trim().split('\n').at(-1)!), closing: run.stderr.trim()}
}

saved('saved-stats :: capture --json on a quiet lo ends with the final stats; summary -r and capture -r report 0 dropped', async () => {
  const proc = await startCapture()
  sendUdpFrom(ns.name, '127.0.0.1', 'sink', 25, 100)
  await proc.waitFor('stdout', () => proc.stdout.filter(Boolean).length === 25)
  assert.is((await proc.stop('SIGINT')).code, 0, proc.stderr.join('\n'))
  const {path, records, captured, dropped} = save(proc, 'quiet.ndjson')
  assert.equal([captured, dropped], [25, 0])
  assert.equal(records.map((r) => r.type), [...Array(25).fill('packet'), 'stats'])
  const final = records.at(-1) as StatsRecord
  assert.equal([final.final, final.matched, final.dropped, final.written], [true, 25, 0, 25])
  assertSchema(records)

  const summary = summaryOf(path)
  assert.equal([summary.totals.packets, summary.totals.dropped], [25, 0])
  assert.is(summary.closing, '25 packets in 1 flow, 0 dropped, 0 malformed lines skipped')
  const replay = spawnSync(CLI, ['capture', '-r', path, '--format', 'text'], {encoding: 'utf8'})
  assert.is(replay.stderr.trim(), '25 packets read, 0 dropped when captured, 0 malformed lines skipped')
})

saved('saved-stats :: a 4 KiB ring under a flood: the saved final stats hold exactly the drops the closing line said', async () => {
  const proc = await startCapture(['--ring-size', '4096'])
  sendUdpFrom(ns.name, '127.0.0.1', 'sink', FLOOD, 64)
  assert.is((await proc.stop('SIGTERM')).code, 0, proc.stderr.join('\n'))
  const {path, records, captured, dropped} = save(proc, 'flood.ndjson')
  assert.ok(dropped > 0, `no drops with a 4 KiB ring: ${proc.stderr.join(' | ')}`)
  assert.is(captured + dropped, FLOOD)
  const final = records.at(-1) as StatsRecord
  assert.equal([final.type, final.final, final.dropped, final.matched], ['stats', true, dropped, FLOOD])
  assert.is(records.filter((r) => r.type === 'packet').length, captured)
  assertSchema([final])

  const summary = summaryOf(path)
  assert.equal([summary.totals.packets, summary.totals.dropped], [captured, dropped])
  assert.is(summary.closing, `${captured} packets in 1 flow, ${dropped} dropped, 0 malformed lines skipped`)
  const replay = spawnSync(CLI, ['capture', '-r', path, '--format', 'text'], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  assert.is(replay.stderr.trim(), `${captured} packets read, ${dropped} dropped when captured, 0 malformed lines skipped`)
})

saved('saved-stats :: a TCP-flags filter with -c: the kernel alone decides, then the final stats, in that order', async () => {
  const proc = await startCapture(['-c', '2', 'tcp[tcpflags] & tcp-syn != 0'])
  // SYN, then RST back from the closed port, three times: the kernel passes the SYNs alone
  execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, KNOCK, '127.0.0.1', '9', '3'])
  assert.is((await proc.exited).code, 0, proc.stderr.join('\n'))
  const records = proc.stdout.filter(Boolean).map((l) => JSON.parse(l))
  assert.equal(records.map((r) => [r.type, r.flags]), [['packet', 'S'], ['packet', 'S'], ['stats', undefined]])
  assert.ok(records[2].final)
  // the kernel's view: only SYNs matched (no RST), and the sidecar stopped at -c
  assert.ok(records[2].matched >= 2 && records[2].matched <= 3, JSON.stringify(records[2]))
  assertSchema(records)
})

saved.run()
