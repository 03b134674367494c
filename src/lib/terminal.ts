// Whether a line redrawn on stderr can share the screen with what stdout shows.
import {fstatSync} from 'node:fs'

/** The terminal device behind a descriptor, or undefined when it is not a terminal. */
function terminalDevice(fd: number, isTTY: boolean | undefined): number | undefined {
  if (!isTTY) return undefined
  try {
    return fstatSync(fd).rdev
  } catch {
    return undefined
  }
}

/**
 * A status line on stderr only when stdout is the same terminal: with stdout in a
 * pipe (`| grep`) the reader's own output would land in the middle of the line.
 */
export function statusLineFits(stdout: {fd: number; isTTY?: boolean} = process.stdout, stderr: {fd: number; isTTY?: boolean} = process.stderr): boolean {
  const out = terminalDevice(stdout.fd, stdout.isTTY)
  return out !== undefined && out === terminalDevice(stderr.fd, stderr.isTTY)
}
