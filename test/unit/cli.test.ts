// The CLI end to end, with fake sidecars from test/fixtures/ standing in for the
// real one: no kernel, no root. Tests the CLI's own logic: flags, routing,
// rendering, exit codes and messages.
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {assertBuilt, fake, runCli, startCli} from '../helpers/unit-cli.js'
import {fixturePath, readNdjsonFixture} from '../helpers/unit-fixtures.js'

const cli = suite('cli')
const tmp = mkdtempSync(join(tmpdir(), 'sockwatch-cli-test-'))
cli.after(() => rmSync(tmp, {recursive: true, force: true}))

let argsFiles = 0
/** A fresh path for the fake sidecar to write its argv to. */
const argsFile = () => join(tmp, `args-${++argsFiles}`)

const records = (name: string, more: Record<string, string> = {}) => ({...fake('fake-sidecar.sh'), FAKE_RECORDS: fixturePath(name), ...more})
const STACK = '    at '
const noStack = (stderr: string) => assert.not.ok(stderr.includes(STACK), `a stack trace on stderr:\n${stderr}`)

const TEXT = [
  '22:13:20.123456 lo in IP 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 71',
  '22:13:21.500000 eth0 out IP6 2001:db8::1.443 > 2001:db8::2.51000: Flags [S.], length 86',
  '22:13:22.000250 lo in IP 127.0.0.1 > 127.0.0.1: ICMP echo request, length 98',
  '22:13:23.999999 eth0 in ARP, length 42',
  '22:13:24.000000 eth0 out IP 10.0.0.1 > 10.0.0.2: ip-proto-47 100',
]
const STDERR = 'sockwatch: capturing on lo, eth0; Ctrl-C to stop\n5 packets captured, 3 dropped\n'

cli('cli :: the CLI is built (dist/commands/capture.js exists)', () => {
  assertBuilt()
})

cli('cli :: --json passes packet lines through byte for byte, leaves out ready and the periodic stats, ends with the final stats', () => {
  const r = runCli(['capture', '--json'], records('capture.ndjson'))
  const packets = readNdjsonFixture('capture.ndjson').filter((l) => l.includes('"type":"packet"'))
  // the sidecar writes the stream itself: its own final stats line, byte for byte
  const final = readNdjsonFixture('capture.ndjson').at(-1)!
  assert.is(packets.length, 5)
  assert.is(r.stdout, [...packets, final].join('\n') + '\n')
  // the sidecar's six-digit fractions survive: nothing re-serialised the lines
  assert.ok(r.stdout.includes('"ts":1700000001.500000,'))
  assert.is(r.status, 0, r.stderr)
})

cli('cli :: --json passes a valid packet in another key order or spacing through byte for byte and counts it', () => {
  const r = runCli(['capture', '--json'], records('key-order.ndjson'))
  const lines = readNdjsonFixture('key-order.ndjson')
  const packets = lines.filter((l) => /"type": ?"packet"/.test(l))
  assert.is(packets.length, 4)
  // in the order the sidecar wrote them, as it wrote them, then the final stats
  assert.is(r.stdout, [...packets, lines.at(-1)!].join('\n') + '\n')
  assert.is(r.stderr, 'sockwatch: capturing on lo; Ctrl-C to stop\n4 packets captured, 0 dropped\n')
  assert.is(r.status, 0)
})

cli('cli :: --format text prints one exact line a packet', () => {
  const r = runCli(['capture', '--format', 'text'], records('capture.ndjson'))
  assert.is(r.stdout, TEXT.join('\n') + '\n')
  assert.is(r.status, 0, r.stderr)
})

cli('cli :: text is the default format when stdout is a pipe', () => {
  const r = runCli(['capture'], records('capture.ndjson'))
  assert.is(r.stdout, TEXT.join('\n') + '\n')
  assert.is(r.status, 0, r.stderr)
})

