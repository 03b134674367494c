// The top view's parts without a terminal: sliding-window rates, the model's
// ranking (rate or totals, TX/RX per pair), the keys, and the view's layout at
// every width from 60 columns.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {FlowRecord, StatsRecord} from '../../src/sidecar/records.js'
import {onKey, type KeyPress} from '../../src/top/keys.js'
import {capKeys, RATE_KEYS, TopModel} from '../../src/top/model.js'
import {formatRate, renderTop, type ViewState} from '../../src/top/view.js'
import {RateWindows, type Delta} from '../../src/top/windows.js'

const top = suite('top')

const flow = (fields: Partial<FlowRecord>): FlowRecord => ({
  v: 1, type: 'flow', ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 53,
  packets: 1, bytes: 100, first: 1700000000, last: 1700000000, ...fields,
})
const stats = (ts: number, fields: Partial<StatsRecord> = {}): StatsRecord => ({v: 1, type: 'stats', ts, seen: 0, matched: 0, emitted: 0, dropped: 0, written: 0, final: false, overflow: 0, overflow_bytes: 0, ...fields})
const deltas = (entries: [string, number][]) => new Map<string, Delta>(entries.map(([k, bytes]) => [k, {bytes, packets: 1, tx: bytes, rx: 0}]))
const state = (more: Partial<ViewState> = {}): ViewState => ({mode: 'rate', rateSort: '2s', totalSort: 'bytes', by: 'flow', units: 'bits', paused: false, offset: 0, help: false, filter: '', ...more})

// ---- windows ----

top('top :: windows: averages over 2, 10 and 40 s of 1 s reads; a window that is filling divides by the time it has', () => {
  const w = new RateWindows(1)
  w.push(1, deltas([['a', 1000]]))
  assert.equal(w.rates('a')!.bytes, [1000, 1000, 1000])
  w.push(1, deltas([['a', 3000]]))
  assert.equal(w.rates('a')!.bytes, [2000, 2000, 2000])
  w.push(1, deltas([]))
  // the 2 s window now holds the last two reads: 3000 + 0
  assert.equal(w.rates('a')!.bytes, [1500, 4000 / 3, 4000 / 3])
  assert.is(w.rates('a')!.peak, 3000)
})

top('top :: windows: a key is forgotten once 40 s hold none of its traffic; totals add every key', () => {
  const w = new RateWindows(2) // reads every 2 s: the 40 s window is 20 reads
  w.push(2, deltas([['a', 200], ['b', 400]]))
  assert.equal(w.total().bytes[0], 300)
  for (let i = 0; i < 19; i++) w.push(2, deltas([['b', 400]]))
  assert.ok(w.rates('a'), 'a is still in the 40 s window')
  assert.is(w.rates('a')!.bytes[0], 0)
  w.push(2, deltas([['b', 400]]))
  assert.is(w.rates('a'), undefined)
  assert.is(w.size, 1)
  assert.equal(w.rates('b')!.bytes, [200, 200, 200])
})

top('top :: windows: refuse a zero interval and windows out of order', () => {
  assert.throws(() => new RateWindows(0), /intervalSeconds must be more than 0/)
  assert.throws(() => new RateWindows(1, [10, 2]), /ascending/)
})

// ---- model ----

top('top :: model: ranked by the current rate, a finished flow falls below a live one (the issue\'s first complaint)', () => {
  const m = new TopModel({by: 'flow', intervalSeconds: 1})
  m.addFlow(flow({sport: 1, bytes: 1_000_000}))
  m.tick(stats(1700000001), 1)
  for (let t = 2; t <= 3; t++) {
    m.addFlow(flow({sport: 2, bytes: 10_000}))
    m.tick(stats(1700000000 + t), 1)
  }
  assert.equal(m.rows('rate', '2s', 0, 10).map((r) => r.key.sport), [2, 1])
  assert.equal(m.rows('total', 'bytes', 0, 10).map((r) => r.key.sport), [1, 2])
  assert.equal(m.rows('rate', 'peak', 0, 10).map((r) => r.key.sport), [1, 2])
  assert.equal(m.rows('rate', '2s', 1, 10).map((r) => r.key.sport), [1], 'offset skips ranked rows')
})

top('top :: model: --by pair folds both directions into one row and keeps each: TX is A→B, RX is B→A', () => {
  const m = new TopModel({by: 'pair', intervalSeconds: 1})
  m.addFlow(flow({src: '10.0.0.2', dst: '10.0.0.1', bytes: 3000}))
  m.addFlow(flow({src: '10.0.0.1', dst: '10.0.0.2', bytes: 1000}))
  m.tick(stats(1700000001), 1)
  const [row] = m.rows('rate', '2s', 0, 10)
  assert.equal(row.key, {a: '10.0.0.1', b: '10.0.0.2'})
  assert.equal([row.rates!.tx[0], row.rates!.rx[0], row.rates!.bytes[0]], [1000, 3000, 4000])
  assert.equal(row.total, {packets: 2, bytes: 4000, error: {packets: 0, bytes: 0}})
})

