// A 60-second loopback flood through `summary` and `capture --json > /dev/null`
// at once: memory of the CLIs and the sidecars stays bounded the whole time.
import {openSync} from 'node:fs'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI, ROOT} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'

const GEN = join(ROOT, 'build/sockwatch-gen')
const SECONDS = 60
const long = suite('long run')
let ns: {name: string; remove(): void}

/** Resident KiB of pid and of its children (the sidecar), 0 when gone. */
function rss(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

long.before(() => {
  preflight()
  ns = makeNetns('long')
})

long.after(() => ns?.remove())

long(`long run :: ${SECONDS} s of flood: CLI and sidecar memory stay bounded`, async () => {
  const devnull = openSync('/dev/null', 'w')
  const capture = startProc('ip', ['netns', 'exec', ns.name, CLI, 'capture', '-i', 'lo', '--json'], {stdio: ['ignore', devnull, 'pipe']})
  const summary = startProc('ip', ['netns', 'exec', ns.name, CLI, 'summary', '-i', 'lo', '--json'])
  await capture.waitFor('stderr', /^sockwatch: capturing on lo/)
  await summary.waitFor('stderr', /^sockwatch: counting flows on lo/)
  const gen = startProc('ip', ['netns', 'exec', ns.name, GEN, '-n', '1000000000', '-t', String(SECONDS)])
  const peak = {captureCli: 0, captureSidecar: 0, summaryCli: 0, summarySidecar: 0}
  const sample = (p: Proc, cli: keyof typeof peak, sidecar: keyof typeof peak) => {
    peak[cli] = Math.max(peak[cli], rss(p.child.pid!))
    for (const child of children(p.child.pid!)) peak[sidecar] = Math.max(peak[sidecar], rss(child))
  }
  let running = true
  gen.exited.then(() => (running = false))
  for (let i = 0; i < SECONDS * 2 + 20 && running; i++) { // every 500 ms, bounded
    sample(capture, 'captureCli', 'captureSidecar')
    sample(summary, 'summaryCli', 'summarySidecar')
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  const sent = JSON.parse(gen.stdout[0]).sent as number
  assert.is((await capture.stop('SIGINT')).code, 0, capture.stderr.join('\n'))
  assert.is((await summary.stop('SIGINT')).code, 0, summary.stderr.join('\n'))
  const mib = Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 1024)]))
  console.log(`    ${SECONDS} s, ${sent} datagrams: peak RSS MiB ${JSON.stringify(mib)}`)
  console.log(`    capture: ${capture.stderr.at(-1)}; summary: ${summary.stderr.at(-1)}`)
  assert.ok(sent > 1_000_000, `only ${sent} sent`)
  for (const k of ['captureCli', 'summaryCli'] as const) assert.ok(peak[k] > 0 && peak[k] < 300 * 1024, `${k} peak ${peak[k]} KiB`)
  for (const k of ['captureSidecar', 'summarySidecar'] as const) assert.ok(peak[k] > 0 && peak[k] < 64 * 1024, `${k} peak ${peak[k]} KiB`)
  const closing = /^(\d+) packets? captured, (\d+) dropped$/.exec(capture.stderr.at(-1) ?? '')
  assert.ok(closing, capture.stderr.join('\n'))
})

long.run()
