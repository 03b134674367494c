// Ending a capture the way people expect: Ctrl-C, SIGTERM and a closed stdout
// (`| head`) all stop it cleanly instead of killing the process.

export interface OutputWatch {
  /** Aborted on SIGINT, SIGTERM, SIGHUP or EPIPE on stdout. */
  signal: AbortSignal
  /** Writes to stdout until the reader goes away, then drops text. */
  write(text: string | Uint8Array): void
  /** A promise while stdout's buffer is full (a slow reader), else undefined. */
  drained(): Promise<void> | undefined
  /** Resolves once everything written has reached the reader (or it left). */
  flushed(): Promise<void>
  dispose(): void
}

export function watchOutput(stdout: NodeJS.WriteStream = process.stdout): OutputWatch {
  const controller = new AbortController()
  let closed = false
  const stop = () => controller.abort()
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    closed = true
    stop()
  }
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  for (const s of signals) process.on(s, stop)
  stdout.on('error', onError)
  return {
    signal: controller.signal,
    write(text) {
      if (!closed) stdout.write(text)
    },
    drained() {
      if (closed || !stdout.writableNeedDrain) return undefined
      // Not reading the sidecar meanwhile is the back-pressure: it blocks,
      // the kernel's ring fills, and what cannot fit is counted as dropped.
      return new Promise((resolve) => {
        const done = () => {
          stdout.off('drain', done)
          controller.signal.removeEventListener('abort', done)
          resolve()
        }
        stdout.on('drain', done)
        controller.signal.addEventListener('abort', done)
      })
    },
    flushed() {
      if (closed) return Promise.resolve()
      return new Promise((resolve) => stdout.write('', () => resolve()))
    },
    dispose() {
      for (const s of signals) process.off(s, stop)
      // stdout may still report EPIPE for text already handed to it
      stdout.off('error', onError)
      stdout.on('error', () => {})
    },
  }
}
