// Picks how packets reach stdout for a --format.
import type {CaptureSink} from '../capture/session.js'
import {TABLE_READS, tableHeader, tableLayout, tableRowMaker, tableRows} from './table.js'
import {styleFor, type Style} from './style.js'
import {textFormatter, textLines, type TextOptions} from './text.js'

export type Format = 'table' | 'text' | 'json'

/** The default: a table for people on a terminal, text lines for pipes. */
export function defaultFormat(isTTY: boolean | undefined): Format {
  return isTTY ? 'table' : 'text'
}

/** A sink that renders packets in `format` and hands text to `write`. */
export function packetSink(format: Format, write: (text: string) => void, columns: number | (() => number | undefined) = 80, style: Style = styleFor(false), text: TextOptions = {}): CaptureSink {
  switch (format) {
    case 'json':
      return {
        rawPackets: write,
        // the last line: what the kernel counted and dropped, so a saved capture shows its completeness
        stats: (record) => {
          if (record.final) write(JSON.stringify(record) + '\n')
        },
      }
    case 'text': {
      const lines = textLines(textFormatter(text))
      return {packets: (batch) => write(lines(batch))}
    }
    case 'table': {
      const widthNow = () => (typeof columns === 'function' ? columns() : columns) ?? 80
      let ifnames: string[] = []
      // a capture that attributes packets (the ready record says) gets a PROCESS column
      let process = false
      let width = widthNow()
      let layout = tableLayout(width)
      let row = tableRowMaker(layout)
      const relayout = () => {
        layout = tableLayout(width, ifnames, process)
        row = tableRowMaker(layout)
        write(style.bold(tableHeader(layout)) + '\n')
      }
      return {
        fields: TABLE_READS,
        ready: (record) => {
          ifnames = record.interfaces.map((i) => i.name)
          process = record.process === true
          relayout()
        },
        packets: (batch) => {
          // the terminal was resized: lay out again, and say so with a new header
          const now = widthNow()
          if (now !== width) {
            width = now
            relayout()
          }
          write(tableRows(layout, batch, row))
        },
      }
    }
  }
}
