// A terminal for tests: a detached tmux session of a given size running one
// command, read with capture-pane and polled (bounded) for what a test waits for.
import {execFileSync} from 'node:child_process'
import {rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

// a tmux server of our own: other tmux users on the machine neither see nor disturb it
const SOCKET = join(tmpdir(), `sockwatch-tmux-${process.pid}.sock`)
const tmux = (...args: string[]) => execFileSync('tmux', ['-S', SOCKET, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
let serverUp = false

/** Starts the server once, kept up between sessions (so a new session never meets one shutting down). */
function ensureServer(): void {
  if (serverUp) return
  tmux('start-server', ';', 'set-option', '-g', 'exit-empty', 'off')
  serverUp = true
}

/** Ends the test's tmux server and every session in it. */
export function stopTerminals(): void {
  if (!serverUp) return
  serverUp = false
  try {
    tmux('kill-server')
  } catch {
    // already gone
  }
  rmSync(SOCKET, {force: true})
}

export interface Terminal {
  name: string
  /** The visible screen, one string a line, wrapped lines joined (-J), trailing blanks trimmed. */
  screen(): string[]
  /** The screen and up to `lines` lines of scrollback above it, as screen() gives them. */
  history(lines: number): string[]
  /** Polls the screen every 50 ms until test() holds; rejects with the last screen after ms. */
  waitFor(what: string, test: (screen: string[]) => boolean, ms?: number): Promise<string[]>
  /** Sends keys as tmux names them ('q', 'PageDown', 'Enter') or literal text with literal=true. */
  keys(keys: string[], literal?: boolean): void
  resize(columns: number, rows: number): void
  kill(): void
}

export function startTerminal(tag: string, columns: number, rows: number, command: string): Terminal {
  const name = `sw-${tag}-${process.pid}`
  ensureServer()
  try {
    tmux('kill-session', '-t', name)
  } catch {
    // none left from an earlier run
  }
  // UTF-8 (-u) for the elision mark; the command's own exit is printed so tests can see it
  tmux('-u', 'new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), `${command}; echo "EXITED $?"; sleep 600`)
  tmux('set-option', '-t', name, 'window-size', 'manual')
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', name).replace(/\n+$/, '').split('\n').map((l) => l.trimEnd())
  return {
    name,
    screen,
    history: (lines) => tmux('capture-pane', '-p', '-J', '-S', String(-lines), '-t', name).replace(/\n+$/, '').split('\n').map((l) => l.trimEnd()),
    async waitFor(what, test, ms = 10_000) {
      const deadline = Date.now() + ms
      let last: string[] = []
      while (Date.now() < deadline) {
        last = screen()
        if (test(last)) return last
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error(`${name}: no ${what} within ${ms} ms; the screen:\n${last.join('\n')}`)
    },
    keys(keys, literal = false) {
      tmux('send-keys', '-t', name, ...(literal ? ['-l'] : []), ...keys)
    },
    resize(c, r) {
      tmux('resize-window', '-t', name, '-x', String(c), '-y', String(r))
    },
    kill() {
      try {
        tmux('kill-session', '-t', name)
      } catch {
        // already gone
      }
    },
  }
}
