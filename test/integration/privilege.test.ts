// Without privilege: a clear sentence with both fixes and exit 3. With only
// CAP_BPF + CAP_NET_RAW on the sidecar binary (setcap), an unprivileged user
// captures real packets, filters included.
import {execFileSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord} from '../../src/sidecar/records.js'
import {CLI, SIDECAR} from '../helpers/integration-capture.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'
import {sendUdp} from '../helpers/integration-traffic.js'

const priv = suite('privilege')
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all']
let dir: string

priv.before(() => {
  preflight(['setpriv', 'setcap'])
  dir = mkdtempSync(join(tmpdir(), 'sockwatch-priv-'))
  chmodSync(dir, 0o755)
})

priv.after(() => rmSync(dir, {recursive: true, force: true}))

/** A copy of the sidecar carrying only CAP_BPF + CAP_NET_RAW, runnable by nobody. */
function setcapCopy(): string {
  const bin = join(dir, 'sockwatch-sidecar')
  copyFileSync(SIDECAR, bin)
  chmodSync(bin, 0o755)
  execFileSync('setcap', ['cap_bpf,cap_net_raw+ep', bin])
  return bin
}

const asNobody = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  startProc('setpriv', [...NOBODY, cmd, ...args], {env: {...process.env, HOME: dir, ...env}, cwd: dir})

priv('privilege :: the sidecar as nobody: exit 3, a permission record naming both fixes and its path', async () => {
  const proc = asNobody(SIDECAR, ['-i', 'lo', '-c', '1'])
  const {code} = await proc.exited
  assert.is(code, 3)
  const record = JSON.parse(proc.stdout[0])
  assert.is(record.type, 'error')
  assert.is(record.code, 'permission')
  assert.match(record.message, 'run as root')
  assert.match(record.message, `setcap cap_bpf,cap_net_raw+ep ${SIDECAR}`)
})

priv('privilege :: the CLI as nobody: exit 3, one sentence, no stack trace', async () => {
  const proc = asNobody(CLI, ['capture', '-i', 'lo', '-c', '1'])
  const {code} = await proc.exited
  assert.is(code, 3)
  const lines = proc.stderr.filter(Boolean)
  assert.is(lines.length, 1, lines.join('\n'))
  assert.match(lines[0], /^sockwatch: .*; this process lacks CAP_BPF and CAP_NET_RAW \(it needs CAP_BPF and CAP_NET_RAW\): run as root, or grant them once with 'sudo setcap cap_bpf,cap_net_raw\+ep \//)
  assert.is(proc.stdout.filter(Boolean).length, 0)
})

priv('privilege :: with setcap cap_bpf,cap_net_raw+ep, nobody captures real packets, kernel filter and all', async () => {
  const bin = setcapCopy()
  const before = await sendUdp('127.0.0.1', 1, 1) // sent before the capture: must not show up
  const proc = asNobody(bin, ['-i', 'lo', '--stats-interval', '0', '--clause', 'proto=17,family=4,host=127.0.0.0/8,!dport=1-1023'])
  await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
  const flow = await sendUdp('127.0.0.1', 12, 80)
  const {code} = await proc.stop('SIGTERM')
  assert.is(code, 0, proc.stderr.join('\n'))
  const packets = proc.stdout.filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'packet') as PacketRecord[]
  assert.is(packets.filter((p) => p.sport === flow.sport && p.dport === flow.dport).length, 12)
  assert.not.ok(packets.some((p) => p.sport === before.sport), 'a packet from before the capture')
})

priv('privilege :: doctor as root: every check passes, exit 0', async () => {
  const proc = startProc(CLI, ['doctor'])
  assert.is((await proc.exited).code, 0, proc.stdout.join('\n'))
  const lines = proc.stdout.filter(Boolean)
  assert.is(lines.length, 7)
  assert.ok(lines.every((l) => l.startsWith('✔ ')), lines.join('\n'))
  assert.ok(lines.includes('✔ load and attach: loaded the filter and attached it to lo'))
})

priv('privilege :: doctor as nobody: privileges and attach fail with their fixes, exit 1', async () => {
  const proc = asNobody(CLI, ['doctor', '--json'])
  assert.is((await proc.exited).code, 1)
  const checks = JSON.parse(proc.stdout.join('\n')) as {name: string; ok: boolean; fix?: string}[]
  const byName = Object.fromEntries(checks.map((c) => [c.name, c]))
  assert.is(byName.kernel.ok, true)
  assert.is(byName.privileges.ok, false)
  assert.match(byName.privileges.fix!, `sudo setcap cap_bpf,cap_net_raw+ep ${SIDECAR}`)
  assert.is(byName['load and attach'].ok, false)
})

priv('privilege :: doctor as nobody with a setcap sidecar: file capabilities count, exit 0', async () => {
  const bin = setcapCopy()
  const proc = asNobody(CLI, ['doctor'], {SOCKWATCH_SIDECAR: bin})
  assert.is((await proc.exited).code, 0, proc.stdout.join('\n'))
  assert.ok(proc.stdout.some((l) => l.startsWith('✔ privileges: the sidecar binary carries cap_net_raw,cap_bpf=ep')), proc.stdout.join('\n'))
})

// one capability kept across the switch to nobody (ambient): the error names the other
const onlyOne: [string, string, string][] = [
  ['bpf', 'CAP_NET_RAW', 'opening a packet socket failed'],
  ['net_raw', 'CAP_BPF', 'loading the eBPF program failed'],
]
for (const [cap, missing, step] of onlyOne) {
  priv(`privilege :: the CLI with only cap_${cap}: '${step}', naming ${missing} as missing, exit 3`, async () => {
    const proc = startProc('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', `--inh-caps=-all,+${cap}`, `--ambient-caps=-all,+${cap}`, CLI, 'capture', '-i', 'lo', '-c', '1'], {cwd: dir, env: {...process.env, HOME: dir}})
    const {code} = await proc.exited
    assert.is(code, 3, proc.stderr.join('\n'))
    const lines = proc.stderr.filter(Boolean)
    assert.is(lines.length, 1, lines.join('\n'))
    assert.ok(lines[0].startsWith(`sockwatch: ${step}: Operation not permitted; this process lacks ${missing} (it needs CAP_BPF and CAP_NET_RAW): run as root`), lines[0])
  })
}

priv.run()
