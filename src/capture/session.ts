// One capture: start the sidecar, route its records, and return what it saw.
import {EXIT, SidecarError} from '../sidecar/errors.js'
import {findSidecar} from '../sidecar/locate.js'
import type {ErrorRecord, FlowRecord, PacketRecord, ReadyRecord, StatsRecord} from '../sidecar/records.js'
import {spawnSidecar} from '../sidecar/spawn.js'
import {BytePassThrough} from './passthrough.js'
import {pump, RecordRouter, type PacketSink} from './router.js'

export interface CaptureOptions {
  interfaces?: string[]
  count?: number
  durationMs?: number
  ringSize?: string
  /** Show the sidecar's own log (libbpf, verifier) on stderr. */
  verbose?: boolean
  /** Aborting ends the capture cleanly: the sidecar drains and reports. */
  signal?: AbortSignal
  /** 'flows': the kernel counts per flow and the sidecar writes flow records every intervalMs. */
  mode?: 'packets' | 'flows'
  intervalMs?: number
  /** Flows mode: entries in the kernel's LRU flow table. */
  flowEntries?: number
  /** Kernel filter clauses, encoded for the sidecar's --clause (docs/filters.md). */
  clauses?: string[]
  /** The exact predicate, when the kernel runs only a superset of the filter. */
  predicate?: (p: PacketRecord) => boolean
}

export interface CaptureSink extends PacketSink {
  ready?(record: ReadyRecord): void
  /** Flows mode: each flow record, as the sidecar reads its table. */
  flow?(record: FlowRecord): void
  stats?(record: StatsRecord): void
  stderr?(text: string): void
}

export interface CaptureResult {
  /** Packets handed to the sink. */
  captured: number
  /** Packets the kernel could not queue (ring buffer full). */
  dropped: number
  stats: StatsRecord
}

/** The sidecar's flags for these options. */
export function sidecarArgs(options: CaptureOptions): string[] {
  const args: string[] = []
  for (const name of options.interfaces ?? []) args.push('-i', name)
  // with a user-space predicate the sidecar cannot know which packets count
  if (options.count !== undefined && !options.predicate) args.push('-c', String(options.count))
  for (const clause of options.clauses ?? []) args.push('--clause', clause)
  if (options.mode === 'flows') args.push('--mode', 'flows')
  if (options.intervalMs !== undefined) args.push('--interval', String(options.intervalMs))
  if (options.flowEntries !== undefined) args.push('--flow-entries', String(options.flowEntries))
  if (options.durationMs !== undefined) args.push('-d', String(options.durationMs / 1000))
  if (options.ringSize !== undefined) args.push('--ring-size', options.ringSize)
  if (options.verbose) args.push('-v')
  return args
}

const SIGNAL_HINT: Record<string, string> = {
  SIGKILL: 'it was killed (SIGKILL), by hand or by the out-of-memory killer',
  SIGSEGV: 'it crashed (SIGSEGV)',
  SIGABRT: 'it aborted (SIGABRT)',
}

/** Runs one capture to its end; throws SidecarError when the engine fails. */
export async function capture(options: CaptureOptions, sink: CaptureSink): Promise<CaptureResult> {
  const path = await findSidecar()
  // raw bytes straight through when nothing in user space needs a parsed packet
  const bytes = sink.rawPackets !== undefined && !options.predicate
  const sidecar = spawnSidecar({path, args: sidecarArgs(options), onStderr: options.verbose ? sink.stderr : undefined, bytes})
  const stop = () => sidecar.stop()
  options.signal?.addEventListener('abort', stop, {once: true})
  if (options.signal?.aborted) stop()

  let stats: StatsRecord | undefined
  let failure: ErrorRecord | undefined
  let badLine: Error | undefined
  const router = new RecordRouter(sink, {
    limit: options.count,
    predicate: options.predicate,
    // with a predicate only user space knows what counts; otherwise the sidecar stops itself at -c
    onFull: options.predicate ? stop : undefined,
    trustPrefix: true,
    onRecord(record) {
      if (record.type === 'ready') sink.ready?.(record)
      else if (record.type === 'stats') {
        stats = record
        sink.stats?.(record)
      } else if (record.type === 'flow') sink.flow?.(record)
      else failure = record
    },
  })

  const passThrough = bytes ? new BytePassThrough(options.count ?? Number.POSITIVE_INFINITY, sink.rawPackets!, router.line) : undefined
  try {
    if (passThrough) {
      for await (const chunk of sidecar.stdout) {
        passThrough.push(chunk as Buffer)
        const slow = sink.drained?.()
        if (slow) await slow
      }
      passThrough.end()
    } else {
      await pump(sidecar.stdout, router, sink)
    }
  } catch (error) {
    badLine = error as Error
    stop()
  } finally {
    options.signal?.removeEventListener('abort', stop)
  }
  const captured = passThrough ? passThrough.count : router.count

  const exit = await sidecar.exited
  if (badLine) {
    throw new SidecarError(`the capture engine wrote a record this CLI cannot read (${badLine.message}); the sidecar and the CLI are probably from different builds: run 'make'`, {cause: badLine, stderrTail: exit.stderrTail})
  }
  if (failure) {
    const partial = stats?.final ? {captured, dropped: stats.dropped} : undefined
    throw new SidecarError(failure.message, {exitCode: exit.exitCode, code: failure.code, stderrTail: failure.detail ?? '', partial})
  }
  if (exit.signal) {
    const why = SIGNAL_HINT[exit.signal] ?? `it was ended by ${exit.signal}`
    throw new SidecarError(`the capture engine stopped unexpectedly: ${why}`, {signal: exit.signal, stderrTail: exit.stderrTail})
  }
  if (exit.exitCode !== EXIT.ok || !stats?.final) {
    throw new SidecarError(`the capture engine stopped unexpectedly (exit code ${exit.exitCode ?? 'unknown'}) without its final statistics`, {exitCode: exit.exitCode, stderrTail: exit.stderrTail})
  }
  return {captured, dropped: stats.dropped, stats}
}
