// Feeds an aggregator: from a saved NDJSON stream (packet and flow records), or
// live from the kernel's flow table (the sidecar in flows mode).
import type {Readable} from 'node:stream'
import {DropTally, ReplayError} from '../capture/replay.js'
import {pump, RecordRouter} from '../capture/router.js'
import {capture, type CaptureOptions} from '../capture/session.js'
import type {FilterNode} from '../filter/index.js'
import {matches} from '../filter/index.js'
import type {FlowRecord, LinkRecord, PacketRecord, ReadyRecord, StatsRecord} from '../sidecar/records.js'
import {RecordError} from '../sidecar/records.js'
import {packetReads, type Aggregator, type Counts} from './aggregate.js'

/** Whether a filter looks at something only a packet record has (TCP flags): flow records cannot be checked against it. */
export function needsPackets(node: FilterNode): boolean {
  switch (node.type) {
    case 'and':
    case 'or': return needsPackets(node.left) || needsPackets(node.right)
    case 'not': return needsPackets(node.expr)
    case 'tcpflag': return true
    default: return false
  }
}

export interface ReadOptions {
  /** The filter's tree; flows are checked against it too (not when it needs packet fields). */
  filter?: FilterNode
  /** Stop once this many packets are counted (a flow record counts whole). */
  count?: number
  /** Stop at the first malformed line instead of skipping it. */
  strict?: boolean
  onBadLine?: (error: RecordError) => void
}

export interface ReadResult {
  /** Malformed lines skipped. */
  skipped: number
  /** Drops recorded in the stream's final stats records (summed over the captures it holds), or null with none. */
  dropped: number | null
}

/** Adds the packet and flow records of a saved stream to the aggregator and tallies the drops its final stats record; other records are ignored. */
export async function readSummary(input: Readable, aggregator: Aggregator, options: ReadOptions = {}): Promise<ReadResult> {
  const filter = options.filter && options.filter.type !== 'all' ? options.filter : undefined
  const limit = options.count ?? Number.POSITIVE_INFINITY
  const flowsUnchecked = filter !== undefined && needsPackets(filter)
  let skipped = 0
  let flowPackets = 0
  const drops = new DropTally()
  let stopped = false
  const stop = () => {
    stopped = true
    input.destroy()
  }
  const router: RecordRouter = new RecordRouter(
    {packets: (batch) => {
      for (const p of batch) aggregator.addPacket(p)
    }},
    {
      limit: options.count,
      predicate: filter && ((p: PacketRecord) => matches(filter, p)),
      // without a filter, only what the key and the counts need is decoded
      fields: filter ? undefined : packetReads(aggregator.by),
      onFull: stop,
      onBadLine: options.strict ? undefined : (error) => {
        skipped++
        options.onBadLine?.(error)
      },
      onRecord(record) {
        if (record.type === 'stats') drops.add(record)
        if (record.type !== 'flow' || stopped) return
        if (flowsUnchecked) throw new ReplayError("the input has flow records (flows mode), which a filter on TCP flags cannot check: filter on what flows carry (addresses, ports, protocols, interfaces, direction), or summarise a 'capture --json' stream")
        if (filter && !matches(filter, record as unknown as PacketRecord)) return
        aggregator.addFlow(record)
        flowPackets += record.packets
        if (router.count + flowPackets >= limit) stop()
      },
    },
  )
  try {
    await pump(input, router, {})
  } catch (error) {
    if (error instanceof RecordError) throw new ReplayError(`${error.message}${options.strict ? ' (--strict stops at the first malformed line)' : ''}`, {cause: error})
    // reading stops early once --count packets are in: not an error
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE' || !stopped) throw error
  }
  return {skipped, dropped: drops.dropped}
}

export interface LiveOptions extends Pick<CaptureOptions, 'interfaces' | 'durationMs' | 'verbose' | 'filter' | 'flowEntries' | 'process'> {
  /** How often the sidecar reads the kernel's flow table (ms). */
  intervalMs: number
  /** The rows need owner fields (--by process and the like): attribution on. */
  owners?: boolean
  /** Stop once the kernel has counted at least this many matched packets (checked at each read). */
  count?: number
  signal?: AbortSignal
}

export interface LiveTick {
  stats: StatsRecord
  /** Seconds since the previous read (or since ready, for the first). */
  seconds: number
}

export interface LiveHooks {
  ready?(record: ReadyRecord): void
  /** After each batch of flow records and its stats, before the next interval starts (the final one included). */
  tick?(tick: LiveTick): void
  /** A captured interface went down, came up or was deleted. */
  link?(record: LinkRecord): void
  stderr?(text: string): void
}

/**
 * Traffic in no flow record: the kernel's overflow (a full flow table) where the stats say
 * it; from an older sidecar, what it matched minus what came in flow records.
 */
export function unattributed(stats: StatsRecord, attributed: Counts): Counts {
  if (stats.overflow !== undefined) return {packets: stats.overflow, bytes: stats.overflow_bytes ?? 0}
  return {
    packets: Math.max(0, stats.matched - attributed.packets),
    bytes: stats.matched_bytes === undefined ? 0 : Math.max(0, stats.matched_bytes - attributed.bytes),
  }
}

/** Counts flows live until -d, -c (at interval granularity), or the signal; returns the final stats. */
export async function liveSummary(options: LiveOptions, aggregator: Aggregator, hooks: LiveHooks = {}): Promise<StatsRecord> {
  const enough = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, enough.signal]) : enough.signal
  let since: number | undefined
  const result = await capture(
    {
      mode: 'flows', intervalMs: options.intervalMs, interfaces: options.interfaces, durationMs: options.durationMs, flowEntries: options.flowEntries,
      filter: options.filter, verbose: options.verbose, signal,
      // attribution costs a lookup a packet: on only when the rows or the kernel's process filter need it
      process: {...options.process, off: !(options.owners || options.process?.pids?.length || options.process?.comm || options.process?.cgroups?.length || options.process?.container)},
    },
    {
      ready(record) {
        since = record.ts
        hooks.ready?.(record)
      },
      flow: (record: FlowRecord) => aggregator.addFlow(record),
      stats(record) {
        aggregator.setUnattributed(unattributed(record, aggregator.attributed))
        hooks.tick?.({stats: record, seconds: since === undefined ? 0 : Math.max(0, record.ts - since)})
        since = record.ts
        if (!record.final) aggregator.nextInterval() // the final numbers keep their last interval
        if (options.count !== undefined && record.matched >= options.count) enough.abort()
      },
      link: hooks.link,
      stderr: hooks.stderr,
    },
  )
  return result.stats
}
