// Writes a parsed filter back as an expression, one pair of parentheses per and/or.
import {addressBits, formatAddress} from './address.js'
import type {FilterNode, Side} from './ast.js'
import {protoName} from './protocols.js'

const sidePrefix = (side: Side): string => (side === 'either' ? '' : side === 'both' ? 'src and dst ' : `${side} `)

/** Canonical text of a tree: `((port 80 or port 443) and tcp)`; parsing it gives the same tree. */
export function formatFilter(node: FilterNode): string {
  switch (node.type) {
    case 'all': return ''
    case 'and':
    case 'or': return `(${formatFilter(node.left)} ${node.type} ${formatFilter(node.right)})`
    case 'not': return `not ${formatFilter(node.expr)}`
    case 'family': return node.family === 4 ? 'ip' : 'ip6'
    case 'proto': {
      if (node.family === undefined && (node.proto === 6 || node.proto === 17)) return protoName(node.proto)!
      if (node.family === 4 && node.proto === 1) return 'icmp'
      if (node.family === 6 && node.proto === 58) return 'icmp6'
      const family = node.family === undefined ? '' : node.family === 4 ? 'ip ' : 'ip6 '
      return `${family}proto ${protoName(node.proto) ?? node.proto}`
    }
    case 'addr': {
      const text = formatAddress(node)
      if (node.prefix === addressBits(node.family)) return `${sidePrefix(node.side)}host ${text}`
      return `${sidePrefix(node.side)}net ${text}/${node.prefix}`
    }
    case 'port':
      if (node.lo === node.hi) return `${sidePrefix(node.side)}port ${node.lo}`
      return `${sidePrefix(node.side)}portrange ${node.lo}-${node.hi}`
    case 'dir': return node.dir
    case 'iface': return `iface ${node.name}`
    case 'tcpflag': return `tcpflags ${node.flag}`
    case 'len': return `${node.op === 'ge' ? 'greater' : 'less'} ${node.value}`
    case 'ether': return node.name
    case 'vlan': return node.id === undefined ? 'vlan' : `vlan ${node.id}`
  }
}
