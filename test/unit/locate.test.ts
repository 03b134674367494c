import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {SidecarError} from '../../src/sidecar/errors.js'
import {findSidecar, sidecarPath} from '../../src/sidecar/locate.js'
import {ROOT} from '../helpers/unit-fixtures.js'

const locate = suite('locate')
const tmp = mkdtempSync(join(tmpdir(), 'sockwatch-locate-test-'))
locate.after(() => rmSync(tmp, {recursive: true, force: true}))

const BUILT = join(ROOT, 'build/sockwatch-sidecar')
// `make install`: the CLI in PREFIX/lib/sockwatch, the sidecar in PREFIX/libexec/sockwatch
const INSTALLED = join(ROOT, '../../libexec/sockwatch/sockwatch-sidecar')

const paths: [string, NodeJS.ProcessEnv, string][] = [
  ['SOCKWATCH_SIDECAR wins', {SOCKWATCH_SIDECAR: '/opt/sw/sidecar'}, '/opt/sw/sidecar'],
  ['without SOCKWATCH_SIDECAR it is build/ in the checkout', {}, BUILT],
  ['an empty SOCKWATCH_SIDECAR counts as unset', {SOCKWATCH_SIDECAR: ''}, BUILT],
]
for (const [what, env, want] of paths) {
  locate(`locate :: ${what}`, () => {
    assert.is(sidecarPath(env), want)
  })
}

const installed: [string, string[], string][] = [
  ['a checkout build wins over an installed sidecar', [BUILT, INSTALLED], BUILT],
  ['an installed tree (no build/) finds PREFIX/libexec/sockwatch', [INSTALLED], INSTALLED],
  ['neither: the build path, so the error says to build', [], BUILT],
]
for (const [what, present, want] of installed) {
  locate(`locate :: ${what}`, () => {
    assert.is(sidecarPath({}, (path) => present.includes(path)), want)
  })
}

locate('locate :: findSidecar returns an executable SOCKWATCH_SIDECAR', async () => {
  const path = join(tmp, 'runnable')
  writeFileSync(path, '#!/bin/sh\n')
  chmodSync(path, 0o755)
  assert.is(await findSidecar({SOCKWATCH_SIDECAR: path}), path)
})

const missing: [string, (dir: string) => string][] = [
  ['a missing file', (dir) => join(dir, 'nothing-here')],
  ['a file that is not executable', (dir) => {
    const path = join(dir, 'not-executable')
    writeFileSync(path, '#!/bin/sh\n')
    chmodSync(path, 0o644)
    return path
  }],
]
for (const [what, make] of missing) {
  locate(`locate :: findSidecar refuses ${what}, saying to run 'make'`, async () => {
    const path = make(tmp)
    try {
      await findSidecar({SOCKWATCH_SIDECAR: path})
    } catch (error) {
      assert.instance(error, SidecarError)
      assert.is((error as Error).message, `the capture engine is not at ${path} (or not executable): run 'make' in the sockwatch checkout to build it`)
      assert.is((error as SidecarError).exitCode, 1)
      return
    }
    assert.unreachable(`findSidecar accepted ${path}`)
  })
}

locate.run()
