// The command line as a new user types it (issue: bugs a new user hits):
// filter words keep their order, usage errors are one sentence, -h/-V/version
// exist, typos get a suggestion, --color forces colour, and stdout failures
// (a full disk, a closed stdout, a reader that left) end the run cleanly.
import {spawn, spawnSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {assertBuilt, CLI, fake, runCli} from '../helpers/unit-cli.js'
import {fixturePath, ROOT} from '../helpers/unit-fixtures.js'

const cli = suite('cli-usage')
const tmp = mkdtempSync(join(tmpdir(), 'sockwatch-usage-test-'))
cli.after(() => rmSync(tmp, {recursive: true, force: true}))

const NO_SIDECAR = {SOCKWATCH_SIDECAR: '/nonexistent/sidecar'}
// --explain asks the real sidecar what libpcap compiles: no kernel, no privilege
const REAL_SIDECAR = {SOCKWATCH_SIDECAR: join(ROOT, 'build/sockwatch-sidecar')}
const records = (name: string, more: Record<string, string> = {}) => ({...fake('fake-sidecar.sh'), FAKE_RECORDS: fixturePath(name), ...more})
const noStack = (stderr: string) => assert.not.ok(/\n\s+at /.test(stderr), `a stack trace on stderr:\n${stderr}`)
/** This process's environment for a child, without colour settings that make Node warn. */
function childEnv(more: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, TZ: 'UTC', ...more}
  delete env.FORCE_COLOR
  delete env.NO_COLOR
  return env
}
let files = 0
const argsFile = () => join(tmp, `args-${++files}`)

// --- filter words in the order typed ------------------------------------------

const ordered: [string[], string][] = [
  [['capture', '--explain', 'not', 'tcp', 'and', 'not', 'udp'], 'not tcp and not udp'],
  [['capture', '--explain', 'port', '80', 'or', 'port', '443'], 'port 80 or port 443'],
  [['capture', '--explain', 'host', '10.0.0.1', 'or', 'host', '10.0.0.2'], 'host 10.0.0.1 or host 10.0.0.2'],
  [['capture', '--explain', 'tcp', 'port', '80', 'or', 'udp', 'port', '53'], 'tcp port 80 or udp port 53'],
  [['capture', '-c', '53', '--explain', 'port', '53'], 'port 53'],
  [['capture', '-i', 'lo', '--explain', 'ether', 'broadcast'], 'ether broadcast'],
  [['capture', '--explain', 'udp', 'or', 'tcp', '-c', '5', 'and', 'udp'], 'udp or tcp and udp'],
  [['capture', '--explain', '--', 'not', 'port', '53', 'or', 'not', 'port', '80'], 'not port 53 or not port 80'],
  [['capture', '--explain', 'tcp and port 443 or udp'], 'tcp and port 443 or udp'],
]
for (const [args, filter] of ordered) {
  cli(`cli-usage :: '${args.join(' ')}' keeps the filter as typed: ${filter}`, () => {
    const r = runCli(args, REAL_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout.split('\n')[0], `filter: ${filter}`)
  })
}

// summary hands the sidecar the filter as typed, words joined as tcpdump joins them
const summaryFilters: [string[], string][] = [
  [['port', '80', 'or', 'port', '443'], 'port 80 or port 443'],
  [['not', 'tcp', 'and', 'not', 'udp'], 'not tcp and not udp'],
  [['-i', 'lo', 'tcp[tcpflags]', '&', 'tcp-syn', '!=', '0'], 'tcp[tcpflags] & tcp-syn != 0'],
]
for (const [words, expression] of summaryFilters) {
  cli(`cli-usage :: 'summary ${words.join(' ')}' hands the sidecar --filter '${expression}'`, () => {
    const file = argsFile()
    const r = runCli(['summary', ...words], {...fake('fake-sidecar.sh'), FAKE_RECORDS: fixturePath('summary-flows.ndjson'), FAKE_ARGS: file})
    assert.is(r.status, 0, r.stderr)
    const args = readFileSync(file, 'utf8').trim().split('\n')
    const at = args.indexOf('--filter')
    assert.equal(args.slice(at, at + 2), ['--filter', expression])
  })
}

