// Adds up packet and flow records per key (--by), in bounded memory, and ranks
// the keys (--sort, --top). Pure: no I/O, no clock.
import type {FlowRecord, PacketRecord} from '../sidecar/records.js'

export const GROUP_BY = ['flow', 'pair', 'src', 'dst', 'sport', 'dport', 'proto', 'iface', 'process', 'comm', 'user', 'cgroup', 'container'] as const
/** The --by keys that need packet records' owner fields (docs/attribution.md). */
export const OWNER_GROUP_BY: readonly GroupBy[] = ['process', 'comm', 'user', 'cgroup', 'container']
export type GroupBy = (typeof GROUP_BY)[number]

export const SORT_BY = ['bytes', 'packets'] as const
export type SortBy = (typeof SORT_BY)[number]

/** Distinct keys kept by default; past it, new keys are counted in "other" only (docs/summary.md). */
export const DEFAULT_MAX_KEYS = 100_000

/** The fields that name a row, per --by, in column order. */
export const KEY_FIELDS: Record<GroupBy, readonly string[]> = {
  flow: ['family', 'proto', 'src', 'sport', 'dst', 'dport'],
  pair: ['a', 'b'],
  src: ['src'],
  dst: ['dst'],
  sport: ['sport'],
  dport: ['dport'],
  proto: ['proto'],
  iface: ['iface'],
  process: ['comm', 'pid'],
  comm: ['comm'],
  user: ['uid'],
  cgroup: ['cgroup'],
  container: ['container', 'runtime'],
}

/** A row's key: addresses and names as text, ports as numbers (null where the protocol has none). */
export type KeyFields = Readonly<Record<string, string | number | null>>

/** What the aggregator reads from a packet or a flow record. */
export type Keyed = Pick<PacketRecord, 'family' | 'proto' | 'src' | 'dst' | 'sport' | 'dport' | 'ifname' | 'pid' | 'comm' | 'uid' | 'cgroup' | 'container' | 'runtime'>

/** An owner field as text: '-' where the record has none (unattributed, or a flow record). */
const owned = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : String(v))

export interface Counts {
  packets: number
  bytes: number
}

export interface Row extends Counts {
  /** 1 for the largest. */
  rank: number
  key: KeyFields
  /** The key as one line of text; ties in the sort column are ordered by it. */
  text: string
  /** This row's part of the total in the sort column, 0..1. */
  share: number
  /** Epoch seconds of the first and last packet counted. */
  first: number
  last: number
  /** What was added since the last nextInterval(). */
  interval: Counts
}

export interface Other extends Counts {
  /** Distinct keys kept but outside the top N (keys past the cap are not counted). */
  keys: number
  share: number
  /** Traffic of keys that arrived once the cap was reached: part of packets and bytes. */
  overflow: Counts
  interval: Counts
}

export interface Totals extends Counts {
  /** Distinct keys kept (a lower bound when capped). */
  keys: number
  /** The cap on distinct keys, and whether it was reached. */
  maxKeys: number
  capped: boolean
  /** Counted by the kernel but in no flow record (evicted from its table): part of packets and bytes. */
  unattributed: Counts & {share: number; interval: Counts}
  /** Packets the kernel could not hand over, beside the total (null: not known, e.g. a saved file). */
  dropped: number | null
  /** Epoch seconds of the first and last packet counted; null before any. */
  first: number | null
  last: number | null
  interval: Counts
}

/** Rows plus other plus unattributed add up to totals, in packets and in bytes. */
export interface Summary {
  by: GroupBy
  sort: SortBy
  rows: Row[]
  other: Other
  totals: Totals
}

export interface AggregatorOptions {
  by: GroupBy
  /** Most distinct keys kept (default DEFAULT_MAX_KEYS). */
  maxKeys?: number
}

export interface ResultOptions {
  /** Rows to return (the rest is "other"). */
  top: number
  sort: SortBy
  /** Packets the kernel dropped; null when unknown. */
  dropped?: number | null
}

interface Entry extends Counts {
  text: string
  record: Keyed
  first: number
  last: number
  /** The interval the interval counters belong to; stale ones read as 0. */
  epoch: number
  intervalPackets: number
  intervalBytes: number
}

