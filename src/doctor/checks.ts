// What `sockwatch doctor` checks: each check returns data, never prints.
import {execFile} from 'node:child_process'
import {constants} from 'node:fs'
import {access, readFile} from 'node:fs/promises'
import {release} from 'node:os'
import {promisify} from 'node:util'
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

export async function jitCheck(): Promise<Check> {
  const value = (await readText('/proc/sys/net/core/bpf_jit_enable'))?.trim()
  const ok = value === '1' || value === '2'
  return {
    name: 'bpf jit', ok, critical: false,
    detail: value === undefined ? 'no /proc/sys/net/core/bpf_jit_enable' : ok ? 'the BPF JIT compiler is on' : `bpf_jit_enable is ${value}: the filter runs interpreted, slower`,
    fix: "turn it on with 'sysctl net.core.bpf_jit_enable=1'",
  }
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

/** Root, or CAP_BPF + CAP_NET_RAW on this process or on the sidecar file. */
export async function privilegeCheck(fileCaps: string): Promise<Check> {
  const caps = effectiveCaps((await readText('/proc/self/status')) ?? '')
  const mine = has(caps, CAP_BPF) && has(caps, CAP_NET_RAW)
  const onFile = /cap_bpf/.test(fileCaps) && /cap_net_raw/.test(fileCaps) && /[+=][a-z]*e/.test(fileCaps)
  const ok = mine || onFile
  return {
    name: 'privileges', ok, critical: true,
    detail: mine ? 'this process has CAP_BPF and CAP_NET_RAW' : onFile ? `the sidecar binary carries ${fileCaps.trim()}` : 'neither this process nor the sidecar binary has CAP_BPF and CAP_NET_RAW',
    fix: `run as root, or 'sudo setcap cap_bpf,cap_net_raw+ep ${sidecarPath()}'`,
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
  } catch {
    return {name: 'sidecar', ok: false, critical: true, detail: `${path} is missing or not executable`, fix: "run 'make' in the sockwatch checkout"}
  }
}

/** The real proof: load the program and attach it to lo for a moment. */
export async function attachCheck(path: string): Promise<Check> {
  const name = 'load and attach'
  try {
    // a clause no packet matches: loads the filter too, and keeps the output small on a busy lo
    const {stdout} = await run(path, ['-i', 'lo', '-d', '0.05', '--stats-interval', '0', '--clause', 'proto=255'], {timeout: 10_000})
    const ready = stdout.split('\n').some((l) => l.includes('"type":"ready"'))
    return {name, ok: ready, critical: true, detail: ready ? 'loaded the filter and attached it to lo' : 'the sidecar ended without saying it was ready'}
  } catch (error) {
    const {stdout = ''} = error as {stdout?: string}
    const record = stdout.split('\n').find((l) => l.includes('"type":"error"'))
    const message = record ? (JSON.parse(record) as {message: string}).message : (error as Error).message
    return {name, ok: false, critical: true, detail: message, fix: 'see docs/troubleshooting.md'}
  }
}

/** Every check, in the order a person would fix them. */
export async function runChecks(): Promise<Check[]> {
  const path = sidecarPath()
  const sidecar = await sidecarCheck(path)
  const checks = [kernelCheck(), await jitCheck(), await btfCheck(), sidecar, await privilegeCheck(sidecar.ok ? await fileCapabilities(path) : '')]
  checks.push(sidecar.ok ? await attachCheck(path) : {name: 'load and attach', ok: false, critical: true, detail: 'skipped: no sidecar to run', fix: "run 'make'"})
  return checks
}
