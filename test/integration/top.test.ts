// `sockwatch top` on the real kernel, in a real terminal (tmux) of 60, 80 and 200
// columns: the layout fits and follows a resize, the keys act, a filter typed
// with / runs in the kernel, and a flow that starts later at a higher rate
// overtakes the first. Traffic runs in a namespace the test makes, so the rows
// are only the test's flows. Every wait polls the screen, bounded.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {fileURLToPath} from 'node:url'
import {CLI} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {startTerminal, stopTerminals, type Terminal} from '../helpers/integration-tmux.js'

const STREAM = fileURLToPath(new URL('../helpers/udp-stream.mjs', import.meta.url))
const top = suite('top')
const ctx = {} as {ns: {name: string; remove(): void}; slow: Proc; terminals: Terminal[]; procs: Proc[]}

/** Flow A, all along: 127.0.0.1:41001 -> :42001, 20 datagrams/s of 200 bytes. */
const SLOW = ['41001', '42001', '20', '200']
/** Flow B, started later: 127.0.0.1:41002 -> :42002, 300 datagrams/s of 1000 bytes. */
const FAST = ['41002', '42002', '300', '1000']

async function stream([sport, dport, pps, size]: string[], seconds: number): Promise<Proc> {
  const proc = startProc('ip', ['netns', 'exec', ctx.ns.name, process.execPath, STREAM, '127.0.0.1', sport, dport, pps, size, String(seconds)])
  ctx.procs.push(proc)
  await proc.waitFor('stdout', /^sending$/)
  return proc
}

/** `sockwatch top` in the namespace, in a terminal columns x rows. */
function topIn(tag: string, columns: number, rows: number, args = '--interval 500ms'): Terminal {
  const t = startTerminal(tag, columns, rows, `ip netns exec ${ctx.ns.name} ${CLI} top -i lo ${args}`)
  ctx.terminals.push(t)
  return t
}

const width = (line: string) => [...line].length // '…' and '·' are one column each
const rowOf = (screen: string[], port: string) => screen.find((l) => /^\s*\d+ /.test(l) && l.includes(port))
const firstRow = (screen: string[]) => screen.find((l) => /^\s*1 /.test(l))
const titleClock = (screen: string[]) => /^sockwatch top · (\d\d):(\d\d):(\d\d)/.exec(screen[0] ?? '')
const seconds = (m: RegExpExecArray) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])
const footer = (screen: string[]) => screen.find((l) => / matched · \d+ dropped · \d+ overflow/.test(l))

top.before(async () => {
  preflight(['ip', 'tmux'])
  ctx.ns = makeNetns('top')
  ctx.terminals = []
  ctx.procs = []
  ctx.slow = await stream(SLOW, 120)
})

top.after(async () => {
  for (const t of ctx.terminals ?? []) t.kill()
  stopTerminals()
  for (const p of ctx.procs ?? []) await p.stop('SIGTERM', 2000)
  ctx.ns?.remove()
})

