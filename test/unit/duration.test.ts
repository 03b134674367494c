import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {InputError, MAX_DURATION_MS, parseDuration} from '../../src/lib/duration.js'

const duration = suite('duration')

const good: [string, number][] = [
  ['10s', 10_000], ['500ms', 500], ['250ms', 250], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], ['3', 3000], ['.5s', 500],
  ['1m30s', 90_000], ['1h2m3.5s', 3_723_500], ['1h30m', 5_400_000], ['2s500ms', 2500], ['1h0m0s', 3_600_000],
  ['720h', 2_592_000_000], ['2592000', 2_592_000_000], [' 10s ', 10_000],
]
for (const [input, ms] of good) {
  duration(`duration :: ${input} is ${ms} ms`, () => {
    assert.is(parseDuration(input), ms)
  })
}

const bad = ['5x', '-1s', '0', '0s', '', 's', '1.2.3s', 'ten seconds', '1e3', '1e17', 'Infinity', 'NaN', '1m 30s', '30s1m', '1s1s', 'm30s', '1.s', '0.4ms', '1ms5']
for (const input of bad) {
  duration(`duration :: '${input}' is refused with the value quoted`, () => {
    assert.throws(() => parseDuration(input), (e: Error) => e instanceof InputError && e.message.includes(`'${input}'`))
  })
}

// above 30 days: refused with a sentence of its own (the sidecar's -d would end at once on overflow)
const huge = ['721h', '2592001', '100000000000000000', '99999999999h']
for (const input of huge) {
  duration(`duration :: '${input}' is over 30 days, refused with the bound named`, () => {
    assert.throws(() => parseDuration(input), (e: Error) => e instanceof InputError && e.message.includes(`'${input}'`) && e.message.includes('30 days'))
  })
}

duration('duration :: the bound is 30 days in milliseconds', () => {
  assert.is(MAX_DURATION_MS, 30 * 24 * 3_600_000)
})

duration.run()
