// The export's flow cache (active and idle timeouts over the kernel's per-interval
// flow records, bounded memory) and the Prometheus series table (at most N series
// plus "other", heaviest first, idle ones removed).
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {FlowCache, ownerOf, toMs} from '../../src/export/flow-cache.js'
import {END_REASON} from '../../src/export/ipfix/elements.js'
import {parseHostPort} from '../../src/export/ipfix/transport.js'
import {OTHER, SeriesTable} from '../../src/export/metrics.js'
import {tcpFlagBits, type FlowRecord} from '../../src/sidecar/records.js'

const cache = suite('export-cache')

const T = 1_700_000_000
const rec = (fields: Partial<FlowRecord> = {}): FlowRecord => ({
  v: 1, type: 'flow', ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 53,
  packets: 2, bytes: 200, first: T, last: T + 0.5, ...fields,
})
const opts = {activeMs: 60_000, idleMs: 15_000, maxEntries: 100}

cache('cache :: records of one flow add up; first and last span them all, in milliseconds', () => {
  const c = new FlowCache(opts)
  c.add(rec())
  c.add(rec({packets: 3, bytes: 30, first: T + 1.000001, last: T + 1.999999}))
  const [f] = c.drain()
  assert.equal([f.packets, f.bytes, f.startMs, f.endMs, f.reason, f.proto], [5, 230, T * 1000, T * 1000 + 1999, END_REASON.forcedEnd, 17])
})

cache("cache :: TCP flags: the records' letters OR into tcpControlBits (S A, then P A, then F A = 0x1b); a flow without flags has 0", () => {
  const c = new FlowCache(opts)
  for (const flags of ['S', 'A', 'PA', 'FA', undefined]) c.add(rec({proto: 'tcp', flags}))
  c.add(rec({sport: 7}))
  assert.equal(c.drain().map((f) => [f.sport, f.tcpFlags, f.packets]), [[1000, 0x1b, 10], [7, 0, 2]])
  assert.equal(['', 'F', 'S', 'R', 'P', 'A', 'U', 'E', 'C', 'FSRPAUEC', 'SA'].map((f) => tcpFlagBits(f)), [0, 1, 2, 4, 8, 16, 32, 64, 128, 255, 0x12])
})

cache('cache :: idle timeout: a flow leaves once it has seen nothing for idleMs, not a millisecond before', () => {
  const c = new FlowCache(opts)
  c.add(rec())
  const last = toMs(T + 0.5)
  assert.equal(c.expire(last + 14_999), [])
  const [f] = c.expire(last + 15_000)
  assert.equal([f.reason, f.packets, c.size], [END_REASON.idleTimeout, 2, 0])
})

cache('cache :: active timeout: a busy flow leaves at activeMs after its first packet, and starts again', () => {
  const c = new FlowCache({...opts, activeMs: 10_000})
  for (let s = 0; s < 10; s++) c.add(rec({first: T + s, last: T + s + 0.5}))
  assert.equal(c.expire(T * 1000 + 9_999), [])
  const [f] = c.expire(T * 1000 + 10_000)
  assert.equal([f.reason, f.packets, f.startMs, f.endMs], [END_REASON.activeTimeout, 20, T * 1000, T * 1000 + 9500])
  c.add(rec({first: T + 10, last: T + 10}))
  assert.equal(c.drain().map((x) => [x.packets, x.startMs]), [[2, (T + 10) * 1000]])
})

cache('cache :: the key is the whole flow key: direction, interface, ports and family make different flows', () => {
  const c = new FlowCache(opts)
  for (const r of [rec(), rec({dir: 'out'}), rec({ifindex: 2}), rec({sport: 1001}), rec({family: 6, src: '::1', dst: '::1'}), rec()]) c.add(r)
  assert.is(c.size, 5)
})

cache('cache :: full: the oldest flow leaves early as lack of resources; nothing is lost', () => {
  const c = new FlowCache({...opts, maxEntries: 2})
  assert.equal(c.add(rec({sport: 1})), [])
  assert.equal(c.add(rec({sport: 2})), [])
  const out = c.add(rec({sport: 3}))
  assert.equal(out.map((f) => [f.sport, f.reason]), [[1, END_REASON.lackOfResources]])
  assert.equal(c.drain().map((f) => f.sport), [2, 3])
})