cli('cli :: --format table in a pipe prints an 80-column header, then a row a packet', () => {
  const r = runCli(['capture', '--format', 'table'], records('capture.ndjson'))
  const lines = r.stdout.split('\n')
  // IFACE as wide as the longest interface in the ready record (eth0), the rest to the addresses
  assert.is(lines[0], 'TIME         IFACE DIR PROTO SOURCE          DESTINATION        LEN INFO')
  assert.is(lines[2], '22:13:21.500 eth0  out tcp   [2001:d…:1]:443 [2001:db…]:51000    86 [SA]')
  assert.is(lines.length, 1 + 5 + 1)
  assert.is(lines[6], '')
  assert.is(r.status, 0, r.stderr)
})

cli('cli :: stderr says where it captures, then "N packets captured, M dropped" from the final stats', () => {
  const r = runCli(['capture', '--json'], records('capture.ndjson'))
  assert.is(r.stderr, STDERR)
  assert.is(r.status, 0)
})

for (const format of ['text', 'json']) {
  // text: the CLI stops at 2 though the fake writes 5; json: the sidecar stops itself (the fake as it does)
  cli(`cli :: -c 2 stops after 2 packets (--format ${format})`, () => {
    const r = runCli(['capture', '-c', '2', '--format', format], records('capture.ndjson'))
    const lines = r.stdout.split('\n')
    // --json ends with the final stats record
    assert.is(lines.length, format === 'json' ? 4 : 3, r.stdout)
    assert.is(lines.at(-1), '')
    if (format === 'text') assert.equal(lines.slice(0, 2), TEXT.slice(0, 2))
    else assert.equal(lines.slice(0, 3), [...readNdjsonFixture('capture.ndjson').slice(1, 3), readNdjsonFixture('capture.ndjson').at(-1)!.replace('"written":5', '"written":2')])
    assert.is(r.stderr, 'sockwatch: capturing on lo, eth0; Ctrl-C to stop\n2 packets captured, 3 dropped\n')
    assert.is(r.status, 0)
  })
}

cli('cli :: the sidecar gets -i, -c, -d (in seconds), --ring-size and -v from the flags', () => {
  const file = argsFile()
  const r = runCli(['capture', '-i', 'lo', '-i', 'eth0', '-c', '3', '-d', '1500ms', '--ring-size', '1M', '-v', '--json'], records('capture.ndjson', {FAKE_ARGS: file}))
  assert.is(r.status, 0, r.stderr)
  // --json: the sidecar writes the stream to stdout, its records for the CLI to fd 3;
  // no status line in a pipe, so no interim stats (an idle capture wakes nobody)
  assert.is(readFileSync(file, 'utf8'), ['-i', 'lo', '-i', 'eth0', '-c', '3', '-d', '1.5', '--ring-size', '1048576', '--stats-interval', '0', '-v', '--control', '3'].join('\n') + '\n')
})

const filterArgs: [string[], string[]][] = [
  [['-i', 'lo', 'tcp', 'and', 'port', '443'], ['-i', 'lo', '--filter', 'tcp and port 443', '--stats-interval', '0', '--control', '3']],
  [['-i', 'lo', '-i', 'eth0', 'udp'], ['-i', 'lo', '-i', 'eth0', '--filter', 'udp', '--stats-interval', '0', '--control', '3']],
  [['tcp port 443 or udp port 53'], ['--filter', 'tcp port 443 or udp port 53', '--stats-interval', '0', '--control', '3']],
  // the kernel runs the whole filter, so the sidecar counts
  [['-c', '2', 'tcp[tcpflags] & tcp-syn != 0'], ['-c', '2', '--filter', 'tcp[tcpflags] & tcp-syn != 0', '--stats-interval', '0', '--control', '3']],
]
for (const [flags, sidecar] of filterArgs) {
  cli(`cli :: 'capture ${flags.join(' ')}' hands the sidecar ${sidecar.join(' ')}`, () => {
    const file = argsFile()
    const r = runCli(['capture', '--json', ...flags], records('capture.ndjson', {FAKE_ARGS: file}))
    assert.is(r.status, 0, r.stderr)
    assert.is(readFileSync(file, 'utf8'), sidecar.join('\n') + '\n')
  })
}

