// The summary's aggregator: keys for every --by, ranking, "other", totals that
// add up, the cap on distinct keys, packets and flows together, intervals.
import v8 from 'node:v8'
import vm from 'node:vm'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {Aggregator, DEFAULT_MAX_KEYS, GROUP_BY, keyFields, keyText} from '../../src/summary/aggregate.js'
import type {GroupBy, Keyed, Summary} from '../../src/summary/aggregate.js'
import type {FlowRecord, PacketRecord} from '../../src/sidecar/records.js'

const agg = suite('summary-aggregate')

/** A packet record with the required fields filled in. */
const pkt = (fields: Partial<PacketRecord>): PacketRecord => ({
  v: 1, type: 'packet', ts: 1700000000, ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', len: 100, ...fields,
})
/** A flow record with the required fields filled in. */
const flow = (fields: Partial<FlowRecord>): FlowRecord => ({
  v: 1, type: 'flow', ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', packets: 1, bytes: 100, first: 1700000000, last: 1700000000, ...fields,
})

const tcp4 = pkt({ifname: 'eth0', proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 51000, dport: 443, len: 1500})
const udp6 = pkt({family: 6, src: '2001:db8::2', dst: '2001:db8::1', sport: 5353, dport: 53})
const icmp = pkt({proto: 'icmp', src: '10.0.0.2', dst: '10.0.0.1', icmp_type: 8, icmp_code: 0})
const arp = pkt({ifname: 'eth0', family: 0, proto: 'arp', ethertype: 0x0806, len: 42})
const gre = pkt({proto: 47, src: '10.0.0.1', dst: '10.0.0.9'})
const curl = pkt({proto: 'tcp', pid: 88, comm: 'curl', uid: 1000, cgroup: '/user.slice', container: null})
const nginx = pkt({proto: 'tcp', pid: 12, comm: 'nginx', uid: 33, cgroup: `/system.slice/docker-${'ab'.repeat(32)}.scope`, container: 'ab'.repeat(32), runtime: 'docker'})
const unowned = pkt({proto: 'udp', len: 50, pid: null, comm: null, uid: null, cgroup: null, container: null})

// [record, --by, key text, key fields]
const keys: [string, Keyed, GroupBy, string, Record<string, string | number | null>][] = [
  ['tcp4', tcp4, 'flow', '4 tcp 10.0.0.1 51000 10.0.0.2 443', {family: 4, proto: 'tcp', src: '10.0.0.1', sport: 51000, dst: '10.0.0.2', dport: 443}],
  ['tcp4', tcp4, 'pair', '10.0.0.1 10.0.0.2', {a: '10.0.0.1', b: '10.0.0.2'}],
  ['tcp4', tcp4, 'src', '10.0.0.1', {src: '10.0.0.1'}],
  ['tcp4', tcp4, 'dst', '10.0.0.2', {dst: '10.0.0.2'}],
  ['tcp4', tcp4, 'sport', '51000', {sport: 51000}],
  ['tcp4', tcp4, 'dport', '443', {dport: 443}],
  ['tcp4', tcp4, 'proto', 'tcp', {proto: 'tcp'}],
  ['tcp4', tcp4, 'iface', 'eth0', {iface: 'eth0'}],
  ['udp6', udp6, 'flow', '6 udp 2001:db8::2 5353 2001:db8::1 53', {family: 6, proto: 'udp', src: '2001:db8::2', sport: 5353, dst: '2001:db8::1', dport: 53}],
  // pair: the smaller address text first, whatever the direction
  ['udp6', udp6, 'pair', '2001:db8::1 2001:db8::2', {a: '2001:db8::1', b: '2001:db8::2'}],
  ['icmp', icmp, 'flow', '4 icmp 10.0.0.2 - 10.0.0.1 -', {family: 4, proto: 'icmp', src: '10.0.0.2', sport: null, dst: '10.0.0.1', dport: null}],
  ['icmp', icmp, 'sport', '-', {sport: null}],
  ['icmp', icmp, 'dport', '-', {dport: null}],
  ['icmp', icmp, 'pair', '10.0.0.1 10.0.0.2', {a: '10.0.0.1', b: '10.0.0.2'}],
  // no addresses (family 0): the protocol's name stands in for them
  ['arp', arp, 'flow', '0 arp arp - arp -', {family: 0, proto: 'arp', src: 'arp', sport: null, dst: 'arp', dport: null}],
  ['arp', arp, 'pair', 'arp arp', {a: 'arp', b: 'arp'}],
  ['arp', arp, 'src', 'arp', {src: 'arp'}],
  ['arp', arp, 'dst', 'arp', {dst: 'arp'}],
  ['arp', arp, 'sport', '-', {sport: null}],
  ['arp', arp, 'dport', '-', {dport: null}],
  ['arp', arp, 'proto', 'arp', {proto: 'arp'}],
  ['arp', arp, 'iface', 'eth0', {iface: 'eth0'}],
  // a protocol without a name stays a number
  ['gre', gre, 'proto', '47', {proto: 47}],
  ['gre', gre, 'flow', '4 47 10.0.0.1 - 10.0.0.9 -', {family: 4, proto: 47, src: '10.0.0.1', sport: null, dst: '10.0.0.9', dport: null}],
  // whose traffic (docs/attribution.md)
  ['curl', curl, 'process', 'curl/88', {comm: 'curl', pid: 88}],
  ['curl', curl, 'comm', 'curl', {comm: 'curl'}],
  ['curl', curl, 'user', '1000', {uid: 1000}],
  ['curl', curl, 'cgroup', '/user.slice', {cgroup: '/user.slice'}],
  ['curl', curl, 'container', '-', {container: null, runtime: null}],
  ['nginx in docker', nginx, 'container', `${'ab'.repeat(32)} docker`, {container: 'ab'.repeat(32), runtime: 'docker'}],
  ['an unattributed packet', unowned, 'process', '-/-', {comm: null, pid: null}],
  ['an unattributed packet', unowned, 'user', '-', {uid: null}],
  ['a record without owner fields', tcp4, 'comm', '-', {comm: null}],
]
for (const [name, record, by, text, fields] of keys) {
  agg(`summary-aggregate :: --by ${by}: ${name} is '${text}'`, () => {
    assert.is(keyText(by, record), text)
    assert.equal(keyFields(by, record), fields)
  })
}

