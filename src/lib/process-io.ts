// Ending a capture the way people expect: Ctrl-C, SIGTERM and a closed stdout
// (`| head`) all stop it cleanly instead of killing the process; any other
// write error (a full disk, /dev/full) stops it too, and is reported.
import {getSystemErrorMap} from 'node:util'

/** Set by bin/sockwatch when it was started with stdout closed (`>&-`); Node hides that. */
export const STDOUT_CLOSED_ENV = 'SOCKWATCH_STDOUT_CLOSED'

/** Standard output failed for a reason other than the reader leaving. */
export class OutputError extends Error {
  readonly code?: string

  constructor(reason: string, options?: {cause?: unknown; code?: string}) {
    super(`cannot write to standard output: ${reason}`, {cause: options?.cause})
    this.name = 'OutputError'
    this.code = options?.code
  }
}

/** strerror(3)'s words for a Node system error, e.g. "No space left on device". */
export function systemErrorText(error: NodeJS.ErrnoException): string {
  const text = error.errno !== undefined ? getSystemErrorMap().get(error.errno)?.[1] : undefined
  const words = text ?? error.code ?? error.message
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export interface OutputWatch {
  /** Aborted on SIGINT, SIGTERM, SIGHUP, EPIPE or any other write error on stdout. */
  signal: AbortSignal
  /** Writes to stdout until the reader goes away or a write fails, then drops text. */
  write(text: string | Uint8Array): void
  /** A promise while stdout's buffer is full (a slow reader), else undefined. */
  drained(): Promise<void> | undefined
  /** Resolves once everything written has reached the reader (or it left, or a write failed). */
  flushed(): Promise<void>
  /** The write error that stopped output (never EPIPE: a reader leaving is not an error). */
  failure(): OutputError | undefined
  dispose(): void
}

/** Aborted on SIGINT, SIGTERM or SIGHUP: a capture whose output the sidecar writes itself (src/prestart.ts) watches only these. */
export function watchSignals(controller = new AbortController()): {signal: AbortSignal; dispose(): void} {
  const stop = () => controller.abort()
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  for (const s of signals) process.on(s, stop)
  return {
    signal: controller.signal,
    dispose() {
      for (const s of signals) process.off(s, stop)
    },
  }
}

export function watchOutput(stdout: NodeJS.WriteStream = process.stdout): OutputWatch {
  const controller = new AbortController()
  let closed = false
  let failure: OutputError | undefined
  const stop = () => controller.abort()
  const signals = watchSignals(controller)
  const onError = (error: NodeJS.ErrnoException) => {
    if (closed) return
    closed = true
    if (error.code !== 'EPIPE') failure = new OutputError(systemErrorText(error), {cause: error, code: error.code})
    stop()
  }
  stdout.on('error', onError)
  return {
    signal: controller.signal,
    write(text) {
      if (closed) return
      try {
        // a file or device stdout writes synchronously and throws on failure
        stdout.write(text)
      } catch (error) {
        onError(error as NodeJS.ErrnoException)
      }
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
      return new Promise((resolve) => {
        try {
          // the callback gets the error too, EPIPE included
          stdout.write('', (error) => {
            if (error) onError(error)
            resolve()
          })
        } catch (error) {
          onError(error as NodeJS.ErrnoException)
          resolve()
        }
      })
    },
    failure: () => failure,
    dispose() {
      signals.dispose()
      // stdout may still report EPIPE for text already handed to it
      stdout.off('error', onError)
      stdout.on('error', () => {})
    },
  }
}

/** Throws the write error that stopped output, if any (after the closing line is out). */
export function throwIfFailed(io: OutputWatch): void {
  const failure = io.failure()
  if (failure) throw failure
}
