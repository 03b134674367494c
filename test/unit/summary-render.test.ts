// The summary's table and NDJSON: exact lines, human units, and NDJSON that
// reads back to numbers that add up.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {Aggregator, GROUP_BY, KEY_FIELDS} from '../../src/summary/aggregate.js'
import type {GroupBy} from '../../src/summary/aggregate.js'
import {countKeys, humanRate, percent, summaryClosingLine, summaryNdjson, summaryTable} from '../../src/summary/render.js'
import type {PacketRecord} from '../../src/sidecar/records.js'

const render = suite('summary-render')

const pkt = (fields: Partial<PacketRecord>): PacketRecord => ({
  v: 1, type: 'packet', ts: 1700000000, ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', len: 100, ...fields,
})

/** Three TCP packets, one UDP over IPv6, one ICMP, one ARP. */
function sample(by: GroupBy = 'flow'): Aggregator {
  const a = new Aggregator({by})
  for (let i = 0; i < 3; i++) a.addPacket(pkt({ifname: 'eth0', proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 51000, dport: 443, len: 1500, ts: 1700000000 + i}))
  a.addPacket(pkt({family: 6, src: '2001:db8::2', dst: '2001:db8::1', sport: 5353, dport: 53, len: 120, ts: 1700000001.5}))
  a.addPacket(pkt({proto: 'icmp', src: '10.0.0.2', dst: '10.0.0.1', len: 98, ts: 1700000002}))
  a.addPacket(pkt({ifname: 'eth0', family: 0, proto: 'arp', len: 42, ts: 1700000003}))
  return a
}

render('summary-render :: rates: bytes over seconds, in the same units; no time is "-"', () => {
  assert.is(humanRate(3000, 2), '1.5 kB/s')
  assert.is(humanRate(999, 3), '333 B/s')
  assert.is(humanRate(0, 1), '0 B/s')
  assert.is(humanRate(100, 0), '-')
})

render('summary-render :: shares as percentages with one decimal', () => {
  assert.is(percent(1), '100.0%')
  assert.is(percent(0), '0.0%')
  assert.is(percent(0.66568), '66.6%')
  assert.is(percent(0.0004), '0.0%')
})

const nouns: [GroupBy, string, string][] = [
  ['flow', '1 flow', '2 flows'], ['pair', '1 pair', '2 pairs'], ['src', '1 source', '2 sources'], ['dst', '1 destination', '2 destinations'],
  ['sport', '1 source port', '2 source ports'], ['dport', '1 destination port', '2 destination ports'],
  ['proto', '1 protocol', '2 protocols'], ['iface', '1 interface', '2 interfaces'],
]
for (const [by, one, two] of nouns) {
  render(`summary-render :: --by ${by} counts '${one}', '${two}'`, () => {
    assert.is(countKeys(by, 1), one)
    assert.is(countKeys(by, 2), two)
    assert.is(countKeys(by, 0), two.replace('2', '0'))
  })
}

const lines = (text: string) => {
  assert.ok(text.endsWith('\n'), 'newline-terminated')
  return text.slice(0, -1).split('\n')
}

render('summary-render :: --by flow, top 3 by bytes: header, rows, other, total', () => {
  assert.equal(lines(summaryTable(sample().result({top: 3, sort: 'bytes'}))), [
    '#  PROTO  SOURCE              DESTINATION       PACKETS   BYTES   SHARE',
    '1  tcp    10.0.0.1:51000      10.0.0.2:443            3  4.5 kB   94.5%',
    '2  udp    [2001:db8::2]:5353  [2001:db8::1]:53        1   120 B    2.5%',
    '3  icmp   10.0.0.2            10.0.0.1                1    98 B    2.1%',
    '   other: 1 flow                                      1    42 B    0.9%',
    '   total: 4 flows                                     6  4.8 kB  100.0%',
  ])
})

