import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {InputError} from '../../src/lib/duration.js'
import {parseRingSize} from '../../src/lib/size.js'

const size = suite('size')

const good: [string, number][] = [
  ['4K', 4096], ['4k', 4096], ['4096', 4096], ['64K', 65_536], ['1M', 1_048_576], ['8m', 8_388_608], ['512M', 536_870_912],
  ['1G', 1_073_741_824], ['1g', 1_073_741_824], ['1024M', 1_073_741_824], ['1048576K', 1_073_741_824], ['1073741824', 1_073_741_824],
]
for (const [input, bytes] of good) {
  size(`size :: --ring-size ${input} is ${bytes} bytes`, () => {
    assert.is(parseRingSize(input), bytes)
  })
}

const bad = [
  '3000', '2K', '4K1', '0', '', 'K', '1.5M', '-4K', '+4K', ' 4K', '0x1000', '1e6', '8MB', '8MiB', '2G', '1T',
  '17592186044417M', '18446744073709551616', '99999999999999999999999G', 'Infinity', 'big',
]
for (const input of bad) {
  size(`size :: --ring-size '${input}' is refused in one sentence that quotes it`, () => {
    assert.throws(
      () => parseRingSize(input),
      (e: Error) => e instanceof InputError && e.message === `--ring-size takes a power of two from 4K to 1G, like 64K, 8M or 1G, got '${input}'`,
    )
  })
}

size.run()
