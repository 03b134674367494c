// `make install` and `make uninstall`, staged (DESTDIR) and for real: CI runs as root
// on a throwaway machine. Real users: a member of the sockwatch group captures, with
// every capability given up once attached and within the memory budget; anyone else
// may not even run the sidecar. Also: the built binary is hardened.
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {ROOT, SIDECAR} from '../helpers/integration-capture.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'
import {sendUdp} from '../helpers/integration-traffic.js'

const install = suite('install')
const PREFIX = '/usr/local'
const INSTALLED = `${PREFIX}/libexec/sockwatch/sockwatch-sidecar`
const CLI = `${PREFIX}/bin/sockwatch`
const CONF = '/etc/sockwatch/sidecar.conf'
const MEMBER = 'swtest-member'
const OTHER = 'swtest-other'
let home: string

const sh = (cmd: string, args: string[], options: {env?: NodeJS.ProcessEnv} = {}) =>
  spawnSync(cmd, args, {cwd: ROOT, encoding: 'utf8', timeout: 120_000, ...options})
const make = (...args: string[]) => {
  const r = sh('make', ['-s', ...args])
  assert.is(r.status, 0, `make ${args.join(' ')}: ${r.stdout}${r.stderr}`)
  return r.stdout
}
// runuser, as a login would: setpriv execs while still holding root's capabilities,
// so it would pass the very permission check under test. runuser ignores SIGINT while
// it waits (as su does) and passes SIGTERM on: stop with SIGTERM.
const as = (user: string) => ['-u', user, '--']
const userEnv = () => ({...process.env})
const groupExists = () => sh('getent', ['group', 'sockwatch']).status === 0
const removeUsers = () => {
  for (const user of [MEMBER, OTHER]) sh('userdel', [user])
}

install.before(() => {
  preflight(['runuser', 'setcap', 'getcap', 'useradd', 'groupadd', 'readelf', 'make'])
  home = mkdtempSync(join(tmpdir(), 'sockwatch-install-'))
  chmodSync(home, 0o777)
})

install.after(() => {
  removeUsers()
  if (existsSync(`${PREFIX}/lib/sockwatch`)) sh('make', ['-s', 'uninstall'])
  rmSync(home, {recursive: true, force: true})
})

// Each check of the built binary, with the readelf output it reads.
const hardening: [string, string[], (out: string) => boolean][] = [
  ['a position-independent executable', ['-h'], (out) => /Type:\s+DYN \(Position-Independent Executable file\)/.test(out)],
  ['full RELRO: a GNU_RELRO segment', ['-lW'], (out) => /^\s*GNU_RELRO\s/m.test(out)],
  ['full RELRO: bound now', ['-d'], (out) => /\(FLAGS_1\)\s+Flags: NOW/.test(out) && /\(FLAGS\)\s+BIND_NOW/.test(out)],
  ['a stack protector (__stack_chk_fail)', ['--dyn-syms', '-W'], (out) => /\b__stack_chk_fail\b/.test(out)],
  ['FORTIFY_SOURCE (checked libc calls)', ['--dyn-syms', '-W'], (out) => /\b__\w+_chk\b/.test(out.replace(/__stack_chk_fail/g, ''))],
  ['no executable stack', ['-lW'], (out) => /^\s*GNU_STACK\s.*\sRW\s/m.test(out)],
  ['linked against the shared libbpf (fixes arrive with apt)', ['-d'], (out) => /\(NEEDED\)\s+Shared library: \[libbpf\.so\.1\]/.test(out)],
]
for (const [what, args, ok] of hardening) {
  install(`install :: the built sidecar is hardened: ${what}`, () => {
    const out = execFileSync('readelf', [...args, SIDECAR], {encoding: 'utf8'})
    assert.ok(ok(out), out.slice(0, 2000))
  })
}