// text in a pipe or a file, live, no --flows: the sidecar writes the lines itself (--text) to
// our stdout, its records for the CLI to fd 3; no status line, so no interim stats
const textArgs: [string[], string[]][] = [
  [[], ['--text', '--stats-interval', '0', '--control', '3']],
  [['-tt', '-e', '-X'], ['--macs', '--data', '--snaplen', '262144', '--text', '--stamp', '2', '--dump', 'hex', '--stats-interval', '0', '--control', '3']],
  [['-ttttt', '-A', '-s', '100'], ['--data', '--snaplen', '100', '--text', '--stamp', '5', '--dump', 'ascii', '--stats-interval', '0', '--control', '3']],
  [['--format', 'text', '-tttttt', 'udp'], ['--filter', 'udp', '--text', '--stamp', '5', '--stats-interval', '0', '--control', '3']],
  // --flows: this process lays out the flow blocks, so it reads the records
  [['--flows', '5s'], ['--flows', '--interval', '5000']],
]
for (const [flags, sidecar] of textArgs) {
  cli(`cli :: 'capture ${flags.join(' ')}' in a pipe hands the sidecar ${sidecar.join(' ') || 'nothing'}`, () => {
    const file = argsFile()
    const r = runCli(['capture', ...flags], records('capture.ndjson', {FAKE_ARGS: file}))
    assert.is(r.status, 0, r.stderr)
    assert.is(readFileSync(file, 'utf8'), sidecar.join('\n') + '\n')
  })
}

cli("cli :: -v shows the sidecar's own stderr", () => {
  const r = runCli(['capture', '-v'], records('capture.ndjson', {FAKE_STDERR: 'libbpf: loading object sockwatch'}))
  assert.is(r.status, 0, r.stderr)
  assert.ok(r.stderr.includes('libbpf: loading object sockwatch\n'), r.stderr)
})

cli("cli :: without -v the sidecar's stderr stays hidden on success", () => {
  const r = runCli(['capture'], records('capture.ndjson', {FAKE_STDERR: 'libbpf: loading object sockwatch'}))
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stderr, STDERR)
})

cli("cli :: an error record with exit 3 ends the CLI with exit 3 and the record's message", () => {
  const r = runCli(['capture'], records('permission-error.ndjson', {FAKE_EXIT: '3'}))
  assert.is(r.status, 3, r.stderr)
  assert.is(r.stdout, '')
  assert.is(r.stderr, 'sockwatch: loading the socket filter needs CAP_BPF and CAP_NET_RAW: run as root or setcap the sidecar\n')
  noStack(r.stderr)
})

cli('cli :: an error record after packets (interface gone, exit 4) keeps the packets and exits 4', () => {
  const r = runCli(['capture', '--format', 'text'], records('interface-gone.ndjson', {FAKE_EXIT: '4'}))
  assert.is(r.status, 4, r.stderr)
  assert.is(r.stdout, '22:13:20.123456 veth0 in IP 10.9.0.1.5000 > 10.9.0.2.5001: UDP, length 60\n')
  assert.is(r.stderr, "sockwatch: capturing on veth0; Ctrl-C to stop\nsockwatch: interface 'veth0' was removed\n")
  noStack(r.stderr)
})

cli('cli :: a sidecar killed by SIGKILL: non-zero exit, "stopped unexpectedly", names SIGKILL and shows its stderr', () => {
  const r = runCli(['capture', '--format', 'text'], fake('fake-sidecar-killed.sh'))
  assert.is(r.status, 1, r.stderr)
  assert.is(r.stdout, TEXT[0] + '\n')
  assert.ok(r.stderr.includes('sockwatch: the capture engine stopped unexpectedly: it was killed (SIGKILL)'), r.stderr)
  assert.ok(r.stderr.includes('  | sockwatch-sidecar: about to be killed\n'), r.stderr)
  assert.not.ok(r.stderr.includes('packets captured'), r.stderr)
  noStack(r.stderr)
})

