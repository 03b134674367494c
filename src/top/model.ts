// What the top view shows, from the kernel's flow records: per key, rates over
// 2/10/40 s (and each way, for --by pair), peak, and the running total, which
// the summary's aggregator keeps (exact up to --max-keys, then Space-Saving).
// Pure: records and ticks in, ranked rows out.
import {Aggregator, keyFieldsOfText, keyText, type Counts, type GroupBy, type KeyFields} from '../summary/aggregate.js'
import {unattributed} from '../summary/sources.js'
import type {FlowRecord, StatsRecord} from '../sidecar/records.js'
import {RateWindows, WINDOWS, type Delta, type KeyRates} from './windows.js'

/** Rate mode ranks by one window's bytes, the peak, or packets per second (2 s). */
export const RATE_SORTS = ['2s', '10s', '40s', 'peak', 'pkt/s'] as const
/** Total mode ranks by bytes or packets since the start. */
export const TOTAL_SORTS = ['bytes', 'packets'] as const
export type RateSort = (typeof RATE_SORTS)[number]
export type TotalSort = (typeof TOTAL_SORTS)[number]
export type Mode = 'rate' | 'total'

/**
 * Keys a read may add to the rates: past it, the read's smallest keys are summed under one
 * hidden key, so the totals stay exact and memory stays bounded (docs/top.md, "Memory").
 * A key with more than 1/RATE_KEYS of a read's bytes always has its own rates.
 */
export const RATE_KEYS = 2000
/** The hidden key the rest of a busy read is summed under (no key text is empty). */
const REST = ''

export interface TopRow {
  text: string
  key: KeyFields
  /** Undefined when the key had no traffic in the last 40 s. */
  rates?: KeyRates
  /** Since the start (exact since the key was kept); undefined when not kept (past the cap). */
  total?: Counts & {error: Counts}
}

export interface TopTotals {
  rates: KeyRates
  /** Everything counted since the start, overflow included. */
  packets: number
  bytes: number
  keys: number
  maxKeys: number
  capped: boolean
  /** Packets the kernel counted in no flow (its table was full). */
  overflow: number
  /** Packets the kernel could not hand over (flows mode: 0), or null before the first read. */
  dropped: number | null
  matched: number
}

export interface TopModelOptions {
  by: GroupBy
  /** Seconds between the sidecar's reads of its table. */
  intervalSeconds: number
  maxKeys?: number
}

const windowIndex: Record<RateSort, number> = {'2s': 0, '10s': 1, '40s': 2, peak: 0, 'pkt/s': 0}

/** The number a rate-mode row is ranked by. */
function rateValue(r: KeyRates | undefined, sort: RateSort): number {
  if (!r) return 0
  if (sort === 'peak') return r.peak
  if (sort === 'pkt/s') return r.packets[0]
  return r.bytes[windowIndex[sort]]
}

export class TopModel {
  readonly by: GroupBy
  readonly aggregator: Aggregator
  readonly windows: RateWindows
  /** What came in since the last tick, per key. */
  private pending = new Map<string, Delta>()
  private stats: StatsRecord | undefined
  /** Reads of the kernel's table so far. */
  ticks = 0

  constructor(readonly options: TopModelOptions) {
    this.by = options.by
    this.aggregator = new Aggregator({by: options.by, maxKeys: options.maxKeys})
    this.windows = new RateWindows(options.intervalSeconds, WINDOWS)
  }

  /** One flow record of the current read. */
  addFlow(f: FlowRecord): void {
    this.aggregator.addFlow(f)
    const text = keyText(this.by, f)
    let d = this.pending.get(text)
    if (d === undefined) {
      d = {bytes: 0, packets: 0, tx: 0, rx: 0}
      this.pending.set(text, d)
    }
    d.bytes += f.bytes
    d.packets += f.packets
    // a pair's first host is the smaller address text (keyText): A→B is its TX
    const src = f.src ?? String(f.proto)
    const dst = f.dst ?? String(f.proto)
    if (this.by !== 'pair' || src <= dst) d.tx += f.bytes
    else d.rx += f.bytes
  }

  /** The read is complete: its stats, and the seconds it covers. */
  tick(stats: StatsRecord, seconds: number): void {
    this.aggregator.setUnattributed(unattributed(stats, this.aggregator.attributed))
    this.windows.push(seconds, capKeys(this.pending, RATE_KEYS))
    this.pending = new Map()
    if (!stats.final) this.aggregator.nextInterval()
    this.stats = stats
    this.ticks++
  }

  /** How many rows the mode has (for scrolling). */
  count(mode: Mode): number {
    return mode === 'rate' ? this.windows.size - (this.windows.rates(REST) ? 1 : 0) : this.aggregator.keys
  }

  /** `limit` rows from `offset`, ranked for the mode and sort. */
  rows(mode: Mode, sort: RateSort | TotalSort, offset: number, limit: number): TopRow[] {
    if (limit <= 0) return []
    if (mode === 'total') {
      const s = this.aggregator.result({top: offset + limit, sort: sort === 'packets' ? 'packets' : 'bytes'})
      return s.rows.slice(offset).map((r) => ({text: r.text, key: r.key, rates: this.windows.rates(r.text), total: {packets: r.packets, bytes: r.bytes, error: r.error}}))
    }
    const rateSort = sort as RateSort
    const ranked: {text: string; rates: KeyRates; value: number}[] = []
    for (const text of this.windows.keyTexts()) {
      if (text === REST) continue
      const rates = this.windows.rates(text)!
      ranked.push({text, rates, value: rateValue(rates, rateSort)})
    }
    ranked.sort((x, y) => y.value - x.value || (x.text < y.text ? -1 : x.text > y.text ? 1 : 0))
    return ranked.slice(offset, offset + limit).map((r) => ({text: r.text, key: keyFieldsOfText(this.by, r.text), rates: r.rates, total: this.aggregator.lookup(r.text)}))
  }

  totals(): TopTotals {
    const s = this.stats
    const counted = this.aggregator.attributed
    const over = s ? unattributed(s, counted) : {packets: 0, bytes: 0}
    return {
      rates: this.windows.total(),
      packets: counted.packets + over.packets,
      bytes: counted.bytes + over.bytes,
      keys: this.aggregator.keys,
      maxKeys: this.aggregator.maxKeys,
      capped: this.aggregator.capped,
      overflow: over.packets,
      dropped: s ? s.dropped : null,
      matched: s ? s.matched : 0,
    }
  }
}

/** The `max` keys with the most bytes in a read, and the rest summed under REST. */
export function capKeys(deltas: Map<string, Delta>, max: number): Map<string, Delta> {
  if (deltas.size <= max) return deltas
  const ranked = [...deltas].sort((x, y) => y[1].bytes - x[1].bytes)
  const kept = new Map(ranked.slice(0, max))
  const rest: Delta = {bytes: 0, packets: 0, tx: 0, rx: 0}
  for (const [, d] of ranked.slice(max)) {
    rest.bytes += d.bytes
    rest.packets += d.packets
    rest.tx += d.tx
    rest.rx += d.rx
  }
  kept.set(REST, rest)
  return kept
}
