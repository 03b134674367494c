// Byte sizes as people type them: 4096, 64K, 8M, 1G (powers of 1024).
import {LIMITS} from '../contract/contract.js'
import {InputError} from './duration.js'

const SHIFT: Record<string, bigint> = {'': 0n, k: 10n, m: 20n, g: 30n}
const MIN_RING = LIMITS.ringSizeMin.value
const MAX_RING = LIMITS.ringSizeMax.value

/** Bytes in digits with an optional K, M or G suffix, or undefined; never rounds. */
function parseBytes(input: string): number | undefined {
  const match = /^(\d+)([kmg]?)$/i.exec(input)
  if (!match) return undefined
  // BigInt: 17592186044417M must not wrap around to something small
  const bytes = BigInt(match[1]) << SHIFT[match[2].toLowerCase()]
  return bytes > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(bytes)
}

/** --ring-size: a power of two from 4K to 1G, in bytes, or an InputError quoting the input. */
export function parseRingSize(input: string): number {
  const bytes = parseBytes(input)
  if (bytes === undefined || bytes < MIN_RING || bytes > MAX_RING || (bytes & (bytes - 1)) !== 0) {
    throw new InputError(`--ring-size takes a power of two from 4K to 1G, like 64K, 8M or 1G, got '${input}'`)
  }
  return bytes
}
