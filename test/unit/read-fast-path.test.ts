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

const fast = suite('read-fast-path')

/** A seeded generator (mulberry32): the same corpus on every run. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const rnd = random(18)
const pickOf = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]
let clock = 1700000000

/** One line of the corpus: mostly sidecar-shaped, runs of one flow, some odd and some bad. */
function line(): string {
  clock += Math.floor(rnd() * 5000) / 1e6
  const ts = clock.toFixed(6)
  const owner = pickOf([
    '"pid":null,"comm":null,"uid":null,"cgroup":null,"container":null',
    '"pid":812,"comm":"nginx","uid":33,"cgroup":"/system.slice/nginx.service","container":null',
    `"pid":4242,"comm":"containerd-shim","uid":0,"cgroup":"/system.slice/docker-${'ab'.repeat(32)}.scope","container":"${'ab'.repeat(32)}","runtime":"docker"`,
    '"pid":1000,"comm":"curl","uid":1000,"cgroup":"/user.slice","container":null,"peer_pid":2329,"peer_comm":"bash"',
    '"pid":77,"comm":"a b/c","uid":4294967295,"cgroup":"/","container":null',
  ])
  const sport = pickOf([53, 443, 40000 + Math.floor(rnd() * 3), 65535, 0])
  const kind = rnd()
  if (kind < 0.3) return `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.${1 + Math.floor(rnd() * 3)}","dst":"127.0.0.1","sport":${sport},"dport":9,"len":${pickOf([92, 92, 1500])},"paylen":64,${owner}}`
  if (kind < 0.5) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"${pickOf(['in', 'out', 'unknown'])}","family":6,"proto":"tcp","src":"${pickOf(['fe80::1', '2001:db8::1', '::ffff:10.0.0.1'])}","dst":"2001:db8::${Math.floor(rnd() * 4).toString(16)}","sport":443,"dport":${sport},"len":1514,"paylen":1440,"flags":"${pickOf(['S', 'SA', 'PA', 'FA', 'R', ''])}",${owner}}`
  if (kind < 0.58) return `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"icmp","src":"127.0.0.1","dst":"127.0.0.1","len":73,"paylen":39,"icmp_type":3,"icmp_code":3,"inner_dst":"127.0.0.1","inner_proto":"udp","inner_dport":5006,${owner}}`
  if (kind < 0.64) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"in","family":0,"proto":"arp","ethertype":2054,"len":42,"arp_op":${pickOf([1, 2])},"arp_sha":"02:00:00:00:00:01","arp_spa":"10.0.0.1","arp_tpa":"10.0.0.${Math.floor(rnd() * 3)}","smac":"02:00:00:00:00:01","dmac":"ff:ff:ff:ff:ff:ff"}`
  if (kind < 0.67) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"in","family":0,"proto":"llc","len":60,"llc_dsap":66,"llc_ssap":66}`
  if (kind < 0.7) return `{"v":1,"type":"packet","ts":${ts},"ifindex":3,"ifname":"eth0.10","dir":"in","family":4,"proto":47,"src":"10.0.0.1","dst":"10.0.0.2","len":1514,"frag":"first","vlan":10,"truncated":true}`
  if (kind < 0.72) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"out","family":6,"proto":"icmp6","src":"fe80::1","dst":"ff02::1:ff00:2","len":86,"icmp_type":135,"icmp_code":0,"nd_target":"fe80::2","data":"${'6000000000203aff'.repeat(8)}"}`
  if (kind < 0.74) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"in","family":4,"proto":"tcp","src":"10.0.0.1","dst":"10.0.0.2","sport":1,"dport":2,"len":54,"malformed":"tcp_header_length"}`
  if (kind < 0.8) return `{"v":1,"type":"flow","ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":${sport},"dport":9,"packets":${1 + Math.floor(rnd() * 9)},"bytes":${Math.floor(rnd() * 9999)},"first":${ts},"last":${ts},${owner}}`
  if (kind < 0.82) return `{"v":1,"type":"stats","ts":${ts},"seen":9,"matched":8,"emitted":5,"dropped":${Math.floor(rnd() * 3)},"written":5,"final":${pickOf(['true', 'false'])}}`
  // read by parseRecord alone: an escape, a non-ASCII name, spaces, an exponent, a key order of its own
  if (kind < 0.84) return `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":${sport},"dport":9,"len":92,"pid":1,"comm":"${pickOf(['ba\\u0073h', 'ngïnx', 'q\\"uote'])}","uid":0,"cgroup":"/","container":null}`
  if (kind < 0.85) return `{"v": 1, "type": "packet", "ts": ${ts}, "ifindex": 1, "ifname": "lo", "dir": "in", "family": 4, "proto": "udp", "len": 9.2e1}`
  if (kind < 0.86) return `{"len":92,"v":1,"type":"packet","proto":"udp","family":4,"dir":"in","ifname":"lo","ifindex":1,"ts":${ts}}`
  // bad: each one a sentence with its line number
  if (kind < 0.9) {
    const good = `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":${sport},"dport":9,"len":92}`
    return pickOf([
      good.replace('"dport":9', '"dport":99999'), good.replace('"family":4', '"family":6'), good.replace('"len":92', '"len":92,"pad":1'),
      good.replace('"dir":"in"', '"dir":"up"'), good.slice(0, 50), good.replace('"len":92', '"len":null'), '', 'not json', '{"v":2,"type":"packet"}',
      good.replace('"src":"127.0.0.1"', '"src":"127.0.0.256"'), good.replace('"len":92', '"len":92,"len":93'),
    ])
  }
  // a line of the commonest shape again: runs of one flow, as a capture has
  return `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":40000,"dport":9,"len":92,"paylen":64,${owner}}`
}

const LINES = Array.from({length: 4000}, line)
const TEXT = LINES.join('\n') + '\n'

/** The corpus's bytes in chunks of 1 to `most` bytes (lines cut anywhere), or whole. */
function chunks(most: number): Buffer[] {
  const all = Buffer.from(TEXT)
  if (most === 0) return [all]
  const cut = random(most)
  const out: Buffer[] = []
  for (let at = 0; at < all.length;) {
    const n = 1 + Math.floor(cut() * most)
    out.push(all.subarray(at, at + n))
    at += n
  }
  return out
}

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
