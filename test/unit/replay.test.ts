// `capture -r`: a saved NDJSON stream instead of the kernel. No privilege, no
// sidecar; malformed lines are reported with their numbers and skipped.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI, runCli} from '../helpers/unit-cli.js'
import {fixturePath} from '../helpers/unit-fixtures.js'

const replay = suite('replay')
let dir: string
const NO_SIDECAR = {SOCKWATCH_SIDECAR: '/nonexistent/sidecar'}

const udp = (n: number) => `{"v":1,"type":"packet","ts":1700000000.${String(n).padStart(6, '0')},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":40000,"dport":${n},"len":71}`
const icmp = '{"v":1,"type":"packet","ts":1700000002.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"icmp","src":"127.0.0.1","dst":"127.0.0.1","len":98,"icmp_type":8,"icmp_code":0}'

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

replay.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockwatch-replay-'))
})

replay.after(() => rmSync(dir, {recursive: true, force: true}))

replay('replay :: a saved capture comes back as text, records other than packets ignored', () => {
  const r = runCli(['capture', '-r', fixturePath('capture.ndjson'), '--format', 'text'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stdout.split('\n').filter(Boolean).length, 5)
  assert.match(r.stdout, '22:13:20.123456 lo in IP 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 71')
  // the fixture ends with the capture's final stats record: 3 dropped
  assert.is(r.stderr.trim(), '5 packets read, 3 dropped when captured, 0 malformed lines skipped')
})

replay('replay :: --json passes the lines through byte for byte', () => {
  const path = file('three.ndjson', [udp(1), udp(2), icmp].join('\n') + '\n')
  const r = runCli(['capture', '-r', path, '--json'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stdout, [udp(1), udp(2), icmp].join('\n') + '\n')
})

replay('replay :: a filter selects exactly, in user space', () => {
  const path = file('mixed.ndjson', [udp(53), icmp, udp(443), udp(53)].join('\n') + '\n')
  const r = runCli(['capture', '-r', path, '--json', 'udp', 'and', 'port', '53'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim().split('\n'), [udp(53), udp(53)])
  assert.is(r.stderr.trim(), '2 packets read, 0 malformed lines skipped')
})

replay('replay :: -c stops after N packets', () => {
  const path = file('many.ndjson', Array.from({length: 1000}, (_, i) => udp(i + 1)).join('\n') + '\n')
  const r = runCli(['capture', '-r', path, '--json', '-c', '3'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim().split('\n'), [udp(1), udp(2), udp(3)])
})

replay('replay :: - reads stdin', () => {
  const run = spawnSync(CLI, ['capture', '-r', '-', '--format', 'text'], {input: udp(7) + '\n', encoding: 'utf8', env: {...process.env, ...NO_SIDECAR, TZ: 'UTC'}})
  assert.is(run.status, 0, run.stderr)
  assert.match(run.stdout, '127.0.0.1.40000 > 127.0.0.1.7: UDP, length 71')
})

const BIG = '{"v":1,"type":"packet","pad":"' + 'x'.repeat(10 * 1024 * 1024) + '"'
const bad: [string, string, string][] = [
  ['an empty line', '', 'line 2: an empty line (skipped)'],
  ['not JSON', 'hello', 'line 2: not JSON: "hello" (skipped)'],
  ['a JSON array', '[1,2]', 'line 2: not a JSON object: "[1,2]" (skipped)'],
  ['a JSON string', '"packet"', 'line 2: not a JSON object: "\\"packet\\"" (skipped)'],
  ['a record of another version', '{"v":2,"type":"packet"}', 'line 2: record version 2 is not 1, the version this sockwatch reads (skipped)'],
  ['a wrong type', udp(1).replace('"len":71', '"len":"71"'), 'line 2: packet record\'s "len" should be an integer, got "71" (skipped)'],
  // the right JSON types, values the schema forbids
  ['a negative len', udp(1).replace('"len":71', '"len":-5'), 'line 2: packet record\'s "len" should be an integer from 0 to 4294967295, got -5 (skipped)'],
  ['a len of 1e300', udp(1).replace('"len":71', '"len":1e300'), 'line 2: packet record\'s "len" should be an integer from 0 to 4294967295, got 1e+300 (skipped)'],
  ['a port past 65535', udp(1).replace('"sport":40000', '"sport":70000'), 'line 2: packet record\'s "sport" should be an integer from 0 to 65535, got 70000 (skipped)'],
  ['a direction that is neither in nor out', udp(1).replace('"dir":"in"', '"dir":"sideways"'), 'line 2: packet record\'s "dir" should be one of "in", "out", "unknown", got "sideways" (skipped)'],
  ['a source that is not an address', udp(1).replace('"src":"127.0.0.1"', '"src":"not-an-ip"'), 'line 2: packet record\'s "src" should be an IPv4 address (family 4), got "not-an-ip" (skipped)'],
  ['family 9', udp(1).replace('"family":4', '"family":9'), 'line 2: packet record\'s "family" should be one of 0, 4, 6, got 9 (skipped)'],
  ['a 10 MB line, cut short', BIG, 'line 2: not JSON: "{\\"v\\":1,\\"type\\":\\"packet\\",\\"pad\\":\\"xxxxxxxxxxxxxxxxxxxxxxxxxxx..." (skipped)'],
]
for (const [name, line, message] of bad) {
  replay(`replay :: ${name} is reported with its line number and skipped`, () => {
    const path = file('bad.ndjson', [udp(1), line, udp(3)].join('\n') + '\n')
    const r = runCli(['capture', '-r', path, '--json'], NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim().split('\n'), [udp(1), udp(3)])
    assert.equal(r.stderr.trim().split('\n'), [`sockwatch: ${message}`, '2 packets read, 1 malformed line skipped'])
  })

  replay(`replay :: with --strict, ${name} stops the read with exit 1`, () => {
    const path = file('bad.ndjson', [udp(1), line, udp(3)].join('\n') + '\n')
    const r = runCli(['capture', '-r', path, '--json', '--strict'], NO_SIDECAR)
    assert.is(r.status, 1, r.stderr)
    assert.is(r.stdout, udp(1) + '\n')
    assert.is(r.stderr.trim(), `sockwatch: ${message.replace(' (skipped)', '')} (--strict stops at the first malformed line)`)
  })
}

replay('replay :: a truncated last line (no newline) is reported too', () => {
  const path = file('truncated.ndjson', udp(1) + '\n' + udp(2).slice(0, 50))
  const r = runCli(['capture', '-r', path, '--json'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stdout, udp(1) + '\n')
  assert.match(r.stderr, /^sockwatch: line 2: not JSON: .* \(skipped\)$/m)
})

replay('replay :: past 20 malformed lines the rest are counted, not listed', () => {
  const path = file('noise.ndjson', Array.from({length: 25}, () => 'noise').join('\n') + '\n' + udp(1) + '\n')
  const r = runCli(['capture', '-r', path, '--json'], NO_SIDECAR)
  assert.is(r.status, 0)
  const lines = r.stderr.trim().split('\n')
  assert.is(lines.length, 22)
  assert.is(lines[20], 'sockwatch: 5 more malformed lines not shown')
  assert.is(lines[21], '1 packet read, 25 malformed lines skipped')
})

replay('replay :: a missing file: exit 1, one sentence', () => {
  const r = runCli(['capture', '-r', join(dir, 'nope.ndjson')], NO_SIDECAR)
  assert.is(r.status, 1)
  assert.is(r.stderr.trim(), `sockwatch: cannot read '${join(dir, 'nope.ndjson')}': no such file; give a file saved with 'sockwatch capture --json', or - for stdin`)
})

replay('replay :: -r with -i is a usage error', () => {
  const r = runCli(['capture', '-r', '-', '-i', 'lo'], NO_SIDECAR)
  assert.is(r.status, 2)
  assert.match(r.stderr, '--interface')
})

replay.run()
