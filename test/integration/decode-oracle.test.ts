// Every crafted frame shape (test/helpers/craft-shapes.py: the shapes of issue 14's
// defects and of the other veth tests), sent over a veth pair in both directions, and
// each packet record compared field by field with tshark's decoding of the same frame
// on the same interface, and with tcpdump -nn -e -v's verdicts (truncated, malformed).
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {FlowRecord, PacketRecord} from '../../src/sidecar/records.js'
import {CLI, ROOT, startSidecar, startTcpdump, type SidecarRun} from '../helpers/integration-capture.js'
import {macOf, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {COMPARED, expectedRecord, tcpdumpBlocks, tsharkFrames, type TsharkFrame} from '../helpers/oracle-decode.js'
import {preflight} from '../helpers/integration-preflight.js'
import {assertSchema} from '../helpers/integration-schema.js'

const test = suite('decode oracle')

const CRAFT = fileURLToPath(new URL('../helpers/craft-shapes.py', import.meta.url))
// Debian's python3, which python3-scapy is installed for (a pyenv python3 on PATH lacks it)
const PYTHON = '/usr/bin/python3'
const MTU = '9100' // room for the 9000-byte frames
const DIRS = {in: 1, out: 2} as const

interface Sent {name: string; smac: string; len: number}
const ctx = {} as {
  pair: VethPair
  run: SidecarRun
  sent: Record<'in' | 'out', Sent[]>
  tshark: Map<string, TsharkFrame>
  tcpdump: Map<string, string>
  pcap: string
  dispose(): void
}

function craft(ns: string, iface: string, dir: number, dstMac: string, addrs: string[], only: string[] = []): Sent[] {
  const out = execFileSync('ip', ['netns', 'exec', ns, PYTHON, CRAFT, iface, String(dir), dstMac, ...addrs, ...only], {encoding: 'utf8'})
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sent)
}

// uvu reports a throwing before() as nothing at all: say why here
test.before(async () => {
  try {
    await setUp()
  } catch (error) {
    console.error('decode oracle: setting up failed:', error)
    throw error
  }
})

async function setUp() {
  preflight(['ip', 'tcpdump', 'tshark', PYTHON])
  execFileSync(PYTHON, ['-c', 'import scapy.all'], {stdio: 'pipe'}) // python3-scapy: a failure, never a skip
  const pair = (ctx.pair = makeVethPair('o'))
  for (const [ns, dev] of [[pair.nsA, pair.ifA], [pair.nsB, pair.ifB]]) execFileSync('ip', ['-n', ns, 'link', 'set', dev, 'mtu', MTU])
  const macA = macOf(pair.nsA, pair.ifA)
  const macB = macOf(pair.nsB, pair.ifB)
  // only the crafted frames: their source MACs start 02:5e
  const tcpdump = await startTcpdump(pair.ifA, 'ether[6:2] == 0x025e', pair.nsA)
  const sidecar = await startSidecar(['-i', pair.ifA, '--stats-interval', '0', '--flows', '--macs'], pair.nsA)
  ctx.sent = {
    in: craft(pair.nsB, pair.ifB, DIRS.in, macA, [pair.addrB, pair.addrA, pair.addr6B, pair.addr6A]),
    out: craft(pair.nsA, pair.ifA, DIRS.out, macB, [pair.addrA, pair.addrB, pair.addr6A, pair.addr6B]),
  }
  const oracle = await tcpdump.finish(() => craft(pair.nsB, pair.ifB, 0xff, macA, [pair.addrB, pair.addrA, pair.addr6B, pair.addr6A], ['marker']),
    (l) => l.includes('.31999: UDP'))
  ctx.run = await sidecar.finish()
  ctx.tshark = tsharkFrames(oracle.pcap)
  ctx.tcpdump = tcpdumpBlocks(oracle.pcap)
  ctx.pcap = oracle.pcap
  ctx.dispose = oracle.dispose
}

test.after(() => {
  ctx.dispose?.()
  ctx.pair?.remove()
})

