// A live table: fixed columns sized once from the terminal width, so rows can
// be printed as packets arrive and still line up.
import type {PacketRecord} from '../sidecar/records.js'
import {clockTime, elide, endpoint, packetInfo, processText, truncate} from './format.js'

export interface Column {
  title: string
  width: number
  align: 'left' | 'right'
  /** Where too-long text loses characters: names and endpoints keep both ends (the port). */
  cut: 'middle' | 'end'
}

export interface TableLayout {
  columns: Column[]
  /** A PROCESS column (comm/pid): the capture attributes packets (docs/attribution.md). */
  process: boolean
  /** Total width of a row, separators included. */
  width: number
}

const FIXED = {time: 12, iface: 6, dir: 3, proto: 5, len: 5}
const ENDPOINT_MIN = 12
const ENDPOINT_MAX = 47 // [ffff:…:ffff]:65535
const INFO_MIN = 12
const PROCESS = 22 // comm/pid <- comm/pid, cut at the end
// narrower than this, a PROCESS column would squeeze the endpoints: the owner leads INFO instead
const PROCESS_MIN_WIDTH = 100

/** Column widths for a terminal `width` columns wide (narrowest sensible: ~70); with `process`, a PROCESS column where it fits. */
export function tableLayout(width: number, wantProcess = false): TableLayout {
  const process = wantProcess && width >= PROCESS_MIN_WIDTH
  const gaps = process ? 8 : 7
  const fixed = FIXED.time + FIXED.iface + FIXED.dir + FIXED.proto + FIXED.len + gaps + (process ? PROCESS : 0)
  const endpointWidth = Math.max(ENDPOINT_MIN, Math.min(ENDPOINT_MAX, Math.floor((width - fixed - INFO_MIN) / 2)))
  const info = Math.max(INFO_MIN, width - fixed - 2 * endpointWidth)
  const columns: Column[] = [
    {title: 'TIME', width: FIXED.time, align: 'left', cut: 'end'},
    {title: 'IFACE', width: FIXED.iface, align: 'left', cut: 'middle'},
    {title: 'DIR', width: FIXED.dir, align: 'left', cut: 'end'},
    {title: 'PROTO', width: FIXED.proto, align: 'left', cut: 'end'},
    {title: 'SOURCE', width: endpointWidth, align: 'left', cut: 'middle'},
    {title: 'DESTINATION', width: endpointWidth, align: 'left', cut: 'middle'},
    ...(process ? [{title: 'PROCESS', width: PROCESS, align: 'left', cut: 'end'} as Column] : []),
    {title: 'LEN', width: FIXED.len, align: 'right', cut: 'end'},
    {title: 'INFO', width: info, align: 'left', cut: 'end'},
  ]
  return {columns, process, width: columns.reduce((sum, c) => sum + c.width, 0) + gaps}
}

function row(layout: TableLayout, cells: string[]): string {
  return cells.map((cell, i) => {
    const {width, align, cut} = layout.columns[i]
    const text = cut === 'middle' ? elide(cell, width) : truncate(cell, width)
    return align === 'right' ? text.padStart(width) : text.padEnd(width)
  }).join(' ').trimEnd()
}

/** The header line, without the newline. */
export function tableHeader(layout: TableLayout): string {
  return row(layout, layout.columns.map((c) => c.title))
}

/** One packet as a table row, without the newline. */
export function tableRow(layout: TableLayout, p: PacketRecord): string {
  return row(layout, [
    clockTime(p.ts, 3),
    p.ifname,
    p.dir,
    String(p.proto),
    endpoint(p.src, p.sport),
    endpoint(p.dst, p.dport),
    ...(layout.process ? [processText(p) ?? '-'] : []),
    String(p.len),
    packetInfo(p, !layout.process),
  ])
}

/** A batch of rows, newline-terminated. */
export function tableRows(layout: TableLayout, batch: PacketRecord[]): string {
  let out = ''
  for (const p of batch) out += tableRow(layout, p) + '\n'
  return out
}