top('top :: model: the footer counts overflow and drops from the stats, and the total includes overflow', () => {
  const m = new TopModel({by: 'flow', intervalSeconds: 1})
  m.addFlow(flow({bytes: 500, packets: 5}))
  m.tick(stats(1700000001, {matched: 8, overflow: 3, overflow_bytes: 300, dropped: 0}), 1)
  const t = m.totals()
  assert.equal([t.packets, t.bytes, t.overflow, t.dropped, t.matched, t.keys], [8, 800, 3, 0, 8, 1])
})

top('top :: model: past --max-keys a heavy flow still has its total (Space-Saving)', () => {
  const m = new TopModel({by: 'flow', intervalSeconds: 1, maxKeys: 100})
  for (let i = 0; i < 1000; i++) m.addFlow(flow({sport: 1000 + i, bytes: 60}))
  m.addFlow(flow({proto: 'tcp', sport: 443, bytes: 7_500_000, packets: 5000}))
  m.tick(stats(1700000001), 1)
  const [row] = m.rows('total', 'bytes', 0, 1)
  assert.equal([row.key.proto, row.total!.bytes], ['tcp', 7_500_000])
  assert.ok(m.totals().capped)
})

top('top :: model: a read with more keys than RATE_KEYS keeps the heaviest; the rest is summed, totals stay exact, rows do not show it', () => {
  const d = deltas([['a', 10], ['b', 500], ['c', 20], ['d', 300]])
  const capped = capKeys(d, 2)
  assert.equal([...capped.keys()], ['b', 'd', ''])
  assert.equal(capped.get(''), {bytes: 30, packets: 2, tx: 30, rx: 0})
  assert.is(capKeys(d, 4), d)
  const m = new TopModel({by: 'flow', intervalSeconds: 1})
  for (let i = 0; i < RATE_KEYS + 500; i++) m.addFlow(flow({sport: 1000 + i, bytes: 60}))
  m.addFlow(flow({proto: 'tcp', sport: 443, bytes: 1_000_000}))
  m.tick(stats(1700000001), 1)
  assert.is(m.count('rate'), RATE_KEYS)
  assert.is(m.rows('rate', '2s', 0, 1)[0].key.proto, 'tcp')
  assert.is(m.totals().rates.bytes[0], (RATE_KEYS + 500) * 60 + 1_000_000)
  assert.not.ok(m.rows('rate', '2s', 0, RATE_KEYS + 10).some((r) => r.text === ''))
})

// ---- keys ----

const press = (input: string, more: Partial<KeyPress> = {}): KeyPress => ({input, ...more})
const keyCases: [string, ViewState, KeyPress, Partial<ViewState>, string?][] = [
  ['s: next rate sort', state(), press('s'), {rateSort: '10s'}],
  ['S: previous rate sort wraps around', state(), press('S'), {rateSort: 'pkt/s'}],
  ['s in totals: packets', state({mode: 'total'}), press('s'), {totalSort: 'packets'}],
  ['t: totals, from the top', state({offset: 5}), press('t'), {mode: 'total', offset: 0}],
  ['p: pause, and again', state(), press('p'), {paused: true}],
  ['u: bytes/s', state(), press('u'), {units: 'bytes'}],
  ['b: the next --by, counts start again', state(), press('b'), {by: 'pair'}, 'by'],
  ['q: quit', state(), press('q'), {}, 'quit'],
  ['Ctrl-C: quit', state(), press('c', {ctrl: true}), {}, 'quit'],
  ['down: scroll one', state(), press('', {downArrow: true}), {offset: 1}],
  ['up at the top: stays', state(), press('', {upArrow: true}), {offset: 0}],
  ['PgDn: a page', state(), press('', {pageDown: true}), {offset: 20}],
  ['PgDn: no further than the last page', state({offset: 25}), press('', {pageDown: true}), {offset: 30}],
  ['PgUp: no further than the top', state({offset: 5}), press('', {pageUp: true}), {offset: 0}],
  ['/: a prompt with the filter now', state({filter: 'udp'}), press('/'), {input: 'udp'}],
  ['typing in the prompt', state({input: 'ud'}), press('p'), {input: 'udp'}],
  ['Enter runs it', state({input: 'udp '}), press('', {return: true}), {input: undefined}, 'filter'],
  ['Esc cancels', state({input: 'udp'}), press('', {escape: true}), {input: undefined}],
  ['?: help; any key closes it', state(), press('?'), {help: true}],
  ['a key closes help', state({help: true}), press('x'), {help: false}],
]
for (const [what, before, key, changes, effect] of keyCases) {
  top(`top :: keys :: ${what}`, () => {
    const step = onKey(before, key, 50, 20)
    assert.equal(step.state, {...before, ...changes})
    assert.is(step.effect?.type, effect)
  })
}

