// `sockwatch capture` end to end on the real kernel, in a namespace of its own
// so loopback carries only the test's packets: jq, head, Ctrl-C, SIGTERM.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {CLI} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {assertSchema} from '../helpers/integration-schema.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const KNOCK = fileURLToPath(new URL('../helpers/tcp-knock.mjs', import.meta.url))
const cli = suite('capture cli')
let ns: {name: string; remove(): void}

// 'ip netns exec' hides the cgroup v2 mount, but the sidecar takes another namespace's
// (docs/attribution.md, "Routes"): --no-process keeps the owner out of these lines
const TEXT_UDP = /^\d\d:\d\d:\d\d\.\d{6} lo in IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.\d+: UDP, length 100$/
const noStackTrace = (p: Proc) => assert.not.ok(p.stderr.some((l) => /^\s+at /.test(l)), p.stderr.join('\n'))

/** The CLI inside the namespace, started when it says it is capturing. */
async function startCli(args: string[], options: {detached?: boolean} = {}): Promise<Proc> {
  const proc = startProc('ip', ['netns', 'exec', ns.name, CLI, 'capture', '-i', 'lo', ...args], options)
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  return proc
}

const send = (count: number) => sendUdpFrom(ns.name, '127.0.0.1', 'sink', count, 100)

cli.before(() => {
  preflight()
  ns = makeNetns('cli')
})

cli.after(() => ns?.remove())

/** A real shell pipeline: the CLI (in the namespace) | consumer. Its exit code is reported on stderr. */
function pipeline(cliArgs: string, consumer: string): Proc {
  const script = `ip netns exec ${ns.name} ${CLI} capture -i lo ${cliArgs} | ${consumer}; echo "cli-exit=\${PIPESTATUS[0]}" >&2`
  return startProc('bash', ['-c', script])
}

const cliExit = (p: Proc) => p.stderr.find((l) => l.startsWith('cli-exit='))

cli('capture cli :: --json -c 10 | jq: ten exact records and the final stats, then a clean exit on its own', async () => {
  const proc = pipeline('--json -c 10', `jq -c '[.type, .proto, .sport, .dport, .len, .dir, .ifname]'`)
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  const {sport, dport} = send(10)
  assert.is((await proc.exited).code, 0)
  assert.is(cliExit(proc), 'cli-exit=0')
  const expected = JSON.stringify(['packet', 'udp', sport, dport, 14 + 20 + 8 + 100, 'in', 'lo'])
  assert.equal(proc.stdout.filter(Boolean), [...Array(10).fill(expected), '["stats",null,null,null,null,null,null]'])
  assert.ok(proc.stderr.includes('10 packets captured, 0 dropped'), proc.stderr.join('\n'))
})

cli('capture cli :: --json output is packet records, then the final stats record, each valid against the schema', async () => {
  const proc = await startCli(['--json', '-c', '4'])
  send(4)
  assert.is((await proc.exited).code, 0)
  const records = proc.stdout.filter(Boolean).map((l) => JSON.parse(l))
  assert.equal(records.map((r) => r.type), ['packet', 'packet', 'packet', 'packet', 'stats'])
  assert.equal([records[4].final, records[4].written, records[4].dropped], [true, 4, 0])
  assertSchema(records)
})

cli('capture cli :: in a pipe the default is one tcpdump-like line a packet', async () => {
  const proc = await startCli(['-c', '3', '--no-process'])
  send(3)
  assert.is((await proc.exited).code, 0)
  assert.is(proc.stdout.filter(Boolean).length, 3)
  for (const line of proc.stdout.filter(Boolean)) assert.match(line, TEXT_UDP)
})

cli('capture cli :: --format table: a header, then aligned rows', async () => {
  const proc = await startCli(['-c', '2', '--format', 'table'])
  send(2)
  assert.is((await proc.exited).code, 0)
  const [header, ...rows] = proc.stdout.filter(Boolean)
  assert.match(header, /^TIME\s+IFACE\s+DIR\s+PROTO\s+SOURCE\s+DESTINATION\s+LEN\s+INFO$/)
  assert.is(rows.length, 2)
  for (const row of rows) {
    assert.is(row.indexOf('127.0.0.1:'), header.indexOf('SOURCE'))
    assert.match(row, /\budp\b/)
  }
})

