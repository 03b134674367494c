// Reads a saved NDJSON capture (a file, or stdin) instead of the kernel.
import {createReadStream} from 'node:fs'
import type {Readable} from 'node:stream'
import type {PacketRecord} from '../sidecar/records.js'
import {RecordError} from '../sidecar/records.js'
import {pump, RecordRouter, type PacketSink} from './router.js'

export interface ReplayOptions {
  count?: number
  predicate?: (p: PacketRecord) => boolean
  /** Stop at the first malformed line instead of skipping it. */
  strict?: boolean
  /** Gets each malformed line that is skipped. */
  onBadLine?: (error: RecordError) => void
}

export interface ReplayResult {
  /** Packets handed to the sink. */
  read: number
  /** Malformed lines skipped. */
  skipped: number
}

/** A typed error for an input file that cannot be opened or a fatal bad line. */
export class ReplayError extends Error {
  constructor(message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'ReplayError'
  }
}

/** Opens FILE, or stdin for '-', as UTF-8 text. */
export async function openInput(path: string, stdin: Readable = process.stdin): Promise<Readable> {
  if (path === '-') return stdin.setEncoding('utf8')
  const stream = createReadStream(path, {encoding: 'utf8'})
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve())
    stream.once('error', (error: NodeJS.ErrnoException) => reject(new ReplayError(`cannot read '${path}': ${error.code === 'ENOENT' ? 'no such file' : error.message}`, {cause: error})))
  })
  return stream
}

/** Routes the packets of a saved capture to the sink. */
export async function replay(input: Readable, sink: PacketSink, options: ReplayOptions = {}): Promise<ReplayResult> {
  let skipped = 0
  const router = new RecordRouter(sink, {
    limit: options.count,
    predicate: options.predicate,
    onFull: () => input.destroy(),
    onBadLine: options.strict ? undefined : (error) => {
      skipped++
      options.onBadLine?.(error)
    },
  })
  try {
    await pump(input, router, sink)
  } catch (error) {
    if (error instanceof RecordError) throw new ReplayError(`${error.message} (--strict stops at the first malformed line)`, {cause: error})
    // reading stops early once --count packets are out: not an error
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE' || router.count < (options.count ?? Infinity)) throw error
  }
  return {read: router.count, skipped}
}
