// Durations as people type them: 500ms, 10s, 1.5s, 2m, 1h, compounds like
// 1m30s or 1h2m3.5s (largest unit first), or bare seconds.

import {LIMITS} from '../contract/contract.js'

const UNITS: Record<string, number> = {h: 3_600_000, m: 60_000, s: 1000, ms: 1}
const ORDER = ['h', 'm', 's', 'ms']
const NUMBER = String.raw`(?:\d+(?:\.\d+)?|\.\d+)`
const BARE = new RegExp(`^${NUMBER}$`)
// 'ms' before 'm', so 500ms is not 500 minutes and a stray s
const PART = new RegExp(`(${NUMBER})(ms|h|m|s)`, 'y')

/** The longest duration taken: 30 days. Anything longer is a typo, and the sidecar's clock arithmetic has limits. */
export const MAX_DURATION_MS = LIMITS.maxDurationSeconds.value * 1000

/** A typed error for a value the user gave; its message quotes the value. */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

/** Milliseconds in text made of number-unit parts in decreasing units, or NaN. */
function sumParts(text: string): number {
  if (BARE.test(text)) return Number(text) * UNITS.s
  let total = 0
  let last = -1
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex
    const match = PART.exec(text)
    if (!match || match.index !== start) return Number.NaN
    const rank = ORDER.indexOf(match[2])
    if (rank <= last) return Number.NaN // 30s1m, 1s1s: not a duration anyone means
    last = rank
    total += Number(match[1]) * UNITS[match[2]]
  }
  return last === -1 ? Number.NaN : total
}

/** Milliseconds in a duration, or an InputError that quotes the input. */
export function parseDuration(input: string): number {
  // whole milliseconds: what the sidecar takes; 0.4ms would round to nothing
  const ms = Math.round(sumParts(input.trim()))
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new InputError(`expected a duration of 1ms or more like 10s, 500ms or 2m, got '${input}'`)
  }
  if (ms > MAX_DURATION_MS) {
    throw new InputError(`a duration is at most 30 days (720h), got '${input}'`)
  }
  return ms
}
