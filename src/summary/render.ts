// A summary as a table for people or as NDJSON for jq. Pure: text in, text out.
import {elide, endpoint} from '../output/format.js'
import {humanBytes} from '../output/units.js'
import {KEY_FIELDS} from './aggregate.js'
import type {Counts, GroupBy, KeyFields, Row, Summary} from './aggregate.js'

export interface RenderOptions {
  /** Seconds the interval counters cover: adds a RATE column (table) or interval fields (NDJSON). */
  intervalSeconds?: number
  /** A line above the table (e.g. the time of this block). */
  title?: string
  /** Epoch seconds of this batch (NDJSON, with an interval). */
  ts?: number
  /** Whether this is the last batch (NDJSON). */
  final?: boolean
}

const NOUNS: Record<GroupBy, [string, string]> = {
  flow: ['flow', 'flows'],
  pair: ['pair', 'pairs'],
  src: ['source', 'sources'],
  dst: ['destination', 'destinations'],
  sport: ['source port', 'source ports'],
  dport: ['destination port', 'destination ports'],
  proto: ['protocol', 'protocols'],
  iface: ['interface', 'interfaces'],
  process: ['process', 'processes'],
  comm: ['process name', 'process names'],
  user: ['user', 'users'],
  cgroup: ['cgroup', 'cgroups'],
  container: ['container', 'containers'],
}

/** "1 flow", "3 flows", "2 destination ports": n keys of a --by. */
export function countKeys(by: GroupBy, n: number, more = false): string {
  return `${n}${more ? '+' : ''} ${NOUNS[by][n === 1 && !more ? 0 : 1]}`
}

/** Bytes per second over `seconds`, in decimal units: 1.2 MB/s; '-' for no time. */
export function humanRate(bytes: number, seconds: number): string {
  return seconds > 0 ? `${humanBytes(Math.round(bytes / seconds))}/s` : '-'
}

/** A share (0..1) as a percentage with one decimal. */
export const percent = (share: number) => `${(share * 100).toFixed(1)}%`

interface KeyColumn {
  title: string
  cell(key: KeyFields): string
  /** Longest text before the middle is elided (addresses keep both ends). */
  max: number
}

const ADDRESS_MAX = 47 // [ffff:…:ffff]:65535
const text = (v: string | number | null) => (v === null ? '-' : String(v))
const port = (v: string | number | null) => (typeof v === 'number' ? v : undefined)

/** The key columns of the table, per --by. */
const KEY_COLUMNS: Record<GroupBy, KeyColumn[]> = {
  flow: [
    {title: 'PROTO', cell: (k) => text(k.proto), max: 12},
    {title: 'SOURCE', cell: (k) => endpoint(text(k.src), port(k.sport)), max: ADDRESS_MAX},
    {title: 'DESTINATION', cell: (k) => endpoint(text(k.dst), port(k.dport)), max: ADDRESS_MAX},
  ],
  pair: [
    {title: 'HOST A', cell: (k) => text(k.a), max: ADDRESS_MAX},
    {title: 'HOST B', cell: (k) => text(k.b), max: ADDRESS_MAX},
  ],
  src: [{title: 'SOURCE', cell: (k) => text(k.src), max: ADDRESS_MAX}],
  dst: [{title: 'DESTINATION', cell: (k) => text(k.dst), max: ADDRESS_MAX}],
  sport: [{title: 'SPORT', cell: (k) => text(k.sport), max: 5}],
  dport: [{title: 'DPORT', cell: (k) => text(k.dport), max: 5}],
  proto: [{title: 'PROTO', cell: (k) => text(k.proto), max: 12}],
  iface: [{title: 'IFACE', cell: (k) => text(k.iface), max: 16}],
  process: [{title: 'PROCESS', cell: (k) => `${text(k.comm)}/${text(k.pid)}`, max: 24}],
  comm: [{title: 'COMM', cell: (k) => text(k.comm), max: 16}],
  user: [{title: 'UID', cell: (k) => text(k.uid), max: 10}],
  cgroup: [{title: 'CGROUP', cell: (k) => text(k.cgroup), max: 64}],
  container: [
    {title: 'CONTAINER', cell: (k) => text(k.container), max: 64},
    {title: 'RUNTIME', cell: (k) => text(k.runtime), max: 14},
  ],
}

const GAP = '  '

