import {Flags} from '@oclif/core'
import type {Dump} from '../output/dump.js'
import {BaseCommand} from '../base-command.js'
import {filterWords, flagCount} from '../cli/argv.js'
import {filterArgs, processFlags, processOptions, sourceFlags} from '../source-flags.js'
import {directWritten, openRecords, replay} from '../capture/replay.js'
import {explainFilter} from '../capture/explain.js'
import {capture} from '../capture/session.js'
import {SNAPLEN_MAX, saveOptions} from '../capture/save.js'
import {filterText, matches, parseFilter} from '../filter/index.js'
import {parseDuration} from '../lib/duration.js'
import {parseRingSize} from '../lib/size.js'
import {throwIfFailed, watchOutput} from '../lib/process-io.js'
import {statusLineFits} from '../lib/terminal.js'
import {startStatusBar} from '../lib/status.js'
import {closingLine, readyLines, replayClosingLine} from '../output/format.js'
import {flowBlock} from '../output/flows.js'
import {linkLine} from '../output/link.js'
import {defaultFormat, packetSink} from '../output/sink.js'
import {styleFor} from '../output/style.js'
import type {Stamp} from '../output/text.js'
import type {FlowRecord, RecordError} from '../sidecar/records.js'
import {LIMITS} from '../contract/contract.js'

const SHOWN_BAD_LINES = 20

export default class Capture extends BaseCommand {
  static summary = "Show packets as they reach this host's sockets."

  static description = `Loads an eBPF socket filter, watches every interface (or those given with -i) and prints one line a packet: a table on a terminal, tcpdump-like text in a pipe, or NDJSON with --json. FILTER is any tcpdump (pcap-filter) expression (docs/filters.md): libpcap compiles it and the kernel runs it on each packet before anything else; with -r, libpcap runs it on a pcap file's bytes, or it applies to a saved stream's records. On exit it prints "N packets captured, M dropped" on stderr; drops are packets the kernel could not queue for sockwatch, and are never hidden.`

  static examples = [
    {description: 'Watch loopback as a live table', command: '<%= config.bin %> <%= command.id %> -i lo'},
    {description: 'HTTPS and DNS only, filtered in the kernel', command: "<%= config.bin %> <%= command.id %> 'tcp port 443 or udp port 53'"},
    {description: 'Twenty packets from any interface, as text', command: '<%= config.bin %> <%= command.id %> -c 20 --format text'},
    {description: 'DNS queries, live, with jq', command: `<%= config.bin %> <%= command.id %> --json udp dst port 53 | jq -c '{src, dst, len}'`},
    {description: 'TCP SYNs for ten seconds', command: `<%= config.bin %> <%= command.id %> -d 10s --json tcp | jq -c 'select(.flags == "S")'`},
    {description: 'Save now, read later', command: '<%= config.bin %> <%= command.id %> --json > cap.ndjson; <%= config.bin %> <%= command.id %> -r cap.ndjson not port 22'},
    {description: 'Packets and per-flow totals every 5 s, from one kernel pass', command: '<%= config.bin %> <%= command.id %> -i lo --flows 5s udp'},
    {description: 'TCP SYNs, any tcpdump expression', command: "<%= config.bin %> <%= command.id %> 'tcp[tcpflags] & tcp-syn != 0'"},
    {description: 'Save for Wireshark (pcapng, with the process of each packet)', command: '<%= config.bin %> <%= command.id %> -i eth0 -w web.pcapng port 443'},
    {description: 'Live into Wireshark', command: '<%= config.bin %> <%= command.id %> -w - | wireshark -k -i -'},
    {description: 'A ring of 10 files of 100 MB each, as tcpdump', command: '<%= config.bin %> <%= command.id %> -w ring.pcap -C 100 -W 10'},
    {description: 'What runs in the kernel for a filter (as tcpdump -d)', command: "<%= config.bin %> <%= command.id %> --explain 'host 10.0.0.1 and not port 22'"},
  ]

  // oclif's generated line shows artefacts for flags exclusive with -r ('[-d <value> | ]')
  static usage = [
    '<%= command.id %> [-i IFACE]... [-c N] [-d DURATION] [--flows DURATION] [--json | --format table|text|json] [-e] [-t...] [FLAGS] [FILTER...]',
    '<%= command.id %> -w FILE|- [--pcap] [-s SNAPLEN] [-C MB] [-G SECONDS] [-W N] [-i IFACE]... [-c N] [-d DURATION] [FILTER...]',
    '<%= command.id %> -r FILE|- [-c N] [--strict] [--json | --format table|text|json] [-X | -A] [FILTER...]',
    '<%= command.id %> -r FILE|- -w OUT|- [--pcap] [-c N] [FILTER...]',
    '<%= command.id %> --explain [FILTER...]',
  ]

  static strict = false

  static args = filterArgs('tcp and port 443')

