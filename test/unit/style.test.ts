import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {styleFor} from '../../src/output/style.js'

const style = suite('style')

const cases: [string, boolean | undefined, NodeJS.ProcessEnv, boolean | undefined, boolean][] = [
  ['a terminal', true, {}, undefined, true],
  ['a pipe', undefined, {}, undefined, false],
  ['a terminal with NO_COLOR=1', true, {NO_COLOR: '1'}, undefined, false],
  ['a terminal with NO_COLOR empty (unset, per no-color.org)', true, {NO_COLOR: ''}, undefined, true],
  ['a terminal with --no-color', true, {}, false, false],
  ['a pipe with --color', false, {}, true, true],
  ['a pipe with --color and NO_COLOR=1 (the flag wins)', false, {NO_COLOR: '1'}, true, true],
]
for (const [name, tty, env, flag, coloured] of cases) {
  style(`style :: ${name} is ${coloured ? 'coloured' : 'plain'}`, () => {
    const s = styleFor(tty, env, flag)
    assert.is(s.bold('x'), coloured ? '\x1b[1mx\x1b[22m' : 'x')
    assert.is(s.dim('x'), coloured ? '\x1b[2mx\x1b[22m' : 'x')
  })
}

style.run()
