// One tcpdump -n-like line a packet, for pipes and logs: a timestamp (tcpdump's -t
// family), the interface and direction, then tcpdump's own words (./tcpdump.ts).
import {dumpText, type Dump} from './dump.js'
import type {PacketRecord} from '../sidecar/records.js'
import {clock, processText} from './format.js'
import {tcpdumpBody} from './tcpdump.js'

/** tcpdump's timestamp options by how many -t: 0 time of day, 1 none, 2 epoch, 3 delta, 4 date and time, 5 since the first. */
export type Stamp = 0 | 1 | 2 | 3 | 4 | 5

export interface TextOptions {
  stamp?: Stamp
  /** -e: MAC addresses, ethertype and frame length first. */
  link?: boolean
  /** -X or -A: each packet's bytes after its line, as tcpdump prints them. */
  dump?: Dump
}

const pad2 = (n: number) => String(n).padStart(2, '0')

/** Seconds and microseconds of a stamp, rounded to the microsecond. */
function split(ts: number): [number, number] {
  let seconds = Math.floor(ts)
  let micros = Math.round((ts - seconds) * 1e6)
  if (micros === 1e6) [seconds, micros] = [seconds + 1, 0]
  return [seconds, micros]
}

const micro6 = (n: number) => String(n).padStart(6, '0')

/** A span as tcpdump -ttt prints it: 00:00:01.000250. */
function span(seconds: number): string {
  const [s, us] = split(Math.max(0, seconds))
  return `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}.${micro6(us)}`
}

/** Local date and time as tcpdump -tttt prints it: 2026-12-01 18:22:11.709732. */
function dateTime(ts: number): string {
  const [s, us] = split(ts)
  const d = new Date(s * 1000)
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${micro6(us)}`
}

/** A line formatter; stateful for -ttt and -ttttt, which print time since an earlier packet. */
export function textFormatter(options: TextOptions = {}): (p: PacketRecord) => string {
  const {stamp = 0, link = false, dump} = options
  let first: number | undefined
  let previous: number | undefined
  const clockTime = clock(6)
  const stampOf = (ts: number): string => {
    first ??= ts
    const since = previous ?? ts
    previous = ts
    switch (stamp) {
      case 0: return clockTime(ts)
      case 1: return ''
      case 2: {
        const [s, us] = split(ts)
        return `${s}.${micro6(us)}`
      }
      case 3: return span(ts - since)
      case 4: return dateTime(ts)
      case 5: return span(ts - first)
    }
  }
  return (p) => {
    const head = stampOf(p.ts)
    // whose packet, after tcpdump's own wording so that stays comparable: ' (comm/pid <- peer/pid)';
    // nothing when attribution is off or the kernel could not tell (the JSON record says null)
    const who = typeof p.pid === 'number' ? ` (${processText(p)})` : ''
    const bytes = dump ? dumpText(dump, p.data) : ''
    // a file that names no interface: '' (no empty column)
    return `${head ? head + ' ' : ''}${p.ifname ? p.ifname + ' ' : ''}${p.dir} ${tcpdumpBody(p, link)}${who}${bytes}`
  }
}

/** A packet as one line of text with the time of day, without the newline. */
export function textLine(p: PacketRecord, options: TextOptions = {}): string {
  return textFormatter(options)(p)
}

/** Batches of packets as text lines, newline-terminated. */
export function textLines(format: (p: PacketRecord) => string = textFormatter()): (batch: PacketRecord[]) => string {
  return (batch) => {
    let out = ''
    for (const p of batch) out += format(p) + '\n'
    return out
  }
}
