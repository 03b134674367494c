// Runs the built CLI (./bin/run.js) against a fake sidecar from test/fixtures/.
import {spawn, spawnSync} from 'node:child_process'
import type {ChildProcessByStdio} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {Readable} from 'node:stream'
import {ROOT, fixturePath} from './unit-fixtures.js'

export const CLI = join(ROOT, 'bin/run.js')
const BUILT = join(ROOT, 'dist/commands/capture.js')

/** Throws unless the CLI has been compiled to dist/. */
export function assertBuilt(): void {
  if (!existsSync(BUILT)) {
    throw new Error(`${BUILT} is missing: build the CLI first ('make cli' or 'npx tsc -p tsconfig.json'); 'make test' does both`)
  }
}

/** The environment for one CLI run: ours minus any SOCKWATCH_/FAKE_ settings, plus `env`. */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SOCKWATCH_') && !k.startsWith('FAKE_') && k !== 'NODE_OPTIONS') base[k] = v
  }
  return {...base, TZ: 'UTC', FORCE_COLOR: '0', NO_COLOR: '1', ...env}
}

/** SOCKWATCH_SIDECAR for a fake sidecar script in test/fixtures/. */
export const fake = (name: string) => ({SOCKWATCH_SIDECAR: fixturePath(name)})

export interface CliResult {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs ./bin/run.js to its end (at most timeoutMs). */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): CliResult {
  assertBuilt()
  const run = spawnSync(CLI, args, {cwd: ROOT, env: cliEnv(env), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs})
  if (run.error) throw run.error
  return {status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr}
}

export interface RunningCli {
  child: ChildProcessByStdio<null, Readable, Readable>
  /** Everything written to stderr so far. */
  stderr(): string
  /** Resolves with the first stdout line (without the newline). */
  firstLine: Promise<string>
  /** Resolves when stderr has matched. */
  waitForStderr(pattern: RegExp): Promise<void>
  /** Resolves when the CLI has exited; kills it and rejects after timeoutMs. */
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>
}

/** Starts ./bin/run.js with stdout and stderr piped to the test. */
export function startCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): RunningCli {
  assertBuilt()
  const child = spawn(CLI, args, {cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  const waiters: (() => void)[] = []
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (text: string) => {
    stderr += text
    for (const w of waiters) w()
  })
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (text: string) => {
      stdout += text
      const nl = stdout.indexOf('\n')
      if (nl !== -1) resolve(stdout.slice(0, nl))
    })
    child.once('exit', () => reject(new Error(`the CLI exited before writing a line; stderr: ${stderr}`)))
  })
  firstLine.catch(() => {})
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the CLI did not exit within ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr})
    })
  })
  exited.catch(() => {})
  return {
    child,
    stderr: () => stderr,
    firstLine,
    waitForStderr(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) resolve()
        }
        waiters.push(check)
        check()
        exited.then(() => reject(new Error(`the CLI exited before its stderr matched ${pattern}: ${stderr}`)), reject)
      })
    },
    exited,
  }
}