top('top :: keys :: Enter hands the typed filter over, trimmed', () => {
  assert.equal(onKey(state({input: ' udp port 53 '}), press('', {return: true}), 1, 1).effect, {type: 'filter', text: 'udp port 53'})
})

// ---- view ----

function model(by: 'flow' | 'pair' = 'flow'): TopModel {
  const m = new TopModel({by, intervalSeconds: 1})
  for (let t = 1; t <= 3; t++) {
    m.addFlow(flow({family: 6, proto: 'tcp', src: '2001:db8:85a3:1234:5678:8a2e:370:7334', dst: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', sport: 65535, dport: 443, bytes: 50_000 * t, packets: 40}))
    m.addFlow(flow({src: '127.0.0.1', dst: '127.0.0.1', sport: 41001, dport: 42001, bytes: 4000, packets: 20}))
    m.tick(stats(1700000000 + t, {matched: 60 * t}), 1)
  }
  return m
}

for (const by of ['flow', 'pair'] as const) {
  for (const width of [60, 61, 72, 80, 100, 120, 160, 200, 300]) {
    top(`top :: view :: --by ${by} at ${width} columns: every line fits, the footer is there, a long IPv6 address loses its middle`, () => {
      const {lines, header} = renderTop(model(by), state({by}), {width, height: 12, interfaces: ['lo'], ts: 1700000003})
      assert.is(lines.length, 12)
      for (const line of lines) assert.ok([...line].length <= width, `${[...line].length} > ${width}: ${line}`)
      assert.is(header, 1)
      assert.match(lines[1], /^# {2}/)
      assert.match(lines[1], / 2s( |$)/)
      assert.match(lines[9], /^total: 2 (flows|pairs) /)
      assert.match(lines[10], /^180 matched · 0 dropped · 0 overflow · keys 2\/100000$/)
      assert.match(lines[11], /^q quit/)
      const v6 = lines.find((l) => l.startsWith('1 '))!
      const full = by === 'flow' ? '[2001:db8:85a3:1234:5678:8a2e:370:7334]:65535' : '2001:db8:85a3:1234:5678:8a2e:370:7334'
      if (width >= 160) assert.ok(v6.includes(full), v6)
      else assert.ok(v6.includes('…') && v6.includes(by === 'flow' ? ':65535' : '7334'), v6)
      // the IPv4 endpoint is whole at every width
      assert.ok(lines.some((l) => l.includes(by === 'flow' ? '127.0.0.1:41001' : '127.0.0.1')), lines.join('\n'))
    })
  }
}

top('top :: view :: the widest field gives way first: at 100 columns addresses shrink, every rate column stays', () => {
  const {lines} = renderTop(model(), state(), {width: 100, height: 10, interfaces: ['lo']})
  assert.match(lines[1], /^#  PROTO  SOURCE +DESTINATION +2s +10s +40s +PEAK +TOTAL +PKT\/S$/)
})

top('top :: view :: the sorted column never goes: sorted by peak at 60 columns, PEAK is shown', () => {
  const {lines} = renderTop(model(), state({rateSort: 'peak'}), {width: 60, height: 10, interfaces: ['lo']})
  assert.match(lines[1], / PEAK( |$)/)
  assert.match(lines[0], /rates, sort peak/)
})

top('top :: view :: pair rows show TX and RX; totals mode shows packets, bytes and share', () => {
  const pair = renderTop(model('pair'), state({by: 'pair'}), {width: 120, height: 10, interfaces: ['lo']}).lines
  assert.match(pair[1], /^#  HOST A +HOST B +TX +RX +2s/)
  const totals = renderTop(model(), state({mode: 'total'}), {width: 120, height: 10, interfaces: ['lo']}).lines
  assert.match(totals[1], /PACKETS +BYTES +SHARE +2s$/)
  assert.match(totals.find((l) => l.startsWith('1 '))!, / 120 +300 kB +96\.2% /)
})

top('top :: view :: a pipe gets no key hints; paused and filter show in the title; the prompt replaces the hints', () => {
  const plain = renderTop(model(), state({paused: true, filter: 'udp'}), {width: 200, height: 10, interfaces: ['lo'], ts: 1700000003, plain: true}).lines
  assert.is(plain.length, 9)
  assert.match(plain[0], /^sockwatch top · \d\d:\d\d:\d\d · PAUSED · lo · by flow · rates, sort 2s · filter: udp · bits\/s$/)
  const typing = renderTop(model(), state({input: 'tcp'}), {width: 80, height: 10, interfaces: ['lo']}).lines
  assert.is(typing.at(-1), 'filter (Enter runs it, Esc cancels): tcp█')
})

top('top :: view :: rates in bits (as iftop) or bytes per second', () => {
  assert.equal([formatRate(125_000, 'bits'), formatRate(125_000, 'bytes'), formatRate(0, 'bits'), formatRate(12.5, 'bits')], ['1.0Mb', '125kB', '0b', '100b'])
})

top.run()