/** A record without an address (not IP) stands in with its protocol's name. */
const address = (text: string | undefined, r: Keyed) => text ?? String(r.proto)
const port = (n: number | undefined) => (n === undefined ? '-' : String(n))

/** The key text of a record for a --by: one line, fields separated by spaces. */
export function keyText(by: GroupBy, r: Keyed): string {
  switch (by) {
    case 'flow': return `${r.family} ${r.proto} ${address(r.src, r)} ${port(r.sport)} ${address(r.dst, r)} ${port(r.dport)}`
    case 'pair': {
      const x = address(r.src, r)
      const y = address(r.dst, r)
      return x <= y ? `${x} ${y}` : `${y} ${x}`
    }
    case 'src': return address(r.src, r)
    case 'dst': return address(r.dst, r)
    case 'sport': return port(r.sport)
    case 'dport': return port(r.dport)
    case 'proto': return String(r.proto)
    case 'iface': return r.ifname
    case 'process': return `${owned(r.comm)}/${owned(r.pid)}`
    case 'comm': return owned(r.comm)
    case 'user': return owned(r.uid)
    case 'cgroup': return owned(r.cgroup)
    case 'container': return r.container ? `${r.container} ${r.runtime ?? '-'}` : '-'
  }
}

/** The key fields of a record for a --by (see KEY_FIELDS). */
export function keyFields(by: GroupBy, r: Keyed): KeyFields {
  switch (by) {
    case 'flow': return {family: r.family, proto: r.proto, src: address(r.src, r), sport: r.sport ?? null, dst: address(r.dst, r), dport: r.dport ?? null}
    case 'pair': {
      const x = address(r.src, r)
      const y = address(r.dst, r)
      return x <= y ? {a: x, b: y} : {a: y, b: x}
    }
    case 'src': return {src: address(r.src, r)}
    case 'dst': return {dst: address(r.dst, r)}
    case 'sport': return {sport: r.sport ?? null}
    case 'dport': return {dport: r.dport ?? null}
    case 'proto': return {proto: r.proto}
    case 'iface': return {iface: r.ifname}
    case 'process': return {comm: r.comm ?? null, pid: r.pid ?? null}
    case 'comm': return {comm: r.comm ?? null}
    case 'user': return {uid: r.uid ?? null}
    case 'cgroup': return {cgroup: r.cgroup ?? null}
    case 'container': return {container: r.container ?? null, runtime: r.runtime ?? null}
  }
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0)

/** Groups records by one --by, keeping at most maxKeys distinct keys. */
export class Aggregator {
  readonly by: GroupBy
  readonly maxKeys: number
  private readonly entries = new Map<string, Entry>()
  private packets = 0
  private bytes = 0
  private first: number | null = null
  private last: number | null = null
  private readonly overflow: Counts = {packets: 0, bytes: 0}
  private capped = false
  private epoch = 0
  private readonly interval: Counts = {packets: 0, bytes: 0}
  private readonly overflowInterval: Counts = {packets: 0, bytes: 0}
  private unattributed: Counts = {packets: 0, bytes: 0}
  private unattributedBase: Counts = {packets: 0, bytes: 0}

  constructor(options: AggregatorOptions) {
    this.by = options.by
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS
    if (!(Number.isInteger(this.maxKeys) && this.maxKeys >= 1)) throw new RangeError(`maxKeys must be a whole number of 1 or more, got ${this.maxKeys}`)
  }

  /** One packet: a flow of one. */
  addPacket(p: PacketRecord): void {
    this.add(p, 1, p.len, p.ts, p.ts)
  }

  /** One flow record: its packets and bytes since the previous batch. */
  addFlow(f: FlowRecord): void {
    this.add(f, f.packets, f.bytes, f.first, f.last)
  }

