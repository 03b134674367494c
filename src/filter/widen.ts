// Makes a DNF fit a size by accepting more packets: drop literals, join clauses.
import {simplifyClause, simplifyDnf} from './dnf.js'
import type {Dnf} from './dnf.js'
import {hull, implies, intersect, literalOrder, negated, weight} from './literals.js'
import type {Clause, Literal} from './literals.js'

/** The clause keeping its `max` heaviest literals (on a tie, the earlier ones). */
export function narrowClause(clause: Clause, max: number): Clause {
  const heaviest = clause.map((l, i) => ({l, i})).sort((a, b) => weight(b.l) - weight(a.l) || a.i - b.i)
  return heaviest.slice(0, max).map(({l}) => l).sort(literalOrder)
}

/** The heaviest literal covering `x` and some literal of `others` (a hull or, for negations, `not (x' and y')`). */
function bestCover(x: Literal, others: Clause): Literal | undefined {
  let best: Literal | undefined
  for (const y of others) {
    if (x.negate !== y.negate) continue
    let cover: Literal | undefined
    if (!x.negate) {
      cover = hull(x, y) // `port 80 or port 443` within `port 80-443`
    } else {
      const both = intersect(negated(x), negated(y)) // `not x or not y` is `not (x and y)`
      cover = both === undefined || both === 'none' ? undefined : negated(both)
    }
    if (cover && (!best || weight(cover) > weight(best))) best = cover
  }
  return best
}

/** One clause accepting every packet `a` or `b` accepts, maybe more; null if neither can accept any. */
function joinClauses(a: Clause, b: Clause): Clause | null {
  const out: Literal[] = []
  for (const x of a) if (b.some((y) => implies(y, x))) out.push(x)
  for (const y of b) if (a.some((x) => implies(x, y))) out.push(y)
  for (const [xs, ys] of [[a, b], [b, a]]) {
    for (const x of xs) {
      const cover = bestCover(x, ys)
      if (cover) out.push(cover)
    }
  }
  return simplifyClause(out)
}

const clauseWeight = (clause: Clause): number => clause.reduce((sum, l) => sum + weight(l), 0)

/**
 * The DNF joined down to at most `target` clauses, in rounds: each round scores every pair by
 * the weight its join keeps and joins the best pairs that share no clause.
 */
export function joinDown(dnf: Dnf, target: number): Dnf {
  let clauses = dnf
  while (clauses.length > target) {
    const pairs: {i: number; j: number; joined: Clause | null; score: number}[] = []
    for (let i = 0; i < clauses.length; i++) {
      for (let j = i + 1; j < clauses.length; j++) {
        const joined = joinClauses(clauses[i], clauses[j])
        pairs.push({i, j, joined, score: joined === null ? Number.POSITIVE_INFINITY : clauseWeight(joined)})
      }
    }
    pairs.sort((a, b) => b.score - a.score || a.i - b.i || a.j - b.j) // stable and deterministic
    const used = new Set<number>()
    const out: (Clause | null)[] = [...clauses]
    let count = clauses.length
    for (const {i, j, joined} of pairs) {
      if (count <= target) break
      if (used.has(i) || used.has(j)) continue
      used.add(i).add(j)
      out[i] = joined // null: neither clause can match, so both go
      out[j] = null
      count -= joined === null ? 2 : 1
    }
    clauses = simplifyDnf(out.filter((c): c is Clause => c !== null))
  }
  return clauses
}

/** A DNF of at most `maxClauses` clauses of at most `maxLiterals` literals accepting a superset; `widened` if it accepts more. */
export function widen(dnf: Dnf, maxClauses: number, maxLiterals: number): {dnf: Dnf; widened: boolean} {
  let widened = false
  let clauses = dnf
  for (;;) {
    if (clauses.some((c) => c.length > maxLiterals)) {
      widened = true
      clauses = simplifyDnf(clauses.map((c) => (c.length > maxLiterals ? narrowClause(c, maxLiterals) : c)))
    }
    if (clauses.length <= maxClauses) return {dnf: clauses, widened}
    widened = true
    clauses = joinDown(clauses, maxClauses)
  }
}
