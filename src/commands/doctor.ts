import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {runChecks} from '../doctor/checks.js'
import {throwIfFailed, watchOutput} from '../lib/process-io.js'

export default class Doctor extends BaseCommand {
  static summary = 'Check that this machine can capture: kernel, BPF, privileges, the sidecar.'

  static description = 'Runs each check and prints one line for it, ✔ or ✘ with what to do. The last check really loads the filter and attaches it to lo for 50 ms. Exits 1 when capture cannot work.'

  static examples = [
    '<%= config.bin %> <%= command.id %>',
    `<%= config.bin %> <%= command.id %> --json | jq -c '.[] | select(.ok | not)'`,
  ]

  static flags = {
    json: Flags.boolean({description: 'The checks as a JSON array.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Doctor)
    const checks = await runChecks()
    const text = flags.json
      ? JSON.stringify(checks, null, 2)
      : checks.map((c) => `${c.ok ? '✔' : c.critical ? '✘' : '!'} ${c.name}: ${c.detail}${!c.ok && c.fix ? ` — ${c.fix}` : ''}`).join('\n')
    const io = watchOutput()
    try {
      io.write(`${text}\n`)
      await io.flushed()
      throwIfFailed(io)
    } finally {
      io.dispose()
    }
    if (checks.some((c) => c.critical && !c.ok)) this.exit(1)
  }
}
