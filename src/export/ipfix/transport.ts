// Sends IPFIX messages to a collector. UDP: each message a datagram, templates
// refreshed by the session's rules. TCP: one stream per connection; when the
// collector goes away the flows wait in a bounded queue and the connection is
// retried (with back-off), so counting never stops; templates go first on each
// new connection. Each change of state is one line through `log`.
import dgram from 'node:dgram'
import {lookup} from 'node:dns/promises'
import net from 'node:net'
import {InputError} from '../../lib/duration.js'
import {IpfixSession, type Encoded, type SessionOptions} from './session.js'
import type {ExportFlow, Reliability} from './templates.js'

export type TransportName = 'udp' | 'tcp'

export interface Collector {
  host: string
  port: number
  transport: TransportName
}

/** HOST:PORT or [IPv6]:PORT, as people write a collector's address. */
export function parseHostPort(text: string, flag: string): {host: string; port: number} {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text)
  const port = m ? Number(m[2]) : Number.NaN
  if (!m || !(port >= 1 && port <= 65535)) throw new InputError(`${flag} takes HOST:PORT (an IPv6 address in brackets, [::1]:4739), got '${text}'`)
  return {host: m[1], port}
}

/** What has left, and what could not. */
export interface ExportCounters {
  messages: number
  octets: number
  /** Data records sent (flows and options records). */
  records: number
  flows: number
  notSentFlows: number
  notSentPackets: number
  notSentOctets: number
}

export interface ExporterOptions extends Omit<SessionOptions, 'refreshMs' | 'refreshMessages'> {
  collector: Collector
  /** UDP only: the session's template refresh (TCP sends them once per connection). */
  refreshMs: number
  refreshMessages: number
  /** TCP: the most flows kept while the collector is away; past it the oldest are counted as not sent. */
  maxQueued: number
  /** TCP: the first retry after a failure (ms); it doubles up to retryMaxMs. */
  retryMs?: number
  retryMaxMs?: number
  log: (line: string) => void
  /** With -v: templates sent, flows waiting for the collector (not state changes; tests wait on them). */
  debug?: (line: string) => void
  now?: () => number
}

export interface Exporter {
  /** Sends the flows (and the counts no flow carries) now, or queues them while a TCP collector is away. */
  send(flows: readonly ExportFlow[], reliability?: Reliability): void
  /** Called every read interval: templates due by time go out even when no flow ends. */
  tick(): void
  /** Templates again with the next message (SIGHUP). */
  refreshTemplates(): void
  readonly counters: ExportCounters
  /** Flows waiting for the collector. */
  readonly queued: number
  /** Sends what is queued if it can, within ms, then closes. */
  close(ms?: number): Promise<void>
}

const url = (c: Collector) => `${c.transport}://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`
const reason = (error: NodeJS.ErrnoException) => error.code ?? error.message

function newCounters(): ExportCounters {
  return {messages: 0, octets: 0, records: 0, flows: 0, notSentFlows: 0, notSentPackets: 0, notSentOctets: 0}
}

function countSent(c: ExportCounters, m: Encoded) {
  c.messages++
  c.octets += m.bytes.length
  c.records += m.records
  c.flows += m.flows
}

function countLost(c: ExportCounters, m: {flows: number; packets: number; octets: number}) {
  c.notSentFlows += m.flows
  c.notSentPackets += m.packets
  c.notSentOctets += m.octets
}

/** Opens the exporter for the collector: UDP at once; TCP connects in the background. */
export async function openExporter(options: ExporterOptions): Promise<Exporter> {
  const {collector} = options
  let address = collector.host
  if (!net.isIP(address)) {
    try {
      address = (await lookup(collector.host)).address
    } catch (error) {
      throw new InputError(`cannot resolve the collector's host '${collector.host}' (${reason(error as NodeJS.ErrnoException)}): give an address or a name this host resolves`)
    }
  }
  return collector.transport === 'udp' ? udpExporter(options, address) : tcpExporter(options, address)
}

function udpExporter(options: ExporterOptions, address: string): Exporter {
  const now = options.now ?? Date.now
  const session = new IpfixSession(options)
  const counters = newCounters()
  // unconnected: a collector not (yet) listening is no error, and its ICMP replies are not read
  const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4')
  let failing = false
  // errors of the socket itself (sends report theirs to their callback): a line, never a crash
  socket.on('error', (error: NodeJS.ErrnoException) => options.log(`the IPFIX socket failed (${reason(error)})`))
  let inFlight = 0
  let settled: (() => void) | undefined
  const emit = (messages: Encoded[]) => {
    for (const m of messages) {
      inFlight++
      socket.send(m.bytes, options.collector.port, address, (error) => {
        if (--inFlight === 0) settled?.()
        if (error) {
          countLost(counters, m)
          if (!failing) options.log(`cannot send to the collector at ${url(options.collector)} (${reason(error)}); flows not sent are counted`)
          failing = true
          return
        }
        countSent(counters, m)
        if (m.records === 0) options.debug?.('sent the templates')
        if (failing) options.log(`sending to the collector at ${url(options.collector)} again`)
        failing = false
      })
    }
  }
  options.log(`exporting IPFIX to ${url(options.collector)}, observation domain ${options.observationDomainId}`)
  emit(session.templates(now()))
  return {
    send: (flows, reliability) => emit(session.encode(flows, reliability, now())),
    tick: () => emit(session.templates(now())),
    refreshTemplates: () => session.refreshTemplates(),
    counters,
    queued: 0,
    async close(ms = 5000) {
      // a send is queued until the socket is bound: closing before would drop it
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms)
          settled = () => {
            clearTimeout(t)
            resolve()
          }
        })
      }
      await new Promise<void>((resolve) => socket.close(() => resolve()))
    },
  }
}

