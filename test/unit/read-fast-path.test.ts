// -r's fast path (PacketScanner reading bytes, KeyTexts finding key texts) against the
// plain one (parseRecord on each line's text, keyText per packet): on a varied corpus
// (owners, IPv6, ARP, LLC, tunnels, payloads, flow and stats records, escapes, bad
// lines), cut into chunks anywhere, `summary -r` gives the same summary for every --by
// and `capture -r --json` the same bytes, counts and bad-line sentences.
import {Readable} from 'node:stream'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {replay} from '../../src/capture/replay.js'
import {parseRecord, RecordError} from '../../src/sidecar/records.js'
import type {FlowRecord, PacketRecord, StatsRecord} from '../../src/sidecar/records.js'
import {Aggregator, GROUP_BY, keyText} from '../../src/summary/aggregate.js'
import {readSummary} from '../../src/summary/sources.js'
import {chunksOf, recordCorpus} from '../helpers/record-corpus.js'

const fast = suite('read-fast-path')

const LINES = recordCorpus(18, 4000)
const TEXT = LINES.join('\n') + '\n'
const chunks = (most: number) => chunksOf(TEXT, most)

/** What the plain path makes of the corpus: each line through parseRecord. */
function plain(): {packets: PacketRecord[]; flows: FlowRecord[]; stats: StatsRecord[]; order: (PacketRecord | FlowRecord)[]; bad: string[]; packetLines: string[]} {
  const out = {packets: [] as PacketRecord[], flows: [] as FlowRecord[], stats: [] as StatsRecord[], order: [] as (PacketRecord | FlowRecord)[], bad: [] as string[], packetLines: [] as string[]}
  for (const [i, text] of LINES.entries()) {
    try {
      const r = parseRecord(text, i + 1)
      if (r.type === 'packet') {
        out.packets.push(r)
        out.order.push(r)
        out.packetLines.push(text)
      } else if (r.type === 'flow') {
        out.flows.push(r)
        out.order.push(r)
      } else if (r.type === 'stats') out.stats.push(r)
    } catch (error) {
      if (!(error instanceof RecordError)) throw error
      out.bad.push(error.message)
    }
  }
  return out
}
const PLAIN = plain()

fast('read-fast-path :: the corpus has every kind of line', () => {
  assert.ok(PLAIN.packets.length > 2500, `${PLAIN.packets.length} packets`)
  assert.ok(PLAIN.flows.length > 150 && PLAIN.stats.length > 40 && PLAIN.bad.length > 100, `${PLAIN.flows.length} flows, ${PLAIN.stats.length} stats, ${PLAIN.bad.length} bad`)
  for (const what of ['"family":6', '"proto":"arp"', '"proto":"llc"', '"runtime":"docker"', '"peer_comm"', '"data"', '"nd_target"', '"inner_dst"', '\\u0073', 'ngïnx', '9.2e1']) {
    assert.ok(PLAIN.packetLines.some((l) => l.includes(what)), what)
  }
})

// lines cut anywhere cost a chunk each: the smallest chunks for a few --by only
for (const [most, bys] of [[0, GROUP_BY], [4096, GROUP_BY], [61, ['flow', 'pair', 'process', 'container']]] as const) {
  const how = most === 0 ? 'one chunk' : `chunks of 1 to ${most} bytes`
  fast(`read-fast-path :: summary -r gives what parseRecord and keyText give, for ${bys.length} --by (${how})`, async () => {
    for (const by of bys) {
      for (const maxKeys of [100_000, 5]) {
        const want = new Aggregator({by, maxKeys})
        for (const r of PLAIN.order) {
          if (r.type === 'packet') want.addText(keyText(by, r), 1, r.len, r.ts, r.ts)
          else want.addText(keyText(by, r), r.packets, r.bytes, r.first, r.last)
        }
        const got = new Aggregator({by, maxKeys})
        const bad: string[] = []
        const result = await readSummary(Readable.from(chunks(most)), got, {onBadLine: (e) => bad.push(e.message)})
        const dropped = PLAIN.stats.filter((s) => s.final).reduce((n, s) => n + s.dropped, 0)
        assert.equal(result, {skipped: PLAIN.bad.length, dropped}, by)
        assert.equal(bad, PLAIN.bad, by)
        assert.equal(got.result({top: 1_000_000, sort: 'bytes', dropped}), want.result({top: 1_000_000, sort: 'bytes', dropped}), `${by}, ${maxKeys} keys`)
      }
    }
  })
}

for (const most of [0, 5, 61, 4096]) {
  const how = most === 0 ? 'one chunk' : `chunks of 1 to ${most} bytes`

  fast(`read-fast-path :: capture -r --json writes the packet lines parseRecord accepts, byte for byte (${how})`, async () => {
    const out: Buffer[] = []
    const stats: StatsRecord[] = []
    const bad: string[] = []
    const sink = {rawPackets: (t: string | Buffer) => out.push(Buffer.from(t)), stats: (s: StatsRecord) => stats.push(s)}
    const result = await replay(Readable.from(chunks(most)), sink, {onBadLine: (e) => bad.push(e.message)})
    assert.is(Buffer.concat(out).toString(), PLAIN.packetLines.map((l) => `${l}\n`).join(''))
    assert.equal(stats, PLAIN.stats)
    assert.equal(bad, PLAIN.bad)
    assert.equal(result, {read: PLAIN.packets.length, skipped: PLAIN.bad.length, dropped: PLAIN.stats.filter((s) => s.final).reduce((n, s) => n + s.dropped, 0), flows: PLAIN.flows.length})
  })
}

fast('read-fast-path :: --count stops at the same packet on both paths', async () => {
  for (const count of [1, 777, PLAIN.packets.length]) {
    const out: Buffer[] = []
    const result = await replay(Readable.from(chunks(4096)), {rawPackets: (t) => out.push(Buffer.from(t))}, {count})
    assert.is(result.read, count)
    assert.is(Buffer.concat(out).toString(), PLAIN.packetLines.slice(0, count).map((l) => `${l}\n`).join(''))
  }
})

fast.run()
