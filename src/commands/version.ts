import {Command} from '@oclif/core'

export default class Version extends Command {
  static summary = 'Print the version of sockwatch (also -V, --version).'

  async run(): Promise<void> {
    this.log(this.config.userAgent)
  }
}
