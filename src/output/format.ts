// Small pure helpers the renderers share.
import type {PacketRecord, ReadyRecord} from '../sidecar/records.js'

const pad2 = (n: number) => (n < 10 ? '0' : '') + n

/** Local wall-clock time of an epoch-seconds stamp, with `digits` fraction digits (3 or 6). */
export function clockTime(ts: number, digits: 3 | 6 = 6): string {
  return clock(digits)(ts)
}

/**
 * clockTime as a function that keeps the last second's "HH:MM:SS." (a Date and its
 * fields are most of the cost, and a flood's packets share their second); exact, as
 * local time changes only at whole seconds.
 */
export function clock(digits: 3 | 6 = 6): (ts: number) => string {
  let second = Number.NaN
  let prefix = ''
  return (ts) => {
    let seconds = Math.floor(ts)
    let micros = Math.round((ts - seconds) * 1e6)
    if (micros === 1e6) {
      seconds++
      micros = 0
    }
    if (seconds !== second) {
      const d = new Date(seconds * 1000)
      prefix = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.`
      second = seconds
    }
    return prefix + String(micros).padStart(6, '0').slice(0, digits)
  }
}

const ICMP4: Record<number, string> = {0: 'echo reply', 3: 'unreachable', 5: 'redirect', 8: 'echo request', 11: 'time exceeded'}
const ICMP6: Record<number, string> = {
  1: 'unreachable', 2: 'too big', 3: 'time exceeded', 128: 'echo request', 129: 'echo reply',
  133: 'router solicitation', 134: 'router advertisement', 135: 'neighbor solicitation', 136: 'neighbor advertisement',
}

/** What a person wants to know beyond addresses: TCP flags, ICMP kind, fragments, VLAN. */
export function packetInfo(p: PacketRecord, withOwner = true): string {
  const parts: string[] = [] // family 0: proto already names the ethertype
  if (p.flags !== undefined) parts.push(`[${p.flags}]`)
  if (p.icmp_type !== undefined) {
    const name = (p.family === 6 ? ICMP6 : ICMP4)[p.icmp_type]
    parts.push(name ?? `type ${p.icmp_type}`)
    if (p.icmp_code) parts.push(`code ${p.icmp_code}`)
  }
  if (p.frag) parts.push(p.frag === 'first' ? 'frag first' : 'frag')
  if (p.vlan !== undefined) parts.push(`vlan ${p.vlan}`)
  if (p.truncated) parts.push('truncated')
  const owner = withOwner ? processText(p) : undefined
  if (owner !== undefined) parts.unshift(owner)
  return parts.join(' ')
}

/**
 * Whose packet, as comm/pid (docs/attribution.md): with the other end on this host,
 * "curl/88 <- nginx/12" (this end, then the peer); "-" for an unattributed one; undefined
 * when the record has no owner fields (--no-process, or an older capture).
 */
export function processText(p: PacketRecord): string | undefined {
  if (p.pid === undefined) return undefined
  const self = p.pid === null ? '-' : `${p.comm ?? '?'}/${p.pid}`
  return p.peer_pid === undefined ? self : `${self} <- ${p.peer_comm ?? '?'}/${p.peer_pid}`
}

/** An endpoint as people write it: 10.0.0.1:443, [::1]:443, or the bare address. */
export function endpoint(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return '-'
  if (port === undefined) return address
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}

/** Shortens text to width by eliding its middle, keeping both ends (ports stay visible). */
export function elide(text: string, width: number): string {
  if (text.length <= width) return text
  if (width <= 1) return text.slice(0, width)
  const keep = width - 1
  const head = Math.ceil(keep / 2)
  return text.slice(0, head) + '…' + text.slice(text.length - (keep - head))
}

/** Shortens text to width, marking the cut with an ellipsis at the end. */
export function truncate(text: string, width: number): string {
  if (text.length <= width) return text
  return width <= 1 ? text.slice(0, width) : text.slice(0, width - 1) + '…'
}

/** What capture says on stderr once the engine is ready: where (as tcpdump's "listening on": people and tests know capture has begun), and attribution turned off. */
export function readyLines(r: ReadyRecord): string[] {
  const lines = [`sockwatch: capturing on ${r.interfaces.map((i) => i.name).join(', ')}; Ctrl-C to stop`]
  if (r.process === false) lines.push(`sockwatch: process attribution is off: ${r.process_off ?? 'the engine could not turn it on'}; pid, comm, uid, cgroup and container are null (--no-process turns it off quietly)`)
  return lines
}

/** The line every capture ends with on stderr, as tcpdump does. */
export function closingLine(r: {captured: number; dropped: number}): string {
  return `${plural(r.captured, 'packet')} captured, ${r.dropped} dropped`
}

/** "1 packet", "2 packets". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** The line `capture -r` ends with: packets read, the drops the file recorded, malformed lines, and why nothing was read from a flows stream. */
export function replayClosingLine(r: {read: number; skipped: number; dropped: number | null; flows: number}): string {
  let line = `${plural(r.read, 'packet')} read`
  if (r.dropped !== null) line += `, ${r.dropped} dropped when captured`
  line += `, ${plural(r.skipped, 'malformed line')} skipped`
  if (r.read === 0 && r.flows > 0) line += `: the input holds ${plural(r.flows, 'flow record')} (flows mode), which 'sockwatch summary -r' reads`
  return line
}
