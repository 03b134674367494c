// The sidecar's final stats record travels with a saved capture: `capture --json`
// writes it as the last line, `capture -r` and `summary -r` read the drops from it.
import {writeFileSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {fake, runCli} from '../helpers/unit-cli.js'
import {fixturePath, readNdjsonFixture} from '../helpers/unit-fixtures.js'

const stats = suite('stats-record')
const dir = mkdtempSync(join(tmpdir(), 'sockwatch-stats-record-'))
stats.after(() => rmSync(dir, {recursive: true, force: true}))

const NO_SIDECAR = {SOCKWATCH_SIDECAR: '/nonexistent/sidecar'}
const records = (name: string) => ({...fake('fake-sidecar.sh'), FAKE_RECORDS: fixturePath(name)})
const CAPTURE = readNdjsonFixture('capture.ndjson')
const PACKETS = CAPTURE.filter((l) => l.includes('"type":"packet"'))
/** The fixture's final stats record as the sidecar wrote it: with --json and the whole
 * filter in the kernel, the sidecar writes the stream to stdout itself (its -c included). */
const FINAL_RAW = CAPTURE.find((l) => l.includes('"final":true'))!
/** As the CLI writes it when it parsed the stream for a user-space check (1700000005.25). */
const FINAL = JSON.stringify(JSON.parse(FINAL_RAW))
let files = 0
function file(text: string): string {
  const p = join(dir, `input-${++files}`)
  writeFileSync(p, text)
  return p
}

// ---- capture --json writes the final stats last ----

const writes: [string, string[], string[]][] = [
  ['--json: every packet, then the final stats (the periodic one left out)', ['--json'], [...PACKETS, FINAL_RAW]],
  ['--json -c 2: two packets, then the final stats', ['--json', '-c', '2'], [...PACKETS.slice(0, 2), FINAL_RAW.replace('"written":5', '"written":2')]],
  // a filter the kernel runs as a superset: packets go through the parser, in batches
]
for (const [what, args, lines] of writes) {
  stats(`stats-record :: capture ${what}`, () => {
    const r = runCli(['capture', ...args], records('capture.ndjson'))
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, lines.join('\n') + '\n')
  })
}

stats('stats-record :: capture --format text writes no stats line', () => {
  const r = runCli(['capture', '--format', 'text'], records('capture.ndjson'))
  assert.is(r.status, 0, r.stderr)
  assert.not.match(r.stdout, 'stats')
  assert.is(r.stdout.trim().split('\n').length, 5)
})

// ---- capture -r: the drops recorded in the file ----

const TWICE = file(readFileSync(fixturePath('capture.ndjson'), 'utf8').repeat(2))
const closing: [string, string, string[], string][] = [
  ['a capture with its final stats', fixturePath('capture.ndjson'), [], '5 packets read, 3 dropped when captured, 0 malformed lines skipped'],
  ['two captures one after the other: their drops add up', TWICE, [], '10 packets read, 6 dropped when captured, 0 malformed lines skipped'],
  ['a capture without final stats: drops not known, not said', fixturePath('no-final-stats.ndjson'), [], '1 packet read, 0 malformed lines skipped'],
  ['a filter: the drops are still the capture\'s', fixturePath('capture.ndjson'), ['udp'], '1 packet read, 3 dropped when captured, 0 malformed lines skipped'],
]
for (const [what, path, filter, line] of closing) {
  stats(`stats-record :: capture -r closing line: ${what}`, () => {
    const r = runCli(['capture', '-r', path, '--format', 'text', ...filter], NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stderr.trim(), line)
  })
}

stats('stats-record :: capture -r --json passes the final stats on, so a copy keeps its drops', () => {
  const r = runCli(['capture', '-r', fixturePath('capture.ndjson'), '--json'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stdout, [...PACKETS, FINAL].join('\n') + '\n')
  const again = runCli(['capture', '-r', file(r.stdout)], NO_SIDECAR)
  assert.is(again.stderr.trim(), '5 packets read, 3 dropped when captured, 0 malformed lines skipped')
})

// ---- summary -r: dropped from the final stats ----

const summaries: [string, string, number | null, string][] = [
  ['a capture with its final stats', fixturePath('capture.ndjson'), 3, '5 packets in 5 flows, 3 dropped, 0 malformed lines skipped'],
  ['two captures one after the other: the finals add up', TWICE, 6, '10 packets in 5 flows, 6 dropped, 0 malformed lines skipped'],
  ['only periodic stats: drops unknown', fixturePath('no-final-stats.ndjson'), null, '1 packet in 1 flow, 0 malformed lines skipped'],
  ['a flows stream with its final stats', fixturePath('summary-flows.ndjson'), 0, '1819 packets in 4 flows, 0 dropped, 0 malformed lines skipped'],
]
for (const [what, path, dropped, line] of summaries) {
  stats(`stats-record :: summary -r: ${what}`, () => {
    const r = runCli(['summary', '-r', path, '--json'], NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    const totals = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
    assert.is(totals.dropped, dropped)
    assert.is(r.stderr.trim(), line)
  })
}

stats('stats-record :: summary -r, as a table: the total line says the drops', () => {
  const r = runCli(['summary', '-r', fixturePath('capture.ndjson')], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.match(r.stdout, /total: 5 flows, 3 dropped/)
})

stats.run()