/** The summary as a table: header, the top rows, other, unattributed (if any), total; newline-terminated. */
export function summaryTable(s: Summary, options: RenderOptions = {}): string {
  const seconds = options.intervalSeconds
  const keyColumns = KEY_COLUMNS[s.by]
  const {other, totals} = s
  const tail = (c: Counts, interval: Counts, share: number) => [
    String(c.packets), humanBytes(c.bytes), percent(share), ...(seconds === undefined ? [] : [humanRate(interval.bytes, seconds)]),
  ]
  const body: {rank: string; keys: string[]; tail: string[]}[] = s.rows.map((r: Row) => ({
    rank: String(r.rank),
    keys: keyColumns.map((c) => elide(c.cell(r.key), Math.max(c.max, c.title.length))),
    tail: tail(r, r.interval, r.share),
  }))
  const u = totals.unattributed
  const footer: {label: string; tail: string[]}[] = [
    {label: `other: ${countKeys(s.by, other.keys)}${other.overflow.packets ? ` + more past the ${totals.maxKeys}-key cap` : ''}`, tail: tail(other, other.interval, other.share)},
    ...(u.packets || u.bytes ? [{label: 'overflow (table full)', tail: tail(u, u.interval, u.share)}] : []),
    {label: `total: ${countKeys(s.by, totals.keys, totals.capped)}${totals.dropped === null ? '' : `, ${totals.dropped} dropped`}`, tail: tail(totals, totals.interval, totals.packets || totals.bytes ? 1 : 0)},
  ]
  const tailTitles = ['PACKETS', 'BYTES', 'SHARE', ...(seconds === undefined ? [] : ['RATE'])]

  const rankWidth = Math.max(1, ...body.map((b) => b.rank.length))
  const keyWidths = keyColumns.map((c, i) => Math.max(c.title.length, ...body.map((b) => b.keys[i].length)))
  const labelWidth = Math.max(...footer.map((f) => f.label.length))
  const spanned = keyWidths.reduce((sum, w) => sum + w, 0) + GAP.length * (keyWidths.length - 1)
  if (labelWidth > spanned) keyWidths[keyWidths.length - 1] += labelWidth - spanned
  const keySpan = Math.max(spanned, labelWidth)
  const tailWidths = tailTitles.map((t, i) => Math.max(t.length, ...body.map((b) => b.tail[i].length), ...footer.map((f) => f.tail[i].length)))

  const line = (rank: string, keys: string[], cells: string[]) =>
    [rank.padStart(rankWidth), ...keys, ...cells.map((c, i) => c.padStart(tailWidths[i]))].join(GAP).trimEnd()
  const padKeys = (cells: string[]) => cells.map((c, i) => c.padEnd(keyWidths[i]))

  const out: string[] = []
  if (options.title !== undefined) out.push(options.title)
  out.push(line('#', padKeys(keyColumns.map((c) => c.title)), tailTitles))
  for (const b of body) out.push(line(b.rank, padKeys(b.keys), b.tail))
  for (const f of footer) out.push(line('', [f.label.padEnd(keySpan)], f.tail))
  const note = capNote(s)
  if (note) out.push(`${' '.repeat(rankWidth)}${GAP}${note}`)
  return out.join('\n') + '\n'
}

/** Past the key cap, what the rows' counts mean: exact since kept, and at most the largest error shown short. */
export function capNote(s: Summary): string | undefined {
  if (!s.totals.capped) return undefined
  const worst = s.rows.reduce((m, r) => Math.max(m, r.error.bytes), 0)
  return `past the ${s.totals.maxKeys}-key cap: each row is exact since its key was kept, and may miss up to ${humanBytes(worst)} from before (Space-Saving)`
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6

/** The summary as NDJSON: a "row" object a row, then "other", then "totals"; newline-terminated. */
export function summaryNdjson(s: Summary, options: RenderOptions = {}): string {
  const withInterval = options.intervalSeconds !== undefined
  const interval = (c: Counts) => (withInterval ? {interval_packets: c.packets, interval_bytes: c.bytes} : {})
  const fields = KEY_FIELDS[s.by]
  let out = ''
  for (const r of s.rows) {
    const key: Record<string, string | number | null> = {}
    for (const f of fields) key[f] = r.key[f]
    out += JSON.stringify({type: 'row', rank: r.rank, ...key, packets: r.packets, bytes: r.bytes, share: round6(r.share), first: r.first, last: r.last, ...interval(r.interval), ...(s.totals.capped ? {error_packets: r.error.packets, error_bytes: r.error.bytes} : {})}) + '\n'
  }
  const {other, totals} = s
  out += JSON.stringify({
    type: 'other', keys: other.keys, packets: other.packets, bytes: other.bytes, share: round6(other.share),
    overflow_packets: other.overflow.packets, overflow_bytes: other.overflow.bytes, ...interval(other.interval),
  }) + '\n'
  out += JSON.stringify({
    type: 'totals', by: s.by, sort: s.sort, packets: totals.packets, bytes: totals.bytes, keys: totals.keys, max_keys: totals.maxKeys, capped: totals.capped,
    unattributed_packets: totals.unattributed.packets, unattributed_bytes: totals.unattributed.bytes, dropped: totals.dropped,
    first: totals.first, last: totals.last,
    ...(withInterval ? {ts: options.ts ?? null, interval_s: round6(options.intervalSeconds!), ...interval(totals.interval)} : {}),
    final: options.final ?? true,
  }) + '\n'
  return out
}

/** The closing line on stderr: "N packets in K flows, D dropped" (drops only when known). */
export function summaryClosingLine(s: Summary, more: {skipped?: number} = {}): string {
  const {totals} = s
  const u = totals.unattributed.packets
  let line = `${totals.packets} ${totals.packets === 1 ? 'packet' : 'packets'} in ${countKeys(s.by, totals.keys, totals.capped)}`
  if (u) line += ` (${u} overflow: the flow table was full)`
  if (totals.dropped !== null) line += `, ${totals.dropped} dropped`
  if (more.skipped !== undefined) line += `, ${more.skipped} malformed ${more.skipped === 1 ? 'line' : 'lines'} skipped`
  return line
}
