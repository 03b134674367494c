// The CLI and the capture engine's flags and interface events, with fake
// sidecars from test/fixtures/: -i deduplicated and 'any', --ring-size and
// the sidecar's own usage sentences, link records on stderr or in --json.
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {fake, runCli} from '../helpers/unit-cli.js'
import {fixturePath, readNdjsonFixture} from '../helpers/unit-fixtures.js'

const engine = suite('cli-engine')
const tmp = mkdtempSync(join(tmpdir(), 'sockwatch-cli-engine-'))
engine.after(() => rmSync(tmp, {recursive: true, force: true}))

let files = 0
const argsFile = () => join(tmp, `args-${++files}`)
const records = (name: string, more: Record<string, string> = {}) => ({...fake('fake-sidecar.sh'), FAKE_RECORDS: fixturePath(name), ...more})
/** The argv the fake sidecar was started with. */
const argvOf = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean)
const noStack = (stderr: string) => assert.not.ok(stderr.includes('    at '), `a stack trace on stderr:\n${stderr}`)

// [capture flags, the sidecar's -i flags]
const interfaces: [string[], string[]][] = [
  [['-i', 'lo', '-i', 'lo'], ['-i', 'lo']],
  [['-i', 'lo', '-i', 'eth0', '-i', 'lo', '-i', 'eth0'], ['-i', 'lo', '-i', 'eth0']],
  [['-i', 'any'], []],
  [['-i', 'any', '-i', 'any'], []],
  [[], []],
]
for (const [flags, want] of interfaces) {
  engine(`cli-engine :: 'capture ${flags.join(' ')}' starts the sidecar with [${want.join(' ')}]`, () => {
    const file = argsFile()
    const r = runCli(['capture', ...flags], records('capture.ndjson', {FAKE_ARGS: file}))
    assert.is(r.status, 0, r.stderr)
    assert.equal(argvOf(file).filter((a, i, all) => a === '-i' || all[i - 1] === '-i'), want)
  })
}

engine("cli-engine :: '-i any -i lo' is a usage error naming both ways to say it, and starts nothing", () => {
  const file = argsFile()
  const r = runCli(['capture', '-i', 'any', '-i', 'lo'], records('capture.ndjson', {FAKE_ARGS: file}))
  assert.is(r.status, 2, r.stderr)
  assert.ok(r.stderr.includes("sockwatch: -i any already means every interface: give it alone, or name each interface with -i"), r.stderr)
  noStack(r.stderr)
  assert.not.ok(existsSync(file), 'the sidecar was started')
})

// [--ring-size, what the sidecar gets]
const ringSizes: [string, string][] = [['1G', '1073741824'], ['4K', '4096'], ['64k', '65536'], ['8M', '8388608']]
for (const [value, bytes] of ringSizes) {
  engine(`cli-engine :: --ring-size ${value} reaches the sidecar as ${bytes} bytes`, () => {
    const file = argsFile()
    const r = runCli(['capture', '--ring-size', value], records('capture.ndjson', {FAKE_ARGS: file}))
    assert.is(r.status, 0, r.stderr)
    const argv = argvOf(file)
    assert.is(argv[argv.indexOf('--ring-size') + 1], bytes)
  })
}

for (const value of ['3000', '2G', '17592186044417M', '8MB']) {
  engine(`cli-engine :: --ring-size ${value} is refused by the CLI: exit 2, one sentence, no sidecar`, () => {
    const file = argsFile()
    const r = runCli(['capture', '--ring-size', value], records('capture.ndjson', {FAKE_ARGS: file}))
    assert.is(r.status, 2, r.stderr)
    assert.ok(r.stderr.includes(`sockwatch: --ring-size takes a power of two from 4K to 1G, like 64K, 8M or 1G, got '${value}'`), r.stderr)
    assert.not.ok(r.stderr.includes('stopped unexpectedly'), r.stderr)
    noStack(r.stderr)
    assert.not.ok(existsSync(file), 'the sidecar was started')
  })
}

