// The top view as lines of text for a width and a height: a title, the column
// header, the rows, and a footer that is always there (totals, drops, overflow,
// keys). Pure, so the terminal (Ink) and a pipe show the same thing and tests
// can check every width.
import {clockTime, endpoint} from '../output/format.js'
import {fitColumns, layoutLine, type ColumnSpec, type Layout} from '../output/layout.js'
import {humanBytes, humanCount} from '../output/units.js'
import type {GroupBy, KeyFields} from '../summary/aggregate.js'
import {countKeys, percent} from '../summary/render.js'
import type {Mode, RateSort, TopModel, TopRow, TopTotals, TotalSort} from './model.js'
import type {KeyRates} from './windows.js'

export type Units = 'bits' | 'bytes'

export interface ViewState {
  mode: Mode
  rateSort: RateSort
  totalSort: TotalSort
  by: GroupBy
  units: Units
  paused: boolean
  /** First row shown (scrolling). */
  offset: number
  help: boolean
  /** The filter being typed after '/', if any. */
  input?: string
  /** The filter the kernel runs ('' for everything). */
  filter: string
  /** One line for the user: a refused filter, a restart. */
  message?: string
}

export interface ViewContext {
  width: number
  /** Lines available; the footer always fits (at least 6 lines are used). */
  height: number
  /** Names of the interfaces counted on. */
  interfaces: string[]
  /** The sidecar's time of the last read (epoch seconds), if any. */
  ts?: number
  /** For a pipe: no key hints. */
  plain?: boolean
}

const ADDRESS_MAX = 47 // [ffff:…:ffff]:65535
// an IPv4 endpoint with its port, whole: past that, columns of rates go before addresses shrink
const ADDRESS_MIN = 15
const RATE_WIDTH = 6 // 999kb, 1.2Mb, 12Gb

/** A rate as iftop prints it: 1.2Mb (bits) or 1.2MB (bytes), per second. */
export function formatRate(bytesPerSecond: number, units: Units): string {
  return units === 'bits' ? `${humanCount(bytesPerSecond * 8)}b` : `${humanCount(bytesPerSecond)}B`
}

const text = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : String(v))
const port = (v: string | number | null | undefined) => (typeof v === 'number' ? v : undefined)

interface KeyColumn {
  id: string
  title: string
  cell(key: KeyFields): string
  max: number
  min: number
  drop?: number
}

/** The columns that name a row, per --by. */
const KEY_COLUMNS: Record<GroupBy, KeyColumn[]> = {
  flow: [
    {id: 'proto', title: 'PROTO', cell: (k) => text(k.proto), max: 6, min: 5, drop: 3},
    {id: 'src', title: 'SOURCE', cell: (k) => endpoint(text(k.src), port(k.sport)), max: ADDRESS_MAX, min: ADDRESS_MIN},
    {id: 'dst', title: 'DESTINATION', cell: (k) => endpoint(text(k.dst), port(k.dport)), max: ADDRESS_MAX, min: ADDRESS_MIN},
  ],
  pair: [
    {id: 'a', title: 'HOST A', cell: (k) => text(k.a), max: ADDRESS_MAX, min: ADDRESS_MIN},
    {id: 'b', title: 'HOST B', cell: (k) => text(k.b), max: ADDRESS_MAX, min: ADDRESS_MIN},
  ],
  src: [{id: 'src', title: 'SOURCE', cell: (k) => text(k.src), max: ADDRESS_MAX, min: ADDRESS_MIN}],
  dst: [{id: 'dst', title: 'DESTINATION', cell: (k) => text(k.dst), max: ADDRESS_MAX, min: ADDRESS_MIN}],
  sport: [{id: 'sport', title: 'SPORT', cell: (k) => text(k.sport), max: 5, min: 5}],
  dport: [{id: 'dport', title: 'DPORT', cell: (k) => text(k.dport), max: 5, min: 5}],
  proto: [{id: 'proto', title: 'PROTO', cell: (k) => text(k.proto), max: 12, min: 5}],
  iface: [{id: 'iface', title: 'IFACE', cell: (k) => text(k.iface), max: 15, min: 5}],
  // whose traffic (docs/attribution.md): '-' where the kernel could not tell
  process: [{id: 'process', title: 'PROCESS', cell: (k) => (k.comm === null && k.pid === null ? '-' : `${text(k.comm)}/${text(k.pid)}`), max: 24, min: 8}],
  comm: [{id: 'comm', title: 'COMM', cell: (k) => text(k.comm), max: 16, min: 4}],
  user: [{id: 'user', title: 'UID', cell: (k) => text(k.uid), max: 10, min: 3}],
  cgroup: [{id: 'cgroup', title: 'CGROUP', cell: (k) => text(k.cgroup), max: 60, min: 10}],
  container: [{id: 'container', title: 'CONTAINER', cell: (k) => (k.container === null ? '-' : `${text(k.runtime)}:${String(k.container).slice(0, 12)}`), max: 30, min: 10}],
}

