// `sockwatch summary` end to end: -r on saved streams (no sidecar), and live
// against fake sidecars in flows mode (test/fixtures/summary-flows.ndjson
// through fake-sidecar.sh, and fake-sidecar-flows.mjs that runs until stopped).
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI, fake, runCli, startCli} from '../helpers/unit-cli.js'
import {fixturePath} from '../helpers/unit-fixtures.js'
import {GROUP_BY, KEY_FIELDS} from '../../src/summary/aggregate.js'

const cli = suite('summary-cli')
const tmp = mkdtempSync(join(tmpdir(), 'sockwatch-summary-test-'))
cli.after(() => rmSync(tmp, {recursive: true, force: true}))

let files = 0
/** A fresh path in the test's directory. */
const path = (name = 'file') => join(tmp, `${name}-${++files}`)
/** Writes text to a fresh file and returns its path. */
function file(text: string): string {
  const p = path('input')
  writeFileSync(p, text)
  return p
}

const NO_SIDECAR = {SOCKWATCH_SIDECAR: '/nonexistent/sidecar'}
const PACKETS = fixturePath('summary-packets.ndjson')
const FLOWS = fixturePath('summary-flows.ndjson')
const flows = (more: Record<string, string> = {}) => ({...fake('fake-sidecar.sh'), FAKE_RECORDS: FLOWS, ...more})
const streaming = (more: Record<string, string> = {}) => ({...fake('fake-sidecar-flows.mjs'), FAKE_INTERVAL_MS: '10', ...more})
const STACK = '    at '
const noStack = (stderr: string) => assert.not.ok(stderr.includes(STACK), `a stack trace on stderr:\n${stderr}`)

/** NDJSON output, parsed. */
const parse = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
const sum = (objects: Record<string, unknown>[], field: string) => objects.reduce((n, o) => n + (o[field] as number), 0)

/** Rows + other + unattributed = totals, in packets and bytes, for one NDJSON batch. */
function assertBatchAddsUp(batch: Record<string, unknown>[]): Record<string, unknown> {
  const rows = batch.filter((o) => o.type === 'row')
  const other = batch.find((o) => o.type === 'other')!
  const totals = batch.at(-1)!
  assert.is(totals.type, 'totals')
  for (const c of ['packets', 'bytes']) assert.is(sum(rows, c) + (other[c] as number) + (totals[`unattributed_${c}`] as number), totals[c], c)
  return totals
}

// ---- -r: a saved stream, no sidecar ----

cli('summary-cli :: -r: the top 10 flows of a saved capture, other, total; the closing line on stderr', () => {
  const r = runCli(['summary', '-r', PACKETS], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stdout, [
    ' #  PROTO  SOURCE              DESTINATION        PACKETS   BYTES   SHARE',
    ' 1  tcp    93.184.216.34:443   10.0.0.1:51000          10   14 kB   74.9%',
    ' 2  tcp    127.0.0.1:38000     127.0.0.1:8080           5  2.0 kB   10.9%',
    ' 3  tcp    10.0.0.1:51000      93.184.216.34:443       10   668 B    3.7%',
    ' 4  udp    [2001:db8::1]:5353  [ff02::fb]:5353          4   480 B    2.6%',
    ' 5  tcp    127.0.0.1:8080      127.0.0.1:38000          5   330 B    1.8%',
    ' 6  udp    10.0.0.53:53        10.0.0.1:40000           1   200 B    1.1%',
    ' 7  udp    10.0.0.53:53        10.0.0.1:40001           1   200 B    1.1%',
    ' 8  udp    10.0.0.53:53        10.0.0.1:40002           1   200 B    1.1%',
    ' 9  icmp   10.0.0.1            10.0.0.53                1    98 B    0.5%',
    '10  icmp   10.0.0.53           10.0.0.1                 1    98 B    0.5%',
    '    other: 4 flows                                      5   324 B    1.8%',
    '    total: 14 flows, 0 dropped                         44   18 kB  100.0%',
  ].join('\n') + '\n')
  // the file ends with the capture's final stats: its drops are known
  assert.is(r.stderr, '44 packets in 14 flows, 0 dropped, 0 malformed lines skipped\n')
})

