// Keeps a status line at the bottom of a terminal: stdout text is written
// above it (clear, write, redraw), and it is gone before the closing line.
import type {PacketSink} from '../capture/router.js'
import {statusLine} from '../output/status.js'
import {styleFor, type Style} from '../output/style.js'

const CLEAR = '\r\x1b[K'

export interface StatusBar {
  /** Writes stdout text without tearing the status line. */
  wrap(write: (text: string) => void): (text: string) => void
  /** The same sink, counting the packets that reach it. */
  count<S extends PacketSink>(sink: S): S
  /** The kernel's drop count so far. */
  dropped(n: number): void
  /** Packets captured so far, when none reach this process (-w): the engine's count. */
  captured(n: number): void
  /** Erases the line for good. */
  stop(): void
}

/** A status bar on stderr, or undefined when stderr is not a terminal. */
export function startStatusBar(stderr: NodeJS.WriteStream = process.stderr, everyMs = 1000, style: Style = styleFor(stderr.isTTY)): StatusBar | undefined {
  if (!stderr.isTTY) return undefined
  const started = Date.now()
  let captured = 0
  let dropped = 0
  let lastCount = 0
  let lastAt = started
  let rate = 0
  let shown = ''
  const draw = () => {
    shown = statusLine({captured, dropped, rate, elapsedMs: Date.now() - started}).slice(0, Math.max(10, (stderr.columns ?? 80) - 1))
    stderr.write(CLEAR + style.dim(shown))
  }
  const timer = setInterval(() => {
    const now = Date.now()
    rate = ((captured - lastCount) * 1000) / Math.max(1, now - lastAt)
    lastCount = captured
    lastAt = now
    draw()
  }, everyMs)
  timer.unref()
  return {
    wrap: (write) => (text) => {
      if (shown) stderr.write(CLEAR)
      write(text)
      if (shown) stderr.write(style.dim(shown))
    },
    count: (sink) => ({
      ...sink,
      rawPackets: sink.rawPackets && ((data: string | Buffer) => {
        for (let i = data.indexOf('\n'); i !== -1; i = data.indexOf('\n', i + 1)) captured++
        sink.rawPackets!(data)
      }),
      packets: sink.packets && ((batch: Parameters<NonNullable<PacketSink['packets']>>[0]) => {
        captured += batch.length
        sink.packets!(batch)
      }),
    }),
    dropped(n) {
      dropped = n
    },
    captured(n) {
      captured = n
    },
    stop() {
      clearInterval(timer)
      if (shown) stderr.write(CLEAR)
      shown = ''
    },
  }
}
