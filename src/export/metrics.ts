// A Prometheus /metrics endpoint (prom-client, imported only when asked for):
// packets and bytes the filter matched, packets lost (ring full, flow table full),
// and per-key series for at most `top` keys plus "other", so a scrape's size stays
// bounded whatever the traffic (docs/fleet.md, "Cardinality").
import {createServer, type Server} from 'node:http'
import type {Counter, Registry} from 'prom-client'
import {keyFields, KEY_FIELDS, type GroupBy} from '../summary/aggregate.js'
import type {FlowRecord, StatsRecord} from '../sidecar/records.js'

export interface MetricsOptions {
  host: string
  port: number
  /** What a per-key series is keyed by (summary's --by). */
  by: GroupBy
  /** The most per-key series; every other key's traffic is in the "other" series. */
  top: number
  /** A key's series is removed after this long without traffic (ms), freeing its place. */
  idleMs: number
}

export interface Metrics {
  /** The flow records of one read of the kernel's table. */
  addFlow(record: FlowRecord): void
  /** After each read: the totals, and the interval's keys take free series, heaviest first. */
  addStats(stats: StatsRecord): void
  readonly url: string
  close(): Promise<void>
}

/** The label value for a missing port or address. */
const NONE = '-'
export const OTHER = 'other'

interface Series {
  labels: Record<string, string>
  lastMs: number
}

/** Chooses which keys get a series: free places go to the interval's heaviest keys; the rest is "other". */
export class SeriesTable {
  private readonly series = new Map<string, Series>()
  private interval = new Map<string, {labels: Record<string, string>; packets: number; bytes: number}>()

  constructor(private readonly by: GroupBy, private readonly top: number, private readonly idleMs: number) {}

  /** The label names of a series for this --by. */
  labelNames(): string[] {
    return [...KEY_FIELDS[this.by]]
  }

  add(record: FlowRecord): void {
    const fields = keyFields(this.by, record)
    const labels = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === null ? NONE : String(v)]))
    const key = JSON.stringify(labels)
    const e = this.interval.get(key) ?? {labels, packets: 0, bytes: 0}
    e.packets += record.packets
    e.bytes += record.bytes
    this.interval.set(key, e)
  }

  /** Ends an interval: each key's counts, to its own series or to "other"; and the series idle too long, to remove. */
  settle(nowMs: number): {increments: {labels: Record<string, string>; packets: number; bytes: number}[]; removed: Record<string, string>[]} {
    const removed: Record<string, string>[] = []
    for (const [key, s] of this.series) {
      if (nowMs - s.lastMs >= this.idleMs && !this.interval.has(key)) {
        this.series.delete(key)
        removed.push(s.labels)
      }
    }
    const other = {labels: Object.fromEntries(this.labelNames().map((n) => [n, OTHER])), packets: 0, bytes: 0}
    const increments = []
    for (const [key, e] of [...this.interval].sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1))) {
      const s = this.series.get(key)
      if (s || this.series.size < this.top) {
        this.series.set(key, {labels: e.labels, lastMs: nowMs})
        increments.push(e)
      } else {
        other.packets += e.packets
        other.bytes += e.bytes
      }
    }
    if (other.packets) increments.push(other)
    this.interval = new Map()
    return {increments, removed}
  }
}

/** Starts the endpoint; resolves once it listens. */
export async function startMetrics(options: MetricsOptions): Promise<Metrics> {
  const client = await import('prom-client')
  const registry: Registry = new client.Registry()
  const counter = (name: string, help: string, labelNames: string[] = []): Counter => new client.Counter({name, help, labelNames, registers: [registry]})
  const packets = counter('sockwatch_packets_total', 'Packets the filter matched (every one is in a flow or in sockwatch_dropped_packets_total).')
  const bytes = counter('sockwatch_bytes_total', 'Bytes (on the wire) of the packets the filter matched.')
  const dropped = counter('sockwatch_dropped_packets_total', 'Matched packets in no flow: reason="ring_full" (the kernel ring buffer was full), reason="flow_table_full" (the kernel flow table was full; still in sockwatch_packets_total).', ['reason'])
  const table = new SeriesTable(options.by, options.top, options.idleMs)
  const flowPackets = counter('sockwatch_flow_packets_total', `Packets per ${options.by}, for at most ${options.top} keys at once; the rest are in the series labelled "other".`, table.labelNames())
  const flowBytes = counter('sockwatch_flow_bytes_total', `Bytes per ${options.by}, for at most ${options.top} keys at once; the rest are in the series labelled "other".`, table.labelNames())
  // present from the first scrape, so rate() sees them start at 0
  packets.inc(0)
  bytes.inc(0)
  dropped.inc({reason: 'ring_full'}, 0)
  dropped.inc({reason: 'flow_table_full'}, 0)
  let last = {matched: 0, bytes: 0, dropped: 0, overflow: 0}

  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, {'content-type': 'text/plain'}).end('sockwatch serves /metrics only\n')
      return
    }
    registry.metrics().then(
      (text) => res.writeHead(200, {'content-type': registry.contentType}).end(text),
      (error: Error) => res.writeHead(500, {'content-type': 'text/plain'}).end(`${error.message}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    url: `http://${host}:${(server.address() as {port: number}).port}/metrics`,
    addFlow: (record) => table.add(record),
    addStats(stats) {
      const now = {matched: stats.matched, bytes: stats.matched_bytes ?? 0, dropped: stats.dropped, overflow: stats.overflow ?? 0}
      packets.inc(Math.max(0, now.matched - last.matched))
      bytes.inc(Math.max(0, now.bytes - last.bytes))
      dropped.inc({reason: 'ring_full'}, Math.max(0, now.dropped - last.dropped))
      dropped.inc({reason: 'flow_table_full'}, Math.max(0, now.overflow - last.overflow))
      last = now
      const {increments, removed} = table.settle(Math.round(stats.ts * 1000))
      for (const labels of removed) {
        flowPackets.remove(labels)
        flowBytes.remove(labels)
      }
      for (const e of increments) {
        flowPackets.inc(e.labels, e.packets)
        flowBytes.inc(e.labels, e.bytes)
      }
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}