cli('capture cli :: | head -3 ends with exit 0 and no stack trace', async () => {
  const proc = pipeline('--format text --no-process', 'head -n 3')
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  send(50)
  await proc.waitFor('stdout', () => proc.stdout.filter(Boolean).length === 3)
  // Like tcpdump, the CLI learns the reader left at its next write: keep
  // packets coming (bounded) until it has.
  let ended = false
  proc.exited.then(() => (ended = true))
  for (let i = 0; i < 50 && !ended; i++) {
    send(5)
    await Promise.race([proc.exited, new Promise((resolve) => setTimeout(resolve, 100))])
  }
  assert.is((await proc.exited).code, 0)
  assert.is(cliExit(proc), 'cli-exit=0')
  assert.is(proc.stdout.filter(Boolean).length, 3)
  for (const line of proc.stdout.filter(Boolean)) assert.match(line, TEXT_UDP)
  noStackTrace(proc)
  assert.ok(proc.stderr.some((l) => /^\d+ packets? captured, 0 dropped$/.test(l)), proc.stderr.join('\n'))
})

cli('capture cli :: Ctrl-C (SIGINT to the process group) ends cleanly with the closing line', async () => {
  const proc = await startCli(['--format', 'text'], {detached: true})
  send(5)
  await proc.waitFor('stdout', () => proc.stdout.filter(Boolean).length === 5)
  process.kill(-proc.child.pid!, 'SIGINT')
  const {code} = await proc.exited
  assert.is(code, 0)
  assert.is(proc.stderr[proc.stderr.length - 1], '5 packets captured, 0 dropped')
  noStackTrace(proc)
})

cli('capture cli :: SIGTERM to the CLI alone stops the sidecar and still reports', async () => {
  const proc = await startCli(['--json'])
  send(7)
  await proc.waitFor('stdout', () => proc.stdout.filter(Boolean).length === 7)
  const {code} = await proc.stop('SIGTERM')
  assert.is(code, 0)
  assert.is(proc.stderr[proc.stderr.length - 1], '7 packets captured, 0 dropped')
})

cli('capture cli :: -d 300ms ends by itself', async () => {
  const proc = await startCli(['--json', '-d', '300ms'])
  const {code} = await proc.exited
  assert.is(code, 0)
  assert.is(proc.stderr[proc.stderr.length - 1], '0 packets captured, 0 dropped')
})

cli('capture cli :: a filter on TCP flags runs whole in the kernel', async () => {
  const proc = await startCli(['--json', 'tcp[tcpflags] & tcp-syn != 0'])
  execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, KNOCK, '127.0.0.1', '9', '3']) // SYN, then RST, three times
  send(2) // UDP: filtered out in the kernel
  await proc.waitFor('stdout', () => proc.stdout.filter(Boolean).length === 3)
  const {code} = await proc.stop('SIGTERM')
  assert.is(code, 0)
  const records = proc.stdout.filter(Boolean).map((l) => JSON.parse(l))
  assert.equal(records.map((r) => [r.proto, r.flags, r.dport]), [...Array(3).fill(['tcp', 'S', 9]), [undefined, undefined, undefined]])
  assert.is(records[3].type, 'stats') // the final stats, after the packets
  assert.is(proc.stderr[proc.stderr.length - 1], '3 packets captured, 0 dropped')
})

cli('capture cli :: a bad filter: exit 2, the word pointed at, nothing loaded', async () => {
  const proc = startProc(CLI, ['capture', '-i', 'lo', 'tcp', 'and', 'port', 'htttp'])
  assert.is((await proc.exited).code, 2)
  assert.equal(proc.stderr.filter(Boolean), [
    "sockwatch: the filter 'tcp and port htttp' is not valid: unknown port 'htttp'",
    '  tcp and port htttp',
    '               ^^^^^',
  ])
})

cli('capture cli :: an unknown interface: exit 4 and one sentence, no stack trace', async () => {
  const proc = startProc(CLI, ['capture', '-i', 'nosuchif0', '--json'])
  const {code} = await proc.exited
  assert.is(code, 4)
  assert.ok(proc.stderr.some((l) => l.includes("no interface named 'nosuchif0'")), proc.stderr.join('\n'))
  assert.is(proc.stdout.filter(Boolean).length, 0)
  noStackTrace(proc)
})

cli.run()
