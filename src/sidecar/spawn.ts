// Starts the sidecar with execa and exposes its stdout, a way to stop it, and its end.
import {execa} from 'execa'
import type {Readable} from 'node:stream'

const STDERR_TAIL = 4096

export interface SidecarExit {
  exitCode?: number
  signal?: string
  stderrTail: string
}

export interface RunningSidecar {
  pid?: number
  /** NDJSON: UTF-8 text chunks, or Buffers with the bytes option. */
  stdout: Readable
  /** Asks it to finish: it drains, writes its final stats, and exits 0. */
  stop(): void
  exited: Promise<SidecarExit>
}

export interface SpawnOptions {
  path: string
  args: string[]
  /** Grace period after stop() before SIGKILL. */
  forceKillAfterMs?: number
  /** Called with each chunk of the sidecar's stderr (for --verbose). */
  onStderr?: (text: string) => void
  /** Leave stdout as bytes (Buffers) instead of decoding it to text. */
  bytes?: boolean
}

/** Spawns the sidecar; never rejects: a failed start shows up in exited. */
export function spawnSidecar(options: SpawnOptions): RunningSidecar {
  const child = execa(options.path, options.args, {
    buffer: false,
    stdin: 'ignore',
    reject: false,
    killSignal: 'SIGTERM',
    // generous: a final drain of a full ring to a slow reader takes a while
    forceKillAfterDelay: options.forceKillAfterMs ?? 30_000,
    cleanup: true,
  })
  let tail = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (text: string) => {
    options.onStderr?.(text)
    tail = (tail + text).slice(-STDERR_TAIL)
  })
  if (!options.bytes) child.stdout.setEncoding('utf8')
  const exited = child.then((result) => ({
    exitCode: result.exitCode,
    signal: result.signal,
    stderrTail: tail,
  }))
  return {
    pid: child.pid,
    stdout: child.stdout,
    // SIGTERM asks; the sidecar drains, reports and exits 0 (SIGKILL after the grace period).
    // Not execa's cancelSignal: cancelling stops reading the very stats we wait for.
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    },
    exited,
  }
}
