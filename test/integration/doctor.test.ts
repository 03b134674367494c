// `sockwatch doctor` where people run it: inside a network namespace (a
// container), where net.core.bpf_jit_enable does not exist, and with only one
// of the two capabilities, where it must name the one that is missing.
import {execFileSync} from 'node:child_process'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'

const doctor = suite('doctor')
let ns: {name: string; remove(): void}

interface Check {
  name: string
  ok: boolean
  detail: string
}

doctor.before(() => {
  preflight(['ip', 'nsenter', 'setpriv'])
  ns = makeNetns('doc')
})

doctor.after(() => ns?.remove())

/** doctor --json's checks, whatever its exit code. */
function checks(cmd: string, args: string[]): Check[] {
  try {
    return JSON.parse(execFileSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}))
  } catch (error) {
    const {stdout} = error as {stdout?: string}
    if (!stdout) throw error
    return JSON.parse(stdout)
  }
}

const named = (list: Check[], name: string) => list.find((c) => c.name === name)!

doctor('doctor :: inside a network namespace: the JIT check answers from the kernel, not a missing sysctl', () => {
  // nsenter, not 'ip netns exec': the latter remounts /sys
  const list = checks('nsenter', [`--net=/run/netns/${ns.name}`, CLI, 'doctor', '--json'])
  const jit = named(list, 'bpf jit')
  assert.ok(jit.ok, jit.detail)
  assert.not.match(jit.detail, /no \/proc\/sys/)
  assert.ok(list.every((c) => c.ok), JSON.stringify(list))
})

// the capabilities kept across the switch to nobody (ambient), one at a time
const partial: [string, string, string][] = [
  ['bpf', 'CAP_NET_RAW', 'CAP_BPF'],
  ['net_raw', 'CAP_BPF', 'CAP_NET_RAW'],
]
for (const [cap, missing, present] of partial) {
  doctor(`doctor :: with only ${present}: names ${missing} as missing`, () => {
    const list = checks('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', `--inh-caps=-all,+${cap}`, `--ambient-caps=-all,+${cap}`, CLI, 'doctor', '--json'])
    const privileges = named(list, 'privileges')
    assert.is(privileges.ok, false)
    assert.is(privileges.detail, `this process lacks ${missing}, and the sidecar binary carries no capabilities`)
  })
}

doctor('doctor :: with CAP_BPF and CAP_NET_RAW but not CAP_NET_ADMIN: capture works, attribution names what it lacks', () => {
  const caps = '-all,+bpf,+net_raw'
  const list = checks('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', `--inh-caps=${caps}`, `--ambient-caps=${caps}`, CLI, 'doctor', '--json'])
  assert.ok(named(list, 'load and attach').ok, JSON.stringify(list))
  const attribution = named(list, 'process attribution')
  assert.is(attribution.ok, false)
  assert.match(attribution.detail, /^off: this process lacks CAP_NET_ADMIN/)
})

doctor('doctor :: as root: process attribution is on', () => {
  const attribution = named(checks(CLI, ['doctor', '--json']), 'process attribution')
  assert.ok(attribution.ok, attribution.detail)
})

doctor.run()
