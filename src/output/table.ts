// capture's live table: columns fitted to the terminal once (src/output/layout.ts),
// so rows printed as packets arrive still line up; laid out again, with a new
// header, when the terminal is resized.
import type {PacketRecord} from '../sidecar/records.js'
import {clockTime, endpoint, packetInfo} from './format.js'
import {fitColumns, layoutHeader, layoutLine, type ColumnSpec, type Layout} from './layout.js'

export type TableLayout = Layout

const ENDPOINT_MAX = 47 // [ffff:…:ffff]:65535
const IFNAME_MAX = 15 // IFNAMSIZ - 1

/** The table's columns; IFACE asks for the longest of the interface names captured on. */
export function tableColumns(ifnames: readonly string[] = []): ColumnSpec[] {
  const iface = Math.min(IFNAME_MAX, Math.max(5, ...ifnames.map((n) => n.length)))
  return [
    {id: 'time', title: 'TIME', want: 12, min: 12, align: 'left', cut: 'end'},
    {id: 'iface', title: 'IFACE', want: ifnames.length ? iface : 6, min: 3, align: 'left', cut: 'middle'},
    {id: 'dir', title: 'DIR', want: 3, min: 3, align: 'left', cut: 'end'},
    {id: 'proto', title: 'PROTO', want: 5, min: 5, align: 'left', cut: 'end'},
    {id: 'src', title: 'SOURCE', want: ENDPOINT_MAX, min: 11, align: 'left', cut: 'middle'},
    {id: 'dst', title: 'DESTINATION', want: ENDPOINT_MAX, min: 11, align: 'left', cut: 'middle'},
    {id: 'len', title: 'LEN', want: 5, min: 5, align: 'right', cut: 'end'},
    // TCP flags, ICMP kinds: what is left over, and the first to go on a narrow terminal
    {id: 'info', title: 'INFO', want: 12, min: 8, align: 'left', cut: 'end', drop: 1, grow: true},
  ]
}

/** Column widths for a terminal `width` columns wide (60 and up fit), for these interfaces. */
export function tableLayout(width: number, ifnames: readonly string[] = []): TableLayout {
  return fitColumns(tableColumns(ifnames), width)
}

/** The header line, without the newline. */
export function tableHeader(layout: TableLayout): string {
  return layoutHeader(layout)
}

/** One packet as a table row, without the newline. */
export function tableRow(layout: TableLayout, p: PacketRecord): string {
  return layoutLine(layout, {
    time: clockTime(p.ts, 3),
    iface: p.ifname,
    dir: p.dir,
    proto: String(p.proto),
    src: endpoint(p.src, p.sport),
    dst: endpoint(p.dst, p.dport),
    len: String(p.len),
    info: packetInfo(p),
  })
}

/** A batch of rows, newline-terminated. */
export function tableRows(layout: TableLayout, batch: PacketRecord[]): string {
  let out = ''
  for (const p of batch) out += tableRow(layout, p) + '\n'
  return out
}