test('decode oracle :: at least 40 shapes a direction, each seen once by sockwatch and by both oracles', () => {
  assert.is(ctx.run.code, 0)
  assertSchema(ctx.run.records)
  assert.is(ctx.run.final.dropped, 0)
  for (const dir of ['in', 'out'] as const) {
    assert.ok(ctx.sent[dir].length >= 40, `${ctx.sent[dir].length} shapes sent ${dir}`)
    for (const s of ctx.sent[dir]) {
      assert.is(ctx.run.packets.filter((p) => p.smac === s.smac).length, 1, `${dir} ${s.name}: one record`)
      assert.ok(ctx.tshark.has(s.smac), `${dir} ${s.name}: in tshark's capture`)
      assert.ok(ctx.tcpdump.has(s.smac), `${dir} ${s.name}: in tcpdump's capture`)
    }
  }
})

/** The record's compared fields, as the expectation states them. */
function pick(p: PacketRecord): Record<string, unknown> {
  const r = p as unknown as Record<string, unknown>
  return Object.fromEntries(COMPARED.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]))
}

for (const dir of ['in', 'out'] as const) {
  test(`decode oracle :: ${dir}: every record agrees with tshark and tcpdump, field by field`, () => {
    const wrong: string[] = []
    for (const s of ctx.sent[dir]) {
      const record = ctx.run.packets.find((p) => p.smac === s.smac)
      const frame = ctx.tshark.get(s.smac)
      if (!record || !frame) continue // the count test names it
      const want = expectedRecord(frame, ctx.tcpdump.get(s.smac) ?? '', dir)
      const got = pick(record)
      const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort()
      const diff = keys.filter((k) => JSON.stringify(want[k]) !== JSON.stringify(got[k])).map((k) => `${k}: sockwatch ${JSON.stringify(got[k])}, oracle ${JSON.stringify(want[k])}`)
      if (diff.length) wrong.push(`${s.name}: ${diff.join('; ')}`)
    }
    assert.equal(wrong, [], `${wrong.length} of ${ctx.sent[dir].length} shapes disagree:\n  ${wrong.join('\n  ')}`)
  })
}

test('decode oracle :: the same frame has the same record fields both ways (but dir)', () => {
  const strip = (p: PacketRecord) => {
    const {dir: _d, ts: _t, smac: _s, dmac: _m, arp_sha: _a, src: _1, dst: _2, arp_spa: _3, arp_tpa: _4, inner_dst: _5, nd_target: _6, ...rest} = p as unknown as Record<string, unknown>
    return rest
  }
  const differ: string[] = []
  for (const s of ctx.sent.in) {
    const a = ctx.run.packets.find((p) => p.smac === s.smac)
    const b = ctx.run.packets.find((p) => p.smac === ctx.sent.out.find((o) => o.name === s.name)?.smac)
    if (a && b && JSON.stringify(strip(a)) !== JSON.stringify(strip(b))) differ.push(`${s.name}: in ${JSON.stringify(strip(a))} out ${JSON.stringify(strip(b))}`)
  }
  assert.equal(differ, [])
})

test('decode oracle :: an 802.3/LLC frame is one flow keyed by its SAPs, the same key both ways', () => {
  const flows = ctx.run.records.filter((r): r is FlowRecord => r.type === 'flow' && r.proto === 'llc')
  const key = (f: FlowRecord) => `${f.dir} ${f.llc_dsap} ${f.llc_ssap}`
  const packets = ctx.run.packets.filter((p) => p.proto === 'llc')
  assert.is(packets.length, 6, 'three LLC shapes, both ways')
  // each LLC packet is counted in the flow of its direction and SAPs, and in no other
  for (const p of packets) assert.is(flows.filter((f) => key(f) === `${p.dir} ${p.llc_dsap} ${p.llc_ssap}`).reduce((n, f) => n + f.packets, 0), 1, `${p.dir} ${p.llc_dsap}/${p.llc_ssap}`)
  assert.is(flows.reduce((n, f) => n + f.packets, 0), 6)
  assert.ok(flows.every((f) => f.ethertype === undefined && f.src === undefined))
})

// ---- text lines: sockwatch's `capture --format text` against tcpdump -n on the same frames

