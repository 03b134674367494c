// Kernel literals: one test on a packet, maybe negated, and how two of them relate.
import {FILTER_KINDS, LIMITS} from '../contract/contract.js'
import {addressBits, commonPrefix, formatAddress, inPrefix, maskAddress} from './address.js'
import {PORT_PROTOS} from './protocols.js'

/** Most clauses the kernel evaluates (OR). */
export const MAX_CLAUSES = LIMITS.maxClauses.value
/** Most literals in one clause (AND). */
export const MAX_LITERALS = LIMITS.maxLiterals.value

export type AddressKind = 'src' | 'dst' | 'host'
export type PortKind = 'sport' | 'dport' | 'port'

/**
 * One kernel test; `negate` flips its whole result. Without negate: `dir`, `iface`, `family`
 * compare the packet's; `proto` is the IP protocol (false for non-IP); `src`/`dst`/`host` need
 * the packet's family to be `family` and its source / destination / either address in the
 * prefix; `sport`/`dport`/`port` need the packet to have ports and its source / destination /
 * either port in lo-hi.
 */
export type Literal =
  | {kind: 'dir'; negate: boolean; dir: 'in' | 'out'}
  | {kind: 'iface'; negate: boolean; name: string}
  | {kind: 'family'; negate: boolean; family: 4 | 6}
  | {kind: 'proto'; negate: boolean; proto: number}
  | {kind: AddressKind; negate: boolean; family: 4 | 6; bytes: number[]; prefix: number}
  | {kind: PortKind; negate: boolean; lo: number; hi: number}

/** A conjunction: every literal must hold. No literals: every packet. */
export type Clause = Literal[]

export type AddressLiteral = Extract<Literal, {kind: AddressKind}>
export type PortLiteral = Extract<Literal, {kind: PortKind}>

/** The order literals are written in a clause: the contract's --clause kinds. */
export const KIND_ORDER = FILTER_KINDS.map((k) => k.name)
// every kind a literal can be is one the sidecar parses, and the other way round
const kindsAgree: [Literal['kind']] extends [(typeof FILTER_KINDS)[number]['name']] ? ([(typeof FILTER_KINDS)[number]['name']] extends [Literal['kind']] ? true : never) : never = true
void kindsAgree

export const isAddress = (l: Literal): l is AddressLiteral => l.kind === 'src' || l.kind === 'dst' || l.kind === 'host'
export const isPort = (l: Literal): l is PortLiteral => l.kind === 'sport' || l.kind === 'dport' || l.kind === 'port'

const texts = new WeakMap<Literal, string>()

/** The `--clause` text of one literal: `[!]kind=value` (literals are never mutated, so it is cached). */
export function literalText(l: Literal): string {
  let text = texts.get(l)
  if (text === undefined) {
    text = writeLiteral(l)
    texts.set(l, text)
  }
  return text
}

function writeLiteral(l: Literal): string {
  const bang = l.negate ? '!' : ''
  switch (l.kind) {
    case 'dir': return `${bang}dir=${l.dir}`
    case 'iface': return `${bang}iface=${l.name}`
    case 'family': return `${bang}family=${l.family}`
    case 'proto': return `${bang}proto=${l.proto}`
    case 'src':
    case 'dst':
    case 'host': return `${bang}${l.kind}=${formatAddress(l)}/${l.prefix}`
    case 'sport':
    case 'dport':
    case 'port': return `${bang}${l.kind}=${l.lo}-${l.hi}`
  }
}

const negations = new WeakMap<Literal, Literal>()

/** The literal with its negation flipped (the same object each time, so its text stays cached). */
export function negated(l: Literal): Literal {
  let flipped = negations.get(l)
  if (flipped === undefined) {
    flipped = {...l, negate: !l.negate}
    negations.set(l, flipped)
    negations.set(flipped, l)
  }
  return flipped
}

/** The single value of a dir, iface, family or proto literal. */
const scalar = (l: Literal): string | number | undefined =>
  l.kind === 'dir' ? l.dir : l.kind === 'iface' ? l.name : l.kind === 'family' ? l.family : l.kind === 'proto' ? l.proto : undefined

/** The literal without negation. */
const positive = (l: Literal): Literal => (l.negate ? negated(l) : l)

/** Whether `outer`'s prefix contains `inner`'s (same family). */
function covers(outer: AddressLiteral, inner: AddressLiteral): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && inPrefix(outer.bytes, outer.prefix, inner.bytes)
}

/** Every packet positive `a` accepts, positive `b` accepts too. */
function contains(a: Literal, b: Literal): boolean {
  if (isAddress(a)) {
    if (b.kind === 'family') return a.family === b.family
    return isAddress(b) && (a.kind === b.kind || b.kind === 'host') && covers(b, a)
  }
  if (isPort(a)) return isPort(b) && (a.kind === b.kind || b.kind === 'port') && b.lo <= a.lo && a.hi <= b.hi
  return a.kind === b.kind && scalar(a) === scalar(b)
}

