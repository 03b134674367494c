import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {sidecarArgs} from '../../src/capture/session.js'
import type {CaptureOptions} from '../../src/capture/session.js'

const args = suite('session-args')

// [what, options, the sidecar's argv]
const cases: [string, CaptureOptions, string[]][] = [
  ['no options give no flags', {}, []],
  ['an empty interface list gives no -i', {interfaces: []}, []],
  ['one interface is -i NAME', {interfaces: ['lo']}, ['-i', 'lo']],
  ['each interface repeats -i, in order', {interfaces: ['lo', 'eth0', 'wlan0']}, ['-i', 'lo', '-i', 'eth0', '-i', 'wlan0']],
  ['count is -c', {count: 5}, ['-c', '5']],
  ['count 1 is -c 1', {count: 1}, ['-c', '1']],
  ['durationMs 1500 is -d 1.5 (seconds)', {durationMs: 1500}, ['-d', '1.5']],
  ['durationMs 500 is -d 0.5', {durationMs: 500}, ['-d', '0.5']],
  ['durationMs 1 is -d 0.001', {durationMs: 1}, ['-d', '0.001']],
  ['durationMs 60000 is -d 60', {durationMs: 60_000}, ['-d', '60']],
  ['durationMs 3600000 is -d 3600', {durationMs: 3_600_000}, ['-d', '3600']],
  ['ringSize is --ring-size, verbatim', {ringSize: '16M'}, ['--ring-size', '16M']],
  ['verbose is -v', {verbose: true}, ['-v']],
  ['verbose false gives nothing', {verbose: false}, []],
  ['an abort signal is not a flag', {signal: new AbortController().signal}, []],
  [
    'everything at once, in a fixed order',
    {verbose: true, ringSize: '1M', durationMs: 2500, count: 2, interfaces: ['lo', 'eth0']},
    ['-i', 'lo', '-i', 'eth0', '-c', '2', '-d', '2.5', '--ring-size', '1M', '-v'],
  ],
]
for (const [what, options, want] of cases) {
  args(`session-args :: ${what}`, () => {
    assert.equal(sidecarArgs(options), want)
  })
}

args('session-args :: sidecarArgs does not change its options', () => {
  const options: CaptureOptions = {interfaces: ['lo'], count: 3}
  sidecarArgs(options)
  sidecarArgs(options)
  assert.equal(options, {interfaces: ['lo'], count: 3})
})

args.run()
