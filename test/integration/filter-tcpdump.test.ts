// Filters against tcpdump: a mix of frames crafted with scapy (every family of
// pcap-filter(7): IPv4/IPv6 transports, extension headers, fragments, ARP,
// 802.1Q and QinQ, LLC/STP, MPLS, PPPoE, broadcast, multicast, 60 to 9000
// bytes) replayed over a veth pair, captured by `sockwatch capture` with each
// expression and, unfiltered, by `tcpdump -w` on the same interface. For each
// expression sockwatch's packets must be exactly `tcpdump -r FILE EXPR`'s:
// every frame of the mix has its own length, so equal lengths are equal packets.
// On the receiving side the kernel has moved each outer VLAN tag into the
// skb's metadata; on the sending side it is still in the data.
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord, StatsRecord} from '../../src/sidecar/records.js'
import {CLI, inNetns, startTcpdump} from '../helpers/integration-capture.js'
import {macOf, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'

const MIX = fileURLToPath(new URL('../helpers/filter-mix.py', import.meta.url))
const CRAFT = fileURLToPath(new URL('../helpers/craft-frames.py', import.meta.url))
// scapy is Debian's python3-scapy, for Debian's Python
const PYTHON = '/usr/bin/python3'
const GROUP = 10

/** The expressions; `$MAC` is the receiving interface's address. */
const EXPRESSIONS = [
  // protocols
  'ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'icmp', 'icmp6', 'sctp', 'esp', 'ah', 'igmp', 'pim', 'vrrp',
  'ip proto gre', 'ip6 proto 17', 'ip proto \\udp', 'ip protochain 6', 'ip6 protochain \\udp',
  // hosts and nets, with direction qualifiers, names and short nets
  'host 198.51.100.7', 'src host 2001:db8:1::7', 'dst host 203.0.113.10', 'host localhost',
  'src or dst host 203.0.113.9', 'src and dst net 198.51.100.0/24', 'net 203.0.113', 'net 198.51.100.0 mask 255.255.255.0',
  'dst net 2001:db8:2::/48', 'ip host 198.51.100.7 and not ip6',
  // ports, ranges, service names
  'port 53', 'port domain', 'src or dst port 53', 'tcp dst port 80', 'udp src port 53', 'portrange 1999-2001',
  'tcp portrange 1-1024', 'src portrange 40000-40100 and udp', 'sctp port 2905', 'udp and not port 53 and not port 5353',
  'ip6 and (tcp port 443 or udp port 53)',
  // the link layer
  'ether host 02:00:00:00:00:03', 'ether dst $MAC', 'ether broadcast', 'ether multicast', 'ether proto 0x88cc',
  'ether proto \\arp', 'ether[0] & 1 != 0', 'stp', 'llc', 'ipx', 'decnet or atalk or aarp or iso',
  // broadcast and multicast
  'ip broadcast', 'ip multicast', 'ip6 multicast',
  // VLAN, MPLS, PPPoE, tunnels
  'vlan', 'vlan 100', 'vlan and vlan 200', 'vlan 10 and vlan 100 and udp', 'vlan and ip6', 'not vlan and udp',
  'vlan and arp', 'mpls', 'mpls 16 and udp port 53', 'pppoes', 'pppoed', 'geneve',
  // lengths and arithmetic
  'less 64', 'greater 1000', 'len >= 100 and len <= 110', 'len % 7 == 3 and len / 2 > 40',
  '(ip[2:2] >> 2) & 1 == 1 or len * 2 - 1 > 8000 or (ip[8] ^ 64) == 0',
  // bytes
  'tcp[tcpflags] & tcp-syn != 0', 'tcp[tcpflags] & (tcp-fin|tcp-rst) != 0', 'tcp[13] = 2',
  'icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply', 'icmp6[icmp6type] == icmp6-echo',
  'ip[6:2] & 0x1fff != 0 or ip[6] & 0x20 != 0', 'ip[0] & 0xf > 5', 'udp[2:2] = 5353',
  'not (tcp or udp or icmp) and ip', 'arp or rarp or (vlan and arp)',
]
// no frame of the mix is one of these (they must still agree with tcpdump: none); after
// `vlan`, libpcap reads every later primitive 4 bytes further on, even under `not`
const TRIVIAL = ['src and dst net 198.51.100.0/24', 'decnet or atalk or aarp or iso']
// on the receiving side the mix's UDP is all tagged: this one selects only stray traffic on the
// veth (seen once in .ci/run), so it may select nothing or a packet; tcpdump agrees either way
const STRAY_ONLY = 'not vlan and udp'
// the sending side: the same frames with every tag still in the data
const SEND_SIDE = ['vlan', 'vlan 100', 'vlan and vlan 200', 'vlan 10 and vlan 100 and udp', 'not vlan and udp', 'vlan and arp',
  'ether proto 0x8100', 'greater 1000', 'len >= 100 and len <= 110', 'ether[12:2] = 0x88a8', 'udp port 53', 'ip']

/** Half the expressions are given as separate words, as people type them; the rest as one string. */
const asWords = (i: number, expr: string) => i % 2 === 1 && !/(^| )-/.test(expr)

interface Run {
  expr: string
  packets: PacketRecord[]
  final: StatsRecord
  code: number | null
  stderr: string
}

interface GroupResult {
  runs: Run[]
  oracle: {lengths(f: string): number[]; count(f: string): number; dispose(): void}
  sent: number[]
}

const ft = suite('filters against tcpdump')
const ctx = {results: [] as GroupResult[], sendSide: undefined as GroupResult | undefined} as {pair: VethPair; mac: string; results: GroupResult[]; sendSide?: GroupResult}

const sh = (ns: string, ...cmd: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...cmd], {stdio: 'pipe'})

