// What tshark and tcpdump make of the frames in a pcap, as the packet record sockwatch
// should write for each: the oracle side of test/integration/decode-oracle.test.ts.
// Every expected value comes from the oracles' output, parsed; none is written here.
import {execFileSync} from 'node:child_process'
import {IP_PROTOCOLS, ETHERTYPES} from '../../src/contract/contract.js'

const TSHARK_FIELDS = [
  'eth.src', 'eth.dst', 'frame.len', 'eth.type', 'vlan.id', 'vlan.etype', 'ieee8021ad.id',
  'llc.dsap', 'llc.ssap', 'frame.protocols',
  'ip.src', 'ip.dst', 'ip.proto', 'ip.flags.mf', 'ip.frag_offset',
  'ipv6.src', 'ipv6.dst', 'ipv6.nxt', 'ipv6.hopopts.nxt', 'ipv6.dstopts.nxt', 'ipv6.routing.nxt', 'ipv6.fraghdr.nxt', 'ipv6.fraghdr.offset',
  'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'udp.srcport', 'udp.dstport', 'sctp.srcport', 'sctp.dstport',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
  'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
] as const
type TsharkField = (typeof TSHARK_FIELDS)[number]
/** Every occurrence of each field in one frame, outermost first. */
export type TsharkFrame = Record<TsharkField, string[]>

/** tshark's fields for each frame of the capture, by source MAC (each test frame has its own). */
export function tsharkFrames(pcap: string): Map<string, TsharkFrame> {
  const args = ['-r', pcap, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=;', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])]
  const out = execFileSync('tshark', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20})
  const frames = new Map<string, TsharkFrame>()
  for (const line of out.split('\n').filter(Boolean)) {
    const cols = line.split('\t')
    const frame = Object.fromEntries(TSHARK_FIELDS.map((f, i) => [f, cols[i] ? cols[i].split(';') : []])) as TsharkFrame
    frames.set(frame['eth.src'][0], frame)
  }
  return frames
}

/** tcpdump -nn -e -v's text for each frame (its first line and continuation lines), by source MAC. */
export function tcpdumpBlocks(pcap: string): Map<string, string> {
  const out = execFileSync('tcpdump', ['-nn', '-e', '-v', '-r', pcap], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20})
  const blocks = new Map<string, string>()
  let mac = ''
  for (const line of out.split('\n')) {
    const head = /^\d\d:\d\d:\d\d\.\d+ ([0-9a-f:]{17}) > /.exec(line)
    if (head) {
      mac = head[1]
      blocks.set(mac, line)
    } else if (mac && line) {
      blocks.set(mac, `${blocks.get(mac)}\n${line}`)
    }
  }
  return blocks
}

const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s))
const ipProto = (n: number) => IP_PROTOCOLS.find((p) => p.number === n)?.name ?? n
const etherProto = (t: number) => ETHERTYPES.find((e) => (e.ethertypes as readonly number[]).includes(t))?.name ?? `0x${t.toString(16).padStart(4, '0')}`
const IP6_EXT = new Set([0, 43, 44, 51, 60])
const VLAN_TPIDS = new Set([0x8100, 0x88a8, 0x9100])

/** TCP flags as sockwatch writes them (FSRPAUEC) from tshark's bitmask. */
function tcpFlags(mask: number): string {
  return 'FSRPAUEC'.split('').filter((_, i) => mask & (1 << i)).join('')
}

/** The parser's depth limits (bpf/sockwatch.h, docs/events.md). */
export const LIMITS = {vlanTags: 8, ip6Ext: 16}

/**
 * The packet record fields sockwatch must write for a frame, from tshark's decoding and
 * tcpdump's verdicts (truncated: tcpdump's "[|proto]" or "truncated-ip"; malformed: its
 * bad-version/bad-hlen/bad-len/bad hdr length).
 */
