// Starts the sidecar and exposes its records, a way to stop it, and its end.
// node:child_process, not execa: importing execa alone took ~80 ms of the CLI's
// start-up (docs/benchmarks.md), and this needs none of what it adds; the sidecar
// ends itself when the CLI dies (PR_SET_PDEATHSIG), so no exit hook is needed.
import {spawn} from 'node:child_process'
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
  const child = spawn(options.path, args, {
    // direct: the packets' bytes never pass through this process
    stdio: options.direct ? ['ignore', 'inherit', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
  })
  // generous: a final drain of a full ring to a slow reader takes a while
  const graceMs = options.forceKillAfterMs ?? 30_000
  let killTimer: NodeJS.Timeout | undefined
  let tail = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (text: string) => {
    options.onStderr?.(text)
    tail = (tail + text).slice(-STDERR_TAIL)
  })
  const records = (options.direct ? child.stdio[CONTROL_FD] : child.stdout) as Readable
  if (!options.bytes) records.setEncoding('utf8')
  const exited = new Promise<SidecarExit>((resolve) => {
    let spawnError: Error | undefined
    // a failed start (the file vanished since findSidecar) is an end without an exit code
    child.once('error', (error) => {
      spawnError = error
      if (child.pid === undefined) resolve({stderrTail: `${tail}${error.message}\n`})
    })
    // 'close', not 'exit': every record on its pipes has been read by then
    child.once('close', (code, signal) => {
      clearTimeout(killTimer)
      resolve({exitCode: code ?? undefined, signal: signal ?? undefined, stderrTail: spawnError && !tail ? spawnError.message : tail})
    })
  })
  return {
    pid: child.pid,
    stdout: records,
    // SIGTERM asks; the sidecar drains, reports and exits 0 (SIGKILL after the grace period)
    stop: () => {
      if (child.exitCode !== null || child.signalCode !== null || killTimer) return
      child.kill('SIGTERM')
      killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      killTimer.unref()
    },
    exited,
  }
}
