// --json with nothing for user space to check: the sidecar's packet lines go
// to stdout as the bytes it wrote, in runs, never decoded or split into strings.
// The prefix the sidecar writes is only the fast path: a line without it is parsed,
// and a valid packet record in any key order or spacing passes all the same.
import {PACKET_PREFIX, parseRecord, RecordError} from '../sidecar/records.js'

const PREFIX = Buffer.from(PACKET_PREFIX)
const PACKET_WORD = Buffer.from('"packet"')
const NL = 0x0a

/** Whether buf[start, end) is a valid packet record that does not start with the prefix. */
function isPacketLine(buf: Buffer, start: number, end: number, line: number): boolean {
  const word = buf.indexOf(PACKET_WORD, start)
  if (word === -1 || word >= end) return false // no packet record without the word: no need to parse
  try {
    return parseRecord(buf.toString('utf8', start, end), line).type === 'packet'
  } catch (error) {
    if (error instanceof RecordError) return false // other() reports it, with its number
    throw error
  }
}

export class BytePassThrough {
  /** Packet lines passed through. */
  count = 0
  private line = 0
  private rest: Buffer | undefined

  /**
   * @param limit packets to pass before the rest are skipped
   * @param write gets runs of whole packet lines, as the sidecar wrote them
   * @param other gets every line that is not a valid packet record (ready, stats, error, or a bad line), numbered
   */
  constructor(
    private readonly limit: number,
    private readonly write: (bytes: Buffer) => void,
    private readonly other: (line: string, n: number) => void,
  ) {}

  push(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk
    this.rest = undefined
    let start = 0
    let run = 0 // where the current run of passed packet lines starts
    for (let nl = buf.indexOf(NL, start); nl !== -1; nl = buf.indexOf(NL, start)) {
      this.line++
      const fast = nl - start > PREFIX.length && buf.compare(PREFIX, 0, PREFIX.length, start, start + PREFIX.length) === 0
      const packet = fast || isPacketLine(buf, start, nl, this.line)
      if (packet && this.count < this.limit) {
        this.count++
      } else {
        if (start > run) this.write(buf.subarray(run, start))
        if (!packet) this.other(buf.toString('utf8', start, nl), this.line)
        run = nl + 1
      }
      start = nl + 1
    }
    if (start > run) this.write(buf.subarray(run, start))
    if (start < buf.length) this.rest = buf.subarray(start)
  }

  /** An unterminated last line is not a packet the sidecar finished. */
  end(): void {
    if (this.rest?.length) this.other(this.rest.toString('utf8'), ++this.line)
    this.rest = undefined
  }
}
