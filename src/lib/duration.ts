// Durations as people type them: 500ms, 10s, 1.5s, 2m, 1h, or bare seconds.

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** A typed error for a value the user gave; its message quotes the value. */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

/** Milliseconds in a duration, or an InputError that quotes the input. */
export function parseDuration(input: string): number {
  const match = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(input.trim())
  // whole milliseconds: what the sidecar takes; 0.4ms would round to nothing
  const ms = match ? Math.round(Number(match[1]) * UNITS[match[2] ?? 's']) : Number.NaN
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new InputError(`expected a duration of 1ms or more like 10s, 500ms or 2m, got '${input}'`)
  }
  return ms
}
