// --json with nothing for user space to check: the sidecar's packet lines go
// to stdout as the bytes it wrote, in runs, never decoded or split into strings.
import {PACKET_PREFIX} from '../sidecar/records.js'

const PREFIX = Buffer.from(PACKET_PREFIX)
const NL = 0x0a

export class BytePassThrough {
  /** Packet lines passed through. */
  count = 0
  private line = 0
  private rest: Buffer | undefined

  /**
   * @param limit packets to pass before the rest are skipped
   * @param write gets runs of whole packet lines
   * @param other gets every line that is not a packet (ready, stats, error), numbered
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
      const packet = nl - start > PREFIX.length && buf.compare(PREFIX, 0, PREFIX.length, start, start + PREFIX.length) === 0
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
