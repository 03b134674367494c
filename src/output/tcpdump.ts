// A packet in tcpdump -n's words (tcpdump 4.99): what follows the timestamp on its line.
// Only what a record holds is printed: TCP sequence numbers, windows and options, and ICMP
// echo ids and sequence numbers are not in a record, so those parts of tcpdump's line are
// left out (README, "capture").
import {IP_PROTOCOLS, TEXT_WORDS} from '../contract/contract.js'
import type {PacketRecord} from '../sidecar/records.js'

// the names are the contract's (TEXT_WORDS), which sidecar/text.c prints from too
const FLAG_ORDER = 'FSRPAUEC'
const tcpFlagLetter = (f: string) => TEXT_WORDS.tcpFlags[FLAG_ORDER.indexOf(f)]
const named = (table: Record<number, string>, n: number | undefined): string | undefined => (n === undefined ? undefined : table[n])

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`
const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`
const protoNumber: Record<string, number> = Object.fromEntries(IP_PROTOCOLS.map((p) => [p.name, p.number]))
const numberOf = (proto: string | number) => (typeof proto === 'number' ? proto : protoNumber[proto])

/** tcpdump's "length": the payload it names (a record without paylen, from an older sockwatch: the frame). */
const length = (p: PacketRecord) => p.paylen ?? p.len

const hostPort = (address: string | undefined, port: number | undefined) => (port === undefined ? address ?? '-' : `${address}.${port}`)

function tcpText(p: PacketRecord): string {
  if (p.flags === undefined) return '[|tcp]'
  const flags = p.flags === '' ? 'none' : [...p.flags].map(tcpFlagLetter).join('')
  return `Flags [${flags}], length ${length(p)}`
}

// tcpdump's ICMP unreachable: "ICMP 192.0.2.2 udp port 7777 unreachable", "ICMP host 198.51.100.9 unreachable"
function icmpUnreachable(p: PacketRecord): string {
  const where = p.inner_dst ?? '?'
  switch (p.icmp_code) {
    case 0: return `net ${where} unreachable`
    case 1: return `host ${where} unreachable`
    case 2: return `${where} protocol ${numberOf(p.inner_proto ?? 0)} unreachable`
    case 3: return p.inner_dport === undefined ? `${where} port unreachable` : `${where} ${p.inner_proto} port ${p.inner_dport} unreachable`
    case 4: return `${where} unreachable - need to frag`
    default: return `${where} unreachable - #${p.icmp_code}`
  }
}

function icmpText(p: PacketRecord): string {
  if (p.icmp_type === undefined) return 'ICMP [|icmp]'
  let what: string
  switch (p.icmp_type) {
    case 3: what = icmpUnreachable(p); break
    case 5: what = `redirect ${p.inner_dst ?? '?'}`; break
    case 11: what = named(TEXT_WORDS.icmpTimeExceeded, p.icmp_code) ?? TEXT_WORDS.icmpTimeExceeded[0]; break
    default: what = named(TEXT_WORDS.icmpTypes, p.icmp_type) ?? `type-#${p.icmp_type}`
  }
  return `ICMP ${what}, length ${length(p)}`
}

function icmp6Text(p: PacketRecord): string {
  if (p.icmp_type === undefined) return 'ICMP6 [|icmp6]'
  const name = named(TEXT_WORDS.icmp6Types, p.icmp_type) ?? `type-#${p.icmp_type}`
  let detail = ''
  if (p.icmp_type === 1) {
    const code = named(TEXT_WORDS.icmp6Unreach, p.icmp_code) ?? `unknown unreach code (${p.icmp_code})`
    detail = p.icmp_code === 4 && p.inner_dport !== undefined ? `, ${code}, ${p.inner_dst} ${p.inner_proto} port ${p.inner_dport}`
      : p.inner_dst !== undefined ? `, ${code} ${p.inner_dst}` : `, ${code}`
  } else if (p.icmp_type === 135 && p.nd_target) {
    return `ICMP6, ${name}, who has ${p.nd_target}, length ${length(p)}`
  } else if (p.icmp_type === 136 && p.nd_target) {
    return `ICMP6, ${name}, tgt is ${p.nd_target}, length ${length(p)}`
  }
  return `ICMP6, ${name}${detail}, length ${length(p)}`
}

/** The part after "src > dst: " of an IP packet. */
function ipPayload(p: PacketRecord): string {
  if (p.malformed) return `[malformed: ${p.malformed}]`
  if (p.frag === 'later') return `ip-proto-${numberOf(p.proto)}`
  switch (p.proto) {
    case 'tcp': return tcpText(p)
    case 'udp': return p.sport === undefined ? '[|udp]' : `UDP, length ${length(p)}`
    case 'icmp': return icmpText(p)
    case 'icmp6': return icmp6Text(p)
    case 'gre': return `GREv0, length ${length(p)}`
    case 'sctp': return 'sctp'
    default: return `ip-proto-${numberOf(p.proto)} ${length(p)}`
  }
}

function arpText(p: PacketRecord): string {
  if (p.arp_op === 1) return `Request who-has ${p.arp_tpa} tell ${p.arp_spa}, length ${length(p)}`
  if (p.arp_op === 2) return `Reply ${p.arp_spa} is-at ${p.arp_sha}, length ${length(p)}`
  return `Unknown opcode ${p.arp_op}, length ${length(p)}`
}

/** What tcpdump -n prints after the timestamp; with `link`, tcpdump -n -e's (MACs, ethertype, frame length first). */
export function tcpdumpBody(p: PacketRecord, link = false): string {
  let body: string
  if (p.family !== 0) {
    const ports = p.frag !== 'later'
    body = `${link ? '' : p.family === 6 ? 'IP6 ' : 'IP '}${hostPort(p.src, ports ? p.sport : undefined)} > ${hostPort(p.dst, ports ? p.dport : undefined)}: ${ipPayload(p)}`
  } else if (p.proto === 'arp') {
    body = p.arp_op === undefined ? `ARP, length ${length(p)}` : `${link ? '' : 'ARP, '}${arpText(p)}`
  } else if (p.proto === 'llc') {
    body = `LLC, dsap ${hex2(p.llc_dsap ?? 0)}, ssap ${hex2(p.llc_ssap ?? 0)}, length ${length(p)}`
  } else if (p.malformed) {
    body = `[malformed: ${p.malformed}]`
  } else {
    const t = p.ethertype ?? 0
    body = `${link ? '' : `ethertype ${named(TEXT_WORDS.ethertypes, t) ?? 'Unknown'} (${hex4(t)}), `}length ${length(p)}`
  }
  if (p.unwalked) body += ` [unwalked: ${p.unwalked}]`
  else if (p.truncated && !/\[\|/.test(body)) body += ' [|truncated]'
  if (!link || p.smac === undefined) return body
  // -e: "src > dst, ethertype IPv4 (0x0800), length 142: ..." ("802.3, length N" for LLC)
  const type = p.proto === 'llc' ? `802.3, length ${p.len - 14}` : linkType(p)
  return `${p.smac} > ${p.dmac}, ${type}: ${p.vlan !== undefined ? `vlan ${p.vlan}, ` : ''}${body}`
}

function linkType(p: PacketRecord): string {
  const t = p.family === 4 ? 0x0800 : p.family === 6 ? 0x86dd : p.ethertype ?? 0
  const outer = p.vlan !== undefined ? 0x8100 : t
  return `ethertype ${named(TEXT_WORDS.ethertypes, outer) ?? 'Unknown'} (${hex4(outer)}), length ${p.len}`
}
