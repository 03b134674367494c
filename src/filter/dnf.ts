// Disjunctions of clauses: and, or, and simplifications that keep the meaning exactly.
import {contradicts, implies, intersect, literalOrder, literalText, negated, union} from './literals.js'
import type {Clause, Literal} from './literals.js'

/** Clauses joined by OR. `[]` matches nothing; `[[]]` (one empty clause) matches everything. */
export type Dnf = Clause[]

export const NOTHING: Dnf = []
export const EVERYTHING: Dnf = [[]]

/** The literals without those another one implies (of two equivalent ones, the first stays); one pass. */
function dropImplied(lits: Literal[]): Literal[] {
  const alive = lits.map(() => true)
  for (let i = 0; i < lits.length; i++) {
    for (let j = 0; j < lits.length && alive[i]; j++) {
      if (i === j || !alive[j] || !implies(lits[j], lits[i])) continue
      if (j < i || !implies(lits[i], lits[j])) alive[i] = false
    }
  }
  return lits.filter((_, i) => alive[i])
}

/** The first pair of literals that is one literal (`sport 1-10 and sport 5-20` is `sport 5-10`), combined; null if they contradict. */
function combineOnePair(lits: Literal[]): Literal[] | null | undefined {
  for (let i = 0; i < lits.length; i++) {
    for (let j = i + 1; j < lits.length; j++) {
      const [a, b] = [lits[i], lits[j]]
      if (a.negate !== b.negate) continue
      // `not port 1 and not port 2` is `not port 1-2`
      const both = a.negate ? union(negated(a), negated(b)) : intersect(a, b)
      if (both === undefined) continue
      if (both === 'none' || both === 'all') return null
      const out = lits.filter((_, k) => k !== i && k !== j)
      out.push(a.negate ? negated(both) : both)
      return out
    }
  }
  return undefined
}

/** The clause with duplicates and implied literals gone and ranges combined, sorted; null if it can never hold. */
export function simplifyClause(clause: Clause): Clause | null {
  let lits = [...clause]
  for (;;) {
    const seen = new Set<string>()
    lits = lits.filter((l) => !seen.has(literalText(l)) && seen.add(literalText(l)))
    for (let i = 0; i < lits.length; i++) {
      for (let j = i + 1; j < lits.length; j++) if (contradicts(lits[i], lits[j])) return null
    }
    lits = dropImplied(lits)
    const combined = combineOnePair(lits)
    if (combined === null) return null
    if (combined === undefined) return lits.sort(literalOrder)
    lits = combined
  }
}

/** The one clause equivalent to `a or b` when they differ in a single literal, else undefined. */
function mergeExactly(a: Clause, b: Clause): Clause | undefined {
  if (a.length !== b.length) return undefined
  const keysB = new Set(b.map(literalText))
  const onlyA = a.filter((l) => !keysB.has(literalText(l)))
  if (onlyA.length !== 1) return undefined
  const keysA = new Set(a.map(literalText))
  const onlyB = b.filter((l) => !keysA.has(literalText(l)))
  if (onlyB.length !== 1) return undefined
  const [x, y] = [onlyA[0], onlyB[0]]
  const rest = a.filter((l) => l !== x)
  if (x.negate !== y.negate) {
    // `S and x or S and not x` is S
    return literalText(negated(x)) === literalText(y) ? rest : undefined
  }
  const either = x.negate ? intersect(negated(x), negated(y)) : union(x, y)
  if (either === undefined) return undefined
  if (either === 'all' || either === 'none') return rest // `not x or not y` with x, y disjoint is true
  return [...rest, x.negate ? negated(either) : either]
}

/** Whether every packet `b` accepts, `a` accepts too (so `a or b` is `a`). */
function subsumes(a: Clause, b: Clause): boolean {
  return a.every((x) => b.some((y) => implies(y, x)))
}

/** The clauses without those another implies (of two equivalent ones, the first stays); one pass. */
function dropSubsumed(clauses: Clause[]): Clause[] {
  const alive = clauses.map(() => true)
  for (let i = 0; i < clauses.length; i++) {
    for (let j = 0; j < clauses.length && alive[i]; j++) {
      if (i === j || !alive[j] || !subsumes(clauses[j], clauses[i])) continue
      // j accepts everything i does; if i also accepts everything j does, keep the earlier
      if (j < i || !subsumes(clauses[i], clauses[j])) alive[i] = false
    }
  }
  return clauses.filter((_, i) => alive[i])
}

/** Simplified clauses, none implied by another, merged where a pair is one clause; EVERYTHING if one is empty. */
export function simplifyDnf(dnf: Dnf): Dnf {
  let clauses: Clause[] = []
  for (const clause of dnf) {
    const simple = simplifyClause(clause)
    if (simple === null) continue
    if (simple.length === 0) return EVERYTHING
    clauses.push(simple)
  }
  for (let changed = true; changed;) {
    changed = false
    clauses = dropSubsumed(clauses)
    for (let i = 0; i < clauses.length; i++) {
      for (let j = i + 1; j < clauses.length; j++) {
        const merged = mergeExactly(clauses[i], clauses[j])
        if (merged === undefined) continue
        const simple = simplifyClause(merged)
        if (simple !== null && simple.length === 0) return EVERYTHING
        clauses.splice(j, 1)
        if (simple === null) {
          clauses.splice(i, 1)
          j = i // clause i is gone: compare the next one from its start
        } else {
          clauses[i] = simple
          j = i // clause i changed: compare it again with every later one
        }
        changed = true
      }
    }
  }
  return clauses
}

/** `a or b`. */
export function orDnf(a: Dnf, b: Dnf): Dnf {
  return simplifyDnf([...a, ...b])
}

/** `a and b`: every clause of a with every clause of b. */
export function andDnf(a: Dnf, b: Dnf): Dnf {
  const out: Dnf = []
  for (const x of a) for (const y of b) out.push([...x, ...y])
  return simplifyDnf(out)
}