export function expectedRecord(t: TsharkFrame, dump: string, dir: 'in' | 'out'): Record<string, unknown> {
  const e: Record<string, unknown> = {dir, len: num(t['frame.len'][0]), smac: t['eth.src'][0], dmac: t['eth.dst'][0]}
  const outer = Number(t['eth.type'][0] ?? NaN)
  // tags, outermost first: an 802.1ad outer tag is tshark's ieee8021ad, the rest vlan
  const tags = [...t['ieee8021ad.id'], ...t['vlan.id']].map(Number)
  if (tags.length) e.vlan = tags[0]
  // the type after each 802.1Q tag (tshark has none for an 802.1ad tag; the shapes put 802.1Q tags inside)
  const inner = t['vlan.etype'].map(Number)
  const ethertype = inner.length ? inner[inner.length - 1] : outer
  if (Number.isNaN(outer)) {
    // 802.3: a length field, then LLC (raw IPX has no LLC header: its first bytes, 0xffff, stand in)
    e.family = 0
    e.proto = 'llc'
    const raw = t['frame.protocols'][0]?.includes(':ipx') && !t['llc.dsap'].length
    e.llc_dsap = raw ? 0xff : num(t['llc.dsap'][0])
    e.llc_ssap = raw ? 0xff : num(t['llc.ssap'][0])
    return finish(e, dump)
  }
  if (tags.length > LIMITS.vlanTags) {
    // the 9th tag is where the walk stops: its TPID is the ethertype, nothing inside is decoded
    e.family = 0
    // the type field before the 9th tag: tshark shows it after the 8th, when that is an 802.1Q tag
    const before = inner[LIMITS.vlanTags - 1 - t['ieee8021ad.id'].length]
    e.ethertype = VLAN_TPIDS.has(before) ? before : 0x8100
    e.proto = etherProto(e.ethertype as number)
    e.unwalked = 'vlan_tags'
    return e
  }
  if (ethertype === 0x0800 && t['ip.src'].length) {
    e.family = 4
    e.src = t['ip.src'][0]
    e.dst = t['ip.dst'][0]
    const proto = Number(t['ip.proto'][0])
    e.proto = ipProto(proto)
    const mf = t['ip.flags.mf'][0] === '1' || t['ip.flags.mf'][0] === 'True'
    const offset = Number(t['ip.frag_offset'][0] ?? 0)
    if (mf || offset) e.frag = offset ? 'later' : 'first'
    transport(e, t, proto, offset === 0)
    if (e.frag === 'first') fragmentPorts(e, dump, proto)
    if (proto === 1 && e.icmp_type !== undefined && [3, 4, 5, 11, 12].includes(e.icmp_type as number) && t['ip.dst'].length > 1) {
      e.inner_dst = t['ip.dst'][1]
      quoted(e, t, Number(t['ip.proto'][1]))
    }
    return finish(e, dump)
  }
  if (ethertype === 0x86dd && t['ipv6.src'].length) {
    e.family = 6
    e.src = t['ipv6.src'][0]
    e.dst = t['ipv6.dst'][0]
    // the chain: the IPv6 header's next header, then each extension header's
    const chain = [t['ipv6.nxt'][0], ...t['ipv6.hopopts.nxt'], ...t['ipv6.routing.nxt'], ...t['ipv6.dstopts.nxt'], ...t['ipv6.fraghdr.nxt']].map(Number)
    const exts = chain.filter((n) => IP6_EXT.has(n)).length
    let proto = chain.find((n) => !IP6_EXT.has(n)) ?? chain[chain.length - 1]
    const fragOffset = num(t['ipv6.fraghdr.offset'][0])
    if (fragOffset !== undefined) e.frag = fragOffset ? 'later' : 'first'
    if (exts > LIMITS.ip6Ext) {
      proto = 60 // the first header past the limit (the shapes' long chains are destination options)
      e.unwalked = 'ip6_headers'
      e.proto = ipProto(proto)
      return finish(e, dump)
    }
    // an extension header the datagram ends inside is where the walk stops (tcpdump's [|dstopt])
    const cut = /\[\|(hbhopt|srcrt|frag|dstopt|ah)\]/.exec(dump)?.[1]
    if (cut) proto = {hbhopt: 0, srcrt: 43, frag: 44, dstopt: 60, ah: 51}[cut]!
    e.proto = ipProto(proto)
    transport(e, t, proto, !fragOffset)
    if (e.frag === 'first') fragmentPorts(e, dump, proto)
    if (proto === 58 && e.icmp_type !== undefined && (e.icmp_type as number) >= 1 && (e.icmp_type as number) <= 4 && t['ipv6.dst'].length > 1) {
      e.inner_dst = t['ipv6.dst'][1]
      quoted(e, t, Number(t['ipv6.nxt'][1]))
    }
    return finish(e, dump)
  }
  e.family = 0
  e.ethertype = ethertype
  e.proto = etherProto(ethertype)
  if (ethertype === 0x0806 && t['arp.opcode'].length) {
    e.arp_op = Number(t['arp.opcode'][0])
    e.arp_sha = t['arp.src.hw_mac'][0]
    e.arp_spa = t['arp.src.proto_ipv4'][0]
    e.arp_tpa = t['arp.dst.proto_ipv4'][0]
  }
  return finish(e, dump)
}