cli('cli-usage :: summary -r with repeated filter words filters as typed', () => {
  // port 53 or port 443 over the fixture: the same rows as the quoted form
  const quoted = runCli(['summary', '-r', fixturePath('summary-packets.ndjson'), '--json', 'port 53 or port 443'], NO_SIDECAR)
  const words = runCli(['summary', '-r', fixturePath('summary-packets.ndjson'), '--json', 'port', '53', 'or', 'port', '443'], NO_SIDECAR)
  assert.is(words.status, 0, words.stderr)
  assert.is(words.stdout, quoted.stdout)
  assert.ok(words.stdout.includes('"type":"row"'), words.stdout)
})

// --- boolean flags given a value ------------------------------------------------

const booleans: [string[], string][] = [
  [['--json=true'], 'json'],
  [['--json=false'], 'text'],
  [['--json=1'], 'json'],
  [['--format=json'], 'json'],
]
for (const [flags, shape] of booleans) {
  cli(`cli-usage :: capture ${flags.join(' ')} writes ${shape}, and no value becomes a filter word`, () => {
    const file = argsFile()
    const r = runCli(['capture', ...flags], records('capture.ndjson', {FAKE_ARGS: file}))
    assert.is(r.status, 0, r.stderr)
    assert.ok(shape === 'json' ? r.stdout.startsWith('{"v":1,"type":"packet"') : r.stdout.startsWith('22:13:20.123456 lo in IP'), r.stdout)
    assert.not.ok(readFileSync(file, 'utf8').includes('--clause'), 'a filter reached the sidecar')
  })
}

// --- every usage error is one sentence ------------------------------------------

const usage: [string[], string][] = [
  [['capture', '-c', 'x'], "sockwatch: --count expects an integer, got 'x'; see 'sockwatch capture --help'"],
  [['capture', '-c', '0'], "sockwatch: --count expects an integer greater than or equal to 1, got '0'; see 'sockwatch capture --help'"],
  [['capture', '--jsno'], "sockwatch: unknown flag '--jsno' (did you mean --json?); see 'sockwatch capture --help'"],
  [['capture', '-i'], "sockwatch: --interface expects a value; see 'sockwatch capture --help'"],
  [['capture', '--json', '--format', 'text'], "sockwatch: --format=text cannot also be provided when using --json; see 'sockwatch capture --help'"],
  [['capture', '--json=maybe'], "sockwatch: --json is a switch and takes no value (true or false at most), got '--json=maybe'"],
  [['summary', '--by', 'host'], "sockwatch: expected --by=host to be one of: flow, pair, src, dst, sport, dport, proto, iface, process, comm, user, cgroup, container; see 'sockwatch summary --help'"],
  [['summary', '--top', '-1'], "sockwatch: --top expects an integer greater than or equal to 1, got '-1'; see 'sockwatch summary --help'"],
  [['capure'], "sockwatch: 'capure' is not a sockwatch command; did you mean 'sockwatch capture'?"],
  [['sumary', '-r', 'x'], "sockwatch: 'sumary' is not a sockwatch command; did you mean 'sockwatch summary'?"],
  [['frobnicate'], "sockwatch: 'frobnicate' is not a sockwatch command; 'sockwatch --help' lists the commands"],
]
for (const [args, sentence] of usage) {
  cli(`cli-usage :: '${args.join(' ')}' is one sentence and exit 2`, () => {
    const r = runCli(args, NO_SIDECAR)
    assert.is(r.stderr, `${sentence}\n`)
    assert.is(r.status, 2)
    assert.is(r.stdout, '')
  })
}

