import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {accessCheck, effectiveCaps, INSTALL_FIX, jitCheck, kernelCheck, missingFromFile, privilegeCheck, processCheck} from '../../src/doctor/checks.js'

const doctor = suite('doctor')

const kernels: [string, boolean][] = [['6.18.44-fc', true], ['5.8.0', true], ['5.10.0-28-amd64', true], ['5.7.19', false], ['4.19.0', false]]
for (const [version, ok] of kernels) {
  doctor(`doctor :: kernel ${version} is ${ok ? 'enough' : 'too old'} for ring buffers`, () => {
    const check = kernelCheck(version)
    assert.is(check.ok, ok)
    assert.is(check.detail, `Linux ${version} (BPF ring buffers need 5.8 or later)`)
  })
}

const statuses: [string, string, bigint][] = [
  ['root', 'Name:\tx\nCapEff:\t000001ffffffffff\n', 0x1ffffffffffn],
  ['nobody', 'CapEff:\t0000000000000000\n', 0n],
  ['CAP_BPF + CAP_NET_RAW', 'CapInh:\t0\nCapEff:\t0000008000002000\nCapBnd:\t1\n', (1n << 39n) | (1n << 13n)],
  ['no CapEff line', 'Name:\tx\n', 0n],
]
for (const [name, status, caps] of statuses) {
  doctor(`doctor :: effective capabilities of ${name}`, () => {
    assert.is(effectiveCaps(status), caps)
  })
}

