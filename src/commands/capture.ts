import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {capture} from '../capture/session.js'
import {parseDuration} from '../lib/duration.js'
import {watchOutput} from '../lib/process-io.js'
import {closingLine} from '../output/format.js'
import {defaultFormat, packetSink} from '../output/sink.js'

export default class Capture extends BaseCommand {
  static summary = "Show packets as they reach this host's sockets."

  static description = `Loads an eBPF socket filter, watches every interface (or those given with -i) and prints one line a packet: a table on a terminal, tcpdump-like text in a pipe, or NDJSON with --json. On exit it prints "N packets captured, M dropped" on stderr; drops are packets the kernel could not queue for sockwatch, and are never hidden.`

  static examples = [
    {description: 'Watch loopback as a live table', command: '<%= config.bin %> <%= command.id %> -i lo'},
    {description: 'Twenty packets from any interface, as text', command: '<%= config.bin %> <%= command.id %> -c 20 --format text'},
    {description: 'DNS queries, live, with jq', command: `<%= config.bin %> <%= command.id %> --json | jq -c 'select(.dport == 53) | {src, dst, len}'`},
    {description: 'TCP SYNs for ten seconds', command: `<%= config.bin %> <%= command.id %> -d 10s --json | jq -c 'select(.flags == "S")'`},
  ]

  static flags = {
    interface: Flags.string({char: 'i', multiple: true, description: 'Interface to capture on; repeat for more (default: all).'}),
    count: Flags.integer({char: 'c', min: 1, description: 'Stop after this many packets.'}),
    duration: Flags.string({char: 'd', description: 'Stop after this long: 10s, 500ms, 2m, 1h.'}),
    format: Flags.option({options: ['table', 'text', 'json'] as const, description: 'Output format (default: table on a terminal, text otherwise).'})(),
    json: Flags.boolean({description: 'NDJSON, one object a line: short for --format json.', exclusive: ['format']}),
    'fail-on-drop': Flags.boolean({description: 'Exit 1 if the kernel dropped any packet (for scripts).'}),
    'ring-size': Flags.string({description: 'Kernel ring buffer size, a power of two (default 8M); larger absorbs longer bursts.', helpGroup: 'ADVANCED'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Capture)
    const durationMs = flags.duration === undefined ? undefined : parseDuration(flags.duration)
    const format = flags.json ? 'json' : flags.format ?? defaultFormat(process.stdout.isTTY)
    const io = watchOutput()
    const sink = packetSink(format, io.write, process.stdout.columns)
    try {
      const result = await capture(
        {interfaces: flags.interface, count: flags.count, durationMs, ringSize: flags['ring-size'], verbose: flags.verbose, signal: io.signal},
        {
          ...sink,
          // like tcpdump's "listening on": people and tests know capture has begun
          ready: (r) => {
            this.logToStderr(`sockwatch: capturing on ${r.interfaces.map((i) => i.name).join(', ')}; Ctrl-C to stop`)
            sink.ready?.(r)
          },
          stderr: (text) => process.stderr.write(text),
          drained: io.drained,
        },
      )
      await io.flushed()
      this.logToStderr(closingLine(result))
      if (flags['fail-on-drop'] && result.dropped > 0) {
        this.error(`the kernel dropped ${result.dropped} packets (--fail-on-drop); a larger --ring-size absorbs longer bursts`, {exit: 1})
      }
    } finally {
      io.dispose()
    }
  }
}
