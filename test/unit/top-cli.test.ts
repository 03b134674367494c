// `sockwatch top` against the fake sidecar: in a pipe one plain block per read
// (no escape codes), the closing line, and bad input refused before anything starts.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {fake, runCli} from '../helpers/unit-cli.js'
import {fixturePath} from '../helpers/unit-fixtures.js'

const cli = suite('top-cli')
const flows = {...fake('fake-sidecar.sh'), FAKE_RECORDS: fixturePath('summary-flows.ndjson')}
const NO_SIDECAR = {SOCKWATCH_SIDECAR: '/nonexistent/sidecar'}

cli('top-cli :: in a pipe: one plain block a read, ranked by the 2 s rate, with the footer; no escape codes', () => {
  const r = runCli(['top', '--interval', '1s'], flows)
  assert.is(r.status, 0, r.stderr)
  assert.not.ok(r.stdout.includes('\x1b'), 'no escape codes in a pipe')
  const blocks = r.stdout.trimEnd().split('\n\n').map((b) => b.split('\n'))
  assert.is(blocks.length, 3) // the fixture's three reads, the last one final
  for (const b of blocks) {
    assert.match(b[0], /^sockwatch top · \d\d:\d\d:\d\d · lo,eth0 · by flow · rates, sort 2s · bits\/s$/)
    assert.match(b[1], /^#  PROTO  SOURCE +DESTINATION +2s +10s +40s +TOTAL$/)
    for (const line of b) assert.ok(line.length <= 80, line)
  }
  const last = blocks[2].map((l) => l.replace(/ +/g, ' '))
  // the flow that is still sending ranks above one that stopped, whatever their totals
  assert.equal(last.slice(2, 6), [
    '1 udp 10.0.0.1:40000 10.0.0.53:53 267kb 480kb 480kb 150 kB',
    '2 udp 10.0.0.53:53 10.0.0.1:40000 11kb 198kb 198kb 62 kB',
    '3 arp arp arp 448b 269b 269b 84 B',
    '4 tcp 127.0.0.1:38000 127.0.0.1:8080 0b 6.7kb 6.7kb 2.1 kB',
  ])
  assert.is(last[6], 'total: 4 flows 278kb 685kb 685kb 214 kB')
  assert.is(last[7], '1824 matched · 0 dropped · 5 overflow (table full) · keys 4/100000')
  assert.is(r.stderr, 'sockwatch: counting flows on lo, eth0; Ctrl-C to stop\n1824 packets in 4 flows (5 overflow: the flow table was full), 0 dropped\n')
})

cli('top-cli :: --units bytes and --by pair: TX and RX columns, bytes per second', () => {
  const r = runCli(['top', '--interval', '1s', '--by', 'pair', '--units', 'bytes'], {...flows, COLUMNS: '120'})
  assert.is(r.status, 0, r.stderr)
  const last = r.stdout.trimEnd().split('\n\n').at(-1)!.split('\n')
  assert.match(last[1], /^#  HOST A +HOST B +TX +RX +2s +10s +40s +PEAK +TOTAL +PKT\/S$/)
  assert.match(last[2].replace(/ +/g, ' '), /^1 10\.0\.0\.1 10\.0\.0\.53 \d+(\.\d)?[kM]?B \d+(\.\d)?[kM]?B /)
})

const refused: [string[], RegExp][] = [
  [['--interval', '2h'], /^sockwatch: --interval is at most 1h, got '2h'\n$/],
  [['--by', 'nope'], /^sockwatch: expected --by=nope to be one of: flow, pair/],
  [['--max-keys', '0'], /^sockwatch: .*max-keys/],
]
for (const [args, message] of refused) {
  cli(`top-cli :: refused before the sidecar starts: ${args.join(' ')}`, () => {
    const r = runCli(['top', ...args], NO_SIDECAR)
    assert.is(r.status, 2, r.stderr)
    assert.match(r.stderr, message)
    assert.not.ok(r.stderr.includes('    at '), r.stderr)
  })
}

// libpcap (in the built sidecar) refuses a bad expression before anything is loaded
cli('top-cli :: a filter libpcap refuses: its reason, exit 2', () => {
  const r = runCli(['top', 'port', '99999'], {})
  assert.is(r.status, 2, r.stderr)
  assert.match(r.stderr, /^sockwatch: .*port 99999.*\n/)
  assert.not.ok(r.stderr.includes('    at '), r.stderr)
})

cli.run()
