// capture's live table: columns fitted to the terminal once (src/output/layout.ts),
// so rows printed as packets arrive still line up; laid out again, with a new
// header, when the terminal is resized.
import type {PacketRecord} from '../sidecar/records.js'
import {clock, endpoint, packetInfo, processText} from './format.js'
import {fitCell, fitColumns, layoutCells, layoutHeader, type ColumnSpec, type Layout} from './layout.js'

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

type Cell = (p: PacketRecord) => string

/** Each column's text for a packet (fitted to the column by the layout); `clockOf` gives the time's. */
function cellsFor(layout: TableLayout, clockOf: (ts: number) => string): Cell[] {
  // with a PROCESS column the owner is there; without one it leads INFO
  const process = layout.columns.some((c) => c.id === 'process')
  const cells: Record<string, Cell> = {
    time: (p) => clockOf(p.ts),
    iface: (p) => p.ifname,
    dir: (p) => p.dir,
    proto: (p) => String(p.proto),
    src: (p) => endpoint(p.src, p.sport),
    dst: (p) => endpoint(p.dst, p.dport),
    process: (p) => processText(p) ?? '-',
    len: (p) => String(p.len),
    info: (p) => packetInfo(p, !process),
  }
  return layout.columns.map((c) => cells[c.id])
}

/** The packet fields a row reads: a reader may decode only these (PacketScanner). */
export const TABLE_READS = [
  'ts', 'ifname', 'dir', 'proto', 'src', 'sport', 'dst', 'dport', 'len',
  // processText
  'pid', 'comm', 'peer_pid', 'peer_comm',
  // packetInfo
  'flags', 'icmp_type', 'icmp_code', 'family', 'frag', 'vlan', 'truncated',
] as const satisfies readonly (keyof PacketRecord)[]

/** A row maker for one layout: each packet's row, without the newline (the clock's second kept between rows). */
export function tableRowMaker(layout: TableLayout): (p: PacketRecord) => string {
  const cells = cellsFor(layout, clock(3))
  const texts: string[] = new Array(cells.length).fill('')
  const row = (p: PacketRecord) => {
    for (let i = 0; i < cells.length; i++) texts[i] = cells[i](p)
    return layoutCells(layout, texts)
  }
  const time = layout.columns[0]
  if (time?.id !== 'time') return row
  // a flood's packets differ mostly in their time: the rest of a row is made again only
  // when a field it shows changed, and the time's cell put before it (as layoutCells would)
  const rest = {...layout, columns: layout.columns.slice(1)}
  const restCells = cells.slice(1)
  const restTexts: string[] = new Array(restCells.length).fill('')
  const sep = ' '.repeat(layout.gap)
  let last: PacketRecord | undefined
  let tail = ''
  return (p) => {
    if (last === undefined || !sameBesidesTime(p, last)) {
      for (let i = 0; i < restCells.length; i++) restTexts[i] = restCells[i](p)
      tail = layoutCells(rest, restTexts)
      last = p
    }
    const cell = fitCell(time, cells[0](p))
    return tail === '' ? cell.trimEnd() : cell + sep + tail
  }
}

/** Whether two packets show the same in a row but for the time: every field of TABLE_READS
 * but ts, named one by one (a loop over the names is a third of a row's cost); a unit test
 * holds it to the list. */
export function sameBesidesTime(a: PacketRecord, b: PacketRecord): boolean {
  return a.ifname === b.ifname && a.dir === b.dir && a.proto === b.proto && a.src === b.src && a.sport === b.sport &&
    a.dst === b.dst && a.dport === b.dport && a.len === b.len && a.pid === b.pid && a.comm === b.comm &&
    a.peer_pid === b.peer_pid && a.peer_comm === b.peer_comm && a.flags === b.flags && a.icmp_type === b.icmp_type &&
    a.icmp_code === b.icmp_code && a.family === b.family && a.frag === b.frag && a.vlan === b.vlan && a.truncated === b.truncated
}

/** One packet as a table row, without the newline. */
export function tableRow(layout: TableLayout, p: PacketRecord): string {
  return tableRowMaker(layout)(p)
}

/** A batch of rows, newline-terminated (`row`: the layout's row maker, kept between batches). */
export function tableRows(layout: TableLayout, batch: readonly PacketRecord[], row = tableRowMaker(layout)): string {
  let out = ''
  for (const p of batch) out += row(p) + '\n'
  return out
}