/** An aggregator fed with records. */
function fed(by: GroupBy, records: (PacketRecord | FlowRecord)[], maxKeys?: number): Aggregator {
  const a = new Aggregator({by, maxKeys})
  for (const r of records) {
    if (r.type === 'packet') a.addPacket(r)
    else a.addFlow(r)
  }
  return a
}

/** [key text, packets, bytes] of each row. */
const rowsOf = (s: Summary) => s.rows.map((r) => [r.text, r.packets, r.bytes])

/** Rows plus other plus unattributed equal the totals, in packets and bytes. */
function assertAddsUp(s: Summary): void {
  for (const c of ['packets', 'bytes'] as const) {
    const sum = s.rows.reduce((n, r) => n + r[c], 0) + s.other[c] + s.totals.unattributed[c]
    assert.is(sum, s.totals[c], `${c}: rows + other + unattributed = ${sum}, totals ${s.totals[c]}`)
  }
  const shares = s.rows.reduce((n, r) => n + r.share, 0) + s.other.share + s.totals.unattributed.share
  if (s.totals[s.sort] > 0) assert.ok(Math.abs(shares - 1) < 1e-9, `shares add up to ${shares}`)
}

const ab = pkt({src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 53, len: 80})
const ba = pkt({src: '10.0.0.2', dst: '10.0.0.1', sport: 53, dport: 1000, len: 200})

agg('summary-aggregate :: --by process: one row a process, its name and pid kept for the row', () => {
  const s = fed('process', [curl, nginx, curl, unowned, flow({pid: 88, comm: 'curl', packets: 5, bytes: 500})]).result({top: 10, sort: 'bytes'})
  assert.equal(rowsOf(s), [['curl/88', 7, 700], ['nginx/12', 1, 100], ['-/-', 1, 50]])
  assert.equal(s.rows[0].key, {comm: 'curl', pid: 88})
})

agg('summary-aggregate :: --by pair: A→B and B→A are one row', () => {
  const s = fed('pair', [ab, ba, ab]).result({top: 10, sort: 'bytes'})
  assert.equal(rowsOf(s), [['10.0.0.1 10.0.0.2', 3, 360]])
  assert.equal(s.rows[0].key, {a: '10.0.0.1', b: '10.0.0.2'})
})

