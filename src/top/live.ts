// The kernel's flow counts for the top view: the sidecar in flows mode, run
// again with new kernel clauses when the user types a new filter ('/').
import {capture} from '../capture/session.js'
import type {FlowRecord, LinkRecord, ReadyRecord, StatsRecord} from '../sidecar/records.js'

export interface LiveTopOptions {
  interfaces?: string[]
  /** How often the sidecar reads the kernel's flow table (ms). */
  intervalMs: number
  /** Stop after this long, across restarts. */
  durationMs?: number
  /** Stop once the kernel has matched this many packets (checked at each read). */
  count?: number
  flowEntries?: number
  verbose?: number
  /** Aborting ends the run cleanly (the sidecar's last read is still delivered). */
  signal: AbortSignal
}

export interface LiveTopHooks {
  ready(record: ReadyRecord): void
  flow(record: FlowRecord): void
  /** A read is complete: its stats and the seconds since the previous one (or since ready). */
  tick(stats: StatsRecord, seconds: number): void
  /** The sidecar is being started again with this filter (the counts start again). */
  restarting?(filter: string): void
  link?(record: LinkRecord): void
  stderr?(text: string): void
}

/** Runs the sidecar until the signal, -d or -c; restart() swaps the kernel filter. */
export class LiveTop {
  private next: string | undefined
  private stopRun: AbortController | undefined

  constructor(private readonly options: LiveTopOptions, private readonly hooks: LiveTopHooks) {}

  /** Ends the current sidecar and starts one with `filter` (already checked by the caller). */
  restart(filter: string): void {
    this.next = filter
    this.stopRun?.abort()
  }

  /** Runs to the end; returns the final stats of the last sidecar. */
  async run(filter: string): Promise<StatsRecord> {
    const {options, hooks} = this
    const deadline = options.durationMs === undefined ? undefined : Date.now() + options.durationMs
    let current = filter
    for (;;) {
      const stop = (this.stopRun = new AbortController())
      const signal = AbortSignal.any([options.signal, stop.signal])
      let since: number | undefined
      const result = await capture(
        {
          mode: 'flows', intervalMs: options.intervalMs, interfaces: options.interfaces, flowEntries: options.flowEntries, verbose: options.verbose,
          durationMs: deadline === undefined ? undefined : Math.max(1, deadline - Date.now()),
          filter: current === '' ? undefined : current, signal,
        },
        {
          ready(record) {
            since = record.ts
            hooks.ready(record)
          },
          flow: (record) => hooks.flow(record),
          stats(record) {
            hooks.tick(record, since === undefined ? 0 : Math.max(0, record.ts - since))
            since = record.ts
            if (options.count !== undefined && record.matched >= options.count) stop.abort()
          },
          link: hooks.link,
          stderr: hooks.stderr,
        },
      )
      const next = this.next
      this.next = undefined
      const timeLeft = deadline === undefined || Date.now() < deadline
      if (next === undefined || options.signal.aborted || !timeLeft) return result.stats
      current = next
      hooks.restarting?.(current)
    }
  }
}