  /** Counts packets and bytes seen between first and last under r's key. */
  add(r: Keyed, packets: number, bytes: number, first: number, last: number): void {
    this.packets += packets
    this.bytes += bytes
    this.interval.packets += packets
    this.interval.bytes += bytes
    if (this.first === null || first < this.first) this.first = first
    if (this.last === null || last > this.last) this.last = last
    const text = keyText(this.by, r)
    let e = this.entries.get(text)
    if (e === undefined) {
      if (this.entries.size >= this.maxKeys) {
        this.capped = true
        this.overflow.packets += packets
        this.overflow.bytes += bytes
        this.overflowInterval.packets += packets
        this.overflowInterval.bytes += bytes
        return
      }
      // only what the key needs is kept (not the whole record); key fields are built for the rows shown
      const record: Keyed = {family: r.family, proto: r.proto, src: r.src, dst: r.dst, sport: r.sport, dport: r.dport, ifname: r.ifname,
        pid: r.pid, comm: r.comm, uid: r.uid, cgroup: r.cgroup, container: r.container, runtime: r.runtime}
      e = {text, record, packets: 0, bytes: 0, first, last, epoch: this.epoch, intervalPackets: 0, intervalBytes: 0}
      this.entries.set(text, e)
    }
    e.packets += packets
    e.bytes += bytes
    if (first < e.first) e.first = first
    if (last > e.last) e.last = last
    if (e.epoch !== this.epoch) {
      e.epoch = this.epoch
      e.intervalPackets = 0
      e.intervalBytes = 0
    }
    e.intervalPackets += packets
    e.intervalBytes += bytes
  }

  /** Packets and bytes in records so far (unattributed not included). */
  get attributed(): Counts {
    return {packets: this.packets, bytes: this.bytes}
  }

  /** Distinct keys kept so far. */
  get keys(): number {
    return this.entries.size
  }

  /** Sets the traffic counted by the kernel but in no record, so far (flows mode: evicted flows). */
  setUnattributed(counts: Counts): void {
    this.unattributed = {packets: counts.packets, bytes: counts.bytes}
  }

  /** Starts a new interval: the interval counters start again from zero. */
  nextInterval(): void {
    this.epoch++
    this.interval.packets = this.interval.bytes = 0
    this.overflowInterval.packets = this.overflowInterval.bytes = 0
    this.unattributedBase = this.unattributed
  }

  /** The top rows, the rest as "other", and the totals. */
  result(options: ResultOptions): Summary {
    const {top, sort} = options
    if (!(Number.isInteger(top) && top >= 1)) throw new RangeError(`top must be a whole number of 1 or more, got ${top}`)
    const sorted = [...this.entries.values()].sort((x, y) => y[sort] - x[sort] || (x.text < y.text ? -1 : x.text > y.text ? 1 : 0))
    const u = this.unattributed
    const whole = {packets: this.packets + u.packets, bytes: this.bytes + u.bytes}
    const rows: Row[] = sorted.slice(0, top).map((e, i) => ({
      rank: i + 1,
      key: keyFields(this.by, e.record),
      text: e.text,
      packets: e.packets,
      bytes: e.bytes,
      share: share(e[sort], whole[sort]),
      first: e.first,
      last: e.last,
      interval: this.intervalOf(e),
    }))
    const other: Other = {
      keys: Math.max(0, sorted.length - top),
      packets: this.overflow.packets,
      bytes: this.overflow.bytes,
      share: 0,
      overflow: {...this.overflow},
      interval: {...this.overflowInterval},
    }
    for (let i = top; i < sorted.length; i++) {
      const e = sorted[i]
      other.packets += e.packets
      other.bytes += e.bytes
      const n = this.intervalOf(e)
      other.interval.packets += n.packets
      other.interval.bytes += n.bytes
    }
    other.share = share(other[sort], whole[sort])
    const uInterval = {packets: u.packets - this.unattributedBase.packets, bytes: u.bytes - this.unattributedBase.bytes}
    return {
      by: this.by,
      sort,
      rows,
      other,
      totals: {
        ...whole,
        keys: this.entries.size,
        maxKeys: this.maxKeys,
        capped: this.capped,
        unattributed: {...u, share: share(u[sort], whole[sort]), interval: uInterval},
        dropped: options.dropped === undefined ? null : options.dropped,
        first: this.first,
        last: this.last,
        interval: {packets: this.interval.packets + uInterval.packets, bytes: this.interval.bytes + uInterval.bytes},
      },
    }
  }

  private intervalOf(e: Entry): Counts {
    return e.epoch === this.epoch ? {packets: e.intervalPackets, bytes: e.intervalBytes} : {packets: 0, bytes: 0}
  }
}
