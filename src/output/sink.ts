// Picks how packets reach stdout for a --format.
import type {CaptureSink} from '../capture/session.js'
import {tableHeader, tableLayout, tableRows} from './table.js'
import {styleFor, type Style} from './style.js'
import {textLines} from './text.js'

export type Format = 'table' | 'text' | 'json'

/** The default: a table for people on a terminal, text lines for pipes. */
export function defaultFormat(isTTY: boolean | undefined): Format {
  return isTTY ? 'table' : 'text'
}

/** A sink that renders packets in `format` and hands text to `write`. */
export function packetSink(format: Format, write: (text: string) => void, columns = 80, style: Style = styleFor(false)): CaptureSink {
  switch (format) {
    case 'json':
      return {
        rawPackets: write,
        // the last line: what the kernel counted and dropped, so a saved capture shows its completeness
        stats: (record) => {
          if (record.final) write(JSON.stringify(record) + '\n')
        },
      }
    case 'text':
      return {packets: (batch) => write(textLines(batch))}
    case 'table': {
      let layout = tableLayout(columns)
      return {
        // a capture that attributes packets (the ready record says) gets a PROCESS column
        ready: (r) => {
          if (r.process !== undefined) layout = tableLayout(columns, true)
          write(style.bold(tableHeader(layout)) + '\n')
        },
        packets: (batch) => write(tableRows(layout, batch)),
      }
    }
  }
}
