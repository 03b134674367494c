// `capture [-i IFACE]... (--json | -w FILE [--pcap]) [FILTER]` runs without oclif
// (bin/run.js -> src/prestart.ts): which command lines qualify, that such a run never loads
// the bundle's main.js (oclif), and that it ends exactly as the capture command does, the
// same stdout, stderr, exit code and sidecar argv as `--format json` or `--write=FILE` (the
// same request, which oclif runs), whatever the sidecar says or does.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {prestartable} from '../../src/prestart.js'
import {fake, runCli} from '../helpers/unit-cli.js'
import {fixturePath} from '../helpers/unit-fixtures.js'

const quick = suite('prestart')
const dir = mkdtempSync(join(tmpdir(), 'sockwatch-prestart-'))
quick.after(() => rmSync(dir, {recursive: true, force: true}))
let files = 0
const fresh = () => join(dir, `f-${++files}`)
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean)

// [argv after 'capture', what runs without oclif (undefined: oclif runs it)]
const forms: [string[], ReturnType<typeof prestartable>][] = [
  [['--json'], {interfaces: [], filter: undefined}],
  [['-i', 'lo', '--json'], {interfaces: ['lo'], filter: undefined}],
  [['--json', '--interface', 'lo', '-i', 'eth0'], {interfaces: ['lo', 'eth0'], filter: undefined}],
  [['-i', 'lo', 'udp', 'port', '53', '--json'], {interfaces: ['lo'], filter: 'udp port 53'}],
  [['--json', 'tcp[tcpflags] & tcp-syn != 0'], {interfaces: [], filter: 'tcp[tcpflags] & tcp-syn != 0'}],
  [['--json', ' '], {interfaces: [], filter: undefined}],
  [[], {interfaces: [], filter: undefined, text: true}], // text, unless stdout is a terminal (prestart's test)
  [['-i', 'lo', 'udp'], {interfaces: ['lo'], filter: 'udp', text: true}],
  [['-i', 'lo', '-c', '2'], {interfaces: ['lo'], filter: undefined, count: 2, text: true}],
  [['-i', 'lo', '-tt'], undefined], // text's other flags: the command decides
  [['-i', 'lo', '-e'], undefined],
  [['-i', 'lo', '-X'], undefined],
  [['--pcap'], undefined],
  [['-i', 'lo', '--json', '-v'], undefined], // any other flag: the command decides
  [['-i', 'lo', '--json', '-c', '3'], {interfaces: ['lo'], filter: undefined, count: 3}],
  [['--count', '12', '--duration', '2s', '--json', 'udp'], {interfaces: [], filter: 'udp', count: 12, duration: '2s'}],
  [['-c', '0', '--json'], undefined], // oclif's integer flag says why
  [['-c', '03', '--json'], undefined],
  [['-c', '1.5', '--json'], undefined],
  [['-c', '2', '-c', '3', '--json'], undefined],
  [['-d', '1s', '-d', '2s', '--json'], undefined],
  [['-d', '-1s', '--json'], undefined],
  [['-d', 'soon', '--json'], {interfaces: [], filter: undefined, duration: 'soon'}], // parseDuration says why
  [['--json', '-r', 'file'], undefined],
  [['--json', '--format', 'json'], undefined],
  [['--json', '--json'], undefined],
  [['--json', '-i'], undefined],
  [['--json', '-i', '--json'], undefined],
  [['--json', '--', 'udp'], undefined],
  [['--json', '-v'], undefined],
  [['--json', '--help'], undefined],
  [['--json', '-h'], undefined],
  [['--json', '--interface=lo'], undefined],
  [['-i', 'lo', '-w', 'out.pcapng', 'udp'], {interfaces: ['lo'], filter: 'udp', write: 'out.pcapng', pcap: false}],
  [['--write', 'out', '--pcap'], {interfaces: [], filter: undefined, write: 'out', pcap: true}],
  [['-w', 'out', '--json'], undefined], // both: the command's usage error
  [['-w', 'a', '-w', 'b'], undefined],
  [['-w', '-'], undefined], // stdout: left to the command
  [['-w'], undefined],
  [['-w', 'out', '-C', '10'], undefined],
  [['--json', '--pcap'], undefined],
  [['-w', 'out', '--pcap', '--pcap'], undefined],
]
for (const [argv, want] of forms) {
  quick(`prestart :: capture ${argv.join(' ') || '(nothing)'}: ${want ? 'runs without oclif' : 'left to oclif'}`, () => {
    assert.equal(prestartable(argv), want)
  })
}

