// A child process for integration tests: its stdout and stderr as lines, a
// bounded wait for a ready line, and a bounded stop. Tests never sleep.
import {spawn, type ChildProcess, type SpawnOptions} from 'node:child_process'

export interface Proc {
  child: ChildProcess
  stdout: string[]
  stderr: string[]
  /** Resolves with the first stdout/stderr line matching, or rejects after ms. */
  waitFor(stream: 'stdout' | 'stderr', match: RegExp | ((line: string) => boolean), ms?: number): Promise<string>
  /** Sends a signal and waits (bounded) for the exit. */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<{code: number | null; signal: NodeJS.Signals | null}>
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

export function startProc(cmd: string, args: string[], options: SpawnOptions = {}): Proc {
  const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe'], ...options})
  const lines = {stdout: [] as string[], stderr: [] as string[]}
  const waiters: {stream: 'stdout' | 'stderr'; test: (l: string) => boolean; resolve: (l: string) => void}[] = []
  for (const stream of ['stdout', 'stderr'] as const) {
    let rest = ''
    child[stream]?.setEncoding('utf8')
    child[stream]?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n')
      rest = parts.pop() ?? ''
      for (const line of parts) {
        lines[stream].push(line)
        for (const w of [...waiters]) {
          if (w.stream === stream && w.test(line)) {
            waiters.splice(waiters.indexOf(w), 1)
            w.resolve(line)
          }
        }
      }
    })
    child[stream]?.on('end', () => {
      if (rest) lines[stream].push(rest)
    })
  }
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => {
    child.on('close', (code, signal) => resolve({code, signal}))
  })
  return {
    child,
    ...lines,
    waitFor(stream, match, ms = 10_000) {
      const test = typeof match === 'function' ? match : (l: string) => match.test(l)
      const seen = lines[stream].find(test)
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')}: no ${stream} line matching ${match} within ${ms} ms; stderr: ${lines.stderr.slice(-5).join(' | ')}`)), ms)
        waiters.push({stream, test, resolve: (l) => { clearTimeout(timer); resolve(l) }})
        exited.then(() => {
          clearTimeout(timer)
          reject(new Error(`${cmd} ${args.join(' ')} exited before a ${stream} line matching ${match}; stderr: ${lines.stderr.slice(-5).join(' | ')}`))
        })
      })
    },
    async stop(signal = 'SIGTERM', ms = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), ms)
      const result = await exited
      clearTimeout(timer)
      return result
    },
    exited,
  }
}