agg('summary-aggregate :: --by pair: the same rows whichever direction comes first', () => {
  const one = fed('pair', [ab, ba]).result({top: 10, sort: 'bytes'})
  const two = fed('pair', [ba, ab]).result({top: 10, sort: 'bytes'})
  assert.equal(one.rows, two.rows)
})

agg('summary-aggregate :: --by flow: A→B and B→A are two rows', () => {
  const s = fed('flow', [ab, ba, ab]).result({top: 10, sort: 'bytes'})
  assert.equal(rowsOf(s), [['4 udp 10.0.0.2 53 10.0.0.1 1000', 1, 200], ['4 udp 10.0.0.1 1000 10.0.0.2 53', 2, 160]])
})

agg('summary-aggregate :: --by flow ignores interface and direction (the same flow on two interfaces is one row)', () => {
  const s = fed('flow', [ab, {...ab, ifname: 'eth0', dir: 'out'}]).result({top: 10, sort: 'bytes'})
  assert.equal(rowsOf(s), [['4 udp 10.0.0.1 1000 10.0.0.2 53', 2, 160]])
})

// many small packets against a few big ones: the order depends on --sort
const small = Array.from({length: 10}, () => pkt({src: '10.0.0.1', dst: '10.0.0.2', len: 60}))
const big = Array.from({length: 2}, () => pkt({src: '10.0.0.3', dst: '10.0.0.4', len: 1500}))

agg('summary-aggregate :: --sort bytes ranks the big packets first', () => {
  const s = fed('src', [...small, ...big]).result({top: 10, sort: 'bytes'})
  assert.equal(rowsOf(s), [['10.0.0.3', 2, 3000], ['10.0.0.1', 10, 600]])
  assert.equal(s.rows.map((r) => r.rank), [1, 2])
  assert.equal(s.rows.map((r) => r.share), [3000 / 3600, 600 / 3600])
})

agg('summary-aggregate :: --sort packets ranks the many packets first, shares of packets', () => {
  const s = fed('src', [...small, ...big]).result({top: 10, sort: 'packets'})
  assert.equal(rowsOf(s), [['10.0.0.1', 10, 600], ['10.0.0.3', 2, 3000]])
  assert.equal(s.rows.map((r) => r.share), [10 / 12, 2 / 12])
})

agg('summary-aggregate :: ties in the sort column are ordered by key text, whatever the arrival order', () => {
  const tied = ['10.0.0.9', '10.0.0.10', '10.0.0.1', '192.168.0.1', '10.0.0.2'].map((src) => pkt({src, dst: '10.9.9.9', len: 100}))
  const want = ['10.0.0.1', '10.0.0.10', '10.0.0.2', '10.0.0.9', '192.168.0.1']
  assert.equal(fed('src', tied).result({top: 10, sort: 'bytes'}).rows.map((r) => r.text), want)
  assert.equal(fed('src', [...tied].reverse()).result({top: 10, sort: 'packets'}).rows.map((r) => r.text), want)
})

agg('summary-aggregate :: top 2 of 5: the other 3 keys are summed in other', () => {
  const records = [1, 2, 3, 4, 5].flatMap((n) => Array.from({length: n}, () => pkt({src: `10.0.0.${n}`, len: 10 * n})))
  const s = fed('src', records).result({top: 2, sort: 'bytes'})
  assert.equal(rowsOf(s), [['10.0.0.5', 5, 250], ['10.0.0.4', 4, 160]])
  assert.equal({keys: s.other.keys, packets: s.other.packets, bytes: s.other.bytes}, {keys: 3, packets: 6, bytes: 10 + 40 + 90})
  assert.is(s.other.share, 140 / 550)
  assert.equal({packets: s.totals.packets, bytes: s.totals.bytes, keys: s.totals.keys}, {packets: 15, bytes: 550, keys: 5})
  assertAddsUp(s)
})

agg('summary-aggregate :: top larger than the keys: every key is a row, other is empty', () => {
  const s = fed('flow', [ab, ba]).result({top: 10, sort: 'bytes'})
  assert.is(s.rows.length, 2)
  assert.equal({keys: s.other.keys, packets: s.other.packets, bytes: s.other.bytes, share: s.other.share}, {keys: 0, packets: 0, bytes: 0, share: 0})
})