/** Captures the mix once with tcpdump and one `sockwatch capture` per expression, all on `iface` in `ns`. */
async function captureGroup(exprs: string[], ns: string, iface: string, firstIndex: number): Promise<GroupResult> {
  const pair = ctx.pair
  const tcpdump = await startTcpdump(iface, '', ns)
  const clis = exprs.map((expr, k) => {
    const filter = asWords(firstIndex + k, expr) ? expr.split(' ') : [expr]
    return {expr, proc: startProc(...inNetns(ns, process.execPath, [CLI, 'capture', '-i', iface, '--json', '--ring-size', '1M', ...filter]))}
  })
  await Promise.all(clis.map(({proc}) => proc.waitFor('stderr', /capturing on/, 60_000)))
  const out = JSON.parse(sh(pair.nsB, PYTHON, MIX, pair.ifB, ctx.mac, 'ether', '64').toString())
  const oracle = await tcpdump.finish(
    () => sh(pair.nsB, 'python3', CRAFT, pair.ifB, ctx.mac, pair.addrB, pair.addrA, pair.addr6B, pair.addr6A, 'other'),
    (l) => l.includes('0x88b5'),
  )
  const runs: Run[] = []
  for (const {expr, proc} of clis) {
    const {code} = await proc.stop('SIGINT', 30_000)
    const records = proc.stdout.filter(Boolean).map((l) => JSON.parse(l))
    runs.push({expr, code, stderr: proc.stderr.join('\n'), packets: records.filter((r) => r.type === 'packet'), final: records.find((r) => r.type === 'stats' && r.final)})
  }
  return {runs, oracle, sent: out.lengths}
}

ft.before(async () => {
  preflight(['ip', 'tcpdump', 'jq', PYTHON])
  const pair = (ctx.pair = makeVethPair('f'))
  // quiet links: no IPv6 housekeeping, room for 9000-byte frames
  for (const [ns, dev] of [[pair.nsA, pair.ifA], [pair.nsB, pair.ifB]]) {
    sh(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')
    execFileSync('ip', ['-n', ns, 'link', 'set', 'dev', dev, 'mtu', '9100'])
  }
  ctx.mac = macOf(pair.nsA, pair.ifA)
  const exprs = EXPRESSIONS.map((e) => e.replace('$MAC', ctx.mac))
  for (let i = 0; i < exprs.length; i += GROUP) ctx.results.push(await captureGroup(exprs.slice(i, i + GROUP), pair.nsA, pair.ifA, i))
  ctx.sendSide = await captureGroup(SEND_SIDE, pair.nsB, pair.ifB, 0)
})

ft.after(() => {
  // SOCKWATCH_FILTER_TABLE=FILE: each expression's counts, for a report
  const table = process.env.SOCKWATCH_FILTER_TABLE
  if (table) {
    const rows = [...ctx.results.flatMap((r, g) => r.runs.map((run, k) => ({side: 'receiving', i: g * GROUP + k, run, r}))),
      ...(ctx.sendSide?.runs ?? []).map((run, k) => ({side: 'sending', i: k, run, r: ctx.sendSide!}))]
    writeFileSync(table, rows.map(({side, i, run, r}) => [side, asWords(i, run.expr) ? 'words' : 'string', run.expr, run.packets.length, r.oracle.lengths(run.expr).length, run.final?.seen].join('\t')).join('\n') + '\n')
  }
  for (const r of [...ctx.results, ctx.sendSide]) r?.oracle.dispose()
  ctx.pair?.remove()
})

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)

ft('filters against tcpdump :: the mix is what was sent: every frame its own length, nothing else on the link', () => {
  assert.ok(EXPRESSIONS.length >= 60, `${EXPRESSIONS.length} expressions`)
  assert.ok(EXPRESSIONS.filter((e, i) => asWords(i, e)).length >= EXPRESSIONS.length / 2 - 3, 'about half as words')
  for (const r of ctx.results) {
    assert.is(new Set(r.sent).size, r.sent.length)
    const all = r.oracle.lengths('')
    // the mix and the 60-byte marker, nothing else
    assert.equal(sorted(all), sorted([...r.sent, 60]))
    assert.ok(r.sent.length >= 70, `${r.sent.length} frames`)
  }
})

const check = (side: string, result: () => GroupResult | undefined, k: number, shown: string) => {
  ft(`filters against tcpdump :: ${side}: '${shown}' is exactly tcpdump's packets, filtered in the kernel`, () => {
    const group = result()!
    const run = group.runs[k]
    const expr = run.expr
    assert.is(run.code, 0, run.stderr)
    const theirs = group.oracle.lengths(expr)
    const ours = run.packets.map((p) => p.len)
    assert.is(ours.length, theirs.length, `${expr}: sockwatch ${ours.length}, tcpdump ${theirs.length}`)
    assert.equal(sorted(ours), sorted(theirs), `${expr}: not the same packets`)
    // in the kernel: it saw the whole mix, and only what matched crossed into user space
    assert.is(run.final.matched, ours.length)
    assert.ok(run.final.seen >= group.sent.length + 1, `seen ${run.final.seen}`)
  })
}
EXPRESSIONS.forEach((e, i) => check('receiving', () => ctx.results[Math.floor(i / GROUP)], i % GROUP, e))
SEND_SIDE.forEach((e, k) => check('sending', () => ctx.sendSide, k, e))

ft('filters against tcpdump :: the expressions select some packets and leave others, but for these', () => {
  const total = ctx.results[0].sent.length + 1
  const trivial = ctx.results.flatMap((r) => r.runs.filter((run) => run.expr !== STRAY_ONLY && (run.packets.length === 0 || run.packets.length === total)).map((run) => run.expr))
  assert.equal(trivial, TRIVIAL)
})

ft.run()
