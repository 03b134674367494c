// Paths into test/fixtures/ for the unit tests.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
}

/** The lines of an NDJSON fixture, without the final newline. */
export function readNdjsonFixture(name: string): string[] {
  const text = readFileSync(fixturePath(name), 'utf8')
  if (!text.endsWith('\n')) throw new Error(`${fixturePath(name)} must end with a newline`)
  return text.slice(0, -1).split('\n')
}
