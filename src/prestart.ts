// bin/run.js imports this for `capture`, before the CLI: when the command line is one whose
// sidecar is known from argv alone (--json, -i, a filter, nothing else), the sidecar starts
// now and loads its program while the CLI loads (its imports are most of a start-up);
// capture() takes it if it would have started exactly that one (src/sidecar/spawn.ts).
import {sidecarArgs} from './capture/session.js'
import {STDOUT_CLOSED_ENV} from './lib/process-io.js'
import {statusLineFits} from './lib/terminal.js'
import {findSidecar} from './sidecar/locate.js'
import {prestartSidecar} from './sidecar/spawn.js'

/** The interfaces and filter of `capture [-i IFACE]... --json [FILTER...]` (the words after 'capture'), or undefined for any other form. */
export function prestartable(words: readonly string[]): {interfaces: string[]; filter?: string} | undefined {
  const interfaces: string[] = []
  const filter: string[] = []
  let json = false
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    if (w === '--json') json = true
    else if (w === '-i' || w === '--interface') {
      const name = words[++i]
      if (name === undefined || name.startsWith('-')) return undefined
      interfaces.push(name)
    } else if (w.startsWith('-')) return undefined // any other flag: the CLI decides
    else filter.push(w)
  }
  const text = filter.join(' ').trim()
  return json ? {interfaces, filter: text === '' ? undefined : text} : undefined
}

/** Starts capture's sidecar now when argv (after 'capture') says how; else does nothing (the command starts it). */
export async function prestart(words: readonly string[]): Promise<void> {
  const form = prestartable(words)
  // the sidecar writes to our stdout: not when it is closed, or under a status line
  if (!form || process.env[STDOUT_CLOSED_ENV] === '1' || statusLineFits()) return
  // capture.ts asks for the same: direct output, no interim stats (no status line)
  const args = sidecarArgs({interfaces: form.interfaces, filter: form.filter, direct: true, interimStats: false})
  prestartSidecar({path: await findSidecar(), args, direct: true})
}
