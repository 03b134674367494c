// The CLI in one module, bundled by make into dist/bundle/main.js (esbuild): a start
// reads one file instead of hundreds, and oclif finds the commands and the hook here
// (package.json oclif.commands: explicit), so it scans no command directory and loads
// no plugin. Heavy dependencies (Ink, prom-client) stay behind dynamic imports: chunks.
import {execute, settings} from '@oclif/core'
import Capture from './commands/capture.js'
import Completion from './commands/completion.js'
import Doctor from './commands/doctor.js'
import Export from './commands/export.js'
import Help from './commands/help.js'
import Summary from './commands/summary.js'
import Top from './commands/top.js'
import Version from './commands/version.js'
import commandNotFound from './hooks/command-not-found.js'

// compiled code only: never look for a TypeScript compiler (10 MB) to map dist to src
settings.enableAutoTranspile = false

export const COMMANDS = {capture: Capture, completion: Completion, doctor: Doctor, export: Export, help: Help, summary: Summary, top: Top, version: Version}
export {commandNotFound, execute}
export {systemErrorText} from './lib/process-io.js'
