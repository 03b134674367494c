import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {filterWords} from '../cli/argv.js'
import {LIMITS} from '../contract/contract.js'
import {ExportError, runExport} from '../export/run.js'
import {parseHostPort} from '../export/ipfix/transport.js'
import {filterText} from '../filter/index.js'
import {InputError, parseDuration} from '../lib/duration.js'
import {linkLine} from '../output/link.js'
import {filterArgs, processFlags, processOptions, sourceFlags} from '../source-flags.js'
import {GROUP_BY} from '../summary/aggregate.js'

/** The kernel's flow table is read at least this often (ms), so idle flows leave on time. */
const MAX_READ_MS = 1000

export default class Export extends BaseCommand {
  static summary = 'Send flows to the collectors fleets run: IPFIX (nfacctd, nfcapd, ...) and a Prometheus endpoint.'

  static description = `Counts flows in the kernel (flows mode) and sends each flow as an IPFIX record (RFC 7011) when it has been idle for --idle-timeout or active for --interval, over UDP (templates refreshed by --template-refresh) or TCP (reconnecting, flows kept meanwhile). --prometheus serves /metrics: packets, bytes and drops totals, and per-key series for the top keys (--by, --top). Packets the kernel could not count in a flow are exported as counts too. Runs until SIGTERM or Ctrl-C (-d for a while); SIGHUP sends every flow now. One line on stderr per state change. docs/fleet.md has the templates, the collectors' configuration and a systemd unit.`

  static examples = [
    {description: 'Every flow to nfacctd or nfcapd on the default IPFIX port', command: '<%= config.bin %> <%= command.id %> --ipfix collector.example:4739'},
    {description: 'Over TCP, web traffic only, flows out after 30 s of activity or 5 s idle', command: '<%= config.bin %> <%= command.id %> --ipfix 10.0.0.5:4739 --transport tcp --interval 30s --idle-timeout 5s tcp port 443'},
    {description: 'A Prometheus endpoint with one series per destination port (20 at most)', command: '<%= config.bin %> <%= command.id %> --prometheus 0.0.0.0:9469 --by dport --top 20'},
  ]

  static usage = ['<%= command.id %> (--ipfix HOST:PORT [--transport udp|tcp] | --prometheus ADDR:PORT) [-i IFACE]... [--interval DURATION] [--idle-timeout DURATION] [FLAGS] [FILTER...]']

  static strict = false

  static args = filterArgs('not port 4739')

