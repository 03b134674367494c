import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {filterWords} from '../cli/argv.js'
import {LIMITS} from '../contract/contract.js'
import {filterArgs, processFlags, processOptions, sourceFlags} from '../source-flags.js'
import {openRecords} from '../capture/replay.js'
import {filterText, parseFilter} from '../filter/index.js'
import {InputError, parseDuration} from '../lib/duration.js'
import {throwIfFailed, watchOutput} from '../lib/process-io.js'
import {clockTime} from '../output/format.js'
import {linkLine} from '../output/link.js'
import {SidecarError} from '../sidecar/errors.js'
import type {RecordError} from '../sidecar/records.js'
import {Aggregator, DEFAULT_MAX_KEYS, GROUP_BY, OWNER_GROUP_BY, SORT_BY} from '../summary/aggregate.js'
import type {Summary as SummaryData} from '../summary/aggregate.js'
import {summaryClosingLine, summaryNdjson, summaryTable} from '../summary/render.js'
import type {RenderOptions} from '../summary/render.js'
import {liveSummary, readSummary} from '../summary/sources.js'
import {runTopSession} from '../top/session.js'

const SHOWN_BAD_LINES = 20
/** How often the kernel's flow table is read when --interval is not given (ms). */
const READ_MS = 1000
/** The longest --interval the sidecar takes (ms). */
const MAX_INTERVAL_MS = 3_600_000

export default class Summary extends BaseCommand {
  static summary = 'Top talkers: packets and bytes per flow, host pair, address, port, protocol or interface.'

  static description = `Counts traffic per key (--by) and prints the top N (--top) by bytes or packets, then "other" (everything else) and the total, so the rows always add up. Live, the kernel counts per flow (flows mode) and no record crosses per packet; -r summarises a pcap or pcapng file or a saved 'capture --json' stream instead, with no privilege. FILTER is any tcpdump (pcap-filter) expression (docs/filters.md), run in the kernel; with -r, libpcap runs it on a pcap file's bytes, or it applies to a saved stream's records. Without -d or -c it runs until Ctrl-C. On exit it prints "N packets in K flows, D dropped" on stderr. Every flag, the output and the accounting: docs/summary.md.`

