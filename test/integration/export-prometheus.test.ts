// `sockwatch export --prometheus` scraped by a real prometheus (Debian's), in a
// namespace the test makes: after known traffic, the totals prometheus stored
// (read through its HTTP API) equal the packets and bytes sent, and the per-key
// series stay within --top plus "other".
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI} from '../helpers/integration-capture.js'
import {cgroup2Root} from '../helpers/integration-cgroup.js'
import {startPrometheus, until, type Prometheus} from '../helpers/integration-collectors.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const prom = suite('export-prometheus')
const ctx = {} as {ns: {name: string; remove(): void}; dir: string; exp: Proc; prometheus: Prometheus; prometheus2?: Prometheus; cgroupBase?: string}
const METRICS_PORT = 9469
const COMM_PORT = 9470
const CONTAINER_PORT = 9471
const WEB_PORT = 9090
// below the ephemeral range, so no sender's port falls in the filter's range
const RX_PORT = 20471
const CONTAINER = 'ef'.repeat(32)
const PEER = fileURLToPath(new URL('../helpers/owner-peer.py', import.meta.url))

/** Every process a test starts, stopped in after() even when an assertion failed half-way. */
const started: Proc[] = []
const track = (p: Proc) => {
  started.push(p)
  return p
}
const nsenter = (argv: string[], options = {}) => startProc('nsenter', [`--net=/run/netns/${ctx.ns.name}`, ...argv], options)

prom.before(async () => {
  preflight(['ip', 'nsenter', 'python3', 'prometheus', 'curl'])
  ctx.ns = makeNetns('prom')
  ctx.dir = mkdtempSync(join(tmpdir(), 'sockwatch-prom-'))
  // the scrapes and the API queries are TCP on lo too: only UDP is counted
  ctx.exp = startProc('ip', ['netns', 'exec', ctx.ns.name, CLI, 'export', '--prometheus', `127.0.0.1:${METRICS_PORT}`, '-i', 'lo', '--by', 'dport', '--top', '2', 'udp'])
  await ctx.exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  ctx.prometheus = await startPrometheus(ctx.ns.name, ctx.dir, WEB_PORT, METRICS_PORT)
})

