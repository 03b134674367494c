// Engine v2 on the real kernel: packets and flows from one pass, exact counts
// in every interval (flows + overflow = matched), a stalled reader that does
// not stall the capture, write errors told apart, wall-clock stamps inside a
// time namespace, and interface names from the loop's resolver.
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {FlowRecord, PacketRecord, SidecarRecord, StatsRecord} from '../../src/sidecar/records.js'
import {CLI, inNetns, ROOT, SIDECAR, startSidecar} from '../helpers/integration-capture.js'
import {makeNetns, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'
import {sendUdp, sendUdpFrom} from '../helpers/integration-traffic.js'

const engine = suite('engine')
const GEN = `${ROOT}build/sockwatch-gen`
let ns: {name: string; remove(): void}

engine.before(() => {
  preflight(['ip', 'strace', 'unshare'])
  ns = makeNetns('eng')
})
engine.after(() => ns?.remove())

const parse = (lines: string[]) => lines.filter(Boolean).map((l) => JSON.parse(l) as SidecarRecord)
const stats = (records: SidecarRecord[]) => records.filter((r): r is StatsRecord => r.type === 'stats')
const flows = (records: SidecarRecord[]) => records.filter((r): r is FlowRecord => r.type === 'flow')
const key = (r: {sport?: number; dport?: number}) => `${r.sport}>${r.dport}`

/** The generator inside the test's namespace; its JSON line. */
function flood(args: string[]): {sent: number; complete: boolean} {
  return JSON.parse(execFileSync('ip', ['netns', 'exec', ns.name, GEN, ...args], {encoding: 'utf8'}))
}

/** Every stats record of a --flows run accounts for each packet matched: in a flow or in overflow. */
function assertExact(records: SidecarRecord[]) {
  let flowPackets = 0
  const all = stats(records)
  for (const r of records) {
    if (r.type === 'flow') flowPackets += r.packets
    if (r.type !== 'stats') continue
    const s = r as StatsRecord & {flow_packets: number; overflow: number}
    assert.is(s.flow_packets, flowPackets, 'flow_packets counts the flow records before it')
    assert.is(flowPackets + s.overflow, s.matched, `interval ending ${s.ts}: flows ${flowPackets} + overflow ${s.overflow} != matched ${s.matched}`)
  }
  assert.ok(all.at(-1)!.final)
  return all.length
}

engine('engine :: packets and flows in one run: per flow, the flow records add up to the packet records', async () => {
  const run = await startSidecar(['-i', 'lo', '--flows', '--interval', '100', '--filter', 'udp'])
  const sent = [[5, 100], [7, 300], [11, 1000]] as const
  const ports = []
  for (const [count, size] of sent) ports.push(await sendUdp('127.0.0.1', count, size))
  const {records, packets, code} = await run.finish()
  assert.is(code, 0)
  for (const [i, [count, size]] of sent.entries()) {
    const k = key(ports[i])
    const mine = packets.filter((p) => key(p) === k)
    const flowed = flows(records).filter((f) => key(f) === k)
    assert.is(mine.length, count)
    assert.is(mine.reduce((n, p) => n + p.len, 0), count * (size + 42))
    assert.is(flowed.reduce((n, f) => n + f.packets, 0), count, `flow ${k}`)
    assert.is(flowed.reduce((n, f) => n + f.bytes, 0), count * (size + 42), `flow ${k}`)
    assert.ok(flowed.every((f) => f.first <= f.last))
  }
  assertExact(records)
})

engine('engine :: capture --flows 200ms --json: packets and flow records in one stream, each flow adding up', async () => {
  const proc = startProc(CLI, ['capture', '-i', 'lo', '--flows', '200ms', '--json', 'udp'])
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  const sent = [[3, 50], [6, 200], [9, 700]] as const
  const ports = []
  for (const [count, size] of sent) ports.push(await sendUdp('127.0.0.1', count, size))
  assert.is((await proc.stop('SIGINT')).code, 0)
  const records = parse(proc.stdout)
  assert.is(records.at(-1)!.type, 'stats')
  for (const [i, [count, size]] of sent.entries()) {
    const k = key(ports[i])
    const packets = records.filter((r): r is PacketRecord => r.type === 'packet' && key(r) === k)
    const flowed = flows(records).filter((f) => key(f) === k)
    assert.is(packets.length, count)
    assert.is(flowed.reduce((n, f) => n + f.packets, 0), count)
    assert.is(flowed.reduce((n, f) => n + f.bytes, 0), packets.reduce((n, p) => n + p.len, 0))
    assert.is(packets[0].len, size + 42)
  }
  assertExact(records)
})

engine('engine :: a 2M-packet flood of one flow: exact in every interval, all of it in flows', async () => {
  const run = await startSidecar(['--flows', '--no-packets', '--interval', '200', '--filter', 'udp'], ns.name)
  const {sent, complete} = flood(['-n', '2000000'])
  const {records, final, code} = await run.finish()
  assert.is(code, 0)
  assert.ok(complete)
  assert.ok(assertExact(records) >= 2, 'more than one interval')
  assert.is(final.matched, sent)
  assert.is((final as StatsRecord & {overflow: number}).overflow, 0)
  assert.is(flows(records).reduce((n, f) => n + f.packets, 0), sent)
})

engine('engine :: 100k flows into a 4096-entry table: the rest is overflow, never lost', async () => {
  const run = await startSidecar(['--flows', '--no-packets', '--flow-entries', '4096', '--interval', '200', '--filter', 'udp'], ns.name)
  const {sent} = flood(['-n', '500000', '-f', '100000'])
  const {records, final} = await run.finish()
  assert.ok(assertExact(records) >= 2, 'more than one interval')
  assert.is(final.matched, sent)
  const overflow = (final as StatsRecord & {overflow: number}).overflow
  assert.ok(overflow > 0, 'a full table counts overflow')
  // no interval holds more flows than the table
  let batch = 0
  for (const r of records) {
    if (r.type === 'flow') batch++
    if (r.type === 'stats') {
      assert.ok(batch <= 4096, `${batch} flows in one interval`)
      batch = 0
    }
  }
})

engine('engine :: a stalled reader with -d 2: nothing after the deadline, the final stats when it reads again', async () => {
  const child = spawn(...inNetns(ns.name, SIDECAR, ['-d', '2', '--ring-size', '64K', '--filter', 'udp']), {stdio: ['ignore', 'pipe', 'pipe']})
  const chunks: Buffer[] = []
  let stalled = false
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      chunks.push(d)
      if (!stalled && Buffer.concat(chunks).includes('\n')) {
        stalled = true
        child.stdout.pause() // the reader stalls, once
        resolve()
      }
    })
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  await ready
  const readyRecord = JSON.parse(Buffer.concat(chunks).toString().split('\n')[0])
  // a flood of about 4 s: past the deadline, into a reader that takes nothing
  flood(['-n', '1500000', '-t', '8'])
  child.stdout.resume()
  const code = await exited
  assert.is(code, 0)
  const records = parse(Buffer.concat(chunks).toString().split('\n'))
  const packets = records.filter((r): r is PacketRecord => r.type === 'packet')
  const final = stats(records).at(-1)!
  assert.ok(final.final, 'the final stats came')
  assert.is(final.emitted + final.dropped, final.matched)
  assert.is(final.written, final.emitted)
  assert.is(packets.length, final.written)
  assert.ok(final.dropped > 0, 'a stalled reader means drops')
  const last = Math.max(...packets.map((p) => p.ts))
  assert.ok(last <= readyRecord.ts + 2.1, `a packet stamped ${(last - readyRecord.ts).toFixed(3)} s after ready, with -d 2`)
})

