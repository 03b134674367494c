// Whose traffic: real processes with known pids, names, uids and cgroups (made here under
// the cgroup v2 mount) talk over loopback and a veth pair in namespaces the test makes; the
// real sidecar must name the right process for every packet, both ways, and filter on it in
// the kernel. docs/attribution.md says how.
import {execFileSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {FlowRecord, PacketRecord, ReadyRecord, SidecarRecord, StatsRecord} from '../../src/sidecar/records.js'
import {CLI, SIDECAR} from '../helpers/integration-capture.js'
import {cgroup2Root} from '../helpers/integration-cgroup.js'
import {makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {assertSchema} from '../helpers/integration-schema.js'

const PEER = fileURLToPath(new URL('../helpers/owner-peer.py', import.meta.url))
const PORT = 47000 + (process.pid % 1000)
const HEX = 'ab'.repeat(32) // a docker container id
const NOBODY = 65534

const attr = suite('attribution')

interface Actor {
  name: string
  uid: number
  cgroup: string // from the cgroup v2 root
  proc: Proc
  pid: number
  ports: number[]
}

interface Run {
  records: SidecarRecord[]
  packets: PacketRecord[]
  ready: ReadyRecord
  final: StatsRecord
  stderr: string[]
}

const ctx = {} as {
  pair: VethPair
  root: string
  base: string
  actors: Record<string, Actor>
  runs: Record<string, Run>
  noPriv: Run
  noCgroup2: Run
  dir: string
  summaryRows: {comm: string | null; packets: number}[]
}

const inNs = (ns: string, cmd: string, args: string[]): [string, string[]] => ['nsenter', [`--net=/run/netns/${ns}`, cmd, ...args]]

/** A python peer in its own cgroup; resolves once it says ready (or done). */
async function actor(key: string, ns: string, name: string, uid: number, cgroup: string, role: string[], waitFor: 'ready' | 'done', ms = 10_000): Promise<Actor> {
  mkdirSync(join(ctx.root, cgroup), {recursive: true})
  const proc = startProc(...inNs(ns, '/usr/bin/python3', [PEER, join(ctx.root, cgroup), name, String(uid), ...role]), {stdio: ['pipe', 'pipe', 'pipe']})
  const line = await proc.waitFor('stdout', (l) => l.includes(`"${waitFor}"`), ms)
  const said = JSON.parse(line)
  const a = {name, uid, cgroup, proc, pid: said[waitFor], ports: said.ports ?? []}
  ctx.actors[key] = a
  return a
}

async function sidecar(args: string[], ns: string, bin = SIDECAR, prefix: string[] = []) {
  // nsenter first: without privilege it could not enter the namespace
  const [cmd, argv] = prefix.length ? inNs(ns, prefix[0], [...prefix.slice(1), bin, '--stats-interval', '0', ...args]) : inNs(ns, bin, ['--stats-interval', '0', ...args])
  const proc = startProc(cmd, argv)
  await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
  return proc
}

/**
 * Each route that fills the owner maps (docs/attribution.md, "Routes") captures the same
 * traffic: the cgroup v2 hooks on this namespace's mount; the same hooks on another mount
 * namespace's (the sidecar in a mount namespace of its own whose cgroup2 mount is gone, as
 * `ip netns exec` leaves it); fentry and kprobe programs, forced.
 */
const ROUTES: {run: string; route: 'cgroup' | 'fentry' | 'kprobe'}[] = [
  {run: 'all', route: 'cgroup'},
  {run: 'noMount', route: 'cgroup'},
  {run: 'fentry', route: 'fentry'},
  {run: 'kprobe', route: 'kprobe'},
]

/** Runs the sidecar in a mount namespace of its own without the cgroup v2 mount (the host's stays). */
const withoutCgroup2 = (root: string, pidns = false) => ['unshare', '--mount', '--propagation', 'private', ...(pidns ? ['--pid', '--fork', '--mount-proc'] : []), 'sh', '-c', `umount ${root} && exec "$0" "$@"`]

/** What this kernel lets a route attach, asked of bpftool (independently of the sidecar). */
function kernelAllows(route: string): boolean {
  const probe = execFileSync('bpftool', ['feature', 'probe', 'kernel'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  if (route === 'fentry') return /program_type tracing is available/.test(probe)
  if (route === 'kprobe') return /CONFIG_KPROBES is set to y/.test(probe)
  return true
}

async function finish(proc: Proc, name = ''): Promise<Run> {
  const t0 = Date.now()
  const {code, signal} = await proc.stop('SIGTERM')
  // a signal here: SIGKILL is the stop's 10 s bound; say which capture, and how long it took
  assert.equal({code, signal}, {code: 0, signal: null}, `${name}: stopped in ${Date.now() - t0} ms; stderr: ${proc.stderr.join('\n')}`)
  const records = proc.stdout.filter(Boolean).map((l) => JSON.parse(l) as SidecarRecord)
  const stats = records.filter((r): r is StatsRecord => r.type === 'stats')
  return {
    records,
    packets: records.filter((r): r is PacketRecord => r.type === 'packet'),
    ready: records.find((r): r is ReadyRecord => r.type === 'ready')!,
    final: stats[stats.length - 1],
    stderr: proc.stderr,
  }
}

attr.before(async () => { try { await setup() } catch (e) { console.error(e); throw e } })
async function setup() {
  preflight(['ip', 'nsenter', 'python3', 'setpriv', 'setcap', 'unshare', 'bpftool'])
  ctx.actors = {}
  ctx.runs = {}
  ctx.root = cgroup2Root()
  ctx.base = `/sw-attr-${process.pid}`
  const pair = (ctx.pair = makeVethPair('at'))
  const ns = pair.nsA
  // before the capture: the server, and a connection that is already open
  await actor('server', ns, 'sw-srv', 0, `${ctx.base}/srv`, ['server', String(PORT), '127.0.0.1', '::1', pair.addrA, pair.addr6A], 'ready')
  const held = await actor('held', ns, 'sw-held', 0, `${ctx.base}/held`, ['hold', String(PORT), '127.0.0.1'], 'ready')
  const s = ctx.actors.server
  mkdirSync(join(ctx.root, ctx.base, `docker-${HEX}.scope`)) // the filters resolve it at start
  const procs = {
    all: await sidecar(['-i', 'lo', '-i', pair.ifA], ns),
    byPid: await sidecar(['-i', 'lo', '-i', pair.ifA, '--pid', String(held.pid), '--pid', String(s.pid)], ns),
    byComm: await sidecar(['-i', 'lo', '-i', pair.ifA, '--comm', 'sw-burst'], ns),
    byCgroup: await sidecar(['-i', 'lo', '-i', pair.ifA, '--cgroup', `${ctx.base}/docker-${HEX}.scope`], ns),
    byContainer: await sidecar(['-i', 'lo', '-i', pair.ifA, '--container', HEX.slice(0, 12)], ns),
    // flows read once, at the end: within the 60 s a released socket still answers
    flows: await sidecar(['-i', 'lo', '-i', pair.ifA, '--flows', '--no-packets', '--interval', '600000'], ns),
    noMount: await sidecar(['-i', 'lo', '-i', pair.ifA], ns, SIDECAR, withoutCgroup2(ctx.root)),
    fentry: await sidecar(['-i', 'lo', '-i', pair.ifA, '--owner-route', 'fentry'], ns),
    kprobe: await sidecar(['-i', 'lo', '-i', pair.ifA, '--owner-route', 'kprobe'], ns),
  }
  // the CLI's live summary per process name, from the kernel's flow counts
  const summary = startProc(...inNs(ns, CLI, ['summary', '-i', 'lo', '--by', 'comm', '--json']))
  await summary.waitFor('stderr', /^sockwatch: counting flows/)
  held.proc.child.stdin!.write('go\n')
  await held.proc.waitFor('stdout', /exchanged/)
  await actor('client', ns, 'sw-client', NOBODY, `${ctx.base}/docker-${HEX}.scope`, ['client', String(PORT), '127.0.0.1', '::1'], 'done')
  await actor('burst', ns, 'sw-burst', 0, `${ctx.base}/burst`, ['burst', String(PORT), '127.0.0.1', '1000'], 'done', 120_000)
  await actor('exit', ns, 'sw-exit', 0, `${ctx.base}/exit`, ['exit-mid', String(PORT), '127.0.0.1'], 'done')
  await actor('remote', pair.nsB, 'sw-remote', 0, `${ctx.base}/remote`, ['client', String(PORT), pair.addrA, pair.addr6A], 'done')
  for (const a of Object.values(ctx.actors)) a.proc.child.stdin?.end()
  for (const a of Object.values(ctx.actors)) await a.proc.exited
  // a last datagram: once the unfiltered capture has it, every capture has all before it
  execFileSync(...inNs(ns, 'python3', ['-c', `import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'end', ('127.0.0.1', ${PORT + 1}))`]))
  for (const r of ROUTES) await procs[r.run as keyof typeof procs].waitFor('stdout', (l) => l.includes(`"dport":${PORT + 1}`))
  // every capture stopped before any failure is thrown: a failed setup leaves none running
  const finished: [string, Run | Error][] = []
  for (const [k, p] of Object.entries(procs)) finished.push([k, await finish(p, k).catch((error: Error) => error)])
  for (const [k, r] of finished) {
    if (r instanceof Error) throw r
    ctx.runs[k] = r
  }
  assert.is((await summary.stop('SIGINT')).code, 0, summary.stderr.join('\n'))
  ctx.summaryRows = summary.stdout.filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'row')

  // without CAP_NET_ADMIN: a copy carrying only CAP_BPF and CAP_NET_RAW, run as nobody
  ctx.dir = mkdtempSync(join(tmpdir(), 'sockwatch-attr-'))
  chmodSync(ctx.dir, 0o755)
  const bin = join(ctx.dir, 'sockwatch-sidecar')
  copyFileSync(SIDECAR, bin)
  chmodSync(bin, 0o755)
  execFileSync('setcap', ['cap_bpf,cap_net_raw+ep', bin])
  const noPriv = await sidecar(['-i', 'lo', '-c', '2'], ns, bin, ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=-all'])
  await actor('late', ns, 'sw-late', 0, `${ctx.base}/late`, ['client', String(PORT + 2), '127.0.0.1'], 'ready', 2000).catch(() => undefined)
  execFileSync(...inNs(ns, 'python3', ['-c', `import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', ${PORT + 3}))`]))
  await noPriv.exited
  const records = noPriv.stdout.filter(Boolean).map((l) => JSON.parse(l) as SidecarRecord)
  ctx.noPriv = {records, packets: records.filter((r): r is PacketRecord => r.type === 'packet'), ready: records[0] as ReadyRecord, final: records[records.length - 1] as StatsRecord, stderr: noPriv.stderr}

  // no cgroup v2 mount anywhere it can see: its own mount and PID namespaces (no other
  // namespace's /proc/PID/root to borrow one from); the sidecar picks fentry or kprobe itself
  const bare = await sidecar(['-i', 'lo', '-c', '1', '--filter', `udp port ${PORT + 4}`], ns, SIDECAR, withoutCgroup2(ctx.root, true))
  execFileSync(...inNs(ns, 'python3', ['-c', `import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', ${PORT + 4}))`]))
  ctx.noCgroup2 = await finish(bare)
}

attr.after(() => {
  for (const a of Object.values(ctx.actors ?? {})) a.proc.child.kill('SIGKILL')
  ctx.pair?.remove()
  if (ctx.dir) rmSync(ctx.dir, {recursive: true, force: true})
  // leaves first: a cgroup directory goes only when empty
  for (const sub of ['srv', 'held', `docker-${HEX}.scope`, 'burst', 'exit', 'remote', 'late', '']) {
    try {
      rmdirSync(join(ctx.root, ctx.base, sub))
    } catch {
      // never made, or its process is still being reaped
    }
  }
})

/** Who owns each local (proto, port) in namespace A: the server its port, the clients theirs. */
function owners(): Map<string, Actor> {
  const m = new Map<string, Actor>()
  const {server, held, client, burst, exit} = ctx.actors
  // keyed by family too: loopback lets a v4 connection take a port a v6 one left in TIME_WAIT
  for (const proto of ['tcp', 'udp']) for (const family of [4, 6]) m.set(`${proto}${family}:${PORT}`, server)
  for (const p of held.ports.concat(burst.ports, exit.ports)) m.set(`tcp4:${p}`, p === held.ports[0] ? held : burst.ports.includes(p) ? burst : exit)
  // the client: per address a TCP port, then two UDP ones
  client.ports.forEach((p, i) => m.set(`${i % 3 === 0 ? 'tcp' : 'udp'}${i < 3 ? 4 : 6}:${p}`, client))
  return m
}

const ours = (p: PacketRecord | FlowRecord) => (p.proto === 'tcp' || p.proto === 'udp') && (p.sport === PORT || p.dport === PORT)

/** Which case of the table a packet belongs to. */
function caseOf(p: PacketRecord, own: Map<string, Actor>): string {
  if (p.ifname !== 'lo') return `veth ${p.proto} v${p.family}`
  const client = own.get(`${p.proto}${p.family}:${p.sport === PORT ? p.dport : p.sport}`)
  const who = client?.name ?? '?'
  return `lo ${p.proto} v${p.family} ${who}`
}

/** The pass mark: every packet of the test flows names the right owner (and peer), none wrongly, 99.9% in full. */
function assertAttributed(run: Run) {
  assertSchema(run.records)
  assert.is(run.ready.process, true)
  const own = owners()
  const table = new Map<string, {packets: number; attributed: number; wrong: number}>()
  const wrong: string[] = []
  const unattributed: string[] = [] // no owner, or no peer where there is one: named when the bound fails
  for (const p of run.packets.filter(ours)) {
    const local = p.ifname === 'lo' ? own.get(`${p.proto}${p.family}:${p.dport}`) : ctx.actors.server
    // the other end: on loopback the sender; on the veth the remote client, a process in
    // the other namespace of this host
    const peer = p.ifname === 'lo' ? own.get(`${p.proto}${p.family}:${p.sport}`) : ctx.actors.remote
    const row = table.get(caseOf(p, own)) ?? {packets: 0, attributed: 0, wrong: 0}
    table.set(caseOf(p, own), row)
    row.packets++
    if (p.pid === null) {
      unattributed.push(JSON.stringify(p))
      continue
    }
    const owner = local && p.pid === local.pid && p.comm === local.name && p.uid === local.uid && p.cgroup === local.cgroup
    // a peer named is the right one; a peer not found (rare: see docs/attribution.md) is
    // unattributed in part, never wrong, and counts against the 99.9%
    const peerOk = peer ? p.peer_pid === peer.pid && p.peer_comm === peer.name : p.peer_pid === undefined
    const peerMissing = peer !== undefined && p.peer_pid === undefined
    if (owner && peerOk) row.attributed++
    else if (owner && peerMissing) unattributed.push(JSON.stringify(p))
    else {
      row.wrong++
      wrong.push(JSON.stringify(p))
    }
  }
  console.log(`\n| case | packets | attributed | wrong |\n|---|---|---|---|\n${[...table].sort().map(([k, r]) => `| ${k} | ${r.packets} | ${r.attributed} | ${r.wrong} |`).join('\n')}`)
  assert.equal(wrong.slice(0, 3), [], `${wrong.length} packets with a wrong owner`)
  const total = [...table.values()].reduce((n, r) => n + r.packets, 0)
  const attributed = [...table.values()].reduce((n, r) => n + r.attributed, 0)
  assert.ok(total > 1000 * 9, `the burst alone makes 9+ packets a connection; got ${total}`)
  assert.ok(attributed / total >= 0.999, `${attributed} of ${total} attributed; e.g. ${unattributed.slice(0, 3).join(' ')}`)
  for (const c of ['lo tcp v4 sw-client', 'lo tcp v6 sw-client', 'lo udp v4 sw-client', 'lo udp v6 sw-client', 'lo tcp v4 sw-held', 'lo tcp v4 sw-burst', 'lo tcp v4 sw-exit', 'veth tcp v4', 'veth tcp v6', 'veth udp v4', 'veth udp v6']) {
    assert.ok(table.get(c)?.packets, `no packets for ${c}`)
  }
}

attr('attribution :: every packet of the test flows has the right pid, comm, uid and cgroup, both ways, and peer_* on loopback and across the veth', () => {
  assert.is(ctx.runs.all.ready.process_route, 'cgroup')
  assertAttributed(ctx.runs.all)
})

for (const {run: name, route} of ROUTES.slice(1)) {
  attr(`attribution :: route ${route} (${name}): the same pass mark on the same traffic, or the kernel refuses it and the sidecar says so`, () => {
    const run = ctx.runs[name]
    if (run.ready.process === false && route !== 'cgroup') {
      // this kernel cannot attach the route's programs: bpftool must agree, the reason must
      // say it, and the capture runs with null owners
      assert.not.ok(kernelAllows(route), `the sidecar says "${run.ready.process_off}", but bpftool says this kernel allows ${route}`)
      assert.match(run.ready.process_off ?? '', route === 'fentry' ? /cannot attach fentry programs/ : /no kprobes/)
      const mine = run.packets.filter(ours)
      assert.ok(mine.length > 9000, `${mine.length} packets`)
      assert.ok(mine.every((p) => p.pid === null && p.comm === null))
      return
    }
    assert.is(run.ready.process_route, route)
    assertAttributed(run)
  })
}

attr('attribution :: with no cgroup v2 mount it can reach, the sidecar takes fentry or kprobe by itself, or says why it cannot', () => {
  const run = ctx.noCgroup2
  assert.is(run.packets.length, 1)
  const usable = ['fentry', 'kprobe'].filter(kernelAllows)
  if (usable.length) {
    assert.is(run.ready.process_route, usable[0], JSON.stringify(run.ready))
    assert.is(run.packets[0].comm, 'python3')
  } else {
    assert.is(run.ready.process, false)
    assert.match(run.ready.process_off ?? '', /no cgroup v2 mount .*neither fentry programs .* nor kprobes/)
    assert.is(run.packets[0].pid, null)
    assert.is(run.stderr.filter((l) => l.includes('process attribution is off')).length, 1)
  }
})

attr('attribution :: a docker-<64 hex>.scope cgroup names the container; the host has none', () => {
  const run = ctx.runs.all
  const client = run.packets.filter((p) => ours(p) && p.pid === ctx.actors.client.pid)
  assert.ok(client.length > 0)
  assert.ok(client.every((p) => p.container === HEX && p.runtime === 'docker'))
  const host = run.packets.filter((p) => ours(p) && p.pid !== null && p.pid !== ctx.actors.client.pid)
  assert.ok(host.length > 0)
  assert.ok(host.every((p) => p.container === null && p.runtime === undefined))
})

attr('attribution :: flow records carry the owner of their packets, read from the same maps', () => {
  const ourFlows = ctx.runs.flows.records.filter((r): r is FlowRecord => r.type === 'flow').filter(ours)
  const packets = ctx.runs.all.packets.filter(ours)
  assert.is(ourFlows.reduce((n, f) => n + f.packets, 0), packets.length)
  // every flow names the owner its packets name
  const key = (p: PacketRecord | FlowRecord) => `${p.ifname} ${p.dir} ${p.proto} ${p.src} ${p.sport} ${p.dst} ${p.dport}`
  const owner = new Map(packets.map((p) => [key(p), `${p.pid} ${p.comm} ${p.uid} ${p.cgroup} ${p.peer_pid} ${p.peer_comm}`]))
  const wrong = ourFlows.filter((f) => owner.get(key(f)) !== `${f.pid} ${f.comm} ${f.uid} ${f.cgroup} ${f.peer_pid} ${f.peer_comm}`)
  assert.equal(wrong.slice(0, 3), [], `${wrong.length} of ${ourFlows.length} flows name another owner than their packets`)
})

attr('attribution :: the CLI\'s live summary --by comm counts each process\'s packets', () => {
  // on loopback a packet's owner is its receiver: sw-burst receives the server's half of its connections
  const lo = ctx.runs.all.packets.filter((p) => p.ifname === 'lo')
  for (const comm of ['sw-burst', 'sw-client', 'sw-srv']) {
    const row = ctx.summaryRows.find((r) => r.comm === comm)
    assert.ok(row, `no row for ${comm}: ${JSON.stringify(ctx.summaryRows)}`)
    assert.is(row!.packets, lo.filter((p) => p.comm === comm).length, comm)
  }
})

const filters: [string, (p: PacketRecord) => boolean][] = [
  ['byPid', (p) => [ctx.actors.held.pid, ctx.actors.server.pid].some((pid) => p.pid === pid || p.peer_pid === pid)],
  ['byComm', (p) => p.comm === 'sw-burst' || p.peer_comm === 'sw-burst'],
  ['byCgroup', (p) => p.pid === ctx.actors.client.pid || p.peer_pid === ctx.actors.client.pid],
  ['byContainer', (p) => p.pid === ctx.actors.client.pid || p.peer_pid === ctx.actors.client.pid],
]
for (const [name, want] of filters) {
  attr(`attribution :: ${name} keeps exactly the packets of its processes, in the kernel (matched counter)`, () => {
    const all = ctx.runs.all.packets.filter(want)
    const got = ctx.runs[name].packets
    assert.ok(all.length > 0)
    // two captures of the same traffic: they may differ only by packets one of them could not
    // attribute in full (a peer not found), at most 0.1% (the attribution test's bound)
    const partial = ctx.runs.all.packets.filter((p) => ours(p) && p.ifname === 'lo' && p.pid !== null && p.peer_pid === undefined).length
    assert.ok(Math.abs(got.length - all.length) <= Math.max(partial, Math.floor(all.length / 1000)), `${got.length} kept, ${all.length} in the unfiltered run (${partial} without a peer there)`)
    assert.ok(got.every(want))
    // in the kernel: the sidecar's matched counter is exactly what it wrote
    assert.is(ctx.runs[name].final.matched, got.length)
    assert.ok(ctx.runs[name].final.seen > ctx.runs[name].final.matched, 'the kernel saw more than it passed')
  })
}

attr('attribution :: without CAP_NET_ADMIN the capture runs, the fields are null, one line names the capability', () => {
  const run = ctx.noPriv
  assert.is(run.ready.process, false)
  assert.match(run.ready.process_off ?? '', 'CAP_NET_ADMIN')
  assert.is(run.packets.length, 2)
  assert.ok(run.packets.every((p) => p.pid === null && p.comm === null && p.cgroup === null))
  const lines = run.stderr.filter((l) => l.includes('process attribution is off'))
  assert.is(lines.length, 1)
  assert.match(lines[0], 'CAP_NET_ADMIN')
})

attr.run()