// net.core.bpf_jit_enable exists only in the initial network namespace
const ALWAYS_ON = 'CONFIG_BPF_JIT=y\nCONFIG_BPF_JIT_ALWAYS_ON=y\n'
const JIT_ONLY = 'CONFIG_BPF_JIT=y\n# CONFIG_BPF_JIT_ALWAYS_ON is not set\n'
const jits: [string, string | undefined, string, boolean, RegExp][] = [
  ['the sysctl says 1', '1\n', '', true, /^the BPF JIT compiler is on$/],
  ['the sysctl says 2 (debug)', '2\n', '', true, /^the BPF JIT compiler is on$/],
  ['the sysctl says 0', '0\n', ALWAYS_ON, false, /^bpf_jit_enable is 0: the filter runs interpreted/],
  ['no sysctl (another network namespace), JIT always on', undefined, ALWAYS_ON, true, /^the BPF JIT compiler is always on \(CONFIG_BPF_JIT_ALWAYS_ON\)$/],
  ['no sysctl, JIT built but switchable', undefined, JIT_ONLY, true, /visible only from the host's network namespace/],
  ['no sysctl, no kernel config readable', undefined, '', true, /visible only from the host's network namespace/],
  ['no sysctl, a kernel without the JIT', undefined, '# CONFIG_BPF_JIT is not set\n', false, /built without the BPF JIT/],
]
for (const [name, sysctl, config, ok, detail] of jits) {
  doctor(`doctor :: bpf jit when ${name}: ${ok ? 'fine' : 'a warning'}`, () => {
    const check = jitCheck(sysctl, config)
    assert.is(check.ok, ok)
    assert.is(check.critical, false)
    assert.match(check.detail, detail)
  })
}

const fileCaps: [string, string[]][] = [
  ['cap_bpf,cap_net_raw=ep', []],
  ['cap_net_raw,cap_bpf+ep', []],
  ['cap_bpf=ep', ['CAP_NET_RAW']],
  ['cap_net_raw+ep', ['CAP_BPF']],
  ['cap_bpf,cap_net_raw+p', ['CAP_BPF', 'CAP_NET_RAW']],
  ['', ['CAP_BPF', 'CAP_NET_RAW']],
]
for (const [caps, missing] of fileCaps) {
  doctor(`doctor :: a sidecar file with '${caps}' lacks ${missing.join(' and ') || 'nothing'}`, () => {
    assert.equal(missingFromFile(caps), missing)
  })
}

const BPF_ONLY = 'CapEff:\t0000008000000000\n'
const RAW_ONLY = 'CapEff:\t0000000000002000\n'
const privileges: [string, string, string, boolean, string][] = [
  ['root', 'CapEff:\t000001ffffffffff\n', '', true, 'this process has CAP_BPF and CAP_NET_RAW'],
  ['nobody, setcap sidecar', 'CapEff:\t0\n', 'cap_bpf,cap_net_raw=ep', true, 'the sidecar binary carries cap_bpf,cap_net_raw=ep'],
  ['only CAP_BPF', BPF_ONLY, '', false, 'this process lacks CAP_NET_RAW, and the sidecar binary carries no capabilities'],
  ['only CAP_NET_RAW', RAW_ONLY, '', false, 'this process lacks CAP_BPF, and the sidecar binary carries no capabilities'],
  ['nobody, a sidecar with only cap_bpf', 'CapEff:\t0\n', 'cap_bpf=ep', false, "this process lacks CAP_BPF and CAP_NET_RAW, and the sidecar binary's cap_bpf=ep lacks CAP_NET_RAW"],
]
for (const [name, status, caps, ok, detail] of privileges) {
  doctor(`doctor :: privileges for ${name} name what is missing`, () => {
    const check = privilegeCheck(status, caps)
    assert.is(check.ok, ok)
    assert.is(check.detail, detail)
    assert.is(check.fix, INSTALL_FIX)
    assert.not.match(check.fix!, 'setcap')
  })
}

// Who may run the sidecar: [what, mode, group, file caps, ok, detail]
const P = '/x/sockwatch-sidecar'
const CAPS = 'cap_net_raw,cap_bpf=ep'
const access: [string, number, string, string, boolean, string][] = [
  ['installed: root:sockwatch 0750 with capabilities', 0o100750, 'sockwatch', CAPS, true, `${P} is root:sockwatch 0750 with ${CAPS}: root and members of 'sockwatch' may capture`],
  ['another group', 0o100750, 'wireshark', CAPS, true, `${P} is root:wireshark 0750 with ${CAPS}: root and members of 'wireshark' may capture`],
  ['a checkout build, no capabilities', 0o100755, 'root', '', true, `${P} is root:root 0755, no capabilities: only root may capture`],
  ['capabilities, only root may run it', 0o100700, 'root', CAPS, true, `${P} is root:root 0700 with ${CAPS}: only root may capture`],
  ['capabilities on a file anyone may run', 0o100755, 'root', CAPS, false, `${P} is root:root 0755 with ${CAPS}: every local user can capture every interface's traffic`],
  ['capabilities, world-executable though group-owned', 0o100751, 'sockwatch', CAPS, false, `${P} is root:sockwatch 0751 with ${CAPS}: every local user can capture every interface's traffic`],
]
for (const [what, mode, group, caps, ok, detail] of access) {
  doctor(`doctor :: access, ${what}`, () => {
    const check = accessCheck(P, {mode, owner: 'root', group}, caps)
    assert.is(check.ok, ok)
    assert.is(check.critical, false)
    assert.is(check.detail, detail)
    if (!ok) assert.is(check.fix, `'sudo make install' (root:sockwatch 0750), or 'sudo chmod o-rwx ${P}'`)
  })
}

const processes: [string, Parameters<typeof processCheck>[0], boolean, RegExp, RegExp | undefined][] = [
  ['on', {process: true}, true, /^on: cgroup v2 socket hooks attached/, undefined],
  ['on by the cgroup route', {process: true, process_route: 'cgroup'}, true, /^on: cgroup v2 socket hooks attached/, undefined],
  ['on by fentry', {process: true, process_route: 'fentry'}, true, /^on: no cgroup v2 mount: fentry programs .* attached; packets carry pid/, undefined],
  ['on by kprobe', {process: true, process_route: 'kprobe'}, true, /^on: no cgroup v2 mount: kprobes .* attached/, undefined],
  ['off for lack of CAP_PERFMON', {process: false, process_off: 'this process lacks CAP_PERFMON, which the fentry programs attribution takes without a cgroup v2 mount need'}, false, /^off: this process lacks CAP_PERFMON/, /cap_perfmon\+ep/],
  ['off on a kernel with neither', {process: false, process_off: 'there is no cgroup v2 mount (in this or another mount namespace) for its socket hooks, and this kernel attaches neither fentry programs (BTF trampolines) nor kprobes'}, false, /^off: there is no cgroup v2 mount/, /fentry .* or kprobes/],
  ['off for lack of CAP_NET_ADMIN', {process: false, process_off: 'this process lacks CAP_NET_ADMIN, which attaching to cgroup socket hooks needs'}, false, /^off: this process lacks CAP_NET_ADMIN/, /cap_net_admin\+ep/],
  ['off without cgroup v2', {process: false, process_off: 'there is no cgroup v2 mount (in this or another mount namespace) to attach its socket hooks to'}, false, /^off: there is no cgroup v2 mount/, /mount cgroup v2/],
  ['unknown when the sidecar did not start', undefined, false, /^not known/, /above/],
]
for (const [what, ready, ok, detail, fix] of processes) {
  doctor(`doctor :: process attribution ${what}`, () => {
    const check = processCheck(ready)
    assert.is(check.ok, ok)
    assert.is(check.critical, false)
    assert.match(check.detail, detail)
    if (fix) assert.match(check.fix ?? '', fix)
  })
}

doctor.run()