  static examples = [
    {description: 'Top 10 flows until Ctrl-C', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Who talks to whom on eth0 for ten seconds, by packets', command: '<%= config.bin %> <%= command.id %> -i eth0 -d 10s --by pair --sort packets'},
    {description: 'A live top view of destination ports, redrawn every 2 seconds', command: '<%= config.bin %> <%= command.id %> --by dport --interval 2s'},
    {description: 'DNS servers asked most, as NDJSON', command: "<%= config.bin %> <%= command.id %> -d 30s --by dst --json udp dst port 53 | jq -c 'select(.type == \"row\")'"},
    {description: 'A saved capture, per source', command: '<%= config.bin %> <%= command.id %> -r cap.ndjson --by src --top 5'},
    {description: 'Who receives connection attempts: any tcpdump expression, counted in the kernel', command: "<%= config.bin %> <%= command.id %> -d 10s --by dst 'tcp[tcpflags] & tcp-syn != 0'"},
  ]

  // oclif's generated line shows artefacts for flags exclusive with -r ('[-d <value> | ]')
  static usage = [
    '<%= command.id %> [-i IFACE]... [-d DURATION] [-c N] [--by KEY] [--top N] [--sort bytes|packets] [--interval DURATION] [--json] [FLAGS] [FILTER...]',
    '<%= command.id %> -r FILE|- [--by KEY] [--top N] [--sort bytes|packets] [--strict] [--json] [FILTER...]',
  ]

  static strict = false

  static args = filterArgs('udp port 53')

  static flags = {
    ...sourceFlags,
    ...processFlags,
    top: Flags.integer({min: 1, default: 10, description: 'Rows to show; the rest is summed as "other".'}),
    by: Flags.option({options: GROUP_BY, default: 'flow' as const, description: 'What a row is: flow (protocol, addresses, ports), pair (two hosts, either direction), src, dst, sport, dport, proto, iface; or whose traffic: process (comm/pid), comm, user, cgroup, container (docs/attribution.md).'})(),
    sort: Flags.option({options: SORT_BY, default: 'bytes' as const, description: 'Rank rows by bytes or packets.'})(),
    count: Flags.integer({char: 'c', min: 1, description: 'Stop after this many packets (live: at the first table read that reaches it).'}),
    interval: Flags.string({description: "Live: a new table every interval, e.g. 2s; on a terminal, the top view ('sockwatch top'), then the summary at exit.", exclusive: ['read']}),
    json: Flags.boolean({description: 'NDJSON: a "row" object a row, then "other", then "totals" (one batch per --interval).'}),
    'max-keys': Flags.integer({min: 1, default: DEFAULT_MAX_KEYS, description: 'Distinct keys counted exactly (about 0.5 KB each); past it a heavy-hitter sketch keeps the largest keys, each exact since kept.', helpGroup: 'ADVANCED'}),
    'flow-entries': Flags.integer({min: LIMITS.flowEntriesMin.value, max: LIMITS.flowEntriesMax.value, description: "Live: entries in each of the kernel's two flow tables (default 65536); packets of flows past that in one interval are counted as overflow.", helpGroup: 'ADVANCED', exclusive: ['read']}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Summary)
    const filter = filterText(filterWords(this.rawTokens))
    const durationMs = flags.duration === undefined ? undefined : parseDuration(flags.duration)
    const intervalMs = flags.interval === undefined ? undefined : parseDuration(flags.interval)
    if (intervalMs !== undefined && intervalMs > MAX_INTERVAL_MS) throw new InputError(`--interval is at most 1h, got '${flags.interval}'`)
    const aggregator = new Aggregator({by: flags.by, maxKeys: flags['max-keys']})
    const result = (dropped?: number | null): SummaryData => aggregator.result({top: flags.top, sort: flags.sort, dropped})
    const render = (s: SummaryData, options: RenderOptions) => (flags.json ? summaryNdjson(s, options) : summaryTable(s, options))
    const io = watchOutput()
    /** Prints the summary, then the closing line on stderr once stdout has taken it. */
    const finish = async (summary: SummaryData, text: string, more: {skipped?: number} = {}) => {
      io.write(text)
      await io.flushed()
      this.logToStderr(summaryClosingLine(summary, more))
      throwIfFailed(io)
    }
    try {
      if (flags.read !== undefined) {
        let bad = 0
        const onBadLine = (error: RecordError) => {
          if (++bad <= SHOWN_BAD_LINES) this.logToStderr(`sockwatch: ${error.message} (skipped)`)
        }
        // a pcap or pcapng file: libpcap filters its bytes in the reader; saved records: their fields
        const {input, kind} = await openRecords(flags.read, process.stdin, {filter: filter === '' ? undefined : filter})
        const recordFilter = kind === 'ndjson' && filter !== '' ? parseFilter(filter) : undefined
        const {skipped, dropped} = await readSummary(input, aggregator, {filter: recordFilter, count: flags.count, strict: flags.strict, onBadLine})
        if (bad > SHOWN_BAD_LINES) this.logToStderr(`sockwatch: ${bad - SHOWN_BAD_LINES} more malformed lines not shown`)
        const summary = result(dropped)
        await finish(summary, render(summary, {}), {skipped})
        return
      }

      // with --interval on a terminal: the top view (ranked by current rate, with keys), then the summary
      if (intervalMs !== undefined && !flags.json && process.stdout.isTTY === true) {
        const {model, stats} = await runTopSession({
          filter, by: flags.by, maxKeys: flags['max-keys'], units: 'bits', draw: true, plainWidth: 80, plainRows: 10, write: io.write,
          interfaces: flags.interface, intervalMs, durationMs, count: flags.count, flowEntries: flags['flow-entries'], verbose: this.verbosity, signal: io.signal,
          stderr: (text) => process.stderr.write(text),
        })
        const summary = model.aggregator.result({top: flags.top, sort: flags.sort, dropped: stats.dropped})
        await finish(summary, render(summary, {}))
        return
      }

      // with --interval in a pipe: one plain block per read of the kernel's table
      let blocks = 0
      let lastSeconds = 0
      const block = (s: SummaryData, seconds: number, ts: number, final: boolean) => {
        const title = flags.json ? undefined : `${clockTime(ts, 3)}  last ${seconds.toFixed(1)} s`
        const before = blocks++ > 0 && !flags.json ? '\n' : ''
        return before + render(s, {intervalSeconds: seconds, ts, final, title})
      }
      try {
        const stats = await liveSummary(
          {interfaces: flags.interface, durationMs, intervalMs: intervalMs ?? READ_MS, count: flags.count, filter: filter === '' ? undefined : filter, verbose: this.verbosity, signal: io.signal, flowEntries: flags['flow-entries'], process: processOptions(flags), owners: OWNER_GROUP_BY.includes(flags.by)},
          aggregator,
          {
            ready: (r) => this.logToStderr(`sockwatch: counting flows on ${r.interfaces.map((i) => i.name).join(', ')}; Ctrl-C for the summary`),
            tick: ({stats, seconds}) => {
              lastSeconds = seconds
              // the final block is printed below, with the final numbers
              if (intervalMs !== undefined && !stats.final) io.write(block(result(stats.dropped), seconds, stats.ts, false))
            },
            link: (r) => this.logToStderr(linkLine(r)),
            stderr: (text) => process.stderr.write(text),
          },
        )
        const summary = result(stats.dropped)
        await finish(summary, intervalMs === undefined ? render(summary, {}) : block(summary, lastSeconds, stats.ts, true))
      } catch (error) {
        // the final stats came before the failure: what was counted is still the user's
        if (!(error instanceof SidecarError) || !error.partial) throw error
        const summary = result(error.partial.dropped)
        await finish(summary, render(summary, {}))
        throw new SidecarError(error.message, {exitCode: error.exitCode, code: error.code, signal: error.signal, stderrTail: error.stderrTail})
      }
    } finally {
      io.dispose()
    }
  }
}
