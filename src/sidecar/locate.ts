// Where the compiled sidecar lives: SOCKWATCH_SIDECAR, or build/ in the package.
import {constants} from 'node:fs'
import {access} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'
import {SidecarError} from './errors.js'

/** The path the sidecar is expected at (it may not exist yet). */
export function sidecarPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOCKWATCH_SIDECAR || fileURLToPath(new URL('../../build/sockwatch-sidecar', import.meta.url))
}

/** The sidecar's path, or a SidecarError saying how to build it. */
export async function findSidecar(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = sidecarPath(env)
  try {
    await access(path, constants.X_OK)
  } catch (error) {
    throw new SidecarError(`the capture engine is not at ${path} (or not executable): run 'make' in the sockwatch checkout to build it`, {cause: error})
  }
  return path
}
