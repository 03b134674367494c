import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {statusLine} from '../../src/output/status.js'
import {clock, humanBytes, humanCount} from '../../src/output/units.js'

const units = suite('units')

const counts: [number, string][] = [[0, '0'], [999, '999'], [1000, '1.0k'], [1234, '1.2k'], [12_345, '12k'], [3_400_000, '3.4M'], [2e9, '2.0G'], [999_600, '1.0M'], [9_960, '10k'], [999_499, '999k']]
for (const [n, text] of counts) units(`units :: ${n} reads ${text}`, () => assert.is(humanCount(n), text))

const bytes: [number, string][] = [[0, '0 B'], [512, '512 B'], [1200, '1.2 kB'], [3_400_000, '3.4 MB']]
for (const [n, text] of bytes) units(`units :: ${n} bytes read ${text}`, () => assert.is(humanBytes(n), text))

units('units :: clock', () => {
  assert.is(clock(0), '00:00:00')
  assert.is(clock(83_999), '00:01:23')
  assert.is(clock(3_600_000 * 27 + 1000), '27:00:01')
})

units('units :: the status line', () => {
  assert.is(statusLine({captured: 12_345, dropped: 2, rate: 3400, elapsedMs: 61_000}), '3.4k pkt/s · 12345 packets · 2 dropped · 00:01:01')
})

units.run()
