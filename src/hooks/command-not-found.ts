// `sockwatch capure`: one sentence with the closest command, instead of oclif's boxed error.
import type {Hook} from '@oclif/core'
import {suggest} from '../cli/usage-errors.js'
import {EXIT} from '../sidecar/errors.js'

const hook: Hook.CommandNotFound = async function (options) {
  const commands = options.config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const hint = suggest(options.id, commands)
  const typed = options.id.replaceAll(':', ' ')
  const bin = options.config.bin
  const where = hint ? `did you mean '${bin} ${hint.replaceAll(':', ' ')}'?` : `'${bin} --help' lists the commands`
  process.stderr.write(`${bin}: '${typed}' is not a ${bin} command; ${where}\n`)
  this.exit(EXIT.usage)
}

export default hook