/** No packet is accepted by both positive `a` and positive `b`. */
function disjoint(a: Literal, b: Literal): boolean {
  for (const [x, y] of [[a, b], [b, a]]) {
    if (isAddress(x) && (isAddress(y) || y.kind === 'family') && x.family !== y.family) return true
    // only TCP, UDP, DCCP, SCTP and UDP-Lite packets have ports
    if (isPort(x) && y.kind === 'proto' && !PORT_PROTOS.has(y.proto)) return true
  }
  if (a.kind !== b.kind) return false
  if (isAddress(a) && isAddress(b)) return a.kind !== 'host' && !covers(a, b) && !covers(b, a)
  if (isPort(a) && isPort(b)) return a.kind !== 'port' && (a.hi < b.lo || b.hi < a.lo)
  return scalar(a) !== scalar(b) // dir, iface, family, proto: one value per packet
}

/** Every packet `a` accepts, `b` accepts too (negations included). */
export function implies(a: Literal, b: Literal): boolean {
  if (!a.negate && !b.negate) return contains(a, b)
  if (!a.negate && b.negate) return disjoint(a, positive(b))
  if (a.negate && b.negate) return contains(positive(b), positive(a))
  // not-in is out: every packet has a direction
  return a.kind === 'dir' && b.kind === 'dir' && a.dir !== b.dir
}

/** No packet is accepted by both. */
export function contradicts(a: Literal, b: Literal): boolean {
  return implies(a, negated(b))
}

/** One positive literal accepting exactly what positive `a` or `b` accepts; 'all' for every packet; undefined if none. */
export function union(a: Literal, b: Literal): Literal | 'all' | undefined {
  if (contains(a, b)) return b
  if (contains(b, a)) return a
  if (a.kind === 'dir' && b.kind === 'dir') return 'all'
  if (isPort(a) && isPort(b)) {
    if (a.kind === b.kind && a.lo <= b.hi + 1 && b.lo <= a.hi + 1) {
      return {kind: a.kind, negate: false, lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi)}
    }
    if (a.kind !== 'port' && b.kind !== 'port' && a.kind !== b.kind && a.lo === b.lo && a.hi === b.hi) {
      return {kind: 'port', negate: false, lo: a.lo, hi: a.hi} // sport R or dport R
    }
  }
  if (isAddress(a) && isAddress(b) && a.family === b.family && a.prefix === b.prefix) {
    const same = a.bytes.every((x, i) => x === b.bytes[i])
    if (same && a.kind !== 'host' && b.kind !== 'host') return {...a, kind: 'host'} // src A or dst A
    if (a.kind === b.kind && a.prefix > 0 && commonPrefix(a.bytes, b.bytes) === a.prefix - 1) {
      return {...a, bytes: maskAddress(a.bytes, a.prefix - 1), prefix: a.prefix - 1} // two halves of one network
    }
  }
  return undefined
}

/** One positive literal accepting exactly what positive `a` and `b` both accept; 'none' if nothing; undefined if none. */
export function intersect(a: Literal, b: Literal): Literal | 'none' | undefined {
  if (contains(a, b)) return a
  if (contains(b, a)) return b
  if (disjoint(a, b)) return 'none'
  if (isPort(a) && isPort(b) && a.kind === b.kind && a.kind !== 'port') {
    return {kind: a.kind, negate: false, lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi)}
  }
  return undefined
}

/** A positive literal accepting everything positive `a` or `b` accepts, maybe more; undefined if only 'all' would. */
export function hull(a: Literal, b: Literal): Literal | undefined {
  const exact = union(a, b)
  if (exact !== undefined) return exact === 'all' ? undefined : exact
  if (isPort(a) && isPort(b)) {
    return {kind: a.kind === b.kind ? a.kind : 'port', negate: false, lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi)}
  }
  if (isAddress(a) && isAddress(b) && a.family === b.family) {
    const prefix = Math.min(a.prefix, b.prefix, commonPrefix(a.bytes, b.bytes))
    return {kind: a.kind === b.kind ? a.kind : 'host', negate: false, family: a.family, bytes: maskAddress(a.bytes, prefix), prefix}
  }
  if (isAddress(a) && isAddress(b)) return undefined
  if (isAddress(a) || isAddress(b)) {
    const [addr, other] = isAddress(a) ? [a, b] : [b, a]
    if (other.kind === 'family' && contains(addr, other)) return other
  }
  return undefined
}

/** How much a literal narrows what the kernel passes: the widening keeps the heaviest. */
export function weight(l: Literal): number {
  if (l.negate) return 1
  switch (l.kind) {
    case 'dir':
    case 'family': return 2
    case 'iface': return 3
    case 'proto': return 4
    case 'src':
    case 'dst':
    case 'host': return 5 + Math.floor((3 * l.prefix) / addressBits(l.family))
    case 'sport':
    case 'dport':
    case 'port': return 5 + (l.lo === l.hi ? 2 : l.hi - l.lo < 1024 ? 1 : 0)
  }
}

/** The values a literal is sorted by, after its kind. */
function sortValues(l: Literal): (number | string)[] {
  switch (l.kind) {
    case 'dir': return [l.dir]
    case 'iface': return [l.name]
    case 'family': return [l.family]
    case 'proto': return [l.proto]
    case 'src':
    case 'dst':
    case 'host': return [l.family, ...l.bytes, l.prefix]
    case 'sport':
    case 'dport':
    case 'port': return [l.lo, l.hi]
  }
}

/** The order literals are written in a clause: by kind, positive first, then by value. */
export function literalOrder(a: Literal, b: Literal): number {
  const byKind = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind)
  if (byKind !== 0) return byKind
  if (a.negate !== b.negate) return a.negate ? 1 : -1
  const [x, y] = [sortValues(a), sortValues(b)]
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1
  }
  return x.length - y.length
}