render('summary-render :: --sort packets with drops known: ties by key text, drops on the total line', () => {
  assert.equal(lines(summaryTable(sample().result({top: 10, sort: 'packets', dropped: 2}))), [
    '#  PROTO  SOURCE              DESTINATION       PACKETS   BYTES   SHARE',
    '1  tcp    10.0.0.1:51000      10.0.0.2:443            3  4.5 kB   50.0%',
    '2  arp    arp                 arp                     1    42 B   16.7%',
    '3  icmp   10.0.0.2            10.0.0.1                1    98 B   16.7%',
    '4  udp    [2001:db8::2]:5353  [2001:db8::1]:53        1   120 B   16.7%',
    '   other: 0 flows                                     0     0 B    0.0%',
    '   total: 4 flows, 2 dropped                          6  4.8 kB  100.0%',
  ])
})

render('summary-render :: with an interval: a title, a RATE column, and the unattributed line', () => {
  const a = sample()
  a.setUnattributed({packets: 4, bytes: 2000})
  assert.equal(lines(summaryTable(a.result({top: 2, sort: 'bytes', dropped: 0}), {intervalSeconds: 2, title: '22:13:24.000  last 2.0 s'})), [
    '22:13:24.000  last 2.0 s',
    '#  PROTO  SOURCE              DESTINATION       PACKETS   BYTES   SHARE      RATE',
    '1  tcp    10.0.0.1:51000      10.0.0.2:443            3  4.5 kB   66.6%  2.3 kB/s',
    '2  udp    [2001:db8::2]:5353  [2001:db8::1]:53        1   120 B    1.8%    60 B/s',
    '   other: 2 flows                                     2   140 B    2.1%    70 B/s',
    '   overflow (table full)                              4  2.0 kB   29.6%  1.0 kB/s',
    '   total: 4 flows, 0 dropped                         10  6.8 kB  100.0%  3.4 kB/s',
  ])
})

render('summary-render :: --by pair and --by iface: their own key columns', () => {
  assert.equal(lines(summaryTable(sample('pair').result({top: 2, sort: 'bytes'}))), [
    '#  HOST A       HOST B       PACKETS   BYTES   SHARE',
    '1  10.0.0.1     10.0.0.2           4  4.6 kB   96.6%',
    '2  2001:db8::1  2001:db8::2        1   120 B    2.5%',
    '   other: 1 pair                   1    42 B    0.9%',
    '   total: 3 pairs                  6  4.8 kB  100.0%',
  ])
  assert.equal(lines(summaryTable(sample('iface').result({top: 5, sort: 'packets'}))), [
    '#  IFACE                PACKETS   BYTES   SHARE',
    '1  eth0                       4  4.5 kB   66.7%',
    '2  lo                         2   218 B   33.3%',
    '   other: 0 interfaces        0     0 B    0.0%',
    '   total: 2 interfaces        6  4.8 kB  100.0%',
  ])
})

render('summary-render :: --by dport: no port is "-"; a long label widens the key column', () => {
  assert.equal(lines(summaryTable(sample('dport').result({top: 2, sort: 'bytes'}))), [
    '#  DPORT                       PACKETS   BYTES   SHARE',
    '1  443                               3  4.5 kB   94.5%',
    '2  -                                 2   140 B    2.9%',
    '   other: 1 destination port         1   120 B    2.5%',
    '   total: 3 destination ports        6  4.8 kB  100.0%',
  ])
})

render('summary-render :: ranks of two digits stay aligned', () => {
  const a = new Aggregator({by: 'sport'})
  for (let i = 1; i <= 12; i++) a.addPacket(pkt({sport: 1000 + i, dport: 53, len: 100 + i}))
  const out = lines(summaryTable(a.result({top: 10, sort: 'bytes'})))
  assert.is(out[0], ' #  SPORT                   PACKETS   BYTES   SHARE')
  assert.is(out[1], ' 1  1012                          1   112 B    8.8%')
  assert.is(out[10], '10  1003                          1   103 B    8.1%')
  assert.is(out[11], '    other: 2 source ports         2   203 B   15.9%')
  assert.is(out[12], '    total: 12 source ports       12  1.3 kB  100.0%')
})

