// The flow block `capture --flows` prints between packets in text and table
// formats: the flows the kernel counted in one interval, largest first.
import type {FlowRecord, StatsRecord} from '../sidecar/records.js'
import {clockTime, endpoint, plural} from './format.js'
import {humanBytes} from './units.js'

/** A flow's protocol and endpoints, as the text format writes a packet's; a TCP flow's flags (their OR) as a packet's too. */
function flowKey(f: FlowRecord): string {
  if (f.family === 0) return `${f.ifname} ${f.dir} ${f.proto}`
  const flags = f.flags === undefined ? '' : ` [${f.flags}]`
  return `${f.ifname} ${f.dir} ${f.proto} ${endpoint(f.src, f.sport)} > ${endpoint(f.dst, f.dport)}${flags}`
}

/** The block for one interval: a title, a line a flow, and the overflow if any; newline-terminated. */
export function flowBlock(flows: readonly FlowRecord[], stats: StatsRecord): string {
  const packets = flows.reduce((n, f) => n + f.packets, 0)
  const bytes = flows.reduce((n, f) => n + f.bytes, 0)
  const sorted = [...flows].sort((a, b) => b.bytes - a.bytes || b.packets - a.packets)
  const keys = sorted.map(flowKey)
  const width = Math.max(0, ...keys.map((k) => k.length))
  const lines = [`-- flows to ${clockTime(stats.ts, 3)}: ${plural(flows.length, 'flow')}, ${plural(packets, 'packet')}, ${humanBytes(bytes)}${stats.final ? ' (final)' : ''}`]
  sorted.forEach((f, i) => lines.push(`   ${keys[i].padEnd(width)}  ${plural(f.packets, 'packet').padStart(14)}  ${humanBytes(f.bytes).padStart(8)}`))
  if (stats.overflow) lines.push(`   overflow: ${plural(stats.overflow, 'packet')} in no flow since the start (the flow table was full; --flow-entries)`)
  return `${lines.join('\n')}\n`
}
