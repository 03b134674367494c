// Compiles a parsed filter to the kernel's clause set: at most 8 clauses (OR) of at most 8 literals (AND).
import type {FilterNode, PrimitiveNode} from './ast.js'
import {andDnf, EVERYTHING, NOTHING, orDnf, simplifyDnf} from './dnf.js'
import type {Dnf} from './dnf.js'
import {literalText, MAX_CLAUSES, MAX_LITERALS} from './literals.js'
import type {Clause, Literal} from './literals.js'
import {joinDown, narrowClause, widen} from './widen.js'

/** What the kernel runs. No clauses: every packet. `exact: false`: it passes a superset, and the CLI must apply `matches`. */
export interface ClauseSet {
  clauses: Clause[]
  exact: boolean
}

/** The clause set for an expression that can match nothing: `family=4,!family=4`. */
export const NEVER: Clause = [{kind: 'family', negate: false, family: 4}, {kind: 'family', negate: true, family: 4}]

/** Most clauses an intermediate result may have before it is widened (bounds the work on huge expressions). */
const WORK_LIMIT = 32
/** Most literals an intermediate clause may have before it is narrowed. */
const WIDTH_LIMIT = 2 * MAX_LITERALS

/** The compilation's one piece of state: whether anything was widened. */
interface Progress {
  exact: boolean
}

/** A DNF with at most `limit` clauses, widened (and so marked inexact) if it had more. */
function bound(dnf: Dnf, limit: number, progress: Progress): Dnf {
  if (dnf.length <= limit) return dnf
  progress.exact = false
  return joinDown(dnf, limit)
}

/** `a and b`, with the operands widened first if their product would exceed the work limit. */
function and(a: Dnf, b: Dnf, progress: Progress): Dnf {
  let [x, y] = [a, b]
  while (x.length * y.length > WORK_LIMIT) {
    progress.exact = false
    // shrink the larger side, but not below the square root of the limit while the other is large too
    const target = (other: Dnf) => Math.max(Math.floor(WORK_LIMIT / other.length), Math.floor(Math.sqrt(WORK_LIMIT)))
    if (x.length >= y.length) x = joinDown(x, target(y))
    else y = joinDown(y, target(x))
  }
  const product = andDnf(x, y)
  if (product.every((c) => c.length <= WIDTH_LIMIT)) return bound(product, WORK_LIMIT, progress)
  progress.exact = false
  return bound(simplifyDnf(product.map((c) => narrowClause(c, WIDTH_LIMIT))), WORK_LIMIT, progress)
}

/** A literal without its negate flag (Omit over each member of the union). */
type Body<L = Literal> = L extends Literal ? Omit<L, 'negate'> : never

const lit = (negate: boolean, l: Body): Dnf => [[{...l, negate} as Literal]]

/** One primitive (negated if `negate`) as a DNF of literals. */
function primitiveDnf(node: PrimitiveNode, negate: boolean, progress: Progress): Dnf {
  switch (node.type) {
    case 'family': return lit(negate, {kind: 'family', family: node.family})
    case 'proto': {
      const proto = lit(negate, {kind: 'proto', proto: node.proto})
      if (node.family === undefined) return proto
      const family = lit(negate, {kind: 'family', family: node.family})
      // icmp is family 4 and proto 1; not icmp is not family 4, or not proto 1
      return negate ? orDnf(family, proto) : andDnf(family, proto)
    }
    case 'addr': {
      const kind = node.side === 'either' ? 'host' : node.side
      return lit(negate, {kind, family: node.family, bytes: node.bytes, prefix: node.prefix})
    }
    case 'port': {
      const kind = node.side === 'either' ? 'port' : node.side === 'src' ? 'sport' : 'dport'
      return lit(negate, {kind, lo: node.lo, hi: node.hi})
    }
    case 'dir': return lit(negate, {kind: 'dir', dir: node.dir})
    case 'iface': return lit(negate, {kind: 'iface', name: node.name})
    case 'tcpflag':
      // the kernel has no flags literal: a TCP packet may have the flag; a packet without it may be anything
      progress.exact = false
      return negate ? EVERYTHING : lit(false, {kind: 'proto', proto: 6})
  }
}

/** The node (negated if `negate`) as a DNF, negations pushed down to the literals. */
function toDnf(node: FilterNode, negate: boolean, progress: Progress): Dnf {
  switch (node.type) {
    case 'all': return negate ? NOTHING : EVERYTHING
    case 'not': return toDnf(node.expr, !negate, progress)
    case 'and':
    case 'or': {
      const left = toDnf(node.left, negate, progress)
      const right = toDnf(node.right, negate, progress)
      // De Morgan: not (a and b) is not a or not b
      if ((node.type === 'and') !== negate) return and(left, right, progress)
      return bound(orDnf(left, right), WORK_LIMIT, progress)
    }
    default: return primitiveDnf(node, negate, progress)
  }
}

/** The kernel clause set for a parsed filter, exact when the kernel alone decides. */
export function compileClauses(ast: FilterNode): ClauseSet {
  const progress: Progress = {exact: true}
  const dnf = toDnf(ast, false, progress)
  if (dnf.length === 0) return {clauses: [NEVER], exact: progress.exact}
  const {dnf: fitted, widened} = widen(dnf, MAX_CLAUSES, MAX_LITERALS)
  const exact = progress.exact && !widened
  if (fitted.length === 1 && fitted[0].length === 0) return {clauses: [], exact}
  if (fitted.length === 0) return {clauses: [NEVER], exact}
  return {clauses: fitted, exact}
}

/** One `--clause` argument per clause: comma-separated `[!]kind=value` literals (docs/filters.md). */
export function encodeClauses(clauses: Clause[]): string[] {
  return clauses.map((clause) => clause.map(literalText).join(','))
}

