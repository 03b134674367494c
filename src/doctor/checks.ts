// What `sockwatch doctor` checks: each check returns data, never prints.
import {execFile} from 'node:child_process'
import {constants} from 'node:fs'
import {access, readFile, stat} from 'node:fs/promises'
import {release} from 'node:os'
import {promisify} from 'node:util'
import {gunzipSync} from 'node:zlib'
import {sidecarPath} from '../sidecar/locate.js'

const run = promisify(execFile)

export interface Check {
  name: string
  ok: boolean
  /** Whether capture cannot work when this fails. */
  critical: boolean
  detail: string
  /** What to do when it fails. */
  fix?: string
}

const CAP_NET_RAW = 13n
const CAP_BPF = 39n

/** Ring buffers arrived in 5.8; older kernels cannot run the program. */
export function kernelCheck(version = release()): Check {
  const [major, minor] = version.split('.').map(Number)
  const ok = major > 5 || (major === 5 && minor >= 8)
  return {name: 'kernel', ok, critical: true, detail: `Linux ${version} (BPF ring buffers need 5.8 or later)`, fix: 'upgrade the kernel to 5.8 or later'}
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The kernel's build options: /proc/config.gz or /boot/config-<release> ('' when neither is readable). */
export async function kernelConfig(version = release()): Promise<string> {
  try {
    return gunzipSync(await readFile('/proc/config.gz')).toString('utf8')
  } catch {
    return (await readText(`/boot/config-${version}`)) ?? ''
  }
}

/**
 * net.core.bpf_jit_enable exists only in the initial network namespace: inside a
 * container or `ip netns` it is simply absent, which says nothing about the JIT.
 * The kernel's build options still do (CONFIG_BPF_JIT_ALWAYS_ON).
 */
export function jitCheck(sysctl: string | undefined, config: string): Check {
  const check = {name: 'bpf jit', critical: false, fix: "turn it on with 'sysctl net.core.bpf_jit_enable=1' in the host's network namespace"}
  const value = sysctl?.trim()
  if (value !== undefined) {
    const ok = value === '1' || value === '2'
    return {...check, ok, detail: ok ? 'the BPF JIT compiler is on' : `bpf_jit_enable is ${value}: the filter runs interpreted, slower`}
  }
  if (/^CONFIG_BPF_JIT_ALWAYS_ON=y$/m.test(config)) {
    return {...check, ok: true, detail: 'the BPF JIT compiler is always on (CONFIG_BPF_JIT_ALWAYS_ON)'}
  }
  if (config && !/^CONFIG_BPF_JIT=y$/m.test(config)) {
    return {...check, ok: false, detail: 'this kernel is built without the BPF JIT (CONFIG_BPF_JIT): the filter runs interpreted, slower', fix: 'use a kernel built with CONFIG_BPF_JIT=y'}
  }
  return {...check, ok: true, detail: "net.core.bpf_jit_enable is visible only from the host's network namespace, not this one; sockwatch works either way"}
}

export async function btfCheck(): Promise<Check> {
  let ok = true
  try {
    await access('/sys/kernel/btf/vmlinux', constants.R_OK)
  } catch {
    ok = false
  }
  return {
    name: 'btf', ok, critical: false,
    detail: ok ? 'kernel BTF at /sys/kernel/btf/vmlinux' : 'no kernel BTF: sockwatch does not need it, but verifier messages are less clear',
    fix: 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y',
  }
}

/** Effective capabilities of a /proc/<pid>/status text. */
export function effectiveCaps(status: string): bigint {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1]
  return hex ? BigInt(`0x${hex}`) : 0n
}

const has = (caps: bigint, cap: bigint) => (caps & (1n << cap)) !== 0n

const NEEDED = [['CAP_BPF', CAP_BPF], ['CAP_NET_RAW', CAP_NET_RAW]] as const

/** The needed capabilities a getcap(8) text does not grant as effective. */
export function missingFromFile(fileCaps: string): string[] {
  // "cap_bpf,cap_net_raw=ep" or "cap_net_raw+ep cap_bpf+ep": names, then the sets they get
  const granted = new Set<string>()
  for (const clause of fileCaps.trim().split(/\s+/).filter(Boolean)) {
    const match = /^([a-z_,]+)([=+])([a-z]*)$/.exec(clause)
    if (match && match[3].includes('e')) for (const name of match[1].split(',')) granted.add(name.toUpperCase())
  }
  return NEEDED.filter(([name]) => !granted.has(name)).map(([name]) => name)
}

