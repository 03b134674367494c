// Where the compiled sidecar lives: SOCKWATCH_SIDECAR; build/ in a checkout; or, for
// `make install`, PREFIX/libexec/sockwatch beside PREFIX/lib/sockwatch (the CLI).
import {constants} from 'node:fs'
import {access} from 'node:fs/promises'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {SidecarError} from './errors.js'

const BUILT = fileURLToPath(new URL('../../build/sockwatch-sidecar', import.meta.url))
const INSTALLED = fileURLToPath(new URL('../../../../libexec/sockwatch/sockwatch-sidecar', import.meta.url))
// The file reader: beside the sidecar, but 0755 with no capabilities (reading a file needs none).
const READER_BUILT = fileURLToPath(new URL('../../build/sockwatch-read', import.meta.url))
const READER_INSTALLED = fileURLToPath(new URL('../../../../libexec/sockwatch/sockwatch-read', import.meta.url))

/** The path the sidecar is expected at (it may not exist yet). */
export function sidecarPath(env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): string {
  return pick(env.SOCKWATCH_SIDECAR, BUILT, INSTALLED, exists)
}

/** The override; else the checkout's build, unless only the installed copy exists. */
function pick(override: string | undefined, built: string, installed: string, exists: (path: string) => boolean): string {
  if (override) return override
  return !exists(built) && exists(installed) ? installed : built
}

/** The sidecar's path, or a SidecarError saying how to build or reach it. */
export async function findSidecar(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = sidecarPath(env)
  try {
    await access(path, constants.X_OK)
  } catch (error) {
    if (path === INSTALLED) {
      throw new SidecarError(`you may not run the capture engine at ${path}: only root and members of the 'sockwatch' group may; an administrator adds you with 'sudo usermod -aG sockwatch ${process.env.USER ?? 'USER'}' (then log in again)`, {cause: error})
    }
    throw new SidecarError(`the capture engine is not at ${path} (or not executable): run 'make' in the sockwatch checkout to build it`, {cause: error})
  }
  return path
}

/** The path the file reader (pcap, pcapng) is expected at: SOCKWATCH_READER, build/, or the installed one. */
export function readerPath(env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): string {
  return pick(env.SOCKWATCH_READER, READER_BUILT, READER_INSTALLED, exists)
}

/** The file reader's path, or a SidecarError saying how to build it. */
export async function findReader(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = readerPath(env)
  try {
    await access(path, constants.X_OK)
  } catch (error) {
    throw new SidecarError(`the pcap file reader is not at ${path} (or not executable): run 'make' in the sockwatch checkout to build it`, {cause: error})
  }
  return path
}
