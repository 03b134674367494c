// `sockwatch export`: the kernel counts flows (flows mode); their records feed a
// flow cache whose expired flows leave as IPFIX, and/or a Prometheus endpoint.
// Returns the final stats; every line for people goes through hooks.log.
import {capture, type CaptureOptions} from '../capture/session.js'
import type {LinkRecord, ReadyRecord, StatsRecord} from '../sidecar/records.js'
import {FlowCache, toMs, type CacheOptions, type OwnedFlowRecord} from './flow-cache.js'
import type {ExportFlow, Reliability} from './ipfix/templates.js'
import {openExporter, type Exporter, type ExporterOptions} from './ipfix/transport.js'
import type {Metrics, MetricsOptions} from './metrics.js'

export interface ExportOptions extends Pick<CaptureOptions, 'interfaces' | 'durationMs' | 'verbose' | 'filter' | 'flowEntries' | 'process'> {
  /** How often the kernel's flow table is read (ms). */
  readMs: number
  cache: CacheOptions
  ipfix?: Omit<ExporterOptions, 'log'>
  prometheus?: MetricsOptions
  /** Aborting ends the run: every flow in the cache leaves, then it returns. */
  signal?: AbortSignal
  /** Each 'flush' event sends every flow in the cache now, and the templates again (SIGHUP). */
  flush?: EventTarget
}

export interface ExportHooks {
  /** One line for people (a state change), without the 'sockwatch: ' prefix. */
  log(line: string): void
  /** With -v: lines about the exporter's routine work. */
  debug?(line: string): void
  ready?(record: ReadyRecord): void
  link?(record: LinkRecord): void
  stderr?(text: string): void
}

export interface ExportResult {
  stats: StatsRecord
  /** Flows that left the cache, and those not sent (queue full, or the collector away at the end). */
  flows: number
  notSentFlows: number
}

/** The counts no flow carries, from the sidecar's totals and the exporter's. */
export function reliabilityOf(stats: StatsRecord, exporter: Exporter, domainId: number): Reliability {
  const overflow = stats.overflow ?? 0
  const c = exporter.counters
  return {
    domainId, timeMs: toMs(stats.ts),
    ignoredPackets: stats.dropped + overflow, ignoredOctets: stats.overflow_bytes ?? 0,
    notSentFlows: c.notSentFlows, notSentPackets: c.notSentPackets, notSentOctets: c.notSentOctets,
    kernelDropped: stats.dropped, overflow,
  }
}

/** Runs until -d, the signal, or the engine ends; then every flow in the cache leaves. */
export async function runExport(options: ExportOptions, hooks: ExportHooks): Promise<ExportResult> {
  let metrics: Metrics | undefined
  let exporter: Exporter | undefined
  let closed = false
  const closeAll = async () => {
    if (closed) return
    closed = true
    await exporter?.close()
    await metrics?.close()
  }
  try {
    if (options.prometheus) {
      // prom-client loads only here: other commands do not pay for it
      const {startMetrics} = await import('./metrics.js')
      metrics = await startMetrics(options.prometheus).catch((error: NodeJS.ErrnoException) => {
        throw new ExportError(`cannot serve metrics on ${options.prometheus!.host}:${options.prometheus!.port} (${error.code ?? error.message}): choose a free port, or an address of this host`)
      })
      hooks.log(`serving Prometheus metrics at ${metrics.url}`)
    }
    if (options.ipfix) exporter = await openExporter({...options.ipfix, log: hooks.log, debug: hooks.debug})
    const cache = new FlowCache(options.cache)
    let flows = 0
    let lastIgnored = -1
    const send = (out: ExportFlow[], stats?: StatsRecord) => {
      flows += out.length
      if (!exporter) return
      // the loss counts go out at the first read, whenever they change, and at the end
      let reliability: Reliability | undefined
      if (stats) {
        const r = reliabilityOf(stats, exporter, options.ipfix!.observationDomainId)
        const ignored = r.ignoredPackets + r.notSentFlows
        if (ignored !== lastIgnored || stats.final) reliability = r
        lastIgnored = ignored
      }
      if (out.length || reliability) exporter.send(out, reliability)
    }
    const onFlush = () => {
      const out = cache.drain()
      send(out)
      exporter?.refreshTemplates()
      hooks.log(`SIGHUP: sent the ${out.length} flows in the cache now${exporter ? ', and the templates again' : ''}`)
    }
    options.flush?.addEventListener('flush', onFlush)
    try {
      const result = await capture(
        {mode: 'flows', intervalMs: options.readMs, interfaces: options.interfaces, durationMs: options.durationMs, flowEntries: options.flowEntries, filter: options.filter, verbose: options.verbose, process: options.process, signal: options.signal},
        {
          ready: hooks.ready,
          flow(record) {
            send(cache.add(record as OwnedFlowRecord))
            metrics?.addFlow(record)
          },
          stats(stats) {
            metrics?.addStats(stats)
            send(stats.final ? cache.drain() : cache.expire(toMs(stats.ts)), stats)
            exporter?.tick()
          },
          link: hooks.link,
          stderr: hooks.stderr,
        },
      )
      await closeAll()
      return {stats: result.stats, flows, notSentFlows: exporter?.counters.notSentFlows ?? 0}
    } finally {
      options.flush?.removeEventListener('flush', onFlush)
    }
  } finally {
    await closeAll()
  }
}

/** The export could not start (a port taken, a host unknown): one sentence. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExportError'
  }
}
