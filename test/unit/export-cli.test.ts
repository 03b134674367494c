// `sockwatch export`'s command line: what it refuses, in one sentence with exit 2
// (a missing destination, a bad HOST:PORT, a filter flows cannot apply, a bad
// duration), and a taken port for /metrics, exit 1. No sidecar runs.
import dgram from 'node:dgram'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {fake, runCli, startCli} from '../helpers/unit-cli.js'

const cli = suite('export-cli')
const NO_SIDECAR = {SOCKWATCH_SIDECAR: '/nonexistent/sidecar'}

const refused: [string, string[], RegExp][] = [
  ['no destination', ['export'], /^sockwatch: say where flows go: --ipfix HOST:PORT \(a collector\) and\/or --prometheus ADDR:PORT \(a \/metrics endpoint\)$/],
  ['no port', ['export', '--ipfix', '127.0.0.1'], /^sockwatch: --ipfix takes HOST:PORT \(an IPv6 address in brackets, \[::1\]:4739\), got '127\.0\.0\.1'$/],
  ['IPv6 without brackets', ['export', '--ipfix', '::1:4739'], /^sockwatch: --ipfix takes HOST:PORT .*got '::1:4739'$/],
  ['port out of range', ['export', '--prometheus', '127.0.0.1:70000'], /^sockwatch: --prometheus takes HOST:PORT .*got '127\.0\.0\.1:70000'$/],
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

cli('export-cli :: against a fake engine: the sidecar in flows mode, active-timeout records then the rest at SIGTERM, sequence numbers, every packet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockwatch-export-cli-'))
  const collector = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => collector.bind(0, '127.0.0.1', resolve))
  const messages: Buffer[] = []
  collector.on('message', (m) => messages.push(m))
  const dataSets = (m: Buffer) => {
    const sets: {id: number; body: Buffer}[] = []
    for (let at = 16; at < m.length; at += m.readUInt16BE(at + 2)) sets.push({id: m.readUInt16BE(at), body: m.subarray(at + 4, at + m.readUInt16BE(at + 2))})
    return sets
  }
  try {
    // the fake writes a batch every 20 ms whose stamps move a second: 60 batches make the flow a minute old
    const run = startCli(['export', '--ipfix', `127.0.0.1:${(collector.address() as net.AddressInfo).port}`, '--comm', 'nginx', 'udp', 'port', '53'],
      {...fake('fake-sidecar-flows.mjs'), FAKE_INTERVAL_MS: '20', FAKE_ARGS: join(dir, 'args')})
    await run.waitForStderr(/counting flows on lo/)
    const deadline = Date.now() + 20_000
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        const done = messages.some((m) => dataSets(m).some((s) => s.id === 256))
        if (done || Date.now() > deadline) {
          clearInterval(check)
          if (done) resolve()
          else reject(new Error(`no active-timeout record within 20 s; stderr: ${run.stderr()}`))
        }
      }, 10)
    })
    run.child.kill('SIGTERM')
    const {code, stderr} = await run.exited
    assert.is(code, 0, stderr)
    const args = readFileSync(join(dir, 'args'), 'utf8').trim().split('\n')
    assert.ok(args.join(' ').includes('--mode flows --interval 1000'), args.join(' '))
    assert.ok(args.includes('--filter'), 'the filter runs in the kernel')
    assert.ok(args.join(' ').includes('--comm nginx'), 'the process filter runs in the kernel too')
    const matched = Number(/^sockwatch: (\d+) packets in (\d+) flows/m.exec(stderr)?.[1])
    // packetDeltaCount is at octet 19 of an IPv4 flow record (template 256, 52 octets)
    let records = 0
    let packets = 0
    for (const m of messages) {
      assert.is(m.readUInt32BE(8), records, 'sequence number: data records sent before this message')
      for (const set of dataSets(m).filter((x) => x.id === 256)) {
        for (let at = 0; at < set.body.length; at += 52) packets += Number(set.body.readBigUInt64BE(at + 19))
        records += set.body.length / 52
      }
      records += dataSets(m).filter((x) => x.id === 268).length
    }
    assert.ok(matched > 0 && packets === matched, `${packets} packets exported of ${matched}`)
    assert.ok(messages.filter((m) => dataSets(m).some((x) => x.id === 256)).length >= 2, 'an active-timeout record, then the rest at the end')
    assert.equal(dataSets(messages[0]).map((x) => x.id), [2, 3])
  } finally {
    collector.close()
    rmSync(dir, {recursive: true, force: true})
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
