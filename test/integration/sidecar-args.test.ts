// The real sidecar's flags: values it must refuse (exit 2, one sentence) or
// take (1G rings, -i twice, -i any), and what -v and -v -v print, on loopback
// in a namespace the test makes.
import {spawnSync} from 'node:child_process'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI, SIDECAR, startSidecar} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const args = suite('sidecar args')
let ns: {name: string; remove(): void}

args.before(() => {
  preflight(['ip'])
  ns = makeNetns('args')
})
args.after(() => ns?.remove())

/** The sidecar (or another program) run to its end in the namespace: exit code, stdout records, stderr lines. */
function run(argv: string[], program = SIDECAR) {
  // nsenter, not 'ip netns exec': that one hides the cgroup v2 mount attribution needs
  const r = spawnSync('nsenter', [`--net=/run/netns/${ns.name}`, program, ...argv], {encoding: 'utf8', timeout: 20_000})
  return {
    code: r.status,
    records: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    stderr: r.stderr.split('\n').filter(Boolean),
  }
}

// [flags, the sentence after 'sockwatch-sidecar: ']
const refused: [string[], string][] = [
  [['--ring-size', '17592186044417M'], "--ring-size takes a power of two from 4K to 1G, got '17592186044417M'"],
  [['--ring-size', '18446744073709551616'], "--ring-size takes a power of two from 4K to 1G, got '18446744073709551616'"],
  [['--ring-size', '2G'], "--ring-size takes a power of two from 4K to 1G, got '2G'"],
  [['--ring-size', ' 4096'], "--ring-size takes a power of two from 4K to 1G, got ' 4096'"],
  [['--ring-size', '+4096'], "--ring-size takes a power of two from 4K to 1G, got '+4096'"],
  [['--ring-size', '4096K0'], "--ring-size takes a power of two from 4K to 1G, got '4096K0'"],
  [['-d', '1e17'], "--duration takes seconds from 0.001 to 2592000 (30 days), got '1e17'"],
  [['-d', '2592001'], "--duration takes seconds from 0.001 to 2592000 (30 days), got '2592001'"],
  [['-d', '0.0001'], "--duration takes seconds from 0.001 to 2592000 (30 days), got '0.0001'"],
  [['-d', '0x10'], "--duration takes seconds from 0.001 to 2592000 (30 days), got '0x10'"],
  [['-d', 'inf'], "--duration takes seconds from 0.001 to 2592000 (30 days), got 'inf'"],
  [['-c', ' 5'], "--count takes a whole number above 0, got ' 5'"],
  [['-c', '+5'], "--count takes a whole number above 0, got '+5'"],
  [['-c', '18446744073709551616'], "--count takes a whole number above 0, got '18446744073709551616'"],
  [['--flow-entries', '18014398509481985K'], "--flow-entries takes a number from 64 to 16M, got '18014398509481985K'"],
  [['-i', 'any', '-i', 'lo'], '-i any already means every interface: give it alone, or name each interface with -i'],
  [['-i', 'lo', '-i', 'any'], '-i any already means every interface: give it alone, or name each interface with -i'],
]
for (const [flags, sentence] of refused) {
  args(`sidecar args :: ${JSON.stringify(flags.join(' '))} is refused: exit 2, one sentence, nothing on stdout`, () => {
    const r = run(flags)
    assert.is(r.code, 2, r.stderr.join('\n'))
    assert.is(r.stderr[0], `sockwatch-sidecar: ${sentence}`)
    assert.equal(r.records, [])
  })
}

args('sidecar args :: --ring-size 1G is taken: the ready record says 1073741824 bytes', async () => {
  const sidecar = await startSidecar(['-i', 'lo', '--ring-size', '1G', '--stats-interval', '0'], ns.name)
  const run = await sidecar.finish()
  assert.is(run.code, 0, run.stderr.join('\n'))
  assert.is(run.records[0].type === 'ready' && run.records[0].ring_size, 1_073_741_824)
})

