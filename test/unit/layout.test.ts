// Fitting columns into a terminal: the widest gives way first, optional columns
// go least useful first, long text loses its middle; capture's table re-lays out
// on resize.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {fitColumns, layoutHeader, layoutLine, type ColumnSpec} from '../../src/output/layout.js'
import {packetSink} from '../../src/output/sink.js'
import type {PacketRecord, ReadyRecord} from '../../src/sidecar/records.js'

const layout = suite('layout')

const col = (id: string, want: number, min: number, more: Partial<ColumnSpec> = {}): ColumnSpec => ({id, title: id.toUpperCase(), want, min, align: 'left', cut: 'middle', ...more})
const widths = (specs: ColumnSpec[], width: number) => Object.fromEntries(fitColumns(specs, width).columns.map((c) => [c.id, c.width]))

const cases: [string, ColumnSpec[], number, Record<string, number>][] = [
  ['everything fits: each gets what it wants', [col('a', 10, 4), col('b', 20, 4)], 80, {a: 10, b: 20}],
  ['the widest gives way first, down to the next widest', [col('a', 10, 4), col('b', 30, 4)], 31, {a: 10, b: 20}],
  ['then both give way together', [col('a', 10, 4), col('b', 30, 4)], 17, {a: 8, b: 8}],
  ['a column whose min is its want never shrinks', [col('n', 8, 8), col('b', 30, 4)], 20, {n: 8, b: 11}],
  ['at the minimums a droppable column goes, and the others get the room', [col('a', 20, 10), col('b', 20, 10), col('x', 12, 8, {drop: 1})], 25, {a: 12, b: 12}],
  ['the lowest drop rank goes first', [col('a', 10, 10), col('x', 5, 5, {drop: 2}), col('y', 5, 5, {drop: 1})], 16, {a: 10, x: 5}],
  ['a growing column takes what is left', [col('a', 10, 4), col('g', 5, 5, {grow: true})], 40, {a: 10, g: 29}],
]
for (const [what, specs, width, want] of cases) {
  layout(`layout :: ${what}`, () => {
    assert.equal(widths(specs, width), want)
    const l = fitColumns(specs, width)
    assert.ok(l.width <= width, `${l.width} > ${width}`)
  })
}

layout('layout :: a dropped column is named; with nothing left to drop the minimums stand (wider than asked)', () => {
  const l = fitColumns([col('a', 20, 10), col('x', 12, 8, {drop: 1})], 12)
  assert.equal(l.dropped, ['x'])
  assert.is(l.width, 12)
  const m = fitColumns([col('a', 20, 10), col('b', 20, 10)], 12)
  assert.is(m.width, 21)
})

layout('layout :: a long IPv6 endpoint loses its middle, keeping the port; numbers are right-aligned', () => {
  const l = fitColumns([col('src', 47, 11), col('n', 5, 5, {align: 'right'})], 30)
  const line = layoutLine(l, {src: '[2001:db8:85a3:1234:5678:8a2e:370:7334]:65535', n: '42'})
  assert.is(line, '[2001:db8:85…7334]:65535    42')
  assert.is(line.length, 30)
  assert.is(layoutHeader(l), 'SRC                          N')
})

// ---- capture's table on a resize ----

const ready: ReadyRecord = {v: 1, type: 'ready', ts: 1700000000, interfaces: [{ifindex: 1, name: 'lo'}], ring_size: 8388608}
const p: PacketRecord = {v: 1, type: 'packet', ts: 1700000000.5, ifindex: 1, ifname: 'lo', dir: 'in', family: 6, proto: 'udp', src: '2001:db8:85a3:1234:5678:8a2e:370:7334', dst: '2001:db8::2', sport: 65535, dport: 53, len: 90}

layout('layout :: capture\'s table at 60 columns, then resized to 120: a new header, and rows as wide as the new width allows', () => {
  const out: string[] = []
  let columns = 60
  const sink = packetSink('table', (t) => out.push(t), () => columns)
  sink.ready!(ready)
  sink.packets!([p])
  columns = 120
  sink.packets!([p])
  const lines = out.join('').split('\n').filter(Boolean)
  assert.is(lines.length, 4)
  assert.ok(lines.slice(0, 2).every((l) => l.length <= 60), lines.slice(0, 2).join('\n'))
  assert.ok(lines[1].includes('…'), lines[1])
  assert.match(lines[2], /^TIME +IFACE DIR PROTO SOURCE +DESTINATION +LEN INFO$/)
  assert.match(lines[3], /\[2001:db8:85a3:12…e:370:7334\]:65535 +\[2001:db8::2\]:53 +90$/)
  assert.ok(lines[3].length <= 120)
})

layout.run()