// text in a pipe: the sidecar writes the packet to stdout itself; the CLI reads ready, then the garbage
cli('cli :: a garbage line ends the CLI with exit 1 naming its line in what the CLI reads (2: the packet went to stdout)', () => {
  const r = runCli(['capture', '--format', 'text'], fake('fake-sidecar-garbage.sh'))
  assert.is(r.status, 1, r.stderr)
  assert.ok(r.stderr.includes('(line 2: not JSON: "Segmentation fault? no: just garbage")'), r.stderr)
  assert.not.ok(r.stderr.includes('packets captured'), r.stderr)
  noStack(r.stderr)
})

cli('cli :: a garbage line: the packet before it (same chunk) is still printed', () => {
  const r = runCli(['capture', '--format', 'text'], fake('fake-sidecar-garbage.sh'))
  assert.is(r.status, 1, r.stderr)
  // the fake writes lines 1-3 with one printf: they reach the CLI as one chunk
  assert.is(r.stdout, TEXT[0] + '\n')
})

cli("cli :: a garbage line is reported without execa's cancellation text", () => {
  const r = runCli(['capture', '--format', 'text'], fake('fake-sidecar-garbage.sh'))
  assert.is(r.status, 1, r.stderr)
  // the CLI stopped the sidecar itself: "Command was canceled" is not the sidecar's stderr
  assert.not.ok(r.stderr.includes('Command was canceled'), r.stderr)
  assert.not.ok(r.stderr.includes('This operation was aborted'), r.stderr)
  assert.is(r.stderr.split('\n').filter(Boolean).length, 2, r.stderr) // "capturing on" and the error
})

cli('cli :: a sidecar that exits 0 without final statistics is a failure', () => {
  const r = runCli(['capture'], records('no-final-stats.ndjson'))
  assert.is(r.status, 1, r.stderr)
  assert.ok(r.stderr.includes('sockwatch: the capture engine stopped unexpectedly (exit code 0) without its final statistics'), r.stderr)
  assert.not.ok(r.stderr.includes('packets captured'), r.stderr)
  noStack(r.stderr)
})

cli("cli :: a sidecar that refuses its flags (exit 2, no error record): its own sentence, exit 2", () => {
  const complaint = "sockwatch-sidecar: --poll-ms takes milliseconds from 1 to 3600000, got '0'"
  const r = runCli(['capture'], {...fake('fake-sidecar.sh'), FAKE_RECORDS: '/dev/null', FAKE_EXIT: '2', FAKE_STDERR: complaint})
  assert.is(r.status, 2, r.stderr)
  assert.is(r.stderr, "sockwatch: --poll-ms takes milliseconds from 1 to 3600000, got '0'\n")
})

cli("cli :: SOCKWATCH_SIDECAR naming a missing file: non-zero exit and \"run 'make'\"", () => {
  const r = runCli(['capture'], {SOCKWATCH_SIDECAR: join(tmp, 'no-such-sidecar')})
  assert.is(r.status, 1, r.stderr)
  assert.is(r.stdout, '')
  assert.is(r.stderr, `sockwatch: the capture engine is not at ${join(tmp, 'no-such-sidecar')} (or not executable): run 'make' in the sockwatch checkout to build it\n`)
  noStack(r.stderr)
})

// [flags, a fragment of the one error message]
const badFlags: [string[], string][] = [
  [['-c', '-1'], "sockwatch: --count expects an integer greater than or equal to 1, got '-1'; see 'sockwatch capture --help'"],
  [['-c', '0'], "sockwatch: --count expects an integer greater than or equal to 1, got '0'; see 'sockwatch capture --help'"],
  [['-c', 'two'], "sockwatch: --count expects an integer, got 'two'; see 'sockwatch capture --help'"],
  [['-d', '5x'], "expected a duration of 1ms or more like 10s, 500ms or 2m, got '5x'"],
  [['-d', '0s'], "got '0s'"],
  [['--format', 'xml'], "sockwatch: expected --format=xml to be one of: table, text, json; see 'sockwatch capture --help'"],
  [['--json', '--format', 'text'], '--format=text cannot also be provided when using --json'],
  [['--bogus'], "sockwatch: unknown flag '--bogus'; see 'sockwatch capture --help'"],
  // trailing words are a filter expression: with -r a bad one points at the word (live, libpcap judges it)
  [['-r', '-', '-c', '1', 'extra'], "got 'extra'"],
  [['-r', '-', 'extra'], "expected a primitive such as 'tcp', 'host 10.0.0.1' or 'port 443', got 'extra'"],
  [['-i'], "sockwatch: --interface expects a value; see 'sockwatch capture --help'"],
]
for (const [flags, message] of badFlags) {
  cli(`cli :: 'capture ${flags.join(' ')}' is a usage error: exit 2, one message, no stack, no sidecar`, () => {
    const file = argsFile()
    const r = runCli(['capture', ...flags], records('capture.ndjson', {FAKE_ARGS: file}))
    assert.is(r.status, 2, r.stderr)
    assert.is(r.stdout, '')
    assert.ok(r.stderr.includes(message), r.stderr)
    assert.is(r.stderr.split('\n').filter((l) => /error|^sockwatch: /i.test(l)).length, 1, r.stderr)
    noStack(r.stderr)
    assert.not.ok(existsSync(file), 'the sidecar was started')
  })
}

