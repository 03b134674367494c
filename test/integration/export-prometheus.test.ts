// `sockwatch export --prometheus` scraped by a real prometheus (Debian's), in a
// namespace the test makes: after known traffic, the totals prometheus stored
// (read through its HTTP API) equal the packets and bytes sent, and the per-key
// series stay within --top plus "other".
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI} from '../helpers/integration-capture.js'
import {startPrometheus, until, type Prometheus} from '../helpers/integration-collectors.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const prom = suite('export-prometheus')
const ctx = {} as {ns: {name: string; remove(): void}; dir: string; exp: Proc; prometheus: Prometheus}
const METRICS_PORT = 9469
const WEB_PORT = 9090

prom.before(async () => {
  preflight(['ip', 'prometheus', 'curl'])
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

prom.run()
