// Splits a filter expression into words, operators and parentheses, keeping offsets.
import {FilterError} from './errors.js'

export type TokenKind = 'word' | 'and' | 'or' | 'not' | 'lparen' | 'rparen'

/** One token; `offset` is where its text starts in the expression. */
export interface Token {
  kind: TokenKind
  text: string
  offset: number
}

const WORD_OPERATORS = new Map<string, TokenKind>([['and', 'and'], ['or', 'or'], ['not', 'not']])
const SYMBOLS: [string, TokenKind][] = [['&&', 'and'], ['||', 'or'], ['!', 'not'], ['(', 'lparen'], [')', 'rparen']]
// A word runs until whitespace or one of the operator characters.
const WORD = /[^\s()!&|]+/y

/** The tokens of an expression, or a FilterError at a stray '&' or '|'. */
export function tokenize(expression: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (at < expression.length) {
    if (/\s/.test(expression[at])) {
      at++
      continue
    }
    const symbol = SYMBOLS.find(([text]) => expression.startsWith(text, at))
    if (symbol) {
      tokens.push({kind: symbol[1], text: symbol[0], offset: at})
      at += symbol[0].length
      continue
    }
    const single = expression[at]
    if (single === '&' || single === '|') {
      const want = single === '&' ? "'&&' or 'and'" : "'||' or 'or'"
      throw new FilterError(expression, at, 1, `expected ${want}, got a single '${single}'`)
    }
    WORD.lastIndex = at
    const text = WORD.exec(expression)![0]
    tokens.push({kind: WORD_OPERATORS.get(text) ?? 'word', text, offset: at})
    at += text.length
  }
  return tokens
}
