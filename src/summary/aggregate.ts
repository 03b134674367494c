// Adds up packet and flow records per key (--by), in bounded memory, and ranks
// the keys (--sort, --top). Pure: no I/O, no clock.
import type {FlowRecord, PacketRecord} from '../sidecar/records.js'
import {KeyTexts} from './key-texts.js'
import {MinHeap} from './min-heap.js'

export const GROUP_BY = ['flow', 'pair', 'src', 'dst', 'sport', 'dport', 'proto', 'iface', 'process', 'comm', 'user', 'cgroup', 'container'] as const
/** The --by keys that need packet records' owner fields (docs/attribution.md). */
export const OWNER_GROUP_BY: readonly GroupBy[] = ['process', 'comm', 'user', 'cgroup', 'container']
export type GroupBy = (typeof GROUP_BY)[number]

export const SORT_BY = ['bytes', 'packets'] as const
export type SortBy = (typeof SORT_BY)[number]

/**
 * Distinct keys kept by default (--max-keys). Up to it every count is exact; past it the
 * table becomes a Space-Saving sketch: a new key takes the place of the key with the
 * fewest bytes, so a heavy key is never hidden (docs/summary.md, "Memory").
 */
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
  /**
   * Past the key cap: at most this much more may belong to the key, counted before it was
   * kept (under keys it replaced) and so in "other". packets/bytes above are exact since then.
   */
  error: Counts
}

export interface Other extends Counts {
  /** Distinct keys kept but outside the top N (keys past the cap are not counted). */
  keys: number
  share: number
  /** Traffic of keys no longer kept (replaced past the cap): part of packets and bytes. */
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
  first: number
  last: number
  /** The interval the interval counters belong to; stale ones read as 0. */
  epoch: number
  intervalPackets: number
  intervalBytes: number
  /** Counted under the keys this entry replaced (Space-Saving's error); included in packets/bytes. */
  errorPackets: number
  errorBytes: number
  /** Its place in the heap, once the cap is reached. */
  slot: number
}

/** A record without an address (not IP) stands in with its protocol's name. */
const address = (text: string | undefined, r: Keyed) => text ?? String(r.proto)
const port = (n: number | undefined) => (n === undefined ? '-' : String(n))

/** The record fields keyText reads for a --by (a reader may decode only these). */
export const KEY_READS: Record<GroupBy, readonly string[]> = {
  flow: ['family', 'proto', 'src', 'sport', 'dst', 'dport'],
  pair: ['proto', 'src', 'dst'],
  src: ['proto', 'src'],
  dst: ['proto', 'dst'],
  sport: ['sport'],
  dport: ['dport'],
  proto: ['proto'],
  iface: ['ifname'],
  process: ['comm', 'pid'],
  comm: ['comm'],
  user: ['uid'],
  cgroup: ['cgroup'],
  container: ['container', 'runtime'],
}

/** What addPacket reads of a packet record, for a --by. */
export const packetReads = (by: GroupBy) => [...KEY_READS[by], 'len', 'ts']

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

const portOf = (t: string) => (t === '-' ? null : Number(t))
const protoOf = (t: string) => (/^\d+$/.test(t) ? Number(t) : t)

/** The key fields back from a key text (keyText's inverse: only an owner key's last field may hold a space). */
export function keyFieldsOfText(by: GroupBy, text: string): KeyFields {
  const f = text.split(' ')
  switch (by) {
    case 'flow': return {family: Number(f[0]), proto: protoOf(f[1]), src: f[2], sport: portOf(f[3]), dst: f[4], dport: portOf(f[5])}
    case 'pair': return {a: f[0], b: f[1]}
    case 'src': return {src: text}
    case 'dst': return {dst: text}
    case 'sport': return {sport: portOf(text)}
    case 'dport': return {dport: portOf(text)}
    case 'proto': return {proto: protoOf(text)}
    case 'iface': return {iface: text}
    // owner keys: a comm may hold spaces and slashes, so these take the text whole
    case 'process': {
      const at = text.lastIndexOf('/')
      const comm = text.slice(0, at)
      const pid = text.slice(at + 1)
      return {comm: comm === '-' ? null : comm, pid: pid === '-' ? null : Number(pid)}
    }
    case 'comm': return {comm: text === '-' ? null : text}
    case 'user': return {uid: text === '-' ? null : Number(text)}
    case 'cgroup': return {cgroup: text === '-' ? null : text}
    case 'container': {
      if (text === '-') return {container: null, runtime: null}
      const at = text.lastIndexOf(' ')
      const runtime = text.slice(at + 1)
      return {container: text.slice(0, at), runtime: runtime === '-' ? null : runtime}
    }
  }
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0)

/**
 * Groups records by one --by. Up to maxKeys distinct keys every count is exact; past it,
 * Space-Saving: a new key replaces the kept key with the fewest bytes and inherits its
 * counts as its error. Every key with more than totalBytes/maxKeys bytes is then kept, and
 * a kept key's bytes are exact since it was kept, short by at most totalBytes/maxKeys.
 */
