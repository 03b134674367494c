// Bad days, on the real kernel: a full ring buffer, a killed sidecar, a killed
// CLI, an interface deleted mid-capture, a program the verifier refuses.
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord, StatsRecord} from '../../src/sidecar/records.js'
import {CLI, ROOT, SIDECAR, startSidecar} from '../helpers/integration-capture.js'
import {makeNetns, makeVethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const rel = suite('reliability')
let ns: {name: string; remove(): void}
let dir: string
const FLOOD = 20_000
const GEN = join(ROOT, 'build/sockwatch-gen')

/** FLOOD datagrams of 64 bytes in sendmmsg batches: faster than any reader drains a 4 KiB ring. */
function flood(n = FLOOD): void {
  const {sent} = JSON.parse(execFileSync('ip', ['netns', 'exec', ns.name, GEN, '-n', String(n), '-s', '64'], {encoding: 'utf8'}))
  if (sent !== n) throw new Error(`the generator sent ${sent} of ${n}`)
}

/** More records than the sidecar's 4 MiB buffer holds, sent while the reader reads nothing: drops, surely. */
const STALLED_FLOOD = 100_000
function floodStalled(proc: Proc): void {
  proc.child.stdout!.pause()
  flood(STALLED_FLOOD)
  proc.child.stdout!.resume()
}

const noStackTrace = (p: Proc) => assert.not.ok(p.stderr.some((l) => /^\s+at /.test(l)), p.stderr.join('\n'))

/** pid of the sidecar the CLI started (its only child), waiting (bounded) for it. */
async function sidecarOf(cli: Proc): Promise<number> {
  await cli.waitFor('stderr', /^sockwatch: capturing on/)
  const out = execFileSync('pgrep', ['-P', String(cli.child.pid)], {encoding: 'utf8'}).trim()
  return Number(out.split('\n')[0])
}

/** Resolves once pid is gone; rejects after ms. Polls /proc: bounded. */
async function gone(pid: number, ms = 5000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (!existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readStatus(pid))) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`process ${pid} still running after ${ms} ms`)
}

