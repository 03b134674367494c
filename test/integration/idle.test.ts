// An idle capture costs nothing: with no packets, neither the sidecar nor the CLI
// wakes up on a timer (the kernel program wakes the sidecar on the first record
// after it emptied the ring), and that first record still arrives at once. Own
// namespace, so only the test's packets reach it.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {readdirSync, readFileSync} from 'node:fs'
import {CLI, startSidecar} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const idle = suite('idle')
let ns: {name: string; remove(): void}

idle.before(() => {
  preflight()
  ns = makeNetns('idle')
})
idle.after(() => ns?.remove())

const WINDOW_MS = 2000

/** Voluntary context switches (sleeps) of every thread of pid: a wake-up is one more. */
function wakeups(pid: number): number {
  let n = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8'))
    n += Number(m?.[1] ?? 0)
  }
  return n
}

/** CPU time (user + system) of pid and its threads, in clock ticks. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
  return Number(fields[11]) + Number(fields[12]) // utime, stime
}

/** The sidecar the CLI started: its child whose command is the sidecar. */
function childSidecar(parent: number): number {
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
      if (Number(stat[1]) === parent && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('sockwatch-sidecar')) return Number(p)
    } catch {
      // gone meanwhile
    }
  }
  return 0
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)) // a measuring window, not a wait for readiness

idle('idle :: the sidecar with no packets sleeps without a timer, and the first packet after still comes at once', async () => {
  const sidecar = await startSidecar(['-i', 'lo', '--stats-interval', '0'], ns.name)
  const pid = sidecar.proc.child.pid! // ip netns exec execs the sidecar
  await pause(100) // past the start-up's own work
  const before = wakeups(pid)
  await pause(WINDOW_MS)
  const slept = wakeups(pid) - before
  // a 10 ms drain timer would be ~200 here
  assert.ok(slept <= 3, `${slept} wake-ups in ${WINDOW_MS} ms idle`)
  const t0 = Date.now()
  sendUdpFrom(ns.name, '127.0.0.1', 'sink', 1, 100)
  await sidecar.proc.waitFor('stdout', (l) => l.includes('"type":"packet"'), 2000)
  const latency = Date.now() - t0
  // then a burst: every packet, drained in batches
  sendUdpFrom(ns.name, '127.0.0.1', 'sink', 500, 100)
  await sidecar.proc.waitFor('stdout', () => sidecar.proc.stdout.filter((l) => l.includes('"type":"packet"')).length === 501, 5000)
  const run = await sidecar.finish()
  assert.is(run.code, 0)
  assert.equal([run.final.written, run.final.dropped], [501, 0])
  assert.ok(latency < 1000, `the first packet after idle took ${latency} ms`)
})

idle('idle :: capture --json in a pipe, idle: the CLI and its sidecar use no CPU and hardly wake', async () => {
  const proc = startProc('ip', ['netns', 'exec', ns.name, CLI, 'capture', '-i', 'lo', '--json'])
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  const cli = proc.child.pid!
  let side = 0
  for (let i = 0; i < 50 && !side; i++) {
    side = childSidecar(cli)
    if (!side) await pause(20)
  }
  assert.ok(side, 'no sidecar under the CLI')
  await pause(200) // past the start-up's own work (imports finishing, GC)
  const w0 = wakeups(cli) + wakeups(side)
  const c0 = cpuTicks(cli) + cpuTicks(side)
  await pause(WINDOW_MS)
  const woke = wakeups(cli) + wakeups(side) - w0
  const ticks = cpuTicks(cli) + cpuTicks(side) - c0
  await proc.stop('SIGTERM')
  assert.ok(woke <= 10, `${woke} wake-ups in ${WINDOW_MS} ms idle`)
  assert.ok(ticks <= 1, `${ticks} clock ticks of CPU in ${WINDOW_MS} ms idle`)
  assert.ok(proc.stderr.includes('0 packets captured, 0 dropped'), proc.stderr.join('\n'))
})

idle.run()
