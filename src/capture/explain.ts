// What the sidecar compiles for a filter and where it runs (--explain): libpcap's programs,
// as `tcpdump -d` prints them. Needs no privilege: nothing is loaded.
import {execFile} from 'node:child_process'
import {pcapFilterError} from '../filter/index.js'
import {EXIT, SidecarError} from '../sidecar/errors.js'
import {findSidecar} from '../sidecar/locate.js'
import {usageSentence} from './session.js'

/** The explanation's lines; a FilterError when libpcap refuses the expression. */
export async function explainFilter(expression: string): Promise<string[]> {
  const path = await findSidecar()
  const result = await run(path, ['--explain', '--filter', expression])
  if (result.exitCode === EXIT.usage) {
    throw pcapFilterError(expression, usageSentence(String(result.stderr)) ?? `the filter '${expression}' is not valid`)
  }
  if (result.exitCode !== EXIT.ok) {
    throw new SidecarError(`the capture engine could not explain the filter (exit code ${result.exitCode ?? 'unknown'})`, {exitCode: EXIT.runtime, stderrTail: String(result.stderr)})
  }
  return String(result.stdout).split('\n').filter((line) => line !== '')
}

interface Ran {
  exitCode?: number
  stdout: string
  stderr: string
}

/** Runs a program to its end (at most 30 s): its exit code (none if it could not start or was killed) and output. */
function run(path: string, args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(path, args, {timeout: 30_000, maxBuffer: 16 << 20}, (error, stdout, stderr) => {
      const code = error ? (error as NodeJS.ErrnoException & {code?: unknown}).code : 0
      resolve({exitCode: typeof code === 'number' ? code : undefined, stdout, stderr: error && typeof code !== 'number' && !stderr ? error.message : stderr})
    })
  })
}
