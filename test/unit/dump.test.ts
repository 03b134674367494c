// -X and -A as tcpdump prints them (print-ascii.c): offsets, 2-byte hex groups padded to
// 40 columns, '.' for anything not printable (space too in -X; -A keeps tab, space, newline).
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {asciiText, dumpText, hexAndAscii} from '../../src/output/dump.js'

const dump = suite('dump')
const bytes = (hex: string) => Buffer.from(hex.replaceAll(' ', ''), 'hex')

const hexCases: [string, string, string][] = [
  ['nothing', '', ''],
  ['one byte: an odd tail', '45', '\n\t0x0000:  45                                       E'],
  ['three bytes', '450000', '\n\t0x0000:  4500 00                                  E..'],
  ['a full line, space shown as a dot', '4500 0054 098c 4000 4001 331b 7f00 2001', '\n\t0x0000:  4500 0054 098c 4000 4001 331b 7f00 2001  E..T..@.@.3.....'],
  ['a line and a bit', '4500 0054 098c 4000 4001 331b 7f00 0001 7e7f', '\n\t0x0000:  4500 0054 098c 4000 4001 331b 7f00 0001  E..T..@.@.3.....\n\t0x0010:  7e7f                                     ~.'],
]
for (const [what, hex, text] of hexCases) {
  dump(`dump :: -X: ${what}`, () => assert.is(hexAndAscii(bytes(hex)), text))
}

const asciiCases: [string, string, string][] = [
  ['nothing: a newline', '', '\n'],
  ['printable, tab, space and newline kept', '41 09 20 0a 42', '\nA\t \nB'],
  ['CR before LF dropped, alone a dot', '410d0a 420d 43 0d', '\nA\nB.C.'],
  ['control and high bytes as dots', '00 7f 80 ff', '\n....'],
]
for (const [what, hex, text] of asciiCases) {
  dump(`dump :: -A: ${what}`, () => assert.is(asciiText(bytes(hex)), text))
}

dump('dump :: a record without bytes (live without --snaplen): nothing after its line', () => {
  assert.is(dumpText('hex', undefined), '')
  assert.is(dumpText('ascii', ''), '')
  assert.is(dumpText('ascii', '4142'), '\nAB')
})

dump.run()
