// Says, as lines of text, what runs in the kernel and what the CLI checks (for --explain).
import {encodeClauses} from './compile.js'
import type {ClauseSet} from './compile.js'
import type {FilterNode} from './ast.js'
import {formatFilter} from './format.js'

/** Lines describing a compiled filter; the command prints them. */
export function explainFilter(compiled: ClauseSet & {ast: FilterNode; text: string}): string[] {
  const parsed = formatFilter(compiled.ast)
  const lines = [`filter:     ${compiled.text.trim() === '' ? '(none: every packet)' : compiled.text}`]
  if (parsed !== '') lines.push(`parsed as:  ${parsed}`)
  const n = compiled.clauses.length
  if (n === 0) lines.push('kernel:     no clauses: every packet passes')
  else lines.push(`kernel:     ${n} clause${n === 1 ? '' : 's'} (a packet passes if every literal of any one clause holds)`)
  for (const clause of encodeClauses(compiled.clauses)) lines.push(`  --clause ${clause}`)
  lines.push(compiled.exact
    ? 'user space: nothing; the kernel applies the whole filter'
    : 'user space: the kernel passes a superset; each packet it passes is checked against the parsed filter')
  return lines
}
