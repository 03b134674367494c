// Filter expressions: parse, compile to the kernel's clause set, and the exact predicate.
import {compileClauses} from './compile.js'
import type {ClauseSet} from './compile.js'
import type {FilterNode} from './ast.js'
import {parseFilter} from './parse.js'

export type {FilterNode, PrimitiveNode, Side, TcpFlag} from './ast.js'
export type {ClauseSet} from './compile.js'
export type {Clause, Literal} from './literals.js'
export {compileClauses, encodeClauses, NEVER} from './compile.js'
export {caret, FilterError} from './errors.js'
export {explainFilter} from './explain.js'
export {formatFilter} from './format.js'
export {MAX_CLAUSES, MAX_LITERALS} from './literals.js'
export {parseFilter} from './parse.js'
export {matches} from './predicate.js'

/** A filter ready to run: the tree, the kernel's clauses, whether they are exact, and the text. */
export interface CompiledFilter extends ClauseSet {
  ast: FilterNode
  /** The expression: the words joined with spaces, as the offsets in a FilterError count. */
  text: string
}

/** Parses and compiles the trailing words of a command line; throws a FilterError for a bad expression. */
export function compileFilter(words: string[]): CompiledFilter {
  const text = words.join(' ')
  const ast = parseFilter(text)
  return {ast, ...compileClauses(ast), text}
}
