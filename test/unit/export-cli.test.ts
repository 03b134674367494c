// `sockwatch export`'s command line: what it refuses, in one sentence with exit 2
// (a missing destination, a bad HOST:PORT, a filter flows cannot apply, a bad
// duration), and a taken port for /metrics, exit 1. No sidecar runs.
import net from 'node:net'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {runCli} from '../helpers/unit-cli.js'

const cli = suite('export-cli')
const NO_SIDECAR = {SOCKWATCH_SIDECAR: '/nonexistent/sidecar'}

const refused: [string, string[], RegExp][] = [
  ['no destination', ['export'], /^sockwatch: say where flows go: --ipfix HOST:PORT \(a collector\) and\/or --prometheus ADDR:PORT \(a \/metrics endpoint\)$/],
  ['no port', ['export', '--ipfix', '127.0.0.1'], /^sockwatch: --ipfix takes HOST:PORT \(an IPv6 address in brackets, \[::1\]:4739\), got '127\.0\.0\.1'$/],
  ['IPv6 without brackets', ['export', '--ipfix', '::1:4739'], /^sockwatch: --ipfix takes HOST:PORT .*got '::1:4739'$/],
  ['port out of range', ['export', '--prometheus', '127.0.0.1:70000'], /^sockwatch: --prometheus takes HOST:PORT .*got '127\.0\.0\.1:70000'$/],
  ['a filter on TCP flags', ['export', '--ipfix', '127.0.0.1:4739', 'tcpflags', 'syn'], /^sockwatch: the filter 'tcpflags syn' looks at TCP flags, which flows do not carry, and export counts flows in the kernel/],
  ['a bad active timeout', ['export', '--ipfix', '127.0.0.1:4739', '--interval', 'soon'], /^sockwatch: expected a duration of 1ms or more like 10s, 500ms or 2m, got 'soon'$/],
  ['an unknown transport', ['export', '--ipfix', '127.0.0.1:4739', '--transport', 'sctp'], /^sockwatch: .*sctp/],
]

for (const [what, args, message] of refused) {
  cli(`export-cli :: refuses ${what}: one sentence, exit 2`, () => {
    const r = runCli(args, NO_SIDECAR)
    assert.is(r.status, 2, r.stderr)
    assert.match(r.stderr.trim(), message)
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  })
}

cli('export-cli :: a port already taken for /metrics: one sentence, exit 1, before any capture starts', async () => {
  const taken = net.createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  const port = (taken.address() as net.AddressInfo).port
  try {
    const r = runCli(['export', '--prometheus', `127.0.0.1:${port}`], NO_SIDECAR)
    assert.is(r.status, 1, r.stderr)
    assert.is(r.stderr.trim(), `sockwatch: cannot serve metrics on 127.0.0.1:${port} (EADDRINUSE): choose a free port, or an address of this host`)
  } finally {
    taken.close()
  }
})

cli('export-cli :: prom-client loads only when --prometheus asks for it, not with the export or capture command', async () => {
  const {default: Module} = await import('node:module')
  const cache = (Module as unknown as {_cache: Record<string, unknown>})._cache
  const loaded = () => Object.keys(cache).some((k) => k.includes(`${'/node_modules/'}prom-client/`))
  await import('../../src/commands/export.js')
  await import('../../src/commands/capture.js')
  await import('../../src/export/run.js')
  assert.is(loaded(), false)
  const {startMetrics} = await import('../../src/export/metrics.js')
  const metrics = await startMetrics({host: '127.0.0.1', port: 0, by: 'proto', top: 1, idleMs: 1000})
  await metrics.close()
  assert.is(loaded(), true)
})

cli.run()
