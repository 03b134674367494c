// Routes NDJSON lines to a sink in batches: packets counted (up to a limit),
// optionally filtered, passed through raw when nothing needs parsing.
import {LineSplitter} from '../sidecar/lines.js'
import {PACKET_PREFIX, parseRecord, RecordError} from '../sidecar/records.js'
import type {PacketRecord, SidecarRecord} from '../sidecar/records.js'

export interface PacketSink {
  /** Raw packet lines, newline-terminated, untouched (no parsing needed). */
  rawPackets?(text: string | Buffer): void
  /** Parsed packets, a batch per chunk of the stream. */
  packets?(batch: PacketRecord[]): void
  /** A promise while the consumer cannot take more: reading pauses until then. */
  drained?(): Promise<void> | undefined
}

export interface RouterOptions {
  /** Stop counting (and showing) packets after this many. */
  limit?: number
  /** The exact user-space predicate; packets failing it are neither counted nor shown. */
  predicate?: (p: PacketRecord) => boolean
  /** Gets a line that is not a valid record; without it such a line throws. */
  onBadLine?: (error: RecordError) => void
  /** Gets every record that is not a packet. */
  onRecord?: (record: Exclude<SidecarRecord, PacketRecord>) => void
  /** Called once, when the limit is reached. */
  onFull?: () => void
  /** Pass packet lines with the sidecar's exact prefix through unparsed: only for
   * the sidecar's own stream, never for a file a person hands us. */
  trustPrefix?: boolean
}

export class RecordRouter {
  /** Packets handed to the sink. */
  count = 0
  private raw = ''
  private batch: PacketRecord[] = []
  private readonly limit: number
  // raw pass-through only when nothing needs a parsed packet
  private readonly passThrough: boolean

  constructor(private readonly sink: PacketSink, private readonly options: RouterOptions = {}) {
    this.limit = options.limit ?? Number.POSITIVE_INFINITY
    this.passThrough = sink.rawPackets !== undefined && options.predicate === undefined && options.trustPrefix === true
  }

  /** Handles one line (numbered from 1). */
  readonly line = (text: string, n: number): void => {
    const full = this.count >= this.limit // past the limit packets are skipped, other records still count
    if (this.passThrough && text.startsWith(PACKET_PREFIX)) {
      if (full) return
      this.counted()
      this.raw += text + '\n'
      return
    }
    let record
    try {
      record = parseRecord(text, n)
    } catch (error) {
      if (!(error instanceof RecordError) || !this.options.onBadLine) throw error
      this.options.onBadLine(error)
      return
    }
    if (record.type !== 'packet') {
      // what came before it reaches the sink first: a record written out (the final stats) stays in order
      this.flush()
      this.options.onRecord?.(record)
      return
    }
    if (full || (this.options.predicate && !this.options.predicate(record))) return
    this.counted()
    if (this.sink.rawPackets) this.raw += text + '\n'
    else this.batch.push(record)
  }

  private counted(): void {
    if (++this.count === this.limit) this.options.onFull?.()
  }

  /** Hands what has collected to the sink. */
  flush(): void {
    if (this.raw) this.sink.rawPackets!(this.raw)
    if (this.batch.length) this.sink.packets?.(this.batch)
    this.raw = ''
    this.batch = []
  }
}

/** Feeds a text stream through the router chunk by chunk, pausing while the sink is full. */
export async function pump(stream: AsyncIterable<unknown>, router: RecordRouter, sink: PacketSink): Promise<void> {
  const splitter = new LineSplitter()
  try {
    for await (const chunk of stream) {
      splitter.push(chunk as string, router.line)
      router.flush()
      const slow = sink.drained?.()
      if (slow) await slow
    }
    splitter.end(router.line)
  } finally {
    router.flush() // what was good before a failure is still the user's
  }
}