cache('cache :: non-IP flows keep their ethertype; protocol names become numbers', () => {
  const c = new FlowCache(opts)
  c.add(rec({family: 0, proto: 'arp', ethertype: 0x0806, src: undefined, dst: undefined, sport: undefined, dport: undefined}))
  c.add(rec({proto: 'icmp6', family: 6, src: '::1', dst: '::1', sport: undefined, dport: undefined}))
  c.add(rec({proto: 132}))
  assert.equal(c.drain().map((f) => [f.family, f.proto, f.ethertype]), [[0, 0, 0x0806], [6, 58, 0], [4, 132, 0]])
})

cache('cache :: owner fields (issue 16) travel when the record has them; a record without pid has no owner', () => {
  assert.is(ownerOf(rec()), undefined)
  assert.is(ownerOf({...rec(), pid: null}), undefined)
  assert.equal(ownerOf({...rec(), pid: 7, comm: 'curl', uid: 0, cgroup: '/a', container: null}), {pid: 7, comm: 'curl', uid: 0, cgroup: '/a', container: null})
  const c = new FlowCache(opts)
  c.add({...rec(), pid: 7, comm: 'curl'})
  c.add({...rec(), pid: 8, comm: 'wget'})
  assert.equal(c.drain().map((f) => f.owner?.pid), [7, 8])
})

cache('series :: at most top series; the interval\'s heaviest keys take the places, the rest is "other"', () => {
  const t = new SeriesTable('dport', 2, 60_000)
  for (const [dport, bytes] of [[53, 10], [443, 1000], [80, 500], [22, 5]] as const) t.add(rec({dport, bytes, packets: 1}))
  const {increments} = t.settle(0)
  assert.equal(increments.map((e) => [e.labels.dport, e.packets, e.bytes]), [['443', 1, 1000], ['80', 1, 500], [OTHER, 2, 15]])
  // a place once taken is kept while its key has traffic; a new heavy key waits in "other"
  t.add(rec({dport: 9999, bytes: 10 ** 6}))
  t.add(rec({dport: 80, bytes: 1}))
  assert.equal(t.settle(1000).increments.map((e) => e.labels.dport), ['80', OTHER])
})

cache('series :: a series idle for idleMs is removed and its place goes to the next key', () => {
  const t = new SeriesTable('proto', 1, 60_000)
  t.add(rec({proto: 'udp'}))
  t.settle(0)
  t.add(rec({proto: 'tcp'}))
  assert.equal(t.settle(59_999).increments.map((e) => e.labels.proto), [OTHER])
  t.add(rec({proto: 'tcp'}))
  const {increments, removed} = t.settle(60_000)
  assert.equal([removed.map((l) => l.proto), increments.map((e) => e.labels.proto)], [['udp'], ['tcp']])
})

cache('series :: labels per --by; a missing port is "-"', () => {
  const t = new SeriesTable('flow', 5, 1000)
  assert.equal(t.labelNames(), ['family', 'proto', 'src', 'sport', 'dst', 'dport'])
  t.add(rec({proto: 'icmp', sport: undefined, dport: undefined}))
  assert.equal(t.settle(0).increments[0].labels, {family: '4', proto: 'icmp', src: '10.0.0.1', sport: '-', dst: '10.0.0.2', dport: '-'})
})

cache('collector :: HOST:PORT and [IPv6]:PORT; anything else is one sentence quoting it', () => {
  assert.equal(parseHostPort('127.0.0.1:4739', '--ipfix'), {host: '127.0.0.1', port: 4739})
  assert.equal(parseHostPort('[::1]:2055', '--ipfix'), {host: '::1', port: 2055})
  assert.equal(parseHostPort('collector.example:4739', '--ipfix'), {host: 'collector.example', port: 4739})
  for (const bad of ['127.0.0.1', '::1:4739', 'host:0', 'host:65536', ':4739', 'host:47x'])
    assert.throws(() => parseHostPort(bad, '--ipfix'), (e: Error) => e.message === `--ipfix takes HOST:PORT (an IPv6 address in brackets, [::1]:4739), got '${bad}'`)
})

cache.run()