const both = (names: string[]) => names.join(' and ')

/** Root, or CAP_BPF + CAP_NET_RAW on this process or on the sidecar file; names what is missing. */
export function privilegeCheck(status: string, fileCaps: string): Check {
  const caps = effectiveCaps(status)
  const missing = NEEDED.filter(([, cap]) => !has(caps, cap)).map(([name]) => name)
  const missingOnFile = missingFromFile(fileCaps)
  const ok = missing.length === 0 || missingOnFile.length === 0
  let detail: string
  if (missing.length === 0) detail = 'this process has CAP_BPF and CAP_NET_RAW'
  else if (missingOnFile.length === 0) detail = `the sidecar binary carries ${fileCaps.trim()}`
  else if (!fileCaps.trim()) detail = `this process lacks ${both(missing)}, and the sidecar binary carries no capabilities`
  else detail = `this process lacks ${both(missing)}, and the sidecar binary's ${fileCaps.trim()} lacks ${both(missingOnFile)}`
  return {name: 'privileges', ok, critical: true, detail, fix: INSTALL_FIX}
}

/** Never a bare setcap: on a file anyone may run, it lets every local user capture. */
export const INSTALL_FIX = "run as root, or have an administrator run 'sudo make install' in the sockwatch checkout and add you to the 'sockwatch' group (docs/privileges.md)"

export interface FileAccess {
  mode: number
  owner: string
  group: string
}

/**
 * Who may run the sidecar, from its mode, group and file capabilities. With
 * capabilities on a file anyone may execute, any local user can record every
 * other user's traffic: a warning, with the safe recipe.
 */
export function accessCheck(path: string, file: FileAccess, fileCaps: string): Check {
  const perms = (file.mode & 0o7777).toString(8).padStart(4, '0')
  const caps = fileCaps.trim()
  const what = `${path} is ${file.owner}:${file.group} ${perms}${caps ? ` with ${caps}` : ', no capabilities'}`
  const world = (file.mode & 0o001) !== 0
  const group = (file.mode & 0o010) !== 0
  if (caps && world) {
    return {name: 'access', ok: false, critical: false, detail: `${what}: every local user can capture every interface's traffic`, fix: `'sudo make install' (root:sockwatch 0750), or 'sudo chmod o-rwx ${path}'`}
  }
  let who = 'only root may capture'
  if (caps && group) who = file.group === 'sockwatch' ? "root and members of 'sockwatch' may capture" : `root and members of '${file.group}' may capture`
  return {name: 'access', ok: true, critical: false, detail: `${what}: ${who}`}
}

/** A file's mode and its owner and group by name (numbers where the name is unknown). */
export async function fileAccess(path: string): Promise<FileAccess | undefined> {
  try {
    const st = await stat(path)
    return {mode: st.mode, owner: await idName('passwd', st.uid), group: await idName('group', st.gid)}
  } catch {
    return undefined
  }
}

async function idName(database: 'passwd' | 'group', id: number): Promise<string> {
  try {
    const {stdout} = await run('getent', [database, String(id)])
    return stdout.split(':')[0] || String(id)
  } catch {
    return String(id)
  }
}

/** The sidecar's file capabilities, as getcap prints them ('' when none or no getcap). */
export async function fileCapabilities(path: string): Promise<string> {
  try {
    const {stdout} = await run('getcap', [path])
    return stdout.replace(path, '').trim()
  } catch {
    return ''
  }
}

export async function sidecarCheck(path: string): Promise<Check> {
  try {
    await access(path, constants.X_OK)
    return {name: 'sidecar', ok: true, critical: true, detail: `${path} is executable`}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') {
      return {name: 'sidecar', ok: false, critical: true, detail: `you may not run ${path}`, fix: `only root and members of its group may: an administrator adds you with 'sudo usermod -aG sockwatch ${process.env.USER ?? 'USER'}' (then log in again)`}
    }
    return {name: 'sidecar', ok: false, critical: true, detail: `${path} is missing or not executable`, fix: "run 'make' in the sockwatch checkout"}
  }
}

