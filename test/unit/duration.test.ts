import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {InputError, parseDuration} from '../../src/lib/duration.js'

const duration = suite('duration')

const good: [string, number][] = [
  ['10s', 10_000], ['500ms', 500], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], ['3', 3000], ['.5s', 500],
]
for (const [input, ms] of good) {
  duration(`duration :: ${input} is ${ms} ms`, () => {
    assert.is(parseDuration(input), ms)
  })
}

const bad = ['5x', '-1s', '0', '0s', '', 's', '1.2.3s', 'ten seconds', '1e3']
for (const input of bad) {
  duration(`duration :: '${input}' is refused with the value quoted`, () => {
    assert.throws(() => parseDuration(input), (e: Error) => e instanceof InputError && e.message.includes(`'${input}'`))
  })
}

duration.run()
