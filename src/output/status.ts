// The live status line a terminal user sees on stderr while capturing.
import {clock, humanCount} from './units.js'

export interface StatusInput {
  captured: number
  dropped: number
  elapsedMs: number
  /** Packets a second over the last update. */
  rate: number
}

/** One line, no newline: "1.2k pkt/s · 12345 packets · 0 dropped · 00:01:23". */
export function statusLine(s: StatusInput): string {
  return `${humanCount(s.rate)} pkt/s · ${s.captured} packets · ${s.dropped} dropped · ${clock(s.elapsedMs)}`
}
