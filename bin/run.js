#!/usr/bin/env node
import {execute} from '@oclif/core'
import {systemErrorText} from '../dist/lib/process-io.js'

// oclif rethrows every stdout error but EPIPE from an 'error' listener: a stack
// trace. Streaming commands watch stdout themselves (and end with their closing
// line); for anything else, one sentence and exit 1.
process.stdout.removeAllListeners('error')
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE' || process.stdout.listenerCount('error') > 1) return
  process.stderr.write(`sockwatch: cannot write to standard output: ${systemErrorText(error)}\n`)
  process.exit(1)
})

await execute({dir: import.meta.url})
