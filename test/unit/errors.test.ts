import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {EXIT, SidecarError} from '../../src/sidecar/errors.js'

const errors = suite('errors')

errors('errors :: the exit codes are those the sidecar uses', () => {
  assert.equal(EXIT, {ok: 0, runtime: 1, usage: 2, permission: 3, noInterface: 4, kernel: 5, badFile: 6})
})

// [given exit code, the CLI's exit code]: only 1..125 pass; shells own 126 and up
const codes: [number | undefined, number][] = [
  [undefined, 1], [0, 1], [-1, 1], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [125, 125], [126, 1], [127, 1], [137, 1], [255, 1],
]
for (const [given, want] of codes) {
  errors(`errors :: a sidecar exit code ${given} makes the CLI exit ${want}`, () => {
    assert.is(new SidecarError('x', {exitCode: given}).exitCode, want)
  })
}

errors('errors :: a SidecarError keeps its message, code, signal, stderr tail and cause', () => {
  const cause = new Error('underneath')
  const e = new SidecarError('it broke', {exitCode: 3, code: 'permission', signal: 'SIGKILL', stderrTail: 'libbpf: no', cause})
  assert.instance(e, Error)
  assert.is(e.name, 'SidecarError')
  assert.is(e.message, 'it broke')
  assert.is(e.code, 'permission')
  assert.is(e.signal, 'SIGKILL')
  assert.is(e.stderrTail, 'libbpf: no')
  assert.is(e.cause, cause)
})

errors('errors :: a bare SidecarError has an empty stderr tail and exit code 1', () => {
  const e = new SidecarError('it broke')
  assert.is(e.stderrTail, '')
  assert.is(e.exitCode, EXIT.runtime)
  assert.is(e.code, undefined)
  assert.is(e.signal, undefined)
})

errors.run()