agg('summary-aggregate :: nothing counted: no rows, zero totals, shares 0, first and last null', () => {
  const s = new Aggregator({by: 'flow'}).result({top: 10, sort: 'bytes'})
  assert.equal(s.rows, [])
  assert.equal({packets: s.totals.packets, bytes: s.totals.bytes, keys: s.totals.keys, first: s.totals.first, last: s.totals.last}, {packets: 0, bytes: 0, keys: 0, first: null, last: null})
  assert.is(s.other.share, 0)
  assertAddsUp(s)
})

/** A deterministic stream of varied records (a linear congruential generator). */
function mixed(n: number): (PacketRecord | FlowRecord)[] {
  let seed = 42
  const next = (m: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % m
  }
  const out: (PacketRecord | FlowRecord)[] = []
  for (let i = 0; i < n; i++) {
    const kind = next(6)
    const src = `10.0.${next(3)}.${next(20)}`
    const dst = `10.1.0.${next(5)}`
    if (kind === 0) out.push(arp)
    else if (kind === 1) out.push(pkt({proto: 'icmp', src, dst, len: 98, ts: 1700000000 + i}))
    else if (kind === 2) out.push(flow({proto: 'tcp', src, dst, sport: 1024 + next(4), dport: 443, packets: 1 + next(50), bytes: 60 + next(70000), first: 1700000000 + i, last: 1700000001 + i}))
    else out.push(pkt({ifname: next(2) ? 'lo' : 'eth0', src, dst, sport: 1024 + next(4), dport: [53, 123, 443][next(3)], len: 60 + next(1400), ts: 1700000000 + i}))
  }
  return out
}

for (const by of GROUP_BY) {
  for (const sort of ['bytes', 'packets'] as const) {
    agg(`summary-aggregate :: --by ${by} --sort ${sort}: rows + other = totals for top 1, 3, 10 and 1000`, () => {
      const a = fed(by, mixed(2000))
      for (const top of [1, 3, 10, 1000]) {
        const s = a.result({top, sort})
        assertAddsUp(s)
        assert.is(s.totals.packets, a.attributed.packets)
        assert.is(s.rows.length, Math.min(top, s.totals.keys))
        assert.is(s.other.keys, s.totals.keys - s.rows.length)
        for (let i = 1; i < s.rows.length; i++) assert.ok(s.rows[i - 1][sort] >= s.rows[i][sort], `row ${i} out of order`)
      }
    })
  }
}

agg('summary-aggregate :: packets and flows together: a packet is a flow of one', () => {
  const key = {proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 443} as const
  const s = fed('flow', [
    flow({...key, packets: 10, bytes: 5000, first: 1700000010, last: 1700000020}),
    pkt({...key, len: 1500, ts: 1700000005}),
    pkt({...key, len: 60, ts: 1700000030}),
  ]).result({top: 10, sort: 'bytes'})
  assert.equal(rowsOf(s), [['4 tcp 10.0.0.1 1000 10.0.0.2 443', 12, 6560]])
  assert.equal([s.rows[0].first, s.rows[0].last], [1700000005, 1700000030])
  assert.equal([s.totals.first, s.totals.last], [1700000005, 1700000030])
})

agg(`summary-aggregate :: the default cap on distinct keys is ${DEFAULT_MAX_KEYS}`, () => {
  assert.is(new Aggregator({by: 'flow'}).maxKeys, 100_000)
  assert.is(DEFAULT_MAX_KEYS, 100_000)
})

agg('summary-aggregate :: past the cap a new key takes the lightest key\'s place: counts exact since kept, error bounded', () => {
  const a = new Aggregator({by: 'src', maxKeys: 3})
  for (const n of [1, 2, 3, 4, 5]) a.addPacket(pkt({src: `10.0.0.${n}`, len: 100}))
  a.addPacket(pkt({src: '10.0.0.1', len: 1000})) // back under the cap's pressure: kept again, at once
  a.addPacket(pkt({src: '10.0.0.4', len: 7}))
  assert.is(a.keys, 3)
  assert.ok(a.capped)
  const s = a.result({top: 10, sort: 'bytes'})
  assert.equal([s.rows[0].key.src, s.rows[0].packets, s.rows[0].bytes], ['10.0.0.1', 1, 1000])
  // Space-Saving's bound: a kept key misses at most total/maxKeys of what was its own
  for (const r of s.rows) assert.ok(r.error.bytes <= s.totals.bytes / 3, `${r.text} error ${r.error.bytes}`)
  assert.equal(s.other.overflow, {packets: s.rows.reduce((n, r) => n + r.error.packets, 0), bytes: s.rows.reduce((n, r) => n + r.error.bytes, 0)})
  assert.equal({keys: s.totals.keys, maxKeys: s.totals.maxKeys, capped: s.totals.capped}, {keys: 3, maxKeys: 3, capped: true})
  assertAddsUp(s)
})