cli("cli :: '-d 0.4ms' never reaches the sidecar as -d 0", () => {
  const file = argsFile()
  const r = runCli(['capture', '-d', '0.4ms'], records('capture.ndjson', {FAKE_ARGS: file}))
  if (r.status === 2) {
    assert.ok(r.stderr.includes("'0.4ms'"), r.stderr)
    return
  }
  const argv = readFileSync(file, 'utf8').split('\n')
  const d = argv[argv.indexOf('-d') + 1]
  assert.ok(Number(d) > 0, `parseDuration('0.4ms') rounds to 0 ms and the sidecar was started with -d ${d} (it refuses -d 0)`)
})

cli('cli :: `| head -1`: the reader goes away, the CLI stops the sidecar and exits 0 without a stack', async () => {
  const run = startCli(['capture', '--format', 'text'], fake('fake-sidecar-stream.mjs'))
  const first = await run.firstLine
  assert.is(first, '22:13:20.001000 lo in IP 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 61')
  run.child.stdout.destroy()
  const {code, signal, stderr} = await run.exited
  assert.is(signal, null, stderr)
  assert.is(code, 0, stderr)
  noStack(stderr)
  assert.not.ok(stderr.includes('EPIPE'), stderr)
  const captured = Number(/^(\d+) packets captured, 0 dropped$/m.exec(stderr)?.[1])
  // the fake would write 20000 on its own: fewer means the CLI stopped it
  assert.ok(captured >= 1 && captured < 20000, stderr)
})

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  cli(`cli :: ${sig} to the CLI ends the capture cleanly: exit 0, every counted packet printed`, async () => {
    const run = startCli(['capture', '--format', 'text'], fake('fake-sidecar-stream.mjs'))
    await run.waitForStderr(/capturing on lo/)
    await run.firstLine
    run.child.kill(sig)
    const {code, signal, stdout, stderr} = await run.exited
    assert.is(signal, null, stderr)
    assert.is(code, 0, stderr)
    noStack(stderr)
    const captured = Number(/^(\d+) packets captured, 0 dropped$/m.exec(stderr)?.[1])
    assert.ok(captured >= 1 && captured < 20000, stderr)
    assert.is(stdout.split('\n').length - 1, captured)
  })
}

cli('cli :: a checkout before make (no dist/bundle): one sentence naming make, exit 1, no stack trace', () => {
  const root = join(tmp, 'unbuilt')
  mkdirSync(join(root, 'bin'), {recursive: true})
  copyFileSync(new URL('../../bin/run.js', import.meta.url), join(root, 'bin', 'run.js'))
  for (const argv of [['capture', '-i', 'lo', '--json'], ['summary'], ['--help']]) {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...argv], {encoding: 'utf8', timeout: 30_000})
    assert.is(r.status, 1, argv.join(' '))
    assert.is(r.stderr, `sockwatch: the CLI is not built (${join(root, 'dist', 'bundle', 'main.js')} is missing); run 'make' in ${root}/\n`)
    noStack(r.stderr)
  }
})

cli.run()