args('sidecar args :: -i lo -i lo: lo once in ready, and every packet once', async () => {
  const sidecar = await startSidecar(['-i', 'lo', '-i', 'lo', '--stats-interval', '0'], ns.name)
  const {sport} = sendUdpFrom(ns.name, '127.0.0.1', 'sink', 10, 100)
  const run = await sidecar.finish()
  assert.is(run.code, 0, run.stderr.join('\n'))
  assert.equal(run.records[0].type === 'ready' && run.records[0].interfaces, [{ifindex: 1, name: 'lo'}])
  assert.is(run.packets.filter((p) => p.sport === sport).length, 10)
})

args('sidecar args :: -i any is every interface, as with no -i', async () => {
  const sidecar = await startSidecar(['-i', 'any', '--stats-interval', '0'], ns.name)
  const {sport} = sendUdpFrom(ns.name, '127.0.0.1', 'sink', 3, 100)
  const run = await sidecar.finish()
  assert.is(run.code, 0, run.stderr.join('\n'))
  assert.equal(run.records[0].type === 'ready' && run.records[0].interfaces, [{ifindex: 0, name: 'any'}])
  assert.is(run.packets.filter((p) => p.sport === sport).length, 3)
})

const RELO = /^libbpf: .*relo/

args('sidecar args :: -v: the engine\'s decisions in under 30 lines, no libbpf relocation log', () => {
  const r = run(['-i', 'lo', '-v', '-d', '0.1'])
  assert.is(r.code, 0, r.stderr.join('\n'))
  assert.ok(r.stderr.length > 0 && r.stderr.length < 30, `${r.stderr.length} lines:\n${r.stderr.join('\n')}`)
  assert.not.ok(r.stderr.some((l) => RELO.test(l)), r.stderr.join('\n'))
  assert.ok(r.stderr.some((l) => /^sockwatch-sidecar: packets: a 8388608-byte ring buffer/.test(l)), r.stderr.join('\n'))
  assert.ok(r.stderr.some((l) => /^sockwatch-sidecar: capturing on lo \(ifindex 1\)/.test(l)), r.stderr.join('\n'))
})

args('sidecar args :: -v -v adds libbpf\'s debug log (relocations)', () => {
  const r = run(['-i', 'lo', '-v', '-v', '-d', '0.1'])
  assert.is(r.code, 0, r.stderr.slice(-5).join('\n'))
  assert.ok(r.stderr.filter((l) => RELO.test(l)).length > 10, `${r.stderr.length} lines`)
})

args('sidecar args :: capture -v: under 30 stderr lines, the engine\'s decisions, no relocation log', () => {
  const r = run(['capture', '-i', 'lo', '-v', '-d', '100ms', '--json'], CLI)
  assert.is(r.code, 0, r.stderr.slice(-5).join('\n'))
  assert.ok(r.stderr.length < 30, `${r.stderr.length} lines:\n${r.stderr.slice(0, 40).join('\n')}`)
  assert.not.ok(r.stderr.some((l) => RELO.test(l)), r.stderr.join('\n'))
  assert.ok(r.stderr.includes('sockwatch-sidecar: stopping: --duration reached'), r.stderr.join('\n'))
})

args('sidecar args :: capture -vv: libbpf\'s debug log too', () => {
  const r = run(['capture', '-i', 'lo', '-vv', '-d', '100ms', '--json'], CLI)
  assert.is(r.code, 0, r.stderr.slice(-5).join('\n'))
  assert.ok(r.stderr.filter((l) => RELO.test(l)).length > 10, `${r.stderr.length} lines`)
})

args('sidecar args :: without -v: nothing on stderr', () => {
  const r = run(['-i', 'lo', '-d', '0.1'])
  assert.is(r.code, 0)
  assert.equal(r.stderr, [])
})

args.run()
