// bin/run.js runs `capture` through this small bundle entry first: when the command line
// is one whose whole meaning is known from argv alone (--json, -i, a filter, nothing
// else), the capture runs here, without oclif. Its import (the bundle's main.js: oclif,
// every command) is most of a start-up's time and CPU, and for this form the CLI only
// starts the sidecar, says where it captures, waits and prints the closing line: the
// sidecar writes the stream to our stdout itself. It calls what the capture command
// calls, with the same options and wording (test/unit/prestart.test.ts compares the two).
import {failureReport, internalFailure} from './cli/failure.js'
import {capture} from './capture/session.js'
import {STDOUT_CLOSED_ENV, throwIfFailed, watchOutput} from './lib/process-io.js'
import {statusLineFits} from './lib/terminal.js'
import {closingLine, readyLines} from './output/format.js'

/** The interfaces and filter of `capture [-i IFACE]... --json [FILTER...]` (the words after 'capture'), or undefined for any other form. */
export function prestartable(words: readonly string[]): {interfaces: string[]; filter?: string} | undefined {
  const interfaces: string[] = []
  const filter: string[] = []
  let json = false
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    if (w === '--json' && !json) json = true
    else if (w === '-i' || w === '--interface') {
      const name = words[++i]
      if (name === undefined || name.startsWith('-')) return undefined
      interfaces.push(name)
    } else if (w.startsWith('-')) return undefined // any other flag (--json twice too): the command decides
    else filter.push(w)
  }
  // as the command joins its filter words (filterText)
  const text = filter.join(' ').trim()
  return json ? {interfaces, filter: text === '' ? undefined : text} : undefined
}

/**
 * Runs `capture [-i IFACE]... --json [FILTER...]` to its end as the capture command would
 * (true; the exit code set), or does nothing for any other command line (false), or when
 * stdout is closed or a status line would fit (the command refuses, or draws it).
 */
export async function prestart(words: readonly string[]): Promise<boolean> {
  const form = prestartable(words)
  if (!form || process.env[STDOUT_CLOSED_ENV] === '1' || statusLineFits()) return false
  const io = watchOutput()
  try {
    // capture.ts's options for this form: the sidecar writes the stream to our stdout,
    // no interim stats (no status line shows them), no verbose log
    const result = await capture(
      {interfaces: form.interfaces, filter: form.filter, direct: true, interimStats: false, verbose: 0, signal: io.signal},
      {ready: (r) => process.stderr.write(readyLines(r).map((l) => `${l}\n`).join(''))},
    )
    await io.flushed()
    process.stderr.write(`${closingLine(result)}\n`)
    throwIfFailed(io)
  } catch (error) {
    const failure = failureReport(error) ?? internalFailure(error as Error)
    process.stderr.write(failure.lines.map((l) => `${l}\n`).join(''))
    process.exitCode = failure.exit
  } finally {
    io.dispose()
  }
  return true
}
