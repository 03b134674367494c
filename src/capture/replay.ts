// Reads a saved NDJSON capture (a file, or stdin) instead of the kernel.
import type {Readable} from 'node:stream'
import type {PacketRecord, StatsRecord} from '../sidecar/records.js'
import {RecordError} from '../sidecar/records.js'
import {ReplayError} from './input.js'
import {pump, RecordRouter, type PacketSink} from './router.js'

/** A sink that also takes the saved stats records (--json writes the final ones on). */
export interface ReplaySink extends PacketSink {
  stats?(record: StatsRecord): void
}

export interface ReplayOptions {
  count?: number
  predicate?: (p: PacketRecord) => boolean
  /** Stop at the first malformed line instead of skipping it. */
  strict?: boolean
  /** Gets each malformed line that is skipped. */
  onBadLine?: (error: RecordError) => void
  /** Aborting stops reading (a reader that left, Ctrl-C): what was routed so far counts. */
  signal?: AbortSignal
}

export interface ReplayResult {
  /** Packets handed to the sink. */
  read: number
  /** Malformed lines skipped. */
  skipped: number
  /** Drops the capture recorded: the sum of its final stats records (one per capture saved in
   * the file), or null when it has none (saved before they were written, or cut short). */
  dropped: number | null
  /** Flow records (flows mode), which are not packets: summary reads them. */
  flows: number
}

/** Adds up what final stats records say was dropped; null until one is seen. */
export class DropTally {
  dropped: number | null = null

  add(record: StatsRecord): void {
    if (record.final) this.dropped = (this.dropped ?? 0) + record.dropped
  }
}

// opening and sniffing the input live in input.ts; these names are where commands look for them
export {directWritten, openInput, openRecords, ReplayError} from './input.js'

/** Routes the packets of a saved capture to the sink. */
export async function replay(input: Readable, sink: ReplaySink, options: ReplayOptions = {}): Promise<ReplayResult> {
  let skipped = 0
  let flows = 0
  const drops = new DropTally()
  const router = new RecordRouter(sink, {
    onRecord(record) {
      if (record.type === 'flow') flows++
      if (record.type !== 'stats') return
      drops.add(record)
      sink.stats?.(record)
    },
    limit: options.count,
    predicate: options.predicate,
    // --json with no filter writes the lines as they are: packet lines are checked, not decoded;
    // the table decodes only the fields it shows (a filter reads any field: parseRecord then)
    fields: options.predicate ? undefined : sink.rawPackets ? [] : sink.fields,
    onFull: () => input.destroy(),
    onBadLine: options.strict ? undefined : (error) => {
      skipped++
      options.onBadLine?.(error)
    },
  })
  const stop = () => input.destroy()
  options.signal?.addEventListener('abort', stop, {once: true})
  if (options.signal?.aborted) stop()
  try {
    await pump(input, router, sink)
  } catch (error) {
    if (error instanceof RecordError) throw new ReplayError(`${error.message} (--strict stops at the first malformed line)`, {cause: error})
    // reading stops early once --count packets are out: not an error
    const stopped = router.count >= (options.count ?? Infinity) || options.signal?.aborted
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE' || !stopped) throw error
  } finally {
    options.signal?.removeEventListener('abort', stop)
  }
  return {read: router.count, skipped, dropped: drops.dropped, flows}
}
