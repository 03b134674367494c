// What the sidecar compiles for a filter and where it runs (--explain): libpcap's programs,
// as `tcpdump -d` prints them. Needs no privilege: nothing is loaded.
import {execa} from 'execa'
import {pcapFilterError} from '../filter/index.js'
import {EXIT, SidecarError} from '../sidecar/errors.js'
import {findSidecar} from '../sidecar/locate.js'
import {usageSentence} from './session.js'

/** The explanation's lines; a FilterError when libpcap refuses the expression. */
export async function explainFilter(expression: string): Promise<string[]> {
  const path = await findSidecar()
  const result = await execa(path, ['--explain', '--filter', expression], {reject: false, stdin: 'ignore', timeout: 30_000})
  if (result.exitCode === EXIT.usage) {
    throw pcapFilterError(expression, usageSentence(String(result.stderr)) ?? `the filter '${expression}' is not valid`)
  }
  if (result.exitCode !== EXIT.ok) {
    throw new SidecarError(`the capture engine could not explain the filter (exit code ${result.exitCode ?? 'unknown'})`, {exitCode: EXIT.runtime, stderrTail: String(result.stderr)})
  }
  return String(result.stdout).split('\n').filter((line) => line !== '')
}
