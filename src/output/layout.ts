// Fits table columns into a terminal's width: each column asks for a width and
// says how narrow it may get; the widest column gives way first, and when even
// the narrowest widths do not fit, optional columns go, least useful first.
// Pure: widths in, widths out; capture's table and the top view share it.
import {elide, truncate} from './format.js'

export interface ColumnSpec {
  /** Stable name (e.g. 'src'); the title is what the header shows. */
  id: string
  title: string
  /** The width it would like: its longest cell, or what such cells need. */
  want: number
  /** The narrowest it may get (text is elided below want). Equal to want: never shrinks. */
  min: number
  align: 'left' | 'right'
  /** Where too-long text loses characters: addresses and names keep both ends (the port). */
  cut: 'middle' | 'end'
  /** Columns with a drop rank go when the minimums do not fit, lowest rank first; without one, never. */
  drop?: number
  /** Takes whatever room is left once every column has its want (one column, usually the last). */
  grow?: boolean
}

export interface FittedColumn extends ColumnSpec {
  width: number
}

export interface Layout {
  columns: FittedColumn[]
  /** Columns that did not fit, by id. */
  dropped: string[]
  /** The width of a full row, gaps included. */
  width: number
  gap: number
}

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0)

/** Shrinks the widest shrinkable width by one until the row fits; false if it cannot. */
function shrink(widths: number[], mins: number[], room: number): boolean {
  let total = sum(widths)
  while (total > room) {
    let widest = -1
    for (let i = 0; i < widths.length; i++) {
      if (widths[i] > mins[i] && (widest === -1 || widths[i] > widths[widest])) widest = i
    }
    if (widest === -1) return false
    widths[widest]--
    total--
  }
  return true
}

/** Column widths for a row at most `width` characters wide. */
export function fitColumns(specs: readonly ColumnSpec[], width: number, gap = 1): Layout {
  let active = [...specs]
  const dropped: string[] = []
  for (;;) {
    const widths = active.map((c) => Math.max(c.want, c.min))
    const mins = active.map((c) => Math.min(c.min, c.want))
    const room = width - gap * Math.max(0, active.length - 1)
    const fits = shrink(widths, mins, room)
    const droppable = active.filter((c) => c.drop !== undefined)
    if (fits || droppable.length === 0) {
      const spare = room - sum(widths)
      const grower = active.findIndex((c) => c.grow)
      if (spare > 0 && grower !== -1) widths[grower] += spare
      const columns = active.map((c, i) => ({...c, width: widths[i]}))
      return {columns, dropped, width: sum(widths) + gap * Math.max(0, columns.length - 1), gap}
    }
    const victim = droppable.reduce((a, b) => (b.drop! < a.drop! ? b : a))
    dropped.push(victim.id)
    active = active.filter((c) => c !== victim)
  }
}

/** One cell at its column's width: elided or cut, then padded. */
export function fitCell(column: FittedColumn, text: string): string {
  const cut = column.cut === 'middle' ? elide(text, column.width) : truncate(text, column.width)
  return column.align === 'right' ? cut.padStart(column.width) : cut.padEnd(column.width)
}

/** A row of cells (by column id) as one line, no wider than the layout, trailing blanks trimmed. */
export function layoutLine(layout: Layout, cells: Readonly<Record<string, string>>): string {
  return layoutCells(layout, layout.columns.map((c) => cells[c.id] ?? ''))
}

/** layoutLine of cells given in the layout's column order (a row a packet: no object to make and read back). */
export function layoutCells(layout: Layout, texts: readonly string[]): string {
  const columns = layout.columns
  const sep = layout.gap === 1 ? ' ' : ' '.repeat(layout.gap)
  let line = columns.length ? fitCell(columns[0], texts[0]) : ''
  for (let i = 1; i < columns.length; i++) line += sep + fitCell(columns[i], texts[i])
  return line.trimEnd()
}

/** The header line: every column's title, fitted like a cell. */
export function layoutHeader(layout: Layout): string {
  return layoutLine(layout, Object.fromEntries(layout.columns.map((c) => [c.id, c.title])))
}
