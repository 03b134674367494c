// The top view's state between the kernel and the screen: the model the flow
// records feed, the view state the keys change, and what a key asks for (a new
// filter in the kernel, a new --by). No terminal here: Ink draws it (app.ts), a
// pipe prints it (view.ts).
import {explainFilter} from '../capture/explain.js'
import {FilterError} from '../filter/index.js'
import {InputError} from '../lib/duration.js'
import type {GroupBy} from '../summary/aggregate.js'
import type {FlowRecord, StatsRecord} from '../sidecar/records.js'
import {onKey, type KeyPress} from './keys.js'
import {TopModel} from './model.js'
import {rowsFor, sortOf, type ViewState} from './view.js'

export interface TopControllerOptions {
  by: GroupBy
  intervalSeconds: number
  maxKeys?: number
  units: 'bits' | 'bytes'
  mode: 'rate' | 'total'
  filter: string
  /** Asks the kernel to run a new filter (LiveTop.restart). */
  restart(filter: string): void
  /** Asks to end the run. */
  quit(): void
}

export class TopController {
  model: TopModel
  state: ViewState
  interfaces: string[] = []
  ts: number | undefined
  /** The run has ended (or the user quit): the screen can go. */
  done = false
  private readonly listeners = new Set<() => void>()

  constructor(private readonly options: TopControllerOptions) {
    this.model = this.newModel(options.by)
    this.state = {
      mode: options.mode, rateSort: '2s', totalSort: 'bytes', by: options.by, units: options.units,
      paused: false, offset: 0, help: false, filter: options.filter,
    }
  }

  /** Called after every change the screen should show; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  flow(record: FlowRecord): void {
    this.model.addFlow(record)
  }

  tick(stats: StatsRecord, seconds: number): void {
    this.model.tick(stats, seconds)
    this.ts = stats.ts
    this.changed()
  }

  /** The sidecar starts again with a new filter: counting starts again. */
  restarting(filter: string): void {
    this.model = this.newModel(this.state.by)
    this.state = {...this.state, filter, offset: 0, message: `counting again with ${filter ? `'${filter}'` : 'no filter'}`}
    this.changed()
  }

  /** The run is over: the screen closes. */
  end(): void {
    this.done = true
    this.changed()
  }

  /** One line for the user (a link going down, a refused filter). */
  note(message: string): void {
    this.state = {...this.state, message}
    this.changed()
  }

  /** A key from the terminal, with the screen's height in lines. */
  key(key: KeyPress, height: number): void {
    // keys typed faster than the terminal is read (or pasted) arrive as one chunk: one at a time
    if ([...key.input].length > 1 && !key.ctrl) {
      for (const c of key.input) this.key(c === '\r' || c === '\n' ? {input: '', return: true} : {input: c}, height)
      return
    }
    const {state, effect} = onKey(this.state, key, this.model.count(this.state.mode), rowsFor(height))
    this.state = state
    if (effect?.type === 'quit') this.options.quit()
    else if (effect?.type === 'by') {
      this.model = this.newModel(state.by)
      this.state = {...this.state, message: `by ${state.by}: counting again`}
    } else if (effect?.type === 'filter') void this.applyFilter(effect.text)
    this.changed()
  }

  /** The sort key shown (for tests and the pipe). */
  get sort(): string {
    return sortOf(this.state)
  }

  /** libpcap checks the expression first (the sidecar's --explain, no privilege), so a bad one never stops what runs. */
  private async applyFilter(text: string): Promise<void> {
    const filter = text.trim()
    try {
      if (filter) await explainFilter(filter)
      this.state = {...this.state, message: `starting the kernel filter '${filter}'…`}
      this.options.restart(filter)
    } catch (error) {
      if (!(error instanceof FilterError || error instanceof InputError)) throw error
      // keep what runs now, and say why the new one was refused
      this.state = {...this.state, message: `filter refused: ${error.message}`}
    }
    this.changed()
  }

  private newModel(by: GroupBy): TopModel {
    return new TopModel({by, intervalSeconds: this.options.intervalSeconds, maxKeys: this.options.maxKeys})
  }

  private changed(): void {
    for (const listener of this.listeners) listener()
  }
}
