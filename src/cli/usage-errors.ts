// oclif's parse errors, said as one `sockwatch: …` sentence instead of its
// boxed, wrapped, multi-line text.
import {closest, distance} from 'fastest-levenshtein'

/** The fields of an oclif parse error this module reads. */
export interface ParseErrorShape {
  message: string
  /** NonExistentFlagsError: the flags as typed. */
  flags?: string[]
  /** Present on every oclif parse error (CLIParseError). */
  parse?: unknown
  oclif?: {exit?: number | false}
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g

/** Whether oclif's parser threw this (a usage error, exit 2). */
export function isParseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('message' in error)) return false
  // a flag's own parse function failing ("Parsing --count …") comes without `parse`
  return 'parse' in error || /See more help with --help\s*$|^Flag --/.test(String(error.message))
}

/** The closest of `known` to `typed`, when it is close enough to be a typo. */
export function suggest(typed: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined
  const best = closest(typed, [...known])
  return distance(typed, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined
}

/** oclif's message, on one line, as the rest of a `sockwatch: ` sentence. */
export function parseErrorSentence(error: ParseErrorShape, knownFlags: readonly string[]): string {
  if (error.flags?.length) {
    const [first] = error.flags
    const name = first.replace(/^-+/, '').replace(/=.*$/s, '')
    const hint = first.startsWith('--') ? suggest(name, knownFlags) : undefined
    const what = error.flags.length === 1 ? `unknown flag '${first}'` : `unknown flags ${error.flags.map((f) => `'${f}'`).join(', ')}`
    return hint ? `${what} (did you mean --${hint}?)` : what
  }
  let text = error.message.replace(ANSI, '').replace(/\n*See more help with --help\s*$/, '')
  text = text.replace(/^The following errors? occurred:\s*/, '')
  // "Parsing --count \n\tExpected an integer but received: x"
  text = text.replace(/^Parsing (--[\w-]+)\s*\n\s*Expected (.*?) but received: (.*)$/s, "$1 expects $2, got '$3'")
  text = text.replace(/^Parsing (--[\w-]+)\s*\n\s*/, '$1: ')
  // "Flag --interface expects a value"
  text = text.replace(/^Flag (--[\w-]+)/, '$1')
  text = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join('; ')
  return text.charAt(0).toLowerCase() + text.slice(1)
}