  static flags = {
    interface: sourceFlags.interface,
    duration: sourceFlags.duration,
    ...processFlags,
    ipfix: Flags.string({description: 'Send IPFIX to this collector: HOST:PORT ([::1]:4739 for IPv6).', helpValue: 'HOST:PORT'}),
    transport: Flags.option({options: ['udp', 'tcp'] as const, default: 'udp' as const, description: 'IPFIX over UDP, or TCP (reconnects, keeps flows while the collector is away).'})(),
    interval: Flags.string({default: '60s', description: 'Active timeout: a flow still going is sent (and starts again) once it is this old.'}),
    'idle-timeout': Flags.string({default: '15s', description: 'A flow that has seen no packet for this long is sent.'}),
    'observation-domain': Flags.integer({min: 0, max: 4_294_967_295, default: 1, description: 'The IPFIX observation domain ID: tells this host apart at the collector.'}),
    'template-refresh': Flags.string({default: '600s', description: "UDP: send the templates again this often (RFC 7011's templateRefreshTimeout), so a collector that starts later decodes within it."}),
    'template-refresh-packets': Flags.integer({min: 0, default: 0, description: 'UDP: also send the templates again after this many messages (0: only by time).'}),
    prometheus: Flags.string({description: 'Serve Prometheus metrics at http://ADDR:PORT/metrics.', helpValue: 'ADDR:PORT'}),
    by: Flags.option({options: GROUP_BY, default: 'proto' as const, description: 'Prometheus: what a per-key series is keyed by.'})(),
    top: Flags.integer({min: 1, max: 1000, default: 20, description: 'Prometheus: the most per-key series at once; other keys add up in the "other" series.'}),
    'series-idle': Flags.string({default: '10m', description: 'Prometheus: a per-key series without traffic for this long is removed, freeing its place.', helpGroup: 'ADVANCED'}),
    'max-message': Flags.integer({min: 512, max: 65535, default: 1400, description: 'Largest IPFIX message in octets (keep UDP below the path MTU).', helpGroup: 'ADVANCED'}),
    'cache-entries': Flags.integer({min: 64, max: 16_777_216, default: 262_144, description: 'Most flows kept between reads; past it the oldest is sent early (flowEndReason 5).', helpGroup: 'ADVANCED'}),
    'queue-flows': Flags.integer({min: 1, max: 16_777_216, default: 1_000_000, description: 'TCP: most flows kept while the collector is away; past it the oldest are counted as not sent.', helpGroup: 'ADVANCED'}),
    'flow-entries': Flags.integer({min: LIMITS.flowEntriesMin.value, max: LIMITS.flowEntriesMax.value, description: "Entries in each of the kernel's two flow tables (default 65536); packets of flows past that in one read are counted as overflow and exported as counts.", helpGroup: 'ADVANCED'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Export)
    if (flags.ipfix === undefined && flags.prometheus === undefined) throw new InputError('say where flows go: --ipfix HOST:PORT (a collector) and/or --prometheus ADDR:PORT (a /metrics endpoint)')
    const filter = filterText(filterWords(this.rawTokens))
    const activeMs = parseDuration(flags.interval)
    const idleMs = parseDuration(flags['idle-timeout'])
    const refreshMs = parseDuration(flags['template-refresh'])
    const ipfix = flags.ipfix === undefined ? undefined : {...parseHostPort(flags.ipfix, '--ipfix'), transport: flags.transport}
    const prometheus = flags.prometheus === undefined ? undefined : parseHostPort(flags.prometheus, '--prometheus')
    const durationMs = flags.duration === undefined ? undefined : parseDuration(flags.duration)

    const stop = new AbortController()
    const flush = new EventTarget()
    const onStop = () => stop.abort()
    const onHup = () => flush.dispatchEvent(new Event('flush'))
    process.on('SIGTERM', onStop)
    process.on('SIGINT', onStop)
    process.on('SIGHUP', onHup)
    const log = (line: string) => this.logToStderr(`sockwatch: ${line}`)
    try {
      const result = await runExport(
        {
          interfaces: flags.interface, durationMs, filter: filter === '' ? undefined : filter, verbose: this.verbosity, flowEntries: flags['flow-entries'],
          process: processOptions(flags),
          readMs: Math.min(MAX_READ_MS, activeMs, idleMs),
          cache: {activeMs, idleMs, maxEntries: flags['cache-entries']},
          ipfix: ipfix && {
            collector: ipfix, observationDomainId: flags['observation-domain'], maxMessageLength: flags['max-message'],
            refreshMs, refreshMessages: flags['template-refresh-packets'], maxQueued: flags['queue-flows'],
          },
          prometheus: prometheus && {...prometheus, by: flags.by, top: flags.top, idleMs: parseDuration(flags['series-idle'])},
          signal: stop.signal, flush,
        },
        {
          log,
          debug: this.verbosity > 0 ? log : undefined,
          ready: (r) => log(`counting flows on ${r.interfaces.map((i) => i.name).join(', ')}; SIGTERM or Ctrl-C to stop, SIGHUP to send every flow now`),
          link: (r) => this.logToStderr(linkLine(r)),
          stderr: (text) => process.stderr.write(text),
        },
      )
      const s = result.stats
      const lost = [`${s.dropped} dropped`, `${s.overflow ?? 0} in no flow (flow table full)`]
      if (ipfix) lost.push(`${result.notSentFlows} flows not sent`)
      log(`${s.matched} packets in ${result.flows} flows, ${lost.join(', ')}`)
    } catch (error) {
      if (error instanceof ExportError) this.error(error.message, {exit: 1})
      throw error
    } finally {
      process.off('SIGTERM', onStop)
      process.off('SIGINT', onStop)
      process.off('SIGHUP', onHup)
    }
  }
}
