// Filter expressions. Live, the sidecar compiles them with libpcap and the kernel runs them;
// a saved NDJSON capture (-r) is filtered here, on its records (docs/filters.md).
import {FilterError} from './errors.js'

export type {FilterNode, PrimitiveNode, Side, TcpFlag} from './ast.js'
export {caret, FilterError} from './errors.js'
export {formatFilter} from './format.js'
export {parseFilter} from './parse.js'
export {matches} from './predicate.js'

/** The expression the words of a command line make: joined with spaces, as tcpdump joins them. */
export function filterText(words: readonly string[]): string {
  return words.join(' ').trim()
}

/**
 * libpcap's refusal of an expression as a FilterError: the caret goes under the word its
 * reason quotes ("unknown port 'foo'"), or under the whole expression when it quotes none.
 */
export function pcapFilterError(expression: string, message: string): FilterError {
  const quoted = [...message.matchAll(/'([^']+)'/g)].map((m) => m[1]).filter((w) => w !== expression)
  for (const word of quoted) {
    const at = expression.indexOf(word)
    if (at !== -1) return new FilterError(expression, at, word.length, message)
  }
  return new FilterError(expression, 0, expression.length, message)
}
