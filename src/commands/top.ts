import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {filterWords} from '../cli/argv.js'
import {LIMITS} from '../contract/contract.js'
import {filterArgs} from '../source-flags.js'
import {filterText} from '../filter/index.js'
import {InputError, parseDuration} from '../lib/duration.js'
import {throwIfFailed, watchOutput} from '../lib/process-io.js'
import {DEFAULT_MAX_KEYS, GROUP_BY} from '../summary/aggregate.js'
import {summaryClosingLine} from '../summary/render.js'
import {runTopSession} from '../top/session.js'

/** The longest --interval the sidecar takes (ms). */
const MAX_INTERVAL_MS = 3_600_000
/** Rows in a pipe's block. */
const PLAIN_ROWS = 10

export default class Top extends BaseCommand {
  static summary = 'A live, full-screen view of who is using the network, ranked by current rate.'

  static description = `Counts traffic per flow in the kernel (flows mode: no record a packet crosses into user space) and redraws a ranked table every interval: rates averaged over 2 s, 10 s and 40 s as iftop does, peak, total and packets/s, with --by pair showing each direction (TX/RX). The footer always shows the kernel's matched packets, drops and flow-table overflow. Keys: q quit, p pause, s/S sort, t rate or totals, b next --by, u bits or bytes, arrows and PageUp/PageDown scroll, / a new filter (run in the kernel), ? help. In a pipe it prints one plain block per interval. FILTER is a tcpdump-like expression (docs/filters.md). Every key and column: docs/top.md.`

  static examples = [
    {description: 'Every interface, by flow', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Conversations on eth0, both directions in one row', command: '<%= config.bin %> <%= command.id %> -i eth0 --by pair'},
    {description: 'Only HTTPS, in bytes per second', command: '<%= config.bin %> <%= command.id %> --units bytes tcp port 443'},
  ]

  static usage = ['<%= command.id %> [-i IFACE]... [-d DURATION] [-c N] [--by KEY] [--interval DURATION] [--units bits|bytes] [FLAGS] [FILTER...]']

  static strict = false

  static args = filterArgs('tcp port 443')

  static flags = {
    interface: Flags.string({char: 'i', multiple: true, multipleNonGreedy: true, description: 'Interface to watch; repeat for more (default: all).'}),
    duration: Flags.string({char: 'd', description: 'Stop after this long: 10s, 2m, 1h.'}),
    count: Flags.integer({char: 'c', min: 1, description: 'Stop after this many packets (at the first read that reaches it).'}),
    by: Flags.option({options: GROUP_BY, default: 'flow' as const, description: 'What a row is: flow, pair (two hosts, TX and RX), src, dst, sport, dport, proto, iface.'})(),
    interval: Flags.string({default: '1s', description: "How often the kernel's flow table is read and the view redrawn."}),
    units: Flags.option({options: ['bits', 'bytes'] as const, default: 'bits' as const, description: 'Rates in bits/s (as iftop) or bytes/s.'})(),
    'max-keys': Flags.integer({min: 1, default: DEFAULT_MAX_KEYS, description: 'Distinct keys whose totals are exact (about 0.5 KB each); past it a heavy-hitter sketch keeps the largest.', helpGroup: 'ADVANCED'}),
    'flow-entries': Flags.integer({min: LIMITS.flowEntriesMin.value, max: LIMITS.flowEntriesMax.value, description: "Entries in each of the kernel's two flow tables (default 65536); flows past it in one interval are counted as overflow.", helpGroup: 'ADVANCED'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Top)
    const filter = filterText(filterWords(this.rawTokens))
    const durationMs = flags.duration === undefined ? undefined : parseDuration(flags.duration)
    const intervalMs = parseDuration(flags.interval)
    if (intervalMs > MAX_INTERVAL_MS) throw new InputError(`--interval is at most 1h, got '${flags.interval}'`)
    const io = watchOutput()
    try {
      const {model} = await runTopSession({
        filter, by: flags.by, maxKeys: flags['max-keys'], units: flags.units,
        interfaces: flags.interface, intervalMs, durationMs, count: flags.count, flowEntries: flags['flow-entries'], verbose: this.verbosity, signal: io.signal,
        draw: process.stdout.isTTY === true,
        plainWidth: Number(process.env.COLUMNS) || 80,
        plainRows: PLAIN_ROWS,
        write: io.write,
        onReady: (names) => this.logToStderr(`sockwatch: counting flows on ${names.join(', ')}; Ctrl-C to stop`),
        stderr: (text) => process.stderr.write(text),
      })
      await io.flushed()
      this.logToStderr(summaryClosingLine(model.aggregator.result({top: 1, sort: 'bytes', dropped: model.totals().dropped})))
      throwIfFailed(io)
    } finally {
      io.dispose()
    }
  }
}
