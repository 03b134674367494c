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
  /** NDJSON: UTF-8 text chunks, or Buffers with the bytes option. With direct, the
   * control records only (ready, stats, link, error), from its --control descriptor. */
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
  /** The sidecar writes the user's stream to our stdout itself (it inherits the
   * descriptor) and its control records to a pipe on its fd 3 (--control 3). */
  direct?: boolean
}

/** The descriptor the sidecar writes its control records to, with direct. */
export const CONTROL_FD = 3

/** Spawns the sidecar; never rejects: a failed start shows up in exited. */
export function spawnSidecar(options: SpawnOptions): RunningSidecar {
  const args = options.direct ? [...options.args, '--control', String(CONTROL_FD)] : options.args
  const child = execa(options.path, args, {
    buffer: false,
    // direct: the packets' bytes never pass through this process
    stdio: options.direct ? ['ignore', 'inherit', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
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
  const records = (options.direct ? child.stdio[CONTROL_FD] : child.stdout) as Readable
  if (!options.bytes) records.setEncoding('utf8')
  const exited = child.then((result) => ({
    exitCode: result.exitCode,
    signal: result.signal,
    stderrTail: tail,
  }))
  return {
    pid: child.pid,
    stdout: records,
    // SIGTERM asks; the sidecar drains, reports and exits 0 (SIGKILL after the grace period).
    // Not execa's cancelSignal: cancelling stops reading the very stats we wait for.
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    },
    exited,
  }
}