interface NumberColumn {
  id: string
  title: string
  /** Lower drop ranks go first on a narrow terminal; the sorted column never goes. */
  drop?: number
  sort?: RateSort | TotalSort
  cell(row: TopRow, units: Units, window: number, totals: TopTotals): string
  width?: number
}

const rateCell = (r: KeyRates | undefined, units: Units, pick: (r: KeyRates) => number) => (r ? formatRate(pick(r), units) : '-')

const RATE_COLUMNS = (by: GroupBy): NumberColumn[] => [
  // a pair folds both directions into one row, and shows each (in the sorted window)
  ...(by === 'pair'
    ? [
      {id: 'tx', title: 'TX', drop: 7, cell: (row: TopRow, u: Units, w: number) => rateCell(row.rates, u, (r) => r.tx[w])},
      {id: 'rx', title: 'RX', drop: 7, cell: (row: TopRow, u: Units, w: number) => rateCell(row.rates, u, (r) => r.rx[w])},
    ]
    : []),
  {id: '2s', title: '2s', sort: '2s', cell: (row, u) => rateCell(row.rates, u, (r) => r.bytes[0])},
  {id: '10s', title: '10s', sort: '10s', drop: 6, cell: (row, u) => rateCell(row.rates, u, (r) => r.bytes[1])},
  {id: '40s', title: '40s', sort: '40s', drop: 4, cell: (row, u) => rateCell(row.rates, u, (r) => r.bytes[2])},
  {id: 'peak', title: 'PEAK', sort: 'peak', drop: 2, cell: (row, u) => rateCell(row.rates, u, (r) => r.peak)},
  {id: 'total', title: 'TOTAL', drop: 5, cell: (row) => (row.total ? humanBytes(row.total.bytes) : '-'), width: 7},
  {id: 'pps', title: 'PKT/S', sort: 'pkt/s', drop: 1, cell: (row) => (row.rates ? humanCount(row.rates.packets[0]) : '-')},
]

const TOTAL_COLUMNS: NumberColumn[] = [
  {id: 'packets', title: 'PACKETS', sort: 'packets', drop: 3, cell: (row) => (row.total ? String(row.total.packets) : '-'), width: 9},
  {id: 'bytes', title: 'BYTES', sort: 'bytes', cell: (row) => (row.total ? humanBytes(row.total.bytes) : '-'), width: 7},
  {id: 'share', title: 'SHARE', drop: 2, cell: (row, _u, _w, t) => (row.total ? percent(t.bytes ? row.total.bytes / t.bytes : 0) : '-')},
  {id: '2s', title: '2s', drop: 1, cell: (row, u) => rateCell(row.rates, u, (r) => r.bytes[0])},
]

const SORT_WINDOW: Record<RateSort, number> = {'2s': 0, '10s': 1, '40s': 2, peak: 0, 'pkt/s': 0}

/** The sort key of the mode the view is in. */
export const sortOf = (s: ViewState): RateSort | TotalSort => (s.mode === 'rate' ? s.rateSort : s.totalSort)

/** Title, header and footer lines around the rows. */
const CHROME = 5

/** How many rows fit under the title and header and above the footer. */
export const rowsFor = (height: number) => Math.max(1, height - CHROME)

/** The key hints on the last line. */
export const HINTS = 'q quit  p pause  s/S sort  t rate/total  b by  u units  / filter  ? help'

/** The same, for a narrow terminal. */
export const SHORT_HINTS = 'q quit p pause s sort t total b by / filter ? help'

/** What each key does, for '?'. */
export const HELP = [
  'q, Ctrl-C    quit (the totals stay on the screen)',
  'p            pause the display (counting goes on)',
  's / S        next / previous sort column',
  't            rate view (2 s / 10 s / 40 s averages) or totals since the start',
  'b            next --by: flow, pair, src, dst, sport, dport, proto, iface (counts start again)',
  'u            bits/s or bytes/s',
  '↑ ↓ PgUp PgDn Home End   scroll',
  '/            type a filter (tcpdump words); Enter runs it in the kernel, Esc cancels',
  '?            this help; any key closes it',
  '',
  'TX / RX (--by pair): bytes from HOST A to HOST B / back, in the sorted window.',
  'Counts are the kernel\'s, per flow, read every interval; overflow is traffic no',
  'flow table entry could hold, drops what the kernel could not hand over.',
]

