// `capture --json` with the whole filter in the kernel: the sidecar writes the stream
// to the CLI's own stdout (the CLI never touches the packets' bytes) and its records
// for the CLI on fd 3. Who sees a closed or failing stdout now is the sidecar: it
// finishes, hands its final stats to the CLI, and says why. In a namespace of its own.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {CLI} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'
import {assertSchema} from '../helpers/integration-schema.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const direct = suite('direct-output')
let ns: {name: string; remove(): void}
const dir = mkdtempSync(join(tmpdir(), 'sockwatch-direct-'))

direct.before(() => {
  preflight()
  ns = makeNetns('direct')
})
direct.after(() => {
  ns?.remove()
  rmSync(dir, {recursive: true, force: true})
})

const send = (count: number) => sendUdpFrom(ns.name, '127.0.0.1', 'sink', count, 100)

/** The CLI in the namespace through a shell, its stdout redirected as `redirect` says. */
function shell(cliArgs: string, redirect: string) {
  const script = `ip netns exec ${ns.name} ${CLI} capture -i lo ${cliArgs} ${redirect}; echo "cli-exit=\${PIPESTATUS[0]}" >&2`
  return startProc('bash', ['-c', script])
}


direct('direct-output :: --json > file: the sidecar holds the file as its stdout and a pipe to the CLI as fd 3; the file gets packets then the final stats', async () => {
  const file = join(dir, 'out.ndjson')
  const proc = shell(`--json udp > ${file}`, '')
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  send(6)
  let pid = 0
  for (let i = 0; i < 50 && !pid; i++) {
    pid = [...readdirSync('/proc')].filter((p) => /^\d+$/.test(p)).map(Number).find((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')
        return cmd[0].endsWith('sockwatch-sidecar') && readlinkSync(`/proc/${p}/fd/1`) === file
      } catch {
        return false
      }
    }) ?? 0
    if (!pid) await new Promise((r) => setTimeout(r, 100))
  }
  assert.ok(pid, 'no sidecar writes to the file itself')
  assert.match(readlinkSync(`/proc/${pid}/fd/3`), /^(pipe|socket):/) // Node's child pipes are socket pairs
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  assert.equal(cmd.slice(cmd.indexOf('--control'), cmd.indexOf('--control') + 2), ['--control', '3'])
  await new Promise((r) => setTimeout(r, 300)) // the sidecar drains at least every 10 ms
  process.kill(pid, 'SIGTERM') // as the CLI would on Ctrl-C: drain, final stats
  await proc.exited
  assert.ok(proc.stderr.includes('cli-exit=0'), proc.stderr.join('\n'))
  const records = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  assert.equal(records.map((r) => r.type), [...Array(6).fill('packet'), 'stats'])
  assert.equal([records[6].final, records[6].written, records[6].dropped], [true, 6, 0])
  assertSchema(records)
  assert.ok(proc.stderr.includes('6 packets captured, 0 dropped'), proc.stderr.join('\n'))
})

direct('direct-output :: --json | head -n 3 with no more packets: the sidecar sees the reader leave at once, the CLI reports and exits 0', async () => {
  const proc = shell('--json', '| head -n 3')
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  send(3) // exactly what head takes: nothing more will be written to notice EPIPE by
  const t0 = Date.now()
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000)
  await proc.exited
  clearTimeout(timer)
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`)
  assert.ok(proc.stderr.includes('cli-exit=0'), proc.stderr.join('\n'))
  assert.is(proc.stdout.filter(Boolean).length, 3)
  assert.ok(proc.stderr.includes('3 packets captured, 0 dropped'), proc.stderr.join('\n'))
  assert.not.ok(proc.stderr.some((l) => /^\s+at /.test(l)), proc.stderr.join('\n'))
})

direct('direct-output :: --json | head -n 3 under a stream of packets: exit 0, the closing line, no stack trace', async () => {
  const proc = shell('--json', '| head -n 3')
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  let ended = false
  proc.exited.then(() => (ended = true))
  for (let i = 0; i < 50 && !ended; i++) {
    send(20)
    await Promise.race([proc.exited, new Promise((resolve) => setTimeout(resolve, 50))])
  }
  await proc.exited
  assert.ok(proc.stderr.includes('cli-exit=0'), proc.stderr.join('\n'))
  assert.is(proc.stdout.filter(Boolean).length, 3)
  assert.ok(proc.stderr.some((l) => /^\d+ packets? captured, 0 dropped$/.test(l)), proc.stderr.join('\n'))
  assert.not.ok(proc.stderr.some((l) => /^\s+at /.test(l)), proc.stderr.join('\n'))
})

direct('direct-output :: --json > /dev/full: the sidecar finishes, the CLI says the closing line, then one sentence, exit 1', async () => {
  const proc = shell('--json -c 5', '> /dev/full')
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  send(5)
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000)
  await proc.exited
  clearTimeout(timer)
  const err = proc.stderr.filter(Boolean)
  assert.ok(err.includes('cli-exit=1'), err.join('\n'))
  const at = err.indexOf('sockwatch: cannot write to standard output: No space left on device')
  assert.ok(at > 0, err.join('\n'))
  assert.match(err[at - 1], /^\d+ packets? captured, 0 dropped$/)
  assert.not.ok(err.some((l) => /^\s+at /.test(l) || l.startsWith('  | ')), err.join('\n'))
})

direct.run()
