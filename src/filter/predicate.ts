// The exact meaning of a filter on one packet record, as tcpdump would judge it.
import {inPrefix, parseAddress} from './address.js'
import {TCP_FLAGS} from './ast.js'
import type {FilterNode, Side} from './ast.js'
import {protoNumber} from './protocols.js'
import type {PacketRecord} from '../sidecar/records.js'

const addressCache = new Map<string, number[] | undefined>()
const CACHE_LIMIT = 4096

/** The bytes of a record's address text (cached: a capture sees few distinct addresses). */
function addressBytes(text: string | undefined, family: 4 | 6): number[] | undefined {
  if (text === undefined) return undefined
  let bytes = addressCache.get(text)
  if (bytes === undefined && !addressCache.has(text)) {
    if (addressCache.size >= CACHE_LIMIT) addressCache.clear()
    bytes = parseAddress(text)?.bytes
    addressCache.set(text, bytes)
  }
  return bytes && bytes.length === (family === 4 ? 4 : 16) ? bytes : undefined
}

/** Whether the packet's `side` address (either, for `either`) is in net/prefix. */
function addressMatches(packet: PacketRecord, side: Side, family: 4 | 6, net: number[], prefix: number): boolean {
  if (packet.family !== family) return false
  const hit = (text: string | undefined) => {
    const bytes = addressBytes(text, family)
    return bytes !== undefined && inPrefix(net, prefix, bytes)
  }
  if (side === 'src') return hit(packet.src)
  if (side === 'dst') return hit(packet.dst)
  if (side === 'both') return hit(packet.src) && hit(packet.dst)
  return hit(packet.src) || hit(packet.dst)
}

/** Whether the packet has ports (TCP, UDP, SCTP, UDP-Lite, DCCP; not later fragments) and one is in lo-hi. */
function portMatches(packet: PacketRecord, side: Side, lo: number, hi: number): boolean {
  if (packet.sport === undefined || packet.dport === undefined) return false
  const hit = (port: number) => port >= lo && port <= hi
  if (side === 'src') return hit(packet.sport)
  if (side === 'dst') return hit(packet.dport)
  if (side === 'both') return hit(packet.sport) && hit(packet.dport)
  return hit(packet.sport) || hit(packet.dport)
}

/** Whether a packet record passes the filter. */
export function matches(node: FilterNode, packet: PacketRecord): boolean {
  switch (node.type) {
    case 'all': return true
    case 'and': return matches(node.left, packet) && matches(node.right, packet)
    case 'or': return matches(node.left, packet) || matches(node.right, packet)
    case 'not': return !matches(node.expr, packet)
    case 'family': return packet.family === node.family
    case 'proto':
      if (packet.family !== 4 && packet.family !== 6) return false
      if (node.family !== undefined && packet.family !== node.family) return false
      return protoNumber(packet.proto) === node.proto
    case 'addr': return addressMatches(packet, node.side, node.family, node.bytes, node.prefix)
    case 'port': return portMatches(packet, node.side, node.lo, node.hi)
    case 'dir': return packet.dir === node.dir
    case 'iface': return packet.ifname === node.name
    case 'tcpflag': return typeof packet.flags === 'string' && packet.flags.includes(TCP_FLAGS[node.flag])
    case 'len': return node.op === 'ge' ? packet.len >= node.value : packet.len <= node.value
    case 'ether': return packet.family === 0 && packet.proto === node.name
    case 'vlan': return packet.vlan !== undefined && (node.id === undefined || packet.vlan === node.id)
  }
}