agg('summary-aggregate :: 100000 one-packet flows then one 7.5 MB flow, cap 100000: the big flow ranks first, exact', () => {
  const a = new Aggregator({by: 'flow'})
  for (let i = 0; i < 100_000; i++) a.add({family: 4, proto: 'udp', src: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, dst: '10.200.0.1', sport: 1000, dport: 53, ifname: 'lo'}, 1, 60, 1700000000, 1700000000)
  for (let i = 0; i < 5000; i++) a.add({family: 4, proto: 'tcp', src: '192.0.2.1', dst: '192.0.2.2', sport: 40000, dport: 443, ifname: 'lo'}, 1, 1500, 1700000001, 1700000001)
  const s = a.result({top: 3, sort: 'bytes'})
  assert.equal([s.rows[0].text, s.rows[0].packets, s.rows[0].bytes], ['4 tcp 192.0.2.1 40000 192.0.2.2 443', 5000, 7_500_000])
  // the key it replaced had one 60-byte packet: that is the most it may be over
  assert.equal(s.rows[0].error, {packets: 1, bytes: 60})
  assert.ok(s.rows[0].share > 0.55)
  assertAddsUp(s)
})

agg('summary-aggregate :: capped, with top below the cap: other has both the rest and the overflow', () => {
  const a = fed('flow', mixed(3000), 50)
  assert.is(a.keys, 50)
  const s = a.result({top: 5, sort: 'packets'})
  assert.ok(s.totals.capped)
  assert.is(s.other.keys, 45)
  assert.ok(s.other.overflow.packets > 0 && s.other.packets > s.other.overflow.packets)
  assertAddsUp(s)
})

agg('summary-aggregate :: 200000 distinct flows stay within the cap of 1000 keys', () => {
  const a = new Aggregator({by: 'flow', maxKeys: 1000})
  for (let i = 0; i < 200_000; i++) a.add({family: 4, proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: i % 65536, dport: Math.floor(i / 65536), ifname: 'lo'}, 1, 100, 1700000000, 1700000000)
  assert.is(a.keys, 1000)
  const s = a.result({top: 10, sort: 'bytes'})
  assert.equal({packets: s.totals.packets, bytes: s.totals.bytes}, {packets: 200_000, bytes: 20_000_000})
  assert.equal(s.other.overflow, {packets: 199_000, bytes: 19_900_000})
  assertAddsUp(s)
})

agg('summary-aggregate :: under the cap: capped is false', () => {
  const s = fed('flow', [ab, ba], 2).result({top: 10, sort: 'bytes'})
  assert.is(s.totals.capped, false)
  assert.equal(s.other.overflow, {packets: 0, bytes: 0})
})

agg('summary-aggregate :: overflow (table full)  traffic is part of the totals and of the shares', () => {
  const a = fed('flow', [flow({src: '10.0.0.1', dst: '10.0.0.2', packets: 90, bytes: 9000})])
  a.setUnattributed({packets: 10, bytes: 1000})
  const s = a.result({top: 10, sort: 'bytes', dropped: 0})
  assert.equal({packets: s.totals.packets, bytes: s.totals.bytes}, {packets: 100, bytes: 10_000})
  assert.equal(a.attributed, {packets: 90, bytes: 9000})
  assert.is(s.rows[0].share, 0.9)
  assert.is(s.totals.unattributed.share, 0.1)
  assert.equal({packets: s.totals.unattributed.packets, bytes: s.totals.unattributed.bytes}, {packets: 10, bytes: 1000})
  assertAddsUp(s)
})

