// capture's live table: columns fitted to the terminal once (src/output/layout.ts),
// so rows printed as packets arrive still line up; laid out again, with a new
// header, when the terminal is resized.
import type {PacketRecord} from '../sidecar/records.js'
import {clockTime, endpoint, packetInfo, processText} from './format.js'
import {fitColumns, layoutHeader, layoutLine, type ColumnSpec, type Layout} from './layout.js'

export type TableLayout = Layout

const ENDPOINT_MAX = 47 // [ffff:…:ffff]:65535
const IFNAME_MAX = 15 // IFNAMSIZ - 1
const PROCESS = 22 // comm/pid <- comm/pid, cut at the end
// narrower than this, a PROCESS column would squeeze the endpoints: the owner leads INFO instead
const PROCESS_MIN_WIDTH = 100

/** The table's columns; IFACE asks for the longest of the interface names captured on. */
export function tableColumns(ifnames: readonly string[] = [], process = false): ColumnSpec[] {
  const iface = Math.min(IFNAME_MAX, Math.max(5, ...ifnames.map((n) => n.length)))
  return [
    {id: 'time', title: 'TIME', want: 12, min: 12, align: 'left', cut: 'end'},
    {id: 'iface', title: 'IFACE', want: ifnames.length ? iface : 6, min: 3, align: 'left', cut: 'middle'},
    {id: 'dir', title: 'DIR', want: 3, min: 3, align: 'left', cut: 'end'},
    {id: 'proto', title: 'PROTO', want: 5, min: 5, align: 'left', cut: 'end'},
    {id: 'src', title: 'SOURCE', want: ENDPOINT_MAX, min: 11, align: 'left', cut: 'middle'},
    {id: 'dst', title: 'DESTINATION', want: ENDPOINT_MAX, min: 11, align: 'left', cut: 'middle'},
    // comm/pid <- comm/pid: a capture that attributes packets (docs/attribution.md), on a wide terminal
    ...(process ? [{id: 'process', title: 'PROCESS', want: PROCESS, min: PROCESS, align: 'left', cut: 'end'} as ColumnSpec] : []),
    {id: 'len', title: 'LEN', want: 5, min: 5, align: 'right', cut: 'end'},
    // TCP flags, ICMP kinds: what is left over, and the first to go on a narrow terminal
    {id: 'info', title: 'INFO', want: 12, min: 8, align: 'left', cut: 'end', drop: 1, grow: true},
  ]
}

/** Column widths for a terminal `width` columns wide (60 and up fit), for these interfaces; with `process`, a PROCESS column from 100 columns up. */
export function tableLayout(width: number, ifnames: readonly string[] = [], process = false): TableLayout {
  return fitColumns(tableColumns(ifnames, process && width >= PROCESS_MIN_WIDTH), width)
}

/** The header line, without the newline. */
export function tableHeader(layout: TableLayout): string {
  return layoutHeader(layout)
}

/** One packet as a table row, without the newline. */
export function tableRow(layout: TableLayout, p: PacketRecord): string {
  const process = layout.columns.some((c) => c.id === 'process')
  return layoutLine(layout, {
    time: clockTime(p.ts, 3),
    iface: p.ifname,
    dir: p.dir,
    proto: String(p.proto),
    src: endpoint(p.src, p.sport),
    dst: endpoint(p.dst, p.dport),
    process: process ? processText(p) ?? '-' : '',
    len: String(p.len),
    info: packetInfo(p, !process),
  })
}

/** A batch of rows, newline-terminated. */
export function tableRows(layout: TableLayout, batch: PacketRecord[]): string {
  let out = ''
  for (const p of batch) out += tableRow(layout, p) + '\n'
  return out
}
