// What each key does to the view: a pure step from one state to the next, and
// what the app must do beyond redrawing (quit, run a new filter in the kernel).
import {GROUP_BY} from '../summary/aggregate.js'
import {RATE_SORTS, TOTAL_SORTS} from './model.js'
import type {ViewState} from './view.js'

/** A key as Ink reports it: the text typed, and the special keys. */
export interface KeyPress {
  input: string
  upArrow?: boolean
  downArrow?: boolean
  pageUp?: boolean
  pageDown?: boolean
  home?: boolean
  end?: boolean
  return?: boolean
  escape?: boolean
  backspace?: boolean
  delete?: boolean
  ctrl?: boolean
}

export type Effect = {type: 'quit'} | {type: 'filter'; text: string} | {type: 'by'}

export interface Step {
  state: ViewState
  effect?: Effect
}

const cycle = <T>(list: readonly T[], value: T, step: 1 | -1): T => list[(list.indexOf(value) + step + list.length) % list.length]

/** The next state after a key, for `rows` rows in the view and `page` rows on screen. */
export function onKey(state: ViewState, key: KeyPress, rows: number, page: number): Step {
  if (key.ctrl && key.input === 'c') return {state, effect: {type: 'quit'}}
  // typing a filter: every key edits it until Enter or Esc
  if (state.input !== undefined) {
    if (key.escape) return {state: {...state, input: undefined}}
    if (key.return) return {state: {...state, input: undefined}, effect: {type: 'filter', text: state.input.trim()}}
    if (key.backspace || key.delete) return {state: {...state, input: state.input.slice(0, -1)}}
    if (key.input && !key.ctrl) return {state: {...state, input: state.input + key.input}}
    return {state}
  }
  if (state.help) return key.input === 'q' ? {state, effect: {type: 'quit'}} : {state: {...state, help: false}}
  const last = Math.max(0, rows - page)
  const scroll = (offset: number) => ({state: {...state, offset: Math.min(last, Math.max(0, offset))}})
  if (key.upArrow) return scroll(state.offset - 1)
  if (key.downArrow) return scroll(state.offset + 1)
  if (key.pageUp) return scroll(state.offset - page)
  if (key.pageDown) return scroll(state.offset + page)
  if (key.home) return scroll(0)
  if (key.end) return scroll(last)
  switch (key.input) {
    case 'q': return {state, effect: {type: 'quit'}}
    case 'p': return {state: {...state, paused: !state.paused}}
    case 's':
    case 'S': {
      const step = key.input === 's' ? 1 : -1
      return state.mode === 'rate'
        ? {state: {...state, rateSort: cycle(RATE_SORTS, state.rateSort, step), offset: 0}}
        : {state: {...state, totalSort: cycle(TOTAL_SORTS, state.totalSort, step), offset: 0}}
    }
    case 't': return {state: {...state, mode: state.mode === 'rate' ? 'total' : 'rate', offset: 0}}
    case 'b': return {state: {...state, by: cycle(GROUP_BY, state.by, 1), offset: 0}, effect: {type: 'by'}}
    case 'u': return {state: {...state, units: state.units === 'bits' ? 'bytes' : 'bits'}}
    case '/': return {state: {...state, input: state.filter}}
    case '?': return {state: {...state, help: true}}
    default: return {state}
  }
}
