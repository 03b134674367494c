// bin/run.js runs `capture` through this small bundle entry first: when the command line
// is one whose whole meaning is known from argv alone (--json or -w FILE, -i, a filter,
// nothing else), the capture runs here, without oclif. Its import (the bundle's main.js:
// oclif, every command) is most of a start-up's time and CPU, and for these forms the CLI
// only starts the sidecar, says where it captures, waits and prints the closing line: the
// sidecar writes the stream to our stdout (or the file) itself. It calls what the capture
// command calls, with the same options and wording (test/unit/prestart.test.ts compares).
import {failureReport, internalFailure} from './cli/failure.js'
import {saveOptions} from './capture/save.js'
import {capture} from './capture/session.js'
import {STDOUT_CLOSED_ENV, throwIfFailed, watchOutput} from './lib/process-io.js'
import {statusLineFits} from './lib/terminal.js'
import {closingLine, readyLines} from './output/format.js'

/** What `capture [-i IFACE]... (--json | -w FILE [--pcap]) [FILTER...]` asks for (the words after 'capture'), or undefined for any other form. */
export function prestartable(words: readonly string[]): {interfaces: string[]; filter?: string; write?: string; pcap?: boolean} | undefined {
  const interfaces: string[] = []
  const filter: string[] = []
  let json = false
  let write: string | undefined
  let pcap = false
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    if (w === '--json' && !json) json = true
    else if (w === '--pcap' && !pcap) pcap = true
    else if (w === '-i' || w === '--interface' || ((w === '-w' || w === '--write') && write === undefined)) {
      // a value that looks like a flag (and '-w -', stdout): the command decides
      const value = words[++i]
      if (value === undefined || value.startsWith('-') || value === '') return undefined
      if (w === '-i' || w === '--interface') interfaces.push(value)
      else write = value
    } else if (w.startsWith('-')) return undefined // any other flag (one given twice too): the command decides
    else filter.push(w)
  }
  // exactly one of --json and -w; --pcap only with -w (else the command's usage errors)
  if (json === (write !== undefined) || (pcap && write === undefined)) return undefined
  // as the command joins its filter words (filterText)
  const text = filter.join(' ').trim()
  return {interfaces, filter: text === '' ? undefined : text, ...(write === undefined ? {} : {write, pcap})}
}

/**
 * Runs `capture [-i IFACE]... (--json | -w FILE [--pcap]) [FILTER...]` to its end as the
 * capture command would (true; the exit code set), or does nothing (false) for any other
 * command line, or when stdout is closed or a status line would fit (the command refuses,
 * or draws it).
 */
export async function prestart(words: readonly string[]): Promise<boolean> {
  const form = prestartable(words)
  if (!form || process.env[STDOUT_CLOSED_ENV] === '1' || statusLineFits()) return false
  const io = watchOutput()
  try {
    // capture.ts's options for these forms: the sidecar writes the stream or the file,
    // no interim stats (no status line shows them), no verbose log
    const save = form.write === undefined ? undefined : saveOptions({write: form.write, pcap: form.pcap || undefined})
    const result = await capture(
      {interfaces: form.interfaces, filter: form.filter, direct: true, save, interimStats: false, verbose: 0, signal: io.signal},
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
