// A metering process's flow cache over the kernel's per-interval flow records:
// each record adds to its flow's entry, and an entry leaves when it has seen no
// packet for the idle timeout, or has lived for the active timeout (RFC 5470's
// expiry), or at the end. Bounded: when full, the oldest entry leaves early
// ("lack of resources"), so memory stays flat and nothing is lost. Pure: no clock.
import {protoNumber} from '../filter/protocols.js'
import {tcpFlagBits, type FlowRecord} from '../sidecar/records.js'
import {END_REASON, type EndReason} from './ipfix/elements.js'
import type {ExportFlow, Owner} from './ipfix/templates.js'

export interface CacheOptions {
  /** A flow leaves once its first packet is this old (ms). */
  activeMs: number
  /** A flow leaves once it has seen no packet for this long (ms). */
  idleMs: number
  /** The most flows kept at once. */
  maxEntries: number
}

/** A flow record as issue 16's attribution writes it: owner fields when known. */
export type OwnedFlowRecord = FlowRecord & Partial<Record<keyof Owner, string | number | null>>

const OWNER_KEYS = ['pid', 'comm', 'uid', 'cgroup', 'container'] as const

/** The owner a record names, or undefined when it names none. */
export function ownerOf(record: OwnedFlowRecord): Owner | undefined {
  if (record.pid === undefined || record.pid === null) return undefined
  const num = (v: unknown) => (typeof v === 'number' ? v : null)
  const str = (v: unknown) => (typeof v === 'string' ? v : null)
  return {pid: num(record.pid), comm: str(record.comm), uid: num(record.uid), cgroup: str(record.cgroup), container: str(record.container)}
}

/** Epoch seconds (microsecond fraction) to whole epoch milliseconds, without float drift. */
export const toMs = (seconds: number) => Math.floor(Math.round(seconds * 1e6) / 1000)

function keyOf(r: OwnedFlowRecord): string {
  const owner = OWNER_KEYS.map((k) => r[k] ?? '').join('\u0000')
  return `${r.ifindex} ${r.dir} ${r.family} ${r.proto} ${r.src ?? ''} ${r.sport ?? ''} ${r.dst ?? ''} ${r.dport ?? ''} ${r.ethertype ?? ''} ${owner}`
}

function fromRecord(r: OwnedFlowRecord): ExportFlow {
  return {
    // flows come only from live captures, which always know the direction
    family: r.family, dir: r.dir === 'out' ? 'out' : 'in', ifindex: r.ifindex,
    proto: r.family === 0 ? 0 : protoNumber(r.proto) ?? 0,
    ethertype: r.ethertype ?? (typeof r.proto === 'string' && r.proto.startsWith('0x') ? Number.parseInt(r.proto, 16) : 0),
    src: r.src, dst: r.dst, sport: r.sport, dport: r.dport,
    packets: 0, bytes: 0, tcpFlags: 0, startMs: toMs(r.first), endMs: toMs(r.last), reason: END_REASON.forcedEnd,
    owner: ownerOf(r),
  }
}

export class FlowCache {
  /** Insertion order is age order: the first entry is the oldest. */
  private readonly entries = new Map<string, ExportFlow>()

  constructor(private readonly options: CacheOptions) {}

  get size(): number {
    return this.entries.size
  }

  /** Adds a flow record; returns the flows it pushed out (the oldest, when the cache is full). */
  add(record: OwnedFlowRecord): ExportFlow[] {
    const key = keyOf(record)
    let entry = this.entries.get(key)
    const out: ExportFlow[] = []
    if (!entry) {
      while (this.entries.size >= this.options.maxEntries) out.push(this.take(this.entries.keys().next().value!, END_REASON.lackOfResources))
      entry = fromRecord(record)
      this.entries.set(key, entry)
    }
    entry.packets += record.packets
    entry.bytes += record.bytes
    entry.tcpFlags |= tcpFlagBits(record.flags)
    entry.startMs = Math.min(entry.startMs, toMs(record.first))
    entry.endMs = Math.max(entry.endMs, toMs(record.last))
    return out
  }

  /** The flows whose timeouts have passed at nowMs, taken out of the cache. */
  expire(nowMs: number): ExportFlow[] {
    const out: ExportFlow[] = []
    for (const [key, e] of this.entries) {
      if (nowMs - e.endMs >= this.options.idleMs) out.push(this.take(key, END_REASON.idleTimeout))
      else if (nowMs - e.startMs >= this.options.activeMs) out.push(this.take(key, END_REASON.activeTimeout))
    }
    return out
  }

  /** Every flow, taken out (at the end, or on SIGHUP). */
  drain(reason: EndReason = END_REASON.forcedEnd): ExportFlow[] {
    return [...this.entries.keys()].map((key) => this.take(key, reason))
  }

  private take(key: string, reason: EndReason): ExportFlow {
    const e = this.entries.get(key)!
    this.entries.delete(key)
    e.reason = reason
    return e
  }
}
