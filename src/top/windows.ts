// Rates per key averaged over sliding windows (2 s, 10 s and 40 s, as iftop), kept
// as running sums: each interval's counts are added once and taken away once, so
// an update costs what that interval brought, not the history. A key is forgotten
// once the longest window no longer holds any of its traffic. Pure: no clock.

/** The windows, in seconds, as iftop has them. */
export const WINDOWS = [2, 10, 40] as const

/** What an interval brought under one key: bytes, packets, and bytes each way (--by pair). */
export interface Delta {
  bytes: number
  packets: number
  /** Bytes from the key's first host to its second (pair), else all bytes. */
  tx: number
  /** Bytes the other way (pair), else 0. */
  rx: number
}

const METRICS = 4 // bytes, packets, tx, rx

export interface KeyRates {
  /** Per window (WINDOWS order): bytes/s, packets/s, tx bytes/s, rx bytes/s. */
  bytes: number[]
  packets: number[]
  tx: number[]
  rx: number[]
  /** The highest one-interval byte rate seen while the key was in the windows. */
  peak: number
}

interface KeyState {
  /** WINDOWS.length x METRICS running sums. */
  sums: Float64Array
  peak: number
}

interface Tick {
  seconds: number
  deltas: Map<string, Delta>
}

export class RateWindows {
  /** Ticks each window spans, from the interval the sidecar reads at. */
  private readonly spans: number[]
  private readonly ticks: Tick[] = []
  private readonly keys = new Map<string, KeyState>()
  /** Per window: the seconds its ticks cover (less than the window while it fills). */
  private readonly seconds: number[]
  private readonly totals: Float64Array
  /** The highest one-interval byte rate of all traffic together. */
  private totalPeak = 0

  constructor(intervalSeconds: number, readonly windows: readonly number[] = WINDOWS) {
    if (!(intervalSeconds > 0)) throw new RangeError(`intervalSeconds must be more than 0, got ${intervalSeconds}`)
    // the last window is the longest: it decides when a key is forgotten
    if (windows.some((w, i) => i > 0 && w < windows[i - 1])) throw new RangeError(`windows must be in ascending order, got ${windows.join(', ')}`)
    this.spans = windows.map((w) => Math.max(1, Math.round(w / intervalSeconds)))
    this.seconds = windows.map(() => 0)
    this.totals = new Float64Array(windows.length * METRICS)
  }

  /** Keys with traffic in the longest window. */
  get size(): number {
    return this.keys.size
  }

  /** Adds one interval of `seconds` and what it brought per key; the oldest interval leaves each window it no longer fits. */
  push(seconds: number, deltas: Map<string, Delta>): void {
    const tick: Tick = {seconds, deltas}
    this.ticks.push(tick)
    for (let w = 0; w < this.spans.length; w++) {
      this.seconds[w] += seconds
      this.apply(w, tick, 1)
    }
    let all = 0
    for (const [key, d] of deltas) {
      const state = this.keys.get(key)!
      if (seconds > 0) state.peak = Math.max(state.peak, d.bytes / seconds)
      all += d.bytes
    }
    if (seconds > 0) this.totalPeak = Math.max(this.totalPeak, all / seconds)
    for (let w = 0; w < this.spans.length; w++) {
      const leaving = this.ticks.length - 1 - this.spans[w]
      if (leaving < 0) continue
      const old = this.ticks[leaving]
      this.seconds[w] -= old.seconds
      this.apply(w, old, -1)
    }
    // the longest window has let go of the oldest tick: nothing needs it now
    while (this.ticks.length > this.spans[this.spans.length - 1]) this.ticks.shift()
  }

  /** The averages of one key, or undefined when it had no traffic in the longest window. */
  rates(key: string): KeyRates | undefined {
    const state = this.keys.get(key)
    return state && this.ratesOf(state.sums, state.peak)
  }

  /** The averages of all traffic together. */
  total(): KeyRates {
    return this.ratesOf(this.totals, this.totalPeak)
  }

  /** Every key with traffic in the longest window. */
  keyTexts(): IterableIterator<string> {
    return this.keys.keys()
  }

  private ratesOf(sums: Float64Array, peak: number): KeyRates {
    const per = (metric: number) => this.windows.map((_, w) => (this.seconds[w] > 0 ? sums[w * METRICS + metric] / this.seconds[w] : 0))
    return {bytes: per(0), packets: per(1), tx: per(2), rx: per(3), peak}
  }

  private apply(w: number, tick: Tick, sign: 1 | -1): void {
    const at = w * METRICS
    for (const [key, d] of tick.deltas) {
      let state = this.keys.get(key)
      if (state === undefined) {
        state = {sums: new Float64Array(this.windows.length * METRICS), peak: 0}
        this.keys.set(key, state)
      }
      const s = state.sums
      s[at] += sign * d.bytes
      s[at + 1] += sign * d.packets
      s[at + 2] += sign * d.tx
      s[at + 3] += sign * d.rx
      this.totals[at] += sign * d.bytes
      this.totals[at + 1] += sign * d.packets
      this.totals[at + 2] += sign * d.tx
      this.totals[at + 3] += sign * d.rx
      // whole numbers added and taken away: zero is exact
      if (sign < 0 && w === this.spans.length - 1 && s[at] === 0 && s[at + 1] === 0) this.keys.delete(key)
    }
  }
}
