// One run of the top view: the sidecar in flows mode feeding the controller,
// drawn by Ink on a terminal (imported only then), or printed as one plain
// block per read in a pipe.
import {linkLine} from '../output/link.js'
import type {StatsRecord} from '../sidecar/records.js'
import type {GroupBy} from '../summary/aggregate.js'
import {TopController} from './controller.js'
import {LiveTop, type LiveTopOptions} from './live.js'
import type {TopModel} from './model.js'
import {renderTop, type Units} from './view.js'

export interface TopSessionOptions extends LiveTopOptions {
  /** A pcap-filter expression, run in the kernel ('' for none). */
  filter: string
  by: GroupBy
  maxKeys?: number
  units: Units
  /** Draw with Ink (a terminal) or print plain blocks (a pipe). */
  draw: boolean
  /** A pipe's block: its width and how many rows. */
  plainWidth: number
  plainRows: number
  write(text: string): void
  /** Once the sidecar is counting (a pipe only: on a terminal the view says so). */
  onReady?(interfaces: string[]): void
  stderr?(text: string): void
}

export interface TopSessionResult {
  /** The model at the end (after any restart or --by change: the last one). */
  model: TopModel
  stats: StatsRecord
}

/** Runs until the signal, q, -d or -c; returns the last model and the final stats. */
export async function runTopSession(options: TopSessionOptions): Promise<TopSessionResult> {
  const quit = new AbortController()
  const signal = AbortSignal.any([options.signal, quit.signal])
  // eslint-disable-next-line prefer-const
  let live: LiveTop
  const controller = new TopController({
    by: options.by, intervalSeconds: options.intervalMs / 1000, maxKeys: options.maxKeys, units: options.units, mode: 'rate', filter: options.filter,
    restart: (filter) => live.restart(filter),
    quit: () => quit.abort(),
  })
  const block = () => {
    const {lines} = renderTop(controller.model, controller.state, {width: options.plainWidth, height: options.plainRows + 5, interfaces: controller.interfaces, ts: controller.ts, plain: true})
    const rows = lines.filter((line, i) => i < 2 || line !== '') // a pipe gets no blank filler
    return `${rows.join('\n')}\n\n`
  }
  live = new LiveTop({...options, signal}, {
    ready(record) {
      controller.interfaces = record.interfaces.map((i) => i.name)
      if (!options.draw) options.onReady?.(controller.interfaces)
    },
    flow: (record) => controller.flow(record),
    tick(stats, seconds) {
      controller.tick(stats, seconds)
      if (!options.draw) options.write(block())
    },
    restarting: (filter) => controller.restarting(filter),
    link: (record) => (options.draw ? controller.note(linkLine(record).replace(/^sockwatch: /, '')) : options.stderr?.(`${linkLine(record)}\n`)),
    stderr: options.stderr,
  })
  const drawn = options.draw ? (await loadApp()).drawTop(controller) : undefined
  // Ink may close on its own (an error while drawing): the run ends with it
  void drawn?.closed.then(() => quit.abort())
  try {
    const stats = await live.run(options.filter)
    return {model: controller.model, stats}
  } finally {
    controller.end()
    await drawn?.closed
  }
}

/**
 * The Ink view, imported only to draw. Ink draws nothing but its last frame when its
 * environment says CI (CI=true, as CI runners and some shells set): the view is drawn only
 * on a terminal, so the terminal decides, not the environment. Ink reads it once, as it loads.
 */
async function loadApp(): Promise<typeof import('./app.js')> {
  const saved = {CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION}
  process.env.CI = 'false'
  process.env.CONTINUOUS_INTEGRATION = 'false'
  try {
    return await import('./app.js')
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
}