// libpcap's reason, with a caret under the word it names; exit 2, no stack
const badFilters: [string[], string, string][] = [
  [['capture', '--explain', 'tcp', 'port', 'foo'], "sockwatch: the filter 'tcp port foo' is not valid: unknown port 'foo'", '         ^^^'],
  [['capture', '--explain', 'host', 'no-such-host.invalid'], "sockwatch: the filter 'host no-such-host.invalid' is not valid: unknown host 'no-such-host.invalid'", '     ^^^^^^^^^^^^^^^^^^^^'],
  [['capture', '--explain', 'tcp and and'], "sockwatch: the filter 'tcp and and' is not valid: can't parse filter expression: syntax error", '^^^^^^^^^^^'],
]
for (const [args, sentence, carets] of badFilters) {
  cli(`cli-usage :: '${args.join(' ')}' is libpcap's reason in one sentence, a caret, and exit 2`, () => {
    const r = runCli(args, REAL_SIDECAR)
    assert.is(r.status, 2, r.stderr)
    const lines = r.stderr.split('\n')
    assert.is(lines[0], sentence)
    assert.is(lines[2], `  ${carets}`)
    assert.is(r.stdout, '')
    noStack(r.stderr)
  })
}

cli("cli-usage :: live, the sidecar's bad_filter record is the same sentence with a caret, and exit 2", () => {
  const r = runCli(['capture', '-i', 'lo', 'tcp', 'port', 'foo'], records('bad-filter.ndjson', {FAKE_EXIT: '2'}))
  assert.is(r.status, 2, r.stderr)
  assert.is(r.stderr, "sockwatch: the filter 'tcp port foo' is not valid: unknown port 'foo'\n  tcp port foo\n           ^^^\n")
  assert.is(r.stdout, '')
})

cli('cli-usage :: --fail-on-drop says it in one sentence, after the closing line', () => {
  const r = runCli(['capture', '--fail-on-drop'], records('capture.ndjson'))
  assert.is(r.status, 1)
  assert.ok(r.stderr.endsWith('5 packets captured, 3 dropped\nsockwatch: the kernel dropped 3 packets (--fail-on-drop); a larger --ring-size absorbs longer bursts\n'), r.stderr)
})

// --- help, version --------------------------------------------------------------

const helps: [string[], RegExp][] = [
  [['-h'], /^Watch the packets[\s\S]*\nCOMMANDS\n/],
  [['capture', '-h'], /^Show packets[\s\S]*\nUSAGE\n  \$ sockwatch capture /],
  [['summary', '-h'], /^Top talkers[\s\S]*\nUSAGE\n  \$ sockwatch summary /],
  [['-V'], /^sockwatch\/\d+\.\d+\.\d+ linux-\w+ node-v\d+/],
  [['--version'], /^sockwatch\/\d+\.\d+\.\d+ linux-\w+ node-v\d+/],
  [['version'], /^sockwatch\/\d+\.\d+\.\d+ linux-\w+ node-v\d+/],
]
for (const [args, shape] of helps) {
  cli(`cli-usage :: '${args.join(' ')}' answers on stdout, exit 0`, () => {
    const r = runCli(args, NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stdout, shape)
  })
}

for (const command of ['capture', 'summary', 'doctor']) {
  cli(`cli-usage :: '${command} --help' shows USAGE without artefacts like '[-d <value> | ]'`, () => {
    const r = runCli([command, '--help'], NO_SIDECAR)
    const usageBlock = r.stdout.split('\n\n').find((b) => b.startsWith('USAGE'))!
    assert.ok(usageBlock, r.stdout)
    assert.not.match(usageBlock, /\| \]|\s\]|<value> \|/)
  })
}

// --- colour ----------------------------------------------------------------------

cli('cli-usage :: --color forces colour in a pipe (a bold table header), even with NO_COLOR', () => {
  const r = runCli(['capture', '--format', 'table', '--color'], records('capture.ndjson'))
  assert.is(r.status, 0, r.stderr)
  assert.ok(r.stdout.startsWith('\x1b[1mTIME '), JSON.stringify(r.stdout.slice(0, 20)))
})

cli('cli-usage :: --color=false is --no-color', () => {
  const r = runCli(['capture', '--format', 'table', '--color=false'], records('capture.ndjson'))
  assert.is(r.status, 0, r.stderr)
  assert.ok(r.stdout.startsWith('TIME '), r.stdout)
})

// --- standard output failures ------------------------------------------------------