// argp's own words, as glibc writes them (its "Try" line wrapped at 79 columns)
const ARGP_TRY = "Try `sockwatch-sidecar --help' or `sockwatch-sidecar --usage' for more\ninformation."
const usage: [string, string, string][] = [
  ['an argp refusal', "sockwatch-sidecar: --duration takes seconds from 0.001 to 2592000 (30 days), got '9e99'", "--duration takes seconds from 0.001 to 2592000 (30 days), got '9e99'"],
  ['a refused filter clause', "sockwatch-sidecar: --clause 'port=99999': a port is 0 to 65535", "--clause 'port=99999': a port is 0 to 65535"],
]
for (const [what, complaint, sentence] of usage) {
  engine(`cli-engine :: ${what} (sidecar exit 2, no error record) is the sidecar's sentence, exit 2`, () => {
    const stderr = what === 'an argp refusal' ? `${complaint}\n${ARGP_TRY}` : complaint
    const r = runCli(['capture'], {...fake('fake-sidecar.sh'), FAKE_RECORDS: '/dev/null', FAKE_EXIT: '2', FAKE_STDERR: stderr})
    assert.is(r.status, 2, r.stderr)
    assert.is(r.stderr, `sockwatch: ${sentence}\n`)
  })
}

engine('cli-engine :: a sidecar exit 2 without a sentence of its own is still "stopped unexpectedly"', () => {
  const r = runCli(['capture'], {...fake('fake-sidecar.sh'), FAKE_RECORDS: '/dev/null', FAKE_EXIT: '2', FAKE_STDERR: 'something else'})
  assert.is(r.status, 2, r.stderr)
  assert.ok(r.stderr.startsWith('sockwatch: the capture engine stopped unexpectedly (exit code 2) without its final statistics\n'), r.stderr)
})

const LINK_LINES = [
  "sockwatch: warning: interface 'veth0' is down; no packets until it comes up",
  "sockwatch: interface 'veth0' is up; capturing on it again",
  "sockwatch: warning: interface 'veth0' is down; no packets until it comes up",
  "sockwatch: warning: interface 'veth0' was deleted; no more packets from it",
]

engine('cli-engine :: link records are one stderr line each in text mode, between "capturing on" and the closing line', () => {
  const r = runCli(['capture', '--format', 'text'], records('link-events.ndjson'))
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stderr, ['sockwatch: capturing on lo, veth0; Ctrl-C to stop', ...LINK_LINES, '3 packets captured, 0 dropped', ''].join('\n'))
  assert.is(r.stdout.split('\n').filter(Boolean).length, 3)
})

engine('cli-engine :: --json writes link records into stdout, in order with the packets', () => {
  const r = runCli(['capture', '--json'], records('link-events.ndjson'))
  assert.is(r.status, 0, r.stderr)
  const want = readNdjsonFixture('link-events.ndjson').filter((l) => /"type":"(packet|link)"/.test(l)).map((l) => JSON.parse(l))
  const shown = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
  assert.equal(shown.filter((rec) => rec.type !== 'stats'), want)
  assert.not.ok(r.stderr.includes('interface'), r.stderr)
})

engine('cli-engine :: --json with a filter: link records still in order', () => {
  const r = runCli(['capture', '--json', 'tcp[tcpflags] & tcp-syn != 0 or udp'], records('link-events.ndjson'))
  assert.is(r.status, 0, r.stderr)
  assert.equal(r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).type).filter((t) => t !== 'stats'), ['link', 'packet', 'link', 'packet', 'link', 'link', 'packet'])
})

engine('cli-engine :: summary prints link records on stderr, --json or not', () => {
  for (const json of [[], ['--json']]) {
    const r = runCli(['summary', ...json], records('link-events-flows.ndjson'))
    assert.is(r.status, 0, r.stderr)
    const lines = r.stderr.split('\n')
    assert.equal(lines.filter((l) => l.includes("interface 'veth0'")), [LINK_LINES[0], LINK_LINES[1], LINK_LINES[3]])
    assert.not.ok(r.stdout.includes('"link"'), r.stdout)
  }
})

engine.run()