for (const by of GROUP_BY) {
  cli(`summary-cli :: -r --by ${by} --json: rows with the key fields, other and totals add up to the file's 44 packets`, () => {
    const r = runCli(['summary', '-r', PACKETS, '--by', by, '--top', '3', '--json'], NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    const batch = parse(r.stdout)
    const totals = assertBatchAddsUp(batch)
    assert.equal({by: totals.by, sort: totals.sort, packets: totals.packets, bytes: totals.bytes, dropped: totals.dropped, final: totals.final}, {by, sort: 'bytes', packets: 44, bytes: 18298, dropped: 0, final: true})
    const rows = batch.filter((o) => o.type === 'row')
    assert.is(rows.length, Math.min(3, totals.keys as number))
    for (const row of rows) for (const f of KEY_FIELDS[by]) assert.ok(f in row, `${f} in ${JSON.stringify(row)}`)
  })
}

cli('summary-cli :: -r, 100000 one-packet flows then one 7.5 MB flow, --top 3: the big flow ranks first with exact counts', () => {
  const name = path('heavy')
  const lines: string[] = []
  for (let i = 0; i < 100_000; i++) lines.push(`{"v":1,"type":"packet","ts":1700000000.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"10.${i >> 16}.${(i >> 8) & 255}.${i & 255}","dst":"10.200.0.1","sport":1000,"dport":53,"len":60}`)
  for (let i = 0; i < 5000; i++) lines.push('{"v":1,"type":"packet","ts":1700000001.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"tcp","src":"192.0.2.1","dst":"192.0.2.2","sport":40000,"dport":443,"len":1500}')
  writeFileSync(name, lines.join('\n') + '\n')
  const table = runCli(['summary', '-r', name, '--top', '3'], NO_SIDECAR, 60_000)
  assert.is(table.status, 0, table.stderr)
  const out = table.stdout.split('\n')
  assert.match(out[1], /^1 +tcp +192\.0\.2\.1:40000 +192\.0\.2\.2:443 +5000 +7\.5 MB +55\.6%$/)
  assert.match(table.stdout, /past the 100000-key cap: each row is exact since its key was kept, and may miss up to 60 B from before \(Space-Saving\)/)
  const json = parse(runCli(['summary', '-r', name, '--top', '3', '--json'], NO_SIDECAR, 60_000).stdout)
  assert.equal([json[0].proto, json[0].packets, json[0].bytes, json[0].error_bytes], ['tcp', 5000, 7_500_000, 60])
  assertBatchAddsUp(json)
  // a smaller cap keeps it too: the bound is total/max-keys
  const small = parse(runCli(['summary', '-r', name, '--top', '1', '--json', '--max-keys', '10'], NO_SIDECAR, 60_000).stdout)
  assert.equal([small[0].proto, small[0].sport], ['tcp', 40000])
  assert.ok((small[0].bytes as number) >= 7_500_000 - 13_500_000 / 10)
  assert.equal(small.at(-1)!.max_keys, 10)
})

cli('summary-cli :: -r --by pair --sort packets: both directions of a conversation are one row', () => {
  const r = runCli(['summary', '-r', PACKETS, '--by', 'pair', '--sort', 'packets', '--json'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  const rows = parse(r.stdout).filter((o) => o.type === 'row').map((o) => [o.a, o.b, o.packets, o.bytes])
  assert.equal(rows, [
    ['10.0.0.1', '93.184.216.34', 20, 14368],
    ['127.0.0.1', '127.0.0.1', 10, 2330],
    ['10.0.0.1', '10.0.0.53', 8, 1036],
    ['2001:db8::1', 'ff02::fb', 4, 480],
    ['arp', 'arp', 2, 84],
  ])
})

cli('summary-cli :: -r with a filter: only matching packets are counted', () => {
  const r = runCli(['summary', '-r', PACKETS, '--by', 'dport', '--json', 'udp', 'and', 'port', '53'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  const batch = parse(r.stdout)
  assert.equal(batch.filter((o) => o.type === 'row').map((o) => [o.dport, o.packets, o.bytes]), [[53, 3, 240], [40000, 1, 200], [40001, 1, 200], [40002, 1, 200]])
  assert.equal([assertBatchAddsUp(batch).packets, assertBatchAddsUp(batch).bytes], [6, 840])
  assert.is(r.stderr, '6 packets in 4 destination ports, 0 dropped, 0 malformed lines skipped\n')
})

cli('summary-cli :: -r with a filter on TCP flags (checked per packet)', () => {
  const r = runCli(['summary', '-r', PACKETS, '--json', 'tcpflags', 'syn'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.equal(assertBatchAddsUp(parse(r.stdout)).packets, 2)
})

cli('summary-cli :: -r -c 5 counts the first 5 packets only', () => {
  const r = runCli(['summary', '-r', PACKETS, '-c', '5', '--json'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  const totals = assertBatchAddsUp(parse(r.stdout))
  assert.equal([totals.packets, totals.bytes, totals.keys], [5, 74 + 74 + 66 + 1514 + 66, 2])
})

cli('summary-cli :: -r - reads stdin', () => {
  const run = spawnSync(CLI, ['summary', '-r', '-', '--by', 'proto', '--json'], {input: readFileSync(PACKETS, 'utf8'), encoding: 'utf8', env: {...process.env, ...NO_SIDECAR, TZ: 'UTC'}})
  assert.is(run.status, 0, run.stderr)
  const batch = parse(run.stdout)
  assert.equal(batch.filter((o) => o.type === 'row').map((o) => [o.proto, o.packets]), [['tcp', 30], ['udp', 10], ['icmp', 2], ['arp', 2]])
  assert.is(run.stderr, '44 packets in 4 protocols, 0 dropped, 0 malformed lines skipped\n')
})

const udp = (dport: number, len: number) => `{"v":1,"type":"packet","ts":1700000000.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":40000,"dport":${dport},"len":${len}}`

cli('summary-cli :: -r: malformed lines are reported by number, skipped and counted', () => {
  const p = file([udp(53, 100), 'hello', '', '{"v":2,"type":"packet"}', udp(53, 50), udp(123, 76)].join('\n') + '\n')
  const r = runCli(['summary', '-r', p, '--by', 'dport'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.equal(r.stderr.trim().split('\n'), [
    'sockwatch: line 2: not JSON: "hello" (skipped)',
    'sockwatch: line 3: an empty line (skipped)',
    'sockwatch: line 4: record version 2 is not 1, the version this sockwatch reads (skipped)',
    '3 packets in 2 destination ports, 3 malformed lines skipped',
  ])
  assert.ok(r.stdout.endsWith('   total: 2 destination ports        3  226 B  100.0%\n'), r.stdout)
})

cli('summary-cli :: -r --strict: the first malformed line is fatal (exit 1), naming it', () => {
  const p = file([udp(53, 100), 'hello', udp(53, 50)].join('\n') + '\n')
  const r = runCli(['summary', '-r', p, '--strict'], NO_SIDECAR)
  assert.is(r.status, 1, r.stderr)
  assert.is(r.stdout, '')
  assert.is(r.stderr, 'sockwatch: line 2: not JSON: "hello" (--strict stops at the first malformed line)\n')
})

cli('summary-cli :: -r: past 20 malformed lines the rest are counted, not listed', () => {
  const p = file(Array.from({length: 25}, () => 'noise').join('\n') + '\n' + udp(53, 100) + '\n')
  const r = runCli(['summary', '-r', p], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  const lines = r.stderr.trim().split('\n')
  assert.is(lines.length, 22)
  assert.is(lines[20], 'sockwatch: 5 more malformed lines not shown')
  assert.is(lines[21], '1 packet in 1 flow, 25 malformed lines skipped')
})

cli('summary-cli :: -r on a saved flows-mode stream: flow records are added up too', () => {
  const r = runCli(['summary', '-r', FLOWS, '--json'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  const batch = parse(r.stdout)
  const totals = assertBatchAddsUp(batch)
  // -r reads the drops from the final stats record, and attributes nothing
  assert.equal([totals.packets, totals.bytes, totals.unattributed_packets, totals.dropped], [1819, 214184, 0, 0])
  assert.equal(batch.filter((o) => o.type === 'row').map((o) => [o.src, o.dst, o.packets]), [['10.0.0.1', '10.0.0.53', 1500], ['10.0.0.53', '10.0.0.1', 310], ['127.0.0.1', '127.0.0.1', 7], ['arp', 'arp', 2]])
})

cli('summary-cli :: -r -c on flow records: a flow counts whole, reading stops once the count is reached', () => {
  const r = runCli(['summary', '-r', FLOWS, '-c', '1200', '--json'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  // 1000, then 300: the second flow record reaches 1200
  assert.is(assertBatchAddsUp(parse(r.stdout)).packets, 1300)
})

cli('summary-cli :: -r on flow records with a filter they carry the fields for', () => {
  const r = runCli(['summary', '-r', FLOWS, '--json', 'src', 'host', '10.0.0.53'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.equal(assertBatchAddsUp(parse(r.stdout)).packets, 310)
})

cli('summary-cli :: -r on flow records with a TCP-flags filter: exit 1, says why', () => {
  const r = runCli(['summary', '-r', FLOWS, 'tcpflags', 'syn'], NO_SIDECAR)
  assert.is(r.status, 1, r.stderr)
  assert.ok(r.stderr.startsWith('sockwatch: the input has flow records (flows mode), which a filter on TCP flags cannot check'), r.stderr)
  noStack(r.stderr)
})

cli('summary-cli :: -r on a missing file: exit 1, one sentence', () => {
  const missing = join(tmp, 'nope.ndjson')
  const r = runCli(['summary', '-r', missing], NO_SIDECAR)
  assert.is(r.status, 1, r.stderr)
  assert.is(r.stderr, `sockwatch: cannot read '${missing}': no such file; give a file saved with 'sockwatch capture --json', or - for stdin\n`)
})

// ---- live: a fake sidecar in flows mode ----

const FLOWS_TABLE = [
  '#  PROTO  SOURCE           DESTINATION     PACKETS   BYTES   SHARE',
  '1  udp    10.0.0.1:40000   10.0.0.53:53       1500  150 kB   69.9%',
  '2  udp    10.0.0.53:53     10.0.0.1:40000      310   62 kB   28.9%',
  '3  tcp    127.0.0.1:38000  127.0.0.1:8080        7  2.1 kB    1.0%',
  '4  arp    arp              arp                   2    84 B    0.0%',
  '   other: 0 flows                                0     0 B    0.0%',
  '   overflow (table full)                         5   300 B    0.1%',
  '   total: 4 flows, 0 dropped                  1824  214 kB  100.0%',
]
const FLOWS_STDERR = 'sockwatch: counting flows on lo, eth0; Ctrl-C for the summary\n1824 packets in 4 flows (5 overflow: the flow table was full), 0 dropped\n'

cli('summary-cli :: live: flow records added up across batches; evicted packets as unattributed; the total is what the kernel matched', () => {
  const r = runCli(['summary'], flows())
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stdout, FLOWS_TABLE.join('\n') + '\n')
  assert.is(r.stderr, FLOWS_STDERR)
})

cli('summary-cli :: live --json: the totals are the final stats (matched, matched_bytes, dropped)', () => {
  const r = runCli(['summary', '--json', '--top', '2'], flows())
  assert.is(r.status, 0, r.stderr)
  const totals = assertBatchAddsUp(parse(r.stdout))
  assert.equal(
    {packets: totals.packets, bytes: totals.bytes, unattributed_packets: totals.unattributed_packets, unattributed_bytes: totals.unattributed_bytes, dropped: totals.dropped, keys: totals.keys},
    {packets: 1824, bytes: 214484, unattributed_packets: 5, unattributed_bytes: 300, dropped: 0, keys: 4},
  )
})

// [summary's flags, the sidecar's argv]
const sidecarArgs: [string[], string[]][] = [
  // flow records carry no owner: attribution off, unless a process filter needs it in the kernel
  [[], ['--mode', 'flows', '--interval', '1000', '--no-process']],
  [['--interval', '2s'], ['--mode', 'flows', '--interval', '2000', '--no-process']],
  [['-i', 'lo', '-i', 'eth0', '-d', '1500ms', 'udp', 'port', '53'], ['-i', 'lo', '-i', 'eth0', '--filter', 'udp port 53', '--mode', 'flows', '--interval', '1000', '-d', '1.5', '--no-process']],
  // -c is checked against the stats' matched count, never passed on (flows mode has no packet records to count)
  [['-c', '100', '-v', '-i', 'lo', 'tcp'], ['-i', 'lo', '--filter', 'tcp', '--mode', 'flows', '--interval', '1000', '--no-process', '-v']],
  [['--pid', '7', '--pid', '9', '--comm', 'nginx'], ['--mode', 'flows', '--interval', '1000', '--pid', '7', '--pid', '9', '--comm', 'nginx']],
  // rows by owner need attribution on: flow records get their owner when the sidecar reads them
  [['--by', 'process'], ['--mode', 'flows', '--interval', '1000']],
  [['--cgroup', '/a.slice', '--container', 'abcd1234'], ['--mode', 'flows', '--interval', '1000', '--cgroup', '/a.slice', '--container', 'abcd1234']],
]
for (const [flags, want] of sidecarArgs) {
  cli(`summary-cli :: 'summary ${flags.join(' ')}' runs the sidecar with ${want.join(' ')}`, () => {
    const args = path('args')
    const r = runCli(['summary', ...flags], flows({FAKE_ARGS: args}))
    assert.is(r.status, 0, r.stderr)
    assert.is(readFileSync(args, 'utf8'), want.join('\n') + '\n')
  })
}

cli('summary-cli :: live --interval in a pipe: a block per batch, each with its time and rate; the last is the final table', () => {
  const r = runCli(['summary', '--interval', '1s', '--top', '2'], flows())
  assert.is(r.status, 0, r.stderr)
  const blocks = r.stdout.split('\n\n')
  assert.is(blocks.length, 3, r.stdout)
  assert.equal(blocks[0].split('\n'), [
    '22:13:21.000  last 1.0 s',
    '#  PROTO  SOURCE          DESTINATION     PACKETS   BYTES   SHARE      RATE',
    '1  udp    10.0.0.1:40000  10.0.0.53:53       1000  100 kB   61.7%  100 kB/s',
    '2  udp    10.0.0.53:53    10.0.0.1:40000      300   60 kB   37.0%   60 kB/s',
    '   other: 1 flow                                7  2.1 kB    1.3%  2.1 kB/s',
    '   total: 3 flows, 0 dropped                 1307  162 kB  100.0%  162 kB/s',
  ])
  assert.equal(blocks[2].split('\n'), [
    '22:13:22.500  last 0.5 s',
    '#  PROTO  SOURCE          DESTINATION     PACKETS   BYTES   SHARE      RATE',
    '1  udp    10.0.0.1:40000  10.0.0.53:53       1500  150 kB   69.9%     0 B/s',
    '2  udp    10.0.0.53:53    10.0.0.1:40000      310   62 kB   28.9%  4.0 kB/s',
    '   other: 2 flows                               9  2.2 kB    1.0%     0 B/s',
    '   overflow (table full)                        5   300 B    0.1%     0 B/s',
    '   total: 4 flows, 0 dropped                 1824  214 kB  100.0%  4.0 kB/s',
    '',
  ])
  assert.not.ok(r.stdout.includes('\x1b['), 'no escape codes in a pipe')
  assert.is(r.stderr, FLOWS_STDERR)
})

cli('summary-cli :: live --interval on a terminal: the top view (Ink), ranked by current rate, then the summary at exit', () => {
  // script(1) gives the CLI a pseudo-terminal as stdout; stty gives it a size, as a real terminal has
  const command = `stty cols 100 rows 20; ${CLI} summary --interval 1s --top 1`
  const run = spawnSync('script', ['-qec', command, '/dev/null'], {encoding: 'utf8', env: {...process.env, ...flows(), TZ: 'UTC'}, timeout: 30_000})
  assert.is(run.status, 0, run.stdout + run.stderr)
  const out = run.stdout.replace(/\r\n/g, '\n')
  assert.match(out, /sockwatch top · \d\d:\d\d:\d\d · lo,eth0 · by flow · rates, sort 2s · bits\/s/)
  // the last frame: ranked by the 2 s rate, so the flow still sending is above the bigger, finished one
  const frame = out.slice(out.lastIndexOf('#  PROTO  SOURCE           DESTINATION'))
  const rows = frame.split('\n').slice(1, 5).map((l) => l.replace(/\s+/g, ' ').trim())
  assert.equal(rows.map((r) => r.split(' ').slice(0, 4).join(' ')), [
    '1 udp 10.0.0.1:40000 10.0.0.53:53', '2 udp 10.0.0.53:53 10.0.0.1:40000', '3 arp arp arp', '4 tcp 127.0.0.1:38000 127.0.0.1:8080',
  ])
  assert.match(frame, /1824 matched · 0 dropped · 5 overflow \(table full\) · keys 4\/100000/)
  // then the summary, as a summary without --interval prints it
  // Ink's last escape codes (cursor shown again) come just before it
  // (Ink may show the cursor once more after it: escape codes are dropped before the last lines are taken)
  assert.equal(out.replace(/\x1b\[[?0-9;]*[a-zA-Z]/g, '').trimEnd().split('\n').slice(-6), [
    '#  PROTO  SOURCE          DESTINATION   PACKETS   BYTES   SHARE',
    '1  udp    10.0.0.1:40000  10.0.0.53:53     1500  150 kB   69.9%',
    '   other: 3 flows                           319   64 kB   29.9%',
    '   overflow (table full)                      5   300 B    0.1%',
    '   total: 4 flows, 0 dropped               1824  214 kB  100.0%',
    '1824 packets in 4 flows (5 overflow: the flow table was full), 0 dropped',
  ])
})

cli('summary-cli :: live --interval --json: one batch per read, interval counts, the last marked final', () => {
  const r = runCli(['summary', '--interval', '1s', '--json', '--by', 'proto'], flows())
  assert.is(r.status, 0, r.stderr)
  const objects = parse(r.stdout)
  const batches: Record<string, unknown>[][] = [[]]
  for (const o of objects) {
    batches.at(-1)!.push(o)
    if (o.type === 'totals') batches.push([])
  }
  batches.pop()
  const totals = batches.map(assertBatchAddsUp)
  assert.equal(totals.map((t) => [t.ts, t.interval_s, t.packets, t.interval_packets, t.unattributed_packets, t.final]), [
    [1700000001, 1, 1307, 1307, 0, false],
    [1700000002, 1, 1814, 507, 5, false],
    [1700000002.5, 0.5, 1824, 10, 5, true],
  ])
  // the interval counts of the batches add up to the final total
  assert.is(sum(totals, 'interval_packets'), 1824)
  assert.is(sum(totals, 'interval_bytes'), 214484)
})

cli('summary-cli :: live -c 25: stops at the first read whose matched count reaches 25, then reports everything counted', async () => {
  const run = startCli(['summary', '-c', '25', '--json'], streaming())
  const {code, stdout, stderr} = await run.exited
  assert.is(code, 0, stderr)
  const totals = assertBatchAddsUp(parse(stdout))
  // batches of 10: the third read (30) reaches 25 and the CLI asks the sidecar to stop;
  // on a loaded machine a batch or two may land before the signal does, and those are
  // counted too; the sidecar's final batch adds one
  assert.ok(totals.packets >= 31 && totals.packets <= 51 && totals.packets % 10 === 1, String(totals.packets))
  assert.ok(stderr.endsWith(`${totals.packets} packets in 1 flow, 0 dropped\n`), stderr)
})

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  cli(`summary-cli :: live, ${sig} to the CLI: the sidecar finishes, the table is printed, exit 0`, async () => {
    const run = startCli(['summary', '--by', 'dport'], streaming())
    await run.waitForStderr(/counting flows on lo/)
    run.child.kill(sig)
    const {code, signal, stdout, stderr} = await run.exited
    assert.is(signal, null, stderr)
    assert.is(code, 0, stderr)
    noStack(stderr)
    const packets = Number(/^(\d+) packets? in 1 destination port, 0 dropped$/m.exec(stderr)?.[1])
    assert.ok(packets >= 1 && packets < 5001, stderr)
    assert.match(stdout, new RegExp(`^   total: 1 destination port, 0 dropped +${packets} `, 'm'))
  })
}

cli('summary-cli :: live: an error record from the sidecar ends with its exit code and message', () => {
  const r = runCli(['summary'], {...fake('fake-sidecar.sh'), FAKE_RECORDS: fixturePath('permission-error.ndjson'), FAKE_EXIT: '3'})
  assert.is(r.status, 3, r.stderr)
  assert.is(r.stdout, '')
  assert.is(r.stderr, 'sockwatch: loading the socket filter needs CAP_BPF and CAP_NET_RAW: run as root or setcap the sidecar\n')
})

cli('summary-cli :: live: an error after the final stats keeps the summary, then the error and its exit code', () => {
  const records = file(readFileSync(FLOWS, 'utf8') + '{"v":1,"type":"error","code":"interface_gone","message":"interface \'eth0\' was removed"}\n')
  const r = runCli(['summary'], {...fake('fake-sidecar.sh'), FAKE_RECORDS: records, FAKE_EXIT: '4'})
  assert.is(r.status, 4, r.stderr)
  assert.is(r.stdout, FLOWS_TABLE.join('\n') + '\n')
  assert.is(r.stderr, FLOWS_STDERR + "sockwatch: interface 'eth0' was removed\n")
})

cli("summary-cli :: live: a sidecar without flows mode (it refuses --mode) passes on its exit code and complaint", () => {
  const complaint = "sockwatch-sidecar: unrecognized option '--mode'"
  const r = runCli(['summary'], {...fake('fake-sidecar.sh'), FAKE_RECORDS: '/dev/null', FAKE_EXIT: '2', FAKE_STDERR: complaint})
  assert.is(r.status, 2, r.stderr)
  assert.is(r.stderr, "sockwatch: unrecognized option '--mode'\n")
})

// ---- usage errors: exit 2, one message, no stack, no sidecar ----

// [flags, a fragment of the one error message]
const badFlags: [string[], string][] = [
  [['--top', '0'], "sockwatch: --top expects an integer greater than or equal to 1, got '0'; see 'sockwatch summary --help'"],
  [['--top', 'ten'], "sockwatch: --top expects an integer, got 'ten'; see 'sockwatch summary --help'"],
  [['--by', 'nonsense'], 'sockwatch: expected --by=nonsense to be one of: flow, pair, src, dst, sport,'],
  [['--sort', 'x'], "sockwatch: expected --sort=x to be one of: bytes, packets; see 'sockwatch summary --help'"],
  [['-d', '5x'], "expected a duration of 1ms or more like 10s, 500ms or 2m, got '5x'"],
  [['--interval', '5x'], "expected a duration of 1ms or more like 10s, 500ms or 2m, got '5x'"],
  [['--interval', '2h'], "--interval is at most 1h, got '2h'"],
  [['-c', '0'], "sockwatch: --count expects an integer greater than or equal to 1, got '0'; see 'sockwatch summary --help'"],
  [['--strict'], "sockwatch: all of the following must be provided when using --strict: --read; see 'sockwatch summary --help'"],
  [['-r', '-', '-i', 'lo'], '--interface'],
  [['-r', '-', '--interval', '1s'], '--interval'],
  [['-r', '-', '-d', '1s'], '--duration'],
  [['--bogus'], "sockwatch: unknown flag '--bogus'; see 'sockwatch summary --help'"],
  [['-r', '-', 'nonsense'], "expected a primitive such as 'tcp', 'host 10.0.0.1' or 'port 443', got 'nonsense'"],
]
for (const [flags, message] of badFlags) {
  cli(`summary-cli :: 'summary ${flags.join(' ')}' is a usage error: exit 2, one message, no stack, no sidecar`, () => {
    const args = path('args')
    const r = runCli(['summary', ...flags], flows({FAKE_ARGS: args}))
    assert.is(r.status, 2, r.stderr)
    assert.is(r.stdout, '')
    assert.ok(r.stderr.replace(/\n ›   /g, ' ').replace(/ +/g, ' ').includes(message.replace(/ +/g, ' ')), r.stderr)
    assert.is(r.stderr.split('\n').filter((l) => /error|^sockwatch: /i.test(l)).length, 1, r.stderr)
    noStack(r.stderr)
    assert.not.ok(existsSync(args), 'the sidecar was started')
  })
}

cli('summary-cli :: --help lists every flag', () => {
  const r = runCli(['summary', '--help'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  for (const flag of ['--top', '--by', '--sort', '--interval', '--json', '--read', '--strict', '--count', '--duration', '--interface']) assert.ok(r.stdout.includes(flag), flag)
})

cli.run()