/** Ports, TCP flags and ICMP type/code of the outermost transport header tshark decoded. */
function transport(e: Record<string, unknown>, t: TsharkFrame, proto: number, first: boolean): void {
  if (!first) return
  const port = (name: 'tcp' | 'udp' | 'sctp') => {
    const s = num(t[`${name}.srcport`][0])
    if (s !== undefined) [e.sport, e.dport] = [s, num(t[`${name}.dstport`][0])]
  }
  if (proto === 6) {
    port('tcp')
    if (t['tcp.flags'].length) e.flags = tcpFlags(Number(t['tcp.flags'][0]))
  } else if (proto === 17) port('udp')
  else if (proto === 132) port('sctp')
  else if (proto === 1 && t['icmp.type'].length) [e.icmp_type, e.icmp_code] = [num(t['icmp.type'][0]), num(t['icmp.code'][0])]
  else if (proto === 58 && t['icmpv6.type'].length) [e.icmp_type, e.icmp_code] = [num(t['icmpv6.type'][0]), num(t['icmpv6.code'][0])]
}

/** tshark leaves a first fragment's transport header undecoded (it waits to reassemble);
 * tcpdump prints its ports: "192.0.2.2.40002 > 192.0.2.1.31082:" or, after an IPv6
 * fragment header, "41000 > 31010:". */
function fragmentPorts(e: Record<string, unknown>, dump: string, proto: number): void {
  if (e.sport !== undefined || ![6, 17, 132].includes(proto)) return
  const m = /\.(\d+) > [\d.]+\.(\d+):|\) (\d+) > (\d+):/.exec(dump)
  if (m) [e.sport, e.dport] = [Number(m[1] ?? m[3]), Number(m[2] ?? m[4])]
}

/** The quoted datagram of an ICMP error: protocol and destination port. */
function quoted(e: Record<string, unknown>, t: TsharkFrame, proto: number): void {
  e.inner_proto = ipProto(proto)
  const port = proto === 6 ? t['tcp.dstport'][0] : proto === 17 ? t['udp.dstport'][0] : undefined
  if (port !== undefined) e.inner_dport = Number(port)
}

/** tcpdump's verdicts: truncated, or which malformation. */
function finish(e: Record<string, unknown>, dump: string): Record<string, unknown> {
  if (/\[\|\w+\]|truncated-ip/.test(dump)) e.truncated = true
  if (/wrong link-layer encapsulation|version error/.test(dump)) e.malformed = 'ip_version'
  else if (/bad-hlen/.test(dump)) e.malformed = 'ip_header_length'
  else if (/bad-len/.test(dump)) e.malformed = 'ip_total_length'
  else if (/bad hdr length \d+ - too short/.test(dump)) e.malformed = 'tcp_header_length'
  if (e.malformed && e.malformed !== 'tcp_header_length') {
    // the IP header is not decoded: no addresses, the ethertype is the protocol
    for (const k of ['src', 'dst', 'sport', 'dport', 'flags', 'icmp_type', 'icmp_code', 'frag']) delete e[k]
    if (e.family !== 0) e.ethertype = e.family === 6 ? 0x86dd : 0x0800
    e.family = 0
    e.proto = etherProto(e.ethertype as number)
  }
  return e
}

/** The fields a comparison covers: every one expectedRecord can set. */
export const COMPARED = ['dir', 'len', 'smac', 'dmac', 'vlan', 'family', 'proto', 'ethertype', 'src', 'dst', 'sport', 'dport', 'flags',
  'icmp_type', 'icmp_code', 'frag', 'llc_dsap', 'llc_ssap', 'arp_op', 'arp_sha', 'arp_spa', 'arp_tpa', 'inner_dst', 'inner_proto',
  'inner_dport', 'truncated', 'malformed', 'unwalked'] as const
