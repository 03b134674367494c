// The one error a filter expression can raise: where in the expression, and why.

/** A bad filter expression: the message is one sentence quoting the offending word. */
export class FilterError extends Error {
  /** The whole expression, as the words joined with spaces. */
  readonly expression: string
  /** Where the offending word starts (the expression's length when it ended too soon). */
  readonly offset: number
  /** How long the offending word is (0 at the end of the expression). */
  readonly length: number

  constructor(expression: string, offset: number, length: number, message: string) {
    super(message)
    this.name = 'FilterError'
    this.expression = expression
    this.offset = offset
    this.length = length
  }

  /** The expression and a line of carets under the offending word. */
  caret(): string {
    return caret(this.expression, this.offset, this.length)
  }
}

/** Two lines: the expression, then `^` under the characters [offset, offset + length). */
export function caret(expression: string, offset: number, length = 1): string {
  const at = Math.max(0, Math.min(offset, expression.length))
  return `${expression}\n${' '.repeat(at)}${'^'.repeat(Math.max(1, length))}`
}
