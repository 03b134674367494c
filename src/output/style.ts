// Colour for people on a terminal: off in pipes, with NO_COLOR, or --no-color;
// --color asks for it anywhere (a pager such as `less -R`).

export interface Style {
  bold(text: string): string
  dim(text: string): string
}

const PLAIN: Style = {bold: (t) => t, dim: (t) => t}
const ANSI: Style = {bold: (t) => `\x1b[1m${t}\x1b[22m`, dim: (t) => `\x1b[2m${t}\x1b[22m`}

/** ANSI styling when asked for (--color), or on a terminal when nobody turned colour off. */
export function styleFor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env, flag?: boolean): Style {
  if (flag === true) return ANSI
  const off = flag === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')
  return isTTY && !off ? ANSI : PLAIN
}