export class Aggregator {
  readonly by: GroupBy
  readonly maxKeys: number
  private readonly entries = new Map<string, Entry>()
  // keyText of records whose key fields were seen before, without building it again
  private readonly keyTexts: KeyTexts
  /** Built when the cap is first reached: the entry with the fewest bytes on top. */
  private heap: MinHeap<Entry> | undefined
  private packets = 0
  private bytes = 0
  private first: number | null = null
  private last: number | null = null
  private epoch = 0
  private readonly interval: Counts = {packets: 0, bytes: 0}
  private unattributed: Counts = {packets: 0, bytes: 0}
  private unattributedBase: Counts = {packets: 0, bytes: 0}

  constructor(options: AggregatorOptions) {
    this.by = options.by
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS
    const by = this.by
    this.keyTexts = new KeyTexts(KEY_READS[by], (r) => keyText(by, r))
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
    this.addText(this.keyTexts.text(r), packets, bytes, first, last)
  }

  /** As add(), for a key already in text form (keyText). */
  addText(text: string, packets: number, bytes: number, first: number, last: number): void {
    this.packets += packets
    this.bytes += bytes
    this.interval.packets += packets
    this.interval.bytes += bytes
    if (this.first === null || first < this.first) this.first = first
    if (this.last === null || last > this.last) this.last = last
    let e = this.entries.get(text)
    if (e === undefined) {
      if (this.entries.size < this.maxKeys) {
        e = {text, packets: 0, bytes: 0, first, last, epoch: this.epoch, intervalPackets: 0, intervalBytes: 0, errorPackets: 0, errorBytes: 0, slot: -1}
        this.entries.set(text, e)
      } else {
        // Space-Saving: the lightest key gives its place (and its counts, as error) to the new one
        this.heap ??= new MinHeap([...this.entries.values()], (x) => x.bytes)
        e = this.heap.peek()
        this.entries.delete(e.text)
        e.text = text
        e.errorPackets = e.packets
        e.errorBytes = e.bytes
        e.first = first
        e.last = last
        e.epoch = this.epoch
        e.intervalPackets = e.intervalBytes = 0
        this.entries.set(text, e)
      }
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
    this.heap?.increased(e)
  }

  /** A kept key's counts (exact since kept) and its error; undefined when not kept. */
  lookup(text: string): {packets: number; bytes: number; error: Counts} | undefined {
    const e = this.entries.get(text)
    return e && {packets: e.packets - e.errorPackets, bytes: e.bytes - e.errorBytes, error: {packets: e.errorPackets, bytes: e.errorBytes}}
  }

  /** Packets and bytes in records so far (unattributed not included). */
  get attributed(): Counts {
    return {packets: this.packets, bytes: this.bytes}
  }

  /** Distinct keys kept so far. */
  get keys(): number {
    return this.entries.size
  }

  /** Whether the cap was reached, so counts are bounded rather than exact. */
  get capped(): boolean {
    return this.heap !== undefined
  }

  /** Sets the traffic counted by the kernel but in no record, so far (flows mode: evicted flows). */
  setUnattributed(counts: Counts): void {
    this.unattributed = {packets: counts.packets, bytes: counts.bytes}
  }

  /** Starts a new interval: the interval counters start again from zero. */
  nextInterval(): void {
    this.epoch++
    this.interval.packets = this.interval.bytes = 0
    this.unattributedBase = this.unattributed
  }

  /** The top rows, the rest as "other", and the totals. */
  result(options: ResultOptions): Summary {
    const {top, sort} = options
    if (!(Number.isInteger(top) && top >= 1)) throw new RangeError(`top must be a whole number of 1 or more, got ${top}`)
    // ranked by what is known to be the key's: its counts since it was kept
    const exact = (e: Entry) => (sort === 'bytes' ? e.bytes - e.errorBytes : e.packets - e.errorPackets)
    const sorted = [...this.entries.values()].sort((x, y) => exact(y) - exact(x) || (x.text < y.text ? -1 : x.text > y.text ? 1 : 0))
    const u = this.unattributed
    const whole = {packets: this.packets + u.packets, bytes: this.bytes + u.bytes}
    const rows: Row[] = sorted.slice(0, top).map((e, i) => {
      const packets = e.packets - e.errorPackets
      const bytes = e.bytes - e.errorBytes
      return {
        rank: i + 1,
        key: keyFieldsOfText(this.by, e.text),
        text: e.text,
        packets,
        bytes,
        share: share(sort === 'bytes' ? bytes : packets, whole[sort]),
        first: e.first,
        last: e.last,
        interval: this.intervalOf(e),
        error: {packets: e.errorPackets, bytes: e.errorBytes},
      }
    })
    const overflow: Counts = {packets: 0, bytes: 0}
    for (const e of this.entries.values()) {
      overflow.packets += e.errorPackets
      overflow.bytes += e.errorBytes
    }
    // the rest, by difference: rows + other + unattributed = totals exactly
    const shown = rows.reduce((c, r) => ({packets: c.packets + r.packets, bytes: c.bytes + r.bytes, ip: c.ip + r.interval.packets, ib: c.ib + r.interval.bytes}), {packets: 0, bytes: 0, ip: 0, ib: 0})
    const otherCounts = {packets: this.packets - shown.packets, bytes: this.bytes - shown.bytes}
    const other: Other = {
      keys: Math.max(0, sorted.length - top),
      ...otherCounts,
      share: share(otherCounts[sort], whole[sort]),
      overflow,
      interval: {packets: this.interval.packets - shown.ip, bytes: this.interval.bytes - shown.ib},
    }
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
