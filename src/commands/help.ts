// `sockwatch help [COMMAND]`: what @oclif/plugin-help's command does, here so that it is
// in the bundle (a plugin is looked up and imported from node_modules at every start).
import {Args, Command, Flags, loadHelpClass} from '@oclif/core'
import {notACommand} from '../hooks/command-not-found.js'
import {EXIT} from '../sidecar/errors.js'

export default class Help extends Command {
  static summary = 'Display help for <%= config.bin %>.'

  static args = {
    command: Args.string({description: 'Command to show help for.', required: false}),
  }

  static flags = {
    'nested-commands': Flags.boolean({char: 'n', description: 'Include all nested commands in the output.'}),
  }

  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    try {
      await new HelpClass(this.config, {all: flags['nested-commands']}).showHelp(argv as string[])
    } catch (error) {
      // oclif's boxed "Command nosuch not found.": the sentence `sockwatch nosuch` gives
      const missing = /^Command (\S+) not found\.$/.exec((error as Error).message)
      if (!missing) throw error
      process.stderr.write(`${notACommand(missing[1], this.config)}\n`)
      this.exit(EXIT.usage)
    }
  }
}
