// Routes NDJSON lines to a sink in batches: packets counted (up to a limit),
// optionally filtered, passed through raw when nothing needs parsing.
import {ByteLineSplitter, LineSplitter} from '../sidecar/lines.js'
import {PacketScanner} from '../sidecar/packet-scan.js'
import {PACKET_PREFIX, parseRecord, RecordError} from '../sidecar/records.js'
import type {PacketRecord, SidecarRecord} from '../sidecar/records.js'

/** Raw pieces handed to the sink one by one; more are joined into one write. */
const RAW_PIECES = 4

export interface PacketSink {
  /** Raw packet lines, newline-terminated, untouched (no parsing needed). */
  rawPackets?(text: string | Buffer): void
  /** Parsed packets, a batch per chunk of the stream. */
  packets?(batch: PacketRecord[]): void
  /** A promise while the consumer cannot take more: reading pauses until then. */
  drained?(): Promise<void> | undefined
  /** The packet fields `packets` reads, when it needs only some: a byte stream's packet
   * lines are then read by PacketScanner, decoding only these (RouterOptions.fields). */
  fields?: readonly string[]
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
  /** The packet fields the sink and the predicate read, when a byte stream is pumped:
   * packet lines are then read by PacketScanner, which decodes and checks only these
   * (the others' names and JSON types still), and parseRecord judges what it cannot. */
  fields?: readonly string[]
}

export class RecordRouter {
  /** Packets handed to the sink. */
  count = 0
  // raw packet lines, in order: text (from the sidecar) or the bytes of a file
  private raw: (string | Buffer)[] = []
  private batch: PacketRecord[] = []
  // a run of adjacent raw lines in one chunk, not yet in raw
  private rawBytes: Buffer | undefined
  private rawStart = 0
  private rawEnd = 0
  private readonly scanner: PacketScanner | undefined
  private readonly limit: number
  // raw pass-through only when nothing needs a parsed packet
  private readonly passThrough: boolean

  constructor(private readonly sink: PacketSink, private readonly options: RouterOptions = {}) {
    this.limit = options.limit ?? Number.POSITIVE_INFINITY
    this.passThrough = sink.rawPackets !== undefined && options.predicate === undefined && options.trustPrefix === true
    this.scanner = options.fields && new PacketScanner(options.fields)
  }

  /** Handles one line of a byte stream: bytes [start, end) of `bytes`, numbered n. */
  readonly lineBytes = (bytes: Buffer, start: number, end: number, n: number): void => {
    const record = this.scanner?.scan(bytes, start, end)
    if (record === undefined) {
      this.line(bytes.toString('utf8', start, end), n)
      return
    }
    if (this.count >= this.limit || (this.options.predicate && !this.options.predicate(record))) return
    this.counted()
    if (!this.sink.rawPackets) {
      this.batch.push(record)
      return
    }
    // the line and its newline, joined to the previous line's bytes when they are adjacent
    const stop = end < bytes.length ? end + 1 : end
    if (this.rawBytes !== bytes || this.rawEnd !== start) {
      this.closeRaw()
      this.rawBytes = bytes
      this.rawStart = start
    }
    this.rawEnd = stop
    if (stop === end) {
      this.closeRaw()
      this.raw.push('\n')
    }
  }

  /** Ends the run of adjacent raw lines in one Buffer. */
  private closeRaw(): void {
    if (this.rawBytes) this.raw.push(this.rawBytes.subarray(this.rawStart, this.rawEnd))
    this.rawBytes = undefined
  }

  /** Handles one line (numbered from 1). */
  readonly line = (text: string, n: number): void => {
    const full = this.count >= this.limit // past the limit packets are skipped, other records still count
    if (this.passThrough && text.startsWith(PACKET_PREFIX)) {
      if (full) return
      this.counted()
      this.closeRaw()
      this.raw.push(text + '\n')
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
    if (!this.sink.rawPackets) {
      this.batch.push(record)
      return
    }
    this.closeRaw()
    this.raw.push(text + '\n')
  }

  private counted(): void {
    if (++this.count === this.limit) this.options.onFull?.()
  }

  /** Hands what has collected to the sink. */
  flush(): void {
    this.closeRaw()
    const raw = this.raw
    const batch = this.batch
    this.raw = []
    this.batch = []
    if (raw.length > RAW_PIECES) this.sink.rawPackets!(raw.every((r) => typeof r === 'string') ? raw.join('') : Buffer.concat(raw.map((r) => (typeof r === 'string' ? Buffer.from(r) : r))))
    // a few pieces (a file's chunk: its first line, joined across chunks, then the rest) go as they are, not copied into one
    else for (const r of raw) this.sink.rawPackets!(r)
    if (batch.length) this.sink.packets?.(batch)
  }
}

/** Feeds a stream of text or of bytes through the router chunk by chunk, pausing while the sink is full. */
export async function pump(stream: AsyncIterable<unknown>, router: RecordRouter, sink: PacketSink): Promise<void> {
  const text = new LineSplitter()
  const bytes = new ByteLineSplitter()
  try {
    for await (const chunk of stream) {
      if (typeof chunk === 'string') text.push(chunk, router.line)
      else bytes.push(chunk as Buffer, router.lineBytes)
      router.flush()
      const slow = sink.drained?.()
      if (slow) await slow
    }
    text.end(router.line)
    bytes.end(router.lineBytes)
  } finally {
    router.flush() // what was good before a failure is still the user's
  }
}
