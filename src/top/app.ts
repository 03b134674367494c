// The top view on a terminal, drawn by Ink: it redraws after each read of the
// kernel's table, on a key and on a resize, and reads keys in raw mode. Loaded
// only by the commands that draw it (Ink and React take a while to import).
import {Box, render, Text, useApp, useInput, useStdin, useStdout} from 'ink'
import {createElement as h, useEffect, useMemo, useRef, useState} from 'react'
import type {TopController} from './controller.js'
import {renderTop} from './view.js'

interface Props {
  controller: TopController
}

/** The terminal's size now, and again on every resize. */
function useTerminalSize(): {columns: number; rows: number} {
  const {stdout} = useStdout()
  const read = () => ({columns: stdout.columns || 80, rows: stdout.rows || 24})
  const [size, setSize] = useState(read)
  useEffect(() => {
    const resized = () => setSize(read())
    stdout.on('resize', resized)
    return () => {
      stdout.off('resize', resized)
    }
  }, [stdout])
  return size
}

function TopApp({controller}: Props) {
  const {exit} = useApp()
  const {isRawModeSupported} = useStdin()
  const size = useTerminalSize()
  // one line short of the screen: Ink redraws in place only below the terminal's height
  const height = Math.max(8, size.rows - 1)
  const [tick, setTick] = useState(0)
  const frozen = useRef<string[] | undefined>(undefined)
  useEffect(() => controller.subscribe(() => setTick((n) => n + 1)), [controller])
  useEffect(() => controller.subscribe(() => {
    if (controller.done) exit()
  }), [controller, exit])
  useInput((input, key) => controller.key({...key, input}, height), {isActive: isRawModeSupported === true})
  const {state} = controller
  const view = useMemo(() => renderTop(controller.model, state, {width: size.columns, height, interfaces: controller.interfaces, ts: controller.ts}), [tick, state, size.columns, height])
  // pause freezes the rows; the title, keys and footer still answer
  if (!state.paused) frozen.current = view.lines
  const lines = state.paused && frozen.current ? [view.lines[0], ...frozen.current.slice(1, -1), view.lines.at(-1)!] : view.lines
  return h(Box, {flexDirection: 'column'}, ...lines.map((line, i) => h(Text, {key: i, bold: i === view.header, wrap: 'truncate'}, line === '' ? ' ' : line)))
}

export interface DrawnTop {
  /** Resolves once the view is gone (quit, or the run ended). */
  closed: Promise<void>
}

/** Draws the view on the terminal until the controller is done or the user quits. */
export function drawTop(controller: TopController): DrawnTop {
  const app = render(h(TopApp, {controller}), {exitOnCtrlC: false, patchConsole: false, maxFps: 20})
  return {closed: app.waitUntilExit().then(() => undefined)}
}
