import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {effectiveCaps, kernelCheck} from '../../src/doctor/checks.js'

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

doctor.run()
