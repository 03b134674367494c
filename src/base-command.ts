// Shared by every command: turns the library's typed errors into one clear
// sentence on stderr and the right exit code, never a stack trace.
import {Command, Errors, Flags} from '@oclif/core'
import {ReplayError} from './capture/replay.js'
import {FilterError} from './filter/index.js'
import {InputError} from './lib/duration.js'
import {closingLine} from './output/format.js'
import {EXIT, SidecarError} from './sidecar/errors.js'

export abstract class BaseCommand extends Command {
  static baseFlags = {
    verbose: Flags.boolean({
      char: 'v',
      description: "Show the capture engine's own log (libbpf, the verifier) on stderr.",
      helpGroup: 'GLOBAL',
    }),
    color: Flags.boolean({
      allowNo: true,
      description: 'Colour on a terminal (the default there); --no-color or NO_COLOR turn it off. Never in a pipe.',
      helpGroup: 'GLOBAL',
    }),
  }

  protected async catch(error: Error & {exitCode?: number}): Promise<void> {
    if (error instanceof SidecarError) {
      if (error.partial) this.logToStderr(closingLine(error.partial))
      this.logToStderr(`sockwatch: ${error.message}`)
      const tail = error.stderrTail.trim()
      if (tail) {
        this.logToStderr(tail.split('\n').slice(-10).map((l) => `  | ${l}`).join('\n'))
      }
      this.exit(error.exitCode)
    }
    if (error instanceof FilterError) {
      // the expression with a caret under the offending word, then usage's exit code
      this.logToStderr(`sockwatch: ${error.message}\n${error.caret().split('\n').map((l) => `  ${l}`).join('\n')}`)
      this.exit(EXIT.usage)
    }
    if (error instanceof ReplayError) {
      this.logToStderr(`sockwatch: ${error.message}`)
      this.exit(EXIT.runtime)
    }
    if (error instanceof InputError) {
      throw new Errors.CLIError(error.message, {exit: EXIT.usage})
    }
    return super.catch(error)
  }
}
