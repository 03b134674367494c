// The memory budget's default is written once, in the contract; the install script's
// config file and docs/privileges.md state the same figure.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {LIMITS} from '../../src/contract/contract.js'
import {ROOT} from '../helpers/unit-fixtures.js'

const privileges = suite('privileges')
const mib = LIMITS.memoryBudgetDefault.value / 2 ** 20

const places: [string, string, string][] = [
  ['the shipped sidecar.conf', 'scripts/install.sh', `Unset: ${mib}M.`],
  ['docs/privileges.md', 'docs/privileges.md', `| budget, users other than root | ${mib} MiB`],
  ['the README', 'README.md', `at most ${mib} MiB of kernel memory`],
]
for (const [what, path, text] of places) {
  privileges(`privileges :: ${what} states the contract's default budget (${mib} MiB)`, () => {
    assert.ok(readFileSync(join(ROOT, path), 'utf8').includes(text), `${path} does not say '${text}'`)
  })
}

privileges('privileges :: nothing shipped recommends a bare setcap on the build output', () => {
  for (const path of ['README.md', 'docs/troubleshooting.md', 'src/doctor/checks.ts', 'sidecar/sockets.c']) {
    assert.not.match(readFileSync(join(ROOT, path), 'utf8'), /setcap cap_bpf,cap_net_raw\+ep (build|<path>|%s)/, path)
  }
})

privileges.run()