const layouts: [number, RegExp, string][] = [
  [60, /^#  SOURCE +DESTINATION +2s +10s +TOTAL$/, '127.0.0.1:41001'],
  [80, /^#  PROTO  SOURCE +DESTINATION +2s +10s +40s +TOTAL$/, '127.0.0.1:41001'],
  [200, /^#  PROTO  SOURCE +DESTINATION +2s +10s +40s +PEAK +TOTAL +PKT\/S$/, '127.0.0.1:41001'],
]
for (const [columns, header, source] of layouts) {
  top(`top :: at ${columns} columns the header, the rows and the footer fit`, async () => {
    const t = topIn(`w${columns}`, columns, 20)
    const screen = await t.waitFor('a row for flow A', (s) => rowOf(s, '41001') !== undefined)
    for (const line of screen) assert.ok(width(line) <= columns, `${width(line)} > ${columns}: ${line}`)
    assert.match(screen[1], header)
    assert.ok(rowOf(screen, '41001')!.includes(source), rowOf(screen, '41001'))
    assert.ok(footer(screen), screen.join('\n'))
    assert.match(screen[screen.length - 1], /^q quit +p pause/)
    t.kill()
  })
}

top('top :: a resize from 60 to 120 columns lays the view out again at once', async () => {
  const t = topIn('resize', 60, 20)
  await t.waitFor('a row for flow A', (s) => rowOf(s, '41001') !== undefined)
  t.resize(120, 20)
  const screen = await t.waitFor('the 120-column layout', (s) => /40s +PEAK +TOTAL/.test(s[1] ?? ''))
  assert.match(screen[1], /^#  PROTO  SOURCE +DESTINATION +2s +10s +40s +PEAK +TOTAL/)
  for (const line of screen) assert.ok(width(line) <= 120, `${width(line)} > 120: ${line}`)
  assert.ok(screen.some((l) => width(l) > 60), 'some line uses the new width')
  t.kill()
})

top('top :: keys: s/S change the sort, t shows totals, p pauses the rows, q quits with the closing line', async () => {
  const t = topIn('keys', 100, 20)
  await t.waitFor('a row for flow A', (s) => rowOf(s, '41001') !== undefined)
  t.keys(['s'])
  await t.waitFor('sort 10s', (s) => s[0].includes('rates, sort 10s'))
  t.keys(['S'])
  await t.waitFor('sort 2s again', (s) => s[0].includes('rates, sort 2s'))
  t.keys(['t'])
  const totals = await t.waitFor('the totals view', (s) => s[0].includes('totals, sort bytes') && /PACKETS +BYTES +SHARE/.test(s[1]))
  assert.match(rowOf(totals, '41001')!, /\d+ +[\d.]+ [kM]?B +100\.0%/)
  t.keys(['s'])
  await t.waitFor('totals by packets', (s) => s[0].includes('totals, sort packets'))
  t.keys(['t'])
  await t.waitFor('rates again', (s) => s[0].includes('rates, sort 2s'))

  t.keys(['p'])
  const paused = await t.waitFor('PAUSED', (s) => s[0].includes('· PAUSED ·'))
  const clock = seconds(titleClock(paused)!)
  // two more reads go by (the title's clock is the last read's), and the rows and footer stand still
  const later = await t.waitFor('two more reads', (s) => titleClock(s) !== null && seconds(titleClock(s)!) >= clock + 2)
  assert.is(footer(later), footer(paused))
  assert.is(rowOf(later, '41001'), rowOf(paused, '41001'))
  t.keys(['p'])
  await t.waitFor('counting shown again', (s) => !s[0].includes('PAUSED') && footer(s) !== footer(paused))

  t.keys(['q'])
  const end = await t.waitFor('the exit', (s) => s.includes('EXITED 0'))
  assert.ok(end.some((l) => /^\d+ packets in \d+ flows?, 0 dropped$/.test(l)), end.join('\n'))
})

top('top :: a flow started later at a higher rate overtakes the first within two reads; / runs a new filter in the kernel', async () => {
  const t = topIn('overtake', 100, 20, '--interval 1s')
  const before = await t.waitFor('flow A on top', (s) => (firstRow(s) ?? '').includes('41001') && titleClock(s) !== null)
  assert.not.ok(rowOf(before, '41002'))
  const fast = await stream(FAST, 30)
  const started = Date.now()
  const clock = seconds(titleClock(t.screen())!)
  const after = await t.waitFor('flow B on top', (s) => (firstRow(s) ?? '').includes('41002'), 5000)
  const reads = seconds(titleClock(after)!) - clock
  assert.ok(reads <= 2, `flow B took ${reads} reads (${Date.now() - started} ms) to reach the top`)
  assert.ok(rowOf(after, '41001'), 'flow A is still listed, below')

  // only flow A, filtered in the kernel: the sidecar starts again with the new clauses
  t.keys(['/'])
  await t.waitFor('the filter prompt', (s) => s.some((l) => l.startsWith('filter (Enter runs it, Esc cancels): ')))
  t.keys(['udp dst port 42001'], true)
  t.keys(['Enter'])
  const filtered = await t.waitFor('only flow A, under the new filter', (s) => s[0].includes('filter: udp dst port 42001') && rowOf(s, '41001') !== undefined)
  assert.not.ok(rowOf(filtered, '41002'), filtered.join('\n'))
  await fast.stop('SIGTERM', 2000)
  t.keys(['q'])
  await t.waitFor('the exit', (s) => s.includes('EXITED 0'))
})

top('top :: a filter the kernel cannot count exactly is refused on the screen; what runs stays', async () => {
  const t = topIn('refuse', 100, 20)
  await t.waitFor('a row for flow A', (s) => rowOf(s, '41001') !== undefined)
  t.keys(['/'])
  t.keys(['tcpflags syn'], true)
  t.keys(['Enter'])
  await t.waitFor('the refusal', (s) => s.some((l) => l.startsWith('filter refused: ')))
  assert.not.ok(t.screen()[0].includes('filter:'), 'no filter runs, as before')
  t.keys(['q'])
  await t.waitFor('the exit', (s) => s.includes('EXITED 0'))
})

top("top :: capture's live table fits 60 columns and lays out again at 120, under a new header", async () => {
  const t = startTerminal('capture', 60, 20, `ip netns exec ${ctx.ns.name} ${CLI} capture -i lo --no-process udp port 42001`)
  ctx.terminals.push(t)
  const isRow = (l: string) => /^\d\d:\d\d:\d\d\.\d{3} lo +in +udp /.test(l)
  const narrow = await t.waitFor('rows at 60 columns', (s) => s.filter(isRow).length >= 3)
  for (const line of narrow.filter(isRow)) assert.ok(width(line) <= 60, `${width(line)} > 60: ${line}`)
  // at 60 the endpoints lose their middle and keep the ports
  assert.ok(narrow.filter(isRow).every((l) => /127\.0\.…41001 +127\.0\.…42001 +242$/.test(l)), narrow.join('\n'))
  t.resize(120, 20)
  // the next packet after the resize brings a new header, INFO back, and rows up to 120 wide
  await t.waitFor('a header for 120 columns', (s) => s.some((l) => /^TIME +IFACE DIR PROTO SOURCE +DESTINATION +LEN INFO$/.test(l) && width(l) > 60))
  const after = await t.waitFor('a row under it', (s) => s.slice(s.findIndex((l) => /^TIME .* INFO$/.test(l) && width(l) > 60)).some(isRow))
  const rows = after.slice(after.findIndex((l) => /^TIME .* INFO$/.test(l) && width(l) > 60)).filter(isRow)
  for (const line of rows) assert.ok(width(line) <= 120 && line.includes('127.0.0.1:41001') && line.includes('127.0.0.1:42001'), line)
  const first = t.history(200)
  assert.match(first.find((l) => l.startsWith('TIME'))!, /^TIME +IFACE DIR PROTO SOURCE +DESTINATION +LEN$/, 'the first header, at 60 columns, had no INFO')
  t.kill()
})

top('top :: summary --interval in a pipe prints one plain block per read, no escape codes', async () => {
  const proc = startProc('bash', ['-c', `ip netns exec ${ctx.ns.name} ${CLI} summary -i lo --interval 500ms -d 1.9s | cat`])
  ctx.procs.push(proc)
  const {code} = await proc.exited
  assert.is(code, 0, proc.stderr.join('\n'))
  const out = proc.stdout.join('\n')
  assert.not.ok(out.includes('\x1b'), 'no escape codes')
  const titles = proc.stdout.filter((l) => /^\d\d:\d\d:\d\d\.\d{3} {2}last \d+\.\d s$/.test(l))
  assert.ok(titles.length >= 4 && titles.length <= 5, `${titles.length} blocks:\n${out}`)
  assert.ok(proc.stdout.filter((l) => l.startsWith('#  PROTO')).length === titles.length)
  assert.ok(proc.stdout.some((l) => /127\.0\.0\.1:41001 +127\.0\.0\.1:42001/.test(l)), out)
})

top.run()