  static flags = {
    ...sourceFlags,
    count: Flags.integer({char: 'c', min: 1, description: 'Stop after this many packets.'}),
    format: Flags.option({options: ['table', 'text', 'json'] as const, description: 'Output format (default: table on a terminal, text otherwise).'})(),
    json: Flags.boolean({description: 'NDJSON, one object a line, the final stats record last: short for --format json.', exclusive: ['format']}),
    explain: Flags.boolean({description: 'Print the filter as libpcap compiles it (like tcpdump -d) and where it runs, then exit.'}),
    'link-header': Flags.boolean({char: 'e', description: 'MAC addresses: text lines start with them, the ethertype and the frame length, as tcpdump -e; --json records get smac and dmac.'}),
    'hex-ascii': Flags.boolean({char: 'X', description: "Each packet's bytes after its line in hex and ASCII, from the network-layer header on, as tcpdump -X (text output; --json records get a data field). Live, -s sets how many bytes the kernel keeps.", exclusive: ['ascii']}),
    ascii: Flags.boolean({char: 'A', description: "Each packet's bytes after its line in ASCII, as tcpdump -A (text output; --json records get a data field).", exclusive: ['hex-ascii']}),
    timestamp: Flags.boolean({char: 't', description: 'Text lines, as tcpdump: -t no time, -tt epoch seconds, -ttt time since the previous packet, -tttt date and time, -ttttt since the first.'}),
    'fail-on-drop': Flags.boolean({description: 'Exit 1 if the kernel dropped any packet (for scripts).', exclusive: ['read']}),
    flows: Flags.string({description: 'Also count per flow in the kernel, from the same pass: flow records every DURATION (e.g. 5s) and at the end, between the packets.', exclusive: ['read']}),
    ...processFlags,
    write: Flags.string({char: 'w', description: "Write the packets to FILE for Wireshark, tshark or tcpdump instead of printing them: pcapng (classic pcap for a .pcap name or with --pcap); '-' for stdout. With -r of a pcap or pcapng file: the packets that pass FILTER, as tcpdump -r IN -w OUT.", helpGroup: 'FILE'}),
    pcap: Flags.boolean({description: 'With -w: classic pcap (nanosecond timestamps) instead of pcapng.', helpGroup: 'FILE'}),
    snaplen: Flags.integer({char: 's', min: 0, max: 262144, description: 'With -w, or -X/-A live: keep at most this many bytes of each packet (default and 0: 262144, as tcpdump).', helpGroup: 'FILE'}),
    'file-size': Flags.integer({char: 'C', min: 1, max: 1_000_000, description: "With -w FILE: start a new file once one passes this many millions of bytes (tcpdump's -C: FILE, FILE1, FILE2...).", helpGroup: 'FILE'}),
    'rotate-seconds': Flags.integer({char: 'G', min: 1, max: LIMITS.maxDurationSeconds.value, description: "With -w FILE: start a new file every this many seconds, FILE an strftime pattern (tcpdump's -G).", helpGroup: 'FILE'}),
    'file-count': Flags.integer({char: 'W', min: 1, max: 100_000, description: "With -C: a ring of this many files; with -G alone: stop after this many (tcpdump's -W).", helpGroup: 'FILE'}),
    'ring-size': Flags.string({description: 'Kernel ring buffer size, a power of two (default 8M); larger absorbs longer bursts.', helpGroup: 'ADVANCED', exclusive: ['read']}),
    'flow-entries': Flags.integer({min: LIMITS.flowEntriesMin.value, max: LIMITS.flowEntriesMax.value, description: "With --flows: entries in each of the kernel's two flow tables (default 65536); packets of flows past that are counted as overflow.", helpGroup: 'ADVANCED', dependsOn: ['flows']}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Capture)
    const filter = filterText(filterWords(this.rawTokens))
    if (flags.explain) {
      for (const line of await explainFilter(filter)) this.log(line)
      return
    }
    const durationMs = flags.duration === undefined ? undefined : parseDuration(flags.duration)
    const flowsMs = flags.flows === undefined ? undefined : parseDuration(flags.flows)
    const flowBatch: FlowRecord[] = []
    const ringSize = flags['ring-size'] === undefined ? undefined : parseRingSize(flags['ring-size'])
    // -w: the sidecar writes the file; this process prints no packets, as tcpdump
    const save = saveOptions(flags)
    const dump: Dump | undefined = flags['hex-ascii'] ? 'hex' : flags.ascii ? 'ascii' : undefined
    // the bytes follow a packet's text line, as in tcpdump: -X and -A print text on a terminal too
    const format = flags.json ? 'json' : flags.format ?? (dump ? 'text' : defaultFormat(process.stdout.isTTY))
    const io = watchOutput()
    // a live status line on a terminal's stderr (never in a pipe, never for -r)
    const status = flags.read === undefined && statusLineFits() ? startStatusBar(process.stderr, 1000, styleFor(process.stderr.isTTY, process.env, flags.color)) : undefined
    const toStdout = status ? status.wrap(io.write) : io.write
    const toStderr = (text: string) => (status ? status.wrap((t) => process.stderr.write(t)) : (t: string) => process.stderr.write(t))(text)
    const text = {stamp: Math.min(flagCount(this.rawTokens, 'timestamp'), 5) as Stamp, link: flags['link-header'], dump}
    // --json, live (the kernel runs the whole filter): the sidecar writes the stream to our
    // stdout itself, and this process reads only its control records (not under a
    // status line, which the sidecar's writes would tear); text too, its lines made by
    // sidecar/text.c, except with --flows (whose blocks this process lays out)
    const directText = format === 'text' && save === undefined && flowsMs === undefined && flags.read === undefined && !status
    const direct = save !== undefined || (format === 'json' && flags.read === undefined && !status) || directText
    const rendered = direct || save ? {} : packetSink(format, toStdout, () => process.stdout.columns, styleFor(process.stdout.isTTY, process.env, flags.color), text)
    const sink = {...(status ? status.count(rendered) : rendered), drained: io.drained}
    try {
      if (flags.read !== undefined) {
        let bad = 0
        const onBadLine = (error: RecordError) => {
          if (++bad <= SHOWN_BAD_LINES) this.logToStderr(`sockwatch: ${error.message} (skipped)`)
        }
        // a pcap or pcapng file has the bytes: libpcap runs the filter on them in the reader;
        // a saved 'capture --json' stream has records: the filter applies to their fields
        // --json of a capture file: the reader writes the stream to our stdout itself
        // -w of a capture file: the reader writes the packets that pass to the new file (tcpdump -r in -w out)
        // text of a capture file: the reader writes the lines too (text.c, as live); not --flows
        const readText = format === 'text' && flowsMs === undefined && save === undefined
        const {input, kind} = await openRecords(flags.read, process.stdin, {
          filter: filter === '' ? undefined : filter, data: dump !== undefined, macs: text.link,
          direct: format === 'json' || save || readText ? {count: flags.count} : undefined,
          save: save && {path: save.path, pcap: save.format === 'pcap'},
          text: readText ? {stamp: text.stamp, dump} : undefined,
        })
        if (kind !== 'ndjson' && (format === 'json' || save || readText)) {
          const written = await directWritten(input)
          await io.flushed()
          this.logToStderr(replayClosingLine({read: written, skipped: 0, dropped: null, flows: 0}))
          return
        }
        const recordFilter = kind === 'ndjson' && filter !== '' ? parseFilter(filter) : undefined
        const predicate = recordFilter && ((p: Parameters<typeof matches>[1]) => matches(recordFilter, p))
        const result = await replay(input, sink, {count: flags.count, predicate, strict: flags.strict, onBadLine, signal: io.signal})
        await io.flushed()
        if (bad > SHOWN_BAD_LINES) this.logToStderr(`sockwatch: ${bad - SHOWN_BAD_LINES} more malformed lines not shown`)
        this.logToStderr(replayClosingLine(result))
        throwIfFailed(io)
        return
      }
      const result = await capture(
        {
          interfaces: flags.interface, count: flags.count, durationMs, ringSize, verbose: this.verbosity, signal: io.signal,
          flows: flowsMs !== undefined, intervalMs: flowsMs, flowEntries: flags['flow-entries'], macs: flags['link-header'], process: processOptions(flags),
          snaplen: dump === undefined || save ? undefined : flags.snaplen || SNAPLEN_MAX,
          filter: filter === '' ? undefined : filter,
          direct,
          text: directText ? text : undefined,
          save,
          // only the status line shows counts while the capture runs
          interimStats: status !== undefined,
        },
        {
          ...sink,
          ready: (r) => {
            for (const line of readyLines(r)) this.logToStderr(line)
            sink.ready?.(r)
          },
          flow: (r) => (direct ? undefined : format === 'json' ? toStdout(`${JSON.stringify(r)}\n`) : flowBatch.push(r)),
          stats: (r) => {
            status?.dropped(r.dropped)
            if (save) status?.captured(Number(r.written))
            if (direct) return // the sidecar wrote what the stream needs

            // with --flows, each interval's flows then its stats: in --json all of them, else a block
            if (flowsMs !== undefined && format === 'json' && !r.final) toStdout(`${JSON.stringify(r)}\n`)
            else if (flowsMs !== undefined && format !== 'json' && flowBatch.length) toStdout(flowBlock(flowBatch.splice(0), r))
            sink.stats?.(r) // --json: the final one is the stream's last line
          },
          // an interface down, up or deleted: in --json a record among the packets, else a line on stderr
          // (direct text: the sidecar's lines are packets only, the link line is ours)
          link: (r) => (direct && !directText ? undefined : format === 'json' ? toStdout(`${JSON.stringify(r)}\n`) : toStderr(`${linkLine(r)}\n`)),
          stderr: (text) => process.stderr.write(text),
        },
      )
      await io.flushed()
      status?.stop()
      this.logToStderr(closingLine(result))
      throwIfFailed(io)
      if (flags['fail-on-drop'] && result.dropped > 0) {
        this.error(`the kernel dropped ${result.dropped} packets (--fail-on-drop); a larger --ring-size absorbs longer bursts`, {exit: 1})
      }
    } finally {
      status?.stop()
      io.dispose()
    }
  }
}