// shapes whose tcpdump -n line holds nothing a record lacks (but what normalise() drops)
const COMMON = ['udp4', 'tcp4-syn', 'tcp4-data', 'tcp4-fin', 'icmp4-echo', 'icmp4-reply', 'icmp4-port-unreach', 'icmp4-host-unreach',
  'icmp4-time-exceeded', 'arp-request', 'arp-reply', 'arp-padded', 'udp6', 'tcp6', 'icmp6-echo', 'icmp6-port-unreach', 'ndp-ns', 'ndp-na',
  'ndp-rs', 'ip4-options', 'udp4-eth-padding', 'udp4-4070', 'udp4-4080', 'udp6-9000', 'tcp4-8000-vlan']
// ... and with -e, where VLAN tags are printed with their priority, which a record does not keep
const COMMON_E = COMMON.filter((n) => !n.includes('vlan'))

/** tcpdump's line without its timestamp, and without what a record does not hold: TCP seq/ack/win/options, ICMP echo id/seq. */
const normalise = (line: string) => line.replace(/^\d\d:\d\d:\d\d\.\d{6} /, '').replace(/, (seq [\d:]+|ack \d+|win \d+|options \[[^\]]*\]|id \d+)/g, '')

/** tcpdump -n's line for each frame (with -e too), by source MAC: -n -e's lines name the MAC, and both list the frames in one order. */
function tcpdumpLines(pcap: string, e: boolean): Map<string, string> {
  const lines = (args: string[]) => execFileSync('tcpdump', [...args, '-r', pcap], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
    .split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l))
  const withMac = lines(['-n', '-e'])
  const plain = e ? withMac : lines(['-n'])
  return new Map(withMac.map((l, i) => [l.split(' ')[1], plain[i]]))
}

/** sockwatch capture -r of the sidecar's records, --format text and `extra`; its line for each record, by source MAC. */
function sockwatchLines(extra: string[]): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'sockwatch-text-'))
  try {
    const file = join(dir, 'records.ndjson')
    writeFileSync(file, ctx.run.packets.map((p) => JSON.stringify(p)).join('\n') + '\n')
    const out = execFileSync(process.execPath, [CLI, 'capture', '-r', file, '--format', 'text', ...extra], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    const lines = out.split('\n').filter(Boolean)
    assert.is(lines.length, ctx.run.packets.length, 'one text line a record')
    return new Map(ctx.run.packets.map((p, i) => [p.smac ?? '', lines[i]]))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** The sidecar's own text formatter (sidecar/text.c, what a live `capture > file` prints), through the file reader on tcpdump's capture; by source MAC. */
function sidecarLines(e: boolean): Map<string, string> {
  const reader = join(ROOT, 'build/sockwatch-read')
  const withMac = execFileSync(reader, ['--text', '--stamp', '1', '--macs', ctx.pcap], {encoding: 'utf8'}).split('\n').filter(Boolean)
  const lines = e ? withMac : execFileSync(reader, ['--text', '--stamp', '1', ctx.pcap], {encoding: 'utf8'}).split('\n').filter(Boolean)
  // "unknown 02:5e:... > ...": a pcap file names no interface and no direction
  return new Map(withMac.map((l, i) => [l.split(' ')[1], lines[i].replace(/^unknown /, '')]))
}

for (const [e, from] of [[false, 'cli'], [true, 'cli'], [false, 'sidecar'], [true, 'sidecar']] as const) {
  test(`decode oracle :: ${from === 'cli' ? "the CLI's" : "the sidecar's"} text lines${e ? ' with -e' : ''} read as tcpdump -n${e ? ' -e' : ''}'s, timestamp and interface columns aside`, () => {
    const theirs = tcpdumpLines(ctx.pcap, e)
    const ours = from === 'cli' ? sockwatchLines(e ? ['-e', '-t'] : ['-t']) : sidecarLines(e)
    const wrong: string[] = []
    for (const dir of ['in', 'out'] as const) {
      for (const s of ctx.sent[dir].filter((x) => (e ? COMMON_E : COMMON).includes(x.name))) {
        // -t: no timestamp; then the interface and direction columns
        const mine = from === 'cli' ? ours.get(s.smac)?.replace(/^\S+ (in|out) /, '') : ours.get(s.smac)
        const want = normalise(theirs.get(s.smac) ?? '')
        if (mine !== want) wrong.push(`${dir} ${s.name}:\n    sockwatch ${mine}\n    tcpdump   ${want}`)
      }
    }
    assert.equal(wrong, [], wrong.join('\n'))
  })
}

test.run()
