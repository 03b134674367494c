// Without privilege: a clear sentence with the safe recipe and exit 3. With only
// CAP_BPF + CAP_NET_RAW on the sidecar binary, an unprivileged user captures real
// packets, filters included; the sidecar then gives up every capability, and keeps
// to the memory budget. (install.test.ts covers the installed, group-only binary.)
import {execFileSync} from 'node:child_process'
import {chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord} from '../../src/sidecar/records.js'
import {CLI, SIDECAR} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {type Proc, startProc} from '../helpers/integration-proc.js'
import {sendUdp} from '../helpers/integration-traffic.js'

const UDP_SEQ = fileURLToPath(new URL('../helpers/udp-seq.mjs', import.meta.url))
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
  assert.match(record.message, "'sudo make install' in the sockwatch checkout and add you to the 'sockwatch' group")
  assert.not.match(record.message, 'setcap')
})

priv('privilege :: the CLI as nobody: exit 3, one sentence, no stack trace', async () => {
  const proc = asNobody(CLI, ['capture', '-i', 'lo', '-c', '1'])
  const {code} = await proc.exited
  assert.is(code, 3)
  const lines = proc.stderr.filter(Boolean)
  assert.is(lines.length, 1, lines.join('\n'))
  assert.match(lines[0], /^sockwatch: .*; this process lacks CAP_BPF and CAP_NET_RAW \(it needs CAP_BPF and CAP_NET_RAW\): run as root, or have an administrator run 'sudo make install' in the sockwatch checkout and add you to the 'sockwatch' group \(docs\/privileges.md\)$/)
  assert.is(proc.stdout.filter(Boolean).length, 0)
})

// a filter with every kind of load the translation makes: absolute, indexed (X + k), the
// VLAN tag read from metadata, lengths, and far more than the old clause table held
const FILTER = '(udp and ip and net 127.0.0.0/8 and not dst portrange 1-1023 and greater 60) or (vlan 7 and tcp[tcpflags] & tcp-syn != 0) or ' +
  Array.from({length: 40}, (_, i) => `host 10.9.${i}.1`).join(' or ')

priv('privilege :: with setcap cap_bpf,cap_net_raw+ep, nobody captures real packets, kernel filter and all', async () => {
  const bin = setcapCopy()
  const before = await sendUdp('127.0.0.1', 1, 1) // sent before the capture: must not show up
  const proc = asNobody(bin, ['-i', 'lo', '--stats-interval', '0', '--filter', FILTER])
  await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
  const flow = await sendUdp('127.0.0.1', 12, 80)
  const {code} = await proc.stop('SIGTERM')
  assert.is(code, 0, proc.stderr.join('\n'))
  const packets = proc.stdout.filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'packet') as PacketRecord[]
  assert.is(packets.filter((p) => p.sport === flow.sport && p.dport === flow.dport).length, 12)
  assert.not.ok(packets.some((p) => p.sport === before.sport), 'a packet from before the capture')
})

priv('privilege :: nobody with a setcap copy writes -w files after giving up capabilities: a rotation opens the next as nobody; a directory it may not write is one sentence, exit 1', async () => {
  const bin = setcapCopy()
  const ns = makeNetns('pv')
  const out = join(dir, 'nobody-files')
  mkdirSync(out)
  chownSync(out, 65534, 65534)
  try {
    const nobodyIn = (args: string[]) => startProc('nsenter', [`--net=/run/netns/${ns.name}`, 'setpriv', ...NOBODY, bin, ...args], {cwd: dir})
    const proc = nobodyIn(['-i', 'lo', '--stats-interval', '0', '--filter', 'udp', '-w', join(out, 'ring.pcapng'), '-C', '1', '-W', '2'])
    await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
    execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, UDP_SEQ, '127.0.0.1', '1500', '1000'])
    const {code} = await proc.stop('SIGTERM')
    assert.is(code, 0, proc.stderr.join('\n'))
    const names = readdirSync(out).sort()
    assert.equal(names, ['ring.pcapng0', 'ring.pcapng1'])
    const seqs = names.flatMap((n) => {
      assert.is(statSync(join(out, n)).uid, 65534, `${n} is nobody's`)
      return execFileSync('tshark', ['-r', join(out, n), '-T', 'fields', '-e', 'data.data'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26})
        .split('\n').filter(Boolean).map((h) => Number.parseInt(h.slice(0, 8), 16))
    })
    assert.equal(seqs, Array.from({length: 1500}, (_, i) => i))

    const refused = nobodyIn(['-i', 'lo', '-w', join(dir, 'not-nobodys.pcapng')])
    assert.is((await refused.exited).code, 1)
    const record = refused.stdout.filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.type === 'error')
    assert.is(record?.code, 'output')
    assert.is(record?.message, `cannot open '${join(dir, 'not-nobodys.pcapng')}' for writing: Permission denied`)
  } finally {
    ns.remove()
  }
})

priv('privilege :: doctor as root: every check passes, exit 0', async () => {
  const proc = startProc(CLI, ['doctor'])
  assert.is((await proc.exited).code, 0, proc.stdout.join('\n'))
  const lines = proc.stdout.filter(Boolean)
  assert.is(lines.length, 8)
  assert.ok(lines.every((l) => l.startsWith('✔ ')), lines.join('\n'))
  assert.ok(lines.includes(`✔ access: ${SIDECAR} is root:root 0755, no capabilities: only root may capture`), lines.join('\n'))
  assert.ok(lines.includes('✔ load and attach: loaded the filter and attached it to lo'))
})

