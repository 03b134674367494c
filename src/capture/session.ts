// One capture: start the sidecar, route its records, and return what it saw.
import {basename} from 'node:path'
import {pcapFilterError} from '../filter/index.js'
import {InputError} from '../lib/duration.js'
import {EXIT, SidecarError} from '../sidecar/errors.js'
import {findSidecar} from '../sidecar/locate.js'
import type {ErrorRecord, FlowRecord, LinkRecord, ReadyRecord, StatsRecord} from '../sidecar/records.js'
import {spawnSidecar} from '../sidecar/spawn.js'
import {BytePassThrough} from './passthrough.js'
import {saveArgs, type SaveOptions} from './save.js'
import {pump, RecordRouter, type PacketSink} from './router.js'

export interface CaptureOptions {
  /** Interfaces to capture on; repeats are taken once; 'any' (alone) or none: every interface. */
  interfaces?: string[]
  count?: number
  durationMs?: number
  /** Ring buffer bytes (src/lib/size.ts validates what people type). */
  ringSize?: number
  /** The sidecar's log on stderr: 1 its decisions, interface events and libbpf's warnings; 2 adds libbpf's debug log (true is 1). */
  verbose?: number | boolean
  /** Aborting ends the capture cleanly: the sidecar drains and reports. */
  signal?: AbortSignal
  /** 'flows': the kernel counts per flow and the sidecar writes flow records every intervalMs. */
  mode?: 'packets' | 'flows'
  /** Packets mode: per-flow counts too, flow records every intervalMs. */
  flows?: boolean
  /** Packet records with smac/dmac (the sidecar's --macs; the CLI's -e). */
  macs?: boolean
  /** Packet records with their bytes, up to this many from the link-layer header (-X, -A): the
   * sidecar's --data --snaplen N; the kernel sends bytes only with --snaplen (docs/reading-files.md). */
  snaplen?: number
  intervalMs?: number
  /** Flows mode: entries in the kernel's LRU flow table. */
  flowEntries?: number
  /** A pcap-filter(7) expression: the sidecar compiles it with libpcap and the kernel runs it (docs/filters.md). */
  filter?: string
  /**
   * The sidecar writes the NDJSON stream (packets, flows, links, the stats that close a
   * flow interval and the run) straight to our stdout; this process reads only its
   * control records. Only without a predicate: then nothing here needs a packet.
   */
  direct?: boolean
  /** false: no stats record until the last (the sidecar's --stats-interval 0), so an idle
   * capture wakes nobody; for when nothing shows counts while it runs. */
  interimStats?: boolean
  /** Whose traffic: off (--no-process), or the kernel's process filter (docs/attribution.md). */
  process?: ProcessOptions
  /** With direct: the sidecar writes text lines (its --text: tcpdump's -t forms, -e, -X/-A)
   * instead of the NDJSON stream; the same lines src/output/text.ts makes (docs/architecture.md). */
  text?: {stamp: number; link?: boolean; dump?: 'hex' | 'ascii'}
  /** -w: the sidecar writes the packets to a capture file (or our stdout) itself; needs direct. */
  save?: SaveOptions
}

export interface ProcessOptions {
  off?: boolean
  pids?: number[]
  comm?: string
  cgroups?: string[]
  container?: string
}

export interface CaptureSink extends PacketSink {
  ready?(record: ReadyRecord): void
  /** Flows mode: each flow record, as the sidecar reads its table. */
  flow?(record: FlowRecord): void
  stats?(record: StatsRecord): void
  /** A captured interface went down, came up or was deleted; in order with the packets around it. */
  link?(record: LinkRecord): void
  stderr?(text: string): void
}

export interface CaptureResult {
  /** Packets handed to the sink. */
  captured: number
  /** Packets the kernel could not queue (ring buffer full). */
  dropped: number
  stats: StatsRecord
}

/** The interfaces to name to the sidecar: each once, in order; none for every interface ('any', as tcpdump). */
export function captureInterfaces(names: readonly string[] = []): string[] {
  const unique = [...new Set(names)]
  if (!unique.includes('any')) return unique
  if (unique.length > 1) throw new InputError(`-i any already means every interface: give it alone, or name each interface with -i (got ${unique.map((n) => `'${n}'`).join(', ')})`)
  return []
}

/** The sidecar's flags for these options; an InputError for interfaces that contradict each other. */
export function sidecarArgs(options: CaptureOptions): string[] {
  const args: string[] = []
  for (const name of captureInterfaces(options.interfaces)) args.push('-i', name)
  if (options.count !== undefined) args.push('-c', String(options.count))
  if (options.filter) args.push('--filter', options.filter)
  if (options.mode === 'flows') args.push('--mode', 'flows')
  // packets and flows from one kernel pass
  else if (options.flows) args.push('--flows')
  if (options.macs) args.push('--macs')
  if (options.snaplen !== undefined) args.push('--data', '--snaplen', String(options.snaplen))
  if (options.intervalMs !== undefined) args.push('--interval', String(options.intervalMs))
  if (options.flowEntries !== undefined) args.push('--flow-entries', String(options.flowEntries))
  if (options.durationMs !== undefined) args.push('-d', String(options.durationMs / 1000))
  if (options.ringSize !== undefined) args.push('--ring-size', String(options.ringSize))
  const proc = options.process ?? {}
  if (proc.off) args.push('--no-process')
  for (const pid of proc.pids ?? []) args.push('--pid', String(pid))
  if (proc.comm !== undefined) args.push('--comm', proc.comm)
  for (const cgroup of proc.cgroups ?? []) args.push('--cgroup', cgroup)
  if (proc.container !== undefined) args.push('--container', proc.container)
  if (options.save) args.push(...saveArgs(options.save))
  if (options.text) {
    args.push('--text')
    if (options.text.stamp) args.push('--stamp', String(options.text.stamp))
    if (options.text.dump && options.snaplen !== undefined) args.push('--dump', options.text.dump)
  }
  if (options.interimStats === false && options.mode !== 'flows' && !options.flows) args.push('--stats-interval', '0')
  const verbose = options.verbose === true ? 1 : Math.min(2, Math.max(0, Math.trunc(Number(options.verbose ?? 0))))
  for (let i = 0; i < verbose; i++) args.push('-v')
  return args
}

