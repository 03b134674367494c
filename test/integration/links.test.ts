// Interfaces going down, up and away during a two-interface capture, on veth
// pairs in namespaces the test makes: the sidecar's link records, the CLI's
// stderr lines, and --json with the records among the packets.
import {execFileSync} from 'node:child_process'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI, SIDECAR, inNetns} from '../helpers/integration-capture.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {assertSchema} from '../helpers/integration-schema.js'

const links = suite('links')
const id = process.pid % 10000
const NS_A = `swla-${id}`
const NS_B = `swlb-${id}`
const ip = (...args: string[]) => execFileSync('ip', args, {stdio: 'pipe'})
const removeNamespaces = () => {
  for (const ns of [NS_A, NS_B]) {
    try {
      ip('netns', 'del', ns)
    } catch {
      // not there
    }
  }
}

interface Watchers {
  sidecar: Proc
  json: Proc
  text: Proc
}
const ctx = {} as Watchers

const linkRecords = (p: Proc) => p.stdout.filter((l) => l.includes('"type":"link"')).map((l) => JSON.parse(l))
const linkLines = (p: Proc) => p.stderr.filter((l) => /^sockwatch: .*interface '/.test(l))

/** Waits until each watcher has reported n link events. */
async function reported(n: number): Promise<void> {
  for (const p of [ctx.sidecar, ctx.json]) {
    await p.waitFor('stdout', () => linkRecords(p).length >= n)
  }
  await ctx.text.waitFor('stderr', () => linkLines(ctx.text).length >= n)
}

links.before(async () => {
  try {
    await setUp()
  } catch (error) {
    console.error(error) // uvu does not show a failed hook's error
    throw error
  }
})

async function setUp(): Promise<void> {
  preflight(['ip'])
  removeNamespaces()
  ip('netns', 'add', NS_A)
  ip('netns', 'add', NS_B)
  // two veth pairs: la0 and la1 in A, their peers in B
  for (const n of [0, 1]) {
    ip('link', 'add', `la${n}`, 'netns', NS_A, 'type', 'veth', 'peer', 'name', `lb${n}`, 'netns', NS_B)
    ip('-n', NS_B, 'link', 'set', `lb${n}`, 'up')
  }
  // both start down: said at once, in -i order; la1 stays down to the end
  const ready = (p: Proc, stream: 'stdout' | 'stderr', re: RegExp) => p.waitFor(stream, re)
  ctx.sidecar = startProc(...inNetns(NS_A, SIDECAR, ['-i', 'la0', '-i', 'la1', '--stats-interval', '0']))
  ctx.json = startProc(...inNetns(NS_A, CLI, ['capture', '-i', 'la0', '-i', 'la1', '--json']))
  ctx.text = startProc(...inNetns(NS_A, CLI, ['capture', '-i', 'la0', '-i', 'la1', '--format', 'text']))
  await ready(ctx.sidecar, 'stdout', /"type":"ready"/)
  await ready(ctx.json, 'stderr', /^sockwatch: capturing on la0, la1/)
  await ready(ctx.text, 'stderr', /^sockwatch: capturing on la0, la1/)
  await reported(2)
  ip('-n', NS_A, 'link', 'set', 'la0', 'up') // up once its carrier is (the peer is up)
  await reported(3)
  ip('-n', NS_A, 'link', 'set', 'la0', 'down')
  await reported(4)
  // deleted while down: exactly 'gone' (deleted while up, a 'down' may come first)
  ip('-n', NS_A, 'link', 'del', 'la0')
  await reported(5)
  for (const p of [ctx.sidecar, ctx.json, ctx.text]) await p.stop('SIGTERM')
}

links.after(() => {
  for (const p of [ctx.sidecar, ctx.json, ctx.text]) p?.child.kill('SIGKILL')
  removeNamespaces()
})

const STATES: [string, string][] = [['la0', 'down'], ['la1', 'down'], ['la0', 'up'], ['la0', 'down'], ['la0', 'gone']]

links('links :: the sidecar writes one link record a change, in order: la0 and la1 down at start, la0 up, down, gone', async () => {
  const records = linkRecords(ctx.sidecar)
  assert.equal(records.map((r) => [r.ifname, r.state]), STATES)
  assertSchema(records)
  assert.is((await ctx.sidecar.exited).code, 0)
  // the one still there is captured to the end
  const all = ctx.sidecar.stdout.filter(Boolean).map((l) => JSON.parse(l))
  assert.equal(all.map((r) => r.type).filter((t) => t !== 'packet'), ['ready', 'link', 'link', 'link', 'link', 'link', 'stats'])
  assert.is(all[1].type, 'link', 'the interfaces that start down are said right after ready')
})

links('links :: capture --json: the same link records in its stdout stream', async () => {
  const records = linkRecords(ctx.json)
  assert.equal(records.map((r) => [r.ifname, r.state]), STATES)
  assertSchema(ctx.json.stdout.filter(Boolean).map((l) => JSON.parse(l)))
  assert.is((await ctx.json.exited).code, 0)
  assert.equal(linkLines(ctx.json), [], 'no interface lines on stderr with --json')
})

links('links :: capture (text): one stderr line an event, without -v', async () => {
  assert.equal(linkLines(ctx.text), [
    "sockwatch: warning: interface 'la0' is down; no packets until it comes up",
    "sockwatch: warning: interface 'la1' is down; no packets until it comes up",
    "sockwatch: interface 'la0' is up; capturing on it again",
    "sockwatch: warning: interface 'la0' is down; no packets until it comes up",
    "sockwatch: warning: interface 'la0' was deleted; no more packets from it",
  ])
  assert.is((await ctx.text.exited).code, 0)
  // la0 up sends IPv6 neighbour discovery of its own: a few packets, none dropped
  assert.match(ctx.text.stderr[ctx.text.stderr.length - 1], /^\d+ packets? captured, 0 dropped$/)
})

links.run()