/** The view's lines: exactly ctx.height of them, none wider than ctx.width. */
export function renderTop(model: TopModel, state: ViewState, ctx: ViewContext): {lines: string[]; header: number} {
  const {width} = ctx
  const totals = model.totals()
  const sort = sortOf(state)
  const window = state.mode === 'rate' ? SORT_WINDOW[state.rateSort] : 0
  const limit = rowsFor(ctx.height)
  const rows = state.help ? [] : model.rows(state.mode, sort, state.offset, limit)
  const keyColumns = KEY_COLUMNS[model.by]
  const numbers = state.mode === 'rate' ? RATE_COLUMNS(model.by) : TOTAL_COLUMNS

  const rankWidth = Math.max(1, String(state.offset + rows.length).length)
  const keyCells = rows.map((r) => keyColumns.map((c) => c.cell(r.key)))
  const numberCells = rows.map((r) => numbers.map((c) => c.cell(r, state.units, window, totals)))
  const specs: ColumnSpec[] = [
    {id: 'rank', title: '#', want: rankWidth, min: rankWidth, align: 'right', cut: 'end'},
    ...keyColumns.map((c, i) => {
      const longest = Math.max(c.title.length, ...keyCells.map((k) => k[i].length))
      return {id: c.id, title: c.title, want: Math.min(c.max, Math.max(c.min, longest)), min: c.min, align: 'left' as const, cut: 'middle' as const, drop: c.drop}
    }),
    ...numbers.map((c, i) => {
      const w = Math.max(c.width ?? RATE_WIDTH, c.title.length, ...numberCells.map((n) => n[i].length))
      return {id: c.id, title: c.title, want: w, min: w, align: 'right' as const, cut: 'end' as const, drop: c.sort === sort ? undefined : c.drop}
    }),
  ]
  const layout: Layout = fitColumns(specs, width, 2)
  const cells = (rank: string, keys: string[], nums: string[]) => ({
    rank,
    ...Object.fromEntries(keyColumns.map((c, i) => [c.id, keys[i]])),
    ...Object.fromEntries(numbers.map((c, i) => [c.id, nums[i]])),
  })

  const clip = (line: string) => (line.length > width ? line.slice(0, Math.max(0, width - 1)) + '…' : line)
  const lines: string[] = []
  const title = [
    'sockwatch top',
    // the time of the last read: the screen shows when it changed
    ...(ctx.ts === undefined ? [] : [clockTime(ctx.ts, 3).slice(0, 8)]),
    ...(state.paused ? ['PAUSED'] : []),
    ctx.interfaces.length ? ctx.interfaces.join(',') : 'every interface',
    `by ${model.by}`,
    `${state.mode === 'rate' ? 'rates' : 'totals'}, sort ${sort}`,
    ...(state.filter ? [`filter: ${state.filter}`] : []),
    state.units === 'bits' ? 'bits/s' : 'bytes/s',
  ].join(' · ')
  lines.push(clip(title))
  const header = lines.length
  lines.push(clip(layoutLine(layout, Object.fromEntries(layout.columns.map((c) => [c.id, c.title])))))
  if (state.help) {
    for (const h of HELP.slice(0, limit)) lines.push(clip(h))
  } else {
    rows.forEach((_, i) => lines.push(clip(layoutLine(layout, cells(String(state.offset + i + 1), keyCells[i], numberCells[i])))))
    if (rows.length === 0) lines.push(clip(model.ticks === 0 ? 'waiting for the first read of the kernel\'s flow table…' : 'no traffic in the last 40 s'))
  }
  while (lines.length < header + 1 + limit) lines.push('')

  // the footer: totals in the number columns, then drops and overflow, always shown
  const totalRow: TopRow = {text: '', key: {}, rates: totals.rates, total: {packets: totals.packets, bytes: totals.bytes, error: {packets: 0, bytes: 0}}}
  const totalNums = numbers.map((c) => c.cell(totalRow, state.units, window, totals))
  const keySpan = layout.columns.filter((c) => !numbers.some((n) => n.id === c.id)).reduce((n, c) => n + c.width + layout.gap, 0)
  const label = `total: ${countKeys(model.by, totals.keys, totals.capped)}`
  const numberPart = layoutLine({...layout, columns: layout.columns.filter((c) => numbers.some((n) => n.id === c.id))}, Object.fromEntries(numbers.map((c, i) => [c.id, totalNums[i]])))
  lines.push(clip(`${label.length <= keySpan ? label.padEnd(keySpan) : label.slice(0, keySpan)}${numberPart}`))
  const health = [
    `${totals.matched} matched`,
    `${totals.dropped ?? 0} dropped`,
    `${totals.overflow} overflow${totals.overflow ? ' (table full)' : ''}`,
    `keys ${totals.keys}/${totals.maxKeys}${totals.capped ? ' capped: Space-Saving' : ''}`,
  ].join(' · ')
  lines.push(clip(state.message ? `${state.message} · ${health}` : health))
  if (!ctx.plain) lines.push(clip(state.input !== undefined ? `filter (Enter runs it, Esc cancels): ${state.input}█` : width >= HINTS.length ? HINTS : SHORT_HINTS))
  return {lines, header}
}
