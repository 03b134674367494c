// Ending a capture the way people expect: Ctrl-C, SIGTERM and a closed stdout
// (`| head`) all stop it cleanly instead of killing the process.

export interface OutputWatch {
  /** Aborted on SIGINT, SIGTERM, SIGHUP or EPIPE on stdout. */
  signal: AbortSignal
  /** Writes to stdout until the reader goes away, then drops text. */
  write(text: string): void
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
    dispose() {
      for (const s of signals) process.off(s, stop)
      // stdout may still report EPIPE for text already handed to it
      stdout.off('error', onError)
      stdout.on('error', () => {})
    },
  }
}
