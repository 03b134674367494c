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

// A valid packet record the sidecar wrote in another key order or spacing: not the fast
// path's prefix, but still a packet, passed as written, in order, and counted.
const record = (n: number) => ({v: 1, type: 'packet', ts: 1700000000 + n, ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', src: '127.0.0.1', dst: '127.0.0.1', sport: 40000 + n, dport: 53, len: 70 + n})
const reordered = (n: number) => JSON.stringify({type: 'packet', ...record(n)})
const spaced = (n: number) => JSON.stringify(record(n)).replaceAll('":', '": ')
const mixed = [ready, pkt(1), reordered(2), spaced(3), pkt(4), stats].join('\n') + '\n'
const orderCases: [string, string[]][] = [
  ['one chunk', [mixed]],
  ['a chunk per line', mixed.split(/(?<=\n)/)],
  ['split byte by byte', [...mixed]],
]
for (const [name, chunks] of orderCases) {
  pass(`passthrough :: ${name}: a valid packet in another key order or with spaces is passed as written, in order, and counted`, () => {
    const r = run(chunks)
    assert.is(r.written, [pkt(1), reordered(2), spaced(3), pkt(4)].join('\n') + '\n')
    assert.equal(r.other, [[ready, 1], [stats, 6]])
    assert.is(r.count, 4)
  })
}

pass('passthrough :: a reordered packet counts toward the limit like any other', () => {
  const r = run([[reordered(1), spaced(2), pkt(3)].join('\n') + '\n'], 2)
  assert.is(r.written, [reordered(1), spaced(2)].join('\n') + '\n')
  assert.is(r.count, 2)
})

pass('passthrough :: a line that is not a valid packet record still goes to other', () => {
  const bad = JSON.stringify({type: 'packet', v: 1, ts: 1})
  const r = run([bad + '\n'])
  assert.is(r.written, '')
  assert.equal(r.other, [[bad, 1]])
  assert.is(r.count, 0)
})

pass('passthrough :: a line that only starts like a packet is not one', () => {
  const r = run(['{"v":1,"type":"packet",\n'.slice(0, 10) + '\n'])
  assert.is(r.written, '')
  assert.is(r.other.length, 1)
})

pass.run()