render('summary-render :: past the key cap: "other" says so, the total is a lower bound ("+")', () => {
  const a = new Aggregator({by: 'src', maxKeys: 2})
  for (const src of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) a.addPacket(pkt({src, len: 1000}))
  const out = lines(summaryTable(a.result({top: 1, sort: 'bytes', dropped: 0})))
  assert.equal(out.slice(2), [
    '   other: 1 source + more past the 2-key cap        3  3.0 kB   75.0%',
    '   total: 2+ sources, 0 dropped                     4  4.0 kB  100.0%',
    '   past the 2-key cap: each row is exact since its key was kept, and may miss up to 1.0 kB from before (Space-Saving)',
  ])
})

render('summary-render :: a long IPv6 endpoint is elided in the middle, keeping the port', () => {
  const a = new Aggregator({by: 'flow'})
  a.addPacket(pkt({family: 6, src: '2001:db8:85a3:1234:5678:8a2e:370:7334', dst: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', sport: 65535, dport: 443}))
  const row = lines(summaryTable(a.result({top: 1, sort: 'bytes'})))[1]
  assert.is(row, '1  udp    [2001:db8:85a3:1234:5678:8a2e:370:7334]:65535  [ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:443        1  100 B  100.0%')
  // the longest address the sidecar writes fits whole: 47 characters with brackets and port
  const b = new Aggregator({by: 'flow'})
  const longest = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'
  b.addPacket(pkt({family: 6, src: longest, dst: longest, sport: 65535, dport: 65535}))
  const cells = lines(summaryTable(b.result({top: 1, sort: 'bytes'})))[1].split(/\s{2,}/)
  assert.equal(cells.slice(2, 4), [`[${longest}]:65535`, `[${longest}]:65535`])
  assert.is(cells[2].length, 47)
  // longer text (a hand-written file) loses its middle, not its port
  const c = new Aggregator({by: 'flow'})
  c.addPacket(pkt({family: 6, src: `${longest}%interface-zone-name`, dst: '::1', sport: 65535, dport: 1}))
  const cut = lines(summaryTable(c.result({top: 1, sort: 'bytes'})))[1].split(/\s{2,}/)[2]
  assert.is(cut, '[ffff:ffff:ffff:ffff:ff…erface-zone-name]:65535')
  assert.is(cut.length, 47)
})

render('summary-render :: an empty summary is a header, other and total', () => {
  assert.equal(lines(summaryTable(new Aggregator({by: 'src'}).result({top: 10, sort: 'bytes', dropped: 0}))), [
    '#  SOURCE                       PACKETS  BYTES  SHARE',
    '   other: 0 sources                   0    0 B   0.0%',
    '   total: 0 sources, 0 dropped        0    0 B   0.0%',
  ])
})

/** The NDJSON lines, parsed. */
const parse = (text: string) => lines(text).map((l) => JSON.parse(l) as Record<string, unknown>)

for (const by of GROUP_BY) {
  render(`summary-render :: --by ${by} NDJSON: rows with the key fields, then other, then totals; they add up`, () => {
    const a = sample(by)
    a.setUnattributed({packets: 3, bytes: 333})
    const s = a.result({top: 2, sort: 'bytes', dropped: 5})
    const objects = parse(summaryNdjson(s))
    const rows = objects.filter((o) => o.type === 'row')
    assert.equal(objects.map((o) => o.type), [...rows.map(() => 'row'), 'other', 'totals'])
    for (const [i, row] of rows.entries()) {
      assert.equal(Object.keys(row), ['type', 'rank', ...KEY_FIELDS[by], 'packets', 'bytes', 'share', 'first', 'last'])
      assert.is(row.rank, i + 1)
      assert.equal(KEY_FIELDS[by].map((f) => row[f]), KEY_FIELDS[by].map((f) => s.rows[i].key[f]))
    }
    const other = objects.at(-2)!
    const totals = objects.at(-1)!
    for (const c of ['packets', 'bytes'] as const) {
      const sum = rows.reduce((n, r) => n + (r[c] as number), 0) + (other[c] as number) + (totals[`unattributed_${c}`] as number)
      assert.is(sum, totals[c])
    }
    assert.equal(totals, {
      type: 'totals', by, sort: 'bytes', packets: 9, bytes: 5093, keys: s.totals.keys, max_keys: 100000, capped: false,
      unattributed_packets: 3, unattributed_bytes: 333, dropped: 5, first: 1700000000, last: 1700000003, final: true,
    })
  })
}

render('summary-render :: NDJSON numbers are exact: packets, bytes and ports are integers, shares 6 decimals', () => {
  const a = new Aggregator({by: 'flow'})
  a.add({family: 4, proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, ifname: 'lo'}, 9_007_199_254, 9_007_199_254_740, 1700000000.123456, 1700000000.654321)
  a.add({family: 4, proto: 'udp', src: '10.0.0.3', dst: '10.0.0.4', sport: 1, dport: 2, ifname: 'lo'}, 2, 3, 1700000000, 1700000000)
  const text = summaryNdjson(a.result({top: 1, sort: 'bytes'}))
  assert.ok(text.includes('"packets":9007199254,"bytes":9007199254740,"share":1,"first":1700000000.123456,"last":1700000000.654321'), text)
  assert.ok(text.includes('"type":"other","keys":1,"packets":2,"bytes":3,"share":0,'), text)
})

render('summary-render :: NDJSON with an interval: interval counts on every line, ts and interval_s on totals', () => {
  const a = sample('proto')
  a.nextInterval()
  a.addPacket(pkt({proto: 'tcp', len: 500}))
  const objects = parse(summaryNdjson(a.result({top: 1, sort: 'bytes', dropped: 0}), {intervalSeconds: 2.5, ts: 1700000010.5, final: false}))
  assert.equal(objects[0], {type: 'row', rank: 1, proto: 'tcp', packets: 4, bytes: 5000, share: 0.95057, first: 1700000000, last: 1700000002, interval_packets: 1, interval_bytes: 500})
  assert.equal([objects[1].interval_packets, objects[1].interval_bytes], [0, 0])
  assert.equal({ts: objects[2].ts, interval_s: objects[2].interval_s, interval_packets: objects[2].interval_packets, interval_bytes: objects[2].interval_bytes, final: objects[2].final}, {ts: 1700000010.5, interval_s: 2.5, interval_packets: 1, interval_bytes: 500, final: false})
})

render('summary-render :: NDJSON of an empty summary: other and totals, first and last null', () => {
  const objects = parse(summaryNdjson(new Aggregator({by: 'flow'}).result({top: 10, sort: 'packets'})))
  assert.is(objects.length, 2)
  assert.equal([objects[1].packets, objects[1].first, objects[1].last, objects[1].dropped], [0, null, null, null])
})

render('summary-render :: closing lines', () => {
  const a = sample()
  assert.is(summaryClosingLine(a.result({top: 1, sort: 'bytes', dropped: 0})), '6 packets in 4 flows, 0 dropped')
  assert.is(summaryClosingLine(a.result({top: 1, sort: 'bytes'}), {skipped: 2}), '6 packets in 4 flows, 2 malformed lines skipped')
  assert.is(summaryClosingLine(a.result({top: 1, sort: 'bytes'}), {skipped: 1}), '6 packets in 4 flows, 1 malformed line skipped')
  a.setUnattributed({packets: 5, bytes: 300})
  assert.is(summaryClosingLine(a.result({top: 1, sort: 'bytes', dropped: 3})), '11 packets in 4 flows (5 overflow: the flow table was full), 3 dropped')
  const one = new Aggregator({by: 'dport'})
  one.addPacket(pkt({dport: 53}))
  assert.is(summaryClosingLine(one.result({top: 1, sort: 'bytes', dropped: 0})), '1 packet in 1 destination port, 0 dropped')
})

render.run()
