// bin/run.js runs `capture` through this small bundle entry first: when the command line
// is one whose whole meaning is known from argv alone (--json, -w FILE, or text into a pipe
// or file; -i, -c, -d, a filter, nothing else), the capture runs here, without oclif. Its import (the bundle's main.js:
// oclif, every command) is most of a start-up's time and CPU, and for these forms the CLI
// only starts the sidecar, says where it captures, waits and prints the closing line: the
// sidecar writes the stream, the text lines (sidecar/text.c) or the file itself. It calls what the capture
// command calls, with the same options and wording (test/unit/prestart.test.ts compares).
import {failureReport, internalFailure} from './cli/failure.js'
import {saveOptions} from './capture/save.js'
import {capture} from './capture/session.js'
import {parseDuration} from './lib/duration.js'
import {STDOUT_CLOSED_ENV, watchSignals} from './lib/process-io.js'
import {statusLineFits} from './lib/terminal.js'
import {isatty} from 'node:tty'
import {closingLine, readyLines} from './output/format.js'
import {linkLine} from './output/link.js'

export interface QuickForm {
  interfaces: string[]
  filter?: string
  /** -c N, as oclif's integer flag takes it: digits, no leading zero. */
  count?: number
  /** -d's text, parsed as the command parses it (parseDuration). */
  duration?: string
  write?: string
  pcap?: boolean
  /** Neither --json nor -w: tcpdump-like text when stdout is not a terminal (a table is oclif's). */
  text?: boolean
}

const VALUED = new Map([['-i', 'interface'], ['--interface', 'interface'], ['-c', 'count'], ['--count', 'count'], ['-d', 'duration'], ['--duration', 'duration'], ['-w', 'write'], ['--write', 'write']])

/** What `capture [-i IFACE]... [-c N] [-d DURATION] [--json | -w FILE [--pcap]] [FILTER...]`
 * asks for (the words after 'capture'), or undefined for any other form. */
export function prestartable(words: readonly string[]): QuickForm | undefined {
  const interfaces: string[] = []
  const filter: string[] = []
  const once = new Map<string, string>()
  let json = false
  let pcap = false
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    const name = VALUED.get(w)
    if (w === '--json' && !json) json = true
    else if (w === '--pcap' && !pcap) pcap = true
    else if (name !== undefined) {
      // a value that looks like a flag (and '-w -', stdout), or a flag given twice: the command decides
      const value = words[++i]
      if (value === undefined || value.startsWith('-') || value === '') return undefined
      if (name === 'interface') interfaces.push(value)
      else if (once.has(name)) return undefined
      else once.set(name, value)
    } else if (w.startsWith('-')) return undefined // any other flag (one given twice too): the command decides
    else filter.push(w)
  }
  const write = once.get('write')
  const count = once.get('count')
  // at most one of --json and -w; --pcap only with -w (else the command's usage errors)
  if ((json && write !== undefined) || (pcap && write === undefined)) return undefined
  // what oclif's integer flag (min 1) takes without a word to say
  if (count !== undefined && !(/^[1-9]\d{0,14}$/.test(count))) return undefined
  // as the command joins its filter words (filterText)
  const text = filter.join(' ').trim()
  const form: QuickForm = {interfaces, filter: text === '' ? undefined : text}
  if (count !== undefined) form.count = Number(count)
  if (once.has('duration')) form.duration = once.get('duration')
  if (write !== undefined) Object.assign(form, {write, pcap})
  if (!json && write === undefined) form.text = true
  return form
}

/**
 * Runs `capture [-i IFACE]... [-c N] [-d DURATION] [--json | -w FILE [--pcap]] [FILTER...]`
 * to its end as the capture command would (true; the exit code set), or does nothing
 * (false) for any other command line, or when stdout is closed or a status line would fit
 * (the command refuses, or draws it), or text is asked of a terminal (the command's table).
 */
export async function prestart(words: readonly string[]): Promise<boolean> {
  const form = prestartable(words)
  if (!form || process.env[STDOUT_CLOSED_ENV] === '1' || statusLineFits() || (form.text && isatty(1))) return false
  // nothing here writes to stdout (the sidecar does, and reports its own write errors):
  // only the signals that end a capture; process.stdout's stream is never made
  const io = watchSignals()
  try {
    // capture.ts's options for these forms: the sidecar writes the stream or the file,
    // no interim stats (no status line shows them), no verbose log
    const durationMs = form.duration === undefined ? undefined : parseDuration(form.duration)
    const save = form.write === undefined ? undefined : saveOptions({write: form.write, pcap: form.pcap || undefined})
    const result = await capture(
      {interfaces: form.interfaces, filter: form.filter, count: form.count, durationMs, direct: true, save, text: form.text ? {stamp: 0, link: false} : undefined, interimStats: false, verbose: 0, signal: io.signal},
      {
        ready: (r) => process.stderr.write(readyLines(r).map((l) => `${l}\n`).join('')),
        // text: the sidecar's lines are packets only; an interface's change is our line on stderr
        link: form.text ? (r) => process.stderr.write(`${linkLine(r)}\n`) : undefined,
      },
    )
    process.stderr.write(`${closingLine(result)}\n`)
  } catch (error) {
    const failure = failureReport(error) ?? internalFailure(error as Error)
    process.stderr.write(failure.lines.map((l) => `${l}\n`).join(''))
    process.exitCode = failure.exit
  } finally {
    io.dispose()
  }
  return true
}