/**
 * The sentence the sidecar refused its flags with (exit 2 and no error record), from its
 * stderr: its last 'sockwatch-sidecar: …' line before argp's "Try `… --help'" hint.
 */
export function usageSentence(stderr: string, program = 'sockwatch-sidecar'): string | undefined {
  const lines = stderr.split('\n')
  const hint = lines.findIndex((l) => l.startsWith('Try `'))
  const before = hint === -1 ? lines : lines.slice(0, hint)
  const prefixes = [...new Set([`${program}: `, 'sockwatch-sidecar: '])]
  for (const line of before.reverse()) {
    const prefix = prefixes.find((p) => line.startsWith(p))
    if (prefix && line.length > prefix.length) return line.slice(prefix.length).trim()
  }
  return undefined
}

const SIGNAL_HINT: Record<string, string> = {
  SIGKILL: 'it was killed (SIGKILL), by hand or by the out-of-memory killer',
  SIGSEGV: 'it crashed (SIGSEGV)',
  SIGABRT: 'it aborted (SIGABRT)',
}

/** Runs one capture to its end; throws SidecarError when the engine fails. */
export async function capture(options: CaptureOptions, sink: CaptureSink): Promise<CaptureResult> {
  const args = sidecarArgs(options)
  const path = await findSidecar()
  const direct = options.direct === true
  // raw bytes straight through when nothing in user space needs a parsed packet; bytes
  // too for a sink that reads only some fields (the table): PacketScanner decodes those
  const bytes = !direct && (sink.rawPackets !== undefined || sink.fields !== undefined)
  const sidecar = spawnSidecar({path, args, onStderr: options.verbose ? sink.stderr : undefined, bytes, direct})
  const stop = () => sidecar.stop()
  options.signal?.addEventListener('abort', stop, {once: true})
  if (options.signal?.aborted) stop()

  let stats: StatsRecord | undefined
  let failure: ErrorRecord | undefined
  let badLine: Error | undefined
  // direct: the control stream holds no packets, and nothing here writes any
  const router: RecordRouter = new RecordRouter(direct ? {} : sink, {
    // the kernel applies the whole filter: the sidecar stops itself at -c
    limit: options.count,
    trustPrefix: true,
    fields: direct ? undefined : sink.fields,
    onRecord(record) {
      if (record.type === 'ready') sink.ready?.(record)
      else if (record.type === 'stats') {
        stats = record
        sink.stats?.(record)
      } else if (record.type === 'flow') sink.flow?.(record)
      else if (record.type === 'link') sink.link?.(record) // the router has sent the packets before it
      else failure = record
    },
  })

  const passThrough = bytes && sink.rawPackets ? new BytePassThrough(options.count ?? Number.POSITIVE_INFINITY, sink.rawPackets!, router.line) : undefined
  try {
    if (passThrough) {
      for await (const chunk of sidecar.stdout) {
        passThrough.push(chunk as Buffer)
        const slow = sink.drained?.()
        if (slow) await slow
      }
      passThrough.end()
    } else {
      await pump(sidecar.stdout, router, direct ? {} : sink)
    }
  } catch (error) {
    badLine = error as Error
    stop()
  } finally {
    options.signal?.removeEventListener('abort', stop)
  }
  // direct: the sidecar counted what it wrote to stdout
  const captured = direct ? Number(stats?.written ?? 0) : passThrough ? passThrough.count : router.count

  const exit = await sidecar.exited
  if (badLine) {
    throw new SidecarError(`the capture engine wrote a record this CLI cannot read (${badLine.message}); the sidecar and the CLI are probably from different builds: run 'make'`, {cause: badLine, stderrTail: exit.stderrTail})
  }
  if (failure?.code === 'bad_filter' && options.filter) throw pcapFilterError(options.filter, failure.message)
  if (failure) {
    const partial = stats?.final ? {captured, dropped: stats.dropped} : undefined
    throw new SidecarError(failure.message, {exitCode: exit.exitCode, code: failure.code, stderrTail: failure.detail ?? '', partial})
  }
  if (exit.signal) {
    const why = SIGNAL_HINT[exit.signal] ?? `it was ended by ${exit.signal}`
    throw new SidecarError(`the capture engine stopped unexpectedly: ${why}`, {signal: exit.signal, stderrTail: exit.stderrTail})
  }
  const refused = exit.exitCode === EXIT.usage ? usageSentence(exit.stderrTail, basename(path)) : undefined
  if (refused) throw new SidecarError(refused, {exitCode: EXIT.usage})
  if (exit.exitCode !== EXIT.ok || !stats?.final) {
    throw new SidecarError(`the capture engine stopped unexpectedly (exit code ${exit.exitCode ?? 'unknown'}) without its final statistics`, {exitCode: exit.exitCode, stderrTail: exit.stderrTail})
  }
  return {captured, dropped: stats.dropped, stats}
}
