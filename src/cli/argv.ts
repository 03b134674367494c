// What oclif's parser gets wrong for a tcpdump-style command line, put right
// before and after it: boolean flags given a value, filter words in their
// original order, and -v counted.
import {InputError} from '../lib/duration.js'

/** The parts of an oclif flag definition these helpers read. */
export interface FlagShape {
  type: string
  allowNo?: boolean
}

/** One token of oclif's raw parse output. */
export type RawToken = {type: 'arg'; input: string} | {type: 'flag'; flag: string; input: string}

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

/**
 * `--json=true` as `--json`, `--color=false` as `--no-color`: oclif would keep the
 * value as an argument, which here means a filter word. Words after `--` are left alone.
 */
export function normalizeBooleanFlags(argv: string[], flags: Record<string, FlagShape>): string[] {
  const out: string[] = []
  let flagsOver = false
  for (const word of argv) {
    if (flagsOver || word === '--') {
      flagsOver = true
      out.push(word)
      continue
    }
    const match = /^--(no-)?([a-z][a-z0-9-]*)=(.*)$/s.exec(word)
    const flag = match ? flags[match[2]] : undefined
    if (!match || !flag || flag.type !== 'boolean') {
      out.push(word)
      continue
    }
    const [, negated, name, value] = match
    const on = TRUE.has(value.toLowerCase()) ? !negated : FALSE.has(value.toLowerCase()) ? Boolean(negated) : undefined
    if (on === undefined) throw new InputError(`--${negated ?? ''}${name} is a switch and takes no value (true or false at most), got '${word}'`)
    if (on) out.push(`--${name}`)
    else if (flag.allowNo) out.push(`--no-${name}`)
    // --json=false on a flag without --no-: the same as leaving it out
  }
  return out
}

/** The filter's words as the user typed them: oclif's argv is re-sorted, its raw tokens are not. */
export function filterWords(raw: readonly RawToken[]): string[] {
  return raw.filter((t) => t.type === 'arg').map((t) => t.input)
}

/** How many times a flag was given (-v -v, -vv). */
export function flagCount(raw: readonly RawToken[], name: string): number {
  return raw.filter((t) => t.type === 'flag' && t.flag === name).length
}
