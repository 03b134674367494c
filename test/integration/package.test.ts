// The npm package as a user gets it: pack, install into a fresh prefix, and
// capture real packets with the installed `sockwatch` (its static sidecar inside).
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {ROOT} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'
import {assertSchema} from '../helpers/integration-schema.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const pkg = suite('package')
let dir: string
let ns: {name: string; remove(): void}

pkg.before(() => {
  preflight(['npm'])
  dir = mkdtempSync(join(tmpdir(), 'sockwatch-pack-'))
  ns = makeNetns('pkg')
})

pkg.after(() => {
  rmSync(dir, {recursive: true, force: true})
  ns?.remove()
})

pkg('package :: npm pack, npm install -g into a prefix, then sockwatch capture --json -c 3 on real traffic', async () => {
  execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!
  assert.ok(tarball, 'npm pack made no tarball')
  const listing = execFileSync('tar', ['tzf', join(dir, tarball)], {encoding: 'utf8'})
  assert.match(listing, 'package/build/sockwatch-sidecar')
  assert.match(listing, 'package/dist/commands/capture.js')
  const prefix = join(dir, 'prefix')
  execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(dir, tarball)], {stdio: ['ignore', 'pipe', 'pipe']})
  const bin = join(prefix, 'bin', 'sockwatch')
  const env = {...process.env, SOCKWATCH_SIDECAR: '', HOME: dir} // the installed package's own sidecar
  const proc = startProc('ip', ['netns', 'exec', ns.name, bin, 'capture', '-i', 'lo', '--json', '-c', '3'], {env})
  await proc.waitFor('stderr', /^sockwatch: capturing on lo/, 20_000)
  const {sport} = sendUdpFrom(ns.name, '127.0.0.1', 'sink', 3, 20)
  assert.is((await proc.exited).code, 0, proc.stderr.join('\n'))
  const records = proc.stdout.filter(Boolean).map((l) => JSON.parse(l))
  assert.equal(records.map((r) => r.sport ?? r.type), [sport, sport, sport, 'stats']) // the final stats last
  assertSchema(records)
  assert.ok(proc.stderr.includes('3 packets captured, 0 dropped'))
})

pkg.run()
