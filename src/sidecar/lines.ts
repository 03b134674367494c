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
