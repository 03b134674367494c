// contrib/sockwatch-export.service beyond its syntax. systemd is not PID 1 on every machine
// the tests run on (not here: no systemd-run), so the test runs the unit's ExecStart itself,
// as systemd would: its Environment and an EnvironmentFile expanded by systemd's rules
// (${VAR} one word, $VAR split on spaces), under its CapabilityBoundingSet with the
// inheritable set cleared (root's capabilities after exec are then the bounding set) and
// NoNewPrivileges, stopped with its KillSignal within its TimeoutStopSec. A receiver that
// another user opened before the start must still be named in the flows nfacctd gets.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI} from '../helpers/integration-capture.js'
import {cgroup2Root} from '../helpers/integration-cgroup.js'
import {startNfacctd, until} from '../helpers/integration-collectors.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const UNIT = fileURLToPath(new URL('../../contrib/sockwatch-export.service', import.meta.url))
const PEER = fileURLToPath(new URL('../helpers/owner-peer.py', import.meta.url))
const COLLECTOR_PORT = 4739
const RX_PORT = 20481
const NOBODY = 65534
const svc = suite('export-service')
const ctx = {} as {ns: {name: string; remove(): void}; dir: string; cgroup?: string}
const started: Proc[] = []

/** The unit's [Service] settings, by key (a key given twice keeps both values). */
function serviceSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let section = ''
  for (const line of text.split('\n')) {
    const head = /^\[(\w+)\]$/.exec(line)
    if (head) section = head[1]
    const kv = /^(\w+)=(.*)$/.exec(line)
    if (section === 'Service' && kv) out.set(kv[1], [...(out.get(kv[1]) ?? []), kv[2]])
  }
  return out
}

/** systemd's expansion of an Exec line: ${VAR} stays one word, $VAR splits on whitespace. */
function expandExec(line: string, env: Record<string, string>): string[] {
  return line.split(/\s+/).filter(Boolean).flatMap((word) => {
    const whole = /^\$\{(\w+)\}$/.exec(word)
    if (whole) return [env[whole[1]] ?? '']
    const split = /^\$(\w+)$/.exec(word)
    if (split) return (env[split[1]] ?? '').split(/\s+/).filter(Boolean)
    return [word.replace(/\$\{(\w+)\}/g, (_, k: string) => env[k] ?? '')]
  })
}

const seconds = (text: string) => Number(/^(\d+)s$/.exec(text)?.[1])

svc.before(() => {
  preflight(['ip', 'nsenter', 'setpriv', 'python3', 'nfacctd', 'ss', 'systemd-analyze'])
  ctx.ns = makeNetns('svc')
  ctx.dir = mkdtempSync(join(tmpdir(), 'sockwatch-svc-'))
})

svc.after(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL', 2000)))
  ctx.ns?.remove()
  rmSync(ctx.dir, {recursive: true, force: true})
  for (const sub of ctx.cgroup ? ['rx', ''] : []) {
    try {
      rmdirSync(join(cgroup2Root(), ctx.cgroup!, sub))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
})

svc('service :: systemd-analyze verify accepts the unit (with ExecStart pointing at this build)', () => {
  const copy = join(ctx.dir, 'sockwatch-export.service')
  writeFileSync(copy, readFileSync(UNIT, 'utf8').replace('/usr/local/bin/sockwatch', CLI))
  execFileSync('systemd-analyze', ['verify', copy], {stdio: 'pipe'})
})

svc('service :: ExecStart under the unit\'s capability bounding set and NoNewPrivileges: flows arrive with the owner of a socket another user opened before the start; KillSignal ends it within TimeoutStopSec, exit 0', async () => {
  const ns = ctx.ns.name
  const s = serviceSettings(readFileSync(UNIT, 'utf8'))
  const caps = s.get('CapabilityBoundingSet')![0].split(/\s+/).map((c) => c.replace(/^CAP_/, '').toLowerCase())
  assert.is(s.get('NoNewPrivileges')?.[0], 'yes')
  const dir = mkdtempSync(join(ctx.dir, 'nfacctd-'))
  const acct = await startNfacctd(ns, dir, COLLECTOR_PORT, ['src_host', 'dst_host', 'src_port', 'dst_port', 'proto', 'sw_pid', 'sw_uid', 'sw_comm', 'sw_cgroup'], [
    'name=sw_pid field_type=32473:1 len=4 semantics=u_int',
    'name=sw_uid field_type=32473:3 len=4 semantics=u_int',
    'name=sw_comm field_type=32473:2 len=vlen semantics=str',
    'name=sw_cgroup field_type=32473:4 len=vlen semantics=str',
    '',
  ].join('\n'))
  started.push(acct.proc)
  // the receiver, as nobody in its own cgroup, opened before the service starts and never sending:
  // no cgroup hook sees it, only the start-up seeding (which reads other users' /proc/PID/fd) can name it
  const root = cgroup2Root()
  const cgroup = (ctx.cgroup = `/sw-svc-${process.pid}`)
  mkdirSync(join(root, cgroup, 'rx'), {recursive: true})
  const rx = startProc('nsenter', [`--net=/run/netns/${ns}`, '/usr/bin/python3', PEER, join(root, cgroup, 'rx'), 'sw-rx', String(NOBODY), 'sink', String(RX_PORT), '127.0.0.1'], {stdio: ['pipe', 'pipe', 'pipe']})
  started.push(rx)
  const rxPid = JSON.parse(await rx.waitFor('stdout', /"ready"/)).ready as number

  // what /etc/default/sockwatch-export would say; Environment= comes first, the file overrides it
  const env: Record<string, string> = {}
  for (const e of s.get('Environment') ?? []) {
    const [k, ...v] = e.split('=')
    env[k] = v.join('=')
  }
  Object.assign(env, {SOCKWATCH_COLLECTOR: `127.0.0.1:${COLLECTOR_PORT}`, SOCKWATCH_EXPORT_ARGS: `-i lo --idle-timeout 1h udp and dst port ${RX_PORT}`})
  assert.equal(s.get('EnvironmentFile'), ['/etc/default/sockwatch-export'])
  const [bin, ...args] = expandExec(s.get('ExecStart')![0], env)
  assert.is(bin, '/usr/local/bin/sockwatch')
  const service = startProc('nsenter', [`--net=/run/netns/${ns}`, 'setpriv', `--bounding-set=-all,${caps.map((c) => `+${c}`).join(',')}`, '--inh-caps=-all', '--no-new-privs', CLI, ...args])
  started.push(service)
  await service.waitFor('stderr', /^sockwatch: counting flows on lo/)
  sendUdpFrom(ns, '127.0.0.1', RX_PORT, 25, 40)
  const t0 = Date.now()
  const {code, signal} = await service.stop(s.get('KillSignal')![0] as NodeJS.Signals, seconds(s.get('TimeoutStopSec')![0]) * 1000)
  assert.equal([code, signal], [0, null], service.stderr.join('\n'))
  assert.ok(Date.now() - t0 < seconds(s.get('TimeoutStopSec')![0]) * 1000)
  const records = await until('nfacctd to print the flow', () => {
    const r = acct.records().filter((x) => x.port_dst === RX_PORT)
    return r.length ? r : undefined
  })
  await acct.stop()
  assert.equal(records.map((r) => [r.sw_pid, r.sw_uid, r.sw_comm, r.sw_cgroup, r.packets, r.bytes]), [[String(rxPid), String(NOBODY), 'sw-rx', `${cgroup}/rx`, 25, 25 * (14 + 20 + 8 + 40)]])
  rx.child.stdin!.end()
  await rx.exited
})

svc.run()