const readyOff = join(dir, 'ready-process-off.ndjson')
writeFileSync(
  readyOff,
  '{"v":1,"type":"ready","ts":1700000000.000001,"interfaces":[{"ifindex":1,"name":"lo"}],"ring_size":8388608,"process":false,"process_off":"no cgroup v2 mount"}\n' +
    '{"v":1,"type":"stats","ts":1700000001.000000,"seen":0,"matched":0,"emitted":0,"dropped":0,"written":0,"final":true}\n',
)

interface Case {
  name: string
  argv: string[]
  env: Record<string, string>
  status: number
  /** A phrase stderr must hold (so that the comparison compares something). */
  says: string
}
const sidecar = (records: string, env: Record<string, string> = {}) => ({...fake('fake-sidecar.sh'), FAKE_RECORDS: records, ...env})
const cases: Case[] = [
  {name: 'packets, then the final stats', argv: ['-i', 'lo'], env: sidecar(fixturePath('capture.ndjson')), status: 0, says: 'sockwatch: capturing on lo, eth0; Ctrl-C to stop'},
  {name: 'a filter', argv: ['-i', 'lo', 'udp', 'port', '53'], env: sidecar(fixturePath('capture.ndjson')), status: 0, says: '5 packets captured, 3 dropped'},
  {name: 'attribution off', argv: [], env: sidecar(readyOff), status: 0, says: 'process attribution is off: no cgroup v2 mount'},
  {name: 'a permission error', argv: [], env: sidecar(fixturePath('permission-error.ndjson'), {FAKE_EXIT: '3'}), status: 3, says: 'needs CAP_BPF'},
  {name: 'a bad filter (caret)', argv: ['-i', 'lo', 'tcp', 'port', 'foo'], env: sidecar(fixturePath('bad-filter.ndjson'), {FAKE_EXIT: '2'}), status: 2, says: '^^^'},
  {name: 'an interface gone (partial counts)', argv: ['-i', 'veth0'], env: sidecar(fixturePath('interface-gone.ndjson'), {FAKE_EXIT: '4'}), status: 4, says: "interface 'veth0' was removed"},
  {name: 'no final stats', argv: ['-i', 'lo'], env: sidecar(fixturePath('no-final-stats.ndjson')), status: 1, says: 'without its final statistics'},
  {name: 'the sidecar refuses its flags', argv: ['-i', 'lo'], env: sidecar(fixturePath('no-final-stats.ndjson'), {FAKE_EXIT: '2', FAKE_STDERR: "sockwatch-sidecar: unknown option\nTry `sockwatch-sidecar --help'"}), status: 2, says: 'sockwatch: unknown option'},
  {name: 'the sidecar killed', argv: ['-i', 'lo'], env: fake('fake-sidecar-killed.sh'), status: 1, says: 'SIGKILL'},
  {name: '-i any with another', argv: ['-i', 'any', '-i', 'lo'], env: sidecar(fixturePath('capture.ndjson')), status: 2, says: '-i any already means every interface'},
  {name: '-c 2', argv: ['-i', 'lo', '-c', '2'], env: sidecar(fixturePath('capture.ndjson')), status: 0, says: '2 packets captured'},
  {name: '-d 1s', argv: ['-i', 'lo', '-d', '1s'], env: sidecar(fixturePath('capture.ndjson')), status: 0, says: 'captured, 3 dropped'},
  {name: 'a bad duration', argv: ['-i', 'lo', '-d', 'soon'], env: sidecar(fixturePath('capture.ndjson')), status: 2, says: "expected a duration of 1ms or more like 10s, 500ms or 2m, got 'soon'"},
  {name: 'no sidecar', argv: ['-i', 'lo'], env: {SOCKWATCH_SIDECAR: join(dir, 'nothing-here')}, status: 1, says: 'the capture engine is not at'},
]
const hook = fixturePath('../helpers/loaded-modules.mjs')
const run = (argv: string[], env: Record<string, string>) => {
  const args = fresh()
  const loaded = fresh()
  writeFileSync(loaded, '')
  writeFileSync(args, '')
  const r = runCli(['capture', ...argv], {...env, FAKE_ARGS: args, LOADED_MODULES: loaded, NODE_OPTIONS: `--import ${hook}`})
  return {...r, args: readFileSync(args, 'utf8'), oclif: lines(loaded).some((url) => url.endsWith('/dist/bundle/main.js'))}
}
const out = join(dir, 'out.pcap')
const ways: [string, string[], string[]][] = [
  ['--json', ['--json'], ['--format', 'json']],
  ['-w FILE --pcap', ['-w', out, '--pcap'], [`--write=${out}`, '--pcap']],
  ['text', [], ['--format', 'text']],
]
for (const c of cases) for (const [way, quickFlags, oclifFlags] of ways) {
  if (way !== '--json' && way !== 'text' && !['packets, then the final stats', 'a bad filter (caret)', 'an interface gone (partial counts)', 'no sidecar', '-c 2', 'a bad duration'].includes(c.name)) continue
  quick(`prestart :: ${way}: ${c.name}: as the capture command, without oclif`, () => {
    const fast = run([...c.argv, ...quickFlags], c.env)
    const slow = run([...c.argv, ...oclifFlags], c.env)
    assert.is(fast.oclif, false, 'the quick path loaded main.js')
    assert.is(slow.oclif, true, 'the command did not load main.js')
    assert.ok(fast.stderr.includes(c.says), fast.stderr)
    assert.is(fast.status, c.status, fast.stderr)
    assert.equal({status: fast.status, stdout: fast.stdout, stderr: fast.stderr, args: fast.args}, {status: slow.status, stdout: slow.stdout, stderr: slow.stderr, args: slow.args})
  })
}