agg('summary-aggregate :: dropped is what the caller says; null (unknown) by default', () => {
  const a = fed('flow', [ab])
  assert.is(a.result({top: 1, sort: 'bytes'}).totals.dropped, null)
  assert.is(a.result({top: 1, sort: 'bytes', dropped: 7}).totals.dropped, 7)
  assert.is(a.result({top: 1, sort: 'bytes', dropped: null}).totals.dropped, null)
})

agg('summary-aggregate :: interval counters: what came since nextInterval(), per row, other and total', () => {
  const a = new Aggregator({by: 'src'})
  a.addPacket(pkt({src: '10.0.0.1', len: 100}))
  a.addPacket(pkt({src: '10.0.0.2', len: 50}))
  a.setUnattributed({packets: 1, bytes: 10})
  let s = a.result({top: 1, sort: 'bytes'})
  assert.equal(s.rows[0].interval, {packets: 1, bytes: 100})
  assert.equal(s.other.interval, {packets: 1, bytes: 50})
  assert.equal(s.totals.interval, {packets: 3, bytes: 160})
  assert.equal(s.totals.unattributed.interval, {packets: 1, bytes: 10})
  a.nextInterval()
  a.addPacket(pkt({src: '10.0.0.2', len: 500}))
  a.setUnattributed({packets: 3, bytes: 30})
  s = a.result({top: 1, sort: 'bytes'})
  assert.equal(rowsOf(s), [['10.0.0.2', 2, 550]])
  assert.equal(s.rows[0].interval, {packets: 1, bytes: 500})
  assert.equal(s.other.interval, {packets: 0, bytes: 0}) // 10.0.0.1 had nothing new
  assert.equal(s.totals.unattributed.interval, {packets: 2, bytes: 20})
  assert.equal(s.totals.interval, {packets: 3, bytes: 520})
  a.nextInterval()
  s = a.result({top: 5, sort: 'bytes'})
  assert.equal(s.rows.map((r) => r.interval), [{packets: 0, bytes: 0}, {packets: 0, bytes: 0}])
  assert.equal(s.totals.interval, {packets: 0, bytes: 0})
  assertAddsUp(s)
})

agg('summary-aggregate :: result() leaves the counts as they were (it can be called every interval)', () => {
  const a = fed('flow', mixed(500))
  const one = a.result({top: 3, sort: 'bytes'})
  const two = a.result({top: 3, sort: 'bytes'})
  assert.equal(one, two)
})

agg('summary-aggregate :: --top below 1 and a cap below 1 are refused', () => {
  assert.throws(() => new Aggregator({by: 'flow'}).result({top: 0, sort: 'bytes'}), /top must be a whole number of 1 or more, got 0/)
  assert.throws(() => new Aggregator({by: 'flow', maxKeys: 0}), /maxKeys must be a whole number of 1 or more, got 0/)
})

/** The documented budget (docs/summary.md, "Memory"): about 0.5 KB a kept key. */
const BYTES_PER_KEY = 640

agg('summary-aggregate :: 1000000 distinct keys under the default cap stay within its memory budget; a late heavy key still ranks first', () => {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as () => void
  gc()
  const before = process.memoryUsage().heapUsed
  const a = new Aggregator({by: 'flow'})
  const key = (i: number): Keyed => ({family: 4, proto: 'udp', src: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, dst: '10.200.0.1', sport: i & 0xffff, dport: 53, ifname: 'lo'})
  for (let i = 0; i < 1_000_000; i++) a.add(key(i), 1, 60, 1700000000, 1700000000)
  a.add(key(7), 1, 60, 1700000000, 1700000000) // an early key, replaced long ago, is back
  for (let i = 0; i < 300; i++) a.add({...key(0), proto: 'tcp'}, 10, 15_000, 1700000001, 1700000001)
  gc()
  const grown = process.memoryUsage().heapUsed - before
  assert.is(a.keys, DEFAULT_MAX_KEYS)
  assert.ok(grown < DEFAULT_MAX_KEYS * BYTES_PER_KEY, `${(grown / 1e6).toFixed(1)} MB for ${a.keys} keys`)
  const s = a.result({top: 1, sort: 'bytes'})
  assert.equal([s.rows[0].key.proto, s.rows[0].packets, s.rows[0].bytes], ['tcp', 3000, 4_500_000])
  assert.is(s.totals.packets, 1_000_001 + 3000)
  assertAddsUp(s)
})

agg.run()