/** What the sidecar's ready record says of attribution. */
export interface ReadyProcess {
  process?: boolean
  process_off?: string
  process_route?: string
}

/** How each route fills the owner maps (docs/attribution.md, "Routes"). */
const ROUTE_DETAIL: Record<string, string> = {
  cgroup: 'cgroup v2 socket hooks attached',
  fentry: 'no cgroup v2 mount: fentry programs on the kernel\'s socket functions attached',
  kprobe: 'no cgroup v2 mount: kprobes on the kernel\'s socket functions attached',
}

/** Process attribution (docs/attribution.md): on, or what it lacks; capture works without it. */
export function processCheck(ready: ReadyProcess | undefined): Check {
  const check = {name: 'process attribution', critical: false}
  if (!ready) return {...check, ok: false, detail: 'not known: the sidecar did not start', fix: 'fix the checks above first'}
  if (ready.process) return {...check, ok: true, detail: `on: ${ROUTE_DETAIL[ready.process_route ?? 'cgroup'] ?? ready.process_route}; packets carry pid, comm, uid, cgroup and container`}
  return {
    ...check, ok: false,
    detail: `off: ${ready.process_off ?? 'the sidecar did not say why'}; packets carry null owners`,
    fix: /CAP_NET_ADMIN/.test(ready.process_off ?? '') ? `run as root, or add cap_net_admin: 'sudo setcap cap_bpf,cap_net_raw,cap_net_admin+ep ${sidecarPath()}'` : /CAP_PERFMON/.test(ready.process_off ?? '') ? `run as root, or add cap_perfmon: 'sudo setcap cap_bpf,cap_net_raw,cap_perfmon+ep ${sidecarPath()}'` : 'mount cgroup v2, or run on a kernel with fentry (BTF trampolines) or kprobes (docs/attribution.md)',
  }
}

/** The real proof: load the program and attach it to lo for a moment. */
export async function attachCheck(path: string): Promise<Check> {
  return (await attachRun(path)).check
}

/** Loads and attaches for a moment: the check, and the ready record when there was one. */
export async function attachRun(path: string): Promise<{check: Check; ready?: ReadyProcess}> {
  const name = 'load and attach'
  try {
    // a clause no packet matches: loads the filter too, and keeps the output small on a busy lo
    const {stdout} = await run(path, ['-i', 'lo', '-d', '0.05', '--stats-interval', '0', '--filter', 'ip proto 255'], {timeout: 10_000})
    const line = stdout.split('\n').find((l) => l.includes('"type":"ready"'))
    const ready = line === undefined ? undefined : (JSON.parse(line) as ReadyProcess)
    return {check: {name, ok: ready !== undefined, critical: true, detail: ready ? 'loaded the filter and attached it to lo' : 'the sidecar ended without saying it was ready'}, ready}
  } catch (error) {
    const {stdout = ''} = error as {stdout?: string}
    const record = stdout.split('\n').find((l) => l.includes('"type":"error"'))
    const message = record ? (JSON.parse(record) as {message: string}).message : (error as Error).message
    return {check: {name, ok: false, critical: true, detail: message, fix: 'see docs/troubleshooting.md'}}
  }
}

/** Every check, in the order a person would fix them. */
export async function runChecks(): Promise<Check[]> {
  const path = sidecarPath()
  const sidecar = await sidecarCheck(path)
  const jit = jitCheck(await readText('/proc/sys/net/core/bpf_jit_enable'), await kernelConfig())
  const fileCaps = await fileCapabilities(path)
  const privileges = privilegeCheck((await readText('/proc/self/status')) ?? '', sidecar.ok ? fileCaps : '')
  const file = await fileAccess(path)
  const checks = [kernelCheck(), jit, await btfCheck(), sidecar, privileges]
  if (file) checks.push(accessCheck(path, file, fileCaps))
  const attached = sidecar.ok ? await attachRun(path) : {check: {name: 'load and attach', ok: false, critical: true, detail: 'skipped: no sidecar to run', fix: "run 'make'"}}
  checks.push(attached.check, processCheck(attached.ready))
  return checks
}