// the sidecar's argv for a few forms, as the command gave it before this path existed
const argvs: [string[], string[]][] = [
  [['-i', 'lo', '--json'], ['-i', 'lo', '--stats-interval', '0', '--control', '3']],
  [['-i', 'lo', 'udp', 'port', '53', '--json'], ['-i', 'lo', '--filter', 'udp port 53', '--stats-interval', '0', '--control', '3']],
  [['--json', '-i', 'lo', '-i', 'eth0', '-i', 'lo'], ['-i', 'lo', '-i', 'eth0', '--stats-interval', '0', '--control', '3']],
  [['-i', 'lo', '-w', join(dir, 'y.pcapng'), 'udp'], ['-i', 'lo', '--filter', 'udp', '-w', join(dir, 'y.pcapng'), '--snaplen', '262144', '--stats-interval', '0', '--control', '3']],
  [['-w', out], ['-w', out, '--snaplen', '262144', '--pcap', '--stats-interval', '0', '--control', '3']], // classic pcap by its name
  [['-i', 'lo', '-c', '5', '-d', '1.5s', '--json'], ['-i', 'lo', '-c', '5', '-d', '1.5', '--stats-interval', '0', '--control', '3']],
  [['-w', join(dir, 'x.pcapng'), '--pcap'], ['-w', join(dir, 'x.pcapng'), '--snaplen', '262144', '--pcap', '--stats-interval', '0', '--control', '3']],
  [['-i', 'lo', 'udp'], ['-i', 'lo', '--filter', 'udp', '--text', '--stats-interval', '0', '--control', '3']],
]
for (const [argv, want] of argvs) {
  quick(`prestart :: sockwatch capture ${argv.join(' ')} starts one sidecar with ${want.join(' ')}`, () => {
    const starts = fresh()
    const r = run(argv, sidecar(fixturePath('capture.ndjson'), {FAKE_STARTS: starts}))
    assert.is(r.status, 0, r.stderr)
    assert.is(r.oclif, false)
    assert.is(lines(starts).length, 1)
    assert.equal(r.args.trim().split('\n'), want)
  })
}

quick.run()