/** Runs the CLI with stdout on /dev/full. */
function toDevFull(args: string[], env: Record<string, string>) {
  assertBuilt()
  const full = openSync('/dev/full', 'w')
  try {
    const r = spawnSync(CLI, args, {cwd: ROOT, env: childEnv(env), encoding: 'utf8', stdio: ['ignore', full, 'pipe'], timeout: 30_000})
    return {status: r.status, stderr: r.stderr}
  } finally {
    closeSync(full)
  }
}

const FULL = 'sockwatch: cannot write to standard output: No space left on device\n'
const fullCases: [string, string[], Record<string, string>, string][] = [
  ['capture (text)', ['capture'], records('capture.ndjson'), 'packets captured, 3 dropped\n'],
  ['capture --json', ['capture', '--json'], records('capture.ndjson'), 'packets captured, 3 dropped\n'],
  ['capture -r', ['capture', '-r', fixturePath('capture.ndjson')], NO_SIDECAR, 'malformed lines skipped\n'],
  ['summary -r', ['summary', '-r', fixturePath('summary-packets.ndjson')], NO_SIDECAR, 'malformed lines skipped\n'],
  ['doctor', ['doctor', '--json'], NO_SIDECAR, ''],
]
for (const [name, args, env, closing] of fullCases) {
  cli(`cli-usage :: ${name} > /dev/full: ${closing ? 'the closing line, then ' : ''}one sentence, exit 1`, () => {
    const r = toDevFull(args, env)
    noStack(r.stderr)
    assert.ok(r.stderr.endsWith(closing + FULL), r.stderr)
    assert.is(r.status, 1, r.stderr)
  })
}

const SOCKWATCH = join(ROOT, 'bin/sockwatch')
for (const args of [['capture'], ['summary', '-r', fixturePath('summary-packets.ndjson')]]) {
  cli(`cli-usage :: '${args[0]} >&-' (stdout closed) stops at once: one sentence, exit 1`, () => {
    // the capture would run until stopped: the fake streams 20000 packets, slowly
    const r = spawnSync('sh', ['-c', 'exec "$0" "$@" >&-', SOCKWATCH, ...args], {
      cwd: ROOT, env: childEnv(fake('fake-sidecar-stream.mjs')), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000,
    })
    assert.is(r.stderr, 'sockwatch: cannot write to standard output: it is closed (Bad file descriptor); redirect it to a file or /dev/null instead\n')
    assert.is(r.status, 1)
  })
}

cli('cli-usage :: bin/sockwatch with stdout on /dev/null runs as usual', () => {
  const r = spawnSync('sh', ['-c', 'exec "$0" "$@" >/dev/null', SOCKWATCH, 'summary', '-r', fixturePath('summary-packets.ndjson')], {cwd: ROOT, env: childEnv({}), encoding: 'utf8', timeout: 20_000})
  assert.is(r.status, 0, r.stderr)
  assert.match(r.stderr, /^44 packets in 14 flows, .*0 malformed lines skipped\n$/)
})

cli("cli-usage :: 'capture -r - | head -1' stops reading once the reader has left, though the input goes on", async () => {
  assertBuilt()
  const packet = readFileSync(fixturePath('capture.ndjson'), 'utf8').split('\n').find((l) => l.includes('"type":"packet"'))!
  const child = spawn(CLI, ['capture', '-r', '-', '--json'], {cwd: ROOT, env: childEnv({}), stdio: ['pipe', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  child.stdin.on('error', () => {}) // the CLI may leave first
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  // the first line reaches the reader, who then leaves (head -1)
  child.stdout.once('data', () => {
    child.stdout.destroy()
    // more input, never ended: only the closed stdout can stop the CLI
    child.stdin.write(`${packet}\n`.repeat(20_000))
  })
  child.stdin.write(`${packet}\n`.repeat(10))
  const code = await exited
  clearTimeout(timer)
  child.stdin.destroy()
  assert.is(code, 0, `the CLI did not stop on its own (killed after 10 s): ${stderr}`)
  noStack(stderr)
})

cli.run()
