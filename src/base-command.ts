// Shared by every command: a command line read the way tcpdump users type it,
// and every error turned into one `sockwatch: …` sentence on stderr with the
// right exit code, never a stack trace.
import {Command, Errors, Flags} from '@oclif/core'
import type {Interfaces} from '@oclif/core'
import {ReplayError} from './capture/replay.js'
import {flagCount, normalizeBooleanFlags, type FlagShape, type RawToken} from './cli/argv.js'
import {failureReport, internalFailure, type Failure} from './cli/failure.js'
import {isParseError, parseErrorSentence, type ParseErrorShape} from './cli/usage-errors.js'
import {OutputError, STDOUT_CLOSED_ENV} from './lib/process-io.js'
import {EXIT} from './sidecar/errors.js'

export {STDOUT_CLOSED_ENV}

export abstract class BaseCommand extends Command {
  static baseFlags = {
    verbose: Flags.boolean({
      char: 'v',
      description: "The capture engine's decisions, interface events and, on failure, the verifier's log on stderr; -vv adds libbpf's debug log.",
      helpGroup: 'GLOBAL',
    }),
    color: Flags.boolean({
      allowNo: true,
      description: 'Colour: on by default on a terminal; --color forces it (also in a pipe), --no-color or NO_COLOR turn it off.',
      helpGroup: 'GLOBAL',
    }),
  }

  /** How many times -v was given: 1 for the engine's decisions, 2 adds libbpf's debug log. */
  protected verbosity = 0
  /** The parser's raw tokens, in the order the user typed them. */
  protected rawTokens: RawToken[] = []

  public async init(): Promise<void> {
    const closed = process.env[STDOUT_CLOSED_ENV] === '1'
    delete process.env[STDOUT_CLOSED_ENV]
    // every command writes its result to stdout: with nowhere to write, stop before starting
    if (closed) throw new OutputError('it is closed (Bad file descriptor); redirect it to a file or /dev/null instead', {code: 'EBADF'})
    await super.init()
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  protected async parse<F extends Interfaces.OutputFlags<any>, B extends Interfaces.OutputFlags<any>, A extends Interfaces.OutputArgs<any>>(options?: Interfaces.Input<F, B, A>, argv: string[] = this.argv): Promise<Interfaces.ParserOutput<F, B, A>> {
    const flags = {...(options?.baseFlags ?? {}), ...(options?.flags ?? {})} as Record<string, FlagShape>
    const parsed = await super.parse(options, normalizeBooleanFlags(argv, flags))
    this.rawTokens = parsed.raw as RawToken[]
    this.verbosity = flagCount(this.rawTokens, 'verbose')
    return parsed
  }

  /** Every flag name this command takes, for "did you mean". */
  private flagNames(): string[] {
    const ctor = this.constructor as typeof Command
    const names = Object.entries({...ctor.baseFlags, ...ctor.flags}).flatMap(([name, f]) => (f.type === 'boolean' && f.allowNo ? [name, `no-${name}`] : [name]))
    return [...names, 'help']
  }

  private fail(message: string, exitCode: number): never {
    this.logToStderr(`sockwatch: ${message}`)
    return this.exit(exitCode)
  }

  protected async catch(error: Error): Promise<void> {
    // this.exit() inside run() or below: already said, just leave with its code
    if (error instanceof Errors.ExitError) throw error
    if (error instanceof ReplayError) this.fail(error.message, error.exitCode ?? EXIT.runtime)
    const known = failureReport(error)
    if (known) this.report(known)
    if (isParseError(error)) this.fail(`${parseErrorSentence(error as ParseErrorShape, this.flagNames())}; see '${this.config.bin} ${this.id} --help'`, EXIT.usage)
    if (error instanceof Errors.CLIError) {
      // this.error(): the message is already a sentence
      const exit = typeof error.oclif?.exit === 'number' ? error.oclif.exit : EXIT.runtime
      this.fail(error.message.replace(/\s*\n\s*/g, ' '), exit)
    }
    this.report(internalFailure(error))
  }

  private report(failure: Failure): never {
    for (const line of failure.lines) this.logToStderr(line)
    return this.exit(failure.exit)
  }
}
