// Colour for people on a terminal only: off in pipes, with NO_COLOR, or --no-color.

export interface Style {
  bold(text: string): string
  dim(text: string): string
}

const PLAIN: Style = {bold: (t) => t, dim: (t) => t}
const ANSI: Style = {bold: (t) => `\x1b[1m${t}\x1b[22m`, dim: (t) => `\x1b[2m${t}\x1b[22m`}

/** ANSI styling when the stream is a terminal and nobody turned colour off. */
export function styleFor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env, flag?: boolean): Style {
  const off = flag === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')
  return isTTY && !off ? ANSI : PLAIN
}
