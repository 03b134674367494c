// What a capture's typed errors say on stderr and the exit code they end with: one
// wording, whether oclif runs the command (BaseCommand.catch) or bin/run.js runs a
// plain `capture --json` without it (src/prestart.ts).
import {FilterError} from '../filter/errors.js'
import {InputError} from '../lib/duration.js'
import {OutputError} from '../lib/process-io.js'
import {closingLine} from '../output/format.js'
import {EXIT, SidecarError} from '../sidecar/errors.js'

export interface Failure {
  /** Lines for stderr, without their newlines. */
  lines: string[]
  exit: number
}

/** The lines and exit code of an error the libraries throw on purpose; undefined for any other. */
export function failureReport(error: unknown): Failure | undefined {
  if (error instanceof SidecarError) {
    const lines = error.partial ? [closingLine(error.partial)] : []
    lines.push(`sockwatch: ${error.message}`)
    const tail = error.stderrTail.trim()
    if (tail) lines.push(tail.split('\n').slice(-10).map((l) => `  | ${l}`).join('\n'))
    return {lines, exit: error.exitCode}
  }
  // the expression with a caret under the offending word, then usage's exit code
  if (error instanceof FilterError) return {lines: [`sockwatch: ${error.message}\n${error.caret().split('\n').map((l) => `  ${l}`).join('\n')}`], exit: EXIT.usage}
  if (error instanceof OutputError) return {lines: [`sockwatch: ${error.message}`], exit: EXIT.runtime}
  if (error instanceof InputError) return {lines: [`sockwatch: ${error.message}`], exit: EXIT.usage}
  return undefined
}

/** A bug: still one sentence; the stack only on request (SOCKWATCH_DEBUG). */
export function internalFailure(error: Error, env: NodeJS.ProcessEnv = process.env): Failure {
  const lines = env.SOCKWATCH_DEBUG ? [error.stack ?? String(error)] : []
  lines.push(`sockwatch: internal error: ${error.message}; please report it (SOCKWATCH_DEBUG=1 shows where)`)
  return {lines, exit: EXIT.runtime}
}
