// One capture: start the sidecar, route its records, and return what it saw.
import {EXIT, SidecarError} from '../sidecar/errors.js'
import {LineSplitter} from '../sidecar/lines.js'
import {findSidecar} from '../sidecar/locate.js'
import {PACKET_PREFIX, parseRecord} from '../sidecar/records.js'
import type {ErrorRecord, PacketRecord, ReadyRecord, StatsRecord} from '../sidecar/records.js'
import {spawnSidecar} from '../sidecar/spawn.js'

export interface CaptureOptions {
  interfaces?: string[]
  count?: number
  durationMs?: number
  ringSize?: string
  /** Show the sidecar's own log (libbpf, verifier) on stderr. */
  verbose?: boolean
  /** Aborting ends the capture cleanly: the sidecar drains and reports. */
  signal?: AbortSignal
}

export interface CaptureSink {
  /** Raw packet lines, newline-terminated, untouched (no parsing needed). */
  rawPackets?(text: string): void
  /** Parsed packets, a batch per chunk of the stream. */
  packets?(batch: PacketRecord[]): void
  ready?(record: ReadyRecord): void
  stats?(record: StatsRecord): void
  stderr?(text: string): void
  /** A promise while the consumer cannot take more: reading pauses until then. */
  drained?(): Promise<void> | undefined
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
  if (options.count !== undefined) args.push('-c', String(options.count))
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
  const sidecar = spawnSidecar({path, args: sidecarArgs(options), onStderr: options.verbose ? sink.stderr : undefined})
  const stop = () => sidecar.stop()
  options.signal?.addEventListener('abort', stop, {once: true})
  if (options.signal?.aborted) stop()

  const limit = options.count ?? Number.POSITIVE_INFINITY
  const splitter = new LineSplitter()
  let captured = 0
  let stats: StatsRecord | undefined
  let failure: ErrorRecord | undefined
  let badLine: Error | undefined

  const other = (line: string, n: number) => {
    const record = parseRecord(line, n)
    switch (record.type) {
      case 'packet': return record
      case 'ready': sink.ready?.(record); break
      case 'stats': stats = record; sink.stats?.(record); break
      case 'error': failure = record; break
    }
    return undefined
  }

  // --json passes packet lines through as the sidecar wrote them: no JSON.parse.
  const passThrough = sink.rawPackets !== undefined
  let raw = ''
  let batch: PacketRecord[] = []
  const onLine = (line: string, n: number) => {
    const isPacket = line.startsWith(PACKET_PREFIX)
    const packet = passThrough && isPacket ? undefined : isPacket ? parseRecord(line, n) as PacketRecord : other(line, n)
    if ((isPacket || packet) && captured < limit) {
      captured++
      if (passThrough) raw += line + '\n'
      else batch.push(packet!)
    }
  }
  const flush = () => {
    if (raw) sink.rawPackets!(raw)
    if (batch.length) sink.packets?.(batch)
    raw = ''
    batch = []
  }

  try {
    for await (const chunk of sidecar.stdout) {
      splitter.push(chunk as string, onLine)
      flush()
      const slow = sink.drained?.()
      if (slow) await slow
    }
    splitter.end(onLine)
    flush()
  } catch (error) {
    badLine = error as Error
    flush() // the good packets before the bad line are still the user's
    stop()
  } finally {
    options.signal?.removeEventListener('abort', stop)
  }

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