install('install :: make install DESTDIR=… stages every file, then make uninstall DESTDIR=… removes them all', () => {
  const dest = join(home, 'stage')
  make('install', `DESTDIR=${dest}`)
  const sidecar = join(dest, INSTALLED)
  const st = statSync(sidecar)
  assert.is(st.mode & 0o7777, 0o750)
  assert.is(st.uid, 0)
  assert.is(execFileSync('getcap', [sidecar], {encoding: 'utf8'}).trim(), `${sidecar} cap_net_raw,cap_bpf=ep`)
  assert.is(readlinkSync(join(dest, CLI)), '../lib/sockwatch/bin/sockwatch')
  assert.ok(existsSync(join(dest, PREFIX, 'lib/sockwatch/dist/commands/capture.js')))
  assert.ok(existsSync(join(dest, PREFIX, 'lib/sockwatch/node_modules/@oclif/core')))
  assert.not.ok(existsSync(join(dest, PREFIX, 'lib/sockwatch/node_modules/typescript')), 'dev dependencies were installed')
  assert.match(readFileSync(join(dest, CONF), 'utf8'), '# memory_budget = 256M')
  const version = sh(join(dest, CLI), ['--version'])
  assert.is(version.status, 0, version.stderr)
  assert.match(version.stdout, /^sockwatch\/\d+\.\d+\.\d+ /)
  make('uninstall', `DESTDIR=${dest}`)
  const left = execFileSync('find', [dest, '-mindepth', '1', '-not', '-type', 'd'], {encoding: 'utf8'}).trim()
  assert.is(left, '', `left behind: ${left}`)
})

install('install :: the real make install: root:sockwatch 0750 with cap_bpf,cap_net_raw, the group made, the CLI on PATH', () => {
  assert.not.ok(existsSync(`${PREFIX}/lib/sockwatch`), `sockwatch is already installed in ${PREFIX}: this test needs a machine without it ('sudo make uninstall')`)
  removeUsers()
  const out = make('install')
  assert.ok(groupExists(), 'no sockwatch group after install')
  assert.match(out, "add a user with 'sudo usermod -aG sockwatch USER'")
  const st = statSync(INSTALLED)
  assert.is(st.mode & 0o7777, 0o750)
  assert.is(st.uid, 0)
  assert.is(st.gid, Number(execFileSync('getent', ['group', 'sockwatch'], {encoding: 'utf8'}).split(':')[2]))
  assert.is(execFileSync('getcap', [INSTALLED], {encoding: 'utf8'}).trim(), `${INSTALLED} cap_net_raw,cap_bpf=ep`)
  assert.ok(lstatSync(CLI).isSymbolicLink())
  for (const [user, groups] of [[MEMBER, ['-G', 'sockwatch']], [OTHER, []]] as const) {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', ...groups, user])
  }
})

install('install :: someone outside the group may not run the sidecar (EACCES), and the CLI says how to get in', async () => {
  const direct = sh('runuser', [...as(OTHER), INSTALLED, '-i', 'lo', '-d', '0.05'], {env: userEnv()})
  assert.is.not(direct.status, 0)
  assert.match(direct.stderr, /Permission denied/)
  const cli = sh('runuser', [...as(OTHER), CLI, 'capture', '-i', 'lo', '-d', '0.05'], {env: userEnv()})
  assert.is(cli.status, 1, cli.stderr)
  assert.is(cli.stderr, `sockwatch: you may not run the capture engine at ${INSTALLED}: only root and members of the 'sockwatch' group may; an administrator adds you with 'sudo usermod -aG sockwatch ${OTHER}' (then log in again)\n`)
  const doctor = sh('runuser', [...as(OTHER), CLI, 'doctor'], {env: userEnv()})
  assert.is(doctor.status, 1)
  assert.match(doctor.stdout, `✘ sidecar: you may not run ${INSTALLED} — only root and members of its group may`)
})

install('install :: a member captures real packets through the installed CLI; doctor shows who may capture', async () => {
  const proc = startProc('runuser', [...as(MEMBER), CLI, 'capture', '-i', 'lo', '--json', '-d', '4'], {env: userEnv(), cwd: home})
  await proc.waitFor('stderr', /capturing on/, 20_000)
  const flow = await sendUdp('127.0.0.1', 7, 64)
  const {code} = await proc.exited
  assert.is(code, 0, proc.stderr.join('\n'))
  const packets = proc.stdout.filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'packet' && r.sport === flow.sport && r.dport === flow.dport)
  assert.is(packets.length, 7)
  const doctor = sh('runuser', [...as(MEMBER), CLI, 'doctor'], {env: userEnv()})
  assert.is(doctor.status, 0, doctor.stdout)
  assert.match(doctor.stdout, `✔ access: ${INSTALLED} is root:sockwatch 0750 with cap_net_raw,cap_bpf=ep: root and members of 'sockwatch' may capture`)
})