function readStatus(pid: number): string {
  try {
    return execFileSync('cat', [`/proc/${pid}/status`], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  } catch {
    return ''
  }
}

rel.before(() => {
  preflight(['pgrep'])
  ns = makeNetns('rel')
  dir = mkdtempSync(join(tmpdir(), 'sockwatch-rel-'))
})

rel.after(() => {
  ns?.remove()
  rmSync(dir, {recursive: true, force: true})
})

rel('reliability :: a tiny ring under a flood: drops are counted, captured + dropped = matched exactly', async () => {
  const sidecar = await startSidecar(['-i', 'lo', '--ring-size', '4096', '--stats-interval', '100'], ns.name)
  floodStalled(sidecar.proc)
  // a periodic stats record after the flood: it has counted the drops
  await sidecar.proc.waitFor('stdout', (l) => l.includes('"type":"stats"') && l.includes('"final":false') && !l.includes('"dropped":0,'), 20_000)
  const run = await sidecar.finish()
  const final = run.final
  assert.is(run.code, 0)
  assert.is(final.seen, STALLED_FLOOD)
  assert.is(final.matched, STALLED_FLOOD)
  assert.ok(final.dropped > 0, `no drops with a 4 KiB ring: ${JSON.stringify(final)}`)
  assert.is(final.emitted + final.dropped, final.matched)
  assert.is(final.written, final.emitted)
  assert.is(run.packets.length, final.written)
  const periodic = run.records.filter((r): r is StatsRecord => r.type === 'stats' && !r.final)
  assert.ok(periodic.length > 0, 'periodic stats records')
  assert.ok(periodic.every((r, i) => i === 0 || r.dropped >= periodic[i - 1].dropped), 'drops only grow')
})

rel('reliability :: the CLI reports those drops, and --fail-on-drop exits 1', async () => {
  const cli = startProc('ip', ['netns', 'exec', ns.name, CLI, 'capture', '-i', 'lo', '--json', '--ring-size', '4096', '--fail-on-drop'])
  await cli.waitFor('stderr', /^sockwatch: capturing on lo/)
  floodStalled(cli)
  const {code} = await cli.stop('SIGTERM', 30_000)
  assert.is(code, 1)
  const closing = cli.stderr.map((l) => /^(\d+) packets? captured, (\d+) dropped$/.exec(l)).find(Boolean)
  assert.ok(closing, cli.stderr.join('\n'))
  const [captured, dropped] = [Number(closing![1]), Number(closing![2])]
  assert.is(captured + dropped, STALLED_FLOOD)
  assert.ok(dropped > 0)
  assert.is(cli.stdout.filter(Boolean).length, captured + 1) // the packets, then the final stats record
  assert.is(JSON.parse(cli.stdout.filter(Boolean).at(-1)!).dropped, dropped)
  assert.ok(cli.stderr.some((l) => l.includes(`the kernel dropped ${dropped} packets (--fail-on-drop)`)), cli.stderr.join('\n'))
  noStackTrace(cli)
})

rel('reliability :: the sidecar killed with SIGKILL: the CLI says so, exits non-zero, leaves no child', async () => {
  const cli = startProc(CLI, ['capture', '-i', 'lo', '--json'])
  const pid = await sidecarOf(cli)
  process.kill(pid, 'SIGKILL')
  const {code} = await cli.exited
  assert.is(code, 1)
  assert.ok(cli.stderr.some((l) => l.includes('the capture engine stopped unexpectedly') && l.includes('SIGKILL')), cli.stderr.join('\n'))
  noStackTrace(cli)
  await gone(pid)
})

rel('reliability :: the CLI killed with SIGKILL: the sidecar notices and exits, no orphan stays attached', async () => {
  const cli = startProc(CLI, ['capture', '-i', 'lo', '--json'])
  const pid = await sidecarOf(cli)
  cli.child.kill('SIGKILL')
  await cli.exited
  await gone(pid)
})

rel('reliability :: the captured interface deleted mid-run: final stats, then a clear error, exit 4', async () => {
  const pair = makeVethPair('rel')
  try {
    const sidecar = await startSidecar(['-i', pair.ifA, '--stats-interval', '0'], pair.nsA)
    execFileSync('ip', ['-n', pair.nsA, 'link', 'del', pair.ifA])
    const {code} = await sidecar.proc.exited
    const records = sidecar.proc.stdout.filter(Boolean).map((l) => JSON.parse(l))
    assert.is(code, 4)
    const last = records.slice(-2)
    assert.equal(last.map((r) => r.type), ['stats', 'error'])
    assert.is(last[0].final, true)
    assert.is(last[1].code, 'interface_gone')
    assert.ok(sidecar.proc.stderr.some((l) => l.includes(`interface '${pair.ifA}' was removed`)), sidecar.proc.stderr.join('\n'))
  } finally {
    pair.remove()
  }
})

rel('reliability :: the verifier refuses the program: its last lines and one sentence, exit 5', async () => {
  const wrapper = join(dir, 'rejecting-sidecar')
  writeFileSync(wrapper, `#!/bin/sh\nexec ${SIDECAR} --test-reject "$@"\n`)
  chmodSync(wrapper, 0o755)
  const sidecar = startProc(wrapper, ['-i', 'lo'])
  assert.is((await sidecar.exited).code, 5)
  const record = JSON.parse(sidecar.stdout[0])
  assert.equal([record.type, record.code], ['error', 'load_failed'])
  assert.match(record.detail, "invalid mem access 'scalar'")

  const cli = startProc(CLI, ['capture', '-i', 'lo'], {env: {...process.env, SOCKWATCH_SIDECAR: wrapper}})
  assert.is((await cli.exited).code, 5)
  assert.is(cli.stderr[0], "sockwatch: the kernel's verifier refused the eBPF program; its last lines follow (run with -v for the whole log)")
  assert.ok(cli.stderr.some((l) => l.startsWith('  | ') && l.includes("invalid mem access 'scalar'")), cli.stderr.join('\n'))
  noStackTrace(cli)
})

/** Peak resident memory of a process, in KiB (VmHWM). */
const peakKiB = (pid: number) => Number(/^VmHWM:\s+(\d+) kB$/m.exec(readStatus(pid))?.[1] ?? Number.NaN)

rel('reliability :: a reader that stops reading: the CLI waits instead of buffering, nothing is lost unreported', async () => {
  const cli = startProc('ip', ['netns', 'exec', ns.name, CLI, 'capture', '-i', 'lo', '--json', '--ring-size', '65536'])
  await cli.waitFor('stderr', /^sockwatch: capturing on lo/)
  cli.child.stdout!.pause() // the slow consumer: reads nothing while the flood runs
  sendUdpFrom(ns.name, '127.0.0.1', 'sink', FLOOD * 5, 64)
  const peak = peakKiB(cli.child.pid!)
  cli.child.stdout!.resume()
  const {code} = await cli.stop('SIGTERM')
  assert.is(code, 0)
  const closing = cli.stderr.map((l) => /^(\d+) packets? captured, (\d+) dropped$/.exec(l)).find(Boolean)
  assert.ok(closing, cli.stderr.join('\n'))
  const [captured, dropped] = [Number(closing![1]), Number(closing![2])]
  assert.is(captured + dropped, FLOOD * 5)
  assert.ok(dropped > 0, 'a stalled reader must show up as drops')
  assert.is(cli.stdout.filter(Boolean).length, captured + 1) // the packets, then the final stats record
  console.log(`    slow reader: ${captured} captured, ${dropped} dropped, CLI peak RSS ${Math.round(peak / 1024)} MiB`)
  assert.ok(peak < 200 * 1024, `CLI peak RSS ${peak} KiB`)
})

rel.run()