/** Bytes a TCP socket may hold unsent before flows wait in the queue instead. */
const TCP_HIGH_WATER = 4 * 1024 * 1024

function tcpExporter(options: ExporterOptions, address: string): Exporter {
  const now = options.now ?? Date.now
  const {collector} = options
  const session = new IpfixSession({...options, refreshMs: 0, refreshMessages: 0})
  const counters = newCounters()
  const retryMs = options.retryMs ?? 250
  const retryMaxMs = options.retryMaxMs ?? 5000
  let queue: ExportFlow[] = []
  let pendingReliability: Reliability | undefined
  let socket: net.Socket | undefined
  let up = false
  let everUp = false
  let saidDown = false
  let closing = false
  let delay = retryMs
  let timer: NodeJS.Timeout | undefined

  const write = (messages: Encoded[]) => {
    for (const m of messages) {
      socket!.write(m.bytes)
      countSent(counters, m)
      if (m.records === 0) options.debug?.('sent the templates')
    }
  }
  const flush = () => {
    if (!up || socket!.writableLength > TCP_HIGH_WATER) return
    const flows = queue
    queue = []
    const reliability = pendingReliability
    pendingReliability = undefined
    if (flows.length || reliability) write(session.encode(flows, reliability, now()))
  }
  const connect = () => {
    timer = undefined
    const s = net.connect({host: address, port: collector.port})
    socket = s
    s.setNoDelay(true)
    s.on('connect', () => {
      up = true
      everUp = true
      saidDown = false
      delay = retryMs
      options.log(`connected to the collector at ${url(collector)}${queue.length ? `; sending ${queue.length} flows kept meanwhile` : ''}`)
      session.restart()
      write(session.templates(now()))
      flush()
    })
    s.on('drain', flush)
    s.on('error', (error: NodeJS.ErrnoException) => {
      if (saidDown || closing) return
      saidDown = true
      const what = everUp && up ? 'lost the collector' : 'cannot reach the collector'
      options.log(`${what} at ${url(collector)} (${reason(error)}); retrying, flows are kept meanwhile (up to ${options.maxQueued})`)
    })
    s.on('close', () => {
      if (socket !== s) return
      if (up && !saidDown && !closing) {
        saidDown = true
        options.log(`lost the collector at ${url(collector)} (it closed the connection); retrying, flows are kept meanwhile (up to ${options.maxQueued})`)
      }
      up = false
      if (closing) return
      timer = setTimeout(connect, delay)
      delay = Math.min(retryMaxMs, delay * 2)
    })
  }
  options.log(`exporting IPFIX to ${url(collector)}, observation domain ${options.observationDomainId}`)
  connect()

  return {
    send(flows, reliability) {
      queue.push(...flows)
      if (reliability) pendingReliability = reliability
      const over = queue.length - options.maxQueued
      if (over > 0) {
        const lost = queue.splice(0, over)
        countLost(counters, {flows: lost.length, packets: lost.reduce((n, f) => n + f.packets, 0), octets: lost.reduce((n, f) => n + f.bytes, 0)})
      }
      flush()
      if (!up && flows.length) options.debug?.(`the collector is away: ${queue.length} flows waiting`)
    },
    tick: flush,
    refreshTemplates() {
      session.refreshTemplates()
      if (up) write(session.templates(now()))
    },
    counters,
    get queued() {
      return queue.length
    },
    async close(ms = 5000) {
      closing = true
      if (timer) clearTimeout(timer)
      const s = socket!
      if (up) {
        flush()
        if (queue.length) write(session.encode(queue.splice(0), pendingReliability, now()))
      }
      if (queue.length) {
        countLost(counters, {flows: queue.length, packets: queue.reduce((n, f) => n + f.packets, 0), octets: queue.reduce((n, f) => n + f.bytes, 0)})
        queue = []
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          s.destroy()
          resolve()
        }, ms)
        s.once('close', () => {
          clearTimeout(t)
          resolve()
        })
        if (s.destroyed) {
          clearTimeout(t)
          resolve()
        } else s.end()
      })
    },
  }
}
