import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {sidecarArgs, usageSentence} from '../../src/capture/session.js'
import {InputError} from '../../src/lib/duration.js'
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
  ['a repeated interface is named once', {interfaces: ['lo', 'lo']}, ['-i', 'lo']],
  ['repeats are dropped, first order kept', {interfaces: ['eth0', 'lo', 'eth0', 'lo']}, ['-i', 'eth0', '-i', 'lo']],
  ['any is every interface: no -i', {interfaces: ['any']}, []],
  ['any twice is still every interface', {interfaces: ['any', 'any']}, []],
  ['ringSize is --ring-size in bytes', {ringSize: 16_777_216}, ['--ring-size', '16777216']],
  ['a 1G ring is --ring-size 1073741824', {ringSize: 1_073_741_824}, ['--ring-size', '1073741824']],
  ['verbose true is -v', {verbose: true}, ['-v']],
  ['verbose 1 is -v', {verbose: 1}, ['-v']],
  ['verbose 2 is -v -v (libbpf debug)', {verbose: 2}, ['-v', '-v']],
  ['verbose 3 is still -v -v', {verbose: 3}, ['-v', '-v']],
  ['verbose 0 gives nothing', {verbose: 0}, []],
  ['verbose false gives nothing', {verbose: false}, []],
  ['an abort signal is not a flag', {signal: new AbortController().signal}, []],
  ['process off is --no-process', {process: {off: true}}, ['--no-process']],
  ['an empty process filter gives no flags', {process: {pids: [], cgroups: []}}, []],
  ['each pid repeats --pid, in order', {process: {pids: [7, 3]}}, ['--pid', '7', '--pid', '3']],
  ['comm, cgroups and container pass as given', {process: {comm: 'nginx', cgroups: ['/a', '/b'], container: 'abcd'}}, ['--comm', 'nginx', '--cgroup', '/a', '--cgroup', '/b', '--container', 'abcd']],
  [
    'everything at once, in a fixed order',
    {verbose: 2, ringSize: 1_048_576, durationMs: 2500, count: 2, interfaces: ['lo', 'eth0', 'lo']},
    ['-i', 'lo', '-i', 'eth0', '-c', '2', '-d', '2.5', '--ring-size', '1048576', '-v', '-v'],
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

for (const interfaces of [['any', 'lo'], ['lo', 'any'], ['eth0', 'any', 'any']]) {
  args(`session-args :: [${interfaces.join(', ')}]: any with other names is an InputError quoting them`, () => {
    assert.throws(() => sidecarArgs({interfaces}), (e: Error) => e instanceof InputError && e.message.startsWith('-i any already means every interface') && e.message.includes("'any'"))
  })
}

args.run()

// The sidecar's stderr when it exits 2, and the sentence the CLI shows
const TRY = "Try `sockwatch-sidecar --help' or `sockwatch-sidecar --usage' for more\ninformation."
const usage = suite('usage-sentence')
const sentences: [string, string, string | undefined][] = [
  ['argp\'s complaint, its Try line dropped', `sockwatch-sidecar: --ring-size takes a power of two from 4K to 1G, got '3'\n${TRY}\n`, "--ring-size takes a power of two from 4K to 1G, got '3'"],
  ['a sentence without a Try line', "sockwatch-sidecar: give --filter once (join expressions with 'and' or 'or')\n", "give --filter once (join expressions with 'and' or 'or')"],
  ['the last sentence after -v lines', "sockwatch-sidecar: capturing on lo\nsockwatch-sidecar: give --filter once (join expressions with 'and' or 'or')\n", "give --filter once (join expressions with 'and' or 'or')"],
  ['nothing of the sidecar\'s own', 'Segmentation fault\n', undefined],
  ['an empty stderr', '', undefined],
  ['only a Try line', `${TRY}\n`, undefined],
]
for (const [what, stderr, want] of sentences) {
  usage(`usage-sentence :: ${what}`, () => {
    assert.is(usageSentence(stderr), want)
  })
}
usage('usage-sentence :: a renamed binary\'s prefix is taken off too', () => {
  assert.is(usageSentence('my-engine: bad flag\n', 'my-engine'), 'bad flag')
})

usage.run()
