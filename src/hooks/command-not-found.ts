// `sockwatch capure`: one sentence with the closest command, instead of oclif's boxed error.
import type {Config, Hook} from '@oclif/core'
import {suggest} from '../cli/usage-errors.js'
import {EXIT} from '../sidecar/errors.js'

const hook: Hook.CommandNotFound = async function (options) {
  process.stderr.write(`${notACommand(options.id, options.config)}\n`)
  this.exit(EXIT.usage)
}

/** The sentence for a command id that names no command (also `sockwatch help ID`). */
export function notACommand(id: string, config: Pick<Config, 'bin' | 'commands'>): string {
  const commands = config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const hint = suggest(id, commands)
  const typed = id.replaceAll(':', ' ')
  const bin = config.bin
  const where = hint ? `did you mean '${bin} ${hint.replaceAll(':', ' ')}'?` : `'${bin} --help' lists the commands`
  return `${bin}: '${typed}' is not a ${bin} command; ${where}`
}

export default hook