install("install :: a member's sidecar holds no capability once ready, and has no_new_privs", async () => {
  const proc = startProc('runuser', [...as(MEMBER), INSTALLED, '-i', 'lo', '--stats-interval', '0'], {env: userEnv()})
  await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
  // runuser stays as the parent (the session); the sidecar is its child
  const sidecar = Number(execFileSync('pgrep', ['-P', String(proc.child.pid)], {encoding: 'utf8'}).trim())
  const status = readFileSync(`/proc/${sidecar}/status`, 'utf8')
  process.kill(sidecar, 'SIGTERM')
  assert.is((await proc.exited).code, 0, proc.stderr.join('\n'))
  assert.match(status, /^Uid:\s+(\d+)\s/m)
  assert.is.not(/^Uid:\s+(\d+)\s/m.exec(status)![1], '0')
  for (const field of ['CapEff', 'CapPrm', 'CapAmb']) assert.match(status, new RegExp(`^${field}:\\s+0000000000000000$`, 'm'))
  assert.match(status, /^NoNewPrivs:\s+1$/m)
})

// The budget, as a member: refused with the limit named; root may; root may raise it.
const budget: [string, string[]][] = [
  ['--ring-size 1G', ['--ring-size', '1G']],
  ['an oversized --flow-entries', ['--flows', '--flow-entries', '1M']],
]
for (const [what, args] of budget) {
  install(`install :: a member asking for ${what} is refused with the budget named (exit 3); root is not`, async () => {
    const member = sh('runuser', [...as(MEMBER), INSTALLED, '-i', 'lo', '-d', '0.05', ...args], {env: userEnv()})
    assert.is(member.status, 3, member.stderr)
    const record = JSON.parse(member.stdout.split('\n')[0])
    assert.is(record.code, 'memory_budget')
    assert.match(record.message, /over the 128\.0 MiB a user other than root may pin \(the default budget\)/)
    const root = sh(INSTALLED, ['-i', 'lo', '-d', '0.05', '--stats-interval', '0', ...args])
    assert.is(root.status, 0, root.stderr)
  })
}

install('install :: root raises the budget in /etc/sockwatch/sidecar.conf; a file others may write is ignored, said once', async () => {
  const shipped = readFileSync(CONF, 'utf8')
  try {
    writeFileSync(CONF, `${shipped}memory_budget = 2G\n`)
    chmodSync(CONF, 0o644)
    const raised = sh('runuser', [...as(MEMBER), INSTALLED, '-i', 'lo', '-d', '0.05', '--stats-interval', '0', '--ring-size', '1G'], {env: userEnv()})
    assert.is(raised.status, 0, raised.stderr)
    chmodSync(CONF, 0o666)
    const ignored = sh('runuser', [...as(MEMBER), INSTALLED, '-i', 'lo', '-d', '0.05', '--ring-size', '1G'], {env: userEnv()})
    assert.is(ignored.status, 3)
    assert.match(ignored.stderr, `sockwatch-sidecar: ignoring ${CONF}: only a file that root owns and alone may write can set limits\n`)
  } finally {
    writeFileSync(CONF, shipped)
    chmodSync(CONF, 0o644)
  }
})

install('install :: make uninstall removes the CLI, the sidecar, the unchanged config and the empty group', () => {
  removeUsers()
  const out = make('uninstall')
  for (const path of [CLI, INSTALLED, `${PREFIX}/lib/sockwatch`, `${PREFIX}/libexec/sockwatch`, CONF]) {
    assert.not.ok(existsSync(path), `${path} is still there`)
  }
  assert.match(out, "removed the group 'sockwatch'")
  assert.not.ok(groupExists())
})

install.run()
