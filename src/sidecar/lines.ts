// Splits a text stream into numbered lines without copying the whole stream.

export class LineSplitter {
  /** Lines handed out so far: the next line's number minus one. */
  count = 0
  private rest = ''

  /** Calls onLine for every complete line in chunk; keeps the unfinished tail. */
  push(chunk: string, onLine: (line: string, n: number) => void): void {
    let start = 0
    let nl = chunk.indexOf('\n')
    if (nl === -1) {
      this.rest += chunk
      return
    }
    if (this.rest) {
      onLine(this.rest + chunk.slice(0, nl), ++this.count)
      this.rest = ''
      start = nl + 1
      nl = chunk.indexOf('\n', start)
    }
    while (nl !== -1) {
      onLine(chunk.slice(start, nl), ++this.count)
      start = nl + 1
      nl = chunk.indexOf('\n', start)
    }
    this.rest = chunk.slice(start)
  }

  /** The unterminated last line, if any, as a line of its own. */
  end(onLine: (line: string, n: number) => void): void {
    if (this.rest) onLine(this.rest, ++this.count)
    this.rest = ''
  }
}

/** Calls onLine with a line's place in a Buffer: [start, end), without its newline. */
export type ByteLine = (bytes: Buffer, start: number, end: number, n: number) => void

/** As LineSplitter, on bytes: a line is found with one memchr and never copied, except one cut by a chunk's end. */
export class ByteLineSplitter {
  /** Lines handed out so far: the next line's number minus one. */
  count = 0
  // the unfinished line's pieces, joined once its end comes (a long line is copied once)
  private rest: Buffer[] = []

  /** Calls onLine for every complete line in chunk; keeps the unfinished tail. */
  push(chunk: Buffer, onLine: ByteLine): void {
    let start = 0
    let nl = chunk.indexOf(0x0a)
    if (nl === -1) {
      this.rest.push(chunk)
      return
    }
    if (this.rest.length) {
      const line = Buffer.concat([...this.rest, chunk.subarray(0, nl + 1)])
      this.rest = []
      onLine(line, 0, line.length - 1, ++this.count)
      start = nl + 1
      nl = chunk.indexOf(0x0a, start)
    }
    while (nl !== -1) {
      onLine(chunk, start, nl, ++this.count)
      start = nl + 1
      nl = chunk.indexOf(0x0a, start)
    }
    if (start < chunk.length) this.rest.push(chunk.subarray(start))
  }

  /** The unterminated last line, if any, as a line of its own. */
  end(onLine: ByteLine): void {
    const rest = Buffer.concat(this.rest)
    this.rest = []
    if (rest.length) onLine(rest, 0, rest.length, ++this.count)
  }
}
