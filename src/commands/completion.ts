import {Args, Command} from '@oclif/core'
import {bashCompletion, type CompletionCommand, type CompletionFlag} from '../completion/bash.js'

export default class Completion extends Command {
  static summary = 'Print a shell completion script: commands, flags, their values, interface names.'

  static description = `Completes commands, every flag (--no-color too), the values of --format, --by and --sort, interface names after -i, and file names after -r. zsh reads the bash script through bashcompinit.`

  static examples = [
    {description: 'This shell', command: 'source <(<%= config.bin %> <%= command.id %> bash)'},
    {description: 'Every new bash', command: '<%= config.bin %> <%= command.id %> bash | sudo tee /etc/bash_completion.d/<%= config.bin %>'},
    {description: 'zsh', command: 'autoload -U +X bashcompinit && bashcompinit && source <(<%= config.bin %> <%= command.id %> bash)'},
  ]

  static args = {
    shell: Args.string({options: ['bash'], default: 'bash', description: 'The shell (bash; zsh through bashcompinit).'}),
  }

  async run(): Promise<void> {
    await this.parse(Completion)
    const commands: CompletionCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id,
        flags: Object.entries(c.flags).map(([name, f]): CompletionFlag => ({
          name, char: f.char, type: f.type, hidden: f.hidden,
          options: f.type === 'option' ? f.options : undefined,
          allowNo: f.type === 'boolean' ? f.allowNo : undefined,
        })),
      }))
    this.log(bashCompletion(this.config.bin, commands))
  }
}
