// What a person sees in a real terminal (tmux): the table fits 80 and 200
// columns, a live status line sits under it, and Ctrl-C leaves the closing
// line with the status gone. In a pipe, no escape sequence appears.
import {execFileSync} from 'node:child_process'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const term = suite('terminal')
let ns: {name: string; remove(): void}
const SESSION = `sockwatch-test-${process.pid}`

const tmux = (...args: string[]) => execFileSync('tmux', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
const screen = () => tmux('capture-pane', '-p', '-t', SESSION).split('\n')

/** Polls the screen (bounded) until a line matches. */
async function waitForScreen(test: (lines: string[]) => boolean, what: string, ms = 10_000): Promise<string[]> {
  for (let waited = 0; waited < ms; waited += 100) {
    const lines = screen()
    if (test(lines)) return lines
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no ${what} on the screen within ${ms} ms:\n${screen().join('\n')}`)
}

term.before(() => {
  preflight(['tmux'])
  ns = makeNetns('term')
})

term.after(() => {
  try {
    tmux('kill-session', '-t', SESSION)
  } catch {
    // already gone
  }
  ns?.remove()
})

for (const width of [80, 200]) {
  term(`terminal :: at ${width} columns: a fitting table, a live status line, a clean Ctrl-C`, async () => {
    tmux('new-session', '-d', '-s', SESSION, '-x', String(width), '-y', '30', `ip netns exec ${ns.name} ${CLI} capture -i lo; echo "exit=$?"; sleep 60`)
    try {
      await waitForScreen((l) => l.some((x) => x.startsWith('TIME ')), 'table header')
      const {sport, dport} = sendUdpFrom(ns.name, '127.0.0.1', 'sink', 3, 100)
      const live = await waitForScreen((l) => l.some((x) => /pkt\/s · 3 packets · 0 dropped · \d\d:\d\d:\d\d/.test(x)), 'status line')
      const header = live.find((x) => x.startsWith('TIME '))!
      // colour on a terminal: a bold header (tmux -e keeps the escapes)
      assert.match(tmux('capture-pane', '-e', '-p', '-t', SESSION), /\x1b\[1mTIME /)
      const rows = live.filter((x) => x.includes(`127.0.0.1:${sport}`))
      assert.is(rows.length, 3)
      for (const row of [header, ...rows]) assert.ok(row.length <= width, `${row.length} > ${width}: ${row}`)
      for (const row of rows) {
        assert.is(row.indexOf(`127.0.0.1:${sport}`), header.indexOf('SOURCE'))
        assert.is(row.indexOf(`127.0.0.1:${dport}`), header.indexOf('DESTINATION'))
      }
      if (width === 200) assert.ok(header.indexOf('DESTINATION') - header.indexOf('SOURCE') === 48, header) // endpoints at full width
      tmux('send-keys', '-t', SESSION, 'C-c')
      const after = await waitForScreen((l) => l.some((x) => x === 'exit=0'), 'exit=0')
      assert.ok(after.includes('3 packets captured, 0 dropped'), after.join('\n'))
      assert.not.ok(after.some((x) => x.includes('pkt/s')), 'the status line is gone')
    } finally {
      tmux('kill-session', '-t', SESSION)
    }
  })
}

term('terminal :: stdout piped on a terminal (| cat): no status line to garble the lines', async () => {
  tmux('new-session', '-d', '-s', SESSION, '-x', '200', '-y', '40', `ip netns exec ${ns.name} ${CLI} capture -i lo -c 10 udp | cat; echo "exit=$?"; sleep 60`)
  try {
    await waitForScreen((l) => l.some((x) => x.startsWith('sockwatch: capturing on lo')), 'ready line')
    // one packet every 250 ms for 2.5 s: lines keep arriving across the status line's 1 s ticks
    for (let i = 0; i < 10; i++) {
      sendUdpFrom(ns.name, '127.0.0.1', 'sink', 1, 100)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    const after = await waitForScreen((l) => l.some((x) => x === 'exit=0'), 'exit=0')
    const packets = after.filter((x) => x.includes(' lo in IP 127.0.0.1.'))
    assert.is(packets.length, 10, after.join('\n'))
    for (const line of packets) assert.match(line, /^\d\d:\d\d:\d\d\.\d{6} lo in IP /)
    assert.not.ok(after.some((x) => x.includes('pkt/s')), after.join('\n'))
    assert.ok(after.includes('10 packets captured, 0 dropped'), after.join('\n'))
  } finally {
    tmux('kill-session', '-t', SESSION)
  }
})

term('terminal :: in a pipe: no escape sequence on stdout or stderr', async () => {
  const proc = startProc('ip', ['netns', 'exec', ns.name, CLI, 'capture', '-i', 'lo', '--format', 'table'])
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/)
  sendUdpFrom(ns.name, '127.0.0.1', 'sink', 3, 100)
  await proc.waitFor('stdout', () => proc.stdout.filter(Boolean).length === 4)
  assert.is((await proc.stop('SIGINT')).code, 0)
  assert.not.ok([...proc.stdout, ...proc.stderr].some((l) => l.includes('\x1b')), 'an ANSI escape in a pipe')
})

term.run()
