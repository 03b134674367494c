import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {BytePassThrough} from '../../src/capture/passthrough.js'

const pass = suite('passthrough')

const pkt = (n: number) => `{"v":1,"type":"packet","ts":${n},"len":${n}}`
const stats = '{"v":1,"type":"stats","final":true}'
const ready = '{"v":1,"type":"ready"}'

/** Feeds chunks; returns what was written and the other lines. */
function run(chunks: string[], limit = Infinity) {
  let written = ''
  const other: [string, number][] = []
  const p = new BytePassThrough(limit, (b) => (written += b.toString()), (l, n) => other.push([l, n]))
  for (const c of chunks) p.push(Buffer.from(c))
  p.end()
  return {written, other, count: p.count}
}

const text = [ready, pkt(1), pkt(2), stats, pkt(3)].join('\n') + '\n'
const cases: [string, string[]][] = [
  ['one chunk', [text]],
  ['a chunk per line', text.split(/(?<=\n)/)],
  ['split inside the prefix', [text.slice(0, 30), text.slice(30)]],
  ['split byte by byte', [...text]],
]
for (const [name, chunks] of cases) {
  pass(`passthrough :: ${name}: packet lines pass as written, others are numbered`, () => {
    const r = run(chunks)
    assert.is(r.written, [pkt(1), pkt(2), pkt(3)].join('\n') + '\n')
    assert.equal(r.other, [[ready, 1], [stats, 4]])
    assert.is(r.count, 3)
  })
}

pass('passthrough :: past the limit packets are skipped, other records still arrive', () => {
  const r = run([text], 2)
  assert.is(r.written, [pkt(1), pkt(2)].join('\n') + '\n')
  assert.equal(r.other.map(([, n]) => n), [1, 4])
  assert.is(r.count, 2)
})

pass('passthrough :: an unterminated last line goes to other, never to stdout', () => {
  const r = run([pkt(1) + '\n' + pkt(2)])
  assert.is(r.written, pkt(1) + '\n')
  assert.equal(r.other, [[pkt(2), 2]])
})

pass('passthrough :: a line that only starts like a packet is not one', () => {
  const r = run(['{"v":1,"type":"packet",\n'.slice(0, 10) + '\n'])
  assert.is(r.written, '')
  assert.is(r.other.length, 1)
})

pass.run()