prom.after(async () => {
  await ctx.exp?.stop('SIGTERM')
  await ctx.prometheus?.stop()
  await ctx.prometheus2?.stop()
  await Promise.all(started.map((p) => p.stop('SIGKILL', 2000)))
  // leaves first: a cgroup directory goes only when empty
  for (const sub of ctx.cgroupBase ? ['a', `docker-${CONTAINER}.scope`, 'c', ''] : []) {
    try {
      rmdirSync(join(cgroup2Root(), ctx.cgroupBase!, sub))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  ctx.ns?.remove()
  rmSync(ctx.dir, {recursive: true, force: true})
})

prom('prometheus :: the endpoint serves /metrics in the exposition format, and 404 elsewhere', () => {
  const get = (path: string) => execFileSync('ip', ['netns', 'exec', ctx.ns.name, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${METRICS_PORT}${path}`], {encoding: 'utf8'})
  assert.is(get('/metrics'), '200')
  assert.is(get('/'), '404')
  const text = execFileSync('ip', ['netns', 'exec', ctx.ns.name, 'curl', '-s', `http://127.0.0.1:${METRICS_PORT}/metrics`], {encoding: 'utf8'})
  assert.match(text, /^# TYPE sockwatch_packets_total counter$/m)
  assert.match(text, /^sockwatch_dropped_packets_total\{reason="ring_full"\} 0$/m)
})

prom('prometheus :: a real prometheus scrapes totals equal to the packets and bytes sent; per-key series stay within --top', async () => {
  const sent = [[300, 100], [200, 50], [100, 10], [50, 20]].map(([n, size]) => ({n, size, ...sendUdpFrom(ctx.ns.name, '127.0.0.1', 'sink', n, size)}))
  const packets = sent.reduce((s, x) => s + x.n, 0)
  const bytes = sent.reduce((s, x) => s + x.n * (14 + 20 + 8 + x.size), 0)
  // the kernel's table is read every second, prometheus scrapes every second
  await until(`prometheus to store sockwatch_packets_total = ${packets}`, async () => ((await ctx.prometheus.query('sockwatch_packets_total')) === packets ? true : undefined), 20_000)
  assert.is(await ctx.prometheus.query('sockwatch_bytes_total'), bytes)
  assert.is(await ctx.prometheus.query('sum(sockwatch_dropped_packets_total)'), 0)
  await until('per-key series to add up', async () => ((await ctx.prometheus.query('sum(sockwatch_flow_packets_total)')) === packets ? true : undefined), 10_000)
  // --top 2: the two heaviest destination ports of the interval get a series, the rest is "other"
  assert.is(await ctx.prometheus.query('count(sockwatch_flow_packets_total)'), 3)
  assert.is(await ctx.prometheus.query(`sockwatch_flow_bytes_total{dport="${sent[0].dport}"}`), 300 * 142)
  assert.is(await ctx.prometheus.query(`sockwatch_flow_packets_total{dport="${sent[1].dport}"}`), 200)
  assert.is(await ctx.prometheus.query('sockwatch_flow_packets_total{dport="other"}'), 150)
})

prom('prometheus :: --by comm and --by container: live owners as labels, within --top plus other', async () => {
  // three receivers with known names, one of them "in a container"; loopback's packets are
  // seen coming in, so each datagram's owner is the receiver's socket
  const root = cgroup2Root()
  const base = (ctx.cgroupBase = `/sw-prom-${process.pid}`)
  const cgroups = ['a', `docker-${CONTAINER}.scope`, 'c'].map((c) => `${base}/${c}`)
  for (const c of cgroups) mkdirSync(join(root, c), {recursive: true})
  const rx = await Promise.all(['sw-rx-a', 'sw-rx-b', 'sw-rx-c'].map(async (name, i) => {
    const proc = track(nsenter(['/usr/bin/python3', PEER, join(root, cgroups[i]), name, '0', 'server', String(RX_PORT + i), '127.0.0.1'], {stdio: ['pipe', 'pipe', 'pipe']}))
    await proc.waitFor('stdout', /"ready"/)
    return proc
  }))
  // only the datagrams to the receivers, not their echoes; nsenter keeps the cgroup v2 mount attribution needs
  const filter = ['udp', 'and', 'dst', 'portrange', `${RX_PORT}-${RX_PORT + 2}`]
  const byComm = track(nsenter([CLI, 'export', '--prometheus', `127.0.0.1:${COMM_PORT}`, '-i', 'lo', '--by', 'comm', '--top', '2', ...filter]))
  const byContainer = track(nsenter([CLI, 'export', '--prometheus', `127.0.0.1:${CONTAINER_PORT}`, '-i', 'lo', '--by', 'container', '--top', '2', ...filter]))
  for (const p of [byComm, byContainer]) await p.waitFor('stderr', /^sockwatch: counting flows on lo/)
  const prometheus = (ctx.prometheus2 = await startPrometheus(ctx.ns.name, mkdtempSync(join(ctx.dir, 'owners-')), WEB_PORT + 1, [COMM_PORT, CONTAINER_PORT]))
  const sent = [300, 200, 100]
  sent.forEach((n, i) => sendUdpFrom(ctx.ns.name, '127.0.0.1', RX_PORT + i, n, 100))
  const q = (expr: string) => prometheus.query(expr)
  for (const port of [COMM_PORT, CONTAINER_PORT]) {
    await until(`prometheus to store every packet from :${port}`, async () => ((await q(`sum(sockwatch_flow_packets_total{instance="127.0.0.1:${port}"})`)) === 600 ? true : undefined), 20_000)
  }
  const comm = `instance="127.0.0.1:${COMM_PORT}"`
  assert.is(await q(`count(sockwatch_flow_packets_total{${comm}})`), 3)
  assert.is(await q(`sockwatch_flow_packets_total{${comm},comm="sw-rx-a"}`), 300)
  assert.is(await q(`sockwatch_flow_bytes_total{${comm},comm="sw-rx-b"}`), 200 * 142)
  assert.is(await q(`sockwatch_flow_packets_total{${comm},comm="other"}`), 100)
  // the container's series, and the host's two receivers together (no container: "-")
  const cont = `instance="127.0.0.1:${CONTAINER_PORT}"`
  assert.is(await q(`count(sockwatch_flow_packets_total{${cont}})`), 2)
  assert.is(await q(`sockwatch_flow_packets_total{${cont},container="${CONTAINER}",runtime="docker"}`), 200)
  assert.is(await q(`sockwatch_flow_packets_total{${cont},container="-",runtime="-"}`), 400)
  for (const p of [byComm, byContainer]) assert.is((await p.stop('SIGTERM')).code, 0, p.stderr.join('\n'))
  for (const p of rx) p.child.stdin!.end()
  await Promise.all(rx.map((p) => p.exited))
})

prom.run()