engine('engine :: stdout on /dev/full: one sentence, exit 1; a reader that leaves: exit 0', () => {
  const full = spawnSyncShell(`${SIDECAR} -i lo -d 0.3 > /dev/full`)
  assert.is(full.status, 1)
  assert.is(full.stderr, 'sockwatch-sidecar: cannot write to standard output: No space left on device\n')
  const head = spawnSyncShell(`${SIDECAR} -i lo -d 1.5 | head -1 > /dev/null; echo "\${PIPESTATUS[0]}"`)
  assert.is(head.stdout.trim(), '0')
})

function spawnSyncShell(script: string) {
  try {
    const stdout = execFileSync('bash', ['-c', script], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    return {status: 0, stdout, stderr: ''}
  } catch (error) {
    const e = error as {status: number; stdout: string; stderr: string}
    return {status: e.status, stdout: e.stdout, stderr: e.stderr}
  }
}

engine('engine :: inside a time namespace a day ahead, packets carry the wall-clock time', async () => {
  const proc = startProc('ip', ['netns', 'exec', ns.name, 'unshare', '--time', '--monotonic=86400', '--boottime=86400', '--fork', SIDECAR, '-i', 'lo', '-c', '2', '--filter', 'icmp'])
  await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
  execFileSync('ip', ['netns', 'exec', ns.name, 'ping', '-c', '1', '-W', '1', '127.0.0.1'], {stdio: 'ignore'})
  const now = Date.now() / 1000
  assert.is((await proc.exited).code, 0)
  const packets = parse(proc.stdout).filter((r): r is PacketRecord => r.type === 'packet')
  assert.is(packets.length, 2)
  for (const p of packets) assert.ok(Math.abs(p.ts - now) < 1, `stamped ${(p.ts - now).toFixed(3)} s from the wall clock`)
})

engine('engine :: a rename shows at once; a deleted interface keeps its last name', async () => {
  const pair: VethPair = makeVethPair('ren')
  try {
    const ipA = (...args: string[]) => execFileSync('ip', ['-n', pair.nsA, ...args])
    const run = await startSidecar(['--filter', 'udp'], pair.nsA)
    // one flow before and after: the writer's copy of its interface-to-ports text must not outlive the name
    sendUdpFrom(pair.nsB, pair.addrA, 7777, 2, 100, 7778)
    await run.proc.waitFor('stdout', (l) => l.includes('"type":"packet"'))
    ipA('link', 'set', pair.ifA, 'down')
    ipA('link', 'set', pair.ifA, 'name', 'swrenamed')
    ipA('link', 'set', 'swrenamed', 'up')
    sendUdpFrom(pair.nsB, pair.addrA, 7777, 3, 100, 7778)
    await run.proc.waitFor('stdout', (l) => l.includes('"ifname":"swrenamed"'))
    const ifindex = JSON.parse(run.proc.stdout.find((l) => l.includes('"type":"packet"'))!).ifindex
    pair.remove() // deletes both namespaces, and the veth with them
    const {packets} = await run.finish()
    const named = (name: string) => packets.filter((p) => p.ifindex === ifindex && p.ifname === name && p.family === 4).length
    assert.ok(named(pair.ifA) >= 2, `before the rename: ${named(pair.ifA)}`)
    assert.ok(named('swrenamed') >= 3, `after it: ${named('swrenamed')}`)
    assert.not.ok(packets.some((p) => /^if\d+$/.test(p.ifname)), 'a name like if7 for a known interface')
  } finally {
    pair.remove()
  }
})

engine('engine :: an interface with ifindex 5000 costs no socket or ioctl call a packet', async () => {
  const peer = makeNetns('eng5k')
  const dir = mkdtempSync(join(tmpdir(), 'sockwatch-strace-'))
  try {
    execFileSync('ip', ['link', 'add', 'sw5000', 'index', '5000', 'netns', ns.name, 'type', 'veth', 'peer', 'name', 'sw5001', 'index', '5001', 'netns', peer.name])
    execFileSync('ip', ['-n', ns.name, 'addr', 'add', '198.51.100.1/24', 'dev', 'sw5000'])
    execFileSync('ip', ['-n', peer.name, 'addr', 'add', '198.51.100.2/24', 'dev', 'sw5001'])
    execFileSync('ip', ['-n', ns.name, 'link', 'set', 'sw5000', 'up'])
    execFileSync('ip', ['-n', peer.name, 'link', 'set', 'sw5001', 'up'])
    const trace = join(dir, 'strace')
    // -c 500: the sidecar ends by itself, and strace then writes its table; --no-process: the
    // owner seeding's sock_diag sockets (one a namespace on the host) are start-up, not per packet
    const proc = startProc('ip', ['netns', 'exec', ns.name, 'strace', '-f', '-c', '-e', 'trace=socket,ioctl', '-o', trace, SIDECAR, '-i', 'sw5000', '-c', '500', '--no-process', '--filter', 'udp'])
    await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
    sendUdpFrom(peer.name, '198.51.100.1', 7777, 500, 64)
    assert.is((await proc.exited).code, 0)
    const packets = parse(proc.stdout).filter((r): r is PacketRecord => r.type === 'packet')
    assert.is(packets.length, 500)
    assert.ok(packets.every((p) => p.ifindex === 5000 && p.ifname === 'sw5000'), 'named from the resolver')
    const rows = readFileSync(trace, 'utf8').split('\n').map((l) => l.trim().split(/\s+/))
    const calls = Object.fromEntries(rows.filter((f) => /^(socket|ioctl)$/.test(f.at(-1)!)).map((f) => [f.at(-1), Number(f[3])]))
    assert.ok(calls.socket >= 1, `strace saw the packet socket made: ${JSON.stringify(calls)}`)
    assert.ok(calls.socket + (calls.ioctl ?? 0) < 30, `${JSON.stringify(calls)} for ${packets.length} packets`)
  } finally {
    peer.remove()
    rmSync(dir, {recursive: true, force: true})
  }
})

// libbpf parses the kernel's BTF (5 MB, ~11 ms of a 20 ms start) for an object with CO-RE
// relocations; only the fentry/kprobe route's programs have them, so only that route reads it
engine('engine :: the kernel\'s BTF is read on the fentry/kprobe route only: not on the cgroup route, nor with --no-process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockwatch-btf-'))
  try {
    const cases: [string[], boolean][] = [[[], false], [['--no-process'], false], [['--owner-route', 'cgroup'], false], [['--owner-route', 'kprobe'], true]]
    for (const [args, reads] of cases) {
      const trace = join(dir, 'trace')
      const [cmd, argv] = inNetns(ns.name, 'strace', ['-f', '-e', 'trace=openat', '-o', trace, SIDECAR, '-i', 'lo', '-d', '0.05', '--stats-interval', '0', ...args])
      const out = execFileSync(cmd, argv, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
      const ready = JSON.parse(out.split('\n')[0]) as {type: string; process: boolean; process_route?: string}
      assert.is(ready.type, 'ready')
      // the routes this kernel can take attribute; the kprobe route here loads and fails to attach (no kprobes)
      if (args.length === 0 || args[1] === 'cgroup') assert.equal([ready.process, ready.process_route], [true, 'cgroup'], args.join(' '))
      assert.is(readFileSync(trace, 'utf8').includes('/sys/kernel/btf/vmlinux'), reads, `${args.join(' ') || 'default'}: the kernel's BTF read: ${!reads}`)
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})

engine('engine :: an interface name that is not UTF-8 still makes valid UTF-8 JSON', async () => {
  // "sw", a byte that is never UTF-8, and a 2-byte lead cut off: only bash can pass such an argv
  const BAD = `"$(printf 'sw\\xff\\xc3')"`
  const sh = (script: string) => execFileSync('bash', ['-c', script], {stdio: 'pipe'})
  sh(`ip -n ${ns.name} link add ${BAD} type veth peer name swutf && ip -n ${ns.name} link set ${BAD} up && ip -n ${ns.name} link set swutf up && ip -n ${ns.name} addr add 203.0.113.2/24 dev swutf`)
  try {
    const child = spawn(...inNetns(ns.name, SIDECAR, ['-c', '1', '--filter', 'inbound and arp']), {stdio: ['ignore', 'pipe', 'inherit']})
    const chunks: Buffer[] = []
    const exited = new Promise((resolve) => child.on('close', resolve))
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      chunks.push(d)
      resolve()
    }))
    // an ARP request out of swutf arrives on its peer, the badly named one
    sh(`ip netns exec ${ns.name} ping -c 1 -W 1 203.0.113.9 || true`)
    child.stdout.on('data', (d: Buffer) => chunks.push(d))
    await exited
    const text = new TextDecoder('utf-8', {fatal: true}).decode(Buffer.concat(chunks))
    const packet = parse(text.split('\n')).find((r): r is PacketRecord => r.type === 'packet')!
    assert.is(packet.ifname, 'sw\ufffd\ufffd')
  } finally {
    sh(`ip -n ${ns.name} link del swutf`)
  }
})

engine.run()