priv('privilege :: doctor as nobody: privileges and attach fail with their fixes, exit 1', async () => {
  const proc = asNobody(CLI, ['doctor', '--json'])
  assert.is((await proc.exited).code, 1)
  const checks = JSON.parse(proc.stdout.join('\n')) as {name: string; ok: boolean; fix?: string}[]
  const byName = Object.fromEntries(checks.map((c) => [c.name, c]))
  assert.is(byName.kernel.ok, true)
  assert.is(byName.privileges.ok, false)
  assert.match(byName.privileges.fix!, "'sudo make install' in the sockwatch checkout and add you to the 'sockwatch' group")
  assert.is(byName['load and attach'].ok, false)
})

priv('privilege :: doctor as nobody with a setcap sidecar anyone may run: capabilities count, and a warning, exit 0', async () => {
  const bin = setcapCopy()
  const proc = asNobody(CLI, ['doctor'], {SOCKWATCH_SIDECAR: bin})
  assert.is((await proc.exited).code, 0, proc.stdout.join('\n'))
  assert.ok(proc.stdout.some((l) => l.startsWith('✔ privileges: the sidecar binary carries cap_net_raw,cap_bpf=ep')), proc.stdout.join('\n'))
  assert.ok(proc.stdout.includes(`! access: ${bin} is root:root 0755 with cap_net_raw,cap_bpf=ep: every local user can capture every interface's traffic — 'sudo make install' (root:sockwatch 0750), or 'sudo chmod o-rwx ${bin}'`), proc.stdout.join('\n'))
})

/** CapEff, CapPrm, CapBnd and NoNewPrivs of a running process. */
function privileges(pid: number): Record<string, string> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Object.fromEntries(['CapEff', 'CapPrm', 'CapAmb', 'CapBnd', 'NoNewPrivs'].map((k) => [k, new RegExp(`^${k}:\\s*(\\S+)$`, 'm').exec(status)![1]]))
}

const dropped: [string, () => Proc, string][] = [
  ['as root', () => startProc(SIDECAR, ['-i', 'lo', '--stats-interval', '0']), '0000000000000000'],
  ['as nobody with a setcap copy', () => asNobody(setcapCopy(), ['-i', 'lo', '--stats-interval', '0']), 'unchanged'],
]
for (const [who, start, bounding] of dropped) {
  priv(`privilege :: ${who}: once ready, the sidecar holds no capability and has no_new_privs, and still captures`, async () => {
    const proc = start()
    await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
    const after = privileges(proc.child.pid!)
    const flow = await sendUdp('127.0.0.1', 5, 40)
    const {code} = await proc.stop('SIGTERM')
    assert.is(code, 0, proc.stderr.join('\n'))
    assert.equal({...after, CapBnd: undefined}, {CapEff: '0000000000000000', CapPrm: '0000000000000000', CapAmb: '0000000000000000', NoNewPrivs: '1', CapBnd: undefined})
    // root could regain nothing by exec either: its bounding set is emptied too
    if (bounding !== 'unchanged') assert.is(after.CapBnd, bounding)
    const packets = proc.stdout.filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'packet' && r.sport === flow.sport)
    assert.is(packets.length, 5)
  })
}

// The budget: a user other than root may not pin more kernel memory than 128 MiB by default.
const TAIL = String.raw`, over the 128\.0 MiB a user other than root may pin \(the default budget\): ask for less \(--ring-size`
const budget: [string, string[], RegExp][] = [
  ['--ring-size 1G', ['--ring-size', '1G'], new RegExp(String.raw`^these sizes would pin 10\d\d\.\d MiB of kernel memory \(ring buffer 1028\.\d MiB, owner maps 5\.8 MiB\)` + TAIL + String.raw`, --owner-entries\), or have root raise memory_budget in /etc/sockwatch/sidecar\.conf$`)],
  ['--flows --flow-entries 1M', ['--flows', '--flow-entries', '1M'], new RegExp(String.raw`^these sizes would pin \d+\.\d MiB of kernel memory \(ring buffer 8\.\d MiB, two flow tables of \d+\.\d MiB on \d+ CPUs, owner maps 5\.8 MiB\)` + TAIL + String.raw`, --flow-entries, --owner-entries\), or have root raise memory_budget in /etc/sockwatch/sidecar\.conf$`)],
  // attribution's owner maps count too: 2 × 1M entries and 256K ports are about 370 MiB
  ['--owner-entries 1M', ['--owner-entries', '1M'], new RegExp(String.raw`^these sizes would pin \d+\.\d MiB of kernel memory \(ring buffer 8\.\d MiB, owner maps 3\d\d\.\d MiB\)` + TAIL + String.raw`, --owner-entries\), or have root raise memory_budget in /etc/sockwatch/sidecar\.conf$`)],
]
for (const [what, args, message] of budget) {
  priv(`privilege :: nobody with a setcap copy: ${what} is refused (exit 3, the budget named); root may`, async () => {
    const proc = asNobody(setcapCopy(), ['-i', 'lo', '-c', '1', ...args])
    assert.is((await proc.exited).code, 3, proc.stderr.join('\n'))
    const record = JSON.parse(proc.stdout[0])
    assert.is(record.code, 'memory_budget')
    assert.match(record.message, message)
    const root = startProc(SIDECAR, ['-i', 'lo', '-d', '0.05', '--stats-interval', '0', ...args])
    assert.is((await root.exited).code, 0, root.stderr.join('\n'))
    assert.ok(root.stdout.some((l) => l.includes('"type":"ready"')))
  })
}

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
