// One tcpdump-like line a packet, for pipes and logs.
import type {PacketRecord} from '../sidecar/records.js'
import {clockTime, packetInfo} from './format.js'

// tcpdump's address.port form: 127.0.0.1.53, ::1.53
const hostPort = (address: string | undefined, port: number | undefined) =>
  port === undefined ? address ?? '-' : `${address}.${port}`

/** A packet as one line of text, without the newline. */
export function textLine(p: PacketRecord): string {
  const head = `${clockTime(p.ts)} ${p.ifname} ${p.dir}`
  const info = packetInfo(p)
  if (p.family === 0) return `${head} ${p.proto}${info ? ' ' + info : ''}, length ${p.len}`
  return `${head} ${p.family === 6 ? 'IP6' : 'IP'} ${hostPort(p.src, p.sport)} > ${hostPort(p.dst, p.dport)}: ${p.proto}${info ? ' ' + info : ''}, length ${p.len}`
}

/** A batch of packets as text lines, newline-terminated. */
export function textLines(batch: PacketRecord[]): string {
  let out = ''
  for (const p of batch) out += textLine(p) + '\n'
  return out
}
